/* cli_serve.c: `lattice serve COMPONENT.wasm [--addr HOST:PORT]`, an HTTP
 * server for wasi:http/proxy components, like `wasmtime serve`.
 *
 * Approach: the component is decoded and linked once (lat_cpre_t, immutable
 * and shared by every thread); each request gets a fresh store, WASI
 * context and instance, so requests are isolated from each other and a
 * trap harms nothing but its own response (a 500).  HTTP is libmicrohttpd
 * (Debian's libmicrohttpd-dev) with its internal thread pool, one thread
 * per core by default (--threads): a pool thread runs the guest to
 * completion, so requests run concurrently on all cores.  The request body
 * is buffered (capped by --max-body, 413 beyond) and so is the response;
 * the guest is synchronous, so streaming would buy little here.  Stores
 * take their memory and stack reservations from one lat_wasm_pool_t shared
 * by the pool threads, so a request maps no 4 GiB region of its own.
 * Outgoing requests (wasi:http/outgoing-handler) are denied unless their
 * destination is on the --allow-http list, which is handed to every
 * exchange as is (the matching is wasi_http.c's).
 *
 * Rejected: a hand-written HTTP/1.1 parser (libmicrohttpd is well kept,
 * packaged and fuzzed; parsing HTTP is not this project's job); one
 * thread per connection (a slow client would hold a thread, and hundreds
 * of connections mean hundreds of threads); warm instance reuse (breaks
 * the isolation default; a later opt-in).
 *
 * Logging: one line per failed request and per start/stop on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../component/component.h"
#include "../wasi/wasi.h"
#include "cli.h"

#define SERVE_MAX_HEADERS 256u
#define SERVE_MAX_ALLOW 64u

typedef struct {
  lat_component_t *comp;
  lat_clinker_t *l;
  lat_cpre_t *pre;
  lat_wasm_limits_t limits; /* limits.pool: sv.pool */
  lat_wasm_pool_t *pool;
  uint64_t timeout_ns;  /* per request; 0 = none */
  uint64_t max_body;
  int null_fd;          /* /dev/null, the guests' stdin */
  unsigned threads;
  const char *allow[SERVE_MAX_ALLOW]; /* --allow-http values (argv's) */
  lat_wasi_http_client_t client;      /* .allow is allow */
} serve_t;

/* Per request, from the URI callback to the completion callback. */
typedef struct {
  char *uri;        /* raw request target, with the query */
  lat_buf_t body;
  bool started;
  bool too_big;
} serve_req_t;

static void logf_(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(const char *level, const char *fmt, ...) {
  char ts[32];
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s %s serve %s\n", ts, level, msg);
}

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *conn) {
  (void)cls;
  (void)conn;
  serve_req_t *r = lat_calloc(1, sizeof *r);
  if (!r) return NULL;
  r->uri = strdup(uri ? uri : "/");
  lat_buf_init(&r->body);
  return r;
}

static void done_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
                    enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)conn;
  (void)toe;
  serve_req_t *r = *req_cls;
  if (!r) return;
  free(r->uri);
  lat_buf_fini(&r->body);
  lat_free(r);
  *req_cls = NULL;
}

typedef struct {
  lat_wasi_http_header_t *v;
  size_t n;
  const char *host;
} hdrs_t;

static enum MHD_Result hdr_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value) {
  (void)kind;
  hdrs_t *h = cls;
  if (h->n >= SERVE_MAX_HEADERS) return MHD_NO;
  if (!value) value = "";
  /* a field name is a token (RFC 9110); others are not passed on: the
   * guest sees names as `string`, which must be UTF-8 */
  for (const char *p = key; *p; p++)
    if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) return MHD_YES;
  if (!strcasecmp(key, "host")) h->host = value;
  h->v[h->n++] = (lat_wasi_http_header_t){
      .name = key, .name_len = strlen(key), .value = value, .value_len = strlen(value)};
  return MHD_YES;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
                                 const char *text) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, "content-type", "text/plain; charset=utf-8");
  enum MHD_Result ret = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static bool skip_header(const lat_wasi_http_header_t *h) {
  static const char *const skip[] = {"content-length", "transfer-encoding", "connection"};
  for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
    if (h->name_len == strlen(skip[i]) && !strncasecmp(h->name, skip[i], h->name_len))
      return true;
  return false;
}

/* Runs the guest for one request and queues its response (or a 500). */
static enum MHD_Result run_request(serve_t *sv, struct MHD_Connection *conn,
                                   const char *method, serve_req_t *rq) {
  lat_wasi_http_header_t hv[SERVE_MAX_HEADERS];
  hdrs_t hd = {.v = hv};
  MHD_get_connection_values(conn, MHD_HEADER_KIND, hdr_cb, &hd);
  lat_wasi_http_request_t req = {
      .method = method,
      .path_with_query = rq->uri,
      .authority = hd.host,
      .headers = hv,
      .nheaders = hd.n,
      .body = rq->body.data,
      .body_len = rq->body.len,
  };
  lat_error_t err;
  lat_error_clear(&err);
  lat_wasm_store_t *s = NULL;
  lat_wasi_t *w = NULL;
  lat_wasi_p2_t *p2 = NULL;
  lat_wasi_http_t *h = NULL;
  lat_cinstance_t *ci = NULL;
  lat_arena_t arena;
  lat_arena_init(&arena);
  enum MHD_Result ret;
  const char *argv0 = "serve";
  lat_wasi_config_t cfg = {.argv = &argv0, .argc = 1, .stdin_fd = sv->null_fd,
                           .stdout_fd = 1, .stderr_fd = 2};
  if (lat_wasm_store_new(&sv->limits, &s) || lat_wasi_new(&cfg, &w, &err) ||
      lat_wasi_p2_new(w, &p2) || lat_wasi_http_new(&req, &h)) {
    logf_("ERROR", "out of memory path=%s", rq->uri);
    ret = send_text(conn, 500, "internal server error\n");
    goto out;
  }
  lat_wasi_http_set_client(h, &sv->client);
  lat_wasi_p2_set_http(p2, h);
  if (sv->timeout_ns) {
    uint64_t dl = lat_now_ns() + sv->timeout_ns;
    lat_wasm_store_set_deadline(s, dl);
    lat_wasi_set_deadline(w, dl);
  }
  lat_status st = lat_cinstance_new_pre(s, sv->pre, p2, &ci, &err);
  if (!st) st = lat_wasi_http_handle(h, sv->l, ci, &arena, &err);
  lat_wasi_http_response_t resp;
  memset(&resp, 0, sizeof resp);
  if (!st && (st = lat_wasi_http_response(h, &resp)))
    lat_error_set(&err, st, SIZE_MAX,
                  st == LAT_ELIMIT ? "the response body is over the server's limit"
                                   : "the response could not be collected");
  if (st || !resp.ok) {
    if (st == LAT_TRAP)
      logf_("WARN", "guest trapped method=%s path=%s reason=\"%s\"", method, rq->uri, err.msg);
    else if (st)
      logf_("ERROR", "request failed method=%s path=%s status=%s reason=\"%s\"", method,
            rq->uri, lat_status_message(st), err.msg);
    else
      logf_("WARN", "guest sent no response method=%s path=%s", method, rq->uri);
    ret = send_text(conn, 500, st == LAT_TRAP ? "internal server error: the component trapped\n"
                                              : "internal server error\n");
    goto out;
  }
  struct MHD_Response *mr = MHD_create_response_from_buffer(
      resp.body_len, (void *)resp.body, MHD_RESPMEM_MUST_COPY);
  if (!mr) {
    ret = MHD_NO;
    goto out;
  }
  for (size_t i = 0; i < resp.nheaders; i++) {
    const lat_wasi_http_header_t *x = &resp.headers[i];
    if (skip_header(x)) continue;
    char name[256];
    if (x->name_len >= sizeof name) continue;
    memcpy(name, x->name, x->name_len);
    name[x->name_len] = 0;
    /* values were checked for CR/LF/NUL when the guest set them */
    char *val = strndup(x->value, x->value_len);
    if (val) MHD_add_response_header(mr, name, val);
    free(val);
  }
  ret = MHD_queue_response(conn, resp.status, mr);
  MHD_destroy_response(mr);
out:
  lat_arena_fini(&arena);
  lat_cinstance_free(ci);
  lat_wasm_store_free(s);
  lat_wasi_p2_free(p2);
  lat_wasi_free(w);
  lat_wasi_http_free(h);
  return ret;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls) {
  (void)url;
  (void)version;
  serve_t *sv = cls;
  serve_req_t *rq = *req_cls;
  if (!rq) return MHD_NO; /* out of memory in uri_cb */
  if (!rq->started) {
    rq->started = true;
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (!rq->too_big) {
      if (rq->body.len + *upload_data_size > sv->max_body ||
          lat_buf_append(&rq->body, upload_data, *upload_data_size))
        rq->too_big = true;
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (rq->too_big) return send_text(conn, 413, "request body too large\n");
  /* a request target is printable ASCII (RFC 3986); anything else would be
   * an invalid `string` for the guest, and would reach the log */
  for (const char *p = rq->uri; *p; p++)
    if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
      return send_text(conn, 400, "bad request target\n");
  return run_request(sv, conn, method, rq);
}

static bool exports_handler(const lat_component_t *c) {
  for (uint32_t i = 0; i < lat_component_export_count(c); i++) {
    const lat_cname_t *n = &lat_component_export(c, i)->name;
    if (n->kind == LAT_CNAME_INTERFACE && !strcmp(n->ns, "wasi") &&
        !strcmp(n->pkg, "http") && !strcmp(n->iface, "incoming-handler"))
      return true;
  }
  return false;
}

static bool parse_addr(const char *s, struct sockaddr_in *out) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || colon - s >= 64) return false;
  char host[64];
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535 || end == colon + 1) return false;
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)port);
  if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
  return inet_pton(AF_INET, host, &out->sin_addr) == 1;
}

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
  serve_t sv;
  memset(&sv, 0, sizeof sv);
  sv.max_body = 16u << 20;
  sv.null_fd = -1;
  sv.client.allow = sv.allow;
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  sv.threads = nproc > 0 ? (unsigned)nproc : 2;
  const char *file = NULL, *addr = "127.0.0.1:8080";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool more = i + 1 < argc;
    if (!strcmp(a, "--addr") && more) addr = argv[++i];
    else if (!strcmp(a, "--threads") && more) {
      long t = strtol(argv[++i], NULL, 10);
      if (t < 1 || t > 1024) {
        fprintf(stderr, "lattice serve: bad --threads\n");
        return 2;
      }
      sv.threads = (unsigned)t;
    } else if (!strcmp(a, "--timeout") && more) {
      if (!lat_cli_parse_duration(argv[++i], &sv.timeout_ns)) {
        fprintf(stderr, "lattice serve: bad --timeout\n");
        return 2;
      }
    } else if (!strcmp(a, "--max-body") && more) {
      if (!lat_cli_parse_size(argv[++i], &sv.max_body)) {
        fprintf(stderr, "lattice serve: bad --max-body\n");
        return 2;
      }
    } else if (!strcmp(a, "--max-memory") && more) {
      if (!lat_cli_parse_size(argv[++i], &sv.limits.max_memory_bytes)) {
        fprintf(stderr, "lattice serve: bad --max-memory\n");
        return 2;
      }
    } else if (!strcmp(a, "--allow-http") && more) {
      if (!lat_wasi_http_allow_valid(argv[++i])) {
        fprintf(stderr, "lattice serve: bad --allow-http '%s' (want HOST or HOST:PORT)\n",
                argv[i]);
        return 2;
      }
      if (sv.client.nallow == SERVE_MAX_ALLOW) {
        fprintf(stderr, "lattice serve: more than %u --allow-http\n", SERVE_MAX_ALLOW);
        return 2;
      }
      sv.allow[sv.client.nallow++] = argv[i];
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
  struct sockaddr_in sa;
  if (!parse_addr(addr, &sa)) {
    fprintf(stderr, "lattice serve: bad --addr '%s' (want IPv4:PORT)\n", addr);
    return 2;
  }
  int rc = 1;
  lat_error_t err;
  lat_error_clear(&err);
  uint8_t *data = NULL;
  size_t len = 0;
  struct MHD_Daemon *d = NULL;
  if (lat_file_read(file, &data, &len, &err) ||
      lat_component_new(data, len, NULL, &sv.comp, &err)) {
    fprintf(stderr, "lattice serve: %s: %s\n", file, err.msg);
    goto out;
  }
  if (!exports_handler(sv.comp)) {
    fprintf(stderr, "lattice serve: %s: the component does not export "
                    "wasi:http/incoming-handler (0.2.x)\n", file);
    goto out;
  }
  if (lat_clinker_new(&sv.l) || lat_wasi_p2_add_to_linker(sv.l, &err)) {
    fprintf(stderr, "lattice serve: WASI 0.2 host: %s\n", err.msg);
    goto out;
  }
  if (lat_cpre_new(sv.comp, sv.l, &sv.pre, &err)) {
    fprintf(stderr, "lattice serve: %s: link error: %s\n", file, err.msg);
    goto out;
  }
  if (lat_wasm_pool_new(4u * sv.threads, &sv.pool)) {
    fprintf(stderr, "lattice serve: out of memory\n");
    goto out;
  }
  sv.limits.pool = sv.pool;
  sv.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  /* signals go to this thread only: block them before the pool starts */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
                       0, NULL, NULL, access_cb, &sv,
                       MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&sa,
                       MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)sv.threads,
                       MHD_OPTION_URI_LOG_CALLBACK, uri_cb, (void *)&sv,
                       MHD_OPTION_NOTIFY_COMPLETED, done_cb, (void *)&sv,
                       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
                       MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096,
                       MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "lattice serve: cannot listen on %s: %s\n", addr, strerror(errno));
    goto out;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
  logf_("INFO", "listening url=http://%s:%u component=%s threads=%u", host,
        info ? (unsigned)info->port : (unsigned)ntohs(sa.sin_port), file, sv.threads);
  fflush(stderr);
  int sig = 0;
  sigwait(&set, &sig);
  logf_("INFO", "stopping signal=%d", sig);
  rc = 0;
out:
  if (d) MHD_stop_daemon(d);
  if (sv.null_fd >= 0) close(sv.null_fd);
  lat_cpre_free(sv.pre);
  lat_wasm_pool_free(sv.pool);
  lat_clinker_free(sv.l);
  lat_component_free(sv.comp);
  lat_free(data);
  return rc;
}
