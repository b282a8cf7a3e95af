/* nkeys_tool: a command-line face of src/crypto for the interoperability
 * tests (interop.mjs drives it from Node against @nats-io/nkeys and
 * @nats-io/jwt).  Binary values travel as hex; each command prints one line
 * and exits 0, or prints `error <REASON> <message>` and exits 1.
 *
 *   gen TYPE                           -> SEED PUBLIC
 *   pub SEED                           -> PUBLIC
 *   sign SEED HEX                      -> SIGHEX
 *   verify PUBLIC HEX SIGHEX           -> ok
 *   seal SENDER_SEED RECIPIENT_PUB HEX -> BOXHEX
 *   open RECIPIENT_SEED SENDER_PUB HEX -> PLAINHEX
 *   jwt-verify TOKEN [NOW]             -> ALG ISS SUB NAME
 *   jwt-user ACCOUNT_SEED USER_PUB NAME [EXP] -> TOKEN (NATS v2 user JWT)
 *   jwt-account OPERATOR_SEED ACCOUNT_PUB NAME -> TOKEN (NATS v2 account JWT)
 *   sign-wasm ISSUER_SEED SUBJECT_SEED NAME IN OUT  -> hash (signs a binary)
 *   extract FILE                       -> ok NAME HASH ISS SUB (verifies claims) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"

static int die(const char *reason, const char *msg) {
  printf("error %s %s\n", reason, msg);
  return 1;
}

static uint8_t *unhex(const char *h, size_t *n) {
  size_t l = strlen(h);
  if (l % 2) return NULL;
  uint8_t *o = malloc(l / 2 + 1);
  if (!o) return NULL;
  for (size_t i = 0; i < l / 2; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1) {
      free(o);
      return NULL;
    }
    o[i] = (uint8_t)v;
  }
  *n = l / 2;
  return o;
}

static void puthex(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\n");
}

static int load_seed(const char *s, lat_nkey_t *k) {
  lat_error_t err;
  if (lat_nkey_from_seed(s, strlen(s), k, &err)) return die("LAT_CR_KEY_INVALID", err.msg);
  return 0;
}

static int load_pub(const char *s, lat_nkey_t *k) {
  lat_error_t err;
  if (lat_nkey_from_public(s, strlen(s), k, &err)) return die("LAT_CR_KEY_INVALID", err.msg);
  return 0;
}

static int nats_jwt(const char *seed, const char *sub, const char *name,
                    const char *type, long exp) {
  lat_nkey_t k;
  if (load_seed(seed, &k)) return 1;
  char iss[LAT_NKEY_PUBLIC_LEN + 1], json[2048], exps[64] = "";
  lat_nkey_public_string(&k, iss);
  if (exp) snprintf(exps, sizeof exps, "\"exp\":%ld,", exp);
  const char *body = !strcmp(type, "user")
                         ? "\"pub\":{},\"sub\":{},\"subs\":-1,\"data\":-1,\"payload\":-1,"
                         : "\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,"
                           "\"imports\":-1,\"exports\":-1,\"wildcards\":true,"
                           "\"conn\":-1,\"leaf\":-1},";
  snprintf(json, sizeof json,
           "{%s\"jti\":\"LATTICEJTI%ld\",\"iat\":%ld,\"iss\":\"%s\",\"name\":\"%s\","
           "\"sub\":\"%s\",\"nats\":{%s\"type\":\"%s\",\"version\":2}}",
           exps, (long)time(NULL), (long)time(NULL), iss, name, sub, body, type);
  char *tok = NULL;
  lat_error_t err;
  if (lat_jwt_encode(LAT_JWT_ALG_NKEY, json, strlen(json), &k, &tok, &err))
    return die("ENCODE", err.msg);
  printf("%s\n", tok);
  lat_free(tok);
  lat_nkey_fini(&k);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return die("USAGE", "see nkeys_tool.c");
  const char *cmd = argv[1];
  lat_nkey_t a, b;
  lat_error_t err;
  if (!strcmp(cmd, "gen") && argc == 3) {
    lat_nkey_type t;
    if (!lat_nkey_type_parse(argv[2], &t)) return die("USAGE", "bad type");
    if (lat_nkey_generate(t, &a, &err)) return die("GEN", err.msg);
    char s[LAT_NKEY_SEED_LEN + 1], p[LAT_NKEY_PUBLIC_LEN + 1];
    lat_nkey_seed_string(&a, s, NULL);
    lat_nkey_public_string(&a, p);
    printf("%s %s\n", s, p);
    return 0;
  }
  if (!strcmp(cmd, "pub") && argc == 3) {
    if (load_seed(argv[2], &a)) return 1;
    char p[LAT_NKEY_PUBLIC_LEN + 1];
    lat_nkey_public_string(&a, p);
    printf("%s\n", p);
    return 0;
  }
  if (!strcmp(cmd, "sign") && argc == 4) {
    if (load_seed(argv[2], &a)) return 1;
    size_t n;
    uint8_t *m = unhex(argv[3], &n), sig[64];
    if (!m) return die("USAGE", "bad hex");
    if (lat_nkey_sign(&a, m, n, sig, &err)) return die("SIGN", err.msg);
    puthex(sig, 64);
    free(m);
    return 0;
  }
  if (!strcmp(cmd, "verify") && argc == 5) {
    if (load_pub(argv[2], &a)) return 1;
    size_t n, sn;
    uint8_t *m = unhex(argv[3], &n), *sig = unhex(argv[4], &sn);
    if (!m || !sig) return die("USAGE", "bad hex");
    lat_status s = lat_nkey_verify(&a, m, n, sig, sn, &err);
    free(m);
    free(sig);
    if (s) return die(lat_status_name(s), err.msg);
    printf("ok\n");
    return 0;
  }
  if ((!strcmp(cmd, "seal") || !strcmp(cmd, "open")) && argc == 5) {
    if (load_seed(argv[2], &a) || load_pub(argv[3], &b)) return 1;
    size_t n;
    uint8_t *m = unhex(argv[4], &n);
    if (!m) return die("USAGE", "bad hex");
    lat_buf_t out;
    lat_buf_init(&out);
    lat_status s = !strcmp(cmd, "seal") ? lat_xkey_seal(&a, &b, m, n, &out, &err)
                                        : lat_xkey_open(&a, &b, m, n, &out, &err);
    free(m);
    if (s) {
      lat_buf_fini(&out);
      return die(lat_status_name(s), err.msg);
    }
    puthex(out.data, out.len);
    lat_buf_fini(&out);
    return 0;
  }
  if (!strcmp(cmd, "jwt-verify") && (argc == 3 || argc == 4)) {
    lat_jwt_opts_t o = {.now = argc == 4 ? atol(argv[3]) : 0};
    lat_jwt_t j;
    lat_crypto_reason r;
    if (lat_jwt_verify(argv[2], strlen(argv[2]), &o, &j, &r, &err))
      return die(lat_crypto_reason_name(r), err.msg);
    printf("%s %s %s %s\n", j.alg == LAT_JWT_ALG_NKEY ? "ed25519-nkey" : "Ed25519",
           j.iss, j.sub, j.name ? j.name : "-");
    lat_jwt_fini(&j);
    return 0;
  }
  if (!strcmp(cmd, "jwt-user") && (argc == 5 || argc == 6))
    return nats_jwt(argv[2], argv[3], argv[4], "user", argc == 6 ? atol(argv[5]) : 0);
  if (!strcmp(cmd, "sign-wasm") && argc == 7) {
    if (load_seed(argv[2], &a) || load_seed(argv[3], &b)) return 1;
    uint8_t *data;
    size_t len;
    if (lat_file_read(argv[5], &data, &len, &err)) return die("IO", err.msg);
    lat_claims_sign_opts_t o = {.name = argv[4], .ver = "1.0.0"};
    lat_buf_t out;
    lat_buf_init(&out);
    lat_status s = lat_claims_sign(data, len, &o, &a, &b, &out, &err);
    lat_free(data);
    if (s) {
      lat_buf_fini(&out);
      return die(lat_status_name(s), err.msg);
    }
    FILE *f = fopen(argv[6], "wb");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f)) {
      lat_buf_fini(&out);
      return die("IO", "cannot write output");
    }
    char hash[65];
    lat_claims_hash(out.data, out.len, hash, NULL);
    printf("%s\n", hash);
    lat_buf_fini(&out);
    return 0;
  }
  if (!strcmp(cmd, "extract") && argc == 3) {
    uint8_t *data;
    size_t len;
    if (lat_file_read(argv[2], &data, &len, &err)) return die("IO", err.msg);
    lat_claims_t c;
    lat_crypto_reason r;
    lat_status s = lat_claims_extract(data, len, NULL, &c, &r, &err);
    lat_free(data);
    if (s) return die(lat_crypto_reason_name(r), err.msg);
    printf("ok %s %s %s %s\n", c.name ? c.name : "-", c.hash, c.jwt.iss, c.jwt.sub);
    lat_claims_fini(&c);
    return 0;
  }
  if (!strcmp(cmd, "jwt-account") && argc == 5)
    return nats_jwt(argv[2], argv[3], argv[4], "account", 0);
  return die("USAGE", "unknown command or wrong argument count");
}
