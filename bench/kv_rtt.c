/* kv_rtt: keyvalue get/set through the keyvalue providers against a plain
 * client of the same store.
 *
 *   kv_rtt NATS_URL BUCKET REDIS_PORT SOURCE [N]
 *
 * On one NATS connection, as a host's keyvalue shim calls them (wRPC,
 * headers source-id SOURCE-nats or SOURCE-redis, link-name default: one
 * source cannot link wasi:keyvalue to two providers under one name): N sets and N gets of one
 * key through the provider `kvnats`, each beside the same operation done
 * directly on JetStream KV bucket BUCKET (lat_lattice_kv_put/get: the plain
 * libnats client), and the same through `kvredis` beside hiredis SET/GET on
 * 127.0.0.1:REDIS_PORT.  The pairs alternate operation by operation, so the
 * machine's noise hits both.  Prints p50 and p99 in microseconds and the
 * ratio of the p50s (provider / plain).
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lattice/lattice.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static lat_lattice_conn_t *conn;
static const char *source;

/* One wRPC call to provider's instance.func; its time in ns, 0 on failure. */
static uint64_t wrpc(const char *provider, const char *func, const uint8_t *p, size_t n) {
  char src[256];
  snprintf(src, sizeof src, "%s-%s", source, strcmp(provider, "kvnats") ? "redis" : "nats");
  const lat_lattice_header_t h[] = {{"source-id", src}, {"link-name", "default"}};
  lat_wrpc_invoke_opts_t o = {.headers = h, .nheaders = 2, .timeout_ms = 5000};
  lat_lattice_reply_t r = {0};
  lat_error_t err;
  uint64_t t0 = lat_now_ns();
  lat_status st = lat_wrpc_invoke(conn, "default", provider, "wrpc:keyvalue/store@0.2.0-draft", func,
                                  p, n, &o, &r, &err);
  uint64_t dt = lat_now_ns() - t0;
  bool ok = !st && r.len && r.data[0] == 0; /* result::ok */
  if (!ok) fprintf(stderr, "kv_rtt: %s %s failed: %s\n", provider, func, st ? err.msg : "error result");
  lat_lattice_reply_fini(&r);
  return ok ? dt : 0;
}

/* bucket "default", key "bench", [value "0123456789"] as wRPC params */
static size_t params(uint8_t *b, bool set) {
  size_t n = 0;
  b[n++] = 7;
  memcpy(b + n, "default", 7), n += 7;
  b[n++] = 5;
  memcpy(b + n, "bench", 5), n += 5;
  if (set) {
    b[n++] = 10;
    memcpy(b + n, "0123456789", 10), n += 10;
  }
  return n;
}

static void report(const char *what, uint64_t *a, uint64_t *b, size_t n) {
  qsort(a, n, sizeof *a, cmp_u64);
  qsort(b, n, sizeof *b, cmp_u64);
  double pa = a[n / 2] / 1e3, pb = b[n / 2] / 1e3;
  printf("  %-24s provider p50 %7.1f us p99 %7.1f | plain p50 %7.1f us p99 %7.1f | %.1fx\n", what,
         pa, a[n * 99 / 100] / 1e3, pb, b[n * 99 / 100] / 1e3, pa / (pb > 0 ? pb : 1));
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: kv_rtt NATS_URL BUCKET REDIS_PORT SOURCE [N]\n");
    return 2;
  }
  source = argv[4];
  size_t n = argc > 5 ? (size_t)atol(argv[5]) : 2000;
  if (n < 10) n = 10;
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = argv[1];
  lat_error_t err;
  lat_lattice_kv_t *kv = NULL;
  if (lat_lattice_conn_new(&o, &conn, NULL, &err) || lat_lattice_kv_open(conn, argv[2], 0, &kv, &err)) {
    fprintf(stderr, "kv_rtt: %s\n", err.msg);
    return 1;
  }
  struct timeval tv = {5, 0};
  redisContext *rc = redisConnectWithTimeout("127.0.0.1", atoi(argv[3]), tv);
  if (!rc || rc->err) {
    fprintf(stderr, "kv_rtt: redis: %s\n", rc ? rc->errstr : "out of memory");
    return 1;
  }
  uint64_t *t[8];
  for (int i = 0; i < 8; i++) t[i] = calloc(n, sizeof(uint64_t));
  uint8_t sp[64], gp[64];
  size_t sn = params(sp, true), gn = params(gp, false);
  int bad = 0;
  for (size_t i = 0; i < n && !bad; i++) {
    uint64_t t0;
    lat_lattice_reply_t r = {0};
    redisReply *rr;
    bad |= !(t[0][i] = wrpc("kvnats", "set", sp, sn));
    t0 = lat_now_ns();
    bad |= lat_lattice_kv_put(kv, "bench", "0123456789", 10, NULL, &err) != LAT_OK;
    t[1][i] = lat_now_ns() - t0;
    bad |= !(t[2][i] = wrpc("kvnats", "get", gp, gn));
    t0 = lat_now_ns();
    bad |= lat_lattice_kv_get(kv, "bench", &r, NULL, &err) != LAT_OK;
    t[3][i] = lat_now_ns() - t0;
    lat_lattice_reply_fini(&r);
    bad |= !(t[4][i] = wrpc("kvredis", "set", sp, sn));
    t0 = lat_now_ns();
    rr = redisCommand(rc, "SET bench 0123456789");
    t[5][i] = lat_now_ns() - t0;
    bad |= !rr;
    freeReplyObject(rr);
    bad |= !(t[6][i] = wrpc("kvredis", "get", gp, gn));
    t0 = lat_now_ns();
    rr = redisCommand(rc, "GET bench");
    t[7][i] = lat_now_ns() - t0;
    bad |= !rr;
    freeReplyObject(rr);
  }
  if (!bad) {
    printf("keyvalue round trips, one client, %zu each (provider over wRPC vs the plain client):\n", n);
    report("keyvalue-nats set", t[0], t[1], n);
    report("keyvalue-nats get", t[2], t[3], n);
    report("keyvalue-redis set", t[4], t[5], n);
    report("keyvalue-redis get", t[6], t[7], n);
  }
  for (int i = 0; i < 8; i++) free(t[i]);
  redisFree(rc);
  lat_lattice_kv_free(kv);
  lat_lattice_conn_free(conn);
  lat_lattice_library_close(2000);
  return bad;
}
