// The engine's store side against a real PostgreSQL: batched completions (fenced by
// lease_seq, values written byte for byte through the array literals), lease renewal
// that skips rows another transaction holds instead of waiting (no deadlock), and work
// handed to a stopping engine going straight back to the store.
#include "core/store/delivery_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>

#include "core/delivery/engine.h"
#include "core/store/db.h"
#include "core/store/migrations.h"
#include "core/store/project_store.h"
#include "core/util/time.h"
#include "core/util/uuid.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

class DeliveryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store::migrate(db_.url()).isOk());
    ASSERT_TRUE(store::ProjectStore(pool_).sync({"p"}).isOk());
    project_ = db_.scalar("SELECT id FROM projects WHERE name = 'p'");
  }

  // A callback delivery due a second ago.
  std::string addDue() {
    std::string id = newUuidV7();
    db_.exec(
        "INSERT INTO deliveries (id, project_id, kind, url, message_id, body, status, due_at, "
        "created_at, updated_at) VALUES ('" +
        id + "', '" + project_ +
        "', 3, "
        "'http://127.0.0.1:9/', '" +
        id +
        "', '{}', 'SCHEDULED', now() - interval '1 second', "
        "now(), now())");
    return id;
  }

  std::vector<model::Claimed> claimAll() {
    auto claimed = store_.claimDue(100, nowMs(), 30'000);
    EXPECT_TRUE(claimed.isOk());
    return claimed.isOk() ? *claimed : std::vector<model::Claimed>{};
  }

  static model::Completion outcome(const model::Claimed& c, model::State next) {
    model::Completion o;
    o.deliveryId = c.id;
    o.leaseSeq = c.leaseSeq;
    o.next = next;
    o.nextAttemptAt = nowMs() + 60'000;
    o.attempt.id = newUuidV7();
    o.attempt.attempt = c.attemptsBefore + 1;
    o.attempt.success = next == model::State::kSuccess;
    o.attempt.firedAt = nowMs();
    o.attempt.durationMs = 7;
    return o;
  }

  TestDatabase db_;
  store::Db pool_{db_.url(), 4};
  store::DeliveryStore store_{pool_};
  std::string project_;
};

TEST_F(DeliveryStoreTest, BatchWritesOutcomesThatHoldTheirLeaseAndNothingOfOneThatLostIt) {
  std::string a = addDue(), b = addDue(), c = addDue();
  auto claimed = claimAll();
  ASSERT_EQ(claimed.size(), 3u);

  std::vector<model::Completion> batch;
  for (const auto& cl : claimed) {
    auto o = outcome(cl, cl.id == b ? model::State::kFailed : model::State::kSuccess);
    if (cl.id == c) o.leaseSeq += 1;  // taken over by another node meanwhile
    if (cl.id == b) {
      // Everything an array literal must carry through unchanged.
      o.attempt.responseCode = 503;
      o.attempt.responseBody = "{\"a\":\"b,c\"} \\ \"q\" NULL {x} é \t end";
      o.attempt.error = "HTTP 503";
      o.lastError = "HTTP 503, \"retrying\"";
    }
    batch.push_back(o);
  }
  std::vector<bool> ours;
  ASSERT_TRUE(store_.completeBatch(batch, &ours).isOk());
  ASSERT_EQ(ours.size(), 3u);
  for (size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(ours[i], batch[i].deliveryId != c) << i;

  EXPECT_EQ(db_.scalar("SELECT status || attempts FROM deliveries WHERE id = '" + a + "'"),
            "SUCCESS1");
  EXPECT_EQ(db_.scalar("SELECT status || attempts FROM deliveries WHERE id = '" + b + "'"),
            "FAILED1");
  EXPECT_EQ(db_.scalar("SELECT lease_until IS NULL AND due_at > now() FROM deliveries "
                       "WHERE id = '" +
                       b + "'"),
            "t");
  EXPECT_EQ(db_.scalar("SELECT response_body FROM attempts WHERE delivery_id = '" + b + "'"),
            "{\"a\":\"b,c\"} \\ \"q\" NULL {x} é \t end");
  EXPECT_EQ(db_.scalar("SELECT last_error FROM deliveries WHERE id = '" + b + "'"),
            "HTTP 503, \"retrying\"");
  EXPECT_EQ(db_.scalar("SELECT response_code FROM attempts WHERE delivery_id = '" + b + "'"),
            "503");
  EXPECT_EQ(db_.scalar("SELECT response_code IS NULL AND response_body IS NULL AND error IS NULL "
                       "FROM attempts WHERE delivery_id = '" +
                       a + "'"),
            "t");
  // The one that lost its lease: untouched, no attempt row.
  EXPECT_EQ(db_.scalar("SELECT status || attempts FROM deliveries WHERE id = '" + c + "'"),
            "FIRING0");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM attempts WHERE delivery_id = '" + c + "'"), "0");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM attempts"), "2");
}

TEST_F(DeliveryStoreTest, BatchWithOnlyADeferralAndAnEmptyBatchAreFine) {
  addDue();
  auto claimed = claimAll();
  ASSERT_EQ(claimed.size(), 1u);
  auto o = outcome(claimed[0], model::State::kScheduled);
  o.deferred = true;
  std::vector<bool> ours;
  ASSERT_TRUE(store_.completeBatch({o}, &ours).isOk());
  EXPECT_EQ(ours, std::vector<bool>{true});
  EXPECT_EQ(db_.scalar("SELECT status || attempts FROM deliveries"), "SCHEDULED0");
  ASSERT_TRUE(store_.completeBatch({}, &ours).isOk());
  EXPECT_TRUE(ours.empty());
}

TEST_F(DeliveryStoreTest, RenewalSkipsARowAnotherTransactionHoldsInsteadOfWaiting) {
  std::string held = addDue(), free = addDue();
  auto claimed = claimAll();
  ASSERT_EQ(claimed.size(), 2u);
  std::vector<std::pair<std::string, int64_t>> leases;
  for (const auto& c : claimed) leases.emplace_back(c.id, c.leaseSeq);

  pqxx::connection other(db_.url());
  pqxx::work lock(other);
  lock.exec("SELECT 1 FROM deliveries WHERE id = '" + held + "' FOR UPDATE");

  auto t0 = std::chrono::steady_clock::now();
  TimeMs later = nowMs() + 600'000;
  ASSERT_TRUE(store_.renew(leases, later, 0).isOk());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  lock.abort();

  EXPECT_EQ(db_.scalar("SELECT lease_until > now() + interval '5 minutes' FROM deliveries "
                       "WHERE id = '" +
                       free + "'"),
            "t");
  EXPECT_EQ(db_.scalar("SELECT lease_until < now() + interval '5 minutes' FROM deliveries "
                       "WHERE id = '" +
                       held + "'"),
            "t");
}

// Refuses every request: the engine under test must never attempt anything.
class NoSender : public plugin::HttpSender {
 public:
  plugin::DeliveryResult post(const std::string&,
                              const std::vector<std::pair<std::string, std::string>>&,
                              const std::string&, int64_t, int64_t) override {
    ADD_FAILURE() << "the stopped engine made an attempt";
    return {};
  }
};

TEST_F(DeliveryStoreTest, WorkHandedToAStoppingEngineGoesBackToTheStoreAtOnce) {
  // Stored leased to this node, as ingest stores the deliveries it hands over.
  std::string id = addDue();
  auto claimed = claimAll();
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(db_.scalar("SELECT status FROM deliveries WHERE id = '" + id + "'"), "FIRING");

  NoSender sender;
  delivery::Engine engine(
      pool_, [] { return std::shared_ptr<const route::Routing>(); }, sender, systemClock(),
      delivery::EngineOptions{});
  engine.start();
  engine.stop(0);
  engine.handOver(claimed, 0);
  // Released (fenced by lease_seq), due now: the next node claims it without waiting out
  // the lease.
  EXPECT_EQ(db_.scalar("SELECT status || ' ' || (lease_until IS NULL) || ' ' || lease_seq || ' ' "
                       "|| (due_at <= now()) FROM deliveries WHERE id = '" +
                       id + "'"),
            "SCHEDULED true " + std::to_string(claimed[0].leaseSeq + 1) + " true");
  EXPECT_EQ(claimAll().size(), 1u);
}

}  // namespace
}  // namespace dispatch::test
