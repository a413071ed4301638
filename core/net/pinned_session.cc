// Poco session subclasses that pin the peer address (see pinned_session.h).
#include "core/net/pinned_session.h"

#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <type_traits>
#include <utility>

namespace dispatch::net {
namespace {

Poco::Net::SocketAddress toSocketAddress(const IpAddr& address, int port) {
  Poco::Net::IPAddress ip(address.bytes.data(), address.family == 6 ? 16 : 4);
  return Poco::Net::SocketAddress(ip, static_cast<Poco::UInt16>(port));
}

template <class Base>
class PinnedImpl final : public Base, public PinnedSession {
 public:
  static constexpr bool kTls = std::is_same_v<Base, Poco::Net::HTTPSClientSession>;

  template <class... Args>
  explicit PinnedImpl(const Poco::Net::SocketAddress& address, Args&&... args)
      : Base(std::forward<Args>(args)...), address_(address) {
    this->setKeepAlive(true);
    // Never through a proxy, even if someone sets Poco's process-wide proxy config.
    this->setProxyConfig(Poco::Net::HTTPClientSession::ProxyConfig());
    if constexpr (kTls) {
      Poco::Net::SecureStreamSocket secure(this->socket());
      secure.setLazyHandshake(true);
    }
  }

  Poco::Net::HTTPClientSession& http() override { return *this; }

  void connectPinned(Poco::Timespan timeout) override {
    this->setTimeout(timeout, timeout, timeout);
    connect(address_);
  }

  void completeTls() override {
    if constexpr (kTls) {
      Poco::Net::SecureStreamSocket secure(this->socket());
      int rc = secure.completeHandshake();
      if (rc != 1) {
        // A blocking socket only reports "want read/write" when its timeout expired.
        if (rc < 0) throw Poco::TimeoutException("tls handshake");
        throw Poco::Net::SSLConnectionUnexpectedlyClosedException("tls handshake");
      }
      // With a lazy handshake Poco leaves this to us; it checks the URL's host name.
      secure.verifyPeerCertificate();
    }
  }

  bool isReusable() override {
    if (!this->connected() || this->buffered() > 0) return false;
    try {
      // Readable while idle means EOF, a reset or stray bytes: none leave it usable.
      return !this->socket().poll(Poco::Timespan(0),
                                  Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
    } catch (const Poco::Exception&) {
      return false;
    }
  }

  int fd() override {
    Poco::Net::SocketImpl* impl = this->socket().impl();
    return impl == nullptr ? -1 : static_cast<int>(impl->sockfd());
  }

 protected:
  // Every connect goes to the pinned address, whatever Poco passes in.
  void connect(const Poco::Net::SocketAddress&) override { Base::connect(address_); }

  // Poco would otherwise close and reconnect() by host name (a fresh DNS lookup) after an
  // idle period or a "Connection: close"; the pool decides reuse instead.
  bool mustReconnect() const override { return false; }

  // HTTPClientSession::write() silently reconnects (again by host name) and resends when a
  // write on a kept-alive connection fails; the client retries on a fresh pinned session.
  int write(const char* buffer, std::streamsize length) override {
    return Poco::Net::HTTPSession::write(buffer, length);
  }

 private:
  Poco::Net::SocketAddress address_;
};

}  // namespace

std::unique_ptr<PinnedSession> makePinnedSession(const ParsedUrl& url, const IpAddr& address,
                                                 const Poco::Net::Context::Ptr& tls) {
  Poco::Net::SocketAddress target = toSocketAddress(address, url.port);
  auto port = static_cast<Poco::UInt16>(url.port);
  if (url.scheme == "https") {
    return std::make_unique<PinnedImpl<Poco::Net::HTTPSClientSession>>(target, url.host, port, tls);
  }
  return std::make_unique<PinnedImpl<Poco::Net::HTTPClientSession>>(target, url.host, port);
}

}  // namespace dispatch::net
