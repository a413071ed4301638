// One sandboxed lua_State: allow-listed globals, a counting allocator, an instruction hook and
// the script's chunk loaded. Internal to core/transform/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/transform/lua_headers.h"
#include "core/transform/transform.h"
#include "core/util/json.h"
#include "core/util/status.h"

namespace dispatch::transform::internal {

// What a Transform is made of; everything a thread needs to (re)build its state.
struct Spec {
  uint64_t id = 0;
  std::string name;     // chunk name as shown in messages
  std::string chunkId;  // "@" + name, so Lua reports "<name>:<line>:"
  std::string source;
  Limits limits;
  std::string linkName;
};

// Bookkeeping of one state, reachable from lua_State's extra space. Scratch buffers live here
// rather than on C++ stack frames because a Lua error longjmps past those frames.
struct StateContext {
  // Allocator.
  size_t memUsed = 0;
  size_t memLimit = 0;
  bool memHit = false;          // a refusal was final: the call has failed
  bool refusalPending = false;  // refused; final unless the next growth is Lua's retry of it
  const void* refusedBlock = nullptr;
  size_t refusedOld = 0;
  size_t refusedNew = 0;
  // Instruction budget of the current call.
  int64_t instrUsed = 0;
  int64_t instrLimit = 0;
  int hookEvery = 1000;
  // CPU-time budget of the current call (see checkCpuTime in sandbox.cc for how it is read).
  int64_t cpuLimitNs = 0;
  int64_t callStartNs = 0;      // monotonic clock when the call started
  int64_t lastCheckNs = 0;      // monotonic clock at the previous check
  int64_t nextCpuReadNs = 0;    // monotonic time before which the budget cannot be spent
  int64_t cpuBaseNs = -1;       // thread CPU clock at the call's first reading; -1: none yet
  int64_t cpuBeforeBaseNs = 0;  // CPU time charged for the part of the call before that reading
  // The limit that ended the current call; the hook then errors until the call has unwound.
  enum class Hit { kNone, kInstructions, kCpuTime };
  Hit hit = Hit::kNone;
  bool loading = false;       // the chunk's top level is running: it may extend the libraries
  bool reseedRandom = false;  // a call seeded math.random: the next one starts from a fresh seed
  int logLines = 0;           // log() calls in the current call
  // Set for a trial run (trial.h): log() lines are appended here instead of going to the
  // server log. Owned by the caller; the state is used by one thread at a time.
  std::vector<std::string>* logSink = nullptr;

  int transformRef = LUA_NOREF;
  int globalsRef = LUA_NOREF;  // the proxy scripts see as _G / _ENV
  int realGlobalsRef = LUA_NOREF;
  int randomseedRef = LUA_NOREF;  // the library's math.randomseed
  int arrayMetaRef = LUA_NOREF;
  const void* arrayMeta = nullptr;  // identity of the metatable marking JSON arrays
  int64_t maxOutputBytes = 0;
  int64_t maxHeaders = 0;
  int64_t maxHeaderBytes = 0;
  size_t maxErrorBytes = 0;
  std::string name;
  std::string linkName;

  std::string buf;                     // json.encode output
  std::vector<std::string_view> keys;  // object keys being sorted, as a stack across levels
  json::Value decoded;                 // json.decode input tree
  std::string message;                 // error text waiting to be raised
};

inline StateContext* contextOf(lua_State* L) {
  StateContext* c;
  std::memcpy(&c, lua_getextraspace(L), sizeof c);
  return c;
}

// Raises a Lua error "<chunk>:<line>: <text>" (the calling script line), or "<chunk>: <text>"
// when no script function called the C code raising it.
[[noreturn]] void raiseError(lua_State* L, const char* fmt, ...);

// Forgets the globals assigned by earlier calls, so no call sees another call's globals, and
// gives math.random a fresh seed when an earlier call seeded it.
void resetCallState(lua_State* L);

// Instructions left in the current call's budget (0 once it is spent).
int64_t instructionsLeft(lua_State* L);

// Charges `n` instructions of work done in C (where the hook never fires) to the current call,
// and checks the CPU-time budget. When either is spent the call fails exactly as if the hook
// had caught it.
void chargeInstructions(lua_State* L, uint64_t n);

// Fails the current call with the instruction-limit error; the hook then errors on every
// instruction until the call has unwound, so a script's pcall cannot swallow it.
[[noreturn]] void failInstructionLimit(lua_State* L);

// Fails the current call, as failInstructionLimit does, when its CPU time is spent. For C code
// that may run long between two hooks.
void checkCpuTime(lua_State* L);

// `text` made storable and short: invalid UTF-8 and NUL replaced by U+FFFD, then cut
// to at most maxBytes bytes on a character boundary.
std::string boundedErrorText(std::string_view text, size_t maxBytes);

class Sandbox {
 public:
  // A fresh state with the sandbox set up and the chunk run once. kInvalid with the Lua error
  // text (or the limit hit) on failure. With `logSink`, log() lines (the chunk's top level's
  // included) are appended to it instead of the server log; it must outlive the state.
  static Result<std::unique_ptr<Sandbox>> create(const Spec& spec,
                                                 std::vector<std::string>* logSink = nullptr);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Runs fn(lightuserdata arg) in protected mode under a fresh instruction budget. On failure
  // (error or any limit hit, even if the script caught it) fills `error` and returns false; the
  // state must then be discarded.
  bool protectedCall(lua_CFunction fn, void* arg, std::string* error);

  lua_State* state() const { return L_; }
  StateContext& context() { return *ctx_; }

 private:
  Sandbox(lua_State* L, std::unique_ptr<StateContext> ctx) : L_(L), ctx_(std::move(ctx)) {}
  std::string describeFailure(int status);

  lua_State* L_;
  std::unique_ptr<StateContext> ctx_;  // outlives L_: the allocator and lua_close use it
};

// Runs the script of `box` on one event (transform.cc). kError when the call failed: the state
// must then be discarded.
Output runInSandbox(Sandbox& box, const EventInput& e);

}  // namespace dispatch::transform::internal
