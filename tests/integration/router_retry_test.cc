// Destination retry policies with short delays: 5xx then success, 429 with Retry-After, a
// permanent 4xx, a timeout, the deliveries API (status, attempts, error, logs) and rate limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

const char* kFast =
    "        retry: { max_attempts: 3, backoff: fixed, initial: 200ms, jitter: false }\n";

class RetryFixture : public ::testing::Test {
 protected:
  std::string dest(const std::string& name, const Receiver& r, const std::string& extra) const {
    return "      - name: " + name + "\n        type: webhook\n        url: " + r.url("/" + name) +
           "\n        events: [" + name + "]\n" + extra;
  }

  void SetUp() override {
    DispatchOptions o;
    o.projectsYaml =
        "projects:\n"
        "  - name: alpha\n"
        "    signing_secret: " +
        std::string(kAlphaSecret) +
        "\n"
        "    sources:\n"
        "      - slug: r-src\n"
        "        verify: { preset: none }\n"
        "        allow_unsigned: true\n"
        "        event_type: { header: X-Event }\n"
        "    destinations:\n" +
        dest("flaky", flaky, kFast) + dest("limited", limited, kFast) + dest("bad", bad, kFast) +
        dest("slow", slow, "        timeout: 300ms\n        retry: { max_attempts: 1 }\n") +
        dest("paced", paced, std::string(kFast) + "        rate_limit: 2/s\n") +
        "    links:\n"
        "      - { source: r-src, destination: flaky }\n"
        "      - { source: r-src, destination: limited }\n"
        "      - { source: r-src, destination: bad }\n"
        "      - { source: r-src, destination: slow }\n"
        "      - { source: r-src, destination: paced }\n";
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
  }

  // Sends one event of `type` (= the destination's name); returns its delivery id.
  std::string deliver(const std::string& type) {
    std::string why;
    std::string id = accepted(postHook(*d, "r-src", R"({"k":1})", {{"X-Event", type}}), &why);
    EXPECT_FALSE(id.empty()) << why;
    std::string did = deliveryTo(*d, id, type);
    EXPECT_TRUE(isUuidText(did)) << getEvent(*d, id).body;
    return did;
  }

  TestDatabase db;
  Receiver flaky{[](int n, const ReceivedRequest&) {
    return ScriptedResponse{n == 0 ? 500 : 200, n == 0 ? "boom" : "fine", {}, 0};
  }};
  Receiver limited{[](int n, const ReceivedRequest&) {
    if (n == 0) return ScriptedResponse{429, "slow down", {{"Retry-After", "1"}}, 0};
    return ScriptedResponse{200, "ok", {}, 0};
  }};
  Receiver bad{[](int, const ReceivedRequest&) { return ScriptedResponse{400, "no", {}, 0}; }};
  Receiver slow{[](int, const ReceivedRequest&) {
    return ScriptedResponse{200, "late", {}, 1000};
  }};
  Receiver paced;
  std::unique_ptr<DispatchProcess> d;
};

using RetryPolicy = RetryFixture;

TEST_F(RetryPolicy, ServerErrorThenSuccessEndsSuccessWithTwoAttempts) {
  std::string did = deliver("flaky");
  ASSERT_TRUE(waitDelivery(*d, did, "SUCCESS", 5000)) << getDelivery(*d, did).body;
  ApiResponse g = getDelivery(*d, did);
  EXPECT_EQ(num(g.data(), "attempts"), 2) << g.body;
  EXPECT_TRUE(isNullField(g.data(), "error")) << g.body;
  EXPECT_TRUE(isNullField(g.data(), "nextAttemptAt")) << g.body;
  auto logs = arrayAt(g.data(), "logs");
  ASSERT_EQ(logs.size(), 2u) << g.body;
  EXPECT_EQ(num(logs[0], "attempt"), 2);  // newest first
  EXPECT_EQ(str(logs[0], "status"), "SUCCESS");
  EXPECT_EQ(num(logs[0], "responseCode"), 200);
  EXPECT_EQ(str(logs[0], "responseBody"), "fine");
  EXPECT_TRUE(isNullField(logs[0], "error"));
  EXPECT_EQ(num(logs[1], "attempt"), 1);
  EXPECT_EQ(str(logs[1], "status"), "FAILED");
  EXPECT_EQ(num(logs[1], "responseCode"), 500);
  EXPECT_EQ(str(logs[1], "responseBody"), "boom");
  EXPECT_TRUE(isIsoMs(str(logs[1], "firedAt")));
  EXPECT_GE(num(logs[1], "durationMs"), 0);
  auto reqs = flaky.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("webhook-id"), reqs[1].header("webhook-id"));
  EXPECT_EQ(reqs[0].header("x-dispatch-attempt"), "1");
  EXPECT_EQ(reqs[1].header("x-dispatch-attempt"), "2");
  EXPECT_GE(reqs[1].receivedAt - reqs[0].receivedAt, 180);
  EXPECT_LT(reqs[1].receivedAt - reqs[0].receivedAt, 3000);
}

TEST_F(RetryPolicy, TooManyRequestsHonoursRetryAfter) {
  std::string did = deliver("limited");
  ASSERT_TRUE(limited.waitFor(1, 5000));
  // Between the attempts the delivery is FAILED, with the next attempt about 1 s out.
  ASSERT_TRUE(eventually([&] { return deliveryStatus(*d, did) == "FAILED"; }, 1500))
      << getDelivery(*d, did).body;
  ApiResponse mid = getDelivery(*d, did);
  EXPECT_EQ(str(mid.data(), "error"), "HTTP 429") << mid.body;
  EXPECT_EQ(num(mid.data(), "attempts"), 1) << mid.body;
  auto next = parseIsoUtc(str(mid.data(), "nextAttemptAt"));
  ASSERT_TRUE(next.has_value()) << mid.body;
  EXPECT_GE(*next - limited.requests()[0].receivedAt, 800) << mid.body;
  ASSERT_TRUE(limited.waitFor(2, 5000));
  auto reqs = limited.requests();
  EXPECT_GE(reqs[1].receivedAt - reqs[0].receivedAt, 900);
  EXPECT_LT(reqs[1].receivedAt - reqs[0].receivedAt, 4000);
  ASSERT_TRUE(waitDelivery(*d, did, "SUCCESS", 3000));
  EXPECT_EQ(num(getDelivery(*d, did).data(), "attempts"), 2);
}

TEST_F(RetryPolicy, BadRequestIsPermanent) {
  std::string did = deliver("bad");
  ASSERT_TRUE(waitDelivery(*d, did, "DEAD", 5000)) << getDelivery(*d, did).body;
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(bad.count(), 1u);
  ApiResponse g = getDelivery(*d, did);
  EXPECT_EQ(num(g.data(), "attempts"), 1);
  EXPECT_EQ(str(g.data(), "error"), "HTTP 400");
  EXPECT_TRUE(isNullField(g.data(), "nextAttemptAt")) << g.body;
  auto logs = arrayAt(g.data(), "logs");
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(num(logs[0], "responseCode"), 400);
  EXPECT_EQ(str(logs[0], "status"), "FAILED");
  EXPECT_TRUE(isNullField(logs[0], "error"));
}

TEST_F(RetryPolicy, TimeoutHasNullResponseCodeAndTimeoutError) {
  std::string did = deliver("slow");
  ASSERT_TRUE(waitDelivery(*d, did, "DEAD", 5000)) << getDelivery(*d, did).body;
  ApiResponse g = getDelivery(*d, did);
  EXPECT_EQ(str(g.data(), "error"), "timeout after 300ms") << g.body;
  auto logs = arrayAt(g.data(), "logs");
  ASSERT_EQ(logs.size(), 1u) << g.body;
  EXPECT_TRUE(isNullField(logs[0], "responseCode")) << g.body;
  EXPECT_EQ(str(logs[0], "error"), "timeout after 300ms");
  EXPECT_EQ(str(logs[0], "status"), "FAILED");
  EXPECT_GE(num(logs[0], "durationMs"), 250) << g.body;
  EXPECT_LT(num(logs[0], "durationMs"), 1000) << g.body;
}

TEST_F(RetryPolicy, DeliveriesApiListsAndFilters) {
  std::string deadId = deliver("bad");
  std::string okId = deliver("flaky");
  ASSERT_TRUE(waitDelivery(*d, deadId, "DEAD", 5000));
  ASSERT_TRUE(waitDelivery(*d, okId, "SUCCESS", 5000));

  auto all = d->call("GET", "/api/v1/deliveries", "", asAdmin());
  ASSERT_TRUE(isOk(all, 200, "Deliveries fetched successfully"));
  auto items = arrayAt(all.data(), "deliveries");
  ASSERT_EQ(items.size(), 2u) << all.body;
  EXPECT_EQ(str(items[0], "id"), okId);  // newest first
  EXPECT_EQ(keysOf(items[0]),
            (std::set<std::string>{"id", "eventId", "destination", "status", "attempts",
                                   "nextAttemptAt", "error", "createdAt", "updatedAt"}));
  EXPECT_TRUE(isIsoMs(str(items[0], "createdAt")));
  const json::Value* pg = all.data()->find("pagination");
  EXPECT_EQ(num(pg, "total"), 2);
  EXPECT_EQ(num(pg, "page"), 1);
  EXPECT_EQ(num(pg, "limit"), 20);
  EXPECT_EQ(num(pg, "totalPages"), 1);

  auto dead = d->call("GET", "/api/v1/deliveries?status=DEAD", "", asAdmin());
  auto deadItems = arrayAt(dead.data(), "deliveries");
  ASSERT_EQ(deadItems.size(), 1u) << dead.body;
  EXPECT_EQ(str(deadItems[0], "id"), deadId);
  EXPECT_EQ(str(deadItems[0], "destination"), "bad");
  EXPECT_EQ(str(deadItems[0], "error"), "HTTP 400");
  EXPECT_EQ(num(deadItems[0], "attempts"), 1);

  auto byDest = d->call("GET", "/api/v1/deliveries?destination=flaky", "", asAdmin());
  auto destItems = arrayAt(byDest.data(), "deliveries");
  ASSERT_EQ(destItems.size(), 1u) << byDest.body;
  EXPECT_EQ(str(destItems[0], "status"), "SUCCESS");
  EXPECT_EQ(num(destItems[0], "attempts"), 2);

  auto page2 = d->call("GET", "/api/v1/deliveries?limit=1&page=2", "", asAdmin());
  auto p2 = arrayAt(page2.data(), "deliveries");
  ASSERT_EQ(p2.size(), 1u) << page2.body;
  EXPECT_EQ(str(p2[0], "id"), deadId);
  EXPECT_EQ(num(page2.data()->find("pagination"), "totalPages"), 2);

  EXPECT_EQ(d->call("GET", "/api/v1/deliveries?status=BOGUS", "", asAdmin()).status, 400);
  EXPECT_EQ(d->call("GET", "/api/v1/deliveries?limit=0", "", asAdmin()).status, 400);

  ApiResponse one = getDelivery(*d, deadId);
  ASSERT_TRUE(isOk(one, 200, "Delivery fetched successfully"));
  EXPECT_EQ(keysOf(one.data()),
            (std::set<std::string>{"id", "eventId", "destination", "status", "attempts",
                                   "nextAttemptAt", "error", "createdAt", "updatedAt", "logs"}));
  auto logs = arrayAt(one.data(), "logs");
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(keysOf(logs[0]),
            (std::set<std::string>{"id", "attempt", "status", "responseCode", "responseBody",
                                   "firedAt", "durationMs", "error"}));
  EXPECT_EQ(getDelivery(*d, "00000000-0000-7000-8000-000000000000").status, 404);
  EXPECT_EQ(getDelivery(*d, "not-a-uuid").status, 404);
  // A job is not an event delivery.
  std::string key = d->createKey("alpha");
  Receiver jobRecv;
  auto job = d->call("POST", "/api/v1/jobs", jobRequest(jobRecv.url(), isoIn(60000)), withKey(key));
  ASSERT_EQ(job.status, 201) << job.body;
  EXPECT_EQ(getDelivery(*d, str(job.data(), "id")).status, 404);
}

TEST_F(RetryPolicy, RateLimitSpreadsDeliveries) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(deliver("paced"));
  ASSERT_TRUE(paced.waitFor(6, 8000)) << paced.count();
  auto reqs = paced.requests();
  std::sort(reqs.begin(), reqs.end(), [](const ReceivedRequest& a, const ReceivedRequest& b) {
    return a.receivedAt < b.receivedAt;
  });
  // A bucket of 2 tokens refilled at 2/s: the n-th delivery (0-based, n ≥ 2) no earlier than
  // (n-1)·500 ms after the first.
  for (size_t n = 2; n < reqs.size(); ++n) {
    EXPECT_GE(reqs[n].receivedAt - reqs[0].receivedAt, static_cast<int64_t>(n - 1) * 500 - 60)
        << "delivery " << n;
  }
  EXPECT_GE(reqs[5].receivedAt - reqs[0].receivedAt, 1900);
  for (const auto& id : ids) EXPECT_TRUE(waitDelivery(*d, id, "SUCCESS", 3000)) << id;
  // Waiting for the rate limit is not an attempt.
  for (const auto& id : ids) EXPECT_EQ(num(getDelivery(*d, id).data(), "attempts"), 1) << id;
}

}  // namespace
}  // namespace dispatch::test
