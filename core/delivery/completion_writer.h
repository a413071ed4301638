// The engine's completion writers: workers hand over attempt outcomes and take the next
// delivery at once, so an fsync's latency does not bound the delivery rate; a few threads
// commit what waits in batches (one transaction each, fenced by lease_seq), retrying while
// the store is away, then count, log and schedule what follows (a retry, a callback).
// Thread-safe (one mutex of its own).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/model/delivery.h"
#include "core/store/delivery_store.h"
#include "core/util/time.h"

namespace dispatch::delivery {

class CompletionWriter {
 public:
  // Something falls due at the given time (a retry, a deferral, a callback: 0).
  using DueFn = std::function<void(TimeMs)>;
  // A batch is done with (written, dropped as not ours, or given up on) and no longer
  // counted as pending: its leases are no longer held by this node.
  using SettledFn = std::function<void(const std::vector<model::Completion>&)>;

  // Commits through `store`, at most `batch` outcomes per transaction.
  CompletionWriter(store::DeliveryStore& store, const Clock& clock, int batch, DueFn notifyDue,
                   SettledFn settled);
  ~CompletionWriter();
  CompletionWriter(const CompletionWriter&) = delete;
  CompletionWriter& operator=(const CompletionWriter&) = delete;

  // Starts `writers` threads (at least 1).
  void start(int writers);
  // Queues one outcome for the next batch.
  void add(model::Completion c);
  // Outcomes waiting or being committed: claims pause while too many pile up.
  int pending() const;
  // Waits until no outcome waits or is being committed, or the monotonic `deadlineMs` passes.
  void waitIdle(int64_t deadlineMs);
  // Stops retrying a store that is away, commits what still waits, and joins the threads.
  void stop();

 private:
  void loop();
  // Commits a batch of outcomes (retrying while the store is down); `ours[i]` false when
  // completion i lost its lease. False if the batch could not be written at all.
  bool commit(const std::vector<model::Completion>& batch, std::vector<bool>* ours);
  void afterCommit(const model::Completion& c);

  store::DeliveryStore& store_;
  const Clock& clock_;
  const int batch_;
  DueFn notifyDue_;
  SettledFn settled_;

  mutable std::mutex mu_;
  std::condition_variable doneCv_;   // an outcome arrived, or stopping
  std::condition_variable retryCv_;  // stopping: ends a back-off while the store is down
  std::condition_variable idleCv_;   // nothing waits or is being committed
  std::deque<model::Completion> done_;
  int committing_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace dispatch::delivery
