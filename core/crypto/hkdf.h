// HKDF-SHA256 (RFC 5869) through OpenSSL 3's EVP_KDF "HKDF", and the per-project key derived
// with it from a master key.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dispatch::crypto {

// The `length` bytes (1..8160) of HKDF-SHA256 extract-then-expand over a non-empty `ikm`; an
// empty `salt` means none (RFC 5869: a string of 32 zero bytes). Thread-safe. Throws
// std::runtime_error only when OpenSSL refuses, which valid arguments never cause.
std::string hkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info,
                       size_t length);

// The 32-byte AES-256 key of project `projectId` under `masterKey`:
//   HKDF-SHA256(ikm = masterKey, salt = none, info = "dispatch/v1/project/" + projectId).
// No salt: the master keys are already 32 uniformly random bytes, so the extract step needs
// none to be a good PRF key (RFC 5869 §3.1), and a fixed public salt would add nothing. The
// info string does the separating: a version, the purpose, and the project's stable id, so no
// two projects, and no later scheme, share a key.
std::string projectKey(std::string_view masterKey, std::string_view projectId);

}  // namespace dispatch::crypto
