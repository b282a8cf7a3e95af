/* Fuzz target: the nkey decoders, the base32/base64url decoders under them,
 * and xkey box opening.
 *
 * The first byte picks what the rest is:
 *   'B'  a sealed box, opened with fixed test keys (the corpus holds boxes
 *        those keys really sealed, so mutants reach the authenticator)
 *   else the whole input as text: public key, seed, key pair from a seed,
 *        base32 and base64url.
 * Properties checked beyond "no crash": every accepted key re-encodes to
 * exactly the input (the decoders accept only canonical forms), a decoded
 * seed's key pair signs and verifies, and decoders never write past their
 * output. */
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/crypto_int.h"
#include "fuzz.h"

/* test-only curve keys (made by @nats-io/nkeys; see test_crypto_keys.c) */
#define FZ_X_SEED "SXACQS5MF7FFBGY6326CYHWEYC3MOPQN662A3YBD6O3G3CUHJZEA7KS6XI"
#define FZ_Y_SEED "SXAHLWVBTGFHMT525YQZVP2ZMFNFIH3GJDZHFW3TIOSZYRHUKMAI2TRJMA"

static void fuzz_box(const uint8_t *d, size_t n) {
  lat_nkey_t x, y;
  if (lat_nkey_from_seed(FZ_X_SEED, 58, &x, NULL) ||
      lat_nkey_from_seed(FZ_Y_SEED, 58, &y, NULL))
    __builtin_trap();
  lat_buf_t out;
  lat_buf_init(&out);
  lat_status s = lat_xkey_open(&y, &x, d, n, &out, NULL);
  if (s == LAT_OK && out.len + LAT_XKEY_OVERHEAD != n) __builtin_trap();
  /* re-seal what opened: must open again to the same bytes */
  if (s == LAT_OK) {
    lat_buf_t box, again;
    lat_buf_init(&box);
    lat_buf_init(&again);
    if (lat_xkey_seal(&x, &y, out.data, out.len, &box, NULL) ||
        lat_xkey_open(&y, &x, box.data, box.len, &again, NULL) ||
        again.len != out.len || (out.len && memcmp(again.data, out.data, out.len)))
      __builtin_trap();
    lat_buf_fini(&box);
    lat_buf_fini(&again);
  }
  lat_buf_fini(&out);
  lat_nkey_fini(&x);
  lat_nkey_fini(&y);
}

static void fuzz_text(const uint8_t *d, size_t n) {
  const char *s = (const char *)d;
  lat_nkey_type t;
  uint8_t key[32];
  lat_error_t err;
  if (lat_nkey_decode_public(s, n, &t, key, &err) == LAT_OK) {
    char back[LAT_NKEY_PUBLIC_LEN + 1];
    lat_nkey_encode_public(t, key, back);
    if (n != LAT_NKEY_PUBLIC_LEN || memcmp(back, s, n)) __builtin_trap();
  }
  lat_nkey_t k;
  if (lat_nkey_from_seed(s, n, &k, &err) == LAT_OK) {
    char back[LAT_NKEY_SEED_LEN + 1];
    if (lat_nkey_seed_string(&k, back, NULL) || n != LAT_NKEY_SEED_LEN ||
        memcmp(back, s, n))
      __builtin_trap();
    if (k.type != LAT_NKEY_CURVE) {
      uint8_t sig[64];
      if (lat_nkey_sign(&k, d, n, sig, NULL) || lat_nkey_verify(&k, d, n, sig, 64, NULL))
        __builtin_trap();
    }
    lat_nkey_fini(&k);
  }
  /* the raw decoders, with an exact-size output so ASan sees overruns */
  size_t cap = n * 5 / 8, got;
  uint8_t *out = lat_malloc(cap ? cap : 1);
  if (!out) return;
  if (lat__crypto_b32_decode(s, n, out, cap, &got)) {
    char *re = lat_malloc(lat__crypto_b32_enc_len(got) + 1);
    if (re) {
      lat__crypto_b32_encode(out, got, re);
      if (lat__crypto_b32_enc_len(got) != n || memcmp(re, s, n)) __builtin_trap();
      lat_free(re);
    }
  }
  lat_free(out);
  cap = n * 3 / 4;
  out = lat_malloc(cap ? cap : 1);
  if (!out) return;
  size_t bad;
  if (lat__crypto_b64url_decode(s, n, out, cap, &got, &bad)) {
    char *re = lat_malloc(lat__crypto_b64url_enc_len(got) + 1);
    if (re) {
      lat__crypto_b64url_encode(out, got, re);
      if (lat__crypto_b64url_enc_len(got) != n || memcmp(re, s, n)) __builtin_trap();
      lat_free(re);
    }
  } else if (bad > n) {
    __builtin_trap();
  }
  lat_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size && data[0] == 'B') fuzz_box(data + 1, size - 1);
  else fuzz_text(data, size);
  return 0;
}
