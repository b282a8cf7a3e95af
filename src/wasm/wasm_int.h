/* wasm_int.h: the engine's private contract between its files.
 *
 *   wasm_decode.c    bytes -> lat_wasm_module (sections, index spaces)
 *   wasm_validate.c  type-checks every function body and constant expression
 *   wasm_module.c    lat_wasm_module_new/retain/release and accessors
 *   wasm_text*.c     WAT/WAST text -> binary (scripts for `lattice wast`)
 *   wasm_translate.c function body -> internal code (lazily, on first call)
 *   wasm_interp.c    runs internal code (threaded dispatch)
 *   wasm_runtime.c   stores, instances, linking, memories, tables, globals,
 *                    constant-expression evaluation, host functions
 *
 * The module is immutable after lat_wasm_module_new returns, except for the
 * lazily translated code, which is published once per function under
 * module->translate_lock and then only read.
 *
 * Untrusted input never asserts: the decoder checks every count, size and
 * index against the bytes left and against the named caps below, and the
 * validator rejects everything the spec rejects, so translation and
 * execution may assume a valid module.
 */
#ifndef LAT_WASM_INT_H
#define LAT_WASM_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "wasm.h"

/* ---- sanity caps for counts read from a binary (web-compatible limits) -- */
#define LAT_MAX_TYPES 1000000u
#define LAT_MAX_FUNCS 1000000u
#define LAT_MAX_IMPORTS 100000u
#define LAT_MAX_EXPORTS 100000u
#define LAT_MAX_GLOBALS 1000000u
#define LAT_MAX_DATA_SEGMENTS 100000u
#define LAT_MAX_ELEM_SEGMENTS 10000000u
#define LAT_MAX_TABLES 100000u
#define LAT_MAX_TAGS 1000000u
#define LAT_MAX_MEMORIES 100u /* multi-memory (wasmparser's limit) */
#define LAT_MAX_PARAMS 1000u
#define LAT_MAX_RESULTS 1000u
#define LAT_MAX_LOCALS 50000u /* per function, params included */
#define LAT_MAX_FUNC_SIZE (7654321u)
#define LAT_MAX_MEMORY_PAGES 65536u        /* 4 GiB of 64 KiB pages */
#define LAT_MAX_MEMORY64_PAGES (1ull << 48) /* memory64's type limit */
#define LAT_MAX_TABLE_SIZE 0xffffffffu     /* type limit; stores cap lower */
/* Instantiation and pooling (wasm_module.c, wasm_runtime.c): a memory image
 * up to this size is copied, not mapped; a pooled memory up to this size
 * (and the start of a pooled value stack) is reset by memset / kept, not
 * handed back to the kernel with MADV_DONTNEED. */
#define LAT_IMAGE_COPY_MAX (64u << 10)
#define LAT_POOL_KEEP_RESIDENT (256u << 10)

/* A byte range inside module->bytes. */
typedef struct {
  uint32_t off;
  uint32_t len;
} lat__range_t;

/* A run of locals of one type, as declared in a code entry. */
typedef struct {
  uint32_t count;
  uint8_t type;
} lat__local_run_t;

typedef struct {
  lat__range_t module; /* UTF-8 validated */
  lat__range_t name;
  uint8_t kind; /* LAT_EXTERN_* */
  union {
    uint32_t func_type; /* type index (of a function, or a tag's) */
    lat_wasm_tabletype_t table;
    lat_wasm_memtype_t memory;
    lat_wasm_globaltype_t global;
  } desc;
} lat__import_t;

typedef struct {
  uint32_t type_idx;
  bool imported;
  /* defined functions only: */
  lat__range_t body;      /* whole code entry body (after its size) */
  uint32_t code_off;      /* first instruction, after the local decls */
  uint32_t nlocal_runs;
  lat__local_run_t *local_runs; /* arena */
  uint32_t nlocals;       /* declared locals, params not included */
  _Atomic(void *) code;   /* translated code (wasm_translate.c), or NULL */
} lat__func_t;

typedef struct {
  lat_wasm_globaltype_t type;
  bool imported;
  lat__range_t init; /* defined globals: constant expression incl. `end` */
} lat__global_t;

typedef struct {
  lat__range_t name;
  uint8_t kind;
  uint32_t index;
} lat__export_t;

enum { LAT_SEG_ACTIVE, LAT_SEG_PASSIVE, LAT_SEG_DECLARATIVE };

typedef struct {
  uint8_t mode;       /* LAT_SEG_* */
  uint8_t elem_type;  /* LAT_FUNCREF / LAT_EXTERNREF */
  uint32_t table;     /* active only */
  lat__range_t offset; /* active only: constant expression incl. `end` */
  uint32_t count;
  uint32_t *func_idx;      /* when !is_expr: function indices (arena) */
  lat__range_t *exprs;     /* when is_expr: constant expressions (arena) */
  bool is_expr;
} lat__elem_t;

typedef struct {
  uint8_t mode;  /* LAT_SEG_ACTIVE or LAT_SEG_PASSIVE */
  uint32_t memory;
  lat__range_t offset; /* active only */
  lat__range_t data;
} lat__data_t;

struct lat_wasm_module {
  atomic_int refs;
  uint8_t *bytes; /* owned copy of the binary */
  size_t len;
  lat_arena_t arena; /* everything below that is not separately noted */

  uint32_t ntypes;
  lat_wasm_functype_t *types;

  uint32_t nimports;
  lat__import_t *imports;

  uint32_t nfuncs; /* imported first, then defined */
  uint32_t nfunc_imports;
  lat__func_t *funcs;

  uint32_t ntables;
  uint32_t ntable_imports;
  lat_wasm_tabletype_t *tables;

  uint32_t nmems;
  uint32_t nmem_imports;
  lat_wasm_memtype_t *mems;

  uint32_t nglobals;
  uint32_t nglobal_imports;
  lat__global_t *globals;

  uint32_t ntags; /* exception handling: imported first, then defined */
  uint32_t ntag_imports;
  uint32_t *tags; /* type index of each */

  uint32_t nexports;
  lat__export_t *exports;

  bool has_start;
  uint32_t start;

  uint32_t nelems;
  lat__elem_t *elems;

  lat_wasm_features_t features; /* what validation allowed */

  bool has_datacount;
  bool plain; /* lat_wasm_module_set_plain: no peephole fusions */
  uint32_t datacount;
  uint32_t ndatas;
  lat__data_t *datas;

  /* function names from the "name" custom section: nfuncs entries, len 0
   * when absent (NULL when there is no name section).  Malformed name
   * sections are ignored, as the spec allows for custom sections. */
  lat__range_t *func_names;

  /* set by the validator: functions referenced outside function bodies
   * (exports, element segments, globals), which ref.func may name */
  uint8_t *func_declared; /* nfuncs bytes, 1 = declared */

  pthread_mutex_t translate_lock; /* serialises translation (see top) */
  void *exec;                     /* wasm_translate.c's per-module data */

  /* The initial contents of memory 0 as a copy-on-write image
   * (lat__wasm_module_image), built on first instantiation.  image_state is
   * written once, under image_lock, after the fields below it; readers load
   * it with acquire and then read the rest without the lock. */
  pthread_mutex_t image_lock;
  atomic_int image_state; /* LAT_IMAGE_* */
  int image_fd;           /* memfd holding image_len bytes, or -1 */
  uint8_t *image_copy;    /* a small image: its bytes, copied into each
                             instance instead of mapped (image_fd is -1) */
  uint64_t image_off;     /* memory offset of the image (host-page aligned) */
  uint64_t image_len;     /* bytes, a multiple of the host page; may be 0 */
  uint8_t *image_dropped; /* ndatas data_dropped flags once the image is
                             applied (1 = active); owned */

  /* A compiled tier (src/aot) attached with lat__wasm_module_set_tier, or
   * NULL: the interpreter runs everything.  Written once, before the first
   * instantiation, and then only read. */
  const struct lat__wasm_tier *tier;
  void *tier_data; /* the tier's, freed by tier->module_free on release */
};

/* A compiled tier's hooks (src/aot/aot_rt.c).  lat__wasm_call hands every
 * call of a function of a module with a tier to tier->call instead of the
 * interpreter; calls made *inside* the interpreter (call, call_import,
 * call_indirect of a wasm function) stay interpreted, so mixing tiers is
 * always correct and the interpreter's hot paths carry no check.  The
 * tier keeps per-instance state in instance->tier_inst, freed by
 * tier->instance_free when the store frees the instance. */
typedef struct lat__wasm_tier {
  lat_status (*call)(lat_wasm_store_t *s, lat_wasm_func_t *f, uint64_t *slots);
  void (*module_free)(void *tier_data);
  void (*instance_free)(void *tier_inst);
} lat__wasm_tier_t;

/* Attach tier (borrowed, static) with data (owned from now on) to m.
 * Only before m is first instantiated; LAT_EARG if a tier is attached. */
lat_status lat__wasm_module_set_tier(lat_wasm_module_t *m,
                                     const lat__wasm_tier_t *tier, void *data);

enum {
  LAT_IMAGE_UNKNOWN, /* not built yet */
  LAT_IMAGE_READY,   /* image_off/len and image_fd or image_copy describe
                        all active data */
  LAT_IMAGE_NONE,    /* apply segments one by one (see wasm_module.c) */
};

/* decode the binary in m->bytes into m (wasm_decode.c).  LAT_EMALFORMED with
 * the spec's message ("unexpected end", "magic header not detected",
 * "section size mismatch", "integer too large", ...) and offset. */
lat_status lat__wasm_decode(lat_wasm_module_t *m, lat_error_t *err);
/* Decode-only pass over one expression (wasm_decode.c): reads instructions
 * from r up to and including the `end` that closes it, checking only the
 * binary encoding (opcodes, immediates, nesting, `else` placement, the data
 * count requirement), not types.  stack is the caller's scratch buffer,
 * used above its current len and restored to that len on return.
 * LAT_EMALFORMED with the spec's message; LAT_ENOMEM if stack cannot grow. */
lat_status lat__wasm_skip_expr(const lat_wasm_module_t *m, lat_reader_t *r,
                               lat_buf_t *stack, lat_error_t *err);
/* The same for the body of defined function fidx, with the spec's messages
 * for a body that ends early or late (wasm_decode.c).  err must not be NULL. */
lat_status lat__wasm_scan_body(const lat_wasm_module_t *m, uint32_t fidx,
                               lat_buf_t *stack, lat_error_t *err);
/* validate m completely (wasm_validate.c).  LAT_EINVALID with the spec's
 * message ("type mismatch", "unknown local", ...) and the offset. */
lat_status lat__wasm_validate(lat_wasm_module_t *m, lat_error_t *err);

/* A memarg (shared by the decoder, the validator and the translator).  With
 * multi-memory, flags < 128: bit 6 says a memory index follows, and the
 * alignment exponent is flags & 63 (the validator compares it with the
 * natural alignment); without it, as in 2.0, flags < 32 and the memory is
 * 0.  The offset is a u64 with memory64 (the validator checks that a 32-bit
 * memory's fits in 32 bits), a u32 without.  LAT_EMALFORMED "malformed
 * memop flags" or a LEB error. */
static inline lat_status lat__read_memarg(const lat_wasm_module_t *m,
                                          lat_reader_t *r, uint32_t *out_align,
                                          uint32_t *out_mem,
                                          uint64_t *out_offset,
                                          lat_error_t *err) {
  size_t off = lat_reader_offset(r);
  uint32_t flags;
  lat_status st = lat_read_u32(r, &flags, err);
  if (st) return st;
  *out_mem = 0;
  if (flags >= (m->features.multi_memory ? 128u : 32u))
    return lat_error_set(err, LAT_EMALFORMED, off, "malformed memop flags");
  if (flags & 64u) {
    if ((st = lat_read_u32(r, out_mem, err))) return st;
    flags &= 63u;
  }
  *out_align = flags;
  if (m->features.memory64) return lat_read_u64(r, out_offset, err);
  uint32_t off32 = 0;
  st = lat_read_u32(r, &off32, err);
  *out_offset = off32;
  return st;
}

/* A memory-index immediate (memory.size, .grow, .fill, .copy, .init): a u32
 * with multi-memory, else the reserved zero byte of 2.0 ("zero byte
 * expected"). */
static inline lat_status lat__read_memidx(const lat_wasm_module_t *m,
                                          lat_reader_t *r, uint32_t *out,
                                          lat_error_t *err) {
  if (m->features.multi_memory) return lat_read_u32(r, out, err);
  uint8_t b;
  lat_status st = lat_read_u8(r, &b, err);
  if (st) return st;
  *out = 0;
  if (b != 0)
    return lat_error_set(err, LAT_EMALFORMED, lat_reader_offset(r) - 1,
                         "zero byte expected");
  return LAT_OK;
}

static inline const uint8_t *lat__bytes(const lat_wasm_module_t *m,
                                        lat__range_t r) {
  return m->bytes + r.off;
}

/* ---- runtime objects (wasm_runtime.c) --------------------------------------- */

struct lat_wasm_memory {
  uint8_t *base;      /* reserved region; stays put across grow */
  uint64_t size;      /* current size in bytes */
  uint64_t max_pages; /* effective max: type max, capped by the store */
  uint64_t reserved;  /* bytes of address space reserved at base */
  uint64_t rw;        /* bytes at base that are read-write (>= size): a
                         pooled region may come with more than the minimum */
  lat_wasm_memtype_t type;
  lat_wasm_store_t *store;
  lat_wasm_module_t *image; /* retained: whose memory image is mapped at
                               base (wasm_module.c), or NULL */
  bool no_pool;             /* unmap when freed, never back to a pool */
};

struct lat_wasm_table {
  void **elems; /* size entries; NULL is the null reference */
  uint64_t size;
  uint64_t cap;
  uint64_t max; /* effective max */
  lat_wasm_tabletype_t type;
  lat_wasm_store_t *store;
};

struct lat_wasm_global {
  lat_wasm_globaltype_t type;
  uint64_t val[2]; /* one slot, two for v128 (same layout as a stack slot) */
};

/* An exception tag: its identity is the object (two instances of one module
 * have different tags); type is borrowed from the defining module, which
 * its instance keeps alive as long as the store. */
struct lat_wasm_tag {
  const lat_wasm_functype_t *type;
};

/* A thrown exception (an exnref points to one).  Allocated in the store by
 * throw and freed with it: without a GC there is no telling when the last
 * exnref to it is gone. */
typedef struct {
  lat_wasm_tag_t *tag;
  uint32_t nslots;  /* payload slots (the tag's params, v128 = 2) */
  uint64_t slots[]; /* payload in the value-stack layout */
} lat__exn_t;

/* A new exception of tag with the payload at slots (wasm_runtime.c), owned
 * by the store; NULL when out of memory. */
lat__exn_t *lat__wasm_exn_new(lat_wasm_store_t *s, lat_wasm_tag_t *tag,
                              const uint64_t *slots, uint32_t nslots);

struct lat_wasm_func {
  const lat_wasm_functype_t *type;
  lat_wasm_instance_t *inst; /* NULL for host functions */
  lat__func_t *def;          /* module entry of a wasm function */
  uint32_t idx;              /* index in inst->module's function space */
  lat_wasm_host_fn host;     /* host functions only */
  void *host_env;
  lat_wasm_functype_t own_type; /* host functions: copied type */
};

struct lat_wasm_instance {
  lat_wasm_store_t *store;
  lat_wasm_module_t *module; /* retained */
  lat_wasm_func_t **funcs;   /* module->nfuncs */
  lat_wasm_table_t **tables;
  lat_wasm_memory_t **mems;
  lat_wasm_global_t **globals;
  lat_wasm_tag_t **tags;
  uint8_t *elem_dropped; /* module->nelems flags */
  uint8_t *data_dropped; /* module->ndatas flags */
  void *tier_inst;       /* the module's compiled tier's state, or NULL */
};

struct lat_wasm_caller {
  lat_wasm_store_t *store;
  lat_wasm_instance_t *inst; /* the calling wasm instance, or NULL */
};

struct lat_wasm_store {
  lat_wasm_limits_t limits; /* with defaults filled in */

  /* value stack shared by all frames of the running call (slots of 8 bytes) */
  uint64_t *stack;
  uint64_t *stack_end;
  uint32_t depth; /* current call depth */

  /* interruption: checked at loop back-edges and calls */
  uint64_t deadline_ns;   /* 0 = none */
  atomic_bool interrupt;  /* set by lat_wasm_store_interrupt */
  bool fuel_enabled;
  uint64_t fuel;
  int32_t check_countdown; /* back-edges until the next clock read */

  lat_wasm_trap_t trap; /* last trap */
  lat__exn_t *exn;      /* LAT_TRAP_EXCEPTION: the exception that escaped */
  int exit_code;        /* for LAT_TRAP_EXIT */
  char trap_msg[256];   /* host trap message, if any */

  /* ownership: every object created in the store, freed with it */
  void **objects;
  uint8_t *object_kinds;
  size_t nobjects, cap_objects;
  uint64_t ninstances;

  /* wasm_interp.c: state of the running call, kept across host re-entry
   * (zero-initialised by the store; owned by the interpreter) */
  uint64_t *exec_sp;  /* first free value-stack slot while a host function
                         runs; NULL when no wasm call is active */
  void *exec_frames;  /* lowest call-frame record in use (records grow down
                         from stack_end); NULL when no wasm call is active */
  uint32_t exec_nest; /* lat__wasm_call activations on the C stack */

  /* the last trap's backtrace (lat_wasm_store_backtrace), innermost first.
   * Written only on the trap path: the run that raises a trap restarts it
   * with its own frames, and each run a LAT_TRAP passes through on its way
   * out (via a host function) appends its frames below.  Cleared where a
   * call starts (lat_wasm_func_call, the start function) and where a host
   * raises its own trap (lat_wasm_caller_trap). */
  uint32_t nbt;
  lat_wasm_frame_t bt[LAT_WASM_BACKTRACE_MAX];
};

/* Host->wasm re-entries on the C stack (both tiers count store->exec_nest
 * against it). */
#define LAT__MAX_HOST_NEST 200

/* The interpreter's limit bookkeeping, shared with the compiled tier
 * (wasm_interp.c): the countdown of back-edges and calls until the next
 * check of interrupt, deadline and fuel.  refill runs that check and
 * starts a new batch (a trap, or LAT_TRAP_NONE); countdown_save puts a
 * running countdown back into the store (refunding unused fuel) before
 * control leaves for the host or another run, countdown_load takes it
 * back. */
lat_wasm_trap_t lat__wasm_refill(lat_wasm_store_t *s, int32_t *cd);
void lat__wasm_countdown_save(lat_wasm_store_t *s, int32_t cd);
int32_t lat__wasm_countdown_load(const lat_wasm_store_t *s);

/* Run a function (wasm_interp.c).  slots holds the arguments on entry and
 * the results on return (as many slots as max(params, results)).  Returns
 * LAT_OK or LAT_TRAP with s->trap set. */
lat_status lat__wasm_call(lat_wasm_store_t *s, lat_wasm_func_t *f,
                          uint64_t *slots);
/* Free a module's translated code (wasm_translate.c); called on release. */
void lat__wasm_exec_free(lat_wasm_module_t *m);

/* Evaluate a validated constant expression of module inst->module
 * (wasm_runtime.c), writing one value (two slots for v128). */
lat_status lat__wasm_eval_const(lat_wasm_instance_t *inst, lat__range_t expr,
                                uint64_t out[2]);

/* The module's memory image (wasm_module.c): LAT_IMAGE_READY when memory 0
 * is defined by the module, every active data segment targets it at an
 * `i32.const` offset and fits in its minimum size, so instantiation may map
 * image_fd at base + image_off instead of copying the segments (nothing can
 * trap, and nothing else writes the fresh memory before the segments are
 * applied).  LAT_IMAGE_NONE otherwise or when the image cannot be built.
 * Builds it on the first call; thread-safe. */
int lat__wasm_module_image(lat_wasm_module_t *m);

/* Functype equality (structural). */
bool lat__functype_eq(const lat_wasm_functype_t *a,
                      const lat_wasm_functype_t *b);

#endif
