/* `lattice claims sign` and `lattice claims inspect`: wash's commands of the
 * same names over src/crypto's embedded claims.
 *
 * sign: the input must be a module or component (lat_cli_read) before any
 * key is touched, so a wrong file never leaves new keys behind.  The issuer
 * (account) and subject (module) keys come from --issuer/--subject (a seed,
 * a file holding one, or a name saved with `keys gen --save NAME`), else
 * $LATTICE_ISSUER_KEY/$LATTICE_SUBJECT_KEY, else `<name>_account.nk` and
 * `<name>_module.nk` in the keys directory, generated and saved there on
 * first use unless --disable-keygen (as wash does, so re-signing a new build
 * keeps the same identity).  -x/-b take days as a bare number (wash's unit)
 * or a duration with a unit.  The output goes to --destination, else FILE
 * with `_s` before `.wasm`.
 *
 * inspect verifies as it reads (lat_claims_verify, or the token alone for a
 * JWT file): signature, key types, hash and times, plus --allow-issuer if
 * given.  When anything fails it prints why (the reason code and the
 * detail) and exits 1, in both output formats, so a script can rely on the
 * exit status alone; claims refused only on time (not yet valid, expired)
 * are still shown, since "when will this work" is the question then.  Times
 * read "in 30 days", rounded to the nearest unit.  Exit status: 0 ok, 1
 * refused or failed, 2 usage. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_TAGS 64
#define MAX_ISSUERS 64

typedef struct {
  bool json, jwt_only, prov, disable_keygen, require_signed;
  const char *file, *name, *ver, *alias, *issuer, *subject, *dir, *dest;
  const char *rev_s, *expires_s, *nbf_s, *skew_s;
  bool has_rev;
  int32_t rev;
  int64_t expires_secs, nbf_secs; /* from now; 0: never / immediately */
  uint64_t skew_ns;
  lat_cli_list_t tags, allow;
  const lat_cli_args_t *args; /* for lat_cli_fail */
} claims_args_t;

static claims_args_t ca;

static const lat_cli_opt_t sign_opts[] = {
    {"name", 'n', LAT_CLI_STRING, &ca.name, "NAME", "the component's name (required)"},
    {"ver", 'v', LAT_CLI_STRING, &ca.ver, "VERSION", "a version string (e.g. 0.1.0)"},
    {"rev", 'r', LAT_CLI_STRING, &ca.rev_s, "N", "a revision number (32-bit integer)"},
    {"tag", 't', LAT_CLI_LIST, &ca.tags, "TAG", "a tag; repeatable"},
    {"call-alias", 'a', LAT_CLI_STRING, &ca.alias, "ALIAS", "a call alias"},
    {"prov", 'p', LAT_CLI_FLAG, &ca.prov, NULL, "mark it a capability provider"},
    {"issuer", 'i', LAT_CLI_STRING, &ca.issuer, "KEY",
     "account key: a seed, a file holding one, or a name saved with keys gen --save"},
    {"subject", 's', LAT_CLI_STRING, &ca.subject, "KEY", "component (module) key, the same ways"},
    {"expires", 'x', LAT_CLI_STRING, &ca.expires_s, "WHEN",
     "expire after WHEN: days as a bare number (wash's unit), or a DURATION (12h)"},
    {"nbf", 'b', LAT_CLI_STRING, &ca.nbf_s, "WHEN", "not valid before WHEN from now (the same)"},
    {"directory", 0, LAT_CLI_STRING, &ca.dir, "DIR",
     "keys directory (default $LATTICE_KEYS, else ~/.lattice/keys)"},
    {"disable-keygen", 0, LAT_CLI_FLAG, &ca.disable_keygen, NULL,
     "never make keys: fail when one is missing"},
    {"destination", 'd', LAT_CLI_STRING, &ca.dest, "OUT",
     "write the signed file here (default FILE with _s before .wasm)"},
};
static const lat_cli_opt_t inspect_opts[] = {
    {"jwt-only", 0, LAT_CLI_FLAG, &ca.jwt_only, NULL, "print only the token"},
    {"allow-issuer", 0, LAT_CLI_LIST, &ca.allow, "ACCOUNT",
     "refuse other issuers (an A... public key); repeatable"},
    {"require-signed", 0, LAT_CLI_FLAG, &ca.require_signed, NULL,
     "an unsigned file is an error (it always is for inspect; kept for wash scripts)"},
    {"skew", 0, LAT_CLI_STRING, &ca.skew_s, "DURATION",
     "clock difference tolerated for the validity times (default 0)"},
};

static const lat_cli_cmd_t sign_cmd = {
    .name = "claims sign",
    .usage = "[OPTIONS] FILE -n NAME",
    .summary = "embed signed claims (wascap) in a module or component",
    .details =
        "Keys: --issuer/--subject, else $LATTICE_ISSUER_KEY/$LATTICE_SUBJECT_KEY, else\n"
        "NAME_account.nk and NAME_module.nk in the keys directory, made and saved on first\n"
        "use (unless --disable-keygen), so re-signing a new build keeps the same identity.\n",
    .opts = sign_opts,
    .nopts = LAT_CLI_NOPTS(sign_opts),
    .examples = "  lattice claims sign build/examples/hello.component.wasm -n hello -d hello.signed.wasm\n"
                "  lattice claims sign app.wasm -n app -v 1.0.0 -t web -x 30 -i myaccount\n"
                "  lattice claims sign app.wasm -n app -o json\n",
    .min_pos = 1,
    .max_pos = 1,
    .pos_name = "FILE",
};
static const lat_cli_cmd_t inspect_cmd = {
    .name = "claims inspect",
    .usage = "[OPTIONS] FILE",
    .summary = "verify and show a signed file's claims",
    .details =
        "FILE is a signed module or component, or a token (JWT) on its own.  Everything is\n"
        "checked: signature, key types, hash, validity times (and --allow-issuer).  Claims\n"
        "that fail only on time (not yet valid, expired) are still shown, with the reason.\n",
    .opts = inspect_opts,
    .nopts = LAT_CLI_NOPTS(inspect_opts),
    .examples = "  lattice claims inspect hello.signed.wasm\n"
                "  lattice claims inspect hello.signed.wasm -o json\n"
                "  lattice claims inspect app.wasm --allow-issuer ACCOUNTKEY...\n",
    .exit_status = "0 verified, 1 not signed, refused or unreadable, 2 usage error.",
    .min_pos = 1,
    .max_pos = 1,
    .pos_name = "FILE",
};

/* -x/-b: days as a bare number (wash), or a duration with a unit. */
static bool parse_when(const char *s, int64_t *out_secs) {
  char *end;
  errno = 0;
  if (s[0] >= '0' && s[0] <= '9') {
    long v = strtol(s, &end, 10);
    if (!*end && !errno && v >= 0 && v <= 365L * 1000) {
      *out_secs = (int64_t)v * 86400;
      return true;
    }
  }
  uint64_t ns;
  if (!lat_cli_parse_duration(s, &ns) || ns / 1000000000ull > 365ull * 1000 * 86400) return false;
  *out_secs = (int64_t)(ns / 1000000000ull);
  return true;
}

/* Checks the values the table left as text.  -1, or an exit status. */
static int check_args(claims_args_t *a) {
  if (a->rev_s) {
    char *end;
    errno = 0;
    long v = strtol(a->rev_s, &end, 10);
    if (end == a->rev_s || *end || errno || v < INT32_MIN || v > INT32_MAX)
      return lat_cli_fail(a->args, 2, "--rev takes a 32-bit integer, not '%s'", a->rev_s);
    a->has_rev = true;
    a->rev = (int32_t)v;
  }
  if (a->expires_s && !parse_when(a->expires_s, &a->expires_secs))
    return lat_cli_fail(a->args, 2, "--expires takes days (30) or a duration (12h), not '%s'",
                        a->expires_s);
  if (a->nbf_s && !parse_when(a->nbf_s, &a->nbf_secs))
    return lat_cli_fail(a->args, 2, "--nbf takes days (2) or a duration (12h), not '%s'",
                        a->nbf_s);
  if (a->skew_s && (!lat_cli_parse_duration(a->skew_s, &a->skew_ns) ||
                    a->skew_ns / 1000000000ull > 86400ull * 365))
    return lat_cli_fail(a->args, 2, "--skew takes a duration of at most a year (e.g. 30s), "
                                    "not '%s'", a->skew_s);
  return -1;
}

/* ---- sign --------------------------------------------------------------------------- */

/* A key from an explicit argument (a seed, a file, or a name saved in the
 * keys directory), an env variable, or <dir>/<base>_<kind>.nk (generated
 * and saved when missing unless keygen is off). */
static int get_key(const claims_args_t *a, const char *arg, const char *env, const char *dir,
                   const char *base, lat_nkey_type type, bool keygen, lat_nkey_t *out) {
  lat_error_t err;
  char name[300], path[4400];
  if (!arg) arg = getenv(env);
  if (arg && *arg) {
    if (!lat_nkey_load(arg, out, &err)) return 0;
    /* `keys gen --save NAME` names a key; try DIR/NAME.nk */
    snprintf(path, sizeof path, "%s/%s%s", dir, arg, LAT_KEYSTORE_EXT);
    if (!strchr(arg, '/') && !access(path, R_OK)) {
      if (lat_nkey_load(path, out, &err)) return lat_cli_fail(a->args, 1, "%s: %s", path, err.msg);
      return 0;
    }
    return lat_cli_fail(a->args, 1, "%s (not a seed, a file, or a key saved as %s)", err.msg,
                        path);
  }
  snprintf(name, sizeof name, "%s_%s", base, lat_nkey_type_name(type));
  snprintf(path, sizeof path, "%s/%s.nk", dir, name);
  if (!access(path, F_OK)) {
    if (lat_nkey_load(path, out, &err)) return lat_cli_fail(a->args, 1, "%s", err.msg);
    return 0;
  }
  if (!keygen)
    return lat_cli_fail(a->args, 1, "no %s key given and %s does not exist (--disable-keygen)",
                        lat_nkey_type_name(type), path);
  if (lat_nkey_generate(type, out, &err) ||
      lat_keystore_save(dir, name, out, path, sizeof path, &err)) {
    lat_nkey_fini(out);
    return lat_cli_fail(a->args, 1, "%s", err.msg);
  }
  fprintf(stderr, "No %s key given: generated one and saved it to %s\n",
          lat_nkey_type_name(type), path);
  return 0;
}

static int claims_sign(const claims_args_t *a) {
  if (!a->name || !*a->name) return lat_cli_fail(a->args, 2, "--name is required (-n NAME)");
  char dbuf[4096], base[256], dest[4200];
  const char *dir = lat_keystore_dir(a->dir, dbuf, sizeof dbuf);
  /* key file names from the component name: lowercase, [a-z0-9_] */
  size_t bl = 0;
  for (const char *p = a->name; *p && bl + 1 < sizeof base; p++)
    base[bl++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
  base[bl] = '\0';
  if (a->dest) {
    snprintf(dest, sizeof dest, "%s", a->dest);
  } else {
    size_t fl = strlen(a->file);
    if (fl > 5 && !strcmp(a->file + fl - 5, ".wasm"))
      snprintf(dest, sizeof dest, "%.*s_s.wasm", (int)(fl - 5), a->file);
    else
      snprintf(dest, sizeof dest, "%s_s", a->file);
  }

  lat_nkey_t iss, sub;
  memset(&iss, 0, sizeof iss);
  memset(&sub, 0, sizeof sub);
  uint8_t *data = NULL;
  size_t len = 0;
  lat_buf_t out;
  lat_buf_init(&out);
  lat_error_t err;
  int rc = 1;
  /* the input is checked before any key is made */
  if (lat_cli_read(a->file, LAT_CLI_ACCEPT(LAT_CLI_FILE_CORE) |
                                LAT_CLI_ACCEPT(LAT_CLI_FILE_COMPONENT),
                   &data, &len, NULL, &err)) {
    lat_cli_fail(a->args, 1, "%s: %s", a->file, err.msg);
    goto done;
  }
  if (get_key(a, a->issuer, "LATTICE_ISSUER_KEY", dir, base, LAT_NKEY_ACCOUNT,
              !a->disable_keygen, &iss) ||
      get_key(a, a->subject, "LATTICE_SUBJECT_KEY", dir, base, LAT_NKEY_MODULE,
              !a->disable_keygen, &sub))
    goto done;
  int64_t now = (int64_t)time(NULL);
  lat_claims_sign_opts_t o = {
      .name = a->name,
      .ver = a->ver,
      .has_rev = a->has_rev,
      .rev = a->rev,
      .tags = a->tags.v,
      .tag_count = a->tags.n,
      .call_alias = a->alias,
      .prov = a->prov,
      .expires = a->expires_secs ? now + a->expires_secs : 0,
      .not_before = a->nbf_secs ? now + a->nbf_secs : 0,
      .now = now,
  };
  if (lat_claims_sign(data, len, &o, &iss, &sub, &out, &err)) {
    lat_cli_fail(a->args, 1, "%s: %s", a->file, err.msg);
    goto done;
  }
  FILE *f = fopen(dest, "wb");
  if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
    lat_cli_fail(a->args, 1, "cannot write %s: %s", dest, strerror(errno));
    goto done;
  }
  char ip[LAT_NKEY_PUBLIC_LEN + 1], sp[LAT_NKEY_PUBLIC_LEN + 1], hash[65];
  lat_nkey_public_string(&iss, ip);
  lat_nkey_public_string(&sub, sp);
  lat_claims_hash(out.data, out.len, hash, NULL);
  if (a->json) {
    json_t *j = json_object();
    json_object_set_new(j, "success", json_true());
    json_object_set_new(j, "result", json_string("success"));
    json_object_set_new(j, "destination", json_string(dest));
    json_object_set_new(j, "account", json_string(ip));
    json_object_set_new(j, "component", json_string(sp));
    json_object_set_new(j, "hash", json_string(hash));
    lat_cli_json_print(j);
  } else {
    printf("Successfully signed %s with account key %s and module key %s\n", dest,
           ip, sp);
  }
  rc = 0;
done:
  lat_nkey_fini(&iss);
  lat_nkey_fini(&sub);
  lat_free(data);
  lat_buf_fini(&out);
  return rc;
}

/* ---- inspect ------------------------------------------------------------------------ */

/* "2026-12-07 22:00:00 UTC (in 30 days)": rounded to the nearest unit, so
 * a token made a second ago for 30 days does not read "in 29d". */
static void when(int64_t t, int64_t now, char *buf, size_t cap) {
  time_t tt = (time_t)t;
  struct tm tm;
  char date[64] = "?";
  if (gmtime_r(&tt, &tm)) strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
  int64_t d = t - now, ad = d < 0 ? -d : d;
  char rel[48];
  static const struct {
    int64_t secs;
    const char *unit;
  } units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
  if (ad < 5) {
    snprintf(buf, cap, "%s (just now)", date);
    return;
  }
  size_t u = 0;
  /* the largest unit the span holds at least 1.5 of (36 hours -> 2 days) */
  while (u + 1 < sizeof units / sizeof units[0] && ad * 2 < units[u].secs * 3) u++;
  int64_t n = (ad + units[u].secs / 2) / units[u].secs;
  snprintf(rel, sizeof rel, "%lld %s%s", (long long)n, units[u].unit, n == 1 ? "" : "s");
  snprintf(buf, cap, "%s (%s%s%s)", date, d >= 0 ? "in " : "", rel, d >= 0 ? "" : " ago");
}

static bool time_reason(lat_crypto_reason r) {
  return r == LAT_CR_EXPIRED || r == LAT_CR_NOT_YET_VALID || r == LAT_CR_ISSUED_IN_FUTURE;
}

lat_status lat__cli_claims_read(const uint8_t *data, size_t len, bool jwt,
                                const lat_claims_policy_t *pol, lat_claims_t *out,
                                lat_crypto_reason *out_reason, lat_error_t *err,
                                bool *out_read) {
  size_t tl = len;
  while (jwt && tl && (data[tl - 1] == '\n' || data[tl - 1] == '\r' || data[tl - 1] == ' ')) tl--;
  lat_claims_init(out);
  *out_reason = LAT_CR_OK;
  lat_status s = jwt ? lat_claims_decode_token((const char *)data, tl, &pol->time, out,
                                               out_reason, err)
                     : lat_claims_verify(data, len, pol, out, out_reason, err);
  *out_read = !s;
  if (!s || !time_reason(*out_reason)) return s;
  /* refused only on time: read them anyway, whatever the clock says */
  lat_jwt_opts_t any_time = {.now = pol->time.now, .skew = UINT32_MAX / 2};
  lat_crypto_reason r2;
  lat_claims_fini(out);
  lat_claims_init(out);
  lat_status s2 = jwt ? lat_claims_decode_token((const char *)data, tl, &any_time, out, &r2, NULL)
                      : lat_claims_extract(data, len, &any_time, out, &r2, NULL);
  if (s2) lat_claims_fini(out);
  *out_read = !s2;
  return s;
}

void lat__cli_claims_json(const lat_claims_t *c, json_t *j) {
  json_t *tags = json_array();
  json_object_set_new(j, "name", c->name ? json_string(c->name) : json_null());
  json_object_set_new(j, "account", json_string(c->jwt.iss));
  json_object_set_new(j, "component", json_string(c->jwt.sub));
  json_object_set_new(j, "hash", c->hash ? json_string(c->hash) : json_null());
  json_object_set_new(j, "issued_at", c->jwt.has_iat ? json_integer(c->jwt.iat) : json_null());
  json_object_set_new(j, "expires", c->jwt.has_exp ? json_integer(c->jwt.exp) : json_null());
  json_object_set_new(j, "can_be_used", c->jwt.has_nbf ? json_integer(c->jwt.nbf) : json_null());
  json_object_set_new(j, "version", c->ver ? json_string(c->ver) : json_null());
  json_object_set_new(j, "revision", c->has_rev ? json_integer(c->rev) : json_null());
  json_object_set_new(j, "call_alias", c->call_alias ? json_string(c->call_alias) : json_null());
  json_object_set_new(j, "prov", json_boolean(c->prov));
  for (size_t i = 0; i < c->tag_count; i++) json_array_append_new(tags, json_string(c->tags[i]));
  json_object_set_new(j, "tags", tags);
  json_object_set_new(j, "wascap_revision",
                      c->has_wascap_revision ? json_integer(c->wascap_revision) : json_null());
}

static int claims_inspect(const claims_args_t *a) {
  uint8_t *data;
  size_t len;
  lat_error_t err;
  lat_cli_file_kind kind;
  if (lat_cli_read(a->file, LAT_CLI_ACCEPT(LAT_CLI_FILE_CORE) |
                                LAT_CLI_ACCEPT(LAT_CLI_FILE_COMPONENT) |
                                LAT_CLI_ACCEPT(LAT_CLI_FILE_JWT),
                   &data, &len, &kind, &err))
    return lat_cli_fail(a->args, 1, "%s: %s", a->file, err.msg);
  for (size_t i = 0; i < a->allow.n; i++) {
    lat_nkey_t k;
    lat_error_clear(&err);
    if (lat_nkey_from_public(a->allow.v[i], strlen(a->allow.v[i]), &k, &err) ||
        k.type != LAT_NKEY_ACCOUNT) {
      lat_free(data);
      return lat_cli_fail(a->args, 2, "--allow-issuer %s: %s", a->allow.v[i],
                          err.msg[0] ? err.msg : "not an account key (A...)");
    }
  }
  int64_t now = (int64_t)time(NULL);
  lat_claims_policy_t pol = {.allowed_issuers = a->allow.v,
                             .allowed_count = a->allow.n,
                             .require_signed = true,
                             .time = {.now = now, .skew = (uint32_t)(a->skew_ns / 1000000000ull)}};
  lat_claims_t c;
  lat_crypto_reason r;
  bool read;
  lat_error_clear(&err);
  lat_status s = lat__cli_claims_read(data, len, kind == LAT_CLI_FILE_JWT, &pol, &c, &r, &err,
                                      &read);
  /* refused only on time: the claims are shown anyway, with the reason */
  char why[300] = "";
  if (s && read) snprintf(why, sizeof why, "%s", err.msg);
  lat_free(data);
  if (s && !why[0]) {
    if (a->json) {
      json_t *j = json_object();
      json_object_set_new(j, "success", json_false());
      json_object_set_new(j, "file", json_string(a->file));
      json_object_set_new(j, "valid", json_false());
      json_object_set_new(j, "reason", json_string(lat_crypto_reason_name(r)));
      json_object_set_new(j, "error", json_string(err.msg));
      lat_cli_json_print(j);
    } else if (r == LAT_CR_UNSIGNED) {
      fprintf(stderr, "lattice claims inspect: %s is not signed: it has no %s section at the "
                      "top level (LAT_CR_UNSIGNED; sign it with 'lattice claims sign')\n",
              a->file, LAT_CLAIMS_SECTION);
    } else {
      fprintf(stderr, "lattice claims inspect: %s: verification failed: %s (%s)\n", a->file,
              err.msg, lat_crypto_reason_name(r));
    }
    lat_claims_fini(&c);
    return 1;
  }
  if (a->jwt_only) {
    printf("%s\n", c.token ? c.token : "");
    lat_claims_fini(&c);
    return why[0] ? 1 : 0;
  }
  char exp[128] = "never", nbf[128] = "immediately", iat[128] = "?";
  if (c.jwt.has_exp) when(c.jwt.exp, now, exp, sizeof exp);
  if (c.jwt.has_nbf) when(c.jwt.nbf, now, nbf, sizeof nbf);
  if (c.jwt.has_iat) when(c.jwt.iat, now, iat, sizeof iat);
  if (a->json) {
    json_t *j = json_object();
    json_object_set_new(j, "success", json_boolean(!why[0]));
    json_object_set_new(j, "file", json_string(a->file));
    json_object_set_new(j, "valid", json_boolean(!why[0]));
    if (why[0]) {
      json_object_set_new(j, "reason", json_string(lat_crypto_reason_name(r)));
      json_object_set_new(j, "error", json_string(why));
    }
    lat__cli_claims_json(&c, j);
    lat_cli_json_print(j);
  } else {
    printf("%s - %s\n", c.name ? c.name : "Anonymous", c.provider ? "Provider" : "Component");
    printf("  Account       %s\n", c.jwt.iss);
    printf("  Component     %s\n", c.jwt.sub);
    if (c.hash) printf("  Hash          %s\n", c.hash);
    printf("  Issued        %s\n", iat);
    printf("  Expires       %s\n", exp);
    printf("  Can Be Used   %s\n", nbf);
    if (c.has_rev) printf("  Version       %s (%d)\n", c.ver ? c.ver : "None", c.rev);
    else printf("  Version       %s\n", c.ver ? c.ver : "None");
    printf("  Call Alias    %s\n", c.call_alias ? c.call_alias : "(Not set)");
    if (c.prov) printf("  Provider      yes\n");
    printf("  Tags          ");
    for (size_t i = 0; i < c.tag_count; i++) printf("%s%s", i ? ", " : "", c.tags[i]);
    printf("%s\n", c.tag_count ? "" : "None");
    if (why[0]) {
      printf("NOT VALID: %s (%s)\n", why, lat_crypto_reason_name(r));
      fflush(stdout);
      fprintf(stderr, "lattice claims inspect: %s: %s (%s)\n", a->file, why,
              lat_crypto_reason_name(r));
    } else if (kind == LAT_CLI_FILE_JWT) {
      printf("Verified: signature, key types and validity times hold (a token alone: no hash "
             "to check).\n");
    } else {
      printf("Verified: signature, key types, module hash and validity times hold%s.\n",
             a->allow.n ? ", and the issuer is allowed" : "");
    }
  }
  lat_claims_fini(&c);
  return why[0] ? 1 : 0;
}

/* the parsed arguments into ca (the options are there already); -1 or an
 * exit status */
static int claims_args(lat_cli_args_t *a) {
  ca.args = a;
  ca.json = a->json;
  ca.file = a->pos[0];
  return check_args(&ca);
}
static int run_sign(lat_cli_args_t *a) {
  int rc = claims_args(a);
  return rc >= 0 ? rc : claims_sign(&ca);
}
static int run_inspect(lat_cli_args_t *a) {
  int rc = claims_args(a);
  return rc >= 0 ? rc : claims_inspect(&ca);
}

static const lat_cli_sub_t claims_subs[] = {{"sign", &sign_cmd, run_sign},
                                            {"inspect", &inspect_cmd, run_inspect}};
static const lat_cli_group_t claims_group = {
    .name = "claims",
    .summary = "sign components, verify and show their claims",
    .subs = claims_subs,
    .nsubs = LAT_CLI_NOPTS(claims_subs),
    .examples = "  lattice claims sign app.wasm -n app -d app.signed.wasm\n"
                "  lattice claims inspect app.signed.wasm -o json\n"};

int lat_cli_claims(int argc, char **argv) { return lat_cli_group_run(&claims_group, argc, argv); }
