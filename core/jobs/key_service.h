// Project API keys as the API manages them: the project lookup behind the admin's key
// routes, the label rules, and the lookup that turns a presented key into its project.
// The plain key exists only in the answer to `create`.
#pragma once

#include <string>
#include <vector>

#include "core/store/key_store.h"
#include "core/store/project_store.h"

namespace dispatch::jobs {

class KeyService {
 public:
  explicit KeyService(store::Db& db) : keys_(db), projects_(db) {}

  // The project named by `nameOrId`; kNotFound for an unknown one.
  Result<store::ProjectRow> project(const std::string& nameOrId);
  // A new key for the project. kInvalid unless `label` is storable text of at most 200
  // characters.
  Result<store::CreatedKey> create(const std::string& projectId, const std::string& label);
  Result<std::vector<store::ApiKeyRow>> list(const std::string& projectId);
  // kNotFound for an unknown key or one of another project.
  Status revoke(const std::string& projectId, const std::string& keyId);
  // The live key's project; kUnauthorized for anything else.
  Result<store::AuthenticatedKey> authenticate(const std::string& key);

 private:
  store::KeyStore keys_;
  store::ProjectStore projects_;
};

}  // namespace dispatch::jobs
