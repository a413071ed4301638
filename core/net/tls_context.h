// The client TLS context for outbound deliveries: system CAs plus an optional extra CA,
// peer and host-name verification always on, invalid certificates rejected (never prompted).
#pragma once

#include <Poco/Net/Context.h>

#include <string>

namespace dispatch::net {

// Initialises NetSSL once per process and builds a client context. Throws
// std::runtime_error when `caFile` is set but cannot be loaded.
Poco::Net::Context::Ptr makeClientTlsContext(const std::string& caFile);

// The last certificate-chain error seen by this thread's handshake (e.g. "self-signed
// certificate"), or empty. The verify callback runs on the handshaking thread, so a
// thread-local carries the reason from OpenSSL to the error text.
std::string takeCertificateError();
void clearCertificateError();

}  // namespace dispatch::net
