// AES-256-GCM through OpenSSL's EVP interface, over caller-owned buffers: the one place the
// cipher is driven. Used by the Vault (vault.h), which owns nonces and the envelope format.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace dispatch::crypto {

inline constexpr size_t kAesKeyBytes = 32;
inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

// Encrypts `plaintext` under `key` (32 bytes) and `nonce` (12 bytes, never reused with this
// key), authenticating the `aad` pieces in order too. Writes the ciphertext (as long as the
// plaintext) to `ciphertext` and the 16-byte tag to `tag`. Thread-safe (one cipher context per
// thread). `ciphertext` may be the plaintext's own bytes (in place). Throws std::runtime_error
// only when OpenSSL fails.
void aesGcmSeal(std::string_view key, std::string_view nonce,
                std::initializer_list<std::string_view> aad, std::string_view plaintext,
                unsigned char* ciphertext, unsigned char* tag);

// Decrypts `ciphertext` to `plaintext` (as long) when `tag` authenticates it and the `aad`
// pieces under `key` and `nonce`; false otherwise, with `plaintext` zeroed so unauthenticated
// bytes never escape. `plaintext` may be the ciphertext's own bytes (in place). Thread-safe.
bool aesGcmOpen(std::string_view key, std::string_view nonce,
                std::initializer_list<std::string_view> aad, std::string_view ciphertext,
                std::string_view tag, unsigned char* plaintext);

}  // namespace dispatch::crypto
