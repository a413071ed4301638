// Job scheduling rules and the tenant scoping of the job API.
#include "core/jobs/job_service.h"

#include <future>

#include "core/jobs/job_validation.h"
#include "core/model/ids.h"
#include "core/util/text.h"
#include "core/util/uuid.h"

namespace dispatch::jobs {
namespace {

// Matches no project: what a key sees when it asks for another project's jobs.
const char* const kNoProject = "00000000-0000-0000-0000-000000000000";

}  // namespace

ValidationLimits validationLimits(const config::Config& cfg, const std::string& projectId) {
  ValidationLimits limits;
  limits.maxPayloadBytes = cfg.jobs.maxPayloadBytes;
  limits.policy = {cfg.delivery.allowHttp, cfg.delivery.allowPrivateNetworks};
  for (const auto& p : cfg.projects) {
    if (model::projectIdFor(p.name) == projectId) limits.headerPrefix = p.headerPrefix;
  }
  return limits;
}

Result<std::string> creatorProject(const std::optional<std::string>& scope) {
  if (!scope) return Status(Code::kInvalid, "Jobs are created with a project API key");
  return *scope;
}

Result<std::optional<std::string>> listedProject(const std::optional<std::string>& scope,
                                                 const std::optional<std::string>& requested) {
  const Status notUuid(Code::kInvalid, "projectId must be a UUID");
  if (!scope) {
    if (requested && !isUuid(*requested)) return notUuid;
    return requested;
  }
  if (requested && *requested != *scope) {
    if (!isUuid(*requested)) return notUuid;
    return std::optional<std::string>(kNoProject);
  }
  return scope;
}

Result<ScheduleResult> JobService::schedule(const std::string& projectId, std::string_view body,
                                            const std::optional<std::string>& idempotencyKey) {
  std::promise<Result<ScheduleResult>> promise;
  auto f = promise.get_future();
  scheduleAsync(projectId, body, idempotencyKey,
                [&promise](Result<ScheduleResult> r) { promise.set_value(std::move(r)); });
  return f.get();
}

void JobService::scheduleAsync(const std::string& projectId, std::string_view body,
                               const std::optional<std::string>& idempotencyKey,
                               std::function<void(Result<ScheduleResult>)> done) {
  if (idempotencyKey && (idempotencyKey->empty() || idempotencyKey->size() > 255)) {
    return done(Status(Code::kInvalid, "Idempotency-Key must be 1-255 characters"));
  }
  if (idempotencyKey) {
    if (Status st = text::check("Idempotency-Key", *idempotencyKey); !st) return done(st);
  }
  // Looked up before validating: a retried request must get its job back although by now
  // its fireAt may be in the past (the job may even have fired).
  if (idempotencyKey) {
    auto existing = store_.findByIdempotencyKey(projectId, *idempotencyKey);
    if (!existing) return done(existing.status());
    if (existing->has_value()) {
      return done(ScheduleResult{std::move(existing.value()).value(), false});
    }
  }
  TimeMs now = clock_.nowMs();
  auto req = validateJobRequest(body, validationLimits(*config_(), projectId), now);
  if (!req) return done(req.status());
  model::NewJob nj;
  nj.id = newUuidV7();
  nj.projectId = projectId;
  nj.title = req->title;
  nj.webhookUrl = req->webhookUrl;
  nj.payload = req->payload;
  nj.fireAt = req->fireAt;
  nj.callbackUrl = req->callbackUrl;
  nj.headersJson = req->headersJson;
  nj.redactResponse = req->redactResponse;
  nj.retentionMs = req->retentionMs;
  nj.idempotencyKey = idempotencyKey;
  nj.createdAt = now;
  store_.createAsync(std::move(nj),
                     [this, done = std::move(done)](Result<store::CreateOutcome>&& out) {
                       if (!out) return done(out.status());
                       store::CreateOutcome o = std::move(out).value();
                       if (o.created && wake_) wake_(o.job.fireAt);
                       done(ScheduleResult{std::move(o.job), o.created});
                     });
}

Result<model::JobPage> JobService::list(const std::optional<std::string>& scope,
                                        const ListQuery& q) {
  auto project = listedProject(scope, q.projectId);
  if (!project) return project.status();
  model::JobFilter f;
  f.projectId = std::move(project.value());
  f.status = q.status;
  f.page = q.page;
  f.limit = q.limit;
  return store_.list(f);
}

Result<model::Job> JobService::get(const std::optional<std::string>& scope, const std::string& id) {
  return store_.get(id, scope);
}

Status JobService::cancel(const std::optional<std::string>& scope, const std::string& id) {
  std::string projectId;
  if (scope) {
    projectId = *scope;
  } else {
    // The admin cancels in the job's own project.
    auto job = store_.get(id, std::nullopt);
    if (!job) return job.status();
    projectId = job->projectId;
  }
  return store_.cancel(id, projectId);
}

}  // namespace dispatch::jobs
