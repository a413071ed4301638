// Command-line entry point (contracts/cli.md).
#pragma once

namespace dispatch::app {

// Runs `dispatch <subcommand> …`; returns the process exit code (0 ok, 1 user error,
// 2 bad usage).
int runCli(int argc, char** argv);

}  // namespace dispatch::app
