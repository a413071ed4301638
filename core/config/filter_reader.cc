// `filter:` on destinations and links: the YAML node becomes a filter::Spec (scalars with
// `${VAR}` expanded, quoting kept so `"200"` stays a string and `200` is a number), which
// filter::Filter::compile turns into the snapshot's compiled filter; its errors are reported
// in the loader's `file:line:col: key.path: message` form.
#include "core/config/config_sections.h"
#include "core/config/env_expand.h"
#include "core/filter/filter.h"

namespace dispatch::config::internal {
namespace {

filter::Position positionOf(const YAML::Mark& m) {
  if (m.is_null()) return {1, 1};
  return {m.line + 1, m.column + 1};
}

YAML::Mark markOf(filter::Position at) {
  if (at.line <= 0) return YAML::Mark::null_mark();
  YAML::Mark m;
  m.line = at.line - 1;
  m.column = at.column - 1;
  return m;
}

// Plain scalars are typed by the filter (numbers, booleans); these are always strings.
bool isQuoted(const YAML::Node& n) {
  const std::string& tag = n.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

// The node as a Spec; false after reporting what cannot be one (a key that is not a string,
// an unset variable, nesting past filter::kMaxDepth).
bool toSpec(Reader& r, const Field& f, int depth, filter::Spec& out) {
  out.at = positionOf(f.node.Mark());
  if (depth > filter::kMaxDepth) {
    r.error(f, "nested too deeply (at most " + std::to_string(filter::kMaxDepth) + " levels)");
    return false;
  }
  if (f.node.IsNull()) return true;
  if (f.node.IsScalar()) {
    out.kind = filter::Spec::Kind::kScalar;
    out.quoted = isQuoted(f.node);
    auto text = r.string(f);
    if (!text) return false;
    out.text = std::move(*text);
    return true;
  }
  bool ok = true;
  if (f.node.IsSequence()) {
    out.kind = filter::Spec::Kind::kList;
    for (size_t i = 0; i < f.node.size(); ++i) {
      out.items.emplace_back();
      ok = toSpec(r, f.item(i, f.node[i]), depth + 1, out.items.back()) && ok;
    }
    return ok;
  }
  out.kind = filter::Spec::Kind::kMap;
  for (const auto& kv : f.node) {
    if (!kv.first.IsScalar()) {
      r.error(kv.first.Mark(), f.path, "keys must be strings");
      ok = false;
      continue;
    }
    filter::Spec::Entry e;
    e.key = unshieldEnvReferences(kv.first.Scalar());
    e.keyAt = positionOf(kv.first.Mark());
    ok = toSpec(r, f.child(e.key, kv.second), depth + 1, e.value) && ok;
    out.entries.push_back(std::move(e));
  }
  return ok;
}

}  // namespace

std::shared_ptr<const filter::Filter> readFilter(Reader& r, const Field& f) {
  filter::Spec spec;
  if (!toSpec(r, f, 0, spec)) return nullptr;
  std::vector<filter::CompileError> errors;
  auto compiled = filter::Filter::compile(spec, f.path, &errors);
  for (const filter::CompileError& e : errors) r.error(markOf(e.at), e.path, e.message);
  return compiled;
}

}  // namespace dispatch::config::internal
