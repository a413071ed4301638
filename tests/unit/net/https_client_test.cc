// HttpClient over TLS against an in-process HTTPS server on 127.0.0.1 with a certificate
// generated for `localhost` at test time.
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureServerSocket.h>
#include <gtest/gtest.h>

#include <chrono>

#include "core/net/http_client.h"
#include "tests/unit/net/test_server.h"

namespace dispatch::net {
namespace {

using nettest::SelfSignedCert;
using nettest::TestServer;
using Error = HttpResponse::Error;

class HttpsClientTest : public ::testing::Test {
 protected:
  static Poco::Net::ServerSocket tlsSocket(const SelfSignedCert& cert) {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, cert.keyFile(), cert.certFile(),
                               "", Poco::Net::Context::VERIFY_NONE, 9, false, "DEFAULT");
    return Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context);
  }

  ClientOptions options(bool trustCert) const {
    ClientOptions o;
    o.policy.allowHttp = false;
    o.policy.allowPrivateNetworks = true;
    if (trustCert) o.caFile = cert_.certFile();
    return o;
  }

  static HttpRequest post(const std::string& url) {
    HttpRequest r;
    r.url = url;
    r.body = R"({"tls":true})";
    r.timeoutMs = 5000;
    return r;
  }

  SelfSignedCert cert_;
  TestServer server_{tlsSocket(cert_)};
};

TEST_F(HttpsClientTest, TrustedCaFileSucceedsAndKeepsAlive) {
  HttpClient client(options(/*trustCert=*/true));
  for (int i = 0; i < 3; ++i) {
    HttpResponse resp = client.send(post(server_.url("/hook", "localhost", "https")));
    ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.body, "ok");
  }
  nettest::RecordedRequest got = server_.state().last();
  EXPECT_EQ(got.body, R"({"tls":true})");
  EXPECT_EQ(got.host, "localhost:" + std::to_string(server_.port()));
  EXPECT_EQ(server_.state().connectionCount(), 1u);
}

TEST_F(HttpsClientTest, UntrustedCertificateFailsVerification) {
  HttpClient client(options(/*trustCert=*/false));
  HttpResponse resp = client.send(post(server_.url("/hook", "localhost", "https")));
  EXPECT_EQ(resp.error, Error::kNetwork);
  EXPECT_EQ(resp.errorText.rfind("tls handshake failed: certificate verify failed", 0), 0u)
      << resp.errorText;
  EXPECT_EQ(resp.status, 0);
  EXPECT_EQ(server_.state().requestCount(), 0u);
}

TEST_F(HttpsClientTest, HostNameMustMatchTheCertificate) {
  // The certificate names only DNS:localhost; Poco's RELAXED mode would skip this check for
  // a loopback peer, the client's context must not.
  HttpClient client(options(/*trustCert=*/true));
  HttpResponse resp = client.send(post(server_.url("/hook", "127.0.0.1", "https")));
  EXPECT_EQ(resp.error, Error::kNetwork);
  EXPECT_EQ(resp.errorText, "tls handshake failed: certificate does not match host name");
  EXPECT_EQ(server_.state().requestCount(), 0u);
}

TEST_F(HttpsClientTest, TimesOutWithinTheDeadline) {
  HttpClient client(options(/*trustCert=*/true));
  HttpRequest req = post(server_.url("/slow", "localhost", "https"));
  req.timeoutMs = 300;
  const auto start = std::chrono::steady_clock::now();
  HttpResponse resp = client.send(req);
  EXPECT_EQ(resp.error, Error::kTimeout);
  EXPECT_EQ(resp.errorText, "timeout after 300ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

TEST_F(HttpsClientTest, DeadlineCoversASlowlyDrippingBody) {
  HttpClient client(options(/*trustCert=*/true));
  HttpRequest req = post(server_.url("/drip", "localhost", "https"));
  req.timeoutMs = 300;
  const auto start = std::chrono::steady_clock::now();
  HttpResponse resp = client.send(req);
  EXPECT_EQ(resp.error, Error::kTimeout);
  EXPECT_EQ(resp.errorText, "timeout after 300ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

TEST(HttpsClientStandaloneTest, MissingCaFileIsAConfigError) {
  ClientOptions o;
  o.caFile = "/nonexistent/ca.pem";
  EXPECT_THROW(HttpClient client(o), std::runtime_error);
}

}  // namespace
}  // namespace dispatch::net
