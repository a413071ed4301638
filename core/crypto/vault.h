// The Vault: seals and opens stored values (event bodies and headers, job payloads and headers,
// delivery and response bodies) of projects with `encrypt_payloads: true`, with a key per
// project derived from the master keys of a KeyRing.
//
// A sealed value (an "envelope") is printable ASCII, so it fits text and bytea columns alike:
//
//   dx1.<kid>.<base64(nonce | ciphertext | tag)>
//
//   dx1         format version 1 (AES-256-GCM, key from hkdf.h's projectKey)
//   <kid>       the id of the master key it was sealed under, [A-Za-z0-9_-]{1,32}
//   base64      standard alphabet with `=` padding, in its one canonical spelling, of
//               nonce (12 random bytes) | ciphertext (as long as the plaintext) | tag (16 bytes)
//
// The authenticated data is the envelope's header text `dx1.<kid>.` followed by the caller's
// AAD (the store passes the project id and the field's name), so a value opens only in the
// project, field and format it was sealed for: moved to another row kind, project or key id it
// is refused. An envelope takes 4·⌈(plaintext + 28) / 3⌉ bytes after its header.
//
// Nonces are random: with one key, 2^32 seals keep a repeat below 2^-32 (NIST SP 800-38D §8.3).
// A key is per project and per master key, so rotating the master key starts a fresh count.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/aes_gcm.h"
#include "core/crypto/key_ring.h"
#include "core/util/status.h"

namespace dispatch::crypto {

// Shared by the whole process. Thread-safe: any number of threads may seal and open at once.
// Project keys are derived on first use (once per project and master key) and kept, wiped when
// the Vault is destroyed.
class Vault {
 public:
  explicit Vault(KeyRing ring);
  ~Vault();
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;

  // The envelope of `plaintext` (any bytes) for `projectId` under the current master key, with
  // `aad` authenticated alongside. Throws std::runtime_error only when OpenSSL fails.
  std::string seal(std::string_view projectId, std::string_view aad,
                   std::string_view plaintext) const;

  // The plaintext of an envelope sealed for this `projectId` and `aad`. Errors, which never
  // carry key or plaintext bytes: kInvalid for text that is not an envelope, and for one that
  // does not authenticate (altered, or sealed for another project, field or key); kNotFound
  // when its key id is not in the ring.
  Result<std::string> open(std::string_view projectId, std::string_view aad,
                           std::string_view envelope) const;

  // The key id of a well-formed envelope header (`dx1.<kid>.…`), or nullopt for text that
  // is not an envelope: what `rekey` reads to pick the values still under an older key.
  static std::optional<std::string> keyIdOf(std::string_view envelope);

  // The id of the master key that seals.
  const std::string& currentKeyId() const { return ring_.currentId(); }
  const KeyRing& ring() const { return ring_; }

 private:
  using Key = std::array<unsigned char, kAesKeyBytes>;

  // The key of `projectId` under the ring's key number `index`, derived on first use.
  std::string_view projectKeyFor(size_t index, std::string_view projectId) const;

  KeyRing ring_;
  mutable std::shared_mutex mutex_;
  // Per ring key (same order): project id → derived key. Nodes never move or go away, so a
  // view of a key stays valid for the Vault's life.
  mutable std::vector<std::map<std::string, Key, std::less<>>> derived_;
};

}  // namespace dispatch::crypto
