// Preset `standard-webhooks`: webhook-id, webhook-timestamp and webhook-signature
// (space-separated `v1,<base64>` entries) over `<id>.<ts>.<body>`, keyed with the
// base64-decoded secret after its `whsec_` prefix — the scheme we also sign with. The same
// three headers are accepted under their Svix names (svix-id, svix-timestamp, svix-signature),
// which Svix sends by default; one request's trio always comes from one naming.
#include <utility>

#include "core/util/crypto.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify::internal {

namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

// The raw keys of the secrets that decode; an undecodable secret can never match anything,
// so it is dropped rather than failing the others.
std::vector<std::string> decodeKeys(const std::vector<std::string>& secrets) {
  std::vector<std::string> keys;
  for (std::string_view secret : secrets) {
    if (secret.starts_with(kSecretPrefix)) secret.remove_prefix(kSecretPrefix.size());
    std::optional<std::string> key = crypto::base64Decode(secret);
    if (key.has_value() && !key->empty()) keys.push_back(std::move(*key));
  }
  return keys;
}

// The decoded v1 digests of a webhook-signature value; other versions are ignored.
std::vector<std::string> parseSignatures(std::string_view value) {
  std::vector<std::string> digests;
  size_t v1Seen = 0;
  for (std::string_view entry : split(value, ' ')) {
    const size_t comma = entry.find(',');
    if (comma == std::string_view::npos || entry.substr(0, comma) != "v1") continue;
    if (v1Seen++ == kMaxSignatures) break;
    std::optional<std::string> digest = decodeBase64Digest(entry.substr(comma + 1));
    if (digest.has_value()) digests.push_back(std::move(*digest));
  }
  return digests;
}

// One naming of the trio.
struct HeaderNames {
  std::string_view id;
  std::string_view timestamp;
  std::string_view signature;
};
constexpr HeaderNames kStandardNames{"webhook-id", "webhook-timestamp", "webhook-signature"};
constexpr HeaderNames kSvixNames{"svix-id", "svix-timestamp", "svix-signature"};

// The naming the request uses: the standard one whenever `webhook-id` is present at all (even
// empty or oversized), else Svix's. Never one header from each: a request whose headers mix the
// two namings lacks part of the chosen trio and fails, so the id, timestamp and signature that
// verify are always the ones one sender wrote together (and the idempotency key, presets.h,
// is the id that was verified).
const HeaderNames& namesOf(const Request& request) {
  return request.header && request.header(kStandardNames.id).has_value() ? kStandardNames
                                                                         : kSvixNames;
}

class StandardWebhooksVerifier final : public Verifier {
 public:
  StandardWebhooksVerifier(std::vector<std::string> secrets, int64_t toleranceMs)
      : keys_(decodeKeys(secrets)), toleranceMs_(toleranceMs) {}

  bool verify(const Request& request) const override {
    const HeaderNames& names = namesOf(request);
    std::optional<std::string> id = boundedHeader(request, names.id);
    std::optional<std::string> timestamp = boundedHeader(request, names.timestamp);
    std::optional<std::string> signature = boundedHeader(request, names.signature);
    if (!id.has_value() || !timestamp.has_value() || !signature.has_value()) return false;
    std::optional<int64_t> sec = parseUnixSeconds(*timestamp);
    if (!sec.has_value() || !withinTolerance(*sec, request.now, toleranceMs_)) return false;
    const std::vector<std::string> candidates = parseSignatures(*signature);
    if (candidates.empty()) return false;

    std::string content;
    content.reserve(id->size() + timestamp->size() + 2 + request.body.size());
    content.append(*id).append(".").append(*timestamp).append(".").append(request.body);
    bool ok = false;
    for (const std::string& key : keys_) {
      ok |= matchesAny(crypto::hmacSha256(key, content), candidates);
    }
    return ok;
  }

 private:
  const std::vector<std::string> keys_;
  const int64_t toleranceMs_;
};

}  // namespace

std::unique_ptr<Verifier> makeStandardWebhooksVerifier(std::vector<std::string> secrets,
                                                       int64_t toleranceMs) {
  return std::make_unique<StandardWebhooksVerifier>(std::move(secrets), toleranceMs);
}

}  // namespace dispatch::verify::internal
