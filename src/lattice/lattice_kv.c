/* lattice_kv.c: JetStream KV buckets over libnats' kvStore API
 * (PROTOCOL.md §1.5: LATTICEDATA_{lattice}, CONFIGDATA_{lattice}).
 *
 * Approach: open-or-create (look the bucket up; create it with history 1
 * when missing; look it up again when a concurrent creator won the race).
 * get/put/create/delete/purge/keys map straight onto kvStore_*.
 *
 * The watch.  libnats 3.4.1 has only a pull-style watcher
 * (kvWatcher_Next), so each watch owns one thread that loops on Next with
 * a short timeout and calls the user's function; callbacks therefore run
 * on that thread, one at a time, in revision order.  Surviving a server
 * restart: when the conn's reconnect counter moves (or Next fails), the
 * thread drops its watcher and makes a new one, retrying with a capped
 * backoff until JetStream answers again.  A new watcher starts by sending
 * the latest entry of every key again; entries at or below the highest
 * revision already given are skipped, so the user sees each change once
 * and INITIAL_DONE exactly once.  A key deleted while we were away shows
 * up as its delete marker (history 1 keeps the marker, whose revision is
 * new).
 *
 * Lost changes: under load, libnats 3.4.1's watcher was seen (about one run
 * in twenty on a busy 2-core machine) to skip live updates: after the
 * snapshot it returned revision 6 where 4 and 5 were due.  KV revisions
 * are stream sequences, and past the snapshot a watch over the whole
 * bucket must see every one of them in turn, so a jump is a loss: the
 * thread drops that watcher without giving the entry and re-watches; the
 * new snapshot (in revision order) gives the missed changes, and the
 * global revision check keeps order and avoids repeats.  A filtered watch
 * cannot see such a gap (other keys fill it); the host watches whole
 * buckets.
 *
 * Locking: watch->mu guards watch->watcher and watch->stopping, so
 * lat_lattice_kv_watch_free can stop a watcher the thread is blocked in
 * without racing the thread replacing it; the thread destroys a watcher
 * only after taking it out of the struct under mu.  last_rev,
 * initial_done, cur_init and cur_last belong to the thread alone;
 * resubscribes is atomic (read by anyone).
 *
 * Rejected: relying on libnats' watcher alone across restarts (whether its
 * consumer comes back depends on libnats internals and server state; the
 * restart test proves our path); a callback on libnats' delivery thread
 * through a hand-made JetStream push consumer (duplicates what kvStore
 * already decodes: operations, revisions, the initial-done marker). */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "lattice_int.h"

#define WATCH_POLL_MS 200      /* Next timeout: how often the thread looks up */
#define WATCH_RETRY_MIN_MS 100 /* re-watch backoff after a failure */
#define WATCH_RETRY_MAX_MS 2000

lat_status lat_lattice_kv_open(lat_lattice_conn_t *c, const char *bucket,
                               int replicas, lat_lattice_kv_t **out_kv,
                               lat_error_t *err) {
  *out_kv = NULL;
  lat_status st = lat_lattice_token_check("bucket name", bucket, err);
  if (st != LAT_OK) return st;
  if (replicas < 0 || replicas > 5)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "bucket %s: %d replicas (0..5 allowed)", bucket,
                         replicas);
  lat_lattice_kv_t *kv = lat_calloc(1, sizeof *kv);
  if (!kv) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  kv->conn = c;
  kv->bucket = lat_strndup(bucket, strlen(bucket));
  if (!kv->bucket) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto fail;
  }
  natsStatus s = js_KeyValue(&kv->kv, c->js, bucket);
  if (s == NATS_NOT_FOUND) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket;
    cfg.History = 1;
    cfg.Replicas = replicas ? replicas : 1;
    cfg.StorageType = js_FileStorage;
    s = js_CreateKeyValue(&kv->kv, c->js, &cfg);
    if (s != NATS_OK) {
      /* Someone else may have created it between our look-up and create
       * (the server refuses a create with a different config).  The
       * create's failure is the one to report, so it is written first. */
      st = lat__lattice_nats_error(s, err, "create bucket %s", bucket);
      if (js_KeyValue(&kv->kv, c->js, bucket) != NATS_OK) goto fail;
      lat_error_clear(err);
    }
  } else if (s != NATS_OK) {
    st = lat__lattice_nats_error(s, err, "open bucket %s", bucket);
    goto fail;
  }
  *out_kv = kv;
  return LAT_OK;
fail:
  lat_lattice_kv_free(kv);
  return st;
}

void lat_lattice_kv_free(lat_lattice_kv_t *kv) {
  if (!kv) return;
  kvStore_Destroy(kv->kv);
  lat_free(kv->bucket);
  lat_free(kv);
}

static lat_status len_ok(size_t len, lat_error_t *err) {
  if (len > INT32_MAX)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "value of %zu bytes", len);
  return LAT_OK;
}

lat_status lat_lattice_kv_get(lat_lattice_kv_t *kv, const char *key,
                              lat_lattice_reply_t *out_value,
                              uint64_t *out_revision, lat_error_t *err) {
  out_value->data = NULL;
  out_value->len = 0;
  kvEntry *e = NULL;
  natsStatus s = kvStore_Get(&e, kv->kv, key);
  if (s == NATS_NOT_FOUND)
    return lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX, "%s: no key %s",
                         kv->bucket, key);
  if (s != NATS_OK)
    return lat__lattice_nats_error(s, err, "%s: get %s", kv->bucket, key);
  lat_status st = lat__lattice_reply_set(out_value, kvEntry_Value(e),
                                         (size_t)kvEntry_ValueLen(e));
  if (out_revision) *out_revision = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  if (st != LAT_OK) return lat_error_set(err, st, SIZE_MAX, "out of memory");
  return LAT_OK;
}

lat_status lat_lattice_kv_put(lat_lattice_kv_t *kv, const char *key,
                              const void *data, size_t len,
                              uint64_t *out_revision, lat_error_t *err) {
  lat_status st = len_ok(len, err);
  if (st != LAT_OK) return st;
  uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, kv->kv, key, data, (int)len);
  if (s != NATS_OK)
    return lat__lattice_nats_error(s, err, "%s: put %s", kv->bucket, key);
  if (out_revision) *out_revision = rev;
  return LAT_OK;
}

lat_status lat_lattice_kv_create(lat_lattice_kv_t *kv, const char *key,
                                 const void *data, size_t len,
                                 uint64_t *out_revision, lat_error_t *err) {
  lat_status st = len_ok(len, err);
  if (st != LAT_OK) return st;
  uint64_t rev = 0;
  natsStatus s = kvStore_Create(&rev, kv->kv, key, data, (int)len);
  if (s != NATS_OK) {
    /* libnats does not return the JetStream error code here; a key that
     * now holds a value is the "exists" case, anything else is a failure. */
    kvEntry *e = NULL;
    if (kvStore_Get(&e, kv->kv, key) == NATS_OK) {
      kvEntry_Destroy(e);
      return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                           "%s: create %s: the key exists", kv->bucket, key);
    }
    return lat__lattice_nats_error(s, err, "%s: create %s", kv->bucket, key);
  }
  if (out_revision) *out_revision = rev;
  return LAT_OK;
}

/* Compare-and-set: the server refuses the write unless the key's last
 * revision is still `last` (wrong last sequence), which is how two writers
 * agree on one winner (the manager's leases). */
lat_status lat_lattice_kv_update(lat_lattice_kv_t *kv, const char *key,
                                 const void *data, size_t len, uint64_t last,
                                 uint64_t *out_revision, lat_error_t *err) {
  lat_status st = len_ok(len, err);
  if (st != LAT_OK) return st;
  uint64_t rev = 0;
  natsStatus s = kvStore_Update(&rev, kv->kv, key, data, (int)len, last);
  if (s != NATS_OK) {
    kvEntry *e = NULL;
    if (kvStore_Get(&e, kv->kv, key) == NATS_OK) {
      uint64_t now = kvEntry_Revision(e);
      kvEntry_Destroy(e);
      if (now != last)
        return lat_error_set(err, LAT_EINVALID, SIZE_MAX,
                             "%s: update %s: revision %llu is not %llu", kv->bucket, key,
                             (unsigned long long)now, (unsigned long long)last);
    }
    return lat__lattice_nats_error(s, err, "%s: update %s", kv->bucket, key);
  }
  if (out_revision) *out_revision = rev;
  return LAT_OK;
}

lat_status lat_lattice_kv_delete(lat_lattice_kv_t *kv, const char *key,
                                 lat_error_t *err) {
  natsStatus s = kvStore_Delete(kv->kv, key);
  if (s != NATS_OK)
    return lat__lattice_nats_error(s, err, "%s: delete %s", kv->bucket, key);
  return LAT_OK;
}

lat_status lat_lattice_kv_purge(lat_lattice_kv_t *kv, const char *key,
                                lat_error_t *err) {
  natsStatus s = kvStore_Purge(kv->kv, key, NULL);
  if (s != NATS_OK)
    return lat__lattice_nats_error(s, err, "%s: purge %s", kv->bucket, key);
  return LAT_OK;
}

void lat_lattice_keys_fini(lat_lattice_keys_t *k) {
  if (!k) return;
  for (size_t i = 0; i < k->count; i++) lat_free(k->keys[i]);
  lat_free(k->keys);
  k->keys = NULL;
  k->count = 0;
}

lat_status lat_lattice_kv_keys(lat_lattice_kv_t *kv, lat_lattice_keys_t *out,
                               lat_error_t *err) {
  out->keys = NULL;
  out->count = 0;
  kvKeysList list = {0};
  natsStatus s = kvStore_Keys(&list, kv->kv, NULL);
  if (s == NATS_NOT_FOUND) return LAT_OK; /* an empty bucket */
  if (s != NATS_OK)
    return lat__lattice_nats_error(s, err, "%s: keys", kv->bucket);
  lat_status st = LAT_OK;
  if (list.Count > 0) {
    out->keys = lat_calloc((size_t)list.Count, sizeof *out->keys);
    if (!out->keys) st = LAT_ENOMEM;
    for (int i = 0; st == LAT_OK && i < list.Count; i++) {
      out->keys[i] = lat_strndup(list.Keys[i], strlen(list.Keys[i]));
      if (!out->keys[i])
        st = LAT_ENOMEM;
      else
        out->count++;
    }
  }
  kvKeysList_Destroy(&list);
  if (st != LAT_OK) {
    lat_lattice_keys_fini(out);
    return lat_error_set(err, st, SIZE_MAX, "out of memory");
  }
  return LAT_OK;
}

/* ---- watch
 * ------------------------------------------------------------------- */
struct lat_lattice_kv_watch {
  lat_lattice_kv_t *kv;       /* borrowed; outlives the watch */
  char *keys;                 /* owned filter, NULL: all */
  lat_lattice_kv_watch_fn fn; /* immutable */
  void *ctx;
  pthread_t thread;
  pthread_mutex_t mu; /* guards watcher, stopping */
  pthread_cond_t cv;  /* signalled when stopping is set */
  kvWatcher *watcher; /* the current libnats watcher, NULL between two */
  bool stopping;
  atomic_uint_fast64_t resubscribes; /* watchers made after the first */
  /* the thread's own */
  bool all_keys;     /* no filter: revisions after the snapshot are dense */
  uint64_t last_rev; /* highest revision given to fn */
  bool initial_done; /* INITIAL_DONE given */
  bool cur_init;     /* the current watcher has sent its initial marker */
  uint64_t cur_last; /* last revision the current watcher sent, 0: none */
};

static natsStatus make_watcher(lat_lattice_kv_watch_t *w, kvWatcher **out) {
  kvWatchOptions o;
  kvWatchOptions_Init(&o);
  return w->keys ? kvStore_Watch(out, w->kv->kv, w->keys, &o)
                 : kvStore_WatchAll(out, w->kv->kv, &o);
}

/* Sleeps up to ms unless stopping; returns true when stopping. */
static bool wait_or_stop(lat_lattice_kv_watch_t *w, uint32_t ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&w->mu);
  while (!w->stopping &&
         pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT) {
  }
  bool stop = w->stopping;
  pthread_mutex_unlock(&w->mu);
  return stop;
}

/* Takes the watcher out of the struct and destroys it. */
static void drop_watcher(lat_lattice_kv_watch_t *w) {
  pthread_mutex_lock(&w->mu);
  kvWatcher *old = w->watcher;
  w->watcher = NULL;
  pthread_mutex_unlock(&w->mu);
  kvWatcher_Destroy(old);
}

/* Gives e to fn unless it was given before.  Returns false, giving
 * nothing, when e reveals that the current watcher skipped revisions. */
static bool deliver(lat_lattice_kv_watch_t *w, kvEntry *e) {
  if (!e) { /* libnats' marker: this watcher's initial values have come */
    w->cur_init = true;
    if (w->initial_done) return true;
    w->initial_done = true;
    lat_lattice_kv_event_t ev = {.op = LAT_LATTICE_KV_INITIAL_DONE};
    w->fn(w->ctx, &ev);
    return true;
  }
  uint64_t rev = kvEntry_Revision(e);
  /* Past its snapshot, a watch over the whole bucket sees every stream
   * sequence in turn; a jump means changes were lost on the way. */
  if (w->all_keys && w->cur_init && w->cur_last && rev != w->cur_last + 1)
    return false;
  w->cur_last = rev;
  if (rev <= w->last_rev) return true; /* given before a re-watch */
  w->last_rev = rev;
  lat_lattice_kv_event_t ev = {.key = kvEntry_Key(e), .revision = rev};
  switch (kvEntry_Operation(e)) {
    case kvOp_Delete:
      ev.op = LAT_LATTICE_KV_DELETE;
      break;
    case kvOp_Purge:
      ev.op = LAT_LATTICE_KV_PURGE;
      break;
    default:
      ev.op = LAT_LATTICE_KV_PUT;
      ev.value = (const uint8_t *)kvEntry_Value(e);
      ev.len = (size_t)kvEntry_ValueLen(e);
      break;
  }
  w->fn(w->ctx, &ev);
  return true;
}

static void *watch_main(void *arg) {
  lat_lattice_kv_watch_t *w = arg;
  uint64_t seen_reconnects = lat_lattice_conn_reconnects(w->kv->conn);
  uint32_t backoff = WATCH_RETRY_MIN_MS;
  for (;;) {
    pthread_mutex_lock(&w->mu);
    bool stop = w->stopping;
    kvWatcher *cur = w->watcher;
    pthread_mutex_unlock(&w->mu);
    if (stop) break;

    if (!cur) {
      kvWatcher *nw = NULL;
      if (make_watcher(w, &nw) != NATS_OK) {
        if (wait_or_stop(w, backoff)) break;
        backoff =
            backoff * 2 > WATCH_RETRY_MAX_MS ? WATCH_RETRY_MAX_MS : backoff * 2;
        continue;
      }
      backoff = WATCH_RETRY_MIN_MS;
      w->cur_init = false;
      w->cur_last = 0;
      atomic_fetch_add(&w->resubscribes, 1);
      pthread_mutex_lock(&w->mu);
      if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        kvWatcher_Destroy(nw);
        break;
      }
      w->watcher = cur = nw;
      pthread_mutex_unlock(&w->mu);
    }

    kvEntry *e = NULL;
    natsStatus s = kvWatcher_Next(&e, cur, WATCH_POLL_MS);
    if (s == NATS_OK) {
      bool ok = deliver(w, e);
      kvEntry_Destroy(e);
      if (!ok) drop_watcher(w); /* a gap: re-watch from the snapshot */
      continue;
    }
    uint64_t r = lat_lattice_conn_reconnects(w->kv->conn);
    if (s == NATS_TIMEOUT && r == seen_reconnects) continue;
    /* Reconnected since the watcher was made, stopped, or failed: start
     * again from the top; deliver() skips what was already given. */
    seen_reconnects = r;
    drop_watcher(w);
  }
  drop_watcher(w);
  return NULL;
}

lat_status lat_lattice_kv_watch(lat_lattice_kv_t *kv, const char *keys,
                                lat_lattice_kv_watch_fn fn, void *ctx,
                                lat_lattice_kv_watch_t **out_watch,
                                lat_error_t *err) {
  *out_watch = NULL;
  lat_lattice_kv_watch_t *w = lat_calloc(1, sizeof *w);
  if (!w) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  w->kv = kv;
  w->fn = fn;
  w->ctx = ctx;
  w->all_keys = !keys || strcmp(keys, ">") == 0;
  atomic_init(&w->resubscribes, 0);
  lat_status st = LAT_OK;
  if (keys && !(w->keys = lat_strndup(keys, strlen(keys)))) {
    lat_free(w);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  /* The first watcher is made here so a bad filter or a missing bucket is
   * reported to the caller instead of retried forever. */
  natsStatus s = make_watcher(w, &w->watcher);
  if (s != NATS_OK) {
    st = lat__lattice_nats_error(s, err, "%s: watch %s", kv->bucket,
                                 keys ? keys : ">");
    goto fail;
  }
  if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
    kvWatcher_Destroy(w->watcher);
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: watch thread: %s",
                       kv->bucket, strerror(errno));
    goto fail;
  }
  *out_watch = w;
  return LAT_OK;
fail:
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  lat_free(w->keys);
  lat_free(w);
  return st;
}

uint64_t lat_lattice_kv_watch_resubscribes(lat_lattice_kv_watch_t *w) {
  return w ? atomic_load(&w->resubscribes) : 0;
}

void lat_lattice_kv_watch_free(lat_lattice_kv_watch_t *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  w->stopping = true;
  if (w->watcher) kvWatcher_Stop(w->watcher); /* wakes a blocked Next */
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_cond_destroy(&w->cv);
  pthread_mutex_destroy(&w->mu);
  lat_free(w->keys);
  lat_free(w);
}
