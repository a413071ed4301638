// UUIDs: time-ordered version 7 for new ids; validation for ids from clients.
#pragma once

#include <string>
#include <string_view>

namespace dispatch {

// A new UUIDv7 (48-bit ms timestamp, random rest), lowercase canonical text. Thread-safe.
std::string newUuidV7();
// A UUIDv5-style stable id (SHA-1 based) from a namespace string and a name; the same
// inputs give the same id across restarts and nodes.
std::string stableUuid(std::string_view ns, std::string_view name);
// True for the canonical 8-4-4-4-12 hex form (either case).
bool isUuid(std::string_view text);

}  // namespace dispatch
