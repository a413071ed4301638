// What the tick arithmetic needs from a zone: the stretch of UTC with one offset around an
// instant, and the offset before it. Internal to core/schedule/.
#pragma once

#include <cstdint>

#include "core/schedule/cron.h"

namespace dispatch::schedule {

// [begin, end) in Unix seconds, with one UTC offset. Stretches are as the zone database splits
// them; two in a row may have the same offset (a change of abbreviation only).
struct Segment {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t offset = 0;      // seconds east of UTC: local = UTC + offset
  int64_t prevOffset = 0;  // the offset just before `begin` (== offset for the first stretch)
};

struct ZoneAccess {
  // The stretch holding `unixSeconds`.
  static Segment segmentAt(const Zone& zone, int64_t unixSeconds);
  static Zone make(const date::time_zone* tz, std::string name);
};

}  // namespace dispatch::schedule
