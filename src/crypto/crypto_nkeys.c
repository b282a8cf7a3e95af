/* nkeys: Ed25519 and X25519 key pairs in the text form NATS and wascap use
 * (PROTOCOL.md §7.1).
 *
 *   public: base32(prefix ‖ key[32] ‖ crc16_le)             56 characters
 *   seed:   base32(0x90|type>>5, (type&31)<<3 ‖ seed[32] ‖ crc16_le)  58
 *
 * A lat_nkey_t keeps the raw seed and, for signing types, libsodium's
 * expanded secret key, so signing never re-derives it.  Curve (X) keys hold
 * the X25519 private scalar as their "seed", as Go and Rust nkeys do; they
 * seal and open (crypto_xkeys.c) but never sign.
 *
 * Decoding checks, in order: length (56 or 58 exactly), alphabet and
 * canonical base32, CRC, then the prefix; each failure has its own message
 * so a user can tell a typo (CRC) from the wrong kind of key (prefix).
 * Rejected: accepting lowercase or whitespace-padded input here (the CLI
 * trims files before calling), and the 64-byte "P" private-key form, which
 * no wasmCloud component uses. */
#include <ctype.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "crypto_int.h"

#define PREFIX_SEED 144 /* 18 << 3: renders as 'S' */

static const struct {
  lat_nkey_type type;
  const char *name;
  char letter;
} types[] = {
    {LAT_NKEY_ACCOUNT, "account", 'A'}, {LAT_NKEY_CLUSTER, "cluster", 'C'},
    {LAT_NKEY_MODULE, "module", 'M'},   {LAT_NKEY_SERVER, "server", 'N'},
    {LAT_NKEY_OPERATOR, "operator", 'O'}, {LAT_NKEY_USER, "user", 'U'},
    {LAT_NKEY_SERVICE, "service", 'V'}, {LAT_NKEY_CURVE, "curve", 'X'},
};
#define NTYPES (sizeof types / sizeof types[0])

const char *lat_nkey_type_name(lat_nkey_type t) {
  for (size_t i = 0; i < NTYPES; i++)
    if (types[i].type == t) return types[i].name;
  return "unknown";
}

char lat_nkey_type_letter(lat_nkey_type t) {
  for (size_t i = 0; i < NTYPES; i++)
    if (types[i].type == t) return types[i].letter;
  return '?';
}

bool lat_nkey_type_valid(int prefix) {
  for (size_t i = 0; i < NTYPES; i++)
    if ((int)types[i].type == prefix) return true;
  return false;
}

bool lat_nkey_type_parse(const char *name, lat_nkey_type *out) {
  static const struct {
    const char *alias;
    lat_nkey_type type;
  } aliases[] = {{"component", LAT_NKEY_MODULE},
                 {"provider", LAT_NKEY_SERVICE},
                 {"host", LAT_NKEY_SERVER},
                 {"x25519", LAT_NKEY_CURVE}};
  if (!name) return false;
  for (size_t i = 0; i < NTYPES; i++)
    if (!strcasecmp(name, types[i].name)) {
      *out = types[i].type;
      return true;
    }
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (!strcasecmp(name, aliases[i].alias)) {
      *out = aliases[i].type;
      return true;
    }
  return false;
}

void lat_nkey_fini(lat_nkey_t *k) {
  if (k) sodium_memzero(k, sizeof *k);
}

/* ---- construction ------------------------------------------------------------ */

lat_status lat_nkey_from_raw_seed(lat_nkey_type t, const uint8_t seed[32],
                                  lat_nkey_t *out, lat_error_t *err) {
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "libsodium failed to initialise");
  if (!lat_nkey_type_valid((int)t))
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "invalid nkey type %d", (int)t);
  memset(out, 0, sizeof *out);
  out->type = t;
  out->has_seed = true;
  memcpy(out->seed, seed, 32);
  if (t == LAT_NKEY_CURVE) {
    if (crypto_scalarmult_base(out->public_key, out->seed) != 0) {
      lat_nkey_fini(out);
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                           "curve seed gives a degenerate public key");
    }
  } else {
    crypto_sign_seed_keypair(out->public_key, out->secret, out->seed);
  }
  return LAT_OK;
}

lat_status lat_nkey_generate(lat_nkey_type t, lat_nkey_t *out, lat_error_t *err) {
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "libsodium failed to initialise");
  uint8_t seed[32];
  randombytes_buf(seed, sizeof seed);
  lat_status s = lat_nkey_from_raw_seed(t, seed, out, err);
  sodium_memzero(seed, sizeof seed);
  return s;
}

/* ---- encoding ---------------------------------------------------------------------- */

static void encode_raw(const uint8_t *raw, size_t n, char *out) {
  uint8_t buf[36];
  memcpy(buf, raw, n);
  uint16_t crc = lat__crypto_crc16(buf, n);
  buf[n] = (uint8_t)(crc & 0xff);
  buf[n + 1] = (uint8_t)(crc >> 8);
  lat__crypto_b32_encode(buf, n + 2, out);
  out[lat__crypto_b32_enc_len(n + 2)] = '\0';
  sodium_memzero(buf, sizeof buf);
}

void lat_nkey_encode_public(lat_nkey_type t, const uint8_t key[32],
                            char out[LAT_NKEY_PUBLIC_LEN + 1]) {
  uint8_t raw[33];
  raw[0] = (uint8_t)t;
  memcpy(raw + 1, key, 32);
  encode_raw(raw, sizeof raw, out);
}

void lat_nkey_encode_seed(lat_nkey_type t, const uint8_t seed[32],
                          char out[LAT_NKEY_SEED_LEN + 1]) {
  uint8_t raw[34];
  raw[0] = (uint8_t)(PREFIX_SEED | ((unsigned)t >> 5));
  raw[1] = (uint8_t)(((unsigned)t & 31) << 3);
  memcpy(raw + 2, seed, 32);
  encode_raw(raw, sizeof raw, out);
  sodium_memzero(raw, sizeof raw);
}

void lat_nkey_public_string(const lat_nkey_t *k,
                            char out[LAT_NKEY_PUBLIC_LEN + 1]) {
  lat_nkey_encode_public(k->type, k->public_key, out);
}

lat_status lat_nkey_seed_string(const lat_nkey_t *k,
                                char out[LAT_NKEY_SEED_LEN + 1],
                                lat_error_t *err) {
  if (!k->has_seed)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "this %s key has no seed (public key only)",
                         lat_nkey_type_name(k->type));
  lat_nkey_encode_seed(k->type, k->seed, out);
  return LAT_OK;
}

/* ---- decoding ------------------------------------------------------------------------ */

/* Base32 and CRC of an encoded key of exactly `want` characters into raw
 * (want*5/8 bytes, CRC included). */
static lat_status decode_raw(const char *s, size_t len, size_t want,
                             const char *what, uint8_t *raw, size_t raw_cap,
                             lat_error_t *err) {
  if (!s || len != want)
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "%s must be %zu characters, not %zu", what, want,
                         s ? len : 0);
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    if (!(isupper((unsigned char)s[i]) || (s[i] >= '2' && s[i] <= '7')))
      return lat_error_set(err, LAT_EMALFORMED, i,
                           "%s has a character outside base32 (A-Z, 2-7) at "
                           "position %zu",
                           what, i);
  if (!lat__crypto_b32_decode(s, len, raw, raw_cap, &n) || n < 3)
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "%s is not canonical base32", what);
  uint16_t got = (uint16_t)(raw[n - 2] | raw[n - 1] << 8);
  uint16_t want_crc = lat__crypto_crc16(raw, n - 2);
  if (got != want_crc)
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "%s has a bad checksum (CRC16 0x%04x, expected "
                         "0x%04x): mistyped or damaged",
                         what, got, want_crc);
  return LAT_OK;
}

lat_status lat_nkey_decode_public(const char *s, size_t len,
                                  lat_nkey_type *out_type, uint8_t out_key[32],
                                  lat_error_t *err) {
  uint8_t raw[36];
  lat_status st = decode_raw(s, len, LAT_NKEY_PUBLIC_LEN, "public nkey", raw,
                             sizeof raw, err);
  if (st) return st;
  if (raw[0] == PREFIX_SEED || (raw[0] & 0xf8) == PREFIX_SEED)
    return lat_error_set(err, LAT_EMALFORMED, 0,
                         "this is a seed, not a public key");
  if (!lat_nkey_type_valid(raw[0]))
    return lat_error_set(err, LAT_EMALFORMED, 0,
                         "public nkey has an unknown prefix byte %u ('%c')",
                         raw[0], s[0]);
  *out_type = (lat_nkey_type)raw[0];
  memcpy(out_key, raw + 1, 32);
  return LAT_OK;
}

lat_status lat_nkey_decode_seed(const char *s, size_t len,
                                lat_nkey_type *out_type, uint8_t out_seed[32],
                                lat_error_t *err) {
  uint8_t raw[36];
  lat_status st =
      decode_raw(s, len, LAT_NKEY_SEED_LEN, "nkey seed", raw, sizeof raw, err);
  if (st) goto out;
  if ((raw[0] & 0xf8) != PREFIX_SEED) {
    st = lat_error_set(err, LAT_EMALFORMED, 0,
                       "not a seed: seeds start with 'S' (this looks like a "
                       "public key or something else)");
    goto out;
  }
  int t = ((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3);
  if ((raw[1] & 7) != 0 || !lat_nkey_type_valid(t)) {
    st = lat_error_set(err, LAT_EMALFORMED, 1,
                       "nkey seed has an unknown key type %d", t);
    goto out;
  }
  *out_type = (lat_nkey_type)t;
  memcpy(out_seed, raw + 2, 32);
out:
  sodium_memzero(raw, sizeof raw);
  return st;
}

lat_status lat_nkey_from_seed(const char *s, size_t len, lat_nkey_t *out,
                              lat_error_t *err) {
  uint8_t seed[32];
  lat_nkey_type t;
  lat_status st = lat_nkey_decode_seed(s, len, &t, seed, err);
  if (!st) st = lat_nkey_from_raw_seed(t, seed, out, err);
  sodium_memzero(seed, sizeof seed);
  return st;
}

lat_status lat_nkey_from_public(const char *s, size_t len, lat_nkey_t *out,
                                lat_error_t *err) {
  lat_nkey_type t;
  uint8_t key[32];
  lat_status st = lat_nkey_decode_public(s, len, &t, key, err);
  if (st) return st;
  memset(out, 0, sizeof *out);
  out->type = t;
  memcpy(out->public_key, key, 32);
  return LAT_OK;
}

/* ---- signatures ---------------------------------------------------------------------- */

lat_status lat_nkey_sign(const lat_nkey_t *k, const void *msg, size_t len,
                         uint8_t out_sig[LAT_NKEY_SIG_LEN], lat_error_t *err) {
  if (k->type == LAT_NKEY_CURVE)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "curve (X) keys cannot sign; they only seal");
  if (!k->has_seed)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "cannot sign with a public key: a seed is needed");
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "libsodium failed to initialise");
  crypto_sign_detached(out_sig, NULL, msg, len, k->secret);
  return LAT_OK;
}

lat_status lat_nkey_verify(const lat_nkey_t *k, const void *msg, size_t len,
                           const uint8_t *sig, size_t sig_len, lat_error_t *err) {
  if (k->type == LAT_NKEY_CURVE)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "curve (X) keys cannot verify signatures");
  if (sig_len != LAT_NKEY_SIG_LEN)
    return lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                         "signature is %zu bytes, expected %d", sig_len,
                         LAT_NKEY_SIG_LEN);
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "libsodium failed to initialise");
  if (crypto_sign_verify_detached(sig, msg, len, k->public_key) != 0)
    return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                         "signature does not verify with %s key",
                         lat_nkey_type_name(k->type));
  return LAT_OK;
}
