// libFuzzer target for cron expressions and their ticks (core/schedule). Input, one item a line:
//   <cron expression>
//   <instant: ISO 8601 UTC or Unix ms; default 2026-06-13T09:30:00Z>
//   <zone name; default, or when unknown: UTC>
// Beyond "does not crash":
// - parseCron: an error is Code::kInvalid with a short, printable message (no input byte is echoed
//   raw); an accepted expression has its text without surrounding blanks, sets inside their
//   ranges, parses again to the same value, and has a next tick from any instant before 9500;
// - findZone: accepted names come back as given; refused ones are "unknown time zone" errors;
// - ticks: nextTick and latestTick agree with a reference that enumerates every matching local
//   minute in a 6-hour window and maps each with date's own local → UTC rule (choose::earliest:
//   a repeated time's first instant; a nonexistent one's gap end) — at the given instant and
//   before the tick found; a tick is after the instant, on a whole second, and latestTick finds
//   it again with nothing between the instant and it.
#include <date/tz.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/schedule/cron.h"
#include "core/util/time.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using dispatch::TimeMs;
using dispatch::fuzz::check;
using dispatch::schedule::Cron;
using dispatch::schedule::Zone;
using std::chrono::seconds;

constexpr TimeMs kDefaultMs = 1'781'343'000'000;  // 2026-06-13T09:30:00Z
constexpr TimeMs kFrom = -2'208'988'800'000;      // 1900-01-01: earlier instants have no ticks
constexpr TimeMs kUntil = 237'626'956'800'000;    // 9500-01-01: a tick is always found before
constexpr int64_t kWindowSeconds = 6 * 3600;

std::string trimmed(std::string_view s) {
  const auto blank = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::optional<TimeMs> instant(std::string_view line) {
  if (line.empty()) return kDefaultMs;
  if (const auto iso = dispatch::parseIsoUtc(line)) return iso;
  const std::string text(line);
  char* end = nullptr;
  errno = 0;
  const long long ms = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return ms;
}

// The expression's fields, read without core/schedule's calendar code.
bool matches(const Cron& c, date::local_seconds local) {
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<seconds> hms{local - day};
  const auto month = static_cast<unsigned>(ymd.month());
  const auto dom = static_cast<unsigned>(ymd.day());
  const unsigned dow = date::weekday{day}.c_encoding();
  const bool domOk = c.daysOfMonth >> dom & 1;
  const bool dowOk = c.daysOfWeek >> dow & 1;
  const bool dayOk = (c.domStar || c.dowStar) ? (domOk && dowOk) : (domOk || dowOk);
  return (c.months >> month & 1) && dayOk && (c.hours >> hms.hours().count() & 1) &&
         (c.minutes >> hms.minutes().count() & 1);
}

// Every tick in (from, to] (Unix seconds), ascending: each matching local minute that can land
// there, mapped by date's local → UTC rule.
std::vector<int64_t> referenceTicks(const Cron& c, const date::time_zone* tz, int64_t from,
                                    int64_t to) {
  int64_t lowOffset = 0;
  int64_t highOffset = 0;
  if (tz != nullptr) {
    // The offsets of the stretches over [from, to] (a gap ending at T in the window holds local
    // times of the offset at T - 1, also in it).
    auto info = tz->get_info(date::sys_seconds{seconds{from}});
    lowOffset = highOffset = info.offset.count();
    while (true) {
      lowOffset = std::min<int64_t>(lowOffset, info.offset.count());
      highOffset = std::max<int64_t>(highOffset, info.offset.count());
      if (info.end.time_since_epoch().count() > to) break;
      info = tz->get_info(info.end);
    }
  }
  std::vector<int64_t> ticks;
  const int64_t first = (from + lowOffset) / 60 - 1;
  const int64_t last = (to + highOffset) / 60 + 1;
  for (int64_t m = first; m <= last; ++m) {
    const date::local_seconds local{seconds{m * 60}};
    if (!matches(c, local)) continue;
    const int64_t at = tz == nullptr
                           ? m * 60
                           : tz->to_sys(local, date::choose::earliest).time_since_epoch().count();
    if (at > from && at <= to) ticks.push_back(at);
  }
  std::sort(ticks.begin(), ticks.end());
  ticks.erase(std::unique(ticks.begin(), ticks.end()), ticks.end());
  return ticks;
}

// nextTick and latestTick over (fromMs, fromMs + window] against the reference.
void checkWindow(const Cron& c, const Zone& zone, const date::time_zone* tz, TimeMs fromMs,
                 const std::string& what) {
  if (fromMs < kFrom || fromMs >= kUntil || fromMs % 1000 != 0) return;
  const int64_t from = fromMs / 1000;
  const int64_t to = from + kWindowSeconds;
  const std::vector<int64_t> expected = referenceTicks(c, tz, from, to);
  const auto next = nextTick(c, zone, fromMs);
  const auto latest = latestTick(c, zone, fromMs + 1, to * 1000);
  if (expected.empty()) {
    check(!next || *next > to * 1000, "nextTick finds a tick the reference does not", what);
    check(!latest, "latestTick finds a tick the reference does not", what);
  } else {
    check(next == expected.front() * 1000, "nextTick differs from the reference", what);
    check(latest == expected.back() * 1000, "latestTick differs from the reference", what);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view exprLine = dispatch::fuzz::takeUntil(in, '\n');
  const std::string_view instantLine = dispatch::fuzz::takeUntil(in, '\n');
  const std::string_view zoneLine = dispatch::fuzz::takeUntil(in, '\n');

  const auto parsed = dispatch::schedule::parseCron(exprLine);
  if (!parsed) {
    const dispatch::Status status = parsed.status();
    const std::string& m = status.message();
    check(status.code() == dispatch::Code::kInvalid, "a parse error is not kInvalid", m);
    check(!m.empty() && m.size() <= 200, "a parse error's message is empty or long", m);
    for (const char ch : m) {
      check(ch >= 0x20 && ch < 0x7F, "a parse error's message has an unprintable byte", m);
    }
  }

  Zone zone;
  const date::time_zone* tz = nullptr;
  if (!zoneLine.empty()) {
    const auto found = dispatch::schedule::findZone(zoneLine);
    if (found) {
      check(found->name() == zoneLine, "a zone's name is not the one asked for", zoneLine);
      zone = found.value();
      if (zoneLine != "UTC") tz = date::locate_zone(zoneLine);
    } else {
      check(found.status().code() == dispatch::Code::kInvalid, "a zone error is not kInvalid",
            zoneLine);
      check(found.status().message().rfind("unknown time zone", 0) == 0,
            "a zone error is not 'unknown time zone'", found.status().message());
    }
  }
  if (!parsed) return 0;

  const Cron& c = parsed.value();
  const std::string what(exprLine);
  check(c.text == trimmed(exprLine), "text is not the trimmed input", what);
  check(c.minutes != 0 && c.minutes >> 60 == 0, "minutes outside 0-59 or empty", what);
  check(c.hours != 0 && c.hours >> 24 == 0, "hours outside 0-23 or empty", what);
  check(c.daysOfMonth != 0 && (c.daysOfMonth & 1) == 0, "days of month outside 1-31", what);
  check(c.months != 0 && (c.months & 1) == 0 && c.months >> 13 == 0, "months outside 1-12", what);
  check(c.daysOfWeek != 0 && c.daysOfWeek >> 7 == 0, "days of week outside 0-6", what);
  const auto again = dispatch::schedule::parseCron(c.text);
  check(again && again.value() == c, "parsing the text again differs", what);

  const auto at = instant(instantLine);
  if (!at) return 0;
  const auto next = nextTick(c, zone, *at);
  if (*at < kUntil) check(next.has_value(), "an accepted expression has no next tick", what);
  if (next) {
    check(*next > *at, "nextTick is not after the instant", what);
    check(*next % 1000 == 0, "a tick is not on a whole second", what);
    check(latestTick(c, zone, *at + 1, *next) == next, "latestTick misses nextTick's tick", what);
    check(!latestTick(c, zone, *at + 1, *next - 1), "latestTick finds one before nextTick", what);
    // Whole milliseconds → whole seconds for the windows; one before the tick found.
    checkWindow(c, zone, tz, *next - kWindowSeconds * 1000 / 2, what + " (before the tick)");
  }
  if (*at >= kFrom && *at < kUntil)
    checkWindow(c, zone, tz, *at - (*at % 1000 + 1000) % 1000, what);
  return 0;
}
