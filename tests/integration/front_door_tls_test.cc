// server.tls: the listen port speaks HTTPS only (TLS 1.2+), and SIGHUP rereads the
// certificate and key for new connections while open ones keep working.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/front_door_util.h"

namespace dispatch::test {
namespace {

using namespace front_door;
namespace fs = std::filesystem;

class FrontDoorTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    fs::create_directories(dir_ + "/a");
    fs::create_directories(dir_ + "/b");
    certA_ = makeSelfSignedCert(dir_ + "/a");
    certB_ = makeSelfSignedCert(dir_ + "/b");
    DispatchOptions o;
    o.serverExtraYaml = "tls: { cert: " + certA_.certFile + ", key: " + certA_.keyFile + " }\n";
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  int port() const { return d->port(); }

  // GET /healthz on an established TLS connection.
  static void expectHealthy(RawConn& c) {
    ASSERT_TRUE(c.send(get()));
    std::string why;
    auto r = c.readResponse(kAnswerMs, &why);
    ASSERT_TRUE(r.has_value()) << why;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok");
  }

  std::string dir_;
  TestCert certA_;
  TestCert certB_;
  TestDatabase db;
  std::unique_ptr<DispatchProcess> d;
};

TEST_F(FrontDoorTls, ServesHttpsOnly) {
  SslCtx trusting = clientContext(certA_.certFile);
  RawConn tls = RawConn::tls(port(), trusting.get());
  ASSERT_TRUE(tls.ok()) << tls.error();
  EXPECT_EQ(certDigest(tls.peerCertificate().get()), certFileDigest(certA_.certFile));
  expectHealthy(tls);
  expectHealthy(tls);  // keep-alive over TLS

  RawConn plain(port());
  ASSERT_TRUE(plain.ok()) << plain.error();
  plain.send(get());
  EXPECT_TRUE(plain.waitClosed(5000)) << "a plaintext request on the TLS port was kept open";
  EXPECT_EQ(plain.pending().find(" 200 "), std::string::npos)
      << "plaintext HTTP was served: " << printable(plain.pending());

  SslCtx tls11 = clientContext("", TLS1_1_VERSION);
  RawConn old = RawConn::tls(port(), tls11.get());
  EXPECT_FALSE(old.ok()) << "a TLS 1.1 handshake succeeded";
  // The refusal is the server's: this client did offer TLS 1.0/1.1.
  EXPECT_EQ(old.error().find("no protocols available"), std::string::npos) << old.error();

  SslCtx tls12 = clientContext("", TLS1_2_VERSION);
  RawConn v12 = RawConn::tls(port(), tls12.get());
  ASSERT_TRUE(v12.ok()) << "TLS 1.2 refused: " << v12.error();
  expectHealthy(v12);
}

TEST_F(FrontDoorTls, SighupRereadsCertificateForNewConnections) {
  SslCtx anyPeer = clientContext();
  const std::string digestA = certFileDigest(certA_.certFile);
  const std::string digestB = certFileDigest(certB_.certFile);
  ASSERT_NE(digestA, digestB);

  RawConn before = RawConn::tls(port(), anyPeer.get());
  ASSERT_TRUE(before.ok()) << before.error();
  EXPECT_EQ(certDigest(before.peerCertificate().get()), digestA);
  expectHealthy(before);

  // The configured paths stay; their contents change.
  fs::copy_file(certB_.certFile, certA_.certFile, fs::copy_options::overwrite_existing);
  fs::copy_file(certB_.keyFile, certA_.keyFile, fs::copy_options::overwrite_existing);
  const size_t logMark = d->log().size();
  d->kill(SIGHUP);
  ASSERT_TRUE(
      eventually([&] { return d->log().find("reloaded", logMark) != std::string::npos; }, 5000))
      << d->log().substr(logMark);

  std::string seen;
  EXPECT_TRUE(eventually(
      [&] {
        RawConn c = RawConn::tls(port(), anyPeer.get());
        seen = c.ok() ? certDigest(c.peerCertificate().get()) : "";
        return seen == digestB;
      },
      5000))
      << (seen == digestA ? "still the old certificate" : "no TLS connection");

  SslCtx trustingB = clientContext(certB_.certFile);
  RawConn after = RawConn::tls(port(), trustingB.get());
  ASSERT_TRUE(after.ok()) << after.error();
  expectHealthy(after);

  // The connection opened before the reread still works.
  expectHealthy(before);
}

}  // namespace
}  // namespace dispatch::test
