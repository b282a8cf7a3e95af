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
 *   future<T> 0 pending | 1 value; stream<T> one chunk, LEB128 count +
 *   elements: count 0 pending, else the ready stream's elements.
 * The stream form is wrpc-transport's (value.rs: StreamDecoder and
 * StreamDecoderBytes read one chunk, an empty one meaning pending; there is
 * no status byte, so the Go bindings' 1 + list would be misread by a Rust
 * peer).  An empty ready stream is thus the same byte as a pending one:
 * the plain encode writes 0x00 for it, and it reads back as pending.
 *
 * Async values (PROTOCOL.md §4.3): the walks keep the index path of the
 * value at hand (pstack_t: the tuple position, record/tuple fields, list
 * elements; option/result/variant push nothing, as value.rs).  The async
 * encode writes a pending future or stream as 0x00 (its data is the
 * caller's to send) and a ready one inline, where the Rust reader takes
 * it: a future as 1 + value, a stream as its one non-empty chunk, so the
 * peer needs no path and no extra message (Rust writers always send
 * pending, but read both).  Only an empty ready stream, which inline would
 * read as pending, goes as 0x00 with the end chunk (0x00) as its path's
 * data in a lat_wrpc_asyncs_t.  The async decode, on a pending one, either
 * notes its path (lat_wrpc_pending_paths, what the transport waits for) or
 * decodes its path's data with a sub-decoder sharing the arena budget.
 * Inside path data, or inside an inline future's value or stream's chunk,
 * a future or stream would need a longer path still; the encoder refuses
 * one there and the decoder a pending one (LAT_EUNSUPPORTED) rather than
 * half-carry it, since no wasmCloud interface nests them.  Paths are fixed
 * arrays of LAT_WRPC_MAX_PATH indexes: no allocation per path, and a
 * deeper one is an error only where an async value actually sits.
 *
 * Invariants for untrusted input: every count and length is checked
 * against the bytes left before anything is allocated (each element of a
 * type whose encoding is at least one byte needs one byte, so a count can
 * never exceed what is left; the only zero-byte type, flags with no
 * labels, is capped separately); the arena may grow by at most
 * LAT_WRPC_DECODE_MAX_ARENA per decode, path data included; recursion
 * follows the type and is also bounded by LAT_WRPC_MAX_DEPTH; every
 * failure is LAT_EMALFORMED with the byte offset in err->offset (in path
 * data: the offset in that path's data, the path named in the message),
 * never an assert.  Strings and byte lists are copied into the arena, so
 * the value outlives the input buffer.
 *
 * Resources (own/borrow) are refused with LAT_EUNSUPPORTED both ways: wRPC
 * sends them as opaque list<u8> whose meaning is up to the two peers, and
 * the host has no cross-host handle table yet.  The plain decode leaves a
 * pending future or stream with disc 0 and no payload.
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

/* A record, variant or tuple node over parts that may be futures or
 * streams; variant cases may have no payload. */
static const lat_ctype_t *fields_node(lat_arena_t *a, uint8_t kind,
                                      const lat_cfield_t *f, uint32_t n) {
  lat_ctype_t *t = lat_arena_alloc(a, sizeof *t);
  lat_cfield_t *c = lat_arena_array(a, n ? n : 1, sizeof *c);
  if (!t || !c) return NULL;
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->n = n;
  t->u.fields = c;
  t->depth = 1;
  t->tsize = 1;
  for (uint32_t i = 0; i < n; i++) {
    const lat_ctype_t *ft = f[i].type;
    if (!ft && kind != LAT_CT_VARIANT) return NULL;
    c[i].type = ft;
    c[i].name = NULL;
    if (f[i].name) {
      size_t len = strlen(f[i].name);
      char *name = lat_arena_alloc(a, len + 1);
      if (!name) return NULL;
      memcpy(name, f[i].name, len + 1);
      c[i].name = name;
    }
    if (!ft) continue;
    if (ft->depth + 1 > t->depth) t->depth = (uint16_t)(ft->depth + 1);
    t->tsize = t->tsize + ft->tsize < LAT_CTYPE_MAX_SIZE
                   ? t->tsize + ft->tsize
                   : LAT_CTYPE_MAX_SIZE;
    t->has_resource |= ft->has_resource;
    t->has_borrow |= ft->has_borrow;
  }
  return t;
}
const lat_ctype_t *lat_wrpc_type_record(lat_arena_t *a, const lat_cfield_t *f,
                                        uint32_t n) {
  return fields_node(a, LAT_CT_RECORD, f, n);
}
const lat_ctype_t *lat_wrpc_type_variant(lat_arena_t *a, const lat_cfield_t *c,
                                         uint32_t n) {
  return fields_node(a, LAT_CT_VARIANT, c, n);
}
const lat_ctype_t *lat_wrpc_type_tuple(lat_arena_t *a,
                                       const lat_ctype_t *const *elems,
                                       uint32_t n) {
  lat_cfield_t *f = lat_arena_array(a, n ? n : 1, sizeof *f);
  if (!f) return NULL;
  for (uint32_t i = 0; i < n; i++) f[i] = (lat_cfield_t){NULL, elems[i]};
  return fields_node(a, LAT_CT_TUPLE, f, n);
}
const lat_ctype_t *lat_wrpc_type_list(lat_arena_t *a, const lat_ctype_t *elem) {
  return elem ? ext_type(a, LAT_CT_LIST, elem) : NULL;
}
const lat_ctype_t *lat_wrpc_type_option(lat_arena_t *a,
                                        const lat_ctype_t *elem) {
  return elem ? ext_type(a, LAT_CT_OPTION, elem) : NULL;
}
const lat_ctype_t *lat_wrpc_type_result(lat_arena_t *a, const lat_ctype_t *ok,
                                        const lat_ctype_t *err) {
  const lat_ctype_t *parts[2] = {ok, err};
  lat_ctype_t *t = lat_arena_alloc(a, sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->kind = LAT_CT_RESULT;
  t->u.result.ok = ok;
  t->u.result.err = err;
  t->depth = 1;
  t->tsize = 1;
  for (int i = 0; i < 2; i++) {
    if (!parts[i]) continue;
    if (parts[i]->depth + 1 > t->depth) t->depth = (uint16_t)(parts[i]->depth + 1);
    t->tsize += parts[i]->tsize;
    t->has_resource |= parts[i]->has_resource;
    t->has_borrow |= parts[i]->has_borrow;
  }
  return t;
}

static bool has_async(const lat_ctype_t *t, unsigned depth) {
  if (!t || depth > LAT_WRPC_MAX_DEPTH) return false;
  switch (t->kind) {
    case LAT_WRPC_CT_FUTURE:
    case LAT_WRPC_CT_STREAM:
      return true;
    case LAT_CT_LIST:
    case LAT_CT_OPTION:
      return has_async(t->u.elem, depth + 1);
    case LAT_CT_RESULT:
      return has_async(t->u.result.ok, depth + 1) ||
             has_async(t->u.result.err, depth + 1);
    case LAT_CT_RECORD:
    case LAT_CT_TUPLE:
    case LAT_CT_VARIANT:
      for (uint32_t i = 0; i < t->n; i++)
        if (has_async(t->u.fields[i].type, depth + 1)) return true;
      return false;
    default:
      return false;
  }
}
bool lat_wrpc_type_has_async(const lat_ctype_t *t) { return has_async(t, 0); }

/* ---- paths and path data ---------------------------------------------------- */
/* The path of the value being encoded or decoded.  It may grow past
 * LAT_WRPC_MAX_PATH (deep values with no async value in them are fine);
 * only taking such a path for an async value is an error. */
typedef struct {
  uint32_t d;
  uint32_t idx[LAT_WRPC_MAX_PATH];
} pstack_t;

static void ps_push(pstack_t *p, uint32_t i) {
  if (p->d < LAT_WRPC_MAX_PATH) p->idx[p->d] = i;
  p->d++;
}
static void ps_pop(pstack_t *p) { p->d--; }
static bool ps_get(const pstack_t *p, lat_wrpc_path_t *out) {
  if (p->d == 0 || p->d > LAT_WRPC_MAX_PATH) return false;
  out->depth = p->d;
  memcpy(out->idx, p->idx, p->d * sizeof p->idx[0]);
  return true;
}

bool lat_wrpc_path_equal(const lat_wrpc_path_t *a, const lat_wrpc_path_t *b) {
  return a->depth == b->depth &&
         memcmp(a->idx, b->idx, a->depth * sizeof a->idx[0]) == 0;
}

size_t lat_wrpc_path_format(const lat_wrpc_path_t *p, char *out, size_t cap) {
  size_t need = 0;
  if (cap) out[0] = 0;
  for (uint32_t i = 0; i < p->depth && i < LAT_WRPC_MAX_PATH; i++) {
    char tok[16];
    int n = snprintf(tok, sizeof tok, i ? ".%u" : "%u", p->idx[i]);
    if (need + (size_t)n < cap) memcpy(out + need, tok, (size_t)n + 1);
    else if (cap) out[need < cap ? need : cap - 1] = 0;
    need += (size_t)n;
  }
  return need;
}

void lat_wrpc_asyncs_init(lat_wrpc_asyncs_t *l) { memset(l, 0, sizeof *l); }

void lat_wrpc_asyncs_fini(lat_wrpc_asyncs_t *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) lat_free(l->items[i].data);
  lat_free(l->items);
  memset(l, 0, sizeof *l);
}

/* Drops the items past n (a failed encode undoing what it appended). */
static void asyncs_truncate(lat_wrpc_asyncs_t *l, size_t n) {
  while (l->n > n) {
    l->n--;
    l->bytes -= l->items[l->n].len;
    lat_free(l->items[l->n].data);
  }
}

lat_status lat__wrpc_asyncs_take(lat_wrpc_asyncs_t *l, const lat_wrpc_path_t *path,
                                 uint8_t *data, size_t len, lat_error_t *err) {
  lat_status st = LAT_OK;
  if (!path || path->depth == 0 || path->depth > LAT_WRPC_MAX_PATH)
    st = lat_error_set(err, LAT_EARG, SIZE_MAX, "a path of depth %u",
                       path ? path->depth : 0);
  else if (l->n >= LAT_WRPC_MAX_ASYNC)
    st = lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                       "more than %u async values in one call",
                       LAT_WRPC_MAX_ASYNC);
  else if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4;
    lat_wrpc_async_t *items = lat_realloc(l->items, cap * sizeof *items);
    if (!items) st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    else l->items = items, l->cap = cap;
  }
  if (st != LAT_OK) {
    lat_free(data);
    return st;
  }
  lat_wrpc_async_t *it = &l->items[l->n++];
  it->path = *path;
  it->data = data;
  it->len = len;
  l->bytes += len;
  return LAT_OK;
}

lat_status lat_wrpc_asyncs_add(lat_wrpc_asyncs_t *l, const lat_wrpc_path_t *path,
                               const uint8_t *data, size_t len,
                               lat_error_t *err) {
  uint8_t *copy = NULL;
  if (len) {
    if (!(copy = lat_malloc(len)))
      return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    memcpy(copy, data, len);
  }
  return lat__wrpc_asyncs_take(l, path, copy, len, err);
}

const lat_wrpc_async_t *lat_wrpc_async_find(const lat_wrpc_async_t *items,
                                            size_t n,
                                            const lat_wrpc_path_t *path) {
  for (size_t i = 0; i < n; i++)
    if (lat_wrpc_path_equal(&items[i].path, path)) return &items[i];
  return NULL;
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

/* An encode walk: where the value sits, and what to do with futures and
 * streams. */
typedef struct {
  lat_wrpc_asyncs_t *out; /* NULL: the plain encode (no path data at all) */
  bool in_async;          /* encoding a path's data: async values refused */
  pstack_t ps;
  lat_error_t *err;
} enc_t;

static lat_status encode(enc_t *e, const lat_cval_t *v, const lat_ctype_t *t,
                         lat_buf_t *o, unsigned depth);

static lat_status encode_list(enc_t *e, const lat_cval_t *v,
                              const lat_ctype_t *elem, lat_buf_t *o,
                              unsigned depth) {
  lat_error_t *err = e->err;
  uint32_t n = v->of.list.n;
  lat_status st = put_u32(o, n);
  if (st != LAT_OK) return st;
  bool bytes = elem->kind == LAT_CT_U8 || elem->kind == LAT_CT_S8;
  if (bytes && v->of.list.bytes) return lat_buf_append(o, v->of.list.bytes, n);
  if (n && !v->of.list.v)
    return enc_err(err, LAT_EARG, "list<%s> of %s elements has no elements",
                   kind_name(elem->kind), "some");
  for (uint32_t i = 0; i < n && st == LAT_OK; i++) {
    ps_push(&e->ps, i);
    st = encode(e, &v->of.list.v[i], elem, o, depth + 1);
    ps_pop(&e->ps);
  }
  return st;
}

/* A future or stream in an async encode (e->out) or inside a path's data
 * or an inline value (e->in_async, where one is refused: it would need a
 * path of its own).  Pending: 0x00, its data sent by the caller.  Ready:
 * inline where the Rust reader takes it, so no path and no message is
 * needed: a future as 0x01 + value, a stream as its one non-empty chunk
 * (count + elements).  An empty ready stream cannot be told from a pending
 * one inline (both are count 0), so it goes as pending with its end chunk
 * (0x00) as its path's data. */
static lat_status encode_async(enc_t *e, const lat_cval_t *v,
                               const lat_ctype_t *t, lat_buf_t *o,
                               unsigned depth) {
  const char *what = kind_name(t->kind);
  if (e->in_async)
    return lat_error_set(e->err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "a %s inside the data of a future or stream (its data "
                         "would need a path of its own)",
                         what);
  if (v->of.var.disc > 1)
    return lat_error_set(e->err, LAT_EARG, SIZE_MAX,
                         "%s case %u out of 2 (pending, ready)", what,
                         v->of.var.disc);
  if (v->of.var.disc == 0) return lat_buf_push(o, 0);
  const lat_cval_t *pv = v->of.var.payload;
  bool stream = t->kind == LAT_WRPC_CT_STREAM;
  if (stream ? !pv || pv->kind != LAT_CT_LIST : t->u.elem && !pv)
    return lat_error_set(e->err, LAT_EARG, SIZE_MAX,
                         "ready %s without its %s", what,
                         stream ? "list payload" : "value");
  enc_t in = {.in_async = true, .err = e->err};
  lat_status st;
  if (!stream) {
    st = lat_buf_push(o, 1);
    if (st != LAT_OK || !t->u.elem) return st;
    return encode(&in, pv, t->u.elem, o, depth + 1);
  }
  if (pv->of.list.n) return encode_list(&in, pv, t->u.elem, o, depth + 1);
  lat_wrpc_path_t p;
  if (!ps_get(&e->ps, &p))
    return lat_error_set(e->err, LAT_ELIMIT, SIZE_MAX,
                         "a %s at a path deeper than %u indexes", what,
                         LAT_WRPC_MAX_PATH);
  static const uint8_t end_chunk = 0;
  st = lat_buf_push(o, 0);
  return st ? st : lat_wrpc_asyncs_add(e->out, &p, &end_chunk, 1, e->err);
}

static lat_status encode(enc_t *e, const lat_cval_t *v, const lat_ctype_t *t,
                         lat_buf_t *o, unsigned depth) {
  lat_error_t *err = e->err;
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
      return encode_list(e, v, t->u.elem, o, depth);
    case LAT_CT_RECORD:
    case LAT_CT_TUPLE:
      if (v->of.list.n != t->n || (t->n && !v->of.list.v))
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "%s of %u fields given %u values",
                             kind_name(t->kind), t->n, v->of.list.n);
      for (uint32_t i = 0; i < t->n && st == LAT_OK; i++) {
        ps_push(&e->ps, i);
        st = encode(e, &v->of.list.v[i], t->u.fields[i].type, o, depth + 1);
        ps_pop(&e->ps);
      }
      return st;
    case LAT_CT_VARIANT:
    case LAT_CT_ENUM:
    case LAT_CT_OPTION:
    case LAT_CT_RESULT:
    case LAT_WRPC_CT_FUTURE: {
      if (t->kind == LAT_WRPC_CT_FUTURE && (e->out || e->in_async))
        return encode_async(e, v, t, o, depth);
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
      return encode(e, v->of.var.payload, pt, o, depth + 1);
    }
    case LAT_WRPC_CT_STREAM:
      if (e->out || e->in_async) return encode_async(e, v, t, o, depth);
      /* one chunk: a ready stream's elements, or 0x00 when pending; an
       * empty ready stream is 0x00 too, and so reads back as pending */
      if (v->of.var.disc > 1)
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "stream case %u out of 2 (pending, ready)",
                             v->of.var.disc);
      if (!v->of.var.disc) return lat_buf_push(o, 0);
      if (!v->of.var.payload || v->of.var.payload->kind != LAT_CT_LIST)
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "ready stream without a list payload");
      return encode_list(e, v->of.var.payload, t->u.elem, o, depth + 1);
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

/* The n values of a tuple, each at path [i]; on failure out (and e->out)
 * are left as they were. */
static lat_status encode_tuple(enc_t *e, const lat_cval_t *vs,
                               const lat_ctype_t *const *ts, uint32_t n,
                               lat_buf_t *out) {
  size_t mark = out->len, amark = e->out ? e->out->n : 0;
  lat_status st = LAT_OK;
  for (uint32_t i = 0; i < n && st == LAT_OK; i++) {
    ps_push(&e->ps, i);
    st = encode(e, &vs[i], ts[i], out, 0);
    ps_pop(&e->ps);
  }
  if (st == LAT_ENOMEM) lat_error_set(e->err, st, SIZE_MAX, "out of memory");
  if (st != LAT_OK) {
    out->len = mark;
    if (e->out) asyncs_truncate(e->out, amark);
  }
  return st;
}

lat_status lat_wrpc_encode(const lat_cval_t *v, const lat_ctype_t *t,
                           lat_buf_t *out, lat_error_t *err) {
  enc_t e = {.err = err};
  return encode_tuple(&e, v, &t, 1, out);
}

lat_status lat_wrpc_encode_values(const lat_cval_t *vs,
                                  const lat_ctype_t *const *ts, uint32_t n,
                                  lat_buf_t *out, lat_error_t *err) {
  enc_t e = {.err = err};
  return encode_tuple(&e, vs, ts, n, out);
}

lat_status lat_wrpc_encode_values_async(const lat_cval_t *vs,
                                        const lat_ctype_t *const *ts,
                                        uint32_t n, lat_buf_t *root,
                                        lat_wrpc_asyncs_t *out_asyncs,
                                        lat_error_t *err) {
  enc_t e = {.out = out_asyncs, .err = err};
  return encode_tuple(&e, vs, ts, n, root);
}

/* ---- decode --------------------------------------------------------------- */
/* What a decode walk does with a pending future or stream. */
typedef enum {
  DEC_PLAIN = 0, /* leave it pending */
  DEC_PATHS,     /* leave it pending and note its path */
  DEC_RESOLVE,   /* make it ready from its path's data */
  DEC_DATA,      /* decoding a path's data: refuse it (LAT_EUNSUPPORTED) */
} dec_mode;

typedef struct {
  lat_reader_t r;
  lat_arena_t *a;
  size_t arena_start;  /* a->total when the decode began */
  lat_status alloc_st; /* why the last dalloc failed */
  lat_error_t *err;
  dec_mode mode;
  pstack_t ps;
  lat_wrpc_path_t *paths; /* DEC_PATHS: found so far (arena) */
  size_t npaths, pcap;
  const lat_wrpc_async_t *asyncs; /* DEC_RESOLVE: borrowed */
  size_t nasync;
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

static lat_status decode_list_body(dec_t *d, const lat_ctype_t *elem,
                                   lat_cval_t *v, uint32_t n, unsigned depth);

static lat_status decode_list(dec_t *d, const lat_ctype_t *elem, lat_cval_t *v,
                              unsigned depth) {
  uint32_t n;
  lat_status st = rd_count(d, elem, "list", &n);
  if (st != LAT_OK) return st;
  return decode_list_body(d, elem, v, n, depth);
}

/* The n elements of a list whose count was read (and checked). */
static lat_status decode_list_body(dec_t *d, const lat_ctype_t *elem,
                                   lat_cval_t *v, uint32_t n, unsigned depth) {
  lat_status st = LAT_OK;
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
  for (uint32_t i = 0; i < n && st == LAT_OK; i++) {
    ps_push(&d->ps, i);
    st = decode(d, elem, &vs[i], depth + 1);
    ps_pop(&d->ps);
  }
  return st;
}

/* A stream's path data: chunks (count + elements) until a count of 0,
 * gathered into one LIST.  Byte streams are measured first and copied
 * once; other elements are decoded chunk by chunk and joined. */
static lat_status decode_stream_data(dec_t *d, const lat_ctype_t *elem,
                                     lat_cval_t *v, unsigned depth) {
  v->kind = LAT_CT_LIST;
  uint64_t total = 0;
  uint32_t n;
  lat_status st;
  if (elem->kind == LAT_CT_U8 || elem->kind == LAT_CT_S8) {
    lat_reader_t start = d->r;
    for (;;) {
      if ((st = rd_count(d, elem, "stream chunk count", &n))) return st;
      if (n == 0) break;
      d->r.p += n;
      if ((total += n) > UINT32_MAX)
        return bad(d, off(d), "stream of more than 2^32-1 elements");
    }
    uint8_t *b = dalloc(d, (size_t)total, 1);
    if (!b) return d->alloc_st;
    d->r = start;
    for (size_t at = 0; rd_count(d, elem, "stream chunk count", &n) == LAT_OK && n;
         at += n) {
      memcpy(b + at, d->r.p, n);
      d->r.p += n;
    }
    v->of.list.n = (uint32_t)total;
    v->of.list.bytes = b;
    return LAT_OK;
  }
  lat_cval_t **chunks = NULL;
  uint32_t *counts = NULL;
  size_t nchunks = 0, cap = 0;
  for (;;) {
    if ((st = rd_count(d, elem, "stream chunk count", &n))) return st;
    if (n == 0) break;
    if ((total += n) > UINT32_MAX)
      return bad(d, off(d), "stream of more than 2^32-1 elements");
    if (nchunks == cap) { /* grows in the arena: at most twice the last */
      size_t ncap = cap ? cap * 2 : 4;
      lat_cval_t **c2 = dalloc(d, ncap, sizeof *c2);
      uint32_t *n2 = c2 ? dalloc(d, ncap, sizeof *n2) : NULL;
      if (!n2) return d->alloc_st;
      if (nchunks) {
        memcpy(c2, chunks, nchunks * sizeof *c2);
        memcpy(n2, counts, nchunks * sizeof *n2);
      }
      chunks = c2, counts = n2, cap = ncap;
    }
    lat_cval_t chunk;
    if ((st = decode_list_body(d, elem, &chunk, n, depth))) return st;
    chunks[nchunks] = chunk.of.list.v;
    counts[nchunks++] = n;
  }
  v->of.list.n = (uint32_t)total;
  if (nchunks == 1) v->of.list.v = chunks[0];
  if (nchunks <= 1) return LAT_OK;
  lat_cval_t *all = dalloc(d, (size_t)total, sizeof *all);
  if (!all) return d->alloc_st;
  for (size_t i = 0, at = 0; i < nchunks; at += counts[i++])
    memcpy(all + at, chunks[i], counts[i] * sizeof *all);
  v->of.list.v = all;
  return LAT_OK;
}

/* Prefixes err's message with the path whose data it is about. */
static lat_status path_error(dec_t *d, lat_status st, const lat_wrpc_path_t *p,
                             const char *what) {
  if (!d->err) return st;
  char path[LAT_WRPC_MAX_PATH * 11], msg[sizeof d->err->msg];
  lat_wrpc_path_format(p, path, sizeof path);
  snprintf(msg, sizeof msg, "%s", d->err->msg);
  return lat_error_set(d->err, st, d->err->offset, "%s data at path %s: %s",
                       what, path, msg);
}

/* A pending future or stream (its 0x00 read at start) in modes other than
 * DEC_PLAIN. */
static lat_status decode_pending(dec_t *d, const lat_ctype_t *t, lat_cval_t *v,
                                 size_t start, unsigned depth) {
  const char *what = kind_name(t->kind);
  if (d->mode == DEC_DATA)
    return lat_error_set(d->err, LAT_EUNSUPPORTED, start,
                         "a pending %s inside the data of a future or stream "
                         "(its data would need a path of its own)",
                         what);
  lat_wrpc_path_t p;
  if (!ps_get(&d->ps, &p))
    return lat_error_set(d->err, LAT_ELIMIT, start,
                         "a %s at a path deeper than %u indexes", what,
                         LAT_WRPC_MAX_PATH);
  if (d->mode == DEC_PATHS) {
    if (d->npaths == LAT_WRPC_MAX_ASYNC)
      return lat_error_set(d->err, LAT_ELIMIT, start,
                           "more than %u async values in one call",
                           LAT_WRPC_MAX_ASYNC);
    if (d->npaths == d->pcap) {
      size_t ncap = d->pcap ? d->pcap * 2 : 4;
      lat_wrpc_path_t *np = dalloc(d, ncap, sizeof *np);
      if (!np) return d->alloc_st;
      if (d->npaths) memcpy(np, d->paths, d->npaths * sizeof *np);
      d->paths = np, d->pcap = ncap;
    }
    d->paths[d->npaths++] = p;
    return LAT_OK;
  }
  const lat_wrpc_async_t *as = lat_wrpc_async_find(d->asyncs, d->nasync, &p);
  if (!as) {
    char path[LAT_WRPC_MAX_PATH * 11];
    lat_wrpc_path_format(&p, path, sizeof path);
    return bad(d, start, "pending %s at path %s: no data came for it", what,
               path);
  }
  dec_t sub = {.r = {.base = as->data, .p = as->data, .end = as->data + as->len},
               .a = d->a,
               .arena_start = d->arena_start,
               .err = d->err,
               .mode = DEC_DATA};
  if (!as->data) sub.r.base = sub.r.p = sub.r.end = (const uint8_t *)"";
  lat_cval_t *pv = NULL;
  lat_status st = LAT_OK;
  if (t->kind == LAT_WRPC_CT_STREAM || t->u.elem) {
    if (!(pv = dalloc(&sub, 1, sizeof *pv))) return sub.alloc_st;
    st = t->kind == LAT_WRPC_CT_STREAM
             ? decode_stream_data(&sub, t->u.elem, pv, depth + 1)
             : decode(&sub, t->u.elem, pv, depth + 1);
  }
  if (st == LAT_OK && lat_reader_left(&sub.r))
    st = bad(&sub, off(&sub), "%zu bytes after the end of the %s",
             lat_reader_left(&sub.r), what);
  if (st != LAT_OK) return path_error(d, st, &p, what);
  v->of.var.disc = 1;
  v->of.var.payload = pv;
  return LAT_OK;
}

/* Before decoding a ready future's value or a ready stream's chunk
 * inline: a pending future or stream inside it is refused as in path data
 * (the encoder never writes one there; no wasmCloud interface nests
 * them), except by the plain decode, which leaves every one pending.
 * Returns the mode to restore. */
static dec_mode inline_mode(dec_t *d) {
  dec_mode m = d->mode;
  if (m != DEC_PLAIN) d->mode = DEC_DATA;
  return m;
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
      for (uint32_t i = 0; i < t->n; i++) {
        ps_push(&d->ps, i);
        st = decode(d, t->u.fields[i].type, &vs[i], depth + 1);
        ps_pop(&d->ps);
        if (st != LAT_OK) return st;
      }
      return LAT_OK;
    }
    case LAT_WRPC_CT_STREAM: {
      /* one chunk (count + elements), as wrpc-transport's StreamDecoder
       * reads it: a non-empty one is the ready stream, count 0 pending */
      uint32_t n;
      if ((st = rd_count(d, t->u.elem, "stream chunk count", &n))) return st;
      if (n == 0)
        return d->mode != DEC_PLAIN ? decode_pending(d, t, v, start, depth)
                                    : LAT_OK;
      lat_cval_t *p = dalloc(d, 1, sizeof *p);
      if (!p) return d->alloc_st;
      v->of.var.disc = 1;
      v->of.var.payload = p;
      dec_mode m = inline_mode(d);
      st = decode_list_body(d, t->u.elem, p, n, depth + 1);
      d->mode = m;
      return st;
    }
    case LAT_CT_VARIANT:
    case LAT_CT_ENUM:
    case LAT_CT_OPTION:
    case LAT_CT_RESULT:
    case LAT_WRPC_CT_FUTURE: {
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
      if (disc == 0 && d->mode != DEC_PLAIN && t->kind == LAT_WRPC_CT_FUTURE)
        return decode_pending(d, t, v, start, depth);
      if (!pt) return LAT_OK;
      lat_cval_t *p = dalloc(d, 1, sizeof *p);
      if (!p) return d->alloc_st;
      v->of.var.payload = p;
      if (t->kind != LAT_WRPC_CT_FUTURE) return decode(d, pt, p, depth + 1);
      dec_mode m = inline_mode(d);
      st = decode(d, pt, p, depth + 1);
      d->mode = m;
      return st;
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

/* The n values of a tuple, each at path [i], and nothing after them. */
static lat_status decode_tuple(dec_t *d, const lat_ctype_t *const *ts,
                               uint32_t n, lat_cval_t *out) {
  for (uint32_t i = 0; i < n; i++) {
    if (!ts[i])
      return lat_error_set(d->err, LAT_EARG, SIZE_MAX, "type %u is NULL", i);
    ps_push(&d->ps, i);
    lat_status st = decode(d, ts[i], &out[i], 0);
    ps_pop(&d->ps);
    if (st != LAT_OK) return st;
  }
  if (lat_reader_left(&d->r))
    return bad(d, off(d), "%zu trailing bytes after the value",
               lat_reader_left(&d->r));
  return LAT_OK;
}

static void dec_init(dec_t *d, const uint8_t *data, size_t len, lat_arena_t *a,
                     lat_error_t *err, dec_mode mode) {
  memset(d, 0, sizeof *d);
  d->r = (lat_reader_t){.base = data, .p = data, .end = data + len};
  if (!data) d->r.base = d->r.p = d->r.end = (const uint8_t *)"";
  d->a = a;
  d->arena_start = a->total;
  d->err = err;
  d->mode = mode;
}

lat_status lat_wrpc_decode_values(const uint8_t *data, size_t len,
                                  const lat_ctype_t *const *ts, uint32_t n,
                                  lat_arena_t *a, lat_cval_t *out,
                                  lat_error_t *err) {
  dec_t d;
  dec_init(&d, data, len, a, err, DEC_PLAIN);
  return decode_tuple(&d, ts, n, out);
}

lat_status lat_wrpc_decode(const uint8_t *data, size_t len,
                           const lat_ctype_t *t, lat_arena_t *a,
                           lat_cval_t *out, lat_error_t *err) {
  return lat_wrpc_decode_values(data, len, &t, 1, a, out, err);
}

lat_status lat_wrpc_pending_paths(const uint8_t *root, size_t len,
                                  const lat_ctype_t *const *ts, uint32_t n,
                                  lat_arena_t *a, lat_wrpc_path_t **out_paths,
                                  size_t *out_n, lat_error_t *err) {
  *out_paths = NULL;
  *out_n = 0;
  dec_t d;
  dec_init(&d, root, len, a, err, DEC_PATHS);
  lat_cval_t one[4], *vs = n <= 4 ? one : lat_arena_array(a, n, sizeof *vs);
  if (!vs) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_status st = decode_tuple(&d, ts, n, vs);
  if (st == LAT_OK) {
    *out_paths = d.paths;
    *out_n = d.npaths;
  }
  return st;
}

lat_status lat_wrpc_decode_values_async(const uint8_t *root, size_t len,
                                        const lat_wrpc_async_t *asyncs,
                                        size_t nasync,
                                        const lat_ctype_t *const *ts,
                                        uint32_t n, lat_arena_t *a,
                                        lat_cval_t *out, lat_error_t *err) {
  dec_t d;
  dec_init(&d, root, len, a, err, DEC_RESOLVE);
  d.asyncs = asyncs;
  d.nasync = nasync;
  return decode_tuple(&d, ts, n, out);
}
