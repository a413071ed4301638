// Trial runs (core/transform/trial.h): the outcome of one run in the server's sandbox and
// limits, the log() lines kept per trial (never the server log's), the compile errors, and how
// a delivered body is shown.
#include "core/transform/trial.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/transform/transform_internal.h"
#include "tests/unit/transform/transform_test_util.h"

namespace dispatch::transform {
namespace {

using Kind = Output::Kind;

EventInput event(std::string_view body, std::string type = "push") {
  EventInput e;
  e.id = "evt_1";
  e.source = "github";
  e.type = std::move(type);
  e.headers = {{"x-github-delivery", "d-1"}};
  e.body = body;
  return e;
}

const char* kScript = R"(log("top level")
function transform(event)
  log("type " .. event.type)
  if event.body.action == "deleted" then return nil end
  if event.body.boom then error("boom") end
  event.body = { repo = event.body.repo, d = event.headers["x-github-delivery"] }
  event.headers_out = { ["X-Team"] = "infra", ["A-First"] = "1" }
  event.type = "gh." .. event.type
  return event
end
)";

TEST(TrialTest, DeliverGivesTheOutputAndTheLogLinesInOrder) {
  TrialResult r = runTrial("t.lua", kScript, Limits{}, event(R"({"repo":"octo/hello"})"));
  ASSERT_EQ(r.output.kind, Kind::kDeliver) << r.output.error;
  EXPECT_EQ(r.output.type, "gh.push");
  EXPECT_EQ(r.output.body, R"({"d":"d-1","repo":"octo/hello"})");
  const std::vector<std::pair<std::string, std::string>> headers = {{"A-First", "1"},
                                                                    {"X-Team", "infra"}};
  EXPECT_EQ(r.output.headersOut, headers);
  // The top level ran once (a server compile would run it twice: check, then worker state).
  EXPECT_EQ(r.logs, (std::vector<std::string>{"top level", "type push"}));
  EXPECT_GE(r.durationUs, 0);
}

TEST(TrialTest, DropAndRuntimeErrorNameTheChunkAndLine) {
  TrialResult drop = runTrial("t.lua", kScript, Limits{}, event(R"({"action":"deleted"})"));
  EXPECT_EQ(drop.output.kind, Kind::kDrop);
  EXPECT_EQ(drop.logs.size(), 2u);

  TrialResult err = runTrial("dir/t.lua", kScript, Limits{}, event(R"({"boom":true})"));
  EXPECT_EQ(err.output.kind, Kind::kError);
  EXPECT_EQ(err.output.error, "dir/t.lua:5: boom");
  EXPECT_EQ(err.logs, (std::vector<std::string>{"top level", "type push"}));
}

TEST(TrialTest, CompileErrorsAreErrorOutcomes) {
  TrialResult syntax = runTrial("bad.lua", "log('before')\nfunction transform(e)\n  return e\n",
                                Limits{}, event("{}"));
  EXPECT_EQ(syntax.output.kind, Kind::kError);
  EXPECT_EQ(syntax.output.error,
            "bad.lua:4: 'end' expected (to close 'function' at line 2) near <eof>");
  EXPECT_EQ(syntax.durationUs, 0);
  EXPECT_TRUE(syntax.logs.empty());  // a chunk that does not parse never runs

  TrialResult topLevel = runTrial("top.lua", "log('x')\nerror('no')\n", Limits{}, event("{}"));
  EXPECT_EQ(topLevel.output.error, "top.lua:2: no");
  EXPECT_EQ(topLevel.logs, std::vector<std::string>{"x"});

  TrialResult none = runTrial("none.lua", "x = 1", Limits{}, event("{}"));
  EXPECT_EQ(none.output.kind, Kind::kError);
  EXPECT_NE(none.output.error.find("no global function 'transform'"), std::string::npos)
      << none.output.error;
}

TEST(TrialTest, LogLinesNeverReachTheServerLog) {
  ::testing::internal::CaptureStdout();
  TrialResult r = runTrial("t.lua", kScript, Limits{}, event(R"({"repo":"x"})"));
  const std::string logged = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(r.logs.size(), 2u);
  EXPECT_EQ(logged, "");
}

TEST(TrialTest, LogLinesAreCappedPerCall) {
  TrialResult r =
      runTrial("t.lua", "function transform(e) for i = 1, 1000 do log(i) end return e end",
               Limits{}, event("{}"));
  ASSERT_EQ(r.logs.size(), 100u);
  EXPECT_EQ(r.logs[0], "1");
  EXPECT_EQ(r.logs[98], "99");
  EXPECT_EQ(r.logs[99], "log limit reached; further lines of this call are dropped");
  TrialResult longLine =
      runTrial("t.lua", "function transform(e) log(string.rep('x', 5000)) return e end", Limits{},
               event("{}"));
  ASSERT_EQ(longLine.logs.size(), 1u);
  EXPECT_EQ(longLine.logs[0].size(), 2048u);
}

TEST(TrialTest, TheLimitsAreTheOnesGiven) {
  Limits few = test_util::withoutCpuLimit();
  few.maxInstructions = 5000;
  TrialResult loop =
      runTrial("loop.lua", "function transform(e) while true do end end", few, event("{}"));
  EXPECT_EQ(loop.output.kind, Kind::kError);
  EXPECT_EQ(loop.output.error, "instruction limit exceeded (5000)");

  Limits small;
  small.maxOutputBytes = 10;
  TrialResult big =
      runTrial("big.lua", "function transform(e) e.body = string.rep('y', 11) return e end", small,
               event("{}"));
  EXPECT_EQ(big.output.error, "big.lua: output body is 11 bytes, over the limit of 10");
}

TEST(TrialTest, AnEndlessLoopEndsWithinTheCpuBudget) {
  Limits cpu;
  cpu.maxInstructions = INT64_MAX / 2;  // only the CPU-time budget can end it
  cpu.maxCpuTimeMs = 30;
  const auto start = std::chrono::steady_clock::now();
  TrialResult r =
      runTrial("loop.lua", "function transform(e) while true do end end", cpu, event("{}"));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_EQ(r.output.error, "CPU time limit exceeded (30 ms)");
  EXPECT_GE(r.durationUs, 30'000);
  EXPECT_LT(ms, 3000) << "a loaded machine may stretch wall time, not this much";
}

TEST(TrialTest, TrialsKeepNoStateAndShareNothingAcrossThreads) {
  const int64_t before = internal::statesCreated();
  const size_t cached = internal::cachedStatesOnThisThread();
  runTrial("t.lua", kScript, Limits{}, event("{}"));
  EXPECT_EQ(internal::statesCreated() - before, 1);  // one state per trial, not two
  EXPECT_EQ(internal::cachedStatesOnThisThread(), cached);

  const char* script = "function transform(e) for i = 1, 20 do log(e.source .. i) end return e end";
  std::vector<std::thread> threads;
  std::vector<char> ok(4, 0);  // not vector<bool>: its elements share bytes
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      bool all = true;
      for (int run = 0; run < 25; ++run) {
        EventInput e = event("{}");
        e.source = "s" + std::to_string(t);
        TrialResult r = runTrial("t.lua", script, Limits{}, e);
        all = all && r.logs.size() == 20;
        for (size_t i = 0; all && i < r.logs.size(); ++i) {
          all = r.logs[i] == e.source + std::to_string(i + 1);
        }
      }
      ok[t] = all;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_TRUE(ok[t]) << "thread " << t;
}

TEST(TrialTest, BodyAsJsonShowsJsonAsItIsAndTheRestAsAString) {
  EXPECT_EQ(bodyAsJson(R"({"b": 1, "a": [1.50]})"), R"({"b": 1, "a": [1.50]})");
  EXPECT_EQ(bodyAsJson(" \n{\"a\":1}\n"), R"({"a":1})");
  EXPECT_EQ(bodyAsJson("42"), "42");
  EXPECT_EQ(bodyAsJson("hello \"you\""), R"("hello \"you\"")");
  EXPECT_EQ(bodyAsJson(""), R"("")");
  EXPECT_EQ(bodyAsJson("a=1&b=2"), R"("a=1&b=2")");
  EXPECT_EQ(bodyAsJson("\xff"), "\"\xef\xbf\xbd\"");  // invalid UTF-8 as U+FFFD
}

}  // namespace
}  // namespace dispatch::transform
