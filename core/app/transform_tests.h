// Running a transform's test cases (`FILE.test.yaml`, read by config/transform_tests.h) as trial
// runs, for `dispatch transform test` and for `check-config`, which runs the test file of every
// transform file its config names.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/transform_tests.h"
#include "core/transform/transform.h"

namespace dispatch::app {

struct CaseResult {
  std::string name;
  bool passed = false;
  std::string why;                // when failed: "expected …, got …" (several joined by "; ")
  std::vector<std::string> logs;  // the case's log() lines
};

// Runs each case on `source` (chunk `chunkName`, so errors read "<chunkName>:3: …") in a fresh
// state under `limits`, and compares the outcome with the case's `expect`.
std::vector<CaseResult> runTestCases(const std::string& chunkName, const std::string& source,
                                     const transform::Limits& limits,
                                     const std::vector<config::TransformTestCase>& cases);

// One line per case: "ok   <name>", or "FAIL <name>: <why>" followed by its log() lines as
// "    log: <line>".
std::vector<std::string> caseLines(const std::vector<CaseResult>& results);
// "N passed, M failed".
std::string testSummary(const std::vector<CaseResult>& results);

struct ConfigTestsReport {
  std::vector<std::string> passed;    // "<test file>: N passed, 0 failed", one per file
  std::vector<std::string> problems;  // "<test file>: FAIL <name>: <why>", malformed files' errors
};

// The test files of the transform files `cfg`'s links name (`x.lua` → `x.test.yaml` beside it,
// when it exists; inline `lua:` has none), each run once on the source the config loaded, under
// the config's limits. Test files are shown relative to the config's folder as written.
ConfigTestsReport runConfigTransformTests(const config::Config& cfg);

}  // namespace dispatch::app
