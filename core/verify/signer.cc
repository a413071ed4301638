// Standard Webhooks signing over the crypto helpers.
#include "core/verify/signer.h"

#include <optional>

#include "core/util/crypto.h"

namespace dispatch::verify {

namespace {
constexpr std::string_view kSecretPrefix = "whsec_";
}  // namespace

Result<std::string> decodeSigningSecret(std::string_view whsec) {
  if (whsec.starts_with(kSecretPrefix)) whsec.remove_prefix(kSecretPrefix.size());
  if (whsec.empty()) return Result<std::string>(Code::kInvalid, "signing secret is empty");
  std::optional<std::string> raw = crypto::base64Decode(whsec);
  if (!raw.has_value() || raw->empty()) {
    return Result<std::string>(Code::kInvalid, "signing secret is not whsec_<base64>");
  }
  return std::move(*raw);
}

Result<SigningKey> SigningKey::parse(const std::vector<std::string>& whsecSecrets) {
  SigningKey key;
  for (const std::string& secret : whsecSecrets) {
    if (secret.empty()) continue;
    Result<std::string> raw = decodeSigningSecret(secret);
    if (!raw.isOk()) return raw.status();
    key.rawKeys.push_back(std::move(raw).value());
  }
  if (key.rawKeys.empty()) return Result<SigningKey>(Code::kInvalid, "no signing secret");
  return key;
}

std::string signatureHeader(const std::vector<std::string>& rawKeys, std::string_view msgId,
                            int64_t timestampSec, std::string_view body) {
  std::string signedContent;
  signedContent.reserve(msgId.size() + body.size() + 24);
  signedContent.append(msgId).append(".").append(std::to_string(timestampSec)).append(".");
  signedContent.append(body);

  std::string header;
  for (const std::string& key : rawKeys) {
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += crypto::base64Encode(crypto::hmacSha256(key, signedContent));
  }
  return header;
}

std::vector<std::pair<std::string, std::string>> standardWebhookHeaders(
    const std::vector<std::string>& rawKeys, std::string_view msgId, int64_t timestampSec,
    std::string_view body) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back(kWebhookIdHeader, msgId);
  headers.emplace_back(kWebhookTimestampHeader, std::to_string(timestampSec));
  // An empty webhook-signature would only make receivers' libraries fail less clearly.
  if (!rawKeys.empty()) {
    headers.emplace_back(kWebhookSignatureHeader,
                         signatureHeader(rawKeys, msgId, timestampSec, body));
  }
  return headers;
}

std::vector<std::string> decodeSigningKeys(const std::vector<std::string>& secrets) {
  std::vector<std::string> keys;
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    auto k = decodeSigningSecret(s);
    if (k) keys.push_back(k.value());
  }
  return keys;
}

}  // namespace dispatch::verify
