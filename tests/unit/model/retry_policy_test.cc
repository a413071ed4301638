// Retry policy: the job clock, backoff arithmetic, jitter, Retry-After and classification.
#include "core/model/retry_policy.h"

#include <gtest/gtest.h>

#include <limits>

namespace dispatch::model {
namespace {

AttemptOutcome http(int status, std::optional<int64_t> retryAfterMs = std::nullopt) {
  AttemptOutcome o;
  o.kind = AttemptOutcome::Kind::kHttp;
  o.httpStatus = status;
  o.retryAfterMs = retryAfterMs;
  return o;
}

AttemptOutcome of(AttemptOutcome::Kind kind) {
  AttemptOutcome o;
  o.kind = kind;
  return o;
}

RetryPolicy exponential(int64_t initialMs, int64_t maxDelayMs, bool jitter = false) {
  RetryPolicy p;
  p.backoff = Backoff::kExponential;
  p.initialMs = initialMs;
  p.maxDelayMs = maxDelayMs;
  p.jitter = jitter;
  return p;
}

constexpr TimeMs kNow = 1'700'000'000'000;

TEST(RetryPolicyTest, JobDefaultMatchesTheContract) {
  const RetryPolicy p = RetryPolicy::jobDefault();
  EXPECT_EQ(p.maxAttempts, 3);
  EXPECT_EQ(p.backoff, Backoff::kSchedule);
  EXPECT_EQ(p.scheduleMs, (std::vector<int64_t>{30'000, 60'000}));
  EXPECT_EQ(p.maxDelayMs, 300'000);
  EXPECT_FALSE(p.jitter);
  EXPECT_TRUE(p.retryOn.anyStatus);
  EXPECT_TRUE(p.retryOn.network);
  EXPECT_TRUE(p.retryOn.timeout);
}

// 30 s after the 1st failure, 1 min after the 2nd, DEAD on the 3rd: retryCount ends at 3.
TEST(RetryPolicyTest, JobClockThirtySecondsThenOneMinuteThenDead) {
  const RetryPolicy p = RetryPolicy::jobDefault();
  int retryCount = 0;
  TimeMs now = kNow;

  Decision d = decide(p, 1, http(500), now, 0.9);
  ++retryCount;
  ASSERT_EQ(d.next, NextState::kRetry);
  EXPECT_EQ(d.nextAttemptAt, now + 30'000);  // no jitter on a schedule

  now = d.nextAttemptAt;
  d = decide(p, 2, of(AttemptOutcome::Kind::kTimeout), now, -0.9);
  ++retryCount;
  ASSERT_EQ(d.next, NextState::kRetry);
  EXPECT_EQ(d.nextAttemptAt, now + 60'000);

  now = d.nextAttemptAt;
  d = decide(p, 3, of(AttemptOutcome::Kind::kNetwork), now, 0);
  ++retryCount;
  EXPECT_EQ(d.next, NextState::kDead);
  EXPECT_EQ(retryCount, 3);
}

// fail, fail, success: retryCount 2 and the job ends SUCCESS.
TEST(RetryPolicyTest, JobClockSuccessOnThirdAttempt) {
  const RetryPolicy p = RetryPolicy::jobDefault();
  int retryCount = 0;
  if (decide(p, 1, http(502), kNow, 0).next == NextState::kRetry) ++retryCount;
  if (decide(p, 2, http(404), kNow, 0).next == NextState::kRetry) ++retryCount;
  EXPECT_EQ(decide(p, 3, http(204), kNow, 0).next, NextState::kSuccess);
  EXPECT_EQ(retryCount, 2);
}

TEST(RetryPolicyTest, ScheduleLastEntryRepeatsAndIsCapped) {
  RetryPolicy p = RetryPolicy::jobDefault();
  EXPECT_EQ(retryDelayMs(p, 1, 0), 30'000);
  EXPECT_EQ(retryDelayMs(p, 2, 0), 60'000);
  EXPECT_EQ(retryDelayMs(p, 3, 0), 60'000);
  EXPECT_EQ(retryDelayMs(p, 50, 0), 60'000);

  p.scheduleMs = {1'000, 900'000};
  EXPECT_EQ(retryDelayMs(p, 1, 0), 1'000);
  EXPECT_EQ(retryDelayMs(p, 2, 0), 300'000);
  EXPECT_EQ(retryDelayMs(p, 7, 0), 300'000);
}

TEST(RetryPolicyTest, ScheduleIgnoresJitterEvenWhenEnabled) {
  RetryPolicy p = RetryPolicy::jobDefault();
  p.jitter = true;
  EXPECT_EQ(retryDelayMs(p, 1, 1.0), 30'000);
  EXPECT_EQ(retryDelayMs(p, 2, -1.0), 60'000);
}

TEST(RetryPolicyTest, ExponentialDoublesFromInitial) {
  const RetryPolicy p = exponential(10'000, 3'600'000);
  EXPECT_EQ(retryDelayMs(p, 1, 0), 10'000);
  EXPECT_EQ(retryDelayMs(p, 2, 0), 20'000);
  EXPECT_EQ(retryDelayMs(p, 3, 0), 40'000);
  EXPECT_EQ(retryDelayMs(p, 4, 0), 80'000);
  EXPECT_EQ(retryDelayMs(p, 5, 0), 160'000);
  EXPECT_EQ(retryDelayMs(p, 6, 0), 320'000);
  EXPECT_EQ(retryDelayMs(p, 9, 0), 2'560'000);
  EXPECT_EQ(retryDelayMs(p, 10, 0), 3'600'000);  // 5'120'000 capped
}

TEST(RetryPolicyTest, ExponentialNeverOverflows) {
  const RetryPolicy p = exponential(10'000, 3'600'000, true);
  for (int n : {20, 53, 61, 62, 63, 64, 100, 1'000, std::numeric_limits<int>::max()}) {
    EXPECT_EQ(retryDelayMs(p, n, 0), 3'600'000) << n;
    EXPECT_EQ(retryDelayMs(p, n, 1.0), 3'600'000) << n;
    EXPECT_EQ(retryDelayMs(p, n, -1.0), 2'880'000) << n;  // jitter applies below the cap
  }
  const RetryPolicy huge =
      exponential(std::numeric_limits<int64_t>::max() / 2, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(retryDelayMs(huge, 3, 0), std::numeric_limits<int64_t>::max());
}

TEST(RetryPolicyTest, FixedBackoffIsConstantAndCapped) {
  RetryPolicy p = exponential(5'000, 3'600'000);
  p.backoff = Backoff::kFixed;
  EXPECT_EQ(retryDelayMs(p, 1, 0), 5'000);
  EXPECT_EQ(retryDelayMs(p, 6, 0), 5'000);
  p.maxDelayMs = 2'000;
  EXPECT_EQ(retryDelayMs(p, 1, 0), 2'000);
}

TEST(RetryPolicyTest, JitterStaysWithinTwentyPercent) {
  const RetryPolicy p = exponential(10'000, 3'600'000, true);
  EXPECT_EQ(retryDelayMs(p, 1, 0), 10'000);
  EXPECT_EQ(retryDelayMs(p, 1, 1.0), 12'000);
  EXPECT_EQ(retryDelayMs(p, 1, -1.0), 8'000);
  EXPECT_EQ(retryDelayMs(p, 2, 0.5), 22'000);
  for (double u = -1.0; u <= 1.0; u += 0.05) {
    for (int n = 1; n <= 8; ++n) {
      const int64_t base = retryDelayMs(exponential(10'000, 3'600'000), n, 0);
      const int64_t d = retryDelayMs(p, n, u);
      EXPECT_GE(d, base * 8 / 10) << n << " " << u;
      EXPECT_LE(d, base * 12 / 10) << n << " " << u;
    }
  }
  // Out-of-range units are clamped to ±1; NaN means no jitter.
  EXPECT_EQ(retryDelayMs(p, 1, 7.0), 12'000);
  EXPECT_EQ(retryDelayMs(p, 1, -7.0), 8'000);
  EXPECT_EQ(retryDelayMs(p, 1, std::numeric_limits<double>::quiet_NaN()), 10'000);
}

TEST(RetryPolicyTest, JitteredDelayIsStillCapped) {
  const RetryPolicy p = exponential(10'000, 11'000, true);
  EXPECT_EQ(retryDelayMs(p, 1, 1.0), 11'000);
  EXPECT_EQ(retryDelayMs(p, 1, -1.0), 8'000);
}

TEST(RetryPolicyTest, DecideUsesTheFailureCountForBackoff) {
  const RetryPolicy p = exponential(10'000, 3'600'000);
  EXPECT_EQ(decide(p, 1, http(500), kNow, 0).nextAttemptAt, kNow + 10'000);
  EXPECT_EQ(decide(p, 3, http(500), kNow, 0).nextAttemptAt, kNow + 40'000);
  EXPECT_EQ(decide(p, 6, http(500), kNow, 0).nextAttemptAt, kNow + 320'000);
  EXPECT_EQ(decide(p, 7, http(500), kNow, 0).next, NextState::kDead);  // maxAttempts 7
}

TEST(RetryPolicyTest, RetryAfterOverridesOn429And503) {
  const RetryPolicy p = exponential(10'000, 3'600'000, true);
  for (int status : {429, 503}) {
    const Decision d = decide(p, 1, http(status, 120'000), kNow, 1.0);
    ASSERT_EQ(d.next, NextState::kRetry) << status;
    EXPECT_EQ(d.nextAttemptAt, kNow + 120'000) << status;  // exactly, no jitter
  }
  // Retry-After: 0 means "now".
  EXPECT_EQ(decide(p, 1, http(429, 0), kNow, 0).nextAttemptAt, kNow);
}

TEST(RetryPolicyTest, RetryAfterIsCappedAtMaxDelay) {
  const RetryPolicy p = exponential(10'000, 3'600'000);
  EXPECT_EQ(decide(p, 1, http(503, 86'400'000), kNow, 0).nextAttemptAt, kNow + 3'600'000);
  const RetryPolicy job = RetryPolicy::jobDefault();
  EXPECT_EQ(decide(job, 1, http(429, 3'600'000), kNow, 0).nextAttemptAt, kNow + 300'000);
}

TEST(RetryPolicyTest, RetryAfterIgnoredOnOtherStatuses) {
  const RetryPolicy p = exponential(10'000, 3'600'000);
  for (int status : {500, 502, 408}) {
    EXPECT_EQ(decide(p, 1, http(status, 120'000), kNow, 0).nextAttemptAt, kNow + 10'000) << status;
  }
  const RetryPolicy job = RetryPolicy::jobDefault();
  EXPECT_EQ(decide(job, 1, http(400, 1'000), kNow, 0).nextAttemptAt, kNow + 30'000);
}

TEST(RetryPolicyTest, SuccessIsAny2xx) {
  EXPECT_TRUE(isSuccess(http(200)));
  EXPECT_TRUE(isSuccess(http(201)));
  EXPECT_TRUE(isSuccess(http(299)));
  EXPECT_FALSE(isSuccess(http(199)));
  EXPECT_FALSE(isSuccess(http(300)));
  EXPECT_FALSE(isSuccess(http(301)));
  EXPECT_FALSE(isSuccess(of(AttemptOutcome::Kind::kTimeout)));
  AttemptOutcome network = of(AttemptOutcome::Kind::kNetwork);
  network.httpStatus = 200;  // a stray status on a non-HTTP outcome means nothing
  EXPECT_FALSE(isSuccess(network));
  EXPECT_EQ(decide(RetryPolicy{}, 7, http(200), kNow, 0).next, NextState::kSuccess);
}

TEST(RetryPolicyTest, DestinationDefaultClassification) {
  const RetryPolicy p;  // retry_on: [network, timeout, 408, 429, 5xx]
  EXPECT_TRUE(isRetryable(p, http(408)));
  EXPECT_TRUE(isRetryable(p, http(429)));
  EXPECT_TRUE(isRetryable(p, http(500)));
  EXPECT_TRUE(isRetryable(p, http(503)));
  EXPECT_TRUE(isRetryable(p, http(599)));
  EXPECT_TRUE(isRetryable(p, of(AttemptOutcome::Kind::kTimeout)));
  EXPECT_TRUE(isRetryable(p, of(AttemptOutcome::Kind::kNetwork)));
  for (int status : {400, 401, 403, 404, 410, 422, 301, 600}) {
    EXPECT_FALSE(isRetryable(p, http(status))) << status;
  }
  EXPECT_FALSE(isRetryable(p, of(AttemptOutcome::Kind::kPermanent)));
  EXPECT_FALSE(isRetryable(p, http(200)));
}

TEST(RetryPolicyTest, BadRequestIsPermanentForDestinationsButRetriedForJobs) {
  const Decision dest = decide(RetryPolicy{}, 1, http(400), kNow, 0);
  EXPECT_EQ(dest.next, NextState::kDead);
  const Decision job = decide(RetryPolicy::jobDefault(), 1, http(400), kNow, 0);
  EXPECT_EQ(job.next, NextState::kRetry);
  EXPECT_EQ(job.nextAttemptAt, kNow + 30'000);
}

TEST(RetryPolicyTest, PermanentIsNeverRetried) {
  const Decision d =
      decide(RetryPolicy::jobDefault(), 1, of(AttemptOutcome::Kind::kPermanent), kNow, 0);
  EXPECT_EQ(d.next, NextState::kDead);
}

TEST(RetryPolicyTest, RetryOnSwitches) {
  RetryPolicy p;
  p.retryOn.network = false;
  p.retryOn.timeout = false;
  p.retryOn.status5xx = false;
  p.retryOn.statuses = {418};
  EXPECT_FALSE(isRetryable(p, of(AttemptOutcome::Kind::kNetwork)));
  EXPECT_FALSE(isRetryable(p, of(AttemptOutcome::Kind::kTimeout)));
  EXPECT_FALSE(isRetryable(p, http(500)));
  EXPECT_FALSE(isRetryable(p, http(429)));
  EXPECT_TRUE(isRetryable(p, http(418)));
  p.retryOn.status4xx = true;
  EXPECT_TRUE(isRetryable(p, http(404)));
  EXPECT_FALSE(isRetryable(p, http(502)));
}

TEST(RetryPolicyTest, SingleAttemptPolicyIsDeadOnFirstFailure) {
  RetryPolicy p;
  p.maxAttempts = 1;
  EXPECT_EQ(decide(p, 1, http(503, 1'000), kNow, 0).next, NextState::kDead);
}

// Found by tests/fuzz/config_fuzz: `max_delay: 106751991167d` (the largest duration the config
// takes) made `now + delay` overflow.
TEST(RetryPolicyTest, FarFutureRetriesStopAtTheYear9999) {
  const RetryPolicy p =
      exponential(std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max());
  const TimeMs latest = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
  const Decision d = decide(p, 1, of(AttemptOutcome::Kind::kTimeout), kNow, 0);
  ASSERT_EQ(d.next, NextState::kRetry);
  EXPECT_EQ(d.nextAttemptAt, latest);
  EXPECT_EQ(decide(p, 1, http(503, std::numeric_limits<int64_t>::max()), kNow, 0).nextAttemptAt,
            latest);
  // Ordinary delays are untouched.
  EXPECT_EQ(decide(exponential(10'000, 3'600'000), 1, http(500), kNow, 0).nextAttemptAt,
            kNow + 10'000);
}

}  // namespace
}  // namespace dispatch::model
