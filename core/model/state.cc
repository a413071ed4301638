// The state machine's table and the names as stored.
#include "core/model/state.h"

namespace dispatch::model {
namespace {

using S = State;

// Every legal move, once. Sources are listed in the order SQL shows them.
struct Row {
  Transition transition;
  std::span<const State> from;
  State to;
};

constexpr State kFromDue[] = {S::kScheduled, S::kFailed};
constexpr State kFromFiring[] = {S::kFiring};
constexpr State kFromScheduled[] = {S::kScheduled};
constexpr State kFromRetryable[] = {S::kDead, S::kFailed};
constexpr State kFromDead[] = {S::kDead};

constexpr Row kTable[] = {
    {Transition::kClaim, kFromDue, S::kFiring},
    {Transition::kReclaim, kFromFiring, S::kFiring},
    {Transition::kSucceed, kFromFiring, S::kSuccess},
    {Transition::kFail, kFromFiring, S::kFailed},
    {Transition::kDie, kFromFiring, S::kDead},
    {Transition::kRelease, kFromFiring, S::kScheduled},  // FAILED when attempted before
    {Transition::kCancel, kFromScheduled, S::kCancelled},
    {Transition::kRetry, kFromRetryable, S::kScheduled},
    {Transition::kRedrive, kFromDead, S::kScheduled},
};

const Row& rowOf(Transition t) {
  for (const Row& r : kTable) {
    if (r.transition == t) return r;
  }
  return kTable[0];  // unreachable: every Transition has a row (unit-tested)
}

constexpr State kLive[] = {S::kScheduled, S::kFailed, S::kFiring};
constexpr State kTerminal[] = {S::kSuccess, S::kDead, S::kCancelled};

}  // namespace

const char* toString(State s) {
  switch (s) {
    case State::kScheduled:
      return "SCHEDULED";
    case State::kFiring:
      return "FIRING";
    case State::kSuccess:
      return "SUCCESS";
    case State::kFailed:
      return "FAILED";
    case State::kDead:
      return "DEAD";
    case State::kCancelled:
      return "CANCELLED";
  }
  return "SCHEDULED";
}

std::optional<State> parseState(std::string_view t) {
  for (State s : kAllStates) {
    if (t == toString(s)) return s;
  }
  return std::nullopt;
}

std::span<const State> sourcesOf(Transition t) { return rowOf(t).from; }

State targetOf(Transition t, bool attemptedBefore) {
  if (t == Transition::kRelease && attemptedBefore) return State::kFailed;
  return rowOf(t).to;
}

bool allows(Transition t, State from) {
  for (State s : sourcesOf(t)) {
    if (s == from) return true;
  }
  return false;
}

std::optional<State> apply(Transition t, State from, bool attemptedBefore) {
  if (!allows(t, from)) return std::nullopt;
  return targetOf(t, attemptedBefore);
}

bool isTerminal(State s) {
  return s == State::kSuccess || s == State::kDead || s == State::kCancelled;
}

std::span<const State> claimableStates() { return sourcesOf(Transition::kClaim); }
std::span<const State> liveStates() { return kLive; }
std::span<const State> terminalStates() { return kTerminal; }

std::string sqlLiteral(State s) { return std::string("'") + toString(s) + "'"; }

std::string sqlList(std::span<const State> states) {
  std::string out;
  for (State s : states) {
    if (!out.empty()) out += ',';
    out += sqlLiteral(s);
  }
  return out;
}

}  // namespace dispatch::model
