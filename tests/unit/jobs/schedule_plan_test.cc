// The ticker's rule: which tick of a schedule fires, and which comes next.
#include <gtest/gtest.h>

#include "core/jobs/schedule_service.h"

namespace dispatch::jobs {
namespace {

constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kDay = 24 * 60 * kMinute;
// 2026-03-02T00:00:00Z, a Monday.
constexpr TimeMs kMidnight = 1'772'409'600'000;

schedule::Cron cron(const char* text) {
  auto c = schedule::parseCron(text);
  EXPECT_TRUE(c) << text;
  return *c;
}

TEST(SchedulePlan, ATickAheadFiresAsItIsAndTheNextFollowsIt) {
  schedule::Zone utc;
  TimeMs tick = kMidnight + 10 * kMinute;
  store::TickPlan p = planTick(cron("*/5 * * * *"), utc, tick, tick - 20'000);
  EXPECT_EQ(p.fire, tick);
  EXPECT_EQ(p.next, tick + 5 * kMinute);
}

TEST(SchedulePlan, ATickJustPassedStillFires) {
  schedule::Zone utc;
  TimeMs tick = kMidnight + 10 * kMinute;
  store::TickPlan p = planTick(cron("* * * * *"), utc, tick, tick + 2'000);
  EXPECT_EQ(p.fire, tick);
  EXPECT_EQ(p.next, tick + kMinute);
}

TEST(SchedulePlan, MissedTicksFireOnceForTheMostRecent) {
  schedule::Zone utc;
  TimeMs stored = kMidnight;  // ten minutes and a half ago
  TimeMs now = kMidnight + 10 * kMinute + 30'000;
  store::TickPlan p = planTick(cron("* * * * *"), utc, stored, now);
  EXPECT_EQ(p.fire, kMidnight + 10 * kMinute);
  EXPECT_EQ(p.next, kMidnight + 11 * kMinute);
}

TEST(SchedulePlan, MissedDaysOfADailyScheduleInAZoneFireTheLatestDay) {
  auto berlin = schedule::findZone("Europe/Berlin");
  ASSERT_TRUE(berlin);
  // 09:00 in Berlin (UTC+1 in early March) is 08:00 UTC.
  TimeMs stored = kMidnight + 8 * 60 * kMinute;           // Monday's tick
  TimeMs now = kMidnight + 3 * kDay + 12 * 60 * kMinute;  // Thursday noon UTC
  store::TickPlan p = planTick(cron("0 9 * * *"), *berlin, stored, now);
  EXPECT_EQ(p.fire, stored + 3 * kDay);  // Thursday 09:00 Berlin
  EXPECT_EQ(p.next, stored + 4 * kDay);
}

}  // namespace
}  // namespace dispatch::jobs
