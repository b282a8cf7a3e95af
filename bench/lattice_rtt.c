/* lattice_rtt: control-interface round trips against the bare NATS floor.
 *
 *   lattice_rtt NATS_URL HOST_ID [N]
 *
 * Measures, on one connection with send-asap: (1) N bare request/replies to
 * a responder in a process of its own (forked first; its connection answers
 * each message with its payload: the floor any NATS request to another
 * process pays, as the host is one), then (2) N
 * `host.get` requests to the host (the control interface: the host's
 * libnats thread, its queue, a worker, the inventory JSON, the reply).
 * Prints p50 and p99 of each in microseconds and the ratio of the p50s.
 * The two alternate request by request, so the machine's noise hits both.
 */
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

/* Alternates the two (bare, then host.get), so that whatever else the
 * machine does at a moment weighs on both; the first tenth warms up. */
static int run(lat_lattice_conn_t *c, const char *ctl, size_t n, uint64_t *bare, uint64_t *host) {
  for (size_t i = 0; i < n + n / 10; i++) {
    uint64_t b = once(c, "bench.echo", "{}", "bare"), h = once(c, ctl, "", "host.get");
    if (!b || !h) return 1;
    if (i >= n / 10) {
      bare[i - n / 10] = b;
      host[i - n / 10] = h;
    }
  }
  qsort(bare, n, sizeof *bare, cmp_u64);
  qsort(host, n, sizeof *host, cmp_u64);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: lattice_rtt NATS_URL HOST_ID [N]\n");
    return 2;
  }
  size_t n = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 2000;
  if (n < 10) n = 10;
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
  int rc = 1;
  bool up = false;
  for (int i = 0; i < 100 && !up; i++) { /* until the responder answers (5 s at most) */
    lat_lattice_reply_t r = {0};
    up = !lat_lattice_conn_request(c, "bench.echo", "", 0, 50, &r, &err);
    lat_lattice_reply_fini(&r);
  }
  if (!bare || !host || !up ||
      lat_lattice_subj_ctl(NULL, "default", "host", "get", argv[2], &ctl, &err)) {
    fprintf(stderr, "lattice_rtt: %s\n", up ? err.msg : "the responder did not answer");
    goto out;
  }
  if (run(c, ctl, n, bare, host)) goto out;
  double b50 = (double)bare[n / 2] / 1e3, b99 = (double)bare[n * 99 / 100] / 1e3;
  double h50 = (double)host[n / 2] / 1e3, h99 = (double)host[n * 99 / 100] / 1e3;
  printf("  bare NATS request/reply, another process   p50 %7.1f us  p99 %7.1f us\n", b50, b99);
  printf("  ctl host.get (inventory JSON)             p50 %7.1f us  p99 %7.1f us\n", h50, h99);
  printf("  host.get / bare round trip: %.2fx at p50 (target <= 1.3x)\n", h50 / b50);
  rc = 0;
out:
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  lat_free(ctl);
  free(bare);
  free(host);
  lat_lattice_conn_free(c);
  lat_lattice_library_close(2000);
  return rc;
}
