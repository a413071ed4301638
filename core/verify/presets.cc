// The preset table: each preset's verifier, signer, secret rule, config keys and sender
// defaults, as contracts/signatures.md lists them.
#include "core/verify/presets.h"

#include <strings.h>

#include <utility>

#include "core/util/crypto.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify {
namespace {

// Header names compare ASCII case-insensitively.
bool sameHeaderName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string minimumText() { return std::to_string(kMinSecretBytes) + " bytes"; }

// hmac, github, stripe, shopify, slack: the secret's own bytes are the key.
std::optional<std::string> rawKeyError(std::string_view preset, std::string_view secret) {
  if (secret.size() >= kMinSecretBytes) return std::nullopt;
  return "must be at least " + minimumText() + " for preset " + std::string(preset);
}

// standard-webhooks: the key is the base64 decoding of the secret after its `whsec_` prefix.
std::optional<std::string> base64KeyError(std::string_view preset, std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.starts_with(kPrefix)) secret.remove_prefix(kPrefix.size());
  std::optional<std::string> key = crypto::base64Decode(secret);
  if (!key) {
    return "must be base64 (after an optional whsec_ prefix) for preset " + std::string(preset);
  }
  if (key->size() < kMinSecretBytes) {
    return "must decode to at least " + minimumText() + " for preset " + std::string(preset);
  }
  return std::nullopt;
}

std::unique_ptr<Verifier> makeHmac(std::vector<std::string> secrets, int64_t) {
  return internal::makeHmacVerifier(std::move(secrets));
}
std::unique_ptr<Verifier> makeGithub(std::vector<std::string> secrets, int64_t) {
  return internal::makeGithubVerifier(std::move(secrets));
}
std::unique_ptr<Verifier> makeShopify(std::vector<std::string> secrets, int64_t) {
  return internal::makeShopifyVerifier(std::move(secrets));
}

const Preset kPresets[] = {
    {.name = "hmac", .make = makeHmac, .secretError = rawKeyError, .sign = internal::signHmac},
    {.name = "github",
     .make = makeGithub,
     .secretError = rawKeyError,
     .sign = internal::signGithub,
     .eventTypeHeader = "X-GitHub-Event",
     .idempotencyHeader = "X-GitHub-Delivery"},
    {.name = "stripe",
     .make = internal::makeStripeVerifier,
     .secretError = rawKeyError,
     .sign = internal::signStripe,
     .hasWindow = true,
     .eventTypePath = "type"},
    {.name = "shopify",
     .make = makeShopify,
     .secretError = rawKeyError,
     .sign = internal::signShopify,
     .eventTypeHeader = "X-Shopify-Topic",
     .idempotencyHeader = "X-Shopify-Webhook-Id"},
    {.name = "slack",
     .make = internal::makeSlackVerifier,
     .secretError = rawKeyError,
     .sign = internal::signSlack,
     .hasWindow = true},
    {.name = "standard-webhooks",
     .make = internal::makeStandardWebhooksVerifier,
     .secretError = base64KeyError,
     .sign = internal::signStandardWebhooks,
     .hasWindow = true,
     .idempotencyHeader = "webhook-id",
     .idempotencyAlias = "svix-id"},
    {.name = "api-key", .auth = Auth::kApiKey},
    {.name = kUnsignedPreset, .auth = Auth::kUnsigned},
};

}  // namespace

std::span<const Preset> presets() { return kPresets; }

const Preset* findPreset(std::string_view name) {
  for (const Preset& p : kPresets) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::optional<std::string> idempotencyHeaderValue(
    std::string_view preset, std::string_view configured,
    const std::function<std::optional<std::string>(std::string_view)>& header) {
  if (!header || configured.empty()) return std::nullopt;
  std::optional<std::string> value = header(configured);
  if (value.has_value()) return value;
  const Preset* p = findPreset(preset);
  if (p == nullptr || p->idempotencyAlias.empty() ||
      !sameHeaderName(configured, p->idempotencyHeader)) {
    return std::nullopt;
  }
  return header(p->idempotencyAlias);
}

std::string presetNames(const std::function<bool(const Preset&)>& keep) {
  std::string out;
  for (const Preset& p : kPresets) {
    if (keep && !keep(p)) continue;
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

}  // namespace dispatch::verify
