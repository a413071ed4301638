// Shared helpers of the built-in plugins, over core's URL parser (net), JSON, path and time
// utilities.
#include "core/plugin/support.h"

#include <algorithm>

#include "core/net/network_policy.h"
#include "core/util/json.h"
#include "core/util/path.h"
#include "core/util/time.h"

namespace dispatch::plugin {
namespace {

bool isDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Bytes in the UTF-8 sequence led by `c` (1 for a stray continuation or invalid byte).
size_t sequenceLength(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF4) return 4;
  if (c >= 0xE0) return c <= 0xEF ? 3 : 1;
  if (c >= 0xC2) return 2;
  return 1;
}

}  // namespace

std::string configError(const ConfigView& config, std::string_view key, std::string_view message) {
  std::string out = config.location();
  out.append(": ").append(key).append(": ").append(message);
  return out;
}

std::optional<std::string> unknownKeyError(const ConfigView& config,
                                           std::initializer_list<std::string_view> allowed,
                                           std::string_view type) {
  for (const std::string& key : config.keys()) {
    if (key == "name" || std::find(allowed.begin(), allowed.end(), key) != allowed.end()) {
      continue;
    }
    std::string known;
    for (std::string_view k : allowed) known.append(known.empty() ? "" : ", ").append(k);
    return configError(
        config, key,
        "unknown key for type " + std::string(type) +
            (known.empty() ? std::string(" (it takes no options)") : " (known: " + known + ")"));
  }
  return std::nullopt;
}

std::optional<std::string> requireKey(const ConfigView& config, const std::string& key,
                                      std::string_view type, std::string* error) {
  std::optional<std::string> value = config.get(key);
  if (!value || value->empty()) {
    *error = configError(config, key, "required for type " + std::string(type));
    return std::nullopt;
  }
  return value;
}

bool isHttpUrl(std::string_view url) {
  // net's syntax, minus its refusal of userinfo; the stricter rules apply when delivering.
  Result<net::UrlParts> parts = net::splitUrl(url, net::Userinfo::kSkip);
  return parts.isOk() && (!parts->port || isDigits(*parts->port));
}

std::string resolvePath(const std::string& baseDir, const std::string& path) {
  return dispatch::resolvePath(baseDir, path);
}

std::string jsonQuote(std::string_view s) { return json::quote(s); }

std::string formatIsoUtc(int64_t unixMs) { return dispatch::formatIsoUtc(unixMs); }

int64_t wallClockMs() { return dispatch::nowMs(); }

std::string truncateChars(std::string_view s, size_t maxChars) {
  // Offsets where each code point starts, up to one past the limit.
  size_t count = 0;
  size_t keepEnd = 0;  // byte offset after the first (maxChars - 1) code points
  for (size_t i = 0; i < s.size();) {
    if (count + 1 == maxChars) keepEnd = i;
    if (count == maxChars) {
      if (maxChars == 0) return "";
      std::string out(s.substr(0, keepEnd));
      out += "\xE2\x80\xA6";  // …
      return out;
    }
    i += std::min(sequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
    ++count;
  }
  return std::string(s);
}

std::string utf8Text(std::string_view s) {
  if (json::isValidUtf8(s)) return std::string(s);
  // jsonQuote()'s own repair, read back: the two can never disagree.
  Result<json::Value> v = json::parse(json::quote(s));
  return v.isOk() ? v->asString() : std::string();
}

}  // namespace dispatch::plugin
