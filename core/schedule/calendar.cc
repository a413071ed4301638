// Matching local minutes: walk the wall-clock calendar forward or backward, skipping a whole
// month, day or hour as soon as it cannot match, so no search steps minute by minute.
#include "core/schedule/calendar.h"

#include <date/date.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>

namespace dispatch::schedule {
namespace {

constexpr int64_t kMinutesPerDay = 1440;
// The calendar the walk supports: years 1800 to 10500, wider than the instants that have ticks
// (1900-9999) by more than any offset, and well inside date's day count.
constexpr int64_t kLowestMinute = -89'411'040;     // 1800-01-01 00:00
constexpr int64_t kHighestMinute = 4'486'347'360;  // 10500-01-01 00:00

bool isLeap(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int daysIn(int year, int month) {
  static constexpr int kDays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeap(year) ? 29 : kDays[month];
}

// The first set bit at or after `i`, or -1.
int nextBit(uint64_t mask, int i) {
  if (i >= 64) return -1;
  const uint64_t m = mask & (~uint64_t{0} << i);
  return m == 0 ? -1 : std::countr_zero(m);
}

// The last set bit at or before `i`, or -1.
int prevBit(uint64_t mask, int i) {
  if (i < 0) return -1;
  const uint64_t m = i >= 63 ? mask : mask & ((uint64_t{2} << i) - 1);
  return m == 0 ? -1 : 63 - std::countl_zero(m);
}

// A local day with its calendar fields, stepped one day or month at a time.
struct Day {
  int64_t number = 0;  // days since 1970-01-01
  int year = 1970;
  int month = 1;
  int day = 1;
  int weekday = 4;  // 1970-01-01 was a Thursday

  static Day of(int64_t number) {
    const date::sys_days d{date::days{static_cast<int>(number)}};
    const date::year_month_day ymd{d};
    return {number, static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
            static_cast<int>(unsigned(ymd.day())), static_cast<int>(date::weekday{d}.c_encoding())};
  }
  static Day of(int year, int month, int day) {
    const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                   date::day{static_cast<unsigned>(day)}};
    return of(date::sys_days{ymd}.time_since_epoch().count());
  }

  void forward() {
    ++number;
    weekday = (weekday + 1) % 7;
    if (++day > daysIn(year, month)) {
      day = 1;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
  }
  void backward() {
    --number;
    weekday = (weekday + 6) % 7;
    if (--day < 1) {
      if (--month < 1) {
        month = 12;
        --year;
      }
      day = daysIn(year, month);
    }
  }
};

// A hand-built Cron with an empty set would otherwise search its whole window.
bool selectsSomething(const Cron& c) {
  const bool days = (c.domStar || c.dowStar) ? (c.daysOfMonth != 0 && c.daysOfWeek != 0)
                                             : (c.daysOfMonth != 0 || c.daysOfWeek != 0);
  return c.minutes != 0 && c.hours != 0 && c.months != 0 && days;
}

}  // namespace

bool dayMatches(const Cron& c, int month, int day, int weekday) {
  if (!(c.months >> month & 1)) return false;
  const bool dom = c.daysOfMonth >> day & 1;
  const bool dow = c.daysOfWeek >> weekday & 1;
  return (c.domStar || c.dowStar) ? (dom && dow) : (dom || dow);
}

bool minuteMatches(const Cron& c, int64_t localMinute) {
  const int64_t number = floorDiv(localMinute, kMinutesPerDay);
  const auto inDay = static_cast<int>(localMinute - number * kMinutesPerDay);
  const Day d = Day::of(number);
  return dayMatches(c, d.month, d.day, d.weekday) && (c.hours >> (inDay / 60) & 1) &&
         (c.minutes >> (inDay % 60) & 1);
}

std::optional<int64_t> firstMatch(const Cron& c, int64_t from, int64_t until) {
  from = std::max(from, kLowestMinute);
  until = std::min(until, kHighestMinute);
  if (from >= until || !selectsSomething(c)) return std::nullopt;
  Day d = Day::of(floorDiv(from, kMinutesPerDay));
  const auto start = static_cast<int>(from - d.number * kMinutesPerDay);
  int hour = start / 60;
  int minute = start % 60;
  const int64_t lastDay = floorDiv(until - 1, kMinutesPerDay);
  while (d.number <= lastDay) {
    if (!(c.months >> d.month & 1)) {
      int month = nextBit(c.months, d.month + 1);
      int year = d.year;
      if (month < 0) {
        month = nextBit(c.months, 1);
        ++year;
      }
      d = Day::of(year, month, 1);
      hour = minute = 0;
      continue;
    }
    if (!dayMatches(c, d.month, d.day, d.weekday)) {
      d.forward();
      hour = minute = 0;
      continue;
    }
    const int h = nextBit(c.hours, hour);
    if (h < 0) {
      d.forward();
      hour = minute = 0;
      continue;
    }
    if (h != hour) {
      hour = h;
      minute = 0;
    }
    const int m = nextBit(c.minutes, minute);
    if (m < 0) {
      minute = 0;
      if (++hour == 24) {
        d.forward();
        hour = 0;
      }
      continue;
    }
    const int64_t found = d.number * kMinutesPerDay + hour * 60 + m;
    if (found >= until) return std::nullopt;
    return found;
  }
  return std::nullopt;
}

std::optional<int64_t> lastMatch(const Cron& c, int64_t from, int64_t to) {
  from = std::max(from, kLowestMinute);
  to = std::min(to, kHighestMinute - 1);
  if (from > to || !selectsSomething(c)) return std::nullopt;
  Day d = Day::of(floorDiv(to, kMinutesPerDay));
  const auto end = static_cast<int>(to - d.number * kMinutesPerDay);
  int hour = end / 60;
  int minute = end % 60;
  const int64_t firstDay = floorDiv(from, kMinutesPerDay);
  while (d.number >= firstDay) {
    if (!(c.months >> d.month & 1)) {
      int month = prevBit(c.months, d.month - 1);
      int year = d.year;
      if (month < 0) {
        month = prevBit(c.months, 12);
        --year;
      }
      d = Day::of(year, month, daysIn(year, month));
      hour = 23;
      minute = 59;
      continue;
    }
    if (!dayMatches(c, d.month, d.day, d.weekday)) {
      d.backward();
      hour = 23;
      minute = 59;
      continue;
    }
    const int h = prevBit(c.hours, hour);
    if (h < 0) {
      d.backward();
      hour = 23;
      minute = 59;
      continue;
    }
    if (h != hour) {
      hour = h;
      minute = 59;
    }
    const int m = prevBit(c.minutes, minute);
    if (m < 0) {
      minute = 59;
      if (--hour < 0) {
        d.backward();
        hour = 23;
      }
      continue;
    }
    const int64_t found = d.number * kMinutesPerDay + hour * 60 + m;
    if (found < from) return std::nullopt;
    return found;
  }
  return std::nullopt;
}

}  // namespace dispatch::schedule
