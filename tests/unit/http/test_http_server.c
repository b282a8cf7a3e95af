/* Unit tests for the src/http server API: what lat_http_respond_* refuse
 * (final statuses outside 200..599, header injection, the server's own
 * framing fields, writes past the announced length or the window), that a
 * refused start leaves the exchange usable, and the server lifecycle
 * (port 0, free with nothing in flight, free(NULL)).  The raw-socket
 * behaviour is tests/http/run.py's. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"
#include "test.h"

typedef struct {
  lat_status st[16];
  int n;
} results_t;

static void record(results_t *r, lat_status s) {
  if (r->n < 16) r->st[r->n++] = s;
}

static void api_handler(void *ctx, lat_http_exchange_t *ex, const lat_http_request_t *req,
                        const uint8_t *body, size_t body_len) {
  (void)req;
  (void)body;
  (void)body_len;
  results_t *r = ctx;
  lat_http_header_t bad_val = {"X-A", 3, "a\r\nSet-Cookie: x", 16};
  lat_http_header_t bad_name = {"X A", 3, "v", 1};
  lat_http_header_t own_cl = {"content-length", 14, "1", 1};
  lat_http_header_t own_conn = {"Connection", 10, "close", 5};
  lat_http_header_t ok = {"X-Ok", 4, "yes", 3};
  record(r, lat_http_respond_start(ex, 100, NULL, 0, 0));  /* 0 */
  record(r, lat_http_respond_start(ex, 101, NULL, 0, 0));  /* 1 */
  record(r, lat_http_respond_start(ex, 600, NULL, 0, 0));  /* 2 */
  record(r, lat_http_respond_start(ex, 199, NULL, 0, 0));  /* 3 */
  record(r, lat_http_respond_start(ex, 200, &bad_val, 1, 2));  /* 4 */
  record(r, lat_http_respond_start(ex, 200, &bad_name, 1, 2)); /* 5 */
  record(r, lat_http_respond_start(ex, 200, &own_cl, 1, 2));   /* 6 */
  record(r, lat_http_respond_start(ex, 200, &own_conn, 1, 2)); /* 7 */
  record(r, lat_http_respond_write(ex, "x", 1));               /* 8: before start */
  record(r, lat_http_respond_start(ex, 299, &ok, 1, 2));       /* 9 */
  record(r, lat_http_respond_start(ex, 200, NULL, 0, 2));      /* 10: twice */
  record(r, lat_http_respond_write(ex, "abc", 3));             /* 11: past the length */
  record(r, lat_http_respond_wait(ex, 1, 10));                 /* 12: on the I/O thread */
  record(r, lat_http_respond_write(ex, "ok", 2));              /* 13 */
  record(r, lat_http_respond_end(ex));                         /* 14 */
}

static int connect_port(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends req and reads until the server closes (Connection: close). */
static size_t exchange(uint16_t port, const char *req, char *out, size_t cap) {
  int fd = connect_port(port);
  if (fd < 0) return 0;
  size_t n = 0;
  if (write(fd, req, strlen(req)) == (ssize_t)strlen(req)) {
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, out + n, cap - 1 - n)) > 0) n += (size_t)r;
  }
  out[n] = 0;
  close(fd);
  return n;
}

TEST_IMPL(http_server_respond_refusals) {
  results_t res = {{LAT_OK}, 0};
  lat_http_server_config_t cfg;
  lat_http_server_config_default(&cfg);
  cfg.addr = "127.0.0.1:0";
  cfg.threads = 1;
  cfg.handler = api_handler;
  cfg.handler_ctx = &res;
  lat_http_server_t *srv = NULL;
  REQUIRE_OK(lat_http_server_new(&cfg, &srv, NULL));
  CHECK(lat_http_server_port(srv) != 0);
  char out[2048];
  exchange(lat_http_server_port(srv), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out,
           sizeof out);
  lat_http_server_free(srv);
  REQUIRE(res.n == 15);
  for (int i = 0; i <= 8; i++) CHECK_ST(res.st[i], LAT_EARG);
  CHECK_OK(res.st[9]);
  CHECK_ST(res.st[10], LAT_EARG);
  CHECK_ST(res.st[11], LAT_EARG);
  CHECK_ST(res.st[12], LAT_EARG);
  CHECK_OK(res.st[13]);
  CHECK_OK(res.st[14]);
  CHECK(strncmp(out, "HTTP/1.1 299 \r\n", 15) == 0);
  CHECK(strstr(out, "\r\nX-Ok: yes\r\n") != NULL);
  CHECK(strstr(out, "Connection: close\r\n\r\nok") != NULL);
  CHECK(strstr(out, "Set-Cookie") == NULL);
}

static void end_only_handler(void *ctx, lat_http_exchange_t *ex, const lat_http_request_t *req,
                             const uint8_t *body, size_t body_len) {
  (void)ctx;
  (void)req;
  (void)body;
  (void)body_len;
  lat_http_respond_end(ex); /* never started: the server sends a 500 */
}

TEST_IMPL(http_server_lifecycle) {
  lat_http_server_free(NULL);
  lat_http_server_config_t cfg;
  lat_http_server_config_default(&cfg);
  cfg.addr = "nonsense";
  cfg.handler = end_only_handler;
  lat_http_server_t *srv = NULL;
  lat_error_t err;
  CHECK_ST(lat_http_server_new(&cfg, &srv, &err), LAT_EARG);
  CHECK(srv == NULL);
  cfg.addr = "127.0.0.1:0";
  cfg.handler = NULL;
  CHECK_ST(lat_http_server_new(&cfg, &srv, NULL), LAT_EARG);
  cfg.handler = end_only_handler;
  cfg.threads = 2;
  REQUIRE_OK(lat_http_server_new(&cfg, &srv, NULL));
  char out[1024];
  exchange(lat_http_server_port(srv), "GET / HTTP/1.0\r\n\r\n", out, sizeof out);
  CHECK(strncmp(out, "HTTP/1.1 500 ", 13) == 0);
  exchange(lat_http_server_port(srv), "GET / HTTP/1.1\r\n\r\n", out, sizeof out);
  CHECK(strncmp(out, "HTTP/1.1 400 ", 13) == 0);
  CHECK(strstr(out, "no Host header") != NULL);
  lat_http_server_shutdown(srv);
  lat_http_server_shutdown(srv);
  lat_http_server_free(srv);
}
