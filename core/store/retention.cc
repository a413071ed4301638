#include "core/store/retention.h"

#include <chrono>

#include "core/store/connection.h"
#include "core/store/sql_states.h"
#include "core/util/log.h"
#include "core/util/metrics.h"

namespace dispatch::store {
namespace {

// Both keys of the transaction-level advisory lock a purging node holds for each batch, so
// two nodes never run batches at the same time (SKIP LOCKED alone would keep their batches
// apart, but both would compete with the hot path at once).
constexpr int kLockClass = 0x44535054;  // "DSPT"
constexpr int kLockPurge = 2;

// The oldest events of a project received before the cutoff whose deliveries all finished
// before it too (a delivery retried last week keeps its event and attempts for another
// retention period); their deliveries go with them (attempts and skips follow by ON DELETE
// CASCADE).
const std::string kPurgeEventsSql =
    "WITH old AS (SELECT e.id FROM events e WHERE e.project_id = $1 "
    "  AND e.received_at < ms_to_ts($2) AND NOT EXISTS (SELECT 1 FROM deliveries d "
    "    WHERE d.event_id = e.id AND (d.status IN " +
    sql::in(model::liveStates()) +
    " "
    "    OR d.updated_at >= ms_to_ts($2))) "
    "  ORDER BY e.received_at LIMIT $3 FOR UPDATE OF e SKIP LOCKED), "
    "dd AS (DELETE FROM deliveries WHERE event_id IN (SELECT id FROM old)) "
    "DELETE FROM events WHERE id IN (SELECT id FROM old) RETURNING id";

// The oldest jobs of a project finished before a cutoff, whose callback (if any) finished
// before it too; with their delivery and callback. `own`: the jobs with a retention of their
// own (seed 000), $2 being now and each job's cutoff now minus its retention; else the others,
// $2 being the project's cutoff (and the job created before it as well).
std::string purgeJobsSql(bool own) {
  const std::string cutoff = own ? "ms_to_ts($2 - j.retention_ms)" : "ms_to_ts($2)";
  return "WITH old AS (SELECT j.id FROM jobs j JOIN deliveries d ON d.id = j.id "
         "  WHERE j.project_id = $1 AND " +
         std::string(own ? "j.retention_ms IS NOT NULL "
                         : "j.retention_ms IS NULL AND j.created_at < ms_to_ts($2) ") +
         "  AND d.status IN " + sql::in(model::terminalStates()) + " AND d.updated_at < " + cutoff +
         "  AND NOT EXISTS (SELECT 1 FROM deliveries c WHERE c.kind = " +
         sql::kind(model::Kind::kCallback) + " AND c.job_id = j.id AND (c.status IN " +
         sql::in(model::liveStates()) + " OR c.updated_at >= " + cutoff +
         ")) "
         "  ORDER BY j.created_at LIMIT $3 FOR UPDATE OF j SKIP LOCKED), "
         "cb AS (DELETE FROM deliveries WHERE kind = " +
         sql::kind(model::Kind::kCallback) +
         " AND job_id IN (SELECT id FROM old)), "
         "dd AS (DELETE FROM deliveries WHERE id IN (SELECT id FROM old)) "
         "DELETE FROM jobs WHERE id IN (SELECT id FROM old) RETURNING id";
}
const std::string kPurgeJobsSql = purgeJobsSql(false);
const std::string kPurgeOwnRetentionJobsSql = purgeJobsSql(true);

// One batch of `statement` in its own transaction; the number of events or jobs it deleted (0
// when a concurrent change got in the way), or -1 when another node holds the purge lock.
// Repeatable read: a delivery reopened (a retry) or added (a replay touches its event) after
// the batch chose its event or job makes the batch fail as a whole (a serialization failure,
// or a deadlock, rolled back) instead of deleting the event from under it; what is left
// waits for the next pass. So does a batch that waited 5 s for a row lock held elsewhere.
int64_t purgeBatch(Connection& conn, const std::string& statement, const std::string& projectId,
                   TimeMs cutoff, int batch) {
  try {
    pqxx::transaction<pqxx::isolation_level::repeatable_read> tx(conn);
    auto locked =
        tx.exec_params1("SELECT pg_try_advisory_xact_lock($1, $2)", kLockClass, kLockPurge);
    if (!locked[0].as<bool>()) return -1;
    tx.exec("SET LOCAL lock_timeout = '5s'");
    auto r = tx.exec_params(statement, projectId, static_cast<long long>(cutoff), batch);
    tx.commit();
    return static_cast<int64_t>(r.size());
  } catch (const pqxx::transaction_rollback&) {
    return 0;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "55P03") return 0;  // lock_timeout: the rows stay for the next pass
    throw;
  }
}

}  // namespace

Status purgeProject(Db& db, const std::string& projectId, std::optional<TimeMs> cutoff, TimeMs now,
                    int batch, PurgeCounts* counts, bool* skipped,
                    const std::function<bool()>& stop) {
  if (skipped) *skipped = false;
  struct Kind {
    const std::string* statement;
    std::optional<TimeMs> bound;  // $2; none: this kind is not purged
    int64_t* total;
  };
  const Kind kinds[] = {{&kPurgeEventsSql, cutoff, &counts->events},
                        {&kPurgeJobsSql, cutoff, &counts->jobs},
                        {&kPurgeOwnRetentionJobsSql, now, &counts->jobs}};
  for (const Kind& k : kinds) {
    while (k.bound && !(stop && stop())) {
      int64_t n = 0;
      Status st = db.run([&](Connection& conn) {
        n = purgeBatch(conn, *k.statement, projectId, *k.bound, batch);
      });
      if (!st) return st;
      if (n < 0) {
        if (skipped) *skipped = true;
        return Status::ok();
      }
      *k.total += n;
      if (n < batch) break;
    }
  }
  return Status::ok();
}

RetentionPurger::RetentionPurger(Db& db, RetentionSource retention, const Clock& clock,
                                 int64_t intervalMs, int64_t firstAfterMs, int batch)
    : db_(db),
      retention_(std::move(retention)),
      clock_(clock),
      intervalMs_(intervalMs),
      firstAfterMs_(firstAfterMs),
      batch_(batch) {}

RetentionPurger::~RetentionPurger() { stop(); }

void RetentionPurger::start() {
  std::lock_guard<std::mutex> g(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void RetentionPurger::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

Status RetentionPurger::runOnce(PurgeCounts* counts) {
  auto retention = retention_();
  std::vector<std::pair<std::string, std::string>> projects;  // id, name
  Status st = db_.run([&](Connection& conn) {
    pqxx::nontransaction tx(conn);
    for (const auto& row : tx.exec("SELECT id::text, name FROM projects")) {
      projects.emplace_back(row[0].c_str(), row[1].c_str());
    }
  });
  if (!st) return st;
  TimeMs now = clock_.nowMs();
  auto stopping = [this] {
    std::lock_guard<std::mutex> g(mu_);
    return stopping_;
  };
  for (const auto& [id, name] : projects) {
    // A project without retention keeps its events and jobs, except jobs with their own.
    auto it = retention.find(name);
    std::optional<TimeMs> cutoff;
    if (it != retention.end() && it->second > 0) cutoff = now - it->second;
    if (stopping()) break;
    bool skipped = false;
    if (Status ps = purgeProject(db_, id, cutoff, now, batch_, counts, &skipped, stopping); !ps) {
      return ps;
    }
    if (skipped) break;  // another node is purging
  }
  return Status::ok();
}

void RetentionPurger::loop() {
  int64_t waitMs = firstAfterMs_;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(waitMs), [&] { return stopping_; });
      if (stopping_) return;
    }
    waitMs = intervalMs_;
    PurgeCounts c;
    Status st = runOnce(&c);
    metrics::global().retentionEvents.inc(static_cast<uint64_t>(c.events));
    metrics::global().retentionJobs.inc(static_cast<uint64_t>(c.jobs));
    if (!st) {
      log::warn("retention purge failed", {{"error", st.message()}});
    } else if (c.events > 0 || c.jobs > 0) {
      log::info("retention purge", {{"events", static_cast<long long>(c.events)},
                                    {"jobs", static_cast<long long>(c.jobs)}});
    }
  }
}

}  // namespace dispatch::store
