// Seed 000's job fields end to end: the job's headers on every attempt (never over ours, never
// logged), redactResponse in logs and callbacks, and the refusals naming the field.
#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

class JobFieldsTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

std::string jobBody(const std::string& url, const std::string& extra) {
  return R"({"title":"fields","webhookUrl":")" + url + R"(","fireAt":")" + isoIn(300) +
         R"(","payload":{"a":1})" + extra + "}";
}

TEST_F(JobFieldsTest, HeadersGoWithEveryAttemptAndRedactionDropsResponseBodies) {
  Receiver recv([](int n, const ReceivedRequest&) {
    return ScriptedResponse{
        n == 0 ? 500 : 200, n == 0 ? "receiver-secret-1" : "receiver-secret-2", {}, 0};
  });
  Receiver callback;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/api/v1/jobs",
                  jobBody(recv.url(), R"(,"headers":{"X-Team":"infra","Authorization":"Bearer )"
                                      R"(job-header-marker"},"redactResponse":true,)"
                                      R"("retention":"7d","callbackUrl":")" +
                                          callback.url() + "\""),
                  {{"x-api-key", key}});
  ASSERT_EQ(r.status, 201) << r.body;
  const json::Value* j = r.data();
  std::string id = j->find("id")->asString();
  EXPECT_EQ(j->find("headers")->raw(),
            R"({"X-Team":"infra","Authorization":"Bearer job-header-marker"})");
  EXPECT_TRUE(j->find("redactResponse")->asBool());
  EXPECT_EQ(j->find("retention")->asString(), "7d");

  ASSERT_TRUE(recv.waitFor(2, 10000));
  for (const auto& req : recv.requests()) {
    EXPECT_EQ(req.header("x-team"), "infra");
    EXPECT_EQ(req.header("authorization"), "Bearer job-header-marker");
    EXPECT_EQ(req.header("x-dispatch-job-id"), id);
    EXPECT_EQ(req.header("content-type"), "application/json");
  }
  EXPECT_EQ(recv.requests()[1].header("x-dispatch-attempt"), "2");

  ASSERT_TRUE(callback.waitFor(1, 5000));
  const std::string cbBody = callback.requests()[0].body;  // the parsed value points into it
  auto cb = json::parse(cbBody);
  ASSERT_TRUE(cb.isOk());
  EXPECT_EQ(cb->find("status")->asString(), "SUCCESS");
  EXPECT_EQ(cb->find("responseCode")->asInt(), 200);
  EXPECT_TRUE(cb->find("responseBody")->isNull());

  auto g = d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
  ASSERT_EQ(g.status, 200);
  const auto& logs = g.data()->find("logs")->items();
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0].find("responseCode")->asInt(), 200);
  EXPECT_EQ(logs[1].find("responseCode")->asInt(), 500);
  for (const auto& l : logs) EXPECT_TRUE(l.find("responseBody")->isNull());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attempts WHERE delivery_id = '" + id +
                      "' AND response_body IS NOT NULL"),
            "0");
  EXPECT_EQ(g.data()->find("headers")->raw(),
            R"({"X-Team":"infra","Authorization":"Bearer job-header-marker"})");
  EXPECT_EQ(d.log().find("job-header-marker"), std::string::npos);
  EXPECT_EQ(d.log().find("receiver-secret"), std::string::npos);
}

TEST_F(JobFieldsTest, WithoutRedactionResponseBodiesAreKept) {
  Receiver recv([](int, const ReceivedRequest&) { return ScriptedResponse{200, "kept", {}, 0}; });
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/api/v1/jobs", jobBody(recv.url(), ""), {{"x-api-key", key}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.data()->find("redactResponse"), nullptr);
  EXPECT_EQ(r.data()->find("headers"), nullptr);
  std::string id = r.data()->find("id")->asString();
  ASSERT_TRUE(eventually(
      [&] {
        auto g = d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
        const json::Value* logs = g.data() ? g.data()->find("logs") : nullptr;
        return logs && logs->items().size() == 1 &&
               logs->items()[0].find("responseBody")->asString() == "kept";
      },
      5000));
}

TEST_F(JobFieldsTest, RefusalsNameTheFieldAndStoreNothing) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  const std::string url = "http://127.0.0.1:9/h";
  const std::pair<std::string, std::string> cases[] = {
      {R"(,"headers":{"Host":"evil"})", "headers.Host is reserved"},
      {R"(,"headers":{"X-Dispatch-Job-ID":"x"})", "headers.X-Dispatch-Job-ID is reserved"},
      {R"(,"headers":{"webhook-id":"x"})", "headers.webhook-id is reserved"},
      {R"(,"headers":{"X-A":"a\r\nb"})", "headers.X-A must not contain control characters"},
      {R"(,"headers":"x")", "headers must be an object of strings"},
      {R"(,"redactResponse":1)", "redactResponse must be a boolean"},
      {R"(,"retention":"2d")", "retention must be one of 1d, 7d, 30d, 90d"},
  };
  for (const auto& [extra, message] : cases) {
    auto r = d.call("POST", "/api/v1/jobs", jobBody(url, extra), {{"x-api-key", key}});
    EXPECT_EQ(r.status, 400) << extra;
    EXPECT_NE(r.body.find(message), std::string::npos) << r.body;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "0");
}

}  // namespace
}  // namespace dispatch::test
