// A JSON text parsed on first use and at most once: an event's body is parsed only when
// something asks for it (the source's event-type path, a body filter), and then only once
// for all of them.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "core/util/json.h"

namespace dispatch::json {

// Not thread-safe (one per event being routed). The text must outlive it and every value
// it hands out.
class LazyValue {
 public:
  explicit LazyValue(std::string_view text) : text_(text) {}
  LazyValue(const LazyValue&) = delete;
  LazyValue& operator=(const LazyValue&) = delete;

  // The parsed value, or nullptr when the text is not JSON. Parses on the first call only.
  const Value* get() {
    if (!parsed_) {
      parsed_ = true;
      auto r = parse(text_);
      if (r) value_.emplace(std::move(r).value());
    }
    return value_ ? &*value_ : nullptr;
  }
  // Whether get() was called (the text has been parsed, successfully or not).
  bool parsed() const { return parsed_; }

 private:
  std::string_view text_;
  bool parsed_ = false;
  std::optional<Value> value_;
};

}  // namespace dispatch::json
