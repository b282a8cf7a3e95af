/* host_http.c: serving a wasi:http/proxy component over HTTP/1.1, a fresh
 * instance per request (`lattice serve`, and the lattice host's built-in
 * HTTP server).
 *
 * Approach: the component is decoded and pre-linked once
 * (lat_host_component_t, shared by every thread, with a reservation pool);
 * each request gets a fresh instance (lat_host_instance_t), so requests are
 * isolated from each other and a trap harms nothing but its own response (a
 * 500).  HTTP is libmicrohttpd (Debian's libmicrohttpd-dev) with its
 * internal thread pool, one thread per core by default: a pool thread runs
 * the guest to completion.  The request body is buffered (capped by
 * max_body, 413 beyond) and so is the response.  Outgoing requests
 * (wasi:http/outgoing-handler) follow the allow-list handed to every
 * exchange as is (the matching is wasi_http.c's).
 *
 * Rejected: a hand-written HTTP/1.1 parser (libmicrohttpd is well kept,
 * packaged and fuzzed); one thread per connection (a slow client would hold
 * a thread); warm instance reuse (breaks the isolation default).
 *
 * Logging: one line per failed request and per start/stop on stderr.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

#define SERVE_MAX_HEADERS 256u

struct lat_host_http {
  lat_host_component_t *comp; /* borrowed */
  uint64_t timeout_ns;        /* per request; 0 = none */
  uint64_t max_body;
  unsigned threads;
  lat_wasi_http_client_t client; /* the opts' (allow list borrowed) */
  struct MHD_Daemon *d;
  uint16_t port;
};
typedef struct lat_host_http serve_t;

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
  fprintf(stderr, "%s %s http %s\n", ts, level, msg);
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
  lat_wasi_http_t *h = NULL;
  lat_host_instance_t *in = NULL;
  enum MHD_Result ret;
  if (lat_wasi_http_new(&req, &h)) {
    logf_("ERROR", "out of memory path=%s", rq->uri);
    ret = send_text(conn, 500, "internal server error\n");
    goto out;
  }
  lat_wasi_http_set_client(h, &sv->client);
  lat_host_instance_opts_t io = {.timeout_ns = sv->timeout_ns, .http = h};
  lat_status st = lat_host_instance_new(sv->comp, &io, &in, &err);
  if (!st) st = lat_host_instance_start(in, &err);
  if (!st)
    st = lat_wasi_http_handle(h, lat_host_component_linker(sv->comp),
                              lat_host_instance_cinstance(in), lat_host_instance_arena(in), &err);
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
  lat_host_instance_free(in);
  lat_wasi_http_free(h); /* last: it owns the bodies */
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

lat_status lat_host_http_new(lat_host_component_t *c, const lat_host_http_opts_t *opts,
                             lat_host_http_t **out, lat_error_t *err) {
  *out = NULL;
  if (!lat_host_component_exports(c, "wasi", "http", "incoming-handler"))
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "the component does not export wasi:http/incoming-handler (0.2.x)");
  struct sockaddr_in sa;
  const char *addr = opts->addr ? opts->addr : "127.0.0.1:8080";
  if (!parse_addr(addr, &sa))
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad address '%s' (want IPv4:PORT)", addr);
  serve_t *sv = lat_calloc(1, sizeof *sv);
  if (!sv) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  sv->comp = c;
  sv->timeout_ns = opts->timeout_ns;
  sv->max_body = opts->max_body ? opts->max_body : 16u << 20;
  sv->client = opts->client;
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  sv->threads = opts->threads ? opts->threads : nproc > 0 ? (unsigned)nproc : 2;
  sv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
                           0, NULL, NULL, access_cb, sv,
                           MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&sa,
                           MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)sv->threads,
                           MHD_OPTION_URI_LOG_CALLBACK, uri_cb, (void *)sv,
                           MHD_OPTION_NOTIFY_COMPLETED, done_cb, (void *)sv,
                           MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
                           MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096,
                           MHD_OPTION_END);
  if (!sv->d) {
    lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot listen on %s: %s", addr, strerror(errno));
    lat_free(sv);
    return LAT_EIO;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
  sv->port = info ? (uint16_t)info->port : ntohs(sa.sin_port);
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
  logf_("INFO", "listening url=http://%s:%u threads=%u", host, (unsigned)sv->port, sv->threads);
  *out = sv;
  return LAT_OK;
}

uint16_t lat_host_http_port(const lat_host_http_t *h) { return h->port; }

void lat_host_http_free(lat_host_http_t *h) {
  if (!h) return;
  if (h->d) MHD_stop_daemon(h->d);
  lat_free(h);
}
