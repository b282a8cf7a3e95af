/* Fuzz target: module decode + validate (lat_wasm_module_new) on arbitrary
 * bytes.  A valid module also has its imports, exports and function types
 * walked, so the accessors see every shape the decoder can produce.  Any
 * status is fine; only a crash, a sanitizer report or a leak is a finding. */
#include "fuzz.h"
#include "wasm/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lat_wasm_module_t *m = NULL;
  lat_error_t err;
  lat_error_clear(&err);
  if (lat_wasm_module_new(data, size, &m, &err) != LAT_OK) {
    /* a failure must say where: the offset is inside the input (or none) */
    if (err.offset != SIZE_MAX && err.offset > size) __builtin_trap();
    return 0;
  }
  uint32_t ni = lat_wasm_module_import_count(m);
  for (uint32_t i = 0; i < ni; i++) {
    lat_wasm_import_t imp;
    lat_wasm_module_import(m, i, &imp);
  }
  uint32_t ne = lat_wasm_module_export_count(m);
  for (uint32_t i = 0; i < ne; i++) {
    lat_wasm_export_t ex;
    lat_wasm_module_export(m, i, &ex);
    if (ex.kind == LAT_EXTERN_FUNC) {
      const lat_wasm_functype_t *ft = lat_wasm_module_func_type(m, ex.index);
      if (!ft) __builtin_trap();
      size_t len;
      (void)lat_wasm_module_func_name(m, ex.index, &len);
    }
  }
  lat_wasm_module_release(m);
  return 0;
}
