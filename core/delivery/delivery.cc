// State names as stored and shown in the API.
#include "core/delivery/delivery.h"

namespace dispatch::delivery {

const char* toString(State s) {
  switch (s) {
    case State::kScheduled: return "SCHEDULED";
    case State::kFiring: return "FIRING";
    case State::kSuccess: return "SUCCESS";
    case State::kFailed: return "FAILED";
    case State::kDead: return "DEAD";
    case State::kCancelled: return "CANCELLED";
  }
  return "SCHEDULED";
}

std::optional<State> parseState(std::string_view t) {
  for (State s : {State::kScheduled, State::kFiring, State::kSuccess, State::kFailed, State::kDead,
                  State::kCancelled}) {
    if (t == toString(s)) return s;
  }
  return std::nullopt;
}

bool isTerminal(State s) {
  return s == State::kSuccess || s == State::kDead || s == State::kCancelled;
}

}  // namespace dispatch::delivery
