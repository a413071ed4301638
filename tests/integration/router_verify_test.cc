// Source endpoints: every inbound signature preset, with signatures computed independently
// (OpenSSL HMAC() and our own hex/base64), tampered bodies, stale timestamps, rotated secrets,
// API keys of the right and the wrong project, unknown slugs.
#include <gtest/gtest.h>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

const std::string kHmacNew = "hmac-new-secret-1";
const std::string kHmacOld = "hmac-old-secret-0";
const std::string kGhNew = "github-new-secret";
const std::string kGhOld = "github-old-secret";
const std::string kStripeNew = "whsec_stripeNewSecretValue";
const std::string kStripeOld = "whsec_stripeOldSecretValue";
const std::string kShopNew = "shopify-new-secret";
const std::string kShopOld = "shopify-old-secret";
const std::string kSlackNew = "slack-new-signing-secret";
const std::string kSlackOld = "slack-old-signing-secret";
const std::string kSwNew = "whsec_" + b64Of("standard-webhooks-new-key-32bytes");
const std::string kSwOld = "whsec_" + b64Of("standard-webhooks-old-key-32bytes");

std::string projectsYaml() {
  return "projects:\n"
         "  - name: alpha\n"
         "    signing_secret: " +
         std::string(kAlphaSecret) +
         "\n"
         "    sources:\n"
         "      - slug: v-hmac\n"
         "        verify: { preset: hmac, secret: [" +
         kHmacNew + ", " + kHmacOld +
         "] }\n"
         "        event_type: { path: kind }\n"
         "      - slug: v-github\n"
         "        verify: { preset: github, secret: [" +
         kGhNew + ", " + kGhOld +
         "] }\n"
         "      - slug: v-stripe\n"
         "        verify: { preset: stripe, secret: [" +
         kStripeNew + ", " + kStripeOld +
         "] }\n"
         "      - slug: v-stripe-short\n"
         "        verify: { preset: stripe, secret: " +
         kStripeNew +
         ", tolerance: 60s }\n"
         "      - slug: v-shopify\n"
         "        verify: { preset: shopify, secret: [" +
         kShopNew + ", " + kShopOld +
         "] }\n"
         "      - slug: v-slack\n"
         "        verify: { preset: slack, secret: [" +
         kSlackNew + ", " + kSlackOld +
         "] }\n"
         "      - slug: v-sw\n"
         "        verify: { preset: standard-webhooks, secret: [" +
         kSwNew + ", " + kSwOld +
         "] }\n"
         "      - slug: v-apikey\n"
         "        verify: { preset: api-key }\n"
         "      - slug: v-none\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n"
         "  - name: beta\n"
         "    header_prefix: Beta\n"
         "    signing_secret: whsec_dGhpcyBpcyBiZXRhJ3Mgc2lnbmluZyBrZXkhIQ==\n";
}

class VerifyFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    DispatchOptions o;
    o.projectsYaml = projectsYaml();
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
  }

  // 202 with {"event_id": <uuid>} and message "Event accepted"; the event is stored.
  void expectAccepted(const ApiResponse& r, const std::string& slug) {
    ASSERT_TRUE(isOk(r, 202, "Event accepted")) << slug;
    std::string id = str(r.data(), "event_id");
    ASSERT_TRUE(isUuidText(id)) << r.body;
    EXPECT_EQ(keysOf(r.data()), std::set<std::string>{"event_id"}) << r.body;
    auto ev = getEvent(*d, id);
    EXPECT_EQ(ev.status, 200) << ev.body;
    EXPECT_EQ(str(ev.data(), "source"), slug);
  }

  void expectRejected(const ApiResponse& r, const std::string& what) {
    EXPECT_TRUE(isError(r, 401, "Invalid signature")) << what;
  }

  int64_t events() const { return std::stoll(db.scalar("SELECT count(*) FROM events")); }

  TestDatabase db;
  std::unique_ptr<DispatchProcess> d;
};

const std::string kBody = R"({"kind":"order.created","id":17,"note":"caf\u00e9 ✓"})";

// ------------------------------------------------------------------ hmac
using VerifyHmac = VerifyFixture;

TEST_F(VerifyHmac, HubSignatureHeaderValidTamperedAndRotated) {
  std::string sig = "sha256=" + hexOf(hmac256(kHmacNew, kBody));
  expectAccepted(postHook(*d, "v-hmac", kBody, {{"X-Hub-Signature-256", sig}}), "v-hmac");
  expectRejected(postHook(*d, "v-hmac", flipByte(kBody), {{"X-Hub-Signature-256", sig}}),
                 "flipped byte");
  // Old secret of the rotation list still verifies; an unrelated one does not.
  std::string old = "sha256=" + hexOf(hmac256(kHmacOld, kBody));
  expectAccepted(postHook(*d, "v-hmac", kBody, {{"X-Hub-Signature-256", old}}), "v-hmac");
  std::string other = "sha256=" + hexOf(hmac256("not-the-secret", kBody));
  expectRejected(postHook(*d, "v-hmac", kBody, {{"X-Hub-Signature-256", other}}), "wrong secret");
  // Uppercase hex is accepted.
  std::string upper = "sha256=" + hexOf(hmac256(kHmacNew, kBody), true);
  expectAccepted(postHook(*d, "v-hmac", kBody, {{"X-Hub-Signature-256", upper}}), "v-hmac");
  // An empty body signs and is stored as empty.
  auto empty = postHook(*d, "v-hmac", "",
                        {{"X-Hub-Signature-256", "sha256=" + hexOf(hmac256(kHmacNew, ""))}});
  expectAccepted(empty, "v-hmac");
  EXPECT_EQ(str(getEvent(*d, str(empty.data(), "event_id")).data(), "body"), "");
  // Missing signature, missing prefix.
  expectRejected(postHook(*d, "v-hmac", kBody), "no signature");
  expectRejected(
      postHook(*d, "v-hmac", kBody, {{"X-Hub-Signature-256", hexOf(hmac256(kHmacNew, kBody))}}),
      "no sha256= prefix");
  EXPECT_EQ(events(), 4);
}

TEST_F(VerifyHmac, DispatchSignatureHeaderValidTamperedAndRotated) {
  std::string sig = "sha256=" + hexOf(hmac256(kHmacNew, kBody));
  expectAccepted(postHook(*d, "v-hmac", kBody, {{"X-Dispatch-Signature", sig}}), "v-hmac");
  expectRejected(postHook(*d, "v-hmac", flipByte(kBody, 10), {{"X-Dispatch-Signature", sig}}),
                 "flipped byte");
  std::string old = "sha256=" + hexOf(hmac256(kHmacOld, kBody));
  expectAccepted(postHook(*d, "v-hmac", kBody, {{"X-Dispatch-Signature", old}}), "v-hmac");
  EXPECT_EQ(events(), 2);
}

TEST_F(VerifyHmac, SignatureIsOverRawBytesNotReserialisedJson) {
  // Whitespace and key order that a re-serialisation would change.
  std::string body = "{ \"b\" : 2,\n  \"a\":1.50 }";
  std::string sig = "sha256=" + hexOf(hmac256(kHmacNew, body));
  auto r = postHook(*d, "v-hmac", body, {{"X-Hub-Signature-256", sig}});
  expectAccepted(r, "v-hmac");
  auto ev = getEvent(*d, str(r.data(), "event_id"));
  EXPECT_EQ(str(ev.data(), "body"), body);
}

// ------------------------------------------------------------------ github
using VerifyGithub = VerifyFixture;

TEST_F(VerifyGithub, ValidTamperedRotatedAndDefaults) {
  std::string sig = "sha256=" + hexOf(hmac256(kGhNew, kBody));
  auto r = postHook(*d, "v-github", kBody,
                    {{"X-Hub-Signature-256", sig},
                     {"X-GitHub-Event", "push"},
                     {"X-GitHub-Delivery", "gh-delivery-1"}});
  expectAccepted(r, "v-github");
  // The preset's defaults: event type from X-GitHub-Event, idempotency from X-GitHub-Delivery.
  auto ev = getEvent(*d, str(r.data(), "event_id"));
  EXPECT_EQ(str(ev.data(), "eventType"), "push");
  auto dup = postHook(*d, "v-github", kBody,
                      {{"X-Hub-Signature-256", sig},
                       {"X-GitHub-Event", "push"},
                       {"X-GitHub-Delivery", "gh-delivery-1"}});
  EXPECT_TRUE(isOk(dup, 200, "Duplicate event"));
  EXPECT_EQ(str(dup.data(), "event_id"), str(r.data(), "event_id"));

  expectRejected(postHook(*d, "v-github", flipByte(kBody), {{"X-Hub-Signature-256", sig}}),
                 "flipped byte");
  std::string old = "sha256=" + hexOf(hmac256(kGhOld, kBody));
  expectAccepted(postHook(*d, "v-github", kBody, {{"X-Hub-Signature-256", old}}), "v-github");
  // github accepts only X-Hub-Signature-256, not our own header.
  expectRejected(postHook(*d, "v-github", kBody, {{"X-Dispatch-Signature", sig}}),
                 "X-Dispatch-Signature on github");
  EXPECT_EQ(events(), 2);
}

// ------------------------------------------------------------------ stripe
using VerifyStripe = VerifyFixture;

std::string stripeHeader(const std::string& secret, const std::string& ts,
                         const std::string& body) {
  return "t=" + ts + ",v1=" + hexOf(hmac256(secret, ts + "." + body));
}

TEST_F(VerifyStripe, ValidTamperedStaleAndRotated) {
  std::string body = R"({"id":"evt_1","type":"invoice.paid","data":{"object":{}}})";
  std::string ts = nowSec();
  auto r =
      postHook(*d, "v-stripe", body, {{"Stripe-Signature", stripeHeader(kStripeNew, ts, body)}});
  expectAccepted(r, "v-stripe");
  // Stripe's event type defaults to the body's `type`.
  EXPECT_EQ(str(getEvent(*d, str(r.data(), "event_id")).data(), "eventType"), "invoice.paid");

  expectRejected(postHook(*d, "v-stripe", flipByte(body, 8),
                          {{"Stripe-Signature", stripeHeader(kStripeNew, ts, body)}}),
                 "flipped byte");
  // Stale (and far-future) timestamps, correctly signed, are refused.
  std::string stale = nowSec(-400);
  expectRejected(
      postHook(*d, "v-stripe", body, {{"Stripe-Signature", stripeHeader(kStripeNew, stale, body)}}),
      "stale");
  std::string future = nowSec(+400);
  expectRejected(postHook(*d, "v-stripe", body,
                          {{"Stripe-Signature", stripeHeader(kStripeNew, future, body)}}),
                 "future");
  // A signature for another timestamp than the one in the header (one second before `ts`, not
  // nowSec(-1), which equals `ts` once the clock has ticked since).
  const std::string before = std::to_string(std::stoll(ts) - 1);
  expectRejected(postHook(*d, "v-stripe", body,
                          {{"Stripe-Signature",
                            "t=" + ts + ",v1=" + hexOf(hmac256(kStripeNew, before + "." + body))}}),
                 "timestamp mismatch");
  // Old secret; and several v1 entries where only one matches.
  expectAccepted(
      postHook(*d, "v-stripe", body, {{"Stripe-Signature", stripeHeader(kStripeOld, ts, body)}}),
      "v-stripe");
  std::string multi = "t=" + ts + ",v1=" + hexOf(hmac256("wrong", ts + "." + body)) +
                      ",v1=" + hexOf(hmac256(kStripeNew, ts + "." + body));
  expectAccepted(postHook(*d, "v-stripe", body, {{"Stripe-Signature", multi}}), "v-stripe");
  EXPECT_EQ(events(), 3);
}

TEST_F(VerifyStripe, ConfiguredToleranceIsTheReplayWindow) {
  std::string body = R"({"type":"x"})";
  expectAccepted(postHook(*d, "v-stripe-short", body,
                          {{"Stripe-Signature", stripeHeader(kStripeNew, nowSec(-30), body)}}),
                 "v-stripe-short");
  expectRejected(postHook(*d, "v-stripe-short", body,
                          {{"Stripe-Signature", stripeHeader(kStripeNew, nowSec(-120), body)}}),
                 "outside 60s");
}

// ------------------------------------------------------------------ shopify
using VerifyShopify = VerifyFixture;

TEST_F(VerifyShopify, ValidTamperedRotatedAndDefaults) {
  std::string sig = b64Of(hmac256(kShopNew, kBody));
  auto r = postHook(*d, "v-shopify", kBody,
                    {{"X-Shopify-Hmac-Sha256", sig},
                     {"X-Shopify-Topic", "orders/create"},
                     {"X-Shopify-Webhook-Id", "shop-1"}});
  expectAccepted(r, "v-shopify");
  EXPECT_EQ(str(getEvent(*d, str(r.data(), "event_id")).data(), "eventType"), "orders/create");
  auto dup = postHook(*d, "v-shopify", kBody,
                      {{"X-Shopify-Hmac-Sha256", sig}, {"X-Shopify-Webhook-Id", "shop-1"}});
  EXPECT_TRUE(isOk(dup, 200, "Duplicate event"));
  EXPECT_EQ(str(dup.data(), "event_id"), str(r.data(), "event_id"));
  expectRejected(postHook(*d, "v-shopify", flipByte(kBody), {{"X-Shopify-Hmac-Sha256", sig}}),
                 "flipped byte");
  // Hex instead of base64 is not the scheme.
  expectRejected(postHook(*d, "v-shopify", kBody,
                          {{"X-Shopify-Hmac-Sha256", hexOf(hmac256(kShopNew, kBody))}}),
                 "hex digest");
  expectAccepted(postHook(*d, "v-shopify", kBody,
                          {{"X-Shopify-Hmac-Sha256", b64Of(hmac256(kShopOld, kBody))}}),
                 "v-shopify");
  EXPECT_EQ(events(), 2);
}

// ------------------------------------------------------------------ slack
using VerifySlack = VerifyFixture;

Headers slackHeaders(const std::string& secret, const std::string& ts, const std::string& body) {
  return {{"X-Slack-Request-Timestamp", ts},
          {"X-Slack-Signature", "v0=" + hexOf(hmac256(secret, "v0:" + ts + ":" + body))}};
}

TEST_F(VerifySlack, ValidTamperedStaleAndRotated) {
  std::string body = "token=x&team_id=T1&command=%2Fdeploy&text=now";
  std::string ts = nowSec();
  auto h = slackHeaders(kSlackNew, ts, body);
  h["Content-Type"] = "application/x-www-form-urlencoded";
  expectAccepted(postHook(*d, "v-slack", body, h), "v-slack");
  expectRejected(postHook(*d, "v-slack", flipByte(body, 4), h), "flipped byte");
  auto stale = slackHeaders(kSlackNew, nowSec(-301 - 30), body);
  expectRejected(postHook(*d, "v-slack", body, stale), "stale");
  // The timestamp header altered after signing.
  auto moved = h;
  moved["X-Slack-Request-Timestamp"] = nowSec(-2);
  expectRejected(postHook(*d, "v-slack", body, moved), "timestamp altered");
  expectAccepted(postHook(*d, "v-slack", body, slackHeaders(kSlackOld, ts, body)), "v-slack");
  EXPECT_EQ(events(), 2);
}

// ------------------------------------------------------------------ standard webhooks
using VerifyStandardWebhooks = VerifyFixture;

Headers swHeaders(const std::string& secret, const std::string& id, const std::string& ts,
                  const std::string& body) {
  return {{"webhook-id", id},
          {"webhook-timestamp", ts},
          {"webhook-signature", swSign(secret, id, ts, body)}};
}

TEST_F(VerifyStandardWebhooks, ValidTamperedStaleRotatedAndIdempotent) {
  std::string ts = nowSec();
  auto r = postHook(*d, "v-sw", kBody, swHeaders(kSwNew, "msg_1", ts, kBody));
  expectAccepted(r, "v-sw");
  expectRejected(postHook(*d, "v-sw", flipByte(kBody), swHeaders(kSwNew, "msg_2", ts, kBody)),
                 "flipped byte");
  expectRejected(postHook(*d, "v-sw", kBody, swHeaders(kSwNew, "msg_3", nowSec(-400), kBody)),
                 "stale");
  // The id is signed: another id with the same signature fails.
  auto other = swHeaders(kSwNew, "msg_4", ts, kBody);
  other["webhook-id"] = "msg_5";
  expectRejected(postHook(*d, "v-sw", kBody, other), "id altered");
  // The old secret, and a rotation header with two entries where the second matches.
  expectAccepted(postHook(*d, "v-sw", kBody, swHeaders(kSwOld, "msg_6", ts, kBody)), "v-sw");
  auto two = swHeaders(kSwNew, "msg_7", ts, kBody);
  two["webhook-signature"] =
      swSign("whsec_" + b64Of("some-unrelated-key-0123456789"), "msg_7", ts, kBody) + " " +
      two["webhook-signature"];
  expectAccepted(postHook(*d, "v-sw", kBody, two), "v-sw");
  // Idempotency defaults to webhook-id.
  auto dup = postHook(*d, "v-sw", kBody, swHeaders(kSwNew, "msg_1", ts, kBody));
  EXPECT_TRUE(isOk(dup, 200, "Duplicate event"));
  EXPECT_EQ(str(dup.data(), "event_id"), str(r.data(), "event_id"));
  EXPECT_EQ(events(), 3);
}

// The Svix names of the trio, as Svix-based senders send by default: a msg_ id, Unix seconds,
// and several space-separated `v1,<base64>` signatures (the sender rotates its secret).
Headers svixHeaders(const std::string& secret, const std::string& id, const std::string& ts,
                    const std::string& body) {
  const std::string unrelated = "whsec_" + b64Of("a-key-this-source-does-not-know");
  return {{"svix-id", id},
          {"svix-timestamp", ts},
          {"svix-signature", swSign(unrelated, id, ts, body) + " " + swSign(secret, id, ts, body)}};
}

TEST_F(VerifyStandardWebhooks, SvixNamesValidTamperedStaleMixedAndIdempotent) {
  std::string ts = nowSec();
  auto r = postHook(*d, "v-sw", kBody, svixHeaders(kSwNew, "msg_2Lk9svix", ts, kBody));
  expectAccepted(r, "v-sw");
  expectAccepted(postHook(*d, "v-sw", kBody, svixHeaders(kSwOld, "msg_svixOld", ts, kBody)),
                 "v-sw");
  expectRejected(postHook(*d, "v-sw", flipByte(kBody), svixHeaders(kSwNew, "msg_s2", ts, kBody)),
                 "tampered body");
  expectRejected(postHook(*d, "v-sw", kBody, svixHeaders(kSwNew, "msg_s3", nowSec(-400), kBody)),
                 "stale");
  expectRejected(postHook(*d, "v-sw", kBody, svixHeaders(kSwNew, "msg_s4", nowSec(400), kBody)),
                 "from the future");
  // Mixed names: one header of each naming never make a trio, though every value is right.
  Headers svix = svixHeaders(kSwNew, "msg_s5", ts, kBody);
  Headers standard = swHeaders(kSwNew, "msg_s5", ts, kBody);
  expectRejected(postHook(*d, "v-sw", kBody,
                          {{"svix-id", "msg_s5"},
                           {"webhook-timestamp", ts},
                           {"webhook-signature", standard["webhook-signature"]}}),
                 "svix-id with webhook-timestamp and webhook-signature");
  expectRejected(postHook(*d, "v-sw", kBody,
                          {{"webhook-id", "msg_s5"},
                           {"svix-timestamp", ts},
                           {"svix-signature", svix["svix-signature"]}}),
                 "webhook-id with svix-timestamp and svix-signature");
  expectRejected(postHook(*d, "v-sw", kBody,
                          {{"svix-id", "msg_s5"},
                           {"svix-timestamp", ts},
                           {"webhook-signature", standard["webhook-signature"]}}),
                 "svix-id and svix-timestamp with webhook-signature");
  // Both namings complete: the webhook-* trio is the one checked.
  Headers both = svix;
  both.insert(standard.begin(), standard.end());
  expectAccepted(postHook(*d, "v-sw", kBody, both), "v-sw");
  both["webhook-signature"] = swSign(kSwNew, "msg_s5", ts, flipByte(kBody));
  expectRejected(postHook(*d, "v-sw", kBody, both),
                 "a wrong webhook-signature beside a good svix one");
  EXPECT_EQ(events(), 3);

  // Idempotency: svix-id stands in for webhook-id, so a retry is one event, under either naming.
  auto dup = postHook(*d, "v-sw", kBody, svixHeaders(kSwNew, "msg_2Lk9svix", nowSec(), kBody));
  EXPECT_TRUE(isOk(dup, 200, "Duplicate event")) << dup.body;
  EXPECT_EQ(str(dup.data(), "event_id"), str(r.data(), "event_id"));
  auto renamed = postHook(*d, "v-sw", kBody, swHeaders(kSwNew, "msg_2Lk9svix", ts, kBody));
  EXPECT_TRUE(isOk(renamed, 200, "Duplicate event")) << renamed.body;
  EXPECT_EQ(str(renamed.data(), "event_id"), str(r.data(), "event_id"));
  EXPECT_EQ(events(), 3);
}

// ------------------------------------------------------------------ api-key, none, slugs
using VerifyApiKey = VerifyFixture;

TEST_F(VerifyApiKey, OwnProjectKeyOnly) {
  std::string alphaKey = d->createKey("alpha");
  std::string betaKey = d->createKey("beta");
  expectAccepted(postHook(*d, "v-apikey", kBody, {{"Authorization", "Bearer " + alphaKey}}),
                 "v-apikey");
  expectRejected(postHook(*d, "v-apikey", kBody, {{"Authorization", "Bearer " + betaKey}}),
                 "another project's key");
  expectRejected(postHook(*d, "v-apikey", kBody), "no key");
  expectRejected(
      postHook(*d, "v-apikey", kBody, {{"Authorization", "Bearer sk_" + std::string(64, 'a')}}),
      "unknown key");
  expectRejected(
      postHook(*d, "v-apikey", kBody, {{"Authorization", std::string("Bearer ") + kAdminToken}}),
      "admin token is not a project key");
  // A revoked key stops working at once.
  auto list = d->call("GET", "/api/v1/projects/alpha/keys", "", asAdmin());
  ASSERT_EQ(list.status, 200) << list.body;
  for (const auto& k : list.data()->items()) {
    auto del = d->call("DELETE", "/api/v1/projects/alpha/keys/" + str(&k, "id"), "", asAdmin());
    ASSERT_EQ(del.status, 200) << del.body;
  }
  expectRejected(postHook(*d, "v-apikey", kBody, {{"Authorization", "Bearer " + alphaKey}}),
                 "revoked key");
  EXPECT_EQ(events(), 1);
}

using VerifyNone = VerifyFixture;

TEST_F(VerifyNone, UnsignedSourceAcceptsAnything) {
  expectAccepted(postHook(*d, "v-none", kBody), "v-none");
  expectAccepted(postHook(*d, "v-none", "plain text", {{"Content-Type", "text/plain"}}), "v-none");
}

using VerifySlug = VerifyFixture;

TEST_F(VerifySlug, UnknownSlugIs404AndNothingStored) {
  std::string sig = "sha256=" + hexOf(hmac256(kHmacNew, kBody));
  auto r = postHook(*d, "no-such-source", kBody, {{"X-Hub-Signature-256", sig}});
  EXPECT_EQ(r.status, 404) << r.body;
  ASSERT_TRUE(r.json) << r.body;
  EXPECT_FALSE(r.json->find("status")->asBool());
  EXPECT_TRUE(isNullField(r.json.get(), "data"));
  EXPECT_EQ(events(), 0);
  EXPECT_EQ(d->call("GET", "/hooks/v-none").status, 405);
}

TEST(VerifyConfig, PresetNoneWithoutAllowUnsignedIsAConfigError) {
  TestDatabase db;
  DispatchOptions o;
  o.projectsYaml =
      "projects:\n"
      "  - name: alpha\n"
      "    signing_secret: " +
      std::string(kAlphaSecret) +
      "\n"
      "    sources:\n"
      "      - slug: open\n"
      "        verify: { preset: none }\n";
  DispatchProcess d(db, o);
  auto cli = runCli({"check-config", "--config", d.configPath()}, {{"DATABASE_URL", db.url()}});
  EXPECT_EQ(cli.exitCode, 1) << cli.out;
  EXPECT_NE(cli.out.find("allow_unsigned"), std::string::npos) << cli.out;
  EXPECT_FALSE(d.start(8000));
}

}  // namespace
}  // namespace dispatch::test
