// The delivery engine: an in-memory min-heap of due times refilled from the store, a
// scheduler thread that wakes at the due millisecond and claims due rows (SKIP LOCKED,
// leased), LISTEN/NOTIFY to hear of work created elsewhere, and a bounded worker pool.
// Jobs, routed events and callbacks all go through it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "core/delivery/attempt_runner.h"
#include "core/store/delivery_store.h"

namespace dispatch::delivery {

struct EngineOptions {
  int workers = 64;            // concurrent attempts. Default: 64
  int64_t leaseMs = 45'000;    // a claim's lease, renewed every third while held. Default: 45s
  int claimBatch = 256;        // rows per claim query at most. Default: 256
  int64_t pollMs = 1'000;      // safety poll (missed notifications, expired leases). Default: 1s
  int64_t horizonMs = 60'000;  // due times kept in memory ahead. Default: 60s
};

class Engine {
 public:
  // With `committer`, attempt completions are group-committed.
  Engine(store::Db& db, RoutingSource routing, plugin::HttpSender& http, const Clock& clock,
         EngineOptions options, store::GroupCommitter* committer = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void start();
  // Stops claiming, hands back claimed work not yet started, waits up to `graceMs` for
  // in-flight attempts, then releases the leases of those still running. Idempotent.
  void stop(int64_t graceMs);
  // Something becomes due at `due` (created on this node, or heard of via NOTIFY).
  void notifyDue(TimeMs due);

 private:
  void schedulerLoop();
  void listenLoop();
  void workerLoop();
  void renewLoop();
  void refillHeap(TimeMs now);
  int claimOnce(TimeMs now);
  void finish(const Completion& c);

  store::Db& db_;
  store::DeliveryStore store_;
  AttemptRunner runner_;
  const Clock& clock_;
  EngineOptions opts_;
  std::string dbUrl_;

  std::mutex mu_;
  std::condition_variable schedCv_;
  std::condition_variable workCv_;
  std::condition_variable renewCv_;
  std::priority_queue<TimeMs, std::vector<TimeMs>, std::greater<TimeMs>> heap_;
  std::deque<Claimed> queue_;
  std::vector<std::pair<std::string, int64_t>> inFlight_;  // id, leaseSeq
  int busy_ = 0;
  std::atomic<bool> backlog_{false};  // the last claim filled its batch: more may be due
  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};

  std::thread scheduler_;
  std::thread listener_;
  std::thread renewer_;  // keeps the leases of claimed work alive while it runs
  std::vector<std::thread> workers_;
};

}  // namespace dispatch::delivery
