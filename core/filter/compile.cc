// Filter::compile: a Spec → the tree of tree.h. Every problem is reported at its node's (or
// key's) position with its key path, and compiling goes on past it, so one pass lists them all.
//
// Three levels, each a map whose entries must all hold:
//   filter     body: <fields>, headers: <fields>, $and/$or/$not: [<filter>, …]
//   fields     <dot-path or header name>: <condition>, $and/$or/$not: [<fields>, …]
//   condition  a value (= $eq), or {$eq: v, $gt: v, …, $and/$or/$not: [<condition>, …]}
// `$not` takes one item or a list (it holds when none of them does).
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "core/filter/filter.h"
#include "core/filter/number.h"
#include "core/filter/tree.h"

namespace dispatch::filter {

using internal::Node;
using internal::Op;
using internal::Operand;
using internal::Test;

namespace {

constexpr const char kOperatorList[] =
    "$eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists, $regex, $and, $or, $not";

struct OperatorName {
  const char* name;
  Op op;
};
constexpr OperatorName kOperators[] = {
    {"$eq", Op::kEq},         {"$ne", Op::kNe},       {"$in", Op::kIn}, {"$nin", Op::kNin},
    {"$gt", Op::kGt},         {"$gte", Op::kGte},     {"$lt", Op::kLt}, {"$lte", Op::kLte},
    {"$exists", Op::kExists}, {"$regex", Op::kRegex},
};

std::optional<Op> findOperator(const std::string& key) {
  for (const OperatorName& o : kOperators) {
    if (key == o.name) return o.op;
  }
  return std::nullopt;
}

bool isCombinator(const std::string& key) { return key == "$and" || key == "$or" || key == "$not"; }

std::string childPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string itemPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// Why `name` cannot be a header name here, or nullopt.
std::optional<std::string> headerNameProblem(const std::string& name) {
  static const std::string kTchar = "!#$%&'*+-.^_`|~";
  bool upper = false;
  for (const unsigned char c : name) {
    const bool token = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       kTchar.find(static_cast<char>(c)) != std::string::npos;
    if (c >= 'A' && c <= 'Z') {
      upper = true;
    } else if (!token) {
      return std::string("invalid header name");
    }
  }
  if (name.empty()) return std::string("invalid header name");
  if (upper) return std::string("header names are written in lower case");
  return std::nullopt;
}

std::optional<std::string> pathProblem(const std::string& path) {
  if (path.empty() || path.front() == '.' || path.back() == '.' ||
      path.find("..") != std::string::npos) {
    return std::string("invalid dot-path: a step is empty");
  }
  return std::nullopt;
}

// A config scalar typed as written (tree.h, Operand).
Operand operandOf(const Spec& s) {
  Operand o;
  if (s.kind != Spec::Kind::kScalar) return o;  // null
  o.text = s.text;
  if (s.quoted) {
    o.kind = Operand::Kind::kString;
    return o;
  }
  const std::string& t = s.text;
  if (t == "~" || t == "null" || t == "Null" || t == "NULL") {
    o.text.clear();
  } else if (t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" ||
             t == "FALSE") {
    o.kind = Operand::Kind::kBool;
    o.boolean = t[0] == 't' || t[0] == 'T';
  } else if (parseDecimal(t)) {
    o.kind = Operand::Kind::kNumber;
  } else {
    o.kind = Operand::Kind::kString;
  }
  return o;
}

bool isValue(const Spec& s) { return s.kind == Spec::Kind::kNull || s.kind == Spec::Kind::kScalar; }

// A node of `kind` over `children`, header-only children first; one child of an all/any is
// that child itself.
Node group(Node::Kind kind, std::vector<Node> children) {
  if (kind != Node::Kind::kNone && children.size() == 1) return std::move(children.front());
  std::stable_partition(children.begin(), children.end(),
                        [](const Node& n) { return !n.readsBody; });
  Node n;
  n.kind = kind;
  n.readsBody =
      std::any_of(children.begin(), children.end(), [](const Node& c) { return c.readsBody; });
  n.children = std::move(children);
  return n;
}

Node leaf(Test t) {
  Node n;
  n.kind = Node::Kind::kTest;
  n.readsBody = !t.header;
  n.test = std::move(t);
  return n;
}

struct Target {
  bool header = false;
  std::string name;
};

class Compiler {
 public:
  explicit Compiler(std::vector<CompileError>* errors) : errors_(errors) {}

  // The `filter:` map itself, or an item of its $and/$or/$not.
  Node filterMap(const Spec& s, const std::string& path, int depth) {
    if (tooDeep(s, path, depth) || s.kind == Spec::Kind::kNull) return {};
    if (s.kind != Spec::Kind::kMap) {
      error(s.at, path, "must be a map (body, headers, $and, $or, $not)");
      return {};
    }
    std::vector<Node> parts;
    forEachEntry(s, path, [&](const Spec::Entry& e, const std::string& p) {
      if (e.key == "body" || e.key == "headers") {
        parts.push_back(fieldMap(e.value, e.key == "headers", p, depth + 1));
      } else if (isCombinator(e.key)) {
        parts.push_back(combinator(
            e, p, depth + 1, false,
            [&](const Spec& x, const std::string& xp, int d) { return filterMap(x, xp, d); }));
      } else {
        error(e.keyAt, p, "unknown key (known: body, headers, $and, $or, $not)");
      }
    });
    return group(Node::Kind::kAll, std::move(parts));
  }

 private:
  using ItemCompiler = std::function<Node(const Spec&, const std::string&, int)>;

  // `body:` or `headers:`, or an item of their $and/$or/$not.
  Node fieldMap(const Spec& s, bool header, const std::string& path, int depth) {
    if (tooDeep(s, path, depth) || s.kind == Spec::Kind::kNull) return {};
    if (s.kind != Spec::Kind::kMap) {
      error(s.at, path,
            header ? "must be a map of lower-case header names to conditions"
                   : "must be a map of dot-paths to conditions");
      return {};
    }
    std::vector<Node> parts;
    forEachEntry(s, path, [&](const Spec::Entry& e, const std::string& p) {
      if (isCombinator(e.key)) {
        parts.push_back(
            combinator(e, p, depth + 1, false, [&](const Spec& x, const std::string& xp, int d) {
              return fieldMap(x, header, xp, d);
            }));
        return;
      }
      if (!e.key.empty() && e.key.front() == '$') {
        return error(e.keyAt, p,
                     "unknown operator (only $and, $or, $not here; a path cannot start with $)");
      }
      if (auto problem = header ? headerNameProblem(e.key) : pathProblem(e.key)) {
        return error(e.keyAt, p, *problem);
      }
      parts.push_back(condition(e.value, Target{header, e.key}, p, depth + 1));
    });
    return group(Node::Kind::kAll, std::move(parts));
  }

  // The condition on one path or header, or an item of its $and/$or/$not.
  Node condition(const Spec& s, const Target& target, const std::string& path, int depth) {
    if (tooDeep(s, path, depth)) return {};
    if (isValue(s)) {
      Test t;
      t.header = target.header;
      t.target = target.name;
      t.operands.push_back(operandOf(s));
      return leaf(std::move(t));
    }
    if (s.kind == Spec::Kind::kList) {
      error(s.at, path, "must be a value or a map of operators (for a list of values use $in)");
      return {};
    }
    if (s.entries.empty()) {
      error(s.at, path,
            std::string("must not be empty (a value, or operators: ") + kOperatorList + ")");
      return {};
    }
    std::vector<Node> parts;
    forEachEntry(s, path, [&](const Spec::Entry& e, const std::string& p) {
      if (isCombinator(e.key)) {
        parts.push_back(
            combinator(e, p, depth + 1, true, [&](const Spec& x, const std::string& xp, int d) {
              return condition(x, target, xp, d);
            }));
      } else if (auto op = findOperator(e.key)) {
        if (auto n = operatorTest(*op, e.value, target, p)) parts.push_back(std::move(*n));
      } else if (!e.key.empty() && e.key.front() == '$') {
        error(e.keyAt, p, std::string("unknown operator (known: ") + kOperatorList + ")");
      } else {
        error(e.keyAt, p,
              "not an operator: a condition is a value or a map of operators ($eq, $gt, …); "
              "for a field inside a value, extend the dot-path (a.b)");
      }
    });
    return group(Node::Kind::kAll, std::move(parts));
  }

  // $and / $or: a non-empty list. $not: a non-empty list (none of them holds) or one item.
  // Items of filter and field maps must be maps; `values` lets conditions' items be values.
  Node combinator(const Spec::Entry& e, const std::string& path, int depth, bool values,
                  const ItemCompiler& item) {
    const Spec& v = e.value;
    const Node::Kind kind = e.key == "$and"  ? Node::Kind::kAll
                            : e.key == "$or" ? Node::Kind::kAny
                                             : Node::Kind::kNone;
    if (tooDeep(v, path, depth)) return {};
    if (v.kind == Spec::Kind::kList) {
      if (v.items.empty()) {
        error(v.at, path, "must not be empty");
        return {};
      }
      std::vector<Node> children;
      for (size_t i = 0; i < v.items.size(); ++i) {
        const Spec& x = v.items[i];
        if (!values && x.kind != Spec::Kind::kMap) {
          error(x.at, itemPath(path, i), "must be a map");
          continue;
        }
        children.push_back(item(x, itemPath(path, i), depth + 1));
      }
      return group(kind, std::move(children));
    }
    if (kind != Node::Kind::kNone) {
      error(v.at, path, "must be a list");
      return {};
    }
    if (!values && v.kind != Spec::Kind::kMap) {
      error(v.at, path, "must be a map or a list of maps");
      return {};
    }
    std::vector<Node> one;
    one.push_back(item(v, path, depth));
    return group(Node::Kind::kNone, std::move(one));
  }

  std::optional<Node> operatorTest(Op op, const Spec& v, const Target& target,
                                   const std::string& path) {
    Test t;
    t.header = target.header;
    t.target = target.name;
    t.op = op;
    switch (op) {
      case Op::kEq:
      case Op::kNe:
        if (!isValue(v))
          return fail(v.at, path, "must be a value (null, true, false, a number or a string)");
        t.operands.push_back(operandOf(v));
        break;
      case Op::kIn:
      case Op::kNin: {
        if (v.kind != Spec::Kind::kList) return fail(v.at, path, "must be a list of values");
        bool ok = true;
        for (size_t i = 0; i < v.items.size(); ++i) {
          if (!isValue(v.items[i])) {
            error(v.items[i].at, itemPath(path, i),
                  "must be a value (null, true, false, a number or a string)");
            ok = false;
          }
          t.operands.push_back(operandOf(v.items[i]));
        }
        if (!ok) return std::nullopt;
        break;
      }
      case Op::kGt:
      case Op::kGte:
      case Op::kLt:
      case Op::kLte: {
        const Operand o = operandOf(v);
        if (v.kind != Spec::Kind::kScalar || o.kind == Operand::Kind::kNull ||
            o.kind == Operand::Kind::kBool) {
          return fail(v.at, path, "must be a number or a string");
        }
        t.operands.push_back(o);
        break;
      }
      case Op::kExists: {
        std::string text = v.text;
        std::transform(text.begin(), text.end(), text.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (v.kind != Spec::Kind::kScalar || (text != "true" && text != "false")) {
          return fail(v.at, path, "must be true or false");
        }
        t.exists = text == "true";
        break;
      }
      case Op::kRegex: {
        if (v.kind != Spec::Kind::kScalar)
          return fail(v.at, path, "must be a string (an RE2 regular expression)");
        if (v.text.size() > kMaxRegexBytes) {
          return fail(v.at, path, "longer than " + std::to_string(kMaxRegexBytes) + " bytes");
        }
        re2::RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(kRegexMaxMem);
        auto re = std::make_unique<const re2::RE2>(v.text, options);
        if (!re->ok()) return fail(v.at, path, "invalid regular expression: " + re->error());
        t.regex = std::move(re);
        break;
      }
    }
    return leaf(std::move(t));
  }

  // Calls `fn` for each entry with its path; a key seen before is an error and skipped.
  void forEachEntry(const Spec& s, const std::string& path,
                    const std::function<void(const Spec::Entry&, const std::string&)>& fn) {
    std::set<std::string> seen;
    for (const Spec::Entry& e : s.entries) {
      const std::string p = childPath(path, e.key);
      if (!seen.insert(e.key).second) {
        error(e.keyAt, p, "duplicate key");
        continue;
      }
      fn(e, p);
    }
  }

  bool tooDeep(const Spec& s, const std::string& path, int depth) {
    if (depth <= kMaxDepth) return false;
    error(s.at, path, "nested too deeply (at most " + std::to_string(kMaxDepth) + " levels)");
    return true;
  }

  std::nullopt_t fail(Position at, const std::string& path, const std::string& message) {
    error(at, path, message);
    return std::nullopt;
  }

  void error(Position at, const std::string& path, const std::string& message) {
    errors_->push_back({at, path, message});
  }

  std::vector<CompileError>* errors_;
};

}  // namespace

std::shared_ptr<const Filter> Filter::compile(const Spec& spec, const std::string& path,
                                              std::vector<CompileError>* errors) {
  const size_t before = errors->size();
  Node root = Compiler(errors).filterMap(spec, path, 0);
  if (errors->size() != before) return nullptr;
  return std::shared_ptr<const Filter>(new Filter(std::make_unique<const Node>(std::move(root))));
}

}  // namespace dispatch::filter
