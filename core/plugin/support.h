// Helpers the built-in plugins share: config checks, URLs, paths, JSON strings and text,
// timestamps. Standard library only in the interface; implemented inside the dispatch
// binary, so a `.so` plugin cannot call these (it sees only destination.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/plugin/destination.h"

namespace dispatch::plugin {

// "<location>: <key>: <message>", the error format of DestinationFactory::create().
std::string configError(const ConfigView& config, std::string_view key, std::string_view message);

// The error for the first key of `config` that is neither `name` nor in `allowed`, if any:
// unknown keys are config errors (typos must not pass silently).
std::optional<std::string> unknownKeyError(const ConfigView& config,
                                           std::initializer_list<std::string_view> allowed,
                                           std::string_view type);

// The non-empty value of `key`, or nullopt and *error = "<location>: <key>: required …".
std::optional<std::string> requireKey(const ConfigView& config, const std::string& key,
                                      std::string_view type, std::string* error);

// True for an absolute http:// or https:// URL with a host and no whitespace or control
// characters. Which schemes and addresses may be reached is the engine's network policy.
bool isHttpUrl(std::string_view url);

// `path` if absolute, else `baseDir`/`path`, lexically normalised.
std::string resolvePath(const std::string& baseDir, const std::string& path);

// `s` as a JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
std::string jsonQuote(std::string_view s);

// `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the Unix epoch; and the current time.
std::string formatIsoUtc(int64_t unixMs);
int64_t wallClockMs();

// At most `maxChars` Unicode code points of UTF-8 `s`, never splitting a sequence; when cut,
// the last kept code point is "…" (so the result still has at most `maxChars`).
std::string truncateChars(std::string_view s, size_t maxChars);

// `s` with each invalid UTF-8 sequence replaced by U+FFFD exactly as jsonQuote() does, all
// else unchanged: the text a JSON string of `s` decodes to (the file plugin renders this, so
// the signature covers the text its JSON line holds).
std::string utf8Text(std::string_view s);

}  // namespace dispatch::plugin
