// libFuzzer target for the JSON ⇄ Lua bridge (core/transform/lua_json.cc) through the public
// transform API: the input is an event body, run through three sandboxed scripts.
// - identity (`return e`): delivered byte for byte, unchanged, for any body (duplicate keys
//   included);
// - encode (`e.body = json.encode(e.body)`): for a JSON body, text that parses to the same value
//   under the bridge's rules (duplicate keys: the last wins; keys sorted; integers within int64
//   stay integers, other numbers the same double written as a float), canonical (encoding it
//   again gives it back); an error only for a number beyond double range; for any other body,
//   json.quote() of it;
// - decode∘encode (`e.body = json.decode(json.encode(e.body))`): equal to the decoded body, so
//   the original bytes come back untouched (duplicate keys too: Lua sees the last of each), and
//   for a body that is not JSON its text with invalid UTF-8 replaced by U+FFFD.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/transform/transform.h"
#include "core/util/json.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace json = dispatch::json;
namespace transform = dispatch::transform;
using dispatch::fuzz::check;
using Kind = transform::Output::Kind;

std::shared_ptr<const transform::Transform> compile(const char* name, const char* source) {
  auto t = transform::Transform::compile(name, source, transform::Limits{}, "fuzz");
  check(t.isOk(), "a fuzz script does not compile", t.isOk() ? "" : t.status().message());
  return *t;
}

const transform::Transform& identity() {
  static const auto t = compile("identity.lua", "function transform(e) return e end");
  return *t;
}
const transform::Transform& encoder() {
  static const auto t =
      compile("encode.lua", "function transform(e) e.body = json.encode(e.body) return e end");
  return *t;
}
const transform::Transform& roundTrip() {
  static const auto t =
      compile("roundtrip.lua",
              "function transform(e) e.body = json.decode(json.encode(e.body)) return e end");
  return *t;
}

transform::Output run(const transform::Transform& t, std::string_view body) {
  transform::EventInput e;
  e.id = "evt_fuzz";
  e.source = "fuzz";
  e.type = "fuzz.event";
  e.headers = {{"content-type", "application/json"}};
  e.body = body;
  return t.run(e);
}

// A limit hit is not the bridge's doing (a time budget can trip on a loaded machine).
bool limitHit(const transform::Output& out) {
  return out.kind == Kind::kError && (out.error.find("limit") != std::string::npos ||
                                      out.error.find("budget") != std::string::npos ||
                                      out.error.find("time") != std::string::npos);
}

// As Lua sees the value: of repeated keys only the last counts.
bool hasInfinity(const json::Value& v) {
  if (v.isNumber() && !v.isInteger() && !std::isfinite(v.asDouble())) return true;
  for (const json::Value& item : v.items()) {
    if (hasInfinity(item)) return true;
  }
  std::map<std::string_view, const json::Value*> last;
  for (const auto& member : v.members()) last[member.first] = &member.second;
  for (const auto& [key, value] : last) {
    if (hasInfinity(*value)) return true;
  }
  return false;
}

bool sameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// `out` is what the bridge should make of `in`: see the file comment.
bool bridged(const json::Value& in, const json::Value& out) {
  switch (in.type()) {
    case json::Type::kNull:
      return out.isNull();
    case json::Type::kBool:
      return out.isBool() && out.asBool() == in.asBool();
    case json::Type::kString:
      return out.isString() && out.asString() == in.asString();
    case json::Type::kNumber:
      if (!out.isNumber()) return false;
      if (in.isInteger()) return out.isInteger() && out.asInt() == in.asInt();
      return !out.isInteger() && sameBits(out.asDouble(), in.asDouble());
    case json::Type::kArray:
      if (!out.isArray() || out.items().size() != in.items().size()) return false;
      for (size_t i = 0; i < in.items().size(); ++i) {
        if (!bridged(in.items()[i], out.items()[i])) return false;
      }
      return true;
    case json::Type::kObject: {
      if (!out.isObject()) return false;
      std::map<std::string_view, const json::Value*> last;  // sorted as the encoder sorts
      for (const auto& member : in.members()) last[member.first] = &member.second;
      if (out.members().size() != last.size()) return false;
      size_t i = 0;
      for (const auto& [key, value] : last) {
        const auto& member = out.members()[i++];
        if (member.first != key || !bridged(*value, member.second)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto parsed = json::parse(body);

  const transform::Output same = run(identity(), body);
  if (limitHit(same)) return 0;
  check(same.kind == Kind::kDeliver && same.body == body && !same.bodyChanged &&
            same.type == "fuzz.event" && same.headersOut.empty(),
        "the identity transform changed the event", same.kind == Kind::kError ? same.error : body);

  const transform::Output encoded = run(encoder(), body);
  if (limitHit(encoded)) return 0;
  if (!parsed) {
    check(encoded.kind == Kind::kDeliver && encoded.body == json::quote(body),
          "a non-JSON body does not encode as its JSON string", body);
  } else if (hasInfinity(*parsed)) {
    check(
        encoded.kind == Kind::kError && encoded.error.find("NaN or infinity") != std::string::npos,
        "a number beyond double range encodes", body);
  } else {
    check(encoded.kind == Kind::kDeliver, "json.encode failed",
          encoded.kind == Kind::kError ? encoded.error : body);
    const auto text = json::parse(encoded.body);
    check(text.isOk(), "json.encode wrote invalid JSON", encoded.body);
    check(bridged(*parsed, *text), "json.encode changed the value", encoded.body);
    const transform::Output again = run(encoder(), encoded.body);
    check(again.kind == Kind::kDeliver && again.body == encoded.body,
          "json.encode is not canonical (encoding its output differs)", encoded.body);
  }

  const transform::Output back = run(roundTrip(), body);
  if (limitHit(back)) return 0;
  if (parsed && hasInfinity(*parsed)) {
    check(back.kind == Kind::kError, "a number beyond double range round-trips", body);
    return 0;
  }
  check(back.kind == Kind::kDeliver, "json.decode(json.encode(body)) failed",
        back.kind == Kind::kError ? back.error : body);
  if (parsed) {
    // Equal to the decoded body (duplicate keys included: the last one is what Lua sees).
    check(!back.bodyChanged && back.body == body, "decode∘encode delivered other bytes", back.body);
  } else {
    const bool text = json::isValidUtf8(body);
    check(back.bodyChanged != text, "decode∘encode changed valid text", body);
    check(text ? back.body == body : back.body == json::parse(json::quote(body))->asString(),
          "decode∘encode of text is not the text with U+FFFD", back.body);
  }
  return 0;
}
