/* `lattice manager`: the deployment manager daemon (wadm), src/manager.
 *
 * Runs until SIGINT or SIGTERM; then it stops its threads and releases the
 * application leases it holds so another manager takes over at once.
 * Signals are blocked and waited for with sigwait on the main thread, so
 * no handler runs inside libnats' threads.
 *
 * Defaults are chosen for the 10 s host-loss bound with hosts left at
 * wasmCloud's 30 s heartbeat: the manager probes hosts itself every
 * --sweep-interval (1 s) and gives a silent host --host-timeout (5 s). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lattice/lattice.h"
#include "../manager/manager.h"
#include "cli.h"

static struct {
  const char *host, *port, *creds, *api_prefix, *ctl_prefix, *id, *loglevel;
  lat_cli_list_t lattices;
  uint64_t replicas, sweep_ns, host_timeout_ns, lease_ns;
  bool structured;
  lat_cli_tls_t tls;
} mo;

static const lat_cli_opt_t opts[] = {
    {"nats-host", 0, LAT_CLI_STRING, &mo.host, "HOST", "NATS server [WASMCLOUD_CTL_HOST] (default 127.0.0.1)"},
    {"nats-port", 0, LAT_CLI_STRING, &mo.port, "PORT", "NATS port [WASMCLOUD_CTL_PORT] (default 4222)"},
    {"nats-creds", 0, LAT_CLI_STRING, &mo.creds, "FILE", "NATS .creds file [WASMCLOUD_CTL_CREDS]"},
    LAT_CLI_TLS_OPTS("nats", mo.tls, "WASMCLOUD_CTL"),
    {"lattice", 0, LAT_CLI_LIST, &mo.lattices, "NAME",
     "a lattice to manage (repeatable; default: default) [WASMCLOUD_LATTICE]"},
    {"api-prefix", 0, LAT_CLI_STRING, &mo.api_prefix, "PREFIX", "API subject prefix (default wadm.api)"},
    {"ctl-topic-prefix", 0, LAT_CLI_STRING, &mo.ctl_prefix, "PREFIX",
     "control subject prefix (default wasmbus.ctl)"},
    {"replicas", 0, LAT_CLI_COUNT, &mo.replicas, "N", "JetStream replicas of the buckets (default 1)"},
    {"sweep-interval", 0, LAT_CLI_DURATION, &mo.sweep_ns, "DURATION",
     "how often every application is reconciled and hosts are probed (default 1s)"},
    {"host-timeout", 0, LAT_CLI_DURATION, &mo.host_timeout_ns, "DURATION",
     "a host not heard from this long is gone and its share moves (default 5s)"},
    {"lease", 0, LAT_CLI_DURATION, &mo.lease_ns, "DURATION",
     "how long an application stays with a manager that stopped renewing (default 5s)"},
    {"id", 0, LAT_CLI_STRING, &mo.id, "NAME", "this manager's name in leases (default random)"},
    {"log-level", 0, LAT_CLI_STRING, &mo.loglevel, "LEVEL", "error|warn|info|debug|trace (default info)"},
    {"structured-logging", 0, LAT_CLI_FLAG, &mo.structured, NULL, "JSON log lines"},
};

static const lat_cli_cmd_t cmd = {
    .name = "manager",
    .usage = "[OPTIONS]",
    .summary = "run the deployment manager (wadm): OAM applications kept running",
    .details = "Serves wadm's API on wadm.api.{lattice}.model.* and reconciles deployed\n"
               "applications.  Several managers may run: each application is worked on by\n"
               "one of them at a time (a lease in JetStream KV), and a manager that dies is\n"
               "replaced within --lease.\n",
    .opts = opts,
    .nopts = LAT_CLI_NOPTS(opts),
    .examples = "  lattice manager\n  lattice manager --lattice default --lattice staging\n"
                "  lattice manager --nats-port 4333 --host-timeout 3s\n",
};

static uint32_t ms_of(uint64_t ns, uint32_t def) {
  if (!ns) return def;
  uint64_t ms = ns / 1000000u;
  return ms < 50 ? 50 : ms > 3600000 ? 3600000 : (uint32_t)ms;
}

int lat_cli_manager(int argc, char **argv) {
  lat_cli_args_t a;
  int rc = lat_cli_parse(&cmd, argc, argv, &a);
  if (rc >= 0) {
    lat_cli_args_fini(&a);
    return rc;
  }
  if (a.npos) {
    rc = lat_cli_fail(&a, 2, "unexpected argument '%s'", a.pos[0]);
    lat_cli_args_fini(&a);
    return rc;
  }
  lat_log_config_t lc = {.level = LAT_LOG_INFO, .format = mo.structured ? LAT_LOG_JSON : LAT_LOG_TEXT,
                         .fd = 2};
  if (mo.loglevel && lat_log_level_parse(mo.loglevel, &lc.level)) {
    rc = lat_cli_fail(&a, 2, "bad --log-level '%s'", mo.loglevel);
    lat_cli_args_fini(&a);
    return rc;
  }
  lat_log_configure(&lc);
  const char *host = mo.host ? mo.host : getenv("WASMCLOUD_CTL_HOST");
  const char *port = mo.port ? mo.port : getenv("WASMCLOUD_CTL_PORT");
  char url[300];
  snprintf(url, sizeof url, "nats://%s:%s", host ? host : "127.0.0.1", port ? port : "4222");
  lat_cli_tls_apply(&mo.tls, "WASMCLOUD_CTL", NULL);
  const char *def = getenv("WASMCLOUD_LATTICE");
  const char *one[1] = {def && *def ? def : "default"};
  lat_manager_opts_t o = {
      .nats_url = url,
      .creds_file = mo.creds ? mo.creds : getenv("WASMCLOUD_CTL_CREDS"),
      .tls_ca_file = mo.tls.ca,
      .tls_cert_file = mo.tls.cert,
      .tls_key_file = mo.tls.key,
      .lattices = mo.lattices.n ? mo.lattices.v : one,
      .nlattices = mo.lattices.n ? mo.lattices.n : 1,
      .api_prefix = mo.api_prefix,
      .ctl_prefix = mo.ctl_prefix,
      .replicas = (int)(mo.replicas > 5 ? 5 : mo.replicas),
      .sweep_ms = ms_of(mo.sweep_ns, 0),
      .host_timeout_ms = ms_of(mo.host_timeout_ns, 0),
      .lease_ms = ms_of(mo.lease_ns, 0),
      .id = mo.id,
  };
  /* block the signals before any thread starts, so only sigwait sees them */
  sigset_t set;
  lat_cli_block_signals(&set, false);
  lat_manager_t *m = NULL;
  lat_error_t err;
  if (lat_manager_new(&o, &m, &err)) {
    rc = lat_cli_fail(&a, 1, "%s", err.msg);
    lat_cli_args_fini(&a);
    return rc;
  }
  int sig = 0;
  sigwait(&set, &sig);
  LAT_LOG(LAT_LOG_INFO, "manager", "stopping", LAT_KV_INT("signal", sig));
  lat_manager_free(m);
  lat_lattice_library_close(2000);
  lat_cli_args_fini(&a);
  return 0;
}
