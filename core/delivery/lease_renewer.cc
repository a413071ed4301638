// The lease heartbeat of the delivery engine.
#include "core/delivery/lease_renewer.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "core/util/log.h"

namespace dispatch::delivery {

LeaseRenewer::LeaseRenewer(const std::string& dbUrl, WorkPool& pool, const Clock& clock,
                           int64_t leaseMs, int64_t heartbeatMs)
    : db_(dbUrl, 1),
      store_(db_),
      pool_(pool),
      clock_(clock),
      leaseMs_(leaseMs),
      heartbeatMs_(heartbeatMs) {}

LeaseRenewer::~LeaseRenewer() { stop(); }

void LeaseRenewer::start() {
  thread_ = std::thread([this] { loop(); });
}

void LeaseRenewer::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void LeaseRenewer::loop() {
  // After a failure, try again soon rather than a heartbeat later: the leases are running out.
  const int64_t retry = std::clamp<int64_t>(heartbeatMs_ / 4, 10, 250);
  int64_t next = clock_.monotonicMs() + heartbeatMs_;
  TimeMs failingSince = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        int64_t left = next - clock_.monotonicMs();
        if (left <= 0) break;
        cv_.wait_for(lock, std::chrono::milliseconds(left));
      }
      if (stop_) return;
    }
    int64_t started = clock_.monotonicMs();
    TimeMs now = clock_.nowMs();
    if (Status st = renewHeld(now); st) {
      if (failingSince != 0) {
        log::info("lease renewal recovered",
                  {{"failing_ms", static_cast<long long>(now - failingSince)}});
      }
      failingSince = 0;
      next = started + heartbeatMs_;  // a steady beat, however long the statement took
    } else {
      if (failingSince == 0) {  // once per outage, not at every retry
        log::warn("lease renewal failed", {{"error", st.message()}});
        failingSince = now;
      }
      next = started + retry;
    }
  }
}

Status LeaseRenewer::renewHeld(TimeMs now) {
  // A lease taken less than half a heartbeat ago waits for the next beat: under load most
  // work is done within a beat, and each renewal is a write to an indexed column.
  LeaseList held = pool_.leasesEndingBefore(now + leaseMs_ - heartbeatMs_ / 2);
  if (held.empty()) return Status::ok();
  auto renewed = store_.renew(held, now, leaseMs_);
  if (!renewed) return renewed.status();
  std::unordered_map<std::string, int64_t> asked(held.begin(), held.end());
  std::unordered_set<std::string> ok(renewed->begin(), renewed->end());
  int lost = pool_.applyRenewal(asked, ok, now + leaseMs_);
  if (lost > 0) {
    log::warn("leases lost before the attempt; left for the next claim",
              {{"count", static_cast<long long>(lost)}});
  }
  return Status::ok();
}

}  // namespace dispatch::delivery
