/* Minimal entry for the private interpreter build: `lattice wast FILE...`
 * only, so it links with base + wasm + cli_wast.c alone. */
#include <stdio.h>
#include <string.h>

#include "../../../src/cli/cli.h"

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "wast")) return lat_cli_wast(argc - 1, argv + 1);
  fprintf(stderr, "usage: %s wast FILE.wast...\n", argv[0]);
  return 2;
}
