/* host_routes.c: the built-in HTTP server, `wasmcloud+builtin://http-server`.
 *
 * The server is driven by links, as wasmCloud's http-server provider: a
 * provider started from the builtin ref is the source of links to
 * components on `wasi:http/incoming-handler`, and each link's source_config
 * (named config, merged in order) says where requests come from.  Routing
 * modes follow the provider's own config key `routing_mode`:
 *   address (default)  one listener per linked component, at the link
 *                      config's `address` (else the provider's
 *                      `default_address`, else 127.0.0.1:8000)
 *   path               one shared listener at `default_address`; the link
 *                      config's `path` is a prefix of the request path
 *                      (longest wins)
 *   host               one shared listener; the link config's `host` must
 *                      equal the request's Host header (port ignored)
 * wasmCloud's default address is 0.0.0.0:8000; ours is loopback, so nothing
 * is exposed beyond the machine unless a config says so.
 *
 * lat__host_http_sync recomputes the wanted listeners and routes from the
 * links, providers and config after any change to them (ctl or KV watch)
 * and swaps the route tables under routes_mu, so a deleted link stops
 * routing for the very next request; a listener no longer wanted is closed
 * (requests in flight on it finish).  Each request takes a lease on its
 * component (host_supervisor.c): the component's `count` caps concurrent
 * requests, and a full component gets 503 after a bounded wait.
 *
 * A linked component that does not run on this host is called where it
 * runs: the whole request goes as wrpc:http/incoming-handler@0.1.0.handle
 * to {lattice}.{component}.wrpc... (any host running it answers, queue
 * group), with source-id = this provider's id and link-name = the link's,
 * so the callee checks the very link the route came from; the link
 * config's `timeout_ms` (else 30 s) bounds it.  Nobody serving it is a
 * 404, no answer in time a 504, a failed call a 502.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host_int.h"

#define BUILTIN_HTTP "wasmcloud+builtin://http-server"
#define DEFAULT_ADDR "127.0.0.1:8000"
#define LEASE_WAIT_NS (30ull * 1000000000ull) /* a full component: wait this long, then 503 */
#define REMOTE_TIMEOUT_MS 30000u /* a request to a component on another host (no timeout_ms) */

enum { MODE_ADDRESS, MODE_PATH, MODE_HOST };

typedef struct {
  char *match;  /* path prefix or host; "" in address mode */
  char *target; /* component id */
  char *source; /* the http-server provider's id (the link's source) */
  char *name;   /* the link's name */
  uint32_t timeout_ms; /* the link config's timeout_ms, for a remote target */
} route_t;

typedef struct lat__host_listener {
  struct lat__host_listener *next;
  lat_host_t *h;
  char *addr;
  int mode;
  route_t *routes; /* under h->routes_mu */
  size_t nroutes;
  lat_host_http_t *srv;
} listener_t;

static void routes_free(route_t *r, size_t n) {
  for (size_t i = 0; i < n; i++) {
    lat_free(r[i].match);
    lat_free(r[i].target);
    lat_free(r[i].source);
    lat_free(r[i].name);
  }
  lat_free(r);
}

static char *dup(const char *s) { return lat_strndup(s, strlen(s)); }


static const char *cfg_str(json_t *cfg, const char *k, const char *def) {
  json_t *v = json_object_get(cfg, k);
  return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : def;
}

/* The wanted state: a list of listeners (not started) with their routes. */
static listener_t *wanted(lat_host_t *h) {
  listener_t *list = NULL;
  pthread_mutex_lock(&h->mu);
  for (lat__host_prov_t *p = h->provs; p; p = p->next) {
    if (strcmp(p->image_ref, BUILTIN_HTTP)) continue;
    json_t *pc = lat__host_config_merge(h, p->config);
    const char *m = cfg_str(pc, "routing_mode", "address");
    int mode = !strcmp(m, "path") ? MODE_PATH : !strcmp(m, "host") ? MODE_HOST : MODE_ADDRESS;
    const char *def = cfg_str(pc, "default_address", cfg_str(pc, "address", DEFAULT_ADDR));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(h->links, p->id), i, l) {
      json_t *ifs = json_object_get(l, "interfaces");
      bool handler = false;
      size_t k;
      json_t *x;
      json_array_foreach(ifs, k, x) handler |= !strcmp(json_string_value(x), "incoming-handler");
      if (!handler || strcmp(json_string_value(json_object_get(l, "wit_namespace")), "wasi") ||
          strcmp(json_string_value(json_object_get(l, "wit_package")), "http"))
        continue;
      json_t *lc = lat__host_config_merge(h, json_object_get(l, "source_config"));
      const char *addr = mode == MODE_ADDRESS ? cfg_str(lc, "address", def) : def;
      const char *match = mode == MODE_PATH   ? cfg_str(lc, "path", "/")
                          : mode == MODE_HOST ? cfg_str(lc, "host", "")
                                              : "";
      listener_t *ls = list;
      while (ls && strcmp(ls->addr, addr)) ls = ls->next;
      if (!ls && (ls = lat_calloc(1, sizeof *ls))) {
        ls->h = h;
        ls->addr = dup(addr);
        ls->mode = mode;
        ls->next = list;
        list = ls;
      }
      route_t *r = ls ? lat_realloc(ls->routes, (ls->nroutes + 1) * sizeof *r) : NULL;
      if (r) {
        ls->routes = r;
        route_t *nr = &r[ls->nroutes++];
        nr->match = dup(match);
        nr->target = dup(json_string_value(json_object_get(l, "target")));
        nr->source = dup(p->id);
        nr->name = dup(cfg_str(l, "name", "default"));
        const char *tmo = cfg_str(lc, "timeout_ms", NULL);
        char *end = NULL;
        unsigned long ms = tmo ? strtoul(tmo, &end, 10) : 0;
        nr->timeout_ms = tmo && !*end && ms && ms <= 3600000 ? (uint32_t)ms : REMOTE_TIMEOUT_MS;
      }
      json_decref(lc);
    }
    json_decref(pc);
  }
  pthread_mutex_unlock(&h->mu);
  return list;
}

static void listener_free(listener_t *l) {
  if (!l) return;
  lat_host_http_free(l->srv); /* waits for its requests */
  routes_free(l->routes, l->nroutes);
  lat_free(l->addr);
  lat_free(l);
}

/* Picks the route for a request (under routes_mu); NULL when none. */
static const route_t *pick(const listener_t *l, const char *authority, const char *target) {
  const route_t *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < l->nroutes; i++) {
    const route_t *r = &l->routes[i];
    if (l->mode == MODE_ADDRESS) return r;
    if (l->mode == MODE_HOST) {
      if (!authority) continue;
      size_t n = strcspn(authority, ":");
      if (strlen(r->match) == n && !strncasecmp(r->match, authority, n)) return r;
      continue;
    }
    size_t n = strlen(r->match);
    /* a prefix on a segment boundary: /api matches /api and /api/x, not /apix */
    if (!strncmp(target, r->match, n) &&
        (n && (r->match[n - 1] == '/' || !target[n] || target[n] == '/' || target[n] == '?')) &&
        n >= best_len) {
      best = r;
      best_len = n;
    }
  }
  return best;
}

/* One request's hold: its lease and its invocation context, or, for a
 * component on another host, what the wRPC call needs and its answer. */
typedef struct {
  bool remote;
  lat__host_lease_t lease;
  lat__host_inv_t inv;
  /* remote */
  lat_host_t *h;
  char target[256], source[256], name[256];
  uint32_t timeout_ms;
  lat_arena_t arena; /* the response, until release */
} ticket_t;

/* lat_host_http_target_t.forward: the request to the component's
 * wrpc:http/incoming-handler on whichever host runs it (queue group), as
 * wasmCloud's http-server provider does; source-id is the provider's id,
 * so the callee's link check sees the link this route came from. */
static lat_status forward_remote(void *token, const lat_wasi_http_request_t *req,
                                 lat_wasi_http_response_t *resp) {
  ticket_t *t = token;
  lat_host_t *h = t->h;
  lat_arena_t *a = &t->arena;
  lat_wrpc_http_field_t *hv = lat__host_wrpc_fields(a, req->headers, req->nheaders);
  if (!hv) return LAT_ENOMEM;
  lat_wrpc_http_request_t wr = {.method = req->method,
                                .scheme = req->https ? "https" : "http",
                                .authority = req->authority,
                                .path_with_query = req->path_with_query,
                                .headers = hv,
                                .nheaders = req->nheaders,
                                .body = req->body,
                                .body_len = req->body_len};
  lat_lattice_header_t hdrs[4] = {{"source-id", t->source}, {"link-name", t->name}};
  size_t nh = 2;
  lat__host_trace_headers(&t->inv, hdrs, &nh);
  lat_wrpc_invoke_opts_t io = {.headers = hdrs, .nheaders = nh, .timeout_ms = t->timeout_ms};
  lat_wrpc_http_response_t wresp;
  lat_error_t err;
  lat_error_clear(&err);
  lat_status st = lat_wrpc_http_invoke(h->rpc, h->lattice, t->target, &io, &wr, a, &wresp, NULL,
                                       &err);
  if (st) {
    LAT_LOGF(LAT_LOG_WARN, "host", "http request to component=%s over wRPC failed reason=\"%s\"",
             t->target, err.msg);
    return st;
  }
  lat_wasi_http_header_t *rh = lat__host_wasi_headers(a, wresp.headers, wresp.nheaders);
  if (!rh) return LAT_ENOMEM;
  *resp = (lat_wasi_http_response_t){.ok = true, .status = wresp.status, .headers = rh,
                                     .nheaders = wresp.nheaders, .body = wresp.body,
                                     .body_len = wresp.body_len};
  return LAT_OK;
}

/* Header `name` of req (the first), NUL-terminated in buf; NULL when
 * absent or longer than cap - 1. */
static const char *header(const lat_wasi_http_request_t *req, const char *name, char *buf,
                          size_t cap) {
  size_t n = strlen(name);
  for (size_t i = 0; i < req->nheaders; i++) {
    const lat_wasi_http_header_t *x = &req->headers[i];
    if (x->name_len != n || strncasecmp(x->name, name, n)) continue;
    if (x->value_len >= cap) return NULL;
    memcpy(buf, x->value, x->value_len);
    buf[x->value_len] = 0;
    return buf;
  }
  return NULL;
}

/* The request's trace context into inv (not entered: remote calls read it). */
static void trace_from(lat__host_inv_t *inv, const lat_wasi_http_request_t *req) {
  char tp[LAT__HOST_TRACEPARENT_LEN + 1], ts[LAT__HOST_TRACESTATE_MAX + 1];
  lat__host_inv_trace(inv, header(req, "traceparent", tp, sizeof tp),
                      header(req, "tracestate", ts, sizeof ts));
}

static lat_status route(void *env, const lat_wasi_http_request_t *req,
                        lat_host_http_target_t *out) {
  listener_t *l = env;
  lat_host_t *h = l->h;
  ticket_t *t = lat_calloc(1, sizeof *t);
  if (!t) return LAT_ENOMEM;
  pthread_mutex_lock(&h->routes_mu);
  const route_t *r = pick(l, req->authority, req->path_with_query);
  if (r) {
    snprintf(t->target, sizeof t->target, "%s", r->target);
    snprintf(t->source, sizeof t->source, "%s", r->source);
    snprintf(t->name, sizeof t->name, "%s", r->name);
    t->timeout_ms = r->timeout_ms;
  }
  pthread_mutex_unlock(&h->routes_mu);
  if (!r) {
    lat_free(t);
    return LAT_ENOTFOUND;
  }
  lat_status st = lat__host_lease(h, t->target, LEASE_WAIT_NS, &t->lease, NULL);
  if (st == LAT_ENOTFOUND) { /* not here: perhaps on another host */
    t->remote = true;
    t->h = h;
    trace_from(&t->inv, req);
    lat_arena_init(&t->arena);
    out->hc = NULL;
    out->forward = forward_remote;
    out->timeout_ns = (uint64_t)t->timeout_ms * 1000000u;
    out->token = t;
    return LAT_OK;
  }
  if (st) {
    lat_free(t);
    return st;
  }
  /* the guest runs on this thread until release: its links and config */
  lat__host_inv_enter(&t->inv, h, t->target, t->lease.config, t->lease.secrets);
  trace_from(&t->inv, req);
  out->hc = t->lease.hc;
  out->timeout_ns = t->lease.max_exec_ns;
  out->token = t;
  return LAT_OK;
}

static void release(void *env, void *token) {
  listener_t *l = env;
  ticket_t *t = token;
  if (t->remote) {
    lat_arena_fini(&t->arena);
  } else {
    lat__host_inv_leave(&t->inv);
    lat__host_release(l->h, &t->lease);
  }
  lat_free(t);
}

void lat__host_http_sync(lat_host_t *h) {
  lat__host_provs_links_sync(h); /* the same changes reach executable providers */
  lat__host_http_client_sync(h); /* and built-in http-clients */
  listener_t *want = wanted(h), *gone = NULL;
  pthread_mutex_lock(&h->routes_mu);
  /* keep the listeners still wanted (new routes), drop the others */
  for (listener_t **pp = &h->listeners; *pp;) {
    listener_t *cur = *pp, *w = want;
    while (w && (!w->addr || strcmp(w->addr, cur->addr))) w = w->next; /* NULL: merged */
    if (w) {
      routes_free(cur->routes, cur->nroutes);
      cur->routes = w->routes;
      cur->nroutes = w->nroutes;
      cur->mode = w->mode;
      w->routes = NULL;
      w->nroutes = 0;
      lat_free(w->addr);
      w->addr = NULL; /* marks it as merged */
      pp = &cur->next;
    } else {
      *pp = cur->next;
      cur->next = gone;
      gone = cur;
    }
  }
  /* start the new ones */
  while (want) {
    listener_t *w = want;
    want = w->next;
    if (!w->addr) {
      lat_free(w);
      continue;
    }
    lat_host_http_opts_t o = {.addr = w->addr, .route = route, .release = release,
                              .route_env = w, .client = h->http_client};
    lat_error_t err;
    lat_error_clear(&err);
    if (lat_host_http_new(NULL, &o, &w->srv, &err)) {
      LAT_LOGF(LAT_LOG_ERROR, "host", "http-server cannot listen address=%s reason=\"%s\"", w->addr,
                    err.msg);
      routes_free(w->routes, w->nroutes);
      lat_free(w->addr);
      lat_free(w);
      continue;
    }
    w->next = h->listeners;
    h->listeners = w;
  }
  pthread_mutex_unlock(&h->routes_mu);
  while (gone) {
    listener_t *g = gone;
    gone = g->next;
    listener_free(g);
  }
}

void lat__host_http_stop(lat_host_t *h) {
  lat__host_http_client_stop(h);
  pthread_mutex_lock(&h->routes_mu);
  listener_t *all = h->listeners;
  h->listeners = NULL;
  pthread_mutex_unlock(&h->routes_mu);
  while (all) {
    listener_t *g = all;
    all = g->next;
    listener_free(g);
  }
}
