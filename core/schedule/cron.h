// Cron expressions and IANA time zones: parse a five-field expression (or an @ shortcut), find a
// zone, and compute the instants it ticks at. Pure logic over values — no store, no clock — and
// thread-safe: a Cron and a Zone are immutable values that may be shared between threads.
//
// Semantics (http-api.md, "Schedules", "Firing rules"):
// - Vixie cron's day rule: when day-of-month and day-of-week are both restricted, a day matches
//   if EITHER matches; a day field that begins with '*' (`*/2` too) counts as unrestricted, and a
//   day must then match both (so `0 0 */2 * 1` is the odd days that are Mondays).
// - Ticks are whole local minutes; an instant is Unix milliseconds with ms 000.
// - A local time that does not exist (spring-forward gap) fires at the first instant after the
//   gap, and all the gap's matching times fire once, together, there; a local time that occurs
//   twice (fall-back overlap) fires once, at its first occurrence.
// - Instants before 1900 or after 9999 have no ticks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/status.h"
#include "core/util/time.h"

namespace date {
class time_zone;  // Howard Hinnant's date library; only core/schedule/*.cc include it
}

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

// An IANA time zone. Default-constructed: UTC. A cheap value (a pointer into the process-wide
// zone database, which lives as long as the process, and the name).
class Zone {
 public:
  Zone() = default;
  // The name it was found by ("UTC", "Europe/Berlin", a link such as "US/Eastern").
  const std::string& name() const { return name_; }
  bool operator==(const Zone&) const = default;

 private:
  friend struct ZoneAccess;              // core/schedule/zone_rules.h: the offsets behind the name
  const date::time_zone* tz_ = nullptr;  // nullptr: UTC, without a database lookup
  std::string name_ = "UTC";
};

// Finds a zone by its exact IANA name (tzdata from /usr/share/zoneinfo). Unknown names, and names
// of files that are not zones ("localtime"), → Code::kInvalid, a message for a 400 naming
// `timezone`; an unreadable database → Code::kInternal.
Result<Zone> findZone(std::string_view name);

// The first tick strictly after `afterMs`, or nullopt when there is none within 401 years (an
// expression parseCron accepted always has one, unless the search reaches the year 10000).
// Cost: a few microseconds; it never steps minute by minute.
std::optional<TimeMs> nextTick(const Cron& cron, const Zone& zone, TimeMs afterMs);

// The latest tick at or before `atMs` that is at or after `notBeforeMs` (the one missed tick that
// fires on return), or nullopt when there is none in that window. Cost grows with the window only
// when ticks are rare in it: years missed on an every-minute expression are found at once.
std::optional<TimeMs> latestTick(const Cron& cron, const Zone& zone, TimeMs notBeforeMs,
                                 TimeMs atMs);

}  // namespace dispatch::schedule
