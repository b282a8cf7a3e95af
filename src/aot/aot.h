/* aot: the compiled tier.  Ahead-of-time compilation of core modules to
 * native code through C: the validated module is emitted as C (one C
 * function per wasm function, locals and operand-stack positions as C
 * locals, explicit bounds checks), compiled by the system C compiler into a
 * shared object, cached by content hash, dlopened, and attached to the
 * module, whose functions then run compiled wherever they are called from
 * outside the interpreter (lat_wasm_func_call, host re-entry, imports of
 * other compiled modules).  Same semantics and limits as the interpreter:
 * traps with the same codes, call-depth limit, deadline, interrupt and fuel
 * counted at the same events (loop back-edges and calls), memory caps.
 *
 * Not every module compiles: memory64, multi-memory, exceptions, tail calls
 * and typed function references are interpreted.
 * lat_aot_load says so with LAT_EUNSUPPORTED and the reason, and the module
 * stays interpreted: callers treat that as a debug-level event, not an
 * error.
 *
 * Thread-safety: loading attaches to the module once, before its first
 * instantiation; compiled code is shared by every instance and store, like
 * translated code.
 */
#ifndef LAT_AOT_H
#define LAT_AOT_H

#include "../base/base.h"
#include "../wasm/wasm.h"

typedef struct {
  const char *cache_dir; /* borrowed; NULL: $LATTICE_CACHE_DIR/aot, else
                            $XDG_CACHE_HOME/lattice/aot, else
                            ~/.cache/lattice/aot */
  const char *cc;        /* borrowed; NULL: $LATTICE_CC, else "gcc" */
  bool no_cache;         /* recompile even when a cached object exists */
} lat_aot_options_t;

/* Writes m as C to out (appended).  LAT_EUNSUPPORTED with the reason in err
 * when m uses a feature the tier does not compile. */
lat_status lat_aot_emit_c(const lat_wasm_module_t *m, lat_buf_t *out,
                          lat_error_t *err);

/* The cached shared object for m, compiled first if it is not in the cache
 * (or opts->no_cache).  *out_path: returns new (free with lat_free); may be
 * NULL.  *out_cached: whether the cache already had it (may be NULL).
 * LAT_EUNSUPPORTED as above; LAT_EIO when the compiler fails or the cache
 * cannot be written (the compiler's output is in err). */
lat_status lat_aot_compile(const lat_wasm_module_t *m,
                           const lat_aot_options_t *opts, char **out_path,
                           bool *out_cached, lat_error_t *err);

/* Compiles (or finds in the cache) and attaches m's native code, so that
 * its instances run compiled.  Must be called before m's first
 * instantiation.  LAT_EUNSUPPORTED: m stays interpreted (err says why). */
lat_status lat_aot_load(lat_wasm_module_t *m, const lat_aot_options_t *opts,
                        lat_error_t *err);

/* Whether m runs compiled (lat_aot_load succeeded). */
bool lat_aot_is_loaded(const lat_wasm_module_t *m);

#endif
