// Schedules end to end against a real PostgreSQL and receivers: the API, a tick's one job
// (one node, two nodes, a node killed around the tick), missed ticks, pause and delete.
// A tick is brought near by moving the stored next tick (the seconds-precision test hook):
// the minute arithmetic itself is the unit tests' (tests/unit/schedule/).
#include <gtest/gtest.h>

#include <csignal>
#include <set>
#include <thread>

#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

class ScheduleTest : public ::testing::Test {
 protected:
  // Creates a schedule through `d` and returns its id.
  std::string create(const DispatchProcess& d, const std::string& key, const std::string& fields) {
    auto r = d.call("POST", "/api/v1/schedules", "{" + fields + "}", {{"x-api-key", key}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.data() ? r.data()->find("id")->asString() : "";
  }
  // The test hook: the schedule's next tick `inMs` from now (it also resumes it).
  TimeMs armIn(const std::string& id, int64_t inMs) {
    TimeMs at = nowMs() + inMs;
    db.exec("UPDATE schedules SET paused = false, next_fire_at = ms_to_ts(" + std::to_string(at) +
            ") WHERE id = '" + id + "'");
    return at;
  }
  std::string jobsOfTick(const std::string& id, TimeMs tick) {
    return db.scalar("SELECT count(*) FROM jobs WHERE schedule_id = '" + id +
                     "' AND fire_at = ms_to_ts(" + std::to_string(tick) + ")");
  }
  static std::string fields(const std::string& url, const std::string& extra = "",
                            const std::string& cron = "* * * * *") {
    return R"("title":"every minute","webhookUrl":")" + url + R"(","cron":")" + cron +
           R"(","payload":{"k":1})" + extra;
  }

  TestDatabase db;
};

const std::set<std::string> kScheduleKeys = {
    "id",          "projectId", "title",          "webhookUrl", "cron",
    "timezone",    "payload",   "redactResponse", "paused",     "nextFireAt",
    "lastFiredAt", "createdAt", "updatedAt"};

std::set<std::string> keysOf(const json::Value* v) {
  std::set<std::string> out;
  for (const auto& [k, ignored] : v->members()) out.insert(k);
  return out;
}

TEST_F(ScheduleTest, CreateListGetPatchDeleteWithTheContractsShapesAndRefusals) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string other = d.createKey("beta");
  const std::string url = "http://127.0.0.1:9/h";

  TimeMs before = nowMs();
  auto r = d.call("POST", "/api/v1/schedules",
                  "{" + fields(url, R"(,"timezone":"Europe/Berlin","headers":{"X-T":"1"})") + "}",
                  {{"x-api-key", key}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find("Schedule created successfully"), std::string::npos);
  const json::Value* s = r.data();
  EXPECT_EQ(keysOf(s).size(), kScheduleKeys.size() + 1) << r.body;  // + headers
  for (const auto& k : kScheduleKeys) EXPECT_NE(s->find(k), nullptr) << k;
  std::string id = s->find("id")->asString();
  EXPECT_EQ(s->find("cron")->asString(), "* * * * *");
  EXPECT_EQ(s->find("timezone")->asString(), "Europe/Berlin");
  EXPECT_EQ(s->find("payload")->raw(), R"({"k":1})");
  EXPECT_FALSE(s->find("paused")->asBool());
  EXPECT_TRUE(s->find("lastFiredAt")->isNull());
  // Every minute: the next whole minute after now.
  TimeMs next = *parseIsoUtc(s->find("nextFireAt")->asString());
  EXPECT_EQ(next % 60000, 0);
  EXPECT_GT(next, before);
  EXPECT_LE(next, before + 60000);

  // Refusals naming the field; nothing stored.
  const std::pair<std::string, std::string> bad[] = {
      {R"("title":"x","webhookUrl":")" + url + "\"", "cron is required"},
      {R"("title":"x","webhookUrl":")" + url + R"(","cron":"61 * * * *")", "cron is not valid"},
      {R"("title":"x","webhookUrl":")" + url + R"(","cron":"0 0 30 2 *")", "cron is not valid"},
      {R"("title":"x","webhookUrl":")" + url + R"(","cron":"@often")", "cron is not valid"},
      {fields(url, R"(,"timezone":"Mars/Olympus")"), "timezone must be an IANA time zone"},
      {fields(url, R"(,"paused":"yes")"), "paused must be a boolean"},
      {R"("webhookUrl":")" + url + R"(","cron":"* * * * *")", "title is required"},
  };
  for (const auto& [body, message] : bad) {
    auto b = d.call("POST", "/api/v1/schedules", "{" + body + "}", {{"x-api-key", key}});
    EXPECT_EQ(b.status, 400) << body;
    EXPECT_NE(b.body.find(message), std::string::npos) << b.body;
  }
  auto admin = d.call("POST", "/api/v1/schedules", "{" + fields(url) + "}",
                      {{"Authorization", std::string("Bearer ") + kAdminToken}});
  EXPECT_EQ(admin.status, 400);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM schedules"), "1");

  // A second one; the list is newest first.
  std::string second = create(d, key, fields(url, R"(,"cron":"@daily","paused":true)"));
  auto list = d.call("GET", "/api/v1/schedules?limit=1", "", {{"x-api-key", key}});
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("Schedules fetched successfully"), std::string::npos);
  const auto& items = list.data()->find("schedules")->items();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].find("id")->asString(), second);
  EXPECT_TRUE(items[0].find("nextFireAt")->isNull());  // paused
  EXPECT_EQ(list.data()->find("pagination")->find("total")->asInt(), 2);
  auto otherList = d.call("GET", "/api/v1/schedules", "", {{"x-api-key", other}});
  EXPECT_EQ(otherList.data()->find("pagination")->find("total")->asInt(), 0);

  auto g = d.call("GET", "/api/v1/schedules/" + id, "", {{"x-api-key", key}});
  ASSERT_EQ(g.status, 200);
  ASSERT_NE(g.data()->find("recentJobs"), nullptr);
  EXPECT_EQ(d.call("GET", "/api/v1/schedules/" + id, "", {{"x-api-key", other}}).status, 404);
  EXPECT_EQ(d.call("PATCH", "/api/v1/schedules/" + id, R"({"paused":true})",
                   {{"x-api-key", other}, {"Content-Type", "application/json"}})
                .status,
            404);
  EXPECT_EQ(d.call("DELETE", "/api/v1/schedules/" + id, "", {{"x-api-key", other}}).status, 404);

  // Pause: no next fire; resume: the next whole minute again; a new cron recomputes it.
  auto p = d.call("PATCH", "/api/v1/schedules/" + id, R"({"paused":true})",
                  {{"x-api-key", key}, {"Content-Type", "application/json"}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_NE(p.body.find("Schedule updated successfully"), std::string::npos);
  EXPECT_TRUE(p.data()->find("paused")->asBool());
  EXPECT_TRUE(p.data()->find("nextFireAt")->isNull());
  auto resumed = d.call("PATCH", "/api/v1/schedules/" + id, R"({"paused":false,"title":"renamed"})",
                        {{"x-api-key", key}, {"Content-Type", "application/json"}});
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(resumed.data()->find("title")->asString(), "renamed");
  EXPECT_EQ(*parseIsoUtc(resumed.data()->find("nextFireAt")->asString()) % 60000, 0);
  auto daily = d.call("PATCH", "/api/v1/schedules/" + id, R"({"cron":"0 9 * * *"})",
                      {{"x-api-key", key}, {"Content-Type", "application/json"}});
  ASSERT_EQ(daily.status, 200) << daily.body;
  // 09:00 in Berlin is 07:00 or 08:00 UTC.
  std::string at = daily.data()->find("nextFireAt")->asString();
  EXPECT_TRUE(at.substr(11) == "07:00:00.000Z" || at.substr(11) == "08:00:00.000Z") << at;
  auto badPatch = d.call("PATCH", "/api/v1/schedules/" + id, R"({"timezone":"Nowhere/Land"})",
                         {{"x-api-key", key}, {"Content-Type", "application/json"}});
  EXPECT_EQ(badPatch.status, 400);
  EXPECT_EQ(db.scalar("SELECT timezone FROM schedules WHERE id = '" + id + "'"), "Europe/Berlin");

  auto del = d.call("DELETE", "/api/v1/schedules/" + id, "", {{"x-api-key", key}});
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_NE(del.body.find("Schedule deleted successfully"), std::string::npos);
  EXPECT_TRUE(del.data() == nullptr || del.data()->isNull());
  EXPECT_EQ(d.call("GET", "/api/v1/schedules/" + id, "", {{"x-api-key", key}}).status, 404);
  EXPECT_EQ(d.call("DELETE", "/api/v1/schedules/" + id, "", {{"x-api-key", key}}).status, 404);
  EXPECT_EQ(d.call("GET", "/api/v1/schedules/not-a-uuid", "", {{"x-api-key", key}}).status, 404);
}

TEST_F(ScheduleTest, ATickFiresItsJobOnceAtItsMillisecondWithTheScheduleHeader) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string id = create(d, key, fields(recv.url(), R"(,"paused":true,"headers":{"X-T":"v"})"));
  TimeMs tick = armIn(id, 1500);
  ASSERT_TRUE(recv.waitFor(1, 8000));
  auto req = recv.requests()[0];
  EXPECT_GE(req.receivedAt, tick);
  EXPECT_EQ(req.header("x-dispatch-schedule-id"), id);
  EXPECT_EQ(req.header("x-t"), "v");
  auto body = json::parse(req.body);
  ASSERT_TRUE(body.isOk());
  std::string jobId = body->find("jobId")->asString();
  EXPECT_EQ(body->find("payload")->raw(), R"({"k":1})");

  auto job = d.call("GET", "/api/v1/jobs/" + jobId, "", {{"x-api-key", key}});
  ASSERT_EQ(job.status, 200);
  EXPECT_EQ(job.data()->find("scheduleId")->asString(), id);
  EXPECT_EQ(*parseIsoUtc(job.data()->find("fireAt")->asString()), tick);
  ASSERT_TRUE(eventually(
      [&] {
        auto s = d.call("GET", "/api/v1/schedules/" + id, "", {{"x-api-key", key}});
        const json::Value* last = s.data() ? s.data()->find("lastFiredAt") : nullptr;
        return last && last->isString() && *parseIsoUtc(last->asString()) == tick &&
               !s.data()->find("recentJobs")->items().empty();
      },
      3000));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(jobsOfTick(id, tick), "1");
  size_t forTick = 0;
  for (const auto& r : recv.requests()) {
    auto b = json::parse(r.body);
    if (b.isOk() && b->find("jobId")->asString() == jobId) ++forTick;
  }
  EXPECT_EQ(forTick, 1u);
}

TEST_F(ScheduleTest, TwoNodesMakeOneJobPerTick) {
  Receiver recv;
  DispatchProcess a(db), b(db);
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  std::string key = a.createKey("alpha");
  std::vector<std::pair<std::string, TimeMs>> ticks;
  for (int i = 0; i < 20; ++i) {
    std::string id = create(i % 2 ? a : b, key, fields(recv.url(), R"(,"paused":true)"));
    ticks.emplace_back(id, 0);
  }
  for (auto& [id, tick] : ticks) tick = armIn(id, 1500);
  ASSERT_TRUE(recv.waitFor(20, 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // Per job: the armed tick's job arrives once (the schedule's next minute may fire as well
  // when the test runs across a minute boundary; that is another job).
  std::map<std::string, int> perJob;
  for (const auto& r : recv.requests()) {
    auto body = json::parse(r.body);
    if (body.isOk()) ++perJob[body->find("jobId")->asString()];
  }
  for (const auto& [id, tick] : ticks) {
    ASSERT_EQ(jobsOfTick(id, tick), "1") << id;
    std::string job = db.scalar("SELECT id FROM jobs WHERE schedule_id = '" + id +
                                "' AND fire_at = ms_to_ts(" + std::to_string(tick) + ")");
    EXPECT_EQ(perJob[job], 1) << id;
  }
}

TEST_F(ScheduleTest, ANodeKilledAroundATickLeavesOneJobForIt) {
  Receiver recv;
  DispatchOptions o;
  auto first = std::make_unique<DispatchProcess>(db, o);
  ASSERT_TRUE(first->start()) << first->log();
  std::string key = first->createKey("alpha");
  std::vector<std::pair<std::string, TimeMs>> ticks;
  // Yearly: no tick of the schedule's own falls near the armed ones. With `* * * * *` a minute
  // boundary passing during the test made the tick a node fires for a missed one the boundary's,
  // after the armed tick (a flake a clean-clone CI rehearsal hit under ASan).
  for (int i = 0; i < 10; ++i) {
    ticks.emplace_back(create(*first, key, fields(recv.url(), R"(,"paused":true)", "0 0 1 1 *")),
                       0);
  }
  // Ticks spread around the kill: some made by the first node, some not yet.
  for (size_t i = 0; i < ticks.size(); ++i) ticks[i].second = armIn(ticks[i].first, 200 * i);
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  first->kill(SIGKILL);
  first->wait(5000);
  DispatchProcess second(db, o);
  ASSERT_TRUE(second.start()) << second.log();
  ASSERT_TRUE(recv.waitFor(10, 15000)) << recv.count();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::map<std::string, int> perSchedule;
  for (const auto& r : recv.requests()) ++perSchedule[r.header("x-dispatch-schedule-id")];
  for (const auto& [id, tick] : ticks) {
    EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs WHERE schedule_id = '" + id +
                        "' AND fire_at <= ms_to_ts(" + std::to_string(tick) + ")"),
              "1")
        << id;
    EXPECT_GE(perSchedule[id], 1) << id;  // a job killed mid-attempt may be delivered twice
  }
}

TEST_F(ScheduleTest, TicksMissedWhileNoNodeRanFireOnceForTheMostRecent) {
  Receiver recv;
  std::string id;
  {
    DispatchProcess d(db);
    ASSERT_TRUE(d.start()) << d.log();
    std::string key = d.createKey("alpha");
    id = create(d, key, fields(recv.url(), R"(,"paused":true)"));
    d.kill(SIGTERM);
    d.wait(10000);
  }
  // Down for ten minutes: the stored next tick is ten whole minutes back.
  TimeMs tenBack = (nowMs() / 60000 - 10) * 60000;
  db.exec("UPDATE schedules SET paused = false, next_fire_at = ms_to_ts(" +
          std::to_string(tenBack) + ") WHERE id = '" + id + "'");
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_TRUE(recv.waitFor(1, 8000));
  TimeMs after = nowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  // One job for the latest whole minute at or before its making; none for the nine before it.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs WHERE schedule_id = '" + id +
                      "' AND fire_at <= ms_to_ts(" + std::to_string(after) + ")"),
            "1");
  TimeMs fired = std::stoll(
      db.scalar("SELECT ts_to_ms(min(fire_at)) FROM jobs WHERE schedule_id = '" + id + "'"));
  EXPECT_EQ(fired % 60000, 0);
  EXPECT_GE(fired, (after / 60000 - 1) * 60000);
  std::string jobId =
      db.scalar("SELECT id FROM jobs WHERE fire_at = ms_to_ts(" + std::to_string(fired) + ")");
  size_t forJob = 0;
  for (const auto& r : recv.requests()) {
    auto b = json::parse(r.body);
    if (b.isOk() && b->find("jobId")->asString() == jobId) ++forJob;
  }
  EXPECT_EQ(forJob, 1u);
}

TEST_F(ScheduleTest, PauseAndDeleteWithdrawTheJobMadeAheadOfItsTick) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string paused = create(d, key, fields(recv.url(), R"(,"paused":true)"));
  std::string deleted = create(d, key, fields(recv.url(), R"(,"paused":true)"));
  // Ticks 20 s ahead: within the ticker's lead, so their jobs are made at once.
  TimeMs t1 = armIn(paused, 20000);
  TimeMs t2 = armIn(deleted, 20000);
  ASSERT_TRUE(eventually(
      [&] { return jobsOfTick(paused, t1) == "1" && jobsOfTick(deleted, t2) == "1"; }, 5000));
  auto p = d.call("PATCH", "/api/v1/schedules/" + paused, R"({"paused":true})",
                  {{"x-api-key", key}, {"Content-Type", "application/json"}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_TRUE(p.data()->find("nextFireAt")->isNull());
  ASSERT_EQ(d.call("DELETE", "/api/v1/schedules/" + deleted, "", {{"x-api-key", key}}).status, 200);
  // Their jobs are withdrawn (CANCELLED), and nothing is made again for either schedule.
  const std::string ofBoth =
      "FROM jobs j JOIN deliveries d ON d.id = j.id WHERE j.schedule_id IN ('" + paused + "', '" +
      deleted + "')";
  EXPECT_EQ(db.scalar("SELECT count(*) " + ofBoth + " AND d.status <> 'CANCELLED'"), "0");
  std::string made = db.scalar("SELECT count(*) " + ofBoth);
  EXPECT_GE(std::stoi(made), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(db.scalar("SELECT count(*) " + ofBoth), made);
  EXPECT_EQ(recv.count(), 0u);
}

}  // namespace
}  // namespace dispatch::test
