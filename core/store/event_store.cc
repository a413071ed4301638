// Event rows, their deliveries and skips.
#include "core/store/event_store.h"

#include <future>
#include <memory>
#include <stdexcept>
#include <unordered_set>

#include "core/store/array_literal.h"
#include "core/store/connection.h"
#include "core/store/group_commit_tx.h"
#include "core/store/row_mapping.h"
#include "core/store/sealer.h"
#include "core/store/sql_states.h"
#include "core/util/json.h"
#include "core/util/text.h"
#include "core/util/uuid.h"

namespace dispatch::store {
namespace {

std::string pairsJson(const model::Headers& h) {
  json::Writer w;
  w.beginObject();
  for (const auto& [k, v] : h) w.key(k).string(v);
  w.endObject();
  return w.take();
}

// A delivery handed to this node's engine at creation is stored leased (FIRING).
const char* storedState(const model::PlannedDelivery& d) {
  return model::toString(d.leaseUntil ? model::State::kFiring : d.state);
}

// Inserts the planned deliveries and skips of event `e` in one statement each. `now` is the SQL
// for the deliveries' creation (and due) time: the event's arrival on ingest, the present on a
// replay.
void insertPlan(pqxx::transaction_base& tx, const model::IncomingEvent& e,
                const model::RoutePlan& plan, const std::string& now, const RowSeal& seal) {
  if (!plan.deliveries.empty()) {
    std::string sql =
        "INSERT INTO deliveries (id, project_id, kind, event_id, destination, url, message_id, "
        "body, status, due_at, event_type, headers, source, last_error, created_at, updated_at, "
        "lease_until, lease_seq, key_id) VALUES ";
    const std::string keyId = seal.on() ? tx.quote(*seal.keyId()) : "NULL";
    bool first = true;
    for (const auto& d : plan.deliveries) {
      if (!first) sql += ',';
      first = false;
      sql +=
          '(' + tx.quote(d.id) + "::uuid," + tx.quote(e.projectId) + "::uuid,2," + tx.quote(e.id) +
          "::uuid," + tx.quote(d.destination) + ',' + tx.quote(d.url) + ',' +
          tx.quote(d.messageId.value_or(e.id)) + ',' +
          (d.body ? tx.quote_raw(seal(kFieldDeliveryBody, *d.body)) : "NULL") + ',' +
          tx.quote(storedState(d)) + ',' + now + ',' + tx.quote(text::storable(d.eventType)) + ',' +
          (d.headersOut.empty() ? "NULL"
                                : tx.quote(seal(kFieldDeliveryHeaders, pairsJson(d.headersOut)))) +
          ',' + tx.quote(e.source) + ',' + (d.error ? tx.quote(text::storable(*d.error)) : "NULL") +
          ',' + now + ',' + now + ',' +
          (d.leaseUntil ? "ms_to_ts(" + std::to_string(*d.leaseUntil) + "),1" : "NULL,0") + ',' +
          keyId + ')';
    }
    tx.exec(sql);
  }
  for (const auto& s : plan.skips) {
    tx.exec_params("INSERT INTO event_skips (event_id, destination, reason) VALUES ($1,$2,$3)",
                   e.id, s.destination, s.reason);
  }
}

// Whether the plan leaves work for a scheduler to claim (anything scheduled, not leased).
bool hasScheduled(const model::RoutePlan& plan) {
  for (const auto& d : plan.deliveries) {
    if (d.state == model::State::kScheduled && !d.leaseUntil) return true;
  }
  return false;
}

// Events, their deliveries and skips of a whole batch in one statement: one array per column
// (unnest), events inserted unless their idempotency value is taken, and only the deliveries
// and skips of the events inserted. Returns the ids of the events inserted.
const char* kInsertEventsBulk =
    "WITH e AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], "
    "  $6::text[], $7::bytea[], $8::text[], $9::text[], $10::bigint[], $26::text[]) AS t(id, "
    "  project_id, source, event_type, headers, query, body, content_type, idempotency_key, "
    "  received_ms, key_id)), "
    "ev AS (INSERT INTO events (id, project_id, source, event_type, headers, query, body, "
    "  content_type, idempotency_key, received_at, key_id) SELECT id, project_id, source, "
    "  event_type, headers, query, body, content_type, idempotency_key, ms_to_ts(received_ms), "
    "  key_id FROM e "
    "  ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING id), "
    "d AS (SELECT * FROM unnest($11::uuid[], $12::uuid[], $13::text[], $14::text[], $15::text[], "
    "  $16::bytea[], $17::text[], $18::text[], $19::text[], $20::text[], $21::bigint[], "
    "  $22::bigint[]) AS t(id, event_id, destination, url, message_id, body, status, event_type, "
    "  headers, last_error, lease_ms, created_ms)), "
    "ins AS (INSERT INTO deliveries (id, project_id, kind, event_id, destination, url, "
    "  message_id, body, status, due_at, event_type, headers, source, last_error, created_at, "
    "  updated_at, lease_until, lease_seq, key_id) SELECT d.id, e.project_id, 2, d.event_id, "
    "  d.destination, d.url, d.message_id, d.body, d.status, ms_to_ts(d.created_ms), "
    "  d.event_type, d.headers, e.source, d.last_error, ms_to_ts(d.created_ms), "
    "  ms_to_ts(d.created_ms), ms_to_ts(d.lease_ms), "
    "  CASE WHEN d.lease_ms IS NULL THEN 0 ELSE 1 END, e.key_id "
    "  FROM d JOIN ev ON ev.id = d.event_id JOIN e ON e.id = d.event_id), "
    "sk AS (INSERT INTO event_skips (event_id, destination, reason) SELECT s.event_id, "
    "  s.destination, s.reason FROM unnest($23::uuid[], $24::text[], $25::text[]) "
    "  AS s(event_id, destination, reason) JOIN ev ON ev.id = s.event_id) "
    "SELECT id::text FROM ev";

// The events a group-commit batch ingests, written together when the batch is flushed.
class EventBulk : public BatchTx::Deferred {
 public:
  // `seal`: how the event's row and its deliveries' rows are written (sealer.h).
  void add(const model::IncomingEvent& e, const model::RoutePlan& plan, const RowSeal& seal,
           IngestOutcome* out) {
    *out = IngestOutcome{e.id, false};
    items_.push_back({&e, out});
    ev_[0].raw(e.id);
    ev_[1].raw(e.projectId);
    ev_[2].text(e.source);
    ev_[3].text(e.eventType);
    ev_[4].text(seal(kFieldEventHeaders, pairsJson(e.headers)));
    ev_[5].text(pairsJson(e.query));
    ev_[6].bytes(seal(kFieldEventBody, e.body));
    ev_[7].text(e.contentType);
    ev_[8].text(e.idempotencyKey);
    ev_[9].raw(std::to_string(e.receivedAt));
    keyIds_.text(seal.keyId());
    for (const auto& d : plan.deliveries) {
      dl_[0].raw(d.id);
      dl_[1].raw(e.id);
      dl_[2].text(d.destination);
      dl_[3].text(d.url);
      dl_[4].text(d.messageId.value_or(e.id));
      d.body ? dl_[5].bytes(seal(kFieldDeliveryBody, *d.body)) : dl_[5].null();
      dl_[6].text(std::string(storedState(d)));
      dl_[7].text(d.eventType);
      if (d.headersOut.empty()) {
        dl_[8].null();
      } else {
        dl_[8].text(seal(kFieldDeliveryHeaders, pairsJson(d.headersOut)));
      }
      dl_[9].text(d.error);
      dl_[10].integer(d.leaseUntil ? std::optional<int64_t>(*d.leaseUntil) : std::nullopt);
      dl_[11].raw(std::to_string(e.receivedAt));
    }
    for (const auto& s : plan.skips) {
      sk_[0].raw(e.id);
      sk_[1].text(s.destination);
      sk_[2].text(s.reason);
    }
  }

  void flush(BatchTx& b) override {
    if (items_.empty()) return;
    b.conn().prepared("events_insert_bulk", kInsertEventsBulk);
    std::string p[26];
    for (int i = 0; i < 10; ++i) p[i] = ev_[i].take();
    for (int i = 0; i < 12; ++i) p[10 + i] = dl_[i].take();
    for (int i = 0; i < 3; ++i) p[22 + i] = sk_[i].take();
    p[25] = keyIds_.take();
    auto r = b.tx().exec_prepared("events_insert_bulk", p[0], p[1], p[2], p[3], p[4], p[5], p[6],
                                  p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], p[16],
                                  p[17], p[18], p[19], p[20], p[21], p[22], p[23], p[24], p[25]);
    std::unordered_set<std::string> inserted;
    for (const auto& row : r) inserted.insert(row[0].c_str());
    for (auto& [e, out] : items_) {
      if (inserted.count(e->id) > 0) continue;
      // Not inserted: its idempotency value was taken (by an earlier event, or by one before
      // it in this batch). Answer with the first event's id.
      if (!e->idempotencyKey) throw std::runtime_error("event not inserted");
      b.conn().prepared("event_by_idem",
                        "SELECT id FROM events WHERE source = $1 AND idempotency_key = $2");
      auto ex = b.tx().exec_prepared("event_by_idem", e->source, *e->idempotencyKey);
      if (ex.empty()) throw std::runtime_error("event not inserted");
      *out = IngestOutcome{ex[0][0].c_str(), true};
    }
    items_.clear();
  }

 private:
  std::vector<std::pair<const model::IncomingEvent*, IngestOutcome*>> items_;
  ArrayLiteral ev_[10];
  ArrayLiteral dl_[12];
  ArrayLiteral sk_[3];
  ArrayLiteral keyIds_;  // the events' key_id ($26); their deliveries take the same
};

const std::string kDeliveryColumns =
    "d.id, d.project_id, d.event_id, COALESCE(d.destination, ''), d.status, d.attempts, "
    "CASE WHEN d.status IN " +
    sql::from(model::Transition::kClaim) +
    " THEN ts_to_ms(d.due_at) END, d.last_error, "
    "ts_to_ms(d.created_at), ts_to_ms(d.updated_at) ";

DeliveryView deliveryFromRow(const pqxx::row& r) {
  DeliveryView d;
  d.id = r[0].c_str();
  d.projectId = r[1].c_str();
  if (!r[2].is_null()) d.eventId = r[2].c_str();
  d.destination = r[3].c_str();
  d.status = model::parseState(r[4].c_str()).value_or(model::State::kScheduled);
  d.attempts = r[5].as<int>();
  if (!r[6].is_null()) d.nextAttemptAt = r[6].as<long long>();
  if (!r[7].is_null()) d.error = r[7].c_str();
  d.createdAt = r[8].as<long long>();
  d.updatedAt = r[9].as<long long>();
  return d;
}

}  // namespace

Result<IngestOutcome> EventStore::ingest(const model::IncomingEvent& e,
                                         const model::RoutePlan& plan) {
  std::promise<Result<IngestOutcome>> promise;
  auto f = promise.get_future();
  ingestAsync(e, plan, [&promise](Result<IngestOutcome> r) { promise.set_value(std::move(r)); });
  return f.get();
}

void EventStore::ingestAsync(const model::IncomingEvent& e, const model::RoutePlan& plan,
                             std::function<void(Result<IngestOutcome>)> done) {
  auto out = std::make_shared<IngestOutcome>();
  auto sealer = db_.sealer();
  runWriteAsync(
      db_, committer_,
      [&e, &plan, out, sealer](BatchTx& b) {
        // Written with the rest of the batch's events, in one statement (EventBulk::flush).
        b.deferred<EventBulk>().add(e, plan, RowSeal(sealer.get(), e.projectId), out.get());
        if (hasScheduled(plan)) b.notifyDue(e.receivedAt);
      },
      [out, done = std::move(done)](Status st) {
        if (!st) {
          done(st);
          return;
        }
        done(std::move(*out));
      });
}

std::vector<model::Claimed> EventStore::leasedClaims(const model::IncomingEvent& e,
                                                     const model::RoutePlan& plan) {
  // The same fields a claim reads back from the store (delivery_store.cc).
  std::vector<model::Claimed> out;
  for (const auto& d : plan.deliveries) {
    if (!d.leaseUntil) continue;
    model::Claimed c;
    c.id = d.id;
    c.projectId = e.projectId;
    c.kind = model::Kind::kEvent;
    c.eventId = e.id;
    c.destination = d.destination;
    c.url = d.url;
    c.messageId = d.messageId.value_or(e.id);
    c.body = d.body;
    c.attemptsBefore = 0;
    c.leaseSeq = 1;
    c.dueAt = e.receivedAt;
    c.eventType = d.eventType;
    if (!d.headersOut.empty()) c.headersJson = pairsJson(d.headersOut);
    c.source = e.source;
    if (!d.body) c.eventBody = e.body;
    c.eventContentType = e.contentType;
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<std::string>> EventStore::findByIdempotencyKey(const std::string& source,
                                                                    const std::string& key) {
  std::optional<std::string> id;
  Status st = db_.run([&](Connection& c) {
    c.prepared("event_by_idem", "SELECT id FROM events WHERE source = $1 AND idempotency_key = $2");
    pqxx::nontransaction tx(c);
    auto r = tx.exec_prepared("event_by_idem", source, key);
    if (!r.empty()) id = r[0][0].c_str();
  });
  if (!st) return st;
  return id;
}

Status EventStore::addDeliveries(const model::IncomingEvent& e, const model::RoutePlan& plan) {
  bool found = false;
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    // The event is touched in the same transaction (deliveries.event_id has no foreign key):
    // once retention has deleted it this is a 404, and a retention batch running at the same
    // time fails on the new row version instead of deleting the event under the new
    // deliveries.
    found = tx.exec_params("UPDATE events SET received_at = received_at WHERE id = $1", e.id)
                .affected_rows() > 0;
    if (!found) return;
    auto sealer = db_.sealer();
    insertPlan(tx, e, plan, "now()", RowSeal(sealer.get(), e.projectId));
    if (hasScheduled(plan)) tx.exec("SELECT pg_notify('dispatch_due', '0')");
    tx.commit();
  });
  if (!st) return st;
  if (!found) return Status(Code::kNotFound, "Event not found");
  return Status::ok();
}

Result<model::IncomingEvent> EventStore::loadEvent(const std::string& id,
                                                   const std::optional<std::string>& projectId) {
  if (!isUuid(id)) return Status(Code::kNotFound, "Event not found");
  std::optional<model::IncomingEvent> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        "SELECT id, project_id, source, event_type, headers, query, body, content_type, "
        "ts_to_ms(received_at), key_id FROM events WHERE id = $1 AND ($2::uuid IS NULL OR "
        "project_id = $2::uuid)",
        id, orNull(projectId));
    if (r.empty()) return;
    model::IncomingEvent e;
    e.id = r[0][0].c_str();
    e.projectId = r[0][1].c_str();
    e.source = r[0][2].c_str();
    e.eventType = r[0][3].c_str();
    auto sealer = db_.sealer();
    std::optional<std::string> keyId;
    if (!r[0][9].is_null()) keyId = r[0][9].c_str();
    for (const char* col : {"headers", "query"}) {
      std::string text = r[0][col].c_str();
      if (std::string(col) == "headers") {
        text = openField(sealer.get(), keyId, e.projectId, kFieldEventHeaders, text);
      }
      auto doc = json::parse(text);
      if (!doc) continue;
      auto& dst = std::string(col) == "headers" ? e.headers : e.query;
      for (const auto& [k, v] : doc->members()) dst.emplace_back(k, v.asString());
    }
    e.body = openField(sealer.get(), keyId, e.projectId, kFieldEventBody,
                       pqxx::binarystring(r[0][6]).str());
    if (!r[0][7].is_null()) e.contentType = r[0][7].c_str();
    e.receivedAt = r[0][8].as<long long>();
    out = std::move(e);
  });
  if (!st) return st;
  if (!out) return Status(Code::kNotFound, "Event not found");
  return std::move(*out);
}

Result<EventView> EventStore::getEvent(const std::string& id,
                                       const std::optional<std::string>& projectId) {
  auto ev = loadEvent(id, projectId);
  if (!ev) return ev.status();
  EventView v;
  v.id = ev->id;
  v.projectId = ev->projectId;
  v.source = ev->source;
  v.eventType = ev->eventType;
  v.body = ev->body;
  v.receivedAt = ev->receivedAt;
  bool gone = false;  // deleted (retention) since loadEvent read it
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    auto h = tx.exec_params("SELECT headers, key_id FROM events WHERE id = $1", id);
    if (h.empty()) {
      gone = true;
      return;
    }
    std::optional<std::string> keyId;
    if (!h[0][1].is_null()) keyId = h[0][1].c_str();
    v.headersJson =
        openField(db_.sealer().get(), keyId, v.projectId, kFieldEventHeaders, h[0][0].c_str());
    auto r =
        tx.exec_params(std::string("SELECT ") + kDeliveryColumns +
                           "FROM deliveries d WHERE d.event_id = $1 ORDER BY d.created_at, d.id",
                       id);
    for (const auto& row : r) {
      DeliveryView d = deliveryFromRow(row);
      d.logs = readAttempts(tx, d.id, db_.sealer().get(), d.projectId);
      v.deliveries.push_back(std::move(d));
    }
    auto s = tx.exec_params("SELECT destination, reason FROM event_skips WHERE event_id = $1", id);
    for (const auto& row : s) v.skips.push_back({row[0].c_str(), row[1].c_str()});
  });
  if (!st) return st;
  if (gone) return Status(Code::kNotFound, "Event not found");
  return v;
}

Result<std::vector<EventView>> EventStore::listEvents(const std::optional<std::string>& projectId,
                                                      const std::optional<std::string>& source,
                                                      const std::optional<std::string>& type,
                                                      Page page, int64_t* total) {
  std::vector<EventView> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    std::string where =
        "WHERE ($1::uuid IS NULL OR project_id = $1::uuid) AND ($2::text IS NULL OR source = "
        "$2::text) AND ($3::text IS NULL OR event_type = $3::text) ";
    *total = tx.exec_params("SELECT count(*) FROM events " + where, orNull(projectId),
                            orNull(source), orNull(type))[0][0]
                 .as<long long>();
    auto r = tx.exec_params(
        "SELECT id, project_id, source, event_type, ts_to_ms(received_at) FROM events " + where +
            "ORDER BY received_at DESC, id DESC LIMIT $4 OFFSET $5",
        orNull(projectId), orNull(source), orNull(type), page.limit,
        static_cast<long long>(page.page - 1) * page.limit);
    for (const auto& row : r) {
      EventView v;
      v.id = row[0].c_str();
      v.projectId = row[1].c_str();
      v.source = row[2].c_str();
      v.eventType = row[3].c_str();
      v.receivedAt = row[4].as<long long>();
      out.push_back(std::move(v));
    }
  });
  if (!st) return st;
  return out;
}

Result<DeliveryView> EventStore::getDelivery(const std::string& id,
                                             const std::optional<std::string>& projectId) {
  if (!isUuid(id)) return Status(Code::kNotFound, "Delivery not found");
  std::optional<DeliveryView> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    static const std::string kSql =
        "SELECT " + kDeliveryColumns +
        "FROM deliveries d WHERE d.id = $1 AND d.kind = " + sql::kind(model::Kind::kEvent) +
        " AND ($2::uuid IS NULL OR d.project_id = $2::uuid)";
    auto r = tx.exec_params(kSql, id, orNull(projectId));
    if (r.empty()) return;
    out = deliveryFromRow(r[0]);
    out->logs = readAttempts(tx, id, db_.sealer().get(), out->projectId);
  });
  if (!st) return st;
  if (!out) return Status(Code::kNotFound, "Delivery not found");
  return std::move(*out);
}

Result<std::vector<DeliveryView>> EventStore::listDeliveries(
    const std::optional<std::string>& projectId, const std::optional<model::State>& status,
    const std::optional<std::string>& destination, Page page, int64_t* total) {
  std::vector<DeliveryView> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    const char* s = status ? model::toString(*status) : nullptr;
    static const std::string where =
        "WHERE d.kind = " + sql::kind(model::Kind::kEvent) +
        " AND ($1::uuid IS NULL OR d.project_id = $1::uuid) AND ($2::text IS "
        "NULL OR d.status = $2::text) AND ($3::text IS NULL OR d.destination = $3::text) ";
    *total = tx.exec_params("SELECT count(*) FROM deliveries d " + where, orNull(projectId), s,
                            orNull(destination))[0][0]
                 .as<long long>();
    auto r = tx.exec_params("SELECT " + kDeliveryColumns + "FROM deliveries d " + where +
                                "ORDER BY d.created_at DESC, d.id DESC LIMIT $4 OFFSET $5",
                            orNull(projectId), s, orNull(destination), page.limit,
                            static_cast<long long>(page.page - 1) * page.limit);
    for (const auto& row : r) out.push_back(deliveryFromRow(row));
  });
  if (!st) return st;
  return out;
}

Result<DeliveryView> EventStore::retryDelivery(const std::string& id,
                                               const std::optional<std::string>& projectId) {
  auto cur = getDelivery(id, projectId);
  if (!cur) return cur.status();
  bool changed = false;
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    static const std::string kSql =
        "UPDATE deliveries SET status = " + sql::to(model::Transition::kRetry) +
        ", due_at = now(), updated_at = now() WHERE id = $1 AND kind = " +
        sql::kind(model::Kind::kEvent) + " AND status IN " + sql::from(model::Transition::kRetry) +
        " AND attempts > 0 RETURNING id";
    auto r = tx.exec_params(kSql, id);
    changed = !r.empty();
    if (changed) tx.exec("SELECT pg_notify('dispatch_due', '0')");
    tx.commit();
  });
  if (!st) return st;
  if (!changed) return Status(Code::kConflict, "Only DEAD or FAILED deliveries can be retried");
  return getDelivery(id, projectId);
}

Result<int64_t> EventStore::redrive(const std::string& projectId, const std::string& destination) {
  int64_t n = 0;
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    static const std::string kSql =
        "UPDATE deliveries SET status = " + sql::to(model::Transition::kRedrive) +
        ", due_at = now(), updated_at = now() WHERE project_id = $1 AND destination = $2 AND "
        "kind = " +
        sql::kind(model::Kind::kEvent) + " AND status IN " +
        sql::from(model::Transition::kRedrive) + " AND attempts > 0";
    auto r = tx.exec_params(kSql, projectId, destination);
    n = static_cast<int64_t>(r.affected_rows());
    if (n > 0) tx.exec("SELECT pg_notify('dispatch_due', '0')");
    tx.commit();
  });
  if (!st) return st;
  return n;
}

}  // namespace dispatch::store
