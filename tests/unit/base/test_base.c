/* Unit tests for src/base: status names, error detail, the bounds-checked
 * reader and its LEB128 rules (the cases binary-leb128.wast exercises, and
 * the edges around them), UTF-8 validation, buffers, allocation hooks and
 * arenas, file reads and time. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

/* ---- helpers -------------------------------------------------------------- */

typedef enum { K_U32, K_S32, K_S33, K_U64, K_S64 } leb_kind;

/* Reads one LEB of `kind` from bytes[0..n); returns the status and the value
 * (as a 64-bit pattern), and how many bytes were consumed. */
static lat_status read_leb(leb_kind kind, const char *bytes, size_t n,
                           uint64_t *out, size_t *used, lat_error_t *err) {
  lat_reader_t r = {(const uint8_t *)bytes, (const uint8_t *)bytes,
                    (const uint8_t *)bytes + n};
  lat_status s;
  *out = 0xdeadbeef;
  switch (kind) {
    case K_U32: {
      uint32_t v;
      s = lat_read_u32(&r, &v, err);
      if (!s) *out = v;
      break;
    }
    case K_S32: {
      int32_t v;
      s = lat_read_s32(&r, &v, err);
      if (!s) *out = (uint64_t)(int64_t)v;
      break;
    }
    case K_S33: {
      int64_t v;
      s = lat_read_s33(&r, &v, err);
      if (!s) *out = (uint64_t)v;
      break;
    }
    case K_U64:
      s = lat_read_u64(&r, out, err);
      break;
    default: {
      int64_t v;
      s = lat_read_s64(&r, &v, err);
      if (!s) *out = (uint64_t)v;
      break;
    }
  }
  if (used) *used = lat_reader_offset(&r);
  return s;
}

#define LEB_OK(kind, lit, want)                                      \
  do {                                                               \
    uint64_t v_;                                                     \
    size_t used_;                                                    \
    CHECK_OK(read_leb(kind, lit, sizeof(lit) - 1, &v_, &used_, NULL)); \
    CHECK_EQ_UINT(v_, (uint64_t)(want));                             \
    CHECK_EQ_UINT(used_, sizeof(lit) - 1);                           \
  } while (0)

/* Malformed, and the message contains `why`. */
#define LEB_BAD(kind, lit, why)                                          \
  do {                                                                   \
    uint64_t v_;                                                         \
    lat_error_t e_;                                                      \
    lat_error_clear(&e_);                                                \
    CHECK_ST(read_leb(kind, lit, sizeof(lit) - 1, &v_, NULL, &e_),       \
             LAT_EMALFORMED);                                            \
    CHECK_EQ_INT(e_.code, LAT_EMALFORMED);                               \
    if (!strstr(e_.msg, why)) CHECK_EQ_STR(e_.msg, why);                 \
  } while (0)

/* ---- status and errors ------------------------------------------------------ */

TEST_IMPL(base_status_names) {
  CHECK_EQ_STR(lat_status_name(LAT_OK), "LAT_OK");
  CHECK_EQ_STR(lat_status_name(LAT_EMALFORMED), "LAT_EMALFORMED");
  CHECK_EQ_STR(lat_status_name(LAT_TRAP), "LAT_TRAP");
  CHECK_EQ_STR(lat_status_message(LAT_EINVALID), "invalid module");
  CHECK_EQ_STR(lat_status_name(LAT_STATUS_COUNT), "LAT_UNKNOWN");
  CHECK_EQ_STR(lat_status_name((lat_status)-1), "LAT_UNKNOWN");
  CHECK_EQ_STR(lat_status_message((lat_status)9999), "unknown status");
  /* every code has a distinct LAT_ name and a non-empty message */
  for (int i = 0; i < LAT_STATUS_COUNT; i++) {
    const char *n = lat_status_name((lat_status)i);
    CHECK(strncmp(n, "LAT_", 4) == 0);
    CHECK(lat_status_message((lat_status)i)[0] != '\0');
    for (int j = 0; j < i; j++) CHECK(strcmp(n, lat_status_name((lat_status)j)));
  }
  CHECK_EQ_INT(LAT_OK, 0); /* `if (s)` tests for failure throughout */
}

TEST_IMPL(base_error_set) {
  lat_error_t e;
  lat_error_clear(&e);
  CHECK_EQ_INT(e.code, LAT_OK);
  CHECK_EQ_UINT(e.offset, SIZE_MAX);
  CHECK_EQ_STR(e.msg, "");
  CHECK_ST(lat_error_set(&e, LAT_EINVALID, 42, "type mismatch %d", 7),
           LAT_EINVALID);
  CHECK_EQ_INT(e.code, LAT_EINVALID);
  CHECK_EQ_UINT(e.offset, 42);
  CHECK_EQ_STR(e.msg, "type mismatch 7");
  /* NULL error: status still returned */
  CHECK_ST(lat_error_set(NULL, LAT_EIO, 0, "x"), LAT_EIO);
  lat_error_clear(NULL);
  /* long messages are truncated, NUL-terminated */
  char big[600];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  lat_error_set(&e, LAT_ETEXT, 1, "%s", big);
  CHECK_EQ_UINT(strlen(e.msg), sizeof e.msg - 1);
}

TEST_IMPL(base_size_overflow) {
  size_t out = 0;
  CHECK(lat_mul_size(1000, 1000, &out));
  CHECK_EQ_UINT(out, 1000000);
  CHECK(!lat_mul_size(SIZE_MAX / 2 + 1, 2, &out));
  CHECK(lat_add_size(SIZE_MAX - 1, 1, &out));
  CHECK_EQ_UINT(out, SIZE_MAX);
  CHECK(!lat_add_size(SIZE_MAX, 1, &out));
}

/* ---- reader ------------------------------------------------------------------ */

TEST_IMPL(base_read_u8_bytes) {
  static const uint8_t data[] = {1, 2, 3, 4, 5};
  lat_reader_t r = {data, data, data + sizeof data};
  lat_error_t e;
  uint8_t b;
  const uint8_t *p;
  CHECK_OK(lat_read_u8(&r, &b, &e));
  CHECK_EQ_UINT(b, 1);
  CHECK_OK(lat_read_bytes(&r, 3, &p, &e));
  CHECK_EQ_PTR(p, data + 1);
  CHECK_EQ_UINT(lat_reader_offset(&r), 4);
  CHECK_EQ_UINT(lat_reader_left(&r), 1);
  /* asking for more than is left fails and does not move */
  CHECK_ST(lat_read_bytes(&r, 2, &p, &e), LAT_EMALFORMED);
  CHECK_EQ_UINT(e.offset, 4);
  CHECK(strstr(e.msg, "unexpected end") != NULL);
  CHECK_EQ_UINT(lat_reader_offset(&r), 4);
  CHECK_ST(lat_read_bytes(&r, SIZE_MAX, &p, &e), LAT_EMALFORMED);
  CHECK_OK(lat_read_u8(&r, &b, &e));
  CHECK_EQ_UINT(b, 5);
  CHECK_ST(lat_read_u8(&r, &b, &e), LAT_EMALFORMED);
  CHECK_EQ_UINT(e.offset, 5);
  CHECK_OK(lat_read_bytes(&r, 0, &p, &e));
}

TEST_IMPL(base_leb_u32_valid) {
  LEB_OK(K_U32, "\x00", 0);
  LEB_OK(K_U32, "\x7f", 127);
  LEB_OK(K_U32, "\x80\x01", 128);
  LEB_OK(K_U32, "\xe5\x8e\x26", 624485);
  LEB_OK(K_U32, "\xff\xff\xff\xff\x0f", UINT32_MAX);
  /* non-minimal encodings are allowed up to the length limit */
  LEB_OK(K_U32, "\x80\x00", 0);
  LEB_OK(K_U32, "\x80\x80\x80\x80\x00", 0);
  LEB_OK(K_U32, "\x81\x80\x80\x80\x00", 1);
  /* reading stops at the first byte without continuation */
  uint64_t v;
  size_t used;
  CHECK_OK(read_leb(K_U32, "\x05\x06", 2, &v, &used, NULL));
  CHECK_EQ_UINT(v, 5);
  CHECK_EQ_UINT(used, 1);
}

TEST_IMPL(base_leb_u32_too_long) {
  LEB_BAD(K_U32, "\x80\x80\x80\x80\x80\x00", "too long");
  LEB_BAD(K_U32, "\xff\xff\xff\xff\xff\x0f", "too long");
  LEB_BAD(K_S32, "\x80\x80\x80\x80\x80\x00", "too long");
  LEB_BAD(K_S33, "\x80\x80\x80\x80\x80\x00", "too long");
  LEB_BAD(K_U64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", "too long");
  LEB_BAD(K_S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", "too long");
}

TEST_IMPL(base_leb_u32_too_large) {
  /* the 5th byte of a u32 may only use its low 4 bits */
  LEB_BAD(K_U32, "\xff\xff\xff\xff\x1f", "too large");
  LEB_BAD(K_U32, "\x80\x80\x80\x80\x10", "too large");
  LEB_BAD(K_U32, "\x80\x80\x80\x80\x70", "too large");
  LEB_BAD(K_U32, "\x80\x80\x80\x80\x40", "too large");
}

TEST_IMPL(base_leb_unexpected_end) {
  LEB_BAD(K_U32, "", "unexpected end");
  LEB_BAD(K_U32, "\x80", "unexpected end");
  LEB_BAD(K_U32, "\xff\xff\xff\xff", "unexpected end");
  LEB_BAD(K_S32, "\xc0", "unexpected end");
  LEB_BAD(K_S64, "\x80\x80\x80", "unexpected end");
}

TEST_IMPL(base_leb_s32) {
  LEB_OK(K_S32, "\x00", 0);
  LEB_OK(K_S32, "\x3f", 63);
  LEB_OK(K_S32, "\x40", (uint64_t)-64);
  LEB_OK(K_S32, "\x7f", (uint64_t)-1);
  LEB_OK(K_S32, "\xc0\x00", 64);
  LEB_OK(K_S32, "\xbf\x7f", (uint64_t)-65);
  LEB_OK(K_S32, "\xff\xff\xff\xff\x07", INT32_MAX);
  LEB_OK(K_S32, "\x80\x80\x80\x80\x78", (uint64_t)(int64_t)INT32_MIN);
  /* padded forms of 0 and -1 are fine */
  LEB_OK(K_S32, "\x80\x80\x80\x80\x00", 0);
  LEB_OK(K_S32, "\xff\xff\xff\xff\x7f", (uint64_t)-1);
  /* 5th byte: bits 4..6 must repeat the sign bit (bit 3) */
  LEB_BAD(K_S32, "\xff\xff\xff\xff\x0f", "too large"); /* 2^32-1 */
  LEB_BAD(K_S32, "\x80\x80\x80\x80\x70", "too large");
  LEB_BAD(K_S32, "\xff\xff\xff\xff\x4f", "too large");
  LEB_BAD(K_S32, "\x80\x80\x80\x80\x1f", "too large");
  LEB_BAD(K_S32, "\x80\x80\x80\x80\x08", "too large");
}

TEST_IMPL(base_leb_s33) {
  /* block types: -64 (0x40) is the empty type, positive = type index */
  LEB_OK(K_S33, "\x40", (uint64_t)-64);
  LEB_OK(K_S33, "\x7f", (uint64_t)-1);
  LEB_OK(K_S33, "\x05", 5);
  /* largest positive s33 that fits a type index: 2^32-1 */
  LEB_OK(K_S33, "\xff\xff\xff\xff\x0f", UINT32_MAX);
  LEB_OK(K_S33, "\x80\x80\x80\x80\x70", (UINT64_MAX << 32));
  /* 5th byte: bits 5..6 must repeat bit 4 */
  LEB_BAD(K_S33, "\xff\xff\xff\xff\x2f", "too large");
  LEB_BAD(K_S33, "\x80\x80\x80\x80\x50", "too large");
}

TEST_IMPL(base_leb_u64_s64) {
  LEB_OK(K_U64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", UINT64_MAX);
  LEB_OK(K_U64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 0);
  LEB_OK(K_U64, "\x80\x80\x80\x80\x10", UINT64_C(1) << 32);
  LEB_BAD(K_U64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", "too large");
  LEB_BAD(K_U64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7e", "too large");

  LEB_OK(K_S64, "\x7f", UINT64_MAX);
  LEB_OK(K_S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", INT64_MAX);
  LEB_OK(K_S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f",
         (uint64_t)INT64_MIN);
  LEB_OK(K_S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", UINT64_MAX);
  LEB_OK(K_S64, "\x80\x80\x80\x80\x70", (UINT64_MAX << 32));
  /* 10th byte: bits 1..6 must repeat the sign bit (bit 0) */
  LEB_BAD(K_S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "too large");
  LEB_BAD(K_S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7e", "too large");
  LEB_BAD(K_S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x41", "too large");
}

TEST_IMPL(base_leb_error_offset) {
  /* errors report the offset of the start of the number, from `base` */
  static const uint8_t data[] = {0xaa, 0xbb, 0xcc, 0x80, 0x80, 0x80,
                                 0x80, 0x80, 0x00};
  lat_reader_t r = {data, data + 3, data + sizeof data};
  lat_error_t e;
  uint32_t v;
  CHECK_ST(lat_read_u32(&r, &v, &e), LAT_EMALFORMED);
  CHECK_EQ_UINT(e.offset, 3);
  CHECK_EQ_INT(e.code, LAT_EMALFORMED);
  lat_reader_t r2 = {data, data + 3, data + 5};
  CHECK_ST(lat_read_u32(&r2, &v, &e), LAT_EMALFORMED);
  CHECK_EQ_UINT(e.offset, 3);
}

TEST_IMPL(base_leb_roundtrip) {
  static const int64_t sv[] = {0,         1,          -1,        63,
                               64,        -64,        -65,       127,
                               128,       -128,       8191,      -8192,
                               INT32_MAX, INT32_MIN,  INT64_MAX, INT64_MIN,
                               1 << 20,   -(1 << 20), 0x123456789a};
  for (size_t i = 0; i < sizeof sv / sizeof sv[0]; i++) {
    lat_buf_t b;
    lat_buf_init(&b);
    REQUIRE_OK(lat_buf_write_sleb(&b, sv[i]));
    uint64_t v;
    size_t used;
    CHECK_OK(read_leb(K_S64, (const char *)b.data, b.len, &v, &used, NULL));
    CHECK_EQ_INT((int64_t)v, sv[i]);
    CHECK_EQ_UINT(used, b.len);
    if (sv[i] >= INT32_MIN && sv[i] <= INT32_MAX) {
      CHECK(b.len <= 5);
      CHECK_OK(read_leb(K_S32, (const char *)b.data, b.len, &v, NULL, NULL));
      CHECK_EQ_INT((int64_t)v, sv[i]);
    }
    lat_buf_fini(&b);
  }
  /* unsigned: powers of two and their neighbours */
  for (int k = 0; k < 64; k++) {
    for (int d = -1; d <= 1; d++) {
      uint64_t x = (UINT64_C(1) << k) + (uint64_t)(int64_t)d;
      lat_buf_t b;
      lat_buf_init(&b);
      REQUIRE_OK(lat_buf_write_uleb(&b, x));
      uint64_t v;
      size_t used;
      CHECK_OK(read_leb(K_U64, (const char *)b.data, b.len, &v, &used, NULL));
      CHECK_EQ_UINT(v, x);
      CHECK_EQ_UINT(used, b.len);
      /* minimal length: ceil(bits/7) */
      size_t bits = 64 - (size_t)__builtin_clzll(x | 1);
      CHECK_EQ_UINT(b.len, (bits + 6) / 7);
      lat_status s = read_leb(K_U32, (const char *)b.data, b.len, &v, NULL, NULL);
      if (x <= UINT32_MAX) {
        CHECK_OK(s);
        CHECK_EQ_UINT(v, x);
      } else {
        CHECK_ST(s, LAT_EMALFORMED);
      }
      lat_buf_fini(&b);
    }
  }
}

TEST_IMPL(base_read_floats) {
  static const uint8_t data[] = {0x00, 0x00, 0x80, 0x3f, /* 1.0f */
                                 0x01, 0x00, 0xc0, 0x7f, /* NaN payload 1 */
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0,
                                 0x3f, /* 1.0 */
                                 0x01, 0x00};
  lat_reader_t r = {data, data, data + sizeof data};
  uint32_t f;
  uint64_t d;
  CHECK_OK(lat_read_f32(&r, &f, NULL));
  CHECK_EQ_UINT(f, 0x3f800000);
  CHECK_OK(lat_read_f32(&r, &f, NULL));
  CHECK_EQ_UINT(f, 0x7fc00001); /* bits preserved exactly */
  CHECK_OK(lat_read_f64(&r, &d, NULL));
  CHECK_EQ_UINT(d, UINT64_C(0x3ff0000000000000));
  lat_error_t e;
  CHECK_ST(lat_read_f32(&r, &f, &e), LAT_EMALFORMED);
  CHECK_EQ_UINT(e.offset, 16);
  CHECK_ST(lat_read_f64(&r, &d, &e), LAT_EMALFORMED);
}

/* ---- UTF-8 ------------------------------------------------------------------- */

#define UTF8(lit) lat_utf8_valid((const uint8_t *)(lit), sizeof(lit) - 1)

TEST_IMPL(base_utf8_valid) {
  CHECK(UTF8(""));
  CHECK(UTF8("hello, world"));
  CHECK(UTF8("\x00"));
  CHECK(UTF8("\x7f"));
  CHECK(UTF8("\xc2\x80"));         /* U+0080, smallest 2-byte */
  CHECK(UTF8("\xdf\xbf"));         /* U+07FF */
  CHECK(UTF8("\xe0\xa0\x80"));     /* U+0800, smallest 3-byte */
  CHECK(UTF8("\xed\x9f\xbf"));     /* U+D7FF, below the surrogates */
  CHECK(UTF8("\xee\x80\x80"));     /* U+E000, above them */
  CHECK(UTF8("\xef\xbf\xbf"));     /* U+FFFF */
  CHECK(UTF8("\xef\xbb\xbf"));     /* BOM is a scalar value */
  CHECK(UTF8("\xf0\x90\x80\x80")); /* U+10000 */
  CHECK(UTF8("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
  CHECK(UTF8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
}

TEST_IMPL(base_utf8_invalid) {
  /* overlong forms */
  CHECK(!UTF8("\xc0\x80"));
  CHECK(!UTF8("\xc1\xbf"));
  CHECK(!UTF8("\xe0\x80\x80"));
  CHECK(!UTF8("\xe0\x9f\xbf"));
  CHECK(!UTF8("\xf0\x80\x80\x80"));
  CHECK(!UTF8("\xf0\x8f\xbf\xbf"));
  /* surrogates */
  CHECK(!UTF8("\xed\xa0\x80"));
  CHECK(!UTF8("\xed\xbf\xbf"));
  CHECK(!UTF8("\xed\xa0\x80\xed\xb0\x80")); /* a CESU-8 pair */
  /* above U+10FFFF, and 5/6-byte and never-valid bytes */
  CHECK(!UTF8("\xf4\x90\x80\x80"));
  CHECK(!UTF8("\xf5\x80\x80\x80"));
  CHECK(!UTF8("\xf7\xbf\xbf\xbf"));
  CHECK(!UTF8("\xf8\x88\x80\x80\x80"));
  CHECK(!UTF8("\xfc\x84\x80\x80\x80\x80"));
  CHECK(!UTF8("\xfe"));
  CHECK(!UTF8("\xff"));
  /* lone or missing continuation bytes, truncation */
  CHECK(!UTF8("\x80"));
  CHECK(!UTF8("\xbf"));
  CHECK(!UTF8("a\x80z"));
  CHECK(!UTF8("\xc2"));
  CHECK(!UTF8("\xc2\x41"));
  CHECK(!UTF8("\xe2\x82"));
  CHECK(!UTF8("\xe2\x82\x41"));
  CHECK(!UTF8("\xf0\x9f\x98"));
  CHECK(!UTF8("\xf0\x9f\x98\x41"));
  CHECK(!UTF8("ok\xe2"));
  /* validation never reads past n: the byte after the end is ignored */
  CHECK(lat_utf8_valid((const uint8_t *)"ab\xe2\x82\xac", 2));
  CHECK(!lat_utf8_valid((const uint8_t *)"ab\xe2\x82\xac", 4));
}

TEST_IMPL(base_utf8_encode_all) {
  uint8_t out[4];
  int bad = 0;
  for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
    size_t n = lat_utf8_encode(cp, out);
    bool scalar = cp < 0xd800 || cp > 0xdfff;
    if (!scalar) {
      if (n != 0 && bad++ < 5) CHECK_EQ_UINT(n, 0);
      continue;
    }
    size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n != want && bad++ < 5) CHECK_EQ_UINT(n, want);
    if (!lat_utf8_valid(out, n) && bad++ < 5) CHECK_EQ_UINT(cp, 0);
  }
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_UINT(lat_utf8_encode(0x110000, out), 0);
  CHECK_EQ_UINT(lat_utf8_encode(UINT32_MAX, out), 0);
  CHECK_EQ_UINT(lat_utf8_encode(0x20ac, out), 3);
  CHECK_EQ_MEM(out, "\xe2\x82\xac", 3);
}

/* ---- buffers ------------------------------------------------------------------- */

TEST_IMPL(base_buf_basic) {
  lat_buf_t b;
  lat_buf_init(&b);
  CHECK_EQ_PTR(b.data, NULL);
  CHECK_EQ_UINT(b.len, 0);
  CHECK_OK(lat_buf_append(&b, NULL, 0)); /* empty append allocates nothing */
  CHECK_EQ_PTR(b.data, NULL);
  CHECK_OK(lat_buf_append(&b, "abc", 3));
  CHECK_OK(lat_buf_push(&b, 'd'));
  CHECK_EQ_UINT(b.len, 4);
  CHECK(b.cap >= 4);
  CHECK_EQ_MEM(b.data, "abcd", 4);
  /* growth keeps content */
  for (int i = 0; i < 10000; i++) REQUIRE_OK(lat_buf_push(&b, (uint8_t)i));
  CHECK_EQ_UINT(b.len, 10004);
  CHECK_EQ_MEM(b.data, "abcd", 4);
  CHECK_EQ_UINT(b.data[4 + 9999], (uint8_t)9999);
  size_t cap = b.cap;
  CHECK_OK(lat_buf_reserve(&b, b.cap - b.len)); /* fits: no realloc */
  CHECK_EQ_UINT(b.cap, cap);
  lat_buf_fini(&b);
  CHECK_EQ_PTR(b.data, NULL);
  CHECK_EQ_UINT(b.len, 0);
  lat_buf_fini(&b); /* twice is fine */
  lat_buf_fini(NULL);
}

TEST_IMPL(base_buf_printf_steal) {
  lat_buf_t b;
  lat_buf_init(&b);
  CHECK_OK(lat_buf_printf(&b, "%s=%d", "x", 42));
  CHECK_OK(lat_buf_printf(&b, ";%05u", 7u));
  CHECK_EQ_UINT(b.len, 10);
  CHECK_EQ_MEM(b.data, "x=42;00007", 10);
  CHECK_EQ_UINT(b.data[b.len], 0); /* printf leaves a NUL after len */
  /* a long one, past the initial capacity */
  char big[1000];
  memset(big, 'z', sizeof big - 1);
  big[sizeof big - 1] = 0;
  CHECK_OK(lat_buf_printf(&b, "%s", big));
  CHECK_EQ_UINT(b.len, 10 + 999);
  size_t n = 0;
  uint8_t *d = lat_buf_steal(&b, &n);
  CHECK_EQ_UINT(n, 1009);
  CHECK_EQ_PTR(b.data, NULL);
  CHECK_EQ_UINT(b.len, 0);
  CHECK_EQ_UINT(b.cap, 0);
  CHECK_EQ_UINT(d[1008], 'z');
  lat_free(d);
  /* stealing an empty buffer gives NULL, length 0 */
  d = lat_buf_steal(&b, &n);
  CHECK_EQ_PTR(d, NULL);
  CHECK_EQ_UINT(n, 0);
}

TEST_IMPL(base_buf_overflow) {
  lat_buf_t b;
  lat_buf_init(&b);
  CHECK_OK(lat_buf_push(&b, 1));
  CHECK_ST(lat_buf_reserve(&b, SIZE_MAX), LAT_ENOMEM);
  CHECK_ST(lat_buf_reserve(&b, SIZE_MAX - 1), LAT_ENOMEM);
  CHECK_EQ_UINT(b.len, 1);
  CHECK_EQ_UINT(b.data[0], 1);
  lat_buf_fini(&b);
}

TEST_IMPL(base_buf_alloc_failure) {
  lat_buf_t b;
  lat_buf_init(&b);
  test_alloc_track();
  CHECK_OK(lat_buf_append(&b, "abc", 3));
  size_t cap = b.cap;
  test_alloc_fail_after(0);
  /* a failed grow leaves the buffer as it was */
  uint8_t big[256] = {0};
  CHECK_ST(lat_buf_append(&b, big, cap + 1), LAT_ENOMEM);
  CHECK_EQ_UINT(b.len, 3);
  CHECK_EQ_UINT(b.cap, cap);
  CHECK_EQ_MEM(b.data, "abc", 3);
  CHECK_ST(lat_buf_write_uleb(&b, UINT64_MAX), cap >= 13 ? LAT_OK : LAT_ENOMEM);
  CHECK(test_alloc_failed() >= 1);
  test_alloc_fail_after(-1);
  lat_buf_fini(&b);
  CHECK_EQ_INT(test_alloc_live(), 0);
  test_alloc_untrack();
}

/* ---- allocation ------------------------------------------------------------------- */

TEST_IMPL(base_alloc_basic) {
  CHECK_EQ_PTR(lat_calloc(SIZE_MAX / 2, 3), NULL); /* overflow */
  uint8_t *p = lat_calloc(100, 4);
  REQUIRE(p != NULL);
  for (int i = 0; i < 400; i++) CHECK_EQ_UINT(p[i], 0);
  lat_free(p);
  lat_free(NULL);
  p = lat_malloc(0); /* never NULL on success */
  CHECK(p != NULL);
  p = lat_realloc(p, 10);
  CHECK(p != NULL);
  lat_free(p);
  char *s = lat_strndup("hello world", 5);
  CHECK_EQ_STR(s, "hello");
  lat_free(s);
  /* tracking counts and hooks route every allocation */
  test_alloc_track();
  void *a = lat_malloc(8), *b = lat_calloc(2, 8);
  CHECK_EQ_INT(test_alloc_live(), 2);
  a = lat_realloc(a, 64);
  CHECK_EQ_INT(test_alloc_live(), 2);
  lat_free(a);
  lat_free(b);
  CHECK_EQ_INT(test_alloc_live(), 0);
  test_alloc_fail_after(1);
  a = lat_malloc(1);
  CHECK(a != NULL);
  CHECK_EQ_PTR(lat_malloc(1), NULL);
  CHECK_EQ_PTR(lat_strndup("x", 1), NULL);
  CHECK_EQ_INT(test_alloc_failed(), 2);
  lat_free(a);
  test_alloc_untrack();
}

/* Builds a buffer and an arena, frees both; every failure path must leak
 * nothing (checked by the sweep). */
static lat_status sweep_body(void *ctx) {
  (void)ctx;
  lat_status s = LAT_OK;
  lat_buf_t b;
  lat_arena_t a;
  lat_buf_init(&b);
  lat_arena_init(&a);
  for (int i = 0; i < 50 && !s; i++) s = lat_buf_printf(&b, "line %d\n", i);
  for (int i = 0; i < 20 && !s; i++)
    if (!lat_arena_alloc(&a, 1000)) s = LAT_ENOMEM;
  char *d = NULL;
  if (!s && !(d = lat_strndup((const char *)b.data, b.len))) s = LAT_ENOMEM;
  lat_free(d);
  lat_arena_fini(&a);
  lat_buf_fini(&b);
  return s;
}

TEST_IMPL(base_alloc_sweep) {
  int runs = CHECK_ALLOC_SWEEP(sweep_body, NULL);
  CHECK(runs > 3);
}

/* ---- arena --------------------------------------------------------------------------- */

TEST_IMPL(base_arena_basic) {
  lat_arena_t a;
  lat_arena_init(&a);
  uint8_t *prev = NULL;
  for (size_t i = 1; i < 2000; i++) {
    uint8_t *p = lat_arena_alloc(&a, i % 37);
    REQUIRE(p != NULL);
    CHECK_EQ_UINT((uintptr_t)p % 16, 0);
    for (size_t k = 0; k < i % 37; k++)
      if (p[k]) CHECK_EQ_UINT(p[k], 0);
    memset(p, 0xab, i % 37);
    CHECK(p != prev);
    prev = p;
  }
  CHECK(a.total >= 1999 * 16);
  uint32_t *arr = lat_arena_array(&a, 1000, sizeof(uint32_t));
  REQUIRE(arr != NULL);
  for (int i = 0; i < 1000; i++) CHECK_EQ_UINT(arr[i], 0);
  lat_arena_fini(&a);
  CHECK_EQ_PTR(a.head, NULL);
  lat_arena_fini(&a);
  lat_arena_fini(NULL);
}

TEST_IMPL(base_arena_large) {
  lat_arena_t a;
  lat_arena_init(&a);
  test_alloc_track();
  uint8_t *small1 = lat_arena_alloc(&a, 100);
  REQUIRE(small1 != NULL);
  memset(small1, 1, 100);
  /* bigger than a chunk: its own block, and small ones still work after */
  uint8_t *big = lat_arena_alloc(&a, 3u << 20);
  REQUIRE(big != NULL);
  CHECK_EQ_UINT((uintptr_t)big % 16, 0);
  CHECK_EQ_UINT(big[(3u << 20) - 1], 0);
  memset(big, 2, 3u << 20);
  uint8_t *small2 = lat_arena_alloc(&a, 100);
  REQUIRE(small2 != NULL);
  CHECK_EQ_UINT(small2[0], 0);
  CHECK_EQ_UINT(small1[99], 1);
  CHECK(test_alloc_live() >= 2);
  lat_arena_fini(&a);
  CHECK_EQ_INT(test_alloc_live(), 0);
  test_alloc_untrack();
}

TEST_IMPL(base_arena_overflow) {
  lat_arena_t a;
  lat_arena_init(&a);
  CHECK_EQ_PTR(lat_arena_alloc(&a, SIZE_MAX), NULL);
  CHECK_EQ_PTR(lat_arena_alloc(&a, SIZE_MAX - 15), NULL);
  CHECK_EQ_PTR(lat_arena_array(&a, SIZE_MAX / 8 + 1, 16), NULL);
  CHECK_EQ_PTR(lat_arena_array(&a, (size_t)1 << 62, (size_t)1 << 3), NULL);
  /* and out of memory */
  test_alloc_track();
  test_alloc_fail_after(0);
  CHECK_EQ_PTR(lat_arena_alloc(&a, 10), NULL);
  test_alloc_fail_after(-1);
  CHECK(lat_arena_alloc(&a, 10) != NULL);
  lat_arena_fini(&a);
  CHECK_EQ_INT(test_alloc_live(), 0);
  test_alloc_untrack();
}

/* ---- files and time ---------------------------------------------------------------- */

TEST_IMPL(base_file_read) {
  char path[] = "/tmp/lattice-test-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  /* more than one 64 KiB read, with NULs inside */
  size_t n = 200000;
  uint8_t *want = malloc(n);
  REQUIRE(want != NULL);
  for (size_t i = 0; i < n; i++) want[i] = (uint8_t)(i * 7);
  REQUIRE(write(fd, want, n) == (ssize_t)n);
  close(fd);
  uint8_t *got = NULL;
  size_t len = 0;
  lat_error_t e;
  CHECK_OK(lat_file_read(path, &got, &len, &e));
  CHECK_EQ_UINT(len, n);
  if (got && len == n) {
    CHECK_EQ_MEM(got, want, n);
    CHECK_EQ_UINT(got[n], 0);
  }
  lat_free(got);
  free(want);
  /* empty file */
  fd = open(path, O_WRONLY | O_TRUNC);
  close(fd);
  CHECK_OK(lat_file_read(path, &got, &len, &e));
  CHECK_EQ_UINT(len, 0);
  CHECK(got != NULL);
  if (got) CHECK_EQ_UINT(got[0], 0);
  lat_free(got);
  unlink(path);
  /* missing */
  got = NULL;
  CHECK_ST(lat_file_read(path, &got, &len, &e), LAT_EIO);
  CHECK_EQ_INT(e.code, LAT_EIO);
  CHECK(strstr(e.msg, path) != NULL);
  CHECK_EQ_PTR(got, NULL);
}

TEST_IMPL(base_time_monotonic) {
  uint64_t a = lat_now_ns();
  uint64_t c = lat_now_coarse_ns();
  usleep(2000);
  uint64_t b = lat_now_ns();
  CHECK(b >= a + 2000000);
  CHECK(lat_now_coarse_ns() >= c);
  CHECK(a > 0);
}
