/* manager: the deployment manager (wadm re-created; MANAGER.md, PROTOCOL.md
 * §11).  Three parts, usable alone:
 *
 *   manifest   OAM manifests in YAML or JSON (libyaml, so every node keeps
 *              its line and column) parsed and checked with wadm's rules and
 *              messages, plus Lattice's stricter ones; the result is a model
 *              (lat_manager_manifest_t) and a list of diagnostics.
 *   spread     wadm's spread arithmetic (compute_spread).
 *   manager    the daemon: the model API on wadm.api.{lattice}.model.*,
 *              manifests in JetStream KV (wadm_manifests), and a reconciler
 *              that turns the deployed manifests into ctl commands, sharing
 *              the work with other managers through per-application leases.
 *
 * Memory: every pointer argument is borrowed for the call unless stated.
 * Strings inside a manifest live in its arena and die with it. */
#ifndef LAT_MANAGER_H
#define LAT_MANAGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"

/* ---- diagnostics ------------------------------------------------------------ */
typedef enum { LAT_MANAGER_ERROR = 1, LAT_MANAGER_WARNING } lat_manager_level;

typedef struct {
  lat_manager_level level;
  int line, column; /* 1-based; 0 when the rule is about the whole manifest */
  char msg[512];    /* wadm's exact text where wadm has one */
} lat_manager_diag_t;

typedef struct {
  lat_manager_diag_t *items; /* owned */
  size_t count, cap;
  size_t errors; /* how many items are errors */
} lat_manager_diags_t;
void lat_manager_diags_fini(lat_manager_diags_t *d); /* accepts NULL */
/* The first error as "MESSAGE at line L column C" (serde_yaml's style);
 * "" when there is none.  Returns buf. */
const char *lat_manager_diags_first(const lat_manager_diags_t *d, char *buf, size_t cap);

/* ---- the model ---------------------------------------------------------------- */
#define LAT_MANAGER_MAX_COMPONENTS 1024 /* sanity caps on untrusted manifests */
#define LAT_MANAGER_MAX_ITEMS 1024      /* links, configs, spreads ... per node */
#define LAT_MANAGER_MAX_BYTES (4u << 20) /* manifest text */
#define LAT_MANAGER_MAX_DEPTH 64

typedef struct {
  const char *name;
  json_t *props; /* string map (owned by the manifest); NULL: a reference */
  int line, column;
} lat_manager_config_t;

typedef struct {
  const char *name, *policy, *key, *field, *version; /* field/version may be NULL */
  int line, column;
} lat_manager_secret_t;

typedef struct {
  const char *name;
  json_t *requirements; /* string map, owned by the manifest */
  uint32_t weight;      /* default 100 */
  int line, column;
} lat_manager_spread_t;

typedef enum { LAT_MANAGER_SPREAD = 1, LAT_MANAGER_DAEMON } lat_manager_scaler_kind;

typedef struct {
  lat_manager_scaler_kind kind;
  uint32_t instances;
  lat_manager_spread_t *spreads;
  size_t nspreads;
  int line, column;
} lat_manager_scaler_t;

typedef struct {
  const char *name; /* "default" unless given */
  const char *ns, *pkg;
  const char **ifaces;
  size_t nifaces;
  const char *target; /* component name in this manifest */
  lat_manager_config_t *tcfg, *scfg;
  size_t ntcfg, nscfg;
  lat_manager_secret_t *tsec, *ssec;
  size_t ntsec, nssec;
  bool legacy_source_config, legacy_target_config; /* rule 16 */
  int line, column;
} lat_manager_link_t;

typedef struct {
  const char *name;
  bool provider;                 /* type: capability */
  const char *image;             /* NULL for a shared reference */
  const char *shared_app, *shared_component; /* application: {...} */
  const char *id;                /* explicit id, or NULL */
  lat_manager_config_t *configs;
  size_t nconfigs;
  lat_manager_secret_t *secrets;
  size_t nsecrets;
  bool has_scaler;
  lat_manager_scaler_t scaler;
  lat_manager_link_t *links;
  size_t nlinks;
  int line, column;
} lat_manager_component_t;

typedef struct {
  const char *name, *type;
  json_t *props;
  int line, column;
} lat_manager_policy_t;

typedef struct {
  lat_arena_t arena;
  const char *name;
  const char *version;     /* NULL when the manifest gives none */
  const char *description; /* NULL when none */
  bool shared;             /* experimental.wasmcloud.dev/shared: "true" */
  lat_manager_component_t *components;
  size_t ncomponents;
  lat_manager_policy_t *policies;
  size_t npolicies;
  json_t *json;   /* the manifest as JSON (owned), what the store keeps */
  json_t *owned;  /* every string map the model points into (owned) */
} lat_manager_manifest_t;

/* Parses text (YAML or JSON, len bytes, need not be NUL-terminated) and
 * validates it.  LAT_OK: *out_m is new (free with lat_manager_manifest_free)
 * and d may hold warnings.  LAT_EINVALID: d holds at least one error and
 * *out_m is NULL.  LAT_ENOMEM.  Never prints. */
lat_status lat_manager_manifest_parse(const char *text, size_t len, lat_manager_manifest_t **out_m,
                                      lat_manager_diags_t *d);
void lat_manager_manifest_free(lat_manager_manifest_t *m); /* accepts NULL */

/* wadm's ids: explicit id, else lower(app)-lower(component) with every
 * non-alphanumeric ASCII byte as '_'.  Writes into buf (NUL-terminated,
 * truncated at cap). */
void lat_manager_component_id(const char *app, const char *component, char *buf, size_t cap);

/* ---- spread arithmetic ------------------------------------------------------------ */
/* compute_spread: out[i] is spread i's share of instances (in the spreads'
 * own order).  No spreads: nothing to write (all instances go to one
 * default spread).  LAT_EARG when the weights sum to zero. */
lat_status lat_manager_spread_compute(uint32_t instances, const lat_manager_spread_t *spreads,
                                      size_t n, uint32_t *out);

/* ---- the daemon ------------------------------------------------------------------ */
typedef struct {
  const char *nats_url;        /* "nats://127.0.0.1:4222" */
  const char *creds_file;      /* may be NULL */
  const char *tls_ca_file;     /* NATS TLS (lat_lattice_opts_t's); may be NULL */
  const char *tls_cert_file;
  const char *tls_key_file;
  const char *const *lattices; /* at least one */
  size_t nlattices;
  const char *api_prefix;      /* NULL: "wadm.api" */
  const char *ctl_prefix;      /* NULL: wasmbus.ctl */
  int replicas;                /* KV replicas; 0: 1 */
  uint32_t sweep_ms;           /* periodic sweep; 0: 2000 */
  uint32_t host_timeout_ms;    /* a host not heard from this long is gone; 0: 6000 */
  uint32_t lease_ms;           /* an application lease; 0: 5000 */
  const char *id;              /* this manager's name; NULL: random */
} lat_manager_opts_t;

typedef struct lat_manager lat_manager_t;
/* Connects, opens the buckets, subscribes, starts the reconciler.  Returns
 * new in *out (free with lat_manager_free). */
lat_status lat_manager_new(const lat_manager_opts_t *o, lat_manager_t **out, lat_error_t *err);
/* Stops the threads, unsubscribes, frees; the leases it held expire on
 * their own.  Accepts NULL. */
void lat_manager_free(lat_manager_t *m);

#endif
