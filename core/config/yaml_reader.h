// Internal to core/config (the only place yaml-cpp may be seen): a walker over YAML nodes
// that expands ${VAR}, converts scalars and collects every error as
// `file:line:col: key.path: message` instead of stopping at the first.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"

namespace dispatch::config::internal {

// A node plus its key path (`projects[0].sources[1].verify`) for messages.
struct Field {
  YAML::Node node;
  std::string path;

  Field child(const std::string& key, const YAML::Node& value) const;
  Field item(size_t index, const YAML::Node& value) const;
  // The path of a key that is absent, for "required" errors at this map's mark.
  std::string childPath(const std::string& key) const;
};

// One known key of a map: what reads it, and whether it must be present.
struct Key {
  std::string name;
  std::function<void(const Field&)> read;
  bool required = false;
};

// Receives keys no Key names (destination plugin options); without it they are errors.
using OtherKey = std::function<void(const std::string& key, const Field& value)>;

// Checks one secret of a list: why it is refused (never quoting it), or nullopt.
using SecretCheck = std::function<std::optional<std::string>(std::string_view secret)>;

class Reader {
 public:
  Reader(std::string file, const EnvLookup& env) : file_(std::move(file)), env_(env) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  void error(const YAML::Mark& mark, const std::string& path, const std::string& message);
  void error(const Field& f, const std::string& message);
  const std::vector<std::string>& errors() const { return errors_; }
  // "file:line:col" of a node (1-based).
  std::string location(const YAML::Node& node) const;

  // Calls each present key's reader in document order; reports unknown, duplicate and
  // missing required keys. A null node counts as an empty map. False if not a map.
  bool readMap(const Field& f, const std::vector<Key>& keys, const OtherKey& other = nullptr);
  // Calls `fn` for each item of a sequence. False (after an error) if not a sequence.
  bool forEachItem(const Field& f, const std::function<void(const Field&)>& fn);

  // Scalar readers: the value after ${VAR} expansion, or nullopt after recording an error.
  std::optional<std::string> string(const Field& f);  // null reads as ""
  std::optional<std::string> nonEmptyString(const Field& f);
  std::optional<int64_t> integer(const Field& f, int64_t lo, int64_t hi);
  std::optional<bool> boolean(const Field& f);
  std::optional<int64_t> duration(const Field& f, bool positive = false);
  std::optional<int64_t> size(const Field& f, bool positive = false);
  std::optional<std::vector<std::string>> stringList(const Field& f);
  // A list of event-type globs: printable text without spaces, `*` as the only wildcard.
  std::optional<std::vector<std::string>> globList(const Field& f);
  // A string or a list of strings; empty entries dropped, each other one kept unless `check`
  // (when given) refuses it, which is reported at the entry's own line. Never echoes a secret.
  std::vector<std::string> secretList(const Field& f, const SecretCheck& check = nullptr);

 private:
  // The expanded text of a scalar; `what` completes "must be …" for non-scalars.
  std::optional<std::string> text(const Field& f, bool allowNull, const char* what);

  std::string file_;
  const EnvLookup& env_;
  std::vector<std::string> errors_;
};

// Assigns a reader's result when it produced one, so defaults survive errors.
template <class T, class U>
void set(T& out, const std::optional<U>& value) {
  if (value) out = static_cast<T>(*value);
}

// `whsec_` + standard base64 decoding to at least 16 bytes.
bool isWhsecSecret(const std::string& secret);
// The SecretCheck of signing secrets: "must be whsec_<base64>" unless isWhsecSecret.
std::optional<std::string> whsecSecretError(std::string_view secret);
// [a-z0-9][a-z0-9_-]{0,62}: project names and source slugs (they appear in URLs).
bool isSlug(const std::string& s);
// An HTTP header field name (RFC 9110 token).
bool isHeaderName(const std::string& s);

}  // namespace dispatch::config::internal
