// Opening a file destination's file for appending without following any symbolic link below
// its root, so a link planted after the config was loaded cannot redirect a write.
#pragma once

#include <string>

namespace dispatch::plugins {

// Opens root/relative write-only, O_APPEND, creating it (0644) if absent. `relative` is
// FileConf::relative (no `..`). No component below `root` may be a symbolic link, and the
// file must be a regular file with no other hard link. With openat2 (Linux 5.6+) that is
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; where the kernel lacks it (ENOSYS, or a seccomp
// filter's EPERM), or with `allowOpenat2` false, a walk opens one component at a time with
// O_NOFOLLOW. Returns the descriptor, or -errno: -ELOOP for a symbolic link, -EMLINK for a
// hard-linked file, -EINVAL for a file that is not a regular file.
int openBeneath(const std::string& root, const std::string& relative, bool allowOpenat2 = true);

// A short text for openBeneath's error (`errnum` positive).
std::string openErrorText(int errnum);

}  // namespace dispatch::plugins
