// AES-256-GCM over EVP with the cipher fetched once and one encrypting and one decrypting
// context per thread, re-keyed per call: an implicit fetch (EVP_aes_256_gcm() in a fresh
// context) costs a provider lookup under a lock, and a context allocation per value would be
// paid on every event of the ingest path.
#include "core/crypto/aes_gcm.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <stdexcept>

namespace dispatch::crypto {
namespace {

const EVP_CIPHER* aes256Gcm() {
  static EVP_CIPHER* cipher = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (c == nullptr) throw std::runtime_error("OpenSSL: AES-256-GCM unavailable");
    return c;
  }();
  return cipher;
}

// A context bound to AES-256-GCM (12-byte IV, the default) for one direction.
struct Context {
  EVP_CIPHER_CTX* ctx = nullptr;
  explicit Context(int encrypt) {
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr ||
        EVP_CipherInit_ex(ctx, aes256Gcm(), nullptr, nullptr, nullptr, encrypt) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      throw std::runtime_error("OpenSSL: cannot create an AES-256-GCM context");
    }
  }
  ~Context() { EVP_CIPHER_CTX_free(ctx); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
};

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Feeds the AAD pieces, then `in` → `out` in chunks EVP's int lengths can carry.
bool update(EVP_CIPHER_CTX* ctx, std::initializer_list<std::string_view> aad, std::string_view in,
            unsigned char* out) {
  int len = 0;
  for (std::string_view piece : aad) {
    while (!piece.empty()) {
      const int chunk = piece.size() > INT_MAX ? INT_MAX : static_cast<int>(piece.size());
      if (EVP_CipherUpdate(ctx, nullptr, &len, bytes(piece), chunk) != 1) return false;
      piece.remove_prefix(static_cast<size_t>(chunk));
    }
  }
  while (!in.empty()) {
    const int chunk = in.size() > INT_MAX ? INT_MAX : static_cast<int>(in.size());
    if (EVP_CipherUpdate(ctx, out, &len, bytes(in), chunk) != 1 || len != chunk) return false;
    in.remove_prefix(static_cast<size_t>(chunk));
    out += chunk;
  }
  return true;
}

bool validSizes(std::string_view key, std::string_view nonce) {
  return key.size() == kAesKeyBytes && nonce.size() == kGcmNonceBytes;
}

}  // namespace

void aesGcmSeal(std::string_view key, std::string_view nonce,
                std::initializer_list<std::string_view> aad, std::string_view plaintext,
                unsigned char* ciphertext, unsigned char* tag) {
  thread_local const Context context(1);
  EVP_CIPHER_CTX* ctx = context.ctx;
  int len = 0;
  unsigned char none[1];
  if (!validSizes(key, nonce) ||
      EVP_CipherInit_ex(ctx, nullptr, nullptr, bytes(key), bytes(nonce), 1) != 1 ||
      !update(ctx, aad, plaintext, ciphertext) || EVP_CipherFinal_ex(ctx, none, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kGcmTagBytes, tag) != 1) {
    throw std::runtime_error("OpenSSL: AES-256-GCM encryption failed");
  }
}

bool aesGcmOpen(std::string_view key, std::string_view nonce,
                std::initializer_list<std::string_view> aad, std::string_view ciphertext,
                std::string_view tag, unsigned char* plaintext) {
  thread_local const Context context(0);
  EVP_CIPHER_CTX* ctx = context.ctx;
  int len = 0;
  unsigned char none[1];
  // The tag is set before the final call, which compares it in constant time.
  const bool ok = validSizes(key, nonce) && tag.size() == kGcmTagBytes &&
                  EVP_CipherInit_ex(ctx, nullptr, nullptr, bytes(key), bytes(nonce), 0) == 1 &&
                  update(ctx, aad, ciphertext, plaintext) &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kGcmTagBytes,
                                      const_cast<char*>(tag.data())) == 1 &&
                  EVP_CipherFinal_ex(ctx, none, &len) == 1;
  if (!ok && !ciphertext.empty()) OPENSSL_cleanse(plaintext, ciphertext.size());
  return ok;
}

}  // namespace dispatch::crypto
