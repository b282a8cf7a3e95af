/* Unit tests for the wasi:http client's authority parser, which decides
 * what a guest may put in a URL and what --allow-http accepts: host and
 * port split, IPv6 literals, and the refusals (userinfo, paths, spaces,
 * control characters, empty parts, ports past 65535). */
#include <string.h>

#include "test.h"
#include "wasi/wasi_p2.h"

static int parse(const char *s, char *host, size_t cap) {
  const char *h;
  size_t hl;
  int port = -2;
  if (!lat__http_authority(s, strlen(s), &h, &hl, &port)) return -3;
  if (hl >= cap) return -4;
  memcpy(host, h, hl);
  host[hl] = 0;
  return port;
}

TEST_IMPL(wasi_http_authority_valid) {
  char host[64];
  CHECK_EQ_INT(parse("example.com", host, sizeof host), -1);
  CHECK_EQ_STR(host, "example.com");
  CHECK_EQ_INT(parse("127.0.0.1:8080", host, sizeof host), 8080);
  CHECK_EQ_STR(host, "127.0.0.1");
  CHECK_EQ_INT(parse("[::1]:443", host, sizeof host), 443);
  CHECK_EQ_STR(host, "[::1]");
  CHECK_EQ_INT(parse("[fe80::1]", host, sizeof host), -1);
  CHECK_EQ_INT(parse("a-b_c~d.Example:0", host, sizeof host), 0);
  CHECK_EQ_INT(parse("h:65535", host, sizeof host), 65535);
  CHECK(lat_wasi_http_allow_valid("localhost"));
  CHECK(lat_wasi_http_allow_valid("127.0.0.1:9000"));
}

TEST_IMPL(wasi_http_authority_invalid) {
  char host[64];
  static const char *const bad[] = {
      "", ":80", "host:", "host:65536", "host:123456", "host:8a", "user@host",
      "host/path", "host?q", "ho st", "host\r\nX: y", "[::1", "[]", "[::g]",
      "host:80:81", "http://host", "[::1]x", "h\x7f",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (parse(bad[i], host, sizeof host) != -3) CHECK_EQ_STR(bad[i], "(should be refused)");
    CHECK(!lat_wasi_http_allow_valid(bad[i]));
  }
  const char *h;
  size_t hl;
  int port;
  CHECK(!lat__http_authority("a\0b", 3, &h, &hl, &port)); /* NUL inside */
  CHECK(!lat_wasi_http_allow_valid(NULL));
}
