// Per-thread LRU of sandboxed states, freed lazily once their Transform is destroyed.
#include "core/transform/state_cache.h"

#include <algorithm>
#include <utility>

#include "core/transform/transform_internal.h"

namespace dispatch::transform::internal {
namespace {

// Threads that keep running see a config reload's dead transforms freed within this many calls.
constexpr uint64_t kSweepEvery = 1024;

}  // namespace

StateCache& StateCache::forThisThread() {
  thread_local StateCache cache;
  return cache;
}

Sandbox* StateCache::get(const std::shared_ptr<const Spec>& spec, std::string* error) {
  ++tick_;
  if (tick_ % kSweepEvery == 0) sweepExpired();
  for (Entry& e : entries_) {
    if (e.id == spec->id) {
      e.lastUse = tick_;
      return e.sandbox.get();
    }
  }
  sweepExpired();
  Result<std::unique_ptr<Sandbox>> created = Sandbox::create(*spec);
  if (!created) {
    *error = created.status().message();
    return nullptr;
  }
  if (entries_.size() >= kMaxStates) {
    const auto lru =
        std::min_element(entries_.begin(), entries_.end(),
                         [](const Entry& a, const Entry& b) { return a.lastUse < b.lastUse; });
    entries_.erase(lru);
  }
  entries_.push_back(Entry{spec->id, spec, std::move(created).value(), tick_});
  return entries_.back().sandbox.get();
}

void StateCache::discard(uint64_t id) {
  std::erase_if(entries_, [id](const Entry& e) { return e.id == id; });
}

void StateCache::sweepExpired() {
  std::erase_if(entries_, [](const Entry& e) { return e.spec.expired(); });
}

size_t cachedStatesOnThisThread() { return StateCache::forThisThread().size(); }

}  // namespace dispatch::transform::internal
