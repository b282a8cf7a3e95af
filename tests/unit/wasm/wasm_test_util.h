/* wasm_test_util.h: helpers shared by the engine's unit tests: a module from
 * WAT text (with an optional "name" section, which the WAT encoder does not
 * write), instances, exports and one-i32 calls. */
#ifndef LAT_WASM_TEST_UTIL_H
#define LAT_WASM_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "test.h"
#include "wasm/wasm.h"

/* Appends a "name" custom section naming functions names[i] = index i
 * (NULL entries are left unnamed). */
static inline lat_status wt_append_names(lat_buf_t *bin, const char *const *names,
                                         uint32_t n) {
  lat_buf_t sub, sec;
  lat_buf_init(&sub);
  lat_buf_init(&sec);
  uint32_t count = 0;
  for (uint32_t i = 0; i < n; i++) count += names[i] != NULL;
  lat_status st = lat_buf_write_uleb(&sub, count);
  for (uint32_t i = 0; i < n && !st; i++) {
    if (!names[i]) continue;
    size_t len = strlen(names[i]);
    if (!st) st = lat_buf_write_uleb(&sub, i);
    if (!st) st = lat_buf_write_uleb(&sub, len);
    if (!st) st = lat_buf_append(&sub, names[i], len);
  }
  if (!st) st = lat_buf_write_uleb(&sec, 4);
  if (!st) st = lat_buf_append(&sec, "name", 4);
  if (!st) st = lat_buf_push(&sec, 1); /* subsection: function names */
  if (!st) st = lat_buf_write_uleb(&sec, sub.len);
  if (!st) st = lat_buf_append(&sec, sub.data, sub.len);
  if (!st) st = lat_buf_push(bin, 0); /* custom section */
  if (!st) st = lat_buf_write_uleb(bin, sec.len);
  if (!st) st = lat_buf_append(bin, sec.data, sec.len);
  lat_buf_fini(&sub);
  lat_buf_fini(&sec);
  return st;
}

/* A validated module from WAT text; names as for wt_append_names (may be
 * NULL).  Ends the test on failure. */
static inline lat_wasm_module_t *wt_module(const char *wat, const char *const *names,
                                           uint32_t nnames) {
  lat_buf_t bin;
  lat_buf_init(&bin);
  lat_error_t err;
  lat_error_clear(&err);
  lat_status st = lat_wat_to_wasm(wat, strlen(wat), &bin, &err);
  if (st) fprintf(stderr, "  wat: %s\n", err.msg);
  REQUIRE_OK(st);
  if (names) REQUIRE_OK(wt_append_names(&bin, names, nnames));
  lat_wasm_module_t *m = NULL;
  st = lat_wasm_module_new(bin.data, bin.len, &m, &err);
  if (st) fprintf(stderr, "  module: %s\n", err.msg);
  lat_buf_fini(&bin);
  REQUIRE_OK(st);
  return m;
}

static inline lat_wasm_func_t *wt_export_func(lat_wasm_instance_t *inst,
                                              const char *name) {
  lat_wasm_extern_t e;
  REQUIRE_OK(lat_wasm_instance_export(inst, name, strlen(name), &e));
  REQUIRE(e.kind == LAT_EXTERN_FUNC);
  return e.of.func;
}

/* Calls f (i32 -> i32 or () -> (), by its type) with arg; the result goes
 * to *out when f has one and out is not NULL. */
static inline lat_status wt_call1(lat_wasm_store_t *s, lat_wasm_func_t *f,
                                  uint32_t arg, uint32_t *out) {
  lat_wasm_val_t a = {.type = LAT_I32}, r = {.type = LAT_I32};
  a.of.i32 = arg;
  lat_error_t err;
  const lat_wasm_functype_t *t = lat_wasm_func_type(f);
  lat_status st = lat_wasm_func_call(s, f, &a, t->nparams, &r, t->nresults, &err);
  if (out && t->nresults) *out = r.of.i32;
  return st;
}

#endif
