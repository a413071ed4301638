// LISTEN dispatch_due: hears of deliveries created on other nodes (or by the CLI).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "core/util/time.h"

namespace dispatch::store {

// Runs until `stop` becomes true, reconnecting after failures. Calls `onDue(ms)` for each
// notification, and `onDue(0)` after every (re)connect since notifications sent while
// disconnected are lost (the caller then polls the store).
void listenForDue(const std::string& databaseUrl, const std::atomic<bool>& stop,
                  const std::function<void(TimeMs)>& onDue);

}  // namespace dispatch::store
