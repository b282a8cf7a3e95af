/* cli_wast.c: `lattice wast FILE...`, the spec-test runner.
 *
 * Like `wasmtime wast`: each file gets a fresh store holding the `spectest`
 * host objects (print functions, four globals, a table and a memory), the
 * instances the script creates, and a registry of names given by
 * `(register ...)`.  Commands run in order as the script reader yields them;
 * every command counts as one pass or one failure.  A failure never stops
 * the file: a module that fails to instantiate just leaves no current
 * module, and the next command that needs one fails on its own.
 *
 * Only wasm.h (and the script reader in wasm_text.h) is used, so the runner
 * tests the engine through the same API a host has.  Expected messages are
 * checked like the reference interpreter does: the engine's message must
 * start with the expected text.  Text-level failures of `module quote` in
 * assert_malformed only need to fail: our parser's wording is not the
 * reference parser's.
 *
 * Every command gets a fresh deadline on the store (default 10 s), so a
 * runaway loop costs one failure rather than the whole run.
 *
 * Features.  A script runs with every WebAssembly feature the engine has
 * on (the 3.0 suite uses them all), except a script in a directory named
 * 2.0 (or 1.0): that runs with 2.0's, because 3.0 changed what some 2.0
 * scripts assert (a second memory, a memory-index byte that is not zero,
 * a defined global in a constant expression were errors in 2.0).  This is
 * what wasmtime's own spec-test harness does, choosing features by the
 * suite's directory.  `--wasm NAME[=y|n]` switches one on top, for every
 * file.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../wasm/wasm_text.h"
#include "../aot/aot.h"
#include "cli.h"

#define DEFAULT_TIMEOUT_NS (10ull * 1000000000ull)
#define QUIET_FAILURE_LINES 20 /* per file, without -v */

typedef struct {
  char *name; /* owned */
  size_t len;
  lat_wasm_instance_t *inst;
} binding_t;

/* A `(module definition $id? ...)`: compiled, instantiated by `(module
 * instance ...)` as often as the script asks. */
typedef struct {
  char *name; /* owned; NULL when the definition has no $id */
  size_t len;
  lat_wasm_module_t *m; /* retained */
} def_t;

typedef struct {
  const char *name; /* static */
  lat_wasm_extern_t ext;
} spectest_t;

typedef struct {
  const char *file;
  int verbose;
  uint64_t timeout_ns;
  lat_wasm_features_t features; /* of the current file (file_features) */
  bool compiled;                /* --compiled: load each module's native code */
  uint32_t ncompiled, nfallback; /* modules compiled / interpreted instead */
  const char **switches;        /* --wasm, borrowed from argv */
  size_t nswitches;
  lat_wasm_store_t *store;
  lat_wasm_instance_t *current;
  binding_t *regs; /* (register "name") */
  size_t nregs, regs_cap;
  binding_t *named; /* (module $id ...) */
  size_t nnamed, named_cap;
  def_t *defs; /* (module definition ...) */
  size_t ndefs;
  spectest_t spectest[16];
  size_t nspectest;
  unsigned passed, failed, printed;
  FILE *out;    /* stdout; stderr under -o json (stdout has the JSON) */
  json_t *files; /* -o json: one object per file */
} runner_t;

/* ---- output -------------------------------------------------------------------- */

static void report(runner_t *r, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(runner_t *r, uint32_t line, const char *fmt, ...) {
  r->printed++;
  if (r->verbose == 0 && r->printed > QUIET_FAILURE_LINES) {
    if (r->printed == QUIET_FAILURE_LINES + 1)
      fprintf(r->out, "  %s: ... more failures (use -v)\n", r->file);
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  fprintf(r->out, "  %s:%u: ", r->file, line);
  vfprintf(r->out, fmt, ap);
  fprintf(r->out, "\n");
  va_end(ap);
}

static void fmt_val(char *buf, size_t n, const lat_wasm_val_t *v) {
  switch (v->type) {
  case LAT_I32:
    snprintf(buf, n, "i32:%" PRIu32 " (0x%08" PRIx32 ")", v->of.i32, v->of.i32);
    break;
  case LAT_I64:
    snprintf(buf, n, "i64:%" PRIu64 " (0x%016" PRIx64 ")", v->of.i64, v->of.i64);
    break;
  case LAT_F32: {
    float f;
    memcpy(&f, &v->of.f32, 4);
    snprintf(buf, n, "f32:%g (0x%08" PRIx32 ")", (double)f, v->of.f32);
    break;
  }
  case LAT_F64: {
    double d;
    memcpy(&d, &v->of.f64, 8);
    snprintf(buf, n, "f64:%g (0x%016" PRIx64 ")", d, v->of.f64);
    break;
  }
  case LAT_V128: {
    size_t k = (size_t)snprintf(buf, n, "v128:");
    for (int i = 0; i < 16 && k + 3 < n; i++)
      k += (size_t)snprintf(buf + k, n - k, "%02x", v->of.v128.bytes[i]);
    break;
  }
  case LAT_FUNCREF:
    if (v->of.ref) snprintf(buf, n, "funcref:%p", v->of.ref);
    else snprintf(buf, n, "ref.null func");
    break;
  case LAT_EXTERNREF:
    if (v->of.ref) snprintf(buf, n, "ref.extern %" PRIuPTR, (uintptr_t)v->of.ref - 1);
    else snprintf(buf, n, "ref.null extern");
    break;
  default:
    snprintf(buf, n, "?type 0x%02x", v->type);
  }
}

/* ---- spectest ------------------------------------------------------------------------ */

static lat_status spectest_print(lat_wasm_caller_t *caller, void *env,
                                 uint64_t *slots) {
  (void)caller;
  (void)env;
  (void)slots;
  return LAT_OK;
}

static lat_status add_spectest_func(runner_t *r, const char *name,
                                    const uint8_t *params, uint32_t np) {
  lat_wasm_functype_t ft = {np, 0, params, NULL};
  lat_wasm_func_t *f;
  lat_status st = lat_wasm_func_new_host(r->store, &ft, spectest_print, NULL, &f);
  if (st != LAT_OK) return st;
  spectest_t *s = &r->spectest[r->nspectest++];
  s->name = name;
  s->ext.kind = LAT_EXTERN_FUNC;
  s->ext.of.func = f;
  return LAT_OK;
}

static lat_status add_spectest_global(runner_t *r, const char *name,
                                      uint8_t type, uint64_t bits) {
  lat_wasm_globaltype_t gt = {type, false};
  lat_wasm_val_t v;
  memset(&v, 0, sizeof v);
  v.type = type;
  if (type == LAT_I32 || type == LAT_F32) v.of.i32 = (uint32_t)bits;
  else v.of.i64 = bits;
  lat_wasm_global_t *g;
  lat_status st = lat_wasm_global_new(r->store, &gt, &v, &g);
  if (st != LAT_OK) return st;
  spectest_t *s = &r->spectest[r->nspectest++];
  s->name = name;
  s->ext.kind = LAT_EXTERN_GLOBAL;
  s->ext.of.global = g;
  return LAT_OK;
}

static lat_status make_spectest(runner_t *r, lat_error_t *err) {
  static const uint8_t i32[] = {LAT_I32}, i64[] = {LAT_I64}, f32[] = {LAT_F32},
                       f64[] = {LAT_F64}, i32f32[] = {LAT_I32, LAT_F32},
                       f64f64[] = {LAT_F64, LAT_F64};
  lat_status st;
  if ((st = add_spectest_func(r, "print", NULL, 0)) ||
      (st = add_spectest_func(r, "print_i32", i32, 1)) ||
      (st = add_spectest_func(r, "print_i64", i64, 1)) ||
      (st = add_spectest_func(r, "print_f32", f32, 1)) ||
      (st = add_spectest_func(r, "print_f64", f64, 1)) ||
      (st = add_spectest_func(r, "print_i32_f32", i32f32, 2)) ||
      (st = add_spectest_func(r, "print_f64_f64", f64f64, 2)))
    return lat_error_set(err, st, SIZE_MAX, "cannot create spectest functions");
  float f = 666.6f;
  double d = 666.6;
  uint32_t fb;
  uint64_t db;
  memcpy(&fb, &f, 4);
  memcpy(&db, &d, 8);
  if ((st = add_spectest_global(r, "global_i32", LAT_I32, 666)) ||
      (st = add_spectest_global(r, "global_i64", LAT_I64, 666)) ||
      (st = add_spectest_global(r, "global_f32", LAT_F32, fb)) ||
      (st = add_spectest_global(r, "global_f64", LAT_F64, db)))
    return lat_error_set(err, st, SIZE_MAX, "cannot create spectest globals");
  lat_wasm_tabletype_t tt = {LAT_FUNCREF, 10, 20, true, false};
  lat_wasm_table_t *t;
  if ((st = lat_wasm_table_new(r->store, &tt, NULL, &t, err))) return st;
  r->spectest[r->nspectest].name = "table";
  r->spectest[r->nspectest].ext.kind = LAT_EXTERN_TABLE;
  r->spectest[r->nspectest++].ext.of.table = t;
  lat_wasm_tabletype_t tt64 = {LAT_FUNCREF, 10, 20, true, true}; /* table64 */
  if ((st = lat_wasm_table_new(r->store, &tt64, NULL, &t, err))) return st;
  r->spectest[r->nspectest].name = "table64";
  r->spectest[r->nspectest].ext.kind = LAT_EXTERN_TABLE;
  r->spectest[r->nspectest++].ext.of.table = t;
  lat_wasm_memtype_t mt = {1, 2, true, false, false};
  lat_wasm_memory_t *m;
  if ((st = lat_wasm_memory_new(r->store, &mt, &m, err))) return st;
  r->spectest[r->nspectest].name = "memory";
  r->spectest[r->nspectest].ext.kind = LAT_EXTERN_MEMORY;
  r->spectest[r->nspectest++].ext.of.memory = m;
  return LAT_OK;
}

/* ---- bindings -------------------------------------------------------------------------- */

static lat_wasm_instance_t *binding_find(binding_t *b, size_t n, const char *name,
                                         size_t len) {
  for (size_t i = n; i-- > 0;)
    if (b[i].len == len && memcmp(b[i].name, name, len) == 0) return b[i].inst;
  return NULL;
}

static bool binding_add(binding_t **b, size_t *n, size_t *cap, const char *name,
                        size_t len, lat_wasm_instance_t *inst) {
  for (size_t i = 0; i < *n; i++) {
    if ((*b)[i].len == len && memcmp((*b)[i].name, name, len) == 0) {
      (*b)[i].inst = inst;
      return true;
    }
  }
  if (*n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    binding_t *nb = lat_realloc(*b, ncap * sizeof **b);
    if (!nb) return false;
    *b = nb;
    *cap = ncap;
  }
  char *copy = lat_strndup(name, len);
  if (!copy) return false;
  (*b)[*n].name = copy;
  (*b)[*n].len = len;
  (*b)[*n].inst = inst;
  (*n)++;
  return true;
}

static void bindings_free(binding_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) lat_free(b[i].name);
  lat_free(b);
}

static bool def_add(runner_t *r, const char *name, size_t len,
                    lat_wasm_module_t *m) {
  def_t *nd = lat_realloc(r->defs, (r->ndefs + 1) * sizeof *nd);
  if (!nd) return false;
  r->defs = nd;
  char *copy = NULL;
  if (name) {
    copy = lat_malloc(len + 1);
    if (!copy) return false;
    memcpy(copy, name, len);
    copy[len] = 0;
  }
  lat_wasm_module_retain(m);
  r->defs[r->ndefs++] = (def_t){copy, len, m};
  return true;
}

/* The latest definition named name (any when name is NULL), or NULL. */
static lat_wasm_module_t *def_find(const runner_t *r, const char *name,
                                   size_t len) {
  for (size_t i = r->ndefs; i-- > 0;)
    if (!name || (r->defs[i].name && r->defs[i].len == len &&
                  memcmp(r->defs[i].name, name, len) == 0))
      return r->defs[i].m;
  return NULL;
}

static void defs_free(runner_t *r) {
  for (size_t i = 0; i < r->ndefs; i++) {
    lat_free(r->defs[i].name);
    lat_wasm_module_release(r->defs[i].m);
  }
  lat_free(r->defs);
  r->defs = NULL;
  r->ndefs = 0;
}

/* ---- modules ----------------------------------------------------------------------------- */

/* Gets the binary of a command's module: encodes quote text, copies nothing.
 * *owned receives a buffer to free when the text had to be encoded. */
static lat_status module_bytes(const lat_wast_module_t *m, lat_buf_t *owned,
                               const uint8_t **out, size_t *out_len,
                               lat_error_t *err) {
  if (m->form == LAT_WAST_MOD_QUOTE) {
    lat_status st = lat_wat_to_wasm(m->text, m->text_len, owned, err);
    if (st != LAT_OK) return st;
    *out = owned->data;
    *out_len = owned->len;
    return LAT_OK;
  }
  if (m->status != LAT_OK) {
    if (err) *err = m->err;
    return m->status;
  }
  *out = m->bytes;
  *out_len = m->len;
  return LAT_OK;
}

/* --compiled: the module's native code (src/aot).  A module the tier does
 * not compile stays interpreted (counted, shown with -v); any other failure
 * of the compiled tier fails the module, so the suite catches it. */
static lat_status compile_native(runner_t *r, lat_wasm_module_t *m, lat_error_t *err) {
  lat_error_t e2 = {0};
  lat_status st = lat_aot_load(m, NULL, &e2);
  if (st == LAT_EUNSUPPORTED) {
    r->nfallback++;
    if (r->verbose >= 2) fprintf(stderr, "note: interpreted: %s\n", e2.msg);
    return LAT_OK;
  }
  if (st) {
    lat_wasm_module_release(m);
    return lat_error_set(err, st, SIZE_MAX, "compiled tier: %s", e2.msg);
  }
  r->ncompiled++;
  return LAT_OK;
}

static lat_status compile(const runner_t *r, const lat_wast_module_t *m,
                          lat_wasm_module_t **out, lat_error_t *err) {
  lat_buf_t owned;
  lat_buf_init(&owned);
  const uint8_t *bytes;
  size_t len;
  lat_status st = module_bytes(m, &owned, &bytes, &len, err);
  if (st == LAT_OK) st = lat_wasm_module_new_ex(bytes, len, &r->features, out, err);
  lat_buf_fini(&owned);
  if (st == LAT_OK && r->compiled && (st = compile_native((runner_t *)r, *out, err)))
    *out = NULL;
  return st;
}

static lat_status resolve_import(runner_t *r, const lat_wasm_import_t *imp,
                                 lat_wasm_extern_t *out, lat_error_t *err) {
  if (imp->module_len == 8 && memcmp(imp->module, "spectest", 8) == 0) {
    for (size_t i = 0; i < r->nspectest; i++) {
      const spectest_t *s = &r->spectest[i];
      if (strlen(s->name) == imp->name_len &&
          memcmp(s->name, imp->name, imp->name_len) == 0) {
        *out = s->ext;
        goto found;
      }
    }
    goto unknown;
  }
  {
    lat_wasm_instance_t *inst =
        binding_find(r->regs, r->nregs, imp->module, imp->module_len);
    if (!inst || lat_wasm_instance_export(inst, imp->name, imp->name_len, out) != LAT_OK)
      goto unknown;
  }
found:
  if (out->kind != imp->kind)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "incompatible import type \"%.*s\" \"%.*s\"",
                         (int)imp->module_len, imp->module, (int)imp->name_len,
                         imp->name);
  return LAT_OK;
unknown:
  return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                       "unknown import \"%.*s\" \"%.*s\"", (int)imp->module_len,
                       imp->module, (int)imp->name_len, imp->name);
}

static lat_status instantiate(runner_t *r, lat_wasm_module_t *m,
                              lat_wasm_instance_t **out, lat_error_t *err) {
  uint32_t n = lat_wasm_module_import_count(m);
  lat_wasm_extern_t *ext = NULL;
  if (n) {
    ext = lat_calloc(n, sizeof *ext);
    if (!ext) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  lat_status st = LAT_OK;
  for (uint32_t i = 0; i < n && st == LAT_OK; i++) {
    lat_wasm_import_t imp;
    lat_wasm_module_import(m, i, &imp);
    st = resolve_import(r, &imp, &ext[i], err);
  }
  if (st == LAT_OK) st = lat_wasm_instance_new(r->store, m, ext, n, out, err);
  lat_free(ext);
  return st;
}

/* ---- actions --------------------------------------------------------------------------------- */

static lat_status run_action(runner_t *r, const lat_wast_action_t *a,
                             lat_wasm_val_t **out_results, size_t *out_n,
                             lat_error_t *err) {
  *out_results = NULL;
  *out_n = 0;
  lat_wasm_instance_t *inst = r->current;
  if (a->module) {
    inst = binding_find(r->named, r->nnamed, a->module, a->module_len);
    if (!inst)
      return lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX, "unknown module %.*s",
                           (int)a->module_len, a->module);
  }
  if (!inst) return lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX, "no current module");
  lat_wasm_extern_t ext;
  if (lat_wasm_instance_export(inst, a->name, a->name_len, &ext) != LAT_OK)
    return lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX, "unknown export \"%.*s\"",
                         (int)a->name_len, a->name);
  if (a->kind == LAT_WAST_GET) {
    if (ext.kind != LAT_EXTERN_GLOBAL)
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "export \"%.*s\" is not a global",
                           (int)a->name_len, a->name);
    lat_wasm_val_t *v = lat_calloc(1, sizeof *v);
    if (!v) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    lat_wasm_global_get(ext.of.global, v);
    *out_results = v;
    *out_n = 1;
    return LAT_OK;
  }
  if (ext.kind != LAT_EXTERN_FUNC)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "export \"%.*s\" is not a function",
                         (int)a->name_len, a->name);
  const lat_wasm_functype_t *ft = lat_wasm_func_type(ext.of.func);
  if (ft->nparams != a->nargs)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "wrong number of arguments (%zu for %u)",
                         a->nargs, ft->nparams);
  for (size_t i = 0; i < a->nargs; i++)
    if (a->args[i].type != ft->params[i])
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "argument %zu has the wrong type", i);
  lat_wasm_val_t *res = NULL;
  if (ft->nresults) {
    res = lat_calloc(ft->nresults, sizeof *res);
    if (!res) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  lat_wasm_store_set_deadline(r->store, lat_now_ns() + r->timeout_ns);
  lat_status st = lat_wasm_func_call(r->store, ext.of.func, a->args, a->nargs, res,
                                     ft->nresults, err);
  if (st != LAT_OK) {
    lat_free(res);
    return st;
  }
  for (uint32_t i = 0; i < ft->nresults; i++) res[i].type = ft->results[i];
  *out_results = res;
  *out_n = ft->nresults;
  return LAT_OK;
}

/* ---- expected results ----------------------------------------------------------------------- */

static bool nan_match(uint64_t bits, bool f64, int kind) {
  if (f64) {
    uint64_t mag = bits & 0x7fffffffffffffffull;
    if (kind == LAT_WAST_RES_NAN_CANON) return mag == 0x7ff8000000000000ull;
    return (mag & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
  }
  uint32_t mag = (uint32_t)bits & 0x7fffffffu;
  if (kind == LAT_WAST_RES_NAN_CANON) return mag == 0x7fc00000u;
  return (mag & 0x7fc00000u) == 0x7fc00000u;
}

static uint64_t lane_bits(const uint8_t *b, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)b[i] << (8 * i);
  return v;
}

static bool result_match(const lat_wast_result_t *e, const lat_wasm_val_t *v) {
  if (e->kind == LAT_WAST_RES_EITHER) {
    for (size_t i = 0; i < e->nalts; i++)
      if (result_match(&e->alts[i], v)) return true;
    return false;
  }
  if (v->type != e->val.type) return false;
  switch (e->kind) {
  case LAT_WAST_RES_EXACT:
    switch (v->type) {
    case LAT_I32:
    case LAT_F32:
      return v->of.i32 == e->val.of.i32;
    case LAT_I64:
    case LAT_F64:
      return v->of.i64 == e->val.of.i64;
    case LAT_V128:
      return memcmp(v->of.v128.bytes, e->val.of.v128.bytes, 16) == 0;
    default:
      return v->of.ref == e->val.of.ref;
    }
  case LAT_WAST_RES_NAN_CANON:
  case LAT_WAST_RES_NAN_ARITH:
    if (v->type == LAT_F32) return nan_match(v->of.f32, false, e->kind);
    if (v->type == LAT_F64) return nan_match(v->of.f64, true, e->kind);
    return false;
  case LAT_WAST_RES_REF_FUNC:
  case LAT_WAST_RES_REF_EXTERN:
    return v->of.ref != NULL;
  case LAT_WAST_RES_V128: {
    static const unsigned lane_bytes[] = {1, 2, 4, 8, 4, 8};
    unsigned lb = lane_bytes[e->shape];
    for (unsigned i = 0; i < 16 / lb; i++) {
      uint64_t a = lane_bits(v->of.v128.bytes + i * lb, lb);
      uint64_t x = lane_bits(e->val.of.v128.bytes + i * lb, lb);
      if (e->lane[i] == LAT_WAST_RES_EXACT) {
        if (a != x) return false;
      } else if (!nan_match(a, lb == 8, e->lane[i])) {
        return false;
      }
    }
    return true;
  }
  case LAT_WAST_RES_EITHER: /* handled above */
    break;
  }
  return false;
}

static void fmt_expected(char *buf, size_t n, const lat_wast_result_t *e) {
  switch (e->kind) {
  case LAT_WAST_RES_NAN_CANON:
    snprintf(buf, n, "%s:nan:canonical", e->val.type == LAT_F32 ? "f32" : "f64");
    return;
  case LAT_WAST_RES_NAN_ARITH:
    snprintf(buf, n, "%s:nan:arithmetic", e->val.type == LAT_F32 ? "f32" : "f64");
    return;
  case LAT_WAST_RES_REF_FUNC:
    snprintf(buf, n, "ref.func");
    return;
  case LAT_WAST_RES_REF_EXTERN:
    snprintf(buf, n, "ref.extern");
    return;
  case LAT_WAST_RES_EITHER: {
    size_t k = (size_t)snprintf(buf, n, "either ");
    if (k < n) fmt_expected(buf + k, n - k, &e->alts[0]);
    k = strlen(buf);
    if (e->nalts > 1 && k + 8 < n) snprintf(buf + k, n - k, " or ...");
    return;
  }
  default:
    fmt_val(buf, n, &e->val);
  }
}

/* ---- commands ------------------------------------------------------------------------------- */

static bool msg_match(const char *actual, const char *expected) {
  return expected == NULL || strncmp(actual, expected, strlen(expected)) == 0;
}

/* Returns true when the command passed. */
/* An expected failure: the status must be `want` and the engine's message
 * must match the script's.  Reports and returns false otherwise. */
static bool expect_failure(runner_t *r, const lat_wast_cmd_t *c, lat_status st,
                           lat_status want, const lat_error_t *err) {
  const char *kind = lat_wast_kind_name(c->kind);
  if (st != want) {
    report(r, c->line, "%s: expected \"%s\", got %s%s%s", kind, c->message,
           lat_status_name(st), st == LAT_OK ? "" : ": ",
           st == LAT_OK ? "" : err->msg);
    return false;
  }
  if (!msg_match(err->msg, c->message)) {
    report(r, c->line, "%s: wrong message \"%s\", expected \"%s\"", kind,
           err->msg, c->message);
    return false;
  }
  return true;
}

static bool run_command(runner_t *r, const lat_wast_cmd_t *c) {
  lat_error_t err;
  lat_error_clear(&err);
  lat_wasm_module_t *m = NULL;
  lat_wasm_instance_t *inst = NULL;
  lat_wasm_val_t *res = NULL;
  size_t nres = 0;
  lat_status st;
  bool ok = false;
  lat_wasm_store_set_deadline(r->store, lat_now_ns() + r->timeout_ns);

  switch (c->kind) {
  case LAT_WAST_END:
    return true;
  case LAT_WAST_MODULE:
    st = compile(r, &c->module, &m, &err);
    if (st == LAT_OK && c->module.definition) {
      if (!def_add(r, c->module.name, c->module.name_len, m))
        report(r, c->line, "out of memory");
      else
        ok = true;
      break;
    }
    if (st == LAT_OK) st = instantiate(r, m, &inst, &err);
    if (st != LAT_OK) {
      r->current = NULL;
      report(r, c->line, "module failed: %s: %s", lat_status_name(st), err.msg);
      break;
    }
    r->current = inst;
    if (c->module.name &&
        !binding_add(&r->named, &r->nnamed, &r->named_cap, c->module.name,
                     c->module.name_len, inst)) {
      report(r, c->line, "out of memory");
      break;
    }
    ok = true;
    break;
  case LAT_WAST_MODULE_INSTANCE: {
    lat_wasm_module_t *def = def_find(r, c->def_name, c->def_name_len);
    if (!def) {
      report(r, c->line, "module instance: no such module definition");
      break;
    }
    st = instantiate(r, def, &inst, &err);
    if (st != LAT_OK) {
      r->current = NULL;
      report(r, c->line, "module instance failed: %s: %s", lat_status_name(st),
             err.msg);
      break;
    }
    r->current = inst;
    if (c->inst_name &&
        !binding_add(&r->named, &r->nnamed, &r->named_cap, c->inst_name,
                     c->inst_name_len, inst)) {
      report(r, c->line, "out of memory");
      break;
    }
    ok = true;
    break;
  }
  case LAT_WAST_REGISTER: {
    lat_wasm_instance_t *target = r->current;
    if (c->reg_module)
      target = binding_find(r->named, r->nnamed, c->reg_module, c->reg_module_len);
    if (!target) {
      report(r, c->line, "register: no such module");
      break;
    }
    if (!binding_add(&r->regs, &r->nregs, &r->regs_cap, c->reg_name,
                     c->reg_name_len, target)) {
      report(r, c->line, "out of memory");
      break;
    }
    ok = true;
    break;
  }
  case LAT_WAST_ACTION:
    st = run_action(r, &c->action, &res, &nres, &err);
    if (st != LAT_OK) {
      report(r, c->line, "%.*s failed: %s: %s", (int)c->action.name_len,
             c->action.name, lat_status_name(st), err.msg);
      break;
    }
    ok = true;
    break;
  case LAT_WAST_ASSERT_RETURN:
    st = run_action(r, &c->action, &res, &nres, &err);
    if (st != LAT_OK) {
      report(r, c->line, "assert_return \"%.*s\": %s: %s", (int)c->action.name_len,
             c->action.name, lat_status_name(st), err.msg);
      break;
    }
    if (nres != c->nresults) {
      report(r, c->line, "assert_return \"%.*s\": %zu results, expected %zu",
             (int)c->action.name_len, c->action.name, nres, c->nresults);
      break;
    }
    ok = true;
    for (size_t i = 0; i < nres; i++) {
      if (!result_match(&c->results[i], &res[i])) {
        char got[96], want[96];
        fmt_val(got, sizeof got, &res[i]);
        fmt_expected(want, sizeof want, &c->results[i]);
        report(r, c->line, "assert_return \"%.*s\": result %zu is %s, expected %s",
               (int)c->action.name_len, c->action.name, i, got, want);
        ok = false;
        break;
      }
    }
    break;
  case LAT_WAST_ASSERT_TRAP:
  case LAT_WAST_ASSERT_EXHAUSTION:
    if (c->has_module) {
      st = compile(r, &c->module, &m, &err);
      if (st != LAT_OK) {
        report(r, c->line, "%s: module failed to compile: %s", lat_wast_kind_name(c->kind),
               err.msg);
        break;
      }
      st = instantiate(r, m, &inst, &err);
    } else {
      st = run_action(r, &c->action, &res, &nres, &err);
    }
    ok = expect_failure(r, c, st, LAT_TRAP, &err);
    break;
  case LAT_WAST_ASSERT_EXCEPTION:
    st = run_action(r, &c->action, &res, &nres, &err);
    if (st == LAT_TRAP && lat_wasm_store_trap(r->store) == LAT_TRAP_EXCEPTION) {
      ok = true;
      break;
    }
    report(r, c->line, "assert_exception \"%.*s\": got %s%s%s",
           (int)c->action.name_len, c->action.name, lat_status_name(st),
           st == LAT_OK ? "" : ": ", st == LAT_OK ? "" : err.msg);
    break;
  case LAT_WAST_ASSERT_MALFORMED: {
    if (c->module.form == LAT_WAST_MOD_QUOTE) {
      lat_buf_t b;
      lat_buf_init(&b);
      st = lat_wat_to_wasm(c->module.text, c->module.text_len, &b, &err);
      if (st == LAT_OK)
        st = lat_wasm_module_new_ex(b.data, b.len, &r->features, &m, &err);
      lat_buf_fini(&b);
      if (st == LAT_ETEXT || st == LAT_EMALFORMED) {
        if (r->verbose >= 2 && !msg_match(err.msg, c->message))
          report(r, c->line, "note: malformed as \"%s\", reference says \"%s\"",
                 err.msg, c->message);
        ok = true;
      } else {
        report(r, c->line, "assert_malformed (quote): expected \"%s\", got %s%s%s",
               c->message, lat_status_name(st), st == LAT_OK ? "" : ": ",
               st == LAT_OK ? "" : err.msg);
      }
      break;
    }
    if (c->module.form == LAT_WAST_MOD_TEXT && c->module.status != LAT_OK) {
      ok = true; /* rejected by the text parser */
      break;
    }
    st = compile(r, &c->module, &m, &err);
    ok = expect_failure(r, c, st, LAT_EMALFORMED, &err);
    break;
  }
  case LAT_WAST_ASSERT_INVALID:
    st = compile(r, &c->module, &m, &err);
    ok = expect_failure(r, c, st, LAT_EINVALID, &err);
    break;
  case LAT_WAST_ASSERT_UNLINKABLE:
  case LAT_WAST_ASSERT_UNINSTANTIABLE: {
    lat_status want = c->kind == LAT_WAST_ASSERT_UNLINKABLE ? LAT_EUNLINKABLE : LAT_TRAP;
    st = compile(r, &c->module, &m, &err);
    if (st != LAT_OK) {
      report(r, c->line, "%s: module failed to compile: %s: %s",
             lat_wast_kind_name(c->kind), lat_status_name(st), err.msg);
      break;
    }
    st = instantiate(r, m, &inst, &err);
    ok = expect_failure(r, c, st, want, &err);
    break;
  }
  }
  lat_wasm_module_release(m);
  lat_free(res);
  if (ok && r->verbose >= 2)
    fprintf(r->out, "  %s:%u: ok %s\n", r->file, c->line, lat_wast_kind_name(c->kind));
  return ok;
}

/* ---- files -------------------------------------------------------------------------------- */

/* Does path lie in a directory named 1.0 or 2.0 (the spec suite's 2.0 tree,
 * 2.0/simd included)? */
static bool in_2_0_tree(const char *path) {
  for (const char *q = path; (q = strstr(q, ".0/")) != NULL; q++) {
    if (q - path < 1 || (q[-1] != '1' && q[-1] != '2')) continue;
    if (q - path == 1 || q[-2] == '/') return true;
  }
  return false;
}

/* The features for one script: 2.0's for a script of the 2.0 suite, all
 * others on for anything else, then the --wasm switches.  Returns false
 * (with the message printed) on a bad switch. */
static bool file_features(runner_t *r, const char *path) {
  if (in_2_0_tree(path))
    memset(&r->features, 0, sizeof r->features);
  else
    lat_wasm_features_all(&r->features);
  for (size_t i = 0; i < r->nswitches; i++) {
    lat_error_t err;
    if (lat_wasm_features_set(&r->features, r->switches[i], &err)) {
      fprintf(stderr, "lattice wast: --wasm: %s\n", err.msg);
      return false;
    }
  }
  return true;
}

static void run_file(runner_t *r, const char *path) {
  lat_error_t err;
  uint8_t *text = NULL;
  size_t len = 0;
  lat_wast_t *w = NULL;
  unsigned passed = 0, failed = 0;
  r->file = path;
  r->printed = 0;
  r->current = NULL;
  r->nspectest = 0;
  file_features(r, path); /* the switches were checked in lat_cli_wast */
  if (lat_file_read(path, &text, &len, &err) != LAT_OK) {
    fprintf(r->out, "FAIL %s: cannot read: %s\n", path, err.msg);
    r->failed++;
    return;
  }
  if (lat_wasm_store_new(NULL, &r->store) != LAT_OK) {
    fprintf(r->out, "FAIL %s: cannot create a store\n", path);
    r->failed++;
    lat_free(text);
    return;
  }
  if (make_spectest(r, &err) != LAT_OK) {
    fprintf(r->out, "FAIL %s: spectest: %s\n", path, err.msg);
    failed++;
    goto done;
  }
  if (lat_wast_new((const char *)text, len, &w, &err) != LAT_OK) {
    fprintf(r->out, "  %s:%s\n", path, err.msg);
    failed++;
    goto done;
  }
  for (;;) {
    lat_wast_cmd_t c;
    lat_status st = lat_wast_next(w, &c, &err);
    if (st != LAT_OK) {
      report(r, c.line, "script error: %s", err.msg);
      failed++;
      if (st == LAT_ENOMEM) break;
      continue;
    }
    if (c.kind == LAT_WAST_END) break;
    if (run_command(r, &c)) passed++;
    else failed++;
  }
done:
  if (failed == 0)
    fprintf(r->out, "PASS %s (%u commands)\n", path, passed);
  else
    fprintf(r->out, "FAIL %s: %u of %u failed\n", path, failed, passed + failed);
  fflush(r->out);
  if (r->files) {
    json_t *f = json_object();
    json_object_set_new(f, "file", json_string(path));
    json_object_set_new(f, "passed", json_integer(passed));
    json_object_set_new(f, "failed", json_integer(failed));
    json_array_append_new(r->files, f);
  }
  r->passed += passed;
  r->failed += failed;
  lat_wast_free(w);
  lat_wasm_store_free(r->store);
  r->store = NULL;
  bindings_free(r->regs, r->nregs);
  bindings_free(r->named, r->nnamed);
  defs_free(r);
  r->regs = r->named = NULL;
  r->nregs = r->nnamed = r->regs_cap = r->named_cap = 0;
  lat_free(text);
}

static int verbose;
static uint64_t timeout_ns;
static lat_cli_list_t wasm_features;
static bool compiled_tier, interpreted_tier;

static const lat_cli_opt_t wast_opts[] = {
    {"verbose", 'v', LAT_CLI_INC, &verbose, NULL,
     "print every failure (-v), and every command (-vv)"},
    {"timeout", 0, LAT_CLI_DURATION, &timeout_ns, NULL,
     "per command: a runaway loop fails that command only (default 10s)"},
    {"wasm", 0, LAT_CLI_LIST, &wasm_features, "FEATURE[=y|n]",
     "switch a WebAssembly feature (e.g. --wasm tail-call=n); scripts start with all "
     "on, those in a 2.0/ directory with none"},
    {"compiled", 0, LAT_CLI_FLAG, &compiled_tier, NULL,
     "run modules compiled to native code (src/aot; cached), interpreting those it cannot "
     "compile"},
    {"interpreted", 0, LAT_CLI_FLAG, &interpreted_tier, NULL, "run modules in the interpreter (the default)"},
};

static const lat_cli_cmd_t wast_cmd = {
    .name = "wast",
    .usage = "[OPTIONS] FILE.wast...",
    .summary = "run WebAssembly spec test scripts (like wasmtime wast)",
    .details = "Each file gets a fresh store with the spectest module; every command counts as one\n"
               "pass or failure.  Prints one line per file and `N passed, N failed` at the end.\n",
    .opts = wast_opts,
    .nopts = LAT_CLI_NOPTS(wast_opts),
    .examples = "  lattice wast examples/checks.wast\n"
                "  lattice wast -v --timeout 2s ../shared/testdata/wasm-spec/2.0/i32.wast\n"
                "  lattice wast examples/checks.wast -o json\n",
    .exit_status = "0 every command passed, 1 a command failed, 2 usage error.",
    .min_pos = 1,
    .pos_name = "FILE.wast",
};

int lat_cli_wast(int argc, char **argv) {
  runner_t r;
  memset(&r, 0, sizeof r);
  verbose = 0;
  timeout_ns = DEFAULT_TIMEOUT_NS;
  lat_cli_args_t a;
  int rc = lat_cli_parse(&wast_cmd, argc, argv, &a);
  if (rc >= 0) {
    lat_cli_args_fini(&a);
    return rc;
  }
  r.verbose = verbose;
  r.timeout_ns = timeout_ns;
  r.compiled = compiled_tier && !interpreted_tier;
  r.switches = wasm_features.v;
  r.nswitches = wasm_features.n;
  if (!file_features(&r, "")) {
    lat_cli_args_fini(&a);
    return 2;
  }
  r.out = a.json ? stderr : stdout;
  r.files = a.json ? json_array() : NULL;
  for (int i = 0; i < a.npos; i++) {
    uint8_t *data;
    size_t len;
    lat_error_t err;
    lat_cli_file_kind k;
    /* a script or a module's text; anything else is named, not parsed */
    if (lat_cli_read(a.pos[i], LAT_CLI_ACCEPT(LAT_CLI_FILE_WAST) |
                                   LAT_CLI_ACCEPT(LAT_CLI_FILE_WAT),
                     &data, &len, &k, &err)) {
      fprintf(r.out, "FAIL %s: %s\n", a.pos[i], err.msg);
      r.failed++;
      if (r.files) {
        json_t *f = json_object();
        json_object_set_new(f, "file", json_string(a.pos[i]));
        json_object_set_new(f, "error", json_string(err.msg));
        json_array_append_new(r.files, f);
      }
      continue;
    }
    lat_free(data);
    run_file(&r, a.pos[i]);
  }
  if (r.compiled)
    fprintf(stderr, "compiled tier: %u modules compiled, %u interpreted (not supported)\n",
            r.ncompiled, r.nfallback);
  fprintf(r.out, "%u passed, %u failed\n", r.passed, r.failed);
  if (r.files) {
    json_t *j = json_object();
    json_object_set_new(j, "success", json_boolean(r.failed == 0));
    json_object_set_new(j, "passed", json_integer(r.passed));
    json_object_set_new(j, "failed", json_integer(r.failed));
    json_object_set_new(j, "files", r.files);
    lat_cli_json_print(j);
  }
  lat_cli_args_fini(&a);
  return r.failed ? 1 : 0;
}
