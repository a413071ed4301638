// Congestion control for the delivery engine: attempts in flight and a moving average of
// attempt durations per receiver (scheme://host:port), so that a slow receiver's deliveries
// are deferred instead of taking every worker. Times are the injected Clock's monotonic
// reading, so a test drives it with a manual clock. Thread-safe (one mutex of its own).
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "core/util/time.h"

namespace dispatch::delivery {

// The receiver a delivery goes to, for congestion accounting: "scheme://host[:port]" of an
// http(s) `url` as written (net::splitUrl; userinfo dropped). Any other URL is a receiver of
// its own; a file destination's empty URL is "".
std::string receiverKey(const std::string& url);

class CongestionControl {
 public:
  struct Options {
    // A receiver with this many attempts in flight (at least 1) is congested when the
    // oldest has run `afterMs`, or its recent attempts averaged `slowMs` or more.
    int inFlight = 8;
    int64_t afterMs = 200;
    int64_t slowMs = 1'000;
  };

  // The outcome of admit(): `deferMs` > 0 when the receiver is congested (nothing counted),
  // else the attempt is counted in flight from `startedMs` until finish().
  struct Admission {
    int64_t deferMs = 0;
    int64_t startedMs = 0;
  };

  CongestionControl(const Clock& clock, Options options);

  // When `key` is congested, how long to defer a delivery to it (about the age of its
  // oldest attempt, 1-30 s) and nothing is counted; else counts an attempt to it as started.
  Admission admit(const std::string& key);
  // The attempt admitted at `startedMs` is over: no longer in flight, and its duration joins
  // the receiver's moving average.
  void finish(const std::string& key, int64_t startedMs);
  // When `key` is congested now, how long to defer a delivery to it; else 0. Counts nothing.
  int64_t deferMs(const std::string& key) const;
  // Attempts to `key` in flight.
  int inFlight(const std::string& key) const;

 private:
  int64_t deferMsLocked(const std::string& key, int64_t now) const;

  const Clock& clock_;
  const Options opts_;
  mutable std::mutex mu_;
  // Start times (monotonic ms) of the attempts in flight, per receiver.
  std::unordered_map<std::string, std::multiset<int64_t>> starts_;
  // Moving average of attempt durations (ms) per receiver.
  std::unordered_map<std::string, double> latency_;
};

}  // namespace dispatch::delivery
