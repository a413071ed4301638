// Project API keys: `sk_` + 64 hex, stored as SHA-256, shown once at creation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/store/db.h"
#include "core/util/time.h"

namespace dispatch::store {

struct ApiKeyRow {
  std::string id;
  std::string projectId;
  std::string label;
  std::string last4;
  TimeMs createdAt = 0;
  std::optional<TimeMs> lastUsedAt;
  std::optional<TimeMs> revokedAt;
};

struct CreatedKey {
  ApiKeyRow row;
  std::string key;  // the only time the plain key exists outside the client
};

struct AuthenticatedKey {
  std::string keyId;
  std::string projectId;
  std::string projectName;
};

class KeyStore {
 public:
  explicit KeyStore(Db& db) : db_(db) {}
  Result<CreatedKey> create(const std::string& projectId, const std::string& label);
  Result<std::vector<ApiKeyRow>> list(const std::string& projectId);
  // kNotFound for an unknown id or one of another project.
  Status revoke(const std::string& projectId, const std::string& keyId);
  // kUnauthorized unless `key` is a live key. Touches last_used_at at most once a minute.
  Result<AuthenticatedKey> authenticate(const std::string& key);

 private:
  Db& db_;
};

// True for `sk_` followed by 64 lowercase hex characters.
bool looksLikeApiKey(const std::string& key);

}  // namespace dispatch::store
