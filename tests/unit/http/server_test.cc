// The HTTP server on loopback: routing statuses, body limits, framing, exclusive bind.
#include "core/http/server.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/http/envelope.h"

namespace dispatch::http {
namespace {

// Sends raw bytes and returns everything the server answers before closing or `timeout`.
std::string rawExchange(int port, const std::string& bytes, int timeoutMs = 3000) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  s.setReceiveTimeout(Poco::Timespan(0, timeoutMs * 1000));
  s.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string out;
  char buf[4096];
  try {
    while (true) {
      int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.find("\r\n\r\n") != std::string::npos) {
        // Stop once a full response with its Content-Length body arrived.
        size_t cl = out.find("Content-Length: ");
        size_t hdrEnd = out.find("\r\n\r\n");
        if (cl != std::string::npos && cl < hdrEnd) {
          size_t len = std::stoul(out.substr(cl + 16));
          if (out.size() >= hdrEnd + 4 + len) break;
        }
      }
    }
  } catch (...) {
  }
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("POST", "/echo", [](Request& r) { return envelope(200, "len " + std::to_string(r.body.size())); });
    ServerOptions o;
    o.port = 0;
    o.threads = 4;
    o.maxBodyBytes = [] { return int64_t{1024}; };
    server_ = std::make_unique<Server>(o, router_);
    server_->start();
  }
  Router router_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, WrongMethodIs405WithReasonAndAllow) {
  std::string r = rawExchange(server_->port(), "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Allow: POST"), std::string::npos) << r;
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  std::string r = rawExchange(server_->port(), "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << r;
}

TEST_F(HttpServerTest, PostWithoutLengthHasEmptyBodyAndAnswersAtOnce) {
  auto t0 = std::chrono::steady_clock::now();
  std::string r = rawExchange(server_->port(), "POST /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("len 0"), std::string::npos) << r;
  EXPECT_LT(ms, 2500);  // generous: it must not wait for the socket timeout (30 s)
}

TEST_F(HttpServerTest, DeclaredOversizeBodyIs413WithoutReadingIt) {
  std::string r = rawExchange(server_->port(),
                              "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nabc");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
}

TEST_F(HttpServerTest, ChunkedOversizeBodyIs413) {
  std::string chunk(2000, 'a');
  char hex[16];
  snprintf(hex, sizeof hex, "%zx", chunk.size());
  std::string r = rawExchange(server_->port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                                   std::string(hex) + "\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
}

TEST_F(HttpServerTest, SecondServerOnTheSamePortFails) {
  ServerOptions o;
  o.port = server_->port();
  Server second(o, router_);
  EXPECT_ANY_THROW(second.start());
}

}  // namespace
}  // namespace dispatch::http
