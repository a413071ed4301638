// Shared parsing and constant-time comparison for the inbound verifiers.
#include "core/verify/verify_util.h"

#include <charconv>
#include <utility>

#include "core/util/crypto.h"

namespace dispatch::verify::internal {

namespace {
constexpr size_t kDigestBytes = 32;  // SHA-256
constexpr size_t kMaxTimestampDigits = 12;
}  // namespace

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::string> boundedHeader(const Request& request, std::string_view name) {
  if (!request.header) return std::nullopt;
  std::optional<std::string> value = request.header(name);
  if (!value.has_value() || value->size() > kMaxHeaderBytes) return std::nullopt;
  std::string_view trimmed = trim(*value);
  if (trimmed.empty()) return std::nullopt;
  return std::string(trimmed);
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t pos = text.find(sep);
    parts.push_back(trim(text.substr(0, pos)));
    if (pos == std::string_view::npos) break;
    text.remove_prefix(pos + 1);
  }
  return parts;
}

std::optional<int64_t> parseUnixSeconds(std::string_view text) {
  if (text.empty() || text.size() > kMaxTimestampDigits) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

bool withinTolerance(int64_t timestampSec, TimeMs now, int64_t toleranceMs) {
  // At most 12 digits, so ·1000 stays far inside int64_t.
  const int64_t diff = now - timestampSec * 1000;
  return diff <= toleranceMs && diff >= -toleranceMs;
}

std::optional<std::string> decodeHexDigest(std::string_view hex) {
  if (hex.size() != 2 * kDigestBytes) return std::nullopt;
  std::optional<std::string> raw = crypto::hexDecode(hex);
  if (!raw.has_value() || raw->size() != kDigestBytes) return std::nullopt;
  return raw;
}

std::optional<std::string> decodeBase64Digest(std::string_view b64) {
  // 32 bytes are 44 base64 characters padded, 43 unpadded.
  if (b64.size() != 44 && b64.size() != 43) return std::nullopt;
  std::optional<std::string> raw = crypto::base64Decode(b64);
  if (!raw.has_value() || raw->size() != kDigestBytes) return std::nullopt;
  return raw;
}

bool matchesAny(std::string_view expected, const std::vector<std::string>& candidates) {
  bool matched = false;
  for (const std::string& candidate : candidates) {
    // Non-short-circuit on purpose: compare every candidate.
    matched |= crypto::constantTimeEquals(expected, candidate);
  }
  return matched;
}

std::vector<std::string> nonEmpty(std::vector<std::string> secrets) {
  std::vector<std::string> kept;
  kept.reserve(secrets.size());
  for (std::string& s : secrets) {
    if (!s.empty()) kept.push_back(std::move(s));
  }
  return kept;
}

}  // namespace dispatch::verify::internal
