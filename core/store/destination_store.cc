// Destination gates and health: the SQL of pause, resume and the circuit breaker.
#include "core/store/destination_store.h"

#include <functional>
#include <pqxx/pqxx>

#include "core/store/row_mapping.h"
#include "core/store/sql_states.h"

namespace dispatch::store {
namespace {

const std::string kWaiting = sql::from(model::Transition::kClaim);  // SCHEDULED, FAILED

// The waiting deliveries of a destination stop being claimed.
void holdWaiting(pqxx::work& tx, const std::string& projectId, const std::string& destination) {
  static const std::string kSql = "UPDATE deliveries SET held = true WHERE project_id = $1 AND " +
                                  std::string("destination = $2 AND status IN ") + kWaiting +
                                  " AND NOT held";
  tx.exec_params(kSql, projectId, destination);
}

// Every held delivery of a destination is claimable again, due as before; other nodes hear.
void releaseHeld(pqxx::work& tx, const std::string& projectId, const std::string& destination) {
  auto r = tx.exec_params(
      "UPDATE deliveries SET held = false WHERE project_id = $1 AND destination = $2 AND held",
      projectId, destination);
  if (r.affected_rows() > 0) tx.exec("SELECT pg_notify('dispatch_due', '0')");
}

// One held delivery goes out now (a trial), whatever its due time.
void releaseOne(pqxx::work& tx, const std::string& id) {
  auto r = tx.exec_params(
      "UPDATE deliveries SET held = false, due_at = LEAST(due_at, now()) WHERE id = $1::uuid "
      "AND held",
      id);
  if (r.affected_rows() > 0) tx.exec("SELECT pg_notify('dispatch_due', '0')");
}

// One conditional state change in a transaction of its own: `sql` updates at most one row
// and returns it when it applied; `then(tx, row)` acts on that row in the same transaction.
// Whether it applied.
template <class... P>
Result<bool> conditionally(Db& db, const std::function<void(pqxx::work&, const pqxx::row&)>& then,
                           const std::string& sql, const P&... params) {
  bool changed = false;
  Status st = db.run([&](Connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(sql, params...);
    changed = !r.empty();
    if (changed && then) then(tx, r[0]);
    tx.commit();
  });
  if (!st) return st;
  return changed;
}

std::optional<TimeMs> optMs(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<long long>();
}

}  // namespace

Result<std::map<std::string, model::Gate>> DestinationStore::gates() {
  std::map<std::string, model::Gate> out;
  Status st = db_.run([&](Connection& c) {
    out.clear();
    pqxx::nontransaction tx(c);
    auto r = tx.exec(
        "SELECT project_id::text, destination, paused, circuit, "
        "COALESCE(ts_to_ms(opened_at), 0), COALESCE(trial_id::text, '') "
        "FROM destination_states WHERE paused OR circuit <> 'closed'");
    for (const auto& row : r) {
      model::Gate g;
      g.paused = row[2].as<bool>();
      g.circuit = model::circuitFromString(row[3].c_str());
      g.openedAt = row[4].as<long long>();
      g.trialId = row[5].c_str();
      out[std::string(row[0].c_str()) + "/" + row[1].c_str()] = std::move(g);
    }
  });
  if (!st) return st;
  return out;
}

Status DestinationStore::pause(const std::string& projectId, const std::string& destination) {
  return db_.run([&](Connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO destination_states (project_id, destination, paused) VALUES ($1, $2, true) "
        "ON CONFLICT (project_id, destination) DO UPDATE SET paused = true, updated_at = now()",
        projectId, destination);
    holdWaiting(tx, projectId, destination);
    tx.commit();
  });
}

Status DestinationStore::resume(const std::string& projectId, const std::string& destination) {
  return conditionally(
             db_,
             [&](pqxx::work& tx, const pqxx::row& row) {
               const model::Circuit circuit = model::circuitFromString(row[0].c_str());
               if (circuit == model::Circuit::kClosed) releaseHeld(tx, projectId, destination);
               if (circuit == model::Circuit::kHalfOpen && !row[1].is_null()) {
                 releaseOne(tx, row[1].c_str());
               }
             },
             "UPDATE destination_states SET paused = false, updated_at = now() "
             "WHERE project_id = $1 AND destination = $2 RETURNING circuit, trial_id::text",
             projectId, destination)
      .status();
}

Result<bool> DestinationStore::openCircuit(const std::string& projectId,
                                           const std::string& destination) {
  return conditionally(
      db_, [&](pqxx::work& tx, const pqxx::row&) { holdWaiting(tx, projectId, destination); },
      "INSERT INTO destination_states (project_id, destination, circuit, opened_at) "
      "VALUES ($1, $2, 'open', now()) ON CONFLICT (project_id, destination) DO UPDATE "
      "SET circuit = 'open', opened_at = now(), trial_id = NULL, updated_at = now() "
      "WHERE destination_states.circuit = 'closed' RETURNING 1",
      projectId, destination);
}

Result<std::optional<std::string>> DestinationStore::halfOpen(const std::string& projectId,
                                                              const std::string& destination,
                                                              int64_t coolDownMs) {
  std::optional<std::string> trial;
  Status st = db_.run([&](Connection& c) {
    trial.reset();
    pqxx::work tx(c);
    static const std::string kSql =
        "UPDATE destination_states SET circuit = 'half-open', updated_at = now(), trial_id = "
        "(SELECT id FROM deliveries WHERE project_id = $1 AND destination = $2 AND held AND "
        "status IN " +
        kWaiting +
        " ORDER BY due_at LIMIT 1) "
        "WHERE project_id = $1 AND destination = $2 AND circuit = 'open' AND NOT paused "
        "AND opened_at <= now() - $3::bigint * interval '1 millisecond' "
        "RETURNING COALESCE(trial_id::text, '')";
    auto r = tx.exec_params(kSql, projectId, destination, static_cast<long long>(coolDownMs));
    if (!r.empty()) {
      trial = r[0][0].c_str();
      if (!trial->empty()) releaseOne(tx, *trial);
    }
    tx.commit();
  });
  if (!st) return st;
  return trial;
}

Result<std::optional<std::string>> DestinationStore::ensureTrial(const std::string& projectId,
                                                                 const std::string& destination) {
  std::optional<std::string> trial;
  Status st = db_.run([&](Connection& c) {
    trial.reset();
    pqxx::work tx(c);
    static const std::string kSql =
        "WITH t AS (SELECT id FROM deliveries WHERE project_id = $1 AND destination = $2 AND held "
        "AND status IN " +
        kWaiting +
        " ORDER BY due_at LIMIT 1) "
        "UPDATE destination_states SET trial_id = (SELECT id FROM t), updated_at = now() "
        "WHERE project_id = $1 AND destination = $2 AND circuit = 'half-open' AND NOT paused "
        "AND trial_id IS NULL AND EXISTS (SELECT 1 FROM t) RETURNING trial_id::text";
    auto r = tx.exec_params(kSql, projectId, destination);
    if (!r.empty()) {
      trial = r[0][0].c_str();
      releaseOne(tx, *trial);
    }
    tx.commit();
  });
  if (!st) return st;
  return trial;
}

Result<bool> DestinationStore::takeTrial(const std::string& projectId,
                                         const std::string& destination,
                                         const std::string& deliveryId) {
  return conditionally(db_, nullptr,
                       "UPDATE destination_states SET trial_id = $3::uuid, updated_at = now() "
                       "WHERE project_id = $1 AND destination = $2 AND circuit = 'half-open' "
                       "AND trial_id IS NULL RETURNING 1",
                       projectId, destination, deliveryId);
}

Result<bool> DestinationStore::closeCircuit(const std::string& projectId,
                                            const std::string& destination,
                                            const std::string& deliveryId) {
  return conditionally(
      db_,
      [&](pqxx::work& tx, const pqxx::row& row) {
        if (!row[0].as<bool>()) releaseHeld(tx, projectId, destination);  // unless paused
      },
      "UPDATE destination_states SET circuit = 'closed', opened_at = NULL, trial_id = NULL, "
      "updated_at = now() WHERE project_id = $1 AND destination = $2 AND circuit = 'half-open' "
      "AND trial_id = $3::uuid RETURNING paused",
      projectId, destination, deliveryId);
}

Result<bool> DestinationStore::reopenCircuit(const std::string& projectId,
                                             const std::string& destination,
                                             const std::string& deliveryId) {
  return conditionally(
      db_, [&](pqxx::work& tx, const pqxx::row&) { holdWaiting(tx, projectId, destination); },
      "UPDATE destination_states SET circuit = 'open', opened_at = now(), trial_id = NULL, "
      "updated_at = now() WHERE project_id = $1 AND destination = $2 AND circuit = 'half-open' "
      "AND trial_id = $3::uuid RETURNING 1",
      projectId, destination, deliveryId);
}

Status DestinationStore::forceClose(const std::string& projectId, const std::string& destination) {
  return conditionally(
             db_,
             [&](pqxx::work& tx, const pqxx::row& row) {
               if (!row[0].as<bool>()) releaseHeld(tx, projectId, destination);  // unless paused
             },
             "UPDATE destination_states SET circuit = 'closed', opened_at = NULL, "
             "trial_id = NULL, updated_at = now() WHERE project_id = $1 AND destination = $2 "
             "AND circuit <> 'closed' RETURNING paused",
             projectId, destination)
      .status();
}

Status DestinationStore::flush(const std::vector<DestinationTally>& tallies, TimeMs keepFrom) {
  return db_.run([&](Connection& c) {
    pqxx::work tx(c);
    // A lost flush loses a second of counts, never a delivery: no need to wait for the WAL.
    tx.exec("SET LOCAL synchronous_commit = off");
    c.prepared("destination_minute",
               "INSERT INTO destination_minutes (project_id, destination, minute, attempts, "
               "successes) VALUES ($1, $2, ms_to_ts($3), $4, $5) "
               "ON CONFLICT (project_id, destination, minute) DO UPDATE SET "
               "attempts = destination_minutes.attempts + EXCLUDED.attempts, "
               "successes = destination_minutes.successes + EXCLUDED.successes");
    c.prepared("destination_last",
               "INSERT INTO destination_states (project_id, destination, last_success_at, "
               "last_failure_at, last_error) VALUES ($1, $2, ms_to_ts($3::bigint), "
               "ms_to_ts($4::bigint), $5) "
               "ON CONFLICT (project_id, destination) DO UPDATE SET "
               "last_success_at = GREATEST(destination_states.last_success_at, "
               "  EXCLUDED.last_success_at), "
               "last_failure_at = GREATEST(destination_states.last_failure_at, "
               "  EXCLUDED.last_failure_at), "
               "last_error = CASE WHEN EXCLUDED.last_failure_at IS NOT NULL AND "
               "  (destination_states.last_failure_at IS NULL OR "
               "   EXCLUDED.last_failure_at >= destination_states.last_failure_at) "
               "  THEN EXCLUDED.last_error ELSE destination_states.last_error END");
    // Callers pass tallies in key order, so two nodes lock the rows in the same order.
    for (const auto& t : tallies) {
      for (const auto& [minute, counts] : t.minutes) {
        tx.exec_prepared("destination_minute", t.projectId, t.destination,
                         static_cast<long long>(minute), static_cast<long long>(counts.first),
                         static_cast<long long>(counts.second));
      }
      if (t.lastSuccessAt || t.lastFailureAt) {
        std::optional<std::string> s, f;
        if (t.lastSuccessAt) s = std::to_string(*t.lastSuccessAt);
        if (t.lastFailureAt) f = std::to_string(*t.lastFailureAt);
        tx.exec_prepared("destination_last", t.projectId, t.destination, orNull(s), orNull(f),
                         orNull(t.lastError));
      }
    }
    tx.exec_params("DELETE FROM destination_minutes WHERE minute < ms_to_ts($1)",
                   static_cast<long long>(keepFrom));
    tx.commit();
  });
}

Result<std::map<std::string, model::DestinationHealth>> DestinationStore::health(
    const std::string& projectId, TimeMs since) {
  std::map<std::string, model::DestinationHealth> out;
  Status st = db_.run([&](Connection& c) {
    out.clear();
    pqxx::read_transaction tx(c);
    // One snapshot for the three reads: under READ COMMITTED each statement takes its own, and
    // a flush committing between them showed its attempts without their last success/failure.
    tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    auto entry = [&](const char* name) -> model::DestinationHealth& {
      auto& h = out[name];
      h.name = name;
      return h;
    };
    for (const auto& row : tx.exec_params(
             "SELECT destination, paused, circuit, COALESCE(ts_to_ms(opened_at), 0), "
             "COALESCE(trial_id::text, ''), ts_to_ms(last_success_at), "
             "ts_to_ms(last_failure_at), last_error FROM destination_states WHERE project_id = $1",
             projectId)) {
      auto& h = entry(row[0].c_str());
      h.gate.paused = row[1].as<bool>();
      h.gate.circuit = model::circuitFromString(row[2].c_str());
      h.gate.openedAt = row[3].as<long long>();
      h.gate.trialId = row[4].c_str();
      h.lastSuccessAt = optMs(row[5]);
      h.lastFailureAt = optMs(row[6]);
      h.lastError = optStr(row[7]);
    }
    for (const auto& row : tx.exec_params(
             "SELECT destination, sum(attempts), sum(successes) FROM destination_minutes "
             "WHERE project_id = $1 AND minute >= ms_to_ts($2) GROUP BY destination",
             projectId, static_cast<long long>(since))) {
      auto& h = entry(row[0].c_str());
      h.attempts = row[1].as<long long>();
      h.successes = row[2].as<long long>();
    }
    static const std::string kPending =
        "SELECT destination, count(*) FROM deliveries WHERE project_id = $1 AND status IN (" +
        sql::state(model::State::kScheduled) + ", " + sql::state(model::State::kFailed) + ", " +
        sql::state(model::State::kFiring) + ") AND destination IS NOT NULL GROUP BY destination";
    for (const auto& row : tx.exec_params(kPending, projectId)) {
      entry(row[0].c_str()).pending = row[1].as<long long>();
    }
  });
  if (!st) return st;
  return out;
}

}  // namespace dispatch::store
