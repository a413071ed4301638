// Exact comparison of decimal numbers as written (JSON body numbers, header values, operands
// of the config), without converting them to double: `9007199254740993` and
// `9007199254740992` differ, `1.0` equals `1`, `1e400` is larger than any double.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dispatch::filter {

// A finite decimal ±0.d₁d₂… × 10^exponent. Its digits are `high` followed by `low`, views into
// the text it was parsed from (which must outlive it), without leading or trailing zeros; no
// digits at all is zero (of either sign).
struct Decimal {
  bool negative = false;
  std::string_view high;
  std::string_view low;
  int64_t exponent = 0;
  bool isZero() const { return high.empty() && low.empty(); }
};

// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (digits on at least one side of the point,
// leading zeros allowed: every JSON number, and the plain numbers of YAML). Nothing else —
// no blanks, `inf`, `nan` or hex. Exponents beyond ±10^15 are held at that bound.
std::optional<Decimal> parseDecimal(std::string_view text);

// -1, 0 or 1 as a is below, equal to or above b, exactly.
int compareDecimal(const Decimal& a, const Decimal& b);

}  // namespace dispatch::filter
