// Retention against a real PostgreSQL: what is older than the cutoff and finished before it
// goes with everything that hangs off it; open work, recent rows and other projects stay;
// a retry or replay racing the purge keeps its event; purging nodes take turns.
#include "core/store/retention.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <thread>

#include "core/store/db.h"
#include "core/store/event_store.h"
#include "core/store/migrations.h"
#include "core/store/project_store.h"
#include "core/util/time.h"
#include "core/util/uuid.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;

class FixedClock : public Clock {
 public:
  explicit FixedClock(TimeMs t) : t_(t) {}
  TimeMs nowMs() const override { return t_; }

 private:
  TimeMs t_;
};

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store::migrate(db_.url()).isOk());
    ASSERT_TRUE(store::ProjectStore(pool_).sync({"p", "q"}).isOk());
    p_ = db_.scalar("SELECT id FROM projects WHERE name = 'p'");
    q_ = db_.scalar("SELECT id FROM projects WHERE name = 'q'");
  }

  // An event received `age` ago ("3 days" …), in `project`.
  std::string event(const std::string& project, const std::string& age) {
    std::string id = newUuidV7();
    db_.exec("INSERT INTO events (id, project_id, source, body, received_at) VALUES ('" + id +
             "', '" + project + "', 'src', 'x', now() - interval '" + age + "')");
    return id;
  }

  // A delivery in `status`, last changed `age` ago; kind 1 (job: id = the job's), 2 (event)
  // or 3 (callback of job `owner`). With one attempt row.
  std::string delivery(const std::string& project, int kind, const std::string& owner,
                       const std::string& status, const std::string& age,
                       const std::string& id = newUuidV7()) {
    std::string eventId = kind == 2 ? "'" + owner + "'" : "NULL";
    std::string jobId = kind == 3 ? "'" + owner + "'" : (kind == 1 ? "'" + id + "'" : "NULL");
    db_.exec(
        "INSERT INTO deliveries (id, project_id, kind, job_id, event_id, url, message_id, "
        "status, due_at, created_at, updated_at) VALUES ('" +
        id + "', '" + project + "', " + std::to_string(kind) + ", " + jobId + ", " + eventId +
        ", 'http://127.0.0.1:9/', '" + id + "', '" + status + "', now(), now() - interval '" + age +
        "', now() - interval '" + age + "')");
    db_.exec(
        "INSERT INTO attempts (id, delivery_id, attempt, status, fired_at, duration_ms) "
        "VALUES ('" +
        newUuidV7() + "', '" + id + "', 1, 'FAILED', now(), 5)");
    return id;
  }

  // A job created `age` ago, its delivery in `status` last changed `finished` ago.
  std::string job(const std::string& project, const std::string& age, const std::string& status,
                  const std::string& finished) {
    std::string id = newUuidV7();
    db_.exec(
        "INSERT INTO jobs (id, project_id, title, webhook_url, payload, fire_at, created_at) "
        "VALUES ('" +
        id + "', '" + project +
        "', 't', 'http://127.0.0.1:9/', '{}', now(), "
        "now() - interval '" +
        age + "')");
    delivery(project, 1, "", status, finished, id);
    return id;
  }

  // True once `n` sessions of this database wait for a lock (at most 5 s).
  bool waitForALockWait(int n = 1) {
    for (int i = 0; i < 100; ++i) {
      if (std::stoi(db_.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND wait_event_type = 'Lock'")) >= n) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Purges project p with a cutoff one day back.
  Status purge(int batch, store::PurgeCounts* c, bool* skipped = nullptr,
               const std::function<bool()>& stop = nullptr) {
    return store::purgeProject(pool_, p_, nowMs() - kDay, nowMs(), batch, c, skipped, stop);
  }

  // What a replay adds: one delivery with its own webhook-id.
  static model::RoutePlan replayPlan() {
    model::PlannedDelivery d;
    d.id = newUuidV7();
    d.destination = "d";
    d.url = "http://127.0.0.1:9/";
    d.messageId = d.id;
    model::RoutePlan plan;
    plan.deliveries.push_back(d);
    return plan;
  }

  std::string count(const std::string& table, const std::string& where) {
    return db_.scalar("SELECT count(*) FROM " + table + " WHERE " + where);
  }

  TestDatabase db_;
  store::Db pool_{db_.url(), 4};
  std::string p_, q_;
};

TEST_F(RetentionTest, DeletesWhatIsOldAndFinishedWithEverythingHangingOffIt) {
  // Old, every delivery finished: goes, with deliveries, attempts and skips.
  std::string gone = event(p_, "3 days");
  std::string goneA = delivery(p_, 2, gone, "SUCCESS", "3 days");
  std::string goneB = delivery(p_, 2, gone, "DEAD", "3 days");
  db_.exec("INSERT INTO event_skips (event_id, destination, reason) VALUES ('" + gone +
           "', 'd', 'filtered')");
  // Old events with no delivery at all (every link skipped): they go too (two more batches).
  std::string bare1 = event(p_, "4 days"), bare2 = event(p_, "5 days");
  // Old, but one delivery still retrying: stays whole.
  std::string open = event(p_, "3 days");
  delivery(p_, 2, open, "SUCCESS", "3 days");
  delivery(p_, 2, open, "FAILED", "3 days");
  // Old, but a delivery of it finished only an hour ago (retried): stays whole.
  std::string retried = event(p_, "3 days");
  delivery(p_, 2, retried, "SUCCESS", "1 hour");
  // Recent: stays.
  std::string recent = event(p_, "1 hour");
  delivery(p_, 2, recent, "SUCCESS", "1 hour");
  // Another project's old event: not this project's purge.
  std::string other = event(q_, "3 days");
  delivery(q_, 2, other, "SUCCESS", "3 days");

  // Jobs: finished long ago with a finished callback — goes with both deliveries.
  std::string doneJob = job(p_, "3 days", "SUCCESS", "3 days");
  std::string callback = delivery(p_, 3, doneJob, "SUCCESS", "3 days");
  // Still scheduled; finished only an hour ago (a retry); callback still retrying; callback
  // finished only an hour ago: stay.
  std::string pending = job(p_, "3 days", "SCHEDULED", "3 days");
  std::string lateDone = job(p_, "3 days", "DEAD", "1 hour");
  std::string cbOpen = job(p_, "3 days", "SUCCESS", "3 days");
  delivery(p_, 3, cbOpen, "FAILED", "3 days");
  std::string cbLate = job(p_, "3 days", "SUCCESS", "3 days");
  delivery(p_, 3, cbLate, "SUCCESS", "1 hour");

  store::PurgeCounts c;
  bool skipped = true;
  ASSERT_TRUE(purge(2, &c, &skipped).isOk());
  EXPECT_FALSE(skipped);
  EXPECT_EQ(c.events, 3);
  EXPECT_EQ(c.jobs, 1);

  for (const auto& id : {gone, bare1, bare2}) EXPECT_EQ(count("events", "id = '" + id + "'"), "0");
  EXPECT_EQ(count("deliveries", "id IN ('" + goneA + "', '" + goneB + "')"), "0");
  EXPECT_EQ(count("attempts", "delivery_id IN ('" + goneA + "', '" + goneB + "')"), "0");
  EXPECT_EQ(count("event_skips", "event_id = '" + gone + "'"), "0");
  EXPECT_EQ(count("jobs", "id = '" + doneJob + "'"), "0");
  EXPECT_EQ(count("deliveries", "id IN ('" + doneJob + "', '" + callback + "')"), "0");
  EXPECT_EQ(count("attempts", "delivery_id IN ('" + doneJob + "', '" + callback + "')"), "0");

  for (const auto& id : {open, retried, recent, other}) {
    EXPECT_EQ(count("events", "id = '" + id + "'"), "1") << id;
    EXPECT_EQ(count("deliveries", "event_id = '" + id + "'"), id == open ? "2" : "1") << id;
  }
  for (const auto& id : {pending, lateDone, cbOpen, cbLate}) {
    EXPECT_EQ(count("jobs", "id = '" + id + "'"), "1") << id;
    EXPECT_EQ(count("deliveries", "id = '" + id + "'"), "1") << id;
  }
  EXPECT_EQ(count("deliveries", "kind = 3 AND job_id = '" + cbOpen + "'"), "1");

  // Nothing left to do: a second pass deletes nothing.
  store::PurgeCounts again;
  ASSERT_TRUE(purge(2, &again).isOk());
  EXPECT_EQ(again.events + again.jobs, 0);
}

TEST_F(RetentionTest, PurgerUsesEachProjectsOwnRetentionAndKeepsUnconfiguredProjects) {
  std::string p3 = event(p_, "3 days"), p1 = event(p_, "1 day 1 hour");
  std::string q3 = event(q_, "3 days");
  FixedClock clock(nowMs());
  // p keeps 2 days; q is not in the configuration (removed): nothing of it is touched.
  store::RetentionPurger purger(
      pool_,
      [] {
        return std::map<std::string, int64_t>{{"p", 2 * kDay}};
      },
      clock);
  store::PurgeCounts c;
  ASSERT_TRUE(purger.runOnce(&c).isOk());
  EXPECT_EQ(c.events, 1);
  EXPECT_EQ(count("events", "id = '" + p3 + "'"), "0");
  EXPECT_EQ(count("events", "id = '" + p1 + "'"), "1");
  EXPECT_EQ(count("events", "id = '" + q3 + "'"), "1");
}

TEST_F(RetentionTest, AJobsOwnRetentionOverridesTheProjects) {
  auto own = [&](const std::string& id, const std::string& interval) {
    db_.exec("UPDATE jobs SET retention_ms = extract(epoch FROM interval '" + interval +
             "')::bigint * 1000 WHERE id = '" + id + "'");
  };
  // Own retention 1d, finished 2 days ago, its callback too: goes, callback and all.
  std::string expired = job(p_, "3 days", "SUCCESS", "2 days");
  own(expired, "1 day");
  std::string cb = delivery(p_, 3, expired, "SUCCESS", "2 days");
  // Own retention 1d, finished 2 days ago, but its callback is still retrying: stays.
  std::string calling = job(p_, "3 days", "DEAD", "2 days");
  own(calling, "1 day");
  delivery(p_, 3, calling, "FAILED", "2 days");
  // Own retention 7d, finished 2 days ago: stays, although the project keeps only 1 day.
  std::string kept = job(p_, "3 days", "SUCCESS", "2 days");
  own(kept, "7 days");
  // Own retention 1d, still scheduled: stays.
  std::string open = job(p_, "3 days", "SCHEDULED", "2 days");
  own(open, "1 day");
  // No retention of its own, in a project without retention: stays.
  std::string plain = job(p_, "40 days", "SUCCESS", "40 days");

  store::PurgeCounts c;
  ASSERT_TRUE(store::purgeProject(pool_, p_, std::nullopt, nowMs(), 100, &c).isOk());
  EXPECT_EQ(c.jobs, 1);
  EXPECT_EQ(count("jobs", "id = '" + expired + "'"), "0");
  EXPECT_EQ(count("deliveries", "id IN ('" + expired + "', '" + cb + "')"), "0");
  EXPECT_EQ(count("attempts", "delivery_id IN ('" + expired + "', '" + cb + "')"), "0");
  for (const std::string& id : {calling, kept, open, plain}) {
    EXPECT_EQ(count("jobs", "id = '" + id + "'"), "1") << id;
  }
  // With the project's retention of one day, the plain job goes; the 7d one still stays.
  store::PurgeCounts c2;
  ASSERT_TRUE(purge(100, &c2).isOk());
  EXPECT_EQ(count("jobs", "id = '" + plain + "'"), "0");
  EXPECT_EQ(count("jobs", "id = '" + kept + "'"), "1");
}

TEST_F(RetentionTest, APurgeStandsAsideWhileAnotherNodeHoldsThePurgeLock) {
  std::string old = event(p_, "3 days");
  pqxx::connection other(db_.url());
  pqxx::nontransaction hold(other);
  hold.exec("SELECT pg_advisory_lock(1146310740, 2)");  // "DSPT", the purge lock

  store::PurgeCounts c;
  bool skipped = false;
  ASSERT_TRUE(purge(10, &c, &skipped).isOk());
  EXPECT_TRUE(skipped);
  EXPECT_EQ(count("events", "id = '" + old + "'"), "1");

  hold.exec("SELECT pg_advisory_unlock(1146310740, 2)");
  ASSERT_TRUE(purge(10, &c, &skipped).isOk());
  EXPECT_FALSE(skipped);
  EXPECT_EQ(count("events", "id = '" + old + "'"), "0");
}

TEST_F(RetentionTest, ADeliveryReopenedWhileThePurgeRunsKeepsItsEvent) {
  std::string old = event(p_, "3 days");
  std::string dead = delivery(p_, 2, old, "DEAD", "3 days");
  // A retry of the old delivery, in flight: the row is reopened but not committed yet.
  pqxx::connection other(db_.url());
  pqxx::work retry(other);
  retry.exec("UPDATE deliveries SET status = 'SCHEDULED', updated_at = now() WHERE id = '" + dead +
             "'");

  store::PurgeCounts c;
  Status st;
  std::thread purging([&] { st = purge(10, &c); });
  // The purge saw the delivery finished and now waits for the retry's row lock.
  bool waited = waitForALockWait();
  retry.commit();
  purging.join();
  EXPECT_TRUE(waited) << "the purge never waited for the retry's row lock";

  EXPECT_TRUE(st.isOk()) << st.message();
  EXPECT_EQ(c.events, 0);
  EXPECT_EQ(count("events", "id = '" + old + "'"), "1");
  EXPECT_EQ(count("deliveries", "id = '" + dead + "' AND status = 'SCHEDULED'"), "1");
  // Once it has finished again (and aged), a later pass takes both.
  db_.exec(
      "UPDATE deliveries SET status = 'SUCCESS', updated_at = now() - interval '3 days' "
      "WHERE id = '" +
      dead + "'");
  ASSERT_TRUE(purge(10, &c).isOk());
  EXPECT_EQ(count("events", "id = '" + old + "'"), "0");
  EXPECT_EQ(count("deliveries", "id = '" + dead + "'"), "0");
}

TEST_F(RetentionTest, AStopEndsThePurgeBeforeItsNextBatch) {
  for (int i = 0; i < 3; ++i) event(p_, "3 days");
  int asked = 0;
  store::PurgeCounts c;
  // Stop is asked before each batch: the first goes ahead, then the node is stopping.
  ASSERT_TRUE(purge(1, &c, nullptr, [&] { return asked++ > 0; }).isOk());
  EXPECT_EQ(c.events, 1);
  EXPECT_EQ(count("events", "true"), "2");
}

TEST_F(RetentionTest, AReplayAfterThePurgeIsNotFoundAndAddsNothing) {
  std::string old = event(p_, "3 days");
  delivery(p_, 2, old, "SUCCESS", "3 days");
  store::EventStore events(pool_, nullptr);
  auto loaded = events.loadEvent(old, std::nullopt);  // the replay reads the event …
  ASSERT_TRUE(loaded.isOk());

  store::PurgeCounts c;  // … retention deletes it …
  ASSERT_TRUE(purge(10, &c).isOk());
  ASSERT_EQ(c.events, 1);

  // … and the replay's deliveries find it gone.
  Status st = events.addDeliveries(*loaded, replayPlan());
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(count("deliveries", "event_id = '" + old + "'"), "0");
}

TEST_F(RetentionTest, AReplayInFlightKeepsItsEventFromABatchThatChoseIt) {
  std::string old = event(p_, "3 days");
  delivery(p_, 2, old, "SUCCESS", "3 days");
  // What a replay does in its transaction: touch the event, add a delivery; not committed.
  pqxx::connection other(db_.url());
  pqxx::work replay(other);
  replay.exec("UPDATE events SET received_at = received_at WHERE id = '" + old + "'");
  // The batch skips the event while the replay holds it …
  store::PurgeCounts c;
  ASSERT_TRUE(purge(10, &c).isOk());
  EXPECT_EQ(c.events, 0);
  replay.exec(
      "INSERT INTO deliveries (id, project_id, kind, event_id, url, message_id, status, "
      "due_at, created_at, updated_at) VALUES ('" +
      newUuidV7() + "', '" + p_ + "', 2, '" + old +
      "', 'http://127.0.0.1:9/', 'm', 'SCHEDULED', now(), now(), now())");
  replay.commit();
  // … and, the new delivery open, keeps it afterwards.
  ASSERT_TRUE(purge(10, &c).isOk());
  EXPECT_EQ(c.events, 0);
  EXPECT_EQ(count("events", "id = '" + old + "'"), "1");
  EXPECT_EQ(count("deliveries", "event_id = '" + old + "'"), "2");
}

TEST_F(RetentionTest, AReplayWaitingOnABatchThatDeletesItsEventIsNotFound) {
  std::string old = event(p_, "3 days");
  std::string d0 = delivery(p_, 2, old, "SUCCESS", "3 days");
  store::EventStore events(pool_, nullptr);
  auto loaded = events.loadEvent(old, std::nullopt);
  ASSERT_TRUE(loaded.isOk());

  // Something holds the event's delivery, so the batch that chose the event waits for it …
  pqxx::connection other(db_.url());
  pqxx::work holder(other);
  holder.exec("SELECT 1 FROM deliveries WHERE id = '" + d0 + "' FOR UPDATE");
  store::PurgeCounts c;
  Status purged;
  std::thread purging([&] { purged = purge(10, &c); });
  bool purgeWaited = waitForALockWait(1);
  // … and a replay of the event, through the store, waits for the batch.
  model::RoutePlan plan = replayPlan();
  Status replayed;
  std::thread replay([&] { replayed = events.addDeliveries(*loaded, plan); });
  bool replayWaited = purgeWaited && waitForALockWait(2);
  holder.abort();
  purging.join();
  replay.join();
  EXPECT_TRUE(purgeWaited) << "the batch did not wait for the held delivery";
  EXPECT_TRUE(replayWaited) << "the replay did not wait for the batch";

  ASSERT_TRUE(purged.isOk()) << purged.message();
  EXPECT_EQ(c.events, 1);
  EXPECT_EQ(replayed.code(), Code::kNotFound);
  EXPECT_EQ(count("events", "id = '" + old + "'"), "0");
  EXPECT_EQ(count("deliveries", "event_id = '" + old + "'"), "0");  // no orphan
}

TEST_F(RetentionTest, ABatchThatWaitsTooLongForARowLockLeavesItForTheNextPass) {
  std::string old = event(p_, "3 days");
  std::string d0 = delivery(p_, 2, old, "SUCCESS", "3 days");
  pqxx::connection other(db_.url());
  pqxx::work holder(other);
  holder.exec("SELECT 1 FROM deliveries WHERE id = '" + d0 + "' FOR UPDATE");
  store::PurgeCounts c;
  // The batch gives up after its 5 s lock timeout: no error, nothing deleted.
  ASSERT_TRUE(purge(10, &c).isOk());
  EXPECT_EQ(c.events, 0);
  holder.abort();
  ASSERT_TRUE(purge(10, &c).isOk());
  EXPECT_EQ(c.events, 1);
}

}  // namespace
}  // namespace dispatch::test
