/* providers_builtin_keyvalue_nats.c: `lattice provider keyvalue-nats`,
 * wasi:keyvalue on NATS JetStream KV (the wasmCloud keyvalue-nats provider's
 * link config: bucket, cluster_uri, js_domain, tls_ca_file,
 * enable_bucket_auto_create; link config over the provider's config).
 * providers_builtin_keyvalue.c does the wRPC side and finds the link.
 *
 * Per link: the JetStream KV bucket `bucket` (required), opened at the
 * link's first call; with enable_bucket_auto_create=true it is created when
 * missing, otherwise a missing bucket is the caller's error (the JetStream
 * stream info request says whether it exists: lat_lattice_kv_open would
 * create it).  Connections are shared by the links to the same cluster
 * (cluster_uri + js_domain + tls_ca_file), counted, closed with the last;
 * cluster_uri defaults to the lattice's rpc NATS (HostData), else
 * nats://127.0.0.1:4222; with no cluster_uri the connection also takes the
 * rpc user's credentials and TLS files from HostData, so a secured lattice
 * (`lattice nats init`: the provider user may use the KV buckets it names)
 * needs no secrets in link config.
 *
 * increment is a compare-and-set loop on the key's revision (get, then
 * update at that revision or create when absent; another writer in between
 * makes the write fail and the loop read again), with a short randomised
 * back-off, so concurrent increments from any number of provider instances
 * never lose one.  Values are decimal text, as wasmCloud's.  delete purges
 * (history too), as wasmCloud's.  list-keys sorts the keys and pages them
 * (list_keys_page_size, default 1000), the cursor being the offset: NATS
 * has no key cursor; wasmCloud's returns every key at once.
 *
 * Not yet: client_jwt / client_seed (NATS credentials from link secrets).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "providers_builtin.h"
#include "providers_builtin_keyvalue.h"

#define INCR_TRIES 200
#define PAGE_DEFAULT 1000

typedef struct conn {
  struct conn *next;
  char *key;               /* servers \n domain \n ca \n rpc-creds flag */
  lat_lattice_conn_t *c;
  int refs;                /* under pool_mu */
} conn_t;

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static conn_t *pool;

typedef struct {
  conn_t *conn;
  lat_lattice_kv_t *kv;
  size_t page;
} state_t;

static void conn_release(conn_t *c) {
  if (!c) return;
  pthread_mutex_lock(&pool_mu);
  bool last = --c->refs == 0;
  if (last)
    for (conn_t **pp = &pool; *pp; pp = &(*pp)->next)
      if (*pp == c) {
        *pp = c->next;
        break;
      }
  pthread_mutex_unlock(&pool_mu);
  if (!last) return;
  lat_lattice_conn_free(c->c);
  lat_free(c->key);
  lat_free(c);
}

/* A counted connection to servers (one per distinct cluster). */
static lat_status conn_get(const char *servers, const char *domain, const char *ca,
                           const lat_lattice_opts_t *rpc, conn_t **out, lat_error_t *err) {
  char key[2048];
  snprintf(key, sizeof key, "%s\n%s\n%s\n%d", servers, domain ? domain : "", ca ? ca : "",
           rpc != NULL);
  pthread_mutex_lock(&pool_mu); /* held while connecting: links to one cluster wait for it */
  for (conn_t *c = pool; c; c = c->next)
    if (!strcmp(c->key, key)) {
      c->refs++;
      *out = c;
      pthread_mutex_unlock(&pool_mu);
      return LAT_OK;
    }
  lat_lattice_opts_t o;
  if (rpc) o = *rpc; /* the lattice's own NATS: the rpc user's creds and TLS */
  else lat_lattice_opts_init(&o);
  o.servers = servers;
  o.js_domain = domain;
  if (ca) o.tls_ca_file = ca;
  o.name = "keyvalue-nats";
  conn_t *c = lat_calloc(1, sizeof *c);
  lat_status st = c && (c->key = lat_strndup(key, strlen(key)))
                      ? lat_lattice_conn_new(&o, &c->c, NULL, err)
                      : lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  if (st) {
    if (c) lat_free(c->key);
    lat_free(c);
    pthread_mutex_unlock(&pool_mu);
    return st;
  }
  c->refs = 1;
  c->next = pool;
  pool = c;
  *out = c;
  pthread_mutex_unlock(&pool_mu);
  return LAT_OK;
}

/* Does JetStream have the KV bucket?  (its stream KV_<bucket>) */
static lat_status bucket_exists(lat_lattice_conn_t *c, const char *domain, const char *bucket,
                                bool *out, lat_error_t *err) {
  char subj[512];
  if (domain && *domain) snprintf(subj, sizeof subj, "$JS.%s.API.STREAM.INFO.KV_%s", domain, bucket);
  else snprintf(subj, sizeof subj, "$JS.API.STREAM.INFO.KV_%s", bucket);
  lat_lattice_reply_t r = {0};
  lat_status st = lat_lattice_conn_request(c, subj, "", 0, 5000, &r, err);
  if (st) return st;
  json_t *j = json_loadb((const char *)r.data, r.len, 0, NULL);
  json_t *e = json_object_get(j, "error");
  *out = j && !e;
  if (e && json_integer_value(json_object_get(e, "code")) != 404)
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "JetStream: %s",
                       json_string_value(json_object_get(e, "description"))
                           ? json_string_value(json_object_get(e, "description"))
                           : "stream info failed");
  json_decref(j);
  lat_lattice_reply_fini(&r);
  return st;
}

static lat_status kvn_open(lat_provider_t *p, json_t *config, void **out, lat_error_t *err) {
  const char *bucket = lat__kv_config(config, "bucket");
  if (!bucket || !*bucket)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "missing required configuration item: bucket");
  const char *servers = lat__kv_config(config, "cluster_uri");
  lat_lattice_opts_t rpc_opts, *rpc = NULL;
  if (!servers || !*servers) {
    lat_provider_rpc_opts(p, &rpc_opts);
    rpc = &rpc_opts;
    servers = rpc_opts.servers ? rpc_opts.servers : "nats://127.0.0.1:4222";
  }
  const char *domain = lat__kv_config(config, "js_domain");
  if (domain && !*domain) domain = NULL;
  const char *ca = lat__kv_config(config, "tls_ca_file");
  const char *create = lat__kv_config(config, "enable_bucket_auto_create");
  const char *page = lat__kv_config(config, "list_keys_page_size");
  state_t *s = lat_calloc(1, sizeof *s);
  if (!s) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  s->page = page && atol(page) > 0 ? (size_t)atol(page) : PAGE_DEFAULT;
  lat_status st = conn_get(servers, domain, ca, rpc, &s->conn, err);
  bool exists = true;
  if (!st && !(create && !strcasecmp(create, "true")))
    st = bucket_exists(s->conn->c, domain, bucket, &exists, err);
  if (!st && !exists)
    st = lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX,
                       "NATS KV bucket %s does not exist (enable_bucket_auto_create is not true)",
                       bucket);
  if (!st) st = lat_lattice_kv_open(s->conn->c, bucket, 0, &s->kv, err);
  if (st) {
    conn_release(s->conn);
    lat_free(s);
    return st;
  }
  fprintf(stderr, "keyvalue-nats: NATS KV bucket %s opened on %s\n", bucket, servers);
  *out = s;
  return LAT_OK;
}

static void kvn_close(void *state) {
  state_t *s = state;
  lat_lattice_kv_free(s->kv);
  conn_release(s->conn);
  lat_free(s);
}

static bool kvn_accepts(json_t *config, const char *link_name, const char *identifier) {
  (void)link_name;
  const char *bucket = lat__kv_config(config, "bucket");
  return !*identifier || (bucket && !strcmp(bucket, identifier));
}

static lat_status kvn_get(void *state, const char *key, lat_buf_t *out, lat_error_t *err) {
  state_t *s = state;
  lat_lattice_reply_t r = {0};
  lat_status st = lat_lattice_kv_get(s->kv, key, &r, NULL, err);
  if (!st && r.len) st = lat_buf_append(out, r.data, r.len);
  lat_lattice_reply_fini(&r);
  return st;
}

static lat_status kvn_set(void *state, const char *key, const uint8_t *v, size_t n,
                          lat_error_t *err) {
  state_t *s = state;
  return lat_lattice_kv_put(s->kv, key, v ? (const void *)v : "", n, NULL, err);
}

static lat_status kvn_del(void *state, const char *key, lat_error_t *err) {
  state_t *s = state;
  lat_status st = lat_lattice_kv_purge(s->kv, key, err);
  return st == LAT_ENOTFOUND ? LAT_OK : st;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static lat_status kvn_keys(void *state, uint64_t cursor, lat_lattice_keys_t *out,
                           uint64_t *out_next, lat_error_t *err) {
  state_t *s = state;
  lat_lattice_keys_t all = {0};
  lat_status st = lat_lattice_kv_keys(s->kv, &all, err);
  if (st) return st;
  qsort(all.keys, all.count, sizeof *all.keys, cmp_str);
  size_t from = cursor < all.count ? (size_t)cursor : all.count;
  size_t n = all.count - from < s->page ? all.count - from : s->page;
  /* move the page's strings out, free the rest */
  out->keys = lat_calloc(n ? n : 1, sizeof *out->keys);
  if (!out->keys) {
    lat_lattice_keys_fini(&all);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    out->keys[i] = all.keys[from + i];
    all.keys[from + i] = NULL;
  }
  out->count = n;
  *out_next = from + n < all.count ? from + n : 0;
  lat_lattice_keys_fini(&all);
  return LAT_OK;
}

static bool parse_u64(const uint8_t *p, size_t n, uint64_t *out) {
  uint64_t v = 0;
  if (!n || n > 20) return false;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9' || __builtin_mul_overflow(v, 10, &v) ||
        __builtin_add_overflow(v, (uint64_t)(p[i] - '0'), &v))
      return false;
  }
  *out = v;
  return true;
}

static lat_status kvn_incr(void *state, const char *key, uint64_t delta, uint64_t *out,
                           lat_error_t *err) {
  state_t *s = state;
  unsigned seed = (unsigned)(uintptr_t)&seed ^ (unsigned)time(NULL);
  for (int attempt = 0; attempt < INCR_TRIES; attempt++) {
    lat_lattice_reply_t r = {0};
    uint64_t rev = 0, cur = 0;
    lat_status st = lat_lattice_kv_get(s->kv, key, &r, &rev, err);
    bool absent = st == LAT_ENOTFOUND;
    if (st && !absent) return st;
    if (!absent && r.len && !parse_u64(r.data, r.len, &cur)) {
      lat_lattice_reply_fini(&r);
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX, "Cannot increment a non-numerical value");
    }
    lat_lattice_reply_fini(&r);
    uint64_t next;
    if (__builtin_add_overflow(cur, delta, &next))
      return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "increment overflows u64");
    char text[24];
    int len = snprintf(text, sizeof text, "%llu", (unsigned long long)next);
    lat_error_t e2;
    lat_error_clear(&e2);
    st = absent ? lat_lattice_kv_create(s->kv, key, text, (size_t)len, NULL, &e2)
                : lat_lattice_kv_update(s->kv, key, text, (size_t)len, rev, NULL, &e2);
    if (!st) {
      *out = next;
      return LAT_OK;
    }
    if (st != LAT_EINVALID) return lat_error_set(err, st, SIZE_MAX, "%s", e2.msg);
    /* another writer got there first: read again after a little while */
    struct timespec ts = {0, (long)(rand_r(&seed) % (1000u * (unsigned)(attempt < 10 ? attempt + 1 : 10))) * 1000};
    nanosleep(&ts, NULL);
  }
  return lat_error_set(err, LAT_ETIMEOUT, SIZE_MAX, "Failed to increment the value after %d attempts",
                       INCR_TRIES);
}

static const lat__kv_backend_t backend = {
    .name = "keyvalue-nats",
    .open = kvn_open,
    .close = kvn_close,
    .accepts = kvn_accepts,
    .get = kvn_get,
    .set = kvn_set,
    .del = kvn_del,
    .keys = kvn_keys,
    .incr = kvn_incr,
};

int lat_builtin_keyvalue_nats_main(int argc, char **argv) {
  (void)argc, (void)argv;
  return lat__kv_provider_main(&backend);
}
