// A node that dies: the work it held is fired again by another node within seconds (short
// leases kept alive by a heartbeat), and a node that starts is ready as soon as it serves.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

std::string count(const TestDatabase& db, const std::string& where) {
  return db.scalar("SELECT count(*) FROM deliveries WHERE " + where);
}

class NodeFailoverTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

TEST_F(NodeFailoverTest, KilledNodeHolding300JobsIsFiredAgainByTheOtherWithin5s) {
  constexpr int kJobs = 300;
  constexpr int kWorkers = 64;  // node A's attempts in flight; the rest wait in its queue
  // Spread over many receivers so that no receiver counts as congested (which would hand
  // work back to the store instead of holding it).
  constexpr int kReceivers = 32;
  auto gate = std::make_shared<Gate>();
  std::vector<std::unique_ptr<Receiver>> receivers;
  for (int i = 0; i < kReceivers; ++i) {
    receivers.push_back(std::make_unique<Receiver>([gate](int, const ReceivedRequest&) {
      gate->wait(60'000);  // node A's attempts never get an answer
      return ScriptedResponse{};
    }));
  }
  struct OpenOnExit {  // before the receivers join their handler threads
    std::shared_ptr<Gate> gate;
    ~OpenOnExit() { gate->open(); }
  } opener{gate};

  // The product's default lease and heartbeat. The attempt timeout is long, as in
  // production: the lease does not depend on it.
  DispatchOptions o;
  o.deliveryYaml = "{ allow_http: true, allow_private_networks: true, timeout: 15s, workers: " +
                   std::to_string(kWorkers) + " }";
  o.jobsTimeout = "30s";
  DispatchProcess a(db, o), b(db, o);
  ASSERT_TRUE(a.start()) << a.log();
  std::string key = a.createKey("alpha");

  std::vector<std::string> ids(kJobs), errors(kJobs);
  std::vector<std::thread> creators;
  constexpr int kThreads = 4;
  for (int t = 0; t < kThreads; ++t) {
    creators.emplace_back([&, t] {
      for (int i = t; i < kJobs; i += kThreads) {
        auto r = a.call("POST", "/api/v1/jobs",
                        jobRequest(receivers[i % kReceivers]->url(), isoIn(200)), withKey(key));
        if (r.status == 201 && r.data()) {
          ids[i] = r.data()->find("id")->asString();
        } else {
          errors[i] = std::to_string(r.status) + " " + r.body;
        }
      }
    });
  }
  for (auto& c : creators) c.join();
  for (int i = 0; i < kJobs; ++i) ASSERT_FALSE(ids[i].empty()) << i << ": " << errors[i];

  auto received = [&] {
    size_t n = 0;
    for (const auto& r : receivers) n += r->count();
    return n;
  };
  // Node A claimed all of them: its workers are held by the receivers, the rest is queued.
  ASSERT_TRUE(eventually(
      [&] {
        return count(db, "status = 'FIRING'") == std::to_string(kJobs) &&
               received() == static_cast<size_t>(kWorkers);
      },
      30'000))
      << count(db, "status = 'FIRING'") << " firing, " << received() << " received\n"
      << a.log();

  // Node B starts only now, so it has nothing to take while A lives: A's leases are renewed.
  ASSERT_TRUE(b.start()) << b.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(received(), static_cast<size_t>(kWorkers)) << "node B took work from a live node";
  ASSERT_EQ(count(db, "status = 'FIRING'"), std::to_string(kJobs));

  const TimeMs killedAt = nowMs();
  a.kill(SIGKILL);
  ASSERT_EQ(a.wait(5000), 128 + SIGKILL);
  gate->open();  // node B's attempts are answered at once
  // No one renews them now: when the dead node's leases run out.
  const TimeMs firstExpiry =
      std::stoll(db.scalar("SELECT min(ts_to_ms(lease_until)) FROM deliveries"));
  const TimeMs lastExpiry =
      std::stoll(db.scalar("SELECT max(ts_to_ms(lease_until)) FROM deliveries"));

  auto firedAgain = [&] {
    std::map<std::string, std::vector<TimeMs>> after;
    for (const auto& r : receivers) {
      for (const auto& q : r->requests()) {
        if (q.receivedAt >= killedAt) after[q.header("webhook-id")].push_back(q.receivedAt);
      }
    }
    return after;
  };
  ASSERT_TRUE(eventually([&] { return firedAgain().size() == static_cast<size_t>(kJobs); }, 30'000))
      << firedAgain().size() << " of " << kJobs << " fired again\n"
      << b.log();
  ASSERT_TRUE(
      eventually([&] { return count(db, "status = 'SUCCESS'") == std::to_string(kJobs); }, 15'000))
      << count(db, "status = 'SUCCESS'") << " succeeded\n"
      << b.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // any late duplicate

  auto after = firedAgain();
  TimeMs first = INT64_MAX, last = 0;
  int refiredTwice = 0;
  for (const auto& [id, times] : after) {
    first = std::min(first, *std::min_element(times.begin(), times.end()));
    last = std::max(last, *std::min_element(times.begin(), times.end()));
    refiredTwice += times.size() > 1;
  }
  std::map<std::string, int> total;
  for (const auto& r : receivers) {
    for (const auto& q : r->requests()) ++total[q.header("webhook-id")];
  }
  int deliveredTwice = 0;
  for (const auto& [id, n] : total) deliveredTwice += n > 1;
  std::printf(
      "[ info ] after the kill: first job fired again at +%lld ms, the last at +%lld ms (its "
      "leases ran out at +%lld..+%lld ms); jobs fired more than once by node B: %d; jobs that "
      "reached a receiver twice: %d (node A's %d attempts in flight when it died)\n",
      static_cast<long long>(first - killedAt), static_cast<long long>(last - killedAt),
      static_cast<long long>(firstExpiry - killedAt), static_cast<long long>(lastExpiry - killedAt),
      refiredTwice, deliveredTwice, kWorkers);

  EXPECT_LE(last - killedAt, 5000) << "the dead node's work waited too long";
  // Not before its lease ran out, and then at once: node B wakes when the lease runs out
  // rather than at its next poll (up to a second later).
  EXPECT_GE(first, firstExpiry);
  EXPECT_LE(first - firstExpiry, 500);
  EXPECT_EQ(refiredTwice, 0);
  EXPECT_EQ(deliveredTwice, kWorkers);  // only what was in flight at the moment of death
  for (const auto& id : ids) EXPECT_EQ(after.count(id), 1u) << "job " << id << " not fired again";
  // None lost, each recorded once: node A's attempts died with it.
  EXPECT_EQ(count(db, "status = 'SUCCESS' AND attempts = 1"), std::to_string(kJobs));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM attempts"), std::to_string(kJobs));
  EXPECT_EQ(b.log().find("lease lost"), std::string::npos) << b.log();
}

TEST_F(NodeFailoverTest, ReadyzAnswers200AsSoonAsTheNodeServesEvenUnderLoad) {
  // A store with work due and clients hammering the API while the node starts: /readyz must
  // not wait for the shared pool, which is at its busiest right then.
  constexpr int kBacklog = 5000;
  Receiver recv;
  DispatchOptions o;
  o.deliveryYaml = "{ allow_http: true, allow_private_networks: true, timeout: 2s, workers: 64 }";
  auto first = std::make_unique<DispatchProcess>(db, o);
  ASSERT_TRUE(first->start()) << first->log();
  std::string key = first->createKey("alpha");
  first->kill(SIGKILL);
  ASSERT_EQ(first->wait(5000), 128 + SIGKILL);
  // Overdue work for the next start, written straight to the store.
  db.exec(
      "INSERT INTO jobs (id, project_id, title, payload, webhook_url, fire_at, created_at) "
      "SELECT gen_random_uuid(), p.id, 'backlog', '{}', '" +
      recv.url() + "', now() - interval '1 second', now() FROM projects p, generate_series(1, " +
      std::to_string(kBacklog) + ") WHERE p.name = 'alpha'");
  db.exec(
      "INSERT INTO deliveries (id, project_id, kind, job_id, url, message_id, status, due_at, "
      "created_at, updated_at) SELECT j.id, j.project_id, 1, j.id, j.webhook_url, j.id::text, "
      "'SCHEDULED', now() - interval '1 second', now(), now() FROM jobs j");
  ASSERT_EQ(count(db, "status = 'SCHEDULED'"), std::to_string(kBacklog));

  DispatchProcess d(db, o);
  std::atomic<bool> stop{false};
  std::atomic<int> port{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&] {
      while (!stop) {
        if (port == 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        try {
          httpCall(port, "POST", "/api/v1/jobs", jobRequest(recv.url(), isoIn(60'000)),
                   withKey(key));
        } catch (...) {
        }
      }
    });
  }
  ASSERT_TRUE(d.start()) << d.log();
  auto serving = std::chrono::steady_clock::now();  // the port accepts: it is in the log
  port = d.port();
  int64_t readyAfter = -1;
  int notReady = 0;
  while (std::chrono::steady_clock::now() - serving < std::chrono::seconds(10)) {
    auto r = d.call("GET", "/readyz");
    if (r.status == 200) {
      readyAfter = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - serving)
                       .count();
      break;
    }
    ++notReady;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Still ready a while later, under the same load.
  int later503 = 0;
  for (int i = 0; i < 20; ++i) {
    later503 += d.call("GET", "/readyz").status != 200;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (auto& c : clients) c.join();
  std::printf(
      "[ info ] /readyz answered 200 %lld ms after the port accepted (%d answers before "
      "that); later 503s: %d\n",
      static_cast<long long>(readyAfter), notReady, later503);
  EXPECT_GE(readyAfter, 0) << "never ready\n" << d.log();
  EXPECT_LT(readyAfter, 1000);
  EXPECT_EQ(later503, 0);
}

TEST_F(NodeFailoverTest, ReadyzDoesNotQueueBehindABusyPool) {
  // Every connection of the shared pool is busy with a statement that waits (here on a lock,
  // as it would on a slow store or a burst of work at start): the store itself still answers,
  // and so must /readyz, at once. It used to wait 2 s for a pool slot and answer 503.
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  pqxx::connection locker(db.url());
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");
  std::vector<std::thread> clients;
  for (int i = 0; i < 12; ++i) {  // more than the pool's 8 connections
    clients.emplace_back([&] {
      try {
        httpCall(d.port(), "GET", "/api/v1/jobs", "", withKey(key));
      } catch (...) {
      }
    });
  }
  ASSERT_TRUE(eventually(
      [&] {
        return db.scalar(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'") == "8";
      },
      10'000))
      << "the pool is not taken up by waiting statements";
  auto t0 = std::chrono::steady_clock::now();
  auto r = d.call("GET", "/readyz");
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  lock.abort();
  for (auto& c : clients) c.join();
  std::printf("[ info ] /readyz with every pool connection busy: %d in %lld ms\n", r.status,
              static_cast<long long>(took));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_LT(took, 1000);
}

}  // namespace
}  // namespace dispatch::test
