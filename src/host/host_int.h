/* host_int.h: the lattice host's state, shared by its files (private).
 *
 * One mutex (lat_host_t.mu) guards the tables below: components, links,
 * named config, labels, providers.  Control-interface handlers run on the
 * host's worker threads and take it briefly; HTTP requests take it only to
 * find their target and lease it (a reference plus one of its `count`
 * concurrency slots), then run the guest without it.
 */
#ifndef LAT_HOST_INT_H
#define LAT_HOST_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../crypto/crypto.h"
#include "../http/http.h"
#include "../secrets/secrets.h"
#include "host.h"

#define LAT_HOST_VERSION "0.1.0"

/* Secret values fetched for a component or provider (host_secrets.c):
 * immutable once made, shared by reference (atomic, no lock), wiped when
 * the last reference goes. */
typedef struct lat__host_secrets {
  atomic_int refs;
  size_t n;
  struct {
    char *name;                /* the reference's short name */
    lat_secret_value_t value;  /* secret */
  } *items;
} lat__host_secrets_t;

/* One component id running on this host. */
typedef struct lat__host_comp {
  struct lat__host_comp *next;
  char *id;
  char *image_ref;
  struct code *code;        /* compiled (host_supervisor.c); shared */
  uint32_t max_instances;   /* `count`: the concurrency cap */
  uint32_t active;          /* instances running now (under mu) */
  int refs;                 /* the table's one + one per lease (under mu) */
  int32_t revision;
  json_t *annotations;      /* object, owned */
  json_t *config;           /* array of named-config names, owned */
  uint64_t max_memory;      /* component_limits; bytes */
  uint64_t max_exec_ns;
  lat_claims_t claims;      /* token NULL when unsigned */
  lat__host_secrets_t *secrets; /* its SECRET_ references' values, or NULL
                                   (a reference held; fixed for the entry) */
  pthread_cond_t idle;      /* signalled when active drops */
} lat__host_comp_t;

/* A provider this host runs: a builtin (image_ref wasmcloud+builtin://...)
 * or an executable (file://PATH) supervised by host_providers.c. */
typedef struct lat__host_prov {
  struct lat__host_prov *next;
  char *id;
  char *image_ref;
  json_t *annotations;
  json_t *config;           /* array of config names */
  struct lat__host_proc *proc; /* the executable's supervision; NULL for a builtin */
} lat__host_prov_t;

/* What the host does to the lattice (host_nats.c implements these over
 * NATS; tests may record them).  Every function returns a lat_status. */
typedef struct {
  /* publishes event `name` (component_scaled, ...) with data (borrowed) */
  lat_status (*event)(void *env, const char *name, json_t *data);
  /* KV: bucket is LAT__HOST_LATTICEDATA or LAT__HOST_CONFIGDATA */
  lat_status (*kv_put)(void *env, int bucket, const char *key, const char *json);
  lat_status (*kv_del)(void *env, int bucket, const char *key);
  void *env;
} lat__host_io_t;

#define LAT__HOST_LATTICEDATA 0
#define LAT__HOST_CONFIGDATA 1

struct lat_host {
  pthread_mutex_t mu;
  pthread_cond_t stop_cv;    /* stopping set; initial KV catch-up progress */
  /* identity and settings: fixed after lat_host_new */
  lat_nkey_t key;            /* N... */
  char id[LAT_NKEY_PUBLIC_LEN + 1];
  char *friendly_name;
  char *lattice;
  bool allow_file_load;
  bool require_signed;       /* or an issuer list: unsigned artifacts refused */
  json_t *allowed_issuers;   /* array of A... keys, empty = any (fixed) */
  bool compiled;                 /* lat_host_opts_t.compiled */
  char *builtin_exe;         /* runs `provider NAME` for builtin refs, or NULL */
  json_t *builtin_names;     /* array of the builtin provider names it runs */
  uint64_t started_ns;       /* lat_now_ns at start */
  uint64_t default_max_memory;
  uint64_t default_max_exec_ns;
  char *ctl_host, *rpc_host, *js_domain; /* for host.ping, may be NULL */
  /* what HostData hands providers for the rpc connection (PROTOCOL §5.1):
   * the rpc user's JWT and seed (from its creds file or seed; "" when
   * none; the seed is secret, wiped at free) and the TLS files (NULL when
   * none; lattice_rpc_tls_* are Lattice's additions to HostData) */
  char *rpc_jwt, *rpc_seed, *rpc_tls_ca, *rpc_tls_cert, *rpc_tls_key;
  char *ctl_prefix;
  uint64_t heartbeat_ns;
  lat__host_io_t io;
  /* NATS (host_core.c): fixed after lat_host_new; the objects are thread-safe */
  lat_lattice_conn_t *ctl, *rpc;
  lat_lattice_kv_t *kv[2];   /* LAT__HOST_LATTICEDATA, LAT__HOST_CONFIGDATA */
  lat_lattice_kv_watch_t *watch[2];
  lat_lattice_sub_t **subs;
  size_t nsubs;
  lat_queue_t *queue;        /* control requests handed off by libnats threads */
  lat_workers_t *workers;
  pthread_t heartbeat;
  bool heartbeat_started;
  lat_http_server_t *admin;  /* --http-admin, or NULL */
  int initial_left;          /* KV watches not yet caught up (under mu) */
  /* wRPC (host_wrpc.c) */
  bool accept_unlinked;      /* --accept-unlinked-calls: the 1.x behaviour */
  uint32_t rpc_timeout_ms;   /* outgoing wRPC calls */
  lat_queue_t *wrpc_queue;   /* handlers of served exports run on its workers */
  lat_workers_t *wrpc_workers;
  pthread_mutex_t wrpc_mu;   /* guards wsrvs */
  lat_wrpc_http_types_t http_types; /* wrpc:http's (in http_arena), fixed */
  lat_wasi_http_client_t http_client; /* every exchange's outgoing policy: the
                                         transfer hook (host_http_client.c) */
  lat_arena_t http_arena;
  struct lat__host_wsrv *wsrvs; /* servers per component id */
  /* under mu */
  json_t *labels;            /* object string -> string */
  lat__host_comp_t *comps;
  lat__host_prov_t *provs;
  json_t *links;             /* object: source id -> array of Link objects (the KV view) */
  json_t *configs;           /* object: config name -> object (the KV view) */
  json_t *claims;            /* object: subject -> stored claims object */
  /* executable providers (host_providers.c): fixed after lat_host_new */
  lat_nkey_t xkey;           /* the host's curve key (HostData host_xkey_public_key) */
  /* secrets (host_secrets.c): fixed after lat_host_new but the clients */
  char *secrets_topic;       /* --secrets-topic */
  lat_nkey_t account;        /* throwaway account key: issues host_jwt and
                                provider tokens */
  char *host_jwt;
  pthread_mutex_t secrets_mu; /* guards backends, retired */
  struct lat__host_backend *backends, *retired;
  uint64_t prov_health_ns;   /* between health checks; 30 s */
  uint64_t prov_first_health_ns; /* the first one after start; 5 s */
  uint64_t prov_restart_ns;  /* before restarting one that exited; 5 s */
  uint32_t prov_shutdown_ms; /* the shutdown request's wait before SIGTERM */
  bool stopping;
  /* the built-in HTTP server (host_routes.c) */
  pthread_mutex_t routes_mu; /* guards listeners and their routes, hclients */
  struct lat__host_listener *listeners;
  struct lat__host_hclient *hclients; /* built-in http-clients served over wRPC */
};


/* ---- host_supervisor.c ---- */

/* A component.scale request, validated. */
typedef struct {
  const char *id, *ref;
  uint32_t count;
  json_t *annotations;   /* borrowed, may be NULL */
  json_t *config;        /* array of config names, borrowed, may be NULL */
  bool allow_update;
  uint64_t max_memory;   /* 0: the host's default */
  uint64_t max_exec_ns;  /* 0: the host's default */
} lat__host_scale_t;

/* Does the scale (fetch, verify, compile outside the lock) and publishes
 * component_scaled or component_scale_failed. */
void lat__host_scale(lat_host_t *h, const lat__host_scale_t *sc);
/* Frees every entry (at shutdown, after the servers stopped). */
void lat__host_comps_free(lat_host_t *h);
lat__host_comp_t *lat__host_comp_find(lat_host_t *h, const char *id); /* under mu */
/* Turns a reference into bytes (file:// now; OCI later).  Returns new. */
lat_status lat__host_fetch(lat_host_t *h, const char *ref, uint8_t **out, size_t *out_len,
                           lat_error_t *err);

/* ---- host_ctl.c ---- */

/* Work a request leaves for after its reply is sent. */
enum { LAT__HOST_JOB_NONE, LAT__HOST_JOB_SCALE, LAT__HOST_JOB_STOP, LAT__HOST_JOB_PROV_START,
       LAT__HOST_JOB_PROV_STOP };
typedef struct {
  int kind;
  lat__host_prov_t *prov;   /* PROV_START (in h->provs) / PROV_STOP (taken out, owned) */
  json_t *req;              /* the parsed request scale points into (owned) */
  json_t *hold;             /* other objects scale borrows, kept alive (owned) */
  lat__host_scale_t scale;
} lat__host_job_t;

/* Handles one control-interface request.  noun/verb as in the subject;
 * target = the host id, config name or NULL.  Returns the reply (JSON text,
 * new: free with lat_free) or NULL when no reply is to be sent (auctions the
 * host does not win, registry.put); *job what to do after replying. */
char *lat__host_ctl(lat_host_t *h, const char *noun, const char *verb, const char *target,
                    const char *data, size_t len, lat__host_job_t *job);
/* Runs the job (STOP is the caller's) and releases it. */
void lat__host_job_run(lat_host_t *h, lat__host_job_t *job);
bool lat__host_token_ok(const char *s);
void lat__host_prov_free(lat__host_prov_t *p);
json_t *lat__host_inventory(lat_host_t *h); /* under mu */
json_t *lat__host_ping_info(lat_host_t *h); /* under mu */

/* ---- host_providers.c ---- */

/* Reads the provider settings (opts, then LATTICE_PROVIDER_* env) and makes
 * the host's xkey. */
lat_status lat__host_provs_init(lat_host_t *h, const lat_host_opts_t *o, lat_error_t *err);
/* Spawns p's executable (p is in h->provs, proc set up by
 * lat__host_prov_exec_new) and waits, bounded, for its first health
 * answer; publishes provider_started, or provider_start_failed and then
 * removes and frees p.  Runs as a job after the start reply. */
void lat__host_prov_launch(lat_host_t *h, lat__host_prov_t *p);
void lat__host_proc_free(struct lat__host_proc *x); /* accepts NULL */
/* Prepares p for an executable at path (copied). */
lat_status lat__host_prov_exec_new(lat__host_prov_t *p, const char *path);
/* The same for a builtin provider: path `provider` name. */
lat_status lat__host_prov_builtin_new(lat__host_prov_t *p, const char *exe, const char *name);
/* p, already out of h->provs: asks it to shut down, then SIGTERM, SIGKILL
 * (every wait bounded), publishes provider_stopped and frees p. */
void lat__host_prov_halt(lat_host_t *h, lat__host_prov_t *p, const char *reason);
/* Sends link puts and dels so each running executable provider has the
 * links it is source or target of (call after any link or config change,
 * without mu). */
void lat__host_provs_links_sync(lat_host_t *h);

/* ---- host_routes.c ---- */

/* Re-reads links, providers and config and opens or closes the built-in
 * HTTP server's listeners to match (call without mu). */
void lat__host_http_sync(lat_host_t *h);
/* Closes every listener (at shutdown; requests in flight finish). */
void lat__host_http_stop(lat_host_t *h);

/* ---- host_links.c ---- */

/* An interface the guest named (wasmcloud:bus call-target-interface), and
 * the link name it chose for it. */
typedef struct {
  char ns[64], pkg[64], iface[64];
  char link_name[64];    /* "" for a call-target-interface handle */
} lat__host_target_t;

#define LAT__HOST_TARGETS 32 /* handles plus overrides per invocation */

#define LAT__HOST_TRACEPARENT_LEN 55 /* version 00: 2-32-16-2 hex digits, dashes */
#define LAT__HOST_TRACESTATE_MAX 512 /* W3C: at most 32 members, ~512 bytes */

/* Who is running on this thread (thread-local, nested calls stack). */
typedef struct lat__host_inv {
  struct lat__host_inv *outer;
  lat_host_t *h;
  char source[256];      /* the running component's id */
  json_t *config;        /* its config names (a reference) */
  lat__host_secrets_t *secrets; /* its secret values (a reference), or NULL */
  /* wasmcloud:bus: call-target-interface handles (rep = index + 1) and the
   * link names set per interface (the rest use "default") */
  lat__host_target_t handles[LAT__HOST_TARGETS];
  uint32_t nhandles;
  lat__host_target_t names[LAT__HOST_TARGETS];
  uint32_t nnames;
  /* wasi:keyvalue (host_keyvalue.c): the identifiers of the buckets this
   * invocation opened (rep = index + 1; NULL once dropped), owned */
  char **buckets;
  uint32_t nbuckets;
  /* W3C trace context of the request this invocation serves ("" none),
   * passed on unchanged to every call it makes (PROTOCOL §4.2) */
  char traceparent[LAT__HOST_TRACEPARENT_LEN + 1];
  char tracestate[LAT__HOST_TRACESTATE_MAX + 1];
  /* wasi:blobstore (host_blobstore.c): this invocation's containers,
   * values and listings, owned; NULL until its first call */
  struct lat__host_blob *blob;
} lat__host_inv_t;
/* Takes the trace context from a request's headers (get(env, name) gives a
 * header's value or NULL); a malformed traceparent is ignored (W3C: start
 * afresh), and tracestate only travels with a traceparent. */
void lat__host_inv_trace(lat__host_inv_t *inv, const char *traceparent, const char *tracestate);
/* Appends inv's trace headers (0, 1 or 2) to hdrs at *n (room for 2). */
void lat__host_trace_headers(const lat__host_inv_t *inv, lat_lattice_header_t *hdrs, size_t *n);
void lat__host_inv_enter(lat__host_inv_t *inv, lat_host_t *h, const char *source,
                         json_t *config, lat__host_secrets_t *secrets);
void lat__host_inv_leave(lat__host_inv_t *inv);
/* The invocation running on this thread, or NULL. */
lat__host_inv_t *lat__host_inv_current(void);
/* The link name the guest chose for ns:pkg/iface (wasmcloud:bus), or
 * "default".  Borrowed from inv. */
const char *lat__host_link_name(const lat__host_inv_t *inv, const char *ns, const char *pkg,
                                const char *iface);
/* The host's lat_host_link_fn: host interfaces, and forwarders for the
 * component's custom imports. */
lat_status lat__host_link(lat_clinker_t *l, const lat_component_t *c, void *env,
                          lat_error_t *err);

/* A request's hold on a component: a reference, its code and a slot. */
typedef struct {
  lat__host_comp_t *comp;
  struct code *code;
  lat_host_component_t *hc;
  uint64_t max_exec_ns;
  json_t *config;        /* the component's config names (a reference) */
  lat__host_secrets_t *secrets; /* its secret values (a reference), or NULL */
  bool slot;             /* holds one of the `count` slots */
} lat__host_lease_t;
/* Takes a slot of component id, waiting up to wait_ns for one to free up;
 * LAT_ENOTFOUND when it does not run here, LAT_ELIMIT when still full. */
lat_status lat__host_lease(lat_host_t *h, const char *id, uint64_t wait_ns,
                           lat__host_lease_t *out, lat_error_t *err);
void lat__host_release(lat_host_t *h, lat__host_lease_t *l);
/* A hold: the entry and its code kept alive, no slot taken (to look at the
 * component, not run it).  Released with lat__host_release. */
lat_status lat__host_hold(lat_host_t *h, const char *id, lat__host_lease_t *out,
                          lat_error_t *err);

/* ---- host_keyvalue.c ---- */
/* wasi:keyvalue store/atomics/batch for a component that imports any of
 * them (nothing otherwise): forwarded to the linked provider over wRPC. */
lat_status lat__host_keyvalue_link(lat_clinker_t *l, const lat_component_t *c, lat_error_t *err);

/* ---- host_blobstore.c ---- */
typedef struct lat__host_blob lat__host_blob_t;
/* wasi:blobstore blobstore/container/types for a component that imports
 * any of them (nothing otherwise): forwarded to the linked provider as
 * wrpc:blobstore/blobstore@0.2.0. */
lat_status lat__host_blobstore_link(lat_clinker_t *l, const lat_component_t *c, lat_error_t *err);
/* An invocation's blobstore state (lat__host_inv_leave; after the
 * instance is freed: its streams borrow this memory).  Accepts NULL. */
void lat__host_blob_free(lat__host_blob_t *b);

/* ---- host_wrpc.c ---- */
/* Serves id's exported custom interfaces over wRPC as its entry now is
 * (none when it stopped); call after any scale or update of id. */
void lat__host_wrpc_sync(lat_host_t *h, const char *id);
/* Stops every wRPC server (waits for calls in flight). */
void lat__host_wrpc_stop(lat_host_t *h);
/* The forwarder's remote path: calls target's instance.func over wRPC with
 * the lifted args, the result into the caller's arena; traps the caller
 * with the reason on failure. */
lat_status lat__host_wrpc_call(lat_host_t *h, lat_chost_call_t *c, const char *source,
                               const char *link_name, const char *target, const char *instance,
                               const char *func, const lat_ctype_t *ft, const lat_cval_t *args,
                               lat_cval_t *result);
/* True for an interface linked and served by name over the lattice: a
 * custom one (a namespace other than wasi, wasmcloud, wrpc) or
 * wasmcloud:messaging's (the consumer import forwarded to the linked
 * provider, the handler export served to it). */
bool lat__host_wrpc_iface(const lat_cname_t *name);
/* One served function (its handler's ctx): the component id, the export
 * as served on the wire, and its name parsed (ns, pkg, iface: what the
 * caller's link must name). */
typedef struct {
  lat_host_t *h;
  char *id, *instance, *func;
  lat_cname_t name; /* in arena */
  lat_arena_t arena;
} lat__host_sctx_t;
/* The callee's link check: the call's source-id has a link (named by its
 * link-name, default "default") to x->id for x->name's interface, or the
 * host accepts unlinked calls.  LAT_EUNLINKABLE with the reason otherwise. */
lat_status lat__host_callee_check(lat__host_sctx_t *x, const lat_wrpc_request_t *req,
                                  lat_error_t *err);

/* ---- host_secrets.c ---- */
/* The topic, the host's account key and host JWT (at lat_host_new). */
lat_status lat__host_secrets_init(lat_host_t *h, const lat_host_opts_t *o, lat_error_t *err);
void lat__host_secrets_fini(lat_host_t *h);
lat__host_secrets_t *lat__host_secrets_retain(lat__host_secrets_t *s); /* accepts NULL */
void lat__host_secrets_release(lat__host_secrets_t *s);                /* accepts NULL */
/* True when the config names hold a SECRET_ reference. */
bool lat__host_has_secret_refs(json_t *names);
/* Fetches every SECRET_ reference among names (call without mu) for the
 * entity entity_jwt (NULL: unsigned, refused when there is a reference).
 * *out is new (NULL when there is none); any failure fails it all, with
 * the reason in err (never a value). */
lat_status lat__host_secrets_resolve(lat_host_t *h, json_t *names, const char *entity_jwt,
                                     json_t *annotations, lat__host_secrets_t **out,
                                     lat_error_t *err);
/* The token the host vouches for provider id with (new, lat_free). */
char *lat__host_provider_token(lat_host_t *h, const char *id, lat_error_t *err);
/* {name: SecretValue} (new, holds the values: free with
 * lat__host_secrets_json_free); an empty object for NULL. */
json_t *lat__host_secrets_json(const lat__host_secrets_t *s);
void lat__host_secrets_json_free(json_t *o);
/* s as JSON sealed by the host's xkey to `to`, as a JSON array of bytes;
 * null when s is NULL or empty (PROTOCOL §5.3).  New; NULL: failure. */
json_t *lat__host_secrets_seal(lat_host_t *h, const lat__host_secrets_t *s, const lat_nkey_t *to);
/* wasmcloud:secrets store and reveal for a component that imports them. */
lat_status lat__host_secrets_link(lat_clinker_t *l, const lat_component_t *c, lat_error_t *err);

/* ---- host_http_client.c ---- */
/* lat_wasi_http_client_t.transfer for every exchange (env: the host): the
 * request to the http-client the running component is linked to. */
lat_status lat__host_http_transfer(void *env, lat_wasi_http_xfer_t *x);

/* Serves wrpc:http/outgoing-handler for every built-in http-client this
 * host runs, stops serving those gone (call without mu; from
 * lat__host_http_sync).  stop: every one (at shutdown). */
void lat__host_http_client_sync(lat_host_t *h);
void lat__host_http_client_stop(lat_host_t *h);

/* ---- host_http_wrpc.c ---- */
/* The handler serving a component's wasi:http/incoming-handler export as
 * wrpc:http/incoming-handler@0.1.0.handle (ctx: its lat__host_sctx_t). */
lat_status lat__host_http_wrpc_handle(void *ctx, const lat_wrpc_request_t *req,
                                      lat_buf_t *results, lat_error_t *err);
/* Header lists between wasi:http's and wrpc:http's forms, in a (names
 * copied where they need a NUL; values borrowed); NULL: out of memory. */
lat_wrpc_http_field_t *lat__host_wrpc_fields(lat_arena_t *a, const lat_wasi_http_header_t *h,
                                             size_t n);
lat_wasi_http_header_t *lat__host_wasi_headers(lat_arena_t *a, const lat_wrpc_http_field_t *f,
                                               size_t n);

/* The named configs `names` (an array) merged in order, later keys
 * winning, SECRET_* references skipped; a new object (NULL: out of
 * memory).  Under mu. */
json_t *lat__host_config_merge(lat_host_t *h, json_t *names);

/* True when source has a link named name for ns:pkg/iface, its target in
 * target (under mu). */
bool lat__host_has_link(lat_host_t *h, const char *source, const char *ns, const char *pkg,
                        const char *iface, const char *name, char *target, size_t cap);

#endif
