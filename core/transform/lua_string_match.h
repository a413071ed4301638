// string.find, string.match, string.gmatch and string.gsub for the sandbox: Lua 5.4 semantics on
// PatternMatcher (lua_pattern.h), with the matcher's work charged to the call's instruction
// budget. Internal to core/transform/.
#pragma once

#include <cstdint>

#include "core/transform/lua_headers.h"

namespace dispatch::transform::internal {

// Matcher steps that cost one VM instruction of the call's budget (Limits::maxInstructions).
// A step is a few nanoseconds, an instruction somewhat more, so 16 keeps ordinary matching on
// large bodies cheap while the default budget (1,000,000) still stops a runaway pattern after
// 16M steps, i.e. tens of milliseconds.
inline constexpr int64_t kMatchStepsPerInstruction = 16;

// Replaces find, match, gmatch and gsub in the global `string` table, which strings' metatable
// indexes, so `s:find(...)` gets them too. Needs a sandbox state (sandbox.h).
void installPatternFunctions(lua_State* L);

}  // namespace dispatch::transform::internal
