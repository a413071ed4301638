// The delivery state machine: names, the transition table and the SQL spellings the store uses.
#include "core/model/state.h"

#include <gtest/gtest.h>

#include <set>

namespace dispatch::model {
namespace {

using T = Transition;

constexpr T kAllTransitions[] = {T::kClaim,   T::kReclaim, T::kSucceed, T::kFail,   T::kDie,
                                 T::kRelease, T::kCancel,  T::kRetry,   T::kRedrive};

TEST(StateMachine, NamesRoundTripAndUnknownNamesAreRefused) {
  for (State s : kAllStates) EXPECT_EQ(parseState(toString(s)), s) << toString(s);
  EXPECT_EQ(toString(State::kScheduled), std::string("SCHEDULED"));
  EXPECT_EQ(toString(State::kCancelled), std::string("CANCELLED"));
  EXPECT_FALSE(parseState("scheduled"));
  EXPECT_FALSE(parseState(""));
  EXPECT_FALSE(parseState("PENDING"));
  // The API's "status must be one of …" lists kAllStates in the contract's order.
  std::string names;
  for (State s : kAllStates) names += (names.empty() ? "" : ", ") + std::string(toString(s));
  EXPECT_EQ(names, "SCHEDULED, FIRING, SUCCESS, FAILED, DEAD, CANCELLED");
}

TEST(StateMachine, ADueDeliveryIsClaimedIntoFiring) {
  EXPECT_EQ(apply(T::kClaim, State::kScheduled), State::kFiring);
  EXPECT_EQ(apply(T::kClaim, State::kFailed), State::kFiring);
  for (State s : {State::kFiring, State::kSuccess, State::kDead, State::kCancelled}) {
    EXPECT_FALSE(apply(T::kClaim, s)) << toString(s);
  }
  EXPECT_EQ(apply(T::kReclaim, State::kFiring), State::kFiring);
  EXPECT_FALSE(apply(T::kReclaim, State::kScheduled));
}

TEST(StateMachine, AnAttemptEndsInSuccessRetryOrDeadOnlyFromFiring) {
  EXPECT_EQ(apply(T::kSucceed, State::kFiring), State::kSuccess);
  EXPECT_EQ(apply(T::kFail, State::kFiring), State::kFailed);
  EXPECT_EQ(apply(T::kDie, State::kFiring), State::kDead);
  for (T t : {T::kSucceed, T::kFail, T::kDie}) {
    for (State s : kAllStates) {
      if (s != State::kFiring) {
        EXPECT_FALSE(apply(t, s)) << toString(s);
      }
    }
  }
}

TEST(StateMachine, AReleasedClaimReturnsToScheduledOrFailedByItsAttempts) {
  EXPECT_EQ(apply(T::kRelease, State::kFiring, false), State::kScheduled);
  EXPECT_EQ(apply(T::kRelease, State::kFiring, true), State::kFailed);
  EXPECT_FALSE(apply(T::kRelease, State::kScheduled));
}

TEST(StateMachine, OnlyAScheduledJobCanBeCancelled) {
  EXPECT_EQ(apply(T::kCancel, State::kScheduled), State::kCancelled);
  for (State s : {State::kFiring, State::kFailed, State::kSuccess, State::kDead}) {
    EXPECT_FALSE(apply(T::kCancel, s)) << toString(s);
  }
}

TEST(StateMachine, OperatorsRetryDeadOrFailedAndRedriveOnlyDead) {
  EXPECT_EQ(apply(T::kRetry, State::kDead), State::kScheduled);
  EXPECT_EQ(apply(T::kRetry, State::kFailed), State::kScheduled);
  EXPECT_FALSE(apply(T::kRetry, State::kSuccess));
  EXPECT_FALSE(apply(T::kRetry, State::kFiring));
  EXPECT_EQ(apply(T::kRedrive, State::kDead), State::kScheduled);
  EXPECT_FALSE(apply(T::kRedrive, State::kFailed));
}

TEST(StateMachine, TerminalStatesAreLeftOnlyByAnOperator) {
  std::set<State> terminal(terminalStates().begin(), terminalStates().end());
  EXPECT_EQ(terminal, (std::set<State>{State::kSuccess, State::kDead, State::kCancelled}));
  for (State s : kAllStates) EXPECT_EQ(isTerminal(s), terminal.count(s) == 1) << toString(s);
  for (T t : kAllTransitions) {
    for (State s : terminal) {
      if (!allows(t, s)) continue;
      EXPECT_TRUE(t == T::kRetry || t == T::kRedrive) << toString(s);
      EXPECT_EQ(s, State::kDead);
    }
  }
}

TEST(StateMachine, LiveAndTerminalSetsPartitionTheStates) {
  std::set<State> all;
  for (State s : liveStates()) EXPECT_TRUE(all.insert(s).second) << toString(s);
  for (State s : terminalStates()) EXPECT_TRUE(all.insert(s).second) << toString(s);
  EXPECT_EQ(all.size(), kAllStates.size());
  for (State s : liveStates()) EXPECT_FALSE(isTerminal(s));
}

TEST(StateMachine, EveryTransitionHasARowAndLeadsToALegalState) {
  for (T t : kAllTransitions) {
    EXPECT_FALSE(sourcesOf(t).empty());
    // Nothing but a claim enters FIRING.
    if (targetOf(t) == State::kFiring) {
      EXPECT_TRUE(t == T::kClaim || t == T::kReclaim);
    }
  }
  std::set<State> claimable(claimableStates().begin(), claimableStates().end());
  EXPECT_EQ(claimable, (std::set<State>{State::kScheduled, State::kFailed}));
}

TEST(StateMachine, SqlSpellingsComeFromTheNames) {
  EXPECT_EQ(sqlLiteral(State::kFiring), "'FIRING'");
  // The claim's list keeps the order of the partial index deliveries_due's predicate.
  EXPECT_EQ(sqlList(claimableStates()), "'SCHEDULED','FAILED'");
  EXPECT_EQ(sqlList(terminalStates()), "'SUCCESS','DEAD','CANCELLED'");
  EXPECT_EQ(sqlList(sourcesOf(T::kRetry)), "'DEAD','FAILED'");
  EXPECT_EQ(sqlList({}), "");
}

}  // namespace
}  // namespace dispatch::model
