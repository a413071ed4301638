// Internal to core/config: readers of the config's parts, shared by the loader's files.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/config/config.h"
#include "core/config/yaml_reader.h"
#include "core/model/retry_policy.h"

namespace dispatch::config::internal {

// A `retry:` map over `policy`: given fields override what `policy` already holds.
void readRetry(Reader& r, const Field& f, model::RetryPolicy& policy);
// A `retry_on:` list; when present it replaces `out` entirely.
void readRetryOn(Reader& r, const Field& f, model::RetryOn& out);
// A `filter:` map (destinations and links), compiled (core/config/filter_reader.cc); null after
// reporting its errors.
std::shared_ptr<const filter::Filter> readFilter(Reader& r, const Field& f);
// The `projects:` list, with cross-project checks (unique names and slugs). `encrypting` gets
// the `encrypt_payloads` field of the first project that sets it to true.
void readProjects(Reader& r, const Field& f, Config& config, std::optional<Field>& encrypting);
// DISPATCH_MASTER_KEYS into config.masterKeys (master_keys.cc): a missing or malformed value is
// reported at `encrypting` when a project encrypts, else a malformed one at the file's start.
void readMasterKeys(Reader& r, const Field& root, const std::optional<Field>& encrypting,
                    const EnvLookup& env, Config& config);

}  // namespace dispatch::config::internal
