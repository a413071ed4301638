// Evaluating a compiled filter on one event (the semantics: docs/configuration.md, "Filters").
// A body test on a body that is not JSON is false, whatever its operator; `$not` is the
// negation of what it holds on every event.
#include "core/filter/filter.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "core/filter/number.h"
#include "core/filter/tree.h"

namespace dispatch::filter {

using internal::Node;
using internal::Op;
using internal::Operand;
using internal::Test;

namespace {

bool sameLetters(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

const std::string* findHeader(const model::Headers& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (sameLetters(k, name)) return &v;
  }
  return nullptr;
}

// a <=> b as numbers, or nullopt when either is not a number.
std::optional<int> compareNumbers(std::string_view a, std::string_view b) {
  const auto da = parseDecimal(a);
  const auto db = parseDecimal(b);
  if (!da || !db) return std::nullopt;
  return compareDecimal(*da, *db);
}

int compareText(std::string_view a, std::string_view b) {
  const int c = a.compare(b);  // byte order: for UTF-8, code point order
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool ordered(Op op, int c) {
  switch (op) {
    case Op::kGt:
      return c > 0;
    case Op::kGte:
      return c >= 0;
    case Op::kLt:
      return c < 0;
    case Op::kLte:
      return c <= 0;
    default:
      return false;
  }
}

bool hasNull(const std::vector<Operand>& operands) {
  return std::any_of(operands.begin(), operands.end(),
                     [](const Operand& o) { return o.kind == Operand::Kind::kNull; });
}

// `f` on the value, or on any element when the value is an array (a list holds a value when
// one of its elements does).
template <class F>
bool anyElement(const json::Value& v, const F& f) {
  if (!v.isArray()) return f(v);
  return std::any_of(v.items().begin(), v.items().end(), f);
}

// ---------------------------------------------------------------- body
bool bodyEquals(const json::Value& v, const Operand& o) {
  switch (o.kind) {
    case Operand::Kind::kNull:
      return v.isNull();
    case Operand::Kind::kBool:
      return v.isBool() && v.asBool() == o.boolean;
    case Operand::Kind::kNumber:
      return v.isNumber() && compareNumbers(v.raw(), o.text) == 0;
    case Operand::Kind::kString:
      return v.isString() && v.asString() == o.text;
  }
  return false;
}

// $eq / $in: a missing path equals only null.
bool bodyIn(const json::Value* v, const std::vector<Operand>& operands) {
  if (v == nullptr) return hasNull(operands);
  return std::any_of(operands.begin(), operands.end(), [&](const Operand& o) {
    return anyElement(*v, [&](const json::Value& e) { return bodyEquals(e, o); });
  });
}

bool bodyOrdered(const json::Value& v, const Test& t) {
  const Operand& o = t.operands.front();
  if (o.kind == Operand::Kind::kNumber) {
    if (!v.isNumber()) return false;
    const auto c = compareNumbers(v.raw(), o.text);
    return c && ordered(t.op, *c);
  }
  return v.isString() && ordered(t.op, compareText(v.asString(), o.text));
}

bool bodyTest(const Test& t, const json::Value* doc) {
  if (doc == nullptr) return false;  // not JSON: no body condition holds
  const json::Value* v = doc->at(t.target);
  switch (t.op) {
    case Op::kExists:
      return (v != nullptr) == t.exists;
    case Op::kEq:
    case Op::kIn:
      return bodyIn(v, t.operands);
    case Op::kNe:
    case Op::kNin:
      return !bodyIn(v, t.operands);
    case Op::kGt:
    case Op::kGte:
    case Op::kLt:
    case Op::kLte:
      return v != nullptr &&
             anyElement(*v, [&](const json::Value& e) { return bodyOrdered(e, t); });
    case Op::kRegex:
      return v != nullptr && anyElement(*v, [&](const json::Value& e) {
               return e.isString() && re2::RE2::PartialMatch(e.asString(), *t.regex);
             });
  }
  return false;
}

// ---------------------------------------------------------------- headers
// A header's value is text: a number operand compares numerically when the value reads as a
// number, a boolean one as the text true/false; no value is null.
bool headerEquals(const std::string& v, const Operand& o) {
  switch (o.kind) {
    case Operand::Kind::kNull:
      return false;
    case Operand::Kind::kBool:
      return v == (o.boolean ? "true" : "false");
    case Operand::Kind::kNumber:
      return compareNumbers(v, o.text) == 0;
    case Operand::Kind::kString:
      return v == o.text;
  }
  return false;
}

bool headerIn(const std::string* v, const std::vector<Operand>& operands) {
  if (v == nullptr) return hasNull(operands);
  return std::any_of(operands.begin(), operands.end(),
                     [&](const Operand& o) { return headerEquals(*v, o); });
}

bool headerOrdered(const std::string& v, const Test& t) {
  const Operand& o = t.operands.front();
  if (o.kind == Operand::Kind::kNumber) {
    const auto c = compareNumbers(v, o.text);
    return c && ordered(t.op, *c);
  }
  return ordered(t.op, compareText(v, o.text));
}

bool headerTest(const Test& t, const model::Headers& headers) {
  const std::string* v = findHeader(headers, t.target);
  switch (t.op) {
    case Op::kExists:
      return (v != nullptr) == t.exists;
    case Op::kEq:
    case Op::kIn:
      return headerIn(v, t.operands);
    case Op::kNe:
    case Op::kNin:
      return !headerIn(v, t.operands);
    case Op::kGt:
    case Op::kGte:
    case Op::kLt:
    case Op::kLte:
      return v != nullptr && headerOrdered(*v, t);
    case Op::kRegex:
      return v != nullptr && re2::RE2::PartialMatch(*v, *t.regex);
  }
  return false;
}

// ---------------------------------------------------------------- the tree
struct Evaluator {
  json::LazyValue& body;
  const model::Headers& headers;

  bool eval(const Node& n) const {
    switch (n.kind) {
      case Node::Kind::kAll:
        return std::all_of(n.children.begin(), n.children.end(),
                           [this](const Node& c) { return eval(c); });
      case Node::Kind::kAny:
        return std::any_of(n.children.begin(), n.children.end(),
                           [this](const Node& c) { return eval(c); });
      case Node::Kind::kNone:
        return std::none_of(n.children.begin(), n.children.end(),
                            [this](const Node& c) { return eval(c); });
      case Node::Kind::kTest:
        return n.test.header ? headerTest(n.test, headers) : bodyTest(n.test, body.get());
    }
    return false;
  }
};

}  // namespace

Filter::Filter(std::unique_ptr<const Node> root) : root_(std::move(root)) {}
Filter::~Filter() = default;

bool Filter::matches(json::LazyValue& body, const model::Headers& headers) const {
  return Evaluator{body, headers}.eval(*root_);
}

bool Filter::readsBody() const { return root_->readsBody; }

}  // namespace dispatch::filter
