// makeVerifier(), isSignaturePreset() and secretError(): lookups in the preset table
// (core/verify/presets.cc), which holds each preset's verifier and secret rule.
#include <string>
#include <utility>

#include "core/verify/presets.h"
#include "core/verify/verifier.h"
#include "core/verify/verify_util.h"

namespace dispatch::verify {

bool isSignaturePreset(std::string_view preset) {
  const Preset* p = findPreset(preset);
  return p != nullptr && p->keyed();
}

std::optional<std::string> secretError(std::string_view preset, std::string_view secret) {
  const Preset* p = findPreset(preset);
  if (p == nullptr || p->secretError == nullptr) return std::nullopt;
  return p->secretError(p->name, secret);
}

std::unique_ptr<Verifier> makeVerifier(std::string_view preset, std::vector<std::string> secrets,
                                       int64_t toleranceMs) {
  const Preset* p = findPreset(preset);
  if (p == nullptr || p->make == nullptr) return nullptr;
  if (toleranceMs <= 0) toleranceMs = kDefaultToleranceMs;
  return p->make(internal::nonEmpty(std::move(secrets)), toleranceMs);
}

}  // namespace dispatch::verify
