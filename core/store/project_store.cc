// Project rows.
#include "core/store/project_store.h"

#include "core/model/ids.h"
#include "core/store/connection.h"
#include "core/util/uuid.h"

namespace dispatch::store {

Status ProjectStore::sync(const std::vector<std::string>& names) {
  return db_.run([&](Connection& c) {
    pqxx::work tx(c);
    for (const auto& n : names) {
      tx.exec_params(
          "INSERT INTO projects (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
          model::projectIdFor(n), n);
    }
    tx.commit();
  });
}

Result<ProjectRow> ProjectStore::find(const std::string& nameOrId) {
  std::optional<ProjectRow> row;
  Status st = db_.run([&](Connection& c) {
    pqxx::nontransaction tx(c);
    pqxx::result r =
        isUuid(nameOrId)
            ? tx.exec_params("SELECT id, name FROM projects WHERE id = $1::uuid OR name = $1::text",
                             nameOrId)
            : tx.exec_params("SELECT id, name FROM projects WHERE name = $1", nameOrId);
    if (!r.empty()) row = ProjectRow{r[0][0].c_str(), r[0][1].c_str()};
  });
  if (!st) return st;
  if (!row) return Status(Code::kNotFound, "Project not found");
  return *row;
}

}  // namespace dispatch::store
