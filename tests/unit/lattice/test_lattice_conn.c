/* Unit tests for src/lattice/lattice_conn.c and lattice_event.c against a
 * real nats-server (tests/unit/lattice/nats_fixture.c): request/reply, no
 * responders and timeouts, scatter/gather with three responders, a clear
 * error when no server listens, nkey authentication (right seed as text
 * and as a file, wrong seed refused as an auth failure), TLS with a CA
 * made here by the openssl CLI (connects with the CA, refused without),
 * CloudEvents published and parsed back, and the bare request/reply round
 * trip p50 that the team quotes NATS latencies against (printed, never
 * asserted). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "lattice/lattice.h"
#include "lattice_test_util.h"
#include "test.h"

#define TEST_HOST "NBX5SDGKB4XQF4D6OEDBVGBAHV4SBVWQYOMOSRG6KAIXW2CDY3X3SOPE"

static nats_fixture_t srv; /* static: the atexit clean-up may see it */

/* Replies "<tag>:<request>"; ctx is the tag.  Runs on a libnats thread. */
typedef struct {
  lat_lattice_conn_t *conn;
  const char *tag;
  test_inbox_t seen;
} responder_t;

static void respond(void *ctx, const lat_lattice_msg_t *m) {
  responder_t *r = ctx;
  char buf[200];
  int n = snprintf(buf, sizeof buf, "%s:%.*s", r->tag, (int)m->len,
                   (const char *)m->data);
  test_inbox_add(&r->seen, buf, 0);
  if (m->reply)
    lat_lattice_conn_publish(r->conn, m->reply, NULL, buf, (size_t)n, NULL);
}

static void sink(void *ctx, const lat_lattice_msg_t *m) {
  test_inbox_add(ctx, m->subject, 0);
}

/* Records "subject payload". */
static void respond_payload(void *ctx, const lat_lattice_msg_t *m) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s %.*s", m->subject, (int)m->len,
           (const char *)m->data);
  test_inbox_add(ctx, buf, 0);
}

/* Sends the payload back; ctx is the conn. */
static void echo(void *ctx, const lat_lattice_msg_t *m) {
  if (m->reply)
    lat_lattice_conn_publish(ctx, m->reply, NULL, m->data, m->len, NULL);
}

static void responder_init(responder_t *r, lat_lattice_conn_t *c,
                           const char *tag) {
  r->conn = c;
  r->tag = tag;
  test_inbox_init(&r->seen);
}

TEST_IMPL(lattice_conn_request_reply) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *a = test_connect(srv.url), *b = test_connect(srv.url);
  REQUIRE(a && b);
  CHECK(lat_lattice_conn_connected(a));
  lat_error_t err;
  responder_t r;
  responder_init(&r, b, "b");
  lat_lattice_sub_t *sub = NULL;
  REQUIRE_OK(
      lat_lattice_conn_subscribe(b, "svc.echo", NULL, respond, &r, &sub, &err));
  REQUIRE_OK(lat_lattice_conn_flush(b, 2000, &err));

  lat_lattice_reply_t rep;
  REQUIRE_OK(
      lat_lattice_conn_request(a, "svc.echo", "hi", 2, 2000, &rep, &err));
  CHECK_EQ_STR((const char *)rep.data, "b:hi");
  CHECK_EQ_UINT(rep.len, 4);
  lat_lattice_reply_fini(&rep);

  /* nobody listens: the server says so at once */
  CHECK_ST(lat_lattice_conn_request(a, "svc.nobody", "x", 1, 2000, &rep, &err),
           LAT_ENOTFOUND);
  CHECK(strstr(err.msg, "svc.nobody") != NULL);
  /* a listener that never answers: the timeout */
  test_inbox_t sunk;
  test_inbox_init(&sunk);
  lat_lattice_sub_t *mute = NULL;
  REQUIRE_OK(
      lat_lattice_conn_subscribe(b, "svc.mute", "q", sink, &sunk, &mute, &err));
  REQUIRE_OK(lat_lattice_conn_flush(b, 2000, &err));
  CHECK_ST(lat_lattice_conn_request(a, "svc.mute", "x", 1, 100, &rep, &err),
           LAT_ETIMEOUT);
  CHECK(strstr(err.msg, "svc.mute") != NULL);
  CHECK(test_inbox_wait(&sunk, 1, 2000));
  lat_lattice_sub_free(mute);

  lat_lattice_sub_free(sub);
  lat_lattice_conn_free(a);
  lat_lattice_conn_free(b);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

TEST_IMPL(lattice_conn_gather) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *client = test_connect(srv.url);
  REQUIRE(client);
  lat_lattice_conn_t *hosts[3] = {0};
  responder_t r[3];
  lat_lattice_sub_t *subs[3] = {0};
  static const char *const tags[3] = {"h1", "h2", "h3"};
  lat_error_t err;
  for (int i = 0; i < 3; i++) {
    hosts[i] = test_connect(srv.url);
    REQUIRE(hosts[i]);
    responder_init(&r[i], hosts[i], tags[i]);
    REQUIRE_OK(
        lat_lattice_conn_subscribe(hosts[i], "wasmbus.ctl.v1.default.host.ping",
                                   NULL, respond, &r[i], &subs[i], &err));
    REQUIRE_OK(lat_lattice_conn_flush(hosts[i], 2000, &err));
  }
  /* the whole window: all three answer */
  lat_lattice_replies_t all;
  uint64_t t0 = lat_now_ns();
  REQUIRE_OK(lat_lattice_conn_gather(client, "wasmbus.ctl.v1.default.host.ping",
                                     "p", 1, 500, 0, &all, &err));
  uint64_t took_ms = (lat_now_ns() - t0) / 1000000u;
  CHECK_EQ_UINT(all.count, 3);
  CHECK(took_ms >= 450); /* it waited for the window, not the first reply */
  bool got[3] = {false, false, false};
  for (size_t i = 0; i < all.count; i++)
    for (int j = 0; j < 3; j++) {
      char want[8];
      snprintf(want, sizeof want, "%s:p", tags[j]);
      if (strcmp((const char *)all.items[i].data, want) == 0) got[j] = true;
    }
  CHECK(got[0] && got[1] && got[2]);
  lat_lattice_replies_fini(&all);

  /* max count: stops at 2 without waiting for the window */
  t0 = lat_now_ns();
  REQUIRE_OK(lat_lattice_conn_gather(client, "wasmbus.ctl.v1.default.host.ping",
                                     "q", 1, 10000, 2, &all, &err));
  CHECK_EQ_UINT(all.count, 2);
  CHECK((lat_now_ns() - t0) / 1000000u < 9000);
  lat_lattice_replies_fini(&all);

  /* nobody listens: no replies, not an error, and no wait for the window */
  t0 = lat_now_ns();
  REQUIRE_OK(lat_lattice_conn_gather(client, "wasmbus.ctl.v1.default.nobody",
                                     "q", 1, 10000, 0, &all, &err));
  CHECK_EQ_UINT(all.count, 0);
  CHECK((lat_now_ns() - t0) / 1000000u < 9000);
  lat_lattice_replies_fini(&all);

  for (int i = 0; i < 3; i++) {
    lat_lattice_sub_free(subs[i]);
    lat_lattice_conn_free(hosts[i]);
  }
  lat_lattice_conn_free(client);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

TEST_IMPL(lattice_conn_no_server) {
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = "nats://127.0.0.1:1, nats://127.0.0.1:2";
  o.connect_timeout_ms = 500;
  lat_lattice_conn_t *c = (lat_lattice_conn_t *)&o;
  lat_lattice_reason why = LAT_LR_OK;
  lat_error_t err;
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EIO);
  CHECK(c == NULL);
  CHECK_EQ_STR(lat_lattice_reason_name(why), "LAT_LR_NO_SERVERS");
  CHECK(strstr(err.msg, "nats://127.0.0.1:1") != NULL);
  CHECK(strstr(err.msg, "nats://127.0.0.1:2") != NULL);

  /* options that cannot work are refused before any network */
  const char *list[] = {"nats://127.0.0.1:1"};
  o.server_list = list;
  o.server_count = 1;
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EARG);
  CHECK_EQ_INT(why, LAT_LR_CONFIG);
  o.servers = NULL;
  o.nkey_seed = "SUnotaseed";
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EARG);
  CHECK_EQ_INT(why, LAT_LR_CONFIG);
  o.nkey_seed = NULL;
  o.tls_cert_file = "/nonexistent/cert.pem";
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EARG);
  o.tls_cert_file = NULL;
  o.servers = " , ";
  o.server_list = NULL;
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EARG);
  lat_lattice_conn_free(NULL);
  lat_lattice_library_close(2000);
}

/* Connects where the credentials are right.  With three copies of this
 * suite running at once on 2 cores, about one connect in a hundred was
 * refused: the server's protocol trace showed a CONNECT carrying the user
 * JWT or nkey but no "sig", i.e. libnats 3.4.1 did not sign a nonce (with
 * libnats' own creds signer as well as ours).  Never seen in 400
 * sequential connects.  Until that is understood, a refusal here is
 * retried twice and reported, so the wrong-credential checks stay strict
 * and the flake stays visible. */
static lat_status connect_right(const lat_lattice_opts_t *o,
                                lat_lattice_conn_t **c, lat_lattice_reason *why,
                                lat_error_t *err) {
  lat_status st = LAT_OK;
  for (int i = 0; i < 3; i++) {
    st = lat_lattice_conn_new(o, c, why, err);
    if (st == LAT_OK || *why != LAT_LR_AUTH) break;
    fprintf(stderr, "  note: right credentials refused (try %d): %s\n", i + 1,
            err->msg);
  }
  return st;
}

/* Connects with o (right credentials), proves the conn talks to the
 * server (a request nobody answers: the server's no-responders reply),
 * and frees it. */
static void check_connects(const lat_lattice_opts_t *o) {
  lat_lattice_conn_t *c = NULL;
  lat_lattice_reason why;
  lat_error_t err;
  REQUIRE_OK(connect_right(o, &c, &why, &err));
  CHECK_EQ_INT(why, LAT_LR_OK);
  lat_lattice_reply_t rep;
  CHECK_ST(lat_lattice_conn_request(c, "x.y", "", 0, 1000, &rep, &err),
           LAT_ENOTFOUND);
  lat_lattice_conn_free(c);
}

/* lat_lattice_conn_check_permission: a user whose permissions deny a
 * subject learns it after subscribing (the server refuses asynchronously);
 * an allowed subscription checks clean.  The host uses it on its control
 * subjects, so creds without them stop it at start. */
static void ignore_msg(void *ctx, const lat_lattice_msg_t *m) { (void)ctx, (void)m; }

TEST_IMPL(lattice_conn_permission_check) {
  lat_nkey_t user;
  lat_error_t err;
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_USER, &user, &err));
  char pub[LAT_NKEY_PUBLIC_LEN + 1], seed[LAT_NKEY_SEED_LEN + 1];
  lat_nkey_public_string(&user, pub);
  REQUIRE_OK(lat_nkey_seed_string(&user, seed, &err));
  char conf[512];
  snprintf(conf, sizeof conf,
           "authorization { users = [ { nkey: %s, permissions: { subscribe: { allow: "
           "[\"ok.>\", \"_INBOX.>\"], deny: [\"wasmbus.ctl.>\"] } } } ] }\n",
           pub);
  REQUIRE(nats_fixture_start(&srv, conf) == 0);
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = srv.url;
  o.nkey_seed = seed;
  lat_lattice_conn_t *c = NULL;
  REQUIRE_OK(lat_lattice_conn_new(&o, &c, NULL, &err));
  lat_lattice_sub_t *good = NULL, *bad = NULL;
  REQUIRE_OK(lat_lattice_conn_subscribe(c, "ok.x", NULL, ignore_msg, NULL, &good, &err));
  CHECK_EQ_INT(lat_lattice_conn_check_permission(c, "ok.x", 2000, &err), LAT_OK);
  REQUIRE_OK(lat_lattice_conn_subscribe(c, "wasmbus.ctl.v1.default.host.ping", NULL, ignore_msg,
                                        NULL, &bad, &err));
  CHECK_EQ_INT(lat_lattice_conn_check_permission(c, "wasmbus.ctl.v1.default.host.ping", 2000, &err),
               LAT_EINVALID);
  CHECK(strstr(err.msg, "Permissions Violation") != NULL);
  /* the refusal of one subject says nothing of another */
  CHECK_EQ_INT(lat_lattice_conn_check_permission(c, "ok.x", 2000, &err), LAT_OK);
  lat_lattice_sub_free(good);
  lat_lattice_sub_free(bad);
  lat_lattice_conn_free(c);
  lat_nkey_fini(&user);
  nats_fixture_stop(&srv);
}

TEST_IMPL(lattice_conn_nkey_auth) {
  lat_nkey_t user, other;
  lat_error_t err;
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_USER, &user, &err));
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_USER, &other, &err));
  char pub[LAT_NKEY_PUBLIC_LEN + 1], seed[LAT_NKEY_SEED_LEN + 1],
      wrong[LAT_NKEY_SEED_LEN + 1];
  lat_nkey_public_string(&user, pub);
  REQUIRE_OK(lat_nkey_seed_string(&user, seed, &err));
  REQUIRE_OK(lat_nkey_seed_string(&other, wrong, &err));
  char conf[256];
  snprintf(conf, sizeof conf, "authorization { users = [ { nkey: %s } ] }\n",
           pub);
  REQUIRE(nats_fixture_start(&srv, conf) == 0);

  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = srv.url;
  o.nkey_seed = seed;
  check_connects(&o);

  /* the seed from a file, as a decorated creds-style file */
  char path[300];
  snprintf(path, sizeof path, "%s/user.nk", srv.dir);
  FILE *fp = fopen(path, "w");
  REQUIRE(fp);
  fprintf(fp,
          "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY "
          "SEED------\n",
          seed);
  fclose(fp);
  o.nkey_seed = NULL;
  o.nkey_seed_file = path;
  check_connects(&o);

  /* the wrong seed: a clear auth failure naming the server */
  o.nkey_seed_file = NULL;
  o.nkey_seed = wrong;
  lat_lattice_conn_t *c = NULL;
  lat_lattice_reason why;
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EINVALID);
  CHECK(c == NULL);
  CHECK_EQ_STR(lat_lattice_reason_name(why), "LAT_LR_AUTH");
  CHECK(strstr(err.msg, srv.url) != NULL);
  CHECK(strstr(err.msg, "refused the credentials") != NULL);
  /* no credentials at all: the same */
  o.nkey_seed = NULL;
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EINVALID);
  CHECK_EQ_INT(why, LAT_LR_AUTH);

  lat_nkey_fini(&user);
  lat_nkey_fini(&other);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

TEST_IMPL(lattice_conn_tls) {
  REQUIRE(nats_fixture_prepare(&srv) == 0);
  REQUIRE(
      nats_fixture_sh(
          &srv,
          "openssl req -x509 -newkey ec -pkeyopt "
          "ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
          "-days 2 -subj /CN=lattice-test-ca && "
          "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
          "-nodes -keyout server.key -out server.csr -subj /CN=localhost && "
          "printf \"subjectAltName=IP:127.0.0.1,DNS:localhost\\n\" > san.ext "
          "&& "
          "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
          "-CAcreateserial -out server.pem -days 2 -extfile san.ext") == 0);
  REQUIRE(nats_fixture_start(&srv,
                             "tls {\n  cert_file: \"@DIR@/server.pem\"\n"
                             "  key_file: \"@DIR@/server.key\"\n}\n") == 0);
  char ca[300];
  snprintf(ca, sizeof ca, "%s/ca.pem", srv.dir);
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = srv.url;
  o.tls_ca_file = ca;
  check_connects(&o);

  /* TLS without our CA: the server certificate does not verify */
  o.tls_ca_file = NULL;
  o.tls = true;
  lat_lattice_conn_t *c = NULL;
  lat_lattice_reason why;
  lat_error_t err;
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EINVALID);
  CHECK(c == NULL);
  CHECK_EQ_STR(lat_lattice_reason_name(why), "LAT_LR_TLS");
  CHECK(strstr(err.msg, srv.url) != NULL);
  printf("  tls refusal: %s\n", err.msg);
  /* no TLS at all against a TLS-only server: refused too */
  o.tls = false;
  CHECK(lat_lattice_conn_new(&o, &c, &why, &err) != LAT_OK);
  printf("  plain refusal (%s): %s\n", lat_lattice_reason_name(why), err.msg);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

TEST_IMPL(lattice_event_publish) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *c = test_connect(srv.url);
  REQUIRE(c);
  test_inbox_t got;
  test_inbox_init(&got);
  lat_lattice_sub_t *sub = NULL;
  lat_error_t err;
  REQUIRE_OK(lat_lattice_conn_subscribe(c, "wasmbus.evt.default.>", NULL,
                                        respond_payload, &got, &sub, &err));
  REQUIRE_OK(lat_lattice_conn_flush(c, 2000, &err));
  json_t *data =
      json_pack("{s:s, s:i}", "component_id", "hello", "max_instances", 4);
  REQUIRE_OK(lat_lattice_event_publish(c, "default", TEST_HOST,
                                       "component_scaled", data, &err));
  REQUIRE(test_inbox_wait(&got, 1, 3000));
  char text[512];
  test_inbox_get(&got, 0, text, sizeof text);
  /* "subject payload" */
  CHECK(strncmp(text, "wasmbus.evt.default.component_scaled ", 37) == 0);
  json_error_t je;
  json_t *ev = json_loads(text + 37, 0, &je);
  REQUIRE(ev);
  CHECK_EQ_STR(json_string_value(json_object_get(ev, "type")),
               "com.wasmcloud.lattice.component_scaled");
  CHECK_EQ_STR(json_string_value(json_object_get(ev, "source")), TEST_HOST);
  CHECK(json_equal(json_object_get(ev, "data"), data));
  json_decref(ev);
  json_decref(data);
  CHECK_ST(lat_lattice_event_publish(c, "de.fault", TEST_HOST, "x", NULL, &err),
           LAT_EARG);
  lat_lattice_sub_free(sub);
  lat_lattice_conn_free(c);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The yardstick: bare request/reply between two send-asap connections. */
TEST_IMPL(lattice_conn_bench_request) {
  enum { WARM = 200, N = 1000 };
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *a = test_connect(srv.url), *b = test_connect(srv.url);
  REQUIRE(a && b);
  lat_error_t err;
  lat_lattice_sub_t *sub = NULL;
  REQUIRE_OK(
      lat_lattice_conn_subscribe(b, "bench.echo", NULL, echo, b, &sub, &err));
  REQUIRE_OK(lat_lattice_conn_flush(b, 2000, &err));
  static uint64_t ns[N];
  char payload[64];
  memset(payload, 'x', sizeof payload);
  for (int i = 0; i < WARM + N; i++) {
    lat_lattice_reply_t rep;
    uint64_t t0 = lat_now_ns();
    REQUIRE_OK(lat_lattice_conn_request(a, "bench.echo", payload,
                                        sizeof payload, 2000, &rep, &err));
    uint64_t dt = lat_now_ns() - t0;
    CHECK_EQ_UINT(rep.len, sizeof payload);
    lat_lattice_reply_fini(&rep);
    if (i >= WARM) ns[i - WARM] = dt;
  }
  qsort(ns, N, sizeof ns[0], cmp_u64);
  printf(
      "  bare request/reply (64 B, send-asap, %d requests): p50 %.1f us, "
      "p90 %.1f us, p99 %.1f us\n",
      N, ns[N / 2] / 1e3, ns[N * 9 / 10] / 1e3, ns[N * 99 / 100] / 1e3);
  lat_lattice_sub_free(sub);
  lat_lattice_conn_free(a);
  lat_lattice_conn_free(b);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

/* Signs claims (a printf format with the issuer and subject public keys
 * as its first two %s) as a NATS v2 JWT; returns new (lat_free). */
static char *nats_jwt(const lat_nkey_t *issuer, const lat_nkey_t *subject,
                      const char *name, const char *nats_json) {
  char ipub[LAT_NKEY_PUBLIC_LEN + 1], spub[LAT_NKEY_PUBLIC_LEN + 1];
  lat_nkey_public_string(issuer, ipub);
  lat_nkey_public_string(subject, spub);
  char claims[1024];
  int n = snprintf(claims, sizeof claims,
                   "{\"jti\":\"%.20s%.20s\",\"iat\":%lld,\"iss\":\"%s\","
                   "\"name\":\"%s\",\"sub\":\"%s\",\"nats\":%s}",
                   spub + 1, ipub + 1, (long long)time(NULL), ipub, name, spub,
                   nats_json);
  char *token = NULL;
  lat_error_t err;
  if (n < 0 || (size_t)n >= sizeof claims ||
      lat_jwt_encode(LAT_JWT_ALG_NKEY, claims, (size_t)n, issuer, &token,
                     &err) != LAT_OK)
    return NULL;
  return token;
}

/* Operator mode (decentralised JWT auth, TOOLCHAIN.md §4): JWTs made by
 * our own crypto, a .creds file for the user; the right creds connect,
 * none are refused as an auth failure. */
TEST_IMPL(lattice_conn_creds) {
  lat_nkey_t op, sys, acct, user;
  lat_error_t err;
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_OPERATOR, &op, &err));
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_ACCOUNT, &sys, &err));
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_ACCOUNT, &acct, &err));
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_USER, &user, &err));
  static const char acct_nats[] =
      "{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,"
      "\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1},"
      "\"default_permissions\":{\"pub\":{},\"sub\":{}},\"type\":\"account\","
      "\"version\":2}";
  char *op_jwt =
      nats_jwt(&op, &op, "op", "{\"type\":\"operator\",\"version\":2}");
  char *sys_jwt = nats_jwt(&op, &sys, "SYS", acct_nats);
  char *acct_jwt = nats_jwt(&op, &acct, "APP", acct_nats);
  char *user_jwt = nats_jwt(&acct, &user, "u",
                            "{\"pub\":{},\"sub\":{},\"subs\":-1,\"data\":-1,"
                            "\"payload\":-1,\"type\":\"user\",\"version\":2}");
  REQUIRE(op_jwt && sys_jwt && acct_jwt && user_jwt);
  char syspub[LAT_NKEY_PUBLIC_LEN + 1], apub[LAT_NKEY_PUBLIC_LEN + 1];
  lat_nkey_public_string(&sys, syspub);
  lat_nkey_public_string(&acct, apub);
  size_t cap = strlen(op_jwt) + strlen(sys_jwt) + strlen(acct_jwt) + 512;
  char *conf = lat_malloc(cap);
  REQUIRE(conf);
  snprintf(conf, cap,
           "operator: %s\nsystem_account: %s\nresolver: MEMORY\n"
           "resolver_preload: {\n  %s: %s\n  %s: %s\n}\n",
           op_jwt, syspub, syspub, sys_jwt, apub, acct_jwt);
  REQUIRE(nats_fixture_start(&srv, conf) == 0);

  char path[300], seed[LAT_NKEY_SEED_LEN + 1];
  snprintf(path, sizeof path, "%s/user.creds", srv.dir);
  REQUIRE_OK(lat_nkey_seed_string(&user, seed, &err));
  FILE *fp = fopen(path, "w");
  REQUIRE(fp);
  fprintf(fp,
          "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER "
          "JWT------\n\n-----BEGIN USER NKEY SEED-----\n%s\n------END USER "
          "NKEY SEED------\n",
          user_jwt, seed);
  fclose(fp);

  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = srv.url;
  o.creds_file = path;
  check_connects(&o);

  o.creds_file = NULL;
  lat_lattice_conn_t *c = NULL;
  lat_lattice_reason why;
  CHECK_ST(lat_lattice_conn_new(&o, &c, &why, &err), LAT_EINVALID);
  CHECK_EQ_INT(why, LAT_LR_AUTH);

  lat_free(conf);
  lat_free(op_jwt);
  lat_free(sys_jwt);
  lat_free(acct_jwt);
  lat_free(user_jwt);
  lat_nkey_fini(&op);
  lat_nkey_fini(&sys);
  lat_nkey_fini(&acct);
  lat_nkey_fini(&user);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}
