/* host_http_client.c: outgoing HTTP for components on a lattice host
 * (wasi:http/outgoing-handler), through links, as in wasmCloud 1.x: a
 * component reaches the network only through an http-client provider it
 * is linked to (PROTOCOL.md §4.5, §14.2).
 *
 * Every exchange the host makes (the built-in server's, a served
 * wrpc:http call's) gets lat__host_http_transfer as its transfer hook, so
 * no outgoing request goes out by itself.  At transfer time, on the guest's
 * thread (the invocation context says who is asking): the link (source =
 * the component, wasi:http outgoing-handler, its current link name) is
 * looked up; none: HTTP-request-denied.  Its target is
 *   - the built-in http-client (wasmcloud+builtin://http-client) running
 *     on this host: the request goes out from here with libcurl
 *     (lat_wasi_http_xfer_run), if the link's target config allows its
 *     destination: `allowed_hosts`, a comma list of HOST or HOST:PORT
 *     (absent: any, as wasmCloud's provider);
 *   - anything else: a wRPC call of its wrpc:http/outgoing-handler@0.1.0
 *     .handle (a built-in http-client on another host, or a wasmCloud
 *     http-client provider), headers source-id, link-name and the trace
 *     context, bounded by the transfer's own limit.
 * The response comes back whole: status, headers through the transfer's
 * on_header, the body within its budget (beyond: HTTP-response-body-size).
 * An error-code from the provider is passed on when it is one the WASI
 * layer can represent, else it becomes internal-error naming it.
 *
 * A built-in http-client also serves wrpc:http/outgoing-handler to other
 * hosts' components (lat__host_http_client_sync, with the callee's link
 * check), so where it runs does not matter to the component.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "host_int.h"

#define BUILTIN_HTTP_CLIENT "wasmcloud+builtin://http-client"

/* wasi:http error-code cases (WIT variant indexes) used here */
enum { HEC_RESPONSE_BODY_SIZE = 28, HEC_RESPONSE_TIMEOUT = 33 };

static void fail_x(lat_wasi_http_xfer_t *x, int code, const char *fmt, const char *a,
                   const char *b) {
  x->error = code;
  snprintf(x->detail, sizeof x->detail, fmt, a, b);
}

/* True when host[:port] of url is on the comma list allow (HOST or
 * HOST:PORT entries; ASCII case aside). */
static bool destination_allowed(const char *allow, const char *url) {
  const char *p = strstr(url, "://");
  if (!p) return false;
  p += 3;
  size_t alen = strcspn(p, "/?#");
  const char *colon = NULL;
  if (*p == '[') { /* [v6]:port */
    const char *rb = memchr(p, ']', alen);
    colon = rb && rb + 1 < p + alen && rb[1] == ':' ? rb + 1 : NULL;
  } else {
    colon = memchr(p, ':', alen);
  }
  size_t hlen = colon ? (size_t)(colon - p) : alen;
  const char *port = colon ? colon + 1 : NULL;
  size_t plen = colon ? alen - hlen - 1 : 0;
  while (*allow) {
    size_t n = strcspn(allow, ",");
    const char *e = allow;
    while (n && (*e == ' ' || *e == '\t')) e++, n--;
    size_t en = n;
    while (en && (e[en - 1] == ' ' || e[en - 1] == '\t')) en--;
    const char *ec = NULL;
    if (en && e[0] == '[') {
      const char *rb = memchr(e, ']', en);
      ec = rb && rb + 1 < e + en && rb[1] == ':' ? rb + 1 : NULL;
    } else {
      ec = memchr(e, ':', en);
    }
    size_t ehl = ec ? (size_t)(ec - e) : en;
    if (ehl && ehl == hlen && !strncasecmp(e, p, hlen) &&
        (!ec || (port && (size_t)(e + en - ec - 1) == plen && !strncmp(ec + 1, port, plen))))
      return true;
    allow += strcspn(allow, ",");
    if (*allow == ',') allow++;
  }
  return false;
}

/* The link for the running component's outgoing HTTP: its target, and
 * whether that is a built-in http-client on this host, and the merged
 * target config's allowed_hosts (copied, "" when absent). */
static bool find_link(lat_host_t *h, const char *source, const char *name, char *target,
                      size_t cap, bool *local, char *allow, size_t acap) {
  bool found = false;
  *local = false;
  allow[0] = 0;
  pthread_mutex_lock(&h->mu);
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(h->links, source), i, l) {
    json_t *ifs = json_object_get(l, "interfaces");
    bool iface = false;
    size_t k;
    json_t *x;
    json_array_foreach(ifs, k, x) iface |= json_is_string(x) &&
                                          !strcmp(json_string_value(x), "outgoing-handler");
    const char *ns = json_string_value(json_object_get(l, "wit_namespace"));
    const char *pkg = json_string_value(json_object_get(l, "wit_package"));
    const char *ln = json_string_value(json_object_get(l, "name"));
    const char *t = json_string_value(json_object_get(l, "target"));
    if (!iface || !ns || strcmp(ns, "wasi") || !pkg || strcmp(pkg, "http") || !ln ||
        strcmp(ln, name) || !t)
      continue;
    snprintf(target, cap, "%s", t);
    for (lat__host_prov_t *p = h->provs; p; p = p->next)
      *local |= !strcmp(p->id, t) && !strcmp(p->image_ref, BUILTIN_HTTP_CLIENT);
    json_t *cfg = lat__host_config_merge(h, json_object_get(l, "target_config"));
    json_t *a = json_object_get(cfg, "allowed_hosts");
    if (json_is_string(a)) snprintf(allow, acap, "%s", json_string_value(a));
    json_decref(cfg);
    found = true;
    break;
  }
  pthread_mutex_unlock(&h->mu);
  return found;
}

/* The request of x as a wrpc:http request (in a). */
static lat_status to_wrpc(lat_arena_t *a, const lat_wasi_http_xfer_t *x,
                          lat_wrpc_http_request_t *out) {
  const char *u = strstr(x->url, "://");
  if (!u) return LAT_EARG;
  size_t slen = (size_t)(u - x->url), alen = strcspn(u + 3, "/?#");
  char *scheme = lat_arena_alloc(a, slen + 1), *auth = lat_arena_alloc(a, alen + 1);
  lat_wrpc_http_field_t *f = lat__host_wrpc_fields(a, x->headers, x->nheaders);
  if (!scheme || !auth || !f) return LAT_ENOMEM;
  memcpy(scheme, x->url, slen), scheme[slen] = 0;
  memcpy(auth, u + 3, alen), auth[alen] = 0;
  const char *path = u + 3 + alen;
  *out = (lat_wrpc_http_request_t){.method = x->method,
                                   .scheme = scheme,
                                   .authority = auth,
                                   .path_with_query = *path ? path : "/",
                                   .headers = f,
                                   .nheaders = x->nheaders,
                                   .body = x->body,
                                   .body_len = x->body ? x->body_len : 0};
  return LAT_OK;
}

/* Error codes the WASI layer builds values for (wasi_http.c error_code_val):
 * those without a payload, and its sized and detailed ones. */
static bool representable(uint32_t code) {
  static const uint8_t ok[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 17, 18, 19,
                               25, 26, 28, 33, 35, 38};
  for (size_t i = 0; i < sizeof ok; i++)
    if (ok[i] == code) return true;
  return false;
}

/* The wRPC path: target's wrpc:http/outgoing-handler.handle. */
static lat_status remote(lat_host_t *h, const lat__host_inv_t *inv, const char *link_name,
                         const char *target, lat_wasi_http_xfer_t *x) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_buf_t root;
  lat_buf_init(&root);
  lat_wrpc_asyncs_t asyncs;
  lat_wrpc_asyncs_init(&asyncs);
  lat_wrpc_results_t res;
  memset(&res, 0, sizeof res);
  lat_error_t err;
  lat_error_clear(&err);
  lat_wrpc_http_request_t wr;
  lat_status st = to_wrpc(&a, x, &wr);
  if (st == LAT_EARG) {
    fail_x(x, LAT_WASI_HEC_INTERNAL_ERROR, "bad url %.140s%s", x->url, "");
    st = LAT_OK;
    goto out;
  }
  /* (request, option<request-options>): the request, then none */
  if (st || (st = lat_wrpc_http_request_encode(&wr, &root, &asyncs, &err)) ||
      (st = lat_buf_push(&root, 0))) {
    if (st != LAT_ENOMEM) {
      fail_x(x, LAT_WASI_HEC_INTERNAL_ERROR, "%.150s%s", err.msg, "");
      st = LAT_OK;
    }
    goto out;
  }
  lat_lattice_header_t hdrs[4] = {{"source-id", inv->source}, {"link-name", link_name}};
  size_t nh = 2;
  lat__host_trace_headers(inv, hdrs, &nh);
  uint64_t ms = x->total_ns / 1000000u;
  lat_wrpc_invoke_opts_t io = {.headers = hdrs,
                               .nheaders = nh,
                               .timeout_ms = ms ? (uint32_t)(ms > 3600000 ? 3600000 : ms) : 1,
                               .max_results = x->max_body + (1u << 20),
                               .async_params = asyncs.items,
                               .nasync_params = asyncs.n,
                               .result_types = &h->http_types.handle_result,
                               .nresult_types = 1};
  st = lat_wrpc_invoke_ex(h->rpc, h->lattice, target, LAT_WRPC_HTTP_OUTGOING,
                          LAT_WRPC_HTTP_FUNCTION, root.data, root.len, &io, &res, &err);
  if (st == LAT_ETIMEOUT) {
    x->error = HEC_RESPONSE_TIMEOUT;
    x->timed_out = true;
    st = LAT_OK;
    goto out;
  }
  if (st || !res.root.len) {
    fail_x(x, LAT_WASI_HEC_INTERNAL_ERROR, "http-client %.48s: %.96s", target,
           st == LAT_ENOTFOUND ? "runs on no host of the lattice"
           : st                ? err.msg
                               : "refused or failed (see its log)");
    st = LAT_OK;
    goto out;
  }
  lat_wrpc_http_response_t resp;
  lat_wrpc_http_error_t herr = {0};
  st = lat_wrpc_http_result_decode(res.root.data, res.root.len, res.asyncs.items, res.asyncs.n,
                                   &a, &resp, &herr, &err);
  if (st == LAT_EINVALID && herr.name) { /* the provider answered an error-code */
    if (representable(herr.code) && herr.code != LAT_WASI_HEC_INTERNAL_ERROR) x->error = (int)herr.code;
    else fail_x(x, LAT_WASI_HEC_INTERNAL_ERROR, "%.40s %.100s", herr.name,
                herr.message ? herr.message : "");
    st = LAT_OK;
    goto out;
  }
  if (st) {
    fail_x(x, LAT_WASI_HEC_INTERNAL_ERROR, "http-client %.48s: %.96s", target, err.msg);
    st = LAT_OK;
    goto out;
  }
  if (resp.body_len > x->max_body) {
    x->error = HEC_RESPONSE_BODY_SIZE;
    x->error_arg = resp.body_len;
    goto out;
  }
  for (size_t i = 0; i < resp.nheaders; i++)
    if (!x->on_header(x->arg, resp.headers[i].name, strlen(resp.headers[i].name),
                      resp.headers[i].value, resp.headers[i].len)) {
      st = LAT_ENOMEM;
      goto out;
    }
  if (resp.body_len && lat_buf_append(&x->resp_body, resp.body, resp.body_len)) {
    st = LAT_ENOMEM;
    goto out;
  }
  x->status = resp.status;
  x->error = -1;
out:
  lat_wrpc_results_fini(&res);
  lat_wrpc_asyncs_fini(&asyncs);
  lat_buf_fini(&root);
  lat_arena_fini(&a);
  return st;
}

lat_status lat__host_http_transfer(void *env, lat_wasi_http_xfer_t *x) {
  lat_host_t *h = env;
  lat__host_inv_t *inv = lat__host_inv_current();
  x->error = -1;
  if (!inv) {
    x->error = LAT_WASI_HEC_REQUEST_DENIED; /* no component is running this */
    return LAT_OK;
  }
  const char *name = lat__host_link_name(inv, "wasi", "http", "outgoing-handler");
  char target[256], allow[1024];
  bool local;
  if (!find_link(h, inv->source, name, target, sizeof target, &local, allow, sizeof allow)) {
    LAT_LOGF(LAT_LOG_WARN, "host",
             "outgoing http request denied component=%s url=%s reason=\"link `%s` not found for "
             "instance wasi:http/outgoing-handler\"",
             inv->source, x->url, name);
    x->error = LAT_WASI_HEC_REQUEST_DENIED;
    return LAT_OK;
  }
  if (!local) return remote(h, inv, name, target, x);
  if (*allow && !destination_allowed(allow, x->url)) {
    LAT_LOGF(LAT_LOG_WARN, "host",
             "outgoing http request denied component=%s url=%s reason=\"not in allowed_hosts of "
             "its link to %s\"",
             inv->source, x->url, target);
    x->error = LAT_WASI_HEC_REQUEST_DENIED;
    return LAT_OK;
  }
  return lat_wasi_http_xfer_run(x);
}

/* ---- serving other hosts' components -------------------------------------------------- */

struct lat__host_hclient {
  struct lat__host_hclient *next;
  lat_host_t *h;
  char *id;
  lat_wrpc_server_t *srv;
};
typedef struct lat__host_hclient hclient_t;

typedef struct {
  lat_wrpc_http_field_t *f;
  size_t n, cap;
  lat_arena_t *a;
} hdrs_t;

static bool collect_header(void *arg, const char *name, size_t nlen, const uint8_t *value,
                           size_t vlen) {
  hdrs_t *c = arg;
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 16;
    lat_wrpc_http_field_t *nf = lat_arena_array(c->a, ncap, sizeof *nf);
    if (!nf) return false;
    if (c->n) memcpy(nf, c->f, c->n * sizeof *nf);
    c->f = nf, c->cap = ncap;
  }
  char *nm = lat_arena_alloc(c->a, nlen + 1);
  uint8_t *v = lat_arena_alloc(c->a, vlen ? vlen : 1);
  if (!nm || !v) return false;
  memcpy(nm, name, nlen), nm[nlen] = 0;
  if (vlen) memcpy(v, value, vlen);
  c->f[c->n++] = (lat_wrpc_http_field_t){nm, v, vlen};
  return true;
}

static void reset_headers(void *arg) { ((hdrs_t *)arg)->n = 0; }

/* wrpc:http/outgoing-handler.handle for a built-in http-client: the
 * callee's link check, the link's allowed_hosts, then the transfer. */
static lat_status serve_outgoing(void *ctx, const lat_wrpc_request_t *req, lat_buf_t *results,
                                 lat_error_t *err) {
  hclient_t *c = ctx;
  lat_host_t *h = c->h;
  const char *src = lat_lattice_headers_get(req->headers, "source-id");
  const char *ln = lat_lattice_headers_get(req->headers, "link-name");
  if (!ln || !*ln) ln = "default";
  char target[256] = "", allow[1024] = "";
  bool local = false;
  if (!src || !find_link(h, src, ln, target, sizeof target, &local, allow, sizeof allow) ||
      strcmp(target, c->id))
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "refused " LAT_WRPC_HTTP_OUTGOING ".handle on %s from %s: no link `%s` "
                         "from it to this http-client",
                         c->id, src ? src : "(no source-id)", ln);
  lat_arena_t a;
  lat_arena_init(&a);
  lat_wrpc_http_request_t wr;
  lat_status st = lat_wrpc_http_outgoing_decode(req->params, req->len, req->asyncs, req->nasync,
                                                &a, &wr, err);
  if (st) {
    lat_arena_fini(&a);
    return st;
  }
  lat_buf_t url;
  lat_buf_init(&url);
  char why[300] = "";
  if (!wr.authority || lat_buf_printf(&url, "%s://%s%s", wr.scheme ? wr.scheme : "http",
                                      wr.authority, wr.path_with_query ? wr.path_with_query : "/"))
    snprintf(why, sizeof why, "a request needs an authority");
  else if (*allow && !destination_allowed(allow, (const char *)url.data))
    snprintf(why, sizeof why, "HTTP-request-denied: %s is not in allowed_hosts of the link",
             wr.authority);
  hdrs_t got = {.a = &a};
  lat_wasi_http_header_t *hv = lat__host_wasi_headers(&a, wr.headers, wr.nheaders);
  lat_wasi_http_xfer_t x = {.method = wr.method,
                            .url = (const char *)url.data,
                            .headers = hv,
                            .nheaders = wr.nheaders,
                            .body = wr.body_len ? wr.body : NULL,
                            .body_len = wr.body_len,
                            .total_ns = 30ull * 1000000000ull,
                            .max_body = 64u << 20,
                            .on_header = collect_header,
                            .on_reset = reset_headers,
                            .arg = &got,
                            .error = -1};
  if (!*why && !hv) st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  else if (!*why && (st = lat_wasi_http_xfer_run(&x))) lat_error_set(err, st, SIZE_MAX, "out of memory");
  else if (!*why && x.error >= 0)
    snprintf(why, sizeof why, "the request failed (error-code %d%s%s)", x.error,
             x.detail[0] ? ": " : "", x.detail);
  if (!st) {
    if (*why) {
      LAT_LOGF(LAT_LOG_WARN, "host", "outgoing http request for %s failed provider_id=%s reason=\"%s\"",
               src, c->id, why);
      st = lat_wrpc_http_result_encode(NULL, why, results, req->async_results, err);
    } else {
      lat_wrpc_http_response_t resp = {.status = x.status, .headers = got.f, .nheaders = got.n,
                                       .body = x.resp_body.data, .body_len = x.resp_body.len};
      st = lat_wrpc_http_result_encode(&resp, NULL, results, req->async_results, err);
    }
  }
  lat_buf_fini(&x.resp_body);
  lat_buf_fini(&url);
  lat_arena_fini(&a);
  return st;
}

static void hclient_free(hclient_t *c) {
  if (!c) return;
  lat_wrpc_server_free(c->srv); /* waits for calls in flight */
  lat_free(c->id);
  lat_free(c);
}

void lat__host_http_client_sync(lat_host_t *h) {
  if (!h->wrpc_queue) return;
  hclient_t *gone = NULL;
  pthread_mutex_lock(&h->routes_mu);
  /* drop the servers of http-clients no longer here */
  for (hclient_t **pp = &h->hclients; *pp;) {
    bool here = false;
    pthread_mutex_lock(&h->mu);
    for (lat__host_prov_t *p = h->provs; p; p = p->next)
      here |= !strcmp(p->id, (*pp)->id) && !strcmp(p->image_ref, BUILTIN_HTTP_CLIENT);
    pthread_mutex_unlock(&h->mu);
    if (here) {
      pp = &(*pp)->next;
    } else {
      hclient_t *c = *pp;
      *pp = c->next;
      c->next = gone;
      gone = c;
    }
  }
  /* serve the new ones */
  char ids[16][256];
  size_t n = 0;
  pthread_mutex_lock(&h->mu);
  for (lat__host_prov_t *p = h->provs; p && n < 16; p = p->next) {
    if (strcmp(p->image_ref, BUILTIN_HTTP_CLIENT)) continue;
    bool served = false;
    for (hclient_t *c = h->hclients; c; c = c->next) served |= !strcmp(c->id, p->id);
    if (!served) snprintf(ids[n++], sizeof ids[0], "%s", p->id);
  }
  pthread_mutex_unlock(&h->mu);
  for (size_t i = 0; i < n; i++) {
    hclient_t *c = lat_calloc(1, sizeof *c);
    lat_error_t err;
    lat_error_clear(&err);
    if (!c || !(c->id = lat_strndup(ids[i], strlen(ids[i])))) {
      hclient_free(c);
      continue;
    }
    c->h = h;
    lat_wrpc_serve_opts_t so = {.queue = h->wrpc_queue,
                                .params_typed = true,
                                .param_types = h->http_types.outgoing_params,
                                .nparam_types = 2};
    if (lat_wrpc_serve(h->rpc, h->lattice, c->id, LAT_WRPC_HTTP_OUTGOING, LAT_WRPC_HTTP_FUNCTION,
                       serve_outgoing, c, &so, &c->srv, &err)) {
      LAT_LOGF(LAT_LOG_ERROR, "host", "cannot serve http-client provider_id=%s reason=\"%s\"",
               c->id, err.msg);
      hclient_free(c);
      continue;
    }
    c->next = h->hclients;
    h->hclients = c;
  }
  pthread_mutex_unlock(&h->routes_mu);
  while (gone) {
    hclient_t *c = gone;
    gone = c->next;
    hclient_free(c);
  }
}

void lat__host_http_client_stop(lat_host_t *h) {
  pthread_mutex_lock(&h->routes_mu);
  hclient_t *all = h->hclients;
  h->hclients = NULL;
  pthread_mutex_unlock(&h->routes_mu);
  while (all) {
    hclient_t *c = all;
    all = c->next;
    hclient_free(c);
  }
}
