/* Fuzz target: the WAT text parser and encoder (lat_wat_to_wasm), then
 * decode + validate of whatever it encodes.  The input is passed with its
 * exact length and no terminating NUL, so a read past the end is caught. */
#include "fuzz.h"
#include "wasm/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lat_buf_t out;
  lat_error_t err;
  lat_buf_init(&out);
  lat_error_clear(&err);
  if (lat_wat_to_wasm((const char *)data, size, &out, &err) == LAT_OK) {
    lat_wasm_module_t *m = NULL;
    if (lat_wasm_module_new(out.data, out.len, &m, &err) == LAT_OK)
      lat_wasm_module_release(m);
  } else if (err.offset != SIZE_MAX && err.offset > size) {
    __builtin_trap(); /* an error offset must point into the input */
  }
  lat_buf_fini(&out);
  return 0;
}
