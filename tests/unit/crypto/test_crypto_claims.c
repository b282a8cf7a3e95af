/* Unit tests for embedded claims: sign/extract round trips on a module and
 * on a component with nested modules, the wascap hash rules (claims
 * stripped at every depth, sizes re-encoded minimally), provider tokens, the
 * host's verify API, and every refusal: unsigned, one bit flipped in the
 * code, claims section truncated / duplicated / moved (to the front, into a
 * nested module), wrong key types as issuer or subject, issuer not on the
 * allow-list, expired, not yet valid, issued in the future, wrong alg,
 * garbage. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto_test_util.h"

typedef struct {
  lat_nkey_t acct, module, service, oper, user;
  char acct_pub[57];
} keys_t;

static void keys_init(keys_t *k) {
  lat_nkey_generate(LAT_NKEY_ACCOUNT, &k->acct, NULL);
  lat_nkey_generate(LAT_NKEY_MODULE, &k->module, NULL);
  lat_nkey_generate(LAT_NKEY_SERVICE, &k->service, NULL);
  lat_nkey_generate(LAT_NKEY_OPERATOR, &k->oper, NULL);
  lat_nkey_generate(LAT_NKEY_USER, &k->user, NULL);
  tu_pub(&k->acct, k->acct_pub);
}

static void keys_fini(keys_t *k) {
  lat_nkey_fini(&k->acct);
  lat_nkey_fini(&k->module);
  lat_nkey_fini(&k->service);
  lat_nkey_fini(&k->oper);
  lat_nkey_fini(&k->user);
}

static const char *const tags[] = {"wasmcloud.com/experimental", "demo"};

static lat_claims_sign_opts_t default_opts(void) {
  return (lat_claims_sign_opts_t){.name = "Hello World",
                                  .ver = "0.1.0",
                                  .has_rev = true,
                                  .rev = 3,
                                  .tags = tags,
                                  .tag_count = 2,
                                  .call_alias = " My-Component.v1 ",
                                  .now = 1700000000};
}

/* Signs src into out (reset first). */
static void sign(keys_t *k, const lat_buf_t *src, const lat_claims_sign_opts_t *o,
                 lat_buf_t *out) {
  out->len = 0;
  lat_error_t err;
  lat_status s = lat_claims_sign(src->data, src->len, o, &k->acct, &k->module, out, &err);
  if (s) fprintf(stderr, "  sign: %s\n", err.msg);
  REQUIRE_OK(s);
}

/* Extracts with now = 1700000100; checks status and reason. */
static void expect(const lat_buf_t *b, lat_status want_st, lat_crypto_reason want,
                   int line) {
  lat_claims_t c;
  lat_crypto_reason r = LAT_CR_OK;
  lat_error_t err;
  lat_error_clear(&err);
  lat_jwt_opts_t o = {.now = 1700000100};
  lat_status s = lat_claims_extract(b->data, b->len, &o, &c, &r, &err);
  if (s != want_st || r != want) {
    fprintf(stderr, "  line %d: got %s/%s, want %s/%s: %s\n", line,
            lat_status_name(s), lat_crypto_reason_name(r),
            lat_status_name(want_st), lat_crypto_reason_name(want), err.msg);
    CHECK(s == want_st && r == want);
  }
  if (s) {
    CHECK(err.msg[0] != '\0');
    CHECK(c.token == NULL && c.hash == NULL);
  }
  lat_claims_fini(&c);
}
#define EXPECT(b, st, reason) expect(b, st, reason, __LINE__)

/* Embeds a hand-made token: the stripped binary + a claims section. */
static void embed(const lat_buf_t *src, const char *token, lat_buf_t *out) {
  out->len = 0;
  REQUIRE_OK(lat_claims_strip(src->data, src->len, out, NULL));
  tu_custom(out, LAT_CLAIMS_SECTION, token, strlen(token));
}

/* A wascap token with custom claims JSON (printf format: %s = iss, %s = sub,
 * %s = hash), signed by signer. */
static char *craft(const lat_nkey_t *signer, const lat_nkey_t *subject,
                   const char *hash, const char *extra) {
  char iss[57], sub[57], json[1024];
  tu_pub(signer, iss);
  tu_pub(subject, sub);
  snprintf(json, sizeof json,
           "{\"jti\":\"j\",\"iat\":1700000000,\"iss\":\"%s\",\"sub\":\"%s\"%s"
           ",\"wascap\":{\"name\":\"x\",\"hash\":\"%s\",\"prov\":false},"
           "\"wascap_revision\":3}",
           iss, sub, extra, hash);
  return tu_token(TU_WASCAP_HDR, json, signer, 64);
}

TEST_IMPL(crypto_claims_sign_extract_module) {
  keys_t k;
  keys_init(&k);
  lat_buf_t src, out;
  lat_buf_init(&src);
  lat_buf_init(&out);
  tu_module(&src, 42);
  lat_claims_sign_opts_t o = default_opts();
  sign(&k, &src, &o, &out);
  /* the output is the input plus one section at the end */
  CHECK(out.len > src.len);
  CHECK_EQ_MEM(out.data, src.data, src.len);
  CHECK_EQ_UINT(out.data[src.len], 0);

  lat_claims_t c;
  lat_crypto_reason r;
  lat_jwt_opts_t jo = {.now = 1700000100};
  REQUIRE_OK(lat_claims_extract(out.data, out.len, &jo, &c, &r, NULL));
  CHECK_EQ_INT(r, LAT_CR_OK);
  char hash[65];
  REQUIRE_OK(lat_claims_hash(src.data, src.len, hash, NULL));
  CHECK_EQ_STR(c.hash, hash);
  char h2[65];
  REQUIRE_OK(lat_claims_hash(out.data, out.len, h2, NULL)); /* claims excluded */
  CHECK_EQ_STR(h2, hash);
  CHECK_EQ_STR(c.name, "Hello World");
  CHECK_EQ_STR(c.ver, "0.1.0");
  CHECK(c.has_rev);
  CHECK_EQ_INT(c.rev, 3);
  CHECK_EQ_UINT(c.tag_count, 2);
  CHECK_EQ_STR(c.tags[1], "demo");
  CHECK_EQ_STR(c.call_alias, "my_component_v1"); /* wascap's normalisation */
  CHECK(!c.prov);
  CHECK(!c.provider);
  CHECK_EQ_STR(c.jwt.iss, k.acct_pub);
  char mp[57];
  tu_pub(&k.module, mp);
  CHECK_EQ_STR(c.jwt.sub, mp);
  CHECK_EQ_INT(c.jwt.iat, 1700000000);
  CHECK(!c.jwt.has_exp && !c.jwt.has_nbf);
  CHECK(c.has_wascap_revision);
  CHECK_EQ_UINT(c.wascap_revision, 3);
  CHECK_EQ_UINT(strlen(c.jwt.jti), 22);
  /* serde's field order, so our tokens read like wash's */
  CHECK(strncmp(c.jwt.claims_json, "{\"jti\":", 7) == 0);
  CHECK(strstr(c.jwt.claims_json, "\"wascap\":{\"name\":\"Hello World\",\"hash\":") != NULL);
  lat_claims_fini(&c);

  /* re-signing replaces the claims: still exactly one section */
  lat_buf_t again;
  lat_buf_init(&again);
  o.name = "Renamed";
  sign(&k, &out, &o, &again);
  REQUIRE_OK(lat_claims_extract(again.data, again.len, &jo, &c, &r, NULL));
  CHECK_EQ_STR(c.name, "Renamed");
  CHECK_EQ_STR(c.hash, hash);
  lat_claims_fini(&c);
  lat_buf_fini(&again);
  lat_buf_fini(&src);
  lat_buf_fini(&out);
  keys_fini(&k);
}

TEST_IMPL(crypto_claims_component_nested) {
  keys_t k;
  keys_init(&k);
  lat_buf_t with, without, out;
  lat_buf_init(&with);
  lat_buf_init(&without);
  lat_buf_init(&out);
  tu_component(&with, true);
  tu_component(&without, false);
  /* nested claims sections are not part of the hash, at any depth */
  char h1[65], h2[65];
  REQUIRE_OK(lat_claims_hash(with.data, with.len, h1, NULL));
  REQUIRE_OK(lat_claims_hash(without.data, without.len, h2, NULL));
  CHECK_EQ_STR(h1, h2);
  lat_buf_t stripped;
  lat_buf_init(&stripped);
  REQUIRE_OK(lat_claims_strip(with.data, with.len, &stripped, NULL));
  CHECK_EQ_UINT(stripped.len, without.len);
  CHECK_EQ_MEM(stripped.data, without.data, without.len);
  lat_buf_fini(&stripped);

  /* nested claims alone do not sign the component */
  EXPECT(&with, LAT_ENOTFOUND, LAT_CR_UNSIGNED);

  lat_claims_sign_opts_t o = default_opts();
  sign(&k, &with, &o, &out);
  lat_claims_t c;
  lat_jwt_opts_t jo = {.now = 1700000100};
  REQUIRE_OK(lat_claims_extract(out.data, out.len, &jo, &c, NULL, NULL));
  CHECK_EQ_STR(c.hash, h2);
  lat_claims_fini(&c);
  /* the signed output carries no nested claims any more */
  CHECK_EQ_MEM(out.data, without.data, without.len);

  /* a bit flipped inside the nested component's module */
  size_t at = 0;
  for (size_t i = without.len; i-- > 0;)
    if (out.data[i] == 7 && out.data[i - 1] == 0x41) { at = i; break; }
  REQUIRE(at > 0);
  out.data[at] ^= 0x01;
  EXPECT(&out, LAT_EINVALID, LAT_CR_HASH_MISMATCH);
  lat_buf_fini(&with);
  lat_buf_fini(&without);
  lat_buf_fini(&out);
  keys_fini(&k);
}

TEST_IMPL(crypto_claims_hash_minimal_leb) {
  /* the same module with a padded section size hashes like the minimal
   * one: wascap re-encodes every section (wasm-encoder's RawSection) */
  lat_buf_t a, b;
  lat_buf_init(&a);
  lat_buf_init(&b);
  static const uint8_t type[] = {0x01, 0x60, 0x00, 0x00};
  tu_module_header(&a);
  tu_section(&a, 1, type, sizeof type);
  tu_module_header(&b);
  lat_buf_push(&b, 1);
  lat_buf_append(&b, "\x84\x80\x80\x80\x00", 5); /* 4, padded to 5 bytes */
  lat_buf_append(&b, type, sizeof type);
  char ha[65], hb[65];
  REQUIRE_OK(lat_claims_hash(a.data, a.len, ha, NULL));
  REQUIRE_OK(lat_claims_hash(b.data, b.len, hb, NULL));
  CHECK_EQ_STR(ha, hb);
  /* and a header-only module is fine */
  a.len = 8;
  REQUIRE_OK(lat_claims_hash(a.data, a.len, ha, NULL));
  lat_buf_fini(&a);
  lat_buf_fini(&b);
}

TEST_IMPL(crypto_claims_refuse_unsigned_and_tampered) {
  keys_t k;
  keys_init(&k);
  lat_buf_t src, out;
  lat_buf_init(&src);
  lat_buf_init(&out);
  tu_module(&src, 42);
  EXPECT(&src, LAT_ENOTFOUND, LAT_CR_UNSIGNED);
  lat_claims_sign_opts_t o = default_opts();
  sign(&k, &src, &o, &out);
  EXPECT(&out, LAT_OK, LAT_CR_OK);
  /* one bit flipped in the code (the i32.const immediate) */
  size_t at = 0;
  for (size_t i = 0; i + 1 < src.len; i++)
    if (out.data[i] == 0x41 && out.data[i + 1] == 42) at = i + 1;
  REQUIRE(at > 0);
  out.data[at] ^= 0x04;
  EXPECT(&out, LAT_EINVALID, LAT_CR_HASH_MISMATCH);
  out.data[at] ^= 0x04;
  /* one bit flipped in the token's claims segment */
  size_t tok = src.len + 17;
  out.data[tok + 60] ^= 0x01;
  lat_claims_t c;
  lat_crypto_reason r;
  CHECK(lat_claims_extract(out.data, out.len, NULL, &c, &r, NULL) != LAT_OK);
  CHECK(r == LAT_CR_SIG_INVALID || r == LAT_CR_TOKEN_BASE64 || r == LAT_CR_TOKEN_JSON);
  out.data[tok + 60] ^= 0x01;
  EXPECT(&out, LAT_OK, LAT_CR_OK);
  lat_buf_fini(&src);
  lat_buf_fini(&out);
  keys_fini(&k);
}

TEST_IMPL(crypto_claims_refuse_section_games) {
  keys_t k;
  keys_init(&k);
  lat_buf_t src, out, b;
  lat_buf_init(&src);
  lat_buf_init(&out);
  lat_buf_init(&b);
  tu_module(&src, 42);
  lat_claims_sign_opts_t o = default_opts();
  sign(&k, &src, &o, &out);
  const uint8_t *sec = out.data + src.len;
  size_t sec_len = out.len - src.len;

  /* truncated: the file cut inside the claims section */
  for (size_t cut = 1; cut < sec_len; cut += 37) {
    b.len = 0;
    lat_buf_append(&b, out.data, out.len - cut);
    EXPECT(&b, LAT_EMALFORMED, LAT_CR_WASM_MALFORMED);
  }
  /* truncated token with a consistent section size */
  lat_claims_t c;
  lat_crypto_reason r;
  lat_jwt_opts_t jo = {.now = 1700000100};
  const char *token = (const char *)sec + 1 + 2 + 1 + 13; /* id, size, name */
  size_t tlen = sec_len - (1 + 2 + 1 + 13);
  REQUIRE(token[0] == 'e'); /* base64url of '{"' */
  for (size_t keep = 0; keep < tlen; keep += tlen / 7 + 1) {
    b.len = 0;
    lat_buf_append(&b, src.data, src.len);
    tu_custom(&b, LAT_CLAIMS_SECTION, token, keep);
    CHECK(lat_claims_extract(b.data, b.len, &jo, &c, &r, NULL) != LAT_OK);
    CHECK(r == LAT_CR_TOKEN_SEGMENTS || r == LAT_CR_TOKEN_BASE64 ||
          r == LAT_CR_TOKEN_JSON || r == LAT_CR_SIG_LENGTH);
  }
  /* duplicated */
  b.len = 0;
  lat_buf_append(&b, out.data, out.len);
  lat_buf_append(&b, sec, sec_len);
  EXPECT(&b, LAT_EINVALID, LAT_CR_CLAIMS_DUPLICATE);
  /* a legacy `jwt` section next to the new one is a duplicate too */
  b.len = 0;
  lat_buf_append(&b, src.data, src.len);
  tu_custom(&b, LAT_CLAIMS_SECTION_LEGACY, token, tlen);
  lat_buf_append(&b, sec, sec_len);
  EXPECT(&b, LAT_EINVALID, LAT_CR_CLAIMS_DUPLICATE);
  /* moved to the front (right after the header) */
  b.len = 0;
  lat_buf_append(&b, src.data, 8);
  lat_buf_append(&b, sec, sec_len);
  lat_buf_append(&b, src.data + 8, src.len - 8);
  EXPECT(&b, LAT_EINVALID, LAT_CR_CLAIMS_MISPLACED);
  /* a section added after signing */
  b.len = 0;
  lat_buf_append(&b, out.data, out.len);
  tu_custom(&b, "extra", "x", 1);
  EXPECT(&b, LAT_EINVALID, LAT_CR_CLAIMS_MISPLACED);
  /* moved into a nested module of a component: unsigned */
  b.len = 0;
  tu_component_header(&b);
  tu_section(&b, 1, out.data, out.len);
  EXPECT(&b, LAT_ENOTFOUND, LAT_CR_UNSIGNED);
  /* the legacy name alone at the top level is read */
  b.len = 0;
  lat_buf_append(&b, src.data, src.len);
  tu_custom(&b, LAT_CLAIMS_SECTION_LEGACY, token, tlen);
  EXPECT(&b, LAT_OK, LAT_CR_OK);
  lat_buf_fini(&src);
  lat_buf_fini(&out);
  lat_buf_fini(&b);
  keys_fini(&k);
}

TEST_IMPL(crypto_claims_refuse_key_types) {
  keys_t k;
  keys_init(&k);
  lat_buf_t src, b;
  lat_buf_init(&src);
  lat_buf_init(&b);
  tu_module(&src, 42);
  char hash[65];
  REQUIRE_OK(lat_claims_hash(src.data, src.len, hash, NULL));
  /* control: a crafted token from the right keys passes */
  char *t = craft(&k.acct, &k.module, hash, "");
  embed(&src, t, &b);
  EXPECT(&b, LAT_OK, LAT_CR_OK);
  lat_free(t);
  /* issuers that are not accounts */
  const lat_nkey_t *bad_iss[] = {&k.oper, &k.user, &k.module};
  for (int i = 0; i < 3; i++) {
    t = craft(bad_iss[i], &k.module, hash, "");
    embed(&src, t, &b);
    EXPECT(&b, LAT_EINVALID, LAT_CR_ISSUER_TYPE);
    lat_free(t);
  }
  /* subjects that are not module keys (a provider's V key too) */
  const lat_nkey_t *bad_sub[] = {&k.user, &k.acct, &k.service};
  for (int i = 0; i < 3; i++) {
    t = craft(&k.acct, bad_sub[i], hash, "");
    embed(&src, t, &b);
    EXPECT(&b, LAT_EINVALID, LAT_CR_SUBJECT_TYPE);
    lat_free(t);
  }
  /* a subject that is no key at all (wascap's tests use "test.wasm") */
  char json[512];
  snprintf(json, sizeof json,
           "{\"iss\":\"%s\",\"sub\":\"test.wasm\",\"wascap\":{\"hash\":\"%s\"}}",
           k.acct_pub, hash);
  t = tu_token(TU_WASCAP_HDR, json, &k.acct, 64);
  embed(&src, t, &b);
  EXPECT(&b, LAT_EINVALID, LAT_CR_KEY_INVALID);
  lat_free(t);
  /* the signing API refuses wrong key types up front */
  lat_claims_sign_opts_t o = default_opts();
  lat_error_t err;
  b.len = 0;
  CHECK_ST(lat_claims_sign(src.data, src.len, &o, &k.oper, &k.module, &b, &err), LAT_EARG);
  CHECK(strstr(err.msg, "account") != NULL);
  CHECK_ST(lat_claims_sign(src.data, src.len, &o, &k.acct, &k.user, &b, &err), LAT_EARG);
  CHECK(strstr(err.msg, "module") != NULL);
  lat_nkey_t pub_only;
  char ap[57];
  tu_pub(&k.acct, ap);
  lat_nkey_from_public(ap, 56, &pub_only, NULL);
  CHECK_ST(lat_claims_sign(src.data, src.len, &o, &pub_only, &k.module, &b, &err), LAT_EARG);
  o.name = NULL;
  CHECK_ST(lat_claims_sign(src.data, src.len, &o, &k.acct, &k.module, &b, &err), LAT_EARG);
  CHECK_EQ_UINT(b.len, 0);
  lat_buf_fini(&src);
  lat_buf_fini(&b);
  keys_fini(&k);
}

TEST_IMPL(crypto_claims_refuse_times_alg_fields) {
  keys_t k;
  keys_init(&k);
  lat_buf_t src, b;
  lat_buf_init(&src);
  lat_buf_init(&b);
  tu_module(&src, 42);
  lat_claims_sign_opts_t o = default_opts();
  o.expires = 1700000050; /* before "now" (1700000100) */
  sign(&k, &src, &o, &b);
  EXPECT(&b, LAT_EINVALID, LAT_CR_EXPIRED);
  o.expires = 0;
  o.not_before = 1700000500;
  sign(&k, &src, &o, &b);
  EXPECT(&b, LAT_EINVALID, LAT_CR_NOT_YET_VALID);
  /* signed by a clock 400 s ahead */
  lat_claims_sign_opts_t ahead = default_opts();
  ahead.now = 1700000500;
  lat_buf_t fut;
  lat_buf_init(&fut);
  sign(&k, &src, &ahead, &fut);
  EXPECT(&fut, LAT_EINVALID, LAT_CR_ISSUED_IN_FUTURE);
  lat_buf_fini(&fut);
  /* the skew allowance of the policy lets it through */
  lat_claims_policy_t pol = {.time = {.now = 1700000100, .skew = 600}};
  lat_claims_t c;
  lat_crypto_reason r;
  CHECK_OK(lat_claims_verify(b.data, b.len, &pol, &c, &r, NULL));
  lat_claims_fini(&c);

  char hash[65];
  REQUIRE_OK(lat_claims_hash(src.data, src.len, hash, NULL));
  /* a NATS-style token (ed25519-nkey) inside a module: wrong alg here */
  char mp[57], json[1024];
  tu_pub(&k.module, mp);
  snprintf(json, sizeof json,
           "{\"iss\":\"%s\",\"sub\":\"%s\",\"wascap\":{\"hash\":\"%s\"}}",
           k.acct_pub, mp, hash);
  char *t = tu_token("{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}", json, &k.acct, 64);
  embed(&src, t, &b);
  EXPECT(&b, LAT_EINVALID, LAT_CR_TOKEN_ALG);
  lat_free(t);
  /* no wascap object, no hash, mistyped fields */
  static const char *const bodies[] = {
      "", ",\"wascap\":{\"name\":\"x\"}", ",\"wascap\":{\"hash\":5}",
      ",\"wascap\":{\"hash\":\"%s\",\"tags\":\"a\"}",
      ",\"wascap\":{\"hash\":\"%s\",\"rev\":4294967296}",
      ",\"wascap\":{\"hash\":\"%s\",\"prov\":\"yes\"}",
      ",\"wascap\":{\"hash\":\"%s\"},\"wascap_revision\":-1"};
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    char w[256];
    snprintf(w, sizeof w, bodies[i], hash);
    snprintf(json, sizeof json, "{\"iss\":\"%s\",\"sub\":\"%s\"%s}", k.acct_pub, mp, w);
    t = tu_token(TU_WASCAP_HDR, json, &k.acct, 64);
    embed(&src, t, &b);
    EXPECT(&b, LAT_EINVALID, LAT_CR_MISSING_CLAIM);
    lat_free(t);
  }
  /* a token whose hash belongs to another module */
  t = craft(&k.acct, &k.module, "00", "");
  embed(&src, t, &b);
  EXPECT(&b, LAT_EINVALID, LAT_CR_HASH_MISMATCH);
  lat_free(t);
  lat_buf_fini(&src);
  lat_buf_fini(&b);
  keys_fini(&k);
}

TEST_IMPL(crypto_claims_verify_policy) {
  keys_t k;
  keys_init(&k);
  lat_buf_t src, b;
  lat_buf_init(&src);
  lat_buf_init(&b);
  tu_module(&src, 42);
  lat_claims_sign_opts_t o = default_opts();
  sign(&k, &src, &o, &b);
  lat_claims_t c;
  lat_crypto_reason r;
  lat_error_t err;
  /* open policy: unsigned runs, signed is checked */
  CHECK_OK(lat_claims_verify(src.data, src.len, NULL, &c, &r, NULL));
  CHECK_EQ_INT(r, LAT_CR_UNSIGNED);
  CHECK(c.token == NULL);
  lat_claims_fini(&c);
  CHECK_OK(lat_claims_verify(b.data, b.len, NULL, &c, &r, NULL));
  CHECK_EQ_INT(r, LAT_CR_OK);
  CHECK(c.token != NULL);
  lat_claims_fini(&c);
  /* require_signed */
  lat_claims_policy_t pol = {.require_signed = true};
  CHECK_ST(lat_claims_verify(src.data, src.len, &pol, &c, &r, &err), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_UNSIGNED);
  CHECK(strstr(err.msg, "not signed") != NULL);
  /* allow-list */
  lat_nkey_t other;
  lat_nkey_generate(LAT_NKEY_ACCOUNT, &other, NULL);
  char op[57];
  tu_pub(&other, op);
  const char *only_other[] = {op};
  pol = (lat_claims_policy_t){.allowed_issuers = only_other, .allowed_count = 1};
  CHECK_ST(lat_claims_verify(b.data, b.len, &pol, &c, &r, &err), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_ISSUER_NOT_ALLOWED);
  CHECK(strstr(err.msg, k.acct_pub) != NULL);
  CHECK(c.token == NULL);
  CHECK_ST(lat_claims_verify(src.data, src.len, &pol, &c, &r, &err), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_UNSIGNED); /* an allow-list implies signed */
  const char *both[] = {op, k.acct_pub};
  pol.allowed_issuers = both;
  pol.allowed_count = 2;
  CHECK_OK(lat_claims_verify(b.data, b.len, &pol, &c, &r, NULL));
  CHECK_EQ_INT(r, LAT_CR_OK);
  CHECK_EQ_STR(c.name, "Hello World");
  lat_claims_fini(&c);
  /* garbage is refused, not crashed on */
  static const char *const junk[] = {"", "\0asm", "\0asm\1\0\0", "\0asm\2\0\0\0",
                                     "\0asm\1\0\0\0\x0e\0", "\0asm\1\0\0\0\x01\x05\0"};
  static const size_t junk_len[] = {0, 4, 7, 8, 10, 11};
  for (size_t i = 0; i < 6; i++) {
    CHECK_ST(lat_claims_verify((const uint8_t *)junk[i], junk_len[i], NULL, &c, &r, &err),
             LAT_EMALFORMED);
    CHECK_EQ_INT(r, LAT_CR_WASM_MALFORMED);
  }
  CHECK_ST(lat_claims_verify(NULL, 0, NULL, &c, &r, &err), LAT_EMALFORMED);
  lat_nkey_fini(&other);
  lat_buf_fini(&src);
  lat_buf_fini(&b);
  keys_fini(&k);
}

TEST_IMPL(crypto_claims_provider_token) {
  keys_t k;
  keys_init(&k);
  static const char *const tk[] = {"x86_64-linux", "aarch64-linux"};
  static const char *const th[] = {"AB12", "CD34"};
  lat_claims_provider_opts_t po = {.name = "kv-redis",
                                   .vendor = "wasmCloud",
                                   .has_rev = true,
                                   .rev = 1,
                                   .ver = "1.2.3",
                                   .target_keys = tk,
                                   .target_hashes = th,
                                   .target_count = 2,
                                   .config_schema = "{\"type\":\"object\"}",
                                   .now = 1700000000};
  char *tok = NULL;
  REQUIRE_OK(lat_claims_encode_provider(&po, &k.acct, &k.service, &tok, NULL));
  lat_claims_t c;
  lat_crypto_reason r;
  lat_jwt_opts_t jo = {.now = 1700000100};
  REQUIRE_OK(lat_claims_decode_token(tok, strlen(tok), &jo, &c, &r, NULL));
  CHECK(c.provider);
  CHECK_EQ_STR(c.name, "kv-redis");
  CHECK_EQ_STR(c.vendor, "wasmCloud");
  CHECK_EQ_STR(c.ver, "1.2.3");
  CHECK_EQ_INT(c.rev, 1);
  CHECK_EQ_UINT(c.target_count, 2);
  CHECK_EQ_STR(c.target_keys[1], "aarch64-linux");
  CHECK_EQ_STR(c.target_hashes[1], "CD34");
  CHECK_EQ_STR(c.config_schema, "{\"type\":\"object\"}");
  lat_claims_fini(&c);
  /* a provider token is not a component's claims */
  lat_buf_t src, b;
  lat_buf_init(&src);
  lat_buf_init(&b);
  tu_module(&src, 1);
  embed(&src, tok, &b);
  EXPECT(&b, LAT_EINVALID, LAT_CR_SUBJECT_TYPE);
  lat_free(tok);
  /* refusals when encoding */
  lat_error_t err;
  CHECK_ST(lat_claims_encode_provider(&po, &k.acct, &k.module, &tok, &err), LAT_EARG);
  po.config_schema = "{nope";
  CHECK_ST(lat_claims_encode_provider(&po, &k.acct, &k.service, &tok, &err), LAT_EARG);
  po.config_schema = NULL;
  po.vendor = NULL;
  CHECK_ST(lat_claims_encode_provider(&po, &k.acct, &k.service, &tok, &err), LAT_EARG);
  /* a provider token without vendor/target_hashes */
  char sp[57], json[512];
  tu_pub(&k.service, sp);
  snprintf(json, sizeof json, "{\"iss\":\"%s\",\"sub\":\"%s\",\"wascap\":{\"name\":\"p\"}}",
           k.acct_pub, sp);
  char *t = tu_token(TU_WASCAP_HDR, json, &k.acct, 64);
  CHECK_ST(lat_claims_decode_token(t, strlen(t), NULL, &c, &r, &err), LAT_EINVALID);
  CHECK_EQ_INT(r, LAT_CR_MISSING_CLAIM);
  lat_free(t);
  lat_buf_fini(&src);
  lat_buf_fini(&b);
  keys_fini(&k);
}

typedef struct {
  keys_t *k;
  lat_buf_t *src;
} sweep_ctx;

static lat_status sweep_body(void *vctx) {
  sweep_ctx *x = vctx;
  lat_claims_sign_opts_t o = default_opts();
  lat_buf_t out;
  lat_buf_init(&out);
  lat_status s = lat_claims_sign(x->src->data, x->src->len, &o, &x->k->acct,
                                 &x->k->module, &out, NULL);
  if (!s) {
    lat_claims_t c;
    lat_jwt_opts_t jo = {.now = 1700000100};
    s = lat_claims_extract(out.data, out.len, &jo, &c, NULL, NULL);
    lat_claims_fini(&c);
  }
  lat_buf_fini(&out);
  return s;
}

TEST_IMPL(crypto_claims_alloc_failures) {
  keys_t k;
  keys_init(&k);
  lat_buf_t src;
  lat_buf_init(&src);
  tu_component(&src, true);
  sweep_ctx x = {&k, &src};
  int runs = CHECK_ALLOC_SWEEP(sweep_body, &x);
  CHECK(runs > 10);
  lat_buf_fini(&src);
  keys_fini(&k);
}
