// The per-call limits every transform of a config runs under, shared by the routing table and
// the trial runs of the author's loop (CLI, playground endpoint), so a trial is held to exactly
// what the server would hold the script to.
#pragma once

#include "core/config/config.h"
#include "core/transform/transform.h"

namespace dispatch::route {

// The config's `transforms:` section, with server.max_body_bytes as the output body limit.
transform::Limits transformLimits(const config::Config& cfg);

}  // namespace dispatch::route
