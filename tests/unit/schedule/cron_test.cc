// Cron expressions: every field form, the shortcuts, refused and never-firing expressions.
#include "core/schedule/cron.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>

namespace dispatch::schedule {
namespace {

uint64_t bits(std::initializer_list<int> values) {
  uint64_t b = 0;
  for (const int v : values) b |= uint64_t{1} << v;
  return b;
}

uint64_t range(int lo, int hi) {
  uint64_t b = 0;
  for (int v = lo; v <= hi; ++v) b |= uint64_t{1} << v;
  return b;
}

Cron cron(const std::string& text) {
  auto c = parseCron(text);
  EXPECT_TRUE(c.isOk()) << text << ": " << c.status().message();
  return c.isOk() ? c.value() : Cron{};
}

std::string error(const std::string& text) {
  auto c = parseCron(text);
  EXPECT_FALSE(c.isOk()) << text;
  if (c.isOk()) return "";
  EXPECT_EQ(c.status().code(), Code::kInvalid) << text;
  return c.status().message();
}

// ---- Parsing ----

TEST(CronParseTest, StarSelectsEveryValue) {
  const Cron c = cron("* * * * *");
  EXPECT_EQ(c.minutes, range(0, 59));
  EXPECT_EQ(c.hours, range(0, 23));
  EXPECT_EQ(c.daysOfMonth, range(1, 31));
  EXPECT_EQ(c.months, range(1, 12));
  EXPECT_EQ(c.daysOfWeek, range(0, 6));
  EXPECT_TRUE(c.domStar);
  EXPECT_TRUE(c.dowStar);
  EXPECT_EQ(c.text, "* * * * *");
}

TEST(CronParseTest, NumbersListsRangesAndSteps) {
  const Cron c = cron("5 0,12,23 1-3 2-4,6 1-5");
  EXPECT_EQ(c.minutes, bits({5}));
  EXPECT_EQ(c.hours, bits({0, 12, 23}));
  EXPECT_EQ(c.daysOfMonth, bits({1, 2, 3}));
  EXPECT_EQ(c.months, bits({2, 3, 4, 6}));
  EXPECT_EQ(c.daysOfWeek, bits({1, 2, 3, 4, 5}));
  EXPECT_FALSE(c.domStar);
  EXPECT_FALSE(c.dowStar);

  const Cron s = cron("*/15 */7 */10 */5 */2");
  EXPECT_EQ(s.minutes, bits({0, 15, 30, 45}));
  EXPECT_EQ(s.hours, bits({0, 7, 14, 21}));
  EXPECT_EQ(s.daysOfMonth, bits({1, 11, 21, 31}));
  EXPECT_EQ(s.months, bits({1, 6, 11}));
  EXPECT_EQ(s.daysOfWeek, bits({0, 2, 4, 6}));
  EXPECT_TRUE(s.domStar);  // Vixie: a field led by '*' counts as '*' for the day rule
  EXPECT_TRUE(s.dowStar);

  const Cron r = cron("10-20/5,1,*/20 8-18/4 5-25/10 1-12/6 1-5/2");
  EXPECT_EQ(r.minutes, bits({0, 1, 10, 15, 20, 40}));
  EXPECT_EQ(r.hours, bits({8, 12, 16}));
  EXPECT_EQ(r.daysOfMonth, bits({5, 15, 25}));
  EXPECT_EQ(r.months, bits({1, 7}));
  EXPECT_EQ(r.daysOfWeek, bits({1, 3, 5}));

  // Leading zeros, a one-value range, the largest steps (one value per period).
  const Cron z = cron("07 009 4-4 */12 */7");
  EXPECT_EQ(z.minutes, bits({7}));
  EXPECT_EQ(z.hours, bits({9}));
  EXPECT_EQ(z.daysOfMonth, bits({4}));
  EXPECT_EQ(z.months, bits({1}));
  EXPECT_EQ(z.daysOfWeek, bits({0}));  // 0 and 7, both Sunday
  EXPECT_EQ(cron("*/60 */24 */31 * *").minutes, bits({0}));
}

TEST(CronParseTest, NamesInAnyCase) {
  const Cron c = cron("0 0 * jan,Mar,DEC mon-FRI");
  EXPECT_EQ(c.months, bits({1, 3, 12}));
  EXPECT_EQ(c.daysOfWeek, range(1, 5));
  EXPECT_EQ(cron("0 0 * feb-APR/2 sun,Sat").months, bits({2, 4}));
  EXPECT_EQ(cron("0 0 * feb-APR/2 sun,Sat").daysOfWeek, bits({0, 6}));
  EXPECT_EQ(cron("0 0 * 1-DEC Wed-7").daysOfWeek, bits({0, 3, 4, 5, 6}));
  EXPECT_EQ(cron("0 0 * 1-DEC Wed-7").months, range(1, 12));
}

TEST(CronParseTest, SevenIsSunday) {
  EXPECT_EQ(cron("0 0 * * 7").daysOfWeek, bits({0}));
  EXPECT_EQ(cron("0 0 * * 5-7").daysOfWeek, bits({0, 5, 6}));
  EXPECT_EQ(cron("0 0 * * 0-7").daysOfWeek, range(0, 6));
  EXPECT_EQ(cron("0 0 * * 0,7").daysOfWeek, bits({0}));
}

TEST(CronParseTest, BlanksAroundAndBetweenFields) {
  const Cron c = cron("  \t0\t 9  *  *\t1-5 \n");
  EXPECT_EQ(c.text, "0\t 9  *  *\t1-5");
  EXPECT_EQ(c.minutes, bits({0}));
  EXPECT_EQ(c.hours, bits({9}));
  EXPECT_EQ(c.daysOfWeek, range(1, 5));
}

TEST(CronParseTest, Shortcuts) {
  struct Case {
    const char* shortcut;
    const char* fields;
  };
  for (const Case& k :
       {Case{"@hourly", "0 * * * *"}, Case{"@daily", "0 0 * * *"}, Case{"@weekly", "0 0 * * 0"},
        Case{"@monthly", "0 0 1 * *"}, Case{"@yearly", "0 0 1 1 *"}}) {
    Cron s = cron(k.shortcut);
    EXPECT_EQ(s.text, k.shortcut);
    s.text = k.fields;
    EXPECT_EQ(s, cron(k.fields)) << k.shortcut;
  }
  EXPECT_EQ(cron(" @Daily ").text, "@Daily");
  EXPECT_EQ(cron("@DAILY").hours, bits({0}));
}

TEST(CronParseTest, RefusesOutOfRangeValues) {
  EXPECT_EQ(error("61 * * * *"), "minute: 61 is out of range 0-59");
  EXPECT_EQ(error("60 * * * *"), "minute: 60 is out of range 0-59");
  EXPECT_EQ(error("* 24 * * *"), "hour: 24 is out of range 0-23");
  EXPECT_EQ(error("* * 0 * *"), "day-of-month: 0 is out of range 1-31");
  EXPECT_EQ(error("* * 32 * *"), "day-of-month: 32 is out of range 1-31");
  EXPECT_EQ(error("* * * 0 *"), "month: 0 is out of range 1-12");
  EXPECT_EQ(error("* * * 13 *"), "month: 13 is out of range 1-12");
  EXPECT_EQ(error("* * * * 8"), "day-of-week: 8 is out of range 0-7");
  EXPECT_EQ(error("0-60 * * * *"), "minute: 60 is out of range 0-59");
  EXPECT_EQ(error("99999999999999999999999 * * * *"),
            "minute: 9999999999999999... is out of range 0-59");
}

TEST(CronParseTest, RefusesBadSteps) {
  EXPECT_EQ(error("*/0 * * * *"), "minute: step 0 is out of range 1-60");
  EXPECT_EQ(error("*/61 * * * *"), "minute: step 61 is out of range 1-60");
  EXPECT_EQ(error("* */25 * * *"), "hour: step 25 is out of range 1-24");
  EXPECT_EQ(error("* * * * */8"), "day-of-week: step 8 is out of range 1-7");
  EXPECT_EQ(error("*/ * * * *"), "minute: step missing after / in \"*/\"");
  EXPECT_EQ(error("*/x * * * *"), "minute: step \"x\" is not a number");
  EXPECT_EQ(error("1-5/2/2 * * * *"), "minute: step \"2/2\" is not a number");
  EXPECT_EQ(error("*/-1 * * * *"), "minute: step \"-1\" is not a number");
  // Vixie: a step follows * or a range, not a single value (write 5-59/10).
  EXPECT_EQ(error("5/10 * * * *"), "minute: a step needs * or a range before it (*/n or a-b/n)");
  EXPECT_EQ(error("* * * JAN/2 *"), "month: a step needs * or a range before it (*/n or a-b/n)");
}

TEST(CronParseTest, RefusesBadListsAndRanges) {
  EXPECT_EQ(error("1,,2 * * * *"), "minute: empty list item");
  EXPECT_EQ(error(",1 * * * *"), "minute: empty list item");
  EXPECT_EQ(error("1, * * * *"), "minute: empty list item");
  EXPECT_EQ(error("* * * * MON,"), "day-of-week: empty list item");
  EXPECT_EQ(error("5-3 * * * *"), "minute: range 5-3 is backwards");
  EXPECT_EQ(error("* 22-2 * * *"), "hour: range 22-2 is backwards");
  EXPECT_EQ(error("* * * * FRI-MON"), "day-of-week: range FRI-MON is backwards");
  EXPECT_EQ(error("1- * * * *"), "minute: \"1-\" is incomplete");
  EXPECT_EQ(error("-1 * * * *"), "minute: \"-1\" is incomplete");
  EXPECT_EQ(error("1-2-3 * * * *"), "minute: \"2-3\" is not a number");
  EXPECT_EQ(error("*-5 * * * *"), "minute: \"*\" is not a number");
}

TEST(CronParseTest, RefusesWrongFieldCounts) {
  const std::string expected =
      "; expected five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, "
      "@weekly, @monthly, @yearly";
  EXPECT_EQ(error("* * * *"), "has 4 fields" + expected);
  EXPECT_EQ(error("0 * * * * *"), "has 6 fields" + expected);  // Quartz's seconds field
  EXPECT_EQ(error("0 0 12 * * ? 2030"), "has 7 fields" + expected);
  EXPECT_EQ(error("5"), "has 1 field" + expected);
  EXPECT_EQ(error(""), "is empty" + expected);
  EXPECT_EQ(error(" \t\n"), "is empty" + expected);
}

TEST(CronParseTest, RefusesUnknownNamesAndGarbage) {
  EXPECT_EQ(error("* * * FOO *"), "month: \"FOO\" is not a number or a name (JAN-DEC)");
  EXPECT_EQ(error("* * * JANUARY *"), "month: \"JANUARY\" is not a number or a name (JAN-DEC)");
  EXPECT_EQ(error("* * * MON *"), "month: \"MON\" is not a number or a name (JAN-DEC)");
  EXPECT_EQ(error("* * * * MONDAY"), "day-of-week: \"MONDAY\" is not a number or a name (SUN-SAT)");
  EXPECT_EQ(error("* * * * JAN"), "day-of-week: \"JAN\" is not a number or a name (SUN-SAT)");
  EXPECT_EQ(error("* * MON * *"), "day-of-month: \"MON\" is not a number");
  EXPECT_EQ(error("a b c d e"), "minute: \"a\" is not a number");
  EXPECT_EQ(error("1x * * * *"), "minute: \"1x\" is not a number");
  EXPECT_EQ(error("* * ? * *"), "day-of-month: \"?\" is not a number");  // Quartz's '?'
  EXPECT_EQ(error("* * L * *"), "day-of-month: \"L\" is not a number");
  EXPECT_EQ(error("\xff\x01 * * * *"), "minute: \"??\" is not a number");
  EXPECT_EQ(error("* * * * 1#2"), "day-of-week: \"1#2\" is not a number or a name (SUN-SAT)");
  EXPECT_EQ(error("@reboot"),
            "unknown shortcut \"@reboot\"; expected @hourly, @daily, @weekly, @monthly or "
            "@yearly");
  EXPECT_EQ(error("@daily 5"),
            "unknown shortcut \"@daily 5\"; expected @hourly, @daily, @weekly, @monthly or "
            "@yearly");
  EXPECT_EQ(error("0 0 * * @daily"), "day-of-week: \"@daily\" is not a number or a name (SUN-SAT)");
  EXPECT_EQ(error(std::string(2000, '1')), "is longer than 1024 characters");
}

TEST(CronParseTest, RefusesExpressionsThatCanNeverFire) {
  const std::string never = "can never fire: none of its months has any of its days of the month";
  EXPECT_EQ(error("0 0 30 2 *"), never);
  EXPECT_EQ(error("0 0 31 2 *"), never);
  EXPECT_EQ(error("0 0 30,31 FEB *"), never);
  EXPECT_EQ(error("0 0 31 4,6 *"), never);
  EXPECT_EQ(error("0 0 31 4,6,9,11 *"), never);
  // Vixie: day-of-week led by '*' means a day must match both; February still has no 30th.
  EXPECT_EQ(error("0 0 30 2 */2"), never);
}

TEST(CronParseTest, AcceptsExpressionsThatFireRarely) {
  EXPECT_TRUE(parseCron("0 0 29 2 *").isOk());    // leap years
  EXPECT_TRUE(parseCron("0 0 31 2,3 *").isOk());  // March 31
  EXPECT_TRUE(parseCron("0 0 30 2 MON").isOk());  // either rule: every Monday in February
  EXPECT_TRUE(parseCron("0 0 */30 2 *").isOk());  // days 1 and 31: February 1
  EXPECT_TRUE(parseCron("0 0 29 2 */7").isOk());  // a leap day that is a Sunday (2032)
}

}  // namespace
}  // namespace dispatch::schedule
