// Template compilation (placeholder parsing) and rendering over core's JSON parser.
#include "core/plugin/template.h"

#include "core/util/json.h"

namespace dispatch::plugin {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool hasEmptyStep(std::string_view path) {
  if (path.empty() || path.front() == '.' || path.back() == '.') return true;
  return path.find("..") != std::string_view::npos;
}

}  // namespace

TemplateContext templateContext(const Delivery& d) {
  return TemplateContext{d.source, d.eventType, d.eventId, d.destination, d.body};
}

std::optional<Template> Template::compile(std::string_view text, std::string* error) {
  using Kind = Part::Kind;
  Template t;
  auto addText = [&](std::string_view s) {
    if (s.empty()) return;
    if (!t.parts_.empty() && t.parts_.back().kind == Kind::kText) {
      t.parts_.back().text.append(s);
    } else {
      t.parts_.push_back({Kind::kText, std::string(s)});
    }
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      addText(text.substr(pos));
      break;
    }
    while (open + 2 < text.size() && text[open + 2] == '{') ++open;  // extra '{' are literal
    addText(text.substr(pos, open - pos));
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      *error = "unclosed '{{' at offset " + std::to_string(open);
      return std::nullopt;
    }
    std::string_view name = trim(text.substr(open + 2, close - open - 2));
    if (name == "source") {
      t.parts_.push_back({Kind::kSource, {}});
    } else if (name == "type") {
      t.parts_.push_back({Kind::kType, {}});
    } else if (name == "id") {
      t.parts_.push_back({Kind::kId, {}});
    } else if (name == "destination") {
      t.parts_.push_back({Kind::kDestination, {}});
    } else if (name == "body") {
      t.parts_.push_back({Kind::kBody, {}});
    } else if (name.substr(0, 5) == "body.") {
      std::string_view path = name.substr(5);
      if (hasEmptyStep(path)) {
        *error = "placeholder {{" + std::string(name) + "}} has an empty path step";
        return std::nullopt;
      }
      t.parts_.push_back({Kind::kBodyPath, std::string(path)});
      t.needsJson_ = true;
    } else if (name.empty()) {
      *error = "empty placeholder {{}} at offset " + std::to_string(open);
      return std::nullopt;
    } else {
      *error = "unknown placeholder {{" + std::string(name) +
               "}} (known: source, type, id, destination, body, body.<path>)";
      return std::nullopt;
    }
    pos = close + 2;
  }
  return t;
}

std::string Template::render(const TemplateContext& context, ValueFilter filter) const {
  std::optional<json::Value> body;
  if (needsJson_) {
    Result<json::Value> parsed = json::parse(context.body);
    if (parsed.isOk()) body = std::move(parsed).value();
  }
  std::string out;
  auto insert = [&](std::string_view value) {
    if (filter == nullptr) {
      out.append(value);
    } else {
      out.append(filter(value));
    }
  };
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Part::Kind::kText:
        out.append(part.text);
        break;
      case Part::Kind::kSource:
        insert(context.source);
        break;
      case Part::Kind::kType:
        insert(context.type);
        break;
      case Part::Kind::kId:
        insert(context.id);
        break;
      case Part::Kind::kDestination:
        insert(context.destination);
        break;
      case Part::Kind::kBody:
        insert(context.body);
        break;
      case Part::Kind::kBodyPath: {
        const json::Value* v = body ? body->at(part.text) : nullptr;
        if (v != nullptr && !v->isNull()) insert(v->scalarText());
        break;
      }
    }
  }
  return out;
}

}  // namespace dispatch::plugin
