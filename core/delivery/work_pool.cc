// The engine's worker pool and its queue of claimed work.
#include "core/delivery/work_pool.h"

#include <algorithm>
#include <chrono>

#include "core/util/log.h"
#include "core/util/metrics.h"

namespace dispatch::delivery {

WorkPool::WorkPool(AttemptRunner& runner, CongestionControl& congestion, CompletionWriter& writer,
                   const Clock& clock, Options options, DueFn notifyDue, FreedFn roomFreed)
    : runner_(runner),
      congestion_(congestion),
      writer_(writer),
      clock_(clock),
      opts_(options),
      notifyDue_(std::move(notifyDue)),
      roomFreed_(std::move(roomFreed)) {}

void WorkPool::start() {
  for (int i = 0; i < opts_.workers; ++i) workers_.emplace_back([this] { workerLoop(); });
}

int WorkPool::capacity() const {
  std::lock_guard<std::mutex> g(mu_);
  return capacityLocked();
}

int WorkPool::capacityLocked() const {
  // Outcomes piling up uncommitted (a slow or absent store): claim nothing more for now.
  if (writer_.pending() > 4 * opts_.workers) return 0;
  // Claims run ahead of the workers by up to one batch, so a worker that finishes finds the
  // next delivery queued instead of waiting for a claim round trip (leases of queued work are
  // renewed like those of running work).
  return opts_.workers + opts_.claimBatch - busy_ - reserved_ - static_cast<int>(queue_.size());
}

void WorkPool::wakeWorkersLocked(size_t n) {
  // One worker per new item: waking every idle worker for each handed-over event made the
  // other 63 go back to sleep, and those context switches were a third of the process's CPU
  // under ingest load (perf, docs/benchmarks.md).
  if (n >= static_cast<size_t>(opts_.workers)) {
    workCv_.notify_all();
    return;
  }
  for (size_t i = 0; i < n; ++i) workCv_.notify_one();
}

void WorkPool::setDepthLocked() const {
  metrics::global().queueDepth.set(busy_ + static_cast<int64_t>(queue_.size()));
}

int WorkPool::reserve(int n) {
  std::lock_guard<std::mutex> g(mu_);
  if (stopping_ || n <= 0) return 0;
  int granted = std::max(0, std::min(n, capacityLocked()));
  reserved_ += granted;
  return granted;
}

LeaseList WorkPool::handOver(std::vector<model::Claimed> items, int reserved) {
  std::lock_guard<std::mutex> g(mu_);
  reserved_ -= reserved;
  LeaseList giveBack;
  if (stopping_) {
    for (const auto& c : items) giveBack.emplace_back(c.id, c.leaseSeq);
    return giveBack;
  }
  // Stored with a lease from the moment the work was created (dueAt for work handed over),
  // not from now: the group commit in between may have taken a while.
  TimeMs now = clock_.nowMs();
  for (auto& c : items) {
    TimeMs until = std::min(c.dueAt, now) + opts_.leaseMs;
    queue_.push_back(Queued{std::move(c), until});
  }
  setDepthLocked();
  wakeWorkersLocked(items.size());
  return giveBack;
}

void WorkPool::enqueue(std::vector<model::Claimed> items, TimeMs leaseUntil) {
  std::lock_guard<std::mutex> g(mu_);
  for (auto& c : items) queue_.push_back(Queued{std::move(c), leaseUntil});
  setDepthLocked();
  wakeWorkersLocked(items.size());
}

LeaseList WorkPool::leasesEndingBefore(TimeMs t) const {
  LeaseList held;
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& [id, h] : inFlight_) {
    if (h.leaseUntil < t) held.emplace_back(id, h.leaseSeq);
  }
  for (const auto& q : queue_) {
    if (q.leaseUntil < t) held.emplace_back(q.item.id, q.item.leaseSeq);
  }
  return held;
}

int WorkPool::applyRenewal(const std::unordered_map<std::string, int64_t>& asked,
                           const std::unordered_set<std::string>& renewed, TimeMs until) {
  std::lock_guard<std::mutex> g(mu_);
  for (auto& [id, h] : inFlight_) {
    auto a = asked.find(id);
    if (a != asked.end() && a->second == h.leaseSeq && renewed.count(id) > 0) h.leaseUntil = until;
  }
  // Queued work whose lease was not renewed belongs to someone else now (or is locked by
  // another transaction): it is not attempted here. It is claimed again, by whichever node,
  // once its lease runs out; the lease_seq fence would drop our outcome anyway.
  int lost = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    auto a = asked.find(it->item.id);
    if (a == asked.end() || a->second != it->item.leaseSeq) {
      ++it;
    } else if (renewed.count(it->item.id) > 0) {
      it->leaseUntil = until;
      ++it;
    } else {
      ++lost;
      it = queue_.erase(it);
    }
  }
  if (lost > 0) setDepthLocked();
  return lost;
}

void WorkPool::settle(const std::vector<model::Completion>& batch) {
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& c : batch) {
    auto it = inFlight_.find(c.deliveryId);
    if (it != inFlight_.end() && it->second.leaseSeq == c.leaseSeq) inFlight_.erase(it);
  }
  setDepthLocked();
}

void WorkPool::workerLoop() {
  while (true) {
    model::Claimed d;
    std::string key;
    int64_t started;
    {
      std::unique_lock<std::mutex> lock(mu_);
      workCv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      TimeMs leaseUntil = queue_.front().leaseUntil;
      d = std::move(queue_.front().item);
      queue_.pop_front();
      if (clock_.nowMs() >= leaseUntil) {
        // Its lease may have run out (renewals failing: the store is slow or away), so
        // another node may have it already: no attempt here. Whoever claims it first once
        // the lease is over delivers it, this node included.
        lock.unlock();
        log::warn("lease ran out before the attempt; left for the next claim",
                  {{"delivery_id", d.id}});
        notifyDue_(leaseUntil + 1);
        continue;
      }
      inFlight_[d.id] = Held{d.leaseSeq, leaseUntil};
      key = receiverKey(d.url);
      CongestionControl::Admission admission = congestion_.admit(key);
      if (admission.deferMs > 0) {
        // No attempt: the delivery goes back to the store, due later.
        model::Completion c;
        c.deliveryId = d.id;
        c.leaseSeq = d.leaseSeq;
        c.deferred = true;
        c.nextAttemptAt = clock_.nowMs() + admission.deferMs;
        writer_.add(std::move(c));
        continue;
      }
      started = admission.startedMs;
      ++busy_;
    }
    model::Completion c = runner_.run(d);
    {
      std::lock_guard<std::mutex> g(mu_);
      --busy_;
      congestion_.finish(key, started);
      // Handed to the writer under the lock that drops the count: stop() sees the attempt
      // either running here or pending there.
      writer_.add(std::move(c));
      if (stopping_) idleCv_.notify_all();
    }
    roomFreed_();
  }
}

void WorkPool::stopTaking() {
  std::lock_guard<std::mutex> g(mu_);
  stopping_ = true;
  workCv_.notify_all();
}

LeaseList WorkPool::takeUnstarted() {
  LeaseList unstarted;
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& q : queue_) unstarted.emplace_back(q.item.id, q.item.leaseSeq);
  queue_.clear();
  return unstarted;
}

void WorkPool::waitIdle(int64_t deadlineMs) {
  std::unique_lock<std::mutex> lock(mu_);
  while (busy_ > 0) {
    int64_t left = deadlineMs - clock_.monotonicMs();
    if (left <= 0) return;
    idleCv_.wait_for(lock, std::chrono::milliseconds(left));
  }
}

LeaseList WorkPool::held(bool* attemptsRunning) const {
  LeaseList running;
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& [id, h] : inFlight_) running.emplace_back(id, h.leaseSeq);
  *attemptsRunning = busy_ > 0;
  return running;
}

void WorkPool::finish(bool detach) {
  for (auto& w : workers_) {
    if (detach) {
      w.detach();
    } else {
      w.join();
    }
  }
  workers_.clear();
}

}  // namespace dispatch::delivery
