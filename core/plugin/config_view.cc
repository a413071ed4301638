// DestinationConfigView: config::DestinationConfig seen through the std-only ConfigView.
#include "core/plugin/config_view.h"

#include <algorithm>
#include <utility>

namespace dispatch::plugin {

DestinationConfigView::DestinationConfigView(const config::DestinationConfig& destination,
                                             std::string baseDir, std::string filesDir)
    : destination_(destination),
      baseDir_(std::move(baseDir)),
      filesDir_(filesDir.empty() ? baseDir_ : std::move(filesDir)) {}

std::optional<std::string> DestinationConfigView::get(const std::string& key) const {
  if (key == "name") return destination_.name;
  if (key == "url") {
    if (destination_.url.empty()) return std::nullopt;
    return destination_.url;
  }
  auto it = destination_.options.find(key);
  if (it == destination_.options.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> DestinationConfigView::keys() const {
  std::vector<std::string> out;
  out.reserve(destination_.options.size() + 2);
  for (const auto& [key, value] : destination_.options) out.push_back(key);
  out.push_back("name");
  if (!destination_.url.empty()) out.push_back("url");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string DestinationConfigView::location() const { return destination_.location; }

std::string DestinationConfigView::baseDir() const { return baseDir_; }

std::string DestinationConfigView::filesDir() const { return filesDir_; }

}  // namespace dispatch::plugin
