/* component_abi.c: the canonical ABI (synchronous, 32-bit memories).
 *
 * Approach: a direct transcription of the spec's definitions.py (load,
 * store, lift_flat, lower_flat, lift/lower_flat_values, the string
 * transcoders), over the cached layout of lat_ctype_t nodes.  Component
 * values are a tagged tree (lat_cval_t) allocated in the caller's arena;
 * the arena growth per context is capped (max_host_bytes) because a small
 * guest list can describe a large host tree.
 *
 * Invariants:
 *  - Every guest (ptr, len) is checked in 64-bit arithmetic before the
 *    memory is touched: alignment, bounds, and the 2^28 length caps.
 *  - Host pointers into guest memory are derived after the last call that
 *    can move memory (realloc): every access goes through mem_at().
 *  - Invalid guest values (bad bool is fine, but bad char, discriminant,
 *    UTF-8/UTF-16, handle index or handle type) return LAT_TRAP; a host
 *    value that does not match its type returns LAT_EARG.  Neither ever
 *    reaches the other side.
 *  - Recursion depth is bounded by the type's depth (LAT_CTYPE_MAX_DEPTH).
 *
 * NaNs: lift canonicalises (the spec's canonicalize_nan); lower also
 * writes the canonical NaN, which is the spec's deterministic profile and
 * keeps host behaviour reproducible.  Host strings are always UTF-8; the
 * guest side may be utf8, utf16 or latin1+utf16, transcoded here.
 *
 * Rejected: lifting list<u8> as one lat_cval_t per byte (24x blow-up) —
 * byte lists are lifted as a byte array (list.bytes).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "component_int.h"

#define UTF16_TAG 0x80000000u

/* ---- errors --------------------------------------------------------------------------- */

/* a guest's bad value traps; a bad host value is the embedder's error */
#define trap(err, ...) lat_error_set(err, LAT_TRAP, SIZE_MAX, __VA_ARGS__)
#define bad_host(err, ...) lat_error_set(err, LAT_EARG, SIZE_MAX, __VA_ARGS__)

/* ---- variant view ------------------------------------------------------------------------ */

static uint32_t disc_size(uint32_t n) { return n <= 256 ? 1 : n <= 65536 ? 2 : 4; }

static uint32_t max_case_align(const lat_ctype_t *t) {
  uint32_t a = 1, n = lat__ctype_ncases(t);
  for (uint32_t i = 0; i < n; i++) {
    const lat_ctype_t *c = lat__ctype_case_type(t, i);
    if (c && c->align > a) a = c->align;
  }
  return a;
}

static uint64_t align_to(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* ---- flattening ---------------------------------------------------------------------------- */

static uint8_t join(uint8_t a, uint8_t b) {
  if (a == b) return a;
  if ((a == LAT_I32 && b == LAT_F32) || (a == LAT_F32 && b == LAT_I32)) return LAT_I32;
  return LAT_I64;
}

/* Appends t's flat types to out[*n ..]; caller guarantees room for t->nflat. */
static void flatten_into(const lat_ctype_t *t, uint8_t *out, uint32_t *n) {
  switch (t->kind) {
  case LAT_CT_S64:
  case LAT_CT_U64:
    out[(*n)++] = LAT_I64;
    return;
  case LAT_CT_F32:
    out[(*n)++] = LAT_F32;
    return;
  case LAT_CT_F64:
    out[(*n)++] = LAT_F64;
    return;
  case LAT_CT_STRING:
  case LAT_CT_LIST:
    out[(*n)++] = LAT_I32;
    out[(*n)++] = LAT_I32;
    return;
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
    for (uint32_t i = 0; i < t->n; i++) flatten_into(t->u.fields[i].type, out, n);
    return;
  case LAT_CT_VARIANT:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    uint32_t base = *n, width = 0, nc = lat__ctype_ncases(t);
    out[(*n)++] = LAT_I32;
    for (uint32_t i = 0; i < nc; i++) {
      const lat_ctype_t *c = lat__ctype_case_type(t, i);
      if (!c) continue;
      uint8_t tmp[LAT_CABI_MAX_FLAT_PARAMS + 1];
      uint32_t k = 0;
      flatten_into(c, tmp, &k);
      for (uint32_t j = 0; j < k; j++) {
        if (j < width)
          out[base + 1 + j] = join(out[base + 1 + j], tmp[j]);
        else
          out[base + 1 + j] = tmp[j];
      }
      if (k > width) width = k;
    }
    *n = base + 1 + width;
    return;
  }
  default: /* bool, small ints, char, enum, flags, own, borrow */
    out[(*n)++] = LAT_I32;
    return;
  }
}

lat_status lat_cabi_flatten(const lat_ctype_t *t, uint8_t *out, uint32_t cap,
                            uint32_t *out_n) {
  if (!lat_ctype_is_value(t)) return LAT_EARG;
  /* flatten_into uses a 17-entry scratch for variant cases */
  if (t->nflat > cap || t->nflat > LAT_CABI_MAX_FLAT_PARAMS + 1) return LAT_ELIMIT;
  *out_n = 0;
  flatten_into(t, out, out_n);
  return LAT_OK;
}

lat_status lat_cabi_flatten_func(const lat_ctype_t *ft, bool lift,
                                 uint8_t params[17], uint32_t *out_np,
                                 uint8_t results[1], uint32_t *out_nr) {
  if (!ft || ft->kind != LAT_CT_FUNC) return LAT_EARG;
  uint32_t np = 0;
  bool spill = false;
  for (uint32_t i = 0; i < ft->n && !spill; i++) {
    const lat_ctype_t *p = ft->u.fields[i].type;
    if (np + p->nflat > LAT_CABI_MAX_FLAT_PARAMS)
      spill = true;
    else
      flatten_into(p, params, &np);
  }
  if (spill) {
    params[0] = LAT_I32;
    np = 1;
  }
  uint32_t nr = 0;
  if (ft->result) {
    if (ft->result->nflat > LAT_CABI_MAX_FLAT_RESULTS) {
      if (lift) {
        results[0] = LAT_I32;
        nr = 1;
      } else {
        params[np++] = LAT_I32;
      }
    } else {
      flatten_into(ft->result, results, &nr);
    }
  }
  *out_np = np;
  *out_nr = nr;
  return LAT_OK;
}

/* ---- memory --------------------------------------------------------------------------------- */

static lat_status need_mem(lat_cabi_cx_t *cx, lat_error_t *err) {
  if (!cx->memory || !cx->memory->base)
    return bad_host(err, "canonical ABI: no memory in the options");
  return LAT_OK;
}

/* ptr..ptr+len in bounds, 64-bit arithmetic */
static lat_status check_range(lat_cabi_cx_t *cx, uint64_t ptr, uint64_t len,
                              lat_error_t *err) {
  lat_status st = need_mem(cx, err);
  if (st) return st;
  if (ptr + len > cx->memory->size)
    return trap(err, "out of bounds: %llu + %llu > %llu", (unsigned long long)ptr,
                (unsigned long long)len, (unsigned long long)cx->memory->size);
  return LAT_OK;
}

static lat_status check_ptr(lat_cabi_cx_t *cx, uint64_t ptr, uint64_t align,
                            uint64_t len, lat_error_t *err) {
  if (ptr % align != 0)
    return trap(err, "unaligned pointer %llu (alignment %llu)",
                (unsigned long long)ptr, (unsigned long long)align);
  return check_range(cx, ptr, len, err);
}

static uint8_t *mem_at(lat_cabi_cx_t *cx, uint32_t ptr) { return cx->memory->base + ptr; }

static uint64_t rd(lat_cabi_cx_t *cx, uint32_t ptr, unsigned n) {
  uint8_t b[8] = {0};
  memcpy(b, mem_at(cx, ptr), n);
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)b[i] << (8 * i);
  return v;
}

static void wr(lat_cabi_cx_t *cx, uint32_t ptr, uint64_t v, unsigned n) {
  uint8_t b[8];
  for (unsigned i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
  memcpy(mem_at(cx, ptr), b, n);
}

static lat_status call_realloc(lat_cabi_cx_t *cx, uint32_t old, uint32_t old_size,
                               uint32_t align, uint32_t size, uint32_t *out,
                               lat_error_t *err) {
  lat_status st = need_mem(cx, err);
  if (st) return st;
  if (!cx->memory->realloc_fn)
    return bad_host(err, "canonical ABI: no realloc in the options");
  if (cx->inst) {
    if (!lat_cabi_instance_may_leave(cx->inst))
      return trap(err, "cannot leave component instance");
    lat_cabi_instance_set_may_leave(cx->inst, false);
  }
  st = cx->memory->realloc_fn(cx->memory, old, old_size, align, size, out, err);
  if (cx->inst) lat_cabi_instance_set_may_leave(cx->inst, true);
  if (st) return st;
  if (!cx->memory->base) return bad_host(err, "realloc left no memory");
  return LAT_OK;
}

/* ---- host allocation ----------------------------------------------------------------------------- */

static void *cx_alloc(lat_cabi_cx_t *cx, size_t count, size_t size,
                      lat_error_t *err, lat_status *st) {
  uint64_t max = cx->max_host_bytes ? cx->max_host_bytes : (256ull << 20);
  size_t bytes;
  if (!lat_mul_size(count, size, &bytes) ||
      cx->arena->total - cx->arena_start + bytes > max) {
    *st = lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                        "lifted value exceeds the host limit of %llu bytes",
                        (unsigned long long)max);
    return NULL;
  }
  void *p = lat_arena_alloc(cx->arena, bytes ? bytes : 1);
  if (!p) *st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  return p;
}

/* ---- floats and chars ---------------------------------------------------------------------------- */

static float f32_from_bits(uint32_t b) {
  if ((b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu)) b = 0x7fc00000u;
  float f;
  memcpy(&f, &b, 4);
  return f;
}

static double f64_from_bits(uint64_t b) {
  if ((b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
      (b & 0x000fffffffffffffull))
    b = 0x7ff8000000000000ull;
  double f;
  memcpy(&f, &b, 8);
  return f;
}

static uint32_t f32_bits(float f) {
  uint32_t b;
  if (isnan(f)) return 0x7fc00000u;
  memcpy(&b, &f, 4);
  return b;
}

static uint64_t f64_bits(double f) {
  uint64_t b;
  if (isnan(f)) return 0x7ff8000000000000ull;
  memcpy(&b, &f, 8);
  return b;
}

static bool char_valid(uint32_t c) {
  return c < 0x110000 && !(c >= 0xD800 && c <= 0xDFFF);
}

/* ---- strings --------------------------------------------------------------------------------------- */

static lat_status lift_string(lat_cabi_cx_t *cx, uint32_t ptr, uint32_t tagged,
                              lat_cval_t *out, lat_error_t *err) {
  uint64_t bytes, align;
  int enc; /* 0 utf8, 1 utf16, 2 latin1 */
  switch (cx->encoding) {
  case LAT_CABI_UTF8:
    enc = 0, align = 1, bytes = tagged;
    break;
  case LAT_CABI_UTF16:
    enc = 1, align = 2, bytes = 2ull * tagged;
    break;
  default:
    align = 2;
    if (tagged & UTF16_TAG)
      enc = 1, bytes = 2ull * (tagged ^ UTF16_TAG);
    else
      enc = 2, bytes = tagged;
  }
  if (bytes > LAT_CABI_MAX_STRING_BYTES)
    return trap(err, "string of %llu bytes exceeds the maximum",
                (unsigned long long)bytes);
  lat_status st = check_ptr(cx, ptr, align, bytes, err);
  if (st) return st;
  out->kind = LAT_CT_STRING;
  const uint8_t *src = mem_at(cx, ptr);
  if (enc == 0) {
    if (!lat_utf8_valid(src, (size_t)bytes)) return trap(err, "invalid utf-8 string");
    char *p = cx_alloc(cx, (size_t)bytes + 1, 1, err, &st);
    if (!p) return st;
    memcpy(p, src, (size_t)bytes);
    out->of.str.ptr = p;
    out->of.str.len = (uint32_t)bytes;
    return LAT_OK;
  }
  /* worst case: latin1 byte -> 2 UTF-8 bytes; UTF-16 unit -> 3 bytes */
  uint64_t units = enc == 2 ? bytes : bytes / 2;
  char *p = cx_alloc(cx, (size_t)(units * (enc == 2 ? 2 : 3)) + 1, 1, err, &st);
  if (!p) return st;
  src = mem_at(cx, ptr); /* unchanged: no guest call in between */
  size_t n = 0;
  for (uint64_t i = 0; i < units; i++) {
    uint32_t cp;
    if (enc == 2) {
      cp = src[i];
    } else {
      cp = (uint32_t)src[2 * i] | ((uint32_t)src[2 * i + 1] << 8);
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (i + 1 >= units) return trap(err, "invalid utf-16 string: lone surrogate");
        uint32_t lo = (uint32_t)src[2 * i + 2] | ((uint32_t)src[2 * i + 3] << 8);
        if (lo < 0xDC00 || lo > 0xDFFF)
          return trap(err, "invalid utf-16 string: lone surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i++;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return trap(err, "invalid utf-16 string: lone surrogate");
      }
    }
    n += lat_utf8_encode(cp, (uint8_t *)p + n);
  }
  out->of.str.ptr = p;
  out->of.str.len = (uint32_t)n;
  return LAT_OK;
}

/* Decodes one code point from valid UTF-8 at s[*i]. */
static uint32_t utf8_next(const uint8_t *s, uint32_t *i) {
  uint32_t c = s[*i];
  if (c < 0x80) {
    (*i)++;
    return c;
  }
  if (c < 0xE0) {
    c = ((c & 0x1F) << 6) | (s[*i + 1] & 0x3F);
    *i += 2;
  } else if (c < 0xF0) {
    c = ((c & 0x0F) << 12) | ((s[*i + 1] & 0x3F) << 6) | (s[*i + 2] & 0x3F);
    *i += 3;
  } else {
    c = ((c & 0x07) << 18) | ((s[*i + 1] & 0x3F) << 12) |
        ((s[*i + 2] & 0x3F) << 6) | (s[*i + 3] & 0x3F);
    *i += 4;
  }
  return c;
}

static unsigned utf16_put(lat_cabi_cx_t *cx, uint32_t at, uint32_t cp) {
  if (cp < 0x10000) {
    wr(cx, at, cp, 2);
    return 1;
  }
  cp -= 0x10000;
  wr(cx, at, 0xD800 + (cp >> 10), 2);
  wr(cx, at + 2, 0xDC00 + (cp & 0x3FF), 2);
  return 2;
}

/* store_string_into_range for a UTF-8 host string. */
static lat_status lower_string(lat_cabi_cx_t *cx, const lat_cval_t *v,
                               uint32_t *out_ptr, uint32_t *out_len,
                               lat_error_t *err) {
  const uint8_t *s = (const uint8_t *)v->of.str.ptr;
  uint32_t n = v->of.str.len; /* code units of the UTF-8 source */
  uint32_t ptr;
  lat_status st;
  switch (cx->encoding) {
  case LAT_CABI_UTF8:
    if ((st = call_realloc(cx, 0, 0, 1, n, &ptr, err))) return st;
    if ((st = check_range(cx, ptr, n, err))) return st;
    if (n) memcpy(mem_at(cx, ptr), s, n);
    *out_ptr = ptr;
    *out_len = n;
    return LAT_OK;
  case LAT_CABI_UTF16: {
    uint64_t worst = 2ull * n;
    if ((st = call_realloc(cx, 0, 0, 2, (uint32_t)worst, &ptr, err))) return st;
    if ((st = check_ptr(cx, ptr, 2, worst, err))) return st;
    uint32_t units = 0;
    for (uint32_t i = 0; i < n;) units += utf16_put(cx, ptr + 2 * units, utf8_next(s, &i));
    if (2ull * units < worst) {
      if ((st = call_realloc(cx, ptr, (uint32_t)worst, 2, 2 * units, &ptr, err)))
        return st;
      if ((st = check_ptr(cx, ptr, 2, 2ull * units, err))) return st;
    }
    *out_ptr = ptr;
    *out_len = units;
    return LAT_OK;
  }
  default: { /* latin1+utf16 */
    if ((st = call_realloc(cx, 0, 0, 2, n, &ptr, err))) return st;
    if ((st = check_ptr(cx, ptr, 2, n, err))) return st;
    uint32_t len = 0, i = 0;
    while (i < n) {
      uint32_t save = i;
      uint32_t cp = utf8_next(s, &i);
      if (cp < 256) {
        wr(cx, ptr + len++, cp, 1);
        continue;
      }
      /* switch to UTF-16: widen what was written, encode the rest */
      uint64_t worst = 2ull * n;
      if ((st = call_realloc(cx, ptr, n, 2, (uint32_t)worst, &ptr, err))) return st;
      if ((st = check_ptr(cx, ptr, 2, worst, err))) return st;
      for (uint32_t j = len; j-- > 0;) {
        uint8_t b = mem_at(cx, ptr)[j];
        wr(cx, ptr + 2 * j, b, 2);
      }
      uint32_t units = len;
      for (i = save; i < n;) units += utf16_put(cx, ptr + 2 * units, utf8_next(s, &i));
      if (worst > 2ull * units) {
        if ((st = call_realloc(cx, ptr, (uint32_t)worst, 2, 2 * units, &ptr, err)))
          return st;
        if ((st = check_ptr(cx, ptr, 2, 2ull * units, err))) return st;
      }
      *out_ptr = ptr;
      *out_len = units | UTF16_TAG;
      return LAT_OK;
    }
    if (len < n) {
      if ((st = call_realloc(cx, ptr, n, 2, len, &ptr, err))) return st;
      if ((st = check_ptr(cx, ptr, 2, len, err))) return st;
    }
    *out_ptr = ptr;
    *out_len = len;
    return LAT_OK;
  }
  }
}

/* ---- resources ------------------------------------------------------------------------------------- */

static lat_status resolve_rt(lat_cabi_cx_t *cx, const lat_ctype_t *t,
                             const lat_cabi_rtype_t **out, lat_error_t *err) {
  if (!cx->inst || !cx->rtype_of)
    return bad_host(err, "canonical ABI: handles need an instance and rtype_of");
  *out = cx->rtype_of(cx->rtype_ctx, t->u.elem);
  if (!*out) return bad_host(err, "canonical ABI: unknown resource type");
  return LAT_OK;
}

static lat_status lift_handle(lat_cabi_cx_t *cx, const lat_ctype_t *t, uint32_t h,
                              lat_cval_t *out, lat_error_t *err) {
  const lat_cabi_rtype_t *rt;
  lat_status st = resolve_rt(cx, t, &rt, err);
  if (st) return st;
  out->kind = t->kind;
  out->of.handle.rt = rt;
  return t->kind == LAT_CT_OWN ? lat__cabi_lift_own(cx, h, rt, &out->of.handle.rep, err)
                               : lat__cabi_lift_borrow(cx, h, rt, &out->of.handle.rep, err);
}

static lat_status lower_handle(lat_cabi_cx_t *cx, const lat_cval_t *v,
                               const lat_ctype_t *t, uint32_t *h, lat_error_t *err) {
  const lat_cabi_rtype_t *rt;
  lat_status st = resolve_rt(cx, t, &rt, err);
  if (st) return st;
  if (v->of.handle.rt != rt)
    return bad_host(err, "handle of resource `%s` where `%s` was expected",
                    v->of.handle.rt && v->of.handle.rt->name ? v->of.handle.rt->name : "?",
                    rt->name ? rt->name : "?");
  return t->kind == LAT_CT_OWN ? lat__cabi_lower_own(cx, v->of.handle.rep, rt, h, err)
                               : lat__cabi_lower_borrow(cx, v->of.handle.rep, rt, h, err);
}

/* ---- load (lift from memory) ---------------------------------------------------------------------- */

static lat_status load(lat_cabi_cx_t *cx, uint32_t ptr, const lat_ctype_t *t,
                       lat_cval_t *out, lat_error_t *err);

static lat_status lift_list(lat_cabi_cx_t *cx, uint32_t ptr, uint32_t len,
                            const lat_ctype_t *elem, lat_cval_t *out,
                            lat_error_t *err) {
  uint64_t bytes = (uint64_t)len * elem->size;
  if (bytes > LAT_CABI_MAX_LIST_BYTES)
    return trap(err, "list of %llu bytes exceeds the maximum",
                (unsigned long long)bytes);
  lat_status st = check_ptr(cx, ptr, elem->align, bytes, err);
  if (st) return st;
  out->kind = LAT_CT_LIST;
  out->of.list.n = len;
  out->of.list.v = NULL;
  out->of.list.bytes = NULL;
  if (elem->kind == LAT_CT_U8 || elem->kind == LAT_CT_S8) {
    uint8_t *p = cx_alloc(cx, len ? len : 1, 1, err, &st);
    if (!p) return st;
    if (len) memcpy(p, mem_at(cx, ptr), len);
    out->of.list.bytes = p;
    return LAT_OK;
  }
  lat_cval_t *v = cx_alloc(cx, len ? len : 1, sizeof *v, err, &st);
  if (!v) return st;
  out->of.list.v = v;
  for (uint32_t i = 0; i < len; i++)
    if ((st = load(cx, ptr + i * elem->size, elem, &v[i], err))) return st;
  return LAT_OK;
}

static lat_status load(lat_cabi_cx_t *cx, uint32_t ptr, const lat_ctype_t *t,
                       lat_cval_t *out, lat_error_t *err) {
  lat_status st;
  out->kind = t->kind;
  switch (t->kind) {
  case LAT_CT_BOOL:
    out->of.b = rd(cx, ptr, 1) != 0;
    return LAT_OK;
  case LAT_CT_U8: out->of.u = rd(cx, ptr, 1); return LAT_OK;
  case LAT_CT_U16: out->of.u = rd(cx, ptr, 2); return LAT_OK;
  case LAT_CT_U32: out->of.u = rd(cx, ptr, 4); return LAT_OK;
  case LAT_CT_U64: out->of.u = rd(cx, ptr, 8); return LAT_OK;
  case LAT_CT_S8: out->of.s = (int8_t)rd(cx, ptr, 1); return LAT_OK;
  case LAT_CT_S16: out->of.s = (int16_t)rd(cx, ptr, 2); return LAT_OK;
  case LAT_CT_S32: out->of.s = (int32_t)rd(cx, ptr, 4); return LAT_OK;
  case LAT_CT_S64: out->of.s = (int64_t)rd(cx, ptr, 8); return LAT_OK;
  case LAT_CT_F32: out->of.f32 = f32_from_bits((uint32_t)rd(cx, ptr, 4)); return LAT_OK;
  case LAT_CT_F64: out->of.f64 = f64_from_bits(rd(cx, ptr, 8)); return LAT_OK;
  case LAT_CT_CHAR: {
    uint32_t c = (uint32_t)rd(cx, ptr, 4);
    if (!char_valid(c)) return trap(err, "invalid char 0x%x", c);
    out->of.c = c;
    return LAT_OK;
  }
  case LAT_CT_STRING:
    return lift_string(cx, (uint32_t)rd(cx, ptr, 4), (uint32_t)rd(cx, ptr + 4, 4),
                       out, err);
  case LAT_CT_LIST:
    return lift_list(cx, (uint32_t)rd(cx, ptr, 4), (uint32_t)rd(cx, ptr + 4, 4),
                     t->u.elem, out, err);
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE: {
    lat_cval_t *v = cx_alloc(cx, t->n, sizeof *v, err, &st);
    if (!v) return st;
    uint64_t p = ptr;
    for (uint32_t i = 0; i < t->n; i++) {
      const lat_ctype_t *f = t->u.fields[i].type;
      p = align_to(p, f->align);
      if ((st = load(cx, (uint32_t)p, f, &v[i], err))) return st;
      p += f->size;
    }
    out->of.list.v = v;
    out->of.list.n = t->n;
    out->of.list.bytes = NULL;
    return LAT_OK;
  }
  case LAT_CT_VARIANT:
  case LAT_CT_ENUM:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    uint32_t nc = lat__ctype_ncases(t), ds = disc_size(nc);
    uint32_t d = (uint32_t)rd(cx, ptr, ds);
    if (d >= nc) return trap(err, "invalid %s discriminant %u", lat_ctype_kind_name(t->kind), d);
    out->of.var.disc = d;
    out->of.var.payload = NULL;
    const lat_ctype_t *c = lat__ctype_case_type(t, d);
    if (!c) return LAT_OK;
    lat_cval_t *p = cx_alloc(cx, 1, sizeof *p, err, &st);
    if (!p) return st;
    out->of.var.payload = p;
    return load(cx, (uint32_t)align_to((uint64_t)ptr + ds, max_case_align(t)), c, p, err);
  }
  case LAT_CT_FLAGS: {
    uint64_t v = rd(cx, ptr, t->size);
    out->of.flags = (uint32_t)(t->n == 32 ? v : v & ((1u << t->n) - 1));
    return LAT_OK;
  }
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    return lift_handle(cx, t, (uint32_t)rd(cx, ptr, 4), out, err);
  default:
    return bad_host(err, "not a value type");
  }
}

lat_status lat_cabi_load(lat_cabi_cx_t *cx, uint32_t ptr, const lat_ctype_t *t,
                         lat_cval_t *out, lat_error_t *err) {
  if (!lat_ctype_is_value(t)) return bad_host(err, "not a value type");
  lat_status st = check_ptr(cx, ptr, t->align, t->size, err);
  if (st) return st;
  return load(cx, ptr, t, out, err);
}

/* ---- host value checks ------------------------------------------------------------------------------- */

static lat_status check_int(const lat_cval_t *v, const lat_ctype_t *t,
                            lat_error_t *err) {
  static const struct {
    int64_t lo;
    uint64_t hi;
  } r[] = {
      [LAT_CT_S8] = {-128, 127},       [LAT_CT_U8] = {0, 255},
      [LAT_CT_S16] = {-32768, 32767},  [LAT_CT_U16] = {0, 65535},
      [LAT_CT_S32] = {INT32_MIN, INT32_MAX}, [LAT_CT_U32] = {0, UINT32_MAX},
      [LAT_CT_S64] = {INT64_MIN, INT64_MAX}, [LAT_CT_U64] = {0, UINT64_MAX},
  };
  bool sign = t->kind == LAT_CT_S8 || t->kind == LAT_CT_S16 ||
              t->kind == LAT_CT_S32 || t->kind == LAT_CT_S64;
  if (sign ? (v->of.s < r[t->kind].lo || (v->of.s > 0 && (uint64_t)v->of.s > r[t->kind].hi))
           : v->of.u > r[t->kind].hi)
    return bad_host(err, "%s value out of range", lat_ctype_kind_name(t->kind));
  return LAT_OK;
}

static lat_status check_shallow(const lat_cval_t *v, const lat_ctype_t *t,
                                lat_error_t *err) {
  if (!v || v->kind != t->kind)
    return bad_host(err, "value of kind %s where %s was expected",
                    v ? lat_ctype_kind_name(v->kind) : "(null)",
                    lat_ctype_kind_name(t->kind));
  switch (t->kind) {
  case LAT_CT_S8: case LAT_CT_U8: case LAT_CT_S16: case LAT_CT_U16:
  case LAT_CT_S32: case LAT_CT_U32: case LAT_CT_S64: case LAT_CT_U64:
    return check_int(v, t, err);
  case LAT_CT_CHAR:
    if (!char_valid(v->of.c)) return bad_host(err, "invalid char 0x%x", v->of.c);
    return LAT_OK;
  case LAT_CT_STRING:
    if (v->of.str.len > LAT_CABI_MAX_STRING_BYTES)
      return bad_host(err, "string too long");
    if (v->of.str.len && !v->of.str.ptr) return bad_host(err, "string without data");
    if (!lat_utf8_valid((const uint8_t *)v->of.str.ptr, v->of.str.len))
      return bad_host(err, "string is not valid UTF-8");
    return LAT_OK;
  case LAT_CT_LIST: {
    const lat_ctype_t *e = t->u.elem;
    if ((uint64_t)v->of.list.n * e->size > LAT_CABI_MAX_LIST_BYTES)
      return bad_host(err, "list too long");
    bool bytes = e->kind == LAT_CT_U8 || e->kind == LAT_CT_S8;
    if (v->of.list.n && !v->of.list.v && !(bytes && v->of.list.bytes))
      return bad_host(err, "list without elements");
    return LAT_OK;
  }
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
    if (v->of.list.n != t->n || !v->of.list.v)
      return bad_host(err, "%s with %u fields where %u were expected",
                      lat_ctype_kind_name(t->kind), v->of.list.n, t->n);
    return LAT_OK;
  case LAT_CT_VARIANT:
  case LAT_CT_ENUM:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    if (v->of.var.disc >= lat__ctype_ncases(t))
      return bad_host(err, "invalid %s case %u", lat_ctype_kind_name(t->kind),
                      v->of.var.disc);
    if (lat__ctype_case_type(t, v->of.var.disc) && !v->of.var.payload)
      return bad_host(err, "missing %s payload", lat_ctype_kind_name(t->kind));
    return LAT_OK;
  }
  case LAT_CT_FLAGS:
    if (t->n < 32 && (v->of.flags >> t->n))
      return bad_host(err, "flags value has bits beyond its %u labels", t->n);
    return LAT_OK;
  default:
    return LAT_OK;
  }
}

lat_status lat_cval_check(const lat_cval_t *v, const lat_ctype_t *t,
                          lat_error_t *err) {
  if (!lat_ctype_is_value(t)) return bad_host(err, "not a value type");
  lat_status st = check_shallow(v, t, err);
  if (st) return st;
  switch (t->kind) {
  case LAT_CT_LIST:
    if (v->of.list.v)
      for (uint32_t i = 0; i < v->of.list.n; i++)
        if ((st = lat_cval_check(&v->of.list.v[i], t->u.elem, err))) return st;
    return LAT_OK;
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
    for (uint32_t i = 0; i < t->n; i++)
      if ((st = lat_cval_check(&v->of.list.v[i], t->u.fields[i].type, err))) return st;
    return LAT_OK;
  case LAT_CT_VARIANT:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    const lat_ctype_t *c = lat__ctype_case_type(t, v->of.var.disc);
    return c ? lat_cval_check(v->of.var.payload, c, err) : LAT_OK;
  }
  default:
    return LAT_OK;
  }
}

/* ---- store (lower into memory) ------------------------------------------------------------------------ */

static lat_status store(lat_cabi_cx_t *cx, const lat_cval_t *v, const lat_ctype_t *t,
                        uint32_t ptr, lat_error_t *err);

static lat_status lower_list(lat_cabi_cx_t *cx, const lat_cval_t *v,
                             const lat_ctype_t *elem, uint32_t *out_ptr,
                             lat_error_t *err) {
  uint32_t n = v->of.list.n;
  uint64_t bytes = (uint64_t)n * elem->size; /* <= 2^28 by check_shallow */
  uint32_t ptr;
  lat_status st = call_realloc(cx, 0, 0, elem->align, (uint32_t)bytes, &ptr, err);
  if (!st) st = check_ptr(cx, ptr, elem->align, bytes, err);
  if (st) return st;
  if (!v->of.list.v) { /* byte form */
    if (n) memcpy(mem_at(cx, ptr), v->of.list.bytes, n);
  } else {
    for (uint32_t i = 0; i < n; i++)
      if ((st = store(cx, &v->of.list.v[i], elem, ptr + i * elem->size, err)))
        return st;
  }
  *out_ptr = ptr;
  return LAT_OK;
}

static lat_status store(lat_cabi_cx_t *cx, const lat_cval_t *v, const lat_ctype_t *t,
                        uint32_t ptr, lat_error_t *err) {
  lat_status st = check_shallow(v, t, err);
  if (st) return st;
  switch (t->kind) {
  case LAT_CT_BOOL: wr(cx, ptr, v->of.b ? 1 : 0, 1); return LAT_OK;
  case LAT_CT_U8: case LAT_CT_U16: case LAT_CT_U32: case LAT_CT_U64:
    wr(cx, ptr, v->of.u, t->size);
    return LAT_OK;
  case LAT_CT_S8: case LAT_CT_S16: case LAT_CT_S32: case LAT_CT_S64:
    wr(cx, ptr, (uint64_t)v->of.s, t->size);
    return LAT_OK;
  case LAT_CT_F32: wr(cx, ptr, f32_bits(v->of.f32), 4); return LAT_OK;
  case LAT_CT_F64: wr(cx, ptr, f64_bits(v->of.f64), 8); return LAT_OK;
  case LAT_CT_CHAR: wr(cx, ptr, v->of.c, 4); return LAT_OK;
  case LAT_CT_STRING: {
    uint32_t p, n;
    if ((st = lower_string(cx, v, &p, &n, err))) return st;
    wr(cx, ptr, p, 4);
    wr(cx, ptr + 4, n, 4);
    return LAT_OK;
  }
  case LAT_CT_LIST: {
    uint32_t p;
    if ((st = lower_list(cx, v, t->u.elem, &p, err))) return st;
    wr(cx, ptr, p, 4);
    wr(cx, ptr + 4, v->of.list.n, 4);
    return LAT_OK;
  }
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE: {
    uint64_t p = ptr;
    for (uint32_t i = 0; i < t->n; i++) {
      const lat_ctype_t *f = t->u.fields[i].type;
      p = align_to(p, f->align);
      if ((st = store(cx, &v->of.list.v[i], f, (uint32_t)p, err))) return st;
      p += f->size;
    }
    return LAT_OK;
  }
  case LAT_CT_VARIANT:
  case LAT_CT_ENUM:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    uint32_t nc = lat__ctype_ncases(t), ds = disc_size(nc);
    wr(cx, ptr, v->of.var.disc, ds);
    const lat_ctype_t *c = lat__ctype_case_type(t, v->of.var.disc);
    if (!c) return LAT_OK;
    return store(cx, v->of.var.payload, c,
                 (uint32_t)align_to((uint64_t)ptr + ds, max_case_align(t)), err);
  }
  case LAT_CT_FLAGS:
    wr(cx, ptr, v->of.flags, t->size);
    return LAT_OK;
  case LAT_CT_OWN:
  case LAT_CT_BORROW: {
    uint32_t h;
    if ((st = lower_handle(cx, v, t, &h, err))) return st;
    wr(cx, ptr, h, 4);
    return LAT_OK;
  }
  default:
    return bad_host(err, "not a value type");
  }
}

lat_status lat_cabi_store(lat_cabi_cx_t *cx, const lat_cval_t *v,
                          const lat_ctype_t *t, uint32_t ptr, lat_error_t *err) {
  if (!lat_ctype_is_value(t)) return bad_host(err, "not a value type");
  lat_status st = check_ptr(cx, ptr, t->align, t->size, err);
  if (st) return st;
  return store(cx, v, t, ptr, err);
}

/* ---- flat lift ----------------------------------------------------------------------------------------- */

typedef struct {
  const lat_wasm_val_t *v;
  uint32_t n, i;
} vi_t;

static lat_status vi_next(vi_t *vi, uint8_t want, const lat_wasm_val_t **out,
                          lat_error_t *err) {
  if (vi->i >= vi->n) return bad_host(err, "too few core values");
  const lat_wasm_val_t *v = &vi->v[vi->i++];
  if (v->type != want)
    return bad_host(err, "core value of type 0x%02x where 0x%02x was expected",
                    v->type, want);
  *out = v;
  return LAT_OK;
}

static lat_status lift_flat(lat_cabi_cx_t *cx, vi_t *vi, const lat_ctype_t *t,
                            lat_cval_t *out, lat_error_t *err) {
  const lat_wasm_val_t *a, *b;
  lat_status st;
  out->kind = t->kind;
  switch (t->kind) {
  case LAT_CT_S64:
  case LAT_CT_U64:
    if ((st = vi_next(vi, LAT_I64, &a, err))) return st;
    if (t->kind == LAT_CT_U64) out->of.u = a->of.i64;
    else out->of.s = (int64_t)a->of.i64;
    return LAT_OK;
  case LAT_CT_F32:
    if ((st = vi_next(vi, LAT_F32, &a, err))) return st;
    out->of.f32 = f32_from_bits(a->of.f32);
    return LAT_OK;
  case LAT_CT_F64:
    if ((st = vi_next(vi, LAT_F64, &a, err))) return st;
    out->of.f64 = f64_from_bits(a->of.f64);
    return LAT_OK;
  case LAT_CT_STRING:
  case LAT_CT_LIST:
    if ((st = vi_next(vi, LAT_I32, &a, err)) || (st = vi_next(vi, LAT_I32, &b, err)))
      return st;
    if (t->kind == LAT_CT_STRING) return lift_string(cx, a->of.i32, b->of.i32, out, err);
    return lift_list(cx, a->of.i32, b->of.i32, t->u.elem, out, err);
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE: {
    lat_cval_t *v = cx_alloc(cx, t->n, sizeof *v, err, &st);
    if (!v) return st;
    for (uint32_t i = 0; i < t->n; i++)
      if ((st = lift_flat(cx, vi, t->u.fields[i].type, &v[i], err))) return st;
    out->of.list.v = v;
    out->of.list.n = t->n;
    out->of.list.bytes = NULL;
    return LAT_OK;
  }
  case LAT_CT_VARIANT:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    uint8_t flat[LAT_CABI_MAX_FLAT_PARAMS + 1], mine[LAT_CABI_MAX_FLAT_PARAMS + 1];
    uint32_t nf = 0, nm = 0;
    if (t->nflat > LAT_CABI_MAX_FLAT_PARAMS + 1) return bad_host(err, "variant too wide");
    flatten_into(t, flat, &nf);
    if ((st = vi_next(vi, LAT_I32, &a, err))) return st;
    uint32_t d = a->of.i32, nc = lat__ctype_ncases(t);
    if (d >= nc) return trap(err, "invalid %s discriminant %u", lat_ctype_kind_name(t->kind), d);
    out->of.var.disc = d;
    out->of.var.payload = NULL;
    const lat_ctype_t *c = lat__ctype_case_type(t, d);
    if (vi->i + (nf - 1) > vi->n) return bad_host(err, "too few core values");
    const lat_wasm_val_t *src = vi->v + vi->i;
    for (uint32_t i = 1; i < nf; i++)
      if (src[i - 1].type != flat[i]) return bad_host(err, "core value type mismatch");
    vi->i += nf - 1;
    if (!c) return LAT_OK;
    /* coerce the joined values back to the case's own flat types */
    lat_wasm_val_t tmp[LAT_CABI_MAX_FLAT_PARAMS + 1];
    flatten_into(c, mine, &nm);
    for (uint32_t i = 0; i < nm; i++) {
      uint8_t have = flat[i + 1], want = mine[i];
      lat_wasm_val_t x = src[i];
      tmp[i].type = want;
      if (have == want) tmp[i] = x;
      else if (have == LAT_I32 && want == LAT_F32) tmp[i].of.f32 = x.of.i32;
      else if (have == LAT_I64 && want == LAT_I32) tmp[i].of.i32 = (uint32_t)x.of.i64;
      else if (have == LAT_I64 && want == LAT_F32) tmp[i].of.f32 = (uint32_t)x.of.i64;
      else if (have == LAT_I64 && want == LAT_F64) tmp[i].of.f64 = x.of.i64;
      else return bad_host(err, "impossible variant join");
    }
    lat_cval_t *p = cx_alloc(cx, 1, sizeof *p, err, &st);
    if (!p) return st;
    out->of.var.payload = p;
    vi_t sub = {tmp, nm, 0};
    return lift_flat(cx, &sub, c, p, err);
  }
  default: { /* i32-based */
    if ((st = vi_next(vi, LAT_I32, &a, err))) return st;
    uint32_t x = a->of.i32;
    switch (t->kind) {
    case LAT_CT_BOOL: out->of.b = x != 0; return LAT_OK;
    case LAT_CT_U8: out->of.u = (uint8_t)x; return LAT_OK;
    case LAT_CT_U16: out->of.u = (uint16_t)x; return LAT_OK;
    case LAT_CT_U32: out->of.u = x; return LAT_OK;
    case LAT_CT_S8: out->of.s = (int8_t)x; return LAT_OK;
    case LAT_CT_S16: out->of.s = (int16_t)x; return LAT_OK;
    case LAT_CT_S32: out->of.s = (int32_t)x; return LAT_OK;
    case LAT_CT_CHAR:
      if (!char_valid(x)) return trap(err, "invalid char 0x%x", x);
      out->of.c = x;
      return LAT_OK;
    case LAT_CT_ENUM:
      if (x >= t->n) return trap(err, "invalid enum discriminant %u", x);
      out->of.var.disc = x;
      out->of.var.payload = NULL;
      return LAT_OK;
    case LAT_CT_FLAGS:
      out->of.flags = t->n == 32 ? x : x & ((1u << t->n) - 1);
      return LAT_OK;
    case LAT_CT_OWN:
    case LAT_CT_BORROW:
      return lift_handle(cx, t, x, out, err);
    default:
      return bad_host(err, "not a value type");
    }
  }
  }
}

/* ---- flat lower ------------------------------------------------------------------------------------------ */

typedef struct {
  lat_wasm_val_t *v;
  uint32_t n, cap;
} vo_t;

static lat_status vo_push(vo_t *vo, uint8_t type, uint64_t bits, lat_error_t *err) {
  if (vo->n >= vo->cap) return bad_host(err, "too many core values for the output");
  lat_wasm_val_t *v = &vo->v[vo->n++];
  memset(v, 0, sizeof *v);
  v->type = type;
  switch (type) {
  case LAT_I32: v->of.i32 = (uint32_t)bits; break;
  case LAT_I64: v->of.i64 = bits; break;
  case LAT_F32: v->of.f32 = (uint32_t)bits; break;
  default: v->of.f64 = bits; break;
  }
  return LAT_OK;
}

static lat_status lower_flat(lat_cabi_cx_t *cx, const lat_cval_t *v,
                             const lat_ctype_t *t, vo_t *vo, lat_error_t *err) {
  lat_status st = check_shallow(v, t, err);
  if (st) return st;
  switch (t->kind) {
  case LAT_CT_BOOL: return vo_push(vo, LAT_I32, v->of.b, err);
  case LAT_CT_U8: case LAT_CT_U16: case LAT_CT_U32:
    return vo_push(vo, LAT_I32, v->of.u, err);
  case LAT_CT_S8: case LAT_CT_S16: case LAT_CT_S32:
    return vo_push(vo, LAT_I32, (uint32_t)(int32_t)v->of.s, err);
  case LAT_CT_U64: return vo_push(vo, LAT_I64, v->of.u, err);
  case LAT_CT_S64: return vo_push(vo, LAT_I64, (uint64_t)v->of.s, err);
  case LAT_CT_F32: return vo_push(vo, LAT_F32, f32_bits(v->of.f32), err);
  case LAT_CT_F64: return vo_push(vo, LAT_F64, f64_bits(v->of.f64), err);
  case LAT_CT_CHAR: return vo_push(vo, LAT_I32, v->of.c, err);
  case LAT_CT_STRING: {
    uint32_t p, n;
    if ((st = lower_string(cx, v, &p, &n, err))) return st;
    if ((st = vo_push(vo, LAT_I32, p, err))) return st;
    return vo_push(vo, LAT_I32, n, err);
  }
  case LAT_CT_LIST: {
    uint32_t p;
    if ((st = lower_list(cx, v, t->u.elem, &p, err))) return st;
    if ((st = vo_push(vo, LAT_I32, p, err))) return st;
    return vo_push(vo, LAT_I32, v->of.list.n, err);
  }
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
    for (uint32_t i = 0; i < t->n; i++)
      if ((st = lower_flat(cx, &v->of.list.v[i], t->u.fields[i].type, vo, err)))
        return st;
    return LAT_OK;
  case LAT_CT_ENUM:
    return vo_push(vo, LAT_I32, v->of.var.disc, err);
  case LAT_CT_VARIANT:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    uint8_t flat[LAT_CABI_MAX_FLAT_PARAMS + 1];
    uint32_t nf = 0;
    if (t->nflat > LAT_CABI_MAX_FLAT_PARAMS + 1) return bad_host(err, "variant too wide");
    flatten_into(t, flat, &nf);
    if ((st = vo_push(vo, LAT_I32, v->of.var.disc, err))) return st;
    const lat_ctype_t *c = lat__ctype_case_type(t, v->of.var.disc);
    uint32_t k = 0;
    if (c) {
      lat_wasm_val_t tmp[LAT_CABI_MAX_FLAT_PARAMS + 1];
      vo_t sub = {tmp, 0, LAT_CABI_MAX_FLAT_PARAMS + 1};
      if ((st = lower_flat(cx, v->of.var.payload, c, &sub, err))) return st;
      for (; k < sub.n; k++) {
        uint8_t have = tmp[k].type, want = flat[k + 1];
        uint64_t bits;
        switch (have) {
        case LAT_I32: bits = tmp[k].of.i32; break;
        case LAT_F32: bits = tmp[k].of.f32; break;
        case LAT_I64: bits = tmp[k].of.i64; break;
        default: bits = tmp[k].of.f64; break;
        }
        if ((st = vo_push(vo, want, bits, err))) return st;
      }
    }
    for (k = k + 1; k < nf; k++)
      if ((st = vo_push(vo, flat[k], 0, err))) return st;
    return LAT_OK;
  }
  case LAT_CT_FLAGS:
    return vo_push(vo, LAT_I32, v->of.flags, err);
  case LAT_CT_OWN:
  case LAT_CT_BORROW: {
    uint32_t h;
    if ((st = lower_handle(cx, v, t, &h, err))) return st;
    return vo_push(vo, LAT_I32, h, err);
  }
  default:
    return bad_host(err, "not a value type");
  }
}

/* ---- values lists (params / results) ------------------------------------------------------------------------ */

static uint32_t total_flat(const lat_ctype_t *const *ts, uint32_t n) {
  uint64_t k = 0;
  for (uint32_t i = 0; i < n; i++) k += ts[i]->nflat;
  return k > LAT_CABI_FLAT_SAT ? LAT_CABI_FLAT_SAT : (uint32_t)k;
}

/* Layout of the tuple of ts: alignment and size. */
static void tuple_layout(const lat_ctype_t *const *ts, uint32_t n, uint32_t *align,
                         uint64_t *size) {
  uint64_t s = 0;
  uint32_t a = 1;
  for (uint32_t i = 0; i < n; i++) {
    s = align_to(s, ts[i]->align) + ts[i]->size;
    if (ts[i]->align > a) a = ts[i]->align;
  }
  *align = a;
  *size = align_to(s, a);
}

lat_status lat_cabi_lift_values(lat_cabi_cx_t *cx, uint32_t max_flat,
                                const lat_wasm_val_t *flat, uint32_t nflat,
                                const lat_ctype_t *const *ts, uint32_t n,
                                lat_cval_t *out, lat_error_t *err) {
  for (uint32_t i = 0; i < n; i++)
    if (!lat_ctype_is_value(ts[i])) return bad_host(err, "not a value type");
  vi_t vi = {flat, nflat, 0};
  lat_status st;
  if (total_flat(ts, n) > max_flat) {
    const lat_wasm_val_t *p = NULL;
    if ((st = vi_next(&vi, LAT_I32, &p, err))) return st;
    uint32_t align;
    uint64_t size, at = p->of.i32;
    tuple_layout(ts, n, &align, &size);
    if ((st = check_ptr(cx, at, align, size, err))) return st;
    for (uint32_t i = 0; i < n; i++) {
      at = align_to(at, ts[i]->align);
      if ((st = load(cx, (uint32_t)at, ts[i], &out[i], err))) return st;
      at += ts[i]->size;
    }
  } else {
    for (uint32_t i = 0; i < n; i++)
      if ((st = lift_flat(cx, &vi, ts[i], &out[i], err))) return st;
  }
  if (vi.i != vi.n) return bad_host(err, "%u core values left over", vi.n - vi.i);
  return LAT_OK;
}

lat_status lat_cabi_lower_values(lat_cabi_cx_t *cx, uint32_t max_flat,
                                 const lat_cval_t *vs, const lat_ctype_t *const *ts,
                                 uint32_t n, const uint32_t *out_param,
                                 lat_wasm_val_t *out, uint32_t cap,
                                 uint32_t *out_n, lat_error_t *err) {
  *out_n = 0;
  for (uint32_t i = 0; i < n; i++)
    if (!lat_ctype_is_value(ts[i])) return bad_host(err, "not a value type");
  vo_t vo = {out, 0, cap};
  lat_status st;
  if (total_flat(ts, n) > max_flat) {
    uint32_t align, ptr;
    uint64_t size;
    tuple_layout(ts, n, &align, &size);
    if (out_param) {
      ptr = *out_param;
    } else {
      if ((st = call_realloc(cx, 0, 0, align, (uint32_t)size, &ptr, err))) return st;
      if ((st = vo_push(&vo, LAT_I32, ptr, err))) return st;
    }
    if ((st = check_ptr(cx, ptr, align, size, err))) return st;
    uint64_t at = ptr;
    for (uint32_t i = 0; i < n; i++) {
      at = align_to(at, ts[i]->align);
      if ((st = store(cx, &vs[i], ts[i], (uint32_t)at, err))) return st;
      at += ts[i]->size;
    }
  } else {
    for (uint32_t i = 0; i < n; i++)
      if ((st = lower_flat(cx, &vs[i], ts[i], &vo, err))) return st;
  }
  *out_n = vo.n;
  return LAT_OK;
}

/* ---- equality ------------------------------------------------------------------------------------------------- */

bool lat_cval_equal(const lat_cval_t *a, const lat_cval_t *b) {
  if (!a || !b) return a == b;
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case LAT_CT_BOOL: return a->of.b == b->of.b;
  case LAT_CT_S8: case LAT_CT_S16: case LAT_CT_S32: case LAT_CT_S64:
    return a->of.s == b->of.s;
  case LAT_CT_U8: case LAT_CT_U16: case LAT_CT_U32: case LAT_CT_U64:
    return a->of.u == b->of.u;
  case LAT_CT_F32: return f32_bits(a->of.f32) == f32_bits(b->of.f32);
  case LAT_CT_F64: return f64_bits(a->of.f64) == f64_bits(b->of.f64);
  case LAT_CT_CHAR: return a->of.c == b->of.c;
  case LAT_CT_STRING:
    return a->of.str.len == b->of.str.len &&
           (!a->of.str.len || !memcmp(a->of.str.ptr, b->of.str.ptr, a->of.str.len));
  case LAT_CT_LIST:
  case LAT_CT_RECORD:
  case LAT_CT_TUPLE:
    if (a->of.list.n != b->of.list.n) return false;
    for (uint32_t i = 0; i < a->of.list.n; i++) {
      if (a->of.list.v && b->of.list.v) {
        if (!lat_cval_equal(&a->of.list.v[i], &b->of.list.v[i])) return false;
      } else {
        /* byte form on at least one side */
        int64_t x = a->of.list.v ? (a->of.list.v[i].kind == LAT_CT_S8 ? a->of.list.v[i].of.s
                                                                      : (int64_t)a->of.list.v[i].of.u)
                                 : a->of.list.bytes[i];
        int64_t y = b->of.list.v ? (b->of.list.v[i].kind == LAT_CT_S8 ? b->of.list.v[i].of.s
                                                                      : (int64_t)b->of.list.v[i].of.u)
                                 : b->of.list.bytes[i];
        if ((uint8_t)x != (uint8_t)y) return false;
      }
    }
    return true;
  case LAT_CT_VARIANT:
  case LAT_CT_ENUM:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT:
    return a->of.var.disc == b->of.var.disc &&
           lat_cval_equal(a->of.var.payload, b->of.var.payload);
  case LAT_CT_FLAGS: return a->of.flags == b->of.flags;
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    return a->of.handle.rep == b->of.handle.rep && a->of.handle.rt == b->of.handle.rt;
  default:
    return false;
  }
}
