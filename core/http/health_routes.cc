// /healthz, /metrics and /readyz (whether the store answers: ctx.storeReady).
#include "core/http/api.h"
#include "core/util/metrics.h"

namespace dispatch::http {

void addHealthRoutes(Router& router, ApiContext& ctx) {
  auto ok = [](Request&) {
    Response r;
    r.contentType = "text/plain";
    r.body = "ok";
    return r;
  };
  router.add("GET", "/healthz", ok);
  router.add("POST", "/healthz", ok);
  router.add("GET", "/metrics", [](Request&) {
    Response r;
    r.contentType = "text/plain; version=0.0.4";
    r.body = metrics::render();
    return r;
  });
  router.add("GET", "/readyz", [&ctx](Request&) {
    Response r;
    r.contentType = "text/plain";
    if (ctx.storeReady()) {
      r.body = "ready";
    } else {
      r.status = 503;
      r.body = "store unavailable";
    }
    return r;
  });
}

}  // namespace dispatch::http
