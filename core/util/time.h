// Time: an injectable clock, ISO 8601 UTC timestamps, and config durations/sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dispatch {

// Milliseconds since the Unix epoch (UTC).
using TimeMs = int64_t;

// Wall clock, injectable so pure logic can be tested without sleeping. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs nowMs() const = 0;
  // Milliseconds on a clock that never steps back (durations, timeouts). The default, nowMs(),
  // suits test clocks that move only when told; a running Engine's waits (grace, heartbeat)
  // need one that advances by itself: give it systemClock().
  virtual int64_t monotonicMs() const { return nowMs(); }
};

// The real system clock.
const Clock& systemClock();
TimeMs nowMs();

// Parses `YYYY-MM-DDTHH:MM:SS[.f…]Z` (UTC only; upper-case 'T' and 'Z'; 1 to 9 fraction
// digits). Fractions beyond milliseconds are truncated.
// Returns nullopt on anything else, including offsets like +05:30 and invalid dates.
std::optional<TimeMs> parseIsoUtc(std::string_view text);

// Formats as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
std::string formatIsoUtc(TimeMs ms);

// Parses an integer duration with a unit: `250ms`, `30s`, `5m`, `1h`, `7d`. nullopt if
// malformed, negative, unitless or overflowing.
std::optional<int64_t> parseDurationMs(std::string_view text);

// Parses a size: plain bytes (`1024`) or `64KiB`, `1MiB`, `1GiB` (also KB/MB = 1000-based).
std::optional<int64_t> parseSizeBytes(std::string_view text);

// Parses an HTTP Retry-After value (delta seconds or an HTTP-date in any of the three RFC 9110
// forms) into a delay in ms relative to `now`. nullopt if malformed; a date in the past gives 0.
std::optional<int64_t> parseRetryAfterMs(std::string_view value, TimeMs now);

}  // namespace dispatch
