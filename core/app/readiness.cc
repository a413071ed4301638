// The readiness probe's one shared query at a time.
#include "core/app/readiness.h"

namespace dispatch::app {

ReadinessProbe::ReadinessProbe(const std::string& url) : db_(url, 1) { ready(); }

bool ReadinessProbe::ready() {
  const auto arrived = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> g(mu_);
  if (asked_ && lastAsked_ >= arrived) return lastOk_;
  lastAsked_ = std::chrono::steady_clock::now();
  lastOk_ = db_.ping();  // a broken connection is opened again by the next probe
  asked_ = true;
  return lastOk_;
}

}  // namespace dispatch::app
