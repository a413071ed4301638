// Client TLS setup: one-time NetSSL initialisation and a strict verifying context.
#include "core/net/tls_context.h"

#include <Poco/Exception.h>
#include <Poco/Net/InvalidCertificateHandler.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/VerificationErrorArgs.h>
#include <signal.h>

#include <mutex>
#include <stdexcept>

namespace dispatch::net {
namespace {

thread_local std::string tCertificateError;

// Rejects every certificate OpenSSL could not verify, and remembers why for the error text.
// Installed as the SSLManager's client handler so Poco never builds its default (console
// prompting) handler from an application configuration.
class RejectAndRecordHandler : public Poco::Net::InvalidCertificateHandler {
 public:
  RejectAndRecordHandler() : InvalidCertificateHandler(false) {}
  void onInvalidCertificate(const void*, Poco::Net::VerificationErrorArgs& args) override {
    tCertificateError = args.errorMessage();
    args.setIgnoreError(false);
  }
};

std::once_flag gSslOnce;

void initializeOnce(const Poco::Net::Context::Ptr& context) {
  std::call_once(gSslOnce, [&context] {
    Poco::Net::initializeSSL();
    // A write to a peer that has gone away must fail the attempt, not kill the process.
    // (The server app ignores SIGPIPE too; this covers tests and other embedders.)
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      ::signal(SIGPIPE, SIG_IGN);
    }
    Poco::Net::SSLManager::InvalidCertificateHandlerPtr handler(new RejectAndRecordHandler());
    Poco::Net::SSLManager::instance().initializeClient(nullptr, handler, context);
  });
}

}  // namespace

Poco::Net::Context::Ptr makeClientTlsContext(const std::string& caFile) {
  Poco::Net::Context::Params params;
  // caLocation and loadDefaultCAs add to the same X509 store: the extra CA is trusted in
  // addition to the system ones, not instead of them.
  params.caLocation = caFile;
  params.loadDefaultCAs = true;
  // VERIFY_STRICT behaves like VERIFY_RELAXED for a client, except that Poco then checks
  // the host name for every peer: under RELAXED it resolves the name again (a DNS lookup
  // per handshake) and skips the check when it resolves to loopback.
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.cipherList = "DEFAULT";
  Poco::Net::Context::Ptr context;
  try {
    context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    context->enableExtendedCertificateVerification(true);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("cannot create the TLS client context: " + e.displayText());
  }
  initializeOnce(context);
  return context;
}

std::string takeCertificateError() {
  std::string out;
  out.swap(tCertificateError);
  return out;
}

void clearCertificateError() { tCertificateError.clear(); }

}  // namespace dispatch::net
