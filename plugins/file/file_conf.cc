// Validation of a file destination's config entry: the path is confined to files_dir.
#include "plugins/file/file_conf.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/plugin/support.h"

namespace dispatch::plugins {
namespace {

namespace fs = std::filesystem;

std::string withoutTrailingSlash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// The first component of root/relative that is a symbolic link, if any (lstat: a link is
// reported, never followed). Checked again, race-free, at every open (file_open.h).
std::optional<std::string> firstSymlink(const std::string& root, const fs::path& relative) {
  fs::path at(root);
  for (const fs::path& part : relative) {
    at /= part;
    struct stat st;
    if (::lstat(at.c_str(), &st) != 0) return std::nullopt;  // not there (yet): nothing to follow
    if (S_ISLNK(st.st_mode)) return at.string();
  }
  return std::nullopt;
}

}  // namespace

std::optional<FileConf> readFileConf(const plugin::ConfigView& config, std::string* error) {
  if (auto e = plugin::unknownKeyError(config, {"path"}, "file")) {
    *error = *e;
    return std::nullopt;
  }
  std::optional<std::string> path = plugin::requireKey(config, "path", "file", error);
  if (!path) return std::nullopt;
  auto fail = [&](const std::string& message) {
    *error = plugin::configError(config, "path", message);
    return std::nullopt;
  };
  if (std::any_of(path->begin(), path->end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return fail("must not contain control characters");
  }
  const std::string root = withoutTrailingSlash(fs::path(config.filesDir()).lexically_normal());
  const std::string resolved = plugin::resolvePath(root, *path);
  const fs::path relative = fs::path(resolved).lexically_relative(root);
  if (relative == ".") return fail("'" + *path + "' is a directory, not a file");  // files_dir
  if (relative.empty() || *relative.begin() == "..") {
    return fail("'" + *path + "' is outside files_dir '" + root + "'");
  }
  FileConf conf{root, relative.string(), root + "/" + relative.string()};
  fs::path file(conf.path);
  std::error_code ec;
  if (!file.has_filename() || fs::is_directory(fs::symlink_status(file, ec))) {
    return fail("'" + *path + "' is a directory, not a file");
  }
  if (auto link = firstSymlink(root, relative)) {
    return fail("'" + *path + "' goes through a symbolic link ('" + *link + "')");
  }
  fs::path dir = file.parent_path();
  if (!fs::is_directory(dir, ec)) {
    return fail("directory '" + dir.string() + "' does not exist");
  }
  return conf;
}

}  // namespace dispatch::plugins
