// The text rule (core/util/text.h): bytes PostgreSQL's `text` refuses — invalid UTF-8 and NUL —
// never cost an event and never answer 500. A sender's values are kept losslessly escaped and
// the event is stored; a transform's body goes out as its exact bytes; an API client's value
// is refused with a 400 naming the field. Each of these answered 500 (sqlstate 22021/22P02)
// and lost the event before the rule.
#include <gtest/gtest.h>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

// Source `open` (type from the JSON path `type`), `gh` (type and idempotency from headers), and
// two links from `open`: `raw` (a transform that writes non-UTF-8 bytes and a NUL into the body)
// and `plain` (no transform), so one link's output cannot take the other's delivery with it.
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
         "        event_type: { path: type }\n"
         "      - slug: gh\n"
         "        verify: { preset: none }\n"
         "        allow_unsigned: true\n"
         "        event_type: { header: X-GitHub-Event }\n"
         "        idempotency_header: X-GitHub-Delivery\n"
         "    destinations:\n"
         "      - name: raw\n"
         "        type: webhook\n"
         "        url: " +
         url +
         "/raw\n"
         "      - name: plain\n"
         "        type: webhook\n"
         "        url: " +
         url +
         "/plain\n"
         "      - name: err\n"
         "        type: webhook\n"
         "        url: " +
         url +
         "/err\n"
         "    links:\n"
         "      - source: open\n"
         "        destination: raw\n"
         "        lua: |\n"
         "          function transform(e)\n"
         "            e.body = 'ok\\255' .. string.char(0) .. string.sub('caf\\195\\169', 1, 4)\n"
         "            return e\n"
         "          end\n"
         "      - source: open\n"
         "        destination: plain\n"
         "      - source: open\n"
         "        destination: err\n"
         "        lua: |\n"
         "          function transform(e) error('bad \\255 byte', 0) end\n"
         "      - source: gh\n"
         "        destination: plain\n";
}

struct TextRuleTest : ::testing::Test {
  TestDatabase db;
  Receiver recv;
  std::unique_ptr<DispatchProcess> d;
  std::string key;

  void SetUp() override {
    DispatchOptions o;
    o.projectsYaml = projects("http://127.0.0.1:" + std::to_string(recv.port()));
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
    key = d->createKey("alpha");
  }
  ApiResponse api(const std::string& method, const std::string& path, const std::string& body = "",
                  std::map<std::string, std::string> h = {}) {
    h.emplace("x-api-key", key);
    if (!body.empty()) h.emplace("Content-Type", "application/json");
    return d->call(method, path, body, h);
  }
};

TEST_F(TextRuleTest, ANulInTheSendersJsonTypeIsStoredEscapedAndEveryLinkDelivers) {
  auto r = d->call("POST", "/hooks/open", R"({"type":"a\u0000b"})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id = r.data()->find("event_id")->asString();
  EXPECT_EQ(db.scalar("SELECT event_type FROM events WHERE id = '" + id + "'"), "a\\x00b");
  // raw and plain deliver; err is recorded DEAD with its (escaped) error, not lost.
  ASSERT_TRUE(recv.waitFor(2, 10000));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM deliveries WHERE event_id = '" + id + "'"), "3");
  EXPECT_EQ(db.scalar("SELECT last_error FROM deliveries WHERE event_id = '" + id +
                      "' AND destination = 'err'"),
            "<inline>: bad \xEF\xBF\xBD byte");  // display text: U+FFFD
}

TEST_F(TextRuleTest, ATransformBodyOfAnyBytesIsSentAsThoseBytes) {
  auto r = d->call("POST", "/hooks/open", R"({"type":"t"})");
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(recv.waitFor(2, 10000));
  std::string raw;
  for (const auto& q : recv.requests()) {
    if (q.path == "/raw") raw = q.body;
  }
  EXPECT_EQ(raw, std::string("ok\xff\0caf\xc3", 8));
}

TEST_F(TextRuleTest, NonUtf8SenderHeadersAreEscapedLosslesslyAndStillDeduplicate) {
  // obs-text is legal in an HTTP field value; it is not UTF-8 here.
  auto first = d->call("POST", "/hooks/gh", "{}",
                       {{"X-GitHub-Event", "caf\xe9"}, {"X-GitHub-Delivery", "d\xff"}});
  ASSERT_EQ(first.status, 202) << first.body;
  std::string id = first.data()->find("event_id")->asString();
  EXPECT_EQ(db.scalar("SELECT event_type FROM events WHERE id = '" + id + "'"), "caf\\xe9");
  EXPECT_EQ(db.scalar("SELECT idempotency_key FROM events WHERE id = '" + id + "'"), "d\\xff");
  // The same raw id is a retry of that event; a different raw byte is a different event.
  auto again = d->call("POST", "/hooks/gh", "{}",
                       {{"X-GitHub-Event", "caf\xe9"}, {"X-GitHub-Delivery", "d\xff"}});
  ASSERT_EQ(again.status, 200) << again.body;  // Duplicate event
  EXPECT_EQ(again.data()->find("event_id")->asString(), id);
  auto other =
      d->call("POST", "/hooks/gh", "{}", {{"X-GitHub-Event", "x"}, {"X-GitHub-Delivery", "d\xfe"}});
  ASSERT_EQ(other.status, 202) << other.body;
  EXPECT_NE(other.data()->find("event_id")->asString(), id);
  auto ct = d->call("POST", "/hooks/gh", "{}", {{"Content-Type", "text/\xff"}});
  ASSERT_EQ(ct.status, 202) << ct.body;
}

TEST_F(TextRuleTest, MalformedPathsAndQueriesAre400AndTouchNothing) {
  auto events = api("GET", "/api/v1/events?source=%ff");
  EXPECT_EQ(events.status, 400) << events.body;
  EXPECT_EQ(events.message(), "Malformed query string");
  EXPECT_EQ(api("GET", "/api/v1/events?type=a%00b").status, 400);
  EXPECT_EQ(api("GET", "/api/v1/deliveries?destination=%ff").status, 400);
  auto redrive = api("POST", "/api/v1/destinations/%ff/redrive", "{}");
  EXPECT_EQ(redrive.status, 400) << redrive.body;
  EXPECT_EQ(redrive.message(), "Malformed request path");
  auto admin =
      std::map<std::string, std::string>{{"Authorization", std::string("Bearer ") + kAdminToken}};
  EXPECT_EQ(d->call("GET", "/api/v1/projects/%ff/keys", "", admin).status, 400);
  admin.emplace("Content-Type", "application/json");
  EXPECT_EQ(d->call("POST", "/api/v1/projects/%ff/keys", R"({"label":"x"})", admin).status, 400);
  // A valid percent-encoded UTF-8 value is still a value.
  EXPECT_EQ(api("GET", "/api/v1/events?source=caf%C3%A9").status, 200);
}

TEST_F(TextRuleTest, ApiTextFieldsWithANulOrBadBytesAre400NamingTheField) {
  const std::string job = R"({"title":"a\u0000b","webhookUrl":"https://example.com/x","fireAt":")" +
                          isoIn(3600'000) + R"("})";
  auto r = api("POST", "/api/v1/jobs", job);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.message(), "title must be valid UTF-8 without NUL characters");
  const std::string ok =
      R"({"title":"t","webhookUrl":"https://example.com/x","fireAt":")" + isoIn(3600'000) + R"("})";
  auto idem = api("POST", "/api/v1/jobs", ok, {{"Idempotency-Key", "caf\xe9"}});
  EXPECT_EQ(idem.status, 400) << idem.body;
  EXPECT_EQ(idem.message(), "Idempotency-Key must be valid UTF-8 without NUL characters");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM jobs"), "0");

  auto label = d->call("POST", "/api/v1/projects/alpha/keys", R"({"label":"a\u0000b"})",
                       {{"Authorization", std::string("Bearer ") + kAdminToken},
                        {"Content-Type", "application/json"}});
  EXPECT_EQ(label.status, 400) << label.body;
  EXPECT_EQ(label.message(), "label must be valid UTF-8 without NUL characters");
}

}  // namespace
}  // namespace dispatch::test
