/* providers_builtin_keyvalue.h: what the keyvalue providers share (private
 * to src/providers/builtin).  providers_builtin_keyvalue.c serves
 * wrpc:keyvalue/{store,atomics,batch}@0.2.0-draft over wRPC with the SDK,
 * keeps the links, finds the caller's and turns results into the
 * interfaces' values; a backend (keyvalue-nats, keyvalue-redis) only does
 * the storage operations on its per-link state.
 *
 * Threads: every backend function but open/close may run on several wRPC
 * workers at once on the same state; the backend guards what needs it.
 * Errors: a backend returns a status with the message in err; the caller
 * gets error::other(message). */
#ifndef LAT_PROVIDERS_BUILTIN_KEYVALUE_H
#define LAT_PROVIDERS_BUILTIN_KEYVALUE_H

#include "../sdk/providers_sdk.h"

typedef struct {
  const char *name; /* for messages: "keyvalue-nats" */
  /* The state for one link, from its config (the provider's config merged
   * with the link's: an object of strings, borrowed).  Should not block for
   * long: it runs on a libnats thread for link puts (connect lazily). */
  lat_status (*open)(lat_provider_t *p, json_t *config, void **out, lat_error_t *err);
  void (*close)(void *state); /* no call runs on state any more */
  /* May the caller open `identifier` through the link named link_name
   * with this config?  false: error::no-such-store.  NULL: any. */
  bool (*accepts)(json_t *config, const char *link_name, const char *identifier);
  /* *out gets the value (appended); LAT_ENOTFOUND when the key is absent */
  lat_status (*get)(void *state, const char *key, lat_buf_t *out, lat_error_t *err);
  lat_status (*set)(void *state, const char *key, const uint8_t *v, size_t n, lat_error_t *err);
  lat_status (*del)(void *state, const char *key, lat_error_t *err); /* absent: LAT_OK */
  /* One page of keys from cursor (0: the start); *out_next 0 when done. */
  lat_status (*keys)(void *state, uint64_t cursor, lat_lattice_keys_t *out, uint64_t *out_next,
                     lat_error_t *err);
  /* Adds delta to the key's decimal value (absent: 0), atomically. */
  lat_status (*incr)(void *state, const char *key, uint64_t delta, uint64_t *out,
                     lat_error_t *err);
} lat__kv_backend_t;

/* The provider's main: serves the interfaces with backend b until the host
 * asks it to shut down. */
int lat__kv_provider_main(const lat__kv_backend_t *b);

/* The value of key in config (an object of strings), matched without
 * regard to case (wasmCloud's providers read `URL` or `url`), or NULL. */
const char *lat__kv_config(json_t *config, const char *key);

#endif
