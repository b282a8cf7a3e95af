/* A plain WASI command; `jco new --wasi-command` wraps it with the preview1
 * adapter into a wasi:cli/run component. */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("hello from a component");
  for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
  printf("\n");
  return 0;
}
