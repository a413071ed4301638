// Enforces an attempt's overall deadline: socket timeouts bound each read or write, not
// the whole exchange (a server dripping one byte a second never trips them), and a TLS
// read may wait past them. At the deadline the watchdog shuts the socket down, which
// wakes any blocked call on it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace dispatch::net {

// Thread-safe. Owns one thread for its lifetime.
class DeadlineWatchdog {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  DeadlineWatchdog();
  ~DeadlineWatchdog();
  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;

  // Shuts down the socket behind `fd` at `deadline` unless disarmed first. The descriptor is
  // duplicated, so the watchdog never acts on a number the caller has closed and the kernel
  // reused. Returns a ticket for disarm(), or 0 when it could not arm (then only the socket
  // timeouts apply).
  uint64_t arm(int fd, TimePoint deadline);

  // Cancels a ticket (0 is ignored). Returns true when the deadline had already fired.
  bool disarm(uint64_t ticket);

 private:
  struct Entry {
    int fd = -1;
    TimePoint deadline;
    bool fired = false;
  };

  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t nextTicket_ = 1;
  std::map<uint64_t, Entry> entries_;
  std::set<std::pair<TimePoint, uint64_t>> pending_;  // not yet fired, earliest first
  std::thread thread_;
};

}  // namespace dispatch::net
