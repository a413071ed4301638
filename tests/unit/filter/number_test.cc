// filter/number.h: the exact decimal comparison behind $eq/$gt/… on numbers.
#include "core/filter/number.h"

#include <gtest/gtest.h>

#include <string>

namespace dispatch::filter {
namespace {

int cmp(const std::string& a, const std::string& b) {
  auto da = parseDecimal(a);
  auto db = parseDecimal(b);
  EXPECT_TRUE(da && db) << a << " " << b;
  return da && db ? compareDecimal(*da, *db) : 99;
}

TEST(FilterNumberTest, Grammar) {
  for (const char* ok : {"0", "-0", "+7", "12", "1.5", "-1.50", ".5", "5.", "1e3", "1E-3",
                         "2.5e+10", "007", "-0.0e0"}) {
    EXPECT_TRUE(parseDecimal(ok)) << ok;
  }
  for (const char* bad : {"", "-", "+", ".", "e5", "1e", "1e+", "1..2", "0x10", " 1", "1 ", "inf",
                          "nan", "1_000", "1,5", "--1", "1e5.5"}) {
    EXPECT_FALSE(parseDecimal(bad)) << bad;
  }
}

TEST(FilterNumberTest, EqualValuesWhateverTheSpelling) {
  EXPECT_EQ(cmp("1", "1.0"), 0);
  EXPECT_EQ(cmp("100", "1e2"), 0);
  EXPECT_EQ(cmp("0.05", "5e-2"), 0);
  EXPECT_EQ(cmp("-0", "0"), 0);
  EXPECT_EQ(cmp("0.000", "-0e9"), 0);
  EXPECT_EQ(cmp("007", "7"), 0);
  EXPECT_EQ(cmp("1.50", "1.5"), 0);
}

TEST(FilterNumberTest, OrdersExactlyBeyondDoublePrecision) {
  // 2^53 + 1 and 2^53 are the same double; as written they differ.
  EXPECT_EQ(cmp("9007199254740993", "9007199254740992"), 1);
  EXPECT_EQ(cmp("9007199254740992", "9007199254740993"), -1);
  EXPECT_EQ(cmp("12345678901234567890123", "12345678901234567890124"), -1);
  EXPECT_EQ(cmp("0.1", "0.10000000000000001"), -1);
  EXPECT_EQ(cmp("1e400", "1.7976931348623157e308"), 1);
  EXPECT_EQ(cmp("-1e400", "-1.7976931348623157e308"), -1);
  EXPECT_EQ(cmp("1e-400", "0"), 1);
}

TEST(FilterNumberTest, SignsMagnitudesAndDigits) {
  EXPECT_EQ(cmp("-5", "-4"), -1);
  EXPECT_EQ(cmp("-4", "-5"), 1);
  EXPECT_EQ(cmp("-1", "0"), -1);
  EXPECT_EQ(cmp("0", "0.0001"), -1);
  EXPECT_EQ(cmp("12", "120"), -1);
  EXPECT_EQ(cmp("0.012", "0.12"), -1);
  EXPECT_EQ(cmp("99", "100"), -1);
  EXPECT_EQ(cmp("1.23", "1.3"), -1);
  EXPECT_EQ(cmp("1.3", "1.23"), 1);
  EXPECT_EQ(cmp("123", "12.3e1"), 0);
}

}  // namespace
}  // namespace dispatch::filter
