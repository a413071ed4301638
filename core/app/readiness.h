// Whether the store answers (GET /readyz), asked on a connection of its own.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "core/store/db.h"

namespace dispatch::app {

// Through the shared pool a probe queued behind the node's own work for a slot (up to 2 s,
// then 503) exactly when a node starts under load, while it was already serving. Concurrent
// probes share one query: a probe that waited takes the answer of a query that began after
// it arrived, so no answer is older than its request, and a flood of probes costs the store
// one query at a time.
class ReadinessProbe {
 public:
  // Connects now, before the port accepts, so the first probe does not pay for it.
  explicit ReadinessProbe(const std::string& url);

  // True when the store answered a query begun after this call arrived.
  bool ready();

 private:
  store::Db db_;
  std::mutex mu_;
  bool asked_ = false;
  bool lastOk_ = false;
  std::chrono::steady_clock::time_point lastAsked_;
};

}  // namespace dispatch::app
