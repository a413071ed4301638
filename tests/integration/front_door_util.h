// Helpers for the front-door tests (front_door_*_test.cc): a raw HTTP/1.x client over a
// plain or TLS socket on 127.0.0.1 that sends exactly the bytes it is given and reads with a
// deadline, a response reader that never guesses past what it received, and the checks every
// refusal must pass (status, `Connection: close`, JSON envelope, closed afterwards).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/integration/harness.h"

namespace dispatch::test::front_door {

using Clock = std::chrono::steady_clock;

constexpr int kAnswerMs = 5000;  // a response that is due arrives well within this

// Project alpha with one unsigned source, POST /hooks/fd-in.
inline std::string hookProjects() {
  return std::string(
             "projects:\n"
             "  - name: alpha\n"
             "    signing_secret: ") +
         kAlphaSecret +
         "\n"
         "    sources:\n"
         "      - slug: fd-in\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n";
}

inline int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

inline std::string lowerCase(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

// Bytes made printable for failure messages (CR, LF, controls and high bytes escaped).
inline std::string printable(std::string_view s, size_t max = 600) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

struct HttpResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased names, in order
  std::string body;
  std::string raw;  // the status line and headers as received

  std::string header(const std::string& lowerName) const {
    for (const auto& [k, v] : headers) {
      if (k == lowerName) return v;
    }
    return "";
  }
  bool hasConnectionClose() const {
    return lowerCase(header("connection")).find("close") != std::string::npos;
  }
};

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

inline std::string opensslErrors() {
  std::string out;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// The SHA-256 digest of a certificate (raw bytes), "" for null.
inline std::string certDigest(X509* cert) {
  if (cert == nullptr) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return "";
  return std::string(reinterpret_cast<const char*>(md), len);
}

inline std::string certFileDigest(const std::string& pemFile) {
  BIO* bio = BIO_new_file(pemFile.c_str(), "r");
  if (bio == nullptr) return "";
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return certDigest(cert.get());
}

// A client context. `caFile` set: the peer must chain to it (else no verification; compare
// the peer's digest instead). `maxVersion` (e.g. TLS1_1_VERSION) caps the protocol; the
// security level is lowered so that the client itself is willing to speak old versions and
// a refusal is the server's.
inline SslCtx clientContext(const std::string& caFile = "", int maxVersion = 0) {
  SslCtx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  if (!caFile.empty()) {
    SSL_CTX_load_verify_locations(ctx.get(), caFile.c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (maxVersion != 0) {
    SSL_CTX_set_security_level(ctx.get(), 0);
    SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), maxVersion);
  }
  return ctx;
}

// One client connection to 127.0.0.1:port, plain or TLS. Not thread-safe; move-only.
class RawConn {
 public:
  enum class Read { kData, kClosed, kTimeout };

  RawConn() = default;
  // Connects (plain TCP); ok() is false when the connection was refused.
  explicit RawConn(int port) {
    // A write to a socket the server has closed must be an error, not a signal (OpenSSL
    // writes with write(2), so MSG_NOSIGNAL alone is not enough).
    ::signal(SIGPIPE, SIG_IGN);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      error_ = std::string("connect: ") + std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  // Connects and completes a TLS handshake; ok() is false (and error() says why) when the
  // connection or the handshake failed.
  static RawConn tls(int port, SSL_CTX* ctx, int timeoutMs = 5000) {
    RawConn c(port);
    if (!c.ok()) return c;
    c.setTimeouts(timeoutMs);
    c.ssl_ = SSL_new(ctx);
    SSL_set_fd(c.ssl_, c.fd_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl_), "127.0.0.1");
    ERR_clear_error();
    if (SSL_connect(c.ssl_) != 1) {
      c.error_ = "TLS handshake failed: " + opensslErrors();
      long v = SSL_get_verify_result(c.ssl_);
      if (v != X509_V_OK)
        c.error_ += std::string(" (verify: ") + X509_verify_cert_error_string(v) + ")";
      c.close();
    }
    return c;
  }

  RawConn(RawConn&& o) noexcept { *this = std::move(o); }
  RawConn& operator=(RawConn&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      ssl_ = std::exchange(o.ssl_, nullptr);
      buf_ = std::move(o.buf_);
      error_ = std::move(o.error_);
      peerClosed_ = o.peerClosed_;
    }
    return *this;
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  ~RawConn() { close(); }

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& error() const { return error_; }
  // Bytes received and not yet consumed by readResponse().
  const std::string& pending() const { return buf_; }
  bool peerClosed() const { return peerClosed_; }

  void close() {
    if (ssl_ != nullptr) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // The peer's certificate (TLS only).
  X509Ptr peerCertificate() const {
    if (ssl_ == nullptr) return nullptr;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    return X509Ptr(SSL_get1_peer_certificate(ssl_));
#else
    return X509Ptr(SSL_get_peer_certificate(ssl_));
#endif
  }

  // Writes all of `bytes`; false when the peer closed/reset or the write stalled.
  bool send(std::string_view bytes, int timeoutMs = 5000) {
    if (fd_ < 0) return false;
    if (ssl_ != nullptr) {
      setTimeouts(timeoutMs);
      size_t off = 0;
      while (off < bytes.size()) {
        int n = SSL_write(ssl_, bytes.data() + off, static_cast<int>(bytes.size() - off));
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
      }
      return true;
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      int left = remainingMs(deadline);
      if (left <= 0) return false;
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, left);
    }
    return true;
  }

  // Appends what arrives within timeoutMs (0: only what is there now) to pending().
  Read fill(int timeoutMs) {
    if (fd_ < 0 || peerClosed_) return Read::kClosed;
    char buf[16384];
    if (ssl_ != nullptr) {
      if (SSL_pending(ssl_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeoutMs) <= 0) return Read::kTimeout;
      }
      setTimeouts(std::max(timeoutMs, 50));
      ERR_clear_error();
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n > 0) {
        buf_.append(buf, static_cast<size_t>(n));
        return Read::kData;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ||
          (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
        return Read::kTimeout;  // e.g. only a session ticket arrived
      }
      peerClosed_ = true;
      return Read::kClosed;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0) return Read::kTimeout;
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      buf_.append(buf, static_cast<size_t>(n));
      return Read::kData;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Read::kTimeout;
    peerClosed_ = true;  // EOF or reset: either way the server is done with us
    return Read::kClosed;
  }

  // Reads one response (status line, headers, then a Content-Length, chunked or
  // until-close body). nullopt when it is not complete within timeoutMs; `why` says what
  // was received.
  std::optional<HttpResponse> readResponse(int timeoutMs, std::string* why = nullptr) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    auto fail = [&](const std::string& what) -> std::optional<HttpResponse> {
      if (why) *why = what + "; received: \"" + printable(buf_) + "\"";
      return std::nullopt;
    };
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!waitMore(deadline)) return fail(peerClosed_ ? "closed before a response" : "timeout");
    }
    HttpResponse r;
    r.raw = buf_.substr(0, end + 4);
    size_t lineEnd = buf_.find("\r\n");
    std::string statusLine = buf_.substr(0, lineEnd);
    size_t sp1 = statusLine.find(' ');
    if (sp1 == std::string::npos || statusLine.rfind("HTTP/", 0) != 0) {
      return fail("not a status line");
    }
    r.version = statusLine.substr(0, sp1);
    r.status = std::atoi(statusLine.c_str() + sp1 + 1);
    size_t sp2 = statusLine.find(' ', sp1 + 1);
    if (sp2 != std::string::npos) r.reason = statusLine.substr(sp2 + 1);
    for (size_t at = lineEnd + 2; at < end;) {
      size_t e = buf_.find("\r\n", at);
      std::string line = buf_.substr(at, e - at);
      at = e + 2;
      size_t colon = line.find(':');
      if (colon == std::string::npos) return fail("header line without colon");
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      value.erase(value.find_last_not_of(" \t") + 1);
      r.headers.emplace_back(lowerCase(line.substr(0, colon)), value);
    }
    size_t pos = end + 4;
    const bool noBody = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
    if (noBody) {
      buf_.erase(0, pos);
      return r;
    }
    if (lowerCase(r.header("transfer-encoding")).find("chunked") != std::string::npos) {
      while (true) {
        size_t le;
        while ((le = buf_.find("\r\n", pos)) == std::string::npos) {
          if (!waitMore(deadline)) return fail("chunk size line incomplete");
        }
        size_t size = std::strtoul(buf_.c_str() + pos, nullptr, 16);
        pos = le + 2;
        if (size == 0) {
          size_t te;
          while ((te = buf_.find("\r\n", pos)) == std::string::npos) {
            if (!waitMore(deadline)) return fail("chunked trailer incomplete");
          }
          if (te == pos) {
            pos += 2;
            break;
          }
          pos = te + 2;  // a trailer line; keep reading to the blank line
          continue;
        }
        while (buf_.size() < pos + size + 2) {
          if (!waitMore(deadline)) return fail("chunk incomplete");
        }
        r.body.append(buf_, pos, size);
        pos += size + 2;
      }
      buf_.erase(0, pos);
      return r;
    }
    std::string cl = r.header("content-length");
    if (!cl.empty()) {
      size_t n = std::strtoul(cl.c_str(), nullptr, 10);
      while (buf_.size() < pos + n) {
        if (!waitMore(deadline)) return fail("body incomplete");
      }
      r.body = buf_.substr(pos, n);
      buf_.erase(0, pos + n);
      return r;
    }
    while (!peerClosed_) {  // no framing: the body runs to the close
      if (!waitMore(deadline)) return fail("body without framing never ended");
    }
    r.body = buf_.substr(pos);
    buf_.clear();
    return r;
  }

  // True when the server closes (EOF or reset) within timeoutMs; what arrived before the
  // close (after anything readResponse() consumed) is left in pending().
  bool waitClosed(int timeoutMs) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!peerClosed_) {
      if (!waitMore(deadline) && !peerClosed_) return false;
    }
    return true;
  }

 private:
  static int remainingMs(Clock::time_point deadline) {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
  }
  // One more read before the deadline; false on timeout or close.
  // One more read before the deadline (at least one look, even past it); false on timeout
  // or close.
  bool waitMore(Clock::time_point deadline) {
    while (!peerClosed_) {
      int left = std::max(remainingMs(deadline), 0);
      Read r = fill(left);
      if (r == Read::kData) return true;
      if (r == Read::kClosed || left == 0) return false;
    }
    return false;
  }
  void setTimeouts(int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buf_;
  std::string error_;
  bool peerClosed_ = false;
};

inline std::string get(const std::string& path = "/healthz", const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

inline std::string post(const std::string& path, const std::string& body,
                        const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

// Sends `request` on a new connection and reads one response. nullopt (with `why`) when the
// connection or the response failed; `elapsedMs` covers connect to last byte.
inline std::optional<HttpResponse> exchange(int port, const std::string& request, int timeoutMs,
                                            std::string* why = nullptr,
                                            int64_t* elapsedMs = nullptr) {
  auto t0 = Clock::now();
  RawConn c(port);
  if (!c.ok()) {
    if (why) *why = c.error();
    return std::nullopt;
  }
  if (!c.send(request, timeoutMs)) {
    if (why) *why = "send failed";
    return std::nullopt;
  }
  auto r = c.readResponse(timeoutMs, why);
  if (elapsedMs) *elapsedMs = msSince(t0);
  return r;
}

// The event id in a 202 envelope, "" when the body is not one.
inline std::string eventIdOf(const HttpResponse& r) {
  auto parsed = json::parse(r.body);
  if (!parsed) return "";
  const json::Value& v = parsed.value();
  const json::Value* data = v.find("data");
  const json::Value* id = data ? data->find("event_id") : nullptr;
  return id && id->isString() ? id->asString() : "";
}

// A failure envelope: application/json, {"status":false,"message":"...","data":null}.
inline void expectFailureEnvelope(const HttpResponse& r) {
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos) << r.raw;
  auto parsed = json::parse(r.body);
  ASSERT_TRUE(static_cast<bool>(parsed)) << "not JSON: " << printable(r.body);
  const json::Value& v = parsed.value();
  const json::Value* status = v.find("status");
  const json::Value* message = v.find("message");
  const json::Value* data = v.find("data");
  EXPECT_TRUE(status && status->isBool() && !status->asBool()) << r.body;
  EXPECT_TRUE(message && message->isString() && !message->asString().empty()) << r.body;
  EXPECT_TRUE(data && data->isNull()) << r.body;
}

// What every refusal must be: the exact status, `Connection: close`, a failure envelope,
// and then the connection closed with nothing more sent (no second response, whatever
// bytes followed the refused request).
inline void expectRefusedAndClosed(RawConn& c, const HttpResponse& r, int status,
                                   int closeTimeoutMs = 3000) {
  EXPECT_EQ(r.status, status) << r.raw << printable(r.body);
  EXPECT_TRUE(r.hasConnectionClose()) << r.raw;
  expectFailureEnvelope(r);
  EXPECT_TRUE(c.waitClosed(closeTimeoutMs)) << "the connection stayed open after " << r.status;
  EXPECT_EQ(c.pending().find("HTTP/"), std::string::npos)
      << "a second response came back: " << printable(c.pending());
  EXPECT_TRUE(c.pending().empty()) << "bytes after the refusal: " << printable(c.pending());
}

}  // namespace dispatch::test::front_door
