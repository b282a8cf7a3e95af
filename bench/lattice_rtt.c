/* lattice_rtt: control-interface and wRPC round trips against the bare
 * NATS floor.
 *
 *   lattice_rtt NATS_URL HOST_ID [N [TARGET INSTANCE FUNCTION PARAMS_HEX SOURCE]]
 *
 * Measures, on one connection with send-asap: (1) N bare request/replies to
 * a responder in a process of its own (forked first; its connection answers
 * each message with its payload: the floor any NATS request to another
 * process pays, as the host is one), then (2) N
 * `host.get` requests to the host (the control interface: the host's
 * libnats thread, its queue, a worker, the inventory JSON, the reply), and,
 * with a target, (3) N wRPC calls of TARGET's INSTANCE.FUNCTION with the
 * given encoded params and source-id SOURCE (a component export served by
 * a host: the handshake, a worker, a fresh instance, the results), then
 * the same calls from 8 threads at once for calls/s.
 * Prints p50 and p99 of each in microseconds and the ratios of the p50s.
 * They alternate request by request, so the machine's noise hits all.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/lattice/lattice.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static lat_lattice_conn_t *responder;

static void echo(void *ctx, const lat_lattice_msg_t *m) {
  (void)ctx;
  if (m->reply) lat_lattice_conn_publish(responder, m->reply, NULL, m->data, m->len, NULL);
}

/* One request; its time in ns, or 0 on failure (reported). */
static uint64_t once(lat_lattice_conn_t *c, const char *subj, const char *payload,
                     const char *label) {
  lat_lattice_reply_t r = {0};
  lat_error_t err;
  uint64_t t0 = lat_now_ns();
  if (lat_lattice_conn_request(c, subj, payload, strlen(payload), 2000, &r, &err)) {
    fprintf(stderr, "lattice_rtt: %s: %s\n", label, err.msg);
    return 0;
  }
  uint64_t dt = lat_now_ns() - t0;
  lat_lattice_reply_fini(&r);
  return dt ? dt : 1;
}

/* The wRPC call being measured (argv), when given. */
static struct {
  const char *target, *instance, *func, *source;
  uint8_t *params;
  size_t len;
} call;

/* One wRPC call; its time in ns, or 0 on failure (reported). */
static uint64_t once_wrpc(lat_lattice_conn_t *c) {
  const lat_lattice_header_t hdrs[] = {{"source-id", call.source}};
  lat_wrpc_invoke_opts_t io = {.headers = hdrs, .nheaders = 1, .timeout_ms = 2000};
  lat_lattice_reply_t r = {0};
  lat_error_t err;
  uint64_t t0 = lat_now_ns();
  lat_status st = lat_wrpc_invoke(c, "default", call.target, call.instance, call.func,
                                  call.params, call.len, &io, &r, &err);
  uint64_t dt = lat_now_ns() - t0;
  bool empty = !st && !r.len;
  lat_lattice_reply_fini(&r);
  if (st || empty) {
    fprintf(stderr, "lattice_rtt: wrpc: %s\n", st ? err.msg : "empty results (refused?)");
    return 0;
  }
  return dt ? dt : 1;
}

/* Alternates them (bare, host.get, the wRPC call), so that whatever else
 * the machine does at a moment weighs on all; the first tenth warms up. */
static int run(lat_lattice_conn_t *c, const char *ctl, size_t n, uint64_t *bare, uint64_t *host,
               uint64_t *wrpc) {
  for (size_t i = 0; i < n + n / 10; i++) {
    uint64_t b = once(c, "bench.echo", "{}", "bare"), h = once(c, ctl, "", "host.get");
    uint64_t w = call.target ? once_wrpc(c) : 1;
    if (!b || !h || !w) return 1;
    if (i >= n / 10) {
      bare[i - n / 10] = b;
      host[i - n / 10] = h;
      wrpc[i - n / 10] = w;
    }
  }
  qsort(bare, n, sizeof *bare, cmp_u64);
  qsort(host, n, sizeof *host, cmp_u64);
  qsort(wrpc, n, sizeof *wrpc, cmp_u64);
  return 0;
}

typedef struct {
  lat_lattice_conn_t *c;
  size_t n, failed;
} par_t;

static void *par_main(void *arg) {
  par_t *p = arg;
  for (size_t i = 0; i < p->n; i++)
    if (!once_wrpc(p->c)) p->failed++;
  return NULL;
}

/* calls/s with 8 threads calling at once on the one connection. */
static double throughput(lat_lattice_conn_t *c, size_t n) {
  enum { T = 8 };
  pthread_t th[T];
  par_t ps[T];
  uint64_t t0 = lat_now_ns();
  for (int i = 0; i < T; i++) {
    ps[i] = (par_t){c, n / T, 0};
    pthread_create(&th[i], NULL, par_main, &ps[i]);
  }
  size_t failed = 0;
  for (int i = 0; i < T; i++) {
    pthread_join(th[i], NULL);
    failed += ps[i].failed;
  }
  double secs = (double)(lat_now_ns() - t0) / 1e9;
  return failed ? -1 : (double)(n / T * T) / secs;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: lattice_rtt NATS_URL HOST_ID [N [TARGET INSTANCE FUNCTION PARAMS_HEX "
                    "SOURCE]]\n");
    return 2;
  }
  size_t n = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 2000;
  if (n < 10) n = 10;
  if (argc > 8) {
    call.target = argv[4], call.instance = argv[5], call.func = argv[6], call.source = argv[8];
    size_t hl = strlen(argv[7]);
    call.params = malloc(hl / 2 + 1);
    for (size_t i = 0; call.params && i + 1 < hl; i += 2) {
      unsigned v = 0;
      sscanf(argv[7] + i, "%2x", &v);
      call.params[call.len++] = (uint8_t)v;
    }
  }
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = argv[1];
  lat_error_t err;
  pid_t child = fork();
  if (child == 0) { /* the responder: answers until killed */
    lat_lattice_sub_t *rs = NULL;
    if (lat_lattice_conn_new(&o, &responder, NULL, &err) ||
        lat_lattice_conn_subscribe(responder, "bench.echo", NULL, echo, NULL, &rs, &err))
      _exit(1);
    for (;;) pause();
  }
  lat_lattice_conn_t *c = NULL;
  if (child < 0 || lat_lattice_conn_new(&o, &c, NULL, &err)) {
    fprintf(stderr, "lattice_rtt: %s\n", child < 0 ? "fork failed" : err.msg);
    if (child > 0) kill(child, SIGKILL);
    return 1;
  }
  char *ctl = NULL;
  uint64_t *bare = calloc(n, sizeof *bare), *host = calloc(n, sizeof *host);
  uint64_t *wrpc = calloc(n, sizeof *wrpc);
  int rc = 1;
  bool up = false;
  for (int i = 0; i < 100 && !up; i++) { /* until the responder answers (5 s at most) */
    lat_lattice_reply_t r = {0};
    up = !lat_lattice_conn_request(c, "bench.echo", "", 0, 50, &r, &err);
    lat_lattice_reply_fini(&r);
  }
  if (!bare || !host || !wrpc || !up ||
      lat_lattice_subj_ctl(NULL, "default", "host", "get", argv[2], &ctl, &err)) {
    fprintf(stderr, "lattice_rtt: %s\n", up ? err.msg : "the responder did not answer");
    goto out;
  }
  if (run(c, ctl, n, bare, host, wrpc)) goto out;
  double b50 = (double)bare[n / 2] / 1e3, b99 = (double)bare[n * 99 / 100] / 1e3;
  double h50 = (double)host[n / 2] / 1e3, h99 = (double)host[n * 99 / 100] / 1e3;
  printf("  bare NATS request/reply, another process   p50 %7.1f us  p99 %7.1f us\n", b50, b99);
  printf("  ctl host.get (inventory JSON)             p50 %7.1f us  p99 %7.1f us\n", h50, h99);
  printf("  host.get / bare round trip: %.2fx at p50 (target <= 1.3x)\n", h50 / b50);
  if (call.target) {
    double w50 = (double)wrpc[n / 2] / 1e3, w99 = (double)wrpc[n * 99 / 100] / 1e3;
    printf("  wRPC call %s.%s on %-14s p50 %7.1f us  p99 %7.1f us (%.2fx the bare round trip)\n",
           call.instance, call.func, call.target, w50, w99, w50 / b50);
    double cps = throughput(c, n * 2);
    if (cps > 0) printf("  wRPC calls/s, 8 callers at once: %.0f\n", cps);
    else printf("  wRPC calls/s: some calls failed\n");
  }
  rc = 0;
out:
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  lat_free(ctl);
  free(bare);
  free(host);
  free(wrpc);
  free(call.params);
  lat_lattice_conn_free(c);
  lat_lattice_library_close(2000);
  return rc;
}
