// The job API of contracts/http-api.md against a real server: validation, auth, shapes,
// idempotency, cancellation (also racing the timer), isolation, listing and callbacks.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

using std::chrono::milliseconds;

class JobApiTest : public ::testing::Test {
 protected:
  std::string projectId(const std::string& name) const {
    return db.scalar("SELECT id FROM projects WHERE name = '" + name + "'");
  }
  TestDatabase db;
};

const std::set<std::string> kJobKeys = {"id",        "projectId", "title",  "webhookUrl",
                                        "payload",   "fireAt",    "status", "retryCount",
                                        "createdAt", "updatedAt"};

std::set<std::string> plus(std::set<std::string> s, std::initializer_list<const char*> more) {
  for (const char* m : more) s.insert(m);
  return s;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// A payload object whose JSON text is exactly `bytes` long.
std::string payloadOfSize(size_t bytes) {
  return R"({"s":")" + std::string(bytes - 8, 'x') + R"("})";
}

TEST_F(JobApiTest, EveryFieldErrorIs400NamingTheField) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  const std::string url = recv.url();
  const std::string at = isoIn(3'600'000);
  auto post = [&](const std::string& body) {
    return d.call("POST", "/api/v1/jobs", body, withKey(key));
  };
  // The baseline is valid, so each case below fails on its one bad field only.
  ASSERT_EQ(post(jobRequest(url, at)).status, 201);

  struct Case {
    const char* name;
    std::string body;
    const char* field;
  };
  const std::string title = R"("webhookUrl":")" + url + R"(","fireAt":")" + at + "\"";
  const std::string noUrl = R"("title":"t","fireAt":")" + at + "\"";
  const std::string noFire = R"("title":"t","webhookUrl":")" + url + "\"";
  auto withFire = [&](const std::string& v) { return "{" + noFire + R"(,"fireAt":)" + v + "}"; };
  auto withUrl = [&](const std::string& v) { return "{" + noUrl + R"(,"webhookUrl":)" + v + "}"; };
  std::vector<Case> cases = {
      {"title missing", "{" + title + "}", "title"},
      {"title null", R"({"title":null,)" + title + "}", "title"},
      {"title number", R"({"title":42,)" + title + "}", "title"},
      {"title array", R"({"title":["t"],)" + title + "}", "title"},
      {"title empty", R"({"title":"",)" + title + "}", "title"},
      {"title 201 chars", R"({"title":")" + std::string(201, 'a') + R"(",)" + title + "}", "title"},
      {"title 201 multibyte chars", R"({"title":")" + repeat("é", 201) + R"(",)" + title + "}",
       "title"},
      {"webhookUrl missing", "{" + noUrl + "}", "webhookUrl"},
      {"webhookUrl number", withUrl("7"), "webhookUrl"},
      {"webhookUrl relative", withUrl(R"("/hook")"), "webhookUrl"},
      {"webhookUrl no scheme", withUrl(R"("127.0.0.1/hook")"), "webhookUrl"},
      {"webhookUrl ftp", withUrl(R"("ftp://127.0.0.1/hook")"), "webhookUrl"},
      {"webhookUrl empty", withUrl(R"("")"), "webhookUrl"},
      {"fireAt missing", "{" + noFire + "}", "fireAt"},
      {"fireAt number", withFire("1893456000000"), "fireAt"},
      {"fireAt object", withFire("{}"), "fireAt"},
      {"fireAt +05:30", withFire(R"("2040-01-01T10:00:00.000+05:30")"), "fireAt"},
      {"fireAt +00:00", withFire(R"("2040-01-01T10:00:00.000+00:00")"), "fireAt"},
      {"fireAt without Z", withFire(R"("2040-01-01T10:00:00.000")"), "fireAt"},
      {"fireAt lowercase z", withFire(R"("2040-01-01T10:00:00.000z")"), "fireAt"},
      {"fireAt date only", withFire(R"("2040-01-01")"), "fireAt"},
      {"fireAt space separator", withFire(R"("2040-01-01 10:00:00Z")"), "fireAt"},
      {"fireAt impossible date", withFire(R"("2040-02-30T10:00:00.000Z")"), "fireAt"},
      {"fireAt garbage", withFire(R"("tomorrow")"), "fireAt"},
      {"callbackUrl relative", jobRequest(url, at, R"(,"callbackUrl":"/cb")"), "callbackUrl"},
      {"callbackUrl number", jobRequest(url, at, R"(,"callbackUrl":5)"), "callbackUrl"},
      {"callbackUrl ftp", jobRequest(url, at, R"(,"callbackUrl":"ftp://127.0.0.1/cb")"),
       "callbackUrl"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(isErrorNaming(post(c.body), 400, c.field)) << c.name << ": " << c.body;
  }

  // Messages the contract spells out.
  EXPECT_TRUE(isError(post(withFire(R"("2020-01-01T00:00:00.000Z")")), 400,
                      "fireAt must be in the future"));
  EXPECT_TRUE(
      isError(post(withFire("\"" + isoIn(-5) + "\"")), 400, "fireAt must be in the future"));
  for (const char* p : {"null", "[]", "[1,2]", R"("text")", "42", "true"}) {
    EXPECT_TRUE(isError(post(jobRequest(url, at, std::string(R"(,"payload":)") + p)), 400,
                        "payload must be a JSON object"))
        << p;
  }
  for (const char* bad :
       {R"({"title":)", "{'title':'t'}", "not json", R"({"title":"t"} x)", R"({"title":"t",})"}) {
    EXPECT_TRUE(isError(post(bad), 400, "Request body is not valid JSON")) << bad;
  }
  // A JSON body that is not an object is still a 400 (never a 500).
  EXPECT_EQ(post("[]").status, 400);
  EXPECT_EQ(post("null").status, 400);

  // Boundaries that must pass: 1 and 200 characters (also multi-byte), default payload.
  EXPECT_EQ(post(R"({"title":"a",)" + title + "}").status, 201);
  EXPECT_EQ(post(R"({"title":")" + std::string(200, 'a') + R"(",)" + title + "}").status, 201);
  EXPECT_EQ(post(R"({"title":")" + repeat("é", 200) + R"(",)" + title + "}").status, 201);
  auto noPayload = post(jobRequest(url, at));
  ASSERT_EQ(noPayload.status, 201);
  EXPECT_EQ(noPayload.data()->find("payload")->raw(), "{}");
  // https is a valid scheme too.
  EXPECT_EQ(post(jobRequest("https://127.0.0.1:1/x", at)).status, 201);
  // Only the valid requests created jobs.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "6");
}

TEST_F(JobApiTest, PayloadLimitsAre413AtTheDefaultLimit) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  const std::string at = isoIn(3'600'000);
  auto exact =
      d.call("POST", "/api/v1/jobs",
             jobRequest(recv.url(), at, R"(,"payload":)" + payloadOfSize(65536)), withKey(key));
  EXPECT_EQ(exact.status, 201) << exact.message();
  auto over =
      d.call("POST", "/api/v1/jobs",
             jobRequest(recv.url(), at, R"(,"payload":)" + payloadOfSize(65537)), withKey(key));
  EXPECT_TRUE(isErrorNaming(over, 413, "payload"));
}

TEST_F(JobApiTest, ConfiguredPayloadAndBodyLimitsAre413AndTheServerStaysHealthy) {
  Receiver recv;
  DispatchOptions o;
  o.jobsMaxPayloadBytes = "1KiB";
  o.serverMaxBodyBytes = "16KiB";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  const std::string at = isoIn(3'600'000);
  auto withPayload = [&](size_t n) {
    return d.call("POST", "/api/v1/jobs",
                  jobRequest(recv.url(), at, R"(,"payload":)" + payloadOfSize(n)), withKey(key));
  };
  EXPECT_EQ(withPayload(1024).status, 201);
  EXPECT_TRUE(isErrorNaming(withPayload(1025), 413, "payload"));
  EXPECT_TRUE(isErrorNaming(withPayload(10'000), 413, "payload"));

  // The whole body over server.max_body_bytes: 413 before the job rules run.
  for (size_t n : {size_t{17 * 1024}, size_t{200 * 1024}, size_t{4 << 20}}) {
    auto big =
        callOrError(d, "POST", "/api/v1/jobs",
                    jobRequest(recv.url(), at, R"(,"payload":)" + payloadOfSize(n)), withKey(key));
    EXPECT_EQ(big.status, 413) << n << ": " << big.body;
    ASSERT_TRUE(big.json) << big.body;
    EXPECT_FALSE(big.json->find("status")->asBool());
  }
  // Still serving, and still accepting normal work.
  auto h = d.call("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok");
  EXPECT_EQ(withPayload(100).status, 201);
  EXPECT_TRUE(d.running());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "2");
}

TEST_F(JobApiTest, ContentTypeMethodAndPathErrors) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string body = jobRequest(recv.url(), isoIn(3'600'000));

  auto plain =
      d.call("POST", "/api/v1/jobs", body, {{"x-api-key", key}, {"Content-Type", "text/plain"}});
  EXPECT_EQ(plain.status, 415) << plain.body;
  ASSERT_TRUE(plain.json);
  EXPECT_FALSE(plain.json->find("status")->asBool());
  auto form = d.call("POST", "/api/v1/jobs", body,
                     {{"x-api-key", key}, {"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 415);
  auto charset = d.call("POST", "/api/v1/jobs", body,
                        {{"x-api-key", key}, {"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_EQ(charset.status, 201) << charset.body;

  auto put = d.call("PUT", "/api/v1/jobs", body, withKey(key));
  EXPECT_EQ(put.status, 405);
  ASSERT_TRUE(put.json) << put.body;
  EXPECT_FALSE(put.json->find("status")->asBool());
  EXPECT_NE(put.headers["allow"].find("POST"), std::string::npos) << put.headers["allow"];
  auto patch = d.call("PATCH", "/api/v1/jobs/" + str(charset.data(), "id"), "{}", withKey(key));
  EXPECT_EQ(patch.status, 405);

  for (const char* path : {"/api/v1/nope", "/api/v2/jobs", "/api/v1/jobs/x/y", "/nope"}) {
    auto r = d.call("GET", path, "", withKey(key));
    EXPECT_EQ(r.status, 404) << path;
    ASSERT_TRUE(r.json) << path << ": " << r.body;
    EXPECT_FALSE(r.json->find("status")->asBool());
    EXPECT_TRUE(isNullField(r.json.get(), "data"));
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "1");
}

TEST_F(JobApiTest, ActionsWithANonJsonBodyAre415AndChangeNothing) {
  // Cancel, replay, retry, redrive and reload take no body; one that is sent must still be
  // JSON (contracts/http-api.md: API endpoints need JSON), checked before anything is done.
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto created =
      d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), isoIn(3'600'000)), withKey(key));
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = str(created.data(), "id");
  const std::map<std::string, std::string> plainKey = {{"x-api-key", key},
                                                       {"Content-Type", "text/plain"}};
  const std::map<std::string, std::string> plainAdmin = {
      {"Authorization", std::string("Bearer ") + kAdminToken}, {"Content-Type", "text/plain"}};
  const std::string uuid = "00000000-0000-7000-8000-000000000000";
  struct Case {
    const char* method;
    std::string path;
    const std::map<std::string, std::string>* headers;
  };
  for (const Case& c :
       std::vector<Case>{{"DELETE", "/api/v1/jobs/" + id, &plainKey},
                         {"POST", "/api/v1/events/" + uuid + "/replay", &plainKey},
                         {"POST", "/api/v1/deliveries/" + uuid + "/retry", &plainKey},
                         {"POST", "/api/v1/destinations/nope/redrive", &plainKey},
                         {"POST", "/api/v1/admin/reload", &plainAdmin}}) {
    auto r = d.call(c.method, c.path, "x", *c.headers);
    EXPECT_EQ(r.status, 415) << c.method << " " << c.path << ": " << r.body;
    EXPECT_EQ(r.message(), "Content-Type must be application/json") << c.path;
  }
  EXPECT_EQ(db.scalar("SELECT status FROM deliveries WHERE id = '" + id + "'"), "SCHEDULED");
  // Without a body (or with a JSON one) the same calls work as before.
  auto cancel = d.call("DELETE", "/api/v1/jobs/" + id, "", withKey(key));
  EXPECT_EQ(cancel.status, 200) << cancel.body;
}

TEST_F(JobApiTest, MissingMalformedUnknownAndRevokedKeysAre401) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  auto created = d.call("POST", "/api/v1/projects/alpha/keys", R"({"label":"doomed"})", asAdmin());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string key = str(created.data(), "key");
  std::string keyId = str(created.data(), "id");
  std::string body = jobRequest(recv.url(), isoIn(3'600'000));

  auto expect401 = [&](const std::map<std::string, std::string>& h, const char* what) {
    auto r = d.call("POST", "/api/v1/jobs", body, h);
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    ASSERT_TRUE(r.json) << what;
    EXPECT_FALSE(r.json->find("status")->asBool());
    EXPECT_TRUE(isNullField(r.json.get(), "data"));
    auto g = d.call("GET", "/api/v1/jobs", "", h);
    EXPECT_EQ(g.status, 401) << what;
  };
  expect401({}, "no credentials");
  expect401({{"x-api-key", ""}}, "empty key");
  expect401({{"x-api-key", "sk_123"}}, "short key");
  expect401({{"x-api-key", "sk_" + std::string(64, 'g')}}, "non-hex key");
  expect401({{"x-api-key", "sk_" + std::string(64, '0')}}, "unknown key");
  expect401({{"x-api-key", "SK_" + key.substr(3)}}, "upper-case prefix");
  expect401({{"x-api-key", key + "0"}}, "key with an extra char");
  expect401({{"Authorization", "Bearer sk_" + std::string(64, 'a')}}, "unknown bearer key");
  expect401({{"Authorization", "Basic " + key}}, "wrong scheme");
  expect401({{"Authorization", "Bearer wrong-admin-token"}}, "wrong admin token");

  // Both documented headers work.
  EXPECT_EQ(d.call("POST", "/api/v1/jobs", body, withKey(key)).status, 201);
  EXPECT_EQ(d.call("POST", "/api/v1/jobs", body, {{"Authorization", "Bearer " + key}}).status, 201);

  // Revocation takes effect on the next request.
  auto rv = d.call("DELETE", "/api/v1/projects/alpha/keys/" + keyId, "", asAdmin());
  ASSERT_EQ(rv.status, 200) << rv.body;
  expect401(withKey(key), "revoked key");
  expect401({{"Authorization", "Bearer " + key}}, "revoked bearer key");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "2");
}

TEST_F(JobApiTest, CreatedJobHasTheContractShapeAndMillisecondPrecision) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  // A fire time with a distinctive millisecond part, an hour ahead.
  TimeMs t = (nowMs() / 1000 + 3600) * 1000 + 123;
  std::string at = formatIsoUtc(t);
  ASSERT_EQ(at.substr(at.size() - 5), ".123Z");
  const std::string payload = R"({"n":12345678901234567890,"f":1.50,"nested":{"a":[1,2]}})";
  TimeMs before = nowMs();
  auto r = d.call("POST", "/api/v1/jobs",
                  R"({"title":"shape","webhookUrl":")" + recv.url() + R"(","fireAt":")" + at +
                      R"(","payload":)" + payload + R"(,"unknownField":{"x":1},"other":[true]})",
                  withKey(key));
  ASSERT_TRUE(isOk(r, 201, "Job scheduled successfully"));
  const json::Value* j = r.data();
  EXPECT_EQ(keysOf(j), kJobKeys);
  EXPECT_TRUE(isUuidText(str(j, "id"))) << str(j, "id");
  EXPECT_EQ(str(j, "projectId"), projectId("alpha"));
  EXPECT_EQ(str(j, "title"), "shape");
  EXPECT_EQ(str(j, "webhookUrl"), recv.url());
  EXPECT_EQ(j->find("payload")->raw(), payload);
  EXPECT_EQ(str(j, "fireAt"), at);
  EXPECT_EQ(str(j, "status"), "SCHEDULED");
  EXPECT_EQ(num(j, "retryCount"), 0);
  EXPECT_TRUE(isIsoMs(str(j, "createdAt"))) << str(j, "createdAt");
  EXPECT_TRUE(isIsoMs(str(j, "updatedAt"))) << str(j, "updatedAt");
  auto created = parseIsoUtc(str(j, "createdAt"));
  ASSERT_TRUE(created.has_value());
  EXPECT_GE(*created, before - 1000);
  EXPECT_LE(*created, nowMs() + 1000);

  // Read back: the same values, plus project and (empty) logs.
  std::string id = str(j, "id");
  auto g = d.call("GET", "/api/v1/jobs/" + id, "", withKey(key));
  ASSERT_TRUE(isOk(g, 200, "Job fetched successfully"));
  EXPECT_EQ(keysOf(g.data()), plus(kJobKeys, {"project", "logs"}));
  EXPECT_EQ(str(g.data(), "fireAt"), at);
  EXPECT_EQ(g.data()->find("payload")->raw(), payload);
  EXPECT_EQ(str(g.data()->find("project"), "id"), projectId("alpha"));
  EXPECT_EQ(str(g.data()->find("project"), "name"), "alpha");
  EXPECT_TRUE(g.data()->find("logs")->isArray());
  EXPECT_TRUE(g.data()->find("logs")->items().empty());

  // callbackUrl appears only when given.
  auto cb = d.call("POST", "/api/v1/jobs",
                   jobRequest(recv.url(), at, R"(,"callbackUrl":")" + recv.url("/cb") + "\""),
                   withKey(key));
  ASSERT_EQ(cb.status, 201) << cb.body;
  EXPECT_EQ(keysOf(cb.data()), plus(kJobKeys, {"callbackUrl"}));
  EXPECT_EQ(str(cb.data(), "callbackUrl"), recv.url("/cb"));

  // Sub-millisecond digits are cut, never rounded into another millisecond.
  std::string micro = at.substr(0, at.size() - 1) + "999Z";
  auto m = d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), micro), withKey(key));
  ASSERT_EQ(m.status, 201) << m.body;
  EXPECT_EQ(str(m.data(), "fireAt"), at);
}

TEST_F(JobApiTest, MillisecondFireTimeIsHonouredWhenFiring) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  TimeMs t = (nowMs() / 1000 + 1) * 1000 + 437;  // 0.4-1.4 s ahead, odd millisecond
  auto r = d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), formatIsoUtc(t)), withKey(key));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(str(r.data(), "fireAt"), formatIsoUtc(t));
  ASSERT_TRUE(recv.waitFor(1, 5000));
  TimeMs got = recv.requests()[0].receivedAt;
  EXPECT_GE(got, t);
  EXPECT_LT(got, t + 500);
}

TEST_F(JobApiTest, IdempotencyKeyReturnsTheExistingJobPerProject) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string alpha = d.createKey("alpha");
  std::string beta = d.createKey("beta");
  std::string body = jobRequest(recv.url(), isoIn(300));
  auto first =
      d.call("POST", "/api/v1/jobs", body, {{"x-api-key", alpha}, {"Idempotency-Key", "k-1"}});
  ASSERT_TRUE(isOk(first, 201, "Job scheduled successfully"));
  std::string id = str(first.data(), "id");

  // Same key, even with a different body: the existing job, not a second one.
  auto again = d.call("POST", "/api/v1/jobs", jobRequest(recv.url("/other"), isoIn(5000)),
                      {{"x-api-key", alpha}, {"Idempotency-Key", "k-1"}});
  ASSERT_TRUE(isOk(again, 200, "Job already exists"));
  EXPECT_EQ(str(again.data(), "id"), id);
  EXPECT_EQ(str(again.data(), "webhookUrl"), recv.url());
  EXPECT_EQ(str(again.data(), "fireAt"), str(first.data(), "fireAt"));
  EXPECT_EQ(keysOf(again.data()), kJobKeys);

  // Another project's identical key is its own job.
  auto other =
      d.call("POST", "/api/v1/jobs", body, {{"x-api-key", beta}, {"Idempotency-Key", "k-1"}});
  ASSERT_TRUE(isOk(other, 201, "Job scheduled successfully"));
  EXPECT_NE(str(other.data(), "id"), id);
  // A different key in the same project is a new job.
  auto k2 =
      d.call("POST", "/api/v1/jobs", body, {{"x-api-key", alpha}, {"Idempotency-Key", "k-2"}});
  EXPECT_EQ(k2.status, 201);
  // A new key still gets the full validation; a bad key value is a 400.
  EXPECT_TRUE(isError(d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), isoIn(-1000)),
                             {{"x-api-key", alpha}, {"Idempotency-Key", "k-3"}}),
                      400, "fireAt must be in the future"));
  EXPECT_TRUE(
      isErrorNaming(d.call("POST", "/api/v1/jobs", body,
                           {{"x-api-key", alpha}, {"Idempotency-Key", std::string(256, 'k')}}),
                    400, "Idempotency-Key"));

  // In its current state once it has fired.
  ASSERT_TRUE(waitForStatus(d, alpha, id, "SUCCESS", 5000));
  auto late =
      d.call("POST", "/api/v1/jobs", body, {{"x-api-key", alpha}, {"Idempotency-Key", "k-1"}});
  ASSERT_TRUE(isOk(late, 200, "Job already exists"));
  EXPECT_EQ(str(late.data(), "id"), id);
  EXPECT_EQ(str(late.data(), "status"), "SUCCESS");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "3");
  // The duplicate posts never fired anything extra.
  ASSERT_TRUE(recv.waitFor(3, 5000));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(recv.count(), 3u);
}

TEST_F(JobApiTest, ConcurrentDuplicatesCreateExactlyOneJob) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string body = jobRequest(recv.url(), isoIn(3'600'000));
  for (int round = 0; round < 3; ++round) {
    std::string idem = "race-" + std::to_string(round);
    std::vector<ApiResponse> out(8);
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; ++i) {
      ts.emplace_back([&, i] {
        ready++;
        while (ready.load() < 8) std::this_thread::yield();
        out[i] =
            d.call("POST", "/api/v1/jobs", body, {{"x-api-key", key}, {"Idempotency-Key", idem}});
      });
    }
    for (auto& t : ts) t.join();
    int created = 0, existing = 0;
    std::set<std::string> ids;
    for (const auto& r : out) {
      if (r.status == 201) ++created;
      if (r.status == 200 && r.message() == "Job already exists") ++existing;
      ids.insert(str(r.data(), "id"));
    }
    EXPECT_EQ(created, 1) << "round " << round;
    EXPECT_EQ(existing, 7) << "round " << round;
    EXPECT_EQ(ids.size(), 1u) << "round " << round;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "3");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM deliveries"), "3");
}

TEST_F(JobApiTest, CancelledScheduledJobNeverFires) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), isoIn(400)), withKey(key));
  ASSERT_EQ(r.status, 201);
  std::string id = str(r.data(), "id");
  auto c = d.call("DELETE", "/api/v1/jobs/" + id, "", withKey(key));
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.body, R"({"status":true,"message":"Job cancelled successfully","data":null})");
  // Well past the fire time: nothing arrived.
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_EQ(recv.count(), 0u);
  EXPECT_EQ(jobStatus(d, key, id), "CANCELLED");
  // CANCELLED is terminal: a second cancel is refused.
  auto again = d.call("DELETE", "/api/v1/jobs/" + id, "", withKey(key));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.body,
            R"({"status":false,"message":"Only scheduled jobs can be cancelled","data":null})");
}

TEST_F(JobApiTest, CancelAfterSuccessOrDuringFiringIs400AndChangesNothing) {
  Receiver recv([](int, const ReceivedRequest& req) {
    // The job at /slow answers after 1.5 s, so it is FIRING for a while.
    return ScriptedResponse{200, "ok", {}, req.path == "/slow" ? 1500 : 0};
  });
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto done =
      d.call("POST", "/api/v1/jobs", jobRequest(recv.url("/fast"), isoIn(150)), withKey(key));
  auto slow =
      d.call("POST", "/api/v1/jobs", jobRequest(recv.url("/slow"), isoIn(150)), withKey(key));
  ASSERT_EQ(done.status, 201);
  ASSERT_EQ(slow.status, 201);
  std::string doneId = str(done.data(), "id"), slowId = str(slow.data(), "id");

  ASSERT_TRUE(waitForStatus(d, key, doneId, "SUCCESS", 5000));
  EXPECT_TRUE(isError(d.call("DELETE", "/api/v1/jobs/" + doneId, "", withKey(key)), 400,
                      "Only scheduled jobs can be cancelled"));
  EXPECT_EQ(jobStatus(d, key, doneId), "SUCCESS");

  // The slow one is in flight (the receiver has it, the answer is pending).
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& q : recv.requests()) {
          if (q.path == "/slow") return true;
        }
        return false;
      },
      5000));
  EXPECT_EQ(jobStatus(d, key, slowId), "FIRING");
  EXPECT_TRUE(isError(d.call("DELETE", "/api/v1/jobs/" + slowId, "", withKey(key)), 400,
                      "Only scheduled jobs can be cancelled"));
  ASSERT_TRUE(waitForStatus(d, key, slowId, "SUCCESS", 5000));
  auto g = d.call("GET", "/api/v1/jobs/" + slowId, "", withKey(key));
  EXPECT_EQ(g.data()->find("logs")->items().size(), 1u);
  EXPECT_EQ(recv.count(), 2u);
}

TEST_F(JobApiTest, CancelRacingTheTimerNeverBothCancelsAndDelivers) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  constexpr int kJobs = 30;
  TimeMs base = nowMs() + 900;
  std::vector<std::string> ids(kJobs);
  std::vector<TimeMs> at(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    at[i] = base + i * 9;
    auto r =
        d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), formatIsoUtc(at[i])), withKey(key));
    ASSERT_EQ(r.status, 201) << r.body;
    ids[i] = str(r.data(), "id");
  }
  ASSERT_LT(nowMs(), base - 100) << "scheduling took too long for the race to be meaningful";
  std::vector<int> cancel(kJobs, 0);
  std::vector<std::thread> ts;
  for (int i = 0; i < kJobs; ++i) {
    ts.emplace_back([&, i] {
      // Aim from a few ms before to a few ms after the fire time.
      TimeMs target = at[i] + (i % 7) * 2 - 6;
      TimeMs wait = target - nowMs();
      if (wait > 0) std::this_thread::sleep_for(milliseconds(wait));
      cancel[i] = d.call("DELETE", "/api/v1/jobs/" + ids[i], "", withKey(key)).status;
    });
  }
  for (auto& t : ts) t.join();
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& id : ids) {
          std::string s = jobStatus(d, key, id);
          if (s != "CANCELLED" && s != "SUCCESS") return false;
        }
        return true;
      },
      8000));
  std::this_thread::sleep_for(milliseconds(500));  // any straggling delivery would show now
  std::map<std::string, int> delivered;
  for (const auto& q : recv.requests()) delivered[q.header("x-dispatch-job-id")]++;
  int cancelled = 0, fired = 0;
  for (int i = 0; i < kJobs; ++i) {
    std::string s = jobStatus(d, key, ids[i]);
    if (cancel[i] == 200) {
      ++cancelled;
      EXPECT_EQ(delivered[ids[i]], 0) << "job " << i << " was cancelled and delivered";
      EXPECT_EQ(s, "CANCELLED") << i;
    } else {
      ++fired;
      EXPECT_EQ(cancel[i], 400) << i;
      EXPECT_EQ(delivered[ids[i]], 1)
          << "job " << i << " refused the cancel but not delivered once";
      EXPECT_EQ(s, "SUCCESS") << i;
    }
  }
  EXPECT_EQ(recv.count(), static_cast<size_t>(fired));
  std::cout << "[ race ] cancelled " << cancelled << ", fired " << fired << "\n";
}

TEST_F(JobApiTest, UnknownMalformedAndForeignIdsAre404) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string alpha = d.createKey("alpha");
  std::string beta = d.createKey("beta");
  auto b = d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), isoIn(3'600'000)), withKey(beta));
  ASSERT_EQ(b.status, 201);
  std::string betaJob = str(b.data(), "id");
  for (const std::string& id :
       {std::string("0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09"), std::string("not-a-uuid"),
        std::string("123"), std::string("0190D7A2-3F0E-7C2A-9B1E-5A4D3C2B1A0Z"), betaJob}) {
    auto g = d.call("GET", "/api/v1/jobs/" + id, "", withKey(alpha));
    EXPECT_EQ(g.status, 404) << id << ": " << g.body;
    ASSERT_TRUE(g.json) << g.body;
    EXPECT_FALSE(g.json->find("status")->asBool());
    EXPECT_TRUE(isNullField(g.json.get(), "data"));
    auto c = d.call("DELETE", "/api/v1/jobs/" + id, "", withKey(alpha));
    EXPECT_EQ(c.status, 404) << id << ": " << c.body;
  }
  // The foreign 404 is indistinguishable from the unknown one.
  auto foreign = d.call("GET", "/api/v1/jobs/" + betaJob, "", withKey(alpha));
  auto unknown =
      d.call("GET", "/api/v1/jobs/0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09", "", withKey(alpha));
  EXPECT_EQ(foreign.body, unknown.body);
  // Beta's job was not touched by alpha's cancel attempt.
  EXPECT_EQ(jobStatus(d, beta, betaJob), "SCHEDULED");
  EXPECT_EQ(d.call("DELETE", "/api/v1/jobs/" + betaJob, "", withKey(beta)).status, 200);
}

TEST_F(JobApiTest, ProjectsAreIsolatedAndAdminSeesAll) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string alpha = d.createKey("alpha");
  std::string beta = d.createKey("beta");
  std::string at = isoIn(3'600'000);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), at), withKey(alpha)).status,
              201);
  }
  std::string betaId;
  for (int i = 0; i < 2; ++i) {
    auto r = d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), at), withKey(beta));
    ASSERT_EQ(r.status, 201);
    betaId = str(r.data(), "id");
  }
  std::string alphaPid = projectId("alpha"), betaPid = projectId("beta");
  auto check = [&](const std::string& path, const std::map<std::string, std::string>& h,
                   int64_t total, const std::string& onlyProject) {
    auto r = d.call("GET", path, "", h);
    ASSERT_TRUE(isOk(r, 200, "Jobs fetched successfully")) << path;
    EXPECT_EQ(num(r.data()->find("pagination"), "total"), total) << path;
    const auto& jobs = r.data()->find("jobs")->items();
    EXPECT_EQ(static_cast<int64_t>(jobs.size()), total) << path;
    for (const auto& j : jobs) {
      EXPECT_EQ(keysOf(&j), plus(kJobKeys, {"project"})) << path;
      const json::Value* p = j.find("project");
      EXPECT_EQ(keysOf(p), (std::set<std::string>{"id", "name"}));
      EXPECT_EQ(str(p, "id"), str(&j, "projectId"));
      EXPECT_EQ(str(p, "name"), str(&j, "projectId") == alphaPid ? "alpha" : "beta");
      if (!onlyProject.empty()) {
        EXPECT_EQ(str(&j, "projectId"), onlyProject) << path;
      }
    }
  };
  check("/api/v1/jobs", withKey(alpha), 3, alphaPid);
  check("/api/v1/jobs", withKey(beta), 2, betaPid);
  check("/api/v1/jobs?projectId=" + betaPid, withKey(alpha), 0, "");
  check("/api/v1/jobs?projectId=" + alphaPid, withKey(alpha), 3, alphaPid);
  check("/api/v1/jobs", asAdmin(), 5, "");
  check("/api/v1/jobs?projectId=" + betaPid, asAdmin(), 2, betaPid);
  check("/api/v1/jobs?projectId=" + alphaPid, asAdmin(), 3, alphaPid);
  // Admin reads any job by id; a key only its own.
  auto g = d.call("GET", "/api/v1/jobs/" + betaId, "", asAdmin());
  ASSERT_TRUE(isOk(g, 200, "Job fetched successfully"));
  EXPECT_EQ(str(g.data()->find("project"), "name"), "beta");
  EXPECT_EQ(d.call("GET", "/api/v1/jobs/" + betaId, "", withKey(alpha)).status, 404);
}

TEST_F(JobApiTest, ListingFiltersPaginatesNewestFirstAndValidatesQuery) {
  Receiver recv;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string at = isoIn(3'600'000);
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    auto r = d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), at), withKey(key));
    ASSERT_EQ(r.status, 201);
    created.push_back(str(r.data(), "id"));
    std::this_thread::sleep_for(milliseconds(3));  // distinct createdAt
  }
  ASSERT_EQ(d.call("DELETE", "/api/v1/jobs/" + created[1], "", withKey(key)).status, 200);

  auto page = [&](const std::string& q) {
    return d.call("GET", "/api/v1/jobs" + q, "", withKey(key));
  };
  auto ids = [](const ApiResponse& r) {
    std::vector<std::string> out;
    if (r.data() == nullptr || r.data()->find("jobs") == nullptr) return out;
    for (const auto& j : r.data()->find("jobs")->items()) out.push_back(str(&j, "id"));
    return out;
  };
  // Defaults: page 1, limit 20, newest first.
  auto all = page("");
  ASSERT_TRUE(isOk(all, 200, "Jobs fetched successfully"));
  const json::Value* pg = all.data()->find("pagination");
  EXPECT_EQ(keysOf(pg), (std::set<std::string>{"total", "page", "limit", "totalPages"}));
  EXPECT_EQ(num(pg, "total"), 5);
  EXPECT_EQ(num(pg, "page"), 1);
  EXPECT_EQ(num(pg, "limit"), 20);
  EXPECT_EQ(num(pg, "totalPages"), 1);
  EXPECT_EQ(keysOf(all.data()), (std::set<std::string>{"jobs", "pagination"}));
  std::vector<std::string> newestFirst(created.rbegin(), created.rend());
  EXPECT_EQ(ids(all), newestFirst);

  // Pages of 2 concatenate to the same order.
  std::vector<std::string> paged;
  for (int p = 1; p <= 3; ++p) {
    auto r = page("?limit=2&page=" + std::to_string(p));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(num(r.data()->find("pagination"), "total"), 5);
    EXPECT_EQ(num(r.data()->find("pagination"), "totalPages"), 3);
    EXPECT_EQ(num(r.data()->find("pagination"), "page"), p);
    EXPECT_EQ(num(r.data()->find("pagination"), "limit"), 2);
    EXPECT_EQ(ids(r).size(), p < 3 ? 2u : 1u);
    for (auto& id : ids(r)) paged.push_back(id);
  }
  EXPECT_EQ(paged, newestFirst);
  auto beyond = page("?limit=2&page=4");
  EXPECT_EQ(beyond.status, 200);
  EXPECT_TRUE(ids(beyond).empty());
  EXPECT_EQ(num(beyond.data()->find("pagination"), "total"), 5);
  auto edge = page("?limit=100");
  EXPECT_EQ(edge.status, 200);
  EXPECT_EQ(ids(edge).size(), 5u);
  EXPECT_EQ(ids(page("?limit=1")).size(), 1u);

  // Status filter.
  auto cancelled = page("?status=CANCELLED");
  ASSERT_EQ(cancelled.status, 200);
  EXPECT_EQ(ids(cancelled), std::vector<std::string>{created[1]});
  EXPECT_EQ(num(cancelled.data()->find("pagination"), "total"), 1);
  auto scheduled = page("?status=SCHEDULED&limit=2");
  EXPECT_EQ(num(scheduled.data()->find("pagination"), "total"), 4);
  EXPECT_EQ(num(scheduled.data()->find("pagination"), "totalPages"), 2);
  for (const char* s : {"FIRING", "SUCCESS", "FAILED", "DEAD"}) {
    auto r = page(std::string("?status=") + s);
    EXPECT_EQ(r.status, 200) << s;
    EXPECT_TRUE(ids(r).empty()) << s;
  }

  // Bad query values are 400s naming the parameter.
  for (const char* q : {"?status=BOGUS", "?status=", "?status=scheduled%20"}) {
    EXPECT_TRUE(isErrorNaming(page(q), 400, "status")) << q;
  }
  for (const char* q : {"?limit=101", "?limit=0", "?limit=-1", "?limit=abc",
                        "?limit=", "?limit=1.5", "?limit=99999999999999999999"}) {
    EXPECT_TRUE(isErrorNaming(page(q), 400, "limit")) << q;
  }
  for (const char* q : {"?page=0", "?page=-2", "?page=x", "?page="}) {
    EXPECT_TRUE(isErrorNaming(page(q), 400, "page")) << q;
  }
}

TEST_F(JobApiTest, JobByIdShowsEveryAttemptNewestFirstWithEveryField) {
  int closedPort;
  {
    Receiver gone;
    closedPort = gone.port();
  }
  Receiver recv([](int n, const ReceivedRequest&) {
    return ScriptedResponse{n == 0 ? 500 : 200, n == 0 ? "boom" : "fine", {}, 0};
  });
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto ok = d.call("POST", "/api/v1/jobs", jobRequest(recv.url(), isoIn(150)), withKey(key));
  auto dead =
      d.call("POST", "/api/v1/jobs",
             jobRequest("http://127.0.0.1:" + std::to_string(closedPort) + "/x", isoIn(150)),
             withKey(key));
  ASSERT_EQ(ok.status, 201);
  ASSERT_EQ(dead.status, 201);
  std::string okId = str(ok.data(), "id"), deadId = str(dead.data(), "id");
  ASSERT_TRUE(waitForStatus(d, key, okId, "SUCCESS", 6000));
  ASSERT_TRUE(waitForStatus(d, key, deadId, "DEAD", 6000));

  const std::set<std::string> kLogKeys = {"id",           "attempt", "status",     "responseCode",
                                          "responseBody", "firedAt", "durationMs", "error"};
  auto g = d.call("GET", "/api/v1/jobs/" + okId, "", withKey(key));
  ASSERT_TRUE(isOk(g, 200, "Job fetched successfully"));
  EXPECT_EQ(num(g.data(), "retryCount"), 1);
  const auto& logs = g.data()->find("logs")->items();
  ASSERT_EQ(logs.size(), 2u);
  for (const auto& l : logs) {
    EXPECT_EQ(keysOf(&l), kLogKeys);
    EXPECT_TRUE(isUuidText(str(&l, "id")));
    EXPECT_TRUE(isIsoMs(str(&l, "firedAt")));
    EXPECT_GE(num(&l, "durationMs"), 0);
    EXPECT_TRUE(isNullField(&l, "error")) << "an HTTP answer has no error";
  }
  EXPECT_EQ(num(&logs[0], "attempt"), 2);
  EXPECT_EQ(str(&logs[0], "status"), "SUCCESS");
  EXPECT_EQ(num(&logs[0], "responseCode"), 200);
  EXPECT_EQ(str(&logs[0], "responseBody"), "fine");
  EXPECT_EQ(num(&logs[1], "attempt"), 1);
  EXPECT_EQ(str(&logs[1], "status"), "FAILED");
  EXPECT_EQ(num(&logs[1], "responseCode"), 500);
  EXPECT_EQ(str(&logs[1], "responseBody"), "boom");
  EXPECT_GE(*parseIsoUtc(str(&logs[0], "firedAt")), *parseIsoUtc(str(&logs[1], "firedAt")));

  auto gd = d.call("GET", "/api/v1/jobs/" + deadId, "", withKey(key));
  ASSERT_EQ(gd.status, 200);
  EXPECT_EQ(num(gd.data(), "retryCount"), 3);
  const auto& dl = gd.data()->find("logs")->items();
  ASSERT_EQ(dl.size(), 3u);
  for (size_t i = 0; i < dl.size(); ++i) {
    EXPECT_EQ(keysOf(&dl[i]), kLogKeys);
    EXPECT_EQ(num(&dl[i], "attempt"), static_cast<int64_t>(3 - i));
    EXPECT_EQ(str(&dl[i], "status"), "FAILED");
    EXPECT_TRUE(isNullField(&dl[i], "responseCode")) << "network error: no response code";
    EXPECT_TRUE(dl[i].find("error") && dl[i].find("error")->isString() &&
                !dl[i].find("error")->asString().empty());
  }
}

TEST_F(JobApiTest, CallbackReportsSuccess) {
  Receiver hook([](int, const ReceivedRequest&) {
    return ScriptedResponse{200, "all good", {}, 0};
  });
  Receiver cb;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/api/v1/jobs",
                  jobRequest(hook.url(), isoIn(150), R"(,"callbackUrl":")" + cb.url("/cb") + "\""),
                  withKey(key));
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = str(r.data(), "id");
  ASSERT_TRUE(cb.waitFor(1, 6000));
  EXPECT_EQ(jobStatus(d, key, id), "SUCCESS");
  auto req = cb.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/cb");
  auto body = json::parse(req.body);
  ASSERT_TRUE(body.isOk()) << req.body;
  EXPECT_EQ(keysOf(&body.value()),
            (std::set<std::string>{"jobId", "status", "attempts", "responseCode", "responseBody",
                                   "firedAt"}));
  EXPECT_EQ(str(&body.value(), "jobId"), id);
  EXPECT_EQ(str(&body.value(), "status"), "SUCCESS");
  EXPECT_EQ(num(&body.value(), "attempts"), 1);
  EXPECT_EQ(num(&body.value(), "responseCode"), 200);
  EXPECT_EQ(str(&body.value(), "responseBody"), "all good");
  EXPECT_TRUE(isIsoMs(str(&body.value(), "firedAt")));
  const std::string hookText = hook.requests()[0].body;  // parsed values point into it
  auto hookBody = json::parse(hookText);
  ASSERT_TRUE(hookBody.isOk());
  EXPECT_EQ(str(&body.value(), "firedAt"), str(&hookBody.value(), "firedAt"));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(cb.count(), 1u);
  EXPECT_EQ(hook.count(), 1u);
}

TEST_F(JobApiTest, CallbackReportsDead) {
  Receiver hook([](int, const ReceivedRequest&) { return ScriptedResponse{500, "down", {}, 0}; });
  Receiver cb;
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/api/v1/jobs",
                  jobRequest(hook.url(), isoIn(100), R"(,"callbackUrl":")" + cb.url("/cb") + "\""),
                  withKey(key));
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = str(r.data(), "id");
  ASSERT_TRUE(cb.waitFor(1, 8000));
  EXPECT_EQ(jobStatus(d, key, id), "DEAD");
  EXPECT_EQ(hook.count(), 3u) << "the callback comes after the last attempt only";
  const std::string cbText = cb.requests()[0].body;  // parsed values point into it
  auto body = json::parse(cbText);
  ASSERT_TRUE(body.isOk()) << cbText;
  EXPECT_EQ(keysOf(&body.value()),
            (std::set<std::string>{"jobId", "status", "attempts", "responseCode", "responseBody",
                                   "firedAt"}));
  EXPECT_EQ(str(&body.value(), "jobId"), id);
  EXPECT_EQ(str(&body.value(), "status"), "DEAD");
  EXPECT_EQ(num(&body.value(), "attempts"), 3);
  EXPECT_EQ(num(&body.value(), "responseCode"), 500);
  EXPECT_EQ(str(&body.value(), "responseBody"), "down");
  EXPECT_TRUE(isIsoMs(str(&body.value(), "firedAt")));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(cb.count(), 1u);
}

TEST_F(JobApiTest, NetworkPolicyRefusesPrivateTargets) {
  DispatchOptions o;
  o.deliveryYaml = "{ allow_http: true, allow_private_networks: false, timeout: 2s, workers: 4 }";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string at = isoIn(3'600'000);
  for (const char* url : {"http://127.0.0.1/", "http://127.0.0.1:8080/hook", "http://localhost/x",
                          "https://127.0.0.1/", "http://2130706433/", "http://0x7f.1/"}) {
    auto r = d.call("POST", "/api/v1/jobs", jobRequest(url, at), withKey(key));
    EXPECT_TRUE(isErrorNaming(r, 400, "webhookUrl")) << url;
  }
  auto cb = d.call(
      "POST", "/api/v1/jobs",
      jobRequest("https://hooks.example.invalid/x", at, R"(,"callbackUrl":"http://127.0.0.1/cb")"),
      withKey(key));
  EXPECT_TRUE(isErrorNaming(cb, 400, "callbackUrl"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "0");
}

TEST_F(JobApiTest, NetworkPolicyRefusesPlainHttpWhenNotAllowed) {
  DispatchOptions o;
  o.deliveryYaml = "{ allow_http: false, allow_private_networks: true, timeout: 2s, workers: 4 }";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::string at = isoIn(3'600'000);
  EXPECT_TRUE(isErrorNaming(
      d.call("POST", "/api/v1/jobs", jobRequest("http://127.0.0.1:9/x", at), withKey(key)), 400,
      "webhookUrl"));
  EXPECT_TRUE(isErrorNaming(
      d.call("POST", "/api/v1/jobs",
             jobRequest("https://127.0.0.1:9/x", at, R"(,"callbackUrl":"http://127.0.0.1:9/cb")"),
             withKey(key)),
      400, "callbackUrl"));
  // https to the same place is fine under this policy.
  EXPECT_EQ(
      d.call("POST", "/api/v1/jobs", jobRequest("https://127.0.0.1:9/x", at), withKey(key)).status,
      201);
}

}  // namespace
}  // namespace dispatch::test
