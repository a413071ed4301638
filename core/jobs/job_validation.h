// Pure validation of a job-creation request (contracts/http-api.md, seed 002).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/net/network_policy.h"
#include "core/util/status.h"
#include "core/util/time.h"

namespace dispatch::jobs {

struct JobRequest {
  std::string title;
  std::string webhookUrl;
  TimeMs fireAt = 0;
  std::string payload = "{}";  // raw JSON object text, byte-for-byte as sent
  std::optional<std::string> callbackUrl;
};

struct ValidationLimits {
  int64_t maxPayloadBytes = 64 << 10;
  net::NetworkPolicy policy;
};

// Parses and validates a POST /api/v1/jobs body. Errors: kInvalid (400) with a message
// naming the field, kTooLarge (413) for a payload over the limit.
Result<JobRequest> validateJobRequest(std::string_view body, const ValidationLimits& limits,
                                      TimeMs now);

// Validates a webhook/callback URL: absolute http(s), and allowed by the network policy.
// `field` names the JSON field in the message.
Status validateTargetUrl(std::string_view url, const char* field, const net::NetworkPolicy& p);

}  // namespace dispatch::jobs
