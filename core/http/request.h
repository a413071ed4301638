// The server's view of one HTTP exchange, independent of Poco so handlers stay testable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dispatch::http {

// Percent-decodes a request path (no '+' rule: that is the query's). False when a '%' is not
// followed by two hex digits or an escape decodes to NUL, which no route or store can hold.
bool decodePath(std::string_view raw, std::string* out);

struct Request {
  std::string method;
  std::string path;   // decoded path, no query
  std::string query;  // raw query string (without '?')
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::string> params;  // path parameters matched by the router, in order
  // The connection's peer IP address as text (`203.0.113.7`, `2001:db8::1`); empty when not
  // served over a socket. Forwarding headers (X-Forwarded-For) are not consulted.
  std::string peer;

  // Case-insensitive header lookup (first match).
  std::optional<std::string> header(std::string_view name) const;
  // A query parameter, percent-decoded (first match).
  std::optional<std::string> queryParam(std::string_view name) const;
  // Every query parameter in order, percent-decoded (repeats kept).
  std::vector<std::pair<std::string, std::string>> queryParams() const;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after answering (body not fully read)
};

}  // namespace dispatch::http
