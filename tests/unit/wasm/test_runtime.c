/* Instantiation: the copy-on-write memory image (wasm_module.c) against the
 * per-segment path it replaces.  Each test checks the memory a guest sees
 * (contents, privacy between instances, growth past the image) or that a
 * module the image must not cover still behaves as the spec says (a segment
 * out of bounds traps with the earlier ones applied; an element segment that
 * traps leaves the data segments unapplied; offsets from imported globals).
 * Timing is measured outside the tests (see the commit messages). */
#include <pthread.h>

#include "wasm_test_util.h"

static lat_wasm_memory_t *export_mem(lat_wasm_instance_t *inst) {
  lat_wasm_extern_t e;
  REQUIRE_OK(lat_wasm_instance_export(inst, "mem", 3, &e));
  REQUIRE(e.kind == LAT_EXTERN_MEMORY);
  return e.of.memory;
}

/* Two pages; segments crossing a host page and a wasm page, overlapping
 * (the later wins), at the very end, empty, and one passive. */
static const char *const image_wat =
    "(module"
    " (memory (export \"mem\") 2 3)"
    " (data (i32.const 0) \"head\")"
    " (data (i32.const 4094) \"crossing\")"
    " (data (i32.const 65534) \"wasmpage\")"
    " (data (i32.const 1) \"XY\")"
    " (data (i32.const 131068) \"tail\")"
    " (data (i32.const 9000) \"\")"
    " (data $p \"passive\")"
    " (func (export \"init\") (param i32)"
    "   (memory.init $p (local.get 0) (i32.const 0) (i32.const 7)))"
    " (func (export \"store\") (param i32) (i32.store8 (local.get 0) (i32.const 33)))"
    " (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
    ")";

static void check_image(lat_wasm_memory_t *mem) {
  const uint8_t *d = lat_wasm_memory_data(mem);
  CHECK_EQ_UINT(lat_wasm_memory_size(mem), 2 * 65536);
  CHECK_EQ_MEM(d, "hXYd", 4);
  CHECK_EQ_MEM(d + 4094, "crossing", 8);
  CHECK_EQ_MEM(d + 65534, "wasmpage", 8);
  CHECK_EQ_MEM(d + 131068, "tail", 4);
  CHECK_EQ_UINT(d[4], 0);
  CHECK_EQ_UINT(d[9000], 0);
  CHECK_EQ_UINT(d[100000], 0);
}

TEST_IMPL(wasm_runtime_image_contents) {
  lat_wasm_module_t *m = wt_module(image_wat, NULL, 0);
  lat_wasm_store_t *s1, *s2;
  lat_wasm_instance_t *a, *b, *c;
  lat_error_t err;
  REQUIRE_OK(lat_wasm_store_new(NULL, &s1));
  REQUIRE_OK(lat_wasm_store_new(NULL, &s2));
  REQUIRE_OK(lat_wasm_instance_new(s1, m, NULL, 0, &a, &err));
  REQUIRE_OK(lat_wasm_instance_new(s1, m, NULL, 0, &b, &err));
  REQUIRE_OK(lat_wasm_instance_new(s2, m, NULL, 0, &c, &err));
  check_image(export_mem(a));
  /* writes are private to the instance that makes them */
  CHECK_OK(wt_call1(s1, wt_export_func(a, "store"), 4095, NULL));
  CHECK_OK(wt_call1(s1, wt_export_func(a, "store"), 0, NULL));
  lat_wasm_memory_data(export_mem(a))[5] = 7; /* a host write too */
  CHECK_EQ_MEM(lat_wasm_memory_data(export_mem(a)), "!XYd", 4);
  CHECK_EQ_MEM(lat_wasm_memory_data(export_mem(a)) + 4094, "c!ossing", 8);
  check_image(export_mem(b));
  check_image(export_mem(c));
  /* the passive segment is still there; the active ones are dropped */
  CHECK_OK(wt_call1(s2, wt_export_func(c, "init"), 200, NULL));
  CHECK_EQ_MEM(lat_wasm_memory_data(export_mem(c)) + 200, "passive", 7);
  /* growth past the image gives zeroed pages */
  uint32_t old = 0;
  CHECK_OK(wt_call1(s1, wt_export_func(b, "grow"), 1, &old));
  CHECK_EQ_UINT(old, 2);
  CHECK_EQ_UINT(lat_wasm_memory_data(export_mem(b))[2 * 65536 + 5], 0);
  CHECK_EQ_MEM(lat_wasm_memory_data(export_mem(b)) + 131068, "tail", 4);
  lat_wasm_store_free(s1);
  /* a new instance after the others are gone still starts from the image */
  REQUIRE_OK(lat_wasm_instance_new(s2, m, NULL, 0, &a, &err));
  check_image(export_mem(a));
  lat_wasm_store_free(s2);
  lat_wasm_module_release(m);
}

/* The second segment does not fit: the first is applied, then it traps
 * (linking.wast's rule), every time the module is instantiated. */
TEST_IMPL(wasm_runtime_image_oob_keeps_earlier) {
  lat_wasm_module_t *m = wt_module(
      "(module (memory (export \"mem\") 1)"
      " (data (i32.const 10) \"abc\") (data (i32.const 65535) \"de\")"
      " (data (i32.const 20) \"never\"))",
      NULL, 0);
  for (int k = 0; k < 2; k++) {
    lat_wasm_store_t *s;
    lat_wasm_instance_t *inst = NULL;
    lat_error_t err;
    REQUIRE_OK(lat_wasm_store_new(NULL, &s));
    CHECK_ST(lat_wasm_instance_new(s, m, NULL, 0, &inst, &err), LAT_TRAP);
    CHECK_EQ_INT(lat_wasm_store_trap(s), LAT_TRAP_MEMORY_OOB);
    REQUIRE(inst != NULL);
    const uint8_t *d = lat_wasm_memory_data(export_mem(inst));
    CHECK_EQ_MEM(d + 10, "abc", 3);
    CHECK_EQ_UINT(d[20], 0);
    lat_wasm_store_free(s);
  }
  lat_wasm_module_release(m);
}

/* An element segment that traps comes before the data segments: none of
 * them is applied, image or not. */
TEST_IMPL(wasm_runtime_image_after_elem_trap) {
  lat_wasm_module_t *m = wt_module(
      "(module (memory (export \"mem\") 1) (table 1 funcref) (func $f)"
      " (elem (i32.const 1) $f)"
      " (data (i32.const 0) \"data\"))",
      NULL, 0);
  lat_wasm_store_t *s;
  lat_wasm_instance_t *inst = NULL;
  lat_error_t err;
  REQUIRE_OK(lat_wasm_store_new(NULL, &s));
  CHECK_ST(lat_wasm_instance_new(s, m, NULL, 0, &inst, &err), LAT_TRAP);
  CHECK_EQ_INT(lat_wasm_store_trap(s), LAT_TRAP_TABLE_OOB);
  REQUIRE(inst != NULL);
  CHECK_EQ_MEM(lat_wasm_memory_data(export_mem(inst)), "\0\0\0\0", 4);
  lat_wasm_store_free(s);
  lat_wasm_module_release(m);
}

/* Offsets from an imported global and an imported memory: the per-segment
 * path, with the same results. */
TEST_IMPL(wasm_runtime_image_not_constant) {
  lat_wasm_module_t *m = wt_module(
      "(module (import \"h\" \"g\" (global i32))"
      " (memory (export \"mem\") 1)"
      " (data (i32.const 0) \"zero\") (data (global.get 0) \"glob\"))",
      NULL, 0);
  lat_wasm_module_t *mi = wt_module(
      "(module (import \"h\" \"m\" (memory 1)) (data (i32.const 8) \"imported\"))",
      NULL, 0);
  lat_wasm_store_t *s;
  lat_wasm_instance_t *inst, *inst2;
  lat_error_t err;
  REQUIRE_OK(lat_wasm_store_new(NULL, &s));
  for (uint32_t off = 100; off <= 200; off += 100) {
    lat_wasm_globaltype_t gt = {LAT_I32, false};
    lat_wasm_val_t v = {.type = LAT_I32};
    v.of.i32 = off;
    lat_wasm_extern_t imp = {.kind = LAT_EXTERN_GLOBAL};
    REQUIRE_OK(lat_wasm_global_new(s, &gt, &v, &imp.of.global));
    REQUIRE_OK(lat_wasm_instance_new(s, m, &imp, 1, &inst, &err));
    const uint8_t *d = lat_wasm_memory_data(export_mem(inst));
    CHECK_EQ_MEM(d, "zero", 4);
    CHECK_EQ_MEM(d + off, "glob", 4);
    lat_wasm_extern_t memimp = {.kind = LAT_EXTERN_MEMORY};
    memimp.of.memory = export_mem(inst);
    REQUIRE_OK(lat_wasm_instance_new(s, mi, &memimp, 1, &inst2, &err));
    CHECK_EQ_MEM(d + 8, "imported", 8); /* written into the shared memory */
  }
  lat_wasm_store_free(s);
  lat_wasm_module_release(mi);
  lat_wasm_module_release(m);
}

/* Threads race on the module's first instantiation (which builds the
 * image); each sees the whole image.  Run under TSan/ASan in CI. */
static void *race(void *arg) {
  lat_wasm_module_t *m = arg;
  for (int k = 0; k < 20; k++) {
    lat_wasm_store_t *s;
    lat_wasm_instance_t *inst;
    lat_error_t err;
    if (lat_wasm_store_new(NULL, &s)) return "store";
    if (lat_wasm_instance_new(s, m, NULL, 0, &inst, &err)) return "instance";
    check_image(export_mem(inst));
    lat_wasm_store_free(s);
  }
  return NULL;
}

TEST_IMPL(wasm_runtime_image_threads) {
  lat_wasm_module_t *m = wt_module(image_wat, NULL, 0);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) REQUIRE(pthread_create(&t[i], NULL, race, m) == 0);
  for (int i = 0; i < 4; i++) {
    void *r;
    pthread_join(t[i], &r);
    CHECK(r == NULL);
  }
  lat_wasm_module_release(m);
}

/* The start function runs after the image is in place and writes to it; a
 * store that never calls wasm still frees cleanly (no value stack). */
TEST_IMPL(wasm_runtime_start_sees_image) {
  lat_wasm_module_t *m = wt_module(
      "(module (memory (export \"mem\") 1) (data (i32.const 0) \"\\05\")"
      " (func $s (i32.store8 (i32.const 1) (i32.add (i32.load8_u (i32.const 0))"
      "   (i32.const 1)))) (start $s))",
      NULL, 0);
  lat_wasm_store_t *s;
  lat_wasm_instance_t *inst;
  lat_error_t err;
  REQUIRE_OK(lat_wasm_store_new(NULL, &s));
  REQUIRE_OK(lat_wasm_instance_new(s, m, NULL, 0, &inst, &err));
  CHECK_EQ_MEM(lat_wasm_memory_data(export_mem(inst)), "\5\6", 2);
  lat_wasm_store_free(s);
  REQUIRE_OK(lat_wasm_store_new(NULL, &s));
  lat_wasm_store_free(s);
  lat_wasm_module_release(m);
}

/* Stores sharing a pool get reused regions that look new: the image again
 * (not the last instance's writes), the minimum size again (not the grown
 * one), zeroed pages past it, and a working value stack. */
TEST_IMPL(wasm_runtime_pool_reuse) {
  lat_wasm_module_t *m = wt_module(image_wat, NULL, 0);
  lat_wasm_limits_t lim = {0};
  REQUIRE_OK(lat_wasm_pool_new(4, &lim.pool));
  for (int k = 0; k < 3; k++) {
    lat_wasm_store_t *s;
    lat_wasm_instance_t *inst;
    lat_error_t err;
    REQUIRE_OK(lat_wasm_store_new(&lim, &s));
    REQUIRE_OK(lat_wasm_instance_new(s, m, NULL, 0, &inst, &err));
    lat_wasm_memory_t *mem = export_mem(inst);
    check_image(mem);
    uint32_t old = 0;
    CHECK_OK(wt_call1(s, wt_export_func(inst, "store"), 4095, NULL));
    CHECK_OK(wt_call1(s, wt_export_func(inst, "grow"), 1, &old));
    CHECK_EQ_UINT(old, 2);
    uint8_t *d = lat_wasm_memory_data(mem);
    CHECK_EQ_UINT(d[3 * 65536 - 1], 0);
    memset(d + 2 * 65536, 0x5a, 65536);
    memset(d + 20000, 0x5a, 100);
    /* a memory made by the host takes a region of the same size too */
    lat_wasm_memtype_t mt = {.min = 1, .max = 3, .has_max = true};
    lat_wasm_memory_t *hm;
    REQUIRE_OK(lat_wasm_memory_new(s, &mt, &hm, &err));
    CHECK_EQ_UINT(lat_wasm_memory_size(hm), 65536);
    CHECK_EQ_UINT(lat_wasm_memory_data(hm)[100], 0);
    CHECK_EQ_UINT(lat_wasm_memory_data(hm)[20000], 0);
    lat_wasm_memory_data(hm)[100] = 1;
    lat_wasm_store_free(s);
    CHECK_EQ_UINT(lat_wasm_pool_count(lim.pool), 3); /* 2 memories, 1 stack */
  }
  lat_wasm_pool_free(lim.pool);
  lat_wasm_module_release(m);
}

/* A full pool unmaps what it cannot keep; an empty one maps anew. */
TEST_IMPL(wasm_runtime_pool_cap) {
  lat_wasm_module_t *m = wt_module(image_wat, NULL, 0);
  lat_wasm_limits_t lim = {0};
  REQUIRE_OK(lat_wasm_pool_new(1, &lim.pool));
  lat_wasm_store_t *s[3];
  lat_wasm_instance_t *inst;
  lat_error_t err;
  for (int k = 0; k < 3; k++) {
    REQUIRE_OK(lat_wasm_store_new(&lim, &s[k]));
    REQUIRE_OK(lat_wasm_instance_new(s[k], m, NULL, 0, &inst, &err));
    CHECK_OK(wt_call1(s[k], wt_export_func(inst, "store"), 0, NULL));
  }
  for (int k = 0; k < 3; k++) lat_wasm_store_free(s[k]);
  CHECK_EQ_UINT(lat_wasm_pool_count(lim.pool), 1);
  lat_wasm_pool_free(lim.pool);
  lat_wasm_pool_free(NULL);
  lat_wasm_module_release(m);
}

typedef struct {
  lat_wasm_module_t *m;
  lat_wasm_limits_t *lim;
} pool_arg_t;

static void *pool_race(void *arg) {
  pool_arg_t *a = arg;
  for (int k = 0; k < 50; k++) {
    lat_wasm_store_t *s;
    lat_wasm_instance_t *inst;
    lat_error_t err;
    if (lat_wasm_store_new(a->lim, &s)) return "store";
    if (lat_wasm_instance_new(s, a->m, NULL, 0, &inst, &err)) return "instance";
    check_image(export_mem(inst));
    if (wt_call1(s, wt_export_func(inst, "store"), 0, NULL)) return "call";
    lat_wasm_store_free(s);
  }
  return NULL;
}

/* Threads share one pool (its mutex) and one module. */
TEST_IMPL(wasm_runtime_pool_threads) {
  lat_wasm_limits_t lim = {0};
  REQUIRE_OK(lat_wasm_pool_new(0, &lim.pool));
  pool_arg_t a = {wt_module(image_wat, NULL, 0), &lim};
  pthread_t t[4];
  for (int i = 0; i < 4; i++) REQUIRE(pthread_create(&t[i], NULL, pool_race, &a) == 0);
  for (int i = 0; i < 4; i++) {
    void *r;
    pthread_join(t[i], &r);
    CHECK(r == NULL);
  }
  CHECK(lat_wasm_pool_count(lim.pool) <= 8);
  lat_wasm_pool_free(lim.pool);
  lat_wasm_module_release(a.m);
}

/* A pooled region keeps its module's image: an element segment that traps
 * (the imported table is too small this time) must still leave the data
 * segments unapplied, and the next instance must see the image again. */
TEST_IMPL(wasm_runtime_pool_elem_trap) {
  lat_wasm_module_t *m = wt_module(
      "(module (import \"h\" \"t\" (table 0 funcref))"
      " (memory (export \"mem\") 1) (func $f)"
      " (elem (i32.const 1) $f) (data (i32.const 8) \"data\"))",
      NULL, 0);
  lat_wasm_limits_t lim = {0};
  REQUIRE_OK(lat_wasm_pool_new(0, &lim.pool));
  uint32_t sizes[] = {2, 2, 0, 2, 0, 0, 2};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    lat_wasm_store_t *s;
    lat_wasm_instance_t *inst = NULL;
    lat_error_t err;
    REQUIRE_OK(lat_wasm_store_new(&lim, &s));
    lat_wasm_tabletype_t tt = {.elem = LAT_FUNCREF, .min = sizes[k]};
    lat_wasm_extern_t imp = {.kind = LAT_EXTERN_TABLE};
    REQUIRE_OK(lat_wasm_table_new(s, &tt, NULL, &imp.of.table, &err));
    lat_status st = lat_wasm_instance_new(s, m, &imp, 1, &inst, &err);
    REQUIRE(inst != NULL);
    const uint8_t *d = lat_wasm_memory_data(export_mem(inst));
    if (sizes[k]) {
      CHECK_OK(st);
      CHECK_EQ_MEM(d + 8, "data", 4);
    } else {
      CHECK_ST(st, LAT_TRAP);
      CHECK_EQ_MEM(d + 8, "\0\0\0\0", 4);
    }
    lat_wasm_store_free(s);
  }
  lat_wasm_pool_free(lim.pool);
  lat_wasm_module_release(m);
}

/* Modules of the same memory size take turns on one pool's regions: each
 * instance sees its own module's image (or zeros), never another's. */
TEST_IMPL(wasm_runtime_pool_mixed_modules) {
  lat_wasm_module_t *ms[3] = {
      wt_module("(module (memory (export \"mem\") 1) (data (i32.const 16) \"AAAA\"))", NULL, 0),
      wt_module("(module (memory (export \"mem\") 1) (data (i32.const 16) \"BB\"))", NULL, 0),
      wt_module("(module (memory (export \"mem\") 1))", NULL, 0),
  };
  static const char *const want[3] = {"AAAA", "BB\0\0", "\0\0\0\0"};
  lat_wasm_limits_t lim = {0};
  REQUIRE_OK(lat_wasm_pool_new(2, &lim.pool));
  for (int k = 0; k < 30; k++) {
    int a = k % 3, b = (k * 7 + 1) % 3;
    lat_wasm_store_t *s;
    lat_wasm_instance_t *ia, *ib;
    lat_error_t err;
    REQUIRE_OK(lat_wasm_store_new(&lim, &s));
    REQUIRE_OK(lat_wasm_instance_new(s, ms[a], NULL, 0, &ia, &err));
    REQUIRE_OK(lat_wasm_instance_new(s, ms[b], NULL, 0, &ib, &err));
    CHECK_EQ_MEM(lat_wasm_memory_data(export_mem(ia)) + 16, want[a], 4);
    CHECK_EQ_MEM(lat_wasm_memory_data(export_mem(ib)) + 16, want[b], 4);
    memset(lat_wasm_memory_data(export_mem(ia)), 0x77, 64);
    lat_wasm_store_free(s);
  }
  lat_wasm_pool_free(lim.pool);
  for (int i = 0; i < 3; i++) lat_wasm_module_release(ms[i]);
}

/* A small memory goes back to the pool by memset with its grown pages kept
 * writable (wasm_runtime.c): the next instance must see its own image and
 * zeros elsewhere, its own size (accesses past it trap even though the
 * region's pages are writable), zeroed pages when it grows into the kept
 * part, and growth past the kept part still working. */
TEST_IMPL(wasm_runtime_pool_small_memory) {
  lat_wasm_module_t *m = wt_module(
      "(module (memory (export \"mem\") 1 5)"
      " (data (i32.const 100) \"small\") (data (i32.const 40000) \"image\")"
      " (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))"
      " (func (export \"load\") (param i32) (result i32) (i32.load8_u (local.get 0)))"
      " (func (export \"fill\") (param i32)"
      "   (memory.fill (i32.const 0) (i32.const 0x5a) (local.get 0))))",
      NULL, 0);
  lat_wasm_limits_t lim = {0};
  REQUIRE_OK(lat_wasm_pool_new(4, &lim.pool));
  for (int k = 0; k < 4; k++) {
    lat_wasm_store_t *s;
    lat_wasm_instance_t *inst;
    lat_error_t err;
    REQUIRE_OK(lat_wasm_store_new(&lim, &s));
    REQUIRE_OK(lat_wasm_instance_new(s, m, NULL, 0, &inst, &err));
    lat_wasm_memory_t *mem = export_mem(inst);
    const uint8_t *d = lat_wasm_memory_data(mem);
    CHECK_EQ_UINT(lat_wasm_memory_size(mem), 65536);
    CHECK_EQ_MEM(d + 100, "small", 5);
    CHECK_EQ_MEM(d + 40000, "image", 5);
    CHECK_EQ_UINT(d[0], 0);
    CHECK_EQ_UINT(d[65535], 0);
    uint32_t v = 0;
    CHECK_ST(wt_call1(s, wt_export_func(inst, "load"), 65536, &v), LAT_TRAP);
    uint32_t old = 0;
    CHECK_OK(wt_call1(s, wt_export_func(inst, "grow"), 2, &old));
    CHECK_EQ_UINT(old, 1);
    CHECK_OK(wt_call1(s, wt_export_func(inst, "load"), 3 * 65536 - 1, &v));
    CHECK_EQ_UINT(v, 0);
    CHECK_ST(wt_call1(s, wt_export_func(inst, "load"), 3 * 65536, &v), LAT_TRAP);
    if (k == 3) { /* past the kept pages, then past the maximum */
      CHECK_OK(wt_call1(s, wt_export_func(inst, "grow"), 2, &old));
      CHECK_EQ_UINT(old, 3);
      CHECK_OK(wt_call1(s, wt_export_func(inst, "load"), 5 * 65536 - 1, &v));
      CHECK_EQ_UINT(v, 0);
      CHECK_OK(wt_call1(s, wt_export_func(inst, "grow"), 1, &old));
      CHECK_EQ_UINT(old, (uint32_t)-1);
    }
    /* dirty every page the guest can see before giving it back */
    CHECK_OK(wt_call1(s, wt_export_func(inst, "fill"),
                      (uint32_t)lat_wasm_memory_size(mem), NULL));
    lat_wasm_store_free(s);
  }
  lat_wasm_pool_free(lim.pool);
  lat_wasm_module_release(m);
}
