// A destination's gate (paused, circuit breaker) and health, as the store keeps them and the
// engine and the API read them (contracts/http-api.md "Destinations: health, pause, circuit
// breaker"). Plain values; the rules live in delivery/circuit.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/time.h"

namespace dispatch::model {

enum class Circuit { kClosed, kOpen, kHalfOpen };

inline std::string_view toString(Circuit c) {
  switch (c) {
    case Circuit::kOpen:
      return "open";
    case Circuit::kHalfOpen:
      return "half-open";
    case Circuit::kClosed:
      break;
  }
  return "closed";
}

inline Circuit circuitFromString(std::string_view s) {
  if (s == "open") return Circuit::kOpen;
  if (s == "half-open") return Circuit::kHalfOpen;
  return Circuit::kClosed;
}

// What holds a destination's deliveries back. A destination with no row is open to traffic.
struct Gate {
  bool paused = false;
  Circuit circuit = Circuit::kClosed;
  TimeMs openedAt = 0;  // when the circuit last opened
  // Half-open: the one delivery let through as the trial; empty: the next one takes the slot.
  std::string trialId;
};

// The state GET /api/v1/destinations and /metrics show: paused, open, half-open or healthy.
inline std::string_view stateName(const Gate& g) {
  if (g.paused) return "paused";
  if (g.circuit == Circuit::kOpen) return "open";
  if (g.circuit == Circuit::kHalfOpen) return "half-open";
  return "healthy";
}

// One destination's row in GET /api/v1/destinations, before its config is joined in.
struct DestinationHealth {
  std::string name;
  Gate gate;
  int64_t attempts = 0;   // in the last hour
  int64_t successes = 0;  // in the last hour
  std::optional<TimeMs> lastSuccessAt;
  std::optional<TimeMs> lastFailureAt;
  std::optional<std::string> lastError;
  int64_t pending = 0;  // open deliveries (SCHEDULED, FAILED, FIRING)
};

}  // namespace dispatch::model
