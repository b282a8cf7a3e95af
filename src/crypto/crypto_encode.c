/* Text encodings the key and token formats use: CRC16/XMODEM, base32
 * (RFC 4648 alphabet, no padding) for nkeys, base64url without padding for
 * JWT segments, and uppercase hex SHA-256 for wascap hashes.
 *
 * Decoders are strict on purpose: only the canonical encoding of a value is
 * accepted (no padding, no lowercase base32, no non-zero unused bits, no
 * impossible lengths), so every accepted string re-encodes to itself and two
 * different strings never name the same key or signature.  libsodium's
 * sodium_base642bin would do base64url, but it tolerates characters we want
 * to reject and reports no position, so a 40-line decoder is kept here.
 * Reason strings and sodium_init also live here: the few bits every other
 * crypto file needs. */
#include <sodium.h>
#include <stdarg.h>
#include <string.h>

#include "crypto_int.h"

static const char *const reason_names[] = {
#define LAT_X_NAME(code, msg) #code,
    LAT_CRYPTO_REASON_LIST(LAT_X_NAME)
#undef LAT_X_NAME
};
static const char *const reason_msgs[] = {
#define LAT_X_MSG(code, msg) msg,
    LAT_CRYPTO_REASON_LIST(LAT_X_MSG)
#undef LAT_X_MSG
};

const char *lat_crypto_reason_name(lat_crypto_reason r) {
  return (unsigned)r < LAT_CR_COUNT ? reason_names[r] : "LAT_CR_?";
}

const char *lat_crypto_reason_message(lat_crypto_reason r) {
  return (unsigned)r < LAT_CR_COUNT ? reason_msgs[r] : "unknown reason";
}

bool lat__crypto_ready(void) { return sodium_init() >= 0; }

/* ---- CRC16/XMODEM: poly 0x1021, init 0, no reflection ----------------------- */

uint16_t lat__crypto_crc16(const uint8_t *p, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; i++) {
    crc ^= (uint16_t)(p[i] << 8);
    for (int b = 0; b < 8; b++)
      crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  }
  return crc;
}

/* ---- base32 ------------------------------------------------------------------ */

static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t lat__crypto_b32_enc_len(size_t n) { return (n * 8 + 4) / 5; }

void lat__crypto_b32_encode(const uint8_t *in, size_t n, char *out) {
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    acc = (acc << 8) | in[i];
    bits += 8;
    while (bits >= 5) {
      out[o++] = b32_alpha[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out[o++] = b32_alpha[(acc << (5 - bits)) & 31];
}

static int b32_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool lat__crypto_b32_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                            size_t *out_len) {
  /* 1, 3 and 6 characters past a multiple of 8 cannot end an encoding */
  size_t rem = n % 8;
  if (rem == 1 || rem == 3 || rem == 6) return false;
  if (n * 5 / 8 > cap) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b32_val(in[i]);
    if (v < 0) return false;
    acc = ((acc << 5) | (uint32_t)v) & 0xfff; /* at most 12 live bits */
    bits += 5;
    if (bits >= 8) {
      out[o++] = (uint8_t)(acc >> (bits - 8));
      bits -= 8;
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1))) return false; /* non-canonical */
  *out_len = o;
  return true;
}

/* ---- base64url ------------------------------------------------------------------ */

static const char b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t lat__crypto_b64url_enc_len(size_t n) { return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0); }

void lat__crypto_b64url_encode(const uint8_t *in, size_t n, char *out) {
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = b64_alpha[v >> 18];
    out[o++] = b64_alpha[(v >> 12) & 63];
    out[o++] = b64_alpha[(v >> 6) & 63];
    out[o++] = b64_alpha[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = b64_alpha[v >> 18];
    out[o++] = b64_alpha[(v >> 12) & 63];
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = b64_alpha[v >> 18];
    out[o++] = b64_alpha[(v >> 12) & 63];
    out[o++] = b64_alpha[(v >> 6) & 63];
  }
}

static int b64_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool lat__crypto_b64url_decode(const char *in, size_t n, uint8_t *out,
                               size_t cap, size_t *out_len, size_t *bad_at) {
  *bad_at = n;
  if (n % 4 == 1) return false; /* 6 bits cannot end an encoding */
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_val(in[i]);
    if (v < 0) {
      *bad_at = i;
      return false;
    }
    acc = ((acc << 6) | (uint32_t)v) & 0x3fff; /* at most 14 live bits */
    bits += 6;
    if (bits >= 8) {
      if (o >= cap) return false;
      out[o++] = (uint8_t)(acc >> (bits - 8));
      bits -= 8;
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1))) {
    *bad_at = n - 1;
    return false;
  }
  *out_len = o;
  return true;
}

/* ---- hex SHA-256 -------------------------------------------------------------------- */

void lat__crypto_sha256_hex(const uint8_t *data, size_t n, char out[65]) {
  static const char hex[] = "0123456789ABCDEF";
  uint8_t d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, data, n);
  for (size_t i = 0; i < sizeof d; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[64] = '\0';
}

lat_status lat__crypto_fail(lat_crypto_reason *out_reason, lat_crypto_reason r,
                            lat_error_t *err, lat_status code, size_t off,
                            const char *fmt, ...) {
  lat__crypto_reason(out_reason, r);
  va_list ap;
  va_start(ap, fmt);
  lat_error_vset(err, code, off, fmt, ap);
  va_end(ap);
  return code;
}
