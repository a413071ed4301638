// The line the file plugin appends per delivery: pure formatting, testable on its own.
#pragma once

#include <cstdint>
#include <string>

#include "core/plugin/destination.h"

namespace dispatch::plugins {

// {"id","eventId","destination","eventType","headers":{name: value, …},"body","deliveredAt"}
// plus "\n": one compact JSON object. The body is `d.body` as a JSON string (invalid UTF-8
// becomes U+FFFD; the plugin's render() has repaired it already, so the signature in the
// headers covers the decoded string); deliveredAt is ISO 8601 UTC with milliseconds.
std::string fileLine(const plugin::Delivery& d, int64_t deliveredAtMs);

}  // namespace dispatch::plugins
