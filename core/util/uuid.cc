// UUIDv7 generation (RFC 9562), stable name-based ids, and canonical-form validation.
#include "core/util/uuid.h"

#include <openssl/evp.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "core/util/crypto.h"
#include "core/util/time.h"

namespace dispatch {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// 16 bytes as 8-4-4-4-12 lowercase hex.
std::string formatUuid(const unsigned char* b) {
  std::string out(36, '-');
  size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;  // skip the pre-filled hyphen
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 0xF];
  }
  return out;
}

// Bumped in a forked child so per-thread random pools inherited from the parent are
// discarded: otherwise parent and child would hand out the same ids.
std::atomic<uint64_t> g_forkGeneration{0};

void registerForkHandler() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr,
                   [] { g_forkGeneration.fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
}

// Per-thread pool of random bytes: one RAND_bytes call per 256 ids instead of one per id.
class RandomPool {
 public:
  void take(unsigned char* out, size_t n) {
    const uint64_t generation = g_forkGeneration.load(std::memory_order_relaxed);
    if (generation != generation_) {
      used_ = sizeof buf_;
      generation_ = generation;
    }
    if (sizeof buf_ - used_ < n) {
      const std::string fresh = crypto::randomBytes(sizeof buf_);
      std::memcpy(buf_, fresh.data(), sizeof buf_);
      used_ = 0;
    }
    std::memcpy(out, buf_ + used_, n);
    used_ += n;
  }

 private:
  unsigned char buf_[4096];
  size_t used_ = sizeof buf_;
  uint64_t generation_ = 0;
};

}  // namespace

std::string newUuidV7() {
  registerForkHandler();
  thread_local RandomPool pool;
  unsigned char b[16];
  pool.take(b + 6, 10);
  const auto ms = static_cast<uint64_t>(nowMs());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3F));  // variant 10xx (RFC 9562)
  return formatUuid(b);
}

std::string stableUuid(std::string_view ns, std::string_view name) {
  // The NUL separator keeps ("ab","c") and ("a","bc") apart.
  std::string input;
  input.reserve(ns.size() + 1 + name.size());
  input.append(ns).push_back('\0');
  input.append(name);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr) != 1 || len < 16) {
    throw std::runtime_error("OpenSSL: SHA-1 failed");
  }
  digest[6] = static_cast<unsigned char>(0x50 | (digest[6] & 0x0F));  // version 5
  digest[8] = static_cast<unsigned char>(0x80 | (digest[8] & 0x3F));  // variant 10xx
  return formatUuid(digest);
}

bool isUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace dispatch
