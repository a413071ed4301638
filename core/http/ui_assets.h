// The dashboard's files (ui/), compiled into the binary by cmake/embed_ui.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace dispatch::http {

struct UiAsset {
  std::string_view path;  // relative to ui/: "index.html", "js/app.js"
  std::string_view body;
};

// Every file of ui/, sorted by path.
const std::vector<UiAsset>& uiAssets();

}  // namespace dispatch::http
