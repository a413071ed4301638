// Compiled body and header filters on destinations and links (contracts/config.md,
// "Filters"; the semantics are written out in docs/configuration.md). A filter is compiled
// once per config snapshot from its Spec and evaluated on each event a link routes, on the
// event as received. Pure: no I/O, no clock.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/filter/spec.h"
#include "core/model/event.h"
#include "core/util/lazy_json.h"

namespace dispatch::filter {

namespace internal {
struct Node;  // the compiled tree (core/filter/tree.h)
}  // namespace internal

// Immutable once compiled; matches() may run on many threads at once.
class Filter {
 public:
  // Compiles a `filter:` map. `path` is its key path, the prefix of each error's path. On any
  // problem returns null and appends every problem found to `errors`.
  static std::shared_ptr<const Filter> compile(const Spec& spec, const std::string& path,
                                               std::vector<CompileError>* errors);
  ~Filter();
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  // Whether the event passes: every entry holds. `body` is the event's body, parsed only when
  // a body condition is reached (header conditions are tried first); `headers` has lower-case
  // names. Never throws.
  bool matches(json::LazyValue& body, const model::Headers& headers) const;
  // Whether some condition reads the body; a filter without one never parses it.
  bool readsBody() const;

 private:
  explicit Filter(std::unique_ptr<const internal::Node> root);
  std::unique_ptr<const internal::Node> root_;
};

}  // namespace dispatch::filter
