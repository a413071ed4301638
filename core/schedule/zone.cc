// findZone and the offsets behind a Zone, from Howard Hinnant's date library reading Debian's
// tzdata (/usr/share/zoneinfo): the daylight-saving rules are the database's, never written here.
#include <date/tz.h>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "core/schedule/cron.h"
#include "core/schedule/zone_rules.h"

namespace dispatch::schedule {
namespace {

constexpr size_t kMaxNameLength = 64;

// IANA names are letters, digits and "/_+-" (tzfile(5) "Time zone names"); anything else is
// refused before the lookup and never shown back.
bool plausibleName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (const char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Zone ZoneAccess::make(const date::time_zone* tz, std::string name) {
  Zone z;
  z.tz_ = tz;
  z.name_ = std::move(name);
  return z;
}

Segment ZoneAccess::segmentAt(const Zone& zone, int64_t unixSeconds) {
  if (zone.tz_ == nullptr) {
    // UTC: one stretch, wider than any instant the tick arithmetic asks about.
    constexpr int64_t kForever = int64_t{1} << 50;
    return {-kForever, kForever, 0, 0};
  }
  using std::chrono::seconds;
  const date::sys_seconds at{seconds{unixSeconds}};
  const date::sys_info info = zone.tz_->get_info(at);
  Segment s;
  s.begin = info.begin.time_since_epoch().count();
  s.end = info.end.time_since_epoch().count();
  s.offset = info.offset.count();
  // The database's first stretch starts in the year -32767; a second before it is that stretch.
  s.prevOffset = zone.tz_->get_info(info.begin - seconds{1}).offset.count();
  return s;
}

Result<Zone> findZone(std::string_view name) {
  if (name == "UTC") return Zone();
  // The tzdata directory holds the host's own zone as "localtime": not an IANA name, and its
  // meaning changes with the machine.
  if (!plausibleName(name)) {
    return Status(Code::kInvalid, "unknown time zone (IANA names look like Europe/Berlin)");
  }
  if (name == "localtime") return Status(Code::kInvalid, "unknown time zone \"localtime\"");
  try {
    date::get_tzdb();
  } catch (const std::exception&) {
    return Status(Code::kInternal, "the time zone database (/usr/share/zoneinfo) cannot be read");
  }
  try {
    return ZoneAccess::make(date::locate_zone(name), std::string(name));
  } catch (const std::exception&) {
    return Status(Code::kInvalid, "unknown time zone \"" + std::string(name) + "\"");
  }
}

}  // namespace dispatch::schedule
