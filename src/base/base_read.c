/* Bounds-checked reading of untrusted bytes: LEB128 per the WebAssembly
 * binary format (length limits and unused-bit rules are errors, as the spec's
 * binary-leb128.wast requires), little-endian floats, UTF-8 validation,
 * whole-file reads and monotonic time. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base.h"

lat_status lat_read_u8(lat_reader_t *r, uint8_t *out, lat_error_t *err) {
  if (r->p >= r->end)
    return lat_error_set(err, LAT_EMALFORMED, lat_reader_offset(r),
                         "unexpected end");
  *out = *r->p++;
  return LAT_OK;
}

lat_status lat_read_bytes(lat_reader_t *r, size_t n, const uint8_t **out,
                          lat_error_t *err) {
  if (lat_reader_left(r) < n)
    return lat_error_set(err, LAT_EMALFORMED, lat_reader_offset(r),
                         "unexpected end");
  *out = r->p;
  r->p += n;
  return LAT_OK;
}

/* Reads an LEB128 of at most `bits` significant bits. */
static lat_status read_leb(lat_reader_t *r, unsigned bits, bool is_signed,
                           uint64_t *out, lat_error_t *err) {
  uint64_t result = 0;
  unsigned shift = 0;
  size_t start = lat_reader_offset(r);
  unsigned max_bytes = (bits + 6) / 7;
  for (unsigned i = 0;; i++) {
    if (r->p >= r->end)
      return lat_error_set(err, LAT_EMALFORMED, start,
                           "unexpected end (LEB128)");
    uint8_t byte = *r->p++;
    if (i == max_bytes - 1) {
      /* last permitted byte: no continuation, unused bits must be clean */
      if (byte & 0x80)
        return lat_error_set(err, LAT_EMALFORMED, start,
                             "integer representation too long");
      unsigned used = bits - shift; /* significant bits in this byte */
      if (used < 7) {
        uint8_t extra = (uint8_t)(byte & 0x7f) >> used;
        if (is_signed) {
          bool neg = (byte >> (used - 1)) & 1;
          uint8_t want = neg ? (uint8_t)(0x7f >> used) : 0;
          if (extra != want)
            return lat_error_set(err, LAT_EMALFORMED, start,
                                 "integer too large");
        } else if (extra) {
          return lat_error_set(err, LAT_EMALFORMED, start,
                               "integer too large");
        }
      }
    }
    result |= (uint64_t)(byte & 0x7f) << shift;
    shift += 7;
    if (!(byte & 0x80)) {
      if (is_signed && shift < 64 && (byte & 0x40))
        result |= ~(uint64_t)0 << shift;
      break;
    }
  }
  *out = result;
  return LAT_OK;
}

lat_status lat_read_u32(lat_reader_t *r, uint32_t *out, lat_error_t *err) {
  uint64_t v;
  lat_status s = read_leb(r, 32, false, &v, err);
  if (!s) *out = (uint32_t)v;
  return s;
}

lat_status lat_read_s32(lat_reader_t *r, int32_t *out, lat_error_t *err) {
  uint64_t v;
  lat_status s = read_leb(r, 32, true, &v, err);
  if (!s) *out = (int32_t)(uint32_t)v;
  return s;
}

lat_status lat_read_s33(lat_reader_t *r, int64_t *out, lat_error_t *err) {
  uint64_t v;
  lat_status s = read_leb(r, 33, true, &v, err);
  if (!s) *out = (int64_t)v;
  return s;
}

lat_status lat_read_u64(lat_reader_t *r, uint64_t *out, lat_error_t *err) {
  return read_leb(r, 64, false, out, err);
}

lat_status lat_read_s64(lat_reader_t *r, int64_t *out, lat_error_t *err) {
  uint64_t v;
  lat_status s = read_leb(r, 64, true, &v, err);
  if (!s) *out = (int64_t)v;
  return s;
}

lat_status lat_read_f32(lat_reader_t *r, uint32_t *out_bits,
                        lat_error_t *err) {
  const uint8_t *p = NULL;
  lat_status s = lat_read_bytes(r, 4, &p, err);
  if (s) return s;
  *out_bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
              (uint32_t)p[3] << 24;
  return LAT_OK;
}

lat_status lat_read_f64(lat_reader_t *r, uint64_t *out_bits,
                        lat_error_t *err) {
  const uint8_t *p = NULL;
  lat_status s = lat_read_bytes(r, 8, &p, err);
  if (s) return s;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  *out_bits = v;
  return LAT_OK;
}

bool lat_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

size_t lat_utf8_encode(uint32_t cp, uint8_t out[4]) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xc0 | cp >> 6);
    out[1] = (uint8_t)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xe0 | cp >> 12);
    out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (uint8_t)(0x80 | (cp & 0x3f));
    return 3;
  }
  if (cp > 0x10ffff) return 0;
  out[0] = (uint8_t)(0xf0 | cp >> 18);
  out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (uint8_t)(0x80 | (cp & 0x3f));
  return 4;
}

uint64_t lat_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lat_now_coarse_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

lat_status lat_file_read(const char *path, uint8_t **out_data, size_t *out_len,
                         lat_error_t *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot open %s: %s", path,
                         strerror(errno));
  lat_buf_t b;
  lat_buf_init(&b);
  lat_status s = LAT_OK;
  for (;;) {
    if ((s = lat_buf_reserve(&b, 65536))) break;
    size_t n = fread(b.data + b.len, 1, b.cap - b.len - 1, f);
    b.len += n;
    if (n == 0) break;
  }
  if (!s && ferror(f))
    s = lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot read %s: %s", path,
                      strerror(errno));
  fclose(f);
  if (!s) s = lat_buf_reserve(&b, 1);
  if (s) {
    if (s == LAT_ENOMEM) lat_error_set(err, s, SIZE_MAX, "out of memory reading %s", path);
    lat_buf_fini(&b);
    return s;
  }
  b.data[b.len] = '\0';
  *out_data = lat_buf_steal(&b, out_len);
  return LAT_OK;
}

int lat_mkdir_p(const char *path) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, 0700) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}
