// The Lua sandbox, modelled on Redis src/script_lua.c: only allow-listed globals, text chunks
// only, an instruction hook that re-arms until the call unwinds, a counting allocator.
#include "core/transform/sandbox.h"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdlib>
#include <iterator>
#include <string_view>

#include "core/transform/lua_json.h"
#include "core/transform/lua_string_match.h"
#include "core/transform/transform_internal.h"
#include "core/util/log.h"

namespace dispatch::transform::internal {
namespace {

std::atomic<int64_t> g_statesCreated{0};

constexpr int kHookEvery = 1000;
constexpr size_t kMaxLogBytes = 2048;
constexpr int kMaxLogLinesPerCall = 100;

// Globals the sandbox keeps from the base library and the opened libraries; everything else
// is removed (allow-list, not deny-list, so a new Lua release cannot add an escape).
constexpr std::string_view kAllowedGlobals[] = {
    "_G",    "_VERSION",     "assert", "error",  "getmetatable", "ipairs", "next",     "pairs",
    "pcall", "rawequal",     "rawget", "rawlen", "rawset",       "select", "tonumber", "tostring",
    "type",  "setmetatable", "string", "table",  "math",         "utf8",
};
// Not xpcall: Lua runs a message handler inside the hook that raised the error, where hooks are
// off, so `xpcall(f, function() while true do end end)` would escape the instruction limit.

// Refuses growth past the cap. Lua core answers a refusal with an emergency collection and one
// retry of the same request, so a refusal is final only when the next growth request is not
// that retry, or the retry is refused too (lauxlib buffers never retry). A final refusal fails
// the call, and from then on every growth is refused so a script's pcall cannot carry on.
void* countingAlloc(void* ud, void* block, size_t osize, size_t nsize) {
  auto* c = static_cast<StateContext*>(ud);
  const size_t old = block != nullptr ? osize : 0;  // without a block, osize is a type tag
  if (nsize == 0) {
    std::free(block);
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
  void* p = std::realloc(block, nsize);
  if (p == nullptr) return nullptr;
  c->memUsed = c->memUsed - old + nsize;
  return p;
}

// Counts instructions; past the budget it errors on every instruction until the call has
// unwound, so `pcall(function() while true do end end)` cannot swallow the limit.
void countHook(lua_State* L, lua_Debug*) {
  StateContext* c = contextOf(L);
  if (!c->instrHit) {
    c->instrUsed += c->hookEvery;
    if (c->instrUsed < c->instrLimit) return;
    c->instrHit = true;
    lua_sethook(L, countHook, LUA_MASKCOUNT, 1);
  }
  luaL_error(L, "instruction limit exceeded");
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
  writeLog(c->linkName, std::string_view(s, std::min(len, kMaxLogBytes)));
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
  lua_getglobal(L, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  wrapLibraryFunction(L, "string", "rep", sandboxStringRep);
  installPatternFunctions(L);  // find/match/gmatch/gsub under the instruction budget
  wrapLibraryFunction(L, "table", "move", sandboxTableMove);
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
  return 0;
}

// After the chunk has run, scripts see the globals through an empty proxy whose __index is the
// real table (reachable only through the proxy's hidden metatable). Whatever a call assigns to a
// global, by name, through _G or with rawset, lands in the proxy, which forgetGlobals() empties.
void installGlobalsProxy(lua_State* L, int mainChunk) {
  const int globals = lua_gettop(L);
  lua_createtable(L, 0, 0);
  const int proxy = lua_gettop(L);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, globals);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "globals");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, proxy);
  lua_pushvalue(L, proxy);
  lua_setfield(L, globals, "_G");
  lua_pushvalue(L, proxy);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  // A main chunk's only upvalue is _ENV, shared by every function the chunk defined.
  lua_pushvalue(L, proxy);
  if (lua_setupvalue(L, mainChunk, 1) == nullptr) lua_pop(L, 1);
  contextOf(L)->globalsRef = luaL_ref(L, LUA_REGISTRYINDEX);
}

// Runs the chunk once, then keeps the `transform` function and installs the globals proxy.
int loadChunk(lua_State* L) {
  const Spec* spec = static_cast<const Spec*>(lua_touserdata(L, 1));
  StateContext* c = contextOf(L);
  if (luaL_loadbufferx(L, spec->source.data(), spec->source.size(), spec->chunkId.c_str(), "t") !=
      LUA_OK) {
    return lua_error(L);
  }
  const int mainChunk = lua_gettop(L);
  lua_pushvalue(L, mainChunk);
  lua_call(L, 0, 0);
  lua_pushglobaltable(L);
  lua_pushliteral(L, "transform");
  if (lua_rawget(L, -2) != LUA_TFUNCTION) raiseError(L, "no global function 'transform' defined");
  c->transformRef = luaL_ref(L, LUA_REGISTRYINDEX);
  installGlobalsProxy(L, mainChunk);
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
  return c->instrHit ? 0 : std::max<int64_t>(c->instrLimit - c->instrUsed, 0);
}

void chargeInstructions(lua_State* L, uint64_t n) {
  if (n >= static_cast<uint64_t>(instructionsLeft(L))) failInstructionLimit(L);
  contextOf(L)->instrUsed += static_cast<int64_t>(n);
}

void failInstructionLimit(lua_State* L) {
  contextOf(L)->instrHit = true;
  lua_sethook(L, countHook, LUA_MASKCOUNT, 1);
  luaL_error(L, "instruction limit exceeded");
  std::abort();  // unreachable: luaL_error does not return
}

void forgetGlobals(lua_State* L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, contextOf(L)->globalsRef);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, -4);
  }
  lua_pop(L, 1);
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

Result<std::unique_ptr<Sandbox>> Sandbox::create(const Spec& spec) {
  auto ctx = std::make_unique<StateContext>();
  ctx->memLimit = static_cast<size_t>(std::max<int64_t>(spec.limits.maxMemoryBytes, 0));
  ctx->instrLimit = std::max<int64_t>(spec.limits.maxInstructions, 1);
  ctx->hookEvery = static_cast<int>(std::min<int64_t>(kHookEvery, ctx->instrLimit));
  ctx->maxOutputBytes = spec.limits.maxOutputBytes;
  ctx->name = spec.name;
  ctx->linkName = spec.linkName;
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
    return Status(Code::kInvalid, std::move(error));
  }
  return box;
}

Sandbox::~Sandbox() {
  // No finalizers exist (see sandboxSetmetatable); stay safe should one ever run anyway.
  ctx_->instrHit = true;
  lua_sethook(L_, countHook, LUA_MASKCOUNT, 1);
  lua_close(L_);
}

bool Sandbox::protectedCall(lua_CFunction fn, void* arg, std::string* error) {
  StateContext& c = *ctx_;
  c.instrUsed = 0;
  c.instrHit = false;
  c.memHit = false;
  c.refusalPending = false;
  c.logLines = 0;
  lua_sethook(L_, countHook, LUA_MASKCOUNT, c.hookEvery);
  lua_settop(L_, 0);
  lua_pushcfunction(L_, fn);  // light C function and light userdata: no allocation here
  lua_pushlightuserdata(L_, arg);
  const int status = lua_pcall(L_, 1, 0, 0);
  if (c.refusalPending) c.memHit = true;  // refused and never retried: an error was raised
  const bool ok = status == LUA_OK && !c.instrHit && !c.memHit;
  if (!ok) *error = describeFailure(status);
  lua_settop(L_, 0);
  return ok;
}

// Reads the error without calling into Lua: converting or __tostring could allocate or run
// script code outside protected mode.
std::string Sandbox::describeFailure(int status) {
  const StateContext& c = *ctx_;
  if (c.instrHit) return "instruction limit exceeded (" + std::to_string(c.instrLimit) + ")";
  if (c.memHit || status == LUA_ERRMEM) {
    return "memory limit exceeded (" + std::to_string(c.memLimit) + " bytes)";
  }
  std::string text;
  const int t = lua_type(L_, -1);
  if (t == LUA_TSTRING) {
    size_t len = 0;
    const char* s = lua_tolstring(L_, -1, &len);
    text.assign(s, len);
  } else if (t == LUA_TNUMBER) {
    appendNumber(text, L_, -1);
  } else {
    text = std::string("(error object is a ") + lua_typename(L_, t) + " value)";
  }
  // Errors raised without a position (error(msg, 0), error objects) still name the chunk.
  if (text.compare(0, c.name.size(), c.name) != 0 && text.compare(0, 3, "...") != 0) {
    text = c.name + ": " + text;
  }
  return text;
}

}  // namespace dispatch::transform::internal
