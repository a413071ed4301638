// Scheduler, listener and workers of the delivery engine.
#include "core/delivery/engine.h"

#include <algorithm>
#include <chrono>

#include "core/store/due_listener.h"
#include "core/util/log.h"
#include "core/util/metrics.h"

namespace dispatch::delivery {
Engine::Engine(store::Db& db, RoutingSource routing, plugin::HttpSender& http, const Clock& clock,
               EngineOptions options, store::GroupCommitter* committer)
    : db_(db), store_(db, committer), runner_(std::move(routing), http, clock), clock_(clock),
      opts_(options), dbUrl_(db.url()) {}

Engine::~Engine() { stop(0); }

void Engine::start() {
  if (started_.exchange(true)) return;
  scheduler_ = std::thread([this] { schedulerLoop(); });
  listener_ = std::thread([this] { listenLoop(); });
  renewer_ = std::thread([this] { renewLoop(); });
  for (int i = 0; i < opts_.workers; ++i) workers_.emplace_back([this] { workerLoop(); });
}

void Engine::notifyDue(TimeMs due) {
  std::lock_guard<std::mutex> g(mu_);
  heap_.push(due);
  schedCv_.notify_one();
}

void Engine::refillHeap(TimeMs now) {
  auto times = store_.dueTimes(now, now + opts_.horizonMs, 10'000);
  auto leases = store_.leaseExpiries(now + opts_.horizonMs, 1'000);
  std::lock_guard<std::mutex> g(mu_);
  if (times) for (TimeMs t : times.value()) heap_.push(t);
  if (leases) for (TimeMs t : leases.value()) heap_.push(t);
}

int Engine::claimOnce(TimeMs now) {
  int capacity;
  {
    std::lock_guard<std::mutex> g(mu_);
    capacity = opts_.workers - busy_ - static_cast<int>(queue_.size());
  }
  if (capacity <= 0) {
    std::lock_guard<std::mutex> g(mu_);
    backlog_ = true;  // come back when a worker frees up
    return 0;
  }
  int limit = std::min(capacity, opts_.claimBatch);
  auto claimed = store_.claimDue(limit, now, opts_.leaseMs);
  if (!claimed) {
    log::warn("claim failed", {{"error", claimed.status().message()}});
    return -1;
  }
  int n = static_cast<int>(claimed->size());
  std::lock_guard<std::mutex> g(mu_);
  backlog_ = n >= limit;
  for (auto& c : claimed.value()) queue_.push_back(std::move(c));
  metrics::global().queueDepth.set(busy_ + static_cast<int64_t>(queue_.size()));
  if (n > 0) workCv_.notify_all();
  return n;
}

void Engine::schedulerLoop() {
  TimeMs nextPoll = 0;
  TimeMs nextRefill = 0;
  while (true) {
    TimeMs now = clock_.nowMs();
    if (now >= nextRefill) {
      refillHeap(now);
      nextRefill = now + opts_.horizonMs / 2;
    }
    bool due = false;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stopping_) return;
      while (!heap_.empty() && heap_.top() <= now) {
        heap_.pop();
        due = true;
      }
      due = due || backlog_;
    }
    if (due || now >= nextPoll) {
      int n;
      do {
        n = claimOnce(clock_.nowMs());
      } while (n > 0 && backlog_ && !stopping_);
      if (now >= nextPoll) nextPoll = now + opts_.pollMs;
      if (n < 0) {
        // The store is down: back off a little rather than spin.
        std::unique_lock<std::mutex> lock(mu_);
        schedCv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_.load(); });
        continue;
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    TimeMs wake = std::min(nextPoll, nextRefill);
    if (!heap_.empty()) wake = std::min(wake, heap_.top());
    bool backlogReady = backlog_ && busy_ + static_cast<int>(queue_.size()) < opts_.workers;
    if (backlogReady) continue;
    TimeMs wait = wake - clock_.nowMs();
    if (wait > 0) {
      schedCv_.wait_for(lock, std::chrono::milliseconds(wait));
    }
  }
}

void Engine::listenLoop() {
  store::listenForDue(dbUrl_, stopping_, [this](TimeMs t) { notifyDue(t); });
}

void Engine::renewLoop() {
  // Every third of a lease, so one failed renewal still leaves time for the next. A node
  // that dies stops renewing and its leases run out: short leases mean fast recovery
  // without live attempts being taken over.
  const auto every = std::chrono::milliseconds(std::max<int64_t>(opts_.leaseMs / 3, 50));
  while (true) {
    std::vector<std::pair<std::string, int64_t>> held;
    {
      std::unique_lock<std::mutex> lock(mu_);
      renewCv_.wait_for(lock, every, [&] { return stopping_.load(); });
      if (stopping_) return;
      held = inFlight_;
      for (const auto& d : queue_) held.emplace_back(d.id, d.leaseSeq);
    }
    if (Status st = store_.renew(held, clock_.nowMs(), opts_.leaseMs); !st) {
      log::warn("lease renewal failed", {{"error", st.message()}});
    }
  }
}

void Engine::workerLoop() {
  while (true) {
    Claimed d;
    {
      std::unique_lock<std::mutex> lock(mu_);
      workCv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      d = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      inFlight_.emplace_back(d.id, d.leaseSeq);
    }
    Completion c = runner_.run(d);
    finish(c);
    {
      std::lock_guard<std::mutex> g(mu_);
      --busy_;
      metrics::global().queueDepth.set(busy_ + static_cast<int64_t>(queue_.size()));
      auto it = std::find(inFlight_.begin(), inFlight_.end(), std::make_pair(d.id, d.leaseSeq));
      if (it != inFlight_.end()) inFlight_.erase(it);
      if (backlog_) schedCv_.notify_one();
      workCv_.notify_all();
    }
  }
}

void Engine::finish(const Completion& c) {
  // A store outage must not lose the outcome: retry for a while. If it never comes back,
  // the lease expires and the delivery is attempted again (at least once, never lost).
  for (int i = 0; i < 50; ++i) {
    Status st = store_.complete(c);
    if (st.isOk()) break;
    if (st.code() == Code::kConflict) {
      log::warn("lease lost; outcome dropped", {{"delivery_id", c.deliveryId}});
      return;
    }
    if (st.code() != Code::kUnavailable) {
      log::error("completion failed", {{"delivery_id", c.deliveryId}, {"error", st.message()}});
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    workCv_.wait_for(lock, std::chrono::milliseconds(200));
  }
  auto& m = metrics::global();
  if (c.deferred) {
    m.deliveryDeferred.inc();
    notifyDue(c.nextAttemptAt);
    return;
  }
  m.attemptLatency.observeMs(c.attempt.durationMs);
  (c.next == State::kSuccess ? m.deliverySuccess
                             : c.next == State::kDead ? m.deliveryDead : m.deliveryRetry)
      .inc();
  log::info("attempt", {{"delivery_id", c.deliveryId},
                        {"attempt", c.attempt.attempt},
                        {"status", toString(c.next)},
                        {"duration_ms", static_cast<long long>(c.attempt.durationMs)}});
  if (c.next == State::kFailed) notifyDue(c.nextAttemptAt);
  if (c.callback) notifyDue(0);
}

void Engine::stop(int64_t graceMs) {
  if (!started_.load()) return;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    schedCv_.notify_all();
    workCv_.notify_all();
    renewCv_.notify_all();
  }
  if (scheduler_.joinable()) scheduler_.join();
  if (listener_.joinable()) listener_.join();
  if (renewer_.joinable()) renewer_.join();
  // Only now that the scheduler has stopped can nothing more be claimed: a claim that was
  // in progress when we began stopping is handed back too. Workers take nothing once
  // stopping_ is set.
  std::vector<std::pair<std::string, int64_t>> unstarted;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& d : queue_) unstarted.emplace_back(d.id, d.leaseSeq);
    queue_.clear();
  }
  store_.release(unstarted);
  // Wait for in-flight attempts to finish recording.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(graceMs);
  std::vector<std::pair<std::string, int64_t>> running;
  {
    std::unique_lock<std::mutex> lock(mu_);
    workCv_.wait_until(lock, deadline, [&] { return busy_ == 0; });
    running = inFlight_;
  }
  if (!running.empty()) {
    // Still running past the grace period: give the work back (fenced by lease_seq) so
    // another node or the next start delivers it.
    store_.release(running);
    for (auto& w : workers_) w.detach();
  } else {
    for (auto& w : workers_) w.join();
  }
  workers_.clear();
}

}  // namespace dispatch::delivery
