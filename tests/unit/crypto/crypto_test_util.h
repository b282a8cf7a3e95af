/* Helpers for the crypto unit tests: tokens assembled by hand (so a test
 * can sign a header or claims that lat_jwt_encode would refuse to make), and
 * small wasm binaries built section by section, so every test input is
 * readable in the source (no committed binaries) and tests can shape what
 * wat2wasm never emits: padded LEB sizes, nested components, claims
 * sections in odd places. */
#ifndef LAT_CRYPTO_TEST_UTIL_H
#define LAT_CRYPTO_TEST_UTIL_H

#include <string.h>

#include "crypto/crypto.h"
#include "crypto/crypto_int.h"
#include "test.h"

/* b64(header).b64(claims).b64(sig over the first two), sig_len bytes of
 * signature (64 normally; 63/65 to test the length check).  Returns new. */
static inline char *tu_token(const char *header, const char *claims,
                             const lat_nkey_t *key, size_t sig_len) {
  size_t hl = strlen(header), cl = strlen(claims);
  size_t he = lat__crypto_b64url_enc_len(hl), ce = lat__crypto_b64url_enc_len(cl);
  char *t = lat_malloc(he + ce + 200);
  lat__crypto_b64url_encode((const uint8_t *)header, hl, t);
  t[he] = '.';
  lat__crypto_b64url_encode((const uint8_t *)claims, cl, t + he + 1);
  t[he + 1 + ce] = '.';
  uint8_t sig[80] = {0};
  lat_nkey_sign(key, t, he + 1 + ce, sig, NULL);
  lat__crypto_b64url_encode(sig, sig_len, t + he + ce + 2);
  t[he + ce + 2 + lat__crypto_b64url_enc_len(sig_len)] = '\0';
  return t;
}

#define TU_WASCAP_HDR "{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}"

static inline void tu_pub(const lat_nkey_t *k, char out[57]) {
  lat_nkey_public_string(k, out);
}

/* ---- wasm building ------------------------------------------------------------ */

static inline void tu_module_header(lat_buf_t *b) {
  lat_buf_append(b, "\0asm\1\0\0\0", 8);
}
static inline void tu_component_header(lat_buf_t *b) {
  lat_buf_append(b, "\0asm\x0d\0\1\0", 8);
}
static inline void tu_section(lat_buf_t *b, uint8_t id, const void *p, size_t n) {
  lat_buf_push(b, id);
  lat_buf_write_uleb(b, n);
  lat_buf_append(b, p, n);
}
static inline void tu_custom(lat_buf_t *b, const char *name, const void *p,
                             size_t n) {
  lat__crypto_wasm_append_custom(b, name, p, n);
}

/* A valid module: (func i32.const 42 drop), plus a "name"-like custom
 * section.  code_byte is the i32.const immediate (tests flip it). */
static inline void tu_module(lat_buf_t *b, uint8_t code_byte) {
  static const uint8_t type[] = {0x01, 0x60, 0x00, 0x00};
  static const uint8_t func[] = {0x01, 0x00};
  uint8_t code[] = {0x01, 0x05, 0x00, 0x41, code_byte, 0x1a, 0x0b};
  tu_module_header(b);
  tu_section(b, 1, type, sizeof type);
  tu_section(b, 3, func, sizeof func);
  tu_section(b, 10, code, sizeof code);
  tu_custom(b, "producers", "\0", 1);
}

/* A component holding: a core module (with a nested `jwt` claims section
 * when nested_claims), a custom section, and a nested component holding
 * another core module (with a `wasmcloud_jwt` section when nested_claims). */
static inline void tu_component(lat_buf_t *b, bool nested_claims) {
  lat_buf_t m1, m2, inner;
  lat_buf_init(&m1);
  lat_buf_init(&m2);
  lat_buf_init(&inner);
  tu_module(&m1, 42);
  if (nested_claims) tu_custom(&m1, "jwt", "old.token.here", 14);
  tu_module(&m2, 7);
  if (nested_claims) tu_custom(&m2, "wasmcloud_jwt", "a.b.c", 5);
  tu_component_header(&inner);
  tu_section(&inner, 1, m2.data, m2.len);
  tu_component_header(b);
  tu_section(b, 1, m1.data, m1.len);
  tu_custom(b, "component-type", "xyz", 3);
  tu_section(b, 4, inner.data, inner.len);
  lat_buf_fini(&m1);
  lat_buf_fini(&m2);
  lat_buf_fini(&inner);
}

#endif
