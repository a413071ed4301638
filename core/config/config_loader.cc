// Loading: YAML text → validated Config snapshot, with the root and engine-wide sections.
// Projects live in project_loader.cc, retry nodes in retry_reader.cc.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/config/config.h"
#include "core/config/config_sections.h"
#include "core/config/yaml_reader.h"

namespace dispatch::config {

using internal::Field;
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

void readServer(Reader& r, const Field& f, ServerConfig& s) {
  r.readMap(f, {
      {"listen",
       [&](const Field& x) {
         auto v = r.string(x);
         if (v && !parseListen(*v, s)) r.error(x, "must be host:port (e.g. 127.0.0.1:8080)");
       }},
      {"max_body_bytes", [&](const Field& x) { set(s.maxBodyBytes, r.size(x, true)); }},
      {"threads", [&](const Field& x) { set(s.threads, r.integer(x, 1, 1024)); }},
      {"shutdown_grace", [&](const Field& x) { set(s.shutdownGraceMs, r.duration(x)); }},
  });
}

// An existing file or directory named relative to the config's folder; "" after an error.
std::string readExistingPath(Reader& r, const Field& f, const std::string& baseDir, bool dir) {
  auto v = r.string(f);
  if (!v || v->empty()) return "";
  const std::string path = internal::resolvePath(baseDir, *v);
  std::error_code ec;
  const bool ok = dir ? fs::is_directory(path, ec) : fs::is_regular_file(path, ec);
  if (!ok) {
    r.error(f, std::string(dir ? "directory" : "file") + " not found: " + path);
    return "";
  }
  return path;
}

void readDelivery(Reader& r, const Field& f, DeliveryConfig& d, const std::string& baseDir) {
  r.readMap(f, {
      {"workers", [&](const Field& x) { set(d.workers, r.integer(x, 1, 4096)); }},
      {"timeout", [&](const Field& x) { set(d.timeoutMs, r.duration(x, true)); }},
      {"max_response_bytes", [&](const Field& x) { set(d.maxResponseBytes, r.size(x)); }},
      {"allow_http", [&](const Field& x) { set(d.allowHttp, r.boolean(x)); }},
      {"allow_private_networks",
       [&](const Field& x) { set(d.allowPrivateNetworks, r.boolean(x)); }},
      {"ca_file", [&](const Field& x) { d.caFile = readExistingPath(r, x, baseDir, false); }},
      {"lease", [&](const Field& x) { set(d.leaseMs, r.duration(x, true)); }},
  });
}

void readJobs(Reader& r, const Field& f, JobsConfig& j) {
  r.readMap(f, {
      {"max_payload_bytes", [&](const Field& x) { set(j.maxPayloadBytes, r.size(x, true)); }},
      {"timeout", [&](const Field& x) { set(j.timeoutMs, r.duration(x, true)); }},
      {"retry", [&](const Field& x) { internal::readRetry(r, x, j.retry); }},
  });
}

void readTransforms(Reader& r, const Field& f, TransformsConfig& t) {
  r.readMap(f, {
      {"max_instructions",
       [&](const Field& x) { set(t.maxInstructions, r.integer(x, 1, std::numeric_limits<int64_t>::max())); }},
      {"max_memory", [&](const Field& x) { set(t.maxMemoryBytes, r.size(x, true)); }},
  });
}

// The root map. `database.url` is checked after the DATABASE_URL override.
void readRoot(Reader& r, const Field& root, Config& c, const EnvLookup& env) {
  YAML::Mark dbMark = root.node.Mark();
  bool urlUnreadable = false;
  r.readMap(root, {
      {"server", [&](const Field& x) { readServer(r, x, c.server); }},
      {"database",
       [&](const Field& x) {
         dbMark = x.node.Mark();
         r.readMap(x, {
             {"url",
              [&](const Field& u) {
                auto v = r.string(u);
                urlUnreadable = !v;
                set(c.database.url, v);
              }},
             {"pool", [&](const Field& p) { set(c.database.pool, r.integer(p, 1, 256)); }},
         });
       }},
      {"admin",
       [&](const Field& x) {
         r.readMap(x, {{"token", [&](const Field& t) { set(c.admin.token, r.string(t)); }}});
       }},
      {"delivery", [&](const Field& x) { readDelivery(r, x, c.delivery, c.baseDir); }},
      {"jobs", [&](const Field& x) { readJobs(r, x, c.jobs); }},
      {"transforms", [&](const Field& x) { readTransforms(r, x, c.transforms); }},
      {"plugins_dir",
       [&](const Field& x) { c.pluginsDir = readExistingPath(r, x, c.baseDir, true); }},
      {"projects", [&](const Field& x) { internal::readProjects(r, x, c); }, true},
  });
  if (env) {
    if (auto url = env("DATABASE_URL"); url && !url->empty()) c.database.url = *url;
  }
  if (c.database.url.empty() && !urlUnreadable) {
    r.error(dbMark, "database.url", "required (set DATABASE_URL)");
  }
}

std::string baseDirOf(const std::string& path) {
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  fs::path abs = fs::absolute(dir, ec);
  return (ec ? dir : abs).lexically_normal().string();
}

}  // namespace

namespace internal {

std::string resolvePath(const std::string& baseDir, const std::string& path) {
  const fs::path p(path);
  return (p.is_absolute() ? p : fs::path(baseDir) / p).lexically_normal().string();
}

}  // namespace internal

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
  LoadResult result;
  Reader r(displayPath, env);
  auto config = std::make_shared<Config>();
  config->path = displayPath;
  config->baseDir = baseDirOf(displayPath);
  try {
    const YAML::Node root = YAML::Load(yaml);
    readRoot(r, Field{root, ""}, *config, env);
  } catch (const YAML::Exception& e) {
    r.error(e.mark, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    r.error(YAML::Mark::null_mark(), "", std::string("cannot load: ") + e.what());
  }
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
