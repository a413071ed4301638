// The signature presets a source's `verify.preset` names (contracts/signatures.md), one entry
// each: how ingest authenticates a request, the verifier, the rule for its secrets, the config
// keys it takes, and the defaults the config loader fills in for its sender. The loader, the
// verifier factory and ingest all read this one table, so a preset is added or changed here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/verify/sender.h"
#include "core/verify/verifier.h"

namespace dispatch::verify {

// How ingest authenticates a request to a source with the preset.
enum class Auth {
  kSignature,  // the preset's Verifier, keyed with `verify.secret`
  kApiKey,     // `Authorization: Bearer <key>`, a key of the source's project (ingest checks it)
  kUnsigned,   // nothing: allowed only with `allow_unsigned: true` on the source
};

struct Preset {
  std::string_view name;
  Auth auth = Auth::kSignature;
  // kSignature only (else null): builds the verifier from non-empty secrets and a positive
  // replay window, which presets without one ignore.
  std::unique_ptr<Verifier> (*make)(std::vector<std::string> secrets,
                                    int64_t toleranceMs) = nullptr;
  // kSignature only (else null): why `secret` cannot key the preset named `preset`, never
  // quoting the secret; nullopt when it can.
  std::optional<std::string> (*secretError)(std::string_view preset,
                                            std::string_view secret) = nullptr;
  // kSignature only (else null): the headers this preset's sender signs a message with
  // (sender.h), so `dispatch send` can play the sender. The secret is one that secretError
  // accepted.
  Result<SenderHeaders> (*sign)(std::string_view secret, const SenderMessage& message) = nullptr;
  // Takes `verify.tolerance`, the replay window (default kDefaultToleranceMs).
  bool hasWindow = false;
  // What the loader fills in when the source sets no `event_type` / `idempotency_header`:
  // where this preset's sender puts them ("" = nothing).
  std::string_view eventTypeHeader = {};
  std::string_view eventTypePath = {};
  std::string_view idempotencyHeader = {};
  // The same message id under the sender's other naming, read when a request lacks
  // idempotencyHeader (standard-webhooks: `svix-id` for `webhook-id`); "" = none.
  std::string_view idempotencyAlias = {};

  // Needs `verify.secret` (and only such presets accept one).
  bool keyed() const { return auth == Auth::kSignature; }
};

// The preset of a source that sets `allow_unsigned: true` and no `verify` map.
inline constexpr std::string_view kUnsignedPreset = "none";

// Every preset, in the order the docs and config errors list them.
std::span<const Preset> presets();

// The preset called exactly `name` (case matters), or nullptr.
const Preset* findPreset(std::string_view name);

// The idempotency value of a request to a source with preset `preset` whose idempotency header
// is `configured`: that header's value; when the request lacks it and `configured` is the
// preset's own default, its alias's (so a Svix-named request is deduplicated by the `svix-id`
// its signature covered, as a standard-named one is by `webhook-id`). nullopt when neither is
// present. `header` is the request's case-insensitive lookup.
std::optional<std::string> idempotencyHeaderValue(
    std::string_view preset, std::string_view configured,
    const std::function<std::optional<std::string>(std::string_view)>& header);

// The names of the presets `keep` selects (all when empty), joined with ", ".
std::string presetNames(const std::function<bool(const Preset&)>& keep = nullptr);

}  // namespace dispatch::verify
