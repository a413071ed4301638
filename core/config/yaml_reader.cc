// The YAML walker behind the config loader: key schemas, scalar conversion, error marks.
#include "core/config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "core/config/env_expand.h"
#include "core/util/crypto.h"
#include "core/util/time.h"

namespace dispatch::config::internal {
namespace {

constexpr size_t kMinSecretBytes = 16;

std::optional<int64_t> parseInt(const std::string& s) {
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::optional<bool> parseBool(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

}  // namespace

Field Field::child(const std::string& key, const YAML::Node& value) const {
  return Field{value, childPath(key)};
}

Field Field::item(size_t index, const YAML::Node& value) const {
  return Field{value, path + "[" + std::to_string(index) + "]"};
}

std::string Field::childPath(const std::string& key) const {
  return path.empty() ? key : path + "." + key;
}

void Reader::error(const YAML::Mark& mark, const std::string& path, const std::string& message) {
  // A document without content has no mark; point at its start.
  const int line = mark.is_null() ? 1 : mark.line + 1;
  const int col = mark.is_null() ? 1 : mark.column + 1;
  std::string e = file_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  if (!path.empty()) e += path + ": ";
  errors_.push_back(e + message);
}

void Reader::error(const Field& f, const std::string& message) {
  error(f.node.Mark(), f.path, message);
}

std::string Reader::location(const YAML::Node& node) const {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return file_ + ":1:1";
  return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

bool Reader::readMap(const Field& f, const std::vector<Key>& keys, const OtherKey& other) {
  if (!f.node.IsNull() && !f.node.IsMap()) {
    error(f, "must be a map");
    return false;
  }
  std::set<std::string> seen;
  if (f.node.IsMap()) {
    for (const auto& kv : f.node) {
      if (!kv.first.IsScalar()) {
        error(kv.first.Mark(), f.path, "keys must be strings");
        continue;
      }
      const std::string name = unshieldEnvReferences(kv.first.Scalar());
      const Field value = f.child(name, kv.second);
      if (!seen.insert(name).second) {
        error(kv.first.Mark(), value.path, "duplicate key");
        continue;
      }
      auto known =
          std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == name; });
      if (known != keys.end()) {
        known->read(value);
      } else if (other) {
        other(name, value);
      } else {
        error(kv.first.Mark(), value.path, "unknown key");
      }
    }
  }
  for (const Key& k : keys) {
    if (k.required && !seen.count(k.name)) error(f.node.Mark(), f.childPath(k.name), "required");
  }
  return true;
}

bool Reader::forEachItem(const Field& f, const std::function<void(const Field&)>& fn) {
  if (!f.node.IsSequence()) {
    error(f, "must be a list");
    return false;
  }
  for (size_t i = 0; i < f.node.size(); ++i) fn(f.item(i, f.node[i]));
  return true;
}

std::optional<std::string> Reader::text(const Field& f, bool allowNull, const char* what) {
  if (f.node.IsNull() && allowNull) return std::string();
  if (!f.node.IsScalar()) {
    error(f, std::string("must be ") + what);
    return std::nullopt;
  }
  Result<std::string> expanded = expandEnv(unshieldEnvReferences(f.node.Scalar()), env_);
  if (!expanded) {
    error(f, expanded.status().message());
    return std::nullopt;
  }
  return std::move(expanded).value();
}

std::optional<std::string> Reader::string(const Field& f) { return text(f, true, "a string"); }

std::optional<std::string> Reader::nonEmptyString(const Field& f) {
  auto s = text(f, true, "a string");
  if (s && s->empty()) {
    error(f, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> Reader::integer(const Field& f, int64_t lo, int64_t hi) {
  auto s = text(f, false, "an integer");
  if (!s) return std::nullopt;
  auto v = parseInt(*s);
  if (!v) {
    error(f, "must be an integer");
    return std::nullopt;
  }
  if (*v < lo || *v > hi) {
    error(f, "must be " + std::to_string(lo) + ".." + std::to_string(hi));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Reader::boolean(const Field& f) {
  auto s = text(f, false, "true or false");
  if (!s) return std::nullopt;
  auto v = parseBool(*s);
  if (!v) error(f, "must be true or false");
  return v;
}

std::optional<int64_t> Reader::duration(const Field& f, bool positive) {
  static const char kHint[] = "invalid duration (use e.g. 250ms, 30s, 5m, 1h, 7d)";
  auto s = text(f, false, "a duration");
  if (!s) return std::nullopt;
  auto v = parseDurationMs(*s);
  if (!v) {
    error(f, kHint);
    return std::nullopt;
  }
  if (positive && *v <= 0) {
    error(f, "must be greater than 0");
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> Reader::size(const Field& f, bool positive) {
  auto s = text(f, false, "a size");
  if (!s) return std::nullopt;
  auto v = parseSizeBytes(*s);
  if (!v) {
    error(f, "invalid size (use e.g. 1024, 64KiB, 1MiB)");
    return std::nullopt;
  }
  if (positive && *v <= 0) {
    error(f, "must be greater than 0");
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<std::string>> Reader::stringList(const Field& f) {
  std::vector<std::string> out;
  bool itemsOk = true;
  const bool isList = forEachItem(f, [&](const Field& item) {
    if (auto s = nonEmptyString(item)) {
      out.push_back(*s);
    } else {
      itemsOk = false;
    }
  });
  if (!isList || !itemsOk) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> Reader::globList(const Field& f) {
  std::vector<std::string> out;
  bool itemsOk = true;
  const bool isList = forEachItem(f, [&](const Field& item) {
    auto s = nonEmptyString(item);
    if (!s) {
      itemsOk = false;
      return;
    }
    bool ok = s->size() <= 200;
    for (unsigned char c : *s) ok = ok && c > 0x20 && c != 0x7f;
    if (!ok) {
      error(item,
            "invalid event filter: use event-type text with * wildcards (no spaces or "
            "control characters, at most 200 bytes)");
      itemsOk = false;
      return;
    }
    out.push_back(*s);
  });
  if (!isList || !itemsOk) return std::nullopt;
  return out;
}

std::vector<std::string> Reader::secretList(const Field& f, const SecretCheck& check) {
  std::vector<Field> items;
  if (f.node.IsSequence()) {
    for (size_t i = 0; i < f.node.size(); ++i) items.push_back(f.item(i, f.node[i]));
  } else {
    items.push_back(f);
  }
  std::vector<std::string> out;
  for (const Field& item : items) {
    auto s = text(item, true, "a string or a list of strings");
    if (!s || s->empty()) continue;  // `${OLD_SECRET:-}` during a rotation
    if (auto problem = check ? check(*s) : std::nullopt) {
      error(item, *problem);
      continue;
    }
    out.push_back(*s);
  }
  return out;
}

bool isWhsecSecret(const std::string& secret) {
  static const std::string kPrefix = "whsec_";
  if (secret.rfind(kPrefix, 0) != 0) return false;
  auto key = crypto::base64Decode(std::string_view(secret).substr(kPrefix.size()));
  return key && key->size() >= kMinSecretBytes;
}

std::optional<std::string> whsecSecretError(std::string_view secret) {
  if (isWhsecSecret(std::string(secret))) return std::nullopt;
  return "must be whsec_<base64>";
}

bool isSlug(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-'))) return false;
  }
  return true;
}

bool isHeaderName(const std::string& s) {
  static const std::string kTchar = "!#$%&'*+-.^_`|~";
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || kTchar.find(static_cast<char>(c)) != std::string::npos;
  });
}

}  // namespace dispatch::config::internal
