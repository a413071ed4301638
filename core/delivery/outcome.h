// Pure translation of one HTTP exchange into what the retry policy needs and what the
// delivery log shows.
#pragma once

#include <optional>
#include <string>

#include "core/delivery/retry_policy.h"
#include "core/net/http_client.h"

namespace dispatch::delivery {

AttemptOutcome classify(const net::HttpResponse& r, TimeMs now);

// The delivery's `error` summary: the network error text, or `HTTP <code>` for a non-2xx
// answer; nullopt for a success.
std::optional<std::string> errorSummary(const net::HttpResponse& r);

}  // namespace dispatch::delivery
