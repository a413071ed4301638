// LIFO pool of idle pinned sessions with an idle timeout and a per-key cap.
#include "core/net/session_pool.h"

#include <algorithm>
#include <utility>

namespace dispatch::net {
namespace {

// How often release()/acquire() also close expired sessions of other keys, so a host
// that is never called again does not keep its connections open.
constexpr std::chrono::seconds kSweepInterval(1);

}  // namespace

SessionPool::SessionPool(int maxIdlePerKey, int64_t idleTimeoutMs)
    : maxIdlePerKey_(maxIdlePerKey),
      idleTimeout_(std::chrono::milliseconds(std::max<int64_t>(idleTimeoutMs, 0))),
      lastSweep_(Clock::now()) {}

SessionPool::~SessionPool() = default;

void SessionPool::sweepLocked(Clock::time_point now, std::vector<Idle>& out) {
  lastSweep_ = now;
  for (auto it = idle_.begin(); it != idle_.end();) {
    std::vector<Idle>& list = it->second;
    // Oldest first: expired sessions form a prefix.
    auto firstLive = std::find_if(list.begin(), list.end(),
                                  [&](const Idle& i) { return now - i.since < idleTimeout_; });
    std::move(list.begin(), firstLive, std::back_inserter(out));
    list.erase(list.begin(), firstLive);
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
}

std::unique_ptr<PinnedSession> SessionPool::acquire(const std::string& key) {
  std::vector<Idle> closing;  // destroyed after the lock is released: closing may do I/O
  while (true) {
    Idle candidate;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const Clock::time_point now = Clock::now();
      if (now - lastSweep_ >= kSweepInterval) sweepLocked(now, closing);
      auto it = idle_.find(key);
      if (it == idle_.end()) return nullptr;
      std::vector<Idle>& list = it->second;
      while (!list.empty() && now - list.back().since >= idleTimeout_) {
        closing.push_back(std::move(list.back()));
        list.pop_back();
      }
      if (list.empty()) {
        idle_.erase(it);
        return nullptr;
      }
      candidate = std::move(list.back());
      list.pop_back();
      if (list.empty()) idle_.erase(it);
    }
    if (candidate.session->isReusable()) return std::move(candidate.session);
    closing.push_back(std::move(candidate));
  }
}

void SessionPool::release(const std::string& key, std::unique_ptr<PinnedSession> session) {
  if (maxIdlePerKey_ <= 0 || idleTimeout_.count() == 0) return;
  std::vector<Idle> closing;
  std::lock_guard<std::mutex> lock(mu_);
  const Clock::time_point now = Clock::now();
  if (now - lastSweep_ >= kSweepInterval) sweepLocked(now, closing);
  std::vector<Idle>& list = idle_[key];
  list.push_back(Idle{std::move(session), now});
  if (static_cast<int>(list.size()) > maxIdlePerKey_) {
    closing.push_back(std::move(list.front()));
    list.erase(list.begin());
  }
  // `closing` is declared before `lock`, so it is destroyed after the unlock.
}

size_t SessionPool::idleCount() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace dispatch::net
