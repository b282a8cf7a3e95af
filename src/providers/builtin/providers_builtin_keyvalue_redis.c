/* providers_builtin_keyvalue_redis.c: `lattice provider keyvalue-redis`,
 * wasi:keyvalue on Redis through hiredis, configured like wasmCloud's
 * keyvalue-redis: `URL` (redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], any
 * case of the key) from the link's config, else the provider's, else
 * redis://127.0.0.1:6379.  providers_builtin_keyvalue.c does the wRPC side.
 *
 * One connection per link, made at the link's first call.  A hiredis
 * context is not thread-safe and wRPC handlers run on several workers, so
 * a mutex per link serialises its commands (wasmCloud's provider also keeps
 * one connection per link).  A connection that failed (I/O error, timeout)
 * is dropped and made again by the next command, so a Redis restart costs
 * the calls in flight, not the link.
 *
 * The bucket identifier is ignored, as wasmCloud's does: Redis has one
 * keyspace per database (choose it with the URL's /DB).  increment is
 * INCRBY (atomic in Redis; values are decimal text, so get shows them);
 * delete is DEL; list-keys is SCAN with the caller's cursor (Redis's own,
 * 0 to start, none when it comes back 0; a key may repeat across pages,
 * as SCAN guarantees).  Timeouts: 3 s to connect, 2 s per command.
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers_builtin.h"
#include "providers_builtin_keyvalue.h"

#define CONNECT_MS 3000
#define COMMAND_MS 2000
#define SCAN_COUNT "100"

typedef struct {
  pthread_mutex_t mu; /* guards c */
  redisContext *c;    /* NULL until connected, and after a failure */
  char host[256], user[128], pass[256];
  int port, db;
} state_t;

static bool parse_url(state_t *s, const char *url, lat_error_t *err) {
  const char *p = url;
  if (strncmp(p, "redis://", 8)) {
    lat_error_set(err, LAT_EARG, SIZE_MAX, "the URL must start with redis:// (%s)", url);
    return false;
  }
  p += 8;
  const char *at = strchr(p, '@');
  if (at) { /* [user]:password@ or password@ */
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon) {
      snprintf(s->user, sizeof s->user, "%.*s", (int)(colon - p), p);
      snprintf(s->pass, sizeof s->pass, "%.*s", (int)(at - colon - 1), colon + 1);
    } else {
      snprintf(s->pass, sizeof s->pass, "%.*s", (int)(at - p), p);
    }
    p = at + 1;
  }
  size_t hl = strcspn(p, ":/");
  if (!hl || hl >= sizeof s->host) {
    lat_error_set(err, LAT_EARG, SIZE_MAX, "no host in %s", url);
    return false;
  }
  memcpy(s->host, p, hl);
  s->host[hl] = 0;
  p += hl;
  s->port = 6379;
  if (*p == ':') {
    char *end;
    long v = strtol(p + 1, &end, 10);
    if (end == p + 1 || v <= 0 || v > 65535) {
      lat_error_set(err, LAT_EARG, SIZE_MAX, "bad port in %s", url);
      return false;
    }
    s->port = (int)v;
    p = end;
  }
  if (*p == '/' && p[1]) {
    char *end;
    long v = strtol(p + 1, &end, 10);
    if (end == p + 1 || *end || v < 0 || v > 1000000) {
      lat_error_set(err, LAT_EARG, SIZE_MAX, "bad database in %s", url);
      return false;
    }
    s->db = (int)v;
  }
  return true;
}

static lat_status kvr_open(lat_provider_t *p, json_t *config, void **out, lat_error_t *err) {
  (void)p;
  const char *url = lat__kv_config(config, "URL");
  state_t *s = lat_calloc(1, sizeof *s);
  if (!s) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  if (!parse_url(s, url && *url ? url : "redis://127.0.0.1:6379", err)) {
    lat_free(s);
    return LAT_EARG;
  }
  pthread_mutex_init(&s->mu, NULL);
  *out = s;
  return LAT_OK;
}

static void kvr_close(void *state) {
  state_t *s = state;
  if (s->c) redisFree(s->c);
  pthread_mutex_destroy(&s->mu);
  lat_free(s);
}

/* Runs one command (under s->mu), connecting first when needed; the reply
 * (free with freeReplyObject) or NULL with err set.  A Redis error reply
 * is an error too. */
static redisReply *command(state_t *s, lat_error_t *err, int argc, const char **argv,
                           const size_t *lens) {
  if (!s->c) {
    struct timeval tv = {CONNECT_MS / 1000, 0}, cmd = {COMMAND_MS / 1000, 0};
    s->c = redisConnectWithTimeout(s->host, s->port, tv);
    if (!s->c || s->c->err) {
      lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot connect to Redis at %s:%d: %s", s->host,
                    s->port, s->c ? s->c->errstr : "out of memory");
      if (s->c) redisFree(s->c);
      s->c = NULL;
      return NULL;
    }
    redisSetTimeout(s->c, cmd);
    redisReply *r = NULL;
    if (*s->pass)
      r = *s->user ? redisCommand(s->c, "AUTH %s %s", s->user, s->pass)
                   : redisCommand(s->c, "AUTH %s", s->pass);
    if (r && r->type != REDIS_REPLY_ERROR && s->db) {
      freeReplyObject(r);
      r = redisCommand(s->c, "SELECT %d", s->db);
    }
    if ((*s->pass || s->db) && (!r || r->type == REDIS_REPLY_ERROR)) {
      lat_error_set(err, LAT_EIO, SIZE_MAX, "Redis refused AUTH or SELECT: %s",
                    r ? r->str : s->c->errstr);
      if (r) freeReplyObject(r);
      redisFree(s->c);
      s->c = NULL;
      return NULL;
    }
    if (r) freeReplyObject(r);
  }
  redisReply *r = redisCommandArgv(s->c, argc, argv, lens);
  if (!r) {
    lat_error_set(err, LAT_EIO, SIZE_MAX, "Redis: %s", s->c->errstr);
    redisFree(s->c); /* a context that failed cannot be used again */
    s->c = NULL;
    return NULL;
  }
  if (r->type == REDIS_REPLY_ERROR) {
    lat_error_set(err, LAT_EIO, SIZE_MAX, "Redis: %s", r->str);
    freeReplyObject(r);
    return NULL;
  }
  return r;
}

/* command under the lock */
static redisReply *run(state_t *s, lat_error_t *err, int argc, const char **argv,
                       const size_t *lens) {
  pthread_mutex_lock(&s->mu);
  redisReply *r = command(s, err, argc, argv, lens);
  pthread_mutex_unlock(&s->mu);
  return r;
}

static lat_status kvr_get(void *state, const char *key, lat_buf_t *out, lat_error_t *err) {
  const char *argv[] = {"GET", key};
  size_t lens[] = {3, strlen(key)};
  redisReply *r = run(state, err, 2, argv, lens);
  if (!r) return LAT_EIO;
  lat_status st = LAT_OK;
  if (r->type == REDIS_REPLY_NIL) st = LAT_ENOTFOUND;
  else if (r->type == REDIS_REPLY_STRING) st = lat_buf_append(out, r->str, r->len);
  else st = lat_error_set(err, LAT_EIO, SIZE_MAX, "Redis: GET answered type %d", r->type);
  freeReplyObject(r);
  return st;
}

static lat_status kvr_set(void *state, const char *key, const uint8_t *v, size_t n,
                          lat_error_t *err) {
  const char *argv[] = {"SET", key, v ? (const char *)v : ""};
  size_t lens[] = {3, strlen(key), n};
  redisReply *r = run(state, err, 3, argv, lens);
  if (!r) return LAT_EIO;
  freeReplyObject(r);
  return LAT_OK;
}

static lat_status kvr_del(void *state, const char *key, lat_error_t *err) {
  const char *argv[] = {"DEL", key};
  size_t lens[] = {3, strlen(key)};
  redisReply *r = run(state, err, 2, argv, lens);
  if (!r) return LAT_EIO;
  freeReplyObject(r);
  return LAT_OK;
}

static lat_status kvr_keys(void *state, uint64_t cursor, lat_lattice_keys_t *out,
                           uint64_t *out_next, lat_error_t *err) {
  char cur[24];
  snprintf(cur, sizeof cur, "%llu", (unsigned long long)cursor);
  const char *argv[] = {"SCAN", cur, "COUNT", SCAN_COUNT};
  size_t lens[] = {4, strlen(cur), 5, sizeof SCAN_COUNT - 1};
  redisReply *r = run(state, err, 4, argv, lens);
  if (!r) return LAT_EIO;
  lat_status st = LAT_OK;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
      r->element[1]->type != REDIS_REPLY_ARRAY) {
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "Redis: SCAN answered something else");
  } else {
    redisReply *ks = r->element[1];
    *out_next = strtoull(r->element[0]->str, NULL, 10);
    out->keys = lat_calloc(ks->elements ? ks->elements : 1, sizeof *out->keys);
    if (!out->keys) st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    for (size_t i = 0; !st && i < ks->elements; i++) {
      if (ks->element[i]->type != REDIS_REPLY_STRING) continue;
      if (!(out->keys[out->count] = lat_strndup(ks->element[i]->str, ks->element[i]->len)))
        st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      else out->count++;
    }
    if (st) lat_lattice_keys_fini(out);
  }
  freeReplyObject(r);
  return st;
}

static lat_status kvr_incr(void *state, const char *key, uint64_t delta, uint64_t *out,
                           lat_error_t *err) {
  if (delta > INT64_MAX)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "Redis INCRBY takes at most 2^63-1");
  char d[24];
  snprintf(d, sizeof d, "%llu", (unsigned long long)delta);
  const char *argv[] = {"INCRBY", key, d};
  size_t lens[] = {6, strlen(key), strlen(d)};
  redisReply *r = run(state, err, 3, argv, lens);
  if (!r) return LAT_EIO;
  lat_status st = LAT_OK;
  if (r->type != REDIS_REPLY_INTEGER || r->integer < 0)
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "Redis: INCRBY answered something else");
  else *out = (uint64_t)r->integer;
  freeReplyObject(r);
  return st;
}

static const lat__kv_backend_t backend = {
    .name = "keyvalue-redis",
    .open = kvr_open,
    .close = kvr_close,
    .accepts = NULL,
    .get = kvr_get,
    .set = kvr_set,
    .del = kvr_del,
    .keys = kvr_keys,
    .incr = kvr_incr,
};

int lat_builtin_keyvalue_redis_main(int argc, char **argv) {
  (void)argc, (void)argv;
  return lat__kv_provider_main(&backend);
}
