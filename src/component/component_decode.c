/* component_decode.c: component binary (layer 1) decoder and validator.
 *
 * Approach: a single pass over the sections, in order, exactly as the
 * format intends: every definition is validated against the index spaces
 * built so far and appended to its own space, so a later reference can only
 * see earlier definitions (no forward references, no fix-ups).  Scopes nest:
 * a nested component, a component type or an instance type opens a scope
 * with fresh index spaces whose parent chain serves outer aliases.  All
 * types go to the root's arena; index spaces are heap vectors (component
 * scopes keep theirs for the instantiator; type scopes free them at once).
 *
 * Core modules are validated by the core engine (lat_wasm_module_new), which
 * also gives their import/export types for checking core instantiation
 * (function signatures, and table/memory/global types by core subtyping:
 * an export's limits must lie within the import's), core export aliases
 * and the signatures of canon lift/lower.  With
 * skip_core_validation the modules stay byte ranges, their types are
 * unknown, and only the checks that need no core types run.
 *
 * Invariants: every count and index from the input is checked before use;
 * nothing from the input is trusted to be NUL-free, UTF-8, or in range
 * until checked; the decoder never asserts on input.  Errors carry the
 * offset of the item that failed.
 *
 * External visibility of types (Explainer.md): an import's or export's
 * type may only use records, variants, enums, flags and resources through
 * a name an earlier import (or, for exports, import or export) gave them.
 * Names are tracked as name identities (lat_ctype_t.nid): each definition,
 * import and export hands out a fresh one; importing or exporting a record
 * (etc.) copies the node under the new identity, while a resource stays
 * the same type and only the index (lat__entry_t.nid) and the handles
 * written with it carry the new identity.  Each component or component
 * type scope keeps the (identity, type) pairs named so far, one set for
 * what imports may use and one for exports; instance types are checked
 * where they are imported or exported.  Instantiating a component renames
 * the identities of its imports to the arguments' (lat__nmap_t), so a name
 * given by the instantiator threads through the instance's exports.  A
 * resource the component defines (or, in a component type, one its
 * exports introduce) cannot be imported under a name either.  This
 * replaced a coarser check (every resource reachable from an export must
 * have been imported or exported before) that missed records and aliases
 * and wrongly looked inside component types, which are closed.
 * Rejected: keying names on type pointers alone (substitution copies
 * nodes, and a resource must keep one identity for the runtime), and a
 * separate alias node per resource name (every identity comparison of
 * resources, component_instance.c's included, would have to see through it).
 *
 * Gated features (async, streams/futures, error-context, fixed-length
 * lists, maps, value definitions, start, GC core types) are rejected with
 * LAT_EUNSUPPORTED rather than half-supported.
 *
 * Rejected design: decoding into an AST first and validating in a second
 * pass; a single pass keeps offsets at hand for errors and needs no
 * intermediate tree, and the index-space vectors are the "AST" an
 * instantiator needs.
 */
#include <string.h>

#include "component_int.h"

#define NONE UINT32_MAX
#define MAX_ITEMS 1000000u   /* per vector in a section */
#define MAX_SPACE 1000000u   /* entries per index space */

typedef enum { SC_COMPONENT, SC_COMPONENT_TYPE, SC_INSTANCE_TYPE } scope_kind_t;

/* A set of canonical names for strong uniqueness (open addressing). */
typedef struct {
  char **v;
  uint32_t n, cap;
} nameset_t;

/* Types given a name by an import or export, for the external-visibility
 * rule: (name identity, type) pairs, open addressing on the identity.  The
 * same identity can appear with several types (one import's instance type
 * after two fresh instantiations), so a lookup compares the type too. */
typedef struct {
  uint32_t nid;
  const lat_ctype_t *type; /* a RESOURCE, or a record/variant/enum/flags */
} named_t;

/* A set of type nodes (open addressing on the pointer). */
typedef struct {
  const lat_ctype_t **v;
  uint32_t n, cap;
} ptrset_t;

typedef struct {
  named_t *v;
  uint32_t n, cap;
  /* value types already found to use only named types: the set only
   * grows, so they stay so, and shared subtrees are walked once */
  ptrset_t ok;
} namedset_t;

typedef struct scope scope_t;
struct scope {
  scope_t *parent;
  scope_kind_t kind;
  lat_component_t *c;     /* component scopes: the component; type scopes: a
                             temporary lat_component_t holding the spaces */
  nameset_t import_names, export_names;
  const lat_ctype_t **local_res; /* resources defined here (resource.new) */
  uint32_t nlocal, caplocal;
  ptrset_t imported_res;         /* resources imports introduced */
  ptrset_t exported_res;         /* component types: resources exports
                                    introduced (`(sub resource)`) */
  namedset_t named_imp;          /* named by imports: what imports may use */
  namedset_t named_exp;          /* named by imports or exports: what
                                    exports may use */
  uint32_t depth;
};

typedef struct {
  lat_component_t *root;
  lat_arena_t *arena;
  lat_error_t *err;
  bool skip_core;
  uint32_t max_nesting;
  uint32_t last_nid;      /* name identities handed out so far */
} dec_t;

/* ---- small helpers ---------------------------------------------------------------- */

static size_t off(const lat_reader_t *r) { return lat_reader_offset(r); }

static lat_status malformed(dec_t *d, size_t o, const char *what) {
  return lat_error_set(d->err, LAT_EMALFORMED, o, "%s", what);
}

#define INVALID(d, o, ...) lat_error_set((d)->err, LAT_EINVALID, (o), __VA_ARGS__)
#define UNSUPPORTED(d, o, ...) \
  lat_error_set((d)->err, LAT_EUNSUPPORTED, (o), __VA_ARGS__)

static lat_status nomem(dec_t *d) {
  return lat_error_set(d->err, LAT_ENOMEM, SIZE_MAX, "out of memory");
}

/* Grows *v (elements of size sz) to hold n+1. */
static lat_status grow(void **v, uint32_t *cap, uint32_t n, size_t sz) {
  if (n < *cap) return LAT_OK;
  uint32_t nc = *cap ? *cap * 2 : 8;
  if (nc < *cap) return LAT_ENOMEM;
  size_t bytes;
  if (!lat_mul_size(nc, sz, &bytes)) return LAT_ENOMEM;
  void *p = lat_realloc(*v, bytes);
  if (!p) return LAT_ENOMEM;
  *v = p;
  *cap = nc;
  return LAT_OK;
}

#define PUSH(d, vec, n, cap, val)                                           \
  (grow((void **)&(vec), &(cap), (n), sizeof *(vec)) ? nomem(d)             \
                                                     : ((vec)[(n)++] = (val), LAT_OK))

/* Reads a count and checks it against the bytes left (every item takes at
 * least min_item bytes) and a cap. */
static lat_status read_count(dec_t *d, lat_reader_t *r, size_t min_item,
                             uint32_t *out) {
  size_t o = off(r);
  lat_status st = lat_read_u32(r, out, d->err);
  if (st) return st;
  if (*out > MAX_ITEMS) return INVALID(d, o, "too many items (%u)", *out);
  if (min_item && (uint64_t)*out * min_item > lat_reader_left(r))
    return malformed(d, o, "count larger than the section");
  return LAT_OK;
}

/* core:name: u32 length + UTF-8 bytes; returns a NUL-terminated arena copy. */
static lat_status read_name(dec_t *d, lat_reader_t *r, const char **out,
                            size_t *out_len) {
  size_t o = off(r);
  uint32_t n;
  const uint8_t *p;
  lat_status st = lat_read_u32(r, &n, d->err);
  if (!st) st = lat_read_bytes(r, n, &p, d->err);
  if (st) return st;
  if (!lat_utf8_valid(p, n)) return malformed(d, o, "malformed UTF-8 encoding");
  char *s = lat_arena_alloc(d->arena, (size_t)n + 1);
  if (!s) return nomem(d);
  memcpy(s, p, n);
  s[n] = 0;
  *out = s;
  if (out_len) *out_len = n;
  return LAT_OK;
}

static lat_status read_label(dec_t *d, lat_reader_t *r, const char **out) {
  size_t o = off(r), n;
  lat_status st = read_name(d, r, out, &n);
  if (st) return st;
  if (strlen(*out) != n || !lat_clabel_valid(*out, n))
    return INVALID(d, o, "`%.100s` is not a valid label", *out);
  return LAT_OK;
}

/* Strong uniqueness of labels within one list: lower-cased compare. */
static bool label_eq_ci(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return false;
  }
  return *a == *b;
}

static uint64_t fnv(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static void nameset_fini(nameset_t *s) {
  for (uint32_t i = 0; i < s->cap; i++) lat_free(s->v[i]);
  lat_free(s->v);
  memset(s, 0, sizeof *s);
}

/* Adds name; *dup set when already present. */
static lat_status nameset_add(nameset_t *s, const char *name, bool *dup) {
  *dup = false;
  if ((s->n + 1) * 2 > s->cap) {
    uint32_t nc = s->cap ? s->cap * 2 : 16;
    char **nv = lat_calloc(nc, sizeof *nv);
    if (!nv) return LAT_ENOMEM;
    for (uint32_t i = 0; i < s->cap; i++) {
      if (!s->v[i]) continue;
      uint64_t h = fnv(s->v[i]) & (nc - 1);
      while (nv[h]) h = (h + 1) & (nc - 1);
      nv[h] = s->v[i];
    }
    lat_free(s->v);
    s->v = nv;
    s->cap = nc;
  }
  uint64_t h = fnv(name) & (s->cap - 1);
  while (s->v[h]) {
    if (strcmp(s->v[h], name) == 0) {
      *dup = true;
      return LAT_OK;
    }
    h = (h + 1) & (s->cap - 1);
  }
  size_t n = strlen(name);
  if (!(s->v[h] = lat_strndup(name, n))) return LAT_ENOMEM;
  s->n++;
  return LAT_OK;
}

/* ---- name identities ------------------------------------------------------------- */

/* A fresh name identity (lat_ctype_t.nid).  Each takes at least one byte
 * of input, so the count cannot reach the cap on real input. */
static lat_status new_nid(dec_t *d, size_t o, uint32_t *out) {
  if (d->last_nid == UINT32_MAX - 1) return INVALID(d, o, "too many type definitions");
  *out = ++d->last_nid;
  return LAT_OK;
}

/* What an import or export of t introduces: a new name identity, and for
 * a record/variant/enum/flags a copy of the node carrying it (references
 * through the new index then differ from references through the old one,
 * as the external-visibility rule needs); a resource stays the same type. */
static lat_status give_name(dec_t *d, const lat_ctype_t *t, size_t o,
                            const lat_ctype_t **out, uint32_t *out_nid) {
  lat_status st = new_nid(d, o, out_nid);
  if (st) return st;
  *out = t;
  if (lat__ctype_is_nominal(t)) {
    lat_ctype_t *c = lat__ctype_new(d->arena, t->kind);
    if (!c) return nomem(d);
    *c = *t;
    c->nid = *out_nid;
    *out = c;
  }
  return LAT_OK;
}

static uint32_t nid_hash(uint32_t nid, uint32_t mask) {
  return (uint32_t)(((uint64_t)nid * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

static void namedset_fini(namedset_t *s) {
  lat_free(s->v);
  lat_free(s->ok.v);
  memset(s, 0, sizeof *s);
}

static uint32_t ptr_hash(const void *p, uint32_t mask) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 29;
  return (uint32_t)((x * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

static bool ptrset_has(const ptrset_t *s, const lat_ctype_t *t) {
  if (!s->cap) return false;
  for (uint32_t h = ptr_hash(t, s->cap - 1); s->v[h]; h = (h + 1) & (s->cap - 1))
    if (s->v[h] == t) return true;
  return false;
}

static lat_status ptrset_add(ptrset_t *s, const lat_ctype_t *t) {
  if ((s->n + 1) * 2 > s->cap) {
    uint32_t nc = s->cap ? s->cap * 2 : 64;
    const lat_ctype_t **nv = nc > s->cap ? lat_calloc(nc, sizeof *nv) : NULL;
    if (!nv) return LAT_ENOMEM;
    for (uint32_t i = 0; i < s->cap; i++) {
      if (!s->v[i]) continue;
      uint32_t h = ptr_hash(s->v[i], nc - 1);
      while (nv[h]) h = (h + 1) & (nc - 1);
      nv[h] = s->v[i];
    }
    lat_free(s->v);
    s->v = nv;
    s->cap = nc;
  }
  uint32_t h = ptr_hash(t, s->cap - 1);
  while (s->v[h]) {
    if (s->v[h] == t) return LAT_OK;
    h = (h + 1) & (s->cap - 1);
  }
  s->v[h] = t;
  s->n++;
  return LAT_OK;
}

static lat_status namedset_add(namedset_t *s, uint32_t nid, const lat_ctype_t *t) {
  if ((s->n + 1) * 2 > s->cap) {
    uint32_t nc = s->cap ? s->cap * 2 : 16;
    if (nc < s->cap) return LAT_ENOMEM;
    named_t *nv = lat_calloc(nc, sizeof *nv);
    if (!nv) return LAT_ENOMEM;
    for (uint32_t i = 0; i < s->cap; i++) {
      if (!s->v[i].nid) continue;
      uint32_t h = nid_hash(s->v[i].nid, nc - 1);
      while (nv[h].nid) h = (h + 1) & (nc - 1);
      nv[h] = s->v[i];
    }
    lat_free(s->v);
    s->v = nv;
    s->cap = nc;
  }
  uint32_t h = nid_hash(nid, s->cap - 1);
  for (; s->v[h].nid; h = (h + 1) & (s->cap - 1))
    if (s->v[h].nid == nid && s->v[h].type == t) return LAT_OK;
  s->v[h] = (named_t){nid, t};
  s->n++;
  return LAT_OK;
}

/* Whether (nid, t) was named: a resource by identity, a nominal value
 * type by structure (substitution may have copied it). */
static bool namedset_has(const namedset_t *s, uint32_t nid, const lat_ctype_t *t) {
  if (!nid || !s->cap) return false;
  for (uint32_t h = nid_hash(nid, s->cap - 1); s->v[h].nid; h = (h + 1) & (s->cap - 1)) {
    const named_t *e = &s->v[h];
    if (e->nid != nid) continue;
    if (e->type == t) return true;
    if (t->kind != LAT_CT_RESOURCE && lat_ctype_equal(e->type, t)) return true;
  }
  return false;
}

/* ---- index spaces ------------------------------------------------------------------ */

static lat__space_t *space(scope_t *s, lat_csort_t sort) { return &s->c->sp[sort]; }

static lat_status push_entry(dec_t *d, scope_t *s, lat_csort_t sort,
                             lat__entry_t e, size_t o) {
  lat__space_t *sp = space(s, sort);
  if (sp->n >= MAX_SPACE)
    return INVALID(d, o, "too many %s definitions", lat_csort_name(sort));
  return PUSH(d, sp->v, sp->n, sp->cap, e);
}

static lat_status get_entry(dec_t *d, scope_t *s, lat_csort_t sort, uint32_t i,
                            size_t o, const lat__entry_t **out) {
  lat__space_t *sp = space(s, sort);
  if (i >= sp->n)
    return INVALID(d, o, "unknown %s %u: %s index out of bounds",
                   lat_csort_name(sort), i, lat_csort_name(sort));
  *out = &sp->v[i];
  return LAT_OK;
}

static lat_status add_def(dec_t *d, scope_t *s, lat__def_t def, uint32_t *out) {
  lat_component_t *c = s->c;
  if (s->kind != SC_COMPONENT) {
    *out = NONE;
    return LAT_OK;
  }
  *out = c->ndefs;
  return PUSH(d, c->defs, c->ndefs, c->capdefs, def);
}

/* Appends an entry made by a definition. */
static lat_status define(dec_t *d, scope_t *s, lat_csort_t sort, lat__entry_t e,
                         lat__def_t def, size_t o) {
  def.sort = (uint8_t)sort;
  def.index = space(s, sort)->n;
  lat_status st = add_def(d, s, def, &e.def);
  if (!st) st = push_entry(d, s, sort, e, o);
  return st;
}

/* ---- sorts ---------------------------------------------------------------------------- */

static lat_status read_core_sort(dec_t *d, lat_reader_t *r, lat_csort_t *out) {
  size_t o = off(r);
  uint8_t b;
  lat_status st = lat_read_u8(r, &b, d->err);
  if (st) return st;
  switch (b) {
  case 0x00: *out = LAT_CSORT_CORE_FUNC; return LAT_OK;
  case 0x01: *out = LAT_CSORT_CORE_TABLE; return LAT_OK;
  case 0x02: *out = LAT_CSORT_CORE_MEMORY; return LAT_OK;
  case 0x03: *out = LAT_CSORT_CORE_GLOBAL; return LAT_OK;
  case 0x04: *out = LAT_CSORT_CORE_TAG; return LAT_OK;
  case 0x10: *out = LAT_CSORT_CORE_TYPE; return LAT_OK;
  case 0x11: *out = LAT_CSORT_CORE_MODULE; return LAT_OK;
  case 0x12: *out = LAT_CSORT_CORE_INSTANCE; return LAT_OK;
  default: return malformed(d, o, "invalid core sort");
  }
}

static lat_status read_sort(dec_t *d, lat_reader_t *r, lat_csort_t *out) {
  size_t o = off(r);
  uint8_t b;
  lat_status st = lat_read_u8(r, &b, d->err);
  if (st) return st;
  switch (b) {
  case 0x00: return read_core_sort(d, r, out);
  case 0x01: *out = LAT_CSORT_FUNC; return LAT_OK;
  case 0x02: *out = LAT_CSORT_VALUE; return LAT_OK;
  case 0x03: *out = LAT_CSORT_TYPE; return LAT_OK;
  case 0x04: *out = LAT_CSORT_COMPONENT; return LAT_OK;
  case 0x05: *out = LAT_CSORT_INSTANCE; return LAT_OK;
  default: return malformed(d, o, "invalid sort");
  }
}

/* LAT_EXTERN_* of a core extern sort, or -1. */
static int core_kind(lat_csort_t s) {
  switch (s) {
  case LAT_CSORT_CORE_FUNC: return LAT_EXTERN_FUNC;
  case LAT_CSORT_CORE_TABLE: return LAT_EXTERN_TABLE;
  case LAT_CSORT_CORE_MEMORY: return LAT_EXTERN_MEMORY;
  case LAT_CSORT_CORE_GLOBAL: return LAT_EXTERN_GLOBAL;
  case LAT_CSORT_CORE_TAG: return 4;
  default: return -1;
  }
}

/* ---- core types ------------------------------------------------------------------------- */

static lat_status read_core_valtype(dec_t *d, lat_reader_t *r, uint8_t *out) {
  size_t o = off(r);
  lat_status st = lat_read_u8(r, out, d->err);
  if (st) return st;
  switch (*out) {
  case LAT_I32: case LAT_I64: case LAT_F32: case LAT_F64: case LAT_V128:
  case LAT_FUNCREF: case LAT_EXTERNREF:
    return LAT_OK;
  default:
    return UNSUPPORTED(d, o, "core value type 0x%02x", *out);
  }
}

static lat_status read_core_functype_body(dec_t *d, lat_reader_t *r,
                                          const lat_wasm_functype_t **out) {
  uint32_t np, nr;
  lat_status st = read_count(d, r, 1, &np);
  if (st) return st;
  uint8_t *p = lat_arena_alloc(d->arena, (size_t)np + 1);
  if (!p) return nomem(d);
  for (uint32_t i = 0; i < np; i++)
    if ((st = read_core_valtype(d, r, &p[i]))) return st;
  if ((st = read_count(d, r, 1, &nr))) return st;
  uint8_t *q = lat_arena_alloc(d->arena, (size_t)nr + 1);
  lat_wasm_functype_t *ft = lat_arena_alloc(d->arena, sizeof *ft);
  if (!q || !ft) return nomem(d);
  for (uint32_t i = 0; i < nr; i++)
    if ((st = read_core_valtype(d, r, &q[i]))) return st;
  ft->nparams = np;
  ft->nresults = nr;
  ft->params = p;
  ft->results = q;
  *out = ft;
  return LAT_OK;
}

static lat_wasm_functype_t *mk_functype(dec_t *d, const uint8_t *p, uint32_t np,
                                        const uint8_t *q, uint32_t nr) {
  lat_wasm_functype_t *ft = lat_arena_alloc(d->arena, sizeof *ft);
  uint8_t *a = lat_arena_alloc(d->arena, (size_t)np + nr + 1);
  if (!ft || !a) return NULL;
  if (np) memcpy(a, p, np);
  if (nr) memcpy(a + np, q, nr);
  ft->nparams = np;
  ft->nresults = nr;
  ft->params = a;
  ft->results = a + np;
  return ft;
}

static bool functype_eq(const lat_wasm_functype_t *a,
                        const lat_wasm_functype_t *b) {
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (!a->nparams || !memcmp(a->params, b->params, a->nparams)) &&
         (!a->nresults || !memcmp(a->results, b->results, a->nresults));
}

/* limits of a table or memory: flags 0x00..0x07 (max, shared, 64-bit),
 * into x->type.table or x->type.memory */
static lat_status read_limits(dec_t *d, lat_reader_t *r, bool memory,
                              lat_ccore_extern_t *x) {
  size_t o = off(r);
  uint8_t fl;
  lat_status st = lat_read_u8(r, &fl, d->err);
  if (st) return st;
  if (fl > 0x07) return malformed(d, o, "invalid limits flags");
  uint64_t mn, mx = 0;
  if ((st = lat_read_u64(r, &mn, d->err))) return st;
  if ((fl & 1) && (st = lat_read_u64(r, &mx, d->err))) return st;
  uint64_t cap = memory ? ((fl & 4) ? (1ull << 48) : 65536) : UINT32_MAX;
  if (mn > cap || mx > cap)
    return INVALID(d, o, "%s size must be at most %llu", memory ? "memory" : "table",
                   (unsigned long long)cap);
  if ((fl & 1) && mx < mn)
    return INVALID(d, o, "size minimum must not be greater than maximum");
  if (memory) {
    x->type.memory = (lat_wasm_memtype_t){.min = mn, .max = mx, .has_max = fl & 1,
                                          .shared = (fl & 2) != 0,
                                          .is64 = (fl & 4) != 0};
  } else {
    x->type.table.min = mn;
    x->type.table.max = mx;
    x->type.table.has_max = fl & 1;
  }
  return LAT_OK;
}

/* core:externtype of a module type's import or export. */
static lat_status read_core_externtype(dec_t *d, scope_t *ms, lat_reader_t *r,
                                       lat_ccore_extern_t *x) {
  size_t o = off(r);
  uint8_t k, b;
  lat_status st = lat_read_u8(r, &k, d->err);
  if (st) return st;
  x->kind = k;
  switch (k) {
  case 0x00: { /* func typeidx */
    uint32_t i;
    const lat__entry_t *e;
    if ((st = lat_read_u32(r, &i, d->err))) return st;
    if ((st = get_entry(d, ms, LAT_CSORT_CORE_TYPE, i, o, &e))) return st;
    if (!e->cfunc) return INVALID(d, o, "core type %u is not a function type", i);
    x->func = e->cfunc;
    return LAT_OK;
  }
  case 0x01:
    if ((st = read_core_valtype(d, r, &x->type.table.elem))) return st;
    return read_limits(d, r, false, x);
  case 0x02:
    return read_limits(d, r, true, x);
  case 0x03:
    if ((st = read_core_valtype(d, r, &x->type.global.type))) return st;
    if ((st = lat_read_u8(r, &b, d->err))) return st;
    if (b > 1) return malformed(d, o, "malformed mutability");
    x->type.global.mut = b;
    return LAT_OK;
  case 0x04: {
    uint32_t i;
    if ((st = lat_read_u8(r, &b, d->err))) return st;
    if (b != 0) return malformed(d, o, "invalid tag attribute");
    return lat_read_u32(r, &i, d->err);
  }
  default:
    return malformed(d, o, "invalid core extern kind");
  }
}

static lat_status read_core_type(dec_t *d, scope_t *s, lat_reader_t *r,
                                 bool in_module_type);

/* core:moduletype 0x50 vec(moduledecl), in a scope of its own. */
static lat_status read_module_type(dec_t *d, scope_t *s, lat_reader_t *r,
                                   const lat_ctype_t **out) {
  lat_component_t tmp;
  memset(&tmp, 0, sizeof tmp);
  scope_t ms = {.parent = s, .kind = SC_INSTANCE_TYPE, .c = &tmp,
                .depth = s->depth + 1};
  lat_ccore_extern_t *imp = NULL, *exp = NULL;
  uint32_t ni = 0, ci = 0, ne = 0, ce = 0, n;
  lat_status st;
  if (ms.depth > d->max_nesting) {
    st = INVALID(d, off(r), "nesting too deep");
    goto done;
  }
  if ((st = read_count(d, r, 1, &n))) goto done;
  for (uint32_t i = 0; i < n; i++) {
    size_t o = off(r);
    uint8_t tag;
    if ((st = lat_read_u8(r, &tag, d->err))) goto done;
    lat_ccore_extern_t x = {0};
    switch (tag) {
    case 0x00: /* import */
      if ((st = read_name(d, r, &x.module, NULL)) ||
          (st = read_name(d, r, &x.name, NULL)) ||
          (st = read_core_externtype(d, &ms, r, &x)))
        goto done;
      for (uint32_t k = 0; k < ni; k++)
        if (!strcmp(imp[k].module, x.module) && !strcmp(imp[k].name, x.name)) {
          st = INVALID(d, o, "duplicate import name `%s:%s`", x.module, x.name);
          goto done;
        }
      if ((st = PUSH(d, imp, ni, ci, x))) goto done;
      break;
    case 0x01:
      if ((st = read_core_type(d, &ms, r, true))) goto done;
      break;
    case 0x02: { /* alias: 0x10 0x01 ct idx */
      uint8_t a, b;
      uint32_t ct, idx;
      if ((st = lat_read_u8(r, &a, d->err)) || (st = lat_read_u8(r, &b, d->err)))
        goto done;
      if (a != 0x10 || b != 0x01) {
        st = malformed(d, o, "invalid core alias in module type");
        goto done;
      }
      if ((st = lat_read_u32(r, &ct, d->err)) ||
          (st = lat_read_u32(r, &idx, d->err)))
        goto done;
      scope_t *t = &ms;
      for (uint32_t k = 0; k < ct && t; k++) t = t->parent;
      if (!t) {
        st = INVALID(d, o, "invalid outer alias count of %u", ct);
        goto done;
      }
      const lat__entry_t *e;
      if ((st = get_entry(d, t, LAT_CSORT_CORE_TYPE, idx, o, &e))) goto done;
      if (!e->cfunc) {
        st = INVALID(d, o, "cannot alias a module type into a module type");
        goto done;
      }
      lat__entry_t ne2 = {.cfunc = e->cfunc, .def = NONE};
      if ((st = push_entry(d, &ms, LAT_CSORT_CORE_TYPE, ne2, o))) goto done;
      break;
    }
    case 0x03: /* export */
      if ((st = read_name(d, r, &x.name, NULL)) ||
          (st = read_core_externtype(d, &ms, r, &x)))
        goto done;
      for (uint32_t k = 0; k < ne; k++)
        if (!strcmp(exp[k].name, x.name)) {
          st = INVALID(d, o, "duplicate export name `%s`", x.name);
          goto done;
        }
      if ((st = PUSH(d, exp, ne, ce, x))) goto done;
      break;
    default:
      st = malformed(d, o, "invalid module type declaration");
      goto done;
    }
  }
  {
    lat_ctype_t *t = lat__ctype_new(d->arena, LAT_CT_MODULE);
    lat_ccore_extern_t *all = lat_arena_array(d->arena, (size_t)ni + ne + 1,
                                              sizeof *all);
    if (!t || !all) {
      st = nomem(d);
      goto done;
    }
    if (ni) memcpy(all, imp, ni * sizeof *all);
    if (ne) memcpy(all + ni, exp, ne * sizeof *all);
    t->n = ni + ne;
    t->nimports = ni;
    t->u.core = all;
    t->depth = 1;
    t->tsize = 1 + t->n;
    *out = t;
  }
done:
  lat_free(imp);
  lat_free(exp);
  lat_free(tmp.sp[LAT_CSORT_CORE_TYPE].v);
  return st;
}

static lat_status read_core_type(dec_t *d, scope_t *s, lat_reader_t *r,
                                 bool in_module_type) {
  size_t o = off(r);
  uint8_t b;
  lat_status st = lat_read_u8(r, &b, d->err);
  if (st) return st;
  lat__entry_t e = {.def = NONE};
  if (b == 0x60) {
    if ((st = read_core_functype_body(d, r, &e.cfunc))) return st;
  } else if (b == 0x50) {
    if (in_module_type)
      return INVALID(d, o, "module types cannot be declared in a module type");
    if ((st = read_module_type(d, s, r, &e.type))) return st;
  } else if (b == 0x00 || b == 0x4e || b == 0x4f || b == 0x5e || b == 0x5f) {
    return UNSUPPORTED(d, o, "GC core types are not supported");
  } else {
    return malformed(d, o, "invalid core type");
  }
  lat__def_t def = {.kind = LAT__DEF_TYPE};
  return define(d, s, LAT_CSORT_CORE_TYPE, e, def, o);
}

/* ---- component types ---------------------------------------------------------------------- */

static lat_status read_valtype(dec_t *d, scope_t *s, lat_reader_t *r,
                               const lat_ctype_t **out) {
  size_t o = off(r);
  int64_t v;
  lat_status st = lat_read_s33(r, &v, d->err);
  if (st) return st;
  if (v < 0) {
    if (v >= -13) { /* 0x7f bool .. 0x73 string */
      *out = lat_ctype_prim((lat_ctype_kind_t)(LAT_CT_BOOL + (-1 - v)));
      return LAT_OK;
    }
    if (v == -28) return UNSUPPORTED(d, o, "error-context is not supported");
    return malformed(d, o, "invalid value type");
  }
  const lat__entry_t *e = NULL;
  if ((st = get_entry(d, s, LAT_CSORT_TYPE, (uint32_t)v, o, &e))) return st;
  if (!lat_ctype_is_value(e->type))
    return INVALID(d, o, "type index %u is not a defined value type",
                   (uint32_t)v);
  *out = e->type;
  return LAT_OK;
}

static lat_status read_opt_valtype(dec_t *d, scope_t *s, lat_reader_t *r,
                                   const lat_ctype_t **out) {
  size_t o = off(r);
  uint8_t b;
  lat_status st = lat_read_u8(r, &b, d->err);
  if (st) return st;
  if (b == 0) {
    *out = NULL;
    return LAT_OK;
  }
  if (b != 1) return malformed(d, o, "invalid optional value type");
  return read_valtype(d, s, r, out);
}

static lat_status check_unique_labels(dec_t *d, size_t o, const char *const *l,
                                      uint32_t n, size_t stride) {
  /* labels are short and lists small in practice; the cap on n (MAX_ITEMS)
   * and the section length bound the quadratic case */
  if (n > 4096) {
    nameset_t set = {0};
    lat_status st = LAT_OK;
    for (uint32_t i = 0; i < n && !st; i++) {
      const char *x = *(const char *const *)((const char *)l + i * stride);
      char tmp[256];
      size_t k = 0;
      for (; x[k] && k < sizeof tmp - 1; k++)
        tmp[k] = (x[k] >= 'A' && x[k] <= 'Z') ? (char)(x[k] - 'A' + 'a') : x[k];
      tmp[k] = 0;
      bool dup;
      if (nameset_add(&set, tmp, &dup)) st = nomem(d);
      else if (dup) st = INVALID(d, o, "duplicate label `%s`", x);
    }
    nameset_fini(&set);
    return st;
  }
  for (uint32_t i = 0; i < n; i++) {
    const char *x = *(const char *const *)((const char *)l + i * stride);
    for (uint32_t j = 0; j < i; j++) {
      const char *y = *(const char *const *)((const char *)l + j * stride);
      if (label_eq_ci(x, y))
        return INVALID(d, o, "duplicate label `%s` (names must be strongly unique)",
                       x);
    }
  }
  return LAT_OK;
}

static lat_status finish(dec_t *d, lat_ctype_t *t, size_t o) {
  return lat__ctype_finish(t, o, d->err);
}

static lat_status read_defvaltype(dec_t *d, scope_t *s, lat_reader_t *r,
                                  uint8_t code, size_t o,
                                  const lat_ctype_t **out) {
  lat_status st;
  uint32_t n;
  if (code >= 0x73 && code <= 0x7f) {
    *out = lat_ctype_prim((lat_ctype_kind_t)(LAT_CT_BOOL + (0x7f - code)));
    return LAT_OK;
  }
  lat_ctype_t *t;
  switch (code) {
  case 0x72: /* record */
  case 0x71: /* variant */ {
    bool rec = code == 0x72;
    if ((st = read_count(d, r, 2, &n))) return st;
    if (n == 0)
      return INVALID(d, o, "%s type must have at least one %s",
                     rec ? "record" : "variant", rec ? "field" : "case");
    lat_cfield_t *f = lat_arena_array(d->arena, n, sizeof *f);
    if (!(t = lat__ctype_new(d->arena, rec ? LAT_CT_RECORD : LAT_CT_VARIANT)) ||
        !f)
      return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
      if ((st = read_label(d, r, &f[i].name))) return st;
      if (rec) {
        if ((st = read_valtype(d, s, r, &f[i].type))) return st;
      } else {
        uint8_t z;
        size_t zo;
        if ((st = read_opt_valtype(d, s, r, &f[i].type))) return st;
        zo = off(r);
        if ((st = lat_read_u8(r, &z, d->err))) return st;
        if (z != 0) return malformed(d, zo, "variant case refinements are not supported");
      }
    }
    if ((st = check_unique_labels(d, o, &f[0].name, n, sizeof *f))) return st;
    t->n = n;
    t->u.fields = f;
    break;
  }
  case 0x70: /* list */
  case 0x6b: /* option */
    if (!(t = lat__ctype_new(d->arena, code == 0x70 ? LAT_CT_LIST : LAT_CT_OPTION)))
      return nomem(d);
    if ((st = read_valtype(d, s, r, &t->u.elem))) return st;
    break;
  case 0x6f: { /* tuple */
    if ((st = read_count(d, r, 1, &n))) return st;
    if (n == 0) return INVALID(d, o, "tuple type must have at least one type");
    lat_cfield_t *f = lat_arena_array(d->arena, n, sizeof *f);
    if (!(t = lat__ctype_new(d->arena, LAT_CT_TUPLE)) || !f) return nomem(d);
    for (uint32_t i = 0; i < n; i++)
      if ((st = read_valtype(d, s, r, &f[i].type))) return st;
    t->n = n;
    t->u.fields = f;
    break;
  }
  case 0x6e: /* flags */
  case 0x6d: /* enum */ {
    bool fl = code == 0x6e;
    if ((st = read_count(d, r, 2, &n))) return st;
    if (n == 0)
      return INVALID(d, o, "%s must have at least one %s", fl ? "flags" : "enum",
                     fl ? "flag" : "case");
    if (fl && n > 32) return INVALID(d, o, "cannot have more than 32 flags");
    const char **l = lat_arena_array(d->arena, n, sizeof *l);
    if (!(t = lat__ctype_new(d->arena, fl ? LAT_CT_FLAGS : LAT_CT_ENUM)) || !l)
      return nomem(d);
    for (uint32_t i = 0; i < n; i++)
      if ((st = read_label(d, r, &l[i]))) return st;
    if ((st = check_unique_labels(d, o, l, n, sizeof *l))) return st;
    t->n = n;
    t->u.labels = l;
    break;
  }
  case 0x6a: /* result */
    if (!(t = lat__ctype_new(d->arena, LAT_CT_RESULT))) return nomem(d);
    if ((st = read_opt_valtype(d, s, r, &t->u.result.ok)) ||
        (st = read_opt_valtype(d, s, r, &t->u.result.err)))
      return st;
    break;
  case 0x69: /* own */
  case 0x68: /* borrow */ {
    uint32_t i;
    const lat__entry_t *e;
    if ((st = lat_read_u32(r, &i, d->err))) return st;
    if ((st = get_entry(d, s, LAT_CSORT_TYPE, i, o, &e))) return st;
    if (!e->type || e->type->kind != LAT_CT_RESOURCE)
      return INVALID(d, o, "type index %u is not a resource type", i);
    if (!(t = lat__ctype_new(d->arena, code == 0x69 ? LAT_CT_OWN : LAT_CT_BORROW)))
      return nomem(d);
    t->u.elem = e->type;
    t->nid = e->nid; /* the name this index gives the resource */
    break;
  }
  case 0x67:
    return UNSUPPORTED(d, o, "fixed-length lists are not supported");
  case 0x66:
  case 0x65:
    return UNSUPPORTED(d, o, "streams and futures are not supported");
  case 0x63:
    return UNSUPPORTED(d, o, "map types are not supported");
  case 0x64:
    return UNSUPPORTED(d, o, "error-context is not supported");
  default:
    return malformed(d, o, "invalid leading byte in type definition");
  }
  if (lat__ctype_is_nominal(t) && (st = new_nid(d, o, &t->nid))) return st;
  if ((st = finish(d, t, o))) return st;
  *out = t;
  return LAT_OK;
}

static lat_status read_functype(dec_t *d, scope_t *s, lat_reader_t *r, size_t o,
                                const lat_ctype_t **out) {
  uint32_t n;
  lat_status st = read_count(d, r, 2, &n);
  if (st) return st;
  lat_cfield_t *f = lat_arena_array(d->arena, n ? n : 1, sizeof *f);
  lat_ctype_t *t = lat__ctype_new(d->arena, LAT_CT_FUNC);
  if (!f || !t) return nomem(d);
  for (uint32_t i = 0; i < n; i++)
    if ((st = read_label(d, r, &f[i].name)) ||
        (st = read_valtype(d, s, r, &f[i].type)))
      return st;
  if ((st = check_unique_labels(d, o, &f[0].name, n, sizeof *f))) return st;
  size_t ro = off(r);
  uint8_t b;
  if ((st = lat_read_u8(r, &b, d->err))) return st;
  if (b == 0x00) {
    if ((st = read_valtype(d, s, r, &t->result))) return st;
  } else if (b == 0x01) {
    uint8_t z;
    if ((st = lat_read_u8(r, &z, d->err))) return st;
    if (z != 0) return malformed(d, ro, "named function results are not supported");
  } else {
    return malformed(d, ro, "invalid function result list");
  }
  t->n = n;
  t->u.fields = f;
  if ((st = finish(d, t, o))) return st;
  *out = t;
  return LAT_OK;
}

static lat_status read_alias(dec_t *d, scope_t *s, lat_reader_t *r, bool in_type);
static lat_status read_type(dec_t *d, scope_t *s, lat_reader_t *r);
static lat_status read_externdecl(dec_t *d, scope_t *s, lat_reader_t *r,
                                  bool import, lat_cextern_t *out);
static lat_status scope_add_decl(dec_t *d, scope_t *s, lat_cextern_t *x,
                                 bool import, size_t o, uint32_t num);
static lat_status fresh_instance(dec_t *d, lat_cextern_t *x);

static void scope_fini(scope_t *s) {
  nameset_fini(&s->import_names);
  nameset_fini(&s->export_names);
  lat_free(s->local_res);
  lat_free(s->imported_res.v);
  lat_free(s->exported_res.v);
  namedset_fini(&s->named_imp);
  namedset_fini(&s->named_exp);
}

static void tmp_component_fini(lat_component_t *c) {
  for (int i = 0; i < LAT_CSORT_COUNT; i++) lat_free(c->sp[i].v);
  lat_free(c->imports);
  lat_free(c->exports);
  lat_free(c->defs);
}

/* componenttype (0x41) / instancetype (0x42) */
static lat_status read_decl_type(dec_t *d, scope_t *s, lat_reader_t *r,
                                 bool component, size_t o,
                                 const lat_ctype_t **out) {
  lat_component_t tmp;
  memset(&tmp, 0, sizeof tmp);
  scope_t ts = {.parent = s, .kind = component ? SC_COMPONENT_TYPE : SC_INSTANCE_TYPE,
                .c = &tmp, .depth = s->depth + 1};
  lat_status st = LAT_OK;
  uint32_t n;
  if (ts.depth > d->max_nesting) {
    st = INVALID(d, o, "nesting too deep");
    goto done;
  }
  if ((st = read_count(d, r, 1, &n))) goto done;
  for (uint32_t i = 0; i < n; i++) {
    size_t io = off(r);
    uint8_t tag;
    if ((st = lat_read_u8(r, &tag, d->err))) goto done;
    switch (tag) {
    case 0x00:
      st = read_core_type(d, &ts, r, false);
      break;
    case 0x01:
      st = read_type(d, &ts, r);
      break;
    case 0x02:
      st = read_alias(d, &ts, r, true);
      break;
    case 0x03:
    case 0x04: {
      bool imp = tag == 0x03;
      if (imp && !component) {
        st = malformed(d, io, "imports are not allowed in instance types");
        break;
      }
      lat_cextern_t x;
      if ((st = read_externdecl(d, &ts, r, imp, &x))) break;
      if ((st = fresh_instance(d, &x))) break;
      st = scope_add_decl(d, &ts, &x, imp, io, NONE);
      break;
    }
    default:
      st = malformed(d, io, component ? "invalid component type declaration"
                                      : "invalid instance type declaration");
    }
    if (st) goto done;
  }
  {
    lat_ctype_t *t = lat__ctype_new(d->arena, component ? LAT_CT_COMPONENT
                                                        : LAT_CT_INSTANCE);
    uint32_t total = tmp.nimports + tmp.nexports;
    lat_cextern_t *all = lat_arena_array(d->arena, total ? total : 1, sizeof *all);
    if (!t || !all) {
      st = nomem(d);
      goto done;
    }
    if (tmp.nimports) memcpy(all, tmp.imports, tmp.nimports * sizeof *all);
    if (tmp.nexports)
      memcpy(all + tmp.nimports, tmp.exports, tmp.nexports * sizeof *all);
    t->n = total;
    t->nimports = tmp.nimports;
    t->u.decls = all;
    if ((st = finish(d, t, o))) goto done;
    *out = t;
  }
done:
  scope_fini(&ts);
  tmp_component_fini(&tmp);
  return st;
}

static lat_status read_type(dec_t *d, scope_t *s, lat_reader_t *r) {
  size_t o = off(r);
  uint8_t b;
  lat_status st = lat_read_u8(r, &b, d->err);
  if (st) return st;
  lat__entry_t e = {.def = NONE};
  switch (b) {
  case 0x40:
    st = read_functype(d, s, r, o, &e.type);
    break;
  case 0x43:
    return UNSUPPORTED(d, o, "async function types are not supported");
  case 0x41:
  case 0x42:
    st = read_decl_type(d, s, r, b == 0x41, o, &e.type);
    break;
  case 0x3f: { /* resource */
    if (s->kind != SC_COMPONENT)
      return INVALID(d, o, "resources can only be defined within a concrete "
                           "component");
    uint8_t rep, has;
    if ((st = lat_read_u8(r, &rep, d->err))) return st;
    if (rep != LAT_I32)
      return INVALID(d, o, "resources can only be represented by `i32`");
    lat_ctype_t *t = lat__ctype_new(d->arena, LAT_CT_RESOURCE);
    if (!t) return nomem(d);
    size_t fo = off(r);
    if ((st = lat_read_u8(r, &has, d->err))) return st;
    if (has > 1) return malformed(d, fo, "invalid optional destructor");
    if (has) {
      uint32_t f;
      const lat__entry_t *fe;
      fo = off(r);
      if ((st = lat_read_u32(r, &f, d->err))) return st;
      if ((st = get_entry(d, s, LAT_CSORT_CORE_FUNC, f, fo, &fe))) return st;
      static const uint8_t i32[1] = {LAT_I32};
      lat_wasm_functype_t want = {1, 0, i32, NULL};
      if (fe->cfunc && !functype_eq(fe->cfunc, &want))
        return INVALID(d, fo, "wrong signature for a destructor");
      t->dtor = f;
    }
    if ((st = finish(d, t, o)) || (st = new_nid(d, o, &t->nid))) return st;
    if ((st = PUSH(d, s->local_res, s->nlocal, s->caplocal, (const lat_ctype_t *)t)))
      return st;
    e.type = t;
    e.nid = t->nid;
    break;
  }
  default:
    st = read_defvaltype(d, s, r, b, o, &e.type);
    if (!st && lat__ctype_is_nominal(e.type)) e.nid = e.type->nid;
  }
  if (st) return st;
  lat__def_t def = {.kind = LAT__DEF_TYPE};
  return define(d, s, LAT_CSORT_TYPE, e, def, o);
}

/* ---- names and extern types ---------------------------------------------------------- */

static lat_status read_extern_name(dec_t *d, lat_reader_t *r, lat_cname_t *out) {
  size_t o = off(r);
  uint8_t tag;
  lat_status st = lat_read_u8(r, &tag, d->err);
  if (st) return st;
  if (tag > 0x02) return malformed(d, o, "invalid extern name encoding");
  const char *name;
  size_t len;
  size_t no = off(r);
  if ((st = read_name(d, r, &name, &len))) return st;
  if (strlen(name) != len)
    return INVALID(d, no, "extern name contains a NUL byte");
  if ((st = lat_cname_parse(name, len, d->arena, out, d->err))) {
    d->err ? (void)(d->err->offset = no) : (void)0;
    return st;
  }
  if (tag == 0x02) { /* attributes: implements, versionsuffix, external-id */
    uint32_t n;
    bool seen[3] = {false, false, false};
    if ((st = read_count(d, r, 2, &n))) return st;
    for (uint32_t i = 0; i < n; i++) {
      size_t ao = off(r);
      uint8_t k;
      const char *v;
      if ((st = lat_read_u8(r, &k, d->err))) return st;
      if (k > 2) return malformed(d, ao, "invalid extern name attribute");
      if (seen[k]) return INVALID(d, ao, "duplicate extern name attribute");
      seen[k] = true;
      size_t vlen;
      if ((st = read_name(d, r, &v, &vlen))) return st;
      if (k == 0) {
        lat_cname_t in;
        if (lat_cname_parse(v, vlen, d->arena, &in, NULL) || strlen(v) != vlen)
          return INVALID(d, ao, "`%.100s` is not a valid name", v);
        if (in.kind != LAT_CNAME_INTERFACE)
          return INVALID(d, ao, "`implements` value `%.100s` must be an interface", v);
        out->implements = v;
      }
    }
  }
  return LAT_OK;
}

static const lat_ctype_t *want_type(dec_t *d, scope_t *s, uint32_t i,
                                    uint8_t kind, size_t o, lat_status *st) {
  const lat__entry_t *e = NULL;
  if ((*st = get_entry(d, s, LAT_CSORT_TYPE, i, o, &e))) return NULL;
  if (!e->type || e->type->kind != kind) {
    *st = INVALID(d, o, "type index %u is not a %s type", i,
                  lat_ctype_kind_name((lat_ctype_kind_t)kind));
    return NULL;
  }
  return e->type;
}

static lat_status read_externtype(dec_t *d, scope_t *s, lat_reader_t *r,
                                  lat_cextern_t *x) {
  size_t o = off(r);
  uint8_t k;
  uint32_t i;
  lat_status st = lat_read_u8(r, &k, d->err);
  if (st) return st;
  switch (k) {
  case 0x00: { /* 0x11 core module type */
    uint8_t b;
    const lat__entry_t *e;
    if ((st = lat_read_u8(r, &b, d->err))) return st;
    if (b != 0x11) return malformed(d, o, "invalid core extern type");
    if ((st = lat_read_u32(r, &i, d->err))) return st;
    if ((st = get_entry(d, s, LAT_CSORT_CORE_TYPE, i, o, &e))) return st;
    if (!e->type || e->type->kind != LAT_CT_MODULE)
      return INVALID(d, o, "core type index %u is not a module type", i);
    x->sort = LAT_CSORT_CORE_MODULE;
    x->type = e->type;
    return LAT_OK;
  }
  case 0x01:
  case 0x04:
  case 0x05: {
    static const uint8_t kinds[6] = {0, LAT_CT_FUNC, 0, 0, LAT_CT_COMPONENT,
                                     LAT_CT_INSTANCE};
    static const lat_csort_t sorts[6] = {0, LAT_CSORT_FUNC, 0, 0,
                                         LAT_CSORT_COMPONENT, LAT_CSORT_INSTANCE};
    if ((st = lat_read_u32(r, &i, d->err))) return st;
    x->sort = sorts[k];
    x->type = want_type(d, s, i, kinds[k], o, &st);
    return st;
  }
  case 0x02:
    return UNSUPPORTED(d, o, "value imports and exports are not supported");
  case 0x03: { /* type bound */
    uint8_t b;
    x->sort = LAT_CSORT_TYPE;
    if ((st = lat_read_u8(r, &b, d->err))) return st;
    if (b == 0x00) { /* (eq i): the same type under a new name */
      const lat__entry_t *e;
      if ((st = lat_read_u32(r, &i, d->err))) return st;
      if ((st = get_entry(d, s, LAT_CSORT_TYPE, i, o, &e))) return st;
      return give_name(d, e->type, o, &x->type, &x->nid);
    }
    if (b != 0x01) return malformed(d, o, "invalid type bound");
    lat_ctype_t *t = lat__ctype_new(d->arena, LAT_CT_RESOURCE);
    if (!t) return nomem(d);
    if ((st = finish(d, t, o)) || (st = new_nid(d, o, &t->nid))) return st;
    x->type = t;
    x->nid = t->nid;
    x->sub_resource = true;
    return LAT_OK;
  }
  default:
    return malformed(d, o, "invalid extern type");
  }
}

static lat_status read_externdecl(dec_t *d, scope_t *s, lat_reader_t *r,
                                  bool import, lat_cextern_t *out) {
  (void)import;
  memset(out, 0, sizeof *out);
  lat_status st = read_extern_name(d, r, &out->name);
  if (!st) st = read_externtype(d, s, r, out);
  if (!st && out->sort == LAT_CSORT_TYPE && out->type &&
      out->type->kind == LAT_CT_RESOURCE && out->sub_resource) {
    ((lat_ctype_t *)out->type)->res_name = out->name.full;
  }
  return st;
}

/* ---- annotated names and visibility -------------------------------------------------- */

static const lat_cextern_t *find_named(const lat_cextern_t *v, uint32_t n,
                                       const char *label) {
  for (uint32_t i = 0; i < n; i++)
    if (v[i].name.kind == LAT_CNAME_LABEL && !strcmp(v[i].name.label, label))
      return &v[i];
  return NULL;
}

/* The resource declaration among v whose name a handle was written with
 * (same resource, same name identity), or NULL. */
static const lat_cextern_t *handle_decl(const lat_cextern_t *v, uint32_t n,
                                        const lat_ctype_t *h) {
  for (uint32_t i = 0; i < n; i++)
    if (v[i].sort == LAT_CSORT_TYPE && v[i].type == h->u.elem && v[i].nid == h->nid)
      return &v[i];
  return NULL;
}

/* [constructor]r, [method]r.f and [static]r.f: a func whose constructor
 * result or `self` handle is written with the resource this scope imported
 * (for imports) or exported (for exports) as `r`. */
static lat_status check_annotated(dec_t *d, const lat_cextern_t *list, uint32_t n,
                                  const lat_cextern_t *x, size_t o) {
  const lat_cname_t *nm = &x->name;
  if (nm->kind == LAT_CNAME_LABEL || nm->kind == LAT_CNAME_INTERFACE)
    return LAT_OK;
  if (x->sort != LAT_CSORT_FUNC)
    return INVALID(d, o, "`%s` is not a func", nm->full);
  const lat_cextern_t *rd = find_named(list, n, nm->resource);
  if (!rd || rd->sort != LAT_CSORT_TYPE || !rd->type ||
      rd->type->kind != LAT_CT_RESOURCE)
    return INVALID(d, o, "`%s` is not a resource type in `%s`", nm->resource,
                   nm->full);
  const lat_ctype_t *ft = x->type, *h = NULL;
  if (nm->kind == LAT_CNAME_CONSTRUCTOR) {
    h = ft->result;
    if (h && h->kind == LAT_CT_RESULT) h = h->u.result.ok;
    if (!h || h->kind != LAT_CT_OWN)
      return INVALID(d, o, "function does not match expected resource "
                           "constructor type for `%s`", nm->full);
  } else if (nm->kind == LAT_CNAME_METHOD) {
    if (ft->n == 0 || strcmp(ft->u.fields[0].name, "self") ||
        ft->u.fields[0].type->kind != LAT_CT_BORROW)
      return INVALID(d, o, "method `%s` must take `self: borrow<%s>` first",
                     nm->full, nm->resource);
    h = ft->u.fields[0].type;
  }
  if (h) {
    const lat_cextern_t *hd = handle_decl(list, n, h);
    if (!hd)
      return INVALID(d, o, "`%s`: the resource used in the function does not "
                           "have a name in this context", nm->full);
    if (hd != rd)
      return INVALID(d, o, "`%s`: function does not match expected resource "
                           "name `%s`", nm->full, hd->name.full);
  }
  return LAT_OK;
}

/* External visibility (Explainer.md, "External Visibility of Types"): the
 * type of an import or export may only use a record, variant, enum, flags
 * or resource through a name an earlier import (for imports) or import or
 * export (for exports) of this component gave it.  Tuples, lists, options,
 * results and handles need no name themselves; their parts do.  Checked
 * one layer deep: a named type's own parts were checked when it was named.
 * Instance types defer the check to where they are imported or exported;
 * component types are checked as they are declared. */

static const lat_ctype_t *unnamed_parts(namedset_t *set, const lat_ctype_t *t);

/* The first part of value type t that has no name in set, or NULL. */
static const lat_ctype_t *unnamed_val(namedset_t *set, const lat_ctype_t *t) {
  if (!t || !(t->has_nominal || t->has_resource) || ptrset_has(&set->ok, t)) return NULL;
  const lat_ctype_t *bad;
  if (lat__ctype_is_nominal(t))
    bad = namedset_has(set, t->nid, t) ? NULL : t;
  else if (t->kind == LAT_CT_OWN || t->kind == LAT_CT_BORROW)
    bad = namedset_has(set, t->nid, t->u.elem) ? NULL : t;
  else
    bad = unnamed_parts(set, t);
  if (!bad) (void)ptrset_add(&set->ok, t); /* a cache: failing only forgets */
  return bad;
}

/* The same for the parts of t, for an import or export of t itself. */
static const lat_ctype_t *unnamed_parts(namedset_t *set, const lat_ctype_t *t) {
  const lat_ctype_t *bad = NULL;
  if (!t) return NULL;
  switch (t->kind) {
  case LAT_CT_LIST:
  case LAT_CT_OPTION:
    return unnamed_val(set, t->u.elem);
  case LAT_CT_RESULT:
    if (!(bad = unnamed_val(set, t->u.result.ok))) bad = unnamed_val(set, t->u.result.err);
    return bad;
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    return unnamed_val(set, t);
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
  case LAT_CT_VARIANT:
  case LAT_CT_FUNC:
    for (uint32_t i = 0; i < t->n && !bad; i++)
      bad = unnamed_val(set, t->u.fields[i].type);
    if (!bad && t->kind == LAT_CT_FUNC) bad = unnamed_val(set, t->result);
    return bad;
  case LAT_CT_INSTANCE:
    for (uint32_t i = 0; i < t->n && !bad; i++) {
      const lat_cextern_t *x = &t->u.decls[i];
      if (x->sort == LAT_CSORT_FUNC || x->sort == LAT_CSORT_TYPE ||
          x->sort == LAT_CSORT_INSTANCE)
        bad = unnamed_parts(set, x->type);
    }
    return bad;
  default: /* enum, flags, primitives, resources, component and module types */
    return NULL;
  }
}

/* Checks import or export x (or, below an instance import or export, one
 * of that instance's exports, `in` naming the top-level item) and records
 * the names it gives. */
static lat_status check_named(dec_t *d, scope_t *s, const lat_cextern_t *x,
                              bool import, const char *in, size_t o) {
  namedset_t *set = import ? &s->named_imp : &s->named_exp;
  const lat_ctype_t *bad = NULL, *t = x->type;
  switch (x->sort) {
  case LAT_CSORT_INSTANCE:
    for (uint32_t i = 0; t && t->kind == LAT_CT_INSTANCE && i < t->n; i++) {
      lat_status st = check_named(d, s, &t->u.decls[i], import,
                                  in ? in : x->name.full, o);
      if (st) return st;
    }
    return LAT_OK;
  case LAT_CSORT_FUNC:
    bad = unnamed_parts(set, t);
    break;
  case LAT_CSORT_TYPE: {
    bool res = t && t->kind == LAT_CT_RESOURCE;
    /* a resource this component (type) defines cannot also come from an
     * import (in a component every other resource was imported) */
    if (import && res && !x->sub_resource &&
        (s->kind == SC_COMPONENT ? !ptrset_has(&s->imported_res, t)
                                 : ptrset_has(&s->exported_res, t)))
      return INVALID(d, o, "type `%s`%s%s%s is not valid to be used as an import: "
                           "it is a resource %s", x->name.full, in ? " (in `" : "",
                     in ? in : "", in ? "`)" : "",
                     s->kind == SC_COMPONENT ? "defined in this component"
                                             : "an export of this component type "
                                               "introduces");
    if (!(bad = unnamed_parts(set, t)) && t) {
      uint32_t nid = lat__ctype_is_nominal(t) ? t->nid : res ? x->nid : 0;
      if (nid && (namedset_add(&s->named_exp, nid, t) ||
                  (import && namedset_add(&s->named_imp, nid, t))))
        return nomem(d);
      if (res && import && ptrset_add(&s->imported_res, t)) return nomem(d);
      if (res && !import && x->sub_resource && s->kind == SC_COMPONENT_TYPE &&
          ptrset_add(&s->exported_res, t))
        return nomem(d);
    }
    break;
  }
  default:
    return LAT_OK;
  }
  if (!bad) return LAT_OK;
  lat_buf_t b;
  lat_buf_init(&b);
  const lat_ctype_t *shown = bad->kind == LAT_CT_OWN || bad->kind == LAT_CT_BORROW
                                 ? bad->u.elem : bad;
  if (lat_ctype_print(shown, &b)) b.len = 0;
  lat_status st = INVALID(
      d, o, "%s `%s`%s%s%s is not valid to be used as %s: it uses %s%.120s, which "
      "has no name from an earlier %s", lat_csort_name(x->sort), x->name.full,
      in ? " (in `" : "", in ? in : "", in ? "`)" : "", import ? "an import" : "an export",
      bad->kind == LAT_CT_OWN      ? "a handle to "
      : bad->kind == LAT_CT_BORROW ? "a borrow of "
                                   : "",
      b.len ? (const char *)b.data : "?", import ? "import" : "import or export");
  lat_buf_fini(&b);
  return st;
}

static lat_status scope_add_decl(dec_t *d, scope_t *s, lat_cextern_t *x,
                                 bool import, size_t o, uint32_t num) {
  lat_component_t *c = s->c;
  lat_status st;
  /* strong uniqueness */
  {
    lat_buf_t b;
    lat_buf_init(&b);
    bool dup = false;
    st = lat_cname_canonical(&x->name, &b);
    if (!st) st = nameset_add(import ? &s->import_names : &s->export_names,
                              (const char *)b.data, &dup);
    lat_buf_fini(&b);
    if (st) return nomem(d);
    if (dup)
      return INVALID(d, o, "%s name `%s` conflicts with previous name",
                     import ? "import" : "export", x->name.full);
  }
  if (x->name.implements) {
    if (x->sort != LAT_CSORT_INSTANCE)
      return INVALID(d, o, "only instances can have an `implements` attribute");
    if (x->name.kind != LAT_CNAME_LABEL)
      return INVALID(d, o, "name `%s` is not valid with `implements`", x->name.full);
  }
  if ((st = check_annotated(d, import ? c->imports : c->exports,
                            import ? c->nimports : c->nexports, x, o)))
    return st;
  if (s->kind != SC_INSTANCE_TYPE && (st = check_named(d, s, x, import, NULL, o)))
    return st;
  /* the declaration introduces an index in its sort */
  lat__entry_t e = {.type = x->type, .nid = x->nid, .def = NONE};
  lat__def_t def = {.kind = import ? LAT__DEF_IMPORT : LAT__DEF_EXPORT,
                    .a = import ? c->nimports : c->nexports, .b = num,
                    .name = x->name.full};
  if (import) {
    if ((st = PUSH(d, c->imports, c->nimports, c->capimports, *x))) return st;
  } else {
    if ((st = PUSH(d, c->exports, c->nexports, c->capexports, *x))) return st;
  }
  if (x->sort == LAT_CSORT_VALUE)
    return UNSUPPORTED(d, o, "values are not supported");
  return define(d, s, x->sort, e, def, o);
}

/* ---- aliases ----------------------------------------------------------------------------------- */

static lat_status read_alias(dec_t *d, scope_t *s, lat_reader_t *r, bool in_type) {
  size_t o = off(r);
  lat_csort_t sort;
  uint8_t tag;
  lat_status st = read_sort(d, r, &sort);
  if (!st) st = lat_read_u8(r, &tag, d->err);
  if (st) return st;
  lat__entry_t e = {.def = NONE};
  lat__def_t def = {0};
  switch (tag) {
  case 0x00: { /* export of a component instance */
    uint32_t i;
    const char *name;
    const lat__entry_t *ie;
    if ((st = lat_read_u32(r, &i, d->err)) || (st = read_name(d, r, &name, NULL)))
      return st;
    if (in_type && sort != LAT_CSORT_INSTANCE && sort != LAT_CSORT_TYPE)
      return INVALID(d, o, "export aliases in types may only be of instances "
                           "and types");
    if ((st = get_entry(d, s, LAT_CSORT_INSTANCE, i, o, &ie))) return st;
    const lat_ctype_t *it = ie->type;
    const lat_cextern_t *x = NULL;
    for (uint32_t k = 0; it && k < it->n && !x; k++)
      if (!strcmp(it->u.decls[k].name.full, name)) x = &it->u.decls[k];
    if (!x)
      return INVALID(d, o, "instance %u has no export named `%s`", i, name);
    if (x->sort != sort)
      return INVALID(d, o, "export `%s` for instance %u is not a %s", name, i,
                     lat_csort_name(sort));
    e.type = x->type;
    e.nid = x->nid;
    def.kind = LAT__DEF_ALIAS_EXPORT;
    def.a = i;
    def.name = name;
    break;
  }
  case 0x01: { /* export of a core instance */
    uint32_t i;
    const char *name;
    const lat__entry_t *ie;
    int want = core_kind(sort);
    if (in_type) return INVALID(d, o, "core export aliases are not allowed in types");
    if ((st = lat_read_u32(r, &i, d->err)) || (st = read_name(d, r, &name, NULL)))
      return st;
    if (want < 0) return INVALID(d, o, "invalid core export alias sort");
    if ((st = get_entry(d, s, LAT_CSORT_CORE_INSTANCE, i, o, &ie))) return st;
    if (ie->cinst) {
      const lat__core_export_t *x = NULL;
      for (uint32_t k = 0; k < ie->cinst->n && !x; k++)
        if (!strcmp(ie->cinst->exports[k].name, name)) x = &ie->cinst->exports[k];
      if (!x)
        return INVALID(d, o, "core instance %u has no export named `%s`", i, name);
      if (x->kind != want)
        return INVALID(d, o, "export `%s` for core instance %u is not a %s",
                       name, i, lat_csort_name(sort));
      e.cfunc = x->func;
      e.cext = x->cext;
    }
    def.kind = LAT__DEF_ALIAS_CORE_EXPORT;
    def.a = i;
    def.name = name;
    break;
  }
  case 0x02: { /* outer */
    uint32_t ct, idx;
    if ((st = lat_read_u32(r, &ct, d->err)) || (st = lat_read_u32(r, &idx, d->err)))
      return st;
    if (sort != LAT_CSORT_TYPE && sort != LAT_CSORT_CORE_TYPE &&
        sort != LAT_CSORT_CORE_MODULE && sort != LAT_CSORT_COMPONENT)
      return INVALID(d, o, "outer aliases of %s are not allowed",
                     lat_csort_name(sort));
    if (in_type && sort != LAT_CSORT_TYPE && sort != LAT_CSORT_CORE_TYPE)
      return INVALID(d, o, "outer aliases in types may only be of types");
    scope_t *t = s;
    bool crosses = false;
    for (uint32_t k = 0; k < ct; k++) {
      if (t->kind == SC_COMPONENT) crosses = true;
      t = t->parent;
      if (!t) return INVALID(d, o, "invalid outer alias count of %u", ct);
    }
    const lat__entry_t *te;
    if ((st = get_entry(d, t, sort, idx, o, &te))) return st;
    if (crosses && sort == LAT_CSORT_TYPE && te->type && te->type->has_resource)
      return INVALID(d, o, "cannot alias outer type which transitively refers "
                           "to resources not defined in the current component");
    e = *te;
    e.def = NONE;
    def.kind = LAT__DEF_ALIAS_OUTER;
    def.a = ct;
    def.b = idx;
    break;
  }
  default:
    return malformed(d, o, "invalid alias target");
  }
  if (sort == LAT_CSORT_VALUE) return UNSUPPORTED(d, o, "values are not supported");
  return define(d, s, sort, e, def, o);
}

/* ---- core modules and instances ----------------------------------------------------------------- */

static char *cstr(dec_t *d, const char *p, size_t n) {
  char *s = lat_arena_alloc(d->arena, n + 1);
  if (s) {
    if (n) memcpy(s, p, n);
    s[n] = 0;
  }
  return s;
}

static lat_status module_type_of(dec_t *d, lat_wasm_module_t *m, size_t mo,
                                 const lat_ctype_t **out) {
  uint32_t ni = lat_wasm_module_import_count(m), ne = lat_wasm_module_export_count(m);
  lat_ccore_extern_t *x = lat_arena_array(d->arena, (size_t)ni + ne + 1, sizeof *x);
  lat_ctype_t *t = lat__ctype_new(d->arena, LAT_CT_MODULE);
  if (!x || !t) return nomem(d);
  /* two-level import names must be unique in a component (they mangle to
   * one name in the canonical ABI's instantiation) */
  nameset_t seen = {0};
  for (uint32_t i = 0; i < ni; i++) {
    lat_wasm_import_t im;
    lat_wasm_module_import(m, i, &im);
    if (!(x[i].module = cstr(d, im.module, im.module_len)) ||
        !(x[i].name = cstr(d, im.name, im.name_len))) {
      nameset_fini(&seen);
      return nomem(d);
    }
    x[i].kind = im.kind;
    if (im.kind == LAT_EXTERN_FUNC) x[i].func = im.type.func;
    else if (im.kind == LAT_EXTERN_TABLE) x[i].type.table = im.type.table;
    else if (im.kind == LAT_EXTERN_MEMORY) x[i].type.memory = im.type.memory;
    else if (im.kind == LAT_EXTERN_GLOBAL) x[i].type.global = im.type.global;
    lat_buf_t key;
    lat_buf_init(&key);
    bool dup = false;
    lat_status st = lat_buf_printf(&key, "%zu:%s:%s", im.module_len, x[i].module, x[i].name);
    if (!st) st = nameset_add(&seen, (const char *)key.data, &dup);
    lat_buf_fini(&key);
    if (st || dup) {
      nameset_fini(&seen);
      return st ? nomem(d) : INVALID(d, mo, "duplicate import name `%s:%s`", x[i].module, x[i].name);
    }
  }
  nameset_fini(&seen);
  for (uint32_t i = 0; i < ne; i++) {
    lat_wasm_export_t ex;
    lat_wasm_module_export(m, i, &ex);
    lat_ccore_extern_t *y = &x[ni + i];
    if (!(y->name = cstr(d, ex.name, ex.name_len))) return nomem(d);
    y->kind = ex.kind;
    if (ex.kind == LAT_EXTERN_FUNC) y->func = ex.type.func;
    else if (ex.kind == LAT_EXTERN_TABLE) y->type.table = ex.type.table;
    else if (ex.kind == LAT_EXTERN_MEMORY) y->type.memory = ex.type.memory;
    else if (ex.kind == LAT_EXTERN_GLOBAL) y->type.global = ex.type.global;
  }
  t->n = ni + ne;
  t->nimports = ni;
  t->u.core = x;
  t->depth = 1;
  t->tsize = 1 + t->n;
  *out = t;
  return LAT_OK;
}

static lat_status read_core_module(dec_t *d, scope_t *s, lat_reader_t *r,
                                   size_t len) {
  size_t o = off(r);
  lat_component_t *c = s->c;
  lat__core_module_t m = {.off = o, .len = len};
  const uint8_t *p;
  lat_status st = lat_read_bytes(r, len, &p, d->err);
  if (st) return st;
  if (!d->skip_core) {
    lat_error_t e2;
    lat_error_clear(&e2);
    st = lat_wasm_module_new(p, len, &m.module, &e2);
    if (st) {
      if (st == LAT_ENOMEM) return nomem(d);
      return lat_error_set(d->err, st,
                           e2.offset == SIZE_MAX ? o : o + e2.offset,
                           "core module %u: %s", c->nmodules, e2.msg);
    }
    if ((st = PUSH(d, c->modules, c->nmodules, c->capmodules, m))) {
      lat_wasm_module_release(m.module);
      return st;
    }
    lat__core_module_t *mm = &c->modules[c->nmodules - 1];
    if ((st = module_type_of(d, mm->module, o, &mm->type))) return st;
    m.type = mm->type;
  } else if ((st = PUSH(d, c->modules, c->nmodules, c->capmodules, m))) {
    return st;
  }
  lat__entry_t e = {.type = m.type, .def = NONE};
  lat__def_t def = {.kind = LAT__DEF_CORE_MODULE, .a = c->nmodules - 1};
  return define(d, s, LAT_CSORT_CORE_MODULE, e, def, o);
}

/* The arguments of a core (core) or component instantiation: each a name,
 * a sort (core: instances only) and an index that exists, no name twice. */
static lat_status read_inst_args(dec_t *d, scope_t *s, lat_reader_t *r, bool core,
                                 uint32_t *out_n, lat__arg_t **out) {
  uint32_t n;
  lat_status st = read_count(d, r, 3, &n);
  if (st) return st;
  lat__arg_t *args = lat_arena_array(d->arena, n ? n : 1, sizeof *args);
  if (!args) return nomem(d);
  for (uint32_t i = 0; i < n; i++) {
    size_t ao = off(r);
    uint8_t k = 0;
    lat_csort_t sort = LAT_CSORT_CORE_INSTANCE;
    if ((st = read_name(d, r, &args[i].name, NULL)) ||
        (st = core ? lat_read_u8(r, &k, d->err) : read_sort(d, r, &sort)) ||
        (st = lat_read_u32(r, &args[i].index, d->err)))
      return st;
    if (core && k != 0x12)
      return INVALID(d, ao, "only instances are allowed as core instantiation "
                            "arguments");
    if (sort == LAT_CSORT_VALUE) return UNSUPPORTED(d, ao, "values are not supported");
    args[i].sort = (uint8_t)sort;
    const lat__entry_t *ae;
    if ((st = get_entry(d, s, sort, args[i].index, ao, &ae))) return st;
    for (uint32_t j = 0; j < i; j++)
      if (!strcmp(args[j].name, args[i].name))
        return core ? INVALID(d, ao, "duplicate module instantiation argument named "
                                     "`%s`", args[i].name)
                    : INVALID(d, ao, "instantiation argument `%s` conflicts with "
                                     "previous argument", args[i].name);
  }
  *out_n = n;
  *out = args;
  return LAT_OK;
}

static lat_status read_core_instance(dec_t *d, scope_t *s, lat_reader_t *r) {
  size_t o = off(r);
  uint8_t tag;
  uint32_t n;
  lat_status st = lat_read_u8(r, &tag, d->err);
  if (st) return st;
  lat__entry_t e = {.def = NONE};
  lat__def_t def = {0};
  if (tag == 0x00) {
    uint32_t mi;
    const lat__entry_t *me;
    if ((st = lat_read_u32(r, &mi, d->err))) return st;
    if ((st = get_entry(d, s, LAT_CSORT_CORE_MODULE, mi, o, &me))) return st;
    lat__arg_t *args;
    if ((st = read_inst_args(d, s, r, true, &n, &args))) return st;
    const lat_ctype_t *mt = me->type;
    if (mt) {
      /* every import must be satisfied with the right kind and type */
      for (uint32_t i = 0; i < mt->nimports; i++) {
        const lat_ccore_extern_t *im = &mt->u.core[i];
        const lat__arg_t *a = NULL;
        for (uint32_t j = 0; j < n && !a; j++)
          if (!strcmp(args[j].name, im->module)) a = &args[j];
        if (!a)
          return INVALID(d, o, "missing module instantiation argument named "
                               "`%s`", im->module);
        const lat__core_inst_t *ci = space(s, LAT_CSORT_CORE_INSTANCE)->v[a->index].cinst;
        if (!ci) continue;
        const lat__core_export_t *x = NULL;
        for (uint32_t k = 0; k < ci->n && !x; k++)
          if (!strcmp(ci->exports[k].name, im->name)) x = &ci->exports[k];
        if (!x)
          return INVALID(d, o, "module instantiation argument `%s` does not "
                               "export an item named `%s`", im->module, im->name);
        if (x->kind != im->kind)
          return INVALID(d, o, "module instantiation argument `%s` export `%s` "
                               "has the wrong kind", im->module, im->name);
        if (im->kind == LAT_EXTERN_FUNC && x->func && im->func &&
            !functype_eq(x->func, im->func))
          return INVALID(d, o, "type mismatch in import `%s::%s`", im->module,
                         im->name);
        char why[128];
        if (im->kind != LAT_EXTERN_FUNC && x->cext &&
            !lat__ccore_extern_sub(x->cext, im, why, sizeof why))
          return INVALID(d, o, "type mismatch in import `%s::%s`: %s", im->module,
                         im->name, why);
      }
      lat__core_inst_t *ci = lat_arena_alloc(d->arena, sizeof *ci);
      uint32_t ne = mt->n - mt->nimports;
      lat__core_export_t *ex = lat_arena_array(d->arena, ne ? ne : 1, sizeof *ex);
      if (!ci || !ex) return nomem(d);
      for (uint32_t i = 0; i < ne; i++) {
        const lat_ccore_extern_t *y = &mt->u.core[mt->nimports + i];
        ex[i].name = y->name;
        ex[i].kind = y->kind;
        ex[i].func = y->func;
        ex[i].cext = y;
        ex[i].index = i;
      }
      ci->exports = ex;
      ci->n = ne;
      e.cinst = ci;
    }
    def.kind = LAT__DEF_CORE_INSTANTIATE;
    def.a = mi;
    def.args = args;
    def.nargs = n;
  } else if (tag == 0x01) {
    if ((st = read_count(d, r, 3, &n))) return st;
    lat__core_inst_t *ci = lat_arena_alloc(d->arena, sizeof *ci);
    lat__core_export_t *ex = lat_arena_array(d->arena, n ? n : 1, sizeof *ex);
    lat__arg_t *args = lat_arena_array(d->arena, n ? n : 1, sizeof *args);
    if (!ci || !ex || !args) return nomem(d);
    for (uint32_t i = 0; i < n; i++) {
      size_t xo = off(r);
      lat_csort_t sort;
      uint32_t idx;
      if ((st = read_name(d, r, &ex[i].name, NULL)) ||
          (st = read_core_sort(d, r, &sort)) || (st = lat_read_u32(r, &idx, d->err)))
        return st;
      int k = core_kind(sort);
      if (k < 0) return INVALID(d, xo, "invalid core export sort");
      const lat__entry_t *xe;
      if ((st = get_entry(d, s, sort, idx, xo, &xe))) return st;
      for (uint32_t j = 0; j < i; j++)
        if (!strcmp(ex[j].name, ex[i].name))
          return INVALID(d, xo, "export name `%s` already defined", ex[i].name);
      ex[i].kind = (uint8_t)k;
      ex[i].func = xe->cfunc;
      ex[i].cext = xe->cext;
      ex[i].index = idx;
      args[i] = (lat__arg_t){ex[i].name, (uint8_t)sort, idx};
    }
    ci->exports = ex;
    ci->n = n;
    e.cinst = ci;
    def.kind = LAT__DEF_CORE_INLINE;
    def.args = args;
    def.nargs = n;
  } else {
    return malformed(d, o, "invalid core instance");
  }
  return define(d, s, LAT_CSORT_CORE_INSTANCE, e, def, o);
}

/* ---- component instances ------------------------------------------------------------------------- */

static lat_status entry_extern(dec_t *d, scope_t *s, lat_csort_t sort,
                               uint32_t idx, size_t o, lat_cextern_t *x) {
  const lat__entry_t *e = NULL;
  lat_status st = get_entry(d, s, sort, idx, o, &e);
  if (st) return st;
  x->sort = sort;
  x->type = e->type;
  x->nid = e->nid;
  x->sub_resource = false;
  return LAT_OK;
}

/* After a component's import e was satisfied by a, the types e named stand
 * for a's in the instance's exports: records the renaming (recursively
 * through instance imports, export by export). */
static lat_status add_renames(lat__nmap_t *nm, const lat_cextern_t *e,
                              const lat_cextern_t *a, uint32_t depth) {
  if (!e->type || !a->type || depth > LAT_CTYPE_MAX_DEPTH) return LAT_OK;
  if (e->sort == LAT_CSORT_TYPE) {
    if (lat__ctype_is_nominal(e->type) && e->type->nid &&
        a->type->kind == e->type->kind)
      return lat__nmap_add(nm, e->type->nid, a->type, a->type->nid);
    if (e->type->kind == LAT_CT_RESOURCE && e->nid && a->type->kind == LAT_CT_RESOURCE)
      return lat__nmap_add(nm, e->nid, a->type, a->nid);
    return LAT_OK;
  }
  if (e->sort != LAT_CSORT_INSTANCE || e->type->kind != LAT_CT_INSTANCE ||
      a->type->kind != LAT_CT_INSTANCE)
    return LAT_OK;
  for (uint32_t i = 0; i < e->type->n; i++) {
    const lat_cextern_t *ed = &e->type->u.decls[i];
    for (uint32_t j = 0; j < a->type->n; j++)
      if (!strcmp(a->type->u.decls[j].name.full, ed->name.full)) {
        lat_status st = add_renames(nm, ed, &a->type->u.decls[j], depth + 1);
        if (st) return st;
        break;
      }
  }
  return LAT_OK;
}

static lat_status read_instance(dec_t *d, scope_t *s, lat_reader_t *r) {
  size_t o = off(r);
  uint8_t tag;
  uint32_t n;
  lat_status st = lat_read_u8(r, &tag, d->err);
  if (st) return st;
  lat__entry_t e = {.def = NONE};
  lat__def_t def = {0};
  if (tag == 0x00) {
    uint32_t ci;
    const lat__entry_t *ce;
    if ((st = lat_read_u32(r, &ci, d->err))) return st;
    if ((st = get_entry(d, s, LAT_CSORT_COMPONENT, ci, o, &ce))) return st;
    lat__arg_t *args;
    if ((st = read_inst_args(d, s, r, false, &n, &args))) return st;
    const lat_ctype_t *ct = ce->type;
    lat__rmap_t m = {0};
    lat__nmap_t nm = {0};
    for (uint32_t i = 0; ct && i < ct->nimports; i++) {
      const lat_cextern_t *im = &ct->u.decls[i];
      const lat__arg_t *a = NULL;
      for (uint32_t j = 0; j < n && !a; j++)
        if (!strcmp(args[j].name, im->name.full)) a = &args[j];
      if (!a) {
        lat__rmap_fini(&m);
        lat__nmap_fini(&nm);
        return INVALID(d, o, "missing import named `%s`", im->name.full);
      }
      lat_cextern_t ax = {.name = im->name};
      if ((st = entry_extern(d, s, a->sort, a->index, o, &ax))) break;
      lat_error_t e2;
      lat_error_clear(&e2);
      if (lat__cextern_subtype(&ax, im, &m, &e2)) {
        st = INVALID(d, o, "type mismatch for component instantiation argument "
                           "`%s`: %s", im->name.full, e2.msg);
        break;
      }
      if (add_renames(&nm, im, &ax, 0)) {
        st = nomem(d);
        break;
      }
    }
    if (!st && ct) {
      /* the instance type: the component's exports, with imported resources
       * replaced by the arguments' and exported ones made fresh */
      uint32_t ne = ct->n - ct->nimports;
      lat_ctype_t *it = lat__ctype_new(d->arena, LAT_CT_INSTANCE);
      if (!it) st = nomem(d);
      if (!st) {
        it->n = ne;
        it->u.decls = ct->u.decls + ct->nimports;
        it->depth = ct->depth;
        it->tsize = ct->tsize;
        it->has_resource = ct->has_resource;
        it->has_nominal = ct->has_nominal;
        const lat_ctype_t *t2 = lat__ctype_fresh_exports_names(d->arena, it, &m, &nm);
        if (!t2) st = nomem(d);
        e.type = t2;
      }
    }
    lat__rmap_fini(&m);
    lat__nmap_fini(&nm);
    if (st) return st;
    def.kind = LAT__DEF_INSTANTIATE;
    def.a = ci;
    def.args = args;
    def.nargs = n;
  } else if (tag == 0x01) {
    if ((st = read_count(d, r, 3, &n))) return st;
    lat_cextern_t *x = lat_arena_array(d->arena, n ? n : 1, sizeof *x);
    lat__arg_t *args = lat_arena_array(d->arena, n ? n : 1, sizeof *args);
    lat_ctype_t *it = lat__ctype_new(d->arena, LAT_CT_INSTANCE);
    if (!x || !args || !it) return nomem(d);
    nameset_t names = {0};
    for (uint32_t i = 0; i < n && !st; i++) {
      size_t xo = off(r);
      lat_csort_t sort;
      uint32_t idx;
      if ((st = read_extern_name(d, r, &x[i].name)) ||
          (st = read_sort(d, r, &sort)) || (st = lat_read_u32(r, &idx, d->err)))
        break;
      if (sort >= LAT_CSORT_CORE_FUNC && sort != LAT_CSORT_CORE_MODULE) {
        st = INVALID(d, xo, "core sort %s cannot be exported from an instance",
                     lat_csort_name(sort));
        break;
      }
      if (sort == LAT_CSORT_VALUE) {
        st = UNSUPPORTED(d, xo, "values are not supported");
        break;
      }
      if ((st = entry_extern(d, s, sort, idx, xo, &x[i])))
        break;
      /* a bag of exports introduces no type indices, so nothing in it can
       * name the resource an annotated function refers to */
      if (x[i].name.kind == LAT_CNAME_CONSTRUCTOR || x[i].name.kind == LAT_CNAME_METHOD ||
          x[i].name.kind == LAT_CNAME_STATIC) {
        st = INVALID(d, xo, "`%s`: the resource used in the function does not have a "
                            "name in this context (a bag of exports names none)",
                     x[i].name.full);
        break;
      }
      args[i] = (lat__arg_t){x[i].name.full, (uint8_t)sort, idx};
      lat_buf_t b;
      bool dup = false;
      lat_buf_init(&b);
      st = lat_cname_canonical(&x[i].name, &b);
      if (!st) st = nameset_add(&names, (const char *)b.data, &dup);
      lat_buf_fini(&b);
      if (st) st = nomem(d);
      else if (dup)
        st = INVALID(d, xo, "instance export name `%s` conflicts with previous "
                            "name", x[i].name.full);
    }
    nameset_fini(&names);
    if (st) return st;
    it->n = n;
    it->u.decls = x;
    if ((st = finish(d, it, o))) return st;
    e.type = it;
    def.kind = LAT__DEF_INLINE;
    def.args = args;
    def.nargs = n;
  } else {
    return malformed(d, o, "invalid instance");
  }
  return define(d, s, LAT_CSORT_INSTANCE, e, def, o);
}

/* ---- canonical definitions -------------------------------------------------------------------- */

/* True when t transitively contains a string or a list. */
static bool needs_memory(const lat_ctype_t *t) {
  if (!t) return false;
  switch (t->kind) {
  case LAT_CT_STRING:
  case LAT_CT_LIST:
    return true;
  case LAT_CT_OPTION:
    return needs_memory(t->u.elem);
  case LAT_CT_RESULT:
    return needs_memory(t->u.result.ok) || needs_memory(t->u.result.err);
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
  case LAT_CT_VARIANT:
    for (uint32_t i = 0; i < t->n; i++)
      if (needs_memory(t->u.fields[i].type)) return true;
    return false;
  default:
    return false;
  }
}

static bool params_need_memory(const lat_ctype_t *ft) {
  for (uint32_t i = 0; i < ft->n; i++)
    if (needs_memory(ft->u.fields[i].type)) return true;
  return false;
}

static uint32_t params_nflat(const lat_ctype_t *ft) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < ft->n && n <= LAT_CABI_MAX_FLAT_PARAMS; i++)
    n += ft->u.fields[i].type->nflat;
  return n;
}

static const uint8_t realloc_params[4] = {LAT_I32, LAT_I32, LAT_I32, LAT_I32};
static const uint8_t one_i32[1] = {LAT_I32};

static lat_status read_opts(dec_t *d, scope_t *s, lat_reader_t *r, bool lift,
                            lat__canon_opts_t *o) {
  uint32_t n;
  lat_status st = read_count(d, r, 1, &n);
  if (st) return st;
  o->encoding = LAT_CABI_UTF8;
  o->memory = o->realloc = o->post_return = NONE;
  bool enc = false;
  for (uint32_t i = 0; i < n; i++) {
    size_t oo = off(r);
    uint8_t k;
    uint32_t idx;
    const lat__entry_t *e;
    if ((st = lat_read_u8(r, &k, d->err))) return st;
    switch (k) {
    case 0x00:
    case 0x01:
    case 0x02:
      if (enc) return INVALID(d, oo, "canonical encoding option `%s` conflicts "
                                     "with a previous one",
                              k == 0 ? "utf8" : k == 1 ? "utf16" : "latin1-utf16");
      enc = true;
      o->encoding = (lat_cabi_encoding_t)k;
      break;
    case 0x03:
      if (o->memory != NONE) return INVALID(d, oo, "`memory` is specified more than once");
      if ((st = lat_read_u32(r, &idx, d->err))) return st;
      if ((st = get_entry(d, s, LAT_CSORT_CORE_MEMORY, idx, oo, &e))) return st;
      o->memory = idx;
      break;
    case 0x04:
    case 0x05:
      if ((k == 4 ? o->realloc : o->post_return) != NONE)
        return INVALID(d, oo, "`%s` is specified more than once",
                       k == 4 ? "realloc" : "post-return");
      if ((st = lat_read_u32(r, &idx, d->err))) return st;
      if ((st = get_entry(d, s, LAT_CSORT_CORE_FUNC, idx, oo, &e))) return st;
      if (k == 4) {
        lat_wasm_functype_t want = {4, 1, realloc_params, one_i32};
        if (e->cfunc && !functype_eq(e->cfunc, &want))
          return INVALID(d, oo, "canonical option `realloc` uses a core function "
                                "with an incorrect signature");
        o->realloc = idx;
      } else {
        if (!lift)
          return INVALID(d, oo, "canonical option `post-return` cannot be "
                                "specified for lowerings");
        o->post_return = idx;
      }
      break;
    case 0x06:
    case 0x07:
      return UNSUPPORTED(d, oo, "async canonical options are not supported");
    default:
      return malformed(d, oo, "invalid canonical option");
    }
  }
  if (o->realloc != NONE && o->memory == NONE)
    return INVALID(d, off(r), "canonical option `realloc` requires `memory`");
  return LAT_OK;
}

static lat_status read_canon(dec_t *d, scope_t *s, lat_reader_t *r) {
  size_t o = off(r);
  uint8_t k;
  lat_status st = lat_read_u8(r, &k, d->err);
  if (st) return st;
  lat__entry_t e = {.def = NONE};
  lat__def_t def = {0};
  switch (k) {
  case 0x00:
  case 0x01: {
    uint8_t z;
    uint32_t f, ti = 0;
    bool lift = k == 0x00;
    const lat__entry_t *fe;
    if ((st = lat_read_u8(r, &z, d->err))) return st;
    if (z != 0x00) return malformed(d, o, "invalid canonical function sort");
    size_t fo = off(r);
    if ((st = lat_read_u32(r, &f, d->err))) return st;
    if ((st = get_entry(d, s, lift ? LAT_CSORT_CORE_FUNC : LAT_CSORT_FUNC, f, fo,
                        &fe)))
      return st;
    if ((st = read_opts(d, s, r, lift, &def.opts))) return st;
    const lat_ctype_t *ft;
    if (lift) {
      size_t to = off(r);
      if ((st = lat_read_u32(r, &ti, d->err))) return st;
      if (!(ft = want_type(d, s, ti, LAT_CT_FUNC, to, &st))) return st;
    } else {
      ft = fe->type;
    }
    uint8_t p[17], q[1];
    uint32_t np, nq;
    if ((st = lat_cabi_flatten_func(ft, lift, p, &np, q, &nq))) {
      return lat_error_set(d->err, st == LAT_ENOMEM ? LAT_ENOMEM : LAT_EINVALID,
                           o, "cannot flatten function type");
    }
    const lat__canon_opts_t *op = &def.opts;
    bool pmem = params_need_memory(ft), rmem = needs_memory(ft->result);
    bool pspill = params_nflat(ft) > LAT_CABI_MAX_FLAT_PARAMS;
    bool rspill = ft->result && ft->result->nflat > LAT_CABI_MAX_FLAT_RESULTS;
    if (lift) {
      if ((pmem || pspill) && op->realloc == NONE)
        return INVALID(d, o, "canonical option `realloc` is required");
      if ((rmem || rspill) && op->memory == NONE)
        return INVALID(d, o, "canonical option `memory` is required");
      if (fe->cfunc) {
        lat_wasm_functype_t want = {np, nq, p, q};
        if (!functype_eq(fe->cfunc, &want))
          return INVALID(d, o, "lowered parameter types do not match parameter "
                               "types of core function %u", f);
      }
      if (op->post_return != NONE) {
        const lat__entry_t *pe = &space(s, LAT_CSORT_CORE_FUNC)->v[op->post_return];
        lat_wasm_functype_t want = {nq, 0, q, NULL};
        if (pe->cfunc && !functype_eq(pe->cfunc, &want))
          return INVALID(d, o, "canonical option `post-return` uses a core "
                               "function with an incorrect signature");
      }
      e.type = ft;
      def.kind = LAT__DEF_CANON_LIFT;
      def.a = f;
      def.b = ti;
      return define(d, s, LAT_CSORT_FUNC, e, def, o);
    }
    if ((pmem || pspill || rspill) && op->memory == NONE)
      return INVALID(d, o, "canonical option `memory` is required");
    if (rmem && op->realloc == NONE)
      return INVALID(d, o, "canonical option `realloc` is required");
    if (!(e.cfunc = mk_functype(d, p, np, q, nq))) return nomem(d);
    def.kind = LAT__DEF_CANON_LOWER;
    def.a = f;
    return define(d, s, LAT_CSORT_CORE_FUNC, e, def, o);
  }
  case 0x02:
  case 0x03:
  case 0x04: {
    uint32_t ti;
    if ((st = lat_read_u32(r, &ti, d->err))) return st;
    const lat_ctype_t *rt = want_type(d, s, ti, LAT_CT_RESOURCE, o, &st);
    if (!rt) return st;
    if (k != 0x03) {
      bool local = false;
      for (uint32_t i = 0; i < s->nlocal && !local; i++) local = s->local_res[i] == rt;
      if (!local)
        return INVALID(d, o, "type index %u is not a resource type defined in "
                             "this component", ti);
    }
    static const uint8_t none[1] = {0};
    lat_wasm_functype_t ft = {1, k == 0x03 ? 0 : 1, one_i32, k == 0x03 ? none : one_i32};
    if (!(e.cfunc = mk_functype(d, ft.params, ft.nparams, ft.results, ft.nresults)))
      return nomem(d);
    def.kind = k == 0x02 ? LAT__DEF_RESOURCE_NEW
                         : k == 0x03 ? LAT__DEF_RESOURCE_DROP : LAT__DEF_RESOURCE_REP;
    def.b = ti;
    return define(d, s, LAT_CSORT_CORE_FUNC, e, def, o);
  }
  default:
    if (k <= 0x42)
      return UNSUPPORTED(d, o, "canonical built-in 0x%02x (async or threads) is "
                               "not supported", k);
    return malformed(d, o, "invalid canonical definition");
  }
}

/* ---- imports and exports -------------------------------------------------------------------------- */

static lat_status fresh_instance(dec_t *d, lat_cextern_t *x) {
  if (x->sort != LAT_CSORT_INSTANCE || !x->type || !x->type->has_resource)
    return LAT_OK;
  lat__rmap_t m = {0};
  const lat_ctype_t *t = lat__ctype_fresh_exports(d->arena, x->type, &m);
  lat__rmap_fini(&m);
  if (!t) return nomem(d);
  x->type = t;
  return LAT_OK;
}

static lat_status read_import(dec_t *d, scope_t *s, lat_reader_t *r) {
  size_t o = off(r);
  lat_cextern_t x;
  lat_status st = read_externdecl(d, s, r, true, &x);
  if (!st) st = fresh_instance(d, &x);
  if (!st) st = scope_add_decl(d, s, &x, true, o, NONE);
  return st;
}

static bool is_local_res(const scope_t *s, const lat_ctype_t *t) {
  for (uint32_t i = 0; i < s->nlocal; i++)
    if (s->local_res[i] == t) return true;
  return false;
}

static lat_status read_export(dec_t *d, scope_t *s, lat_reader_t *r) {
  size_t o = off(r);
  lat_cextern_t x;
  memset(&x, 0, sizeof x);
  lat_csort_t sort;
  uint32_t idx;
  uint8_t has;
  lat_status st = read_extern_name(d, r, &x.name);
  if (!st) st = read_sort(d, r, &sort);
  if (!st) st = lat_read_u32(r, &idx, d->err);
  if (st) return st;
  if (sort == LAT_CSORT_VALUE) return UNSUPPORTED(d, o, "values are not supported");
  if (sort >= LAT_CSORT_CORE_FUNC && sort != LAT_CSORT_CORE_MODULE)
    return INVALID(d, o, "%s cannot be exported", lat_csort_name(sort));
  if ((st = entry_extern(d, s, sort, idx, o, &x))) return st;
  if (sort == LAT_CSORT_TYPE && x.type && x.type->kind == LAT_CT_RESOURCE &&
      is_local_res(s, x.type)) {
    x.sub_resource = true;
    if (!x.type->res_name) ((lat_ctype_t *)x.type)->res_name = x.name.full;
  }
  /* the export's index names the type; the exported index does not
   * become named (Explainer: external visibility of types) */
  if (sort == LAT_CSORT_TYPE && (st = give_name(d, x.type, o, &x.type, &x.nid)))
    return st;
  size_t ao = off(r);
  if ((st = lat_read_u8(r, &has, d->err))) return st;
  if (has > 1) return malformed(d, ao, "invalid optional export type");
  if (has) {
    lat_cextern_t asc;
    memset(&asc, 0, sizeof asc);
    asc.name = x.name;
    if ((st = read_externtype(d, s, r, &asc))) return st;
    lat__rmap_t m = {0};
    lat_error_t e2;
    lat_error_clear(&e2);
    if (lat__cextern_subtype(&x, &asc, &m, &e2)) {
      lat__rmap_fini(&m);
      return INVALID(d, ao, "ascribed type of export `%s` is not a supertype of "
                            "the exported item: %s", x.name.full, e2.msg);
    }
    if (asc.sort == LAT_CSORT_TYPE && asc.sub_resource) {
      /* a new abstract type, distinct from the exported one */
      ((lat_ctype_t *)asc.type)->res_name = x.name.full;
      x.type = asc.type;
      x.nid = asc.nid;
      x.sub_resource = true;
    } else {
      const lat_ctype_t *t = lat__ctype_subst(d->arena, asc.type, &m);
      if (!t) {
        lat__rmap_fini(&m);
        return nomem(d);
      }
      x.type = t;
      x.nid = asc.nid;
      x.sub_resource = false;
    }
    lat__rmap_fini(&m);
  }
  return scope_add_decl(d, s, &x, false, o, idx);
}

/* ---- sections --------------------------------------------------------------------------------------- */

static lat_status decode_component(dec_t *d, scope_t *parent,
                                   lat_component_t *c, lat_reader_t *r,
                                   uint32_t depth);

static lat_status read_nested(dec_t *d, scope_t *s, lat_reader_t *r, size_t len) {
  size_t o = off(r);
  lat_component_t *child = lat_calloc(1, sizeof *child);
  if (!child) return nomem(d);
  child->root = d->root;
  lat_component_t *c = s->c;
  lat_status st = PUSH(d, c->nested, c->nnested, c->capnested, child);
  if (st) {
    lat_free(child);
    return st;
  }
  lat_reader_t sub = {r->base, r->p, r->p + len};
  r->p += len;
  if ((st = decode_component(d, s, child, &sub, s->depth + 1))) return st;
  lat__entry_t e = {.type = child->type, .def = NONE};
  lat__def_t def = {.kind = LAT__DEF_COMPONENT, .a = c->nnested - 1};
  return define(d, s, LAT_CSORT_COMPONENT, e, def, o);
}

typedef lat_status (*item_fn)(dec_t *d, scope_t *s, lat_reader_t *r);

static lat_status read_vec(dec_t *d, scope_t *s, lat_reader_t *r, item_fn fn) {
  uint32_t n;
  lat_status st = read_count(d, r, 1, &n);
  for (uint32_t i = 0; i < n && !st; i++) st = fn(d, s, r);
  return st;
}

static lat_status read_alias_item(dec_t *d, scope_t *s, lat_reader_t *r) {
  return read_alias(d, s, r, false);
}
static lat_status read_core_type_item(dec_t *d, scope_t *s, lat_reader_t *r) {
  return read_core_type(d, s, r, false);
}

static lat_status decode_component(dec_t *d, scope_t *parent,
                                   lat_component_t *c, lat_reader_t *r,
                                   uint32_t depth) {
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
  const uint8_t *p;
  size_t o = off(r);
  lat_status st;
  scope_t s = {.parent = parent, .kind = SC_COMPONENT, .c = c, .depth = depth};
  if (depth > d->max_nesting) {
    st = INVALID(d, o, "nesting too deep");
    goto done;
  }
  if (lat_reader_left(r) < 8 || memcmp(r->p, magic, 4) != 0) {
    st = malformed(d, o, lat_reader_left(r) < 4 ? "unexpected end" : "magic header not detected");
    goto done;
  }
  if ((st = lat_read_bytes(r, 8, &p, d->err))) goto done;
  if (p[6] != 0x01 || p[7] != 0x00) {
    st = malformed(d, o + 6, p[6] == 0 && p[7] == 0 ? "expected a component, found a core module"
                                                    : "unknown binary layer");
    goto done;
  }
  if (p[4] != 0x0d || p[5] != 0x00) {
    st = malformed(d, o + 4, "unknown binary version");
    goto done;
  }
  while (lat_reader_left(r) > 0) {
    size_t so = off(r);
    uint8_t id;
    uint32_t size;
    if ((st = lat_read_u8(r, &id, d->err)) || (st = lat_read_u32(r, &size, d->err)))
      goto done;
    if (size > lat_reader_left(r)) {
      st = malformed(d, so, "section size mismatch: unexpected end");
      goto done;
    }
    lat_reader_t sec = {r->base, r->p, r->p + size};
    r->p += size;
    switch (id) {
    case 0: {
      const char *name;
      st = read_name(d, &sec, &name, NULL);
      sec.p = sec.end;
      break;
    }
    case 1:
      st = read_core_module(d, &s, &sec, size);
      break;
    case 2:
      st = read_vec(d, &s, &sec, read_core_instance);
      break;
    case 3:
      st = read_vec(d, &s, &sec, read_core_type_item);
      break;
    case 4:
      st = read_nested(d, &s, &sec, size);
      break;
    case 5:
      st = read_vec(d, &s, &sec, read_instance);
      break;
    case 6:
      st = read_vec(d, &s, &sec, read_alias_item);
      break;
    case 7:
      st = read_vec(d, &s, &sec, read_type);
      break;
    case 8:
      st = read_vec(d, &s, &sec, read_canon);
      break;
    case 9:
      st = UNSUPPORTED(d, so, "component start functions are not supported");
      break;
    case 10:
      st = read_vec(d, &s, &sec, read_import);
      break;
    case 11:
      st = read_vec(d, &s, &sec, read_export);
      break;
    case 12:
      st = UNSUPPORTED(d, so, "value definitions are not supported");
      break;
    default:
      st = malformed(d, so, "unknown section id");
    }
    if (st) goto done;
    if (sec.p != sec.end) {
      st = malformed(d, off(&sec), "section size mismatch: trailing bytes");
      goto done;
    }
  }
  {
    lat_ctype_t *t = lat__ctype_new(d->arena, LAT_CT_COMPONENT);
    uint32_t total = c->nimports + c->nexports;
    lat_cextern_t *all = lat_arena_array(d->arena, total ? total : 1, sizeof *all);
    if (!t || !all) {
      st = nomem(d);
      goto done;
    }
    if (c->nimports) memcpy(all, c->imports, c->nimports * sizeof *all);
    if (c->nexports) memcpy(all + c->nimports, c->exports, c->nexports * sizeof *all);
    t->n = total;
    t->nimports = c->nimports;
    t->u.decls = all;
    if ((st = finish(d, t, o))) goto done;
    c->type = t;
  }
done:
  scope_fini(&s);
  return st;
}

/* ---- public API ------------------------------------------------------------------------------------------- */

bool lat_component_is_component(const uint8_t *bytes, size_t len) {
  return bytes && len >= 8 && bytes[0] == 0 && bytes[1] == 'a' &&
         bytes[2] == 's' && bytes[3] == 'm' && bytes[6] == 1 && bytes[7] == 0;
}

static void component_fini(lat_component_t *c) {
  for (uint32_t i = 0; i < c->nnested; i++) {
    component_fini(c->nested[i]);
    lat_free(c->nested[i]);
  }
  for (uint32_t i = 0; i < c->nmodules; i++)
    lat_wasm_module_release(c->modules[i].module);
  lat_free(c->nested);
  lat_free(c->modules);
  tmp_component_fini(c);
}

void lat_component_free(lat_component_t *c) {
  if (!c) return;
  component_fini(c);
  lat_arena_fini(&c->arena);
  lat_free(c->bytes);
  lat_free(c);
}

lat_status lat_component_new(const uint8_t *bytes, size_t len,
                             const lat_component_options_t *opts,
                             lat_component_t **out, lat_error_t *err) {
  *out = NULL;
  if (!bytes && len) return lat_error_set(err, LAT_EARG, SIZE_MAX, "no bytes");
  lat_component_t *c = lat_calloc(1, sizeof *c);
  if (!c) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  c->root = c;
  lat_arena_init(&c->arena);
  c->bytes = lat_malloc(len ? len : 1);
  if (!c->bytes) {
    lat_free(c);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  if (len) memcpy(c->bytes, bytes, len);
  c->len = len;
  dec_t d = {.root = c, .arena = &c->arena, .err = err,
             .skip_core = opts && opts->skip_core_validation,
             .max_nesting = opts && opts->max_nesting ? opts->max_nesting : 64};
  lat_reader_t r = {c->bytes, c->bytes, c->bytes + len};
  lat_status st = decode_component(&d, NULL, c, &r, 0);
  if (st) {
    lat_component_free(c);
    return st;
  }
  *out = c;
  return LAT_OK;
}

uint32_t lat_component_import_count(const lat_component_t *c) { return c->nimports; }
const lat_cextern_t *lat_component_import(const lat_component_t *c, uint32_t i) {
  return i < c->nimports ? &c->imports[i] : NULL;
}
uint32_t lat_component_export_count(const lat_component_t *c) { return c->nexports; }
const lat_cextern_t *lat_component_export(const lat_component_t *c, uint32_t i) {
  return i < c->nexports ? &c->exports[i] : NULL;
}
const lat_ctype_t *lat_component_type(const lat_component_t *c) { return c->type; }

uint32_t lat_component_space_size(const lat_component_t *c, lat_csort_t s) {
  return (unsigned)s < LAT_CSORT_COUNT ? c->sp[s].n : 0;
}

uint32_t lat_component_core_module_count(const lat_component_t *c) {
  return c->nmodules;
}

const uint8_t *lat_component_core_module_bytes(const lat_component_t *c,
                                               uint32_t i, size_t *out_len) {
  if (i >= c->nmodules) return NULL;
  *out_len = c->modules[i].len;
  return c->root->bytes + c->modules[i].off;
}

lat_wasm_module_t *lat_component_core_module(const lat_component_t *c,
                                             uint32_t i) {
  return i < c->nmodules ? c->modules[i].module : NULL;
}

uint32_t lat_component_nested_count(const lat_component_t *c) { return c->nnested; }

static lat_status print_decl(const lat_cextern_t *x, bool imp, lat_buf_t *out) {
  const char *kw = imp ? "import" : "export";
  lat_status st;
  switch (x->sort) {
  case LAT_CSORT_INSTANCE:
    if (x->name.kind == LAT_CNAME_INTERFACE)
      return lat_buf_printf(out, "%s %s;\n", kw, x->name.full);
    return lat_buf_printf(out, "%s %s: interface;\n", kw, x->name.full);
  case LAT_CSORT_FUNC:
    if ((st = lat_buf_printf(out, "%s %s: ", kw, x->name.full))) return st;
    if ((st = lat_ctype_print(x->type, out))) return st;
    return lat_buf_printf(out, ";\n");
  default:
    return lat_buf_printf(out, "%s %s: %s;\n", kw, x->name.full,
                          lat_csort_name(x->sort));
  }
}

lat_status lat_component_print_world(const lat_component_t *c, lat_buf_t *out) {
  lat_status st = LAT_OK;
  for (uint32_t i = 0; i < c->nimports && !st; i++)
    st = print_decl(&c->imports[i], true, out);
  for (uint32_t i = 0; i < c->nexports && !st; i++)
    st = print_decl(&c->exports[i], false, out);
  return st;
}
