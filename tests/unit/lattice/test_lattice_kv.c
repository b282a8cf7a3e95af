/* Unit tests for src/lattice/lattice_kv.c against a real nats-server with
 * JetStream: open-or-create twice (idempotent), put/get/create/delete/
 * purge/keys, a watch that sees the initial values, INITIAL_DONE once,
 * then puts and deletes; and a server restart (SIGKILL, start again on the
 * same port and store folder) after which the connection reconnects and
 * the same watch keeps delivering, without repeating what it gave. */
#include <stdio.h>
#include <string.h>

#include "lattice/lattice.h"
#include "lattice_test_util.h"
#include "test.h"

static nats_fixture_t srv; /* static: the atexit clean-up may see it */

/* Records "put KEY VALUE", "delete KEY", "purge KEY" or "done". */
static void on_watch(void *ctx, const lat_lattice_kv_event_t *ev) {
  char buf[256];
  switch (ev->op) {
    case LAT_LATTICE_KV_PUT:
      snprintf(buf, sizeof buf, "put %s %.*s", ev->key, (int)ev->len,
               (const char *)ev->value);
      break;
    case LAT_LATTICE_KV_DELETE:
      snprintf(buf, sizeof buf, "delete %s", ev->key);
      break;
    case LAT_LATTICE_KV_PURGE:
      snprintf(buf, sizeof buf, "purge %s", ev->key);
      break;
    default:
      snprintf(buf, sizeof buf, "done");
      break;
  }
  test_inbox_add(ctx, buf, ev->revision);
}

static bool inbox_has_text(test_inbox_t *b, const char *want) {
  pthread_mutex_lock(&b->mu);
  bool found = false;
  for (int i = 0; i < b->count && !found; i++)
    found = strcmp(b->text[i], want) == 0;
  pthread_mutex_unlock(&b->mu);
  return found;
}

static void dump(test_inbox_t *b) {
  pthread_mutex_lock(&b->mu);
  for (int i = 0; i < b->count; i++)
    fprintf(stderr, "    [%d] rev %llu %s\n", i, (unsigned long long)b->rev[i],
            b->text[i]);
  pthread_mutex_unlock(&b->mu);
}

/* Waits (bounded) for entries first..first+n-1 and checks them in order;
 * on a mismatch prints everything received. */
static void expect_events(test_inbox_t *b, int first, const char *const *want,
                          int n, unsigned ms) {
  bool ok = test_inbox_wait(b, first + n, ms);
  CHECK(ok);
  char t[512];
  for (int i = 0; i < n && ok; i++) {
    test_inbox_get(b, first + i, t, sizeof t);
    if (strcmp(t, want[i]) != 0) ok = false;
    CHECK_EQ_STR(t, want[i]);
  }
  if (!ok) dump(b);
}

TEST_IMPL(lattice_kv_basic) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *c = test_connect(srv.url);
  REQUIRE(c);
  lat_error_t err;
  char *bucket = NULL;
  REQUIRE_OK(lat_lattice_subj_bucket(LAT_LATTICE_BUCKET_CONFIGDATA, "default",
                                     &bucket, &err));
  lat_lattice_kv_t *kv = NULL, *kv2 = NULL;
  REQUIRE_OK(lat_lattice_kv_open(c, bucket, 0, &kv, &err));
  REQUIRE_OK(lat_lattice_kv_open(c, bucket, 1, &kv2, &err)); /* idempotent */

  lat_lattice_keys_t keys;
  REQUIRE_OK(lat_lattice_kv_keys(kv, &keys, &err));
  CHECK_EQ_UINT(keys.count, 0);
  lat_lattice_keys_fini(&keys);

  uint64_t r1 = 0, r2 = 0, got_rev = 0;
  REQUIRE_OK(lat_lattice_kv_put(kv, "db", "{\"url\":\"x\"}", 11, &r1, &err));
  CHECK(r1 > 0);
  lat_lattice_reply_t v;
  REQUIRE_OK(
      lat_lattice_kv_get(kv2, "db", &v, &got_rev, &err)); /* other handle */
  CHECK_EQ_STR((const char *)v.data, "{\"url\":\"x\"}");
  CHECK_EQ_UINT(got_rev, r1);
  lat_lattice_reply_fini(&v);

  /* create refuses an existing key, accepts a new one */
  CHECK_ST(lat_lattice_kv_create(kv, "db", "y", 1, NULL, &err), LAT_EINVALID);
  CHECK(strstr(err.msg, "exists") != NULL);
  REQUIRE_OK(lat_lattice_kv_create(kv, "cache", "z", 1, &r2, &err));
  /* update is compare-and-set: the current revision wins, a stale one loses */
  uint64_t r3 = 0;
  REQUIRE_OK(lat_lattice_kv_update(kv, "cache", "u", 1, r2, &r3, &err));
  CHECK(r3 > r2);
  CHECK_ST(lat_lattice_kv_update(kv2, "cache", "v", 1, r2, NULL, &err), LAT_EINVALID);
  CHECK(strstr(err.msg, "revision") != NULL);
  REQUIRE_OK(lat_lattice_kv_get(kv, "cache", &v, NULL, &err));
  CHECK_EQ_STR((const char *)v.data, "u");
  lat_lattice_reply_fini(&v);
  CHECK(r2 > r1);
  REQUIRE_OK(lat_lattice_kv_keys(kv, &keys, &err));
  CHECK_EQ_UINT(keys.count, 2);
  bool has_db = false, has_cache = false;
  for (size_t i = 0; i < keys.count; i++) {
    has_db |= strcmp(keys.keys[i], "db") == 0;
    has_cache |= strcmp(keys.keys[i], "cache") == 0;
  }
  CHECK(has_db && has_cache);
  lat_lattice_keys_fini(&keys);

  /* delete: gone for get and keys; create works again after a delete */
  REQUIRE_OK(lat_lattice_kv_delete(kv, "db", &err));
  CHECK_ST(lat_lattice_kv_get(kv, "db", &v, NULL, &err), LAT_ENOTFOUND);
  REQUIRE_OK(lat_lattice_kv_keys(kv, &keys, &err));
  CHECK_EQ_UINT(keys.count, 1);
  lat_lattice_keys_fini(&keys);
  REQUIRE_OK(lat_lattice_kv_create(kv, "db", "again", 5, NULL, &err));
  REQUIRE_OK(lat_lattice_kv_purge(kv, "cache", &err));
  CHECK_ST(lat_lattice_kv_get(kv, "cache", &v, NULL, &err), LAT_ENOTFOUND);
  CHECK_ST(lat_lattice_kv_get(kv, "never", &v, NULL, &err), LAT_ENOTFOUND);
  CHECK(strstr(err.msg, "never") != NULL);

  lat_lattice_kv_t *bad = NULL;
  CHECK_ST(lat_lattice_kv_open(c, "no.dots", 0, &bad, &err), LAT_EARG);
  CHECK_ST(lat_lattice_kv_open(c, "ok", 9, &bad, &err), LAT_EARG);
  CHECK(bad == NULL);

  lat_lattice_kv_free(kv2);
  lat_lattice_kv_free(kv);
  lat_lattice_kv_free(NULL);
  lat_free(bucket);
  lat_lattice_conn_free(c);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

TEST_IMPL(lattice_kv_watch) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  lat_lattice_conn_t *c = test_connect(srv.url);
  REQUIRE(c);
  lat_error_t err;
  lat_lattice_kv_t *kv = NULL;
  REQUIRE_OK(lat_lattice_kv_open(c, "LATTICEDATA_default", 0, &kv, &err));
  REQUIRE_OK(lat_lattice_kv_put(kv, "COMPONENT_a", "1", 1, NULL, &err));
  REQUIRE_OK(lat_lattice_kv_put(kv, "COMPONENT_b", "2", 1, NULL, &err));
  REQUIRE_OK(lat_lattice_kv_put(kv, "COMPONENT_a", "3", 1, NULL, &err));

  test_inbox_t got;
  test_inbox_init(&got);
  lat_lattice_kv_watch_t *w = NULL;
  REQUIRE_OK(lat_lattice_kv_watch(kv, NULL, on_watch, &got, &w, &err));
  /* the latest value of each key (history 1), then the marker */
  static const char *const initial[] = {"put COMPONENT_b 2",
                                        "put COMPONENT_a 3", "done"};
  expect_events(&got, 0, initial, 3, 5000);

  REQUIRE_OK(lat_lattice_kv_put(kv, "CLAIMS_x", "{}", 2, NULL, &err));
  REQUIRE_OK(lat_lattice_kv_delete(kv, "COMPONENT_b", &err));
  REQUIRE_OK(lat_lattice_kv_purge(kv, "COMPONENT_a", &err));
  static const char *const changes[] = {"put CLAIMS_x {}", "delete COMPONENT_b",
                                        "purge COMPONENT_a"};
  expect_events(&got, 3, changes, 3, 5000);

  /* a filtered watch sees only its keys (NATS wildcards match whole
   * dot-separated tokens, so an exact key here) */
  test_inbox_t only;
  test_inbox_init(&only);
  lat_lattice_kv_watch_t *w2 = NULL;
  REQUIRE_OK(lat_lattice_kv_watch(kv, "CLAIMS_x", on_watch, &only, &w2, &err));
  static const char *const filtered[] = {"put CLAIMS_x {}", "done"};
  expect_events(&only, 0, filtered, 2, 5000);

  lat_lattice_kv_watch_free(w2);
  lat_lattice_kv_watch_free(w);
  lat_lattice_kv_watch_free(NULL);
  CHECK_EQ_INT(test_inbox_count(&got), 6); /* nothing more, nothing twice */
  lat_lattice_kv_free(kv);
  lat_lattice_conn_free(c);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

/* Connection events, recorded from libnats' thread. */
static void on_conn(void *ctx, lat_lattice_conn_event ev, const char *url) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s %s",
           ev == LAT_LATTICE_CONN_DISCONNECTED  ? "disconnected"
           : ev == LAT_LATTICE_CONN_RECONNECTED ? "reconnected"
                                                : "closed",
           url);
  test_inbox_add(ctx, buf, 0);
}

typedef struct {
  test_inbox_t *b;
  const char *want;
} has_t;
static bool has_text(void *ctx) {
  has_t *h = ctx;
  return inbox_has_text(h->b, h->want);
}

TEST_IMPL(lattice_kv_restart) {
  REQUIRE(nats_fixture_start(&srv, NULL) == 0);
  test_inbox_t events;
  test_inbox_init(&events);
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = srv.url;
  o.reconnect_wait_ms = 50;
  o.reconnect_max_ms = 500;
  o.on_event = on_conn;
  o.on_event_ctx = &events;
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  REQUIRE_OK(lat_lattice_conn_new(&o, &c, NULL, &err));
  lat_lattice_kv_t *kv = NULL;
  REQUIRE_OK(lat_lattice_kv_open(c, "LATTICEDATA_default", 0, &kv, &err));
  REQUIRE_OK(lat_lattice_kv_put(kv, "COMPONENT_a", "before", 6, NULL, &err));
  test_inbox_t got;
  test_inbox_init(&got);
  lat_lattice_kv_watch_t *w = NULL;
  REQUIRE_OK(lat_lattice_kv_watch(kv, NULL, on_watch, &got, &w, &err));
  REQUIRE(test_inbox_wait(&got, 2, 5000)); /* the value, then done */

  REQUIRE(nats_fixture_restart(&srv) == 0);
  has_t h = {&events, "disconnected "};
  CHECK(nats_fixture_wait(has_text, &h, 10000));
  char rec[128];
  snprintf(rec, sizeof rec, "reconnected %s", srv.url);
  h.want = rec;
  bool ok = nats_fixture_wait(has_text, &h, 10000);
  if (!ok) dump(&events);
  REQUIRE(ok);
  CHECK(lat_lattice_conn_reconnects(c) >= 1);

  /* Stay idle past the watch's poll period, so it notices the reconnect
   * and re-subscribes (replaying the current values, which it must not
   * give again) before the next change arrives. */
  struct timespec idle = {0, 600000000};
  nanosleep(&idle, NULL);
  /* JetStream may need a moment after the restart: retry the put briefly */
  lat_status st = LAT_EIO;
  for (int i = 0; i < 100 && st != LAT_OK; i++) {
    st = lat_lattice_kv_put(kv, "COMPONENT_b", "after", 5, NULL, &err);
    if (st != LAT_OK) {
      struct timespec ts = {0, 50000000};
      nanosleep(&ts, NULL);
    }
  }
  REQUIRE_OK(st);
  REQUIRE_OK(lat_lattice_kv_delete(kv, "COMPONENT_a", &err));
  static const char *const want[] = {"put COMPONENT_a before", "done",
                                     "put COMPONENT_b after",
                                     "delete COMPONENT_a"};
  expect_events(&got, 0, want, 4, 10000);
  CHECK(lat_lattice_kv_watch_resubscribes(w) >= 1); /* it noticed */
  lat_lattice_kv_watch_free(w);
  CHECK_EQ_INT(test_inbox_count(&got), 4); /* no replays */

  lat_lattice_kv_free(kv);
  lat_lattice_conn_free(c);
  CHECK(inbox_has_text(&events, "closed ")); /* before conn_free returned */
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}

/* A JetStream domain (a hub/leaf set-up names one): the conn's domain is
 * the one its KV calls go to. */
TEST_IMPL(lattice_kv_js_domain) {
  REQUIRE(nats_fixture_start(&srv, "jetstream { domain: latdom }\n") == 0);
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = srv.url;
  o.js_domain = "latdom";
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  REQUIRE_OK(lat_lattice_conn_new(&o, &c, NULL, &err));
  lat_lattice_kv_t *kv = NULL;
  REQUIRE_OK(lat_lattice_kv_open(c, "CONFIGDATA_default", 0, &kv, &err));
  REQUIRE_OK(lat_lattice_kv_put(kv, "k", "v", 1, NULL, &err));
  lat_lattice_kv_free(kv);
  lat_lattice_conn_free(c);

  /* another domain: nobody answers its JetStream API */
  o.js_domain = "elsewhere";
  REQUIRE_OK(lat_lattice_conn_new(&o, &c, NULL, &err));
  kv = NULL;
  CHECK(lat_lattice_kv_open(c, "CONFIGDATA_default", 0, &kv, &err) != LAT_OK);
  CHECK(kv == NULL);
  CHECK(strstr(err.msg, "CONFIGDATA_default") != NULL);
  lat_lattice_conn_free(c);
  nats_fixture_stop(&srv);
  lat_lattice_library_close(2000);
}
