// The scheduler's timetable: due-time heap, armed lease expiry, poll and refill times.
#include "core/delivery/due_schedule.h"

#include <algorithm>

namespace dispatch::delivery {

DueSchedule::DueSchedule(int64_t pollMs, int64_t horizonMs)
    : pollMs_(pollMs), horizonMs_(horizonMs) {}

void DueSchedule::add(TimeMs due) { heap_.push(due); }

void DueSchedule::refilled(TimeMs now, const std::vector<TimeMs>& times) {
  for (TimeMs t : times) heap_.push(t);
  nextRefill_ = now + horizonMs_ / 2;
}

bool DueSchedule::popDue(TimeMs now) {
  bool due = false;
  while (!heap_.empty() && heap_.top() <= now) {
    heap_.pop();
    due = true;
  }
  return due;
}

bool DueSchedule::armLeaseExpiry(std::optional<TimeMs> next) {
  if (!next) {
    armedLeaseExpiry_ = 0;
    return false;
  }
  if (*next == armedLeaseExpiry_) return false;
  armedLeaseExpiry_ = *next;
  heap_.push(armedLeaseExpiry_);
  return true;
}

TimeMs DueSchedule::nextWake() const {
  TimeMs wake = std::min(nextPoll_, nextRefill_);
  if (!heap_.empty()) wake = std::min(wake, heap_.top());
  return wake;
}

}  // namespace dispatch::delivery
