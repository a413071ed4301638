// Key management rules.
#include "core/jobs/key_service.h"

#include "core/util/text.h"

namespace dispatch::jobs {

Result<store::ProjectRow> KeyService::project(const std::string& nameOrId) {
  return projects_.find(nameOrId);
}

Result<store::CreatedKey> KeyService::create(const std::string& projectId,
                                             const std::string& label) {
  if (Status st = text::check("label", label); !st) return st;
  if (label.size() > 200) return Status(Code::kInvalid, "label must be at most 200 characters");
  return keys_.create(projectId, label);
}

Result<std::vector<store::ApiKeyRow>> KeyService::list(const std::string& projectId) {
  return keys_.list(projectId);
}

Status KeyService::revoke(const std::string& projectId, const std::string& keyId) {
  return keys_.revoke(projectId, keyId);
}

Result<store::AuthenticatedKey> KeyService::authenticate(const std::string& key) {
  return keys_.authenticate(key);
}

}  // namespace dispatch::jobs
