// openBeneath(): openat2 where the kernel has it, an O_NOFOLLOW walk where it does not.
#include "plugins/file/file_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <system_error>
#include <vector>

namespace dispatch::plugins {
namespace {

// O_NONBLOCK: a FIFO planted at the path fails at once (ENXIO) instead of blocking a worker
// until a reader shows up; it changes nothing for a regular file. O_NOCTTY: a terminal
// planted there does not become ours.
constexpr int kFileFlags =
    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
constexpr mode_t kFileMode = 0644;

// Set once the kernel has answered that it has no openat2.
std::atomic<bool> noOpenat2{false};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::vector<std::string> components(const std::string& relative) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= relative.size()) {
    size_t j = relative.find('/', i);
    if (j == std::string::npos) j = relative.size();
    if (j > i) out.push_back(relative.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// -ELOOP when `name` in `dirfd` is a symbolic link, else `err` (opening a link with
// O_DIRECTORY | O_NOFOLLOW reports ENOTDIR).
int linkAware(int dirfd, const std::string& name, int err) {
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    return -ELOOP;
  }
  return -err;
}

int walk(int rootfd, const std::string& relative) {
  std::vector<std::string> parts = components(relative);
  if (parts.empty()) return -EINVAL;
  Fd dir(::dup(rootfd));
  if (dir.get() < 0) return -errno;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] == "." || parts[i] == "..") return -EXDEV;
    int next = ::openat(dir.get(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return linkAware(dir.get(), parts[i], errno);
    dir.reset(next);
  }
  const std::string& name = parts.back();
  if (name == "." || name == "..") return -EXDEV;
  int fd = ::openat(dir.get(), name.c_str(), kFileFlags, kFileMode);
  return fd < 0 ? -errno : fd;
}

// -ENOSYS when the kernel (or a seccomp filter) refuses the call itself.
int viaOpenat2(int rootfd, const std::string& relative) {
  open_how how{};
  how.flags = static_cast<uint64_t>(kFileFlags);
  how.mode = kFileMode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, rootfd, relative.c_str(), &how, sizeof how);
  if (fd >= 0) return static_cast<int>(fd);
  // E2BIG: an older struct; EPERM: container seccomp profiles that predate the call.
  if (errno == ENOSYS || errno == E2BIG || errno == EPERM) return -ENOSYS;
  return -errno;
}

}  // namespace

int openBeneath(const std::string& root, const std::string& relative, bool allowOpenat2) {
  Fd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (rootfd.get() < 0) return -errno;
  int fd = -ENOSYS;
  if (allowOpenat2 && !noOpenat2.load(std::memory_order_relaxed)) {
    fd = viaOpenat2(rootfd.get(), relative);
    if (fd == -ENOSYS) noOpenat2.store(true, std::memory_order_relaxed);
  }
  if (fd == -ENOSYS) fd = walk(rootfd.get(), relative);
  if (fd < 0) return fd;
  Fd file(fd);
  struct stat st;
  if (::fstat(file.get(), &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -EINVAL;
  // A hard link planted at the path would let the write land in another file.
  if (st.st_nlink != 1) return -EMLINK;
  return file.release();
}

std::string openErrorText(int errnum) {
  switch (errnum) {
    case ELOOP:
      return "the path goes through a symbolic link";
    case EXDEV:
      return "the path leaves files_dir";
    case EMLINK:
      return "the file has other hard links";
    case EINVAL:
      return "not a regular file";
    case ENXIO:
      return "not a regular file";
    default:
      return std::generic_category().message(errnum);
  }
}

}  // namespace dispatch::plugins
