/* manager_int.h: what the manager's files share (not for other subsystems).
 *
 * One lat_manager_t serves several lattices (mgr_lattice_t each).  Three
 * kinds of threads touch a lattice:
 *   - libnats callbacks (API requests, lattice events): they parse, note
 *     what changed under lt->mu and wake the reconciler, or hand an API
 *     request to the API worker; they never block on the network;
 *   - the KV watch thread of wadm_manifests: it replaces lt->apps entries;
 *   - the API worker (one) and the reconciler thread (one per manager):
 *     they do the blocking requests, never while holding lt->mu.
 */
#ifndef LAT_MANAGER_INT_H
#define LAT_MANAGER_INT_H

#include <pthread.h>

#include "../lattice/lattice.h"
#include "manager.h"

#define LAT__MGR_TARGET "manager"
#define LAT__MGR_MANIFEST_BUCKET "wadm_manifests"
#define LAT__MGR_LEASE_BUCKET "lattice_manager_leases"
#define LAT__MGR_STATUS_BUCKET "lattice_manager_status"
#define LAT__MGR_STATE_BUCKET "wadm_state"

/* One application as the store holds it (a copy of the KV value). */
typedef struct {
  json_t *record;   /* {"manifests":{v:Manifest},"deployed_version":v|null} (owned) */
  uint64_t revision;
} mgr_app_t;

/* What the reconciler knows about a host. */
typedef struct {
  char *id;          /* owned */
  json_t *labels;    /* owned */
  json_t *inventory; /* owned; the last host.get answer, NULL until one came */
  uint64_t last_seen_ns;
} mgr_host_t;

/* A command issued and not yet confirmed by its event. */
typedef struct mgr_pending {
  char key[512]; /* "c|{host}|{id}" or "p|{host}|{id}" */
  uint32_t count;
  bool failed;       /* a back-off after a failure event, not a command */
  uint64_t until_ns;
  struct mgr_pending *next;
} mgr_pending_t;

/* Per-application reconciler state. */
typedef struct mgr_owned {
  char name[256];
  uint64_t lease_rev;      /* our lease's KV revision, 0: not held */
  uint64_t lease_until_ms; /* wall clock */
  char *status_text;       /* last status JSON written (owned) */
  lat_manager_manifest_t *model; /* the deployed version, parsed (owned) */
  char model_version[256];
  bool cleaned;            /* nothing of an undeployed app is left */
  struct mgr_owned *next;
} mgr_owned_t;

typedef struct mgr_lattice {
  struct lat_manager *mgr;
  char name[LAT_LATTICE_TOKEN_MAX + 1];
  lat_lattice_sub_t *api_sub, *evt_sub;
  lat_lattice_kv_watch_t *watch;
  pthread_mutex_t mu; /* guards apps, hosts, pending, dirty, configs_stale, gone */
  lat_map_t apps;     /* name -> mgr_app_t* (from the watch) */
  lat_map_t hosts;    /* host id -> mgr_host_t* */
  lat_map_t gone;     /* host ids that said goodbye (host_stopped), value unused */
  lat_map_t unhealthy; /* "host|provider" whose last health check failed, value unused */
  mgr_pending_t *pending;
  bool dirty;         /* an event asked for a sweep */
  bool configs_stale; /* a config was deleted: forget what configs_put says */
  /* the reconciler thread's own (no lock): */
  mgr_owned_t *owned;
  lat_map_t configs_put; /* config name -> json text last put (owned strings) */
  char *host_state_text;  /* wadm_state's host list last written, without last_seen */
  uint64_t host_state_ns; /* when it was written */
} mgr_lattice_t;

struct lat_manager {
  lat_manager_opts_t o;  /* strings copied below */
  char id[64];
  char api_prefix[128], ctl_prefix[128];
  lat_lattice_conn_t *conn;
  lat_lattice_kv_t *kv_manifests, *kv_leases, *kv_status, *kv_state;
  mgr_lattice_t *lats;
  size_t nlats;
  lat_queue_t *api_q;
  lat_workers_t *api_w;
  pthread_t thread;
  bool thread_started;
  pthread_mutex_t wake_mu; /* guards stop, woken */
  pthread_cond_t wake_cv;
  bool stop, woken;
};

bool lat__manager_token_ok(const char *s);
void lat__manager_wake(struct lat_manager *m);
/* wall clock in ms */
uint64_t lat__manager_wall_ms(void);

/* manager_api.c */
void lat__manager_api_msg(void *ctx, const lat_lattice_msg_t *msg); /* subscription callback */
/* The status JSON of an app for model.status / list (new reference). */
json_t *lat__manager_status_get(mgr_lattice_t *lt, const char *name);
/* A stored record's manifest of version v (NULL: the deployed one);
 * borrowed from rec. */
json_t *lat__manager_record_manifest(json_t *rec, const char *v);

/* manager_reconcile.c */
void *lat__manager_reconcile_main(void *arg);
void lat__manager_event_msg(void *ctx, const lat_lattice_msg_t *msg);
void lat__manager_watch_fn(void *ctx, const lat_lattice_kv_event_t *ev);
void lat__manager_lattice_fini(mgr_lattice_t *lt);

#endif
