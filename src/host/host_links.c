/* host_links.c: what a component running on a lattice host may import
 * beyond WASI: other components, through links, and the host's own
 * interfaces (wasi:config/store, wasi:logging, wasmcloud:bus/lattice;
 * wasmcloud:secrets is host_secrets.c's).
 *
 * Custom imports.  Every interface a component imports that is not WASI's
 * or wasmCloud's (a namespace other than wasi, wasmcloud, wrpc), and
 * wasmcloud:messaging (its consumer goes to the linked provider, which the
 * 1.x host does with a shim of the same effect, PROTOCOL §14.2), is defined
 * in its linker with the component's own declared type, each function
 * implemented by a forwarder.  A call looks up the link (source = the
 * calling component, the interface's namespace:package, the current link
 * name, the interface among the link's interfaces) at call time, under the
 * host's mutex, so a link put or deleted takes effect for the next call.
 * No link: the guest traps with wasmCloud's message ("link `default` not
 * found for instance ns:pkg/iface"), which becomes a 500 for an HTTP
 * request; the host stays up.  A target running on this host is called in
 * process: a lease on it (its `count` caps these calls too), a fresh
 * instance, the arguments lowered into it as lifted from the caller, the
 * result copied back into the caller's arena before the callee instance is
 * freed.  The function types must be equal; resources cannot cross
 * (a handle belongs to its instance).  A target on another host is called
 * over wRPC (host_wrpc.c).
 *
 * wasmcloud:bus/lattice (1.0.0 and 2.0.1): set-link-name(name, interfaces)
 * makes the calls to those interfaces use links named `name` for the rest
 * of this invocation ("default" again by naming it); 2.0.1 first checks that
 * each interface has such a link and returns the error without changing
 * anything, 1.0.0 just sets it.  call-target-interface handles live in the
 * invocation context (at most LAT__HOST_TARGETS per invocation).
 *
 * The invocation context (which component is running, its link names and
 * config) is thread-local: a guest runs on one thread from start to end,
 * and a call into another component pushes a context for the callee and
 * pops it after, so nested calls see their own.  It also holds the W3C
 * trace context of the request being served (from the HTTP request or the
 * wRPC call's headers), which a nested call inherits and every outgoing
 * wRPC call carries unchanged: a host that records no spans passes the
 * context through, as W3C asks of a participant that does not trace.
 *
 * wasi:keyvalue and wasi:blobstore are forwarded to a linked provider by
 * host_keyvalue.c and host_blobstore.c (the same link look-up, over wRPC
 * with wrpc:keyvalue's and wrpc:blobstore's instance names).
 *
 * Rejected: resolving links when the component is compiled (links change
 * while it runs; wasmCloud looks them up per call, and so do we).
 */
#include <stdio.h>
#include <string.h>

#include "host_int.h"

static __thread lat__host_inv_t *cur;

void lat__host_inv_enter(lat__host_inv_t *inv, lat_host_t *h, const char *source,
                         json_t *config, lat__host_secrets_t *secrets) {
  memset(inv, 0, sizeof *inv);
  inv->h = h;
  snprintf(inv->source, sizeof inv->source, "%s", source);
  inv->config = config ? json_incref(config) : json_array();
  inv->secrets = lat__host_secrets_retain(secrets);
  inv->outer = cur;
  if (cur) { /* a nested call serves the same request */
    memcpy(inv->traceparent, cur->traceparent, sizeof inv->traceparent);
    memcpy(inv->tracestate, cur->tracestate, sizeof inv->tracestate);
  }
  cur = inv;
}

static bool hex_run(const char *s, size_t n) {
  bool nonzero = false;
  for (size_t i = 0; i < n; i++) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    nonzero |= s[i] != '0';
  }
  return nonzero;
}

void lat__host_inv_trace(lat__host_inv_t *inv, const char *tp, const char *ts) {
  inv->traceparent[0] = inv->tracestate[0] = 0;
  /* version 00 exactly: 00-<trace-id 32>-<parent-id 16>-<flags 2>, ids not all zero */
  if (!tp || strlen(tp) != LAT__HOST_TRACEPARENT_LEN || strncmp(tp, "00-", 3) || tp[35] != '-' ||
      tp[52] != '-' || !hex_run(tp + 3, 32) || !hex_run(tp + 36, 16) ||
      !(hex_run(tp + 53, 2) || !strncmp(tp + 53, "00", 2)))
    return;
  memcpy(inv->traceparent, tp, LAT__HOST_TRACEPARENT_LEN + 1);
  size_t n = ts ? strlen(ts) : 0;
  if (!n || n > LAT__HOST_TRACESTATE_MAX) return;
  for (size_t i = 0; i < n; i++)
    if (ts[i] < 0x20 || ts[i] > 0x7e) return;
  memcpy(inv->tracestate, ts, n + 1);
}

void lat__host_trace_headers(const lat__host_inv_t *inv, lat_lattice_header_t *hdrs, size_t *n) {
  if (!inv || !inv->traceparent[0]) return;
  hdrs[(*n)++] = (lat_lattice_header_t){"traceparent", inv->traceparent};
  if (inv->tracestate[0]) hdrs[(*n)++] = (lat_lattice_header_t){"tracestate", inv->tracestate};
}

void lat__host_inv_leave(lat__host_inv_t *inv) {
  if (cur == inv) cur = inv->outer;
  json_decref(inv->config);
  inv->config = NULL;
  lat__host_secrets_release(inv->secrets);
  inv->secrets = NULL;
  for (uint32_t i = 0; i < inv->nbuckets; i++) lat_free(inv->buckets[i]);
  lat_free(inv->buckets);
  inv->buckets = NULL;
  inv->nbuckets = 0;
  lat__host_blob_free(inv->blob);
  inv->blob = NULL;
}

lat__host_inv_t *lat__host_inv_current(void) { return cur; }

/* ---- forwarding to linked components ------------------------------------------- */

typedef struct {
  const char *instance; /* the import's full name, ns:pkg/iface@ver */
  const char *ns, *pkg, *iface;
  const char *func;
  const lat_ctype_t *ft;
} fwd_t;

static bool has_iface(json_t *link, const char *iface) {
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(link, "interfaces"), i, x)
    if (json_is_string(x) && !strcmp(json_string_value(x), iface)) return true;
  return false;
}

static bool field_is(json_t *o, const char *k, const char *v) {
  json_t *x = json_object_get(o, k);
  return json_is_string(x) && !strcmp(json_string_value(x), v);
}

const char *lat__host_link_name(const lat__host_inv_t *inv, const char *ns, const char *pkg,
                                const char *iface) {
  for (uint32_t i = 0; i < inv->nnames; i++) {
    const lat__host_target_t *t = &inv->names[i];
    if (!strcmp(t->ns, ns) && !strcmp(t->pkg, pkg) && !strcmp(t->iface, iface))
      return t->link_name;
  }
  return "default";
}


bool lat__host_has_link(lat_host_t *h, const char *source, const char *ns, const char *pkg,
                        const char *iface, const char *name, char *target, size_t cap) {
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(h->links, source), i, l) {
    if (field_is(l, "wit_namespace", ns) && field_is(l, "wit_package", pkg) &&
        field_is(l, "name", name) && has_iface(l, iface)) {
      if (target) snprintf(target, cap, "%s", json_string_value(json_object_get(l, "target")));
      return true;
    }
  }
  return false;
}

static lat_status forward(lat_chost_call_t *c, void *env, const lat_cval_t *args, uint32_t nargs,
                          lat_cval_t *result) {
  fwd_t *f = env;
  lat__host_inv_t *inv = cur;
  if (!inv)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "%s.%s: no lattice host runs this call",
                               f->instance, f->func);
  lat_host_t *h = inv->h;
  const char *link_name = lat__host_link_name(inv, f->ns, f->pkg, f->iface);
  char target[256] = "";
  pthread_mutex_lock(&h->mu);
  bool found = lat__host_has_link(h, inv->source, f->ns, f->pkg, f->iface, link_name, target, sizeof target);
  pthread_mutex_unlock(&h->mu);
  if (!found)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "link `%s` not found for instance %s:%s/%s",
                               link_name, f->ns, f->pkg, f->iface);
  if (f->ft->has_resource)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                               "%s.%s: resources cannot be passed between components",
                               f->instance, f->func);
  lat__host_lease_t lease;
  lat_error_t err;
  lat_error_clear(&err);
  lat_status st = lat__host_lease(h, target, 10ull * 1000000000ull, &lease, &err);
  if (st == LAT_ENOTFOUND) /* elsewhere in the lattice, perhaps */
    return lat__host_wrpc_call(h, c, inv->source, link_name, target, f->instance, f->func, f->ft,
                               args, result);
  if (st) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "%s: %s", target, err.msg);
  lat_host_instance_t *in = NULL;
  lat__host_inv_t inner;
  lat__host_inv_enter(&inner, h, target, lease.config, lease.secrets);
  lat_host_instance_opts_t io = {.timeout_ns = lease.max_exec_ns};
  lat_cval_t res;
  memset(&res, 0, sizeof res);
  if (!(st = lat_host_instance_new(lease.hc, &io, &in, &err)) &&
      !(st = lat_host_instance_start(in, &err))) {
    lat_cfunc_t *cf = lat_cinstance_func(lat_host_instance_cinstance(in), f->instance, f->func);
    if (!cf)
      st = lat_error_set(&err, LAT_ENOTFOUND, SIZE_MAX, "%s does not export %s.%s", target,
                         f->instance, f->func);
    else if (!lat_ctype_equal(lat_cfunc_type(cf), f->ft))
      st = lat_error_set(&err, LAT_EUNLINKABLE, SIZE_MAX,
                         "%s exports %s.%s with another type than the caller imports", target,
                         f->instance, f->func);
    else
      st = lat_cfunc_call(lat_host_instance_cinstance(in), cf, args, nargs, &res,
                          lat_host_instance_arena(in), &err);
  }
  if (!st && f->ft->result &&
      lat_cval_copy(lat_chost_call_arena(c), f->ft->result, &res, result))
    st = lat_error_set(&err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_host_instance_free(in); /* first: its streams may borrow the invocation's memory */
  lat__host_inv_leave(&inner);
  lat__host_release(h, &lease);
  if (st)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "call to %s (%s.%s) failed: %s", target,
                               f->instance, f->func, err.msg);
  return LAT_OK;
}

static char *adup(lat_arena_t *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *p = lat_arena_alloc(a, n);
  if (p) memcpy(p, s, n);
  return p;
}

static lat_status define_forwarders(lat_clinker_t *l, const lat_component_t *comp,
                                    lat_error_t *err) {
  lat_arena_t *a = lat_clinker_arena(l);
  for (uint32_t i = 0; i < lat_component_import_count(comp); i++) {
    const lat_cextern_t *im = lat_component_import(comp, i);
    if (im->name.kind != LAT_CNAME_INTERFACE || im->sort != LAT_CSORT_INSTANCE ||
        !lat__host_wrpc_iface(&im->name) || lat_clinker_find(l, im->name.full) != UINT32_MAX)
      continue;
    uint32_t idx;
    lat_status st = lat_clinker_instance(l, im->name.full, im->type, &idx, err);
    if (st) return st;
    const lat_ctype_t *it = im->type;
    for (uint32_t k = 0; k < it->n; k++) {
      const lat_cextern_t *d = &it->u.decls[k];
      if (d->sort != LAT_CSORT_FUNC) continue;
      fwd_t *f = lat_arena_alloc(a, sizeof *f);
      if (!f || !(f->instance = adup(a, im->name.full)) || !(f->ns = adup(a, im->name.ns)) ||
          !(f->pkg = adup(a, im->name.pkg)) || !(f->iface = adup(a, im->name.iface)) ||
          !(f->func = adup(a, d->name.full)))
        return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      f->ft = d->type;
      if ((st = lat_clinker_func(l, idx, d->name.full, forward, f, err))) return st;
    }
  }
  return LAT_OK;
}

/* ---- wasi:config/store and wasi:logging ------------------------------------------------------ */

static const char HOST_WIT[] =
    "package wasi:config@0.2.0-draft;\n"
    "interface store {\n"
    "  variant error { upstream(string), io(string) }\n"
    "  get: func(key: string) -> result<option<string>, error>;\n"
    "  get-all: func() -> result<list<tuple<string, string>>, error>;\n"
    "}\n"
    "package wasi:logging@0.1.0-draft;\n"
    "interface logging {\n"
    "  enum level { trace, debug, info, warn, error, critical }\n"
    "  log: func(level: level, context: string, message: string);\n"
    "}\n"
    "package wasmcloud:bus@1.0.0;\n"
    "interface lattice {\n"
    "  resource call-target-interface {\n"
    "    constructor(namespace: string, %package: string, %interface: string);\n"
    "  }\n"
    "  set-link-name: func(name: string, interfaces: list<call-target-interface>);\n"
    "}\n"
    "package wasmcloud:bus@2.0.1;\n"
    "interface lattice {\n"
    "  resource call-target-interface {\n"
    "    constructor(namespace: string, %package: string, %interface: string);\n"
    "  }\n"
    "  set-link-name: func(name: string, interfaces: list<call-target-interface>)\n"
    "      -> result<_, string>;\n"
    "}\n";

/* The running component's named config, merged in order (new object). */
json_t *lat__host_config_merge(lat_host_t *h, json_t *names) {
  json_t *m = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    const char *s = json_string_value(n);
    if (!s || !strncmp(s, "SECRET_", 7)) continue; /* secret references, not config */
    json_t *c = json_object_get(h->configs, s);
    if (m && json_is_object(c)) json_object_update(m, c);
  }
  return m;
}

static json_t *merged_config(lat__host_inv_t *inv) {
  pthread_mutex_lock(&inv->h->mu);
  json_t *m = lat__host_config_merge(inv->h, inv->config);
  pthread_mutex_unlock(&inv->h->mu);
  return m;
}

static lat_cval_t *cval(lat_chost_call_t *c) {
  return lat_arena_alloc(lat_chost_call_arena(c), sizeof(lat_cval_t));
}

static bool str_val(lat_chost_call_t *c, const char *s, lat_cval_t *v) {
  size_t n = strlen(s);
  char *p = lat_arena_alloc(lat_chost_call_arena(c), n ? n : 1);
  if (!p) return false;
  memcpy(p, s, n);
  v->kind = LAT_CT_STRING;
  v->of.str.ptr = p;
  v->of.str.len = (uint32_t)n;
  return true;
}

static lat_status config_get(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                             uint32_t nargs, lat_cval_t *result) {
  (void)env, (void)nargs;
  if (!cur) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:config: no lattice host");
  char key[512];
  snprintf(key, sizeof key, "%.*s", (int)args[0].of.str.len, args[0].of.str.ptr);
  json_t *m = merged_config(cur);
  json_t *v = json_object_get(m, key);
  lat_cval_t *opt = cval(c), *s = NULL;
  bool ok = opt != NULL;
  if (ok && json_is_string(v)) ok = (s = cval(c)) && str_val(c, json_string_value(v), s);
  json_decref(m);
  if (!ok) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "out of memory");
  *opt = (lat_cval_t){.kind = LAT_CT_OPTION, .of.var = {.disc = s != NULL, .payload = s}};
  *result = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0, .payload = opt}};
  return LAT_OK;
}

static lat_status config_get_all(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                                 uint32_t nargs, lat_cval_t *result) {
  (void)env, (void)args, (void)nargs;
  if (!cur) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:config: no lattice host");
  json_t *m = merged_config(cur);
  size_t n = json_object_size(m), i = 0;
  lat_cval_t *list = cval(c);
  lat_cval_t *el = lat_arena_array(lat_chost_call_arena(c), n ? n : 1, sizeof *el);
  bool ok = list && el;
  const char *k;
  json_t *v;
  json_object_foreach(m, k, v) {
    if (!ok || i >= n) break;
    lat_cval_t *pair = lat_arena_array(lat_chost_call_arena(c), 2, sizeof *pair);
    ok = pair && str_val(c, k, &pair[0]) && str_val(c, json_string_value(v), &pair[1]);
    if (ok) el[i++] = (lat_cval_t){.kind = LAT_CT_TUPLE, .of.list = {.v = pair, .n = 2}};
  }
  json_decref(m);
  if (!ok) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "out of memory");
  *list = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {.v = el, .n = (uint32_t)i}};
  *result = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0, .payload = list}};
  return LAT_OK;
}

static lat_status logging_log(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                              uint32_t nargs, lat_cval_t *result) {
  (void)c, (void)env, (void)nargs, (void)result;
  static const lat_log_level map[] = {LAT_LOG_TRACE, LAT_LOG_DEBUG, LAT_LOG_INFO,
                                      LAT_LOG_WARN,  LAT_LOG_ERROR, LAT_LOG_ERROR};
  uint32_t d = args[0].of.var.disc;
  lat_log_level lv = d < 6 ? map[d] : LAT_LOG_INFO;
  LAT_LOG(lv, "guest", "component log", LAT_KV_STR("component_id", cur ? cur->source : "?"),
          LAT_KV_BYTES("context", args[1].of.str.ptr, args[1].of.str.len),
          LAT_KV_BYTES("message", args[2].of.str.ptr, args[2].of.str.len));
  return LAT_OK;
}

/* ---- wasmcloud:bus/lattice (1.0.0 and 2.0.1) ---------------------------------------------- */

#define BUS1 "wasmcloud:bus/lattice@1.0.0"
#define BUS2 "wasmcloud:bus/lattice@2.0.1"

typedef struct {
  uint32_t rtype;  /* the version's call-target-interface resource id */
  bool v2;         /* set-link-name returns result<_, string> */
} bus_t;

static const bus_t bus_v1, bus_v2 = {.v2 = true};

static bool copy_str(char *out, size_t cap, const lat_cval_t *v) {
  if (v->of.str.len >= cap) return false;
  memcpy(out, v->of.str.ptr, v->of.str.len);
  out[v->of.str.len] = 0;
  return true;
}

static lat_status target_new(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                             uint32_t nargs, lat_cval_t *result) {
  bus_t *b = env;
  (void)nargs;
  lat__host_inv_t *inv = cur;
  if (!inv) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:bus: no lattice host");
  if (inv->nhandles == LAT__HOST_TARGETS)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                               "wasmcloud:bus: more than %d call-target-interfaces in one call",
                               LAT__HOST_TARGETS);
  lat__host_target_t *t = &inv->handles[inv->nhandles];
  memset(t, 0, sizeof *t);
  if (!copy_str(t->ns, sizeof t->ns, &args[0]) || !copy_str(t->pkg, sizeof t->pkg, &args[1]) ||
      !copy_str(t->iface, sizeof t->iface, &args[2]))
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:bus: interface name too long");
  inv->nhandles++;
  *result = (lat_cval_t){.kind = LAT_CT_OWN,
                         .of.handle = {.rep = inv->nhandles, .rt = lat_chost_call_rtype(c, b->rtype)}};
  return LAT_OK;
}

static lat_status set_link_name(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                                uint32_t nargs, lat_cval_t *result) {
  bus_t *b = env;
  (void)nargs;
  lat__host_inv_t *inv = cur;
  if (!inv) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:bus: no lattice host");
  char name[64];
  if (!copy_str(name, sizeof name, &args[0]))
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:bus: link name too long");
  const lat_cval_t *list = &args[1];
  char missing[256] = "";
  /* 2.0.1: every interface must have a link of that name, or nothing changes */
  for (uint32_t i = 0; i < list->of.list.n; i++) {
    uint32_t rep = list->of.list.v[i].of.handle.rep;
    if (!rep || rep > inv->nhandles)
      return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:bus: unknown handle %u", rep);
    const lat__host_target_t *t = &inv->handles[rep - 1];
    pthread_mutex_lock(&inv->h->mu);
    bool ok = lat__host_has_link(inv->h, inv->source, t->ns, t->pkg, t->iface, name, NULL, 0);
    pthread_mutex_unlock(&inv->h->mu);
    if (!ok && !*missing)
      snprintf(missing, sizeof missing, "link `%s` not found for instance %s:%s/%s", name, t->ns,
               t->pkg, t->iface);
  }
  if (b->v2 && *missing) {
    lat_cval_t *s = lat_arena_alloc(lat_chost_call_arena(c), sizeof *s);
    if (!s || !str_val(c, missing, s)) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "out of memory");
    *result = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 1, .payload = s}};
    return LAT_OK;
  }
  for (uint32_t i = 0; i < list->of.list.n; i++) {
    const lat__host_target_t *t = &inv->handles[list->of.list.v[i].of.handle.rep - 1];
    uint32_t k = 0;
    while (k < inv->nnames && (strcmp(inv->names[k].ns, t->ns) || strcmp(inv->names[k].pkg, t->pkg) ||
                               strcmp(inv->names[k].iface, t->iface)))
      k++;
    if (k == inv->nnames) {
      if (k == LAT__HOST_TARGETS)
        return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasmcloud:bus: too many link names");
      inv->names[inv->nnames++] = *t;
    }
    snprintf(inv->names[k].link_name, sizeof inv->names[k].link_name, "%s", name);
  }
  if (b->v2) *result = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {.disc = 0}};
  return LAT_OK;
}

static lat_status implement_env(lat_clinker_t *l, const char *iface, const char *func,
                                lat_chost_fn fn, void *env, lat_error_t *err) {
  uint32_t idx = lat_clinker_find(l, iface);
  if (idx == UINT32_MAX)
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "host interface %s missing", iface);
  return lat_clinker_func(l, idx, func, fn, env, err);
}

static lat_status implement(lat_clinker_t *l, const char *iface, const char *func,
                            lat_chost_fn fn, lat_error_t *err) {
  return implement_env(l, iface, func, fn, NULL, err);
}

/* One version of the bus in linker l: its functions' env (in l's arena)
 * holds l's resource id for call-target-interface. */
static lat_status add_bus(lat_clinker_t *l, const char *iface, const bus_t *proto,
                          lat_error_t *err) {
  bus_t *b = lat_arena_alloc(lat_clinker_arena(l), sizeof *b);
  if (!b) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  *b = *proto;
  if (!lat_clinker_resource_find(l, iface, "call-target-interface", &b->rtype))
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "no call-target-interface in %s", iface);
  lat_status st = implement_env(l, iface, "[constructor]call-target-interface", target_new, b, err);
  if (!st) st = implement_env(l, iface, "set-link-name", set_link_name, b, err);
  return st;
}

lat_status lat__host_link(lat_clinker_t *l, const lat_component_t *c, void *env,
                          lat_error_t *err) {
  (void)env;
  lat_status st = lat_clinker_add_wit(l, HOST_WIT, sizeof HOST_WIT - 1, err);
  if (!st) st = implement(l, "wasi:config/store@0.2.0-draft", "get", config_get, err);
  if (!st) st = implement(l, "wasi:config/store@0.2.0-draft", "get-all", config_get_all, err);
  if (!st) st = implement(l, "wasi:logging/logging@0.1.0-draft", "log", logging_log, err);
  if (!st) st = add_bus(l, BUS1, &bus_v1, err);
  if (!st) st = add_bus(l, BUS2, &bus_v2, err);
  if (!st) st = define_forwarders(l, c, err);
  if (!st) st = lat__host_keyvalue_link(l, c, err);
  if (!st) st = lat__host_blobstore_link(l, c, err);
  if (!st) st = lat__host_secrets_link(l, c, err);
  return st;
}
