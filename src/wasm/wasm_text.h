/* wasm_text.h: WAST scripts (the spec-test format), for `lattice wast`.
 *
 * A script is read command by command.  lat_wast_next encodes a command's
 * module (text modules become binary here; `binary` modules are copied;
 * `quote` modules are handed over as text for the runner to parse, because
 * assert_malformed expects that to fail) and decodes its action and expected
 * results into plain values that use wasm.h's types.  Everything a command
 * points to lives until the next call to lat_wast_next or lat_wast_free.
 *
 * Only wasm.h types cross this header, so the runner needs no engine
 * internals.  externref values `ref.extern N` become the host pointer
 * (void *)(uintptr_t)(N + 1): distinct, never NULL, and reversible.
 */
#ifndef LAT_WASM_TEXT_H
#define LAT_WASM_TEXT_H

#include "wasm.h"

typedef enum {
  LAT_WAST_END,               /* no more commands */
  LAT_WAST_MODULE,            /* (module ...) */
  LAT_WAST_REGISTER,          /* (register "name" $mod?) */
  LAT_WAST_ACTION,            /* bare (invoke ...) or (get ...) */
  LAT_WAST_ASSERT_RETURN,
  LAT_WAST_ASSERT_TRAP,       /* action, or module when has_module */
  LAT_WAST_ASSERT_EXHAUSTION,
  LAT_WAST_ASSERT_MALFORMED,
  LAT_WAST_ASSERT_INVALID,
  LAT_WAST_ASSERT_UNLINKABLE,
  LAT_WAST_ASSERT_UNINSTANTIABLE,
  LAT_WAST_MODULE_INSTANCE,   /* (module instance $i? $def?) */
  LAT_WAST_ASSERT_EXCEPTION,  /* (assert_exception action): an uncaught
                                 wasm exception; no message */
} lat_wast_kind_t;

typedef enum {
  LAT_WAST_MOD_TEXT,   /* encoded by us: bytes/len, or status != LAT_OK */
  LAT_WAST_MOD_BINARY, /* (module binary "...") */
  LAT_WAST_MOD_QUOTE,  /* (module quote "..."): text/len is WAT source */
} lat_wast_modform_t;

typedef struct {
  lat_wast_modform_t form;
  const char *name; /* `$id` (with the $), or NULL; not NUL-terminated */
  size_t name_len;
  const uint8_t *bytes; /* TEXT/BINARY: the binary module */
  size_t len;
  const char *text; /* QUOTE: the source (NUL-terminated) */
  size_t text_len;
  lat_status status; /* TEXT: LAT_OK, or why encoding failed (then err) */
  lat_error_t err;
  bool definition; /* (module definition ...): compiled, not instantiated */
} lat_wast_module_t;

typedef enum { LAT_WAST_INVOKE, LAT_WAST_GET } lat_wast_action_kind_t;

typedef struct {
  lat_wast_action_kind_t kind;
  const char *module; /* `$id` or NULL for the current module */
  size_t module_len;
  const char *name; /* export name, decoded, not NUL-terminated */
  size_t name_len;
  const lat_wasm_val_t *args;
  size_t nargs;
} lat_wast_action_t;

typedef enum {
  LAT_WAST_RES_EXACT,      /* bitwise equal to val (refs: pointer equal) */
  LAT_WAST_RES_NAN_CANON,  /* f32/f64: canonical NaN of either sign */
  LAT_WAST_RES_NAN_ARITH,  /* f32/f64: NaN with the quiet bit set */
  LAT_WAST_RES_REF_FUNC,   /* any non-null funcref */
  LAT_WAST_RES_REF_EXTERN, /* any non-null externref */
  LAT_WAST_RES_V128,       /* v128 compared lane by lane (see lanes) */
  LAT_WAST_RES_EITHER,     /* (either r...): any of alts (relaxed SIMD) */
} lat_wast_res_kind_t;

typedef enum {
  LAT_WAST_I8X16, LAT_WAST_I16X8, LAT_WAST_I32X4, LAT_WAST_I64X2,
  LAT_WAST_F32X4, LAT_WAST_F64X2,
} lat_wast_shape_t;

typedef struct lat_wast_result {
  lat_wast_res_kind_t kind;
  lat_wasm_val_t val;     /* val.type is the expected type (RES_EITHER: the
                             first alternative's) */
  lat_wast_shape_t shape; /* RES_V128 */
  uint8_t lane[16];       /* RES_V128: per lane a RES_EXACT/NAN_CANON/NAN_ARITH */
  const struct lat_wast_result *alts; /* RES_EITHER: nalts results, none of
                                         them RES_EITHER (script's arena) */
  size_t nalts;
} lat_wast_result_t;

typedef struct {
  lat_wast_kind_t kind;
  uint32_t line; /* 1-based line of the command's opening parenthesis */
  bool has_module;
  lat_wast_module_t module; /* MODULE and the module-taking assertions */
  bool has_action;
  lat_wast_action_t action;
  const lat_wast_result_t *results; /* ASSERT_RETURN */
  size_t nresults;
  const char *message; /* expected failure text (NUL-terminated) or NULL */
  const char *reg_name; /* REGISTER: the name, NUL-terminated */
  size_t reg_name_len;
  const char *reg_module; /* REGISTER: `$id` or NULL */
  size_t reg_module_len;
  const char *inst_name; /* MODULE_INSTANCE: `$i` or NULL */
  size_t inst_name_len;
  const char *def_name; /* MODULE_INSTANCE: `$def` or NULL (the last) */
  size_t def_name_len;
} lat_wast_cmd_t;

typedef struct lat_wast lat_wast_t;

/* Tokenizes text (borrowed: must outlive the script).  LAT_ETEXT with
 * line:column in err when the text cannot even be tokenized.  Returns new
 * (free with lat_wast_free). */
lat_status lat_wast_new(const char *text, size_t len, lat_wast_t **out,
                        lat_error_t *err);
void lat_wast_free(lat_wast_t *w); /* accepts NULL */

/* Reads the next command into *out (kind LAT_WAST_END at the end).  On a
 * malformed command returns LAT_ETEXT with "line:col: why" in err and
 * out->line set; the script skips past it, so the caller may go on. */
lat_status lat_wast_next(lat_wast_t *w, lat_wast_cmd_t *out, lat_error_t *err);

/* Name of a command kind ("assert_return"), static. */
const char *lat_wast_kind_name(lat_wast_kind_t k);

#endif
