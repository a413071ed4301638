// The one rule for text that reaches the store: valid UTF-8 without NUL, which is what
// PostgreSQL's `text` accepts (it answers anything else with sqlstate 22021 — a 500 and, on the
// ingest path, a lost event). Every text value is either checked with checkText at the edge,
// so the client gets a 400 naming the field, or made storable with storableText, losslessly,
// where refusing would lose an event (a sender's headers and type). docs/architecture.md
// ("Text that reaches the store") lists which fields take which path.
#pragma once

#include <string>
#include <string_view>

#include "core/util/json.h"
#include "core/util/status.h"

namespace dispatch::text {

inline bool isStorable(std::string_view s) { return json::isStorableText(s); }

// `s` when storable; else each invalid byte and NUL written as \xHH and each backslash doubled.
inline std::string storable(std::string_view s) { return json::escapeUnstorable(s); }

// OK, or 400 "<field> must be valid UTF-8 without NUL characters".
inline Status check(std::string_view field, std::string_view value) {
  if (isStorable(value)) return Status::ok();
  return Status(Code::kInvalid, std::string(field) + " must be valid UTF-8 without NUL characters");
}

}  // namespace dispatch::text
