/* cli_serve.c: `lattice serve [OPTIONS] COMPONENT.wasm`, an HTTP
 * server for wasi:http/proxy components, like `wasmtime serve`.
 *
 * The flags become a component (lat_host_component_t, with a reservation
 * pool for per-request stores) and an HTTP front end (lat_host_http_t,
 * host_http.c, where the design is described); this file parses flags and
 * waits for SIGINT or SIGTERM.
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../host/host.h"
#include "cli.h"

#define SERVE_MAX_ALLOW 64u

static const char *addr;
static uint64_t threads_n, timeout_ns, max_body, max_memory;
static lat_cli_list_t allow_l;

static const lat_cli_opt_t serve_opts[] = {
    {"addr", 'a', LAT_CLI_STRING, &addr, "IPV4:PORT",
     "listen here (default 127.0.0.1:8080; port 0 picks a free one, printed on stderr)"},
    {"threads", 0, LAT_CLI_COUNT, &threads_n, NULL, "worker threads (default: one per core)"},
    {"timeout", 0, LAT_CLI_DURATION, &timeout_ns, NULL,
     "stop a request's guest after DURATION (a 500)"},
    {"max-body", 0, LAT_CLI_SIZE, &max_body, NULL, "largest request body (default 16MiB)"},
    {"max-memory", 0, LAT_CLI_SIZE, &max_memory, NULL, "cap each instance's linear memories"},
    {"allow-http", 0, LAT_CLI_LIST, &allow_l, "HOST[:PORT]",
     "let the component send HTTP requests to HOST (on PORT, or any port); repeatable"},
};

static const lat_cli_cmd_t serve_cmd = {
    .name = "serve",
    .usage = "[OPTIONS] COMPONENT.wasm",
    .summary = "serve a wasi:http/proxy component over HTTP (like wasmtime serve)",
    .details =
        "Every request gets a fresh instance of the component, on all cores.  Outgoing\n"
        "requests (wasi:http/outgoing-handler) are denied (HTTP-request-denied) unless\n"
        "--allow-http names the host; a transfer takes at most 30s (and --timeout).\n"
        "Runs until SIGINT or SIGTERM.  With -o json, one line\n"
        "{\"success\":true,\"addr\":...,\"port\":N} on stdout once it listens.\n",
    .opts = serve_opts,
    .nopts = LAT_CLI_NOPTS(serve_opts),
    .examples = "  lattice serve build/examples/hello_http.component.wasm --addr 127.0.0.1:8080\n"
                "  lattice serve app.wasm --addr 127.0.0.1:0 --allow-http api.example.com:443\n"
                "  curl http://127.0.0.1:8080/\n",
    .exit_status = "0 stopped by a signal, 1 error (cannot load or listen), 2 usage error.",
    .min_pos = 1,
    .max_pos = 1,
    .pos_name = "COMPONENT.wasm",
};

int lat_cli_serve(int argc, char **argv) {
  addr = "127.0.0.1:8080";
  threads_n = timeout_ns = max_body = max_memory = 0;
  lat_cli_args_t a;
  int rc = lat_cli_parse(&serve_cmd, argc, argv, &a);
  if (rc >= 0) {
    lat_cli_args_fini(&a);
    return rc;
  }
  lat_host_http_opts_t ho;
  memset(&ho, 0, sizeof ho);
  ho.max_body = max_body ? max_body : 16u << 20;
  ho.addr = addr;
  ho.timeout_ns = timeout_ns;
  ho.client.allow = allow_l.v;
  lat_host_component_opts_t co;
  memset(&co, 0, sizeof co);
  co.limits.max_memory_bytes = max_memory;
  const char *file = a.pos[0];
  lat_host_component_t *comp = NULL;
  lat_host_http_t *srv = NULL;
  rc = 2;
  if (threads_n > 1024) {
    lat_cli_fail(&a, 2, "--threads: at most 1024");
    goto out;
  }
  ho.threads = (unsigned)threads_n;
  if (addr[0] == '[') {
    lat_cli_fail(&a, 2, "--addr %s: IPv6 is not supported yet; listen on an IPv4 address "
                        "(127.0.0.1:PORT, or 0.0.0.0:PORT for every interface)", addr);
    goto out;
  }
  if (allow_l.n > SERVE_MAX_ALLOW) {
    lat_cli_fail(&a, 2, "more than %u --allow-http", SERVE_MAX_ALLOW);
    goto out;
  }
  for (size_t k = 0; k < allow_l.n; k++)
    if (!lat_wasi_http_allow_valid(allow_l.v[k])) {
      lat_cli_fail(&a, 2, "bad --allow-http '%s' (want HOST or HOST:PORT)", allow_l.v[k]);
      goto out;
    }
  ho.client.nallow = allow_l.n;
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = ho.threads ? ho.threads : nproc > 0 ? (unsigned)nproc : 2;
  co.pool_regions = 4u * threads;
  rc = 1;
  lat_error_t err;
  lat_error_clear(&err);
  uint8_t *data;
  size_t len;
  lat_status st = lat_cli_read(file, LAT_CLI_ACCEPT(LAT_CLI_FILE_COMPONENT), &data, &len, NULL,
                               &err);
  if (st) {
    lat_cli_fail(&a, 1, "%s: %s", file, err.msg);
    goto out;
  }
  st = lat_host_component_new(data, len, &co, &comp, &err);
  lat_free(data);
  if (st) {
    lat_cli_fail(&a, 1, "%s: %s%s", file, st == LAT_EUNLINKABLE ? "link error: " : "", err.msg);
    goto out;
  }
  if (!lat_host_component_exports(comp, "wasi", "http", "incoming-handler")) {
    lat_cli_fail(&a, 1, "%s: the component does not export wasi:http/incoming-handler "
                        "('lattice inspect %s' lists its exports)", file, file);
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
    rc = lat_cli_fail(&a, 2, "bad --addr: %s", err.msg);
    goto out;
  }
  if (st) {
    lat_cli_fail(&a, 1, "%s%s%s", st == LAT_EUNLINKABLE ? file : "",
                 st == LAT_EUNLINKABLE ? ": " : "", err.msg);
    goto out;
  }
  if (a.json) {
    json_t *j = json_object();
    json_object_set_new(j, "success", json_true());
    json_object_set_new(j, "addr", json_string(addr));
    json_object_set_new(j, "port", json_integer(lat_host_http_port(srv)));
    lat_cli_json_print(j);
  }
  fflush(stderr);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "lattice serve: stopping (signal %d)\n", sig);
  rc = 0;
out:
  lat_host_http_free(srv);
  lat_host_component_free(comp);
  lat_cli_args_fini(&a);
  return rc;
}
