/* `lattice nats init`: NATS decentralised auth for a lattice (issue 13, zero
 * trust), with our own nkeys and JWTs (src/crypto), since nsc is not
 * available.
 *
 * What it writes into DIR:
 *   operator.nk / operator.jwt   the operator (self-signed)
 *   sys.nk / sys.jwt             the system account (the server's own)
 *   account.nk / account.jwt     the lattice's account, JetStream enabled,
 *                                signed by the operator
 *   {admin,host,provider,observer}.nk and .creds
 *                                users signed by the account, each with
 *                                the permissions below
 *   nats.conf                    nats-server in operator mode: `operator`,
 *                                `system_account`, `resolver: MEMORY` with
 *                                both account JWTs preloaded, JetStream,
 *                                and `tls {}` (verify: clients need a
 *                                certificate of the same CA) when given
 *                                certificates.
 * Keys (.nk, 0600) are made once and kept; everything signed is rewritten
 * on every run, so a second init (as `lattice up --secure` does at each
 * start) keeps every creds file valid and the JetStream store (kept per
 * account key) usable.
 *
 * The JWTs are NATS v2 (nats-io/jwt v2): header {"typ":"JWT","alg":
 * "ed25519-nkey"}, claims jti/iat/iss/sub/name and a `nats` object with
 * `type` and `version: 2`.  Accounts carry `limits` (NatsLimits +
 * AccountLimits + JetStreamLimits, flattened as jwt v2 embeds them;
 * JetStream is on when mem_storage or disk_storage is not 0; -1 means no
 * limit).  Users carry `pub`/`sub` {allow, deny}, `resp` (allow_responses:
 * {max, ttl ns}) and their own subs/data/payload limits.  The operator
 * names its `system_account`.  jti is random: the server does not check
 * it against the claims' hash (nats-io/jwt computes one; nothing verifies
 * it).
 *
 * Permissions, with L the lattice and P = {ctl prefix}.v1.L:
 *
 *   admin     everything (pub and sub ">"): `lattice` control commands, the
 *             manager (it scales, starts and links as a client, and keeps
 *             its own KV buckets and streams).
 *   host      what a host's two connections need, and no more:
 *             sub  P.>                 the ctl subjects it serves (§1.1),
 *                                      plain and queue subscriptions
 *                  L.>                 wRPC exports of its components
 *                  _INBOX.>            replies to its own requests (KV, JS,
 *                                      wRPC results, provider health)
 *             pub  wasmbus.evt.L.>     events
 *                  L.>                 wRPC calls to components/providers
 *                  wasmbus.rpc.L.>     provider management (§5.2)
 *                  wasmbus.cfg.L.>     the supplemental config request
 *                  wasmcloud.secrets.> secrets backend requests (§8)
 *                  _INBOX.>            ctl replies and wRPC handshakes and
 *                                      results (R_c.results is not the
 *                                      reply subject itself, so
 *                                      allow_responses is not enough)
 *                  $JS.API.INFO, $JS.API.STREAM.NAMES (libnats looks a
 *                  KV stream up by subject: names only) and the KV
 *                  patterns of LATTICEDATA_L and CONFIGDATA_L (below)
 *             and NOT P.>: a host's creds cannot send ctl commands.
 *   provider  the rpc connection's user (HostData hands it to providers):
 *             sub  L.>, wasmbus.rpc.L.>, _INBOX.>
 *             pub  L.>, wasmbus.rpc.L.>, _INBOX.>, $JS.API.INFO,
 *                  $JS.API.STREAM.NAMES and the KV patterns of each
 *                  --kv-bucket
 *             nothing under P or wasmbus.evt: it cannot watch or drive
 *             the control plane.  (A host started with this as its rpc
 *             creds, as `lattice up --secure` does, hands providers no
 *             more than that.)
 *   observer  read-only: pub only the read requests P.host.ping,
 *             P.host.get.*, P.link.get, P.claims.get, P.config.get.* and
 *             the manager's wadm.api.L.model.{get,get.*,list,status.*,
 *             versions.*}; sub _INBOX.>, wasmbus.evt.L.>, wadm.status.L.>.
 *   host and provider also get allow_responses (resp max 1) so a reply
 *   to a request with a non-inbox reply subject (JetStream flow control)
 *   is allowed.
 *
 * KV patterns of bucket B (what libnats' KV uses: stream info/create/
 * purge, direct and msg get, ordered-consumer create/delete, puts, flow
 * control, acks):  $JS.API.*.*.KV_B, $JS.API.*.*.KV_B.>,
 * $JS.API.*.*.*.KV_B, $JS.API.*.*.*.KV_B.>, $KV.B.>, $JS.FC.KV_B.>,
 * $JS.ACK.KV_B.>.  NATS wildcards are whole tokens, so a bucket is named
 * exactly (no KV_LATTICEDATA_* for every lattice).
 *
 * Known limits, documented rather than hidden: every user that makes
 * requests subscribes to _INBOX.>, so one user can read replies meant for
 * another (per-user inbox prefixes need every inbox in src/lattice made
 * from the conn; libnats 3.4's natsInbox_Create has no prefix); and a user
 * allowed STREAM.CREATE on KV_B could give that stream other subjects
 * (JetStream does not check stream subjects against the creator's
 * permissions), which is why providers get no bucket unless named.
 *
 * Rejected: the FULL (directory) resolver (needs a system-account push
 * for every change and a writable JWT directory; MEMORY is what `nsc
 * generate config --mem-resolver` emits and the set of accounts is fixed
 * here); one user for host and providers (a provider could then watch and
 * answer the control plane).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ---- keys and JWTs ------------------------------------------------------------------------ */

/* DIR/NAME.nk when it exists (it must be of type t), else a new key saved there. */
static lat_status key_load_or_make(const char *dir, const char *name, lat_nkey_type t,
                                   lat_nkey_t *out, lat_error_t *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s%s", dir, name, LAT_KEYSTORE_EXT);
  if (access(path, F_OK) == 0) {
    lat_status st = lat_nkey_load(path, out, err);
    if (st) return st;
    if (out->type != t) {
      lat_nkey_fini(out);
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "%s holds a %s key, want %s", path,
                           lat_nkey_type_name(out->type), lat_nkey_type_name(t));
    }
    return LAT_OK;
  }
  lat_status st = lat_nkey_generate(t, out, err);
  if (st) return st;
  if ((st = lat_keystore_save(dir, name, out, path, sizeof path, err))) lat_nkey_fini(out);
  return st;
}

/* A random jti: 26 characters of base32. */
static void make_jti(char out[27]) {
  static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  for (int i = 0; i < 26; i++) out[i] = b32[randombytes_uniform(32)];
  out[26] = 0;
}

/* Signs {jti, iat, iss, name, sub, nats} (takes nats). */
static lat_status sign(const lat_nkey_t *issuer, const lat_nkey_t *subject, const char *name,
                       json_t *nats, char **out_jwt, lat_error_t *err) {
  char iss[LAT_NKEY_PUBLIC_LEN + 1], sub[LAT_NKEY_PUBLIC_LEN + 1], jti[27];
  lat_nkey_public_string(issuer, iss);
  lat_nkey_public_string(subject, sub);
  make_jti(jti);
  json_t *c = json_pack("{s:s,s:I,s:s,s:s,s:s,s:o}", "jti", jti, "iat", (json_int_t)time(NULL),
                        "iss", iss, "name", name, "sub", sub, "nats", nats);
  char *text = c ? json_dumps(c, JSON_COMPACT) : NULL;
  json_decref(c);
  if (!text) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_status st = lat_jwt_encode(LAT_JWT_ALG_NKEY, text, strlen(text), issuer, out_jwt, err);
  free(text);
  return st;
}

static json_t *account_claims(bool jetstream) {
  json_int_t js = jetstream ? -1 : 0;
  return json_pack("{s:{s:i,s:i,s:i,s:i,s:i,s:b,s:i,s:i,s:I,s:I,s:i,s:i,s:i,s:i,s:i,s:b},"
                   "s:{s:{},s:{}},s:s,s:i}",
                   "limits", "subs", -1, "data", -1, "payload", -1, "imports", -1, "exports", -1,
                   "wildcards", 1, "conn", -1, "leaf", -1, "mem_storage", js, "disk_storage", js,
                   "streams", jetstream ? -1 : 0, "consumer", jetstream ? -1 : 0,
                   "max_ack_pending", jetstream ? -1 : 0, "mem_max_stream_bytes",
                   jetstream ? -1 : 0, "disk_max_stream_bytes", jetstream ? -1 : 0,
                   "max_bytes_required", 0, "default_permissions", "pub", "sub", "type",
                   "account", "version", 2);
}

/* ---- permissions -------------------------------------------------------------------------- */

static void add(json_t *arr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(json_t *arr, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  json_array_append_new(arr, json_string(buf));
}

/* What libnats' KV does on bucket b (see the design comment). */
static void add_kv(json_t *pub, const char *b) {
  add(pub, "$JS.API.*.*.KV_%s", b);
  add(pub, "$JS.API.*.*.KV_%s.>", b);
  add(pub, "$JS.API.*.*.*.KV_%s", b);
  add(pub, "$JS.API.*.*.*.KV_%s.>", b);
  add(pub, "$KV.%s.>", b);
  add(pub, "$JS.FC.KV_%s.>", b);
  add(pub, "$JS.ACK.KV_%s.>", b);
}

typedef enum { ROLE_ADMIN, ROLE_HOST, ROLE_PROVIDER, ROLE_OBSERVER, ROLE_COUNT } role_t;
static const char *const role_names[ROLE_COUNT] = {"admin", "host", "provider", "observer"};

/* The user claims' `nats` object for a role. */
static json_t *user_claims(role_t r, const lat_cli_nats_init_t *c) {
  const char *L = c->lattice;
  char P[300];
  snprintf(P, sizeof P, "%s.v1.%s", c->ctl_prefix, L);
  json_t *pub = json_array(), *sub = json_array();
  switch (r) {
    case ROLE_ADMIN:
      add(pub, ">");
      add(sub, ">");
      break;
    case ROLE_HOST:
      add(sub, "%s.>", P);
      add(sub, "%s.>", L);
      add(sub, "_INBOX.>");
      add(pub, "wasmbus.evt.%s.>", L);
      add(pub, "%s.>", L);
      add(pub, "wasmbus.rpc.%s.>", L);
      add(pub, "wasmbus.cfg.%s.>", L);
      add(pub, "wasmcloud.secrets.>");
      add(pub, "_INBOX.>");
      add(pub, "$JS.API.INFO");
      add(pub, "$JS.API.STREAM.NAMES");
      {
        char b[300];
        snprintf(b, sizeof b, "LATTICEDATA_%s", L);
        add_kv(pub, b);
        snprintf(b, sizeof b, "CONFIGDATA_%s", L);
        add_kv(pub, b);
      }
      break;
    case ROLE_PROVIDER:
      add(sub, "%s.>", L);
      add(sub, "wasmbus.rpc.%s.>", L);
      add(sub, "_INBOX.>");
      add(pub, "%s.>", L);
      add(pub, "wasmbus.rpc.%s.>", L);
      add(pub, "_INBOX.>");
      add(pub, "$JS.API.INFO");
      add(pub, "$JS.API.STREAM.NAMES");
      for (size_t i = 0; i < c->nkv; i++) add_kv(pub, c->kv_buckets[i]);
      break;
    case ROLE_OBSERVER:
      add(pub, "%s.host.ping", P);
      add(pub, "%s.host.get.*", P);
      add(pub, "%s.link.get", P);
      add(pub, "%s.claims.get", P);
      add(pub, "%s.config.get.*", P);
      add(pub, "wadm.api.%s.model.get", L);
      add(pub, "wadm.api.%s.model.get.*", L);
      add(pub, "wadm.api.%s.model.list", L);
      add(pub, "wadm.api.%s.model.status.*", L);
      add(pub, "wadm.api.%s.model.versions.*", L);
      add(sub, "_INBOX.>");
      add(sub, "wasmbus.evt.%s.>", L);
      add(sub, "wadm.status.%s.>", L);
      break;
    default:
      break;
  }
  json_t *n = json_pack("{s:{s:o},s:{s:o},s:i,s:i,s:i,s:s,s:i}", "pub", "allow", pub, "sub",
                        "allow", sub, "subs", -1, "data", -1, "payload", -1, "type", "user",
                        "version", 2);
  if (n && (r == ROLE_HOST || r == ROLE_PROVIDER))
    json_object_set_new(n, "resp", json_pack("{s:i,s:i}", "max", 1, "ttl", 0));
  return n;
}

/* ---- files -------------------------------------------------------------------------------- */

static lat_status write_file(const char *dir, const char *name, mode_t mode, const char *text,
                             lat_error_t *err) {
  char path[4200], tmp[4300];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot create %s: %s", tmp, strerror(errno));
  size_t len = strlen(text);
  ssize_t w = write(fd, text, len);
  if (close(fd) < 0 || w != (ssize_t)len || rename(tmp, path) < 0) {
    unlink(tmp);
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot write %s", path);
  }
  return LAT_OK;
}

/* The creds file format of nsc (libnats reads the JWT and the seed
 * between their BEGIN/END lines). */
static lat_status write_creds(const char *dir, const char *name, const char *jwt,
                              const lat_nkey_t *user, lat_error_t *err) {
  char seed[LAT_NKEY_SEED_LEN + 1];
  lat_status st = lat_nkey_seed_string(user, seed, err);
  if (st) return st;
  lat_buf_t b;
  lat_buf_init(&b);
  st = lat_buf_printf(&b,
                      "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n"
                      "************************* IMPORTANT *************************\n"
                      "NKEY Seed printed below can be used to sign and prove identity.\n"
                      "NKEYs are sensitive and should be treated as secrets.\n\n"
                      "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n\n"
                      "*************************************************************\n",
                      jwt, seed);
  sodium_memzero(seed, sizeof seed);
  if (!st) st = lat_buf_push(&b, 0);
  char fname[64];
  snprintf(fname, sizeof fname, "%s.creds", name);
  if (!st) st = write_file(dir, fname, 0600, (const char *)b.data, err);
  else lat_error_set(err, st, SIZE_MAX, "out of memory");
  if (b.data) sodium_memzero(b.data, b.len);
  lat_buf_fini(&b);
  return st;
}

static char *abs_path(const char *p) {
  char buf[4096];
  return realpath(p, buf) ? strdup(buf) : strdup(p);
}

lat_status lat_cli_nats_init(const lat_cli_nats_init_t *c, lat_error_t *err) {
  lat_nkey_t op, sys, acc, users[ROLE_COUNT];
  memset(users, 0, sizeof users);
  memset(&op, 0, sizeof op);
  memset(&sys, 0, sizeof sys);
  memset(&acc, 0, sizeof acc);
  char *op_jwt = NULL, *sys_jwt = NULL, *acc_jwt = NULL, *dir = NULL;
  lat_buf_t conf;
  lat_buf_init(&conf);
  lat_status st;
  if (!lat_lattice_token_valid(c->lattice) || !*c->ctl_prefix)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad lattice name '%s'", c->lattice);
  for (size_t i = 0; i < c->nkv; i++)
    if (!lat_lattice_token_valid(c->kv_buckets[i]))
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad bucket name '%s'", c->kv_buckets[i]);
  if (!!c->tls_cert != !!c->tls_key)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "the server certificate and key go together");
  if (lat_mkdir_p(c->dir) < 0)
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot create %s: %s", c->dir, strerror(errno));
  chmod(c->dir, 0700);
  if (!(dir = abs_path(c->dir))) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  if ((st = key_load_or_make(dir, "operator", LAT_NKEY_OPERATOR, &op, err)) ||
      (st = key_load_or_make(dir, "sys", LAT_NKEY_ACCOUNT, &sys, err)) ||
      (st = key_load_or_make(dir, "account", LAT_NKEY_ACCOUNT, &acc, err)))
    goto out;
  for (int r = 0; r < ROLE_COUNT; r++)
    if ((st = key_load_or_make(dir, role_names[r], LAT_NKEY_USER, &users[r], err))) goto out;
  char sys_pub[LAT_NKEY_PUBLIC_LEN + 1], acc_pub[LAT_NKEY_PUBLIC_LEN + 1];
  lat_nkey_public_string(&sys, sys_pub);
  lat_nkey_public_string(&acc, acc_pub);
  if ((st = sign(&op, &op, "lattice", json_pack("{s:s,s:s,s:i}", "system_account", sys_pub, "type",
                                                "operator", "version", 2),
                 &op_jwt, err)) ||
      (st = sign(&op, &sys, "SYS", account_claims(false), &sys_jwt, err)) ||
      (st = sign(&op, &acc, c->lattice, account_claims(true), &acc_jwt, err)))
    goto out;
  for (int r = 0; r < ROLE_COUNT; r++) {
    char *jwt = NULL;
    if ((st = sign(&acc, &users[r], role_names[r], user_claims((role_t)r, c), &jwt, err))) goto out;
    st = write_creds(dir, role_names[r], jwt, &users[r], err);
    lat_free(jwt);
    if (st) goto out;
  }
  if ((st = write_file(dir, "operator.jwt", 0644, op_jwt, err)) ||
      (st = write_file(dir, "sys.jwt", 0644, sys_jwt, err)) ||
      (st = write_file(dir, "account.jwt", 0644, acc_jwt, err)))
    goto out;
  /* nats.conf */
  char js[4300];
  if (c->js_dir) snprintf(js, sizeof js, "%s", c->js_dir);
  else snprintf(js, sizeof js, "%s/jetstream", dir);
  st = lat_buf_printf(&conf,
                      "# nats-server configuration written by `lattice nats init` (operator "
                      "mode:\n# accounts and users are JWTs; see %s/*.creds)\n"
                      "listen: \"%s:%s\"\n"
                      "jetstream {\n  store_dir: \"%s\"\n}\n"
                      "operator: \"%s/operator.jwt\"\n"
                      "system_account: %s\n"
                      "resolver: MEMORY\n"
                      "resolver_preload: {\n  %s: \"%s\"\n  %s: \"%s\"\n}\n",
                      dir, c->listen_host, c->listen_port, js, dir, sys_pub, sys_pub, sys_jwt,
                      acc_pub, acc_jwt);
  if (!st && c->tls_cert) {
    char *cert = abs_path(c->tls_cert), *key = abs_path(c->tls_key);
    char *ca = c->tls_ca ? abs_path(c->tls_ca) : NULL;
    st = lat_buf_printf(&conf, "tls {\n  cert_file: \"%s\"\n  key_file: \"%s\"\n", cert, key);
    if (!st && ca)
      st = lat_buf_printf(&conf, "  ca_file: \"%s\"\n  verify: %s\n", ca,
                          c->tls_verify ? "true" : "false");
    if (!st) st = lat_buf_printf(&conf, "  timeout: 2\n}\n");
    free(cert);
    free(key);
    free(ca);
  }
  if (!st) st = lat_buf_push(&conf, 0);
  if (st) {
    lat_error_set(err, st, SIZE_MAX, "out of memory");
    goto out;
  }
  st = write_file(dir, "nats.conf", 0644, (const char *)conf.data, err);
out:
  lat_buf_fini(&conf);
  lat_free(op_jwt);
  lat_free(sys_jwt);
  lat_free(acc_jwt);
  free(dir);
  lat_nkey_fini(&op);
  lat_nkey_fini(&sys);
  lat_nkey_fini(&acc);
  for (int r = 0; r < ROLE_COUNT; r++) lat_nkey_fini(&users[r]);
  return st;
}

/* ---- the command -------------------------------------------------------------------------- */

static struct {
  const char *dir, *lattice, *prefix, *host, *port, *js_dir, *tls_dir, *cert, *key, *ca;
  bool no_verify;
  lat_cli_list_t kv;
} no;

static const lat_cli_opt_t init_opts[] = {
    {"dir", 0, LAT_CLI_STRING, &no.dir, "DIR",
     "where keys, creds and nats.conf go (default $LATTICE_HOME/nats or ~/.lattice/nats)"},
    {"lattice", 0, LAT_CLI_STRING, &no.lattice, "NAME", "the lattice the users may use (default: default)"},
    {"ctl-topic-prefix", 0, LAT_CLI_STRING, &no.prefix, "PREFIX", "control subject prefix (default wasmbus.ctl)"},
    {"nats-host", 0, LAT_CLI_STRING, &no.host, "HOST", "the server's listen address (default 127.0.0.1)"},
    {"nats-port", 0, LAT_CLI_STRING, &no.port, "PORT", "its port (default 4222)"},
    {"jetstream-dir", 0, LAT_CLI_STRING, &no.js_dir, "DIR", "the JetStream store (default DIR/jetstream)"},
    {"tls-dir", 0, LAT_CLI_STRING, &no.tls_dir, "DIR",
     "TLS from `lattice tls init --dir DIR`: server.pem, server-key.pem, ca.pem"},
    {"tls-cert", 0, LAT_CLI_STRING, &no.cert, "FILE", "the server's certificate (PEM)"},
    {"tls-key", 0, LAT_CLI_STRING, &no.key, "FILE", "its key"},
    {"tls-ca", 0, LAT_CLI_STRING, &no.ca, "FILE", "CA that client certificates must chain to"},
    {"no-tls-verify", 0, LAT_CLI_FLAG, &no.no_verify, NULL,
     "TLS without client certificates (the server is still verified by clients)"},
    {"kv-bucket", 0, LAT_CLI_LIST, &no.kv, "NAME",
     "a JetStream KV bucket the provider user may use (repeatable)"},
};

static const lat_cli_cmd_t init_cmd = {
    .name = "nats init",
    .usage = "[OPTIONS]",
    .summary = "write an operator, an account and users (JWT + creds) and a nats-server config",
    .details = "Users: admin (everything), host (serves ctl, cannot send it), provider (wRPC\n"
               "and wasmbus.rpc only), observer (read-only requests and events).  Keys are\n"
               "kept across runs; JWTs, creds and nats.conf are rewritten.  Run nats-server\n"
               "with `nats-server -c DIR/nats.conf`.\n",
    .opts = init_opts,
    .nopts = LAT_CLI_NOPTS(init_opts),
    .examples = "  lattice tls init --dir /tmp/lat/tls\n"
                "  lattice nats init --dir /tmp/lat/nats --tls-dir /tmp/lat/tls --kv-bucket counters\n"
                "  nats-server -c /tmp/lat/nats/nats.conf &\n"
                "  lattice get hosts --ctl-creds /tmp/lat/nats/admin.creds \\\n"
                "    --ctl-tls-ca-file /tmp/lat/tls/ca.pem --ctl-tls-cert-file /tmp/lat/tls/client.pem \\\n"
                "    --ctl-tls-key-file /tmp/lat/tls/client-key.pem\n",
};

const char *lat_cli_home_dir(const char *flag, const char *sub, char *buf, size_t cap) {
  if (flag) return flag;
  const char *lh = getenv("LATTICE_HOME"), *home = getenv("HOME");
  if (lh && *lh) snprintf(buf, cap, "%s/%s", lh, sub);
  else snprintf(buf, cap, "%s/.lattice/%s", home && *home ? home : ".", sub);
  return buf;
}

static int run_init(lat_cli_args_t *a) {
  if (a->npos) return lat_cli_fail(a, 2, "unexpected argument '%s'", a->pos[0]);
  char dbuf[4096], cert[4200], key[4200], ca[4200];
  lat_cli_nats_init_t c = {
      .dir = lat_cli_home_dir(no.dir, "nats", dbuf, sizeof dbuf),
      .lattice = no.lattice ? no.lattice : "default",
      .ctl_prefix = no.prefix ? no.prefix : "wasmbus.ctl",
      .listen_host = no.host ? no.host : "127.0.0.1",
      .listen_port = no.port ? no.port : "4222",
      .js_dir = no.js_dir,
      .tls_cert = no.cert,
      .tls_key = no.key,
      .tls_ca = no.ca,
      .tls_verify = !no.no_verify,
      .kv_buckets = no.kv.v,
      .nkv = no.kv.n,
  };
  if (no.tls_dir) {
    snprintf(cert, sizeof cert, "%s/server.pem", no.tls_dir);
    snprintf(key, sizeof key, "%s/server-key.pem", no.tls_dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", no.tls_dir);
    if (!c.tls_cert) c.tls_cert = cert;
    if (!c.tls_key) c.tls_key = key;
    if (!c.tls_ca) c.tls_ca = ca;
  }
  lat_error_t err;
  if (lat_cli_nats_init(&c, &err)) return lat_cli_fail_err(a, 1, "nats init", &err);
  if (a->json) {
    json_t *o = json_pack("{s:b,s:s,s:s,s:b}", "success", 1, "dir", c.dir, "lattice", c.lattice,
                          "tls", c.tls_cert != NULL);
    json_t *creds = json_object();
    for (int r = 0; r < ROLE_COUNT; r++) {
      char p[4300];
      snprintf(p, sizeof p, "%s/%s.creds", c.dir, role_names[r]);
      json_object_set_new(creds, role_names[r], json_string(p));
    }
    json_object_set_new(o, "creds", creds);
    lat_cli_json_print(o);
  } else {
    printf("lattice nats init: operator, account and users in %s\n"
           "  nats-server -c %s/nats.conf\n"
           "  creds: admin.creds host.creds provider.creds observer.creds%s\n",
           c.dir, c.dir, c.tls_cert ? "; TLS on" : "");
  }
  return 0;
}

static const lat_cli_sub_t nats_subs[] = {{"init", &init_cmd, run_init}};
static const lat_cli_group_t nats_group = {
    .name = "nats",
    .summary = "secure the lattice's NATS: operator, account, users and a server config",
    .subs = nats_subs,
    .nsubs = LAT_CLI_NOPTS(nats_subs),
    .examples = "  lattice nats init --dir /tmp/lat/nats --tls-dir /tmp/lat/tls\n"};

int lat_cli_nats(int argc, char **argv) { return lat_cli_group_run(&nats_group, argc, argv); }
