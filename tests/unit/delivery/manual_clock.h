// A clock for unit tests that moves only when told: wall and monotonic readings alike.
#pragma once

#include <atomic>

#include "core/util/time.h"

namespace dispatch::delivery::test {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 1'700'000'000'000) : now_(start) {}
  TimeMs nowMs() const override { return now_.load(); }
  void advance(int64_t ms) { now_ += ms; }
  void set(TimeMs t) { now_ = t; }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace dispatch::delivery::test
