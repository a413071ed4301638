// Encryption at rest, wired: the process's crypto::Vault (from DISPATCH_MASTER_KEYS, parsed
// with the config) and the projects with encrypt_payloads: true, handed to the store's pool
// (store::Sealer). Called at start, after each reload, and by CLI commands that open the store.
#pragma once

#include "core/config/config.h"
#include "core/store/db.h"

namespace dispatch::app {

// Sets `db`'s sealer for `cfg`. The Vault is made once per process, from the first config
// with master keys (the environment does not change under a running process).
void applySealing(store::Db& db, const config::Config& cfg);

}  // namespace dispatch::app
