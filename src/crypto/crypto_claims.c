/* wascap claims: sign a module or component, extract its claims, and decide
 * whether a host may run it (PROTOCOL.md §6).
 *
 * Signing follows wascap's embed_claims: strip every claims section (nested
 * ones too, crypto_wasm.c), hash the rest (uppercase hex SHA-256), put the
 * hash in the token's `wascap.hash`, and append the token as a custom
 * section `wasmcloud_jwt` at the end of the top level.  The claims JSON has
 * serde's field order (exp, jti, iat, iss, sub, nbf, wascap,
 * wascap_revision) so our tokens read like wash's.
 *
 * Extraction is stricter than wascap's, on purpose, because a host decides
 * on it:
 *   - exactly one top-level claims section, and it must be the last section
 *     (signing always appends; anything else means the binary was edited
 *     after signing).  wascap takes the first one it meets.
 *   - claims sections inside nested modules are stripped for the hash but
 *     never read: wascap's `name=="jwt" || (name=="wasmcloud_jwt" &&
 *     depth==0)` reads a nested legacy `jwt` section, an operator-precedence
 *     accident that would let an inner module's token speak for the whole
 *     component.
 *   - the hash must match whatever `wascap_revision` says (wascap skips the
 *     check below revision 3, which would let any pre-2021 token be pasted
 *     onto any binary).
 *   - the issuer must be an account (A) key and the subject a module (M) key
 *     for components, or a service (V) key for provider tokens.
 * Order of checks: structure, token, signature, key types, hash, times,
 * allow-list; the first failure is the reason reported. */
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "crypto_int.h"

void lat_claims_init(lat_claims_t *c) { memset(c, 0, sizeof *c); }

static void free_strv(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) lat_free(v[i]);
  lat_free(v);
}

void lat_claims_fini(lat_claims_t *c) {
  if (!c) return;
  lat_jwt_fini(&c->jwt);
  lat_free(c->token);
  lat_free(c->name);
  lat_free(c->hash);
  free_strv(c->tags, c->tag_count);
  lat_free(c->ver);
  lat_free(c->call_alias);
  lat_free(c->vendor);
  free_strv(c->target_keys, c->target_count);
  free_strv(c->target_hashes, c->target_count);
  lat_free(c->config_schema);
  memset(c, 0, sizeof *c);
}

/* ---- building tokens ---------------------------------------------------------- */

/* A nuid-shaped id: 22 characters of [0-9A-Za-z]. */
static void make_jti(char out[23]) {
  static const char digits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 22; i++) out[i] = digits[randombytes_uniform(62)];
  out[22] = '\0';
}

/* wascap's normalize_call_alias: lowercase, trim, drop non-ASCII, and turn
 * ' ', '-', '.' into '_'.  Returns new (lat_free). */
static char *normalize_alias(const char *a) {
  size_t n = strlen(a);
  while (n && isspace((unsigned char)a[n - 1])) n--;
  while (n && isspace((unsigned char)*a)) a++, n--;
  char *o = lat_malloc(n + 1);
  if (!o) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)a[i];
    if (ch >= 0x80) continue;
    ch = (unsigned char)tolower(ch);
    if (ch == ' ' || ch == '-' || ch == '.') ch = '_';
    o[k++] = (char)ch;
  }
  o[k] = '\0';
  return o;
}

static int64_t clock_now(int64_t now) { return now ? now : (int64_t)time(NULL); }

/* The envelope common to every wascap token, with `wascap` set to meta
 * (reference stolen).  NULL on out of memory. */
static json_t *envelope(const lat_nkey_t *issuer, const lat_nkey_t *subject,
                        int64_t now, int64_t exp, int64_t nbf, json_t *meta) {
  char iss[LAT_NKEY_PUBLIC_LEN + 1], sub[LAT_NKEY_PUBLIC_LEN + 1], jti[23];
  lat_nkey_public_string(issuer, iss);
  lat_nkey_public_string(subject, sub);
  make_jti(jti);
  json_t *o = json_object();
  if (!o || !meta) goto fail;
  if (exp && json_object_set_new(o, "exp", json_integer(exp))) goto fail;
  if (json_object_set_new(o, "jti", json_string(jti)) ||
      json_object_set_new(o, "iat", json_integer(clock_now(now))) ||
      json_object_set_new(o, "iss", json_string(iss)) ||
      json_object_set_new(o, "sub", json_string(sub)))
    goto fail;
  if (nbf && json_object_set_new(o, "nbf", json_integer(nbf))) goto fail;
  if (json_object_set_new(o, "wascap", meta)) {
    meta = NULL; /* set_new consumed it even on failure */
    goto fail;
  }
  meta = NULL;
  if (json_object_set_new(o, "wascap_revision", json_integer(LAT_CLAIMS_REVISION)))
    goto fail;
  return o;
fail:
  json_decref(meta);
  json_decref(o);
  return NULL;
}

static lat_status check_signer(const lat_nkey_t *issuer,
                               const lat_nkey_t *subject, lat_nkey_type sub_type,
                               lat_error_t *err) {
  if (issuer->type != LAT_NKEY_ACCOUNT)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "the issuer must be an account key (A...), not a %s key",
                         lat_nkey_type_name(issuer->type));
  if (!issuer->has_seed)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "the issuer's seed (SA...) is needed to sign");
  if (subject->type != sub_type)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "the subject must be a %s key (%c...), not a %s key",
                         lat_nkey_type_name(sub_type),
                         lat_nkey_type_letter(sub_type),
                         lat_nkey_type_name(subject->type));
  return LAT_OK;
}

/* Dumps o compactly and signs it.  Consumes o. */
static lat_status sign_json(json_t *o, const lat_nkey_t *issuer, char **out_token,
                            lat_error_t *err) {
  if (!o) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory building claims");
  char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (!text) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory building claims");
  lat_status s = lat_jwt_encode(LAT_JWT_ALG_WASCAP, text, strlen(text), issuer,
                                out_token, err);
  free(text);
  return s;
}

lat_status lat_claims_sign(const uint8_t *wasm, size_t len,
                           const lat_claims_sign_opts_t *opts,
                           const lat_nkey_t *issuer, const lat_nkey_t *subject,
                           lat_buf_t *out, lat_error_t *err) {
  lat_status s;
  if ((s = check_signer(issuer, subject, LAT_NKEY_MODULE, err))) return s;
  if (!opts || !opts->name || !*opts->name)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "a name is required to sign");
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX, "libsodium failed to initialise");

  lat_buf_t stripped;
  lat_buf_init(&stripped);
  char *token = NULL, *alias = NULL;
  if ((s = lat__crypto_wasm_strip(wasm, len, &stripped, NULL, err))) goto done;
  char hash[65];
  lat__crypto_sha256_hex(stripped.data, stripped.len, hash);

  if (opts->call_alias && !(alias = normalize_alias(opts->call_alias))) {
    s = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto done;
  }
  json_t *meta = json_object(), *tags = json_array();
  bool bad = !meta || !tags;
  if (!bad) bad |= json_object_set_new(meta, "name", json_string(opts->name)) != 0;
  if (!bad) bad |= json_object_set_new(meta, "hash", json_string(hash)) != 0;
  for (size_t i = 0; !bad && i < opts->tag_count; i++)
    bad |= json_array_append_new(tags, json_string(opts->tags[i])) != 0;
  if (!bad) {
    bad |= json_object_set_new(meta, "tags", tags) != 0;
    tags = NULL;
  }
  if (!bad && opts->has_rev)
    bad |= json_object_set_new(meta, "rev", json_integer(opts->rev)) != 0;
  if (!bad && opts->ver)
    bad |= json_object_set_new(meta, "ver", json_string(opts->ver)) != 0;
  if (!bad && alias)
    bad |= json_object_set_new(meta, "call_alias", json_string(alias)) != 0;
  if (!bad) bad |= json_object_set_new(meta, "prov", json_boolean(opts->prov)) != 0;
  json_decref(tags);
  if (bad) {
    /* json_string() refuses invalid UTF-8, the usual cause here */
    json_decref(meta);
    s = lat_error_set(err, LAT_EARG, SIZE_MAX,
                      "cannot build claims: a name, tag, version or alias is "
                      "not valid UTF-8 (or out of memory)");
    goto done;
  }
  json_t *o = envelope(issuer, subject, opts->now, opts->expires,
                       opts->not_before, meta);
  if ((s = sign_json(o, issuer, &token, err))) goto done;
  if ((s = lat_buf_append(out, stripped.data, stripped.len)) ||
      (s = lat__crypto_wasm_append_custom(out, LAT_CLAIMS_SECTION, token,
                                          strlen(token))))
    lat_error_set(err, s, SIZE_MAX, "cannot append the claims section");
done:
  lat_free(token);
  lat_free(alias);
  lat_buf_fini(&stripped);
  return s;
}

lat_status lat_claims_encode_provider(const lat_claims_provider_opts_t *opts,
                                      const lat_nkey_t *issuer,
                                      const lat_nkey_t *subject,
                                      char **out_token, lat_error_t *err) {
  lat_status s;
  if ((s = check_signer(issuer, subject, LAT_NKEY_SERVICE, err))) return s;
  if (!opts || !opts->vendor)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "a vendor is required");
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX, "libsodium failed to initialise");
  json_t *meta = json_object(), *th = json_object(), *schema = NULL;
  bool bad = !meta || !th;
  if (!bad && opts->name)
    bad |= json_object_set_new(meta, "name", json_string(opts->name)) != 0;
  if (!bad) bad |= json_object_set_new(meta, "vendor", json_string(opts->vendor)) != 0;
  if (!bad && opts->has_rev)
    bad |= json_object_set_new(meta, "rev", json_integer(opts->rev)) != 0;
  if (!bad && opts->ver)
    bad |= json_object_set_new(meta, "ver", json_string(opts->ver)) != 0;
  for (size_t i = 0; !bad && i < opts->target_count; i++)
    bad |= json_object_set_new(th, opts->target_keys[i],
                               json_string(opts->target_hashes[i])) != 0;
  if (!bad) {
    bad |= json_object_set_new(meta, "target_hashes", th) != 0;
    th = NULL;
  }
  if (!bad && opts->config_schema) {
    json_error_t jerr;
    schema = json_loads(opts->config_schema, JSON_DECODE_ANY, &jerr);
    if (!schema) {
      json_decref(meta);
      json_decref(th);
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "config schema is not JSON: %s (line %d)", jerr.text,
                           jerr.line);
    }
    bad |= json_object_set_new(meta, "config_schema", schema) != 0;
  }
  json_decref(th);
  if (bad) {
    json_decref(meta);
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "cannot build provider claims: a field is not valid "
                         "UTF-8 (or out of memory)");
  }
  json_t *o = envelope(issuer, subject, opts->now, opts->expires,
                       opts->not_before, meta);
  return sign_json(o, issuer, out_token, err);
}

/* ---- reading tokens --------------------------------------------------------------- */

/* Optional string field: absent/null → *out NULL.  False when mistyped or
 * out of memory (*oom tells which). */
static bool opt_string(json_t *obj, const char *key, char **out, bool *oom) {
  json_t *x = json_object_get(obj, key);
  *out = NULL;
  if (!x || json_is_null(x)) return true;
  if (!json_is_string(x)) return false;
  *out = lat_strndup(json_string_value(x), json_string_length(x));
  if (!*out) *oom = true;
  return *out != NULL;
}

/* Fills the wascap fields of c from the claims JSON; c->provider chooses the
 * shape. */
static lat_status parse_wascap(lat_claims_t *c, lat_crypto_reason *reason,
                               lat_error_t *err) {
  json_error_t jerr;
  json_t *root = json_loadb(c->jwt.claims_json, c->jwt.claims_len,
                            JSON_REJECT_DUPLICATES, &jerr);
  if (!root)
    return lat__crypto_fail(reason, LAT_CR_TOKEN_JSON, err, LAT_EMALFORMED,
                            SIZE_MAX, "claims are not JSON");
  lat_status s = LAT_OK;
  bool oom = false;
  const char *bad = NULL;
  json_t *w = json_object_get(root, "wascap");
  json_t *rev_j = json_object_get(root, "wascap_revision");
  if (rev_j && !json_is_null(rev_j)) {
    if (!json_is_integer(rev_j) || json_integer_value(rev_j) < 0 ||
        json_integer_value(rev_j) > UINT32_MAX) {
      bad = "wascap_revision";
      goto out;
    }
    c->has_wascap_revision = true;
    c->wascap_revision = (uint32_t)json_integer_value(rev_j);
  }
  if (!json_is_object(w)) {
    s = lat__crypto_fail(reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID,
                         SIZE_MAX, "token has no wascap claims object");
    goto out;
  }
  if (!opt_string(w, "name", &c->name, &oom)) { bad = "wascap.name"; goto out; }
  if (!opt_string(w, "ver", &c->ver, &oom)) { bad = "wascap.ver"; goto out; }
  json_t *rev = json_object_get(w, "rev");
  if (rev && !json_is_null(rev)) {
    if (!json_is_integer(rev) || json_integer_value(rev) < INT32_MIN ||
        json_integer_value(rev) > INT32_MAX) {
      bad = "wascap.rev (a 32-bit integer)";
      goto out;
    }
    c->has_rev = true;
    c->rev = (int32_t)json_integer_value(rev);
  }
  if (!c->provider) {
    json_t *hash = json_object_get(w, "hash");
    if (!json_is_string(hash)) {
      s = lat__crypto_fail(reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID,
                           SIZE_MAX, "token has no wascap.hash (module hash)");
      goto out;
    }
    if (!opt_string(w, "hash", &c->hash, &oom)) { bad = "wascap.hash"; goto out; }
    if (!opt_string(w, "call_alias", &c->call_alias, &oom)) {
      bad = "wascap.call_alias";
      goto out;
    }
    json_t *prov = json_object_get(w, "prov");
    if (prov && !json_is_null(prov)) {
      if (!json_is_boolean(prov)) { bad = "wascap.prov (a boolean)"; goto out; }
      c->prov = json_is_true(prov);
    }
    json_t *tags = json_object_get(w, "tags");
    if (tags && !json_is_null(tags)) {
      if (!json_is_array(tags)) { bad = "wascap.tags (an array)"; goto out; }
      size_t n = json_array_size(tags);
      if (n && !(c->tags = lat_calloc(n, sizeof *c->tags))) { oom = true; goto out; }
      for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(tags, i);
        if (!json_is_string(t)) { bad = "wascap.tags (strings)"; goto out; }
        if (!(c->tags[i] = lat_strndup(json_string_value(t), json_string_length(t)))) {
          oom = true;
          goto out;
        }
        c->tag_count = i + 1;
      }
    }
  } else {
    json_t *vendor = json_object_get(w, "vendor");
    if (!json_is_string(vendor)) {
      s = lat__crypto_fail(reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID,
                           SIZE_MAX, "provider token has no wascap.vendor");
      goto out;
    }
    if (!opt_string(w, "vendor", &c->vendor, &oom)) { bad = "wascap.vendor"; goto out; }
    json_t *th = json_object_get(w, "target_hashes");
    if (!json_is_object(th)) {
      s = lat__crypto_fail(reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID,
                           SIZE_MAX,
                           "provider token has no wascap.target_hashes object");
      goto out;
    }
    size_t n = json_object_size(th);
    if (n && (!(c->target_keys = lat_calloc(n, sizeof(char *))) ||
              !(c->target_hashes = lat_calloc(n, sizeof(char *))))) {
      oom = true;
      goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(th, k, v) {
      if (!json_is_string(v)) { bad = "wascap.target_hashes (string values)"; goto out; }
      size_t i = c->target_count;
      c->target_keys[i] = lat_strndup(k, strlen(k));
      c->target_hashes[i] = lat_strndup(json_string_value(v), json_string_length(v));
      c->target_count = i + 1;
      if (!c->target_keys[i] || !c->target_hashes[i]) { oom = true; goto out; }
    }
    json_t *schema = json_object_get(w, "config_schema");
    if (schema && !json_is_null(schema)) {
      char *text = json_dumps(schema, JSON_COMPACT | JSON_ENCODE_ANY);
      if (!text) { oom = true; goto out; }
      c->config_schema = lat_strndup(text, strlen(text));
      free(text);
      if (!c->config_schema) { oom = true; goto out; }
    }
  }
out:
  if (oom)
    s = lat__crypto_fail(reason, LAT_CR_OK, err, LAT_ENOMEM, SIZE_MAX,
                         "out of memory reading claims");
  else if (bad)
    s = lat__crypto_fail(reason, LAT_CR_MISSING_CLAIM, err, LAT_EINVALID,
                         SIZE_MAX, "claim %s has the wrong type", bad);
  json_decref(root);
  return s;
}

/* Signature, key types and wascap fields; no times, no hash.  want_sub is
 * the subject type required, or 0 for "module or service". */
static lat_status decode_claims(const char *token, size_t len, int want_sub,
                                const lat_jwt_opts_t *opts, lat_claims_t *out,
                                lat_crypto_reason *reason, lat_error_t *err) {
  lat_jwt_opts_t o = opts ? *opts : (lat_jwt_opts_t){0};
  o.algs = LAT_JWT_ALG_WASCAP;
  lat_status s = lat_jwt_decode(token, len, &o, &out->jwt, reason, err);
  if (s) return s;
  const lat_jwt_t *j = &out->jwt;
  if (j->iss_type != LAT_NKEY_ACCOUNT)
    return lat__crypto_fail(
        reason, LAT_CR_ISSUER_TYPE, err, LAT_EINVALID, SIZE_MAX,
        "issuer %s is a %s key; claims must be issued by an account "
        "key (A...)",
        j->iss, lat_nkey_type_name(j->iss_type));
  if (!j->sub_is_nkey)
    return lat__crypto_fail(
        reason, LAT_CR_KEY_INVALID, err, LAT_EINVALID, SIZE_MAX,
        "subject \"%.60s\" is not a valid public nkey", j->sub);
  bool ok = want_sub ? (int)j->sub_type == want_sub
                     : (j->sub_type == LAT_NKEY_MODULE ||
                        j->sub_type == LAT_NKEY_SERVICE);
  if (!ok)
    return lat__crypto_fail(
        reason, LAT_CR_SUBJECT_TYPE, err, LAT_EINVALID, SIZE_MAX,
        "subject %s is a %s key; %s", j->sub, lat_nkey_type_name(j->sub_type),
        want_sub == LAT_NKEY_MODULE
            ? "a component's subject must be a module key (M...)"
            : "the subject must be a module (M...) or service (V...) key");
  out->provider = j->sub_type == LAT_NKEY_SERVICE;
  if (!(out->token = lat_strndup(token, len)))
    return lat__crypto_fail(reason, LAT_CR_OK, err, LAT_ENOMEM, SIZE_MAX,
                            "out of memory");
  return parse_wascap(out, reason, err);
}

lat_status lat_claims_decode_token(const char *token, size_t len,
                                   const lat_jwt_opts_t *opts,
                                   lat_claims_t *out,
                                   lat_crypto_reason *out_reason,
                                   lat_error_t *err) {
  lat_claims_init(out);
  lat_status s = decode_claims(token, len, 0, opts, out, out_reason, err);
  if (!s) s = lat_jwt_check_times(&out->jwt, opts, out_reason, err);
  if (s) lat_claims_fini(out);
  return s;
}

lat_status lat_claims_extract(const uint8_t *wasm, size_t len,
                              const lat_jwt_opts_t *opts, lat_claims_t *out,
                              lat_crypto_reason *out_reason, lat_error_t *err) {
  lat_claims_init(out);
  lat__crypto_reason(out_reason, LAT_CR_OK);
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX, "libsodium failed to initialise");
  lat_buf_t stripped;
  lat_buf_init(&stripped);
  lat__crypto_wasm_scan_t scan;
  lat_status s = lat__crypto_wasm_strip(wasm, len, &stripped, &scan, err);
  if (s == LAT_ENOMEM) goto done;
  if (s) {
    lat__crypto_reason(out_reason, LAT_CR_WASM_MALFORMED);
    goto done;
  }
  if (scan.claims_count == 0) {
    s = lat__crypto_fail(
        out_reason, LAT_CR_UNSIGNED, err, LAT_ENOTFOUND, SIZE_MAX,
        "not signed: no %s section at the top level%s", LAT_CLAIMS_SECTION,
        scan.nested_claims ? " (a nested module has one, which does not "
                             "sign the whole binary)"
                           : "");
    goto done;
  }
  if (scan.claims_count > 1) {
    s = lat__crypto_fail(
        out_reason, LAT_CR_CLAIMS_DUPLICATE, err, LAT_EINVALID,
        scan.claims_offset,
        "%zu claims sections at the top level; a signed binary has "
        "exactly one",
        scan.claims_count);
    goto done;
  }
  if (!scan.claims_last) {
    s = lat__crypto_fail(
        out_reason, LAT_CR_CLAIMS_MISPLACED, err, LAT_EINVALID,
        scan.claims_offset,
        "the claims section at offset %zu is not the last section: the "
        "binary was changed after signing",
        scan.claims_offset);
    goto done;
  }
  if ((s = decode_claims((const char *)wasm + scan.token_off, scan.token_len,
                         LAT_NKEY_MODULE, opts, out, out_reason, err)))
    goto done;
  char hash[65];
  lat__crypto_sha256_hex(stripped.data, stripped.len, hash);
  if (strcmp(hash, out->hash) != 0) {
    s = lat__crypto_fail(
        out_reason, LAT_CR_HASH_MISMATCH, err, LAT_EINVALID, SIZE_MAX,
        "module hash %s does not match the signed hash %.64s: the code "
        "was changed after signing",
        hash, out->hash);
    goto done;
  }
  s = lat_jwt_check_times(&out->jwt, opts, out_reason, err);
done:
  lat_buf_fini(&stripped);
  if (s) lat_claims_fini(out);
  return s;
}

lat_status lat_claims_verify(const uint8_t *wasm, size_t len,
                             const lat_claims_policy_t *policy,
                             lat_claims_t *out, lat_crypto_reason *out_reason,
                             lat_error_t *err) {
  static const lat_claims_policy_t open_policy;
  if (!policy) policy = &open_policy;
  lat_status s = lat_claims_extract(wasm, len, &policy->time, out, out_reason, err);
  if (s == LAT_ENOTFOUND) {
    if (policy->require_signed || policy->allowed_count)
      return lat__crypto_fail(
          out_reason, LAT_CR_UNSIGNED, err, LAT_EINVALID, SIZE_MAX,
          "refused: the binary is not signed and this host requires "
          "signed components");
    return LAT_OK; /* reason stays LAT_CR_UNSIGNED, out->token NULL */
  }
  if (s) return s;
  if (policy->allowed_count) {
    for (size_t i = 0; i < policy->allowed_count; i++)
      if (policy->allowed_issuers[i] &&
          !strcmp(policy->allowed_issuers[i], out->jwt.iss))
        return LAT_OK;
    s = lat__crypto_fail(
        out_reason, LAT_CR_ISSUER_NOT_ALLOWED, err, LAT_EINVALID, SIZE_MAX,
        "issuer %s is not on this host's allow-list", out->jwt.iss);
    lat_claims_fini(out);
  }
  return s;
}

lat_status lat_claims_strip(const uint8_t *wasm, size_t len, lat_buf_t *out,
                            lat_error_t *err) {
  return lat__crypto_wasm_strip(wasm, len, out, NULL, err);
}

lat_status lat_claims_hash(const uint8_t *wasm, size_t len, char out_hex[65],
                           lat_error_t *err) {
  if (!lat__crypto_ready())
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX, "libsodium failed to initialise");
  lat_buf_t b;
  lat_buf_init(&b);
  lat_status s = lat__crypto_wasm_strip(wasm, len, &b, NULL, err);
  if (!s) lat__crypto_sha256_hex(b.data, b.len, out_hex);
  lat_buf_fini(&b);
  return s;
}
