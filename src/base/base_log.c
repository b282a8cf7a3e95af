/* Structured logging: one line per event, text or JSON, one write(2) each.
 *
 * Approach: a line is built in a stack buffer of LAT_LOG_LINE_MAX bytes and
 * written with a single write(2).  No lock and no heap: configuration is set
 * once before threads start, so threads only read it; lines from different
 * threads cannot interleave because each is one write of at most PIPE_BUF
 * bytes (atomic on pipes, and on files opened O_APPEND).
 *
 * Escaping is done unit by unit (one input character or byte becomes one
 * escape or one copied UTF-8 sequence) and a unit is either written whole or
 * not at all, so truncation never splits an escape.  What gets escaped, in
 * both formats: every byte below 0x20, DEL, the C1 controls U+0080..U+009F
 * (some terminals act on them even when UTF-8 encoded) and every byte that
 * is not part of a well-formed UTF-8 sequence.  Text mode writes \n \r \t
 * \\ \" and \xNN; JSON mode writes the JSON escapes and, for invalid UTF-8,
 * the six characters \\xNN (a JSON backslash then xNN), so the decoded
 * string shows the byte the way text mode does and the line stays valid JSON.
 * Rejected for invalid bytes: U+FFFD (loses the byte, which is what one
 * wants to see when debugging a peer) and \u00NN (decodes to a different,
 * valid character, so it would lie about the input).
 *
 * Truncation: the last LINE_RESERVE bytes are kept back for what closes the
 * line (a closing quote, the marker, "}" and "\n").  Once a unit does not
 * fit, the writer is marked truncated and ignores everything after it; a
 * JSON field whose key or number did not fit is rolled back whole, a string
 * value is cut and closed.  Text lines end in " [truncated]", JSON lines get
 * a last field "truncated":true.
 *
 * The level lives in a plain int read with a relaxed atomic load by the
 * inline lat_log_enabled, so a disabled level costs one load and compare
 * and the macro evaluates no argument. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

#define LINE_RESERVE 32

int lat__log_level = LAT_LOG_OFF;

static lat_log_config_t config = {LAT_LOG_OFF, LAT_LOG_TEXT, 2, NULL};

void lat_log_configure(const lat_log_config_t *cfg) {
  if (cfg) {
    config = *cfg;
  } else {
    config = (lat_log_config_t){LAT_LOG_OFF, LAT_LOG_TEXT, 2, NULL};
  }
  __atomic_store_n(&lat__log_level, (int)config.level, __ATOMIC_RELAXED);
}

static const char *const level_names[] = {"off",   "error", "warn",
                                          "info",  "debug", "trace"};
static const char *const level_upper[] = {"OFF",   "ERROR", "WARN",
                                          "INFO",  "DEBUG", "TRACE"};

const char *lat_log_level_name(lat_log_level level) {
  return (unsigned)level <= LAT_LOG_TRACE ? level_names[level] : "off";
}

lat_status lat_log_level_parse(const char *s, lat_log_level *out_level) {
  if (!s) return LAT_EARG;
  for (int i = LAT_LOG_OFF; i <= LAT_LOG_TRACE; i++) {
    if (strcasecmp(s, level_names[i]) == 0) {
      *out_level = (lat_log_level)i;
      return LAT_OK;
    }
  }
  if (strcasecmp(s, "warning") == 0) {
    *out_level = LAT_LOG_WARN;
    return LAT_OK;
  }
  return LAT_EARG;
}

lat_status lat_log_format_parse(const char *s, lat_log_format *out_format) {
  if (s && strcasecmp(s, "text") == 0) {
    *out_format = LAT_LOG_TEXT;
    return LAT_OK;
  }
  if (s && strcasecmp(s, "json") == 0) {
    *out_format = LAT_LOG_JSON;
    return LAT_OK;
  }
  return LAT_EARG;
}

/* ---- line writer ------------------------------------------------------------ */

typedef struct {
  char buf[LAT_LOG_LINE_MAX];
  size_t len;
  bool truncated; /* sticky: once set, put() writes nothing more */
  bool json;
} line_t;

/* Appends n bytes if they fit below the reserve; otherwise marks the line
 * truncated.  Returns whether they were written. */
static bool put(line_t *l, const void *p, size_t n) {
  if (l->truncated || n > LAT_LOG_LINE_MAX - LINE_RESERVE - l->len) {
    l->truncated = true;
    return false;
  }
  memcpy(l->buf + l->len, p, n);
  l->len += n;
  return true;
}

static bool puts_(line_t *l, const char *s) { return put(l, s, strlen(s)); }

/* Writes into the reserve: only for what closes a line. */
static void put_closing(line_t *l, const char *s) {
  size_t n = strlen(s);
  if (n > LAT_LOG_LINE_MAX - l->len) n = LAT_LOG_LINE_MAX - l->len;
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const uint8_t *s, size_t n) {
  size_t len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
  if (s[0] < 0xc2 || s[0] > 0xf4 || len > n) return 0;
  return lat_utf8_valid(s, len) ? len : 0;
}

/* Whether a text value must be quoted: empty, or has anything but printable
 * ASCII other than space, quote, backslash and '=' (or UTF-8 beyond ASCII). */
static bool needs_quotes(const uint8_t *s, size_t n) {
  if (n == 0) return true;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '=' || c == '\\')
      return true;
  }
  return false;
}

/* Escapes s[0..n) unit by unit; stops at the first unit that does not fit.
 * In text mode with `bare` set (keys), quote, '=' and space are escaped as
 * \xNN too, so a key can never look like a value or a separator. */
static void put_escaped(line_t *l, const char *str, size_t n, bool bare) {
  const uint8_t *s = (const uint8_t *)str;
  size_t i = 0;
  while (i < n && !l->truncated) {
    uint8_t c = s[i];
    char esc[16];
    const char *u = esc;
    size_t un;
    if (c >= 0x80) {
      size_t k = utf8_seq(s + i, n - i);
      /* C1 controls are C2 80..C2 9F: escape both bytes */
      if (k && !(k == 2 && c == 0xc2 && s[i + 1] < 0xa0)) {
        put(l, s + i, k);
        i += k;
        continue;
      }
      if (k == 2) {
        un = l->json ? (size_t)snprintf(esc, sizeof esc, "\\u%04x", s[i + 1])
                     : (size_t)snprintf(esc, sizeof esc, "\\xc2\\x%02x", s[i + 1]);
        if (put(l, u, un)) i += 2;
        continue;
      }
      un = (size_t)snprintf(esc, sizeof esc, l->json ? "\\\\x%02x" : "\\x%02x", c);
    } else if (c == '\n') {
      u = "\\n", un = 2;
    } else if (c == '\r') {
      u = "\\r", un = 2;
    } else if (c == '\t') {
      u = "\\t", un = 2;
    } else if (c == '\\') {
      u = "\\\\", un = 2;
    } else if (c == '"' && (l->json || !bare)) {
      u = "\\\"", un = 2;
    } else if (c < 0x20 || c == 0x7f || (!l->json && bare && (c == '"' || c == '=' || c == ' '))) {
      un = (size_t)snprintf(esc, sizeof esc, l->json ? "\\u%04x" : "\\x%02x", c);
    } else {
      u = (const char *)s + i, un = 1;
    }
    if (put(l, u, un)) i++;
  }
}

/* A JSON string or a (maybe quoted) text value; a cut string is closed.
 * Returns false when not even the opening quote fitted. */
static bool put_string(line_t *l, const char *s, size_t n, bool quote) {
  if (quote && !put(l, "\"", 1)) return false;
  put_escaped(l, s, n, false);
  if (quote) put_closing(l, "\"");
  return true;
}

static void put_timestamp(line_t *l) {
  uint64_t ns;
  if (config.clock_ns) {
    ns = config.clock_ns();
  } else {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  }
  time_t secs = (time_t)(ns / 1000000000u);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char b[40];
  int n = snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, (unsigned)(ns / 1000000u % 1000u));
  put(l, b, (size_t)n);
}

static void put_scalar(line_t *l, const lat_log_kv_t *kv) {
  char b[32];
  int n;
  if (kv->type == LAT_LOG_KV_INT)
    n = snprintf(b, sizeof b, "%lld", (long long)kv->v.i);
  else if (kv->type == LAT_LOG_KV_UINT)
    n = snprintf(b, sizeof b, "%llu", (unsigned long long)kv->v.u);
  else
    n = snprintf(b, sizeof b, "%s", kv->v.b ? "true" : "false");
  put(l, b, (size_t)n);
}

static void put_json_field(line_t *l, const lat_log_kv_t *kv) {
  size_t mark = l->len;
  put(l, ",\"", 2);
  put_escaped(l, kv->key ? kv->key : "", kv->key ? strlen(kv->key) : 0, true);
  put(l, "\":", 2);
  switch (kv->type) {
  case LAT_LOG_KV_STR:
    if (!kv->v.s) {
      put(l, "null", 4);
      break;
    }
    if (!put_string(l, kv->v.s, strlen(kv->v.s), true)) l->len = mark;
    return;
  case LAT_LOG_KV_BYTES:
    if (!put_string(l, kv->v.s, kv->v.s ? kv->len : 0, true)) l->len = mark;
    return;
  default:
    put_scalar(l, kv);
  }
  if (l->truncated) l->len = mark; /* a number or key cut short: drop it */
}

static void put_text_field(line_t *l, const lat_log_kv_t *kv) {
  size_t mark = l->len;
  put(l, " ", 1);
  put_escaped(l, kv->key ? kv->key : "", kv->key ? strlen(kv->key) : 0, true);
  put(l, "=", 1);
  if (l->truncated) {
    l->len = mark;
    return;
  }
  size_t mark_val = l->len;
  const char *s = kv->v.s;
  size_t n;
  switch (kv->type) {
  case LAT_LOG_KV_STR:
  case LAT_LOG_KV_BYTES:
    if (!s) {
      put(l, "(null)", 6);
      break;
    }
    n = kv->type == LAT_LOG_KV_BYTES ? kv->len : strlen(s);
    if (!put_string(l, s, n, needs_quotes((const uint8_t *)s, n)) ||
        l->len == mark_val)
      l->len = mark;
    return;
  default:
    put_scalar(l, kv);
  }
  if (l->truncated) l->len = mark;
}

static void emit(line_t *l) {
  size_t off = 0;
  while (off < l->len) {
    ssize_t w = write(config.fd, l->buf + off, l->len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* nowhere to report a failed log write */
    off += (size_t)w;
  }
}

void lat_log_write(lat_log_level level, const char *target, const char *msg,
                   const lat_log_kv_t *kv, size_t nkv) {
  if ((unsigned)level > LAT_LOG_TRACE) level = LAT_LOG_TRACE;
  if (!target) target = "";
  if (!msg) msg = "";
  line_t l;
  l.len = 0;
  l.truncated = false;
  l.json = config.format == LAT_LOG_JSON;
  if (l.json) {
    put(&l, "{\"ts\":\"", 7);
    put_timestamp(&l);
    puts_(&l, "\",\"level\":\"");
    puts_(&l, level_names[level]);
    puts_(&l, "\",\"target\":");
    put_string(&l, target, strlen(target), true);
    puts_(&l, ",\"msg\":");
    put_string(&l, msg, strlen(msg), true);
    for (size_t i = 0; i < nkv; i++) put_json_field(&l, &kv[i]);
    if (l.truncated) put_closing(&l, ",\"truncated\":true");
    put_closing(&l, "}\n");
  } else {
    char lv[8];
    put_timestamp(&l);
    snprintf(lv, sizeof lv, " %-5s ", level_upper[level]);
    puts_(&l, lv);
    put_escaped(&l, target, strlen(target), true);
    put(&l, "  ", 2);
    put_escaped(&l, msg, strlen(msg), false);
    for (size_t i = 0; i < nkv; i++) put_text_field(&l, &kv[i]);
    if (l.truncated) put_closing(&l, " [truncated]");
    put_closing(&l, "\n");
  }
  emit(&l);
}

void lat_log_printf(lat_log_level level, const char *target, const char *fmt,
                    ...) {
  char msg[LAT_LOG_LINE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  lat_log_write(level, target, msg, NULL, 0);
}
