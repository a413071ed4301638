// Projects, synced from the config by name with stable UUIDs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/store/db.h"

namespace dispatch::store {

struct ProjectRow {
  std::string id;
  std::string name;
};

class ProjectStore {
 public:
  explicit ProjectStore(Db& db) : db_(db) {}
  // Inserts the named projects that do not exist yet. Existing rows are kept.
  Status sync(const std::vector<std::string>& names);
  // Looks a project up by name or id.
  Result<ProjectRow> find(const std::string& nameOrId);

 private:
  Db& db_;
};

}  // namespace dispatch::store
