// Job request validation: field by field, first error wins, messages name the field.
#include "core/jobs/job_validation.h"

#include "core/util/json.h"
#include "core/util/text.h"

namespace dispatch::jobs {
namespace {

size_t codePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

Status invalid(std::string m) { return Status(Code::kInvalid, std::move(m)); }

}  // namespace

Status validateTargetUrl(std::string_view url, const char* field, const net::NetworkPolicy& p) {
  auto parsed = net::parseUrl(url);
  if (!parsed) return invalid(std::string(field) + " must be an absolute http(s) URL");
  Status st = net::checkUrl(url, p);
  if (!st) return invalid(std::string(field) + " is not allowed: " + st.message());
  return Status::ok();
}

Result<JobRequest> validateJobRequest(std::string_view body, const ValidationLimits& limits,
                                      TimeMs now) {
  auto doc = json::parse(body);
  if (!doc) return invalid("Request body is not valid JSON");
  if (!doc->isObject()) return invalid("Request body must be a JSON object");
  JobRequest r;

  const json::Value* title = doc->find("title");
  if (title == nullptr || title->isNull()) return invalid("title is required");
  if (!title->isString()) return invalid("title must be a string");
  if (Status st = text::check("title", title->asString()); !st) return st;
  size_t len = codePoints(title->asString());
  if (len < 1 || len > 200) return invalid("title must be 1-200 characters");
  r.title = title->asString();

  const json::Value* url = doc->find("webhookUrl");
  if (url == nullptr || url->isNull()) return invalid("webhookUrl is required");
  if (!url->isString()) return invalid("webhookUrl must be a string");
  if (Status st = text::check("webhookUrl", url->asString()); !st) return st;
  if (Status st = validateTargetUrl(url->asString(), "webhookUrl", limits.policy); !st) return st;
  r.webhookUrl = url->asString();

  const json::Value* fire = doc->find("fireAt");
  if (fire == nullptr || fire->isNull()) return invalid("fireAt is required");
  if (!fire->isString()) return invalid("fireAt must be a string");
  auto at = parseIsoUtc(fire->asString());
  if (!at) {
    return invalid(
        "fireAt must be an ISO 8601 UTC timestamp with a trailing Z "
        "(e.g. 2026-06-13T09:30:00.000Z)");
  }
  if (*at <= now) return invalid("fireAt must be in the future");
  r.fireAt = *at;

  if (const json::Value* p = doc->find("payload"); p != nullptr) {
    if (!p->isObject()) return invalid("payload must be a JSON object");
    if (static_cast<int64_t>(p->raw().size()) > limits.maxPayloadBytes) {
      return Status(Code::kTooLarge,
                    "payload exceeds " + std::to_string(limits.maxPayloadBytes) + " bytes");
    }
    r.payload = std::string(p->raw());
  }

  if (const json::Value* cb = doc->find("callbackUrl"); cb != nullptr && !cb->isNull()) {
    if (!cb->isString()) return invalid("callbackUrl must be a string");
    if (Status st = text::check("callbackUrl", cb->asString()); !st) return st;
    if (Status st = validateTargetUrl(cb->asString(), "callbackUrl", limits.policy); !st) return st;
    r.callbackUrl = cb->asString();
  }
  return r;
}

}  // namespace dispatch::jobs
