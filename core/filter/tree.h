// Internal to core/filter (the one module that may include RE2): the compiled form of a
// filter, a tree of all/any/none nodes over leaf tests, each one operator on one body path or
// one header.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <vector>

namespace dispatch::filter::internal {

enum class Op { kEq, kNe, kIn, kNin, kGt, kGte, kLt, kLte, kExists, kRegex };

// A scalar of the config, typed as written: quoted text is a string; plain text is null, a
// boolean or a number when it reads as one, else a string.
struct Operand {
  enum class Kind { kNull, kBool, kNumber, kString };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // kString: the string; kNumber: the number as written
};

struct Test {
  bool header = false;  // `target` is a lower-case header name, else a body dot-path
  std::string target;
  Op op = Op::kEq;
  std::vector<Operand> operands;  // one; the whole list for $in and $nin
  bool exists = true;             // $exists
  std::unique_ptr<const re2::RE2> regex;
};

struct Node {
  enum class Kind { kAll, kAny, kNone, kTest };
  Kind kind = Kind::kAll;
  std::vector<Node> children;  // header-only children first: they never parse the body
  Test test;                   // kTest
  bool readsBody = false;      // this node or one below tests the body
};

}  // namespace dispatch::filter::internal
