// Pure validation of job and schedule requests (contracts/http-api.md, seeds 000 and 002).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/net/network_policy.h"
#include "core/util/json.h"
#include "core/util/status.h"
#include "core/util/time.h"

namespace dispatch::jobs {

// What a job is made of, whether created directly or by a schedule at each tick.
struct JobTemplate {
  std::string title;
  std::string webhookUrl;
  std::string payload = "{}";  // raw JSON object text, byte-for-byte as sent
  std::string headersJson;     // the job's own headers as a JSON object; "" if none
  std::optional<std::string> callbackUrl;
  bool redactResponse = false;
};

struct JobRequest : JobTemplate {
  TimeMs fireAt = 0;
  std::optional<int64_t> retentionMs;
};

struct ValidationLimits {
  int64_t maxPayloadBytes = 64 << 10;
  net::NetworkPolicy policy;
  std::string headerPrefix = "Dispatch";  // the project's: X-<prefix>-* headers are ours
};

// The most headers a job may carry, and the longest value.
inline constexpr size_t kMaxJobHeaders = 20;
inline constexpr size_t kMaxJobHeaderValue = 1024;

// Parses and validates a POST /api/v1/jobs body. Errors: kInvalid (400) with a message
// naming the field, kTooLarge (413) for a payload over the limit.
Result<JobRequest> validateJobRequest(std::string_view body, const ValidationLimits& limits,
                                      TimeMs now);

// Reads the template's fields present in `doc` (an object) into `t`, first error wins.
// `partial` (PATCH): a missing title or webhookUrl is left as it is instead of refused.
Status readJobTemplate(const json::Value& doc, const ValidationLimits& limits, JobTemplate& t,
                       bool partial);

// Validates a webhook/callback URL: absolute http(s), and allowed by the network policy.
// `field` names the JSON field in the message.
Status validateTargetUrl(std::string_view url, const char* field, const net::NetworkPolicy& p);

// `1d`, `7d`, `30d` or `90d` in milliseconds; nullopt for anything else.
std::optional<int64_t> parseJobRetention(std::string_view text);
// The label of a retention parseJobRetention accepted (`7d`).
std::string jobRetentionLabel(int64_t ms);

}  // namespace dispatch::jobs
