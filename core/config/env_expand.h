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

}  // namespace dispatch::config
