// The one outbound signer: Standard Webhooks (https://www.standardwebhooks.com) headers for
// every delivery we make, jobs and event destinations alike, so receivers can verify with
// the `standardwebhooks` or `svix` libraries. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/status.h"

namespace dispatch::verify {

inline constexpr std::string_view kWebhookIdHeader = "webhook-id";
inline constexpr std::string_view kWebhookTimestampHeader = "webhook-timestamp";
inline constexpr std::string_view kWebhookSignatureHeader = "webhook-signature";

// Decodes a `whsec_<base64>` signing secret into the raw HMAC key. A secret without the
// prefix is decoded whole (as the reference libraries do). kInvalid when empty or not
// base64; the message never repeats the secret.
Result<std::string> decodeSigningSecret(std::string_view whsec);

// The decoded keys of one signer (a project's `signing_secret`, or a destination's
// override): during a rotation [new, old], each signs. Immutable once parsed.
struct SigningKey {
  std::vector<std::string> rawKeys;  // in configuration order

  // Parses every non-empty secret (empty entries come from an unset `${VAR:-}`). Fails on
  // the first undecodable one, or when no secret is left.
  static Result<SigningKey> parse(const std::vector<std::string>& whsecSecrets);
};

// The raw keys of every decodable, non-empty secret, in order (config validation has already
// refused undecodable ones; this never fails).
std::vector<std::string> decodeSigningKeys(const std::vector<std::string>& whsecSecrets);

// `v1,<base64(HMAC-SHA256(key, "<msgId>.<timestampSec>.<body>"))>` per key, in order,
// separated by single spaces. Empty when `rawKeys` is empty.
std::string signatureHeader(const std::vector<std::string>& rawKeys, std::string_view msgId,
                            int64_t timestampSec, std::string_view body);

// The headers to add to a delivery, in this order: webhook-id, webhook-timestamp,
// webhook-signature (the last omitted when there is no key). `timestampSec` is the Unix
// time of this attempt; `msgId` is stable across retries (the event id, or the job id).
std::vector<std::pair<std::string, std::string>> standardWebhookHeaders(
    const std::vector<std::string>& rawKeys, std::string_view msgId, int64_t timestampSec,
    std::string_view body);

}  // namespace dispatch::verify
