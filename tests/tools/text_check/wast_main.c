/* wast_main: links the spec runner without the rest of the CLI, for testing
 * the runner while other subsystems are still being written. */
#include "../../../src/cli/cli.h"

int main(int argc, char **argv) { return lat_cli_wast(argc, argv); }
