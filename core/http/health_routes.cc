// /healthz and /readyz.
#include <chrono>
#include <memory>
#include <mutex>

#include "core/http/api.h"
#include "core/store/db.h"
#include "core/util/metrics.h"

namespace dispatch::http {
namespace {

// Whether the store answers, asked on a connection of its own. Through the shared pool a
// probe queued behind the node's own work for a slot (up to 2 s, then 503) exactly when a
// node starts under load, while it was already serving. Concurrent probes share one query:
// a probe that waited takes the answer of a query that began after it arrived, so no answer
// is older than its request, and a flood of probes costs the store one query at a time.
class ReadinessProbe {
 public:
  explicit ReadinessProbe(const std::string& url) : db_(url, 1) {}

  bool ready() {
    const auto arrived = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> g(mu_);
    if (asked_ && lastAsked_ >= arrived) return lastOk_;
    lastAsked_ = std::chrono::steady_clock::now();
    lastOk_ = db_.ping();  // a broken connection is opened again by the next probe
    asked_ = true;
    return lastOk_;
  }

 private:
  store::Db db_;
  std::mutex mu_;
  bool asked_ = false;
  bool lastOk_ = false;
  std::chrono::steady_clock::time_point lastAsked_;
};

}  // namespace

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
  auto probe = std::make_shared<ReadinessProbe>(ctx.db.url());
  // Opened now, before the port accepts, so the first probe does not pay for the connection.
  probe->ready();
  router.add("GET", "/readyz", [probe](Request&) {
    Response r;
    r.contentType = "text/plain";
    if (probe->ready()) {
      r.body = "ready";
    } else {
      r.status = 503;
      r.body = "store unavailable";
    }
    return r;
  });
}

}  // namespace dispatch::http
