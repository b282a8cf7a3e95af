/* secrets: wasmCloud's secrets backend protocol (PROTOCOL.md §8), both
 * sides.
 *
 *   client   what a host (and `lattice secrets put`) speaks to a backend:
 *            the backend's transit xkey fetched once, then each request
 *            sealed (§7.3) with a fresh ephemeral xkey whose public key
 *            travels in the WasmCloud-Host-Xkey header; a `get` reply is
 *            sealed to that ephemeral key by another fresh key named in
 *            Server-Response-Xkey, an error reply is plain JSON.
 *   nats-kv  a backend on NATS JetStream KV (`lattice secrets serve`):
 *            values sealed at rest, an entity -> allowed-keys mapping.
 *
 * Secret values are secret: every struct holding one wipes it in its fini,
 * every buffer that held one plaintext is wiped before it is freed, and no
 * function here logs.  Status codes: LAT_ENOTFOUND when nothing answers on
 * the backend's subjects (no such backend running) or the secret does not
 * exist; LAT_EINVALID when the backend refuses (the backend's error, e.g.
 * "Unauthorized", is in the message); LAT_ETIMEOUT; LAT_EMALFORMED for a
 * reply that does not decode.
 *
 * Memory: arguments are borrowed for the call; returned objects are new. */
#ifndef LAT_SECRETS_H
#define LAT_SECRETS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"
#include "../crypto/crypto.h"
#include "../lattice/lattice.h"

#define LAT_SECRETS_TOPIC_DEFAULT "wasmcloud.secrets"
#define LAT_SECRETS_API_VERSION "v1alpha1"
#define LAT_SECRETS_HOST_XKEY_HEADER "WasmCloud-Host-Xkey"
#define LAT_SECRETS_RESPONSE_XKEY_HEADER "Server-Response-Xkey"
#define LAT_SECRETS_REF_PREFIX "SECRET_" /* names of references in CONFIGDATA */
#define LAT_SECRETS_REF_TYPE "secret.wasmcloud.dev/v1alpha1"
#define LAT_SECRETS_POLICY_TYPE "properties.secret.wasmcloud.dev/v1alpha1"
#define LAT_SECRETS_MAX_VALUE (1u << 20) /* bytes of one secret value */

/* ---- values and references ------------------------------------------------- */

/* One secret value (caller's storage). */
typedef struct {
  bool binary;      /* SecretValue::Bytes, else String (UTF-8 text) */
  uint8_t *data;    /* secret; owned, NUL-terminated (not counted) */
  size_t len;
  char *version;    /* the backend's version, owned; NULL when none */
} lat_secret_value_t;
/* Wipes and frees the value.  Accepts NULL. */
void lat_secret_value_fini(lat_secret_value_t *v);
/* The wire form: {"kind":"String","value":"..."} or {"kind":"Bytes",
 * "value":[...]} (PROTOCOL §5.1).  Returns new (NULL: out of memory); the
 * JSON holds the secret, so dump it into a buffer that is wiped after use. */
json_t *lat_secret_value_json(const lat_secret_value_t *v);
/* The reverse: LAT_EMALFORMED when j is not such an object. */
lat_status lat_secret_value_from_json(json_t *j, lat_secret_value_t *out, lat_error_t *err);

/* A secret reference (SecretConfig, the value of a SECRET_* entry in
 * CONFIGDATA): its strings borrowed from the JSON it was parsed from. */
typedef struct {
  const char *name;    /* the short name components and providers see */
  const char *backend; /* one NATS token */
  const char *key;
  const char *field;   /* NULL when absent */
  const char *version; /* NULL when absent */
  const char *policy;  /* JSON text; "" when absent */
} lat_secret_ref_t;
/* Reads a reference; LAT_EMALFORMED naming the missing or bad field. */
lat_status lat_secret_ref_parse(json_t *j, lat_secret_ref_t *out, lat_error_t *err);

/* ---- the client -------------------------------------------------------------- */

typedef struct lat_secrets_client lat_secrets_client_t;

/* A client for backend `backend` under topic (NULL: the default) over conn
 * (borrowed, must outlive it): asks {topic}.v1alpha1.{backend}.server_xkey
 * once.  Returns new (free with lat_secrets_client_free). */
lat_status lat_secrets_client_new(lat_lattice_conn_t *conn, const char *topic,
                                  const char *backend, uint32_t timeout_ms,
                                  lat_secrets_client_t **out, lat_error_t *err);
void lat_secrets_client_free(lat_secrets_client_t *c); /* accepts NULL */

/* A SecretRequest's fields. */
typedef struct {
  const char *key, *field, *version; /* field and version may be NULL */
  const char *entity_jwt, *host_jwt;
  const char *app_name;              /* NULL: none */
  const char *policy;                /* JSON text, NULL: "{}" */
} lat_secrets_get_t;

/* Fetches one secret.  *out is filled on LAT_OK (lat_secret_value_fini). */
lat_status lat_secrets_client_get(lat_secrets_client_t *c, const lat_secrets_get_t *req,
                                  lat_secret_value_t *out, lat_error_t *err);
/* A sealed request on {topic}.v1alpha1.{backend}.{op}: body (plaintext,
 * wiped by the caller) sealed to the backend's transit key.  The reply is
 * returned as is (these replies are not sealed). */
lat_status lat_secrets_client_sealed(lat_secrets_client_t *c, const char *op, const void *body,
                                     size_t len, lat_lattice_reply_t *out, lat_error_t *err);
/* A plain request on {topic}.v1alpha1.{backend}.{op}. */
lat_status lat_secrets_client_plain(lat_secrets_client_t *c, const char *op, const void *body,
                                    size_t len, lat_lattice_reply_t *out, lat_error_t *err);

/* ---- the nats-kv backend (secrets_kv.c) ---------------------------------------- */

typedef struct lat_secrets_kv lat_secrets_kv_t;

typedef struct {
  lat_lattice_conn_t *conn;        /* borrowed; must outlive the server */
  const char *topic;               /* NULL: wasmcloud.secrets */
  const char *name;                /* the backend's name; NULL: nats-kv */
  const char *bucket;              /* NULL: WASMCLOUD_SECRETS */
  const lat_nkey_t *encryption;    /* curve key with seed: values at rest */
  const lat_nkey_t *transit;       /* curve key with seed: server_xkey */
  int replicas;                    /* of the buckets it creates; 0: 1 */
  size_t workers;                  /* request threads; 0: 2 */
} lat_secrets_kv_opts_t;

/* Opens (creates) the buckets and serves {topic}.v1alpha1.{name}.> on the
 * queue group wasmcloud_secrets.{name}.  Returns new (free with
 * lat_secrets_kv_free: unsubscribes, finishes the requests in hand). */
lat_status lat_secrets_kv_new(const lat_secrets_kv_opts_t *opts, lat_secrets_kv_t **out,
                              lat_error_t *err);
void lat_secrets_kv_free(lat_secrets_kv_t *s); /* accepts NULL */

#endif
