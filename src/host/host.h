/* host: what long-running Lattice programs are built from.
 *
 * The component runner every program shares (`lattice run`, `call`,
 * `serve` and the lattice host): a component decoded, linked against the
 * WASI 0.2 host (and any further host interfaces) and pre-linked once,
 * shared by every thread; and instances made from it, each with its own
 * store, WASI context and WASI 0.2 state, torn down together.  The HTTP
 * front end that serves a wasi:http/incoming-handler component with a
 * fresh instance per request is here too (host_http.c, over src/http).
 *
 * Nothing here prints: failures come back as lat_status with lat_error_t
 * detail; daemons log through base's logger.
 */
#ifndef LAT_HOST_H
#define LAT_HOST_H

#include "../base/base.h"
#include "../component/component.h"
#include "../lattice/lattice.h"
#include "../wasi/wasi.h"
#include "../wasm/wasm.h"

/* ---- components (host_component.c) ---------------------------------------- */

typedef struct lat_host_component lat_host_component_t;

/* Adds host interfaces to a linker after WASI 0.2 (e.g. `lattice call
 * --host WIT`, the lattice's own interfaces); c is the component being
 * linked, for hosts that define what it imports. */
typedef lat_status (*lat_host_link_fn)(lat_clinker_t *l, const lat_component_t *c, void *env,
                                       lat_error_t *err);

typedef struct {
  lat_wasm_limits_t limits; /* every instance's store limits (limits.pool is
                               replaced by the component's pool when
                               pool_regions is set) */
  size_t pool_regions;      /* > 0: memories and stacks of this component's
                               stores come from a pool keeping at most this
                               many free regions (servers); 0: none */
  lat_host_link_fn link;    /* optional, called once */
  void *link_env;
  bool compiled;            /* run the component's core modules compiled
                               (src/aot, through the object cache); a module
                               the tier cannot compile stays interpreted */
} lat_host_component_opts_t;

/* Decodes, validates and pre-links bytes (copied).  opts may be NULL.
 * LAT_EUNLINKABLE names an import no host interface provides.  Returns new
 * (free with lat_host_component_free). */
lat_status lat_host_component_new(const uint8_t *bytes, size_t len,
                                  const lat_host_component_opts_t *opts,
                                  lat_host_component_t **out, lat_error_t *err);
/* The same from a file. */
lat_status lat_host_component_load(const char *path,
                                   const lat_host_component_opts_t *opts,
                                   lat_host_component_t **out, lat_error_t *err);
/* No instance may be left.  Accepts NULL. */
void lat_host_component_free(lat_host_component_t *c);
/* Borrowed from c. */
const lat_component_t *lat_host_component_decoded(const lat_host_component_t *c);
const lat_clinker_t *lat_host_component_linker(const lat_host_component_t *c);
/* True when c exports interface ns:pkg/iface (any version). */
bool lat_host_component_exports(const lat_host_component_t *c, const char *ns,
                                const char *pkg, const char *iface);

/* ---- instances (host_component.c) ---------------------------------------- */

typedef struct lat_host_instance lat_host_instance_t;

typedef struct {
  lat_wasi_t *wasi;                  /* taken over (freed with the instance);
                                        NULL: one is made from wasi_cfg */
  const lat_wasi_config_t *wasi_cfg; /* NULL: argv {"main.wasm"}, no env,
                                        stdin empty, stdout/stderr the
                                        process's */
  uint64_t timeout_ns;               /* deadline from lat_host_instance_new;
                                        0: none */
  uint64_t fuel;                     /* 0: unlimited */
  lat_wasi_http_t *http;             /* borrowed; the request this instance
                                        serves (wasi:http), or NULL */
} lat_host_instance_opts_t;

/* A store, a WASI context and WASI 0.2 state for one instance of c (which
 * must outlive it); the component is instantiated by
 * lat_host_instance_start.  Returns new (free with lat_host_instance_free). */
lat_status lat_host_instance_new(lat_host_component_t *c,
                                 const lat_host_instance_opts_t *opts,
                                 lat_host_instance_t **out, lat_error_t *err);
/* Instantiates (runs start functions).  LAT_TRAP when one traps: the store
 * tells why (lat_host_instance_store). */
lat_status lat_host_instance_start(lat_host_instance_t *in, lat_error_t *err);
void lat_host_instance_free(lat_host_instance_t *in); /* accepts NULL */
/* Borrowed from in. */
lat_wasm_store_t *lat_host_instance_store(lat_host_instance_t *in);
lat_wasi_t *lat_host_instance_wasi(lat_host_instance_t *in);
lat_cinstance_t *lat_host_instance_cinstance(lat_host_instance_t *in); /* NULL before start */
/* Scratch for calls: lives as long as the instance. */
lat_arena_t *lat_host_instance_arena(lat_host_instance_t *in);
/* Calls export `name` of exported instance `iface` (NULL: a function
 * exported at the top level); results are lifted into the instance's arena.
 * LAT_ENOTFOUND when there is no such export. */
lat_status lat_host_instance_call(lat_host_instance_t *in, const char *iface,
                                  const char *name, const lat_cval_t *args,
                                  uint32_t nargs, lat_cval_t *out_result,
                                  lat_error_t *err);

/* ---- serving wasi:http (host_http.c) ------------------------------------- */

typedef struct lat_host_http lat_host_http_t;

/* What serves one request, when a server routes (the lattice host). */
typedef struct {
  lat_host_component_t *hc; /* borrowed until release */
  uint64_t timeout_ns;      /* the request's deadline from now; 0 = none */
  void *token;              /* handed back to release */
  /* Set instead of hc when the component runs elsewhere (another host):
   * called on the worker with the whole request, it fills *resp (borrowed
   * until release).  LAT_ENOTFOUND: 404; LAT_ETIMEOUT: 504; other: 502. */
  lat_status (*forward)(void *token, const lat_wasi_http_request_t *req,
                        lat_wasi_http_response_t *resp);
} lat_host_http_target_t;
/* Picks the component for a request (its authority is the Host header or
 * NULL; req is borrowed until release); LAT_ENOTFOUND is a 404, LAT_ELIMIT
 * a 503.  Called on the server's threads. */
typedef lat_status (*lat_host_http_route_fn)(void *env, const lat_wasi_http_request_t *req,
                                             lat_host_http_target_t *out);
typedef void (*lat_host_http_release_fn)(void *env, void *token);

typedef struct {
  const char *addr;          /* "IPv4:PORT", "[IPv6]:PORT" or "localhost:PORT"
                                (port 0 picks one) */
  unsigned threads;          /* HTTP I/O threads; 0 = cores */
  uint64_t timeout_ns;       /* per request (the guest's deadline); 0 = none */
  uint64_t max_body;         /* request body; 0 = 16 MiB (413 beyond, before
                                reading it or sending 100 Continue) */
  lat_wasi_http_client_t client; /* outgoing policy (allow list borrowed) */
  lat_host_http_route_fn route;  /* optional: per-request routing (then the
                                    component argument is NULL); called on
                                    the worker that then runs the guest and
                                    calls release */
  lat_host_http_release_fn release;
  void *route_env;
  unsigned workers;          /* guest worker threads; 0 =
                                lat_host_http_default_workers() */
  unsigned queue;            /* requests waiting for a worker; beyond: 503
                                at once; 0 = 1024 */
  unsigned max_connections;  /* 0 = 4096 */
  unsigned max_per_ip;       /* connections per client address; 0 =
                                LAT_HOST_HTTP_MAX_PER_IP */
  uint64_t header_timeout_ns; /* the whole request head; 0 = 10 s (408) */
  uint64_t body_timeout_ns;  /* the whole request body; 0 = 60 s (408) */
  uint64_t grace_ns;         /* at free: running guests may finish this
                                long, then are interrupted; 0 = 1 s */
  bool inherit_stdio;        /* guest stdout/stderr are the process's, raw;
                                false: each line is logged (escaped) */
} lat_host_http_opts_t;

#define LAT_HOST_HTTP_MAX_PER_IP 256u

/* 4 per core, at least 8: guests are CPU-bound, but a few slow or looping
 * ones must not hold every worker. */
unsigned lat_host_http_default_workers(void);

/* Serves c (borrowed, must outlive the server; it must export
 * wasi:http/incoming-handler), or what opts->route picks, on opts->addr: a
 * fresh instance per request on a pool of guest workers (never on the
 * HTTP I/O threads), the response streamed as the guest writes it; a 500
 * when the guest traps, sends no response or an invalid status, a 503
 * when every worker is busy and the queue is full.  Guests of clients that
 * went away are interrupted.  Returns new (stop and free with
 * lat_host_http_free). */
lat_status lat_host_http_new(lat_host_component_t *c, const lat_host_http_opts_t *opts,
                             lat_host_http_t **out, lat_error_t *err);
/* The port actually bound. */
uint16_t lat_host_http_port(const lat_host_http_t *h);
/* Stops accepting; queued requests get a 503, running guests opts.grace_ns
 * to finish, then they are interrupted (traps); waits for them; frees.
 * Accepts NULL. */
void lat_host_http_free(lat_host_http_t *h);

/* ---- the lattice host (host_core.c, host_ctl.c, host_supervisor.c) -----------
 *
 * A host joins a lattice over NATS, obeys the wasmCloud 1.x control
 * interface (PROTOCOL.md §1), publishes its events (§2), keeps links and
 * named config from the lattice's KV buckets, and runs components. */
typedef struct lat_host lat_host_t;

typedef struct {
  const char *lattice;           /* "default" */
  const char *seed;              /* host seed (SN...) or a file holding one;
                                    NULL: a new key */
  const char *friendly_name;     /* NULL: adjective-noun-NNNN */
  const char *const *labels;     /* "k=v" (borrowed); hostcore.* refused */
  size_t nlabels;
  bool allow_file_load;          /* file:// component references */
  /* Signed artifacts (issue 13): refuse unsigned components (and
   * executable providers, which carry no claims); with allowed_issuers
   * (account public keys A..., borrowed) only those issuers' components
   * run, which implies require_signed. */
  bool require_signed;
  const char *const *allowed_issuers;
  size_t nallowed_issuers;
  bool compiled;                 /* run components' core modules compiled
                                    (src/aot; on the worker that prepares a
                                    scale, cached by content hash) */
  uint64_t max_memory;           /* default per component; 0 = 256 MiB */
  uint64_t max_exec_ns;          /* default per request; 0 = 10 min */
  lat_lattice_opts_t ctl;        /* the control connection (events, KV too) */
  lat_lattice_opts_t rpc;        /* the invocation connection */
  const char *ctl_prefix;        /* NULL: wasmbus.ctl */
  int kv_replicas;               /* for buckets the host creates; 0 = 1 */
  uint64_t heartbeat_ns;         /* 0 = 30 s */
  const char *http_admin;        /* "IPv4:PORT" for /livez and /readyz, or NULL */
  uint32_t rpc_timeout_ms;       /* outgoing wRPC calls; 0 = 2000 (wasmCloud's) */
  bool accept_unlinked;          /* serve wRPC calls from sources with no link
                                    to the callee, as wasmCloud 1.x does */
  /* executable providers; 0 = the env LATTICE_PROVIDER_HEALTH_MS,
   * _FIRST_HEALTH_MS, _RESTART_MS, WASMCLOUD_PROV_SHUTDOWN_DELAY_MS, else
   * 30 s, 5 s, 5 s, 2000 ms */
  uint64_t prov_health_ns;
  uint64_t prov_first_health_ns;
  uint64_t prov_restart_ns;
  uint32_t prov_shutdown_ms;
  /* Built-in providers run as processes of this executable:
   * `wasmcloud+builtin://NAME` for NAME in builtin_providers (borrowed) runs
   * `builtin_exe provider NAME` (the `lattice` binary: /proc/self/exe).
   * http-server is not among them: it runs inside the host (host_routes.c). */
  const char *builtin_exe;
  const char *const *builtin_providers;
  size_t nbuiltin_providers;
  /* secrets backends' subject prefix (PROTOCOL §8); NULL: the env
   * WASMCLOUD_SECRETS_TOPIC, else wasmcloud.secrets */
  const char *secrets_topic;
} lat_host_opts_t;

/* Starts a host: connects (ctl and rpc), creates the lattice's buckets when
 * missing, catches up with their links, claims and config, subscribes to
 * the control interface and publishes host_started.  Returns new (stop and
 * free with lat_host_free). */
lat_status lat_host_new(const lat_host_opts_t *opts, lat_host_t **out, lat_error_t *err);
/* Asks the host to stop (thread-safe; what host.stop does). */
void lat_host_stop(lat_host_t *h);
/* Blocks until a stop was asked. */
void lat_host_wait(lat_host_t *h);
/* Stops: no new requests, requests in flight finish, host_stopped is
 * published; then frees.  Accepts NULL. */
void lat_host_free(lat_host_t *h);
const char *lat_host_id(const lat_host_t *h);          /* N... (borrowed) */
const char *lat_host_friendly_name(const lat_host_t *h);

#endif
