// Pure retry arithmetic: what counts as success, what may be retried, and when.
#include "core/model/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dispatch::model {

namespace {

constexpr double kJitterFraction = 0.2;
// The latest due time a retry gets, 9999-12-31T23:59:59.999Z: a max_delay of centuries would
// otherwise overflow `now + delay`, and the store's timestamps end not far past it.
constexpr TimeMs kLatestDueMs = 253'402'300'799'999;

// 2^k·initial without overflow: anything that would exceed `cap` is the cap.
int64_t exponentialMs(int64_t initialMs, int failures, int64_t capMs) {
  if (initialMs <= 0) return 0;
  const int shift = failures - 1;
  // 62 keeps 1 << shift inside int64_t; larger shifts are always past any cap.
  if (shift >= 62) return capMs;
  const int64_t factor = int64_t{1} << shift;
  if (initialMs > capMs / factor) return capMs;
  return initialMs * factor;
}

int64_t applyJitter(int64_t delayMs, double jitterUnit) {
  // A NaN unit would poison the arithmetic; treat it as "no jitter".
  if (std::isnan(jitterUnit)) return delayMs;
  const double unit = std::clamp(jitterUnit, -1.0, 1.0);
  const double jittered = static_cast<double>(delayMs) * (1.0 + kJitterFraction * unit);
  // Stay inside int64_t: the double may round a value near the maximum past it.
  if (jittered >= static_cast<double>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  return std::max<int64_t>(0, std::llround(jittered));
}

bool isRetryAfterStatus(int status) { return status == 429 || status == 503; }

}  // namespace

RetryPolicy RetryPolicy::jobDefault() {
  RetryPolicy p;
  p.maxAttempts = 3;
  p.backoff = Backoff::kSchedule;
  p.scheduleMs = {30'000, 60'000};
  p.maxDelayMs = 300'000;
  p.jitter = false;
  p.retryOn.network = true;
  p.retryOn.timeout = true;
  p.retryOn.anyStatus = true;
  return p;
}

bool isSuccess(const AttemptOutcome& o) {
  return o.kind == AttemptOutcome::Kind::kHttp && o.httpStatus >= 200 && o.httpStatus <= 299;
}

bool isRetryable(const RetryPolicy& p, const AttemptOutcome& o) {
  switch (o.kind) {
    case AttemptOutcome::Kind::kPermanent:
      return false;
    case AttemptOutcome::Kind::kTimeout:
      return p.retryOn.timeout;
    case AttemptOutcome::Kind::kNetwork:
      return p.retryOn.network;
    case AttemptOutcome::Kind::kHttp:
      break;
  }
  if (isSuccess(o)) return false;
  const RetryOn& r = p.retryOn;
  const int s = o.httpStatus;
  if (r.anyStatus) return true;
  if (r.status5xx && s >= 500 && s <= 599) return true;
  if (r.status4xx && s >= 400 && s <= 499) return true;
  return std::find(r.statuses.begin(), r.statuses.end(), s) != r.statuses.end();
}

int64_t retryDelayMs(const RetryPolicy& p, int failures, double jitterUnit) {
  failures = std::max(failures, 1);
  const int64_t capMs = std::max<int64_t>(p.maxDelayMs, 0);
  int64_t delay = 0;
  bool jitterable = p.jitter;
  switch (p.backoff) {
    case Backoff::kExponential:
      delay = exponentialMs(p.initialMs, failures, capMs);
      break;
    case Backoff::kFixed:
      delay = p.initialMs;
      break;
    case Backoff::kSchedule:
      // An explicit schedule is what the operator asked for, to the millisecond.
      jitterable = false;
      if (p.scheduleMs.empty()) {
        delay = p.initialMs;
      } else {
        const size_t i = std::min(static_cast<size_t>(failures - 1), p.scheduleMs.size() - 1);
        delay = p.scheduleMs[i];
      }
      break;
  }
  delay = std::max<int64_t>(delay, 0);
  if (jitterable) delay = applyJitter(delay, jitterUnit);
  return std::min(delay, capMs);
}

Decision decide(const RetryPolicy& p, int attemptNumber, const AttemptOutcome& o, TimeMs now,
                double jitterUnit) {
  if (isSuccess(o)) return Decision{NextState::kSuccess, 0};
  if (!isRetryable(p, o) || attemptNumber >= p.maxAttempts) return Decision{NextState::kDead, 0};

  // Every earlier attempt failed too (a success would have ended the sequence), so the
  // attempt number is the failure count.
  int64_t delay = retryDelayMs(p, attemptNumber, jitterUnit);
  if (o.kind == AttemptOutcome::Kind::kHttp && isRetryAfterStatus(o.httpStatus) &&
      o.retryAfterMs.has_value()) {
    delay = std::clamp<int64_t>(*o.retryAfterMs, 0, std::max<int64_t>(p.maxDelayMs, 0));
  }
  return Decision{NextState::kRetry,
                  now + std::min(delay, std::max<int64_t>(kLatestDueMs - now, 0))};
}

}  // namespace dispatch::model
