// Paths named in the config (transforms, CA files, plugin and file folders), which are
// relative to the config file's folder. Lexical only: nothing here touches the file system.
#pragma once

#include <string>

namespace dispatch {

// `path` if absolute, else `baseDir`/`path`; lexically normalised (`a/./b/../c` → `a/c`). An
// empty `baseDir` leaves a relative `path` relative (normalised), so "" is not the root.
std::string resolvePath(const std::string& baseDir, const std::string& path);

}  // namespace dispatch
