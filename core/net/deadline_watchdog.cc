// One thread that shuts down sockets whose attempt ran past its deadline.
#include "core/net/deadline_watchdog.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dispatch::net {

DeadlineWatchdog::DeadlineWatchdog() : thread_([this] { run(); }) {}

DeadlineWatchdog::~DeadlineWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto& [ticket, entry] : entries_) ::close(entry.fd);
}

uint64_t DeadlineWatchdog::arm(int fd, TimePoint deadline) {
  if (fd < 0) return 0;
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return 0;
  bool earliest = false;
  uint64_t ticket = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ticket = nextTicket_++;
    entries_.emplace(ticket, Entry{dup, deadline, false});
    auto [it, inserted] = pending_.emplace(deadline, ticket);
    earliest = it == pending_.begin();
  }
  if (earliest) cv_.notify_one();
  return ticket;
}

bool DeadlineWatchdog::disarm(uint64_t ticket) {
  if (ticket == 0) return false;
  Entry entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(ticket);
    if (it == entries_.end()) return false;
    entry = it->second;
    if (!entry.fired) pending_.erase({entry.deadline, ticket});
    entries_.erase(it);
  }
  ::close(entry.fd);
  return entry.fired;
}

void DeadlineWatchdog::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (pending_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto [deadline, ticket] = *pending_.begin();
    if (std::chrono::steady_clock::now() < deadline) {
      cv_.wait_until(lock, deadline);
      continue;
    }
    pending_.erase(pending_.begin());
    Entry& entry = entries_.at(ticket);
    entry.fired = true;
    // Under the lock: disarm() cannot close the duplicate while we use it.
    ::shutdown(entry.fd, SHUT_RDWR);
  }
}

}  // namespace dispatch::net
