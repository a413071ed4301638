// A node's stop: the order its parts wind down in, within one grace period.
#pragma once

#include <cstdint>

#include "core/delivery/engine.h"
#include "core/http/server.h"
#include "core/jobs/schedule_ticker.h"
#include "core/store/retention.h"

namespace dispatch::app {

// In-flight requests are answered first (their events are committed either way), then the
// schedule ticker and the purger stop, then attempts in flight get what is left of `graceMs`. Then
// exits the process at once (_exit(0)): workers stuck past the grace period were released, and
// nothing waits for them.
[[noreturn]] void shutDown(http::Server& server, jobs::ScheduleTicker& ticker,
                           store::RetentionPurger& purger, delivery::Engine& engine,
                           int64_t graceMs);

}  // namespace dispatch::app
