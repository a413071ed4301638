// Preset `github`: X-Hub-Signature-256 only (the legacy SHA-1 X-Hub-Signature is not
// accepted). Event type and idempotency headers are the source config's business.
#include <utility>

#include "core/verify/verify_util.h"

namespace dispatch::verify::internal {

std::unique_ptr<Verifier> makeGithubVerifier(std::vector<std::string> secrets) {
  return makeBodyHexVerifier({"X-Hub-Signature-256"}, std::move(secrets));
}

}  // namespace dispatch::verify::internal
