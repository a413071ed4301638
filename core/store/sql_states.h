// The state machine (core/model/state.h) as the store's statements spell it, so no state name or
// kind number is written twice. Store-internal.
#pragma once

#include <span>
#include <string>

#include "core/model/delivery.h"
#include "core/model/state.h"

namespace dispatch::store::sql {

// 'FIRING'
inline std::string state(model::State s) { return model::sqlLiteral(s); }
// ('SCHEDULED','FAILED'): for `status IN …`.
inline std::string in(std::span<const model::State> states) {
  return "(" + model::sqlList(states) + ")";
}
// The states `t` may start from, for `status IN …`.
inline std::string from(model::Transition t) { return in(model::sourcesOf(t)); }
// The state `t` leads to.
inline std::string to(model::Transition t, bool attemptedBefore = false) {
  return state(model::targetOf(t, attemptedBefore));
}
// The state a claim handed back without an attempt returns to, by the row's `attempts`.
inline std::string released() {
  return "CASE WHEN attempts > 0 THEN " + to(model::Transition::kRelease, true) + " ELSE " +
         to(model::Transition::kRelease, false) + " END";
}
// deliveries.kind as stored.
inline std::string kind(model::Kind k) { return std::to_string(static_cast<int>(k)); }

}  // namespace dispatch::store::sql
