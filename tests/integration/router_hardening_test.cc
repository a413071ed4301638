// What a sender or a config cannot make Dispatch do: store credentials, or replace the
// headers Dispatch owns (signature, ids) on the way out.
#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace dispatch::test {
namespace {

std::string projects(const std::string& url) {
  return "projects:\n"
         "  - name: alpha\n"
         "    signing_secret: " +
         std::string(kAlphaSecret) +
         "\n"
         "    sources:\n"
         "      - slug: open\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n"
         "    destinations:\n"
         "      - name: app\n"
         "        type: webhook\n"
         "        url: " +
         url +
         "\n"
         "        headers: { webhook-signature: forged, X-Dispatch-Event-ID: forged, X-Ok: yes }\n"
         "    links:\n"
         "      - source: open\n"
         "        destination: app\n"
         "        lua: |\n"
         "          function transform(event)\n"
         "            event.headers_out = { [\"webhook-id\"] = \"forged\", [\"X-Also\"] = \"fine\" "
         "}\n"
         "            return event\n"
         "          end\n";
}

TEST(RouteHardeningTest, CredentialsAreNotStoredAndOwnedHeadersCannotBeReplaced) {
  TestDatabase db;
  Receiver recv;
  DispatchOptions o;
  o.projectsYaml = projects(recv.url("/app"));
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call(
      "POST", "/hooks/open", R"({"x":1})",
      {{"Authorization", "Bearer sk_sender_credential"}, {"Cookie", "s=1"}, {"X-Trace", "t1"}});
  ASSERT_EQ(r.status, 202) << r.body;
  std::string eventId = r.data()->find("event_id")->asString();
  ASSERT_TRUE(recv.waitFor(1, 5000));
  auto got = recv.requests()[0];
  EXPECT_EQ(got.header("webhook-id"), eventId);
  EXPECT_EQ(got.header("x-dispatch-event-id"), eventId);
  EXPECT_EQ(got.header("webhook-signature").rfind("v1,", 0), 0u);
  EXPECT_EQ(got.header("x-ok"), "yes");
  EXPECT_EQ(got.header("x-also"), "fine");
  EXPECT_EQ(got.header("authorization"), "");
  auto ev = d.call("GET", "/api/v1/events/" + eventId, "", {{"x-api-key", key}});
  ASSERT_EQ(ev.status, 200) << ev.body;
  const json::Value* headers = ev.data()->find("headers");
  ASSERT_NE(headers, nullptr);
  EXPECT_EQ(headers->find("authorization"), nullptr);
  EXPECT_EQ(headers->find("cookie"), nullptr);
  ASSERT_NE(headers->find("x-trace"), nullptr);
  EXPECT_EQ(ev.body.find("sk_sender_credential"), std::string::npos);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events WHERE headers LIKE '%sk_sender%'"), "0");
}

TEST(RouteHardeningTest, RepeatedQueryParametersKeepTheFirstValueOnce) {
  TestDatabase db;
  Receiver recv;
  DispatchOptions o;
  o.projectsYaml = projects(recv.url("/app"));
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  std::string key = d.createKey("alpha");
  auto r = d.call("POST", "/hooks/open?x=1&x=2&y=%20z", R"({})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id = r.data()->find("event_id")->asString();
  EXPECT_EQ(db.scalar("SELECT query FROM events WHERE id = '" + id + "'"), R"({"x":"1","y":" z"})");
}

}  // namespace
}  // namespace dispatch::test
