// DeliveryResult → AttemptOutcome.
#include "core/delivery/outcome.h"

namespace dispatch::delivery {

model::AttemptOutcome classify(const plugin::DeliveryResult& r, TimeMs now) {
  model::AttemptOutcome o;
  using K = plugin::DeliveryResult::Kind;
  switch (r.kind) {
    case K::kHttp:
      o.kind = model::AttemptOutcome::Kind::kHttp;
      o.httpStatus = r.status;
      if (r.retryAfter) o.retryAfterMs = parseRetryAfterMs(*r.retryAfter, now);
      break;
    case K::kTimeout:
      o.kind = model::AttemptOutcome::Kind::kTimeout;
      break;
    case K::kNetwork:
      o.kind = model::AttemptOutcome::Kind::kNetwork;
      break;
    case K::kPermanent:
      o.kind = model::AttemptOutcome::Kind::kPermanent;
      break;
  }
  return o;
}

}  // namespace dispatch::delivery
