// A keep-alive HTTP(S) session bound to one resolved address: it connects to that IP while
// the URL's host name stays in the Host header, the TLS SNI and certificate verification.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Timespan.h>

#include <memory>

#include "core/net/network_policy.h"

namespace dispatch::net {

// Not thread-safe: one caller at a time (the pool hands a session to one worker).
class PinnedSession {
 public:
  virtual ~PinnedSession() = default;

  // The Poco session for sendRequest()/receiveResponse(). Poco never reconnects it on its
  // own (that would resolve the host name again); a dead session is dropped instead.
  virtual Poco::Net::HTTPClientSession& http() = 0;

  // TCP-connects to the pinned address within `timeout`. For TLS the handshake is left to
  // completeTls(), so the caller can arm a deadline on the connected socket first.
  virtual void connectPinned(Poco::Timespan timeout) = 0;

  // TLS: handshakes and verifies the peer certificate against the host name (throws on
  // failure). Plain HTTP: does nothing.
  virtual void completeTls() = 0;

  // True when an idle session can carry another request: still connected, nothing
  // unread, and the peer has not closed or reset its end.
  virtual bool isReusable() = 0;

  // The connected socket's descriptor, or -1.
  virtual int fd() = 0;
};

// `tls` is required for https URLs and ignored for http.
std::unique_ptr<PinnedSession> makePinnedSession(const ParsedUrl& url, const IpAddr& address,
                                                 const Poco::Net::Context::Ptr& tls);

}  // namespace dispatch::net
