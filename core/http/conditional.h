// Conditional GETs: an ETag on every successful GET, and 304 when the client already holds it.
// The dashboard polls its pages' list endpoints each second; an unchanged list then costs the
// wire a header, not the whole list again.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/http/request.h"

namespace dispatch::http {

// A strong ETag for `body`: a quoted hex digest.
std::string etagFor(std::string_view body);

// True when an `If-None-Match` value (a list of tags, or `*`) holds `etag`. Weak tags (W/)
// match by their opaque part, as RFC 9110 wants for If-None-Match.
bool noneMatchHolds(std::string_view ifNoneMatch, std::string_view etag);

// For a GET or HEAD answered 200: adds the ETag (and `Cache-Control: no-store` unless the route
// set its own: API answers are a caller's private data), and turns the answer into a bodiless
// 304 when the request's If-None-Match holds it. Other requests and statuses pass unchanged.
void applyConditional(const Request& req, Response& resp);
// The same from the two things it reads: for a reply sent after the request is gone.
void applyConditional(std::string_view method, const std::optional<std::string>& ifNoneMatch,
                      Response& resp);

}  // namespace dispatch::http
