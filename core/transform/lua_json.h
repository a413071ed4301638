// JSON ⇄ Lua for transforms: decoded bodies, json.encode/json.decode, and the check that a
// returned body is still what was decoded. Internal to core/transform/.
#pragma once

#include <cstddef>

#include "core/transform/lua_headers.h"
#include "core/util/json.h"

namespace dispatch::transform::internal {

// The json.null sentinel (a light userdata: no allocation, the same in every state).
void* jsonNull();

// Pushes `v` as Lua: objects → tables, arrays → sequences with the array metatable, null →
// json.null, integers that fit int64 → integers, other numbers → floats. May raise Lua errors.
void pushJson(lua_State* L, const json::Value& v);

// Replaces contextOf(L)->buf with the JSON text of the value at idx. Raises a Lua error for a
// value JSON cannot hold (functions, NaN, mixed or sparse keys, cycles) or past maxBytes: the
// memory limit when overIsMemoryLimit (the text was to go into the Lua heap), else
// "json.encode: output exceeds N bytes".
void encodeJson(lua_State* L, int idx, size_t maxBytes, bool overIsMemoryLimit = false);

// True when the value at idx is exactly what pushJson(v) produced (deep comparison), so the
// original bytes can be delivered untouched.
bool sameAsJson(lua_State* L, int idx, const json::Value& v);

// Pushes the `json` library table (encode, decode, null).
void pushJsonLibrary(lua_State* L);

}  // namespace dispatch::transform::internal
