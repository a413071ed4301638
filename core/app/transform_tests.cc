// Test cases of transforms, run as trials and compared with their expectations
// (transform_tests.h).
#include "core/app/transform_tests.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "core/route/transform_limits.h"
#include "core/transform/trial.h"
#include "core/util/json.h"

namespace dispatch::app {
namespace {

namespace fs = std::filesystem;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Long bodies are cut in messages: the line must stay readable in a CI log.
constexpr size_t kMaxShownBytes = 400;

// Numbers compare by value (1 equals 1.0), objects without regard to key order.
bool sameJson(const json::Value& a, const json::Value& b) {
  if (a.isNumber() && b.isNumber()) {
    if (a.isInteger() && b.isInteger()) return a.asInt() == b.asInt();
    return a.asDouble() == b.asDouble();
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json::Type::kNull:
      return true;
    case json::Type::kBool:
      return a.asBool() == b.asBool();
    case json::Type::kString:
      return a.asString() == b.asString();
    case json::Type::kArray:
      return a.items().size() == b.items().size() &&
             std::equal(a.items().begin(), a.items().end(), b.items().begin(), sameJson);
    case json::Type::kObject:
      if (a.members().size() != b.members().size()) return false;
      for (const auto& [key, value] : a.members()) {
        const json::Value* other = b.find(key);
        if (other == nullptr || !sameJson(value, *other)) return false;
      }
      return true;
    case json::Type::kNumber:
      break;  // handled above
  }
  return false;
}

std::string shown(std::string text) {
  if (text.size() <= kMaxShownBytes) return text;
  size_t cut = kMaxShownBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "…";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

std::string headersJson(const Headers& headers) {
  json::Writer w;
  w.beginObject();
  for (const auto& [name, value] : headers) w.key(name).string(value);
  w.endObject();
  return w.take();
}

// Same names (without case) with the same values, in any order.
bool sameHeaders(const Headers& a, const Headers& b) {
  auto canonical = [](const Headers& h) {
    std::multiset<std::pair<std::string, std::string>> out;
    for (const auto& [name, value] : h) out.emplace(lower(name), value);
    return out;
  };
  return canonical(a) == canonical(b);
}

const char* outcomeName(transform::Output::Kind kind) {
  switch (kind) {
    case transform::Output::Kind::kDeliver:
      return "deliver";
    case transform::Output::Kind::kDrop:
      return "drop";
    case transform::Output::Kind::kError:
      return "error";
  }
  return "error";
}

// Why `out` does not meet `expect`; empty when it does.
std::vector<std::string> mismatches(const config::TransformTestCase::Expect& expect,
                                    const transform::Output& out) {
  std::vector<std::string> why;
  const std::string got = outcomeName(out.kind);
  if (got != expect.outcome) {
    std::string text = "expected outcome " + expect.outcome + ", got " + got;
    if (out.kind == transform::Output::Kind::kError) text += " (" + shown(out.error) + ")";
    why.push_back(std::move(text));
    return why;
  }
  if (out.kind == transform::Output::Kind::kError) {
    if (expect.error && out.error.find(*expect.error) == std::string::npos) {
      why.push_back("expected an error containing " + json::quote(*expect.error) + ", got " +
                    shown(json::quote(out.error)));
    }
    return why;
  }
  if (out.kind != transform::Output::Kind::kDeliver) return why;
  if (expect.type && *expect.type != out.type) {
    why.push_back("expected type " + json::quote(*expect.type) + ", got " + json::quote(out.type));
  }
  if (expect.bodyJson) {
    const std::string gotBody = transform::bodyAsJson(out.body);
    auto want = json::parse(*expect.bodyJson);
    auto have = json::parse(gotBody);
    if (!want || !have || !sameJson(want.value(), have.value())) {
      why.push_back("expected body " + shown(*expect.bodyJson) + ", got " + shown(gotBody));
    }
  }
  if (expect.headersOut && !sameHeaders(*expect.headersOut, out.headersOut)) {
    why.push_back("expected headers_out " + shown(headersJson(*expect.headersOut)) + ", got " +
                  shown(headersJson(out.headersOut)));
  }
  return why;
}

// The transform file's path as a user reads it: relative to the config file's folder as the
// config path was given, normalised.
std::string shownPath(const config::Config& cfg, const std::string& name) {
  if (fs::path(name).is_absolute()) return fs::path(name).lexically_normal().string();
  return (fs::path(cfg.path).parent_path() / name).lexically_normal().string();
}

}  // namespace

std::vector<CaseResult> runTestCases(const std::string& chunkName, const std::string& source,
                                     const transform::Limits& limits,
                                     const std::vector<config::TransformTestCase>& cases) {
  std::vector<CaseResult> results;
  for (const config::TransformTestCase& c : cases) {
    const transform::EventInput in{c.event.id,      c.event.source, c.event.type,
                                   c.event.headers, c.event.query,  c.event.body};
    transform::TrialResult trial = transform::runTrial(chunkName, source, limits, in);
    CaseResult r;
    r.name = c.name;
    std::vector<std::string> why = mismatches(c.expect, trial.output);
    r.passed = why.empty();
    for (size_t i = 0; i < why.size(); ++i) r.why += (i == 0 ? "" : "; ") + why[i];
    r.logs = std::move(trial.logs);
    results.push_back(std::move(r));
  }
  return results;
}

std::vector<std::string> caseLines(const std::vector<CaseResult>& results) {
  std::vector<std::string> lines;
  for (const CaseResult& r : results) {
    if (r.passed) {
      lines.push_back("ok   " + r.name);
      continue;
    }
    lines.push_back("FAIL " + r.name + ": " + r.why);
    for (const std::string& l : r.logs) lines.push_back("    log: " + l);
  }
  return lines;
}

std::string testSummary(const std::vector<CaseResult>& results) {
  const auto passed = static_cast<size_t>(
      std::count_if(results.begin(), results.end(), [](const CaseResult& r) { return r.passed; }));
  return std::to_string(passed) + " passed, " + std::to_string(results.size() - passed) + " failed";
}

ConfigTestsReport runConfigTransformTests(const config::Config& cfg) {
  ConfigTestsReport report;
  const transform::Limits limits = route::transformLimits(cfg);
  std::set<std::string> done;  // a file several links use is tested once
  for (const config::ProjectConfig& p : cfg.projects) {
    for (const config::LinkConfig& l : p.links) {
      if (l.lua.empty() || l.transformName == "<inline>") continue;
      const std::string testPath = config::transformTestPath(shownPath(cfg, l.transformName));
      std::error_code ec;
      if (!done.insert(testPath).second || !fs::is_regular_file(testPath, ec)) continue;
      config::TransformTestFile file = config::loadTransformTests(testPath);
      if (!file.errors.empty()) {
        report.problems.insert(report.problems.end(), file.errors.begin(), file.errors.end());
        continue;
      }
      // Chunk named as the server names it, so an expected error reads as it would there.
      std::vector<CaseResult> results = runTestCases(l.transformName, l.lua, limits, file.cases);
      bool failed = false;
      for (const CaseResult& r : results) {
        if (r.passed) continue;
        failed = true;
        report.problems.push_back(testPath + ": FAIL " + r.name + ": " + r.why);
      }
      if (!failed) report.passed.push_back(testPath + ": " + testSummary(results));
    }
  }
  return report;
}

}  // namespace dispatch::app
