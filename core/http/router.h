// Method + path-pattern routing. Patterns use `{name}` for one path segment and a trailing `*`
// for the rest of the path. GET answers carry an ETag and honour If-None-Match (conditional.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/http/request.h"

namespace dispatch::http {

using Handler = std::function<Response(Request&)>;
// Delivers a response; called exactly once, from any thread.
using Reply = std::function<void(Response)>;
// A handler that answers later (after a group commit) without holding its thread meanwhile.
// It may call `reply` before returning. It must not keep references into the Request.
using AsyncHandler = std::function<void(Request&, Reply)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  void addAsync(std::string method, std::string pattern, AsyncHandler handler);
  // Unknown path → 404 envelope; known path, other method → 405 envelope with Allow.
  // `reply` runs once, possibly on another thread after this returns.
  void dispatch(Request& req, Reply reply) const;
  // As above, waiting for the reply (tests and tools).
  Response dispatch(Request& req) const;
  // True when some route matches the path (any method).
  bool knows(const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    AsyncHandler handler;
  };
  static bool match(const Route& r, const std::vector<std::string>& segs,
                    std::vector<std::string>* params);
  std::vector<Route> routes_;
};

std::vector<std::string> splitPath(const std::string& path);

}  // namespace dispatch::http
