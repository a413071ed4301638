// parseCron: the five-field grammar and the @ shortcuts, each field into a bit set, and the
// refusal of expressions that can never fire.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/schedule/cron.h"

namespace dispatch::schedule {
namespace {

constexpr size_t kMaxLength = 1024;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

struct Field {
  std::string_view name;
  int lo;  // '*' covers lo..hi
  int hi;
  int maxStep;                    // one period: */maxStep selects the first value only
  const std::string_view* names;  // names[i] is value nameBase + i; nullptr: numbers only
  size_t nameCount;
  int nameBase;
  std::string_view nameRange;  // how the message spells the names
};

constexpr Field kMinute{"minute", 0, 59, 60, nullptr, 0, 0, {}};
constexpr Field kHour{"hour", 0, 23, 24, nullptr, 0, 0, {}};
constexpr Field kDayOfMonth{"day-of-month", 1, 31, 31, nullptr, 0, 0, {}};
constexpr Field kMonth{"month", 1, 12, 12, kMonthNames.data(), kMonthNames.size(), 1, "JAN-DEC"};
// 7 is Sunday as well as 0 (Vixie), so '*' covers 0-7.
constexpr Field kDayOfWeek{"day-of-week",    0, 7,        7, kDayNames.data(),
                           kDayNames.size(), 0, "SUN-SAT"};

struct Shortcut {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Shortcut, 5> kShortcuts = {{{"@hourly", "0 * * * *"},
                                                 {"@daily", "0 0 * * *"},
                                                 {"@weekly", "0 0 * * 0"},
                                                 {"@monthly", "0 0 1 * *"},
                                                 {"@yearly", "0 0 1 1 *"}}};

constexpr std::string_view kExpected =
    "five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, "
    "@monthly, @yearly";

// The most a month can have: February's leap day counts, so `0 0 29 2 *` fires (every leap year).
constexpr std::array<int, 13> kMaxDays = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) return false;
  }
  return true;
}

// The text as a message shows it: quoted, cut short, anything unprintable as '?'.
std::string shown(std::string_view text) {
  constexpr size_t kShown = 24;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    out += (b >= 0x20 && b < 0x7F) ? text[i] : '?';
  }
  if (text.size() > kShown) out += "...";
  out += '"';
  return out;
}

// Printable text (a number, a range of values) as a message shows it: unquoted, cut short.
std::string cut(std::string_view text) {
  constexpr size_t kShown = 16;
  return text.size() > kShown ? std::string(text.substr(0, kShown)) + "..." : std::string(text);
}

Status fieldError(const Field& f, const std::string& message) {
  return Status(Code::kInvalid, std::string(f.name) + ": " + message);
}

// Digits up to a cap, so an absurdly long number is "out of range", not an overflow.
std::optional<int64_t> number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t n = 0;
  for (const char c : text) {
    if (!isDigit(c)) return std::nullopt;
    if (n < 1'000'000) n = n * 10 + (c - '0');
  }
  return n;
}

// One value of a field: a number in its range or, for month and day-of-week, a name.
Result<int> value(const Field& f, std::string_view text, std::string_view item) {
  if (text.empty()) return fieldError(f, shown(item) + " is incomplete");
  if (const auto n = number(text)) {
    if (*n < f.lo || *n > f.hi) {
      return fieldError(
          f, cut(text) + " is out of range " + std::to_string(f.lo) + "-" + std::to_string(f.hi));
    }
    return static_cast<int>(*n);
  }
  for (size_t i = 0; i < f.nameCount; ++i) {
    if (equalsIgnoringCase(text, f.names[i])) return f.nameBase + static_cast<int>(i);
  }
  if (f.names != nullptr) {
    return fieldError(
        f, shown(text) + " is not a number or a name (" + std::string(f.nameRange) + ")");
  }
  return fieldError(f, shown(text) + " is not a number");
}

// One list item: `*`, `n`, `a-b`, `*/s` or `a-b/s`, added to `bits`.
Status item(const Field& f, std::string_view text, uint64_t& bits) {
  if (text.empty()) return fieldError(f, "empty list item");
  const size_t slash = text.find('/');
  const std::string_view base = text.substr(0, slash);
  int a = f.lo;
  int b = f.hi;
  bool single = false;
  if (base != "*") {
    const size_t dash = base.find('-');
    const auto first = value(f, base.substr(0, dash), text);
    if (!first) return first.status();
    a = b = *first;
    single = dash == std::string_view::npos;
    if (!single) {
      const auto last = value(f, base.substr(dash + 1), text);
      if (!last) return last.status();
      b = *last;
      if (a > b) {
        // Both ends were read as values: `base` is printable.
        return fieldError(f, "range " + cut(base) + " is backwards");
      }
    }
  }
  int step = 1;
  if (slash != std::string_view::npos) {
    if (single) return fieldError(f, "a step needs * or a range before it (*/n or a-b/n)");
    const std::string_view stepText = text.substr(slash + 1);
    if (stepText.empty()) return fieldError(f, "step missing after / in " + shown(text));
    const auto n = number(stepText);
    if (!n) return fieldError(f, "step " + shown(stepText) + " is not a number");
    if (*n < 1 || *n > f.maxStep) {
      return fieldError(
          f, "step " + cut(stepText) + " is out of range 1-" + std::to_string(f.maxStep));
    }
    step = static_cast<int>(*n);
  }
  for (int v = a; v <= b; v += step) bits |= uint64_t{1} << v;
  return Status::ok();
}

// A comma-separated list of items; `star` says whether the field began with '*'.
Status field(const Field& f, std::string_view text, uint64_t& bits, bool& star) {
  star = !text.empty() && text.front() == '*';
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    if (Status s = item(f, text.substr(start, comma - start), bits); !s) return s;
    if (comma == std::string_view::npos) return Status::ok();
    start = comma + 1;
  }
}

// With day-of-month restricted and day-of-week '*'-led, a day must match both fields, and only
// the day of month can then rule out every day: no selected month has a selected day. Every other
// expression fires: a day-of-week list alone matches a day every week, and in the 400-year
// Gregorian cycle every valid month and day falls on every weekday.
bool canFire(const Cron& c) {
  if (c.domStar || !c.dowStar) return true;
  for (int m = 1; m <= 12; ++m) {
    if (!(c.months >> m & 1)) continue;
    const uint64_t days = c.daysOfMonth & ((uint64_t{2} << kMaxDays[m]) - 1);
    if (days != 0) return true;
  }
  return false;
}

Result<Cron> fields(std::string_view text, std::string_view original) {
  std::array<std::string_view, 5> parts;
  size_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isBlank(text[i])) ++i;
    if (i == text.size()) break;
    const size_t start = i;
    while (i < text.size() && !isBlank(text[i])) ++i;
    if (count < parts.size()) parts[count] = text.substr(start, i - start);
    ++count;
  }
  if (count != parts.size()) {
    return Status(Code::kInvalid, "has " + std::to_string(count) + " field" +
                                      (count == 1 ? "" : "s") + "; expected " +
                                      std::string(kExpected));
  }
  Cron c;
  c.text = std::string(original);
  uint64_t bits[5] = {};
  bool star[5] = {};
  const Field* specs[5] = {&kMinute, &kHour, &kDayOfMonth, &kMonth, &kDayOfWeek};
  for (size_t k = 0; k < parts.size(); ++k) {
    if (Status s = field(*specs[k], parts[k], bits[k], star[k]); !s) return s;
  }
  c.minutes = bits[0];
  c.hours = static_cast<uint32_t>(bits[1]);
  c.daysOfMonth = static_cast<uint32_t>(bits[2]);
  c.months = static_cast<uint16_t>(bits[3]);
  // 7 is another name for Sunday.
  c.daysOfWeek = static_cast<uint8_t>((bits[4] | bits[4] >> 7) & 0x7F);
  c.domStar = star[2];
  c.dowStar = star[4];
  if (!canFire(c)) {
    return Status(Code::kInvalid,
                  "can never fire: none of its months has any of its days of the month");
  }
  return c;
}

}  // namespace

Result<Cron> parseCron(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  if (text.empty()) return Status(Code::kInvalid, "is empty; expected " + std::string(kExpected));
  if (text.size() > kMaxLength) {
    return Status(Code::kInvalid, "is longer than " + std::to_string(kMaxLength) + " characters");
  }
  if (text.front() == '@') {
    for (const Shortcut& s : kShortcuts) {
      if (equalsIgnoringCase(text, s.name)) return fields(s.fields, text);
    }
    return Status(Code::kInvalid, "unknown shortcut " + shown(text) +
                                      "; expected @hourly, @daily, @weekly, @monthly or @yearly");
  }
  return fields(text, text);
}

}  // namespace dispatch::schedule
