// Claim, complete and release deliveries.
#include "core/store/delivery_store.h"

#include <unordered_set>

#include "core/store/array_literal.h"
#include "core/store/connection.h"
#include "core/store/group_commit_tx.h"
#include "core/store/row_mapping.h"
#include "core/store/sealer.h"
#include "core/store/sql_states.h"

namespace dispatch::store {
namespace {

// A row holds a lease exactly while it is FIRING: every statement that enters FIRING sets
// lease_until, every one that leaves it clears it. Statements on leased rows test
// `lease_until IS NOT NULL`, not `status = 'FIRING'`: the latter matches the predicate of the
// partial index deliveries_lease, and the planner then walks every row claimed since the
// last vacuum (their old index entries) instead of looking the ids up by primary key.

// The job columns come along so a worker needs no second query per attempt. The shape
// keeps every step an index lookup whatever the table sizes: ids as an array (no hash
// semi-join over deliveries) and the job/event columns through LATERAL ... LIMIT 1 (not
// pulled up into a join the planner could hash over the whole events or jobs table).
const std::string kClaimSql =
    "WITH due AS (SELECT id FROM deliveries WHERE status IN " +
    sql::from(model::Transition::kClaim) +
    " "
    "  AND NOT held AND due_at <= ms_to_ts($2) ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED), "
    "expired AS (SELECT id FROM deliveries WHERE status IN " +
    sql::from(model::Transition::kReclaim) +
    " "
    "  AND lease_until < ms_to_ts($2) ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED), "
    "upd AS (UPDATE deliveries d SET status = " +
    sql::to(model::Transition::kClaim) +
    ", lease_until = ms_to_ts($2 + $3), "
    "  lease_seq = d.lease_seq + 1, updated_at = now() "
    "  WHERE d.id = ANY(ARRAY(SELECT id FROM due UNION ALL SELECT id FROM expired)) "
    "  RETURNING d.id, d.project_id, d.kind, d.job_id, d.event_id, d.destination, d.url, "
    "  d.message_id, d.body, d.attempts, d.lease_seq, d.due_at, d.event_type, d.headers, "
    "  d.source, d.key_id) "
    "SELECT upd.id, upd.project_id, upd.kind, upd.job_id, upd.event_id, upd.destination, upd.url, "
    "upd.message_id, upd.body, upd.attempts, upd.lease_seq, ts_to_ms(upd.due_at), "
    "j.id IS NOT NULL, j.title, j.payload, j.callback_url, "
    "upd.event_type, upd.headers, upd.source, ev.body, ev.content_type, "
    "j.headers, j.redact_response, j.schedule_id, upd.key_id, j.key_id, ev.key_id "
    "FROM upd "
    "LEFT JOIN LATERAL (SELECT id, title, payload, callback_url, headers, redact_response, "
    "  schedule_id, key_id FROM jobs "
    "  WHERE id = upd.job_id AND upd.kind = " +
    sql::kind(model::Kind::kJob) +
    " LIMIT 1) j ON true "
    "LEFT JOIN LATERAL (SELECT CASE WHEN upd.body IS NULL THEN body END AS body, content_type, "
    "  key_id "
    "  FROM events WHERE id = upd.event_id AND upd.kind = " +
    sql::kind(model::Kind::kEvent) +
    " LIMIT 1) ev ON true "
    "ORDER BY upd.due_at";

// `open`: false reads the row's ids and lease only, leaving its sealed fields empty.
model::Claimed claimedFromRow(const pqxx::row& r, const Sealer* sealer, bool open = true) {
  model::Claimed c;
  c.id = r[0].c_str();
  c.projectId = r[1].c_str();
  c.kind = static_cast<model::Kind>(r[2].as<int>());
  c.jobId = optStr(r[3]);
  c.eventId = optStr(r[4]);
  c.destination = optStr(r[5]);
  c.url = r[6].c_str();
  c.messageId = r[7].c_str();
  const std::optional<std::string> deliveryKey = optStr(r[24]), jobKey = optStr(r[25]),
                                   eventKey = optStr(r[26]);
  auto opened = [&](const std::optional<std::string>& key, std::string_view field,
                    const std::string& stored) {
    return open ? openField(sealer, key, c.projectId, field, stored) : std::string();
  };
  if (!r[8].is_null()) {
    c.body = opened(deliveryKey, kFieldDeliveryBody, pqxx::binarystring(r[8]).str());
  }
  c.attemptsBefore = r[9].as<int>();
  c.leaseSeq = r[10].as<long long>();
  c.dueAt = r[11].as<long long>();
  if (r[12].as<bool>()) {
    c.title = r[13].c_str();
    c.payload = opened(jobKey, kFieldJobPayload, r[14].c_str());
    c.callbackUrl = optStr(r[15]);
    if (!r[21].is_null()) {
      c.headersJson = opened(jobKey, kFieldJobHeaders, r[21].c_str());
    }
    c.redactResponse = r[22].as<bool>();
    c.scheduleId = optStr(r[23]);
  }
  if (!r[16].is_null()) c.eventType = r[16].c_str();
  if (!r[17].is_null()) {
    c.headersJson = opened(deliveryKey, kFieldDeliveryHeaders, r[17].c_str());
  }
  if (!r[18].is_null()) c.source = r[18].c_str();
  if (!r[19].is_null()) {
    c.eventBody = opened(eventKey, kFieldEventBody, pqxx::binarystring(r[19]).str());
  }
  c.eventContentType = optStr(r[20]);
  return c;
}

}  // namespace

Result<std::vector<model::Claimed>> DeliveryStore::claimDue(int limit, TimeMs now,
                                                            int64_t leaseMs) {
  std::vector<model::Claimed> out;
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
    auto sealer = db_.sealer();
    for (const auto& row : r) {
      try {
        out.push_back(claimedFromRow(row, sealer.get()));
      } catch (const SealError& e) {
        // One unreadable row must not stall the claims of every other: it is handed over
        // marked, and ends DEAD with the reason instead of being attempted.
        model::Claimed c = claimedFromRow(row, nullptr, /*open=*/false);
        c.unreadable = e.what();
        out.push_back(std::move(c));
      }
    }
  });
  if (!st) return st;
  return out;
}

Result<std::vector<TimeMs>> DeliveryStore::dueTimes(TimeMs now, TimeMs until, int limit) {
  std::vector<TimeMs> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::nontransaction tx(c);
    static const std::string kSql =
        "SELECT ts_to_ms(due_at) FROM deliveries WHERE status IN " +
        sql::from(model::Transition::kClaim) +
        " AND NOT held AND due_at > ms_to_ts($1) AND due_at <= ms_to_ts($2) ORDER BY due_at "
        "LIMIT $3";
    auto r =
        tx.exec_params(kSql, static_cast<long long>(now), static_cast<long long>(until), limit);
    for (const auto& row : r) out.push_back(row[0].as<long long>());
  });
  if (!st) return st;
  return out;
}

Result<std::optional<TimeMs>> DeliveryStore::nextLeaseExpiry(TimeMs now) {
  std::optional<TimeMs> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::nontransaction tx(c);
    // The partial index deliveries_lease, read in order from `now`: one row.
    static const std::string kSql =
        "SELECT ts_to_ms(lease_until) + 1 FROM deliveries WHERE status IN " +
        sql::from(model::Transition::kReclaim) +
        " AND lease_until > ms_to_ts($1) ORDER BY lease_until LIMIT 1";
    auto r = tx.exec_params(kSql, static_cast<long long>(now));
    if (!r.empty() && !r[0][0].is_null()) out = r[0][0].as<long long>();
  });
  if (!st) return st;
  return out;
}

namespace {

// One round trip: the attempt row is written only when our lease still holds.
const std::string kCompleteSql =
    "WITH u AS (UPDATE deliveries SET status = $3::text, attempts = attempts + 1, "
    "due_at = CASE WHEN $3::text = " +
    sql::to(model::Transition::kFail) +
    " THEN ms_to_ts($4) ELSE due_at END, "
    "lease_until = NULL, last_error = $5, last_code = $6::integer, fired_at = ms_to_ts($7), "
    "updated_at = now() WHERE id = $1 AND lease_seq = $2 AND lease_until IS NOT NULL RETURNING id) "
    "INSERT INTO attempts (id, delivery_id, attempt, status, response_code, response_body, "
    "fired_at, duration_ms, error, key_id) SELECT $8, u.id, $9, $10, $6::integer, $11, "
    "ms_to_ts($7), $12, $13, $14 "
    "FROM u RETURNING delivery_id";

const std::string kDeferSql =
    "UPDATE deliveries SET status = " + sql::released() +
    ", due_at = ms_to_ts($3), lease_until = NULL, updated_at = now() "
    "WHERE id = $1 AND lease_seq = $2 AND lease_until IS NOT NULL RETURNING id";

// A held delivery goes back to waiting, unattempted, with its due time: its destination is
// paused or its circuit open (delivery/destination_health.h). Resuming clears `held`.
// The node decided from gates up to a second old, so the store's gate decides: the row is
// marked held only if the gate still holds it (a half-open circuit's trial excepted); else
// it is put back due a second later, when the node has re-read the gates. The gate row is
// locked (FOR SHARE) so a resume or a closing circuit either sees this row held and releases
// it, or commits first and is seen here.
const std::string kHoldSql =
    "WITH cur AS (SELECT id, project_id, destination FROM deliveries WHERE id = $1), "
    "g AS (SELECT (s.paused OR s.circuit = 'open' OR (s.circuit = 'half-open' AND "
    "  s.trial_id IS DISTINCT FROM cur.id)) AS holds FROM destination_states s JOIN cur "
    "  ON s.project_id = cur.project_id AND s.destination = cur.destination FOR SHARE OF s), "
    "h AS (SELECT COALESCE((SELECT holds FROM g), false) AS holds) "
    "UPDATE deliveries d SET status = " +
    sql::released() +
    ", held = h.holds, lease_until = NULL, updated_at = now(), "
    "due_at = CASE WHEN h.holds THEN d.due_at ELSE GREATEST(d.due_at, now() + interval '1 second') "
    "END FROM h WHERE d.id = $1 AND d.lease_seq = $2 AND d.lease_until IS NOT NULL RETURNING d.id";

void insertCallback(pqxx::transaction_base& tx, const model::Completion::Callback& cb,
                    const Sealer* sealer) {
  static const std::string kSql =
      "INSERT INTO deliveries (id, project_id, kind, job_id, url, message_id, body, status, "
      "due_at, created_at, updated_at, key_id) VALUES ($1::uuid,$2," +
      sql::kind(model::Kind::kCallback) + ",$3,$4,$1::text,convert_to($5,'UTF8')," +
      sql::state(model::State::kScheduled) + ",now(),now(),now(),$6)";
  RowSeal seal(sealer, cb.projectId);
  tx.exec_params(kSql, cb.id, cb.projectId, cb.jobId, cb.url, seal(kFieldDeliveryBody, cb.body),
                 seal.keyIdParam());
}

// Writes one completion; returns false when the lease was taken over (nothing written).
bool writeCompletion(Connection& conn, pqxx::transaction_base& tx, const model::Completion& c,
                     const Sealer* sealer) {
  if (c.held) {
    conn.prepared("delivery_hold", kHoldSql);
    return !tx.exec_prepared("delivery_hold", c.deliveryId, static_cast<long long>(c.leaseSeq))
                .empty();
  }
  if (c.deferred) {
    conn.prepared("delivery_defer", kDeferSql);
    return !tx.exec_prepared("delivery_defer", c.deliveryId, static_cast<long long>(c.leaseSeq),
                             static_cast<long long>(c.nextAttemptAt))
                .empty();
  }
  conn.prepared("delivery_complete", kCompleteSql);
  const auto& a = c.attempt;
  std::string code = a.responseCode ? std::to_string(*a.responseCode) : "";
  RowSeal seal(sealer, c.projectId);
  std::optional<std::string> body;
  if (a.responseBody) body = seal(kFieldResponseBody, *a.responseBody);
  auto r = tx.exec_prepared(
      "delivery_complete", c.deliveryId, static_cast<long long>(c.leaseSeq),
      model::toString(c.next), static_cast<long long>(c.nextAttemptAt),
      c.lastError ? c.lastError->c_str() : nullptr, a.responseCode ? code.c_str() : nullptr,
      static_cast<long long>(a.firedAt), a.id, a.attempt,
      model::toString(a.success ? model::State::kSuccess : model::State::kFailed), body,
      static_cast<long long>(a.durationMs), a.error ? a.error->c_str() : nullptr,
      seal.keyIdParam());
  if (r.empty()) return false;
  if (c.callback) insertCallback(tx, *c.callback, sealer);
  return true;
}

// Many completions in one statement: arrays zipped by unnest. `d.id = ANY($1)` keeps the
// update an index lookup however the planner sizes the unnest.
const std::string kCompleteBatchSql =
    "WITH c AS (SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], "
    "  $5::text[], $6::int[], $7::bigint[], $8::uuid[], $9::int[], $10::text[], $11::text[], "
    "  $12::int[], $13::text[], $14::text[]) AS t(id, seq, status, next_at, last_error, code, "
    "  fired_at, attempt_id, attempt, astatus, abody, duration, aerror, key_id)), "
    "u AS (UPDATE deliveries d SET status = c.status, attempts = d.attempts + 1, "
    "  due_at = CASE WHEN c.status = " +
    sql::to(model::Transition::kFail) +
    " THEN ms_to_ts(c.next_at) ELSE d.due_at END, "
    "  lease_until = NULL, last_error = c.last_error, last_code = c.code, "
    "  fired_at = ms_to_ts(c.fired_at), updated_at = now() "
    "  FROM c WHERE d.id = ANY($1::uuid[]) AND d.id = c.id AND d.lease_seq = c.seq "
    "  AND d.lease_until IS NOT NULL RETURNING d.id) "
    "INSERT INTO attempts (id, delivery_id, attempt, status, response_code, response_body, "
    "fired_at, duration_ms, error, key_id) SELECT c.attempt_id, c.id, c.attempt, c.astatus, "
    "c.code, c.abody, ms_to_ts(c.fired_at), c.duration, c.aerror, c.key_id FROM c "
    "JOIN u ON u.id = c.id "
    "RETURNING delivery_id::text";

}  // namespace

Status DeliveryStore::completeBatch(const std::vector<model::Completion>& cs,
                                    std::vector<bool>* ours) {
  ours->assign(cs.size(), false);
  enum {
    kId,
    kSeq,
    kStatus,
    kNext,
    kErr,
    kCode,
    kFired,
    kAid,
    kAttempt,
    kAst,
    kBody,
    kDur,
    kAerr,
    kKey,
    kCols
  };
  ArrayLiteral cols[kCols];
  bool anyAttempt = false;
  auto sealer = db_.sealer();
  for (const auto& c : cs) {
    if (c.deferred || c.held) continue;
    anyAttempt = true;
    const auto& a = c.attempt;
    cols[kId].raw(c.deliveryId);
    cols[kSeq].raw(std::to_string(c.leaseSeq));
    cols[kStatus].text(std::string(model::toString(c.next)));
    cols[kNext].raw(std::to_string(c.nextAttemptAt));
    cols[kErr].text(c.lastError);
    cols[kCode].integer(a.responseCode);
    cols[kFired].raw(std::to_string(a.firedAt));
    cols[kAid].raw(a.id);
    cols[kAttempt].raw(std::to_string(a.attempt));
    cols[kAst].text(
        std::string(model::toString(a.success ? model::State::kSuccess : model::State::kFailed)));
    RowSeal seal(sealer.get(), c.projectId);
    if (a.responseBody) {
      cols[kBody].text(seal(kFieldResponseBody, *a.responseBody));
    } else {
      cols[kBody].null();
    }
    cols[kKey].text(seal.keyId());
    cols[kDur].raw(std::to_string(a.durationMs));
    cols[kAerr].text(a.error);
  }
  return db_.run([&](Connection& conn) {
    ours->assign(cs.size(), false);
    pqxx::work tx(conn);
    std::unordered_set<std::string> written;
    if (anyAttempt) {
      // The outcomes meet their rows by hash: a nested loop over the two would be quadratic in
      // the batch size (the planner expects one row from the id lookup and picks one).
      // The rows are found through the primary key, never by a scan: the prepared statement's
      // generic plan is built once per connection and kept until the table is next analyzed,
      // and one built while the table was still small (a fresh database) chose a sequential
      // scan of the whole table for every batch meanwhile. (force_custom_plan would replan
      // every batch instead.)
      tx.exec("SET LOCAL enable_nestloop = off; SET LOCAL enable_seqscan = off");
      conn.prepared("delivery_complete_batch", kCompleteBatchSql);
      std::string v[kCols];
      for (int i = 0; i < kCols; ++i) v[i] = cols[i].take();
      auto r = tx.exec_prepared("delivery_complete_batch", v[0], v[1], v[2], v[3], v[4], v[5], v[6],
                                v[7], v[8], v[9], v[10], v[11], v[12], v[13]);
      for (const auto& row : r) written.insert(row[0].c_str());
    }
    for (size_t i = 0; i < cs.size(); ++i) {
      const auto& c = cs[i];
      if (c.deferred || c.held) {
        (*ours)[i] = writeCompletion(conn, tx, c, sealer.get());
      } else if (written.count(c.deliveryId) > 0) {
        (*ours)[i] = true;
        if (c.callback) insertCallback(tx, *c.callback, sealer.get());
      }
    }
    tx.commit();
  });
}

Status DeliveryStore::complete(const model::Completion& c) {
  bool ours = true;
  Status st = runWrite(db_, committer_, [&, sealer = db_.sealer()](BatchTx& b) {
    ours = writeCompletion(b.conn(), b.tx(), c, sealer.get());
  });
  if (!st) return st;
  if (!ours) return Status(Code::kConflict, "lease lost");
  return Status::ok();
}

Status DeliveryStore::release(const std::vector<std::pair<std::string, int64_t>>& items) {
  if (items.empty()) return Status::ok();
  return db_.run([&](Connection& conn) {
    pqxx::work tx(conn);
    static const std::string kSql =
        "UPDATE deliveries SET status = " + sql::released() +
        ", lease_until = NULL, lease_seq = lease_seq + 1, due_at = LEAST(due_at, now()), "
        "updated_at = now() WHERE id = $1 AND lease_seq = $2 AND lease_until IS NOT NULL";
    for (const auto& [id, seq] : items) {
      tx.exec_params(kSql, id, static_cast<long long>(seq));
    }
    tx.commit();
  });
}

Result<std::vector<std::string>> DeliveryStore::renew(
    const std::vector<std::pair<std::string, int64_t>>& items, TimeMs now, int64_t leaseMs) {
  std::vector<std::string> renewed;
  if (items.empty()) return renewed;
  // One statement. Rows another transaction holds (an outcome being committed) are skipped,
  // not waited for: waiting could deadlock with a batch locking them in another order, and
  // such a row is leaving FIRING anyway.
  ArrayLiteral ids, seqs;
  for (const auto& [id, seq] : items) {
    ids.raw(id);
    seqs.raw(std::to_string(seq));
  }
  Status st = db_.run([&](Connection& conn) {
    renewed.clear();
    pqxx::work tx(conn);
    tx.exec("SET LOCAL synchronous_commit = off");  // a lost renewal only shortens a lease
    tx.exec("SET LOCAL enable_nestloop = off");     // ids meet rows by hash, not n × n
    auto r = tx.exec_params(
        "WITH r AS (SELECT d.id FROM deliveries d "
        "  JOIN unnest($1::uuid[], $2::bigint[]) AS t(id, seq) ON d.id = t.id "
        "  WHERE d.id = ANY($1::uuid[]) AND d.lease_seq = t.seq AND d.lease_until IS NOT NULL "
        "  FOR UPDATE OF d SKIP LOCKED) "
        "UPDATE deliveries SET lease_until = ms_to_ts($3) "
        "WHERE id = ANY(ARRAY(SELECT id FROM r)) RETURNING id::text",
        ids.take(), seqs.take(), static_cast<long long>(now + leaseMs));
    tx.commit();
    renewed.reserve(r.size());
    for (const auto& row : r) renewed.emplace_back(row[0].c_str());
  });
  if (!st) return st;
  return renewed;
}

}  // namespace dispatch::store
