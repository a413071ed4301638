// Transform: compile once, run per event on the calling thread's cached Lua state; builds the
// event table and reads the returned one (contracts/transforms.md).
#include "core/transform/transform.h"

#include <algorithm>
#include <atomic>

#include "core/transform/lua_json.h"
#include "core/transform/sandbox.h"
#include "core/transform/state_cache.h"
#include "core/util/json.h"
#include "core/util/log.h"

namespace dispatch::transform {
namespace {

using internal::contextOf;
using internal::raiseError;

std::atomic<uint64_t> g_nextId{1};

// Everything runEvent needs; lives on run()'s frame, outside the protected call.
struct CallContext {
  const EventInput* input;
  const json::Value* parsed;  // nullptr when the body is not JSON
  Output* out;
};

bool isTokenChar(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return true;
  if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(ch)) != std::string_view::npos;
}

bool isHeaderName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return isTokenChar(ch); });
}

// Field content: visible bytes, spaces and tabs; never CR, LF, NUL or other controls. Bytes
// past ASCII must form valid UTF-8 (checked separately).
bool hasNoControls(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto b = static_cast<unsigned char>(ch);
    return b == '\t' || (b >= 0x20 && b != 0x7f);
  });
}

// A header name or other script text fit to appear in an error message: at most 64 bytes, any
// byte that is not printable ASCII written as \xHH.
std::string printable(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0x7f) {
      out += static_cast<char>(b);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  if (s.size() > kMax) out += "...";
  return out;
}

std::string_view stringAt(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return {s, len};
}

void setStringField(lua_State* L, const char* key, std::string_view value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, key);
}

void pushHeaders(lua_State* L, const EventInput& e) {
  lua_createtable(L, 0, static_cast<int>(e.headers.size()));
  for (const auto& [name, value] : e.headers) {
    lua_pushlstring(L, name.data(), name.size());
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TSTRING) {
      lua_pushliteral(L, ", ");
      lua_pushlstring(L, value.data(), value.size());
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushlstring(L, value.data(), value.size());
    }
    lua_rawset(L, -3);
  }
}

void pushQuery(lua_State* L, const EventInput& e) {
  lua_createtable(L, 0, static_cast<int>(e.query.size()));
  for (const auto& [name, value] : e.query) {
    lua_pushlstring(L, name.data(), name.size());
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) != LUA_TNIL) {
      lua_pop(L, 2);
      continue;
    }
    lua_pop(L, 1);
    lua_pushlstring(L, value.data(), value.size());
    lua_rawset(L, -3);
  }
}

void pushEvent(lua_State* L, const CallContext& call) {
  const EventInput& e = *call.input;
  lua_createtable(L, 0, 8);
  setStringField(L, "id", e.id);
  setStringField(L, "source", e.source);
  setStringField(L, "type", e.type);
  pushHeaders(L, e);
  lua_setfield(L, -2, "headers");
  pushQuery(L, e);
  lua_setfield(L, -2, "query");
  if (call.parsed != nullptr) {
    internal::pushJson(L, *call.parsed);
  } else {
    lua_pushlstring(L, e.body.data(), e.body.size());
  }
  lua_setfield(L, -2, "body");
}

bool bodyUnchanged(lua_State* L, int idx, const CallContext& call) {
  if (call.parsed != nullptr) return internal::sameAsJson(L, idx, *call.parsed);
  return lua_type(L, idx) == LUA_TSTRING && stringAt(L, idx) == call.input->body;
}

// event.body: the input bytes when untouched, a string as is, anything else as JSON.
void readBody(lua_State* L, int event, const CallContext& call) {
  internal::StateContext* c = contextOf(L);
  Output& out = *call.out;
  lua_pushliteral(L, "body");
  const int t = lua_rawget(L, event);
  const int body = lua_gettop(L);
  const auto limit = static_cast<size_t>(std::max<int64_t>(c->maxOutputBytes, 0));
  if (bodyUnchanged(L, body, call)) {
    out.body.assign(call.input->body);
    out.bodyChanged = false;
  } else if (t == LUA_TSTRING) {
    out.body.assign(stringAt(L, body));
    out.bodyChanged = true;
  } else if (t == LUA_TNIL) {
    raiseError(L, "event.body is nil (return a table or a string)");
  } else {
    internal::encodeJson(L, body, limit);
    out.body.assign(c->buf);
    out.bodyChanged = true;
  }
  if (out.body.size() > limit) {
    raiseError(L, "output body is %I bytes, over the limit of %I",
               static_cast<lua_Integer>(out.body.size()), static_cast<lua_Integer>(limit));
  }
  lua_pop(L, 1);
}

// event.headers_out: at most maxHeaders entries of at most maxHeaderBytes (name plus value),
// names HTTP tokens, values valid UTF-8 without control characters (the stored delivery and
// the outgoing request must hold them as they are).
void readHeadersOut(lua_State* L, int event, Output& out) {
  internal::StateContext* c = contextOf(L);
  lua_pushliteral(L, "headers_out");
  const int t = lua_rawget(L, event);
  if (t == LUA_TNIL) return lua_pop(L, 1);
  if (t != LUA_TTABLE) {
    raiseError(L, "event.headers_out must be a table, not a %s", lua_typename(L, t));
  }
  const int headers = lua_gettop(L);
  int64_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, headers) != 0) {
    if (++count > c->maxHeaders) {
      raiseError(L, "event.headers_out has more than %I headers",
                 static_cast<lua_Integer>(c->maxHeaders));
    }
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
      raiseError(L, "event.headers_out: names and values must be strings");
    }
    const std::string_view name = stringAt(L, -2);
    const std::string_view value = stringAt(L, -1);
    c->message = printable(name);  // kept in the context: raiseError longjmps past locals
    if (static_cast<int64_t>(name.size() + value.size()) > c->maxHeaderBytes) {
      raiseError(L, "event.headers_out: header %s is %I bytes, over the limit of %I",
                 c->message.c_str(), static_cast<lua_Integer>(name.size() + value.size()),
                 static_cast<lua_Integer>(c->maxHeaderBytes));
    }
    if (!isHeaderName(name)) {
      raiseError(L, "event.headers_out: invalid header name %s", c->message.c_str());
    }
    if (!hasNoControls(value)) {
      raiseError(L, "event.headers_out: invalid value for header %s (control characters)",
                 c->message.c_str());
    }
    if (!json::isValidUtf8(value)) {
      raiseError(L, "event.headers_out: invalid value for header %s (not valid UTF-8)",
                 c->message.c_str());
    }
    out.headersOut.emplace_back(name, value);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

// event.type is stored with the delivery and sent as a header: valid UTF-8 without NUL or
// other control characters.
void readType(lua_State* L, int event, Output& out) {
  lua_pushliteral(L, "type");
  const int t = lua_rawget(L, event);
  if (t == LUA_TSTRING) {
    const std::string_view type = stringAt(L, -1);
    if (!hasNoControls(type)) raiseError(L, "event.type holds control characters (NUL, CR, LF…)");
    if (!json::isValidUtf8(type)) raiseError(L, "event.type is not valid UTF-8");
    out.type.assign(type);
  } else if (t != LUA_TNIL) {
    raiseError(L, "event.type must be a string, not a %s", lua_typename(L, t));
  }
  lua_pop(L, 1);
}

// The protected body of one call: [1] CallContext*, [2] event, [3] returned value.
int runEvent(lua_State* L) {
  const auto& call = *static_cast<const CallContext*>(lua_touserdata(L, 1));
  internal::resetCallState(L);
  pushEvent(L, call);
  lua_rawgeti(L, LUA_REGISTRYINDEX, contextOf(L)->transformRef);
  lua_pushvalue(L, 2);
  lua_call(L, 1, 1);
  Output& out = *call.out;
  if (lua_isnil(L, 3) || (lua_isboolean(L, 3) && !lua_toboolean(L, 3))) {
    out.kind = Output::Kind::kDrop;
    return 0;
  }
  if (!lua_rawequal(L, 2, 3)) {
    raiseError(L, "transform must return the event table or nil (it returned a %s)",
               luaL_typename(L, 3));
  }
  readBody(L, 2, call);
  readHeadersOut(L, 2, out);
  readType(L, 2, out);
  out.kind = Output::Kind::kDeliver;
  return 0;
}

Output errorOutput(std::string message) {
  Output out;
  out.kind = Output::Kind::kError;
  out.error = std::move(message);
  return out;
}

}  // namespace

Transform::Transform(std::shared_ptr<const internal::Spec> spec) : spec_(std::move(spec)) {}
Transform::~Transform() = default;

const std::string& Transform::name() const { return spec_->name; }
const Limits& Transform::limits() const { return spec_->limits; }
uint64_t Transform::id() const { return spec_->id; }

Result<std::shared_ptr<const Transform>> Transform::compile(std::string name, std::string source,
                                                            Limits limits, std::string linkName) {
  auto spec = std::make_shared<internal::Spec>();
  spec->id = g_nextId.fetch_add(1);
  spec->chunkId = "@" + name;
  spec->name = std::move(name);
  spec->source = std::move(source);
  spec->limits = limits;
  spec->linkName = std::move(linkName);
  // Built and thrown away: compile runs on the config thread, calls run on worker threads.
  Result<std::unique_ptr<internal::Sandbox>> check = internal::Sandbox::create(*spec);
  if (!check) return check.status();
  return std::shared_ptr<const Transform>(new Transform(std::move(spec)));
}

Output Transform::run(const EventInput& e) const {
  internal::StateCache& cache = internal::StateCache::forThisThread();
  std::string error;
  internal::Sandbox* sandbox = cache.get(spec_, &error);
  if (sandbox == nullptr) return errorOutput(std::move(error));
  Output out = internal::runInSandbox(*sandbox, e);
  if (out.kind == Output::Kind::kError) cache.discard(spec_->id);
  return out;
}

namespace internal {

Output runInSandbox(Sandbox& box, const EventInput& e) {
  const Result<json::Value> parsed = json::parse(e.body);
  Output out;
  CallContext call{&e, parsed.isOk() ? &parsed.value() : nullptr, &out};
  std::string error;
  if (!box.protectedCall(runEvent, &call, &error)) return errorOutput(std::move(error));
  std::sort(out.headersOut.begin(), out.headersOut.end());
  return out;
}

}  // namespace internal

}  // namespace dispatch::transform
