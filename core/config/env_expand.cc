// `${VAR}` expansion: done on the raw scalar text before any type conversion, so a
// variable may supply a number, a duration or a secret alike.
#include "core/config/env_expand.h"

#include <optional>

namespace dispatch::config {
namespace {

constexpr const char kSyntaxHint[] = "(use ${VAR} or ${VAR:-default})";

// [A-Za-z_][A-Za-z0-9_]*, one character at a time.
bool isNameChar(char c, bool first) {
  const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  return alpha || (!first && c >= '0' && c <= '9');
}

bool isVarName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!isNameChar(name[i], i == 0)) return false;
  }
  return true;
}

// The offset of the `}` closing a well-formed single-line `${NAME}` or `${NAME:-default}`
// that starts at `open`, or npos.
size_t referenceEnd(std::string_view text, size_t open) {
  size_t end = open + 2;
  while (end < text.size() && isNameChar(text[end], end == open + 2)) ++end;
  if (end == open + 2 || end >= text.size()) return std::string_view::npos;
  if (text[end] == '}') return end;
  if (text.substr(end, 2) != ":-") return std::string_view::npos;
  const size_t close = text.find_first_of("}\n", end + 2);
  return close != std::string_view::npos && text[close] == '}' ? close : std::string_view::npos;
}

}  // namespace

Result<std::string> expandEnv(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("${", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    const size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      return Status(Code::kInvalid, std::string("unterminated ${ ") + kSyntaxHint);
    }
    const std::string_view inner = text.substr(open + 2, close - open - 2);
    const size_t sep = inner.find(":-");
    const std::string_view name = inner.substr(0, sep);
    if (!isVarName(name)) {
      return Status(Code::kInvalid, std::string("invalid variable reference ") + kSyntaxHint);
    }
    std::optional<std::string> value;
    if (env) value = env(std::string(name));
    if (sep != std::string_view::npos) {
      if (!value || value->empty()) value = std::string(inner.substr(sep + 2));
    } else if (!value) {
      return Status(Code::kInvalid, "environment variable " + std::string(name) + " is not set");
    }
    out += *value;
    pos = close + 1;
  }
  return out;
}

std::string shieldEnvReferences(std::string_view yaml) {
  std::string out(yaml);
  size_t pos = 0;
  while ((pos = out.find("${", pos)) != std::string::npos) {
    const size_t close = referenceEnd(out, pos);
    if (close == std::string::npos) {
      pos += 2;  // malformed: left for the YAML parser or expandEnv to report
      continue;
    }
    out[pos + 1] = kShieldOpen;
    out[close] = kShieldClose;
    pos = close + 1;
  }
  return out;
}

std::string unshieldEnvReferences(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == kShieldOpen) c = '{';
    if (c == kShieldClose) c = '}';
  }
  return out;
}

}  // namespace dispatch::config
