/* providers_builtin_messaging_nats.c: wasmcloud+builtin://messaging-nats,
 * wasmCloud's provider-messaging-nats written on the provider SDK
 * (PROTOCOL.md §5.4; WIT wasmcloud:messaging@0.2.0).
 *
 * Links carry everything.  A link whose SOURCE is this provider (provider
 * -> a component's wasmcloud:messaging/handler) subscribes, on the
 * connection its config names, to each entry of `subscriptions` (a comma
 * list; `subject|queue` joins a queue group, so several instances of the
 * provider share the messages); each message is handed to a queue and a
 * worker delivers it by calling the component's
 * wasmcloud:messaging/handler@0.2.0.handle-message over wRPC (headers
 * source-id = this provider, target-id).  A link whose TARGET is this
 * provider (a component's wasmcloud:messaging/consumer import) gives that
 * component a connection: the wRPC handlers of consumer.request and
 * consumer.publish find it by the caller's `source-id` (and `link-name`,
 * "default" when absent); a caller with no such link gets an error result.
 * Config keys (link config of this provider's side; any case, as wasmCloud
 * accepts `subscriptions` and `SUBSCRIPTIONS`): subscriptions,
 * cluster_uris (default: the provider's own config cluster_uris, else
 * nats://127.0.0.1:4222), client_seed (nkey authentication).
 *
 * Connections: one per distinct (cluster_uris, credentials), shared by the
 * links that name it and reference-counted; a consumer call holds a
 * reference while it uses one, so a link deleted meanwhile cannot free the
 * connection under it.  The last reference closes it.
 *
 * Invariants.  Link puts and dels are applied one at a time (link_mu held
 * through the whole change, connecting included, so a put that is still
 * connecting cannot be overtaken by the del of the same link); the tables
 * (links, clusters, references) are under mu, which is never held across a
 * network wait.  A link del unsubscribes before it returns (the libnats
 * callback is then no longer running), and a delivery already queued names
 * its link by a generation number that a deleted or replaced link no longer
 * has, so nothing reaches a component after its link is gone.  Consumer
 * calls look the link up per call, so a del refuses the next one.
 *
 * Bounds: a subject, reply-to or queue name of at most SUBJECT_MAX bytes,
 * printable, without empty tokens (wildcards only in subscriptions); a body
 * of at most the cluster's max_payload (and BODY_MAX); consumer.request's
 * timeout-ms capped at REQUEST_TIMEOUT_MAX_MS, and at most MAX_REQUESTS of
 * them waiting at once (a request whose answer comes from a handler that
 * publishes through this very provider needs a free wRPC worker for that
 * publish: with every worker waiting in a request, all of them would time
 * out); MAX_SUBS subscriptions per link; a delivery queue of DELIVERY_QUEUE messages (NATS core is at most
 * once: a message that finds it full is dropped and counted in the log).
 *
 * Differences from wasmCloud's provider, on purpose or not yet:
 * consumer.request's reply comes back with the request's subject (lattice.h
 * does not hand out the reply inbox wasmCloud reports); client_jwt (user
 * JWT authentication) is refused with a clear error: lattice.h takes an
 * nkey seed or a creds file, and writing the seed to a file was rejected;
 * deliveries carry no link-name header, so the host checks them against
 * the link named "default" (as for any SDK provider).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../sdk/providers_sdk.h"
#include "providers_builtin.h"

#define HANDLER "wasmcloud:messaging/handler@0.2.0"
#define CONSUMER "wasmcloud:messaging/consumer@0.2.0"
#define DEFAULT_URIS "nats://127.0.0.1:4222"
#define SUBJECT_MAX 1024u             /* bytes in a subject, reply-to or queue group */
#define BODY_MAX (16u << 20)          /* a message body, whatever the cluster allows */
#define URIS_MAX 4096u                /* bytes of cluster_uris */
#define MAX_SUBS 64u                  /* subscriptions per link */
#define REQUEST_TIMEOUT_MAX_MS 10000u /* consumer.request's timeout-ms, capped */
#define DELIVERY_WORKERS 4u
#define DELIVERY_QUEUE 1024u
#define WRPC_WORKERS 16u /* the SDK's threads for consumer calls */
#define MAX_REQUESTS 12u /* consumer.request calls waiting at once: the other workers stay free
                            for publish, which a handler answering a request needs */

/* A connection to one cluster, shared by the links that name it. */
typedef struct cluster {
  struct cluster *next;
  char *key; /* uris "\n" seed: wiped before it is freed */
  lat_lattice_conn_t *conn;
  int refs; /* (mu) links using it + consumer calls in flight */
} cluster_t;

/* A link this provider is source or target of. */
typedef struct mlink {
  struct mlink *next;
  bool as_source; /* provider -> component handler, else component -> consumer */
  char *peer;     /* the component: the link's target, or its source */
  char *name;     /* the link name */
  uint64_t gen;   /* unique per put: stale queued deliveries are dropped */
  cluster_t *cl;  /* a reference */
  lat_lattice_sub_t **subs;
  size_t nsubs;
  struct msg *m;
} mlink_t;

typedef struct msg {
  lat_provider_t *p;       /* set once lat_provider_new returned (link_mu) */
  pthread_mutex_t link_mu; /* serialises link changes; guards p, ready, pending, closing */
  bool ready;              /* link events are applied (else kept in pending) */
  bool closing;            /* shutting down: link events are ignored */
  json_t *pending;         /* link events that came before ready, in order */
  char *default_uris;      /* the provider config's cluster_uris (link_mu) */
  pthread_mutex_t mu;      /* guards links, clusters, their refs, next_gen */
  mlink_t *links;
  cluster_t *clusters;
  uint64_t next_gen;
  lat_queue_t *queue; /* deliveries, run by workers */
  lat_workers_t *workers;
  atomic_uint_fast64_t dropped; /* deliveries dropped on a full queue */
  atomic_uint requests;         /* consumer.request calls in flight */
} msg_t;

/* ---- small helpers ------------------------------------------------------------------------- */

static char *dup(const char *s) {
  return lat_strndup(s, strlen(s));
}

/* A string value of config whose key is `key` in any case, or NULL. */
static const char *config_get(json_t *config, const char *key) {
  const char *k;
  json_t *v;
  json_object_foreach(config, k, v) {
    if (!strcasecmp(k, key) && json_is_string(v)) return json_string_value(v);
  }
  return NULL;
}

static bool has_iface(json_t *ifaces, const char *iface) {
  size_t i;
  json_t *x;
  json_array_foreach(ifaces, i, x) {
    if (json_is_string(x) && !strcmp(json_string_value(x), iface)) return true;
  }
  return false;
}

/* A NATS subject of n bytes: printable, no whitespace, no empty tokens;
 * with wildcards, `*` and a final `>` as whole tokens. */
static bool subject_ok(const char *s, size_t n, bool wildcards) {
  if (!n || n > SUBJECT_MAX) return false;
  size_t tok = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || s[i] == '.') {
      if (!tok) return false;
      tok = 0;
      continue;
    }
    unsigned char c = (unsigned char)s[i];
    if (c <= ' ' || c == 0x7f) return false;
    if (c == '*' || c == '>') {
      bool whole = !tok && (i + 1 == n || s[i + 1] == '.');
      if (!wildcards || !whole || (c == '>' && i + 1 != n)) return false;
    }
    tok++;
  }
  return true;
}

static bool queue_ok(const char *s, size_t n) {
  if (!n || n > SUBJECT_MAX) return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) return false;
  return true;
}

/* A reader of wRPC-encoded values (PROTOCOL.md §4.4). */
typedef struct {
  const uint8_t *p;
  size_t n, i;
} rd_t;

static bool rd_u32(rd_t *r, uint32_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (r->i >= r->n) return false;
    uint8_t b = r->p[r->i++];
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (v > UINT32_MAX) return false;
      *out = (uint32_t)v;
      return true;
    }
  }
  return false;
}

/* A string or list<u8>: its length, then the bytes (borrowed from r). */
static bool rd_bytes(rd_t *r, const uint8_t **out, uint32_t *len) {
  if (!rd_u32(r, len) || *len > r->n - r->i) return false;
  *out = r->p + r->i;
  r->i += *len;
  return true;
}

/* ---- clusters ------------------------------------------------------------------------------ */

static void cluster_free(cluster_t *c) {
  if (!c) return;
  lat_lattice_conn_free(c->conn);
  if (c->key) sodium_memzero(c->key, strlen(c->key));
  lat_free(c->key);
  lat_free(c);
}

static void cluster_release(msg_t *m, cluster_t *c) {
  if (!c) return;
  bool last = false;
  pthread_mutex_lock(&m->mu);
  if (--c->refs == 0) {
    last = true;
    for (cluster_t **pp = &m->clusters; *pp; pp = &(*pp)->next)
      if (*pp == c) {
        *pp = c->next;
        break;
      }
  }
  pthread_mutex_unlock(&m->mu);
  if (last) cluster_free(c); /* outside mu: closing flushes */
}

/* A reference to the connection for uris (+ seed), made when missing.
 * Under link_mu (so only one thread connects), never under mu. */
static lat_status cluster_get(msg_t *m, const char *uris, const char *seed, cluster_t **out,
                              lat_error_t *err) {
  size_t ul = strlen(uris), sl = seed ? strlen(seed) : 0;
  char *key = lat_malloc(ul + sl + 2);
  if (!key) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  memcpy(key, uris, ul);
  key[ul] = '\n';
  memcpy(key + ul + 1, seed ? seed : "", sl + 1);
  pthread_mutex_lock(&m->mu);
  cluster_t *c = m->clusters;
  while (c && strcmp(c->key, key)) c = c->next;
  if (c) c->refs++;
  pthread_mutex_unlock(&m->mu);
  if (c) {
    sodium_memzero(key, ul + sl + 2);
    lat_free(key);
    *out = c;
    return LAT_OK;
  }
  c = lat_calloc(1, sizeof *c);
  if (!c) {
    sodium_memzero(key, ul + sl + 2);
    lat_free(key);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  c->key = key;
  c->refs = 1;
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = uris;
  o.name = "messaging-nats";
  o.nkey_seed = sl ? seed : NULL;
  lat_status st = lat_lattice_conn_new(&o, &c->conn, NULL, err);
  if (st) {
    cluster_free(c);
    return st;
  }
  pthread_mutex_lock(&m->mu);
  c->next = m->clusters;
  m->clusters = c;
  pthread_mutex_unlock(&m->mu);
  *out = c;
  return LAT_OK;
}

/* ---- deliveries (provider -> component handler) -------------------------------------------- */

typedef struct {
  msg_t *m;
  uint64_t gen;     /* the link it came through */
  char *target;     /* the component */
  lat_buf_t params; /* the encoded broker-message */
} delivery_t;

static void delivery_free(delivery_t *d) {
  lat_free(d->target);
  lat_buf_fini(&d->params);
  lat_free(d);
}

static lat_status put_str(lat_buf_t *b, const void *s, size_t n) {
  lat_status st = lat_buf_write_uleb(b, n);
  return st ? st : lat_buf_append(b, s, n);
}

static void deliver(void *arg) {
  delivery_t *d = arg;
  msg_t *m = d->m;
  pthread_mutex_lock(&m->mu);
  mlink_t *l = m->links;
  while (l && l->gen != d->gen) l = l->next;
  pthread_mutex_unlock(&m->mu);
  if (!l) { /* its link went away while it waited */
    delivery_free(d);
    return;
  }
  lat_lattice_reply_t r = {0};
  lat_error_t err;
  lat_error_clear(&err);
  lat_status st = lat_provider_invoke(m->p, d->target, HANDLER, "handle-message", d->params.data,
                                      d->params.len, 0, &r, &err);
  if (st)
    LAT_LOGF(LAT_LOG_WARN, "messaging", "delivery to component=%s failed reason=\"%s\"", d->target,
             err.msg);
  else if (!r.len)
    LAT_LOGF(LAT_LOG_WARN, "messaging",
             "delivery to component=%s failed on its host (refused, trapped or not linked)",
             d->target);
  else if (r.data[0] == 1) {
    rd_t rr = {r.data, r.len, 1};
    const uint8_t *msg = NULL;
    uint32_t n = 0;
    if (!rd_bytes(&rr, &msg, &n)) n = 0;
    LAT_LOGF(LAT_LOG_WARN, "messaging", "component=%s handle-message returned an error: %.*s",
             d->target, (int)(n > 200 ? 200 : n), msg ? (const char *)msg : "");
  }
  lat_lattice_reply_fini(&r);
  delivery_free(d);
}

/* libnats thread: copy the message into a delivery and queue it. */
static void on_message(void *ctx, const lat_lattice_msg_t *msg) {
  mlink_t *l = ctx;
  msg_t *m = l->m;
  delivery_t *d = lat_calloc(1, sizeof *d);
  lat_status st = LAT_ENOMEM;
  if (d) {
    d->m = m;
    d->gen = l->gen;
    lat_buf_init(&d->params);
    /* broker-message {subject, body, reply-to: option<string>} */
    if ((d->target = dup(l->peer)) &&
        !(st = put_str(&d->params, msg->subject, strlen(msg->subject))) &&
        !(st = put_str(&d->params, msg->data, msg->len)) &&
        !(st = lat_buf_push(&d->params, msg->reply ? 1 : 0)) && msg->reply)
      st = put_str(&d->params, msg->reply, strlen(msg->reply));
    if (!st) st = lat_queue_push(m->queue, deliver, d);
  }
  if (st) {
    if (d) delivery_free(d);
    uint64_t n = atomic_fetch_add(&m->dropped, 1) + 1;
    if (!(n & (n - 1))) /* the 1st, 2nd, 4th, 8th... */
      LAT_LOGF(LAT_LOG_WARN, "messaging",
               "dropped a message for component=%s subject=%s reason=\"%s\" dropped_total=%llu",
               l->peer, msg->subject, lat_status_message(st), (unsigned long long)n);
  }
}

/* ---- links --------------------------------------------------------------------------------- */

static void mlink_free(mlink_t *l) {
  if (!l) return;
  for (size_t i = 0; i < l->nsubs; i++) lat_lattice_sub_free(l->subs[i]); /* waits for on_message */
  lat_free(l->subs);
  if (l->cl) cluster_release(l->m, l->cl);
  lat_free(l->peer);
  lat_free(l->name);
  lat_free(l);
}

/* Takes the link (as_source, peer, name) out of the table, or NULL. */
static mlink_t *mlink_take(msg_t *m, bool as_source, const char *peer, const char *name) {
  pthread_mutex_lock(&m->mu);
  mlink_t **pp = &m->links, *l = NULL;
  for (; *pp; pp = &(*pp)->next)
    if ((*pp)->as_source == as_source && !strcmp((*pp)->peer, peer) && !strcmp((*pp)->name, name)) {
      l = *pp;
      *pp = l->next;
      break;
    }
  pthread_mutex_unlock(&m->mu);
  return l;
}

/* Subscribes l to each entry of the comma list subs. */
static lat_status subscribe_all(mlink_t *l, const char *subs, lat_error_t *err) {
  const char *s = subs;
  while (*s) {
    while (*s == ' ' || *s == ',') s++;
    if (!*s) break;
    const char *e = s;
    while (*e && *e != ',') e++;
    size_t n = (size_t)(e - s);
    while (n && s[n - 1] == ' ') n--;
    const char *bar = memchr(s, '|', n);
    size_t sn = bar ? (size_t)(bar - s) : n;
    size_t qn = bar ? n - sn - 1 : 0;
    if (!subject_ok(s, sn, true) || (bar && !queue_ok(bar + 1, qn)))
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad subscription \"%.*s\"",
                           (int)(n > 200 ? 200 : n), s);
    if (l->nsubs == MAX_SUBS)
      return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "more than %u subscriptions", MAX_SUBS);
    char subject[SUBJECT_MAX + 1], queue[SUBJECT_MAX + 1];
    memcpy(subject, s, sn);
    subject[sn] = 0;
    if (bar) {
      memcpy(queue, bar + 1, qn);
      queue[qn] = 0;
    }
    lat_lattice_sub_t **s2 = lat_realloc(l->subs, (l->nsubs + 1) * sizeof *s2);
    if (!s2) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    l->subs = s2;
    lat_status st = lat_lattice_conn_subscribe(l->cl->conn, subject, bar ? queue : NULL, on_message,
                                               l, &l->subs[l->nsubs], err);
    if (st) return st;
    l->nsubs++;
    LAT_LOGF(LAT_LOG_INFO, "messaging", "subscribed subject=%s queue=%s component=%s link=%s",
             subject, bar ? queue : "", l->peer, l->name);
    s = e;
  }
  return LAT_OK;
}

/* Applies a link put: replaces any link of the same key.  Under link_mu. */
static void link_put(msg_t *m, const lat_provider_link_t *pl) {
  const char *iface = pl->as_source ? "handler" : "consumer";
  if (strcmp(pl->wit_namespace, "wasmcloud") || strcmp(pl->wit_package, "messaging") ||
      !has_iface(pl->interfaces, iface)) {
    LAT_LOGF(LAT_LOG_WARN, "messaging",
             "ignored a link that is not wasmcloud:messaging/%s source=%s target=%s", iface,
             pl->source_id, pl->target);
    return;
  }
  const char *peer = pl->as_source ? pl->target : pl->source_id;
  mlink_free(mlink_take(m, pl->as_source, peer, pl->name)); /* the link it replaces */
  lat_error_t err;
  lat_error_clear(&err);
  lat_status st = LAT_OK;
  const char *uris = config_get(pl->config, "cluster_uris");
  const char *seed = config_get(pl->config, "client_seed");
  mlink_t *l = lat_calloc(1, sizeof *l);
  if (!uris || !*uris) uris = m->default_uris;
  if (!l || !(l->peer = dup(peer)) || !(l->name = dup(pl->name)))
    st = lat_error_set(&err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  else if (strlen(uris) > URIS_MAX)
    st =
        lat_error_set(&err, LAT_ELIMIT, SIZE_MAX, "cluster_uris is longer than %u bytes", URIS_MAX);
  else if (config_get(pl->config, "client_jwt"))
    st = lat_error_set(&err, LAT_EUNSUPPORTED, SIZE_MAX,
                       "client_jwt (user JWT authentication) is not supported yet; use "
                       "client_seed alone (nkey authentication)");
  if (!st) {
    l->m = m;
    l->as_source = pl->as_source;
    st = cluster_get(m, uris, seed, &l->cl, &err);
  }
  if (!st) {
    pthread_mutex_lock(&m->mu);
    l->gen = ++m->next_gen;
    pthread_mutex_unlock(&m->mu);
    const char *subs = config_get(pl->config, "subscriptions");
    if (pl->as_source && subs) st = subscribe_all(l, subs, &err);
  }
  if (st) {
    LAT_LOGF(LAT_LOG_ERROR, "messaging", "link refused source=%s target=%s name=%s reason=\"%s\"",
             pl->source_id, pl->target, pl->name, err.msg);
    mlink_free(l);
    return;
  }
  pthread_mutex_lock(&m->mu);
  l->next = m->links;
  m->links = l;
  pthread_mutex_unlock(&m->mu);
  LAT_LOGF(LAT_LOG_INFO, "messaging",
           "link put source=%s target=%s name=%s as_source=%d subscriptions=%zu", pl->source_id,
           pl->target, pl->name, pl->as_source, l->nsubs);
}

/* Applies a link del: unsubscribes before it returns.  Under link_mu. */
static void link_del(msg_t *m, const lat_provider_link_t *pl) {
  const char *peer = pl->as_source ? pl->target : pl->source_id;
  mlink_t *l = mlink_take(m, pl->as_source, peer, pl->name);
  if (!l) return;
  mlink_free(l);
  LAT_LOGF(LAT_LOG_INFO, "messaging", "link del source=%s target=%s name=%s", pl->source_id,
           pl->target, pl->name);
}

/* A link event kept until the provider is ready (HostData links come
 * inside lat_provider_new, before its config can be read). */
static void keep(msg_t *m, const lat_provider_link_t *l, bool put) {
  json_t *e = json_pack("{s:b,s:s,s:s,s:s,s:s,s:s,s:O,s:O,s:b}", "put", put, "source_id",
                        l->source_id, "target", l->target, "name", l->name, "wit_namespace",
                        l->wit_namespace, "wit_package", l->wit_package, "interfaces",
                        l->interfaces ? l->interfaces : json_null(), "config", l->config,
                        "as_source", l->as_source);
  if (!e || json_array_append_new(m->pending, e))
    LAT_LOGF(LAT_LOG_ERROR, "messaging", "out of memory keeping a link source=%s target=%s",
             l->source_id, l->target);
}

static void apply_pending(msg_t *m) {
  size_t i;
  json_t *e;
  json_array_foreach(m->pending, i, e) {
    lat_provider_link_t l = {
        .source_id = json_string_value(json_object_get(e, "source_id")),
        .target = json_string_value(json_object_get(e, "target")),
        .name = json_string_value(json_object_get(e, "name")),
        .wit_namespace = json_string_value(json_object_get(e, "wit_namespace")),
        .wit_package = json_string_value(json_object_get(e, "wit_package")),
        .interfaces = json_object_get(e, "interfaces"),
        .config = json_object_get(e, "config"),
        .as_source = json_is_true(json_object_get(e, "as_source")),
    };
    if (json_is_true(json_object_get(e, "put")))
      link_put(m, &l);
    else
      link_del(m, &l);
  }
  json_array_clear(m->pending);
}

static void on_link(msg_t *m, const lat_provider_link_t *l, bool put) {
  pthread_mutex_lock(&m->link_mu);
  if (!m->closing && !m->ready)
    keep(m, l, put);
  else if (!m->closing && put)
    link_put(m, l);
  else if (!m->closing)
    link_del(m, l);
  pthread_mutex_unlock(&m->link_mu);
}
static void on_link_put(void *ctx, const lat_provider_link_t *l) {
  on_link(ctx, l, true);
}
static void on_link_del(void *ctx, const lat_provider_link_t *l) {
  on_link(ctx, l, false);
}

/* ---- consumer (component -> provider) ------------------------------------------------------ */

/* The result<_, string> / result<T, string> error case. */
static lat_status result_err(lat_buf_t *results, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static lat_status result_err(lat_buf_t *results, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  lat_buf_fini(results);
  lat_buf_init(results);
  lat_status st = lat_buf_push(results, 1);
  return st ? st : put_str(results, msg, (size_t)n);
}

/* The caller's link (source-id, link-name): a reference to its cluster,
 * or NULL. */
static cluster_t *caller_cluster(msg_t *m, const lat_wrpc_request_t *req, const char **out_src,
                                 const char **out_name) {
  const char *src = lat_lattice_headers_get(req->headers, "source-id");
  const char *name = lat_lattice_headers_get(req->headers, "link-name");
  if (!name || !*name) name = "default";
  *out_src = src ? src : "(no source-id)";
  *out_name = name;
  if (!src) return NULL;
  cluster_t *c = NULL;
  pthread_mutex_lock(&m->mu);
  for (mlink_t *l = m->links; l; l = l->next)
    if (!l->as_source && !strcmp(l->peer, src) && !strcmp(l->name, name)) {
      c = l->cl;
      c->refs++;
      break;
    }
  pthread_mutex_unlock(&m->mu);
  return c;
}

static lat_status body_check(cluster_t *c, size_t len, char *why, size_t cap) {
  size_t max = lat_lattice_conn_max_payload(c->conn);
  if (!max) {
    snprintf(why, cap, "not connected to the NATS cluster");
    return LAT_EIO;
  }
  if (max > BODY_MAX) max = BODY_MAX;
  if (len > max) {
    snprintf(why, cap, "body of %zu bytes is larger than the %zu bytes allowed", len, max);
    return LAT_ELIMIT;
  }
  return LAT_OK;
}

/* consumer.publish(msg: broker-message) -> result<_, string> */
static lat_status consumer_publish(void *ctx, const lat_wrpc_request_t *req, lat_buf_t *results,
                                   lat_error_t *err) {
  msg_t *m = ctx;
  rd_t r = {req->params, req->len, 0};
  const uint8_t *subj, *body, *reply = NULL;
  uint32_t sl, bl, rl = 0;
  uint8_t has_reply;
  if (!rd_bytes(&r, &subj, &sl) || !rd_bytes(&r, &body, &bl) || r.i >= r.n ||
      (has_reply = r.p[r.i++]) > 1 || (has_reply && !rd_bytes(&r, &reply, &rl)) || r.i != r.n)
    return lat_error_set(err, LAT_EMALFORMED, r.i, "publish: malformed parameters");
  const char *src, *name;
  cluster_t *c = caller_cluster(m, req, &src, &name);
  if (!c) return result_err(results, "%s has no link `%s` to this provider", src, name);
  char subject[SUBJECT_MAX + 1], reply_to[SUBJECT_MAX + 1], why[256];
  lat_status st = LAT_OK;
  if (!subject_ok((const char *)subj, sl, false) ||
      (reply && !subject_ok((const char *)reply, rl, false))) {
    st = result_err(results, "publish: not a valid NATS subject");
  } else if (body_check(c, bl, why, sizeof why)) {
    st = result_err(results, "publish: %s", why);
  } else {
    memcpy(subject, subj, sl);
    subject[sl] = 0;
    if (reply) {
      memcpy(reply_to, reply, rl);
      reply_to[rl] = 0;
    }
    lat_error_t e2;
    if (lat_lattice_conn_publish(c->conn, subject, reply ? reply_to : NULL, body, bl, &e2))
      st = result_err(results, "publish: %s", e2.msg);
    else
      st = lat_buf_push(results, 0);
  }
  cluster_release(m, c);
  return st;
}

/* consumer.request(subject, body, timeout-ms) -> result<broker-message, string> */
static lat_status consumer_request(void *ctx, const lat_wrpc_request_t *req, lat_buf_t *results,
                                   lat_error_t *err) {
  msg_t *m = ctx;
  rd_t r = {req->params, req->len, 0};
  const uint8_t *subj, *body;
  uint32_t sl, bl, timeout;
  if (!rd_bytes(&r, &subj, &sl) || !rd_bytes(&r, &body, &bl) || !rd_u32(&r, &timeout) || r.i != r.n)
    return lat_error_set(err, LAT_EMALFORMED, r.i, "request: malformed parameters");
  const char *src, *name;
  cluster_t *c = caller_cluster(m, req, &src, &name);
  if (!c) return result_err(results, "%s has no link `%s` to this provider", src, name);
  char subject[SUBJECT_MAX + 1], why[256];
  lat_status st = LAT_OK;
  unsigned busy = atomic_fetch_add(&m->requests, 1);
  if (busy >= MAX_REQUESTS) {
    st = result_err(results, "request: %u requests are already waiting; try again", busy);
  } else if (!subject_ok((const char *)subj, sl, false)) {
    st = result_err(results, "request: not a valid NATS subject");
  } else if (body_check(c, bl, why, sizeof why)) {
    st = result_err(results, "request: %s", why);
  } else {
    memcpy(subject, subj, sl);
    subject[sl] = 0;
    if (timeout > REQUEST_TIMEOUT_MAX_MS) timeout = REQUEST_TIMEOUT_MAX_MS;
    if (!timeout) timeout = 1;
    lat_lattice_reply_t rep = {0};
    lat_error_t e2;
    lat_status rs = lat_lattice_conn_request(c->conn, subject, body, bl, timeout, &rep, &e2);
    if (rs == LAT_ETIMEOUT)
      st = result_err(results, "request to %s timed out after %u ms", subject, timeout);
    else if (rs == LAT_ENOTFOUND)
      st = result_err(results, "request to %s: no responders", subject);
    else if (rs)
      st = result_err(results, "request to %s: %s", subject, e2.msg);
    else if (!(st = lat_buf_push(results, 0)) && !(st = put_str(results, subject, sl)) &&
             !(st = put_str(results, rep.data, rep.len)))
      st = lat_buf_push(results, 0); /* reply-to: none */
    lat_lattice_reply_fini(&rep);
  }
  atomic_fetch_sub(&m->requests, 1);
  cluster_release(m, c);
  return st;
}

/* ---- life ---------------------------------------------------------------------------------- */

static void msg_fini(msg_t *m) {
  mlink_t *all;
  pthread_mutex_lock(&m->mu);
  all = m->links;
  m->links = NULL;
  pthread_mutex_unlock(&m->mu);
  while (all) {
    mlink_t *l = all;
    all = l->next;
    mlink_free(l); /* the last reference closes each cluster */
  }
  json_decref(m->pending);
  lat_free(m->default_uris);
  pthread_mutex_destroy(&m->mu);
  pthread_mutex_destroy(&m->link_mu);
}

int lat_builtin_messaging_nats_main(int argc, char **argv) {
  (void)argc, (void)argv;
  lat_log_config_t lc = {.level = LAT_LOG_INFO, .format = LAT_LOG_TEXT, .fd = 2};
  lat_log_configure(&lc);
  msg_t m;
  memset(&m, 0, sizeof m);
  pthread_mutex_init(&m.mu, NULL);
  pthread_mutex_init(&m.link_mu, NULL);
  atomic_init(&m.dropped, 0);
  atomic_init(&m.requests, 0);
  m.pending = json_array();
  lat_error_t err;
  lat_error_clear(&err);
  int rc = 1;
  lat_provider_t *p = NULL;
  if (!m.pending || lat_queue_new(DELIVERY_QUEUE, &m.queue)) {
    LAT_LOGF(LAT_LOG_ERROR, "messaging", "out of memory");
    goto out;
  }
  lat_provider_opts_t o = {
      .on_link_put = on_link_put, .on_link_del = on_link_del, .ctx = &m, .wrpc_workers = WRPC_WORKERS};
  if (lat_provider_new(&o, &p, &err)) {
    LAT_LOGF(LAT_LOG_ERROR, "messaging", "cannot start reason=\"%s\"", err.msg);
    goto out;
  }
  lat_log_level lv;
  const char *lvs = json_string_value(json_object_get(lat_provider_host_data(p), "log_level"));
  if (lvs && !lat_log_level_parse(lvs, &lv)) {
    lc.level = lv;
    lat_log_configure(&lc);
  }
  const char *du = lat_provider_config(p, "cluster_uris");
  if (!du) du = lat_provider_config(p, "CLUSTER_URIS");
  if (!(m.default_uris = dup(du && *du ? du : DEFAULT_URIS)) ||
      lat_workers_new(DELIVERY_WORKERS, m.queue, &m.workers)) {
    LAT_LOGF(LAT_LOG_ERROR, "messaging", "cannot start the delivery workers");
    goto out;
  }
  if (lat_provider_serve(p, CONSUMER, "request", consumer_request, &m, &err) ||
      lat_provider_serve(p, CONSUMER, "publish", consumer_publish, &m, &err)) {
    LAT_LOGF(LAT_LOG_ERROR, "messaging", "cannot serve %s reason=\"%s\"", CONSUMER, err.msg);
    goto out;
  }
  pthread_mutex_lock(&m.link_mu);
  m.p = p;
  m.ready = true;
  apply_pending(&m);
  pthread_mutex_unlock(&m.link_mu);
  LAT_LOGF(LAT_LOG_INFO, "messaging", "ready provider_id=%s default_cluster=%s", lat_provider_id(p),
           m.default_uris);
  lat_provider_wait(p);
  LAT_LOGF(LAT_LOG_INFO, "messaging", "shutting down");
  rc = 0;
out:
  pthread_mutex_lock(&m.link_mu);
  m.closing = true;
  pthread_mutex_unlock(&m.link_mu);
  /* unsubscribe first, then let the queued deliveries drain (they find no
   * link and are dropped), then stop serving (calls in flight finish) */
  mlink_t *srcs = NULL;
  pthread_mutex_lock(&m.mu);
  for (mlink_t **pp = &m.links; *pp;) {
    mlink_t *l = *pp;
    if (l->as_source) {
      *pp = l->next;
      l->next = srcs;
      srcs = l;
    } else {
      pp = &l->next;
    }
  }
  pthread_mutex_unlock(&m.mu);
  while (srcs) {
    mlink_t *l = srcs;
    srcs = l->next;
    mlink_free(l);
  }
  lat_workers_free(m.workers); /* closes the queue and drains it */
  if (m.queue) {               /* jobs left when the workers never started */
    lat_job_t job;
    lat_queue_close(m.queue);
    while (lat_queue_pop(m.queue, 0, &job) == LAT_OK) job.fn(job.arg);
  }
  lat_queue_free(m.queue);
  lat_provider_free(p);
  msg_fini(&m);
  lat_lattice_library_close(2000);
  return rc;
}
