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
    : db_(db),
      store_(db, committer),
      runner_(std::move(routing), http, clock),
      clock_(clock),
      opts_(options),
      dbUrl_(db.url()) {}

Engine::~Engine() { stop(0); }

void Engine::start() {
  if (started_.exchange(true)) return;
  scheduler_ = std::thread([this] { schedulerLoop(); });
  listener_ = std::thread([this] { listenLoop(); });
  renewer_ = std::thread([this] { renewLoop(); });
  for (int i = 0; i < opts_.workers; ++i) workers_.emplace_back([this] { workerLoop(); });
  for (int i = 0; i < std::max(1, opts_.completionWriters); ++i) {
    completers_.emplace_back([this] { completionLoop(); });
  }
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
  if (times)
    for (TimeMs t : times.value()) heap_.push(t);
  if (leases)
    for (TimeMs t : leases.value()) heap_.push(t);
}

int Engine::capacityLocked() const {
  // Outcomes piling up uncommitted (a slow or absent store): claim nothing more for now.
  if (static_cast<int>(done_.size()) + committing_ > 4 * opts_.workers) return 0;
  // Claims run ahead of the workers by up to one batch, so a worker that finishes finds the
  // next delivery queued instead of waiting for a claim round trip (leases of queued work are
  // renewed like those of running work).
  return opts_.workers + opts_.claimBatch - busy_ - reserved_ - static_cast<int>(queue_.size());
}

void Engine::wakeWorkersLocked(size_t n) {
  // One worker per new item: waking every idle worker for each handed-over event made the
  // other 63 go back to sleep, and those context switches were a third of the process's CPU
  // under ingest load (perf, docs/benchmarks.md).
  if (n >= static_cast<size_t>(opts_.workers)) {
    workCv_.notify_all();
    return;
  }
  for (size_t i = 0; i < n; ++i) workCv_.notify_one();
}

int Engine::reserve(int n) {
  std::lock_guard<std::mutex> g(mu_);
  if (stopping_ || n <= 0) return 0;
  int granted = std::max(0, std::min(n, capacityLocked()));
  reserved_ += granted;
  return granted;
}

void Engine::handOver(std::vector<Claimed> items, int reserved) {
  std::vector<std::pair<std::string, int64_t>> giveBack;
  {
    std::lock_guard<std::mutex> g(mu_);
    reserved_ -= reserved;
    if (!stopping_) {
      for (auto& c : items) queue_.push_back(std::move(c));
      metrics::global().queueDepth.set(busy_ + static_cast<int64_t>(queue_.size()));
      wakeWorkersLocked(items.size());
      return;
    }
    // Stopping: the work goes back to the store at once (fenced by lease_seq), as unstarted
    // queued work does, rather than waiting out its lease.
    for (const auto& c : items) giveBack.emplace_back(c.id, c.leaseSeq);
  }
  store_.release(giveBack);
}

int Engine::claimOnce(TimeMs now) {
  int capacity;
  {
    std::lock_guard<std::mutex> g(mu_);
    capacity = capacityLocked();
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
  wakeWorkersLocked(static_cast<size_t>(n));
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
    bool backlogReady = backlog_ && capacityLocked() > 0;
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
      held.assign(inFlight_.begin(), inFlight_.end());
      for (const auto& d : queue_) held.emplace_back(d.id, d.leaseSeq);
    }
    if (Status st = store_.renew(held, clock_.nowMs(), opts_.leaseMs); !st) {
      log::warn("lease renewal failed", {{"error", st.message()}});
    }
  }
}

std::string receiverKey(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  return url.substr(0, end);
}

namespace {
int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

int64_t Engine::congestionDeferMs(const std::string& key, int64_t now) const {
  auto it = receiverStarts_.find(key);
  if (it == receiverStarts_.end()) return 0;
  int cap = opts_.congestedInFlight > 0 ? opts_.congestedInFlight : std::max(1, opts_.workers / 8);
  if (static_cast<int>(it->second.size()) < cap) return 0;
  int64_t oldestAge = now - *it->second.begin();
  auto lat = receiverLatency_.find(key);
  bool slow = lat != receiverLatency_.end() && lat->second >= opts_.slowReceiverMs;
  if (oldestAge < opts_.congestedAfterMs && !slow) return 0;
  // Come back about when a slot may be free: the age of the oldest attempt, 1-30 s.
  return std::clamp<int64_t>(oldestAge, 1'000, 30'000);
}

void Engine::workerLoop() {
  while (true) {
    Claimed d;
    std::string key;
    int64_t started;
    {
      std::unique_lock<std::mutex> lock(mu_);
      workCv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      d = std::move(queue_.front());
      queue_.pop_front();
      inFlight_[d.id] = d.leaseSeq;
      key = receiverKey(d.url);
      started = steadyMs();
      if (int64_t defer = congestionDeferMs(key, started); defer > 0) {
        // No attempt: the delivery goes back to the store, due later.
        Completion c;
        c.deliveryId = d.id;
        c.leaseSeq = d.leaseSeq;
        c.deferred = true;
        c.nextAttemptAt = clock_.nowMs() + defer;
        done_.push_back(std::move(c));
        doneCv_.notify_one();
        continue;
      }
      ++busy_;
      receiverStarts_[key].insert(started);
    }
    Completion c = runner_.run(d);
    {
      std::lock_guard<std::mutex> g(mu_);
      --busy_;
      if (receiverLatency_.size() > 10'000) receiverLatency_.clear();  // bounded memory
      auto [lat, fresh] = receiverLatency_.try_emplace(key, 0.0);
      double took = static_cast<double>(steadyMs() - started);
      lat->second = fresh ? took : 0.8 * lat->second + 0.2 * took;
      auto rs = receiverStarts_.find(key);
      if (rs != receiverStarts_.end()) {
        rs->second.erase(rs->second.find(started));
        if (rs->second.empty()) receiverStarts_.erase(rs);
      }
      done_.push_back(std::move(c));
      doneCv_.notify_one();
      if (backlog_) schedCv_.notify_one();
      if (stopping_) idleCv_.notify_all();
    }
  }
}

void Engine::completionLoop() {
  std::vector<Completion> batch;
  std::vector<bool> ours;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      doneCv_.wait(lock, [&] { return completionsStop_ || !done_.empty(); });
      if (done_.empty()) return;  // stopping, nothing left
      while (!done_.empty() && static_cast<int>(batch.size()) < opts_.completionBatch) {
        batch.push_back(std::move(done_.front()));
        done_.pop_front();
      }
      committing_ += static_cast<int>(batch.size());
      if (!done_.empty()) doneCv_.notify_one();  // another writer can commit alongside
    }
    auto t0 = std::chrono::steady_clock::now();
    bool written = commitCompletions(batch, &ours);
    metrics::global().storeCommitLatency.observeMs(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
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
      for (const auto& c : batch) {
        auto it = inFlight_.find(c.deliveryId);
        if (it != inFlight_.end() && it->second == c.leaseSeq) inFlight_.erase(it);
      }
      committing_ -= static_cast<int>(batch.size());
      metrics::global().queueDepth.set(busy_ + static_cast<int64_t>(queue_.size()));
      if (backlog_) schedCv_.notify_one();
      if (stopping_) idleCv_.notify_all();  // stop() waits for the last outcome
    }
    batch.clear();
  }
}

bool Engine::commitCompletions(const std::vector<Completion>& batch, std::vector<bool>* ours) {
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
    if (completionsStop_) break;
    doneCv_.wait_for(lock, std::chrono::milliseconds(200));
  }
  log::error("completions not recorded; the store is unavailable",
             {{"count", static_cast<long long>(batch.size())}});
  return false;
}

void Engine::afterCommit(const Completion& c) {
  auto& m = metrics::global();
  if (c.deferred) {
    m.deliveryDeferred.inc();
    notifyDue(c.nextAttemptAt);
    return;
  }
  m.attemptLatency.observeMs(c.attempt.durationMs);
  (c.next == State::kSuccess ? m.deliverySuccess
   : c.next == State::kDead  ? m.deliveryDead
                             : m.deliveryRetry)
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
    idleCv_.wait_until(lock, deadline,
                       [&] { return busy_ == 0 && done_.empty() && committing_ == 0; });
    completionsStop_ = true;
    doneCv_.notify_all();
  }
  for (auto& t : completers_) t.join();
  completers_.clear();
  bool attemptsRunning;
  {
    std::lock_guard<std::mutex> g(mu_);
    running.assign(inFlight_.begin(), inFlight_.end());
    attemptsRunning = busy_ > 0;
  }
  if (attemptsRunning || !running.empty()) {
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
