// Tests for timestamp, duration, size and Retry-After parsing, and the system clock.
#include "core/util/time.h"

#include <gtest/gtest.h>

#include <string>

namespace dispatch {
namespace {

TEST(TimeClockTest, SystemClockIsWallTime) {
  const TimeMs a = nowMs();
  const TimeMs b = systemClock().nowMs();
  EXPECT_GT(a, 1'700'000'000'000);  // after Nov 2023
  EXPECT_GE(b, a);
  EXPECT_EQ(&systemClock(), &systemClock());
}

TEST(TimeIsoTest, ParsesKnownInstants) {
  EXPECT_EQ(parseIsoUtc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseIsoUtc("1970-01-01T00:00:00.000Z"), 0);
  EXPECT_EQ(parseIsoUtc("2026-06-13T09:30:00.000Z"), 1'781'343'000'000);
  EXPECT_EQ(parseIsoUtc("2026-06-13T09:30:00Z"), 1'781'343'000'000);
  EXPECT_EQ(parseIsoUtc("2024-02-29T23:59:59.999Z"), 1'709'251'199'999);
  EXPECT_EQ(parseIsoUtc("2000-03-01T00:00:00Z"), 951'868'800'000);
  EXPECT_EQ(parseIsoUtc("9999-12-31T23:59:59Z"), 253'402'300'799'000);
}

TEST(TimeIsoTest, FractionsAreTruncatedToMilliseconds) {
  EXPECT_EQ(parseIsoUtc("2026-06-13T09:30:00.1234Z"), 1'781'343'000'123);
  EXPECT_EQ(parseIsoUtc("2026-06-13T09:30:00.1Z"), 1'781'343'000'100);
  EXPECT_EQ(parseIsoUtc("2026-06-13T09:30:00.12Z"), 1'781'343'000'120);
  EXPECT_EQ(parseIsoUtc("2026-06-13T09:30:00.999999999Z"), 1'781'343'000'999);
  EXPECT_FALSE(parseIsoUtc("2026-06-13T09:30:00.1234567890Z"));  // 10 digits
  EXPECT_FALSE(parseIsoUtc("2026-06-13T09:30:00.Z"));
}

TEST(TimeIsoTest, RejectsMalformedAndInvalid) {
  const char* invalid[] = {
      "",
      "2023-02-29T00:00:00Z",       // not a leap year
      "1900-02-29T00:00:00Z",       // century, not leap
      "2026-06-13T09:30:00+05:30",  // offsets refused
      "2026-06-13T09:30:00.000+00:00",
      "2026-06-13T09:30:00",   // missing Z
      "2026-06-13T09:30:00z",  // lower-case z
      "2026-06-13t09:30:00Z",  // lower-case t
      "2026-06-13 09:30:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-01T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2026-01-32T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T00:60:00Z",
      "2026-01-01T00:00:60Z",  // no leap seconds
      "26-06-13T09:30:00Z",
      "2026-6-13T09:30:00Z",
      "2026-06-13T9:30:00Z",
      "+2026-06-13T09:30:00Z",
      "2026-06-13T09:30:00,123Z",
      "2026-06-13T09:30:00.12aZ",
      "2026-06-13T09:30:00ZZ",
      " 2026-06-13T09:30:00Z",
      "2026-06-13T09:30:00Z ",
      "2026-06-13",
      "2026-06-13T09:30Z",
  };
  for (const char* s : invalid) {
    EXPECT_FALSE(parseIsoUtc(s).has_value()) << s;
  }
  EXPECT_TRUE(parseIsoUtc("2000-02-29T00:00:00Z"));  // divisible by 400: leap
  EXPECT_TRUE(parseIsoUtc("2024-02-29T00:00:00Z"));
}

TEST(TimeIsoTest, Formats) {
  EXPECT_EQ(formatIsoUtc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatIsoUtc(1'781'343'000'123), "2026-06-13T09:30:00.123Z");
  EXPECT_EQ(formatIsoUtc(1'709'251'199'999), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(formatIsoUtc(1'709'251'200'000), "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(formatIsoUtc(5), "1970-01-01T00:00:00.005Z");
  EXPECT_EQ(formatIsoUtc(-1), "1969-12-31T23:59:59.999Z");
}

TEST(TimeIsoTest, RoundTrips) {
  const char* samples[] = {"2024-02-29T12:34:56.789Z", "1999-12-31T23:59:59.999Z",
                           "2000-01-01T00:00:00.000Z", "2100-03-01T00:00:00.001Z",
                           "1970-01-01T00:00:00.000Z", "2038-01-19T03:14:08.000Z"};
  for (const char* s : samples) {
    const std::optional<TimeMs> ms = parseIsoUtc(s);
    ASSERT_TRUE(ms.has_value()) << s;
    EXPECT_EQ(formatIsoUtc(*ms), s);
  }
  // Every day across several leap cycles round-trips through format and parse.
  for (TimeMs ms = 0; ms < 4'200'000'000'000; ms += 86'400'000 + 3'601'001) {
    EXPECT_EQ(parseIsoUtc(formatIsoUtc(ms)), ms) << ms;
  }
}

TEST(TimeDurationTest, ParsesUnits) {
  EXPECT_EQ(parseDurationMs("250ms"), 250);
  EXPECT_EQ(parseDurationMs("30s"), 30'000);
  EXPECT_EQ(parseDurationMs("5m"), 300'000);
  EXPECT_EQ(parseDurationMs("1h"), 3'600'000);
  EXPECT_EQ(parseDurationMs("7d"), 604'800'000);
  EXPECT_EQ(parseDurationMs("0s"), 0);
  EXPECT_EQ(parseDurationMs("9223372036854775807ms"), INT64_MAX);
}

TEST(TimeDurationTest, RejectsMalformed) {
  const char* invalid[] = {"",
                           "30",
                           "s",
                           "-5s",
                           "+5s",
                           "1.5s",
                           "5 s",
                           " 5s",
                           "5s ",
                           "5S",
                           "5sec",
                           "5us",
                           "5w",
                           "1h30m",
                           "ms",
                           "9223372036854775807s",
                           "99999999999999999999ms",
                           "106751991167301d"};
  for (const char* s : invalid) {
    EXPECT_FALSE(parseDurationMs(s).has_value()) << s;
  }
}

TEST(TimeSizeTest, ParsesUnits) {
  EXPECT_EQ(parseSizeBytes("0"), 0);
  EXPECT_EQ(parseSizeBytes("1024"), 1024);
  EXPECT_EQ(parseSizeBytes("64KiB"), 65'536);
  EXPECT_EQ(parseSizeBytes("1MiB"), 1'048'576);
  EXPECT_EQ(parseSizeBytes("2GiB"), 2'147'483'648);
  EXPECT_EQ(parseSizeBytes("64KB"), 64'000);
  EXPECT_EQ(parseSizeBytes("1MB"), 1'000'000);
  EXPECT_EQ(parseSizeBytes("3GB"), 3'000'000'000);
}

TEST(TimeSizeTest, RejectsMalformed) {
  const char* invalid[] = {"",
                           "KiB",
                           "-1",
                           "1.5MiB",
                           "1 MiB",
                           "1kib",
                           "1Kib",
                           "1KIB",
                           "1TiB",
                           "1B",
                           "1k",
                           "0x10",
                           " 1",
                           "1 ",
                           "+1",
                           "9999999999999999999",
                           "9007199254740993GiB"};
  for (const char* s : invalid) {
    EXPECT_FALSE(parseSizeBytes(s).has_value()) << s;
  }
}

TEST(TimeRetryAfterTest, DeltaSeconds) {
  const TimeMs now = 1'781'343'000'000;
  EXPECT_EQ(parseRetryAfterMs("120", now), 120'000);
  EXPECT_EQ(parseRetryAfterMs("0", now), 0);
  EXPECT_EQ(parseRetryAfterMs(" 5 ", now), 5'000);
  EXPECT_FALSE(parseRetryAfterMs("-5", now));
  EXPECT_FALSE(parseRetryAfterMs("1.5", now));
  EXPECT_FALSE(parseRetryAfterMs("5s", now));
  EXPECT_FALSE(parseRetryAfterMs("", now));
  EXPECT_FALSE(parseRetryAfterMs("99999999999999999999", now));
}

TEST(TimeRetryAfterTest, HttpDates) {
  const TimeMs date = 784'111'777'000;  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", date - 30'000), 30'000);
  EXPECT_EQ(parseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", date - 1), 1);
  EXPECT_EQ(parseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", date), 0);
  EXPECT_EQ(parseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", date + 5'000), 0);  // past
  // The obsolete forms RFC 9110 still obliges recipients to accept.
  EXPECT_EQ(parseRetryAfterMs("Sunday, 06-Nov-94 08:49:37 GMT", date - 1'000), 1'000);
  EXPECT_EQ(parseRetryAfterMs("Sun Nov  6 08:49:37 1994", date - 2'000), 2'000);
  EXPECT_EQ(parseRetryAfterMs("Sun Nov 16 08:49:37 1994", date), 10 * 86'400'000LL);
  EXPECT_EQ(parseRetryAfterMs("Sat, 13 Jun 2026 09:30:10 GMT", 1'781'343'000'000), 10'000);
}

// Found by tests/fuzz/time_fuzz: late in a century a two-digit year fell a century behind.
TEST(TimeRetryAfterTest, Rfc850YearIsWithinFiftyYearsOfNow) {
  const TimeMs in2060 = 2'840'140'800'000;   // Thu, 01 Jan 2060 00:00:00 GMT
  const TimeMs feb2105 = 4'263'408'000'000;  // Sat, 07 Feb 2105 00:00:00 GMT
  EXPECT_EQ(parseRetryAfterMs("Saturday, 07-Feb-05 00:00:00 GMT", in2060), feb2105 - in2060);
  EXPECT_EQ(parseRetryAfterMs("Sat, 07 Feb 2105 00:00:00 GMT", in2060), feb2105 - in2060);
  // 2111 would be 51 years ahead: `11` is 2011, in the past.
  EXPECT_EQ(parseRetryAfterMs("Saturday, 01-Jan-11 00:00:00 GMT", in2060), 0);
}

TEST(TimeRetryAfterTest, RejectsMalformedDates) {
  const TimeMs now = 0;
  const char* invalid[] = {
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 06 Nov 1994 08:49:37",
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun, 06 November 1994 08:49:37 GMT",
      "Xyz, 06 Nov 1994 08:49:37 GMT",
      "Sun, 31 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT extra",
      "Sunday, 06-Nov-1994 08:49:37 GMT",
      "Sun Nov 6 08:49:37 1994",
      "1994-11-06T08:49:37Z",
      "soon",
  };
  for (const char* s : invalid) {
    EXPECT_FALSE(parseRetryAfterMs(s, now).has_value()) << s;
  }
}

}  // namespace
}  // namespace dispatch
