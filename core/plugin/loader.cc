// The .so plugin loader: API version check through Poco::SharedLibrary, then Poco::ClassLoader.
#include "core/plugin/loader.h"

#include <Poco/ClassLoader.h>
#include <Poco/Exception.h>
#include <Poco/SharedLibrary.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>

namespace dispatch::plugin {
namespace {

using FactoryLoader = Poco::ClassLoader<DestinationFactory>;
using ApiVersionFn = int (*)();
constexpr const char* kApiVersionSymbol = "dispatch_plugin_api_version";

// Process-lifetime state, deliberately never destroyed: a factory's code lives in its
// library, so neither may go away while anything could still call it (not even at exit).
struct Loaded {
  std::mutex mu;
  FactoryLoader classLoader;
  std::map<std::string, DestinationFactory*> factories;  // canonical path → factory
};

Loaded& loaded() {
  static Loaded* state = new Loaded();
  return *state;
}

Status fileError(const std::string& path, const std::string& message) {
  return Status(Code::kInvalid, path + ": " + message);
}

// Opens the library at `file` and checks its API version without running any of its other
// code. On success `library` stays loaded: the caller unloads it once the ClassLoader holds it.
// Errors name `path` (the file as the caller gave it).
Status checkApiVersion(const std::string& file, const std::string& path,
                       Poco::SharedLibrary& library) {
  try {
    library.load(file, Poco::SharedLibrary::SHLIB_LOCAL);
  } catch (const Poco::Exception& e) {
    return fileError(path, "cannot load: " + e.message());
  }
  if (!library.hasSymbol(kApiVersionSymbol)) {
    library.unload();
    return fileError(path,
                     std::string("not a Dispatch plugin (no ") + kApiVersionSymbol + "() symbol)");
  }
  auto version = reinterpret_cast<ApiVersionFn>(library.getSymbol(kApiVersionSymbol));
  const int got = version();
  if (got != kApiVersion) {
    library.unload();
    return fileError(path, "plugin API version " + std::to_string(got) + ", this Dispatch has " +
                               std::to_string(kApiVersion) + "; rebuild it against this release");
  }
  return Status::ok();
}

// Builds the manifest of `file` and creates its single factory. Called with the state locked.
Result<DestinationFactory*> createFactory(Loaded& state, const std::string& file,
                                          const std::string& path) {
  try {
    state.classLoader.loadLibrary(file);
  } catch (const Poco::Exception& e) {
    return fileError(path, "no usable plugin manifest (" + e.message() +
                               "); use POCO_BEGIN_MANIFEST(dispatch::plugin::DestinationFactory)");
  }
  const FactoryLoader::Manif* manifest = nullptr;
  for (auto it = state.classLoader.begin(); it != state.classLoader.end(); ++it) {
    if (it->first == file) manifest = it->second;
  }
  const size_t count = manifest == nullptr ? 0 : manifest->size();
  if (count != 1) {
    state.classLoader.unloadLibrary(file);
    return fileError(path, "its manifest exports " + std::to_string(count) +
                               " classes; a plugin exports exactly one factory");
  }
  const std::string className = (*manifest->begin())->name();
  try {
    return state.classLoader.create(className);
  } catch (const std::exception& e) {
    return fileError(path, "creating its factory " + className + " failed: " + e.what());
  }
}

}  // namespace

Status loadPluginFile(const std::string& path, Registry& registry) {
  std::error_code ec;
  std::string canonical = std::filesystem::weakly_canonical(path, ec).string();
  if (ec) canonical = path;

  Loaded& state = loaded();
  std::lock_guard lock(state.mu);
  DestinationFactory* factory = nullptr;
  if (auto it = state.factories.find(canonical); it != state.factories.end()) {
    factory = it->second;
  } else {
    Poco::SharedLibrary versionCheck;
    if (Status s = checkApiVersion(canonical, path, versionCheck); !s) return s;
    Result<DestinationFactory*> created = createFactory(state, canonical, path);
    versionCheck.unload();  // the ClassLoader holds its own reference (or it failed)
    if (!created) return created.status();
    factory = created.value();
    state.factories.emplace(canonical, factory);
  }
  if (Status s = registry.add(*factory); !s) return Status(s.code(), path + ": " + s.message());
  return Status::ok();
}

std::vector<std::string> loadPluginDir(const std::string& dir, Registry& registry) {
  std::vector<std::string> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::filesystem::path& p = it->path();
    std::error_code statError;  // e.g. a dangling symlink: skipped, not fatal for the dir
    if (p.extension() == ".so" && it->is_regular_file(statError)) files.push_back(p.string());
  }
  if (ec) return {dir + ": cannot read plugins_dir: " + ec.message()};
  std::sort(files.begin(), files.end());
  std::vector<std::string> errors;
  for (const std::string& file : files) {
    if (Status s = loadPluginFile(file, registry); !s) errors.push_back(s.message());
  }
  return errors;
}

}  // namespace dispatch::plugin
