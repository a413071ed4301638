// The scheduler's timetable, with no thread and no store: a min-heap of the times at which
// something may fall due (the store's next horizon, NOTIFY, this node's own retries), the
// lease expiry armed on it, when the next safety poll and horizon refill are due, and from
// all of these when the scheduler next wakes. Times are wall-clock ms, like the store's.
// Not thread-safe: its owner (the Scheduler) guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

#include "core/util/time.h"

namespace dispatch::delivery {

class DueSchedule {
 public:
  // A safety poll every `pollMs`; due times read `horizonMs` ahead, every half horizon.
  DueSchedule(int64_t pollMs, int64_t horizonMs);

  // Something may fall due at `due` (a stale time costs one empty claim, nothing more).
  void add(TimeMs due);

  // Whether the store's due times should be read now (at first, then every half horizon).
  bool refillDue(TimeMs now) const { return now >= nextRefill_; }
  // The end of the window to read when refilling at `now`.
  TimeMs horizonEnd(TimeMs now) const { return now + horizonMs_; }
  // The due times up to horizonEnd(now) were read at `now` (empty if the store failed: the
  // poll covers it); the next refill is half a horizon later.
  void refilled(TimeMs now, const std::vector<TimeMs>& times);

  // Removes every time reached by `now`; true when there was one: a claim is due.
  bool popDue(TimeMs now);

  // Whether the safety poll (missed notifications, expired leases) is due at `now`.
  bool pollDue(TimeMs now) const { return now >= nextPoll_; }
  // The poll ran at `now`; the next is `pollMs` later.
  void polled(TimeMs now) { nextPoll_ = now + pollMs_; }

  // Whether the armed lease expiry has been reached, so the next one should be read.
  bool leaseExpiryReached(TimeMs now) const {
    return armedLeaseExpiry_ != 0 && armedLeaseExpiry_ <= now;
  }
  // Arms the earliest lease expiry the store reports (nullopt: no lease runs past now). A
  // new time goes on the heap; the one armed already does not go again. True if added.
  bool armLeaseExpiry(std::optional<TimeMs> next);
  TimeMs armedLeaseExpiry() const { return armedLeaseExpiry_; }

  // When the scheduler should wake next: the earliest due time, poll or refill.
  TimeMs nextWake() const;
  // Due times held (for tests and metrics).
  size_t size() const { return heap_.size(); }

 private:
  const int64_t pollMs_;
  const int64_t horizonMs_;
  std::priority_queue<TimeMs, std::vector<TimeMs>, std::greater<TimeMs>> heap_;
  TimeMs armedLeaseExpiry_ = 0;  // the last lease expiry pushed on the heap; 0 = none
  TimeMs nextPoll_ = 0;          // 0: poll and refill at the first look
  TimeMs nextRefill_ = 0;
};

}  // namespace dispatch::delivery
