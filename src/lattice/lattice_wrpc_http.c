/* lattice_wrpc_http.c: wrpc:http@0.1.0 (PROTOCOL.md §4.4), HTTP requests
 * and responses between plain C structs and wRPC values, and one
 * incoming-handler call over NATS.
 *
 * Approach: the types are built by hand into an arena, per call (a few
 * dozen small nodes, microseconds, against a NATS round trip of hundreds)
 * or once by a caller that keeps them (a server's param types).  The
 * component builder makes the wasi:http/types parts (method, scheme,
 * error-code, fields, request-options); the request and response records
 * hold a stream and a future, which only lattice_wrpc.c's builders take.
 * A request or response is turned into a lat_cval_t tree in a scratch
 * arena and written by lat_wrpc_encode_values_async: a non-empty body goes
 * inline as one stream chunk and the trailers inline as a ready future of
 * none (01 00), which the Rust reader takes (value.rs), so a request or
 * response with a body is the root alone, no nested path, no extra
 * message, and a typed server starts on the first message.  An empty body
 * (a GET) cannot be inline, count 0 meaning pending: it goes pending with
 * the end chunk (00) as the data of path [0,0].  Reading,
 * lat_wrpc_decode_values_async takes both forms, and pending body and
 * trailers (a Rust peer always sends them so) from their paths.
 *
 * Headers: wasi:http fields give each name a list of values; the C side
 * is a flat list of pairs.  Encoding groups the values of one name (exact
 * byte match, first place kept) with a map, so a header list of any length
 * costs linear time; decoding lists every value as its own pair, in order.
 *
 * Rejected: building the types from WIT text through the component layer
 * (it has no stream or future types, and wasi:http's WIT text lives in the
 * wasi subsystem, private to it); one process-wide table built under
 * pthread_once (global state, never freed, which the fuzz replay's
 * per-input allocation count rightly flags); streaming bodies chunk by chunk (the
 * transport buffers whole streams today; the struct API can grow a
 * callback later without changing the wire). */
#include <string.h>
#include <strings.h>

#include "lattice_int.h"

/* ---- types ------------------------------------------------------------------- */
enum { P_NONE, P_DNS, P_TLS, P_OPT_U64, P_OPT_U32, P_OPT_FSIZE, P_FSIZE, P_OPT_STR };

/* wasi:http/types@0.2.0 error-code, in case order. */
static const struct {
  const char *name;
  uint8_t payload;
} error_codes[] = {
    {"DNS-timeout", P_NONE},
    {"DNS-error", P_DNS},
    {"destination-not-found", P_NONE},
    {"destination-unavailable", P_NONE},
    {"destination-IP-prohibited", P_NONE},
    {"destination-IP-unroutable", P_NONE},
    {"connection-refused", P_NONE},
    {"connection-terminated", P_NONE},
    {"connection-timeout", P_NONE},
    {"connection-read-timeout", P_NONE},
    {"connection-write-timeout", P_NONE},
    {"connection-limit-reached", P_NONE},
    {"TLS-protocol-error", P_NONE},
    {"TLS-certificate-error", P_NONE},
    {"TLS-alert-received", P_TLS},
    {"HTTP-request-denied", P_NONE},
    {"HTTP-request-length-required", P_NONE},
    {"HTTP-request-body-size", P_OPT_U64},
    {"HTTP-request-method-invalid", P_NONE},
    {"HTTP-request-URI-invalid", P_NONE},
    {"HTTP-request-URI-too-long", P_NONE},
    {"HTTP-request-header-section-size", P_OPT_U32},
    {"HTTP-request-header-size", P_OPT_FSIZE},
    {"HTTP-request-trailer-section-size", P_OPT_U32},
    {"HTTP-request-trailer-size", P_FSIZE},
    {"HTTP-response-incomplete", P_NONE},
    {"HTTP-response-header-section-size", P_OPT_U32},
    {"HTTP-response-header-size", P_FSIZE},
    {"HTTP-response-body-size", P_OPT_U64},
    {"HTTP-response-trailer-section-size", P_OPT_U32},
    {"HTTP-response-trailer-size", P_FSIZE},
    {"HTTP-response-transfer-coding", P_OPT_STR},
    {"HTTP-response-content-coding", P_OPT_STR},
    {"HTTP-response-timeout", P_NONE},
    {"HTTP-upgrade-failed", P_NONE},
    {"HTTP-protocol-error", P_NONE},
    {"loop-detected", P_NONE},
    {"configuration-error", P_NONE},
    {"internal-error", P_OPT_STR},
};
#define NCODES (sizeof error_codes / sizeof error_codes[0])
#define CODE_INTERNAL (NCODES - 1)

static const char *const methods[] = {"GET",     "HEAD",    "POST",
                                      "PUT",     "DELETE",  "CONNECT",
                                      "OPTIONS", "TRACE",   "PATCH"};
#define NMETHODS (sizeof methods / sizeof methods[0]) /* other(string) next */

/* Builds the types into a; false when out of memory. */
static bool types_build(lat_arena_t *a, lat_wrpc_http_types_t *t) {
  lat_wrpc_http_types_t types = {0};
  lat_ctype_builder_t b = {.arena = a};
  const lat_ctype_t *str = lat_ctype_prim(LAT_CT_STRING),
                    *u8 = lat_ctype_prim(LAT_CT_U8);
  const lat_ctype_t *opt_str = lat_ctype_option(&b, str);
  const lat_ctype_t *opt_u64 = lat_ctype_option(&b, lat_ctype_prim(LAT_CT_U64));
  const lat_ctype_t *opt_u32 = lat_ctype_option(&b, lat_ctype_prim(LAT_CT_U32));
  const lat_ctype_t *bytes = lat_ctype_list(&b, u8);
  const lat_ctype_t *pair[2] = {str, lat_ctype_list(&b, bytes)};
  if (!opt_str || !opt_u64 || !opt_u32 || !bytes || !pair[1]) return false;
  types.fields = lat_ctype_list(&b, lat_ctype_tuple(&b, pair, 2));

  lat_cfield_t c[NCODES];
  for (size_t i = 0; i < NMETHODS; i++) c[i] = (lat_cfield_t){methods[i], NULL};
  c[NMETHODS] = (lat_cfield_t){"other", str};
  types.method = lat_ctype_variant(&b, c, NMETHODS + 1);
  c[0] = (lat_cfield_t){"HTTP", NULL};
  c[1] = (lat_cfield_t){"HTTPS", NULL};
  c[2] = (lat_cfield_t){"other", str};
  types.scheme = lat_ctype_variant(&b, c, 3);

  lat_cfield_t f[3] = {{"rcode", opt_str},
                       {"info-code", lat_ctype_option(&b, lat_ctype_prim(LAT_CT_U16))}};
  const lat_ctype_t *dns = lat_ctype_record(&b, f, 2);
  f[0] = (lat_cfield_t){"alert-id", lat_ctype_option(&b, u8)};
  f[1] = (lat_cfield_t){"alert-message", opt_str};
  const lat_ctype_t *tls = lat_ctype_record(&b, f, 2);
  f[0] = (lat_cfield_t){"field-name", opt_str};
  f[1] = (lat_cfield_t){"field-size", opt_u32};
  const lat_ctype_t *fsize = lat_ctype_record(&b, f, 2);
  const lat_ctype_t *opt_fsize = fsize ? lat_ctype_option(&b, fsize) : NULL;
  if (!dns || !tls || !opt_fsize) return false;
  const lat_ctype_t *payloads[] = {[P_NONE] = NULL,         [P_DNS] = dns,
                                   [P_TLS] = tls,           [P_OPT_U64] = opt_u64,
                                   [P_OPT_U32] = opt_u32,   [P_OPT_FSIZE] = opt_fsize,
                                   [P_FSIZE] = fsize,       [P_OPT_STR] = opt_str};
  for (size_t i = 0; i < NCODES; i++)
    c[i] = (lat_cfield_t){error_codes[i].name, payloads[error_codes[i].payload]};
  types.error_code = lat_ctype_variant(&b, c, NCODES);
  f[0] = (lat_cfield_t){"connect-timeout", opt_u64};
  f[1] = (lat_cfield_t){"first-byte-timeout", opt_u64};
  f[2] = (lat_cfield_t){"between-bytes-timeout", opt_u64};
  types.request_options = lat_ctype_record(&b, f, 3);
  if (!types.fields || !types.method || !types.scheme || !types.error_code ||
      !types.request_options)
    return false;

  const lat_ctype_t *body = lat_wrpc_type_stream(a, u8);
  const lat_ctype_t *trailers =
      lat_wrpc_type_future(a, lat_ctype_option(&b, types.fields));
  const lat_ctype_t *opt_scheme = lat_ctype_option(&b, types.scheme);
  if (!body || !trailers || !opt_scheme) return false;
  lat_cfield_t r[7] = {{"body", body},
                       {"trailers", trailers},
                       {"method", types.method},
                       {"path-with-query", opt_str},
                       {"scheme", opt_scheme},
                       {"authority", opt_str},
                       {"headers", types.fields}};
  types.request = lat_wrpc_type_record(a, r, 7);
  r[2] = (lat_cfield_t){"status", lat_ctype_prim(LAT_CT_U16)};
  r[3] = (lat_cfield_t){"headers", types.fields};
  types.response = lat_wrpc_type_record(a, r, 4);
  types.handle_result = lat_wrpc_type_result(a, types.response, types.error_code);
  types.incoming_params[0] = types.outgoing_params[0] = types.request;
  types.outgoing_params[1] = lat_ctype_option(&b, types.request_options);
  *t = types;
  return types.request && types.response && types.handle_result &&
         types.outgoing_params[1];
}

lat_status lat_wrpc_http_types_init(lat_arena_t *a, lat_wrpc_http_types_t *out,
                                    lat_error_t *err) {
  if (types_build(a, out)) return LAT_OK;
  return lat_error_set(err, LAT_ENOMEM, SIZE_MAX,
                       "out of memory building the wrpc:http types");
}

/* ---- C structs to values -------------------------------------------------------- */
/* Values built in a scratch arena; NULL results mean out of memory and are
 * checked once, at the end, through the arena's failure flag. */
typedef struct {
  lat_arena_t a;
  bool oom;
} build_t;

static lat_cval_t *vnew(build_t *b, size_t n) {
  lat_cval_t *v = lat_arena_array(&b->a, n ? n : 1, sizeof *v);
  if (!v) b->oom = true;
  return v;
}

static lat_cval_t vstr(const char *s) {
  return (lat_cval_t){.kind = LAT_CT_STRING,
                      .of.str = {s, s ? (uint32_t)strlen(s) : 0}};
}

/* option<string> of s (NULL: none) */
static lat_cval_t vopt_str(build_t *b, const char *s) {
  lat_cval_t o = {.kind = LAT_CT_OPTION};
  if (s && (o.of.var.payload = vnew(b, 1))) {
    o.of.var.disc = 1;
    *o.of.var.payload = vstr(s);
  }
  return o;
}

/* fields from flat pairs: the values of one name grouped at its first
 * place. */
static lat_status vfields(build_t *b, const lat_wrpc_http_field_t *h, size_t n,
                          lat_cval_t *out, lat_error_t *err) {
  *out = (lat_cval_t){.kind = LAT_CT_LIST};
  if (n > UINT32_MAX)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "%zu headers", n);
  size_t *group = lat_arena_array(&b->a, n ? n : 1, sizeof *group);
  uint32_t *count = lat_arena_array(&b->a, n ? n : 1, sizeof *count);
  lat_cval_t *tuples = vnew(b, n);
  if (!group || !count || !tuples) return LAT_ENOMEM;
  lat_map_t names;
  lat_map_init(&names, LAT_MAP_BORROW_KEYS);
  uint32_t ng = 0;
  lat_status st = LAT_OK;
  for (size_t i = 0; i < n && st == LAT_OK; i++) {
    if (!h[i].name || (h[i].len && !h[i].value)) {
      st = lat_error_set(err, LAT_EARG, SIZE_MAX, "header %zu has no name or value", i);
      break;
    }
    void *g = NULL;
    size_t klen = strlen(h[i].name);
    if (lat_map_get(&names, h[i].name, klen, &g)) {
      group[i] = (size_t)(uintptr_t)g - 1;
    } else {
      group[i] = ng;
      count[ng] = 0;
      tuples[ng] = (lat_cval_t){.kind = LAT_CT_TUPLE};
      st = lat_map_put(&names, h[i].name, klen, (void *)(uintptr_t)(ng + 1), NULL);
      ng++;
    }
    if (st == LAT_OK) count[group[i]]++;
  }
  lat_map_fini(&names);
  if (st != LAT_OK) return st;
  /* each group: (name, [values...]) */
  for (uint32_t g = 0; g < ng; g++) {
    lat_cval_t *pair = vnew(b, 2), *vals = vnew(b, count[g]);
    if (!pair || !vals) return LAT_ENOMEM;
    pair[1] = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {vals, 0, NULL}};
    tuples[g].of.list.v = pair;
    tuples[g].of.list.n = 2;
  }
  for (size_t i = 0; i < n; i++) {
    lat_cval_t *pair = tuples[group[i]].of.list.v;
    if (pair[1].of.list.n == 0) pair[0] = vstr(h[i].name);
    if (h[i].len > UINT32_MAX)
      return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "a header value of %zu bytes",
                           h[i].len);
    pair[1].of.list.v[pair[1].of.list.n++] =
        (lat_cval_t){.kind = LAT_CT_LIST,
                     .of.list = {NULL, (uint32_t)h[i].len,
                                 h[i].len ? h[i].value : (const uint8_t *)""}};
  }
  out->of.list.v = tuples;
  out->of.list.n = ng;
  return LAT_OK;
}

/* The body (a ready stream: inline when not empty) and the trailers (a
 * ready future of none: inline), the first two fields of request and
 * response. */
static lat_status vbody(build_t *b, const uint8_t *body, size_t len,
                        lat_cval_t *f, lat_error_t *err) {
  if (len > UINT32_MAX)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "a body of %zu bytes (at most 2^32-1)", len);
  if (len && !body) return lat_error_set(err, LAT_EARG, SIZE_MAX, "body is NULL");
  lat_cval_t *list = vnew(b, 1), *none = vnew(b, 1);
  if (!list || !none) return LAT_ENOMEM;
  *list = (lat_cval_t){.kind = LAT_CT_LIST,
                       .of.list = {NULL, (uint32_t)len, len ? body : (const uint8_t *)""}};
  *none = (lat_cval_t){.kind = LAT_CT_OPTION};
  f[0] = (lat_cval_t){.kind = LAT_WRPC_CT_STREAM, .of.var = {1, list}};
  f[1] = (lat_cval_t){.kind = LAT_WRPC_CT_FUTURE, .of.var = {1, none}};
  return LAT_OK;
}

/* Writes v (of type t) unless building it failed; frees the scratch (the
 * values and the types). */
static lat_status finish_encode(build_t *b, lat_status st, const lat_cval_t *v,
                                const lat_ctype_t *t, lat_buf_t *root,
                                lat_wrpc_asyncs_t *asyncs, lat_error_t *err) {
  if (st == LAT_OK && b->oom) st = LAT_ENOMEM;
  if (st == LAT_OK) st = lat_wrpc_encode_values_async(v, &t, 1, root, asyncs, err);
  else if (st == LAT_ENOMEM) lat_error_set(err, st, SIZE_MAX, "out of memory");
  lat_arena_fini(&b->a);
  return st;
}

lat_status lat_wrpc_http_request_encode(const lat_wrpc_http_request_t *req,
                                        lat_buf_t *root,
                                        lat_wrpc_asyncs_t *asyncs,
                                        lat_error_t *err) {
  if (!req->method) return lat_error_set(err, LAT_EARG, SIZE_MAX, "no method");
  build_t b = {0};
  lat_arena_init(&b.a);
  lat_wrpc_http_types_t ty = {0}; /* read only once built */
  lat_cval_t *f = vnew(&b, 7), *m = vnew(&b, 1), *sch = vnew(&b, 2);
  lat_cval_t v = {.kind = LAT_CT_RECORD, .of.list = {f, 7, NULL}};
  lat_status st = LAT_ENOMEM;
  if (!f || !m || !sch || !types_build(&b.a, &ty)) goto out;
  if ((st = vbody(&b, req->body, req->body_len, f, err))) goto out;
  uint32_t mi = 0;
  while (mi < NMETHODS && strcmp(req->method, methods[mi]) != 0) mi++;
  f[2] = (lat_cval_t){.kind = LAT_CT_VARIANT, .of.var = {mi, NULL}};
  if (mi == NMETHODS) {
    *m = vstr(req->method);
    f[2].of.var.payload = m;
  }
  f[3] = vopt_str(&b, req->path_with_query);
  f[4] = (lat_cval_t){.kind = LAT_CT_OPTION};
  if (req->scheme) {
    uint32_t si = strcasecmp(req->scheme, "http") == 0    ? 0
                  : strcasecmp(req->scheme, "https") == 0 ? 1
                                                          : 2;
    sch[0] = (lat_cval_t){.kind = LAT_CT_VARIANT, .of.var = {si, NULL}};
    if (si == 2) {
      sch[1] = vstr(req->scheme);
      sch[0].of.var.payload = &sch[1];
    }
    f[4].of.var.disc = 1;
    f[4].of.var.payload = sch;
  }
  f[5] = vopt_str(&b, req->authority);
  st = vfields(&b, req->headers, req->nheaders, &f[6], err);
out:
  return finish_encode(&b, st, &v, ty.request, root, asyncs, err);
}

lat_status lat_wrpc_http_result_encode(const lat_wrpc_http_response_t *resp,
                                       const char *error_message,
                                       lat_buf_t *root,
                                       lat_wrpc_asyncs_t *asyncs,
                                       lat_error_t *err) {
  build_t b = {0};
  lat_arena_init(&b.a);
  lat_wrpc_http_types_t ty = {0}; /* read only once built */
  lat_cval_t *p = vnew(&b, 2);
  lat_cval_t v = {.kind = LAT_CT_RESULT, .of.var = {resp ? 0 : 1, p}};
  lat_status st = LAT_ENOMEM;
  if (!p || !types_build(&b.a, &ty)) goto out;
  if (!resp) { /* err(internal-error(error_message)) */
    p[1] = vopt_str(&b, error_message);
    p[0] = (lat_cval_t){.kind = LAT_CT_VARIANT, .of.var = {CODE_INTERNAL, &p[1]}};
    st = LAT_OK;
    goto out;
  }
  lat_cval_t *f = vnew(&b, 4);
  if (!f) goto out;
  p[0] = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {f, 4, NULL}};
  if ((st = vbody(&b, resp->body, resp->body_len, f, err))) goto out;
  f[2] = (lat_cval_t){.kind = LAT_CT_U16, .of.u = resp->status};
  st = vfields(&b, resp->headers, resp->nheaders, &f[3], err);
out:
  return finish_encode(&b, st, &v, ty.handle_result, root, asyncs, err);
}

/* ---- values to C structs -------------------------------------------------------- */
/* A decoded string is NUL-terminated: the decoder allocates one byte more
 * in a zeroed arena. */
static const char *cstr(const lat_cval_t *s) { return s->of.str.ptr ? s->of.str.ptr : ""; }

static const char *opt_cstr(const lat_cval_t *o) {
  return o->of.var.disc ? cstr(o->of.var.payload) : NULL;
}

static lat_status flat_fields(const lat_cval_t *v, lat_arena_t *a,
                              const lat_wrpc_http_field_t **out, size_t *out_n,
                              lat_error_t *err) {
  size_t n = 0;
  for (uint32_t i = 0; i < v->of.list.n; i++)
    n += v->of.list.v[i].of.list.v[1].of.list.n;
  lat_wrpc_http_field_t *h = lat_arena_array(a, n ? n : 1, sizeof *h);
  if (!h) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  size_t k = 0;
  for (uint32_t i = 0; i < v->of.list.n; i++) {
    const lat_cval_t *pair = v->of.list.v[i].of.list.v;
    for (uint32_t j = 0; j < pair[1].of.list.n; j++) {
      const lat_cval_t *val = &pair[1].of.list.v[j];
      h[k++] = (lat_wrpc_http_field_t){cstr(&pair[0]), val->of.list.bytes,
                                       val->of.list.n};
    }
  }
  *out = h;
  *out_n = n;
  return LAT_OK;
}

/* body: a ready stream (the decoder resolved it) as bytes */
static void body_of(const lat_cval_t *f, const uint8_t **out, size_t *out_len) {
  const lat_cval_t *list = f->of.var.payload;
  *out = list->of.list.bytes;
  *out_len = list->of.list.n;
}

/* root + asyncs as incoming-handler's params (one request) or as handle's
 * result, into a; the types live in a scratch arena (the values do not
 * point into them). */
enum { D_INCOMING, D_RESULT, D_OUTGOING }; /* what decode_http reads */

/* out: room for 2 values (outgoing-handler's params). */
static lat_status decode_http(const uint8_t *root, size_t len,
                              const lat_wrpc_async_t *asyncs, size_t nasync,
                              int what, lat_arena_t *a, lat_cval_t *out,
                              lat_error_t *err) {
  lat_arena_t ta;
  lat_arena_init(&ta);
  lat_wrpc_http_types_t ty = {0}; /* read only once built */
  lat_status st = lat_wrpc_http_types_init(&ta, &ty, err);
  if (st == LAT_OK)
    st = lat_wrpc_decode_values_async(root, len, asyncs, nasync,
                                      what == D_RESULT     ? &ty.handle_result
                                      : what == D_OUTGOING ? ty.outgoing_params
                                                           : ty.incoming_params,
                                      what == D_OUTGOING ? 2 : 1, a, out, err);
  lat_arena_fini(&ta);
  return st;
}

static lat_status request_of(const lat_cval_t *v, lat_arena_t *a, lat_wrpc_http_request_t *out,
                             lat_error_t *err);

lat_status lat_wrpc_http_request_decode(const uint8_t *root, size_t len,
                                        const lat_wrpc_async_t *asyncs,
                                        size_t nasync, lat_arena_t *a,
                                        lat_wrpc_http_request_t *out,
                                        lat_error_t *err) {
  memset(out, 0, sizeof *out);
  lat_cval_t v[2];
  lat_status st = decode_http(root, len, asyncs, nasync, D_INCOMING, a, v, err);
  return st != LAT_OK ? st : request_of(&v[0], a, out, err);
}

lat_status lat_wrpc_http_outgoing_decode(const uint8_t *root, size_t len,
                                         const lat_wrpc_async_t *asyncs,
                                         size_t nasync, lat_arena_t *a,
                                         lat_wrpc_http_request_t *out,
                                         lat_error_t *err) {
  memset(out, 0, sizeof *out);
  lat_cval_t v[2];
  lat_status st = decode_http(root, len, asyncs, nasync, D_OUTGOING, a, v, err);
  return st != LAT_OK ? st : request_of(&v[0], a, out, err);
}

/* A decoded request record into *out (strings stay in a). */
static lat_status request_of(const lat_cval_t *v, lat_arena_t *a, lat_wrpc_http_request_t *out,
                             lat_error_t *err) {
  const lat_cval_t *f = v->of.list.v;
  body_of(&f[0], &out->body, &out->body_len);
  uint32_t mi = f[2].of.var.disc;
  out->method = mi < NMETHODS ? methods[mi] : cstr(f[2].of.var.payload);
  out->path_with_query = opt_cstr(&f[3]);
  if (f[4].of.var.disc) {
    const lat_cval_t *sch = f[4].of.var.payload;
    out->scheme = sch->of.var.disc == 0   ? "http"
                  : sch->of.var.disc == 1 ? "https"
                                          : cstr(sch->of.var.payload);
  }
  out->authority = opt_cstr(&f[5]);
  return flat_fields(&f[6], a, &out->headers, &out->nheaders, err);
}

lat_status lat_wrpc_http_result_decode(const uint8_t *root, size_t len,
                                       const lat_wrpc_async_t *asyncs,
                                       size_t nasync, lat_arena_t *a,
                                       lat_wrpc_http_response_t *out,
                                       lat_wrpc_http_error_t *out_error,
                                       lat_error_t *err) {
  memset(out, 0, sizeof *out);
  if (out_error) memset(out_error, 0, sizeof *out_error);
  lat_cval_t vs[2];
  lat_status st = decode_http(root, len, asyncs, nasync, D_RESULT, a, vs, err);
  if (st != LAT_OK) return st;
  const lat_cval_t v = vs[0];
  const lat_cval_t *p = v.of.var.payload;
  if (v.of.var.disc == 1) {
    uint32_t code = p->of.var.disc;
    const lat_cval_t *pl = p->of.var.payload;
    const char *msg =
        error_codes[code].payload == P_OPT_STR ? opt_cstr(pl) : NULL;
    if (out_error)
      *out_error = (lat_wrpc_http_error_t){code, error_codes[code].name, msg};
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                         "the handler answered error-code %s%s%s",
                         error_codes[code].name, msg ? ": " : "", msg ? msg : "");
  }
  const lat_cval_t *f = p->of.list.v;
  body_of(&f[0], &out->body, &out->body_len);
  out->status = (uint16_t)f[2].of.u;
  return flat_fields(&f[3], a, &out->headers, &out->nheaders, err);
}

/* ---- one call ------------------------------------------------------------------- */
lat_status lat_wrpc_http_invoke(lat_lattice_conn_t *c, const char *lattice,
                                const char *target_id,
                                const lat_wrpc_invoke_opts_t *opts,
                                const lat_wrpc_http_request_t *req,
                                lat_arena_t *a, lat_wrpc_http_response_t *out,
                                lat_wrpc_http_error_t *out_error,
                                lat_error_t *err) {
  memset(out, 0, sizeof *out);
  if (out_error) memset(out_error, 0, sizeof *out_error);
  lat_arena_t ta; /* the result types, for the transport */
  lat_arena_init(&ta);
  lat_wrpc_http_types_t ty = {0}; /* read only once built */
  lat_buf_t root;
  lat_buf_init(&root);
  lat_wrpc_asyncs_t params;
  lat_wrpc_asyncs_init(&params);
  lat_wrpc_results_t r = {0};
  lat_status st = lat_wrpc_http_types_init(&ta, &ty, err);
  if (st == LAT_OK) st = lat_wrpc_http_request_encode(req, &root, &params, err);
  if (st != LAT_OK) goto out;
  lat_wrpc_invoke_opts_t o = {0};
  if (opts) o = *opts;
  o.async_params = params.items;
  o.nasync_params = params.n;
  o.result_types = &ty.handle_result;
  o.nresult_types = 1;
  st = lat_wrpc_invoke_ex(c, lattice, target_id, LAT_WRPC_HTTP_INCOMING,
                          LAT_WRPC_HTTP_FUNCTION, root.data, root.len, &o, &r, err);
  if (st != LAT_OK) goto out;
  if (r.root.len == 0) {
    st = lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                       "%s on %s: the handler failed (empty result stream)",
                       LAT_WRPC_HTTP_INCOMING, target_id);
    goto out;
  }
  st = lat_wrpc_http_result_decode(r.root.data, r.root.len, r.asyncs.items,
                                   r.asyncs.n, a, out, out_error, err);
out:
  lat_wrpc_results_fini(&r);
  lat_wrpc_asyncs_fini(&params);
  lat_buf_fini(&root);
  lat_arena_fini(&ta);
  return st;
}
