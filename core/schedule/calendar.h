// The cron expression on the local calendar, without zones: which local minutes match. Local
// minutes are counted from 1970-01-01 00:00 on the zone's wall clock (proleptic Gregorian), so a
// minute here is a name on the wall clock, not an instant. Internal to core/schedule/.
#pragma once

#include <cstdint>
#include <optional>

#include "core/schedule/cron.h"

namespace dispatch::schedule {

// Floor division and its ceiling twin, for negative numerators too.
inline int64_t floorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
inline int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

// Whether `cron` selects this day (month 1-12, day 1-31, weekday 0-6 with 0 = Sunday).
bool dayMatches(const Cron& cron, int month, int day, int weekday);

// Whether the local minute matches every field.
bool minuteMatches(const Cron& cron, int64_t localMinute);

// The first matching local minute in [from, until), or nullopt. Skips whole months, days and
// hours that cannot match, so the cost is about one step per day it passes over.
std::optional<int64_t> firstMatch(const Cron& cron, int64_t from, int64_t until);

// The last matching local minute in [from, to] (both included), or nullopt.
std::optional<int64_t> lastMatch(const Cron& cron, int64_t from, int64_t to);

}  // namespace dispatch::schedule
