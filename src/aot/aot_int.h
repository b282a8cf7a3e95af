/* aot_int.h: private to src/aot.
 *
 *   aot_emit.c   module -> C text
 *   aot_load.c   cache key, compiler, dlopen; lat_aot_compile / lat_aot_load
 *   aot_rt.c     the tier hooks and the runtime table compiled code calls
 *
 * src/aot is the engine's second tier, so it includes the engine's private
 * header (wasm_int.h) for the instance, memory and table layouts it mirrors
 * (aot_abi.h); nothing outside src/aot sees them through it.
 */
#ifndef LAT_AOT_INT_H
#define LAT_AOT_INT_H

#include <stdint.h>

#include "../wasm/wasm_int.h"
#include "aot.h"
#include "aot_abi.h"

LAT_AOT_ABI_DECLS

/* A loaded shared object, owned by the module it is attached to. */
typedef struct {
  void *dl;                   /* dlopen handle */
  const lat_aot_desc_t *desc; /* its lat_aot_desc */
} lat__aot_module_t;

void lat__aot_module_free(lat__aot_module_t *am); /* dlcloses; accepts NULL */

/* aot_emit.c: m as nparts C files (each buffer appended to).  One part is
 * lat_aot_emit_c's single file; with more, part 0 holds the tables,
 * wrappers and descriptor and the functions are spread over the others,
 * which the compiler runs on in parallel (aot_load.c). */
lat_status lat__aot_emit_parts(const lat_wasm_module_t *m, lat_buf_t *parts, uint32_t nparts,
                               lat_error_t *err);

extern const lat__wasm_tier_t lat__aot_tier; /* aot_rt.c */
extern const char lat__aot_emit_id[];         /* aot_emit.c: its build time */

#endif
