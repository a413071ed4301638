// HMAC, SHA-256, hex/base64 and secure randomness over OpenSSL 3.
#include "core/util/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

namespace dispatch::crypto {
namespace {

// Fetched once: an implicit fetch per call (EVP_sha256(), HMAC()) costs a provider lookup
// under a lock on every signature check. Fetched objects are safe to share across threads.
EVP_MAC* hmacAlgorithm() {
  static EVP_MAC* mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL: HMAC unavailable");
    return m;
  }();
  return mac;
}

EVP_MD* sha256Algorithm() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL: SHA256 unavailable");
    return m;
  }();
  return md;
}

constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Reverse base64 table: 0..63, or -1 for anything not in the standard alphabet.
struct B64Table {
  signed char v[256];
  constexpr B64Table() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int i = 0; i < 64; ++i)
      v[static_cast<unsigned char>(kB64Alphabet[i])] = static_cast<signed char>(i);
  }
};
constexpr B64Table kB64Decode;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string hmacSha256(std::string_view key, std::string_view data) {
  // One context per thread, its digest set once: re-initialising with a new key is much
  // cheaper than creating a context and resolving "SHA256" on every signature.
  struct Context {
    EVP_MAC_CTX* ctx = nullptr;
    Context() {
      ctx = EVP_MAC_CTX_new(hmacAlgorithm());
      char digest[] = "SHA256";
      const OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
          OSSL_PARAM_construct_end(),
      };
      if (ctx == nullptr || EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        throw std::runtime_error("OpenSSL: cannot create an HMAC-SHA256 context");
      }
    }
    ~Context() { EVP_MAC_CTX_free(ctx); }
  };
  thread_local const Context context;
  // An empty key must still be "set": a null key pointer means "keep the previous key".
  static const unsigned char kEmpty = 0;
  const auto* k = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  std::string out(32, '\0');
  size_t len = 0;
  if (EVP_MAC_init(context.ctx, k, key.size(), nullptr) != 1 ||
      EVP_MAC_update(context.ctx, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(context.ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) !=
          1 ||
      len != out.size()) {
    throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  }
  return out;
}

std::string sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 sha256Algorithm(), nullptr) != 1 ||
      len != out.size()) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return out;
}

std::string hexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[b >> 4];
    out[2 * i + 1] = kHex[b & 0xF];
  }
  return out;
}

std::optional<std::string> hexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hexValue(hex[2 * i]);
    const int lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string base64Encode(std::string_view bytes) {
  std::string out;
  base64Append(out, bytes);
  return out;
}

void base64Append(std::string& out, std::string_view bytes) {
  // Written through a pointer into a buffer sized once: appending a character at a time ran at
  // a fifth of the speed, and sealed values (core/crypto) are base64 on the ingest path.
  const size_t start = out.size();
  out.resize(start + (bytes.size() + 2) / 3 * 4);
  char* o = out.data() + start;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = uint32_t{p[i]} << 16 | uint32_t{p[i + 1]} << 8 | p[i + 2];
    o[0] = kB64Alphabet[v >> 18];
    o[1] = kB64Alphabet[(v >> 12) & 63];
    o[2] = kB64Alphabet[(v >> 6) & 63];
    o[3] = kB64Alphabet[v & 63];
    o += 4;
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    const uint32_t v = uint32_t{p[i]} << 16 | (rest == 2 ? uint32_t{p[i + 1]} << 8 : 0);
    o[0] = kB64Alphabet[v >> 18];
    o[1] = kB64Alphabet[(v >> 12) & 63];
    o[2] = rest == 2 ? kB64Alphabet[(v >> 6) & 63] : '=';
    o[3] = '=';
  }
}

std::optional<std::string> base64Decode(std::string_view b64) {
  // Padding is optional, but when present it must complete the last quantum exactly.
  if (b64.size() % 4 == 0 && !b64.empty() && b64.back() == '=') {
    b64.remove_suffix(1);
    if (b64.back() == '=') b64.remove_suffix(1);
  }
  const size_t rest = b64.size() % 4;
  if (rest == 1) return std::nullopt;  // one leftover character encodes no byte
  std::string out(b64.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const auto* p = reinterpret_cast<const unsigned char*>(b64.data());
  // Anything outside the alphabet, a stray or misplaced '=' included, is -1 and makes the OR
  // of a quantum negative.
  const auto value = [](unsigned char c) { return int{kB64Decode.v[c]}; };
  size_t i = 0;
  for (; i + 4 <= b64.size(); i += 4) {
    const int a = value(p[i]), b = value(p[i + 1]), c = value(p[i + 2]), d = value(p[i + 3]);
    if ((a | b | c | d) < 0) return std::nullopt;
    const uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6 | uint32_t(d);
    o[0] = static_cast<unsigned char>(v >> 16);
    o[1] = static_cast<unsigned char>(v >> 8);
    o[2] = static_cast<unsigned char>(v);
    o += 3;
  }
  // The last 2 or 3 characters carry 1 or 2 bytes; their unused low bits are ignored.
  if (rest > 0) {
    const int a = value(p[i]), b = value(p[i + 1]), c = rest == 3 ? value(p[i + 2]) : 0;
    if ((a | b | c) < 0) return std::nullopt;
    const uint32_t v = uint32_t(a) << 18 | uint32_t(b) << 12 | uint32_t(c) << 6;
    o[0] = static_cast<unsigned char>(v >> 16);
    if (rest == 3) o[1] = static_cast<unsigned char>(v >> 8);
  }
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // lengths are public (fixed per algorithm)
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  while (n > 0) {
    const int chunk = n > INT_MAX ? INT_MAX : static_cast<int>(n);
    // Never hand out predictable bytes: failing loudly beats a weak id or secret.
    if (RAND_bytes(p, chunk) != 1) throw std::runtime_error("OpenSSL: RAND_bytes failed");
    p += chunk;
    n -= static_cast<size_t>(chunk);
  }
  return out;
}

}  // namespace dispatch::crypto
