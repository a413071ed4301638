// The senders' side of each signature preset: the same HMAC and encodings the verifiers check
// (util/crypto.h), and for standard-webhooks the outbound signer's own code (signer.h), since
// that scheme is the one we also sign deliveries with.
#include "core/verify/sender.h"

#include <string>

#include "core/util/crypto.h"
#include "core/verify/presets.h"
#include "core/verify/signer.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify {

namespace internal {

namespace {

// `sha256=<lowercase hex>` of HMAC(secret, body), as GitHub writes X-Hub-Signature-256.
SenderHeaders bodyHex(std::string_view secret, std::string_view body) {
  return {{"X-Hub-Signature-256", "sha256=" + crypto::hexEncode(crypto::hmacSha256(secret, body))}};
}

}  // namespace

// The hmac preset also accepts X-Dispatch-Signature; the GitHub header is the one generic
// HMAC senders most often copy, so a sample looks like what such a sender sends.
Result<SenderHeaders> signHmac(std::string_view secret, const SenderMessage& message) {
  return bodyHex(secret, message.body);
}

Result<SenderHeaders> signGithub(std::string_view secret, const SenderMessage& message) {
  return bodyHex(secret, message.body);
}

// Stripe keys with the whole secret string, `whsec_` included, over `<t>.<body>`.
Result<SenderHeaders> signStripe(std::string_view secret, const SenderMessage& message) {
  const std::string t = std::to_string(message.timestampSec);
  std::string signedPayload;
  signedPayload.reserve(t.size() + 1 + message.body.size());
  signedPayload.append(t).append(".").append(message.body);
  return SenderHeaders{
      {"Stripe-Signature",
       "t=" + t + ",v1=" + crypto::hexEncode(crypto::hmacSha256(secret, signedPayload))}};
}

Result<SenderHeaders> signShopify(std::string_view secret, const SenderMessage& message) {
  return SenderHeaders{
      {"X-Shopify-Hmac-Sha256", crypto::base64Encode(crypto::hmacSha256(secret, message.body))}};
}

// Slack signs `v0:<ts>:<body>`.
Result<SenderHeaders> signSlack(std::string_view secret, const SenderMessage& message) {
  const std::string ts = std::to_string(message.timestampSec);
  std::string basestring;
  basestring.reserve(4 + ts.size() + message.body.size());
  basestring.append("v0:").append(ts).append(":").append(message.body);
  return SenderHeaders{
      {"X-Slack-Request-Timestamp", ts},
      {"X-Slack-Signature", "v0=" + crypto::hexEncode(crypto::hmacSha256(secret, basestring))}};
}

Result<SenderHeaders> signStandardWebhooks(std::string_view secret, const SenderMessage& message) {
  Result<std::string> key = decodeSigningSecret(secret);
  if (!key.isOk()) return key.status();
  return standardWebhookHeaders({key.value()}, message.messageId, message.timestampSec,
                                message.body);
}

}  // namespace internal

Result<SenderHeaders> signAsSender(std::string_view preset, std::string_view secret,
                                   const SenderMessage& message) {
  const Preset* p = findPreset(preset);
  if (p == nullptr || p->sign == nullptr) {
    return Result<SenderHeaders>(Code::kInvalid,
                                 "preset '" + std::string(preset) + "' has no signature");
  }
  return p->sign(secret, message);
}

}  // namespace dispatch::verify
