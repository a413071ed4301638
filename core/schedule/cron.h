// Cron expressions: parse a five-field expression (or an @ shortcut). Pure logic over values — no
// store, no clock — and thread-safe: a Cron is an immutable value that may be shared.
//
// Semantics (http-api.md, "Schedules", "Firing rules"):
// - Vixie cron's day rule: when day-of-month and day-of-week are both restricted, a day matches
//   if EITHER matches; a day field that begins with '*' (`*/2` too) counts as unrestricted, and a
//   day must then match both (so `0 0 */2 * 1` is the odd days that are Mondays).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/status.h"

namespace dispatch::schedule {

// A parsed cron expression. Bit i of a set means value i is selected.
struct Cron {
  uint64_t minutes = 0;      // bits 0-59
  uint32_t hours = 0;        // bits 0-23
  uint32_t daysOfMonth = 0;  // bits 1-31
  uint16_t months = 0;       // bits 1-12
  uint8_t daysOfWeek = 0;    // bits 0-6, 0 = Sunday (7 in the text is Sunday too)
  bool domStar = false;      // the day-of-month field began with '*'
  bool dowStar = false;      // the day-of-week field began with '*'
  std::string text;          // the expression as given, without surrounding blanks

  bool operator==(const Cron&) const = default;
};

// Parses five blank-separated fields — minute hour day-of-month month day-of-week, each a list of
// `*`, `n`, `a-b`, `*/n` or `a-b/n`; names JAN-DEC and SUN-SAT in any case; day-of-week 0-7 with
// 7 = Sunday — or one of @hourly, @daily, @weekly, @monthly, @yearly (any case).
// Errors (Code::kInvalid) are a short message for a 400 naming `cron`, e.g.
// "minute: 61 is out of range 0-59"; an expression that can never fire (`0 0 30 2 *`) is one.
Result<Cron> parseCron(std::string_view text);

}  // namespace dispatch::schedule
