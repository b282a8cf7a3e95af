/* host_core.c: a lattice host's life: identity, NATS, the lattice's KV
 * state, the control interface's transport, heartbeats, shutdown.
 *
 * Threads: libnats delivers control requests on its own threads, which must
 * not block.  Requests that only read the host's tables (host.get, ping,
 * auctions, link/claims/config get) are answered right there; the callback
 * copies any other message and pushes it on the host's
 * queue (bounded: a host flooded with more than QUEUE_CAP pending requests
 * answers "busy" at once instead of growing), and WORKERS worker threads
 * run the handlers (host_ctl.c), send the reply and then the work the
 * handler left (a scale: fetch, verify, compile), so replies never wait for
 * compilation.  The KV watches run on their own threads and apply link,
 * claims and config changes to the host's tables; the heartbeat thread
 * publishes the inventory every interval.  lat_host_run's thread waits for
 * a stop (host.stop, or lat_host_stop from a signal-handling thread) and
 * tears down in order: no new requests (unsubscribe), listeners closed
 * (requests in flight finish), workers drained, host_stopped published.
 *
 * Two connections, as wasmCloud: ctl (control interface, events, KV) and
 * rpc (wRPC; used by the invocation layer), which may point at different
 * servers with different credentials.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "host_int.h"

#define QUEUE_CAP 4096
#define WORKERS 2
#define WRPC_QUEUE_CAP 1024 /* wRPC calls to this host's components, waiting */
#define WRPC_WORKERS 4      /* ... and running at once */
#define INITIAL_WAIT_NS (10ull * 1000000000ull)

/* ---- lattice I/O for host_ctl.c / host_supervisor.c --------------------------------- */

static lat_status io_event(void *env, const char *name, json_t *data) {
  lat_host_t *h = env;
  lat_error_t err;
  lat_status st = lat_lattice_event_publish(h->ctl, h->lattice, h->id, name, data, &err);
  if (st) LAT_LOGF(LAT_LOG_WARN, "host", "cannot publish event=%s reason=\"%s\"", name, err.msg);
  return st;
}

static lat_status io_kv_put(void *env, int bucket, const char *key, const char *json) {
  lat_host_t *h = env;
  lat_error_t err;
  lat_status st = lat_lattice_kv_put(h->kv[bucket], key, json, strlen(json), NULL, &err);
  if (st) LAT_LOGF(LAT_LOG_ERROR, "host", "cannot write key=%s reason=\"%s\"", key, err.msg);
  return st;
}

static lat_status io_kv_del(void *env, int bucket, const char *key) {
  lat_host_t *h = env;
  lat_error_t err;
  lat_status st = bucket == LAT__HOST_CONFIGDATA ? lat_lattice_kv_purge(h->kv[bucket], key, &err)
                                                 : lat_lattice_kv_delete(h->kv[bucket], key, &err);
  if (st) LAT_LOGF(LAT_LOG_ERROR, "host", "cannot delete key=%s reason=\"%s\"", key, err.msg);
  return st;
}

/* ---- KV watches --------------------------------------------------------------------- */

static void initial_done(lat_host_t *h) {
  pthread_mutex_lock(&h->mu);
  h->initial_left--;
  pthread_cond_broadcast(&h->stop_cv);
  pthread_mutex_unlock(&h->mu);
}

static void watch_latticedata(void *ctx, const lat_lattice_kv_event_t *ev) {
  lat_host_t *h = ctx;
  if (ev->op == LAT_LATTICE_KV_INITIAL_DONE) {
    lat__host_http_sync(h);
    initial_done(h);
    return;
  }
  bool put = ev->op == LAT_LATTICE_KV_PUT;
  json_t *v = put ? json_loadb((const char *)ev->value, ev->len, JSON_REJECT_DUPLICATES, NULL)
                  : NULL;
  if (put && !json_is_object(v)) {
    LAT_LOGF(LAT_LOG_WARN, "host", "ignoring a malformed lattice entry key=%s", ev->key);
    json_decref(v);
    return;
  }
  bool links = false;
  pthread_mutex_lock(&h->mu);
  if (!strncmp(ev->key, "COMPONENT_", 10)) {
    json_t *l = json_object_get(v, "links");
    if (put && json_is_array(l)) json_object_set(h->links, ev->key + 10, l);
    else json_object_del(h->links, ev->key + 10);
    links = true;
  } else if (!strncmp(ev->key, "CLAIMS_", 7)) {
    if (put) json_object_set(h->claims, ev->key + 7, v);
    else json_object_del(h->claims, ev->key + 7);
  }
  pthread_mutex_unlock(&h->mu);
  json_decref(v);
  if (links && h->initial_left == 0) lat__host_http_sync(h);
}

static void watch_configdata(void *ctx, const lat_lattice_kv_event_t *ev) {
  lat_host_t *h = ctx;
  if (ev->op == LAT_LATTICE_KV_INITIAL_DONE) {
    initial_done(h);
    return;
  }
  json_t *v = ev->op == LAT_LATTICE_KV_PUT
                  ? json_loadb((const char *)ev->value, ev->len, JSON_REJECT_DUPLICATES, NULL)
                  : NULL;
  pthread_mutex_lock(&h->mu);
  if (json_is_object(v)) json_object_set(h->configs, ev->key, v);
  else json_object_del(h->configs, ev->key);
  pthread_mutex_unlock(&h->mu);
  json_decref(v);
  if (h->initial_left == 0) lat__host_http_sync(h);
}

/* ---- control requests ------------------------------------------------------------------ */

typedef struct {
  lat_host_t *h;
  char *subject, *reply;
  uint8_t *data;
  size_t len;
} ctl_msg_t;

static void ctl_msg_free(ctl_msg_t *m) {
  lat_free(m->subject);
  lat_free(m->reply);
  lat_free(m->data);
  lat_free(m);
}

static void send_reply(lat_host_t *h, const char *reply, const char *text) {
  if (!reply || !text) return;
  lat_error_t err;
  if (lat_lattice_conn_publish(h->ctl, reply, NULL, text, strlen(text), &err))
    LAT_LOGF(LAT_LOG_WARN, "host", "cannot send a reply reason=\"%s\"", err.msg);
}

/* Answers one request; then runs the work it left (a scale) on this thread. */
static void handle(lat_host_t *h, const char *subject, const char *reply, const uint8_t *data,
                   size_t len) {
  lat_lattice_ctl_parts_t p;
  lat_error_t err;
  char noun[32], verb[32], target[300];
  lat__host_job_t job;
  memset(&job, 0, sizeof job);
  char *out;
  if (lat_lattice_subj_ctl_parse(h->ctl_prefix, subject, &p, &err) || p.noun_len >= 32 ||
      p.verb_len >= 32 || p.rest_len >= sizeof target) {
    out = lat_strndup("{\"success\":false,\"message\":\"unsupported subject\"}", 50);
  } else {
    snprintf(noun, sizeof noun, "%.*s", (int)p.noun_len, p.noun);
    snprintf(verb, sizeof verb, "%.*s", (int)p.verb_len, p.verb);
    snprintf(target, sizeof target, "%.*s", (int)p.rest_len, p.rest);
    out = lat__host_ctl(h, noun, verb, p.rest_len ? target : NULL, (const char *)data, len, &job);
  }
  send_reply(h, reply, out);
  lat_free(out);
  if (job.kind == LAT__HOST_JOB_STOP) lat_host_stop(h);
  lat__host_job_run(h, &job);
}

static void ctl_job(void *arg) {
  ctl_msg_t *m = arg;
  handle(m->h, m->subject, m->reply, m->data, m->len);
  ctl_msg_free(m);
}

static char *dupn(const void *p, size_t n) { return lat_strndup(p ? p : "", p ? n : 0); }

/* Requests that only read the host's tables (under its mutex, briefly) and
 * never wait on the network or a file: answered on the libnats thread,
 * which saves a thread hop on the round trip people measure (host.get,
 * host.ping, auctions).  Everything else goes to the workers. */
static bool read_only(lat_host_t *h, const char *subject) {
  lat_lattice_ctl_parts_t p;
  lat_error_t err;
  if (lat_lattice_subj_ctl_parse(h->ctl_prefix, subject, &p, &err)) return false;
  static const char *const ro[][2] = {{"host", "ping"},      {"host", "get"},
                                      {"link", "get"},       {"claims", "get"},
                                      {"config", "get"},     {"component", "auction"},
                                      {"provider", "auction"}};
  for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++)
    if (p.noun_len == strlen(ro[i][0]) && !memcmp(p.noun, ro[i][0], p.noun_len) &&
        p.verb_len == strlen(ro[i][1]) && !memcmp(p.verb, ro[i][1], p.verb_len))
      return true;
  return false;
}

/* On a libnats thread: answer what only reads, copy and hand off the rest;
 * never block. */
static void on_ctl(void *ctx, const lat_lattice_msg_t *msg) {
  lat_host_t *h = ctx;
  if (read_only(h, msg->subject)) {
    handle(h, msg->subject, msg->reply, msg->data, msg->len);
    return;
  }
  ctl_msg_t *m = lat_calloc(1, sizeof *m);
  if (!m) return;
  m->h = h;
  m->subject = dupn(msg->subject, strlen(msg->subject));
  m->reply = msg->reply ? dupn(msg->reply, strlen(msg->reply)) : NULL;
  m->data = (uint8_t *)dupn(msg->data, msg->len);
  m->len = msg->len;
  if (!m->subject || !m->data || (msg->reply && !m->reply) ||
      lat_queue_push(h->queue, ctl_job, m)) {
    send_reply(h, msg->reply, "{\"success\":false,\"message\":\"the host is busy; try again\"}");
    ctl_msg_free(m);
  }
}

/* ---- heartbeats ---------------------------------------------------------------------------- */

static void *heartbeat_main(void *arg) {
  lat_host_t *h = arg;
  pthread_mutex_lock(&h->mu);
  while (!h->stopping) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t t = (uint64_t)ts.tv_nsec + h->heartbeat_ns % 1000000000u;
    ts.tv_sec += (time_t)(h->heartbeat_ns / 1000000000u + t / 1000000000u);
    ts.tv_nsec = (long)(t % 1000000000u);
    while (!h->stopping && pthread_cond_timedwait(&h->stop_cv, &h->mu, &ts) == 0) {
    }
    if (h->stopping) break;
    json_t *inv = lat__host_inventory(h);
    pthread_mutex_unlock(&h->mu);
    io_event(h, "host_heartbeat", inv);
    json_decref(inv);
    pthread_mutex_lock(&h->mu);
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

/* ---- HTTP admin (/livez, /readyz) ----------------------------------------------------------- */

/* On an I/O thread: answers at once (nothing here blocks). */
static void admin_handle(void *ctx, lat_http_exchange_t *ex, const lat_http_request_t *req,
                         const uint8_t *body, size_t body_len) {
  (void)ctx, (void)body, (void)body_len;
  bool get = (req->method_len == 3 && !memcmp(req->method, "GET", 3)) || req->head_method;
  bool path = (req->target_len == 6 && !memcmp(req->target, "/livez", 6)) ||
              (req->target_len == 7 && !memcmp(req->target, "/readyz", 7));
  static const char ok[] = "{\"status\":\"ok\"}", nf[] = "{\"status\":\"not found\"}";
  static const lat_http_header_t ct[] = {
      {.name = "content-type", .name_len = 12, .value = "application/json", .value_len = 16}};
  lat_http_respond(ex, get && path ? 200 : 404, ct, 1, get && path ? ok : nf,
                   get && path ? sizeof ok - 1 : sizeof nf - 1, NULL);
}

/* ---- identity ------------------------------------------------------------------------------ */

static void friendly(char *out, size_t cap) {
  static const char *const adj[] = {"quiet", "brave", "calm", "eager", "fancy", "gentle",
                                    "happy", "jolly", "kind", "lively", "nimble", "proud",
                                    "silly", "swift", "witty", "zealous"};
  static const char *const noun[] = {"otter", "falcon", "badger", "heron", "lynx", "marten",
                                     "osprey", "panda", "raven", "salmon", "tapir", "walrus",
                                     "beaver", "coyote", "gecko", "ibex"};
  uint32_t r = randombytes_uniform(16 * 16 * 10000);
  snprintf(out, cap, "%s-%s-%04u", adj[r % 16], noun[r / 16 % 16], (unsigned)(r / 256 % 10000));
}

static lat_status set_labels(lat_host_t *h, const lat_host_opts_t *o, lat_error_t *err) {
  struct utsname u;
  const char *arch = uname(&u) == 0 ? u.machine : "unknown";
  if (!strcmp(arch, "arm64")) arch = "aarch64";
  h->labels = json_pack("{s:s,s:s,s:s}", "hostcore.arch", arch, "hostcore.os", "linux",
                        "hostcore.osfamily", "unix");
  if (!h->labels) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  for (size_t i = 0; i < o->nlabels; i++) {
    const char *kv = o->labels[i], *eq = strchr(kv, '=');
    if (!eq || eq == kv)
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad label '%s' (want KEY=VALUE)", kv);
    char key[256];
    if ((size_t)(eq - kv) >= sizeof key)
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "label key too long: %s", kv);
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    if (!strncmp(key, "hostcore.", 9))
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "label %s: hostcore.* labels are set by the host", key);
    json_object_set_new(h->labels, key, json_string(eq + 1));
  }
  return LAT_OK;
}

static char *sdup(const char *s) { return s ? lat_strndup(s, strlen(s)) : NULL; }

/* The rpc connection's credentials and TLS files, kept for HostData: a
 * provider joins the lattice as the host's rpc connection does (wasmCloud
 * hands it the rpc user's JWT and seed), so a lattice secured with an rpc
 * user that may only use wRPC and wasmbus.rpc subjects confines providers
 * to those too. */
static lat_status rpc_creds(lat_host_t *h, const lat_lattice_opts_t *ro, lat_error_t *err) {
  lat_status st = LAT_OK;
  if (ro->creds_file) {
    st = lat_lattice_creds_read(ro->creds_file, &h->rpc_jwt, &h->rpc_seed, err);
  } else if (ro->nkey_seed || ro->nkey_seed_file) {
    uint8_t *data = NULL;
    size_t len = 0;
    if (ro->nkey_seed) h->rpc_seed = sdup(ro->nkey_seed);
    else if (!(st = lat_file_read(ro->nkey_seed_file, &data, &len, err))) {
      h->rpc_seed = lat_strndup((const char *)data, strcspn((const char *)data, " \t\r\n"));
      sodium_memzero(data, len);
      lat_free(data);
    }
    h->rpc_jwt = sdup(ro->user_jwt ? ro->user_jwt : "");
  } else {
    h->rpc_jwt = sdup("");
    h->rpc_seed = sdup("");
  }
  if (st) return st;
  h->rpc_tls_ca = sdup(ro->tls_ca_file);
  h->rpc_tls_cert = sdup(ro->tls_cert_file);
  h->rpc_tls_key = sdup(ro->tls_key_file);
  if (!h->rpc_jwt || !h->rpc_seed || (ro->tls_ca_file && !h->rpc_tls_ca) ||
      (ro->tls_cert_file && !h->rpc_tls_cert) || (ro->tls_key_file && !h->rpc_tls_key))
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  return LAT_OK;
}

lat_status lat_host_new(const lat_host_opts_t *o, lat_host_t **out, lat_error_t *err) {
  *out = NULL;
  lat_host_t *h = lat_calloc(1, sizeof *h);
  if (!h) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  pthread_mutex_init(&h->mu, NULL);
  pthread_mutex_init(&h->routes_mu, NULL);
  pthread_mutex_init(&h->wrpc_mu, NULL);
  pthread_mutex_init(&h->secrets_mu, NULL);
  lat_arena_init(&h->http_arena);
  h->accept_unlinked = o->accept_unlinked;
  h->rpc_timeout_ms = o->rpc_timeout_ms ? o->rpc_timeout_ms : 2000;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&h->stop_cv, &ca);
  pthread_condattr_destroy(&ca);
  h->started_ns = lat_now_ns();
  h->allow_file_load = o->allow_file_load;
  h->compiled = o->compiled;
  h->default_max_memory = o->max_memory ? o->max_memory : 256ull << 20;
  h->default_max_exec_ns = o->max_exec_ns ? o->max_exec_ns : 600ull * 1000000000ull;
  h->heartbeat_ns = o->heartbeat_ns ? o->heartbeat_ns : 30ull * 1000000000ull;
  h->io = (lat__host_io_t){.event = io_event, .kv_put = io_kv_put, .kv_del = io_kv_del, .env = h};
  lat_status st;
  const char *lattice = o->lattice && *o->lattice ? o->lattice : "default";
  if ((st = lat_lattice_token_check("lattice name", lattice, err))) goto fail;
  h->lattice = sdup(lattice);
  h->ctl_prefix = sdup(o->ctl_prefix && *o->ctl_prefix ? o->ctl_prefix
                                                        : LAT_LATTICE_CTL_PREFIX_DEFAULT);
  h->links = json_object();
  h->configs = json_object();
  h->claims = json_object();
  if ((st = lat_wrpc_http_types_init(&h->http_arena, &h->http_types, err))) goto fail;
  h->http_client = (lat_wasi_http_client_t){.transfer = lat__host_http_transfer, .transfer_env = h};
  h->require_signed = o->require_signed || o->nallowed_issuers;
  h->allowed_issuers = json_array();
  for (size_t i = 0; h->allowed_issuers && i < o->nallowed_issuers; i++) {
    const char *k = o->allowed_issuers[i];
    lat_nkey_type kt;
    uint8_t raw[32];
    lat_error_t kerr;
    if (lat_nkey_decode_public(k, strlen(k), &kt, raw, &kerr) || kt != LAT_NKEY_ACCOUNT) {
      st = lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "allowed issuer '%s' is not an account public key (A...)", k);
      goto fail;
    }
    json_array_append_new(h->allowed_issuers, json_string(o->allowed_issuers[i]));
  }
  h->builtin_names = json_array();
  bool names_ok = h->builtin_names != NULL;
  for (size_t i = 0; names_ok && i < o->nbuiltin_providers; i++)
    names_ok = !json_array_append_new(h->builtin_names, json_string(o->builtin_providers[i]));
  if (o->builtin_exe) names_ok = names_ok && (h->builtin_exe = sdup(o->builtin_exe));
  if (!h->lattice || !h->ctl_prefix || !h->links || !h->configs || !h->claims || !names_ok) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto fail;
  }
  if (o->seed) {
    if ((st = lat_nkey_load(o->seed, &h->key, err))) goto fail;
    if (h->key.type != LAT_NKEY_SERVER) {
      st = lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "the host seed must be a server key (SN...), not a %s key",
                         lat_nkey_type_name(h->key.type));
      goto fail;
    }
  } else if ((st = lat_nkey_generate(LAT_NKEY_SERVER, &h->key, err))) {
    goto fail;
  }
  lat_nkey_public_string(&h->key, h->id);
  char fn[64];
  if (!o->friendly_name) friendly(fn, sizeof fn);
  h->friendly_name = sdup(o->friendly_name ? o->friendly_name : fn);
  if ((st = set_labels(h, o, err))) goto fail;
  if ((st = lat__host_provs_init(h, o, err))) goto fail;
  if ((st = lat__host_secrets_init(h, o, err))) goto fail;
  /* connections */
  lat_lattice_opts_t co = o->ctl;
  co.name = co.name ? co.name : "lattice-host-ctl";
  if ((st = lat_lattice_conn_new(&co, &h->ctl, NULL, err))) goto fail;
  lat_lattice_opts_t ro = o->rpc;
  ro.name = ro.name ? ro.name : "lattice-host-rpc";
  if ((st = lat_lattice_conn_new(&ro, &h->rpc, NULL, err))) goto fail;
  h->ctl_host = sdup(o->ctl.servers ? o->ctl.servers : "nats://127.0.0.1:4222");
  h->rpc_host = sdup(o->rpc.servers ? o->rpc.servers : "nats://127.0.0.1:4222");
  if ((st = rpc_creds(h, &o->rpc, err))) goto fail;
  h->js_domain = sdup(o->ctl.js_domain);
  /* state: the lattice's buckets, created when missing */
  char *bucket = NULL;
  for (int b = 0; b < 2; b++) {
    if ((st = lat_lattice_subj_bucket(b ? LAT_LATTICE_BUCKET_CONFIGDATA
                                        : LAT_LATTICE_BUCKET_LATTICEDATA,
                                      h->lattice, &bucket, err)) ||
        (st = lat_lattice_kv_open(h->ctl, bucket, o->kv_replicas, &h->kv[b], err))) {
      lat_free(bucket);
      goto fail;
    }
    lat_free(bucket);
  }
  if ((st = lat_queue_new(QUEUE_CAP, &h->queue)) ||
      (st = lat_workers_new(WORKERS, h->queue, &h->workers)) ||
      (st = lat_queue_new(WRPC_QUEUE_CAP, &h->wrpc_queue)) ||
      (st = lat_workers_new(WRPC_WORKERS, h->wrpc_queue, &h->wrpc_workers))) {
    lat_error_set(err, st, SIZE_MAX, "cannot start the host's workers");
    goto fail;
  }
  /* catch up with the lattice's state before answering anything */
  h->initial_left = 2;
  if ((st = lat_lattice_kv_watch(h->kv[0], NULL, watch_latticedata, h, &h->watch[0], err)) ||
      (st = lat_lattice_kv_watch(h->kv[1], NULL, watch_configdata, h, &h->watch[1], err)))
    goto fail;
  pthread_mutex_lock(&h->mu);
  uint64_t until = lat_now_ns() + INITIAL_WAIT_NS;
  while (h->initial_left > 0 && lat_now_ns() < until) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&h->stop_cv, &h->mu, &ts);
  }
  bool caught_up = h->initial_left <= 0;
  pthread_mutex_unlock(&h->mu);
  if (!caught_up) {
    st = lat_error_set(err, LAT_EIO, SIZE_MAX,
                       "the lattice's KV buckets did not answer within 10 s (JetStream on?)");
    goto fail;
  }
  lat_lattice_sub_specs_t subs;
  if ((st = lat_lattice_subj_host_subs(h->ctl_prefix, h->lattice, h->id, true, true, &subs, err)))
    goto fail;
  h->subs = lat_calloc(subs.count ? subs.count : 1, sizeof *h->subs);
  for (size_t i = 0; h->subs && i < subs.count && !st; i++)
    st = lat_lattice_conn_subscribe(h->ctl, subs.items[i].subject, subs.items[i].queue, on_ctl,
                                    h, &h->subs[h->nsubs++], err);
  /* a server that refuses the control subjects (creds without them) would
   * leave a host nobody can reach: say so and stop, rather than run deaf */
  for (size_t i = 0; h->subs && i < subs.count && !st; i++)
    st = lat_lattice_conn_check_permission(h->ctl, subs.items[i].subject, 5000, err);
  lat_lattice_sub_specs_fini(&subs);
  if (!h->subs) st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  if (st) goto fail;
  if (o->http_admin) {
    lat_http_server_config_t hc;
    lat_http_server_config_default(&hc);
    hc.addr = o->http_admin;
    hc.threads = 1;
    hc.max_body = 0;
    hc.handler = admin_handle;
    lat_error_t herr;
    lat_error_clear(&herr);
    if ((st = lat_http_server_new(&hc, &h->admin, &herr))) {
      lat_error_set(err, st, SIZE_MAX, "--http-admin %s: %s", o->http_admin, herr.msg);
      goto fail;
    }
  }
  if (pthread_create(&h->heartbeat, NULL, heartbeat_main, h)) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "cannot start the heartbeat thread");
    goto fail;
  }
  h->heartbeat_started = true;
  pthread_mutex_lock(&h->mu);
  json_t *started = json_pack("{s:s,s:O,s:i,s:s}", "friendly_name", h->friendly_name, "labels",
                              h->labels, "uptime_seconds", 0, "version", LAT_HOST_VERSION);
  pthread_mutex_unlock(&h->mu);
  io_event(h, "host_started", started);
  json_decref(started);
  *out = h;
  return LAT_OK;
fail:
  lat_host_free(h);
  return st;
}

const char *lat_host_id(const lat_host_t *h) { return h->id; }
const char *lat_host_friendly_name(const lat_host_t *h) { return h->friendly_name; }

void lat_host_stop(lat_host_t *h) {
  pthread_mutex_lock(&h->mu);
  h->stopping = true;
  pthread_cond_broadcast(&h->stop_cv);
  pthread_mutex_unlock(&h->mu);
}

void lat_host_wait(lat_host_t *h) {
  pthread_mutex_lock(&h->mu);
  while (!h->stopping) pthread_cond_wait(&h->stop_cv, &h->mu);
  pthread_mutex_unlock(&h->mu);
}

void lat_host_free(lat_host_t *h) {
  if (!h) return;
  lat_host_stop(h);
  /* no new requests */
  for (size_t i = 0; i < h->nsubs; i++) lat_lattice_sub_free(h->subs[i]);
  lat_free(h->subs);
  if (h->heartbeat_started) pthread_join(h->heartbeat, NULL);
  /* requests in flight finish, then the listeners close */
  lat__host_http_stop(h);
  lat__host_wrpc_stop(h);
  lat_workers_free(h->wrpc_workers);
  lat_queue_free(h->wrpc_queue);
  lat_workers_free(h->workers); /* drains the control requests already queued */
  lat_queue_free(h->queue);
  /* executable providers stop as on provider.stop, while NATS is still up */
  pthread_mutex_lock(&h->mu);
  lat__host_prov_t *provs = h->provs;
  h->provs = NULL;
  pthread_mutex_unlock(&h->mu);
  while (provs) {
    lat__host_prov_t *p = provs;
    provs = p->next;
    if (p->proc) lat__host_prov_halt(h, p, "host_stop");
    else lat__host_prov_free(p);
  }
  lat_http_server_free(h->admin);
  if (h->ctl && h->labels) {
    json_t *d = json_pack("{s:O}", "labels", h->labels);
    io_event(h, "host_stopped", d);
    json_decref(d);
    lat_error_t err;
    lat_lattice_conn_flush(h->ctl, 2000, &err);
  }
  /* Close before the KV watches go: destroying a watcher on an open
   * connection deletes its JetStream consumer, and libnats 3.4.1 reads a
   * freed consumer name when that delete fails while the ordered consumer
   * is being reset (after a server restart: ASan caught it at shutdown).
   * On a closed connection the delete is not attempted; the server drops
   * the ephemeral consumer itself. */
  lat_lattice_conn_close(h->ctl);
  lat_lattice_kv_watch_free(h->watch[0]);
  lat_lattice_kv_watch_free(h->watch[1]);
  lat_lattice_kv_free(h->kv[0]);
  lat_lattice_kv_free(h->kv[1]);
  lat_lattice_conn_free(h->rpc);
  lat_lattice_conn_free(h->ctl);
  lat__host_comps_free(h);
  while (h->provs) {
    lat__host_prov_t *p = h->provs;
    h->provs = p->next;
    lat__host_prov_free(p);
  }
  lat__host_secrets_fini(h);
  json_decref(h->labels);
  json_decref(h->links);
  json_decref(h->configs);
  json_decref(h->claims);
  lat_nkey_fini(&h->key);
  lat_nkey_fini(&h->xkey);
  lat_free(h->friendly_name);
  lat_free(h->builtin_exe);
  json_decref(h->builtin_names);
  json_decref(h->allowed_issuers);
  lat_free(h->lattice);
  lat_free(h->ctl_prefix);
  lat_free(h->ctl_host);
  lat_free(h->rpc_host);
  if (h->rpc_seed) sodium_memzero(h->rpc_seed, strlen(h->rpc_seed));
  lat_free(h->rpc_seed);
  lat_free(h->rpc_jwt);
  lat_free(h->rpc_tls_ca);
  lat_free(h->rpc_tls_cert);
  lat_free(h->rpc_tls_key);
  lat_free(h->js_domain);
  pthread_cond_destroy(&h->stop_cv);
  pthread_mutex_destroy(&h->routes_mu);
  pthread_mutex_destroy(&h->wrpc_mu);
  lat_arena_fini(&h->http_arena);
  pthread_mutex_destroy(&h->mu);
  lat_free(h);
}
