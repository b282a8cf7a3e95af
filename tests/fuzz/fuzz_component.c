/* Fuzz target: decode a component, link it against the WASI 0.2 host,
 * instantiate it and run its wasi:cli/run export, under tight limits.
 *
 * The host grants nothing: no directories, stdin /dev/null-like (fd -1),
 * output to fd -1, no arguments beyond the name.  Limits: 16 MiB per
 * memory, call depth 256, fuel for 200,000 back-edges and calls, a 50 ms
 * deadline.  Decode errors, link errors, traps and exits are all fine; only
 * a crash, a sanitizer report or a leak is a finding.  The linker is built
 * per input (no state survives an input, so the replay's leak check holds
 * per input). */
#include <string.h>

#include "fuzz.h"
#include "wasi/wasi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lat_error_t err;
  lat_component_t *c = NULL;
  if (lat_component_new(data, size, NULL, &c, &err)) return 0;
  lat_clinker_t *l = NULL;
  lat_cpre_t *pre = NULL;
  lat_wasm_store_t *s = NULL;
  lat_wasi_t *w = NULL;
  lat_wasi_p2_t *p2 = NULL;
  lat_cinstance_t *ci = NULL;
  lat_arena_t a;
  lat_arena_init(&a);
  const char *argv[1] = {"fuzz"};
  lat_wasi_config_t cfg = {.argv = argv, .argc = 1, .stdin_fd = -1, .stdout_fd = -1,
                           .stderr_fd = -1};
  lat_wasm_limits_t lim = {.max_memory_bytes = 16u << 20, .max_table_elems = 10000,
                           .max_call_depth = 256};
  if (lat_clinker_new(&l) || lat_wasi_p2_add_to_linker(l, &err) ||
      lat_cpre_new(c, l, &pre, &err) || lat_wasm_store_new(&lim, &s) ||
      lat_wasi_new(&cfg, &w, &err) || lat_wasi_p2_new(w, &p2))
    goto out;
  lat_wasm_store_set_fuel(s, 200000);
  lat_wasm_store_set_deadline(s, lat_now_ns() + 50u * 1000 * 1000);
  if (lat_cinstance_new_pre(s, pre, p2, &ci, &err)) goto out;
  lat_cfunc_t *run = lat_cinstance_func(ci, "wasi:cli/run@0.2.0", "run");
  if (run) {
    lat_cval_t r;
    lat_cfunc_call(ci, run, NULL, 0, &r, &a, &err);
  }
out:
  lat_arena_fini(&a);
  lat_cinstance_free(ci);
  lat_wasm_store_free(s);
  lat_wasi_p2_free(p2);
  lat_wasi_free(w);
  lat_cpre_free(pre);
  lat_clinker_free(l);
  lat_component_free(c);
  return 0;
}
