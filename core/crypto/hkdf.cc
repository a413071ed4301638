// HKDF-SHA256 over EVP_KDF: fetched once, one short-lived context per derivation (the vault
// derives a key once per project and master key, so nothing here is on a hot path).
#include "core/crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <stdexcept>
#include <vector>

namespace dispatch::crypto {
namespace {

constexpr size_t kMaxHkdfSha256Bytes = 255 * 32;

EVP_KDF* hkdfAlgorithm() {
  static EVP_KDF* kdf = [] {
    EVP_KDF* k = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (k == nullptr) throw std::runtime_error("OpenSSL: HKDF unavailable");
    return k;
  }();
  return kdf;
}

// OSSL_PARAM wants non-const pointers even for inputs it only reads.
void* octets(std::string_view s) { return const_cast<char*>(s.data()); }

}  // namespace

std::string hkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info,
                       size_t length) {
  if (ikm.empty() || length == 0 || length > kMaxHkdfSha256Bytes) {
    throw std::runtime_error("HKDF-SHA256: empty key material or length out of range");
  }
  char digest[] = "SHA256";
  std::vector<OSSL_PARAM> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, octets(ikm), ikm.size()),
  };
  // Absent rather than empty: OpenSSL then applies RFC 5869's defaults itself.
  if (!salt.empty()) {
    params.push_back(
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, octets(salt), salt.size()));
  }
  if (!info.empty()) {
    params.push_back(
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, octets(info), info.size()));
  }
  params.push_back(OSSL_PARAM_construct_end());

  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(hkdfAlgorithm());
  std::string out(length, '\0');
  const bool ok =
      ctx != nullptr && EVP_KDF_derive(ctx, reinterpret_cast<unsigned char*>(out.data()),
                                       out.size(), params.data()) == 1;
  EVP_KDF_CTX_free(ctx);
  if (!ok) throw std::runtime_error("OpenSSL: HKDF-SHA256 failed");
  return out;
}

std::string projectKey(std::string_view masterKey, std::string_view projectId) {
  std::string info = "dispatch/v1/project/";
  info += projectId;
  return hkdfSha256(masterKey, {}, info, 32);
}

}  // namespace dispatch::crypto
