/* cli_serve.c: `lattice serve [OPTIONS] COMPONENT.wasm`, an HTTP
 * server for wasi:http/proxy components, like `wasmtime serve`.
 *
 * The flags become a component (lat_host_component_t, with a reservation
 * pool for per-request stores) and an HTTP front end (lat_host_http_t,
 * host_http.c, where the design is described); this file parses flags and
 * waits for SIGINT or SIGTERM.
 *
 * Safe by default, as wasmCloud's host: a request's guest runs at most 10
 * minutes (--timeout) with at most 256 MiB per linear memory
 * (--max-memory), on a bounded pool of workers (--workers, --queue); there
 * is no "unlimited" value, a large one does the same without the footgun.
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

#define SERVE_TIMEOUT_NS (600ull * 1000000000ull)
#define SERVE_MAX_MEMORY (256ull << 20)

static const char *addr, *log_level;
static uint64_t threads_n, timeout_ns, max_body, max_memory, workers_n, queue_n, max_conn,
    max_per_ip, header_timeout_ns, body_timeout_ns;
static bool inherit_stdio, compiled_tier, interpreted_tier;
static lat_cli_list_t allow_l;

static const lat_cli_opt_t serve_opts[] = {
    {"addr", 'a', LAT_CLI_STRING, &addr, "HOST:PORT",
     "listen here: IPv4:PORT or [IPv6]:PORT (default 127.0.0.1:8080; port 0 picks a free "
     "one, printed on stderr)"},
    {"threads", 0, LAT_CLI_COUNT, &threads_n, NULL, "HTTP I/O threads (default: one per core)"},
    {"workers", 0, LAT_CLI_COUNT, &workers_n, NULL,
     "threads running guests, the most requests served at once (default 4 per core, >= 8)"},
    {"queue", 0, LAT_CLI_COUNT, &queue_n, NULL,
     "requests waiting for a worker; beyond, a 503 at once (default 1024)"},
    {"timeout", 0, LAT_CLI_DURATION, &timeout_ns, NULL,
     "stop a request's guest after DURATION, a 500 (default 10m, as wasmCloud)"},
    {"max-memory", 0, LAT_CLI_SIZE, &max_memory, NULL,
     "cap each instance's linear memories (default 256MiB, as wasmCloud)"},
    {"max-body", 0, LAT_CLI_SIZE, &max_body, NULL,
     "largest request body, a 413 beyond, before reading it (default 16MiB)"},
    {"max-connections", 0, LAT_CLI_COUNT, &max_conn, NULL,
     "open connections at most; beyond, a 503 and close (default 4096)"},
    {"max-per-ip", 0, LAT_CLI_COUNT, &max_per_ip, NULL,
     "open connections per client address (default 256)"},
    {"header-timeout", 0, LAT_CLI_DURATION, &header_timeout_ns, NULL,
     "the whole request head must arrive within DURATION, else a 408 (default 10s)"},
    {"body-timeout", 0, LAT_CLI_DURATION, &body_timeout_ns, NULL,
     "the whole request body must arrive within DURATION, else a 408 (default 60s)"},
    {"compiled", 0, LAT_CLI_FLAG, &compiled_tier, NULL,
     "run the component's core modules compiled to native code (src/aot; cached); those it "
     "cannot compile are interpreted"},
    {"interpreted", 0, LAT_CLI_FLAG, &interpreted_tier, NULL, "interpret them (the default)"},
    {"inherit-stdio", 0, LAT_CLI_FLAG, &inherit_stdio, NULL,
     "give guests the server's stdout/stderr as they are (default: each line they write "
     "is logged, escaped)"},
    {"log-level", 0, LAT_CLI_STRING, &log_level, "LEVEL",
     "error, warn, info (default), debug or off"},
    {"allow-http", 0, LAT_CLI_LIST, &allow_l, "HOST[:PORT]",
     "let the component send HTTP requests to HOST (on PORT, or any port); repeatable"},
};

static const lat_cli_cmd_t serve_cmd = {
    .name = "serve",
    .usage = "[OPTIONS] COMPONENT.wasm",
    .summary = "serve a wasi:http/proxy component over HTTP (like wasmtime serve)",
    .details =
        "Every request gets a fresh instance of the component, run by a pool of guest\n"
        "workers off the HTTP threads, with a deadline (--timeout) and a memory cap\n"
        "(--max-memory); its response is streamed to the client as the guest writes it.\n"
        "Framing is strict (RFC 9112): ambiguous requests get a 400 and are closed.\n"
        "Outgoing requests (wasi:http/outgoing-handler) are denied (HTTP-request-denied)\n"
        "unless --allow-http names the host; a transfer takes at most 30s (and --timeout).\n"
        "Logs go to stderr, one line per event, escaped; so do the guests' stdout and\n"
        "stderr lines unless --inherit-stdio.  Runs until SIGINT or SIGTERM, which\n"
        "give running guests 1s, then interrupt them.  With -o json, one line\n"
        "{\"success\":true,\"addr\":...,\"port\":N} on stdout once it listens.\n",
    .opts = serve_opts,
    .nopts = LAT_CLI_NOPTS(serve_opts),
    .examples = "  lattice serve build/examples/hello_http.component.wasm --addr 127.0.0.1:8080\n"
                "  lattice serve app.wasm --addr '[::1]:8080' --timeout 30s --max-memory 64MiB\n"
                "  lattice serve app.wasm --addr 127.0.0.1:0 --allow-http api.example.com:443\n"
                "  curl http://127.0.0.1:8080/\n",
    .exit_status = "0 stopped by a signal, 1 error (cannot load or listen), 2 usage error.",
    .min_pos = 1,
    .max_pos = 1,
    .pos_name = "COMPONENT.wasm",
};

int lat_cli_serve(int argc, char **argv) {
  addr = "127.0.0.1:8080";
  log_level = NULL;
  inherit_stdio = false;
  threads_n = max_body = workers_n = queue_n = max_conn = max_per_ip = 0;
  header_timeout_ns = body_timeout_ns = 0;
  timeout_ns = SERVE_TIMEOUT_NS;
  max_memory = SERVE_MAX_MEMORY;
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
  ho.header_timeout_ns = header_timeout_ns;
  ho.body_timeout_ns = body_timeout_ns;
  ho.inherit_stdio = inherit_stdio;
  ho.client.allow = allow_l.v;
  lat_host_component_opts_t co;
  memset(&co, 0, sizeof co);
  co.limits.max_memory_bytes = max_memory;
  co.compiled = compiled_tier && !interpreted_tier;
  const char *file = a.pos[0];
  lat_host_component_t *comp = NULL;
  lat_host_http_t *srv = NULL;
  rc = 2;
  if (threads_n > 1024 || workers_n > 4096) {
    lat_cli_fail(&a, 2, "--threads: at most 1024, --workers: at most 4096");
    goto out;
  }
  if (queue_n > 1000000 || max_conn > 1000000 || max_per_ip > 1000000) {
    lat_cli_fail(&a, 2, "--queue, --max-connections, --max-per-ip: at most 1000000");
    goto out;
  }
  if (header_timeout_ns > 3600ull * 1000000000ull || body_timeout_ns > 3600ull * 1000000000ull) {
    lat_cli_fail(&a, 2, "--header-timeout, --body-timeout: at most 1h");
    goto out;
  }
  ho.threads = (unsigned)threads_n;
  ho.workers = (unsigned)workers_n;
  ho.queue = (unsigned)queue_n;
  ho.max_connections = (unsigned)max_conn;
  ho.max_per_ip = (unsigned)max_per_ip;
  lat_log_config_t lc = {.level = LAT_LOG_INFO, .format = LAT_LOG_TEXT, .fd = 2};
  if (log_level && lat_log_level_parse(log_level, &lc.level)) {
    lat_cli_fail(&a, 2, "bad --log-level '%s' (error|warn|info|debug|off)", log_level);
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
  /* a free region for every worker's store, and a few to spare */
  co.pool_regions = (ho.workers ? ho.workers : lat_host_http_default_workers()) + 4u;
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
  lat_cli_block_signals(&set, false);
  lat_log_configure(&lc);
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
  LAT_LOG(LAT_LOG_INFO, "serve", "stopping", LAT_KV_STR("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
  rc = 0;
out:
  lat_host_http_free(srv);
  lat_host_component_free(comp);
  lat_cli_args_fini(&a);
  return rc;
}
