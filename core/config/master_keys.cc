// DISPATCH_MASTER_KEYS: the master keys of encryption at rest (core/crypto/key_ring.h), read
// from the environment with the config because a project with encrypt_payloads: true cannot
// run without them: a missing or malformed value is a config error, so the server does not
// start and check-config reports it.
#include "core/config/config_sections.h"
#include "core/crypto/key_ring.h"

namespace dispatch::config::internal {

void readMasterKeys(Reader& r, const Field& root, const std::optional<Field>& encrypting,
                    const EnvLookup& env, Config& config) {
  const std::string name(crypto::kMasterKeysVariable);
  std::optional<std::string> text;
  if (env) text = env(name);
  // An empty value (`DISPATCH_MASTER_KEYS=` in an env file) counts as unset.
  if (!text || text->empty()) {
    if (encrypting) {
      r.error(*encrypting,
              "needs " + name + " in the environment (kid:<base64 of 32 bytes>[,kid:<base64>…])");
    }
    return;
  }
  Result<crypto::KeyRing> ring = crypto::KeyRing::parse(*text);
  if (!ring) {
    // The message names the entry or key id, never key bytes.
    if (encrypting) {
      r.error(*encrypting, ring.status().message());
    } else {
      r.error(root.node.Mark(), "", ring.status().message());
    }
    return;
  }
  config.masterKeys = std::make_shared<const crypto::KeyRing>(std::move(ring).value());
}

}  // namespace dispatch::config::internal
