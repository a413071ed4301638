// Validation of a file destination's config entry.
#include "plugins/file/file_conf.h"

#include <filesystem>
#include <system_error>

#include "core/plugin/support.h"

namespace dispatch::plugins {

std::optional<FileConf> readFileConf(const plugin::ConfigView& config, std::string* error) {
  if (auto e = plugin::unknownKeyError(config, {"path"}, "file")) {
    *error = *e;
    return std::nullopt;
  }
  std::optional<std::string> path = plugin::requireKey(config, "path", "file", error);
  if (!path) return std::nullopt;
  FileConf conf{plugin::resolvePath(config.baseDir(), *path)};
  std::filesystem::path file(conf.path);
  std::error_code ec;
  if (!file.has_filename() || std::filesystem::is_directory(file, ec)) {
    *error = plugin::configError(config, "path", "'" + *path + "' is a directory, not a file");
    return std::nullopt;
  }
  std::filesystem::path dir = file.parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
    *error = plugin::configError(config, "path", "directory '" + dir.string() + "' does not exist");
    return std::nullopt;
  }
  return conf;
}

}  // namespace dispatch::plugins
