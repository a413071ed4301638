// HTTP exchange → attempt outcome.
#include "core/delivery/outcome.h"

namespace dispatch::delivery {

AttemptOutcome classify(const net::HttpResponse& r, TimeMs now) {
  AttemptOutcome o;
  using E = net::HttpResponse::Error;
  switch (r.error) {
    case E::kNone:
      o.kind = AttemptOutcome::Kind::kHttp;
      o.httpStatus = r.status;
      if (r.retryAfter) o.retryAfterMs = parseRetryAfterMs(*r.retryAfter, now);
      break;
    case E::kTimeout: o.kind = AttemptOutcome::Kind::kTimeout; break;
    case E::kNetwork: o.kind = AttemptOutcome::Kind::kNetwork; break;
    // A URL the policy refuses, or one that cannot be parsed, will not get better by
    // waiting: no retries.
    case E::kBlocked:
    case E::kInvalidUrl: o.kind = AttemptOutcome::Kind::kPermanent; break;
  }
  return o;
}

std::optional<std::string> errorSummary(const net::HttpResponse& r) {
  if (r.error != net::HttpResponse::Error::kNone) return r.errorText;
  if (r.status >= 200 && r.status < 300) return std::nullopt;
  return "HTTP " + std::to_string(r.status);
}

}  // namespace dispatch::delivery
