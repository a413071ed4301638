// Inbound verifiers, every preset, against signatures computed here independently (OpenSSL's
// HMAC() and this file's own hex/base64), never with our crypto helpers or the signer.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/verify/verifier.h"

namespace dispatch::verify {
namespace {

// ---- independent primitives -------------------------------------------------------------

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex(std::string_view bytes, bool upper = false) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string b64(std::string_view bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// ---- requests ---------------------------------------------------------------------------

struct CaseLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return strcasecmp(a.c_str(), b.c_str()) < 0;
  }
};
using Headers = std::map<std::string, std::string, CaseLess>;

bool verifyWith(const Verifier& v, const Headers& headers, std::string_view body, TimeMs now) {
  Request request;
  request.header = [&headers](std::string_view name) -> std::optional<std::string> {
    auto it = headers.find(std::string(name));
    if (it == headers.end()) return std::nullopt;
    return it->second;
  };
  request.body = body;
  request.now = now;
  return v.verify(request);
}

// A secret as configured (`whsec_<base64>`) and its raw bytes. Presets other than
// standard-webhooks key the HMAC with the configured string itself.
struct Secret {
  std::string raw;
  std::string configured;
};
Secret makeSecret(std::string raw) { return Secret{raw, "whsec_" + b64(raw)}; }

const Secret kNew = makeSecret("the new secret, 24 bytes");
const Secret kOld = makeSecret("the old secret, rotating out");
const Secret kWrong = makeSecret("somebody else's secret!!");

constexpr int64_t kTs = 1'700'000'000;  // Unix seconds of the signed request
constexpr TimeMs kNowMs = kTs * 1000 + 1'500;
constexpr int64_t kToleranceMs = 300'000;
const std::string kBody = R"({"action":"opened","number":42,"note":"naïve \u00e9"})";

// ---- the presets under test -------------------------------------------------------------

struct Preset {
  std::string name;
  bool timestamped;
  // The headers a legitimate sender attaches to `body` signed at `tsSec` with `secret`.
  std::function<Headers(const Secret& secret, std::string_view body, int64_t tsSec)> sign;
  // Malformed variants of a valid header set (each must be rejected).
  std::function<std::vector<Headers>(const Headers& valid)> malformed;
  // The test's name when it is not `name` (one preset, another header naming).
  std::string label = {};
};

Headers with(Headers h, const std::string& name, const std::string& value) {
  h[name] = value;
  return h;
}

std::vector<Headers> hexSignatureVariants(const Headers& v, const std::string& header,
                                          const std::string& prefix) {
  const std::string sig = v.at(header);
  const std::string digest = sig.substr(prefix.size());
  return {
      with(v, header, ""),
      with(v, header, digest),                                // no prefix
      with(v, header, "md5=" + digest),                       // other algorithm label
      with(v, header, sig.substr(0, sig.size() - 1)),         // truncated
      with(v, header, sig + "0"),                             // too long
      with(v, header, sig + "00"),                            // an extra byte
      with(v, header, prefix + std::string(64, 'g')),         // not hex
      with(v, header, prefix + digest.substr(0, 62) + "zz"),  // partly not hex
      with(v, header, prefix),                                // prefix only
      with(v, header, prefix + b64(std::string(32, 'x'))),    // base64, not hex
  };
}

const Preset kHmac{
    "hmac", false,
    [](const Secret& s, std::string_view body, int64_t) {
      return Headers{{"X-Hub-Signature-256", "sha256=" + hex(hmac(s.configured, body))}};
    },
    [](const Headers& v) { return hexSignatureVariants(v, "X-Hub-Signature-256", "sha256="); }};

const Preset kGithub{
    "github", false,
    [](const Secret& s, std::string_view body, int64_t) {
      return Headers{{"X-Hub-Signature-256", "sha256=" + hex(hmac(s.configured, body))},
                     {"X-GitHub-Event", "push"}};
    },
    [](const Headers& v) { return hexSignatureVariants(v, "X-Hub-Signature-256", "sha256="); }};

const Preset kStripe{
    "stripe", true,
    [](const Secret& s, std::string_view body, int64_t ts) {
      const std::string t = std::to_string(ts);
      return Headers{{"Stripe-Signature",
                      "t=" + t + ",v1=" + hex(hmac(s.configured, t + "." + std::string(body)))}};
    },
    [](const Headers& v) {
      const std::string sig = v.at("Stripe-Signature");
      const size_t comma = sig.find(',');
      const std::string t = sig.substr(0, comma);
      const std::string v1 = sig.substr(comma + 1);
      const std::string digest = v1.substr(3);
      const std::string h = "Stripe-Signature";
      return std::vector<Headers>{
          with(v, h, ""),
          with(v, h, v1),                                         // no t
          with(v, h, t),                                          // no v1
          with(v, h, t + ",v0=" + digest),                        // only another scheme
          with(v, h, t + "," + t + "," + v1),                     // two timestamps
          with(v, h, "t=abc," + v1),                              // timestamp not a number
          with(v, h, "t=-" + t.substr(2) + "," + v1),             // negative timestamp
          with(v, h, "t=" + std::to_string(kTs + 1) + "," + v1),  // not the signed one
          with(v, h, t + ",v1=" + digest.substr(1)),              // truncated digest
          with(v, h, t + ",v1=" + b64(std::string(32, 'x'))),
          with(v, h, t + ";" + v1),  // wrong separator
          with(v, h, "garbage"),
      };
    }};

const Preset kShopify{"shopify", false,
                      [](const Secret& s, std::string_view body, int64_t) {
                        return Headers{{"X-Shopify-Hmac-Sha256", b64(hmac(s.configured, body))},
                                       {"X-Shopify-Topic", "orders/create"}};
                      },
                      [](const Headers& v) {
                        const std::string sig = v.at("X-Shopify-Hmac-Sha256");
                        const std::string h = "X-Shopify-Hmac-Sha256";
                        return std::vector<Headers>{
                            with(v, h, ""),
                            with(v, h, sig.substr(0, 20)),                       // truncated
                            with(v, h, sig.substr(0, sig.size() - 4) + "%%%="),  // not base64
                            with(v, h, "sha256=" + sig),  // a prefix Shopify never sends
                            with(v, h, hex(hmac(kNew.configured, kBody))),  // hex, not base64
                            with(v, h, b64(std::string(33, 'x'))),          // wrong digest length
                        };
                      }};

const Preset kSlack{
    "slack", true,
    [](const Secret& s, std::string_view body, int64_t ts) {
      const std::string t = std::to_string(ts);
      return Headers{{"X-Slack-Request-Timestamp", t},
                     {"X-Slack-Signature",
                      "v0=" + hex(hmac(s.configured, "v0:" + t + ":" + std::string(body)))}};
    },
    [](const Headers& v) {
      std::vector<Headers> out = hexSignatureVariants(v, "X-Slack-Signature", "v0=");
      const std::string sig = v.at("X-Slack-Signature");
      out.push_back(with(v, "X-Slack-Signature", "v1=" + sig.substr(3)));  // unknown version
      out.push_back(with(v, "X-Slack-Request-Timestamp", ""));
      out.push_back(with(v, "X-Slack-Request-Timestamp", "soon"));
      out.push_back(with(v, "X-Slack-Request-Timestamp", std::to_string(kTs) + ".0"));
      out.push_back(with(v, "X-Slack-Request-Timestamp", std::to_string(kTs + 1)));  // not signed
      return out;
    }};

const Preset kStandardWebhooks{
    "standard-webhooks", true,
    [](const Secret& s, std::string_view body, int64_t ts) {
      const std::string id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
      const std::string t = std::to_string(ts);
      return Headers{
          {"webhook-id", id},
          {"webhook-timestamp", t},
          {"webhook-signature", "v1," + b64(hmac(s.raw, id + "." + t + "." + std::string(body)))}};
    },
    [](const Headers& v) {
      const std::string sig = v.at("webhook-signature");
      const std::string digest = sig.substr(3);
      const std::string h = "webhook-signature";
      return std::vector<Headers>{
          with(v, h, ""),
          with(v, h, digest),                                 // no version
          with(v, h, "v2," + digest),                         // only another version
          with(v, h, "v1a," + digest),                        // asymmetric scheme, not ours
          with(v, h, "v1=" + digest),                         // wrong separator
          with(v, h, "v1," + digest.substr(4)),               // truncated
          with(v, h, "v1," + digest.substr(0, 40) + "!!!="),  // not base64
          with(v, h, "v1," + hex(std::string(32, 'x'))),      // hex, not base64
          with(v, "webhook-id", "msg_other"),                 // not what was signed
          with(v, "webhook-timestamp", "later"),
          with(v, "webhook-timestamp", std::to_string(kTs - 1)),  // not what was signed
          with(v, "webhook-timestamp", "-" + std::to_string(kTs)),
      };
    }};

// standard-webhooks under the Svix names, as Svix sends them by default: the same scheme, so the
// same checks (missing, malformed, replay window, rotation) hold for it.
const Preset kSvix{
    "standard-webhooks", true,
    [](const Secret& s, std::string_view body, int64_t ts) {
      const std::string id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
      const std::string t = std::to_string(ts);
      return Headers{
          {"svix-id", id},
          {"svix-timestamp", t},
          {"svix-signature", "v1," + b64(hmac(s.raw, id + "." + t + "." + std::string(body)))}};
    },
    [](const Headers& v) {
      const std::string digest = v.at("svix-signature").substr(3);
      const std::string h = "svix-signature";
      return std::vector<Headers>{
          with(v, h, ""),
          with(v, h, digest),
          with(v, h, "v2," + digest),
          with(v, h, "v1=" + digest),
          with(v, h, "v1," + digest.substr(4)),
          with(v, "svix-id", "msg_other"),
          with(v, "svix-timestamp", std::to_string(kTs - 1)),
          // A webhook-id present selects the standard names, whose other two are missing.
          with(v, "webhook-id", v.at("svix-id")),
      };
    },
    "svix_names"};

std::unique_ptr<Verifier> make(const Preset& p, const std::vector<const Secret*>& secrets) {
  std::vector<std::string> configured;
  for (const Secret* s : secrets) configured.push_back(s->configured);
  return makeVerifier(p.name, configured, kToleranceMs);
}

class VerifyPresetTest : public ::testing::TestWithParam<Preset> {};

TEST_P(VerifyPresetTest, ValidSignatureVerifies) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(verifyWith(*v, p.sign(kNew, kBody, kTs), kBody, kNowMs));
}

TEST_P(VerifyPresetTest, EmptyBodyVerifies) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  EXPECT_TRUE(verifyWith(*v, p.sign(kNew, "", kTs), "", kNowMs));
}

TEST_P(VerifyPresetTest, FlippedBodyByteFails) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  const Headers headers = p.sign(kNew, kBody, kTs);
  for (size_t i : {size_t{0}, kBody.size() / 2, kBody.size() - 1}) {
    std::string tampered = kBody;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_FALSE(verifyWith(*v, headers, tampered, kNowMs)) << i;
  }
  EXPECT_FALSE(verifyWith(*v, headers, kBody + " ", kNowMs));
  EXPECT_FALSE(verifyWith(*v, headers, kBody.substr(1), kNowMs));
}

TEST_P(VerifyPresetTest, WrongSecretFails) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  EXPECT_FALSE(verifyWith(*v, p.sign(kWrong, kBody, kTs), kBody, kNowMs));
}

TEST_P(VerifyPresetTest, RotatedSecretsAcceptEither) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew, &kOld});
  EXPECT_TRUE(verifyWith(*v, p.sign(kOld, kBody, kTs), kBody, kNowMs));
  EXPECT_TRUE(verifyWith(*v, p.sign(kNew, kBody, kTs), kBody, kNowMs));
  EXPECT_FALSE(verifyWith(*v, p.sign(kWrong, kBody, kTs), kBody, kNowMs));
  // The old secret is refused once it has been rotated out.
  auto newOnly = make(p, {&kNew});
  EXPECT_FALSE(verifyWith(*newOnly, p.sign(kOld, kBody, kTs), kBody, kNowMs));
}

TEST_P(VerifyPresetTest, EmptySecretEntriesAreIgnored) {
  const Preset& p = GetParam();
  auto v = makeVerifier(p.name, {"", kOld.configured}, kToleranceMs);
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(verifyWith(*v, p.sign(kOld, kBody, kTs), kBody, kNowMs));
  // Nothing configured: nothing verifies (not even an HMAC under the empty key).
  auto none = makeVerifier(p.name, {"", ""}, kToleranceMs);
  ASSERT_NE(none, nullptr);
  const Secret empty{"", ""};
  EXPECT_FALSE(verifyWith(*none, p.sign(empty, kBody, kTs), kBody, kNowMs));
  EXPECT_FALSE(verifyWith(*none, p.sign(kOld, kBody, kTs), kBody, kNowMs));
}

TEST_P(VerifyPresetTest, MissingHeadersFail) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  const Headers valid = p.sign(kNew, kBody, kTs);
  EXPECT_FALSE(verifyWith(*v, Headers{}, kBody, kNowMs));
  for (const auto& [name, value] : valid) {
    if (name == "X-GitHub-Event" || name == "X-Shopify-Topic") continue;  // not signed
    Headers without = valid;
    without.erase(name);
    EXPECT_FALSE(verifyWith(*v, without, kBody, kNowMs)) << name;
  }
  Request request;  // no header function at all
  request.body = kBody;
  request.now = kNowMs;
  EXPECT_FALSE(v->verify(request));
}

TEST_P(VerifyPresetTest, MalformedHeadersFail) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  const Headers valid = p.sign(kNew, kBody, kTs);
  const std::vector<Headers> variants = p.malformed(valid);
  ASSERT_FALSE(variants.empty());
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_FALSE(verifyWith(*v, variants[i], kBody, kNowMs)) << "variant " << i;
  }
}

TEST_P(VerifyPresetTest, AbsurdlyLongHeaderFails) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  Headers headers = p.sign(kNew, kBody, kTs);
  for (auto& [name, value] : headers) {
    if (name == "X-GitHub-Event" || name == "X-Shopify-Topic") continue;
    Headers padded = headers;
    padded[name] = value + std::string(9 * 1024, ' ');  // trailing blanks would be trimmed
    EXPECT_FALSE(verifyWith(*v, padded, kBody, kNowMs)) << name;
  }
}

TEST_P(VerifyPresetTest, SurroundingBlanksAreTolerated) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  Headers headers = p.sign(kNew, kBody, kTs);
  for (auto& [name, value] : headers) value = " " + value + "\t";
  EXPECT_TRUE(verifyWith(*v, headers, kBody, kNowMs));
}

TEST_P(VerifyPresetTest, ReplayWindow) {
  const Preset& p = GetParam();
  auto v = make(p, {&kNew});
  const Headers headers = p.sign(kNew, kBody, kTs);
  const TimeMs signedAt = kTs * 1000;
  const bool windowed = p.timestamped;
  // Inside the window, both directions (clock skew), up to the edge.
  EXPECT_TRUE(verifyWith(*v, headers, kBody, signedAt + kToleranceMs));
  EXPECT_TRUE(verifyWith(*v, headers, kBody, signedAt - kToleranceMs));
  // Stale, and from the far future.
  EXPECT_EQ(verifyWith(*v, headers, kBody, signedAt + kToleranceMs + 1), !windowed);
  EXPECT_EQ(verifyWith(*v, headers, kBody, signedAt + 3'600'000), !windowed);
  EXPECT_EQ(verifyWith(*v, headers, kBody, signedAt - kToleranceMs - 1), !windowed);
  EXPECT_EQ(verifyWith(*v, headers, kBody, signedAt - 86'400'000LL * 365), !windowed);
  if (windowed) {
    // A far-future timestamp correctly signed is refused too.
    const Headers future = p.sign(kNew, kBody, 99'999'999'999);
    EXPECT_FALSE(verifyWith(*v, future, kBody, kNowMs));
  }
}

TEST_P(VerifyPresetTest, ToleranceIsConfigurable) {
  const Preset& p = GetParam();
  auto v = makeVerifier(p.name, {kNew.configured}, 60'000);
  const Headers headers = p.sign(kNew, kBody, kTs);
  EXPECT_TRUE(verifyWith(*v, headers, kBody, kTs * 1000 + 60'000));
  // Schemes without a timestamp ignore the tolerance altogether.
  EXPECT_EQ(verifyWith(*v, headers, kBody, kTs * 1000 + 60'001), !p.timestamped);
  // Non-positive means the default 300 s.
  auto dflt = makeVerifier(p.name, {kNew.configured}, 0);
  EXPECT_TRUE(verifyWith(*dflt, headers, kBody, kTs * 1000 + 300'000));
  EXPECT_EQ(verifyWith(*dflt, headers, kBody, kTs * 1000 + 300'001), !p.timestamped);
}

INSTANTIATE_TEST_SUITE_P(VerifyAllPresets, VerifyPresetTest,
                         ::testing::Values(kHmac, kGithub, kStripe, kShopify, kSlack,
                                           kStandardWebhooks, kSvix),
                         [](const ::testing::TestParamInfo<Preset>& info) {
                           std::string name =
                               info.param.label.empty() ? info.param.name : info.param.label;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// ---- preset specifics ---------------------------------------------------------------------

TEST(VerifyFactoryTest, UnknownAndCallerHandledPresetsAreNull) {
  EXPECT_EQ(makeVerifier("none", {"x"}, kToleranceMs), nullptr);
  EXPECT_EQ(makeVerifier("api-key", {"x"}, kToleranceMs), nullptr);
  EXPECT_EQ(makeVerifier("HMAC", {"x"}, kToleranceMs), nullptr);
  EXPECT_EQ(makeVerifier("", {"x"}, kToleranceMs), nullptr);
  EXPECT_EQ(makeVerifier("svix", {"x"}, kToleranceMs), nullptr);
  for (const char* p : {"hmac", "github", "stripe", "shopify", "slack", "standard-webhooks"}) {
    EXPECT_NE(makeVerifier(p, {"x"}, kToleranceMs), nullptr) << p;
    EXPECT_TRUE(isSignaturePreset(p)) << p;
  }
  EXPECT_FALSE(isSignaturePreset("none"));
  EXPECT_FALSE(isSignaturePreset("api-key"));
}

TEST(VerifyHmacTest, AcceptsDispatchHeaderAndUppercaseHex) {
  auto v = makeVerifier("hmac", {kNew.configured}, kToleranceMs);
  const std::string digest = hex(hmac(kNew.configured, kBody));
  EXPECT_TRUE(verifyWith(*v, {{"X-Dispatch-Signature", "sha256=" + digest}}, kBody, kNowMs));
  EXPECT_TRUE(
      verifyWith(*v, {{"X-Hub-Signature-256", "sha256=" + hex(hmac(kNew.configured, kBody), true)}},
                 kBody, kNowMs));
  // Either header may carry the valid one.
  EXPECT_TRUE(verifyWith(*v,
                         {{"X-Hub-Signature-256", "sha256=" + std::string(64, '0')},
                          {"X-Dispatch-Signature", "sha256=" + digest}},
                         kBody, kNowMs));
}

TEST(VerifyHmacTest, KeyIsTheSecretStringAsIs) {
  // A non-whsec secret is used byte for byte, never decoded.
  auto v = makeVerifier("hmac", {"s3cr3t"}, kToleranceMs);
  EXPECT_TRUE(verifyWith(*v, {{"X-Hub-Signature-256", "sha256=" + hex(hmac("s3cr3t", kBody))}},
                         kBody, kNowMs));
}

TEST(VerifyGithubTest, OnlyTheHubHeaderCounts) {
  auto v = makeVerifier("github", {kNew.configured}, kToleranceMs);
  const std::string sig = "sha256=" + hex(hmac(kNew.configured, kBody));
  EXPECT_FALSE(verifyWith(*v, {{"X-Dispatch-Signature", sig}}, kBody, kNowMs));
  EXPECT_TRUE(verifyWith(*v, {{"X-Hub-Signature-256", sig}}, kBody, kNowMs));
  // Legacy SHA-1 header is not accepted as a substitute.
  EXPECT_FALSE(verifyWith(*v, {{"X-Hub-Signature", sig}}, kBody, kNowMs));
}

std::string stripeHeader(std::string_view secret, int64_t ts, std::string_view body) {
  const std::string t = std::to_string(ts);
  return hex(hmac(secret, t + "." + std::string(body)));
}

TEST(VerifyStripeTest, AnyV1MayMatchAndOtherSchemesAreIgnored) {
  auto v = makeVerifier("stripe", {kNew.configured}, kToleranceMs);
  const std::string good = stripeHeader(kNew.configured, kTs, kBody);
  const std::string bad = stripeHeader(kWrong.configured, kTs, kBody);
  const std::string t = "t=" + std::to_string(kTs);
  EXPECT_TRUE(
      verifyWith(*v, {{"Stripe-Signature", t + ",v1=" + bad + ",v1=" + good}}, kBody, kNowMs));
  EXPECT_TRUE(
      verifyWith(*v, {{"Stripe-Signature", "v0=" + bad + "," + t + ",v1=" + good}}, kBody, kNowMs));
  EXPECT_TRUE(verifyWith(*v, {{"Stripe-Signature", t + ", v1=" + good}}, kBody, kNowMs));
  EXPECT_TRUE(verifyWith(*v, {{"Stripe-Signature", t + ",v1=nothex,v1=" + good}}, kBody, kNowMs));
}

TEST(VerifyStripeTest, KeyIsTheWholeSecretStringNotItsDecodedBytes) {
  auto v = makeVerifier("stripe", {kNew.configured}, kToleranceMs);
  const std::string t = "t=" + std::to_string(kTs);
  EXPECT_FALSE(verifyWith(
      *v, {{"Stripe-Signature", t + ",v1=" + stripeHeader(kNew.raw, kTs, kBody)}}, kBody, kNowMs));
}

TEST(VerifyStripeTest, ExaminesAtMostTenSignatures) {
  auto v = makeVerifier("stripe", {kNew.configured}, kToleranceMs);
  const std::string good = stripeHeader(kNew.configured, kTs, kBody);
  const std::string bad = stripeHeader(kWrong.configured, kTs, kBody);
  std::string nine = "t=" + std::to_string(kTs);
  for (int i = 0; i < 9; ++i) nine += ",v1=" + bad;
  EXPECT_TRUE(verifyWith(*v, {{"Stripe-Signature", nine + ",v1=" + good}}, kBody, kNowMs));
  EXPECT_FALSE(
      verifyWith(*v, {{"Stripe-Signature", nine + ",v1=" + bad + ",v1=" + good}}, kBody, kNowMs));
}

TEST(VerifySlackTest, SignsTheTimestampAsSent) {
  auto v = makeVerifier("slack", {kNew.configured}, kToleranceMs);
  // The timestamp is part of the signed string: a valid signature for another time fails.
  const std::string otherTs = std::to_string(kTs - 10);
  const std::string sig = "v0=" + hex(hmac(kNew.configured, "v0:" + otherTs + ":" + kBody));
  EXPECT_FALSE(verifyWith(
      *v, {{"X-Slack-Request-Timestamp", std::to_string(kTs)}, {"X-Slack-Signature", sig}}, kBody,
      kNowMs));
  EXPECT_TRUE(verifyWith(*v, {{"X-Slack-Request-Timestamp", otherTs}, {"X-Slack-Signature", sig}},
                         kBody, kNowMs));
}

// The published Standard Webhooks vector (also in signatures.md), checked inbound.
TEST(VerifyStandardWebhooksTest, PublishedTestVector) {
  const std::string body = R"({"test": 2432232314})";
  const Headers headers{{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                        {"webhook-timestamp", "1614265330"},
                        {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
  auto v =
      makeVerifier("standard-webhooks", {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, kToleranceMs);
  EXPECT_TRUE(verifyWith(*v, headers, body, 1614265330LL * 1000));
  EXPECT_FALSE(verifyWith(*v, headers, body, 1614265330LL * 1000 + kToleranceMs + 1));
  // A secret without the prefix is decoded whole.
  auto bare = makeVerifier("standard-webhooks", {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, kToleranceMs);
  EXPECT_TRUE(verifyWith(*bare, headers, body, 1614265330LL * 1000));
}

Headers standardHeaders(const std::string& signature) {
  return {{"webhook-id", "msg_1"},
          {"webhook-timestamp", std::to_string(kTs)},
          {"webhook-signature", signature}};
}

std::string standardSig(const Secret& s) {
  return "v1," + b64(hmac(s.raw, "msg_1." + std::to_string(kTs) + "." + kBody));
}

TEST(VerifyStandardWebhooksTest, AnyV1EntryMayMatchOtherVersionsIgnored) {
  auto v = makeVerifier("standard-webhooks", {kNew.configured}, kToleranceMs);
  const std::string good = standardSig(kNew);
  const std::string bad = standardSig(kWrong);
  EXPECT_TRUE(verifyWith(*v, standardHeaders(bad + " " + good), kBody, kNowMs));
  EXPECT_TRUE(verifyWith(*v, standardHeaders("v1a,AAAA v2,xyz " + good), kBody, kNowMs));
  EXPECT_TRUE(verifyWith(*v, standardHeaders(good + "  " + bad), kBody, kNowMs));
  // Unpadded base64 is still the same digest.
  std::string unpadded = good;
  unpadded.pop_back();
  EXPECT_TRUE(verifyWith(*v, standardHeaders(unpadded), kBody, kNowMs));
}

TEST(VerifyStandardWebhooksTest, ExaminesAtMostTenSignatures) {
  auto v = makeVerifier("standard-webhooks", {kNew.configured}, kToleranceMs);
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += standardSig(kWrong) + " ";
  EXPECT_TRUE(verifyWith(*v, standardHeaders(nine + standardSig(kNew)), kBody, kNowMs));
  EXPECT_FALSE(verifyWith(*v, standardHeaders(nine + standardSig(kWrong) + " " + standardSig(kNew)),
                          kBody, kNowMs));
}

TEST(VerifyStandardWebhooksTest, KeyIsTheDecodedSecret) {
  auto v = makeVerifier("standard-webhooks", {kNew.configured}, kToleranceMs);
  const std::string keyedWithString =
      "v1," + b64(hmac(kNew.configured, "msg_1." + std::to_string(kTs) + "." + kBody));
  EXPECT_FALSE(verifyWith(*v, standardHeaders(keyedWithString), kBody, kNowMs));
  // An undecodable secret in the list does not spoil the others.
  auto mixed = makeVerifier("standard-webhooks", {"whsec_%%%", kNew.configured}, kToleranceMs);
  EXPECT_TRUE(verifyWith(*mixed, standardHeaders(standardSig(kNew)), kBody, kNowMs));
}

// The published vector again, sent under the Svix names (how the `svix` libraries sign it).
TEST(VerifyStandardWebhooksTest, SvixNamesCarryThePublishedTestVector) {
  const std::string body = R"({"test": 2432232314})";
  const Headers headers{{"svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                        {"svix-timestamp", "1614265330"},
                        {"svix-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
  auto v =
      makeVerifier("standard-webhooks", {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, kToleranceMs);
  EXPECT_TRUE(verifyWith(*v, headers, body, 1614265330LL * 1000));
  EXPECT_FALSE(verifyWith(*v, headers, body, 1614265330LL * 1000 + kToleranceMs + 1));
  // Header names are case-insensitive, as for the standard names.
  const Headers upper{{"Svix-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                      {"Svix-Timestamp", "1614265330"},
                      {"Svix-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
  EXPECT_TRUE(verifyWith(*v, upper, body, 1614265330LL * 1000));
}

Headers svixHeaders(const std::string& id, int64_t ts, const std::string& signature) {
  return {{"svix-id", id}, {"svix-timestamp", std::to_string(ts)}, {"svix-signature", signature}};
}

std::string sigFor(const Secret& s, const std::string& id, int64_t ts) {
  return "v1," + b64(hmac(s.raw, id + "." + std::to_string(ts) + "." + kBody));
}

TEST(VerifyStandardWebhooksTest, SvixSignatureListAnyEntryMayMatch) {
  auto v = makeVerifier("standard-webhooks", {kNew.configured}, kToleranceMs);
  const std::string id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
  const std::string list =
      sigFor(kWrong, id, kTs) + " " + sigFor(kOld, id, kTs) + " " + sigFor(kNew, id, kTs);
  EXPECT_TRUE(verifyWith(*v, svixHeaders(id, kTs, list), kBody, kNowMs));
  EXPECT_FALSE(verifyWith(*v, svixHeaders(id, kTs, sigFor(kWrong, id, kTs)), kBody, kNowMs));
}

// Both namings present: the standard trio is used whenever webhook-id is there, else the Svix
// trio; one header of each naming never combine into a trio.
TEST(VerifyStandardWebhooksTest, BothNamingsUseOneTrioNeverAMix) {
  auto v = makeVerifier("standard-webhooks", {kNew.configured}, kToleranceMs);
  const std::string id = "msg_1";
  const std::string t = std::to_string(kTs);
  const std::string good = sigFor(kNew, id, kTs);
  const std::string bad = sigFor(kWrong, id, kTs);

  // Both complete: the standard trio decides, whatever the Svix one says.
  Headers both{{"webhook-id", id}, {"webhook-timestamp", t}, {"webhook-signature", good},
               {"svix-id", id},    {"svix-timestamp", t},    {"svix-signature", bad}};
  EXPECT_TRUE(verifyWith(*v, both, kBody, kNowMs));
  both["webhook-signature"] = bad;
  both["svix-signature"] = good;
  EXPECT_FALSE(verifyWith(*v, both, kBody, kNowMs));

  // Mixes: each lacks part of the trio its id header selects, so none verifies although every
  // value is right.
  const std::vector<Headers> mixes{
      {{"webhook-id", id}, {"svix-timestamp", t}, {"svix-signature", good}},
      {{"webhook-id", id}, {"webhook-timestamp", t}, {"svix-signature", good}},
      {{"webhook-id", id}, {"svix-timestamp", t}, {"webhook-signature", good}},
      {{"svix-id", id}, {"webhook-timestamp", t}, {"webhook-signature", good}},
      {{"svix-id", id}, {"svix-timestamp", t}, {"webhook-signature", good}},
      {{"svix-id", id}, {"webhook-timestamp", t}, {"svix-signature", good}},
      {{"webhook-timestamp", t},
       {"svix-timestamp", t},
       {"webhook-signature", good},
       {"svix-signature", good}},
  };
  for (size_t i = 0; i < mixes.size(); ++i) {
    EXPECT_FALSE(verifyWith(*v, mixes[i], kBody, kNowMs)) << "mix " << i;
  }
  // An empty webhook-id still selects the standard names: no fallback to a complete Svix trio.
  Headers emptyId = svixHeaders(id, kTs, good);
  emptyId["webhook-id"] = "";
  EXPECT_FALSE(verifyWith(*v, emptyId, kBody, kNowMs));
  EXPECT_TRUE(verifyWith(*v, svixHeaders(id, kTs, good), kBody, kNowMs));
}

}  // namespace
}  // namespace dispatch::verify
