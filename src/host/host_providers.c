/* host_providers.c: executable capability providers under a host's
 * supervision (PROTOCOL.md §5).
 *
 * A `file://PATH` provider.start (or `wasmcloud+builtin://NAME` for a
 * provider built into the `lattice` executable, which runs as the process
 * `lattice provider NAME`) puts an entry in the host's table at once
 * (so auctions and the inventory see it) and leaves the spawning to a job
 * run after the reply (lat__host_prov_launch): the child gets a cleared
 * environment (only RUST_LOG and OTEL_* pass), one line of base64(HostData
 * JSON) + "\r\n" on stdin, which is then closed, and its stdout and stderr
 * are read line by line into the host's log (escaped by base's logger) by
 * a thread per child.  The start counts as done when the child answers a
 * health request (bounded by LAUNCH_WAIT_NS); an exit or silence before
 * that is provider_start_failed with the reason.
 *
 * Then one supervisor thread per provider ticks every TICK_MS: it reaps
 * the child (waitpid WNOHANG: polling, rather than SIGCHLD, because a
 * library must not own the process's signal handlers), sends health
 * requests on wasmbus.rpc.{lattice}.{id}.health (the first
 * prov_first_health_ns after start, then every prov_health_ns), publishing
 * health_check_passed/failed on a change and health_check_status
 * otherwise, and restarts a child that exited without a stop request after
 * prov_restart_ns (wasmCloud's 5 s), with new HostData;
 * health_check_failed says it went, provider_started (with "restarted":
 * true) that it came back.
 *
 * Stopping (provider.stop or host shutdown, lat__host_prov_halt): the
 * supervisor is told and joined, then the shutdown request
 * {"host_id"} on {id}.default.shutdown, a wait of prov_shutdown_ms for the
 * exit, SIGTERM, one more second, SIGKILL; provider_stopped.  Every wait
 * is bounded.
 *
 * Links: lat__host_provs_links_sync runs wherever links or config change
 * (hooked into lat__host_http_sync, which runs on exactly those changes)
 * and diffs the links each provider is source or target of against what
 * it was sent (`delivered`, under the host's mu): new or changed ones go
 * out as InterfaceLinkDefinition puts on the provider's xkey subject (and
 * the legacy id subjects only when the link has no secrets, §5.2); removed
 * ones as dels on both ids' subjects.  What is diffed holds the provider's
 * side's SECRET_ references, not their values: a put resolves them (with
 * the token the host vouches for the provider with, host_secrets.c) and
 * seals the {name: SecretValue} map with the host's xkey to the provider's
 * (a JSON byte array; none is null), fresh each send, so no value sits in
 * the host's tables.  A link whose secrets cannot be had is not sent, is
 * logged, and is tried again at the next sync.  A fresh child gets the current set in
 * HostData and `delivered` is reset to it; changes made before it answers
 * its first health request (it may not listen yet) are sent right after.
 *
 * The provider's merged named config is diffed the same way: a change
 * goes out on {id}.config.update.
 *
 * Secrets: the provider's config's SECRET_ references are fetched once, at
 * the first launch (a failure is provider_start_failed with the reason),
 * kept wiped-on-free for restarts and put in HostData `secrets` in plain
 * text (the stdin line is wiped after writing), as wasmCloud does.
 *
 * Not yet: PAR and OCI references, claims (so no provider has its own
 * entity JWT).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host_int.h"

extern char **environ;

#define TICK_MS 100u
#define LAUNCH_WAIT_NS (10ull * 1000000000ull) /* first health answer after spawn */
#define HEALTH_TIMEOUT_MS 2000u
#define TERM_WAIT_MS 1000u
#define LOG_LINE_MAX 2048u
#define STDIN_WAIT_MS 5000u
#define LOG_DRAIN_NS 1000000000ull

struct lat__host_proc {
  pthread_mutex_t mu;   /* guards pid, stop, launching */
  pthread_cond_t cv;    /* signalled on stop and when launching ends */
  char *path;           /* the executable (fixed) */
  char *builtin;        /* a builtin provider: argv is {path, "provider", builtin} */
  char instance_id[37]; /* fixed */
  lat_nkey_t xkey;      /* the provider's curve key (seed goes in HostData) */
  char xkey_pub[LAT_NKEY_PUBLIC_LEN + 1];
  pid_t pid;            /* the child; 0 when none (mu) */
  bool stop;            /* a stop was asked (mu) */
  bool launching;       /* lat__host_prov_launch still owns the start (mu) */
  bool healthy;         /* the last health answer (supervisor thread only) */
  pthread_t sup;
  bool sup_started;
  /* the child's output reader (one per child) */
  pthread_t log;
  bool log_started;
  int fds[2];           /* stdout, stderr read ends; -1 when closed */
  atomic_bool log_quit; /* the child is gone: drain what is there and end */
  char *prov_id;        /* for log lines (a copy of the entry's id) */
  json_t *delivered;    /* link key -> InterfaceLinkDefinition sent (host mu) */
  json_t *config_sent;  /* the merged config it has (HostData or the last
                           config.update) (host mu) */
  bool ready;           /* the child answered health, so it listens for links
                           (host mu); before that, changes wait for it */
  char *token;          /* the entity token the host vouches for it with
                           (secrets requests); fixed after the first launch */
  lat__host_secrets_t *secrets; /* its startup secrets (HostData `secrets`),
                           fetched at the first launch, kept for restarts */
};

typedef struct lat__host_proc proc_t;

/* ---- settings ------------------------------------------------------------------ */

static uint64_t env_ms(const char *name, uint64_t def_ms) {
  const char *v = getenv(name);
  if (!v || !*v) return def_ms;
  char *end;
  unsigned long long x = strtoull(v, &end, 10);
  return *end || x > 86400000ull ? def_ms : x;
}

lat_status lat__host_provs_init(lat_host_t *h, const lat_host_opts_t *o, lat_error_t *err) {
  h->prov_health_ns = o->prov_health_ns ? o->prov_health_ns
                                        : env_ms("LATTICE_PROVIDER_HEALTH_MS", 30000) * 1000000u;
  h->prov_first_health_ns = o->prov_first_health_ns
                                ? o->prov_first_health_ns
                                : env_ms("LATTICE_PROVIDER_FIRST_HEALTH_MS", 5000) * 1000000u;
  h->prov_restart_ns = o->prov_restart_ns ? o->prov_restart_ns
                                          : env_ms("LATTICE_PROVIDER_RESTART_MS", 5000) * 1000000u;
  h->prov_shutdown_ms = o->prov_shutdown_ms
                            ? o->prov_shutdown_ms
                            : (uint32_t)env_ms("WASMCLOUD_PROV_SHUTDOWN_DELAY_MS", 2000);
  return lat_nkey_generate(LAT_NKEY_CURVE, &h->xkey, err);
}

/* ---- the entry ------------------------------------------------------------------ */

lat_status lat__host_prov_builtin_new(lat__host_prov_t *p, const char *exe, const char *name) {
  lat_status st = lat__host_prov_exec_new(p, exe);
  if (st) return st;
  return (p->proc->builtin = lat_strndup(name, strlen(name))) ? LAT_OK : LAT_ENOMEM;
}

lat_status lat__host_prov_exec_new(lat__host_prov_t *p, const char *path) {
  proc_t *x = lat_calloc(1, sizeof *x);
  if (!x) return LAT_ENOMEM;
  pthread_mutex_init(&x->mu, NULL);
  pthread_cond_init(&x->cv, NULL);
  x->fds[0] = x->fds[1] = -1;
  x->launching = true;
  p->proc = x;
  x->path = lat_strndup(path, strlen(path));
  x->prov_id = lat_strndup(p->id, strlen(p->id));
  x->delivered = json_object();
  lat_error_t err;
  if (!x->path || !x->prov_id || !x->delivered || lat_nkey_generate(LAT_NKEY_CURVE, &x->xkey, &err))
    return LAT_ENOMEM;
  lat_nkey_public_string(&x->xkey, x->xkey_pub);
  uint8_t u[16];
  randombytes_buf(u, sizeof u);
  u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
  u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
  static const char hx[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) x->instance_id[o++] = '-';
    x->instance_id[o++] = hx[u[i] >> 4];
    x->instance_id[o++] = hx[u[i] & 15];
  }
  x->instance_id[o] = 0;
  return LAT_OK;
}

void lat__host_proc_free(proc_t *x) {
  if (!x) return;
  lat_nkey_fini(&x->xkey);
  lat_free(x->path);
  lat_free(x->builtin);
  lat_free(x->prov_id);
  lat_free(x->token);
  lat__host_secrets_release(x->secrets);
  json_decref(x->delivered);
  json_decref(x->config_sent);
  pthread_mutex_destroy(&x->mu);
  pthread_cond_destroy(&x->cv);
  lat_free(x);
}

static void emit(lat_host_t *h, const char *name, json_t *data) {
  if (data && h->io.event) h->io.event(h->io.env, name, data);
  json_decref(data);
}

/* ---- links as a provider sees them ------------------------------------------------ */


static json_t *ild(lat_host_t *h, json_t *l, bool with_config) {
  return json_pack(
      "{s:O,s:O,s:O,s:O,s:O,s:O,s:o,s:o,s:n,s:n}", "source_id", json_object_get(l, "source_id"),
      "target", json_object_get(l, "target"), "name", json_object_get(l, "name"), "wit_namespace",
      json_object_get(l, "wit_namespace"), "wit_package", json_object_get(l, "wit_package"),
      "interfaces", json_object_get(l, "interfaces"), "source_config",
      with_config ? lat__host_config_merge(h, json_object_get(l, "source_config")) : json_object(),
      "target_config",
      with_config ? lat__host_config_merge(h, json_object_get(l, "target_config")) : json_object(),
      "source_secrets", "target_secrets");
}

/* Links id is source or target of: key -> InterfaceLinkDefinition (under mu). */
static json_t *links_of(lat_host_t *h, const char *id) {
  json_t *out = json_object();
  const char *src;
  json_t *list;
  json_object_foreach(h->links, src, list) {
    size_t i;
    json_t *l;
    json_array_foreach(list, i, l) {
      const char *t = json_string_value(json_object_get(l, "target"));
      if (strcmp(src, id) && (!t || strcmp(t, id))) continue;
      char key[1200];
      snprintf(key, sizeof key, "%s\n%s\n%s\n%s\n%s", src, t ? t : "",
               json_string_value(json_object_get(l, "wit_namespace")),
               json_string_value(json_object_get(l, "wit_package")),
               json_string_value(json_object_get(l, "name")));
      json_t *d = ild(h, l, true);
      /* the provider's side's SECRET_ references, resolved and sealed only
       * when sent (wire_form): what is diffed is the references */
      json_t *refs = json_array();
      size_t k;
      json_t *n;
      json_array_foreach(json_object_get(l, strcmp(src, id) ? "target_config" : "source_config"),
                         k, n) if (json_is_string(n) &&
                                   !strncmp(json_string_value(n), LAT_SECRETS_REF_PREFIX,
                                            strlen(LAT_SECRETS_REF_PREFIX)))
          json_array_append(refs, n);
      if (d && json_array_size(refs)) json_object_set(d, "_refs", refs);
      json_decref(refs);
      if (d) json_object_set_new(out, key, d);
    }
  }
  return out;
}

/* Link d (from links_of) as provider prov_id gets it: its secret
 * references fetched with the provider's token and sealed by the host's
 * xkey to the provider's (xkey_pub), the other side's secrets null.  New;
 * NULL with why when a secret cannot be had. */
static json_t *wire_form(lat_host_t *h, json_t *d, const char *prov_id, const char *token,
                         const char *xkey_pub, char *why, size_t cap) {
  json_t *refs = json_object_get(d, "_refs"), *w = json_copy(d);
  if (!w) return NULL;
  json_object_del(w, "_refs");
  if (!refs) return w;
  lat__host_secrets_t *s = NULL;
  lat_nkey_t to;
  lat_error_t err;
  json_t *sealed = NULL;
  if (lat__host_secrets_resolve(h, refs, token, NULL, &s, &err) ||
      lat_nkey_from_public(xkey_pub, strlen(xkey_pub), &to, &err) ||
      !(sealed = lat__host_secrets_seal(h, s, &to))) {
    snprintf(why, cap, "%s", err.msg);
    lat__host_secrets_release(s);
    json_decref(w);
    return NULL;
  }
  lat__host_secrets_release(s);
  const char *src = json_string_value(json_object_get(d, "source_id"));
  json_object_set_new(w, src && !strcmp(src, prov_id) ? "source_secrets" : "target_secrets",
                      sealed);
  return w;
}

/* Forgets that link key was delivered to provider id, so the next sync
 * tries it again (its secrets could not be had). */
static void undeliver(lat_host_t *h, const char *id, const char *key) {
  pthread_mutex_lock(&h->mu);
  for (lat__host_prov_t *p = h->provs; p; p = p->next)
    if (p->proc && !strcmp(p->id, id)) json_object_del(p->proc->delivered, key);
  pthread_mutex_unlock(&h->mu);
}

static void publish_rpc(lat_host_t *h, const char *id, lat_lattice_rpc_kind kind, json_t *body) {
  char *subj = NULL, *text = json_dumps(body, JSON_COMPACT);
  lat_error_t err;
  if (text && lat_lattice_subj_rpc(h->lattice, id, kind, &subj, &err) == LAT_OK &&
      lat_lattice_conn_publish(h->rpc, subj, NULL, text, strlen(text), &err) != LAT_OK)
    LAT_LOGF(LAT_LOG_WARN, "host", "cannot send to a provider subject=%s reason=\"%s\"", subj, err.msg);
  lat_free(subj);
  free(text);
}

void lat__host_provs_links_sync(lat_host_t *h) {
  json_t *puts = json_array(), *dels = json_array(); /* [xkey, ild] / [ild] */
  json_t *cfgs = json_array();                       /* [id, merged config] */
  pthread_mutex_lock(&h->mu);
  for (lat__host_prov_t *p = h->provs; p; p = p->next) {
    if (!p->proc || !p->proc->ready) continue;
    json_t *want = links_of(h, p->id);
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v) {
      json_t *had = json_object_get(p->proc->delivered, k);
      if (!had || !json_equal(had, v))
        json_array_append_new(puts, json_pack("[s,O,s?,s,s]", p->proc->xkey_pub, v,
                                              p->proc->token, p->id, k));
    }
    json_object_foreach(p->proc->delivered, k, v) if (!json_object_get(want, k))
        json_array_append_new(dels, json_pack("[o]", ild(h, v, false)));
    json_decref(p->proc->delivered);
    p->proc->delivered = want;
    json_t *cfg = lat__host_config_merge(h, p->config);
    if (cfg && !json_equal(cfg, p->proc->config_sent)) {
      json_array_append_new(cfgs, json_pack("[s,O]", p->id, cfg));
      json_decref(p->proc->config_sent);
      p->proc->config_sent = json_incref(cfg);
    }
    json_decref(cfg);
  }
  pthread_mutex_unlock(&h->mu);
  size_t i;
  json_t *m;
  json_array_foreach(puts, i, m) {
    const char *pid = json_string_value(json_array_get(m, 3));
    char why[512];
    json_t *d = wire_form(h, json_array_get(m, 1), pid, json_string_value(json_array_get(m, 2)),
                          json_string_value(json_array_get(m, 0)), why, sizeof why);
    if (!d) {
      LAT_LOGF(LAT_LOG_ERROR, "host", "link not sent to a provider: its secrets cannot be had "
               "provider_id=%s reason=\"%s\"", pid, why);
      undeliver(h, pid, json_string_value(json_array_get(m, 4)));
      continue;
    }
    publish_rpc(h, json_string_value(json_array_get(m, 0)), LAT_LATTICE_RPC_LINKDEFS_PUT, d);
    /* the 1.0 subjects get a copy too, only when it holds no secrets (§5.2) */
    if (!json_object_get(json_array_get(m, 1), "_refs")) {
      publish_rpc(h, json_string_value(json_object_get(d, "source_id")),
                  LAT_LATTICE_RPC_LINKDEFS_PUT, d);
      publish_rpc(h, json_string_value(json_object_get(d, "target")),
                  LAT_LATTICE_RPC_LINKDEFS_PUT, d);
    }
    json_decref(d);
  }
  json_array_foreach(dels, i, m) {
    json_t *d = json_array_get(m, 0);
    publish_rpc(h, json_string_value(json_object_get(d, "source_id")), LAT_LATTICE_RPC_LINKDEFS_DEL,
                d);
    publish_rpc(h, json_string_value(json_object_get(d, "target")), LAT_LATTICE_RPC_LINKDEFS_DEL,
                d);
  }
  json_array_foreach(cfgs, i, m) publish_rpc(h, json_string_value(json_array_get(m, 0)),
                                             LAT_LATTICE_RPC_CONFIG_UPDATE, json_array_get(m, 1));
  json_decref(puts);
  json_decref(dels);
  json_decref(cfgs);
}

/* ---- the child's output ------------------------------------------------------------ */

typedef struct {
  char buf[LOG_LINE_MAX];
  size_t n;
} linebuf_t;

static void log_line(proc_t *x, int stream, const char *s, size_t n) {
  LAT_LOG(LAT_LOG_INFO, "provider", "provider output", LAT_KV_STR("provider_id", x->prov_id),
          LAT_KV_STR("stream", stream ? "stderr" : "stdout"), LAT_KV_BYTES("line", s, n));
}

static void *log_main(void *arg) {
  proc_t *x = arg;
  linebuf_t lb[2];
  lb[0].n = lb[1].n = 0;
  uint64_t quit_at = 0; /* when the quit was first seen: a grandchild holding
                           the pipe open and writing gets LOG_DRAIN_NS more */
  for (;;) {
    if (atomic_load(&x->log_quit)) {
      if (!quit_at)
        quit_at = lat_now_ns();
      else if (lat_now_ns() - quit_at > LOG_DRAIN_NS)
        break;
    }
    struct pollfd pf[2];
    nfds_t n = 0;
    int which[2];
    for (int i = 0; i < 2; i++)
      if (x->fds[i] >= 0) {
        pf[n] = (struct pollfd){.fd = x->fds[i], .events = POLLIN};
        which[n++] = i;
      }
    if (!n) break;
    int r = poll(pf, n, 200);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) {
      if (atomic_load(&x->log_quit)) break; /* the child is gone and nothing is left */
      continue;
    }
    for (nfds_t k = 0; k < n; k++) {
      if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int i = which[k];
      linebuf_t *b = &lb[i];
      ssize_t got = read(x->fds[i], b->buf + b->n, sizeof b->buf - b->n);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        if (b->n) log_line(x, i, b->buf, b->n);
        b->n = 0;
        close(x->fds[i]);
        x->fds[i] = -1;
        continue;
      }
      b->n += (size_t)got;
      size_t start = 0;
      for (size_t j = 0; j < b->n; j++)
        if (b->buf[j] == '\n') {
          size_t end = j > start && b->buf[j - 1] == '\r' ? j - 1 : j;
          log_line(x, i, b->buf + start, end - start);
          start = j + 1;
        }
      if (start == 0 && b->n == sizeof b->buf) start = b->n, log_line(x, i, b->buf, b->n);
      memmove(b->buf, b->buf + start, b->n - start);
      b->n -= start;
    }
  }
  for (int i = 0; i < 2; i++) {
    if (lb[i].n) log_line(x, i, lb[i].buf, lb[i].n);
    if (x->fds[i] >= 0) close(x->fds[i]);
    x->fds[i] = -1;
  }
  return NULL;
}

static void log_stop(proc_t *x) {
  if (!x->log_started) return;
  atomic_store(&x->log_quit, true);
  pthread_join(x->log, NULL);
  x->log_started = false;
}

/* ---- spawning -------------------------------------------------------------------- */

/* HostData (PROTOCOL §5.1) without its secrets, its link_definitions still
 * the object links_of makes (host_data_line finishes it).  Under mu. */
static json_t *host_data(lat_host_t *h, lat__host_prov_t *p) {
  proc_t *x = p->proc;
  char seed[LAT_NKEY_SEED_LEN + 1], hx[LAT_NKEY_PUBLIC_LEN + 1];
  lat_error_t err;
  if (lat_nkey_seed_string(&x->xkey, seed, &err)) return NULL;
  lat_nkey_public_string(&h->xkey, hx);
  json_t *links = links_of(h, p->id), *ldefs = json_copy(links);
  json_decref(x->delivered);
  x->delivered = links;
  x->ready = false;
  json_decref(x->config_sent);
  x->config_sent = lat__host_config_merge(h, p->config);
  const char *lv = lat_log_level_name((lat_log_level)lat__log_level);
  if (!strcmp(lv, "off")) lv = "info";
  json_t *hd = json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{},s:o,s:[],s:o,s:{},s:s,s:s,s:I,s:b,"
      "s:s,"
      "s:{s:b,s:s,s:[],s:s}}",
      "host_id", h->id, "lattice_rpc_prefix", h->lattice, "link_name", "default",
      "lattice_rpc_user_jwt", h->rpc_jwt, "lattice_rpc_user_seed", h->rpc_seed,
      "lattice_rpc_url", h->rpc_host,
      "provider_key", p->id, "instance_id", x->instance_id, "env_values", "link_definitions", ldefs,
      "cluster_issuers", "config", json_copy(x->config_sent), "secrets", "host_xkey_public_key", hx,
      "provider_xkey_private_key", seed, "default_rpc_timeout_ms", (json_int_t)h->rpc_timeout_ms,
      "structured_logging", 0, "log_level", lv, "otel_config", "enable_observability", 0,
      "protocol", "Http", "additional_ca_paths", "trace_level", "info");
  sodium_memzero(seed, sizeof seed);
  const char *tls_key[] = {"lattice_rpc_tls_ca_file", "lattice_rpc_tls_cert_file",
                           "lattice_rpc_tls_key_file"};
  const char *tls_val[] = {h->rpc_tls_ca, h->rpc_tls_cert, h->rpc_tls_key};
  for (int i = 0; hd && i < 3; i++)
    if (tls_val[i]) json_object_set_new(hd, tls_key[i], json_string(tls_val[i]));
  return hd;
}

/* HostData as the base64 line, new (wipe and free: it holds the
 * provider's xkey seed and its secrets).  Without mu: the link secrets and
 * the startup secrets (fetched at launch) go in here; a link whose secrets
 * cannot be had is left out and tried again at the next sync. */
static char *host_data_line(lat_host_t *h, lat__host_prov_t *p) {
  proc_t *x = p->proc;
  pthread_mutex_lock(&h->mu);
  json_t *hd = host_data(h, p);
  pthread_mutex_unlock(&h->mu);
  if (!hd) return NULL;
  json_t *links = json_object_get(hd, "link_definitions"), *ldefs = json_array();
  const char *k;
  json_t *v;
  char xpub[LAT_NKEY_PUBLIC_LEN + 1], why[512];
  lat_nkey_public_string(&x->xkey, xpub);
  json_object_foreach(links, k, v) {
    json_t *w = wire_form(h, v, p->id, x->token, xpub, why, sizeof why);
    if (w) {
      json_array_append_new(ldefs, w);
      continue;
    }
    LAT_LOGF(LAT_LOG_ERROR, "host", "link left out of HostData: its secrets cannot be had "
             "provider_id=%s reason=\"%s\"", p->id, why);
    undeliver(h, p->id, k);
  }
  json_object_set_new(hd, "link_definitions", ldefs);
  json_t *secrets = lat__host_secrets_json(x->secrets);
  json_object_set(hd, "secrets", secrets);
  char *text = json_dumps(hd, JSON_COMPACT);
  json_object_del(hd, "secrets");
  lat__host_secrets_json_free(secrets);
  json_decref(hd);
  if (!text) return NULL;
  size_t tl = strlen(text), cap = sodium_base64_ENCODED_LEN(tl, sodium_base64_VARIANT_ORIGINAL);
  char *line = lat_malloc(cap + 2);
  if (line) {
    sodium_bin2base64(line, cap, (const unsigned char *)text, tl, sodium_base64_VARIANT_ORIGINAL);
    memcpy(line + strlen(line), "\r\n", 3);
  }
  sodium_memzero(text, tl);
  free(text);
  return line;
}

/* The host's environment cleared except RUST_LOG and OTEL_* (borrowed strings). */
static char **child_env(void) {
  size_t n = 0;
  for (char **e = environ; e && *e; e++) n++;
  char **out = lat_calloc(n + 1, sizeof *out);
  if (!out) return NULL;
  size_t k = 0;
  for (char **e = environ; e && *e; e++)
    if (!strncmp(*e, "RUST_LOG=", 9) || !strncmp(*e, "OTEL_", 5)) out[k++] = *e;
  return out;
}

static bool write_all(int fd, const char *s, size_t n) {
  uint64_t until = lat_now_ns() + STDIN_WAIT_MS * 1000000ull;
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w > 0) {
      s += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (lat_now_ns() > until) return false;
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    poll(&pf, 1, 100);
  }
  return true;
}

/* Starts the child; why gets the reason on failure. */
static lat_status spawn(lat_host_t *h, lat__host_prov_t *p, char *why, size_t cap) {
  proc_t *x = p->proc;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
  char **env = NULL;
  char *line = NULL;
  posix_spawn_file_actions_t fa;
  bool fa_init = false;
  lat_status st = LAT_EIO;
  if (access(x->path, X_OK) != 0) {
    snprintf(why, cap, "cannot run %s: %s", x->path, strerror(errno));
    return LAT_ENOTFOUND;
  }
  line = host_data_line(h, p);
  env = child_env();
  if (!line || !env) {
    snprintf(why, cap, "out of memory");
    st = LAT_ENOMEM;
    goto done;
  }
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
    snprintf(why, cap, "pipe: %s", strerror(errno));
    goto done;
  }
  posix_spawn_file_actions_init(&fa);
  fa_init = true;
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, er[1], 2);
  /* the host's sockets (NATS, HTTP listeners) are not all close-on-exec:
   * the child must not keep them open after the host is gone */
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  char *argv[] = {x->path, x->builtin ? "provider" : NULL, x->builtin, NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, x->path, &fa, NULL, argv, env);
  if (rc) {
    snprintf(why, cap, "cannot run %s: %s", x->path, strerror(rc));
    goto done;
  }
  close(in[0]), close(out[1]), close(er[1]);
  in[0] = out[1] = er[1] = -1;
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  x->fds[0] = out[0];
  x->fds[1] = er[0];
  out[0] = er[0] = -1;
  atomic_store(&x->log_quit, false);
  x->log_started = pthread_create(&x->log, NULL, log_main, x) == 0;
  if (!x->log_started) { /* the child must not block on a full pipe */
    close(x->fds[0]), close(x->fds[1]);
    x->fds[0] = x->fds[1] = -1;
  }
  /* a child that exits before reading its stdin is reported by the caller;
   * SIGPIPE is blocked on this thread and any pending one consumed, so the
   * process's own disposition is left alone */
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  if (!write_all(in[1], line, strlen(line))) {
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, NULL);
  pthread_mutex_lock(&x->mu);
  x->pid = pid;
  pthread_mutex_unlock(&x->mu);
  LAT_LOGF(LAT_LOG_INFO, "host", "provider process started provider_id=%s pid=%ld path=%s", p->id,
                (long)pid, x->path);
  st = LAT_OK;
done:
  if (fa_init) posix_spawn_file_actions_destroy(&fa);
  for (int i = 0; i < 2; i++) {
    if (in[i] >= 0) close(in[i]);
    if (out[i] >= 0) close(out[i]);
    if (er[i] >= 0) close(er[i]);
  }
  if (line) sodium_memzero(line, strlen(line));
  lat_free(line);
  lat_free(env);
  return st;
}

/* True (pid cleared, output drained) when the child has exited; *how says how. */
static bool reaped(proc_t *x, char *how, size_t cap) {
  pthread_mutex_lock(&x->mu);
  pid_t pid = x->pid;
  pthread_mutex_unlock(&x->mu);
  if (pid <= 0) {
    snprintf(how, cap, "is not running");
    return true;
  }
  int status;
  if (waitpid(pid, &status, WNOHANG) != pid) return false;
  if (WIFEXITED(status))
    snprintf(how, cap, "exited with status %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(how, cap, "was killed by signal %d", WTERMSIG(status));
  else
    snprintf(how, cap, "ended");
  pthread_mutex_lock(&x->mu);
  x->pid = 0;
  pthread_mutex_unlock(&x->mu);
  log_stop(x);
  return true;
}

/* One health request: LAT_OK with *healthy, or why it got no answer. */
static lat_status health(lat_host_t *h, const char *id, bool *healthy, uint32_t timeout_ms) {
  char *subj = NULL;
  lat_error_t err;
  lat_lattice_reply_t r = {0};
  lat_status st = lat_lattice_subj_rpc(h->lattice, id, LAT_LATTICE_RPC_HEALTH, &subj, &err);
  if (!st) st = lat_lattice_conn_request(h->rpc, subj, "", 0, timeout_ms, &r, &err);
  lat_free(subj);
  if (st) return st;
  json_t *j = json_loadb((const char *)r.data, r.len, 0, NULL);
  *healthy = json_is_true(json_object_get(j, "healthy"));
  json_decref(j);
  lat_lattice_reply_fini(&r);
  return LAT_OK;
}

static bool stop_asked(proc_t *x) {
  pthread_mutex_lock(&x->mu);
  bool s = x->stop;
  pthread_mutex_unlock(&x->mu);
  return s;
}

/* Waits for the first health answer after a spawn (bounded); false with why. */
static bool await_ready(lat_host_t *h, lat__host_prov_t *p, char *why, size_t cap) {
  uint64_t until = lat_now_ns() + LAUNCH_WAIT_NS;
  char how[128];
  for (;;) {
    bool healthy = false;
    if (health(h, p->id, &healthy, 500) == LAT_OK) {
      p->proc->healthy = healthy;
      pthread_mutex_lock(&h->mu);
      p->proc->ready = true;
      pthread_mutex_unlock(&h->mu);
      lat__host_provs_links_sync(h); /* what changed since its HostData */
      return true;
    }
    if (reaped(p->proc, how, sizeof how)) {
      snprintf(why, cap, "the provider %s before answering a health check", how);
      return false;
    }
    if (stop_asked(p->proc)) {
      snprintf(why, cap, "stopped while starting");
      return false;
    }
    if (lat_now_ns() > until) {
      snprintf(why, cap, "the provider did not answer a health check within %llu s",
               (unsigned long long)(LAUNCH_WAIT_NS / 1000000000u));
      return false;
    }
    usleep(TICK_MS * 1000);
  }
}

static json_t *started_event(lat_host_t *h, lat__host_prov_t *p, bool restarted) {
  /* public_key and claims come only with a signed provider (none yet) */
  json_t *ev = json_pack("{s:s,s:s,s:s,s:O,s:s,s:s}", "host_id", h->id, "image_ref", p->image_ref,
                         "provider_id", p->id, "annotations", p->annotations, "instance_id",
                         p->proc->instance_id, "link_name", "default");
  if (ev && restarted) json_object_set_new(ev, "restarted", json_true());
  return ev;
}

/* Ends the child: shutdown request, wait, SIGTERM, wait, SIGKILL (bounded). */
static void terminate(lat_host_t *h, lat__host_prov_t *p) {
  proc_t *x = p->proc;
  char how[128];
  if (reaped(x, how, sizeof how)) return;
  char *subj = NULL, body[128];
  lat_error_t err;
  lat_lattice_reply_t r = {0};
  snprintf(body, sizeof body, "{\"host_id\":\"%s\"}", h->id);
  /* the request and the exit share one budget of prov_shutdown_ms */
  uint64_t until = lat_now_ns() + (uint64_t)h->prov_shutdown_ms * 1000000u;
  if (lat_lattice_subj_rpc(h->lattice, p->id, LAT_LATTICE_RPC_SHUTDOWN, &subj, &err) == LAT_OK &&
      lat_lattice_conn_request(h->rpc, subj, body, strlen(body), h->prov_shutdown_ms, &r, &err) ==
          LAT_OK)
    lat_lattice_reply_fini(&r);
  lat_free(subj);
  while (!reaped(x, how, sizeof how) && lat_now_ns() < until) usleep(20000);
  if (reaped(x, how, sizeof how)) return;
  pthread_mutex_lock(&x->mu);
  pid_t pid = x->pid;
  pthread_mutex_unlock(&x->mu);
  LAT_LOGF(LAT_LOG_WARN, "host", "provider did not exit after the shutdown request; SIGTERM "
                "provider_id=%s",
                p->id);
  kill(pid, SIGTERM);
  until = lat_now_ns() + TERM_WAIT_MS * 1000000ull;
  while (!reaped(x, how, sizeof how) && lat_now_ns() < until) usleep(20000);
  if (reaped(x, how, sizeof how)) return;
  LAT_LOGF(LAT_LOG_WARN, "host", "provider ignored SIGTERM; SIGKILL provider_id=%s", p->id);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0); /* bounded: SIGKILL cannot be ignored */
  pthread_mutex_lock(&x->mu);
  x->pid = 0;
  pthread_mutex_unlock(&x->mu);
  log_stop(x);
}

/* ---- supervision ------------------------------------------------------------------- */

/* Waits up to ns or until a stop is asked; true when asked. */
static bool nap(proc_t *x, uint64_t ns) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t t = (uint64_t)ts.tv_nsec + ns % 1000000000u;
  ts.tv_sec += (time_t)(ns / 1000000000u + t / 1000000000u);
  ts.tv_nsec = (long)(t % 1000000000u);
  pthread_mutex_lock(&x->mu);
  while (!x->stop && pthread_cond_timedwait(&x->cv, &x->mu, &ts) == 0) {
  }
  bool s = x->stop;
  pthread_mutex_unlock(&x->mu);
  return s;
}

typedef struct {
  lat_host_t *h;
  lat__host_prov_t *p;
} sup_arg_t;

static void health_event(lat_host_t *h, lat__host_prov_t *p, bool was, bool now) {
  emit(h,
       was == now ? "health_check_status"
       : now      ? "health_check_passed"
                  : "health_check_failed",
       json_pack("{s:s,s:s}", "host_id", h->id, "provider_id", p->id));
}

static void *sup_main(void *arg) {
  sup_arg_t a = *(sup_arg_t *)arg;
  lat_free(arg);
  lat_host_t *h = a.h;
  lat__host_prov_t *p = a.p;
  proc_t *x = p->proc;
  uint64_t next_health = lat_now_ns() + h->prov_first_health_ns;
  char how[128], why[512];
  while (!nap(x, TICK_MS * 1000000ull)) {
    if (reaped(x, how, sizeof how)) {
      LAT_LOGF(LAT_LOG_WARN, "host", "provider %s without a stop request; restarting in %llu ms "
                    "provider_id=%s",
                    how, (unsigned long long)(h->prov_restart_ns / 1000000u), p->id);
      if (x->healthy) health_event(h, p, true, false);
      x->healthy = false;
      if (nap(x, h->prov_restart_ns)) break;
      if (spawn(h, p, why, sizeof why) || !await_ready(h, p, why, sizeof why)) {
        LAT_LOGF(LAT_LOG_ERROR, "host", "provider restart failed provider_id=%s reason=\"%s\"", p->id,
                      why);
        continue; /* reaped() sees no child and waits prov_restart_ns again */
      }
      LAT_LOGF(LAT_LOG_INFO, "host", "provider restarted provider_id=%s", p->id);
      emit(h, "provider_started", started_event(h, p, true));
      next_health = lat_now_ns() + h->prov_first_health_ns;
      continue;
    }
    if (lat_now_ns() < next_health) continue;
    bool now = false;
    lat_status st = health(h, p->id, &now, HEALTH_TIMEOUT_MS);
    if (st)
      LAT_LOGF(LAT_LOG_WARN, "host", "provider health check got no answer provider_id=%s status=%s",
                    p->id, lat_status_name(st));
    health_event(h, p, x->healthy, now);
    x->healthy = now;
    next_health = lat_now_ns() + h->prov_health_ns;
  }
  return NULL;
}

/* The provider's token and startup secrets (its config's SECRET_
 * references), once; false with why. */
static bool fetch_secrets(lat_host_t *h, lat__host_prov_t *p, char *why, size_t cap) {
  proc_t *x = p->proc;
  lat_error_t err;
  lat_error_clear(&err);
  if (!x->token && !(x->token = lat__host_provider_token(h, p->id, &err))) {
    snprintf(why, cap, "cannot make the provider's token: %s", err.msg);
    return false;
  }
  if (lat__host_secrets_resolve(h, p->config, x->token, p->annotations, &x->secrets, &err)) {
    snprintf(why, cap, "%s", err.msg);
    return false;
  }
  return true;
}

void lat__host_prov_launch(lat_host_t *h, lat__host_prov_t *p) {
  proc_t *x = p->proc;
  char why[512];
  bool ok = fetch_secrets(h, p, why, sizeof why) && spawn(h, p, why, sizeof why) == LAT_OK &&
            await_ready(h, p, why, sizeof why);
  if (ok) {
    sup_arg_t *a = lat_malloc(sizeof *a);
    if (a) *a = (sup_arg_t){h, p};
    x->sup_started = a && pthread_create(&x->sup, NULL, sup_main, a) == 0;
    if (!x->sup_started) {
      lat_free(a);
      snprintf(why, sizeof why, "cannot start the provider's supervisor thread");
      ok = false;
    }
  }
  if (ok) {
    LAT_LOGF(LAT_LOG_INFO, "host", "provider started provider_id=%s instance_id=%s", p->id,
                  x->instance_id);
    emit(h, "provider_started", started_event(h, p, false));
  } else {
    terminate(h, p);
  }
  /* on failure the entry goes, unless a stop took it meanwhile (the stop frees it) */
  bool mine = false;
  if (!ok) {
    pthread_mutex_lock(&h->mu);
    for (lat__host_prov_t **pp = &h->provs; *pp; pp = &(*pp)->next)
      if (*pp == p) {
        *pp = p->next;
        mine = true;
        break;
      }
    pthread_mutex_unlock(&h->mu);
  }
  if (mine) {
    LAT_LOGF(LAT_LOG_ERROR, "host", "provider start failed provider_id=%s reason=\"%s\"", p->id, why);
    emit(h, "provider_start_failed",
         json_pack("{s:s,s:s,s:s,s:s,s:s}", "provider_ref", p->image_ref, "provider_id", p->id,
                   "host_id", h->id, "error", why, "link_name", "default"));
    lat__host_prov_free(p);
    return;
  }
  pthread_mutex_lock(&x->mu);
  x->launching = false;
  pthread_cond_broadcast(&x->cv);
  pthread_mutex_unlock(&x->mu);
}

void lat__host_prov_halt(lat_host_t *h, lat__host_prov_t *p, const char *reason) {
  proc_t *x = p->proc;
  if (x) {
    pthread_mutex_lock(&x->mu);
    x->stop = true;
    pthread_cond_broadcast(&x->cv);
    while (x->launching) pthread_cond_wait(&x->cv, &x->mu); /* a launch is bounded */
    pthread_mutex_unlock(&x->mu);
    if (x->sup_started) pthread_join(x->sup, NULL);
    x->sup_started = false;
    terminate(h, p);
  }
  LAT_LOGF(LAT_LOG_INFO, "host", "provider stopped provider_id=%s reason=%s", p->id, reason);
  emit(h, "provider_stopped",
       json_pack("{s:s,s:s,s:O,s:s,s:s,s:s,s:s}", "host_id", h->id, "provider_id", p->id,
                 "annotations", p->annotations, "reason", reason, "instance_id",
                 x ? x->instance_id : "", "public_key", "", "link_name", "default"));
  lat__host_prov_free(p);
}
