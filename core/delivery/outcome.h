// Pure translation of what a destination reported into what the retry policy needs.
#pragma once

#include "core/model/retry_policy.h"
#include "core/plugin/destination.h"

namespace dispatch::delivery {

model::AttemptOutcome classify(const plugin::DeliveryResult& r, TimeMs now);

}  // namespace dispatch::delivery
