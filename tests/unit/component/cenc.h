/* cenc.h: a tiny component-binary encoder for the component unit tests.
 *
 * Tests write small components byte by byte, with their text form in a
 * comment next to them: B() raw bytes, U() a u32 LEB, N() a name, EN() an
 * extern name, SEC() a section (count + body; the body buffer is emptied
 * so it can be reused for the next section), and CORE() a core module
 * section from WAT text (lat_wat_to_wasm), so core modules need no
 * hand-written bytes. */
#ifndef LAT_TEST_CENC_H
#define LAT_TEST_CENC_H

#include <stdarg.h>
#include <string.h>

#include "base/base.h"
#include "wasm/wasm.h"

static inline void B(lat_buf_t *b, int n, ...) {
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) lat_buf_push(b, (uint8_t)va_arg(ap, int));
  va_end(ap);
}
static inline void U(lat_buf_t *b, uint32_t v) { lat_buf_write_uleb(b, v); }
static inline void N(lat_buf_t *b, const char *s) {
  U(b, (uint32_t)strlen(s));
  lat_buf_append(b, s, strlen(s));
}
/* extern name (0x00 form) */
static inline void EN(lat_buf_t *b, const char *s) {
  B(b, 1, 0x00);
  N(b, s);
}
static inline void preamble(lat_buf_t *b) { lat_buf_append(b, "\0asm\x0d\0\x01\0", 8); }
/* Appends section `id` with `count` items from body (no count when
 * count < 0), and empties body. */
static inline void SEC(lat_buf_t *out, uint8_t id, int count, lat_buf_t *body) {
  lat_buf_t s;
  lat_buf_init(&s);
  if (count >= 0) U(&s, (uint32_t)count);
  lat_buf_append(&s, body->data, body->len);
  B(out, 1, id);
  U(out, (uint32_t)s.len);
  lat_buf_append(out, s.data, s.len);
  lat_buf_fini(&s);
  body->len = 0;
}
/* Appends a core module section holding the module written as WAT. */
static inline lat_status CORE(lat_buf_t *out, const char *wat) {
  lat_buf_t m;
  lat_buf_init(&m);
  lat_status st = lat_wat_to_wasm(wat, strlen(wat), &m, NULL);
  if (!st) SEC(out, 1, -1, &m);
  lat_buf_fini(&m);
  return st;
}

#endif
