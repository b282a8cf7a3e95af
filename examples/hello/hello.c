/* examples/hello: a plain WASI command in C.  examples/build.sh compiles it
 * with wasi-libc and wraps it with `jco new --wasi-command` into a
 * wasi:cli/run component:
 *
 *   build/lattice run build/examples/hello.component.wasm Ada */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("Hello from a Lattice component");
  for (int i = 1; i < argc; i++) printf("%s %s", i == 1 ? "," : "", argv[i]);
  printf("!\n");
  return 0;
}
