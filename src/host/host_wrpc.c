/* host_wrpc.c: calls between components on different hosts, over wRPC.
 *
 * Serving: every function of every custom interface a running component
 * exports (namespaces other than wasi, wasmcloud, wrpc), and of
 * wasmcloud:messaging (handler@0.2.0, which the messaging provider calls
 * under that very name, PROTOCOL §4.5), is served on
 * {lattice}.{id}.wrpc.0.0.1.{instance}.{function} in queue group
 * {lattice}.{id} (lat_wrpc_serve), so any host running that id answers.
 * lat__host_wrpc_sync runs after every scale or update of an id: the
 * servers follow the entry's code (made anew when the image changes, freed
 * when the id stops here).  Handlers run on the host's wRPC queue (a few
 * workers of its own, so a slow guest never holds a control-interface
 * worker), look everything up by id at call time (a lease: the id may have
 * been updated or stopped since), decode the parameters by the export's
 * own function type, run a fresh instance and encode the result.  A
 * wasi:http/incoming-handler@0.2.x export is served as
 * wrpc:http/incoming-handler@0.1.0.handle (PROTOCOL §4.5) by
 * host_http_wrpc.c's handler, with the request type given to the server so
 * the body and trailers, which come on nested paths, are gathered first.
 *
 * The callee checks the link, which wasmCloud 1.x does not (PROTOCOL §3):
 * the caller's `source-id` must have a link named by `link-name` (default
 * "default") to this id for the interface (for a provider delivering to
 * wasmcloud:messaging/handler, the provider's link as its source; providers
 * send no link-name, so theirs is "default"); otherwise the call is refused
 * (the result stream closes empty, and the host logs why), unless the host
 * runs with --accept-unlinked-calls, the 1.x behaviour.  So a NATS client
 * that can publish on the subject cannot reach an export by itself.
 *
 * Calling: host_links.c's forwarder uses lat__host_wrpc_call when the
 * link's target does not run on this host: the arguments encoded by the
 * import's type, headers source-id and link-name, the result decoded into
 * the caller's arena, bounded by --rpc-timeout-ms (wasmCloud's 2 s).  The
 * invocation's trace context (traceparent, tracestate; host_links.c) goes
 * along unchanged, and a served call takes it from its headers.
 *
 * Not yet: resources across hosts (the codec refuses them); async values
 * in custom interfaces' functions (the codec carries them, the canonical
 * ABI side has no futures or streams until WASI 0.3).
 */
#include <stdio.h>
#include <string.h>

#include "host_int.h"


typedef lat__host_sctx_t sctx_t;

struct lat__host_wsrv {
  struct lat__host_wsrv *next;
  lat_host_t *h;
  lat__host_lease_t hold; /* keeps the code (and so the types the servers
                             decode params with) alive as long as they run */
  char *id;
  const void *code;    /* the entry's code these serve (identity only) */
  int32_t revision;
  lat_wrpc_server_t **servers;
  sctx_t **ctx;
  size_t n;
};
typedef struct lat__host_wsrv wsrv_t;

static char *dup(const char *s) { return lat_strndup(s, strlen(s)); }

bool lat__host_wrpc_iface(const lat_cname_t *n) {
  if (!strcmp(n->ns, "wasmcloud")) return !strcmp(n->pkg, "messaging");
  return strcmp(n->ns, "wasi") && strcmp(n->ns, "wrpc");
}

static void sctx_free(sctx_t *x) {
  if (!x) return;
  lat_free(x->id);
  lat_free(x->instance);
  lat_free(x->func);
  lat_arena_fini(&x->arena);
  lat_free(x);
}

static void wsrv_free(wsrv_t *w) {
  if (!w) return;
  for (size_t i = 0; i < w->n; i++) lat_wrpc_server_free(w->servers[i]); /* waits for calls */
  for (size_t i = 0; i < w->n; i++) sctx_free(w->ctx[i]);
  if (w->h) lat__host_release(w->h, &w->hold);
  lat_free(w->servers);
  lat_free(w->ctx);
  lat_free(w->id);
  lat_free(w);
}

/* The export `instance`'s function `func` of c, or NULL. */
static const lat_ctype_t *export_func(const lat_component_t *c, const char *instance,
                                      const char *func) {
  for (uint32_t i = 0; i < lat_component_export_count(c); i++) {
    const lat_cextern_t *e = lat_component_export(c, i);
    if (e->sort != LAT_CSORT_INSTANCE || strcmp(e->name.full, instance)) continue;
    for (uint32_t k = 0; k < e->type->n; k++) {
      const lat_cextern_t *d = &e->type->u.decls[k];
      if (d->sort == LAT_CSORT_FUNC && !strcmp(d->name.full, func)) return d->type;
    }
  }
  return NULL;
}

lat_status lat__host_callee_check(sctx_t *x, const lat_wrpc_request_t *req, lat_error_t *err) {
  lat_host_t *h = x->h;
  if (h->accept_unlinked) return LAT_OK;
  const char *src = lat_lattice_headers_get(req->headers, "source-id");
  const char *ln = lat_lattice_headers_get(req->headers, "link-name");
  if (!ln || !*ln) ln = "default";
  char target[256] = "";
  pthread_mutex_lock(&h->mu);
  bool linked = src && lat__host_has_link(h, src, x->name.ns, x->name.pkg, x->name.iface, ln,
                                          target, sizeof target) &&
                !strcmp(target, x->id);
  pthread_mutex_unlock(&h->mu);
  if (linked) return LAT_OK;
  return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                       "refused %s.%s on %s from %s: no link `%s` from it to this component",
                       x->instance, x->func, x->id, src ? src : "(no source-id)", ln);
}

static lat_status serve_call(void *ctx, const lat_wrpc_request_t *req, lat_buf_t *results,
                             lat_error_t *err) {
  sctx_t *x = ctx;
  lat_host_t *h = x->h;
  lat_status st = lat__host_callee_check(x, req, err);
  if (st) return st;
  lat__host_lease_t lease;
  st = lat__host_lease(h, x->id, 10ull * 1000000000ull, &lease, err);
  if (st) return st;
  lat_host_instance_t *in = NULL;
  lat__host_inv_t inv;
  lat__host_inv_enter(&inv, h, x->id, lease.config, lease.secrets);
  lat__host_inv_trace(&inv, lat_lattice_headers_get(req->headers, "traceparent"),
                      lat_lattice_headers_get(req->headers, "tracestate"));
  const lat_ctype_t *ft = export_func(lat_host_component_decoded(lease.hc), x->instance, x->func);
  lat_arena_t arena;
  lat_arena_init(&arena);
  lat_cval_t *args = NULL, res;
  memset(&res, 0, sizeof res);
  const lat_ctype_t **pts = NULL;
  if (!ft) {
    st = lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX, "%s no longer exports %s.%s", x->id,
                       x->instance, x->func);
    goto out;
  }
  if (ft->has_resource) {
    st = lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                       "%s.%s takes or returns resources, which cannot cross hosts", x->instance,
                       x->func);
    goto out;
  }
  args = lat_arena_array(&arena, ft->n ? ft->n : 1, sizeof *args);
  pts = lat_arena_array(&arena, ft->n ? ft->n : 1, sizeof *pts);
  if (!args || !pts) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto out;
  }
  for (uint32_t i = 0; i < ft->n; i++) pts[i] = ft->u.fields[i].type;
  if ((st = lat_wrpc_decode_values(req->params, req->len, pts, ft->n, &arena, args, err))) goto out;
  lat_host_instance_opts_t io = {.timeout_ns = lease.max_exec_ns};
  if ((st = lat_host_instance_new(lease.hc, &io, &in, err)) ||
      (st = lat_host_instance_start(in, err)) ||
      (st = lat_host_instance_call(in, x->instance, x->func, args, ft->n, &res, err)))
    goto out;
  if (ft->result) st = lat_wrpc_encode_values(&res, &ft->result, 1, results, err);
out:
  lat_host_instance_free(in);
  lat_arena_fini(&arena);
  lat__host_inv_leave(&inv);
  lat__host_release(h, &lease);
  return st;
}

/* One more server in w: instance.func on the wire, handled by fn; iface is
 * the export's own name (what a caller's link names).  ft: the function's
 * type, given to the server so a call starts as soon as its first message
 * decodes (one round trip less; the types live as long as w's hold). */
static lat_status serve_one(lat_host_t *h, const char *id, wsrv_t *w, const char *iface,
                            const char *instance, const char *func, lat_wrpc_handler_fn fn,
                            const lat_wrpc_serve_opts_t *so, const lat_ctype_t *ft,
                            lat_error_t *err) {
  size_t n = w->n + 1;
  lat_wrpc_server_t **s2 = lat_realloc(w->servers, n * sizeof *s2);
  if (s2) w->servers = s2;
  sctx_t **c2 = s2 ? lat_realloc(w->ctx, n * sizeof *c2) : NULL;
  if (c2) w->ctx = c2;
  sctx_t *x = c2 ? lat_calloc(1, sizeof *x) : NULL;
  if (!x) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_arena_init(&x->arena);
  x->h = h;
  x->id = dup(id);
  x->instance = dup(instance);
  x->func = dup(func);
  if (!x->id || !x->instance || !x->func ||
      lat_cname_parse(iface, strlen(iface), &x->arena, &x->name, err)) {
    sctx_free(x);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "cannot serve %s", iface);
  }
  lat_wrpc_serve_opts_t typed = *so;
  if (ft && !ft->has_resource) {
    const lat_ctype_t **pts = lat_arena_array(&x->arena, ft->n ? ft->n : 1, sizeof *pts);
    if (!pts) {
      sctx_free(x);
      return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    }
    for (uint32_t i = 0; i < ft->n; i++) pts[i] = ft->u.fields[i].type;
    typed.params_typed = true;
    typed.param_types = pts;
    typed.nparam_types = ft->n;
  }
  lat_wrpc_server_t *srv = NULL;
  lat_status st =
      lat_wrpc_serve(h->rpc, h->lattice, id, x->instance, x->func, fn, x, &typed, &srv, err);
  if (st) {
    sctx_free(x);
    return st;
  }
  w->servers[w->n] = srv;
  w->ctx[w->n] = x;
  w->n = n;
  return LAT_OK;
}

/* Servers for every exported function of c's custom interfaces, and for
 * its wasi:http/incoming-handler@0.2.x as wrpc:http (PROTOCOL §4.5). */
static lat_status serve_all(lat_host_t *h, const char *id, const lat_component_t *c, wsrv_t *w,
                            lat_error_t *err) {
  lat_wrpc_serve_opts_t so = {.queue = h->wrpc_queue};
  for (uint32_t i = 0; i < lat_component_export_count(c); i++) {
    const lat_cextern_t *e = lat_component_export(c, i);
    if (e->sort != LAT_CSORT_INSTANCE || e->name.kind != LAT_CNAME_INTERFACE) continue;
    lat_status st;
    if (!strcmp(e->name.ns, "wasi") && !strcmp(e->name.pkg, "http") &&
        !strcmp(e->name.iface, "incoming-handler") && e->name.has_version &&
        e->name.version.major == 0 && e->name.version.minor == 2) {
      lat_wrpc_serve_opts_t hs = so;
      hs.params_typed = true; /* the body and trailers come on nested paths */
      hs.param_types = h->http_types.incoming_params;
      hs.nparam_types = 1;
      if ((st = serve_one(h, id, w, e->name.full, LAT_WRPC_HTTP_INCOMING, LAT_WRPC_HTTP_FUNCTION,
                          lat__host_http_wrpc_handle, &hs, NULL, err)))
        return st;
      continue;
    }
    if (!lat__host_wrpc_iface(&e->name)) continue;
    for (uint32_t k = 0; k < e->type->n; k++) {
      const lat_cextern_t *d = &e->type->u.decls[k];
      if (d->sort == LAT_CSORT_FUNC &&
          (st = serve_one(h, id, w, e->name.full, e->name.full, d->name.full, serve_call, &so,
                          d->type, err)))
        return st;
    }
  }
  return LAT_OK;
}

void lat__host_wrpc_sync(lat_host_t *h, const char *id) {
  if (!h->wrpc_queue) return;
  /* what runs under that id now */
  pthread_mutex_lock(&h->mu);
  lat__host_comp_t *c = lat__host_comp_find(h, id);
  const void *code = c ? (const void *)c->code : NULL;
  int32_t rev = c ? c->revision : 0;
  lat__host_lease_t lease;
  bool leased = false;
  pthread_mutex_unlock(&h->mu);
  pthread_mutex_lock(&h->wrpc_mu);
  wsrv_t **pp = &h->wsrvs, *old = NULL;
  while (*pp && strcmp((*pp)->id, id)) pp = &(*pp)->next;
  if (*pp && (*pp)->code == code && (*pp)->revision == rev) { /* unchanged */
    pthread_mutex_unlock(&h->wrpc_mu);
    return;
  }
  if (*pp) {
    old = *pp;
    *pp = old->next;
  }
  wsrv_t *w = NULL;
  lat_error_t err;
  lat_error_clear(&err);
  if (code && !lat__host_hold(h, id, &lease, &err)) leased = true;
  if (leased) { /* a hold keeps the code alive while the servers run */
    w = lat_calloc(1, sizeof *w);
    if (w && (w->id = dup(id))) {
      w->code = code;
      w->revision = rev;
      w->h = h;
      w->hold = lease; /* w owns it now: released by wsrv_free */
      leased = false;
      if (serve_all(h, id, lat_host_component_decoded(lease.hc), w, &err)) {
        LAT_LOGF(LAT_LOG_ERROR, "host", "cannot serve the exports of component=%s over wRPC reason=\"%s\"",
                      id, err.msg);
      }
      w->next = h->wsrvs;
      h->wsrvs = w;
    } else if (w) {
      lat_free(w);
    }
  }
  pthread_mutex_unlock(&h->wrpc_mu);
  if (leased) lat__host_release(h, &lease);
  wsrv_free(old); /* outside the lock: it waits for calls in flight */
}

void lat__host_wrpc_stop(lat_host_t *h) {
  pthread_mutex_lock(&h->wrpc_mu);
  wsrv_t *all = h->wsrvs;
  h->wsrvs = NULL;
  pthread_mutex_unlock(&h->wrpc_mu);
  while (all) {
    wsrv_t *w = all;
    all = w->next;
    wsrv_free(w);
  }
}

lat_status lat__host_wrpc_call(lat_host_t *h, lat_chost_call_t *c, const char *source,
                               const char *link_name, const char *target, const char *instance,
                               const char *func, const lat_ctype_t *ft, const lat_cval_t *args,
                               lat_cval_t *result) {
  lat_arena_t *a = lat_chost_call_arena(c);
  const lat_ctype_t **pts = lat_arena_array(a, ft->n ? ft->n : 1, sizeof *pts);
  if (!pts) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "out of memory");
  for (uint32_t i = 0; i < ft->n; i++) pts[i] = ft->u.fields[i].type;
  lat_buf_t params;
  lat_buf_init(&params);
  lat_error_t err;
  lat_error_clear(&err);
  lat_status st = lat_wrpc_encode_values(args, pts, ft->n, &params, &err);
  if (st) {
    lat_buf_fini(&params);
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "%s.%s: %s", instance, func, err.msg);
  }
  lat_lattice_header_t hdrs[4] = {{"source-id", source}, {"link-name", link_name}};
  size_t nh = 2;
  lat__host_trace_headers(lat__host_inv_current(), hdrs, &nh);
  lat_wrpc_invoke_opts_t io = {.headers = hdrs, .nheaders = nh, .timeout_ms = h->rpc_timeout_ms};
  lat_lattice_reply_t r = {0};
  st = lat_wrpc_invoke(h->rpc, h->lattice, target, instance, func, params.data, params.len, &io, &r,
                       &err);
  lat_buf_fini(&params);
  if (st == LAT_ENOTFOUND)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                               "link target %s runs on no host of the lattice (nothing serves "
                               "%s.%s)", target, instance, func);
  if (st) {
    lat_lattice_reply_fini(&r);
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "call to %s (%s.%s) over wRPC failed: %s",
                               target, instance, func, err.msg);
  }
  if (ft->result) {
    if (!r.len) {
      lat_lattice_reply_fini(&r);
      return lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                                 "call to %s (%s.%s) failed on its host (refused, trapped or "
                                 "not linked: see that host's log)", target, instance, func);
    }
    st = lat_wrpc_decode_values(r.data, r.len, &ft->result, 1, a, result, &err);
  }
  lat_lattice_reply_fini(&r);
  if (st)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "call to %s (%s.%s): bad results: %s", target,
                               instance, func, err.msg);
  return LAT_OK;
}
