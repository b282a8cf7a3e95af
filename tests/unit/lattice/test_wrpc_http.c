/* Unit tests for src/lattice/lattice_wrpc_http.c (wrpc:http@0.1.0) and the
 * nested-path half of src/lattice/lattice_wrpc_nats.c.  The codec: exact
 * bytes of a minimal request (empty body: pending on [0,0]), of a POST
 * (body and trailers inline, no path), of a response and of an error
 * result; what a Rust peer sends (body and trailers pending on their
 * paths); round trips of every method (and other), schemes, headers with
 * several values, empty and 8 MiB bodies, trailers that come with a
 * value; outgoing-handler's params (the request, then its options).  Over a real nats-server: a server (lat_wrpc_serve with param
 * types) echoing a request into a response, called by
 * lat_wrpc_http_invoke with an 8 MiB body (more than max_payload, so a
 * chunked root both ways), a GET (an empty body on a nested path both
 * ways) and an error answer; the messages one POST and one GET cost on
 * the wire (5 and 9); the caps on params and results; a Rust-style
 * client that sends a pending body but never its data (the server gives
 * up cleanly); servers that send garbage on a nested path, never send it,
 * send it before the root, or send undecodable results. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lattice/lattice.h"
#include "lattice_test_util.h"
#include "test.h"
#include "wrpc_types.h"

#define LATTICE "default"

static bool field_eq(const lat_wrpc_http_field_t *f, const char *name,
                     const char *value) {
  return strcmp(f->name, name) == 0 && f->len == strlen(value) &&
         (f->len == 0 || memcmp(f->value, value, f->len) == 0);
}

static lat_wrpc_http_field_t hf(const char *name, const char *value) {
  return (lat_wrpc_http_field_t){name, (const uint8_t *)value, strlen(value)};
}

static bool str_eq(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* ---- codec ---------------------------------------------------------------------- */
/* outgoing-handler.handle's params: (request, option<request-options>), as
 * a host sends them to an http-client (the request, then none or some). */
TEST_IMPL(wrpc_http_codec_outgoing) {
  lat_error_t err;
  lat_wrpc_http_field_t h[] = {hf("accept", "text/plain")};
  lat_wrpc_http_request_t rq = {.method = "PUT", .scheme = "https", .authority = "example.com:8443",
                                .path_with_query = "/a?b=1", .headers = h, .nheaders = 1,
                                .body = (const uint8_t *)"xyz", .body_len = 3};
  /* the options: none, then some({connect-timeout: some(5), none, none}) */
  static const uint8_t opts_none[] = {0x00}, opts_some[] = {0x01, 0x01, 0x05, 0x00, 0x00};
  const struct {
    const uint8_t *b;
    size_t n;
  } opts[] = {{opts_none, sizeof opts_none}, {opts_some, sizeof opts_some}};
  for (size_t k = 0; k < 2; k++) {
    lat_buf_t root;
    lat_buf_init(&root);
    lat_wrpc_asyncs_t as;
    lat_wrpc_asyncs_init(&as);
    REQUIRE_OK(lat_wrpc_http_request_encode(&rq, &root, &as, &err));
    CHECK(as.n == 0); /* body and trailers inline */
    REQUIRE_OK(lat_buf_append(&root, opts[k].b, opts[k].n));
    lat_arena_t a;
    lat_arena_init(&a);
    lat_wrpc_http_request_t back;
    REQUIRE_OK(lat_wrpc_http_outgoing_decode(root.data, root.len, NULL, 0, &a, &back, &err));
    CHECK(str_eq(back.method, "PUT") && str_eq(back.scheme, "https") &&
          str_eq(back.authority, "example.com:8443") && str_eq(back.path_with_query, "/a?b=1"));
    CHECK(back.nheaders == 1 && field_eq(&back.headers[0], "accept", "text/plain"));
    CHECK(back.body_len == 3 && memcmp(back.body, "xyz", 3) == 0);
    /* incoming-handler's decode refuses it: the options are trailing bytes */
    CHECK_EQ_INT(lat_wrpc_http_request_decode(root.data, root.len, NULL, 0, &a, &back, &err),
                 LAT_EMALFORMED);
    /* and the outgoing decode refuses a request without its options */
    CHECK_EQ_INT(lat_wrpc_http_outgoing_decode(root.data, root.len - opts[k].n, NULL, 0, &a,
                                               &back, &err),
                 LAT_EMALFORMED);
    lat_arena_fini(&a);
    lat_wrpc_asyncs_fini(&as);
    lat_buf_fini(&root);
  }
}


TEST_IMPL(wrpc_http_codec_request) {
  lat_error_t err;
  lat_arena_t ta;
  lat_arena_init(&ta);
  lat_wrpc_http_types_t ty;
  REQUIRE_OK(lat_wrpc_http_types_init(&ta, &ty, &err));
  CHECK_EQ_UINT(ty.method->n, 10);
  CHECK_EQ_UINT(ty.scheme->n, 3);
  CHECK_EQ_UINT(ty.error_code->n, 39);
  CHECK_EQ_STR(ty.error_code->u.fields[38].name, "internal-error");
  CHECK_EQ_UINT(ty.request->n, 7);
  CHECK_EQ_UINT(ty.response->n, 4);
  CHECK_EQ_UINT(ty.request_options->n, 3);
  CHECK(ty.incoming_params[0] == ty.request && ty.outgoing_params[0] == ty.request);
  CHECK(lat_wrpc_type_has_async(ty.handle_result));
  CHECK(!lat_wrpc_type_has_async(ty.outgoing_params[1]));
  lat_arena_fini(&ta);
  /* the smallest request: every option none, no headers, empty body; the
   * trailers inline (01 00: ready, none), the body, empty, cannot be inline
   * (count 0 is pending): pending with its end chunk on [0,0] */
  lat_wrpc_http_request_t rq = {.method = "GET"};
  lat_buf_t root;
  lat_buf_init(&root);
  lat_wrpc_asyncs_t as;
  lat_wrpc_asyncs_init(&as);
  REQUIRE_OK(lat_wrpc_http_request_encode(&rq, &root, &as, &err));
  char hex[256];
  wt_hex(root.data, root.len, hex, sizeof hex);
  CHECK_EQ_STR(hex, "00 01 00 00 00 00 00 00");
  REQUIRE(as.n == 1);
  CHECK(lat_wrpc_path_equal(&as.items[0].path, &(lat_wrpc_path_t){2, {0, 0}}));
  CHECK(as.items[0].len == 1 && as.items[0].data[0] == 0); /* end chunk */
  lat_wrpc_asyncs_fini(&as);
  /* a POST with a body: everything inline, no nested path at all */
  rq = (lat_wrpc_http_request_t){.method = "POST", .body = (const uint8_t *)"abc",
                                 .body_len = 3};
  root.len = 0;
  lat_wrpc_asyncs_init(&as);
  REQUIRE_OK(lat_wrpc_http_request_encode(&rq, &root, &as, &err));
  wt_hex(root.data, root.len, hex, sizeof hex);
  CHECK_EQ_STR(hex, "03 61 62 63 01 00 02 00 00 00 00");
  CHECK_EQ_UINT(as.n, 0);
  lat_wrpc_asyncs_fini(&as);
  /* the same as a Rust peer sends it: body and trailers pending, their
   * data on [0,0] and [0,1] */
  {
    lat_arena_t a;
    lat_arena_init(&a);
    uint8_t r[16], body[8];
    size_t rn = wt_unhex("00 00 02 00 00 00 00", r, sizeof r);
    size_t bn = wt_unhex("03 61 62 63 00", body, sizeof body);
    lat_wrpc_async_t items[2] = {{{2, {0, 0}}, body, bn},
                                 {{2, {0, 1}}, (uint8_t *)"\0", 1}};
    lat_wrpc_http_request_t back;
    REQUIRE_OK(lat_wrpc_http_request_decode(r, rn, items, 2, &a, &back, &err));
    CHECK_EQ_STR(back.method, "POST");
    CHECK(back.body_len == 3 && memcmp(back.body, "abc", 3) == 0);
    /* the trailers' data missing: refused, naming the path */
    CHECK_ST(lat_wrpc_http_request_decode(r, rn, items, 1, &a, &back, &err),
             LAT_EMALFORMED);
    CHECK(strstr(err.msg, "0.1") != NULL);
    lat_arena_fini(&a);
  }
  /* headers: the values of a name grouped on the wire */
  lat_wrpc_http_field_t two[2] = {hf("a", "x"), hf("a", "y")};
  rq = (lat_wrpc_http_request_t){.method = "PURGE", .headers = two, .nheaders = 2};
  root.len = 0;
  lat_wrpc_asyncs_init(&as);
  REQUIRE_OK(lat_wrpc_http_request_encode(&rq, &root, &as, &err));
  wt_hex(root.data, root.len, hex, sizeof hex);
  CHECK_EQ_STR(hex, "00 01 00 09 05 50 55 52 47 45 00 00 00 01 01 61 02 01 78 01 79");
  CHECK_EQ_UINT(as.n, 1); /* the empty body */
  lat_wrpc_asyncs_fini(&as);

  /* round trips */
  static const char *const ms[] = {"GET",   "HEAD",    "POST",  "PUT", "DELETE",
                                   "CONNECT", "OPTIONS", "TRACE", "PATCH",
                                   "PURGE", "get"};
  static const char *const schemes[] = {NULL, "http", "HTTPS", "ftp"};
  lat_wrpc_http_field_t hs[5] = {hf("accept", "a"), hf("x-multi", "1"),
                                 hf("accept", "b"), hf("x-multi", "2"),
                                 hf("empty", "")};
  size_t big_n = 8u << 20;
  uint8_t *big = malloc(big_n);
  REQUIRE(big);
  for (size_t i = 0; i < big_n; i++) big[i] = (uint8_t)(i * 2654435761u >> 11);
  for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
    lat_arena_t a;
    lat_arena_init(&a);
    const char *scheme = schemes[i % 4];
    bool use_big = i == 2;
    rq = (lat_wrpc_http_request_t){
        .method = ms[i],
        .scheme = scheme,
        .authority = i % 3 ? "example.com:8080" : NULL,
        .path_with_query = i % 2 ? "/p?q=é" : NULL,
        .headers = hs,
        .nheaders = i % 2 ? 5 : 0,
        .body = use_big ? big : (const uint8_t *)"hello",
        .body_len = use_big ? big_n : i % 3 ? 5 : 0};
    root.len = 0;
    lat_wrpc_asyncs_init(&as);
    REQUIRE_OK(lat_wrpc_http_request_encode(&rq, &root, &as, &err));
    lat_wrpc_http_request_t back;
    lat_status st = lat_wrpc_http_request_decode(root.data, root.len, as.items, as.n,
                                                 &a, &back, &err);
    if (st) fprintf(stderr, "  %s: %s\n", ms[i], err.msg);
    REQUIRE_OK(st);
    CHECK_EQ_STR(back.method, ms[i]);
    const char *want_scheme = scheme && strcmp(scheme, "HTTPS") == 0 ? "https" : scheme;
    CHECK(str_eq(back.scheme, want_scheme));
    CHECK(str_eq(back.authority, rq.authority));
    CHECK(str_eq(back.path_with_query, rq.path_with_query));
    CHECK_EQ_UINT(back.body_len, rq.body_len);
    CHECK(back.body_len == 0 || memcmp(back.body, rq.body, back.body_len) == 0);
    CHECK_EQ_UINT(back.nheaders, rq.nheaders);
    if (back.nheaders == 5) { /* grouped by name, first place kept */
      CHECK(field_eq(&back.headers[0], "accept", "a"));
      CHECK(field_eq(&back.headers[1], "accept", "b"));
      CHECK(field_eq(&back.headers[2], "x-multi", "1"));
      CHECK(field_eq(&back.headers[3], "x-multi", "2"));
      CHECK(field_eq(&back.headers[4], "empty", ""));
    }
    lat_wrpc_asyncs_fini(&as);
    lat_arena_fini(&a);
  }
  /* refusals: no method; a header name that is not UTF-8 */
  rq = (lat_wrpc_http_request_t){0};
  lat_wrpc_asyncs_init(&as);
  CHECK_ST(lat_wrpc_http_request_encode(&rq, &root, &as, &err), LAT_EARG);
  lat_wrpc_http_field_t badh = hf("\xff", "v");
  rq = (lat_wrpc_http_request_t){.method = "GET", .headers = &badh, .nheaders = 1};
  size_t mark = root.len;
  CHECK_ST(lat_wrpc_http_request_encode(&rq, &root, &as, &err), LAT_EARG);
  CHECK_EQ_UINT(root.len, mark);
  CHECK_EQ_UINT(as.n, 0);
  lat_wrpc_asyncs_fini(&as);
  free(big);
  lat_buf_fini(&root);
}

TEST_IMPL(wrpc_http_codec_result) {
  lat_error_t err;
  lat_arena_t a;
  lat_arena_init(&a);
  lat_buf_t root;
  lat_buf_init(&root);
  lat_wrpc_asyncs_t as;
  lat_wrpc_asyncs_init(&as);
  /* ok(response) */
  lat_wrpc_http_field_t hs[2] = {hf("content-type", "text/plain"), hf("set-cookie", "a=1")};
  lat_wrpc_http_response_t rs = {.status = 404, .headers = hs, .nheaders = 2,
                                 .body = (const uint8_t *)"nope", .body_len = 4};
  REQUIRE_OK(lat_wrpc_http_result_encode(&rs, NULL, &root, &as, &err));
  char hex[256];
  wt_hex(root.data, root.len, hex, sizeof hex);
  /* ok, the body inline (one chunk), the trailers inline (none), 404 */
  CHECK(strncmp(hex, "00 04 6e 6f 70 65 01 00 94 03 02", 32) == 0);
  CHECK_EQ_UINT(as.n, 0);
  lat_wrpc_http_response_t back;
  lat_wrpc_http_error_t he;
  REQUIRE_OK(lat_wrpc_http_result_decode(root.data, root.len, as.items, as.n, &a, &back,
                                         &he, &err));
  CHECK_EQ_UINT(back.status, 404);
  CHECK(back.body_len == 4 && memcmp(back.body, "nope", 4) == 0);
  REQUIRE(back.nheaders == 2);
  CHECK(field_eq(&back.headers[1], "set-cookie", "a=1"));
  CHECK(he.name == NULL);
  /* the same as a Rust peer sends it: ok, body and trailers pending (root
   * 00 00 00, then the rest from 404 on), their data on [0,0] and [0,1];
   * trailers that come with a value are accepted (and ignored) */
  REQUIRE(root.len > 8);
  uint8_t rust[128] = {0, 0, 0}, body[8], tr[32];
  memcpy(rust + 3, root.data + 8, root.len - 8);
  size_t rustn = root.len - 8 + 3;
  size_t bn = wt_unhex("04 6e 6f 70 65 00", body, sizeof body);
  size_t trn = wt_unhex("01 01 01 78 01 01 79", tr, sizeof tr); /* some([("x", ["y"])]) */
  lat_wrpc_async_t items[2] = {{{2, {0, 0}}, body, bn}, {{2, {0, 1}}, tr, trn}};
  REQUIRE_OK(lat_wrpc_http_result_decode(rust, rustn, items, 2, &a, &back, &he, &err));
  CHECK_EQ_UINT(back.status, 404);
  CHECK(back.body_len == 4 && memcmp(back.body, "nope", 4) == 0);
  CHECK_EQ_UINT(back.nheaders, 2);
  /* trailers with a value inline too: 01 + the value */
  uint8_t inl[160];
  memcpy(inl, root.data, 6);
  inl[6] = 1;
  memcpy(inl + 7, tr, trn);
  memcpy(inl + 7 + trn, root.data + 8, root.len - 8);
  CHECK_OK(lat_wrpc_http_result_decode(inl, root.len - 1 + trn, NULL, 0, &a, &back, &he,
                                       &err));
  CHECK(back.body_len == 4 && back.status == 404);
  /* garbage in the body's path data */
  body[0] = 0x09;
  CHECK_ST(lat_wrpc_http_result_decode(rust, rustn, items, 2, &a, &back, &he, &err),
           LAT_EMALFORMED);
  CHECK(strstr(err.msg, "path 0.0") != NULL);
  /* an empty body goes pending on [0,0], the rest inline */
  rs.body_len = 0;
  root.len = 0;
  REQUIRE_OK(lat_wrpc_http_result_encode(&rs, NULL, &root, &as, &err));
  wt_hex(root.data, root.len, hex, sizeof hex);
  CHECK(strncmp(hex, "00 00 01 00 94 03 02", 20) == 0);
  REQUIRE(as.n == 1);
  CHECK(lat_wrpc_path_equal(&as.items[0].path, &(lat_wrpc_path_t){2, {0, 0}}));
  CHECK(as.items[0].len == 1 && as.items[0].data[0] == 0);
  REQUIRE_OK(lat_wrpc_http_result_decode(root.data, root.len, as.items, as.n, &a, &back,
                                         &he, &err));
  CHECK(back.body_len == 0 && back.status == 404);
  lat_wrpc_asyncs_fini(&as);

  /* err(internal-error(some("boom"))): case 38 */
  root.len = 0;
  lat_wrpc_asyncs_init(&as);
  REQUIRE_OK(lat_wrpc_http_result_encode(NULL, "boom", &root, &as, &err));
  wt_hex(root.data, root.len, hex, sizeof hex);
  CHECK_EQ_STR(hex, "01 26 01 04 62 6f 6f 6d");
  CHECK_EQ_UINT(as.n, 0);
  CHECK_ST(lat_wrpc_http_result_decode(root.data, root.len, NULL, 0, &a, &back, &he, &err),
           LAT_EINVALID);
  CHECK_EQ_UINT(he.code, 38);
  CHECK_EQ_STR(he.name, "internal-error");
  CHECK_EQ_STR(he.message, "boom");
  CHECK(strstr(err.msg, "internal-error: boom") != NULL);
  /* other error codes: DNS-error(record), HTTP-response-timeout */
  uint8_t e[16];
  size_t en = wt_unhex("01 01 01 02 6e 78 00", e, sizeof e);
  CHECK_ST(lat_wrpc_http_result_decode(e, en, NULL, 0, &a, &back, &he, &err), LAT_EINVALID);
  CHECK_EQ_STR(he.name, "DNS-error");
  CHECK(he.message == NULL);
  en = wt_unhex("01 21", e, sizeof e);
  CHECK_ST(lat_wrpc_http_result_decode(e, en, NULL, 0, &a, &back, NULL, &err), LAT_EINVALID);
  CHECK(strstr(err.msg, "HTTP-response-timeout") != NULL);
  en = wt_unhex("01 27", e, sizeof e); /* case 39 does not exist */
  CHECK_ST(lat_wrpc_http_result_decode(e, en, NULL, 0, &a, &back, &he, &err),
           LAT_EMALFORMED);
  lat_wrpc_asyncs_fini(&as);
  lat_buf_fini(&root);
  lat_arena_fini(&a);
}

/* ---- over NATS ----------------------------------------------------------------------- */
static nats_fixture_t srv;

/* The request echoed: status 200 (201 for POST), the request's headers
 * then x-method, x-scheme, x-authority, x-path; the body reversed (so a
 * mix-up shows).  Path "/fail" answers err(internal-error("boom")). */
static lat_status http_echo(void *ctx, const lat_wrpc_request_t *req,
                            lat_buf_t *results, lat_error_t *err) {
  (void)ctx;
  lat_arena_t a;
  lat_arena_init(&a);
  lat_wrpc_http_request_t rq;
  lat_status st = lat_wrpc_http_request_decode(req->params, req->len, req->asyncs,
                                               req->nasync, &a, &rq, err);
  if (st != LAT_OK) goto out;
  if (rq.path_with_query && strcmp(rq.path_with_query, "/fail") == 0) {
    st = lat_wrpc_http_result_encode(NULL, "boom", results, req->async_results, err);
    goto out;
  }
  lat_wrpc_http_field_t *hs = lat_arena_array(&a, rq.nheaders + 4, sizeof *hs);
  uint8_t *body = lat_arena_alloc(&a, rq.body_len + 1);
  if (!hs || !body) {
    st = LAT_ENOMEM;
    goto out;
  }
  memcpy(hs, rq.headers, rq.nheaders * sizeof *hs);
  size_t n = rq.nheaders;
  hs[n++] = hf("x-method", rq.method);
  hs[n++] = hf("x-scheme", rq.scheme ? rq.scheme : "-");
  hs[n++] = hf("x-authority", rq.authority ? rq.authority : "-");
  hs[n++] = hf("x-path", rq.path_with_query ? rq.path_with_query : "-");
  for (size_t i = 0; i < rq.body_len; i++) body[i] = rq.body[rq.body_len - 1 - i];
  lat_wrpc_http_response_t rs = {.status = strcmp(rq.method, "POST") == 0 ? 201 : 200,
                                 .headers = hs, .nheaders = n, .body = body,
                                 .body_len = rq.body_len};
  st = lat_wrpc_http_result_encode(&rs, NULL, results, req->async_results, err);
out:
  lat_arena_fini(&a);
  return st;
}

/* The types the servers below are given: they must outlive the servers. */
static lat_arena_t types_arena;
static lat_wrpc_http_types_t http_ty;

static lat_status serve_echo(lat_lattice_conn_t *c, const char *id, uint32_t params_ms,
                             size_t max_params, lat_wrpc_server_t **out) {
  const lat_wrpc_http_types_t *ty = &http_ty;
  lat_wrpc_serve_opts_t so = {.params_typed = true, .param_types = ty->incoming_params,
                              .nparam_types = 1, .workers = 2,
                              .params_timeout_ms = params_ms, .max_params = max_params};
  lat_error_t err;
  lat_status st = lat_wrpc_serve(c, LATTICE, id, LAT_WRPC_HTTP_INCOMING,
                                 LAT_WRPC_HTTP_FUNCTION, http_echo, NULL, &so, out, &err);
  if (st) fprintf(stderr, "  serve: %s\n", err.msg);
  return st;
}

typedef struct {
  lat_wrpc_server_t *s;
  uint64_t served, failed, dropped;
} stats_want_t;
static bool stats_reach(void *ctx) {
  stats_want_t *w = ctx;
  lat_wrpc_server_stats_t st;
  lat_wrpc_server_stats(w->s, &st);
  return st.served >= w->served && st.failed >= w->failed && st.dropped >= w->dropped;
}

TEST_IMPL(wrpc_http_nats_echo) {
  lat_arena_init(&types_arena);
  REQUIRE_OK(lat_wrpc_http_types_init(&types_arena, &http_ty, NULL));
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url);
  REQUIRE(cc && sc);
  REQUIRE(lat_lattice_conn_max_payload(cc) <= (1u << 20)); /* so 8 MiB is chunked */
  lat_error_t err;
  lat_wrpc_server_t *s = NULL, *small = NULL;
  REQUIRE_OK(serve_echo(sc, "http-echo", 0, 0, &s));
  REQUIRE_OK(serve_echo(sc, "http-small", 0, 1u << 20, &small)); /* 1 MiB cap */
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));

  size_t n = 8u << 20;
  uint8_t *body = malloc(n);
  REQUIRE(body);
  for (size_t i = 0; i < n; i++) body[i] = (uint8_t)(i * 2654435761u >> 13);
  lat_wrpc_http_field_t hs[3] = {hf("content-type", "application/octet-stream"),
                                 hf("x-multi", "1"), hf("x-multi", "2")};
  lat_wrpc_http_request_t rq = {.method = "POST", .scheme = "https",
                                .authority = "example.com", .path_with_query = "/up?x=1",
                                .headers = hs, .nheaders = 3, .body = body,
                                .body_len = n};
  lat_lattice_header_t h[] = {{"source-id", "test-client"}};
  lat_wrpc_invoke_opts_t o = {.headers = h, .nheaders = 1, .timeout_ms = 20000};
  lat_arena_t a;
  lat_arena_init(&a);
  lat_wrpc_http_response_t rs;
  lat_wrpc_http_error_t he;
  uint64_t t0 = lat_now_ns();
  lat_status st = lat_wrpc_http_invoke(cc, LATTICE, "http-echo", &o, &rq, &a, &rs, &he, &err);
  if (st) fprintf(stderr, "  8 MiB request: %s\n", err.msg);
  REQUIRE_OK(st);
  fprintf(stderr, "  8 MiB body each way through wrpc:http: %.1f ms\n",
          (double)(lat_now_ns() - t0) / 1e6);
  CHECK_EQ_UINT(rs.status, 201);
  REQUIRE(rs.body_len == n);
  bool same = true;
  for (size_t i = 0; i < n && same; i++) same = rs.body[i] == body[n - 1 - i];
  CHECK(same);
  REQUIRE(rs.nheaders == 7);
  CHECK(field_eq(&rs.headers[0], "content-type", "application/octet-stream"));
  CHECK(field_eq(&rs.headers[1], "x-multi", "1"));
  CHECK(field_eq(&rs.headers[2], "x-multi", "2"));
  CHECK(field_eq(&rs.headers[3], "x-method", "POST"));
  CHECK(field_eq(&rs.headers[4], "x-scheme", "https"));
  CHECK(field_eq(&rs.headers[5], "x-authority", "example.com"));
  CHECK(field_eq(&rs.headers[6], "x-path", "/up?x=1"));
  /* a small GET with no body, no options */
  rq = (lat_wrpc_http_request_t){.method = "GET"};
  REQUIRE_OK(lat_wrpc_http_invoke(cc, LATTICE, "http-echo", &o, &rq, &a, &rs, &he, &err));
  CHECK_EQ_UINT(rs.status, 200);
  CHECK_EQ_UINT(rs.body_len, 0);
  CHECK(field_eq(&rs.headers[2], "x-authority", "-"));
  /* an error-code answer */
  rq.path_with_query = "/fail";
  CHECK_ST(lat_wrpc_http_invoke(cc, LATTICE, "http-echo", &o, &rq, &a, &rs, &he, &err),
           LAT_EINVALID);
  CHECK_EQ_STR(he.name, "internal-error");
  CHECK_EQ_STR(he.message, "boom");
  /* the cap covers the results: 1 MiB of results for an 8 MiB body */
  rq = (lat_wrpc_http_request_t){.method = "PUT", .body = body, .body_len = n};
  o.max_results = 1u << 20;
  CHECK_ST(lat_wrpc_http_invoke(cc, LATTICE, "http-echo", &o, &rq, &a, &rs, &he, &err),
           LAT_ELIMIT);
  /* ... and the params: a server capped at 1 MiB drops the call, the
   * client sees the empty result stream at once */
  o.max_results = 0;
  t0 = lat_now_ns();
  CHECK_ST(lat_wrpc_http_invoke(cc, LATTICE, "http-small", &o, &rq, &a, &rs, &he, &err),
           LAT_EINVALID);
  CHECK(strstr(err.msg, "empty result stream") != NULL);
  CHECK(he.name == NULL);
  CHECK(lat_now_ns() - t0 < 10000000000ull);
  stats_want_t sw = {s, 4, 0, 0}, sw2 = {small, 0, 0, 1};
  CHECK(nats_fixture_wait(stats_reach, &sw, 10000));
  CHECK(nats_fixture_wait(stats_reach, &sw2, 10000));
  lat_wrpc_server_stats_t stats;
  lat_wrpc_server_stats(s, &stats);
  CHECK_EQ_UINT(stats.served, 4);
  CHECK_EQ_UINT(stats.failed + stats.dropped, 0);
  /* the streams still in flight land before the conns close */
  REQUIRE_OK(lat_lattice_conn_flush(cc, 5000, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 5000, &err));
  REQUIRE_OK(lat_lattice_conn_flush(cc, 5000, &err));
  lat_arena_fini(&a);
  free(body);
  lat_wrpc_server_free(s);
  lat_wrpc_server_free(small);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  nats_fixture_stop(&srv);
  lat_arena_fini(&types_arena);
  lat_lattice_library_close(2000);
}

/* A client that sends the request's root (body pending) but never the
 * body's data: the server gives up after params_timeout_ms, ends the
 * result stream empty and keeps serving. */
TEST_IMPL(wrpc_http_nats_missing_params) {
  lat_arena_init(&types_arena);
  REQUIRE_OK(lat_wrpc_http_types_init(&types_arena, &http_ty, NULL));
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url);
  REQUIRE(cc && sc);
  lat_error_t err;
  lat_wrpc_server_t *s = NULL;
  REQUIRE_OK(serve_echo(sc, "http-echo", 300, 0, &s));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  /* a POST of "abc" as a Rust client sends it: body and trailers pending,
   * their data on [0,0] and [0,1] */
  lat_buf_t root;
  lat_buf_init(&root);
  lat_wrpc_asyncs_t as;
  lat_wrpc_asyncs_init(&as);
  uint8_t rb[8];
  REQUIRE_OK(lat_buf_append(&root, rb, wt_unhex("00 00 02 00 00 00 00", rb, sizeof rb)));
  REQUIRE_OK(lat_wrpc_asyncs_add(&as, &(lat_wrpc_path_t){2, {0, 0}}, rb,
                                 wt_unhex("03 61 62 63 00", rb, sizeof rb), &err));
  REQUIRE_OK(lat_wrpc_asyncs_add(&as, &(lat_wrpc_path_t){2, {0, 1}}, rb,
                                 wt_unhex("00", rb, sizeof rb), &err));
  lat_wrpc_invoke_opts_t o = {.timeout_ms = 5000}; /* no async_params */
  lat_lattice_reply_t rep;
  uint64_t t0 = lat_now_ns();
  CHECK_OK(lat_wrpc_invoke(cc, LATTICE, "http-echo", LAT_WRPC_HTTP_INCOMING,
                           LAT_WRPC_HTTP_FUNCTION, root.data, root.len, &o, &rep, &err));
  uint64_t el = lat_now_ns() - t0;
  CHECK_EQ_UINT(rep.len, 0);
  CHECK(el >= 250000000ull && el < 3000000000ull);
  lat_lattice_reply_fini(&rep);
  /* only the trailers' data: still missing the body */
  o.async_params = &as.items[1];
  o.nasync_params = 1;
  CHECK_OK(lat_wrpc_invoke(cc, LATTICE, "http-echo", LAT_WRPC_HTTP_INCOMING,
                           LAT_WRPC_HTTP_FUNCTION, root.data, root.len, &o, &rep, &err));
  CHECK_EQ_UINT(rep.len, 0);
  lat_lattice_reply_fini(&rep);
  /* with both: served, through the byte-level API */
  o.async_params = as.items;
  o.nasync_params = as.n;
  o.result_types = &http_ty.handle_result;
  o.nresult_types = 1;
  lat_wrpc_results_t r;
  REQUIRE_OK(lat_wrpc_invoke_ex(cc, LATTICE, "http-echo", LAT_WRPC_HTTP_INCOMING,
                                LAT_WRPC_HTTP_FUNCTION, root.data, root.len, &o, &r,
                                &err));
  CHECK_EQ_UINT(r.asyncs.n, 0); /* the response "cba" inline */
  lat_arena_t a;
  lat_arena_init(&a);
  lat_wrpc_http_response_t rs;
  REQUIRE_OK(lat_wrpc_http_result_decode(r.root.data, r.root.len, r.asyncs.items,
                                         r.asyncs.n, &a, &rs, NULL, &err));
  CHECK(rs.body_len == 3 && memcmp(rs.body, "cba", 3) == 0);
  lat_wrpc_results_fini(&r);
  /* the same POST as we send it, all inline: the root alone is the whole
   * request, and the server needs nothing more */
  lat_wrpc_http_request_t rq = {.method = "POST", .body = (const uint8_t *)"abc",
                                .body_len = 3};
  root.len = 0;
  lat_wrpc_asyncs_fini(&as);
  REQUIRE_OK(lat_wrpc_http_request_encode(&rq, &root, &as, &err));
  REQUIRE(as.n == 0);
  o.async_params = NULL;
  o.nasync_params = 0;
  REQUIRE_OK(lat_wrpc_invoke_ex(cc, LATTICE, "http-echo", LAT_WRPC_HTTP_INCOMING,
                                LAT_WRPC_HTTP_FUNCTION, root.data, root.len, &o, &r,
                                &err));
  REQUIRE_OK(lat_wrpc_http_result_decode(r.root.data, r.root.len, r.asyncs.items,
                                         r.asyncs.n, &a, &rs, NULL, &err));
  CHECK(rs.body_len == 3 && memcmp(rs.body, "cba", 3) == 0);
  lat_wrpc_results_fini(&r);
  lat_arena_fini(&a);
  stats_want_t sw = {s, 2, 0, 2};
  CHECK(nats_fixture_wait(stats_reach, &sw, 5000));
  lat_wrpc_server_stats_t stats;
  lat_wrpc_server_stats(s, &stats);
  CHECK_EQ_UINT(stats.dropped, 2);
  CHECK_EQ_UINT(stats.served, 2);
  lat_wrpc_asyncs_fini(&as);
  lat_buf_fini(&root);
  lat_wrpc_server_free(s);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  nats_fixture_stop(&srv);
  lat_arena_fini(&types_arena);
  lat_lattice_library_close(2000);
}

/* Every message on the server, as its subject with the inbox tokens cut
 * (what is left names the stream: "handle", "<R_c>", "params",
 * "results.0.0" ...). */
static void tap_msg(void *ctx, const lat_lattice_msg_t *m) {
  const char *subj = m->subject;
  if (strncmp(subj, "_INBOX.", 7) == 0) { /* _INBOX.<nuid>[.<n>].<rest> */
    const char *p = strstr(subj, ".params");
    if (!p) p = strstr(subj, ".results");
    subj = p ? p + 1 : "inbox";
  } else {
    const char *p = strrchr(subj, '.');
    subj = p ? p + 1 : subj;
  }
  char text[512];
  snprintf(text, sizeof text, "%s %zu", subj, m->len);
  test_inbox_add(ctx, text, 0);
}

/* The messages of one call of rq on the wire: exactly want of them. */
static void count_call(lat_lattice_conn_t *cc, lat_lattice_conn_t *sc,
                       lat_lattice_conn_t *tc, test_inbox_t *tap,
                       const lat_wrpc_http_request_t *rq, int want) {
  lat_error_t err;
  lat_arena_t a;
  lat_arena_init(&a);
  lat_wrpc_http_response_t rs;
  lat_wrpc_invoke_opts_t o = {.timeout_ms = 5000};
  pthread_mutex_lock(&tap->mu);
  tap->count = 0;
  pthread_mutex_unlock(&tap->mu);
  CHECK_OK(lat_wrpc_http_invoke(cc, LATTICE, "http-echo", &o, rq, &a, &rs, NULL, &err));
  CHECK_EQ_UINT(rs.body_len, rq->body_len);
  CHECK_OK(lat_lattice_conn_flush(cc, 2000, &err));
  CHECK_OK(lat_lattice_conn_flush(sc, 2000, &err));
  test_inbox_wait(tap, want, 2000);
  struct timespec ts = {0, 100 * 1000000};
  nanosleep(&ts, NULL); /* anything more would have come by now */
  CHECK_OK(lat_lattice_conn_flush(tc, 2000, &err));
  int n = test_inbox_count(tap);
  if (n != want) {
    fprintf(stderr, "  %s with a %zu-byte body: %d messages, want %d:", rq->method,
            rq->body_len, n, want);
    for (int i = 0; i < n; i++) {
      char t[512];
      test_inbox_get(tap, i, t, sizeof t);
      fprintf(stderr, " [%s]", t);
    }
    fprintf(stderr, "\n");
  }
  CHECK_EQ_INT(n, want);
  lat_arena_fini(&a);
}

/* What one request costs on the wire.  A POST with a body is the root
 * alone both ways: invocation, handshake, the client's end of params (no
 * one listens: the typed server had everything), results and their end.
 * A GET's empty body (and so the echo's empty response body) cannot be
 * inline: two more messages (data, end) each way. */
TEST_IMPL(wrpc_http_nats_messages) {
  lat_arena_init(&types_arena);
  REQUIRE_OK(lat_wrpc_http_types_init(&types_arena, &http_ty, NULL));
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url),
                     *tc = test_connect(srv.url);
  REQUIRE(cc && sc && tc);
  lat_error_t err;
  lat_wrpc_server_t *s = NULL;
  REQUIRE_OK(serve_echo(sc, "http-echo", 0, 0, &s));
  test_inbox_t tap;
  test_inbox_init(&tap);
  lat_lattice_sub_t *sub = NULL;
  REQUIRE_OK(lat_lattice_conn_subscribe(tc, ">", NULL, tap_msg, &tap, &sub, &err));
  REQUIRE_OK(lat_lattice_conn_flush(tc, 2000, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  lat_wrpc_http_request_t rq = {.method = "POST", .body = (const uint8_t *)"abc",
                                .body_len = 3};
  count_call(cc, sc, tc, &tap, &rq, 5);
  rq = (lat_wrpc_http_request_t){.method = "GET"};
  count_call(cc, sc, tc, &tap, &rq, 9);
  lat_lattice_sub_free(sub);
  lat_wrpc_server_free(s);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  lat_lattice_conn_free(tc);
  nats_fixture_stop(&srv);
  lat_arena_fini(&types_arena);
  lat_lattice_library_close(2000);
}

/* Fake servers answering ok(response) with the body and trailers pending:
 *   0  garbage on the body's path
 *   1  never the nested data
 *   2  the nested data before the root (a Rust server's tasks race)
 *   3  results that do not decode */
typedef struct {
  lat_lattice_conn_t *c;
  int mode;
} fake_t;

static void pub(lat_lattice_conn_t *c, const char *base, const char *suffix,
                const char *hex) {
  char subject[512];
  uint8_t data[64];
  snprintf(subject, sizeof subject, "%s%s", base, suffix);
  size_t n = wt_unhex(hex, data, sizeof data);
  lat_lattice_conn_publish(c, subject, NULL, data, n, NULL);
  lat_lattice_conn_publish(c, subject, NULL, NULL, 0, NULL);
}

static void fake_http(void *ctx, const lat_lattice_msg_t *m) {
  fake_t *f = ctx;
  if (!m->reply) return;
  lat_lattice_conn_publish(f->c, m->reply, "_INBOX.fake.http", NULL, 0, NULL);
  const char *root = f->mode == 3 ? "00 07" : "00 00 00 c8 01 00";
  if (f->mode == 2) {
    pub(f->c, m->reply, ".results.0.0", "02 68 69 00");
    pub(f->c, m->reply, ".results.0.1", "00");
  }
  pub(f->c, m->reply, ".results", root);
  if (f->mode == 0) {
    pub(f->c, m->reply, ".results.0.0", "05 01");
    pub(f->c, m->reply, ".results.0.1", "00");
  }
}

TEST_IMPL(wrpc_http_nats_bad_servers) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url);
  REQUIRE(cc && sc);
  lat_error_t err;
  fake_t fs[4];
  lat_lattice_sub_t *subs[4] = {0};
  for (int i = 0; i < 4; i++) {
    fs[i] = (fake_t){sc, i};
    char id[16], *subj = NULL;
    snprintf(id, sizeof id, "fake%d", i);
    REQUIRE_OK(lat_lattice_subj_wrpc(LATTICE, id, LAT_WRPC_HTTP_INCOMING,
                                     LAT_WRPC_HTTP_FUNCTION, &subj, &err));
    REQUIRE_OK(lat_lattice_conn_subscribe(sc, subj, NULL, fake_http, &fs[i], &subs[i],
                                          &err));
    lat_free(subj);
  }
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  lat_arena_t a;
  lat_arena_init(&a);
  lat_wrpc_http_request_t rq = {.method = "GET"};
  lat_wrpc_http_response_t rs;
  lat_wrpc_invoke_opts_t o = {.timeout_ms = 3000};
  lat_status st = lat_wrpc_http_invoke(cc, LATTICE, "fake0", &o, &rq, &a, &rs, NULL, &err);
  CHECK_ST(st, LAT_EMALFORMED);
  CHECK(strstr(err.msg, "path 0.0") != NULL);
  o.timeout_ms = 300;
  uint64_t t0 = lat_now_ns();
  CHECK_ST(lat_wrpc_http_invoke(cc, LATTICE, "fake1", &o, &rq, &a, &rs, NULL, &err),
           LAT_ETIMEOUT);
  CHECK(strstr(err.msg, "nested results") != NULL);
  CHECK(lat_now_ns() - t0 < 2000000000ull);
  o.timeout_ms = 3000;
  st = lat_wrpc_http_invoke(cc, LATTICE, "fake2", &o, &rq, &a, &rs, NULL, &err);
  if (st) fprintf(stderr, "  fake2: %s\n", err.msg);
  CHECK_OK(st);
  CHECK(rs.status == 200 && rs.body_len == 2 && memcmp(rs.body, "hi", 2) == 0);
  CHECK_ST(lat_wrpc_http_invoke(cc, LATTICE, "fake3", &o, &rq, &a, &rs, NULL, &err),
           LAT_EMALFORMED);
  for (int i = 0; i < 4; i++) lat_lattice_sub_free(subs[i]);
  lat_arena_fini(&a);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}
