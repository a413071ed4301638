// Failed API-key and admin-token attempts are throttled per client address over real HTTP:
// 429 with Retry-After and the envelope, a key already in use still works, the admin token
// does not, and the address opens again after Retry-After.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

constexpr char kTooMany[] = "Too many failed authentication attempts";
const std::string kWrongKey = "sk_" + std::string(64, '0');

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

int retryAfter(const ApiResponse& r) {
  auto it = r.headers.find("retry-after");
  if (it == r.headers.end()) return -1;
  return std::stoi(it->second);
}

class AuthThrottleTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

TEST_F(AuthThrottleTest, FailuresAreThrottledWhileKnownKeysStillWork) {
  DispatchOptions o;
  // One attempt per 10 s after a burst of 3.
  o.serverExtraYaml = "auth_failures: { limit: 3, window: 30s }\n";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string inUse = d.createKey("alpha");
  const std::string unused = d.createKey("alpha");
  ASSERT_EQ(d.call("GET", "/api/v1/jobs", "", withKey(inUse)).status, 200);

  // The burst: answered as before.
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", withKey(kWrongKey)), 401,
                      "Invalid or missing credentials"));
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", bearer("not-the-admin-token")), 401,
                      "Invalid or missing credentials"));
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/projects/alpha/keys", "", bearer("guess")), 401,
                      "Invalid or missing credentials"));

  // Past it: 429 without checking, on every authenticated route.
  struct Attempt {
    std::string method, path;
    std::map<std::string, std::string> headers;
  };
  for (const Attempt& a :
       std::vector<Attempt>{{"GET", "/api/v1/jobs", withKey(kWrongKey)},
                            {"GET", "/api/v1/events", bearer(kWrongKey)},
                            {"GET", "/api/v1/deliveries", bearer("another-guess")},
                            {"POST", "/api/v1/admin/reload", bearer("another-guess")},
                            {"GET", "/api/v1/projects/alpha/keys", bearer("another-guess")}}) {
    ApiResponse r = d.call(a.method, a.path, "", a.headers);
    EXPECT_TRUE(isError(r, 429, kTooMany)) << a.method << " " << a.path;
    EXPECT_GE(retryAfter(r), 1) << r.body;
    EXPECT_LE(retryAfter(r), 10) << r.body;
  }
  // The admin token is refused too, even right: a right guess must look like a wrong one.
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/projects/alpha/keys", "", asAdmin()), 429, kTooMany));
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", asAdmin()), 429, kTooMany));
  // A valid key that has not authenticated before is not looked up either.
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", withKey(unused)), 429, kTooMany));
  // A key already in use is not slowed.
  for (int i = 0; i < 5; ++i) {
    ApiResponse r = d.call("GET", "/api/v1/jobs", "", withKey(inUse));
    EXPECT_EQ(r.status, 200) << r.body;
    r = d.call("POST", "/api/v1/jobs", jobRequest("http://127.0.0.1:9/x", isoIn(3'600'000)),
               {{"x-api-key", inUse}, {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 201) << r.body;
  }
  // No credentials at all is no attempt: still 401.
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs"), 401, "Invalid or missing credentials"));
  // Hooks are not behind this throttle.
  EXPECT_EQ(d.call("POST", "/hooks/nope", "{}").status, 404);

  // After Retry-After one more attempt is checked (and, wrong, counted: closed again).
  ApiResponse closed = d.call("GET", "/api/v1/jobs", "", withKey(kWrongKey));
  ASSERT_EQ(closed.status, 429);
  const int wait = retryAfter(closed);
  ASSERT_GE(wait, 1);
  ::usleep(static_cast<useconds_t>(wait) * 1'000'000 + 200'000);
  ApiResponse admin = d.call("GET", "/api/v1/projects/alpha/keys", "", asAdmin());
  EXPECT_EQ(admin.status, 200) << admin.body;
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", withKey(kWrongKey)), 401,
                      "Invalid or missing credentials"));
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", withKey(kWrongKey)), 429, kTooMany));
}

TEST_F(AuthThrottleTest, ARevokedKeyIsForgottenAndCounts) {
  DispatchOptions o;
  o.serverExtraYaml = "auth_failures: { limit: 2, window: 1h }\n";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string key = d.createKey("alpha");
  ASSERT_EQ(d.call("GET", "/api/v1/jobs", "", withKey(key)).status, 200);
  auto list = d.call("GET", "/api/v1/projects/alpha/keys", "", asAdmin());
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_TRUE(list.data() && list.data()->isArray() && list.data()->items().size() == 1);
  const std::string id = str(&list.data()->items()[0], "id");
  ASSERT_EQ(d.call("DELETE", "/api/v1/projects/alpha/keys/" + id, "", asAdmin()).status, 200);

  // Revoked: checked (it was known), refused, counted, forgotten.
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", withKey(key)), 401,
                      "Invalid or missing credentials"));
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", withKey(kWrongKey)), 401,
                      "Invalid or missing credentials"));
  EXPECT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", withKey(key)), 429, kTooMany));
}

TEST_F(AuthThrottleTest, LimitZeroTurnsItOff) {
  DispatchOptions o;
  o.serverExtraYaml = "auth_failures: { limit: 0 }\n";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(isError(d.call("GET", "/api/v1/jobs", "", withKey(kWrongKey)), 401,
                        "Invalid or missing credentials"))
        << i;
  }
  EXPECT_EQ(d.call("GET", "/api/v1/projects/alpha/keys", "", asAdmin()).status, 200);
}

TEST_F(AuthThrottleTest, TheDefaultAllowsTwentyFailuresAMinute) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(d.call("GET", "/api/v1/jobs", "", bearer("wrong-" + std::to_string(i))).status, 401)
        << i;
  }
  ApiResponse r = d.call("GET", "/api/v1/jobs", "", bearer("wrong"));
  EXPECT_TRUE(isError(r, 429, kTooMany));
  EXPECT_GE(retryAfter(r), 1);
  EXPECT_LE(retryAfter(r), 3);
}

}  // namespace
}  // namespace dispatch::test
