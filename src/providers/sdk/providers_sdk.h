/* providers_sdk.h: writing a capability provider for a Lattice (or
 * wasmCloud 1.x) host in C.  The one header a provider author reads.
 *
 * A provider is a program the host starts (PROTOCOL.md §5): it reads the
 * host's HostData from stdin, connects to the lattice's rpc NATS, answers
 * the host's health and shutdown requests, learns of links as they are
 * made and removed, serves its WIT exports over wRPC and may call the
 * exports of components it is linked to.
 *
 *   int main(void) {
 *     lat_provider_opts_t o = {.on_link_put = put, .on_link_del = del};
 *     lat_provider_t *p;
 *     lat_error_t err;
 *     if (lat_provider_new(&o, &p, &err)) { fprintf(stderr, "%s\n", err.msg);
 * return 1; } lat_provider_serve(p, "test:calc/ops", "greet", greet, NULL,
 * &err); lat_provider_wait(p);      // until the host asks it to shut down
 *     lat_provider_free(p);
 *   }
 *
 * Threads: callbacks and wRPC handlers run on the SDK's threads (libnats's
 * and the wRPC workers), several at once; keep them short and thread-safe.
 * Everything the SDK gives a callback is borrowed for the call.
 * The provider's stderr and stdout go to the host's log line by line.
 */
#ifndef LAT_PROVIDERS_SDK_H
#define LAT_PROVIDERS_SDK_H

#include <jansson.h>

#include "../../base/base.h"
#include "../../lattice/lattice.h"

typedef struct lat_provider lat_provider_t;

/* A link as the host sends it (InterfaceLinkDefinition, §3): this
 * provider is its source or its target. */
typedef struct {
  const char *source_id, *target, *name; /* name: the link name */
  const char *wit_namespace, *wit_package;
  json_t *interfaces; /* array of strings (borrowed) */
  json_t *config;     /* the config of this provider's side, an object of
                         strings (borrowed; empty on a delete) */
  json_t *secrets;    /* the secrets of this provider's side, opened: an
                         object name -> {"kind":"String","value":"..."} or
                         {"kind":"Bytes","value":[bytes]} (borrowed, and
                         wiped after the callback: copy what you keep;
                         empty when none and on a delete).  A link whose
                         secrets do not open (not sealed by this provider's
                         host to its xkey) is not delivered. */
  bool as_source;     /* this provider is the link's source */
} lat_provider_link_t;

typedef struct {
  /* called for each link in HostData and each link put/del (may be NULL) */
  void (*on_link_put)(void *ctx, const lat_provider_link_t *link);
  void (*on_link_del)(void *ctx, const lat_provider_link_t *link);
  /* the merged named config changed (config.update; an object of
   * strings, borrowed); lat_provider_config keeps HostData's (may be NULL) */
  void (*on_config_update)(void *ctx, json_t *config);
  /* the health answer; NULL: always healthy */
  bool (*healthy)(void *ctx);
  void *ctx;
  int stdin_fd;        /* where HostData comes from; 0 = stdin */
  size_t wrpc_workers; /* threads running wRPC handlers; 0 = 4 */
} lat_provider_opts_t;

/* Reads HostData (one line of base64 JSON), connects to lattice_rpc_url
 * and subscribes to health, shutdown and link subjects; then delivers the
 * HostData links to on_link_put.  Returns new (free with
 * lat_provider_free). */
lat_status lat_provider_new(const lat_provider_opts_t *opts, lat_provider_t **out,
                            lat_error_t *err);
/* Unsubscribes, stops serving (calls in flight finish), closes.  Accepts NULL. */
void lat_provider_free(lat_provider_t *p);

/* Blocks until the host asked this provider to shut down (or
 * lat_provider_shutdown was called). */
void lat_provider_wait(lat_provider_t *p);
void lat_provider_shutdown(lat_provider_t *p);

/* HostData, borrowed from p: the whole object, and its common fields. */
json_t *lat_provider_host_data(const lat_provider_t *p);
const char *lat_provider_id(const lat_provider_t *p); /* provider_key */
const char *lat_provider_host_id(const lat_provider_t *p);
const char *lat_provider_lattice(const lat_provider_t *p); /* lattice_rpc_prefix */
/* Connection options for the lattice's rpc NATS as HostData gives it:
 * lattice_rpc_url, the rpc user's JWT and seed (when not empty), and
 * Lattice's lattice_rpc_tls_ca_file / _cert_file / _key_file.  Every
 * string is borrowed from p (valid until lat_provider_free); o is
 * initialised first.  A provider that opens more connections to the same
 * NATS (keyvalue-nats with no cluster_uri) joins with these. */
void lat_provider_rpc_opts(const lat_provider_t *p, lat_lattice_opts_t *o);
/* A value of HostData `config` (the merged named config), or NULL. */
const char *lat_provider_config(const lat_provider_t *p, const char *key);
/* A startup secret (HostData `secrets`, from the provider's SECRET_
 * config references) as {"kind":"String"|"Bytes","value":...}, or NULL.
 * Borrowed from p; never log it. */
json_t *lat_provider_secret(const lat_provider_t *p, const char *name);

/* Serves instance.function (e.g. "test:calc/ops", "greet") on wRPC as this
 * provider's id; fn gets the encoded parameters and appends the encoded
 * results (lattice.h §wRPC; the `source-id` header names the caller). */
lat_status lat_provider_serve(lat_provider_t *p, const char *instance, const char *function,
                              lat_wrpc_handler_fn fn, void *ctx, lat_error_t *err);
/* The same for a function whose parameters hold futures or streams: with
 * its parameter types (param_types[0..nparams), borrowed, must outlive p)
 * the server also receives the data of their nested paths and hands it to
 * fn as req->asyncs (decode with lat_wrpc_decode_values_async); a call
 * starts as soon as its params are complete (lat_wrpc_serve_opts_t's
 * params_typed).  Params, nested ones included, are capped at
 * LAT_WRPC_MAX_MESSAGE bytes. */
lat_status lat_provider_serve_typed(lat_provider_t *p, const char *instance,
                                    const char *function, const lat_ctype_t *const *param_types,
                                    uint32_t nparams, lat_wrpc_handler_fn fn, void *ctx,
                                    lat_error_t *err);
/* Calls target's instance.function with the encoded params, headers
 * source-id = this provider's id and target-id; results in *out (free with
 * lat_lattice_reply_fini).  timeout_ms 0: HostData default_rpc_timeout_ms. */
lat_status lat_provider_invoke(lat_provider_t *p, const char *target, const char *instance,
                               const char *function, const uint8_t *params, size_t len,
                               uint32_t timeout_ms, lat_lattice_reply_t *out, lat_error_t *err);

#endif
