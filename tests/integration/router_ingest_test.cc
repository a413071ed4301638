// Source endpoints, after verification: event types (header, dot-paths), the body stored and
// delivered byte-for-byte, size limits, idempotency (also under concurrency), and durability
// of every 202 across a SIGKILL during an ingest burst.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

std::string ingestProjects(const Receiver& r1, const Receiver& r2) {
  return "projects:\n"
         "  - name: alpha\n"
         "    signing_secret: " +
         std::string(kAlphaSecret) +
         "\n"
         "    sources:\n"
         "      - slug: by-header\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n"
         "        event_type: { header: X-Event-Type }\n"
         "        idempotency_header: X-Request-Id\n"
         "      - slug: path-abc\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n"
         "        event_type: { path: a.b.c }\n"
         "      - slug: path-items\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n"
         "        event_type: { path: items.0.type }\n"
         "      - slug: path-num\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n"
         "        event_type: { path: n }\n"
         "    destinations:\n"
         "      - name: d1\n"
         "        type: webhook\n"
         "        url: " +
         r1.url("/d1") +
         "\n"
         "      - name: d2\n"
         "        type: webhook\n"
         "        url: " +
         r2.url("/d2") +
         "\n"
         "    links:\n"
         "      - { source: by-header, destination: d1 }\n"
         "      - { source: by-header, destination: d2 }\n"
         "      - { source: path-abc, destination: d1 }\n";
}

class IngestFixture : public ::testing::Test {
 protected:
  void startWith(DispatchOptions o = {}) {
    o.projectsYaml = ingestProjects(r1, r2);
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
  }

  std::string post(const std::string& slug, const std::string& body, const Headers& h = {}) {
    std::string why;
    std::string id = accepted(postHook(*d, slug, body, h), &why);
    EXPECT_FALSE(id.empty()) << slug << ": " << why;
    return id;
  }

  std::string typeOf(const std::string& id) { return str(getEvent(*d, id).data(), "eventType"); }

  TestDatabase db;
  Receiver r1;
  Receiver r2;
  std::unique_ptr<DispatchProcess> d;
};

// ------------------------------------------------------------------ event types
using IngestEventType = IngestFixture;

TEST_F(IngestEventType, FromHeaderAndDotPaths) {
  startWith();
  EXPECT_EQ(typeOf(post("by-header", "{}", {{"X-Event-Type", "order.created"}})), "order.created");
  EXPECT_EQ(typeOf(post("by-header", "{}")), "");  // header absent

  EXPECT_EQ(typeOf(post("path-abc", R"({"a":{"b":{"c":"deep.type"}},"c":"no"})")), "deep.type");
  EXPECT_EQ(typeOf(post("path-abc", R"({"a":{"b":{}}})")), "");  // missing leaf
  EXPECT_EQ(typeOf(post("path-abc", R"({"a":"scalar"})")), "");  // wrong shape
  EXPECT_EQ(typeOf(post("path-abc", "not json at all", {{"Content-Type", "text/plain"}})), "");

  EXPECT_EQ(typeOf(post("path-items", R"({"items":[{"type":"first"},{"type":"second"}]})")),
            "first");
  EXPECT_EQ(typeOf(post("path-items", R"({"items":[]})")), "");

  EXPECT_EQ(typeOf(post("path-num", R"({"n":42})")), "42");
  EXPECT_EQ(typeOf(post("path-num", R"({"n":1.50})")), "1.50");
  EXPECT_EQ(typeOf(post("path-num", R"({"n":"text"})")), "text");
  EXPECT_EQ(typeOf(post("path-num", R"({"m":1})")), "");

  // The list endpoint shows the same type.
  auto list = d->call("GET", "/api/v1/events?type=deep.type", "", asAdmin());
  ASSERT_EQ(list.status, 200) << list.body;
  auto evs = arrayAt(list.data(), "events");
  ASSERT_EQ(evs.size(), 1u) << list.body;
  EXPECT_EQ(str(evs[0], "eventType"), "deep.type");
  EXPECT_EQ(str(evs[0], "source"), "path-abc");
}

// ------------------------------------------------------------------ bodies
using IngestBody = IngestFixture;

TEST_F(IngestBody, StoredAndDeliveredByteForByte) {
  startWith();
  // Spacing, key order, escapes and number spellings a re-serialisation would change.
  const std::string body =
      "{ \"z\" : 1.50, \"a\":[1,2 ,3],\n \"big\": 12345678901234567890, \"s\":\"\\u00e9\\n\" }\n";
  std::string id = post("by-header", body, {{"X-Event-Type", "t"}});
  auto ev = getEvent(*d, id);
  ASSERT_EQ(ev.status, 200) << ev.body;
  EXPECT_EQ(str(ev.data(), "body"), body);
  EXPECT_EQ(ev.data()->find("bodyEncoding"), nullptr) << ev.body;
  ASSERT_TRUE(r1.waitFor(1, 5000));
  EXPECT_EQ(r1.requests()[0].body, body);
  EXPECT_EQ(r1.requests()[0].header("content-type"), "application/json");
}

TEST_F(IngestBody, NonJsonBodyIsAcceptedAndKeepsItsContentType) {
  startWith();
  const std::string body = "plain text, not { json";
  std::string id =
      post("by-header", body, {{"Content-Type", "text/plain"}, {"X-Event-Type", "note"}});
  auto ev = getEvent(*d, id);
  EXPECT_EQ(str(ev.data(), "body"), body);
  EXPECT_EQ(str(ev.data(), "eventType"), "note");
  ASSERT_TRUE(r1.waitFor(1, 5000));
  EXPECT_EQ(r1.requests()[0].body, body);
  EXPECT_EQ(r1.requests()[0].header("content-type"), "text/plain");
}

TEST_F(IngestBody, InvalidUtf8ComesBackAsBase64) {
  startWith();
  const char raw[] = "\xff\xfe raw \x80\x00 bytes \xc3";
  const std::string body(raw, sizeof(raw) - 1);
  std::string id = post("by-header", body, {{"Content-Type", "application/octet-stream"}});
  auto ev = getEvent(*d, id);
  ASSERT_EQ(ev.status, 200) << ev.body;
  EXPECT_EQ(str(ev.data(), "bodyEncoding"), "base64");
  EXPECT_EQ(unb64(str(ev.data(), "body")), body);
  EXPECT_EQ(str(ev.data(), "body"), b64Of(body));
  ASSERT_TRUE(r1.waitFor(1, 5000));
  EXPECT_EQ(r1.requests()[0].body, body);  // delivered as received
}

TEST_F(IngestBody, OverMaxBodyBytesIs413WithContentLengthAndChunked) {
  DispatchOptions o;
  o.serverMaxBodyBytes = "2KiB";
  startWith(o);
  std::string atLimit = "\"" + std::string(2048 - 2, 'x') + "\"";
  ASSERT_EQ(atLimit.size(), 2048u);
  post("by-header", atLimit);
  std::string over = "\"" + std::string(4096, 'y') + "\"";
  auto r = callOrError(*d, "POST", "/hooks/by-header", over, {});
  EXPECT_TRUE(isError(r, 413, "Request body too large")) << r.status << " " << r.body;
  auto chunked = postChunked(d->port(), "/hooks/by-header", over);
  EXPECT_TRUE(isError(chunked, 413, "Request body too large"))
      << chunked.status << " " << chunked.body;
  // A chunked body within the limit is accepted and stored whole.
  std::string small = "{\"chunked\":\"" + std::string(1500, 'z') + "\"}";
  auto ok = postChunked(d->port(), "/hooks/by-header", small);
  ASSERT_EQ(ok.status, 202) << ok.body;
  EXPECT_EQ(str(getEvent(*d, str(ok.data(), "event_id")).data(), "body"), small);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events"), "2");
  EXPECT_EQ(d->call("GET", "/healthz").status, 200);
}

// ------------------------------------------------------------------ idempotency
using IngestIdempotency = IngestFixture;

TEST_F(IngestIdempotency, SecondRequestIsDuplicateWithFirstIdAndNoSecondDelivery) {
  startWith();
  auto first = postHook(*d, "by-header", R"({"n":1})", {{"X-Request-Id", "req-1"}});
  std::string id = accepted(first);
  ASSERT_FALSE(id.empty()) << first.body;
  auto second = postHook(*d, "by-header", R"({"n":2})", {{"X-Request-Id", "req-1"}});
  EXPECT_TRUE(isOk(second, 200, "Duplicate event"));
  EXPECT_EQ(str(second.data(), "event_id"), id);
  // Another value, or no header, is a new event.
  EXPECT_FALSE(accepted(postHook(*d, "by-header", "{}", {{"X-Request-Id", "req-2"}})).empty());
  ASSERT_TRUE(r1.waitFor(2, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(r1.count(), 2u);
  EXPECT_EQ(r2.count(), 2u);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events"), "2");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM deliveries WHERE event_id = '" + id + "'"), "2");
  // The stored body is the first one.
  EXPECT_EQ(str(getEvent(*d, id).data(), "body"), R"({"n":1})");
}

TEST_F(IngestIdempotency, ConcurrentRequestsWithSameValueMakeExactlyOneEvent) {
  startWith();
  constexpr int kThreads = 12;
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "concurrent-" + std::to_string(round);
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::mutex mu;
    std::vector<ApiResponse> results;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ++ready;
        while (!go) std::this_thread::yield();
        ApiResponse r = callOrError(*d, "POST", "/hooks/by-header",
                                    "{\"t\":" + std::to_string(t) + "}", {{"X-Request-Id", key}});
        std::lock_guard<std::mutex> g(mu);
        results.push_back(std::move(r));
      });
    }
    while (ready < kThreads) std::this_thread::yield();
    go = true;
    for (auto& t : threads) t.join();

    int created = 0, duplicates = 0;
    std::set<std::string> ids;
    for (const auto& r : results) {
      if (r.status == 202) ++created;
      if (isOk(r, 200, "Duplicate event")) ++duplicates;
      ids.insert(str(r.data(), "event_id"));
    }
    EXPECT_EQ(created, 1) << "round " << round;
    EXPECT_EQ(duplicates, kThreads - 1) << "round " << round;
    EXPECT_EQ(ids.size(), 1u) << "round " << round;
    EXPECT_EQ(db.scalar("SELECT count(*) FROM events WHERE idempotency_key = '" + key + "'"), "1");
    EXPECT_EQ(db.scalar("SELECT count(*) FROM deliveries d JOIN events e ON e.id = d.event_id "
                        "WHERE e.idempotency_key = '" +
                        key + "'"),
              "2");
  }
  ASSERT_TRUE(r1.waitFor(kRounds, 5000));
  ASSERT_TRUE(r2.waitFor(kRounds, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(r1.count(), static_cast<size_t>(kRounds));
  EXPECT_EQ(r2.count(), static_cast<size_t>(kRounds));
}

// ------------------------------------------------------------------ store
using IngestStore = IngestFixture;

TEST_F(IngestStore, UnreachableStoreIs503AndNothingIsAccepted) {
  startWith();
  post("by-header", "{}");
  db.drop();
  auto r = callOrError(*d, "POST", "/hooks/by-header", R"({"lost":true})", {});
  EXPECT_EQ(r.status, 503) << r.body;
  ASSERT_TRUE(r.json) << r.body;
  EXPECT_FALSE(r.json->find("status")->asBool()) << r.body;
  EXPECT_TRUE(d->running());
}

// ------------------------------------------------------------------ crash during ingest
TEST(IngestCrash, SigkillDuringBurstLosesNoAcceptedEvent) {
  TestDatabase db;
  Receiver recv;
  const std::string secret = "crash-secret-16bytes";
  DispatchOptions o;
  o.deliveryYaml = deliveryYaml("lease: 1s");
  o.projectsYaml =
      "projects:\n"
      "  - name: alpha\n"
      "    signing_secret: " +
      std::string(kAlphaSecret) +
      "\n"
      "    sources:\n"
      "      - slug: burst\n"
      "        verify: { preset: hmac, secret: " +
      secret +
      " }\n"
      "    destinations:\n"
      "      - name: sink\n"
      "        type: webhook\n"
      "        url: " +
      recv.url() +
      "\n"
      "        retry: { max_attempts: 10, backoff: fixed, initial: 200ms }\n"
      "    links:\n"
      "      - { source: burst, destination: sink }\n";
  auto first = std::make_unique<DispatchProcess>(db, o);
  ASSERT_TRUE(first->start()) << first->log();
  const int port = first->port();

  constexpr int kThreads = 4;
  constexpr int kTotal = 300;
  std::atomic<int> next{0};
  std::mutex mu;
  std::set<std::string> acceptedIds;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (true) {
        int n = next++;
        if (n >= kTotal) return;
        std::string body = "{\"n\":" + std::to_string(n) + "}";
        try {
          auto r = httpCall(port, "POST", "/hooks/burst", body,
                            {{"X-Hub-Signature-256", "sha256=" + hexOf(hmac256(secret, body))}});
          if (r.status == 202) {
            std::lock_guard<std::mutex> g(mu);
            acceptedIds.insert(str(r.data(), "event_id"));
            // Killed by the request that makes 150, while the others are still posting.
            if (acceptedIds.size() == 150) first->kill(SIGKILL);
          } else {
            return;
          }
        } catch (...) {
          return;  // the server is gone
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(first->wait(5000), 128 + SIGKILL);
  std::set<std::string> mustArrive;
  {
    std::lock_guard<std::mutex> g(mu);
    mustArrive = acceptedIds;
  }
  ASSERT_GE(mustArrive.size(), 150u);
  ASSERT_LT(mustArrive.size(), static_cast<size_t>(kTotal)) << "the burst finished before the kill";

  DispatchProcess second(db, o);
  ASSERT_TRUE(second.start()) << second.log();
  auto delivered = [&] {
    std::set<std::string> ids;
    for (const auto& r : recv.requests()) ids.insert(r.header("webhook-id"));
    return ids;
  };
  bool all = eventually(
      [&] {
        auto got = delivered();
        for (const auto& id : mustArrive) {
          if (!got.count(id)) return false;
        }
        return true;
      },
      30000);
  auto got = delivered();
  size_t missing = 0;
  for (const auto& id : mustArrive) missing += got.count(id) ? 0 : 1;
  EXPECT_TRUE(all) << missing << " of " << mustArrive.size() << " accepted events never delivered";
  // Whatever was delivered is a persisted event (nothing invented, nothing half-written).
  for (const auto& id : got) {
    EXPECT_EQ(db.scalar("SELECT count(*) FROM events WHERE id = '" + id + "'"), "1") << id;
  }
  // Every persisted event has its delivery (the fan-out is in the same transaction).
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM deliveries "
                      "d WHERE d.event_id = e.id)"),
            "0");
  EXPECT_GE(std::stoll(db.scalar("SELECT count(*) FROM events")),
            static_cast<long long>(mustArrive.size()));
}

}  // namespace
}  // namespace dispatch::test
