// Preset `hmac` (the default): `sha256=<hex>` of HMAC(secret, body) in X-Hub-Signature-256
// or X-Dispatch-Signature. Also the engine of the `github` preset, which allows only the
// first header.
#include <utility>

#include "core/util/crypto.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify::internal {

namespace {

constexpr std::string_view kSha256Prefix = "sha256=";

class BodyHexVerifier final : public Verifier {
 public:
  BodyHexVerifier(std::vector<std::string> headerNames, std::vector<std::string> secrets)
      : headerNames_(std::move(headerNames)), secrets_(std::move(secrets)) {}

  bool verify(const Request& request) const override {
    std::vector<std::string> candidates;
    for (const std::string& name : headerNames_) {
      std::optional<std::string> value = boundedHeader(request, name);
      if (!value.has_value() || !value->starts_with(kSha256Prefix)) continue;
      std::optional<std::string> digest =
          decodeHexDigest(std::string_view(*value).substr(kSha256Prefix.size()));
      if (digest.has_value()) candidates.push_back(std::move(*digest));
    }
    if (candidates.empty()) return false;
    bool ok = false;
    for (const std::string& secret : secrets_) {
      ok |= matchesAny(crypto::hmacSha256(secret, request.body), candidates);
    }
    return ok;
  }

 private:
  const std::vector<std::string> headerNames_;
  const std::vector<std::string> secrets_;
};

}  // namespace

std::unique_ptr<Verifier> makeBodyHexVerifier(std::vector<std::string> headerNames,
                                              std::vector<std::string> secrets) {
  return std::make_unique<BodyHexVerifier>(std::move(headerNames), std::move(secrets));
}

std::unique_ptr<Verifier> makeHmacVerifier(std::vector<std::string> secrets) {
  return makeBodyHexVerifier({"X-Hub-Signature-256", "X-Dispatch-Signature"}, std::move(secrets));
}

}  // namespace dispatch::verify::internal
