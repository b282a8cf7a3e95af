/* The interpreter's limits through the public API: deadline, interrupt from
 * another thread, exact fuel, call depth, value-stack exhaustion, host
 * functions that re-enter wasm (shallow and unbounded), and threads racing
 * on one module's first translation.  (Formerly the interp_check `limits`
 * driver.)
 *
 * Timing: only generous bounds are asserted (a 100 ms deadline stops after
 * it and within 1 s), so a loaded 2-core CI machine cannot fail them; how
 * promptly a deadline is honoured is measured by tests/wasi and make bench,
 * never asserted tightly here. */
#include <pthread.h>
#include <unistd.h>

#include "wasm_test_util.h"

static const char *const wat =
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

#define MS 1000000ull

/* The host import: calls env's function ("viahost") with its argument, so
 * viahost(n) recurses n times through the host; a trap is passed on. */
static lat_status reenter(lat_wasm_caller_t *c, void *env, uint64_t *slots) {
  lat_wasm_func_t **target = env;
  uint32_t r = 0;
  lat_status st = wt_call1(lat_wasm_caller_store(c), *target, (uint32_t)slots[0], &r);
  if (st) return st;
  slots[0] = r;
  return LAT_OK;
}

typedef struct {
  lat_wasm_module_t *m;
  lat_wasm_store_t *s;
  lat_wasm_instance_t *inst;
  lat_wasm_func_t *viahost; /* reenter's target */
} fixture_t;

static void setup(fixture_t *fx, lat_wasm_module_t *m, const lat_wasm_limits_t *lim) {
  memset(fx, 0, sizeof *fx);
  fx->m = m;
  REQUIRE_OK(lat_wasm_store_new(lim, &fx->s));
  uint8_t i32 = LAT_I32;
  lat_wasm_functype_t ft = {1, 1, &i32, &i32};
  lat_wasm_func_t *h;
  REQUIRE_OK(lat_wasm_func_new_host(fx->s, &ft, reenter, &fx->viahost, &h));
  lat_wasm_extern_t imp = {.kind = LAT_EXTERN_FUNC, .of.func = h};
  lat_error_t err;
  REQUIRE_OK(lat_wasm_instance_new(fx->s, m, &imp, 1, &fx->inst, &err));
  fx->viahost = wt_export_func(fx->inst, "viahost");
}

static void teardown(fixture_t *fx) {
  lat_wasm_store_free(fx->s);
  lat_wasm_module_release(fx->m);
}

static lat_wasm_func_t *fn(fixture_t *fx, const char *name) {
  return wt_export_func(fx->inst, name);
}

TEST_IMPL(wasm_limits_deadline) {
  fixture_t fx;
  setup(&fx, wt_module(wat, NULL, 0), NULL);
  uint64_t t0 = lat_now_ns();
  lat_wasm_store_set_deadline(fx.s, t0 + 100 * MS);
  CHECK_ST(wt_call1(fx.s, fn(&fx, "spin"), 0, NULL), LAT_TRAP);
  uint64_t took = lat_now_ns() - t0;
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_DEADLINE);
  CHECK(took >= 100 * MS); /* never early: the coarse clock lags, never leads */
  CHECK(took < 1000 * MS);
  /* cleared, the store runs again */
  lat_wasm_store_set_deadline(fx.s, 0);
  uint32_t r = 0;
  CHECK_OK(wt_call1(fx.s, fn(&fx, "count"), 10, &r));
  CHECK_EQ_UINT(r, 10);
  /* a deadline already past stops a call at once */
  lat_wasm_store_set_deadline(fx.s, lat_now_ns() - 1);
  CHECK_ST(wt_call1(fx.s, fn(&fx, "spin"), 0, NULL), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_DEADLINE);
  teardown(&fx);
}

typedef struct {
  lat_wasm_store_t *s;
  uint64_t at; /* lat_now_ns when the interrupt was sent */
} interrupter_t;

static void *interrupter(void *arg) {
  interrupter_t *it = arg;
  usleep(30000);
  it->at = lat_now_ns();
  lat_wasm_store_interrupt(it->s);
  return NULL;
}

TEST_IMPL(wasm_limits_interrupt) {
  fixture_t fx;
  setup(&fx, wt_module(wat, NULL, 0), NULL);
  /* a backstop, so a lost interrupt fails the check instead of hanging */
  lat_wasm_store_set_deadline(fx.s, lat_now_ns() + 30000 * MS);
  interrupter_t it = {fx.s, 0};
  pthread_t th;
  REQUIRE(pthread_create(&th, NULL, interrupter, &it) == 0);
  CHECK_ST(wt_call1(fx.s, fn(&fx, "spin"), 0, NULL), LAT_TRAP);
  uint64_t done = lat_now_ns();
  pthread_join(th, NULL);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_INTERRUPTED);
  CHECK(done - it.at < 1000 * MS);
  /* the interrupt is consumed: the next call runs to the end */
  lat_wasm_store_set_deadline(fx.s, 0);
  uint32_t r = 0;
  CHECK_OK(wt_call1(fx.s, fn(&fx, "count"), 10, &r));
  CHECK_EQ_UINT(r, 10);
  teardown(&fx);
}

TEST_IMPL(wasm_limits_fuel_exact) {
  fixture_t fx;
  setup(&fx, wt_module(wat, NULL, 0), NULL);
  /* one unit per loop back-edge and call: count(n) takes n */
  lat_wasm_store_set_fuel(fx.s, 1000);
  uint32_t r = 0;
  CHECK_OK(wt_call1(fx.s, fn(&fx, "count"), 100, &r));
  CHECK_EQ_UINT(r, 100);
  CHECK_EQ_UINT(lat_wasm_store_fuel(fx.s), 1000 - 100);
  CHECK_OK(wt_call1(fx.s, fn(&fx, "count"), 900, &r));
  CHECK_EQ_UINT(lat_wasm_store_fuel(fx.s), 0);
  lat_wasm_store_set_fuel(fx.s, 1000);
  CHECK_ST(wt_call1(fx.s, fn(&fx, "count"), 100000, &r), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_OUT_OF_FUEL);
  CHECK_EQ_UINT(lat_wasm_store_fuel(fx.s), 0);
  /* fuel 0 disables metering */
  lat_wasm_store_set_fuel(fx.s, 0);
  CHECK_OK(wt_call1(fx.s, fn(&fx, "count"), 100000, &r));
  CHECK_EQ_UINT(r, 100000);
  teardown(&fx);
}

TEST_IMPL(wasm_limits_call_depth) {
  lat_wasm_limits_t lim = {0};
  lim.max_call_depth = 1000;
  fixture_t fx;
  setup(&fx, wt_module(wat, NULL, 0), &lim);
  uint32_t r = 0;
  CHECK_OK(wt_call1(fx.s, fn(&fx, "rec"), 900, &r));
  CHECK_EQ_UINT(r, 900);
  CHECK_ST(wt_call1(fx.s, fn(&fx, "rec"), 5000, &r), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_STACK_EXHAUSTED);
  /* the store is usable after exhaustion */
  CHECK_OK(wt_call1(fx.s, fn(&fx, "rec"), 10, &r));
  CHECK_EQ_UINT(r, 10);
  CHECK_OK(wt_call1(fx.s, fn(&fx, "big"), 990, &r));
  teardown(&fx);
}

TEST_IMPL(wasm_limits_host_reentry) {
  lat_wasm_limits_t lim = {0};
  lim.max_call_depth = 1000;
  fixture_t fx;
  setup(&fx, wt_module(wat, NULL, 0), &lim);
  uint32_t r = 0;
  /* shallow recursion through the host works */
  CHECK_OK(wt_call1(fx.s, fx.viahost, 50, &r));
  CHECK_EQ_UINT(r, 7);
  /* unbounded recursion through the host traps, without crashing */
  CHECK_ST(wt_call1(fx.s, fx.viahost, 100000, &r), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_STACK_EXHAUSTED);
  CHECK_OK(wt_call1(fx.s, fx.viahost, 3, &r));
  CHECK_EQ_UINT(r, 7);
  teardown(&fx);
}

TEST_IMPL(wasm_limits_value_stack) {
  /* a small value stack exhausts on frames, long before the depth limit */
  lat_wasm_limits_t lim = {0};
  lim.max_stack_bytes = 16384;
  fixture_t fx;
  setup(&fx, wt_module(wat, NULL, 0), &lim);
  lat_wasm_val_t a = {.type = LAT_I32}, res;
  a.of.i32 = 5000;
  lat_error_t err;
  CHECK_ST(lat_wasm_func_call(fx.s, fn(&fx, "big"), &a, 1, &res, 1, &err), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_STACK_EXHAUSTED);
  CHECK_EQ_STR(err.msg, "call stack exhausted");
  a.of.i32 = 10;
  CHECK_OK(lat_wasm_func_call(fx.s, fn(&fx, "big"), &a, 1, &res, 1, &err));
  teardown(&fx);
}

/* threads: one module, a store per thread, all racing to translate */
typedef struct {
  lat_wasm_module_t *m;
  int ok;
} worker_t;

static lat_status noop_host(lat_wasm_caller_t *c, void *env, uint64_t *slots) {
  (void)c;
  (void)env;
  (void)slots;
  return LAT_OK;
}

/* No CHECKs here: the checks run on the test's own thread. */
static void *worker(void *p) {
  worker_t *w = p;
  lat_wasm_store_t *st = NULL;
  lat_wasm_instance_t *in;
  lat_error_t err;
  uint8_t ti = LAT_I32;
  lat_wasm_functype_t ft = {1, 1, &ti, &ti};
  lat_wasm_func_t *h;
  if (lat_wasm_store_new(NULL, &st) ||
      lat_wasm_func_new_host(st, &ft, noop_host, NULL, &h))
    goto out;
  lat_wasm_extern_t imp = {.kind = LAT_EXTERN_FUNC, .of.func = h};
  if (lat_wasm_instance_new(st, w->m, &imp, 1, &in, &err)) goto out;
  lat_wasm_extern_t e1, e2;
  if (lat_wasm_instance_export(in, "count", 5, &e1) ||
      lat_wasm_instance_export(in, "rec", 3, &e2))
    goto out;
  uint32_t r1 = 0, r2 = 0;
  if (!wt_call1(st, e1.of.func, 500, &r1) && !wt_call1(st, e2.of.func, 500, &r2))
    w->ok = r1 == 500 && r2 == 500;
out:
  lat_wasm_store_free(st);
  return NULL;
}

TEST_IMPL(wasm_limits_threads_first_translation) {
  lat_wasm_module_t *m = wt_module(wat, NULL, 0); /* nothing translated yet */
  enum { NTHREADS = 4 };
  pthread_t th[NTHREADS];
  worker_t w[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    w[i] = (worker_t){m, 0};
    REQUIRE(pthread_create(&th[i], NULL, worker, &w[i]) == 0);
  }
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(th[i], NULL);
    CHECK(w[i].ok);
  }
  lat_wasm_module_release(m);
}
