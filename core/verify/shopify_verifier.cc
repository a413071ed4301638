// Preset `shopify`: `X-Shopify-Hmac-Sha256: <base64>` of HMAC(secret, body). No replay
// window in the scheme; idempotency comes from X-Shopify-Webhook-Id in the source config.
#include <utility>

#include "core/util/crypto.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify::internal {

namespace {

class ShopifyVerifier final : public Verifier {
 public:
  explicit ShopifyVerifier(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {}

  bool verify(const Request& request) const override {
    std::optional<std::string> value = boundedHeader(request, "X-Shopify-Hmac-Sha256");
    if (!value.has_value()) return false;
    std::optional<std::string> digest = decodeBase64Digest(*value);
    if (!digest.has_value()) return false;
    const std::vector<std::string> candidates{std::move(*digest)};
    bool ok = false;
    for (const std::string& secret : secrets_) {
      ok |= matchesAny(crypto::hmacSha256(secret, request.body), candidates);
    }
    return ok;
  }

 private:
  const std::vector<std::string> secrets_;
};

}  // namespace

std::unique_ptr<Verifier> makeShopifyVerifier(std::vector<std::string> secrets) {
  return std::make_unique<ShopifyVerifier>(std::move(secrets));
}

}  // namespace dispatch::verify::internal
