// Routing: fan-out with destination and link `events` filters (and the `skipped` record), the
// outbound headers and Standard Webhooks signatures (verified independently), no forwarding of
// incoming headers, and the file, slack and discord plugins (each signed over the bytes it
// sends or writes).
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

const std::string kOverrideSecret = "whsec_" + b64Of("destination-override-key-0123456");
const std::string kRelaySecret = "whsec_" + b64Of("discord-relay-signing-key-012345");
const std::string kBetaNew = "whsec_" + b64Of("beta-rotation-new-key-0123456789");
const std::string kBetaOld = "whsec_" + b64Of("beta-rotation-old-key-0123456789");

class RouteFixture : public ::testing::Test {
 protected:
  std::string projects() const {
    return "projects:\n"
           "  - name: alpha\n"
           "    header_prefix: Acme\n"
           "    signing_secret: " +
           std::string(kAlphaSecret) +
           "\n"
           "    sources:\n"
           "      - slug: gh\n"
           "        verify: { preset: none }\n"
           "        allow_unsigned: true\n"
           "        event_type: { header: X-Event }\n"
           "      - slug: gh2\n"
           "        verify: { preset: none }\n"
           "        allow_unsigned: true\n"
           "        event_type: { header: X-Event }\n"
           "    destinations:\n"
           "      - name: ci\n"
           "        type: webhook\n"
           "        url: " +
           ci.url("/ci") +
           "\n"
           "        events: [push, \"pull_request.*\"]\n"
           "        headers: { X-Team: infra, X-Env: test }\n"
           "        retry: { max_attempts: 3, backoff: fixed, initial: 200ms, jitter: false }\n"
           "      - name: ops\n"
           "        type: webhook\n"
           "        url: " +
           ops.url("/ops") +
           "\n"
           "        events: [issues]\n"
           "        secret: " +
           kOverrideSecret +
           "\n"
           "      - name: narrow\n"
           "        type: webhook\n"
           "        url: " +
           narrow.url("/narrow") +
           "\n"
           "      - name: audit\n"
           "        type: file\n"
           "        path: deliveries.jsonl\n"
           "      - name: chat\n"
           "        type: slack\n"
           "        url: " +
           chat.url("/chat") +
           "\n"
           "        template: \"{{source}} sent {{type}}: {{body.action}}\"\n"
           "      - name: relay\n"
           "        type: discord\n"
           "        url: " +
           relay.url("/relay") +
           "\n"
           "        template: \"**{{type}}** from {{source}}: {{body}}\"\n"
           "        retry: { max_attempts: 3, backoff: fixed, initial: 200ms, jitter: false }\n"
           "        secret: " +
           kRelaySecret +
           "\n"
           "    links:\n"
           "      - { source: gh, destination: ci }\n"
           "      - { source: gh, destination: ops }\n"
           "      - { source: gh, destination: narrow, events: [\"pull_request.*\"] }\n"
           "      - { source: gh, destination: audit }\n"
           "      - { source: gh, destination: chat, events: [issues] }\n"
           "      - { source: gh2, destination: narrow }\n"
           "      - { source: gh2, destination: relay }\n"
           "  - name: beta\n"
           "    header_prefix: Beta\n"
           "    signing_secret: [" +
           kBetaNew + ", " + kBetaOld +
           "]\n"
           "    sources:\n"
           "      - slug: b-src\n"
           "        verify: { preset: none }\n"
           "        allow_unsigned: true\n"
           "    destinations:\n"
           "      - name: b-dest\n"
           "        type: webhook\n"
           "        url: " +
           beta.url("/beta") +
           "\n"
           "    links:\n"
           "      - { source: b-src, destination: b-dest }\n";
  }

  std::unique_ptr<DispatchProcess> startNode() {
    DispatchOptions o;
    o.projectsYaml = projects();
    auto p = std::make_unique<DispatchProcess>(db, o);
    EXPECT_TRUE(p->start()) << p->log();
    return p;
  }

  void SetUp() override { d = startNode(); }

  std::string send(const std::string& slug, const std::string& type, const std::string& body,
                   Headers h = {}) {
    h["X-Event"] = type;
    std::string why;
    std::string id = accepted(postHook(*d, slug, body, h), &why);
    EXPECT_FALSE(id.empty()) << why;
    return id;
  }

  std::set<std::string> deliveredTo(const std::string& eventId) {
    std::set<std::string> out;
    ApiResponse ev = getEvent(*d, eventId);
    for (const json::Value* x : arrayAt(ev, "deliveries")) out.insert(str(x, "destination"));
    return out;
  }

  std::set<std::string> skippedOf(const std::string& eventId) {
    auto v = skipsOf(getEvent(*d, eventId));
    return {v.begin(), v.end()};
  }

  TestDatabase db;
  Receiver ci{[](int n, const ReceivedRequest&) {
    return ScriptedResponse{n == 0 ? 500 : 200, n == 0 ? "first fails" : "ok", {}, 0};
  }};
  Receiver ops;
  Receiver narrow;
  Receiver chat;
  Receiver relay{[](int n, const ReceivedRequest&) {
    return ScriptedResponse{n == 0 ? 503 : 204, "", {}, 0};
  }};
  Receiver beta;
  std::unique_ptr<DispatchProcess> d;
};

// ------------------------------------------------------------------ fan-out and filters
using RouteFanOut = RouteFixture;

TEST_F(RouteFanOut, DestinationAndLinkFiltersDecideAndSkipsAreRecorded) {
  std::string push = send("gh", "push", R"({"ref":"main"})");
  EXPECT_EQ(deliveredTo(push), (std::set<std::string>{"ci", "audit"}));
  EXPECT_EQ(skippedOf(push),
            (std::set<std::string>{"ops=event type filter", "narrow=event type filter",
                                   "chat=event type filter"}));

  std::string pr = send("gh", "pull_request.opened", R"({"action":"opened"})");
  EXPECT_EQ(deliveredTo(pr), (std::set<std::string>{"ci", "narrow", "audit"}));
  EXPECT_EQ(skippedOf(pr),
            (std::set<std::string>{"ops=event type filter", "chat=event type filter"}));

  std::string issue = send("gh", "issues", R"({"action":"closed"})");
  EXPECT_EQ(deliveredTo(issue), (std::set<std::string>{"ops", "audit", "chat"}));
  EXPECT_EQ(skippedOf(issue),
            (std::set<std::string>{"ci=event type filter", "narrow=event type filter"}));

  // A glob that must not match a prefix only: "pull_request.*" vs "pull_request".
  std::string bare = send("gh", "pull_request", "{}");
  EXPECT_EQ(deliveredTo(bare), (std::set<std::string>{"audit"}));

  // The receivers got exactly what routing promised.
  ASSERT_TRUE(ops.waitFor(1, 5000));
  ASSERT_TRUE(narrow.waitFor(1, 5000));
  ASSERT_TRUE(ci.waitFor(3, 5000));  // push (fails once, then retried) + pull_request
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(ops.count(), 1u);
  EXPECT_EQ(narrow.count(), 1u);
  EXPECT_EQ(ci.count(), 3u);
  EXPECT_EQ(narrow.requests()[0].header("webhook-id"), pr);
  EXPECT_EQ(ops.requests()[0].header("webhook-id"), issue);
  // Each delivery reaches SUCCESS.
  for (const auto& id : {push, pr, issue}) {
    EXPECT_TRUE(eventually(
        [&] {
          ApiResponse ev = getEvent(*d, id);
          auto ds = arrayAt(ev, "deliveries");
          return !ds.empty() && std::all_of(ds.begin(), ds.end(), [](const json::Value* x) {
            return str(x, "status") == "SUCCESS";
          });
        },
        5000))
        << getEvent(*d, id).body;
  }
}

// ------------------------------------------------------------------ outbound headers
using RouteHeaders = RouteFixture;

TEST(RouteSignatureHelper, MatchesTheStandardWebhooksTestVector) {
  // Guards the test's own independent signer (signatures.md test vector).
  EXPECT_EQ(swSign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                   "1614265330", R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_EQ(b64Of("ab"), "YWI=");
  EXPECT_EQ(b64Of("abc"), "YWJj");
  EXPECT_EQ(b64Of("a"), "YQ==");
  EXPECT_EQ(unb64("YWJjZA=="), "abcd");
  EXPECT_EQ(hexOf(std::string("\x00\xff", 2)), "00ff");
}

TEST_F(RouteHeaders, PrefixedHeadersSignatureAndNoForwarding) {
  std::string body = R"({"action":"opened","n":1})";
  std::string pr = send("gh", "pull_request.opened", body,
                        {{"Authorization", "Bearer sender-secret-token"},
                         {"X-Custom", "leak-me"},
                         {"Cookie", "session=abc"}});
  ASSERT_TRUE(ci.waitFor(2, 5000)) << "the 500 was not retried";
  ASSERT_TRUE(narrow.waitFor(1, 5000));
  auto reqs = ci.requests();
  reqs.push_back(narrow.requests()[0]);
  std::string endpointId = reqs[0].header("x-acme-endpoint-id");
  EXPECT_TRUE(isUuidText(endpointId)) << endpointId;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& r = reqs[i];
    SCOPED_TRACE("request " + std::to_string(i) + " " + r.path);
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.body, body);
    EXPECT_EQ(r.header("webhook-id"), pr);  // the event id: every destination, every retry
    EXPECT_EQ(r.header("x-acme-event-id"), pr);
    EXPECT_EQ(r.header("x-acme-event-type"), "pull_request.opened");
    EXPECT_EQ(r.header("x-acme-endpoint-id"), endpointId);
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("user-agent").rfind("Dispatch/", 0), 0u) << r.header("user-agent");
    EXPECT_EQ(r.headers.count("x-dispatch-event-id"), 0u);  // the project's prefix, not ours
    // Incoming headers are not forwarded.
    EXPECT_EQ(r.headers.count("authorization"), 0u);
    EXPECT_EQ(r.headers.count("x-custom"), 0u);
    EXPECT_EQ(r.headers.count("cookie"), 0u);
    EXPECT_EQ(r.headers.count("x-event"), 0u);
    // The signature, checked with the project's secret independently of our signer.
    std::string ts = r.header("webhook-timestamp");
    ASSERT_FALSE(ts.empty());
    EXPECT_LE(std::llabs(std::stoll(ts) - nowMs() / 1000), 10);
    EXPECT_TRUE(swVerifies(r.header("webhook-signature"), kAlphaSecret, pr, ts, r.body))
        << r.header("webhook-signature");
  }
  EXPECT_EQ(reqs[0].header("x-acme-attempt"), "1");
  EXPECT_EQ(reqs[1].header("x-acme-attempt"), "2");
  EXPECT_EQ(reqs[2].header("x-acme-attempt"), "1");
  // The destination's own headers go to that destination only.
  EXPECT_EQ(reqs[0].header("x-team"), "infra");
  EXPECT_EQ(reqs[1].header("x-env"), "test");
  EXPECT_EQ(reqs[2].headers.count("x-team"), 0u);
}

TEST_F(RouteHeaders, DestinationSecretOverridesProjectSigningSecret) {
  std::string issue = send("gh", "issues", R"({"action":"closed"})");
  ASSERT_TRUE(ops.waitFor(1, 5000));
  auto r = ops.requests()[0];
  std::string ts = r.header("webhook-timestamp");
  EXPECT_TRUE(swVerifies(r.header("webhook-signature"), kOverrideSecret, issue, ts, r.body))
      << r.header("webhook-signature");
  EXPECT_FALSE(swVerifies(r.header("webhook-signature"), kAlphaSecret, issue, ts, r.body));
  EXPECT_EQ(r.header("x-acme-event-type"), "issues");
}

TEST_F(RouteHeaders, RotatedProjectSecretSignsWithEach) {
  std::string id = accepted(postHook(*d, "b-src", R"({"x":1})"));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(beta.waitFor(1, 5000));
  auto r = beta.requests()[0];
  std::string sig = r.header("webhook-signature");
  std::string ts = r.header("webhook-timestamp");
  EXPECT_NE(sig.find(' '), std::string::npos) << sig;
  EXPECT_TRUE(swVerifies(sig, kBetaNew, id, ts, r.body)) << sig;
  EXPECT_TRUE(swVerifies(sig, kBetaOld, id, ts, r.body)) << sig;
  EXPECT_EQ(r.header("x-beta-event-id"), id);
  EXPECT_EQ(r.header("x-beta-attempt"), "1");
}

TEST_F(RouteHeaders, EndpointIdIsStableAcrossRestartAndDiffersPerSource) {
  send("gh", "pull_request.opened", "{}");
  ASSERT_TRUE(narrow.waitFor(1, 5000));
  std::string before = narrow.requests()[0].header("x-acme-endpoint-id");
  ASSERT_TRUE(isUuidText(before)) << before;
  send("gh2", "anything", "{}");
  ASSERT_TRUE(narrow.waitFor(2, 5000));
  std::string other = narrow.requests()[1].header("x-acme-endpoint-id");
  EXPECT_TRUE(isUuidText(other)) << other;
  EXPECT_NE(other, before);

  d->kill(SIGTERM);
  ASSERT_EQ(d->wait(10000), 0);
  d = startNode();
  send("gh", "pull_request.closed", "{}");
  ASSERT_TRUE(narrow.waitFor(3, 5000));
  EXPECT_EQ(narrow.requests()[2].header("x-acme-endpoint-id"), before);
}

// ------------------------------------------------------------------ plugins
using RoutePlugins = RouteFixture;

TEST_F(RoutePlugins, FilePluginWritesOneJsonLinePerDelivery) {
  std::string push = send("gh", "push", R"({"ref":"main"})");
  std::string issue = send("gh", "issues", "{ \"action\" : \"closed\" }");
  const std::string path = d->dir() + "/deliveries.jsonl";
  ASSERT_TRUE(eventually([&] { return lines(readText(path)).size() >= 2; }, 5000))
      << readText(path);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string text = readText(path);
  ASSERT_EQ(text.back(), '\n');
  auto ls = lines(text);
  ASSERT_EQ(ls.size(), 2u) << text;
  std::map<std::string, std::string> expectedBody{{push, R"({"ref":"main"})"},
                                                  {issue, "{ \"action\" : \"closed\" }"}};
  std::map<std::string, std::string> expectedType{{push, "push"}, {issue, "issues"}};
  std::set<std::string> seen;
  for (const auto& l : ls) {
    auto doc = json::parse(l);
    ASSERT_TRUE(doc.isOk()) << l;
    const json::Value* v = &doc.value();
    EXPECT_EQ(keysOf(v), (std::set<std::string>{"id", "eventId", "destination", "eventType",
                                                "headers", "body", "deliveredAt"}))
        << l;
    std::string eventId = str(v, "eventId");
    seen.insert(eventId);
    EXPECT_EQ(str(v, "id"), deliveryTo(*d, eventId, "audit")) << l;
    EXPECT_EQ(str(v, "destination"), "audit");
    EXPECT_EQ(str(v, "eventType"), expectedType[eventId]);
    EXPECT_EQ(str(v, "body"), expectedBody[eventId]);
    EXPECT_TRUE(isIsoMs(str(v, "deliveredAt"))) << l;
    const json::Value* h = v->find("headers");
    ASSERT_TRUE(h && h->isObject()) << l;
    EXPECT_EQ(str(h, "X-Acme-Event-ID"), eventId) << l;
    EXPECT_EQ(str(h, "webhook-id"), eventId) << l;
    // The recorded signature verifies over the line's body, as a receiver would check it.
    EXPECT_TRUE(swVerifies(str(h, "webhook-signature"), kAlphaSecret, eventId,
                           str(h, "webhook-timestamp"), str(v, "body")))
        << l;
  }
  EXPECT_EQ(seen, (std::set<std::string>{push, issue}));
  EXPECT_EQ(deliveryStatus(*d, deliveryTo(*d, push, "audit")), "SUCCESS");
}

TEST_F(RoutePlugins, SlackPluginPostsRenderedTemplateSignedOverTheBytesSent) {
  const std::string body = R"({"action":"opened <!channel> & more"})";
  std::string issue = send("gh", "issues", body, {{"Content-Type", "text/plain"}});
  ASSERT_TRUE(chat.waitFor(1, 5000));
  auto r = chat.requests()[0];
  EXPECT_EQ(r.body, R"({"text":"gh sent issues: opened &lt;!channel&gt; &amp; more"})");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("x-acme-event-id"), issue);
  // The Standard Webhooks trio, with the project's secret, over the exact bytes received.
  EXPECT_EQ(r.header("webhook-id"), issue);
  const std::string ts = r.header("webhook-timestamp");
  ASSERT_FALSE(ts.empty());
  EXPECT_LE(std::llabs(std::stoll(ts) - nowMs() / 1000), 10);
  EXPECT_TRUE(swVerifies(r.header("webhook-signature"), kAlphaSecret, issue, ts, r.body))
      << r.header("webhook-signature");
  EXPECT_FALSE(swVerifies(r.header("webhook-signature"), kAlphaSecret, issue, ts, body));
  EXPECT_TRUE(waitDelivery(*d, deliveryTo(*d, issue, "chat"), "SUCCESS", 5000));
}

TEST_F(RoutePlugins, DiscordPluginSignsEachAttemptWithTheDestinationSecret) {
  std::string id = send("gh2", "deploy", R"({"env":"prod"})");
  ASSERT_TRUE(relay.waitFor(2, 8000)) << "the 503 was not retried";
  auto reqs = relay.requests();
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE("attempt " + std::to_string(i + 1));
    const auto& r = reqs[i];
    EXPECT_EQ(r.body, R"({"content":"**deploy** from gh2: {\"env\":\"prod\"}"})");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("webhook-id"), id);  // the same message on every retry
    EXPECT_EQ(r.header("x-acme-attempt"), std::to_string(i + 1));
    const std::string ts = r.header("webhook-timestamp");
    EXPECT_TRUE(swVerifies(r.header("webhook-signature"), kRelaySecret, id, ts, r.body))
        << r.header("webhook-signature");
    EXPECT_FALSE(swVerifies(r.header("webhook-signature"), kAlphaSecret, id, ts, r.body));
  }
  EXPECT_TRUE(waitDelivery(*d, deliveryTo(*d, id, "relay"), "SUCCESS", 5000));
}

}  // namespace
}  // namespace dispatch::test
