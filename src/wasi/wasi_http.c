/* wasi_http.c: the host side of wasi:http 0.2 (types, incoming-handler
 * dispatch; outgoing-handler denied), for `lattice serve`.
 *
 * Approach: one lat_wasi_http_t is one request/response exchange, handed to
 * the instance through its WASI 0.2 context (lat_wasi_p2_set_http) so the
 * host functions reach both.  wasi:http resources (fields, requests,
 * responses, bodies, future-trailers) live in a table of their own indexed
 * by rep (index + 1); the streams the bodies hand out are ordinary
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
 * Rejected: streaming the response while the guest runs (needs an async
 * boundary between the HTTP library and the guest; a response is small and
 * the guest is synchronous, so buffering costs little); memfds for bodies
 * (what this did first: five system calls and an fd per body for bytes
 * that are in memory anyway); pipes (a body over 64 KiB would block the
 * only thread that drains it).
 *
 * Invariants: every sink is freed only by lat_wasi_http_free, after the
 * instance is gone, so a guest dropping handles in any order can never
 * make a stream write into freed memory.  Header names and values from the
 * guest are checked
 * (token characters; no CR, LF or NUL) before they can reach the wire.
 * Fields shared between a response and the `headers()` handles onto it
 * are reference-counted.
 */
#include <ctype.h>

#include "wasi_p2.h"

#define U __attribute__((unused))
#define HOSTFN(fn)                                                             \
  static lat_status fn(U lat_chost_call_t *c, U void *env, U const lat_cval_t *a, \
                       U uint32_t na, U lat_cval_t *r)
#define ENV ((const http_ids_t *)env)
#define P2 ((lat_wasi_p2_t *)lat_chost_call_data(c))
#define AR lat_chost_call_arena(c)
#define OOM() lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "out of memory")

#define HTTP_MAX_OBJS 65536u
#define HTTP_MAX_FIELDS 4096u
#define HTTP_MAX_BODIES 64u            /* bodies the guest may open per exchange */
#define HTTP_MAX_BODY_OUT (64u << 20) /* bytes the guest may write into them */

enum { H_FREE = 0, H_FIELDS, H_INREQ, H_OUTPARAM, H_INBODY, H_TRAILERS, H_OUTRESP, H_OUTBODY };

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

typedef struct {
  uint8_t kind;
  bool immutable;  /* FIELDS: headers of an incoming request */
  bool consumed;   /* INREQ: consume() done; OUTRESP: body() done; INBODY: stream() done */
  uint16_t status; /* OUTRESP */
  lat__p2_sink_t *sink; /* OUTRESP/OUTBODY: the body, or NULL (owned by the exchange) */
  hfields_t *f;    /* FIELDS, INREQ, OUTRESP */
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
  /* the response, once response-outparam.set ran */
  bool responded, resp_error;
  uint16_t status;
  hfields_t *resp_fields;
  lat__p2_sink_t *resp_sink; /* its body, or NULL */
  lat_wasi_http_header_t *out_hdrs;
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

static void fields_release(hfields_t *f) {
  if (!f || --f->refs) return;
  for (uint32_t i = 0; i < f->n; i++) lat_free(f->v[i].name);
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
  fields_release(h->resp_fields);
  lat_free(h->out_hdrs);
  lat_free(h);
}

void lat_wasi_p2_set_http(lat_wasi_p2_t *p, lat_wasi_http_t *h) { p->http = h; }

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

HOSTFN(inreq_method) {
  lat_wasi_http_t *h = H(c);
  if (!hget(h, a[0].of.handle.rep, H_INREQ)) return bad_handle(c);
  static const char *const m[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                  "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  const char *s = h->req->method;
  r->kind = LAT_CT_VARIANT;
  r->of.var.payload = NULL;
  for (uint32_t i = 0; i < 9; i++)
    if (!strcmp(s, m[i])) {
      r->of.var.disc = i;
      return LAT_OK;
    }
  r->of.var.disc = 9;
  if (!(r->of.var.payload = lat__p2_string(AR, s, strlen(s)))) return OOM();
  return LAT_OK;
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
  lat_cval_t *s = lat__p2_val(AR, LAT_CT_VARIANT);
  if (!s) return OOM();
  s->of.var.disc = h->req->https ? 1 : 0;
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = 1;
  r->of.var.payload = s;
  return LAT_OK;
}

HOSTFN(inreq_headers) {
  hobj_t *o = hget(H(c), a[0].of.handle.rep, H_INREQ);
  if (!o) return bad_handle(c);
  return fields_handle(c, ENV, r, o->f, true);
}

HOSTFN(inreq_consume) {
  lat_wasi_http_t *h = H(c);
  hobj_t *o = hget(h, a[0].of.handle.rep, H_INREQ);
  if (!o) return bad_handle(c);
  if (o->consumed) {
    lat__p2_result(r, true, NULL);
    return LAT_OK;
  }
  o->consumed = true;
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_OWN);
  if (!v) return OOM();
  lat_status st = own_val(c, v, ENV->inbody, hadd(h, (hobj_t){.kind = H_INBODY}));
  if (st) return st;
  lat__p2_result(r, false, v);
  return LAT_OK;
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
  /* the request outlives the exchange: the stream borrows its bytes */
  lat__p2_obj_t so = {.kind = P2_IN, .mem = true, .fd = -1, .bytes = h->req->body,
                      .nbytes = h->req->body_len};
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

HOSTFN(outresp_body) {
  lat_wasi_http_t *h = H(c);
  hobj_t *o = hget(h, a[0].of.handle.rep, H_OUTRESP);
  if (!o) return bad_handle(c);
  if (o->consumed) {
    lat__p2_result(r, true, NULL);
    return LAT_OK;
  }
  lat__p2_sink_t *k = new_sink(h);
  if (!k)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "wasi:http: more than %u bodies",
                               HTTP_MAX_BODIES);
  o->consumed = true;
  o->sink = k;
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_OWN);
  if (!v) return OOM();
  lat_status st = own_val(c, v, ENV->outbody, hadd(h, (hobj_t){.kind = H_OUTBODY, .sink = k}));
  if (st) return st;
  lat__p2_result(r, false, v);
  return LAT_OK;
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
  hfree(h, o);
  if (a[1].of.var.disc) { /* trailers: not sent over HTTP/1.1 here; dropped */
    hobj_t *t = hget(h, a[1].of.var.payload->of.handle.rep, H_FIELDS);
    if (t) hfree(h, t);
  }
  lat__p2_result(r, false, NULL);
  return LAT_OK;
}

/* ---- response-outparam ------------------------------------------------------------------------ */

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
  return LAT_OK;
}

/* ---- the rest ------------------------------------------------------------------------------------ */

HOSTFN(http_error_code) { /* option<error-code>: none, the errors are plain I/O here */
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = 0;
  r->of.var.payload = NULL;
  return LAT_OK;
}

HOSTFN(outgoing_denied) { /* error-code.HTTP-request-denied */
  lat_cval_t *e = lat__p2_val(AR, LAT_CT_VARIANT);
  if (!e) return OOM();
  e->of.var.disc = 15;
  lat__p2_result(r, true, e);
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
    {"wasi:http/outgoing-handler", "handle", outgoing_denied},
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
