// HttpClient against a real in-process HTTP server on 127.0.0.1 (loopback only).
#include "core/net/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "tests/unit/net/test_server.h"

namespace dispatch::net {
namespace {

using nettest::TestServer;
using Error = HttpResponse::Error;

ClientOptions loopbackOptions() {
  ClientOptions o;
  o.policy.allowHttp = true;
  o.policy.allowPrivateNetworks = true;
  return o;
}

HttpRequest post(const std::string& url, std::string body = "{}") {
  HttpRequest r;
  r.url = url;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"}};
  r.timeoutMs = 5000;
  return r;
}

class HttpClientTest : public ::testing::Test {
 protected:
  TestServer server_{TestServer::loopbackSocket()};
  HttpClient client_{loopbackOptions()};
};

TEST_F(HttpClientTest, PostsBodyAndHeaders) {
  HttpRequest req = post(server_.url("/hook?x=1"), R"({"a":1})");
  req.headers.emplace_back("X-Dispatch-Attempt", "1");
  req.headers.emplace_back("Host", "evil.example");  // the client owns Host
  HttpResponse resp = client_.send(req);

  ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "ok");
  EXPECT_FALSE(resp.truncated);
  EXPECT_FALSE(resp.retryAfter.has_value());
  EXPECT_TRUE(resp.errorText.empty());
  EXPECT_GE(resp.durationMs, 0);

  nettest::RecordedRequest got = server_.state().last();
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.uri, "/hook?x=1");
  EXPECT_EQ(got.body, R"({"a":1})");
  EXPECT_EQ(got.headers["Content-Type"], "application/json");
  EXPECT_EQ(got.headers["X-Dispatch-Attempt"], "1");
  EXPECT_EQ(got.headers["Content-Length"], "7");
  EXPECT_EQ(got.host, "127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(HttpClientTest, HostHeaderIsTheUrlHostName) {
  HttpResponse resp = client_.send(post(server_.url("/echo", "localhost")));
  ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
  EXPECT_EQ(server_.state().last().host, "localhost:" + std::to_string(server_.port()));
}

TEST_F(HttpClientTest, ReusesOneConnectionForSequentialRequests) {
  for (int i = 0; i < 5; ++i) {
    HttpResponse resp = client_.send(post(server_.url("/echo", "localhost")));
    ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
    ASSERT_EQ(resp.status, 200);
  }
  EXPECT_EQ(server_.state().requestCount(), 5u);
  EXPECT_EQ(server_.state().connectionCount(), 1u);
}

TEST_F(HttpClientTest, ConnectionCloseIsNotReused) {
  ASSERT_EQ(client_.send(post(server_.url("/close"))).status, 200);
  ASSERT_EQ(client_.send(post(server_.url("/echo"))).status, 200);
  EXPECT_EQ(server_.state().connectionCount(), 2u);
}

TEST_F(HttpClientTest, GetSendsNoBody) {
  HttpRequest req;
  req.method = "GET";
  req.url = server_.url("/echo");
  HttpResponse resp = client_.send(req);
  ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
  EXPECT_EQ(server_.state().last().method, "GET");
  EXPECT_EQ(server_.state().last().headers.count("Content-Length"), 0u);
}

TEST_F(HttpClientTest, HeadAnswersKeepTheConnection) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = server_.url("/echo");
  for (int i = 0; i < 2; ++i) {
    HttpResponse resp = client_.send(req);
    ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
    EXPECT_EQ(resp.status, 200);
    EXPECT_TRUE(resp.body.empty());
  }
  EXPECT_EQ(server_.state().connectionCount(), 1u);
}

TEST_F(HttpClientTest, DoesNotFollowRedirects) {
  HttpResponse resp = client_.send(post(server_.url("/redirect")));
  ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
  EXPECT_EQ(resp.status, 302);
  EXPECT_EQ(resp.body, "moved");
  EXPECT_EQ(server_.state().requestCount(), 1u);
}

TEST_F(HttpClientTest, CapturesRetryAfter) {
  HttpResponse resp = client_.send(post(server_.url("/retry")));
  ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
  EXPECT_EQ(resp.status, 429);
  ASSERT_TRUE(resp.retryAfter.has_value());
  EXPECT_EQ(*resp.retryAfter, "7");
}

TEST_F(HttpClientTest, TimesOutWithinTheDeadline) {
  HttpRequest req = post(server_.url("/slow"));
  req.timeoutMs = 300;
  const auto start = std::chrono::steady_clock::now();
  HttpResponse resp = client_.send(req);
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(resp.error, Error::kTimeout);
  EXPECT_EQ(resp.errorText, "timeout after 300ms");
  EXPECT_EQ(resp.status, 0);
  EXPECT_LT(elapsed, std::chrono::milliseconds(1000));
  EXPECT_GE(resp.durationMs, 290);

  // The timed-out session was dropped; the next request gets a fresh connection.
  HttpResponse next = client_.send(post(server_.url("/echo")));
  ASSERT_EQ(next.error, Error::kNone) << next.errorText;
  EXPECT_EQ(server_.state().connectionCount(), 2u);
}

TEST_F(HttpClientTest, DeadlineCoversASlowlyDrippingBody) {
  HttpRequest req = post(server_.url("/drip"));
  req.timeoutMs = 300;
  const auto start = std::chrono::steady_clock::now();
  HttpResponse resp = client_.send(req);
  EXPECT_EQ(resp.error, Error::kTimeout);
  EXPECT_EQ(resp.errorText, "timeout after 300ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

TEST_F(HttpClientTest, TruncatesTheBodyAndKeepsTheConnection) {
  for (const char* path : {"/big", "/big-chunked"}) {
    HttpRequest req = post(server_.url(path));
    req.maxResponseBytes = 1000;
    HttpResponse resp = client_.send(req);
    ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.body, std::string(1000, 'x')) << path;
    EXPECT_TRUE(resp.truncated) << path;
  }
  HttpResponse full = client_.send(post(server_.url("/big")));
  EXPECT_EQ(full.body.size(), 65536u);  // the default cap
  EXPECT_TRUE(full.truncated);
  // The rest of each body was drained, so keep-alive held across all three.
  EXPECT_EQ(server_.state().connectionCount(), 1u);
}

TEST_F(HttpClientTest, BlockedByPolicyMakesNoConnection) {
  ClientOptions strict;
  strict.policy.allowHttp = true;
  strict.policy.allowPrivateNetworks = false;
  HttpClient client(strict);
  for (const std::string& url :
       {server_.url("/echo"), server_.url("/echo", "localhost"), server_.url("/echo", "0x7f.1"),
        server_.url("/echo", "[::ffff:127.0.0.1]")}) {
    HttpResponse resp = client.send(post(url));
    EXPECT_EQ(resp.error, Error::kBlocked) << url;
    EXPECT_EQ(resp.errorText, "destination address is not allowed: private or reserved network");
    EXPECT_EQ(resp.status, 0);
  }
  EXPECT_EQ(server_.state().requestCount(), 0u);
}

TEST_F(HttpClientTest, HttpRefusedWhenOnlyHttpsAllowed) {
  ClientOptions httpsOnly = loopbackOptions();
  httpsOnly.policy.allowHttp = false;
  HttpClient client(httpsOnly);
  HttpResponse resp = client.send(post(server_.url("/echo")));
  EXPECT_EQ(resp.error, Error::kBlocked);
  EXPECT_EQ(resp.errorText, "http URLs are not allowed (delivery.allow_http is false)");
  EXPECT_EQ(server_.state().requestCount(), 0u);
}

TEST_F(HttpClientTest, RejectsInvalidUrlsAndHeaders) {
  HttpResponse resp = client_.send(post("not a url"));
  EXPECT_EQ(resp.error, Error::kInvalidUrl);
  EXPECT_FALSE(resp.errorText.empty());

  HttpRequest injected = post(server_.url("/echo"));
  injected.headers.emplace_back("X-Evil", "a\r\nX-Injected: 1");
  resp = client_.send(injected);
  EXPECT_EQ(resp.error, Error::kInvalidUrl);
  EXPECT_EQ(resp.errorText, "invalid request header");

  HttpRequest badName = post(server_.url("/echo"));
  badName.headers.emplace_back("Bad Name", "x");
  EXPECT_EQ(client_.send(badName).error, Error::kInvalidUrl);
  EXPECT_EQ(server_.state().requestCount(), 0u);
}

TEST_F(HttpClientTest, ConcurrentSendersShareThePool) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        HttpResponse resp = client_.send(post(server_.url("/echo", "localhost")));
        if (resp.error == Error::kNone && resp.status == 200) ok++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_LE(server_.state().connectionCount(), static_cast<size_t>(kThreads));
}

TEST(HttpClientStandaloneTest, ConnectionRefusedOnAClosedPort) {
  uint16_t port = 0;
  {
    Poco::Net::ServerSocket probe = TestServer::loopbackSocket();
    port = probe.address().port();
    probe.close();
  }
  HttpClient client(loopbackOptions());
  HttpResponse resp = client.send(post("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(resp.error, Error::kNetwork);
  EXPECT_EQ(resp.errorText, "connection refused");
  EXPECT_EQ(resp.status, 0);
}

TEST(HttpClientStandaloneTest, DropsSessionsTheServerClosedWhileIdle) {
  TestServer server(TestServer::loopbackSocket(), Poco::Timespan(0, 100'000));
  HttpClient client(loopbackOptions());
  ASSERT_EQ(client.send(post(server.url("/echo"))).status, 200);
  // Outlive the server's 100 ms keep-alive timeout so it closes the idle connection.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  HttpResponse resp = client.send(post(server.url("/echo")));
  ASSERT_EQ(resp.error, Error::kNone) << resp.errorText;
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(server.state().requestCount(), 2u);
  EXPECT_EQ(server.state().connectionCount(), 2u);
}

// Reads one request (headers plus a Content-Length body) from a raw connection.
bool readRawRequest(Poco::Net::StreamSocket& socket) {
  std::string data;
  char buf[4096];
  size_t headerEnd = std::string::npos;
  while (headerEnd == std::string::npos) {
    int n = socket.receiveBytes(buf, sizeof(buf));
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
    headerEnd = data.find("\r\n\r\n");
  }
  size_t length = 0;
  size_t pos = data.find("Content-Length: ");
  if (pos != std::string::npos) length = std::stoul(data.substr(pos + 16));
  while (data.size() < headerEnd + 4 + length) {
    int n = socket.receiveBytes(buf, sizeof(buf));
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
  }
  return true;
}

TEST(HttpClientStandaloneTest, RetriesOnAFreshConnectionWhenAReusedOneWasClosed) {
  Poco::Net::ServerSocket listener = TestServer::loopbackSocket();
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::atomic<int> requests{0};
  std::atomic<int> connections{0};
  std::thread raw([&] {
    auto accept = [&]() -> std::optional<Poco::Net::StreamSocket> {
      if (!listener.poll(Poco::Timespan(5, 0), Poco::Net::Socket::SELECT_READ)) return {};
      Poco::Net::StreamSocket s = listener.acceptConnection();
      s.setReceiveTimeout(Poco::Timespan(5, 0));
      connections++;
      return s;
    };
    // First connection: answer one request, then take the next and hang up without a word,
    // as a server does when its idle timeout races a new request.
    auto first = accept();
    if (!first || !readRawRequest(*first)) return;
    requests++;
    first->sendBytes(ok.data(), static_cast<int>(ok.size()));
    if (!readRawRequest(*first)) return;
    requests++;
    first->close();
    auto second = accept();
    if (!second || !readRawRequest(*second)) return;
    requests++;
    second->sendBytes(ok.data(), static_cast<int>(ok.size()));
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(listener.address().port()) + "/";
  HttpClient client(loopbackOptions());
  HttpResponse a = client.send(post(url));
  HttpResponse b = client.send(post(url));
  raw.join();
  ASSERT_EQ(a.error, Error::kNone) << a.errorText;
  ASSERT_EQ(b.error, Error::kNone) << b.errorText;
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, "ok");
  EXPECT_EQ(requests.load(), 3);
  EXPECT_EQ(connections.load(), 2);
}

TEST(HttpClientStandaloneTest, IdleTimeoutClosesPooledSessions) {
  TestServer server(TestServer::loopbackSocket());
  ClientOptions options = loopbackOptions();
  options.idleTimeoutMs = 50;
  HttpClient client(options);
  ASSERT_EQ(client.send(post(server.url("/echo"))).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_EQ(client.send(post(server.url("/echo"))).status, 200);
  EXPECT_EQ(server.state().connectionCount(), 2u);
}

TEST(HttpClientStandaloneTest, PoolingCanBeDisabled) {
  TestServer server(TestServer::loopbackSocket());
  ClientOptions options = loopbackOptions();
  options.maxIdlePerHost = 0;
  HttpClient client(options);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client.send(post(server.url("/echo"))).status, 200);
  EXPECT_EQ(server.state().connectionCount(), 3u);
}

}  // namespace
}  // namespace dispatch::net
