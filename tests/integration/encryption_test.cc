// Encryption at rest against a real PostgreSQL (contracts/config.md "Encryption"): after
// traffic of every kind, a pg_dump of the database holds none of the marker strings sent in
// bodies, payloads and headers (nor their hex, for bytea columns), while the API and the
// receivers see plaintext; `dispatch rekey` moves every row, plaintext ones included, to the
// first key; a missing key stops the server at start.
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

const char* kKey1 = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const char* kKey2 = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

// Every marker the test sends; none may reach the database in the clear.
const char* kMarkers[] = {"EVENT-BODY-MARK",    "EVENT-HEADER-MARK",     "TRANSFORMED-MARK",
                          "HEADER-OUT-MARK",    "JOB-PAYLOAD-MARK",      "JOB-HEADER-MARK",
                          "RESPONSE-BODY-MARK", "SCHEDULE-PAYLOAD-MARK", "SCHEDULE-HEADER-MARK",
                          "OLD-EVENT-MARK"};

std::string hexOfText(const std::string& s) { return hexOf(s); }

class EncryptionTest : public ::testing::Test {
 protected:
  DispatchOptions options(const std::string& keys, bool encrypt, const Receiver& recv) {
    DispatchOptions o;
    if (!keys.empty()) o.env["DISPATCH_MASTER_KEYS"] = keys;
    o.projectsYaml =
        std::string(
            "projects:\n"
            "  - name: alpha\n"
            "    signing_secret: ") +
        kAlphaSecret + "\n    encrypt_payloads: " + (encrypt ? "true" : "false") +
        "\n"
        "    sources:\n"
        "      - slug: enc-src\n"
        "        verify: { preset: none }\n"
        "        allow_unsigned: true\n"
        "        event_type: { header: X-Event }\n"
        "    destinations:\n"
        "      - name: plain\n        type: webhook\n        url: " +
        recv.url("/plain") +
        "\n"
        "      - name: shaped\n        type: webhook\n        url: " +
        recv.url("/shaped") +
        "\n"
        "    links:\n"
        "      - source: enc-src\n        destination: plain\n"
        "      - source: enc-src\n        destination: shaped\n"
        "        lua: |\n"
        "          function transform(event)\n"
        "            event.body = { copied = event.body.secret .. \"-TRANSFORMED-MARK\" }\n"
        "            event.headers_out = { [\"X-Out\"] = \"HEADER-OUT-MARK\" }\n"
        "            return event\n"
        "          end\n";
    return o;
  }

  // The database as pg_dump prints it (data only).
  std::string dump() {
    std::string cmd = "pg_dump --data-only --no-owner '" + db.url() + "' 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  }

  void expectNoMarkerIn(const std::string& dumpText, std::initializer_list<const char*> skip = {}) {
    ASSERT_NE(dumpText.find("COPY public.events"), std::string::npos) << dumpText.substr(0, 500);
    for (const char* m : kMarkers) {
      bool skipped = false;
      for (const char* s : skip) skipped |= std::string(s) == m;
      if (skipped) continue;
      EXPECT_EQ(dumpText.find(m), std::string::npos) << m;
      EXPECT_EQ(dumpText.find(hexOfText(m)), std::string::npos) << m << " (hex)";
    }
  }

  std::string count(const std::string& sql) { return db.scalar(sql); }

  TestDatabase db;
};

Receiver markingReceiver() {
  return Receiver([](int, const ReceivedRequest&) {
    return ScriptedResponse{200, "RESPONSE-BODY-MARK", {}, 0};
  });
}

TEST_F(EncryptionTest, TheDatabaseHoldsNoPlaintextWhileTheApiAndReceiversSeeIt) {
  Receiver recv = markingReceiver();
  DispatchProcess d(db, options(kKey1, true, recv));
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");

  std::string eventId =
      accepted(postHook(d, "enc-src", R"({"secret":"EVENT-BODY-MARK"})",
                        {{"X-Event", "push"}, {"X-Secret", "EVENT-HEADER-MARK"}}));
  ASSERT_FALSE(eventId.empty());
  auto job =
      d.call("POST", "/api/v1/jobs",
             R"({"title":"t","webhookUrl":")" + recv.url("/job") + R"(","fireAt":")" + isoIn(300) +
                 R"(","payload":{"m":"JOB-PAYLOAD-MARK"},"headers":{"X-Job":"JOB-HEADER-MARK"},)"
                 R"("callbackUrl":")" +
                 recv.url("/callback") + "\"}",
             {{"x-api-key", key}});
  ASSERT_EQ(job.status, 201) << job.body;
  std::string jobId = job.data()->find("id")->asString();
  auto sched =
      d.call("POST", "/api/v1/schedules",
             R"({"title":"s","webhookUrl":")" + recv.url("/s") +
                 R"(","cron":"@daily","paused":true,"payload":{"m":"SCHEDULE-PAYLOAD-MARK"},)"
                 R"("headers":{"X-S":"SCHEDULE-HEADER-MARK"}})",
             {{"x-api-key", key}});
  ASSERT_EQ(sched.status, 201) << sched.body;
  std::string scheduleId = sched.data()->find("id")->asString();

  // plain, shaped, the job, its callback.
  ASSERT_TRUE(recv.waitFor(4, 10000)) << recv.count() << d.log();
  std::map<std::string, ReceivedRequest> byPath;
  for (const auto& r : recv.requests()) byPath[r.path] = r;
  EXPECT_NE(byPath["/plain"].body.find("EVENT-BODY-MARK"), std::string::npos);
  EXPECT_NE(byPath["/shaped"].body.find("EVENT-BODY-MARK-TRANSFORMED-MARK"), std::string::npos);
  EXPECT_EQ(byPath["/shaped"].header("x-out"), "HEADER-OUT-MARK");
  EXPECT_NE(byPath["/job"].body.find("JOB-PAYLOAD-MARK"), std::string::npos);
  EXPECT_EQ(byPath["/job"].header("x-job"), "JOB-HEADER-MARK");
  EXPECT_NE(byPath["/callback"].body.find("RESPONSE-BODY-MARK"), std::string::npos);

  // The API shows plaintext to the key holder.
  ASSERT_TRUE(eventually(
      [&] {
        auto e = d.call("GET", "/api/v1/events/" + eventId, "", {{"x-api-key", key}});
        return e.status == 200 && e.body.find("RESPONSE-BODY-MARK") != std::string::npos;
      },
      5000));
  auto e = d.call("GET", "/api/v1/events/" + eventId, "", {{"x-api-key", key}});
  EXPECT_NE(e.body.find("EVENT-BODY-MARK"), std::string::npos) << e.body;
  EXPECT_NE(e.body.find("EVENT-HEADER-MARK"), std::string::npos) << e.body;
  auto j = d.call("GET", "/api/v1/jobs/" + jobId, "", {{"x-api-key", key}});
  EXPECT_NE(j.body.find("JOB-PAYLOAD-MARK"), std::string::npos) << j.body;
  EXPECT_NE(j.body.find("JOB-HEADER-MARK"), std::string::npos) << j.body;
  EXPECT_NE(j.body.find("RESPONSE-BODY-MARK"), std::string::npos) << j.body;
  auto s = d.call("GET", "/api/v1/schedules/" + scheduleId, "", {{"x-api-key", key}});
  EXPECT_NE(s.body.find("SCHEDULE-PAYLOAD-MARK"), std::string::npos) << s.body;
  EXPECT_NE(s.body.find("SCHEDULE-HEADER-MARK"), std::string::npos) << s.body;
  auto replay = d.call("POST", "/api/v1/events/" + eventId + "/replay", "", {{"x-api-key", key}});
  EXPECT_EQ(replay.status, 202) << replay.body;
  ASSERT_TRUE(recv.waitFor(6, 10000));

  // Every row is under k1, and the dump holds no marker, in text or in hex.
  for (const char* table : {"events", "jobs", "schedules", "deliveries", "attempts"}) {
    EXPECT_EQ(count(std::string("SELECT count(*) FROM ") + table + " WHERE key_id IS NULL"), "0")
        << table;
  }
  expectNoMarkerIn(dump());
  EXPECT_EQ(d.log().find(kKey1 + 3), std::string::npos);  // the key never in a log line
}

TEST_F(EncryptionTest, RekeyMovesEveryRowPlaintextIncludedToTheFirstKey) {
  Receiver recv = markingReceiver();
  std::string oldEvent;
  {
    // Written before the project encrypted: plaintext rows.
    DispatchProcess d(db, options("", false, recv));
    ASSERT_TRUE(d.start()) << d.log();
    oldEvent =
        accepted(postHook(d, "enc-src", R"({"secret":"OLD-EVENT-MARK"})", {{"X-Event", "push"}}));
    ASSERT_FALSE(oldEvent.empty());
    ASSERT_TRUE(recv.waitFor(2, 10000));
    d.kill(SIGTERM);
    d.wait(10000);
  }
  std::string key, newEvent;
  {
    DispatchProcess d(db, options(kKey1, true, recv));
    ASSERT_TRUE(d.start()) << d.log();
    key = d.createKey("alpha");
    newEvent =
        accepted(postHook(d, "enc-src", R"({"secret":"EVENT-BODY-MARK"})", {{"X-Event", "push"}}));
    ASSERT_FALSE(newEvent.empty());
    ASSERT_TRUE(recv.waitFor(4, 10000));
    // The old event still reads (plaintext row), the new one too (sealed).
    auto old = d.call("GET", "/api/v1/events/" + oldEvent, "", {{"x-api-key", key}});
    EXPECT_NE(old.body.find("OLD-EVENT-MARK"), std::string::npos) << old.body;
    d.kill(SIGTERM);
    d.wait(10000);
  }
  EXPECT_NE(dump().find(hexOfText("OLD-EVENT-MARK")), std::string::npos);  // plaintext so far
  EXPECT_NE(count("SELECT count(*) FROM events WHERE key_id = 'k1'"), "0");

  // Rotation: k2 first, k1 still listed. rekey moves everything to k2.
  DispatchOptions rotated = options(std::string(kKey2) + "," + kKey1, true, recv);
  DispatchProcess cfgHolder(db, rotated);  // writes the config file
  std::map<std::string, std::string> env = {
      {"DATABASE_URL", db.url()}, {"DISPATCH_MASTER_KEYS", rotated.env["DISPATCH_MASTER_KEYS"]}};
  auto r = runCliSplit({"rekey", "--config", cfgHolder.configPath()}, env);
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_NE(r.stdoutText.find("alpha: "), std::string::npos) << r.stdoutText;
  EXPECT_NE(r.stdoutText.find("events 2"), std::string::npos) << r.stdoutText;
  for (const char* table : {"events", "deliveries", "attempts"}) {
    EXPECT_EQ(
        count(std::string("SELECT count(*) FROM ") + table + " WHERE key_id IS DISTINCT FROM 'k2'"),
        "0")
        << table;
  }
  expectNoMarkerIn(dump(), {});
  // Again: nothing left to move.
  auto again = runCliSplit({"rekey", "--config", cfgHolder.configPath()}, env);
  ASSERT_EQ(again.exitCode, 0) << again.out;
  EXPECT_NE(again.stdoutText.find("events 0"), std::string::npos) << again.stdoutText;

  // k1 gone from the ring: every value still reads, as all are under k2.
  DispatchProcess d(db, options(kKey2, true, recv));
  ASSERT_TRUE(d.start()) << d.log();
  for (const auto& [id, marker] :
       {std::pair{oldEvent, "OLD-EVENT-MARK"}, std::pair{newEvent, "EVENT-BODY-MARK"}}) {
    auto ev = d.call("GET", "/api/v1/events/" + id, "", {{"x-api-key", key}});
    ASSERT_EQ(ev.status, 200) << ev.body;
    EXPECT_NE(ev.body.find(marker), std::string::npos) << ev.body;
    EXPECT_NE(ev.body.find("RESPONSE-BODY-MARK"), std::string::npos) << ev.body;
  }
}

TEST_F(EncryptionTest, AnEncryptingProjectWithoutKeysDoesNotStart) {
  Receiver recv;
  DispatchProcess d(db, options("", true, recv));
  EXPECT_FALSE(d.start(5000));
  EXPECT_NE(d.log().find("DISPATCH_MASTER_KEYS"), std::string::npos) << d.log();
}

TEST_F(EncryptionTest, ARowUnderAKeyNoLongerListedIsAnErrorNotGarbage) {
  Receiver recv = markingReceiver();
  std::string key, eventId, lateJob;
  {
    DispatchProcess d(db, options(kKey1, true, recv));
    ASSERT_TRUE(d.start()) << d.log();
    key = d.createKey("alpha");
    eventId =
        accepted(postHook(d, "enc-src", R"({"secret":"EVENT-BODY-MARK"})", {{"X-Event", "push"}}));
    ASSERT_TRUE(recv.waitFor(2, 10000));
    auto late = d.call("POST", "/api/v1/jobs",
                       R"({"title":"late","webhookUrl":")" + recv.url("/late") + R"(","fireAt":")" +
                           isoIn(3000) + R"(","payload":{"m":"JOB-PAYLOAD-MARK"}})",
                       {{"x-api-key", key}});
    ASSERT_EQ(late.status, 201) << late.body;
    lateJob = late.data()->find("id")->asString();
    d.kill(SIGTERM);
    d.wait(10000);
  }
  DispatchProcess d(db, options(kKey2, true, recv));  // k1 dropped without a rekey
  ASSERT_TRUE(d.start()) << d.log();
  auto ev = d.call("GET", "/api/v1/events/" + eventId, "", {{"x-api-key", key}});
  EXPECT_EQ(ev.status, 500) << ev.body;
  EXPECT_EQ(ev.body.find("EVENT-BODY-MARK"), std::string::npos);
  EXPECT_NE(d.log().find("does not open"), std::string::npos) << d.log();

  // The job sealed under k1 cannot be read: it ends DEAD with the reason, unattempted, and
  // does not hold up the claims of the others.
  auto fresh = d.call("POST", "/api/v1/jobs",
                      R"({"title":"fresh","webhookUrl":")" + recv.url("/fresh") +
                          R"(","fireAt":")" + isoIn(3500) + R"("})",
                      {{"x-api-key", key}});
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  ASSERT_TRUE(eventually(
      [&] { return count("SELECT status FROM deliveries WHERE id = '" + lateJob + "'") == "DEAD"; },
      8000))
      << d.log();
  EXPECT_NE(
      count("SELECT last_error FROM deliveries WHERE id = '" + lateJob + "'").find("does not open"),
      std::string::npos);
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& r : recv.requests()) {
          if (r.path == "/fresh") return true;
        }
        return false;
      },
      8000));
  for (const auto& r : recv.requests()) EXPECT_NE(r.path, "/late");
}

}  // namespace
}  // namespace dispatch::test
