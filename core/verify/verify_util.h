// Internal to core/verify: the parsing and comparison helpers every preset shares, and the
// per-preset constructors the factory calls. Not for use outside the module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/verify/sender.h"
#include "core/verify/verifier.h"

namespace dispatch::verify::internal {

// Longer signature headers are refused outright: no legitimate sender needs them, and the
// cap bounds the parsing work an unauthenticated caller can cause.
inline constexpr size_t kMaxHeaderBytes = 8 * 1024;
// At most this many candidate signatures per header are compared.
inline constexpr size_t kMaxSignatures = 10;

// The header's value with surrounding blanks trimmed; nullopt when absent, empty after
// trimming, or longer than kMaxHeaderBytes.
std::optional<std::string> boundedHeader(const Request& request, std::string_view name);

// Splits on `sep`, trimming blanks around each piece; empty pieces are kept.
std::vector<std::string_view> split(std::string_view text, char sep);
std::string_view trim(std::string_view text);

// Parses decimal Unix seconds (digits only, at most 12). nullopt otherwise.
std::optional<int64_t> parseUnixSeconds(std::string_view text);
// |now − ts| ≤ tolerance, in both directions (stale and from the future).
bool withinTolerance(int64_t timestampSec, TimeMs now, int64_t toleranceMs);

// Lowercase-or-uppercase hex of exactly 32 bytes, decoded; nullopt otherwise.
std::optional<std::string> decodeHexDigest(std::string_view hex);
// Standard base64 of exactly 32 bytes, decoded; nullopt otherwise.
std::optional<std::string> decodeBase64Digest(std::string_view b64);

// Constant-time: does `expected` equal any of `candidates`? Every candidate is compared,
// so the time does not reveal which one matched.
bool matchesAny(std::string_view expected, const std::vector<std::string>& candidates);

// Drops empty entries (an unset `${VAR:-}` in a secret list).
std::vector<std::string> nonEmpty(std::vector<std::string> secrets);

// `sha256=<hex>` of HMAC(secret, body) carried in any of `headerNames`: a valid signature
// in any present header verifies (hmac accepts two header names, github one).
std::unique_ptr<Verifier> makeBodyHexVerifier(std::vector<std::string> headerNames,
                                              std::vector<std::string> secrets);

std::unique_ptr<Verifier> makeHmacVerifier(std::vector<std::string> secrets);
std::unique_ptr<Verifier> makeGithubVerifier(std::vector<std::string> secrets);
std::unique_ptr<Verifier> makeStripeVerifier(std::vector<std::string> secrets, int64_t toleranceMs);
std::unique_ptr<Verifier> makeShopifyVerifier(std::vector<std::string> secrets);
std::unique_ptr<Verifier> makeSlackVerifier(std::vector<std::string> secrets, int64_t toleranceMs);
std::unique_ptr<Verifier> makeStandardWebhooksVerifier(std::vector<std::string> secrets,
                                                       int64_t toleranceMs);

// The senders' side of each preset (sender.h, signAsSender): the signature headers of one
// message under one secret.
Result<SenderHeaders> signHmac(std::string_view secret, const SenderMessage& message);
Result<SenderHeaders> signGithub(std::string_view secret, const SenderMessage& message);
Result<SenderHeaders> signStripe(std::string_view secret, const SenderMessage& message);
Result<SenderHeaders> signShopify(std::string_view secret, const SenderMessage& message);
Result<SenderHeaders> signSlack(std::string_view secret, const SenderMessage& message);
Result<SenderHeaders> signStandardWebhooks(std::string_view secret, const SenderMessage& message);

}  // namespace dispatch::verify::internal
