/* cli_serve.c: `lattice serve COMPONENT.wasm [--addr HOST:PORT]`, an HTTP
 * server for wasi:http/proxy components, like `wasmtime serve`.
 *
 * The flags become a component (lat_host_component_t, with a reservation
 * pool for per-request stores) and an HTTP front end (lat_host_http_t,
 * host_http.c, where the design is described); this file parses flags and
 * waits for SIGINT or SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../host/host.h"
#include "cli.h"

#define SERVE_MAX_ALLOW 64u

static void serve_usage(FILE *f) {
  fprintf(f, "usage: lattice serve COMPONENT.wasm [--addr HOST:PORT] [--threads N]\n"
             "                     [--timeout DURATION] [--max-body SIZE] [--max-memory SIZE]\n"
             "                     [--allow-http HOST[:PORT]]...\n"
             "  serves a wasi:http/proxy component; a fresh instance per request\n"
             "  (default --addr 127.0.0.1:8080, --threads = cores, --max-body 16MiB;\n"
             "  port 0 picks a free port, printed on stderr)\n"
             "  --allow-http lets the component send HTTP requests (wasi:http\n"
             "  outgoing-handler) to HOST (an exact name or address) on PORT, or on\n"
             "  any port without one; repeatable.  Any other request is denied\n"
             "  (HTTP-request-denied).  A transfer takes at most 30s (and --timeout)\n");
}

int lat_cli_serve(int argc, char **argv) {
  lat_host_http_opts_t ho;
  memset(&ho, 0, sizeof ho);
  ho.max_body = 16u << 20;
  ho.addr = "127.0.0.1:8080";
  const char *allow[SERVE_MAX_ALLOW];
  ho.client.allow = allow;
  lat_host_component_opts_t co;
  memset(&co, 0, sizeof co);
  const char *file = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool more = i + 1 < argc;
    if (!strcmp(a, "--addr") && more) ho.addr = argv[++i];
    else if (!strcmp(a, "--threads") && more) {
      long t = strtol(argv[++i], NULL, 10);
      if (t < 1 || t > 1024) {
        fprintf(stderr, "lattice serve: bad --threads\n");
        return 2;
      }
      ho.threads = (unsigned)t;
    } else if (!strcmp(a, "--timeout") && more) {
      if (!lat_cli_parse_duration(argv[++i], &ho.timeout_ns)) {
        fprintf(stderr, "lattice serve: bad --timeout\n");
        return 2;
      }
    } else if (!strcmp(a, "--max-body") && more) {
      if (!lat_cli_parse_size(argv[++i], &ho.max_body)) {
        fprintf(stderr, "lattice serve: bad --max-body\n");
        return 2;
      }
    } else if (!strcmp(a, "--max-memory") && more) {
      if (!lat_cli_parse_size(argv[++i], &co.limits.max_memory_bytes)) {
        fprintf(stderr, "lattice serve: bad --max-memory\n");
        return 2;
      }
    } else if (!strcmp(a, "--allow-http") && more) {
      if (!lat_wasi_http_allow_valid(argv[++i])) {
        fprintf(stderr, "lattice serve: bad --allow-http '%s' (want HOST or HOST:PORT)\n",
                argv[i]);
        return 2;
      }
      if (ho.client.nallow == SERVE_MAX_ALLOW) {
        fprintf(stderr, "lattice serve: more than %u --allow-http\n", SERVE_MAX_ALLOW);
        return 2;
      }
      allow[ho.client.nallow++] = argv[i];
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      serve_usage(stdout);
      return 0;
    } else if (a[0] != '-' && !file) {
      file = a;
    } else {
      serve_usage(stderr);
      return 2;
    }
  }
  if (!file) {
    serve_usage(stderr);
    return 2;
  }
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = ho.threads ? ho.threads : nproc > 0 ? (unsigned)nproc : 2;
  co.pool_regions = 4u * threads;
  int rc = 1;
  lat_error_t err;
  lat_error_clear(&err);
  lat_host_component_t *comp = NULL;
  lat_host_http_t *srv = NULL;
  lat_status st = lat_host_component_load(file, &co, &comp, &err);
  if (st) {
    fprintf(stderr, "lattice serve: %s: %s%s\n", file,
            st == LAT_EUNLINKABLE ? "link error: " : "", err.msg);
    goto out;
  }
  /* signals go to this thread only: block them before the server's threads start */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if ((st = lat_host_http_new(comp, &ho, &srv, &err)) == LAT_EARG) {
    fprintf(stderr, "lattice serve: bad --addr: %s\n", err.msg);
    rc = 2;
    goto out;
  }
  if (st) {
    fprintf(stderr, "lattice serve: %s%s%s\n", st == LAT_EUNLINKABLE ? file : "",
            st == LAT_EUNLINKABLE ? ": " : "", err.msg);
    goto out;
  }
  fflush(stderr);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "lattice serve: stopping (signal %d)\n", sig);
  rc = 0;
out:
  lat_host_http_free(srv);
  lat_host_component_free(comp);
  return rc;
}
