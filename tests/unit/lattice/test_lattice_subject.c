/* Unit tests for src/lattice/lattice_subject.c: the exact wire strings of
 * PROTOCOL.md §1.1 (ctl subjects, the host's subscriptions and queue
 * groups), §2 (events), §4.1 (wRPC), §5.2 (provider management), §1.5
 * (bucket names), the ctl parser, and refusal of anything that is not a
 * single NATS token where one is required; and the reconnect backoff. */
#include <string.h>

#include "lattice/lattice.h"
#include "lattice/lattice_int.h"
#include "test.h"

#define HOST "NBX5SDGKB4XQF4D6OEDBVGBAHV4SBVWQYOMOSRG6KAIXW2CDY3X3SOPE"

TEST_IMPL(lattice_subject_ctl) {
  char *s = NULL;
  lat_error_t err;
  REQUIRE_OK(lat_lattice_subj_ctl(NULL, "default", "component", "scale", HOST,
                                  &s, &err));
  CHECK_EQ_STR(s, "wasmbus.ctl.v1.default.component.scale." HOST);
  lat_free(s);
  REQUIRE_OK(
      lat_lattice_subj_ctl(NULL, "default", "host", "ping", NULL, &s, &err));
  CHECK_EQ_STR(s, "wasmbus.ctl.v1.default.host.ping");
  lat_free(s);
  REQUIRE_OK(
      lat_lattice_subj_ctl("acme.ctl", "prod", "link", "put", NULL, &s, &err));
  CHECK_EQ_STR(s, "acme.ctl.v1.prod.link.put");
  lat_free(s);
}

TEST_IMPL(lattice_subject_host_subs) {
  lat_lattice_sub_specs_t l;
  lat_error_t err;
  REQUIRE_OK(
      lat_lattice_subj_host_subs(NULL, "default", HOST, true, true, &l, &err));
  static const char *const want[][2] = {
      {"wasmbus.ctl.v1.default.registry.put", NULL},
      {"wasmbus.ctl.v1.default.host.ping", NULL},
      {"wasmbus.ctl.v1.default.link.*", "wasmbus.ctl.v1.default.link"},
      {"wasmbus.ctl.v1.default.claims.get", "wasmbus.ctl.v1.default.claims"},
      {"wasmbus.ctl.v1.default.component.*." HOST, NULL},
      {"wasmbus.ctl.v1.default.provider.*." HOST, NULL},
      {"wasmbus.ctl.v1.default.label.*." HOST, NULL},
      {"wasmbus.ctl.v1.default.host.*." HOST, NULL},
      {"wasmbus.ctl.v1.default.config.>", "wasmbus.ctl.v1.default.config"},
      {"wasmbus.ctl.v1.default.component.auction", NULL},
      {"wasmbus.ctl.v1.default.provider.auction", NULL},
  };
  REQUIRE(l.count == sizeof want / sizeof want[0]);
  for (size_t i = 0; i < l.count; i++) {
    CHECK_EQ_STR(l.items[i].subject, want[i][0]);
    CHECK_EQ_STR(l.items[i].queue, want[i][1]);
  }
  lat_lattice_sub_specs_fini(&l);

  /* auctions off: the two auction subjects are not subscribed */
  REQUIRE_OK(
      lat_lattice_subj_host_subs("p.q", "x", HOST, false, true, &l, &err));
  CHECK_EQ_UINT(l.count, 10);
  CHECK_EQ_STR(l.items[9].subject, "p.q.v1.x.provider.auction");
  CHECK_EQ_STR(l.items[2].queue, "p.q.v1.x.link");
  lat_lattice_sub_specs_fini(&l);
  REQUIRE_OK(
      lat_lattice_subj_host_subs(NULL, "x", HOST, false, false, &l, &err));
  CHECK_EQ_UINT(l.count, 9);
  lat_lattice_sub_specs_fini(&l);
  lat_lattice_sub_specs_fini(NULL);
}

TEST_IMPL(lattice_subject_others) {
  char *s = NULL;
  lat_error_t err;
  REQUIRE_OK(lat_lattice_subj_event("default", "component_scaled", &s, &err));
  CHECK_EQ_STR(s, "wasmbus.evt.default.component_scaled");
  lat_free(s);
  REQUIRE_OK(lat_lattice_subj_wrpc_prefix("default", "hello", &s, &err));
  CHECK_EQ_STR(s, "default.hello");
  lat_free(s);
  REQUIRE_OK(lat_lattice_subj_wrpc("default", "hello",
                                   "wrpc:http/incoming-handler@0.1.0", "handle",
                                   &s, &err));
  CHECK_EQ_STR(s,
               "default.hello.wrpc.0.0.1.wrpc:http/incoming-handler@0.1.0."
               "handle");
  lat_free(s);
  REQUIRE_OK(lat_lattice_subj_wrpc(
      "default", "kv", "wasi:keyvalue/store@0.2.0-draft", "get", &s, &err));
  CHECK_EQ_STR(s, "default.kv.wrpc.0.0.1.wasi:keyvalue/store@0.2.0-draft.get");
  lat_free(s);

  static const struct {
    lat_lattice_rpc_kind kind;
    const char *want;
  } rpc[] = {
      {LAT_LATTICE_RPC_HEALTH, "wasmbus.rpc.default.VPROV.health"},
      {LAT_LATTICE_RPC_SHUTDOWN, "wasmbus.rpc.default.VPROV.default.shutdown"},
      {LAT_LATTICE_RPC_LINKDEFS_PUT, "wasmbus.rpc.default.VPROV.linkdefs.put"},
      {LAT_LATTICE_RPC_LINKDEFS_DEL, "wasmbus.rpc.default.VPROV.linkdefs.del"},
      {LAT_LATTICE_RPC_CONFIG_UPDATE,
       "wasmbus.rpc.default.VPROV.config.update"},
  };
  for (size_t i = 0; i < sizeof rpc / sizeof rpc[0]; i++) {
    REQUIRE_OK(lat_lattice_subj_rpc("default", "VPROV", rpc[i].kind, &s, &err));
    CHECK_EQ_STR(s, rpc[i].want);
    lat_free(s);
  }
  CHECK_ST(
      lat_lattice_subj_rpc("default", "V", (lat_lattice_rpc_kind)99, &s, &err),
      LAT_EARG);

  REQUIRE_OK(lat_lattice_subj_bucket(LAT_LATTICE_BUCKET_LATTICEDATA, "default",
                                     &s, &err));
  CHECK_EQ_STR(s, "LATTICEDATA_default");
  lat_free(s);
  REQUIRE_OK(
      lat_lattice_subj_bucket(LAT_LATTICE_BUCKET_CONFIGDATA, "prod", &s, &err));
  CHECK_EQ_STR(s, "CONFIGDATA_prod");
  lat_free(s);
}

TEST_IMPL(lattice_subject_bad_tokens) {
  static const char *const bad[] = {"",     "a.b", "a*", ">",     "a b",
                                    "a\tb", "a\n", ".",  "x\x7f", "*"};
  char *s = (char *)"untouched";
  lat_error_t err;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(!lat_lattice_token_valid(bad[i]));
    CHECK_ST(lat_lattice_token_check("lattice name", bad[i], &err), LAT_EARG);
    CHECK_ST(lat_lattice_subj_ctl(NULL, bad[i], "host", "ping", NULL, &s, &err),
             LAT_EARG);
    CHECK(s == NULL);
    CHECK_ST(lat_lattice_subj_ctl(NULL, "ok", "component", "scale", bad[i], &s,
                                  &err),
             LAT_EARG);
    CHECK_ST(lat_lattice_subj_event("ok", bad[i], &s, &err), LAT_EARG);
    CHECK_ST(lat_lattice_subj_event(bad[i], "host_started", &s, &err),
             LAT_EARG);
    CHECK_ST(lat_lattice_subj_wrpc("ok", bad[i], "a:b/c", "f", &s, &err),
             LAT_EARG);
    CHECK_ST(
        lat_lattice_subj_rpc("ok", bad[i], LAT_LATTICE_RPC_HEALTH, &s, &err),
        LAT_EARG);
    CHECK_ST(lat_lattice_subj_bucket(LAT_LATTICE_BUCKET_CONFIGDATA, bad[i], &s,
                                     &err),
             LAT_EARG);
  }
  CHECK(!lat_lattice_token_valid(NULL));
  CHECK(lat_lattice_token_valid("default"));
  CHECK(lat_lattice_token_valid(HOST));
  /* the message names the part and the reason */
  CHECK_ST(lat_lattice_token_check("config name", "a.b", &err), LAT_EARG);
  CHECK(strstr(err.msg, "config name") != NULL);
  CHECK(strstr(err.msg, "\"a.b\"") != NULL);
  /* a long token */
  char big[LAT_LATTICE_TOKEN_MAX + 2];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  CHECK(!lat_lattice_token_valid(big));
  big[LAT_LATTICE_TOKEN_MAX] = 0;
  CHECK(lat_lattice_token_valid(big));
  /* multi-token parts: no empty token, no wildcard */
  CHECK_ST(lat_lattice_subj_wrpc("ok", "id", "a..b", "f", &s, &err), LAT_EARG);
  CHECK_ST(lat_lattice_subj_wrpc("ok", "id", "a.*", "f", &s, &err), LAT_EARG);
  CHECK_ST(lat_lattice_subj_wrpc("ok", "id", "a:b/c.", "f", &s, &err),
           LAT_EARG);
  CHECK_ST(lat_lattice_subj_wrpc("ok", "id", "a:b/c", "f.g", &s, &err),
           LAT_EARG);
  CHECK_ST(
      lat_lattice_subj_ctl("wasmbus.>", "ok", "host", "ping", NULL, &s, &err),
      LAT_EARG);
  CHECK_ST(lat_lattice_subj_ctl(".x", "ok", "host", "ping", NULL, &s, &err),
           LAT_EARG);
}

static bool part_is(const char *p, size_t n, const char *want) {
  return n == strlen(want) && memcmp(p, want, n) == 0;
}

TEST_IMPL(lattice_subject_parse) {
  lat_lattice_ctl_parts_t p;
  lat_error_t err;
  REQUIRE_OK(lat_lattice_subj_ctl_parse(
      NULL, "wasmbus.ctl.v1.default.component.scale." HOST, &p, &err));
  CHECK(part_is(p.lattice, p.lattice_len, "default"));
  CHECK(part_is(p.noun, p.noun_len, "component"));
  CHECK(part_is(p.verb, p.verb_len, "scale"));
  CHECK(part_is(p.rest, p.rest_len, HOST));

  REQUIRE_OK(lat_lattice_subj_ctl_parse(
      NULL, "wasmbus.ctl.v1.default.host.ping", &p, &err));
  CHECK(part_is(p.verb, p.verb_len, "ping"));
  CHECK_EQ_UINT(p.rest_len, 0);

  /* config.> may carry more than one token after the verb */
  REQUIRE_OK(lat_lattice_subj_ctl_parse(
      "a.b", "a.b.v1.lat.config.put.my-config", &p, &err));
  CHECK(part_is(p.lattice, p.lattice_len, "lat"));
  CHECK(part_is(p.noun, p.noun_len, "config"));
  CHECK(part_is(p.rest, p.rest_len, "my-config"));

  REQUIRE_OK(
      lat_lattice_subj_ctl_parse(NULL, "wasmbus.ctl.v1.x.host", &p, &err));
  CHECK_EQ_UINT(p.verb_len, 0);

  /* round trip with the builder */
  char *s = NULL;
  REQUIRE_OK(
      lat_lattice_subj_ctl(NULL, "l1", "provider", "stop", HOST, &s, &err));
  REQUIRE_OK(lat_lattice_subj_ctl_parse(NULL, s, &p, &err));
  CHECK(part_is(p.noun, p.noun_len, "provider"));
  CHECK(part_is(p.rest, p.rest_len, HOST));
  lat_free(s);

  static const char *const bad[] = {
      "wasmbus.ctl.v2.default.host.ping", "wasmbus.ctl.v1.default",
      "wasmbus.ctl.v1..host.ping",        "wasmbus.ctl.v1.default..ping",
      "wasmbus.ctl.v1.default.host.",     "wasmbus.ctlx.v1.default.host.ping",
      "other.v1.default.host.ping",       "wasmbus.ctl.v1.d.host.ping.",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_ST(lat_lattice_subj_ctl_parse(NULL, bad[i], &p, &err), LAT_EARG);
}

static lat_status build_all(void *ctx) {
  (void)ctx;
  lat_lattice_sub_specs_t l;
  char *s = NULL;
  lat_status st =
      lat_lattice_subj_host_subs(NULL, "default", HOST, true, true, &l, NULL);
  if (st != LAT_OK) return st;
  lat_lattice_sub_specs_fini(&l);
  if ((st = lat_lattice_subj_wrpc("d", "id", "a:b/c@0.1.0", "f", &s, NULL)) !=
      LAT_OK)
    return st;
  lat_free(s);
  return lat_lattice_subj_ctl(NULL, "d", "host", "ping", NULL, &s, NULL) ==
                 LAT_OK
             ? (lat_free(s), LAT_OK)
             : LAT_ENOMEM;
}

/* Every allocation of the builders failing in turn: an error, no leak. */
TEST_IMPL(lattice_subject_alloc_failures) {
  CHECK(CHECK_ALLOC_SWEEP(build_all, NULL) > 10);
}

/* The reconnect backoff: doubles per pass, never above the cap, always
 * jittered within the upper half (also at the cap). */
TEST_IMPL(lattice_conn_backoff) {
  CHECK_EQ_UINT(lat__lattice_backoff_ms(100, 5000, 1, 0), 100);
  CHECK_EQ_UINT(lat__lattice_backoff_ms(100, 5000, 2, 0), 200);
  CHECK_EQ_UINT(lat__lattice_backoff_ms(100, 5000, 4, 0), 800);
  CHECK_EQ_UINT(lat__lattice_backoff_ms(100, 5000, 7, 0), 5000);
  CHECK_EQ_UINT(lat__lattice_backoff_ms(100, 5000, 1000000, 0), 5000);
  CHECK_EQ_UINT(lat__lattice_backoff_ms(100, 5000, 1, 50), 50);
  CHECK_EQ_UINT(lat__lattice_backoff_ms(100, 5000, 1, 51), 100); /* wraps */
  CHECK_EQ_UINT(lat__lattice_backoff_ms(100, 5000, 30, 2500), 2500);
  CHECK_EQ_UINT(lat__lattice_backoff_ms(1, 1, 5, 12345), 1);
  for (uint32_t r = 0; r < 100000; r += 7919) {
    for (int a = 1; a < 40; a++) {
      uint32_t d = lat__lattice_backoff_ms(100, 5000, a, r * 2654435761u);
      uint32_t cap = a >= 7 ? 5000 : 100u << (a - 1);
      CHECK(d <= cap && d >= cap / 2);
    }
  }
}
