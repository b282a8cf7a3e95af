/* wasi_http.c: the host side of wasi:http 0.2 (types, incoming-handler
 * dispatch, outgoing-handler), for `lattice serve`.
 *
 * Approach: one lat_wasi_http_t is one request/response exchange, handed to
 * the instance through its WASI 0.2 context (lat_wasi_p2_set_http) so the
 * host functions reach both.  wasi:http resources (fields, requests,
 * responses, bodies, futures, options) live in a table of their own
 * indexed by rep (index + 1); the streams the bodies hand out are ordinary
 * wasi:io streams of the WASI 0.2 host, backed by memory (wasi_p2.h): the
 * request body is an input stream over the server's buffered bytes
 * (borrowed, read without a copy), and the response body is an output
 * stream appending to a sink the exchange owns, which the server sends
 * from once `handle` returns (lat_wasi_http_response hands out the sink's
 * buffer, again without a copy).  So wasi_p2.c's stream code serves both
 * without knowing about HTTP, a body stream is always ready, and a request
 * costs no file descriptor and no system call for its bodies.  All the
 * sinks of one exchange share one budget (HTTP_MAX_BODY_OUT bytes): past
 * it a write fails with a stream error that says so, and a response whose
 * body overflowed is not sent (LAT_ELIMIT).
 *
 * Streaming (servers, lat_wasi_http_set_stream): once the guest sets its
 * response, the response's sink switches to handing each write to the
 * server's callback (what was written before set goes first), and its
 * finish is reported, so the body goes to the client while the guest
 * runs and a slow client costs the server's write window, not the body.
 * The callback runs on the guest's thread and may block (the server
 * bounds it by the request's deadline); it is a plain function pointer on
 * the sink so wasi_p2.c's stream code stays HTTP-agnostic.  Without a
 * stream (`lattice call`, tests) the body is collected as before.
 *
 * Outgoing requests: an outgoing-request is a call (hcall_t) the exchange
 * owns; its body is a sink like a response's.  outgoing-handler.handle
 * checks the destination (http or https, a well-formed authority, and the
 * exchange's allow-list, lat_wasi_http_client_t) and answers
 * HTTP-request-denied there and then, so a denied request never touches
 * the network.  The transfer itself (wasi_http_client.c, libcurl) runs
 * when the guest first needs its result: future-incoming-response.get, or
 * a block or poll on the future's pollable when nothing else the guest
 * waits for is ready (a waiter, wasi_p2.h), so a guest that writes its
 * body after `handle` has done so by then.  The response's body is
 * buffered in the call (capped per exchange) and read through a memory
 * input stream.  A transfer never outlasts the client's timeout (30 s by
 * default) or the context's deadline (a trap, as for any blocking call).
 *
 * Rejected: collecting every response whole in servers (what serve did
 * first: a client that reads slowly pinned a copy of the body per
 * connection, up to 64 MiB each); memfds for bodies (tried first: five
 * system calls and an fd per body for bytes
 * that are in memory anyway); pipes (a body over 64 KiB would block the
 * only thread that drains it); starting transfers in `handle` on another
 * thread (the request body may not be written yet, and a synchronous guest
 * waits for the response anyway).
 *
 * Invariants: every sink and call is freed only by lat_wasi_http_free,
 * after the instance is gone, so a guest dropping handles in any order can
 * never make a stream or pollable touch freed memory.  Header names and
 * values from the guest are checked (token characters; no CR, LF or NUL)
 * before they can reach the wire, and so are the method (a token), the
 * path (visible ASCII, no fragment) and the authority (host and port only)
 * of outgoing requests.  Fields shared between a message and the
 * `headers()` handles onto it are reference-counted.
 */
#include <ctype.h>
#include <errno.h>

#include "wasi_p2.h"

#define ENV ((const http_ids_t *)env)

#define HTTP_MAX_OBJS 65536u
#define HTTP_MAX_FIELDS 4096u
#define HTTP_MAX_BODIES 64u            /* bodies the guest may open per exchange */
#define HTTP_MAX_BODY_OUT (64u << 20) /* bytes the guest may write into them */
#define HTTP_MAX_CALLS 256u            /* outgoing requests per exchange */
#define HTTP_TIMEOUT_NS (30ull * 1000000000ull) /* a transfer, by default */
#define HTTP_MAX_BODY_IN (64u << 20)   /* response bytes per exchange, by default */

enum {
  H_FREE = 0, H_FIELDS, H_INREQ, H_OUTPARAM, H_INBODY, H_TRAILERS, H_OUTRESP, H_OUTBODY,
  H_OUTREQ, H_REQOPTS, H_FUTRESP, H_INRESP,
};

typedef struct {
  char *name;     /* NUL-terminated, lat_malloc'd together with value */
  uint8_t *value;
  size_t vlen;
} hfield_t;

typedef struct {
  uint32_t refs;
  uint32_t n, cap;
  hfield_t *v;
} hfields_t;

/* One outgoing request, from its constructor to the end of the exchange,
 * which owns it: the pollables and streams of its future and response
 * point into it, and outlive any handle the guest drops. */
typedef struct {
  lat_wasi_http_t *h;     /* the exchange */
  /* the request, as the guest builds it */
  char *method;           /* a token, NUL-terminated (owned) */
  int scheme;             /* -1: none; 0 HTTP, 1 HTTPS, 2 other (scheme_other) */
  char *scheme_other;
  char *authority, *path; /* NUL-terminated (owned), or NULL: none */
  hfields_t *f;           /* headers */
  lat__p2_sink_t *body;   /* once body() ran (owned by the exchange) */
  uint64_t opt[3];        /* handle()'s request-options: connect, first-byte,
                             between-bytes timeouts in ns; 0 = none */
  /* the transfer */
  bool done;              /* it ran: status/resp_f/resp_body or error */
  bool taken;             /* get() handed out its result */
  int error;              /* HEC_* or -1 */
  uint64_t error_arg;
  char detail[160];
  uint16_t status;
  hfields_t *resp_f;      /* response headers */
  lat_buf_t resp_body;
} hcall_t;

typedef struct {
  uint8_t kind;
  bool immutable;  /* FIELDS: headers of an incoming request or response,
                      or of an outgoing request */
  bool consumed;   /* INREQ/INRESP: consume() done; OUTRESP/OUTREQ: body()
                      done; INBODY: stream() done */
  uint16_t status; /* OUTRESP */
  lat__p2_sink_t *sink; /* OUTRESP/OUTBODY: the body, or NULL (owned by the exchange) */
  hfields_t *f;    /* FIELDS, INREQ, OUTRESP */
  hcall_t *call;   /* OUTREQ, FUTRESP, INRESP, and INBODY of a response
                      (owned by the exchange) */
  uint64_t opt[3]; /* REQOPTS: as hcall_t.opt */
} hobj_t;

struct lat_wasi_http {
  const lat_wasi_http_request_t *req; /* borrowed */
  hobj_t *o;
  uint32_t n, cap;
  uint32_t *freev;       /* free slots of o, a stack */
  uint32_t nfree, capfree;
  lat__p2_sink_t *sinks[HTTP_MAX_BODIES]; /* owned, freed by lat_wasi_http_free */
  uint32_t nsinks;
  uint64_t budget;       /* bytes the sinks may still take */
  hcall_t *calls[HTTP_MAX_CALLS]; /* owned, freed by lat_wasi_http_free */
  uint32_t ncalls;
  const lat_wasi_http_client_t *client; /* borrowed, or NULL: deny all */
  uint64_t budget_in;    /* response body bytes the calls may still take */
  /* the response, once response-outparam.set ran */
  bool responded, resp_error;
  uint16_t status;
  hfields_t *resp_fields;
  lat__p2_sink_t *resp_sink; /* its body, or NULL */
  lat_wasi_http_header_t *out_hdrs;
  const lat_wasi_http_stream_t *stream; /* borrowed, or NULL: collect the body */
};

typedef struct {
  const lat__p2_ids_t *p2; /* wasi:io resources */
  uint32_t fields, inreq, outreq, reqopts, outparam, inresp, inbody, trailers,
      outresp, outbody, futresp;
} http_ids_t;

/* ---- fields --------------------------------------------------------------------- */

static hfields_t *fields_new(void) {
  hfields_t *f = lat_calloc(1, sizeof *f);
  if (f) f->refs = 1;
  return f;
}

static void fields_delete_all(hfields_t *f) {
  for (uint32_t i = 0; i < f->n; i++) lat_free(f->v[i].name);
  f->n = 0;
}

static void fields_release(hfields_t *f) {
  if (!f || --f->refs) return;
  fields_delete_all(f);
  lat_free(f->v);
  lat_free(f);
}

static bool fields_add(hfields_t *f, const char *name, size_t nlen,
                       const uint8_t *val, size_t vlen) {
  if (f->n >= HTTP_MAX_FIELDS) return false;
  if (f->n == f->cap) {
    uint32_t nc = f->cap ? f->cap * 2 : 8;
    hfield_t *v = lat_realloc(f->v, nc * sizeof *v);
    if (!v) return false;
    f->v = v;
    f->cap = nc;
  }
  char *b = lat_malloc(nlen + 1 + vlen + 1);
  if (!b) return false;
  memcpy(b, name, nlen);
  b[nlen] = 0;
  if (vlen) memcpy(b + nlen + 1, val, vlen);
  b[nlen + 1 + vlen] = 0;
  f->v[f->n++] = (hfield_t){.name = b, .value = (uint8_t *)b + nlen + 1, .vlen = vlen};
  return true;
}

static bool name_eq(const hfield_t *h, const char *s, size_t n) {
  return strlen(h->name) == n && !strncasecmp(h->name, s, n);
}

static void fields_delete(hfields_t *f, const char *name, size_t n) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < f->n; i++) {
    if (name_eq(&f->v[i], name, n)) lat_free(f->v[i].name);
    else f->v[k++] = f->v[i];
  }
  f->n = k;
}

static bool valid_name(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!(isalnum(ch) || strchr("!#$%&'*+-.^_`|~", ch)) || ch == 0) return false;
  }
  return true;
}

static bool valid_value(const uint8_t *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (v[i] == '\r' || v[i] == '\n' || v[i] == 0) return false;
  return true;
}

/* Forbidden for a guest to set: the server owns framing. */
static bool forbidden_name(const char *s, size_t n) {
  static const char *const bad[] = {"connection", "keep-alive", "proxy-connection",
                                    "transfer-encoding", "upgrade", "host"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (strlen(bad[i]) == n && !strncasecmp(bad[i], s, n)) return true;
  return false;
}

/* ---- object table --------------------------------------------------------------- */

static lat_wasi_http_t *H(lat_chost_call_t *c) { return P2->http; }

static hobj_t *hget(lat_wasi_http_t *h, uint32_t rep, uint8_t kind) {
  if (!h || rep == 0 || rep > h->n || h->o[rep - 1].kind != kind) return NULL;
  return &h->o[rep - 1];
}

static uint32_t hadd(lat_wasi_http_t *h, hobj_t o) {
  uint32_t i;
  if (h->nfree) {
    i = h->freev[--h->nfree];
  } else {
    i = h->n;
    if (h->n >= HTTP_MAX_OBJS) return 0;
    if (h->n == h->cap) {
      uint32_t nc = h->cap ? h->cap * 2 : 16;
      hobj_t *v = lat_realloc(h->o, nc * sizeof *v);
      if (!v) return 0;
      h->o = v;
      h->cap = nc;
    }
    h->n++;
  }
  h->o[i] = o;
  return i + 1;
}

static void hrelease(hobj_t *o) {
  fields_release(o->f);
  memset(o, 0, sizeof *o);
}

/* Releases o and makes its slot reusable. */
static void hfree(lat_wasi_http_t *h, hobj_t *o) {
  if (o->kind == H_FREE) return;
  hrelease(o);
  if (h->nfree == h->capfree) {
    uint32_t nc = h->capfree ? h->capfree * 2 : 16;
    uint32_t *v = lat_realloc(h->freev, nc * sizeof *v);
    if (!v) return; /* the slot stays unused until the exchange ends */
    h->freev = v;
    h->capfree = nc;
  }
  h->freev[h->nfree++] = (uint32_t)(o - h->o);
}

static void hdrop(void *data, void *env, uint32_t rep) {
  (void)env;
  lat_wasi_http_t *h = data ? ((lat_wasi_p2_t *)data)->http : NULL;
  if (!h || rep == 0 || rep > h->n) return;
  hfree(h, &h->o[rep - 1]);
}

/* A new body sink drawing on the exchange's budget, or NULL (too many
 * bodies, or out of memory). */
static lat__p2_sink_t *new_sink(lat_wasi_http_t *h) {
  if (h->nsinks >= HTTP_MAX_BODIES) return NULL;
  lat__p2_sink_t *k = lat_calloc(1, sizeof *k);
  if (!k) return NULL;
  lat_buf_init(&k->buf);
  k->budget = &h->budget;
  h->sinks[h->nsinks++] = k;
  return k;
}

/* ---- public ----------------------------------------------------------------------- */

lat_status lat_wasi_http_new(const lat_wasi_http_request_t *req,
                             lat_wasi_http_t **out) {
  lat_wasi_http_t *h = lat_calloc(1, sizeof *h);
  if (!h) return LAT_ENOMEM;
  h->req = req;
  h->budget = HTTP_MAX_BODY_OUT;
  h->budget_in = HTTP_MAX_BODY_IN;
  *out = h;
  return LAT_OK;
}

void lat_wasi_http_free(lat_wasi_http_t *h) {
  if (!h) return;
  for (uint32_t i = 0; i < h->n; i++) hrelease(&h->o[i]);
  lat_free(h->o);
  lat_free(h->freev);
  for (uint32_t i = 0; i < h->nsinks; i++) {
    lat_buf_fini(&h->sinks[i]->buf);
    lat_free(h->sinks[i]);
  }
  for (uint32_t i = 0; i < h->ncalls; i++) {
    hcall_t *k = h->calls[i];
    lat_free(k->method);
    lat_free(k->scheme_other);
    lat_free(k->authority);
    lat_free(k->path);
    fields_release(k->f);
    fields_release(k->resp_f);
    lat_buf_fini(&k->resp_body);
    lat_free(k);
  }
  fields_release(h->resp_fields);
  lat_free(h->out_hdrs);
  lat_free(h);
}

void lat_wasi_p2_set_http(lat_wasi_p2_t *p, lat_wasi_http_t *h) { p->http = h; }

void lat_wasi_http_set_stream(lat_wasi_http_t *h, const lat_wasi_http_stream_t *s) {
  h->stream = s;
}

void lat_wasi_http_set_client(lat_wasi_http_t *h, const lat_wasi_http_client_t *client) {
  h->client = client;
  h->budget_in = client && client->max_response_body ? client->max_response_body
                                                     : HTTP_MAX_BODY_IN;
}

/* ---- value helpers ---------------------------------------------------------------- */

static lat_status own_val(lat_chost_call_t *c, lat_cval_t *r, uint32_t id,
                          uint32_t rep) {
  if (!rep) return OOM();
  lat_cval_t *v = lat__p2_own(AR, lat_chost_call_rtype(c, id), rep);
  if (!v) return OOM();
  *r = *v;
  return LAT_OK;
}

static lat_status no_http(lat_chost_call_t *c) {
  return lat_chost_call_trap(c, LAT_TRAP_HOST, 0,
                             "wasi:http: no HTTP exchange in this context");
}

static lat_status bad_handle(lat_chost_call_t *c) {
  return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:http: unknown resource handle");
}

/* result<_, header-error> */
static lat_status header_result(lat_chost_call_t *c, lat_cval_t *r, int herr) {
  if (herr < 0) {
    lat__p2_result(r, false, NULL);
    return LAT_OK;
  }
  lat_cval_t *e = lat__p2_val(AR, LAT_CT_VARIANT);
  if (!e) return OOM();
  e->of.var.disc = (uint32_t)herr;
  lat__p2_result(r, true, e);
  return LAT_OK;
}
enum { HERR_SYNTAX = 0, HERR_FORBIDDEN = 1, HERR_IMMUTABLE = 2 };

static lat_status fields_handle(lat_chost_call_t *c, const http_ids_t *ids,
                                lat_cval_t *r, hfields_t *f, bool immutable) {
  lat_wasi_http_t *h = H(c);
  f->refs++;
  uint32_t rep = hadd(h, (hobj_t){.kind = H_FIELDS, .immutable = immutable, .f = f});
  if (!rep) {
    fields_release(f);
    return OOM();
  }
  return own_val(c, r, ids->fields, rep);
}

/* ---- fields ------------------------------------------------------------------------ */

HOSTFN(fields_ctor) {
  lat_wasi_http_t *h = H(c);
  if (!h) return no_http(c);
  hfields_t *f = fields_new();
  if (!f) return OOM();
  lat_status st = fields_handle(c, ENV, r, f, false);
  fields_release(f);
  return st;
}

HOSTFN(fields_from_list) {
  lat_wasi_http_t *h = H(c);
  if (!h) return no_http(c);
  hfields_t *f = fields_new();
  if (!f) return OOM();
  for (uint32_t i = 0; i < a[0].of.list.n; i++) {
    const lat_cval_t *t = a[0].of.list.v[i].of.list.v;
    const char *nm = t[0].of.str.ptr;
    size_t nl = t[0].of.str.len;
    int herr = -1;
    if (!valid_name(nm, nl) || !valid_value(t[1].of.list.bytes, t[1].of.list.n)) herr = HERR_SYNTAX;
    else if (forbidden_name(nm, nl)) herr = HERR_FORBIDDEN;
    if (herr >= 0) {
      fields_release(f);
      return header_result(c, r, herr);
    }
    if (!fields_add(f, nm, nl, t[1].of.list.bytes, t[1].of.list.n)) {
      fields_release(f);
      return OOM();
    }
  }
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_OWN);
  if (!v) {
    fields_release(f);
    return OOM();
  }
  lat_status st = fields_handle(c, ENV, v, f, false);
  fields_release(f);
  if (st) return st;
  lat__p2_result(r, false, v);
  return LAT_OK;
}

static hobj_t *fields_arg(lat_chost_call_t *c, const lat_cval_t *a) {
  return hget(H(c), a->of.handle.rep, H_FIELDS);
}

HOSTFN(fields_get) {
  hobj_t *o = fields_arg(c, &a[0]);
  if (!o) return bad_handle(c);
  const char *nm = a[1].of.str.ptr;
  size_t nl = a[1].of.str.len;
  uint32_t k = 0;
  lat_cval_t *el = lat_arena_array(AR, o->f->n ? o->f->n : 1, sizeof *el);
  if (!el) return OOM();
  for (uint32_t i = 0; i < o->f->n; i++)
    if (name_eq(&o->f->v[i], nm, nl)) {
      lat_cval_t *b = lat__p2_bytes(AR, o->f->v[i].value, o->f->v[i].vlen);
      if (!b) return OOM();
      el[k++] = *b;
    }
  r->kind = LAT_CT_LIST;
  r->of.list.v = el;
  r->of.list.n = k;
  return LAT_OK;
}

HOSTFN(fields_has) {
  hobj_t *o = fields_arg(c, &a[0]);
  if (!o) return bad_handle(c);
  r->kind = LAT_CT_BOOL;
  r->of.b = false;
  for (uint32_t i = 0; i < o->f->n; i++)
    if (name_eq(&o->f->v[i], a[1].of.str.ptr, a[1].of.str.len)) r->of.b = true;
  return LAT_OK;
}

static int check_mut(const hobj_t *o, const char *nm, size_t nl) {
  if (o->immutable) return HERR_IMMUTABLE;
  if (!valid_name(nm, nl)) return HERR_SYNTAX;
  if (forbidden_name(nm, nl)) return HERR_FORBIDDEN;
  return -1;
}

HOSTFN(fields_set) {
  hobj_t *o = fields_arg(c, &a[0]);
  if (!o) return bad_handle(c);
  const char *nm = a[1].of.str.ptr;
  size_t nl = a[1].of.str.len;
  int herr = check_mut(o, nm, nl);
  for (uint32_t i = 0; herr < 0 && i < a[2].of.list.n; i++)
    if (!valid_value(a[2].of.list.v[i].of.list.bytes, a[2].of.list.v[i].of.list.n))
      herr = HERR_SYNTAX;
  if (herr >= 0) return header_result(c, r, herr);
  fields_delete(o->f, nm, nl);
  for (uint32_t i = 0; i < a[2].of.list.n; i++)
    if (!fields_add(o->f, nm, nl, a[2].of.list.v[i].of.list.bytes, a[2].of.list.v[i].of.list.n))
      return OOM();
  return header_result(c, r, -1);
}

HOSTFN(fields_delete_fn) {
  hobj_t *o = fields_arg(c, &a[0]);
  if (!o) return bad_handle(c);
  int herr = check_mut(o, a[1].of.str.ptr, a[1].of.str.len);
  if (herr >= 0) return header_result(c, r, herr);
  fields_delete(o->f, a[1].of.str.ptr, a[1].of.str.len);
  return header_result(c, r, -1);
}

HOSTFN(fields_append) {
  hobj_t *o = fields_arg(c, &a[0]);
  if (!o) return bad_handle(c);
  int herr = check_mut(o, a[1].of.str.ptr, a[1].of.str.len);
  if (herr < 0 && !valid_value(a[2].of.list.bytes, a[2].of.list.n)) herr = HERR_SYNTAX;
  if (herr >= 0) return header_result(c, r, herr);
  if (!fields_add(o->f, a[1].of.str.ptr, a[1].of.str.len, a[2].of.list.bytes, a[2].of.list.n))
    return OOM();
  return header_result(c, r, -1);
}

HOSTFN(fields_entries) {
  hobj_t *o = fields_arg(c, &a[0]);
  if (!o) return bad_handle(c);
  uint32_t n = o->f->n;
  lat_cval_t *el = lat_arena_array(AR, n ? n : 1, sizeof *el);
  if (!el) return OOM();
  for (uint32_t i = 0; i < n; i++) {
    lat_cval_t *t = lat_arena_array(AR, 2, sizeof *t);
    lat_cval_t *k = lat__p2_string(AR, o->f->v[i].name, strlen(o->f->v[i].name));
    lat_cval_t *v = lat__p2_bytes(AR, o->f->v[i].value, o->f->v[i].vlen);
    if (!t || !k || !v) return OOM();
    t[0] = *k;
    t[1] = *v;
    el[i].kind = LAT_CT_TUPLE;
    el[i].of.list.v = t;
    el[i].of.list.n = 2;
  }
  r->kind = LAT_CT_LIST;
  r->of.list.v = el;
  r->of.list.n = n;
  return LAT_OK;
}

HOSTFN(fields_clone) {
  hobj_t *o = fields_arg(c, &a[0]);
  if (!o) return bad_handle(c);
  hfields_t *f = fields_new();
  if (!f) return OOM();
  for (uint32_t i = 0; i < o->f->n; i++)
    if (!fields_add(f, o->f->v[i].name, strlen(o->f->v[i].name), o->f->v[i].value,
                    o->f->v[i].vlen)) {
      fields_release(f);
      return OOM();
    }
  lat_status st = fields_handle(c, ENV, r, f, false);
  fields_release(f);
  return st;
}

/* ---- incoming-request ---------------------------------------------------------------- */

/* The cases of `method` but other(string). */
static const char *const methods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                      "CONNECT", "OPTIONS", "TRACE", "PATCH"};
#define METHOD_OTHER 9u

/* method s as the WIT variant */
static lat_status method_val(lat_chost_call_t *c, lat_cval_t *r, const char *s) {
  r->kind = LAT_CT_VARIANT;
  r->of.var.payload = NULL;
  for (uint32_t i = 0; i < METHOD_OTHER; i++)
    if (!strcmp(s, methods[i])) {
      r->of.var.disc = i;
      return LAT_OK;
    }
  r->of.var.disc = METHOD_OTHER;
  if (!(r->of.var.payload = lat__p2_string(AR, s, strlen(s)))) return OOM();
  return LAT_OK;
}

/* option<scheme>: scheme -1 none, 0 HTTP, 1 HTTPS, 2 other(other) */
static lat_status scheme_val(lat_chost_call_t *c, lat_cval_t *r, int scheme,
                             const char *other) {
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = scheme >= 0;
  r->of.var.payload = NULL;
  if (scheme < 0) return LAT_OK;
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_VARIANT);
  if (!v) return OOM();
  v->of.var.disc = (uint32_t)scheme;
  v->of.var.payload = NULL;
  if (scheme == 2 && !(v->of.var.payload = lat__p2_string(AR, other, strlen(other))))
    return OOM();
  r->of.var.payload = v;
  return LAT_OK;
}

HOSTFN(inreq_method) {
  lat_wasi_http_t *h = H(c);
  if (!hget(h, a[0].of.handle.rep, H_INREQ)) return bad_handle(c);
  return method_val(c, r, h->req->method);
}

static lat_status opt_string(lat_chost_call_t *c, lat_cval_t *r, const char *s) {
  lat_cval_t *v = s ? lat__p2_string(AR, s, strlen(s)) : NULL;
  if (s && !v) return OOM();
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = s != NULL;
  r->of.var.payload = v;
  return LAT_OK;
}

HOSTFN(inreq_path) {
  lat_wasi_http_t *h = H(c);
  if (!hget(h, a[0].of.handle.rep, H_INREQ)) return bad_handle(c);
  return opt_string(c, r, h->req->path_with_query);
}

HOSTFN(inreq_authority) {
  lat_wasi_http_t *h = H(c);
  if (!hget(h, a[0].of.handle.rep, H_INREQ)) return bad_handle(c);
  return opt_string(c, r, h->req->authority);
}

HOSTFN(inreq_scheme) {
  lat_wasi_http_t *h = H(c);
  if (!hget(h, a[0].of.handle.rep, H_INREQ)) return bad_handle(c);
  return scheme_val(c, r, h->req->https ? 1 : 0, NULL);
}

HOSTFN(inreq_headers) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_INREQ);
  if (!o) return bad_handle(c);
  return fields_handle(c, ENV, r, o->f, true);
}

/* consume() of an incoming request or response: its body, once */
static lat_status consume(lat_chost_call_t *c, const http_ids_t *ids, lat_cval_t *r,
                          hobj_t *o) {
  lat_wasi_http_t *h = H(c);
  if (o->consumed) {
    lat__p2_result(r, true, NULL);
    return LAT_OK;
  }
  o->consumed = true;
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_OWN);
  if (!v) return OOM();
  lat_status st = own_val(c, v, ids->inbody, hadd(h, (hobj_t){.kind = H_INBODY, .call = o->call}));
  if (st) return st;
  lat__p2_result(r, false, v);
  return LAT_OK;
}

HOSTFN(inreq_consume) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_INREQ);
  if (!o) return bad_handle(c);
  return consume(c, ENV, r, o);
}

/* ---- incoming-body, future-trailers ---------------------------------------------------- */

HOSTFN(inbody_stream) {
  lat_wasi_http_t *h = H(c);
  hobj_t *o = hget(h, a[0].of.handle.rep, H_INBODY);
  if (!o) return bad_handle(c);
  if (o->consumed) {
    lat__p2_result(r, true, NULL);
    return LAT_OK;
  }
  o->consumed = true;
  /* the request outlives the exchange, and a response lives as long as it:
   * the stream borrows their bytes */
  lat__p2_obj_t so = {.kind = P2_IN, .mem = true, .fd = -1, .bytes = h->req->body,
                      .nbytes = h->req->body_len};
  if (o->call) {
    so.bytes = o->call->resp_body.data;
    so.nbytes = o->call->resp_body.len;
  }
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_OWN);
  if (!v) return OOM();
  lat_status st = own_val(c, v, ENV->p2->input, lat__p2_add(P2, &so));
  if (st) return st;
  lat__p2_result(r, false, v);
  return LAT_OK;
}

HOSTFN(inbody_finish) {
  lat_wasi_http_t *h = H(c);
  hobj_t *o = hget(h, a[0].of.handle.rep, H_INBODY);
  if (!o) return bad_handle(c);
  hfree(h, o);
  return own_val(c, r, ENV->trailers, hadd(h, (hobj_t){.kind = H_TRAILERS}));
}

HOSTFN(trailers_subscribe) {
  if (!hget(H(c), a[0].of.handle.rep, H_TRAILERS)) return bad_handle(c);
  lat__p2_obj_t p = {.kind = P2_POLL, .fd = -1, .pfd = -1, .until = 0};
  return own_val(c, r, ENV->p2->pollable, lat__p2_add(P2, &p));
}

HOSTFN(trailers_get) { /* some(ok(ok(none))): requests carry no trailers here */
  if (!hget(H(c), a[0].of.handle.rep, H_TRAILERS)) return bad_handle(c);
  lat_cval_t *none = lat__p2_option(AR, NULL);
  lat_cval_t *inner = lat__p2_val(AR, LAT_CT_RESULT);
  lat_cval_t *outer = lat__p2_val(AR, LAT_CT_RESULT);
  if (!none || !inner || !outer) return OOM();
  lat__p2_result(inner, false, none);
  lat__p2_result(outer, false, inner);
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = 1;
  r->of.var.payload = outer;
  return LAT_OK;
}

/* ---- outgoing-response, outgoing-body ------------------------------------------------------ */

HOSTFN(outresp_ctor) {
  lat_wasi_http_t *h = H(c);
  hobj_t *fo = hget(h, a[0].of.handle.rep, H_FIELDS);
  if (!fo) return bad_handle(c);
  hfields_t *f = fo->f;
  fo->f = NULL;
  hfree(h, fo); /* the guest gave up the handle: the response takes its fields */
  uint32_t rep = hadd(h, (hobj_t){.kind = H_OUTRESP, .status = 200, .f = f});
  if (!rep) fields_release(f);
  return own_val(c, r, ENV->outresp, rep);
}

HOSTFN(outresp_status) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_OUTRESP);
  if (!o) return bad_handle(c);
  r->kind = LAT_CT_U16;
  r->of.u = o->status;
  return LAT_OK;
}

HOSTFN(outresp_set_status) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_OUTRESP);
  if (!o) return bad_handle(c);
  uint64_t s = a[1].of.u;
  bool ok = s >= 100 && s <= 999;
  if (ok) o->status = (uint16_t)s;
  lat__p2_result(r, !ok, NULL);
  return LAT_OK;
}

HOSTFN(outresp_headers) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_OUTRESP);
  if (!o) return bad_handle(c);
  return fields_handle(c, ENV, r, o->f, false);
}

/* body() of an outgoing response or request: result<outgoing-body>, once.
 * The new sink goes to *slot before anything can move the object table
 * (slot may point into it). */
static lat_status open_body(lat_chost_call_t *c, const http_ids_t *ids, lat_cval_t *r,
                            hobj_t *o, lat__p2_sink_t **slot) {
  lat_wasi_http_t *h = H(c);
  if (o->consumed) {
    lat__p2_result(r, true, NULL);
    return LAT_OK;
  }
  lat__p2_sink_t *k = new_sink(h);
  if (!k)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:http: more than %u bodies",
                               HTTP_MAX_BODIES);
  o->consumed = true;
  *slot = k;
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_OWN);
  if (!v) return OOM();
  lat_status st = own_val(c, v, ids->outbody, hadd(h, (hobj_t){.kind = H_OUTBODY, .sink = k}));
  if (st) return st;
  lat__p2_result(r, false, v);
  return LAT_OK;
}

HOSTFN(outresp_body) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_OUTRESP);
  if (!o) return bad_handle(c);
  return open_body(c, ENV, r, o, &o->sink);
}

HOSTFN(outbody_write) {
  lat_wasi_http_t *h = H(c);
  hobj_t *o = hget(h, a[0].of.handle.rep, H_OUTBODY);
  if (!o) return bad_handle(c);
  if (o->consumed) {
    lat__p2_result(r, true, NULL);
    return LAT_OK;
  }
  o->consumed = true;
  /* the exchange keeps the sink until after the instance (top comment) */
  lat__p2_obj_t so = {.kind = P2_OUT, .mem = true, .fd = -1, .sink = o->sink};
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_OWN);
  if (!v) return OOM();
  lat_status st = own_val(c, v, ENV->p2->output, lat__p2_add(P2, &so));
  if (st) return st;
  lat__p2_result(r, false, v);
  return LAT_OK;
}

HOSTFN(outbody_finish) {
  lat_wasi_http_t *h = H(c);
  hobj_t *o = hget(h, a[0].of.handle.rep, H_OUTBODY);
  if (!o) return bad_handle(c);
  lat__p2_sink_t *k = o->sink;
  hfree(h, o);
  if (k && !k->finished) {
    k->finished = true;
    if (k->write && k == h->resp_sink) h->stream->finish(h->stream->arg);
  }
  if (a[1].of.var.disc) { /* trailers: not sent over HTTP/1.1 here; dropped */
    hobj_t *t = hget(h, a[1].of.var.payload->of.handle.rep, H_FIELDS);
    if (t) hfree(h, t);
  }
  lat__p2_result(r, false, NULL);
  return LAT_OK;
}

/* ---- outgoing-request, request-options ------------------------------------------------------ */

/* A new call, owned by the exchange, or NULL (too many, out of memory). */
static hcall_t *new_call(lat_wasi_http_t *h, hfields_t *f) {
  if (h->ncalls >= HTTP_MAX_CALLS) return NULL;
  hcall_t *k = lat_calloc(1, sizeof *k);
  if (!k) return NULL;
  if (!(k->method = lat_strndup("GET", 3))) {
    lat_free(k);
    return NULL;
  }
  k->h = h;
  k->scheme = -1;
  k->error = -1;
  k->f = f;
  lat_buf_init(&k->resp_body);
  h->calls[h->ncalls++] = k;
  return k;
}

HOSTFN(outreq_ctor) {
  lat_wasi_http_t *h = H(c);
  hobj_t *fo = hget(h, a[0].of.handle.rep, H_FIELDS);
  if (!fo) return bad_handle(c);
  hcall_t *k = new_call(h, fo->f);
  if (!k)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:http: more than %u outgoing requests",
                               HTTP_MAX_CALLS);
  fo->f = NULL;
  hfree(h, fo); /* the guest gave up the handle: the request takes its fields */
  return own_val(c, r, ENV->outreq, hadd(h, (hobj_t){.kind = H_OUTREQ, .call = k}));
}

static hcall_t *outreq_arg(lat_chost_call_t *c, const lat_cval_t *a) {
  hobj_t *o = hget(H(c), a->of.handle.rep, H_OUTREQ);
  return o ? o->call : NULL;
}

HOSTFN(outreq_body) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_OUTREQ);
  if (!o) return bad_handle(c);
  return open_body(c, ENV, r, o, &o->call->body);
}

HOSTFN(outreq_method) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  return method_val(c, r, k->method);
}

/* Replaces *dst with a copy of (s, n), or with NULL when s is NULL. */
static bool set_str(char **dst, const char *s, size_t n) {
  char *v = NULL;
  if (s && !(v = lat_strndup(s, n))) return false;
  lat_free(*dst);
  *dst = v;
  return true;
}

HOSTFN(outreq_set_method) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  uint32_t d = a[1].of.var.disc;
  const char *s = d < METHOD_OTHER ? methods[d] : a[1].of.var.payload->of.str.ptr;
  size_t n = d < METHOD_OTHER ? strlen(s) : a[1].of.var.payload->of.str.len;
  bool ok = valid_name(s, n); /* a method is a token, like a field name */
  if (ok && !set_str(&k->method, s, n)) return OOM();
  lat__p2_result(r, !ok, NULL);
  return LAT_OK;
}

HOSTFN(outreq_path) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  return opt_string(c, r, k->path);
}

/* A path-with-query we send as is: empty, or "/" and then visible ASCII
 * but '#' (no fragment; nothing that could end the request line). */
static bool valid_path(const char *s, size_t n) {
  if (n && s[0] != '/') return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e || s[i] == '#') return false;
  return true;
}

HOSTFN(outreq_set_path) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  const lat_cval_t *p = a[1].of.var.disc ? a[1].of.var.payload : NULL;
  bool ok = !p || valid_path(p->of.str.ptr, p->of.str.len);
  if (ok && !set_str(&k->path, p ? p->of.str.ptr : NULL, p ? p->of.str.len : 0)) return OOM();
  lat__p2_result(r, !ok, NULL);
  return LAT_OK;
}

HOSTFN(outreq_scheme) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  return scheme_val(c, r, k->scheme, k->scheme_other);
}

/* RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static bool valid_scheme(const char *s, size_t n) {
  if (n == 0 || !isalpha((unsigned char)s[0])) return false;
  for (size_t i = 1; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr("+-.", s[i])) return false;
  return true;
}

HOSTFN(outreq_set_scheme) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  const lat_cval_t *v = a[1].of.var.disc ? a[1].of.var.payload : NULL;
  int scheme = v ? (int)v->of.var.disc : -1;
  const lat_cval_t *o = scheme == 2 ? v->of.var.payload : NULL;
  bool ok = !o || valid_scheme(o->of.str.ptr, o->of.str.len);
  if (ok) {
    if (!set_str(&k->scheme_other, o ? o->of.str.ptr : NULL, o ? o->of.str.len : 0))
      return OOM();
    k->scheme = scheme;
  }
  lat__p2_result(r, !ok, NULL);
  return LAT_OK;
}

HOSTFN(outreq_authority) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  return opt_string(c, r, k->authority);
}

HOSTFN(outreq_set_authority) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  const lat_cval_t *v = a[1].of.var.disc ? a[1].of.var.payload : NULL;
  const char *host;
  size_t hl;
  int port;
  bool ok = !v || lat__http_authority(v->of.str.ptr, v->of.str.len, &host, &hl, &port);
  if (ok && !set_str(&k->authority, v ? v->of.str.ptr : NULL, v ? v->of.str.len : 0))
    return OOM();
  lat__p2_result(r, !ok, NULL);
  return LAT_OK;
}

HOSTFN(outreq_headers) {
  hcall_t *k = outreq_arg(c, &a[0]);
  if (!k) return bad_handle(c);
  return fields_handle(c, ENV, r, k->f, true);
}

HOSTFN(reqopts_ctor) {
  lat_wasi_http_t *h = H(c);
  if (!h) return no_http(c);
  return own_val(c, r, ENV->reqopts, hadd(h, (hobj_t){.kind = H_REQOPTS}));
}

/* option<duration>: 0 is none (a zero timeout would fail every request) */
static lat_status opt_get(lat_chost_call_t *c, const lat_cval_t *a, lat_cval_t *r, int i) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_REQOPTS);
  if (!o) return bad_handle(c);
  lat_cval_t *v = o->opt[i] ? lat__p2_u64(AR, o->opt[i]) : NULL;
  if (o->opt[i] && !v) return OOM();
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = v != NULL;
  r->of.var.payload = v;
  return LAT_OK;
}

static lat_status opt_set(lat_chost_call_t *c, const lat_cval_t *a, lat_cval_t *r, int i) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_REQOPTS);
  if (!o) return bad_handle(c);
  o->opt[i] = a[1].of.var.disc ? a[1].of.var.payload->of.u : 0;
  lat__p2_result(r, false, NULL);
  return LAT_OK;
}

#define REQOPT(i, get, set)                                           \
  HOSTFN(get) { return opt_get(c, a, r, i); }                         \
  HOSTFN(set) { return opt_set(c, a, r, i); }
REQOPT(0, reqopts_connect, reqopts_set_connect)
REQOPT(1, reqopts_first_byte, reqopts_set_first_byte)
REQOPT(2, reqopts_between, reqopts_set_between)

/* ---- outgoing-handler -------------------------------------------------------------------- */

/* wasi:http error-code for a call's failure */
static lat_cval_t *error_code_val(lat_arena_t *a, const hcall_t *k) {
  lat_cval_t *e = lat__p2_val(a, LAT_CT_VARIANT);
  if (!e) return NULL;
  e->of.var.disc = (uint32_t)k->error;
  e->of.var.payload = NULL;
  lat_cval_t *p = NULL;
  switch (k->error) {
    case HEC_DNS_ERROR: { /* record { rcode: option<string>, info-code: option<u16> } */
      lat_cval_t *fl = lat_arena_array(a, 2, sizeof *fl);
      if (!fl || !(p = lat__p2_val(a, LAT_CT_RECORD))) return NULL;
      fl[0] = fl[1] = (lat_cval_t){.kind = LAT_CT_OPTION};
      p->of.list.v = fl;
      p->of.list.n = 2;
      break;
    }
    case HEC_REQUEST_BODY_SIZE:
    case HEC_RESPONSE_HEADER_SECTION_SIZE:
    case HEC_RESPONSE_BODY_SIZE: { /* option<u64>, or option<u32> for the header section */
      lat_cval_t *n = lat__p2_val(a, k->error == HEC_RESPONSE_HEADER_SECTION_SIZE ? LAT_CT_U32
                                                                               : LAT_CT_U64);
      if (!n || !(p = lat__p2_option(a, k->error_arg ? n : NULL))) return NULL;
      n->of.u = k->error_arg;
      break;
    }
    case HEC_INTERNAL_ERROR: {
      lat_cval_t *s = k->detail[0] ? lat__p2_string(a, k->detail, strlen(k->detail)) : NULL;
      if ((k->detail[0] && !s) || !(p = lat__p2_option(a, s))) return NULL;
      break;
    }
  }
  e->of.var.payload = p;
  return e;
}

/* The destination of call k: its checked parts, or an error-code. */
static int destination(const hcall_t *k, const char **host, size_t *hl, int *port) {
  if (!strcasecmp(k->method, "CONNECT")) return HEC_REQUEST_METHOD_INVALID; /* no tunnels */
  if (k->scheme != -1 && k->scheme != 0 && k->scheme != 1) return HEC_REQUEST_URI_INVALID;
  if (!k->authority || !lat__http_authority(k->authority, strlen(k->authority), host, hl, port))
    return HEC_REQUEST_URI_INVALID;
  if (*port < 0) *port = k->scheme == 0 ? 80 : 443; /* none: https */
  return -1;
}

/* True when the exchange's client policy allows host:port. */
static bool allowed(const lat_wasi_http_t *h, const char *host, size_t hl, int port) {
  for (size_t i = 0; h->client && i < h->client->nallow; i++) {
    const char *e = h->client->allow[i], *eh;
    size_t el;
    int ep;
    if (lat__http_authority(e, strlen(e), &eh, &el, &ep) && el == hl &&
        !strncasecmp(eh, host, hl) && (ep < 0 || ep == port))
      return true;
  }
  return false;
}

HOSTFN(outgoing_handle) {
  lat_wasi_http_t *h = H(c);
  if (!h) return no_http(c);
  hobj_t *o = hget(h, a[0].of.handle.rep, H_OUTREQ);
  if (!o) return bad_handle(c);
  hcall_t *k = o->call;
  hfree(h, o); /* the request is the host's now */
  if (a[1].of.var.disc) {
    hobj_t *p = hget(h, a[1].of.var.payload->of.handle.rep, H_REQOPTS);
    if (!p) return bad_handle(c);
    memcpy(k->opt, p->opt, sizeof k->opt);
    hfree(h, p);
  }
  const char *host;
  size_t hl;
  int port;
  k->error = destination(k, &host, &hl, &port);
  /* a transfer hook decides for itself (its own policy), at transfer time */
  if (k->error < 0 && !(h->client && h->client->transfer) && !allowed(h, host, hl, port))
    k->error = HEC_REQUEST_DENIED;
  if (k->error >= 0) {
    lat_cval_t *e = error_code_val(AR, k);
    if (!e) return OOM();
    lat__p2_result(r, true, e);
    return LAT_OK;
  }
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_OWN);
  if (!v) return OOM();
  lat_status st = own_val(c, v, ENV->futresp, hadd(h, (hobj_t){.kind = H_FUTRESP, .call = k}));
  if (st) return st;
  lat__p2_result(r, false, v);
  return LAT_OK;
}

/* ---- the transfer ------------------------------------------------------------------------ */

static bool resp_header(void *arg, const char *name, size_t nlen, const uint8_t *value,
                        size_t vlen) {
  hcall_t *k = arg;
  return fields_add(k->resp_f, name, nlen, value, vlen);
}

static void resp_reset(void *arg) {
  hcall_t *k = arg;
  fields_delete_all(k->resp_f);
}

/* Runs call k's transfer (once): the thread blocks until it ends, at most
 * the client's timeout, and never past the context's deadline (a trap, as
 * for any blocking call). */
static lat_status run_call(lat_chost_call_t *c, hcall_t *k) {
  if (k->done) return LAT_OK;
  lat_wasi_http_t *h = k->h;
  if (k->body && k->body->over) { /* the guest's body ran past the budget */
    k->done = true;
    k->error = HEC_REQUEST_BODY_SIZE;
    return LAT_OK;
  }
  const lat_wasi_t *w = P2->w;
  uint64_t total = h->client && h->client->timeout_ns ? h->client->timeout_ns : HTTP_TIMEOUT_NS;
  uint64_t now = lat_now_ns();
  bool by_deadline = false;
  if (w->deadline_ns) {
    if (w->deadline_ns <= now) return lat_chost_call_trap(c, LAT_TRAP_DEADLINE, 0, NULL);
    if (w->deadline_ns - now < total) {
      total = w->deadline_ns - now;
      by_deadline = true;
    }
  }
  if (!k->resp_f && !(k->resp_f = fields_new())) return OOM();
  uint32_t nh = k->f->n;
  lat_wasi_http_header_t *hv = lat_calloc(nh ? nh : 1, sizeof *hv);
  lat_buf_t url;
  lat_buf_init(&url);
  if (!hv || lat_buf_printf(&url, "%s://%s%s", k->scheme == 0 ? "http" : "https",
                            k->authority, k->path && k->path[0] ? k->path : "/")) {
    lat_free(hv);
    lat_buf_fini(&url);
    return OOM();
  }
  /* checked again here: a guest may send fields it did not build (an
   * incoming request's headers, Host and Connection included) */
  uint32_t n = 0;
  for (uint32_t i = 0; i < nh; i++) {
    const hfield_t *fv = &k->f->v[i];
    size_t nl = strlen(fv->name);
    if (valid_name(fv->name, nl) && valid_value(fv->value, fv->vlen) &&
        !forbidden_name(fv->name, nl))
      hv[n++] = (lat_wasi_http_header_t){.name = fv->name, .name_len = nl,
                                         .value = (const char *)fv->value,
                                         .value_len = fv->vlen};
  }
  lat_wasi_http_xfer_t x = {
      .method = k->method,
      .url = (const char *)url.data,
      .headers = hv,
      .nheaders = n,
      .body = k->body ? (k->body->buf.data ? k->body->buf.data : (const uint8_t *)"") : NULL,
      .body_len = k->body ? k->body->buf.len : 0,
      .total_ns = total,
      .connect_ns = k->opt[0],
      .first_byte_ns = k->opt[1],
      .between_ns = k->opt[2],
      .max_body = h->budget_in,
      .on_header = resp_header,
      .on_reset = resp_reset,
      .arg = k,
  };
  lat_status st = h->client && h->client->transfer
                      ? h->client->transfer(h->client->transfer_env, &x)
                      : lat_wasi_http_xfer_run(&x);
  lat_free(hv);
  lat_buf_fini(&url);
  if (st) return OOM();
  k->done = true;
  if (x.timed_out && by_deadline) return lat_chost_call_trap(c, LAT_TRAP_DEADLINE, 0, NULL);
  k->error = x.error;
  k->error_arg = x.error_arg;
  memcpy(k->detail, x.detail, sizeof k->detail);
  k->status = x.status;
  k->resp_body = x.resp_body;
  h->budget_in -= k->resp_body.len;
  return LAT_OK;
}

static bool fut_ready(void *arg) { return ((hcall_t *)arg)->done; }
static lat_status fut_wait(lat_chost_call_t *c, void *arg) { return run_call(c, arg); }
static const lat__p2_waiter_t fut_waiter = {fut_ready, fut_wait};

HOSTFN(futresp_subscribe) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_FUTRESP);
  if (!o) return bad_handle(c);
  lat__p2_obj_t p = {.kind = P2_POLL, .fd = -1, .pfd = -1, .waiter = &fut_waiter,
                     .warg = o->call};
  return own_val(c, r, ENV->p2->pollable, lat__p2_add(P2, &p));
}

/* option<result<result<incoming-response, error-code>>>: the transfer runs
 * here if nothing made it run yet, so this is always some */
HOSTFN(futresp_get) {
  lat_wasi_http_t *h = H(c);
  hobj_t *o = hget(h, a[0].of.handle.rep, H_FUTRESP);
  if (!o) return bad_handle(c);
  hcall_t *k = o->call;
  lat_status st = run_call(c, k);
  if (st) return st;
  lat_cval_t *outer = lat__p2_val(AR, LAT_CT_RESULT);
  if (!outer) return OOM();
  if (k->taken) { /* the result was handed out already */
    lat__p2_result(outer, true, NULL);
  } else {
    k->taken = true;
    lat_cval_t *inner = lat__p2_val(AR, LAT_CT_RESULT);
    lat_cval_t *v = k->error >= 0 ? error_code_val(AR, k) : lat__p2_val(AR, LAT_CT_OWN);
    if (!inner || !v) return OOM();
    if (k->error < 0 &&
        (st = own_val(c, v, ENV->inresp, hadd(h, (hobj_t){.kind = H_INRESP, .call = k}))))
      return st;
    lat__p2_result(inner, k->error >= 0, v);
    lat__p2_result(outer, false, inner);
  }
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = 1;
  r->of.var.payload = outer;
  return LAT_OK;
}

/* ---- incoming-response ------------------------------------------------------------------- */

HOSTFN(inresp_status) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_INRESP);
  if (!o) return bad_handle(c);
  r->kind = LAT_CT_U16;
  r->of.u = o->call->status;
  return LAT_OK;
}

HOSTFN(inresp_headers) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_INRESP);
  if (!o) return bad_handle(c);
  return fields_handle(c, ENV, r, o->call->resp_f, true);
}

HOSTFN(inresp_consume) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_INRESP);
  if (!o) return bad_handle(c);
  return consume(c, ENV, r, o);
}

/* ---- response-outparam ------------------------------------------------------------------------ */

/* Switches the response body to streaming (lat_wasi_http_set_stream):
 * what the guest wrote before set goes out first, then the sink hands
 * every write on. */
static void stream_response(lat_wasi_http_t *h) {
  lat__p2_sink_t *k = h->resp_sink;
  const lat_wasi_http_stream_t *s = h->stream;
  if (k) {
    if (k->buf.len && !k->over && s->write(s->arg, k->buf.data, k->buf.len) == EPIPE)
      k->finished = true; /* the client is gone: nothing more goes out */
    lat_buf_fini(&k->buf);
    lat_buf_init(&k->buf);
    k->write = s->write;
    k->arg = s->arg;
  }
  if (!k || k->finished) s->finish(s->arg);
}

HOSTFN(outparam_set) {
  lat_wasi_http_t *h = H(c);
  hobj_t *p = hget(h, a[0].of.handle.rep, H_OUTPARAM);
  if (!p) return bad_handle(c);
  hfree(h, p);
  if (h->responded)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "response-outparam.set called twice");
  h->responded = true;
  if (a[1].of.var.disc) {
    h->resp_error = true;
    return LAT_OK;
  }
  hobj_t *o = hget(h, a[1].of.var.payload->of.handle.rep, H_OUTRESP);
  if (!o) return bad_handle(c);
  h->status = o->status;
  h->resp_fields = o->f;
  h->resp_sink = o->sink;
  o->f = NULL;
  hfree(h, o);
  if (h->stream) stream_response(h);
  return LAT_OK;
}

/* ---- the rest ------------------------------------------------------------------------------------ */

HOSTFN(http_error_code) { /* option<error-code>: none, the errors are plain I/O here */
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = 0;
  r->of.var.payload = NULL;
  return LAT_OK;
}

static const lat__p2_fn_t http_fns[] = {
    {"wasi:http/types", "[constructor]fields", fields_ctor},
    {"wasi:http/types", "[static]fields.from-list", fields_from_list},
    {"wasi:http/types", "[method]fields.get", fields_get},
    {"wasi:http/types", "[method]fields.has", fields_has},
    {"wasi:http/types", "[method]fields.set", fields_set},
    {"wasi:http/types", "[method]fields.delete", fields_delete_fn},
    {"wasi:http/types", "[method]fields.append", fields_append},
    {"wasi:http/types", "[method]fields.entries", fields_entries},
    {"wasi:http/types", "[method]fields.clone", fields_clone},
    {"wasi:http/types", "[method]incoming-request.method", inreq_method},
    {"wasi:http/types", "[method]incoming-request.path-with-query", inreq_path},
    {"wasi:http/types", "[method]incoming-request.scheme", inreq_scheme},
    {"wasi:http/types", "[method]incoming-request.authority", inreq_authority},
    {"wasi:http/types", "[method]incoming-request.headers", inreq_headers},
    {"wasi:http/types", "[method]incoming-request.consume", inreq_consume},
    {"wasi:http/types", "[method]incoming-body.stream", inbody_stream},
    {"wasi:http/types", "[static]incoming-body.finish", inbody_finish},
    {"wasi:http/types", "[method]future-trailers.subscribe", trailers_subscribe},
    {"wasi:http/types", "[method]future-trailers.get", trailers_get},
    {"wasi:http/types", "[constructor]outgoing-response", outresp_ctor},
    {"wasi:http/types", "[method]outgoing-response.status-code", outresp_status},
    {"wasi:http/types", "[method]outgoing-response.set-status-code", outresp_set_status},
    {"wasi:http/types", "[method]outgoing-response.headers", outresp_headers},
    {"wasi:http/types", "[method]outgoing-response.body", outresp_body},
    {"wasi:http/types", "[method]outgoing-body.write", outbody_write},
    {"wasi:http/types", "[static]outgoing-body.finish", outbody_finish},
    {"wasi:http/types", "[static]response-outparam.set", outparam_set},
    {"wasi:http/types", "http-error-code", http_error_code},
    {"wasi:http/types", "[constructor]outgoing-request", outreq_ctor},
    {"wasi:http/types", "[method]outgoing-request.body", outreq_body},
    {"wasi:http/types", "[method]outgoing-request.method", outreq_method},
    {"wasi:http/types", "[method]outgoing-request.set-method", outreq_set_method},
    {"wasi:http/types", "[method]outgoing-request.path-with-query", outreq_path},
    {"wasi:http/types", "[method]outgoing-request.set-path-with-query", outreq_set_path},
    {"wasi:http/types", "[method]outgoing-request.scheme", outreq_scheme},
    {"wasi:http/types", "[method]outgoing-request.set-scheme", outreq_set_scheme},
    {"wasi:http/types", "[method]outgoing-request.authority", outreq_authority},
    {"wasi:http/types", "[method]outgoing-request.set-authority", outreq_set_authority},
    {"wasi:http/types", "[method]outgoing-request.headers", outreq_headers},
    {"wasi:http/types", "[constructor]request-options", reqopts_ctor},
    {"wasi:http/types", "[method]request-options.connect-timeout", reqopts_connect},
    {"wasi:http/types", "[method]request-options.set-connect-timeout", reqopts_set_connect},
    {"wasi:http/types", "[method]request-options.first-byte-timeout", reqopts_first_byte},
    {"wasi:http/types", "[method]request-options.set-first-byte-timeout", reqopts_set_first_byte},
    {"wasi:http/types", "[method]request-options.between-bytes-timeout", reqopts_between},
    {"wasi:http/types", "[method]request-options.set-between-bytes-timeout", reqopts_set_between},
    {"wasi:http/types", "[method]future-incoming-response.subscribe", futresp_subscribe},
    {"wasi:http/types", "[method]future-incoming-response.get", futresp_get},
    {"wasi:http/types", "[method]incoming-response.status", inresp_status},
    {"wasi:http/types", "[method]incoming-response.headers", inresp_headers},
    {"wasi:http/types", "[method]incoming-response.consume", inresp_consume},
    {"wasi:http/outgoing-handler", "handle", outgoing_handle},
};

#define HVER "@0.2.12"
#define TYPES "wasi:http/types" HVER

lat_status lat__wasi_http_add(lat_clinker_t *l, const lat__p2_ids_t *p2ids,
                              lat_error_t *err) {
  http_ids_t *ids = lat_arena_alloc(lat_clinker_arena(l), sizeof *ids);
  if (!ids) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  memset(ids, 0, sizeof *ids);
  ids->p2 = p2ids;
  static const struct {
    const char *name;
    size_t off;
  } res[] = {
      {"fields", offsetof(http_ids_t, fields)},
      {"incoming-request", offsetof(http_ids_t, inreq)},
      {"outgoing-request", offsetof(http_ids_t, outreq)},
      {"request-options", offsetof(http_ids_t, reqopts)},
      {"response-outparam", offsetof(http_ids_t, outparam)},
      {"incoming-response", offsetof(http_ids_t, inresp)},
      {"incoming-body", offsetof(http_ids_t, inbody)},
      {"future-trailers", offsetof(http_ids_t, trailers)},
      {"outgoing-response", offsetof(http_ids_t, outresp)},
      {"outgoing-body", offsetof(http_ids_t, outbody)},
      {"future-incoming-response", offsetof(http_ids_t, futresp)},
  };
  for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
    uint32_t *id = (uint32_t *)((char *)ids + res[i].off);
    if (!lat_clinker_resource_find(l, TYPES, res[i].name, id))
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "no resource %s in " TYPES, res[i].name);
    lat_status st = lat_clinker_resource_dtor(l, *id, hdrop, NULL);
    if (st) return st;
  }
  for (size_t i = 0; i < sizeof http_fns / sizeof http_fns[0]; i++) {
    char name[128];
    snprintf(name, sizeof name, "%s" HVER, http_fns[i].iface);
    uint32_t idx = lat_clinker_find(l, name);
    if (idx == UINT32_MAX)
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "no interface %s", name);
    lat_status st = lat_clinker_func(l, idx, http_fns[i].name, http_fns[i].fn, ids, err);
    if (st) return st;
  }
  return LAT_OK;
}

/* ---- dispatch --------------------------------------------------------------------------------- */

lat_status lat_wasi_http_handle(lat_wasi_http_t *h, const lat_clinker_t *l,
                                lat_cinstance_t *ci, lat_arena_t *arena,
                                lat_error_t *err) {
  lat_cfunc_t *fn = lat_cinstance_func(ci, "wasi:http/incoming-handler@0.2.0", "handle");
  if (!fn)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "the component does not export wasi:http/incoming-handler (0.2.x)");
  uint32_t id_req, id_out;
  if (!lat_clinker_resource_find(l, TYPES, "incoming-request", &id_req) ||
      !lat_clinker_resource_find(l, TYPES, "response-outparam", &id_out))
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "wasi:http is not in the linker");
  hfields_t *f = fields_new();
  if (!f) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  for (size_t i = 0; i < h->req->nheaders; i++) {
    const lat_wasi_http_header_t *hd = &h->req->headers[i];
    if (!fields_add(f, hd->name, hd->name_len, (const uint8_t *)hd->value, hd->value_len)) {
      fields_release(f);
      return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    }
  }
  uint32_t rreq = hadd(h, (hobj_t){.kind = H_INREQ, .f = f});
  if (!rreq) fields_release(f);
  uint32_t rout = hadd(h, (hobj_t){.kind = H_OUTPARAM});
  const lat_cabi_rtype_t *rt_req = lat_cinstance_host_rtype(ci, id_req);
  const lat_cabi_rtype_t *rt_out = lat_cinstance_host_rtype(ci, id_out);
  if (!rreq || !rout || !rt_req || !rt_out)
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_cval_t args[2];
  memset(args, 0, sizeof args);
  args[0].kind = args[1].kind = LAT_CT_OWN;
  args[0].of.handle.rep = rreq;
  args[0].of.handle.rt = rt_req;
  args[1].of.handle.rep = rout;
  args[1].of.handle.rt = rt_out;
  return lat_cfunc_call(ci, fn, args, 2, NULL, arena, err);
}

lat_status lat_wasi_http_response(lat_wasi_http_t *h, lat_wasi_http_response_t *out) {
  memset(out, 0, sizeof *out);
  if (!h->responded || h->resp_error) return LAT_OK;
  /* a body cut short by the budget is not a response to send */
  if (h->resp_sink && h->resp_sink->over) return LAT_ELIMIT;
  uint32_t nh = h->resp_fields ? h->resp_fields->n : 0;
  lat_free(h->out_hdrs); /* from an earlier call */
  h->out_hdrs = NULL;
  if (nh) {
    h->out_hdrs = lat_calloc(nh, sizeof *h->out_hdrs);
    if (!h->out_hdrs) return LAT_ENOMEM;
    for (uint32_t i = 0; i < nh; i++) {
      const hfield_t *fv = &h->resp_fields->v[i];
      h->out_hdrs[i] = (lat_wasi_http_header_t){.name = fv->name,
                                                .name_len = strlen(fv->name),
                                                .value = (const char *)fv->value,
                                                .value_len = fv->vlen};
    }
  }
  out->ok = true;
  out->status = h->status;
  out->headers = h->out_hdrs;
  out->nheaders = nh;
  if (h->resp_sink) {
    out->body = h->resp_sink->buf.data;
    out->body_len = h->resp_sink->buf.len;
  }
  return LAT_OK;
}
