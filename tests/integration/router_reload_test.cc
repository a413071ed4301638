// Config reload of a running node (POST /api/v1/admin/reload and SIGHUP): a broken file is
// refused with its errors and the old config keeps working; a valid one takes effect for new
// events; deliveries already created keep their URL and finish.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

const char* kRetry3 = "{ max_attempts: 3, backoff: fixed, initial: 700ms, jitter: false }";

std::string reloadProjects(const std::string& urlA, const std::string& urlB = "",
                           const std::string& extraDestA = "", const std::string& retry = kRetry3) {
  std::string y =
      "projects:\n"
      "  - name: alpha\n"
      "    signing_secret: " +
      std::string(kAlphaSecret) +
      "\n"
      "    sources:\n"
      "      - slug: src\n"
      "        verify: { preset: none }\n"
      "        allow_unsigned: true\n"
      "    destinations:\n"
      "      - name: a\n"
      "        type: webhook\n"
      "        url: " +
      urlA +
      "\n"
      "        retry: " +
      retry + "\n" + extraDestA;
  if (!urlB.empty()) {
    y += "      - name: b\n"
         "        type: webhook\n"
         "        url: " +
         urlB + "\n";
  }
  y += "    links:\n"
       "      - { source: src, destination: a }\n";
  if (!urlB.empty()) y += "      - { source: src, destination: b }\n";
  return y;
}

class ReloadFixture : public ::testing::Test {
 protected:
  void start(const std::string& projects) {
    DispatchOptions o;
    o.projectsYaml = projects;
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
  }

  std::string send(const std::string& body = "{}") {
    std::string why;
    std::string id = accepted(postHook(*d, "src", body), &why);
    EXPECT_FALSE(id.empty()) << why;
    return id;
  }

  int logCount(const std::string& needle) const {
    std::string text = d->log();
    int n = 0;
    for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
    return n;
  }

  TestDatabase db;
  std::unique_ptr<DispatchProcess> d;
};

using ReloadConfig = ReloadFixture;

TEST_F(ReloadConfig, BrokenFileIsRefusedWithErrorsAndOldConfigKeepsWorking) {
  Receiver ra;
  Receiver rb;
  start(reloadProjects(ra.url("/a")));
  // An unknown key in a source and a link to an unknown destination: both errors, with
  // file:line:column.
  std::string broken =
      reloadProjects(ra.url("/a")) + "      - { source: src, destination: ghost }\n";
  broken.replace(broken.find("        allow_unsigned: true\n"), 0, "        bogus_key: 1\n");
  rewriteProjects(*d, broken);
  auto r = reloadNow(*d);
  EXPECT_EQ(r.status, 400) << r.body;
  ASSERT_TRUE(r.json) << r.body;
  EXPECT_FALSE(r.json->find("status")->asBool());
  EXPECT_TRUE(isNullField(r.json.get(), "data")) << r.body;
  std::string msg = r.message();
  EXPECT_NE(msg.find("dispatch.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bogus_key"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ghost"), std::string::npos) << msg;
  // An option the destination's plugin does not know is refused as well.
  rewriteProjects(*d, reloadProjects(ra.url("/a"), "", "        bogus_option: 1\n"));
  auto rp = reloadNow(*d);
  EXPECT_EQ(rp.status, 400) << rp.body;
  EXPECT_NE(rp.message().find("bogus_option"), std::string::npos) << rp.body;
  rewriteProjects(*d, broken);

  // The same file through SIGHUP: refused and logged, the process keeps running.
  int refusedBefore = logCount("config reload refused");
  d->kill(SIGHUP);
  EXPECT_TRUE(eventually([&] { return logCount("config reload refused") > refusedBefore; }, 3000))
      << d->log();
  EXPECT_TRUE(d->running());

  std::string id = send();
  ASSERT_TRUE(ra.waitFor(1, 5000));
  EXPECT_EQ(ra.requests()[0].header("webhook-id"), id);
  // A file that is not even YAML.
  writeText(d->configPath(), "server: [unclosed\n  : :\n");
  auto r2 = reloadNow(*d);
  EXPECT_EQ(r2.status, 400) << r2.body;
  send();
  ASSERT_TRUE(ra.waitFor(2, 5000));
}

TEST_F(ReloadConfig, SighupWithNewDestinationFansOutNewEvents) {
  Receiver ra;
  Receiver rb;
  start(reloadProjects(ra.url("/a")));
  std::string before = send();
  ASSERT_TRUE(ra.waitFor(1, 5000));

  rewriteProjects(*d, reloadProjects(ra.url("/a"), rb.url("/b")));
  int reloadedBefore = logCount("\"msg\":\"config reloaded\"");
  d->kill(SIGHUP);
  ASSERT_TRUE(
      eventually([&] { return logCount("\"msg\":\"config reloaded\"") > reloadedBefore; }, 3000))
      << d->log();
  std::string after = send();
  ASSERT_TRUE(rb.waitFor(1, 5000));
  ASSERT_TRUE(ra.waitFor(2, 5000));
  EXPECT_EQ(rb.requests()[0].header("webhook-id"), after);
  EXPECT_EQ(ra.requests()[1].header("webhook-id"), after);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(rb.count(), 1u);  // the earlier event is not routed again
  ApiResponse ev = getEvent(*d, after);
  EXPECT_EQ(arrayAt(ev, "deliveries").size(), 2u) << ev.body;
  EXPECT_EQ(deliveryTo(*d, before, "b"), "");
  // The admin endpoint reloads too and answers {"reloaded": true}.
  auto r = reloadNow(*d);
  ASSERT_TRUE(isOk(r, 200, r.message())) << r.body;
  const json::Value* rl = r.data() ? r.data()->find("reloaded") : nullptr;
  ASSERT_TRUE(rl && rl->isBool() && rl->asBool()) << r.body;
}

TEST_F(ReloadConfig, InFlightAndRetryingDeliveriesAreUnaffected) {
  auto failed = std::make_shared<std::atomic<bool>>(false);
  Receiver oldUrl{[failed](int, const ReceivedRequest& req) {
    if (req.body.find("slow") != std::string::npos)
      return ScriptedResponse{200, "slow ok", {}, 1500};
    if (req.body.find("fail-once") != std::string::npos && !failed->exchange(true)) {
      return ScriptedResponse{500, "once", {}, 0};
    }
    return ScriptedResponse{200, "ok", {}, 0};
  }};
  Receiver newUrl;
  start(reloadProjects(oldUrl.url("/old")));
  std::string slow = send(R"({"slow":true})");
  std::string retrying = send(R"({"fail-once":true})");
  ASSERT_TRUE(oldUrl.waitFor(2, 5000));
  std::string slowDelivery = deliveryTo(*d, slow, "a");
  std::string retryDelivery = deliveryTo(*d, retrying, "a");
  ASSERT_TRUE(eventually([&] { return deliveryStatus(*d, retryDelivery) == "FAILED"; }, 2000));
  EXPECT_EQ(deliveryStatus(*d, slowDelivery), "FIRING");

  // Destination `a` moves to another URL while one attempt is in flight and one retry is armed.
  rewriteProjects(*d, reloadProjects(newUrl.url("/new")));
  auto r = reloadNow(*d);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string fresh = send(R"({"fresh":true})");

  EXPECT_TRUE(waitDelivery(*d, slowDelivery, "SUCCESS", 5000))
      << getDelivery(*d, slowDelivery).body;
  EXPECT_TRUE(waitDelivery(*d, retryDelivery, "SUCCESS", 5000))
      << getDelivery(*d, retryDelivery).body;
  EXPECT_EQ(num(getDelivery(*d, slowDelivery).data(), "attempts"), 1);
  EXPECT_EQ(num(getDelivery(*d, retryDelivery).data(), "attempts"), 2);
  ASSERT_TRUE(newUrl.waitFor(1, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The old deliveries kept the URL they were created with; the new event uses the new one.
  auto oldReqs = oldUrl.requests();
  ASSERT_EQ(oldReqs.size(), 3u);
  EXPECT_EQ(oldReqs[2].header("webhook-id"), retrying);
  EXPECT_EQ(oldReqs[2].header("x-dispatch-attempt"), "2");
  ASSERT_EQ(newUrl.count(), 1u);
  EXPECT_EQ(newUrl.requests()[0].header("webhook-id"), fresh);
}

TEST_F(ReloadConfig, NewAttemptsUseTheCurrentRetryPolicy) {
  Receiver failing{[](int, const ReceivedRequest&) {
    return ScriptedResponse{500, "down", {}, 0};
  }};
  start(reloadProjects(failing.url("/a")));
  std::string id = send();
  ASSERT_TRUE(failing.waitFor(1, 5000));
  std::string did = deliveryTo(*d, id, "a");
  ASSERT_TRUE(eventually([&] { return deliveryStatus(*d, did) == "FAILED"; }, 2000));
  // Down from 3 attempts to 2: the retry already armed is the last one.
  rewriteProjects(*d, reloadProjects(failing.url("/a"), "", "",
                                     "{ max_attempts: 2, backoff: fixed, initial: 200ms }"));
  ASSERT_EQ(reloadNow(*d).status, 200);
  ASSERT_TRUE(waitDelivery(*d, did, "DEAD", 5000)) << getDelivery(*d, did).body;
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(failing.count(), 2u);
  ApiResponse g = getDelivery(*d, did);
  EXPECT_EQ(num(g.data(), "attempts"), 2) << g.body;
  EXPECT_EQ(str(g.data(), "error"), "HTTP 500") << g.body;
}

}  // namespace
}  // namespace dispatch::test
