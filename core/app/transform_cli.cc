// `dispatch transform run|test` (transform_cli.h). Trials run in the server's sandbox under the
// limits of `--config`'s `transforms:` section (the defaults without a config); nothing is
// stored or sent, and log() lines go to stderr instead of the server log.
#include "core/app/transform_cli.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/app/cli_util.h"
#include "core/app/sealing.h"
#include "core/app/transform_tests.h"
#include "core/config/config.h"
#include "core/config/transform_tests.h"
#include "core/model/event.h"
#include "core/route/transform_limits.h"
#include "core/store/db.h"
#include "core/store/event_store.h"
#include "core/transform/trial.h"
#include "core/util/json.h"
#include "core/util/log.h"
#include "core/util/uuid.h"

namespace dispatch::app {
namespace {

constexpr const char* kDefaultConfig = "config/dispatch.yaml";
// The request body of a run without --event or --from-event.
constexpr const char* kDefaultBody = "{}";

struct Args {
  std::vector<std::string> positional;  // after "transform"
  std::optional<std::string> config, event, fromEvent, type, source;
  std::vector<std::string> headers;  // "Name: value", in order
  bool help = false;
};

bool parseArgs(int argc, char** argv, Args* a, std::string* err) {
  const std::vector<std::pair<std::string, std::optional<std::string>*>> single = {
      {"--config", &a->config}, {"--event", &a->event},   {"--from-event", &a->fromEvent},
      {"--type", &a->type},     {"--source", &a->source},
  };
  for (int i = 2; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      a->help = true;
      continue;
    }
    if (s.rfind("--", 0) != 0) {
      a->positional.push_back(s);
      continue;
    }
    const size_t eq = s.find('=');
    const std::string key = s.substr(0, eq);
    auto known =
        std::find_if(single.begin(), single.end(), [&](const auto& o) { return o.first == key; });
    if (known == single.end() && key != "--header") {
      *err = "unknown option " + key;
      return false;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = s.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *err = key + " needs a value";
      return false;
    }
    if (key == "--header") {
      a->headers.push_back(value);
    } else if (known->second->has_value()) {
      *err = key + " given twice";
      return false;
    } else {
      *known->second = value;
    }
  }
  return true;
}

std::string trimmed(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// "Name: value" → {"name", "value"}; nullopt without a colon or a name.
std::optional<std::pair<std::string, std::string>> parseHeader(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string name = trimmed(text.substr(0, colon));
  if (name.empty()) return std::nullopt;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  return std::make_pair(name, trimmed(text.substr(colon + 1)));
}

// The config of --config, or of the default path when `needed` (--from-event reads its
// database). nullptr without one, or with `failed` set after printing its errors.
std::shared_ptr<const config::Config> loadConfig(const Args& a, bool needed, bool* failed) {
  *failed = false;
  if (!a.config && !needed) return nullptr;
  auto loaded = config::loadFile(a.config.value_or(kDefaultConfig));
  for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
  *failed = loaded.config == nullptr;
  return loaded.config;
}

// {"outcome":"deliver","type","headers_out","body"}, {"outcome":"drop"} or
// {"outcome":"error","error"}.
std::string outcomeJson(const transform::Output& out) {
  json::Writer w;
  w.beginObject();
  switch (out.kind) {
    case transform::Output::Kind::kDeliver:
      w.key("outcome").string("deliver");
      w.key("type").string(out.type);
      w.key("headers_out").beginObject();
      for (const auto& [name, value] : out.headersOut) w.key(name).string(value);
      w.endObject();
      w.key("body").raw(transform::bodyAsJson(out.body));
      break;
    case transform::Output::Kind::kDrop:
      w.key("outcome").string("drop");
      break;
    case transform::Output::Kind::kError:
      w.key("outcome").string("error");
      w.key("error").string(out.error);
      break;
  }
  w.endObject();
  return w.take();
}

int cmdRun(const Args& a, const char* usage) {
  if (a.positional.size() != 2) return usageError("transform run needs one FILE.lua", usage);
  if (a.event && a.fromEvent) {
    return usageError("transform run takes --event or --from-event, not both", usage);
  }
  std::vector<std::pair<std::string, std::string>> flagHeaders;
  for (const std::string& h : a.headers) {
    auto parsed = parseHeader(h);
    if (!parsed) return usageError("--header must be 'Name: value', not '" + h + "'", usage);
    flagHeaders.push_back(std::move(*parsed));
  }
  const std::string& file = a.positional[1];
  const std::optional<std::string> source = readInput(file);
  if (!source) return userError("cannot read file '" + file + "'");
  bool failed = false;
  auto cfg = loadConfig(a, a.fromEvent.has_value(), &failed);
  if (failed) return 1;

  model::IncomingEvent ev;
  if (a.fromEvent) {
    store::Db db(cfg->database.url, 1);
    applySealing(db, *cfg);
    auto stored = store::EventStore(db, nullptr).loadEvent(*a.fromEvent, std::nullopt);
    if (!stored) return userError(stored.status().message());
    ev = std::move(stored).value();
  } else {
    ev.id = newUuidV7();
    ev.body = kDefaultBody;
    if (a.event) {
      auto body = readInput(*a.event);
      if (!body) return userError("cannot read file '" + *a.event + "'");
      ev.body = std::move(*body);
    }
  }
  if (a.type) ev.eventType = *a.type;
  if (a.source) ev.source = *a.source;
  for (const auto& [name, value] : flagHeaders) {
    std::erase_if(ev.headers, [&](const auto& h) { return h.first == name; });
  }
  ev.headers.insert(ev.headers.end(), flagHeaders.begin(), flagHeaders.end());

  const transform::Limits limits = cfg ? route::transformLimits(*cfg) : transform::Limits{};
  const transform::EventInput in{ev.id, ev.source, ev.eventType, ev.headers, ev.query, ev.body};
  const transform::TrialResult trial = transform::runTrial(file, *source, limits, in);
  for (const std::string& line : trial.logs) std::fprintf(stderr, "%s\n", line.c_str());
  std::printf("%s\n", outcomeJson(trial.output).c_str());
  return trial.output.kind == transform::Output::Kind::kError ? 1 : 0;
}

int cmdTest(const Args& a, const char* usage) {
  if (a.positional.size() != 2) return usageError("transform test needs one FILE.lua", usage);
  if (a.event || a.fromEvent || a.type || a.source || !a.headers.empty()) {
    return usageError("transform test takes no event options (the cases hold the events)", usage);
  }
  const std::string& file = a.positional[1];
  const std::optional<std::string> source = readInput(file);
  if (!source) return userError("cannot read file '" + file + "'");
  bool failed = false;
  auto cfg = loadConfig(a, false, &failed);
  if (failed) return 1;
  const config::TransformTestFile tests =
      config::loadTransformTests(config::transformTestPath(file));
  for (const auto& e : tests.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (!tests.errors.empty()) return 1;
  const transform::Limits limits = cfg ? route::transformLimits(*cfg) : transform::Limits{};
  const std::vector<CaseResult> results = runTestCases(file, *source, limits, tests.cases);
  for (const std::string& line : caseLines(results)) std::printf("%s\n", line.c_str());
  std::printf("%s\n", testSummary(results).c_str());
  const bool allPassed =
      std::all_of(results.begin(), results.end(), [](const CaseResult& r) { return r.passed; });
  return allPassed ? 0 : 1;
}

}  // namespace

int runTransformCli(int argc, char** argv, const char* usage) {
  log::setFd(2);  // stdout holds the outcome alone
  Args a;
  std::string err;
  if (!parseArgs(argc, argv, &a, &err)) return usageError(err, usage);
  if (a.help) {
    std::printf("%s", usage);
    return 0;
  }
  if (a.positional.empty()) return usageError("transform needs run or test", usage);
  if (a.positional[0] == "run") return cmdRun(a, usage);
  if (a.positional[0] == "test") return cmdTest(a, usage);
  return usageError("unknown transform command '" + a.positional[0] + "'", usage);
}

}  // namespace dispatch::app
