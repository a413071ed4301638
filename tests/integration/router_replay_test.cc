// Replay (HTTP and CLI), retry of one delivery, redrive of a destination, and the events API
// (filters, pagination, project isolation).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

std::string bodyVersionLua(int v) {
  return "function transform(e)\n  e.body = { v = " + std::to_string(v) +
         ", orig = e.body }\n  return e\nend";
}

class ReplayFixture : public ::testing::Test {
 protected:
  // `version`: the transform on the e-src → shaped link; `extraLink`: adds e-src → extra.
  std::string projects(int version, bool extraLink = false, bool brokenTransform = false) const {
    std::string shaped = brokenTransform
                             ? "function transform(e)\n  return e.body.missing.field\nend"
                             : bodyVersionLua(version);
    std::string luaIndented;
    for (const auto& l : lines(shaped)) luaIndented += "          " + l + "\n";
    return "projects:\n"
           "  - name: alpha\n"
           "    signing_secret: " +
           std::string(kAlphaSecret) +
           "\n"
           "    sources:\n"
           "      - slug: e-src\n"
           "        verify: { preset: none }\n"
           "        allow_unsigned: true\n"
           "        event_type: { header: X-Event }\n"
           "      - slug: e-src2\n"
           "        verify: { preset: none }\n"
           "        allow_unsigned: true\n"
           "        event_type: { header: X-Event }\n"
           "    destinations:\n"
           "      - name: out\n"
           "        type: webhook\n"
           "        url: " +
           out.url("/out") +
           "\n"
           "        events: [\"a*\", b, c, plain]\n"
           "        retry: { max_attempts: 1 }\n"
           "      - name: patient\n"
           "        type: webhook\n"
           "        url: " +
           out.url("/patient") +
           "\n"
           "        events: [patient]\n"
           "        retry: { max_attempts: 3, backoff: fixed, initial: 30s }\n"
           "      - name: shaped\n"
           "        type: webhook\n"
           "        url: " +
           shaped_.url("/shaped") +
           "\n"
           "        events: [shape]\n"
           "      - name: extra\n"
           "        type: webhook\n"
           "        url: " +
           extra.url("/extra") +
           "\n"
           "    links:\n"
           "      - { source: e-src, destination: out }\n"
           "      - { source: e-src2, destination: out }\n"
           "      - { source: e-src, destination: patient }\n"
           "      - source: e-src\n"
           "        destination: shaped\n"
           "        lua: |\n" +
           luaIndented +
           (extraLink ? "      - { source: e-src, destination: extra, events: [shape] }\n" : "") +
           "  - name: beta\n"
           "    header_prefix: Beta\n"
           "    signing_secret: whsec_dGhpcyBpcyBiZXRhJ3Mgc2lnbmluZyBrZXkhIQ==\n"
           "    sources:\n"
           "      - slug: b-src\n"
           "        verify: { preset: none }\n"
           "        allow_unsigned: true\n"
           "    destinations:\n"
           "      - name: out\n"
           "        type: webhook\n"
           "        url: " +
           betaOut.url("/beta") +
           "\n"
           "        retry: { max_attempts: 1 }\n"
           "    links:\n"
           "      - { source: b-src, destination: out }\n";
  }

  void start(int version = 1, bool broken = false) {
    DispatchOptions o;
    o.projectsYaml = projects(version, false, broken);
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
    alphaKey = d->createKey("alpha");
    betaKey = d->createKey("beta");
  }

  std::string send(const std::string& slug, const std::string& type,
                   const std::string& body = "{}") {
    std::string why;
    std::string id = accepted(postHook(*d, slug, body, {{"X-Event", type}}), &why);
    EXPECT_FALSE(id.empty()) << why;
    return id;
  }

  ApiResponse replay(const std::string& eventId, const Headers& auth) {
    return d->call("POST", "/api/v1/events/" + eventId + "/replay", "", auth);
  }

  std::vector<std::string> replayIds(const ApiResponse& r) {
    std::vector<std::string> ids;
    const json::Value* a = r.data() ? r.data()->find("deliveries") : nullptr;
    if (a == nullptr || !a->isArray()) return ids;
    for (const auto& x : a->items()) ids.push_back(x.asString());
    return ids;
  }

  TestDatabase db;
  std::shared_ptr<std::atomic<int>> outStatus = std::make_shared<std::atomic<int>>(200);
  Receiver out{[s = outStatus](int, const ReceivedRequest&) {
    return ScriptedResponse{s->load(), "status " + std::to_string(s->load()), {}, 0};
  }};
  Receiver shaped_;
  Receiver extra;
  std::shared_ptr<std::atomic<int>> betaStatus = std::make_shared<std::atomic<int>>(200);
  Receiver betaOut{[s = betaStatus](int, const ReceivedRequest&) {
    return ScriptedResponse{s->load(), "beta", {}, 0};
  }};
  std::unique_ptr<DispatchProcess> d;
  std::string alphaKey;
  std::string betaKey;
};

// ------------------------------------------------------------------ replay
using ReplayEvent = ReplayFixture;

TEST_F(ReplayEvent, CreatesNewDeliveriesWithTheirOwnWebhookId) {
  start();
  std::string id = send("e-src", "plain", R"({"hello":"world"})");
  ASSERT_TRUE(out.waitFor(1, 5000));
  std::string firstDelivery = deliveryTo(*d, id, "out");
  ASSERT_TRUE(waitDelivery(*d, firstDelivery, "SUCCESS", 3000));
  EXPECT_EQ(out.requests()[0].header("webhook-id"), id);

  TimeMs before = nowMs();
  auto r = replay(id, withKey(alphaKey));
  ASSERT_TRUE(isOk(r, 202, r.message())) << r.body;
  EXPECT_EQ(r.status, 202);
  auto ids = replayIds(r);
  ASSERT_EQ(ids.size(), 1u) << r.body;  // the current links: only `out` matches "plain"
  EXPECT_TRUE(isUuidText(ids[0]));
  EXPECT_NE(ids[0], firstDelivery);

  ASSERT_TRUE(out.waitFor(2, 5000));
  auto again = out.requests()[1];
  EXPECT_EQ(again.header("webhook-id"), ids[0]);  // a new message
  EXPECT_EQ(again.header("x-dispatch-event-id"), id);
  EXPECT_EQ(again.header("x-dispatch-attempt"), "1");
  EXPECT_EQ(again.body, R"({"hello":"world"})");
  EXPECT_TRUE(swVerifies(again.header("webhook-signature"), kAlphaSecret, ids[0],
                         again.header("webhook-timestamp"), again.body));
  ASSERT_TRUE(waitDelivery(*d, ids[0], "SUCCESS", 3000));

  ApiResponse ev = getEvent(*d, id);
  auto ds = arrayAt(ev, "deliveries");
  ASSERT_EQ(ds.size(), 2u) << ev.body;
  ApiResponse nd = getDelivery(*d, ids[0]);
  EXPECT_EQ(str(nd.data(), "eventId"), id);
  EXPECT_EQ(str(nd.data(), "destination"), "out");
  // The new delivery was created by the replay, not when the event arrived.
  auto created = parseIsoUtc(str(nd.data(), "createdAt"));
  ASSERT_TRUE(created.has_value()) << nd.body;
  EXPECT_GE(*created, before - 5) << nd.body;
  // The event's skip list still describes its first routing only.
  auto skips = skipsOf(ev);
  std::sort(skips.begin(), skips.end());
  EXPECT_EQ(skips,
            (std::vector<std::string>{"patient=event type filter", "shaped=event type filter"}))
      << ev.body;
}

TEST_F(ReplayEvent, GoesThroughTheCurrentConfig) {
  start(1);
  std::string id = send("e-src", "shape", R"({"n":7})");
  ASSERT_TRUE(shaped_.waitFor(1, 5000));
  EXPECT_EQ(shaped_.requests()[0].body, R"({"orig":{"n":7},"v":1})");

  rewriteProjects(*d, projects(2, /*extraLink=*/true));
  auto rl = reloadNow(*d);
  ASSERT_TRUE(isOk(rl, 200, rl.message())) << rl.body;
  EXPECT_EQ(rl.data() ? rl.data()->find("reloaded")->asBool() : false, true) << rl.body;

  auto r = replay(id, asAdmin());
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(replayIds(r).size(), 2u) << r.body;  // shaped and the new extra link
  ASSERT_TRUE(shaped_.waitFor(2, 5000));
  EXPECT_EQ(shaped_.requests()[1].body, R"({"orig":{"n":7},"v":2})");
  ASSERT_TRUE(extra.waitFor(1, 5000));
  EXPECT_EQ(extra.requests()[0].body, R"({"n":7})");
  EXPECT_EQ(extra.requests()[0].header("x-dispatch-event-id"), id);
}

TEST_F(ReplayEvent, ReplayReRunsAFixedTransform) {
  start(1, /*broken=*/true);
  std::string id = send("e-src", "shape", R"({"n":1})");
  std::string dead = deliveryTo(*d, id, "shaped");
  ApiResponse g = getDelivery(*d, dead);
  EXPECT_EQ(str(g.data(), "status"), "DEAD") << g.body;
  EXPECT_NE(str(g.data(), "error").find("<inline>:2:"), std::string::npos) << g.body;
  // A transform failure is not an attempt: retrying it is refused, replay is the way.
  auto retry = d->call("POST", "/api/v1/deliveries/" + dead + "/retry", "", withKey(alphaKey));
  EXPECT_TRUE(isError(retry, 400, "Only DEAD or FAILED deliveries can be retried")) << retry.body;

  rewriteProjects(*d, projects(3));
  ASSERT_EQ(reloadNow(*d).status, 200);
  auto r = replay(id, withKey(alphaKey));
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(shaped_.waitFor(1, 5000));
  EXPECT_EQ(shaped_.requests()[0].body, R"({"orig":{"n":1},"v":3})");
}

// ------------------------------------------------------------------ retry and redrive
using ReplayRetry = ReplayFixture;

TEST_F(ReplayRetry, RetryOfDeadDeliveryContinuesNumberingWithSameWebhookId) {
  start();
  outStatus->store(400);
  std::string id = send("e-src", "plain");
  std::string did = deliveryTo(*d, id, "out");
  ASSERT_TRUE(waitDelivery(*d, did, "DEAD", 5000));
  outStatus->store(200);

  auto r = d->call("POST", "/api/v1/deliveries/" + did + "/retry", "", withKey(alphaKey));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(str(r.data(), "id"), did);
  EXPECT_EQ(str(r.data(), "eventId"), id);
  ASSERT_TRUE(out.waitFor(2, 3000));
  auto reqs = out.requests();
  EXPECT_EQ(reqs[1].header("webhook-id"), id);  // the same message as before
  EXPECT_EQ(reqs[1].header("x-dispatch-attempt"), "2");
  ASSERT_TRUE(waitDelivery(*d, did, "SUCCESS", 3000));
  ApiResponse g = getDelivery(*d, did);
  EXPECT_EQ(num(g.data(), "attempts"), 2);
  EXPECT_TRUE(isNullField(g.data(), "error")) << g.body;
  auto logs = arrayAt(g.data(), "logs");
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(num(logs[0], "attempt"), 2);
  EXPECT_EQ(num(logs[1], "responseCode"), 400);

  auto again = d->call("POST", "/api/v1/deliveries/" + did + "/retry", "", withKey(alphaKey));
  EXPECT_TRUE(isError(again, 400, "Only DEAD or FAILED deliveries can be retried"));
  EXPECT_EQ(d->call("POST", "/api/v1/deliveries/00000000-0000-7000-8000-000000000000/retry", "",
                    withKey(alphaKey))
                .status,
            404);
}

TEST_F(ReplayRetry, RetryOfFailedDeliveryFiresNowInsteadOfAtItsRetryTime) {
  start();
  outStatus->store(500);
  std::string id = send("e-src", "patient");
  std::string did = deliveryTo(*d, id, "patient");
  ASSERT_TRUE(eventually([&] { return deliveryStatus(*d, did) == "FAILED"; }, 3000));
  auto next = parseIsoUtc(str(getDelivery(*d, did).data(), "nextAttemptAt"));
  ASSERT_TRUE(next.has_value());
  EXPECT_GT(*next - nowMs(), 20000);
  outStatus->store(200);
  auto t0 = std::chrono::steady_clock::now();
  auto r = d->call("POST", "/api/v1/deliveries/" + did + "/retry", "", withKey(alphaKey));
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(out.waitFor(2, 3000));
  EXPECT_LT(msSince(t0), 1500);
  EXPECT_EQ(out.requests()[1].header("x-dispatch-attempt"), "2");
  EXPECT_EQ(out.requests()[1].header("webhook-id"), id);
  EXPECT_TRUE(waitDelivery(*d, did, "SUCCESS", 3000));
}

TEST_F(ReplayRetry, RedriveRearmsEveryDeadDeliveryOfTheDestination) {
  start();
  outStatus->store(503);
  std::vector<std::string> dids;
  for (int i = 0; i < 3; ++i)
    dids.push_back(deliveryTo(*d, send("e-src", "a" + std::to_string(i)), "out"));
  for (const auto& did : dids) ASSERT_TRUE(waitDelivery(*d, did, "DEAD", 5000)) << did;
  // Another project's DEAD delivery to a destination of the same name is not touched.
  betaStatus->store(400);
  std::string betaEvent = accepted(postHook(*d, "b-src", "{}"));
  ASSERT_FALSE(betaEvent.empty());
  std::string betaDelivery = deliveryTo(*d, betaEvent, "out");
  ASSERT_TRUE(waitDelivery(*d, betaDelivery, "DEAD", 5000));
  betaStatus->store(200);
  outStatus->store(200);

  auto noProject = d->call("POST", "/api/v1/destinations/out/redrive", "", asAdmin());
  EXPECT_TRUE(isError(noProject, 400, "project is required")) << noProject.body;

  auto r = d->call("POST", "/api/v1/destinations/out/redrive", "", withKey(alphaKey));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(num(r.data(), "rearmed"), 3) << r.body;
  for (const auto& did : dids) {
    EXPECT_TRUE(waitDelivery(*d, did, "SUCCESS", 5000)) << getDelivery(*d, did).body;
    EXPECT_EQ(num(getDelivery(*d, did).data(), "attempts"), 2);
  }
  auto none = d->call("POST", "/api/v1/destinations/out/redrive", "", withKey(alphaKey));
  EXPECT_EQ(num(none.data(), "rearmed"), 0) << none.body;
  auto admin = d->call("POST", "/api/v1/destinations/out/redrive?project=alpha", "", asAdmin());
  ASSERT_EQ(admin.status, 202) << admin.body;
  EXPECT_EQ(num(admin.data(), "rearmed"), 0) << admin.body;
  EXPECT_EQ(d->call("POST", "/api/v1/destinations/out/redrive?project=nope", "", asAdmin()).status,
            404);
  // Beta's DEAD delivery was never re-armed.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(betaOut.count(), 1u);
  EXPECT_EQ(deliveryStatus(*d, betaDelivery), "DEAD");
}

// ------------------------------------------------------------------ CLI
using ReplayCli = ReplayFixture;

TEST_F(ReplayCli, ReplayAndRedriveFromTheCliArePickedUpWithinASecond) {
  start();
  std::string id = send("e-src", "plain");
  ASSERT_TRUE(out.waitFor(1, 5000));
  auto cli = runCliSplit({"replay", id, "--config", d->configPath()}, {{"DATABASE_URL", db.url()}});
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(cli.exitCode, 0) << cli.out;
  auto printed = lines(cli.stdoutText);
  ASSERT_FALSE(printed.empty()) << cli.out;
  std::string newId = printed.back();
  EXPECT_TRUE(isUuidText(newId)) << cli.out;
  ASSERT_TRUE(out.waitFor(2, 3000));
  EXPECT_LT(msSince(t0), 1500);
  EXPECT_EQ(out.requests()[1].header("webhook-id"), newId);
  EXPECT_EQ(out.requests()[1].header("x-dispatch-event-id"), id);

  outStatus->store(500);
  std::string failing = deliveryTo(*d, send("e-src", "b"), "out");
  ASSERT_TRUE(waitDelivery(*d, failing, "DEAD", 5000));
  outStatus->store(200);
  size_t seen = out.count();
  auto rd = runCli({"redrive", "--project", "alpha", "out", "--config", d->configPath()},
                   {{"DATABASE_URL", db.url()}});
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_EQ(rd.exitCode, 0) << rd.out;
  ASSERT_TRUE(out.waitFor(seen + 1, 3000));
  EXPECT_LT(msSince(t1), 1500);
  EXPECT_TRUE(waitDelivery(*d, failing, "SUCCESS", 3000));

  auto unknown =
      runCli({"replay", "00000000-0000-7000-8000-000000000000", "--config", d->configPath()},
             {{"DATABASE_URL", db.url()}});
  EXPECT_EQ(unknown.exitCode, 1) << unknown.out;
  // As the endpoint: a destination the project's config does not name is not found.
  for (const char* name : {"nope", "only-in-beta"}) {
    auto missing = runCli({"redrive", "--project", "alpha", name, "--config", d->configPath()},
                          {{"DATABASE_URL", db.url()}});
    EXPECT_EQ(missing.exitCode, 1) << missing.out;
    EXPECT_NE(missing.out.find("dispatch: Destination not found"), std::string::npos)
        << missing.out;
  }
}

// ------------------------------------------------------------------ events API
using EventsApi = ReplayFixture;

TEST_F(EventsApi, ListFiltersPaginationAndShape) {
  start();
  std::vector<std::string> ids;
  ids.push_back(send("e-src", "a1"));
  ids.push_back(send("e-src", "a1"));
  ids.push_back(send("e-src", "b"));
  ids.push_back(send("e-src2", "a1"));
  ids.push_back(send("e-src2", "c"));
  std::string betaEvent = accepted(postHook(*d, "b-src", "{}"));

  auto all = d->call("GET", "/api/v1/events", "", withKey(alphaKey));
  ASSERT_TRUE(isOk(all, 200, "Events fetched successfully")) << all.body;
  auto evs = arrayAt(all.data(), "events");
  ASSERT_EQ(evs.size(), 5u) << all.body;
  for (size_t i = 0; i < evs.size(); ++i) EXPECT_EQ(str(evs[i], "id"), ids[4 - i]);  // newest first
  EXPECT_EQ(keysOf(evs[0]), (std::set<std::string>{"id", "source", "eventType", "receivedAt"}));
  EXPECT_TRUE(isIsoMs(str(evs[0], "receivedAt")));
  EXPECT_EQ(num(all.data()->find("pagination"), "total"), 5);

  auto byType = d->call("GET", "/api/v1/events?type=a1", "", withKey(alphaKey));
  EXPECT_EQ(num(byType.data()->find("pagination"), "total"), 3) << byType.body;
  auto bySource = d->call("GET", "/api/v1/events?source=e-src2", "", withKey(alphaKey));
  auto src2 = arrayAt(bySource.data(), "events");
  ASSERT_EQ(src2.size(), 2u) << bySource.body;
  EXPECT_EQ(str(src2[0], "id"), ids[4]);
  EXPECT_EQ(str(src2[1], "id"), ids[3]);
  auto both = d->call("GET", "/api/v1/events?source=e-src&type=a1", "", withKey(alphaKey));
  EXPECT_EQ(num(both.data()->find("pagination"), "total"), 2) << both.body;

  auto page = d->call("GET", "/api/v1/events?limit=2&page=2", "", withKey(alphaKey));
  auto p2 = arrayAt(page.data(), "events");
  ASSERT_EQ(p2.size(), 2u) << page.body;
  EXPECT_EQ(str(p2[0], "id"), ids[2]);
  EXPECT_EQ(str(p2[1], "id"), ids[1]);
  const json::Value* pg = page.data()->find("pagination");
  EXPECT_EQ(num(pg, "total"), 5);
  EXPECT_EQ(num(pg, "page"), 2);
  EXPECT_EQ(num(pg, "limit"), 2);
  EXPECT_EQ(num(pg, "totalPages"), 3);
  EXPECT_EQ(d->call("GET", "/api/v1/events?limit=101", "", withKey(alphaKey)).status, 400);
  EXPECT_EQ(d->call("GET", "/api/v1/events?page=0", "", withKey(alphaKey)).status, 400);

  // Admin sees every project; beta's key sees only beta's event.
  auto admin = d->call("GET", "/api/v1/events", "", asAdmin());
  EXPECT_EQ(num(admin.data()->find("pagination"), "total"), 6) << admin.body;
  auto beta = d->call("GET", "/api/v1/events", "", withKey(betaKey));
  auto bevs = arrayAt(beta.data(), "events");
  ASSERT_EQ(bevs.size(), 1u) << beta.body;
  EXPECT_EQ(str(bevs[0], "id"), betaEvent);
  EXPECT_EQ(d->call("GET", "/api/v1/events").status, 401);

  // One event in full.
  ApiResponse ev = d->call("GET", "/api/v1/events/" + ids[2], "", withKey(alphaKey));
  ASSERT_TRUE(isOk(ev, 200, "Event fetched successfully")) << ev.body;
  EXPECT_EQ(keysOf(ev.data()),
            (std::set<std::string>{"id", "source", "eventType", "headers", "body", "receivedAt",
                                   "deliveries", "skipped"}));
  EXPECT_EQ(str(ev.data()->find("headers"), "x-event"), "b") << ev.body;
  EXPECT_EQ(str(ev.data(), "body"), "{}");
  auto ds = arrayAt(ev, "deliveries");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(keysOf(ds[0]),
            (std::set<std::string>{"id", "eventId", "destination", "status", "attempts",
                                   "nextAttemptAt", "error", "createdAt", "updatedAt", "logs"}));
}

TEST_F(EventsApi, AnotherProjectsEventsAndDeliveriesAre404) {
  start();
  std::string id = send("e-src", "plain");
  std::string did = deliveryTo(*d, id, "out");
  ASSERT_TRUE(waitDelivery(*d, did, "SUCCESS", 5000));
  auto b = withKey(betaKey);
  EXPECT_EQ(d->call("GET", "/api/v1/events/" + id, "", b).status, 404);
  EXPECT_EQ(d->call("POST", "/api/v1/events/" + id + "/replay", "", b).status, 404);
  EXPECT_EQ(d->call("GET", "/api/v1/deliveries/" + did, "", b).status, 404);
  EXPECT_EQ(d->call("POST", "/api/v1/deliveries/" + did + "/retry", "", b).status, 404);
  auto list = d->call("GET", "/api/v1/deliveries", "", b);
  EXPECT_EQ(num(list.data()->find("pagination"), "total"), 0) << list.body;
  auto rd = d->call("POST", "/api/v1/destinations/out/redrive", "", b);
  EXPECT_EQ(num(rd.data(), "rearmed"), 0) << rd.body;
  // Unknown and malformed ids.
  EXPECT_EQ(
      d->call("GET", "/api/v1/events/00000000-0000-7000-8000-000000000000", "", withKey(alphaKey))
          .status,
      404);
  EXPECT_EQ(d->call("GET", "/api/v1/events/not-a-uuid", "", withKey(alphaKey)).status, 404);
  EXPECT_EQ(d->call("POST", "/api/v1/events/not-a-uuid/replay", "", withKey(alphaKey)).status, 404);
  // The owner still sees them.
  EXPECT_EQ(d->call("GET", "/api/v1/events/" + id, "", withKey(alphaKey)).status, 200);
  EXPECT_EQ(d->call("GET", "/api/v1/deliveries/" + did, "", withKey(alphaKey)).status, 200);
  // Reload is admin only.
  EXPECT_EQ(d->call("POST", "/api/v1/admin/reload", "", withKey(alphaKey)).status, 401);
}

}  // namespace
}  // namespace dispatch::test
