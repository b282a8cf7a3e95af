/* component_types.c: the component type graph.
 *
 * Approach: types are immutable nodes in an arena, built bottom-up (children
 * first) so the graph is a DAG with no cycles by construction.  When a node
 * is finished (lat__ctype_finish) its canonical-ABI layout (elem_size,
 * alignment, flat count), its depth and its tree size are computed once
 * from its children; every later walk (lift, lower, flatten, equality,
 * subtyping, printing) is bounded by LAT_CTYPE_MAX_DEPTH and
 * LAT_CTYPE_MAX_SIZE, so a hostile binary cannot make a walk exponential
 * (shared subtrees) or overflow the C stack.  The caps follow wasmparser's
 * "effective type size" limit.
 *
 * Resource types are compared by identity.  Importing an instance type, or
 * instantiating a component type, gives its `(sub resource)` exports fresh
 * identities (lat__ctype_fresh_exports) and substitutes them through the
 * other types (lat__ctype_subst, which rewrites each node once: shared
 * subtrees stay shared and the work stays linear; instantiation also
 * renames name identities, lat_ctype_t.nid, through a lat__nmap_t).
 * Subtyping (lat__ctype_subtype) binds each
 * expected `(sub resource)` to the provided resource as it walks the
 * expected exports in order, which is valid because a handle type can only
 * refer to a resource declared before it.
 *
 * Value types have no subtyping (the Component Model dropped it): two value
 * types match when equal after resource binding.  Core module types follow
 * core subtyping: imports contravariant, exports covariant, table/memory
 * limits by range inclusion (lat__ccore_extern_sub).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component_int.h"

/* ---- static primitive nodes -------------------------------------------------- */

#define PRIM(k, sz, fl)                                                     \
  [k] = {.kind = k, .size = sz, .align = sz, .nflat = fl, .depth = 1,        \
         .tsize = 1}
static const lat_ctype_t prims[LAT_CT_STRING + 1] = {
    PRIM(LAT_CT_BOOL, 1, 1), PRIM(LAT_CT_S8, 1, 1),  PRIM(LAT_CT_U8, 1, 1),
    PRIM(LAT_CT_S16, 2, 1),  PRIM(LAT_CT_U16, 2, 1), PRIM(LAT_CT_S32, 4, 1),
    PRIM(LAT_CT_U32, 4, 1),  PRIM(LAT_CT_S64, 8, 1), PRIM(LAT_CT_U64, 8, 1),
    PRIM(LAT_CT_F32, 4, 1),  PRIM(LAT_CT_F64, 8, 1), PRIM(LAT_CT_CHAR, 4, 1),
    [LAT_CT_STRING] = {.kind = LAT_CT_STRING, .size = 8, .align = 4,
                       .nflat = 2, .depth = 1, .tsize = 1},
};
#undef PRIM

const lat_ctype_t *lat_ctype_prim(lat_ctype_kind_t k) {
  if (k < LAT_CT_BOOL || k > LAT_CT_STRING) return NULL;
  return &prims[k];
}

static const char *const kind_names[LAT_CT_KIND_COUNT] = {
    [LAT_CT_BOOL] = "bool",     [LAT_CT_S8] = "s8",
    [LAT_CT_U8] = "u8",         [LAT_CT_S16] = "s16",
    [LAT_CT_U16] = "u16",       [LAT_CT_S32] = "s32",
    [LAT_CT_U32] = "u32",       [LAT_CT_S64] = "s64",
    [LAT_CT_U64] = "u64",       [LAT_CT_F32] = "f32",
    [LAT_CT_F64] = "f64",       [LAT_CT_CHAR] = "char",
    [LAT_CT_STRING] = "string", [LAT_CT_LIST] = "list",
    [LAT_CT_RECORD] = "record", [LAT_CT_TUPLE] = "tuple",
    [LAT_CT_VARIANT] = "variant", [LAT_CT_ENUM] = "enum",
    [LAT_CT_OPTION] = "option", [LAT_CT_RESULT] = "result",
    [LAT_CT_FLAGS] = "flags",   [LAT_CT_OWN] = "own",
    [LAT_CT_BORROW] = "borrow", [LAT_CT_RESOURCE] = "resource",
    [LAT_CT_FUNC] = "func",     [LAT_CT_COMPONENT] = "component",
    [LAT_CT_INSTANCE] = "instance", [LAT_CT_MODULE] = "core module",
};

const char *lat_ctype_kind_name(lat_ctype_kind_t k) {
  if ((unsigned)k >= LAT_CT_KIND_COUNT || !kind_names[k]) return "?";
  return kind_names[k];
}

static const char *const sort_names[LAT_CSORT_COUNT] = {
    "func",        "value",       "type",          "component",
    "instance",    "core func",   "core table",    "core memory",
    "core global", "core tag",    "core type",     "core module",
    "core instance"};

const char *lat_csort_name(lat_csort_t s) {
  return (unsigned)s < LAT_CSORT_COUNT ? sort_names[s] : "?";
}

lat_ctype_t *lat__ctype_new(lat_arena_t *a, uint8_t kind) {
  lat_ctype_t *t = lat_arena_alloc(a, sizeof *t);
  if (t) {
    t->kind = kind;
    t->dtor = UINT32_MAX;
  }
  return t;
}

/* ---- variant view (despecialisation) ------------------------------------------ */

/* Number of cases of a variant-like type, and case i's payload (or NULL). */
uint32_t lat__ctype_ncases(const lat_ctype_t *t) {
  switch (t->kind) {
  case LAT_CT_VARIANT:
  case LAT_CT_ENUM:
    return t->n;
  case LAT_CT_OPTION:
  case LAT_CT_RESULT:
    return 2;
  default:
    return 0;
  }
}

const lat_ctype_t *lat__ctype_case_type(const lat_ctype_t *t, uint32_t i) {
  switch (t->kind) {
  case LAT_CT_VARIANT:
    return t->u.fields[i].type;
  case LAT_CT_OPTION:
    return i == 1 ? t->u.elem : NULL;
  case LAT_CT_RESULT:
    return i == 0 ? t->u.result.ok : t->u.result.err;
  default:
    return NULL;
  }
}

static uint32_t disc_size(uint32_t n) {
  return n <= 256 ? 1 : n <= 65536 ? 2 : 4;
}

static uint64_t align_to(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* Children of a node for generic walks: count and i-th child (may be NULL). */
static uint32_t nchildren(const lat_ctype_t *t) {
  switch (t->kind) {
  case LAT_CT_LIST:
  case LAT_CT_OPTION:
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    return 1;
  case LAT_CT_RESULT:
    return 2;
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
  case LAT_CT_VARIANT:
  case LAT_CT_INSTANCE:
  case LAT_CT_COMPONENT:
    return t->n;
  case LAT_CT_FUNC:
    return t->n + 1;
  default:
    return 0;
  }
}

static const lat_ctype_t *child(const lat_ctype_t *t, uint32_t i) {
  switch (t->kind) {
  case LAT_CT_LIST:
  case LAT_CT_OPTION:
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    return t->u.elem;
  case LAT_CT_RESULT:
    return i == 0 ? t->u.result.ok : t->u.result.err;
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
  case LAT_CT_VARIANT:
    return t->u.fields[i].type;
  case LAT_CT_FUNC:
    return i < t->n ? t->u.fields[i].type : t->result;
  case LAT_CT_INSTANCE:
  case LAT_CT_COMPONENT:
    return t->u.decls[i].type;
  default:
    return NULL;
  }
}

lat_status lat__ctype_finish(lat_ctype_t *t, size_t offset, lat_error_t *err) {
  uint32_t depth = 1;
  uint64_t tsize = 1;
  bool borrow = t->kind == LAT_CT_BORROW;
  bool res = t->kind == LAT_CT_RESOURCE;
  bool nom = lat__ctype_is_nominal(t);
  uint32_t nc = nchildren(t);
  for (uint32_t i = 0; i < nc; i++) {
    const lat_ctype_t *c = child(t, i);
    if (!c) continue;
    if (c->depth + 1u > depth) depth = c->depth + 1u;
    tsize += c->tsize;
    if (t->kind != LAT_CT_FUNC && t->kind != LAT_CT_INSTANCE &&
        t->kind != LAT_CT_COMPONENT)
      borrow = borrow || c->has_borrow;
    res = res || c->has_resource;
    nom = nom || c->has_nominal;
  }
  if (depth > LAT_CTYPE_MAX_DEPTH)
    return lat_error_set(err, LAT_EINVALID, offset,
                         "type nesting too deep (over %u)", LAT_CTYPE_MAX_DEPTH);
  if (tsize > LAT_CTYPE_MAX_SIZE)
    return lat_error_set(err, LAT_EINVALID, offset,
                         "effective type size exceeds the limit of %u",
                         LAT_CTYPE_MAX_SIZE);
  t->depth = (uint16_t)depth;
  t->tsize = (uint32_t)tsize;
  t->has_borrow = borrow;
  t->has_resource = res;
  t->has_nominal = nom;

  uint64_t size = 0, align = 1, nflat = 0;
  switch (t->kind) {
  case LAT_CT_LIST:
  case LAT_CT_STRING:
    size = 8, align = 4, nflat = 2;
    break;
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
    if (t->n == 0)
      return lat_error_set(err, LAT_EINVALID, offset, "%s type with no fields",
                           kind_names[t->kind]);
    for (uint32_t i = 0; i < t->n; i++) {
      const lat_ctype_t *f = t->u.fields[i].type;
      size = align_to(size, f->align) + f->size;
      if (f->align > align) align = f->align;
      nflat += f->nflat;
    }
    size = align_to(size, align);
    break;
  case LAT_CT_VARIANT:
  case LAT_CT_ENUM:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    uint32_t n = lat__ctype_ncases(t);
    if (n == 0)
      return lat_error_set(err, LAT_EINVALID, offset, "%s type with no cases",
                           kind_names[t->kind]);
    uint64_t ds = disc_size(n), maxa = 1, maxs = 0, maxf = 0;
    for (uint32_t i = 0; i < n; i++) {
      const lat_ctype_t *c = lat__ctype_case_type(t, i);
      if (!c) continue;
      if (c->align > maxa) maxa = c->align;
      if (c->size > maxs) maxs = c->size;
      if (c->nflat > maxf) maxf = c->nflat;
    }
    align = ds > maxa ? ds : maxa;
    size = align_to(align_to(ds, maxa) + maxs, align);
    nflat = 1 + maxf;
    break;
  }
  case LAT_CT_FLAGS:
    if (t->n == 0 || t->n > 32)
      return lat_error_set(err, LAT_EINVALID, offset,
                           "flags must have 1 to 32 labels, not %u", t->n);
    size = align = t->n <= 8 ? 1 : t->n <= 16 ? 2 : 4;
    nflat = 1;
    break;
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    if (!t->u.elem || t->u.elem->kind != LAT_CT_RESOURCE)
      return lat_error_set(err, LAT_EINVALID, offset,
                           "handle type must refer to a resource type");
    size = align = 4, nflat = 1;
    break;
  case LAT_CT_FUNC:
    if (t->result && t->result->has_borrow)
      return lat_error_set(err, LAT_EINVALID, offset,
                           "function result contains a borrow");
    return LAT_OK;
  default:
    return LAT_OK;
  }
  if (size >= (1u << 28))
    return lat_error_set(err, LAT_EINVALID, offset,
                         "type's element size exceeds 2^28 bytes");
  t->size = (uint32_t)size;
  t->align = (uint32_t)align;
  t->nflat = nflat > LAT_CABI_FLAT_SAT ? LAT_CABI_FLAT_SAT : (uint32_t)nflat;
  return LAT_OK;
}

/* ---- builder ---------------------------------------------------------------------- */

static const lat_ctype_t *done(lat_ctype_builder_t *b, lat_ctype_t *t) {
  if (!t) {
    lat_error_set(b->err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    return NULL;
  }
  return lat__ctype_finish(t, SIZE_MAX, b->err) ? NULL : t;
}

static bool need(lat_ctype_builder_t *b, const lat_ctype_t *t) {
  if (lat_ctype_is_value(t)) return true;
  lat_error_set(b->err, LAT_EARG, SIZE_MAX, "expected a value type");
  return false;
}

static const char *bdup(lat_ctype_builder_t *b, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *p = lat_arena_alloc(b->arena, n + 1);
  if (p) memcpy(p, s, n + 1);
  return p;
}

static const lat_ctype_t *unary(lat_ctype_builder_t *b, uint8_t k,
                                const lat_ctype_t *e) {
  if (!need(b, e)) return NULL;
  lat_ctype_t *t = lat__ctype_new(b->arena, k);
  if (t) t->u.elem = e;
  return done(b, t);
}

const lat_ctype_t *lat_ctype_list(lat_ctype_builder_t *b, const lat_ctype_t *e) {
  return unary(b, LAT_CT_LIST, e);
}
const lat_ctype_t *lat_ctype_option(lat_ctype_builder_t *b,
                                    const lat_ctype_t *e) {
  return unary(b, LAT_CT_OPTION, e);
}

const lat_ctype_t *lat_ctype_result(lat_ctype_builder_t *b, const lat_ctype_t *ok,
                                    const lat_ctype_t *er) {
  if ((ok && !need(b, ok)) || (er && !need(b, er))) return NULL;
  lat_ctype_t *t = lat__ctype_new(b->arena, LAT_CT_RESULT);
  if (t) t->u.result.ok = ok, t->u.result.err = er;
  return done(b, t);
}

static const lat_ctype_t *fields_type(lat_ctype_builder_t *b, uint8_t k,
                                      const lat_cfield_t *f, uint32_t n,
                                      bool payload_optional) {
  lat_cfield_t *c = lat_arena_array(b->arena, n ? n : 1, sizeof *c);
  lat_ctype_t *t = lat__ctype_new(b->arena, k);
  if (!c || !t) return done(b, NULL);
  for (uint32_t i = 0; i < n; i++) {
    if (!(payload_optional && !f[i].type) && !need(b, f[i].type)) return NULL;
    if (f[i].name && !(c[i].name = bdup(b, f[i].name))) return done(b, NULL);
    c[i].type = f[i].type;
  }
  t->n = n;
  t->u.fields = c;
  return done(b, t);
}

const lat_ctype_t *lat_ctype_record(lat_ctype_builder_t *b, const lat_cfield_t *f,
                                    uint32_t n) {
  return fields_type(b, LAT_CT_RECORD, f, n, false);
}
const lat_ctype_t *lat_ctype_variant(lat_ctype_builder_t *b,
                                     const lat_cfield_t *c, uint32_t n) {
  return fields_type(b, LAT_CT_VARIANT, c, n, true);
}

const lat_ctype_t *lat_ctype_tuple(lat_ctype_builder_t *b,
                                   const lat_ctype_t *const *elems, uint32_t n) {
  lat_cfield_t *f = lat_arena_array(b->arena, n ? n : 1, sizeof *f);
  if (!f) return done(b, NULL);
  for (uint32_t i = 0; i < n; i++) f[i].type = elems[i];
  return fields_type(b, LAT_CT_TUPLE, f, n, false);
}

static const lat_ctype_t *labels_type(lat_ctype_builder_t *b, uint8_t k,
                                      const char *const *labels, uint32_t n) {
  const char **l = lat_arena_array(b->arena, n ? n : 1, sizeof *l);
  lat_ctype_t *t = lat__ctype_new(b->arena, k);
  if (!l || !t) return done(b, NULL);
  for (uint32_t i = 0; i < n; i++)
    if (!(l[i] = bdup(b, labels[i]))) return done(b, NULL);
  t->n = n;
  t->u.labels = l;
  return done(b, t);
}

const lat_ctype_t *lat_ctype_flags(lat_ctype_builder_t *b,
                                   const char *const *labels, uint32_t n) {
  return labels_type(b, LAT_CT_FLAGS, labels, n);
}
const lat_ctype_t *lat_ctype_enum(lat_ctype_builder_t *b,
                                  const char *const *labels, uint32_t n) {
  return labels_type(b, LAT_CT_ENUM, labels, n);
}

const lat_ctype_t *lat_ctype_resource(lat_ctype_builder_t *b, const char *name) {
  lat_ctype_t *t = lat__ctype_new(b->arena, LAT_CT_RESOURCE);
  if (t && name && !(t->res_name = bdup(b, name))) t = NULL;
  return done(b, t);
}

static const lat_ctype_t *handle(lat_ctype_builder_t *b, uint8_t k,
                                 const lat_ctype_t *r) {
  lat_ctype_t *t = lat__ctype_new(b->arena, k);
  if (t) t->u.elem = r;
  return done(b, t);
}
const lat_ctype_t *lat_ctype_own(lat_ctype_builder_t *b, const lat_ctype_t *r) {
  return handle(b, LAT_CT_OWN, r);
}
const lat_ctype_t *lat_ctype_borrow(lat_ctype_builder_t *b,
                                    const lat_ctype_t *r) {
  return handle(b, LAT_CT_BORROW, r);
}

const lat_ctype_t *lat_ctype_func(lat_ctype_builder_t *b,
                                  const lat_cfield_t *params, uint32_t n,
                                  const lat_ctype_t *result) {
  if (result && !need(b, result)) return NULL;
  const lat_ctype_t *t = fields_type(b, LAT_CT_FUNC, params, n, false);
  if (t) ((lat_ctype_t *)t)->result = result;
  /* the borrow-in-result rule runs in finish; rerun it with the result set */
  if (t && lat__ctype_finish((lat_ctype_t *)t, SIZE_MAX, b->err)) return NULL;
  return t;
}

const lat_ctype_t *lat_ctype_instance(lat_ctype_builder_t *b,
                                      const lat_cextern_t *exports, uint32_t n) {
  lat_cextern_t *d = lat_arena_array(b->arena, n ? n : 1, sizeof *d);
  lat_ctype_t *t = lat__ctype_new(b->arena, LAT_CT_INSTANCE);
  if (!d || !t) return done(b, NULL);
  for (uint32_t i = 0; i < n; i++) {
    d[i] = exports[i];
    const char *full = exports[i].name.full;
    if (!full) {
      lat_error_set(b->err, LAT_EARG, SIZE_MAX, "export %u has no name", i);
      return NULL;
    }
    if (lat_cname_parse(full, strlen(full), b->arena, &d[i].name, b->err))
      return NULL;
  }
  t->n = n;
  t->u.decls = d;
  return done(b, t);
}

/* ---- resource maps ------------------------------------------------------------------ */

void lat__rmap_fini(lat__rmap_t *m) {
  if (!m) return;
  lat_free(m->v);
  m->v = NULL;
  m->n = m->cap = 0;
}

lat_status lat__rmap_add(lat__rmap_t *m, const lat_ctype_t *from,
                         const lat_ctype_t *to) {
  if (m->n == m->cap) {
    uint32_t cap = m->cap ? m->cap * 2 : 8;
    lat__rpair_t *v = lat_realloc(m->v, (size_t)cap * sizeof *v);
    if (!v) return LAT_ENOMEM;
    m->v = v;
    m->cap = cap;
  }
  m->v[m->n].from = from;
  m->v[m->n].to = to;
  m->n++;
  return LAT_OK;
}

const lat_ctype_t *lat__rmap_get(const lat__rmap_t *m, const lat_ctype_t *from) {
  if (!m) return NULL;
  for (uint32_t i = m->n; i-- > 0;)
    if (m->v[i].from == from) return m->v[i].to;
  return NULL;
}

/* ---- equality and subtyping ----------------------------------------------------------- */

static bool str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

/* Equality of expected (resolved through m) and actual. */
static bool eq_m(const lat_ctype_t *a, const lat_ctype_t *e,
                 const lat__rmap_t *m) {
  if (!a || !e) return a == e;
  if (a == e) return true;
  if (e->kind == LAT_CT_RESOURCE) {
    const lat_ctype_t *to = lat__rmap_get(m, e);
    return to == a;
  }
  if (a->kind != e->kind || a->n != e->n) return false;
  switch (a->kind) {
  case LAT_CT_LIST:
  case LAT_CT_OPTION:
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    return eq_m(a->u.elem, e->u.elem, m);
  case LAT_CT_RESULT:
    return eq_m(a->u.result.ok, e->u.result.ok, m) &&
           eq_m(a->u.result.err, e->u.result.err, m);
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
  case LAT_CT_VARIANT:
  case LAT_CT_FUNC:
    for (uint32_t i = 0; i < a->n; i++)
      if (!str_eq(a->u.fields[i].name, e->u.fields[i].name) ||
          !eq_m(a->u.fields[i].type, e->u.fields[i].type, m))
        return false;
    return a->kind != LAT_CT_FUNC || eq_m(a->result, e->result, m);
  case LAT_CT_FLAGS:
  case LAT_CT_ENUM:
    for (uint32_t i = 0; i < a->n; i++)
      if (!str_eq(a->u.labels[i], e->u.labels[i])) return false;
    return true;
  case LAT_CT_INSTANCE:
  case LAT_CT_COMPONENT:
  case LAT_CT_MODULE: {
    /* structural, both ways, through the subtype check */
    lat__rmap_t m1 = {0}, m2 = {0};
    bool ok = !lat__ctype_subtype(a, e, &m1, NULL) &&
              !lat__ctype_subtype(e, a, &m2, NULL);
    lat__rmap_fini(&m1);
    lat__rmap_fini(&m2);
    return ok;
  }
  default:
    return lat_ctype_is_value(a); /* primitives of the same kind */
  }
}

bool lat_ctype_equal(const lat_ctype_t *a, const lat_ctype_t *b) {
  return eq_m(a, b, NULL);
}

static const lat_cextern_t *find_decl(const lat_ctype_t *t, uint32_t from,
                                      uint32_t to, const char *name) {
  for (uint32_t i = from; i < to; i++)
    if (strcmp(t->u.decls[i].name.full, name) == 0) return &t->u.decls[i];
  return NULL;
}

static lat_status mismatch(lat_error_t *err, const char *what, const char *name) {
  return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX, "%s `%s`", what,
                       name ? name : "?");
}

static bool functype_eq(const lat_wasm_functype_t *a,
                        const lat_wasm_functype_t *b) {
  if (!a || !b) return a == b;
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (!a->nparams || !memcmp(a->params, b->params, a->nparams)) &&
         (!a->nresults || !memcmp(a->results, b->results, a->nresults));
}

/* Core limits: a's range must lie within e's. */
static bool limits_sub(uint64_t amin, bool ahas, uint64_t amax, uint64_t emin,
                       bool ehas, uint64_t emax) {
  return amin >= emin && (!ehas || (ahas && amax <= emax));
}

bool lat__ccore_extern_sub(const lat_ccore_extern_t *a,
                           const lat_ccore_extern_t *e, char *why, size_t cap) {
  static const char *const kinds[5] = {"func", "table", "memory", "global", "tag"};
  if (a->kind != e->kind) {
    snprintf(why, cap, "expected %s, found %s", e->kind < 5 ? kinds[e->kind] : "?",
             a->kind < 5 ? kinds[a->kind] : "?");
    return false;
  }
  switch (e->kind) {
  case LAT_EXTERN_FUNC:
    if (!functype_eq(a->func, e->func)) {
      snprintf(why, cap, "function types differ");
      return false;
    }
    return true;
  case LAT_EXTERN_TABLE: {
    const lat_wasm_tabletype_t *x = &a->type.table, *y = &e->type.table;
    if (x->elem != y->elem) {
      snprintf(why, cap, "expected table element type %s, found %s",
               lat_wasm_valtype_name(y->elem), lat_wasm_valtype_name(x->elem));
      return false;
    }
    if (!limits_sub(x->min, x->has_max, x->max, y->min, y->has_max, y->max)) {
      snprintf(why, cap, "mismatch in table limits");
      return false;
    }
    return true;
  }
  case LAT_EXTERN_MEMORY: {
    const lat_wasm_memtype_t *x = &a->type.memory, *y = &e->type.memory;
    if (x->shared != y->shared) {
      snprintf(why, cap, "mismatch in the shared flag for memories");
      return false;
    }
    if (x->is64 != y->is64) {
      snprintf(why, cap, "mismatch in index type for memories");
      return false;
    }
    if (!limits_sub(x->min, x->has_max, x->max, y->min, y->has_max, y->max)) {
      snprintf(why, cap, "mismatch in memory limits");
      return false;
    }
    return true;
  }
  case LAT_EXTERN_GLOBAL: {
    const lat_wasm_globaltype_t *x = &a->type.global, *y = &e->type.global;
    if (x->mut != y->mut) {
      snprintf(why, cap, "global types differ in mutability");
      return false;
    }
    if (x->type != y->type) {
      snprintf(why, cap, "expected global type %s, found %s",
               lat_wasm_valtype_name(y->type), lat_wasm_valtype_name(x->type));
      return false;
    }
    return true;
  }
  default:
    return true; /* tags: the engine has no exception handling yet */
  }
}

static lat_status extern_subtype(const lat_cextern_t *a, const lat_cextern_t *e,
                                 lat__rmap_t *m, lat_error_t *err);

static lat_status module_subtype(const lat_ctype_t *a, const lat_ctype_t *e,
                                 lat_error_t *err) {
  /* every import of a must be among e's, with a type e's importers can
   * satisfy (imports are contravariant: e's import type must be a subtype
   * of a's); every export of e must be among a's, with a subtype of it */
  char why[128];
  for (uint32_t i = 0; i < a->nimports; i++) {
    const lat_ccore_extern_t *x = &a->u.core[i];
    const lat_ccore_extern_t *y = NULL;
    for (uint32_t j = 0; j < e->nimports && !y; j++)
      if (str_eq(x->module, e->u.core[j].module) && str_eq(x->name, e->u.core[j].name))
        y = &e->u.core[j];
    if (!y) return mismatch(err, "module has an extra import", x->name);
    if (!lat__ccore_extern_sub(y, x, why, sizeof why))
      return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                           "type mismatch in import `%s::%s`: %s", x->module,
                           x->name, why);
  }
  for (uint32_t j = e->nimports; j < e->n; j++) {
    const lat_ccore_extern_t *y = &e->u.core[j];
    const lat_ccore_extern_t *x = NULL;
    for (uint32_t i = a->nimports; i < a->n && !x; i++)
      if (str_eq(a->u.core[i].name, y->name)) x = &a->u.core[i];
    if (!x) return mismatch(err, "module lacks export", y->name);
    if (!lat__ccore_extern_sub(x, y, why, sizeof why))
      return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                           "type mismatch in export `%s`: %s", y->name, why);
  }
  return LAT_OK;
}

lat_status lat__ctype_subtype(const lat_ctype_t *a, const lat_ctype_t *e,
                              lat__rmap_t *m, lat_error_t *err) {
  if (!a || !e) {
    if (a == e) return LAT_OK;
    return mismatch(err, "type mismatch", NULL);
  }
  if (e->kind == LAT_CT_INSTANCE || e->kind == LAT_CT_COMPONENT) {
    if (a->kind != e->kind)
      return mismatch(err, "expected", lat_ctype_kind_name(e->kind));
    if (e->kind == LAT_CT_COMPONENT) {
      /* contravariant imports: a's imports must be satisfiable by e's */
      for (uint32_t i = 0; i < a->nimports; i++) {
        const lat_cextern_t *ai = &a->u.decls[i];
        const lat_cextern_t *ei = find_decl(e, 0, e->nimports, ai->name.full);
        if (!ei) return mismatch(err, "component has an extra import",
                                 ai->name.full);
        /* checked the other way round; the bindings it makes (a's resource
         * -> e's) are recorded as e's -> a's like every other binding */
        lat__rmap_t rev = {0};
        for (uint32_t k = 0; k < m->n; k++)
          if (lat__rmap_add(&rev, m->v[k].to, m->v[k].from)) {
            lat__rmap_fini(&rev);
            return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
          }
        uint32_t before = rev.n;
        lat_status st = extern_subtype(ei, ai, &rev, err);
        for (uint32_t k = before; !st && k < rev.n; k++)
          if (lat__rmap_add(m, rev.v[k].to, rev.v[k].from))
            st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
        lat__rmap_fini(&rev);
        if (st) return st;
      }
    }
    uint32_t e0 = e->kind == LAT_CT_COMPONENT ? e->nimports : 0;
    uint32_t a0 = a->kind == LAT_CT_COMPONENT ? a->nimports : 0;
    for (uint32_t i = e0; i < e->n; i++) {
      const lat_cextern_t *ed = &e->u.decls[i];
      const lat_cextern_t *ad = find_decl(a, a0, a->n, ed->name.full);
      if (!ad) return mismatch(err, "missing export", ed->name.full);
      lat_status st = extern_subtype(ad, ed, m, err);
      if (st) {
        if (err && st == LAT_EUNLINKABLE) {
          char tmp[sizeof err->msg];
          memcpy(tmp, err->msg, sizeof tmp);
          lat_error_set(err, st, SIZE_MAX, "in export `%s`: %s",
                        ed->name.full, tmp);
        }
        return st;
      }
    }
    return LAT_OK;
  }
  if (e->kind == LAT_CT_MODULE) {
    if (a->kind != LAT_CT_MODULE) return mismatch(err, "expected", "core module");
    return module_subtype(a, e, err);
  }
  if (!eq_m(a, e, m)) {
    lat_buf_t x, y;
    lat_buf_init(&x);
    lat_buf_init(&y);
    lat_ctype_print(e, &x);
    lat_ctype_print(a, &y);
    lat_status st = lat_error_set(
        err, LAT_EUNLINKABLE, SIZE_MAX, "type mismatch: expected %.100s, found %.100s",
        x.data ? (char *)x.data : "?", y.data ? (char *)y.data : "?");
    lat_buf_fini(&x);
    lat_buf_fini(&y);
    return st;
  }
  return LAT_OK;
}

static lat_status extern_subtype(const lat_cextern_t *a, const lat_cextern_t *e,
                                 lat__rmap_t *m, lat_error_t *err) {
  return lat__cextern_subtype(a, e, m, err);
}

lat_status lat__cextern_subtype(const lat_cextern_t *a, const lat_cextern_t *e,
                                lat__rmap_t *m, lat_error_t *err) {
  if (a->sort != e->sort)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "`%s`: expected %s, found %s", e->name.full,
                         lat_csort_name(e->sort), lat_csort_name(a->sort));
  if (e->sort == LAT_CSORT_TYPE) {
    if (e->sub_resource) {
      if (!a->type || a->type->kind != LAT_CT_RESOURCE)
        return mismatch(err, "expected a resource type for", e->name.full);
      if (e->type != a->type && lat__rmap_add(m, e->type, a->type))
        return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      return LAT_OK;
    }
    if (!eq_m(a->type, e->type, m))
      return mismatch(err, "type mismatch for", e->name.full);
    return LAT_OK;
  }
  return lat__ctype_subtype(a->type, e->type, m, err);
}

lat_status lat_ctype_check_subtype(const lat_ctype_t *actual,
                                   const lat_ctype_t *expected,
                                   lat_error_t *err) {
  lat__rmap_t m = {0};
  lat_status st = lat__ctype_subtype(actual, expected, &m, err);
  lat__rmap_fini(&m);
  return st;
}

/* ---- substitution --------------------------------------------------------------------- */

/* One substitution pass.  Each node is rewritten at most once (memo: old
 * node -> result), so a subtree shared by many parents is visited once and
 * stays shared in the result.  Without the memo, a node whose first child
 * changes evaluated that child twice (once to see whether anything changes,
 * once to build), and a chain of N such nodes took 2^N steps. */
typedef struct {
  lat_arena_t *a;
  const lat__rmap_t *rm; /* NULL or empty: no resources to replace */
  const lat__nmap_t *nm; /* NULL or empty: no names to replace; sorted */
  const lat_ctype_t **key, **val; /* open addressing on key */
  uint32_t n, cap;
  bool oom;
} subst_t;

static uint32_t ptr_hash(const void *p, uint32_t mask) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 29;
  x *= 0x9e3779b97f4a7c15ull;
  return (uint32_t)(x >> 32) & mask;
}

static const lat_ctype_t *memo_get(const subst_t *s, const lat_ctype_t *t) {
  if (!s->cap) return NULL;
  for (uint32_t h = ptr_hash(t, s->cap - 1); s->key[h]; h = (h + 1) & (s->cap - 1))
    if (s->key[h] == t) return s->val[h];
  return NULL;
}

static void memo_put(subst_t *s, const lat_ctype_t *t, const lat_ctype_t *v) {
  if ((s->n + 1) * 2 > s->cap) {
    uint32_t nc = s->cap ? s->cap * 2 : 64;
    const lat_ctype_t **k = nc > s->cap ? lat_calloc(nc, sizeof *k) : NULL;
    const lat_ctype_t **w = k ? lat_calloc(nc, sizeof *w) : NULL;
    if (!w) {
      lat_free(k);
      s->oom = true;
      return;
    }
    for (uint32_t i = 0; i < s->cap; i++) {
      if (!s->key[i]) continue;
      uint32_t h = ptr_hash(s->key[i], nc - 1);
      while (k[h]) h = (h + 1) & (nc - 1);
      k[h] = s->key[i];
      w[h] = s->val[i];
    }
    lat_free(s->key);
    lat_free(s->val);
    s->key = k;
    s->val = w;
    s->cap = nc;
  }
  uint32_t h = ptr_hash(t, s->cap - 1);
  while (s->key[h]) h = (h + 1) & (s->cap - 1);
  s->key[h] = t;
  s->val[h] = v;
  s->n++;
}

static const lat__npair_t *nmap_find(const lat__nmap_t *m, uint32_t nid) {
  uint32_t lo = 0, hi = m->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m->v[mid].nid < nid) lo = mid + 1;
    else hi = mid;
  }
  return lo < m->n && m->v[lo].nid == nid ? &m->v[lo] : NULL;
}

/* t rewritten, or NULL on out of memory. */
static const lat_ctype_t *sub(subst_t *s, const lat_ctype_t *t) {
  if (!t) return t;
  bool res = s->rm && s->rm->n && t->has_resource;
  bool nom = s->nm && s->nm->n && t->nid && (t->has_nominal || t->has_resource);
  if (!res && !(s->nm && s->nm->n && (t->has_nominal || t->has_resource)))
    return t;
  if (t->kind == LAT_CT_RESOURCE) {
    const lat_ctype_t *to = res ? lat__rmap_get(s->rm, t) : NULL;
    return to ? to : t;
  }
  const lat__npair_t *np = nom ? nmap_find(s->nm, t->nid) : NULL;
  if (np && lat__ctype_is_nominal(t) && np->to && np->to->kind == t->kind)
    return np->to; /* an imported type: the argument supplied for it */
  const lat_ctype_t *done_t = memo_get(s, t);
  if (done_t) return done_t;
  if (np && (t->kind == LAT_CT_OWN || t->kind == LAT_CT_BORROW) && np->to &&
      np->to->kind == LAT_CT_RESOURCE) {
    /* a handle written with an imported resource: the argument's */
    lat_ctype_t *h = lat__ctype_new(s->a, t->kind);
    if (!h) return NULL;
    *h = *t;
    h->u.elem = np->to;
    h->nid = np->to_nid;
    memo_put(s, t, h);
    return s->oom ? NULL : h;
  }
  uint32_t nc = nchildren(t);
  /* find whether anything changes first, to share unchanged subtrees (the
   * children's results are memoized, so building below does not redo them) */
  bool changed = false;
  for (uint32_t i = 0; i < nc && !changed; i++) {
    const lat_ctype_t *c = child(t, i), *r = sub(s, c);
    if (c && !r) return NULL;
    changed = r != c;
  }
  bool renames = s->nm && s->nm->n &&
                 (t->kind == LAT_CT_INSTANCE || t->kind == LAT_CT_COMPONENT);
  for (uint32_t i = 0; renames && i < t->n && !changed; i++)
    changed = t->u.decls[i].nid && nmap_find(s->nm, t->u.decls[i].nid);
  if (!changed) {
    memo_put(s, t, t);
    return s->oom ? NULL : t;
  }
  lat_ctype_t *n = lat__ctype_new(s->a, t->kind);
  if (!n) return NULL;
  *n = *t;
  switch (t->kind) {
  case LAT_CT_LIST:
  case LAT_CT_OPTION:
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    if (!(n->u.elem = sub(s, t->u.elem))) return NULL;
    break;
  case LAT_CT_RESULT:
    n->u.result.ok = sub(s, t->u.result.ok);
    n->u.result.err = sub(s, t->u.result.err);
    if ((t->u.result.ok && !n->u.result.ok) ||
        (t->u.result.err && !n->u.result.err))
      return NULL;
    break;
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
  case LAT_CT_VARIANT:
  case LAT_CT_FUNC: {
    lat_cfield_t *f = lat_arena_array(s->a, t->n ? t->n : 1, sizeof *f);
    if (!f) return NULL;
    for (uint32_t i = 0; i < t->n; i++) {
      f[i] = t->u.fields[i];
      if (f[i].type && !(f[i].type = sub(s, f[i].type))) return NULL;
    }
    n->u.fields = f;
    if (t->kind == LAT_CT_FUNC && t->result && !(n->result = sub(s, t->result)))
      return NULL;
    break;
  }
  case LAT_CT_INSTANCE:
  case LAT_CT_COMPONENT: {
    lat_cextern_t *d = lat_arena_array(s->a, t->n ? t->n : 1, sizeof *d);
    if (!d) return NULL;
    for (uint32_t i = 0; i < t->n; i++) {
      d[i] = t->u.decls[i];
      if (d[i].type && !(d[i].type = sub(s, d[i].type))) return NULL;
      const lat__npair_t *dp = renames && d[i].nid ? nmap_find(s->nm, d[i].nid) : NULL;
      if (dp) d[i].nid = dp->to_nid;
    }
    n->u.decls = d;
    break;
  }
  default:
    break;
  }
  /* layout is unchanged by substitution; recompute the flags */
  n->has_resource = false;
  for (uint32_t i = 0; i < nc; i++) {
    const lat_ctype_t *c = child(n, i);
    if (c && c->has_resource) n->has_resource = true;
  }
  memo_put(s, t, n);
  return s->oom ? NULL : n;
}

static int npair_cmp(const void *a, const void *b) {
  uint32_t x = ((const lat__npair_t *)a)->nid, y = ((const lat__npair_t *)b)->nid;
  return x < y ? -1 : x > y;
}

void lat__nmap_fini(lat__nmap_t *m) {
  if (!m) return;
  lat_free(m->v);
  memset(m, 0, sizeof *m);
}

lat_status lat__nmap_add(lat__nmap_t *m, uint32_t nid, const lat_ctype_t *to,
                         uint32_t to_nid) {
  if (m->n == m->cap) {
    uint32_t cap = m->cap ? m->cap * 2 : 8;
    size_t bytes;
    if (cap < m->cap || !lat_mul_size(cap, sizeof *m->v, &bytes)) return LAT_ENOMEM;
    lat__npair_t *v = lat_realloc(m->v, bytes);
    if (!v) return LAT_ENOMEM;
    m->v = v;
    m->cap = cap;
  }
  m->v[m->n++] = (lat__npair_t){nid, to, to_nid};
  m->sorted = false;
  return LAT_OK;
}

const lat_ctype_t *lat__ctype_subst_names(lat_arena_t *a, const lat_ctype_t *t,
                                          const lat__rmap_t *m, lat__nmap_t *nm) {
  bool res = m && m->n && t && t->has_resource;
  bool nom = nm && nm->n && t && (t->has_nominal || t->has_resource);
  if (!res && !nom) return t;
  if (nom && !nm->sorted) {
    qsort(nm->v, nm->n, sizeof *nm->v, npair_cmp);
    nm->sorted = true;
  }
  subst_t s = {.a = a, .rm = m, .nm = nom ? nm : NULL};
  const lat_ctype_t *r = sub(&s, t);
  lat_free(s.key);
  lat_free(s.val);
  return r;
}

const lat_ctype_t *lat__ctype_subst(lat_arena_t *a, const lat_ctype_t *t,
                                    const lat__rmap_t *m) {
  return lat__ctype_subst_names(a, t, m, NULL);
}

/* Maps every `(sub resource)` export of t, and of instances it exports,
 * to a fresh resource (once per resource: two exports of one resource stay
 * one type). */
static bool fresh_walk(lat_arena_t *a, const lat_ctype_t *t, lat__rmap_t *m,
                       uint32_t from) {
  for (uint32_t i = from; i < t->n; i++) {
    const lat_cextern_t *d = &t->u.decls[i];
    if (d->sort == LAT_CSORT_TYPE && d->sub_resource &&
        !lat__rmap_get(m, d->type)) {
      lat_ctype_t *r = lat__ctype_new(a, LAT_CT_RESOURCE);
      if (!r) return false;
      r->res_name = d->type->res_name ? d->type->res_name : d->name.full;
      r->has_resource = true;
      r->depth = 1;
      r->tsize = 1;
      if (lat__rmap_add(m, d->type, r)) return false;
    } else if (d->sort == LAT_CSORT_INSTANCE && d->type &&
               d->type->kind == LAT_CT_INSTANCE) {
      if (!fresh_walk(a, d->type, m, 0)) return false;
    }
  }
  return true;
}

const lat_ctype_t *lat__ctype_fresh_exports_names(lat_arena_t *a,
                                                  const lat_ctype_t *t,
                                                  lat__rmap_t *m, lat__nmap_t *nm) {
  if (!t || (t->kind != LAT_CT_INSTANCE && t->kind != LAT_CT_COMPONENT))
    return t;
  if (!fresh_walk(a, t, m, t->kind == LAT_CT_COMPONENT ? t->nimports : 0))
    return NULL;
  return lat__ctype_subst_names(a, t, m, nm);
}

const lat_ctype_t *lat__ctype_fresh_exports(lat_arena_t *a, const lat_ctype_t *t,
                                            lat__rmap_t *m) {
  return lat__ctype_fresh_exports_names(a, t, m, NULL);
}

/* ---- printing ------------------------------------------------------------------------- */

static lat_status print(const lat_ctype_t *t, lat_buf_t *o);

static lat_status print_list(const lat_ctype_t *t, lat_buf_t *o, const char *open,
                             const char *close) {
  lat_status st = lat_buf_printf(o, "%s", open);
  for (uint32_t i = 0; i < t->n && !st; i++) {
    if (i) st = lat_buf_printf(o, ", ");
    if (!st && t->u.fields[i].name && t->kind != LAT_CT_TUPLE)
      st = lat_buf_printf(o, "%s%s", t->u.fields[i].name,
                          t->u.fields[i].type ? (t->kind == LAT_CT_VARIANT ? "(" : ": ") : "");
    if (!st && t->u.fields[i].type) st = print(t->u.fields[i].type, o);
    if (!st && t->kind == LAT_CT_VARIANT && t->u.fields[i].type)
      st = lat_buf_printf(o, ")");
  }
  if (!st) st = lat_buf_printf(o, "%s", close);
  return st;
}

static lat_status print(const lat_ctype_t *t, lat_buf_t *o) {
  if (!t) return lat_buf_printf(o, "_");
  lat_status st;
  switch (t->kind) {
  case LAT_CT_LIST:
  case LAT_CT_OPTION:
    if ((st = lat_buf_printf(o, "%s<", kind_names[t->kind]))) return st;
    if ((st = print(t->u.elem, o))) return st;
    return lat_buf_printf(o, ">");
  case LAT_CT_OWN:
    return lat_buf_printf(o, "%s", t->u.elem && t->u.elem->res_name
                                       ? t->u.elem->res_name : "own<?>");
  case LAT_CT_BORROW:
    return lat_buf_printf(o, "borrow<%s>", t->u.elem && t->u.elem->res_name
                                               ? t->u.elem->res_name : "?");
  case LAT_CT_RESOURCE:
    return lat_buf_printf(o, "resource %s", t->res_name ? t->res_name : "?");
  case LAT_CT_RESULT:
    if (!t->u.result.ok && !t->u.result.err) return lat_buf_printf(o, "result");
    if ((st = lat_buf_printf(o, "result<"))) return st;
    if ((st = print(t->u.result.ok, o))) return st;
    if (t->u.result.err) {
      if ((st = lat_buf_printf(o, ", "))) return st;
      if ((st = print(t->u.result.err, o))) return st;
    }
    return lat_buf_printf(o, ">");
  case LAT_CT_TUPLE:
    return print_list(t, o, "tuple<", ">");
  case LAT_CT_RECORD:
    return print_list(t, o, "record { ", " }");
  case LAT_CT_VARIANT:
    return print_list(t, o, "variant { ", " }");
  case LAT_CT_FLAGS:
  case LAT_CT_ENUM:
    if ((st = lat_buf_printf(o, "%s { ", kind_names[t->kind]))) return st;
    for (uint32_t i = 0; i < t->n; i++)
      if ((st = lat_buf_printf(o, "%s%s", i ? ", " : "", t->u.labels[i])))
        return st;
    return lat_buf_printf(o, " }");
  case LAT_CT_FUNC:
    if ((st = print_list(t, o, "func(", ")"))) return st;
    if (t->result) {
      if ((st = lat_buf_printf(o, " -> "))) return st;
      return print(t->result, o);
    }
    return LAT_OK;
  case LAT_CT_INSTANCE:
  case LAT_CT_COMPONENT:
    if ((st = lat_buf_printf(o, "%s {", kind_names[t->kind]))) return st;
    for (uint32_t i = 0; i < t->n; i++) {
      const lat_cextern_t *d = &t->u.decls[i];
      bool imp = t->kind == LAT_CT_COMPONENT && i < t->nimports;
      if ((st = lat_buf_printf(o, " %s %s: ", imp ? "import" : "export",
                               d->name.full)))
        return st;
      if (d->sort == LAT_CSORT_TYPE && d->sub_resource)
        st = lat_buf_printf(o, "resource");
      else
        st = print(d->type, o);
      if (st || (st = lat_buf_printf(o, ";"))) return st;
    }
    return lat_buf_printf(o, " }");
  case LAT_CT_MODULE:
    return lat_buf_printf(o, "core module");
  default:
    return lat_buf_printf(o, "%s", lat_ctype_kind_name(t->kind));
  }
}

lat_status lat_ctype_print(const lat_ctype_t *t, lat_buf_t *out) {
  lat_status st = print(t, out);
  if (!st) st = lat_buf_push(out, 0);
  if (!st) out->len--;
  return st;
}
