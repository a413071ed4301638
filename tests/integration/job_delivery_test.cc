// A job fires at its time with the exact body and headers, signed; retries; DEAD.
#include <gtest/gtest.h>

#include <thread>

#include "core/util/crypto.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

std::string jobBody(const std::string& url, int64_t inMs, const std::string& extra = "") {
  return R"({"title":"t1","webhookUrl":")" + url + R"(","fireAt":")" + isoIn(inMs) +
         R"(","payload":{"n":12345678901234567890,"f":1.50,"s":"x"})" + extra + "}";
}

class JobDeliveryTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

TEST_F(JobDeliveryTest, FiresOnceWithExactBodyHeadersAndSignature) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/api/v1/jobs", jobBody(recv.url(), 400), {{"x-api-key", key}});
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = r.data()->find("id")->asString();
  TimeMs fireAt = *parseIsoUtc(r.data()->find("fireAt")->asString());
  ASSERT_TRUE(recv.waitFor(1, 5000));
  auto req = recv.requests()[0];
  EXPECT_GE(req.receivedAt, fireAt);  // never early
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("user-agent").rfind("Dispatch/", 0), 0u);
  EXPECT_EQ(req.header("webhook-id"), id);
  EXPECT_EQ(req.header("x-dispatch-job-id"), id);
  EXPECT_EQ(req.header("x-dispatch-attempt"), "1");
  auto body = json::parse(req.body);
  ASSERT_TRUE(body.isOk()) << req.body;
  EXPECT_EQ(body->find("jobId")->asString(), id);
  EXPECT_EQ(body->find("title")->asString(), "t1");
  EXPECT_EQ(body->find("payload")->raw(), R"({"n":12345678901234567890,"f":1.50,"s":"x"})");
  auto firedAt = parseIsoUtc(body->find("firedAt")->asString());
  ASSERT_TRUE(firedAt.has_value());
  EXPECT_GE(*firedAt, fireAt);
  // Verify the Standard Webhooks signature independently of our signer.
  std::string ts = req.header("webhook-timestamp");
  std::string key64 = std::string(kAlphaSecret).substr(6);
  std::string rawKey = *crypto::base64Decode(key64);
  std::string expected =
      "v1," + crypto::base64Encode(crypto::hmacSha256(rawKey, id + "." + ts + "." + req.body));
  EXPECT_EQ(req.header("webhook-signature"), expected);
  ASSERT_TRUE(eventually(
      [&] {
        auto g = d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
        return g.data() && g.data()->find("status")->asString() == "SUCCESS";
      },
      5000));
  auto g = d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
  EXPECT_EQ(g.data()->find("retryCount")->asInt(), 0);
  ASSERT_EQ(g.data()->find("logs")->items().size(), 1u);
  EXPECT_EQ(g.data()->find("logs")->items()[0].find("responseCode")->asInt(), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(recv.count(), 1u);
}

TEST_F(JobDeliveryTest, FailFailSucceedEndsSuccessWithThreeLogs) {
  Receiver recv([](int n, const ReceivedRequest&) {
    return ScriptedResponse{n < 2 ? 500 : 200, n < 2 ? "boom" : "fine", {}, 0};
  });
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/api/v1/jobs", jobBody(recv.url(), 200), {{"x-api-key", key}});
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = r.data()->find("id")->asString();
  ASSERT_TRUE(recv.waitFor(3, 8000));
  ASSERT_TRUE(eventually(
      [&] {
        auto g = d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
        return g.data() && g.data()->find("status")->asString() == "SUCCESS";
      },
      5000));
  auto g = d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
  EXPECT_EQ(g.data()->find("retryCount")->asInt(), 2);
  const auto& logs = g.data()->find("logs")->items();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].find("attempt")->asInt(), 3);  // newest first
  EXPECT_EQ(logs[0].find("status")->asString(), "SUCCESS");
  EXPECT_EQ(logs[2].find("status")->asString(), "FAILED");
  EXPECT_EQ(logs[2].find("responseCode")->asInt(), 500);
  EXPECT_EQ(logs[2].find("responseBody")->asString(), "boom");
  auto reqs = recv.requests();
  EXPECT_EQ(reqs[0].header("webhook-id"), reqs[2].header("webhook-id"));
  EXPECT_EQ(reqs[1].header("x-dispatch-attempt"), "2");
}

TEST_F(JobDeliveryTest, AlwaysFailingEndsDeadAfterThreeAttempts) {
  Receiver recv([](int, const ReceivedRequest&) { return ScriptedResponse{503, "down", {}, 0}; });
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/api/v1/jobs", jobBody(recv.url(), 100), {{"x-api-key", key}});
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = r.data()->find("id")->asString();
  ASSERT_TRUE(eventually(
      [&] {
        auto g = d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
        return g.data() && g.data()->find("status")->asString() == "DEAD";
      },
      8000));
  auto g = d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
  EXPECT_EQ(g.data()->find("retryCount")->asInt(), 3);
  EXPECT_EQ(g.data()->find("logs")->items().size(), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(recv.count(), 3u);
}

}  // namespace
}  // namespace dispatch::test
