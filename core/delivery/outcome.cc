// DeliveryResult → AttemptOutcome.
#include "core/delivery/outcome.h"

namespace dispatch::delivery {

AttemptOutcome classify(const plugin::DeliveryResult& r, TimeMs now) {
  AttemptOutcome o;
  using K = plugin::DeliveryResult::Kind;
  switch (r.kind) {
    case K::kHttp:
      o.kind = AttemptOutcome::Kind::kHttp;
      o.httpStatus = r.status;
      if (r.retryAfter) o.retryAfterMs = parseRetryAfterMs(*r.retryAfter, now);
      break;
    case K::kTimeout: o.kind = AttemptOutcome::Kind::kTimeout; break;
    case K::kNetwork: o.kind = AttemptOutcome::Kind::kNetwork; break;
    case K::kPermanent: o.kind = AttemptOutcome::Kind::kPermanent; break;
  }
  return o;
}

}  // namespace dispatch::delivery
