// What the CLI's subcommands share: how they report an error and how they read an input file.
#pragma once

#include <optional>
#include <string>

namespace dispatch::app {

// "dispatch: <msg>" and then `usage` on stderr; returns 2 (bad usage).
int usageError(const std::string& msg, const char* usage);
// "dispatch: <msg>" on stderr; returns 1 (a user error: a file, an id, the store).
int userError(const std::string& msg);
// The file's exact bytes ("-": standard input), or nullopt when it cannot be read.
std::optional<std::string> readInput(const std::string& path);

}  // namespace dispatch::app
