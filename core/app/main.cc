// The `dispatch` binary: parses the subcommand and hands over to core/app.
#include "core/app/cli.h"

int main(int argc, char** argv) { return dispatch::app::runCli(argc, argv); }
