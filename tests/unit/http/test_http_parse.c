/* Unit tests for src/http/http_parse.c: the strict request-head parser
 * (every case of the lattice serve probe: smuggling, lenient bytes, caps),
 * the chunked decoder and the log escaper.  Each request is also fed one
 * byte at a time, which must give the same answer as feeding it whole. */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "test.h"

/* Parses s whole; returns 0 for DONE, -1 for MORE, else the error status. */
static int parse_lim(const char *s, size_t n, const lat_http_limits_t *lim,
                     lat_http_request_t *out_r) {
  lat_http_parser_t p;
  lat_http_parser_init(&p, lim);
  lat_http_progress_t pr = lat_http_parse_head(&p, (const uint8_t *)s, n, out_r);
  int res = pr == LAT_HTTP_DONE ? 0 : pr == LAT_HTTP_MORE ? -1 : p.status;
  if (pr == LAT_HTTP_ERROR) CHECK(p.reason != NULL);
  /* byte by byte gives the same answer (an error may come sooner) */
  lat_http_parser_t q;
  lat_http_parser_init(&q, lim);
  lat_http_request_t r2;
  int res2 = -1;
  for (size_t i = 1; i <= n && res2 == -1; i++) {
    lat_http_progress_t p2 = lat_http_parse_head(&q, (const uint8_t *)s, i, &r2);
    if (p2 == LAT_HTTP_DONE) res2 = 0;
    else if (p2 == LAT_HTTP_ERROR) res2 = q.status;
  }
  CHECK_EQ_INT(res2, res);
  lat_http_parser_fini(&q);
  lat_http_parser_fini(&p); /* out_r->headers dies here; tests read scalars */
  return res;
}
static int parse(const char *s, lat_http_request_t *out_r) {
  return parse_lim(s, strlen(s), NULL, out_r);
}
static int status_of(const char *s) {
  lat_http_request_t r;
  return parse(s, &r);
}

TEST_IMPL(http_parse_valid_get) {
  const char *s = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nX-A:  v 1 \t\r\n\r\nNEXT";
  lat_http_parser_t p;
  lat_http_parser_init(&p, NULL);
  lat_http_request_t r;
  REQUIRE(lat_http_parse_head(&p, (const uint8_t *)s, strlen(s), &r) == LAT_HTTP_DONE);
  CHECK_EQ_MEM(r.method, "GET", 3);
  CHECK_EQ_UINT(r.method_len, 3);
  CHECK_EQ_UINT(r.target_len, 8);
  CHECK_EQ_MEM(r.target, "/a/b?x=1", 8);
  CHECK_EQ_UINT(r.version_minor, 1);
  CHECK_EQ_UINT(r.header_count, 2);
  CHECK_EQ_UINT(r.headers[1].value_len, 3); /* trimmed both sides, inner kept */
  CHECK_EQ_MEM(r.headers[1].value, "v 1", 3);
  CHECK_EQ_UINT(r.host_len, 16);
  CHECK(r.keep_alive);
  CHECK(!r.has_content_length && !r.chunked && !r.expect_continue && !r.head_method);
  CHECK_EQ_UINT(r.head_len, strlen(s) - 4); /* the pipelined "NEXT" is not taken */
  /* called again (buffer moved): the same request */
  lat_http_request_t r2;
  CHECK(lat_http_parse_head(&p, (const uint8_t *)s, strlen(s), &r2) == LAT_HTTP_DONE);
  CHECK_EQ_UINT(r2.head_len, r.head_len);
  lat_http_parser_reset(&p);
  CHECK(lat_http_parse_head(&p, (const uint8_t *)"GET", 3, &r2) == LAT_HTTP_MORE);
  lat_http_parser_fini(&p);
  lat_http_parser_fini(NULL);
}

TEST_IMPL(http_parse_framing) {
  lat_http_request_t r;
  CHECK_EQ_INT(parse("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\n\r\n", &r), 0);
  CHECK(r.has_content_length);
  CHECK_EQ_UINT(r.content_length, 42);
  CHECK_EQ_INT(parse("POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ChUnKeD\r\n\r\n", &r), 0);
  CHECK(r.chunked);
  CHECK_EQ_INT(parse("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n"
                     "Expect: 100-continue\r\n\r\n", &r), 0);
  CHECK(r.expect_continue);
  CHECK_EQ_UINT(r.content_length, 1073741824u);
  /* (2) smuggling: CL + TE, two CLs, space before the colon */
  CHECK_EQ_INT(status_of("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /status/299 HTTP/1.1\r\n"
                         "Host: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                         "Transfer-Encoding : chunked\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
  /* (5) codings: only chunked, last, once */
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n"), 501);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n"), 417);
}

TEST_IMPL(http_parse_lenient_bytes) {
  /* (8) methods are tokens */
  CHECK_EQ_INT(status_of("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("\x1b[31m / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of(" GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1 \r\nHost: x\r\n\r\n"), 400);
  /* NUL in the path and in a value (the length is explicit: strlen stops) */
  static const char nul_path[] = "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n";
  static const char nul_val[] = "GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n";
  lat_http_request_t r;
  CHECK_EQ_INT(parse_lim(nul_path, sizeof nul_path - 1, NULL, &r), 400);
  CHECK_EQ_INT(parse_lim(nul_val, sizeof nul_val - 1, NULL, &r), 400);
  /* bare CR, bare LF, other controls, DEL */
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\nX: a\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nX: a\x1b[0m\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nX: a\x7f\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9\r\n\r\n"), 0); /* obs-text */
  CHECK_EQ_INT(status_of("GET /\x1b HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  /* folded headers, whitespace before the colon, empty names */
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\tb\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nX : a\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\n: a\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"), 400);
  /* Host: exactly one on 1.1, at most one on 1.0, no junk */
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), 0);
  CHECK_EQ_INT(parse("GET / HTTP/1.0\r\n\r\n", &r), 0);
  CHECK(r.host == NULL);
  CHECK(!r.keep_alive);
}

TEST_IMPL(http_parse_target_version) {
  lat_http_request_t r;
  CHECK_EQ_INT(status_of("GET * HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
  CHECK_EQ_INT(status_of("OPTIONS *x HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
  CHECK_EQ_INT(status_of("GET HTTPS://x/a HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
  CHECK_EQ_INT(status_of("GET x.com:80 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("CONNECT x.com:443 HTTP/1.1\r\nHost: x.com:443\r\n\r\n"), 501);
  CHECK_EQ_INT(status_of("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  CHECK_EQ_INT(status_of("GET / HTTP/1.2\r\nHost: x\r\n\r\n"), 505);
  CHECK_EQ_INT(status_of("GET / HTTP/0.9\r\nHost: x\r\n\r\n"), 505);
  CHECK_EQ_INT(status_of("GET / HTTP/1.10\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET / http/1.1\r\nHost: x\r\n\r\n"), 400);
  CHECK_EQ_INT(status_of("GET /\r\n\r\n"), 400);
  /* an empty line or two before the request line is allowed, not more */
  CHECK_EQ_INT(status_of("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
  CHECK_EQ_INT(status_of("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  /* keep-alive rules, HEAD */
  CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n", &r), 0);
  CHECK(!r.keep_alive);
  CHECK_EQ_INT(parse("HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r), 0);
  CHECK(r.keep_alive);
  CHECK(r.head_method);
  CHECK_EQ_UINT(r.version_minor, 0);
  CHECK_EQ_INT(parse("POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", &r), 0);
  CHECK(!r.expect_continue); /* 1.0 clients do not wait for 100 */
  CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: x", &r), -1);
}

TEST_IMPL(http_parse_caps) {
  lat_http_limits_t lim;
  lat_http_limits_default(&lim);
  lim.max_headers = 256;
  lat_buf_t b;
  lat_buf_init(&b);
  REQUIRE_OK(lat_buf_printf(&b, "GET / HTTP/1.1\r\nHost: x\r\n"));
  for (int i = 0; i < 299; i++) REQUIRE_OK(lat_buf_printf(&b, "X-%d: %d\r\n", i, i));
  REQUIRE_OK(lat_buf_printf(&b, "\r\n"));
  lat_http_request_t r;
  /* (8) 300 headers over a 256 cap: 431, not silently cut */
  CHECK_EQ_INT(parse_lim((const char *)b.data, b.len, &lim, &r), 431);
  lim.max_headers = 300;
  CHECK_EQ_INT(parse_lim((const char *)b.data, b.len, &lim, &r), 0);
  lim.max_head_bytes = 1024;
  CHECK_EQ_INT(parse_lim((const char *)b.data, b.len, &lim, &r), 431);
  /* a bad byte before the cap is reported as such however the bytes were
   * split into reads (found by fuzz_http: 431 whole, 400 byte by byte) */
  b.len = 0;
  REQUIRE_OK(lat_buf_printf(&b, "GET / HTTP/1.1\r\nHost: x\r\nX: a\r b"));
  for (int i = 0; i < 1100; i++) REQUIRE_OK(lat_buf_push(&b, 'a'));
  REQUIRE_OK(lat_buf_printf(&b, "\r\n\r\n"));
  CHECK_EQ_INT(parse_lim((const char *)b.data, b.len, &lim, &r), 400);
  b.len -= 4; /* no LF at all */
  CHECK_EQ_INT(parse_lim((const char *)b.data, b.len, &lim, &r), 400);
  /* a request line alone over the cap is 414, even before its CRLF */
  b.len = 0;
  REQUIRE_OK(lat_buf_printf(&b, "GET /"));
  for (int i = 0; i < 1100; i++) REQUIRE_OK(lat_buf_push(&b, 'a'));
  CHECK_EQ_INT(parse_lim((const char *)b.data, b.len, &lim, &r), 414);
  lat_buf_fini(&b);
}

/* Decodes s whole and byte by byte; returns 0 done, -1 more, else status. */
static int chunked(const char *s, size_t n, uint64_t max_body, lat_buf_t *body, size_t *used) {
  lat_http_chunked_t c;
  lat_http_chunked_init(&c, NULL);
  lat_http_progress_t pr = lat_http_chunked_decode(&c, (const uint8_t *)s, n, max_body, body, used);
  int res = pr == LAT_HTTP_DONE ? 0 : pr == LAT_HTTP_MORE ? -1 : c.status;
  lat_http_chunked_t c2;
  lat_http_chunked_init(&c2, NULL);
  lat_buf_t b2;
  lat_buf_init(&b2);
  int res2 = -1;
  size_t total = 0;
  for (size_t i = 0; i < n && res2 == -1; i++) {
    size_t u = 0;
    pr = lat_http_chunked_decode(&c2, (const uint8_t *)s + i, 1, max_body, &b2, &u);
    total += u;
    res2 = pr == LAT_HTTP_DONE ? 0 : pr == LAT_HTTP_MORE ? -1 : c2.status;
  }
  CHECK_EQ_INT(res2, res);
  if (res == 0) {
    CHECK_EQ_UINT(total, *used);
    CHECK_EQ_UINT(b2.len, body->len);
  }
  lat_buf_fini(&b2);
  return res;
}

TEST_IMPL(http_chunked_decode) {
  lat_buf_t b;
  lat_buf_init(&b);
  size_t used = 0;
  const char *s = "5\r\nhello\r\n1;name=\"v\"\r\n \r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nGET";
  CHECK_EQ_INT(chunked(s, strlen(s), 100, &b, &used), 0);
  CHECK_EQ_UINT(used, strlen(s) - 3);
  CHECK_EQ_UINT(b.len, 16);
  CHECK_EQ_MEM(b.data, "hello 0123456789", 16);
  b.len = 0;
  CHECK_EQ_INT(chunked("5\r\nhel", 6, 100, &b, &used), -1);
  /* strict sizes */
  const char *bad[] = {"0x5\r\nhello\r\n0\r\n\r\n", "+5\r\nhello\r\n0\r\n\r\n",
                       " 5\r\nhello\r\n0\r\n\r\n", "\r\nhello\r\n0\r\n\r\n",
                       "5\nhello\r\n0\r\n\r\n", "5\r\nhelloX\r\n0\r\n\r\n",
                       "5\r\nhello\n0\r\n\r\n", "5;a\x01\r\nhello\r\n0\r\n\r\n",
                       "00000000000000005\r\nhello\r\n0\r\n\r\n", "g\r\n",
                       /* trailers: fold, no colon, bad bytes, bare CR */
                       "0\r\nX: 1\r\n y\r\n\r\n", "0\r\nX\r\n\r\n", "0\r\nX: \x01\r\n\r\n",
                       "0\r\nX: 1\rY\r\n\r\n", "0\r\n\rX"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    b.len = 0;
    int st = chunked(bad[i], strlen(bad[i]), 100, &b, &used);
    if (st != 400) printf("  bad chunked input %zu\n", i);
    CHECK_EQ_INT(st, 400);
  }
  /* 16 hex digits are fine; the body cap is checked on the size line */
  b.len = 0;
  CHECK_EQ_INT(chunked("ffffffffffffffff\r\n", 18, 100, &b, &used), 413);
  b.len = 0;
  CHECK_EQ_INT(chunked("40\r\n", 4, 63, &b, &used), 413);
  b.len = 0;
  CHECK_EQ_INT(chunked("20\r\n0123456789abcdef0123456789abcdef\r\n20\r\n", 42, 63, &b, &used), 413);
  /* extensions and trailers are bounded */
  lat_buf_t big;
  lat_buf_init(&big);
  REQUIRE_OK(lat_buf_printf(&big, "1;"));
  for (int i = 0; i < 300; i++) REQUIRE_OK(lat_buf_push(&big, 'e'));
  b.len = 0;
  CHECK_EQ_INT(chunked((const char *)big.data, big.len, 100, &b, &used), 400);
  big.len = 0;
  REQUIRE_OK(lat_buf_printf(&big, "0\r\n"));
  for (int i = 0; i < 40; i++) REQUIRE_OK(lat_buf_printf(&big, "T%d: v\r\n", i));
  b.len = 0;
  CHECK_EQ_INT(chunked((const char *)big.data, big.len, 100, &b, &used), 431);
  lat_buf_fini(&big);
  lat_buf_fini(&b);
}

TEST_IMPL(http_escape_reason) {
  char out[64];
  CHECK_EQ_UINT(lat_http_escape(out, sizeof out, "G\x1b[T\"\\\n", 7), 19);
  CHECK_EQ_STR(out, "G\\x1b[T\\x22\\x5c\\x0a");
  char small[8];
  lat_http_escape(small, sizeof small, "abcdefghijkl", 12);
  CHECK_EQ_STR(small, "abcd...");
  CHECK_EQ_UINT(lat_http_escape(small, 0, "a", 1), 0);
  CHECK_EQ_STR(lat_http_reason(431), "Request Header Fields Too Large");
  CHECK_EQ_STR(lat_http_reason(299), "");
  CHECK(lat_http_name_eq("Content-LENGTH", 14, "content-length"));
  CHECK(!lat_http_name_eq("Content-Lengt", 13, "content-length"));
}
