// Completion writers: batch commits of attempt outcomes, metrics and follow-ups.
#include "core/delivery/completion_writer.h"

#include <algorithm>
#include <chrono>

#include "core/util/log.h"
#include "core/util/metrics.h"

namespace dispatch::delivery {

CompletionWriter::CompletionWriter(store::DeliveryStore& store, const Clock& clock, int batch,
                                   DueFn notifyDue, SettledFn settled)
    : store_(store),
      clock_(clock),
      batch_(std::max(1, batch)),
      notifyDue_(std::move(notifyDue)),
      settled_(std::move(settled)) {}

CompletionWriter::~CompletionWriter() { stop(); }

void CompletionWriter::start(int writers) {
  for (int i = 0; i < std::max(1, writers); ++i) threads_.emplace_back([this] { loop(); });
}

void CompletionWriter::add(model::Completion c) {
  std::lock_guard<std::mutex> g(mu_);
  done_.push_back(std::move(c));
  doneCv_.notify_one();
}

int CompletionWriter::pending() const {
  std::lock_guard<std::mutex> g(mu_);
  return static_cast<int>(done_.size()) + committing_;
}

void CompletionWriter::waitIdle(int64_t deadlineMs) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!(done_.empty() && committing_ == 0)) {
    int64_t left = deadlineMs - clock_.monotonicMs();
    if (left <= 0) return;
    idleCv_.wait_for(lock, std::chrono::milliseconds(left));
  }
}

void CompletionWriter::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    doneCv_.notify_all();
    retryCv_.notify_all();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void CompletionWriter::loop() {
  std::vector<model::Completion> batch;
  std::vector<bool> ours;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      doneCv_.wait(lock, [&] { return stop_ || !done_.empty(); });
      if (done_.empty()) return;  // stopping, nothing left
      while (!done_.empty() && static_cast<int>(batch.size()) < batch_) {
        batch.push_back(std::move(done_.front()));
        done_.pop_front();
      }
      committing_ += static_cast<int>(batch.size());
      if (!done_.empty()) doneCv_.notify_one();  // another writer can commit alongside
    }
    int64_t t0 = clock_.monotonicMs();
    bool written = commit(batch, &ours);
    metrics::global().storeCommitLatency.observeMs(clock_.monotonicMs() - t0);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!written) continue;  // logged; the leases run out and the work is attempted again
      if (ours[i]) {
        afterCommit(batch[i]);
      } else {
        log::warn("lease lost; outcome dropped", {{"delivery_id", batch[i].deliveryId}});
      }
    }
    {
      std::lock_guard<std::mutex> g(mu_);
      committing_ -= static_cast<int>(batch.size());
      if (done_.empty() && committing_ == 0) idleCv_.notify_all();
    }
    // After the count drops, so that a claim waiting for room sees it.
    settled_(batch);
    batch.clear();
  }
}

bool CompletionWriter::commit(const std::vector<model::Completion>& batch,
                              std::vector<bool>* ours) {
  // A store outage must not lose the outcomes: retry for a while. If it never comes back,
  // the leases expire and the deliveries are attempted again (at least once, never lost).
  for (int i = 0; i < 50; ++i) {
    Status st = store_.completeBatch(batch, ours);
    if (st.isOk()) return true;
    if (st.code() != Code::kUnavailable) {
      // Something in one outcome spoiled the batch: write each alone, so the rest land.
      log::warn("completion batch failed; writing one by one", {{"error", st.message()}});
      ours->assign(batch.size(), false);
      for (size_t k = 0; k < batch.size(); ++k) {
        Status one = store_.complete(batch[k]);
        (*ours)[k] = one.isOk();
        if (!one && one.code() != Code::kConflict) {
          log::error("completion failed",
                     {{"delivery_id", batch[k].deliveryId}, {"error", one.message()}});
        }
      }
      return true;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) break;
    // Its own condition variable: outcomes arriving meanwhile must neither cut the back-off
    // short (spending the ~10 s of retries in a moment) nor be swallowed by this wait.
    retryCv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; });
  }
  log::error("completions not recorded; the store is unavailable",
             {{"count", static_cast<long long>(batch.size())}});
  return false;
}

void CompletionWriter::afterCommit(const model::Completion& c) {
  auto& m = metrics::global();
  if (c.held) {
    m.deliveryHeld.inc();  // waits in the store until its destination's gate opens
    return;
  }
  if (c.deferred) {
    m.deliveryDeferred.inc();
    notifyDue_(c.nextAttemptAt);
    return;
  }
  m.attemptLatency.observeMs(c.attempt.durationMs);
  (c.next == model::State::kSuccess ? m.deliverySuccess
   : c.next == model::State::kDead  ? m.deliveryDead
                                    : m.deliveryRetry)
      .inc();
  log::info("attempt", {{"delivery_id", c.deliveryId},
                        {"attempt", c.attempt.attempt},
                        {"status", toString(c.next)},
                        {"duration_ms", static_cast<long long>(c.attempt.durationMs)}});
  if (c.next == model::State::kFailed) notifyDue_(c.nextAttemptAt);
  if (c.callback) notifyDue_(0);
}

}  // namespace dispatch::delivery
