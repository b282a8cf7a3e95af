/* `lattice tls init`: a CA and the certificates a secured lattice's NATS
 * uses: server.pem (SANs localhost, 127.0.0.1 and --host names; server
 * auth) and client.pem (client auth, for the hosts, the manager, the CLI
 * and, through HostData, providers), each with its key, signed by ca.pem.
 * Keys are ECDSA P-256 (small, fast handshakes; nats-server's Go TLS and
 * libnats' OpenSSL both take them), written 0600.
 *
 * The work is done by Debian's `openssl` command, run without a shell
 * (argv only).  Rejected: libssl's C API, because it is not one of the
 * build's libraries (libnats links it privately, its headers are not a
 * build dependency) and issuing three certificates once, off every hot
 * path, does not justify ~300 lines of X509/EVP code plus a new link
 * dependency; the openssl command is in scripts/setup.sh.
 *
 * An existing CA (ca.pem + ca-key.pem) is kept and the leaf certificates
 * are issued again, so clients that trust the CA keep working.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cli.h"

#define MAX_HOSTS 32

/* Runs argv (openssl ...), its output to DIR/openssl.log; LAT_OK when it exits 0. */
static lat_status run(char *const argv[], const char *dir, lat_error_t *err) {
  char log[4200];
  snprintf(log, sizeof log, "%s/openssl.log", dir);
  pid_t pid = fork();
  if (pid < 0) return lat_error_set(err, LAT_EIO, SIZE_MAX, "fork: %s", strerror(errno));
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int nul = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (nul >= 0) dup2(nul, 0);
    execvp(argv[0], argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return LAT_OK;
  return lat_error_set(err, LAT_EIO, SIZE_MAX, "`openssl %s` failed (%s; see %s)", argv[1],
                       WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "is openssl installed?"
                                                               : "exit status",
                       log);
}

static lat_status write_text(const char *path, const char *text, lat_error_t *err) {
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f)) {
    if (f) fclose(f);
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot write %s", path);
  }
  return LAT_OK;
}

/* Issues NAME.pem / NAME-key.pem signed by the CA, with extensions ext. */
static lat_status issue(const char *dir, const char *name, const char *cn, const char *ext,
                        const char *days, lat_error_t *err) {
  char key[4200], csr[4200], pem[4200], extf[4200], ca[4200], cakey[4200], subj[300];
  snprintf(key, sizeof key, "%s/%s-key.pem", dir, name);
  snprintf(csr, sizeof csr, "%s/%s.csr", dir, name);
  snprintf(pem, sizeof pem, "%s/%s.pem", dir, name);
  snprintf(extf, sizeof extf, "%s/%s.ext", dir, name);
  snprintf(ca, sizeof ca, "%s/ca.pem", dir);
  snprintf(cakey, sizeof cakey, "%s/ca-key.pem", dir);
  snprintf(subj, sizeof subj, "/CN=%s", cn);
  lat_status st = write_text(extf, ext, err);
  if (st) return st;
  char *req[] = {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj",
                 subj, NULL};
  char *sign[] = {"openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey,
                  "-set_serial", NULL, "-days", (char *)days, "-sha256", "-extfile", extf,
                  "-out", pem, NULL};
  char serial[40];
  unsigned long long r = ((unsigned long long)randombytes_random() << 31) ^ randombytes_random();
  snprintf(serial, sizeof serial, "0x%llx", r | 1);
  sign[10] = serial;
  if (!(st = run(req, dir, err))) st = run(sign, dir, err);
  if (!st) chmod(key, 0600);
  unlink(csr);
  unlink(extf);
  return st;
}

lat_status lat_cli_tls_init(const lat_cli_tls_init_t *c, lat_error_t *err) {
  if (c->nhosts > MAX_HOSTS)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "at most %d extra hosts", MAX_HOSTS);
  if (lat_mkdir_p(c->dir) < 0)
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot create %s: %s", c->dir, strerror(errno));
  chmod(c->dir, 0700);
  char days[16], ca[4200], cakey[4200];
  snprintf(days, sizeof days, "%u", c->days ? c->days : 825);
  snprintf(ca, sizeof ca, "%s/ca.pem", c->dir);
  snprintf(cakey, sizeof cakey, "%s/ca-key.pem", c->dir);
  lat_status st;
  if (access(ca, R_OK) != 0 || access(cakey, R_OK) != 0) {
    char *mk[] = {"openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", cakey, "-out", ca,
                  "-days", days, "-sha256", "-subj", "/CN=Lattice NATS CA", "-addext",
                  "basicConstraints=critical,CA:TRUE", "-addext",
                  "keyUsage=critical,keyCertSign,cRLSign", NULL};
    if ((st = run(mk, c->dir, err))) return st;
    chmod(cakey, 0600);
  }
  /* server: SANs; every name is checked to be a plain host name or address */
  lat_buf_t san;
  lat_buf_init(&san);
  st = lat_buf_printf(&san, "subjectAltName=DNS:localhost,IP:127.0.0.1");
  for (size_t i = 0; !st && i < c->nhosts; i++) {
    const char *h = c->hosts[i];
    unsigned char a6[16];
    bool ip = inet_pton(AF_INET, h, a6) == 1 || inet_pton(AF_INET6, h, a6) == 1;
    if (!*h || strlen(h) > 253 || strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789.-:*") != strlen(h)) {
      lat_buf_fini(&san);
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad host name '%s'", h);
    }
    st = lat_buf_printf(&san, ",%s:%s", ip ? "IP" : "DNS", h);
  }
  if (!st)
    st = lat_buf_printf(&san, "\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                              "extendedKeyUsage=serverAuth\n");
  if (!st) st = lat_buf_push(&san, 0);
  if (st) {
    lat_buf_fini(&san);
    return lat_error_set(err, st, SIZE_MAX, "out of memory");
  }
  st = issue(c->dir, "server", "lattice-nats", (const char *)san.data, days, err);
  lat_buf_fini(&san);
  if (st) return st;
  return issue(c->dir, "client", "lattice-client",
               "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
               "extendedKeyUsage=clientAuth\n",
               days, err);
}

/* ---- the command -------------------------------------------------------------------------- */

static struct {
  const char *dir;
  lat_cli_list_t hosts;
  uint64_t days;
} to;

static const lat_cli_opt_t init_opts[] = {
    {"dir", 0, LAT_CLI_STRING, &to.dir, "DIR",
     "where the PEM files go (default $LATTICE_HOME/tls or ~/.lattice/tls)"},
    {"hosts", 0, LAT_CLI_LIST, &to.hosts, "NAME",
     "another DNS name or IP address of the server (repeatable; localhost and 127.0.0.1 always)"},
    {"days", 0, LAT_CLI_COUNT, &to.days, "N", "validity (default 825)"},
};

static const lat_cli_cmd_t init_cmd = {
    .name = "tls init",
    .usage = "[OPTIONS]",
    .summary = "make a CA and server and client certificates for the lattice's NATS",
    .details = "Writes ca.pem, server.pem and client.pem, each with its -key.pem, using the\n"
               "openssl command.  An existing CA is kept; the certificates are issued again.\n",
    .opts = init_opts,
    .nopts = LAT_CLI_NOPTS(init_opts),
    .examples = "  lattice tls init --dir /tmp/lat/tls --hosts nats.example.com --hosts 10.0.0.5\n",
};

static int run_init(lat_cli_args_t *a) {
  if (a->npos) return lat_cli_fail(a, 2, "unexpected argument '%s'", a->pos[0]);
  if (to.days > 36500) return lat_cli_fail(a, 2, "--days is at most 36500");
  char dbuf[4096];
  lat_cli_tls_init_t c = {.dir = lat_cli_home_dir(to.dir, "tls", dbuf, sizeof dbuf),
                          .hosts = to.hosts.v,
                          .nhosts = to.hosts.n,
                          .days = (unsigned)to.days};
  lat_error_t err;
  if (lat_cli_tls_init(&c, &err)) return lat_cli_fail_err(a, 1, "tls init", &err);
  if (a->json)
    lat_cli_json_print(json_pack("{s:b,s:s}", "success", 1, "dir", c.dir));
  else
    printf("lattice tls init: ca.pem, server.pem, client.pem (and keys) in %s\n", c.dir);
  return 0;
}

static const lat_cli_sub_t tls_subs[] = {{"init", &init_cmd, run_init}};
static const lat_cli_group_t tls_group = {
    .name = "tls",
    .summary = "make the certificates a secured lattice's NATS uses",
    .subs = tls_subs,
    .nsubs = LAT_CLI_NOPTS(tls_subs),
    .examples = "  lattice tls init --dir /tmp/lat/tls\n"};

int lat_cli_tls(int argc, char **argv) { return lat_cli_group_run(&tls_group, argc, argv); }
