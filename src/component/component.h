/* component: the WebAssembly Component Model, public API.
 *
 * Three layers, bottom up:
 *
 *  1. Types (lat_ctype_t): the component type graph.  Value types (bool ...
 *     string, list, record, tuple, variant, enum, option, result, flags,
 *     own, borrow), resource types, function types, component types and
 *     instance types.  Nodes are immutable once built and live in an arena
 *     (the decoded component's, or one the caller provides through
 *     lat_ctype_builder_t).  Every value-type node caches its canonical-ABI
 *     size, alignment and flat count.  Resource types compare by identity
 *     (pointer), everything else structurally; a separate name identity
 *     (nid) serves only the decoder's external-visibility rule.
 *
 *  2. The decoded component (lat_component_t): a component binary (layer 1)
 *     decoded and validated in full: every section, the 13 index spaces,
 *     nested components and core modules (each core module is validated by
 *     the core engine, lat_wasm_module_new), core instances, aliases,
 *     canonical definitions and the component's own type (its imports and
 *     exports).  Names are parsed (plain names, [constructor]/[method]/
 *     [static] names, interface names ns:pkg/iface@semver).
 *
 *  3. The canonical ABI (lat_cabi_*): lifting core values and linear memory
 *     into component values (lat_cval_t, a tagged tree) and lowering them
 *     back, with realloc, string transcoding, flattening limits, spilling,
 *     and resource handle tables with own/borrow rules.  Memory is reached
 *     through lat_cabi_memory_t (base + size + a realloc callback) so it
 *     works with any linear memory.
 *
 * Errors: LAT_EMALFORMED (bad encoding) or LAT_EINVALID (fails validation),
 * with the byte offset in err->offset; LAT_EUNSUPPORTED for gated features
 * (async, streams, values, start, GC core types); LAT_TRAP for a guest
 * value or handle the canonical ABI rejects; LAT_EARG for a host value that
 * does not match its type.
 *
 * Ownership: lat_component_t owns its arena; every type, name and string it
 * returns is borrowed from it and lives until lat_component_free.
 */
#ifndef LAT_COMPONENT_H
#define LAT_COMPONENT_H

#include "../base/base.h"
#include "../wasm/wasm.h"

/* ---- type graph ------------------------------------------------------------ */

typedef enum {
  LAT_CT_BOOL = 1,
  LAT_CT_S8,
  LAT_CT_U8,
  LAT_CT_S16,
  LAT_CT_U16,
  LAT_CT_S32,
  LAT_CT_U32,
  LAT_CT_S64,
  LAT_CT_U64,
  LAT_CT_F32,
  LAT_CT_F64,
  LAT_CT_CHAR,
  LAT_CT_STRING,
  LAT_CT_LIST,
  LAT_CT_RECORD,
  LAT_CT_TUPLE,
  LAT_CT_VARIANT,
  LAT_CT_ENUM,
  LAT_CT_OPTION,
  LAT_CT_RESULT,
  LAT_CT_FLAGS,
  LAT_CT_OWN,
  LAT_CT_BORROW,
  /* not value types */
  LAT_CT_RESOURCE,
  LAT_CT_FUNC,
  LAT_CT_COMPONENT,
  LAT_CT_INSTANCE,
  LAT_CT_MODULE, /* core module type */
  LAT_CT_KIND_COUNT
} lat_ctype_kind_t;

/* Sorts of the component-level index spaces (binary `sort` codes, with
 * core sorts folded in as LAT_CSORT_CORE_*). */
typedef enum {
  LAT_CSORT_FUNC = 0,
  LAT_CSORT_VALUE,
  LAT_CSORT_TYPE,
  LAT_CSORT_COMPONENT,
  LAT_CSORT_INSTANCE,
  LAT_CSORT_CORE_FUNC,
  LAT_CSORT_CORE_TABLE,
  LAT_CSORT_CORE_MEMORY,
  LAT_CSORT_CORE_GLOBAL,
  LAT_CSORT_CORE_TAG,
  LAT_CSORT_CORE_TYPE,
  LAT_CSORT_CORE_MODULE,
  LAT_CSORT_CORE_INSTANCE,
  LAT_CSORT_COUNT
} lat_csort_t;

/* "func", "core module", ... (static string) */
const char *lat_csort_name(lat_csort_t s);

typedef struct lat_ctype lat_ctype_t;

typedef struct {
  const char *name;         /* NUL-terminated; NULL for tuple elements */
  const lat_ctype_t *type;  /* NULL for a variant case with no payload */
} lat_cfield_t;

/* A parsed import/export name. */
typedef enum {
  LAT_CNAME_LABEL = 0,   /* foo-bar */
  LAT_CNAME_CONSTRUCTOR, /* [constructor]r          resource = r */
  LAT_CNAME_METHOD,      /* [method]r.f             resource = r, label = f */
  LAT_CNAME_STATIC,      /* [static]r.f */
  LAT_CNAME_INTERFACE,   /* ns:pkg/iface@1.2.3 */
} lat_cname_kind_t;

typedef struct {
  uint64_t major, minor, patch;
  const char *pre;   /* pre-release ("rc.1") or "" */
  const char *build; /* build metadata or "" */
} lat_semver_t;

typedef struct {
  lat_cname_kind_t kind;
  const char *full;     /* the whole name as written */
  const char *label;    /* LABEL: the label; METHOD/STATIC: the function */
  const char *resource; /* CONSTRUCTOR/METHOD/STATIC */
  const char *ns;       /* INTERFACE: "wasi" */
  const char *pkg;      /* "http" */
  const char *iface;    /* "types" */
  bool has_version;
  lat_semver_t version;
  const char *implements; /* the `implements` attribute (an interface name) or NULL */
} lat_cname_t;

/* An import or export declaration, of a component type or an instance type
 * (and of a decoded component). */
typedef struct {
  lat_cname_t name;
  lat_csort_t sort;         /* FUNC, TYPE, COMPONENT, INSTANCE, CORE_MODULE */
  const lat_ctype_t *type;  /* FUNC: a FUNC type; COMPONENT/INSTANCE/MODULE:
                               that type; TYPE: the bound type (a fresh
                               RESOURCE for `(sub resource)`) */
  bool sub_resource;        /* TYPE with a `(sub resource)` bound */
  uint32_t nid;             /* TYPE: the name identity the declaration gives
                               its type (see lat_ctype_t.nid); 0 if none */
} lat_cextern_t;

/* Core module type entries (for LAT_CT_MODULE). */
typedef struct {
  const char *module; /* imports only */
  const char *name;
  uint8_t kind;                      /* LAT_EXTERN_* (or 4 = tag) */
  const lat_wasm_functype_t *func;   /* kind FUNC */
  union {                            /* kinds TABLE, MEMORY, GLOBAL */
    lat_wasm_tabletype_t table;
    lat_wasm_memtype_t memory;
    lat_wasm_globaltype_t global;
  } type;
} lat_ccore_extern_t;

struct lat_ctype {
  uint8_t kind;  /* lat_ctype_kind_t */
  uint32_t n;    /* fields, cases, labels, elements, params, decls */
  union {
    const lat_cfield_t *fields;     /* RECORD, VARIANT (cases), TUPLE, FUNC params */
    const char *const *labels;      /* FLAGS, ENUM */
    const lat_ctype_t *elem;        /* LIST, OPTION, OWN/BORROW (the RESOURCE) */
    struct {
      const lat_ctype_t *ok, *err;  /* RESULT; either may be NULL */
    } result;
    const lat_cextern_t *decls;     /* COMPONENT: imports then exports;
                                       INSTANCE: exports */
    const lat_ccore_extern_t *core; /* MODULE: imports then exports */
  } u;
  const lat_ctype_t *result; /* FUNC: the result type, or NULL */
  uint32_t nimports;         /* COMPONENT, MODULE: leading imports in u */
  /* RESOURCE */
  uint32_t dtor;             /* core func index of the destructor, or UINT32_MAX */
  const char *res_name;      /* a name for messages (the export/import label) */
  /* canonical ABI, cached for value types (0 for others) */
  uint32_t size;   /* elem_size */
  uint32_t align;  /* alignment */
  uint32_t nflat;  /* flat count, saturated at LAT_CABI_FLAT_SAT */
  bool has_borrow; /* transitively contains borrow */
  bool has_resource; /* transitively refers to a resource type */
  bool has_nominal;  /* is or transitively contains a record, variant, enum
                        or flags type */
  uint32_t nid;      /* name identity, for the external-visibility rule:
                        RECORD/VARIANT/ENUM/FLAGS: the definition, import or
                        export that introduced this node (each import or
                        export of such a type makes a copy with a new id);
                        OWN/BORROW: that of the type index the handle was
                        written with (an import or export of a resource
                        gives the same resource a new id).  Kept by
                        substitution; 0 for types built by the builder. */
  uint16_t depth;  /* nesting depth (1 for leaves), capped at LAT_CTYPE_MAX_DEPTH */
  uint32_t tsize;  /* size of the type as a tree (shared nodes counted each
                      time), capped at LAT_CTYPE_MAX_SIZE: bounds every
                      structural walk */
};

#define LAT_CTYPE_MAX_DEPTH 100u
#define LAT_CTYPE_MAX_SIZE 1000000u

#define LAT_CABI_FLAT_SAT 0xffffu
#define LAT_CABI_MAX_FLAT_PARAMS 16u
#define LAT_CABI_MAX_FLAT_RESULTS 1u
#define LAT_CABI_MAX_STRING_BYTES ((1u << 28) - 1)
#define LAT_CABI_MAX_LIST_BYTES ((1u << 28) - 1)
#define LAT_CABI_MAX_HANDLES ((1u << 28) - 1)

static inline bool lat_ctype_is_value(const lat_ctype_t *t) {
  return t && t->kind >= LAT_CT_BOOL && t->kind <= LAT_CT_BORROW;
}
/* "u32", "list", ... (static string) */
const char *lat_ctype_kind_name(lat_ctype_kind_t k);

/* Builds types in an arena (for hosts describing what they provide, and for
 * tests).  Every builder function returns NULL on out of memory or on an
 * invalid shape (no fields, more than 32 flags, a borrow in a result, a
 * size over 2^28), after setting err. */
typedef struct {
  lat_arena_t *arena; /* borrowed */
  lat_error_t *err;   /* may be NULL */
} lat_ctype_builder_t;

const lat_ctype_t *lat_ctype_prim(lat_ctype_kind_t k); /* static nodes */
const lat_ctype_t *lat_ctype_list(lat_ctype_builder_t *b, const lat_ctype_t *elem);
const lat_ctype_t *lat_ctype_option(lat_ctype_builder_t *b, const lat_ctype_t *t);
const lat_ctype_t *lat_ctype_result(lat_ctype_builder_t *b, const lat_ctype_t *ok,
                                    const lat_ctype_t *err);
/* fields/labels are copied (names too). */
const lat_ctype_t *lat_ctype_record(lat_ctype_builder_t *b, const lat_cfield_t *f,
                                    uint32_t n);
const lat_ctype_t *lat_ctype_variant(lat_ctype_builder_t *b, const lat_cfield_t *c,
                                     uint32_t n);
const lat_ctype_t *lat_ctype_tuple(lat_ctype_builder_t *b,
                                   const lat_ctype_t *const *elems, uint32_t n);
const lat_ctype_t *lat_ctype_flags(lat_ctype_builder_t *b,
                                   const char *const *labels, uint32_t n);
const lat_ctype_t *lat_ctype_enum(lat_ctype_builder_t *b,
                                  const char *const *labels, uint32_t n);
/* A fresh resource type (unequal to every other). */
const lat_ctype_t *lat_ctype_resource(lat_ctype_builder_t *b, const char *name);
const lat_ctype_t *lat_ctype_own(lat_ctype_builder_t *b, const lat_ctype_t *res);
const lat_ctype_t *lat_ctype_borrow(lat_ctype_builder_t *b, const lat_ctype_t *res);
const lat_ctype_t *lat_ctype_func(lat_ctype_builder_t *b, const lat_cfield_t *params,
                                  uint32_t n, const lat_ctype_t *result);
/* decls copied; their names are parsed (LAT_EINVALID on a bad name). */
const lat_ctype_t *lat_ctype_instance(lat_ctype_builder_t *b,
                                      const lat_cextern_t *exports, uint32_t n);

/* Structural equality (resources by identity). */
bool lat_ctype_equal(const lat_ctype_t *a, const lat_ctype_t *b);

/* Import type checking: is `actual` (what the host or another component
 * provides) a subtype of `expected` (what the importer declared)?  Instance
 * types: every expected export must be present (extra ones are fine) with a
 * compatible type; a `(sub resource)` export binds the expected resource to
 * the provided one for the rest of the check.  Function types: same
 * parameter names and types, same result.  On a mismatch returns
 * LAT_EUNLINKABLE with the path in err->msg. */
lat_status lat_ctype_check_subtype(const lat_ctype_t *actual,
                                   const lat_ctype_t *expected,
                                   lat_error_t *err);

/* Writes a WIT-like rendering of t ("list<tuple<u32, string>>",
 * "func(name: string) -> string").  Resources print their name. */
lat_status lat_ctype_print(const lat_ctype_t *t, lat_buf_t *out);

/* ---- names ------------------------------------------------------------------ */

/* Parses an externname (plainname or interfacename, Explainer.md grammar).
 * Strings are allocated in arena.  LAT_EINVALID when not well formed. */
lat_status lat_cname_parse(const char *s, size_t len, lat_arena_t *arena,
                           lat_cname_t *out, lat_error_t *err);
/* True when s[0..len) is a kebab-case label. */
bool lat_clabel_valid(const char *s, size_t len);
/* Parses a SemVer 2.0 version; false when invalid.  pre/build point into
 * an arena copy (arena may be NULL: then they are left "" ). */
bool lat_semver_parse(const char *s, size_t len, lat_arena_t *arena,
                      lat_semver_t *out);
/* <0, 0, >0 by SemVer precedence (build metadata ignored). */
int lat_semver_cmp(const lat_semver_t *a, const lat_semver_t *b);
/* True when a provider of interface `provided` can satisfy an import of
 * `wanted`: same namespace, package and interface, and versions in the same
 * semver-compatible track (same major for >=1; same 0.minor for 0.x; equal
 * for 0.0.x and pre-releases).  Patch releases are additive, so a 0.2.12
 * host satisfies 0.2.10 and 0.2.12 imports; a 0.2.10 host also satisfies a
 * 0.2.12 import as far as names go — the type check then decides (items
 * added after 0.2.10 will be missing).  Unversioned only matches
 * unversioned. */
bool lat_cname_version_compatible(const lat_cname_t *provided,
                                  const lat_cname_t *wanted);
/* The Explainer's strong-uniqueness canonical form ("[method]a.a" -> "a",
 * acronyms lower-cased), written to out (NUL-terminated). */
lat_status lat_cname_canonical(const lat_cname_t *n, lat_buf_t *out);

/* ---- decoded components ------------------------------------------------------ */

typedef struct lat_component lat_component_t;

typedef struct {
  bool skip_core_validation; /* keep core modules as byte ranges only (tests,
                                or while no core engine is linked) */
  uint32_t max_nesting;      /* nested components/types; 0 = 64 */
} lat_component_options_t;

/* Decodes and validates bytes (copied).  Returns new (free with
 * lat_component_free).  opts may be NULL. */
lat_status lat_component_new(const uint8_t *bytes, size_t len,
                             const lat_component_options_t *opts,
                             lat_component_t **out, lat_error_t *err);
void lat_component_free(lat_component_t *c); /* accepts NULL */

/* True when bytes start with a component preamble (layer 1). */
bool lat_component_is_component(const uint8_t *bytes, size_t len);

/* The component's type: imports and exports, in definition order.  The
 * returned pointers are borrowed from c. */
uint32_t lat_component_import_count(const lat_component_t *c);
const lat_cextern_t *lat_component_import(const lat_component_t *c, uint32_t i);
uint32_t lat_component_export_count(const lat_component_t *c);
const lat_cextern_t *lat_component_export(const lat_component_t *c, uint32_t i);
const lat_ctype_t *lat_component_type(const lat_component_t *c);

/* Sizes of the top-level index spaces (for tools and tests). */
uint32_t lat_component_space_size(const lat_component_t *c, lat_csort_t s);
/* Core modules embedded at the top level, as byte ranges into the copy of
 * the input kept by c; and the validated module when core validation ran
 * (NULL otherwise; borrowed). */
uint32_t lat_component_core_module_count(const lat_component_t *c);
const uint8_t *lat_component_core_module_bytes(const lat_component_t *c,
                                               uint32_t i, size_t *out_len);
lat_wasm_module_t *lat_component_core_module(const lat_component_t *c,
                                             uint32_t i);
uint32_t lat_component_nested_count(const lat_component_t *c);

/* Appends a WIT-like listing of the imports and exports to out:
 * "import wasi:io/streams@0.2.12;" / "export greet: func(name: string) ->
 * string;", one per line, in order. */
lat_status lat_component_print_world(const lat_component_t *c, lat_buf_t *out);

/* ---- canonical ABI: values ------------------------------------------------------
 *
 * A component value is a tagged tree.  Host-side strings are always UTF-8
 * (transcoding to and from utf16 / latin1+utf16 happens at lift and lower).
 * own/borrow values carry the resource representation (rep) and the
 * runtime resource type. */

typedef struct lat_cval lat_cval_t;
typedef struct lat_cabi_rtype lat_cabi_rtype_t;

struct lat_cval {
  uint8_t kind; /* lat_ctype_kind_t of the value's type */
  union {
    bool b;
    int64_t s;    /* S8..S64 */
    uint64_t u;   /* U8..U64 */
    float f32;
    double f64;
    uint32_t c;   /* CHAR: a Unicode scalar value */
    struct {
      const char *ptr; /* UTF-8, not NUL-terminated */
      uint32_t len;    /* bytes */
    } str;
    struct {
      lat_cval_t *v;        /* LIST elements, RECORD fields, TUPLE elements */
      uint32_t n;
      const uint8_t *bytes; /* LIST of u8/s8 only: the raw bytes (v is NULL) */
    } list;
    struct {
      uint32_t disc;        /* VARIANT/ENUM case; OPTION 0=none 1=some;
                               RESULT 0=ok 1=error */
      lat_cval_t *payload;  /* NULL when the case has none */
    } var;
    uint32_t flags;         /* FLAGS: bit i = label i */
    struct {
      uint32_t rep;
      const lat_cabi_rtype_t *rt;
    } handle;               /* OWN, BORROW */
  } of;
};

/* ---- canonical ABI: runtime state ------------------------------------------------ */

typedef struct lat_cabi_instance lat_cabi_instance_t;
typedef struct lat_cabi_call lat_cabi_call_t;

/* A resource type at run time (one per resource definition per component
 * instance, or one per host resource).  Identity is by pointer. */
struct lat_cabi_rtype {
  lat_cabi_instance_t *impl; /* defining instance (NULL: the host) */
  /* Destructor, or NULL.  Called by resource.drop of an own handle. */
  lat_status (*dtor)(void *ctx, uint32_t rep, lat_error_t *err);
  void *dtor_ctx;
  const char *name; /* for messages */
};

/* Per component instance: the handle table and the reentrance flags. */
lat_status lat_cabi_instance_new(lat_cabi_instance_t *parent,
                                 lat_cabi_instance_t **out);
/* Frees the table; destructors are not run (the instance is going away). */
void lat_cabi_instance_free(lat_cabi_instance_t *inst); /* accepts NULL */
uint32_t lat_cabi_instance_handle_count(const lat_cabi_instance_t *inst);
bool lat_cabi_instance_may_leave(const lat_cabi_instance_t *inst);
void lat_cabi_instance_set_may_leave(lat_cabi_instance_t *inst, bool v);

/* Reentrance: entering `callee` from `caller` (NULL: from the host) traps
 * when any instance in callee's ancestry that is not also caller's is
 * already on the stack.  leave must pair with a successful enter. */
lat_status lat_cabi_instance_enter(lat_cabi_instance_t *callee,
                                   lat_cabi_instance_t *caller,
                                   lat_error_t *err);
void lat_cabi_instance_leave(lat_cabi_instance_t *callee,
                             lat_cabi_instance_t *caller);

/* One synchronous call, seen from both sides: borrows lent by the caller
 * (released by lat_cabi_call_finish) and borrow handles created in the
 * callee (all must be dropped before it returns). */
struct lat_cabi_call {
  uint32_t num_borrows;       /* borrow handles live in the callee */
  lat_cabi_instance_t *lender; /* the caller whose handles were lent */
  uint32_t *lent;             /* handle indices in lender's table */
  uint32_t nlent, caplent;
};
void lat_cabi_call_init(lat_cabi_call_t *call);
/* Callee is returning: traps when it still holds borrows. */
lat_status lat_cabi_call_check_return(const lat_cabi_call_t *call,
                                      lat_error_t *err);
/* Caller side, after the callee returned: ends the lends. */
void lat_cabi_call_finish(lat_cabi_call_t *call);
void lat_cabi_call_fini(lat_cabi_call_t *call); /* frees the lend list */

/* Built-ins, run in `inst` (the caller of the built-in). */
lat_status lat_cabi_resource_new(lat_cabi_instance_t *inst,
                                 const lat_cabi_rtype_t *rt, uint32_t rep,
                                 uint32_t *out_handle, lat_error_t *err);
lat_status lat_cabi_resource_rep(lat_cabi_instance_t *inst,
                                 const lat_cabi_rtype_t *rt, uint32_t handle,
                                 uint32_t *out_rep, lat_error_t *err);
/* Own: runs rt's destructor (after the reentrance check on rt->impl);
 * borrow: ends the borrow.  Traps on a wrong type, a lent handle, a bad
 * index, or when inst may not leave. */
lat_status lat_cabi_resource_drop(lat_cabi_instance_t *inst,
                                  const lat_cabi_rtype_t *rt, uint32_t handle,
                                  lat_error_t *err);

/* ---- canonical ABI: memory and options --------------------------------------------- */

typedef struct lat_cabi_memory lat_cabi_memory_t;
struct lat_cabi_memory {
  uint8_t *base; /* borrowed; refreshed by realloc_fn and refresh_fn */
  uint64_t size; /* bytes */
  /* The `realloc` canonical option: cabi_realloc(old_ptr, old_size, align,
   * new_size).  Must refresh base/size (memory may have grown).  NULL when
   * the options have no realloc. */
  lat_status (*realloc_fn)(lat_cabi_memory_t *m, uint32_t old_ptr,
                           uint32_t old_size, uint32_t align,
                           uint32_t new_size, uint32_t *out_ptr,
                           lat_error_t *err);
  void *ctx; /* for the callbacks */
};

typedef enum {
  LAT_CABI_UTF8 = 0,
  LAT_CABI_UTF16 = 1,
  LAT_CABI_LATIN1_UTF16 = 2,
} lat_cabi_encoding_t;

/* Maps a static RESOURCE type to its run-time type in this context. */
typedef const lat_cabi_rtype_t *(*lat_cabi_rtype_fn)(void *ctx,
                                                     const lat_ctype_t *res);

/* A lift/lower context (the spec's LiftLowerContext). */
typedef struct {
  lat_cabi_encoding_t encoding;
  lat_cabi_memory_t *memory;  /* NULL: no memory option */
  lat_cabi_instance_t *inst;  /* whose handle table; NULL: no resources */
  lat_cabi_call_t *call;      /* borrow scope; NULL: borrows not allowed */
  lat_cabi_rtype_fn rtype_of; /* required when types contain handles */
  void *rtype_ctx;
  lat_arena_t *arena;         /* lifted values are allocated here */
  uint64_t max_host_bytes;    /* cap on arena growth per lift; 0 = 256 MiB */
  uint64_t arena_start;       /* arena->total when the context began */
} lat_cabi_cx_t;

/* ---- canonical ABI: operations ------------------------------------------------------ */

/* Flattening.  Core types are LAT_I32/I64/F32/F64.  LAT_ELIMIT when more
 * than cap are needed. */
lat_status lat_cabi_flatten(const lat_ctype_t *t, uint8_t *out, uint32_t cap,
                            uint32_t *out_n);
/* The core signature of a lifted ('lift' = true) or lowered function, after
 * the MAX_FLAT_PARAMS / MAX_FLAT_RESULTS rules.  params/results must have
 * room for 17 and 1 entries.  Needs no memory: i32 pointers. */
lat_status lat_cabi_flatten_func(const lat_ctype_t *ft, bool lift,
                                 uint8_t params[17], uint32_t *out_nparams,
                                 uint8_t results[1], uint32_t *out_nresults);

/* Lift one value from memory at ptr (must be aligned and in bounds:
 * LAT_TRAP otherwise). */
lat_status lat_cabi_load(lat_cabi_cx_t *cx, uint32_t ptr, const lat_ctype_t *t,
                         lat_cval_t *out, lat_error_t *err);
/* Lower one value into memory at ptr. */
lat_status lat_cabi_store(lat_cabi_cx_t *cx, const lat_cval_t *v,
                          const lat_ctype_t *t, uint32_t ptr, lat_error_t *err);

/* Lifts n values of types ts from flat core values (the spec's
 * lift_flat_values): when they flatten to more than max_flat values, flat[0]
 * is a pointer to a tuple in memory.  nflat must equal the flat count (or
 * 1 when spilled); out has room for n. */
lat_status lat_cabi_lift_values(lat_cabi_cx_t *cx, uint32_t max_flat,
                                const lat_wasm_val_t *flat, uint32_t nflat,
                                const lat_ctype_t *const *ts, uint32_t n,
                                lat_cval_t *out, lat_error_t *err);
/* Lowers n values (the spec's lower_flat_values).  When they flatten to
 * more than max_flat: with out_param (a guest pointer) they are stored
 * there and nothing is flat; without it a tuple is allocated with realloc
 * and its pointer is the one flat value.  out has room for cap values. */
lat_status lat_cabi_lower_values(lat_cabi_cx_t *cx, uint32_t max_flat,
                                 const lat_cval_t *vs, const lat_ctype_t *const *ts,
                                 uint32_t n, const uint32_t *out_param,
                                 lat_wasm_val_t *out, uint32_t cap,
                                 uint32_t *out_n, lat_error_t *err);

/* Checks that a host value matches t (kinds, discriminants, char, UTF-8,
 * lengths); LAT_EARG when not.  lower does this as it goes. */
lat_status lat_cval_check(const lat_cval_t *v, const lat_ctype_t *t,
                          lat_error_t *err);
/* Deep equality (floats by bits, NaN == NaN). */
bool lat_cval_equal(const lat_cval_t *a, const lat_cval_t *b);


/* ---- instantiation and linking (component_instance.c) -------------------------------
 *
 * A linker (lat_clinker_t) holds what the host provides: named instances
 * (an interface name such as "wasi:io/streams@0.2.12", or a plain label)
 * described by instance types, the C functions behind their function
 * exports, and host resource types.  It is built once, then only read: one
 * linker serves any number of instantiations, on any threads.
 *
 * lat_cinstance_new replays a decoded component's definitions against a
 * store: imports are matched with the linker's instances by name (interface
 * names through lat_cname_version_compatible, so a 0.2.12 host serves 0.2.0
 * to 0.2.12 imports) and then by type (lat_ctype_check_subtype rules);
 * core modules are instantiated, `canon lower` becomes a core host function
 * that lifts its arguments from the caller's memory, calls the target (a
 * host function or another component's lifted export) and lowers the
 * result; `canon lift` makes a component function callable with
 * lat_cfunc_call.  Every component instance has its own handle table and
 * reentrance flags (lat_cabi_instance_t); host resources get one run-time
 * type per instantiation so their destructors see that instance's host data.
 */
typedef struct lat_clinker lat_clinker_t;
typedef struct lat_cinstance lat_cinstance_t;
typedef struct lat_cfunc lat_cfunc_t;
typedef struct lat_chost_call lat_chost_call_t;

/* A host function: args are lifted already (borrowed; they live until it
 * returns); it writes its result (when the function type has one) to
 * *result, allocating in lat_chost_call_arena.  Returns LAT_OK, or LAT_TRAP
 * after lat_chost_call_trap. */
typedef lat_status (*lat_chost_fn)(lat_chost_call_t *call, void *env,
                                   const lat_cval_t *args, uint32_t nargs,
                                   lat_cval_t *result);
/* Destructor of a host resource (the guest dropped its last own handle).
 * data is the instance's host data (lat_cinstance_new). */
typedef void (*lat_chost_dtor_fn)(void *data, void *env, uint32_t rep);

lat_status lat_clinker_new(lat_clinker_t **out);
void lat_clinker_free(lat_clinker_t *l); /* accepts NULL */
/* Arena for types the host builds (lives as long as the linker). */
lat_arena_t *lat_clinker_arena(lat_clinker_t *l);
/* A new host resource type; *out is its RESOURCE node (use it in the
 * instance types), *out_id its number for lat_chost_call_rtype. */
lat_status lat_clinker_resource(lat_clinker_t *l, const char *name,
                                const lat_ctype_t **out, uint32_t *out_id);
lat_status lat_clinker_resource_dtor(lat_clinker_t *l, uint32_t id,
                                     lat_chost_dtor_fn dtor, void *env);
/* The resource node of id. */
const lat_ctype_t *lat_clinker_resource_type(const lat_clinker_t *l,
                                             uint32_t id);
/* Defines instance `name` of type `type` (an INSTANCE type whose resource
 * exports are nodes made by lat_clinker_resource).  name is copied. */
lat_status lat_clinker_instance(lat_clinker_t *l, const char *name,
                                const lat_ctype_t *type, uint32_t *out_index,
                                lat_error_t *err);
/* Finds an instance by exact name; UINT32_MAX when none. */
uint32_t lat_clinker_find(const lat_clinker_t *l, const char *name);
const lat_ctype_t *lat_clinker_instance_type(const lat_clinker_t *l,
                                             uint32_t index);
/* Implements function export `name` of instance `index`.  A function
 * export left without an implementation links, and traps when called
 * ("not implemented by the host"). */
lat_status lat_clinker_func(lat_clinker_t *l, uint32_t index, const char *name,
                            lat_chost_fn fn, void *env, lat_error_t *err);

/* Inside a host function. */
void *lat_chost_call_data(const lat_chost_call_t *c);
lat_arena_t *lat_chost_call_arena(lat_chost_call_t *c);
lat_wasm_store_t *lat_chost_call_store(const lat_chost_call_t *c);
/* This instantiation's run-time type of host resource id. */
const lat_cabi_rtype_t *lat_chost_call_rtype(const lat_chost_call_t *c,
                                             uint32_t id);
/* Traps the calling guest (LAT_TRAP_EXIT with code for an exit); returns
 * LAT_TRAP for the host function to return. */
lat_status lat_chost_call_trap(lat_chost_call_t *c, lat_wasm_trap_t trap,
                               int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Instantiates c in store s (which must outlive the instance, and must not
 * be freed before it: free the instance first, then the store).  host_data
 * is handed to host functions and destructors.  LAT_EUNLINKABLE names the
 * import that is missing or mistyped; LAT_TRAP when a start function traps.
 * Returns new (free with lat_cinstance_free). */
lat_status lat_cinstance_new(lat_wasm_store_t *s, const lat_component_t *c,
                             const lat_clinker_t *l, void *host_data,
                             lat_cinstance_t **out, lat_error_t *err);
void lat_cinstance_free(lat_cinstance_t *ci); /* accepts NULL */
/* An exported function: `iface` NULL for a function exported at the top
 * level, else the exported instance's name (interface names match by
 * compatible version) and `name` the function in it.  NULL when absent. */
lat_cfunc_t *lat_cinstance_func(lat_cinstance_t *ci, const char *iface,
                                const char *name);
const lat_ctype_t *lat_cfunc_type(const lat_cfunc_t *f);
/* Calls f (lowering args into the callee, lifting its result into arena,
 * running post-return).  *out_result is written when the type has a
 * result.  LAT_TRAP with the reason in err; the store tells the trap code
 * (LAT_TRAP_EXIT and the exit code for wasi:cli/exit). */
lat_status lat_cfunc_call(lat_cinstance_t *ci, lat_cfunc_t *f,
                          const lat_cval_t *args, uint32_t nargs,
                          lat_cval_t *out_result, lat_arena_t *arena,
                          lat_error_t *err);


/* Reads WIT text (one or more `package ...;` sections with their
 * interfaces; see component_wit.c for the subset) and defines every stable
 * interface as a linker instance "ns:pkg/iface@version".  Packages that
 * `use` others must come after them in the same text, or be in the linker
 * already (an earlier call's interface, e.g. WASI's).  LAT_EINVALID with
 * the line on a syntax or name error. */
lat_status lat_clinker_add_wit(lat_clinker_t *l, const char *text, size_t len,
                               lat_error_t *err);
/* The id of resource `name` exported by instance `iface` (exact name);
 * false when there is none. */
bool lat_clinker_resource_find(const lat_clinker_t *l, const char *iface,
                               const char *name, uint32_t *out_id);


/* Linker instances, for tools: count and name (borrowed) of index. */
uint32_t lat_clinker_instance_count(const lat_clinker_t *l);
const char *lat_clinker_instance_name(const lat_clinker_t *l, uint32_t index);
/* The host is done with an own handle it received from a guest (a lifted
 * own<R> result): runs R's destructor, if it has one. */
lat_status lat_cinstance_drop_own(lat_cinstance_t *ci, const lat_cval_t *own,
                                  lat_error_t *err);


/* A component linked against a linker, once: the imports matched and type
 * checked, the host functions behind them looked up.  Instantiating from it
 * (lat_cinstance_new_pre) repeats none of that, which is what a server
 * instantiating per request wants.  Immutable; shareable across threads.
 * c and l are borrowed and must outlive it.  Returns new (free with
 * lat_cpre_free). */
typedef struct lat_cpre lat_cpre_t;
lat_status lat_cpre_new(const lat_component_t *c, const lat_clinker_t *l,
                        lat_cpre_t **out, lat_error_t *err);
void lat_cpre_free(lat_cpre_t *p); /* accepts NULL */
lat_status lat_cinstance_new_pre(lat_wasm_store_t *s, const lat_cpre_t *pre,
                                 void *host_data, lat_cinstance_t **out,
                                 lat_error_t *err);
/* This instantiation's run-time type of host resource id (lat_clinker_resource),
 * for handles the host creates outside a host call, e.g. the own<R>
 * arguments of an export it calls.  NULL for an unknown id.  Borrowed from
 * ci. */
const lat_cabi_rtype_t *lat_cinstance_host_rtype(const lat_cinstance_t *ci,
                                                 uint32_t id);

/* ---- values as text (component_wave.c) -------------------------------------
 * WAVE syntax (see component_wave.c).  Own handles printed are recorded in
 * a table the caller keeps, as `#N`; `#N` parses back to handle N (an own
 * parameter moves it: N cannot be used again). */
#define LAT_WAVE_MAX_HANDLES 1024
typedef struct {
  lat_cval_t h[LAT_WAVE_MAX_HANDLES];
  uint32_t n;
  bool dropped[LAT_WAVE_MAX_HANDLES];
} lat_wave_handles_t;

/* Appends v (of type t) to o; hs may be NULL (handles print as #repN). */
void lat_wave_print(lat_buf_t *o, const lat_cval_t *v, const lat_ctype_t *t,
                    lat_wave_handles_t *hs);
/* Parses the whole of text as a value of type t into *out (allocated in a);
 * LAT_EINVALID when it is not one.  hs may be NULL (no handles). */
lat_status lat_wave_parse(const char *text, const lat_ctype_t *t, lat_arena_t *a,
                          lat_wave_handles_t *hs, lat_cval_t *out);
/* The zero value of t (false, 0, "", first case, none, ok(zero)...). */
void lat_wave_zero(lat_arena_t *a, const lat_ctype_t *t, lat_cval_t *v);

/* ---- values (component_value.c) ------------------------------------------------ */

/* Copies src (a value of type t) into arena a, deep: strings, lists and
 * payloads are duplicated.  LAT_EUNSUPPORTED for a value holding a handle
 * (resources stay with their instance); LAT_ENOMEM. */
lat_status lat_cval_copy(lat_arena_t *a, const lat_ctype_t *t, const lat_cval_t *src,
                         lat_cval_t *dst);

#endif
