// The ConfigView the engine hands to plugin factories: a destination's config entry, without
// yaml-cpp in the plugin API.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/plugin/destination.h"

namespace dispatch::plugin {

// Keys: the entry's plugin options (template, path, …), plus `url` when set and `name`.
// References `destination`, which must outlive the view. Thread-safe (read-only).
class DestinationConfigView final : public ConfigView {
 public:
  // `filesDir` empty: the same as baseDir.
  DestinationConfigView(const config::DestinationConfig& destination, std::string baseDir,
                        std::string filesDir = "");

  std::optional<std::string> get(const std::string& key) const override;
  std::vector<std::string> keys() const override;  // sorted
  std::string location() const override;
  std::string baseDir() const override;
  std::string filesDir() const override;

 private:
  const config::DestinationConfig& destination_;
  std::string baseDir_;
  std::string filesDir_;
};

}  // namespace dispatch::plugin
