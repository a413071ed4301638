// Schema migrations: plain SQL files from migrations/, compiled into the binary.
#pragma once

#include <string>
#include <vector>

#include "core/util/status.h"

namespace dispatch::store {

struct Migration {
  const char* name;  // file name, e.g. 0001_init.sql; applied in name order
  const char* sql;
};

// Every migration in migrations/, sorted by name (generated at build time).
const std::vector<Migration>& embeddedMigrations();

// Applies the migrations not yet applied, each once and in its own transaction, under a
// PostgreSQL advisory lock so concurrent nodes do not race. Returns the names applied.
Result<std::vector<std::string>> migrate(const std::string& databaseUrl);

}  // namespace dispatch::store
