// Trial runs of a transform, the author's loop (contracts/transforms.md, "Writing and testing a
// transform"): `dispatch transform run|test`, check-config's test files and the transform
// playground endpoint compile a script and run it once, in the server's sandbox and limits,
// keeping its log() lines for the caller instead of writing them to the server log. No Lua types
// cross this header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/transform/transform.h"

namespace dispatch::transform {

struct TrialResult {
  // kDeliver, kDrop or kError, as a link's run would give them; a script that does not compile
  // is a kError with the compile error ("<name>:<line>: …").
  Output output;
  // log() lines, the chunk's top level's first, in order; at most 100 per call (top level and
  // event call are two calls), each cut at 2 KiB.
  std::vector<std::string> logs;
  // Wall time of the event call alone (not the compile), in µs; 0 when it did not compile.
  int64_t durationUs = 0;
};

// Compiles `source` as the chunk `name` (shown in errors: "t.lua:3: boom") in a Lua state of its
// own, built as a server worker builds one, runs it once on `e` and frees the state. Nothing is
// cached or logged. Thread-safe: concurrent trials share nothing.
TrialResult runTrial(const std::string& name, const std::string& source, const Limits& limits,
                     const EventInput& e);

// How a trial shows a delivered body: the bytes themselves (surrounding whitespace trimmed) when
// they are one JSON value, else the bytes as a JSON string (invalid UTF-8 as U+FFFD). The result
// is always JSON text.
std::string bodyAsJson(std::string_view body);

}  // namespace dispatch::transform
