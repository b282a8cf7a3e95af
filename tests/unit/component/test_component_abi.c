/* Canonical ABI (src/component/component_abi.c, component_resource.c).
 *
 * The guest memory here is a host buffer with a bump allocator as
 * `cabi_realloc`; every allocation that does not fit moves the whole buffer
 * (new base pointer), so a lift/lower that kept a stale pointer across a
 * realloc would read freed memory under ASan. */
#include <math.h>
#include <stdio.h>

#include "component/component.h"
#include "test.h"

typedef struct {
  lat_cabi_memory_t m;
  uint32_t top;      /* bump pointer */
  int reallocs;
  int fail_after;    /* realloc returns an out-of-bounds pointer after n calls */
} tmem_t;

static lat_status tmem_realloc(lat_cabi_memory_t *m, uint32_t old, uint32_t old_size,
                               uint32_t align, uint32_t size, uint32_t *out,
                               lat_error_t *err) {
  tmem_t *t = (tmem_t *)m;
  t->reallocs++;
  if (t->fail_after >= 0 && t->reallocs > t->fail_after) {
    *out = 0xfffffff0u;
    return LAT_OK;
  }
  if (align == 0 || (align & (align - 1)))
    return lat_error_set(err, LAT_TRAP, SIZE_MAX, "bad align");
  uint64_t p = (t->top + align - 1) / align * align;
  uint64_t end = p + size;
  if (end > m->size) { /* grow and move */
    uint64_t nsize = end * 2 + 64;
    uint8_t *nb = lat_malloc(nsize);
    if (!nb) return LAT_ENOMEM;
    memset(nb, 0xcc, nsize);
    memcpy(nb, m->base, m->size);
    memset(m->base, 0xdd, m->size);
    lat_free(m->base);
    m->base = nb;
    m->size = nsize;
  }
  if (old && size) memmove(m->base + p, m->base + old, old_size < size ? old_size : size);
  t->top = (uint32_t)end;
  *out = (uint32_t)p;
  return LAT_OK;
}

static void tmem_init(tmem_t *t, uint32_t size) {
  memset(t, 0, sizeof *t);
  t->m.base = lat_calloc(1, size);
  t->m.size = size;
  t->m.realloc_fn = tmem_realloc;
  t->top = 8; /* keep 0 as a "null" pointer */
  t->fail_after = -1;
}

static void tmem_fini(tmem_t *t) { lat_free(t->m.base); }

typedef struct {
  tmem_t mem;
  lat_arena_t arena;
  lat_cabi_cx_t cx;
  lat_ctype_builder_t b;
  lat_error_t err;
} env_t;

static void env_init(env_t *e, lat_cabi_encoding_t enc) {
  memset(e, 0, sizeof *e);
  tmem_init(&e->mem, 64);
  lat_arena_init(&e->arena);
  e->cx.encoding = enc;
  e->cx.memory = &e->mem.m;
  e->cx.arena = &e->arena;
  e->b.arena = &e->arena;
  e->b.err = &e->err;
}

static void env_fini(env_t *e) {
  tmem_fini(&e->mem);
  lat_arena_fini(&e->arena);
}

static const lat_ctype_t *P(lat_ctype_kind_t k) { return lat_ctype_prim(k); }

/* lower v flat (as params), lift it back, compare; then store/load. */
static void roundtrip(env_t *e, const lat_ctype_t *t, const lat_cval_t *v) {
  lat_wasm_val_t flat[32];
  uint32_t n;
  lat_cval_t back;
  lat_status st = lat_cabi_lower_values(&e->cx, 16, v, &t, 1, NULL, flat, 32, &n, &e->err);
  if (st) {
    fprintf(stderr, "lower: %s\n", e->err.msg);
    CHECK_OK(st);
    return;
  }
  st = lat_cabi_lift_values(&e->cx, 16, flat, n, &t, 1, &back, &e->err);
  if (st) fprintf(stderr, "lift: %s\n", e->err.msg);
  CHECK_OK(st);
  if (!st) CHECK(lat_cval_equal(v, &back));
  uint32_t ptr;
  REQUIRE_OK(tmem_realloc(&e->mem.m, 0, 0, t->align, t->size, &ptr, &e->err));
  st = lat_cabi_store(&e->cx, v, t, ptr, &e->err);
  if (st) fprintf(stderr, "store: %s\n", e->err.msg);
  CHECK_OK(st);
  st = lat_cabi_load(&e->cx, ptr, t, &back, &e->err);
  if (st) fprintf(stderr, "load: %s\n", e->err.msg);
  CHECK_OK(st);
  if (!st) CHECK(lat_cval_equal(v, &back));
}

TEST_IMPL(component_abi_prims_roundtrip) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  lat_cval_t v;
  static const int64_t sv[] = {0, 1, -1, 127, -128, 32767, -32768, INT32_MAX, INT32_MIN};
  for (lat_ctype_kind_t k = LAT_CT_S8; k <= LAT_CT_S64; k += 2) {
    for (size_t i = 0; i < sizeof sv / sizeof *sv; i++) {
      v = (lat_cval_t){.kind = (uint8_t)k, .of.s = sv[i]};
      if (lat_cval_check(&v, P(k), NULL)) continue; /* out of this type's range */
      roundtrip(&e, P(k), &v);
    }
  }
  v = (lat_cval_t){.kind = LAT_CT_S64, .of.s = INT64_MIN};
  roundtrip(&e, P(LAT_CT_S64), &v);
  static const uint64_t uv[] = {0, 1, 255, 65535, UINT32_MAX, UINT64_MAX};
  for (lat_ctype_kind_t k = LAT_CT_U8; k <= LAT_CT_U64; k += 2)
    for (size_t i = 0; i < sizeof uv / sizeof *uv; i++) {
      v = (lat_cval_t){.kind = (uint8_t)k, .of.u = uv[i]};
      if (lat_cval_check(&v, P(k), NULL)) continue;
      roundtrip(&e, P(k), &v);
    }
  v = (lat_cval_t){.kind = LAT_CT_BOOL, .of.b = true};
  roundtrip(&e, P(LAT_CT_BOOL), &v);
  v.of.b = false;
  roundtrip(&e, P(LAT_CT_BOOL), &v);
  static const uint32_t chars[] = {0, 'a', 0xD7FF, 0xE000, 0x10FFFF, 0x1F600};
  for (size_t i = 0; i < sizeof chars / sizeof *chars; i++) {
    v = (lat_cval_t){.kind = LAT_CT_CHAR, .of.c = chars[i]};
    roundtrip(&e, P(LAT_CT_CHAR), &v);
  }
  v = (lat_cval_t){.kind = LAT_CT_F32, .of.f32 = -1.5f};
  roundtrip(&e, P(LAT_CT_F32), &v);
  v = (lat_cval_t){.kind = LAT_CT_F64, .of.f64 = 1e300};
  roundtrip(&e, P(LAT_CT_F64), &v);
  v = (lat_cval_t){.kind = LAT_CT_F64, .of.f64 = -0.0};
  roundtrip(&e, P(LAT_CT_F64), &v);
  /* flat lift of small ints wraps the i32 like the spec */
  lat_wasm_val_t w = {.type = LAT_I32, .of.i32 = 0x1ff};
  const lat_ctype_t *u8 = P(LAT_CT_U8), *s8 = P(LAT_CT_S8), *bl = P(LAT_CT_BOOL);
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, &w, 1, &u8, 1, &v, NULL));
  CHECK_EQ_UINT(v.of.u, 0xff);
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, &w, 1, &s8, 1, &v, NULL));
  CHECK_EQ_INT(v.of.s, -1);
  w.of.i32 = 2; /* any nonzero is true */
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, &w, 1, &bl, 1, &v, NULL));
  CHECK(v.of.b);
  env_fini(&e);
}

TEST_IMPL(component_abi_nan) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  lat_cval_t v;
  const lat_ctype_t *f32 = P(LAT_CT_F32), *f64 = P(LAT_CT_F64);
  lat_wasm_val_t w = {.type = LAT_F32, .of.f32 = 0x7fa00001u}; /* signalling NaN */
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, &w, 1, &f32, 1, &v, NULL));
  uint32_t b32;
  memcpy(&b32, &v.of.f32, 4);
  CHECK_EQ_UINT(b32, 0x7fc00000u);
  w = (lat_wasm_val_t){.type = LAT_F32, .of.f32 = 0xffc12345u};
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, &w, 1, &f32, 1, &v, NULL));
  memcpy(&b32, &v.of.f32, 4);
  CHECK_EQ_UINT(b32, 0x7fc00000u);
  w = (lat_wasm_val_t){.type = LAT_F64, .of.f64 = 0xfff0000000000001ull};
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, &w, 1, &f64, 1, &v, NULL));
  uint64_t b64;
  memcpy(&b64, &v.of.f64, 8);
  CHECK_EQ_UINT(b64, 0x7ff8000000000000ull);
  /* from memory too */
  uint32_t ptr = 16;
  memcpy(e.mem.m.base + ptr, "\x01\x00\x80\x7f", 4); /* 0x7f800001 */
  REQUIRE_OK(lat_cabi_load(&e.cx, ptr, f32, &v, NULL));
  memcpy(&b32, &v.of.f32, 4);
  CHECK_EQ_UINT(b32, 0x7fc00000u);
  /* infinities are not NaNs */
  w = (lat_wasm_val_t){.type = LAT_F32, .of.f32 = 0x7f800000u};
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, &w, 1, &f32, 1, &v, NULL));
  CHECK(isinf(v.of.f32));
  /* lowering a NaN writes the canonical NaN */
  lat_cval_t nan = {.kind = LAT_CT_F64, .of.f64 = -NAN};
  lat_wasm_val_t out[1];
  uint32_t n;
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, &nan, &f64, 1, NULL, out, 1, &n, NULL));
  CHECK_EQ_UINT(out[0].of.f64, 0x7ff8000000000000ull);
  env_fini(&e);
}

static lat_cval_t S(const char *s) {
  return (lat_cval_t){.kind = LAT_CT_STRING, .of.str = {s, (uint32_t)strlen(s)}};
}

static const char *const samples[] = {
    "", "hello", "héllo wörld", "ÿ latin1 top", "a✓b", "emoji 😀 and 𝄞",
    "\xef\xbf\xbf", "日本語のテキスト"};

TEST_IMPL(component_abi_strings_utf8) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
    lat_cval_t v = S(samples[i]);
    roundtrip(&e, P(LAT_CT_STRING), &v);
  }
  /* memory holds exactly the bytes */
  lat_cval_t v = S("héllo");
  const lat_ctype_t *t = P(LAT_CT_STRING);
  lat_wasm_val_t flat[2];
  uint32_t n;
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, &v, &t, 1, NULL, flat, 2, &n, NULL));
  CHECK_EQ_UINT(flat[1].of.i32, 6);
  CHECK_EQ_MEM(e.mem.m.base + flat[0].of.i32, "h\xc3\xa9llo", 6);
  env_fini(&e);
}

TEST_IMPL(component_abi_strings_utf16) {
  env_t e;
  env_init(&e, LAT_CABI_UTF16);
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
    lat_cval_t v = S(samples[i]);
    roundtrip(&e, P(LAT_CT_STRING), &v);
  }
  lat_cval_t v = S("a😀");
  const lat_ctype_t *t = P(LAT_CT_STRING);
  lat_wasm_val_t flat[2];
  uint32_t n;
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, &v, &t, 1, NULL, flat, 2, &n, NULL));
  CHECK_EQ_UINT(flat[1].of.i32, 3); /* code units */
  CHECK_EQ_UINT(flat[0].of.i32 % 2, 0);
  CHECK_EQ_MEM(e.mem.m.base + flat[0].of.i32, "a\0\x3d\xd8\x00\xde", 6);
  /* a UTF-16 string written by the guest lifts to UTF-8 */
  memcpy(e.mem.m.base + 8, "h\0i\0\x3d\xd8\x00\xde", 8);
  lat_wasm_val_t in[2] = {{.type = LAT_I32, .of.i32 = 8}, {.type = LAT_I32, .of.i32 = 4}};
  lat_cval_t out;
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, in, 2, &t, 1, &out, NULL));
  CHECK_EQ_UINT(out.of.str.len, 6);
  CHECK_EQ_MEM(out.of.str.ptr, "hi\xf0\x9f\x98\x80", 6);
  env_fini(&e);
}

TEST_IMPL(component_abi_strings_latin1) {
  env_t e;
  env_init(&e, LAT_CABI_LATIN1_UTF16);
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
    lat_cval_t v = S(samples[i]);
    roundtrip(&e, P(LAT_CT_STRING), &v);
  }
  const lat_ctype_t *t = P(LAT_CT_STRING);
  lat_wasm_val_t flat[2];
  uint32_t n;
  lat_cval_t v = S("héllo"); /* all latin1: 5 bytes, no tag */
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, &v, &t, 1, NULL, flat, 2, &n, NULL));
  CHECK_EQ_UINT(flat[1].of.i32, 5);
  CHECK_EQ_MEM(e.mem.m.base + flat[0].of.i32, "h\xe9llo", 5);
  v = S("hé✓"); /* needs UTF-16: tagged length */
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, &v, &t, 1, NULL, flat, 2, &n, NULL));
  CHECK_EQ_UINT(flat[1].of.i32, 0x80000003u);
  CHECK_EQ_MEM(e.mem.m.base + flat[0].of.i32, "h\0\xe9\0\x13\x27", 6);
  /* guest latin1 lifts to UTF-8 */
  memcpy(e.mem.m.base + 8, "\xe9t\xe9", 3);
  lat_wasm_val_t in[2] = {{.type = LAT_I32, .of.i32 = 8}, {.type = LAT_I32, .of.i32 = 3}};
  lat_cval_t out;
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, in, 2, &t, 1, &out, NULL));
  CHECK_EQ_UINT(out.of.str.len, 5);
  CHECK_EQ_MEM(out.of.str.ptr, "\xc3\xa9t\xc3\xa9", 5);
  env_fini(&e);
}

static lat_status lift_str(env_t *e, uint32_t ptr, uint32_t len) {
  const lat_ctype_t *t = P(LAT_CT_STRING);
  lat_wasm_val_t in[2] = {{.type = LAT_I32, .of.i32 = ptr}, {.type = LAT_I32, .of.i32 = len}};
  lat_cval_t out;
  return lat_cabi_lift_values(&e->cx, 16, in, 2, &t, 1, &out, &e->err);
}

TEST_IMPL(component_abi_strings_invalid) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  memcpy(e.mem.m.base + 8, "\xc0\xaf", 2); /* overlong */
  CHECK_ST(lift_str(&e, 8, 2), LAT_TRAP);
  memcpy(e.mem.m.base + 8, "\xed\xa0\x80", 3); /* UTF-8 surrogate */
  CHECK_ST(lift_str(&e, 8, 3), LAT_TRAP);
  CHECK_ST(lift_str(&e, 60, 5), LAT_TRAP);          /* out of bounds */
  CHECK_ST(lift_str(&e, 0xffffffffu, 2), LAT_TRAP); /* wraps in 32 bits */
  CHECK_ST(lift_str(&e, 8, 1u << 28), LAT_TRAP);    /* over the max */
  CHECK_OK(lift_str(&e, 64, 0));                    /* empty at the end is fine */
  e.cx.encoding = LAT_CABI_UTF16;
  CHECK_ST(lift_str(&e, 9, 1), LAT_TRAP); /* unaligned */
  memcpy(e.mem.m.base + 8, "\x00\xd8" "a\0", 4); /* lone high surrogate */
  CHECK_ST(lift_str(&e, 8, 2), LAT_TRAP);
  memcpy(e.mem.m.base + 8, "\x00\xdc", 2); /* lone low surrogate */
  CHECK_ST(lift_str(&e, 8, 1), LAT_TRAP);
  CHECK_ST(lift_str(&e, 8, 0x7fffffffu), LAT_TRAP); /* 2*len overflows 32 bits */
  e.cx.encoding = LAT_CABI_LATIN1_UTF16;
  CHECK_ST(lift_str(&e, 8, 0x80000000u | 0x7fffffffu), LAT_TRAP);
  CHECK_OK(lift_str(&e, 8, 0x80000000u)); /* empty UTF-16 */
  /* realloc handing back an out-of-bounds pointer traps on lower */
  e.mem.fail_after = 0;
  lat_cval_t v = S("abc");
  const lat_ctype_t *t = P(LAT_CT_STRING);
  lat_wasm_val_t flat[2];
  uint32_t n;
  CHECK_ST(lat_cabi_lower_values(&e.cx, 16, &v, &t, 1, NULL, flat, 2, &n, NULL), LAT_TRAP);
  /* no realloc in the options: a host error, not a trap */
  e.mem.m.realloc_fn = NULL;
  CHECK_ST(lat_cabi_lower_values(&e.cx, 16, &v, &t, 1, NULL, flat, 2, &n, NULL), LAT_EARG);
  env_fini(&e);
}

/* A record exercising every kind of value. */
static const lat_ctype_t *big_record(env_t *e) {
  lat_ctype_builder_t *b = &e->b;
  static const char *const el[] = {"red", "green", "blue"};
  static const char *const fl[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
  const lat_ctype_t *tup_e[] = {P(LAT_CT_S8), P(LAT_CT_S16), P(LAT_CT_S64)};
  lat_cfield_t vc[] = {{"none", NULL}, {"num", P(LAT_CT_F32)}, {"big", P(LAT_CT_U64)},
                       {"text", P(LAT_CT_STRING)}};
  lat_cfield_t f[] = {
      {"name", P(LAT_CT_STRING)},
      {"tags", lat_ctype_list(b, P(LAT_CT_U8))},
      {"score", P(LAT_CT_F64)},
      {"color", lat_ctype_enum(b, el, 3)},
      {"perm", lat_ctype_flags(b, fl, 9)},
      {"initial", lat_ctype_option(b, P(LAT_CT_CHAR))},
      {"res", lat_ctype_result(b, P(LAT_CT_U32), P(LAT_CT_STRING))},
      {"tup", lat_ctype_tuple(b, tup_e, 3)},
      {"var", lat_ctype_variant(b, vc, 4)},
      {"words", lat_ctype_list(b, P(LAT_CT_STRING))},
      {"ok", P(LAT_CT_BOOL)},
      {"unit", lat_ctype_result(b, NULL, NULL)},
  };
  return lat_ctype_list(b, lat_ctype_record(b, f, 12));
}

static lat_cval_t *vals(env_t *e, size_t n) {
  return lat_arena_array(&e->arena, n, sizeof(lat_cval_t));
}

static lat_cval_t mk_entry(env_t *e, int i) {
  lat_cval_t *f = vals(e, 12);
  static const uint8_t tags[] = {1, 2, 3, 250};
  f[0] = S(i ? "second ✓" : "first");
  f[1] = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {NULL, (uint32_t)(i ? 4 : 0), tags}};
  f[2] = (lat_cval_t){.kind = LAT_CT_F64, .of.f64 = 3.25 * i};
  f[3] = (lat_cval_t){.kind = LAT_CT_ENUM, .of.var = {(uint32_t)(i % 3), NULL}};
  f[4] = (lat_cval_t){.kind = LAT_CT_FLAGS, .of.flags = i ? 0x101u : 0x2u};
  lat_cval_t *ch = vals(e, 1);
  *ch = (lat_cval_t){.kind = LAT_CT_CHAR, .of.c = 0x1F600};
  f[5] = (lat_cval_t){.kind = LAT_CT_OPTION, .of.var = {(uint32_t)(i ? 1 : 0), i ? ch : NULL}};
  lat_cval_t *rp = vals(e, 1);
  *rp = i ? S("an error") : (lat_cval_t){.kind = LAT_CT_U32, .of.u = 77};
  f[6] = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {(uint32_t)i, rp}};
  lat_cval_t *t = vals(e, 3);
  t[0] = (lat_cval_t){.kind = LAT_CT_S8, .of.s = -5};
  t[1] = (lat_cval_t){.kind = LAT_CT_S16, .of.s = -300};
  t[2] = (lat_cval_t){.kind = LAT_CT_S64, .of.s = -((int64_t)1 << 40)};
  f[7] = (lat_cval_t){.kind = LAT_CT_TUPLE, .of.list = {t, 3, NULL}};
  lat_cval_t *vp = vals(e, 1);
  *vp = i ? S("payload") : (lat_cval_t){.kind = LAT_CT_F32, .of.f32 = 0.5f};
  f[8] = (lat_cval_t){.kind = LAT_CT_VARIANT, .of.var = {i ? 3u : 1u, vp}};
  lat_cval_t *w = vals(e, 2);
  w[0] = S("x");
  w[1] = S("ÿz");
  f[9] = (lat_cval_t){.kind = LAT_CT_LIST, .of.list = {w, 2, NULL}};
  f[10] = (lat_cval_t){.kind = LAT_CT_BOOL, .of.b = i != 0};
  f[11] = (lat_cval_t){.kind = LAT_CT_RESULT, .of.var = {1, NULL}};
  return (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {f, 12, NULL}};
}

TEST_IMPL(component_abi_compound_roundtrip) {
  for (int enc = 0; enc < 3; enc++) {
    env_t e;
    env_init(&e, (lat_cabi_encoding_t)enc);
    const lat_ctype_t *t = big_record(&e);
    REQUIRE(t);
    lat_cval_t *items = vals(&e, 2);
    items[0] = mk_entry(&e, 0);
    items[1] = mk_entry(&e, 1);
    lat_cval_t list = {.kind = LAT_CT_LIST, .of.list = {items, 2, NULL}};
    REQUIRE_OK(lat_cval_check(&list, t, NULL));
    roundtrip(&e, t, &list);
    CHECK(e.mem.reallocs > 5);
    env_fini(&e);
  }
}

TEST_IMPL(component_abi_spill) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  /* 9 strings = 18 flat values > 16: passed through memory */
  const lat_ctype_t *ts[9];
  lat_cval_t vs[9], back[9];
  static const char *const words[] = {"zero", "one", "two", "three", "four",
                                      "five", "six", "seven", "eight"};
  for (int i = 0; i < 9; i++) {
    ts[i] = P(LAT_CT_STRING);
    vs[i] = S(words[i]);
  }
  lat_wasm_val_t flat[17];
  uint32_t n;
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, vs, ts, 9, NULL, flat, 17, &n, NULL));
  CHECK_EQ_UINT(n, 1);
  CHECK_EQ_UINT(flat[0].type, LAT_I32);
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, flat, 1, ts, 9, back, NULL));
  for (int i = 0; i < 9; i++) CHECK(lat_cval_equal(&vs[i], &back[i]));
  /* results over MAX_FLAT_RESULTS into a caller-provided out pointer */
  const lat_ctype_t *pair_e[] = {P(LAT_CT_U32), P(LAT_CT_F64)};
  const lat_ctype_t *pair = lat_ctype_tuple(&e.b, pair_e, 2);
  lat_cval_t *pv = vals(&e, 2);
  pv[0] = (lat_cval_t){.kind = LAT_CT_U32, .of.u = 7};
  pv[1] = (lat_cval_t){.kind = LAT_CT_F64, .of.f64 = 2.5};
  lat_cval_t tv = {.kind = LAT_CT_TUPLE, .of.list = {pv, 2, NULL}};
  uint32_t outp = 16;
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 1, &tv, &pair, 1, &outp, flat, 17, &n, NULL));
  CHECK_EQ_UINT(n, 0);
  CHECK_EQ_MEM(e.mem.m.base + 16, "\x07\0\0\0", 4);
  lat_wasm_val_t p = {.type = LAT_I32, .of.i32 = 16};
  lat_cval_t r;
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 1, &p, 1, &pair, 1, &r, NULL));
  CHECK(lat_cval_equal(&r, &tv));
  uint32_t bad = 12; /* misaligned for f64 */
  CHECK_ST(lat_cabi_lower_values(&e.cx, 1, &tv, &pair, 1, &bad, flat, 17, &n, NULL),
           LAT_TRAP);
  p.of.i32 = 12;
  CHECK_ST(lat_cabi_lift_values(&e.cx, 1, &p, 1, &pair, 1, &r, NULL), LAT_TRAP);
  p.of.i32 = (uint32_t)e.mem.m.size - 8; /* aligned, but the tuple overruns */
  p.of.i32 &= ~7u;
  CHECK_ST(lat_cabi_lift_values(&e.cx, 1, &p, 1, &pair, 1, &r, NULL), LAT_TRAP);
  env_fini(&e);
}

TEST_IMPL(component_abi_variant_join) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  lat_cfield_t c[] = {{"f", P(LAT_CT_F32)}, {"d", P(LAT_CT_F64)}, {"i", P(LAT_CT_U32)},
                      {"l", P(LAT_CT_S64)}, {"n", NULL}};
  const lat_ctype_t *t = lat_ctype_variant(&e.b, c, 5);
  REQUIRE(t);
  lat_cval_t pay[4] = {{.kind = LAT_CT_F32, .of.f32 = 1.25f},
                       {.kind = LAT_CT_F64, .of.f64 = -7.5},
                       {.kind = LAT_CT_U32, .of.u = 0xdeadbeef},
                       {.kind = LAT_CT_S64, .of.s = -2}};
  for (uint32_t i = 0; i < 5; i++) {
    lat_cval_t v = {.kind = LAT_CT_VARIANT, .of.var = {i, i < 4 ? &pay[i] : NULL}};
    roundtrip(&e, t, &v);
    lat_wasm_val_t flat[4];
    uint32_t n;
    REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, &v, &t, 1, NULL, flat, 4, &n, NULL));
    CHECK_EQ_UINT(n, 2);
    CHECK_EQ_UINT(flat[1].type, LAT_I64); /* f32 ⊔ f64 ⊔ i32 ⊔ i64 = i64 */
  }
  /* the f32 case travels as its bits in the i64 */
  lat_cval_t v = {.kind = LAT_CT_VARIANT, .of.var = {0, &pay[0]}};
  lat_wasm_val_t flat[4];
  uint32_t n;
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, &v, &t, 1, NULL, flat, 4, &n, NULL));
  CHECK_EQ_UINT(flat[1].of.i64, 0x3fa00000u);
  env_fini(&e);
}

static lat_status lift1(env_t *e, const lat_ctype_t *t, const lat_wasm_val_t *w,
                        uint32_t n) {
  lat_cval_t v;
  return lat_cabi_lift_values(&e->cx, 16, w, n, &t, 1, &v, &e->err);
}

TEST_IMPL(component_abi_traps) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  lat_wasm_val_t w[4] = {{.type = LAT_I32}, {.type = LAT_I32}, {.type = LAT_I32}, {.type = LAT_I32}};
  w[0].of.i32 = 0xD800;
  CHECK_ST(lift1(&e, P(LAT_CT_CHAR), w, 1), LAT_TRAP);
  w[0].of.i32 = 0x110000;
  CHECK_ST(lift1(&e, P(LAT_CT_CHAR), w, 1), LAT_TRAP);
  static const char *const el[] = {"a", "b"};
  w[0].of.i32 = 2;
  CHECK_ST(lift1(&e, lat_ctype_enum(&e.b, el, 2), w, 1), LAT_TRAP);
  w[0].of.i32 = 2;
  CHECK_ST(lift1(&e, lat_ctype_option(&e.b, P(LAT_CT_U32)), w, 2), LAT_TRAP);
  CHECK_ST(lift1(&e, lat_ctype_result(&e.b, NULL, P(LAT_CT_U32)), w, 2), LAT_TRAP);
  lat_cfield_t c[] = {{"x", NULL}, {"y", P(LAT_CT_U8)}, {"z", NULL}};
  w[0].of.i32 = 3;
  CHECK_ST(lift1(&e, lat_ctype_variant(&e.b, c, 3), w, 2), LAT_TRAP);
  /* flags: bits beyond the labels are ignored, not a trap */
  w[0].of.i32 = 0xffffffffu;
  const lat_ctype_t *fl = lat_ctype_flags(&e.b, el, 2);
  lat_cval_t v;
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, w, 1, &fl, 1, &v, NULL));
  CHECK_EQ_UINT(v.of.flags, 3);
  /* from memory: a bad discriminant byte */
  const lat_ctype_t *opt = lat_ctype_option(&e.b, P(LAT_CT_U8));
  e.mem.m.base[8] = 5;
  CHECK_ST(lat_cabi_load(&e.cx, 8, opt, &v, &e.err), LAT_TRAP);
  /* list bounds and alignment */
  const lat_ctype_t *lu32 = lat_ctype_list(&e.b, P(LAT_CT_U32));
  w[0].of.i32 = 9, w[1].of.i32 = 1;
  CHECK_ST(lift1(&e, lu32, w, 2), LAT_TRAP);
  w[0].of.i32 = 8, w[1].of.i32 = 1000;
  CHECK_ST(lift1(&e, lu32, w, 2), LAT_TRAP);
  w[0].of.i32 = 8, w[1].of.i32 = 0x40000000u; /* 4 * 2^30 bytes: over the max */
  CHECK_ST(lift1(&e, lu32, w, 2), LAT_TRAP);
  w[0].of.i32 = 0xfffffffcu, w[1].of.i32 = 2;
  CHECK_ST(lift1(&e, lu32, w, 2), LAT_TRAP);
  /* load/store themselves check the pointer */
  CHECK_ST(lat_cabi_load(&e.cx, 2, P(LAT_CT_U32), &v, &e.err), LAT_TRAP);
  CHECK_ST(lat_cabi_load(&e.cx, 64, P(LAT_CT_U8), &v, &e.err), LAT_TRAP);
  lat_cval_t u = {.kind = LAT_CT_U64, .of.u = 1};
  CHECK_ST(lat_cabi_store(&e.cx, &u, P(LAT_CT_U64), 60, &e.err), LAT_TRAP);
  /* wrong core value types are a host error */
  lat_wasm_val_t f = {.type = LAT_F32};
  CHECK_ST(lift1(&e, P(LAT_CT_U32), &f, 1), LAT_EARG);
  CHECK_ST(lift1(&e, P(LAT_CT_U32), w, 2), LAT_EARG); /* left over */
  env_fini(&e);
}

TEST_IMPL(component_abi_host_values) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  lat_wasm_val_t flat[4];
  uint32_t n;
  struct {
    lat_cval_t v;
    const lat_ctype_t *t;
  } bad[] = {
      {{.kind = LAT_CT_U8, .of.u = 256}, P(LAT_CT_U8)},
      {{.kind = LAT_CT_S16, .of.s = -40000}, P(LAT_CT_S16)},
      {{.kind = LAT_CT_U32, .of.u = 1ull << 32}, P(LAT_CT_U32)},
      {{.kind = LAT_CT_CHAR, .of.c = 0xDFFF}, P(LAT_CT_CHAR)},
      {{.kind = LAT_CT_STRING, .of.str = {"\xff", 1}}, P(LAT_CT_STRING)},
      {{.kind = LAT_CT_U32, .of.u = 1}, P(LAT_CT_S32)},
      {{.kind = LAT_CT_ENUM, .of.var = {3, NULL}},
       lat_ctype_enum(&e.b, (const char *const[]){"a", "b"}, 2)},
      {{.kind = LAT_CT_OPTION, .of.var = {1, NULL}}, lat_ctype_option(&e.b, P(LAT_CT_U8))},
      {{.kind = LAT_CT_FLAGS, .of.flags = 4}, lat_ctype_flags(&e.b, (const char *const[]){"a", "b"}, 2)},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    lat_status st = lat_cabi_lower_values(&e.cx, 16, &bad[i].v, &bad[i].t, 1, NULL, flat,
                                          4, &n, &e.err);
    if (st != LAT_EARG) {
      fprintf(stderr, "case %zu\n", i);
      CHECK_ST(st, LAT_EARG);
    }
    CHECK_ST(lat_cval_check(&bad[i].v, bad[i].t, NULL), LAT_EARG);
  }
  env_fini(&e);
}

TEST_IMPL(component_abi_host_limit) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  /* 1 MiB of guest memory describing 256K u32s = 6 MiB of host values */
  lat_free(e.mem.m.base);
  e.mem.m.size = 1u << 20;
  e.mem.m.base = lat_calloc(1, e.mem.m.size);
  e.cx.max_host_bytes = 1u << 20;
  const lat_ctype_t *l = lat_ctype_list(&e.b, P(LAT_CT_U32));
  lat_wasm_val_t w[2] = {{.type = LAT_I32, .of.i32 = 0}, {.type = LAT_I32, .of.i32 = 1u << 18}};
  CHECK_ST(lift1(&e, l, w, 2), LAT_ELIMIT);
  /* a byte list of the same size is one copy, within the cap */
  const lat_ctype_t *lb = lat_ctype_list(&e.b, P(LAT_CT_U8));
  w[1].of.i32 = (1u << 20) - 64;
  e.cx.arena_start = e.arena.total;
  CHECK_OK(lift1(&e, lb, w, 2));
  env_fini(&e);
}

/* ---- resources ----------------------------------------------------------------------- */

typedef struct {
  lat_cabi_rtype_t rt;
  const lat_ctype_t *res;
  int dropped;
  uint32_t last_rep;
} rctx_t;

static const lat_cabi_rtype_t *rtype_of(void *ctx, const lat_ctype_t *res) {
  rctx_t *r = ctx;
  return res == r->res ? &r->rt : NULL;
}

static lat_status dtor(void *ctx, uint32_t rep, lat_error_t *err) {
  (void)err;
  rctx_t *r = ctx;
  r->dropped++;
  r->last_rep = rep;
  return LAT_OK;
}

TEST_IMPL(component_abi_resources_own) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  lat_cabi_instance_t *inst;
  REQUIRE_OK(lat_cabi_instance_new(NULL, &inst));
  rctx_t r = {.rt = {.name = "r"}};
  r.res = lat_ctype_resource(&e.b, "r");
  e.cx.inst = inst;
  e.cx.rtype_of = rtype_of;
  e.cx.rtype_ctx = &r;
  const lat_ctype_t *own = lat_ctype_own(&e.b, r.res);
  uint32_t h1, h2, rep;
  REQUIRE_OK(lat_cabi_resource_new(inst, &r.rt, 42, &h1, NULL));
  REQUIRE_OK(lat_cabi_resource_new(inst, &r.rt, 43, &h2, NULL));
  CHECK(h1 != 0 && h2 != 0 && h1 != h2);
  CHECK_EQ_UINT(lat_cabi_instance_handle_count(inst), 2);
  REQUIRE_OK(lat_cabi_resource_rep(inst, &r.rt, h2, &rep, NULL));
  CHECK_EQ_UINT(rep, 43);
  /* lifting own moves the handle out of the table */
  lat_wasm_val_t w = {.type = LAT_I32, .of.i32 = h1};
  lat_cval_t v;
  REQUIRE_OK(lat_cabi_lift_values(&e.cx, 16, &w, 1, &own, 1, &v, NULL));
  CHECK_EQ_UINT(v.of.handle.rep, 42);
  CHECK(v.of.handle.rt == &r.rt);
  CHECK_EQ_UINT(lat_cabi_instance_handle_count(inst), 1);
  CHECK_ST(lat_cabi_lift_values(&e.cx, 16, &w, 1, &own, 1, &v, &e.err), LAT_TRAP);
  w.of.i32 = 0;
  CHECK_ST(lat_cabi_lift_values(&e.cx, 16, &w, 1, &own, 1, &v, &e.err), LAT_TRAP);
  w.of.i32 = 1000;
  CHECK_ST(lat_cabi_lift_values(&e.cx, 16, &w, 1, &own, 1, &v, &e.err), LAT_TRAP);
  /* lowering own adds a handle (reusing the freed slot) */
  lat_wasm_val_t out[1];
  uint32_t n;
  REQUIRE_OK(lat_cabi_lower_values(&e.cx, 16, &v, &own, 1, NULL, out, 1, &n, NULL));
  CHECK_EQ_UINT(out[0].of.i32, h1);
  CHECK_EQ_UINT(lat_cabi_instance_handle_count(inst), 2);
  /* a handle of another resource type */
  rctx_t other = {.rt = {.name = "other"}};
  CHECK_ST(lat_cabi_resource_rep(inst, &other.rt, h2, &rep, &e.err), LAT_TRAP);
  CHECK_ST(lat_cabi_resource_drop(inst, &other.rt, h2, &e.err), LAT_TRAP);
  lat_cval_t wrong = {.kind = LAT_CT_OWN, .of.handle = {1, &other.rt}};
  CHECK_ST(lat_cabi_lower_values(&e.cx, 16, &wrong, &own, 1, NULL, out, 1, &n, &e.err),
           LAT_EARG);
  /* may_leave guards the built-ins */
  lat_cabi_instance_set_may_leave(inst, false);
  CHECK_ST(lat_cabi_resource_new(inst, &r.rt, 1, &h1, &e.err), LAT_TRAP);
  CHECK_ST(lat_cabi_resource_drop(inst, &r.rt, h2, &e.err), LAT_TRAP);
  lat_cabi_instance_set_may_leave(inst, true);
  REQUIRE_OK(lat_cabi_resource_drop(inst, &r.rt, h2, NULL));
  CHECK_ST(lat_cabi_resource_drop(inst, &r.rt, h2, &e.err), LAT_TRAP); /* twice */
  lat_cabi_instance_free(inst);
  env_fini(&e);
}

TEST_IMPL(component_abi_resources_borrow) {
  env_t e;
  env_init(&e, LAT_CABI_UTF8);
  lat_cabi_instance_t *caller, *callee;
  REQUIRE_OK(lat_cabi_instance_new(NULL, &caller));
  REQUIRE_OK(lat_cabi_instance_new(NULL, &callee));
  rctx_t r = {.rt = {.name = "r", .impl = NULL, .dtor = dtor}};
  r.rt.dtor_ctx = &r;
  r.res = lat_ctype_resource(&e.b, "r");
  const lat_ctype_t *bor = lat_ctype_borrow(&e.b, r.res);
  uint32_t h;
  REQUIRE_OK(lat_cabi_resource_new(caller, &r.rt, 7, &h, NULL));
  lat_cabi_call_t call;
  lat_cabi_call_init(&call);
  /* the caller lends h for the call: lift borrow in the caller's context */
  lat_cabi_cx_t cx = e.cx;
  cx.inst = caller;
  cx.call = &call;
  cx.rtype_of = rtype_of;
  cx.rtype_ctx = &r;
  lat_wasm_val_t w = {.type = LAT_I32, .of.i32 = h};
  lat_cval_t v;
  REQUIRE_OK(lat_cabi_lift_values(&cx, 16, &w, 1, &bor, 1, &v, NULL));
  CHECK_EQ_UINT(v.of.handle.rep, 7);
  /* while lent, it cannot be dropped or moved */
  CHECK_ST(lat_cabi_resource_drop(caller, &r.rt, h, &e.err), LAT_TRAP);
  const lat_ctype_t *own = lat_ctype_own(&e.b, r.res);
  lat_cval_t junk;
  CHECK_ST(lat_cabi_lift_values(&cx, 16, &w, 1, &own, 1, &junk, &e.err), LAT_TRAP);
  CHECK_EQ_UINT(lat_cabi_instance_handle_count(caller), 1);
  /* lowered into the callee: a borrow handle counted against the call */
  lat_cabi_cx_t cx2 = cx;
  cx2.inst = callee;
  lat_wasm_val_t out[1];
  uint32_t n;
  lat_status st = lat_cabi_lower_values(&cx2, 16, &v, &bor, 1, NULL, out, 1, &n, &e.err);
  if (st) fprintf(stderr, "%s\n", e.err.msg);
  REQUIRE_OK(st);
  uint32_t hb = out[0].of.i32;
  CHECK_EQ_UINT(call.num_borrows, 1);
  CHECK_ST(lat_cabi_call_check_return(&call, &e.err), LAT_TRAP);
  uint32_t rep;
  REQUIRE_OK(lat_cabi_resource_rep(callee, &r.rt, hb, &rep, NULL));
  CHECK_EQ_UINT(rep, 7);
  /* a borrow handle cannot be lifted as own */
  w.of.i32 = hb;
  CHECK_ST(lat_cabi_lift_values(&cx2, 16, &w, 1, &own, 1, &junk, &e.err), LAT_TRAP);
  REQUIRE_OK(lat_cabi_resource_drop(callee, &r.rt, hb, NULL));
  CHECK_EQ_INT(r.dropped, 0); /* dropping a borrow runs no destructor */
  CHECK_EQ_UINT(call.num_borrows, 0);
  CHECK_OK(lat_cabi_call_check_return(&call, NULL));
  lat_cabi_call_finish(&call);
  /* the lend is over: the owner can drop it now, running the destructor */
  REQUIRE_OK(lat_cabi_resource_drop(caller, &r.rt, h, NULL));
  CHECK_EQ_INT(r.dropped, 1);
  CHECK_EQ_UINT(r.last_rep, 7);
  /* a borrow lowered into the resource's own instance is just the rep */
  r.rt.impl = callee;
  lat_cval_t bv = {.kind = LAT_CT_BORROW, .of.handle = {99, &r.rt}};
  REQUIRE_OK(lat_cabi_lower_values(&cx2, 16, &bv, &bor, 1, NULL, out, 1, &n, NULL));
  CHECK_EQ_UINT(out[0].of.i32, 99);
  lat_cabi_call_fini(&call);
  lat_cabi_instance_free(caller);
  lat_cabi_instance_free(callee);
  env_fini(&e);
}

typedef struct {
  lat_cabi_instance_t *impl;
  lat_cabi_instance_t *user;
  int calls;
  lat_status reenter;
} dctx_t;

static lat_status dtor_reenter(void *ctx, uint32_t rep, lat_error_t *err) {
  (void)rep;
  dctx_t *d = ctx;
  d->calls++;
  /* while the destructor runs, impl is on the stack: entering it again traps */
  d->reenter = lat_cabi_instance_enter(d->impl, d->user, err);
  if (!d->reenter) lat_cabi_instance_leave(d->impl, d->user);
  return LAT_OK;
}

TEST_IMPL(component_abi_resources_dtor) {
  lat_cabi_instance_t *impl, *user;
  REQUIRE_OK(lat_cabi_instance_new(NULL, &impl));
  REQUIRE_OK(lat_cabi_instance_new(NULL, &user));
  dctx_t d = {impl, user, 0, LAT_OK};
  lat_cabi_rtype_t rt = {.impl = impl, .dtor = dtor_reenter, .dtor_ctx = &d, .name = "r"};
  uint32_t h;
  REQUIRE_OK(lat_cabi_resource_new(user, &rt, 5, &h, NULL));
  REQUIRE_OK(lat_cabi_resource_drop(user, &rt, h, NULL));
  CHECK_EQ_INT(d.calls, 1);
  CHECK_ST(d.reenter, LAT_TRAP);
  /* dropping while impl is on the stack traps before the destructor */
  REQUIRE_OK(lat_cabi_resource_new(user, &rt, 6, &h, NULL));
  REQUIRE_OK(lat_cabi_instance_enter(impl, NULL, NULL));
  lat_error_t err;
  CHECK_ST(lat_cabi_resource_drop(user, &rt, h, &err), LAT_TRAP);
  CHECK_EQ_INT(d.calls, 1);
  lat_cabi_instance_leave(impl, NULL);
  /* many handles: the free list reuses slots */
  uint32_t hs[100];
  for (int i = 0; i < 100; i++) REQUIRE_OK(lat_cabi_resource_new(user, &rt, (uint32_t)i, &hs[i], NULL));
  for (int i = 0; i < 100; i += 2) REQUIRE_OK(lat_cabi_resource_drop(user, &rt, hs[i], NULL));
  uint32_t again;
  REQUIRE_OK(lat_cabi_resource_new(user, &rt, 1000, &again, NULL));
  CHECK(again <= 101);
  lat_cabi_instance_free(impl);
  lat_cabi_instance_free(user);
}

TEST_IMPL(component_abi_reentrance) {
  lat_cabi_instance_t *parent, *a, *b;
  REQUIRE_OK(lat_cabi_instance_new(NULL, &parent));
  REQUIRE_OK(lat_cabi_instance_new(parent, &a));
  REQUIRE_OK(lat_cabi_instance_new(parent, &b));
  lat_error_t err;
  REQUIRE_OK(lat_cabi_instance_enter(a, NULL, &err)); /* host -> a (and parent) */
  CHECK_ST(lat_cabi_instance_enter(a, b, &err), LAT_TRAP); /* b -> a: a is busy */
  CHECK_OK(lat_cabi_instance_enter(b, a, &err)); /* a -> sibling b: parent shared */
  lat_cabi_instance_leave(b, a);
  CHECK_ST(lat_cabi_instance_enter(parent, NULL, &err), LAT_TRAP);
  lat_cabi_instance_leave(a, NULL);
  CHECK_OK(lat_cabi_instance_enter(parent, NULL, &err));
  lat_cabi_instance_leave(parent, NULL);
  lat_cabi_instance_free(a);
  lat_cabi_instance_free(b);
  lat_cabi_instance_free(parent);
}
