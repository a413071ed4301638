// Inbound signature verification for source endpoints (signatures.md, "Inbound"): one
// small interface, one implementation per `verify.preset`, built by makeVerifier().
// A verifier answers only yes or no: callers answer `Invalid signature` and nothing
// else, and no verifier logs — neither secrets nor expected digests leave this module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/time.h"

namespace dispatch::verify {

// Default replay window of the timestamped schemes (stripe, slack, standard-webhooks).
inline constexpr int64_t kDefaultToleranceMs = 300'000;

// What a verifier may look at. Borrowed: valid for the duration of verify() only.
struct Request {
  // Returns the value of the named request header, nullopt when absent. The lookup must be
  // case-insensitive (verifiers ask for e.g. "X-Hub-Signature-256" and "webhook-id"). An
  // empty function means "no headers".
  std::function<std::optional<std::string>(std::string_view name)> header;
  std::string_view body;  // the raw body bytes exactly as received
  TimeMs now = 0;         // from the injectable clock; used by the replay window
};

// Immutable after construction; verify() is thread-safe. Work per call is bounded
// (headers over 8 KiB are rejected, at most 10 signatures per header are examined), and
// every digest comparison is constant-time.
class Verifier {
 public:
  virtual ~Verifier() = default;
  // True iff the request carries a valid signature under at least one of the secrets (and,
  // for the timestamped schemes, its timestamp is within the replay window).
  virtual bool verify(const Request& request) const = 0;
};

// Builds the verifier for `preset`: hmac, github, stripe, shopify, slack or
// standard-webhooks. `secrets` is the source's list, any of which may match (rotation);
// empty entries are ignored, and with none left (or, for standard-webhooks, none that
// decodes) the verifier rejects everything. `toleranceMs` is the replay window of stripe,
// slack and standard-webhooks; a non-positive value means kDefaultToleranceMs.
// Returns nullptr for "none", "api-key" (the caller handles both) and unknown presets.
std::unique_ptr<Verifier> makeVerifier(std::string_view preset, std::vector<std::string> secrets,
                                       int64_t toleranceMs = kDefaultToleranceMs);

// True for the presets makeVerifier() builds.
bool isSignaturePreset(std::string_view preset);

// The shortest key the HMAC presets accept (hmac, github, stripe, shopify, slack: the
// secret's bytes; standard-webhooks: its decoded bytes). 128 bits, the floor of current
// guidance (NIST SP 800-107 r1) and our own `whsec_` signing secrets; every sender's
// generated secret is longer (Stripe, Slack, Shopify: 32+ characters).
inline constexpr size_t kMinSecretBytes = 16;

// Why `secret` cannot key `preset` (a config error, the secret never quoted), or nullopt when
// it can. Presets without secrets (api-key, none, unknown) accept anything here.
std::optional<std::string> secretError(std::string_view preset, std::string_view secret);

}  // namespace dispatch::verify
