// Reading `FILE.test.yaml` (transform_tests.h). Scalars are taken as written: no `${VAR}`
// expansion, since a body may well hold `${…}` text of its own.
#include "core/config/transform_tests.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "core/config/yaml_reader.h"
#include "core/util/json.h"

namespace dispatch::config {
namespace {

using internal::Field;
using internal::Key;
using internal::Reader;

// As json::ParseOptions' default: a body nested deeper would not parse as JSON anyway.
constexpr int kMaxDepth = 128;

bool isQuoted(const YAML::Node& n) {
  const std::string& tag = n.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

// A plain (unquoted) scalar as YAML's core schema reads it: null, a boolean, a number when it
// is a JSON number, else a string.
void writePlainScalar(json::Writer& w, const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    w.null();
  } else if (s == "true" || s == "True" || s == "TRUE") {
    w.boolean(true);
  } else if (s == "false" || s == "False" || s == "FALSE") {
    w.boolean(false);
  } else if (auto n = json::parse(s); n.isOk() && n->isNumber()) {
    w.raw(s);
  } else {
    w.string(s);
  }
}

// The node as JSON; false after reporting what cannot be JSON.
bool toJson(Reader& r, const Field& f, int depth, json::Writer& w) {
  if (depth > kMaxDepth) {
    r.error(f, "nested too deeply (at most " + std::to_string(kMaxDepth) + " levels)");
    return false;
  }
  const YAML::Node& n = f.node;
  if (n.IsNull()) {
    w.null();
    return true;
  }
  if (n.IsScalar()) {
    if (isQuoted(n)) {
      w.string(n.Scalar());
    } else {
      writePlainScalar(w, n.Scalar());
    }
    return true;
  }
  bool ok = true;
  if (n.IsSequence()) {
    w.beginArray();
    for (size_t i = 0; i < n.size(); ++i) ok = toJson(r, f.item(i, n[i]), depth + 1, w) && ok;
    w.endArray();
    return ok;
  }
  std::set<std::string> seen;
  w.beginObject();
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) {
      r.error(kv.first.Mark(), f.path, "keys must be strings");
      ok = false;
      continue;
    }
    const std::string& key = kv.first.Scalar();
    const Field value = f.child(key, kv.second);
    if (!seen.insert(key).second) {
      r.error(kv.first.Mark(), value.path, "duplicate key");
      ok = false;
      continue;
    }
    w.key(key);
    ok = toJson(r, value, depth + 1, w) && ok;
  }
  w.endObject();
  return ok;
}

// A scalar's text as written (empty for null); nullopt after an error for a map or list.
std::optional<std::string> text(Reader& r, const Field& f) {
  if (f.node.IsNull()) return std::string();
  if (!f.node.IsScalar()) {
    r.error(f, "must be a string");
    return std::nullopt;
  }
  return f.node.Scalar();
}

std::optional<std::string> nonEmptyText(Reader& r, const Field& f) {
  auto s = text(r, f);
  if (s && s->empty()) {
    r.error(f, "must not be empty");
    return std::nullopt;
  }
  return s;
}

// A map of names to scalar values (headers, query); false after an error.
bool readStringMap(Reader& r, const Field& f, bool lowerNames,
                   std::vector<std::pair<std::string, std::string>>& out) {
  bool ok = true;
  std::vector<Key> none;
  r.readMap(f, none, [&](const std::string& key, const Field& value) {
    auto v = text(r, value);
    if (!v) {
      ok = false;
      return;
    }
    std::string name = key;
    if (lowerNames) {
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
    }
    out.emplace_back(std::move(name), std::move(*v));
  });
  return ok && (f.node.IsNull() || f.node.IsMap());
}

void readEvent(Reader& r, const Field& f, TransformTestCase::Event& e) {
  const std::vector<Key> keys = {
      {"body",
       [&](const Field& x) {
         if (x.node.IsNull()) {
           e.body.clear();
         } else if (x.node.IsScalar()) {
           e.body = x.node.Scalar();
         } else {
           json::Writer w;
           if (toJson(r, x, 0, w)) e.body = w.take();
         }
       }},
      {"type", [&](const Field& x) { internal::set(e.type, text(r, x)); }},
      {"headers", [&](const Field& x) { readStringMap(r, x, true, e.headers); }},
      {"query", [&](const Field& x) { readStringMap(r, x, false, e.query); }},
      {"source", [&](const Field& x) { internal::set(e.source, text(r, x)); }},
      {"id", [&](const Field& x) { internal::set(e.id, text(r, x)); }},
  };
  r.readMap(f, keys);
}

void readExpect(Reader& r, const Field& f, TransformTestCase::Expect& e) {
  std::optional<Field> type, body, headersOut, error;
  const std::vector<Key> keys = {
      {"outcome",
       [&](const Field& x) {
         auto s = text(r, x);
         if (!s) return;
         if (*s != "deliver" && *s != "drop" && *s != "error") {
           return r.error(x, "must be deliver, drop or error");
         }
         e.outcome = *s;
       },
       true},
      {"type",
       [&](const Field& x) {
         type = x;
         if (auto s = text(r, x)) e.type = *s;
       }},
      {"body",
       [&](const Field& x) {
         body = x;
         json::Writer w;
         if (toJson(r, x, 0, w)) e.bodyJson = w.take();
       }},
      {"headers_out",
       [&](const Field& x) {
         headersOut = x;
         std::vector<std::pair<std::string, std::string>> h;
         if (readStringMap(r, x, false, h)) e.headersOut = std::move(h);
       }},
      {"error",
       [&](const Field& x) {
         error = x;
         if (auto s = text(r, x)) e.error = *s;
       }},
  };
  r.readMap(f, keys);
  if (e.outcome.empty()) return;  // missing or invalid: reported above
  if (e.outcome != "deliver") {
    for (const auto& x : {type, body, headersOut}) {
      if (x) r.error(*x, "only with outcome deliver");
    }
  }
  if (e.outcome != "error" && error) r.error(*error, "only with outcome error");
}

void readCase(Reader& r, const Field& f, TransformTestCase& c) {
  c.location = r.location(f.node);
  const std::vector<Key> keys = {
      {"name", [&](const Field& x) { internal::set(c.name, nonEmptyText(r, x)); }, true},
      {"event", [&](const Field& x) { readEvent(r, x, c.event); }},
      {"expect", [&](const Field& x) { readExpect(r, x, c.expect); }, true},
  };
  r.readMap(f, keys);
}

}  // namespace

std::string transformTestPath(const std::string& luaPath) {
  constexpr std::string_view kLua = ".lua";
  std::string base = luaPath;
  if (base.size() > kLua.size() &&
      base.compare(base.size() - kLua.size(), kLua.size(), kLua) == 0) {
    base.resize(base.size() - kLua.size());
  }
  return base + ".test.yaml";
}

TransformTestFile parseTransformTests(const std::string& yaml, const std::string& displayPath) {
  const EnvLookup noEnv = [](const std::string&) { return std::optional<std::string>(); };
  Reader r(displayPath, noEnv);
  TransformTestFile out;
  try {
    const YAML::Node root = YAML::Load(yaml);
    const Field top{root, ""};
    if (!root.IsSequence()) {
      r.error(top, "must be a list of test cases ({name, event, expect})");
    } else {
      std::set<std::string> names;
      for (size_t i = 0; i < root.size(); ++i) {
        const Field item = top.item(i, root[i]);
        TransformTestCase c;
        readCase(r, item, c);
        if (!c.name.empty() && !names.insert(c.name).second) {
          r.error(item.node["name"].Mark(), item.childPath("name"),
                  "duplicate name '" + c.name + "'");
        }
        out.cases.push_back(std::move(c));
      }
    }
  } catch (const YAML::Exception& e) {
    r.error(e.mark, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    r.error(YAML::Mark::null_mark(), "", std::string("cannot load: ") + e.what());
  }
  out.errors = r.errors();
  return out;
}

TransformTestFile loadTransformTests(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in.is_open()) text << in.rdbuf();
  if (!in.is_open() || in.bad()) {
    TransformTestFile out;
    out.errors.push_back(path + ": cannot read file");
    return out;
  }
  return parseTransformTests(text.str(), path);
}

}  // namespace dispatch::config
