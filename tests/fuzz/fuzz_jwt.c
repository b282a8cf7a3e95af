/* Fuzz target: the claims extractor and the JWT decoder.
 *
 * The first byte picks what the rest is:
 *   'W'  a wasm binary: lat_claims_extract / verify / hash / strip; and, when
 *        its structure walks, lat_claims_sign with fixed keys must succeed
 *        and the result must extract with the same hash (sign ∘ extract is
 *        the identity on the hash, for every binary the walker accepts)
 *   'T'  a token: lat_jwt_verify and lat_claims_decode_token
 *   'J'  header NUL claims: both JSON texts are signed here with a fixed
 *        account key, so the fuzzer reaches the code behind the signature
 *        check (typed fields, wascap parsing) that it could never reach by
 *        forging signatures
 *   else the whole input goes through all three, as a token and a binary.
 * Any status is fine; a crash, a sanitizer report, a leak, an error offset
 * outside the input, or a broken round trip is a finding. */
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/crypto_int.h"
#include "fuzz.h"

/* test-only keys (the account and module of tests/crypto/gen_corpus.sh) */
#define FZ_ACCT_SEED "SAAJUJ5HRTFTENSQUUOVFXP5BDUZ5PAZHVD22K2I7OYH633QEZ724AUVEM"
#define FZ_MOD_SEED "SMANBNEK3AOBVAKL5QE7KYHPFDYRKJUP7BZQE3UJP7UUXDEYRFTQSL5GWE"

#define FZ_NOW 1800000000 /* fixed clock: replays are deterministic */

static void check_err(const lat_error_t *err, size_t size) {
  if (err->offset != SIZE_MAX && err->offset > size) __builtin_trap();
}

static void fuzz_wasm(const uint8_t *d, size_t n) {
  lat_jwt_opts_t o = {.now = FZ_NOW, .skew = 60};
  lat_claims_t c;
  lat_crypto_reason r = LAT_CR_COUNT;
  lat_error_t err;
  lat_error_clear(&err);
  lat_status s = lat_claims_extract(d, n, &o, &c, &r, &err);
  if ((s == LAT_OK) != (r == LAT_CR_OK) || r >= LAT_CR_COUNT) __builtin_trap();
  if (s == LAT_OK && (!c.token || !c.hash || !c.jwt.iss)) __builtin_trap();
  check_err(&err, n);
  lat_claims_fini(&c);

  static const char *const allow[] = {"ADHM55BA7QL6YWEB5BSCHAXBOYLFMEQ2ACSFXZRXYS7IBHEZHUTJWOPE"};
  lat_claims_policy_t pol = {.allowed_issuers = allow, .allowed_count = 1, .time = o};
  s = lat_claims_verify(d, n, &pol, &c, &r, &err);
  lat_claims_fini(&c);

  char hash[65];
  if (lat_claims_hash(d, n, hash, &err) != LAT_OK) {
    check_err(&err, n);
    return;
  }
  /* the walker accepted it: signing must work and round-trip the hash */
  lat_nkey_t acct, mod;
  if (lat_nkey_from_seed(FZ_ACCT_SEED, 58, &acct, NULL) ||
      lat_nkey_from_seed(FZ_MOD_SEED, 58, &mod, NULL))
    __builtin_trap();
  lat_claims_sign_opts_t so = {.name = "fuzz", .now = FZ_NOW};
  lat_buf_t out;
  lat_buf_init(&out);
  s = lat_claims_sign(d, n, &so, &acct, &mod, &out, &err);
  if (s == LAT_OK) {
    s = lat_claims_extract(out.data, out.len, &o, &c, &r, &err);
    if (s != LAT_OK || strcmp(c.hash, hash) != 0) __builtin_trap();
    lat_claims_fini(&c);
  } else if (s != LAT_ENOMEM && s != LAT_ELIMIT) {
    __builtin_trap();
  }
  lat_buf_fini(&out);
  lat_nkey_fini(&acct);
  lat_nkey_fini(&mod);
}

static void fuzz_token(const uint8_t *d, size_t n) {
  lat_jwt_opts_t o = {.now = FZ_NOW, .skew = 60};
  lat_jwt_t j;
  lat_crypto_reason r;
  lat_error_t err;
  lat_error_clear(&err);
  lat_status s = lat_jwt_verify((const char *)d, n, &o, &j, &r, &err);
  if (s == LAT_OK && (!j.iss || !j.sub || !j.claims_json)) __builtin_trap();
  check_err(&err, n);
  lat_jwt_fini(&j);
  lat_claims_t c;
  s = lat_claims_decode_token((const char *)d, n, &o, &c, &r, &err);
  if (s == LAT_OK && !c.token) __builtin_trap();
  lat_claims_fini(&c);
}

static void fuzz_json(const uint8_t *d, size_t n) {
  const uint8_t *nul = memchr(d, 0, n);
  const char *hdr = "{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}";
  size_t hl = strlen(hdr);
  const uint8_t *claims = d;
  size_t cl = n;
  if (nul) {
    hdr = (const char *)d;
    hl = (size_t)(nul - d);
    claims = nul + 1;
    cl = n - hl - 1;
  }
  lat_nkey_t acct;
  if (lat_nkey_from_seed(FZ_ACCT_SEED, 58, &acct, NULL)) __builtin_trap();
  size_t he = lat__crypto_b64url_enc_len(hl), ce = lat__crypto_b64url_enc_len(cl);
  char *t = lat_malloc(he + ce + 90);
  if (t) {
    lat__crypto_b64url_encode((const uint8_t *)hdr, hl, t);
    t[he] = '.';
    lat__crypto_b64url_encode(claims, cl, t + he + 1);
    t[he + 1 + ce] = '.';
    uint8_t sig[64];
    if (lat_nkey_sign(&acct, t, he + 1 + ce, sig, NULL)) __builtin_trap();
    lat__crypto_b64url_encode(sig, 64, t + he + ce + 2);
    fuzz_token((const uint8_t *)t, he + ce + 2 + 86);
    lat_free(t);
  }
  lat_nkey_fini(&acct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const uint8_t *d = data + 1;
  size_t n = size - 1;
  switch (data[0]) {
    case 'W': fuzz_wasm(d, n); break;
    case 'T': fuzz_token(d, n); break;
    case 'J': fuzz_json(d, n); break;
    default:
      fuzz_wasm(data, size);
      fuzz_token(data, size);
      break;
  }
  return 0;
}
