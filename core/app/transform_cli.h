// `dispatch transform run|test` (contracts/transforms.md, "Writing and testing a transform";
// docs/cli.md): a transform tried once on a sample or stored event, or on its test cases.
#pragma once

namespace dispatch::app {

// Runs `dispatch transform …` (argv[1] is "transform"); `usage` is the CLI's usage text, shown
// with usage errors and --help. Returns the exit code: 0 deliver, drop or all cases passed;
// 1 an error outcome, a failed case or a user error; 2 bad usage.
int runTransformCli(int argc, char** argv, const char* usage);

}  // namespace dispatch::app
