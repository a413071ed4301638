// Applies embedded migrations under an advisory lock.
#include "core/store/migrations.h"

#include "core/store/connection.h"
#include "core/store/db.h"

namespace dispatch::store {
namespace {
// Any constant works; it only has to be the same for every node.
constexpr long long kMigrationLock = 0x44495350415443LL;  // "DISPATC"
}  // namespace

Result<std::vector<std::string>> migrate(const std::string& databaseUrl) {
  Status st;
  auto conn = openConnection(databaseUrl, &st);
  if (!conn) return st;
  std::vector<std::string> applied;
  try {
    pqxx::nontransaction(*conn).exec_params("SELECT pg_advisory_lock($1)", kMigrationLock);
    {
      pqxx::work tx(*conn);
      tx.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      tx.commit();
    }
    for (const Migration& m : embeddedMigrations()) {
      pqxx::work tx(*conn);
      auto r =
          tx.exec_params("SELECT 1 FROM schema_migrations WHERE name = $1", std::string(m.name));
      if (!r.empty()) continue;
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (name) VALUES ($1)", std::string(m.name));
      tx.commit();
      applied.emplace_back(m.name);
    }
    pqxx::nontransaction(*conn).exec_params("SELECT pg_advisory_unlock($1)", kMigrationLock);
  } catch (...) {
    return statusFromCurrentException("migrate");
  }
  return applied;
}

}  // namespace dispatch::store
