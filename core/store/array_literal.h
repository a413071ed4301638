// Store-internal: a PostgreSQL array literal built one element at a time, so many rows travel
// as one parameter per column (`unnest($1::uuid[], $2::text[], …)`) in one statement.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/util/text.h"

namespace dispatch::store {

class ArrayLiteral {
 public:
  void null() { sep() += "NULL"; }
  // uuids and integers: nothing to quote.
  void raw(const std::string& v) { sep() += v; }
  // Text that is not storable (core/util/text.h) is escaped here, the last step before the
  // statement: whatever an edge let through, the batch is written, never refused with 22021.
  void text(const std::string& v) {
    if (!dispatch::text::isStorable(v)) return text(dispatch::text::storable(v));
    std::string& o = sep();
    o += '"';
    for (char ch : v) {
      if (ch == '"' || ch == '\\') o += '\\';
      o += ch;
    }
    o += '"';
  }
  void text(const std::optional<std::string>& v) { v ? text(*v) : null(); }
  void integer(const std::optional<int64_t>& v) { v ? raw(std::to_string(*v)) : null(); }
  // bytea in hex form: the element text \x0a…, its backslash escaped inside the quotes.
  void bytes(const std::string& v) {
    static const char* kHex = "0123456789abcdef";
    std::string& o = sep();
    o.reserve(o.size() + v.size() * 2 + 6);
    o += "\"\\\\x";
    for (unsigned char ch : v) {
      o += kHex[ch >> 4];
      o += kHex[ch & 15];
    }
    o += '"';
  }
  std::string take() { return (s_.empty() ? "{" : s_) + "}"; }

 private:
  std::string& sep() {
    s_ += s_.empty() ? '{' : ',';
    return s_;
  }
  std::string s_;
};

}  // namespace dispatch::store
