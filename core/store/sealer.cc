// Sealing and opening stored fields (sealer.h).
#include "core/store/sealer.h"

namespace dispatch::store {

Sealer::Sealer(std::shared_ptr<const crypto::Vault> vault, std::unordered_set<std::string> sealing)
    : vault_(std::move(vault)), sealing_(std::move(sealing)) {
  if (!vault_) sealing_.clear();
}

const std::string* Sealer::keyFor(std::string_view projectId) const {
  if (!vault_ || sealing_.count(std::string(projectId)) == 0) return nullptr;
  return &vault_->currentKeyId();
}

std::string Sealer::seal(std::string_view projectId, std::string_view field,
                         std::string_view plaintext) const {
  return vault_->seal(projectId, field, plaintext);
}

std::string Sealer::open(const std::optional<std::string>& keyId, std::string_view projectId,
                         std::string_view field, std::string_view stored) const {
  if (!keyId) return std::string(stored);
  if (!vault_) {
    throw SealError("a stored " + std::string(field) + " is sealed under key " + *keyId +
                    " and DISPATCH_MASTER_KEYS is not set");
  }
  auto r = vault_->open(projectId, field, stored);
  if (!r) {
    throw SealError("a stored " + std::string(field) + " under key " + *keyId +
                    " does not open: " + r.status().message());
  }
  return std::move(r).value();
}

std::string openField(const Sealer* sealer, const std::optional<std::string>& keyId,
                      std::string_view projectId, std::string_view field, std::string_view stored) {
  if (!keyId) return std::string(stored);
  if (!sealer) {
    throw SealError("a stored " + std::string(field) + " is sealed under key " + *keyId +
                    " and DISPATCH_MASTER_KEYS is not set");
  }
  return sealer->open(keyId, projectId, field, stored);
}

}  // namespace dispatch::store
