// Congestion control on a manual clock: when a receiver's deliveries are deferred, for how
// long, and that a fast receiver never is.
#include "core/delivery/congestion.h"

#include <gtest/gtest.h>

#include "tests/unit/delivery/manual_clock.h"

namespace dispatch::delivery {
namespace {

using test::ManualClock;

const std::string kSlow = "http://slow.example:80";
const std::string kFast = "http://fast.example:80";

CongestionControl::Options opts(int inFlight = 2, int64_t afterMs = 200, int64_t slowMs = 1'000) {
  CongestionControl::Options o;
  o.inFlight = inFlight;
  o.afterMs = afterMs;
  o.slowMs = slowMs;
  return o;
}

// Admits an attempt that must not be deferred; returns its start.
int64_t admitted(CongestionControl& cc, const std::string& key) {
  auto a = cc.admit(key);
  EXPECT_EQ(a.deferMs, 0) << key;
  return a.startedMs;
}

TEST(CongestionControl, CongestedAtTheInFlightCapOnceTheOldestAttemptIsOld) {
  ManualClock clock;
  CongestionControl cc(clock, opts());
  admitted(cc, kSlow);
  clock.advance(50);
  admitted(cc, kSlow);
  EXPECT_EQ(cc.inFlight(kSlow), 2);
  clock.advance(149);  // the oldest has run 199 ms
  EXPECT_EQ(cc.deferMs(kSlow), 0);
  clock.advance(1);  // 200 ms: congested, deferred at least a second
  EXPECT_EQ(cc.deferMs(kSlow), 1'000);
  // A deferral is no attempt: nothing more is counted in flight.
  auto a = cc.admit(kSlow);
  EXPECT_EQ(a.deferMs, 1'000);
  EXPECT_EQ(cc.inFlight(kSlow), 2);
  // Deferred for about the age of the oldest attempt, at most 30 s.
  clock.advance(4'800);
  EXPECT_EQ(cc.deferMs(kSlow), 5'000);
  clock.advance(60'000);
  EXPECT_EQ(cc.deferMs(kSlow), 30'000);
}

TEST(CongestionControl, BelowTheCapAnOldAttemptDefersNothing) {
  ManualClock clock;
  CongestionControl cc(clock, opts(3));
  admitted(cc, kSlow);
  admitted(cc, kSlow);
  clock.advance(10'000);
  EXPECT_EQ(cc.deferMs(kSlow), 0);
  admitted(cc, kSlow);  // the third reaches the cap
  EXPECT_EQ(cc.deferMs(kSlow), 10'000);
}

TEST(CongestionControl, ASlowAverageCongestsEvenYoungAttempts) {
  ManualClock clock;
  CongestionControl cc(clock, opts());
  int64_t s = admitted(cc, kSlow);
  clock.advance(1'500);
  cc.finish(kSlow, s);  // the receiver's attempts take 1.5 s
  admitted(cc, kSlow);
  EXPECT_EQ(cc.deferMs(kSlow), 0);  // one in flight: under the cap
  admitted(cc, kSlow);
  // Two in flight, both just started, but the receiver is slow: deferred a second.
  EXPECT_EQ(cc.deferMs(kSlow), 1'000);
}

TEST(CongestionControl, AFastReceiverIsNeverDeferred) {
  ManualClock clock;
  CongestionControl cc(clock, opts());
  // A slow receiver congested alongside does not touch the fast one.
  admitted(cc, kSlow);
  admitted(cc, kSlow);
  clock.advance(5'000);
  ASSERT_GT(cc.deferMs(kSlow), 0);
  // Far more attempts in flight than the cap, each done within 10 ms.
  for (int round = 0; round < 100; ++round) {
    std::vector<int64_t> starts;
    for (int i = 0; i < 10; ++i) starts.push_back(admitted(cc, kFast));
    clock.advance(10);
    for (int64_t s : starts) cc.finish(kFast, s);
  }
  EXPECT_EQ(cc.inFlight(kFast), 0);
  EXPECT_EQ(cc.deferMs(kFast), 0);
}

TEST(CongestionControl, RecoversWhenItsAttemptsEnd) {
  ManualClock clock;
  CongestionControl cc(clock, opts());
  int64_t a = admitted(cc, kSlow);
  int64_t b = admitted(cc, kSlow);
  clock.advance(300);
  ASSERT_EQ(cc.deferMs(kSlow), 1'000);
  cc.finish(kSlow, a);  // under the cap again
  EXPECT_EQ(cc.inFlight(kSlow), 1);
  EXPECT_EQ(cc.deferMs(kSlow), 0);
  cc.finish(kSlow, b);
  EXPECT_EQ(cc.inFlight(kSlow), 0);
  // Its attempts took 300 ms on average: at the cap with young attempts, not congested.
  admitted(cc, kSlow);
  admitted(cc, kSlow);
  EXPECT_EQ(cc.deferMs(kSlow), 0);
}

TEST(CongestionControl, ASlowAverageRecoversAsFastAttemptsComeIn) {
  ManualClock clock;
  CongestionControl cc(clock, opts());
  int64_t s = admitted(cc, kSlow);
  clock.advance(2'000);
  cc.finish(kSlow, s);  // average 2 s
  // Each round averages in two attempts of 100 ms (0.8 old + 0.2 new): 2000 → 1316 → 878.
  for (int round = 0; round < 2; ++round) {
    int64_t a = admitted(cc, kSlow);
    int64_t b = admitted(cc, kSlow);
    EXPECT_EQ(cc.deferMs(kSlow), 1'000) << "round " << round;
    clock.advance(100);
    cc.finish(kSlow, a);
    cc.finish(kSlow, b);
  }
  admitted(cc, kSlow);
  admitted(cc, kSlow);
  EXPECT_EQ(cc.deferMs(kSlow), 0);
}

TEST(CongestionControl, ACapOfZeroMeansOne) {
  ManualClock clock;
  CongestionControl cc(clock, opts(0));
  admitted(cc, kSlow);
  clock.advance(200);
  EXPECT_EQ(cc.deferMs(kSlow), 1'000);
}

}  // namespace
}  // namespace dispatch::delivery
