// Shared helpers of the filter tests: a filter compiled through the config loader (as a
// destination's `filter:`), its errors, and an evaluation on a body and headers.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/filter/filter.h"
#include "tests/unit/config/config_test_util.h"

namespace dispatch::filter::testing {

// The config up to `filter: `, which starts at line 9, column 17.
inline std::string configWith(const std::string& filterYaml) {
  return config::testing::kHead +
         "    destinations:\n"                   // 5
         "      - name: d\n"                     // 6
         "        type: webhook\n"               // 7
         "        url: https://example.com/h\n"  // 8
         "        filter: " +
         filterYaml + "\n";  // 9
}

// The filter `filterYaml` compiles to (failing the test, and null, when it does not).
inline std::shared_ptr<const Filter> compileYaml(const std::string& filterYaml,
                                                 std::map<std::string, std::string> env = {}) {
  auto r = config::loadString(configWith(filterYaml), "config/dispatch.yaml",
                              config::testing::fakeEnv(std::move(env)));
  EXPECT_TRUE(r.config) << filterYaml << "\n" << config::testing::joinErrors(r.errors);
  if (!r.config) return nullptr;
  EXPECT_TRUE(r.config->projects[0].destinations[0].filter) << filterYaml;
  return r.config->projects[0].destinations[0].filter;
}

// The errors `filterYaml` loads with.
inline std::vector<std::string> filterErrors(const std::string& filterYaml) {
  return config::testing::errorsOf(configWith(filterYaml));
}

// Whether `f` passes an event with this body and these (lower-case) headers.
inline bool passes(const Filter& f, const std::string& body, const model::Headers& headers = {}) {
  json::LazyValue lazy(body);
  return f.matches(lazy, headers);
}

}  // namespace dispatch::filter::testing
