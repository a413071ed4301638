// The scheduler's timetable on a manual clock: due-time order, when the horizon is refilled
// and the safety poll runs, lease expiry arming, and when the scheduler wakes next.
#include "core/delivery/due_schedule.h"

#include <gtest/gtest.h>

#include "tests/unit/delivery/manual_clock.h"

namespace dispatch::delivery {
namespace {

using test::ManualClock;

constexpr int64_t kPoll = 1'000;
constexpr int64_t kHorizon = 60'000;

// A schedule past its first look: polled and refilled (with nothing) at the clock's now.
DueSchedule settled(const ManualClock& clock) {
  DueSchedule s(kPoll, kHorizon);
  s.polled(clock.nowMs());
  s.refilled(clock.nowMs(), {});
  return s;
}

TEST(DueSchedule, PollsAndRefillsAtTheFirstLook) {
  ManualClock clock;
  DueSchedule s(kPoll, kHorizon);
  EXPECT_TRUE(s.pollDue(clock.nowMs()));
  EXPECT_TRUE(s.refillDue(clock.nowMs()));
  EXPECT_LE(s.nextWake(), clock.nowMs());
  EXPECT_FALSE(s.popDue(clock.nowMs()));  // nothing due yet: the poll claims
}

TEST(DueSchedule, DueTimesComeOutEarliestFirst) {
  ManualClock clock;
  DueSchedule s = settled(clock);
  TimeMs t = clock.nowMs();
  s.add(t + 300);
  s.add(t + 100);
  s.add(t + 200);
  s.add(t + 100);  // the same time twice
  EXPECT_EQ(s.nextWake(), t + 100);
  clock.advance(99);
  EXPECT_FALSE(s.popDue(clock.nowMs()));  // never a millisecond early
  clock.advance(1);
  EXPECT_TRUE(s.popDue(clock.nowMs()));  // both entries at t + 100
  EXPECT_EQ(s.size(), 2u);
  EXPECT_FALSE(s.popDue(clock.nowMs()));
  EXPECT_EQ(s.nextWake(), t + 200);
  clock.advance(500);
  EXPECT_TRUE(s.popDue(clock.nowMs()));  // everything passed meanwhile, at once
  EXPECT_EQ(s.size(), 0u);
}

TEST(DueSchedule, ATimeAlreadyPastIsDueAtOnce) {
  ManualClock clock;
  DueSchedule s = settled(clock);
  s.add(0);  // a callback: "claim now"
  EXPECT_EQ(s.nextWake(), 0);
  EXPECT_TRUE(s.popDue(clock.nowMs()));
}

TEST(DueSchedule, RefillsHalfAHorizonLaterWithWhatTheStoreHad) {
  ManualClock clock;
  DueSchedule s(kPoll, kHorizon);
  TimeMs t = clock.nowMs();
  ASSERT_TRUE(s.refillDue(t));
  EXPECT_EQ(s.horizonEnd(t), t + kHorizon);
  s.refilled(t, {t + 5'000, t + 40'000});
  s.polled(t);
  EXPECT_EQ(s.size(), 2u);
  EXPECT_FALSE(s.refillDue(t + kHorizon / 2 - 1));
  EXPECT_TRUE(s.refillDue(t + kHorizon / 2));
  // A refill the store could not answer still waits half a horizon: the poll covers it.
  s.refilled(t + kHorizon / 2, {});
  EXPECT_FALSE(s.refillDue(t + kHorizon - 1));
  EXPECT_TRUE(s.refillDue(t + kHorizon));
}

TEST(DueSchedule, PollsEveryPollPeriod) {
  ManualClock clock;
  DueSchedule s = settled(clock);
  TimeMs t = clock.nowMs();
  EXPECT_FALSE(s.pollDue(t + kPoll - 1));
  EXPECT_TRUE(s.pollDue(t + kPoll));
  s.polled(t + kPoll + 7);
  EXPECT_FALSE(s.pollDue(t + 2 * kPoll + 6));
  EXPECT_TRUE(s.pollDue(t + 2 * kPoll + 7));
}

TEST(DueSchedule, WakesAtTheEarliestOfDueTimePollAndRefill) {
  ManualClock clock;
  DueSchedule s = settled(clock);
  TimeMs t = clock.nowMs();
  EXPECT_EQ(s.nextWake(), t + kPoll);  // nothing due: the safety poll
  s.add(t + 250);
  EXPECT_EQ(s.nextWake(), t + 250);
  s.add(t + 5'000);  // later than the poll: the poll comes first
  EXPECT_TRUE(s.popDue(t + 250));
  EXPECT_EQ(s.nextWake(), t + kPoll);
  // With a poll period longer than half the horizon, the refill comes first.
  DueSchedule slowPoll(kHorizon, kHorizon);
  slowPoll.polled(t);
  slowPoll.refilled(t, {});
  EXPECT_EQ(slowPoll.nextWake(), t + kHorizon / 2);
}

TEST(DueSchedule, ArmsTheNextLeaseExpiryOnce) {
  ManualClock clock;
  DueSchedule s = settled(clock);
  TimeMs t = clock.nowMs();
  EXPECT_EQ(s.armedLeaseExpiry(), 0);
  EXPECT_FALSE(s.leaseExpiryReached(t));
  EXPECT_TRUE(s.armLeaseExpiry(t + 3'001));
  EXPECT_EQ(s.nextWake(), t + kPoll);  // the poll is earlier
  EXPECT_EQ(s.size(), 1u);
  // Asked again at the next poll, the store answers the same lease: not pushed twice.
  EXPECT_FALSE(s.armLeaseExpiry(t + 3'001));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_FALSE(s.leaseExpiryReached(t + 3'000));
  EXPECT_TRUE(s.leaseExpiryReached(t + 3'001));
  // The scheduler wakes for it and claims: the expired lease is due like any due time.
  s.polled(t + 3'000);
  EXPECT_EQ(s.nextWake(), t + 3'001);
  EXPECT_TRUE(s.popDue(t + 3'001));
  // The next lease is armed after it; it stays reached until then.
  EXPECT_TRUE(s.leaseExpiryReached(t + 3'001));
  EXPECT_TRUE(s.armLeaseExpiry(t + 4'500));
  EXPECT_FALSE(s.leaseExpiryReached(t + 3'001));
  EXPECT_EQ(s.nextWake(), t + 4'000);  // the poll again
}

TEST(DueSchedule, NoLeaseInTheStoreDisarms) {
  ManualClock clock;
  DueSchedule s = settled(clock);
  TimeMs t = clock.nowMs();
  ASSERT_TRUE(s.armLeaseExpiry(t + 100));
  ASSERT_TRUE(s.popDue(t + 100));
  ASSERT_TRUE(s.leaseExpiryReached(t + 100));
  EXPECT_FALSE(s.armLeaseExpiry(std::nullopt));
  EXPECT_EQ(s.armedLeaseExpiry(), 0);
  EXPECT_FALSE(s.leaseExpiryReached(t + 100));
  // The same expiry reported again after disarming is armed anew.
  EXPECT_TRUE(s.armLeaseExpiry(t + 100));
  EXPECT_EQ(s.size(), 1u);
}

}  // namespace
}  // namespace dispatch::delivery
