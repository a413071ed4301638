// The bytes of the front door: a parsed request turned into the handlers' Request, and a
// Response turned into HTTP/1.1 bytes. Pure functions; the event loop calls them.
#pragma once

#include <string>

#include "core/http/request.h"
#include "core/http/request_parser.h"
#include "core/util/status.h"

namespace dispatch::http {

// Splits the target into a percent-decoded path and the raw query. kInvalid ("Malformed
// request path") when the path's escapes decode to something a route cannot hold (a NUL).
Result<Request> toRequest(ParsedRequest&& parsed);

struct ResponseFraming {
  bool head = false;         // HEAD: Content-Length of the body, but no body bytes
  bool close = false;        // "Connection: close" (the connection ends after it)
  bool keepAlive10 = false;  // an HTTP/1.0 client that asked for keep-alive: say we keep it
};

// Appends the status line, headers (Content-Type, Content-Length, Date, the response's own,
// Connection) and body to `out`. `date` is an IMF-fixdate, e.g. from httpDate().
void appendResponse(std::string& out, const Response& r, const ResponseFraming& framing,
                    const std::string& date);

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for the given Unix seconds.
std::string httpDate(int64_t unixSeconds);

// The reason phrase for a status code ("Not Found"); "Unknown" for codes without one.
const char* reasonPhrase(int status);

}  // namespace dispatch::http
