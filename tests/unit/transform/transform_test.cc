// Tests for the Lua transform runtime: contract behaviour, sandbox, limits, state cache.
#include "core/transform/transform.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/transform/transform_internal.h"
#include "tests/unit/transform/transform_test_util.h"

namespace dispatch::transform {
namespace {

using Kind = Output::Kind;

using test_util::compileOk;
using test_util::withoutCpuLimit;

EventInput event(std::string_view body) {
  EventInput e;
  e.id = "evt_1";
  e.source = "github";
  e.type = "issues";
  e.headers = {{"content-type", "application/json"}, {"x-github-event", "issues"}};
  e.query = {{"tenant", "acme"}};
  e.body = body;
  return e;
}

// Returns the body delivered by `lua` (a function body taking `event`) for `body`.
Output runBody(const std::string& functionBody, std::string_view body) {
  auto t = compileOk("function transform(event)\n" + functionBody + "\nend\n");
  if (!t) return {};
  return t->run(event(body));
}

const char* kGithubSlim = R"(function transform(event)
  if event.body.action == "deleted" then return nil end       -- drop
  event.body = { repo = event.body.repository.full_name, action = event.body.action }
  event.headers_out = { ["X-Team"] = "infra" }
  return event
end
)";

const char* kGithubBody =
    R"({"action":"opened","issue":{"number":7,"title":"Bug"},"repository":{"id":42,)"
    R"("full_name":"octo/hello","private":false,"owner":{"login":"octo"}},"sender":{"login":"u"}})";

TEST(TransformContractTest, DropsOnNilAndFalse) {
  EXPECT_EQ(runBody("return nil", "{}").kind, Kind::kDrop);
  EXPECT_EQ(runBody("return false", "{}").kind, Kind::kDrop);
  EXPECT_EQ(runBody("", "{}").kind, Kind::kDrop);  // no return at all
}

TEST(TransformContractTest, GithubSlimReshapes) {
  auto t = compileOk(kGithubSlim);
  ASSERT_TRUE(t);
  Output out = t->run(event(kGithubBody));
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.body, R"({"action":"opened","repo":"octo/hello"})");
  EXPECT_TRUE(out.bodyChanged);
  ASSERT_EQ(out.headersOut.size(), 1u);
  EXPECT_EQ(out.headersOut[0].first, "X-Team");
  EXPECT_EQ(out.headersOut[0].second, "infra");
  EXPECT_EQ(out.type, "issues");

  Output dropped = t->run(event(R"({"action":"deleted","repository":{"full_name":"a/b"}})"));
  EXPECT_EQ(dropped.kind, Kind::kDrop);
}

TEST(TransformContractTest, EventFieldsAreVisible) {
  Output out = runBody(R"(
    event.body = { id = event.id, source = event.source, type = event.type,
                   ct = event.headers["content-type"], tenant = event.query.tenant }
    return event)",
                       "{}");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.body, R"({"ct":"application/json","id":"evt_1","source":"github","tenant":"acme",)"
                      R"("type":"issues"})");
}

TEST(TransformContractTest, RepeatedHeadersJoinAndFirstQueryValueWins) {
  auto t = compileOk(R"(function transform(event)
    event.body = { h = event.headers["x-a"], q = event.query.q }
    return event
  end)");
  EventInput e = event("{}");
  e.headers = {{"x-a", "1"}, {"x-a", "2"}};
  e.query = {{"q", "first"}, {"q", "second"}};
  Output out = t->run(e);
  EXPECT_EQ(out.body, R"({"h":"1, 2","q":"first"})");
}

TEST(TransformContractTest, InjectsHeadersSortedByName) {
  Output out = runBody(R"(event.headers_out = { ["X-B"] = "2", ["X-A"] = "1 \t one" }
    return event)",
                       "{}");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  ASSERT_EQ(out.headersOut.size(), 2u);
  EXPECT_EQ(out.headersOut[0], (std::pair<std::string, std::string>("X-A", "1 \t one")));
  EXPECT_EQ(out.headersOut[1], (std::pair<std::string, std::string>("X-B", "2")));
}

TEST(TransformContractTest, RejectsInvalidHeadersOut) {
  const char* bad[] = {
      R"(event.headers_out = { ["X-A"] = "a\r\nInjected: yes" })",
      R"(event.headers_out = { ["X-A"] = "a\nb" })",
      R"(event.headers_out = { ["X A"] = "v" })",
      R"(event.headers_out = { ["X-A\r\n"] = "v" })",
      R"(event.headers_out = { [""] = "v" })",
      R"(event.headers_out = { ["X-A"] = 5 })",
      R"(event.headers_out = { "positional" })",
      R"(event.headers_out = "X-A: b")",
  };
  for (const char* line : bad) {
    Output out = runBody(std::string(line) + "\nreturn event", "{}");
    EXPECT_EQ(out.kind, Kind::kError) << line;
    EXPECT_NE(out.error.find("transforms/test.lua"), std::string::npos) << out.error;
    EXPECT_TRUE(out.headersOut.empty());
  }
}

TEST(TransformContractTest, ChangesType) {
  Output out = runBody(R"(event.type = "issues.closed" return event)", "{}");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.type, "issues.closed");
  EXPECT_EQ(runBody("event.type = 5 return event", "{}").kind, Kind::kError);
}

TEST(TransformContractTest, UntouchedBodyKeepsItsBytes) {
  const std::string body = "{ \"b\": 1.50, \"a\": [1, 2.0, null], \"big\": 12345678901234567890 }";
  Output out = runBody("event.headers_out = { ['X-Seen'] = 'yes' } return event", body);
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_FALSE(out.bodyChanged);
  EXPECT_EQ(out.body, body);

  Output changed = runBody("event.body.b = 2 return event", body);
  EXPECT_TRUE(changed.bodyChanged);
  EXPECT_EQ(changed.body, R"({"a":[1,2.0,null],"b":2,"big":12345678901234567168.0})");
}

TEST(TransformJsonTest, NullRoundTrips) {
  Output out = runBody(R"(
    assert(event.body.a == json.null)
    assert(event.body.list[2] == json.null and #event.body.list == 3)
    event.body.added = json.null
    return event)",
                       R"({"a":null,"list":[1,null,3]})");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.body, R"({"a":null,"added":null,"list":[1,null,3]})");
}

TEST(TransformJsonTest, EmptyArraysAndObjectsKeepTheirKind) {
  Output out = runBody(R"(event.body.x = 1
    event.body.fresh = json.decode("[]")
    return event)",
                       R"({"arr":[],"obj":{},"nested":[[],{}]})");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.body, R"({"arr":[],"fresh":[],"nested":[[],{}],"obj":{},"x":1})");
}

TEST(TransformJsonTest, KeepsIntegerFloatDistinction) {
  Output out = runBody(R"(
    local b = event.body
    assert(math.type(b.i) == "integer" and math.type(b.f) == "float")
    assert(math.type(b.big) == "float" and math.type(b.e) == "float")
    b.sum = b.i + 1
    b.half = b.i / 2
    return event)",
                       R"({"i":1,"f":1.0,"big":12345678901234567890,"e":1e2,"neg":-0.5})");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.body,
            R"({"big":12345678901234567168.0,"e":100.0,"f":1.0,"half":0.5,"i":1,"neg":-0.5,)"
            R"("sum":2})");
}

TEST(TransformJsonTest, EncodeDecodeFromScripts) {
  Output out = runBody(R"(
    local s = json.encode({ b = { 1, 2, "x" }, a = true, s = "q\"\n\u{e9}" })
    local back = json.decode(s)
    event.body = { text = s, again = json.encode(back), seq = json.encode({}) }
    return event)",
                       "{}");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  const std::string encoded = R"({\"a\":true,\"b\":[1,2,\"x\"],\"s\":\"q\\\"\\n)"
                              "\xC3\xA9"
                              R"(\"})";
  EXPECT_EQ(out.body, R"({"again":")" + encoded + R"(","seq":"{}","text":")" + encoded + R"("})");
}

TEST(TransformJsonTest, EncodeRejectsWhatJsonCannotHold) {
  const char* bad[] = {
      "json.encode({ f = print or function() end })",
      "json.encode(0/0)",
      "json.encode(math.huge)",
      "json.encode({ [1] = 'a', [3] = 'c' })",
      "json.encode({ 1, 2, x = 3 })",
      "local t = {} t.self = t json.encode(t)",
      "json.decode('{bad')",
      "json.decode('[1,]')",
  };
  for (const char* line : bad) {
    Output out = runBody(std::string(line) + "\nreturn event", "{}");
    EXPECT_EQ(out.kind, Kind::kError) << line;
    EXPECT_NE(out.error.find("transforms/test.lua:2:"), std::string::npos) << out.error;
  }
}

TEST(TransformJsonTest, NonJsonBodyIsTheRawString) {
  Output same = runBody("assert(type(event.body) == 'string') return event", "a=1&b=2");
  ASSERT_EQ(same.kind, Kind::kDeliver) << same.error;
  EXPECT_EQ(same.body, "a=1&b=2");
  EXPECT_FALSE(same.bodyChanged);

  Output upper = runBody("event.body = event.body:upper() return event", "a=1&b=2");
  EXPECT_EQ(upper.body, "A=1&B=2");
  EXPECT_TRUE(upper.bodyChanged);
}

TEST(TransformErrorsTest, CompileErrorsNameChunkAndLine) {
  auto r = Transform::compile("transforms/broken.lua", "function transform(e)\n  return e +\nend\n",
                              {}, "l");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  EXPECT_NE(r.status().message().find("transforms/broken.lua:3:"), std::string::npos)
      << r.status().message();

  auto topLevel = Transform::compile("t.lua", "local x = nil\nx.y = 1\n", {}, "l");
  ASSERT_FALSE(topLevel.isOk());
  EXPECT_NE(topLevel.status().message().find("t.lua:2:"), std::string::npos);
}

TEST(TransformErrorsTest, MissingTransformFunctionIsACompileError) {
  for (const char* source : {"local function transform(e) return e end", "transform = 5", ""}) {
    auto r = Transform::compile("transforms/none.lua", source, {}, "l");
    ASSERT_FALSE(r.isOk()) << source;
    EXPECT_NE(r.status().message().find("transforms/none.lua"), std::string::npos);
    EXPECT_NE(r.status().message().find("'transform'"), std::string::npos);
  }
}

TEST(TransformErrorsTest, RuntimeErrorHasChunkAndLine) {
  Output out = runBody("local x = event.body.missing.field\nreturn event", "{}");
  ASSERT_EQ(out.kind, Kind::kError);
  EXPECT_NE(out.error.find("transforms/test.lua:2:"), std::string::npos) << out.error;

  Output thrown = runBody("error({ code = 1 })", "{}");
  EXPECT_EQ(thrown.error, "transforms/test.lua: (error object is a table value)");
}

TEST(TransformErrorsTest, WrongReturnValueIsAnError) {
  for (const char* ret : {"return 1", "return true", "return {}", "return 'x'"}) {
    Output out = runBody(ret, "{}");
    EXPECT_EQ(out.kind, Kind::kError) << ret;
    EXPECT_NE(out.error.find("transform must return the event table or nil"), std::string::npos);
  }
  EXPECT_EQ(runBody("event.body = nil return event", "{}").kind, Kind::kError);
}

TEST(TransformLimitsTest, InfiniteLoopStopsQuickly) {
  auto t = compileOk("function transform(e) while true do end end", withoutCpuLimit());
  const auto start = std::chrono::steady_clock::now();
  Output out = t->run(event("{}"));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_EQ(out.kind, Kind::kError);
  EXPECT_EQ(out.error, "instruction limit exceeded (1000000)");
  EXPECT_LT(ms, 2000);
}

TEST(TransformLimitsTest, PcallCannotSwallowTheInstructionLimit) {
  const char* scripts[] = {
      "function transform(e) pcall(function() while true do end end) return e end",
      "function transform(e) while true do pcall(function() while true do end end) end end",
      "function transform(e) for i = 1, 100 do pcall(pcall, function() while true do end end) "
      "end return e end",
      "function transform(e) local ok, err = pcall(function() while true do end end) "
      "e.body = { err = err } return e end",
      "function transform(e) table.move({}, 1, 1 << 60, 1, {}) return e end",
  };
  for (const char* source : scripts) {
    auto t = compileOk(source, withoutCpuLimit());
    Output out = t->run(event("{}"));
    EXPECT_EQ(out.kind, Kind::kError) << source;
    EXPECT_EQ(out.error, "instruction limit exceeded (1000000)") << source;
  }
}

TEST(TransformLimitsTest, InstructionLimitIsConfigurable) {
  Limits small = withoutCpuLimit();
  small.maxInstructions = 5000;
  auto t = compileOk("function transform(e) for i = 1, 10000 do end return e end", small);
  EXPECT_EQ(t->run(event("{}")).error, "instruction limit exceeded (5000)");
  auto fine = compileOk("function transform(e) for i = 1, 100 do end return e end", small);
  EXPECT_EQ(fine->run(event("{}")).kind, Kind::kDeliver);
}

TEST(TransformLimitsTest, MemoryBombsHitTheMemoryLimit) {
  const char* scripts[] = {
      "function transform(e) local s = 'x' while true do s = s .. s end end",
      "function transform(e) local t = {} for i = 1, 1e8 do t[i] = i end end",
      "function transform(e) local s = string.rep('x', 1 << 30) return e end",
      "function transform(e) local t = {} for i = 1, 1000 do t[i] = string.rep(i, 1 << 16) end end",
      "function transform(e) pcall(string.rep, 'x', 1 << 30) return e end",
      "function transform(e) local t = {} pcall(function() for i = 1, 1e8 do t[i] = {} end end) "
      "return e end",
      // Library functions with huge results (issue 10): all bounded by the memory cap.
      "function transform(e) local s = 'x' while true do s = string.format('%s%s', s, s) end end",
      "function transform(e) local s = string.rep('x', 1 << 20) local t = {} "
      "for i = 1, 100 do t[i] = s end local all = table.concat(t) return e end",
      "function transform(e) local s = string.rep('x', 1 << 20):gsub('x', string.rep('y', 100)) "
      "return e end",
      "function transform(e) local s = ('x'):rep(1 << 18, string.rep(',', 100)) return e end",
      "function transform(e) local t = { s = string.rep('x', 1 << 20) } "
      "for i = 1, 10 do t = { t, t } end local s = json.encode(t) return e end",
      // The parse tree json.decode builds outside the Lua heap is charged to it first: this
      // 2 MB text would otherwise build a tree of ~100 MB.
      "function transform(e) local t = json.decode('[' .. string.rep('0,', 1 << 20) .. '0]') "
      "return e end",
  };
  Limits limits = withoutCpuLimit();
  limits.maxMemoryBytes = 4 << 20;
  limits.maxInstructions = 100'000'000;
  for (const char* source : scripts) {
    auto t = compileOk(source, limits);
    Output out = t->run(event("{}"));
    EXPECT_EQ(out.kind, Kind::kError) << source;
    EXPECT_EQ(out.error, "memory limit exceeded (4194304 bytes)") << source;
  }
}

TEST(TransformLimitsTest, GarbageDoesNotCountAsLiveMemory) {
  Limits limits = withoutCpuLimit();
  limits.maxMemoryBytes = 2 << 20;
  limits.maxInstructions = 50'000'000;
  auto t = compileOk(R"(function transform(e)
    for i = 1, 2000 do local s = string.rep("y", 10000) .. i end
    return e end)",
                     limits);
  Output out = t->run(event("{}"));
  EXPECT_EQ(out.kind, Kind::kDeliver) << out.error;
}

TEST(TransformLimitsTest, OutputBodyLimit) {
  Limits limits;
  limits.maxOutputBytes = 100;
  auto t =
      compileOk("function transform(e) e.body = { s = string.rep('x', 200) } return e end", limits);
  Output out = t->run(event("{}"));
  EXPECT_EQ(out.kind, Kind::kError);
  EXPECT_NE(out.error.find("exceeds 100 bytes"), std::string::npos) << out.error;
  auto raw = compileOk("function transform(e) e.body = string.rep('x', 101) return e end", limits);
  EXPECT_NE(raw->run(event("{}")).error.find("over the limit of 100"), std::string::npos);
}

TEST(TransformSandboxTest, DangerousGlobalsAreAbsent) {
  const char* probes[] = {
      "os.execute('true')",
      "os.exit(1)",
      "os.getenv('HOME')",
      "os.remove('/tmp/x')",
      "io.open('/etc/passwd')",
      "require('os')",
      "load('return 1')()",
      "loadstring('return 1')()",
      "dofile('/etc/passwd')",
      "loadfile('/etc/passwd')",
      "string.dump(transform)",
      "('').dump(transform)",
      "debug.getinfo(1)",
      "collectgarbage()",
      "package.loadlib('x', 'y')",
      "coroutine.create(print)",
      "print('x')",
      "xpcall(function() end, function() end)",
      "getmetatable('').__index.dump(transform)",
      "setmetatable({}, { __gc = function() end })",
      "setmetatable(json.decode('[]'), nil)",
  };
  auto good = compileOk("function transform(e) return e end");
  for (const char* probe : probes) {
    auto t = compileOk(std::string("function transform(e)\n  ") + probe + "\n  return e\nend");
    Output out = t->run(event("{}"));
    EXPECT_EQ(out.kind, Kind::kError) << probe;
    EXPECT_NE(out.error.find("transforms/test.lua:2:"), std::string::npos) << out.error;
    EXPECT_EQ(good->run(event("{}")).kind, Kind::kDeliver) << "after " << probe;
  }
}

TEST(TransformSandboxTest, BinaryChunksAreRefused) {
  std::string binary = "\x1bLua\x54";
  auto r = Transform::compile("bin.lua", binary + std::string(40, '\0'), {}, "l");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("binary"), std::string::npos) << r.status().message();
}

TEST(TransformSandboxTest, AllowedGlobalsWork) {
  Output out = runBody(R"(
    local parts = {}
    for k, v in pairs({ a = 1 }) do parts[#parts + 1] = k .. "=" .. tostring(v) end
    for _, v in ipairs({ 2, 3 }) do parts[#parts + 1] = tostring(v) end
    local ok = pcall(error, "x")
    event.body = {
      joined = table.concat(parts, ","), upper = string.upper("x"), floor = math.floor(2.5),
      len = utf8.len("\u{e9}t\u{e9}"), n = tonumber("12"), t = type(os.time()),
      d = type(os.date("!%Y")), c = type(os.clock()), sel = select("#", 1, 2), ok = ok,
      fmt = ("%05.1f"):format(3.14159), rep = string.rep("", 1 << 50),
    }
    return event)",
                       "{}");
  ASSERT_EQ(out.kind, Kind::kDeliver) << out.error;
  EXPECT_EQ(out.body,
            R"({"c":"number","d":"string","floor":2,"fmt":"003.1","joined":"a=1,2,3","len":3,)"
            R"("n":12,"ok":false,"rep":"","sel":2,"t":"number","upper":"X"})");
}

TEST(TransformLimitsTest, CompileTimeLimitsNameTheChunk) {
  auto r = Transform::compile("transforms/spin.lua", "while true do end", withoutCpuLimit(), "l");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(), "transforms/spin.lua: instruction limit exceeded (1000000)");
}

TEST(TransformSandboxTest, LogIsCappedPerCall) {
  auto t = compileOk("function transform(e) for i = 1, 1000 do log(i) end return e end");
  testing::internal::CaptureStdout();
  Output out = t->run(event("{}"));
  const std::string logged = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out.kind, Kind::kDeliver) << out.error;
  size_t lines = 0;
  for (char ch : logged) lines += ch == '\n';
  EXPECT_EQ(lines, 100u);
  EXPECT_NE(logged.find(R"("link":"test-link","text":"99")"), std::string::npos) << logged;
  EXPECT_NE(logged.find("log limit reached"), std::string::npos);
}

TEST(TransformSandboxTest, GlobalsDoNotLeakBetweenCalls) {
  auto t = compileOk(R"(
    base = 1
    function transform(event)
      counter = (counter or 0) + 1
      base = base + 1
      rawset(_G, "raw", (rawget(_G, "raw") or 0) + 1)
      _G.viaG = (_G.viaG or 0) + 1
      event.body = { counter = counter, base = base, raw = raw, viaG = viaG, s = type(string) }
      return event
    end)");
  ASSERT_EQ(t->run(event("{}")).kind, Kind::kDeliver);
  const int64_t before = internal::statesCreated();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t->run(event("{}")).body, R"({"base":2,"counter":1,"raw":1,"s":"table","viaG":1})");
  }
  EXPECT_EQ(internal::statesCreated(), before);  // forgotten, not rebuilt
  EXPECT_EQ(runBody("setmetatable(_G, nil) return event", "{}").kind, Kind::kError);
}

TEST(TransformStateTest, StatesAreReusedAcrossCalls) {
  auto t = compileOk(kGithubSlim);
  ASSERT_EQ(t->run(event(kGithubBody)).kind, Kind::kDeliver);
  const int64_t before = internal::statesCreated();
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(t->run(event(kGithubBody)).kind, Kind::kDeliver);
  EXPECT_EQ(internal::statesCreated(), before);
}

TEST(TransformStateTest, ErrorsRebuildTheState) {
  auto t = compileOk(R"(function transform(e)
    if e.body.loop then while true do end end
    if e.body.fail then error("boom") end
    return e end)");
  ASSERT_EQ(t->run(event("{}")).kind, Kind::kDeliver);
  const int64_t before = internal::statesCreated();
  EXPECT_EQ(t->run(event(R"({"loop":true})")).kind, Kind::kError);
  EXPECT_EQ(t->run(event("{}")).kind, Kind::kDeliver);
  EXPECT_EQ(t->run(event(R"({"fail":true})")).kind, Kind::kError);
  EXPECT_EQ(t->run(event("{}")).kind, Kind::kDeliver);
  EXPECT_EQ(internal::statesCreated(), before + 2);
}

TEST(TransformStateTest, DestroyedTransformsAreFreedLazily) {
  auto warm = compileOk("function transform(e) return e end");
  warm->run(event("{}"));  // building a state sweeps those of earlier tests' transforms
  const size_t base = internal::cachedStatesOnThisThread();
  {
    auto t = compileOk("function transform(e) return e end");
    t->run(event("{}"));
    EXPECT_EQ(internal::cachedStatesOnThisThread(), base + 1);
  }
  auto other = compileOk("function transform(e) return e end");
  other->run(event("{}"));  // building a state sweeps the dead one
  EXPECT_EQ(internal::cachedStatesOnThisThread(), base + 1);
}

TEST(TransformStateTest, CacheIsBounded) {
  std::vector<std::shared_ptr<const Transform>> many;
  for (int i = 0; i < 70; ++i) {
    many.push_back(compileOk("function transform(e) return e end"));
    many.back()->run(event("{}"));
  }
  EXPECT_LE(internal::cachedStatesOnThisThread(), 64u);
}

TEST(TransformStateTest, ConcurrentRunsAreCorrect) {
  auto t = compileOk(R"(function transform(event)
    if event.body.n % 7 == 0 then return nil end
    event.body = { n = event.body.n * 2, who = event.id }
    return event
  end)");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 500; ++i) {
        const int n = th * 1000 + i;
        const std::string body = "{\"n\":" + std::to_string(n) + "}";
        EventInput e = event(body);
        e.id = "evt_" + std::to_string(n);
        Output out = t->run(e);
        const std::string want =
            "{\"n\":" + std::to_string(n * 2) + ",\"who\":\"evt_" + std::to_string(n) + "\"}";
        const bool ok =
            n % 7 == 0 ? out.kind == Kind::kDrop : out.kind == Kind::kDeliver && out.body == want;
        if (!ok) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace dispatch::transform
