// TLS for the front door, on OpenSSL directly: the event loop owns non-blocking sockets, and
// OpenSSL's own WANT_READ/WANT_WRITE answers fit that loop as they are (Poco's
// SecureStreamSocket is built for blocking use). TLS 1.2 and 1.3 only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/util/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace dispatch::http {

// What one non-blocking read or write did.
struct IoResult {
  enum Kind { kData, kWantRead, kWantWrite, kEof, kError };
  Kind kind = kError;
  size_t n = 0;  // bytes moved, with kData
};

// A certificate and key loaded into a server context. Immutable once loaded: a reload makes
// a new one, and connections keep the one they started with. Thread-safe to share.
class TlsContext {
 public:
  // kInvalid naming the file and OpenSSL's reason (never key material) when either file
  // cannot be read, does not parse, or the key does not match the certificate.
  static Result<std::shared_ptr<TlsContext>> load(const std::string& certFile,
                                                  const std::string& keyFile);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// One server-side TLS connection over a non-blocking socket it does not own. The handshake
// runs inside the first reads and writes.
class TlsSession {
 public:
  TlsSession(std::shared_ptr<TlsContext> ctx, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  IoResult read(char* buf, size_t len);
  IoResult write(const char* buf, size_t len);
  // Sends close_notify if it can without blocking; the socket's own shutdown follows.
  void shutdown();

 private:
  IoResult result(int rc);
  std::shared_ptr<TlsContext> ctx_;  // keeps the context alive as long as the session
  SSL* ssl_ = nullptr;
};

}  // namespace dispatch::http
