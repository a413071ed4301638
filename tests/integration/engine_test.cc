// The delivery engine end to end: crash recovery (leases), several nodes on one store,
// graceful shutdown, HTTPS with a private CA, the network policy at attempt time, timeouts,
// network errors, response truncation, firing precision and work created by the CLI.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

using Headers = std::map<std::string, std::string>;

// A temporary directory removed with the object.
struct TempDir {
  std::string path = makeTempDir();
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Declared after the Receiver that waits on the gate: opens it before the receiver's
// destructor joins its handler threads.
struct OpenOnExit {
  std::shared_ptr<Gate> gate;
  ~OpenOnExit() { gate->open(); }
};

std::string deliveryYaml(const std::string& extra = "", bool allowPrivate = true,
                         const std::string& timeout = "2s") {
  return std::string("{ allow_http: true, allow_private_networks: ") +
         (allowPrivate ? "true" : "false") + ", timeout: " + timeout + ", workers: 16" +
         (extra.empty() ? "" : ", " + extra) + " }";
}

std::string jobJson(const std::string& url, const std::string& fireAtIso,
                    const std::string& title = "engine") {
  return R"({"title":")" + title + R"(","webhookUrl":")" + url + R"(","fireAt":")" + fireAtIso +
         R"(","payload":{"k":1}})";
}

// Creates a job; returns its id ("" on failure, with the response in `why`).
std::string createJob(const DispatchProcess& d, const std::string& key, const std::string& url,
                      const std::string& fireAtIso, std::string* why = nullptr,
                      const std::string& title = "engine") {
  auto r = d.call("POST", "/api/v1/jobs", jobJson(url, fireAtIso, title), {{"x-api-key", key}});
  if (r.status != 201 || !r.data()) {
    if (why) *why = std::to_string(r.status) + " " + r.body;
    return "";
  }
  return r.data()->find("id")->asString();
}

ApiResponse getJob(const DispatchProcess& d, const std::string& key, const std::string& id) {
  return d.call("GET", "/api/v1/jobs/" + id, "", {{"x-api-key", key}});
}

std::string jobStatus(const DispatchProcess& d, const std::string& key, const std::string& id) {
  auto g = getJob(d, key, id);
  if (!g.data() || !g.data()->find("status")) return "";
  return g.data()->find("status")->asString();
}

// Straight from the store, for when no server is running.
std::string storeStatus(const TestDatabase& db, const std::string& id) {
  return db.scalar("SELECT status FROM deliveries WHERE id = '" + id + "'");
}

std::string storeCount(const TestDatabase& db, const std::string& sql) { return db.scalar(sql); }

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int closedPort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  int port = s.address().port();
  s.close();
  return port;
}

int64_t msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

int64_t percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Lines of the server log that record a finished attempt.
int attemptLogLines(const DispatchProcess& d) {
  std::istringstream in(d.log());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.find("\"msg\":\"attempt\"") != std::string::npos) ++n;
  }
  return n;
}

class EngineFixture : public ::testing::Test {
 protected:
  TestDatabase db;
};

// ============================================================================ Crash
using CrashTest = EngineFixture;

TEST_F(CrashTest, KilledMidAttemptIsDeliveredAgainByRestartedNode) {
  Receiver recv([](int n, const ReceivedRequest&) {
    return ScriptedResponse{200, "ok", {}, n == 0 ? 1500 : 0};
  });
  DispatchOptions o;
  o.deliveryYaml = deliveryYaml("lease: 1s");
  auto first = std::make_unique<DispatchProcess>(db, o);
  ASSERT_TRUE(first->start()) << first->log();
  std::string key = first->createKey("alpha");
  std::string why;
  std::string id = createJob(*first, key, recv.url(), isoIn(300), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(recv.waitFor(1, 5000));
  EXPECT_EQ(storeStatus(db, id), "FIRING");
  first->kill(SIGKILL);
  EXPECT_EQ(first->wait(5000), 128 + SIGKILL);

  DispatchProcess second(db, o);
  ASSERT_TRUE(second.start()) << second.log();
  ASSERT_TRUE(recv.waitFor(2, 8000)) << "the lease of the dead node was never re-claimed\n"
                                     << second.log();
  ASSERT_TRUE(eventually([&] { return jobStatus(second, key, id) == "SUCCESS"; }, 5000))
      << jobStatus(second, key, id);
  auto reqs = recv.requests();
  for (const auto& r : reqs) {
    EXPECT_EQ(r.header("webhook-id"), id);
    EXPECT_EQ(r.header("x-dispatch-attempt"), "1");  // the lost attempt was never recorded
  }
  auto g = getJob(second, key, id);
  EXPECT_EQ(g.data()->find("retryCount")->asInt(), 0);
  const auto& logs = g.data()->find("logs")->items();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].find("status")->asString(), "SUCCESS");
  EXPECT_EQ(logs[0].find("responseCode")->asInt(), 200);
}

TEST_F(CrashTest, JobsDueWhileServerIsDownFireOnStart) {
  Receiver recv;
  DispatchOptions o;
  o.deliveryYaml = deliveryYaml("lease: 1s");
  auto first = std::make_unique<DispatchProcess>(db, o);
  ASSERT_TRUE(first->start()) << first->log();
  std::string key = first->createKey("alpha");
  std::string why;
  // Created through the API, due after the node has died.
  const TimeMs apiFireAt = nowMs() + 900;
  std::string viaApi = createJob(*first, key, recv.url(), formatIsoUtc(apiFireAt), &why, "via-api");
  ASSERT_FALSE(viaApi.empty()) << why;
  first->kill(SIGKILL);
  EXPECT_EQ(first->wait(5000), 128 + SIGKILL);

  // Created through the CLI while no server runs at all (its start, config and migration
  // check must fit before fireAt: under ASan on a loaded machine 300 ms did not).
  TimeMs cliFireAt = nowMs() + 1500;
  auto cli =
      runCli({"jobs", "schedule", "--config", first->configPath(), "--project", "alpha", "--url",
              recv.url("/cli"), "--at", formatIsoUtc(cliFireAt), "--title", "via-cli"},
             {{"DATABASE_URL", db.url()}});
  ASSERT_EQ(cli.exitCode, 0) << cli.out;

  // Let both become overdue with nobody running.
  while (nowMs() < std::max(apiFireAt, cliFireAt) + 100) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(recv.count(), 0u);
  EXPECT_EQ(storeCount(db, "SELECT count(*) FROM deliveries WHERE status = 'SCHEDULED'"), "2");

  DispatchProcess second(db, o);
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(second.start()) << second.log();
  ASSERT_TRUE(recv.waitFor(2, 5000)) << second.log();
  std::printf("[ info ] overdue jobs delivered %lld ms after the restart began\n",
              static_cast<long long>(msSince(started)));
  auto reqs = recv.requests();
  std::set<std::string> paths;
  for (const auto& r : reqs) paths.insert(r.path);
  EXPECT_EQ(paths, (std::set<std::string>{"/hook", "/cli"}));
  ASSERT_TRUE(eventually(
      [&] {
        return storeCount(db,
                          "SELECT count(*) FROM deliveries WHERE status = 'SUCCESS' "
                          "AND attempts = 1") == "2";
      },
      5000));
  EXPECT_EQ(jobStatus(second, key, viaApi), "SUCCESS");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(recv.count(), 2u);
}

// ============================================================================ MultiNode
using MultiNodeTest = EngineFixture;

TEST_F(MultiNodeTest, TwoNodesDeliverEveryJobExactlyOnce) {
  constexpr int kJobs = 200;
  Receiver recv;
  DispatchProcess a(db), b(db);
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  std::string key = a.createKey("alpha");  // keys live in the shared store: valid on b too

  // Due within ~1 s of each other, created alternately through both nodes, in parallel so
  // creation finishes well before the first one is due.
  const TimeMs base = nowMs() + 2500;
  std::vector<std::string> ids(kJobs), errors(kJobs);
  std::vector<std::thread> creators;
  constexpr int kThreads = 4;
  for (int t = 0; t < kThreads; ++t) {
    creators.emplace_back([&, t] {
      for (int i = t; i < kJobs; i += kThreads) {
        const DispatchProcess& node = i % 2 == 0 ? a : b;
        ids[i] = createJob(node, key, recv.url(), formatIsoUtc(base + i * 5), &errors[i],
                           "multi-" + std::to_string(i));
      }
    });
  }
  for (auto& c : creators) c.join();
  ASSERT_LT(nowMs(), base) << "creating the jobs took too long for the test's premise";
  for (int i = 0; i < kJobs; ++i) ASSERT_FALSE(ids[i].empty()) << i << ": " << errors[i];

  ASSERT_TRUE(recv.waitFor(kJobs, 20000)) << recv.count() << " of " << kJobs;
  ASSERT_TRUE(eventually(
      [&] {
        return storeCount(db, "SELECT count(*) FROM deliveries WHERE status = 'SUCCESS'") ==
               std::to_string(kJobs);
      },
      10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // any late duplicate

  std::map<std::string, int> byId;
  for (const auto& r : recv.requests()) ++byId[r.header("webhook-id")];
  EXPECT_EQ(recv.count(), static_cast<size_t>(kJobs));
  EXPECT_EQ(byId.size(), static_cast<size_t>(kJobs));
  for (const auto& id : ids) {
    EXPECT_EQ(byId[id], 1) << "job " << id << " delivered " << byId[id] << " times";
  }
  for (int i = 0; i < kJobs; ++i) {
    const std::string& id = ids[i];
    auto g = getJob(i % 2 == 0 ? b : a, key, id);  // read through the other node
    ASSERT_TRUE(g.data()) << g.body;
    EXPECT_EQ(g.data()->find("status")->asString(), "SUCCESS") << id;
    EXPECT_EQ(g.data()->find("retryCount")->asInt(), 0) << id;
    EXPECT_EQ(g.data()->find("logs")->items().size(), 1u) << id;
  }
  EXPECT_EQ(storeCount(db, "SELECT count(*) FROM attempts"), std::to_string(kJobs));
  int fromA = attemptLogLines(a), fromB = attemptLogLines(b);
  std::printf("[ info ] attempts made by node a: %d, node b: %d\n", fromA, fromB);
  EXPECT_EQ(fromA + fromB, kJobs);
}

TEST_F(MultiNodeTest, LiveSlowAttemptIsNotTakenOverWhenLeaseIsShort) {
  // An attempt that outlasts its lease several times over, on a node that is alive: its
  // lease is renewed, so neither this node nor the other one fires the job a second time.
  Receiver recv([](int n, const ReceivedRequest&) {
    return ScriptedResponse{200, "ok", {}, n == 0 ? 2800 : 0};
  });
  DispatchOptions o;
  o.deliveryYaml = deliveryYaml("lease: 800ms", true, "5s");
  o.jobsTimeout = "5s";
  DispatchProcess a(db, o), b(db, o);
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  std::string key = a.createKey("alpha");
  std::string why;
  std::string id = createJob(a, key, recv.url(), isoIn(200), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(recv.waitFor(1, 5000));
  ASSERT_TRUE(eventually([&] { return jobStatus(a, key, id) == "SUCCESS"; }, 6000))
      << a.log() << b.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(recv.count(), 1u) << "a live attempt was taken over\n" << a.log() << b.log();
  auto g = getJob(b, key, id);
  EXPECT_EQ(g.data()->find("retryCount")->asInt(), 0);
  EXPECT_EQ(g.data()->find("logs")->items().size(), 1u);
  EXPECT_EQ(a.log().find("lease lost"), std::string::npos);
  EXPECT_EQ(b.log().find("lease lost"), std::string::npos);
}

TEST_F(MultiNodeTest, QueuedWorkWhoseLeaseWasTakenOverIsLeftToTheNewHolder) {
  // A node's only worker is busy; a second job waits in its queue, leased. Its lease is taken
  // over meanwhile (as by another node once a lease runs out). The heartbeat finds it was not
  // renewed, so the node drops it instead of attempting it when the worker frees up: it is
  // attempted once, after the new holder's lease runs out, not twice.
  auto gate = std::make_shared<Gate>();
  Receiver recv([gate](int n, const ReceivedRequest&) {
    if (n == 0) gate->wait(20'000);
    return ScriptedResponse{};
  });
  OpenOnExit opener{gate};
  DispatchOptions o;
  o.deliveryYaml = "{ allow_http: true, allow_private_networks: true, timeout: 10s, workers: 1 }";
  o.jobsTimeout = "10s";
  DispatchProcess a(db, o);
  ASSERT_TRUE(a.start()) << a.log();
  std::string key = a.createKey("alpha");
  std::string why;
  std::string first = createJob(a, key, recv.url(), isoIn(200), &why);
  ASSERT_FALSE(first.empty()) << why;
  ASSERT_TRUE(recv.waitFor(1, 5000));
  std::string second = createJob(a, key, recv.url(), isoIn(200), &why);
  ASSERT_FALSE(second.empty()) << why;
  ASSERT_TRUE(eventually([&] { return storeStatus(db, second) == "FIRING"; }, 5000));

  db.exec(
      "UPDATE deliveries SET lease_seq = lease_seq + 1, lease_until = now() + "
      "interval '4 seconds' WHERE id = '" +
      second + "'");
  const TimeMs takenUntil = std::stoll(
      db.scalar("SELECT ts_to_ms(lease_until) FROM deliveries WHERE id = '" + second + "'"));
  ASSERT_TRUE(eventually(
      [&] { return a.log().find("leases lost before the attempt") != std::string::npos; }, 3000))
      << a.log();
  ASSERT_LT(nowMs(), takenUntil) << "the test was too slow for its premise";
  gate->open();  // the worker is free from now on

  ASSERT_TRUE(eventually([&] { return jobStatus(a, key, second) == "SUCCESS"; }, 10'000))
      << a.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<TimeMs> attempts;
  for (const auto& r : recv.requests()) {
    if (r.header("webhook-id") == second) attempts.push_back(r.receivedAt);
  }
  ASSERT_EQ(attempts.size(), 1u) << "attempted while another held its lease\n" << a.log();
  std::printf("[ info ] taken-over job attempted %lld ms after the other lease ran out\n",
              static_cast<long long>(attempts[0] - takenUntil));
  EXPECT_GE(attempts[0], takenUntil);
  EXPECT_EQ(storeCount(db, "SELECT attempts FROM deliveries WHERE id = '" + second + "'"), "1");
  EXPECT_EQ(a.log().find("lease lost; outcome dropped"), std::string::npos) << a.log();
}

// ============================================================================ Shutdown
using ShutdownTest = EngineFixture;

TEST_F(ShutdownTest, SigtermFinishesTheAttemptInFlight) {
  Receiver recv([](int, const ReceivedRequest&) { return ScriptedResponse{200, "ok", {}, 800}; });
  DispatchOptions o;
  o.shutdownGrace = "5s";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string why;
  std::string id = createJob(d, key, recv.url(), isoIn(300), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(recv.waitFor(1, 5000));
  auto t0 = std::chrono::steady_clock::now();
  d.kill(SIGTERM);
  int code = d.wait(8000);
  int64_t took = msSince(t0);
  std::printf("[ info ] SIGTERM to exit: %lld ms\n", static_cast<long long>(took));
  EXPECT_EQ(code, 0) << d.log();
  EXPECT_LT(took, 5000) << "not within shutdown_grace";
  // Finished, not lost, not handed back: the outcome was recorded before exiting.
  EXPECT_EQ(storeStatus(db, id), "SUCCESS");
  EXPECT_EQ(storeCount(db, "SELECT attempts FROM deliveries WHERE id = '" + id + "'"), "1");
  EXPECT_EQ(storeCount(db, "SELECT count(*) FROM attempts WHERE delivery_id = '" + id + "'"), "1");
  EXPECT_EQ(storeCount(db, "SELECT response_code FROM attempts WHERE delivery_id = '" + id + "'"),
            "200");
  EXPECT_NE(d.log().find("\"msg\":\"stopped\""), std::string::npos) << d.log();
  EXPECT_EQ(recv.count(), 1u);
}

TEST_F(ShutdownTest, SigtermPastGraceReleasesTheAttemptForTheNextNode) {
  auto gate = std::make_shared<Gate>();
  Receiver recv([gate](int n, const ReceivedRequest&) {
    if (n == 0) gate->wait(8000);  // stuck far longer than the grace period
    return ScriptedResponse{};
  });
  OpenOnExit opener{gate};
  DispatchOptions o;
  o.shutdownGrace = "300ms";
  o.jobsTimeout = "10s";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string why;
  std::string id = createJob(d, key, recv.url(), isoIn(300), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(recv.waitFor(1, 5000));
  auto t0 = std::chrono::steady_clock::now();
  d.kill(SIGTERM);
  int code = d.wait(8000);
  int64_t took = msSince(t0);
  std::printf("[ info ] SIGTERM to exit with a stuck attempt (grace 300ms): %lld ms\n",
              static_cast<long long>(took));
  EXPECT_EQ(code, 0) << d.log();
  EXPECT_LT(took, 3000) << "waited for the stuck attempt instead of releasing it";
  // Released: back to SCHEDULED (no attempt recorded), no lease, due now.
  EXPECT_EQ(storeStatus(db, id), "SCHEDULED");
  EXPECT_EQ(storeCount(db, "SELECT count(*) FROM deliveries WHERE id = '" + id +
                               "' AND lease_until IS NULL AND attempts = 0 AND due_at <= now()"),
            "1");

  DispatchProcess next(db);
  ASSERT_TRUE(next.start()) << next.log();
  ASSERT_TRUE(recv.waitFor(2, 5000)) << "the released job was not delivered\n" << next.log();
  ASSERT_TRUE(eventually([&] { return jobStatus(next, key, id) == "SUCCESS"; }, 5000));
  auto g = getJob(next, key, id);
  EXPECT_EQ(g.data()->find("retryCount")->asInt(), 0);
  EXPECT_EQ(g.data()->find("logs")->items().size(), 1u);
  EXPECT_EQ(recv.requests()[1].header("webhook-id"), id);
}

TEST_F(ShutdownTest, SigtermKeepsTheLeaseOfAnAttemptFinishingWithinGrace) {
  // The attempt outlasts the lease (3 s by default) while the node shuts down within its
  // grace period: its lease is still renewed, so the other node does not fire it again.
  Receiver recv([](int n, const ReceivedRequest&) {
    return ScriptedResponse{200, "ok", {}, n == 0 ? 4500 : 0};
  });
  DispatchOptions o;
  o.shutdownGrace = "10s";
  o.jobsTimeout = "10s";
  DispatchProcess a(db, o), b(db, o);
  ASSERT_TRUE(a.start()) << a.log();
  std::string key = a.createKey("alpha");
  std::string why;
  std::string id = createJob(a, key, recv.url(), isoIn(300), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(recv.waitFor(1, 5000));
  ASSERT_TRUE(b.start()) << b.log();
  a.kill(SIGTERM);
  EXPECT_EQ(a.wait(15'000), 0) << a.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // any late re-fire
  EXPECT_EQ(recv.count(), 1u) << "fired again while the first attempt was finishing\n" << b.log();
  EXPECT_EQ(storeStatus(db, id), "SUCCESS");
  EXPECT_EQ(storeCount(db, "SELECT attempts FROM deliveries WHERE id = '" + id + "'"), "1");
  EXPECT_EQ(a.log().find("lease lost"), std::string::npos) << a.log();
}

// ============================================================================ Https
using HttpsTest = EngineFixture;

TEST_F(HttpsTest, PrivateCaFromCaFileIsTrusted) {
  TempDir dir;
  TestCert cert = makeSelfSignedCert(dir.path);
  Receiver recv(nullptr, cert.certFile, cert.keyFile);
  ASSERT_EQ(recv.url().rfind("https://localhost:", 0), 0u);
  DispatchOptions o;
  o.deliveryYaml = deliveryYaml("ca_file: " + cert.certFile);
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string why;
  std::string id = createJob(d, key, recv.url(), isoIn(200), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(recv.waitFor(1, 5000)) << d.log();
  EXPECT_EQ(recv.requests()[0].header("webhook-id"), id);
  ASSERT_TRUE(eventually([&] { return jobStatus(d, key, id) == "SUCCESS"; }, 5000))
      << getJob(d, key, id).body;
  auto g = getJob(d, key, id);
  const auto& logs = g.data()->find("logs")->items();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].find("responseCode")->asInt(), 200);
  EXPECT_TRUE(logs[0].find("error")->isNull());
}

TEST_F(HttpsTest, UntrustedCertificateFailsWithTlsError) {
  TempDir dir;
  TestCert cert = makeSelfSignedCert(dir.path);
  Receiver recv(nullptr, cert.certFile, cert.keyFile);
  DispatchProcess d(db);  // no ca_file
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string why;
  std::string id = createJob(d, key, recv.url(), isoIn(200), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(eventually(
      [&] {
        auto g = getJob(d, key, id);
        return g.data() && !g.data()->find("logs")->items().empty();
      },
      5000));
  auto g = getJob(d, key, id);
  const auto& logs = g.data()->find("logs")->items();
  const auto& first = logs.back();
  EXPECT_EQ(first.find("status")->asString(), "FAILED");
  EXPECT_TRUE(first.find("responseCode")->isNull()) << g.body;
  ASSERT_TRUE(first.find("error")->isString()) << g.body;
  const std::string err = first.find("error")->asString();
  std::printf("[ info ] TLS error recorded: %s\n", err.c_str());
  EXPECT_NE(err.find("certificate"), std::string::npos) << err;
  EXPECT_NE(err.find("tls"), std::string::npos) << err;
  EXPECT_EQ(recv.count(), 0u);  // no request got through the failed handshake
}

// ============================================================================ Policy
using PolicyTest = EngineFixture;

TEST_F(PolicyTest, UrlBlockedAtAttemptTimeIsNotDeliveredAndDiesAtOnce) {
  Receiver recv;
  std::string key, id;
  {
    DispatchProcess permissive(db);  // allow_private_networks: true at creation
    ASSERT_TRUE(permissive.start()) << permissive.log();
    key = permissive.createKey("alpha");
    std::string why;
    id = createJob(permissive, key, recv.url(), isoIn(1500), &why);
    ASSERT_FALSE(id.empty()) << why;
    permissive.kill(SIGTERM);
    ASSERT_EQ(permissive.wait(8000), 0) << permissive.log();
  }
  ASSERT_EQ(storeStatus(db, id), "SCHEDULED");
  DispatchOptions strict;
  strict.deliveryYaml = deliveryYaml("", /*allowPrivate=*/false);
  DispatchProcess d(db, strict);
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_TRUE(eventually([&] { return jobStatus(d, key, id) == "DEAD"; }, 6000))
      << getJob(d, key, id).body;
  auto g = getJob(d, key, id);
  EXPECT_EQ(g.data()->find("retryCount")->asInt(), 1);
  const auto& logs = g.data()->find("logs")->items();
  ASSERT_EQ(logs.size(), 1u) << g.body;
  EXPECT_EQ(logs[0].find("status")->asString(), "FAILED");
  EXPECT_TRUE(logs[0].find("responseCode")->isNull());
  ASSERT_TRUE(logs[0].find("error")->isString()) << g.body;
  EXPECT_NE(logs[0].find("error")->asString().find("not allowed"), std::string::npos) << g.body;
  // Longer than the retry schedule (200ms, 400ms): still nothing arrives, nothing more logged.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(recv.count(), 0u);
  EXPECT_EQ(storeCount(db, "SELECT count(*) FROM attempts"), "1");
}

// ============================================================================ Engine
using EngineTest = EngineFixture;

TEST_F(EngineTest, TimeoutIsRecordedWithoutResponseCode) {
  auto gate = std::make_shared<Gate>();
  Receiver recv([gate](int, const ReceivedRequest&) {
    gate->wait(3000);  // far past jobs.timeout
    return ScriptedResponse{};
  });
  OpenOnExit opener{gate};
  DispatchOptions o;
  o.jobsTimeout = "300ms";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string why;
  std::string id = createJob(d, key, recv.url(), isoIn(200), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(eventually(
      [&] {
        auto g = getJob(d, key, id);
        return g.data() && !g.data()->find("logs")->items().empty();
      },
      5000));
  auto g = getJob(d, key, id);
  const auto& first = g.data()->find("logs")->items().back();
  EXPECT_EQ(first.find("attempt")->asInt(), 1);
  EXPECT_EQ(first.find("status")->asString(), "FAILED");
  EXPECT_TRUE(first.find("responseCode")->isNull()) << g.body;
  EXPECT_TRUE(first.find("responseBody")->isNull()) << g.body;
  ASSERT_TRUE(first.find("error")->isString()) << g.body;
  EXPECT_EQ(first.find("error")->asString(), "timeout after 300ms");
  int64_t dur = first.find("durationMs")->asInt();
  EXPECT_GE(dur, 290);
  EXPECT_LT(dur, 2000) << "the attempt waited for the receiver instead of timing out";
  EXPECT_NE(g.data()->find("status")->asString(), "SUCCESS");
}

TEST_F(EngineTest, ConnectionRefusedIsRecorded) {
  int port = closedPort();
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string why;
  std::string id =
      createJob(d, key, "http://127.0.0.1:" + std::to_string(port) + "/nobody", isoIn(200), &why);
  ASSERT_FALSE(id.empty()) << why;
  // Network errors are retried: three attempts (200ms, 400ms apart), then DEAD.
  ASSERT_TRUE(eventually([&] { return jobStatus(d, key, id) == "DEAD"; }, 6000));
  auto g = getJob(d, key, id);
  const auto& logs = g.data()->find("logs")->items();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(g.data()->find("retryCount")->asInt(), 3);
  for (const auto& l : logs) {
    EXPECT_TRUE(l.find("responseCode")->isNull());
    ASSERT_TRUE(l.find("error")->isString());
    EXPECT_NE(l.find("error")->asString().find("connection refused"), std::string::npos)
        << l.find("error")->asString();
  }
  EXPECT_EQ(storeCount(db, "SELECT last_error FROM deliveries WHERE id = '" + id + "'"),
            "connection refused");
}

TEST_F(EngineTest, LongResponseBodyIsStoredTruncated) {
  std::string big;
  for (int i = 0; i < 5000; ++i) big += static_cast<char>('a' + i % 26);
  Receiver recv([big](int, const ReceivedRequest&) { return ScriptedResponse{200, big, {}, 0}; });
  DispatchOptions o;
  o.deliveryYaml = deliveryYaml("max_response_bytes: 100");
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string why;
  std::string id = createJob(d, key, recv.url(), isoIn(200), &why);
  ASSERT_FALSE(id.empty()) << why;
  ASSERT_TRUE(eventually([&] { return jobStatus(d, key, id) == "SUCCESS"; }, 5000));
  auto g = getJob(d, key, id);
  const auto& logs = g.data()->find("logs")->items();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].find("responseCode")->asInt(), 200);
  EXPECT_EQ(logs[0].find("responseBody")->asString(), big.substr(0, 100));
}

TEST_F(EngineTest, FiftyJobsFireAtTheirMillisecondNeverEarly) {
  constexpr int kJobs = 50;
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  const TimeMs base = nowMs() + 1500;
  std::map<std::string, TimeMs> fireAtById;
  for (int i = 0; i < kJobs; ++i) {
    TimeMs at = base + i * 20 + (i * 7) % 13;  // distinct milliseconds over ~1 s
    std::string why;
    std::string id = createJob(d, key, recv.url(), formatIsoUtc(at), &why);
    ASSERT_FALSE(id.empty()) << i << ": " << why;
    fireAtById[id] = at;
  }
  ASSERT_LT(nowMs(), base) << "creating the jobs took too long for the test's premise";
  ASSERT_TRUE(recv.waitFor(kJobs, 10000)) << recv.count();
  std::vector<int64_t> lateness;
  for (const auto& r : recv.requests()) {
    auto it = fireAtById.find(r.header("webhook-id"));
    ASSERT_NE(it, fireAtById.end());
    EXPECT_GE(r.receivedAt, it->second) << "fired early";
    auto body = json::parse(r.body);
    ASSERT_TRUE(body.isOk());
    auto firedAt = parseIsoUtc(body->find("firedAt")->asString());
    ASSERT_TRUE(firedAt.has_value());
    EXPECT_GE(*firedAt, it->second) << "firedAt before fireAt";
    lateness.push_back(r.receivedAt - it->second);
  }
  int64_t p50 = percentile(lateness, 0.5), p90 = percentile(lateness, 0.9),
          mx = *std::max_element(lateness.begin(), lateness.end());
  std::printf(
      "[ info ] lateness over %d jobs (fireAt -> received): p50 %lld ms, p90 %lld ms, "
      "max %lld ms\n",
      kJobs, static_cast<long long>(p50), static_cast<long long>(p90), static_cast<long long>(mx));
  EXPECT_LT(mx, 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(recv.count(), static_cast<size_t>(kJobs));
}

TEST_F(EngineTest, SlowReceiverDoesNotTakeEveryWorker) {
  // 16 workers: a receiver is congested at 2 attempts in flight (workers / 8) once the
  // oldest has run 200 ms. 20 jobs to a receiver that answers after 4 s, one every 100 ms,
  // then 10 jobs to a fast one: without the limit every worker would be stuck on the slow
  // receiver when the fast jobs fall due, and they would be seconds late.
  auto slowGate = std::make_shared<Gate>();
  Receiver slow([slowGate](int, const ReceivedRequest&) {
    slowGate->wait(4000);
    return ScriptedResponse{};
  });
  OpenOnExit openSlow{slowGate};
  Receiver fast;
  DispatchOptions o;
  o.jobsTimeout = "10s";
  o.deliveryYaml = deliveryYaml("", true, "10s");
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  const TimeMs base = nowMs() + 1500;
  std::vector<std::string> slowIds;
  for (int i = 0; i < 20; ++i) {
    std::string why;
    std::string id = createJob(d, key, slow.url(), formatIsoUtc(base + i * 100), &why);
    ASSERT_FALSE(id.empty()) << why;
    slowIds.push_back(id);
  }
  const TimeMs fastAt = base + 2000;
  for (int i = 0; i < 10; ++i) {
    std::string why;
    ASSERT_FALSE(createJob(d, key, fast.url(), formatIsoUtc(fastAt), &why).empty()) << why;
  }
  ASSERT_LT(nowMs(), base) << "creating the jobs took too long for the test's premise";
  ASSERT_TRUE(fast.waitFor(10, 8000)) << fast.count() << "\n" << d.log();
  for (const auto& r : fast.requests()) EXPECT_LT(r.receivedAt - fastAt, 1500);
  // The slow receiver never had more than a few attempts at once; the rest were deferred,
  // not lost: every slow job is still open or delivered.
  EXPECT_LE(slow.count(), 8u);
  slowGate->open();
  std::string ids;
  for (const auto& id : slowIds) ids += (ids.empty() ? "'" : ",'") + id + "'";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM deliveries WHERE id IN (" + ids +
                      ") AND status IN ('SCHEDULED', 'FIRING', 'SUCCESS')"),
            "20");
}

TEST_F(EngineTest, JobCreatedByCliIsFiredByRunningServerAtItsTime) {
  constexpr int kJobs = 5;
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  // Give the node time to settle (its start-up claim and refill are done), so only the
  // notification can tell it about the new jobs before its next safety poll.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::map<std::string, TimeMs> fireAtByTitle;
  for (int i = 0; i < kJobs; ++i) {
    TimeMs at = nowMs() + 1000 + i * 7;  // well after the CLI has returned
    std::string title = "cli-" + std::to_string(i);
    auto r = runCli({"jobs", "schedule", "--config", d.configPath(), "--project", "alpha", "--url",
                     recv.url(), "--at", formatIsoUtc(at), "--title", title},
                    {{"DATABASE_URL", db.url()}});
    ASSERT_EQ(r.exitCode, 0) << r.out;
    fireAtByTitle[title] = at;
  }
  ASSERT_TRUE(recv.waitFor(kJobs, 6000)) << recv.count() << "\n" << d.log();
  std::vector<int64_t> lateness;
  for (const auto& r : recv.requests()) {
    auto body = json::parse(r.body);
    ASSERT_TRUE(body.isOk());
    TimeMs at = fireAtByTitle.at(body->find("title")->asString());
    EXPECT_GE(r.receivedAt, at) << "fired early";
    lateness.push_back(r.receivedAt - at);
  }
  std::sort(lateness.begin(), lateness.end());
  std::printf("[ info ] CLI-created jobs lateness (ms):");
  for (auto l : lateness) std::printf(" %lld", static_cast<long long>(l));
  std::printf("\n");
  // Heard through NOTIFY, each fires at its millisecond. Without the notification they would
  // wait for the 1 s safety poll (lateness spread over 0–1000 ms): demanding 4 of 5 within
  // 250 ms catches that almost surely, while tolerating one scheduling hiccup.
  EXPECT_LT(lateness[kJobs - 2], 250) << "CLI-created work was not picked up via NOTIFY";
  EXPECT_LT(lateness[kJobs - 1], 1500);
}

}  // namespace
}  // namespace dispatch::test
