// The transform author's loop on the command line (contracts/transforms.md, "Writing and testing
// a transform"): `dispatch transform run` on a file and on an event a real server ingested,
// `dispatch transform test` on a test file, check-config running the test files of its
// transforms, and the test files shipped in examples/.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/router_util.h"

namespace dispatch::test {
namespace {

using namespace router;

const char* kScript = R"(log("loaded")
function transform(event)
  log("type " .. event.type .. " from " .. event.source)
  if event.body.action == "deleted" then return nil end
  if event.body.boom then error("boom") end
  event.body = { repo = event.body.repo, team = event.headers["x-team"], n = 1.5 }
  event.headers_out = { ["X-Team"] = "infra" }
  event.type = "gh." .. event.type
  return event
end
)";

// `text` without the server log lines (JSON objects) that compiling a config's transforms
// writes for their top-level log() calls.
std::string withoutLogLines(const std::string& text) {
  std::string out;
  for (const auto& l : lines(text)) {
    if (!l.empty() && l.rfind("{\"ts\":", 0) != 0) out += l + "\n";
  }
  return out;
}

class TransformCliTest : public ::testing::Test {
 protected:
  TransformCliTest() : dir(makeTempDir()) { writeText(dir + "/t.lua", kScript); }
  ~TransformCliTest() override { std::filesystem::remove_all(dir); }

  // An event file holding `body`; its path.
  std::string eventFile(const std::string& body) {
    const std::string path = dir + "/event-" + std::to_string(++events) + ".json";
    writeText(path, body);
    return path;
  }

  std::string dir;
  int events = 0;
};

TEST_F(TransformCliTest, RunPrintsTheOutcomeOnStdoutAndLogLinesOnStderr) {
  auto deliver = runCliSplit({"transform", "run", dir + "/t.lua", "--event",
                              eventFile(R"({"action":"opened","repo":"octo/hello"})"), "--type",
                              "push", "--header", "X-Team: platform", "--source", "github"},
                             {});
  EXPECT_EQ(deliver.exitCode, 0) << deliver.out;
  EXPECT_EQ(deliver.stdoutText,
            R"({"outcome":"deliver","type":"gh.push","headers_out":{"X-Team":"infra"},)"
            R"("body":{"n":1.5,"repo":"octo/hello","team":"platform"}})"
            "\n");
  EXPECT_EQ(deliver.stderrText, "loaded\ntype push from github\n");

  auto drop = runCliSplit(
      {"transform", "run", dir + "/t.lua", "--event", eventFile(R"({"action":"deleted"})")}, {});
  EXPECT_EQ(drop.exitCode, 0) << drop.out;
  EXPECT_EQ(drop.stdoutText, "{\"outcome\":\"drop\"}\n");
  EXPECT_EQ(drop.stderrText, "loaded\ntype  from \n");

  auto error = runCliSplit(
      {"transform", "run", dir + "/t.lua", "--event=" + eventFile(R"({"boom":true})")}, {});
  EXPECT_EQ(error.exitCode, 1) << error.out;
  EXPECT_EQ(error.stdoutText, "{\"outcome\":\"error\",\"error\":\"" + dir + "/t.lua:5: boom\"}\n");
  EXPECT_EQ(error.stderrText, "loaded\ntype  from \n");

  // A body that is not JSON is shown as a string; without an event the body is {}.
  writeText(dir + "/pass.lua", "function transform(e) return e end");
  auto text =
      runCliSplit({"transform", "run", dir + "/pass.lua", "--event", eventFile("a=1&b=2")}, {});
  EXPECT_EQ(text.stdoutText,
            "{\"outcome\":\"deliver\",\"type\":\"\",\"headers_out\":{},\"body\":\"a=1&b=2\"}\n");
  auto none = runCliSplit({"transform", "run", dir + "/pass.lua"}, {});
  EXPECT_EQ(none.stdoutText,
            "{\"outcome\":\"deliver\",\"type\":\"\",\"headers_out\":{},\"body\":{}}\n");

  // A script that does not compile is an error outcome naming the file and line.
  writeText(dir + "/bad.lua", "function transform(e)\n  return e\n");
  auto bad = runCliSplit({"transform", "run", dir + "/bad.lua"}, {});
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.stdoutText.find("\"error\":\"" + dir + "/bad.lua:3: 'end' expected"),
            std::string::npos)
      << bad.stdoutText;
}

TEST_F(TransformCliTest, UsageAndUserErrors) {
  const std::string t = dir + "/t.lua";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"transform"},
           {"transform", "frob", t},
           {"transform", "run"},
           {"transform", "run", t, t},
           {"transform", "run", t, "--event", "a.json", "--from-event", "x"},
           {"transform", "run", t, "--type", "a", "--type", "b"},
           {"transform", "run", t, "--header", "no colon"},
           {"transform", "run", t, "--bogus"},
           {"transform", "run", t, "--event"},
           {"transform", "test", t, "--type", "push"},
       }) {
    auto r = runCliSplit(args, {});
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exitCode, 2) << joined << "\n" << r.out;
    EXPECT_EQ(r.stderrText.rfind("dispatch: ", 0), 0u) << joined << "\n" << r.stderrText;
    EXPECT_NE(r.stderrText.find("transform run FILE.lua"), std::string::npos) << "usage text";
    EXPECT_EQ(r.stdoutText, "") << joined;
  }
  EXPECT_EQ(runCli({"transform", "--help"}, {}).exitCode, 0);

  auto missing = runCliSplit({"transform", "run", dir + "/none.lua"}, {});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_EQ(missing.stderrText, "dispatch: cannot read file '" + dir + "/none.lua'\n");
  auto noEvent = runCliSplit({"transform", "run", t, "--event", dir + "/none.json"}, {});
  EXPECT_EQ(noEvent.exitCode, 1);
  EXPECT_EQ(noEvent.stderrText, "dispatch: cannot read file '" + dir + "/none.json'\n");
}

TEST_F(TransformCliTest, AnEndlessLoopEndsAsAnErrorWithinTheConfiguredBudget) {
  TestDatabase db;
  writeText(dir + "/loop.lua", "function transform(e)\n  while true do end\nend\n");
  // Only the CPU-time budget can end it: the instruction limit is out of reach.
  DispatchOptions cpu;
  cpu.extraYaml = "transforms:\n  max_instructions: 1000000000000\n  cpu_time: 50ms\n";
  DispatchProcess cpuConfig(db, cpu);
  const auto start = std::chrono::steady_clock::now();
  auto r =
      runCliSplit({"transform", "run", dir + "/loop.lua", "--config", cpuConfig.configPath()}, {});
  EXPECT_LT(msSince(start), 10'000) << "process start included; the call itself takes ~50 ms";
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_EQ(r.stdoutText,
            "{\"outcome\":\"error\",\"error\":\"CPU time limit exceeded (50 ms)\"}\n");

  // The config's limits are the ones applied: here its instruction limit.
  DispatchOptions few;
  few.extraYaml = "transforms:\n  max_instructions: 5000\n";
  DispatchProcess fewConfig(db, few);
  auto f =
      runCliSplit({"transform", "run", dir + "/loop.lua", "--config", fewConfig.configPath()}, {});
  EXPECT_EQ(f.exitCode, 1) << f.out;
  EXPECT_EQ(f.stdoutText,
            "{\"outcome\":\"error\",\"error\":\"instruction limit exceeded (5000)\"}\n");
}

TEST_F(TransformCliTest, RunFromAStoredEventOfARunningServer) {
  TestDatabase db;
  Receiver recv;
  const char* kKeys = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
  DispatchOptions o;
  o.env["DISPATCH_MASTER_KEYS"] = kKeys;  // stored sealed: the CLI must open it
  o.projectsYaml = std::string("projects:\n  - name: alpha\n    signing_secret: ") + kAlphaSecret +
                   "\n    encrypt_payloads: true\n    sources:\n      - slug: src\n"
                   "        verify: { preset: none }\n        allow_unsigned: true\n"
                   "        event_type: { header: X-Event }\n    destinations:\n" +
                   "      - name: app\n        type: webhook\n        url: " + recv.url() +
                   "\n    links:\n      - source: src\n        destination: app\n";
  DispatchProcess d(db, o);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string id =
      accepted(postHook(d, "src?team=core", R"({"action":"opened","repo":"octo/hello"})",
                        {{"X-Event", "push"}, {"X-Team", "stored"}}));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events WHERE position('octo/hello' in "
                      "convert_from(body, 'SQL_ASCII')) > 0"),
            "0")
      << "the body is stored sealed";

  writeText(dir + "/stored.lua", R"(function transform(event)
  log("event " .. event.id)
  event.body = { action = event.body.action, team = event.headers["x-team"],
                 q = event.query.team, id = event.id, src = event.source }
  return event
end
)");
  const std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()},
                                                  {"DISPATCH_MASTER_KEYS", kKeys}};
  auto r = runCliSplit(
      {"transform", "run", dir + "/stored.lua", "--from-event", id, "--config", d.configPath()},
      env);
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(r.stdoutText, R"({"outcome":"deliver","type":"push","headers_out":{},)"
                          R"("body":{"action":"opened","id":")" +
                              id + R"(","q":"core","src":"src","team":"stored"}})" + "\n");
  EXPECT_EQ(r.stderrText, "event " + id + "\n");

  // Flags replace what was stored.
  auto over = runCliSplit(
      {"transform", "run", dir + "/stored.lua", "--from-event", id, "--config", d.configPath(),
       "--type", "issues", "--header", "x-team: flag", "--source", "other"},
      env);
  EXPECT_EQ(over.exitCode, 0) << over.out;
  EXPECT_EQ(over.stdoutText, R"({"outcome":"deliver","type":"issues","headers_out":{},)"
                             R"("body":{"action":"opened","id":")" +
                                 id + R"(","q":"core","src":"other","team":"flag"}})" + "\n");

  // Nothing was stored or sent by the trials: still the one delivery of the ingest.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM events"), "1");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM deliveries"), "1");

  auto unknown = runCliSplit({"transform", "run", dir + "/stored.lua", "--from-event",
                              "0190d7c4-5a3e-7b2f-9c41-2f6d8e9a1b3c", "--config", d.configPath()},
                             env);
  EXPECT_EQ(unknown.exitCode, 1) << unknown.out;
  EXPECT_EQ(unknown.stderrText, "dispatch: Event not found\n");
  EXPECT_EQ(unknown.stdoutText, "");
}

const char* kTests = R"(- name: a push is reshaped
  event:
    type: push
    headers: { X-Team: platform }
    body: { action: opened, repo: octo/hello }
  expect:
    outcome: deliver
    type: gh.push
    headers_out: { x-team: infra }
    body: { repo: octo/hello, team: platform, n: 1.5 }
- name: deletions are dropped
  event: { body: { action: deleted } }
  expect: { outcome: drop }
)";

TEST_F(TransformCliTest, TestRunsTheCasesBesideTheScript) {
  writeText(dir + "/t.test.yaml", kTests);
  auto pass = runCliSplit({"transform", "test", dir + "/t.lua"}, {});
  EXPECT_EQ(pass.exitCode, 0) << pass.out;
  EXPECT_EQ(pass.stdoutText,
            "ok   a push is reshaped\nok   deletions are dropped\n2 passed, 0 failed\n");
  EXPECT_EQ(pass.stderrText, "");

  writeText(dir + "/t.test.yaml", std::string(kTests) + R"(- name: a failing case
  event: { type: push, body: { repo: x } }
  expect: { outcome: deliver, body: { repo: y } }
)");
  auto fail = runCliSplit({"transform", "test", dir + "/t.lua"}, {});
  EXPECT_EQ(fail.exitCode, 1) << fail.out;
  EXPECT_EQ(fail.stdoutText,
            "ok   a push is reshaped\n"
            "ok   deletions are dropped\n"
            "FAIL a failing case: expected body {\"repo\":\"y\"}, got {\"n\":1.5,\"repo\":\"x\"}\n"
            "    log: loaded\n"
            "    log: type push from \n"
            "2 passed, 1 failed\n");

  writeText(dir + "/t.test.yaml", "- name: x\n  expect: { outcome: maybe }\n");
  auto malformed = runCliSplit({"transform", "test", dir + "/t.lua"}, {});
  EXPECT_EQ(malformed.exitCode, 1);
  EXPECT_EQ(malformed.stderrText,
            dir + "/t.test.yaml:2:22: [0].expect.outcome: must be deliver, drop or error\n");
  EXPECT_EQ(malformed.stdoutText, "");

  std::filesystem::remove(dir + "/t.test.yaml");
  auto missing = runCliSplit({"transform", "test", dir + "/t.lua"}, {});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_EQ(missing.stderrText, dir + "/t.test.yaml: cannot read file\n");
}

TEST_F(TransformCliTest, CheckConfigRunsTheTestFilesOfItsTransforms) {
  TestDatabase db;
  Receiver recv;
  writeText(dir + "/transforms/t.lua", kScript);
  DispatchOptions o;
  o.projectsYaml = std::string("projects:\n  - name: alpha\n    signing_secret: ") + kAlphaSecret +
                   "\n    sources:\n      - slug: src\n        verify: { preset: none }\n"
                   "        allow_unsigned: true\n    destinations:\n"
                   "      - name: app\n        type: webhook\n        url: " +
                   recv.url() +
                   "\n    links:\n"
                   "      - source: src\n        destination: app\n"
                   "        transform: " +
                   dir +
                   "/transforms/t.lua\n"
                   "      - source: src\n        destination: app\n"
                   "        lua: |\n          function transform(e) return e end\n";
  DispatchProcess d(db, o);
  const std::map<std::string, std::string> env = {{"DATABASE_URL", db.url()}};

  // No test file: nothing more than before.
  auto plain = runCliSplit({"check-config", "--config", d.configPath()}, env);
  EXPECT_EQ(plain.exitCode, 0) << plain.out;
  EXPECT_EQ(lines(plain.stdoutText).size(), 1u) << plain.stdoutText;

  writeText(dir + "/transforms/t.test.yaml", std::string(kTests) + R"(- name: a failing case
  event: { type: push, body: { repo: x } }
  expect: { outcome: drop }
)");
  auto failing = runCliSplit({"check-config", "--config", d.configPath()}, env);
  EXPECT_EQ(failing.exitCode, 1) << failing.out;
  EXPECT_EQ(withoutLogLines(failing.stderrText),
            dir +
                "/transforms/t.test.yaml: FAIL a failing case: expected "
                "outcome drop, got deliver\n");
  EXPECT_EQ(failing.stdoutText, "");

  writeText(dir + "/transforms/t.test.yaml", kTests);
  auto passing = runCliSplit({"check-config", "--config", d.configPath()}, env);
  EXPECT_EQ(passing.exitCode, 0) << passing.out;
  const std::vector<std::string> out = lines(passing.stdoutText);
  ASSERT_GE(out.size(), 2u) << passing.stdoutText;
  EXPECT_NE(out[0].find(": ok (1 projects, 1 sources, 1 destinations, 2 links)"), std::string::npos)
      << out[0];
  EXPECT_EQ(out[1], dir + "/transforms/t.test.yaml: 2 passed, 0 failed");
  EXPECT_EQ(withoutLogLines(passing.stderrText), "");

  writeText(dir + "/transforms/t.test.yaml", "- name: x\n  expect: { outcome: maybe }\n");
  auto malformed = runCliSplit({"check-config", "--config", d.configPath()}, env);
  EXPECT_EQ(malformed.exitCode, 1);
  EXPECT_EQ(withoutLogLines(malformed.stderrText),
            dir +
                "/transforms/t.test.yaml:2:22: [0].expect.outcome: must be "
                "deliver, drop or error\n");
}

TEST_F(TransformCliTest, TheExamplesTestFilesPass) {
  const std::string examples = std::string(DISPATCH_SOURCE_DIR) + "/examples";
  for (const char* name : {"reshape", "filter", "enrich"}) {
    auto r = runCliSplit({"transform", "test", examples + "/transforms/" + name + ".lua"}, {});
    EXPECT_EQ(r.exitCode, 0) << name << "\n" << r.out;
    const std::vector<std::string> out = lines(r.stdoutText);
    ASSERT_FALSE(out.empty()) << name;
    EXPECT_NE(out.back().find(" passed, 0 failed"), std::string::npos) << out.back();
    EXPECT_EQ(r.stdoutText.find("FAIL"), std::string::npos) << r.stdoutText;
  }
  // check-config of the example runs them too.
  const std::map<std::string, std::string> env = {
      {"DATABASE_URL", "postgresql://127.0.0.1:1/unused"},
      {"DISPATCH_SIGNING_SECRET", kAlphaSecret},
      {"GITHUB_WEBHOOK_SECRET", "a-github-secret-of-some-length"},
      {"STRIPE_WEBHOOK_SECRET", kAlphaSecret}};
  auto r = runCliSplit({"check-config", "--config", examples + "/config/github-stripe.yaml"}, env);
  EXPECT_EQ(r.exitCode, 0) << r.out;
  for (const char* name : {"reshape", "filter", "enrich"}) {
    EXPECT_NE(r.stdoutText.find(examples + "/transforms/" + name + ".test.yaml: "),
              std::string::npos)
        << r.stdoutText;
  }
}

}  // namespace
}  // namespace dispatch::test
