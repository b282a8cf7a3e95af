/* Unit tests for src/crypto encodings, nkeys and xkeys: RFC 4648 and
 * CRC16/XMODEM vectors, strict decoding, every key type round-tripping,
 * known-answer vectors made by @nats-io/nkeys 2.0.3 (an independent
 * implementation: a user and an account seed with their public keys, an
 * account signature, and a curve sealed box with a fixed nonce), and the
 * refusals: bad CRC, bad length, bad alphabet, seed/public confusion,
 * 63/65-byte signatures, curve keys that try to sign. */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/crypto_int.h"
#include "test.h"

/* made by @nats-io/nkeys 2.0.3 (createUser/createAccount/createCurve) */
#define NJS_USER_SEED "SUAIU7O2C22D3UO5XITCCY5URRH76LRTOPXYXMINOCR2VZSP44JOQSJZVA"
#define NJS_USER_PUB "UA3WBLB5RQ3A2XOV6UDX5WSJZM4EJTCHX2WSPVJNYL5OSSSQZP3COF7U"
#define NJS_ACCT_SEED "SAAJUJ5HRTFTENSQUUOVFXP5BDUZ5PAZHVD22K2I7OYH633QEZ724AUVEM"
#define NJS_ACCT_PUB "ADHM55BA7QL6YWEB5BSCHAXBOYLFMEQ2ACSFXZRXYS7IBHEZHUTJWOPE"
/* account.sign("hello lattice") */
#define NJS_ACCT_SIG                                                         \
  "2a8c298e100aec80620acbd1b4105514c88ad56c95f8734e810d94c19bbec030667277fe" \
  "4e7b6f6cfdac681a0ea307a9abd9d7437199d9ccce39d65db202e802"
#define NJS_X_SEED "SXACQS5MF7FFBGY6326CYHWEYC3MOPQN662A3YBD6O3G3CUHJZEA7KS6XI"
#define NJS_X_PUB "XAR2CIRFYUJ6R376XCLBCF4MMLC3WJMPWFJUJ2S4Q6SPJ4SQKPHXRN3J"
#define NJS_Y_SEED "SXAHLWVBTGFHMT525YQZVP2ZMFNFIH3GJDZHFW3TIOSZYRHUKMAI2TRJMA"
#define NJS_Y_PUB "XCDF5MK22TJEKVJVR2DJWKBVPUEDSBZPPRDXSBPDGHKO5G2KTE2HT2BB"
/* x.seal("sealed for y", y, nonce = 0..23) */
#define NJS_BOX                                                              \
  "786b7631000102030405060708090a0b0c0d0e0f10111213141516178189e212453aa0" \
  "01d8f64f414725f39d4513714555f87281cd3573ce"

static size_t unhex(const char *h, uint8_t *out) {
  size_t n = strlen(h) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(h + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
  return n;
}

/* ---- encodings ------------------------------------------------------------ */

TEST_IMPL(crypto_crc16_vector) {
  CHECK_EQ_UINT(lat__crypto_crc16((const uint8_t *)"123456789", 9), 0x31C3);
  CHECK_EQ_UINT(lat__crypto_crc16(NULL, 0), 0);
}

TEST_IMPL(crypto_base32_vectors) {
  static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const want[] = {"",      "MY",       "MZXQ",      "MZXW6",
                                     "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
  for (size_t i = 0; i < 7; i++) {
    char out[32] = {0};
    size_t n = strlen(in[i]);
    lat__crypto_b32_encode((const uint8_t *)in[i], n, out);
    CHECK_EQ_STR(out, want[i]);
    CHECK_EQ_UINT(lat__crypto_b32_enc_len(n), strlen(want[i]));
    uint8_t back[16];
    size_t bn = 99;
    CHECK(lat__crypto_b32_decode(want[i], strlen(want[i]), back, sizeof back, &bn));
    CHECK_EQ_UINT(bn, n);
    CHECK_EQ_MEM(back, in[i], n);
  }
  uint8_t b[16];
  size_t n;
  CHECK(!lat__crypto_b32_decode("MZ", 2, b, sizeof b, &n));      /* unused bits set */
  CHECK(!lat__crypto_b32_decode("mzxq", 4, b, sizeof b, &n));    /* lowercase */
  CHECK(!lat__crypto_b32_decode("MZXQ====", 8, b, sizeof b, &n)); /* padding */
  CHECK(!lat__crypto_b32_decode("M", 1, b, sizeof b, &n));       /* impossible length */
  CHECK(!lat__crypto_b32_decode("MZXW6Y", 6, b, sizeof b, &n));  /* impossible length */
  CHECK(!lat__crypto_b32_decode("MZXW6YTBOI", 10, b, 3, &n));    /* does not fit */
}

TEST_IMPL(crypto_base64url_vectors) {
  static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                   "\xfb\xff"};
  static const char *const want[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE",
                                     "Zm9vYmFy", "-_8"};
  for (size_t i = 0; i < 8; i++) {
    char out[32] = {0};
    size_t n = strlen(in[i]);
    lat__crypto_b64url_encode((const uint8_t *)in[i], n, out);
    CHECK_EQ_STR(out, want[i]);
    uint8_t back[16];
    size_t bn = 99, bad;
    CHECK(lat__crypto_b64url_decode(want[i], strlen(want[i]), back, sizeof back,
                                    &bn, &bad));
    CHECK_EQ_UINT(bn, n);
    CHECK_EQ_MEM(back, in[i], n);
  }
  uint8_t b[16];
  size_t n, bad;
  CHECK(!lat__crypto_b64url_decode("Zm9v+", 5, b, sizeof b, &n, &bad)); /* '+' */
  CHECK(!lat__crypto_b64url_decode("Zm9vYg==", 8, b, sizeof b, &n, &bad));
  CHECK_EQ_UINT(bad, 6);
  CHECK(!lat__crypto_b64url_decode("Zh", 2, b, sizeof b, &n, &bad)); /* unused bits */
  CHECK(!lat__crypto_b64url_decode("Zm9vY", 5, b, sizeof b, &n, &bad)); /* length */
}

TEST_IMPL(crypto_sha256_hex_vector) {
  char hex[65];
  lat__crypto_sha256_hex((const uint8_t *)"abc", 3, hex);
  CHECK_EQ_STR(hex, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
}

/* ---- nkeys ------------------------------------------------------------------ */

TEST_IMPL(crypto_nkey_types) {
  static const struct {
    const char *name;
    lat_nkey_type t;
  } cases[] = {{"account", LAT_NKEY_ACCOUNT}, {"Cluster", LAT_NKEY_CLUSTER},
               {"module", LAT_NKEY_MODULE},   {"component", LAT_NKEY_MODULE},
               {"server", LAT_NKEY_SERVER},   {"HOST", LAT_NKEY_SERVER},
               {"operator", LAT_NKEY_OPERATOR}, {"user", LAT_NKEY_USER},
               {"service", LAT_NKEY_SERVICE}, {"provider", LAT_NKEY_SERVICE},
               {"curve", LAT_NKEY_CURVE},     {"x25519", LAT_NKEY_CURVE}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lat_nkey_type t = 0;
    CHECK(lat_nkey_type_parse(cases[i].name, &t));
    CHECK_EQ_INT(t, cases[i].t);
  }
  lat_nkey_type t;
  CHECK(!lat_nkey_type_parse("accout", &t));
  CHECK(!lat_nkey_type_parse("", &t));
  CHECK(!lat_nkey_type_parse(NULL, &t));
  CHECK_EQ_STR(lat_nkey_type_name(LAT_NKEY_SERVICE), "service");
  CHECK_EQ_INT(lat_nkey_type_letter(LAT_NKEY_SERVER), 'N');
  CHECK(!lat_nkey_type_valid(144)); /* the seed prefix is not a key type */
}

TEST_IMPL(crypto_nkey_roundtrip_all_types) {
  static const lat_nkey_type all[] = {
      LAT_NKEY_ACCOUNT, LAT_NKEY_CLUSTER, LAT_NKEY_MODULE, LAT_NKEY_SERVER,
      LAT_NKEY_OPERATOR, LAT_NKEY_USER, LAT_NKEY_SERVICE, LAT_NKEY_CURVE};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    lat_nkey_t k, k2, pub;
    REQUIRE_OK(lat_nkey_generate(all[i], &k, NULL));
    char p[LAT_NKEY_PUBLIC_LEN + 1], s[LAT_NKEY_SEED_LEN + 1];
    lat_nkey_public_string(&k, p);
    REQUIRE_OK(lat_nkey_seed_string(&k, s, NULL));
    CHECK_EQ_UINT(strlen(p), 56);
    CHECK_EQ_UINT(strlen(s), 58);
    CHECK_EQ_INT(p[0], lat_nkey_type_letter(all[i]));
    CHECK_EQ_INT(s[0], 'S');
    CHECK_EQ_INT(s[1], lat_nkey_type_letter(all[i]));
    REQUIRE_OK(lat_nkey_from_seed(s, strlen(s), &k2, NULL));
    CHECK_EQ_INT(k2.type, all[i]);
    CHECK_EQ_MEM(k2.public_key, k.public_key, 32);
    REQUIRE_OK(lat_nkey_from_public(p, strlen(p), &pub, NULL));
    CHECK(!pub.has_seed);
    CHECK_EQ_MEM(pub.public_key, k.public_key, 32);
    lat_error_t err;
    CHECK_ST(lat_nkey_seed_string(&pub, s, &err), LAT_EARG);
    lat_nkey_fini(&k);
    lat_nkey_fini(&k2);
    lat_nkey_fini(&pub);
    static const uint8_t zero[sizeof k] = {0};
    CHECK_EQ_MEM(&k, zero, sizeof k); /* fini wiped the secrets */
  }
  lat_nkey_fini(NULL);
}

TEST_IMPL(crypto_nkey_known_vectors) {
  lat_nkey_t k;
  char p[LAT_NKEY_PUBLIC_LEN + 1], s[LAT_NKEY_SEED_LEN + 1];
  REQUIRE_OK(lat_nkey_from_seed(NJS_USER_SEED, 58, &k, NULL));
  lat_nkey_public_string(&k, p);
  CHECK_EQ_STR(p, NJS_USER_PUB);
  REQUIRE_OK(lat_nkey_seed_string(&k, s, NULL));
  CHECK_EQ_STR(s, NJS_USER_SEED);
  lat_nkey_fini(&k);

  REQUIRE_OK(lat_nkey_from_seed(NJS_X_SEED, 58, &k, NULL));
  lat_nkey_public_string(&k, p);
  CHECK_EQ_STR(p, NJS_X_PUB);
  lat_nkey_fini(&k);

  /* Ed25519 is deterministic: our signature equals theirs */
  REQUIRE_OK(lat_nkey_from_seed(NJS_ACCT_SEED, 58, &k, NULL));
  lat_nkey_public_string(&k, p);
  CHECK_EQ_STR(p, NJS_ACCT_PUB);
  uint8_t sig[64], want[64];
  unhex(NJS_ACCT_SIG, want);
  REQUIRE_OK(lat_nkey_sign(&k, "hello lattice", 13, sig, NULL));
  CHECK_EQ_MEM(sig, want, 64);
  lat_nkey_fini(&k);
}

TEST_IMPL(crypto_nkey_bad_crc) {
  char s[] = NJS_ACCT_PUB;
  s[20] = s[20] == 'A' ? 'B' : 'A'; /* one mistyped character */
  lat_nkey_t k;
  lat_error_t err;
  CHECK_ST(lat_nkey_from_public(s, strlen(s), &k, &err), LAT_EMALFORMED);
  CHECK(strstr(err.msg, "checksum") != NULL);
  char seed[] = NJS_ACCT_SEED;
  seed[30] = seed[30] == 'Q' ? 'R' : 'Q';
  CHECK_ST(lat_nkey_from_seed(seed, strlen(seed), &k, &err), LAT_EMALFORMED);
  CHECK(strstr(err.msg, "checksum") != NULL);
}

TEST_IMPL(crypto_nkey_bad_forms) {
  lat_nkey_t k;
  lat_error_t err;
  /* length */
  CHECK_ST(lat_nkey_from_public(NJS_ACCT_PUB, 55, &k, &err), LAT_EMALFORMED);
  CHECK(strstr(err.msg, "56 characters") != NULL);
  CHECK_ST(lat_nkey_from_seed(NJS_ACCT_SEED, 57, &k, &err), LAT_EMALFORMED);
  CHECK_ST(lat_nkey_from_public(NULL, 0, &k, &err), LAT_EMALFORMED);
  /* alphabet: lowercase, '1', '=' */
  char s[] = NJS_ACCT_PUB;
  s[1] = (char)(s[1] | 0x20); /* a letter: lowercase */
  CHECK_ST(lat_nkey_from_public(s, 56, &k, &err), LAT_EMALFORMED);
  CHECK(strstr(err.msg, "base32") != NULL);
  char t[] = NJS_ACCT_PUB;
  t[10] = '1';
  CHECK_ST(lat_nkey_from_public(t, 56, &k, &err), LAT_EMALFORMED);
  /* a seed where a public key is wanted and the other way round */
  CHECK_ST(lat_nkey_from_public(NJS_ACCT_SEED, 58, &k, &err), LAT_EMALFORMED);
  CHECK_ST(lat_nkey_from_seed(NJS_ACCT_PUB, 56, &k, &err), LAT_EMALFORMED);
  /* a well-formed 56-character string with an unknown prefix ('P' private) */
  uint8_t key[32] = {1, 2, 3};
  char p[LAT_NKEY_PUBLIC_LEN + 1];
  lat_nkey_encode_public((lat_nkey_type)120, key, p);
  CHECK_ST(lat_nkey_from_public(p, 56, &k, &err), LAT_EMALFORMED);
  CHECK(strstr(err.msg, "prefix") != NULL);
  /* a seed whose embedded type is not a key type */
  char sd[LAT_NKEY_SEED_LEN + 1];
  lat_nkey_encode_seed((lat_nkey_type)200, key, sd);
  CHECK_ST(lat_nkey_from_seed(sd, 58, &k, &err), LAT_EMALFORMED);
  CHECK(strstr(err.msg, "type") != NULL);
  /* generating an invalid type */
  CHECK_ST(lat_nkey_generate((lat_nkey_type)8, &k, &err), LAT_EARG);
}

TEST_IMPL(crypto_nkey_sign_verify) {
  lat_nkey_t k, pub, other;
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_SERVER, &k, NULL));
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_SERVER, &other, NULL));
  char p[LAT_NKEY_PUBLIC_LEN + 1];
  lat_nkey_public_string(&k, p);
  REQUIRE_OK(lat_nkey_from_public(p, 56, &pub, NULL));
  uint8_t sig[65];
  REQUIRE_OK(lat_nkey_sign(&k, "msg", 3, sig, NULL));
  CHECK_OK(lat_nkey_verify(&pub, "msg", 3, sig, 64, NULL));
  lat_error_t err;
  CHECK_ST(lat_nkey_verify(&pub, "msh", 3, sig, 64, &err), LAT_EINVALID);
  CHECK_ST(lat_nkey_verify(&other, "msg", 3, sig, 64, &err), LAT_EINVALID);
  CHECK_ST(lat_nkey_verify(&pub, "msg", 3, sig, 63, &err), LAT_EMALFORMED);
  CHECK(strstr(err.msg, "63 bytes") != NULL);
  sig[64] = 0;
  CHECK_ST(lat_nkey_verify(&pub, "msg", 3, sig, 65, &err), LAT_EMALFORMED);
  sig[0] ^= 1;
  CHECK_ST(lat_nkey_verify(&pub, "msg", 3, sig, 64, &err), LAT_EINVALID);
  /* public-only keys and curve keys cannot sign */
  CHECK_ST(lat_nkey_sign(&pub, "m", 1, sig, &err), LAT_EARG);
  lat_nkey_t x;
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_CURVE, &x, NULL));
  CHECK_ST(lat_nkey_sign(&x, "m", 1, sig, &err), LAT_EARG);
  CHECK_ST(lat_nkey_verify(&x, "m", 1, sig, 64, &err), LAT_EARG);
  lat_nkey_fini(&k);
  lat_nkey_fini(&pub);
  lat_nkey_fini(&other);
  lat_nkey_fini(&x);
}

/* ---- xkeys ------------------------------------------------------------------- */

TEST_IMPL(crypto_xkey_known_box) {
  lat_nkey_t x, y, xpub;
  REQUIRE_OK(lat_nkey_from_seed(NJS_X_SEED, 58, &x, NULL));
  REQUIRE_OK(lat_nkey_from_seed(NJS_Y_SEED, 58, &y, NULL));
  REQUIRE_OK(lat_nkey_from_public(NJS_X_PUB, 56, &xpub, NULL));
  uint8_t want[128], nonce[24];
  size_t wn = unhex(NJS_BOX, want);
  for (int i = 0; i < 24; i++) nonce[i] = (uint8_t)i;
  lat_buf_t b;
  lat_buf_init(&b);
  /* sealing with their nonce gives their bytes */
  REQUIRE_OK(lat_xkey_seal_nonce(&x, &y, nonce, "sealed for y", 12, &b, NULL));
  CHECK_EQ_UINT(b.len, wn);
  CHECK_EQ_MEM(b.data, want, wn);
  lat_buf_fini(&b);
  /* and we open theirs */
  lat_buf_init(&b);
  REQUIRE_OK(lat_xkey_open(&y, &xpub, want, wn, &b, NULL));
  CHECK_EQ_UINT(b.len, 12);
  CHECK_EQ_MEM(b.data, "sealed for y", 12);
  lat_buf_fini(&b);
  lat_nkey_fini(&x);
  lat_nkey_fini(&y);
  lat_nkey_fini(&xpub);
}

TEST_IMPL(crypto_xkey_refusals) {
  lat_nkey_t a, b, c, acct;
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_CURVE, &a, NULL));
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_CURVE, &b, NULL));
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_CURVE, &c, NULL));
  REQUIRE_OK(lat_nkey_generate(LAT_NKEY_ACCOUNT, &acct, NULL));
  lat_buf_t box, out;
  lat_buf_init(&box);
  lat_buf_init(&out);
  lat_error_t err;
  REQUIRE_OK(lat_xkey_seal(&a, &b, "", 0, &box, NULL)); /* empty message */
  CHECK_EQ_UINT(box.len, LAT_XKEY_OVERHEAD);
  CHECK_OK(lat_xkey_open(&b, &a, box.data, box.len, &out, NULL));
  CHECK_EQ_UINT(out.len, 0);
  box.len = 0;
  REQUIRE_OK(lat_xkey_seal(&a, &b, "secret", 6, &box, NULL));
  CHECK_ST(lat_xkey_open(&c, &a, box.data, box.len, &out, &err), LAT_EINVALID);
  CHECK_ST(lat_xkey_open(&b, &c, box.data, box.len, &out, &err), LAT_EINVALID);
  box.data[box.len - 1] ^= 0x80; /* tampered */
  CHECK_ST(lat_xkey_open(&b, &a, box.data, box.len, &out, &err), LAT_EINVALID);
  box.data[box.len - 1] ^= 0x80;
  box.data[0] = 'y'; /* version */
  CHECK_ST(lat_xkey_open(&b, &a, box.data, box.len, &out, &err), LAT_EMALFORMED);
  box.data[0] = 'x';
  CHECK_ST(lat_xkey_open(&b, &a, box.data, 28, &out, &err), LAT_EMALFORMED);
  CHECK_ST(lat_xkey_open(&b, &a, box.data, 30, &out, &err), LAT_EMALFORMED);
  CHECK_EQ_UINT(out.len, 0);
  CHECK_OK(lat_xkey_open(&b, &a, box.data, box.len, &out, NULL));
  /* only curve keys seal and open */
  CHECK_ST(lat_xkey_seal(&acct, &b, "x", 1, &box, &err), LAT_EARG);
  CHECK_ST(lat_xkey_seal(&a, &acct, "x", 1, &box, &err), LAT_EARG);
  CHECK_ST(lat_xkey_open(&acct, &a, box.data, box.len, &out, &err), LAT_EARG);
  lat_buf_fini(&box);
  lat_buf_fini(&out);
  lat_nkey_fini(&a);
  lat_nkey_fini(&b);
  lat_nkey_fini(&c);
  lat_nkey_fini(&acct);
}
