/* Fuzz target: decode, instantiate and run, under tight limits.
 *
 * Every import is satisfied by a dummy of the right type: host functions
 * that return zeros, a fresh memory, table or global.  Then every exported
 * function is called with zero-valued arguments.  Limits keep each input
 * short and bounded: 16 MiB per memory, 10,000 table elements, call depth
 * 256, fuel for 200,000 back-edges and calls per export, and a 50 ms
 * deadline per call as a backstop.  Traps, link errors and limit errors
 * are all fine; only a crash, a sanitizer report or a leak is a finding. */
#include <string.h>

#include "fuzz.h"
#include "wasm/wasm.h"

#define FUZZ_MAX_MEMORY (16u << 20)
#define FUZZ_MAX_TABLE 10000u
#define FUZZ_MAX_DEPTH 256u
#define FUZZ_FUEL 200000u
#define FUZZ_DEADLINE_NS (50u * 1000 * 1000)
#define FUZZ_MAX_EXPORT_CALLS 64u

/* env is the import's function type (borrowed from the module, which
 * outlives the store).  Results are all zero bits: v128 takes two slots. */
static lat_status zero_host(lat_wasm_caller_t *caller, void *env,
                            uint64_t *slots) {
  (void)caller;
  const lat_wasm_functype_t *ft = env;
  size_t n = 0;
  for (uint32_t i = 0; i < ft->nresults; i++)
    n += ft->results[i] == LAT_V128 ? 2 : 1;
  memset(slots, 0, n * sizeof *slots);
  return LAT_OK;
}

static void zero_val(uint8_t type, lat_wasm_val_t *v) {
  memset(v, 0, sizeof *v);
  v->type = type;
}

/* Makes a dummy for import i; false when the store refuses (a limit). */
static bool make_import(lat_wasm_store_t *s, const lat_wasm_import_t *imp,
                        lat_wasm_extern_t *out) {
  out->kind = imp->kind;
  switch (imp->kind) {
    case LAT_EXTERN_FUNC:
      return lat_wasm_func_new_host(s, imp->type.func, zero_host,
                                    (void *)imp->type.func,
                                    &out->of.func) == LAT_OK;
    case LAT_EXTERN_TABLE:
      return lat_wasm_table_new(s, &imp->type.table, NULL, &out->of.table,
                                NULL) == LAT_OK;
    case LAT_EXTERN_MEMORY:
      return lat_wasm_memory_new(s, &imp->type.memory, &out->of.memory,
                                 NULL) == LAT_OK;
    case LAT_EXTERN_GLOBAL: {
      lat_wasm_val_t v;
      zero_val(imp->type.global.type, &v);
      return lat_wasm_global_new(s, &imp->type.global, &v, &out->of.global) ==
             LAT_OK;
    }
    default:
      return false;
  }
}

static void call_export(lat_wasm_store_t *s, lat_wasm_func_t *f) {
  const lat_wasm_functype_t *ft = lat_wasm_func_type(f);
  lat_wasm_val_t *args = lat_calloc(ft->nparams + 1u, sizeof *args);
  lat_wasm_val_t *res = lat_calloc(ft->nresults + 1u, sizeof *res);
  if (args && res) {
    for (uint32_t i = 0; i < ft->nparams; i++) zero_val(ft->params[i], &args[i]);
    lat_error_t err;
    lat_wasm_store_set_fuel(s, FUZZ_FUEL);
    lat_wasm_store_set_deadline(s, lat_now_ns() + FUZZ_DEADLINE_NS);
    (void)lat_wasm_func_call(s, f, args, ft->nparams, res, ft->nresults, &err);
  }
  lat_free(args);
  lat_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lat_wasm_module_t *m = NULL;
  lat_wasm_store_t *s = NULL;
  lat_wasm_extern_t *imports = NULL;
  if (lat_wasm_module_new(data, size, &m, NULL) != LAT_OK) return 0;

  lat_wasm_limits_t lim = {
      .max_memory_bytes = FUZZ_MAX_MEMORY,
      .max_table_elems = FUZZ_MAX_TABLE,
      .max_call_depth = FUZZ_MAX_DEPTH,
      .max_stack_bytes = 1u << 20,
      .max_instances = 4,
  };
  if (lat_wasm_store_new(&lim, &s) != LAT_OK) goto out_module;

  uint32_t ni = lat_wasm_module_import_count(m);
  imports = lat_calloc(ni + 1u, sizeof *imports);
  if (!imports) goto out_store;
  for (uint32_t i = 0; i < ni; i++) {
    lat_wasm_import_t imp;
    lat_wasm_module_import(m, i, &imp);
    if (!make_import(s, &imp, &imports[i])) goto out_store;
  }

  /* the start function runs inside instantiation: bound it too */
  lat_wasm_store_set_fuel(s, FUZZ_FUEL);
  lat_wasm_store_set_deadline(s, lat_now_ns() + FUZZ_DEADLINE_NS);
  lat_wasm_instance_t *inst = NULL;
  if (lat_wasm_instance_new(s, m, imports, ni, &inst, NULL) != LAT_OK)
    goto out_store;

  uint32_t ne = lat_wasm_module_export_count(m), calls = 0;
  for (uint32_t i = 0; i < ne && calls < FUZZ_MAX_EXPORT_CALLS; i++) {
    lat_wasm_export_t ex;
    lat_wasm_module_export(m, i, &ex);
    if (ex.kind != LAT_EXTERN_FUNC) continue;
    lat_wasm_extern_t ext;
    if (lat_wasm_instance_export(inst, ex.name, ex.name_len, &ext) != LAT_OK ||
        ext.kind != LAT_EXTERN_FUNC)
      __builtin_trap(); /* a listed export must be found, with its kind */
    call_export(s, ext.of.func);
    calls++;
  }

out_store:
  lat_free(imports);
  lat_wasm_store_free(s);
out_module:
  lat_wasm_module_release(m);
  return 0;
}
