// Token buckets for destination rate limits.
#include "core/delivery/rate_limiter.h"

#include <gtest/gtest.h>

namespace dispatch::delivery {
namespace {

TEST(RateLimiterTest, AllowsBurstThenWaitsForRefill) {
  RateLimiter rl;
  TimeMs t = 1'000'000;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rl.acquire("d", 5.0, t), 0) << i;
  int64_t wait = rl.acquire("d", 5.0, t);
  EXPECT_EQ(wait, 200);  // one token every 200 ms at 5/s
  EXPECT_EQ(rl.acquire("d", 5.0, t + 200), 0);
  EXPECT_GT(rl.acquire("d", 5.0, t + 200), 0);
}

TEST(RateLimiterTest, KeysAreIndependentAndZeroRateIsUnlimited) {
  RateLimiter rl;
  EXPECT_EQ(rl.acquire("a", 1.0, 0), 0);
  EXPECT_GT(rl.acquire("a", 1.0, 0), 0);
  EXPECT_EQ(rl.acquire("b", 1.0, 0), 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rl.acquire("c", 0.0, 0), 0);
}

TEST(RateLimiterTest, SlowRatesWaitLong) {
  RateLimiter rl;
  EXPECT_EQ(rl.acquire("m", 10.0 / 60.0, 0), 0);  // 10/m
  EXPECT_EQ(rl.acquire("m", 10.0 / 60.0, 0), 6000);
}

}  // namespace
}  // namespace dispatch::delivery
