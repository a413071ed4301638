// The engine's workers and the work they take: claimed or handed-over deliveries queued
// with the time their lease runs out, a fixed pool of threads attempting them, and the
// leases held for work started but not yet committed (renewed by the LeaseRenewer). A
// worker attempts nothing whose lease may have run out, and defers without an attempt a
// delivery to a congested receiver; every outcome goes to the CompletionWriter.
// Thread-safe. Locks: its own mutex, taken before the writer's or the congestion's.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/delivery/attempt_runner.h"
#include "core/delivery/completion_writer.h"
#include "core/delivery/congestion.h"
#include "core/model/delivery.h"
#include "core/util/time.h"

namespace dispatch::delivery {

// Deliveries by id and lease_seq: what a lease renewal or a release is fenced by.
using LeaseList = std::vector<std::pair<std::string, int64_t>>;

class WorkPool {
 public:
  struct Options {
    int workers = 64;
    int claimBatch = 256;  // claims run ahead of the workers by up to this many
    int64_t leaseMs = 3'000;
  };
  // Something falls due at the given time (work left for the next claim).
  using DueFn = std::function<void(TimeMs)>;
  // A worker finished an attempt: there may be room for a claim.
  using FreedFn = std::function<void()>;

  WorkPool(AttemptRunner& runner, CongestionControl& congestion, CompletionWriter& writer,
           const Clock& clock, Options options, DueFn notifyDue, FreedFn roomFreed);
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void start();

  // How many more deliveries may be claimed now (0 while outcomes pile up uncommitted).
  int capacity() const;
  // Reserves room for up to `n` handed-over deliveries; how many were granted (0 once
  // stopping).
  int reserve(int n);
  // Ends a reservation of `reserved` and queues `items`, leased from when they were created.
  // Once stopping nothing is queued: returns the items for the caller to release.
  LeaseList handOver(std::vector<model::Claimed> items, int reserved);
  // Queues claimed work whose lease runs out at `leaseUntil` (also while stopping: stop()
  // hands it back with the rest).
  void enqueue(std::vector<model::Claimed> items, TimeMs leaseUntil);

  // The leases held (queued or started) that run out before `t`.
  LeaseList leasesEndingBefore(TimeMs t) const;
  // The result of renewing the leases `asked` (id → lease_seq): those in `renewed` now run
  // until `until`; queued work asked for and not renewed was taken over and is dropped.
  // Returns how many were dropped.
  int applyRenewal(const std::unordered_map<std::string, int64_t>& asked,
                   const std::unordered_set<std::string>& renewed, TimeMs until);
  // These outcomes are committed (or given up on): their leases are no longer held.
  void settle(const std::vector<model::Completion>& batch);

  // Workers take nothing more; reserve() grants nothing; handOver() queues nothing.
  void stopTaking();
  // Empties the queue of work not started; returns it for release.
  LeaseList takeUnstarted();
  // Waits until no attempt runs (after stopTaking()), or the monotonic `deadlineMs` passes.
  void waitIdle(int64_t deadlineMs);
  // Leases of work started and not settled; `attemptsRunning` whether an attempt still runs.
  LeaseList held(bool* attemptsRunning) const;
  // Joins the workers, or with `detach` (an attempt outlived the grace period) lets them go.
  void finish(bool detach);

 private:
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

  void workerLoop();
  int capacityLocked() const;        // with mu_ held
  void wakeWorkersLocked(size_t n);  // with mu_ held: wakes a worker for each of n new items
  void setDepthLocked() const;       // with mu_ held: the queue depth metric

  AttemptRunner& runner_;
  CongestionControl& congestion_;
  CompletionWriter& writer_;
  const Clock& clock_;
  const Options opts_;
  DueFn notifyDue_;
  FreedFn roomFreed_;

  mutable std::mutex mu_;
  std::condition_variable workCv_;  // work queued, or stopping
  std::condition_variable idleCv_;  // stopping and an attempt ended
  std::deque<Queued> queue_;
  // Started work whose outcome is not committed yet, by id. Leases renewed.
  std::unordered_map<std::string, Held> inFlight_;
  int busy_ = 0;      // attempts running
  int reserved_ = 0;  // room promised to handOver() callers
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace dispatch::delivery
