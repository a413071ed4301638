// Preset `slack`: `X-Slack-Signature: v0=<hex>` of HMAC(secret, "v0:<ts>:<body>") with
// `X-Slack-Request-Timestamp: <ts>` inside the replay window (Slack's own is 5 minutes).
#include <utility>

#include "core/util/crypto.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify::internal {

namespace {

constexpr std::string_view kVersionPrefix = "v0=";

class SlackVerifier final : public Verifier {
 public:
  SlackVerifier(std::vector<std::string> secrets, int64_t toleranceMs)
      : secrets_(std::move(secrets)), toleranceMs_(toleranceMs) {}

  bool verify(const Request& request) const override {
    std::optional<std::string> timestamp = boundedHeader(request, "X-Slack-Request-Timestamp");
    std::optional<std::string> signature = boundedHeader(request, "X-Slack-Signature");
    if (!timestamp.has_value() || !signature.has_value()) return false;
    std::optional<int64_t> sec = parseUnixSeconds(*timestamp);
    if (!sec.has_value() || !withinTolerance(*sec, request.now, toleranceMs_)) return false;
    if (!signature->starts_with(kVersionPrefix)) return false;
    std::optional<std::string> digest =
        decodeHexDigest(std::string_view(*signature).substr(kVersionPrefix.size()));
    if (!digest.has_value()) return false;

    std::string basestring;
    basestring.reserve(4 + timestamp->size() + request.body.size());
    basestring.append("v0:").append(*timestamp).append(":").append(request.body);
    const std::vector<std::string> candidates{std::move(*digest)};
    bool ok = false;
    for (const std::string& secret : secrets_) {
      ok |= matchesAny(crypto::hmacSha256(secret, basestring), candidates);
    }
    return ok;
  }

 private:
  const std::vector<std::string> secrets_;
  const int64_t toleranceMs_;
};

}  // namespace

std::unique_ptr<Verifier> makeSlackVerifier(std::vector<std::string> secrets, int64_t toleranceMs) {
  return std::make_unique<SlackVerifier>(std::move(secrets), toleranceMs);
}

}  // namespace dispatch::verify::internal
