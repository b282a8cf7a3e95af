/* host_keyvalue.c: wasi:keyvalue (store, atomics, batch @0.2.0-draft) for
 * components on a lattice host, forwarded to a linked provider over wRPC as
 * wasmCloud 1.x does (PROTOCOL.md §4.5, §14.2).
 *
 * Only a component that imports a wasi:keyvalue interface gets these: the
 * WIT below is parsed into its linker when it is linked, and no other
 * component pays for the parse or the instances.
 *
 * open(identifier) makes a bucket handle and calls nobody (as wasmCloud's
 * host): the rep indexes the identifiers the running invocation has opened
 * (lat__host_inv_t.buckets, freed when the invocation ends; a fresh
 * instance runs per invocation, so per invocation is per instance).  Every
 * other function looks up the link at call time, like the custom
 * forwarders in host_links.c: source = the calling component, wasi:keyvalue,
 * the interface (store, atomics or batch), the current link name (default,
 * or what wasmcloud:bus set).  No link: the guest traps with wasmCloud's
 * "link `default` not found for instance wasi:keyvalue/store" (wasmCloud's
 * shim propagates the failed invoke as a trap, not as error::other; an
 * HTTP request gets a 500).  With a link the call goes to the target as
 * wrpc:keyvalue/{store,atomics,batch}@0.2.0-draft.FUNCTION with the bucket
 * handle replaced by its identifier string (wrpc:keyvalue takes `bucket:
 * string` first), headers source-id and link-name, bounded by the host's
 * rpc timeout.  A transport failure or an empty result stream (the provider
 * refused or failed) traps too; the provider's own errors come back as the
 * interface's error variant and reach the guest as such.
 *
 * Parameters and results go through the generic codec with the types of
 * the WIT parsed here, by the custom forwarders' remote path
 * (lat__host_wrpc_call): the wRPC function type is the WIT function's with
 * the borrow<bucket> replaced by string (made once, at link time); the
 * result types are the same on both sides (the error variant has the same
 * cases).
 *
 * Rejected: a round trip at open to check the identifier (wasmCloud makes
 * none; the provider answers no-such-store on first use); a hand-written
 * encoder per function (the codec already has the types).
 */
#include <stdio.h>
#include <string.h>

#include "host_int.h"

#define KV_VER "@0.2.0-draft"
#define KV_MAX_BUCKETS 256 /* open buckets per invocation */
#define KV_MAX_IDENT 1024  /* bytes of an identifier */

static const char KV_WIT[] =
    "package wasi:keyvalue@0.2.0-draft;\n"
    "interface store {\n"
    "  variant error { no-such-store, access-denied, other(string) }\n"
    "  record key-response { keys: list<string>, cursor: option<u64> }\n"
    "  resource bucket {\n"
    "    get: func(key: string) -> result<option<list<u8>>, error>;\n"
    "    set: func(key: string, value: list<u8>) -> result<_, error>;\n"
    "    delete: func(key: string) -> result<_, error>;\n"
    "    exists: func(key: string) -> result<bool, error>;\n"
    "    list-keys: func(cursor: option<u64>) -> result<key-response, error>;\n"
    "  }\n"
    "  open: func(identifier: string) -> result<bucket, error>;\n"
    "}\n"
    "interface atomics {\n"
    "  use store.{bucket, error};\n"
    "  increment: func(bucket: borrow<bucket>, key: string, delta: u64) -> result<u64, error>;\n"
    "}\n"
    "interface batch {\n"
    "  use store.{bucket, error};\n"
    "  get-many: func(bucket: borrow<bucket>, keys: list<string>)\n"
    "      -> result<list<option<tuple<string, list<u8>>>>, error>;\n"
    "  set-many: func(bucket: borrow<bucket>, key-values: list<tuple<string, list<u8>>>)\n"
    "      -> result<_, error>;\n"
    "  delete-many: func(bucket: borrow<bucket>, keys: list<string>) -> result<_, error>;\n"
    "}\n";

/* One forwarded function (in the linker's arena). */
typedef struct {
  const char *iface;    /* store, atomics, batch: the link's interface */
  const char *instance; /* wrpc:keyvalue/IFACE@0.2.0-draft */
  const char *func;     /* the wRPC function: get, list-keys, increment ... */
  const lat_ctype_t *ft; /* the wRPC function type: the WIT's, bucket a string */
} kvfn_t;

typedef struct {
  uint32_t rtype; /* the bucket resource's id in this linker */
} kvopen_t;

static lat_status trap_oom(lat_chost_call_t *c) {
  return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:keyvalue: out of memory");
}

static lat_status kv_open(lat_chost_call_t *c, void *env, const lat_cval_t *args, uint32_t nargs,
                          lat_cval_t *result) {
  kvopen_t *o = env;
  (void)nargs;
  lat__host_inv_t *inv = lat__host_inv_current();
  if (!inv) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:keyvalue: no lattice host");
  const lat_cval_t *id = &args[0];
  lat_arena_t *a = lat_chost_call_arena(c);
  if (id->of.str.len > KV_MAX_IDENT || inv->nbuckets == KV_MAX_BUCKETS) {
    /* error::other(...) */
    lat_cval_t *e = lat_arena_alloc(a, sizeof *e), *s = lat_arena_alloc(a, sizeof *s);
    if (!e || !s) return trap_oom(c);
    static const char msg[] = "too many open buckets, or the identifier is too long";
    *s = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {msg, sizeof msg - 1}};
    *e = (lat_cval_t){.kind = LAT_CT_VARIANT, .of.var = {.disc = 2, .payload = s}};
    *result = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 1, .payload = e}};
    return LAT_OK;
  }
  /* a free slot (reps are slot + 1), else a new one */
  uint32_t slot = 0;
  while (slot < inv->nbuckets && inv->buckets[slot]) slot++;
  if (slot == inv->nbuckets) {
    char **nb = lat_realloc(inv->buckets, (inv->nbuckets + 1) * sizeof *nb);
    if (!nb) return trap_oom(c);
    inv->buckets = nb;
    nb[inv->nbuckets++] = NULL;
  }
  if (!(inv->buckets[slot] = lat_strndup(id->of.str.ptr, id->of.str.len))) return trap_oom(c);
  lat_cval_t *h = lat_arena_alloc(a, sizeof *h);
  if (!h) return trap_oom(c);
  *h = (lat_cval_t){.kind = LAT_CT_OWN,
                    .of.handle = {.rep = slot + 1, .rt = lat_chost_call_rtype(c, o->rtype)}};
  *result = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0, .payload = h}};
  return LAT_OK;
}

/* The guest dropped a bucket (runs inside the invocation that opened it;
 * an instance freed with handles left runs no destructors). */
static void kv_bucket_drop(void *data, void *env, uint32_t rep) {
  (void)data, (void)env;
  lat__host_inv_t *inv = lat__host_inv_current();
  if (!inv || !rep || rep > inv->nbuckets) return;
  lat_free(inv->buckets[rep - 1]);
  inv->buckets[rep - 1] = NULL;
}

static lat_status kv_call(lat_chost_call_t *c, void *env, const lat_cval_t *args, uint32_t nargs,
                          lat_cval_t *result) {
  kvfn_t *f = env;
  lat__host_inv_t *inv = lat__host_inv_current();
  if (!inv) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:keyvalue: no lattice host");
  if (nargs != f->ft->n)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "%s.%s: %u arguments, want %u", f->instance,
                               f->func, nargs, f->ft->n);
  uint32_t rep = args[0].of.handle.rep;
  if (!rep || rep > inv->nbuckets || !inv->buckets[rep - 1])
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:keyvalue: unknown bucket %u", rep);
  const char *ident = inv->buckets[rep - 1];
  lat_host_t *h = inv->h;
  const char *link_name = lat__host_link_name(inv, "wasi", "keyvalue", f->iface);
  char target[256] = "";
  pthread_mutex_lock(&h->mu);
  bool found = lat__host_has_link(h, inv->source, "wasi", "keyvalue", f->iface, link_name, target,
                                  sizeof target);
  pthread_mutex_unlock(&h->mu);
  if (!found)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                               "link `%s` not found for instance wasi:keyvalue/%s", link_name,
                               f->iface);
  /* the bucket handle becomes its identifier; the rest is the custom
   * forwarders' remote path (encode, invoke with source-id and link-name,
   * decode into the caller's arena, trap on failure) */
  lat_cval_t *vals = lat_arena_array(lat_chost_call_arena(c), nargs, sizeof *vals);
  if (!vals) return trap_oom(c);
  vals[0] = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {ident, (uint32_t)strlen(ident)}};
  for (uint32_t i = 1; i < nargs; i++) vals[i] = args[i];
  return lat__host_wrpc_call(h, c, inv->source, link_name, target, f->instance, f->func, f->ft,
                             vals, result);
}

/* The function type `name` of linker instance idx, or NULL. */
static const lat_ctype_t *func_type(lat_clinker_t *l, uint32_t idx, const char *name) {
  const lat_ctype_t *it = lat_clinker_instance_type(l, idx);
  for (uint32_t k = 0; it && k < it->n; k++) {
    const lat_cextern_t *d = &it->u.decls[k];
    if (d->sort == LAT_CSORT_FUNC && !strcmp(d->name.full, name)) return d->type;
  }
  return NULL;
}

static lat_status forward(lat_clinker_t *l, const char *iface, const char *wit_name,
                          const char *wrpc_name, lat_error_t *err) {
  char inst[64], wrpc[64];
  snprintf(inst, sizeof inst, "wasi:keyvalue/%s" KV_VER, iface);
  snprintf(wrpc, sizeof wrpc, "wrpc:keyvalue/%s" KV_VER, iface);
  uint32_t idx = lat_clinker_find(l, inst);
  const lat_ctype_t *ft = idx == UINT32_MAX ? NULL : func_type(l, idx, wit_name);
  if (!ft || !ft->n || !ft->result)
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "%s has no function %s", inst, wit_name);
  lat_arena_t *a = lat_clinker_arena(l);
  kvfn_t *f = lat_arena_alloc(a, sizeof *f);
  char *in = lat_arena_alloc(a, strlen(wrpc) + 1);
  lat_cfield_t *ps = lat_arena_array(a, ft->n, sizeof *ps);
  if (!f || !in || !ps) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  memcpy(in, wrpc, strlen(wrpc) + 1);
  ps[0] = (lat_cfield_t){"bucket", lat_ctype_prim(LAT_CT_STRING)};
  for (uint32_t i = 1; i < ft->n; i++) ps[i] = ft->u.fields[i];
  lat_ctype_builder_t b = {.arena = a, .err = err};
  if (!(f->ft = lat_ctype_func(&b, ps, ft->n, ft->result)))
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "cannot make the wRPC type of %s", wit_name);
  f->iface = iface; /* static strings */
  f->instance = in;
  f->func = wrpc_name;
  return lat_clinker_func(l, idx, wit_name, kv_call, f, err);
}

static bool imports_keyvalue(const lat_component_t *c) {
  for (uint32_t i = 0; i < lat_component_import_count(c); i++) {
    const lat_cname_t *n = &lat_component_import(c, i)->name;
    if (n->kind == LAT_CNAME_INTERFACE && !strcmp(n->ns, "wasi") && !strcmp(n->pkg, "keyvalue"))
      return true;
  }
  return false;
}

lat_status lat__host_keyvalue_link(lat_clinker_t *l, const lat_component_t *c, lat_error_t *err) {
  if (!imports_keyvalue(c)) return LAT_OK;
  static const struct {
    const char *iface, *wit, *wrpc;
  } fns[] = {
      {"store", "[method]bucket.get", "get"},
      {"store", "[method]bucket.set", "set"},
      {"store", "[method]bucket.delete", "delete"},
      {"store", "[method]bucket.exists", "exists"},
      {"store", "[method]bucket.list-keys", "list-keys"},
      {"atomics", "increment", "increment"},
      {"batch", "get-many", "get-many"},
      {"batch", "set-many", "set-many"},
      {"batch", "delete-many", "delete-many"},
  };
  lat_status st = lat_clinker_add_wit(l, KV_WIT, sizeof KV_WIT - 1, err);
  if (st) return st;
  kvopen_t *o = lat_arena_alloc(lat_clinker_arena(l), sizeof *o);
  if (!o) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  const char *store = "wasi:keyvalue/store" KV_VER;
  if (!lat_clinker_resource_find(l, store, "bucket", &o->rtype))
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "no bucket in %s", store);
  if ((st = lat_clinker_resource_dtor(l, o->rtype, kv_bucket_drop, NULL))) return st;
  if ((st = lat_clinker_func(l, lat_clinker_find(l, store), "open", kv_open, o, err))) return st;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if ((st = forward(l, fns[i].iface, fns[i].wit, fns[i].wrpc, err))) return st;
  return LAT_OK;
}
