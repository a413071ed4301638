// Event rows, their deliveries and skips.
#include "core/store/event_store.h"

#include "core/store/connection.h"
#include "core/store/group_commit_tx.h"
#include "core/store/row_mapping.h"
#include "core/util/json.h"
#include "core/util/uuid.h"

namespace dispatch::store {
namespace {

std::string pairsJson(const route::Headers& h) {
  json::Writer w;
  w.beginObject();
  for (const auto& [k, v] : h) w.key(k).string(v);
  w.endObject();
  return w.take();
}

const char* nullable(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

// A delivery handed to this node's engine at creation is stored leased (FIRING).
const char* storedState(const route::PlannedDelivery& d) {
  return d.leaseUntil ? "FIRING" : delivery::toString(d.state);
}

// Inserts the planned deliveries and skips of event `e` in one statement each. `now` is the SQL
// for the deliveries' creation (and due) time: the event's arrival on ingest, the present on a
// replay.
void insertPlan(pqxx::transaction_base& tx, const route::IncomingEvent& e,
                const route::RoutePlan& plan, const std::string& now) {
  if (!plan.deliveries.empty()) {
    std::string sql =
        "INSERT INTO deliveries (id, project_id, kind, event_id, destination, url, message_id, "
        "body, status, due_at, event_type, headers, source, last_error, created_at, updated_at, "
        "lease_until, lease_seq) VALUES ";
    bool first = true;
    for (const auto& d : plan.deliveries) {
      if (!first) sql += ',';
      first = false;
      sql += '(' + tx.quote(d.id) + "::uuid," + tx.quote(e.projectId) + "::uuid,2," +
             tx.quote(e.id) + "::uuid," + tx.quote(d.destination) + ',' + tx.quote(d.url) + ',' +
             tx.quote(d.messageId.value_or(e.id)) + ',' + (d.body ? tx.quote(*d.body) : "NULL") + ',' +
             tx.quote(storedState(d)) + ',' + now + ',' + tx.quote(d.eventType) +
             ',' + (d.headersOut.empty() ? "NULL" : tx.quote(pairsJson(d.headersOut))) + ',' +
             tx.quote(e.source) + ',' + (d.error ? tx.quote(*d.error) : "NULL") + ',' + now +
             ',' + now + ',' +
             (d.leaseUntil ? "ms_to_ts(" + std::to_string(*d.leaseUntil) + "),1" : "NULL,0") + ')';
    }
    tx.exec(sql);
  }
  for (const auto& s : plan.skips) {
    tx.exec_params("INSERT INTO event_skips (event_id, destination, reason) VALUES ($1,$2,$3)",
                   e.id, s.destination, s.reason);
  }
}

// Whether the plan leaves work for a scheduler to claim (anything scheduled, not leased).
bool hasScheduled(const route::RoutePlan& plan) {
  for (const auto& d : plan.deliveries) {
    if (d.state == delivery::State::kScheduled && !d.leaseUntil) return true;
  }
  return false;
}

#define DISPATCH_EVENT_INSERT                                                               \
  "INSERT INTO events (id, project_id, source, event_type, headers, query, body, content_type, " \
  "idempotency_key, received_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,ms_to_ts($10)) "          \
  "ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING id"

const char* kInsertEvent = DISPATCH_EVENT_INSERT;

// The event and its only delivery in one statement; no row back means a duplicate.
const char* kInsertEventWithOneDelivery =
    "WITH ev AS (" DISPATCH_EVENT_INSERT ") "
    "INSERT INTO deliveries (id, project_id, kind, event_id, destination, url, message_id, body, "
    "status, due_at, event_type, headers, source, last_error, created_at, updated_at, "
    "lease_until, lease_seq) "
    "SELECT $11, $2, 2, ev.id, $12, $13, $19, $14, $15, ms_to_ts($10), $16, $17, $3, $18, "
    "ms_to_ts($10), ms_to_ts($10), ms_to_ts($20::bigint), "
    "CASE WHEN $20::bigint IS NULL THEN 0 ELSE 1 END FROM ev RETURNING event_id";

const char* kDeliveryColumns =
    "d.id, d.project_id, d.event_id, COALESCE(d.destination, ''), d.status, d.attempts, "
    "CASE WHEN d.status IN ('SCHEDULED','FAILED') THEN ts_to_ms(d.due_at) END, d.last_error, "
    "ts_to_ms(d.created_at), ts_to_ms(d.updated_at) ";

DeliveryView deliveryFromRow(const pqxx::row& r) {
  DeliveryView d;
  d.id = r[0].c_str();
  d.projectId = r[1].c_str();
  if (!r[2].is_null()) d.eventId = r[2].c_str();
  d.destination = r[3].c_str();
  d.status = delivery::parseState(r[4].c_str()).value_or(delivery::State::kScheduled);
  d.attempts = r[5].as<int>();
  if (!r[6].is_null()) d.nextAttemptAt = r[6].as<long long>();
  if (!r[7].is_null()) d.error = r[7].c_str();
  d.createdAt = r[8].as<long long>();
  d.updatedAt = r[9].as<long long>();
  return d;
}

}  // namespace

Result<IngestOutcome> EventStore::ingest(const route::IncomingEvent& e,
                                         const route::RoutePlan& plan) {
  IngestOutcome out;
  Status st = runWrite(db_, committer_, [&](BatchTx& b) {
    Connection& c = b.conn();
    pqxx::transaction_base& tx = b.tx();
    out = IngestOutcome{e.id, false};
    // The common shape — one delivery, nothing skipped — is one prepared round trip.
    const bool single = plan.deliveries.size() == 1 && plan.skips.empty();
    pqxx::result r;
    if (single) {
      const route::PlannedDelivery& d = plan.deliveries[0];
      c.prepared("event_insert_one", kInsertEventWithOneDelivery);
      r = tx.exec_prepared(
          "event_insert_one", e.id, e.projectId, e.source, e.eventType, pairsJson(e.headers),
          pairsJson(e.query), pqxx::binarystring(e.body), nullable(e.contentType),
          nullable(e.idempotencyKey), static_cast<long long>(e.receivedAt), d.id, d.destination,
          d.url, nullable(d.body), storedState(d), d.eventType,
          d.headersOut.empty() ? nullptr : pairsJson(d.headersOut).c_str(), nullable(d.error),
          d.messageId.value_or(e.id),
          d.leaseUntil ? std::to_string(*d.leaseUntil).c_str() : nullptr);
    } else {
      c.prepared("event_insert", kInsertEvent);
      r = tx.exec_prepared("event_insert", e.id, e.projectId, e.source, e.eventType,
                           pairsJson(e.headers), pairsJson(e.query), pqxx::binarystring(e.body),
                           nullable(e.contentType), nullable(e.idempotencyKey),
                           static_cast<long long>(e.receivedAt));
    }
    if (r.empty()) {
      auto ex = tx.exec_params(
          "SELECT id FROM events WHERE source = $1 AND idempotency_key = $2", e.source,
          *e.idempotencyKey);
      out = IngestOutcome{ex[0][0].c_str(), true};
      return;
    }
    if (!single) insertPlan(tx, e, plan, "ms_to_ts(" + std::to_string(e.receivedAt) + ")");
    if (hasScheduled(plan)) b.notifyDue(e.receivedAt);
  });
  if (!st) return st;
  return out;
}

std::vector<delivery::Claimed> EventStore::leasedClaims(const route::IncomingEvent& e,
                                                        const route::RoutePlan& plan) {
  // The same fields a claim reads back from the store (delivery_store.cc).
  std::vector<delivery::Claimed> out;
  for (const auto& d : plan.deliveries) {
    if (!d.leaseUntil) continue;
    delivery::Claimed c;
    c.id = d.id;
    c.projectId = e.projectId;
    c.kind = delivery::Kind::kEvent;
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

Status EventStore::addDeliveries(const route::IncomingEvent& e, const route::RoutePlan& plan) {
  return db_.run([&](Connection& c) {
    pqxx::work tx(c);
    insertPlan(tx, e, plan, "now()");
    if (hasScheduled(plan)) tx.exec("SELECT pg_notify('dispatch_due', '0')");
    tx.commit();
  });
}

Result<route::IncomingEvent> EventStore::loadEvent(const std::string& id,
                                                   const std::optional<std::string>& projectId) {
  if (!isUuid(id)) return Status(Code::kNotFound, "Event not found");
  std::optional<route::IncomingEvent> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        "SELECT id, project_id, source, event_type, headers, query, body, content_type, "
        "ts_to_ms(received_at) FROM events WHERE id = $1 AND ($2::uuid IS NULL OR project_id = "
        "$2::uuid)",
        id, nullable(projectId));
    if (r.empty()) return;
    route::IncomingEvent e;
    e.id = r[0][0].c_str();
    e.projectId = r[0][1].c_str();
    e.source = r[0][2].c_str();
    e.eventType = r[0][3].c_str();
    for (const char* col : {"headers", "query"}) {
      std::string text = r[0][col].c_str();
      auto doc = json::parse(text);
      if (!doc) continue;
      auto& dst = std::string(col) == "headers" ? e.headers : e.query;
      for (const auto& [k, v] : doc->members()) dst.emplace_back(k, v.asString());
    }
    e.body = pqxx::binarystring(r[0][6]).str();
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
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    v.headersJson = tx.exec_params("SELECT headers FROM events WHERE id = $1", id)[0][0].c_str();
    auto r = tx.exec_params(std::string("SELECT ") + kDeliveryColumns +
                                "FROM deliveries d WHERE d.event_id = $1 ORDER BY d.created_at, d.id",
                            id);
    for (const auto& row : r) {
      DeliveryView d = deliveryFromRow(row);
      d.logs = readAttempts(tx, d.id);
      v.deliveries.push_back(std::move(d));
    }
    auto s = tx.exec_params("SELECT destination, reason FROM event_skips WHERE event_id = $1", id);
    for (const auto& row : s) v.skips.push_back({row[0].c_str(), row[1].c_str()});
  });
  if (!st) return st;
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
    *total = tx.exec_params("SELECT count(*) FROM events " + where, nullable(projectId),
                            nullable(source), nullable(type))[0][0]
                 .as<long long>();
    auto r = tx.exec_params(
        "SELECT id, project_id, source, event_type, ts_to_ms(received_at) FROM events " + where +
            "ORDER BY received_at DESC, id DESC LIMIT $4 OFFSET $5",
        nullable(projectId), nullable(source), nullable(type), page.limit,
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
    auto r = tx.exec_params(std::string("SELECT ") + kDeliveryColumns +
                                "FROM deliveries d WHERE d.id = $1 AND d.kind = 2 AND "
                                "($2::uuid IS NULL OR d.project_id = $2::uuid)",
                            id, nullable(projectId));
    if (r.empty()) return;
    out = deliveryFromRow(r[0]);
    out->logs = readAttempts(tx, id);
  });
  if (!st) return st;
  if (!out) return Status(Code::kNotFound, "Delivery not found");
  return std::move(*out);
}

Result<std::vector<DeliveryView>> EventStore::listDeliveries(
    const std::optional<std::string>& projectId, const std::optional<delivery::State>& status,
    const std::optional<std::string>& destination, Page page, int64_t* total) {
  std::vector<DeliveryView> out;
  Status st = db_.run([&](Connection& c) {
    pqxx::read_transaction tx(c);
    const char* s = status ? delivery::toString(*status) : nullptr;
    std::string where =
        "WHERE d.kind = 2 AND ($1::uuid IS NULL OR d.project_id = $1::uuid) AND ($2::text IS "
        "NULL OR d.status = $2::text) AND ($3::text IS NULL OR d.destination = $3::text) ";
    *total = tx.exec_params("SELECT count(*) FROM deliveries d " + where, nullable(projectId), s,
                            nullable(destination))[0][0]
                 .as<long long>();
    auto r = tx.exec_params(std::string("SELECT ") + kDeliveryColumns + "FROM deliveries d " +
                                where + "ORDER BY d.created_at DESC, d.id DESC LIMIT $4 OFFSET $5",
                            nullable(projectId), s, nullable(destination), page.limit,
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
    auto r = tx.exec_params(
        "UPDATE deliveries SET status = 'SCHEDULED', due_at = now(), updated_at = now() "
        "WHERE id = $1 AND kind = 2 AND status IN ('DEAD','FAILED') AND attempts > 0 RETURNING id",
        id);
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
    auto r = tx.exec_params(
        "UPDATE deliveries SET status = 'SCHEDULED', due_at = now(), updated_at = now() "
        "WHERE project_id = $1 AND destination = $2 AND kind = 2 AND status = 'DEAD' "
        "AND attempts > 0",
        projectId, destination);
    n = static_cast<int64_t>(r.affected_rows());
    if (n > 0) tx.exec("SELECT pg_notify('dispatch_due', '0')");
    tx.commit();
  });
  if (!st) return st;
  return n;
}

}  // namespace dispatch::store
