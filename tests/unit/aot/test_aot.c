/* The compiled tier (src/aot) through the public API: the same results as
 * the interpreter, the explicit fallback for what it does not compile,
 * deadline / exact fuel / call depth, calls across tiers (an interpreted
 * instance's function as an import and in a table) and to host functions
 * (which see the caller's memory and may trap), and the memory cap.
 * SIMD has no test of its own here: the spec-aot suite runs the 58 SIMD
 * scripts compiled.  Objects are cached under $LATTICE_CACHE_DIR (tests/run_all.sh points it
 * into build/), so only a test's first run pays for gcc. */
#include "../wasm/wasm_test_util.h"
#include "aot/aot.h"

static const char *const wat =
    "(module"
    " (import \"h\" \"poke\" (func $poke (param i32) (result i32)))"
    " (import \"m\" \"twice\" (func $twice (param i32) (result i32)))"
    " (import \"m\" \"tab\" (table 2 funcref))"
    " (memory (export \"mem\") 1 10)"
    " (type $ii (func (param i32) (result i32)))"
    " (table $own 3 funcref)"
    " (elem (table $own) (i32.const 0) func $sq $fact)"
    " (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))"
    " (func $fact (export \"fact\") (param i32) (result i32)"
    "   (if (result i32) (i32.le_u (local.get 0) (i32.const 1)) (then (i32.const 1))"
    "     (else (i32.mul (local.get 0) (call $fact (i32.sub (local.get 0) (i32.const 1)))))))"
    " (func (export \"mix\") (param i32) (result i32) (local i32 i64 f64)"
    "   (local.set 1 (i32.const 0))"
    "   (block $out (loop $l"
    "     (br_if $out (i32.ge_u (local.get 1) (local.get 0)))"
    "     (i32.store (i32.mul (local.get 1) (i32.const 4)) (i32.xor (local.get 1) (i32.const 0x5a5a)))"
    "     (local.set 2 (i64.add (local.get 2) (i64.extend_i32_u"
    "        (i32.load (i32.mul (local.get 1) (i32.const 4))))))"
    "     (local.set 3 (f64.add (local.get 3) (f64.convert_i32_u (local.get 1))))"
    "     (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
    "     (br $l)))"
    "   (i32.add (i32.wrap_i64 (local.get 2)) (i32.trunc_f64_u (local.get 3))))"
    " (func (export \"ind\") (param i32 i32) (result i32)"
    "   (call_indirect $own (type $ii) (local.get 0) (local.get 1)))"
    " (func (export \"ind_import\") (param i32 i32) (result i32)"
    "   (call_indirect 0 (type $ii) (local.get 0) (local.get 1)))"
    " (func (export \"twice\") (param i32) (result i32) (call $twice (local.get 0)))"
    " (func (export \"poke\") (param i32) (result i32) (call $poke (local.get 0)))"
    " (func (export \"div\") (param i32) (result i32) (i32.div_s (i32.const 7) (local.get 0)))"
    " (func (export \"oob\") (param i32) (result i32) (i32.load (local.get 0)))"
    " (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
    " (func (export \"spin\") (param i32) (result i32) (loop (br 0)) (i32.const 0))"
    " (func (export \"count\") (param i32) (result i32) (local i32)"
    "   (loop (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
    "         (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))"
    "   (local.get 1))"
    " (func $rec (export \"rec\") (param i32) (result i32)"
    "   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
    "     (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))"
    ")";

/* the interpreted side: "twice" and a table holding it */
static const char *const wat_lib =
    "(module (func $t (export \"twice\") (param i32) (result i32)"
    "  (i32.mul (local.get 0) (i32.const 2)))"
    " (table (export \"tab\") 2 funcref) (elem (i32.const 1) $t))";

/* h.poke: writes its argument at address 100 of the caller's memory and
 * returns it plus one; traps on 13 */
static lat_status poke(lat_wasm_caller_t *c, void *env, uint64_t *slots) {
  (void)env;
  uint32_t v = (uint32_t)slots[0];
  if (v == 13) return lat_wasm_caller_trap(c, LAT_TRAP_HOST, 0, "unlucky");
  lat_wasm_memory_t *mem = lat_wasm_caller_memory(c, 0);
  if (!mem) return lat_wasm_caller_trap(c, LAT_TRAP_HOST, 0, "no memory");
  memcpy(lat_wasm_memory_data(mem) + 100, &v, 4);
  slots[0] = v + 1;
  return LAT_OK;
}

typedef struct {
  lat_wasm_store_t *s;
  lat_wasm_module_t *m, *lib;
  lat_wasm_instance_t *inst, *lib_inst;
} fx_t;

static void setup(fx_t *fx, bool compiled, const lat_wasm_limits_t *lim) {
  memset(fx, 0, sizeof *fx);
  REQUIRE_OK(lat_wasm_store_new(lim, &fx->s));
  fx->m = wt_module(wat, NULL, 0);
  fx->lib = wt_module(wat_lib, NULL, 0);
  if (compiled) {
    lat_error_t err;
    lat_error_clear(&err);
    lat_status st = lat_aot_load(fx->m, NULL, &err);
    if (st) fprintf(stderr, "  aot: %s\n", err.msg);
    REQUIRE_OK(st);
    REQUIRE(lat_aot_is_loaded(fx->m));
  }
  lat_error_t err;
  REQUIRE_OK(lat_wasm_instance_new(fx->s, fx->lib, NULL, 0, &fx->lib_inst, &err));
  uint8_t i32 = LAT_I32;
  lat_wasm_functype_t ft = {1, 1, &i32, &i32};
  lat_wasm_extern_t imp[3];
  imp[0].kind = LAT_EXTERN_FUNC;
  REQUIRE_OK(lat_wasm_func_new_host(fx->s, &ft, poke, NULL, &imp[0].of.func));
  REQUIRE_OK(lat_wasm_instance_export(fx->lib_inst, "twice", 5, &imp[1]));
  REQUIRE_OK(lat_wasm_instance_export(fx->lib_inst, "tab", 3, &imp[2]));
  REQUIRE_OK(lat_wasm_instance_new(fx->s, fx->m, imp, 3, &fx->inst, &err));
}

static void teardown(fx_t *fx) {
  lat_wasm_store_free(fx->s);
  lat_wasm_module_release(fx->m);
  lat_wasm_module_release(fx->lib);
}

static lat_status call2(fx_t *fx, const char *name, uint32_t a, uint32_t b, uint32_t *out) {
  lat_wasm_val_t args[2] = {{.type = LAT_I32}, {.type = LAT_I32}}, r = {.type = LAT_I32};
  args[0].of.i32 = a;
  args[1].of.i32 = b;
  lat_error_t err;
  lat_status st = lat_wasm_func_call(fx->s, wt_export_func(fx->inst, name), args, 2, &r, 1, &err);
  *out = r.of.i32;
  return st;
}

static uint32_t run1(fx_t *fx, const char *name, uint32_t arg, lat_status *st) {
  uint32_t r = 0;
  *st = wt_call1(fx->s, wt_export_func(fx->inst, name), arg, &r);
  return r;
}

TEST_IMPL(aot_results_match_interpreter) {
  static const struct {
    const char *f;
    uint32_t arg;
  } calls[] = {{"fact", 10}, {"mix", 0}, {"mix", 1000}, {"twice", 21}, {"poke", 41},
               {"div", 0},   {"div", 2}, {"oob", 0},    {"rec", 50}, {"oob", 65533}};
  fx_t a, b;
  setup(&a, false, NULL);
  setup(&b, true, NULL);
  for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
    lat_status sa, sb;
    uint32_t ra = run1(&a, calls[i].f, calls[i].arg, &sa);
    uint32_t rb = run1(&b, calls[i].f, calls[i].arg, &sb);
    CHECK_EQ_INT(sb, sa);
    if (sa == LAT_OK) CHECK_EQ_UINT(rb, ra);
    else CHECK_EQ_INT(lat_wasm_store_trap(b.s), lat_wasm_store_trap(a.s));
  }
  CHECK_EQ_INT(lat_wasm_store_trap(b.s), LAT_TRAP_MEMORY_OOB); /* the last trap: oob */
  uint32_t r = 0;
  /* call_indirect: own table (sq, fact, null), then out of range */
  for (uint32_t k = 0; k < 4; k++) {
    uint32_t ra = 0, rb = 0;
    lat_status sa = call2(&a, "ind", 5, k, &ra), sb = call2(&b, "ind", 5, k, &rb);
    CHECK_EQ_INT(sb, sa);
    if (!sa) CHECK_EQ_UINT(rb, ra);
    else CHECK_EQ_INT(lat_wasm_store_trap(b.s), lat_wasm_store_trap(a.s));
  }
  CHECK_OK(call2(&b, "ind", 5, 0, &r));
  CHECK_EQ_UINT(r, 25);
  teardown(&a);
  teardown(&b);
}

TEST_IMPL(aot_fallback_unsupported) {
  /* tail calls are not compiled: LAT_EUNSUPPORTED, and the module still
   * runs, interpreted */
  lat_wasm_module_t *m = wt_module(
      "(module (func $g (param i32) (result i32) (local.get 0))"
      " (func (export \"f\") (param i32) (result i32) (return_call $g (local.get 0))))",
      NULL, 0);
  lat_error_t err;
  lat_error_clear(&err);
  CHECK_ST(lat_aot_load(m, NULL, &err), LAT_EUNSUPPORTED);
  CHECK(strstr(err.msg, "not compiled") != NULL);
  CHECK(!lat_aot_is_loaded(m));
  lat_buf_t c;
  lat_buf_init(&c);
  CHECK_ST(lat_aot_emit_c(m, &c, &err), LAT_EUNSUPPORTED);
  lat_buf_fini(&c);
  lat_wasm_store_t *s;
  REQUIRE_OK(lat_wasm_store_new(NULL, &s));
  lat_wasm_instance_t *inst;
  REQUIRE_OK(lat_wasm_instance_new(s, m, NULL, 0, &inst, &err));
  uint32_t r = 0;
  CHECK_OK(wt_call1(s, wt_export_func(inst, "f"), 9, &r));
  CHECK_EQ_UINT(r, 9);
  lat_wasm_store_free(s);
  lat_wasm_module_release(m);
}

TEST_IMPL(aot_limits_deadline_fuel_depth) {
  lat_wasm_limits_t lim = {0};
  lim.max_call_depth = 1000;
  fx_t a, b;
  setup(&a, false, &lim);
  setup(&b, true, &lim);
  lat_status st;
  /* a deadline stops a compiled infinite loop */
  lat_wasm_store_set_deadline(b.s, lat_now_ns() + 50 * 1000000ull);
  run1(&b, "spin", 0, &st);
  CHECK_ST(st, LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(b.s), LAT_TRAP_DEADLINE);
  lat_wasm_store_set_deadline(b.s, 0);
  /* fuel: the same count in both tiers, exactly */
  lat_wasm_store_set_fuel(a.s, 10000);
  lat_wasm_store_set_fuel(b.s, 10000);
  CHECK_EQ_UINT(run1(&b, "count", 100, &st), 100);
  CHECK_OK(st);
  run1(&a, "count", 100, &st);
  CHECK_EQ_UINT(lat_wasm_store_fuel(b.s), 10000 - 100);
  CHECK_EQ_UINT(lat_wasm_store_fuel(b.s), lat_wasm_store_fuel(a.s));
  run1(&b, "fact", 10, &st);
  run1(&a, "fact", 10, &st);
  CHECK_EQ_UINT(lat_wasm_store_fuel(b.s), lat_wasm_store_fuel(a.s));
  run1(&b, "poke", 1, &st); /* a host call counts too */
  run1(&a, "poke", 1, &st);
  CHECK_EQ_UINT(lat_wasm_store_fuel(b.s), lat_wasm_store_fuel(a.s));
  run1(&b, "count", 100000, &st);
  CHECK_ST(st, LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(b.s), LAT_TRAP_OUT_OF_FUEL);
  CHECK_EQ_UINT(lat_wasm_store_fuel(b.s), 0);
  lat_wasm_store_set_fuel(b.s, 0);
  lat_wasm_store_set_fuel(a.s, 0);
  /* call depth: the same limit (1000 frames) as the interpreter */
  for (uint32_t n = 990; n < 1002; n++) {
    lat_status sa, sb;
    run1(&a, "rec", n, &sa);
    run1(&b, "rec", n, &sb);
    CHECK_EQ_INT(sb, sa);
  }
  run1(&b, "rec", 100000, &st);
  CHECK_ST(st, LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(b.s), LAT_TRAP_STACK_EXHAUSTED);
  CHECK_EQ_UINT(run1(&b, "rec", 10, &st), 10); /* usable afterwards */
  CHECK_OK(st);
  teardown(&a);
  teardown(&b);
}

TEST_IMPL(aot_mixing_tiers_and_host) {
  fx_t b;
  setup(&b, true, NULL);
  lat_status st;
  /* an interpreted instance's function, as an import and through its table */
  CHECK_EQ_UINT(run1(&b, "twice", 21, &st), 42);
  CHECK_OK(st);
  uint32_t r = 0;
  CHECK_OK(call2(&b, "ind_import", 8, 1, &r));
  CHECK_EQ_UINT(r, 16);
  CHECK_ST(call2(&b, "ind_import", 8, 0, &r), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(b.s), LAT_TRAP_UNINITIALIZED_ELEMENT);
  /* a host function sees the compiled caller's memory, and its trap comes out */
  CHECK_EQ_UINT(run1(&b, "poke", 77, &st), 78);
  CHECK_OK(st);
  lat_wasm_extern_t mem;
  REQUIRE_OK(lat_wasm_instance_export(b.inst, "mem", 3, &mem));
  uint32_t v;
  memcpy(&v, lat_wasm_memory_data(mem.of.memory) + 100, 4);
  CHECK_EQ_UINT(v, 77);
  run1(&b, "poke", 13, &st);
  CHECK_ST(st, LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(b.s), LAT_TRAP_HOST);
  teardown(&b);
}

TEST_IMPL(aot_memory_cap) {
  lat_wasm_limits_t lim = {0};
  lim.max_memory_bytes = 3 * LAT_WASM_PAGE_SIZE;
  fx_t b;
  setup(&b, true, &lim);
  lat_status st;
  CHECK_EQ_UINT(run1(&b, "grow", 2, &st), 1);
  CHECK_EQ_UINT(run1(&b, "grow", 1, &st), (uint32_t)-1); /* past the cap */
  CHECK_EQ_UINT(run1(&b, "oob", 3 * 65536 - 4, &st), 0); /* the grown pages are visible */
  CHECK_OK(st);
  run1(&b, "oob", 3 * 65536 - 3, &st);
  CHECK_ST(st, LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(b.s), LAT_TRAP_MEMORY_OOB);
  teardown(&b);
}

TEST_IMPL(aot_split_large_module) {
  /* more than 32 KiB of code is compiled in parts side by side
   * (aot_load.c): a chain of 400 functions, each calling the next directly
   * and through the table, gives the same result compiled */
  lat_buf_t w;
  lat_buf_init(&w);
  enum { N = 400 };
  REQUIRE_OK(lat_buf_printf(&w, "(module (type $t (func (param i32) (result i32)))"
                                " (table %d funcref) (memory 1)", N + 1));
  for (int i = 0; i < N; i++) {
    REQUIRE_OK(lat_buf_printf(
        &w, " (func $f%d (param i32) (result i32) (local i32)"
            "  (local.set 1 (i32.xor (i32.mul (local.get 0) (i32.const %d)) (i32.const 0x9e3779b9)))"
            "  (i32.store (i32.const %d) (i32.add (i32.load (i32.const %d)) (local.get 1)))"
            "  (local.set 1 (i32.add (local.get 1) (i32.rotl (local.get 1) (i32.const 7))))"
            "  (local.set 1 (i32.sub (local.get 1) (i32.shr_u (local.get 1) (i32.const 3))))"
            "  (local.set 1 (i32.add (local.get 1) (i32.div_u (local.get 1) (i32.const 13))))"
            "  (local.set 1 (i32.xor (local.get 1) (i32.mul (local.get 1) (i32.const 31))))"
            "  (local.set 1 (i32.add (local.get 1) (i32.clz (local.get 1))))"
            "  (local.set 1 (i32.add (local.get 1) (i32.popcnt (local.get 0))))",
        i, 2 * i + 1, (i % 64) * 4, (i % 64) * 4));
    if (i + 1 < N)
      REQUIRE_OK(lat_buf_printf(&w, "  (if (result i32) (i32.and (local.get 0) (i32.const 1))"
                                    "   (then (call $f%d (i32.add (local.get 1) (i32.const 1))))"
                                    "   (else (call_indirect (type $t) (local.get 1) (i32.const %d)))))",
                                i + 1, i + 1));
    else
      REQUIRE_OK(lat_buf_printf(&w, "  (local.get 1))"));
  }
  REQUIRE_OK(lat_buf_printf(&w, " (elem (i32.const 0)"));
  for (int i = 0; i < N; i++) REQUIRE_OK(lat_buf_printf(&w, " $f%d", i));
  REQUIRE_OK(lat_buf_printf(&w, ") (export \"f\" (func $f0))"
                                " (func (export \"sum\") (param i32) (result i32) (local i32)"
                                "  (loop (local.set 1 (i32.add (local.get 1) (i32.load (local.get 0))))"
                                "   (local.set 0 (i32.add (local.get 0) (i32.const 4)))"
                                "   (br_if 0 (i32.lt_u (local.get 0) (i32.const 256))))"
                                "  (local.get 1)))"));
  REQUIRE_OK(lat_buf_push(&w, 0));
  uint32_t r[2][4];
  for (int compiled = 0; compiled < 2; compiled++) {
    lat_wasm_module_t *m = wt_module((const char *)w.data, NULL, 0);
    if (compiled) {
      lat_error_t err;
      lat_error_clear(&err);
      lat_status st = lat_aot_load(m, NULL, &err);
      if (st) fprintf(stderr, "  aot: %s\n", err.msg);
      REQUIRE_OK(st);
    }
    lat_wasm_store_t *s;
    REQUIRE_OK(lat_wasm_store_new(NULL, &s));
    lat_wasm_instance_t *inst;
    lat_error_t err;
    REQUIRE_OK(lat_wasm_instance_new(s, m, NULL, 0, &inst, &err));
    for (uint32_t k = 0; k < 3; k++)
      CHECK_OK(wt_call1(s, wt_export_func(inst, "f"), k * 7919 + 3, &r[compiled][k]));
    CHECK_OK(wt_call1(s, wt_export_func(inst, "sum"), 0, &r[compiled][3]));
    lat_wasm_store_free(s);
    lat_wasm_module_release(m);
  }
  for (int k = 0; k < 4; k++) CHECK_EQ_UINT(r[1][k], r[0][k]);
  lat_buf_fini(&w);
}
