// A filter as written, independent of YAML (filter/ may not see yaml-cpp): the config loader
// turns its `filter:` node into this tree, keeping each node's position for errors, and hands
// it to Filter::compile (filter.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dispatch::filter {

// Where a node was written: 1-based line and column; 0 when unknown.
struct Position {
  int line = 0;
  int column = 0;
};

struct Spec {
  enum class Kind { kNull, kScalar, kList, kMap };
  struct Entry;

  Kind kind = Kind::kNull;
  std::string text;            // kScalar: the value, `${VAR}` already expanded
  bool quoted = false;         // kScalar: written quoted or as a block: always a string
  std::vector<Spec> items;     // kList
  std::vector<Entry> entries;  // kMap, in document order
  Position at;
};

struct Spec::Entry {
  std::string key;
  Position keyAt;
  Spec value;
};

// Nesting of lists and maps below the `filter:` node beyond which a filter is refused, so a
// hostile file cannot exhaust the stack of the compiler or of an evaluation.
inline constexpr int kMaxDepth = 32;
// Longest `$regex` pattern, in bytes. Default: 4096
inline constexpr size_t kMaxRegexBytes = 4096;
// RE2's memory budget per `$regex` (its compiled program and DFA cache): a pattern that needs
// more is a config error, so a config cannot make the server allocate without bound.
inline constexpr int64_t kRegexMaxMem = 1 << 20;

// One problem in a spec: where, the key path (`projects[0].links[1].filter.body.a.$gt`), what.
struct CompileError {
  Position at;
  std::string path;
  std::string message;
};

}  // namespace dispatch::filter
