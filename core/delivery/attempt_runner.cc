// One attempt of any delivery kind.
#include "core/delivery/attempt_runner.h"

#include <random>

#include "core/delivery/outcome.h"
#include "core/delivery/signer.h"
#include "core/store/project_store.h"
#include "core/util/json.h"
#include "core/util/uuid.h"

namespace dispatch::delivery {
namespace {

double jitterUnit() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
}

const config::ProjectConfig* projectById(const config::Config& cfg, const std::string& id) {
  for (const auto& p : cfg.projects) {
    if (store::projectIdFor(p.name) == id) return &p;
  }
  return nullptr;
}

}  // namespace

std::string jobBody(const Claimed& d, TimeMs firedAt) {
  json::Writer w;
  w.beginObject();
  w.key("jobId").string(d.jobId.value_or(d.id));
  w.key("title").string(d.title);
  w.key("payload").raw(d.payload.empty() ? "{}" : d.payload);
  w.key("firedAt").string(formatIsoUtc(firedAt));
  w.endObject();
  return w.take();
}

std::string callbackBody(const std::string& jobId, State status, int attempts,
                         const Attempt& last) {
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

Completion AttemptRunner::run(const Claimed& d) {
  auto cfg = config_();
  const config::ProjectConfig* project = projectById(*cfg, d.projectId);
  const std::string prefix = "X-" + (project ? project->headerPrefix : std::string("Dispatch"));
  const TimeMs firedAt = clock_.nowMs();
  const int attemptNo = d.attemptsBefore + 1;

  net::HttpRequest req;
  req.url = d.url;
  req.timeoutMs = cfg->jobs.timeoutMs;
  req.maxResponseBytes = cfg->delivery.maxResponseBytes;
  req.body = d.kind == Kind::kJob ? jobBody(d, firedAt) : d.body.value_or("");
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("User-Agent", "Dispatch/" DISPATCH_VERSION);
  std::vector<std::string> keys;
  if (project) {
    for (const auto& s : project->signingSecrets) {
      auto k = decodeSigningSecret(s);
      if (k) keys.push_back(k.value());
    }
  }
  for (auto& h : standardWebhookHeaders(keys, d.messageId, firedAt / 1000, req.body)) {
    req.headers.push_back(std::move(h));
  }
  if (d.jobId) req.headers.emplace_back(prefix + "-Job-ID", *d.jobId);
  req.headers.emplace_back(prefix + "-Attempt", std::to_string(attemptNo));

  net::HttpResponse resp = http_.send(req);
  const RetryPolicy& policy = cfg->jobs.retry;
  AttemptOutcome outcome = classify(resp, clock_.nowMs());
  Decision decision = decide(policy, attemptNo, outcome, clock_.nowMs(), jitterUnit());

  Completion c;
  c.deliveryId = d.id;
  c.leaseSeq = d.leaseSeq;
  c.attempt.id = newUuidV7();
  c.attempt.attempt = attemptNo;
  c.attempt.success = decision.next == NextState::kSuccess;
  if (resp.error == net::HttpResponse::Error::kNone) {
    c.attempt.responseCode = resp.status;
    c.attempt.responseBody = json::sanitizeUtf8(resp.body);
  } else {
    c.attempt.error = resp.errorText;
  }
  c.attempt.firedAt = firedAt;
  c.attempt.durationMs = resp.durationMs;
  c.lastError = errorSummary(resp);
  switch (decision.next) {
    case NextState::kSuccess: c.next = State::kSuccess; break;
    case NextState::kRetry:
      c.next = State::kFailed;
      c.nextAttemptAt = decision.nextAttemptAt;
      break;
    case NextState::kDead: c.next = State::kDead; break;
  }
  if (d.kind == Kind::kJob && d.callbackUrl && isTerminal(c.next)) {
    c.callback = Completion::Callback{newUuidV7(), d.projectId, d.jobId.value_or(d.id),
                                      *d.callbackUrl,
                                      callbackBody(d.jobId.value_or(d.id), c.next, attemptNo,
                                                   c.attempt)};
  }
  return c;
}

}  // namespace dispatch::delivery
