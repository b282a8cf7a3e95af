/* http_echo_server: a test server over src/http for tests/http/run.py and
 * the speed comparison.
 *
 * Routes (the path, before any '?'):
 *   /hello        "hello\n", answered on the I/O thread (the speed check)
 *   /echo         method, target, version, headers and body, as text
 *   /status/N     status N; one the API refuses (outside 200..599) is
 *                 mapped to 500, as the real callers will do
 *   /slow?ms=N    answered from a worker thread after N ms
 *   /big?mb=N     N MiB streamed from a worker thread with backpressure
 *                 (lat_http_respond_write_wait, 64 KiB at a time)
 *   /loop         never answered; the worker ends the exchange once the
 *                 server has closed its connection (shutdown grace)
 *   anything else 404
 *
 * Workers are one detached thread per request, counted, so main can wait
 * for them after lat_http_server_free().  SIGTERM/SIGINT stop the server
 * (grace as configured) and the process exits 0.
 *
 * Usage: http_echo_server [--addr A] [--threads N] [--header-timeout-ms N]
 *   [--body-timeout-ms N] [--idle-timeout-ms N] [--write-timeout-ms N]
 *   [--grace-ms N] [--max-conns N] [--max-per-ip N] [--max-body N]
 *   [--max-headers N] [--window N] [--quiet]
 * Prints "listening on http://ADDR:PORT" on stdout once it accepts. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"

static pthread_mutex_t jobs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_cv = PTHREAD_COND_INITIALIZER;
static int jobs_running; /* guarded by jobs_mu */
static bool quiet;

typedef struct {
  lat_http_exchange_t *ex;
  int kind; /* 's' slow, 'b' big, 'l' loop */
  unsigned long n;
} job_t;

static void sleep_ms(unsigned long ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void *job_main(void *arg) {
  job_t *j = arg;
  static const lat_http_header_t ct = {"Content-Type", 12, "text/plain", 10};
  if (j->kind == 's') {
    sleep_ms(j->n);
    char b[64];
    int n = snprintf(b, sizeof b, "slow %lu\n", j->n);
    lat_http_respond(j->ex, 200, &ct, 1, b, (size_t)n, NULL);
  } else if (j->kind == 'b') {
    static uint8_t block[65536];
    memset(block, 'x', sizeof block);
    uint64_t total = (uint64_t)j->n << 20;
    if (lat_http_respond_start(j->ex, 200, &ct, 1, (int64_t)total) == LAT_OK) {
      for (uint64_t sent = 0; sent < total; sent += sizeof block)
        if (lat_http_respond_write_wait(j->ex, block, sizeof block, 60000) != LAT_OK) break;
    }
    lat_http_respond_end(j->ex);
  } else {
    while (!lat_http_exchange_closed(j->ex)) sleep_ms(20);
    lat_http_respond_end(j->ex);
  }
  lat_free(j);
  pthread_mutex_lock(&jobs_mu);
  jobs_running--;
  pthread_cond_broadcast(&jobs_cv);
  pthread_mutex_unlock(&jobs_mu);
  return NULL;
}

static void start_job(lat_http_exchange_t *ex, int kind, unsigned long n) {
  job_t *j = lat_malloc(sizeof *j);
  pthread_t t;
  pthread_attr_t at;
  if (!j) {
    lat_http_respond(ex, 503, NULL, 0, NULL, 0, NULL);
    return;
  }
  j->ex = ex;
  j->kind = kind;
  j->n = n;
  pthread_mutex_lock(&jobs_mu);
  jobs_running++;
  pthread_mutex_unlock(&jobs_mu);
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&t, &at, job_main, j) != 0) {
    lat_free(j);
    pthread_mutex_lock(&jobs_mu);
    jobs_running--;
    pthread_mutex_unlock(&jobs_mu);
    lat_http_respond(ex, 503, NULL, 0, NULL, 0, NULL);
  }
  pthread_attr_destroy(&at);
}

static unsigned long query_num(const char *t, size_t n, const char *key) {
  size_t kl = strlen(key);
  for (size_t i = 0; i + kl < n; i++) {
    if ((i == 0 || t[i - 1] == '?' || t[i - 1] == '&') && memcmp(t + i, key, kl) == 0 &&
        t[i + kl] == '=') {
      unsigned long v = 0;
      for (size_t k = i + kl + 1; k < n && t[k] >= '0' && t[k] <= '9' && v < 100000000ul; k++)
        v = v * 10 + (unsigned long)(t[k] - '0');
      return v;
    }
  }
  return 0;
}

static bool path_is(const char *t, size_t plen, const char *p) {
  return plen == strlen(p) && memcmp(t, p, plen) == 0;
}

static void handler(void *ctx, lat_http_exchange_t *ex, const lat_http_request_t *req,
                    const uint8_t *body, size_t body_len) {
  (void)ctx;
  static const lat_http_header_t ct = {"Content-Type", 12, "text/plain", 10};
  const char *t = req->target;
  size_t plen = 0;
  while (plen < req->target_len && t[plen] != '?') plen++;
  if (path_is(t, plen, "/hello")) {
    lat_http_respond(ex, 200, &ct, 1, "hello\n", 6, NULL);
  } else if (path_is(t, plen, "/echo")) {
    lat_buf_t b;
    lat_buf_init(&b);
    lat_status st = lat_buf_printf(&b, "method=%.*s\ntarget=%.*s\nversion=1.%u\n",
                                   (int)req->method_len, req->method, (int)req->target_len, t,
                                   req->version_minor);
    for (size_t i = 0; i < req->header_count && st == LAT_OK; i++)
      st = lat_buf_printf(&b, "header=%.*s: %.*s\n", (int)req->headers[i].name_len,
                          req->headers[i].name, (int)req->headers[i].value_len,
                          req->headers[i].value);
    if (st == LAT_OK) st = lat_buf_printf(&b, "body-length=%zu\n", body_len);
    if (st == LAT_OK && body_len) st = lat_buf_append(&b, body, body_len);
    if (st != LAT_OK) {
      lat_buf_fini(&b);
      lat_http_respond(ex, 503, NULL, 0, NULL, 0, NULL);
      return;
    }
    size_t n;
    uint8_t *data = lat_buf_steal(&b, &n);
    lat_http_respond(ex, 200, &ct, 1, data, n, lat_free); /* handed over, not copied */
  } else if (plen > 8 && memcmp(t, "/status/", 8) == 0) {
    int code = 0;
    for (size_t i = 8; i < plen && t[i] >= '0' && t[i] <= '9' && code < 100000; i++)
      code = code * 10 + (t[i] - '0');
    char b[64];
    int n = snprintf(b, sizeof b, "status %d\n", code);
    if (lat_http_respond_start(ex, code, &ct, 1, n) == LAT_EARG) {
      /* refused by the API: the caller maps it (as lattice serve will) */
      lat_http_respond(ex, 500, &ct, 1, "status refused\n", 15, NULL);
      return;
    }
    lat_http_respond_write(ex, b, (size_t)n);
    lat_http_respond_end(ex);
  } else if (path_is(t, plen, "/slow")) {
    start_job(ex, 's', query_num(t, req->target_len, "ms"));
  } else if (path_is(t, plen, "/big")) {
    start_job(ex, 'b', query_num(t, req->target_len, "mb"));
  } else if (path_is(t, plen, "/loop")) {
    start_job(ex, 'l', 0);
  } else {
    lat_http_respond(ex, 404, &ct, 1, "not found\n", 10, NULL);
  }
}

static void log_cb(void *ctx, lat_http_log_level lv, const char *msg) {
  (void)ctx;
  static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
  if (quiet && lv > LAT_HTTP_LOG_WARN) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  fprintf(stderr, "%ld.%03ld %s http %s\n", (long)ts.tv_sec, ts.tv_nsec / 1000000L,
          names[lv < 4 ? lv : 3], msg);
}

int main(int argc, char **argv) {
  lat_http_server_config_t cfg;
  lat_http_server_config_default(&cfg);
  cfg.addr = "127.0.0.1:0";
  cfg.handler = handler;
  cfg.log = log_cb;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--quiet") == 0) {
      quiet = true;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "http_echo_server: %s wants a value\n", a);
      return 2;
    }
    const char *v = argv[++i];
    unsigned long n = strtoul(v, NULL, 10);
    if (strcmp(a, "--addr") == 0) cfg.addr = v;
    else if (strcmp(a, "--threads") == 0) cfg.threads = (unsigned)n;
    else if (strcmp(a, "--header-timeout-ms") == 0) cfg.header_timeout_ms = (uint32_t)n;
    else if (strcmp(a, "--body-timeout-ms") == 0) cfg.body_timeout_ms = (uint32_t)n;
    else if (strcmp(a, "--idle-timeout-ms") == 0) cfg.idle_timeout_ms = (uint32_t)n;
    else if (strcmp(a, "--write-timeout-ms") == 0) cfg.write_timeout_ms = (uint32_t)n;
    else if (strcmp(a, "--grace-ms") == 0) cfg.grace_ms = (uint32_t)n;
    else if (strcmp(a, "--max-conns") == 0) cfg.max_connections = (unsigned)n;
    else if (strcmp(a, "--max-per-ip") == 0) cfg.max_per_ip = (unsigned)n;
    else if (strcmp(a, "--max-body") == 0) cfg.max_body = n;
    else if (strcmp(a, "--max-headers") == 0) cfg.limits.max_headers = (unsigned)n;
    else if (strcmp(a, "--window") == 0) cfg.write_window = n;
    else {
      fprintf(stderr, "http_echo_server: unknown option %s\n", a);
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  lat_http_server_t *srv;
  lat_error_t err;
  if (lat_http_server_new(&cfg, &srv, &err) != LAT_OK) {
    fprintf(stderr, "http_echo_server: %s\n", err.msg);
    return 1;
  }
  const char *colon = strrchr(cfg.addr, ':');
  printf("listening on http://%.*s:%u\n", (int)(colon - cfg.addr), cfg.addr,
         lat_http_server_port(srv));
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "http_echo_server: signal %d, stopping\n", sig);
  lat_http_server_free(srv);
  pthread_mutex_lock(&jobs_mu);
  while (jobs_running > 0) pthread_cond_wait(&jobs_cv, &jobs_mu);
  pthread_mutex_unlock(&jobs_mu);
  fprintf(stderr, "http_echo_server: stopped\n");
  return 0;
}
