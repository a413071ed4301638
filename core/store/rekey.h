// `dispatch rekey` (contracts/cli.md): moves a project's stored values to the first master key
// — values under an older key are opened and sealed again, plaintext values (written before the
// project turned encryption on) are sealed — in batches of short transactions, while servers
// run. Rows a server holds locked at that moment are skipped and counted; run it again.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/store/db.h"

namespace dispatch::store {

struct RekeyCounts {
  std::map<std::string, int64_t> rows;  // per table: rows moved to the first key
  int64_t skipped = 0;                  // rows locked by a server at the time
};

// Rekeys every sealed table's rows of `projectId` with `db`'s sealer, which must seal that
// project (kInvalid otherwise).
Result<RekeyCounts> rekeyProject(Db& db, const std::string& projectId, int batch = 500);

}  // namespace dispatch::store
