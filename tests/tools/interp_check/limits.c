/* limits: checks the interpreter's limits through the public API: deadline,
 * interrupt from another thread, fuel, call depth, value-stack exhaustion,
 * host functions that re-enter wasm (shallow and unbounded).
 * Prints one line per check and "N passed, N failed". */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../../src/wasm/wasm.h"

static int passed, failed;
#define CHECK(cond, ...)                          \
  do {                                            \
    if (cond) {                                   \
      passed++;                                   \
    } else {                                      \
      failed++;                                   \
      printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

static const char *wat =
    "(module"
    " (import \"h\" \"reenter\" (func $reenter (param i32) (result i32)))"
    " (func (export \"spin\") (loop (br 0)))"
    " (func (export \"count\") (param i32) (result i32) (local i32)"
    "   (loop (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
    "         (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))"
    "   (local.get 1))"
    " (func $rec (export \"rec\") (param i32) (result i32)"
    "   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
    "     (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))"
    " (func $big (export \"big\") (param i32) (result i32)"
    "   (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)"
    "   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
    "     (else (call $big (i32.sub (local.get 0) (i32.const 1))))))"
    " (func (export \"viahost\") (param i32) (result i32)"
    "   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 7))"
    "     (else (call $reenter (i32.sub (local.get 0) (i32.const 1))))))"
    ")";

static lat_wasm_store_t *store;
static lat_wasm_func_t *viahost;

static lat_status reenter(lat_wasm_caller_t *c, void *env, uint64_t *slots) {
  (void)env;
  lat_wasm_val_t a = {.type = LAT_I32}, r;
  a.of.i32 = (uint32_t)slots[0];
  lat_error_t err;
  lat_status st = lat_wasm_func_call(lat_wasm_caller_store(c), viahost, &a, 1, &r, 1, &err);
  if (st == LAT_TRAP)
    return lat_wasm_caller_trap(c, lat_wasm_store_trap(lat_wasm_caller_store(c)), 0, NULL);
  if (st) return st;
  slots[0] = r.of.i32;
  return LAT_OK;
}

static void *interrupter(void *arg) {
  usleep(30000);
  lat_wasm_store_interrupt(arg);
  return NULL;
}

/* threads: one module, a store per thread, all racing to translate */
typedef struct {
  lat_wasm_module_t *m;
  int ok;
} thread_arg_t;

static lat_status noop_host(lat_wasm_caller_t *c, void *env, uint64_t *slots) {
  (void)c;
  (void)env;
  (void)slots;
  return LAT_OK;
}

static void *worker(void *p) {
  thread_arg_t *a = p;
  lat_wasm_store_t *st;
  lat_wasm_instance_t *in;
  lat_error_t err;
  uint8_t ti = LAT_I32;
  lat_wasm_functype_t ft = {1, 1, &ti, &ti};
  lat_wasm_func_t *h;
  if (lat_wasm_store_new(NULL, &st)) return NULL;
  lat_wasm_func_new_host(st, &ft, noop_host, NULL, &h);
  lat_wasm_extern_t imp = {.kind = LAT_EXTERN_FUNC, .of.func = h};
  if (!lat_wasm_instance_new(st, a->m, &imp, 1, &in, &err)) {
    lat_wasm_extern_t e1, e2;
    lat_wasm_instance_export(in, "count", 5, &e1);
    lat_wasm_instance_export(in, "rec", 3, &e2);
    lat_wasm_val_t arg = {.type = LAT_I32}, r1 = {0}, r2 = {0};
    arg.of.i32 = 500;
    if (!lat_wasm_func_call(st, e1.of.func, &arg, 1, &r1, 1, &err) &&
        !lat_wasm_func_call(st, e2.of.func, &arg, 1, &r2, 1, &err))
      a->ok = r1.of.i32 == 500 && r2.of.i32 == 500;
  }
  lat_wasm_store_free(st);
  return NULL;
}

static lat_status call1(lat_wasm_func_t *f, uint32_t arg, uint32_t *out) {
  lat_wasm_val_t a = {.type = LAT_I32}, r = {0};
  a.of.i32 = arg;
  lat_error_t err;
  const lat_wasm_functype_t *t = lat_wasm_func_type(f);
  lat_status st = lat_wasm_func_call(store, f, &a, t->nparams, &r, t->nresults, &err);
  if (out) *out = r.of.i32;
  return st;
}

int main(void) {
  lat_buf_t bin;
  lat_buf_init(&bin);
  lat_error_t err;
  if (lat_wat_to_wasm(wat, strlen(wat), &bin, &err)) {
    printf("wat: %s\n", err.msg);
    return 1;
  }
  lat_wasm_module_t *m;
  if (lat_wasm_module_new(bin.data, bin.len, &m, &err)) {
    printf("module: %s\n", err.msg);
    return 1;
  }
  lat_wasm_limits_t lim = {0};
  lim.max_call_depth = 1000;
  lat_wasm_store_new(&lim, &store);
  uint8_t ti = LAT_I32;
  lat_wasm_functype_t ft = {1, 1, &ti, &ti};
  lat_wasm_func_t *h;
  lat_wasm_func_new_host(store, &ft, reenter, NULL, &h);
  lat_wasm_extern_t imp = {.kind = LAT_EXTERN_FUNC, .of.func = h};
  lat_wasm_instance_t *inst;
  if (lat_wasm_instance_new(store, m, &imp, 1, &inst, &err)) {
    printf("instantiate: %s\n", err.msg);
    return 1;
  }
  lat_wasm_extern_t e;
#define GET(name) (lat_wasm_instance_export(inst, name, strlen(name), &e), e.of.func)
  lat_wasm_func_t *spin = GET("spin"), *count = GET("count"), *rec = GET("rec"),
                  *big = GET("big");
  viahost = GET("viahost");
  uint32_t r = 0;

  /* deadline: a runaway loop stops within ~20 ms of it */
  uint64_t t0 = lat_now_ns();
  lat_wasm_store_set_deadline(store, t0 + 50000000ull);
  lat_status st = call1(spin, 0, NULL);
  uint64_t late = (lat_now_ns() - t0) / 1000000 - 50;
  CHECK(st == LAT_TRAP && lat_wasm_store_trap(store) == LAT_TRAP_DEADLINE, "st %d trap %d", st, lat_wasm_store_trap(store));
  CHECK(late < 20, "stopped %llu ms late", (unsigned long long)late);
  lat_wasm_store_set_deadline(store, 0);

  /* interrupt from another thread */
  pthread_t th;
  pthread_create(&th, NULL, interrupter, store);
  st = call1(spin, 0, NULL);
  pthread_join(th, NULL);
  CHECK(st == LAT_TRAP && lat_wasm_store_trap(store) == LAT_TRAP_INTERRUPTED, "st %d", st);
  st = call1(count, 10, &r);
  CHECK(st == LAT_OK && r == 10, "after interrupt: st %d r %u", st, r);

  /* fuel: 1 unit per back-edge and call */
  lat_wasm_store_set_fuel(store, 1000);
  st = call1(count, 100, &r);
  CHECK(st == LAT_OK && r == 100, "st %d r %u", st, r);
  uint64_t left = lat_wasm_store_fuel(store);
  CHECK(left == 1000 - 100, "fuel left %llu", (unsigned long long)left);
  st = call1(count, 100000, &r);
  CHECK(st == LAT_TRAP && lat_wasm_store_trap(store) == LAT_TRAP_OUT_OF_FUEL, "st %d", st);
  lat_wasm_store_set_fuel(store, 0);

  /* call depth: limit 1000 frames */
  st = call1(rec, 900, &r);
  CHECK(st == LAT_OK && r == 900, "rec 900: st %d r %u", st, r);
  st = call1(rec, 5000, &r);
  CHECK(st == LAT_TRAP && lat_wasm_store_trap(store) == LAT_TRAP_STACK_EXHAUSTED, "rec 5000: st %d", st);
  st = call1(rec, 10, &r);
  CHECK(st == LAT_OK && r == 10, "after exhaustion: st %d r %u", st, r);
  st = call1(big, 990, &r);
  CHECK(st == LAT_OK, "big 990: st %d", st);

  /* through the host: shallow works, unbounded traps without crashing */
  st = call1(viahost, 50, &r);
  CHECK(st == LAT_OK && r == 7, "viahost 50: st %d r %u", st, r);
  st = call1(viahost, 100000, &r);
  CHECK(st == LAT_TRAP && lat_wasm_store_trap(store) == LAT_TRAP_STACK_EXHAUSTED, "viahost deep: st %d trap %d", st, lat_wasm_store_trap(store));
  st = call1(viahost, 3, &r);
  CHECK(st == LAT_OK && r == 7, "after: st %d r %u", st, r);

  /* value stack: a small store exhausts on frames, not depth */
  lat_wasm_store_t *small;
  lat_wasm_limits_t l2 = {0};
  l2.max_stack_bytes = 16384;
  lat_wasm_store_new(&l2, &small);
  lat_wasm_instance_t *i2;
  lat_wasm_func_t *h2;
  lat_wasm_func_new_host(small, &ft, reenter, NULL, &h2);
  imp.of.func = h2;
  lat_wasm_instance_new(small, m, &imp, 1, &i2, &err);
  lat_wasm_instance_export(i2, "big", 3, &e);
  lat_wasm_val_t a = {.type = LAT_I32}, res;
  a.of.i32 = 5000;
  st = lat_wasm_func_call(small, e.of.func, &a, 1, &res, 1, &err);
  CHECK(st == LAT_TRAP && lat_wasm_store_trap(small) == LAT_TRAP_STACK_EXHAUSTED, "small stack: st %d", st);
  CHECK(!strcmp(err.msg, "call stack exhausted"), "msg '%s'", err.msg);
  lat_wasm_store_free(small);

  lat_wasm_store_free(store);

  /* a fresh module, so the threads race on its first translation */
  lat_wasm_module_t *m2;
  if (!lat_wasm_module_new(bin.data, bin.len, &m2, &err)) {
    pthread_t ths[4];
    thread_arg_t args[4];
    for (int i = 0; i < 4; i++) {
      args[i] = (thread_arg_t){m2, 0};
      pthread_create(&ths[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
      pthread_join(ths[i], NULL);
      CHECK(args[i].ok, "thread %d", i);
    }
    lat_wasm_module_release(m2);
  }
  lat_wasm_module_release(m);
  lat_buf_fini(&bin);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
