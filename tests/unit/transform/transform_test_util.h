// Helpers shared by the transform unit tests: compiling a script that must compile, limits
// without the CPU-time budget, and a timed run.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/transform/transform.h"

namespace dispatch::transform::test_util {

// The default limits, except CPU time, for tests of the instruction and memory limits, which a
// slow (sanitizer) build must still hit first.
inline Limits withoutCpuLimit(Limits limits = {}) {
  limits.maxCpuTimeMs = 600'000;
  return limits;
}

// `source` compiled as transforms/test.lua; a test failure (and null) when it does not compile.
inline std::shared_ptr<const Transform> compileOk(const std::string& source, Limits limits = {}) {
  auto r = Transform::compile("transforms/test.lua", source, limits, "test-link");
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? r.value() : nullptr;
}

struct Timed {
  Output out;
  int64_t ms;
};

// One run of `t` on `e`, with its wall time.
inline Timed runTimed(const Transform& t, const EventInput& e) {
  const auto start = std::chrono::steady_clock::now();
  Output out = t.run(e);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  return {std::move(out), ms};
}

}  // namespace dispatch::transform::test_util
