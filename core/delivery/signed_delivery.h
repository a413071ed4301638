// The step between preparing a destination's attempt and making it: the plugin renders the
// bytes it will send, and the engine signs exactly those (contracts/signatures.md: every
// delivery carries the Standard Webhooks trio over the body actually sent, whatever its
// plugin). Pure: no I/O beyond the plugin's render(), which sends nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/destination.h"

namespace dispatch::delivery {

// Renders `d` with `dest` — d.body the delivered body, d.headers the engine's headers without
// the trio — and completes `d` for dest.deliver(): d.body becomes the rendered bytes,
// Content-Type the rendered type when the plugin names one, and webhook-id (`messageId`),
// webhook-timestamp (`timestampSec`) and webhook-signature (one `v1,` entry per raw key; no
// header without a key) over d.body go right after User-Agent (else at the end). Returns the
// plugin's render error — nothing can be sent, a permanent failure — else nullopt.
std::optional<std::string> renderAndSign(const plugin::Destination& dest, plugin::Delivery& d,
                                         const std::vector<std::string>& signingKeys,
                                         std::string_view messageId, int64_t timestampSec);

}  // namespace dispatch::delivery
