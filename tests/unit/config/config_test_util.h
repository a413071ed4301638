// Shared helpers of the config tests: a fake environment, a scratch directory, a valid head
// to append keys to, and the errors a text loads with.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace dispatch::config::testing {

inline EnvLookup fakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline std::string joinErrors(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dispatch-config-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string write(const std::string& relative, const std::string& content) const {
    const auto file = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

 private:
  std::string path_;
};

// A 24-byte key: the Standard Webhooks test vector's secret.
inline constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A valid root whose only project is "p" (line 3); tests append project keys at 4 spaces.
inline const std::string kHead = std::string(R"(database: { url: "postgresql://db" }
projects:
  - name: p
    signing_secret: )") + kSecret +
                                 "\n";

// The errors `yaml` loads with (as config/dispatch.yaml); a config comes back exactly when none.
inline std::vector<std::string> errorsOf(const std::string& yaml,
                                         std::map<std::string, std::string> env = {}) {
  LoadResult r = loadString(yaml, "config/dispatch.yaml", fakeEnv(std::move(env)));
  EXPECT_EQ(r.config == nullptr, !r.errors.empty());
  return r.errors;
}

}  // namespace dispatch::config::testing
