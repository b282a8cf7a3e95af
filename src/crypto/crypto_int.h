/* crypto_int.h: helpers shared by the crypto files, not for other
 * subsystems.  Encodings (crypto_encode.c) and the wasm section walker
 * (crypto_wasm.c). */
#ifndef LAT_CRYPTO_INT_H
#define LAT_CRYPTO_INT_H

#include "crypto.h"

/* Calls sodium_init once per process (libsodium's own guard); false when
 * libsodium cannot start, which callers turn into LAT_EUNSUPPORTED. */
bool lat__crypto_ready(void);

/* Sets *out_reason when out_reason is non-NULL. */
static inline void lat__crypto_reason(lat_crypto_reason *out_reason,
                                      lat_crypto_reason r) {
  if (out_reason) *out_reason = r;
}

/* A refusal: sets *out_reason (if non-NULL) to r and err to (code, off,
 * message), and returns code. */
lat_status lat__crypto_fail(lat_crypto_reason *out_reason, lat_crypto_reason r,
                            lat_error_t *err, lat_status code, size_t off,
                            const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* ---- crc16 (XMODEM), base32 (RFC 4648, no padding), base64url ------------- */

uint16_t lat__crypto_crc16(const uint8_t *p, size_t n);

/* Encoded length of n bytes, without padding. */
size_t lat__crypto_b32_enc_len(size_t n);
/* Writes lat__crypto_b32_enc_len(n) characters (no NUL). */
void lat__crypto_b32_encode(const uint8_t *in, size_t n, char *out);
/* Strict decode: A-Z2-7 only, no padding, no impossible lengths, unused
 * trailing bits zero.  out has room for cap bytes.  Returns false on any
 * violation or if the result does not fit. */
bool lat__crypto_b32_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                            size_t *out_len);

size_t lat__crypto_b64url_enc_len(size_t n);
void lat__crypto_b64url_encode(const uint8_t *in, size_t n, char *out);
/* Strict decode of base64url without padding (unused bits zero).  Returns
 * false and the offending index in *bad_at on failure. */
bool lat__crypto_b64url_decode(const char *in, size_t n, uint8_t *out,
                               size_t cap, size_t *out_len, size_t *bad_at);
static inline size_t lat__crypto_b64url_dec_cap(size_t n) {
  return n / 4 * 3 + 3;
}

/* Uppercase hex SHA-256 of data, NUL-terminated. */
void lat__crypto_sha256_hex(const uint8_t *data, size_t n, char out[65]);

/* ---- wasm sections ----------------------------------------------------------
 * A bounds-checked walk over the section structure only (header, section
 * ids and sizes, custom section names, nested modules and components); the
 * section contents are never interpreted. */

#define LAT_CRYPTO_WASM_MAX_DEPTH 32 /* nesting of components and modules */

typedef struct {
  size_t claims_count;    /* claims sections at the top level */
  size_t nested_claims;   /* claims sections inside nested units (stripped) */
  size_t token_off;       /* payload of the first top-level claims section */
  size_t token_len;
  size_t claims_offset;   /* byte offset of that section (its id byte) */
  bool claims_last;       /* the last top-level claims section ends the binary */
  bool component;         /* the top level is a component */
} lat__crypto_wasm_scan_t;

/* Walks a module or component.  Appends the binary without any claims
 * section (recursively, re-encoding sizes minimally as wasm-encoder does) to
 * out when out is non-NULL, and fills scan.  LAT_EMALFORMED with the offset
 * when the structure is broken. */
lat_status lat__crypto_wasm_strip(const uint8_t *data, size_t len,
                                  lat_buf_t *out, lat__crypto_wasm_scan_t *scan,
                                  lat_error_t *err);
/* Appends a custom section (id 0) named name with data. */
lat_status lat__crypto_wasm_append_custom(lat_buf_t *b, const char *name,
                                          const void *data, size_t len);

#endif
