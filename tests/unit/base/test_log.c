/* Unit tests for the logger (src/base/base_log.c): exact text and JSON
 * bytes under a pinned clock, escaping of everything a guest or a peer could
 * send (ESC, CR, LF, NUL, DEL, C1 controls, invalid UTF-8) in both formats,
 * JSON validity checked by parsing every line back with jansson, truncation,
 * level filtering (arguments not evaluated when off) and lines from several
 * threads never interleaving. */
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"

/* 2026-12-07T21:51:20.123Z */
static uint64_t fixed_clock(void) { return 1796680280123000000ull; }

/* Routes the log to a non-blocking pipe; returns its read end. */
static int capture(lat_log_level level, lat_log_format format) {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  lat_log_config_t cfg = {level, format, p[1], fixed_clock};
  lat_log_configure(&cfg);
  return p[0];
}

/* Reads what was logged so far (NUL-terminated, length in *out_n). */
static size_t drain(int rd, char *buf, size_t cap) {
  size_t n = 0;
  ssize_t r;
  while (n + 1 < cap && (r = read(rd, buf + n, cap - 1 - n)) > 0) n += (size_t)r;
  buf[n] = 0;
  return n;
}

static void stop(int rd) {
  lat_log_configure(NULL);
  close(rd);
}

/* One line: ends in the only newline, and no raw control byte before it. */
static void check_one_clean_line(const char *s, size_t n) {
  REQUIRE(n > 0);
  CHECK_EQ_INT(s[n - 1], '\n');
  for (size_t i = 0; i + 1 < n; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c < 0x20 || c == 0x7f) CHECK_EQ_UINT(c, 0x100);
  }
}

TEST_IMPL(base_log_text_exact) {
  int rd = capture(LAT_LOG_INFO, LAT_LOG_TEXT);
  const char *id = "hello";
  LAT_LOG(LAT_LOG_INFO, "host", "component scaled", LAT_KV_STR("id", id),
          LAT_KV_INT("count", 5), LAT_KV_STR("ref", "file:///a b.wasm"));
  LAT_LOG(LAT_LOG_WARN, "http", "no fields");
  LAT_LOG(LAT_LOG_ERROR, "t", "kinds", LAT_KV_INT("neg", -42),
          LAT_KV_UINT("big", UINT64_MAX), LAT_KV_BOOL("ok", true),
          LAT_KV_BOOL("bad", false), LAT_KV_STR("none", NULL),
          LAT_KV_STR("empty", ""), LAT_KV_STR("eq", "a=b"),
          LAT_KV_STR("q", "say \"hi\""), LAT_KV_BYTES("raw", "abcdef", 3));
  char buf[4096];
  drain(rd, buf, sizeof buf);
  CHECK_EQ_STR(buf,
               "2026-12-07T21:51:20.123Z INFO  host  component scaled id=hello "
               "count=5 ref=\"file:///a b.wasm\"\n"
               "2026-12-07T21:51:20.123Z WARN  http  no fields\n"
               "2026-12-07T21:51:20.123Z ERROR t  kinds neg=-42 "
               "big=18446744073709551615 ok=true bad=false none=(null) "
               "empty=\"\" eq=\"a=b\" q=\"say \\\"hi\\\"\" raw=abc\n");
  stop(rd);
}

TEST_IMPL(base_log_json_exact) {
  int rd = capture(LAT_LOG_TRACE, LAT_LOG_JSON);
  LAT_LOG(LAT_LOG_INFO, "host", "component scaled", LAT_KV_STR("id", "hello"),
          LAT_KV_INT("count", 5));
  LAT_LOG(LAT_LOG_TRACE, "x", "m", LAT_KV_UINT("u", 7), LAT_KV_BOOL("b", true),
          LAT_KV_STR("n", NULL), LAT_KV_INT("i", INT64_MIN));
  LAT_LOGF(LAT_LOG_DEBUG, "cli", "%d jobs in %s", 3, "queue");
  char buf[4096];
  drain(rd, buf, sizeof buf);
  CHECK_EQ_STR(buf,
               "{\"ts\":\"2026-12-07T21:51:20.123Z\",\"level\":\"info\","
               "\"target\":\"host\",\"msg\":\"component scaled\",\"id\":\"hello\","
               "\"count\":5}\n"
               "{\"ts\":\"2026-12-07T21:51:20.123Z\",\"level\":\"trace\","
               "\"target\":\"x\",\"msg\":\"m\",\"u\":7,\"b\":true,\"n\":null,"
               "\"i\":-9223372036854775808}\n"
               "{\"ts\":\"2026-12-07T21:51:20.123Z\",\"level\":\"debug\","
               "\"target\":\"cli\",\"msg\":\"3 jobs in queue\"}\n");
  stop(rd);
}

/* Hostile bytes: ESC sequence, CR/LF (a forged second line), NUL, DEL, tab,
 * backslash, a C1 CSI (C2 9B), a stray continuation byte, a truncated
 * sequence, an overlong NUL (C0 80), valid e-acute and a valid emoji. */
static const char hostile[] =
    "a\x1b[31mb\r\nFAKE x=1\x00z\x7f\t\\\xc2\x9b\x80\xe2\x82\xc0\x80\xc3\xa9"
    "\xf0\x9f\x98\x80";
#define HOSTILE_LEN (sizeof hostile - 1)

TEST_IMPL(base_log_text_escape) {
  int rd = capture(LAT_LOG_INFO, LAT_LOG_TEXT);
  LAT_LOG(LAT_LOG_INFO, "t", "m\x1b]0;title\x07\ny",
          LAT_KV_BYTES("v", hostile, HOSTILE_LEN),
          LAT_KV_STR("k ey=\"\n", "bare\xff"));
  char buf[4096];
  size_t n = drain(rd, buf, sizeof buf);
  check_one_clean_line(buf, n);
  CHECK_EQ_STR(buf,
               "2026-12-07T21:51:20.123Z INFO  t  m\\x1b]0;title\\x07\\ny "
               "v=\"a\\x1b[31mb\\r\\nFAKE x=1\\x00z\\x7f\\t\\\\\\xc2\\x9b\\x80"
               "\\xe2\\x82\\xc0\\x80\xc3\xa9\xf0\x9f\x98\x80\" "
               "k\\x20ey\\x3d\\x22\\n=bare\\xff\n");
  stop(rd);
}

TEST_IMPL(base_log_json_escape) {
  int rd = capture(LAT_LOG_INFO, LAT_LOG_JSON);
  LAT_LOG(LAT_LOG_INFO, "t\"\n", "m\x1b\xff",
          LAT_KV_BYTES("v", hostile, HOSTILE_LEN), LAT_KV_STR("k\x01", "x"));
  char buf[4096];
  size_t n = drain(rd, buf, sizeof buf);
  check_one_clean_line(buf, n);
  CHECK_EQ_STR(buf,
               "{\"ts\":\"2026-12-07T21:51:20.123Z\",\"level\":\"info\","
               "\"target\":\"t\\\"\\n\",\"msg\":\"m\\u001b\\\\xff\","
               "\"v\":\"a\\u001b[31mb\\r\\nFAKE x=1\\u0000z\\u007f\\t\\\\"
               "\\u009b\\\\x80\\\\xe2\\\\x82\\\\xc0\\\\x80\xc3\xa9\xf0\x9f\x98\x80\","
               "\"k\\u0001\":\"x\"}\n");
  json_error_t jerr;
  json_t *j = json_loadb(buf, n, JSON_ALLOW_NUL, &jerr);
  REQUIRE(j != NULL);
  CHECK_EQ_STR(json_string_value(json_object_get(j, "target")), "t\"\n");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "msg")), "m\x1b\\xff");
  json_t *v = json_object_get(j, "v");
  REQUIRE(json_is_string(v));
  const char want[] = "a\x1b[31mb\r\nFAKE x=1\x00z\x7f\t\\\xc2\x9b\\x80\\xe2"
                      "\\x82\\xc0\\x80\xc3\xa9\xf0\x9f\x98\x80";
  CHECK_EQ_UINT(json_string_length(v), sizeof want - 1);
  CHECK_EQ_MEM(json_string_value(v), want, sizeof want - 1);
  CHECK_EQ_STR(json_string_value(json_object_get(j, "k\x01")), "x");
  json_decref(j);
  stop(rd);
}

static uint32_t rng_next(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

/* Random bytes, biased toward the interesting ones, in every position a
 * line has: every line must parse as one JSON object, every text line must
 * stay one line. */
TEST_IMPL(base_log_random_bytes) {
  static const uint8_t pick[] = {0, 0x1b, '\n', '\r', '"', '\\', 0x7f, 0x80,
                                 0xc2, 0x9b, 0xc3, 0xa9, 0xe2, 0xf0, 0x9f,
                                 0xff, '=', ' ', 'a', 0xed, 0xa0};
  uint32_t seed = 12345;
  char val[300], msg[64], line[LAT_LOG_LINE_MAX + 16];
  for (int round = 0; round < 3000; round++) {
    size_t vn = rng_next(&seed) % sizeof val;
    for (size_t i = 0; i < vn; i++)
      val[i] = (char)(rng_next(&seed) % 3 ? pick[rng_next(&seed) % sizeof pick]
                                          : rng_next(&seed));
    size_t mn = rng_next(&seed) % (sizeof msg - 1);
    for (size_t i = 0; i < mn; i++) msg[i] = (char)(pick[rng_next(&seed) % sizeof pick] | 1);
    msg[mn] = 0;
    lat_log_format fmt = round % 2 ? LAT_LOG_JSON : LAT_LOG_TEXT;
    int rd = capture(LAT_LOG_INFO, fmt);
    LAT_LOG(LAT_LOG_INFO, msg, msg, LAT_KV_BYTES(msg, val, vn),
            LAT_KV_INT("n", (int64_t)vn));
    size_t n = drain(rd, line, sizeof line);
    stop(rd);
    check_one_clean_line(line, n);
    if (fmt == LAT_LOG_JSON) {
      json_error_t jerr;
      json_t *j = json_loadb(line, n, JSON_ALLOW_NUL, &jerr);
      if (!j) {
        CHECK_EQ_STR(jerr.text, "");
        break;
      }
      CHECK_EQ_INT(json_integer_value(json_object_get(j, "n")), (int64_t)vn);
      json_decref(j);
    }
    if (test_failures()) break;
  }
}

static int evaluated;
static int64_t side_effect(void) { return ++evaluated; }
static const char *side_effect_str(void) {
  evaluated++;
  return "s";
}

TEST_IMPL(base_log_level_filter) {
  int rd = capture(LAT_LOG_INFO, LAT_LOG_TEXT);
  evaluated = 0;
  LAT_LOG(LAT_LOG_DEBUG, "t", "off", LAT_KV_INT("x", side_effect()),
          LAT_KV_STR("s", side_effect_str()));
  LAT_LOG(LAT_LOG_TRACE, "t", "off", LAT_KV_INT("x", side_effect()));
  LAT_LOGF(LAT_LOG_DEBUG, "t", "%d", (int)side_effect());
  CHECK_EQ_INT(evaluated, 0);
  char buf[1024];
  CHECK_EQ_UINT(drain(rd, buf, sizeof buf), 0);
  CHECK(!lat_log_enabled(LAT_LOG_DEBUG));
  CHECK(lat_log_enabled(LAT_LOG_INFO));
  CHECK(lat_log_enabled(LAT_LOG_ERROR));
  CHECK(!lat_log_enabled(LAT_LOG_OFF)); /* OFF is not a level to log at */

  LAT_LOG(LAT_LOG_WARN, "t", "on", LAT_KV_INT("x", side_effect()));
  CHECK_EQ_INT(evaluated, 1);
  drain(rd, buf, sizeof buf);
  CHECK_EQ_STR(buf, "2026-12-07T21:51:20.123Z WARN  t  on x=1\n");
  stop(rd);

  /* the default configuration logs nothing: libraries stay quiet */
  CHECK(!lat_log_enabled(LAT_LOG_ERROR));
  LAT_LOG(LAT_LOG_ERROR, "t", "never", LAT_KV_INT("x", side_effect()));
  CHECK_EQ_INT(evaluated, 1);
}

TEST_IMPL(base_log_parse) {
  lat_log_level lv = LAT_LOG_INFO;
  CHECK_OK(lat_log_level_parse("debug", &lv));
  CHECK_EQ_INT(lv, LAT_LOG_DEBUG);
  CHECK_OK(lat_log_level_parse("TRACE", &lv));
  CHECK_EQ_INT(lv, LAT_LOG_TRACE);
  CHECK_OK(lat_log_level_parse("Warning", &lv));
  CHECK_EQ_INT(lv, LAT_LOG_WARN);
  CHECK_OK(lat_log_level_parse("off", &lv));
  CHECK_EQ_INT(lv, LAT_LOG_OFF);
  CHECK_OK(lat_log_level_parse("error", &lv));
  CHECK_ST(lat_log_level_parse("verbose", &lv), LAT_EARG);
  CHECK_ST(lat_log_level_parse("", &lv), LAT_EARG);
  CHECK_ST(lat_log_level_parse(NULL, &lv), LAT_EARG);
  CHECK_EQ_INT(lv, LAT_LOG_ERROR); /* untouched on failure */
  CHECK_EQ_STR(lat_log_level_name(LAT_LOG_INFO), "info");
  CHECK_EQ_STR(lat_log_level_name((lat_log_level)99), "off");
  lat_log_format f = LAT_LOG_TEXT;
  CHECK_OK(lat_log_format_parse("json", &f));
  CHECK_EQ_INT(f, LAT_LOG_JSON);
  CHECK_OK(lat_log_format_parse("Text", &f));
  CHECK_EQ_INT(f, LAT_LOG_TEXT);
  CHECK_ST(lat_log_format_parse("logfmt", &f), LAT_EARG);
}

TEST_IMPL(base_log_truncate) {
  static char big[3 * LAT_LOG_LINE_MAX];
  char line[2 * LAT_LOG_LINE_MAX];
  /* plain bytes, then escapes (4 or 6 bytes each: never split), then
   * fields after the cut */
  for (int pass = 0; pass < 2; pass++) {
    memset(big, pass ? 0x01 : 'a', sizeof big - 1);
    for (int fmt = 0; fmt < 2; fmt++) {
      int rd = capture(LAT_LOG_INFO, fmt ? LAT_LOG_JSON : LAT_LOG_TEXT);
      LAT_LOG(LAT_LOG_INFO, "t", "m", LAT_KV_STR("big", big),
              LAT_KV_INT("after", 1));
      size_t n = drain(rd, line, sizeof line);
      stop(rd);
      check_one_clean_line(line, n);
      CHECK(n <= LAT_LOG_LINE_MAX);
      CHECK(n > LAT_LOG_LINE_MAX - 40);
      CHECK(strstr(line, "after") == NULL);
      if (fmt) {
        json_error_t jerr;
        json_t *j = json_loadb(line, n, JSON_ALLOW_NUL, &jerr);
        REQUIRE(j != NULL);
        CHECK(json_is_true(json_object_get(j, "truncated")));
        const char *v = json_string_value(json_object_get(j, "big"));
        REQUIRE(v != NULL);
        CHECK(strlen(v) > 500);
        json_decref(j);
      } else {
        /* a run of 'a' needs no quotes; escapes do */
        const char *tail = pass ? "\" [truncated]\n" : "a [truncated]\n";
        CHECK_EQ_STR(line + n - strlen(tail), tail);
        if (pass) {
          /* the cut falls between escapes: what precedes the quote is
           * whole \x01 units */
          const char *q = strchr(line, '"');
          REQUIRE(q != NULL);
          CHECK_EQ_UINT((size_t)(line + n - strlen(tail) - q - 1) % 4, 0);
        }
      }
    }
  }
  /* a huge message cuts the line before any field */
  memset(big, 'm', sizeof big - 1);
  int rd = capture(LAT_LOG_INFO, LAT_LOG_JSON);
  LAT_LOG(LAT_LOG_INFO, "t", big, LAT_KV_STR("k", "v"));
  LAT_LOGF(LAT_LOG_INFO, "t", "%s", big);
  size_t n = drain(rd, line, sizeof line);
  stop(rd);
  char *nl = memchr(line, '\n', n);
  REQUIRE(nl != NULL);
  for (char *s = line; s < line + n;) {
    char *e = memchr(s, '\n', (size_t)(line + n - s));
    REQUIRE(e != NULL);
    json_error_t jerr;
    json_t *j = json_loadb(s, (size_t)(e - s + 1), 0, &jerr);
    REQUIRE(j != NULL);
    CHECK(json_object_get(j, "k") == NULL);
    CHECK(json_is_true(json_object_get(j, "truncated")));
    json_decref(j);
    s = e + 1;
  }
}

#define LOG_THREADS 4
#define LOG_LINES 300

static void *log_thread(void *p) {
  int id = (int)(intptr_t)p;
  char pad[600];
  memset(pad, 'a' + id, sizeof pad - 1);
  pad[sizeof pad - 1] = 0;
  for (int i = 0; i < LOG_LINES; i++)
    LAT_LOG(LAT_LOG_INFO, "t", "line", LAT_KV_INT("thread", id),
            LAT_KV_INT("i", i), LAT_KV_STR("pad", pad));
  return NULL;
}

/* Lines written at once from several threads come out whole. */
TEST_IMPL(base_log_threads) {
  int fd = memfd_create("log", 0);
  REQUIRE(fd >= 0);
  /* as a daemon opens its log file: appends are atomic, a shared offset is
   * not */
  REQUIRE(fcntl(fd, F_SETFL, O_APPEND) == 0);
  lat_log_config_t cfg = {LAT_LOG_INFO, LAT_LOG_JSON, fd, fixed_clock};
  lat_log_configure(&cfg);
  pthread_t th[LOG_THREADS];
  for (int t = 0; t < LOG_THREADS; t++)
    REQUIRE(pthread_create(&th[t], NULL, log_thread, (void *)(intptr_t)t) == 0);
  for (int t = 0; t < LOG_THREADS; t++) pthread_join(th[t], NULL);
  lat_log_configure(NULL);
  off_t size = lseek(fd, 0, SEEK_END);
  REQUIRE(size > 0);
  char *all = malloc((size_t)size + 1);
  REQUIRE(all != NULL);
  REQUIRE(pread(fd, all, (size_t)size, 0) == size);
  all[size] = 0;
  int next[LOG_THREADS] = {0};
  int lines = 0;
  for (char *s = all; *s;) {
    char *e = strchr(s, '\n');
    REQUIRE(e != NULL);
    json_error_t jerr;
    json_t *j = json_loadb(s, (size_t)(e - s), 0, &jerr);
    REQUIRE(j != NULL);
    int t = (int)json_integer_value(json_object_get(j, "thread"));
    REQUIRE(t >= 0 && t < LOG_THREADS);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "i")), next[t]);
    next[t]++;
    CHECK_EQ_UINT(strlen(json_string_value(json_object_get(j, "pad"))), 599);
    json_decref(j);
    lines++;
    s = e + 1;
  }
  CHECK_EQ_INT(lines, LOG_THREADS * LOG_LINES);
  free(all);
  close(fd);
}
