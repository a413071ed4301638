// Job rows: creation in one transaction with the delivery, reads joined with it.
#include "core/store/job_store.h"

#include <future>
#include <memory>
#include <stdexcept>

#include "core/store/connection.h"
#include "core/store/group_commit_tx.h"
#include "core/store/row_mapping.h"
#include "core/store/sealer.h"
#include "core/store/sql_states.h"
#include "core/util/uuid.h"

namespace dispatch::store {

Result<model::Job> JobStore::getIn(void* txp, const std::string& id,
                                   const std::optional<std::string>& projectId, bool withLogs,
                                   const Sealer* sealer) {
  auto& tx = *static_cast<pqxx::transaction_base*>(txp);
  pqxx::result r =
      projectId ? tx.exec_params(std::string(kJobSelect) + "WHERE j.id = $1 AND j.project_id = $2",
                                 id, *projectId)
                : tx.exec_params(std::string(kJobSelect) + "WHERE j.id = $1", id);
  if (r.empty()) return Status(Code::kNotFound, "Job not found");
  model::Job j = jobFromRow(r[0], sealer);
  if (withLogs) j.logs = readAttempts(tx, j.id, sealer, j.projectId);
  return j;
}

Result<CreateOutcome> JobStore::create(const model::NewJob& nj) {
  std::promise<Result<CreateOutcome>> promise;
  auto f = promise.get_future();
  createAsync(nj, [&promise](Result<CreateOutcome> r) { promise.set_value(std::move(r)); });
  return f.get();
}

void JobStore::createAsync(model::NewJob job, std::function<void(Result<CreateOutcome>)> done) {
  struct Pending {
    model::NewJob nj;
    std::optional<Result<model::Job>> existing;  // the Idempotency-Key's holder, read in the tx
    std::shared_ptr<const Sealer> sealer;
  };
  auto p = std::make_shared<Pending>(Pending{std::move(job), std::nullopt, db_.sealer()});
  // Writes only, so it can share a group-committed transaction with other requests.
  auto work = [p](BatchTx& b) {
    const model::NewJob& nj = p->nj;
    Connection& c = b.conn();
    pqxx::transaction_base& tx = b.tx();
    p->existing.reset();
    // One round trip: the delivery row is inserted only when the job row was. The key's
    // holder can disappear between the two statements (retention deleted it): then the key
    // is free again and the insert is tried once more.
    for (int tries = 0; tries < 3; ++tries) {
      if (insertJob(c, tx, nj, p->sealer.get())) {
        b.notifyDue(nj.fireAt);
        return;
      }
      // Same Idempotency-Key (a concurrent request won): answer with that job.
      if (!nj.idempotencyKey) throw std::runtime_error("job id already taken");
      auto ex = tx.exec_params("SELECT id FROM jobs WHERE project_id = $1 AND idempotency_key = $2",
                               nj.projectId, *nj.idempotencyKey);
      if (!ex.empty()) {
        // Read here, in the transaction: the completion runs on a commit writer and must not
        // wait for a pool connection.
        p->existing = getIn(&tx, ex[0][0].c_str(), nj.projectId, false, p->sealer.get());
        return;
      }
    }
    throw std::runtime_error("idempotency key holder kept changing");
  };
  runWriteAsync(db_, committer_, std::move(work), [p, done = std::move(done)](Status st) {
    if (!st) return done(st);
    const model::NewJob& nj = p->nj;
    if (p->existing) {
      if (!*p->existing) return done(p->existing->status());
      return done(CreateOutcome{std::move(*p->existing).value(), false});
    }
    // The row is exactly what we wrote: no need to read it back.
    model::Job j;
    j.id = nj.id;
    j.projectId = nj.projectId;
    j.title = nj.title;
    j.webhookUrl = nj.webhookUrl;
    j.payload = nj.payload;
    j.fireAt = nj.fireAt;
    j.callbackUrl = nj.callbackUrl;
    j.headersJson = nj.headersJson;
    j.redactResponse = nj.redactResponse;
    j.retentionMs = nj.retentionMs;
    j.scheduleId = nj.scheduleId;
    j.createdAt = nj.createdAt;
    j.updatedAt = nj.createdAt;
    done(CreateOutcome{std::move(j), true});
  });
}

Result<model::Job> JobStore::get(const std::string& id,
                                 const std::optional<std::string>& projectId) {
  if (!isUuid(id)) return Status(Code::kNotFound, "Job not found");
  std::optional<Result<model::Job>> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    out = getIn(&tx, id, projectId, true, db_.sealer().get());
  });
  if (!st) return st;
  return std::move(*out);
}

Result<model::JobPage> JobStore::list(const model::JobFilter& f) {
  model::JobPage page;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    const char* project = f.projectId ? f.projectId->c_str() : nullptr;
    const char* status = f.status ? model::toString(*f.status) : nullptr;
    std::string where =
        "WHERE ($1::uuid IS NULL OR j.project_id = $1::uuid) "
        "AND ($2::text IS NULL OR d.status = $2::text) ";
    // Without a status the total is the jobs table's alone: the join made PostgreSQL scan every
    // delivery row, events' included, so the unfiltered list (the dashboard polls it each
    // second) grew dearer with every event received (docs/benchmarks.md, dashboard polling).
    auto cnt = status ? tx.exec_params(
                            "SELECT count(*) FROM jobs j JOIN deliveries d ON d.id = j.id " + where,
                            project, status)
                      : tx.exec_params(
                            "SELECT count(*) FROM jobs j "
                            "WHERE ($1::uuid IS NULL OR j.project_id = $1::uuid)",
                            project);
    page.total = cnt[0][0].as<long long>();
    auto r = tx.exec_params(std::string(kJobSelect) + where +
                                "ORDER BY j.created_at DESC, j.id DESC LIMIT $3 OFFSET $4",
                            project, status, f.limit, static_cast<long long>(f.page - 1) * f.limit);
    auto sealer = db_.sealer();
    for (const auto& row : r) page.jobs.push_back(jobFromRow(row, sealer.get()));
  });
  if (!st) return st;
  return page;
}

Result<std::optional<model::Job>> JobStore::findByIdempotencyKey(const std::string& projectId,
                                                                 const std::string& key) {
  std::optional<model::Job> found;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        std::string(kJobSelect) + "WHERE j.project_id = $1 AND j.idempotency_key = $2", projectId,
        key);
    if (!r.empty()) found = jobFromRow(r[0], db_.sealer().get());
  });
  if (!st) return st;
  return found;
}

Status JobStore::cancel(const std::string& id, const std::string& projectId) {
  if (!isUuid(id)) return Status(Code::kNotFound, "Job not found");
  Status result;
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    // The row lock orders us against a claim: either we flip SCHEDULED first and the
    // claim no longer sees the row, or the claim made it FIRING and we change nothing.
    static const std::string kSql =
        "UPDATE deliveries SET status = " + sql::to(model::Transition::kCancel) +
        ", updated_at = now() WHERE id = $1 AND project_id = $2 AND kind = " +
        sql::kind(model::Kind::kJob) + " AND status IN " + sql::from(model::Transition::kCancel) +
        " RETURNING id";
    auto r = tx.exec_params(kSql, id, projectId);
    if (r.empty()) {
      auto ex =
          tx.exec_params("SELECT 1 FROM jobs WHERE id = $1 AND project_id = $2", id, projectId);
      result = ex.empty() ? Status(Code::kNotFound, "Job not found")
                          : Status(Code::kConflict, "Only scheduled jobs can be cancelled");
    }
    tx.commit();
  });
  if (!st) return st;
  return result;
}

}  // namespace dispatch::store
