// The preset table (core/verify/presets.h): every preset's authentication, secret rule, config
// keys and sender defaults as contracts/signatures.md lists them, and unknown names.
#include "core/verify/presets.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <string>
#include <vector>

namespace dispatch::verify {
namespace {

// What contracts/signatures.md says of each preset, written out independently of the table.
struct Expected {
  std::string name;
  Auth auth;
  bool hasWindow;
  std::string eventTypeHeader, eventTypePath, idempotencyHeader;
  std::string idempotencyAlias = {};
};

const std::vector<Expected> kExpected = {
    {"hmac", Auth::kSignature, false, "", "", ""},
    {"github", Auth::kSignature, false, "X-GitHub-Event", "", "X-GitHub-Delivery"},
    {"stripe", Auth::kSignature, true, "", "type", ""},
    {"shopify", Auth::kSignature, false, "X-Shopify-Topic", "", "X-Shopify-Webhook-Id"},
    {"slack", Auth::kSignature, true, "", "", ""},
    {"standard-webhooks", Auth::kSignature, true, "", "", "webhook-id", "svix-id"},
    {"api-key", Auth::kApiKey, false, "", "", ""},
    {"none", Auth::kUnsigned, false, "", "", ""},
};

TEST(PresetsTest, EveryPresetInOrderWithItsDefaults) {
  ASSERT_EQ(presets().size(), kExpected.size());
  for (size_t i = 0; i < kExpected.size(); ++i) {
    const Expected& want = kExpected[i];
    const Preset& p = presets()[i];
    EXPECT_EQ(p.name, want.name) << i;
    EXPECT_EQ(findPreset(want.name), &p) << want.name;
    EXPECT_EQ(p.auth, want.auth) << want.name;
    EXPECT_EQ(p.keyed(), want.auth == Auth::kSignature) << want.name;
    EXPECT_EQ(p.make != nullptr, p.keyed()) << want.name;
    EXPECT_EQ(p.secretError != nullptr, p.keyed()) << want.name;
    EXPECT_EQ(p.sign != nullptr, p.keyed()) << want.name;
    EXPECT_EQ(p.hasWindow, want.hasWindow) << want.name;
    EXPECT_EQ(p.eventTypeHeader, want.eventTypeHeader) << want.name;
    EXPECT_EQ(p.eventTypePath, want.eventTypePath) << want.name;
    EXPECT_EQ(p.idempotencyHeader, want.idempotencyHeader) << want.name;
    EXPECT_EQ(p.idempotencyAlias, want.idempotencyAlias) << want.name;
    EXPECT_EQ(isSignaturePreset(want.name), p.keyed()) << want.name;
  }
}

TEST(PresetsTest, UnknownNamesAreNoPreset) {
  for (const char* name : {"", "HMAC", "Github", "svix", "none ", "apikey"}) {
    EXPECT_EQ(findPreset(name), nullptr) << name;
    EXPECT_FALSE(isSignaturePreset(name)) << name;
    EXPECT_EQ(makeVerifier(name, {std::string(32, 'k')}), nullptr) << name;
    EXPECT_EQ(secretError(name, "x"), std::nullopt) << name;
  }
}

TEST(PresetsTest, NamesAsTheConfigErrorsListThem) {
  EXPECT_EQ(presetNames(),
            "hmac, github, stripe, shopify, slack, standard-webhooks, api-key, none");
  EXPECT_EQ(presetNames([](const Preset& p) { return p.hasWindow; }),
            "stripe, slack, standard-webhooks");
  EXPECT_EQ(presetNames([](const Preset&) { return false; }), "");
  EXPECT_EQ(findPreset(kUnsignedPreset)->auth, Auth::kUnsigned);
}

TEST(PresetsTest, RawKeyPresetsNeedSixteenBytes) {
  for (const char* name : {"hmac", "github", "stripe", "shopify", "slack"}) {
    const Preset* p = findPreset(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_EQ(p->secretError(p->name, std::string(16, 'k')), std::nullopt) << name;
    EXPECT_EQ(p->secretError(p->name, "whsec_not-base64-but-long"), std::nullopt) << name;
    EXPECT_EQ(p->secretError(p->name, std::string(15, 'k')),
              "must be at least 16 bytes for preset " + std::string(name));
    EXPECT_EQ(secretError(name, ""), "must be at least 16 bytes for preset " + std::string(name));
  }
}

TEST(PresetsTest, StandardWebhooksKeysAreBase64OfSixteenBytes) {
  const Preset* p = findPreset("standard-webhooks");
  ASSERT_NE(p, nullptr);
  // The Standard Webhooks test vector's secret (24 bytes), with and without its prefix.
  EXPECT_EQ(secretError("standard-webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            std::nullopt);
  EXPECT_EQ(secretError("standard-webhooks", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), std::nullopt);
  const std::string notBase64 =
      "must be base64 (after an optional whsec_ prefix) for preset standard-webhooks";
  EXPECT_EQ(secretError("standard-webhooks", "whsec_not*base64!"), notBase64);
  EXPECT_EQ(secretError("standard-webhooks", std::string(40, 'k') + "!"), notBase64);
  // Base64 of 15 bytes ("short-short-sho"), and of none.
  const std::string tooShort = "must decode to at least 16 bytes for preset standard-webhooks";
  EXPECT_EQ(secretError("standard-webhooks", "whsec_c2hvcnQtc2hvcnQtc2hv"), tooShort);
  EXPECT_EQ(p->secretError(p->name, "whsec_"), tooShort);
}

TEST(PresetsTest, KeylessPresetsBuildNoVerifierAndTakeAnySecret) {
  for (const char* name : {"api-key", "none"}) {
    EXPECT_EQ(makeVerifier(name, {std::string(32, 'k')}), nullptr) << name;
    EXPECT_EQ(secretError(name, ""), std::nullopt) << name;
    EXPECT_EQ(secretError(name, "short"), std::nullopt) << name;
  }
}

TEST(PresetsTest, KeyedPresetsBuildTheirVerifier) {
  for (const Preset& p : presets()) {
    if (!p.keyed()) continue;
    EXPECT_NE(makeVerifier(p.name, {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}), nullptr) << p.name;
    // An unsigned request never verifies, whatever the preset.
    auto v = makeVerifier(p.name, {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
    EXPECT_FALSE(v->verify(Request{nullptr, "{}", 0})) << p.name;
  }
}

// A lookup over fixed headers, case-insensitive as the server's.
std::function<std::optional<std::string>(std::string_view)> lookupIn(
    std::vector<std::pair<std::string, std::string>> headers) {
  return [headers = std::move(headers)](std::string_view name) -> std::optional<std::string> {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
    }
    return std::nullopt;
  };
}

TEST(PresetsTest, StandardWebhooksIdempotencyReadsTheIdOfTheNamingSent) {
  const auto svix = lookupIn({{"svix-id", "msg_svix"}});
  const auto both = lookupIn({{"Webhook-Id", "msg_std"}, {"svix-id", "msg_svix"}});
  EXPECT_EQ(idempotencyHeaderValue("standard-webhooks", "webhook-id", svix), "msg_svix");
  EXPECT_EQ(idempotencyHeaderValue("standard-webhooks", "Webhook-ID", svix), "msg_svix");
  EXPECT_EQ(idempotencyHeaderValue("standard-webhooks", "webhook-id", both), "msg_std");
  EXPECT_EQ(idempotencyHeaderValue("standard-webhooks", "webhook-id", lookupIn({})), std::nullopt);
  // A header the source names itself has no alias.
  EXPECT_EQ(idempotencyHeaderValue("standard-webhooks", "X-Request-Id", svix), std::nullopt);
  EXPECT_EQ(idempotencyHeaderValue("standard-webhooks", "X-Request-Id",
                                   lookupIn({{"x-request-id", "r"}})),
            "r");
  // Nor do other presets, even with the same header name.
  EXPECT_EQ(idempotencyHeaderValue("hmac", "webhook-id", svix), std::nullopt);
  EXPECT_EQ(
      idempotencyHeaderValue("github", "X-GitHub-Delivery", lookupIn({{"x-github-delivery", "g"}})),
      "g");
  EXPECT_EQ(idempotencyHeaderValue("standard-webhooks", "", svix), std::nullopt);
}

}  // namespace
}  // namespace dispatch::verify
