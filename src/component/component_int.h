/* component_int.h: private to src/component.
 *
 * The decoded component keeps, per scope (a component definition, or a
 * component/instance type being declared), one growable array per sort (the
 * index spaces), and for component definitions the ordered list of
 * definitions an instantiator replays.  Types live in the root component's
 * arena; the arrays are heap vectors freed with the scope.
 */
#ifndef LAT_COMPONENT_INT_H
#define LAT_COMPONENT_INT_H

#include "component.h"

/* ---- types (component_types.c) ------------------------------------------------ */

/* Allocates a zeroed node of `kind` in a. */
lat_ctype_t *lat__ctype_new(lat_arena_t *a, uint8_t kind);
/* Computes the cached fields (ABI size/alignment/flat count, depth, tree
 * size, borrow/resource flags) after the node's children are set, and
 * checks the limits: LAT_EINVALID at `offset` when exceeded. */
lat_status lat__ctype_finish(lat_ctype_t *t, size_t offset, lat_error_t *err);

/* Record, variant, enum and flags: the value types that need a name where
 * an import or export uses them (the external-visibility rule). */
static inline bool lat__ctype_is_nominal(const lat_ctype_t *t) {
  return t && (t->kind == LAT_CT_RECORD || t->kind == LAT_CT_VARIANT ||
               t->kind == LAT_CT_ENUM || t->kind == LAT_CT_FLAGS);
}

/* The variant view of variant, enum, option and result (despecialisation):
 * the number of cases, and case i's payload type (NULL when it has none). */
uint32_t lat__ctype_ncases(const lat_ctype_t *t);
const lat_ctype_t *lat__ctype_case_type(const lat_ctype_t *t, uint32_t i);

/* A resource substitution / binding map (expected -> actual). */
typedef struct {
  const lat_ctype_t *from;
  const lat_ctype_t *to;
} lat__rpair_t;
typedef struct {
  lat__rpair_t *v;
  uint32_t n, cap;
} lat__rmap_t;
void lat__rmap_fini(lat__rmap_t *m);
lat_status lat__rmap_add(lat__rmap_t *m, const lat_ctype_t *from,
                         const lat_ctype_t *to);
const lat_ctype_t *lat__rmap_get(const lat__rmap_t *m, const lat_ctype_t *from);

/* A renaming of name identities (lat_ctype_t.nid), made when a component
 * is instantiated: each type the component imports is replaced by the
 * argument supplied for it.  For a record/variant/enum/flags import, `to`
 * is the argument's type node; for a resource import, `to` is the
 * argument's resource and `to_nid` the argument's name identity, which
 * handles written with the import take over. */
typedef struct {
  uint32_t nid;
  const lat_ctype_t *to;
  uint32_t to_nid;
} lat__npair_t;
typedef struct {
  lat__npair_t *v;
  uint32_t n, cap;
  bool sorted;
} lat__nmap_t;
void lat__nmap_fini(lat__nmap_t *m);
lat_status lat__nmap_add(lat__nmap_t *m, uint32_t nid, const lat_ctype_t *to,
                         uint32_t to_nid);

/* Returns t with every resource in m's domain replaced (t itself when none
 * occurs).  New nodes go to a.  NULL on out of memory. */
const lat_ctype_t *lat__ctype_subst(lat_arena_t *a, const lat_ctype_t *t,
                                    const lat__rmap_t *m);
/* The same with a renaming of name identities too (nm may be NULL; it is
 * sorted in place on first use). */
const lat_ctype_t *lat__ctype_subst_names(lat_arena_t *a, const lat_ctype_t *t,
                                          const lat__rmap_t *m, lat__nmap_t *nm);
/* Subtype check that extends m with resource bindings as it goes. */
lat_status lat__ctype_subtype(const lat_ctype_t *actual,
                              const lat_ctype_t *expected, lat__rmap_t *m,
                              lat_error_t *err);
lat_status lat__cextern_subtype(const lat_cextern_t *actual,
                                const lat_cextern_t *expected, lat__rmap_t *m,
                                lat_error_t *err);
/* Core extern subtyping (a may be used where e is expected): same kind,
 * equal function types, equal table element and global types, limits of
 * a within e's.  On false, why holds the reason. */
bool lat__ccore_extern_sub(const lat_ccore_extern_t *a,
                           const lat_ccore_extern_t *e, char *why, size_t cap);
/* Copies an instance/component type giving each `(sub resource)` export a
 * fresh resource type (what importing or instantiating it does). */
const lat_ctype_t *lat__ctype_fresh_exports(lat_arena_t *a, const lat_ctype_t *t,
                                            lat__rmap_t *m);
/* The same, also applying the renaming nm (may be NULL). */
const lat_ctype_t *lat__ctype_fresh_exports_names(lat_arena_t *a,
                                                  const lat_ctype_t *t,
                                                  lat__rmap_t *m, lat__nmap_t *nm);

/* ---- decoded components (component_decode.c) -------------------------------------- */

/* Core instance: its exports. */
typedef struct {
  const char *name;
  uint8_t kind;                    /* LAT_EXTERN_* (4 = tag) */
  const lat_wasm_functype_t *func; /* kind FUNC */
  const lat_ccore_extern_t *cext;  /* kinds TABLE, MEMORY, GLOBAL: the
                                      declared type; NULL when unknown */
  uint32_t index;                  /* in the core sort's index space */
} lat__core_export_t;

typedef struct {
  lat__core_export_t *exports;
  uint32_t n;
} lat__core_inst_t;

/* One index-space entry. */
typedef struct {
  const lat_ctype_t *type;          /* component sorts, core modules */
  const lat_wasm_functype_t *cfunc; /* core funcs, core func types */
  const lat__core_inst_t *cinst;    /* core instances */
  const lat_ccore_extern_t *cext;   /* core tables, memories, globals: the
                                       declared type; NULL when unknown */
  uint32_t nid;                     /* types: the name identity this index
                                       stands for (lat_ctype_t.nid); a
                                       resource's differs per import/export */
  uint32_t def;                     /* defining entry in defs, or UINT32_MAX */
} lat__entry_t;

typedef struct {
  lat__entry_t *v;
  uint32_t n, cap;
} lat__space_t;

/* Canonical options. */
typedef struct {
  lat_cabi_encoding_t encoding;
  uint32_t memory;      /* core memory index or UINT32_MAX */
  uint32_t realloc;     /* core func index or UINT32_MAX */
  uint32_t post_return; /* core func index or UINT32_MAX */
} lat__canon_opts_t;

typedef enum {
  LAT__DEF_IMPORT = 1,      /* a = import number */
  LAT__DEF_CORE_MODULE,     /* a = module number in lat_component */
  LAT__DEF_CORE_INSTANTIATE, /* a = module index; args[n] */
  LAT__DEF_CORE_INLINE,     /* inline core exports */
  LAT__DEF_COMPONENT,       /* a = nested component number */
  LAT__DEF_INSTANTIATE,     /* a = component index; args */
  LAT__DEF_INLINE,          /* inline exports */
  LAT__DEF_ALIAS_EXPORT,    /* a = instance, name */
  LAT__DEF_ALIAS_CORE_EXPORT, /* a = core instance, name */
  LAT__DEF_ALIAS_OUTER,     /* a = count, b = index */
  LAT__DEF_TYPE,            /* a type definition */
  LAT__DEF_CANON_LIFT,      /* a = core func, b = type, opts */
  LAT__DEF_CANON_LOWER,     /* a = func, opts */
  LAT__DEF_RESOURCE_NEW,    /* b = type */
  LAT__DEF_RESOURCE_DROP,
  LAT__DEF_RESOURCE_REP,
  LAT__DEF_EXPORT,          /* a = export number, b = index */
} lat__def_kind_t;

typedef struct {
  const char *name;
  uint8_t sort; /* lat_csort_t */
  uint32_t index;
} lat__arg_t;

typedef struct {
  uint8_t kind;     /* lat__def_kind_t */
  uint8_t sort;     /* sort of the index it creates */
  uint32_t index;   /* the index it creates in that sort */
  uint32_t a, b;
  const char *name;
  lat__canon_opts_t opts;
  const lat__arg_t *args;
  uint32_t nargs;
} lat__def_t;

typedef struct {
  size_t off, len;             /* byte range in the root's copy of the input */
  lat_wasm_module_t *module;   /* NULL when core validation was skipped */
  const lat_ctype_t *type;     /* MODULE type (imports/exports) or NULL */
} lat__core_module_t;

struct lat_component {
  lat_component_t *root;       /* self for the top level */
  lat_arena_t arena;           /* root only: everything decoded */
  uint8_t *bytes;              /* root only: owned copy of the input */
  size_t len;
  lat__space_t sp[LAT_CSORT_COUNT];
  lat__def_t *defs;
  uint32_t ndefs, capdefs;
  lat__core_module_t *modules;
  uint32_t nmodules, capmodules;
  lat_component_t **nested;
  uint32_t nnested, capnested;
  lat_cextern_t *imports;
  uint32_t nimports, capimports;
  lat_cextern_t *exports;
  uint32_t nexports, capexports;
  const lat_ctype_t *type;     /* COMPONENT type */
};

/* ---- resources (component_resource.c), used by component_abi.c ---------------------- */

lat_status lat__cabi_lift_own(lat_cabi_cx_t *cx, uint32_t h,
                              const lat_cabi_rtype_t *rt, uint32_t *rep,
                              lat_error_t *err);
lat_status lat__cabi_lift_borrow(lat_cabi_cx_t *cx, uint32_t h,
                                 const lat_cabi_rtype_t *rt, uint32_t *rep,
                                 lat_error_t *err);
lat_status lat__cabi_lower_own(lat_cabi_cx_t *cx, uint32_t rep,
                               const lat_cabi_rtype_t *rt, uint32_t *h,
                               lat_error_t *err);
lat_status lat__cabi_lower_borrow(lat_cabi_cx_t *cx, uint32_t rep,
                                  const lat_cabi_rtype_t *rt, uint32_t *h,
                                  lat_error_t *err);


#endif
