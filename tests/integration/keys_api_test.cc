// The admin key endpoints of contracts/http-api.md (Authentication) against a real server.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "tests/integration/api_test_util.h"
#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

class KeysApiTest : public ::testing::Test {
 protected:
  TestDatabase db;
};

const std::set<std::string> kCreatedKeys = {"id", "label", "key", "last4", "createdAt"};
const std::set<std::string> kListedKeys = {"id",        "label",      "last4",
                                           "createdAt", "lastUsedAt", "revokedAt"};

std::string jobBody() { return jobRequest("http://127.0.0.1:9/never", isoIn(3'600'000)); }

TEST_F(KeysApiTest, CreateShowsTheKeyOnceAndListNeverDoes) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  auto r = d.call("POST", "/api/v1/projects/alpha/keys", R"({"label":"ci deploy"})", asAdmin());
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_TRUE(r.json);
  EXPECT_TRUE(r.json->find("status")->asBool());
  const json::Value* k = r.data();
  EXPECT_EQ(keysOf(k), kCreatedKeys);
  std::string key = str(k, "key");
  EXPECT_TRUE(std::regex_match(key, std::regex("^sk_[0-9a-f]{64}$"))) << key;
  EXPECT_EQ(str(k, "last4"), key.substr(key.size() - 4));
  EXPECT_EQ(str(k, "label"), "ci deploy");
  EXPECT_TRUE(isUuidText(str(k, "id")));
  EXPECT_TRUE(isIsoMs(str(k, "createdAt")));
  // Only a hash is stored.
  EXPECT_EQ(
      db.scalar("SELECT count(*) FROM api_keys WHERE key_hash = sha256('" + key + "'::bytea)"),
      "1");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_keys WHERE encode(key_hash, 'hex') LIKE '%" +
                      key.substr(3, 16) + "%' OR label LIKE '%" + key.substr(3, 16) + "%'"),
            "0");

  // A second key without a body gets an empty label; two keys are distinct.
  auto r2 = d.call("POST", "/api/v1/projects/alpha/keys", "", asAdmin());
  ASSERT_EQ(r2.status, 201) << r2.body;
  EXPECT_NE(str(r2.data(), "key"), key);
  EXPECT_EQ(str(r2.data(), "label"), "");

  // The key works (and is then marked used).
  ASSERT_EQ(d.call("POST", "/api/v1/jobs", jobBody(), withKey(key)).status, 201);

  auto l = d.call("GET", "/api/v1/projects/alpha/keys", "", asAdmin());
  ASSERT_EQ(l.status, 200) << l.body;
  EXPECT_TRUE(l.json->find("status")->asBool());
  EXPECT_EQ(l.body.find(key.substr(3)), std::string::npos) << "the list leaks the key";
  ASSERT_TRUE(l.data() && l.data()->isArray());
  const auto& items = l.data()->items();
  ASSERT_EQ(items.size(), 2u);
  bool sawFirst = false;
  for (const auto& it : items) {
    EXPECT_EQ(keysOf(&it), kListedKeys);
    EXPECT_TRUE(isNullField(&it, "revokedAt"));
    if (str(&it, "id") == str(k, "id")) {
      sawFirst = true;
      EXPECT_EQ(str(&it, "last4"), key.substr(key.size() - 4));
      EXPECT_EQ(str(&it, "label"), "ci deploy");
      EXPECT_EQ(str(&it, "createdAt"), str(k, "createdAt"));
      EXPECT_TRUE(isIsoMs(str(&it, "lastUsedAt"))) << "used key has lastUsedAt";
    } else {
      EXPECT_TRUE(isNullField(&it, "lastUsedAt")) << "unused key has null lastUsedAt";
    }
  }
  EXPECT_TRUE(sawFirst);
  // Beta's list is its own.
  auto lb = d.call("GET", "/api/v1/projects/beta/keys", "", asAdmin());
  ASSERT_EQ(lb.status, 200);
  EXPECT_TRUE(lb.data()->items().empty());
}

TEST_F(KeysApiTest, RevokeTakesEffectAtOnceAndUnknownIdsAre404) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  auto r = d.call("POST", "/api/v1/projects/alpha/keys", R"({"label":"x"})", asAdmin());
  ASSERT_EQ(r.status, 201);
  std::string key = str(r.data(), "key"), id = str(r.data(), "id");
  std::string other = d.createKey("alpha");
  ASSERT_EQ(d.call("GET", "/api/v1/jobs", "", withKey(key)).status, 200);

  auto rv = d.call("DELETE", "/api/v1/projects/alpha/keys/" + id, "", asAdmin());
  EXPECT_EQ(rv.status, 200) << rv.body;
  ASSERT_TRUE(rv.json);
  EXPECT_TRUE(rv.json->find("status")->asBool());
  EXPECT_TRUE(isNullField(rv.json.get(), "data"));
  EXPECT_EQ(d.call("GET", "/api/v1/jobs", "", withKey(key)).status, 401);
  EXPECT_EQ(d.call("GET", "/api/v1/jobs", "", {{"Authorization", "Bearer " + key}}).status, 401);
  // Other keys of the project keep working.
  EXPECT_EQ(d.call("GET", "/api/v1/jobs", "", withKey(other)).status, 200);
  auto l = d.call("GET", "/api/v1/projects/alpha/keys", "", asAdmin());
  for (const auto& it : l.data()->items()) {
    if (str(&it, "id") == id) {
      EXPECT_TRUE(isIsoMs(str(&it, "revokedAt")));
    } else {
      EXPECT_TRUE(isNullField(&it, "revokedAt"));
    }
  }

  for (const std::string& bad : {std::string("0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09"),
                                 std::string("nope"), std::string("")}) {
    auto u = d.call("DELETE", "/api/v1/projects/alpha/keys/" + bad, "", asAdmin());
    EXPECT_EQ(u.status, bad.empty() ? 405 : 404) << "'" << bad << "': " << u.body;
    ASSERT_TRUE(u.json) << u.body;
    EXPECT_FALSE(u.json->find("status")->asBool());
  }
  // A key id under the wrong project is not found, and stays live.
  auto b = d.call("POST", "/api/v1/projects/beta/keys", "{}", asAdmin());
  ASSERT_EQ(b.status, 201);
  EXPECT_EQ(
      d.call("DELETE", "/api/v1/projects/alpha/keys/" + str(b.data(), "id"), "", asAdmin()).status,
      404);
  EXPECT_EQ(d.call("GET", "/api/v1/jobs", "", withKey(str(b.data(), "key"))).status, 200);
}

TEST_F(KeysApiTest, UnknownProjectIs404) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  for (const std::string& p :
       {std::string("gamma"), std::string("0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09"),
        std::string("ALPHA")}) {
    for (const char* m : {"POST", "GET"}) {
      auto r = d.call(m, "/api/v1/projects/" + p + "/keys", std::string(m) == "POST" ? "{}" : "",
                      asAdmin());
      EXPECT_EQ(r.status, 404) << m << " " << p << ": " << r.body;
      ASSERT_TRUE(r.json) << r.body;
      EXPECT_FALSE(r.json->find("status")->asBool());
    }
    EXPECT_EQ(
        d.call("DELETE", "/api/v1/projects/" + p + "/keys/0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09", "",
               asAdmin())
            .status,
        404);
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_keys"), "0");
}

TEST_F(KeysApiTest, ProjectByIdWorksLikeByName) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string betaId = db.scalar("SELECT id FROM projects WHERE name = 'beta'");
  ASSERT_TRUE(isUuidText(betaId));
  auto byId =
      d.call("POST", "/api/v1/projects/" + betaId + "/keys", R"({"label":"by id"})", asAdmin());
  ASSERT_EQ(byId.status, 201) << byId.body;
  // The key belongs to beta: it creates beta's jobs.
  auto j = d.call("POST", "/api/v1/jobs", jobBody(), withKey(str(byId.data(), "key")));
  ASSERT_EQ(j.status, 201);
  EXPECT_EQ(str(j.data(), "projectId"), betaId);
  auto byName = d.call("GET", "/api/v1/projects/beta/keys", "", asAdmin());
  ASSERT_EQ(byName.status, 200);
  ASSERT_EQ(byName.data()->items().size(), 1u);
  EXPECT_EQ(str(&byName.data()->items()[0], "label"), "by id");
  auto listById = d.call("GET", "/api/v1/projects/" + betaId + "/keys", "", asAdmin());
  EXPECT_EQ(listById.status, 200) << listById.body;
  EXPECT_EQ(listById.body, byName.body);
  auto rv = d.call("DELETE", "/api/v1/projects/" + betaId + "/keys/" + str(byId.data(), "id"), "",
                   asAdmin());
  EXPECT_EQ(rv.status, 200) << rv.body;
  // Alpha's id does not reach beta's keys.
  std::string alphaId = db.scalar("SELECT id FROM projects WHERE name = 'alpha'");
  auto cross = d.call("GET", "/api/v1/projects/" + alphaId + "/keys", "", asAdmin());
  EXPECT_EQ(cross.status, 200) << cross.body;
  EXPECT_TRUE(cross.data() && cross.data()->isArray() && cross.data()->items().empty());
}

TEST_F(KeysApiTest, AdminEndpointsNeedTheAdminToken) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> bad = {
      {"none", {}},
      {"wrong token", {{"Authorization", "Bearer not-the-admin-token"}}},
      {"token prefix",
       {{"Authorization", std::string("Bearer ") + std::string(kAdminToken).substr(0, 10)}}},
      {"token plus", {{"Authorization", std::string("Bearer ") + kAdminToken + "x"}}},
      {"token as x-api-key", {{"x-api-key", kAdminToken}}},
      {"token without scheme", {{"Authorization", kAdminToken}}},
      {"basic scheme", {{"Authorization", std::string("Basic ") + kAdminToken}}},
      {"empty bearer", {{"Authorization", "Bearer "}}},
      {"project key as bearer", {{"Authorization", "Bearer " + key}}},
      {"project key as x-api-key", {{"x-api-key", key}}},
  };
  for (const auto& [what, h] : bad) {
    for (const char* m : {"POST", "GET"}) {
      auto r = d.call(m, "/api/v1/projects/alpha/keys", std::string(m) == "POST" ? "{}" : "", h);
      EXPECT_EQ(r.status, 401) << what << " " << m << ": " << r.body;
      ASSERT_TRUE(r.json) << r.body;
      EXPECT_FALSE(r.json->find("status")->asBool());
      EXPECT_TRUE(isNullField(r.json.get(), "data"));
    }
    auto del =
        d.call("DELETE", "/api/v1/projects/alpha/keys/0190d7a2-3f0e-7c2a-9b1e-5a4d3c2b1a09", "", h);
    EXPECT_EQ(del.status, 401) << what;
  }
  // Only the one key from createKey exists: nothing was created by the refused calls.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_keys"), "1");
  // The admin token is fine, also with a lower-case scheme.
  EXPECT_EQ(d.call("GET", "/api/v1/projects/alpha/keys", "", asAdmin()).status, 200);
  EXPECT_EQ(d.call("GET", "/api/v1/projects/alpha/keys", "",
                   {{"Authorization", std::string("bearer ") + kAdminToken}})
                .status,
            200);
}

TEST_F(KeysApiTest, EmptyAdminTokenDisablesAdminEndpoints) {
  DispatchOptions o;
  o.adminToken = "";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  for (const auto& h :
       std::vector<std::map<std::string, std::string>>{{},
                                                       {{"Authorization", "Bearer "}},
                                                       {{"Authorization", "Bearer"}},
                                                       {{"Authorization", "Bearer \"\""}},
                                                       asAdmin()}) {
    EXPECT_EQ(d.call("POST", "/api/v1/projects/alpha/keys", "{}", h).status, 401);
    EXPECT_EQ(d.call("GET", "/api/v1/projects/alpha/keys", "", h).status, 401);
    EXPECT_EQ(d.call("GET", "/api/v1/jobs", "", h).status, 401) << "admin listing";
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_keys"), "0");
}

TEST_F(KeysApiTest, CreateValidatesItsBody) {
  DispatchProcess d(db);
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_TRUE(isError(d.call("POST", "/api/v1/projects/alpha/keys", "{bad", asAdmin()), 400,
                      "Request body is not valid JSON"));
  EXPECT_TRUE(isErrorNaming(
      d.call("POST", "/api/v1/projects/alpha/keys", R"({"label":7})", asAdmin()), 400, "label"));
  auto plain = d.call(
      "POST", "/api/v1/projects/alpha/keys", R"({"label":"x"})",
      {{"Authorization", std::string("Bearer ") + kAdminToken}, {"Content-Type", "text/plain"}});
  EXPECT_EQ(plain.status, 415);
  EXPECT_EQ(d.call("PUT", "/api/v1/projects/alpha/keys", "{}", asAdmin()).status, 405);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_keys"), "0");
}

}  // namespace
}  // namespace dispatch::test
