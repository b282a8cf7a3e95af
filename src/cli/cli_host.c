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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host/host.h"
#include "cli.h"

#define MAX_LABELS 64

typedef struct {
  const char *flag, *env, *help;
  const char **out;
} str_opt_t;

static void host_usage(FILE *f) {
  fprintf(f,
          "usage: lattice host [OPTIONS]\n\n"
          "Runs a lattice host: joins the lattice over NATS, obeys the control interface\n"
          "(wasmbus.ctl.v1.*), runs components and the built-in HTTP server.\n\n"
          "options (each also read from the environment variable shown):\n"
          "  --lattice NAME            lattice name [WASMCLOUD_LATTICE] (default: default)\n"
          "  --host-seed SEED|FILE     host identity, a server nkey seed SN... [WASMCLOUD_HOST_SEED]\n"
          "                            (default: a new key each start)\n"
          "  --friendly-name NAME      shown in inventories (default: adjective-noun-NNNN)\n"
          "  --label KEY=VALUE         a host label, repeatable [WASMCLOUD_LABEL_KEY=VALUE]\n"
          "  --nats-host HOST          NATS server for both connections [WASMCLOUD_NATS_HOST]\n"
          "                            (default 127.0.0.1)\n"
          "  --nats-port PORT          [WASMCLOUD_NATS_PORT] (default 4222)\n"
          "  --nats-creds FILE         .creds for both connections [WASMCLOUD_NATS_CREDS]\n"
          "  --ctl-host, --ctl-port, --ctl-credsfile, --ctl-seed, --ctl-tls-ca-file\n"
          "                            the control connection only [WASMCLOUD_CTL_HOST, ...]\n"
          "  --rpc-host, --rpc-port, --rpc-credsfile, --rpc-seed, --rpc-tls-ca-file\n"
          "                            the invocation connection only [WASMCLOUD_RPC_HOST, ...]\n"
          "  --js-domain DOMAIN        JetStream domain [WASMCLOUD_JS_DOMAIN]\n"
          "  --ctl-topic-prefix P      control subject prefix [WASMCLOUD_CTL_TOPIC_PREFIX]\n"
          "                            (default wasmbus.ctl)\n"
          "  --allow-file-load         allow file:// component references\n"
          "                            [WASMCLOUD_ALLOW_FILE_LOAD=true]\n"
          "  --heartbeat-interval-seconds N  [WASMCLOUD_HEARTBEAT_INTERVAL] (default 30)\n"
          "  --http-admin IP:PORT      serve /livez and /readyz [WASMCLOUD_HTTP_ADMIN]\n"
          "  --max-linear-memory-bytes N     per component [WASMCLOUD_MAX_LINEAR_MEMORY]\n"
          "                            (default 268435456 = 256 MiB)\n"
          "  --max-execution-time-ms N per request [WASMCLOUD_MAX_EXECUTION_TIME_MS]\n"
          "                            (default 600000 = 10 min)\n"
          "  --log-level LEVEL         error|warn|info|debug|trace [WASMCLOUD_LOG_LEVEL] (info)\n"
          "  --structured-logging      JSON log lines [WASMCLOUD_STRUCTURED_LOGGING_ENABLED]\n\n"
          "examples:\n"
          "  lattice host --allow-file-load\n"
          "  WASMCLOUD_LATTICE=prod lattice host --label zone=eu --nats-host 10.0.0.5\n");
}

static bool truthy(const char *s) {
  return s && (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes"));
}

static void *signal_main(void *arg) {
  lat_host_t *h = arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1); /* sent by main to end this thread */
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

int lat_cli_host(int argc, char **argv) {
  const char *lattice = NULL, *seed = NULL, *fname = NULL, *nats_host = NULL, *nats_port = NULL,
             *nats_creds = NULL, *ctl_host = NULL, *ctl_port = NULL, *ctl_creds = NULL,
             *ctl_seed = NULL, *ctl_ca = NULL, *rpc_host = NULL, *rpc_port = NULL,
             *rpc_creds = NULL, *rpc_seed = NULL, *rpc_ca = NULL, *js_domain = NULL,
             *prefix = NULL, *file_load = NULL, *hb = NULL, *admin = NULL, *maxmem = NULL,
             *maxexec = NULL, *loglevel = NULL, *structured = NULL;
  const str_opt_t opts[] = {
      {"--lattice", "WASMCLOUD_LATTICE", NULL, &lattice},
      {"--host-seed", "WASMCLOUD_HOST_SEED", NULL, &seed},
      {"--friendly-name", NULL, NULL, &fname},
      {"--nats-host", "WASMCLOUD_NATS_HOST", NULL, &nats_host},
      {"--nats-port", "WASMCLOUD_NATS_PORT", NULL, &nats_port},
      {"--nats-creds", "WASMCLOUD_NATS_CREDS", NULL, &nats_creds},
      {"--ctl-host", "WASMCLOUD_CTL_HOST", NULL, &ctl_host},
      {"--ctl-port", "WASMCLOUD_CTL_PORT", NULL, &ctl_port},
      {"--ctl-credsfile", "WASMCLOUD_CTL_CREDSFILE", NULL, &ctl_creds},
      {"--ctl-seed", "WASMCLOUD_CTL_SEED", NULL, &ctl_seed},
      {"--ctl-tls-ca-file", "WASMCLOUD_CTL_TLS_CA_FILE", NULL, &ctl_ca},
      {"--rpc-host", "WASMCLOUD_RPC_HOST", NULL, &rpc_host},
      {"--rpc-port", "WASMCLOUD_RPC_PORT", NULL, &rpc_port},
      {"--rpc-credsfile", "WASMCLOUD_RPC_CREDSFILE", NULL, &rpc_creds},
      {"--rpc-seed", "WASMCLOUD_RPC_SEED", NULL, &rpc_seed},
      {"--rpc-tls-ca-file", "WASMCLOUD_RPC_TLS_CA_FILE", NULL, &rpc_ca},
      {"--js-domain", "WASMCLOUD_JS_DOMAIN", NULL, &js_domain},
      {"--ctl-topic-prefix", "WASMCLOUD_CTL_TOPIC_PREFIX", NULL, &prefix},
      {"--heartbeat-interval-seconds", "WASMCLOUD_HEARTBEAT_INTERVAL", NULL, &hb},
      {"--http-admin", "WASMCLOUD_HTTP_ADMIN", NULL, &admin},
      {"--max-linear-memory-bytes", "WASMCLOUD_MAX_LINEAR_MEMORY", NULL, &maxmem},
      {"--max-execution-time-ms", "WASMCLOUD_MAX_EXECUTION_TIME_MS", NULL, &maxexec},
      {"--log-level", "WASMCLOUD_LOG_LEVEL", NULL, &loglevel},
  };
  const size_t nopts = sizeof opts / sizeof opts[0];
  const char *labels[MAX_LABELS];
  char *env_labels[MAX_LABELS];
  size_t nlabels = 0, nenv = 0;
  int rc = 2;
  file_load = getenv("WASMCLOUD_ALLOW_FILE_LOAD");
  structured = getenv("WASMCLOUD_STRUCTURED_LOGGING_ENABLED");
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      host_usage(stdout);
      return 0;
    }
    if (!strcmp(a, "--allow-file-load")) {
      file_load = "true";
      continue;
    }
    if (!strcmp(a, "--structured-logging")) {
      structured = "true";
      continue;
    }
    const char *eq = strchr(a, '=');
    size_t nlen = eq && !strncmp(a, "--", 2) ? (size_t)(eq - a) : strlen(a);
    const char *val = eq && !strncmp(a, "--", 2) ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
    bool inline_val = eq && !strncmp(a, "--", 2);
    if (nlen == 7 && !strncmp(a, "--label", 7)) {
      if (!val || !strchr(val, '=') || nlabels == MAX_LABELS) {
        fprintf(stderr, "lattice host: --label wants KEY=VALUE\n");
        return 2;
      }
      labels[nlabels++] = val;
      if (!inline_val) i++;
      continue;
    }
    size_t k = 0;
    while (k < nopts && (strlen(opts[k].flag) != nlen || strncmp(opts[k].flag, a, nlen))) k++;
    if (k == nopts) {
      fprintf(stderr, "lattice host: unknown option '%.*s' (see lattice host --help)\n",
              (int)nlen, a);
      return 2;
    }
    if (!val) {
      fprintf(stderr, "lattice host: %s needs a value\n", opts[k].flag);
      return 2;
    }
    *opts[k].out = val;
    if (!inline_val) i++;
  }
  for (size_t k = 0; k < nopts; k++)
    if (!*opts[k].out && opts[k].env) *opts[k].out = getenv(opts[k].env);
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
  ho.allow_file_load = truthy(file_load);
  ho.ctl_prefix = prefix;
  ho.http_admin = admin;
  uint64_t v;
  if (hb) {
    if (!parse_u64(hb, &v) || !v || v > 86400) {
      fprintf(stderr, "lattice host: bad heartbeat interval '%s' (seconds, 1..86400)\n", hb);
      goto out;
    }
    ho.heartbeat_ns = v * 1000000000ull;
  }
  if (maxmem && (!parse_u64(maxmem, &ho.max_memory) || !ho.max_memory)) {
    fprintf(stderr, "lattice host: bad --max-linear-memory-bytes '%s'\n", maxmem);
    goto out;
  }
  if (maxexec) {
    if (!parse_u64(maxexec, &v) || !v || v > UINT64_MAX / 1000000u) {
      fprintf(stderr, "lattice host: bad --max-execution-time-ms '%s'\n", maxexec);
      goto out;
    }
    ho.max_exec_ns = v * 1000000u;
  }
  lat_log_config_t lc = {.level = LAT_LOG_INFO, .format = truthy(structured) ? LAT_LOG_JSON
                                                                               : LAT_LOG_TEXT,
                         .fd = 2};
  if (loglevel && lat_log_level_parse(loglevel, &lc.level)) {
    fprintf(stderr, "lattice host: bad --log-level '%s' (error|warn|info|debug|trace)\n",
            loglevel);
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
  ho.ctl.servers = ctl_url;
  ho.ctl.creds_file = ctl_creds ? ctl_creds : nats_creds;
  ho.ctl.nkey_seed = ctl_seed;
  ho.ctl.tls_ca_file = ctl_ca;
  ho.ctl.js_domain = js_domain;
  ho.rpc.servers = rpc_url;
  ho.rpc.creds_file = rpc_creds ? rpc_creds : nats_creds;
  ho.rpc.nkey_seed = rpc_seed;
  ho.rpc.tls_ca_file = rpc_ca;
  ho.rpc.js_domain = js_domain;
  /* signals: blocked everywhere (threads inherit this), taken by one thread */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  lat_error_t err;
  lat_error_clear(&err);
  lat_host_t *h = NULL;
  rc = 1;
  if (lat_host_new(&ho, &h, &err)) {
    fprintf(stderr, "lattice host: %s\n", err.msg);
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
  return rc;
}
