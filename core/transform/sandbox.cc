// The Lua sandbox, modelled on Redis src/script_lua.c: only allow-listed globals, read-only
// library tables, text chunks only, a hook that counts instructions and CPU time and re-arms
// until the call unwinds, a counting allocator.
#include "core/transform/sandbox.h"

#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdarg>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string_view>

#include "core/transform/lua_json.h"
#include "core/transform/lua_string_match.h"
#include "core/transform/transform_internal.h"
#include "core/util/log.h"

namespace dispatch::transform::internal {
namespace {

std::atomic<int64_t> g_statesCreated{0};

constexpr int kHookEvery = 1000;
// The thread's CPU clock is a system call (about 1 µs under KVM, against 25 ns for the
// monotonic clock), so it is read only once a call has run this long, and then no more often
// than every kMinCpuReadGapNs: the CPU time of one thread cannot grow faster than wall time.
constexpr int64_t kFirstCpuReadNs = 1'000'000;
constexpr int64_t kMinCpuReadGapNs = 1'000'000;
// json.encode buffers larger than this are freed after a call.
constexpr size_t kKeptScratchBytes = 64 << 10;
char g_readOnlyKey;  // marks the metatables of the read-only library proxies
constexpr size_t kMaxLogBytes = 2048;
constexpr int kMaxLogLinesPerCall = 100;

// Libraries scripts see through read-only proxies (the globals table itself is a per-call
// overlay, see installGlobalsProxy).
constexpr const char* kReadOnlyLibraries[] = {"string", "table", "math", "utf8", "os", "json"};

// Globals the sandbox keeps from the base library and the opened libraries; everything else
// is removed (allow-list, not deny-list, so a new Lua release cannot add an escape).
constexpr std::string_view kAllowedGlobals[] = {
    "_G",    "_VERSION",     "assert", "error",  "getmetatable", "ipairs", "next",     "pairs",
    "pcall", "rawequal",     "rawget", "rawlen", "rawset",       "select", "tonumber", "tostring",
    "type",  "setmetatable", "string", "table",  "math",         "utf8",
};
// Not xpcall: Lua runs a message handler inside the hook that raised the error, where hooks are
// off, so `xpcall(f, function() while true do end end)` would escape the instruction limit.

// Blocks this large are mapped directly. Through malloc, freeing one would raise glibc's dynamic
// mmap threshold, after which such blocks come from the thread's arena and stay in the process
// once freed: every thread that once ran a script building a 4 MiB string kept ~8 MiB.
constexpr size_t kMappedBlockBytes = 128 << 10;  // glibc's default mmap threshold

size_t pageRounded(size_t n) { return (n + 4095) & ~static_cast<size_t>(4095); }

void freeBlock(void* block, size_t size) {
  if (block == nullptr) return;
  if (size >= kMappedBlockBytes) {
    munmap(block, pageRounded(size));
  } else {
    std::free(block);
  }
}

// realloc for Lua blocks, mapping the large ones (Lua always passes a block's exact size).
void* reallocBlock(void* block, size_t old, size_t nsize) {
  const bool wasMapped = block != nullptr && old >= kMappedBlockBytes;
  const bool mapped = nsize >= kMappedBlockBytes;
  if (!wasMapped && !mapped) return std::realloc(block, nsize);
  if (wasMapped && mapped) {
    void* p = mremap(block, pageRounded(old), pageRounded(nsize), MREMAP_MAYMOVE);
    return p == MAP_FAILED ? nullptr : p;
  }
  void* p = nullptr;
  if (mapped) {
    p = mmap(nullptr, pageRounded(nsize), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
             0);
    if (p == MAP_FAILED) return nullptr;
  } else {
    p = std::malloc(nsize);
    if (p == nullptr) return nullptr;
  }
  if (block != nullptr) {
    std::memcpy(p, block, std::min(old, nsize));
    freeBlock(block, old);
  }
  return p;
}

// Refuses growth past the cap. Lua core answers a refusal with an emergency collection and one
// retry of the same request, so a refusal is final only when the next growth request is not
// that retry, or the retry is refused too (lauxlib buffers never retry). A final refusal fails
// the call, and from then on every growth is refused so a script's pcall cannot carry on.
void* countingAlloc(void* ud, void* block, size_t osize, size_t nsize) {
  auto* c = static_cast<StateContext*>(ud);
  const size_t old = block != nullptr ? osize : 0;  // without a block, osize is a type tag
  if (nsize == 0) {
    freeBlock(block, old);
    c->memUsed -= old;
    return nullptr;
  }
  if (nsize > old) {
    bool retry = false;
    if (c->refusalPending) {
      retry = c->refusedBlock == block && c->refusedOld == osize && c->refusedNew == nsize;
      c->refusalPending = false;
      if (!retry) c->memHit = true;
    }
    const size_t room = c->memLimit > c->memUsed ? c->memLimit - c->memUsed : 0;
    if (c->memHit || nsize - old > room) {
      if (retry) {
        c->memHit = true;
      } else if (!c->memHit) {
        c->refusalPending = true;
        c->refusedBlock = block;
        c->refusedOld = osize;
        c->refusedNew = nsize;
      }
      return nullptr;
    }
  }
  void* p = reallocBlock(block, old, nsize);
  if (p == nullptr) return nullptr;
  c->memUsed = c->memUsed - old + nsize;
  return p;
}

int64_t clockNs(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// True once the current call has used its CPU time. CPU time is the thread's CPU clock from
// the call's first reading on; the part of the call before that reading (about its first
// millisecond) is charged as the wall time up to the check before it. So a thread the machine
// preempts is not charged for waiting, a call shorter than a millisecond never reads the CPU
// clock, and what work done in C escapes being counted is at most what ran between two checks.
bool cpuTimeSpent(StateContext* c) {
  const int64_t now = clockNs(CLOCK_MONOTONIC);
  const int64_t previous = c->lastCheckNs;
  c->lastCheckNs = now;
  if (now < c->nextCpuReadNs) return false;
  int64_t used = 0;
  if (c->cpuBaseNs < 0) {
    c->cpuBaseNs = clockNs(CLOCK_THREAD_CPUTIME_ID);
    c->cpuBeforeBaseNs = previous - c->callStartNs;
    used = c->cpuBeforeBaseNs;
  } else {
    used = c->cpuBeforeBaseNs + clockNs(CLOCK_THREAD_CPUTIME_ID) - c->cpuBaseNs;
  }
  if (used >= c->cpuLimitNs) return true;
  c->nextCpuReadNs = now + std::max(c->cpuLimitNs - used, kMinCpuReadGapNs);
  return false;
}

const char* hitMessage(StateContext::Hit hit) {
  return hit == StateContext::Hit::kCpuTime ? "CPU time limit exceeded"
                                            : "instruction limit exceeded";
}

void limitHook(lua_State* L, lua_Debug* ar);

// From now on the hook fires on every instruction and call and raises the limit's error, until
// the call has unwound: a script's pcall cannot swallow a limit.
[[noreturn]] void failCall(lua_State* L, StateContext::Hit hit) {
  StateContext* c = contextOf(L);
  if (c->hit == StateContext::Hit::kNone) c->hit = hit;
  lua_sethook(L, limitHook, LUA_MASKCOUNT | LUA_MASKCALL, 1);
  luaL_error(L, "%s", hitMessage(c->hit));
  std::abort();  // unreachable: luaL_error does not return
}

// Runs every kHookEvery instructions (counting them) and before every function call, so work
// done inside one C function (table.insert shifting a large table, table.sort) is seen before
// the next call starts, not up to a thousand instructions later.
void limitHook(lua_State* L, lua_Debug* ar) {
  StateContext* c = contextOf(L);
  if (c->hit == StateContext::Hit::kNone) {
    if (ar->event == LUA_HOOKCOUNT) {
      c->instrUsed += c->hookEvery;
      if (c->instrUsed >= c->instrLimit) failCall(L, StateContext::Hit::kInstructions);
    }
    if (!cpuTimeSpent(c)) return;
    failCall(L, StateContext::Hit::kCpuTime);
  }
  failCall(L, c->hit);
}

bool isReadOnlyProxy(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return false;
  lua_pushlightuserdata(L, &g_readOnlyKey);
  const bool marked = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return marked;
}

[[noreturn]] void raiseReadOnly(lua_State* L, int key, const char* library) {
  if (lua_type(L, key) == LUA_TSTRING) {
    raiseError(L, "attempt to modify read-only library table '%s' (field '%s')", library,
               lua_tostring(L, key));
  }
  raiseError(L, "attempt to modify read-only library table '%s'", library);
}

// __newindex of a library proxy: upvalue 1 is the library, upvalue 2 its name. The chunk's top
// level may add to a library (helpers like string.trim); a call may not change it.
int readOnlyNewindex(lua_State* L) {
  if (!contextOf(L)->loading) raiseReadOnly(L, 2, lua_tostring(L, lua_upvalueindex(2)));
  lua_settop(L, 3);
  lua_rawset(L, lua_upvalueindex(1));
  return 0;
}

// The iterator pairs() gives for a library proxy: next() over the library (upvalue 1), which
// itself never reaches the script.
int readOnlyNext(lua_State* L) {
  lua_settop(L, 2);
  if (lua_next(L, lua_upvalueindex(1)) != 0) return 2;
  lua_pushnil(L);
  return 1;
}

int readOnlyPairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// rawset() that cannot write around a library proxy's __newindex.
int sandboxRawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  lua_settop(L, 3);
  if (!isReadOnlyProxy(L, 1)) {
    lua_rawset(L, 1);
    return 1;
  }
  lua_getmetatable(L, 1);  // [4]
  lua_getfield(L, 4, "__newindex");
  lua_getupvalue(L, 5, 2);  // [6] the library's name
  if (!contextOf(L)->loading) raiseReadOnly(L, 2, lua_tostring(L, 6));
  lua_getfield(L, 4, "__index");  // [7] the library
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, 7);
  lua_settop(L, 1);
  return 1;
}

// setmetatable without finalizers: a __gc would run script code inside the collector, i.e.
// during any allocation of our own C conversions and at lua_close.
int sandboxSetmetatable(lua_State* L) {
  const int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "__gc metamethods are not allowed");
    lua_pop(L, 1);
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) {
    return luaL_error(L, "cannot change a protected metatable");
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// string.rep("", n) loops n times in C without executing an instruction: answer it directly.
int sandboxStringRep(lua_State* L) {
  size_t len = 0;
  size_t sepLen = 0;
  luaL_checklstring(L, 1, &len);
  const lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &sepLen);
  if (n <= 0 || len + sepLen == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// table.move can loop over a huge empty range in C; each element counts as one instruction.
int sandboxTableMove(lua_State* L) {
  const lua_Integer from = luaL_checkinteger(L, 2);
  const lua_Integer to = luaL_checkinteger(L, 3);
  if (to >= from) {
    chargeInstructions(L, static_cast<uint64_t>(to) - static_cast<uint64_t>(from) + 1);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// table.sort without an order function compares in C, where no hook runs: one call sorting
// 400,000 numbers takes ~130 ms. Its comparisons (n·log2 n) are charged up front instead, as
// table.move charges its moves. With an order function the hook runs in every comparison.
int sandboxTableSort(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE && lua_isnoneornil(L, 2)) {
    const lua_Integer n = luaL_len(L, 1);  // what sort itself will use (__len included)
    if (n > 1) {
      const auto count = static_cast<uint64_t>(n);
      chargeInstructions(L, count * static_cast<uint64_t>(std::bit_width(count)));
    }
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

// Seeding math.random is allowed, but only for the current call: the next call gets a fresh
// seed (resetCallState), so no call can fix the numbers another one sees.
int sandboxRandomseed(lua_State* L) {
  contextOf(L)->reseedRandom = true;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void writeLog(const std::string& link, std::string_view msg) {
  log::info("transform log", {{"link", link}, {"text", msg}});
}

// A script in a loop must not flood the server log: lines past the cap are dropped, noted once.
int luaLog(lua_State* L) {
  StateContext* c = contextOf(L);
  if (++c->logLines > kMaxLogLinesPerCall) return 0;
  size_t len = 0;
  const char* s = luaL_tolstring(L, 1, &len);
  if (c->logLines == kMaxLogLinesPerCall) {
    s = "log limit reached; further lines of this call are dropped";
    len = std::strlen(s);
  }
  const std::string_view line(s, std::min(len, kMaxLogBytes));
  if (c->logSink != nullptr) {
    c->logSink->emplace_back(line);
  } else {
    writeLog(c->linkName, line);
  }
  return 0;
}

void keepOnlyAllowedGlobals(lua_State* L) {
  lua_pushglobaltable(L);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    size_t len = 0;
    const char* name = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : nullptr;
    const bool keep =
        name != nullptr && std::find(std::begin(kAllowedGlobals), std::end(kAllowedGlobals),
                                     std::string_view(name, len)) != std::end(kAllowedGlobals);
    if (!keep) {
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, -4);  // clearing fields during traversal is allowed
    }
  }
  lua_pop(L, 1);
}

// Replaces lib[name] with `fn`, which reaches the original through upvalue 1.
void wrapLibraryFunction(lua_State* L, const char* lib, const char* name, lua_CFunction fn) {
  lua_getglobal(L, lib);
  lua_getfield(L, -1, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

void installOsSubset(lua_State* L) {
  lua_pushcfunction(L, luaopen_os);  // not requiref: the full os table stays unreachable
  lua_call(L, 0, 1);
  lua_createtable(L, 0, 3);
  for (const char* name : {"time", "date", "clock"}) {
    lua_getfield(L, -2, name);
    lua_setfield(L, -2, name);
  }
  lua_setglobal(L, "os");
  lua_pop(L, 1);
}

void installArrayMetatable(lua_State* L) {
  StateContext* c = contextOf(L);
  lua_createtable(L, 0, 1);
  // Hidden from getmetatable (so nobody adds a __gc to it) and fixed on decoded arrays.
  lua_pushliteral(L, "json.array");
  lua_setfield(L, -2, "__metatable");
  c->arrayMeta = lua_topointer(L, -1);
  c->arrayMetaRef = luaL_ref(L, LUA_REGISTRYINDEX);
}

// Replaces the global `name` by an empty proxy that reads through to the library, refuses
// writes (after the top level) and iterates the library with pairs(); getmetatable gives false.
void makeReadOnly(lua_State* L, const char* name) {
  lua_getglobal(L, name);
  const int lib = lua_gettop(L);
  lua_createtable(L, 0, 0);
  lua_createtable(L, 0, 5);
  lua_pushvalue(L, lib);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, lib);
  lua_pushstring(L, name);
  lua_pushcclosure(L, readOnlyNewindex, 2);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, lib);
  lua_pushcclosure(L, readOnlyNext, 1);
  lua_pushcclosure(L, readOnlyPairs, 1);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pushlightuserdata(L, &g_readOnlyKey);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_setmetatable(L, -2);
  lua_setglobal(L, name);
  lua_pop(L, 1);
}

// Scripts see the globals through an empty proxy whose __index is the real table (reachable
// only through the proxy's hidden metatable); it is _G, _ENV of the chunk, and the registry's
// globals. While the top level runs, __newindex writes through to the real table, so the
// chunk's functions and constants are part of every call's pristine state. Afterwards
// installGlobalsOverlay() drops __newindex: whatever a call assigns to a global, by name,
// through _G or with rawset, lands in the proxy, which resetCallState() empties.
void installGlobalsProxy(lua_State* L) {
  StateContext* c = contextOf(L);
  lua_pushglobaltable(L);
  const int globals = lua_gettop(L);
  lua_createtable(L, 0, 0);
  const int proxy = lua_gettop(L);
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, globals);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, globals);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "globals");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, proxy);
  lua_pushvalue(L, proxy);
  lua_setfield(L, globals, "_G");
  lua_pushvalue(L, proxy);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  c->globalsRef = luaL_ref(L, LUA_REGISTRYINDEX);      // pops the proxy
  c->realGlobalsRef = luaL_ref(L, LUA_REGISTRYINDEX);  // pops the real table
}

int openSandbox(lua_State* L) {
  static const luaL_Reg kLibs[] = {{LUA_GNAME, luaopen_base},
                                   {LUA_STRLIBNAME, luaopen_string},
                                   {LUA_TABLIBNAME, luaopen_table},
                                   {LUA_MATHLIBNAME, luaopen_math},
                                   {LUA_UTF8LIBNAME, luaopen_utf8}};
  for (const luaL_Reg& lib : kLibs) {
    luaL_requiref(L, lib.name, lib.func, 1);
    lua_pop(L, 1);
  }
  keepOnlyAllowedGlobals(L);
  lua_register(L, "setmetatable", sandboxSetmetatable);
  lua_register(L, "rawset", sandboxRawset);
  lua_getglobal(L, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  wrapLibraryFunction(L, "string", "rep", sandboxStringRep);
  installPatternFunctions(L);  // find/match/gmatch/gsub under the instruction budget
  wrapLibraryFunction(L, "table", "move", sandboxTableMove);
  wrapLibraryFunction(L, "table", "sort", sandboxTableSort);
  lua_getglobal(L, "math");
  lua_getfield(L, -1, "randomseed");
  contextOf(L)->randomseedRef = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pop(L, 1);
  wrapLibraryFunction(L, "math", "randomseed", sandboxRandomseed);
  // Strings share one metatable whose __index is the (already filtered) string table; hide it.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  installOsSubset(L);
  installArrayMetatable(L);
  pushJsonLibrary(L);
  lua_setglobal(L, "json");
  lua_register(L, "log", luaLog);
  for (const char* lib : kReadOnlyLibraries) makeReadOnly(L, lib);
  installGlobalsProxy(L);
  return 0;
}

// After the top level: moves what it rawset into the globals proxy to the real table, and
// makes the proxy the per-call overlay.
void installGlobalsOverlay(lua_State* L) {
  StateContext* c = contextOf(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->realGlobalsRef);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->globalsRef);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -5);
  }
  resetCallState(L);
  lua_getmetatable(L, -1);
  lua_pushnil(L);
  lua_setfield(L, -2, "__newindex");
  lua_pop(L, 3);
}

// Runs the chunk once, then keeps the `transform` function and turns the globals proxy into
// the per-call overlay.
int loadChunk(lua_State* L) {
  const Spec* spec = static_cast<const Spec*>(lua_touserdata(L, 1));
  StateContext* c = contextOf(L);
  // The chunk's _ENV is the registry's globals: the proxy.
  if (luaL_loadbufferx(L, spec->source.data(), spec->source.size(), spec->chunkId.c_str(), "t") !=
      LUA_OK) {
    return lua_error(L);
  }
  c->loading = true;
  lua_call(L, 0, 0);
  c->loading = false;
  installGlobalsOverlay(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->realGlobalsRef);
  lua_pushliteral(L, "transform");
  if (lua_rawget(L, -2) != LUA_TFUNCTION) raiseError(L, "no global function 'transform' defined");
  c->transformRef = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

// Only reached by a bug (an error outside protected mode); Lua aborts when this returns.
int panicHandler(lua_State* L) {
  const char* msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "non-string error";
  log::error("lua panic", {{"error", msg}});
  return 0;
}

void appendNumber(std::string& out, lua_State* L, int idx) {
  if (lua_isinteger(L, idx)) {
    out += std::to_string(lua_tointeger(L, idx));
  } else {
    out += std::to_string(lua_tonumber(L, idx));
  }
}

}  // namespace

int64_t statesCreated() { return g_statesCreated.load(); }

int64_t instructionsLeft(lua_State* L) {
  const StateContext* c = contextOf(L);
  return c->hit != StateContext::Hit::kNone ? 0
                                            : std::max<int64_t>(c->instrLimit - c->instrUsed, 0);
}

void chargeInstructions(lua_State* L, uint64_t n) {
  if (n >= static_cast<uint64_t>(instructionsLeft(L))) failInstructionLimit(L);
  contextOf(L)->instrUsed += static_cast<int64_t>(n);
  checkCpuTime(L);
}

void failInstructionLimit(lua_State* L) { failCall(L, StateContext::Hit::kInstructions); }

void checkCpuTime(lua_State* L) {
  StateContext* c = contextOf(L);
  if (c->hit != StateContext::Hit::kNone) failCall(L, c->hit);
  if (cpuTimeSpent(c)) failCall(L, StateContext::Hit::kCpuTime);
}

void resetCallState(lua_State* L) {
  StateContext* c = contextOf(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->globalsRef);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, -4);
  }
  lua_pop(L, 1);
  if (c->reseedRandom) {
    thread_local std::mt19937_64 seeds{std::random_device{}()};
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->randomseedRef);
    lua_pushinteger(L, static_cast<lua_Integer>(seeds()));
    lua_pushinteger(L, static_cast<lua_Integer>(seeds()));
    lua_call(L, 2, 0);
    c->reseedRandom = false;
  }
}

std::string boundedErrorText(std::string_view text, size_t maxBytes) {
  std::string out = json::sanitizeUtf8(text);
  if (out.size() <= maxBytes) return out;
  size_t cut = maxBytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out;
}

void raiseError(lua_State* L, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  luaL_where(L, 1);  // the calling script line, when a script called us
  if (lua_rawlen(L, -1) == 0) {
    lua_pop(L, 1);
    lua_pushfstring(L, "%s: ", contextOf(L)->name.c_str());
  }
  lua_pushvfstring(L, fmt, args);
  va_end(args);
  lua_concat(L, 2);
  lua_error(L);
  std::abort();  // unreachable: lua_error does not return
}

Result<std::unique_ptr<Sandbox>> Sandbox::create(const Spec& spec,
                                                 std::vector<std::string>* logSink) {
  auto ctx = std::make_unique<StateContext>();
  ctx->memLimit = static_cast<size_t>(std::max<int64_t>(spec.limits.maxMemoryBytes, 0));
  ctx->instrLimit = std::max<int64_t>(spec.limits.maxInstructions, 1);
  ctx->hookEvery = static_cast<int>(std::min<int64_t>(kHookEvery, ctx->instrLimit));
  ctx->cpuLimitNs = std::clamp<int64_t>(spec.limits.maxCpuTimeMs, 1, INT64_MAX / 4'000'000) *
                    1'000'000;  // no overflow when added to the clock
  ctx->maxOutputBytes = spec.limits.maxOutputBytes;
  ctx->maxHeaders = spec.limits.maxHeaders;
  ctx->maxHeaderBytes = spec.limits.maxHeaderBytes;
  ctx->maxErrorBytes = static_cast<size_t>(std::max<int64_t>(spec.limits.maxErrorBytes, 1));
  ctx->name = spec.name;
  ctx->linkName = spec.linkName;
  ctx->logSink = logSink;
  lua_State* L = lua_newstate(countingAlloc, ctx.get());
  if (L == nullptr) {
    return Status(Code::kInvalid, spec.name + ": memory limit exceeded (" +
                                      std::to_string(spec.limits.maxMemoryBytes) + " bytes)");
  }
  g_statesCreated.fetch_add(1, std::memory_order_relaxed);
  StateContext* raw = ctx.get();
  std::memcpy(lua_getextraspace(L), &raw, sizeof raw);
  lua_atpanic(L, panicHandler);
  std::unique_ptr<Sandbox> box(new Sandbox(L, std::move(ctx)));
  std::string error;
  if (!box->protectedCall(openSandbox, nullptr, &error) ||
      !box->protectedCall(loadChunk, const_cast<Spec*>(&spec), &error)) {
    // Limit messages carry no position; every compile error names the chunk.
    if (error.compare(0, spec.name.size(), spec.name) != 0) error = spec.name + ": " + error;
    return Status(Code::kInvalid, boundedErrorText(error, box->context().maxErrorBytes));
  }
  return box;
}

Sandbox::~Sandbox() {
  // No finalizers exist (see sandboxSetmetatable); stay safe should one ever run anyway.
  ctx_->hit = StateContext::Hit::kInstructions;
  lua_sethook(L_, limitHook, LUA_MASKCOUNT | LUA_MASKCALL, 1);
  lua_close(L_);
}

bool Sandbox::protectedCall(lua_CFunction fn, void* arg, std::string* error) {
  StateContext& c = *ctx_;
  c.instrUsed = 0;
  c.hit = StateContext::Hit::kNone;
  c.memHit = false;
  c.refusalPending = false;
  c.logLines = 0;
  c.callStartNs = clockNs(CLOCK_MONOTONIC);
  c.lastCheckNs = c.callStartNs;
  c.nextCpuReadNs = c.callStartNs + std::min(kFirstCpuReadNs, c.cpuLimitNs);
  c.cpuBaseNs = -1;
  lua_sethook(L_, limitHook, LUA_MASKCOUNT | LUA_MASKCALL, c.hookEvery);
  lua_settop(L_, 0);
  lua_pushcfunction(L_, fn);  // light C function and light userdata: no allocation here
  lua_pushlightuserdata(L_, arg);
  const int status = lua_pcall(L_, 1, 0, 0);
  if (c.refusalPending) c.memHit = true;  // refused and never retried: an error was raised
  const bool ok = status == LUA_OK && c.hit == StateContext::Hit::kNone && !c.memHit;
  if (!ok) *error = describeFailure(status);
  lua_settop(L_, 0);
  // json.encode/decode scratch lives outside the Lua heap: a cached state must not keep a
  // large one between calls.
  c.decoded = json::Value();
  if (c.buf.capacity() > kKeptScratchBytes) std::string().swap(c.buf);
  return ok;
}

// Reads the error without calling into Lua: converting or __tostring could allocate or run
// script code outside protected mode.
std::string Sandbox::describeFailure(int status) {
  const StateContext& c = *ctx_;
  if (c.hit == StateContext::Hit::kInstructions) {
    return "instruction limit exceeded (" + std::to_string(c.instrLimit) + ")";
  }
  if (c.hit == StateContext::Hit::kCpuTime) {
    return "CPU time limit exceeded (" + std::to_string(c.cpuLimitNs / 1'000'000) + " ms)";
  }
  if (c.memHit || status == LUA_ERRMEM) {
    return "memory limit exceeded (" + std::to_string(c.memLimit) + " bytes)";
  }
  std::string text;
  const int t = lua_type(L_, -1);
  if (t == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L_, -1, &len);
    text.assign(s, std::min(len, c.maxErrorBytes));  // the rest would be cut anyway
  } else if (t == LUA_TNUMBER) {
    appendNumber(text, L_, -1);
  } else {
    text = std::string("(error object is a ") + lua_typename(L_, t) + " value)";
  }
  // Errors raised without a position (error(msg, 0), error objects) still name the chunk.
  if (text.compare(0, c.name.size(), c.name) != 0 && text.compare(0, 3, "...") != 0) {
    text = c.name + ": " + text;
  }
  return boundedErrorText(text, c.maxErrorBytes);
}

}  // namespace dispatch::transform::internal
