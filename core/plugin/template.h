// Message templates for the chat plugins (slack, discord): text with `{{path}}` placeholders
// filled from one delivery. Standard library only in the interface; implemented in core.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/destination.h"

namespace dispatch::plugin {

// What the placeholders of one rendering refer to. Views: the caller keeps the text alive.
struct TemplateContext {
  std::string_view source;       // {{source}}: the source slug
  std::string_view type;         // {{type}}: the event type
  std::string_view id;           // {{id}}: the event id
  std::string_view destination;  // {{destination}}: the destination name
  std::string_view body;         // {{body}}: the delivered body text; {{body.a.b}} looks inside
};

// The context of a delivery (id = its event id).
TemplateContext templateContext(const Delivery& d);

// A compiled template; immutable, so one instance may render from many threads at once.
class Template {
 public:
  // Applied to each substituted value (never to the template's own text), e.g. to escape
  // markup of the target service. nullptr: values are inserted as they are.
  using ValueFilter = std::string (*)(std::string_view);

  // Parses `text`. Placeholders: {{source}}, {{type}}, {{id}}, {{destination}}, {{body}} and
  // {{body.<dot.path>}} (keys and array indices, e.g. {{body.items.0.name}}); spaces inside the
  // braces are ignored; extra leading braces are literal text ("{{{x}}}" → "{" + {{x}} + "}").
  // On an unclosed "{{", an empty or unknown placeholder or an empty path step: nullopt and
  // *error says which.
  static std::optional<Template> compile(std::string_view text, std::string* error);

  // Fills the placeholders. A body path parses the body as JSON (once per call, only when the
  // template has one): strings give their decoded text, numbers and booleans their source
  // text, objects and arrays their raw JSON; null, a missing path, or a body that is not JSON
  // give "".
  std::string render(const TemplateContext& context, ValueFilter filter = nullptr) const;

 private:
  struct Part {
    enum class Kind { kText, kSource, kType, kId, kDestination, kBody, kBodyPath };
    Kind kind = Kind::kText;
    std::string text;  // kText: the literal text; kBodyPath: the dot-path
  };
  std::vector<Part> parts_;
  bool needsJson_ = false;
};

}  // namespace dispatch::plugin
