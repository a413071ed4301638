// `circuit_breaker` on a destination: the default, `off`, a map, and errors with their place.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config/config.h"
#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using ::testing::ElementsAre;
using testing::fakeEnv;
using ::testing::HasSubstr;
using testing::kHead;

std::shared_ptr<const Config> load(const std::string& destinationExtra) {
  LoadResult r = loadString(
      kHead + "    destinations:\n      - name: a\n        type: webhook\n" + destinationExtra,
      "config/dispatch.yaml", fakeEnv({}));
  EXPECT_TRUE(r.errors.empty()) << testing::joinErrors(r.errors);
  return r.config;
}

TEST(CircuitBreakerConfig, DefaultsToTenFailuresAndAMinute) {
  auto cfg = load("");
  ASSERT_TRUE(cfg);
  const auto& cb = cfg->projects[0].destinations[0].circuitBreaker;
  EXPECT_TRUE(cb.enabled);
  EXPECT_EQ(cb.failures, 10);
  EXPECT_EQ(cb.coolDownMs, 60'000);
}

TEST(CircuitBreakerConfig, OffAndAMap) {
  auto off = load("        circuit_breaker: off\n");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->projects[0].destinations[0].circuitBreaker.enabled);
  auto custom = load("        circuit_breaker: { failures: 3, cool_down: 15s }\n");
  ASSERT_TRUE(custom);
  const auto& cb = custom->projects[0].destinations[0].circuitBreaker;
  EXPECT_TRUE(cb.enabled);
  EXPECT_EQ(cb.failures, 3);
  EXPECT_EQ(cb.coolDownMs, 15'000);
  auto half = load("        circuit_breaker: { cool_down: 2m }\n");
  ASSERT_TRUE(half);
  EXPECT_EQ(half->projects[0].destinations[0].circuitBreaker.failures, 10);
  EXPECT_EQ(half->projects[0].destinations[0].circuitBreaker.coolDownMs, 120'000);
}

TEST(CircuitBreakerConfig, ErrorsNameTheirPlace) {
  auto errorsOf = [](const std::string& extra) {
    return testing::errorsOf(kHead + "    destinations:\n      - name: a\n        type: webhook\n" +
                             extra);
  };
  EXPECT_THAT(errorsOf("        circuit_breaker: on\n"),
              ElementsAre("config/dispatch.yaml:8:26: projects[0].destinations[0]."
                          "circuit_breaker: must be off or a map { failures, cool_down }"));
  EXPECT_THAT(errorsOf("        circuit_breaker: { failures: 0 }\n"),
              ElementsAre(HasSubstr("circuit_breaker.failures: must be 1..1000000")));
  EXPECT_THAT(errorsOf("        circuit_breaker: { cool_down: 0s }\n"),
              ElementsAre(HasSubstr("circuit_breaker.cool_down: must be greater than 0")));
  EXPECT_THAT(errorsOf("        circuit_breaker: { failures: 3, trips: 2 }\n"),
              ElementsAre(HasSubstr("circuit_breaker.trips")));
}

}  // namespace
}  // namespace dispatch::config
