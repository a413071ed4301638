// makeVerifier(): maps a source's `verify.preset` to its verifier.
#include <utility>

#include "core/verify/verifier.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify {

bool isSignaturePreset(std::string_view preset) {
  return preset == "hmac" || preset == "github" || preset == "stripe" || preset == "shopify" ||
         preset == "slack" || preset == "standard-webhooks";
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
