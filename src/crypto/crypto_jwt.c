/* JWTs signed with nkeys: wascap's ("typ":"jwt","alg":"Ed25519") and NATS
 * v2's ("typ":"JWT","alg":"ed25519-nkey").  Both sign the ASCII bytes
 * `header.claims` with Ed25519 and encode every segment as base64url without
 * padding; the issuer's public nkey is the `iss` claim, so a token verifies
 * on its own and trust comes from checking *who* the issuer is (the claims
 * layer's key-type rules and the host's allow-list).
 *
 * Decoding goes outside-in and stops at the first fault, reporting a
 * lat_crypto_reason for it: segments, base64 of each, header JSON, typ, alg,
 * claims JSON, iss/sub present, signature length, issuer nkey (CRC), then the
 * signature itself, and only then the typed fields.  Nothing from the claims
 * is handed out before the signature has verified.  JSON is parsed by
 * jansson with duplicate keys rejected (two "iss" must not mean whichever
 * the reader picks) and NUL in strings refused.
 *
 * Times: exp and nbf as wascap and NATS check them, plus iat, which neither
 * checks: a token issued after now + skew comes from a wrong clock.  The
 * skew allowance applies to all three.
 *
 * Rejected: NATS v1 tokens ("alg":"ed25519", which sign the claims segment
 * alone): nothing in wasmCloud 1.x emits them, and accepting two signing
 * inputs for one alg family invites confusion. */
#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto_int.h"

#define LAT_JWT_MAX_LEN (1u << 20) /* a claims token is a few hundred bytes */

void lat_jwt_init(lat_jwt_t *j) { memset(j, 0, sizeof *j); }

void lat_jwt_fini(lat_jwt_t *j) {
  if (!j) return;
  lat_free(j->iss);
  lat_free(j->sub);
  lat_free(j->jti);
  lat_free(j->name);
  lat_free(j->claims_json);
  memset(j, 0, sizeof *j);
}

/* Decodes one base64url segment into a new NUL-terminated buffer. */
static lat_status decode_segment(const char *seg, size_t n, size_t seg_off,
                                 const char *what, uint8_t **out,
                                 size_t *out_len, lat_crypto_reason *reason,
                                 lat_error_t *err) {
  size_t cap = lat__crypto_b64url_dec_cap(n), bad;
  uint8_t *buf = lat_malloc(cap + 1);
  if (!buf)
    return lat__crypto_fail(reason, LAT_CR_OK, err, LAT_ENOMEM, SIZE_MAX,
                            "out of memory decoding a token");
  if (!lat__crypto_b64url_decode(seg, n, buf, cap, out_len, &bad)) {
    lat_free(buf);
    if (bad < n)
      return lat__crypto_fail(
          reason, LAT_CR_TOKEN_BASE64, err, LAT_EMALFORMED, seg_off + bad,
          "%s segment is not base64url: bad character '%c' at "
          "position %zu",
          what, seg[bad], seg_off + bad);
    return lat__crypto_fail(
        reason, LAT_CR_TOKEN_BASE64, err, LAT_EMALFORMED, seg_off,
        "%s segment is not canonical base64url without padding "
        "(bad length %zu or unused bits set)",
        what, n);
  }
  buf[*out_len] = '\0';
  *out = buf;
  return LAT_OK;
}

static json_t *parse_object(const uint8_t *p, size_t n) {
  json_error_t jerr;
  json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
  if (j && !json_is_object(j)) {
    json_decref(j);
    return NULL;
  }
  return j;
}

/* An optional non-negative integer claim: absent or null is fine. */
static bool get_time(json_t *claims, const char *key, bool *has, int64_t *v) {
  json_t *x = json_object_get(claims, key);
  *has = false;
  if (!x || json_is_null(x)) return true;
  if (!json_is_integer(x) || json_integer_value(x) < 0) return false;
  *has = true;
  *v = (int64_t)json_integer_value(x);
  return true;
}

static char *dup_string(json_t *x) {
  return lat_strndup(json_string_value(x), json_string_length(x));
}

lat_status lat_jwt_decode(const char *token, size_t len,
                          const lat_jwt_opts_t *opts, lat_jwt_t *out,
                          lat_crypto_reason *out_reason, lat_error_t *err) {
  lat_jwt_init(out);
  lat__crypto_reason(out_reason, LAT_CR_OK);
  if (!token) len = 0;
  if (len > LAT_JWT_MAX_LEN)
    return lat__crypto_fail(
        out_reason, LAT_CR_TOKEN_SEGMENTS, err, LAT_EMALFORMED, SIZE_MAX,
        "token of %zu bytes is too long (limit %u)", len, LAT_JWT_MAX_LEN);
  size_t dots[2], ndots = 0;
  for (size_t i = 0; i < len; i++)
    if (token[i] == '.') {
      if (ndots < 2) dots[ndots] = i;
      ndots++;
    }
  if (ndots != 2)
    return lat__crypto_fail(
        out_reason, LAT_CR_TOKEN_SEGMENTS, err, LAT_EMALFORMED, SIZE_MAX,
        "token has %zu segment%s, expected 3 (header.claims.signature)",
        len ? ndots + 1 : 0, ndots == 0 && len ? "" : "s");

  lat_status s;
  uint8_t *hdr = NULL, *body = NULL, *sig = NULL;
  size_t hdr_len, body_len, sig_len;
  json_t *jh = NULL, *jc = NULL;
  lat_nkey_t issuer;
  memset(&issuer, 0, sizeof issuer);

  if ((s = decode_segment(token, dots[0], 0, "header", &hdr, &hdr_len,
                          out_reason, err)))
    goto done;
  if (!(jh = parse_object(hdr, hdr_len))) {
    s = lat__crypto_fail(out_reason, LAT_CR_TOKEN_JSON, err, LAT_EMALFORMED, 0,
                         "token header is not a JSON object");
    goto done;
  }
  json_t *typ = json_object_get(jh, "typ"), *alg = json_object_get(jh, "alg");
  if (!json_is_string(typ) || strcasecmp(json_string_value(typ), "jwt") != 0) {
    s = lat__crypto_fail(
        out_reason, LAT_CR_TOKEN_TYPE, err, LAT_EMALFORMED, 0,
        "token header typ is %s%s%s, expected \"jwt\"",
        json_is_string(typ) ? "\"" : "",
        json_is_string(typ) ? json_string_value(typ) : "missing",
        json_is_string(typ) ? "\"" : "");
    goto done;
  }
  const char *alg_s = json_is_string(alg) ? json_string_value(alg) : NULL;
  if (alg_s && !strcmp(alg_s, "Ed25519")) out->alg = LAT_JWT_ALG_WASCAP;
  else if (alg_s && !strcmp(alg_s, "ed25519-nkey")) out->alg = LAT_JWT_ALG_NKEY;
  unsigned allowed = opts && opts->algs ? opts->algs
                                        : (LAT_JWT_ALG_WASCAP | LAT_JWT_ALG_NKEY);
  if (!out->alg || !(allowed & out->alg)) {
    s = lat__crypto_fail(
        out_reason, LAT_CR_TOKEN_ALG, err, LAT_EINVALID, 0,
        "token algorithm %s%s%s is not accepted here (want %s)",
        alg_s ? "\"" : "", alg_s ? alg_s : "missing", alg_s ? "\"" : "",
        allowed == LAT_JWT_ALG_WASCAP ? "\"Ed25519\""
        : allowed == LAT_JWT_ALG_NKEY ? "\"ed25519-nkey\""
                                      : "\"Ed25519\" or \"ed25519-nkey\"");
    out->alg = 0;
    goto done;
  }

  if ((s = decode_segment(token + dots[0] + 1, dots[1] - dots[0] - 1,
                          dots[0] + 1, "claims", &body, &body_len, out_reason,
                          err)))
    goto done;
  if (!(jc = parse_object(body, body_len))) {
    s = lat__crypto_fail(out_reason, LAT_CR_TOKEN_JSON, err, LAT_EMALFORMED,
                         dots[0] + 1, "token claims are not a JSON object");
    goto done;
  }
  json_t *iss = json_object_get(jc, "iss"), *sub = json_object_get(jc, "sub");
  if (!json_is_string(iss) || json_string_length(iss) == 0) {
    s = lat__crypto_fail(out_reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID,
                         SIZE_MAX, "token has no issuer (iss)");
    goto done;
  }
  if (!json_is_string(sub) || json_string_length(sub) == 0) {
    s = lat__crypto_fail(out_reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID,
                         SIZE_MAX, "token has no subject (sub)");
    goto done;
  }

  if ((s = decode_segment(token + dots[1] + 1, len - dots[1] - 1, dots[1] + 1,
                          "signature", &sig, &sig_len, out_reason, err)))
    goto done;
  if (sig_len != LAT_NKEY_SIG_LEN) {
    s = lat__crypto_fail(out_reason, LAT_CR_SIG_LENGTH, err, LAT_EMALFORMED,
                         dots[1] + 1, "signature is %zu bytes, expected %d",
                         sig_len, LAT_NKEY_SIG_LEN);
    goto done;
  }

  lat_error_t kerr;
  if (lat_nkey_from_public(json_string_value(iss), json_string_length(iss),
                           &issuer, &kerr)) {
    s = lat__crypto_fail(out_reason, LAT_CR_KEY_INVALID, err, LAT_EINVALID,
                         SIZE_MAX,
                         "issuer \"%.60s\" is not a valid public nkey: %s",
                         json_string_value(iss), kerr.msg);
    goto done;
  }
  if (issuer.type == LAT_NKEY_CURVE) {
    s = lat__crypto_fail(out_reason, LAT_CR_ISSUER_TYPE, err, LAT_EINVALID,
                         SIZE_MAX,
                         "issuer is a curve (X) key, which cannot sign");
    goto done;
  }
  if (lat_nkey_verify(&issuer, token, dots[1], sig, sig_len, &kerr)) {
    s = lat__crypto_fail(
        out_reason, LAT_CR_SIG_INVALID, err, LAT_EINVALID, dots[1] + 1,
        "signature does not verify with the issuer key %s: the token "
        "was altered or signed by another key",
        json_string_value(iss));
    goto done;
  }

  /* signature holds: now the typed fields */
  if (!get_time(jc, "iat", &out->has_iat, &out->iat) ||
      !get_time(jc, "exp", &out->has_exp, &out->exp) ||
      !get_time(jc, "nbf", &out->has_nbf, &out->nbf)) {
    s = lat__crypto_fail(
        out_reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID, SIZE_MAX,
        "iat, exp and nbf must be non-negative integers (unix seconds)");
    goto done;
  }
  json_t *jti = json_object_get(jc, "jti"), *name = json_object_get(jc, "name");
  if (jti && !json_is_null(jti) && !json_is_string(jti)) {
    s = lat__crypto_fail(out_reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID,
                         SIZE_MAX, "jti must be a string");
    goto done;
  }
  out->iss_type = issuer.type;
  out->iss = dup_string(iss);
  out->sub = dup_string(sub);
  if (json_is_string(jti)) out->jti = dup_string(jti);
  if (json_is_string(name)) out->name = dup_string(name);
  out->claims_json = (char *)body;
  out->claims_len = body_len;
  body = NULL;
  if (!out->iss || !out->sub || (json_is_string(jti) && !out->jti) ||
      (json_is_string(name) && !out->name)) {
    s = lat__crypto_fail(out_reason, LAT_CR_OK, err, LAT_ENOMEM, SIZE_MAX,
                         "out of memory decoding a token");
    goto done;
  }
  lat_nkey_type st;
  uint8_t key[32];
  if (!lat_nkey_decode_public(out->sub, strlen(out->sub), &st, key, NULL)) {
    out->sub_is_nkey = true;
    out->sub_type = st;
  }
  s = LAT_OK;
done:
  if (s) lat_jwt_fini(out);
  json_decref(jh);
  json_decref(jc);
  lat_free(hdr);
  lat_free(body);
  lat_free(sig);
  lat_nkey_fini(&issuer);
  return s;
}

lat_status lat_jwt_check_times(const lat_jwt_t *j, const lat_jwt_opts_t *opts,
                               lat_crypto_reason *out_reason, lat_error_t *err) {
  int64_t now = opts && opts->now ? opts->now : (int64_t)time(NULL);
  int64_t skew = opts ? (int64_t)opts->skew : 0;
  if (j->has_exp && now - skew > j->exp)
    return lat__crypto_fail(
        out_reason, LAT_CR_EXPIRED, err, LAT_EINVALID, SIZE_MAX,
        "token expired %lld s ago (exp %lld, now %lld, skew %lld s)",
        (long long)(now - j->exp), (long long)j->exp, (long long)now,
        (long long)skew);
  if (j->has_nbf && now + skew < j->nbf)
    return lat__crypto_fail(
        out_reason, LAT_CR_NOT_YET_VALID, err, LAT_EINVALID, SIZE_MAX,
        "token is not valid for another %lld s (nbf %lld, now %lld, "
        "skew %lld s)",
        (long long)(j->nbf - now), (long long)j->nbf, (long long)now,
        (long long)skew);
  if (j->has_iat && now + skew < j->iat)
    return lat__crypto_fail(
        out_reason, LAT_CR_ISSUED_IN_FUTURE, err, LAT_EINVALID, SIZE_MAX,
        "token was issued %lld s in the future (iat %lld, now %lld, "
        "skew %lld s): a clock is wrong",
        (long long)(j->iat - now), (long long)j->iat, (long long)now,
        (long long)skew);
  lat__crypto_reason(out_reason, LAT_CR_OK);
  return LAT_OK;
}

lat_status lat_jwt_verify(const char *token, size_t len,
                          const lat_jwt_opts_t *opts, lat_jwt_t *out,
                          lat_crypto_reason *out_reason, lat_error_t *err) {
  lat_status s = lat_jwt_decode(token, len, opts, out, out_reason, err);
  if (s) return s;
  if ((s = lat_jwt_check_times(out, opts, out_reason, err))) lat_jwt_fini(out);
  return s;
}

lat_status lat_jwt_encode(lat_jwt_alg alg, const char *claims_json, size_t len,
                          const lat_nkey_t *issuer, char **out_token,
                          lat_error_t *err) {
  static const char h_wascap[] = "{\"typ\":\"jwt\",\"alg\":\"Ed25519\"}";
  static const char h_nkey[] = "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";
  const char *hdr;
  if (alg == LAT_JWT_ALG_WASCAP) hdr = h_wascap;
  else if (alg == LAT_JWT_ALG_NKEY) hdr = h_nkey;
  else return lat_error_set(err, LAT_EARG, SIZE_MAX, "unknown JWT algorithm %d", (int)alg);

  json_t *jc = parse_object((const uint8_t *)claims_json, len);
  if (!jc)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "claims are not a JSON object");
  char pub[LAT_NKEY_PUBLIC_LEN + 1];
  lat_nkey_public_string(issuer, pub);
  json_t *iss = json_object_get(jc, "iss");
  bool iss_ok = json_is_string(iss) && !strcmp(json_string_value(iss), pub);
  json_decref(jc);
  if (!iss_ok)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "claims iss must be the signing key %s", pub);

  size_t hlen = strlen(hdr);
  size_t he = lat__crypto_b64url_enc_len(hlen), ce = lat__crypto_b64url_enc_len(len),
         se = lat__crypto_b64url_enc_len(LAT_NKEY_SIG_LEN);
  size_t total = he + 1 + ce + 1 + se + 1;
  if (ce > SIZE_MAX / 2)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "claims too large");
  char *tok = lat_malloc(total);
  if (!tok) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat__crypto_b64url_encode((const uint8_t *)hdr, hlen, tok);
  tok[he] = '.';
  lat__crypto_b64url_encode((const uint8_t *)claims_json, len, tok + he + 1);
  tok[he + 1 + ce] = '.';
  uint8_t sig[LAT_NKEY_SIG_LEN];
  lat_status s = lat_nkey_sign(issuer, tok, he + 1 + ce, sig, err);
  if (s) {
    lat_free(tok);
    return s;
  }
  lat__crypto_b64url_encode(sig, sizeof sig, tok + he + 1 + ce + 1);
  tok[total - 1] = '\0';
  *out_token = tok;
  return LAT_OK;
}
