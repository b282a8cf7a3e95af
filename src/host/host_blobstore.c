/* host_blobstore.c: wasi:blobstore (blobstore, container, types
 * @0.2.0-draft) for components on a lattice host, forwarded to a linked
 * provider over wRPC as wrpc:blobstore/blobstore@0.2.0, as wasmCloud 1.x's
 * host does (PROTOCOL.md §4.5, §14.2).
 *
 * Only a component that imports a wasi:blobstore interface gets these: the
 * WIT below is read into its linker when it is linked (its `use` of
 * wasi:io/streams resolves to the WASI instances already there).
 *
 * Resources live per invocation (lat__host_inv_t.blob, freed when the
 * invocation ends, after its instance; a fresh instance runs per
 * invocation): a container is its name (create-container and get-container
 * make one after a round trip, as wasmCloud's: create-container, or
 * container-exists then "container does not exist"); an incoming-value is
 * the object's bytes, fetched whole by get-data; a stream-object-names is
 * the whole listing, fetched by list-objects; an outgoing-value collects
 * what the guest writes to its output-stream (any time before finish) and
 * write-data only names where it goes: finish sends it all in one
 * write-container-data call and returns the provider's verdict.  A value
 * dropped without finish writes nothing (the WIT calls it corrupted).
 * wasi:io streams over this memory come from src/wasi (lat_wasi_p2_input_mem,
 * lat_wasi_p2_output_mem).
 *
 * Every forwarded call looks up the link at call time, like host_keyvalue.c:
 * source = the calling component, wasi:blobstore, interface blobstore (the
 * one wasmCloud looks under for all three interfaces), the current link
 * name.  No link: the guest traps with wasmCloud's "link `default` not
 * found for instance wasi:blobstore/blobstore".  With one, the call goes to
 * the target with headers source-id and link-name, bounded by the host's
 * rpc timeout (data transfers: at least BLOB_DATA_TIMEOUT_MS).  A transport
 * failure or an empty result stream (the provider refused or failed) traps;
 * the provider's own errors are the interface's error strings.
 *
 * Streams and futures (list-container-objects, get-container-data,
 * write-container-data) travel on their nested paths through the codec's
 * async functions; the host buffers them whole.  Bounds: the bytes an
 * invocation holds (fetched data, written data, listed names) are capped at
 * BLOB_BUDGET, and its live and dead resources at BLOB_MAX_OBJS: memory is
 * only given back when the invocation ends, because an input-stream may
 * still read the bytes of a consumed incoming-value.
 *
 * Rejected: streaming chunk by chunk (the transport buffers whole streams
 * today, like wasi:http over wRPC); the @0.1.0 fallback wasmCloud tries
 * when nothing serves @0.2.0 (no 0.1.0 provider exists here).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../wasi/wasi.h"
#include "host_int.h"

#define BS_VER "@0.2.0-draft"
#define BLOB_BUDGET (64ull << 20)      /* bytes held per invocation */
#define BLOB_MAX_OBJS 4096u            /* resources made per invocation */
#define BLOB_DATA_TIMEOUT_MS 10000u    /* floor for get-data / finish */
#define BLOB_MAX_RESULTS ((size_t)(BLOB_BUDGET + (1u << 20)))

static const char BS_WIT[] =
    "package wasi:blobstore@0.2.0-draft;\n"
    "interface types {\n"
    "  use wasi:io/streams@0.2.12.{input-stream, output-stream};\n"
    "  type container-name = string;\n"
    "  type object-name = string;\n"
    "  type timestamp = u64;\n"
    "  type object-size = u64;\n"
    "  type error = string;\n"
    "  record container-metadata { name: container-name, created-at: timestamp }\n"
    "  record object-metadata {\n"
    "    name: object-name, container: container-name, created-at: timestamp, size: object-size\n"
    "  }\n"
    "  record object-id { container: container-name, object: object-name }\n"
    "  type incoming-value-async-body = input-stream;\n"
    "  type incoming-value-sync-body = list<u8>;\n"
    "  resource outgoing-value {\n"
    "    new-outgoing-value: static func() -> outgoing-value;\n"
    "    outgoing-value-write-body: func() -> result<output-stream>;\n"
    "    finish: static func(this: outgoing-value) -> result<_, error>;\n"
    "  }\n"
    "  resource incoming-value {\n"
    "    incoming-value-consume-sync: static func(this: incoming-value)\n"
    "        -> result<incoming-value-sync-body, error>;\n"
    "    incoming-value-consume-async: static func(this: incoming-value)\n"
    "        -> result<incoming-value-async-body, error>;\n"
    "    size: func() -> u64;\n"
    "  }\n"
    "}\n"
    "interface container {\n"
    "  use wasi:io/streams@0.2.12.{input-stream, output-stream};\n"
    "  use types.{container-metadata, error, incoming-value, object-metadata, object-name,\n"
    "             outgoing-value};\n"
    "  resource container {\n"
    "    name: func() -> result<string, error>;\n"
    "    info: func() -> result<container-metadata, error>;\n"
    "    get-data: func(name: object-name, start: u64, end: u64) -> result<incoming-value, error>;\n"
    "    write-data: func(name: object-name, data: borrow<outgoing-value>) -> result<_, error>;\n"
    "    list-objects: func() -> result<stream-object-names, error>;\n"
    "    delete-object: func(name: object-name) -> result<_, error>;\n"
    "    delete-objects: func(names: list<object-name>) -> result<_, error>;\n"
    "    has-object: func(name: object-name) -> result<bool, error>;\n"
    "    object-info: func(name: object-name) -> result<object-metadata, error>;\n"
    "    clear: func() -> result<_, error>;\n"
    "  }\n"
    "  resource stream-object-names {\n"
    "    read-stream-object-names: func(len: u64) -> result<tuple<list<object-name>, bool>, error>;\n"
    "    skip-stream-object-names: func(num: u64) -> result<tuple<u64, bool>, error>;\n"
    "  }\n"
    "}\n"
    "interface blobstore {\n"
    "  use container.{container};\n"
    "  use types.{error, container-name, object-id};\n"
    "  create-container: func(name: container-name) -> result<container, error>;\n"
    "  get-container: func(name: container-name) -> result<container, error>;\n"
    "  delete-container: func(name: container-name) -> result<_, error>;\n"
    "  container-exists: func(name: container-name) -> result<bool, error>;\n"
    "  copy-object: func(src: object-id, dest: object-id) -> result<_, error>;\n"
    "  move-object: func(src: object-id, dest: object-id) -> result<_, error>;\n"
    "}\n";

/* What every function shares (in the linker's arena). */
typedef struct {
  lat_wrpc_blob_types_t t;
  uint32_t container, outgoing, incoming, names; /* resource ids */
  uint32_t input, output;                        /* wasi:io's */
} benv_t;

enum { B_FREE, B_CONTAINER, B_OUT, B_IN, B_NAMES };

typedef struct {
  uint8_t kind;
  char *name;            /* CONTAINER: its name */
  lat_wasi_sink_t *sink; /* OUT: what the guest wrote (owned) */
  bool body_taken;       /* OUT: write-body ran */
  char *dest_c, *dest_o; /* OUT: write-data's container and object */
  uint8_t *data;         /* IN: the bytes (owned) */
  size_t len;
  lat_cval_t *names;     /* NAMES: string values, their bytes owned */
  uint32_t nnames, pos;
} bobj_t;

struct lat__host_blob {
  bobj_t **o;      /* o[rep - 1] (each its own allocation, so a pointer to
                      one stays good); kept until the invocation ends */
  uint32_t n, cap;
  uint64_t budget; /* bytes this invocation may still hold */
};

void lat__host_blob_free(lat__host_blob_t *b) {
  if (!b) return;
  for (uint32_t i = 0; i < b->n; i++) {
    bobj_t *o = b->o[i];
    lat_free(o->name);
    lat_free(o->dest_c);
    lat_free(o->dest_o);
    lat_free(o->data);
    if (o->sink) lat_buf_fini(&o->sink->buf);
    lat_free(o->sink);
    for (uint32_t k = 0; k < o->nnames; k++) lat_free((void *)o->names[k].of.str.ptr);
    lat_free(o->names);
    lat_free(o);
  }
  lat_free(b->o);
  lat_free(b);
}

/* ---- helpers -------------------------------------------------------------------------- */

#define AR lat_chost_call_arena(c)

static lat_status oom(lat_chost_call_t *c) {
  return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:blobstore: out of memory");
}

static lat__host_inv_t *inv_of(lat_chost_call_t *c) {
  lat__host_inv_t *inv = lat__host_inv_current();
  if (!inv) lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:blobstore: no lattice host");
  return inv;
}

static lat_cval_t *val(lat_chost_call_t *c) { return lat_arena_alloc(AR, sizeof(lat_cval_t)); }

/* result::err(msg) */
static lat_status err_result(lat_chost_call_t *c, lat_cval_t *r, const char *msg) {
  lat_cval_t *s = val(c);
  size_t n = strlen(msg);
  char *p = lat_arena_alloc(AR, n + 1);
  if (!s || !p) return oom(c);
  memcpy(p, msg, n + 1);
  *s = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {p, (uint32_t)n}};
  *r = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 1, .payload = s}};
  return LAT_OK;
}

static void ok_result(lat_cval_t *r, lat_cval_t *payload) {
  *r = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0, .payload = payload}};
}

static lat_cval_t str_of(const char *s) {
  return (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {s, (uint32_t)strlen(s)}};
}

/* A new object of kind, or NULL (trapped). */
static bobj_t *obj_new(lat_chost_call_t *c, lat__host_inv_t *inv, uint8_t kind, uint32_t *rep) {
  if (!inv->blob) {
    if (!(inv->blob = lat_calloc(1, sizeof *inv->blob))) return oom(c), NULL;
    inv->blob->budget = BLOB_BUDGET;
  }
  lat__host_blob_t *b = inv->blob;
  if (b->n == BLOB_MAX_OBJS) {
    lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:blobstore: more than %u resources in one call",
                        BLOB_MAX_OBJS);
    return NULL;
  }
  if (b->n == b->cap) {
    uint32_t nc = b->cap ? b->cap * 2 : 16;
    bobj_t **v = lat_realloc(b->o, nc * sizeof *v);
    if (!v) return oom(c), NULL;
    b->o = v;
    b->cap = nc;
  }
  bobj_t *o = lat_calloc(1, sizeof *o);
  if (!o) return oom(c), NULL;
  b->o[b->n++] = o;
  o->kind = kind;
  *rep = b->n;
  return o;
}

static bobj_t *obj_get(lat__host_inv_t *inv, uint32_t rep, uint8_t kind) {
  lat__host_blob_t *b = inv->blob;
  if (!b || !rep || rep > b->n || b->o[rep - 1]->kind != kind) return NULL;
  return b->o[rep - 1];
}

static lat_status bad_handle(lat_chost_call_t *c, uint32_t rep) {
  return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:blobstore: unknown handle %u", rep);
}

/* Takes n bytes from the invocation's budget; false when it has run out. */
static bool take_budget(lat__host_inv_t *inv, uint64_t n) {
  if (n > inv->blob->budget) return false;
  inv->blob->budget -= n;
  return true;
}

static lat_cval_t *own(lat_chost_call_t *c, uint32_t rtype, uint32_t rep) {
  lat_cval_t *v = val(c);
  if (v)
    *v = (lat_cval_t){.kind = LAT_CT_OWN,
                      .of.handle = {.rep = rep, .rt = lat_chost_call_rtype(c, rtype)}};
  return v;
}

/* ok(own<rtype> rep) */
static lat_status ok_own(lat_chost_call_t *c, lat_cval_t *r, uint32_t rtype, uint32_t rep) {
  lat_cval_t *h = own(c, rtype, rep);
  if (!h) return oom(c);
  ok_result(r, h);
  return LAT_OK;
}

/* The destructors: the slot is dead, its memory stays until the end. */
static void obj_drop(void *data, void *env, uint32_t rep) {
  (void)data, (void)env;
  lat__host_inv_t *inv = lat__host_inv_current();
  if (inv && inv->blob && rep && rep <= inv->blob->n) inv->blob->o[rep - 1]->kind = B_FREE;
}

/* ---- the wRPC call ---------------------------------------------------------------------- */

/* The link for the running component's wasi:blobstore calls: its name,
 * its target in target[0..cap); traps and returns NULL when there is none. */
static const char *link_of(lat_chost_call_t *c, lat__host_inv_t *inv, char *target, size_t cap) {
  lat_host_t *h = inv->h;
  const char *name = lat__host_link_name(inv, "wasi", "blobstore", "blobstore");
  pthread_mutex_lock(&h->mu);
  bool found = lat__host_has_link(h, inv->source, "wasi", "blobstore", "blobstore", name, target,
                                  cap);
  pthread_mutex_unlock(&h->mu);
  if (found) return name;
  lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                      "link `%s` not found for instance wasi:blobstore/blobstore", name);
  return NULL;
}

/* Calls wrpc:blobstore's function fi with vals on the linked provider;
 * *out gets its one result, decoded into the call's arena.  Traps on no
 * link, a transport failure or an empty result stream. */
static lat_status call(lat_chost_call_t *c, const benv_t *e, lat__host_inv_t *inv,
                       lat_wrpc_blob_fn fi, const lat_cval_t *vals, lat_cval_t *out) {
  const lat_wrpc_blob_func_t *f = &e->t.fns[fi];
  lat_host_t *h = inv->h;
  char target[256] = "";
  const char *link_name = link_of(c, inv, target, sizeof target);
  if (!link_name) return LAT_TRAP;
  lat_buf_t root;
  lat_wrpc_asyncs_t ap;
  lat_wrpc_results_t res;
  lat_buf_init(&root);
  lat_wrpc_asyncs_init(&ap);
  memset(&res, 0, sizeof res);
  lat_error_t err;
  lat_error_clear(&err);
  lat_status st = lat_wrpc_encode_values_async(vals, f->params, f->nparams, &root, &ap, &err);
  if (st) {
    lat_buf_fini(&root);
    lat_wrpc_asyncs_fini(&ap);
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "%s.%s: %s", LAT_WRPC_BLOBSTORE, f->name,
                               err.msg);
  }
  uint32_t timeout = h->rpc_timeout_ms;
  if ((fi == LAT_WBLOB_GET_CONTAINER_DATA || fi == LAT_WBLOB_WRITE_CONTAINER_DATA) &&
      timeout < BLOB_DATA_TIMEOUT_MS)
    timeout = BLOB_DATA_TIMEOUT_MS;
  const lat_lattice_header_t hdrs[] = {{"source-id", inv->source}, {"link-name", link_name}};
  lat_wrpc_invoke_opts_t io = {.headers = hdrs,
                               .nheaders = 2,
                               .timeout_ms = timeout,
                               .max_results = BLOB_MAX_RESULTS,
                               .async_params = ap.items,
                               .nasync_params = ap.n,
                               .result_types = &f->result,
                               .nresult_types = 1};
  st = lat_wrpc_invoke_ex(h->rpc, h->lattice, target, LAT_WRPC_BLOBSTORE, f->name, root.data,
                          root.len, &io, &res, &err);
  lat_buf_fini(&root);
  lat_wrpc_asyncs_fini(&ap);
  if (st == LAT_ENOTFOUND)
    st = lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                             "link target %s runs on no host of the lattice (nothing serves "
                             "%s.%s)", target, LAT_WRPC_BLOBSTORE, f->name);
  else if (st)
    st = lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "call to %s (%s.%s) over wRPC failed: %s",
                             target, LAT_WRPC_BLOBSTORE, f->name, err.msg);
  else if (!res.root.len)
    st = lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                             "call to %s (%s.%s) failed on its host (refused or failed: see "
                             "the provider's log)", target, LAT_WRPC_BLOBSTORE, f->name);
  else if ((st = lat_wrpc_decode_values_async(res.root.data, res.root.len, res.asyncs.items,
                                              res.asyncs.n, &f->result, 1, AR, out, &err)))
    st = lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "call to %s (%s.%s): bad results: %s", target,
                             LAT_WRPC_BLOBSTORE, f->name, err.msg);
  lat_wrpc_results_fini(&res);
  return st;
}

/* An object-id record value {container, object} in the call's arena. */
static lat_cval_t *object_id(lat_chost_call_t *c, const char *container, const lat_cval_t *object) {
  lat_cval_t *rec = lat_arena_array(AR, 3, sizeof *rec);
  if (!rec) return NULL;
  rec[0] = str_of(container);
  rec[1] = *object;
  rec[2] = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {.v = rec, .n = 2}};
  return &rec[2];
}

/* The stream's elements (a LIST) of a stream call's ok(tuple<stream,
 * future<result<_, string>>>), or NULL with the call's error or the
 * status's error in *r, as the guest's result. */
static const lat_cval_t *stream_ok(const lat_cval_t *res, lat_cval_t *r) {
  if (res->of.var.disc) {
    *r = *res; /* err(string) */
    return NULL;
  }
  const lat_cval_t *tup = res->of.var.payload;
  const lat_cval_t *stream = &tup->of.list.v[0], *status = &tup->of.list.v[1];
  const lat_cval_t *sr = status->of.var.payload; /* result<_, string> */
  if (sr && sr->of.var.disc) {
    *r = *sr;
    return NULL;
  }
  return stream->of.var.payload;
}

/* ---- blobstore ------------------------------------------------------------------------- */

/* A container handle for name (ok), or err when the call said no. */
static lat_status container_result(lat_chost_call_t *c, const benv_t *e, lat__host_inv_t *inv,
                                   const lat_cval_t *name, lat_cval_t *r) {
  uint32_t rep;
  bobj_t *o = obj_new(c, inv, B_CONTAINER, &rep);
  if (!o) return LAT_TRAP;
  if (!(o->name = lat_strndup(name->of.str.ptr, name->of.str.len))) return oom(c);
  return ok_own(c, r, e->container, rep);
}

static lat_status bs_create(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                            lat_cval_t *r) {
  (void)na;
  lat__host_inv_t *inv = inv_of(c);
  if (!inv) return LAT_TRAP;
  lat_cval_t res;
  lat_status st = call(c, env, inv, LAT_WBLOB_CREATE_CONTAINER, a, &res);
  if (st) return st;
  if (res.of.var.disc) return *r = res, LAT_OK;
  return container_result(c, env, inv, &a[0], r);
}

static lat_status bs_get(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                         lat_cval_t *r) {
  (void)na;
  lat__host_inv_t *inv = inv_of(c);
  if (!inv) return LAT_TRAP;
  lat_cval_t res;
  lat_status st = call(c, env, inv, LAT_WBLOB_CONTAINER_EXISTS, a, &res);
  if (st) return st;
  if (res.of.var.disc) return *r = res, LAT_OK;
  if (!res.of.var.payload->of.b) return err_result(c, r, "container does not exist");
  return container_result(c, env, inv, &a[0], r);
}

/* Functions whose params and result are the same on both sides. */
#define PASS(fn, wfn)                                                                     \
  static lat_status fn(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na, \
                       lat_cval_t *r) {                                                  \
    (void)na;                                                                            \
    lat__host_inv_t *inv = inv_of(c);                                                    \
    return inv ? call(c, env, inv, wfn, a, r) : LAT_TRAP;                                \
  }
PASS(bs_delete, LAT_WBLOB_DELETE_CONTAINER)
PASS(bs_exists, LAT_WBLOB_CONTAINER_EXISTS)
PASS(bs_copy, LAT_WBLOB_COPY_OBJECT)
PASS(bs_move, LAT_WBLOB_MOVE_OBJECT)

/* ---- container -------------------------------------------------------------------------- */

/* The object of kind a method's first argument (its self, or `this`)
 * names, or NULL (trapped). */
static bobj_t *self_obj(lat_chost_call_t *c, lat__host_inv_t **inv, const lat_cval_t *a,
                        uint8_t kind) {
  if (!(*inv = inv_of(c))) return NULL;
  bobj_t *o = obj_get(*inv, a[0].of.handle.rep, kind);
  if (!o) bad_handle(c, a[0].of.handle.rep);
  return o;
}

static lat_status ct_name(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                          lat_cval_t *r) {
  (void)env, (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  lat_cval_t *s = val(c);
  if (!s) return oom(c);
  *s = str_of(o->name);
  ok_result(r, s);
  return LAT_OK;
}

static lat_status ct_info(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                          lat_cval_t *r) {
  (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  lat_cval_t arg = str_of(o->name), res;
  lat_status st = call(c, env, inv, LAT_WBLOB_GET_CONTAINER_INFO, &arg, &res);
  if (st) return st;
  if (res.of.var.disc) return *r = res, LAT_OK;
  /* {created-at} -> {name, created-at} */
  lat_cval_t *rec = lat_arena_array(AR, 3, sizeof *rec);
  if (!rec) return oom(c);
  rec[0] = str_of(o->name);
  rec[1] = res.of.var.payload->of.list.v[0];
  rec[2] = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {.v = rec, .n = 2}};
  ok_result(r, &rec[2]);
  return LAT_OK;
}

static lat_status ct_get_data(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                              lat_cval_t *r) {
  (void)na;
  const benv_t *e = env;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  lat_cval_t args[3] = {{0}, a[2], a[3]}, res;
  lat_cval_t *id = object_id(c, o->name, &a[1]);
  if (!id) return oom(c);
  args[0] = *id;
  lat_status st = call(c, env, inv, LAT_WBLOB_GET_CONTAINER_DATA, args, &res);
  if (st) return st;
  const lat_cval_t *bytes = stream_ok(&res, r);
  if (!bytes) return LAT_OK;
  size_t n = bytes->of.list.n;
  if (!take_budget(inv, n)) return err_result(c, r, "the object is larger than the host allows");
  uint32_t rep;
  bobj_t *in = obj_new(c, inv, B_IN, &rep);
  if (!in) return LAT_TRAP;
  if (!(in->data = lat_malloc(n ? n : 1))) return oom(c);
  if (n) memcpy(in->data, bytes->of.list.bytes, n);
  in->len = n;
  return ok_own(c, r, e->incoming, rep);
}

static lat_status ct_write_data(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                                lat_cval_t *r) {
  (void)env, (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  bobj_t *v = obj_get(inv, a[2].of.handle.rep, B_OUT);
  if (!v) return bad_handle(c, a[2].of.handle.rep);
  /* the link is checked now, as wasmCloud's invoke at write-data would */
  char target[256];
  if (!link_of(c, inv, target, sizeof target)) return LAT_TRAP;
  if (v->dest_c) return err_result(c, r, "outgoing-value.write-data was already called");
  if (!(v->dest_c = lat_strndup(o->name, strlen(o->name))) ||
      !(v->dest_o = lat_strndup(a[1].of.str.ptr, a[1].of.str.len)))
    return oom(c);
  ok_result(r, NULL);
  return LAT_OK;
}

static lat_status ct_list(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                          lat_cval_t *r) {
  (void)na;
  const benv_t *e = env;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  lat_cval_t args[3] = {str_of(o->name), {.kind = LAT_CT_OPTION}, {.kind = LAT_CT_OPTION}}, res;
  lat_status st = call(c, env, inv, LAT_WBLOB_LIST_CONTAINER_OBJECTS, args, &res);
  if (st) return st;
  const lat_cval_t *list = stream_ok(&res, r);
  if (!list) return LAT_OK;
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < list->of.list.n; i++) bytes += list->of.list.v[i].of.str.len + 16u;
  if (!take_budget(inv, bytes)) return err_result(c, r, "the listing is larger than the host allows");
  uint32_t rep;
  bobj_t *s = obj_new(c, inv, B_NAMES, &rep);
  if (!s) return LAT_TRAP;
  uint32_t n = list->of.list.n;
  if (!(s->names = lat_calloc(n ? n : 1, sizeof *s->names))) return oom(c);
  for (uint32_t i = 0; i < n; i++) {
    const lat_cval_t *x = &list->of.list.v[i];
    char *p = lat_strndup(x->of.str.ptr, x->of.str.len);
    if (!p) return oom(c);
    s->names[s->nnames++] = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {p, x->of.str.len}};
  }
  return ok_own(c, r, e->names, rep);
}

static lat_status ct_delete_object(lat_chost_call_t *c, void *env, const lat_cval_t *a,
                                   uint32_t na, lat_cval_t *r) {
  (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  /* as wasmCloud's: delete-objects with the one name */
  lat_cval_t args[2] = {str_of(o->name),
                        {.kind = LAT_CT_LIST, .of.list = {.v = (lat_cval_t *)&a[1], .n = 1}}};
  return call(c, env, inv, LAT_WBLOB_DELETE_OBJECTS, args, r);
}

static lat_status ct_delete_objects(lat_chost_call_t *c, void *env, const lat_cval_t *a,
                                    uint32_t na, lat_cval_t *r) {
  (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  lat_cval_t args[2] = {str_of(o->name), a[1]};
  return call(c, env, inv, LAT_WBLOB_DELETE_OBJECTS, args, r);
}

static lat_status ct_has_object(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                                lat_cval_t *r) {
  (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  lat_cval_t *id = object_id(c, o->name, &a[1]);
  return id ? call(c, env, inv, LAT_WBLOB_HAS_OBJECT, id, r) : oom(c);
}

static lat_status ct_object_info(lat_chost_call_t *c, void *env, const lat_cval_t *a,
                                 uint32_t na, lat_cval_t *r) {
  (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  lat_cval_t *id = object_id(c, o->name, &a[1]), res;
  if (!id) return oom(c);
  lat_status st = call(c, env, inv, LAT_WBLOB_GET_OBJECT_INFO, id, &res);
  if (st) return st;
  if (res.of.var.disc) return *r = res, LAT_OK;
  /* {created-at, size} -> {name, container, created-at, size} */
  lat_cval_t *rec = lat_arena_array(AR, 5, sizeof *rec);
  if (!rec) return oom(c);
  rec[0] = a[1];
  rec[1] = str_of(o->name);
  rec[2] = res.of.var.payload->of.list.v[0];
  rec[3] = res.of.var.payload->of.list.v[1];
  rec[4] = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {.v = rec, .n = 4}};
  ok_result(r, &rec[4]);
  return LAT_OK;
}

static lat_status ct_clear(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                           lat_cval_t *r) {
  (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_CONTAINER);
  if (!o) return LAT_TRAP;
  lat_cval_t arg = str_of(o->name);
  return call(c, env, inv, LAT_WBLOB_CLEAR_CONTAINER, &arg, r);
}

/* read-stream-object-names(len) / skip-stream-object-names(num): at most
 * that many; the bool says the end was reached before that many (as
 * wasmCloud's, which learns of the end only by reading past it). */
static lat_status names_next(lat_chost_call_t *c, const lat_cval_t *a, lat_cval_t *r, bool skip) {
  lat__host_inv_t *inv;
  bobj_t *s = self_obj(c, &inv, a, B_NAMES);
  if (!s) return LAT_TRAP;
  uint64_t want = a[1].of.u, left = s->nnames - s->pos;
  uint32_t k = (uint32_t)(want < left ? want : left);
  lat_cval_t *tup = lat_arena_array(AR, 3, sizeof *tup);
  if (!tup) return oom(c);
  if (skip) tup[0] = (lat_cval_t){.kind = LAT_CT_U64, .of.u = k};
  else tup[0] = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.v = s->names + s->pos, .n = k}};
  tup[1] = (lat_cval_t){.kind = LAT_CT_BOOL, .of.b = want > left};
  tup[2] = (lat_cval_t){.kind = LAT_CT_TUPLE, .of.list = {.v = tup, .n = 2}};
  s->pos += k;
  ok_result(r, &tup[2]);
  return LAT_OK;
}

static lat_status nm_read(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                          lat_cval_t *r) {
  (void)env, (void)na;
  return names_next(c, a, r, false);
}

static lat_status nm_skip(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                          lat_cval_t *r) {
  (void)env, (void)na;
  return names_next(c, a, r, true);
}

/* ---- types: outgoing-value, incoming-value ------------------------------------------------ */

static lat_status ov_new(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                         lat_cval_t *r) {
  (void)a, (void)na;
  const benv_t *e = env;
  lat__host_inv_t *inv = inv_of(c);
  if (!inv) return LAT_TRAP;
  uint32_t rep;
  bobj_t *o = obj_new(c, inv, B_OUT, &rep);
  if (!o) return LAT_TRAP;
  if (!(o->sink = lat_calloc(1, sizeof *o->sink))) return oom(c);
  o->sink->budget = &inv->blob->budget;
  lat_cval_t *h = own(c, e->outgoing, rep);
  if (!h) return oom(c);
  *r = *h;
  return LAT_OK;
}

static lat_status ov_write_body(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                                lat_cval_t *r) {
  (void)na;
  const benv_t *e = env;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_OUT);
  if (!o) return LAT_TRAP;
  if (o->body_taken) { /* at most once: err(()) */
    *r = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 1}};
    return LAT_OK;
  }
  uint32_t srep;
  if (lat_wasi_p2_output_mem(lat_chost_call_data(c), o->sink, &srep))
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:blobstore: too many streams");
  o->body_taken = true;
  return ok_own(c, r, e->output, srep);
}

static lat_status ov_finish(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                            lat_cval_t *r) {
  (void)na;
  const benv_t *e = env;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_OUT);
  if (!o) return LAT_TRAP;
  o->kind = B_FREE; /* consumed (the handle is the host's now) */
  if (!o->dest_c) { /* never written anywhere: nothing to do */
    ok_result(r, NULL);
    return LAT_OK;
  }
  if (o->sink->over) return err_result(c, r, "the value is larger than the host allows");
  lat_cval_t object = str_of(o->dest_o), res;
  lat_cval_t *id = object_id(c, o->dest_c, &object), *data = val(c), *list = val(c);
  if (!id || !data || !list) return oom(c);
  *list = (lat_cval_t){.kind = LAT_CT_LIST,
                       .of.list = {.n = (uint32_t)o->sink->buf.len, .bytes = o->sink->buf.data}};
  *data = (lat_cval_t){.kind = LAT_WRPC_CT_STREAM, .of.var = {.disc = 1, .payload = list}};
  lat_cval_t args[2] = {*id, *data};
  lat_status st = call(c, e, inv, LAT_WBLOB_WRITE_CONTAINER_DATA, args, &res);
  if (st) return st;
  if (res.of.var.disc) return *r = res, LAT_OK;
  const lat_cval_t *status = res.of.var.payload->of.var.payload; /* result<_, string> */
  if (status) *r = *status;
  else ok_result(r, NULL);
  return LAT_OK;
}

/* consume-sync / consume-async take the value (the handle is the host's). */
static bobj_t *take_incoming(lat_chost_call_t *c, lat__host_inv_t **inv, const lat_cval_t *a) {
  bobj_t *o = self_obj(c, inv, a, B_IN);
  if (o) o->kind = B_FREE;
  return o;
}

static lat_status iv_consume_sync(lat_chost_call_t *c, void *env, const lat_cval_t *a,
                                  uint32_t na, lat_cval_t *r) {
  (void)env, (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = take_incoming(c, &inv, a);
  if (!o) return LAT_TRAP;
  lat_cval_t *list = val(c);
  if (!list) return oom(c);
  *list = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.n = (uint32_t)o->len, .bytes = o->data}};
  ok_result(r, list);
  return LAT_OK;
}

static lat_status iv_consume_async(lat_chost_call_t *c, void *env, const lat_cval_t *a,
                                   uint32_t na, lat_cval_t *r) {
  (void)na;
  const benv_t *e = env;
  lat__host_inv_t *inv;
  bobj_t *o = take_incoming(c, &inv, a);
  if (!o) return LAT_TRAP;
  uint32_t srep;
  if (lat_wasi_p2_input_mem(lat_chost_call_data(c), o->data, o->len, &srep))
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:blobstore: too many streams");
  return ok_own(c, r, e->input, srep);
}

static lat_status iv_size(lat_chost_call_t *c, void *env, const lat_cval_t *a, uint32_t na,
                          lat_cval_t *r) {
  (void)env, (void)na;
  lat__host_inv_t *inv;
  bobj_t *o = self_obj(c, &inv, a, B_IN);
  if (!o) return LAT_TRAP;
  *r = (lat_cval_t){.kind = LAT_CT_U64, .of.u = o->len};
  return LAT_OK;
}

/* ---- linking -------------------------------------------------------------------------------- */

static bool imports_blobstore(const lat_component_t *c) {
  for (uint32_t i = 0; i < lat_component_import_count(c); i++) {
    const lat_cname_t *n = &lat_component_import(c, i)->name;
    if (n->kind == LAT_CNAME_INTERFACE && !strcmp(n->ns, "wasi") && !strcmp(n->pkg, "blobstore"))
      return true;
  }
  return false;
}

lat_status lat__host_blobstore_link(lat_clinker_t *l, const lat_component_t *c, lat_error_t *err) {
  if (!imports_blobstore(c)) return LAT_OK;
  static const struct {
    const char *iface, *name;
    lat_chost_fn fn;
  } fns[] = {
      {"blobstore", "create-container", bs_create},
      {"blobstore", "get-container", bs_get},
      {"blobstore", "delete-container", bs_delete},
      {"blobstore", "container-exists", bs_exists},
      {"blobstore", "copy-object", bs_copy},
      {"blobstore", "move-object", bs_move},
      {"container", "[method]container.name", ct_name},
      {"container", "[method]container.info", ct_info},
      {"container", "[method]container.get-data", ct_get_data},
      {"container", "[method]container.write-data", ct_write_data},
      {"container", "[method]container.list-objects", ct_list},
      {"container", "[method]container.delete-object", ct_delete_object},
      {"container", "[method]container.delete-objects", ct_delete_objects},
      {"container", "[method]container.has-object", ct_has_object},
      {"container", "[method]container.object-info", ct_object_info},
      {"container", "[method]container.clear", ct_clear},
      {"container", "[method]stream-object-names.read-stream-object-names", nm_read},
      {"container", "[method]stream-object-names.skip-stream-object-names", nm_skip},
      {"types", "[static]outgoing-value.new-outgoing-value", ov_new},
      {"types", "[method]outgoing-value.outgoing-value-write-body", ov_write_body},
      {"types", "[static]outgoing-value.finish", ov_finish},
      {"types", "[static]incoming-value.incoming-value-consume-sync", iv_consume_sync},
      {"types", "[static]incoming-value.incoming-value-consume-async", iv_consume_async},
      {"types", "[method]incoming-value.size", iv_size},
  };
  static const struct {
    const char *iface, *name;
    size_t off;
  } res[] = {
      {"wasi:blobstore/container" BS_VER, "container", offsetof(benv_t, container)},
      {"wasi:blobstore/container" BS_VER, "stream-object-names", offsetof(benv_t, names)},
      {"wasi:blobstore/types" BS_VER, "outgoing-value", offsetof(benv_t, outgoing)},
      {"wasi:blobstore/types" BS_VER, "incoming-value", offsetof(benv_t, incoming)},
      {LAT_WASI_IO_STREAMS, "input-stream", offsetof(benv_t, input)},
      {LAT_WASI_IO_STREAMS, "output-stream", offsetof(benv_t, output)},
  };
  lat_status st = lat_clinker_add_wit(l, BS_WIT, sizeof BS_WIT - 1, err);
  if (st) return st;
  benv_t *e = lat_arena_alloc(lat_clinker_arena(l), sizeof *e);
  if (!e) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  if ((st = lat_wrpc_blob_types_init(lat_clinker_arena(l), &e->t, err))) return st;
  for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
    uint32_t *id = (uint32_t *)((char *)e + res[i].off);
    if (!lat_clinker_resource_find(l, res[i].iface, res[i].name, id))
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "no %s in %s", res[i].name, res[i].iface);
    if (i < 4 && (st = lat_clinker_resource_dtor(l, *id, obj_drop, NULL))) return st;
  }
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    char inst[64];
    snprintf(inst, sizeof inst, "wasi:blobstore/%s" BS_VER, fns[i].iface);
    if ((st = lat_clinker_func(l, lat_clinker_find(l, inst), fns[i].name, fns[i].fn, e, err)))
      return st;
  }
  return LAT_OK;
}
