/* wasm: the Lattice WebAssembly engine, public API.
 *
 * The only header the CLI and the host include.  The engine keeps no global
 * mutable state: everything lives in a store, and separate stores may run on
 * separate threads at once.  One store is used by one thread at a time (except
 * lat_wasm_store_interrupt, which any thread may call).
 *
 * Life cycle:
 *   module   = decoded + validated bytes; immutable, shareable across stores
 *              and threads (reference counted; translated code is cached in
 *              it and shared by all instances).
 *   store    = owns instances, functions, memories, tables and globals, the
 *              value stack, and the limits (memory/table caps, call depth,
 *              deadline, fuel).  Freeing the store frees all it owns.
 *   instance = a module instantiated in a store against resolved imports.
 *
 * Values: every value crosses the API as lat_wasm_val_t.  Floats travel as
 * their bit patterns so NaN payloads are preserved exactly.  funcref values
 * are lat_wasm_func_t pointers, externref values are opaque host pointers;
 * NULL is the null reference for both.
 *
 * Traps are values: a call that traps returns LAT_TRAP, with the spec's
 * message in err->msg and the trap code in lat_wasm_store_trap().
 */
#ifndef LAT_WASM_H
#define LAT_WASM_H

#include "../base/base.h"

/* ---- types ------------------------------------------------------------- */

enum {
  LAT_I32 = 0x7f,
  LAT_I64 = 0x7e,
  LAT_F32 = 0x7d,
  LAT_F64 = 0x7c,
  LAT_V128 = 0x7b,
  LAT_FUNCREF = 0x70,
  LAT_EXTERNREF = 0x6f,
  LAT_EXNREF = 0x69, /* exception handling: a caught exception */
};

/* external kinds, numbered as in the binary format */
enum {
  LAT_EXTERN_FUNC = 0,
  LAT_EXTERN_TABLE = 1,
  LAT_EXTERN_MEMORY = 2,
  LAT_EXTERN_GLOBAL = 3,
  LAT_EXTERN_TAG = 4, /* exception handling */
};

#define LAT_WASM_PAGE_SIZE 65536u

typedef struct {
  uint32_t nparams;
  uint32_t nresults;
  const uint8_t *params;  /* nparams valtypes */
  const uint8_t *results; /* nresults valtypes */
} lat_wasm_functype_t;

typedef struct {
  uint64_t min; /* pages */
  uint64_t max; /* pages; meaningful when has_max */
  bool has_max;
  bool shared; /* threads proposal; rejected for now */
  bool is64;   /* memory64: addresses are i64 */
} lat_wasm_memtype_t;

typedef struct {
  uint8_t elem; /* LAT_FUNCREF or LAT_EXTERNREF */
  uint64_t min;
  uint64_t max;
  bool has_max;
  bool is64; /* table64 (memory64 proposal): indices are i64 */
} lat_wasm_tabletype_t;

typedef struct {
  uint8_t type; /* valtype */
  bool mut;
} lat_wasm_globaltype_t;

typedef struct {
  uint8_t bytes[16];
} lat_v128_t;

typedef struct lat_wasm_module lat_wasm_module_t;
typedef struct lat_wasm_store lat_wasm_store_t;
typedef struct lat_wasm_instance lat_wasm_instance_t;
typedef struct lat_wasm_func lat_wasm_func_t;
typedef struct lat_wasm_memory lat_wasm_memory_t;
typedef struct lat_wasm_table lat_wasm_table_t;
typedef struct lat_wasm_global lat_wasm_global_t;
typedef struct lat_wasm_tag lat_wasm_tag_t;

typedef struct {
  uint8_t type; /* valtype */
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32; /* bits */
    uint64_t f64; /* bits */
    lat_v128_t v128;
    void *ref; /* lat_wasm_func_t* for funcref, host pointer for externref */
  } of;
} lat_wasm_val_t;

typedef struct {
  uint8_t kind; /* LAT_EXTERN_* */
  union {
    lat_wasm_func_t *func;
    lat_wasm_table_t *table;
    lat_wasm_memory_t *memory;
    lat_wasm_global_t *global;
    lat_wasm_tag_t *tag;
  } of; /* borrowed: owned by their store */
} lat_wasm_extern_t;

/* ---- traps --------------------------------------------------------------- */

#define LAT_TRAP_LIST(X)                                                  \
  X(LAT_TRAP_NONE, "no trap")                                             \
  X(LAT_TRAP_UNREACHABLE, "unreachable")                                  \
  X(LAT_TRAP_MEMORY_OOB, "out of bounds memory access")                   \
  X(LAT_TRAP_TABLE_OOB, "out of bounds table access")                     \
  X(LAT_TRAP_UNDEFINED_ELEMENT, "undefined element")                      \
  X(LAT_TRAP_UNINITIALIZED_ELEMENT, "uninitialized element")              \
  X(LAT_TRAP_INDIRECT_MISMATCH, "indirect call type mismatch")            \
  X(LAT_TRAP_DIV_ZERO, "integer divide by zero")                          \
  X(LAT_TRAP_INT_OVERFLOW, "integer overflow")                            \
  X(LAT_TRAP_INVALID_CONVERSION, "invalid conversion to integer")         \
  X(LAT_TRAP_STACK_EXHAUSTED, "call stack exhausted")                     \
  X(LAT_TRAP_DEADLINE, "deadline exceeded")                               \
  X(LAT_TRAP_INTERRUPTED, "interrupted")                                  \
  X(LAT_TRAP_OUT_OF_FUEL, "all fuel consumed")                            \
  X(LAT_TRAP_NULL_REFERENCE, "null reference")                            \
  X(LAT_TRAP_EXIT, "exit")                                                \
  X(LAT_TRAP_HOST, "host error")                                          \
  X(LAT_TRAP_GROW_FAILED, "memory.grow failed")                           \
  X(LAT_TRAP_EXCEPTION, "uncaught exception")

typedef enum {
#define LAT_X_TRAP(code, msg) code,
  LAT_TRAP_LIST(LAT_X_TRAP)
#undef LAT_X_TRAP
      LAT_TRAP_COUNT
} lat_wasm_trap_t;

/* The spec's message for a trap code (static string). */
const char *lat_wasm_trap_message(lat_wasm_trap_t t);
/* The text-format name of a value type ("i32" ... "externref"), "?" for
 * anything else.  Static. */
const char *lat_wasm_valtype_name(uint8_t t);

/* ---- features ------------------------------------------------------------ */

/* WebAssembly features past 2.0 that a module may use, checked when it is
 * validated (a module using one that is off is rejected with "... support
 * is not enabled").  The defaults follow wasmtime's: the 3.0 features it
 * turns on by default (tail calls, multi-memory, extended constant
 * expressions, relaxed SIMD) are on; memory64, exception handling, typed
 * function references and GC are off.  `lattice run --wasm NAME` switches
 * one; `lattice wast` turns all on (the 3.0 test suite uses all).
 * X(field, "text name", default) */
#define LAT_WASM_FEATURE_LIST(X)                  \
  X(tail_call, "tail-call", true)                 \
  X(multi_memory, "multi-memory", true)           \
  X(extended_const, "extended-const", true)       \
  X(relaxed_simd, "relaxed-simd", true)           \
  X(memory64, "memory64", false)                  \
  X(exceptions, "exceptions", false)              \
  X(function_references, "function-references", false) \
  X(gc, "gc", false)

typedef struct {
#define LAT_X_FEATURE_FIELD(field, name, def) bool field;
  LAT_WASM_FEATURE_LIST(LAT_X_FEATURE_FIELD)
#undef LAT_X_FEATURE_FIELD
} lat_wasm_features_t;

/* wasmtime's defaults (above). */
void lat_wasm_features_default(lat_wasm_features_t *out);
/* Every feature on. */
void lat_wasm_features_all(lat_wasm_features_t *out);
/* Applies one switch to f: "NAME" or "NAME=y" turns a feature on,
 * "NAME=n" off; "all" / "all=n" every one.  NAME as in the list above
 * ("tail-call").  LAT_EARG with the known names in err on anything else. */
lat_status lat_wasm_features_set(lat_wasm_features_t *f, const char *spec,
                                 lat_error_t *err);

/* ---- modules ------------------------------------------------------------- */

/* Decodes and completely validates bytes (copied; the caller keeps its
 * buffer).  LAT_EMALFORMED or LAT_EINVALID with the reason and the byte
 * offset in err.  Returns new (release with lat_wasm_module_release). */
lat_status lat_wasm_module_new(const uint8_t *bytes, size_t len,
                               lat_wasm_module_t **out, lat_error_t *err);
/* The same, validated against the given features instead of the defaults
 * (features may be NULL: the defaults). */
lat_status lat_wasm_module_new_ex(const uint8_t *bytes, size_t len,
                                  const lat_wasm_features_t *features,
                                  lat_wasm_module_t **out, lat_error_t *err);
void lat_wasm_module_retain(lat_wasm_module_t *m);
void lat_wasm_module_release(lat_wasm_module_t *m); /* accepts NULL */
/* Translate m's functions without the peephole fusions (operand folding,
 * compare+branch, the accumulator, result retargeting; wasm_translate.c):
 * slower code, the reference that tests/fuzz/fuzz_translate.c checks the
 * optimised translation against, and a way to rule the optimiser out when a
 * module misbehaves.  Takes effect for functions not yet translated, so
 * call it before the first instantiation. */
void lat_wasm_module_set_plain(lat_wasm_module_t *m, bool plain);

typedef struct {
  const char *module; /* borrowed from the module, not NUL-terminated */
  size_t module_len;
  const char *name;
  size_t name_len;
  uint8_t kind; /* LAT_EXTERN_* */
  union {
    const lat_wasm_functype_t *func;
    lat_wasm_tabletype_t table;
    lat_wasm_memtype_t memory;
    lat_wasm_globaltype_t global;
    const lat_wasm_functype_t *tag; /* its parameters are the payload */
  } type;
} lat_wasm_import_t;

typedef struct {
  const char *name; /* borrowed, not NUL-terminated */
  size_t name_len;
  uint8_t kind;
  uint32_t index; /* in the module's index space for that kind */
  union {           /* the exported item's declared type */
    const lat_wasm_functype_t *func; /* borrowed from the module */
    lat_wasm_tabletype_t table;
    lat_wasm_memtype_t memory;
    lat_wasm_globaltype_t global;
    const lat_wasm_functype_t *tag;
  } type;
} lat_wasm_export_t;

uint32_t lat_wasm_module_import_count(const lat_wasm_module_t *m);
void lat_wasm_module_import(const lat_wasm_module_t *m, uint32_t i,
                            lat_wasm_import_t *out);
uint32_t lat_wasm_module_export_count(const lat_wasm_module_t *m);
void lat_wasm_module_export(const lat_wasm_module_t *m, uint32_t i,
                            lat_wasm_export_t *out);
/* Type of function `index` in the module's function index space. */
const lat_wasm_functype_t *lat_wasm_module_func_type(const lat_wasm_module_t *m,
                                                     uint32_t index);
/* Name of function `index` from the name section, or NULL (borrowed). */
const char *lat_wasm_module_func_name(const lat_wasm_module_t *m,
                                      uint32_t index, size_t *out_len);

/* ---- text format ---------------------------------------------------------- */

/* Parses one WAT module (`(module ...)` or a bare sequence of fields) and
 * encodes it into the binary format, appended to out.  LAT_ETEXT with line
 * and column in err->msg and the byte offset in err->offset. */
lat_status lat_wat_to_wasm(const char *text, size_t len, lat_buf_t *out,
                           lat_error_t *err);

/* ---- stores and limits ------------------------------------------------------ */

/* A pool of address-space reservations (linear memories, value stacks)
 * shared by stores: a store created with limits.pool takes its regions from
 * it and gives them back, reset, when freed, so a loop that creates a store,
 * instantiates and frees it does not map and unmap a 4 GiB reservation each
 * time (Wasmtime's pooling allocator, in miniature).  A region comes back
 * with its pages discarded (MADV_DONTNEED), so nothing leaks from one store
 * to the next; a memory keeps its module's initial-memory image mapped, so
 * the next instance of that module reuses it without a system call (the
 * pool then holds a reference to the module until the region is reused for
 * something else or the pool is freed).  Thread-safe: one mutex guards the
 * free list; any number of stores on any threads may share a pool, which
 * must outlive them. */
typedef struct lat_wasm_pool lat_wasm_pool_t;

/* Keeps at most max_regions free regions (0 = 64); beyond that a freed
 * region is unmapped.  Returns new (free with lat_wasm_pool_free). */
lat_status lat_wasm_pool_new(size_t max_regions, lat_wasm_pool_t **out);
/* Unmaps the free regions and releases the modules they hold; accepts
 * NULL.  No store may still use it. */
void lat_wasm_pool_free(lat_wasm_pool_t *p);
/* Free regions the pool holds now (for tests and statistics). */
size_t lat_wasm_pool_count(lat_wasm_pool_t *p);

typedef struct {
  lat_wasm_pool_t *pool;     /* borrowed; NULL = map regions per store */
  uint64_t max_memory_bytes; /* per linear memory; 0 = 4 GiB */
  uint64_t max_table_elems;  /* per table; 0 = 10,000,000 */
  uint32_t max_call_depth;   /* 0 = 20,000 frames */
  uint64_t max_stack_bytes;  /* value stack; 0 = 8 MiB */
  uint64_t max_instances;    /* 0 = unlimited */
  bool trap_on_grow_failure; /* memory.grow that fails traps (like wasmtime's
                                -W trap-on-grow-failure) instead of
                                returning -1 */
} lat_wasm_limits_t;

/* Returns new (free with lat_wasm_store_free).  limits may be NULL. */
lat_status lat_wasm_store_new(const lat_wasm_limits_t *limits,
                              lat_wasm_store_t **out);
void lat_wasm_store_free(lat_wasm_store_t *s); /* accepts NULL */
/* Absolute CLOCK_MONOTONIC deadline (lat_now_ns scale); 0 = none.  Checked at
 * loop back-edges and calls; a running call then traps with
 * LAT_TRAP_DEADLINE. */
void lat_wasm_store_set_deadline(lat_wasm_store_t *s, uint64_t deadline_ns);
/* Fuel: each loop back-edge and call consumes one unit; 0 disables. */
void lat_wasm_store_set_fuel(lat_wasm_store_t *s, uint64_t fuel);
uint64_t lat_wasm_store_fuel(const lat_wasm_store_t *s);
/* May be called from any thread: the running call traps with
 * LAT_TRAP_INTERRUPTED at its next back-edge or call. */
void lat_wasm_store_interrupt(lat_wasm_store_t *s);
/* The trap of the last call that returned LAT_TRAP. */
lat_wasm_trap_t lat_wasm_store_trap(const lat_wasm_store_t *s);
/* For LAT_TRAP_EXIT: the exit code given by the host function. */
int lat_wasm_store_exit_code(const lat_wasm_store_t *s);

/* One wasm frame of a trap's backtrace: function func_index in the
 * function index space of inst's module (name it with
 * lat_wasm_module_func_name(lat_wasm_instance_module(inst), ...)). */
typedef struct {
  lat_wasm_instance_t *inst; /* borrowed: owned by the store */
  uint32_t func_index;
} lat_wasm_frame_t;

#define LAT_WASM_BACKTRACE_MAX 64 /* frames a store keeps, innermost first */

/* The wasm frames live when the last trap was raised, innermost first: for
 * a trap in wasm code, the trapping function and its callers; for a host
 * function that returned LAT_TRAP, the wasm frames below it.  A call
 * through a host function that re-enters wasm shows both runs' frames.
 * Copies up to max frames to out (which may be NULL when max is 0) and
 * returns how many it copied; the store keeps the innermost
 * LAT_WASM_BACKTRACE_MAX.  0 after a trap raised outside any wasm frame
 * (a segment out of bounds at instantiation, a host function called
 * directly).  Valid until the next call into the store. */
size_t lat_wasm_store_backtrace(const lat_wasm_store_t *s,
                                lat_wasm_frame_t *out, size_t max);

/* ---- instances ----------------------------------------------------------------- */

/* Instantiates m with imports[i] for the module's i-th import, in order.
 * LAT_EUNLINKABLE when an import is missing or has the wrong kind or type
 * ("incompatible import type").  LAT_TRAP when a segment is out of bounds or
 * the start function traps: effects already made on imported memories and
 * tables stay, as the spec requires.  Returns new (owned by the store). */
lat_status lat_wasm_instance_new(lat_wasm_store_t *s, lat_wasm_module_t *m,
                                 const lat_wasm_extern_t *imports,
                                 size_t nimports, lat_wasm_instance_t **out,
                                 lat_error_t *err);
/* LAT_ENOTFOUND when there is no such export. */
lat_status lat_wasm_instance_export(lat_wasm_instance_t *inst,
                                    const char *name, size_t name_len,
                                    lat_wasm_extern_t *out);
/* Export number i (lat_wasm_module_export's order) of inst, with its name
 * (borrowed from the module, not NUL-terminated): for callers that remember
 * where a name was found.  LAT_ENOTFOUND when i is past the last. */
lat_status lat_wasm_instance_export_nth(lat_wasm_instance_t *inst, uint32_t i,
                                        lat_wasm_export_t *out_export,
                                        lat_wasm_extern_t *out);
lat_wasm_module_t *lat_wasm_instance_module(lat_wasm_instance_t *inst);

/* ---- functions ----------------------------------------------------------------- */

/* Calls f.  args must match its parameter types (LAT_EARG otherwise);
 * results receives nresults values.  LAT_TRAP on a trap. */
lat_status lat_wasm_func_call(lat_wasm_store_t *s, lat_wasm_func_t *f,
                              const lat_wasm_val_t *args, size_t nargs,
                              lat_wasm_val_t *results, size_t nresults,
                              lat_error_t *err);
const lat_wasm_functype_t *lat_wasm_func_type(const lat_wasm_func_t *f);

/* Host functions.  A host function sees its arguments in slots[0..nparams)
 * and writes its results to slots[0..nresults): each i32/i64/f32/f64/ref
 * value takes one 64-bit slot (i32 and f32 zero-extended, refs as pointers),
 * a v128 takes two.  It returns LAT_OK, or LAT_TRAP after
 * lat_wasm_caller_trap. */
typedef struct lat_wasm_caller lat_wasm_caller_t;
typedef lat_status (*lat_wasm_host_fn)(lat_wasm_caller_t *caller, void *env,
                                       uint64_t *slots);
/* type is copied.  env is borrowed.  Returns new (owned by the store). */
lat_status lat_wasm_func_new_host(lat_wasm_store_t *s,
                                  const lat_wasm_functype_t *type,
                                  lat_wasm_host_fn fn, void *env,
                                  lat_wasm_func_t **out);
/* Inside a host function: the calling instance's memory `index` (NULL if
 * none or if the caller is not a wasm instance). */
lat_wasm_memory_t *lat_wasm_caller_memory(lat_wasm_caller_t *c, uint32_t index);
lat_wasm_store_t *lat_wasm_caller_store(lat_wasm_caller_t *c);
/* Sets the trap to report; the host function then returns LAT_TRAP.  For
 * LAT_TRAP_EXIT pass the exit code in code; msg may be NULL.  This starts a
 * new trap, whose backtrace begins at the host function's caller; to pass
 * on a trap from a wasm call the host made, return LAT_TRAP without calling
 * this (the store still holds that trap and its frames). */
lat_status lat_wasm_caller_trap(lat_wasm_caller_t *c, lat_wasm_trap_t trap,
                                int code, const char *msg);

/* ---- memories, tables, globals --------------------------------------------------- */

lat_status lat_wasm_memory_new(lat_wasm_store_t *s, const lat_wasm_memtype_t *t,
                               lat_wasm_memory_t **out, lat_error_t *err);
/* Borrowed pointer, void after any grow of this memory or call into wasm. */
uint8_t *lat_wasm_memory_data(lat_wasm_memory_t *m);
uint64_t lat_wasm_memory_size(const lat_wasm_memory_t *m); /* bytes */
const lat_wasm_memtype_t *lat_wasm_memory_type(const lat_wasm_memory_t *m);
/* LAT_ELIMIT when the growth exceeds the max or the store's cap. */
lat_status lat_wasm_memory_grow(lat_wasm_memory_t *m, uint64_t delta_pages,
                                uint64_t *out_old_pages);

lat_status lat_wasm_table_new(lat_wasm_store_t *s, const lat_wasm_tabletype_t *t,
                              void *init, lat_wasm_table_t **out,
                              lat_error_t *err);
uint64_t lat_wasm_table_size(const lat_wasm_table_t *t);
const lat_wasm_tabletype_t *lat_wasm_table_type(const lat_wasm_table_t *t);
lat_status lat_wasm_table_get(const lat_wasm_table_t *t, uint64_t i,
                              void **out);
lat_status lat_wasm_table_set(lat_wasm_table_t *t, uint64_t i, void *ref);
lat_status lat_wasm_table_grow(lat_wasm_table_t *t, uint64_t delta, void *init,
                               uint64_t *out_old);

lat_status lat_wasm_global_new(lat_wasm_store_t *s,
                               const lat_wasm_globaltype_t *t,
                               const lat_wasm_val_t *init,
                               lat_wasm_global_t **out);
void lat_wasm_global_get(const lat_wasm_global_t *g, lat_wasm_val_t *out);
lat_status lat_wasm_global_set(lat_wasm_global_t *g, const lat_wasm_val_t *v);
const lat_wasm_globaltype_t *lat_wasm_global_type(const lat_wasm_global_t *g);

#endif
