// libFuzzer target for core/util/json (our own parser, quoting, UTF-8 checks and writer). Beyond
// "does not crash":
// - an accepted text is valid UTF-8; every value's raw span lies inside it and the root's is the
//   text without its surrounding whitespace;
// - written back with json::Writer from the parsed parts (decoded strings, number text) it parses
//   to an equal value, and writing that again gives the same bytes;
// - nesting: the text parses with maxDepth = its depth and fails with depth - 1;
// - numbers: asDouble() equals strtod(), isInteger()/asInt() agree with strtoll();
// - any bytes: quote() gives one JSON string that decodes to the bytes with invalid UTF-8
//   replaced by U+FFFD; sanitizeUtf8() is that with each NUL also U+FFFD, valid, and idempotent;
//   escapeUnstorable() is the identity on storable text and always gives storable text.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "core/util/json.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using dispatch::fuzz::check;
namespace json = dispatch::json;
using json::Type;
using json::Value;

void write(json::Writer& w, const Value& v) {
  switch (v.type()) {
    case Type::kNull:
      w.null();
      return;
    case Type::kBool:
      w.boolean(v.asBool());
      return;
    case Type::kNumber:
      w.raw(v.raw());
      return;
    case Type::kString:
      w.string(v.asString());
      return;
    case Type::kArray:
      w.beginArray();
      for (const Value& item : v.items()) write(w, item);
      w.endArray();
      return;
    case Type::kObject:
      w.beginObject();
      for (const auto& [key, value] : v.members()) {
        w.key(key);
        write(w, value);
      }
      w.endObject();
      return;
  }
}

std::string serialize(const Value& v) {
  json::Writer w;
  write(w, v);
  return w.take();
}

bool same(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return a.asBool() == b.asBool();
    case Type::kNumber:
      return a.raw() == b.raw();
    case Type::kString:
      return a.asString() == b.asString();
    case Type::kArray:
      if (a.items().size() != b.items().size()) return false;
      for (size_t i = 0; i < a.items().size(); ++i) {
        if (!same(a.items()[i], b.items()[i])) return false;
      }
      return true;
    case Type::kObject:
      if (a.members().size() != b.members().size()) return false;
      for (size_t i = 0; i < a.members().size(); ++i) {
        if (a.members()[i].first != b.members()[i].first) return false;
        if (!same(a.members()[i].second, b.members()[i].second)) return false;
      }
      return true;
  }
  return false;
}

int depthOf(const Value& v) {
  int deepest = 0;
  for (const Value& item : v.items()) deepest = std::max(deepest, depthOf(item));
  for (const auto& member : v.members()) deepest = std::max(deepest, depthOf(member.second));
  return (v.isArray() || v.isObject()) ? deepest + 1 : 0;
}

bool sameDouble(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

// Per value: its span is inside the text; strings decode to valid UTF-8; numbers read as the C
// library reads them; near the root, its raw span alone parses to the same value.
void checkValue(const Value& v, std::string_view text, int level) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  check(v.raw().data() >= begin && v.raw().data() + v.raw().size() <= end && !v.raw().empty(),
        "raw span outside the text", v.raw());
  if (v.isString()) {
    check(dispatch::json::isValidUtf8(v.asString()), "decoded string is not UTF-8", v.raw());
  }
  if (v.isNumber()) {
    const std::string raw(v.raw());
    errno = 0;
    const double expected = std::strtod(raw.c_str(), nullptr);
    check(sameDouble(v.asDouble(), expected), "asDouble differs from strtod", raw);
    errno = 0;
    char* stop = nullptr;
    const long long n = std::strtoll(raw.c_str(), &stop, 10);
    const bool integer =
        raw.find_first_of(".eE") == std::string::npos && errno != ERANGE && *stop == '\0';
    check(v.isInteger() == integer, "isInteger disagrees with strtoll", raw);
    check(v.asInt() == (integer ? n : 0), "asInt differs from strtoll", raw);
  }
  if (level <= 2) {
    auto again = json::parse(v.raw());
    check(again.isOk() && same(*again, v), "raw span does not parse to the same value", v.raw());
  }
  for (const Value& item : v.items()) checkValue(item, text, level + 1);
  for (const auto& member : v.members()) {
    check(dispatch::json::isValidUtf8(member.first), "key is not UTF-8", member.first);
    checkValue(member.second, text, level + 1);
  }
}

std::string_view trimmed(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

void checkParse(std::string_view text) {
  auto parsed = json::parse(text);
  if (!parsed) {
    const std::string message = parsed.status().message();
    check(message.rfind("invalid JSON: ", 0) == 0, "error without the 'invalid JSON' prefix",
          message);
    const size_t at = message.rfind(" at offset ");
    check(at != std::string::npos, "error without an offset", message);
    const long offset = std::strtol(message.c_str() + at + 11, nullptr, 10);
    check(offset >= 0 && static_cast<size_t>(offset) <= text.size(), "offset past the end",
          message);
    return;
  }
  const Value& root = *parsed;
  check(json::isValidUtf8(text), "accepted text is not valid UTF-8", text);
  check(root.raw() == trimmed(text), "root raw span is not the trimmed text", text);
  check(root.at("") == &root, "empty dot-path is not the value itself", text);
  checkValue(root, text, 0);

  const std::string written = serialize(root);
  auto reparsed = json::parse(written);
  check(reparsed.isOk(), "written JSON does not parse", written);
  check(same(*reparsed, root), "written JSON parses to a different value", written);
  check(serialize(*reparsed) == written, "writing is not a fixpoint", written);

  const int depth = depthOf(root);
  check(json::parse(text, {depth}).isOk(), "fails at maxDepth = its own depth", text);
  if (depth > 0) {
    auto shallow = json::parse(text, {depth - 1});
    check(!shallow && shallow.status().message().find("nesting too deep") != std::string::npos,
          "parses with maxDepth below its depth", text);
  }
}

void checkQuoting(std::string_view bytes) {
  const std::string quoted = json::quote(bytes);
  check(json::isValidUtf8(quoted), "quote() output is not UTF-8", bytes);
  auto decoded = json::parse(quoted);
  check(decoded.isOk() && decoded->isString(), "quote() output is not one JSON string", bytes);
  check(decoded->raw() == quoted, "quote() output has trailing bytes", bytes);
  const std::string& replaced = decoded->asString();
  const bool valid = json::isValidUtf8(bytes);
  check(!valid || replaced == bytes, "quote() changed valid UTF-8", bytes);
  check(valid || replaced != bytes, "quote() kept invalid UTF-8", bytes);

  const std::string clean = json::sanitizeUtf8(bytes);
  std::string nulReplaced;
  for (const char c : replaced) {
    if (c == '\0') {
      nulReplaced += "\xEF\xBF\xBD";
    } else {
      nulReplaced += c;
    }
  }
  check(clean == nulReplaced, "sanitizeUtf8 differs from quote() with NULs replaced", bytes);
  check(json::isValidUtf8(clean) && clean.find('\0') == std::string::npos,
        "sanitizeUtf8 output is not NUL-free UTF-8", bytes);
  check(json::sanitizeUtf8(clean) == clean, "sanitizeUtf8 is not idempotent", bytes);
  const std::string escaped = json::escapeUnstorable(bytes);
  check(json::isStorableText(escaped), "escapeUnstorable output is not storable text", bytes);
  check(!json::isStorableText(bytes) || escaped == bytes, "escapeUnstorable changed storable text",
        bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  checkParse(text);
  checkQuoting(text);
  return 0;
}
