// The job API's rules on top of the store: who may see and change which job (a key its own
// project, the admin every project), validation, idempotency, creation that wakes the
// scheduler. Used by the HTTP handlers and the CLI alike.
//
// A `scope` names what the caller may see: nullopt for the admin (every project), else the
// project of the caller's API key — the same convention as the stores' projectId filters.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.h"
#include "core/jobs/job_validation.h"
#include "core/model/job.h"
#include "core/store/job_store.h"

namespace dispatch::jobs {

struct ScheduleResult {
  model::Job job;
  bool created = true;
};

// What GET /api/v1/jobs asks for, as parsed from its query.
struct ListQuery {
  std::optional<model::State> status;
  std::optional<std::string> projectId;  // the `projectId` parameter, unchecked
  int page = 1;
  int limit = 20;
};

// The limits a project's job and schedule requests are validated with (its header prefix).
ValidationLimits validationLimits(const config::Config& cfg, const std::string& projectId);

// The project a job is created in: the key's own. kInvalid for the admin, which has none.
Result<std::string> creatorProject(const std::optional<std::string>& scope);

// The project filter a listing runs with. The admin sees the project asked for (every one
// when none is); a key sees its own project only, and asking for another one shows nothing.
// kInvalid when an id that matters is not a UUID.
Result<std::optional<std::string>> listedProject(const std::optional<std::string>& scope,
                                                 const std::optional<std::string>& requested);

class JobService {
 public:
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;
  // `config` is read per call (limits and policy follow a reload); `wake`, when set, is told
  // the due time of each job created (the local scheduler).
  // Outlives every scheduleAsync it started.
  JobService(store::Db& db, ConfigSource config, const Clock& clock,
             store::GroupCommitter* committer = nullptr, std::function<void(TimeMs)> wake = {})
      : store_(db, committer), config_(std::move(config)), clock_(clock), wake_(std::move(wake)) {}

  // Validates `body` (the POST /api/v1/jobs JSON) and creates the job.
  Result<ScheduleResult> schedule(const std::string& projectId, std::string_view body,
                                  const std::optional<std::string>& idempotencyKey);
  // As schedule, without holding this thread while the job waits for its group commit:
  // `done` runs once, here (a refusal, an existing job) or on a group-commit writer thread.
  void scheduleAsync(const std::string& projectId, std::string_view body,
                     const std::optional<std::string>& idempotencyKey,
                     std::function<void(Result<ScheduleResult>)> done);

  // A page of the jobs `scope` may see, filtered as `q` asks (see listedProject).
  Result<model::JobPage> list(const std::optional<std::string>& scope, const ListQuery& q);
  // The job with its logs; kNotFound when absent or outside `scope`.
  Result<model::Job> get(const std::optional<std::string>& scope, const std::string& id);
  // SCHEDULED → CANCELLED. kNotFound when absent or outside `scope`; kConflict otherwise.
  Status cancel(const std::optional<std::string>& scope, const std::string& id);

 private:
  store::JobStore store_;
  ConfigSource config_;
  const Clock& clock_;
  std::function<void(TimeMs)> wake_;
};

}  // namespace dispatch::jobs
