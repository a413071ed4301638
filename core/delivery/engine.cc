// Scheduler, listener and workers of the delivery engine.
#include "core/delivery/engine.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "core/net/network_policy.h"
#include "core/store/due_listener.h"
#include "core/util/log.h"
#include "core/util/metrics.h"

namespace dispatch::delivery {
Engine::Engine(store::Db& db, RoutingSource routing, plugin::HttpSender& http, const Clock& clock,
               EngineOptions options, store::GroupCommitter* committer)
    : db_(db),
      schedDb_(db.url(), 1),
      leaseDb_(db.url(), 1),
      store_(db, committer),
      schedStore_(schedDb_),
      leaseStore_(leaseDb_),
      runner_(std::move(routing), http, clock),
      clock_(clock),
      opts_(options),
      heartbeatMs_(options.heartbeatMs > 0 ? options.heartbeatMs
                                           : std::max<int64_t>(options.leaseMs / 3, 10)),
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
  auto times = schedStore_.dueTimes(now, now + opts_.horizonMs, 10'000);
  std::lock_guard<std::mutex> g(mu_);
  if (times)
    for (TimeMs t : times.value()) heap_.push(t);
}

void Engine::armNextLeaseExpiry(TimeMs now) {
  // Live nodes keep pushing their leases forward, so the earliest lease in the store is
  // either one about to be renewed (waking for it costs one empty claim) or one whose node
  // has died, which no one renews. Asked at every poll and each time the armed one runs out,
  // a dead node's lease becomes the earliest well before it runs out (a live lease always has
  // more than lease - heartbeat to go), and the claim runs the millisecond it does instead of
  // up to a poll later.
  auto next = schedStore_.nextLeaseExpiry(now);
  if (!next) return;
  std::lock_guard<std::mutex> g(mu_);
  if (!next.value()) {
    armedLeaseExpiry_ = 0;
    return;
  }
  if (*next.value() == armedLeaseExpiry_) return;
  armedLeaseExpiry_ = *next.value();
  heap_.push(armedLeaseExpiry_);
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

void Engine::handOver(std::vector<model::Claimed> items, int reserved) {
  std::vector<std::pair<std::string, int64_t>> giveBack;
  {
    std::lock_guard<std::mutex> g(mu_);
    reserved_ -= reserved;
    if (!stopping_) {
      // Stored with a lease from the moment the work was created (dueAt for work handed
      // over), not from now: the group commit in between may have taken a while.
      TimeMs now = clock_.nowMs();
      for (auto& c : items) {
        TimeMs until = std::min(c.dueAt, now) + opts_.leaseMs;
        queue_.push_back(Queued{std::move(c), until});
      }
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
  auto claimed = schedStore_.claimDue(limit, now, opts_.leaseMs);
  if (!claimed) {
    log::warn("claim failed", {{"error", claimed.status().message()}});
    return -1;
  }
  int n = static_cast<int>(claimed->size());
  std::lock_guard<std::mutex> g(mu_);
  backlog_ = n >= limit;
  for (auto& c : claimed.value()) queue_.push_back(Queued{std::move(c), now + opts_.leaseMs});
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
    bool leaseRanOut = false;  // the armed lease expiry is reached: arm the one after it
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stopping_) return;
      while (!heap_.empty() && heap_.top() <= now) {
        heap_.pop();
        due = true;
      }
      due = due || backlog_;
      leaseRanOut = armedLeaseExpiry_ != 0 && armedLeaseExpiry_ <= now;
    }
    if (due || now >= nextPoll) {
      int n;
      do {
        n = claimOnce(clock_.nowMs());
      } while (n > 0 && backlog_ && !stopping_);
      bool poll = now >= nextPoll;
      if (poll) nextPoll = now + opts_.pollMs;
      if (n >= 0 && (poll || leaseRanOut)) armNextLeaseExpiry(clock_.nowMs());
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
  // After a failure, try again soon rather than a heartbeat later: the leases are running out.
  const auto retry = std::chrono::milliseconds(std::clamp<int64_t>(heartbeatMs_ / 4, 10, 250));
  const auto every = std::chrono::milliseconds(heartbeatMs_);
  auto next = std::chrono::steady_clock::now() + every;
  TimeMs failingSince = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      renewCv_.wait_until(lock, next, [&] { return renewStop_; });
      if (renewStop_) return;
    }
    auto started = std::chrono::steady_clock::now();
    TimeMs now = clock_.nowMs();
    if (Status st = renewHeld(now); st) {
      if (failingSince != 0) {
        log::info("lease renewal recovered",
                  {{"failing_ms", static_cast<long long>(now - failingSince)}});
      }
      failingSince = 0;
      next = started + every;  // a steady beat, however long the statement took
    } else {
      if (failingSince == 0) {  // once per outage, not at every retry
        log::warn("lease renewal failed", {{"error", st.message()}});
        failingSince = now;
      }
      next = started + retry;
    }
  }
}

Status Engine::renewHeld(TimeMs now) {
  // A lease taken less than half a heartbeat ago waits for the next beat: under load most
  // work is done within a beat, and each renewal is a write to an indexed column.
  const TimeMs renewIfBefore = now + opts_.leaseMs - heartbeatMs_ / 2;
  std::vector<std::pair<std::string, int64_t>> held;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& [id, h] : inFlight_) {
      if (h.leaseUntil < renewIfBefore) held.emplace_back(id, h.leaseSeq);
    }
    for (const auto& q : queue_) {
      if (q.leaseUntil < renewIfBefore) held.emplace_back(q.item.id, q.item.leaseSeq);
    }
  }
  if (held.empty()) return Status::ok();
  auto renewed = leaseStore_.renew(held, now, opts_.leaseMs);
  if (!renewed) return renewed.status();
  std::unordered_map<std::string, int64_t> asked(held.begin(), held.end());
  std::unordered_set<std::string> ok(renewed->begin(), renewed->end());
  const TimeMs until = now + opts_.leaseMs;
  int lost = 0;
  std::lock_guard<std::mutex> g(mu_);
  for (auto& [id, h] : inFlight_) {
    auto a = asked.find(id);
    if (a != asked.end() && a->second == h.leaseSeq && ok.count(id) > 0) h.leaseUntil = until;
  }
  // Queued work whose lease was not renewed belongs to someone else now (or is locked by
  // another transaction): it is not attempted here. It is claimed again, by whichever node,
  // once its lease runs out; the lease_seq fence would drop our outcome anyway.
  for (auto it = queue_.begin(); it != queue_.end();) {
    auto a = asked.find(it->item.id);
    if (a == asked.end() || a->second != it->item.leaseSeq) {
      ++it;
    } else if (ok.count(it->item.id) > 0) {
      it->leaseUntil = until;
      ++it;
    } else {
      ++lost;
      it = queue_.erase(it);
    }
  }
  if (lost > 0) {
    log::warn("leases lost before the attempt; left for the next claim",
              {{"count", static_cast<long long>(lost)}});
    metrics::global().queueDepth.set(busy_ + static_cast<int64_t>(queue_.size()));
  }
  return Status::ok();
}

std::string receiverKey(const std::string& url) {
  // A URL net refuses is its own key: its attempts fail at once (a file destination has none).
  Result<net::ParsedUrl> parsed = net::parseUrl(url);
  return parsed ? parsed->scheme + "://" + parsed->hostHeader : url;
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
        log::warn("lease ran out before the attempt; left for the next claim",
                  {{"delivery_id", d.id}});
        heap_.push(leaseUntil + 1);
        schedCv_.notify_one();
        continue;
      }
      inFlight_[d.id] = Held{d.leaseSeq, leaseUntil};
      key = receiverKey(d.url);
      started = steadyMs();
      if (int64_t defer = congestionDeferMs(key, started); defer > 0) {
        // No attempt: the delivery goes back to the store, due later.
        model::Completion c;
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
    model::Completion c = runner_.run(d);
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
  std::vector<model::Completion> batch;
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
        if (it != inFlight_.end() && it->second.leaseSeq == c.leaseSeq) inFlight_.erase(it);
      }
      committing_ -= static_cast<int>(batch.size());
      metrics::global().queueDepth.set(busy_ + static_cast<int64_t>(queue_.size()));
      if (backlog_) schedCv_.notify_one();
      if (stopping_) idleCv_.notify_all();  // stop() waits for the last outcome
    }
    batch.clear();
  }
}

bool Engine::commitCompletions(const std::vector<model::Completion>& batch, std::vector<bool>* ours) {
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

void Engine::afterCommit(const model::Completion& c) {
  auto& m = metrics::global();
  if (c.deferred) {
    m.deliveryDeferred.inc();
    notifyDue(c.nextAttemptAt);
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
  if (c.next == model::State::kFailed) notifyDue(c.nextAttemptAt);
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
  }
  if (scheduler_.joinable()) scheduler_.join();
  if (listener_.joinable()) listener_.join();
  // Only now that the scheduler has stopped can nothing more be claimed: a claim that was
  // in progress when we began stopping is handed back too. Workers take nothing once
  // stopping_ is set.
  std::vector<std::pair<std::string, int64_t>> unstarted;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& q : queue_) unstarted.emplace_back(q.item.id, q.item.leaseSeq);
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
  // The heartbeat ran until now: a lease is short beside the grace period, and an attempt
  // finishing its work must not be taken over by another node meanwhile.
  {
    std::lock_guard<std::mutex> g(mu_);
    renewStop_ = true;
    renewCv_.notify_all();
  }
  if (renewer_.joinable()) renewer_.join();
  bool attemptsRunning;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& [id, h] : inFlight_) running.emplace_back(id, h.leaseSeq);
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
