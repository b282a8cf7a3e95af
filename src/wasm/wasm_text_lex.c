/* wasm_text_lex.c: tokens and literals of the WebAssembly text format.
 *
 * The whole source is tokenized up front into an array of (offset, length,
 * kind) triples; parsers then walk the array with an index, which makes
 * look-ahead and re-parsing (folded instructions re-read their immediates)
 * free.  Tokens point into the source, so nothing is copied.
 *
 * The lexer follows the spec's token rules strictly because the spec tests
 * probe them (token.wast): an atom or a string must be followed by white
 * space, a parenthesis, a comment or the end; `0drop`, `$l"a"` and `"a""b"`
 * are errors.  Block comments nest.  Strings are checked here (escapes,
 * control characters, UTF-8) so later decoding cannot fail on them.
 *
 * Numbers are classified later, by the parser, against the type it expects:
 * the same token `1` is a valid i32, f64 or label index.  Floats go through
 * strtod/strtof on a copy with the underscores removed (glibc rounds
 * correctly for decimal and hex input); our own grammar check runs first so
 * that strtod's wider syntax ("infinity", "0x.p1", spaces) is not accepted.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_text_int.h"

/* ---- errors ----------------------------------------------------------------- */

void lat__wat_linecol(const char *src, size_t len, size_t off,
                      uint32_t *out_line, uint32_t *out_col) {
  uint32_t line = 1;
  size_t line_start = 0;
  if (off > len) off = len;
  for (size_t i = 0; i < off; i++) {
    if (src[i] == '\n') {
      line++;
      line_start = i + 1;
    }
  }
  *out_line = line;
  *out_col = (uint32_t)(off - line_start + 1);
}

lat_status lat__wat_error(lat_error_t *err, const char *src, size_t len,
                          size_t off, const char *fmt, ...) {
  if (!err) return LAT_ETEXT;
  uint32_t line, col;
  lat__wat_linecol(src, len, off, &line, &col);
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return lat_error_set(err, LAT_ETEXT, off, "%u:%u: %s", line, col, msg);
}

/* ---- tokenizer ----------------------------------------------------------------- */

static bool is_idchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  switch (c) {
  case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
  case '+': case '-': case '.': case '/': case ':': case '<': case '=':
  case '>': case '?': case '@': case '\\': case '^': case '_': case '`':
  case '|': case '~':
    return true;
  default:
    return false;
  }
}

static bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Length of the UTF-8 sequence at s (n bytes left), or 0 if malformed. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  size_t k;
  if (s[0] < 0x80) return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) k = 2;
  else if (s[0] >= 0xe0 && s[0] <= 0xef) k = 3;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4) k = 4;
  else return 0;
  if (k > n) return 0;
  return lat_utf8_valid(s, k) ? k : 0;
}

/* Scans a string starting at src[i] == '"'; returns the index past the
 * closing quote, or sets *why and returns the offending position. */
static size_t scan_string(const char *src, size_t len, size_t i,
                          const char **why) {
  const unsigned char *s = (const unsigned char *)src;
  i++;
  while (i < len) {
    unsigned char c = s[i];
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (i + 1 >= len) break;
      unsigned char e = s[i + 1];
      if (e == 't' || e == 'n' || e == 'r' || e == '"' || e == '\'' ||
          e == '\\') {
        i += 2;
      } else if (e == 'u') {
        size_t j = i + 2;
        if (j >= len || s[j] != '{') {
          *why = "malformed escape in string";
          return i;
        }
        j++;
        uint64_t cp = 0;
        size_t digits = 0;
        bool last_us = true;
        while (j < len && (hexval(s[j]) >= 0 || s[j] == '_')) {
          if (s[j] == '_') {
            if (last_us) break;
            last_us = true;
          } else {
            if (cp < 0x1000000) cp = cp * 16 + (uint64_t)hexval(s[j]);
            digits++;
            last_us = false;
          }
          j++;
        }
        if (digits == 0 || last_us || j >= len || s[j] != '}' ||
            cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
          *why = "malformed escape in string";
          return i;
        }
        i = j + 1;
      } else if (hexval(e) >= 0 && i + 2 < len && hexval(s[i + 2]) >= 0) {
        i += 3;
      } else {
        *why = "illegal escape";
        return i;
      }
    } else if (c < 0x20 || c == 0x7f) {
      *why = "illegal control character in string";
      return i;
    } else if (c >= 0x80) {
      size_t k = utf8_seq(s + i, len - i);
      if (k == 0) {
        *why = "malformed UTF-8 encoding";
        return i;
      }
      i += k;
    } else {
      i++;
    }
  }
  *why = "unclosed string";
  return len;
}

static lat_status push_tok(lat__lexed_t *lx, size_t *cap, uint8_t kind,
                           size_t off, size_t n) {
  if (lx->ntoks == *cap) {
    size_t ncap = *cap ? *cap * 2 : 256;
    size_t bytes;
    if (!lat_mul_size(ncap, sizeof(lat__tok_t), &bytes)) return LAT_ENOMEM;
    lat__tok_t *t = lat_realloc(lx->toks, bytes);
    if (!t) return LAT_ENOMEM;
    lx->toks = t;
    *cap = ncap;
  }
  lx->toks[lx->ntoks].off = (uint32_t)off;
  lx->toks[lx->ntoks].len = (uint32_t)n;
  lx->toks[lx->ntoks].kind = kind;
  lx->ntoks++;
  return LAT_OK;
}

lat_status lat__wat_lex(const char *src, size_t len, lat__lexed_t *out,
                        lat_error_t *err) {
  const unsigned char *s = (const unsigned char *)src;
  lat__lexed_t lx = {src, len, NULL, 0};
  size_t cap = 0;
  size_t i = 0;
  lat_status st;
  if (len > UINT32_MAX - 1)
    return lat_error_set(err, LAT_ETEXT, 0, "text too large");
  while (i < len) {
    unsigned char c = s[i];
    if (is_space(c)) {
      i++;
      continue;
    }
    if (c == ';' && i + 1 < len && s[i + 1] == ';') {
      while (i < len && s[i] != '\n' && s[i] != '\r') i++;
      continue;
    }
    if (c == '(' && i + 1 < len && s[i + 1] == ';') {
      size_t start = i;
      size_t depth = 1;
      i += 2;
      while (i < len && depth > 0) {
        if (s[i] == '(' && i + 1 < len && s[i + 1] == ';') {
          depth++;
          i += 2;
        } else if (s[i] == ';' && i + 1 < len && s[i + 1] == ')') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      if (depth > 0) {
        st = lat__wat_error(err, src, len, start, "unclosed comment");
        goto fail;
      }
      continue;
    }
    if (c == '(' || c == ')') {
      if ((st = push_tok(&lx, &cap, c == '(' ? LAT__TOK_LPAR : LAT__TOK_RPAR,
                         i, 1)) != LAT_OK)
        goto oom;
      i++;
      continue;
    }
    size_t start = i;
    uint8_t kind;
    if (c == '"') {
      const char *why = NULL;
      i = scan_string(src, len, i, &why);
      if (why) {
        st = lat__wat_error(err, src, len, i, "%s", why);
        goto fail;
      }
      kind = LAT__TOK_STRING;
    } else if (is_idchar(c)) {
      while (i < len && is_idchar(s[i])) i++;
      if (c == '$')
        kind = i - start > 1 ? LAT__TOK_ID : LAT__TOK_RESERVED;
      else if (c >= 'a' && c <= 'z')
        kind = LAT__TOK_KEYWORD;
      else
        kind = LAT__TOK_RESERVED;
    } else {
      st = lat__wat_error(err, src, len, i, "unexpected character");
      goto fail;
    }
    /* an atom must be followed by a delimiter */
    if (i < len && !is_space(s[i]) && s[i] != '(' && s[i] != ')' &&
        !(s[i] == ';' && i + 1 < len && s[i + 1] == ';')) {
      st = lat__wat_error(err, src, len, start, "unknown operator");
      goto fail;
    }
    if ((st = push_tok(&lx, &cap, kind, start, i - start)) != LAT_OK) goto oom;
  }
  if ((st = push_tok(&lx, &cap, LAT__TOK_EOF, len, 0)) != LAT_OK) goto oom;
  *out = lx;
  return LAT_OK;
oom:
  lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
fail:
  lat_free(lx.toks);
  return st;
}

void lat__wat_lexed_fini(lat__lexed_t *lx) {
  if (!lx) return;
  lat_free(lx->toks);
  lx->toks = NULL;
  lx->ntoks = 0;
}

bool lat__wat_skip_sexpr(const lat__lexed_t *lx, size_t *i) {
  size_t depth = 0, j = *i;
  do {
    uint8_t k = lx->toks[j].kind;
    if (k == LAT__TOK_EOF) {
      *i = j;
      return false;
    }
    if (k == LAT__TOK_LPAR) depth++;
    if (k == LAT__TOK_RPAR) depth--;
    j++;
  } while (depth > 0);
  *i = j;
  return true;
}

/* ---- strings ------------------------------------------------------------------ */

bool lat__wat_string(const char *tok, size_t n, lat_buf_t *out) {
  const unsigned char *s = (const unsigned char *)tok;
  if (n < 2 || s[0] != '"' || s[n - 1] != '"') return false;
  size_t i = 1, end = n - 1;
  if (lat_buf_reserve(out, end - 1) != LAT_OK) return false;
  while (i < end) {
    size_t run = i;
    while (run < end && s[run] != '\\') run++;
    if (run > i) {
      if (lat_buf_append(out, s + i, run - i) != LAT_OK) return false;
      i = run;
      continue;
    }
    /* s[i] == '\\' */
    if (i + 1 >= end) return false;
    unsigned char e = s[i + 1];
    uint8_t b;
    switch (e) {
    case 't': b = '\t'; break;
    case 'n': b = '\n'; break;
    case 'r': b = '\r'; break;
    case '"': b = '"'; break;
    case '\'': b = '\''; break;
    case '\\': b = '\\'; break;
    case 'u': {
      size_t j = i + 3;
      uint32_t cp = 0;
      while (j < end && s[j] != '}') {
        if (s[j] != '_') {
          int h = hexval(s[j]);
          if (h < 0 || cp > 0x10ffff) return false;
          cp = cp * 16 + (uint32_t)h;
        }
        j++;
      }
      uint8_t u[4];
      size_t k = lat_utf8_encode(cp, u);
      if (k == 0 || j >= end) return false;
      if (lat_buf_append(out, u, k) != LAT_OK) return false;
      i = j + 1;
      continue;
    }
    default: {
      if (i + 2 >= end) return false;
      int h = hexval(e), l = hexval(s[i + 2]);
      if (h < 0 || l < 0) return false;
      if (lat_buf_push(out, (uint8_t)(h * 16 + l)) != LAT_OK) return false;
      i += 3;
      continue;
    }
    }
    if (lat_buf_push(out, b) != LAT_OK) return false;
    i += 2;
  }
  return true;
}

/* ---- integers ------------------------------------------------------------------ */

/* Digits with single underscores between them; hex when hex.  Sets *ovf when
 * the value does not fit 64 bits. */
static lat__num_result parse_digits(const char *s, size_t n, bool hex,
                                    uint64_t *out) {
  uint64_t v = 0;
  bool ovf = false;
  if (n == 0) return LAT__NUM_SYNTAX;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '_') {
      if (i == 0 || i + 1 == n || s[i + 1] == '_') return LAT__NUM_SYNTAX;
      continue;
    }
    int d = hex ? hexval(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
    if (d < 0) return LAT__NUM_SYNTAX;
    uint64_t base = hex ? 16 : 10;
    if (v > (UINT64_MAX - (uint64_t)d) / base) ovf = true;
    v = v * base + (uint64_t)d;
  }
  *out = v;
  return ovf ? LAT__NUM_RANGE : LAT__NUM_OK;
}

lat__num_result lat__wat_parse_nat(const char *s, size_t n, uint64_t *out) {
  if (n >= 2 && s[0] == '0' && s[1] == 'x') return parse_digits(s + 2, n - 2, true, out);
  return parse_digits(s, n, false, out);
}

lat__num_result lat__wat_parse_int(const char *s, size_t n, unsigned bits,
                                   uint64_t *out) {
  bool neg = false;
  if (n > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s++;
    n--;
  }
  uint64_t mag;
  lat__num_result r = lat__wat_parse_nat(s, n, &mag);
  if (r != LAT__NUM_OK) return r;
  uint64_t umax = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
  if (neg) {
    uint64_t lim = (uint64_t)1 << (bits - 1);
    if (mag > lim) return LAT__NUM_RANGE;
    *out = (0 - mag) & umax;
  } else {
    if (mag > umax) return LAT__NUM_RANGE;
    *out = mag;
  }
  return LAT__NUM_OK;
}

/* ---- floats -------------------------------------------------------------------- */

/* Copies digits of one class (dec or hex) minus underscores into buf at *k;
 * returns the index past them, or SIZE_MAX on a misplaced underscore.
 * Stores the digit count in *nd. */
static size_t copy_digits(const char *s, size_t n, size_t i, bool hex,
                          char *buf, size_t cap, size_t *k, size_t *nd) {
  size_t start = i;
  *nd = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c == '_') {
      if (i == start || i + 1 >= n) return SIZE_MAX;
      unsigned char nx = (unsigned char)s[i + 1];
      if (!(hex ? hexval(nx) >= 0 : (nx >= '0' && nx <= '9'))) return SIZE_MAX;
      i++;
      continue;
    }
    if (!(hex ? hexval(c) >= 0 : (c >= '0' && c <= '9'))) break;
    if (*k + 1 >= cap) return SIZE_MAX;
    buf[(*k)++] = (char)c;
    (*nd)++;
    i++;
  }
  return i;
}

/* Checks the float grammar and builds a strtod-ready copy in buf.  Returns
 * the kind: 0 = finite number in buf, 1 = inf, 2 = nan (payload in *payload,
 * 0 for canonical), -1 = syntax error.  *neg gets the sign. */
static int float_syntax(const char *s, size_t n, char *buf, size_t cap,
                        bool *neg, uint64_t *payload, bool *payload_ovf) {
  size_t i = 0, k = 0, nd;
  *neg = false;
  *payload_ovf = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) {
    *neg = s[i] == '-';
    i++;
  }
  if (n - i == 3 && memcmp(s + i, "inf", 3) == 0) return 1;
  if (n - i == 3 && memcmp(s + i, "nan", 3) == 0) {
    *payload = 0;
    return 2;
  }
  if (n - i > 6 && memcmp(s + i, "nan:0x", 6) == 0) {
    uint64_t p;
    lat__num_result r = parse_digits(s + i + 6, n - i - 6, true, &p);
    if (r == LAT__NUM_SYNTAX) return -1;
    if (r == LAT__NUM_RANGE) *payload_ovf = true;
    *payload = p;
    return 2;
  }
  bool hex = n - i >= 2 && s[i] == '0' && s[i + 1] == 'x';
  if (*neg) buf[k++] = '-';
  if (hex) {
    buf[k++] = '0';
    buf[k++] = 'x';
    i += 2;
  }
  i = copy_digits(s, n, i, hex, buf, cap, &k, &nd);
  if (i == SIZE_MAX || nd == 0) return -1;
  if (i < n && s[i] == '.') {
    if (k + 1 >= cap) return -1;
    buf[k++] = '.';
    i++;
    i = copy_digits(s, n, i, hex, buf, cap, &k, &nd);
    if (i == SIZE_MAX) return -1;
  }
  if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
    if (k + 2 >= cap) return -1;
    buf[k++] = s[i];
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) buf[k++] = s[i++];
    i = copy_digits(s, n, i, false, buf, cap, &k, &nd);
    if (i == SIZE_MAX || nd == 0) return -1;
  } else if (hex) {
    if (k + 3 >= cap) return -1;
    buf[k++] = 'p';
    buf[k++] = '0';
  }
  if (i != n) return -1;
  buf[k] = 0;
  return 0;
}

#define FLOAT_BUF 1024

/* Bits of a float of `bits` (32 or 64) from float_syntax's result.  Only
 * the finite case differs by more than the layout: strtof rounds once,
 * straight from the text, where strtod then a cast would round twice. */
static lat__num_result float_bits(const char *s, size_t n, unsigned bits,
                                  int kind, bool neg, uint64_t payload,
                                  bool povf, const char *buf,
                                  uint64_t *out_bits) {
  unsigned mant = bits == 32 ? 23 : 52;
  uint64_t sign = neg ? (uint64_t)1 << (bits - 1) : 0;
  uint64_t frac_max = ((uint64_t)1 << mant) - 1;
  uint64_t inf = (((uint64_t)1 << (bits - 1)) - 1) & ~frac_max;
  switch (kind) {
  case 1:
    *out_bits = sign | inf;
    return LAT__NUM_OK;
  case 2:
    if (payload == 0 && n >= 3 && s[n - 1] == 'n') payload = (uint64_t)1 << (mant - 1);
    else if (povf || payload == 0 || payload > frac_max) return LAT__NUM_RANGE;
    *out_bits = sign | inf | payload;
    return LAT__NUM_OK;
  case 0: {
    errno = 0;
    char *end;
    if (bits == 32) {
      float f = strtof(buf, &end);
      if (*end != 0) return LAT__NUM_SYNTAX;
      if (isinf(f)) return LAT__NUM_RANGE;
      uint32_t b;
      memcpy(&b, &f, 4);
      *out_bits = b;
    } else {
      double d = strtod(buf, &end);
      if (*end != 0) return LAT__NUM_SYNTAX;
      if (isinf(d)) return LAT__NUM_RANGE;
      memcpy(out_bits, &d, 8);
    }
    return LAT__NUM_OK;
  }
  default:
    return LAT__NUM_SYNTAX;
  }
}

lat__num_result lat__wat_parse_float(const char *s, size_t n, unsigned bits,
                                     uint64_t *out_bits) {
  char stack[FLOAT_BUF];
  char *buf = stack;
  size_t cap = sizeof stack;
  if (n + 8 > cap) {
    cap = n + 8;
    buf = lat_malloc(cap);
    if (!buf) return LAT__NUM_SYNTAX;
  }
  bool neg, povf;
  uint64_t payload = 0;
  int kind = float_syntax(s, n, buf, cap, &neg, &payload, &povf);
  lat__num_result r = float_bits(s, n, bits, kind, neg, payload, povf, buf, out_bits);
  if (buf != stack) lat_free(buf);
  return r;
}

/* ---- v128 shapes ------------------------------------------------------------- */

int lat__wat_v128_shape(const char *s, size_t n, lat__v128_shape_t *out) {
  static const struct {
    const char *name;
    lat__v128_shape_t shape;
  } shapes[] = {{"i8x16", {16, 8, false}}, {"i16x8", {8, 16, false}},
                {"i32x4", {4, 32, false}}, {"i64x2", {2, 64, false}},
                {"f32x4", {4, 32, true}},  {"f64x2", {2, 64, true}}};
  for (int k = 0; k < (int)(sizeof shapes / sizeof shapes[0]); k++) {
    if (n == 5 && memcmp(s, shapes[k].name, 5) == 0) {
      *out = shapes[k].shape;
      return k;
    }
  }
  return -1;
}
