// `${VAR}` / `${VAR:-default}` expansion of config scalars; pure, no YAML.
#pragma once

#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/util/status.h"

namespace dispatch::config {

// Replaces each `${VAR}` with its value and each `${VAR:-default}` with the value, or the
// default when VAR is unset or empty. A `$` not followed by `{` is kept as is. Errors
// (unset VAR without default, malformed reference) name the variable, never a value.
Result<std::string> expandEnv(std::string_view text, const EnvLookup& env);

// YAML reads `{` and `}` as flow indicators, so `secret: [${A}, ${B:-}]` (the contract's own
// example) would not parse. Before parsing, the braces of each single-line `${…}` become the
// bytes kShieldOpen/kShieldClose (same length, so line:col marks stay exact); each scalar gets
// them back before expansion. Input holding those bytes itself is refused (YAML forbids them).
inline constexpr char kShieldOpen = '\x01';
inline constexpr char kShieldClose = '\x02';
std::string shieldEnvReferences(std::string_view yaml);
std::string unshieldEnvReferences(std::string_view text);

}  // namespace dispatch::config
