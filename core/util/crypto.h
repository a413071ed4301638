// Small crypto and encoding helpers over OpenSSL. All functions are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dispatch::crypto {

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmacSha256(std::string_view key, std::string_view data);
// Raw 32-byte SHA-256.
std::string sha256(std::string_view data);

std::string hexEncode(std::string_view bytes);                // lowercase
std::optional<std::string> hexDecode(std::string_view hex);   // accepts upper and lower case
std::string base64Encode(std::string_view bytes);             // standard alphabet, padded
void base64Append(std::string& out, std::string_view bytes);  // base64Encode onto `out`'s end
std::optional<std::string> base64Decode(
    std::string_view b64);  // standard alphabet; padding optional

// Compares in time that depends only on the lengths, never on where the bytes differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

// Cryptographically secure random bytes.
std::string randomBytes(size_t n);

}  // namespace dispatch::crypto
