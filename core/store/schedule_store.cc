// Schedule rows; the jobs their ticks make go through the job insert (row_mapping.h).
#include "core/store/schedule_store.h"

#include "core/store/connection.h"
#include "core/store/row_mapping.h"
#include "core/store/sealer.h"
#include "core/store/sql_states.h"
#include "core/util/uuid.h"

namespace dispatch::store {
namespace {

const Status kNotFound(Code::kNotFound, "Schedule not found");

// The stored columns, then the two the API derives from the schedule's jobs: the tick whose
// job is made and still to fire, and the last tick that fired. A withdrawn job (its tick
// given up) counts for neither.
const char* const kColumns =
    "SELECT s.id, s.project_id, s.title, s.webhook_url, s.payload, s.headers, s.callback_url, "
    "s.redact_response, s.cron, s.timezone, s.paused, ts_to_ms(s.next_fire_at), "
    "ts_to_ms(s.created_at), ts_to_ms(s.updated_at), "
    "(SELECT ts_to_ms(min(j.fire_at)) FROM jobs j WHERE j.schedule_id = s.id "
    "   AND j.schedule_tick IS NOT NULL AND j.fire_at > now()), "
    "(SELECT ts_to_ms(max(j.fire_at)) FROM jobs j WHERE j.schedule_id = s.id "
    "   AND j.schedule_tick IS NOT NULL AND j.fire_at <= now()), s.key_id "
    "FROM schedules s ";

std::optional<TimeMs> optMs(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<long long>();
}

model::Schedule scheduleFromRow(const pqxx::row& r, const Sealer* sealer) {
  model::Schedule s;
  s.id = r[0].c_str();
  s.projectId = r[1].c_str();
  s.title = r[2].c_str();
  s.webhookUrl = r[3].c_str();
  std::optional<std::string> keyId = optStr(r[16]);
  s.payload = openField(sealer, keyId, s.projectId, kFieldSchedulePayload, r[4].c_str());
  if (!r[5].is_null()) {
    s.headersJson = openField(sealer, keyId, s.projectId, kFieldScheduleHeaders, r[5].c_str());
  }
  s.callbackUrl = optStr(r[6]);
  s.redactResponse = r[7].as<bool>();
  s.cron = r[8].c_str();
  s.timezone = r[9].c_str();
  s.paused = r[10].as<bool>();
  s.nextTick = optMs(r[11]);
  s.createdAt = r[12].as<long long>();
  s.updatedAt = r[13].as<long long>();
  if (!s.paused) {
    std::optional<TimeMs> made = optMs(r[14]);
    s.nextFireAt = made ? made : s.nextTick;
  }
  s.lastFiredAt = optMs(r[15]);
  return s;
}

std::optional<long long> msOrNull(const std::optional<TimeMs>& t) {
  if (!t) return std::nullopt;
  return static_cast<long long>(*t);
}

// The job made ahead for a tick after `now`, not yet claimed: cancelled, its tick given up.
void withdrawPendingJob(pqxx::transaction_base& tx, const std::string& scheduleId, TimeMs now) {
  static const std::string kSql =
      "WITH w AS (UPDATE deliveries d SET status = " + sql::to(model::Transition::kCancel) +
      ", updated_at = now() FROM jobs j WHERE j.id = d.id AND j.schedule_id = $1 "
      "AND j.schedule_tick IS NOT NULL AND d.status IN " +
      sql::from(model::Transition::kCancel) +
      " AND d.due_at > ms_to_ts($2) RETURNING d.id) "
      "UPDATE jobs SET schedule_tick = NULL WHERE id IN (SELECT id FROM w)";
  tx.exec_params(kSql, scheduleId, static_cast<long long>(now));
}

// Locks the schedule row (FOR UPDATE); nullopt when absent or outside `projectId`.
std::optional<model::Schedule> lockSchedule(pqxx::transaction_base& tx, const std::string& id,
                                            const std::optional<std::string>& projectId,
                                            const Sealer* sealer) {
  auto r = tx.exec_params(std::string(kColumns) +
                              "WHERE s.id = $1 AND ($2::uuid IS NULL OR s.project_id = $2::uuid) "
                              "FOR UPDATE OF s",
                          id, orNull(projectId));
  if (r.empty()) return std::nullopt;
  return scheduleFromRow(r[0], sealer);
}

}  // namespace

Status ScheduleStore::create(const model::Schedule& s) {
  auto sealer = db_.sealer();
  RowSeal seal(sealer.get(), s.projectId);
  std::optional<std::string> headers;
  if (!s.headersJson.empty()) headers = seal(kFieldScheduleHeaders, s.headersJson);
  return db_.run([&](Connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO schedules (id, project_id, title, webhook_url, payload, headers, "
        "callback_url, redact_response, cron, timezone, paused, next_fire_at, created_at, "
        "updated_at, key_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,ms_to_ts($12),"
        "ms_to_ts($13),ms_to_ts($14),$15)",
        s.id, s.projectId, s.title, s.webhookUrl, seal(kFieldSchedulePayload, s.payload), headers,
        orNull(s.callbackUrl), s.redactResponse, s.cron, s.timezone, s.paused, msOrNull(s.nextTick),
        static_cast<long long>(s.createdAt), static_cast<long long>(s.updatedAt),
        seal.keyIdParam());
    tx.commit();
  });
}

Result<model::Schedule> ScheduleStore::get(const std::string& id,
                                           const std::optional<std::string>& projectId) {
  if (!isUuid(id)) return kNotFound;
  std::optional<model::Schedule> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        std::string(kColumns) + "WHERE s.id = $1 AND ($2::uuid IS NULL OR s.project_id = $2::uuid)",
        id, orNull(projectId));
    if (r.empty()) return;
    out = scheduleFromRow(r[0], db_.sealer().get());
    auto jobs = tx.exec_params(
        "SELECT j.id, ts_to_ms(j.fire_at), d.status FROM jobs j JOIN deliveries d ON d.id = j.id "
        "WHERE j.schedule_id = $1 ORDER BY j.fire_at DESC, j.id DESC LIMIT 20",
        id);
    for (const auto& row : jobs) {
      out->recentJobs.push_back(
          {row[0].c_str(), row[1].as<long long>(),
           model::parseState(row[2].c_str()).value_or(model::State::kScheduled)});
    }
  });
  if (!st) return st;
  if (!out) return kNotFound;
  return std::move(*out);
}

Result<model::SchedulePage> ScheduleStore::list(const std::optional<std::string>& projectId,
                                                int page, int limit) {
  model::SchedulePage out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    const char* where = "WHERE ($1::uuid IS NULL OR s.project_id = $1::uuid) ";
    out.total = tx.exec_params1(std::string("SELECT count(*) FROM schedules s ") + where,
                                orNull(projectId))[0]
                    .as<long long>();
    auto r = tx.exec_params(
        std::string(kColumns) + where + "ORDER BY s.created_at DESC, s.id DESC LIMIT $2 OFFSET $3",
        orNull(projectId), limit, static_cast<long long>(page - 1) * limit);
    auto sealer = db_.sealer();
    for (const auto& row : r) out.schedules.push_back(scheduleFromRow(row, sealer.get()));
  });
  if (!st) return st;
  return out;
}

Result<model::Schedule> ScheduleStore::update(const std::string& id,
                                              const std::optional<std::string>& projectId,
                                              TimeMs now,
                                              const std::function<Status(model::Schedule&)>& edit) {
  if (!isUuid(id)) return kNotFound;
  Status result;
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    auto sealer = db_.sealer();
    auto s = lockSchedule(tx, id, projectId, sealer.get());
    if (!s) {
      result = kNotFound;
      return;
    }
    result = edit(*s);
    if (!result) return;  // rolled back
    withdrawPendingJob(tx, id, now);
    RowSeal seal(sealer.get(), s->projectId);
    std::optional<std::string> headers;
    if (!s->headersJson.empty()) headers = seal(kFieldScheduleHeaders, s->headersJson);
    tx.exec_params(
        "UPDATE schedules SET title = $2, webhook_url = $3, payload = $4, headers = $5, "
        "callback_url = $6, redact_response = $7, cron = $8, timezone = $9, paused = $10, "
        "next_fire_at = ms_to_ts($11), updated_at = ms_to_ts($12), key_id = $13 WHERE id = $1",
        id, s->title, s->webhookUrl, seal(kFieldSchedulePayload, s->payload), headers,
        orNull(s->callbackUrl), s->redactResponse, s->cron, s->timezone, s->paused,
        msOrNull(s->nextTick), static_cast<long long>(now), seal.keyIdParam());
    tx.commit();
  });
  if (!st) return st;
  if (!result) return result;
  return get(id, projectId);
}

Status ScheduleStore::remove(const std::string& id, const std::optional<std::string>& projectId,
                             TimeMs now) {
  if (!isUuid(id)) return kNotFound;
  Status result;
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    if (!lockSchedule(tx, id, projectId, db_.sealer().get())) {
      result = kNotFound;
      return;
    }
    withdrawPendingJob(tx, id, now);
    tx.exec_params("DELETE FROM schedules WHERE id = $1", id);
    tx.commit();
  });
  if (!st) return st;
  return result;
}

Result<TickBatch> ScheduleStore::tick(TimeMs now, TimeMs horizon, int limit,
                                      const std::function<TickPlan(const model::Schedule&)>& plan) {
  TickBatch out;
  Status st = db_.run([&](Connection& c) {
    out = TickBatch{};
    auto sealer = db_.sealer();
    pqxx::work tx(c);
    static const std::string kDue =
        "SELECT s.id, s.project_id, s.title, s.webhook_url, s.payload, s.headers, "
        "s.callback_url, s.redact_response, s.cron, s.timezone, s.paused, "
        "ts_to_ms(s.next_fire_at), ts_to_ms(s.created_at), ts_to_ms(s.updated_at), NULL, NULL, "
        "s.key_id "
        "FROM schedules s WHERE s.next_fire_at <= ms_to_ts($1) ORDER BY s.next_fire_at "
        "LIMIT $2 FOR UPDATE SKIP LOCKED";
    auto due = tx.exec_params(kDue, static_cast<long long>(horizon), limit);
    for (const auto& row : due) {
      model::Schedule s = scheduleFromRow(row, sealer.get());
      TickPlan p = plan(s);
      if (p.fire) {
        model::NewJob nj;
        nj.id = newUuidV7();
        nj.projectId = s.projectId;
        nj.title = s.title;
        nj.webhookUrl = s.webhookUrl;
        nj.payload = s.payload;
        nj.fireAt = *p.fire;
        nj.callbackUrl = s.callbackUrl;
        nj.createdAt = now;
        nj.headersJson = s.headersJson;
        nj.redactResponse = s.redactResponse;
        nj.scheduleId = s.id;
        nj.scheduleTick = *p.fire;
        if (insertJob(c, tx, nj, sealer.get())) {
          ++out.jobsCreated;
          out.earliestJob = out.earliestJob ? std::min(*out.earliestJob, *p.fire) : *p.fire;
        }
      }
      tx.exec_params("UPDATE schedules SET next_fire_at = ms_to_ts($2) WHERE id = $1", s.id,
                     msOrNull(p.next));
      ++out.schedules;
    }
    tx.commit();
  });
  if (!st) return st;
  return out;
}

}  // namespace dispatch::store
