// OpenSSL server context and non-blocking sessions.
#include "core/http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace dispatch::http {
namespace {

// OpenSSL's reason for the last failure (library and reason text, no data), and the queue
// cleared so a later call does not report it again.
std::string lastSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::load(const std::string& certFile,
                                                     const std::string& keyFile) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status(Code::kInvalid, "tls: " + lastSslError());
  auto fail = [ctx](const std::string& what) {
    std::string msg = what + ": " + lastSslError();
    SSL_CTX_free(ctx);
    return Status(Code::kInvalid, msg);
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx, certFile.c_str()) != 1) {
    return fail("tls.cert " + certFile);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("tls.key " + keyFile);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) return fail("tls.key does not match tls.cert");
  return std::shared_ptr<TlsContext>(new TlsContext(ctx));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(std::shared_ptr<TlsContext> ctx, int fd) : ctx_(std::move(ctx)) {
  ssl_ = SSL_new(ctx_->get());
  if (ssl_ != nullptr) {
    SSL_set_fd(ssl_, fd);
    SSL_set_accept_state(ssl_);
  }
}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

IoResult TlsSession::result(int rc) {
  if (rc > 0) return {IoResult::kData, static_cast<size_t>(rc)};
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      return {IoResult::kWantRead, 0};
    case SSL_ERROR_WANT_WRITE:
      return {IoResult::kWantWrite, 0};
    case SSL_ERROR_ZERO_RETURN:
      return {IoResult::kEof, 0};
    default:
      // A failed handshake (plain HTTP on the TLS port, an old protocol version) or a
      // broken connection: the connection ends; nothing of it is worth a log line.
      ERR_clear_error();
      return {IoResult::kError, 0};
  }
}

IoResult TlsSession::read(char* buf, size_t len) {
  if (ssl_ == nullptr) return {IoResult::kError, 0};
  ERR_clear_error();
  return result(SSL_read(ssl_, buf, static_cast<int>(len)));
}

IoResult TlsSession::write(const char* buf, size_t len) {
  if (ssl_ == nullptr) return {IoResult::kError, 0};
  ERR_clear_error();
  return result(SSL_write(ssl_, buf, static_cast<int>(len)));
}

void TlsSession::shutdown() {
  if (ssl_ == nullptr || !SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace dispatch::http
