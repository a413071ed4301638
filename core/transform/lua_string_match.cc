// The Lua side of pattern matching: argument handling, captures and replacements as Lua 5.4's
// string library does them, and the accounting that turns matcher steps into instructions.
// Everything here may raise Lua errors (longjmp), so frames hold only trivially destructible
// values; the matcher itself never allocates.
#include "core/transform/lua_string_match.h"

#include <cstdio>
#include <cstring>
#include <string_view>

#include "core/transform/lua_pattern.h"
#include "core/transform/sandbox.h"

namespace dispatch::transform::internal {
namespace {

using Failure = PatternMatcher::Failure;
constexpr size_t kNoMatch = PatternMatcher::kNoMatch;
constexpr char kSpecials[] = "^$*+?.([%-";  // a pattern without these is searched for as is

int64_t stepBudget(lua_State* L) {
  const int64_t left = instructionsLeft(L);
  return left > INT64_MAX / kMatchStepsPerInstruction ? INT64_MAX
                                                      : left * kMatchStepsPerInstruction;
}

// Charges the steps counted so far (rounded up to whole instructions) and restarts the count on
// what is left. Fails the call once the budget is spent. Runs before any Lua code can run (a
// gsub callback, an __index) and when the matching is over.
void settle(lua_State* L, PatternMatcher& m) {
  const auto steps = static_cast<uint64_t>(m.steps());
  const auto per = static_cast<uint64_t>(kMatchStepsPerInstruction);
  if (steps > 0) chargeInstructions(L, steps / per + (steps % per != 0 ? 1 : 0));
  if (m.failure() == Failure::kBudget) failInstructionLimit(L);
  m.resetSteps(stepBudget(L));
}

// Settles, then raises the matcher's error, if any, as a Lua error at the script's line.
void finish(lua_State* L, PatternMatcher& m) {
  settle(L, m);
  if (m.failure() == Failure::kError) luaL_error(L, "%s", m.message());
}

// A 1-based position argument (negative counts from the end) as a 0-based offset, which may be
// past the end.
size_t startOffset(lua_Integer pos, size_t len) {
  if (pos > 0) return static_cast<size_t>(pos) - 1;
  if (pos == 0 || pos < -static_cast<lua_Integer>(len)) return 0;
  return len - static_cast<size_t>(-pos);
}

void pushCapture(lua_State* L, PatternMatcher& m, const char* subject, int i, size_t s, size_t e) {
  PatternMatcher::Capture c;
  if (!m.capture(i, s, e, &c)) luaL_error(L, "%s", m.message());
  if (c.position) {
    lua_pushinteger(L, static_cast<lua_Integer>(c.start) + 1);
  } else {
    lua_pushlstring(L, subject + c.start, c.length);
  }
}

// Pushes the captures of the match [s, e); the whole match instead when there are none and
// `wholeIfNone`. Returns how many were pushed.
int pushCaptures(lua_State* L, PatternMatcher& m, const char* subject, size_t s, size_t e,
                 bool wholeIfNone) {
  const int n = m.captureCount() == 0 && wholeIfNone ? 1 : m.captureCount();
  luaL_checkstack(L, n, "too many captures");
  for (int i = 0; i < n; ++i) pushCapture(L, m, subject, i, s, e);
  return n;
}

// string.find (find) and string.match (!find).
int findOrMatch(lua_State* L, bool find) {
  size_t ls = 0;
  size_t lp = 0;
  const char* s = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  const size_t init = startOffset(luaL_optinteger(L, 3, 1), ls);
  if (init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  const std::string_view pattern(p, lp);
  if (find && (lua_toboolean(L, 4) || pattern.find_first_of(kSpecials) == pattern.npos)) {
    PatternMatcher m({s, ls}, pattern, stepBudget(L));
    const size_t at = m.findPlain(init);
    finish(L, m);
    if (at == kNoMatch) {
      luaL_pushfail(L);
      return 1;
    }
    lua_pushinteger(L, static_cast<lua_Integer>(at) + 1);
    lua_pushinteger(L, static_cast<lua_Integer>(at + lp));
    return 2;
  }
  const bool anchor = lp > 0 && p[0] == '^';
  PatternMatcher m({s, ls}, anchor ? pattern.substr(1) : pattern, stepBudget(L));
  for (size_t start = init;; ++start) {
    const size_t end = m.match(start);
    if (end != kNoMatch) {
      finish(L, m);
      if (!find) return pushCaptures(L, m, s, start, end, true);
      lua_pushinteger(L, static_cast<lua_Integer>(start) + 1);
      lua_pushinteger(L, static_cast<lua_Integer>(end));
      return 2 + pushCaptures(L, m, s, start, end, false);
    }
    if (m.failure() != Failure::kNone || anchor || start >= ls) break;
  }
  finish(L, m);
  luaL_pushfail(L);
  return 1;
}

int stringFind(lua_State* L) { return findOrMatch(L, true); }
int stringMatch(lua_State* L) { return findOrMatch(L, false); }

// The gmatch iterator. Upvalues: subject, pattern, offset to resume at, end of the last match
// (-1 before the first), so an empty match right after a match is skipped.
int gmatchStep(lua_State* L) {
  size_t ls = 0;
  size_t lp = 0;
  const char* s = lua_tolstring(L, lua_upvalueindex(1), &ls);
  const char* p = lua_tolstring(L, lua_upvalueindex(2), &lp);
  auto start = static_cast<size_t>(lua_tointeger(L, lua_upvalueindex(3)));
  const lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
  PatternMatcher m({s, ls}, {p, lp}, stepBudget(L));  // a leading '^' is literal here
  for (; start <= ls; ++start) {
    const size_t end = m.match(start);
    if (m.failure() != Failure::kNone) break;
    if (end != kNoMatch && static_cast<lua_Integer>(end) != last) {
      lua_pushinteger(L, static_cast<lua_Integer>(end));
      lua_replace(L, lua_upvalueindex(3));
      lua_pushinteger(L, static_cast<lua_Integer>(end));
      lua_replace(L, lua_upvalueindex(4));
      finish(L, m);
      return pushCaptures(L, m, s, start, end, true);
    }
  }
  finish(L, m);
  lua_pushinteger(L, static_cast<lua_Integer>(ls) + 1);  // exhausted: later calls scan nothing
  lua_replace(L, lua_upvalueindex(3));
  return 0;
}

int stringGmatch(lua_State* L) {
  size_t ls = 0;
  luaL_checklstring(L, 1, &ls);
  luaL_checkstring(L, 2);
  size_t init = startOffset(luaL_optinteger(L, 3, 1), ls);
  if (init > ls) init = ls + 1;
  lua_settop(L, 2);
  lua_pushinteger(L, static_cast<lua_Integer>(init));
  lua_pushinteger(L, -1);
  lua_pushcclosure(L, gmatchStep, 4);
  return 1;
}

// Appends the replacement string (argument 3) for the match [s, e), expanding %0-%9 and %%.
void addExpanded(lua_State* L, PatternMatcher& m, luaL_Buffer* b, const char* subject, size_t s,
                 size_t e) {
  size_t len = 0;
  const char* r = lua_tolstring(L, 3, &len);
  const char* const end = r + len;
  int64_t appended = 0;
  for (;;) {
    const auto* esc = static_cast<const char*>(std::memchr(r, '%', static_cast<size_t>(end - r)));
    if (esc == nullptr) break;
    luaL_addlstring(b, r, static_cast<size_t>(esc - r));
    appended += esc - r;
    const char c = esc + 1 < end ? esc[1] : '\0';
    if (c == '%') {
      luaL_addchar(b, '%');
    } else if (c == '0') {
      luaL_addlstring(b, subject + s, e - s);
      appended += static_cast<int64_t>(e - s);
    } else if (c >= '1' && c <= '9') {
      PatternMatcher::Capture cap;
      if (!m.capture(c - '1', s, e, &cap)) luaL_error(L, "%s", m.message());
      if (cap.position) {
        char digits[24];
        const int n = std::snprintf(digits, sizeof digits, "%zu", cap.start + 1);
        luaL_addlstring(b, digits, static_cast<size_t>(n));
      } else {
        luaL_addlstring(b, subject + cap.start, cap.length);
        appended += static_cast<int64_t>(cap.length);
      }
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", '%');
    }
    r = esc + 2;
  }
  luaL_addlstring(b, r, static_cast<size_t>(end - r));
  appended += end - r;
  m.addSteps(1 + appended / 16);
}

// Appends the replacement for the match [s, e); false when the original text was kept (a
// function or table gave nil or false).
bool addReplacement(lua_State* L, PatternMatcher& m, luaL_Buffer* b, const char* subject, size_t s,
                    size_t e, int replType) {
  if (replType == LUA_TFUNCTION) {
    settle(L, m);  // the callback's instructions are counted by the hook, after ours
    lua_pushvalue(L, 3);
    const int n = pushCaptures(L, m, subject, s, e, true);
    lua_call(L, n, 1);
    settle(L, m);
  } else if (replType == LUA_TTABLE) {
    settle(L, m);  // an __index metamethod may run script code
    pushCapture(L, m, subject, 0, s, e);
    lua_gettable(L, 3);
    settle(L, m);
  } else {
    addExpanded(L, m, b, subject, s, e);
    return true;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(b, subject + s, e - s);
    return false;
  }
  if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  }
  luaL_addvalue(b);
  return true;
}

int stringGsub(lua_State* L) {
  size_t ls = 0;
  size_t lp = 0;
  const char* src = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  const int replType = lua_type(L, 3);
  const lua_Integer maxN = luaL_optinteger(L, 4, static_cast<lua_Integer>(ls) + 1);
  luaL_argexpected(L,
                   replType == LUA_TNUMBER || replType == LUA_TSTRING ||
                       replType == LUA_TFUNCTION || replType == LUA_TTABLE,
                   3, "string/function/table");
  const bool anchor = lp > 0 && p[0] == '^';
  const std::string_view pattern(p, lp);
  PatternMatcher m({src, ls}, anchor ? pattern.substr(1) : pattern, stepBudget(L));
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t pos = 0;
  size_t lastMatch = kNoMatch;
  lua_Integer n = 0;
  bool changed = false;
  while (n < maxN) {
    const size_t end = m.match(pos);
    if (m.failure() != Failure::kNone) break;
    if (end != kNoMatch && end != lastMatch) {
      ++n;
      changed = addReplacement(L, m, &b, src, pos, end, replType) || changed;
      pos = lastMatch = end;
    } else if (pos < ls) {
      luaL_addchar(&b, src[pos++]);
    } else {
      break;
    }
    if (anchor) break;
  }
  finish(L, m);
  if (changed) {
    luaL_addlstring(&b, src + pos, ls - pos);
    luaL_pushresult(&b);
  } else {
    lua_pushvalue(L, 1);  // nothing replaced: the original string
  }
  lua_pushinteger(L, n);
  return 2;
}

}  // namespace

void installPatternFunctions(lua_State* L) {
  static const luaL_Reg kFunctions[] = {{"find", stringFind},
                                        {"match", stringMatch},
                                        {"gmatch", stringGmatch},
                                        {"gsub", stringGsub},
                                        {nullptr, nullptr}};
  lua_getglobal(L, LUA_STRLIBNAME);
  luaL_setfuncs(L, kFunctions, 0);
  lua_pop(L, 1);
}

}  // namespace dispatch::transform::internal
