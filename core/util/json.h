// A strict RFC 8259 JSON parser that keeps each value's exact source bytes, and a
// compact writer. Raw spans let payloads travel byte-for-byte (numbers stay exact,
// signatures stay valid) while still letting us look inside.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/util/status.h"

namespace dispatch::json {

enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

// A parsed value. Holds string_views into the parsed text: the text must outlive it.
// Immutable after parsing; safe to read from several threads.
class Value {
 public:
  Type type() const { return type_; }
  bool isNull() const { return type_ == Type::kNull; }
  bool isBool() const { return type_ == Type::kBool; }
  bool isNumber() const { return type_ == Type::kNumber; }
  bool isString() const { return type_ == Type::kString; }
  bool isArray() const { return type_ == Type::kArray; }
  bool isObject() const { return type_ == Type::kObject; }

  // The exact bytes of this value in the source text (for strings: with quotes).
  std::string_view raw() const { return raw_; }

  bool asBool() const { return bool_; }
  // Decoded (unescaped) text of a string value; empty for other types.
  const std::string& asString() const { return str_; }
  // True for a number written without fraction or exponent that fits int64.
  bool isInteger() const;
  int64_t asInt() const;    // 0 unless isInteger()
  double asDouble() const;  // numbers only

  const std::vector<Value>& items() const { return items_; }                              // arrays
  const std::vector<std::pair<std::string, Value>>& members() const { return members_; }  // objects
  // The first member with this key, or nullptr (also for non-objects).
  const Value* find(std::string_view key) const;

  // Dot-path lookup: `a.b.c`, array indices as numbers (`items.0.type`). nullptr if any
  // step is missing or of the wrong type. On an object every step is a key (so `0` is the
  // key "0"); on an array it must be a canonical index. An empty path is the value itself.
  const Value* at(std::string_view dotPath) const;

  // The value as text for event types: strings → decoded text; numbers, booleans →
  // their source text; null → "null"; objects/arrays → their raw JSON.
  std::string scalarText() const;

 private:
  friend class Parser;
  Type type_ = Type::kNull;
  std::string_view raw_;
  bool bool_ = false;
  std::string str_;
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> members_;
};

struct ParseOptions {
  // Deeper nesting is refused (stack safety against hostile input). Parsing itself does not
  // recurse, but destroying or walking a Value does, so keep this modest. Default: 128.
  int maxDepth = 128;
};

// Parses exactly one JSON value (surrounding whitespace allowed). Rejects invalid UTF-8,
// trailing garbage, leading zeros, control characters in strings, lone surrogates.
Result<Value> parse(std::string_view text, ParseOptions options = {});

// Returns `s` as a JSON string literal, with quotes and escapes. Invalid UTF-8 sequences
// are replaced by U+FFFD so the output is always valid JSON.
std::string quote(std::string_view s);
void appendQuoted(std::string& out, std::string_view s);

bool isValidUtf8(std::string_view s);
// Text PostgreSQL's `text` accepts: valid UTF-8 without NUL (see core/util/text.h).
bool isStorableText(std::string_view s);
// `s` with every invalid UTF-8 sequence and every NUL replaced by U+FFFD (so the result can be
// stored as PostgreSQL text); for bodies shown to people, where the exact bytes do not matter.
std::string sanitizeUtf8(std::string_view s);
// `s` itself when storable; otherwise each byte of an invalid sequence or NUL written as
// `\xHH` and each backslash doubled, so distinct inputs stay distinct (lossless, reversible).
std::string escapeUnstorable(std::string_view s);

// Builds compact JSON text. Commas are inserted automatically.
// Example: Writer w; w.beginObject().key("a").number(1).endObject(); w.str() == {"a":1}
class Writer {
 public:
  Writer& beginObject();
  Writer& endObject();
  Writer& beginArray();
  Writer& endArray();
  Writer& key(std::string_view k);
  Writer& string(std::string_view s);
  Writer& number(int64_t n);
  Writer& number(double d);  // NaN and infinities are written as null
  // Any other integer type (int, size_t, ...): without this, number(1) would be ambiguous
  // between the two overloads above.
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) Writer& number(T n) {
    if constexpr (std::is_signed_v<T>) {
      return number(static_cast<int64_t>(n));
    } else {
      return unsignedNumber(static_cast<uint64_t>(n));
    }
  }
  Writer& boolean(bool b);
  Writer& null();
  // Appends already-serialised JSON (e.g. a stored payload) as one value.
  Writer& raw(std::string_view json);
  // Helpers for optional fields: null when empty.
  Writer& stringOrNull(const std::optional<std::string>& s);
  Writer& numberOrNull(const std::optional<int64_t>& n);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void comma();
  Writer& unsignedNumber(uint64_t n);
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool afterKey_ = false;
};

}  // namespace dispatch::json
