// Linear route table: a handful of routes, matched segment by segment.
#include "core/http/router.h"

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
  routes_.push_back(Route{std::move(method), splitPath(pattern), std::move(handler)});
}

bool Router::match(const Route& r, const std::vector<std::string>& segs,
                   std::vector<std::string>* params) {
  if (r.segments.size() != segs.size()) return false;
  std::vector<std::string> p;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& s = r.segments[i];
    if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
      p.push_back(segs[i]);
    } else if (s != segs[i]) {
      return false;
    }
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

Response Router::dispatch(Request& req) const {
  auto segs = splitPath(req.path);
  std::string allow;
  for (const auto& r : routes_) {
    std::vector<std::string> params;
    if (!match(r, segs, &params)) continue;
    if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) {
      req.params = std::move(params);
      return r.handler(req);
    }
    if (!allow.empty()) allow += ", ";
    allow += r.method;
  }
  if (allow.empty()) return envelope(404, "Not found");
  Response resp = envelope(405, "Method not allowed");
  resp.headers.emplace_back("Allow", allow);
  return resp;
}

}  // namespace dispatch::http
