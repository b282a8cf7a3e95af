/* component_instance.c: component instantiation and linking.
 *
 * Approach: the decoder left, per component definition, the ordered list of
 * definitions (lat__def_t) and the static index spaces (types).  An
 * instantiation replays that list once, filling a run-time index space per
 * sort (ent_t): component functions (lat_cfunc_t), instances, types (the
 * static node plus, for resources, the run-time lat_cabi_rtype_t), nested
 * component definitions, core externs, core modules and core instances.
 * Nested component instances are replayed the same way with their
 * instantiation arguments as imports; the root's imports come from the
 * linker.
 *
 * Resources: static resource nodes are per definition site, run-time types
 * are per instance.  Every component instance keeps a map static -> run-time
 * (rtype_of for the canonical ABI), filled when a resource is defined
 * (`(type (resource ...))`: a fresh run-time type whose impl is this
 * instance), imported (the subtype check binds the import's resources to
 * the provider's: static -> provider static -> provider run-time), aliased,
 * or produced by a nested instantiation (its exported resources).
 *
 * Calls: a lowered function is a core host function whose env knows the
 * caller's instance, the caller's static function type and options, and the
 * target.  It lifts the flat arguments in the caller's context, calls the
 * target (host C function, or a lifted function of another instance:
 * lat_cfunc_call lowers into that callee's memory), then lowers the result
 * back.  So component-to-component calls go through component values, which
 * is slower than fused adapters but needs no code generation; the hot path
 * for WASI (guest -> host) lifts straight into host values.
 *
 * Repeated instantiation: lat_cpre_t (a pre-linked plan) does the root's
 * import matching and type checks, and the host-function lookups, once;
 * an instantiation from it only replays the definitions that make run-time
 * objects, and finds what it looks up by name at the position the first
 * instantiation found it (the lookup memo, below).  Core modules are decoded and translated once per component
 * (their translated code is shared by every instance); what remains per
 * instance is the engine's memories, tables and globals, the handle
 * tables, and one host function object per `canon lower`.
 *
 * Ownership: everything an instance allocates lives in the root's arena
 * (freed by lat_cinstance_free) except the per-instance handle tables (a
 * list of lat_cabi_instance_t freed with it) and the core objects, owned by
 * the store.
 *
 * Rejected: resolving imports by position only (names + versions are the
 * contract; the linker may hold interfaces the component does not use);
 * copying the static types per instance (they are immutable and shared).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "component_int.h"

#define NONE UINT32_MAX

/* ---- the linker ------------------------------------------------------------------- */

typedef struct {
  const char *name;
  lat_chost_fn fn;
  void *env;
} hfunc_t;

typedef struct {
  char *name;
  lat_cname_t cname;
  const lat_ctype_t *type;
  hfunc_t *funcs;
  uint32_t nfuncs, capfuncs;
} hinst_t;

typedef struct {
  const lat_ctype_t *node;
  lat_chost_dtor_fn dtor;
  void *env;
} hres_t;

struct lat_clinker {
  lat_arena_t arena;
  hinst_t *inst;
  uint32_t ninst, capinst;
  hres_t *res;
  uint32_t nres, capres;
};

static lat_status grow(void **v, uint32_t *cap, uint32_t n, size_t sz) {
  if (n < *cap) return LAT_OK;
  uint32_t nc = *cap ? *cap * 2 : 8;
  void *p = lat_realloc(*v, (size_t)nc * sz);
  if (!p) return LAT_ENOMEM;
  *v = p;
  *cap = nc;
  return LAT_OK;
}

lat_status lat_clinker_new(lat_clinker_t **out) {
  lat_clinker_t *l = lat_calloc(1, sizeof *l);
  if (!l) return LAT_ENOMEM;
  lat_arena_init(&l->arena);
  *out = l;
  return LAT_OK;
}

void lat_clinker_free(lat_clinker_t *l) {
  if (!l) return;
  for (uint32_t i = 0; i < l->ninst; i++) lat_free(l->inst[i].funcs);
  lat_free(l->inst);
  lat_free(l->res);
  lat_arena_fini(&l->arena);
  lat_free(l);
}

lat_arena_t *lat_clinker_arena(lat_clinker_t *l) { return &l->arena; }

lat_status lat_clinker_resource(lat_clinker_t *l, const char *name,
                                const lat_ctype_t **out, uint32_t *out_id) {
  lat_ctype_builder_t b = {&l->arena, NULL};
  const lat_ctype_t *t = lat_ctype_resource(&b, name);
  if (!t || grow((void **)&l->res, &l->capres, l->nres, sizeof *l->res))
    return LAT_ENOMEM;
  l->res[l->nres] = (hres_t){t, NULL, NULL};
  *out_id = l->nres++;
  *out = t;
  return LAT_OK;
}

lat_status lat_clinker_resource_dtor(lat_clinker_t *l, uint32_t id,
                                     lat_chost_dtor_fn dtor, void *env) {
  if (id >= l->nres) return LAT_EARG;
  l->res[id].dtor = dtor;
  l->res[id].env = env;
  return LAT_OK;
}

const lat_ctype_t *lat_clinker_resource_type(const lat_clinker_t *l,
                                             uint32_t id) {
  return id < l->nres ? l->res[id].node : NULL;
}

lat_status lat_clinker_instance(lat_clinker_t *l, const char *name,
                                const lat_ctype_t *type, uint32_t *out_index,
                                lat_error_t *err) {
  if (!type || type->kind != LAT_CT_INSTANCE)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "`%s`: not an instance type", name);
  size_t n = strlen(name);
  char *copy = lat_arena_alloc(&l->arena, n + 1);
  if (!copy || grow((void **)&l->inst, &l->capinst, l->ninst, sizeof *l->inst))
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  memcpy(copy, name, n + 1);
  hinst_t *h = &l->inst[l->ninst];
  memset(h, 0, sizeof *h);
  lat_status st = lat_cname_parse(copy, n, &l->arena, &h->cname, err);
  if (st) return st;
  h->name = copy;
  h->type = type;
  if (out_index) *out_index = l->ninst;
  l->ninst++;
  return LAT_OK;
}

uint32_t lat_clinker_find(const lat_clinker_t *l, const char *name) {
  for (uint32_t i = 0; i < l->ninst; i++)
    if (!strcmp(l->inst[i].name, name)) return i;
  return NONE;
}

const lat_ctype_t *lat_clinker_instance_type(const lat_clinker_t *l,
                                             uint32_t index) {
  return index < l->ninst ? l->inst[index].type : NULL;
}

lat_status lat_clinker_func(lat_clinker_t *l, uint32_t index, const char *name,
                            lat_chost_fn fn, void *env, lat_error_t *err) {
  if (index >= l->ninst)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "no host instance %u", index);
  hinst_t *h = &l->inst[index];
  const lat_cextern_t *d = NULL;
  for (uint32_t i = 0; i < h->type->n && !d; i++)
    if (!strcmp(h->type->u.decls[i].name.full, name)) d = &h->type->u.decls[i];
  if (!d || d->sort != LAT_CSORT_FUNC)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "`%s` has no function `%s`",
                         h->name, name);
  if (grow((void **)&h->funcs, &h->capfuncs, h->nfuncs, sizeof *h->funcs))
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  h->funcs[h->nfuncs++] = (hfunc_t){d->name.full, fn, env};
  return LAT_OK;
}

static const hfunc_t *hinst_func(const hinst_t *h, const char *name) {
  for (uint32_t i = 0; i < h->nfuncs; i++)
    if (!strcmp(h->funcs[i].name, name)) return &h->funcs[i];
  return NULL;
}

/* ---- run-time values ---------------------------------------------------------------- */

typedef struct cinst cinst_t;
typedef struct core_inst core_inst_t;

typedef union {
  lat_cfunc_t *func;
  cinst_t *inst;
  struct {
    const lat_ctype_t *st;        /* static node */
    const lat_cabi_rtype_t *rt;   /* resources: the run-time type */
  } type;
  struct {
    const lat_component_t *c;
    lat_cinstance_t *outer;       /* the instance it was defined in */
  } comp;
  lat_wasm_extern_t core;
  lat_wasm_module_t *module;
  core_inst_t *cinst;
} ent_t;

/* A component instance value: named exports, or a host instance. */
struct cinst {
  uint32_t n, cap;
  const char **names;
  uint8_t *sorts;
  ent_t *v;
  uint32_t host;               /* linker instance, or NONE */
  const lat_ctype_t *itype;    /* host: the importer's declared type */
};

struct core_inst {
  lat_wasm_instance_t *wi;     /* instantiated, or NULL for inline */
  uint32_t n;
  const char *const *names;
  lat_wasm_extern_t *ex;
};

enum { CF_HOST = 1, CF_LIFTED, CF_STUB };

struct lat_cfunc {
  uint8_t kind;
  const lat_ctype_t *type;     /* in the defining instance's static types */
  lat_cinstance_t *ci;         /* LIFTED: defining instance; HOST: root */
  /* LIFTED */
  lat_wasm_func_t *core;
  lat_cabi_encoding_t enc;
  lat_wasm_memory_t *mem;
  lat_wasm_func_t *realloc;
  lat_wasm_func_t *post_return;
  /* HOST */
  lat_chost_fn fn;
  void *env;
  const char *name;            /* for messages */
};

typedef struct {
  const lat_ctype_t *st;
  const lat_cabi_rtype_t *rt;
} rpair_t;

/* Per-instantiation run-time type of a host resource. */
typedef struct {
  lat_cabi_rtype_t rt;
  lat_cinstance_t *root;
  uint32_t id;
} hrt_t;

/* Positions found by an instantiation's name lookups, in replay order. */
typedef struct {
  uint32_t n;
  uint32_t v[];
} memo_t;

typedef struct cabi_node {
  lat_cabi_instance_t *cabi;
  struct cabi_node *next;
} cabi_node_t;

struct lat_cinstance {
  lat_cinstance_t *root;
  lat_cinstance_t *outer;        /* instance the component was defined in */
  const lat_component_t *c;
  lat_cabi_instance_t *cabi;
  ent_t *sp[LAT_CSORT_COUNT];
  rpair_t *map;                  /* static resource -> run-time type */
  uint32_t nmap, capmap;
  cinst_t exports;
  /* root only */
  lat_arena_t arena;
  lat_wasm_store_t *store;
  const lat_clinker_t *l;
  void *data;
  hrt_t *hrt;                    /* one per linker resource */
  cabi_node_t *cabis;
  const lat_cpre_t *pre;         /* root: the plan, or NULL */
  /* root: the lookup memo (below): the plan's, read from memo_pos on, or
   * recorded here when the plan has none yet */
  const memo_t *memo;
  uint32_t memo_pos;
  uint32_t *rec;
  uint32_t nrec, caprec;
  bool recording;
};

/* The pre-linked plan: per root import, the host instance and the
 * resources it binds (static -> host resource id); per root definition that
 * aliases a function of a host import, the host function. */
typedef struct {
  const lat_ctype_t *st;
  uint32_t id;
} pres_t;

typedef struct {
  uint32_t host;           /* linker instance */
  pres_t *res;
  uint32_t nres;
} pimport_t;

struct lat_cpre {
  const lat_component_t *c;
  const lat_clinker_t *l;
  pimport_t *imports;      /* by import number */
  const hfunc_t **alias;   /* by definition index; NULL: not cached */
  bool *alias_known;
  lat_arena_t arena;
  /* the lookup memo: NULL until the first instantiation publishes it
   * (compare-and-swap), then never changed; freed with the plan.  The only
   * field written after lat_cpre_new: a cache, not part of the plan. */
  _Atomic(memo_t *) memo;
};

/* Arguments of a nested instantiation (or NULL for the root). */
typedef struct {
  lat_cinstance_t *from;         /* the instantiating instance */
  const lat__arg_t *args;
  uint32_t n;
} iargs_t;

static lat_arena_t *A(lat_cinstance_t *ci) { return &ci->root->arena; }

static lat_status oom(lat_error_t *err) {
  return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
}

static void *aalloc(lat_cinstance_t *ci, size_t count, size_t size) {
  return lat_arena_array(A(ci), count ? count : 1, size);
}

/* ---- the resource map --------------------------------------------------------------- */

static lat_status map_add(lat_cinstance_t *ci, const lat_ctype_t *st,
                          const lat_cabi_rtype_t *rt) {
  if (!st || !rt) return LAT_OK;
  for (uint32_t i = 0; i < ci->nmap; i++)
    if (ci->map[i].st == st) {
      ci->map[i].rt = rt;
      return LAT_OK;
    }
  if (ci->nmap == ci->capmap) {
    uint32_t nc = ci->capmap ? ci->capmap * 2 : 16;
    rpair_t *v = aalloc(ci, nc, sizeof *v);
    if (!v) return LAT_ENOMEM;
    if (ci->nmap) memcpy(v, ci->map, ci->nmap * sizeof *v);
    ci->map = v;
    ci->capmap = nc;
  }
  ci->map[ci->nmap++] = (rpair_t){st, rt};
  return LAT_OK;
}

static const lat_cabi_rtype_t *map_get(const lat_cinstance_t *ci,
                                       const lat_ctype_t *st) {
  for (; ci; ci = ci->outer)
    for (uint32_t i = 0; i < ci->nmap; i++)
      if (ci->map[i].st == st) return ci->map[i].rt;
  return NULL;
}

static const lat_cabi_rtype_t *rtype_of(void *ctx, const lat_ctype_t *res) {
  return map_get(ctx, res);
}

/* Host static node -> this instantiation's run-time type. */
static const lat_cabi_rtype_t *host_rt(lat_cinstance_t *root,
                                       const lat_ctype_t *node) {
  const lat_clinker_t *l = root->l;
  if (!root->hrt) return NULL;
  for (uint32_t i = 0; l && i < l->nres; i++)
    if (l->res[i].node == node) return &root->hrt[i].rt;
  return NULL;
}

/* ---- guest memory for the canonical ABI ---------------------------------------------- */

typedef struct {
  lat_cabi_memory_t m;
  lat_wasm_store_t *s;
  lat_wasm_memory_t *mem;
  lat_wasm_func_t *realloc;
} cmem_t;

static void cmem_refresh(cmem_t *c) {
  c->m.base = lat_wasm_memory_data(c->mem);
  c->m.size = lat_wasm_memory_size(c->mem);
}

static lat_status cmem_realloc(lat_cabi_memory_t *m, uint32_t old_ptr,
                               uint32_t old_size, uint32_t align,
                               uint32_t new_size, uint32_t *out_ptr,
                               lat_error_t *err) {
  cmem_t *c = m->ctx;
  lat_wasm_val_t a[4] = {{.type = LAT_I32, .of.i32 = old_ptr},
                         {.type = LAT_I32, .of.i32 = old_size},
                         {.type = LAT_I32, .of.i32 = align},
                         {.type = LAT_I32, .of.i32 = new_size}};
  lat_wasm_val_t r;
  lat_status st = lat_wasm_func_call(c->s, c->realloc, a, 4, &r, 1, err);
  cmem_refresh(c);
  if (st) return st;
  *out_ptr = r.of.i32;
  return LAT_OK;
}

static lat_cabi_memory_t *cmem_init(cmem_t *c, lat_wasm_store_t *s,
                                    lat_wasm_memory_t *mem,
                                    lat_wasm_func_t *realloc) {
  if (!mem) return NULL;
  memset(c, 0, sizeof *c);
  c->s = s;
  c->mem = mem;
  c->realloc = realloc;
  c->m.ctx = c;
  c->m.realloc_fn = realloc ? cmem_realloc : NULL;
  cmem_refresh(c);
  return &c->m;
}

/* ---- calls -------------------------------------------------------------------------- */

struct lat_chost_call {
  lat_cinstance_t *root;
  lat_wasm_caller_t *caller;   /* NULL when the host called the host */
  lat_arena_t *arena;
  lat_error_t *err;
};

void *lat_chost_call_data(const lat_chost_call_t *c) { return c->root->data; }
lat_arena_t *lat_chost_call_arena(lat_chost_call_t *c) { return c->arena; }
lat_wasm_store_t *lat_chost_call_store(const lat_chost_call_t *c) {
  return c->root->store;
}
const lat_cabi_rtype_t *lat_chost_call_rtype(const lat_chost_call_t *c,
                                             uint32_t id) {
  const lat_clinker_t *l = c->root->l;
  return l && id < l->nres ? &c->root->hrt[id].rt : NULL;
}

lat_status lat_chost_call_trap(lat_chost_call_t *c, lat_wasm_trap_t trap,
                               int code, const char *fmt, ...) {
  char msg[200];
  msg[0] = 0;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
  }
  lat_error_set(c->err, LAT_TRAP, SIZE_MAX, "%s", msg[0] ? msg : lat_wasm_trap_message(trap));
  if (c->caller) lat_wasm_caller_trap(c->caller, trap, code, msg[0] ? msg : NULL);
  return LAT_TRAP;
}

const lat_ctype_t *lat_cfunc_type(const lat_cfunc_t *f) { return f->type; }

static lat_status call_func(lat_cinstance_t *caller_ci, lat_wasm_caller_t *wc,
                            lat_cfunc_t *f, const lat_cval_t *args,
                            uint32_t nargs, lat_cval_t *out, lat_arena_t *arena,
                            lat_error_t *err);

static lat_status call_lifted(lat_cabi_instance_t *caller_cabi, lat_cfunc_t *f,
                              const lat_cval_t *args, uint32_t nargs,
                              lat_cval_t *out, lat_arena_t *arena,
                              lat_error_t *err) {
  lat_cinstance_t *ci = f->ci;
  lat_wasm_store_t *s = ci->root->store;
  const lat_ctype_t *ft = f->type;
  if (nargs != ft->n)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "%u arguments given, %u expected",
                         nargs, ft->n);
  lat_status st = lat_cabi_instance_enter(ci->cabi, caller_cabi, err);
  if (st) return st;
  cmem_t cm;
  lat_cabi_call_t call;
  lat_cabi_call_init(&call);
  lat_cabi_cx_t cx = {.encoding = f->enc,
                      .memory = cmem_init(&cm, s, f->mem, f->realloc),
                      .inst = ci->cabi,
                      .call = &call,
                      .rtype_of = rtype_of,
                      .rtype_ctx = ci,
                      .arena = arena,
                      .arena_start = arena->total};
  const lat_ctype_t *pt[LAT_CABI_MAX_FLAT_PARAMS + 1];
  const lat_ctype_t **ts = pt;
  if (ft->n > LAT_CABI_MAX_FLAT_PARAMS + 1 &&
      !(ts = lat_arena_array(arena, ft->n, sizeof *ts))) {
    st = oom(err);
    goto leave;
  }
  for (uint32_t i = 0; i < ft->n; i++) ts[i] = ft->u.fields[i].type;
  lat_wasm_val_t flat[LAT_CABI_MAX_FLAT_PARAMS + 1], res[1];
  uint32_t nflat = 0;
  if ((st = lat_cabi_lower_values(&cx, LAT_CABI_MAX_FLAT_PARAMS, args, ts, ft->n,
                                  NULL, flat, LAT_CABI_MAX_FLAT_PARAMS + 1, &nflat,
                                  err)))
    goto leave;
  const lat_wasm_functype_t *ct = lat_wasm_func_type(f->core);
  uint32_t nres = ct->nresults;
  if ((st = lat_wasm_func_call(s, f->core, flat, nflat, res, nres, err))) goto leave;
  if (ft->result) {
    const lat_ctype_t *rt1 = ft->result;
    if ((st = lat_cabi_lift_values(&cx, LAT_CABI_MAX_FLAT_RESULTS, res, nres, &rt1,
                                   1, out, err)))
      goto leave;
  }
  if (f->post_return) {
    lat_cabi_instance_set_may_leave(ci->cabi, false);
    lat_wasm_val_t none[1];
    st = lat_wasm_func_call(s, f->post_return, res, nres, none, 0, err);
    lat_cabi_instance_set_may_leave(ci->cabi, true);
    if (st) goto leave;
  }
  st = lat_cabi_call_check_return(&call, err);
leave:
  lat_cabi_call_finish(&call);
  lat_cabi_call_fini(&call);
  lat_cabi_instance_leave(ci->cabi, caller_cabi);
  return st;
}

static lat_status call_func(lat_cinstance_t *caller_ci, lat_wasm_caller_t *wc,
                            lat_cfunc_t *f, const lat_cval_t *args,
                            uint32_t nargs, lat_cval_t *out, lat_arena_t *arena,
                            lat_error_t *err) {
  switch (f->kind) {
  case CF_LIFTED:
    return call_lifted(caller_ci ? caller_ci->cabi : NULL, f, args, nargs, out,
                       arena, err);
  case CF_HOST: {
    lat_chost_call_t hc = {f->ci->root, wc, arena, err};
    lat_status st = f->fn(&hc, f->env, args, nargs, out);
    if (st == LAT_TRAP && err && err->code != LAT_TRAP)
      lat_error_set(err, LAT_TRAP, SIZE_MAX, "host function `%s` trapped", f->name);
    return st;
  }
  default: {
    lat_chost_call_t hc = {f->ci->root, wc, arena, err};
    return lat_chost_call_trap(&hc, LAT_TRAP_HOST, 0,
                               "`%s` is not implemented by the host", f->name);
  }
  }
}

lat_status lat_cfunc_call(lat_cinstance_t *ci, lat_cfunc_t *f,
                          const lat_cval_t *args, uint32_t nargs,
                          lat_cval_t *out_result, lat_arena_t *arena,
                          lat_error_t *err) {
  (void)ci;
  return call_func(NULL, NULL, f, args, nargs, out_result, arena, err);
}

/* A lowered function: the core host function behind `canon lower`. */
typedef struct {
  lat_cinstance_t *ci;          /* the caller */
  const lat_ctype_t *ft;        /* caller's static type */
  lat_cfunc_t *target;
  lat_cabi_encoding_t enc;
  lat_wasm_memory_t *mem;
  lat_wasm_func_t *realloc;
  const lat_wasm_functype_t *core;
} lower_env_t;

static lat_status wasm_trap(lat_wasm_caller_t *c, lat_status st,
                            const lat_error_t *err) {
  lat_wasm_store_t *s = lat_wasm_caller_store(c);
  if (st == LAT_TRAP && lat_wasm_store_trap(s) != LAT_TRAP_NONE) return LAT_TRAP;
  return lat_wasm_caller_trap(c, LAT_TRAP_HOST, 0, err->msg[0] ? err->msg : lat_status_message(st));
}

static lat_status lowered_call(lat_wasm_caller_t *caller, void *env,
                               uint64_t *slots) {
  lower_env_t *e = env;
  lat_cinstance_t *ci = e->ci;
  lat_wasm_store_t *s = ci->root->store;
  lat_error_t err;
  lat_error_clear(&err);
  if (!lat_cabi_instance_may_leave(ci->cabi))
    return lat_wasm_caller_trap(caller, LAT_TRAP_HOST, 0, "cannot leave component instance");
  const lat_ctype_t *ft = e->ft;
  lat_arena_t arena;
  lat_arena_init(&arena);
  cmem_t cm;
  lat_cabi_call_t call;
  lat_cabi_call_init(&call);
  lat_cabi_cx_t cx = {.encoding = e->enc,
                      .memory = cmem_init(&cm, s, e->mem, e->realloc),
                      .inst = ci->cabi,
                      .call = &call,
                      .rtype_of = rtype_of,
                      .rtype_ctx = ci,
                      .arena = &arena,
                      .arena_start = 0};
  lat_status st;
  lat_wasm_val_t flat[LAT_CABI_MAX_FLAT_PARAMS + 1];
  uint32_t np = e->core->nparams;
  for (uint32_t i = 0; i < np && i <= LAT_CABI_MAX_FLAT_PARAMS; i++) {
    flat[i].type = e->core->params[i];
    switch (flat[i].type) {
    case LAT_I32: flat[i].of.i32 = (uint32_t)slots[i]; break;
    case LAT_F32: flat[i].of.f32 = (uint32_t)slots[i]; break;
    default: flat[i].of.i64 = slots[i]; break;
    }
  }
  bool outp = ft->result && ft->result->nflat > LAT_CABI_MAX_FLAT_RESULTS;
  uint32_t nflat = np - (outp ? 1 : 0);
  const lat_ctype_t **ts = lat_arena_array(&arena, ft->n ? ft->n : 1, sizeof *ts);
  lat_cval_t *args = lat_arena_array(&arena, ft->n ? ft->n : 1, sizeof *args);
  lat_cval_t res;
  memset(&res, 0, sizeof res);
  if (!ts || !args) {
    st = oom(&err);
    goto out;
  }
  for (uint32_t i = 0; i < ft->n; i++) ts[i] = ft->u.fields[i].type;
  if ((st = lat_cabi_lift_values(&cx, LAT_CABI_MAX_FLAT_PARAMS, flat, nflat, ts,
                                 ft->n, args, &err)))
    goto out;
  if ((st = call_func(ci, caller, e->target, args, ft->n, &res, &arena, &err)))
    goto out;
  if (ft->result) {
    /* memory may have grown meanwhile */
    if (cx.memory) cmem_refresh(&cm);
    uint32_t op = outp ? (uint32_t)slots[np - 1] : 0, nout = 0;
    lat_wasm_val_t o[1];
    const lat_ctype_t *rt1 = ft->result;
    if ((st = lat_cabi_lower_values(&cx, LAT_CABI_MAX_FLAT_RESULTS, &res, &rt1, 1,
                                    outp ? &op : NULL, o, 1, &nout, &err)))
      goto out;
    if (nout == 1) {
      switch (o[0].type) {
      case LAT_I32: slots[0] = o[0].of.i32; break;
      case LAT_F32: slots[0] = o[0].of.f32; break;
      default: slots[0] = o[0].of.i64; break;
      }
    }
  }
out:
  lat_cabi_call_finish(&call);
  lat_cabi_call_fini(&call);
  lat_arena_fini(&arena);
  if (st) return wasm_trap(caller, st, &err);
  return LAT_OK;
}

/* resource.new / drop / rep */
typedef struct {
  lat_cinstance_t *ci;
  const lat_cabi_rtype_t *rt;
  uint8_t op; /* LAT__DEF_RESOURCE_* */
} res_env_t;

static lat_status resource_builtin(lat_wasm_caller_t *caller, void *env,
                                   uint64_t *slots) {
  res_env_t *e = env;
  lat_error_t err;
  lat_error_clear(&err);
  uint32_t v = (uint32_t)slots[0], out = 0;
  lat_status st;
  switch (e->op) {
  case LAT__DEF_RESOURCE_NEW:
    st = lat_cabi_resource_new(e->ci->cabi, e->rt, v, &out, &err);
    break;
  case LAT__DEF_RESOURCE_REP:
    st = lat_cabi_resource_rep(e->ci->cabi, e->rt, v, &out, &err);
    break;
  default:
    st = lat_cabi_resource_drop(e->ci->cabi, e->rt, v, &err);
    break;
  }
  if (st) return wasm_trap(caller, st, &err);
  slots[0] = out;
  return LAT_OK;
}

/* Destructor of a guest-defined resource: its core function. */
typedef struct {
  lat_cabi_rtype_t rt;
  lat_cinstance_t *ci;
  lat_wasm_func_t *dtor;
} grt_t;

static lat_status guest_dtor(void *ctx, uint32_t rep, lat_error_t *err) {
  grt_t *g = ctx;
  lat_wasm_val_t a = {.type = LAT_I32, .of.i32 = rep};
  return lat_wasm_func_call(g->ci->root->store, g->dtor, &a, 1, NULL, 0, err);
}

static lat_status host_dtor(void *ctx, uint32_t rep, lat_error_t *err) {
  (void)err;
  hrt_t *h = ctx;
  const hres_t *r = &h->root->l->res[h->id];
  if (r->dtor) r->dtor(h->root->data, r->env, rep);
  return LAT_OK;
}

/* ---- replay --------------------------------------------------------------------------- */

static lat_status cinst_push(lat_cinstance_t *ci, cinst_t *iv, const char *name,
                             uint8_t sort, ent_t v) {
  if (iv->n == iv->cap) {
    uint32_t nc = iv->cap ? iv->cap * 2 : 8;
    const char **nm = aalloc(ci, nc, sizeof *nm);
    uint8_t *so = aalloc(ci, nc, 1);
    ent_t *vv = aalloc(ci, nc, sizeof *vv);
    if (!nm || !so || !vv) return LAT_ENOMEM;
    if (iv->n) {
      memcpy(nm, iv->names, iv->n * sizeof *nm);
      memcpy(so, iv->sorts, iv->n);
      memcpy(vv, iv->v, iv->n * sizeof *vv);
    }
    iv->names = nm;
    iv->sorts = so;
    iv->v = vv;
    iv->cap = nc;
  }
  iv->names[iv->n] = name;
  iv->sorts[iv->n] = sort;
  iv->v[iv->n] = v;
  iv->n++;
  return LAT_OK;
}

static const lat_ctype_t *static_type(const lat_cinstance_t *ci, uint8_t sort,
                                      uint32_t idx) {
  const lat__space_t *sp = &ci->c->sp[sort];
  return idx < sp->n ? sp->v[idx].type : NULL;
}

/* ---- lookup memo ---------------------------------------------------------------------
 * An instantiation finds things by name: each core import among its
 * argument instance's exports, each alias among an instance's exports, each
 * nested import among the arguments.  For one plan the replay makes the
 * same lookups in the same order, so the first instantiation records the
 * position each one found and publishes the list in the plan; later ones
 * try that position first and check the name there (a wrong hint only
 * costs the scan it would have done anyway).  Every lookup takes exactly
 * one hint and notes exactly one position (NONE when not found), which
 * keeps the list aligned.  Without a plan nothing is recorded. */

static uint32_t memo_hint(lat_cinstance_t *ci) {
  lat_cinstance_t *r = ci->root;
  uint32_t k = r->memo_pos++;
  return r->memo && k < r->memo->n ? r->memo->v[k] : NONE;
}

static void memo_note(lat_cinstance_t *ci, uint32_t pos) {
  lat_cinstance_t *r = ci->root;
  if (!r->recording) return;
  if (r->nrec == r->caprec) {
    uint32_t nc = r->caprec ? r->caprec * 2 : 64;
    uint32_t *v = nc > r->caprec ? lat_realloc(r->rec, (size_t)nc * sizeof *v) : NULL;
    if (!v) { /* no memo this time; the instantiation itself goes on */
      r->recording = false;
      return;
    }
    r->rec = v;
    r->caprec = nc;
  }
  r->rec[r->nrec++] = pos;
}

/* After a successful instantiation: the recorded list becomes the plan's
 * memo, unless another thread published one first. */
static void memo_publish(lat_cinstance_t *r) {
  if (!r->recording || !r->pre) return;
  size_t bytes;
  if (!lat_mul_size(r->nrec, sizeof(uint32_t), &bytes) || bytes > SIZE_MAX - sizeof(memo_t))
    return;
  memo_t *m = lat_malloc(sizeof *m + bytes);
  if (!m) return;
  m->n = r->nrec;
  if (bytes) memcpy(m->v, r->rec, bytes);
  memo_t *none = NULL;
  /* the plan is shared and otherwise immutable; memo is its one cache */
  lat_cpre_t *pre = (lat_cpre_t *)r->pre;
  if (!atomic_compare_exchange_strong(&pre->memo, &none, m)) lat_free(m);
}

/* Position of name (len bytes) among n NUL-terminated names, hint first. */
static uint32_t find_name(const char *const *names, uint32_t n, const char *name,
                          size_t len, uint32_t hint) {
  if (hint < n && strlen(names[hint]) == len && !memcmp(names[hint], name, len))
    return hint;
  for (uint32_t i = 0; i < n; i++)
    if (strlen(names[i]) == len && !memcmp(names[i], name, len)) return i;
  return NONE;
}

/* Finds an export of an instance value; for host instances makes the
 * function value on first use. */
static lat_status inst_get(lat_cinstance_t *ci, cinst_t *iv, const char *name,
                           uint8_t sort, const hfunc_t *const *cached, ent_t *out,
                           lat_error_t *err) {
  uint32_t hint = memo_hint(ci);
  if (iv->host != NONE) {
    const lat_cextern_t *d = NULL;
    uint32_t nd = iv->itype ? iv->itype->n : 0, at = NONE;
    if (hint < nd && !strcmp(iv->itype->u.decls[hint].name.full, name)) at = hint;
    for (uint32_t i = 0; i < nd && at == NONE; i++)
      if (!strcmp(iv->itype->u.decls[i].name.full, name)) at = i;
    memo_note(ci, at);
    if (at != NONE) d = &iv->itype->u.decls[at];
    if (!d || d->sort != sort)
      return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX, "no export `%s`", name);
    if (sort == LAT_CSORT_TYPE) {
      out->type.st = d->type;
      out->type.rt = d->type && d->type->kind == LAT_CT_RESOURCE ? map_get(ci, d->type) : NULL;
      return LAT_OK;
    }
    if (sort != LAT_CSORT_FUNC)
      return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                           "host instance export `%s`: only functions and types", name);
    const hinst_t *h = &ci->root->l->inst[iv->host];
    const hfunc_t *hf = cached ? *cached : hinst_func(h, name);
    lat_cfunc_t *f = aalloc(ci, 1, sizeof *f);
    if (!f) return oom(err);
    f->kind = hf ? CF_HOST : CF_STUB;
    f->type = d->type;
    f->ci = ci->root;
    f->fn = hf ? hf->fn : NULL;
    f->env = hf ? hf->env : NULL;
    f->name = name;
    out->func = f;
    return LAT_OK;
  }
  uint32_t at = NONE;
  if (hint < iv->n && iv->sorts[hint] == sort && !strcmp(iv->names[hint], name)) at = hint;
  for (uint32_t i = 0; i < iv->n && at == NONE; i++)
    if (iv->sorts[i] == sort && !strcmp(iv->names[i], name)) at = i;
  memo_note(ci, at);
  if (at != NONE) {
    *out = iv->v[at];
    return LAT_OK;
  }
  return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX, "instance has no export `%s`", name);
}

/* The export `name` (len bytes) of core instance cv, made in ci. */
static lat_status core_get(lat_cinstance_t *ci, core_inst_t *cv, const char *name,
                           size_t len, lat_wasm_extern_t *out) {
  uint32_t hint = memo_hint(ci), at = NONE;
  if (cv->wi) {
    lat_wasm_export_t ex;
    if (hint != NONE && !lat_wasm_instance_export_nth(cv->wi, hint, &ex, out) &&
        ex.name_len == len && !memcmp(ex.name, name, len))
      at = hint;
    for (uint32_t i = 0; at == NONE && !lat_wasm_instance_export_nth(cv->wi, i, &ex, out); i++)
      if (ex.name_len == len && !memcmp(ex.name, name, len)) at = i;
  } else {
    at = find_name(cv->names, cv->n, name, len, hint);
    if (at != NONE) *out = cv->ex[at];
  }
  memo_note(ci, at);
  return at == NONE ? LAT_ENOTFOUND : LAT_OK;
}

/* Binds the resources of an import: after the subtype check m maps the
 * importer's static resources to the provider's static ones. */
static lat_status bind_from(lat_cinstance_t *ci, const lat__rmap_t *m,
                            uint32_t from, lat_cinstance_t *provider) {
  for (uint32_t i = from; i < m->n; i++) {
    const lat_cabi_rtype_t *rt = provider ? map_get(provider, m->v[i].to)
                                          : host_rt(ci->root, m->v[i].to);
    if (rt && map_add(ci, m->v[i].from, rt)) return LAT_ENOMEM;
  }
  return LAT_OK;
}

static lat_status import_root(lat_cinstance_t *ci, const lat_cextern_t *x,
                              uint32_t num, lat__rmap_t *m, ent_t *out,
                              lat_error_t *err) {
  const lat_clinker_t *l = ci->root->l;
  const lat_cpre_t *pre = ci->root->pre;
  if (pre && pre->imports[num].host != NONE) {
    const pimport_t *pi = &pre->imports[num];
    for (uint32_t i = 0; i < pi->nres; i++)
      if (map_add(ci, pi->res[i].st, &ci->root->hrt[pi->res[i].id].rt)) return oom(err);
    cinst_t *iv = aalloc(ci, 1, sizeof *iv);
    if (!iv) return oom(err);
    iv->host = pi->host;
    iv->itype = x->type;
    out->inst = iv;
    return LAT_OK;
  }
  if (x->sort != LAT_CSORT_INSTANCE)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "import `%s`: the host provides only instances",
                         x->name.full);
  const hinst_t *h = NULL;
  uint32_t hi = NONE;
  for (uint32_t i = 0; l && i < l->ninst && !h; i++) {
    const hinst_t *c = &l->inst[i];
    bool ok = x->name.kind == LAT_CNAME_INTERFACE
                  ? c->cname.kind == LAT_CNAME_INTERFACE &&
                        lat_cname_version_compatible(&c->cname, &x->name)
                  : !strcmp(c->name, x->name.full);
    if (ok) {
      h = c;
      hi = i;
    }
  }
  if (!h)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "import `%s` is not provided by the host", x->name.full);
  lat_cextern_t ax = {.name = x->name, .sort = LAT_CSORT_INSTANCE, .type = h->type};
  lat_error_t e2;
  lat_error_clear(&e2);
  uint32_t before = m->n;
  lat_status st = lat__cextern_subtype(&ax, x, m, &e2);
  if (st == LAT_ENOMEM) return oom(err);
  if (st)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "import `%s` does not match the host's `%s`: %s",
                         x->name.full, h->name, e2.msg);
  if (bind_from(ci, m, before, NULL)) return oom(err);
  cinst_t *iv = aalloc(ci, 1, sizeof *iv);
  if (!iv) return oom(err);
  iv->host = hi;
  iv->itype = x->type;
  out->inst = iv;
  return LAT_OK;
}

static lat_status import_nested(lat_cinstance_t *ci, const lat_cextern_t *x,
                                const iargs_t *ia, lat__rmap_t *m, ent_t *out,
                                lat_error_t *err) {
  const lat__arg_t *a = NULL;
  uint32_t hint = memo_hint(ci), at = NONE;
  if (hint < ia->n && !strcmp(ia->args[hint].name, x->name.full)) at = hint;
  for (uint32_t i = 0; i < ia->n && at == NONE; i++)
    if (!strcmp(ia->args[i].name, x->name.full)) at = i;
  memo_note(ci, at);
  if (at != NONE) a = &ia->args[at];
  if (!a)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "missing instantiation argument `%s`", x->name.full);
  lat_cinstance_t *from = ia->from;
  lat_cextern_t ax = {.name = x->name, .sort = a->sort,
                      .type = static_type(from, a->sort, a->index)};
  uint32_t before = m->n;
  lat_error_t e2;
  lat_error_clear(&e2);
  lat_status st = lat__cextern_subtype(&ax, x, m, &e2);
  if (st == LAT_ENOMEM) return oom(err);
  if (st)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX, "argument `%s`: %s",
                         x->name.full, e2.msg);
  if (bind_from(ci, m, before, from)) return oom(err);
  *out = from->sp[a->sort][a->index];
  if (a->sort == LAT_CSORT_TYPE && x->type && x->type->kind == LAT_CT_RESOURCE) {
    out->type.st = x->type;
    if (map_add(ci, x->type, out->type.rt)) return oom(err);
  }
  return LAT_OK;
}

static lat_status new_child(lat_cinstance_t *parent, const lat_component_t *c,
                            lat_cinstance_t *outer, lat_cinstance_t **out) {
  lat_cinstance_t *ci = aalloc(parent, 1, sizeof *ci);
  cabi_node_t *node = aalloc(parent, 1, sizeof *node);
  if (!ci || !node) return LAT_ENOMEM;
  ci->root = parent->root;
  ci->outer = outer;
  ci->c = c;
  ci->exports.host = NONE;
  if (lat_cabi_instance_new(parent->cabi, &ci->cabi)) return LAT_ENOMEM;
  node->cabi = ci->cabi;
  node->next = ci->root->cabis;
  ci->root->cabis = node;
  *out = ci;
  return LAT_OK;
}

static lat_status replay(lat_cinstance_t *ci, const iargs_t *ia, lat_error_t *err);

static lat_status do_def(lat_cinstance_t *ci, const lat__def_t *d,
                         const iargs_t *ia, lat__rmap_t *m, lat_error_t *err) {
  const lat_component_t *c = ci->c;
  lat_wasm_store_t *s = ci->root->store;
  ent_t v;
  memset(&v, 0, sizeof v);
  lat_status st = LAT_OK;
  switch (d->kind) {
  case LAT__DEF_IMPORT: {
    const lat_cextern_t *x = &c->imports[d->a];
    st = ia ? import_nested(ci, x, ia, m, &v, err) : import_root(ci, x, d->a, m, &v, err);
    break;
  }
  case LAT__DEF_CORE_MODULE:
    v.module = c->modules[d->a].module;
    if (!v.module)
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "core module %u was not validated", d->a);
    break;
  case LAT__DEF_CORE_INSTANTIATE: {
    lat_wasm_module_t *mod = ci->sp[LAT_CSORT_CORE_MODULE][d->a].module;
    uint32_t n = lat_wasm_module_import_count(mod);
    lat_wasm_extern_t *im = lat_calloc(n ? n : 1, sizeof *im);
    core_inst_t *cv = aalloc(ci, 1, sizeof *cv);
    if (!im || !cv) {
      lat_free(im);
      return oom(err);
    }
    for (uint32_t i = 0; i < n && !st; i++) {
      lat_wasm_import_t imp;
      lat_wasm_module_import(mod, i, &imp);
      const lat__arg_t *a = NULL;
      for (uint32_t j = 0; j < d->nargs && !a; j++)
        if (strlen(d->args[j].name) == imp.module_len &&
            !memcmp(d->args[j].name, imp.module, imp.module_len))
          a = &d->args[j];
      if (!a || core_get(ci, ci->sp[LAT_CSORT_CORE_INSTANCE][a->index].cinst, imp.name,
                         imp.name_len, &im[i]))
        st = lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                           "core import `%.*s::%.*s` not found", (int)imp.module_len,
                           imp.module, (int)(imp.name_len > 200 ? 200 : imp.name_len),
                           imp.name);
    }
    if (!st) st = lat_wasm_instance_new(s, mod, im, n, &cv->wi, err);
    lat_free(im);
    v.cinst = cv;
    break;
  }
  case LAT__DEF_CORE_INLINE: {
    core_inst_t *cv = aalloc(ci, 1, sizeof *cv);
    const char **names = aalloc(ci, d->nargs, sizeof *names);
    lat_wasm_extern_t *ex = aalloc(ci, d->nargs, sizeof *ex);
    if (!cv || !names || !ex) return oom(err);
    for (uint32_t i = 0; i < d->nargs; i++) {
      names[i] = d->args[i].name;
      ex[i] = ci->sp[d->args[i].sort][d->args[i].index].core;
    }
    cv->n = d->nargs;
    cv->names = names;
    cv->ex = ex;
    v.cinst = cv;
    break;
  }
  case LAT__DEF_COMPONENT:
    v.comp.c = c->nested[d->a];
    v.comp.outer = ci;
    break;
  case LAT__DEF_INSTANTIATE: {
    ent_t ce = ci->sp[LAT_CSORT_COMPONENT][d->a];
    lat_cinstance_t *child;
    if (new_child(ci, ce.comp.c, ce.comp.outer, &child)) return oom(err);
    iargs_t cia = {ci, d->args, d->nargs};
    if ((st = replay(child, &cia, err))) return st;
    v.inst = &child->exports;
    /* the instance type's resources (fresh statics here) -> child's */
    const lat_ctype_t *it = static_type(ci, LAT_CSORT_INSTANCE, d->index);
    for (uint32_t i = 0; it && i < it->n; i++) {
      const lat_cextern_t *x = &it->u.decls[i];
      if (x->sort != LAT_CSORT_TYPE || !x->type || x->type->kind != LAT_CT_RESOURCE)
        continue;
      ent_t e;
      if (!inst_get(ci, v.inst, x->name.full, LAT_CSORT_TYPE, NULL, &e, err) && e.type.rt &&
          map_add(ci, x->type, e.type.rt))
        return oom(err);
    }
    lat_error_clear(err);
    break;
  }
  case LAT__DEF_INLINE: {
    cinst_t *iv = aalloc(ci, 1, sizeof *iv);
    if (!iv) return oom(err);
    iv->host = NONE;
    for (uint32_t i = 0; i < d->nargs; i++)
      if (cinst_push(ci, iv, d->args[i].name, d->args[i].sort,
                     ci->sp[d->args[i].sort][d->args[i].index]))
        return oom(err);
    v.inst = iv;
    break;
  }
  case LAT__DEF_ALIAS_EXPORT: {
    const lat_cpre_t *pre = ci == ci->root ? ci->root->pre : NULL;
    uint32_t di = (uint32_t)(d - c->defs);
    st = inst_get(ci, ci->sp[LAT_CSORT_INSTANCE][d->a].inst, d->name, d->sort,
                  pre && pre->alias_known[di] ? &pre->alias[di] : NULL, &v, err);
    break;
  }
  case LAT__DEF_ALIAS_CORE_EXPORT:
    if (core_get(ci, ci->sp[LAT_CSORT_CORE_INSTANCE][d->a].cinst, d->name, strlen(d->name),
                 &v.core))
      st = lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX, "core export `%s` not found",
                         d->name);
    break;
  case LAT__DEF_ALIAS_OUTER: {
    lat_cinstance_t *t = ci;
    for (uint32_t k = 0; k < d->a && t; k++) t = t->outer;
    if (!t || d->b >= t->c->sp[d->sort].n)
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "bad outer alias");
    v = t->sp[d->sort][d->b];
    break;
  }
  case LAT__DEF_TYPE: {
    const lat_ctype_t *t = static_type(ci, LAT_CSORT_TYPE, d->index);
    v.type.st = t;
    if (t && t->kind == LAT_CT_RESOURCE) {
      grt_t *g = aalloc(ci, 1, sizeof *g);
      if (!g) return oom(err);
      g->ci = ci;
      g->rt.impl = ci->cabi;
      g->rt.name = t->res_name;
      if (t->dtor != NONE) {
        g->dtor = ci->sp[LAT_CSORT_CORE_FUNC][t->dtor].core.of.func;
        g->rt.dtor = guest_dtor;
        g->rt.dtor_ctx = g;
      }
      v.type.rt = &g->rt;
    }
    break;
  }
  case LAT__DEF_CANON_LIFT: {
    lat_cfunc_t *f = aalloc(ci, 1, sizeof *f);
    if (!f) return oom(err);
    f->kind = CF_LIFTED;
    f->type = static_type(ci, LAT_CSORT_FUNC, d->index);
    f->ci = ci;
    f->core = ci->sp[LAT_CSORT_CORE_FUNC][d->a].core.of.func;
    f->enc = d->opts.encoding;
    if (d->opts.memory != NONE)
      f->mem = ci->sp[LAT_CSORT_CORE_MEMORY][d->opts.memory].core.of.memory;
    if (d->opts.realloc != NONE)
      f->realloc = ci->sp[LAT_CSORT_CORE_FUNC][d->opts.realloc].core.of.func;
    if (d->opts.post_return != NONE)
      f->post_return = ci->sp[LAT_CSORT_CORE_FUNC][d->opts.post_return].core.of.func;
    f->name = "lifted function";
    if (!f->core || !f->type)
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "canon lift of an unknown function");
    v.func = f;
    break;
  }
  case LAT__DEF_CANON_LOWER: {
    lower_env_t *e = aalloc(ci, 1, sizeof *e);
    if (!e) return oom(err);
    e->ci = ci;
    e->ft = static_type(ci, LAT_CSORT_FUNC, d->a);
    e->target = ci->sp[LAT_CSORT_FUNC][d->a].func;
    e->enc = d->opts.encoding;
    if (d->opts.memory != NONE)
      e->mem = ci->sp[LAT_CSORT_CORE_MEMORY][d->opts.memory].core.of.memory;
    if (d->opts.realloc != NONE)
      e->realloc = ci->sp[LAT_CSORT_CORE_FUNC][d->opts.realloc].core.of.func;
    e->core = c->sp[LAT_CSORT_CORE_FUNC].v[d->index].cfunc;
    if (!e->ft || !e->target || !e->core)
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "canon lower of an unknown function");
    v.core.kind = LAT_EXTERN_FUNC;
    if (lat_wasm_func_new_host(s, e->core, lowered_call, e, &v.core.of.func))
      return oom(err);
    break;
  }
  case LAT__DEF_RESOURCE_NEW:
  case LAT__DEF_RESOURCE_DROP:
  case LAT__DEF_RESOURCE_REP: {
    res_env_t *e = aalloc(ci, 1, sizeof *e);
    if (!e) return oom(err);
    e->ci = ci;
    e->op = d->kind;
    ent_t te = ci->sp[LAT_CSORT_TYPE][d->b];
    e->rt = te.type.rt ? te.type.rt : map_get(ci, te.type.st);
    if (!e->rt)
      return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                           "resource type %u has no run-time type", d->b);
    v.core.kind = LAT_EXTERN_FUNC;
    if (lat_wasm_func_new_host(s, c->sp[LAT_CSORT_CORE_FUNC].v[d->index].cfunc,
                               resource_builtin, e, &v.core.of.func))
      return oom(err);
    break;
  }
  case LAT__DEF_EXPORT: {
    v = ci->sp[d->sort][d->b];
    if (d->sort == LAT_CSORT_TYPE) {
      const lat_ctype_t *t = static_type(ci, LAT_CSORT_TYPE, d->index);
      if (t && v.type.rt && map_add(ci, t, v.type.rt)) return oom(err);
      if (t) v.type.st = t;
    }
    if (cinst_push(ci, &ci->exports, d->name, d->sort, v)) return oom(err);
    break;
  }
  default:
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX, "definition kind %u", d->kind);
  }
  if (st) return st;
  if (d->sort == LAT_CSORT_TYPE && v.type.st && v.type.rt &&
      map_add(ci, v.type.st, v.type.rt))
    return oom(err);
  if (d->index < c->sp[d->sort].n) ci->sp[d->sort][d->index] = v;
  return LAT_OK;
}

static lat_status replay(lat_cinstance_t *ci, const iargs_t *ia, lat_error_t *err) {
  const lat_component_t *c = ci->c;
  for (int s = 0; s < LAT_CSORT_COUNT; s++)
    if (!(ci->sp[s] = aalloc(ci, c->sp[s].n, sizeof(ent_t)))) return oom(err);
  lat__rmap_t m = {0};
  lat_status st = LAT_OK;
  for (uint32_t i = 0; i < c->ndefs && !st; i++) st = do_def(ci, &c->defs[i], ia, &m, err);
  lat__rmap_fini(&m);
  return st;
}

/* ---- public ----------------------------------------------------------------------------- */

static lat_status instance_new(lat_wasm_store_t *s, const lat_component_t *c,
                               const lat_clinker_t *l, const lat_cpre_t *pre,
                               void *host_data, lat_cinstance_t **out,
                               lat_error_t *err) {
  lat_cinstance_t *ci = lat_calloc(1, sizeof *ci);
  if (!ci) return oom(err);
  lat_arena_init(&ci->arena);
  ci->root = ci;
  ci->c = c;
  ci->store = s;
  ci->l = l;
  ci->data = host_data;
  ci->pre = pre;
  ci->exports.host = NONE;
  lat_status st = LAT_OK;
  if (lat_cabi_instance_new(NULL, &ci->cabi)) {
    st = oom(err);
    goto fail;
  }
  if (l && l->nres) {
    if (!(ci->hrt = aalloc(ci, l->nres, sizeof *ci->hrt))) {
      st = oom(err);
      goto fail;
    }
    for (uint32_t i = 0; i < l->nres; i++) {
      hrt_t *h = &ci->hrt[i];
      h->root = ci;
      h->id = i;
      h->rt.name = l->res[i].node->res_name;
      h->rt.dtor = host_dtor;
      h->rt.dtor_ctx = h;
    }
  }
  if (pre) {
    ci->memo = atomic_load(&((lat_cpre_t *)pre)->memo);
    ci->recording = !ci->memo;
  }
  if ((st = replay(ci, NULL, err))) goto fail;
  memo_publish(ci);
  lat_free(ci->rec);
  ci->rec = NULL;
  ci->recording = false;
  *out = ci;
  return LAT_OK;
fail:
  lat_cinstance_free(ci);
  return st;
}

lat_status lat_cinstance_new(lat_wasm_store_t *s, const lat_component_t *c,
                             const lat_clinker_t *l, void *host_data,
                             lat_cinstance_t **out, lat_error_t *err) {
  return instance_new(s, c, l, NULL, host_data, out, err);
}

lat_status lat_cinstance_new_pre(lat_wasm_store_t *s, const lat_cpre_t *pre,
                                 void *host_data, lat_cinstance_t **out,
                                 lat_error_t *err) {
  return instance_new(s, pre->c, pre->l, pre, host_data, out, err);
}

void lat_cpre_free(lat_cpre_t *p) {
  if (!p) return;
  lat_free(atomic_load(&p->memo));
  lat_arena_fini(&p->arena);
  lat_free(p);
}

lat_status lat_cpre_new(const lat_component_t *c, const lat_clinker_t *l,
                        lat_cpre_t **out, lat_error_t *err) {
  lat_cpre_t *p = lat_calloc(1, sizeof *p);
  if (!p) return oom(err);
  atomic_init(&p->memo, NULL);
  lat_arena_init(&p->arena);
  p->c = c;
  p->l = l;
  lat_status st = LAT_OK;
  lat__rmap_t m = {0};
  p->imports = lat_arena_array(&p->arena, c->nimports ? c->nimports : 1, sizeof *p->imports);
  p->alias = lat_arena_array(&p->arena, c->ndefs ? c->ndefs : 1, sizeof *p->alias);
  p->alias_known = lat_arena_array(&p->arena, c->ndefs ? c->ndefs : 1, 1);
  if (!p->imports || !p->alias || !p->alias_known) {
    st = oom(err);
    goto fail;
  }
  for (uint32_t i = 0; i < c->nimports; i++) p->imports[i].host = NONE;
  /* a dry run of the root's imports: the same matching and checks an
   * instantiation does, kept */
  lat_cinstance_t tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.root = &tmp;
  tmp.l = l;
  for (uint32_t di = 0; di < c->ndefs && !st; di++) {
    const lat__def_t *d = &c->defs[di];
    if (d->kind == LAT__DEF_IMPORT) {
      const lat_cextern_t *x = &c->imports[d->a];
      ent_t v;
      uint32_t before = m.n;
      lat_arena_init(&tmp.arena);
      st = import_root(&tmp, x, d->a, &m, &v, err);
      if (!st) {
        pimport_t *pi = &p->imports[d->a];
        pi->host = v.inst->host;
        pi->res = lat_arena_array(&p->arena, m.n - before + 1, sizeof *pi->res);
        if (!pi->res) st = oom(err);
        for (uint32_t k = before; !st && k < m.n; k++)
          for (uint32_t r = 0; r < l->nres; r++)
            if (l->res[r].node == m.v[k].to) pi->res[pi->nres++] = (pres_t){m.v[k].from, r};
      }
      lat_arena_fini(&tmp.arena);
    } else if (d->kind == LAT__DEF_ALIAS_EXPORT && d->sort == LAT_CSORT_FUNC &&
               d->a < c->sp[LAT_CSORT_INSTANCE].n) {
      uint32_t src = c->sp[LAT_CSORT_INSTANCE].v[d->a].def;
      if (src != NONE && c->defs[src].kind == LAT__DEF_IMPORT &&
          p->imports[c->defs[src].a].host != NONE) {
        p->alias[di] = hinst_func(&l->inst[p->imports[c->defs[src].a].host], d->name);
        p->alias_known[di] = true;
      }
    }
  }
  lat__rmap_fini(&m);
  if (st) goto fail;
  *out = p;
  return LAT_OK;
fail:
  lat__rmap_fini(&m);
  lat_cpre_free(p);
  return st;
}

void lat_cinstance_free(lat_cinstance_t *ci) {
  if (!ci) return;
  lat_free(ci->rec);
  for (cabi_node_t *n = ci->cabis; n; n = n->next) lat_cabi_instance_free(n->cabi);
  lat_cabi_instance_free(ci->cabi);
  lat_arena_fini(&ci->arena);
  lat_free(ci);
}

static bool name_matches(const char *have, const char *want) {
  if (!strcmp(have, want)) return true;
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cname_t x, y;
  bool ok = !lat_cname_parse(have, strlen(have), &a, &x, NULL) &&
            !lat_cname_parse(want, strlen(want), &a, &y, NULL) &&
            x.kind == LAT_CNAME_INTERFACE && y.kind == LAT_CNAME_INTERFACE &&
            lat_cname_version_compatible(&x, &y);
  lat_arena_fini(&a);
  return ok;
}

lat_cfunc_t *lat_cinstance_func(lat_cinstance_t *ci, const char *iface,
                                const char *name) {
  cinst_t *ex = &ci->exports;
  if (iface) {
    cinst_t *iv = NULL;
    for (uint32_t i = 0; i < ex->n && !iv; i++)
      if (ex->sorts[i] == LAT_CSORT_INSTANCE && name_matches(ex->names[i], iface))
        iv = ex->v[i].inst;
    if (!iv || iv->host != NONE) return NULL;
    ex = iv;
  }
  for (uint32_t i = 0; i < ex->n; i++)
    if (ex->sorts[i] == LAT_CSORT_FUNC && !strcmp(ex->names[i], name))
      return ex->v[i].func;
  return NULL;
}

bool lat_clinker_resource_find(const lat_clinker_t *l, const char *iface,
                               const char *name, uint32_t *out_id) {
  uint32_t i = lat_clinker_find(l, iface);
  if (i == NONE) return false;
  const lat_ctype_t *t = l->inst[i].type;
  for (uint32_t k = 0; k < t->n; k++) {
    const lat_cextern_t *d = &t->u.decls[k];
    if (d->sort != LAT_CSORT_TYPE || strcmp(d->name.full, name) || !d->type ||
        d->type->kind != LAT_CT_RESOURCE)
      continue;
    for (uint32_t r = 0; r < l->nres; r++)
      if (l->res[r].node == d->type) {
        *out_id = r;
        return true;
      }
  }
  return false;
}

uint32_t lat_clinker_instance_count(const lat_clinker_t *l) { return l->ninst; }

const char *lat_clinker_instance_name(const lat_clinker_t *l, uint32_t index) {
  return index < l->ninst ? l->inst[index].name : NULL;
}

lat_status lat_cinstance_drop_own(lat_cinstance_t *ci, const lat_cval_t *own,
                                  lat_error_t *err) {
  (void)ci;
  if (!own || own->kind != LAT_CT_OWN || !own->of.handle.rt)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "not an own handle");
  const lat_cabi_rtype_t *rt = own->of.handle.rt;
  if (!rt->dtor) return LAT_OK;
  if (rt->impl) {
    lat_status st = lat_cabi_instance_enter(rt->impl, NULL, err);
    if (st) return st;
    st = rt->dtor(rt->dtor_ctx, own->of.handle.rep, err);
    lat_cabi_instance_leave(rt->impl, NULL);
    return st;
  }
  return rt->dtor(rt->dtor_ctx, own->of.handle.rep, err);
}

const lat_cabi_rtype_t *lat_cinstance_host_rtype(const lat_cinstance_t *ci,
                                                 uint32_t id) {
  const lat_cinstance_t *root = ci ? ci->root : NULL;
  if (!root || !root->l || !root->hrt || id >= root->l->nres) return NULL;
  return &root->hrt[id].rt;
}
