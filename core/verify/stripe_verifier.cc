// Preset `stripe`: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` over `<t>.<body>`,
// keyed with the whole secret string (`whsec_…` included, as Stripe's libraries do).
#include <utility>

#include "core/util/crypto.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify::internal {

namespace {

struct StripeHeader {
  std::string_view timestamp;
  int64_t timestampSec = 0;
  std::vector<std::string> signatures;  // decoded v1 digests
};

// nullopt unless there is exactly one valid `t` and at least one well-formed `v1`.
// Other schemes (v0, …) are ignored, as Stripe's own libraries do.
std::optional<StripeHeader> parseStripeHeader(std::string_view value) {
  StripeHeader parsed;
  bool haveTimestamp = false;
  size_t v1Seen = 0;
  for (std::string_view item : split(value, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = item.substr(0, eq);
    const std::string_view val = item.substr(eq + 1);
    if (key == "t") {
      if (haveTimestamp) return std::nullopt;  // ambiguous: which one was signed?
      std::optional<int64_t> sec = parseUnixSeconds(val);
      if (!sec.has_value()) return std::nullopt;
      parsed.timestamp = val;
      parsed.timestampSec = *sec;
      haveTimestamp = true;
    } else if (key == "v1" && v1Seen < kMaxSignatures) {
      ++v1Seen;
      std::optional<std::string> digest = decodeHexDigest(val);
      if (digest.has_value()) parsed.signatures.push_back(std::move(*digest));
    }
  }
  if (!haveTimestamp || parsed.signatures.empty()) return std::nullopt;
  return parsed;
}

class StripeVerifier final : public Verifier {
 public:
  StripeVerifier(std::vector<std::string> secrets, int64_t toleranceMs)
      : secrets_(std::move(secrets)), toleranceMs_(toleranceMs) {}

  bool verify(const Request& request) const override {
    std::optional<std::string> value = boundedHeader(request, "Stripe-Signature");
    if (!value.has_value()) return false;
    std::optional<StripeHeader> header = parseStripeHeader(*value);
    if (!header.has_value()) return false;
    if (!withinTolerance(header->timestampSec, request.now, toleranceMs_)) return false;

    std::string signedPayload;
    signedPayload.reserve(header->timestamp.size() + 1 + request.body.size());
    signedPayload.append(header->timestamp).append(".").append(request.body);
    bool ok = false;
    for (const std::string& secret : secrets_) {
      ok |= matchesAny(crypto::hmacSha256(secret, signedPayload), header->signatures);
    }
    return ok;
  }

 private:
  const std::vector<std::string> secrets_;
  const int64_t toleranceMs_;
};

}  // namespace

std::unique_ptr<Verifier> makeStripeVerifier(std::vector<std::string> secrets,
                                             int64_t toleranceMs) {
  return std::make_unique<StripeVerifier>(std::move(secrets), toleranceMs);
}

}  // namespace dispatch::verify::internal
