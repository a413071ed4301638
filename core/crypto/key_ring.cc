// Parsing DISPATCH_MASTER_KEYS into a KeyRing, with errors that never quote a key.
#include "core/crypto/key_ring.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <optional>

#include "core/util/crypto.h"

namespace dispatch::crypto {
namespace {

std::string_view trimBlanks(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

Status invalid(const std::string& what) {
  return Status(Code::kInvalid, std::string(kMasterKeysVariable) + ": " + what);
}

// The decoded key of one entry, wiped before it goes out of scope.
class DecodedKey {
 public:
  explicit DecodedKey(std::string_view b64) : bytes_(base64Decode(b64)) {}
  ~DecodedKey() {
    if (bytes_ && !bytes_->empty()) OPENSSL_cleanse(bytes_->data(), bytes_->size());
  }
  DecodedKey(const DecodedKey&) = delete;
  DecodedKey& operator=(const DecodedKey&) = delete;
  const std::optional<std::string>& bytes() const { return bytes_; }

 private:
  std::optional<std::string> bytes_;
};

}  // namespace

MasterKey::~MasterKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

bool isKeyId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

Result<KeyRing> KeyRing::parse(std::string_view text) {
  if (trimBlanks(text).empty()) {
    return invalid("no key (expected kid:<base64 of 32 bytes>[,kid:<base64>…])");
  }
  std::vector<MasterKey> keys;
  size_t index = 0;
  while (true) {
    ++index;
    const size_t comma = text.find(',');
    const std::string_view entry = trimBlanks(text.substr(0, comma));
    const std::string position = "entry " + std::to_string(index);
    const size_t colon = entry.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == entry.size()) {
      return invalid(position + " is not kid:base64");
    }
    // An id that breaks the rule is not echoed: it may be a key pasted in the wrong place.
    const std::string_view id = entry.substr(0, colon);
    if (!isKeyId(id)) return invalid(position + ": key id must match [A-Za-z0-9_-]{1,32}");
    const std::string kid(id);
    const auto same = [&](const MasterKey& k) { return k.id() == kid; };
    if (std::any_of(keys.begin(), keys.end(), same)) return invalid("duplicate key id " + kid);
    const DecodedKey decoded(entry.substr(colon + 1));
    if (!decoded.bytes()) return invalid("key " + kid + " is not valid base64");
    if (decoded.bytes()->size() != kMasterKeyBytes) {
      return invalid("key " + kid + " is " + std::to_string(decoded.bytes()->size()) +
                     " bytes, expected " + std::to_string(kMasterKeyBytes));
    }
    std::array<unsigned char, kMasterKeyBytes> bytes;
    std::copy(decoded.bytes()->begin(), decoded.bytes()->end(), bytes.begin());
    keys.emplace_back(kid, bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return KeyRing(std::move(keys));
}

const MasterKey* KeyRing::find(std::string_view id) const {
  for (const MasterKey& k : keys_) {
    if (k.id() == id) return &k;
  }
  return nullptr;
}

}  // namespace dispatch::crypto
