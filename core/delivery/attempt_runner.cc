// One attempt of any delivery kind.
#include "core/delivery/attempt_runner.h"

#include <strings.h>

#include <random>

#include "core/delivery/outcome.h"
#include "core/delivery/signed_delivery.h"
#include "core/model/retry_policy.h"
#include "core/util/json.h"
#include "core/util/uuid.h"
#include "core/verify/signer.h"

namespace dispatch::delivery {
namespace {

double jitterUnit() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// Headers Dispatch owns: configured or transform headers never replace them (a signature
// must stay the one we computed; framing headers belong to the HTTP client).
bool isReserved(const std::string& name, const std::string& prefix) {
  static const char* kOwned[] = {
      "webhook-id", "webhook-timestamp", "webhook-signature", "user-agent",
      "host",       "content-length",    "transfer-encoding", "connection"};
  for (const char* o : kOwned) {
    if (strcasecmp(name.c_str(), o) == 0) return true;
  }
  return name.size() > prefix.size() &&
         strncasecmp(name.c_str(), prefix.c_str(), prefix.size()) == 0 &&
         name[prefix.size()] == '-';
}

// Sets `name` (case-insensitively replacing an earlier value).
void setHeader(Headers& h, const std::string& name, const std::string& value) {
  for (auto& [k, v] : h) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) {
      v = value;
      return;
    }
  }
  h.emplace_back(name, value);
}

// Sets the headers of a JSON object (a transform's or a job's) that are not ours.
void addExtraHeaders(Headers& h, const std::string& headersJson, const std::string& prefix,
                     bool keepContentType) {
  if (headersJson.empty()) return;
  auto doc = json::parse(headersJson);
  if (!doc || !doc->isObject()) return;
  for (const auto& [k, v] : doc->members()) {
    if (isReserved(k, prefix)) continue;
    if (keepContentType && strcasecmp(k.c_str(), "content-type") == 0) continue;
    setHeader(h, k, v.asString());
  }
}

// Fills the attempt row and the next state from a result and the policy.
model::Completion complete(const model::Claimed& d, const plugin::DeliveryResult& res,
                           const model::RetryPolicy& policy, TimeMs firedAt, TimeMs now,
                           bool redact) {
  const int attemptNo = d.attemptsBefore + 1;
  model::Decision decision =
      model::decide(policy, attemptNo, classify(res, now), now, jitterUnit());
  model::Completion c;
  c.deliveryId = d.id;
  c.projectId = d.projectId;
  c.leaseSeq = d.leaseSeq;
  c.attempt.id = newUuidV7();
  c.attempt.attempt = attemptNo;
  c.attempt.success = decision.next == model::NextState::kSuccess;
  if (res.kind == plugin::DeliveryResult::Kind::kHttp) {
    c.attempt.responseCode = res.status;
    if (!redact) c.attempt.responseBody = json::sanitizeUtf8(res.body);
    if (!c.attempt.success) c.lastError = "HTTP " + std::to_string(res.status);
  } else {
    c.attempt.error = res.error;
    c.lastError = res.error;
  }
  c.attempt.firedAt = firedAt;
  c.attempt.durationMs = res.durationMs;
  switch (decision.next) {
    case model::NextState::kSuccess:
      c.next = model::State::kSuccess;
      break;
    case model::NextState::kRetry:
      c.next = model::State::kFailed;
      c.nextAttemptAt = decision.nextAttemptAt;
      break;
    case model::NextState::kDead:
      c.next = model::State::kDead;
      break;
  }
  return c;
}

}  // namespace

std::string jobBody(const model::Claimed& d, TimeMs firedAt) {
  json::Writer w;
  w.beginObject();
  w.key("jobId").string(d.jobId.value_or(d.id));
  w.key("title").string(d.title);
  w.key("payload").raw(d.payload.empty() ? "{}" : d.payload);
  w.key("firedAt").string(formatIsoUtc(firedAt));
  w.endObject();
  return w.take();
}

std::string callbackBody(const std::string& jobId, model::State status, int attempts,
                         const model::Attempt& last) {
  json::Writer w;
  w.beginObject();
  w.key("jobId").string(jobId);
  w.key("status").string(toString(status));
  w.key("attempts").number(static_cast<int64_t>(attempts));
  w.key("responseCode").numberOrNull(last.responseCode);
  w.key("responseBody").stringOrNull(last.responseBody);
  w.key("firedAt").string(formatIsoUtc(last.firedAt));
  w.endObject();
  return w.take();
}

model::Completion AttemptRunner::run(const model::Claimed& d) {
  if (d.unreadable) {
    const TimeMs now = clock_.nowMs();
    return complete(d, plugin::DeliveryResult::permanent(*d.unreadable), model::RetryPolicy{}, now,
                    now, false);
  }
  auto routing = routing_();
  return d.kind == model::Kind::kEvent ? runEvent(d, *routing) : runJob(d, *routing);
}

model::Completion AttemptRunner::runJob(const model::Claimed& d, const route::Routing& r) {
  const config::Config& cfg = r.config();
  const config::ProjectConfig* project = r.project(d.projectId);
  const std::string prefix = "X-" + (project ? project->headerPrefix : std::string("Dispatch"));
  const TimeMs firedAt = clock_.nowMs();
  const int attemptNo = d.attemptsBefore + 1;
  std::string body = d.kind == model::Kind::kJob ? jobBody(d, firedAt) : d.body.value_or("");
  Headers headers{{"Content-Type", "application/json"},
                  {"User-Agent", "Dispatch/" DISPATCH_VERSION}};
  std::vector<std::string> keys =
      project ? verify::decodeSigningKeys(project->signingSecrets) : std::vector<std::string>{};
  for (auto& h : verify::standardWebhookHeaders(keys, d.messageId, firedAt / 1000, body)) {
    headers.push_back(std::move(h));
  }
  if (d.jobId) headers.emplace_back(prefix + "-Job-ID", *d.jobId);
  headers.emplace_back(prefix + "-Attempt", std::to_string(attemptNo));
  if (d.scheduleId) headers.emplace_back(prefix + "-Schedule-ID", *d.scheduleId);
  // The job's own headers, validated at creation; never over ours (the project's prefix may
  // have changed since), never Content-Type.
  if (d.kind == model::Kind::kJob) addExtraHeaders(headers, d.headersJson, prefix, true);
  plugin::DeliveryResult res =
      http_.post(d.url, headers, body, cfg.jobs.timeoutMs, cfg.delivery.maxResponseBytes);
  model::Completion c = complete(d, res, cfg.jobs.retry, firedAt, clock_.nowMs(), d.redactResponse);
  if (d.kind == model::Kind::kJob && d.callbackUrl && model::isTerminal(c.next)) {
    std::string jobId = d.jobId.value_or(d.id);
    c.callback = model::Completion::Callback{newUuidV7(), d.projectId, jobId, *d.callbackUrl,
                                             callbackBody(jobId, c.next, attemptNo, c.attempt)};
  }
  return c;
}

model::Completion AttemptRunner::runEvent(const model::Claimed& d, const route::Routing& r) {
  const TimeMs now = clock_.nowMs();
  const route::DestinationEntry* dest = r.destination(d.projectId, d.destination.value_or(""));
  if (dest == nullptr) {
    plugin::DeliveryResult gone =
        plugin::DeliveryResult::permanent("destination is no longer configured");
    return complete(d, gone, model::RetryPolicy{}, now, now, false);
  }
  const config::DestinationConfig& dc = *dest->config;
  if (health_ && !health_->mayAttempt(d.projectId, dc, d.id)) {
    model::Completion c;
    c.deliveryId = d.id;
    c.leaseSeq = d.leaseSeq;
    c.held = true;
    return c;
  }
  if (dc.rateLimitPerSec) {
    int64_t wait = limiter_.acquire(d.projectId + "/" + dc.name, *dc.rateLimitPerSec, now);
    if (wait > 0) {
      model::Completion c;
      c.deliveryId = d.id;
      c.leaseSeq = d.leaseSeq;
      c.deferred = true;
      c.nextAttemptAt = now + wait;
      return c;
    }
  }
  const config::Config& cfg = r.config();
  const std::string prefix = "X-" + dest->project->headerPrefix;
  const int attemptNo = d.attemptsBefore + 1;

  plugin::Delivery pd;
  pd.id = d.id;
  pd.eventId = d.eventId.value_or("");
  pd.destination = dc.name;
  pd.source = d.source;
  pd.eventType = d.eventType;
  pd.url = d.url;  // as of the delivery's creation
  pd.attempt = attemptNo;
  pd.body = d.body ? *d.body : d.eventBody;
  pd.timeoutMs = dc.timeoutMs.value_or(cfg.delivery.timeoutMs);
  pd.maxResponseBytes = cfg.delivery.maxResponseBytes;
  Headers& h = pd.headers;
  h.emplace_back("Content-Type", d.eventContentType.value_or("application/json"));
  h.emplace_back("User-Agent", "Dispatch/" DISPATCH_VERSION);
  h.emplace_back(prefix + "-Event-ID", pd.eventId);
  h.emplace_back(prefix + "-Endpoint-ID", route::endpointIdFor(dest->project->name, d.source));
  h.emplace_back(prefix + "-Event-Type", d.eventType);
  h.emplace_back(prefix + "-Attempt", std::to_string(attemptNo));
  for (const auto& [k, v] : dc.headers) {
    if (!isReserved(k, prefix)) setHeader(h, k, v);
  }
  addExtraHeaders(h, d.headersJson, prefix, false);
  // Signed after the plugin renders: the signature covers the bytes it sends.
  if (auto unrenderable =
          renderAndSign(*dest->impl, pd, dest->signingKeys, d.messageId, now / 1000)) {
    return complete(d, plugin::DeliveryResult::permanent(*unrenderable), dc.retry, now,
                    clock_.nowMs(), dc.redactResponse);
  }
  plugin::DeliveryResult res = dest->impl->deliver(pd);
  model::Completion c = complete(d, res, dc.retry, now, clock_.nowMs(), dc.redactResponse);
  if (health_) health_->record(d.projectId, dc, d.id, res, c.lastError, now);
  return c;
}

}  // namespace dispatch::delivery
