/* Unit tests for src/crypto JWTs: encode/decode for both algorithms, time
 * checks with skew, and every refusal with its reason: segment count, bad
 * base64, bad JSON, duplicate keys, wrong typ, wrong alg, 63/65-byte
 * signatures, a tampered claim, a bad-CRC or curve issuer, missing and
 * mistyped claims. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto_test_util.h"

static lat_nkey_t acct;
static char acct_pub[57];

static void setup(void) {
  lat_nkey_generate(LAT_NKEY_ACCOUNT, &acct, NULL);
  tu_pub(&acct, acct_pub);
}

/* claims JSON issued by acct for subject sub, with extra fields. */
static char *claims_for(const char *sub, const char *extra) {
  static char buf[1024];
  snprintf(buf, sizeof buf, "{\"jti\":\"x\",\"iat\":1700000000,\"iss\":\"%s\",\"sub\":\"%s\"%s%s}",
           acct_pub, sub, *extra ? "," : "", extra);
  return buf;
}

/* Decodes tok, expecting failure with reason want; returns the status. */
static lat_status expect_refusal(const char *tok, lat_crypto_reason want,
                                 int line) {
  lat_jwt_t j;
  lat_crypto_reason r = LAT_CR_OK;
  lat_error_t err;
  lat_error_clear(&err);
  lat_jwt_opts_t o = {.now = 1700000100};
  lat_status s = lat_jwt_verify(tok, strlen(tok), &o, &j, &r, &err);
  if (s == LAT_OK || r != want) {
    fprintf(stderr, "  line %d: status %s reason %s (want %s): %s\n", line,
            lat_status_name(s), lat_crypto_reason_name(r),
            lat_crypto_reason_name(want), err.msg);
    CHECK(s != LAT_OK && r == want);
  }
  CHECK(err.msg[0] != '\0'); /* always a message */
  CHECK(j.iss == NULL && j.claims_json == NULL); /* nothing handed out */
  lat_jwt_fini(&j);
  return s;
}
#define REFUSED(tok, want) expect_refusal(tok, want, __LINE__)

TEST_IMPL(crypto_jwt_roundtrip) {
  setup();
  const lat_jwt_alg algs[] = {LAT_JWT_ALG_WASCAP, LAT_JWT_ALG_NKEY};
  for (int i = 0; i < 2; i++) {
    const char *c = claims_for("UABC", "\"name\":\"n\",\"exp\":1800000000,\"nbf\":1600000000");
    char *tok = NULL;
    REQUIRE_OK(lat_jwt_encode(algs[i], c, strlen(c), &acct, &tok, NULL));
    lat_jwt_t j;
    lat_crypto_reason r;
    lat_jwt_opts_t o = {.now = 1700000100};
    REQUIRE_OK(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, NULL));
    CHECK_EQ_INT(r, LAT_CR_OK);
    CHECK_EQ_INT(j.alg, algs[i]);
    CHECK_EQ_STR(j.iss, acct_pub);
    CHECK_EQ_STR(j.sub, "UABC");
    CHECK_EQ_STR(j.jti, "x");
    CHECK_EQ_STR(j.name, "n");
    CHECK(!j.sub_is_nkey);
    CHECK_EQ_INT(j.iss_type, LAT_NKEY_ACCOUNT);
    CHECK(j.has_iat && j.has_exp && j.has_nbf);
    CHECK_EQ_INT(j.exp, 1800000000);
    CHECK_EQ_STR(j.claims_json, c);
    lat_jwt_fini(&j);
    /* the algorithm mask */
    o.algs = algs[i] == LAT_JWT_ALG_WASCAP ? LAT_JWT_ALG_NKEY : LAT_JWT_ALG_WASCAP;
    CHECK_ST(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, NULL), LAT_EINVALID);
    CHECK_EQ_INT(r, LAT_CR_TOKEN_ALG);
    lat_free(tok);
  }
  /* encode refuses claims not issued by the signing key */
  lat_nkey_t other;
  lat_nkey_generate(LAT_NKEY_ACCOUNT, &other, NULL);
  const char *c = claims_for("UABC", "");
  char *tok = NULL;
  lat_error_t err;
  CHECK_ST(lat_jwt_encode(LAT_JWT_ALG_WASCAP, c, strlen(c), &other, &tok, &err), LAT_EARG);
  CHECK_ST(lat_jwt_encode(LAT_JWT_ALG_WASCAP, "[1]", 3, &acct, &tok, &err), LAT_EARG);
  CHECK(tok == NULL);
  lat_nkey_fini(&other);
  lat_nkey_fini(&acct);
}

TEST_IMPL(crypto_jwt_times) {
  setup();
  char c[512];
  snprintf(c, sizeof c, "{\"iat\":900,\"iss\":\"%s\",\"sub\":\"U\",\"exp\":1000,\"nbf\":900}",
           acct_pub);
  char *tok = NULL;
  REQUIRE_OK(lat_jwt_encode(LAT_JWT_ALG_WASCAP, c, strlen(c), &acct, &tok, NULL));
  lat_jwt_t j;
  lat_crypto_reason r;
  lat_error_t err;
  lat_jwt_opts_t o = {.now = 950};
  CHECK_OK(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, NULL));
  lat_jwt_fini(&j);
  o.now = 1000; /* exp is inclusive */
  CHECK_OK(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, NULL));
  lat_jwt_fini(&j);
  o.now = 1001;
  CHECK_ST(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, &err), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_EXPIRED);
  CHECK(strstr(err.msg, "expired") != NULL);
  o.skew = 5; /* clock skew allowance */
  CHECK_OK(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, NULL));
  lat_jwt_fini(&j);
  o.now = 1006;
  CHECK_ST(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, NULL), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_EXPIRED);
  o = (lat_jwt_opts_t){.now = 899};
  CHECK_ST(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, &err), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_NOT_YET_VALID);
  CHECK(strstr(err.msg, "not valid") != NULL);
  o.skew = 1;
  CHECK_OK(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, NULL));
  lat_jwt_fini(&j);
  /* decode alone ignores times; the real clock says it expired long ago */
  CHECK_OK(lat_jwt_decode(tok, strlen(tok), NULL, &j, &r, NULL));
  CHECK_ST(lat_jwt_check_times(&j, NULL, &r, NULL), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_EXPIRED);
  lat_jwt_fini(&j);
  lat_free(tok);
  /* issued in the future: refused beyond the skew, accepted within it */
  snprintf(c, sizeof c, "{\"iat\":2000,\"iss\":\"%s\",\"sub\":\"U\"}", acct_pub);
  REQUIRE_OK(lat_jwt_encode(LAT_JWT_ALG_NKEY, c, strlen(c), &acct, &tok, NULL));
  o = (lat_jwt_opts_t){.now = 1990};
  CHECK_ST(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, &err), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_ISSUED_IN_FUTURE);
  CHECK(strstr(err.msg, "future") != NULL);
  o.skew = 10;
  CHECK_OK(lat_jwt_verify(tok, strlen(tok), &o, &j, &r, NULL));
  lat_jwt_fini(&j);
  lat_free(tok);
  lat_nkey_fini(&acct);
}

TEST_IMPL(crypto_jwt_refusals_structure) {
  setup();
  const char *c = claims_for("UABC", "");
  char *good = tu_token(TU_WASCAP_HDR, c, &acct, 64);
  lat_jwt_t j;
  lat_crypto_reason r;
  lat_jwt_opts_t o = {.now = 1700000100};
  CHECK_OK(lat_jwt_verify(good, strlen(good), &o, &j, &r, NULL));
  lat_jwt_fini(&j);

  /* segment count: two, four, none, empty */
  char buf[2048];
  const char *second_dot = strrchr(good, '.');
  snprintf(buf, sizeof buf, "%.*s", (int)(second_dot - good), good);
  CHECK_ST(REFUSED(buf, LAT_CR_TOKEN_SEGMENTS), LAT_EMALFORMED);
  snprintf(buf, sizeof buf, "%s.AAAA", good);
  REFUSED(buf, LAT_CR_TOKEN_SEGMENTS);
  REFUSED("nodots", LAT_CR_TOKEN_SEGMENTS);
  REFUSED("", LAT_CR_TOKEN_SEGMENTS);
  lat_error_t err;
  CHECK_ST(lat_jwt_verify(NULL, 5, &o, &j, &r, &err), LAT_EMALFORMED);

  /* bad base64 in each segment: a '+' (standard alphabet), a '=' pad, a
   * length that cannot be, a non-ASCII byte */
  strcpy(buf, good);
  buf[3] = '+';
  REFUSED(buf, LAT_CR_TOKEN_BASE64);
  strcpy(buf, good);
  *(strchr(buf, '.') + 5) = '*';
  REFUSED(buf, LAT_CR_TOKEN_BASE64);
  snprintf(buf, sizeof buf, "%s=", good);
  REFUSED(buf, LAT_CR_TOKEN_BASE64);
  snprintf(buf, sizeof buf, "%sAA", good); /* 88 chars: decodes to 66 bytes */
  REFUSED(buf, LAT_CR_SIG_LENGTH);
  snprintf(buf, sizeof buf, "%s\xc3\xa9", good);
  REFUSED(buf, LAT_CR_TOKEN_BASE64);

  /* header and claims that are not JSON objects */
  char *t = tu_token("{\"typ\":\"jwt\",", c, &acct, 64);
  REFUSED(t, LAT_CR_TOKEN_JSON);
  lat_free(t);
  t = tu_token("[\"jwt\"]", c, &acct, 64);
  REFUSED(t, LAT_CR_TOKEN_JSON);
  lat_free(t);
  t = tu_token(TU_WASCAP_HDR, "{\"iss\":", &acct, 64);
  REFUSED(t, LAT_CR_TOKEN_JSON);
  lat_free(t);
  /* duplicate keys: which "sub" would a reader believe? */
  snprintf(buf, sizeof buf, "{\"iss\":\"%s\",\"sub\":\"UA\",\"sub\":\"UB\"}", acct_pub);
  t = tu_token(TU_WASCAP_HDR, buf, &acct, 64);
  REFUSED(t, LAT_CR_TOKEN_JSON);
  lat_free(t);
  lat_free(good);
  lat_nkey_fini(&acct);
}

TEST_IMPL(crypto_jwt_refusals_header) {
  setup();
  const char *c = claims_for("UABC", "");
  static const char *const bad_alg[] = {
      "{\"typ\":\"jwt\",\"alg\":\"HS256\"}", "{\"typ\":\"jwt\",\"alg\":\"none\"}",
      "{\"typ\":\"jwt\",\"alg\":\"ed25519\"}", /* NATS v1: claims-only signing */
      "{\"typ\":\"jwt\",\"alg\":\"ED25519\"}", "{\"typ\":\"jwt\"}",
      "{\"typ\":\"jwt\",\"alg\":7}"};
  for (size_t i = 0; i < sizeof bad_alg / sizeof bad_alg[0]; i++) {
    char *t = tu_token(bad_alg[i], c, &acct, 64);
    CHECK_ST(REFUSED(t, LAT_CR_TOKEN_ALG), LAT_EINVALID);
    lat_free(t);
  }
  static const char *const bad_typ[] = {"{\"typ\":\"jws\",\"alg\":\"Ed25519\"}",
                                        "{\"alg\":\"Ed25519\"}",
                                        "{\"typ\":1,\"alg\":\"Ed25519\"}"};
  for (size_t i = 0; i < sizeof bad_typ / sizeof bad_typ[0]; i++) {
    char *t = tu_token(bad_typ[i], c, &acct, 64);
    REFUSED(t, LAT_CR_TOKEN_TYPE);
    lat_free(t);
  }
  /* NATS headers say "JWT" */
  char *t = tu_token("{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}", c, &acct, 64);
  lat_jwt_t j;
  lat_jwt_opts_t o = {.now = 1700000100};
  CHECK_OK(lat_jwt_verify(t, strlen(t), &o, &j, NULL, NULL));
  lat_jwt_fini(&j);
  lat_free(t);
  lat_nkey_fini(&acct);
}

TEST_IMPL(crypto_jwt_refusals_signature) {
  setup();
  const char *c = claims_for("UABC", "");
  char *t = tu_token(TU_WASCAP_HDR, c, &acct, 63);
  lat_jwt_t j;
  lat_crypto_reason r;
  lat_error_t err;
  lat_jwt_opts_t o = {.now = 1700000100};
  CHECK_ST(lat_jwt_verify(t, strlen(t), &o, &j, &r, &err), LAT_EMALFORMED);
  CHECK_EQ_INT(r, LAT_CR_SIG_LENGTH);
  CHECK(strstr(err.msg, "63 bytes") != NULL);
  lat_free(t);
  t = tu_token(TU_WASCAP_HDR, c, &acct, 65);
  CHECK_ST(lat_jwt_verify(t, strlen(t), &o, &j, &r, &err), LAT_EMALFORMED);
  CHECK_EQ_INT(r, LAT_CR_SIG_LENGTH);
  CHECK(strstr(err.msg, "65 bytes") != NULL);
  lat_free(t);

  /* a claim changed after signing: "UABC" → "UABD" */
  t = tu_token(TU_WASCAP_HDR, c, &acct, 64);
  char *t2 = tu_token(TU_WASCAP_HDR, claims_for("UABD", ""), &acct, 64);
  char *dot = strrchr(t, '.'), *dot2 = strrchr(t2, '.');
  char buf[2048];
  snprintf(buf, sizeof buf, "%.*s%s", (int)(dot2 - t2), t2, dot);
  CHECK_ST(REFUSED(buf, LAT_CR_SIG_INVALID), LAT_EINVALID);
  /* one flipped bit in the signature */
  strcpy(buf, t);
  char *sigc = strrchr(buf, '.') + 10;
  *sigc = *sigc == 'A' ? 'B' : 'A';
  REFUSED(buf, LAT_CR_SIG_INVALID);
  lat_free(t2);
  /* signed by another account that claims to be acct */
  lat_nkey_t other;
  lat_nkey_generate(LAT_NKEY_ACCOUNT, &other, NULL);
  char *forged = tu_token(TU_WASCAP_HDR, c, &other, 64);
  REFUSED(forged, LAT_CR_SIG_INVALID);
  lat_free(forged);
  lat_nkey_fini(&other);
  lat_free(t);
  lat_nkey_fini(&acct);
}

TEST_IMPL(crypto_jwt_refusals_issuer) {
  setup();
  char buf[1024];
  /* the issuer's nkey has a bad CRC */
  char bad[57];
  strcpy(bad, acct_pub);
  bad[40] = bad[40] == 'Q' ? 'R' : 'Q';
  snprintf(buf, sizeof buf, "{\"iss\":\"%s\",\"sub\":\"UA\"}", bad);
  char *t = tu_token(TU_WASCAP_HDR, buf, &acct, 64);
  lat_jwt_t j;
  lat_crypto_reason r;
  lat_error_t err;
  CHECK_ST(lat_jwt_verify(t, strlen(t), NULL, &j, &r, &err), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_KEY_INVALID);
  CHECK(strstr(err.msg, "checksum") != NULL);
  lat_free(t);
  /* not an nkey at all */
  t = tu_token(TU_WASCAP_HDR, "{\"iss\":\"alice\",\"sub\":\"UA\"}", &acct, 64);
  REFUSED(t, LAT_CR_KEY_INVALID);
  lat_free(t);
  /* a curve key as issuer */
  lat_nkey_t x;
  lat_nkey_generate(LAT_NKEY_CURVE, &x, NULL);
  char xp[57];
  tu_pub(&x, xp);
  snprintf(buf, sizeof buf, "{\"iss\":\"%s\",\"sub\":\"UA\"}", xp);
  t = tu_token(TU_WASCAP_HDR, buf, &acct, 64);
  REFUSED(t, LAT_CR_ISSUER_TYPE);
  lat_free(t);
  lat_nkey_fini(&x);
  /* missing or empty iss/sub, mistyped times and jti */
  static const char *const fields[] = {"\"sub\":\"UA\"", "\"iss\":\"\",\"sub\":\"UA\"",
                                       "\"iss\":5,\"sub\":\"UA\""};
  for (int i = 0; i < 3; i++) {
    snprintf(buf, sizeof buf, "{%s}", fields[i]);
    t = tu_token(TU_WASCAP_HDR, buf, &acct, 64);
    REFUSED(t, LAT_CR_MISSING_CLAIM);
    lat_free(t);
  }
  static const char *const extras[] = {"\"exp\":\"soon\"", "\"exp\":-1", "\"nbf\":1.5",
                                       "\"iat\":true", "\"jti\":5"};
  for (int i = 0; i < 5; i++) {
    snprintf(buf, sizeof buf, "{\"iss\":\"%s\",\"sub\":\"UA\",%s}", acct_pub, extras[i]);
    t = tu_token(TU_WASCAP_HDR, buf, &acct, 64);
    REFUSED(t, LAT_CR_MISSING_CLAIM);
    lat_free(t);
  }
  t = tu_token(TU_WASCAP_HDR, claims_for("", ""), &acct, 64);
  REFUSED(t, LAT_CR_MISSING_CLAIM);
  lat_free(t);
  /* null times mean absent, as serde's Option does */
  const char *c = claims_for("UABC", "\"exp\":null");
  t = tu_token(TU_WASCAP_HDR, c, &acct, 64);
  CHECK_OK(lat_jwt_verify(t, strlen(t), NULL, &j, &r, NULL));
  CHECK(!j.has_exp);
  lat_jwt_fini(&j);
  lat_free(t);
  lat_nkey_fini(&acct);
}

static lat_status sweep_body(void *ctx) {
  (void)ctx;
  const char *c = claims_for("UABC", "\"name\":\"n\"");
  char *tok = NULL;
  lat_status s = lat_jwt_encode(LAT_JWT_ALG_NKEY, c, strlen(c), &acct, &tok, NULL);
  if (s) return s;
  lat_jwt_t j;
  s = lat_jwt_verify(tok, strlen(tok), NULL, &j, NULL, NULL);
  lat_jwt_fini(&j);
  lat_free(tok);
  return s;
}

TEST_IMPL(crypto_jwt_alloc_failures) {
  setup();
  int runs = CHECK_ALLOC_SWEEP(sweep_body, NULL);
  CHECK(runs > 3);
  lat_nkey_fini(&acct);
}
