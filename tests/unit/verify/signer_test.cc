// Outbound Standard Webhooks signing, checked against the scheme's published test vector.
#include "core/verify/signer.h"

#include <gtest/gtest.h>

namespace dispatch::verify {
namespace {

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kMsgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr std::string_view kBody = R"({"test": 2432232314})";
constexpr std::string_view kExpected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

std::string rawKey(std::string_view whsec) {
  Result<std::string> key = decodeSigningSecret(whsec);
  EXPECT_TRUE(key.isOk()) << key.status().message();
  return key.isOk() ? key.value() : std::string();
}

TEST(SignerTest, StandardWebhooksTestVector) {
  EXPECT_EQ(signatureHeader({rawKey(kSecret)}, kMsgId, kTimestamp, kBody), kExpected);
}

TEST(SignerTest, DecodesSecretWithAndWithoutPrefix) {
  const std::string withPrefix = rawKey(kSecret);
  EXPECT_EQ(withPrefix.size(), 24u);
  EXPECT_EQ(rawKey(kSecret.substr(6)), withPrefix);
}

TEST(SignerTest, RejectsBadSecrets) {
  for (std::string_view bad : {"", "whsec_", "whsec_!!!not-base64!!!", "whsec_a"}) {
    Result<std::string> key = decodeSigningSecret(bad);
    EXPECT_FALSE(key.isOk()) << bad;
    EXPECT_EQ(key.status().code(), Code::kInvalid);
    // The message must not echo the secret.
    if (bad.size() > 10) {
      EXPECT_EQ(key.status().message().find(bad.substr(6)), std::string::npos);
    }
  }
}

TEST(SignerTest, OneSignaturePerKeyInOrderSpaceSeparated) {
  const std::string oldKey = rawKey(kSecret);
  const std::string newKey = "another raw key, 32 bytes long!!";
  const std::string both = signatureHeader({newKey, oldKey}, kMsgId, kTimestamp, kBody);
  const std::string newOnly = signatureHeader({newKey}, kMsgId, kTimestamp, kBody);
  EXPECT_EQ(both, newOnly + " " + std::string(kExpected));
  EXPECT_NE(newOnly, kExpected);
  EXPECT_EQ(signatureHeader({}, kMsgId, kTimestamp, kBody), "");
}

TEST(SignerTest, SignatureCoversIdTimestampAndBody) {
  const std::vector<std::string> keys{rawKey(kSecret)};
  EXPECT_NE(signatureHeader(keys, "msg_other", kTimestamp, kBody), kExpected);
  EXPECT_NE(signatureHeader(keys, kMsgId, kTimestamp + 1, kBody), kExpected);
  EXPECT_NE(signatureHeader(keys, kMsgId, kTimestamp, R"({"test": 2432232315})"), kExpected);
}

TEST(SignerTest, SigningKeyParsesListAndSkipsEmptyEntries) {
  Result<SigningKey> key = SigningKey::parse({std::string(kSecret), ""});
  ASSERT_TRUE(key.isOk());
  ASSERT_EQ(key->rawKeys.size(), 1u);
  EXPECT_EQ(key->rawKeys[0], rawKey(kSecret));

  EXPECT_FALSE(SigningKey::parse({}).isOk());
  EXPECT_FALSE(SigningKey::parse({"", ""}).isOk());
  EXPECT_FALSE(SigningKey::parse({std::string(kSecret), "whsec_%%%"}).isOk());
}

TEST(SignerTest, HeadersAreTheStandardWebhooksTrio) {
  Result<SigningKey> key = SigningKey::parse({std::string(kSecret)});
  ASSERT_TRUE(key.isOk());
  const auto headers = standardWebhookHeaders(key->rawKeys, kMsgId, kTimestamp, kBody);
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].first, "webhook-id");
  EXPECT_EQ(headers[0].second, kMsgId);
  EXPECT_EQ(headers[1].first, "webhook-timestamp");
  EXPECT_EQ(headers[1].second, "1614265330");
  EXPECT_EQ(headers[2].first, "webhook-signature");
  EXPECT_EQ(headers[2].second, kExpected);
}

TEST(SignerTest, HeadersFromRawKeysWithoutKeyOmitSignature) {
  const auto signed_ = standardWebhookHeaders({rawKey(kSecret)}, kMsgId, kTimestamp, kBody);
  ASSERT_EQ(signed_.size(), 3u);
  EXPECT_EQ(signed_[2].second, kExpected);
  const auto unsigned_ = standardWebhookHeaders({}, kMsgId, kTimestamp, kBody);
  ASSERT_EQ(unsigned_.size(), 2u);
  EXPECT_EQ(unsigned_[0].first, "webhook-id");
  EXPECT_EQ(unsigned_[1].first, "webhook-timestamp");
}

}  // namespace
}  // namespace dispatch::verify
