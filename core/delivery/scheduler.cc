// The engine's scheduler and NOTIFY listener.
#include "core/delivery/scheduler.h"

#include <algorithm>
#include <chrono>

#include "core/store/due_listener.h"
#include "core/util/log.h"

namespace dispatch::delivery {

Scheduler::Scheduler(store::Db& shared, WorkPool& pool, const Clock& clock, Options options)
    : db_(shared.url(), 1),
      store_(db_),
      pool_(pool),
      clock_(clock),
      opts_(options),
      schedule_(options.pollMs, options.horizonMs) {
  db_.useSealerOf(shared);  // claims open what the node's pool sealed
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  thread_ = std::thread([this] { loop(); });
  listener_ = std::thread(
      [this] { store::listenForDue(db_.url(), stopping_, [this](TimeMs t) { notifyDue(t); }); });
}

void Scheduler::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (listener_.joinable()) listener_.join();
}

void Scheduler::notifyDue(TimeMs due) {
  std::lock_guard<std::mutex> g(mu_);
  schedule_.add(due);
  kicked_ = true;
  cv_.notify_one();
}

void Scheduler::roomFreed() {
  if (!backlog_) return;
  std::lock_guard<std::mutex> g(mu_);
  kicked_ = true;
  cv_.notify_one();
}

void Scheduler::refill(TimeMs now) {
  auto times = store_.dueTimes(now, schedule_.horizonEnd(now), 10'000);
  std::lock_guard<std::mutex> g(mu_);
  schedule_.refilled(now, times ? times.value() : std::vector<TimeMs>{});
}

void Scheduler::armNextLeaseExpiry(TimeMs now) {
  // Live nodes keep pushing their leases forward, so the earliest lease in the store is
  // either one about to be renewed (waking for it costs one empty claim) or one whose node
  // has died, which no one renews. Asked at every poll and each time the armed one runs out,
  // a dead node's lease becomes the earliest well before it runs out (a live lease always has
  // more than lease - heartbeat to go), and the claim runs the millisecond it does instead of
  // up to a poll later.
  auto next = store_.nextLeaseExpiry(now);
  if (!next) return;
  std::lock_guard<std::mutex> g(mu_);
  schedule_.armLeaseExpiry(next.value());
}

int Scheduler::claimOnce(TimeMs now) {
  int capacity = pool_.capacity();
  if (capacity <= 0) {
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
  backlog_ = n >= limit;
  pool_.enqueue(std::move(claimed.value()), now + opts_.leaseMs);
  return n;
}

void Scheduler::loop() {
  while (true) {
    TimeMs now = clock_.nowMs();
    bool refillDue;
    {
      std::lock_guard<std::mutex> g(mu_);
      refillDue = schedule_.refillDue(now);
    }
    if (refillDue) refill(now);
    bool due;
    bool leaseRanOut;  // the armed lease expiry is reached: arm the one after it
    bool poll;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (stopping_) return;
      kicked_ = false;  // what follows looks at everything notified so far
      due = schedule_.popDue(now) || backlog_;
      leaseRanOut = schedule_.leaseExpiryReached(now);
      poll = schedule_.pollDue(now);
    }
    if (due || poll) {
      int n;
      do {
        n = claimOnce(clock_.nowMs());
      } while (n > 0 && backlog_ && !stopping_);
      if (poll) {
        std::lock_guard<std::mutex> g(mu_);
        schedule_.polled(now);
      }
      if (n >= 0 && (poll || leaseRanOut)) armNextLeaseExpiry(clock_.nowMs());
      if (n < 0) {
        // The store is down: back off a little rather than spin.
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_.load(); });
        continue;
      }
    }
    if (!sleep()) return;
  }
}

bool Scheduler::sleep() {
  // A claim that filled its batch comes back as soon as there is room. The capacity is read
  // before taking mu_ (the pool's lock is never taken under it); room freed after the read
  // sets kicked_, so the wait below does not miss it.
  if (backlog_ && pool_.capacity() > 0) return !stopping_;
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return false;
  if (kicked_) return true;
  TimeMs wait = schedule_.nextWake() - clock_.nowMs();
  if (wait > 0) {
    cv_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return kicked_ || stopping_; });
  }
  return !stopping_;
}

}  // namespace dispatch::delivery
