// JSON ⇄ Lua conversion. Everything here may raise Lua errors (longjmp), so no function keeps
// a C++ object with a destructor alive across a Lua call; scratch space is in StateContext.
#include "core/transform/lua_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "core/transform/sandbox.h"

namespace dispatch::transform::internal {
namespace {

constexpr int kMaxDepth = 128;  // as json::ParseOptions: deeper is refused, and cycles end here
char g_nullSentinel;

std::string_view stringAt(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return {s, len};
}

bool isArrayMarked(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return false;
  const bool marked = lua_topointer(L, -1) == contextOf(L)->arrayMeta;
  lua_pop(L, 1);
  return marked;
}

// Entries of a table, counted without metamethods.
size_t tableSize(lua_State* L, int idx) {
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    ++n;
  }
  return n;
}

void pushNumber(lua_State* L, const json::Value& v) {
  const std::string_view raw = v.raw();
  if (raw.find_first_of(".eE") == std::string_view::npos) {
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
    if (ec == std::errc() && end == raw.data() + raw.size()) {
      lua_pushinteger(L, n);
      return;
    }
  }
  lua_pushnumber(L, v.asDouble());  // fractions, exponents and integers beyond int64
}

void pushJsonAt(lua_State* L, const json::Value& v) {
  switch (v.type()) {
    case json::Type::kNull:
      lua_pushlightuserdata(L, jsonNull());
      return;
    case json::Type::kBool:
      lua_pushboolean(L, v.asBool());
      return;
    case json::Type::kNumber:
      pushNumber(L, v);
      return;
    case json::Type::kString:
      lua_pushlstring(L, v.asString().data(), v.asString().size());
      return;
    case json::Type::kArray: {
      luaL_checkstack(L, 3, "JSON nesting");
      lua_createtable(L, static_cast<int>(v.items().size()), 0);
      lua_Integer i = 0;
      for (const json::Value& item : v.items()) {
        pushJsonAt(L, item);
        lua_rawseti(L, -2, ++i);
      }
      lua_rawgeti(L, LUA_REGISTRYINDEX, contextOf(L)->arrayMetaRef);
      lua_setmetatable(L, -2);
      return;
    }
    case json::Type::kObject:
      luaL_checkstack(L, 3, "JSON nesting");
      lua_createtable(L, 0, static_cast<int>(v.members().size()));
      for (const auto& member : v.members()) {
        lua_pushlstring(L, member.first.data(), member.first.size());
        pushJsonAt(L, member.second);
        lua_rawset(L, -3);
      }
      return;
  }
}

// Floats keep a float spelling ("1.0", not "1") so the integer/float distinction survives a
// round trip; otherwise the shortest text that reads back as the same double.
void appendFloat(std::string& out, double d) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, r.ptr);
  if (std::find_if(buf, r.ptr, [](char ch) { return ch == '.' || ch == 'e'; }) == r.ptr) {
    out += ".0";
  }
}

void appendInteger(std::string& out, lua_Integer n) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(n));
  out.append(buf, r.ptr);
}

struct Encoder {
  lua_State* L;
  StateContext* c;
  size_t maxBytes;
  bool overIsMemoryLimit;  // past maxBytes the call has run out of memory
  uint32_t values = 0;     // encoded so far; the CPU-time budget is checked every 4096
};

void encodeAt(Encoder& e, int idx, int depth);

void encodeArray(Encoder& e, int idx, lua_Integer n, int depth) {
  e.c->buf += '[';
  for (lua_Integer i = 1; i <= n; ++i) {
    if (i > 1) e.c->buf += ',';
    lua_rawgeti(e.L, idx, i);
    encodeAt(e, lua_gettop(e.L), depth + 1);
    lua_pop(e.L, 1);
  }
  e.c->buf += ']';
}

// Keys are sorted so the output does not depend on Lua's hash order (which is seeded per state).
void encodeObject(Encoder& e, int idx, size_t base, int depth) {
  std::vector<std::string_view>& keys = e.c->keys;
  std::sort(keys.begin() + static_cast<std::ptrdiff_t>(base), keys.end());
  const size_t end = keys.size();
  e.c->buf += '{';
  for (size_t i = base; i < end; ++i) {
    if (i > base) e.c->buf += ',';
    json::appendQuoted(e.c->buf, keys[i]);
    e.c->buf += ':';
    lua_pushlstring(e.L, keys[i].data(), keys[i].size());
    lua_rawget(e.L, idx);
    encodeAt(e, lua_gettop(e.L), depth + 1);
    lua_pop(e.L, 1);
  }
  e.c->buf += '}';
  keys.resize(base);
}

// A table marked as an array, a proper sequence 1..n, or a table with only string keys.
void encodeTable(Encoder& e, int idx, int depth) {
  lua_State* L = e.L;
  if (depth >= kMaxDepth) {
    raiseError(L, "json.encode: nesting deeper than %d (a cycle?)", kMaxDepth);
  }
  luaL_checkstack(L, 4, "json.encode");
  if (isArrayMarked(L, idx)) {
    return encodeArray(e, idx, static_cast<lua_Integer>(lua_rawlen(L, idx)), depth);
  }
  std::vector<std::string_view>& keys = e.c->keys;
  const size_t base = keys.size();
  size_t count = 0;
  bool allStrings = true;
  bool allPositiveIntegers = true;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    ++count;
    if (lua_type(L, -1) == LUA_TSTRING) {
      allPositiveIntegers = false;
      keys.push_back(stringAt(L, -1));
    } else {
      allStrings = false;
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) allPositiveIntegers = false;
    }
  }
  if (allStrings) return encodeObject(e, idx, base, depth);  // includes {} for an empty table
  keys.resize(base);
  if (allPositiveIntegers && count == lua_rawlen(L, idx)) {
    return encodeArray(e, idx, static_cast<lua_Integer>(count), depth);
  }
  raiseError(L, "json.encode: a table needs only string keys (object) or keys 1..n (array)");
}

void encodeAt(Encoder& e, int idx, int depth) {
  lua_State* L = e.L;
  std::string& out = e.c->buf;
  if ((++e.values & 0xFFF) == 0) checkCpuTime(L);  // a large encoding is one long C call
  switch (lua_type(L, idx)) {
    case LUA_TNIL:  // a hole in an array
      out += "null";
      break;
    case LUA_TBOOLEAN:
      out += lua_toboolean(L, idx) ? "true" : "false";
      break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        appendInteger(out, lua_tointeger(L, idx));
      } else {
        const double d = lua_tonumber(L, idx);
        if (!std::isfinite(d)) raiseError(L, "json.encode: cannot encode NaN or infinity");
        appendFloat(out, d);
      }
      break;
    case LUA_TSTRING:
      json::appendQuoted(out, stringAt(L, idx));
      break;
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) != jsonNull()) {
        raiseError(L, "json.encode: cannot encode a userdata");
      }
      out += "null";
      break;
    case LUA_TTABLE:
      encodeTable(e, idx, depth);
      break;
    default:
      raiseError(L, "json.encode: cannot encode a %s", luaL_typename(L, idx));
  }
  if (out.size() > e.maxBytes && e.overIsMemoryLimit) {
    e.c->memHit = true;  // final, as a refused allocation would be
    luaL_error(L, "not enough memory");
  }
  if (out.size() > e.maxBytes) {
    raiseError(L, "json.encode: output exceeds %I bytes", static_cast<lua_Integer>(e.maxBytes));
  }
}

bool sameNumber(lua_State* L, int idx, const json::Value& v) {
  if (lua_type(L, idx) != LUA_TNUMBER) return false;
  if (v.isInteger()) return lua_isinteger(L, idx) && lua_tointeger(L, idx) == v.asInt();
  return !lua_isinteger(L, idx) && lua_tonumber(L, idx) == v.asDouble();
}

bool sameArray(lua_State* L, int idx, const json::Value& v) {
  const auto& items = v.items();
  if (!isArrayMarked(L, idx) || lua_rawlen(L, idx) != items.size()) return false;
  luaL_checkstack(L, 3, "JSON nesting");
  if (tableSize(L, idx) != items.size()) return false;
  lua_Integer i = 0;
  for (const json::Value& item : items) {
    lua_rawgeti(L, idx, ++i);
    const bool same = sameAsJson(L, lua_gettop(L), item);
    lua_pop(L, 1);
    if (!same) return false;
  }
  return true;
}

bool sameObject(lua_State* L, int idx, const json::Value& v) {
  const auto& members = v.members();
  if (isArrayMarked(L, idx)) return false;
  luaL_checkstack(L, 4, "JSON nesting");
  const size_t entries = tableSize(L, idx);
  if (entries == members.size()) {
    for (const auto& member : members) {
      lua_pushlstring(L, member.first.data(), member.first.size());
      lua_rawget(L, idx);
      const bool same = sameAsJson(L, lua_gettop(L), member.second);
      lua_pop(L, 1);
      if (!same) return false;
    }
    return true;
  }
  if (entries > members.size()) return false;
  // Duplicate keys: pushJson kept the last value of each, so an untouched table holds exactly
  // those. Walk backwards, skipping keys already seen (a Lua table: nothing leaks on an error).
  lua_createtable(L, 0, static_cast<int>(entries));
  const int seen = lua_gettop(L);
  size_t distinct = 0;
  bool same = true;
  for (auto it = members.rbegin(); same && it != members.rend(); ++it) {
    lua_pushlstring(L, it->first.data(), it->first.size());
    if (lua_rawget(L, seen) != LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    lua_pop(L, 1);
    lua_pushlstring(L, it->first.data(), it->first.size());
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    ++distinct;
    lua_pushlstring(L, it->first.data(), it->first.size());
    lua_rawget(L, idx);
    same = sameAsJson(L, lua_gettop(L), it->second);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return same && distinct == entries;
}

int luaJsonEncode(lua_State* L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  StateContext* c = contextOf(L);
  // The text must fit in what is left of the Lua heap; stop building it once it cannot.
  encodeJson(L, 1, c->memLimit > c->memUsed ? c->memLimit - c->memUsed : 0, true);
  lua_pushlstring(L, c->buf.data(), c->buf.size());
  return 1;
}

// An upper bound on the values and object members json::parse builds for `text`: one per
// structural character outside strings, plus one.
size_t nodeBound(std::string_view text) {
  size_t n = 1;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (inString) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        inString = false;
      }
      continue;
    }
    if (ch == '"') {
      inString = true;
    } else if (ch == ',' || ch == ':' || ch == '[' || ch == '{') {
      ++n;
    }
  }
  return n;
}

// Parses into the context, not a local, so no destructor is pending when pushJson raises.
bool parseIntoContext(StateContext* c, std::string_view text) {
  Result<json::Value> r = json::parse(text);
  if (!r) {
    c->message = r.status().message();
    return false;
  }
  c->decoded = std::move(r).value();
  return true;
}

int luaJsonDecode(lua_State* L) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  StateContext* c = contextOf(L);
  // The parse tree lives outside the Lua heap and takes far more room than the text (about 140
  // bytes a value: "[0,0,0,…]" grows 70 times), so it is charged to the call's memory first.
  const size_t room = c->memLimit > c->memUsed ? c->memLimit - c->memUsed : 0;
  const size_t perNode = sizeof(std::pair<std::string, json::Value>);
  if (nodeBound(std::string_view(s, len)) > (room > len ? room - len : 0) / perNode) {
    c->memHit = true;  // final, as a refused allocation would be
    return luaL_error(L, "not enough memory");
  }
  if (!parseIntoContext(c, std::string_view(s, len))) {
    return luaL_error(L, "json.decode: %s", c->message.c_str());
  }
  checkCpuTime(L);
  pushJson(L, c->decoded);
  c->decoded = json::Value();
  return 1;
}

}  // namespace

void* jsonNull() { return &g_nullSentinel; }

void pushJson(lua_State* L, const json::Value& v) { pushJsonAt(L, v); }

void encodeJson(lua_State* L, int idx, size_t maxBytes, bool overIsMemoryLimit) {
  StateContext* c = contextOf(L);
  c->buf.clear();
  c->keys.clear();
  Encoder e{L, c, maxBytes, overIsMemoryLimit};
  encodeAt(e, lua_absindex(L, idx), 0);
}

bool sameAsJson(lua_State* L, int idx, const json::Value& v) {
  switch (v.type()) {
    case json::Type::kNull:
      return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == jsonNull();
    case json::Type::kBool:
      return lua_type(L, idx) == LUA_TBOOLEAN && (lua_toboolean(L, idx) != 0) == v.asBool();
    case json::Type::kNumber:
      return sameNumber(L, idx, v);
    case json::Type::kString:
      return lua_type(L, idx) == LUA_TSTRING && stringAt(L, idx) == v.asString();
    case json::Type::kArray:
      return lua_type(L, idx) == LUA_TTABLE && sameArray(L, idx, v);
    case json::Type::kObject:
      return lua_type(L, idx) == LUA_TTABLE && sameObject(L, idx, v);
  }
  return false;
}

void pushJsonLibrary(lua_State* L) {
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, luaJsonEncode);
  lua_setfield(L, -2, "encode");
  lua_pushcfunction(L, luaJsonDecode);
  lua_setfield(L, -2, "decode");
  lua_pushlightuserdata(L, jsonNull());
  lua_setfield(L, -2, "null");
}

}  // namespace dispatch::transform::internal
