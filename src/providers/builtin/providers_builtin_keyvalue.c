/* providers_builtin_keyvalue.c: the wrpc:keyvalue side both keyvalue
 * providers share (providers_builtin_keyvalue.h).
 *
 * Serves wrpc:keyvalue/{store,atomics,batch}@0.2.0-draft, every function
 * taking the bucket identifier as a string first (PROTOCOL.md §4.5).  The
 * parameter and result types come from the WIT below, parsed once into a
 * component linker, and the generic wRPC codec reads and writes them: no
 * hand-written bytes.
 *
 * Links: this provider is their target; each is kept by (source id, link
 * name) with its config (the provider's HostData config, then the link's
 * target config on top).  The backend state (a connection, a bucket) is
 * made at the link's first call, on a wRPC worker, not in the link put
 * callback, which runs on a libnats thread that must not block; a failure
 * there is the caller's error::other and is tried again on the next call.
 * Link del drops the entry at once: the source's next call fails; calls in
 * flight keep their reference and finish.
 *
 * Finding the caller's link (wasmCloud keys stores by source id and link
 * name): the `source-id` header names the caller.  First the identifier is
 * taken as a link name of that source (what wasmCloud's keyvalue-nats
 * does: open("default") is the default link's store); otherwise the link
 * named by the `link-name` header (the host's choice, "default" when
 * absent), if the backend accepts the identifier for it (keyvalue-nats: ""
 * or its bucket; keyvalue-redis: any, as wasmCloud's ignores it).  No link
 * from that source: error::other("consumer component not linked: ..."); an
 * identifier refused: error::no-such-store.  Like wasmCloud's, the provider
 * trusts the header (PROTOCOL.md §3: the callee does not check links).
 *
 * Parameters that do not decode (or a key holding NUL) close the result
 * stream empty: wRPC has no error frame, and the caller sees a failed call.
 *
 * Batch operations run the single-key ones in order and stop at the first
 * failure (wrpc:keyvalue/batch promises no atomicity).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "providers_builtin_keyvalue.h"

#define KV_VER "@0.2.0-draft"
#define KV_WORKERS 8 /* wRPC handlers at once (the SDK's default is 4) */

static const char WRPC_KV_WIT[] =
    "package wrpc:keyvalue@0.2.0-draft;\n"
    "interface store {\n"
    "  variant error { no-such-store, access-denied, other(string) }\n"
    "  record key-response { keys: list<string>, cursor: option<u64> }\n"
    "  get: func(bucket: string, key: string) -> result<option<list<u8>>, error>;\n"
    "  set: func(bucket: string, key: string, value: list<u8>) -> result<_, error>;\n"
    "  delete: func(bucket: string, key: string) -> result<_, error>;\n"
    "  exists: func(bucket: string, key: string) -> result<bool, error>;\n"
    "  list-keys: func(bucket: string, cursor: option<u64>) -> result<key-response, error>;\n"
    "}\n"
    "interface atomics {\n"
    "  use store.{error};\n"
    "  increment: func(bucket: string, key: string, delta: u64) -> result<u64, error>;\n"
    "}\n"
    "interface batch {\n"
    "  use store.{error};\n"
    "  get-many: func(bucket: string, keys: list<string>)\n"
    "      -> result<list<option<tuple<string, list<u8>>>>, error>;\n"
    "  set-many: func(bucket: string, key-values: list<tuple<string, list<u8>>>)\n"
    "      -> result<_, error>;\n"
    "  delete-many: func(bucket: string, keys: list<string>) -> result<_, error>;\n"
    "}\n";

typedef enum { OP_GET, OP_SET, OP_DEL, OP_EXISTS, OP_KEYS, OP_INCR, OP_GETM, OP_SETM, OP_DELM } op_t;

static const struct {
  const char *iface, *func;
  op_t op;
} FNS[] = {
    {"store", "get", OP_GET},         {"store", "set", OP_SET},
    {"store", "delete", OP_DEL},      {"store", "exists", OP_EXISTS},
    {"store", "list-keys", OP_KEYS},  {"atomics", "increment", OP_INCR},
    {"batch", "get-many", OP_GETM},   {"batch", "set-many", OP_SETM},
    {"batch", "delete-many", OP_DELM},
};
#define NFNS (sizeof FNS / sizeof FNS[0])

typedef struct link {
  struct link *next;
  char *source, *name;
  json_t *config;     /* merged config, owned */
  int refs;           /* the table's + one per call (under prov_t.mu) */
  pthread_mutex_t mu; /* guards state while it is made */
  void *state;        /* the backend's, NULL until the first call */
} link_t;

typedef struct prov prov_t;

typedef struct {
  prov_t *pv;
  op_t op;
  const lat_ctype_t *pts[3]; /* parameter types (all have 2 or 3) */
  uint32_t n;
  const lat_ctype_t *result;
} fn_t;

struct prov {
  const lat__kv_backend_t *b;
  lat_provider_t *p;     /* set once lat_provider_new returned */
  json_t *defaults;      /* HostData config (owned) */
  pthread_mutex_t mu;    /* guards links and every link's refs */
  link_t *links;
  fn_t fns[NFNS];
};

const char *lat__kv_config(json_t *config, const char *key) {
  const char *k;
  json_t *v;
  json_object_foreach(config, k, v) if (!strcasecmp(k, key) && json_is_string(v)) return json_string_value(v);
  return NULL;
}

/* ---- links ------------------------------------------------------------------------ */

static void link_release(prov_t *pv, link_t *l) {
  if (!l) return;
  pthread_mutex_lock(&pv->mu);
  bool last = --l->refs == 0;
  pthread_mutex_unlock(&pv->mu);
  if (!last) return;
  if (l->state) pv->b->close(l->state);
  pthread_mutex_destroy(&l->mu);
  json_decref(l->config);
  lat_free(l->source);
  lat_free(l->name);
  lat_free(l);
}

/* Takes (source, name) out of the table; returns it (the table's
 * reference) or NULL.  Under pv->mu. */
static link_t *link_unhook(prov_t *pv, const char *source, const char *name) {
  for (link_t **pp = &pv->links; *pp; pp = &(*pp)->next)
    if (!strcmp((*pp)->source, source) && !strcmp((*pp)->name, name)) {
      link_t *l = *pp;
      *pp = l->next;
      return l;
    }
  return NULL;
}

static bool for_keyvalue(const lat_provider_link_t *l) {
  return !l->as_source && !strcmp(l->wit_namespace, "wasi") && !strcmp(l->wit_package, "keyvalue");
}

static void on_put(void *ctx, const lat_provider_link_t *pl) {
  prov_t *pv = ctx;
  if (!for_keyvalue(pl)) return;
  link_t *l = lat_calloc(1, sizeof *l);
  if (!l) return;
  l->source = lat_strndup(pl->source_id, strlen(pl->source_id));
  l->name = lat_strndup(pl->name, strlen(pl->name));
  l->config = json_deep_copy(pv->defaults);
  if (!l->source || !l->name || !l->config || json_object_update(l->config, pl->config)) {
    json_decref(l->config);
    lat_free(l->source);
    lat_free(l->name);
    lat_free(l);
    fprintf(stderr, "%s: out of memory on a link put\n", pv->b->name);
    return;
  }
  pthread_mutex_init(&l->mu, NULL);
  l->refs = 1;
  pthread_mutex_lock(&pv->mu);
  link_t *old = link_unhook(pv, l->source, l->name); /* a put replaces */
  l->next = pv->links;
  pv->links = l;
  pthread_mutex_unlock(&pv->mu);
  link_release(pv, old);
  fprintf(stderr, "%s: link put source=%s name=%s\n", pv->b->name, l->source, l->name);
}

static void on_del(void *ctx, const lat_provider_link_t *pl) {
  prov_t *pv = ctx;
  if (!for_keyvalue(pl)) return;
  pthread_mutex_lock(&pv->mu);
  link_t *l = link_unhook(pv, pl->source_id, pl->name);
  pthread_mutex_unlock(&pv->mu);
  link_release(pv, l);
  fprintf(stderr, "%s: link del source=%s name=%s\n", pv->b->name, pl->source_id, pl->name);
}

/* A reference to (source, name), or NULL. */
static link_t *link_get(prov_t *pv, const char *source, const char *name, bool *any) {
  link_t *found = NULL;
  pthread_mutex_lock(&pv->mu);
  for (link_t *l = pv->links; l; l = l->next) {
    if (strcmp(l->source, source)) continue;
    *any = true;
    if (!strcmp(l->name, name)) {
      found = l;
      l->refs++;
      break;
    }
  }
  pthread_mutex_unlock(&pv->mu);
  return found;
}

/* ---- values --------------------------------------------------------------------- */

static lat_cval_t *val(lat_arena_t *a) { return lat_arena_alloc(a, sizeof(lat_cval_t)); }

static lat_cval_t *str_val(lat_arena_t *a, const char *s) {
  lat_cval_t *v = val(a);
  size_t n = strlen(s);
  char *p = lat_arena_alloc(a, n ? n : 1);
  if (!v || !p) return NULL;
  memcpy(p, s, n);
  *v = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {p, (uint32_t)n}};
  return v;
}

static lat_cval_t *bytes_val(lat_arena_t *a, const uint8_t *b, size_t n) {
  lat_cval_t *v = val(a);
  uint8_t *p = lat_arena_alloc(a, n ? n : 1);
  if (!v || !p) return NULL;
  if (n) memcpy(p, b, n);
  *v = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.n = (uint32_t)n, .bytes = p}};
  return v;
}

/* result::err(error::no-such-store) (disc 0) or err(error::other(msg)) */
static void err_val(lat_arena_t *a, bool no_such_store, const char *msg, lat_cval_t *out) {
  lat_cval_t *e = val(a), *s = no_such_store ? NULL : str_val(a, msg);
  if (e) *e = (lat_cval_t){.kind = LAT_CT_VARIANT, .of.var = {.disc = no_such_store ? 0 : 2, .payload = s}};
  if (!e || (!no_such_store && !s)) e = NULL; /* encode fails: an empty reply */
  *out = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 1, .payload = e}};
}

/* A NUL-terminated copy of a string value, or NULL when it holds a NUL. */
static char *cstr(lat_arena_t *a, const lat_cval_t *v) {
  if (memchr(v->of.str.ptr, 0, v->of.str.len)) return NULL;
  char *s = lat_arena_alloc(a, v->of.str.len + 1);
  if (!s) return NULL;
  memcpy(s, v->of.str.ptr, v->of.str.len);
  s[v->of.str.len] = 0;
  return s;
}

/* ---- the calls ------------------------------------------------------------------- */

/* The state of l, made now if it is not yet.  Under l->mu only while made. */
static lat_status link_state(prov_t *pv, link_t *l, void **out, lat_error_t *err) {
  pthread_mutex_lock(&l->mu);
  lat_status st = LAT_OK;
  if (!l->state) st = pv->b->open(pv->p, l->config, &l->state, err);
  *out = l->state;
  pthread_mutex_unlock(&l->mu);
  return st;
}

/* Runs op on state: *ok is the result's ok payload (NULL for none). */
static lat_status run(prov_t *pv, op_t op, void *s, const lat_cval_t *args, lat_arena_t *a,
                      lat_cval_t **ok, lat_error_t *err) {
  const lat__kv_backend_t *b = pv->b;
  lat_status st = LAT_OK;
  const char *key = NULL;
  *ok = NULL;
  if (op == OP_GET || op == OP_SET || op == OP_DEL || op == OP_EXISTS || op == OP_INCR) {
    if (!(key = cstr(a, &args[1]))) return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX, "a key holds NUL");
  }
  switch (op) {
  case OP_GET:
  case OP_EXISTS: {
    lat_buf_t v;
    lat_buf_init(&v);
    st = b->get(s, key, &v, err);
    bool found = st == LAT_OK;
    if (st == LAT_ENOTFOUND) st = LAT_OK;
    lat_cval_t *r = val(a), *some = NULL;
    if (!st && found && op == OP_GET && !(some = bytes_val(a, v.data, v.len))) r = NULL;
    lat_buf_fini(&v);
    if (st) return st;
    if (!r) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    *r = op == OP_GET ? (lat_cval_t){.kind = LAT_CT_OPTION, .of.var = {.disc = found, .payload = some}}
                      : (lat_cval_t){.kind = LAT_CT_BOOL, .of.b = found};
    *ok = r;
    return LAT_OK;
  }
  case OP_SET:
    return b->set(s, key, args[2].of.list.bytes, args[2].of.list.n, err);
  case OP_DEL:
    return b->del(s, key, err);
  case OP_INCR: {
    uint64_t n;
    if ((st = b->incr(s, key, args[2].of.u, &n, err))) return st;
    if (!(*ok = val(a))) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    **ok = (lat_cval_t){.kind = LAT_CT_U64, .of.u = n};
    return LAT_OK;
  }
  case OP_KEYS: {
    uint64_t cursor = args[1].of.var.disc ? args[1].of.var.payload->of.u : 0, next = 0;
    lat_lattice_keys_t k = {0};
    if ((st = b->keys(s, cursor, &k, &next, err))) return st;
    lat_cval_t *rec = lat_arena_array(a, 2, sizeof *rec), *ks = lat_arena_array(a, k.count ? k.count : 1, sizeof *ks);
    lat_cval_t *nx = val(a), *r = val(a);
    bool good = rec && ks && nx && r;
    for (size_t i = 0; good && i < k.count; i++) {
      lat_cval_t *sv = str_val(a, k.keys[i]);
      if (sv) ks[i] = *sv;
      good = sv != NULL;
    }
    uint32_t count = (uint32_t)k.count;
    lat_lattice_keys_fini(&k);
    if (!good) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    *nx = (lat_cval_t){.kind = LAT_CT_U64, .of.u = next};
    rec[0] = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.v = ks, .n = count}};
    rec[1] = (lat_cval_t){.kind = LAT_CT_OPTION, .of.var = {.disc = next != 0, .payload = next ? nx : NULL}};
    *r = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {.v = rec, .n = 2}};
    *ok = r;
    return LAT_OK;
  }
  case OP_GETM: {
    const lat_cval_t *keys = &args[1];
    lat_cval_t *el = lat_arena_array(a, keys->of.list.n ? keys->of.list.n : 1, sizeof *el), *r = val(a);
    if (!el || !r) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    for (uint32_t i = 0; i < keys->of.list.n; i++) {
      char *k = cstr(a, &keys->of.list.v[i]);
      if (!k) return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX, "a key holds NUL");
      lat_buf_t v;
      lat_buf_init(&v);
      st = b->get(s, k, &v, err);
      lat_cval_t *pair = NULL;
      if (!st) {
        pair = lat_arena_array(a, 2, sizeof *pair);
        lat_cval_t *bv = bytes_val(a, v.data, v.len);
        if (pair && bv) {
          pair[0] = keys->of.list.v[i];
          pair[1] = *bv;
        } else {
          st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
        }
      }
      lat_buf_fini(&v);
      lat_cval_t *tup = pair ? val(a) : NULL;
      if (st == LAT_ENOTFOUND) st = LAT_OK;
      else if (!st && !tup) st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      if (st) return st;
      if (tup) *tup = (lat_cval_t){.kind = LAT_CT_TUPLE, .of.list = {.v = pair, .n = 2}};
      el[i] = (lat_cval_t){.kind = LAT_CT_OPTION, .of.var = {.disc = tup != NULL, .payload = tup}};
    }
    *r = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.v = el, .n = keys->of.list.n}};
    *ok = r;
    return LAT_OK;
  }
  case OP_SETM:
  case OP_DELM: {
    const lat_cval_t *items = &args[1];
    for (uint32_t i = 0; i < items->of.list.n; i++) {
      const lat_cval_t *it = &items->of.list.v[i];
      const lat_cval_t *kv = op == OP_SETM ? &it->of.list.v[0] : it;
      char *k = cstr(a, kv);
      if (!k) return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX, "a key holds NUL");
      if (op == OP_SETM) st = b->set(s, k, it->of.list.v[1].of.list.bytes, it->of.list.v[1].of.list.n, err);
      else st = b->del(s, k, err);
      if (st) return st;
    }
    return LAT_OK;
  }
  }
  return LAT_OK;
}

static lat_status handle(void *ctx, const lat_wrpc_request_t *req, lat_buf_t *results,
                         lat_error_t *err) {
  fn_t *f = ctx;
  prov_t *pv = f->pv;
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t args[3], res;
  link_t *l = NULL;
  lat_status st = lat_wrpc_decode_values(req->params, req->len, f->pts, f->n, &a, args, err);
  if (st) goto out;
  const char *src = lat_lattice_headers_get(req->headers, "source-id");
  const char *ln = lat_lattice_headers_get(req->headers, "link-name");
  if (!ln || !*ln) ln = "default";
  char *ident = cstr(&a, &args[0]);
  if (!ident) {
    st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX, "the bucket identifier holds NUL");
    goto out;
  }
  char msg[512];
  bool any = false;
  if (!src) {
    err_val(&a, false, "no consumer component in the request (no source-id header)", &res);
  } else if (!(l = link_get(pv, src, ident, &any)) && !(l = link_get(pv, src, ln, &any))) {
    if (any) snprintf(msg, sizeof msg, "no link `%s` from %s to this provider", ln, src);
    else snprintf(msg, sizeof msg, "consumer component not linked: %s", src);
    err_val(&a, false, msg, &res);
  } else if (strcmp(l->name, ident) && pv->b->accepts && !pv->b->accepts(l->config, l->name, ident)) {
    err_val(&a, true, NULL, &res);
  } else {
    void *s;
    lat_cval_t *ok = NULL;
    lat_error_t e2;
    lat_error_clear(&e2);
    st = link_state(pv, l, &s, &e2);
    if (!st) st = run(pv, f->op, s, args, &a, &ok, &e2);
    if (st == LAT_EMALFORMED) {
      lat_error_set(err, st, SIZE_MAX, "%s", e2.msg);
      goto out;
    }
    if (st) err_val(&a, false, e2.msg, &res);
    else res = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0, .payload = ok}};
  }
  st = lat_wrpc_encode_values(&res, &f->result, 1, results, err);
out:
  link_release(pv, l);
  lat_arena_fini(&a);
  return st;
}

/* ---- main -------------------------------------------------------------------------- */

/* The function types from the WIT, into pv->fns (types live in l). */
static lat_status load_types(prov_t *pv, lat_clinker_t *l, lat_error_t *err) {
  lat_status st = lat_clinker_add_wit(l, WRPC_KV_WIT, sizeof WRPC_KV_WIT - 1, err);
  for (size_t i = 0; !st && i < NFNS; i++) {
    char inst[64];
    snprintf(inst, sizeof inst, "wrpc:keyvalue/%s" KV_VER, FNS[i].iface);
    const lat_ctype_t *it = lat_clinker_instance_type(l, lat_clinker_find(l, inst)), *ft = NULL;
    for (uint32_t k = 0; it && k < it->n; k++)
      if (it->u.decls[k].sort == LAT_CSORT_FUNC && !strcmp(it->u.decls[k].name.full, FNS[i].func))
        ft = it->u.decls[k].type;
    if (!ft || ft->n < 2 || ft->n > 3 || !ft->result)
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "no %s.%s in the WIT", inst, FNS[i].func);
    fn_t *f = &pv->fns[i];
    f->pv = pv;
    f->op = FNS[i].op;
    f->n = ft->n;
    for (uint32_t k = 0; k < ft->n; k++) f->pts[k] = ft->u.fields[k].type;
    f->result = ft->result;
  }
  return st;
}

int lat__kv_provider_main(const lat__kv_backend_t *b) {
  setvbuf(stderr, NULL, _IOLBF, 0);
  prov_t pv = {.b = b, .defaults = json_object()};
  pthread_mutex_init(&pv.mu, NULL);
  lat_error_t err;
  lat_error_clear(&err);
  lat_clinker_t *types = NULL;
  int rc = 1;
  if (lat_clinker_new(&types) || load_types(&pv, types, &err)) {
    fprintf(stderr, "%s: %s\n", b->name, err.msg[0] ? err.msg : "out of memory");
    goto out;
  }
  /* the links HostData carries are delivered inside lat_provider_new: the
   * defaults must be known before, so they are read again after (a link's
   * state is made at its first call, which comes after both) */
  lat_provider_opts_t o = {.on_link_put = on_put, .on_link_del = on_del, .ctx = &pv,
                           .wrpc_workers = KV_WORKERS};
  if (lat_provider_new(&o, &pv.p, &err)) {
    fprintf(stderr, "%s: %s\n", b->name, err.msg);
    goto out;
  }
  json_t *cfg = json_object_get(lat_provider_host_data(pv.p), "config");
  pthread_mutex_lock(&pv.mu);
  if (json_is_object(cfg)) {
    json_object_update(pv.defaults, cfg);
    for (link_t *l = pv.links; l; l = l->next) { /* the link's own keys win */
      json_t *merged = json_deep_copy(cfg);
      if (merged && !json_object_update(merged, l->config)) {
        json_decref(l->config);
        l->config = merged;
      } else {
        json_decref(merged);
      }
    }
  }
  pthread_mutex_unlock(&pv.mu);
  for (size_t i = 0; i < NFNS; i++) {
    char inst[64];
    snprintf(inst, sizeof inst, "wrpc:keyvalue/%s" KV_VER, FNS[i].iface);
    if (lat_provider_serve_typed(pv.p, inst, FNS[i].func, pv.fns[i].pts, pv.fns[i].n, handle,
                                 &pv.fns[i], &err)) {
      fprintf(stderr, "%s: %s\n", b->name, err.msg);
      goto out;
    }
  }
  fprintf(stderr, "%s: serving wrpc:keyvalue store, atomics, batch as %s\n", b->name,
          lat_provider_id(pv.p));
  lat_provider_wait(pv.p);
  fprintf(stderr, "%s: shutting down\n", b->name);
  rc = 0;
out:
  lat_provider_free(pv.p); /* no call runs after this */
  while (pv.links) {
    link_t *l = pv.links;
    pv.links = l->next;
    link_release(&pv, l);
  }
  json_decref(pv.defaults);
  lat_clinker_free(types);
  pthread_mutex_destroy(&pv.mu);
  lat_lattice_library_close(2000);
  return rc;
}
