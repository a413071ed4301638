// The store's sealer from the config (sealing.h).
#include "core/app/sealing.h"

#include <memory>
#include <mutex>
#include <unordered_set>

#include "core/crypto/key_ring.h"
#include "core/crypto/vault.h"
#include "core/model/ids.h"
#include "core/store/sealer.h"

namespace dispatch::app {

void applySealing(store::Db& db, const config::Config& cfg) {
  static std::mutex mu;
  static std::shared_ptr<const crypto::Vault> vault;
  std::unordered_set<std::string> sealing;
  {
    std::lock_guard<std::mutex> g(mu);
    if (!vault && cfg.masterKeys) vault = std::make_shared<const crypto::Vault>(*cfg.masterKeys);
    for (const auto& p : cfg.projects) {
      if (p.encryptPayloads) sealing.insert(model::projectIdFor(p.name));
    }
    db.setSealer(std::make_shared<const store::Sealer>(vault, std::move(sealing)));
  }
}

}  // namespace dispatch::app
