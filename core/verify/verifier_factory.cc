// makeVerifier(): maps a source's `verify.preset` to its verifier; secretError(): the
// presets' rules for their secrets, which the config loader applies.
#include <string>
#include <utility>

#include "core/util/crypto.h"
#include "core/verify/verifier.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify {

bool isSignaturePreset(std::string_view preset) {
  return preset == "hmac" || preset == "github" || preset == "stripe" || preset == "shopify" ||
         preset == "slack" || preset == "standard-webhooks";
}

std::optional<std::string> secretError(std::string_view preset, std::string_view secret) {
  const std::string minimum = std::to_string(kMinSecretBytes) + " bytes";
  if (preset == "standard-webhooks") {
    constexpr std::string_view kPrefix = "whsec_";
    if (secret.starts_with(kPrefix)) secret.remove_prefix(kPrefix.size());
    std::optional<std::string> key = crypto::base64Decode(secret);
    if (!key)
      return "must be base64 (after an optional whsec_ prefix) for preset " + std::string(preset);
    if (key->size() < kMinSecretBytes) {
      return "must decode to at least " + minimum + " for preset " + std::string(preset);
    }
    return std::nullopt;
  }
  if (isSignaturePreset(preset) && secret.size() < kMinSecretBytes) {
    return "must be at least " + minimum + " for preset " + std::string(preset);
  }
  return std::nullopt;
}

std::unique_ptr<Verifier> makeVerifier(std::string_view preset, std::vector<std::string> secrets,
                                       int64_t toleranceMs) {
  if (toleranceMs <= 0) toleranceMs = kDefaultToleranceMs;
  secrets = internal::nonEmpty(std::move(secrets));
  if (preset == "hmac") return internal::makeHmacVerifier(std::move(secrets));
  if (preset == "github") return internal::makeGithubVerifier(std::move(secrets));
  if (preset == "stripe") return internal::makeStripeVerifier(std::move(secrets), toleranceMs);
  if (preset == "shopify") return internal::makeShopifyVerifier(std::move(secrets));
  if (preset == "slack") return internal::makeSlackVerifier(std::move(secrets), toleranceMs);
  if (preset == "standard-webhooks") {
    return internal::makeStandardWebhooksVerifier(std::move(secrets), toleranceMs);
  }
  return nullptr;
}

}  // namespace dispatch::verify
