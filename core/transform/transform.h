// Sandboxed Lua 5.4 transforms (contracts/transforms.md): a link's script is compiled once per
// config load and run once per routed event. No Lua types cross this header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/status.h"

namespace dispatch::transform {

namespace internal {
struct Spec;
}  // namespace internal

// Per-call limits. Exceeding one ends the call with an error and the thread's Lua state for
// that transform is discarded and rebuilt on its next call.
struct Limits {
  // VM instructions per call (checked every 1000 instructions). Work in C counts too: the
  // pattern matching of string.find/match/gmatch/gsub (16 matcher steps to the instruction),
  // table.move (one per element), table.sort without an order function (n·log2 n).
  // Default: 1,000,000
  int64_t maxInstructions = 1'000'000;
  // CPU time per call (the thread's CPU clock), work inside library functions included. Checked
  // with the instruction count and before every function call. Default: 50 ms
  int64_t maxCpuTimeMs = 50;
  // Heap of one Lua state (libraries, the chunk and the call's data). Default: 16 MiB
  int64_t maxMemoryBytes = 16 << 20;
  // Size of the delivered body (pass server.max_body_bytes). Default: 1 MiB
  int64_t maxOutputBytes = 1 << 20;
  // Entries of event.headers_out. Default: 64
  int64_t maxHeaders = 64;
  // Name plus value of one output header. Default: 8 KiB
  int64_t maxHeaderBytes = 8 << 10;
  // An error text is cut to this many bytes (on a UTF-8 boundary). Default: 8 KiB
  int64_t maxErrorBytes = 8 << 10;
};

// The routed event as the transform sees it. Only borrowed for the duration of run().
struct EventInput {
  std::string id;
  std::string source;
  std::string type;  // "" when no type was extracted
  // Lower-cased names; a repeated name reaches Lua as one value joined with ", ".
  std::vector<std::pair<std::string, std::string>> headers;
  // Query-string parameters; for a repeated name the first value wins.
  std::vector<std::pair<std::string, std::string>> query;
  std::string_view body;  // raw request bytes
};

struct Output {
  enum class Kind { kDrop, kDeliver, kError };
  Kind kind = Kind::kDrop;
  // kDeliver: the delivered bytes. Equal to the input body (byte for byte) when the transform
  // left event.body as decoded; otherwise the returned string or the JSON encoding of the table.
  std::string body;
  bool bodyChanged = false;
  // kDeliver: event.headers_out, validated, sorted by name.
  std::vector<std::pair<std::string, std::string>> headersOut;
  std::string type;   // kDeliver: event.type as returned (may differ from the input's)
  std::string error;  // kError: Lua error text with chunk name and line, or the limit hit
};

// The script's environment, an allow-list in the manner of Redis src/script_lua.c:
// - Globals: string (no dump), table, math, utf8, pairs, ipairs, next, select, type, tostring,
//   tonumber, error, pcall, assert, rawget, rawset, rawequal, rawlen, getmetatable,
//   setmetatable (a __gc field is refused), os.time/date/clock, json.encode/decode/null, log.
//   No xpcall: Lua runs its message handler with hooks off, outside the instruction limit.
//   getmetatable("") is false. Only text chunks load.
// - string.find/match/gmatch/gsub are the sandbox's own Lua 5.4 pattern matcher (same results
//   and errors as Lua's), whose work counts against the instruction limit, so a backtracking
//   pattern on hostile text ends with "instruction limit exceeded" instead of holding a thread.
// - No call can change what the next one sees: string, table, math, utf8, os and json are
//   read-only proxies once the chunk's top level has run (which may still add helpers to them);
//   writing to one is an error. Globals assigned during a call are forgotten when the next call
//   starts; a call that seeds math.random leaves the next one a fresh seed. Chunk-level locals
//   and the contents of tables the chunk made do persist per thread and state: never rely on
//   them.
// - Output: event.type and event.headers_out values must be valid UTF-8 without NUL or other
//   control characters (tab allowed); a body string is delivered as its bytes.
// - JSON: objects ⇄ tables with string keys, encoded compact with sorted keys; arrays ⇄
//   sequences with a hidden array metatable (json.decode("[]") is an empty array, {} encodes as
//   an object); null ⇄ json.null (light userdata); integer literals within int64 ⇄ Lua
//   integers; other numbers ⇄ floats, written in shortest round-trip form with ".0" added when
//   integral. NaN, infinity, functions, sparse or mixed-key tables and nesting over 128 (cycles)
//   are errors; invalid UTF-8 in strings is written as U+FFFD.
// - log(msg): at most 100 lines of 2 KiB per call.
// A compiled transform. Immutable; run() is thread-safe. Each thread keeps its own Lua state
// per transform (created on the thread's first call, reused afterwards, freed lazily after the
// Transform is destroyed), so calls never pay for creating a state.
class Transform {
 public:
  // Loads `source` as a text chunk named `name` (e.g. "transforms/github_slim.lua") and runs it
  // once in the sandbox. kInvalid, with "<name>:<line>:" in the message, on a syntax error, a
  // top-level runtime error, a limit hit, or when no global function `transform` is defined.
  // `linkName` labels the script's log() lines.
  static Result<std::shared_ptr<const Transform>> compile(std::string name, std::string source,
                                                          Limits limits, std::string linkName);

  // Runs the script on one event. Never throws; script failures come back as kError.
  Output run(const EventInput& e) const;

  const std::string& name() const;
  const Limits& limits() const;
  uint64_t id() const;  // unique for the life of the process

  Transform(const Transform&) = delete;
  Transform& operator=(const Transform&) = delete;
  ~Transform();

 private:
  explicit Transform(std::shared_ptr<const internal::Spec> spec);
  // Shared with the per-thread caches only as weak_ptr: its expiry frees their states.
  std::shared_ptr<const internal::Spec> spec_;
};

}  // namespace dispatch::transform
