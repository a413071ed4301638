// The delivery engine: an in-memory min-heap of due times refilled from the store, a
// scheduler thread that wakes at the due millisecond and claims due rows (SKIP LOCKED,
// leased), LISTEN/NOTIFY to hear of work created elsewhere, a bounded worker pool, and
// completion writers that commit attempt outcomes in batches.
// Claims are short leases kept alive by a heartbeat (one statement renews every lease the
// node holds), so the work of a node that dies is claimed again by the others within about
// one lease; the scheduler wakes at the moment the next lease in the store runs out.
// Jobs, routed events and callbacks all go through it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/delivery/attempt_runner.h"
#include "core/delivery/handoff.h"
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

// The receiver a delivery goes to, for congestion accounting: "scheme://host:port" of `url`.
std::string receiverKey(const std::string& url);

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

  // Handoff: deliveries stored already leased to this node.
  int reserve(int n) override;
  void handOver(std::vector<model::Claimed> items, int reserved) override;
  int64_t leaseMs() const override { return opts_.leaseMs; }

 private:
  void schedulerLoop();
  void listenLoop();
  void workerLoop();
  void renewLoop();
  void completionLoop();
  void refillHeap(TimeMs now);
  void armNextLeaseExpiry(TimeMs now);  // wakes the scheduler when the next lease runs out
  int claimOnce(TimeMs now);
  // One heartbeat: renews the leases held (`now` is when they were read) and drops queued
  // work whose lease was not renewed. An error when the store did not answer.
  Status renewHeld(TimeMs now);
  int capacityLocked() const;        // with mu_ held: how many more claims fit
  void wakeWorkersLocked(size_t n);  // with mu_ held: wakes a worker for each of n new items
  // Commits a batch of outcomes (retrying while the store is down); `ours[i]` false when
  // completion i lost its lease. False if the batch could not be written at all.
  bool commitCompletions(const std::vector<model::Completion>& batch, std::vector<bool>* ours);
  void afterCommit(const model::Completion& c);
  // With mu_ held: when `key` is congested, how long to defer a delivery to it; else 0.
  int64_t congestionDeferMs(const std::string& key, int64_t nowSteadyMs) const;

  // Claimed or handed-over work not started yet, with the time its lease runs out as far as
  // this node knows (the lease it wrote, or its last renewal).
  struct Queued {
    model::Claimed item;
    TimeMs leaseUntil = 0;
  };
  struct Held {
    int64_t leaseSeq = 0;
    TimeMs leaseUntil = 0;
  };

  store::Db& db_;
  // The scheduler and the renewer have a connection each, outside the shared pool: a busy
  // pool must not delay a claim due now, nor a renewal until the leases run out.
  store::Db schedDb_;
  store::Db leaseDb_;
  store::DeliveryStore store_;       // completions and releases, through the pool
  store::DeliveryStore schedStore_;  // claims, due times, lease expiries
  store::DeliveryStore leaseStore_;  // renewals
  AttemptRunner runner_;
  const Clock& clock_;
  EngineOptions opts_;
  int64_t heartbeatMs_;  // opts_.heartbeatMs resolved
  std::string dbUrl_;

  std::mutex mu_;
  std::condition_variable schedCv_;
  std::condition_variable workCv_;
  std::condition_variable renewCv_;
  std::priority_queue<TimeMs, std::vector<TimeMs>, std::greater<TimeMs>> heap_;
  std::deque<Queued> queue_;
  // Started work whose outcome is not committed yet, by id. Leases renewed.
  std::unordered_map<std::string, Held> inFlight_;
  TimeMs armedLeaseExpiry_ = 0;  // the last lease expiry pushed on the heap
  int busy_ = 0;                 // attempts running
  int reserved_ = 0;             // room promised to handOver() callers
  // Start times (steady ms) of the attempts in flight, per receiver.
  std::unordered_map<std::string, std::multiset<int64_t>> receiverStarts_;
  // Moving average of attempt durations (ms) per receiver.
  std::unordered_map<std::string, double> receiverLatency_;
  // Outcomes waiting for their commit. Workers hand them over and take the next delivery at
  // once, so an fsync's latency does not bound the delivery rate; claims pause while too
  // many wait.
  std::condition_variable doneCv_;
  std::condition_variable idleCv_;  // stop() waits here for the last attempt and outcome
  std::deque<model::Completion> done_;
  int committing_ = 0;
  bool completionsStop_ = false;
  std::vector<std::thread> completers_;
  std::atomic<bool> backlog_{false};  // the last claim filled its batch: more may be due
  std::atomic<bool> stopping_{false};
  bool renewStop_ = false;  // with mu_: stop() ends the heartbeat last, after the grace period
  std::atomic<bool> started_{false};

  std::thread scheduler_;
  std::thread listener_;
  std::thread renewer_;  // keeps the leases of claimed work alive while it runs
  std::vector<std::thread> workers_;
};

}  // namespace dispatch::delivery
