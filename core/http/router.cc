// Linear route table: a handful of routes, matched segment by segment.
#include "core/http/router.h"

#include <future>

#include "core/http/conditional.h"
#include "core/http/envelope.h"

namespace dispatch::http {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  addAsync(std::move(method), std::move(pattern),
           [h = std::move(handler)](Request& req, Reply reply) { reply(h(req)); });
}

void Router::addAsync(std::string method, std::string pattern, AsyncHandler handler) {
  routes_.push_back(Route{std::move(method), splitPath(pattern), std::move(handler)});
}

bool Router::match(const Route& r, const std::vector<std::string>& segs,
                   std::vector<std::string>* params) {
  // A trailing `*` takes the rest of the path (none or more segments) as its parameter.
  const bool rest = !r.segments.empty() && r.segments.back() == "*";
  const size_t fixed = rest ? r.segments.size() - 1 : r.segments.size();
  if (rest ? segs.size() < fixed : segs.size() != fixed) return false;
  std::vector<std::string> p;
  for (size_t i = 0; i < fixed; ++i) {
    const std::string& s = r.segments[i];
    if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
      p.push_back(segs[i]);
    } else if (s != segs[i]) {
      return false;
    }
  }
  if (rest) {
    std::string tail;
    for (size_t i = fixed; i < segs.size(); ++i) {
      if (!tail.empty()) tail += '/';
      tail += segs[i];
    }
    p.push_back(std::move(tail));
  }
  if (params) *params = std::move(p);
  return true;
}

bool Router::knows(const std::string& path) const {
  auto segs = splitPath(path);
  for (const auto& r : routes_) {
    if (match(r, segs, nullptr)) return true;
  }
  return false;
}

void Router::dispatch(Request& req, Reply reply) const {
  auto segs = splitPath(req.path);
  std::string allow;
  for (const auto& r : routes_) {
    std::vector<std::string> params;
    if (!match(r, segs, &params)) continue;
    if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) {
      req.params = std::move(params);
      if (req.method == "GET" || req.method == "HEAD") {
        // Every GET gets its ETag and may become a 304 (conditional.h). Only what that reads
        // is copied: an async handler's reply may outlive the request.
        reply = [inm = req.header("If-None-Match"), method = req.method,
                 reply = std::move(reply)](Response resp) {
          applyConditional(method, inm, resp);
          reply(std::move(resp));
        };
      }
      r.handler(req, std::move(reply));
      return;
    }
    if (!allow.empty()) allow += ", ";
    allow += r.method;
  }
  if (allow.empty()) return reply(envelope(404, "Not found"));
  Response resp = envelope(405, "Method not allowed");
  resp.headers.emplace_back("Allow", allow);
  reply(std::move(resp));
}

Response Router::dispatch(Request& req) const {
  std::promise<Response> promise;
  auto f = promise.get_future();
  dispatch(req, [&promise](Response r) { promise.set_value(std::move(r)); });
  return f.get();
}

}  // namespace dispatch::http
