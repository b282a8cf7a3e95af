/* `lattice secrets serve|put|get|del|allow|deny`: secrets (PROTOCOL.md §8).
 *
 *   serve   the nats-kv backend (src/secrets/secrets_kv.c) until SIGINT or
 *           SIGTERM, as wasmCloud's secrets-nats-kv `run`
 *   put     stores a value in the nats-kv backend (sealed on the way, as
 *           secrets-nats-kv's put) and writes the reference SECRET_NAME into
 *           CONFIGDATA (as `wash secrets put`), so `--config SECRET_NAME`
 *           on a component or provider, or a link's source/target config,
 *           names it
 *   get     prints the reference SECRET_NAME (never the value)
 *   del     deletes the reference
 *   allow   lets an entity read keys: a component's subject (M..., from its
 *           claims), or a provider's id (the host vouches for providers)
 *   deny    takes that back
 *
 * A value comes from --value-env VAR, --value-file FILE or stdin
 * (--value-stdin); --value TEXT exists for tests and shows the value to
 * anyone who can list processes.  No command prints a value or a seed.
 * Keys come from --encryption-xkey/--transit-xkey (a seed SX... or a file
 * holding one) or ENCRYPTION_XKEY_SEED/TRANSIT_XKEY_SEED; a missing transit
 * key is made fresh (clients fetch it), a missing encryption key is an
 * error (values sealed with a throwaway key would be lost at restart).
 *
 * Exit status: 0 ok, 1 failure, 2 usage. */
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lattice/lattice.h"
#include "../secrets/secrets.h"
#include "cli.h"

static struct {
  const char *lattice, *ctl_host, *ctl_port, *ctl_creds, *prefix, *topic, *backend;
  const char *enc, *transit, *bucket, *name, *key, *field, *version;
  const char *value, *value_env, *value_file;
  bool value_stdin, binary;
  uint64_t timeout_ms, replicas;
  lat_cli_list_t props;
} so;

#define CONN_OPTS                                                                               \
  {"ctl-host", 0, LAT_CLI_STRING, &so.ctl_host, "HOST",                                         \
   "NATS host [WASMCLOUD_CTL_HOST] (default 127.0.0.1)"},                                      \
      {"ctl-port", 0, LAT_CLI_STRING, &so.ctl_port, "PORT",                                     \
       "NATS port [WASMCLOUD_CTL_PORT] (default 4222)"},                                       \
      {"ctl-creds", 0, LAT_CLI_STRING, &so.ctl_creds, "FILE",                                   \
       "NATS .creds file [WASMCLOUD_CTL_CREDS]"},                                              \
      {"secrets-topic", 0, LAT_CLI_STRING, &so.topic, "PREFIX",                                 \
       "backends' subject prefix [WASMCLOUD_SECRETS_TOPIC] (default wasmcloud.secrets)"},      \
      {"timeout-ms", 0, LAT_CLI_COUNT, &so.timeout_ms, "MS", "wait at most this long (default 5000)"}
#define CTL_OPTS                                                                                \
  {"lattice", 0, LAT_CLI_STRING, &so.lattice, "NAME",                                           \
   "lattice name [WASMCLOUD_LATTICE] (default: default)"},                                     \
      {"ctl-topic-prefix", 0, LAT_CLI_STRING, &so.prefix, "PREFIX",                             \
       "control subject prefix (default wasmbus.ctl)"}
#define BACKEND_OPT                                                                             \
  {"backend", 0, LAT_CLI_STRING, &so.backend, "NAME", "the secrets backend (default nats-kv)"}

static const char *env_or(const char *v, const char *env) { return v ? v : getenv(env); }

static void settle(void) {
  so.ctl_host = env_or(so.ctl_host, "WASMCLOUD_CTL_HOST");
  so.ctl_port = env_or(so.ctl_port, "WASMCLOUD_CTL_PORT");
  so.ctl_creds = env_or(so.ctl_creds, "WASMCLOUD_CTL_CREDS");
  so.topic = env_or(so.topic, "WASMCLOUD_SECRETS_TOPIC");
  so.lattice = env_or(so.lattice, "WASMCLOUD_LATTICE");
  if (!so.lattice) so.lattice = "default";
  if (!so.backend) so.backend = "nats-kv";
  if (!so.timeout_ms || so.timeout_ms > 600000) so.timeout_ms = 5000;
}

static int connect_nats(const lat_cli_args_t *a, lat_lattice_conn_t **out) {
  char url[300];
  snprintf(url, sizeof url, "nats://%s:%s", so.ctl_host ? so.ctl_host : "127.0.0.1",
           so.ctl_port ? so.ctl_port : "4222");
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = url;
  o.creds_file = so.ctl_creds;
  o.name = "lattice-secrets";
  lat_error_t err;
  if (lat_lattice_conn_new(&o, out, NULL, &err)) return lat_cli_fail_err(a, 1, "connect", &err);
  return -1;
}

/* ---- serve ---------------------------------------------------------------------- */

/* A curve key from a flag, else an env variable; *have false when neither. */
static int load_xkey(const lat_cli_args_t *a, const char *flag, const char *env, const char *what,
                     lat_nkey_t *out, bool *have) {
  const char *v = flag ? flag : getenv(env);
  *have = v && *v;
  if (!*have) return -1;
  lat_error_t err;
  if (lat_nkey_load(v, out, &err)) return lat_cli_fail_err(a, 2, what, &err);
  if (out->type != LAT_NKEY_CURVE) {
    lat_nkey_fini(out);
    return lat_cli_fail(a, 2, "the %s must be a curve seed (SX...)", what);
  }
  return -1;
}

static int run_serve(lat_cli_args_t *a) {
  settle();
  lat_nkey_t enc, transit;
  bool have_enc, have_transit;
  int rc = load_xkey(a, so.enc, "ENCRYPTION_XKEY_SEED", "encryption key", &enc, &have_enc);
  if (rc >= 0) return rc;
  if (!have_enc)
    return lat_cli_fail(a, 2, "needs --encryption-xkey or ENCRYPTION_XKEY_SEED (a curve seed: "
                              "`lattice keys gen curve`)");
  if ((rc = load_xkey(a, so.transit, "TRANSIT_XKEY_SEED", "transit key", &transit,
                      &have_transit)) >= 0) {
    lat_nkey_fini(&enc);
    return rc;
  }
  lat_error_t err;
  if (!have_transit && lat_nkey_generate(LAT_NKEY_CURVE, &transit, &err)) {
    lat_nkey_fini(&enc);
    return lat_cli_fail_err(a, 1, "transit key", &err);
  }
  lat_log_config_t lc = {.level = LAT_LOG_INFO, .format = LAT_LOG_TEXT, .fd = 2};
  lat_log_configure(&lc);
  sigset_t set;
  lat_cli_block_signals(&set, false);
  lat_lattice_conn_t *c = NULL;
  lat_secrets_kv_t *s = NULL;
  if ((rc = connect_nats(a, &c)) < 0) {
    lat_secrets_kv_opts_t o = {.conn = c, .topic = so.topic, .name = so.name, .bucket = so.bucket,
                               .encryption = &enc, .transit = &transit,
                               .replicas = (int)(so.replicas > 5 ? 5 : so.replicas)};
    if (lat_secrets_kv_new(&o, &s, &err)) {
      rc = lat_cli_fail_err(a, 1, "serve", &err);
    } else {
      char pub[LAT_NKEY_PUBLIC_LEN + 1];
      lat_nkey_public_string(&transit, pub);
      LAT_LOG(LAT_LOG_INFO, "secrets", "serving secrets",
              LAT_KV_STR("backend", so.name ? so.name : "nats-kv"),
              LAT_KV_STR("topic", so.topic ? so.topic : LAT_SECRETS_TOPIC_DEFAULT),
              LAT_KV_STR("transit_xkey", pub));
      int sig = 0;
      sigwait(&set, &sig);
      LAT_LOG(LAT_LOG_INFO, "secrets", "stopping", LAT_KV_INT("signal", sig));
      lat_secrets_kv_free(s);
      rc = 0;
    }
    lat_lattice_conn_free(c);
  }
  lat_nkey_fini(&enc);
  lat_nkey_fini(&transit);
  lat_lattice_library_close(2000);
  return rc;
}

/* ---- put ------------------------------------------------------------------------- */

/* The value from the one source given, into *out (wipe and free). */
static int read_value(const lat_cli_args_t *a, lat_buf_t *out) {
  int n = !!so.value + !!so.value_env + !!so.value_file + so.value_stdin;
  if (n != 1)
    return lat_cli_fail(a, 2, "give the value one way: --value-env VAR, --value-file FILE, "
                              "--value-stdin or --value TEXT");
  lat_error_t err;
  if (so.value || so.value_env) {
    const char *v = so.value ? so.value : getenv(so.value_env);
    if (!v) return lat_cli_fail(a, 2, "the variable %s is not set", so.value_env);
    return lat_buf_append(out, v, strlen(v)) ? lat_cli_fail(a, 1, "out of memory") : -1;
  }
  if (so.value_file) {
    uint8_t *d = NULL;
    size_t len = 0;
    if (lat_file_read(so.value_file, &d, &len, &err)) return lat_cli_fail_err(a, 1, "value", &err);
    lat_status st = lat_buf_append(out, d, len);
    sodium_memzero(d, len);
    lat_free(d);
    return st ? lat_cli_fail(a, 1, "out of memory") : -1;
  }
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, stdin)) > 0)
    if (lat_buf_append(out, buf, got) || out->len > LAT_SECRETS_MAX_VALUE) {
      sodium_memzero(buf, sizeof buf);
      return lat_cli_fail(a, 1, "the value is larger than %u bytes", LAT_SECRETS_MAX_VALUE);
    }
  sodium_memzero(buf, sizeof buf);
  return -1;
}

/* One control request (config.put/get/del); *out the parsed reply. */
static int ctl(const lat_cli_args_t *a, lat_lattice_conn_t *c, const char *verb, const char *name,
               json_t *body, json_t **out) {
  char *subj = NULL, *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  lat_error_t err;
  lat_lattice_reply_t r = {0};
  lat_status st = lat_lattice_subj_ctl(so.prefix, so.lattice, "config", verb, name, &subj, &err);
  if (!st)
    st = lat_lattice_conn_request(c, subj, text ? text : "", text ? strlen(text) : 0,
                                  (uint32_t)so.timeout_ms, &r, &err);
  free(text);
  lat_free(subj);
  if (st) return lat_cli_fail_err(a, 1, "config", &err);
  *out = json_loadb((const char *)r.data, r.len, 0, NULL);
  lat_lattice_reply_fini(&r);
  if (!json_is_true(json_object_get(*out, "success"))) {
    const char *m = json_string_value(json_object_get(*out, "message"));
    int rc2 = lat_cli_fail(a, 1, "config %s %s: %s", verb, name, m ? m : "refused");
    json_decref(*out);
    *out = NULL;
    return rc2;
  }
  return -1;
}

static int ref_name(const lat_cli_args_t *a, const char *name, char *out, size_t cap) {
  if (!lat_lattice_token_valid(name) || !strncmp(name, LAT_SECRETS_REF_PREFIX, 7))
    return lat_cli_fail(a, 2, "bad secret name '%s' (one NATS token, without the SECRET_ prefix)",
                        name);
  snprintf(out, cap, LAT_SECRETS_REF_PREFIX "%s", name);
  return -1;
}

/* The reference: {name, backend, key, field?, version?, policy, type}. */
static json_t *reference(const lat_cli_args_t *a, const char *name, int *rc) {
  json_t *props = json_object();
  for (size_t i = 0; i < so.props.n; i++) {
    const char *eq = strchr(so.props.v[i], '=');
    if (!eq || eq == so.props.v[i]) {
      json_decref(props);
      *rc = lat_cli_fail(a, 2, "'%s' is not KEY=VALUE", so.props.v[i]);
      return NULL;
    }
    char k[256];
    snprintf(k, sizeof k, "%.*s", (int)(eq - so.props.v[i]), so.props.v[i]);
    json_object_set_new(props, k, json_string(eq + 1));
  }
  json_object_set_new(props, "backend", json_string(so.backend));
  json_t *pol = json_pack("{s:s,s:o}", "type", LAT_SECRETS_POLICY_TYPE, "properties", props);
  char *pt = pol ? json_dumps(pol, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(pol);
  json_t *ref = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", name, "backend", so.backend, "key",
                          so.key ? so.key : name, "policy", pt ? pt : "{}", "type",
                          LAT_SECRETS_REF_TYPE);
  free(pt);
  if (ref && so.field) json_object_set_new(ref, "field", json_string(so.field));
  if (ref && so.version) json_object_set_new(ref, "version", json_string(so.version));
  return ref;
}

static int run_put(lat_cli_args_t *a) {
  settle();
  const char *name = a->pos[0];
  char ref_key[300];
  int rc = ref_name(a, name, ref_key, sizeof ref_key);
  if (rc >= 0) return rc;
  const char *key = so.key ? so.key : name;
  if (!lat_lattice_token_valid(key)) return lat_cli_fail(a, 2, "bad key '%s'", key);
  lat_buf_t v = {0};
  if ((rc = read_value(a, &v)) >= 0) return rc;
  json_t *ref = reference(a, name, &rc), *body = NULL, *r = NULL;
  char *text = NULL;
  lat_lattice_conn_t *c = NULL;
  lat_secrets_client_t *cl = NULL;
  lat_error_t err;
  lat_lattice_reply_t rep = {0};
  if (!ref) goto out;
  if (so.binary) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < v.len; i++) json_array_append_new(arr, json_integer(v.data[i]));
    body = json_pack("{s:s,s:o}", "key", key, "binary_secret", arr);
  } else {
    body = json_pack("{s:s,s:s%}", "key", key, "string_secret", v.data ? (char *)v.data : "", v.len);
  }
  text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  if (!text) {
    rc = lat_cli_fail(a, 1, "the value is not valid UTF-8 text (use --binary) or out of memory");
    goto out;
  }
  if ((rc = connect_nats(a, &c)) >= 0) goto out;
  if (lat_secrets_client_new(c, so.topic, so.backend, (uint32_t)so.timeout_ms, &cl, &err) ||
      lat_secrets_client_sealed(cl, "put_secret", text, strlen(text), &rep, &err)) {
    rc = lat_cli_fail_err(a, 1, "put", &err);
    goto out;
  }
  json_t *pr = json_loadb((const char *)rep.data, rep.len, 0, NULL);
  json_t *perr = json_object_get(pr, "error");
  json_int_t revision = json_integer_value(json_object_get(pr, "revision"));
  if (!json_is_object(pr) || (perr && !json_is_null(perr))) {
    rc = lat_cli_fail(a, 1, "the backend refused the value: %s",
                      json_is_string(perr) ? json_string_value(perr) : "unreadable reply");
    json_decref(pr);
    goto out;
  }
  json_decref(pr);
  if ((rc = ctl(a, c, "put", ref_key, ref, &r)) >= 0) goto out;
  if (a->json)
    lat_cli_json_print(json_pack("{s:b,s:s,s:s,s:I}", "success", 1, "reference", ref_key, "key",
                                 key, "revision", revision));
  else
    printf("secret %s stored in %s (revision %lld); reference %s\n", key, so.backend,
           (long long)revision, ref_key);
  rc = 0;
out:
  if (text) sodium_memzero(text, strlen(text));
  free(text);
  if (body) {
    json_t *s = json_object_get(body, "string_secret");
    if (json_is_string(s)) sodium_memzero((char *)json_string_value(s), json_string_length(s));
  }
  json_decref(body);
  json_decref(ref);
  json_decref(r);
  if (v.data) sodium_memzero(v.data, v.len);
  lat_buf_fini(&v);
  lat_lattice_reply_fini(&rep);
  lat_secrets_client_free(cl);
  lat_lattice_conn_free(c);
  return rc;
}

/* ---- get / del ------------------------------------------------------------------------ */

static int run_ref(lat_cli_args_t *a, const char *verb) {
  settle();
  char ref_key[300];
  int rc = ref_name(a, a->pos[0], ref_key, sizeof ref_key);
  if (rc >= 0) return rc;
  lat_lattice_conn_t *c = NULL;
  json_t *r = NULL;
  if ((rc = connect_nats(a, &c)) >= 0) return rc;
  if ((rc = ctl(a, c, verb, ref_key, NULL, &r)) < 0) {
    json_t *m = json_object_get(r, "response");
    if (!strcmp(verb, "get") && !m) {
      rc = lat_cli_fail(a, 1, "secret reference %s not found", ref_key);
    } else if (!strcmp(verb, "get")) {
      if (a->json) lat_cli_json_print(json_incref(m));
      else {
        const char *k;
        json_t *v;
        json_object_foreach(m, k, v) printf("%s=%s\n", k, json_string_value(v));
      }
      rc = 0;
    } else {
      if (a->json) lat_cli_json_print(json_pack("{s:b}", "success", 1));
      else printf("secret reference %s deleted\n", ref_key);
      rc = 0;
    }
  }
  json_decref(r);
  lat_lattice_conn_free(c);
  return rc;
}
static int run_get(lat_cli_args_t *a) { return run_ref(a, "get"); }
static int run_del(lat_cli_args_t *a) { return run_ref(a, "del"); }

/* ---- allow / deny ----------------------------------------------------------------------- */

static int run_mapping(lat_cli_args_t *a, bool add) {
  settle();
  const char *entity = a->pos[0];
  if (!lat_lattice_token_valid(entity))
    return lat_cli_fail(a, 2, "bad entity '%s' (a component's M... key or a provider id)", entity);
  json_t *keys = json_array();
  for (int i = 1; i < a->npos; i++) json_array_append_new(keys, json_string(a->pos[i]));
  char *text = json_dumps(keys, JSON_COMPACT), op[400];
  json_decref(keys);
  snprintf(op, sizeof op, "%s.%s", add ? "add_mapping" : "remove_mapping", entity);
  lat_lattice_conn_t *c = NULL;
  lat_secrets_client_t *cl = NULL;
  lat_lattice_reply_t rep = {0};
  lat_error_t err;
  int rc = connect_nats(a, &c);
  if (rc < 0) {
    if (!text || lat_secrets_client_new(c, so.topic, so.backend, (uint32_t)so.timeout_ms, &cl, &err) ||
        lat_secrets_client_plain(cl, op, text, strlen(text), &rep, &err))
      rc = text ? lat_cli_fail_err(a, 1, add ? "allow" : "deny", &err)
                : lat_cli_fail(a, 1, "out of memory");
    else if (rep.len != 2 || memcmp(rep.data, "ok", 2))
      rc = lat_cli_fail(a, 1, "the backend said: %.*s", (int)rep.len, (const char *)rep.data);
    else {
      if (a->json) lat_cli_json_print(json_pack("{s:b}", "success", 1));
      else printf("%s %s %d key(s)\n", entity, add ? "may now read" : "may no longer read",
                  a->npos - 1);
      rc = 0;
    }
  }
  free(text);
  lat_lattice_reply_fini(&rep);
  lat_secrets_client_free(cl);
  lat_lattice_conn_free(c);
  return rc;
}
static int run_allow(lat_cli_args_t *a) { return run_mapping(a, true); }
static int run_deny(lat_cli_args_t *a) { return run_mapping(a, false); }

/* ---- the group ------------------------------------------------------------------------- */

static const lat_cli_opt_t serve_opts[] = {
    CONN_OPTS,
    {"name", 0, LAT_CLI_STRING, &so.name, "NAME", "the backend's name (default nats-kv)"},
    {"encryption-xkey", 0, LAT_CLI_STRING, &so.enc, "SEED|FILE",
     "curve seed sealing values at rest [ENCRYPTION_XKEY_SEED] (required)"},
    {"transit-xkey", 0, LAT_CLI_STRING, &so.transit, "SEED|FILE",
     "curve seed requests are sealed to [TRANSIT_XKEY_SEED] (default: a new one)"},
    {"bucket", 0, LAT_CLI_STRING, &so.bucket, "NAME", "KV bucket of the values (default WASMCLOUD_SECRETS)"},
    {"replicas", 0, LAT_CLI_COUNT, &so.replicas, "N", "JetStream replicas of new buckets (default 1)"},
};
static const lat_cli_opt_t put_opts[] = {
    CONN_OPTS, CTL_OPTS, BACKEND_OPT,
    {"key", 0, LAT_CLI_STRING, &so.key, "KEY", "the key in the backend (default NAME)"},
    {"field", 0, LAT_CLI_STRING, &so.field, "FIELD", "the reference's field"},
    {"version", 0, LAT_CLI_STRING, &so.version, "VERSION", "the reference's version"},
    {"policy-property", 0, LAT_CLI_LIST, &so.props, "K=V", "a policy property (repeatable)"},
    {"value-env", 0, LAT_CLI_STRING, &so.value_env, "VAR", "the value is this variable's"},
    {"value-file", 0, LAT_CLI_STRING, &so.value_file, "FILE", "the value is this file's bytes"},
    {"value-stdin", 0, LAT_CLI_FLAG, &so.value_stdin, NULL, "the value is read from stdin"},
    {"value", 0, LAT_CLI_STRING, &so.value, "TEXT", "the value itself (visible to ps: tests only)"},
    {"binary", 0, LAT_CLI_FLAG, &so.binary, NULL, "store the value as bytes, not text"},
};
static const lat_cli_opt_t ref_opts[] = {CONN_OPTS, CTL_OPTS};
static const lat_cli_opt_t map_opts[] = {CONN_OPTS, BACKEND_OPT};

static const lat_cli_cmd_t serve_cmd = {
    .name = "secrets serve", .usage = "[OPTIONS]",
    .summary = "run the nats-kv secrets backend (wasmCloud's secrets-nats-kv)",
    .opts = serve_opts, .nopts = LAT_CLI_NOPTS(serve_opts),
    .examples = "  ENCRYPTION_XKEY_SEED=SX... lattice secrets serve\n"};
static const lat_cli_cmd_t put_cmd = {
    .name = "secrets put", .usage = "[OPTIONS] NAME",
    .summary = "store a secret in the backend and its reference SECRET_NAME in the lattice",
    .opts = put_opts, .nopts = LAT_CLI_NOPTS(put_opts), .min_pos = 1, .max_pos = 1,
    .pos_name = "NAME",
    .examples = "  DB_PASSWORD=... lattice secrets put db-password --value-env DB_PASSWORD\n"
                "  lattice secrets put tls-key --value-file key.pem --binary\n"};
static const lat_cli_cmd_t get_cmd = {
    .name = "secrets get", .usage = "[OPTIONS] NAME", .summary = "print a secret's reference",
    .opts = ref_opts, .nopts = LAT_CLI_NOPTS(ref_opts), .min_pos = 1, .max_pos = 1,
    .pos_name = "NAME", .examples = "  lattice secrets get db-password\n"};
static const lat_cli_cmd_t del_cmd = {
    .name = "secrets del", .usage = "[OPTIONS] NAME", .summary = "delete a secret's reference",
    .opts = ref_opts, .nopts = LAT_CLI_NOPTS(ref_opts), .min_pos = 1, .max_pos = 1,
    .pos_name = "NAME", .examples = "  lattice secrets del db-password\n"};
static const lat_cli_cmd_t allow_cmd = {
    .name = "secrets allow", .usage = "[OPTIONS] ENTITY KEY...",
    .summary = "let a component (M... key) or provider (id) read keys",
    .opts = map_opts, .nopts = LAT_CLI_NOPTS(map_opts), .min_pos = 2, .pos_name = "ENTITY KEY",
    .examples = "  lattice secrets allow MBXYZ... db-password\n"};
static const lat_cli_cmd_t deny_cmd = {
    .name = "secrets deny", .usage = "[OPTIONS] ENTITY KEY...",
    .summary = "stop a component or provider reading keys",
    .opts = map_opts, .nopts = LAT_CLI_NOPTS(map_opts), .min_pos = 2, .pos_name = "ENTITY KEY",
    .examples = "  lattice secrets deny MBXYZ... db-password\n"};

static const lat_cli_sub_t subs[] = {
    {"serve", &serve_cmd, run_serve}, {"put", &put_cmd, run_put},
    {"get", &get_cmd, run_get},       {"del", &del_cmd, run_del},
    {"allow", &allow_cmd, run_allow}, {"deny", &deny_cmd, run_deny}};
static const lat_cli_group_t group = {
    .name = "secrets", .summary = "secrets: the nats-kv backend, values and references",
    .subs = subs, .nsubs = LAT_CLI_NOPTS(subs),
    .examples = "  lattice secrets put api-token --value-env API_TOKEN\n"};

int lat_cli_secrets(int argc, char **argv) { return lat_cli_group_run(&group, argc, argv); }
