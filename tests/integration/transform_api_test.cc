// POST /api/v1/transforms/run (issue 14): the outcomes on a given event and on a stored one,
// log() lines, errors with their line, the limits (an endless loop ends within the CPU
// budget), nothing stored or sent, project scoping, bad requests, and the per-node cap.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

std::string luaRequest(const std::string& lua, const std::string& eventJson) {
  return "{\"lua\":" + json::quote(lua) + ",\"event\":" + eventJson + "}";
}

class TransformApi : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string y = "projects:\n";
    for (const char* p : {"alpha", "beta"}) {
      y += std::string("  - name: ") + p + "\n    signing_secret: " + kAlphaSecret +
           "\n    sources:\n      - slug: " + p +
           "-src\n        verify: { preset: none }\n        allow_unsigned: true\n"
           "        event_type: { header: X-Event }\n"
           "    destinations:\n      - name: out\n        type: webhook\n        url: " +
           rx.url("/out") + "\n    links:\n      - { source: " + p + "-src, destination: out }\n";
    }
    DispatchOptions o;
    o.projectsYaml = y;
    // The CPU budget, not the instruction count, ends an endless loop here: each run then holds
    // its worker for 60 ms of CPU.
    o.extraYaml = "transforms:\n  cpu_time: 60ms\n  max_instructions: 1000000000000\n";
    d = std::make_unique<DispatchProcess>(db, o);
    ASSERT_TRUE(d->start()) << d->log();
    alphaKey = d->createKey("alpha");
    betaKey = d->createKey("beta");
  }

  ApiResponse run(const std::string& body, const std::string& key) {
    return d->call("POST", "/api/v1/transforms/run", body, withKey(key));
  }

  TestDatabase db;
  Receiver rx;
  std::unique_ptr<DispatchProcess> d;
  std::string alphaKey, betaKey;
};

TEST_F(TransformApi, DeliverDropAndErrorOnAGivenEvent) {
  ApiResponse r = run(luaRequest("function transform(e)\n  log('seen ' .. e.type)\n"
                                 "  e.body = { n = e.body.n + 1, ua = e.headers['x-a'] }\n"
                                 "  e.type = 'shaped'\n  e.headers_out = { ['X-Out'] = '1' }\n"
                                 "  return e\nend",
                                 R"({"body":{"n":41},"type":"t","headers":{"X-A":"v"}})"),
                      alphaKey);
  ASSERT_TRUE(isOk(r, 200, "Transform run")) << r.body;
  const json::Value* v = r.data();
  EXPECT_EQ(keysOf(v), (std::set<std::string>{"outcome", "type", "headersOut", "body", "error",
                                              "logs", "durationUs"}));
  EXPECT_EQ(str(v, "outcome"), "deliver");
  EXPECT_EQ(str(v, "type"), "shaped");
  EXPECT_EQ(v->find("body")->raw(), R"({"n":42,"ua":"v"})");
  EXPECT_EQ(str(v->find("headersOut"), "X-Out"), "1");
  ASSERT_EQ(arrayAt(v, "logs").size(), 1u);
  EXPECT_EQ(arrayAt(v, "logs")[0]->asString(), "seen t");
  EXPECT_TRUE(isNullField(v, "error"));
  EXPECT_GE(num(v, "durationUs"), 0);

  ApiResponse drop =
      run(luaRequest("function transform(e) return nil end", R"({"body":"x"})"), alphaKey);
  ASSERT_EQ(drop.status, 200) << drop.body;
  EXPECT_EQ(str(drop.data(), "outcome"), "drop");
  EXPECT_TRUE(isNullField(drop.data(), "body"));

  // A runtime error and a compile error: outcome error with the line, still a 200.
  ApiResponse err = run(luaRequest("function transform(e)\n  error('boom')\nend", "{}"), alphaKey);
  ASSERT_EQ(err.status, 200) << err.body;
  EXPECT_EQ(str(err.data(), "outcome"), "error");
  EXPECT_NE(str(err.data(), "error").find(":2: boom"), std::string::npos) << err.body;
  ApiResponse syntax = run(luaRequest("function transform(e)\n  return (\nend", "{}"), alphaKey);
  ASSERT_EQ(syntax.status, 200) << syntax.body;
  EXPECT_EQ(str(syntax.data(), "outcome"), "error");
  EXPECT_NE(str(syntax.data(), "error").find(":3:"), std::string::npos) << syntax.body;

  // A string body is the body's text, not JSON.
  ApiResponse text = run(luaRequest("function transform(e) log(type(e.body)) return e end",
                                    R"({"body":"plain text"})"),
                         alphaKey);
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_EQ(arrayAt(text.data(), "logs")[0]->asString(), "string");
  EXPECT_EQ(text.data()->find("body")->raw(), "\"plain text\"");

  // Nothing was stored or sent.
  ApiResponse events = d->call("GET", "/api/v1/events", "", withKey(alphaKey));
  EXPECT_EQ(num(events.data()->find("pagination"), "total"), 0) << events.body;
  EXPECT_EQ(rx.count(), 0u);
}

TEST_F(TransformApi, AnEndlessLoopEndsAsAnErrorWithinTheBudget) {
  const auto t0 = std::chrono::steady_clock::now();
  ApiResponse r = run(luaRequest("function transform(e) while true do end end", "{}"), alphaKey);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(r.data(), "outcome"), "error");
  EXPECT_NE(str(r.data(), "error").find("CPU time limit exceeded (60 ms)"), std::string::npos)
      << r.body;
  EXPECT_LT(msSince(t0), 3000);
  // The server still answers at once.
  EXPECT_EQ(d->call("GET", "/healthz").status, 200);
}

TEST_F(TransformApi, AStoredEventOfTheKeysProjectOnly) {
  const std::string id =
      accepted(postHook(*d, "alpha-src", R"({"amount":7})", {{"X-Event", "paid"}}));
  ASSERT_FALSE(id.empty());
  const std::string lua =
      "function transform(e)\n  e.body = { doubled = e.body.amount * 2, t = e.type }\n"
      "  return e\nend";
  const std::string body = "{\"lua\":" + json::quote(lua) + ",\"eventId\":\"" + id + "\"}";
  ApiResponse r = run(body, alphaKey);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(r.data(), "outcome"), "deliver");
  EXPECT_EQ(r.data()->find("body")->raw(), R"({"doubled":14,"t":"paid"})");
  // Another project's key: not found, as any other of its endpoints.
  EXPECT_TRUE(isError(run(body, betaKey), 404, "Event not found"));
  EXPECT_TRUE(isError(
      run("{\"lua\":\"function transform(e) return e end\",\"eventId\":\"nope\"}", alphaKey), 404,
      "Event not found"));
}

TEST_F(TransformApi, BadRequestsNameTheField) {
  EXPECT_TRUE(isError(run("{", alphaKey), 400, "Request body is not valid JSON"));
  EXPECT_TRUE(isError(run("[]", alphaKey), 400, "Request body must be a JSON object"));
  EXPECT_TRUE(isError(run(R"({"event":{}})", alphaKey), 400, "lua is required"));
  EXPECT_TRUE(isError(run(R"({"lua":1,"event":{}})", alphaKey), 400, "lua must be a string"));
  EXPECT_TRUE(isError(run(R"({"lua":"x"})", alphaKey), 400, "event or eventId is required"));
  EXPECT_TRUE(isError(run(R"({"lua":"x","event":{},"eventId":"a"})", alphaKey), 400,
                      "give event or eventId, not both"));
  EXPECT_TRUE(isError(run(R"({"lua":"x","event":{"headers":{"X":1}}})", alphaKey), 400,
                      "event.headers.X must be a string"));
  EXPECT_TRUE(isError(run(R"({"lua":"x","event":{"kind":1}})", alphaKey), 400,
                      "event.kind is not a known field (body, type, headers, source)"));
  const std::string big(300 << 10, '-');
  EXPECT_TRUE(isErrorNaming(run(luaRequest(big, "{}"), alphaKey), 400, "lua is over"));
  EXPECT_EQ(d->call("POST", "/api/v1/transforms/run", R"({"lua":"x","event":{}})").status, 401);
}

TEST_F(TransformApi, AtMostFourRunAtOnceOnANode) {
  // Twelve endless loops at once, each holding its worker for its 60 ms of CPU: at most four
  // run together, the others are told to come back (429 with Retry-After).
  std::atomic<int> ok{0}, limited{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  const std::string body = luaRequest("function transform(e) while true do end end", "{}");
  for (int i = 0; i < 12; ++i) {
    ts.emplace_back([&] {
      while (!go) std::this_thread::yield();
      ApiResponse r = run(body, alphaKey);
      if (r.status == 200 && str(r.data(), "outcome") == "error") ++ok;
      if (r.status == 429 && r.message() == "Too many transform runs at once" &&
          r.headers.count("retry-after") && r.headers.at("retry-after") == "1") {
        ++limited;
      }
    });
  }
  go = true;
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok + limited, 12);
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(limited.load(), 1);
  // The cap is released: one more runs.
  EXPECT_EQ(run(body, alphaKey).status, 200);
}

}  // namespace
}  // namespace dispatch::test
