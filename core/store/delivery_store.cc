// Claim, complete and release deliveries.
#include "core/store/delivery_store.h"

#include "core/store/connection.h"
#include "core/store/group_commit_tx.h"

namespace dispatch::store {
namespace {

// The job columns come along so a worker needs no second query per attempt. The shape
// keeps every step an index lookup whatever the table sizes: ids as an array (no hash
// semi-join over deliveries) and the job/event columns through LATERAL ... LIMIT 1 (not
// pulled up into a join the planner could hash over the whole events or jobs table).
const char* kClaimSql =
    "WITH due AS (SELECT id FROM deliveries WHERE status IN ('SCHEDULED','FAILED') "
    "  AND due_at <= ms_to_ts($2) ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED), "
    "expired AS (SELECT id FROM deliveries WHERE status = 'FIRING' "
    "  AND lease_until < ms_to_ts($2) ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED), "
    "upd AS (UPDATE deliveries d SET status = 'FIRING', lease_until = ms_to_ts($2 + $3), "
    "  lease_seq = d.lease_seq + 1, updated_at = now() "
    "  WHERE d.id = ANY(ARRAY(SELECT id FROM due UNION ALL SELECT id FROM expired)) "
    "  RETURNING d.id, d.project_id, d.kind, d.job_id, d.event_id, d.destination, d.url, "
    "  d.message_id, d.body, d.attempts, d.lease_seq, d.due_at, d.event_type, d.headers, "
    "  d.source) "
    "SELECT upd.id, upd.project_id, upd.kind, upd.job_id, upd.event_id, upd.destination, upd.url, "
    "upd.message_id, upd.body, upd.attempts, upd.lease_seq, ts_to_ms(upd.due_at), "
    "j.id IS NOT NULL, j.title, j.payload, j.callback_url, "
    "upd.event_type, upd.headers, upd.source, ev.body, ev.content_type "
    "FROM upd "
    "LEFT JOIN LATERAL (SELECT id, title, payload, callback_url FROM jobs "
    "  WHERE id = upd.job_id AND upd.kind = 1 LIMIT 1) j ON true "
    "LEFT JOIN LATERAL (SELECT CASE WHEN upd.body IS NULL THEN body END AS body, content_type "
    "  FROM events WHERE id = upd.event_id AND upd.kind = 2 LIMIT 1) ev ON true "
    "ORDER BY upd.due_at";

std::optional<std::string> optStr(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::string(f.c_str());
}

delivery::Claimed claimedFromRow(const pqxx::row& r) {
  delivery::Claimed c;
  c.id = r[0].c_str();
  c.projectId = r[1].c_str();
  c.kind = static_cast<delivery::Kind>(r[2].as<int>());
  c.jobId = optStr(r[3]);
  c.eventId = optStr(r[4]);
  c.destination = optStr(r[5]);
  c.url = r[6].c_str();
  c.messageId = r[7].c_str();
  c.body = optStr(r[8]);
  c.attemptsBefore = r[9].as<int>();
  c.leaseSeq = r[10].as<long long>();
  c.dueAt = r[11].as<long long>();
  if (r[12].as<bool>()) {
    c.title = r[13].c_str();
    c.payload = r[14].c_str();
    c.callbackUrl = optStr(r[15]);
  }
  if (!r[16].is_null()) c.eventType = r[16].c_str();
  if (!r[17].is_null()) c.headersJson = r[17].c_str();
  if (!r[18].is_null()) c.source = r[18].c_str();
  if (!r[19].is_null()) c.eventBody = pqxx::binarystring(r[19]).str();
  c.eventContentType = optStr(r[20]);
  return c;
}

}  // namespace

Result<std::vector<delivery::Claimed>> DeliveryStore::claimDue(int limit, TimeMs now,
                                                               int64_t leaseMs) {
  std::vector<delivery::Claimed> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    // A claim is only a lease: if the database loses this commit in a crash, the rows are
    // simply SCHEDULED again and claimed anew (at least once, never lost). So the claim need
    // not wait for the WAL flush, which would add an fsync to every firing's latency.
    tx.exec("SET LOCAL synchronous_commit = off");
    c.prepared("delivery_claim", kClaimSql);
    auto r = tx.exec_prepared("delivery_claim", limit, static_cast<long long>(now),
                              static_cast<long long>(leaseMs));
    tx.commit();
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(claimedFromRow(row));
  });
  if (!st) return st;
  return out;
}

Result<std::vector<TimeMs>> DeliveryStore::dueTimes(TimeMs now, TimeMs until, int limit) {
  std::vector<TimeMs> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_params(
        "SELECT ts_to_ms(due_at) FROM deliveries WHERE status IN ('SCHEDULED','FAILED') "
        "AND due_at > ms_to_ts($1) AND due_at <= ms_to_ts($2) ORDER BY due_at LIMIT $3",
        static_cast<long long>(now), static_cast<long long>(until), limit);
    for (const auto& row : r) out.push_back(row[0].as<long long>());
  });
  if (!st) return st;
  return out;
}

Result<std::vector<TimeMs>> DeliveryStore::leaseExpiries(TimeMs until, int limit) {
  std::vector<TimeMs> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_params(
        "SELECT ts_to_ms(lease_until) + 1 FROM deliveries WHERE status = 'FIRING' "
        "AND lease_until <= ms_to_ts($1) ORDER BY lease_until LIMIT $2",
        static_cast<long long>(until), limit);
    for (const auto& row : r) out.push_back(row[0].as<long long>());
  });
  if (!st) return st;
  return out;
}

namespace {

// One round trip: the attempt row is written only when our lease still holds.
const char* kCompleteSql =
    "WITH u AS (UPDATE deliveries SET status = $3::text, attempts = attempts + 1, "
    "due_at = CASE WHEN $3::text = 'FAILED' THEN ms_to_ts($4) ELSE due_at END, "
    "lease_until = NULL, last_error = $5, last_code = $6::integer, fired_at = ms_to_ts($7), "
    "updated_at = now() WHERE id = $1 AND lease_seq = $2 AND status = 'FIRING' RETURNING id) "
    "INSERT INTO attempts (id, delivery_id, attempt, status, response_code, response_body, "
    "fired_at, duration_ms, error) SELECT $8, u.id, $9, $10, $6::integer, $11, ms_to_ts($7), $12, $13 "
    "FROM u RETURNING delivery_id";

const char* kDeferSql =
    "UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'FAILED' ELSE 'SCHEDULED' "
    "END, due_at = ms_to_ts($3), lease_until = NULL, updated_at = now() "
    "WHERE id = $1 AND lease_seq = $2 AND status = 'FIRING' RETURNING id";

// Writes one completion; returns false when the lease was taken over (nothing written).
bool writeCompletion(Connection& conn, pqxx::transaction_base& tx, const delivery::Completion& c) {
  if (c.deferred) {
    conn.prepared("delivery_defer", kDeferSql);
    return !tx.exec_prepared("delivery_defer", c.deliveryId, static_cast<long long>(c.leaseSeq),
                             static_cast<long long>(c.nextAttemptAt))
                .empty();
  }
  conn.prepared("delivery_complete", kCompleteSql);
  const auto& a = c.attempt;
  std::string code = a.responseCode ? std::to_string(*a.responseCode) : "";
  auto r = tx.exec_prepared(
      "delivery_complete", c.deliveryId, static_cast<long long>(c.leaseSeq),
      delivery::toString(c.next), static_cast<long long>(c.nextAttemptAt),
      c.lastError ? c.lastError->c_str() : nullptr, a.responseCode ? code.c_str() : nullptr,
      static_cast<long long>(a.firedAt), a.id, a.attempt, a.success ? "SUCCESS" : "FAILED",
      a.responseBody ? a.responseBody->c_str() : nullptr, static_cast<long long>(a.durationMs),
      a.error ? a.error->c_str() : nullptr);
  if (r.empty()) return false;
  if (c.callback) {
    const auto& cb = *c.callback;
    tx.exec_params(
        "INSERT INTO deliveries (id, project_id, kind, job_id, url, message_id, body, status, "
        "due_at, created_at, updated_at) VALUES ($1::uuid,$2,3,$3,$4,$1::text,$5,'SCHEDULED',"
        "now(),now(),now())",
        cb.id, cb.projectId, cb.jobId, cb.url, cb.body);
  }
  return true;
}

}  // namespace

Status DeliveryStore::complete(const delivery::Completion& c) {
  bool ours = true;
  Status st =
      runWrite(db_, committer_, [&](BatchTx& b) { ours = writeCompletion(b.conn(), b.tx(), c); });
  if (!st) return st;
  if (!ours) return Status(Code::kConflict, "lease lost");
  return Status::ok();
}

Status DeliveryStore::release(const std::vector<std::pair<std::string, int64_t>>& items) {
  if (items.empty()) return Status::ok();
  return db_.run([&](Connection& conn) {
    pqxx::work tx(conn);
    for (const auto& [id, seq] : items) {
      tx.exec_params(
          "UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'FAILED' ELSE 'SCHEDULED' "
          "END, lease_until = NULL, lease_seq = lease_seq + 1, due_at = LEAST(due_at, now()), "
          "updated_at = now() WHERE id = $1 AND lease_seq = $2 AND status = 'FIRING'",
          id, static_cast<long long>(seq));
    }
    tx.commit();
  });
}

Status DeliveryStore::renew(const std::vector<std::pair<std::string, int64_t>>& items,
                            TimeMs now, int64_t leaseMs) {
  if (items.empty()) return Status::ok();
  return db_.run([&](Connection& conn) {
    pqxx::work tx(conn);
    tx.exec("SET LOCAL synchronous_commit = off");  // a lost renewal only shortens a lease
    for (const auto& [id, seq] : items) {
      tx.exec_params(
          "UPDATE deliveries SET lease_until = ms_to_ts($3) "
          "WHERE id = $1 AND lease_seq = $2 AND status = 'FIRING'",
          id, static_cast<long long>(seq), static_cast<long long>(now + leaseMs));
    }
    tx.commit();
  });
}

}  // namespace dispatch::store
