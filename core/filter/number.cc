// Exact decimal comparison: normalise each number to ±0.digits × 10^exponent and compare sign,
// exponent, then digits — no conversion to double, so no rounding and no range limit.
#include "core/filter/number.h"

#include <algorithm>

namespace dispatch::filter {
namespace {

// Exponents are held here: a text long enough to need more does not fit in memory.
constexpr int64_t kExponentBound = 1'000'000'000'000'000;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view digitsAt(std::string_view s, size_t& i) {
  const size_t start = i;
  while (i < s.size() && isDigit(s[i])) ++i;
  return s.substr(start, i - start);
}

std::string_view withoutTrailingZeros(std::string_view s) {
  const size_t last = s.find_last_not_of('0');
  return last == std::string_view::npos ? std::string_view() : s.substr(0, last + 1);
}

char digitAt(const Decimal& d, size_t i) {
  return i < d.high.size() ? d.high[i] : d.low[i - d.high.size()];
}

int sign(const Decimal& d) { return d.isZero() ? 0 : (d.negative ? -1 : 1); }

int compareMagnitude(const Decimal& a, const Decimal& b) {
  // Both non-zero: each starts with a non-zero digit, so the exponent orders them first.
  if (a.exponent != b.exponent) return a.exponent < b.exponent ? -1 : 1;
  const size_t na = a.high.size() + a.low.size();
  const size_t nb = b.high.size() + b.low.size();
  for (size_t i = 0; i < std::min(na, nb); ++i) {
    const char ca = digitAt(a, i);
    const char cb = digitAt(b, i);
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  // No trailing zeros: the longer one has a non-zero digit more.
  return na == nb ? 0 : (na < nb ? -1 : 1);
}

}  // namespace

std::optional<Decimal> parseDecimal(std::string_view s) {
  Decimal d;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
  const std::string_view whole = digitsAt(s, i);
  std::string_view fraction;
  if (i < s.size() && s[i] == '.') fraction = digitsAt(s, ++i);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    const std::string_view digits = digitsAt(s, i);
    if (digits.empty()) return std::nullopt;
    for (const char c : digits) exponent = std::min(kExponentBound, exponent * 10 + (c - '0'));
    if (negative) exponent = -exponent;
  }
  if (i != s.size()) return std::nullopt;

  const size_t lead = whole.find_first_not_of('0');
  if (lead != std::string_view::npos) {
    d.high = whole.substr(lead);
    d.low = fraction;
    d.exponent = static_cast<int64_t>(d.high.size()) + exponent;
  } else {
    const size_t first = fraction.find_first_not_of('0');
    if (first == std::string_view::npos) return d;  // zero
    d.high = fraction.substr(first);
    d.exponent = exponent - static_cast<int64_t>(first);
  }
  d.low = withoutTrailingZeros(d.low);
  if (d.low.empty()) d.high = withoutTrailingZeros(d.high);
  return d;
}

int compareDecimal(const Decimal& a, const Decimal& b) {
  const int sa = sign(a);
  const int sb = sign(b);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  const int m = compareMagnitude(a, b);
  return sa > 0 ? m : -m;
}

}  // namespace dispatch::filter
