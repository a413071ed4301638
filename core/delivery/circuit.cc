// The circuit breaker's rules.
#include "core/delivery/circuit.h"

namespace dispatch::delivery {

bool receiverFailing(const plugin::DeliveryResult& r) {
  using Kind = plugin::DeliveryResult::Kind;
  if (r.kind == Kind::kTimeout || r.kind == Kind::kNetwork) return true;
  if (r.kind != Kind::kHttp) return false;
  return r.status >= 500 || r.status == 408 || r.status == 429;
}

bool receiverAlive(const plugin::DeliveryResult& r) {
  return r.kind == plugin::DeliveryResult::Kind::kHttp && !receiverFailing(r);
}

Admission admit(const model::Gate& gate, const std::string& id, bool breakerOn) {
  if (gate.paused) return Admission::kHold;
  if (!breakerOn) return Admission::kAttempt;
  switch (gate.circuit) {
    case model::Circuit::kClosed:
      return Admission::kAttempt;
    case model::Circuit::kOpen:
      return Admission::kHold;
    case model::Circuit::kHalfOpen:
      if (gate.trialId.empty()) return Admission::kTakeTrial;
      return gate.trialId == id ? Admission::kAttempt : Admission::kHold;
  }
  return Admission::kHold;
}

CircuitChange FailureRun::record(const model::Gate& gate, const std::string& id, bool failing,
                                 bool alive, const config::CircuitBreakerConfig& cfg) {
  if (!cfg.enabled) {
    run_ = 0;
    return CircuitChange::kNone;
  }
  if (gate.circuit == model::Circuit::kHalfOpen && gate.trialId == id) {
    // Anything but a failing receiver closes: a plugin's own error says nothing of the
    // receiver, and a trial that ends no way at all would leave the circuit half-open forever.
    run_ = 0;
    return failing ? CircuitChange::kReopen : CircuitChange::kClose;
  }
  if (alive) {
    run_ = 0;
    return CircuitChange::kNone;
  }
  if (!failing) return CircuitChange::kNone;
  ++run_;
  if (gate.circuit != model::Circuit::kClosed || run_ < cfg.failures) return CircuitChange::kNone;
  run_ = 0;
  return CircuitChange::kOpen;
}

bool coolDownOver(const model::Gate& gate, const config::CircuitBreakerConfig& cfg, TimeMs now) {
  return gate.circuit == model::Circuit::kOpen && now >= gate.openedAt + cfg.coolDownMs;
}

}  // namespace dispatch::delivery
