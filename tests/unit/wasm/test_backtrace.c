/* Backtraces at traps (lat_wasm_store_backtrace): the frames live when a
 * trap is raised, innermost first, with their names from the name section;
 * frames below a host function that traps; both runs' frames under host
 * re-entry; frames across instances; the 64-frame cap; clearing. */
#include "wasm_test_util.h"

/* function indices: 0 = the import, then one per definition */
static const char *const names[] = {"host", "deep_function", "middle_function",
                                    "outer_function", NULL, "via_host", "rec",
                                    "spin", "spin_caller"};

static const char *const wat =
    "(module"
    " (import \"h\" \"f\" (func $host (param i32) (result i32)))"
    " (func $deep (param i32) (result i32)"
    "   (if (local.get 0) (then unreachable)) (i32.const 1))"
    " (func $middle (param i32) (result i32)"
    "   (i32.add (call $deep (local.get 0)) (i32.const 1)))"
    " (func $outer (export \"outer\") (param i32) (result i32)"
    "   (i32.add (call $middle (local.get 0)) (i32.const 1)))"
    /* 4: unnamed, calls the host at depth 2 */
    " (func $unnamed (export \"unnamed\") (param i32) (result i32)"
    "   (call $via (local.get 0)))"
    " (func $via (param i32) (result i32) (call $host (local.get 0)))"
    " (func $rec (export \"rec\") (param i32) (result i32)"
    "   (call $rec (local.get 0)))"
    " (func $spin (loop (br 0)))"
    " (func (export \"spin\") (param i32) (result i32) (call $spin) (i32.const 0))"
    ")";

typedef struct {
  int mode;                /* what the host function does */
  lat_wasm_func_t *target; /* re-entry: the function it calls */
} host_env_t;

enum { H_OK, H_TRAP, H_PASS_ON, H_SWALLOW_THEN_TRAP };

static lat_status host_fn(lat_wasm_caller_t *c, void *env, uint64_t *slots) {
  host_env_t *h = env;
  lat_wasm_store_t *s = lat_wasm_caller_store(c);
  uint32_t r = 0;
  switch (h->mode) {
    case H_OK: return LAT_OK;
    case H_TRAP: return lat_wasm_caller_trap(c, LAT_TRAP_HOST, 0, "host says no");
    case H_PASS_ON: /* a nested call that traps; its trap goes on out */
      return wt_call1(s, h->target, (uint32_t)slots[0], &r);
    case H_SWALLOW_THEN_TRAP:
      (void)wt_call1(s, h->target, (uint32_t)slots[0], &r);
      return lat_wasm_caller_trap(c, LAT_TRAP_EXIT, 3, NULL);
  }
  return LAT_OK;
}

typedef struct {
  lat_wasm_store_t *s;
  lat_wasm_module_t *m;
  lat_wasm_instance_t *inst;
  host_env_t env;
} fixture_t;

static void setup(fixture_t *fx, const lat_wasm_limits_t *lim) {
  memset(fx, 0, sizeof *fx);
  fx->m = wt_module(wat, names, sizeof names / sizeof names[0]);
  REQUIRE_OK(lat_wasm_store_new(lim, &fx->s));
  uint8_t i32 = LAT_I32;
  lat_wasm_functype_t ft = {1, 1, &i32, &i32};
  lat_wasm_func_t *h;
  REQUIRE_OK(lat_wasm_func_new_host(fx->s, &ft, host_fn, &fx->env, &h));
  lat_wasm_extern_t imp = {.kind = LAT_EXTERN_FUNC, .of.func = h};
  lat_error_t err;
  REQUIRE_OK(lat_wasm_instance_new(fx->s, fx->m, &imp, 1, &fx->inst, &err));
}

static void teardown(fixture_t *fx) {
  lat_wasm_store_free(fx->s);
  lat_wasm_module_release(fx->m);
}

static const char *frame_name(const lat_wasm_frame_t *f) {
  static char buf[64];
  size_t len = 0;
  const char *n = lat_wasm_module_func_name(lat_wasm_instance_module(f->inst),
                                            f->func_index, &len);
  if (!n) return NULL;
  snprintf(buf, sizeof buf, "%.*s", (int)len, n);
  return buf;
}

TEST_IMPL(wasm_backtrace_three_deep) {
  fixture_t fx;
  setup(&fx, NULL);
  lat_wasm_frame_t fr[8];
  CHECK_EQ_UINT(lat_wasm_store_backtrace(fx.s, fr, 8), 0); /* nothing yet */
  uint32_t r = 0;
  CHECK_ST(wt_call1(fx.s, wt_export_func(fx.inst, "outer"), 1, &r), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_UNREACHABLE);
  size_t n = lat_wasm_store_backtrace(fx.s, fr, 8);
  REQUIRE(n == 3);
  static const char *const want[] = {"deep_function", "middle_function",
                                     "outer_function"};
  for (size_t i = 0; i < 3; i++) {
    CHECK_EQ_PTR(fr[i].inst, fx.inst);
    CHECK_EQ_UINT(fr[i].func_index, 1 + i);
    CHECK_EQ_STR(frame_name(&fr[i]), want[i]);
  }
  /* max bounds the copy; max 0 accepts NULL */
  lat_wasm_frame_t one[1];
  CHECK_EQ_UINT(lat_wasm_store_backtrace(fx.s, one, 1), 1);
  CHECK_EQ_UINT(one[0].func_index, 1);
  CHECK_EQ_UINT(lat_wasm_store_backtrace(fx.s, NULL, 0), 0);
  /* a call that returns normally clears it */
  CHECK_OK(wt_call1(fx.s, wt_export_func(fx.inst, "outer"), 0, &r));
  CHECK_EQ_UINT(r, 3);
  CHECK_EQ_UINT(lat_wasm_store_backtrace(fx.s, fr, 8), 0);
  teardown(&fx);
}

TEST_IMPL(wasm_backtrace_host_trap) {
  fixture_t fx;
  setup(&fx, NULL);
  fx.env.mode = H_TRAP;
  CHECK_ST(wt_call1(fx.s, wt_export_func(fx.inst, "unnamed"), 1, NULL), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_HOST);
  lat_wasm_frame_t fr[8];
  size_t n = lat_wasm_store_backtrace(fx.s, fr, 8);
  REQUIRE(n == 2); /* the wasm frames below the host function */
  CHECK_EQ_UINT(fr[0].func_index, 5);
  CHECK_EQ_STR(frame_name(&fr[0]), "via_host");
  CHECK_EQ_UINT(fr[1].func_index, 4);
  CHECK(frame_name(&fr[1]) == NULL); /* unnamed: printed as func[4] */
  teardown(&fx);
}

TEST_IMPL(wasm_backtrace_reentry) {
  fixture_t fx;
  setup(&fx, NULL);
  /* wasm -> host -> wasm that traps, passed on: both runs' frames */
  fx.env.mode = H_PASS_ON;
  fx.env.target = wt_export_func(fx.inst, "outer");
  CHECK_ST(wt_call1(fx.s, wt_export_func(fx.inst, "unnamed"), 1, NULL), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_UNREACHABLE);
  lat_wasm_frame_t fr[8];
  size_t n = lat_wasm_store_backtrace(fx.s, fr, 8);
  REQUIRE(n == 5);
  static const uint32_t want[] = {1, 2, 3, 5, 4};
  for (size_t i = 0; i < 5; i++) CHECK_EQ_UINT(fr[i].func_index, want[i]);

  /* the host swallows the nested trap and raises its own: only the frames
   * below the host */
  fx.env.mode = H_SWALLOW_THEN_TRAP;
  CHECK_ST(wt_call1(fx.s, wt_export_func(fx.inst, "unnamed"), 1, NULL), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_EXIT);
  n = lat_wasm_store_backtrace(fx.s, fr, 8);
  REQUIRE(n == 2);
  CHECK_EQ_UINT(fr[0].func_index, 5);
  CHECK_EQ_UINT(fr[1].func_index, 4);

  /* the nested call succeeds, then a host error (not LAT_TRAP) */
  fx.env.mode = H_PASS_ON;
  CHECK_OK(wt_call1(fx.s, wt_export_func(fx.inst, "unnamed"), 0, NULL));
  CHECK_EQ_UINT(lat_wasm_store_backtrace(fx.s, fr, 8), 0);
  teardown(&fx);
}

TEST_IMPL(wasm_backtrace_across_instances) {
  /* instance B's "outer" imported into A, which calls it at depth 2 */
  fixture_t b;
  setup(&b, NULL);
  static const char *const a_names[] = {"imported_outer", "a_caller", "a_entry"};
  lat_wasm_module_t *ma = wt_module(
      "(module"
      " (import \"b\" \"outer\" (func $o (param i32) (result i32)))"
      " (func $c (param i32) (result i32) (call $o (local.get 0)))"
      " (func (export \"entry\") (param i32) (result i32) (call $c (local.get 0))))",
      a_names, 3);
  lat_wasm_extern_t imp = {.kind = LAT_EXTERN_FUNC,
                           .of.func = wt_export_func(b.inst, "outer")};
  lat_wasm_instance_t *ia;
  lat_error_t err;
  REQUIRE_OK(lat_wasm_instance_new(b.s, ma, &imp, 1, &ia, &err));
  CHECK_ST(wt_call1(b.s, wt_export_func(ia, "entry"), 1, NULL), LAT_TRAP);
  lat_wasm_frame_t fr[8];
  size_t n = lat_wasm_store_backtrace(b.s, fr, 8);
  REQUIRE(n == 5);
  static const char *const want[] = {"deep_function", "middle_function",
                                     "outer_function", "a_caller", "a_entry"};
  for (size_t i = 0; i < 5; i++) {
    CHECK_EQ_PTR(fr[i].inst, i < 3 ? b.inst : ia);
    CHECK_EQ_STR(frame_name(&fr[i]), want[i]);
  }
  lat_wasm_module_release(ma);
  teardown(&b);
}

TEST_IMPL(wasm_backtrace_cap_and_limits) {
  lat_wasm_limits_t lim = {0};
  lim.max_call_depth = 500;
  fixture_t fx;
  setup(&fx, &lim);
  /* runaway recursion: the innermost LAT_WASM_BACKTRACE_MAX frames */
  CHECK_ST(wt_call1(fx.s, wt_export_func(fx.inst, "rec"), 0, NULL), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_STACK_EXHAUSTED);
  lat_wasm_frame_t fr[LAT_WASM_BACKTRACE_MAX + 8];
  size_t n = lat_wasm_store_backtrace(fx.s, fr, LAT_WASM_BACKTRACE_MAX + 8);
  CHECK_EQ_UINT(n, LAT_WASM_BACKTRACE_MAX);
  for (size_t i = 0; i < n; i++) CHECK_EQ_UINT(fr[i].func_index, 6);
  /* out of fuel in a loop: the looping function, then its caller */
  lat_wasm_store_set_fuel(fx.s, 1000);
  CHECK_ST(wt_call1(fx.s, wt_export_func(fx.inst, "spin"), 0, NULL), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(fx.s), LAT_TRAP_OUT_OF_FUEL);
  n = lat_wasm_store_backtrace(fx.s, fr, 8);
  REQUIRE(n == 2);
  CHECK_EQ_STR(frame_name(&fr[0]), "spin");
  CHECK_EQ_STR(frame_name(&fr[1]), "spin_caller");
  teardown(&fx);
}

TEST_IMPL(wasm_backtrace_instantiation) {
  /* a trap outside any wasm frame (an active segment out of bounds) has
   * no frames, even right after one that had */
  fixture_t fx;
  setup(&fx, NULL);
  CHECK_ST(wt_call1(fx.s, wt_export_func(fx.inst, "outer"), 1, NULL), LAT_TRAP);
  lat_wasm_frame_t fr[8];
  CHECK_EQ_UINT(lat_wasm_store_backtrace(fx.s, fr, 8), 3);
  lat_wasm_module_t *m2 =
      wt_module("(module (memory 1) (data (i32.const 65535) \"ab\"))", NULL, 0);
  lat_wasm_instance_t *i2;
  lat_error_t err;
  CHECK_ST(lat_wasm_instance_new(fx.s, m2, NULL, 0, &i2, &err), LAT_TRAP);
  CHECK_EQ_UINT(lat_wasm_store_backtrace(fx.s, fr, 8), 0);
  /* a start function that traps: its frames */
  lat_wasm_module_t *m3 = wt_module(
      "(module (func $f unreachable) (func $start call $f) (start $start))",
      (const char *const[]){"f", "start"}, 2);
  CHECK_ST(lat_wasm_instance_new(fx.s, m3, NULL, 0, &i2, &err), LAT_TRAP);
  REQUIRE(lat_wasm_store_backtrace(fx.s, fr, 8) == 2);
  CHECK_EQ_STR(frame_name(&fr[0]), "f");
  CHECK_EQ_STR(frame_name(&fr[1]), "start");
  lat_wasm_module_release(m2);
  lat_wasm_module_release(m3);
  teardown(&fx);
}
