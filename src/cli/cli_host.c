/* `lattice host`: runs a lattice host until SIGINT/SIGTERM or host.stop.
 *
 * Flags and environment variables follow wasmCloud's host (wasmcloud
 * --help): every flag has a WASMCLOUD_* variable, read when the flag is not
 * given, so a wasmCloud deployment's environment starts a Lattice host
 * unchanged.  The README lists them side by side.
 *
 * Signals are blocked in every thread and taken by sigwait on a thread of
 * their own, which asks the host to stop; the main thread then frees it
 * (requests in flight finish, host_stopped is published).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host/host.h"
#include "../providers/builtin/providers_builtin.h"
#include "cli.h"

#define MAX_LABELS 64

static bool truthy(const char *s) {
  return s && (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes"));
}

static void *signal_main(void *arg) {
  lat_host_t *h = arg;
  sigset_t set;
  lat_cli_stop_signals(&set, true); /* SIGUSR1: sent by main to end this thread */
  int sig = 0;
  sigwait(&set, &sig);
  if (sig != SIGUSR1) lat_host_stop(h);
  return NULL;
}

static bool parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-') return false;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end) return false;
  *out = v;
  return true;
}

static struct {
  const char *lattice, *seed, *fname, *nats_host, *nats_port, *nats_creds, *ctl_host, *ctl_port,
      *ctl_creds, *ctl_seed, *ctl_ca, *rpc_host, *rpc_port, *rpc_creds, *rpc_seed, *rpc_ca,
      *js_domain, *prefix, *hb, *admin, *maxmem, *maxexec, *loglevel, *rpc_timeout,
      *secrets_topic;
  bool file_load, structured, accept_unlinked, compiled, require_signed;
  lat_cli_list_t labels, issuers;
  lat_cli_tls_t tls; /* both connections; --ctl/--rpc-tls-ca-file override the CA */
} hf;

/* Each flag, and the variable read when it is not given (wasmCloud's). */
#define HS(name, dest, meta, env, help) {name, 0, LAT_CLI_STRING, &hf.dest, meta, help " [" env "]"}
static const lat_cli_opt_t host_opts[] = {
    HS("lattice", lattice, "NAME", "WASMCLOUD_LATTICE", "lattice name (default: default)"),
    HS("host-seed", seed, "SEED|FILE", "WASMCLOUD_HOST_SEED",
       "host identity, a server nkey seed SN... (default: a new key each start)"),
    {"friendly-name", 0, LAT_CLI_STRING, &hf.fname, "NAME",
     "shown in inventories (default: adjective-noun-NNNN)"},
    {"label", 'l', LAT_CLI_LIST, &hf.labels, "KEY=VALUE",
     "a host label, repeatable [WASMCLOUD_LABEL_KEY=VALUE]"},
    HS("nats-host", nats_host, "HOST", "WASMCLOUD_NATS_HOST",
       "NATS server of both connections (default 127.0.0.1)"),
    HS("nats-port", nats_port, "PORT", "WASMCLOUD_NATS_PORT", "its port (default 4222)"),
    HS("nats-creds", nats_creds, "FILE", "WASMCLOUD_NATS_CREDS", ".creds for both connections"),
    HS("ctl-host", ctl_host, "HOST", "WASMCLOUD_CTL_HOST", "the control connection's server"),
    HS("ctl-port", ctl_port, "PORT", "WASMCLOUD_CTL_PORT", "its port"),
    HS("ctl-credsfile", ctl_creds, "FILE", "WASMCLOUD_CTL_CREDSFILE", "its .creds"),
    HS("ctl-seed", ctl_seed, "SEED", "WASMCLOUD_CTL_SEED", "its nkey seed (SU...)"),
    HS("ctl-tls-ca-file", ctl_ca, "FILE", "WASMCLOUD_CTL_TLS_CA_FILE", "its TLS CA (PEM)"),
    HS("rpc-host", rpc_host, "HOST", "WASMCLOUD_RPC_HOST", "the invocation connection's server"),
    HS("rpc-port", rpc_port, "PORT", "WASMCLOUD_RPC_PORT", "its port"),
    HS("rpc-credsfile", rpc_creds, "FILE", "WASMCLOUD_RPC_CREDSFILE", "its .creds"),
    HS("rpc-seed", rpc_seed, "SEED", "WASMCLOUD_RPC_SEED", "its nkey seed"),
    HS("rpc-tls-ca-file", rpc_ca, "FILE", "WASMCLOUD_RPC_TLS_CA_FILE", "its TLS CA (PEM)"),
    LAT_CLI_TLS_OPTS("nats", hf.tls, "WASMCLOUD_NATS"),
    HS("js-domain", js_domain, "DOMAIN", "WASMCLOUD_JS_DOMAIN", "JetStream domain"),
    HS("ctl-topic-prefix", prefix, "PREFIX", "WASMCLOUD_CTL_TOPIC_PREFIX",
       "control subject prefix (default wasmbus.ctl)"),
    {"allow-file-load", 0, LAT_CLI_FLAG, &hf.file_load, NULL,
     "allow file:// component references [WASMCLOUD_ALLOW_FILE_LOAD=true]"},
    {"compiled", 0, LAT_CLI_FLAG, &hf.compiled, NULL,
     "run components' core modules compiled to native code (gcc, cached; the first scale "
     "of a component waits for its compile) [LATTICE_COMPILED=true]"},
    HS("heartbeat-interval-seconds", hb, "N", "WASMCLOUD_HEARTBEAT_INTERVAL",
       "seconds between host_heartbeat events (default 30)"),
    HS("http-admin", admin, "IP:PORT", "WASMCLOUD_HTTP_ADMIN", "serve /livez and /readyz"),
    HS("max-linear-memory-bytes", maxmem, "N", "WASMCLOUD_MAX_LINEAR_MEMORY",
       "per component instance (default 268435456 = 256 MiB)"),
    HS("max-execution-time-ms", maxexec, "N", "WASMCLOUD_MAX_EXECUTION_TIME_MS",
       "per request (default 600000 = 10 min)"),
    HS("log-level", loglevel, "LEVEL", "WASMCLOUD_LOG_LEVEL",
       "error, warn, info (default), debug or trace"),
    {"structured-logging", 0, LAT_CLI_FLAG, &hf.structured, NULL,
     "JSON log lines [WASMCLOUD_STRUCTURED_LOGGING_ENABLED=true]"},
    HS("rpc-timeout-ms", rpc_timeout, "MS", "WASMCLOUD_RPC_TIMEOUT_MS",
       "a call to a component on another host, at most (default 2000)"),
    HS("secrets-topic", secrets_topic, "PREFIX", "WASMCLOUD_SECRETS_TOPIC",
       "subject prefix of the secrets backends (default wasmcloud.secrets)"),
    {"require-signed", 0, LAT_CLI_FLAG, &hf.require_signed, NULL,
     "refuse unsigned components and executable providers [LATTICE_REQUIRE_SIGNED=true]"},
    {"allowed-issuers", 0, LAT_CLI_LIST, &hf.issuers, "A...[,A...]",
     "run only components signed by these accounts; implies --require-signed (repeatable) "
     "[LATTICE_ALLOWED_ISSUERS]"},
    {"accept-unlinked-calls", 0, LAT_CLI_FLAG, &hf.accept_unlinked, NULL,
     "serve wRPC calls from components with no link to the callee, as wasmCloud 1.x "
     "does (default: refused) [LATTICE_ACCEPT_UNLINKED_CALLS=true]"},
};

static const lat_cli_cmd_t host_cmd = {
    .name = "host",
    .usage = "[OPTIONS]",
    .summary = "run a lattice host until SIGINT, SIGTERM or host.stop",
    .details = "Joins the lattice over NATS, obeys the control interface (wasmbus.ctl.v1.*),\n"
               "publishes events (wasmbus.evt.*), keeps links and config from the lattice's\n"
               "JetStream buckets, runs components and the builtin HTTP server.  Every flag\n"
               "falls back to the wasmCloud environment variable shown in brackets.\n",
    .opts = host_opts,
    .nopts = LAT_CLI_NOPTS(host_opts),
    .examples = "  lattice host --allow-file-load\n"
                "  WASMCLOUD_LATTICE=prod lattice host --label zone=eu --nats-host 10.0.0.5\n",
    .exit_status = "0 stopped cleanly, 1 could not start (the reason is printed), 2 usage error.",
};

static const char *env_or(const char *v, const char *env) { return v ? v : getenv(env); }

int lat_cli_host(int argc, char **argv) {
  lat_cli_args_t args;
  int rc = lat_cli_parse(&host_cmd, argc, argv, &args);
  if (rc >= 0) {
    lat_cli_args_fini(&args);
    return rc;
  }
  const char *lattice = env_or(hf.lattice, "WASMCLOUD_LATTICE"),
             *seed = env_or(hf.seed, "WASMCLOUD_HOST_SEED"), *fname = hf.fname,
             *nats_host = env_or(hf.nats_host, "WASMCLOUD_NATS_HOST"),
             *nats_port = env_or(hf.nats_port, "WASMCLOUD_NATS_PORT"),
             *nats_creds = env_or(hf.nats_creds, "WASMCLOUD_NATS_CREDS"),
             *ctl_host = env_or(hf.ctl_host, "WASMCLOUD_CTL_HOST"),
             *ctl_port = env_or(hf.ctl_port, "WASMCLOUD_CTL_PORT"),
             *ctl_creds = env_or(hf.ctl_creds, "WASMCLOUD_CTL_CREDSFILE"),
             *ctl_seed = env_or(hf.ctl_seed, "WASMCLOUD_CTL_SEED"),
             *ctl_ca = env_or(hf.ctl_ca, "WASMCLOUD_CTL_TLS_CA_FILE"),
             *rpc_host = env_or(hf.rpc_host, "WASMCLOUD_RPC_HOST"),
             *rpc_port = env_or(hf.rpc_port, "WASMCLOUD_RPC_PORT"),
             *rpc_creds = env_or(hf.rpc_creds, "WASMCLOUD_RPC_CREDSFILE"),
             *rpc_seed = env_or(hf.rpc_seed, "WASMCLOUD_RPC_SEED"),
             *rpc_ca = env_or(hf.rpc_ca, "WASMCLOUD_RPC_TLS_CA_FILE"),
             *js_domain = env_or(hf.js_domain, "WASMCLOUD_JS_DOMAIN"),
             *prefix = env_or(hf.prefix, "WASMCLOUD_CTL_TOPIC_PREFIX"),
             *hb = env_or(hf.hb, "WASMCLOUD_HEARTBEAT_INTERVAL"),
             *admin = env_or(hf.admin, "WASMCLOUD_HTTP_ADMIN"),
             *maxmem = env_or(hf.maxmem, "WASMCLOUD_MAX_LINEAR_MEMORY"),
             *maxexec = env_or(hf.maxexec, "WASMCLOUD_MAX_EXECUTION_TIME_MS"),
             *loglevel = env_or(hf.loglevel, "WASMCLOUD_LOG_LEVEL"),
             *rpc_timeout = env_or(hf.rpc_timeout, "WASMCLOUD_RPC_TIMEOUT_MS");
  bool file_load = hf.file_load || truthy(getenv("WASMCLOUD_ALLOW_FILE_LOAD"));
  bool structured = hf.structured || truthy(getenv("WASMCLOUD_STRUCTURED_LOGGING_ENABLED"));
  const char *labels[MAX_LABELS];
  char *env_labels[MAX_LABELS];
  size_t nlabels = 0, nenv = 0;
  rc = 2;
  for (size_t i = 0; i < hf.labels.n; i++) {
    if (!strchr(hf.labels.v[i], '=') || nlabels == MAX_LABELS) {
      rc = lat_cli_fail(&args, 2, "--label wants KEY=VALUE (at most %d)", MAX_LABELS);
      goto out;
    }
    labels[nlabels++] = hf.labels.v[i];
  }
  /* WASMCLOUD_LABEL_k=v */
  extern char **environ;
  for (char **e = environ; *e && nlabels < MAX_LABELS && nenv < MAX_LABELS; e++)
    if (!strncmp(*e, "WASMCLOUD_LABEL_", 16) && strchr(*e, '=') && (*e)[16] != '=') {
      env_labels[nenv] = lat_strndup(*e + 16, strlen(*e + 16));
      if (env_labels[nenv]) labels[nlabels++] = env_labels[nenv++];
    }
  lat_host_opts_t ho;
  memset(&ho, 0, sizeof ho);
  lat_lattice_opts_init(&ho.ctl);
  lat_lattice_opts_init(&ho.rpc);
  ho.lattice = lattice;
  ho.seed = seed;
  ho.friendly_name = fname;
  ho.labels = labels;
  ho.nlabels = nlabels;
  ho.allow_file_load = file_load;
  ho.compiled = hf.compiled || truthy(getenv("LATTICE_COMPILED"));
  /* builtin providers run as `lattice provider NAME` of this very binary */
  const char *builtin_names[64];
  size_t nbuiltin;
  const lat_builtin_provider_t *bt = lat_builtin_providers(&nbuiltin);
  for (size_t i = 0; i < nbuiltin && ho.nbuiltin_providers < 64; i++)
    builtin_names[ho.nbuiltin_providers++] = bt[i].name;
  ho.builtin_providers = builtin_names;
  ho.builtin_exe = "/proc/self/exe";
  ho.ctl_prefix = prefix;
  ho.http_admin = admin;
  ho.secrets_topic = hf.secrets_topic; /* the host reads WASMCLOUD_SECRETS_TOPIC itself */
  ho.accept_unlinked = hf.accept_unlinked || truthy(getenv("LATTICE_ACCEPT_UNLINKED_CALLS"));
  ho.require_signed = hf.require_signed || truthy(getenv("LATTICE_REQUIRE_SIGNED"));
  /* --allowed-issuers A,B (repeatable), else LATTICE_ALLOWED_ISSUERS: split at commas */
  char issuer_buf[4096] = "";
  const char *issuer_v[64];
  for (size_t i = 0; i < hf.issuers.n; i++) {
    size_t used = strlen(issuer_buf);
    snprintf(issuer_buf + used, sizeof issuer_buf - used, "%s%s", used ? "," : "", hf.issuers.v[i]);
  }
  if (!hf.issuers.n && getenv("LATTICE_ALLOWED_ISSUERS"))
    snprintf(issuer_buf, sizeof issuer_buf, "%s", getenv("LATTICE_ALLOWED_ISSUERS"));
  for (char *save = NULL, *tok = strtok_r(issuer_buf, ", ", &save); tok && ho.nallowed_issuers < 64;
       tok = strtok_r(NULL, ", ", &save))
    issuer_v[ho.nallowed_issuers++] = tok;
  ho.allowed_issuers = issuer_v;
  if (rpc_timeout) {
    uint64_t ms;
    if (!parse_u64(rpc_timeout, &ms) || !ms || ms > 3600000) {
      rc = lat_cli_fail(&args, 2, "bad --rpc-timeout-ms '%s' (1..3600000)", rpc_timeout);
      goto out;
    }
    ho.rpc_timeout_ms = (uint32_t)ms;
  }
  uint64_t v;
  if (hb) {
    if (!parse_u64(hb, &v) || !v || v > 86400) {
      rc = lat_cli_fail(&args, 2, "bad heartbeat interval '%s' (seconds, 1..86400)", hb);
      goto out;
    }
    ho.heartbeat_ns = v * 1000000000ull;
  }
  if (maxmem && (!parse_u64(maxmem, &ho.max_memory) || !ho.max_memory)) {
    rc = lat_cli_fail(&args, 2, "bad --max-linear-memory-bytes '%s'", maxmem);
    goto out;
  }
  if (maxexec) {
    if (!parse_u64(maxexec, &v) || !v || v > UINT64_MAX / 1000000u) {
      rc = lat_cli_fail(&args, 2, "bad --max-execution-time-ms '%s'", maxexec);
      goto out;
    }
    ho.max_exec_ns = v * 1000000u;
  }
  lat_log_config_t lc = {.level = LAT_LOG_INFO, .format = structured ? LAT_LOG_JSON : LAT_LOG_TEXT,
                         .fd = 2};
  if (loglevel && lat_log_level_parse(loglevel, &lc.level)) {
    rc = lat_cli_fail(&args, 2, "bad --log-level '%s' (error|warn|info|debug|trace)", loglevel);
    goto out;
  }
  lat_log_configure(&lc);
  char ctl_url[300], rpc_url[300];
  snprintf(ctl_url, sizeof ctl_url, "nats://%s:%s",
           ctl_host ? ctl_host : nats_host ? nats_host : "127.0.0.1",
           ctl_port ? ctl_port : nats_port ? nats_port : "4222");
  snprintf(rpc_url, sizeof rpc_url, "nats://%s:%s",
           rpc_host ? rpc_host : nats_host ? nats_host : "127.0.0.1",
           rpc_port ? rpc_port : nats_port ? nats_port : "4222");
  lat_cli_tls_apply(&hf.tls, "WASMCLOUD_NATS", NULL);
  /* providers get the rpc TLS files in HostData: absolute, whatever their cwd */
  char rca[4096], rcert[4096], rkey[4096];
  const char *rpc_ca_file = rpc_ca ? rpc_ca : hf.tls.ca;
  if ((rpc_ca_file && !realpath(rpc_ca_file, rca)) || (hf.tls.cert && !realpath(hf.tls.cert, rcert)) ||
      (hf.tls.key && !realpath(hf.tls.key, rkey))) {
    rc = lat_cli_fail(&args, 2, "cannot read a TLS file (%s)", strerror(errno));
    goto out;
  }
  ho.ctl.tls_ca_file = ctl_ca ? ctl_ca : hf.tls.ca;
  ho.ctl.tls_cert_file = hf.tls.cert;
  ho.ctl.tls_key_file = hf.tls.key;
  ho.rpc.tls_ca_file = rpc_ca_file ? rca : NULL;
  ho.rpc.tls_cert_file = hf.tls.cert ? rcert : NULL;
  ho.rpc.tls_key_file = hf.tls.key ? rkey : NULL;
  ho.ctl.servers = ctl_url;
  ho.ctl.creds_file = ctl_creds ? ctl_creds : nats_creds;
  ho.ctl.nkey_seed = ctl_seed;
  ho.ctl.js_domain = js_domain;
  ho.rpc.servers = rpc_url;
  ho.rpc.creds_file = rpc_creds ? rpc_creds : nats_creds;
  ho.rpc.nkey_seed = rpc_seed;
  ho.rpc.js_domain = js_domain;
  /* signals: blocked everywhere (threads inherit this), taken by one thread */
  sigset_t set;
  lat_cli_block_signals(&set, true);
  lat_error_t err;
  lat_error_clear(&err);
  lat_host_t *h = NULL;
  rc = 1;
  if (lat_host_new(&ho, &h, &err)) {
    rc = lat_cli_fail(&args, 1, "%s", err.msg);
    goto out;
  }
  LAT_LOG(LAT_LOG_INFO, "host", "host started", LAT_KV_STR("host_id", lat_host_id(h)),
          LAT_KV_STR("friendly_name", lat_host_friendly_name(h)),
          LAT_KV_STR("lattice", lattice ? lattice : "default"), LAT_KV_STR("nats", ctl_url));
  pthread_t sig;
  bool sig_ok = pthread_create(&sig, NULL, signal_main, h) == 0;
  lat_host_wait(h);
  LAT_LOG(LAT_LOG_INFO, "host", "host stopping", LAT_KV_STR("host_id", lat_host_id(h)));
  if (sig_ok) {
    pthread_kill(sig, SIGUSR1);
    pthread_join(sig, NULL);
  }
  lat_host_free(h);
  lat_lattice_library_close(2000);
  rc = 0;
out:
  for (size_t i = 0; i < nenv; i++) lat_free(env_labels[i]);
  lat_cli_args_fini(&args);
  return rc;
}
