/* lattice_wrpc.c: the wRPC value encoding (PROTOCOL.md §4.4), the component
 * model's value-definition encoding plus wRPC's future/stream extensions,
 * between lat_cval_t trees and bytes.
 *
 * Approach: two recursive walks driven by the type (lat_ctype_t), never by
 * the data: encode appends to a lat_buf_t, decode reads through a
 * lat_reader_t and allocates the value tree in the caller's arena.  The
 * per-kind wire form:
 *   bool 1 byte 0/1; u8/s8 1 raw byte; u16..u64 unsigned LEB128, s16..s64
 *   signed LEB128 (at most ceil(N/7) bytes, unused bits zero or sign);
 *   f32/f64 little-endian IEEE-754, every NaN written as the canonical one;
 *   char its UTF-8 (1-4 bytes); string LEB128 u32 byte length + UTF-8;
 *   list LEB128 u32 count + elements (list<u8>/list<s8>: raw bytes);
 *   record/tuple fields in order; variant/enum LEB128 u32 case + payload;
 *   option 0 | 1 value; result 0 ok | 1 err (+ payload when typed);
 *   flags ceil(n/8) bytes, bit i in byte i/8;
 *   future<T> 0 pending | 1 ready value; stream<T> 0 pending | 1 list<T>
 *   (SPEC.md says "stream<T> is encoded as list<T>"; the status byte in
 *   front follows PROTOCOL.md §4.4 and the wRPC bindings' readers, and
 *   wants checking against a packet capture before wrpc:http relies on it).
 *
 * Invariants for untrusted input: every count and length is checked
 * against the bytes left before anything is allocated (each element of a
 * type whose encoding is at least one byte needs one byte, so a count can
 * never exceed what is left; the only zero-byte type, flags with no
 * labels, is capped separately); the arena may grow by at most
 * LAT_WRPC_DECODE_MAX_ARENA per decode; recursion follows the type and is
 * also bounded by LAT_WRPC_MAX_DEPTH; every failure is LAT_EMALFORMED with
 * the byte offset in err->offset, never an assert.  Strings and byte lists
 * are copied into the arena, so the value outlives the input buffer.
 *
 * Resources (own/borrow) are refused with LAT_EUNSUPPORTED both ways: wRPC
 * sends them as opaque list<u8> whose meaning is up to the two peers, and
 * the host has no cross-host handle table yet.  Pending futures and
 * streams decode to a value with disc 0 and no payload: their data comes
 * on the path's own subject, which the transport (lattice_wrpc_nats.c)
 * carries as bytes.
 *
 * Rejected: decoding straight into canonical-ABI memory (the host needs
 * values for the providers' side too, and lat_cabi_store already lowers
 * trees); a zero-copy decode pointing into the input (the NATS message is
 * freed long before the component runs); accepting overlong LEB128 the way
 * some decoders do (the spec bounds it, and a strict decoder is what a
 * fuzzer can hold to a single meaning per input). */
#include <math.h>
#include <string.h>

#include "lattice_int.h"

#define ZERO_SIZE_MAX_COUNT (1u << 16) /* elements of a zero-byte type */

static const char *kind_name(uint8_t k) {
  if (k == LAT_WRPC_CT_FUTURE) return "future";
  if (k == LAT_WRPC_CT_STREAM) return "stream";
  return lat_ctype_kind_name((lat_ctype_kind_t)k);
}

/* ---- extension types ------------------------------------------------------ */
static const lat_ctype_t *ext_type(lat_arena_t *a, uint8_t kind,
                                   const lat_ctype_t *elem) {
  lat_ctype_t *t = lat_arena_alloc(a, sizeof *t);
  if (!t) return NULL;
  t->kind = kind;
  t->u.elem = elem;
  t->depth = (uint16_t)((elem ? elem->depth : 0) + 1);
  t->tsize = (elem ? elem->tsize : 0) + 1;
  t->has_resource = elem && elem->has_resource;
  t->has_borrow = elem && elem->has_borrow;
  return t;
}
const lat_ctype_t *lat_wrpc_type_future(lat_arena_t *a,
                                        const lat_ctype_t *elem) {
  return ext_type(a, LAT_WRPC_CT_FUTURE, elem);
}
const lat_ctype_t *lat_wrpc_type_stream(lat_arena_t *a,
                                        const lat_ctype_t *elem) {
  return elem ? ext_type(a, LAT_WRPC_CT_STREAM, elem) : NULL;
}

/* ---- encode --------------------------------------------------------------- */
static lat_status enc_err(lat_error_t *err, lat_status st, const char *fmt,
                          const char *a, const char *b) {
  return lat_error_set(err, st, SIZE_MAX, fmt, a, b);
}

static lat_status put_le(lat_buf_t *o, uint64_t v, unsigned n) {
  uint8_t b[8];
  for (unsigned i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
  return lat_buf_append(o, b, n);
}

static lat_status put_u32(lat_buf_t *o, uint32_t v) {
  return lat_buf_write_uleb(o, v);
}

static lat_status encode(const lat_cval_t *v, const lat_ctype_t *t,
                         lat_buf_t *o, unsigned depth, lat_error_t *err);

static lat_status encode_list(const lat_cval_t *v, const lat_ctype_t *elem,
                              lat_buf_t *o, unsigned depth, lat_error_t *err) {
  uint32_t n = v->of.list.n;
  lat_status st = put_u32(o, n);
  if (st != LAT_OK) return st;
  bool bytes = elem->kind == LAT_CT_U8 || elem->kind == LAT_CT_S8;
  if (bytes && v->of.list.bytes) return lat_buf_append(o, v->of.list.bytes, n);
  if (n && !v->of.list.v)
    return enc_err(err, LAT_EARG, "list<%s> of %s elements has no elements",
                   kind_name(elem->kind), "some");
  for (uint32_t i = 0; i < n && st == LAT_OK; i++)
    st = encode(&v->of.list.v[i], elem, o, depth + 1, err);
  return st;
}

static lat_status encode(const lat_cval_t *v, const lat_ctype_t *t,
                         lat_buf_t *o, unsigned depth, lat_error_t *err) {
  if (!t || !v) return lat_error_set(err, LAT_EARG, SIZE_MAX, "NULL value or type");
  if (depth > LAT_WRPC_MAX_DEPTH)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "value nested deeper than %u", LAT_WRPC_MAX_DEPTH);
  if (v->kind != t->kind)
    return enc_err(err, LAT_EARG, "a %s value for a %s type", kind_name(v->kind),
                   kind_name(t->kind));
  lat_status st = LAT_OK;
  switch (t->kind) {
    case LAT_CT_BOOL:
      return lat_buf_push(o, v->of.b ? 1 : 0);
    case LAT_CT_U8:
      return lat_buf_push(o, (uint8_t)v->of.u);
    case LAT_CT_S8:
      return lat_buf_push(o, (uint8_t)(int8_t)v->of.s);
    case LAT_CT_U16:
      return lat_buf_write_uleb(o, (uint16_t)v->of.u);
    case LAT_CT_U32:
      return lat_buf_write_uleb(o, (uint32_t)v->of.u);
    case LAT_CT_U64:
      return lat_buf_write_uleb(o, v->of.u);
    case LAT_CT_S16:
      return lat_buf_write_sleb(o, (int16_t)v->of.s);
    case LAT_CT_S32:
      return lat_buf_write_sleb(o, (int32_t)v->of.s);
    case LAT_CT_S64:
      return lat_buf_write_sleb(o, v->of.s);
    case LAT_CT_F32: {
      uint32_t bits;
      memcpy(&bits, &v->of.f32, 4);
      if (isnan(v->of.f32)) bits = 0x7fc00000u;
      return put_le(o, bits, 4);
    }
    case LAT_CT_F64: {
      uint64_t bits;
      memcpy(&bits, &v->of.f64, 8);
      if (isnan(v->of.f64)) bits = 0x7ff8000000000000ull;
      return put_le(o, bits, 8);
    }
    case LAT_CT_CHAR: {
      uint8_t u[4];
      size_t n = lat_utf8_encode(v->of.c, u);
      if (!n)
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "char U+%X is not a Unicode scalar value",
                             v->of.c);
      return lat_buf_append(o, u, n);
    }
    case LAT_CT_STRING:
      if (v->of.str.len && !v->of.str.ptr)
        return lat_error_set(err, LAT_EARG, SIZE_MAX, "string with NULL bytes");
      if (!lat_utf8_valid((const uint8_t *)v->of.str.ptr, v->of.str.len))
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "string is not valid UTF-8");
      st = put_u32(o, v->of.str.len);
      return st ? st : lat_buf_append(o, v->of.str.ptr, v->of.str.len);
    case LAT_CT_LIST:
      return encode_list(v, t->u.elem, o, depth, err);
    case LAT_CT_RECORD:
    case LAT_CT_TUPLE:
      if (v->of.list.n != t->n || (t->n && !v->of.list.v))
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "%s of %u fields given %u values",
                             kind_name(t->kind), t->n, v->of.list.n);
      for (uint32_t i = 0; i < t->n && st == LAT_OK; i++)
        st = encode(&v->of.list.v[i], t->u.fields[i].type, o, depth + 1, err);
      return st;
    case LAT_CT_VARIANT:
    case LAT_CT_ENUM:
    case LAT_CT_OPTION:
    case LAT_CT_RESULT:
    case LAT_WRPC_CT_FUTURE: {
      uint32_t d = v->of.var.disc;
      const lat_ctype_t *pt = NULL;
      uint32_t ncases = t->kind == LAT_CT_VARIANT || t->kind == LAT_CT_ENUM
                            ? t->n
                            : 2;
      if (d >= ncases)
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "%s case %u out of %u cases", kind_name(t->kind),
                             d, ncases);
      if (t->kind == LAT_CT_VARIANT) pt = t->u.fields[d].type;
      if (t->kind == LAT_CT_OPTION || t->kind == LAT_WRPC_CT_FUTURE)
        pt = d ? t->u.elem : NULL;
      if (t->kind == LAT_CT_RESULT) pt = d ? t->u.result.err : t->u.result.ok;
      st = t->kind == LAT_CT_VARIANT || t->kind == LAT_CT_ENUM
               ? put_u32(o, d)
               : lat_buf_push(o, (uint8_t)d);
      if (st != LAT_OK || !pt) return st;
      if (!v->of.var.payload)
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "%s case %u has no payload value",
                             kind_name(t->kind), d);
      return encode(v->of.var.payload, pt, o, depth + 1, err);
    }
    case LAT_WRPC_CT_STREAM:
      st = lat_buf_push(o, v->of.var.disc ? 1 : 0);
      if (st != LAT_OK || !v->of.var.disc) return st;
      if (!v->of.var.payload || v->of.var.payload->kind != LAT_CT_LIST)
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "ready stream without a list payload");
      return encode_list(v->of.var.payload, t->u.elem, o, depth + 1, err);
    case LAT_CT_FLAGS: {
      if (t->n < 32 && (v->of.flags >> t->n))
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "flags value 0x%x sets bits beyond its %u labels",
                             v->of.flags, t->n);
      for (uint32_t i = 0; i < (t->n + 7) / 8 && st == LAT_OK; i++)
        st = lat_buf_push(o, (uint8_t)(v->of.flags >> (8 * i)));
      return st;
    }
    case LAT_CT_OWN:
    case LAT_CT_BORROW:
      return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                           "%s<%s>: resource handles cannot cross hosts yet "
                           "(wRPC sends them as opaque list<u8>)",
                           kind_name(t->kind),
                           t->u.elem && t->u.elem->res_name
                               ? t->u.elem->res_name
                               : "resource");
    default:
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "%s is not a value type", kind_name(t->kind));
  }
}

lat_status lat_wrpc_encode(const lat_cval_t *v, const lat_ctype_t *t,
                           lat_buf_t *out, lat_error_t *err) {
  size_t mark = out->len;
  lat_status st = encode(v, t, out, 0, err);
  if (st == LAT_ENOMEM) lat_error_set(err, st, SIZE_MAX, "out of memory");
  if (st != LAT_OK) out->len = mark;
  return st;
}

lat_status lat_wrpc_encode_values(const lat_cval_t *vs,
                                  const lat_ctype_t *const *ts, uint32_t n,
                                  lat_buf_t *out, lat_error_t *err) {
  size_t mark = out->len;
  lat_status st = LAT_OK;
  for (uint32_t i = 0; i < n && st == LAT_OK; i++)
    st = encode(&vs[i], ts[i], out, 0, err);
  if (st == LAT_ENOMEM) lat_error_set(err, st, SIZE_MAX, "out of memory");
  if (st != LAT_OK) out->len = mark;
  return st;
}

/* ---- decode --------------------------------------------------------------- */
typedef struct {
  lat_reader_t r;
  lat_arena_t *a;
  size_t arena_start;  /* a->total when the decode began */
  lat_status alloc_st; /* why the last dalloc failed */
  lat_error_t *err;
} dec_t;

static lat_status bad(dec_t *d, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static lat_status bad(dec_t *d, size_t off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lat_status st = lat_error_vset(d->err, LAT_EMALFORMED, off, fmt, ap);
  va_end(ap);
  return st;
}

static size_t off(const dec_t *d) { return lat_reader_offset(&d->r); }

static void *dalloc(dec_t *d, size_t count, size_t size) {
  size_t n;
  if (!lat_mul_size(count, size, &n)) return NULL;
  if (d->a->total - d->arena_start + n > LAT_WRPC_DECODE_MAX_ARENA) {
    d->alloc_st = lat_error_set(d->err, LAT_ELIMIT, off(d),
                  "decoded value would need more than %u MiB",
                  (unsigned)(LAT_WRPC_DECODE_MAX_ARENA >> 20));
    return NULL;
  }
  void *p = lat_arena_array(d->a, count ? count : 1, size);
  if (!p) d->alloc_st = lat_error_set(d->err, LAT_ENOMEM, off(d), "out of memory");
  return p;
}

static lat_status rd_byte(dec_t *d, const char *what, uint8_t *out) {
  if (d->r.p >= d->r.end) return bad(d, off(d), "truncated: %s expected", what);
  *out = *d->r.p++;
  return LAT_OK;
}

/* LEB128 of an N-bit integer: at most ceil(N/7) bytes; the bits of the
 * last byte above N must be zero (unsigned) or copies of the sign bit. */
static lat_status rd_leb(dec_t *d, unsigned bits, bool is_signed,
                         const char *what, uint64_t *out) {
  size_t start = off(d);
  unsigned maxb = (bits + 6) / 7, shift = 0;
  uint64_t v = 0;
  for (unsigned i = 0;; i++) {
    if (i == maxb)
      return bad(d, start, "%s: LEB128 longer than %u bytes", what, maxb);
    uint8_t b;
    if (d->r.p >= d->r.end)
      return bad(d, off(d), "truncated: %s LEB128 ends early", what);
    b = *d->r.p++;
    uint64_t low = b & 0x7f;
    v |= low << shift;
    if (b & 0x80) {
      shift += 7;
      continue;
    }
    unsigned valid = bits - shift; /* bits of this byte that count */
    if (valid < 7) {
      uint64_t hi = low >> (is_signed ? valid - 1 : valid);
      uint64_t ones = 0x7fu >> (is_signed ? valid - 1 : valid);
      if (hi != 0 && !(is_signed && hi == ones))
        return bad(d, start, "%s: LEB128 overflows %c%u", what,
                   is_signed ? 's' : 'u', bits);
    }
    if (is_signed && shift + 7 < 64 && (low & 0x40)) v |= ~0ull << (shift + 7);
    *out = v;
    return LAT_OK;
  }
}

static lat_status rd_u32(dec_t *d, const char *what, uint32_t *out) {
  uint64_t v;
  lat_status st = rd_leb(d, 32, false, what, &v);
  *out = (uint32_t)v;
  return st;
}

/* The fewest bytes any value of t encodes to (0 or 1 suffice for the count
 * checks: everything but flags with no labels takes at least a byte). */
static bool zero_size(const lat_ctype_t *t) {
  return t->kind == LAT_CT_FLAGS && t->n == 0;
}

/* Reads a count of elements of type elem and checks it against what is
 * left. */
static lat_status rd_count(dec_t *d, const lat_ctype_t *elem, const char *what,
                           uint32_t *out) {
  size_t start = off(d);
  lat_status st = rd_u32(d, what, out);
  if (st != LAT_OK) return st;
  if (zero_size(elem) ? *out > ZERO_SIZE_MAX_COUNT
                      : *out > lat_reader_left(&d->r))
    return bad(d, start, "%s of %u elements but only %zu bytes left", what,
               *out, lat_reader_left(&d->r));
  return LAT_OK;
}

static lat_status decode(dec_t *d, const lat_ctype_t *t, lat_cval_t *v,
                         unsigned depth);

static lat_status decode_list(dec_t *d, const lat_ctype_t *elem, lat_cval_t *v,
                              unsigned depth) {
  uint32_t n;
  lat_status st = rd_count(d, elem, "list", &n);
  if (st != LAT_OK) return st;
  v->kind = LAT_CT_LIST;
  v->of.list.n = n;
  if (elem->kind == LAT_CT_U8 || elem->kind == LAT_CT_S8) {
    uint8_t *b = dalloc(d, n, 1);
    if (!b) return d->alloc_st;
    memcpy(b, d->r.p, n);
    d->r.p += n;
    v->of.list.bytes = b;
    return LAT_OK;
  }
  if (n == 0) return LAT_OK;
  lat_cval_t *vs = dalloc(d, n, sizeof *vs);
  if (!vs) return d->alloc_st;
  v->of.list.v = vs;
  for (uint32_t i = 0; i < n && st == LAT_OK; i++)
    st = decode(d, elem, &vs[i], depth + 1);
  return st;
}

static lat_status decode_char(dec_t *d, lat_cval_t *v) {
  size_t start = off(d);
  uint8_t b0 = 0;
  lat_status st = rd_byte(d, "char", &b0);
  if (st != LAT_OK) return st;
  size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3
                                               : (b0 >> 3) == 30 ? 4 : 0;
  if (n == 0) return bad(d, start, "char: 0x%02x does not start UTF-8", b0);
  if (lat_reader_left(&d->r) < n - 1)
    return bad(d, start, "truncated: char needs %zu bytes", n);
  const uint8_t *p = d->r.p - 1;
  if (!lat_utf8_valid(p, n)) return bad(d, start, "char: invalid UTF-8");
  uint32_t c = n == 1 ? b0 : b0 & (0x7fu >> n);
  for (size_t i = 1; i < n; i++) c = (c << 6) | (p[i] & 0x3fu);
  d->r.p += n - 1;
  v->of.c = c;
  return LAT_OK;
}

static lat_status decode(dec_t *d, const lat_ctype_t *t, lat_cval_t *v,
                         unsigned depth) {
  if (depth > LAT_WRPC_MAX_DEPTH)
    return lat_error_set(d->err, LAT_ELIMIT, off(d),
                         "value nested deeper than %u", LAT_WRPC_MAX_DEPTH);
  memset(v, 0, sizeof *v);
  v->kind = t->kind;
  size_t start = off(d);
  uint64_t x = 0;
  uint8_t b = 0; /* set by rd_byte on success: zero only quiets -O2's flow analysis */
  lat_status st;
  switch (t->kind) {
    case LAT_CT_BOOL:
      if ((st = rd_byte(d, "bool", &b))) return st;
      if (b > 1) return bad(d, start, "bool: byte 0x%02x is not 0 or 1", b);
      v->of.b = b;
      return LAT_OK;
    case LAT_CT_U8:
      if ((st = rd_byte(d, "u8", &b))) return st;
      v->of.u = b;
      return LAT_OK;
    case LAT_CT_S8:
      if ((st = rd_byte(d, "s8", &b))) return st;
      v->of.s = (int8_t)b;
      return LAT_OK;
    case LAT_CT_U16:
    case LAT_CT_U32:
    case LAT_CT_U64: {
      unsigned bits = t->kind == LAT_CT_U16 ? 16 : t->kind == LAT_CT_U32 ? 32 : 64;
      if ((st = rd_leb(d, bits, false, kind_name(t->kind), &x))) return st;
      v->of.u = x;
      return LAT_OK;
    }
    case LAT_CT_S16:
    case LAT_CT_S32:
    case LAT_CT_S64: {
      unsigned bits = t->kind == LAT_CT_S16 ? 16 : t->kind == LAT_CT_S32 ? 32 : 64;
      if ((st = rd_leb(d, bits, true, kind_name(t->kind), &x))) return st;
      v->of.s = (int64_t)x;
      return LAT_OK;
    }
    case LAT_CT_F32:
    case LAT_CT_F64: {
      unsigned n = t->kind == LAT_CT_F32 ? 4 : 8;
      if (lat_reader_left(&d->r) < n)
        return bad(d, start, "truncated: %s needs %u bytes", kind_name(t->kind), n);
      x = 0;
      for (unsigned i = 0; i < n; i++) x |= (uint64_t)d->r.p[i] << (8 * i);
      d->r.p += n;
      if (n == 4) {
        uint32_t bits = (uint32_t)x;
        memcpy(&v->of.f32, &bits, 4);
        if (isnan(v->of.f32)) {
          bits = 0x7fc00000u;
          memcpy(&v->of.f32, &bits, 4);
        }
      } else {
        memcpy(&v->of.f64, &x, 8);
        if (isnan(v->of.f64)) {
          x = 0x7ff8000000000000ull;
          memcpy(&v->of.f64, &x, 8);
        }
      }
      return LAT_OK;
    }
    case LAT_CT_CHAR:
      return decode_char(d, v);
    case LAT_CT_STRING: {
      uint32_t n;
      if ((st = rd_u32(d, "string length", &n))) return st;
      if (n > lat_reader_left(&d->r))
        return bad(d, start, "string of %u bytes but only %zu bytes left", n,
                   lat_reader_left(&d->r));
      if (!lat_utf8_valid(d->r.p, n))
        return bad(d, off(d), "string is not valid UTF-8");
      char *s = dalloc(d, (size_t)n + 1, 1);
      if (!s) return d->alloc_st;
      memcpy(s, d->r.p, n);
      d->r.p += n;
      v->of.str.ptr = s;
      v->of.str.len = n;
      return LAT_OK;
    }
    case LAT_CT_LIST:
      return decode_list(d, t->u.elem, v, depth);
    case LAT_CT_RECORD:
    case LAT_CT_TUPLE: {
      lat_cval_t *vs = dalloc(d, t->n, sizeof *vs);
      if (!vs) return d->alloc_st;
      v->of.list.v = vs;
      v->of.list.n = t->n;
      for (uint32_t i = 0; i < t->n; i++)
        if ((st = decode(d, t->u.fields[i].type, &vs[i], depth + 1))) return st;
      return LAT_OK;
    }
    case LAT_CT_VARIANT:
    case LAT_CT_ENUM:
    case LAT_CT_OPTION:
    case LAT_CT_RESULT:
    case LAT_WRPC_CT_FUTURE:
    case LAT_WRPC_CT_STREAM: {
      uint32_t disc;
      const lat_ctype_t *pt = NULL;
      if (t->kind == LAT_CT_VARIANT || t->kind == LAT_CT_ENUM) {
        if ((st = rd_u32(d, "case index", &disc))) return st;
        if (disc >= t->n)
          return bad(d, start, "%s case %u out of %u cases", kind_name(t->kind),
                     disc, t->n);
        if (t->kind == LAT_CT_VARIANT) pt = t->u.fields[disc].type;
      } else {
        if ((st = rd_byte(d, kind_name(t->kind), &b))) return st;
        if (b > 1)
          return bad(d, start, "%s: byte 0x%02x is not 0 or 1",
                     kind_name(t->kind), b);
        disc = b;
        if (t->kind == LAT_CT_RESULT)
          pt = disc ? t->u.result.err : t->u.result.ok;
        else if (disc)
          pt = t->u.elem;
      }
      v->of.var.disc = disc;
      if (!pt) return LAT_OK;
      lat_cval_t *p = dalloc(d, 1, sizeof *p);
      if (!p) return d->alloc_st;
      v->of.var.payload = p;
      if (t->kind == LAT_WRPC_CT_STREAM) return decode_list(d, pt, p, depth + 1);
      return decode(d, pt, p, depth + 1);
    }
    case LAT_CT_FLAGS: {
      uint32_t nb = (t->n + 7) / 8, f = 0;
      if (lat_reader_left(&d->r) < nb)
        return bad(d, start, "truncated: flags need %u bytes", nb);
      for (uint32_t i = 0; i < nb; i++) f |= (uint32_t)d->r.p[i] << (8 * i);
      if (t->n < 32 && (f >> t->n))
        return bad(d, start, "flags 0x%x set bits beyond the %u labels", f, t->n);
      d->r.p += nb;
      v->of.flags = f;
      return LAT_OK;
    }
    case LAT_CT_OWN:
    case LAT_CT_BORROW:
      return lat_error_set(d->err, LAT_EUNSUPPORTED, start,
                           "%s<%s>: resource handles cannot cross hosts yet",
                           kind_name(t->kind),
                           t->u.elem && t->u.elem->res_name
                               ? t->u.elem->res_name
                               : "resource");
    default:
      return lat_error_set(d->err, LAT_EARG, start, "%s is not a value type",
                           kind_name(t->kind));
  }
}

lat_status lat_wrpc_decode_values(const uint8_t *data, size_t len,
                                  const lat_ctype_t *const *ts, uint32_t n,
                                  lat_arena_t *a, lat_cval_t *out,
                                  lat_error_t *err) {
  dec_t d = {.r = {.base = data, .p = data, .end = data + len},
             .a = a,
             .arena_start = a->total,
             .err = err};
  if (!data) d.r.base = d.r.p = d.r.end = (const uint8_t *)"";
  for (uint32_t i = 0; i < n; i++) {
    if (!ts[i])
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "type %u is NULL", i);
    lat_status st = decode(&d, ts[i], &out[i], 0);
    if (st != LAT_OK) return st;
  }
  if (lat_reader_left(&d.r))
    return bad(&d, off(&d), "%zu trailing bytes after the value",
               lat_reader_left(&d.r));
  return LAT_OK;
}

lat_status lat_wrpc_decode(const uint8_t *data, size_t len,
                           const lat_ctype_t *t, lat_arena_t *a,
                           lat_cval_t *out, lat_error_t *err) {
  return lat_wrpc_decode_values(data, len, &t, 1, a, out, err);
}
