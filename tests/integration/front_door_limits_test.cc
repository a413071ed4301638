// The front door's resource limits: connections cost no worker thread (idle keep-alive
// connections and slow senders cannot starve other clients), header/body/idle timeouts,
// max_connections, and a graceful shutdown that keeps every accepted event.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/integration/front_door_util.h"

namespace dispatch::test {
namespace {

using namespace front_door;

class FrontDoorLimits : public ::testing::Test {
 protected:
  void startWith(const std::string& serverYaml, const std::string& shutdownGrace = "5s") {
    DispatchOptions o;
    o.projectsYaml = hookProjects();
    o.serverExtraYaml = serverYaml;
    o.shutdownGrace = shutdownGrace;
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
  }
  int port() const { return d->port(); }

  // A new client's request answered within `boundMs` (connect to last byte).
  void expectPrompt(const std::string& request, int status, int64_t boundMs) {
    std::string why;
    int64_t ms = 0;
    auto r = exchange(port(), request, 3000, &why, &ms);
    ASSERT_TRUE(r.has_value()) << why << " after " << ms << " ms";
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_LE(ms, boundMs) << "a new client waited";
  }

  TestDatabase db;
  std::unique_ptr<DispatchProcess> d;
};

// Opens `n` keep-alive connections, each answered once, all sent before any is read (so a
// server that holds a thread per connection fails within one deadline, not n of them).
std::vector<RawConn> openAnswered(int port, int n) {
  std::vector<RawConn> conns;
  for (int i = 0; i < n; ++i) {
    conns.emplace_back(port);
    EXPECT_TRUE(conns.back().ok()) << i << ": " << conns.back().error();
    EXPECT_TRUE(conns.back().send(get())) << i;
  }
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (int i = 0; i < n; ++i) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    std::string why;
    auto r = conns[i].readResponse(std::max(left, 1), &why);
    EXPECT_TRUE(r.has_value() && r->status == 200) << "connection " << i << ": " << why;
    if (!r) break;
  }
  return conns;
}

TEST_F(FrontDoorLimits, IdleKeepAliveConnectionsCostNoThread) {
  startWith("threads: 4\n");
  std::vector<RawConn> idle = openAnswered(port(), 64);
  ASSERT_FALSE(HasFailure()) << "64 keep-alive connections were not all answered";

  expectPrompt(get(), 200, 1000);
  expectPrompt(post("/hooks/fd-in", R"({"n":1})"), 202, 1000);

  for (size_t i = 0; i < idle.size(); i += 8) {
    SCOPED_TRACE("idle connection " + std::to_string(i));
    ASSERT_TRUE(idle[i].send(get()));
    std::string why;
    auto r = idle[i].readResponse(kAnswerMs, &why);
    ASSERT_TRUE(r.has_value()) << why;
    EXPECT_EQ(r->status, 200);
  }
}

// 40 connections each trickle one header byte every 500 ms (3 of them after a first,
// complete request on the same connection): each gets a 408 envelope and is closed
// header_timeout (2s) after the first byte of its slow request, while other clients are
// served at once. Connections that never send a byte are closed as well (from accept).
TEST_F(FrontDoorLimits, SlowlorisIsTimedOutWhileOthersAreServed) {
  startWith("threads: 4\nheader_timeout: 2s\n");
  struct Slow {
    RawConn conn;
    Clock::time_point first;
    Clock::time_point closedAt;
    bool closed = false;
    bool silent = false;  // never sends a byte
    size_t sent = 0;
  };
  const std::string trickle =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(100, 's');
  std::vector<Slow> slow(40);
  for (size_t i = 12; i < slow.size(); i += 13) {  // keep-alive: the second request is slow
    slow[i].conn = RawConn(port());
    ASSERT_TRUE(slow[i].conn.ok()) << slow[i].conn.error();
    ASSERT_TRUE(slow[i].conn.send(get()));
    std::string why;
    auto r = slow[i].conn.readResponse(kAnswerMs, &why);
    ASSERT_TRUE(r.has_value() && r->status == 200) << why;
  }
  for (auto& s : slow) {
    if (!s.conn.ok()) s.conn = RawConn(port());
    ASSERT_TRUE(s.conn.ok()) << s.conn.error();
    s.first = Clock::now();
    s.conn.send(trickle.substr(0, 1));
    s.sent = 1;
  }
  for (int i = 0; i < 5; ++i) {
    Slow s;
    s.conn = RawConn(port());
    ASSERT_TRUE(s.conn.ok()) << s.conn.error();
    s.first = Clock::now();
    s.silent = true;
    slow.push_back(std::move(s));
  }
  std::thread driver([&] {
    const auto giveUp = Clock::now() + std::chrono::milliseconds(2000 + 4000);
    auto nextSend = Clock::now() + std::chrono::milliseconds(500);
    size_t open = slow.size();
    while (open > 0 && Clock::now() < giveUp) {
      const bool sendNow = Clock::now() >= nextSend;
      if (sendNow) nextSend += std::chrono::milliseconds(500);
      for (auto& s : slow) {
        if (s.closed) continue;
        if (sendNow && !s.silent && s.sent < trickle.size()) {
          s.conn.send(trickle.substr(s.sent++, 1), 100);
        }
        while (s.conn.fill(0) == RawConn::Read::kData) {
        }
        if (s.conn.peerClosed()) {
          s.closed = true;
          s.closedAt = Clock::now();
          --open;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });

  // Probes while the slow connections hold their requests open.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < 5 && !HasFailure(); ++i) {
    SCOPED_TRACE("probe " + std::to_string(i));
    expectPrompt(i % 2 == 0 ? get() : post("/hooks/fd-in", R"({"probe":true})"),
                 i % 2 == 0 ? 200 : 202, 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  driver.join();

  for (size_t i = 0; i < slow.size(); ++i) {
    SCOPED_TRACE("slow connection " + std::to_string(i));
    Slow& s = slow[i];
    ASSERT_TRUE(s.closed) << "still open " << msSince(s.first) << " ms after its first byte";
    auto lived = std::chrono::duration_cast<std::chrono::milliseconds>(s.closedAt - s.first);
    EXPECT_LE(lived.count(), 2000 + 1500);
    EXPECT_GE(lived.count(), 1500) << "closed before header_timeout";
    if (s.silent) continue;  // closed; whether with a 408 or without a word is not specified
    std::string why;
    auto r = s.conn.readResponse(0, &why);
    ASSERT_TRUE(r.has_value()) << why;
    EXPECT_EQ(r->status, 408) << r->raw;
    EXPECT_TRUE(r->hasConnectionClose()) << r->raw;
    expectFailureEnvelope(*r);
  }
}

TEST_F(FrontDoorLimits, IncompleteBodyIs408AfterBodyTimeout) {
  startWith("header_timeout: 5s\nbody_timeout: 1s\n");
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(
      conn.send("POST /hooks/fd-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                "{\"a\":\"bcd\""));
  auto t0 = Clock::now();
  std::string why;
  auto r = conn.readResponse(4000, &why);
  ASSERT_TRUE(r.has_value()) << why;
  int64_t ms = msSince(t0);
  EXPECT_GE(ms, 700) << "answered before body_timeout";
  EXPECT_LE(ms, 1000 + 1500);
  expectRefusedAndClosed(conn, *r, 408);
}

// After idle_timeout with no request in progress the server closes silently.
TEST_F(FrontDoorLimits, IdleKeepAliveConnectionIsClosedSilently) {
  startWith("idle_timeout: 1s\n");
  RawConn conn(port());
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(conn.send(get()));
  std::string why;
  auto r = conn.readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_EQ(r->status, 200);
  auto t0 = Clock::now();
  ASSERT_TRUE(conn.waitClosed(4000)) << "an idle connection stayed open";
  int64_t ms = msSince(t0);
  EXPECT_GE(ms, 700) << "closed right after the response";
  EXPECT_LE(ms, 2500);
  EXPECT_TRUE(conn.pending().empty())
      << "an idle close sends nothing: " << printable(conn.pending());
}

TEST_F(FrontDoorLimits, MaxConnectionsRefusesWith503ThenAcceptsAgain) {
  startWith("max_connections: 20\n");
  std::vector<RawConn> held = openAnswered(port(), 20);
  ASSERT_FALSE(HasFailure());

  {
    RawConn extra(port());
    ASSERT_TRUE(extra.ok()) << extra.error();
    extra.send(get());  // may fail: the server is allowed to refuse before reading
    std::string why;
    auto r = extra.readResponse(kAnswerMs, &why);
    ASSERT_TRUE(r.has_value()) << "the 21st connection: " << why;
    expectRefusedAndClosed(extra, *r, 503);
  }

  // The held connections are still served.
  ASSERT_TRUE(held[0].send(get()));
  std::string why;
  auto r = held[0].readResponse(kAnswerMs, &why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_EQ(r->status, 200);

  for (int i = 0; i < 5; ++i) held.pop_back();
  int lastStatus = 0;
  EXPECT_TRUE(eventually(
      [&] {
        auto again = exchange(port(), get(), 2000);
        lastStatus = again ? again->status : -1;
        return lastStatus == 200;
      },
      5000))
      << "after closing 5, a new connection got " << lastStatus;
}

// SIGTERM with 50 idle keep-alive connections and 8 clients posting events: the process
// exits 0 within shutdown_grace + 2s, every event answered 202 is stored, no response is cut
// short, and the idle connections are closed without a byte.
TEST_F(FrontDoorLimits, GracefulShutdownKeepsEveryAcceptedEvent) {
  startWith("threads: 8\n", "5s");
  std::vector<RawConn> idle = openAnswered(port(), 50);
  ASSERT_FALSE(HasFailure());

  std::mutex mu;
  std::vector<std::string> acceptedIds;
  std::atomic<int> accepted{0};
  std::atomic<int> truncated{0};
  std::atomic<bool> stop{false};
  std::vector<std::string> oddities;
  std::vector<std::thread> clients;
  const int p = port();
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      RawConn conn;
      for (int n = 0; !stop; ++n) {
        if (!conn.ok()) {
          conn = RawConn(p);
          if (!conn.ok()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
          }
        }
        std::string body =
            R"({"client":)" + std::to_string(t) + R"(,"n":)" + std::to_string(n) + "}";
        if (!conn.send(post("/hooks/fd-in", body), 2000)) {
          conn.close();
          continue;
        }
        std::string why;
        auto r = conn.readResponse(kAnswerMs, &why);
        if (!r) {
          // Closed before a response started: the request was not taken. Anything else
          // (part of a response, or no answer at all) is a shutdown that was not graceful.
          if (!conn.peerClosed() || !conn.pending().empty()) {
            ++truncated;
            std::lock_guard<std::mutex> g(mu);
            oddities.push_back(why);
          }
          conn.close();
          continue;
        }
        if (r->status == 202) {
          std::string id = eventIdOf(*r);
          std::lock_guard<std::mutex> g(mu);
          if (id.empty()) {
            oddities.push_back("202 without event_id: " + r->body);
          } else {
            acceptedIds.push_back(id);
            ++accepted;
          }
        }
        if (r->hasConnectionClose()) conn.close();
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return accepted >= 40; }, 15000)) << accepted;

  auto t0 = Clock::now();
  d->kill(SIGTERM);
  int code = d->wait(5000 + 2000);
  int64_t exitMs = msSince(t0);
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(code, 0) << "exit after " << exitMs << " ms\n" << d->log();

  for (size_t i = 0; i < idle.size(); ++i) {
    EXPECT_TRUE(idle[i].waitClosed(1000)) << "idle connection " << i;
    EXPECT_TRUE(idle[i].pending().empty()) << i << ": " << printable(idle[i].pending());
  }
  EXPECT_EQ(truncated.load(), 0) << "responses cut short or never sent";
  EXPECT_TRUE(oddities.empty()) << oddities.size() << " oddities, e.g. "
                                << (oddities.empty() ? "" : oddities.front());

  ASSERT_FALSE(acceptedIds.empty());
  std::string list;
  for (const auto& id : acceptedIds) list += (list.empty() ? "'" : ",'") + id + "'";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events WHERE id IN (" + list + ")"),
            std::to_string(acceptedIds.size()))
      << "some events answered 202 are not stored";
}

}  // namespace
}  // namespace dispatch::test
