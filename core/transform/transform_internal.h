// Test hooks into the transform runtime's state cache (no Lua types).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dispatch::transform::internal {

// Lua states created so far by this process (compile() and per-thread caches alike).
int64_t statesCreated();
// Lua states currently cached by the calling thread.
size_t cachedStatesOnThisThread();

}  // namespace dispatch::transform::internal
