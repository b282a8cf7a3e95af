/* wasm2c driver: the kernel was translated with `wasm2c K.wasm -n k`, so
 * every kernel has the same symbol names.  Calls run() REPS times in one
 * instance and prints `CHECKSUM BEST_MS`.  Bounds checks use wasm-rt's
 * default for 64-bit hosts (guard pages and a signal handler). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "k.h"
#include "wasm-rt-impl.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 3;
  Z_k_instance_t inst;
  wasm_rt_init();
  Z_k_init_module();
  Z_k_instantiate(&inst);
  double best = 1e300;
  u32 r = 0;
  for (int i = 0; i < reps; i++) {
    wasm_rt_trap_t trap;
    double t0 = now_ms();
    if ((trap = wasm_rt_impl_try()) != 0) {
      fprintf(stderr, "wasm2c: trap: %s\n", wasm_rt_strerror(trap));
      return 1;
    }
    r = Z_kZ_run(&inst);
    double dt = now_ms() - t0;
    if (dt < best) best = dt;
  }
  printf("%d %.3f\n", (int32_t)r, best);
  Z_k_free(&inst);
  wasm_rt_free();
  return 0;
}
