/* aot_abi.h: the contract between Lattice and the C it generates (private
 * to src/aot).
 *
 * The declarations are written once, as the macro LAT_AOT_ABI_DECLS: the
 * runtime (aot_rt.c) expands it as C, and the emitter (aot_emit.c) pastes
 * its stringified text at the top of every generated file, so the two
 * sides cannot drift apart.  The generated code includes no Lattice header:
 * it sees memories, tables, globals and functions through the small
 * lat_aot_*_t mirrors below, whose layout aot_rt.c checks with static
 * assertions against the engine's own structs (wasm_int.h), and calls
 * back into Lattice only through the lat_aot_rt_t function table.  Bump
 * LAT_AOT_ABI_VERSION on any change here or in the emitted code's
 * conventions: it is part of the cache key and checked at load.
 *
 * Conventions of the generated code:
 *   - every defined function j is `static R f<j>(lat_aot_ctx_t *c,
 *     uint32_t d, params...)`, d being its call depth (the interpreter's
 *     frame count); one result is returned, several are written to a
 *     trailing `uint64_t *res` as slots; i32/i64/f32/f64 are
 *     uint32_t/uint64_t/float/double, references void *.
 *   - w<j>(c, d, slots) unpacks the arguments from slots (the
 *     interpreter's layout: one 64-bit slot per value) and packs the
 *     results back; lat_aot_desc.wrappers[j] is it (NULL for imports).
 *   - a trap calls c->rt->trap, which does not return (it longjmps to the
 *     run's entry in aot_rt.c; only generated frames are skipped).
 */
#ifndef LAT_AOT_ABI_H
#define LAT_AOT_ABI_H

#define LAT_AOT_ABI_VERSION 1

#define LAT_AOT_ABI_DECLS                                                      \
  typedef struct lat_aot_ctx lat_aot_ctx_t;                                    \
  typedef struct {                                                             \
    uint8_t *base;                                                             \
    uint64_t size;                                                             \
  } lat_aot_mem_t;                                                             \
  typedef struct {                                                             \
    void **elems;                                                              \
    uint64_t size;                                                             \
  } lat_aot_tab_t;                                                             \
  typedef struct {                                                             \
    uint64_t type;                                                             \
    uint64_t val[2];                                                           \
  } lat_aot_glob_t;                                                            \
  typedef struct {                                                             \
    const void *type;                                                          \
    void *inst;                                                                \
    void *def;                                                                 \
    uint32_t idx;                                                              \
  } lat_aot_fn_t;                                                              \
  typedef struct {                                                             \
    __attribute__((noreturn)) void (*trap)(lat_aot_ctx_t *c, uint32_t code);  \
    void (*refill)(lat_aot_ctx_t *c);                                          \
    void (*call_import)(lat_aot_ctx_t *c, uint32_t d, uint32_t func,           \
                        uint64_t *slots);                                      \
    void (*call_ref)(lat_aot_ctx_t *c, uint32_t d, void *fn, uint32_t elem,    \
                     uint32_t type, uint64_t *slots);                          \
    uint32_t (*memory_grow)(lat_aot_ctx_t *c, uint32_t delta);                 \
    void (*memory_fill)(lat_aot_ctx_t *c, uint32_t d, uint32_t v, uint32_t n); \
    void (*memory_copy)(lat_aot_ctx_t *c, uint32_t d, uint32_t s, uint32_t n); \
    void (*memory_init)(lat_aot_ctx_t *c, uint32_t seg, uint32_t d,            \
                        uint32_t s, uint32_t n);                               \
    void (*data_drop)(lat_aot_ctx_t *c, uint32_t seg);                         \
    void *(*table_get)(lat_aot_ctx_t *c, uint32_t t, uint32_t i);              \
    void (*table_set)(lat_aot_ctx_t *c, uint32_t t, uint32_t i, void *v);      \
    uint32_t (*table_grow)(lat_aot_ctx_t *c, uint32_t t, void *init,           \
                           uint32_t n);                                        \
    void (*table_fill)(lat_aot_ctx_t *c, uint32_t t, uint32_t i, void *v,      \
                       uint32_t n);                                            \
    void (*table_copy)(lat_aot_ctx_t *c, uint32_t dt, uint32_t st,             \
                       uint32_t d, uint32_t s, uint32_t n);                    \
    void (*table_init)(lat_aot_ctx_t *c, uint32_t t, uint32_t seg,             \
                       uint32_t d, uint32_t s, uint32_t n);                    \
    void (*elem_drop)(lat_aot_ctx_t *c, uint32_t seg);                         \
  } lat_aot_rt_t;                                                              \
  struct lat_aot_ctx {                                                         \
    void *inst;                       /* lat_wasm_instance_t */                \
    lat_aot_mem_t *mem0;              /* memory 0, or NULL */                  \
    lat_aot_glob_t *const *globals;   /* instance->globals */                  \
    lat_aot_tab_t *const *tables;     /* instance->tables */                   \
    void *const *funcs;               /* instance->funcs (ref.func) */         \
    const lat_aot_rt_t *rt;                                                    \
    int32_t cd;                       /* the countdown while compiled code runs \
                                         (generated code keeps it in a local and \
                                         stores it back before calls, returns \
                                         and traps) */                          \
    uint32_t max_depth;               /* call depth limit */                   \
    uintptr_t stack_limit;            /* lowest native stack address */        \
  };                                                                           \
  typedef void (*lat_aot_wrap_fn)(lat_aot_ctx_t *c, uint32_t d,                \
                                  uint64_t *slots);                            \
  typedef struct {                                                             \
    uint32_t abi;                     /* LAT_AOT_ABI_VERSION */                \
    uint32_t nfuncs;                                                           \
    const char *key;                  /* the cache key it was built for */     \
    const lat_aot_wrap_fn *wrappers;  /* nfuncs entries */                     \
  } lat_aot_desc_t;

#define LAT_AOT_STR2(...) #__VA_ARGS__
#define LAT_AOT_STR(...) LAT_AOT_STR2(__VA_ARGS__)

#endif
