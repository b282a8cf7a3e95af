/* Unit tests for src/lattice/lattice_wrpc.c, the wRPC value encoding
 * (PROTOCOL.md §4.4): a table of exact byte vectors, one or more per WIT
 * type, written by hand from the spec (each value is given as WAVE text,
 * encoded and compared, then the bytes decoded and compared back); round
 * trips of random values of random types; and a table of malformed inputs,
 * each with the status and the byte offset it must report. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lattice/lattice.h"
#include "test.h"
#include "wrpc_types.h"

/* A value of t from WAVE text; future/stream take "pending" or
 * "ready(<value of T or list<T>>)". */
static lat_status value_of(lat_arena_t *a, const lat_ctype_t *t,
                           const char *text, lat_cval_t *out) {
  if (t->kind != LAT_WRPC_CT_FUTURE && t->kind != LAT_WRPC_CT_STREAM)
    return lat_wave_parse(text, t, a, NULL, out);
  memset(out, 0, sizeof *out);
  out->kind = t->kind;
  if (strcmp(text, "pending") == 0) return LAT_OK;
  size_t n = strlen(text);
  if (strncmp(text, "ready(", 6) != 0 || text[n - 1] != ')') return LAT_EARG;
  char inner[256];
  snprintf(inner, sizeof inner, "%.*s", (int)(n - 7), text + 6);
  out->of.var.disc = 1;
  out->of.var.payload = lat_arena_alloc(a, sizeof *out->of.var.payload);
  const lat_ctype_t *pt = t->u.elem;
  if (t->kind == LAT_WRPC_CT_STREAM) {
    lat_ctype_builder_t b = {.arena = a};
    pt = lat_ctype_list(&b, t->u.elem);
  }
  return lat_wave_parse(inner, pt, a, NULL, out->of.var.payload);
}

static const struct {
  const char *type, *value, *bytes;
} vectors[] = {
    {"bool", "false", "00"},
    {"bool", "true", "01"},
    {"u8", "255", "ff"},
    {"s8", "-1", "ff"},
    {"s8", "-128", "80"},
    {"u16", "0", "00"},
    {"u16", "300", "ac 02"},
    {"u16", "65535", "ff ff 03"},
    {"s16", "-1", "7f"},
    {"s16", "64", "c0 00"},
    {"s16", "-32768", "80 80 7e"},
    {"u32", "624485", "e5 8e 26"},
    {"u32", "4294967295", "ff ff ff ff 0f"},
    {"s32", "-123456", "c0 bb 78"},
    {"s32", "-2147483648", "80 80 80 80 78"},
    {"u64", "18446744073709551615", "ff ff ff ff ff ff ff ff ff 01"},
    {"s64", "-9223372036854775808", "80 80 80 80 80 80 80 80 80 7f"},
    {"s64", "9223372036854775807", "ff ff ff ff ff ff ff ff ff 00"},
    {"f32", "1.5", "00 00 c0 3f"},
    {"f32", "nan", "00 00 c0 7f"},
    {"f64", "-2", "00 00 00 00 00 00 00 c0"},
    {"f64", "nan", "00 00 00 00 00 00 f8 7f"},
    {"char", "'a'", "61"},
    {"char", "'\\u{e9}'", "c3 a9"},
    {"char", "'\\u{1f600}'", "f0 9f 98 80"},
    {"string", "\"\"", "00"},
    {"string", "\"hi\"", "02 68 69"},
    {"list<u8>", "[1, 2, 3]", "03 01 02 03"},
    {"list<s8>", "[-1, 2]", "02 ff 02"},
    {"list<u32>", "[1, 300]", "02 01 ac 02"},
    {"list<string>", "[]", "00"},
    {"list<list<u8>>", "[[], [7]]", "02 00 01 07"},
    {"record{a:u8,b:string}", "{a: 1, b: \"x\"}", "01 01 78"},
    {"tuple<bool,u16>", "(true, 128)", "01 80 01"},
    {"variant{a,b(u8)}", "a", "00"},
    {"variant{a,b(u8)}", "b(7)", "01 07"},
    {"enum{x,y,z}", "z", "02"},
    {"option<u8>", "none", "00"},
    {"option<u8>", "some(5)", "01 05"},
    {"option<option<bool>>", "some(none)", "01 00"},
    {"result<u8,string>", "ok(1)", "00 01"},
    {"result<u8,string>", "err(\"e\")", "01 01 65"},
    {"result<_,string>", "ok", "00"},
    {"result", "err", "01"},
    {"flags{a,b,c}", "{b}", "02"},
    {"flags{a,b,c,d,e,f,g,h,i}", "{a, i}", "01 01"},
    {"flags{a,b,c,d,e,f,g,h,i}", "{}", "00 00"},
    {"future<u8>", "pending", "00"},
    {"future<u8>", "ready(9)", "01 09"},
    /* a stream is one chunk, no status byte (wrpc-transport's
     * StreamDecoder): count 0 pending, else the ready elements */
    {"stream<u8>", "pending", "00"},
    {"stream<u8>", "ready([1, 2])", "02 01 02"},
    {"stream<u8>", "ready([97, 98, 99])", "03 61 62 63"}, /* "abc", as Rust reads it */
    {"stream<string>", "ready([\"a\"])", "01 01 61"},
    {"stream<list<u8>>", "ready([[], [7]])", "02 00 01 07"},
};

/* Vectors whose bytes decode as another value (back), which encodes to
 * the same bytes: an empty ready stream is the byte of a pending one. */
static const struct {
  const char *type, *value, *bytes, *back;
} lossy[] = {
    {"stream<u8>", "ready([])", "00", "pending"},
    {"stream<string>", "ready([])", "00", "pending"},
};

/* a and b, futures or streams: the same state and the same payload. */
static bool async_equal(const lat_cval_t *a, const lat_cval_t *b) {
  if (a->kind != b->kind || a->of.var.disc != b->of.var.disc) return false;
  if (!a->of.var.disc || (!a->of.var.payload && !b->of.var.payload)) return true;
  return a->of.var.payload && b->of.var.payload &&
         lat_cval_equal(a->of.var.payload, b->of.var.payload);
}

/* value (of type) encodes to bytes, which decode as back (NULL: value)
 * and encode to bytes again. */
static void check_vector(const char *type, const char *value, const char *bytes,
                         const char *backv) {
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *t = wt_parse(&a, type);
  if (!t) fprintf(stderr, "  bad type in table: %s\n", type);
  REQUIRE(t);
  lat_cval_t v, expect;
  lat_status st = value_of(&a, t, value, &v);
  if (st == LAT_OK) st = backv ? value_of(&a, t, backv, &expect) : LAT_OK;
  if (st) fprintf(stderr, "  bad value in table: %s\n", value);
  REQUIRE_OK(st);
  if (!backv) expect = v;
  uint8_t want[64];
  size_t n = wt_unhex(bytes, want, sizeof want);
  lat_buf_t o;
  lat_buf_init(&o);
  lat_error_t err;
  CHECK_OK(lat_wrpc_encode(&v, t, &o, &err));
  char got[256];
  wt_hex(o.data, o.len, got, sizeof got);
  if (o.len != n || memcmp(o.data, want, n) != 0) {
    fprintf(stderr, "  %s %s: encoded to %s, want %s\n", type, value, got, bytes);
    CHECK(false);
  }
  lat_cval_t back;
  st = lat_wrpc_decode(want, n, t, &a, &back, &err);
  if (st) fprintf(stderr, "  decode %s: %s\n", bytes, err.msg);
  CHECK_OK(st);
  if (st == LAT_OK) {
    bool eq = t->kind == LAT_WRPC_CT_FUTURE || t->kind == LAT_WRPC_CT_STREAM
                  ? async_equal(&expect, &back)
                  : lat_cval_equal(&expect, &back);
    if (!eq) fprintf(stderr, "  %s %s: decoded value differs\n", type, value);
    CHECK(eq);
    lat_buf_t o2; /* and it encodes back to the same bytes */
    lat_buf_init(&o2);
    CHECK_OK(lat_wrpc_encode(&back, t, &o2, &err));
    CHECK(o2.len == n && memcmp(o2.data, want, n) == 0);
    lat_buf_fini(&o2);
  }
  lat_buf_fini(&o);
  lat_arena_fini(&a);
}

TEST_IMPL(wrpc_codec_vectors) {
  for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
    check_vector(vectors[i].type, vectors[i].value, vectors[i].bytes, NULL);
  for (size_t i = 0; i < sizeof lossy / sizeof lossy[0]; i++)
    check_vector(lossy[i].type, lossy[i].value, lossy[i].bytes, lossy[i].back);
}

/* Parameters and results are one tuple of all of them. */
TEST_IMPL(wrpc_codec_values_tuple) {
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *ts[2] = {wt_parse(&a, "string"), wt_parse(&a, "list<u32>")};
  REQUIRE(ts[0] && ts[1]);
  lat_cval_t vs[2], back[2];
  REQUIRE_OK(lat_wave_parse("\"ab\"", ts[0], &a, NULL, &vs[0]));
  REQUIRE_OK(lat_wave_parse("[5, 128]", ts[1], &a, NULL, &vs[1]));
  lat_buf_t o;
  lat_buf_init(&o);
  lat_error_t err;
  REQUIRE_OK(lat_wrpc_encode_values(vs, ts, 2, &o, &err));
  const uint8_t want[] = {0x02, 'a', 'b', 0x02, 0x05, 0x80, 0x01};
  CHECK_EQ_UINT(o.len, sizeof want);
  CHECK_EQ_MEM(o.data, want, sizeof want);
  REQUIRE_OK(lat_wrpc_decode_values(o.data, o.len, ts, 2, &a, back, &err));
  CHECK(lat_cval_equal(&vs[0], &back[0]) && lat_cval_equal(&vs[1], &back[1]));
  /* zero results: the empty tuple is zero bytes */
  CHECK_OK(lat_wrpc_decode_values(NULL, 0, ts, 0, &a, back, &err));
  CHECK_ST(lat_wrpc_decode_values(o.data, 1, ts, 0, &a, back, &err),
           LAT_EMALFORMED);
  /* a value that does not match its type is refused, out left as it was */
  o.len = 0;
  CHECK_ST(lat_wrpc_encode_values(vs, (const lat_ctype_t *const[]){ts[1], ts[0]},
                                  2, &o, &err),
           LAT_EARG);
  CHECK_EQ_UINT(o.len, 0);
  lat_buf_fini(&o);
  lat_arena_fini(&a);
}

static const struct {
  const char *type, *bytes;
  lat_status st;
  size_t offset;
} malformed[] = {
    {"bool", "", LAT_EMALFORMED, 0},
    {"bool", "02", LAT_EMALFORMED, 0},
    {"u8", "01 02", LAT_EMALFORMED, 1},                /* trailing */
    {"u16", "80 80 04", LAT_EMALFORMED, 0},            /* overflows u16 */
    {"u16", "80 80 80 00", LAT_EMALFORMED, 0},         /* too long */
    {"u32", "80 80 80 80 80 00", LAT_EMALFORMED, 0},   /* too long */
    {"u32", "ff ff ff ff 1f", LAT_EMALFORMED, 0},      /* overflows u32 */
    {"u32", "ff ff", LAT_EMALFORMED, 2},               /* truncated */
    {"s32", "80 80 80 80 70", LAT_EMALFORMED, 0},      /* bad sign bits */
    {"s64", "80 80 80 80 80 80 80 80 80 01", LAT_EMALFORMED, 0},
    {"u64", "ff ff ff ff ff ff ff ff ff 02", LAT_EMALFORMED, 0},
    {"f32", "00 00 c0", LAT_EMALFORMED, 0},
    {"f64", "00 00", LAT_EMALFORMED, 0},
    {"char", "ff", LAT_EMALFORMED, 0},
    {"char", "c3", LAT_EMALFORMED, 0},                 /* truncated */
    {"char", "ed a0 80", LAT_EMALFORMED, 0},           /* surrogate */
    {"char", "c0 80", LAT_EMALFORMED, 0},              /* overlong */
    {"string", "05 61 62", LAT_EMALFORMED, 0},
    {"string", "02 c3 28", LAT_EMALFORMED, 1},
    {"string", "01 61 00", LAT_EMALFORMED, 2},         /* trailing */
    {"list<u32>", "ff ff ff ff 0f", LAT_EMALFORMED, 0},
    {"list<u8>", "03 01", LAT_EMALFORMED, 0},
    {"list<string>", "02 01 61", LAT_EMALFORMED, 3},
    {"record{a:u8,b:string}", "01", LAT_EMALFORMED, 1},
    {"variant{a,b(u8)}", "02", LAT_EMALFORMED, 0},
    {"variant{a,b(u8)}", "01", LAT_EMALFORMED, 1},
    {"enum{x,y}", "05", LAT_EMALFORMED, 0},
    {"enum{x,y}", "80 80 80 80 80", LAT_EMALFORMED, 0},
    {"option<u8>", "02", LAT_EMALFORMED, 0},
    {"result<u8,string>", "03", LAT_EMALFORMED, 0},
    {"flags{a,b,c}", "08", LAT_EMALFORMED, 0},
    {"flags{a,b,c,d,e,f,g,h,i}", "01", LAT_EMALFORMED, 0},
    {"future<u8>", "02", LAT_EMALFORMED, 0},
    {"stream<u8>", "03 01", LAT_EMALFORMED, 0},        /* chunk of 3, 1 byte left */
    {"stream<string>", "02 01 61", LAT_EMALFORMED, 3}, /* 2nd element missing */
    {"stream<u8>", "80 80 80 80 10", LAT_EMALFORMED, 0}, /* count overflows u32 */
    /* the Go bindings' ready form (status 1 + list) reads as a chunk of
     * one byte (0x03) and then a trailing byte, as Rust would read it */
    {"stream<u8>", "01 03 01", LAT_EMALFORMED, 2},
    {"own", "01 00", LAT_EUNSUPPORTED, 0},
    {"borrow", "00", LAT_EUNSUPPORTED, 0},
};

TEST_IMPL(wrpc_codec_malformed) {
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
    lat_arena_t a;
    lat_arena_init(&a);
    const lat_ctype_t *t = wt_parse(&a, malformed[i].type);
    REQUIRE(t);
    uint8_t in[64];
    size_t n = wt_unhex(malformed[i].bytes, in, sizeof in);
    lat_cval_t v;
    lat_error_t err;
    memset(&err, 0, sizeof err);
    lat_status st = lat_wrpc_decode(in, n, t, &a, &v, &err);
    if (st != malformed[i].st || err.offset != malformed[i].offset)
      fprintf(stderr, "  %s [%s]: %s at %zu (%s), want %s at %zu\n",
              malformed[i].type, malformed[i].bytes, lat_status_name(st),
              err.offset, err.msg, lat_status_name(malformed[i].st),
              malformed[i].offset);
    CHECK_ST(st, malformed[i].st);
    CHECK_EQ_UINT(err.offset, malformed[i].offset);
    CHECK(err.msg[0] != 0);
    lat_arena_fini(&a);
  }
  /* encode refuses handles and bad host values */
  lat_arena_t a;
  lat_arena_init(&a);
  lat_buf_t o;
  lat_buf_init(&o);
  lat_error_t err;
  lat_cval_t v = {.kind = LAT_CT_OWN};
  CHECK_ST(lat_wrpc_encode(&v, wt_parse(&a, "own"), &o, &err), LAT_EUNSUPPORTED);
  v = (lat_cval_t){.kind = LAT_CT_CHAR, .of.c = 0xd800};
  CHECK_ST(lat_wrpc_encode(&v, wt_parse(&a, "char"), &o, &err), LAT_EARG);
  v = (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {"\xff", 1}};
  CHECK_ST(lat_wrpc_encode(&v, wt_parse(&a, "string"), &o, &err), LAT_EARG);
  v = (lat_cval_t){.kind = LAT_CT_ENUM, .of.var.disc = 3};
  CHECK_ST(lat_wrpc_encode(&v, wt_parse(&a, "enum{x,y}"), &o, &err), LAT_EARG);
  v = (lat_cval_t){.kind = LAT_CT_FLAGS, .of.flags = 8};
  CHECK_ST(lat_wrpc_encode(&v, wt_parse(&a, "flags{a,b,c}"), &o, &err), LAT_EARG);
  CHECK_EQ_UINT(o.len, 0);
  lat_buf_fini(&o);
  lat_arena_fini(&a);
}

/* ---- random round trips --------------------------------------------------- */
typedef struct {
  uint64_t s;
} rng_t;
static uint64_t rnd(rng_t *r) {
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return r->s;
}
static uint32_t rnd_below(rng_t *r, uint32_t n) { return (uint32_t)(rnd(r) % n); }

static const char *const labels[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                     "j", "k"};

static const lat_ctype_t *gen_type(rng_t *r, lat_ctype_builder_t *b, int depth);
static const lat_ctype_t *gen_type_x(rng_t *r, lat_ctype_builder_t *b, int depth,
                                    bool ext_ok) {
  /* future/stream only at the top (or inside each other): the component
   * type builder takes only its own value kinds as elements */
  uint32_t k = rnd_below(r, depth > 3 ? 13 : depth > 0 && !ext_ok ? 22 : 24);
  if (k < 13) {
    static const lat_ctype_kind_t prims[] = {
        LAT_CT_BOOL, LAT_CT_S8,  LAT_CT_U8,  LAT_CT_S16, LAT_CT_U16,
        LAT_CT_S32,  LAT_CT_U32, LAT_CT_S64, LAT_CT_U64, LAT_CT_F32,
        LAT_CT_F64,  LAT_CT_CHAR, LAT_CT_STRING};
    return lat_ctype_prim(prims[k]);
  }
  uint32_t n = 1 + rnd_below(r, 4);
  switch (k) {
    case 13: return lat_ctype_list(b, gen_type(r, b, depth + 1));
    case 14: return lat_ctype_option(b, gen_type(r, b, depth + 1));
    case 15:
      return lat_ctype_result(b, rnd_below(r, 2) ? gen_type(r, b, depth + 1) : NULL,
                              rnd_below(r, 2) ? gen_type(r, b, depth + 1) : NULL);
    case 16:
    case 17: {
      lat_cfield_t f[4];
      for (uint32_t i = 0; i < n; i++) {
        f[i].name = labels[i];
        f[i].type = k == 16 || rnd_below(r, 2) ? gen_type(r, b, depth + 1) : NULL;
      }
      return k == 16 ? lat_ctype_record(b, f, n) : lat_ctype_variant(b, f, n);
    }
    case 18: {
      const lat_ctype_t *el[4];
      for (uint32_t i = 0; i < n; i++) el[i] = gen_type(r, b, depth + 1);
      return lat_ctype_tuple(b, el, n);
    }
    case 19: return lat_ctype_enum(b, labels, n);
    case 20: return lat_ctype_flags(b, labels, 1 + rnd_below(r, 11));
    case 21: return lat_ctype_list(b, lat_ctype_prim(LAT_CT_U8));
    case 22: return lat_wrpc_type_future(b->arena, gen_type_x(r, b, depth + 1, true));
    default: return lat_wrpc_type_stream(b->arena, gen_type_x(r, b, depth + 1, true));
  }
}

static void gen_value(rng_t *r, lat_arena_t *a, const lat_ctype_t *t,
                      lat_cval_t *v);

static const lat_ctype_t *gen_type(rng_t *r, lat_ctype_builder_t *b, int depth) {
  return gen_type_x(r, b, depth, false);
}

static void gen_list(rng_t *r, lat_arena_t *a, const lat_ctype_t *elem,
                     lat_cval_t *v) {
  uint32_t n = rnd_below(r, 5);
  v->kind = LAT_CT_LIST;
  v->of.list.n = n;
  if (elem->kind == LAT_CT_U8 || elem->kind == LAT_CT_S8) {
    uint8_t *p = lat_arena_alloc(a, n + 1);
    for (uint32_t i = 0; i < n; i++) p[i] = (uint8_t)rnd(r);
    v->of.list.bytes = p;
    return;
  }
  v->of.list.v = lat_arena_array(a, n + 1, sizeof(lat_cval_t));
  for (uint32_t i = 0; i < n; i++) gen_value(r, a, elem, &v->of.list.v[i]);
}

static void gen_value(rng_t *r, lat_arena_t *a, const lat_ctype_t *t,
                      lat_cval_t *v) {
  memset(v, 0, sizeof *v);
  v->kind = t->kind;
  uint64_t x = rnd(r) >> rnd_below(r, 64); /* small and large magnitudes */
  switch (t->kind) {
    case LAT_CT_BOOL: v->of.b = x & 1; break;
    case LAT_CT_U8: v->of.u = (uint8_t)x; break;
    case LAT_CT_U16: v->of.u = (uint16_t)x; break;
    case LAT_CT_U32: v->of.u = (uint32_t)x; break;
    case LAT_CT_U64: v->of.u = x; break;
    case LAT_CT_S8: v->of.s = (int8_t)x; break;
    case LAT_CT_S16: v->of.s = (int16_t)x; break;
    case LAT_CT_S32: v->of.s = (int32_t)x; break;
    case LAT_CT_S64: v->of.s = (int64_t)x * (rnd(r) & 1 ? -1 : 1); break;
    case LAT_CT_F32: {
      uint32_t bits = (uint32_t)rnd(r);
      memcpy(&v->of.f32, &bits, 4);
      if (isnan(v->of.f32)) v->of.f32 = NAN;
      break;
    }
    case LAT_CT_F64: {
      uint64_t bits = rnd(r);
      memcpy(&v->of.f64, &bits, 8);
      if (isnan(v->of.f64)) v->of.f64 = NAN;
      break;
    }
    case LAT_CT_CHAR: {
      uint32_t c = (uint32_t)(x % 0x110000);
      v->of.c = c >= 0xd800 && c < 0xe000 ? 'x' : c;
      break;
    }
    case LAT_CT_STRING: {
      static const char *const s[] = {"", "a", "héllo", "日本", "\xf0\x9f\x98\x80!"};
      v->of.str.ptr = s[x % 5];
      v->of.str.len = (uint32_t)strlen(s[x % 5]);
      break;
    }
    case LAT_CT_LIST: gen_list(r, a, t->u.elem, v); break;
    case LAT_CT_RECORD:
    case LAT_CT_TUPLE:
      v->of.list.n = t->n;
      v->of.list.v = lat_arena_array(a, t->n, sizeof(lat_cval_t));
      for (uint32_t i = 0; i < t->n; i++)
        gen_value(r, a, t->u.fields[i].type, &v->of.list.v[i]);
      break;
    case LAT_CT_ENUM: v->of.var.disc = (uint32_t)(x % t->n); break;
    case LAT_CT_FLAGS: v->of.flags = (uint32_t)x & ((1u << t->n) - 1); break;
    case LAT_CT_VARIANT:
    case LAT_CT_OPTION:
    case LAT_CT_RESULT:
    case LAT_WRPC_CT_FUTURE:
    case LAT_WRPC_CT_STREAM: {
      const lat_ctype_t *pt = NULL;
      if (t->kind == LAT_CT_VARIANT) {
        v->of.var.disc = (uint32_t)(x % t->n);
        pt = t->u.fields[v->of.var.disc].type;
      } else {
        v->of.var.disc = (uint32_t)(x & 1);
        if (t->kind == LAT_CT_RESULT)
          pt = v->of.var.disc ? t->u.result.err : t->u.result.ok;
        else if (v->of.var.disc)
          pt = t->u.elem;
      }
      if (!pt) break;
      v->of.var.payload = lat_arena_alloc(a, sizeof(lat_cval_t));
      if (t->kind == LAT_WRPC_CT_STREAM) gen_list(r, a, pt, v->of.var.payload);
      else gen_value(r, a, pt, v->of.var.payload);
      break;
    }
    default: break;
  }
}

static bool has_ext(const lat_ctype_t *t) {
  if (!t) return false;
  switch (t->kind) {
    case LAT_WRPC_CT_FUTURE:
    case LAT_WRPC_CT_STREAM: return true;
    case LAT_CT_LIST:
    case LAT_CT_OPTION: return has_ext(t->u.elem);
    case LAT_CT_RESULT: return has_ext(t->u.result.ok) || has_ext(t->u.result.err);
    case LAT_CT_RECORD:
    case LAT_CT_TUPLE:
    case LAT_CT_VARIANT:
      for (uint32_t i = 0; i < t->n; i++)
        if (has_ext(t->u.fields[i].type)) return true;
      return false;
    default: return false;
  }
}

TEST_IMPL(wrpc_codec_random_roundtrip) {
  rng_t r = {0x9e3779b97f4a7c15ull};
  int checked = 0;
  for (int i = 0; i < 2000; i++) {
    lat_arena_t a;
    lat_arena_init(&a);
    lat_error_t berr = {0};
    lat_ctype_builder_t b = {.arena = &a, .err = &berr};
    const lat_ctype_t *t = gen_type(&r, &b, 0);
    if (!t) fprintf(stderr, "  type #%d: %s\n", i, berr.msg);
    REQUIRE(t);
    lat_cval_t v, back;
    gen_value(&r, &a, t, &v);
    lat_buf_t o, o2;
    lat_buf_init(&o);
    lat_buf_init(&o2);
    lat_error_t err;
    lat_status st = lat_wrpc_encode(&v, t, &o, &err);
    if (st) fprintf(stderr, "  encode #%d: %s\n", i, err.msg);
    REQUIRE_OK(st);
    st = lat_wrpc_decode(o.data, o.len, t, &a, &back, &err);
    if (st) fprintf(stderr, "  decode #%d: %s at %zu\n", i, err.msg, err.offset);
    REQUIRE_OK(st);
    if (!has_ext(t)) {
      CHECK(lat_cval_equal(&v, &back));
      checked++;
    }
    REQUIRE_OK(lat_wrpc_encode(&back, t, &o2, &err));
    CHECK(o.len == o2.len && memcmp(o.data, o2.data, o.len) == 0);
    /* every proper prefix is truncated input: an error, never a crash */
    for (size_t cut = 0; cut < o.len; cut += 1 + o.len / 8)
      CHECK(lat_wrpc_decode(o.data, cut, t, &a, &back, &err) != LAT_OK);
    lat_buf_fini(&o);
    lat_buf_fini(&o2);
    lat_arena_fini(&a);
  }
  CHECK(checked > 1000);
}
