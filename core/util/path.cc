// resolvePath() over std::filesystem's lexical operations.
#include "core/util/path.h"

#include <filesystem>

namespace dispatch {

std::string resolvePath(const std::string& baseDir, const std::string& path) {
  std::filesystem::path p(path);
  // Spelled out rather than left to `"" / p` (which also yields p) so the rule is visible.
  if (p.is_relative() && !baseDir.empty()) p = std::filesystem::path(baseDir) / p;
  return p.lexically_normal().string();
}

}  // namespace dispatch
