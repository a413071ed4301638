// The one retry-policy type, shared by jobs and event destinations, and the pure
// decision of what follows an attempt. No clock, no randomness inside: callers pass
// both, so the logic is tested without sleeping.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/time.h"

namespace dispatch::model {

enum class Backoff { kExponential, kFixed, kSchedule };

// Which failed outcomes are worth another attempt.
struct RetryOn {
  bool network = true;                  // connection refused/reset, DNS failure, TLS failure
  bool timeout = true;                  // no complete answer within the timeout
  bool anyStatus = false;               // every non-2xx status (the job policy)
  bool status5xx = true;                // any 500..599
  bool status4xx = false;               // any 400..499
  std::vector<int> statuses{408, 429};  // specific codes
};

struct RetryPolicy {
  // Total attempts including the first. Default: 7 (destinations); jobs: 3.
  int maxAttempts = 7;
  // Default: exponential.
  Backoff backoff = Backoff::kExponential;
  // Exponential: delay = initial·2^(n−1); fixed: delay = initial. Default: 10 s.
  int64_t initialMs = 10'000;
  // Every delay is capped here, Retry-After included. Default: 1 h.
  int64_t maxDelayMs = 3'600'000;
  // ±20 % on computed delays (not on an explicit schedule or Retry-After). Default: true.
  bool jitter = true;
  // kSchedule: the delay after the n-th failure is schedule[n-1]; the last entry repeats.
  std::vector<int64_t> scheduleMs;
  RetryOn retryOn;

  // The job default of the contract: 3 attempts, 30 s then 1 min, capped at 5 min,
  // every failure retryable.
  static RetryPolicy jobDefault();
};

// What one attempt produced, as far as the engine's decision is concerned.
struct AttemptOutcome {
  enum class Kind { kHttp, kTimeout, kNetwork, kPermanent };
  Kind kind = Kind::kHttp;
  int httpStatus = 0;                   // kHttp only
  std::optional<int64_t> retryAfterMs;  // parsed Retry-After, if the answer had one
};

bool isSuccess(const AttemptOutcome& o);
bool isRetryable(const RetryPolicy& p, const AttemptOutcome& o);

// Delay before the next attempt after `failures` failed attempts (1-based), before any
// Retry-After override. `jitterUnit` in [-1, 1] scales the ±20 % jitter.
int64_t retryDelayMs(const RetryPolicy& p, int failures, double jitterUnit);

enum class NextState { kSuccess, kRetry, kDead };
struct Decision {
  NextState next = NextState::kDead;
  TimeMs nextAttemptAt = 0;  // kRetry only
};

// After the `attemptNumber`-th attempt (1-based) ended with `o` at time `now`.
Decision decide(const RetryPolicy& p, int attemptNumber, const AttemptOutcome& o, TimeMs now,
                double jitterUnit);

}  // namespace dispatch::model
