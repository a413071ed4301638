// The one delivery state machine: the states, their names as stored and shown, and every legal
// transition as one table that code and SQL both read. A job's status is its delivery's state.
//
//   SCHEDULED ─claim─▶ FIRING ─succeed─▶ SUCCESS
//   FAILED ───claim─▶ FIRING ─fail────▶ FAILED (retry armed)
//                      FIRING ─die─────▶ DEAD
//                      FIRING ─release─▶ SCHEDULED (no attempt yet) · FAILED (attempted before)
//                      FIRING ─reclaim─▶ FIRING (lease ran out: another node takes it over)
//   SCHEDULED ─cancel─▶ CANCELLED
//   DEAD, FAILED ─retry─▶ SCHEDULED (an operator's retry of a delivery attempted before)
//   DEAD ─redrive─▶ SCHEDULED (an operator re-arms a destination's dead letters)
// SUCCESS, DEAD and CANCELLED are terminal: only an operator's retry or redrive leaves DEAD.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dispatch::model {

enum class State { kScheduled, kFiring, kSuccess, kFailed, kDead, kCancelled };

inline constexpr std::array<State, 6> kAllStates{State::kScheduled, State::kFiring,
                                                 State::kSuccess,   State::kFailed,
                                                 State::kDead,      State::kCancelled};

// The name as stored in `deliveries.status` and shown by the API ("SCHEDULED", …).
const char* toString(State s);
std::optional<State> parseState(std::string_view text);

// What moves a delivery from one state to another.
enum class Transition {
  kClaim,    // a node leases a due delivery for an attempt
  kReclaim,  // a node takes over a delivery whose lease ran out
  kSucceed,  // the attempt succeeded
  kFail,     // the attempt failed and another is armed
  kDie,      // the attempt failed and no other will be made
  kRelease,  // a claim handed back without an attempt (shutdown, rate limit, lost lease)
  kCancel,   // the API cancelled a job before its time
  kRetry,    // an operator retries one delivery that was attempted before
  kRedrive,  // an operator re-arms a destination's dead deliveries
};

// The states `t` may start from; a delivery in any other state is left as it is.
std::span<const State> sourcesOf(Transition t);
// The state `t` leads to. kRelease leads to SCHEDULED or FAILED: `attemptedBefore` decides.
State targetOf(Transition t, bool attemptedBefore = false);
// Whether `t` may move a delivery in state `from`.
bool allows(Transition t, State from);
// The state after `t` from `from`, or nullopt when the table has no such move.
std::optional<State> apply(Transition t, State from, bool attemptedBefore = false);

// SUCCESS, DEAD and CANCELLED: nothing more happens on its own.
bool isTerminal(State s);
// Sets of states the store asks for, each derived from the table above.
std::span<const State> claimableStates();  // due rows a claim may take: sourcesOf(kClaim)
std::span<const State> liveStates();       // not terminal: may still be attempted
std::span<const State> terminalStates();   // may be purged by retention

// SQL spellings, so statements take the names from this one place.
// 'SCHEDULED' (quoted, for a statement's text).
std::string sqlLiteral(State s);
// 'SCHEDULED','FAILED' (for `status IN (…)`).
std::string sqlList(std::span<const State> states);

}  // namespace dispatch::model
