// Trial runs: one state per trial, built, used once and freed (trial.h).
#include "core/transform/trial.h"

#include <chrono>
#include <memory>

#include "core/transform/sandbox.h"
#include "core/util/json.h"

namespace dispatch::transform {

TrialResult runTrial(const std::string& name, const std::string& source, const Limits& limits,
                     const EventInput& e) {
  TrialResult result;
  internal::Spec spec;
  spec.name = name;
  spec.chunkId = "@" + name;
  spec.source = source;
  spec.limits = limits;
  // Not Transform::compile: that builds a state only to check the script and runs calls on the
  // thread's cached one, so the top level would run (and log) twice and the state would outlive
  // the trial in the cache.
  Result<std::unique_ptr<internal::Sandbox>> box = internal::Sandbox::create(spec, &result.logs);
  if (!box) {
    result.output.kind = Output::Kind::kError;
    result.output.error = box.status().message();
    return result;
  }
  std::unique_ptr<internal::Sandbox> sandbox = std::move(box).value();
  const auto start = std::chrono::steady_clock::now();
  result.output = internal::runInSandbox(*sandbox, e);
  result.durationUs = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  sandbox.reset();  // before result.logs, which it writes to, leaves this frame
  return result;
}

std::string bodyAsJson(std::string_view body) {
  if (json::parse(body).isOk()) {
    const size_t first = body.find_first_not_of(" \t\r\n");
    const size_t last = body.find_last_not_of(" \t\r\n");
    return std::string(body.substr(first, last - first + 1));
  }
  return json::quote(body);
}

}  // namespace dispatch::transform
