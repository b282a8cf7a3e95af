/* `lattice claims sign` and `lattice claims inspect`: wash's commands of the
 * same names over src/crypto's embedded claims.
 *
 * sign: the issuer (account) and subject (module) keys come from
 * --issuer/--subject (a seed, or a file holding one), else
 * $LATTICE_ISSUER_KEY/$LATTICE_SUBJECT_KEY, else `<name>_account.nk` and
 * `<name>_module.nk` in the keys directory, generated and saved there on
 * first use unless --disable-keygen (as wash does, so re-signing a new build
 * keeps the same identity).  The output goes to --destination, else FILE
 * with `_s` before `.wasm`.
 *
 * inspect verifies as it reads (lat_claims_verify): signature, key types,
 * hash and times, plus --allow-issuer if given.  When anything fails it
 * prints why (the reason code and the detail) and exits 1, in both output
 * formats, so a script can rely on the exit status alone.  Exit status: 0
 * ok, 1 refused or failed, 2 usage. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define MAX_TAGS 64
#define MAX_ISSUERS 64

static void claims_usage(FILE *f) {
  fprintf(f,
          "usage: lattice claims sign FILE -n NAME [-v VER] [-r REV] [-t TAG]...\n"
          "           [-a CALL_ALIAS] [-p] [-i ISSUER_SEED|FILE] [-s SUBJECT_SEED|FILE]\n"
          "           [-x EXPIRES_DAYS] [-b NOT_BEFORE_DAYS] [--directory DIR]\n"
          "           [--disable-keygen] [-d|--destination OUT] [-o text|json]\n"
          "       lattice claims inspect FILE [-o text|json] [--jwt-only]\n"
          "           [--allow-issuer ACCOUNT]... [--require-signed] [--skew SECONDS]\n");
}

typedef struct {
  bool json, jwt_only, prov, disable_keygen, require_signed;
  const char *file, *name, *ver, *alias, *issuer, *subject, *dir, *dest;
  bool has_rev;
  int32_t rev;
  long expires_days, nbf_days, skew;
  const char *tags[MAX_TAGS];
  size_t ntags;
  const char *allow[MAX_ISSUERS];
  size_t nallow;
} claims_args_t;

static bool parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* Returns 0, or 2 after printing a usage error. */
static int parse_args(int argc, char **argv, claims_args_t *a) {
  static const struct {
    const char *s, *l;
    int id;
  } opts[] = {{"-o", "--output", 'o'},       {"-n", "--name", 'n'},
              {"-v", "--ver", 'v'},          {"-r", "--rev", 'r'},
              {"-t", "--tag", 't'},          {"-a", "--call-alias", 'a'},
              {"-i", "--issuer", 'i'},       {"-s", "--subject", 's'},
              {"-x", "--expires", 'x'},      {"-b", "--nbf", 'b'},
              {"-d", "--destination", 'd'},  {NULL, "--directory", 'D'},
              {NULL, "--allow-issuer", 'A'}, {NULL, "--skew", 'k'}};
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *x = argv[i], *val = NULL;
    if (!strcmp(x, "-p") || !strcmp(x, "--prov")) { a->prov = true; continue; }
    if (!strcmp(x, "--jwt-only")) { a->jwt_only = true; continue; }
    if (!strcmp(x, "--disable-keygen")) { a->disable_keygen = true; continue; }
    if (!strcmp(x, "--require-signed")) { a->require_signed = true; continue; }
    int id = 0;
    for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !id; k++) {
      size_t ll = strlen(opts[k].l);
      if ((opts[k].s && !strcmp(x, opts[k].s)) || !strcmp(x, opts[k].l)) {
        if (i + 1 >= argc) {
          fprintf(stderr, "lattice claims: %s needs a value\n", x);
          return 2;
        }
        id = opts[k].id;
        val = argv[++i];
      } else if (!strncmp(x, opts[k].l, ll) && x[ll] == '=') {
        id = opts[k].id;
        val = x + ll + 1;
      }
    }
    long v;
    switch (id) {
      case 'o':
        if (!strcmp(val, "json")) a->json = true;
        else if (!strcmp(val, "text")) a->json = false;
        else {
          fprintf(stderr, "lattice claims: -o takes text or json, not '%s' (-o "
                          "is the output format; use --destination for a file)\n", val);
          return 2;
        }
        break;
      case 'n': a->name = val; break;
      case 'v': a->ver = val; break;
      case 'a': a->alias = val; break;
      case 'i': a->issuer = val; break;
      case 's': a->subject = val; break;
      case 'd': a->dest = val; break;
      case 'D': a->dir = val; break;
      case 'r':
        if (!parse_long(val, INT32_MIN, INT32_MAX, &v)) {
          fprintf(stderr, "lattice claims: --rev takes a 32-bit integer, not '%s'\n", val);
          return 2;
        }
        a->has_rev = true;
        a->rev = (int32_t)v;
        break;
      case 'x':
      case 'b':
        if (!parse_long(val, 0, 365L * 1000, &v)) {
          fprintf(stderr, "lattice claims: %s takes a number of days, not '%s'\n", x, val);
          return 2;
        }
        if (id == 'x') a->expires_days = v;
        else a->nbf_days = v;
        break;
      case 'k':
        if (!parse_long(val, 0, 86400L * 365, &v)) {
          fprintf(stderr, "lattice claims: --skew takes seconds, not '%s'\n", val);
          return 2;
        }
        a->skew = v;
        break;
      case 't':
        if (a->ntags == MAX_TAGS) {
          fprintf(stderr, "lattice claims: at most %d tags\n", MAX_TAGS);
          return 2;
        }
        a->tags[a->ntags++] = val;
        break;
      case 'A':
        if (a->nallow == MAX_ISSUERS) {
          fprintf(stderr, "lattice claims: at most %d --allow-issuer\n", MAX_ISSUERS);
          return 2;
        }
        a->allow[a->nallow++] = val;
        break;
      default:
        if (x[0] == '-' && x[1]) {
          fprintf(stderr, "lattice claims: unknown option %s\n", x);
          return 2;
        }
        if (a->file) {
          fprintf(stderr, "lattice claims: unexpected argument %s\n", x);
          return 2;
        }
        a->file = x;
    }
  }
  if (!a->file) {
    claims_usage(stderr);
    return 2;
  }
  return 0;
}

static void print_json(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (s) puts(s);
  free(s);
  json_decref(o);
}

/* ---- sign --------------------------------------------------------------------------- */

/* A key from an explicit argument, an env variable, or <dir>/<base>_<kind>.nk
 * (generated and saved when missing unless keygen is off). */
static int get_key(const char *arg, const char *env, const char *dir,
                   const char *base, lat_nkey_type type, bool keygen,
                   lat_nkey_t *out) {
  lat_error_t err;
  if (!arg) arg = getenv(env);
  if (arg && *arg) {
    if (lat_nkey_load(arg, out, &err)) {
      fprintf(stderr, "lattice claims sign: %s\n", err.msg);
      return 1;
    }
    return 0;
  }
  char name[300], path[4400];
  snprintf(name, sizeof name, "%s_%s", base, lat_nkey_type_name(type));
  snprintf(path, sizeof path, "%s/%s.nk", dir, name);
  FILE *f = fopen(path, "r");
  if (f) {
    fclose(f);
    if (lat_nkey_load(path, out, &err)) {
      fprintf(stderr, "lattice claims sign: %s\n", err.msg);
      return 1;
    }
    return 0;
  }
  if (!keygen) {
    fprintf(stderr, "lattice claims sign: no %s key given and %s does not exist "
                    "(--disable-keygen)\n", lat_nkey_type_name(type), path);
    return 1;
  }
  if (lat_nkey_generate(type, out, &err) ||
      lat_keystore_save(dir, name, out, path, sizeof path, &err)) {
    fprintf(stderr, "lattice claims sign: %s\n", err.msg);
    lat_nkey_fini(out);
    return 1;
  }
  fprintf(stderr, "No %s key given: generated one and saved it to %s\n",
          lat_nkey_type_name(type), path);
  return 0;
}

static int claims_sign(const claims_args_t *a) {
  if (!a->name || !*a->name) {
    fprintf(stderr, "lattice claims sign: --name is required\n");
    return 2;
  }
  if (a->jwt_only || a->nallow || a->require_signed || a->skew) {
    fprintf(stderr, "lattice claims sign: --jwt-only, --allow-issuer, "
                    "--require-signed and --skew belong to inspect\n");
    return 2;
  }
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
  if (lat_file_read(a->file, &data, &len, &err)) {
    fprintf(stderr, "lattice claims sign: %s\n", err.msg);
    goto done;
  }
  if (get_key(a->issuer, "LATTICE_ISSUER_KEY", dir, base, LAT_NKEY_ACCOUNT,
              !a->disable_keygen, &iss) ||
      get_key(a->subject, "LATTICE_SUBJECT_KEY", dir, base, LAT_NKEY_MODULE,
              !a->disable_keygen, &sub))
    goto done;
  int64_t now = (int64_t)time(NULL);
  lat_claims_sign_opts_t o = {
      .name = a->name,
      .ver = a->ver,
      .has_rev = a->has_rev,
      .rev = a->rev,
      .tags = a->tags,
      .tag_count = a->ntags,
      .call_alias = a->alias,
      .prov = a->prov,
      .expires = a->expires_days ? now + a->expires_days * 86400 : 0,
      .not_before = a->nbf_days ? now + a->nbf_days * 86400 : 0,
      .now = now,
  };
  if (lat_claims_sign(data, len, &o, &iss, &sub, &out, &err)) {
    fprintf(stderr, "lattice claims sign: %s: %s\n", a->file, err.msg);
    goto done;
  }
  FILE *f = fopen(dest, "wb");
  if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
    fprintf(stderr, "lattice claims sign: cannot write %s: %s\n", dest, strerror(errno));
    goto done;
  }
  char ip[LAT_NKEY_PUBLIC_LEN + 1], sp[LAT_NKEY_PUBLIC_LEN + 1], hash[65];
  lat_nkey_public_string(&iss, ip);
  lat_nkey_public_string(&sub, sp);
  lat_claims_hash(out.data, out.len, hash, NULL);
  if (a->json) {
    json_t *j = json_object();
    json_object_set_new(j, "result", json_string("success"));
    json_object_set_new(j, "destination", json_string(dest));
    json_object_set_new(j, "account", json_string(ip));
    json_object_set_new(j, "component", json_string(sp));
    json_object_set_new(j, "hash", json_string(hash));
    print_json(j);
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

static void when(int64_t t, int64_t now, char *buf, size_t cap) {
  time_t tt = (time_t)t;
  struct tm tm;
  char date[64] = "?";
  if (gmtime_r(&tt, &tm)) strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
  int64_t d = t - now, ad = d < 0 ? -d : d;
  char rel[48];
  if (ad >= 86400) snprintf(rel, sizeof rel, "%lldd", (long long)(ad / 86400));
  else if (ad >= 3600) snprintf(rel, sizeof rel, "%lldh", (long long)(ad / 3600));
  else if (ad >= 60) snprintf(rel, sizeof rel, "%lldm", (long long)(ad / 60));
  else snprintf(rel, sizeof rel, "%llds", (long long)ad);
  snprintf(buf, cap, "%s (%s%s%s)", date, d >= 0 ? "in " : "", rel, d >= 0 ? "" : " ago");
}

static int claims_inspect(const claims_args_t *a) {
  if (a->name || a->ver || a->has_rev || a->ntags || a->alias || a->issuer ||
      a->subject || a->dest || a->prov || a->disable_keygen || a->expires_days ||
      a->nbf_days) {
    fprintf(stderr, "lattice claims inspect: signing options belong to sign\n");
    return 2;
  }
  uint8_t *data;
  size_t len;
  lat_error_t err;
  if (lat_file_read(a->file, &data, &len, &err)) {
    fprintf(stderr, "lattice claims inspect: %s\n", err.msg);
    return 1;
  }
  for (size_t i = 0; i < a->nallow; i++) {
    lat_nkey_t k;
    lat_error_clear(&err);
    if (lat_nkey_from_public(a->allow[i], strlen(a->allow[i]), &k, &err) ||
        k.type != LAT_NKEY_ACCOUNT) {
      fprintf(stderr, "lattice claims inspect: --allow-issuer %s: %s\n", a->allow[i],
              err.msg[0] ? err.msg : "not an account key (A...)");
      lat_free(data);
      return 2;
    }
  }
  int64_t now = (int64_t)time(NULL);
  lat_claims_policy_t pol = {.allowed_issuers = a->allow,
                             .allowed_count = a->nallow,
                             .require_signed = true,
                             .time = {.now = now, .skew = (uint32_t)a->skew}};
  lat_claims_t c;
  lat_crypto_reason r = LAT_CR_OK;
  lat_error_clear(&err);
  lat_status s = lat_claims_verify(data, len, &pol, &c, &r, &err);
  lat_free(data);
  if (s) {
    if (a->json) {
      json_t *j = json_object();
      json_object_set_new(j, "file", json_string(a->file));
      json_object_set_new(j, "valid", json_false());
      json_object_set_new(j, "reason", json_string(lat_crypto_reason_name(r)));
      json_object_set_new(j, "error", json_string(err.msg));
      print_json(j);
    }
    if (r == LAT_CR_UNSIGNED)
      fprintf(stderr, "lattice claims inspect: %s is not signed: it has no %s "
                      "section at the top level (LAT_CR_UNSIGNED)\n",
              a->file, LAT_CLAIMS_SECTION);
    else
      fprintf(stderr, "lattice claims inspect: %s: verification failed: %s (%s)\n",
              a->file, err.msg, lat_crypto_reason_name(r));
    return 1;
  }
  if (a->jwt_only) {
    printf("%s\n", c.token);
    lat_claims_fini(&c);
    return 0;
  }
  char exp[128] = "never", nbf[128] = "immediately", iat[128] = "?";
  if (c.jwt.has_exp) when(c.jwt.exp, now, exp, sizeof exp);
  if (c.jwt.has_nbf) when(c.jwt.nbf, now, nbf, sizeof nbf);
  if (c.jwt.has_iat) when(c.jwt.iat, now, iat, sizeof iat);
  if (a->json) {
    json_t *j = json_object(), *tags = json_array();
    json_object_set_new(j, "file", json_string(a->file));
    json_object_set_new(j, "valid", json_true());
    json_object_set_new(j, "name", c.name ? json_string(c.name) : json_null());
    json_object_set_new(j, "account", json_string(c.jwt.iss));
    json_object_set_new(j, "component", json_string(c.jwt.sub));
    json_object_set_new(j, "hash", json_string(c.hash));
    json_object_set_new(j, "issued_at", c.jwt.has_iat ? json_integer(c.jwt.iat) : json_null());
    json_object_set_new(j, "expires", c.jwt.has_exp ? json_integer(c.jwt.exp) : json_null());
    json_object_set_new(j, "can_be_used", c.jwt.has_nbf ? json_integer(c.jwt.nbf) : json_null());
    json_object_set_new(j, "version", c.ver ? json_string(c.ver) : json_null());
    json_object_set_new(j, "revision", c.has_rev ? json_integer(c.rev) : json_null());
    json_object_set_new(j, "call_alias", c.call_alias ? json_string(c.call_alias) : json_null());
    json_object_set_new(j, "prov", json_boolean(c.prov));
    for (size_t i = 0; i < c.tag_count; i++) json_array_append_new(tags, json_string(c.tags[i]));
    json_object_set_new(j, "tags", tags);
    json_object_set_new(j, "wascap_revision",
                        c.has_wascap_revision ? json_integer(c.wascap_revision) : json_null());
    print_json(j);
  } else {
    printf("%s - Component\n", c.name ? c.name : "Anonymous");
    printf("  Account       %s\n", c.jwt.iss);
    printf("  Component     %s\n", c.jwt.sub);
    printf("  Hash          %s\n", c.hash);
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
    printf("Verified: signature, key types, module hash and validity times hold%s.\n",
           a->nallow ? ", and the issuer is allowed" : "");
  }
  lat_claims_fini(&c);
  return 0;
}

int lat_cli_claims(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
      !strcmp(argv[1], "-h")) {
    claims_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  bool is_sign = !strcmp(argv[1], "sign"), is_inspect = !strcmp(argv[1], "inspect");
  if (!is_sign && !is_inspect) {
    fprintf(stderr, "lattice claims: unknown subcommand '%s'\n", argv[1]);
    claims_usage(stderr);
    return 2;
  }
  claims_args_t a;
  int rc = parse_args(argc - 1, argv + 1, &a);
  if (rc) return rc;
  return is_sign ? claims_sign(&a) : claims_inspect(&a);
}
