// The master keys of encryption at rest, as DISPATCH_MASTER_KEYS lists them:
//   kid1:<base64 of exactly 32 bytes>[,kid2:<base64 of 32 bytes>…]
// The first key seals new values; every key opens the values sealed with it (rotation: put the
// new key first, keep the old ones until `dispatch rekey` has moved every value).
// Key bytes are wiped when their holder is destroyed, and no error message or accessor other
// than MasterKey::bytes() ever shows them.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/status.h"

namespace dispatch::crypto {

inline constexpr std::string_view kMasterKeysVariable = "DISPATCH_MASTER_KEYS";
inline constexpr size_t kMasterKeyBytes = 32;

// One master key: an id of [A-Za-z0-9_-]{1,32} and 32 secret bytes.
class MasterKey {
 public:
  MasterKey(std::string id, const std::array<unsigned char, kMasterKeyBytes>& bytes)
      : id_(std::move(id)), bytes_(bytes) {}
  MasterKey(const MasterKey&) = default;
  MasterKey& operator=(const MasterKey&) = default;
  ~MasterKey();

  const std::string& id() const { return id_; }
  // The 32 secret bytes; only key derivation should read them.
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

 private:
  std::string id_;
  std::array<unsigned char, kMasterKeyBytes> bytes_;
};

// An ordered, non-empty list of master keys with unique ids. Immutable once parsed; safe to
// read from any number of threads.
class KeyRing {
 public:
  // Parses the variable's text. Blanks around an entry are ignored; anything else that is not
  // `kid:base64` of 32 bytes is a kInvalid error starting "DISPATCH_MASTER_KEYS: ", naming the
  // entry by position or by its (valid) id, never quoting key bytes.
  static Result<KeyRing> parse(std::string_view text);

  // The id of the first key: the one that seals.
  const std::string& currentId() const { return keys_.front().id(); }
  // The key with this id, or nullptr when the ring does not hold it.
  const MasterKey* find(std::string_view id) const;
  // Every key, the current one first.
  const std::vector<MasterKey>& keys() const { return keys_; }

 private:
  explicit KeyRing(std::vector<MasterKey> keys) : keys_(std::move(keys)) {}

  std::vector<MasterKey> keys_;
};

// [A-Za-z0-9_-]{1,32}: the ids of master keys (they appear in every sealed value).
bool isKeyId(std::string_view id);

}  // namespace dispatch::crypto
