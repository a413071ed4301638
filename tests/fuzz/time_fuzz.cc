// libFuzzer target for durations, sizes and timestamps (core/util/time) and the `${VAR}`
// expansion the config reader applies to a scalar before parsing it (core/config/env_expand).
// Beyond "does not crash":
// - durations and sizes: accepted exactly when the text is digits and a known unit whose value
//   fits int64 (a reference computation in 128 bits), and the value re-formatted in its largest
//   exact unit parses back equal;
// - ISO timestamps: a parsed value formatted with formatIsoUtc parses back equal, with the same
//   date and time of day; any int64 formats, and within years 0-9999 round-trips;
// - Retry-After: never negative, blanks around it ignored, delta seconds exact, and a future
//   date gives the same delay when rewritten in each of the three HTTP-date forms;
// - expansion: text without `${` is unchanged; shielding keeps the length and unshields back;
//   no error message carries a variable's value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/env_expand.h"
#include "core/util/time.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using dispatch::fuzz::check;

struct Unit {
  std::string_view name;
  int64_t scale;
};
// Largest first, so the first exact one is the canonical spelling.
constexpr Unit kDurationUnits[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
constexpr Unit kSizeUnits[] = {{"GiB", int64_t{1} << 30},
                               {"MiB", int64_t{1} << 20},
                               {"KiB", int64_t{1} << 10},
                               {"GB", 1'000'000'000},
                               {"MB", 1'000'000},
                               {"KB", 1'000},
                               {"", 1}};

// digits + unit with the product inside int64, computed independently of time.cc.
std::optional<int64_t> reference(std::string_view text, const Unit* units, size_t count) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  for (size_t i = 0; i < count; ++i) {
    if (units[i].name != unit) continue;
    __int128 n = 0;
    for (size_t k = 0; k < digits; ++k) {
      n = n * 10 + (text[k] - '0');
      if (n > INT64_MAX) return std::nullopt;
    }
    n *= units[i].scale;
    if (n > INT64_MAX) return std::nullopt;
    return static_cast<int64_t>(n);
  }
  return std::nullopt;
}

std::string canonical(int64_t v, const Unit* units, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (v % units[i].scale == 0)
      return std::to_string(v / units[i].scale) + std::string(units[i].name);
  }
  return std::to_string(v);  // not reached: the last unit has scale 1
}

void checkDuration(std::string_view text) {
  const std::optional<int64_t> v = dispatch::parseDurationMs(text);
  const std::optional<int64_t> want = reference(text, kDurationUnits, std::size(kDurationUnits));
  check(v == want, "parseDurationMs differs from the reference", text);
  if (!v) return;
  const std::string again = canonical(*v, kDurationUnits, std::size(kDurationUnits));
  check(dispatch::parseDurationMs(again) == v, "re-formatted duration parses differently", again);
  check(dispatch::parseDurationMs(std::to_string(*v) + "ms") == v, "duration in ms differs", text);
}

void checkSize(std::string_view text) {
  const std::optional<int64_t> v = dispatch::parseSizeBytes(text);
  const std::optional<int64_t> want = reference(text, kSizeUnits, std::size(kSizeUnits));
  check(v == want, "parseSizeBytes differs from the reference", text);
  if (!v) return;
  const std::string again = canonical(*v, kSizeUnits, std::size(kSizeUnits));
  check(dispatch::parseSizeBytes(again) == v, "re-formatted size parses differently", again);
}

constexpr int64_t kMinIsoMs = -62'167'219'200'000;  // 0000-01-01T00:00:00.000Z
constexpr int64_t kMaxIsoMs = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

void checkIso(std::string_view text) {
  const std::optional<dispatch::TimeMs> t = dispatch::parseIsoUtc(text);
  if (!t) return;
  check(*t >= kMinIsoMs && *t <= kMaxIsoMs, "parsed timestamp outside years 0-9999", text);
  const std::string formatted = dispatch::formatIsoUtc(*t);
  check(dispatch::parseIsoUtc(formatted) == t, "formatted timestamp parses differently", text);
  check(formatted.substr(0, 19) == text.substr(0, 19), "formatting changed the date or time", text);
  // Milliseconds: the first three fraction digits, zero-padded, the rest truncated.
  std::string millis = text.size() > 21 ? std::string(text.substr(20, text.size() - 21)) : "";
  millis = (millis + "000").substr(0, 3);
  check(formatted.substr(20, 3) == millis, "milliseconds not truncated from the fraction", text);
}

void checkIsoFormat(int64_t ms) {
  const std::string formatted = dispatch::formatIsoUtc(ms);  // any int64: must not misbehave
  check(!formatted.empty() && formatted.back() == 'Z', "formatIsoUtc output without Z",
        std::to_string(ms));
  if (ms < kMinIsoMs || ms > kMaxIsoMs) return;
  check(dispatch::parseIsoUtc(formatted) == ms, "formatIsoUtc does not round-trip", formatted);
}

// `at` (whole seconds, years 1970-9999) in an HTTP-date form: 0 IMF-fixdate, 1 RFC 850,
// 2 asctime. Built from formatIsoUtc so it shares nothing with the parser.
std::string httpDate(int64_t at, int form) {
  static constexpr const char* kShort[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kLong[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string iso = dispatch::formatIsoUtc(at);  // YYYY-MM-DDTHH:MM:SS.mmmZ
  const int64_t days = at >= 0 ? at / 86'400'000 : (at - 86'399'999) / 86'400'000;
  const int weekday = static_cast<int>(((days + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  const std::string year = iso.substr(0, 4), day = iso.substr(8, 2), clock = iso.substr(11, 8);
  const char* month = kMonths[std::stoi(iso.substr(5, 2)) - 1];
  if (form == 0) {
    return std::string(kShort[weekday]) + ", " + day + " " + month + " " + year + " " + clock +
           " GMT";
  }
  if (form == 1) {
    return std::string(kLong[weekday]) + ", " + day + "-" + month + "-" + year.substr(2) + " " +
           clock + " GMT";
  }
  const std::string spaced = day[0] == '0' ? " " + day.substr(1) : day;
  return std::string(kShort[weekday]) + " " + month + " " + spaced + " " + clock + " " + year;
}

void checkRetryAfter(std::string_view text, dispatch::TimeMs now) {
  const std::optional<int64_t> r = dispatch::parseRetryAfterMs(text, now);
  if (!r) return;
  check(*r >= 0, "negative Retry-After delay", text);
  const std::string padded = " \t" + std::string(text) + "\t ";
  check(dispatch::parseRetryAfterMs(padded, now) == r, "blanks around Retry-After matter", text);
  std::string_view core = text;
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!core.empty() && blank(core.front())) core.remove_prefix(1);
  while (!core.empty() && blank(core.back())) core.remove_suffix(1);
  if (!core.empty() && core[0] >= '0' && core[0] <= '9') {
    const std::string seconds = std::string(core) + "s";
    check(r == reference(seconds, kDurationUnits, std::size(kDurationUnits)),
          "delta seconds differ from the reference", text);
    return;
  }
  if (*r == 0) return;  // a past date: the date itself is lost
  const int64_t at = now + *r;
  check(at % 1000 == 0, "an HTTP-date is not at a whole second", text);
  if (at > kMaxIsoMs) return;  // the forms below need 4-digit years
  const int nowYear = std::stoi(dispatch::formatIsoUtc(now).substr(0, 4));
  const int atYear = std::stoi(dispatch::formatIsoUtc(at).substr(0, 4));
  for (int form = 0; form < 3; ++form) {
    // RFC 850's two-digit year means the latest year not more than 50 years ahead.
    if (form == 1 && atYear > nowYear + 50) continue;
    const std::string date = httpDate(at, form);
    check(dispatch::parseRetryAfterMs(date, now) == r, "HTTP-date forms disagree", date);
  }
}

void checkExpansion(std::string_view text) {
  static const dispatch::config::EnvLookup env = [](const std::string& name) {
    if (name == "A") return std::optional<std::string>("alpha");
    if (name == "EMPTY") return std::optional<std::string>("");
    if (name == "N") return std::optional<std::string>("30s");
    if (name == "SECRET") return std::optional<std::string>("s3cr3t-value");
    return std::optional<std::string>();
  };
  auto expanded = dispatch::config::expandEnv(text, env);
  if (text.find("${") == std::string_view::npos) {
    check(expanded.isOk() && *expanded == text, "text without ${ changed by expansion", text);
  }
  if (!expanded) {
    check(expanded.status().message().find("s3cr3t-value") == std::string::npos,
          "an expansion error shows a variable's value", text);
  } else {
    checkDuration(*expanded);  // as Reader::duration does
  }
  const std::string shielded = dispatch::config::shieldEnvReferences(text);
  check(shielded.size() == text.size(), "shielding changed the length", text);
  if (text.find_first_of(std::string{dispatch::config::kShieldOpen,
                                     dispatch::config::kShieldClose}) == std::string_view::npos) {
    check(dispatch::config::unshieldEnvReferences(shielded) == text, "shielding does not undo",
          text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  checkDuration(text);
  checkSize(text);
  checkIso(text);
  uint64_t raw = 0;
  std::memcpy(&raw, data, std::min(size, sizeof raw));
  checkIsoFormat(static_cast<int64_t>(raw));
  // A realistic clock: 1970 to 2100.
  checkRetryAfter(text, static_cast<dispatch::TimeMs>(raw % 4'102'444'800'000));
  checkExpansion(text);
  return 0;
}
