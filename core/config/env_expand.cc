// `${VAR}` expansion: done on the raw scalar text before any type conversion, so a
// variable may supply a number, a duration or a secret alike.
#include "core/config/env_expand.h"

#include <optional>

namespace dispatch::config {
namespace {

constexpr const char kSyntaxHint[] = "(use ${VAR} or ${VAR:-default})";

bool isVarName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
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

}  // namespace dispatch::config
