/* lattice_int.h: private to src/lattice.  The structs behind the opaque
 * handles, and the one mapping from libnats status to ours. */
#ifndef LAT_LATTICE_INT_H
#define LAT_LATTICE_INT_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../crypto/crypto.h"
#include "lattice.h"

struct lat_lattice_conn {
  natsConnection *nc; /* set once by conn_new; libnats locks it itself */
  natsOptions *opts;  /* kept for the life of nc (holds the callbacks) */
  jsCtx *js;          /* JetStream context; created at connect, immutable */
  char *servers_text; /* for messages: the URLs we were given */
  lat_nkey_t nkey;    /* user nkey when signing nonces ourselves (secret) */
  bool has_nkey;
  char *user_jwt;     /* with nkey: the user JWT libnats sends (owned) */
  uint32_t reconnect_wait_ms; /* immutable after connect */
  uint32_t reconnect_max_ms;
  lat_lattice_conn_event_fn on_event; /* immutable after connect */
  void *on_event_ctx;
  /* No mutex for the fields above: written before nc exists, read-only
   * afterwards.  The counter is written by libnats' callback thread and
   * read by anyone, hence atomic. */
  atomic_uint_fast64_t reconnects;
  struct lat__wrpc_mux *wrpc_mux; /* wRPC client inbox, made on first use
                                     (lattice_wrpc_nats.c); guarded by mu */
  pthread_mutex_t mu; /* guards closed, wrpc_mux */
  pthread_cond_t cv;  /* signalled when closed is set */
  bool closed;        /* libnats has run the closed callback: after it,
                         no callback touches this struct, so free may go */
};

struct lat_lattice_kv {
  lat_lattice_conn_t *conn; /* borrowed; outlives the kv */
  kvStore *kv;              /* libnats handle, thread-safe */
  char *bucket;
};

/* Fills err from a libnats failure: "<what>: <libnats status text>
 * (<last error detail>)", and returns our status for s. */
lat_status lat__lattice_nats_error(natsStatus s, lat_error_t *err,
                                   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The status a libnats failure maps to (see lattice.h). */
lat_status lat__lattice_status(natsStatus s);

/* The reconnect delay after `attempts` failed passes (1, 2, ...): wait_ms
 * doubled per pass, capped at max_ms, then reduced by rnd modulo half of
 * it (jitter), so the result lies in [capped / 2, capped]. */
uint32_t lat__lattice_backoff_ms(uint32_t wait_ms, uint32_t max_ms,
                                 int attempts, uint32_t rnd);

/* Frees the conn's wRPC client inbox (lattice_wrpc_nats.c); conn_free
 * calls it before closing.  Accepts NULL. */
void lat__wrpc_mux_free(struct lat__wrpc_mux *m);

/* Appends path's data to l, taking ownership of data (lat_free; freed on
 * failure too).  The checks of lat_wrpc_asyncs_add (lattice_wrpc.c). */
lat_status lat__wrpc_asyncs_take(lat_wrpc_asyncs_t *l, const lat_wrpc_path_t *path,
                                 uint8_t *data, size_t len, lat_error_t *err);

/* Copies n bytes into an owned reply with a NUL after them. */
lat_status lat__lattice_reply_set(lat_lattice_reply_t *r, const void *data,
                                  size_t n);

#endif
