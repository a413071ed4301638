// Method + path-pattern routing. Patterns use `{name}` for one path segment.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/http/request.h"

namespace dispatch::http {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // Unknown path → 404 envelope; known path, other method → 405 envelope with Allow.
  Response dispatch(Request& req) const;
  // True when some route matches the path (any method).
  bool knows(const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  static bool match(const Route& r, const std::vector<std::string>& segs,
                    std::vector<std::string>* params);
  std::vector<Route> routes_;
};

std::vector<std::string> splitPath(const std::string& path);

}  // namespace dispatch::http
