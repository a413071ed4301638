// The senders' side of the presets (core/verify/sender.h): published vectors where the sender
// publishes one (GitHub, Slack, Standard Webhooks), vectors computed with `openssl dgst` for
// Stripe and Shopify, and every keyed preset's signature accepted by that preset's own
// verifier — and refused under another secret, on another body and by the other presets.
#include "core/verify/sender.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <map>
#include <string>

#include "core/verify/presets.h"
#include "core/verify/verifier.h"

namespace dispatch::verify {
namespace {

std::map<std::string, std::string> asMap(const SenderHeaders& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : headers) out[k] = v;
  return out;
}

SenderHeaders signOk(std::string_view preset, std::string_view secret, const SenderMessage& m) {
  Result<SenderHeaders> h = signAsSender(preset, secret, m);
  EXPECT_TRUE(h.isOk()) << preset << ": " << h.status().message();
  return h.isOk() ? h.value() : SenderHeaders{};
}

// docs.github.com, "Validating webhook deliveries": the documented example.
TEST(SenderTest, GithubDocumentedVector) {
  SenderMessage m{.body = "Hello, World!", .timestampSec = 0, .messageId = ""};
  auto h = signOk("github", "It's a Secret to Everybody", m);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].first, "X-Hub-Signature-256");
  EXPECT_EQ(h[0].second, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  // The generic hmac preset signs the same way, in the same header.
  EXPECT_EQ(signOk("hmac", "It's a Secret to Everybody", m), h);
}

// api.slack.com, "Verifying requests from Slack": the documented example.
TEST(SenderTest, SlackDocumentedVector) {
  const std::string body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
      "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
      "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
      "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
      "803a0bc887a14d10d2c447fce8b6703c";
  SenderMessage m{.body = body, .timestampSec = 1531420618, .messageId = ""};
  auto h = signOk("slack", "8f742231b10e8888abcd99yyyzzz85a5", m);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], (std::pair<std::string, std::string>{"X-Slack-Request-Timestamp", "1531420618"}));
  EXPECT_EQ(h[1].first, "X-Slack-Signature");
  EXPECT_EQ(h[1].second, "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
}

// contracts/signatures.md's Standard Webhooks test vector.
TEST(SenderTest, StandardWebhooksTestVector) {
  SenderMessage m{.body = R"({"test": 2432232314})",
                  .timestampSec = 1614265330,
                  .messageId = "msg_p5jXN8AQM9LWM0D4loKWxJek"};
  auto h = signOk("standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", m);
  EXPECT_EQ(
      h, (SenderHeaders{{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                        {"webhook-timestamp", "1614265330"},
                        {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}}));
}

// printf '1700000000.<body>' | openssl dgst -sha256 -hmac 'whsec_test_secret_0123456789':
// Stripe keys with the whole secret, prefix included.
TEST(SenderTest, StripeVector) {
  SenderMessage m{.body = R"({"id":"evt_1","type":"charge.succeeded"})",
                  .timestampSec = 1700000000,
                  .messageId = ""};
  auto h = signOk("stripe", "whsec_test_secret_0123456789", m);
  EXPECT_EQ(h, (SenderHeaders{{"Stripe-Signature",
                               "t=1700000000,v1=1569913e4b320349eb0e2685674716ed64f655bea8da96a62"
                               "de6947cf8173d71"}}));
}

// printf '<body>' | openssl dgst -sha256 -hmac 'shpss_0123456789abcdef' -binary | base64
TEST(SenderTest, ShopifyVector) {
  SenderMessage m{.body = R"({"id":820982911946154508})", .timestampSec = 0, .messageId = ""};
  auto h = signOk("shopify", "shpss_0123456789abcdef", m);
  EXPECT_EQ(
      h,
      (SenderHeaders{{"X-Shopify-Hmac-Sha256", "WgzR7rq62vUNCmcicvvYrYZJZaD2hIzKWpcvIVtnpEg="}}));
}

// A secret each keyed preset accepts (standard-webhooks: base64 of 32 bytes).
std::string secretFor(std::string_view preset, char fill) {
  if (preset == "standard-webhooks") {
    return "whsec_" + std::string(42, fill) + "A=";  // 44 base64 characters: 32 bytes
  }
  return std::string(32, fill);
}

TEST(SenderTest, EveryKeyedPresetsVerifierAcceptsItsSendersSignatureOnly) {
  const int64_t now = 1'800'000'000;
  const std::string body = R"({"type":"x","n":[1,2]})";
  SenderMessage m{.body = body, .timestampSec = now, .messageId = "0190d7a2-3f0e-7c2a-9b1e"};
  size_t keyed = 0;
  for (const Preset& p : presets()) {
    if (!p.keyed()) continue;
    ++keyed;
    const std::string secret = secretFor(p.name, 'a');
    ASSERT_EQ(secretError(p.name, secret), std::nullopt) << p.name;
    const auto headers = asMap(signOk(p.name, secret, m));
    ASSERT_FALSE(headers.empty()) << p.name;
    auto request = [&](std::string_view b) {
      Request r;
      r.header = [&headers](std::string_view name) -> std::optional<std::string> {
        for (const auto& [k, v] : headers) {
          if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) {
            return v;
          }
        }
        return std::nullopt;
      };
      r.body = b;
      r.now = now * 1000;
      return r;
    };
    EXPECT_TRUE(makeVerifier(p.name, {secret})->verify(request(body))) << p.name;
    EXPECT_FALSE(makeVerifier(p.name, {secretFor(p.name, 'b')})->verify(request(body))) << p.name;
    EXPECT_FALSE(makeVerifier(p.name, {secret})->verify(request(body + " "))) << p.name;
    // Each preset's headers are its own: no other preset is fooled (hmac and github share one).
    for (const Preset& other : presets()) {
      if (!other.keyed() || other.name == p.name) continue;
      const bool sameScheme = (p.name == "hmac" || p.name == "github") &&
                              (other.name == "hmac" || other.name == "github");
      EXPECT_EQ(makeVerifier(other.name, {secret})->verify(request(body)), sameScheme)
          << p.name << " signed, " << other.name << " verified";
    }
  }
  EXPECT_EQ(keyed, 6u);
}

TEST(SenderTest, TimestampedPresetsSignTheTimeGiven) {
  SenderMessage m{.body = "{}", .timestampSec = 1234567890, .messageId = "id-1"};
  EXPECT_EQ(asMap(signOk("slack", secretFor("slack", 'a'), m))["X-Slack-Request-Timestamp"],
            "1234567890");
  EXPECT_EQ(asMap(signOk("stripe", secretFor("stripe", 'a'), m))["Stripe-Signature"].substr(0, 13),
            "t=1234567890,");
  auto sw = asMap(signOk("standard-webhooks", secretFor("standard-webhooks", 'a'), m));
  EXPECT_EQ(sw["webhook-timestamp"], "1234567890");
  EXPECT_EQ(sw["webhook-id"], "id-1");
}

TEST(SenderTest, PresetsWithoutSignatureAndBadSecretsAreRefusedWithoutQuotingTheSecret) {
  SenderMessage m{.body = "{}", .timestampSec = 1, .messageId = "x"};
  for (const char* preset : {"api-key", "none", "nope", ""}) {
    Result<SenderHeaders> h = signAsSender(preset, "s3cret-value-0123456789", m);
    EXPECT_FALSE(h.isOk()) << preset;
    EXPECT_EQ(h.status().code(), Code::kInvalid) << preset;
    EXPECT_EQ(h.status().message().find("s3cret"), std::string::npos) << preset;
  }
  Result<SenderHeaders> bad = signAsSender("standard-webhooks", "whsec_not*base64!", m);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
  EXPECT_EQ(bad.status().message().find("not*base64"), std::string::npos);
}

}  // namespace
}  // namespace dispatch::verify
