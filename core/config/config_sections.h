// Internal to core/config: readers of the config's parts, shared by the loader's files.
#pragma once

#include <string>

#include "core/config/config.h"
#include "core/config/yaml_reader.h"
#include "core/model/retry_policy.h"

namespace dispatch::config::internal {

// A `retry:` map over `policy`: given fields override what `policy` already holds.
void readRetry(Reader& r, const Field& f, model::RetryPolicy& policy);
// A `retry_on:` list; when present it replaces `out` entirely.
void readRetryOn(Reader& r, const Field& f, model::RetryOn& out);
// The `projects:` list, with cross-project checks (unique names and slugs).
void readProjects(Reader& r, const Field& f, Config& config);

}  // namespace dispatch::config::internal
