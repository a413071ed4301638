// Idle keep-alive sessions, keyed by scheme|host|port|IP so a session is only ever reused
// for the address it is pinned to.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/net/pinned_session.h"

namespace dispatch::net {

// Thread-safe. A session is owned by the pool while idle and by one caller while in use.
class SessionPool {
 public:
  // maxIdlePerKey <= 0 disables pooling; idle sessions older than idleTimeoutMs are closed.
  SessionPool(int maxIdlePerKey, int64_t idleTimeoutMs);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // The most recently returned live session for `key`, or nullptr.
  std::unique_ptr<PinnedSession> acquire(const std::string& key);

  // Returns a healthy session after a complete exchange.
  void release(const std::string& key, std::unique_ptr<PinnedSession> session);

  // Idle sessions across all keys (for tests and metrics).
  size_t idleCount();

 private:
  using Clock = std::chrono::steady_clock;
  struct Idle {
    std::unique_ptr<PinnedSession> session;
    Clock::time_point since;
  };

  // Moves expired sessions of every key into `out` (closed by the caller, off the lock).
  void sweepLocked(Clock::time_point now, std::vector<Idle>& out);

  const int maxIdlePerKey_;
  const Clock::duration idleTimeout_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<Idle>> idle_;  // back() is the newest (LIFO)
  Clock::time_point lastSweep_;
};

}  // namespace dispatch::net
