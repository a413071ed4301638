// Destinations (issue 12): GET /api/v1/destinations (health, no URL/secret/header value,
// scoping), pause and resume across two nodes (nothing attempted, nothing lost, nothing
// counted while paused), the circuit breaker against a failing receiver (opens, holds, one
// trial per cool-down, opens again, closes, delivers what it held; visible in the API, in
// /metrics and in the log), and 404 for unknown and other projects' destinations.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

constexpr const char* kUrlMarker = "url-marker-7f3a";
constexpr const char* kHeaderMarker = "header-marker-91c2";
constexpr const char* kSecretMarker = "whsec_c2VjcmV0LW1hcmtlci1kZXN0LTEyMzQ1Njc4";

std::string source(const std::string& slug) {
  return "      - slug: " + slug +
         "\n        verify: { preset: none }\n        allow_unsigned: true\n"
         "        event_type: { header: X-Event }\n";
}

// Project alpha with one unsigned source `slug` linked to one webhook destination `name` at
// `url`, whose further keys are `destinationKeys` (lines at 8 spaces).
DispatchOptions oneLink(const std::string& slug, const std::string& name, const std::string& url,
                        const std::string& destinationKeys) {
  DispatchOptions o;
  o.projectsYaml = "projects:\n  - name: alpha\n    signing_secret: " + std::string(kAlphaSecret) +
                   "\n    sources:\n" + source(slug) + "    destinations:\n      - name: " + name +
                   "\n        type: webhook\n        url: " + url + "\n" + destinationKeys +
                   "    links:\n      - { source: " + slug + ", destination: " + name + " }\n";
  return o;
}

// The destination named `name` in a GET /api/v1/destinations answer.
const json::Value* destinationIn(const ApiResponse& r, const std::string& name) {
  const json::Value* data = r.data();
  if (data == nullptr || !data->isArray()) return nullptr;
  for (const auto& d : data->items()) {
    if (str(&d, "name") == name) return &d;
  }
  return nullptr;
}

std::string stateOf(const DispatchProcess& d, const std::string& key, const std::string& name) {
  ApiResponse r = d.call("GET", "/api/v1/destinations", "", withKey(key));
  const json::Value* v = destinationIn(r, name);
  return v ? str(v, "state") : "";
}

// ---------------------------------------------------------------------------- the API
class DestinationsApi : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string y =
        "projects:\n  - name: alpha\n    signing_secret: " + std::string(kAlphaSecret) +
        "\n    sources:\n" + source("a-src") +
        "    destinations:\n"
        "      - name: ok\n        type: webhook\n        url: " +
        ok.url(std::string("/") + kUrlMarker) + "\n        headers: { X-Team: " + kHeaderMarker +
        " }\n        secret: " + kSecretMarker +
        "\n"
        "      - name: bad\n        type: webhook\n        url: " +
        bad.url("/bad") +
        "\n        retry: { max_attempts: 1 }\n"
        "    links:\n"
        "      - { source: a-src, destination: ok }\n"
        "      - { source: a-src, destination: bad }\n"
        "  - name: beta\n    signing_secret: " +
        std::string(kAlphaSecret) + "\n    sources:\n" + source("b-src") +
        "    destinations:\n"
        "      - name: only-beta\n        type: webhook\n        url: " +
        ok.url("/beta") + "\n    links:\n" + "      - { source: b-src, destination: only-beta }\n";
    DispatchOptions o;
    o.projectsYaml = y;
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
    alphaKey = d->createKey("alpha");
    betaKey = d->createKey("beta");
  }

  TestDatabase db;
  Receiver ok;
  Receiver bad{[](int, const ReceivedRequest&) { return ScriptedResponse{500, "down", {}, 0}; }};
  std::unique_ptr<DispatchProcess> d;
  std::string alphaKey, betaKey;
};

TEST_F(DestinationsApi, ListShowsHealthInConfigOrderAndNoSecret) {
  // Before any traffic: both listed, healthy, nothing counted.
  ApiResponse empty = d->call("GET", "/api/v1/destinations", "", withKey(alphaKey));
  ASSERT_TRUE(isOk(empty, 200, "Destinations fetched successfully")) << empty.body;
  ASSERT_TRUE(empty.data() && empty.data()->isArray()) << empty.body;
  ASSERT_EQ(empty.data()->items().size(), 2u) << empty.body;
  EXPECT_EQ(str(&empty.data()->items()[0], "name"), "ok");
  EXPECT_EQ(str(&empty.data()->items()[1], "name"), "bad");
  const json::Value* fresh = destinationIn(empty, "ok");
  EXPECT_EQ(keysOf(fresh),
            (std::set<std::string>{"name", "type", "state", "successRate", "attempts",
                                   "lastSuccessAt", "lastFailureAt", "lastError", "pending"}));
  EXPECT_EQ(str(fresh, "type"), "webhook");
  EXPECT_EQ(str(fresh, "state"), "healthy");
  EXPECT_EQ(num(fresh, "attempts"), 0);
  EXPECT_TRUE(isNullField(fresh, "successRate"));
  EXPECT_TRUE(isNullField(fresh, "lastSuccessAt"));

  for (int i = 0; i < 2; ++i)
    ASSERT_FALSE(accepted(postHook(*d, "a-src", "{}", {{"X-Event", "x"}})).empty());
  ASSERT_TRUE(ok.waitFor(2, 5000));
  ASSERT_TRUE(bad.waitFor(2, 5000));
  // Counts reach the store within a second of the attempts.
  ApiResponse r;
  ASSERT_TRUE(eventually(
      [&] {
        r = d->call("GET", "/api/v1/destinations", "", withKey(alphaKey));
        const json::Value* b = destinationIn(r, "bad");
        const json::Value* o = destinationIn(r, "ok");
        return o && b && num(o, "attempts") == 2 && num(b, "attempts") == 2 &&
               num(b, "pending") == 0;
      },
      5000))
      << r.body;
  const json::Value* o = destinationIn(r, "ok");
  EXPECT_EQ(o->find("successRate")->raw(), "1") << r.body;
  EXPECT_TRUE(isIsoMs(str(o, "lastSuccessAt"))) << r.body;
  EXPECT_TRUE(isNullField(o, "lastFailureAt"));
  EXPECT_TRUE(isNullField(o, "lastError"));
  EXPECT_EQ(num(o, "pending"), 0);
  const json::Value* b = destinationIn(r, "bad");
  EXPECT_EQ(b->find("successRate")->raw(), "0") << r.body;
  EXPECT_TRUE(isIsoMs(str(b, "lastFailureAt"))) << r.body;
  EXPECT_EQ(str(b, "lastError"), "HTTP 500");
  EXPECT_EQ(str(b, "state"), "healthy") << "two failures are not a run of ten";
  for (const char* marker : {kUrlMarker, kHeaderMarker, kSecretMarker, "127.0.0.1"}) {
    EXPECT_EQ(r.body.find(marker), std::string::npos) << marker << " in " << r.body;
  }

  // Scoping: beta sees its own; the admin names a project.
  ApiResponse beta = d->call("GET", "/api/v1/destinations", "", withKey(betaKey));
  ASSERT_EQ(beta.status, 200) << beta.body;
  ASSERT_EQ(beta.data()->items().size(), 1u) << beta.body;
  EXPECT_EQ(str(&beta.data()->items()[0], "name"), "only-beta");
  EXPECT_TRUE(
      isError(d->call("GET", "/api/v1/destinations", "", asAdmin()), 400, "project is required"));
  ApiResponse admin = d->call("GET", "/api/v1/destinations?project=alpha", "", asAdmin());
  ASSERT_EQ(admin.status, 200) << admin.body;
  EXPECT_EQ(admin.data()->items().size(), 2u);
  EXPECT_EQ(d->call("GET", "/api/v1/destinations?project=nope", "", asAdmin()).status, 404);
  EXPECT_EQ(d->call("GET", "/api/v1/destinations").status, 401);
}

TEST_F(DestinationsApi, UnknownAndOtherProjectsDestinationsAre404OnEveryEndpoint) {
  for (const char* action : {"pause", "resume", "redrive"}) {
    SCOPED_TRACE(action);
    const std::string tail = std::string("/") + action;
    EXPECT_TRUE(isError(d->call("POST", "/api/v1/destinations/nope" + tail, "", withKey(alphaKey)),
                        404, "Destination not found"));
    // only-beta is beta's: alpha's key may not see it, nor beta's key alpha's `ok`.
    EXPECT_TRUE(
        isError(d->call("POST", "/api/v1/destinations/only-beta" + tail, "", withKey(alphaKey)),
                404, "Destination not found"));
    EXPECT_TRUE(isError(d->call("POST", "/api/v1/destinations/ok" + tail, "", withKey(betaKey)),
                        404, "Destination not found"));
    EXPECT_TRUE(
        isError(d->call("POST", "/api/v1/destinations/ok" + tail + "?project=beta", "", asAdmin()),
                404, "Destination not found"));
    EXPECT_TRUE(isError(d->call("POST", "/api/v1/destinations/ok" + tail, "", asAdmin()), 400,
                        "project is required"));
  }
  // Nothing was paused by any of it.
  EXPECT_EQ(stateOf(*d, alphaKey, "ok"), "healthy");
  ApiResponse ok = d->call("POST", "/api/v1/destinations/ok/pause?project=alpha", "", asAdmin());
  ASSERT_TRUE(isOk(ok, 200, "Destination paused")) << ok.body;
  EXPECT_EQ(str(ok.data(), "state"), "paused");
  EXPECT_EQ(str(ok.data(), "name"), "ok");
  ApiResponse res = d->call("POST", "/api/v1/destinations/ok/resume", "", withKey(alphaKey));
  ASSERT_TRUE(isOk(res, 200, "Destination resumed")) << res.body;
  EXPECT_EQ(str(res.data(), "state"), "healthy");
}

// ---------------------------------------------------------------------------- pause
TEST(DestinationsPause, AcrossTwoNodesNothingAttemptedNothingLostThenEverythingGoesOut) {
  TestDatabase db;
  std::atomic<int> status{500};
  Receiver rx([&](int, const ReceivedRequest&) {
    return ScriptedResponse{status.load(), "r", {}, 0};
  });
  DispatchOptions o = oneLink("p-src", "maint", rx.url("/maint"),
                              "        retry: { max_attempts: 5, backoff: fixed, initial: 1s }\n");
  DispatchProcess a(db, o), b(db, o);
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  const std::string key = a.createKey("alpha");

  // One delivery fails once before the pause: its retry falls due while paused.
  const std::string early = accepted(postHook(a, "p-src", "{\"n\":0}", {{"X-Event", "x"}}));
  ASSERT_FALSE(early.empty());
  const std::string earlyDelivery = deliveryTo(a, early, "maint");
  ASSERT_TRUE(waitDelivery(a, earlyDelivery, "FAILED", 5000));
  ASSERT_EQ(rx.count(), 1u);
  status = 200;

  ApiResponse p = a.call("POST", "/api/v1/destinations/maint/pause", "", withKey(key));
  ASSERT_TRUE(isOk(p, 200, "Destination paused")) << p.body;
  EXPECT_EQ(str(p.data(), "state"), "paused");
  // Every node honours it within a second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1'200));
  std::vector<std::string> deliveries;
  for (int i = 1; i <= 10; ++i) {
    DispatchProcess& node = i % 2 ? a : b;
    const std::string id =
        accepted(postHook(node, "p-src", "{\"n\":" + std::to_string(i) + "}", {{"X-Event", "x"}}));
    ASSERT_FALSE(id.empty());
    deliveries.push_back(deliveryTo(node, id, "maint"));
  }
  // Past the early delivery's retry time and then some: nothing attempted on either node.
  std::this_thread::sleep_for(std::chrono::milliseconds(2'500));
  EXPECT_EQ(rx.count(), 1u) << "attempted while paused";
  for (const auto& did : deliveries) {
    ApiResponse g = getDelivery(b, did);
    EXPECT_EQ(str(g.data(), "status"), "SCHEDULED") << g.body;
    EXPECT_EQ(num(g.data(), "attempts"), 0) << g.body;
  }
  ApiResponse e = getDelivery(a, earlyDelivery);
  EXPECT_EQ(str(e.data(), "status"), "FAILED") << e.body;
  EXPECT_EQ(num(e.data(), "attempts"), 1) << "a held retry is not counted as an attempt";
  ApiResponse list = b.call("GET", "/api/v1/destinations", "", withKey(key));
  const json::Value* m = destinationIn(list, "maint");
  ASSERT_NE(m, nullptr) << list.body;
  EXPECT_EQ(str(m, "state"), "paused");
  EXPECT_EQ(num(m, "pending"), 11) << list.body;

  // Resumed on the other node: everything goes out, the retry as attempt 2.
  ApiResponse r = b.call("POST", "/api/v1/destinations/maint/resume", "", withKey(key));
  ASSERT_TRUE(isOk(r, 200, "Destination resumed")) << r.body;
  ASSERT_TRUE(rx.waitFor(12, 5000)) << rx.count();
  for (const auto& did : deliveries) EXPECT_TRUE(waitDelivery(a, did, "SUCCESS", 3000)) << did;
  ASSERT_TRUE(waitDelivery(a, earlyDelivery, "SUCCESS", 3000));
  EXPECT_EQ(num(getDelivery(a, earlyDelivery).data(), "attempts"), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(rx.count(), 12u) << "each delivered once";
  EXPECT_EQ(stateOf(a, key, "maint"), "healthy");
}

// ---------------------------------------------------------------------------- breaker
TEST(CircuitBreaker, OpensHoldsTrialsReopensClosesAndDeliversWhatItHeld) {
  TestDatabase db;
  std::atomic<int> status{503};
  Receiver rx([&](int, const ReceivedRequest&) {
    return ScriptedResponse{status.load(), "r", {}, 0};
  });
  DispatchOptions o =
      oneLink("c-src", "flaky", rx.url("/flaky"),
              "        retry: { max_attempts: 20, backoff: fixed, initial: 100ms }\n"
              "        circuit_breaker: { failures: 3, cool_down: 2s }\n");
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string key = d.createKey("alpha");

  std::vector<std::string> deliveries;
  for (int i = 0; i < 5; ++i) {
    const std::string id = accepted(postHook(d, "c-src", "{}", {{"X-Event", "x"}}));
    ASSERT_FALSE(id.empty());
    deliveries.push_back(deliveryTo(d, id, "flaky"));
  }
  // Opens after a run of three failures; attempts stop.
  ASSERT_TRUE(eventually([&] { return stateOf(d, key, "flaky") == "open"; }, 5000)) << d.log();
  const auto openedAt = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // attempts already in flight end
  const size_t atOpen = rx.count();
  EXPECT_GE(atOpen, 3u);
  EXPECT_LE(atOpen, 8u) << "attempts went on after the circuit opened";
  EXPECT_NE(d.log().find("circuit opened"), std::string::npos) << d.log();
  ApiResponse metrics = d.call("GET", "/metrics");
  EXPECT_NE(
      metrics.body.find(
          "dispatch_destination_state{project=\"alpha\",destination=\"flaky\",state=\"open\"} 1"),
      std::string::npos)
      << metrics.body;
  for (const auto& did : deliveries) {
    EXPECT_NE(str(getDelivery(d, did).data(), "status"), "DEAD");
  }

  // Held: nothing during the cool-down; then one trial, which fails: open again.
  while (std::chrono::steady_clock::now() - openedAt < std::chrono::milliseconds(1'500)) {
    EXPECT_EQ(rx.count(), atOpen) << "attempted during the cool-down";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(rx.waitFor(atOpen + 1, 4000)) << "no trial after the cool-down";
  ASSERT_TRUE(
      eventually([&] { return d.log().find("circuit opened again") != std::string::npos; }, 3000))
      << d.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(rx.count(), atOpen + 1) << "one trial per cool-down";
  EXPECT_EQ(stateOf(d, key, "flaky"), "open");

  // The receiver recovers: the next trial closes the circuit and what it held goes out.
  status = 200;
  ASSERT_TRUE(eventually([&] { return d.log().find("circuit closed") != std::string::npos; }, 6000))
      << d.log();
  for (const auto& did : deliveries) {
    EXPECT_TRUE(waitDelivery(d, did, "SUCCESS", 5000)) << getDelivery(d, did).body;
  }
  EXPECT_EQ(stateOf(d, key, "flaky"), "healthy");
  EXPECT_NE(d.call("GET", "/metrics")
                .body.find("dispatch_destination_state{project=\"alpha\",destination=\"flaky\","
                           "state=\"healthy\"} 1"),
            std::string::npos);
  EXPECT_NE(d.log().find("circuit half-open"), std::string::npos);
}

TEST(CircuitBreaker, OffKeepsAttemptingAFailingReceiver) {
  TestDatabase db;
  Receiver rx([](int, const ReceivedRequest&) { return ScriptedResponse{503, "r", {}, 0}; });
  DispatchOptions o = oneLink("c-src", "flaky", rx.url("/flaky"),
                              "        retry: { max_attempts: 4, backoff: fixed, initial: 50ms }\n"
                              "        circuit_breaker: off\n");
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::vector<std::string> deliveries;
  for (int i = 0; i < 4; ++i) {
    deliveries.push_back(
        deliveryTo(d, accepted(postHook(d, "c-src", "{}", {{"X-Event", "x"}})), "flaky"));
  }
  for (const auto& did : deliveries) EXPECT_TRUE(waitDelivery(d, did, "DEAD", 5000)) << did;
  EXPECT_EQ(rx.count(), 16u);
  EXPECT_EQ(d.log().find("circuit opened"), std::string::npos);
}

}  // namespace
}  // namespace dispatch::test
