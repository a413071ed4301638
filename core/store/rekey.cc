// Rekeying in batches, table by table (rekey.h).
#include "core/store/rekey.h"

#include <vector>

#include "core/store/connection.h"
#include "core/store/sealer.h"

namespace dispatch::store {
namespace {

struct Column {
  const char* name;
  std::string_view field;  // the authenticated field name (sealer.h)
  bool bytea;
};

struct Table {
  const char* name;
  // FROM … WHERE clause selecting the project's rows as `t` ($1 the project id).
  const char* from;
  std::vector<Column> columns;
};

const std::vector<Table>& tables() {
  static const std::vector<Table> kTables = {
      {"events",
       "events t WHERE t.project_id = $1",
       {{"body", kFieldEventBody, true}, {"headers", kFieldEventHeaders, false}}},
      {"jobs",
       "jobs t WHERE t.project_id = $1",
       {{"payload", kFieldJobPayload, false}, {"headers", kFieldJobHeaders, false}}},
      {"schedules",
       "schedules t WHERE t.project_id = $1",
       {{"payload", kFieldSchedulePayload, false}, {"headers", kFieldScheduleHeaders, false}}},
      {"deliveries",
       "deliveries t WHERE t.project_id = $1",
       {{"body", kFieldDeliveryBody, true}, {"headers", kFieldDeliveryHeaders, false}}},
      {"attempts",
       "attempts t JOIN deliveries d ON d.id = t.delivery_id WHERE d.project_id = $1",
       {{"response_body", kFieldResponseBody, false}}},
  };
  return kTables;
}

// One batch of `table` after id `after`: rows not under `current`, locked unless a server holds
// them. Returns the rows moved; sets `last` to the last id seen (empty: none left).
int64_t rekeyBatch(Connection& c, const Sealer& sealer, const Table& table,
                   const std::string& projectId, const std::string& current, int batch,
                   const std::string& after, std::string* last, int64_t* skipped) {
  std::string cols;
  for (const auto& col : table.columns) cols += std::string(", t.") + col.name;
  pqxx::work tx(c);
  // Every candidate in id order, to page through; SKIP LOCKED leaves a server's rows alone.
  std::string page = "SELECT t.id::text FROM " + std::string(table.from) +
                     " AND t.key_id IS DISTINCT FROM $2 AND t.id > $3::uuid ORDER BY t.id LIMIT $4";
  const std::string from = after.empty() ? "00000000-0000-0000-0000-000000000000" : after;
  auto ids = tx.exec_params(page, projectId, current, from, batch);
  last->clear();
  if (ids.empty()) return 0;
  *last = ids[ids.size() - 1][0].c_str();
  std::string idList = "{";
  for (size_t i = 0; i < ids.size(); ++i) idList += (i ? "," : "") + std::string(ids[i][0].c_str());
  idList += "}";
  const std::string lock = "SELECT t.id::text, t.key_id" + cols + " FROM " +
                           std::string(table.name) +
                           " t WHERE t.id = ANY($1::uuid[]) AND t.key_id IS DISTINCT FROM $2 "
                           "FOR UPDATE SKIP LOCKED";
  auto rows = tx.exec_params(lock, idList, current);
  *skipped += static_cast<int64_t>(ids.size() - rows.size());
  RowSeal seal(&sealer, projectId);
  std::string set;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const Column& col = table.columns[i];
    set += std::string(col.name) + " = " +
           (col.bytea ? "convert_to($" + std::to_string(i + 2) + ", 'UTF8')"
                      : "$" + std::to_string(i + 2)) +
           ", ";
  }
  const std::string update = "UPDATE " + std::string(table.name) + " SET " + set + "key_id = $" +
                             std::to_string(table.columns.size() + 2) + " WHERE id = $1::uuid";
  for (const auto& row : rows) {
    std::optional<std::string> keyId;
    if (!row[1].is_null()) keyId = row[1].c_str();
    std::vector<std::optional<std::string>> values;
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const pqxx::field& f = row[static_cast<int>(i) + 2];
      if (f.is_null()) {
        values.emplace_back(std::nullopt);
        continue;
      }
      std::string stored = table.columns[i].bytea ? pqxx::binarystring(f).str() : f.c_str();
      values.emplace_back(seal(table.columns[i].field,
                               sealer.open(keyId, projectId, table.columns[i].field, stored)));
    }
    if (values.size() == 1) {
      tx.exec_params(update, row[0].c_str(), values[0], current);
    } else {
      tx.exec_params(update, row[0].c_str(), values[0], values[1], current);
    }
  }
  tx.commit();
  return static_cast<int64_t>(rows.size());
}

}  // namespace

Result<RekeyCounts> rekeyProject(Db& db, const std::string& projectId, int batch) {
  auto sealer = db.sealer();
  RowSeal probe(sealer.get(), projectId);
  if (!probe.on()) {
    return Status(Code::kInvalid, "the project does not have encrypt_payloads: true");
  }
  const std::string current = *probe.keyId();
  RekeyCounts counts;
  for (const Table& table : tables()) {
    int64_t& moved = counts.rows[table.name];
    std::string after;
    while (true) {
      std::string last;
      Status st = db.run([&](Connection& c) {
        moved +=
            rekeyBatch(c, *sealer, table, projectId, current, batch, after, &last, &counts.skipped);
      });
      if (!st) return st;
      if (last.empty()) break;
      after = last;
    }
  }
  return counts;
}

}  // namespace dispatch::store
