/* http_parse.c: a strict HTTP/1.1 request-head parser and chunked decoder
 * (RFC 9110, RFC 9112).
 *
 * Approach: the head parser is given the whole request so far on each
 * call and checks each line once, when its LF arrives (p->pos marks the
 * first unchecked line), so a bad byte is answered as soon as its line is
 * complete, not after 16 KiB.  Lines end in CRLF only; the syntax checks
 * are per line (request line, then fields), the semantic checks (Host,
 * Content-Length, Transfer-Encoding, Connection, Expect) run once on the
 * empty line that ends the head.  Fields are kept as offsets while the
 * caller's buffer may still move (it grows by realloc) and turned into
 * pointers only on DONE.  The chunked decoder is a byte state machine, so
 * it needs no buffering of its own: data runs are appended in bulk.
 *
 * Invariants: every error has a status and a static reason that contains
 * no request bytes (the caller may log it as is); nothing is truncated
 * silently (over a cap is 414/431/413); offsets fit in 32 bits because the
 * head is capped (max_head_bytes is clamped to 1 MiB).
 *
 * Strictness, and why: anything two parsers could read differently is an
 * error, because a proxy in front of us may read it the other way (request
 * smuggling): Content-Length with Transfer-Encoding, two Content-Lengths,
 * codings other than chunked (501: we do not decode them), obs-fold, a
 * bare CR or LF, NUL and other controls, whitespace before a colon, a
 * missing or doubled Host on 1.1.  Rejected: tolerating bare LF (RFC 9112
 * allows it, nginx does it; it is also how CR/LF confusion starts) and
 * equal duplicate Content-Lengths (allowed by the RFC, refused by nginx;
 * no client we know sends them).
 */
#include <stdio.h>
#include <string.h>

#include "http.h"

#define MAX_HEAD_CLAMP (1u << 20)

void lat_http_limits_default(lat_http_limits_t *out_lim) {
  out_lim->max_head_bytes = LAT_HTTP_DEFAULT_MAX_HEAD;
  out_lim->max_headers = LAT_HTTP_DEFAULT_MAX_HEADERS;
  out_lim->max_chunk_line = LAT_HTTP_DEFAULT_MAX_CHUNK_LINE;
  out_lim->max_trailer_bytes = LAT_HTTP_DEFAULT_MAX_TRAILER;
  out_lim->max_trailers = LAT_HTTP_DEFAULT_MAX_TRAILERS;
}

/* tchar (RFC 9110 5.6.2) */
static bool is_tchar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}
/* field-vchar / SP / HTAB / obs-text */
static bool is_value_byte(uint8_t c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}
static bool is_hex(uint8_t c, unsigned *out_v) {
  if (c >= '0' && c <= '9') *out_v = c - '0';
  else if (c >= 'a' && c <= 'f') *out_v = c - 'a' + 10u;
  else if (c >= 'A' && c <= 'F') *out_v = c - 'A' + 10u;
  else return false;
  return true;
}
static uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

bool lat_http_name_eq(const char *name, size_t len, const char *lower_s) {
  size_t n = strlen(lower_s);
  if (n != len) return false;
  for (size_t i = 0; i < n; i++)
    if (lower((uint8_t)name[i]) != (uint8_t)lower_s[i]) return false;
  return true;
}

const char *lat_http_reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 206: return "Partial Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 411: return "Length Required";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 417: return "Expectation Failed";
  case 418: return "I'm a teapot";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  default: return "";
  }
}

size_t lat_http_escape(char *out, size_t cap, const void *in, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const uint8_t *s = in;
  size_t o = 0;
  if (cap == 0) return 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t c = s[i];
    size_t need = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? 1 : 4;
    if (o + need + 4 > cap) { /* room for "..." and the NUL */
      if (o + 4 <= cap) {
        memcpy(out + o, "...", 3);
        o += 3;
      }
      break;
    }
    if (need == 1) {
      out[o++] = (char)c;
    } else {
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = '\0';
  return o;
}

/* ---- head ---------------------------------------------------------------- */

void lat_http_parser_init(lat_http_parser_t *p, const lat_http_limits_t *lim) {
  memset(p, 0, sizeof *p);
  if (lim) p->lim = *lim;
  else lat_http_limits_default(&p->lim);
  if (p->lim.max_head_bytes == 0 || p->lim.max_head_bytes > MAX_HEAD_CLAMP)
    p->lim.max_head_bytes = MAX_HEAD_CLAMP;
  if (p->lim.max_headers == 0) p->lim.max_headers = LAT_HTTP_DEFAULT_MAX_HEADERS;
}

void lat_http_parser_fini(lat_http_parser_t *p) {
  if (!p) return;
  lat_free(p->fields);
  lat_free(p->headers);
  p->fields = NULL;
  p->headers = NULL;
  p->field_cap = 0;
}

void lat_http_parser_reset(lat_http_parser_t *p) {
  p->pos = 0;
  p->line_state = 0;
  p->nfield = 0;
  p->status = 0;
  p->reason = NULL;
}

static lat_http_progress_t fail(lat_http_parser_t *p, int status, const char *reason) {
  p->status = status;
  p->reason = reason;
  return LAT_HTTP_ERROR;
}

static lat_http_progress_t request_line(lat_http_parser_t *p, const uint8_t *l, size_t off,
                                        size_t n) {
  size_t i = 0;
  while (i < n && is_tchar(l[i])) i++;
  if (i == 0 || i >= n || l[i] != ' ') return fail(p, 400, "malformed method");
  size_t mlen = i++;
  size_t t0 = i;
  while (i < n && l[i] > 0x20 && l[i] < 0x7f) i++;
  if (i == t0 || i >= n || l[i] != ' ') return fail(p, 400, "malformed request-target");
  size_t tlen = i - t0;
  i++;
  const uint8_t *v = l + i;
  if (n - i != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
      v[7] < '0' || v[7] > '9')
    return fail(p, 400, "malformed HTTP version");
  if (v[5] != '1' || v[7] > '1') return fail(p, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
  const uint8_t *t = l + t0;
  bool options = mlen == 7 && memcmp(l, "OPTIONS", 7) == 0;
  bool connect = mlen == 7 && memcmp(l, "CONNECT", 7) == 0;
  if (connect) return fail(p, 501, "CONNECT is not supported");
  if (tlen == 1 && t[0] == '*') {
    if (!options) return fail(p, 400, "asterisk-form is only for OPTIONS");
  } else if (t[0] != '/') {
    bool abs = (tlen > 7 && lat_http_name_eq((const char *)t, 7, "http://")) ||
               (tlen > 8 && lat_http_name_eq((const char *)t, 8, "https://"));
    if (!abs) return fail(p, 400, "request-target is not origin-form");
  }
  p->method_off = (uint32_t)off;
  p->method_len = (uint32_t)mlen;
  p->target_off = (uint32_t)(off + t0);
  p->target_len = (uint32_t)tlen;
  p->version_minor = (unsigned)(v[7] - '0');
  p->line_state = 1;
  return LAT_HTTP_MORE;
}

static lat_http_progress_t field_line(lat_http_parser_t *p, const uint8_t *l, size_t off,
                                      size_t n) {
  if (l[0] == ' ' || l[0] == '\t') return fail(p, 400, "obsolete line folding");
  size_t i = 0;
  while (i < n && is_tchar(l[i])) i++;
  if (i == 0 || i >= n || l[i] != ':') return fail(p, 400, "malformed header field name");
  size_t nlen = i++;
  while (i < n && (l[i] == ' ' || l[i] == '\t')) i++;
  size_t v0 = i, vend = n;
  while (vend > v0 && (l[vend - 1] == ' ' || l[vend - 1] == '\t')) vend--;
  for (size_t k = v0; k < vend; k++)
    if (!is_value_byte(l[k])) return fail(p, 400, "control byte in a header value");
  if (p->nfield >= p->lim.max_headers) return fail(p, 431, "too many header fields");
  if (p->nfield == p->field_cap) {
    unsigned cap = p->field_cap ? p->field_cap * 2 : 16;
    if (cap > p->lim.max_headers) cap = p->lim.max_headers;
    uint32_t *f = lat_realloc(p->fields, (size_t)cap * 4 * sizeof *f);
    if (!f) return fail(p, 503, "out of memory");
    p->fields = f;
    lat_http_header_t *h = lat_realloc(p->headers, (size_t)cap * sizeof *h);
    if (!h) return fail(p, 503, "out of memory");
    p->headers = h;
    p->field_cap = cap;
  }
  uint32_t *f = p->fields + 4 * (size_t)p->nfield++;
  f[0] = (uint32_t)off;
  f[1] = (uint32_t)nlen;
  f[2] = (uint32_t)(off + v0);
  f[3] = (uint32_t)(vend - v0);
  return LAT_HTTP_MORE;
}

/* Transfer-Encoding list: 1 chunked-last, 0 keep going; sets errors. */
static lat_http_progress_t te_list(lat_http_parser_t *p, const char *v, size_t n, bool *chunked,
                                   bool *other) {
  size_t i = 0;
  for (;;) {
    while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
    size_t s = i;
    while (i < n && v[i] != ',') i++;
    size_t e = i;
    while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
    if (e == s) return fail(p, 400, "empty transfer coding");
    if (*chunked) return fail(p, 400, "chunked is not the last transfer coding");
    if (lat_http_name_eq(v + s, e - s, "chunked")) *chunked = true;
    else *other = true;
    if (i >= n) return LAT_HTTP_MORE;
    i++; /* the comma */
  }
}

static bool list_has(const char *v, size_t n, const char *tok) {
  size_t i = 0;
  while (i < n) {
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
    size_t s = i;
    while (i < n && v[i] != ',') i++;
    size_t e = i;
    while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
    if (e > s && lat_http_name_eq(v + s, e - s, tok)) return true;
  }
  return false;
}

static bool host_ok(const char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)v[i];
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c && strchr("-._~!$&'()*+,;=:[]%", c));
    if (!ok) return false;
  }
  return true;
}

static lat_http_progress_t head_done(lat_http_parser_t *p, const uint8_t *buf, size_t end,
                                     lat_http_request_t *r) {
  memset(r, 0, sizeof *r);
  unsigned hosts = 0;
  bool te = false, chunked = false, other = false, close = false, ka = false;
  for (unsigned k = 0; k < p->nfield; k++) {
    const uint32_t *f = p->fields + 4 * (size_t)k;
    lat_http_header_t *h = &p->headers[k];
    h->name = (const char *)buf + f[0];
    h->name_len = f[1];
    h->value = (const char *)buf + f[2];
    h->value_len = f[3];
    if (lat_http_name_eq(h->name, h->name_len, "host")) {
      if (++hosts > 1) return fail(p, 400, "more than one Host header");
      if (!host_ok(h->value, h->value_len)) return fail(p, 400, "malformed Host header");
      r->host = h->value;
      r->host_len = h->value_len;
    } else if (lat_http_name_eq(h->name, h->name_len, "content-length")) {
      if (r->has_content_length) return fail(p, 400, "more than one Content-Length");
      if (h->value_len == 0 || h->value_len > 18) return fail(p, 400, "malformed Content-Length");
      uint64_t v = 0;
      for (size_t i = 0; i < h->value_len; i++) {
        uint8_t c = (uint8_t)h->value[i];
        if (c < '0' || c > '9') return fail(p, 400, "malformed Content-Length");
        v = v * 10 + (c - '0');
      }
      r->has_content_length = true;
      r->content_length = v;
    } else if (lat_http_name_eq(h->name, h->name_len, "transfer-encoding")) {
      te = true;
      if (te_list(p, h->value, h->value_len, &chunked, &other) == LAT_HTTP_ERROR)
        return LAT_HTTP_ERROR;
    } else if (lat_http_name_eq(h->name, h->name_len, "connection")) {
      if (list_has(h->value, h->value_len, "close")) close = true;
      if (list_has(h->value, h->value_len, "keep-alive")) ka = true;
    } else if (lat_http_name_eq(h->name, h->name_len, "expect")) {
      if (!lat_http_name_eq(h->value, h->value_len, "100-continue"))
        return fail(p, 417, "unsupported expectation");
      r->expect_continue = p->version_minor == 1;
    }
  }
  if (p->version_minor == 1 && hosts == 0) return fail(p, 400, "no Host header");
  if (te) {
    if (p->version_minor == 0) return fail(p, 400, "Transfer-Encoding in an HTTP/1.0 request");
    if (r->has_content_length) return fail(p, 400, "both Content-Length and Transfer-Encoding");
    if (other) return fail(p, 501, "transfer coding not implemented");
    if (!chunked) return fail(p, 400, "chunked is not the last transfer coding");
    r->chunked = true;
  }
  r->method = (const char *)buf + p->method_off;
  r->method_len = p->method_len;
  r->target = (const char *)buf + p->target_off;
  r->target_len = p->target_len;
  r->version_minor = p->version_minor;
  r->headers = p->headers;
  r->header_count = p->nfield;
  r->keep_alive = p->version_minor == 1 ? !close : (ka && !close);
  r->head_method = p->method_len == 4 && memcmp(r->method, "HEAD", 4) == 0;
  r->head_len = end;
  p->line_state = 2;
  return LAT_HTTP_DONE;
}

/* A byte no line may hold in buf[from, to): NUL, or a CR not followed by
 * LF (a CR at to-1 may still get its LF).  The same check runs on an
 * unfinished line and before a size error, so the answer does not depend
 * on how the bytes were split into reads. */
static const char *bad_byte(const uint8_t *buf, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) {
    if (buf[i] == 0) return "NUL byte in the request head";
    if (buf[i] == '\r' && i + 1 < to && buf[i + 1] != '\n') return "bare CR in the request head";
  }
  return NULL;
}

static lat_http_progress_t too_big(lat_http_parser_t *p, const uint8_t *buf) {
  const char *bad = bad_byte(buf, p->pos, p->lim.max_head_bytes - 1);
  if (bad) return fail(p, 400, bad);
  return p->line_state == 0 ? fail(p, 414, "request line too long")
                            : fail(p, 431, "request head too large");
}

lat_http_progress_t lat_http_parse_head(lat_http_parser_t *p, const uint8_t *buf, size_t len,
                                        lat_http_request_t *out_req) {
  if (p->status) return LAT_HTTP_ERROR;
  if (p->line_state == 2) return head_done(p, buf, p->pos, out_req); /* buffer moved */
  for (;;) {
    size_t pos = p->pos;
    const uint8_t *lf = pos < len ? memchr(buf + pos, '\n', len - pos) : NULL;
    if (!lf) {
      if (len >= p->lim.max_head_bytes) return too_big(p, buf);
      /* a byte no line may hold is an error now, not at the line's end */
      const char *bad = bad_byte(buf, pos, len);
      return bad ? fail(p, 400, bad) : LAT_HTTP_MORE;
    }
    size_t lfo = (size_t)(lf - buf);
    if (lfo + 1 > p->lim.max_head_bytes) return too_big(p, buf);
    if (lfo == pos || buf[lfo - 1] != '\r') return fail(p, 400, "bare LF in the request head");
    size_t n = lfo - 1 - pos; /* the line without CRLF */
    const uint8_t *l = buf + pos;
    for (size_t i = 0; i < n; i++) {
      if (l[i] == '\r') return fail(p, 400, "bare CR in the request head");
      if (l[i] == 0) return fail(p, 400, "NUL byte in the request head");
    }
    p->pos = lfo + 1;
    lat_http_progress_t st;
    if (p->line_state == 0) {
      if (n == 0) {
        if (pos >= 4) return fail(p, 400, "empty lines before the request line");
        continue; /* RFC 9112 2.2: an empty line or two before the request */
      }
      st = request_line(p, l, pos, n);
    } else if (n == 0) {
      return head_done(p, buf, p->pos, out_req);
    } else {
      st = field_line(p, l, pos, n);
    }
    if (st == LAT_HTTP_ERROR) return st;
  }
}

/* ---- chunked body ------------------------------------------------------------ */

enum {
  C_SIZE0,   /* first hex digit */
  C_SIZE,    /* more hex digits, or ext / CR */
  C_EXT,     /* chunk extensions up to CR */
  C_SIZE_LF, /* LF after the size line */
  C_DATA,
  C_DATA_CR,
  C_DATA_LF,
  C_TR_START, /* start of a trailer line (or the final CRLF) */
  C_TR_NAME,
  C_TR_VALUE,
  C_TR_LF,  /* LF after a trailer field */
  C_END_LF, /* LF of the final CRLF */
  C_DONE,
  C_ERROR
};

void lat_http_chunked_init(lat_http_chunked_t *c, const lat_http_limits_t *lim) {
  memset(c, 0, sizeof *c);
  if (lim) c->lim = *lim;
  else lat_http_limits_default(&c->lim);
  c->state = C_SIZE0;
}

static lat_http_progress_t cfail(lat_http_chunked_t *c, int status, const char *reason) {
  c->state = C_ERROR;
  c->status = status;
  c->reason = reason;
  return LAT_HTTP_ERROR;
}

lat_http_progress_t lat_http_chunked_decode(lat_http_chunked_t *c, const uint8_t *in, size_t len,
                                            uint64_t max_body, lat_buf_t *body,
                                            size_t *out_used) {
  size_t i = 0;
  lat_http_progress_t res = LAT_HTTP_MORE;
  if (c->state == C_ERROR) {
    *out_used = 0;
    return LAT_HTTP_ERROR;
  }
  while (i < len && res == LAT_HTTP_MORE) {
    uint8_t b = in[i];
    unsigned hv;
    switch (c->state) {
    case C_SIZE0:
    case C_SIZE:
      if (++c->line_len > c->lim.max_chunk_line) { res = cfail(c, 400, "chunk-size line too long"); break; }
      if (is_hex(b, &hv)) {
        if (++c->digits > 16) { res = cfail(c, 400, "chunk size too large"); break; }
        c->chunk_left = c->chunk_left * 16 + hv;
        c->state = C_SIZE;
      } else if (c->state == C_SIZE0) {
        res = cfail(c, 400, "malformed chunk size");
      } else if (b == ';' || b == ' ' || b == '\t') {
        c->state = C_EXT;
      } else if (b == '\r') {
        c->state = C_SIZE_LF;
      } else {
        res = cfail(c, 400, "malformed chunk size");
      }
      i++;
      break;
    case C_EXT:
      if (++c->line_len > c->lim.max_chunk_line) { res = cfail(c, 400, "chunk extensions too long"); break; }
      if (b == '\r') c->state = C_SIZE_LF;
      else if (!is_value_byte(b)) { res = cfail(c, 400, "control byte in a chunk extension"); break; }
      i++;
      break;
    case C_SIZE_LF:
      if (b != '\n') { res = cfail(c, 400, "chunk-size line not ended by CRLF"); break; }
      i++;
      if (c->chunk_left > max_body || c->total > max_body - c->chunk_left) {
        res = cfail(c, 413, "request body too large");
        break;
      }
      c->line_len = 0;
      c->digits = 0;
      c->state = c->chunk_left ? C_DATA : C_TR_START;
      break;
    case C_DATA: {
      size_t take = len - i;
      if (take > c->chunk_left) take = (size_t)c->chunk_left;
      if (lat_buf_append(body, in + i, take) != LAT_OK) { res = cfail(c, 503, "out of memory"); break; }
      i += take;
      c->chunk_left -= take;
      c->total += take;
      if (c->chunk_left == 0) c->state = C_DATA_CR;
      break;
    }
    case C_DATA_CR:
      if (b != '\r') { res = cfail(c, 400, "chunk data not followed by CRLF"); break; }
      c->state = C_DATA_LF;
      i++;
      break;
    case C_DATA_LF:
      if (b != '\n') { res = cfail(c, 400, "chunk data not followed by CRLF"); break; }
      c->state = C_SIZE0;
      i++;
      break;
    case C_TR_START:
    case C_TR_NAME:
    case C_TR_VALUE:
      if (++c->trailer_bytes > c->lim.max_trailer_bytes) { res = cfail(c, 431, "trailer section too large"); break; }
      if (c->state == C_TR_START) {
        if (b == '\r') c->state = C_END_LF;
        else if (b == ' ' || b == '\t') { res = cfail(c, 400, "obsolete line folding in trailers"); break; }
        else if (!is_tchar(b)) { res = cfail(c, 400, "malformed trailer field name"); break; }
        else {
          if (++c->trailers > c->lim.max_trailers) { res = cfail(c, 431, "too many trailer fields"); break; }
          c->state = C_TR_NAME;
        }
      } else if (c->state == C_TR_NAME) {
        if (b == ':') c->state = C_TR_VALUE;
        else if (!is_tchar(b)) { res = cfail(c, 400, "malformed trailer field name"); break; }
      } else {
        if (b == '\r') c->state = C_TR_LF;
        else if (!is_value_byte(b)) { res = cfail(c, 400, "control byte in a trailer value"); break; }
      }
      i++;
      break;
    case C_TR_LF:
      if (b != '\n') { res = cfail(c, 400, "bare CR in trailers"); break; }
      c->state = C_TR_START;
      i++;
      break;
    case C_END_LF:
      if (b != '\n') { res = cfail(c, 400, "bare CR in trailers"); break; }
      c->state = C_DONE;
      i++;
      res = LAT_HTTP_DONE;
      break;
    default:
      res = LAT_HTTP_DONE;
      break;
    }
  }
  *out_used = i;
  if (c->state == C_DONE) return LAT_HTTP_DONE;
  return res;
}
