/* A `lattice` with only the keys and claims commands, linked from src/base,
 * src/crypto and the two CLI files: lets tests/crypto/cli_test.sh run while
 * the full build/debug/lattice does not link (other subsystems in
 * progress).  The test prefers the real binary when it exists. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "keys")) return lat_cli_keys(argc - 1, argv + 1);
  if (argc >= 2 && !strcmp(argv[1], "claims")) return lat_cli_claims(argc - 1, argv + 1);
  fprintf(stderr, "lattice (crypto stub): only 'keys' and 'claims'\n");
  return 2;
}
