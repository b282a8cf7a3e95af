/* kbench: times bench/kernels in the interpreter and natively, by thread
 * CPU time (the machine is shared, so wall time is noisy), best of REPS.
 *
 *   kbench wasm FILE.wasm [REPS]   instantiate, call `run` REPS times
 *   (built with a native kernel linked in, -DNATIVE: kbench native [REPS])
 *
 * Prints "CHECKSUM BEST_MS".  Also used with `perf record`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef NATIVE
#include <stdint.h>
uint32_t run(void);
#else
#include "../../../src/wasm/wasm.h"
#endif

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
#ifdef NATIVE
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  double best = 1e300;
  uint32_t r = 0;
  for (int i = 0; i < reps; i++) {
    double t0 = cpu_ms();
    r = run();
    double dt = cpu_ms() - t0;
    if (dt < best) best = dt;
  }
  printf("%d %.3f\n", (int32_t)r, best);
  return 0;
#else
  if (argc < 2) {
    fprintf(stderr, "usage: kbench FILE.wasm [REPS]\n");
    return 2;
  }
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  uint8_t *bytes;
  size_t len;
  lat_error_t err;
  if (lat_file_read(argv[1], &bytes, &len, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  lat_wasm_module_t *m;
  if (lat_wasm_module_new(bytes, len, &m, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  lat_wasm_store_t *s;
  lat_wasm_instance_t *inst;
  if (lat_wasm_store_new(NULL, &s) ||
      lat_wasm_instance_new(s, m, NULL, 0, &inst, &err)) {
    fprintf(stderr, "instantiate: %s\n", err.msg);
    return 1;
  }
  lat_wasm_extern_t ex;
  if (lat_wasm_instance_export(inst, "run", 3, &ex) || ex.kind != LAT_EXTERN_FUNC) {
    fprintf(stderr, "no export run\n");
    return 1;
  }
  double best = 1e300;
  lat_wasm_val_t res;
  for (int i = 0; i < reps; i++) {
    double t0 = cpu_ms();
    if (lat_wasm_func_call(s, ex.of.func, NULL, 0, &res, 1, &err)) {
      fprintf(stderr, "call: %s\n", err.msg);
      return 1;
    }
    double dt = cpu_ms() - t0;
    if (dt < best) best = dt;
  }
  printf("%d %.3f\n", (int32_t)res.of.i32, best);
  lat_wasm_store_free(s);
  lat_wasm_module_release(m);
  lat_free(bytes);
  return 0;
#endif
}
