/* Unit tests for src/lattice/lattice_wrpc_nats.c, the wRPC NATS transport,
 * with client and server in this process over a real nats-server: a
 * function (string, list<u32>) -> result<record{..}, string> called 100
 * times with values checked (and its headers seen by the handler); 8 MiB
 * of list<u8> each way; many calls in flight from several threads; no
 * server (503) and a silent server (timeout); malformed peers (raw
 * publishes without or with a bad reply subject, undecodable params, a
 * client that sends the first chunk and vanishes, a server that handshakes
 * without a reply subject or never ends its results); and the round trip
 * of a wRPC call against bare request/reply, printed, never asserted. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lattice/lattice.h"
#include "lattice_test_util.h"
#include "test.h"
#include "wrpc_types.h"

static nats_fixture_t srv; /* static: the atexit clean-up may see it */

#define LATTICE "default"
#define COMP "comp-b"
#define IFACE "test:demo/api@0.1.0"

/* Types shared read-only by handlers and clients. */
static lat_arena_t types_arena;
static const lat_ctype_t *t_name, *t_nums, *t_res, *t_bytes;

static void types_init(void) {
  lat_arena_init(&types_arena);
  t_name = wt_parse(&types_arena, "string");
  t_nums = wt_parse(&types_arena, "list<u32>");
  t_res = wt_parse(&types_arena,
                   "result<record{name:string,sum:u64,count:u32,source:string},string>");
  t_bytes = wt_parse(&types_arena, "list<u8>");
}

/* describe(name: string, nums: list<u32>) -> result<record{name, sum,
 * count, source}, string>: err("empty name") for "". */
static lat_status describe(void *ctx, const lat_wrpc_request_t *req,
                           lat_buf_t *results, lat_error_t *err) {
  (void)ctx;
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *ts[2] = {t_name, t_nums};
  lat_cval_t p[2];
  lat_status st = lat_wrpc_decode_values(req->params, req->len, ts, 2, &a, p, err);
  if (st != LAT_OK) goto out;
  const char *src = lat_lattice_headers_get(req->headers, "source-id");
  lat_cval_t fields[4], payload, r = {.kind = LAT_CT_RESULT};
  if (p[0].of.str.len == 0) {
    payload = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {"empty name", 10}};
    r.of.var.disc = 1;
  } else {
    uint64_t sum = 0;
    for (uint32_t i = 0; i < p[1].of.list.n; i++) sum += p[1].of.list.v[i].of.u;
    fields[0] = p[0];
    fields[1] = (lat_cval_t){.kind = LAT_CT_U64, .of.u = sum};
    fields[2] = (lat_cval_t){.kind = LAT_CT_U32, .of.u = p[1].of.list.n};
    fields[3] = (lat_cval_t){.kind = LAT_CT_STRING,
                             .of.str = {src ? src : "", src ? (uint32_t)strlen(src) : 0}};
    payload = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {fields, 4, NULL}};
  }
  r.of.var.payload = &payload;
  st = lat_wrpc_encode(&r, t_res, results, err);
out:
  lat_arena_fini(&a);
  return st;
}

/* echo(bytes: list<u8>) -> list<u8>, reversed, so a mix-up shows. */
static lat_status echo_rev(void *ctx, const lat_wrpc_request_t *req,
                           lat_buf_t *results, lat_error_t *err) {
  (void)ctx;
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t v;
  lat_status st = lat_wrpc_decode(req->params, req->len, t_bytes, &a, &v, err);
  if (st == LAT_OK) {
    uint8_t *rev = lat_arena_alloc(&a, v.of.list.n + 1);
    for (uint32_t i = 0; i < v.of.list.n; i++)
      rev[i] = v.of.list.bytes[v.of.list.n - 1 - i];
    v.of.list.bytes = rev;
    st = lat_wrpc_encode(&v, t_bytes, results, err);
  }
  lat_arena_fini(&a);
  return st;
}

/* Encodes (name, nums), calls describe, decodes the result into a. */
static lat_status call_describe_at(lat_lattice_conn_t *c, const char *target,
                                   const char *name, const uint32_t *nums,
                                   uint32_t n, lat_arena_t *a, lat_cval_t *out,
                                   lat_error_t *err) {
  lat_cval_t elems[64], p[2];
  for (uint32_t i = 0; i < n; i++)
    elems[i] = (lat_cval_t){.kind = LAT_CT_U32, .of.u = nums[i]};
  p[0] = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {name, (uint32_t)strlen(name)}};
  p[1] = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {elems, n, NULL}};
  const lat_ctype_t *ts[2] = {t_name, t_nums};
  lat_buf_t b;
  lat_buf_init(&b);
  lat_status st = lat_wrpc_encode_values(p, ts, 2, &b, err);
  lat_lattice_header_t h[] = {
      {"source-id", "comp-a"},
      {"link-name", "default"},
      {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  lat_wrpc_invoke_opts_t o = {.headers = h, .nheaders = 3, .timeout_ms = 5000};
  lat_lattice_reply_t rep = {0};
  if (st == LAT_OK)
    st = lat_wrpc_invoke(c, LATTICE, target, IFACE, "describe", b.data, b.len,
                         &o, &rep, err);
  if (st == LAT_OK) st = lat_wrpc_decode(rep.data, rep.len, t_res, a, out, err);
  lat_lattice_reply_fini(&rep);
  lat_buf_fini(&b);
  return st;
}

static lat_status call_describe(lat_lattice_conn_t *c, const char *name,
                                const uint32_t *nums, uint32_t n,
                                lat_arena_t *a, lat_cval_t *out,
                                lat_error_t *err) {
  return call_describe_at(c, COMP, name, nums, n, a, out, err);
}

static void check_describe(const lat_cval_t *r, const char *name,
                           const uint32_t *nums, uint32_t n) {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n; i++) sum += nums[i];
  CHECK_EQ_UINT(r->of.var.disc, 0);
  const lat_cval_t *f = r->of.var.payload->of.list.v;
  CHECK_EQ_UINT(f[0].of.str.len, strlen(name));
  CHECK(memcmp(f[0].of.str.ptr, name, f[0].of.str.len) == 0);
  CHECK_EQ_UINT(f[1].of.u, sum);
  CHECK_EQ_UINT(f[2].of.u, n);
  CHECK_EQ_UINT(f[3].of.str.len, 6);
  CHECK(memcmp(f[3].of.str.ptr, "comp-a", 6) == 0);
}

typedef struct {
  lat_wrpc_server_t *s;
  uint64_t n;
} served_want_t;
static bool served_reach(void *ctx) {
  served_want_t *w = ctx;
  lat_wrpc_server_stats_t st;
  lat_wrpc_server_stats(w->s, &st);
  return st.served >= w->n;
}

TEST_IMPL(wrpc_nats_call) {
  types_init();
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url);
  REQUIRE(cc && sc);
  lat_error_t err;
  lat_wrpc_server_t *s = NULL;
  REQUIRE_OK(lat_wrpc_serve(sc, LATTICE, COMP, IFACE, "describe", describe, NULL,
                            NULL, &s, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  for (uint32_t i = 0; i < 100; i++) {
    char name[32];
    snprintf(name, sizeof name, "call-%u-é", i);
    uint32_t nums[64];
    uint32_t n = i % 64;
    for (uint32_t j = 0; j < n; j++) nums[j] = i * 1000003u + j * 7919u;
    lat_arena_t a;
    lat_arena_init(&a);
    lat_cval_t r;
    lat_status st = call_describe(cc, name, nums, n, &a, &r, &err);
    if (st) fprintf(stderr, "  call %u: %s\n", i, err.msg);
    REQUIRE_OK(st);
    check_describe(&r, name, nums, n);
    lat_arena_fini(&a);
  }
  /* the error case of the result */
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t r;
  REQUIRE_OK(call_describe(cc, "", NULL, 0, &a, &r, &err));
  CHECK_EQ_UINT(r.of.var.disc, 1);
  CHECK_EQ_UINT(r.of.var.payload->of.str.len, 10);
  lat_arena_fini(&a);
  served_want_t sw = {s, 101};
  CHECK(nats_fixture_wait(served_reach, &sw, 5000)); /* counted after sending */
  lat_wrpc_server_stats_t stats;
  lat_wrpc_server_stats(s, &stats);
  CHECK_EQ_UINT(stats.served, 101);
  CHECK_EQ_UINT(stats.failed + stats.dropped, 0);
  lat_wrpc_server_free(s);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  nats_fixture_stop(&srv);
  lat_arena_fini(&types_arena);
  lat_lattice_library_close(2000);
}

TEST_IMPL(wrpc_nats_large) {
  types_init();
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url);
  REQUIRE(cc && sc);
  lat_error_t err;
  lat_wrpc_server_t *s = NULL;
  REQUIRE_OK(lat_wrpc_serve(sc, LATTICE, COMP, IFACE, "echo", echo_rev, NULL,
                            NULL, &s, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  size_t n = 8u << 20;
  uint8_t *data = malloc(n);
  REQUIRE(data);
  for (size_t i = 0; i < n; i++) data[i] = (uint8_t)(i * 2654435761u >> 13);
  lat_cval_t v = {.kind = LAT_CT_LIST, .of.list = {NULL, (uint32_t)n, data}};
  lat_buf_t b;
  lat_buf_init(&b);
  REQUIRE_OK(lat_wrpc_encode(&v, t_bytes, &b, &err));
  lat_lattice_reply_t rep;
  lat_wrpc_invoke_opts_t o = {.timeout_ms = 20000};
  uint64_t t0 = lat_now_ns();
  lat_status st = lat_wrpc_invoke(cc, LATTICE, COMP, IFACE, "echo", b.data, b.len,
                                  &o, &rep, &err);
  if (st) fprintf(stderr, "  8 MiB call: %s\n", err.msg);
  REQUIRE_OK(st);
  fprintf(stderr, "  8 MiB list<u8> each way: %.1f ms\n",
          (double)(lat_now_ns() - t0) / 1e6);
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t back;
  REQUIRE_OK(lat_wrpc_decode(rep.data, rep.len, t_bytes, &a, &back, &err));
  REQUIRE(back.of.list.n == n);
  bool same = true;
  for (size_t i = 0; i < n && same; i++) same = back.of.list.bytes[i] == data[n - 1 - i];
  CHECK(same);
  /* a result cap smaller than the results: LAT_ELIMIT, nothing hangs */
  lat_lattice_reply_fini(&rep);
  o.max_results = 1u << 20;
  CHECK_ST(lat_wrpc_invoke(cc, LATTICE, COMP, IFACE, "echo", b.data, b.len, &o,
                           &rep, &err),
           LAT_ELIMIT);
  /* the server still streams the rest to our inbox: let it finish before
   * the conns close (libnats frees a half-read message badly on close) */
  served_want_t sw = {s, 2};
  CHECK(nats_fixture_wait(served_reach, &sw, 10000));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 5000, &err)); /* routed to cc ... */
  REQUIRE_OK(lat_lattice_conn_flush(cc, 5000, &err)); /* ... and read */
  lat_arena_fini(&a);
  lat_buf_fini(&b);
  free(data);
  lat_wrpc_server_free(s);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  nats_fixture_stop(&srv);
  lat_arena_fini(&types_arena);
  lat_lattice_library_close(2000);
}

/* ---- concurrency ---------------------------------------------------------- */
#define THREADS 8
#define CALLS_PER_THREAD 40

typedef struct {
  lat_lattice_conn_t *c;
  int id;
  int ok;
} worker_arg_t;

static void *client_thread(void *p) {
  worker_arg_t *w = p;
  for (int i = 0; i < CALLS_PER_THREAD; i++) {
    char name[32];
    snprintf(name, sizeof name, "t%d-%d", w->id, i);
    uint32_t nums[3] = {(uint32_t)w->id, (uint32_t)i, 7};
    lat_arena_t a;
    lat_arena_init(&a);
    lat_cval_t r;
    lat_error_t err;
    if (call_describe(w->c, name, nums, 3, &a, &r, &err) == LAT_OK &&
        r.of.var.disc == 0) {
      const lat_cval_t *f = r.of.var.payload->of.list.v;
      if (f[0].of.str.len == strlen(name) &&
          memcmp(f[0].of.str.ptr, name, f[0].of.str.len) == 0 &&
          f[1].of.u == (uint64_t)w->id + (uint64_t)i + 7)
        w->ok++;
    } else {
      fprintf(stderr, "  thread %d call %d: %s\n", w->id, i, err.msg);
    }
    lat_arena_fini(&a);
  }
  return NULL;
}

TEST_IMPL(wrpc_nats_concurrent) {
  types_init();
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url),
                     *sc2 = test_connect(srv.url);
  REQUIRE(cc && sc && sc2);
  lat_error_t err;
  /* two servers in the queue group share the calls; one on a caller's
   * queue with its own workers */
  lat_queue_t *q = NULL;
  lat_workers_t *ws = NULL;
  REQUIRE_OK(lat_queue_new(256, &q));
  REQUIRE_OK(lat_workers_new(3, q, &ws));
  lat_wrpc_serve_opts_t so = {.queue = q};
  lat_wrpc_server_t *s1 = NULL, *s2 = NULL;
  REQUIRE_OK(lat_wrpc_serve(sc, LATTICE, COMP, IFACE, "describe", describe, NULL,
                            NULL, &s1, &err));
  REQUIRE_OK(lat_wrpc_serve(sc2, LATTICE, COMP, IFACE, "describe", describe,
                            NULL, &so, &s2, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc2, 2000, &err));
  pthread_t th[THREADS];
  worker_arg_t w[THREADS];
  uint64_t t0 = lat_now_ns();
  for (int i = 0; i < THREADS; i++) {
    w[i] = (worker_arg_t){.c = cc, .id = i};
    REQUIRE(pthread_create(&th[i], NULL, client_thread, &w[i]) == 0);
  }
  int ok = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    ok += w[i].ok;
  }
  double ms = (double)(lat_now_ns() - t0) / 1e6;
  CHECK_EQ_INT(ok, THREADS * CALLS_PER_THREAD);
  lat_wrpc_server_stats_t st1, st2;
  for (int i = 0; i < 400; i++) { /* counted after sending: let them land */
    lat_wrpc_server_stats(s1, &st1);
    lat_wrpc_server_stats(s2, &st2);
    if (st1.served + st2.served >= THREADS * CALLS_PER_THREAD) break;
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  lat_wrpc_server_stats(s1, &st1);
  lat_wrpc_server_stats(s2, &st2);
  CHECK_EQ_UINT(st1.served + st2.served, THREADS * CALLS_PER_THREAD);
  fprintf(stderr, "  %d calls from %d threads in %.1f ms (%.0f calls/s); "
          "split %llu / %llu\n",
          THREADS * CALLS_PER_THREAD, THREADS, ms,
          THREADS * CALLS_PER_THREAD / (ms / 1000),
          (unsigned long long)st1.served, (unsigned long long)st2.served);
  lat_wrpc_server_free(s1);
  lat_wrpc_server_free(s2);
  lat_workers_free(ws);
  lat_queue_free(q);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  lat_lattice_conn_free(sc2);
  nats_fixture_stop(&srv);
  lat_arena_fini(&types_arena);
  lat_lattice_library_close(2000);
}

/* ---- no server, silent server ----------------------------------------------- */
static void ignore(void *ctx, const lat_lattice_msg_t *m) {
  (void)ctx;
  (void)m;
}

TEST_IMPL(wrpc_nats_no_server) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url);
  REQUIRE(cc);
  lat_error_t err;
  lat_lattice_reply_t rep;
  uint64_t t0 = lat_now_ns();
  CHECK_ST(lat_wrpc_invoke(cc, LATTICE, "nobody", IFACE, "f", (const uint8_t *)"\0", 1,
                           NULL, &rep, &err),
           LAT_ENOTFOUND);
  CHECK(lat_now_ns() - t0 < 1000000000ull); /* the 503 comes at once */
  /* a subscriber that never answers: the timeout bounds the call */
  lat_lattice_sub_t *sub = NULL;
  char *subj = NULL;
  REQUIRE_OK(lat_lattice_subj_wrpc(LATTICE, "silent", IFACE, "f", &subj, &err));
  REQUIRE_OK(lat_lattice_conn_subscribe(cc, subj, NULL, ignore, NULL, &sub, &err));
  REQUIRE_OK(lat_lattice_conn_flush(cc, 2000, &err));
  lat_wrpc_invoke_opts_t o = {.timeout_ms = 200};
  t0 = lat_now_ns();
  CHECK_ST(lat_wrpc_invoke(cc, LATTICE, "silent", IFACE, "f", (const uint8_t *)"\0", 1,
                           &o, &rep, &err),
           LAT_ETIMEOUT);
  uint64_t el = lat_now_ns() - t0;
  CHECK(el >= 190000000ull && el < 2000000000ull);
  /* bad names are refused before anything is sent */
  CHECK_ST(lat_wrpc_invoke(cc, LATTICE, "a.b", IFACE, "f", NULL, 0, NULL, &rep, &err),
           LAT_EARG);
  lat_lattice_sub_free(sub);
  lat_free(subj);
  lat_lattice_conn_free(cc);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

/* ---- malformed peers -------------------------------------------------------- */
typedef struct {
  lat_lattice_conn_t *c;
  int mode; /* 0: handshake without reply; 1: results that never end */
} fake_server_t;

static void fake_server(void *ctx, const lat_lattice_msg_t *m) {
  fake_server_t *f = ctx;
  if (!m->reply) return;
  if (f->mode == 0) {
    lat_lattice_conn_publish(f->c, m->reply, NULL, NULL, 0, NULL);
    return;
  }
  char results[512];
  snprintf(results, sizeof results, "%s.results", m->reply);
  lat_lattice_conn_publish(f->c, m->reply, "_INBOX.fake.server", NULL, 0, NULL);
  lat_lattice_conn_publish(f->c, results, NULL, "\x00", 1, NULL);
}

static bool stats_dropped_reach(void *ctx) {
  lat_wrpc_server_stats_t st;
  lat_wrpc_server_stats(ctx, &st);
  return st.dropped >= 3 && st.failed >= 1;
}

static bool inbox_has1(void *ctx) { return test_inbox_count(ctx) >= 1; }

static void record(void *ctx, const lat_lattice_msg_t *m) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s %s %zu", m->subject, m->reply ? m->reply : "-",
           m->len);
  test_inbox_add(ctx, buf, 0);
}

TEST_IMPL(wrpc_nats_malformed_peers) {
  types_init();
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url);
  REQUIRE(cc && sc);
  lat_error_t err;
  lat_wrpc_serve_opts_t so = {.params_timeout_ms = 300, .workers = 2};
  lat_wrpc_server_t *s = NULL;
  REQUIRE_OK(lat_wrpc_serve(sc, LATTICE, COMP, IFACE, "describe", describe, NULL,
                            &so, &s, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  char *subj = NULL;
  REQUIRE_OK(lat_lattice_subj_wrpc(LATTICE, COMP, IFACE, "describe", &subj, &err));

  /* raw publishes: no reply subject; a wildcard reply subject */
  REQUIRE_OK(lat_lattice_conn_publish(cc, subj, NULL, "garbage", 7, &err));
  REQUIRE_OK(lat_lattice_conn_publish(cc, subj, "_INBOX.x.>", "garbage", 7, &err));
  /* a client that sends the first chunk, gets the handshake, and vanishes */
  test_inbox_t hs;
  test_inbox_init(&hs);
  lat_lattice_sub_t *hsub = NULL;
  REQUIRE_OK(lat_lattice_conn_subscribe(cc, "_INBOX.vanish", NULL, record, &hs,
                                        &hsub, &err));
  REQUIRE_OK(lat_lattice_conn_publish(cc, subj, "_INBOX.vanish", "\x01", 1, &err));
  REQUIRE(nats_fixture_wait(inbox_has1, &hs, 5000));
  char got[512];
  test_inbox_get(&hs, 0, got, sizeof got);
  CHECK(strncmp(got, "_INBOX.vanish _INBOX.", 21) == 0); /* the handshake */
  /* undecodable params, sent properly: the handler fails, the client sees
   * an empty result stream */
  lat_lattice_reply_t rep;
  lat_wrpc_invoke_opts_t o = {.timeout_ms = 3000};
  CHECK_OK(lat_wrpc_invoke(cc, LATTICE, COMP, IFACE, "describe",
                           (const uint8_t *)"\xff\xff", 2, &o, &rep, &err));
  CHECK_EQ_UINT(rep.len, 0);
  lat_lattice_reply_fini(&rep);
  REQUIRE(nats_fixture_wait(stats_dropped_reach, s, 5000));
  /* the server still serves a proper call */
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t r;
  uint32_t nums[2] = {1, 2};
  REQUIRE_OK(call_describe(cc, "after", nums, 2, &a, &r, &err));
  check_describe(&r, "after", nums, 2);
  lat_arena_fini(&a);
  served_want_t sw = {s, 1};
  CHECK(nats_fixture_wait(served_reach, &sw, 5000));
  lat_wrpc_server_stats_t st;
  lat_wrpc_server_stats(s, &st);
  CHECK_EQ_UINT(st.dropped, 3);
  CHECK_EQ_UINT(st.failed, 1);
  CHECK_EQ_UINT(st.served, 1);

  /* fake servers: a handshake without a reply subject; results that never
   * end */
  fake_server_t f0 = {sc, 0}, f1 = {sc, 1};
  lat_lattice_sub_t *fs0 = NULL, *fs1 = NULL;
  char *s0 = NULL, *s1 = NULL;
  REQUIRE_OK(lat_lattice_subj_wrpc(LATTICE, "fake0", IFACE, "f", &s0, &err));
  REQUIRE_OK(lat_lattice_subj_wrpc(LATTICE, "fake1", IFACE, "f", &s1, &err));
  REQUIRE_OK(lat_lattice_conn_subscribe(sc, s0, NULL, fake_server, &f0, &fs0, &err));
  REQUIRE_OK(lat_lattice_conn_subscribe(sc, s1, NULL, fake_server, &f1, &fs1, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  CHECK_ST(lat_wrpc_invoke(cc, LATTICE, "fake0", IFACE, "f", (const uint8_t *)"\0", 1,
                           &o, &rep, &err),
           LAT_EMALFORMED);
  o.timeout_ms = 300;
  uint64_t t0 = lat_now_ns();
  CHECK_ST(lat_wrpc_invoke(cc, LATTICE, "fake1", IFACE, "f", (const uint8_t *)"\0", 1,
                           &o, &rep, &err),
           LAT_ETIMEOUT);
  CHECK(lat_now_ns() - t0 < 2000000000ull);

  lat_lattice_sub_free(fs0);
  lat_lattice_sub_free(fs1);
  lat_lattice_sub_free(hsub);
  lat_free(s0);
  lat_free(s1);
  lat_free(subj);
  lat_wrpc_server_free(s);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  nats_fixture_stop(&srv);
  lat_arena_fini(&types_arena);
  lat_lattice_library_close(2000);
}

/* ---- round trip: wRPC call vs bare request/reply -------------------------- */
static void echo_raw(void *ctx, const lat_lattice_msg_t *m) {
  if (m->reply) lat_lattice_conn_publish(ctx, m->reply, NULL, m->data, m->len, NULL);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

#define BENCH_N 1000

TEST_IMPL(wrpc_nats_bench_roundtrip) {
  types_init();
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *cc = test_connect(srv.url), *sc = test_connect(srv.url);
  REQUIRE(cc && sc);
  lat_error_t err;
  lat_wrpc_server_t *s = NULL, *su = NULL;
  const lat_ctype_t *pts[2] = {t_name, t_nums};
  lat_wrpc_serve_opts_t so = {.params_typed = true, .param_types = pts,
                              .nparam_types = 2};
  REQUIRE_OK(lat_wrpc_serve(sc, LATTICE, COMP, IFACE, "describe", describe, NULL,
                            &so, &s, &err));
  /* the same function served without its types, under another id */
  REQUIRE_OK(lat_wrpc_serve(sc, LATTICE, "comp-untyped", IFACE, "describe",
                            describe, NULL, NULL, &su, &err));
  lat_lattice_sub_t *esub = NULL;
  REQUIRE_OK(lat_lattice_conn_subscribe(sc, "bench.echo", NULL, echo_raw, sc,
                                        &esub, &err));
  REQUIRE_OK(lat_lattice_conn_flush(sc, 2000, &err));
  static uint64_t bare[BENCH_N], wrpc[BENCH_N], untyped[BENCH_N];
  uint8_t payload[64] = {0};
  lat_lattice_reply_t rep;
  uint32_t nums[4] = {1, 2, 3, 4};
  for (int round = 0; round < 2; round++) { /* round 0 warms up */
    for (int i = 0; i < BENCH_N; i++) {
      uint64_t t0 = lat_now_ns();
      REQUIRE_OK(lat_lattice_conn_request(cc, "bench.echo", payload, sizeof payload,
                                          2000, &rep, &err));
      bare[i] = lat_now_ns() - t0;
      lat_lattice_reply_fini(&rep);
      lat_arena_t a;
      lat_arena_init(&a);
      lat_cval_t r;
      t0 = lat_now_ns();
      REQUIRE_OK(call_describe(cc, "bench", nums, 4, &a, &r, &err));
      wrpc[i] = lat_now_ns() - t0;
      t0 = lat_now_ns();
      REQUIRE_OK(call_describe_at(cc, "comp-untyped", "bench", nums, 4, &a, &r, &err));
      untyped[i] = lat_now_ns() - t0;
      lat_arena_fini(&a);
    }
  }
  qsort(bare, BENCH_N, sizeof bare[0], cmp_u64);
  qsort(wrpc, BENCH_N, sizeof wrpc[0], cmp_u64);
  qsort(untyped, BENCH_N, sizeof untyped[0], cmp_u64);
  fprintf(stderr,
          "  round trip over loopback, %d calls each (interleaved):\n"
          "    bare request/reply (64 B):             p50 %6.1f us  p99 %6.1f us\n"
          "    wRPC describe(string, list<u32>) call: p50 %6.1f us  p99 %6.1f us"
          "  (p50 %.2fx bare)\n"
          "    the same, server without param types:  p50 %6.1f us  p99 %6.1f us"
          "  (p50 %.2fx bare; waits for the end-of-params message)\n",
          BENCH_N, bare[BENCH_N / 2] / 1e3, bare[BENCH_N * 99 / 100] / 1e3,
          wrpc[BENCH_N / 2] / 1e3, wrpc[BENCH_N * 99 / 100] / 1e3,
          (double)wrpc[BENCH_N / 2] / (double)bare[BENCH_N / 2],
          untyped[BENCH_N / 2] / 1e3, untyped[BENCH_N * 99 / 100] / 1e3,
          (double)untyped[BENCH_N / 2] / (double)bare[BENCH_N / 2]);
  lat_lattice_sub_free(esub);
  lat_wrpc_server_free(s);
  lat_wrpc_server_free(su);
  lat_lattice_conn_free(cc);
  lat_lattice_conn_free(sc);
  nats_fixture_stop(&srv);
  lat_arena_fini(&types_arena);
  lat_lattice_library_close(2000);
}
