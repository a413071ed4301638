// Per-thread cache of sandboxed Lua states, one per transform: states are built once per
// thread and transform, not per call. Internal to core/transform/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/transform/sandbox.h"

namespace dispatch::transform::internal {

// Not thread-safe by design: each thread has its own (forThisThread()).
class StateCache {
 public:
  // Default: the most recently used 64 states per thread are kept.
  static constexpr size_t kMaxStates = 64;

  static StateCache& forThisThread();

  // The state for `spec`, built if this thread has none. nullptr with `error` set when building
  // fails. The pointer is valid until the next get() or discard() on this thread.
  Sandbox* get(const std::shared_ptr<const Spec>& spec, std::string* error);
  // Drops the state of transform `id` (after an error, a limit hit, or a call that set globals).
  void discard(uint64_t id);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t id;
    std::weak_ptr<const Spec> spec;  // expired: the Transform is gone, free the state
    std::unique_ptr<Sandbox> sandbox;
    uint64_t lastUse;
  };
  void sweepExpired();

  std::vector<Entry> entries_;
  uint64_t tick_ = 0;
};

}  // namespace dispatch::transform::internal
