// The delivery engine: the composition of its parts, each with one job and its own lock —
// the Scheduler (a DueSchedule of due times refilled from the store, woken at the due
// millisecond to claim due rows, SKIP LOCKED and leased, and LISTEN/NOTIFY to hear of work
// created elsewhere), the WorkPool (a bounded pool of workers and their queue of claimed
// work), CongestionControl (per-receiver attempts in flight), the CompletionWriter (attempt
// outcomes committed in batches) and the LeaseRenewer (the heartbeat of the leases held).
// Claims are short leases kept alive by the heartbeat (one statement renews every lease the
// node holds), so the work of a node that dies is claimed again by the others within about
// one lease; the scheduler wakes at the moment the next lease in the store runs out.
// Jobs, routed events and callbacks all go through it.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "core/delivery/attempt_runner.h"
#include "core/delivery/completion_writer.h"
#include "core/delivery/congestion.h"
#include "core/delivery/destination_health.h"
#include "core/delivery/handoff.h"
#include "core/delivery/lease_renewer.h"
#include "core/delivery/scheduler.h"
#include "core/delivery/work_pool.h"
#include "core/store/delivery_store.h"

namespace dispatch::delivery {

struct EngineOptions {
  int workers = 64;  // concurrent attempts. Default: 64
  // How long a claim lasts unless renewed. A node that dies stops renewing, and the other
  // nodes claim its deliveries again as their leases run out: within about `leaseMs` of
  // the death. Default: 3s
  int64_t leaseMs = 3'000;
  // How often the node renews the leases it holds (all in one statement; leases taken less
  // than half a heartbeat ago are left for the next). 0 = leaseMs / 3. Below leaseMs / 2,
  // so a renewal that fails leaves time for the next. Default: 0
  int64_t heartbeatMs = 0;
  int claimBatch = 256;        // rows per claim query at most. Default: 256
  int64_t pollMs = 1'000;      // safety poll (missed notifications, expired leases). Default: 1s
  int64_t horizonMs = 60'000;  // due times kept in memory ahead. Default: 60s
  int completionWriters = 2;   // threads committing attempt outcomes in batches. Default: 2
  int completionBatch = 1024;  // outcomes per transaction at most. Default: 1024
  // A receiver (scheme://host:port) is congested when this many attempts to it are in
  // flight and either the oldest has run longer than congestedAfterMs or its recent attempts
  // took longer than slowReceiverMs on average: its further deliveries are deferred (no
  // attempt) instead of taking more workers, so a slow receiver cannot starve the others.
  // A fast receiver can still use every worker. 0 = workers / 8 (at least 1). Default: 0
  int congestedInFlight = 0;
  int64_t congestedAfterMs = 200;  // Default: 200ms
  int64_t slowReceiverMs = 1'000;  // Default: 1s
};

class Engine : public Handoff {
 public:
  // With `committer`, attempt completions are group-committed.
  Engine(store::Db& db, RoutingSource routing, plugin::HttpSender& http, const Clock& clock,
         EngineOptions options, store::GroupCommitter* committer = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void start();
  // Stops claiming, hands back claimed work not yet started, waits up to `graceMs` for
  // in-flight attempts (still renewing their leases), then releases the leases of those still
  // running. Idempotent.
  void stop(int64_t graceMs);
  // Something becomes due at `due` (created on this node, or heard of via NOTIFY).
  void notifyDue(TimeMs due);
  // Destination gates (pause, circuit breaker) and health as this node sees them.
  DestinationHealth& health() { return health_; }

  // Handoff: deliveries stored already leased to this node.
  int reserve(int n) override;
  void handOver(std::vector<model::Claimed> items, int reserved) override;
  int64_t leaseMs() const override { return opts_.leaseMs; }

 private:
  store::DeliveryStore store_;  // completions and releases, through the shared pool
  DestinationHealth health_;    // before runner_, which holds it
  AttemptRunner runner_;
  const Clock& clock_;
  const EngineOptions opts_;
  // Each part's threads end in stop(), which stops the writer before the parts its callbacks
  // use (pool, scheduler); the destructor calls stop().
  CongestionControl congestion_;
  CompletionWriter writer_;
  WorkPool pool_;
  Scheduler scheduler_;
  LeaseRenewer renewer_;

  std::mutex stopMu_;  // one stop() at a time
  std::atomic<bool> started_{false};
  bool stopped_ = false;  // with stopMu_
};

}  // namespace dispatch::delivery
