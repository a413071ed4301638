// Loading: YAML text → validated Config snapshot, with the root and engine-wide sections.
// Projects live in project_loader.cc, retry nodes in retry_reader.cc.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "core/config/config.h"
#include "core/config/config_sections.h"
#include "core/config/env_expand.h"
#include "core/config/yaml_reader.h"
#include "core/util/path.h"

namespace dispatch::config {

using internal::Field;
using internal::Key;
using internal::Reader;
using internal::set;

namespace {

namespace fs = std::filesystem;

// `host:port` or `[v6addr]:port`; port 0..65535 (0 = any free port).
bool parseListen(const std::string& s, ServerConfig& out) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size() || s.size() - colon > 6) return false;
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return false;  // an IPv6 address needs brackets
  }
  int port = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + (c - '0');
  }
  if (host.empty() || port > 65535) return false;
  out.listenHost = host;
  out.listenPort = port;
  return true;
}

std::string readExistingPath(Reader& r, const Field& f, const std::string& baseDir, bool dir);

// server.tls: both files must exist; they are read (and reread on SIGHUP) by the server.
void readTls(Reader& r, const Field& f, ServerConfig& s, const std::string& baseDir) {
  const std::vector<Key> keys = {
      {"cert", [&](const Field& x) { s.tlsCert = readExistingPath(r, x, baseDir, false); }, true},
      {"key", [&](const Field& x) { s.tlsKey = readExistingPath(r, x, baseDir, false); }, true},
  };
  r.readMap(f, keys);
}

// server.auth_failures: the failed-authentication throttle (core/http/auth_throttle.h).
void readAuthFailures(Reader& r, const Field& f, AuthFailuresConfig& a) {
  const std::vector<Key> keys = {
      {"limit", [&](const Field& x) { set(a.limit, r.integer(x, 0, 1'000'000)); }},
      {"window", [&](const Field& x) { set(a.windowMs, r.duration(x, true)); }},
      {"max_addresses", [&](const Field& x) { set(a.maxAddresses, r.integer(x, 1, 10'000'000)); }},
  };
  r.readMap(f, keys);
}

void readServer(Reader& r, const Field& f, ServerConfig& s, const std::string& baseDir) {
  const std::vector<Key> keys = {
      {"listen",
       [&](const Field& x) {
         auto v = r.string(x);
         if (v && !parseListen(*v, s)) r.error(x, "must be host:port (e.g. 127.0.0.1:8080)");
       }},
      {"max_body_bytes", [&](const Field& x) { set(s.maxBodyBytes, r.size(x, true)); }},
      {"threads", [&](const Field& x) { set(s.threads, r.integer(x, 1, 1024)); }},
      {"shutdown_grace", [&](const Field& x) { set(s.shutdownGraceMs, r.duration(x)); }},
      {"max_connections",
       [&](const Field& x) { set(s.maxConnections, r.integer(x, 1, 1'000'000)); }},
      {"header_timeout", [&](const Field& x) { set(s.headerTimeoutMs, r.duration(x, true)); }},
      {"body_timeout", [&](const Field& x) { set(s.bodyTimeoutMs, r.duration(x, true)); }},
      {"idle_timeout", [&](const Field& x) { set(s.idleTimeoutMs, r.duration(x, true)); }},
      {"max_header_bytes",
       [&](const Field& x) {
         auto v = r.size(x, true);
         if (v && (*v < 1024 || *v > (int64_t{1} << 20))) {
           r.error(x, "must be between 1KiB and 1MiB");
           return;
         }
         set(s.maxHeaderBytes, v);
       }},
      {"tls", [&](const Field& x) { readTls(r, x, s, baseDir); }},
      {"auth_failures", [&](const Field& x) { readAuthFailures(r, x, s.authFailures); }},
  };
  r.readMap(f, keys);
}

// False when `url` was given but could not be read (its error is already reported).
bool readDatabase(Reader& r, const Field& f, DatabaseConfig& d) {
  bool urlReadable = true;
  const std::vector<Key> keys = {
      {"url",
       [&](const Field& x) {
         auto v = r.string(x);
         urlReadable = v.has_value();
         set(d.url, v);
       }},
      {"pool", [&](const Field& x) { set(d.pool, r.integer(x, 1, 256)); }},
  };
  r.readMap(f, keys);
  return urlReadable;
}

void readAdmin(Reader& r, const Field& f, AdminConfig& a) {
  const std::vector<Key> keys = {
      {"token", [&](const Field& x) { set(a.token, r.string(x)); }},
  };
  r.readMap(f, keys);
}

// An existing file or directory named relative to the config's folder; "" after an error.
std::string readExistingPath(Reader& r, const Field& f, const std::string& baseDir, bool dir) {
  auto v = r.string(f);
  if (!v || v->empty()) return "";
  const std::string path = resolvePath(baseDir, *v);
  std::error_code ec;
  const bool ok = dir ? fs::is_directory(path, ec) : fs::is_regular_file(path, ec);
  if (!ok) {
    r.error(f, std::string(dir ? "directory" : "file") + " not found: " + path);
    return "";
  }
  return path;
}

void readDelivery(Reader& r, const Field& f, DeliveryConfig& d, const std::string& baseDir) {
  std::optional<Field> heartbeat;
  bool leaseRead = true;
  const std::vector<Key> keys = {
      {"workers", [&](const Field& x) { set(d.workers, r.integer(x, 1, 4096)); }},
      {"timeout", [&](const Field& x) { set(d.timeoutMs, r.duration(x, true)); }},
      {"max_response_bytes", [&](const Field& x) { set(d.maxResponseBytes, r.size(x)); }},
      {"allow_http", [&](const Field& x) { set(d.allowHttp, r.boolean(x)); }},
      {"allow_private_networks",
       [&](const Field& x) { set(d.allowPrivateNetworks, r.boolean(x)); }},
      {"ca_file", [&](const Field& x) { d.caFile = readExistingPath(r, x, baseDir, false); }},
      {"lease",
       [&](const Field& x) {
         auto v = r.duration(x, true);
         leaseRead = v.has_value();
         set(d.leaseMs, v);
       }},
      {"heartbeat",
       [&](const Field& x) {
         set(d.heartbeatMs, r.duration(x, true));
         heartbeat = x;
       }},
  };
  r.readMap(f, keys);
  // Renewing at least twice per lease leaves room for one renewal to fail.
  if (heartbeat && leaseRead && d.heartbeatMs > 0 && d.heartbeatMs * 2 >= d.leaseMs) {
    r.error(*heartbeat, "must be less than half of delivery.lease");
  }
}

void readJobs(Reader& r, const Field& f, JobsConfig& j) {
  const std::vector<Key> keys = {
      {"max_payload_bytes", [&](const Field& x) { set(j.maxPayloadBytes, r.size(x, true)); }},
      {"timeout", [&](const Field& x) { set(j.timeoutMs, r.duration(x, true)); }},
      {"retry", [&](const Field& x) { internal::readRetry(r, x, j.retry); }},
  };
  r.readMap(f, keys);
}

void readTransforms(Reader& r, const Field& f, TransformsConfig& t) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<Key> keys = {
      {"max_instructions", [&](const Field& x) { set(t.maxInstructions, r.integer(x, 1, kMax)); }},
      {"cpu_time", [&](const Field& x) { set(t.cpuTimeMs, r.duration(x, true)); }},
      {"max_memory", [&](const Field& x) { set(t.maxMemoryBytes, r.size(x, true)); }},
      {"max_headers", [&](const Field& x) { set(t.maxHeaders, r.integer(x, 0, kMax)); }},
      {"max_header_bytes", [&](const Field& x) { set(t.maxHeaderBytes, r.size(x, true)); }},
      {"max_error_bytes", [&](const Field& x) { set(t.maxErrorBytes, r.size(x, true)); }},
  };
  r.readMap(f, keys);
}

// files_dir: resolved against the config's folder, kept without a trailing slash. Not required
// to exist here: only a `file` destination uses it, and that checks its own folder. (The
// shipped config's files_dir, <repo>/var, is missing on a fresh checkout.)
std::optional<std::string> readFilesDir(Reader& r, const Field& f, const std::string& baseDir) {
  auto v = r.string(f);
  if (!v || v->empty()) return std::nullopt;
  std::string dir = resolvePath(baseDir, *v);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// The root map. `database.url` is checked after the DATABASE_URL override, the master keys
// once every project is read.
void readRoot(Reader& r, const Field& root, Config& c, const EnvLookup& env) {
  YAML::Mark dbMark = root.node.Mark();
  bool urlReadable = true;
  std::optional<Field> encrypting;
  const std::vector<Key> keys = {
      {"server", [&](const Field& x) { readServer(r, x, c.server, c.baseDir); }},
      {"database",
       [&](const Field& x) {
         dbMark = x.node.Mark();
         urlReadable = readDatabase(r, x, c.database);
       }},
      {"admin", [&](const Field& x) { readAdmin(r, x, c.admin); }},
      {"delivery", [&](const Field& x) { readDelivery(r, x, c.delivery, c.baseDir); }},
      {"jobs", [&](const Field& x) { readJobs(r, x, c.jobs); }},
      {"transforms", [&](const Field& x) { readTransforms(r, x, c.transforms); }},
      {"plugins_dir",
       [&](const Field& x) { c.pluginsDir = readExistingPath(r, x, c.baseDir, true); }},
      {"files_dir", [&](const Field& x) { set(c.filesDir, readFilesDir(r, x, c.baseDir)); }},
      {"projects", [&](const Field& x) { internal::readProjects(r, x, c, encrypting); }, true},
  };
  if (!r.readMap(root, keys)) return;
  internal::readMasterKeys(r, root, encrypting, env, c);
  if (env) {
    if (auto url = env("DATABASE_URL"); url && !url->empty()) c.database.url = *url;
  }
  if (c.database.url.empty() && urlReadable) {
    r.error(dbMark, "database.url", "required (set DATABASE_URL)");
  }
}

YAML::Mark markAt(const std::string& text, size_t offset) {
  YAML::Mark m;
  m.pos = static_cast<int>(offset);
  m.line = static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
  const size_t lineStart = text.rfind('\n', offset);
  m.column = static_cast<int>(lineStart == std::string::npos ? offset : offset - lineStart - 1);
  return m;
}

std::string baseDirOf(const std::string& path) {
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  fs::path abs = fs::absolute(dir, ec);
  return (ec ? dir : abs).lexically_normal().string();
}

}  // namespace

const ProjectConfig* Config::findProject(const std::string& name) const {
  for (const ProjectConfig& p : projects) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

EnvLookup processEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

LoadResult loadString(const std::string& yaml, const std::string& displayPath,
                      const EnvLookup& env) {
  Reader r(displayPath, env);
  auto config = std::make_shared<Config>();
  config->path = displayPath;
  config->baseDir = baseDirOf(displayPath);
  config->filesDir = config->baseDir;
  const size_t reserved = yaml.find_first_of(std::string{kShieldOpen, kShieldClose});
  if (reserved != std::string::npos) {
    r.error(markAt(yaml, reserved), "", "control characters are not allowed");
  } else {
    try {
      const YAML::Node root = YAML::Load(shieldEnvReferences(yaml));
      readRoot(r, Field{root, ""}, *config, env);
    } catch (const YAML::Exception& e) {
      r.error(e.mark, "", "invalid YAML: " + e.msg);
    } catch (const std::exception& e) {
      r.error(YAML::Mark::null_mark(), "", std::string("cannot load: ") + e.what());
    }
  }
  LoadResult result;
  result.errors = r.errors();
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

LoadResult loadFile(const std::string& path, const EnvLookup& env) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  const bool readable = fs::is_regular_file(path, ec) && in.is_open();
  if (readable) text << in.rdbuf();
  if (!readable || in.bad()) {
    LoadResult result;
    result.errors.push_back(path + ": cannot read file");
    return result;
  }
  return loadString(text.str(), path, env);
}

}  // namespace dispatch::config
