/* component_wave.c: component values as text, in the WebAssembly Value
 * Encoding's syntax (WAVE): true, 42, -1.5, nan, 'c', "text\n", [1, 2],
 * (1, "a"), {x: 1, y: 2} for records, {read, write} for flags, case or
 * case(payload) for variants and enums, some(x) / none, ok / ok(x) / err /
 * err(x).  Resource handles print as `#N`, N an index into a table the
 * caller keeps (lat_wave_handles_t), and `#N` parses back to that handle, so
 * a tool can pass a resource from one call to the next.
 *
 * Used by `lattice call` (and, later, `lattice call` over the lattice).  The
 * parser is a recursive descent over a NUL-terminated string driven by the
 * expected type, so no value of the wrong shape is ever built; values and
 * strings are allocated in the caller's arena.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "component.h"

/* ---- printing ------------------------------------------------------------------------ */

static void print_str(lat_buf_t *o, const char *s, size_t n, char q) {
  lat_buf_push(o, (uint8_t)q);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n') lat_buf_printf(o, "\\n");
    else if (ch == '\t') lat_buf_printf(o, "\\t");
    else if (ch == '\\' || ch == (unsigned char)q) lat_buf_printf(o, "\\%c", ch);
    else if (ch < 0x20) lat_buf_printf(o, "\\u{%x}", ch);
    else lat_buf_push(o, ch);
  }
  lat_buf_push(o, (uint8_t)q);
}

static void print_float(lat_buf_t *o, double d, bool f32) {
  if (isnan(d)) lat_buf_printf(o, "nan");
  else if (isinf(d)) lat_buf_printf(o, d > 0 ? "inf" : "-inf");
  else lat_buf_printf(o, f32 ? "%.9g" : "%.17g", d);
}

void lat_wave_print(lat_buf_t *o, const lat_cval_t *v, const lat_ctype_t *t,
                    lat_wave_handles_t *hs) {
  switch (t->kind) {
  case LAT_CT_BOOL: lat_buf_printf(o, v->of.b ? "true" : "false"); break;
  case LAT_CT_S8: case LAT_CT_S16: case LAT_CT_S32: case LAT_CT_S64:
    lat_buf_printf(o, "%" PRId64, v->of.s);
    break;
  case LAT_CT_U8: case LAT_CT_U16: case LAT_CT_U32: case LAT_CT_U64:
    lat_buf_printf(o, "%" PRIu64, v->of.u);
    break;
  case LAT_CT_F32: print_float(o, v->of.f32, true); break;
  case LAT_CT_F64: print_float(o, v->of.f64, false); break;
  case LAT_CT_CHAR: {
    uint8_t u[4];
    size_t n = lat_utf8_encode(v->of.c, u);
    print_str(o, (const char *)u, n, '\'');
    break;
  }
  case LAT_CT_STRING: print_str(o, v->of.str.ptr, v->of.str.len, '"'); break;
  case LAT_CT_LIST:
    lat_buf_printf(o, "[");
    for (uint32_t i = 0; i < v->of.list.n; i++) {
      if (i) lat_buf_printf(o, ", ");
      if (v->of.list.bytes) {
        if (t->u.elem->kind == LAT_CT_S8) lat_buf_printf(o, "%d", (int8_t)v->of.list.bytes[i]);
        else lat_buf_printf(o, "%u", v->of.list.bytes[i]);
      } else {
        lat_wave_print(o, &v->of.list.v[i], t->u.elem, hs);
      }
    }
    lat_buf_printf(o, "]");
    break;
  case LAT_CT_TUPLE:
    lat_buf_printf(o, "(");
    for (uint32_t i = 0; i < t->n; i++) {
      if (i) lat_buf_printf(o, ", ");
      lat_wave_print(o, &v->of.list.v[i], t->u.fields[i].type, hs);
    }
    lat_buf_printf(o, ")");
    break;
  case LAT_CT_RECORD:
    lat_buf_printf(o, "{");
    for (uint32_t i = 0; i < t->n; i++) {
      lat_buf_printf(o, "%s%s: ", i ? ", " : "", t->u.fields[i].name);
      lat_wave_print(o, &v->of.list.v[i], t->u.fields[i].type, hs);
    }
    lat_buf_printf(o, "}");
    break;
  case LAT_CT_VARIANT: {
    const lat_cfield_t *c = &t->u.fields[v->of.var.disc];
    lat_buf_printf(o, "%s", c->name);
    if (c->type) {
      lat_buf_printf(o, "(");
      lat_wave_print(o, v->of.var.payload, c->type, hs);
      lat_buf_printf(o, ")");
    }
    break;
  }
  case LAT_CT_ENUM: lat_buf_printf(o, "%s", t->u.labels[v->of.var.disc]); break;
  case LAT_CT_FLAGS: {
    lat_buf_printf(o, "{");
    bool first = true;
    for (uint32_t i = 0; i < t->n; i++)
      if (v->of.flags & (1u << i)) {
        lat_buf_printf(o, "%s%s", first ? "" : ", ", t->u.labels[i]);
        first = false;
      }
    lat_buf_printf(o, "}");
    break;
  }
  case LAT_CT_OPTION:
    if (!v->of.var.disc) {
      lat_buf_printf(o, "none");
    } else {
      lat_buf_printf(o, "some(");
      lat_wave_print(o, v->of.var.payload, t->u.elem, hs);
      lat_buf_printf(o, ")");
    }
    break;
  case LAT_CT_RESULT: {
    const lat_ctype_t *p = v->of.var.disc ? t->u.result.err : t->u.result.ok;
    lat_buf_printf(o, "%s", v->of.var.disc ? "err" : "ok");
    if (p) {
      lat_buf_printf(o, "(");
      lat_wave_print(o, v->of.var.payload, p, hs);
      lat_buf_printf(o, ")");
    }
    break;
  }
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    if (hs && t->kind == LAT_CT_OWN && hs->n < LAT_WAVE_MAX_HANDLES) {
      hs->h[hs->n] = *v;
      lat_buf_printf(o, "#%u", hs->n++);
    } else {
      lat_buf_printf(o, "#rep%u", v->of.handle.rep);
    }
    break;
  default:
    lat_buf_printf(o, "?");
  }
}

/* ---- parsing -------------------------------------------------------------------------- */

typedef struct {
  const char *p;
  lat_arena_t *a;
  lat_wave_handles_t *hs;
  const char *err;
} rd_t;

static void ws(rd_t *r) {
  while (isspace((unsigned char)*r->p)) r->p++;
}
static bool eatc(rd_t *r, char c) {
  ws(r);
  if (*r->p != c) return false;
  r->p++;
  return true;
}
static bool word(rd_t *r, char *out, size_t cap) {
  ws(r);
  size_t n = 0;
  while ((isalnum((unsigned char)*r->p) || *r->p == '-' || *r->p == '_') && n + 1 < cap)
    out[n++] = *r->p++;
  out[n] = 0;
  return n > 0;
}

static bool parse_val(rd_t *r, const lat_ctype_t *t, lat_cval_t *v);

/* A quoted string into the arena (UTF-8). */
static bool quoted(rd_t *r, char q, char **out, uint32_t *len) {
  ws(r);
  if (*r->p != q) return false;
  r->p++;
  lat_buf_t b;
  lat_buf_init(&b);
  while (*r->p && *r->p != q) {
    char ch = *r->p++;
    if (ch == '\\') {
      char e = *r->p++;
      if (e == 'n') ch = '\n';
      else if (e == 't') ch = '\t';
      else if (e == 'r') ch = '\r';
      else if (e == 'u' && *r->p == '{') {
        uint32_t cp = (uint32_t)strtoul(r->p + 1, (char **)&r->p, 16);
        if (*r->p == '}') r->p++;
        uint8_t u[4];
        size_t k = lat_utf8_encode(cp, u);
        lat_buf_append(&b, u, k);
        continue;
      } else ch = e;
    }
    lat_buf_push(&b, (uint8_t)ch);
  }
  if (*r->p != q) {
    lat_buf_fini(&b);
    return false;
  }
  r->p++;
  *out = lat_arena_alloc(r->a, b.len + 1);
  if (*out && b.len) memcpy(*out, b.data, b.len);
  *len = (uint32_t)b.len;
  lat_buf_fini(&b);
  return *out != NULL;
}

static bool parse_num(rd_t *r, const lat_ctype_t *t, lat_cval_t *v) {
  ws(r);
  char *end;
  errno = 0;
  if (t->kind == LAT_CT_F32 || t->kind == LAT_CT_F64) {
    double d = strtod(r->p, &end);
    if (end == r->p) return false;
    r->p = end;
    if (t->kind == LAT_CT_F32) v->of.f32 = (float)d;
    else v->of.f64 = d;
    return true;
  }
  bool sign = t->kind == LAT_CT_S8 || t->kind == LAT_CT_S16 || t->kind == LAT_CT_S32 ||
              t->kind == LAT_CT_S64;
  if (sign) v->of.s = strtoll(r->p, &end, 10);
  else v->of.u = strtoull(r->p, &end, 10);
  if (end == r->p || errno || (!sign && *r->p == '-')) return false;
  r->p = end;
  return true;
}

static bool parse_val(rd_t *r, const lat_ctype_t *t, lat_cval_t *v) {
  memset(v, 0, sizeof *v);
  v->kind = t->kind;
  char w[128];
  switch (t->kind) {
  case LAT_CT_BOOL:
    if (!word(r, w, sizeof w)) return false;
    v->of.b = !strcmp(w, "true");
    return v->of.b || !strcmp(w, "false");
  case LAT_CT_S8: case LAT_CT_S16: case LAT_CT_S32: case LAT_CT_S64:
  case LAT_CT_U8: case LAT_CT_U16: case LAT_CT_U32: case LAT_CT_U64:
  case LAT_CT_F32: case LAT_CT_F64: {
    const char *save = r->p;
    if ((t->kind == LAT_CT_F32 || t->kind == LAT_CT_F64) && word(r, w, sizeof w)) {
      double d = !strcmp(w, "nan") ? NAN : !strcmp(w, "inf") ? INFINITY : 0;
      if (!strcmp(w, "nan") || !strcmp(w, "inf")) {
        if (t->kind == LAT_CT_F32) v->of.f32 = (float)d;
        else v->of.f64 = d;
        return true;
      }
      r->p = save;
    }
    return parse_num(r, t, v);
  }
  case LAT_CT_CHAR: {
    char *s;
    uint32_t n;
    if (!quoted(r, '\'', &s, &n) || !n) return false;
    const uint8_t *u = (const uint8_t *)s;
    uint32_t cp = u[0] < 0x80 ? u[0] : u[0] < 0xe0 ? (u[0] & 31u) << 6 | (u[1] & 63u)
                 : u[0] < 0xf0 ? (u[0] & 15u) << 12 | (u[1] & 63u) << 6 | (u[2] & 63u)
                 : (u[0] & 7u) << 18 | (u[1] & 63u) << 12 | (u[2] & 63u) << 6 | (u[3] & 63u);
    v->of.c = cp;
    return true;
  }
  case LAT_CT_STRING: {
    char *s;
    uint32_t n;
    if (!quoted(r, '"', &s, &n)) return false;
    v->of.str.ptr = s;
    v->of.str.len = n;
    return true;
  }
  case LAT_CT_LIST: {
    if (!eatc(r, '[')) return false;
    uint32_t cap = 8, n = 0;
    lat_cval_t *el = lat_arena_array(r->a, cap, sizeof *el);
    while (el && !eatc(r, ']')) {
      if (n == cap) {
        lat_cval_t *e2 = lat_arena_array(r->a, cap * 2, sizeof *e2);
        if (!e2) return false;
        memcpy(e2, el, n * sizeof *el);
        el = e2;
        cap *= 2;
      }
      if (!parse_val(r, t->u.elem, &el[n++])) return false;
      if (!eatc(r, ',') && !(ws(r), *r->p == ']')) return false;
    }
    if (!el) return false;
    if (t->u.elem->kind == LAT_CT_U8 || t->u.elem->kind == LAT_CT_S8) {
      uint8_t *b = lat_arena_alloc(r->a, n ? n : 1);
      if (!b) return false;
      for (uint32_t i = 0; i < n; i++) b[i] = (uint8_t)el[i].of.u;
      v->of.list.bytes = b;
    } else {
      v->of.list.v = el;
    }
    v->of.list.n = n;
    return true;
  }
  case LAT_CT_TUPLE:
  case LAT_CT_RECORD: {
    bool rec = t->kind == LAT_CT_RECORD;
    if (!eatc(r, rec ? '{' : '(')) return false;
    lat_cval_t *el = lat_arena_array(r->a, t->n, sizeof *el);
    if (!el) return false;
    for (uint32_t i = 0; i < t->n; i++) {
      if (i && !eatc(r, ',')) return false;
      if (rec && (!word(r, w, sizeof w) || strcmp(w, t->u.fields[i].name) || !eatc(r, ':')))
        return false;
      if (!parse_val(r, t->u.fields[i].type, &el[i])) return false;
    }
    eatc(r, ',');
    if (!eatc(r, rec ? '}' : ')')) return false;
    v->of.list.v = el;
    v->of.list.n = t->n;
    return true;
  }
  case LAT_CT_FLAGS:
    if (!eatc(r, '{')) return false;
    while (!eatc(r, '}')) {
      if (!word(r, w, sizeof w)) return false;
      uint32_t i = 0;
      while (i < t->n && strcmp(t->u.labels[i], w)) i++;
      if (i == t->n) return false;
      v->of.flags |= 1u << i;
      eatc(r, ',');
    }
    return true;
  case LAT_CT_ENUM:
  case LAT_CT_VARIANT:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    if (!word(r, w, sizeof w)) return false;
    const lat_ctype_t *pt = NULL;
    uint32_t d = UINT32_MAX;
    if (t->kind == LAT_CT_OPTION) {
      d = !strcmp(w, "none") ? 0 : !strcmp(w, "some") ? 1 : UINT32_MAX;
      pt = d == 1 ? t->u.elem : NULL;
    } else if (t->kind == LAT_CT_RESULT) {
      d = !strcmp(w, "ok") ? 0 : !strcmp(w, "err") ? 1 : UINT32_MAX;
      pt = d == 0 ? t->u.result.ok : t->u.result.err;
    } else {
      for (uint32_t i = 0; i < t->n && d == UINT32_MAX; i++)
        if (!strcmp(t->kind == LAT_CT_ENUM ? t->u.labels[i] : t->u.fields[i].name, w)) d = i;
      if (d != UINT32_MAX && t->kind == LAT_CT_VARIANT) pt = t->u.fields[d].type;
    }
    if (d == UINT32_MAX) return false;
    v->of.var.disc = d;
    if (pt) {
      lat_cval_t *p = lat_arena_alloc(r->a, sizeof *p);
      if (!p || !eatc(r, '(') || !parse_val(r, pt, p) || !eatc(r, ')')) return false;
      v->of.var.payload = p;
    }
    return true;
  }
  case LAT_CT_OWN:
  case LAT_CT_BORROW: {
    if (!eatc(r, '#')) return false;
    char *end;
    unsigned long k = strtoul(r->p, &end, 10);
    if (end == r->p || !r->hs || k >= r->hs->n || r->hs->dropped[k]) return false;
    r->p = end;
    v->of.handle = r->hs->h[k].of.handle;
    if (t->kind == LAT_CT_OWN) r->hs->dropped[k] = true; /* moved to the guest */
    return true;
  }
  default:
    return false;
  }
}

lat_status lat_wave_parse(const char *text, const lat_ctype_t *t, lat_arena_t *a,
                          lat_wave_handles_t *hs, lat_cval_t *out) {
  rd_t r = {text, a, hs, NULL};
  if (!parse_val(&r, t, out)) return LAT_EINVALID;
  ws(&r);
  return *r.p ? LAT_EINVALID : LAT_OK;
}

void lat_wave_zero(lat_arena_t *a, const lat_ctype_t *t, lat_cval_t *v) {
  memset(v, 0, sizeof *v);
  v->kind = t->kind;
  switch (t->kind) {
  case LAT_CT_CHAR: v->of.c = 'a'; break;
  case LAT_CT_STRING: v->of.str.ptr = ""; break;
  case LAT_CT_TUPLE:
  case LAT_CT_RECORD: {
    lat_cval_t *el = lat_arena_array(a, t->n ? t->n : 1, sizeof *el);
    if (!el) break;
    for (uint32_t i = 0; i < t->n; i++) lat_wave_zero(a, t->u.fields[i].type, &el[i]);
    v->of.list.v = el;
    v->of.list.n = t->n;
    break;
  }
  case LAT_CT_VARIANT:
    if (t->u.fields[0].type) {
      lat_cval_t *p = lat_arena_alloc(a, sizeof *p);
      if (p) lat_wave_zero(a, t->u.fields[0].type, p);
      v->of.var.payload = p;
    }
    break;
  case LAT_CT_RESULT:
    if (t->u.result.ok) {
      lat_cval_t *p = lat_arena_alloc(a, sizeof *p);
      if (p) lat_wave_zero(a, t->u.result.ok, p);
      v->of.var.payload = p;
    }
    break;
  default: break;
  }
}
