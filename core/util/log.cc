// JSON-lines logger writing to stdout.
#include "core/util/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "core/util/json.h"
#include "core/util/time.h"

namespace dispatch::log {
namespace {

Level initialLevel() {
  const char* env = std::getenv("DISPATCH_LOG_LEVEL");
  if (env == nullptr) return Level::kInfo;
  if (std::strcmp(env, "debug") == 0) return Level::kDebug;
  if (std::strcmp(env, "warn") == 0) return Level::kWarn;
  if (std::strcmp(env, "error") == 0) return Level::kError;
  return Level::kInfo;
}

std::atomic<int> g_level{static_cast<int>(initialLevel())};
std::atomic<int> g_fd{STDOUT_FILENO};

const char* levelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void setLevel(Level level) { g_level.store(static_cast<int>(level)); }
void setFd(int fd) { g_fd.store(fd); }
bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(128);
  line += "{\"ts\":\"";
  line += formatIsoUtc(nowMs());
  line += "\",\"level\":\"";
  line += levelName(level);
  line += "\",\"msg\":";
  json::appendQuoted(line, msg);
  for (const Field& f : fields) {
    line += ',';
    json::appendQuoted(line, f.key);
    line += ':';
    if (f.quoted) {
      json::appendQuoted(line, f.value);
    } else {
      line += f.value;
    }
  }
  line += "}\n";
  // One write per line keeps lines whole across threads.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(g_fd.load(std::memory_order_relaxed), line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace dispatch::log
