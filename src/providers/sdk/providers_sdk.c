/* providers_sdk.c: the provider side of PROTOCOL.md §5, over lattice.h.
 *
 * HostData is one line of base64 JSON on stdin (read to the newline or EOF,
 * capped at HOSTDATA_MAX); the provider's xkey seed in it is loaded into a
 * key and then wiped from the parsed JSON, so lat_provider_host_data never
 * hands it out.  One NATS connection (lattice_rpc_url) carries everything:
 * health and shutdown requests are answered right on the libnats thread
 * (they only read a callback and set a flag); link puts come on the xkey
 * subject when HostData has an xkey (as wasmCloud's SDK does, so the legacy
 * copy on the id subject is not delivered twice), else on the id subject;
 * dels and config updates on the id subject.  A link's secrets come sealed
 * (PROTOCOL §5.3: a JSON array of the bytes of an xkv1 box, from the
 * host's xkey to this provider's): they are opened with the provider's
 * xkey, kept for that, and the host's public xkey from HostData, handed to
 * on_link_put as an object and wiped after it.  Each wRPC export is one
 * lat_wrpc_serve with the provider id, on a queue and workers of the SDK's own.
 * The rpc user's seed (lattice_rpc_user_seed) is moved out of the JSON the
 * same way, into p, and used with lattice_rpc_user_jwt to connect.
 *
 * p->mu guards `stopped` and `servers` (lat_provider_serve may run on any
 * thread); everything else is fixed after lat_provider_new.
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../crypto/crypto.h"
#include "providers_sdk.h"

#define HOSTDATA_MAX (16u << 20)
#define QUEUE_CAP 1024

struct lat_provider {
  lat_provider_opts_t opts;
  json_t *hd;                         /* HostData, the xkey seed removed */
  const char *id, *host_id, *lattice; /* borrowed from hd */
  uint32_t rpc_timeout_ms;
  bool has_xkey;
  char *rpc_seed;                     /* HostData's user seed, secret; NULL: none */
  char xkey_pub[LAT_NKEY_PUBLIC_LEN + 1];
  lat_nkey_t xkey;      /* the provider's curve key (secret), when has_xkey */
  lat_nkey_t host_xkey; /* the host's public curve key, when has_host_xkey */
  bool has_host_xkey;
  lat_lattice_conn_t *conn;
  lat_lattice_sub_t *subs[5];
  lat_queue_t *queue;
  lat_workers_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t cv;           /* signalled when stopped is set */
  bool stopped;                /* (mu) */
  lat_wrpc_server_t **servers; /* (mu) */
  size_t nservers;             /* (mu) */
};

/* ---- HostData --------------------------------------------------------------------- */

static lat_status read_line(int fd, char **out, size_t *out_len, lat_error_t *err) {
  size_t cap = 4096, n = 0;
  char *buf = lat_malloc(cap);
  if (!buf) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  for (;;) {
    if (n + 1 >= cap) {
      if (cap >= HOSTDATA_MAX) {
        lat_free(buf);
        return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "HostData is larger than %u bytes",
                             HOSTDATA_MAX);
      }
      char *b2 = lat_realloc(buf, cap * 2);
      if (!b2) {
        lat_free(buf);
        return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      }
      buf = b2;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      lat_free(buf);
      return lat_error_set(err, LAT_EIO, SIZE_MAX, "reading HostData: %s", strerror(errno));
    }
    if (r == 0) break;
    char *nl = memchr(buf + n, '\n', (size_t)r);
    n += (size_t)r;
    if (nl) {
      n = (size_t)(nl - buf);
      break;
    }
  }
  while (n && (buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
  buf[n] = 0;
  *out = buf;
  *out_len = n;
  return LAT_OK;
}

static lat_status parse_host_data(lat_provider_t *p, int fd, lat_error_t *err) {
  char *line = NULL;
  size_t n = 0;
  lat_status st = read_line(fd, &line, &n, err);
  if (st) return st;
  uint8_t *bin = lat_malloc(n + 1);
  size_t blen = 0;
  if (!bin) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto out;
  }
  if (!n ||
      sodium_base642bin(bin, n + 1, line, n, NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL)) {
    st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX, "HostData on stdin is not base64");
    goto out;
  }
  json_error_t je;
  p->hd = json_loadb((const char *)bin, blen, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(p->hd)) {
    st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX, "HostData is not a JSON object: %s", je.text);
    goto out;
  }
  p->id = json_string_value(json_object_get(p->hd, "provider_key"));
  p->host_id = json_string_value(json_object_get(p->hd, "host_id"));
  p->lattice = json_string_value(json_object_get(p->hd, "lattice_rpc_prefix"));
  if (!p->id || !*p->id || !p->host_id || !p->lattice || !*p->lattice) {
    st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                       "HostData lacks provider_key, host_id or lattice_rpc_prefix");
    goto out;
  }
  json_t *to = json_object_get(p->hd, "default_rpc_timeout_ms");
  p->rpc_timeout_ms =
      json_is_integer(to) && json_integer_value(to) > 0 && json_integer_value(to) < 3600000
          ? (uint32_t)json_integer_value(to)
          : 10000; /* the 1.x SDK's default */
  json_t *seed = json_object_get(p->hd, "provider_xkey_private_key");
  if (json_is_string(seed) && json_string_length(seed)) {
    if ((st = lat_nkey_load(json_string_value(seed), &p->xkey, err))) goto out;
    lat_nkey_public_string(&p->xkey, p->xkey_pub);
    p->has_xkey = true;
  }
  const char *hx = json_string_value(json_object_get(p->hd, "host_xkey_public_key"));
  p->has_host_xkey = hx && *hx && !lat_nkey_from_public(hx, strlen(hx), &p->host_xkey, err);
  if (json_is_string(seed)) /* wipe the seed where jansson keeps it */
    sodium_memzero((char *)json_string_value(seed), json_string_length(seed));
  json_object_del(p->hd, "provider_xkey_private_key");
  json_t *useed = json_object_get(p->hd, "lattice_rpc_user_seed");
  if (json_is_string(useed) && json_string_length(useed)) {
    if (!(p->rpc_seed = lat_strndup(json_string_value(useed), json_string_length(useed)))) {
      st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      goto out;
    }
  }
  if (json_is_string(useed))
    sodium_memzero((char *)json_string_value(useed), json_string_length(useed));
  json_object_del(p->hd, "lattice_rpc_user_seed");
out:
  if (bin) sodium_memzero(bin, n + 1);
  sodium_memzero(line, n);
  lat_free(bin);
  lat_free(line);
  return st;
}

/* ---- management subjects ------------------------------------------------------------ */

static void reply(lat_provider_t *p, const lat_lattice_msg_t *m, const char *text) {
  lat_error_t err;
  if (m->reply) lat_lattice_conn_publish(p->conn, m->reply, NULL, text, strlen(text), &err);
}

static void on_health(void *ctx, const lat_lattice_msg_t *m) {
  lat_provider_t *p = ctx;
  bool ok = p->opts.healthy ? p->opts.healthy(p->opts.ctx) : true;
  reply(p, m, ok ? "{\"healthy\":true}" : "{\"healthy\":false}");
}

static void on_shutdown(void *ctx, const lat_lattice_msg_t *m) {
  lat_provider_t *p = ctx;
  json_t *j = json_loadb((const char *)m->data, m->len, 0, NULL);
  const char *hid = json_string_value(json_object_get(j, "host_id"));
  bool mine = !hid || !strcmp(hid, p->host_id); /* another host's request is ignored */
  json_decref(j);
  if (!mine) return;
  reply(p, m, "shutting down");
  lat_provider_shutdown(p);
}

/* Wipes the values of an opened secrets object, then releases it (jansson
 * frees without wiping).  Accepts NULL. */
static void wipe_secrets(json_t *s) {
  const char *k;
  json_t *v;
  json_object_foreach(s, k, v) {
    json_t *x = json_object_get(v, "value");
    size_t i;
    json_t *b;
    if (json_is_string(x)) sodium_memzero((char *)json_string_value(x), json_string_length(x));
    json_array_foreach(x, i, b) json_integer_set(b, 0);
  }
  json_decref(s);
}

/* Opens a link's sealed secrets (null or absent: none, *out NULL); false
 * when they do not open. */
static bool open_secrets(lat_provider_t *p, json_t *sealed, json_t **out) {
  *out = NULL;
  if (!sealed || json_is_null(sealed)) return true;
  size_t n = json_array_size(sealed);
  if (!json_is_array(sealed) || !p->has_xkey || !p->has_host_xkey || !n || n > HOSTDATA_MAX)
    return false;
  uint8_t *box = lat_malloc(n);
  if (!box) return false;
  for (size_t i = 0; i < n; i++) {
    json_t *b = json_array_get(sealed, i);
    if (!json_is_integer(b) || json_integer_value(b) < 0 || json_integer_value(b) > 255) {
      lat_free(box);
      return false;
    }
    box[i] = (uint8_t)json_integer_value(b);
  }
  lat_buf_t plain = {0};
  lat_error_t err;
  bool ok = lat_xkey_open(&p->xkey, &p->host_xkey, box, n, &plain, &err) == LAT_OK;
  lat_free(box);
  if (ok) {
    *out = json_loadb((const char *)plain.data, plain.len, JSON_REJECT_DUPLICATES, NULL);
    ok = json_is_object(*out);
    if (!ok) json_decref(*out), *out = NULL;
  }
  if (plain.data) sodium_memzero(plain.data, plain.len);
  lat_buf_fini(&plain);
  return ok;
}

static void deliver(lat_provider_t *p, json_t *d, bool put) {
  void (*fn)(void *, const lat_provider_link_t *) = put ? p->opts.on_link_put : p->opts.on_link_del;
  if (!fn || !json_is_object(d)) return;
  lat_provider_link_t l = {0};
  l.source_id = json_string_value(json_object_get(d, "source_id"));
  l.target = json_string_value(json_object_get(d, "target"));
  l.name = json_string_value(json_object_get(d, "name"));
  l.wit_namespace = json_string_value(json_object_get(d, "wit_namespace"));
  l.wit_package = json_string_value(json_object_get(d, "wit_package"));
  l.interfaces = json_object_get(d, "interfaces");
  if (!l.source_id || !l.target || !l.wit_namespace || !l.wit_package) return;
  if (!l.name) l.name = "default";
  l.as_source = !strcmp(l.source_id, p->id);
  json_t *cfg = json_object_get(d, l.as_source ? "source_config" : "target_config");
  json_t *empty = json_object();
  l.config = json_is_object(cfg) ? cfg : empty;
  json_t *secrets = NULL;
  if (put && !open_secrets(p, json_object_get(d, l.as_source ? "source_secrets" : "target_secrets"),
                           &secrets)) {
    fprintf(stderr, "provider sdk: link %s -> %s (%s:%s) not delivered: its secrets do not open\n",
            l.source_id, l.target, l.wit_namespace, l.wit_package);
    json_decref(empty);
    return;
  }
  l.secrets = secrets ? secrets : empty;
  fn(p->opts.ctx, &l);
  wipe_secrets(secrets);
  json_decref(empty);
}

static void on_link(void *ctx, const lat_lattice_msg_t *m, bool put) {
  json_t *d = json_loadb((const char *)m->data, m->len, JSON_REJECT_DUPLICATES, NULL);
  deliver(ctx, d, put);
  json_decref(d);
}
static void on_link_put(void *ctx, const lat_lattice_msg_t *m) {
  on_link(ctx, m, true);
}
static void on_link_del(void *ctx, const lat_lattice_msg_t *m) {
  on_link(ctx, m, false);
}

static void on_config(void *ctx, const lat_lattice_msg_t *m) {
  lat_provider_t *p = ctx;
  json_t *c = json_loadb((const char *)m->data, m->len, JSON_REJECT_DUPLICATES, NULL);
  if (json_is_object(c) && p->opts.on_config_update) p->opts.on_config_update(p->opts.ctx, c);
  json_decref(c);
}

/* ---- life ------------------------------------------------------------------------- */

lat_status lat_provider_new(const lat_provider_opts_t *opts, lat_provider_t **out,
                            lat_error_t *err) {
  *out = NULL;
  lat_provider_t *p = lat_calloc(1, sizeof *p);
  if (!p) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  if (opts) p->opts = *opts;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  lat_status st = parse_host_data(p, p->opts.stdin_fd, err);
  if (st) goto fail;
  lat_lattice_opts_t co;
  lat_provider_rpc_opts(p, &co);
  co.name = p->id;
  if ((st = lat_lattice_conn_new(&co, &p->conn, NULL, err))) goto fail;
  if ((st = lat_queue_new(QUEUE_CAP, &p->queue)) ||
      (st = lat_workers_new(p->opts.wrpc_workers ? p->opts.wrpc_workers : 4, p->queue,
                            &p->workers))) {
    lat_error_set(err, st, SIZE_MAX, "cannot start the wRPC workers");
    goto fail;
  }
  static const struct {
    lat_lattice_rpc_kind kind;
    lat_lattice_msg_fn fn;
  } subs[] = {{LAT_LATTICE_RPC_HEALTH, on_health},
              {LAT_LATTICE_RPC_SHUTDOWN, on_shutdown},
              {LAT_LATTICE_RPC_LINKDEFS_PUT, on_link_put},
              {LAT_LATTICE_RPC_LINKDEFS_DEL, on_link_del},
              {LAT_LATTICE_RPC_CONFIG_UPDATE, on_config}};
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    char *subj = NULL;
    const char *who =
        subs[i].kind == LAT_LATTICE_RPC_LINKDEFS_PUT && p->has_xkey ? p->xkey_pub : p->id;
    if ((st = lat_lattice_subj_rpc(p->lattice, who, subs[i].kind, &subj, err))) goto fail;
    st = lat_lattice_conn_subscribe(p->conn, subj, NULL, subs[i].fn, p, &p->subs[i], err);
    lat_free(subj);
    if (st) goto fail;
  }
  if ((st = lat_lattice_conn_flush(p->conn, 2000, err))) goto fail;
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(p->hd, "link_definitions"), i, l) deliver(p, l, true);
  *out = p;
  return LAT_OK;
fail:
  lat_provider_free(p);
  return st;
}

void lat_provider_free(lat_provider_t *p) {
  if (!p) return;
  for (size_t i = 0; i < sizeof p->subs / sizeof p->subs[0]; i++) lat_lattice_sub_free(p->subs[i]);
  for (size_t i = 0; i < p->nservers; i++) lat_wrpc_server_free(p->servers[i]);
  lat_free(p->servers);
  lat_workers_free(p->workers);
  lat_queue_free(p->queue);
  lat_lattice_conn_free(p->conn);
  json_decref(p->hd);
  if (p->rpc_seed) sodium_memzero(p->rpc_seed, strlen(p->rpc_seed));
  lat_free(p->rpc_seed);
  lat_nkey_fini(&p->xkey);
  lat_nkey_fini(&p->host_xkey);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  lat_free(p);
}

static const char *hd_str(const lat_provider_t *p, const char *key) {
  const char *v = json_string_value(json_object_get(p->hd, key));
  return v && *v ? v : NULL;
}

void lat_provider_rpc_opts(const lat_provider_t *p, lat_lattice_opts_t *o) {
  lat_lattice_opts_init(o);
  o->servers = hd_str(p, "lattice_rpc_url");
  o->nkey_seed = p->rpc_seed;
  o->user_jwt = p->rpc_seed ? hd_str(p, "lattice_rpc_user_jwt") : NULL;
  o->tls_ca_file = hd_str(p, "lattice_rpc_tls_ca_file");
  o->tls_cert_file = hd_str(p, "lattice_rpc_tls_cert_file");
  o->tls_key_file = hd_str(p, "lattice_rpc_tls_key_file");
}

void lat_provider_shutdown(lat_provider_t *p) {
  pthread_mutex_lock(&p->mu);
  p->stopped = true;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

void lat_provider_wait(lat_provider_t *p) {
  pthread_mutex_lock(&p->mu);
  while (!p->stopped) pthread_cond_wait(&p->cv, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

json_t *lat_provider_host_data(const lat_provider_t *p) {
  return p->hd;
}
const char *lat_provider_id(const lat_provider_t *p) {
  return p->id;
}
const char *lat_provider_host_id(const lat_provider_t *p) {
  return p->host_id;
}
const char *lat_provider_lattice(const lat_provider_t *p) {
  return p->lattice;
}
const char *lat_provider_config(const lat_provider_t *p, const char *key) {
  return json_string_value(json_object_get(json_object_get(p->hd, "config"), key));
}
json_t *lat_provider_secret(const lat_provider_t *p, const char *name) {
  json_t *v = json_object_get(json_object_get(p->hd, "secrets"), name);
  return json_is_object(v) ? v : NULL;
}

/* ---- wRPC ------------------------------------------------------------------------------- */

lat_status lat_provider_serve(lat_provider_t *p, const char *instance, const char *function,
                              lat_wrpc_handler_fn fn, void *ctx, lat_error_t *err) {
  return lat_provider_serve_typed(p, instance, function, NULL, 0, fn, ctx, err);
}

lat_status lat_provider_serve_typed(lat_provider_t *p, const char *instance,
                                    const char *function, const lat_ctype_t *const *param_types,
                                    uint32_t nparams, lat_wrpc_handler_fn fn, void *ctx,
                                    lat_error_t *err) {
  pthread_mutex_lock(&p->mu);
  lat_wrpc_server_t **s2 = lat_realloc(p->servers, (p->nservers + 1) * sizeof *s2);
  lat_status st;
  if (!s2) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  } else {
    p->servers = s2;
    lat_wrpc_serve_opts_t so = {.queue = p->queue, .params_typed = param_types != NULL,
                                .param_types = param_types, .nparam_types = nparams};
    st = lat_wrpc_serve(p->conn, p->lattice, p->id, instance, function, fn, ctx, &so,
                        &p->servers[p->nservers], err);
    if (!st) p->nservers++;
  }
  pthread_mutex_unlock(&p->mu);
  return st;
}

lat_status lat_provider_invoke(lat_provider_t *p, const char *target, const char *instance,
                               const char *function, const uint8_t *params, size_t len,
                               uint32_t timeout_ms, lat_lattice_reply_t *out, lat_error_t *err) {
  const lat_lattice_header_t hdrs[] = {{"source-id", p->id}, {"target-id", target}};
  lat_wrpc_invoke_opts_t io = {
      .headers = hdrs, .nheaders = 2, .timeout_ms = timeout_ms ? timeout_ms : p->rpc_timeout_ms};
  return lat_wrpc_invoke(p->conn, p->lattice, target, instance, function, params, len, &io, out,
                         err);
}
