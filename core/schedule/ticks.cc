// nextTick and latestTick: from local minutes to instants, one stretch of constant UTC offset at a
// time.
//
// A stretch [b, e) with offset o, after a stretch with offset p, holds the ticks of the local
// minutes L in [b + p, e + o), each at max(L - o, b):
// - after a spring-forward gap (p < o), the local times [b + p, b + o) do not exist and all fire
//   at b, the first instant after the gap;
// - after a fall-back overlap (p > o), the local times [b + o, b + p) were already lived in the
//   stretch before, which fired them; here they are skipped.
// So the instant of a local minute never decreases as the minute grows, and a search runs over
// the stretches in order, asking the calendar for the first (last) matching minute in each.
#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/schedule/calendar.h"
#include "core/schedule/cron.h"
#include "core/schedule/zone_rules.h"

namespace dispatch::schedule {
namespace {

constexpr int64_t kFirstMs = -2'208'988'800'000;  // 1900-01-01T00:00:00Z
constexpr int64_t kEndMs = 253'402'300'800'000;   // 10000-01-01T00:00:00Z
// 401 years (146,097 days are 400 Gregorian years, so this is more): any accepted expression has
// a tick in any window this long, whatever its day-of-month and day-of-week.
constexpr int64_t kHorizonSeconds = int64_t{146'097 + 366} * 86'400;

}  // namespace

std::optional<TimeMs> nextTick(const Cron& cron, const Zone& zone, TimeMs afterMs) {
  if (afterMs >= kEndMs) return std::nullopt;
  // The first whole second after `afterMs`: ticks are whole seconds (whole local minutes).
  int64_t from = floorDiv(std::max(afterMs, kFirstMs - 1), 1000) + 1;
  const int64_t horizon = std::min(from + kHorizonSeconds, kEndMs / 1000);
  while (from < horizon) {
    const Segment s = ZoneAccess::segmentAt(zone, from);
    int64_t lo = s.begin + s.prevOffset;
    if (s.begin < from) lo = std::max(lo, from + s.offset);
    const int64_t hi = std::min(s.end, horizon) + s.offset;
    if (const auto minute = firstMatch(cron, ceilDiv(lo, 60), ceilDiv(hi, 60))) {
      return std::max(*minute * 60 - s.offset, s.begin) * 1000;
    }
    from = s.end;
  }
  return std::nullopt;
}

std::optional<TimeMs> latestTick(const Cron& cron, const Zone& zone, TimeMs notBeforeMs,
                                 TimeMs atMs) {
  notBeforeMs = std::max(notBeforeMs, kFirstMs);
  atMs = std::min(atMs, kEndMs - 1);
  if (notBeforeMs > atMs) return std::nullopt;
  const int64_t first = ceilDiv(notBeforeMs, 1000);
  int64_t to = floorDiv(atMs, 1000);
  while (to >= first) {
    const Segment s = ZoneAccess::segmentAt(zone, to);
    int64_t lo = s.begin + s.prevOffset;
    if (s.begin < first) lo = std::max(lo, first + s.offset);
    const int64_t hi = std::min(s.end - 1, to) + s.offset;
    if (const auto minute = lastMatch(cron, ceilDiv(lo, 60), floorDiv(hi, 60))) {
      return std::max(*minute * 60 - s.offset, s.begin) * 1000;
    }
    to = s.begin - 1;
  }
  return std::nullopt;
}

}  // namespace dispatch::schedule
