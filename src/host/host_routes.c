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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"

#define BUILTIN_HTTP "wasmcloud+builtin://http-server"
#define DEFAULT_ADDR "127.0.0.1:8000"
#define LEASE_WAIT_NS (30ull * 1000000000ull) /* a full component: wait this long, then 503 */

enum { MODE_ADDRESS, MODE_PATH, MODE_HOST };

typedef struct {
  char *match;  /* path prefix or host; "" in address mode */
  char *target; /* component id */
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
  }
  lat_free(r);
}

static char *dup(const char *s) { return lat_strndup(s, strlen(s)); }

/* Named configs merged in order (later keys win); new object. */
static json_t *merged(lat_host_t *h, json_t *names) {
  json_t *m = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    json_t *c = json_object_get(h->configs, json_string_value(n));
    if (c) json_object_update(m, c);
  }
  return m;
}

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
    json_t *pc = merged(h, p->config);
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
      json_t *lc = merged(h, json_object_get(l, "source_config"));
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
        r[ls->nroutes].match = dup(match);
        r[ls->nroutes].target = dup(json_string_value(json_object_get(l, "target")));
        ls->nroutes++;
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
static const char *pick(const listener_t *l, const char *authority, const char *target) {
  const char *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < l->nroutes; i++) {
    const route_t *r = &l->routes[i];
    if (l->mode == MODE_ADDRESS) return r->target;
    if (l->mode == MODE_HOST) {
      if (!authority) continue;
      size_t n = strcspn(authority, ":");
      if (strlen(r->match) == n && !strncasecmp(r->match, authority, n)) return r->target;
      continue;
    }
    size_t n = strlen(r->match);
    /* a prefix on a segment boundary: /api matches /api and /api/x, not /apix */
    if (!strncmp(target, r->match, n) &&
        (n && (r->match[n - 1] == '/' || !target[n] || target[n] == '/' || target[n] == '?')) &&
        n >= best_len) {
      best = r->target;
      best_len = n;
    }
  }
  return best;
}

/* One request's hold: its lease and its invocation context. */
typedef struct {
  lat__host_lease_t lease;
  lat__host_inv_t inv;
} ticket_t;

static lat_status route(void *env, const char *authority, const char *target,
                        lat_host_http_target_t *out) {
  listener_t *l = env;
  lat_host_t *h = l->h;
  char id[256];
  pthread_mutex_lock(&h->routes_mu);
  const char *to = pick(l, authority, target);
  if (to) snprintf(id, sizeof id, "%s", to);
  pthread_mutex_unlock(&h->routes_mu);
  if (!to) return LAT_ENOTFOUND;
  ticket_t *t = lat_malloc(sizeof *t);
  if (!t) return LAT_ENOMEM;
  lat_status st = lat__host_lease(h, id, LEASE_WAIT_NS, &t->lease, NULL);
  if (st) {
    lat_free(t);
    return st;
  }
  /* the guest runs on this thread until release: its links and config */
  lat__host_inv_enter(&t->inv, h, id, t->lease.config);
  out->hc = t->lease.hc;
  out->timeout_ns = t->lease.max_exec_ns;
  out->token = t;
  return LAT_OK;
}

static void release(void *env, void *token) {
  listener_t *l = env;
  ticket_t *t = token;
  lat__host_inv_leave(&t->inv);
  lat__host_release(l->h, &t->lease);
  lat_free(t);
}

void lat__host_http_sync(lat_host_t *h) {
  lat__host_provs_links_sync(h); /* the same changes reach executable providers */
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
                              .route_env = w};
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
