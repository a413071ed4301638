// Row readers shared by the job and delivery stores.
#include "core/store/row_mapping.h"

#include "core/store/sealer.h"
#include "core/store/sql_states.h"

namespace dispatch::store {

std::optional<std::string> optStr(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::string(f.c_str());
}

std::vector<model::Attempt> readAttempts(pqxx::transaction_base& tx, const std::string& deliveryId,
                                         const Sealer* sealer, const std::string& projectId) {
  std::vector<model::Attempt> out;
  auto r = tx.exec_params(
      "SELECT id, attempt, status, response_code, response_body, ts_to_ms(fired_at), "
      "duration_ms, error, key_id FROM attempts WHERE delivery_id = $1 ORDER BY attempt DESC, "
      "fired_at DESC",
      deliveryId);
  for (const auto& row : r) {
    model::Attempt a;
    a.id = row[0].c_str();
    a.attempt = row[1].as<int>();
    a.success = model::parseState(row[2].c_str()) == model::State::kSuccess;
    if (!row[3].is_null()) a.responseCode = row[3].as<long long>();
    if (!row[4].is_null()) {
      std::optional<std::string> keyId;
      if (!row[8].is_null()) keyId = row[8].c_str();
      a.responseBody = openField(sealer, keyId, projectId, kFieldResponseBody, row[4].c_str());
    }
    a.firedAt = row[5].as<long long>();
    a.durationMs = row[6].as<long long>();
    if (!row[7].is_null()) a.error = row[7].c_str();
    out.push_back(std::move(a));
  }
  return out;
}

namespace {

const std::string kCreateJobSql =
    "WITH j AS (INSERT INTO jobs (id, project_id, title, webhook_url, payload, fire_at, "
    "callback_url, idempotency_key, created_at, headers, redact_response, retention_ms, "
    "schedule_id, schedule_tick, key_id) VALUES ($1,$2,$3,$4,$5,ms_to_ts($6),$7,$8,ms_to_ts($9),"
    "$10,$11,$12,$13,$14,$15) ON CONFLICT DO NOTHING RETURNING id) "
    "INSERT INTO deliveries (id, project_id, kind, job_id, url, message_id, status, due_at, "
    "created_at, updated_at, key_id) SELECT j.id, $2, " +
    sql::kind(model::Kind::kJob) + ", j.id, $4, j.id::text, " +
    sql::state(model::State::kScheduled) +
    ", ms_to_ts($6), ms_to_ts($9), ms_to_ts($9), $15 FROM j RETURNING id";

}  // namespace

bool insertJob(Connection& c, pqxx::transaction_base& tx, const model::NewJob& nj,
               const Sealer* sealer) {
  c.prepared("job_create", kCreateJobSql);
  RowSeal seal(sealer, nj.projectId);
  std::optional<std::string> headers;
  if (!nj.headersJson.empty()) headers = seal(kFieldJobHeaders, nj.headersJson);
  std::optional<long long> retention, tick;
  if (nj.retentionMs) retention = *nj.retentionMs;
  if (nj.scheduleTick) tick = *nj.scheduleTick;
  auto r = tx.exec_prepared("job_create", nj.id, nj.projectId, nj.title, nj.webhookUrl,
                            seal(kFieldJobPayload, nj.payload), static_cast<long long>(nj.fireAt),
                            orNull(nj.callbackUrl), orNull(nj.idempotencyKey),
                            static_cast<long long>(nj.createdAt), headers, nj.redactResponse,
                            retention, orNull(nj.scheduleId), tick, seal.keyIdParam());
  return !r.empty();
}

const char* const kJobSelect =
    "SELECT j.id, j.project_id, p.name, j.title, j.webhook_url, j.payload, ts_to_ms(j.fire_at), "
    "d.status, d.attempts, j.callback_url, ts_to_ms(j.created_at), ts_to_ms(d.updated_at), "
    "j.headers, j.redact_response, j.retention_ms, j.schedule_id, j.key_id "
    "FROM jobs j JOIN deliveries d ON d.id = j.id JOIN projects p ON p.id = j.project_id ";

model::Job jobFromRow(const pqxx::row& r, const Sealer* sealer) {
  model::Job j;
  j.id = r[0].c_str();
  j.projectId = r[1].c_str();
  j.projectName = r[2].c_str();
  j.title = r[3].c_str();
  j.webhookUrl = r[4].c_str();
  std::optional<std::string> keyId;
  if (!r[16].is_null()) keyId = r[16].c_str();
  j.payload = openField(sealer, keyId, j.projectId, kFieldJobPayload, r[5].c_str());
  j.fireAt = r[6].as<long long>();
  j.status = model::parseState(r[7].c_str()).value_or(model::State::kScheduled);
  int attempts = r[8].as<int>();
  // retryCount counts failed attempts: every attempt but a final success.
  j.retryCount = j.status == model::State::kSuccess ? attempts - 1 : attempts;
  if (!r[9].is_null()) j.callbackUrl = r[9].c_str();
  j.createdAt = r[10].as<long long>();
  j.updatedAt = r[11].as<long long>();
  if (!r[12].is_null()) {
    j.headersJson = openField(sealer, keyId, j.projectId, kFieldJobHeaders, r[12].c_str());
  }
  j.redactResponse = r[13].as<bool>();
  if (!r[14].is_null()) j.retentionMs = r[14].as<long long>();
  if (!r[15].is_null()) j.scheduleId = r[15].c_str();
  return j;
}

}  // namespace dispatch::store
