/* Fuzz target: the HTTP/1.1 request-head parser and the chunked decoder
 * (src/http/http_parse.c), the bytes every client can send us.
 *
 * The first byte picks where the input is split: the head is fed in two
 * calls (the incremental path), then, when it is done and says chunked,
 * what follows goes to the chunked decoder in two calls too.
 * Properties checked beyond "no crash": the incremental answer equals the
 * whole-input answer; every pointer of a parsed head lies inside the input;
 * names are tokens and values hold no CR, LF or NUL; an error has a 4xx/5xx
 * status and a reason; the decoder never reports using more than it was
 * given and its body length equals its data total; the escaper writes only
 * printable ASCII. */
#include <string.h>

#include "fuzz.h"
#include "http/http.h"

#define CHECK_OR_TRAP(e) \
  do {                   \
    if (!(e)) __builtin_trap(); \
  } while (0)

static bool inside(const uint8_t *d, size_t n, const char *p, size_t len) {
  return (const uint8_t *)p >= d && len <= n && (size_t)((const uint8_t *)p - d) <= n - len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t split = data[0];
  const uint8_t *d = data + 1;
  size_t n = size - 1;
  if (split > n) split = n;
  lat_http_limits_t lim;
  lat_http_limits_default(&lim);
  lim.max_headers = 16;
  lim.max_head_bytes = 2048;
  lim.max_chunk_line = 64;
  lim.max_trailer_bytes = 256;
  lim.max_trailers = 4;

  lat_http_parser_t whole, inc;
  lat_http_parser_init(&whole, &lim);
  lat_http_parser_init(&inc, &lim);
  lat_http_request_t r, r2;
  lat_http_progress_t a = lat_http_parse_head(&whole, d, n, &r);
  lat_http_progress_t b = lat_http_parse_head(&inc, d, split, &r2);
  if (b == LAT_HTTP_MORE) b = lat_http_parse_head(&inc, d, n, &r2);
  CHECK_OR_TRAP(a == b);
  if (a == LAT_HTTP_ERROR) {
    CHECK_OR_TRAP(whole.status >= 400 && whole.status <= 599 && whole.reason);
    CHECK_OR_TRAP(whole.status == inc.status);
  }
  if (a == LAT_HTTP_DONE) {
    CHECK_OR_TRAP(r.head_len == r2.head_len && r.head_len <= n);
    CHECK_OR_TRAP(inside(d, r.head_len, r.method, r.method_len));
    CHECK_OR_TRAP(inside(d, r.head_len, r.target, r.target_len) && r.target_len > 0);
    CHECK_OR_TRAP(r.version_minor <= 1);
    CHECK_OR_TRAP(!(r.chunked && r.has_content_length));
    for (size_t i = 0; i < r.header_count; i++) {
      const lat_http_header_t *h = &r.headers[i];
      CHECK_OR_TRAP(inside(d, r.head_len, h->name, h->name_len) && h->name_len > 0);
      CHECK_OR_TRAP(inside(d, r.head_len, h->value, h->value_len));
      for (size_t k = 0; k < h->name_len; k++)
        CHECK_OR_TRAP(h->name[k] > 0x20 && h->name[k] < 0x7f && h->name[k] != ':');
      for (size_t k = 0; k < h->value_len; k++)
        CHECK_OR_TRAP(h->value[k] != '\r' && h->value[k] != '\n' && h->value[k] != 0);
    }
    if (r.chunked) {
      const uint8_t *bd = d + r.head_len;
      size_t bn = n - r.head_len, cut = bn / 2, used1 = 0, used2 = 0;
      lat_http_chunked_t c;
      lat_http_chunked_init(&c, &lim);
      lat_buf_t body;
      lat_buf_init(&body);
      lat_http_progress_t p = lat_http_chunked_decode(&c, bd, cut, 1000, &body, &used1);
      CHECK_OR_TRAP(used1 <= cut);
      if (p == LAT_HTTP_MORE) {
        CHECK_OR_TRAP(used1 == cut);
        p = lat_http_chunked_decode(&c, bd + cut, bn - cut, 1000, &body, &used2);
        CHECK_OR_TRAP(used2 <= bn - cut);
      }
      CHECK_OR_TRAP(body.len == c.total && body.len <= 1000);
      if (p == LAT_HTTP_ERROR) CHECK_OR_TRAP(c.status >= 400 && c.reason);
      lat_buf_fini(&body);
    }
  }
  char esc[128];
  size_t e = lat_http_escape(esc, sizeof esc, d, n);
  CHECK_OR_TRAP(e < sizeof esc && esc[e] == 0);
  for (size_t i = 0; i < e; i++) CHECK_OR_TRAP(esc[i] >= 0x20 && esc[i] < 0x7f);
  lat_http_parser_fini(&whole);
  lat_http_parser_fini(&inc);
  return 0;
}
