// libFuzzer target for body/header filters (core/filter: the compiler, RE2 patterns, the
// evaluation, exact decimal comparison) through the config's reader of a `filter:` node
// (core/config/filter_reader.cc). Input: a filter in YAML, then optionally a line `==`, header
// lines `name: value`, an empty line and a body. Beyond "does not crash":
// - nothing escapes as an exception, compiling or evaluating; a filter or errors, never both;
//   every error reads `<file>:<line>:<col>: filter…: …` with the line inside the YAML; compiling
//   twice gives the same errors;
// - evaluating is deterministic, and a filter that reads no body never parses it;
// - `$not: F` and `$not: [F, F]` are the negation of F on the event, `$and: [F, F]` and
//   `$or: [F]` are F (unless the wrapper only breaks the nesting limit);
// - numbers in the body compare exactly and consistently: antisymmetric, transitive, equal
//   only where the doubles are equal, ordered like the doubles wherever those differ.
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config_sections.h"
#include "core/config/env_expand.h"
#include "core/config/yaml_reader.h"
#include "core/filter/filter.h"
#include "core/filter/number.h"
#include "core/util/json.h"
#include "core/util/lazy_json.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace config = dispatch::config;
namespace filter = dispatch::filter;
namespace json = dispatch::json;
using dispatch::fuzz::check;
using dispatch::fuzz::takeUntil;

constexpr std::string_view kFile = "fuzz.yaml";

std::optional<std::string> env(const std::string& name) {
  if (name == "MIN") return "1000";
  if (name == "EMPTY") return "";
  return std::nullopt;
}

struct Compiled {
  std::shared_ptr<const filter::Filter> filter;
  std::vector<std::string> errors;
};

Compiled compile(const YAML::Node& node) {
  Compiled out;
  const config::EnvLookup lookup = env;
  config::internal::Reader reader{std::string(kFile), lookup};
  try {
    out.filter = config::internal::readFilter(reader, config::internal::Field{node, "filter"});
  } catch (const std::exception& e) {
    check(false, "readFilter threw", e.what());
  }
  out.errors = reader.errors();
  check((out.filter != nullptr) == out.errors.empty(), "a filter and errors together, or neither");
  return out;
}

void checkError(const std::string& error, size_t lines) {
  const std::string prefix = std::string(kFile) + ":";
  check(error.rfind(prefix, 0) == 0, "error does not start with the file name", error);
  char* end = nullptr;
  const long line = std::strtol(error.c_str() + prefix.size(), &end, 10);
  check(line >= 1 && static_cast<size_t>(line) <= lines && *end == ':', "error line outside",
        error);
  const long col = std::strtol(end + 1, &end, 10);
  check(col >= 1 && end[0] == ':' && end[1] == ' ', "error without a column", error);
  check(std::string_view(end + 2).rfind("filter", 0) == 0, "error without its key path", error);
}

bool evaluate(const filter::Filter& f, std::string_view body, const dispatch::model::Headers& h,
              bool* parsed = nullptr) {
  json::LazyValue lazy(body);
  bool result = false;
  try {
    result = f.matches(lazy, h);
  } catch (const std::exception& e) {
    check(false, "matches threw", e.what());
  }
  if (parsed != nullptr) *parsed = lazy.parsed();
  return result;
}

// F wrapped as `{ <op>: <list of F, n times> }`, or `{ $not: F }` for n = 0.
YAML::Node wrap(const YAML::Node& f, const char* op, int n) {
  YAML::Node out(YAML::NodeType::Map);
  if (n == 0) {
    out[op] = f;
    return out;
  }
  YAML::Node list(YAML::NodeType::Sequence);
  for (int i = 0; i < n; ++i) list.push_back(f);
  out[op] = list;
  return out;
}

void checkWrapper(const YAML::Node& node, const char* op, int n, bool negates, bool expected,
                  std::string_view body, const dispatch::model::Headers& h) {
  const Compiled w = compile(wrap(node, op, n));
  if (!w.filter) {
    for (const std::string& e : w.errors) {
      check(e.find("nested too deeply") != std::string::npos, "a wrapper of a filter refused", e);
    }
    return;
  }
  check(evaluate(*w.filter, body, h) == (negates ? !expected : expected),
        negates ? "a $not wrapper is not the negation" : "an $and/$or wrapper changed the result",
        op);
}

// Consistency of the exact comparison on the body's numbers (a few of them).
void collectNumbers(const json::Value& v, std::vector<std::string_view>& out) {
  if (out.size() >= 8) return;
  if (v.isNumber()) out.push_back(v.raw());
  for (const json::Value& x : v.items()) collectNumbers(x, out);
  for (const auto& [k, x] : v.members()) collectNumbers(x, out);
}

void checkNumbers(const json::Value& doc) {
  std::vector<std::string_view> texts;
  collectNumbers(doc, texts);
  std::vector<filter::Decimal> ds;
  for (std::string_view t : texts) {
    const auto d = filter::parseDecimal(t);
    check(d.has_value(), "a JSON number does not parse as a decimal", t);
    ds.push_back(*d);
  }
  for (size_t i = 0; i < ds.size(); ++i) {
    check(filter::compareDecimal(ds[i], ds[i]) == 0, "a number differs from itself", texts[i]);
    for (size_t j = 0; j < ds.size(); ++j) {
      const int c = filter::compareDecimal(ds[i], ds[j]);
      check(c == -filter::compareDecimal(ds[j], ds[i]), "comparison not antisymmetric", texts[i]);
      const double a = std::strtod(std::string(texts[i]).c_str(), nullptr);
      const double b = std::strtod(std::string(texts[j]).c_str(), nullptr);
      // Rounding to double is monotonic: where the doubles differ, so do the exact values, the
      // same way; exactly equal values are the same double.
      if (a < b) check(c < 0, "exact order disagrees with the doubles'", texts[i]);
      if (a > b) check(c > 0, "exact order disagrees with the doubles'", texts[i]);
      if (c == 0) check(a == b || (std::isnan(a) && std::isnan(b)), "equal but not", texts[i]);
      for (size_t k = 0; k < ds.size(); ++k) {
        if (c <= 0 && filter::compareDecimal(ds[j], ds[k]) <= 0) {
          check(filter::compareDecimal(ds[i], ds[k]) <= 0, "comparison not transitive", texts[i]);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t sep = input.find("\n==\n");
  const std::string yaml(input.substr(0, sep));
  std::string_view rest = sep == std::string_view::npos ? "" : input.substr(sep + 4);
  dispatch::model::Headers headers;
  while (!rest.empty()) {
    const std::string_view line = takeUntil(rest, '\n');
    if (line.empty()) break;
    const size_t colon = line.find(':');
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace_back(std::move(name), std::string(value));
  }
  const std::string_view body = rest;

  YAML::Node node;
  try {
    node = YAML::Load(config::shieldEnvReferences(yaml));  // as the loader reads a file
  } catch (const YAML::Exception&) {
    return 0;  // yaml-cpp's own refusal; config_fuzz covers the loader's handling of it
  }
  size_t lines = 1;
  for (const char c : yaml) lines += c == '\n';

  const Compiled first = compile(node);
  for (const std::string& e : first.errors) checkError(e, lines);
  check(compile(node).errors == first.errors, "compiling twice gives different errors", yaml);

  const auto doc = json::parse(body);
  if (doc) checkNumbers(*doc);
  if (!first.filter) return 0;

  bool parsed = false;
  const bool result = evaluate(*first.filter, body, headers, &parsed);
  check(evaluate(*first.filter, body, headers) == result, "evaluation is not deterministic");
  if (!first.filter->readsBody()) {
    check(!parsed, "a filter without body conditions parsed the body", yaml);
  }
  if (node.IsMap()) {
    checkWrapper(node, "$not", 0, true, result, body, headers);
    checkWrapper(node, "$not", 2, true, result, body, headers);
    checkWrapper(node, "$and", 2, false, result, body, headers);
    checkWrapper(node, "$or", 1, false, result, body, headers);
  }
  return 0;
}
