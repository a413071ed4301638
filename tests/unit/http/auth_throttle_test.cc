// The failed-authentication throttle: per-address GCRA on an injected clock, address keys,
// bounded tables, the known-key set.
#include "core/http/auth_throttle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace dispatch::http {
namespace {

class FakeClock final : public Clock {
 public:
  TimeMs nowMs() const override { return now.load(); }
  std::atomic<TimeMs> now{1'700'000'000'000};
};

AuthThrottle::Options opts(int limit = 20, int64_t windowMs = 60'000, size_t maxAddresses = 100) {
  AuthThrottle::Options o;
  o.limit = limit;
  o.windowMs = windowMs;
  o.maxAddresses = maxAddresses;
  return o;
}

TEST(ThrottleKeyTest, Ipv4AsIsIpv6ByItsSlash64) {
  EXPECT_EQ(throttleKey("203.0.113.7"), throttleKey("::ffff:203.0.113.7"));
  EXPECT_NE(throttleKey("203.0.113.7"), throttleKey("203.0.113.8"));
  EXPECT_EQ(throttleKey("2001:db8:1:2::1"), throttleKey("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_NE(throttleKey("2001:db8:1:2::1"), throttleKey("2001:db8:1:3::1"));
  EXPECT_NE(throttleKey("127.0.0.1"), throttleKey("::1"));
  EXPECT_EQ(throttleKey(""), "");
  EXPECT_EQ(throttleKey("not an address"), "");
  EXPECT_EQ(throttleKey("127.1"), "");  // inet_pton, not inet_aton: the kernel's own spelling
}

TEST(AuthThrottleTest, AllowsLimitFailuresThenRefusesUntilOneIntervalPasses) {
  FakeClock clock;
  AuthThrottle t(clock);
  const auto o = opts(20, 60'000);
  const std::string a = throttleKey("198.51.100.1");
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(t.retryAfterSeconds(a, o), 0) << i;
    t.recordFailure(a, o);
  }
  // 20 failures at once: the next attempt is allowed one interval (60 s / 20) later.
  EXPECT_EQ(t.retryAfterSeconds(a, o), 3);
  clock.now += 2'001;
  EXPECT_EQ(t.retryAfterSeconds(a, o), 1);  // 999 ms left, rounded up
  clock.now += 999;
  EXPECT_EQ(t.retryAfterSeconds(a, o), 0);
  // One more failure closes it again for a whole interval: a steady 20 per minute.
  t.recordFailure(a, o);
  EXPECT_EQ(t.retryAfterSeconds(a, o), 3);
  // After a quiet window the address has its whole burst back.
  clock.now += 60'000;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(t.retryAfterSeconds(a, o), 0) << i;
    t.recordFailure(a, o);
  }
  EXPECT_GT(t.retryAfterSeconds(a, o), 0);
}

TEST(AuthThrottleTest, SpreadOutFailuresNeverClose) {
  FakeClock clock;
  AuthThrottle t(clock);
  const auto o = opts(5, 10'000);  // one every 2 s is sustainable
  const std::string a = throttleKey("198.51.100.2");
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(t.retryAfterSeconds(a, o), 0) << i;
    t.recordFailure(a, o);
    clock.now += 2'000;
  }
}

TEST(AuthThrottleTest, AddressesAreIndependent) {
  FakeClock clock;
  AuthThrottle t(clock);
  const auto o = opts(3, 60'000);
  const std::string guesser = throttleKey("198.51.100.3");
  for (int i = 0; i < 3; ++i) t.recordFailure(guesser, o);
  EXPECT_EQ(t.retryAfterSeconds(guesser, o), 20);
  EXPECT_EQ(t.retryAfterSeconds(throttleKey("198.51.100.4"), o), 0);
  EXPECT_EQ(t.retryAfterSeconds(throttleKey("2001:db8::1"), o), 0);
}

TEST(AuthThrottleTest, LimitZeroAndEmptyKeyNeverThrottle) {
  FakeClock clock;
  AuthThrottle t(clock);
  for (int i = 0; i < 100; ++i) {
    t.recordFailure("", opts());
    t.recordFailure(throttleKey("198.51.100.5"), opts(0));
  }
  EXPECT_EQ(t.retryAfterSeconds("", opts()), 0);
  EXPECT_EQ(t.retryAfterSeconds(throttleKey("198.51.100.5"), opts(0)), 0);
  EXPECT_EQ(t.trackedAddresses(), 0u);
}

TEST(AuthThrottleTest, AConfigReloadAppliesToTheNextAttempt) {
  FakeClock clock;
  AuthThrottle t(clock);
  const std::string a = throttleKey("198.51.100.6");
  for (int i = 0; i < 5; ++i) t.recordFailure(a, opts(20));
  EXPECT_EQ(t.retryAfterSeconds(a, opts(20)), 0);
  // Tightened to 3 a minute: the next two failures close it.
  t.recordFailure(a, opts(3));
  t.recordFailure(a, opts(3));
  EXPECT_GT(t.retryAfterSeconds(a, opts(3)), 0);
  EXPECT_EQ(t.retryAfterSeconds(a, opts(0)), 0);  // switched off
  // A shorter window never leaves an address closed for longer than one new interval.
  EXPECT_LE(t.retryAfterSeconds(a, opts(3, 3'000)), 1);
}

TEST(AuthThrottleTest, AFloodOfAddressesKeepsTheTableBounded) {
  FakeClock clock;
  AuthThrottle t(clock);
  const auto o = opts(2, 60'000, 1'000);
  for (uint32_t i = 0; i < 50'000; ++i) {
    const std::string peer = "10." + std::to_string(i >> 16 & 255) + "." +
                             std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255);
    t.recordFailure(throttleKey(peer), o);
  }
  EXPECT_EQ(t.trackedAddresses(), 1'000u);
  // The most recent failures are the ones kept.
  for (int i = 0; i < 2; ++i) t.recordFailure(throttleKey("10.0.195.79"), o);  // i = 49999
  EXPECT_GT(t.retryAfterSeconds(throttleKey("10.0.195.79"), o), 0);
}

TEST(AuthThrottleTest, QuietAddressesAreDroppedOnTheNextFailure) {
  FakeClock clock;
  AuthThrottle t(clock);
  const auto o = opts(20, 60'000);
  for (int i = 0; i < 10; ++i) t.recordFailure(throttleKey("10.1.0." + std::to_string(i)), o);
  EXPECT_EQ(t.trackedAddresses(), 10u);
  clock.now += 61'000;  // every bucket is full again
  t.recordFailure(throttleKey("10.2.0.1"), o);
  EXPECT_EQ(t.trackedAddresses(), 1u);
}

TEST(AuthThrottleTest, AClockSteppingBackDoesNotOpenOrJamTheBucket) {
  FakeClock clock;
  AuthThrottle t(clock);
  const auto o = opts(2, 10'000);
  const std::string a = throttleKey("198.51.100.7");
  t.recordFailure(a, o);
  t.recordFailure(a, o);
  EXPECT_EQ(t.retryAfterSeconds(a, o), 5);
  clock.now -= 3'600'000;  // an hour back: closed for one interval at most, not an hour
  EXPECT_EQ(t.retryAfterSeconds(a, o), 5);
  t.recordFailure(a, o);
  EXPECT_EQ(t.retryAfterSeconds(a, o), 5);
  clock.now += 7'200'000;  // and forward: open, not owed anything
  EXPECT_EQ(t.retryAfterSeconds(a, o), 0);
  t.recordFailure(a, o);
  EXPECT_EQ(t.retryAfterSeconds(a, o), 0);
}

TEST(AuthThrottleTest, KnownKeysAreBoundedAndForgettable) {
  FakeClock clock;
  AuthThrottle t(clock);
  t.rememberKey("digest-a");
  EXPECT_TRUE(t.knowsKey("digest-a"));
  EXPECT_FALSE(t.knowsKey("digest-b"));
  t.forgetKey("digest-a");
  EXPECT_FALSE(t.knowsKey("digest-a"));
  t.rememberKey("keep");
  for (size_t i = 0; i < AuthThrottle::kMaxKnownKeys + 500; ++i) {
    t.rememberKey("k" + std::to_string(i));
    if (i % 100 == 0) t.rememberKey("keep");  // in use: stays
  }
  EXPECT_EQ(t.knownKeys(), AuthThrottle::kMaxKnownKeys);
  EXPECT_TRUE(t.knowsKey("keep"));
  EXPECT_FALSE(t.knowsKey("k0"));
}

TEST(AuthThrottleTest, ManyThreadsCountEveryFailure) {
  FakeClock clock;
  AuthThrottle t(clock);
  const auto o = opts(1'000, 3'600'000);
  const std::string a = throttleKey("198.51.100.8");
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 125; ++j) {
        t.recordFailure(a, o);
        (void)t.retryAfterSeconds(a, o);
        t.rememberKey("k" + std::to_string(j));
      }
    });
  }
  for (auto& th : threads) th.join();
  // Exactly 1000 failures: closed for exactly one interval (3.6 s → 4 s).
  EXPECT_EQ(t.retryAfterSeconds(a, o), 4);
}

}  // namespace
}  // namespace dispatch::http
