// The other side of the inbound verifiers: the signature headers each `verify.preset`'s sender
// (GitHub, Stripe, Shopify, Slack, a Standard Webhooks service, a generic HMAC sender) attaches
// to a request, per contracts/signatures.md's "Inbound" table. `dispatch send` plays those
// senders against a running server with this, so what it signs is what the verifiers check.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/status.h"

namespace dispatch::verify {

// Header name/value pairs in the order a sender writes them.
using SenderHeaders = std::vector<std::pair<std::string, std::string>>;

// One message as its sender signs it. Borrowed: valid for the duration of the call.
struct SenderMessage {
  std::string_view body;       // the exact bytes sent
  int64_t timestampSec = 0;    // Unix seconds (stripe, slack, standard-webhooks sign it)
  std::string_view messageId;  // standard-webhooks' `webhook-id` (it is signed too)
};

// The headers a sender using `preset` attaches to `message`, signed with `secret` (one secret:
// a sender knows only its own): hmac and github `X-Hub-Signature-256`, stripe
// `Stripe-Signature`, shopify `X-Shopify-Hmac-Sha256`, slack `X-Slack-Request-Timestamp` and
// `X-Slack-Signature`, standard-webhooks `webhook-id`, `webhook-timestamp`, `webhook-signature`.
// kInvalid for a preset without a signature (api-key, none) or an unknown one, and for a
// secret standard-webhooks cannot decode; no message quotes the secret.
Result<SenderHeaders> signAsSender(std::string_view preset, std::string_view secret,
                                   const SenderMessage& message);

}  // namespace dispatch::verify
