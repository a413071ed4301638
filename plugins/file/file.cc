// The file destination: whole-line O_APPEND writes, one mutex per file path in the process, so
// lines from many workers (and from several destinations sharing a file) never interleave.
// Each write opens the file anew below files_dir without following symbolic links. The line
// records the engine's headers, the Standard Webhooks trio included, beside the body it signs.
#include "plugins/file/file.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "core/plugin/support.h"
#include "plugins/file/file_conf.h"
#include "plugins/file/file_line.h"
#include "plugins/file/file_open.h"

namespace dispatch::plugins {
namespace {

// The mutex of a path, shared by every destination writing to it. Entries are never removed
// (one per configured path: a handful).
std::shared_ptr<std::mutex> mutexFor(const std::string& path) {
  static std::mutex* registryMu = new std::mutex();
  static auto* mutexes = new std::map<std::string, std::shared_ptr<std::mutex>>();
  std::lock_guard lock(*registryMu);
  std::shared_ptr<std::mutex>& m = (*mutexes)[path];
  if (!m) m = std::make_shared<std::mutex>();
  return m;
}

// Appends `line` with one open/write/close; returns 0 or the errno of the failure. The open
// follows no symbolic link below files_dir (file_open.h).
int appendLine(const FileConf& conf, const std::string& line) {
  int fd = openBeneath(conf.root, conf.relative);
  if (fd < 0) return -fd;
  int err = 0;
  for (size_t done = 0; done < line.size();) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

class FileDestination final : public plugin::Destination {
 public:
  explicit FileDestination(FileConf conf) : conf_(std::move(conf)), mutex_(mutexFor(conf_.path)) {}

  // The line's `body` is the delivered text as a JSON string, so what is signed is the text
  // that string decodes to (the delivered body, invalid UTF-8 repaired as jsonQuote() does):
  // a reader of the line verifies the recorded headers over its `body`.
  plugin::Rendered render(const plugin::Delivery& d) const override {
    return plugin::Rendered::as(plugin::utf8Text(d.body));
  }

  plugin::DeliveryResult deliver(const plugin::Delivery& d) override {
    const auto start = std::chrono::steady_clock::now();
    const std::string line = fileLine(d, plugin::wallClockMs());
    int err;
    {
      std::lock_guard lock(*mutex_);
      err = appendLine(conf_, line);
    }
    plugin::DeliveryResult result = plugin::DeliveryResult::ok();
    if (err != 0) {
      // Retryable, like a network failure: a full disk or a missing directory may be fixed.
      result.kind = plugin::DeliveryResult::Kind::kNetwork;
      result.status = 0;
      result.error = "file write failed: " + openErrorText(err);
    }
    result.durationMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    return result;
  }

 private:
  const FileConf conf_;
  const std::shared_ptr<std::mutex> mutex_;
};

class FileFactory final : public plugin::DestinationFactory {
 public:
  std::string name() const override { return "file"; }

  std::unique_ptr<plugin::Destination> create(const plugin::ConfigView& config,
                                              const plugin::Services&,
                                              std::string* error) const override {
    std::optional<FileConf> conf = readFileConf(config, error);
    if (!conf) return nullptr;
    return std::make_unique<FileDestination>(std::move(*conf));
  }
};

}  // namespace

const plugin::DestinationFactory& fileFactory() {
  static const FileFactory factory;
  return factory;
}

}  // namespace dispatch::plugins
