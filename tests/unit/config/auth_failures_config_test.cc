// `server.auth_failures`: the failed-authentication throttle's keys and defaults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/config/config.h"
#include "tests/unit/config/config_test_util.h"

namespace dispatch::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using testing::fakeEnv;
using ::testing::HasSubstr;
using testing::joinErrors;
using testing::kHead;
using testing::kSecret;

TEST(ServerAuthFailures, DefaultsAndKeys) {
  LoadResult r = loadString(kHead, "config/dispatch.yaml", fakeEnv({}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->server.authFailures.limit, 20);
  EXPECT_EQ(r.config->server.authFailures.windowMs, 60'000);
  EXPECT_EQ(r.config->server.authFailures.maxAddresses, 10'000);

  r = loadString(
      kHead + "server: { auth_failures: { limit: 5, window: 10m, max_addresses: 50 } }\n",
      "config/dispatch.yaml", fakeEnv({}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->server.authFailures.limit, 5);
  EXPECT_EQ(r.config->server.authFailures.windowMs, 600'000);
  EXPECT_EQ(r.config->server.authFailures.maxAddresses, 50);

  r = loadString(kHead + "server: { auth_failures: { limit: 0 } }\n", "config/dispatch.yaml",
                 fakeEnv({}));
  ASSERT_TRUE(r.config) << joinErrors(r.errors);
  EXPECT_EQ(r.config->server.authFailures.limit, 0);

  EXPECT_THAT(errorsOf(kHead + "server:\n  auth_failures: { limit: -1, window: 0s, max_addresses: "
                               "0, burst: 3 }\n"),
              ElementsAre(HasSubstr("server.auth_failures.limit: must be 0..1000000"),
                          HasSubstr("server.auth_failures.window:"),
                          HasSubstr("server.auth_failures.max_addresses: must be 1..10000000"),
                          HasSubstr("server.auth_failures.burst: unknown key")));
}

}  // namespace
}  // namespace dispatch::config
