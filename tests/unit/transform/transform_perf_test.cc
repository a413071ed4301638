// Per-call cost of the transform sandbox, printed (never asserted: the machine may be busy).
// Thread CPU time, not wall time, so other processes on the machine do not inflate the figures.
#include <gtest/gtest.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/transform/transform.h"

namespace dispatch::transform {
namespace {

int64_t threadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Case {
  const char* name;
  const char* lua;
  const char* body;
  int calls;
};

const Case kCases[] = {
    {"identity (return e)", "function transform(e) return e end", R"({"a":1})", 50000},
    {"github_slim", R"(function transform(event)
  if event.body.action == "deleted" then return nil end
  event.body = { repo = event.body.repository.full_name, action = event.body.action }
  event.headers_out = { ["X-Team"] = "infra" }
  return event
end)",
     R"({"action":"opened","issue":{"number":7,"title":"Bug"},"repository":{"id":42,)"
     R"("full_name":"octo/hello","private":false,"owner":{"login":"octo"}},"sender":{"login":"u"}})",
     20000},
    {"200 library calls", R"(local function label(i) return string.format("item-%d", i) end
function transform(e)
  local out = {}
  for i = 1, 100 do out[#out + 1] = label(i) end
  e.body = { n = #table.concat(out, ",") }
  return e
end)",
     "{}", 2000},
    {"10,000-iteration loop", R"(function transform(e)
  local x = 0
  for i = 1, 10000 do x = x + i % 7 end
  e.body = { x = x }
  return e
end)",
     "{}", 500},
};

TEST(TransformPerfTest, ReportsCpuNanosecondsPerCall) {
  for (const Case& c : kCases) {
    auto r = Transform::compile("transforms/perf.lua", c.lua, {}, "perf");
    ASSERT_TRUE(r.isOk()) << r.status().message();
    auto t = r.value();
    EventInput e;
    e.id = "evt_1";
    e.source = "github";
    e.type = "issues";
    e.headers = {{"content-type", "application/json"}};
    e.body = c.body;
    for (int i = 0; i < c.calls / 10; ++i) t->run(e);
    const int64_t start = threadCpuNs();
    for (int i = 0; i < c.calls; ++i) {
      if (t->run(e).kind != Output::Kind::kDeliver) FAIL() << c.name;
    }
    const int64_t ns = threadCpuNs() - start;
    std::printf("[ perf ] %-24s %8lld ns CPU/call\n", c.name, static_cast<long long>(ns / c.calls));
  }
}

// Building a state (what compile() does once per config load, and each thread once per
// transform): the libraries, the read-only proxies and the chunk's top level. A fresh
// environment per call would pay most of this on every call.
TEST(TransformPerfTest, ReportsCpuNanosecondsPerStateBuild) {
  constexpr int kBuilds = 300;
  const int64_t start = threadCpuNs();
  for (int i = 0; i < kBuilds; ++i) {
    auto r = Transform::compile("transforms/perf.lua", kCases[1].lua, {}, "perf");
    if (!r.isOk()) FAIL() << r.status().message();
  }
  std::printf("[ perf ] %-24s %8lld ns CPU/build\n", "state build (github_slim)",
              static_cast<long long>((threadCpuNs() - start) / kBuilds));
}

}  // namespace
}  // namespace dispatch::transform
