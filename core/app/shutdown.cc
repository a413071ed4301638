// The shutdown sequence.
#include "core/app/shutdown.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "core/util/log.h"

namespace dispatch::app {

void shutDown(http::Server& server, jobs::ScheduleTicker& ticker, store::RetentionPurger& purger,
              delivery::Engine& engine, int64_t graceMs) {
  log::info("shutting down");
  auto stopStart = std::chrono::steady_clock::now();
  server.stop(graceMs);
  graceMs -= std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - stopStart)
                 .count();
  if (graceMs < 0) graceMs = 0;
  ticker.stop();
  purger.stop();
  engine.stop(graceMs);
  log::info("stopped");
  std::fflush(stdout);
  _exit(0);
}

}  // namespace dispatch::app
