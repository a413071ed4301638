// libFuzzer target for dot-paths: json::Value::at (a source's `event_type.path`, which
// extractEventType applies to a parsed body) and the chat templates' `{{body.a.b}}`
// placeholders (core/plugin/template.cc). Input: the first line is a dot-path (and a template
// text), the rest a JSON body. Beyond "does not crash":
// - a found value is a node of the document;
// - every node whose path can be spelled (no '.' in its keys, the first of equal keys) is found
//   by that path, array steps in canonical decimal only;
// - `{{body.<path>}}` renders exactly what at(path) gives (its scalar text, "" for null or
//   missing), through a value filter too; a template without `{{` renders as its own text.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/template.h"
#include "core/util/json.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace json = dispatch::json;
using dispatch::fuzz::check;
using dispatch::fuzz::takeUntil;
using dispatch::plugin::Template;
using dispatch::plugin::TemplateContext;

constexpr size_t kMaxNodes = 4096;

struct Node {
  const json::Value* value;
  std::string path;  // "" for the root
  bool spellable;    // `path` leads to exactly this node
};

void collect(const json::Value& v, const std::string& path, bool spellable,
             std::vector<Node>& out) {
  if (out.size() >= kMaxNodes) return;
  out.push_back({&v, path, spellable});
  auto join = [&](std::string_view step) {
    return path.empty() && &v == out.front().value ? std::string(step)
                                                   : path + "." + std::string(step);
  };
  for (size_t i = 0; i < v.items().size(); ++i) {
    collect(v.items()[i], join(std::to_string(i)), spellable, out);
  }
  std::set<std::string_view> seen;
  for (const auto& [key, value] : v.members()) {
    const bool first = seen.insert(key).second;
    const bool ok = spellable && first && key.find('.') == std::string::npos;
    collect(value, join(key), ok, out);
  }
}

std::string bracket(std::string_view s) { return "<" + std::string(s) + ">"; }

void checkTemplate(std::string_view text, std::string_view path, std::string_view body,
                   const json::Value* doc) {
  const TemplateContext context{"src", "evt.type", "evt_1", "dest", body};
  std::string error;
  const std::optional<Template> t = Template::compile(text, &error);
  if (!t) {
    check(!error.empty(), "template refused without a reason", text);
  } else {
    const std::string rendered = t->render(context);
    t->render(context, bracket);
    if (text.find("{{") == std::string_view::npos) {
      check(rendered == text, "a template without placeholders changed", text);
    }
  }
  // The path as a placeholder, where the template syntax can spell it.
  if (path.empty() || path.find_first_of("{}") != std::string_view::npos) return;
  if (path.front() == ' ' || path.front() == '\t' || path.back() == ' ' || path.back() == '\t') {
    return;
  }
  const std::string placeholder = "{{body." + std::string(path) + "}}";
  const std::optional<Template> p = Template::compile(placeholder, &error);
  const bool emptyStep =
      path.front() == '.' || path.back() == '.' || path.find("..") != std::string_view::npos;
  check(p.has_value() != emptyStep, "placeholder accepted or refused unlike its path", path);
  if (!p) return;
  const json::Value* v = doc != nullptr ? doc->at(path) : nullptr;
  const bool shown = v != nullptr && !v->isNull();
  const std::string expected = shown ? v->scalarText() : "";
  check(p->render(context) == expected, "placeholder renders unlike at()", placeholder);
  // The filter sees only values that are inserted.
  check(p->render(context, bracket) == (shown ? bracket(expected) : ""),
        "filtered placeholder differs", placeholder);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view path = takeUntil(in, '\n');
  const std::string_view body = in;

  auto parsed = json::parse(body);
  const json::Value* doc = parsed.isOk() ? &parsed.value() : nullptr;
  checkTemplate(path, path, body, doc);
  if (doc == nullptr) return 0;

  std::vector<Node> nodes;
  collect(*doc, "", true, nodes);
  const json::Value* found = doc->at(path);
  if (found != nullptr) {
    bool member = false;
    for (const Node& n : nodes) member = member || n.value == found;
    check(member || nodes.size() >= kMaxNodes, "at() returned a value outside the document", path);
    check(found->scalarText() == (found->isString() ? found->asString()
                                  : found->isNull() ? "null"
                                                    : std::string(found->raw())),
          "scalarText() is not the value's text", path);
  }
  for (const Node& n : nodes) {
    // The root's path is ""; a child spelled "" (key "") would be read as the root.
    if (!n.spellable || (n.path.empty() && n.value != doc)) continue;
    check(doc->at(n.path) == n.value, "a node is not found by its own path", n.path);
  }
  // Non-canonical indices ("01", "+1", " 1") never alias an element.
  if (doc->isArray() && !doc->items().empty()) {
    for (const std::string_view alias : {"00", "+0", " 0", "0 ", "-0", "0x0", ".0"}) {
      check(doc->at(alias) == nullptr, "a non-canonical index finds an element", alias);
    }
  }
  return 0;
}
