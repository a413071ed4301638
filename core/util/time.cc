// Clocks and strict parsers/formatters for timestamps, durations, sizes and Retry-After.
#include "core/util/time.h"

#include <chrono>
#include <limits>

namespace dispatch {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

class SystemClock final : public Clock {
 public:
  TimeMs nowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t monotonicMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// Howard Hinnant's days_from_civil: proleptic Gregorian, no locale or timezone involved.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

Civil civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool isLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned daysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos`.
bool fixedDigits(std::string_view s, size_t pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!isDigit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// A non-negative decimal integer, all of `s`; nullopt on empty, sign, junk or overflow.
std::optional<int64_t> parseUnsigned(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (const char c : s) {
    if (!isDigit(c)) return std::nullopt;
    const int digit = c - '0';
    if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<TimeMs> civilToMs(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi,
                                int64_t s) {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, static_cast<unsigned>(mo)))
    return std::nullopt;
  if (h > 23 || mi > 59 || s > 59) return std::nullopt;
  const int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * kMsPerDay + ((h * 60 + mi) * 60 + s) * 1000;
}

// Index of a three-letter English month name (1..12), or 0.
int monthFromName(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (s == kMonths[i]) return i + 1;
  }
  return 0;
}

bool isDayName(std::string_view s, bool full) {
  static constexpr std::string_view kShort[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kLong[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                               "Friday", "Saturday", "Sunday"};
  for (int i = 0; i < 7; ++i) {
    if (s == (full ? kLong[i] : kShort[i])) return true;
  }
  return false;
}

// `HH:MM:SS` at `pos`.
bool parseClock(std::string_view s, size_t pos, int64_t& h, int64_t& mi, int64_t& sec) {
  return pos + 8 <= s.size() && fixedDigits(s, pos, 2, h) && s[pos + 2] == ':' &&
         fixedDigits(s, pos + 3, 2, mi) && s[pos + 5] == ':' && fixedDigits(s, pos + 6, 2, sec);
}

// The three HTTP-date forms RFC 9110 §5.6.7 obliges recipients to accept:
//   IMF-fixdate  `Sun, 06 Nov 1994 08:49:37 GMT`
//   RFC 850      `Sunday, 06-Nov-94 08:49:37 GMT`
//   asctime      `Sun Nov  6 08:49:37 1994`
std::optional<TimeMs> parseHttpDate(std::string_view s, TimeMs now) {
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  const size_t comma = s.find(',');
  if (comma == 3) {
    if (s.size() != 29 || !isDayName(s.substr(0, 3), false) || s[4] != ' ' ||
        !fixedDigits(s, 5, 2, d) || s[7] != ' ' || (mo = monthFromName(s.substr(8, 3))) == 0 ||
        s[11] != ' ' || !fixedDigits(s, 12, 4, y) || s[16] != ' ' ||
        !parseClock(s, 17, h, mi, sec) || s.substr(25) != " GMT") {
      return std::nullopt;
    }
    return civilToMs(y, mo, d, h, mi, sec);
  }
  if (comma != std::string_view::npos) {
    const std::string_view rest = s.substr(comma + 1);
    if (!isDayName(s.substr(0, comma), true) || rest.size() != 23 || rest[0] != ' ' ||
        !fixedDigits(rest, 1, 2, d) || rest[3] != '-' ||
        (mo = monthFromName(rest.substr(4, 3))) == 0 || rest[7] != '-' ||
        !fixedDigits(rest, 8, 2, y) || rest[10] != ' ' || !parseClock(rest, 11, h, mi, sec) ||
        rest.substr(19) != " GMT") {
      return std::nullopt;
    }
    // Two-digit year: the year with those digits not more than 50 years ahead, nor 50 behind.
    const int64_t nowYear = civilFromDays((now >= 0 ? now : now - kMsPerDay + 1) / kMsPerDay).year;
    y += nowYear - nowYear % 100;
    if (y > nowYear + 50) y -= 100;
    if (y < nowYear - 49) y += 100;  // late in a century: `05` in 2060 is 2105
    return civilToMs(y, mo, d, h, mi, sec);
  }
  if (s.size() != 24 || !isDayName(s.substr(0, 3), false) || s[3] != ' ' ||
      (mo = monthFromName(s.substr(4, 3))) == 0 || s[7] != ' ' || s[10] != ' ' ||
      !parseClock(s, 11, h, mi, sec) || s[19] != ' ' || !fixedDigits(s, 20, 4, y)) {
    return std::nullopt;
  }
  if (s[8] == ' ' ? !fixedDigits(s, 9, 1, d) : !fixedDigits(s, 8, 2, d)) return std::nullopt;
  return civilToMs(y, mo, d, h, mi, sec);
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

const Clock& systemClock() {
  static const SystemClock clock;
  return clock;
}

TimeMs nowMs() { return systemClock().nowMs(); }

std::optional<TimeMs> parseIsoUtc(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters; then an optional fraction and a mandatory Z.
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (text.size() < 20 || !fixedDigits(text, 0, 4, y) || text[4] != '-' ||
      !fixedDigits(text, 5, 2, mo) || text[7] != '-' || !fixedDigits(text, 8, 2, d) ||
      text[10] != 'T' || !parseClock(text, 11, h, mi, sec) || text.back() != 'Z') {
    return std::nullopt;
  }
  int64_t fractionMs = 0;
  if (text.size() > 20) {
    const std::string_view fraction = text.substr(20, text.size() - 21);
    if (text[19] != '.' || fraction.empty() || fraction.size() > 9) return std::nullopt;
    int scale = 100;
    for (const char c : fraction) {
      if (!isDigit(c)) return std::nullopt;
      fractionMs += (c - '0') * scale;  // digits past milliseconds add 0: truncation
      scale /= 10;
    }
  }
  const std::optional<TimeMs> base = civilToMs(y, mo, d, h, mi, sec);
  if (!base) return std::nullopt;
  return *base + fractionMs;
}

std::string formatIsoUtc(TimeMs ms) {
  // Floor division so times before the epoch still get a valid time of day.
  int64_t days = ms / kMsPerDay;
  int64_t rem = ms % kMsPerDay;
  if (rem < 0) rem += kMsPerDay, --days;
  const Civil c = civilFromDays(days);
  char buf[40];
  char* p = buf;
  auto put = [&p](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
    p += width;
  };
  int64_t year = c.year;
  if (year < 0) *p++ = '-', year = -year;
  int yearWidth = 4;
  for (int64_t y = year / 10000; y > 0; y /= 10) ++yearWidth;
  put(year, yearWidth);
  *p++ = '-';
  put(c.month, 2);
  *p++ = '-';
  put(c.day, 2);
  *p++ = 'T';
  put(rem / 3'600'000, 2);
  *p++ = ':';
  put(rem / 60'000 % 60, 2);
  *p++ = ':';
  put(rem / 1000 % 60, 2);
  *p++ = '.';
  put(rem % 1000, 3);
  *p++ = 'Z';
  return std::string(buf, p);
}

std::optional<int64_t> parseDurationMs(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && isDigit(text[digits])) ++digits;
  const std::optional<int64_t> n = parseUnsigned(text.substr(0, digits));
  if (!n) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  int64_t scale;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else if (unit == "d") {
    scale = kMsPerDay;
  } else {
    return std::nullopt;
  }
  return checkedMul(*n, scale);
}

std::optional<int64_t> parseSizeBytes(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && isDigit(text[digits])) ++digits;
  const std::optional<int64_t> n = parseUnsigned(text.substr(0, digits));
  if (!n) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  int64_t scale;
  if (unit.empty()) {
    scale = 1;
  } else if (unit == "KiB") {
    scale = int64_t{1} << 10;
  } else if (unit == "MiB") {
    scale = int64_t{1} << 20;
  } else if (unit == "GiB") {
    scale = int64_t{1} << 30;
  } else if (unit == "KB") {
    scale = 1'000;
  } else if (unit == "MB") {
    scale = 1'000'000;
  } else if (unit == "GB") {
    scale = 1'000'000'000;
  } else {
    return std::nullopt;
  }
  return checkedMul(*n, scale);
}

std::optional<int64_t> parseRetryAfterMs(std::string_view value, TimeMs now) {
  value = trimOws(value);
  if (!value.empty() && isDigit(value[0])) {
    const std::optional<int64_t> seconds = parseUnsigned(value);
    if (!seconds) return std::nullopt;
    return checkedMul(*seconds, 1000);
  }
  const std::optional<TimeMs> at = parseHttpDate(value, now);
  if (!at) return std::nullopt;
  return *at > now ? *at - now : 0;
}

}  // namespace dispatch
