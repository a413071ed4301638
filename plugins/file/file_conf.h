// The file plugin's config: `path` (required), a file under the root `files_dir`.
#pragma once

#include <optional>
#include <string>

#include "core/plugin/destination.h"

namespace dispatch::plugins {

struct FileConf {
  std::string root;      // files_dir: absolute, no trailing slash
  std::string relative;  // the file below root: no `..`, `.` or empty component, no leading `/`
  std::string path;      // root/relative, for messages and the per-file lock
};

// Validates the entry. `path` is relative to files_dir (ConfigView::filesDir()) or absolute,
// and must name a file below files_dir whose directory exists, reached without any symbolic
// link below files_dir (the file is created on the first delivery). On error returns nullopt
// and sets *error ("<file:line:col>: path: …").
std::optional<FileConf> readFileConf(const plugin::ConfigView& config, std::string* error);

}  // namespace dispatch::plugins
