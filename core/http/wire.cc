// Request conversion and response serialisation.
#include "core/http/wire.h"

#include <ctime>

#include "core/util/text.h"

namespace dispatch::http {

Result<Request> toRequest(ParsedRequest&& parsed) {
  Request req;
  req.method = std::move(parsed.method);
  const std::string& target = parsed.target;
  size_t q = target.find('?');
  // Decoded path segments and query values reach store lookups (a source, a destination, a
  // project), so they follow the text rule here, once, for every route: a 400, never a 22021.
  if (!decodePath(std::string_view(target).substr(0, q), &req.path) ||
      !text::isStorable(req.path)) {
    return Status(Code::kInvalid, "Malformed request path");
  }
  if (q != std::string::npos) {
    req.query = target.substr(q + 1);
    for (const auto& [name, value] : req.queryParams()) {
      if (!text::isStorable(name) || !text::isStorable(value)) {
        return Status(Code::kInvalid, "Malformed query string");
      }
    }
  }
  req.headers = std::move(parsed.headers);
  req.body = std::move(parsed.body);
  return req;
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string httpDate(int64_t unixSeconds) {
  time_t t = static_cast<time_t>(unixSeconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

void appendResponse(std::string& out, const Response& r, const ResponseFraming& framing,
                    const std::string& date) {
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reasonPhrase(r.status);
  out += "\r\n";
  if (!r.contentType.empty()) {
    out += "Content-Type: ";
    out += r.contentType;
    out += "\r\n";
  }
  // A 304 has no body and describes the one the client holds: no Content-Length of ours.
  if (r.status != 304) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  out += "Date: ";
  out += date;
  out += "\r\n";
  for (const auto& [k, v] : r.headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (framing.close) {
    out += "Connection: close\r\n";
  } else if (framing.keepAlive10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!framing.head) out += r.body;
}

}  // namespace dispatch::http
