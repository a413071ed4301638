// The circuit breaker's rules, pure (the clock is the caller's): which attempt results count
// as the receiver failing, whether a delivery may go through a destination's gate, and what a
// node's run of failures asks of the circuit. DestinationHealth applies them to the store.
#pragma once

#include <string>

#include "core/config/config.h"
#include "core/model/destination.h"
#include "core/plugin/destination.h"
#include "core/util/time.h"

namespace dispatch::delivery {

// True when a result says the receiver is down or overloaded: a network error, a timeout,
// 5xx, 408 or 429. Any other answer (2xx, another 4xx) shows it alive and ends a run of
// failures; a plugin's permanent error (its own config) says nothing about the receiver.
bool receiverFailing(const plugin::DeliveryResult& r);
// True when a result says the receiver is alive (an HTTP answer that is not a failure above).
bool receiverAlive(const plugin::DeliveryResult& r);

enum class Admission {
  kAttempt,   // go
  kHold,      // wait, unattempted, until the gate opens
  kTakeTrial  // half-open with a free trial slot: go if this delivery wins the slot
};

// Whether delivery `id` may be attempted under `gate`. `breakerOn` false: the circuit is
// ignored (`circuit_breaker: off`); a pause always holds.
Admission admit(const model::Gate& gate, const std::string& id, bool breakerOn);

enum class CircuitChange {
  kNone,
  kOpen,    // closed → open: the run of failures reached the threshold
  kClose,   // half-open → closed: the trial reached a live receiver
  kReopen,  // half-open → open: the trial failed
};

// One node's run of failed attempts to one destination.
class FailureRun {
 public:
  // Records the outcome of delivery `id`'s attempt, made under `gate`: what the circuit should
  // do. A run that opens the circuit starts again from zero.
  CircuitChange record(const model::Gate& gate, const std::string& id, bool failing, bool alive,
                       const config::CircuitBreakerConfig& cfg);
  int length() const { return run_; }

 private:
  int run_ = 0;
};

// Whether an open circuit's cool-down is over at `now`.
bool coolDownOver(const model::Gate& gate, const config::CircuitBreakerConfig& cfg, TimeMs now);

}  // namespace dispatch::delivery
