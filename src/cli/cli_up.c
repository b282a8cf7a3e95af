/* `lattice up` and `lattice down`: a local lattice for development, as
 * `wash up` / `wash down`.
 *
 * up: when nothing answers at the NATS address, starts Debian's nats-server
 * with JetStream and a state folder of its own; then starts a host (this
 * same executable, `lattice host`), and waits (bounded) until the host
 * answers host.ping; then the deployment manager (`lattice manager`, as
 * `wash up` starts wadm) unless --no-manager, waiting until it answers the
 * model API.  Stopping goes manager, host, nats-server.  In the foreground, Ctrl-C or SIGTERM stops what up
 * started, host first (requests finish, host_stopped is published), then
 * nats-server if up started it.  With --detach, both keep running in their
 * own sessions and their pids go to STATE/up.json; `lattice down` stops
 * them, by those pids, the same way.  A NATS server that was already
 * running is never stopped: up did not start it.
 *
 * STATE is --state-dir, else $LATTICE_HOME/up, else ~/.lattice/up: the
 * JetStream store (so links and config survive a restart), the logs
 * (nats.log, host.log, manager.log) and up.json.
 *
 * --secure (issue 13): runs `lattice tls init` (once: the CA is kept) and
 * `lattice nats init` (keys kept, JWTs and nats.conf rewritten) into
 * STATE/tls and STATE/nats, starts nats-server with that config (operator
 * mode, TLS with client certificates; always its own server: one found
 * answering could not be trusted to be configured so), the host with the
 * host user on its ctl connection and the provider user on its rpc
 * connection (so providers, handed the rpc creds in HostData, get only
 * wRPC and wasmbus.rpc), the manager with the admin user, and prints the
 * flags a user connects with.  Every probe of up's own then uses the admin
 * creds and the client certificate.
 *
 * Every wait is bounded (10 s for nats-server, 20 s for the host).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lattice/lattice.h"
#include "cli.h"

static struct {
  const char *nats_host, *nats_port, *lattice, *state_dir, *nats_bin;
  bool detach, no_file_load, no_manager, secure;
  lat_cli_list_t labels, kv;
} uo;

/* --secure: the files everything connects with (empty when not secure) */
static struct {
  char creds_admin[4300], creds_host[4300], creds_provider[4300], conf[4300];
  char ca[4300], cert[4300], key[4300];
} sec;

static const lat_cli_opt_t up_opts[] = {
    {"detach", 'd', LAT_CLI_FLAG, &uo.detach, NULL,
     "return once the lattice answers; `lattice down` stops it"},
    {"nats-host", 0, LAT_CLI_STRING, &uo.nats_host, "HOST", "NATS address (default 127.0.0.1)"},
    {"nats-port", 0, LAT_CLI_STRING, &uo.nats_port, "PORT", "NATS port (default 4222)"},
    {"lattice", 0, LAT_CLI_STRING, &uo.lattice, "NAME", "lattice name (default: default)"},
    {"label", 'l', LAT_CLI_LIST, &uo.labels, "KEY=VALUE", "a label for the host (repeatable)"},
    {"state-dir", 0, LAT_CLI_STRING, &uo.state_dir, "DIR",
     "JetStream store, logs and pids (default $LATTICE_HOME/up or ~/.lattice/up)"},
    {"nats-server", 0, LAT_CLI_STRING, &uo.nats_bin, "PATH",
     "the nats-server to start (default: nats-server on PATH)"},
    {"no-manager", 0, LAT_CLI_FLAG, &uo.no_manager, NULL,
     "do not start the deployment manager (`lattice manager`)"},
    {"no-file-load", 0, LAT_CLI_FLAG, &uo.no_file_load, NULL,
     "refuse file:// component references (allowed by default in a local lattice)"},
    {"secure", 0, LAT_CLI_FLAG, &uo.secure, NULL,
     "NATS with accounts, per-role users and TLS (`nats init` + `tls init` in STATE)"},
    {"kv-bucket", 0, LAT_CLI_LIST, &uo.kv, "NAME",
     "with --secure: a KV bucket providers may use (repeatable; see `lattice nats init`)"},
};

static const lat_cli_cmd_t up_cmd = {
    .name = "up",
    .usage = "[OPTIONS]",
    .summary = "bring up a local lattice: nats-server (when none answers) and a host",
    .details = "In the foreground, Ctrl-C stops what up started.  With --detach it returns\n"
               "once the host answers, and `lattice down` stops it later.\n",
    .opts = up_opts,
    .nopts = LAT_CLI_NOPTS(up_opts),
    .examples = "  lattice up\n  lattice up --detach && lattice get hosts && lattice down\n"
                "  lattice up -d --nats-port 4333 --state-dir /tmp/lat\n"
                "  lattice up -d --secure --state-dir /tmp/lat   # prints how to connect\n",
};

static const lat_cli_opt_t down_opts[] = {
    {"state-dir", 0, LAT_CLI_STRING, &uo.state_dir, "DIR", "as given to up"},
};
static const lat_cli_cmd_t down_cmd = {
    .name = "down",
    .usage = "[OPTIONS]",
    .summary = "stop the lattice `lattice up --detach` started",
    .opts = down_opts,
    .nopts = LAT_CLI_NOPTS(down_opts),
    .examples = "  lattice down\n  lattice down --state-dir /tmp/lat\n",
};

static const char *state_dir(char *buf, size_t cap) {
  if (uo.state_dir) return uo.state_dir;
  const char *lh = getenv("LATTICE_HOME"), *home = getenv("HOME");
  if (lh && *lh) snprintf(buf, cap, "%s/up", lh);
  else snprintf(buf, cap, "%s/.lattice/up", home && *home ? home : ".");
  return buf;
}

/* Starts argv with stdout+stderr to log, in a session of its own (so a
 * terminal's Ctrl-C reaches up, which stops it in order); 0 on failure. */
static pid_t spawn(char *const argv[], const char *log) {
  pid_t pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) {
    setsid();
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int nul = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (nul >= 0) dup2(nul, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
    dprintf(2, "lattice up: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return pid;
}


/* A short-lived connection for the readiness probes; NULL when none. */
static lat_lattice_conn_t *probe_conn(const char *url) {
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = url;
  o.connect_timeout_ms = 500;
  o.name = "lattice-up";
  if (uo.secure) {
    o.creds_file = sec.creds_admin;
    o.tls_ca_file = sec.ca;
    o.tls_cert_file = sec.cert;
    o.tls_key_file = sec.key;
  }
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  return lat_lattice_conn_new(&o, &c, NULL, &err) ? NULL : c;
}

static bool nats_answers(const char *url) {
  lat_lattice_conn_t *c = probe_conn(url);
  bool ok = c != NULL;
  lat_lattice_conn_free(c);
  return ok;
}

/* Hosts answering host.ping on the lattice. */
static size_t hosts_answering(const char *url, const char *lattice) {
  lat_lattice_conn_t *c = probe_conn(url);
  lat_error_t err;
  if (!c) return 0;
  char *subj = NULL;
  lat_lattice_replies_t rs = {0};
  size_t n = 0;
  if (!lat_lattice_subj_ctl(NULL, lattice, "host", "ping", NULL, &subj, &err) &&
      !lat_lattice_conn_gather(c, subj, "", 0, 300, 0, &rs, &err))
    n = rs.count;
  lat_lattice_replies_fini(&rs);
  lat_free(subj);
  lat_lattice_conn_free(c);
  return n;
}

/* The manager answers wadm.api.{lattice}.model.get. */
static bool manager_answers(const char *url, const char *lattice) {
  lat_lattice_conn_t *c = probe_conn(url);
  lat_error_t err;
  if (!c) return false;
  char subj[400];
  snprintf(subj, sizeof subj, "wadm.api.%s.model.get", lattice);
  lat_lattice_reply_t r = {0};
  bool ok = !lat_lattice_conn_request(c, subj, "", 0, 500, &r, &err);
  lat_lattice_reply_fini(&r);
  lat_lattice_conn_free(c);
  return ok;
}

static bool alive(pid_t pid) {
  if (pid <= 0) return false;
  int st;
  pid_t r = waitpid(pid, &st, WNOHANG); /* reaps our own children */
  if (r == pid) return false;
  return kill(pid, 0) == 0;
}

/* SIGTERM, then up to secs for it to go, then SIGKILL. */
static void stop_pid(pid_t pid, int secs) {
  if (!alive(pid)) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < secs * 20 && alive(pid); i++) usleep(50000);
  if (alive(pid)) kill(pid, SIGKILL);
  for (int i = 0; i < 40 && alive(pid); i++) usleep(50000);
}

/* --secure: certificates (once), users and nats.conf; fills sec.  -1 to go on, else an
 * exit status (the error printed). */
static int secure_init(const lat_cli_args_t *a, const char *dir, const char *host,
                       const char *port, const char *lattice) {
  char tdir[4200], ndir[4200], js[4200];
  snprintf(tdir, sizeof tdir, "%s/tls", dir);
  snprintf(ndir, sizeof ndir, "%s/nats", dir);
  snprintf(js, sizeof js, "%s/jetstream-secure", dir);
  snprintf(sec.ca, sizeof sec.ca, "%s/ca.pem", tdir);
  snprintf(sec.cert, sizeof sec.cert, "%s/client.pem", tdir);
  snprintf(sec.key, sizeof sec.key, "%s/client-key.pem", tdir);
  char server[4300], server_key[4300];
  snprintf(server, sizeof server, "%s/server.pem", tdir);
  snprintf(server_key, sizeof server_key, "%s/server-key.pem", tdir);
  lat_error_t err;
  if (access(server, R_OK) != 0 || access(sec.cert, R_OK) != 0) {
    lat_cli_tls_init_t t = {.dir = tdir};
    if (lat_cli_tls_init(&t, &err)) return lat_cli_fail_err(a, 1, "tls init", &err);
  }
  lat_cli_nats_init_t n = {.dir = ndir, .lattice = lattice, .ctl_prefix = "wasmbus.ctl",
                           .listen_host = host, .listen_port = port, .js_dir = js,
                           .tls_cert = server, .tls_key = server_key, .tls_ca = sec.ca,
                           .tls_verify = true, .kv_buckets = uo.kv.v, .nkv = uo.kv.n};
  if (lat_cli_nats_init(&n, &err)) return lat_cli_fail_err(a, 1, "nats init", &err);
  snprintf(sec.creds_admin, sizeof sec.creds_admin, "%s/admin.creds", ndir);
  snprintf(sec.creds_host, sizeof sec.creds_host, "%s/host.creds", ndir);
  snprintf(sec.creds_provider, sizeof sec.creds_provider, "%s/provider.creds", ndir);
  snprintf(sec.conf, sizeof sec.conf, "%s/nats.conf", ndir);
  return -1;
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

int lat_cli_up(int argc, char **argv) {
  lat_cli_args_t args;
  int rc = lat_cli_parse(&up_cmd, argc, argv, &args);
  if (rc >= 0) {
    lat_cli_args_fini(&args);
    return rc;
  }
  char sbuf[4096], url[300], path[4200], nlog[4200], hlog[4200], mlog[4200];
  const char *dir = state_dir(sbuf, sizeof sbuf);
  const char *host = uo.nats_host ? uo.nats_host : "127.0.0.1";
  const char *port = uo.nats_port ? uo.nats_port : "4222";
  const char *lattice = uo.lattice ? uo.lattice : "default";
  snprintf(url, sizeof url, "nats://%s:%s", host, port);
  pid_t npid = 0, hpid = 0, mpid = 0;
  rc = 1;
  if (!lat_lattice_token_valid(lattice)) {
    rc = lat_cli_fail(&args, 2, "bad lattice name '%s'", lattice);
    goto out;
  }
  if (lat_mkdir_p(dir) < 0) {
    rc = lat_cli_fail(&args, 1, "cannot create %s: %s", dir, strerror(errno));
    goto out;
  }
  snprintf(path, sizeof path, "%s/up.json", dir);
  if (access(path, F_OK) == 0) {
    json_t *j = json_load_file(path, 0, NULL);
    pid_t h = (pid_t)json_integer_value(json_object_get(j, "host_pid"));
    json_decref(j);
    if (alive(h)) {
      rc = lat_cli_fail(&args, 1, "a lattice started by up already runs (host pid %d); "
                                  "`lattice down%s%s` first", (int)h,
                        uo.state_dir ? " --state-dir " : "", uo.state_dir ? uo.state_dir : "");
      goto out;
    }
    unlink(path); /* stale */
  }
  snprintf(nlog, sizeof nlog, "%s/nats.log", dir);
  snprintf(hlog, sizeof hlog, "%s/host.log", dir);
  snprintf(mlog, sizeof mlog, "%s/manager.log", dir);
  if (uo.secure && (rc = secure_init(&args, dir, host, port, lattice)) >= 0) goto out;
  rc = 1;
  if (uo.secure || !nats_answers(url)) {
    char store[4200];
    snprintf(store, sizeof store, "%s/jetstream", dir);
    char *nargv[] = {(char *)(uo.nats_bin ? uo.nats_bin : "nats-server"), "-js", "-sd", store,
                     "-a", (char *)host, "-p", (char *)port, NULL};
    char *sargv[] = {nargv[0], "-c", sec.conf, NULL};
    if (uo.secure) memcpy(nargv, sargv, sizeof sargv);
    if (!(npid = spawn(nargv, nlog))) {
      rc = lat_cli_fail(&args, 1, "cannot start nats-server: %s", strerror(errno));
      goto out;
    }
    for (int i = 0; i < 200 && alive(npid) && !nats_answers(url); i++) usleep(50000);
    if (!nats_answers(url)) {
      rc = lat_cli_fail(&args, 1, "nats-server did not answer at %s within 10 s (see %s%s)", url,
                        nlog, alive(npid) ? "" : "; it exited");
      goto out;
    }
  }
  /* the host: this executable */
  char self[4096];
  ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
  if (sl <= 0) {
    rc = lat_cli_fail(&args, 1, "cannot find this executable");
    goto out;
  }
  self[sl] = 0;
  char *hargv[32 + 2 * 64];
  int k = 0;
  hargv[k++] = self;
  hargv[k++] = "host";
  hargv[k++] = "--nats-host";
  hargv[k++] = (char *)host;
  hargv[k++] = "--nats-port";
  hargv[k++] = (char *)port;
  hargv[k++] = "--lattice";
  hargv[k++] = (char *)lattice;
  if (!uo.no_file_load) hargv[k++] = "--allow-file-load";
  if (uo.secure) {
    char *const more[] = {"--ctl-credsfile", sec.creds_host, "--rpc-credsfile", sec.creds_provider,
                          "--nats-tls-ca-file", sec.ca, "--nats-tls-cert-file", sec.cert,
                          "--nats-tls-key-file", sec.key};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) hargv[k++] = more[i];
  }
  for (size_t i = 0; i < uo.labels.n && i < 64; i++) {
    hargv[k++] = "--label";
    hargv[k++] = (char *)uo.labels.v[i];
  }
  hargv[k] = NULL;
  size_t before = hosts_answering(url, lattice);
  if (!(hpid = spawn(hargv, hlog))) {
    rc = lat_cli_fail(&args, 1, "cannot start the host: %s", strerror(errno));
    goto out;
  }
  for (int i = 0; i < 40 && alive(hpid) && hosts_answering(url, lattice) <= before; i++)
    usleep(200000);
  if (!alive(hpid) || hosts_answering(url, lattice) <= before) {
    rc = lat_cli_fail(&args, 1, "the host did not answer within 20 s (see %s)", hlog);
    goto out;
  }
  if (!uo.no_manager) {
    char *margv[] = {self, "manager", "--nats-host", (char *)host, "--nats-port", (char *)port,
                     "--lattice", (char *)lattice, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                     NULL};
    if (uo.secure) {
      char *const more[] = {"--nats-creds", sec.creds_admin, "--nats-tls-ca-file", sec.ca,
                            "--nats-tls-cert-file", sec.cert, "--nats-tls-key-file", sec.key};
      memcpy(margv + 8, more, sizeof more);
    }
    if (!(mpid = spawn(margv, mlog))) {
      rc = lat_cli_fail(&args, 1, "cannot start the manager: %s", strerror(errno));
      goto out;
    }
    for (int i = 0; i < 100 && alive(mpid) && !manager_answers(url, lattice); i++) usleep(100000);
    if (!alive(mpid) || !manager_answers(url, lattice)) {
      rc = lat_cli_fail(&args, 1, "the manager did not answer within 10 s (see %s)", mlog);
      goto out;
    }
  }
  if (uo.secure && !args.json)
    printf("lattice up: secured; connect with\n"
           "  lattice get hosts --ctl-port %s --ctl-creds %s \\\n"
           "    --ctl-tls-ca-file %s --ctl-tls-cert-file %s --ctl-tls-key-file %s\n"
           "  (or WASMCLOUD_CTL_CREDS, WASMCLOUD_CTL_TLS_CA_FILE, WASMCLOUD_CTL_TLS_CERT_FILE,\n"
           "  WASMCLOUD_CTL_TLS_KEY_FILE; read-only: %s/nats/observer.creds)\n",
           port, sec.creds_admin, sec.ca, sec.cert, sec.key, dir);
  if (uo.detach) {
    json_t *j = json_pack("{s:i,s:i,s:i,s:s,s:s}", "host_pid", (json_int_t)hpid, "nats_pid",
                          (json_int_t)npid, "manager_pid", (json_int_t)mpid, "nats_url", url,
                          "lattice", lattice);
    if (json_dump_file(j, path, JSON_COMPACT)) {
      json_decref(j);
      rc = lat_cli_fail(&args, 1, "cannot write %s", path);
      goto out;
    }
    if (args.json) lat_cli_json_print(json_pack("{s:b,s:O}", "success", 1, "lattice", j));
    else printf("lattice up: %s, host pid %d%s; logs in %s; stop it with `lattice down`\n", url,
                (int)hpid, npid ? ", nats-server started" : "", dir);
    json_decref(j);
    npid = hpid = mpid = 0; /* they keep running */
    rc = 0;
    goto out;
  }
  if (args.json)
    lat_cli_json_print(json_pack("{s:b,s:s,s:i}", "success", 1, "nats_url", url, "host_pid",
                                 (json_int_t)hpid));
  else
    printf("lattice up: %s, host pid %d%s; logs in %s; Ctrl-C stops it\n", url, (int)hpid,
           npid ? ", nats-server started" : "", dir);
  fflush(stdout);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  while (!got_signal && alive(hpid) && (!mpid || alive(mpid))) usleep(100000);
  if (!args.json) printf("lattice up: stopping\n");
  rc = got_signal ? 0
       : alive(hpid) ? lat_cli_fail(&args, 1, "the manager exited (see %s)", mlog)
                     : lat_cli_fail(&args, 1, "the host exited (see %s)", hlog);
out:
  stop_pid(mpid, 10);
  stop_pid(hpid, 15);
  stop_pid(npid, 10);
  lat_cli_args_fini(&args);
  return rc;
}

int lat_cli_down(int argc, char **argv) {
  lat_cli_args_t args;
  int rc = lat_cli_parse(&down_cmd, argc, argv, &args);
  if (rc >= 0) {
    lat_cli_args_fini(&args);
    return rc;
  }
  char sbuf[4096], path[4200];
  snprintf(path, sizeof path, "%s/up.json", state_dir(sbuf, sizeof sbuf));
  json_error_t je;
  json_t *j = json_load_file(path, 0, &je);
  if (!j) {
    rc = lat_cli_fail(&args, 1, "nothing to stop: no %s (was `lattice up --detach` run?)", path);
    lat_cli_args_fini(&args);
    return rc;
  }
  pid_t h = (pid_t)json_integer_value(json_object_get(j, "host_pid"));
  pid_t n = (pid_t)json_integer_value(json_object_get(j, "nats_pid"));
  pid_t mg = (pid_t)json_integer_value(json_object_get(j, "manager_pid"));
  json_decref(j);
  stop_pid(mg, 10);
  stop_pid(h, 15);
  stop_pid(n, 10);
  unlink(path);
  if (args.json)
    lat_cli_json_print(json_pack("{s:b,s:i,s:i}", "success", 1, "host_pid", (json_int_t)h,
                                 "nats_pid", (json_int_t)n));
  else
    printf("lattice down: stopped the host (pid %d)%s\n", (int)h,
           n ? " and nats-server" : "");
  lat_cli_args_fini(&args);
  return 0;
}
