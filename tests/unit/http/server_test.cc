// The HTTP server on loopback: routing statuses, body limits, framing, exclusive bind.
#include "core/http/server.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
    router_.add("POST", "/echo",
                [](Request& r) { return envelope(200, "len " + std::to_string(r.body.size())); });
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
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("len 0"), std::string::npos) << r;
  EXPECT_LT(ms, 2500);  // generous: it must not wait for the socket timeout (30 s)
}

TEST_F(HttpServerTest, DeclaredOversizeBodyIs413WithoutReadingIt) {
  std::string r = rawExchange(
      server_->port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nabc");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
}

TEST_F(HttpServerTest, ChunkedOversizeBodyIs413) {
  std::string chunk(2000, 'a');
  char hex[16];
  snprintf(hex, sizeof hex, "%zx", chunk.size());
  std::string r = rawExchange(
      server_->port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                           std::string(hex) + "\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
}

// A connection that stays open; reads one response at a time.
class Client {
 public:
  explicit Client(int port)
      : s_(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port))) {
    s_.setReceiveTimeout(Poco::Timespan(5, 0));
  }
  void send(const std::string& bytes) {
    s_.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  }
  // One whole response (status line to the end of its Content-Length body); "" on EOF/timeout.
  std::string response() {
    while (true) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t cl = buf_.find("Content-Length: ");
        size_t len = cl != std::string::npos && cl < end ? std::stoul(buf_.substr(cl + 16)) : 0;
        if (buf_.size() >= end + 4 + len) {
          std::string r = buf_.substr(0, end + 4 + len);
          buf_.erase(0, end + 4 + len);
          return r;
        }
      }
      if (!fill()) return "";
    }
  }
  // True when the server closed the connection (read returns 0) within the timeout.
  bool closed() {
    while (true) {
      try {
        if (!fill()) return eof_;
      } catch (...) {
        return false;
      }
    }
  }

 private:
  bool fill() {
    char b[4096];
    int n = 0;
    try {
      n = s_.receiveBytes(b, sizeof b);
    } catch (const Poco::TimeoutException&) {
      return false;
    }
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(b, static_cast<size_t>(n));
    return true;
  }
  Poco::Net::StreamSocket s_;
  std::string buf_;
  bool eof_ = false;
};

// An async route whose replies the test releases by hand, and a sync one, on one worker.
class AsyncServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.addAsync("POST", "/held", [this](Request&, Reply reply) {
      std::lock_guard<std::mutex> g(mu_);
      held_.push_back(std::move(reply));
      cv_.notify_all();
    });
    router_.add("GET", "/fast", [](Request&) { return envelope(200, "fast"); });
    ServerOptions o;
    o.port = 0;
    o.threads = 1;
    server_ = std::make_unique<Server>(o, router_);
    server_->start();
  }
  bool waitHeld(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return held_.size() >= n; });
  }
  void release(size_t i, const std::string& msg) {
    Reply r;
    {
      std::lock_guard<std::mutex> g(mu_);
      r = std::move(held_.at(i));
    }
    r(envelope(202, msg));
  }
  Router router_;
  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Reply> held_;
};

TEST_F(AsyncServerTest, RequestWaitingForItsReplyHoldsNoWorker) {
  // One worker: if a held request kept it, /fast could never be answered.
  Client a(server_->port());
  a.send("POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(waitHeld(1));
  Client b(server_->port());
  b.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(b.response().rfind("HTTP/1.1 200", 0), 0u);
  release(0, "held done");
  std::string r = a.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 202", 0), 0u) << r;
  EXPECT_NE(r.find("held done"), std::string::npos) << r;
}

TEST_F(AsyncServerTest, PipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstWaits) {
  Client a(server_->port());
  a.send(
      "POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
      "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(waitHeld(1));
  release(0, "first");
  std::string r1 = a.response();
  std::string r2 = a.response();
  EXPECT_NE(r1.find("first"), std::string::npos) << r1;
  EXPECT_NE(r2.find("fast"), std::string::npos) << r2;
}

TEST_F(AsyncServerTest, StopAnswersRequestsInFlightAndClosesIdleConnections) {
  Client idle(server_->port());
  idle.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(idle.response().rfind("HTTP/1.1 200", 0), 0u);
  Client busy(server_->port());
  busy.send("POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(waitHeld(1));
  std::thread stopper([this] { server_->stop(5000); });
  EXPECT_TRUE(idle.closed());  // at once, while the held request still runs
  release(0, "finished");
  std::string r = busy.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 202", 0), 0u) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  stopper.join();
}

TEST_F(AsyncServerTest, ReplyAfterStopIsDropped) {
  Client a(server_->port());
  a.send("POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(waitHeld(1));
  server_->stop(0);
  EXPECT_TRUE(a.closed());
  release(0, "too late");  // must neither crash nor write anywhere
  server_.reset();
}

TEST(HttpServerLimits, ConnectionsPastTheLimitAre503AndClosed) {
  Router router;
  router.add("GET", "/fast", [](Request&) { return envelope(200, "fast"); });
  ServerOptions o;
  o.port = 0;
  o.maxConnections = 2;
  Server server(o, router);
  server.start();
  Client a(server.port()), b(server.port());
  a.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  b.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(a.response().rfind("HTTP/1.1 200", 0), 0u);
  ASSERT_EQ(b.response().rfind("HTTP/1.1 200", 0), 0u);
  Client c(server.port());
  std::string r = c.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 503", 0), 0u) << r;
  EXPECT_NE(r.find("Too many connections"), std::string::npos) << r;
  EXPECT_TRUE(c.closed());
}

TEST(HttpServerLimits, IdleAndSlowConnectionsAreClosedAtTheirDeadlines) {
  Router router;
  router.add("GET", "/fast", [](Request&) { return envelope(200, "fast"); });
  ServerOptions o;
  o.port = 0;
  o.idleTimeoutMs = 300;
  o.headerTimeoutMs = 300;
  Server server(o, router);
  server.start();
  Client idle(server.port());
  idle.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(idle.response().rfind("HTTP/1.1 200", 0), 0u);
  Client slow(server.port());
  slow.send("GET /fast HTTP/1.1\r\nHo");
  std::string r = slow.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 408", 0), 0u) << r;
  EXPECT_TRUE(slow.closed());
  EXPECT_TRUE(idle.closed());
}

TEST_F(HttpServerTest, ManyPipelinedRequestsAnsweredOnTheLoopNeitherRecurseNorStarveOthers) {
  // A malformed path is answered by the loop itself; 20,000 of them in one stream once
  // nested a call per request (a stack overflow) and held the loop for the whole stream.
  constexpr int kN = 20'000;
  std::string one = "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string all;
  for (int i = 0; i < kN; ++i) all += one;
  Poco::Net::StreamSocket s(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server_->port())));
  s.setReceiveTimeout(Poco::Timespan(10, 0));
  std::thread sender([&] { s.sendBytes(all.data(), static_cast<int>(all.size())); });
  Client other(server_->port());
  other.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_NE(other.response().find("len 2"), std::string::npos);
  int answered = 0;
  std::string carry;
  char buf[65536];
  while (answered < kN) {
    int n = 0;
    try {
      n = s.receiveBytes(buf, sizeof buf);
    } catch (...) {
      break;
    }
    if (n <= 0) break;
    carry.append(buf, static_cast<size_t>(n));
    size_t pos = 0, hit;
    while ((hit = carry.find("HTTP/1.1 400 ", pos)) != std::string::npos) {
      ++answered;
      pos = hit + 1;
    }
    // Keep a status line split across reads, never one already counted.
    carry.erase(0, std::max(pos, carry.size() > 16 ? carry.size() - 16 : size_t{0}));
  }
  sender.join();
  EXPECT_EQ(answered, kN);
}

TEST(HttpServerLimits, AWaveOfTimeoutsLargerThanOneSweepIsAllAnswered) {
  // More connections expire together than one sweep ends (128): the rest follow in the next
  // short sweeps, and every one of them still gets its 408.
  Router router;
  ServerOptions o;
  o.port = 0;
  o.headerTimeoutMs = 300;
  Server server(o, router);
  server.start();
  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < 300; ++i) {
    slow.push_back(std::make_unique<Client>(server.port()));
    slow.back()->send("GET / HTTP/1.1\r\nHo");
  }
  auto t0 = std::chrono::steady_clock::now();
  int timedOut = 0;
  for (auto& c : slow) timedOut += c->response().rfind("HTTP/1.1 408", 0) == 0;
  EXPECT_EQ(timedOut, 300);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
}

TEST_F(HttpServerTest, SecondServerOnTheSamePortFails) {
  ServerOptions o;
  o.port = server_->port();
  Server second(o, router_);
  EXPECT_ANY_THROW(second.start());
}

}  // namespace
}  // namespace dispatch::http
