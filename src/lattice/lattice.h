/* lattice: the NATS side of Lattice (PROTOCOL.md §0-§2, §4.1, §5.2).
 *
 *   conn      one NATS connection through libnats: servers, creds, nkey,
 *             TLS, reconnect forever with capped, jittered backoff, a hook
 *             for disconnect/reconnect; publish, subscribe, request/reply
 *             and scatter/gather (§1.4).
 *   subjects  the one place that spells subjects and bucket names: ctl v1,
 *             the host's subscription list (§1.1), events, wRPC, provider
 *             management (§5.2), LATTICEDATA_/CONFIGDATA_ buckets, and the
 *             single-token rule for lattice names, config names and ids.
 *   events    CloudEvents 1.0 envelopes on wasmbus.evt.{lattice}.{event}.
 *   kv        JetStream KV buckets: open-or-create, get/put/create/delete/
 *             purge/keys, and a watch that survives a server restart.
 *   wrpc      the wRPC value encoding with futures and streams on index
 *             paths (§4.4), the NATS transport carrying root and nested
 *             streams (§4.3), wrpc:http requests and responses, and the
 *             types of wrpc:blobstore.
 *
 * Status codes (code branches on these, the text is in lat_error_t):
 *   LAT_EARG       the caller passed something unusable (a bad token, NULL,
 *                  an unreadable seed, conflicting options)
 *   LAT_EIO        network, server or JetStream failure; no server could
 *                  be reached
 *   LAT_ETIMEOUT   a timeout ran out (request, flush, connect)
 *   LAT_ECLOSED    the connection is closed
 *   LAT_ENOTFOUND  no responders; a key or bucket that does not exist
 *   LAT_EINVALID   refused by the server or the peer: authorization, TLS
 *                  verification, a subject the user's permissions deny (a
 *                  request or gather whose publish the server refused says
 *                  so instead of timing out: "permission denied: ..."),
 *                  create of a key that exists
 *   LAT_ENOMEM     out of memory
 * Connecting also reports a lat_lattice_reason, so the host can say "auth
 * failed" or "TLS" without reading text.
 *
 * Threads: libnats runs subscription callbacks, connection-event hooks and
 * reconnects on its own threads; a KV watch runs its callback on a thread
 * of its own (one per watch).  Callbacks must not block: hand the work to
 * a queue.  A conn may be used from any thread.
 *
 * Memory: every pointer argument is borrowed for the call unless stated.
 * Strings returned through char ** are new (free with lat_free).  Messages
 * given to callbacks are borrowed for the duration of the callback. */
#ifndef LAT_LATTICE_H
#define LAT_LATTICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"
#include "../component/component.h"

/* ---- why a connection failed --------------------------------------------- */
#define LAT_LATTICE_REASON_LIST(X)                                  \
  X(LAT_LR_OK, "connected")                                         \
  X(LAT_LR_CONFIG, "the connection options are unusable")           \
  X(LAT_LR_NO_SERVERS, "no server could be reached")                \
  X(LAT_LR_AUTH, "the server refused the credentials")              \
  X(LAT_LR_TLS, "TLS failed (handshake, verification or required)") \
  X(LAT_LR_TIMEOUT, "the server did not answer in time")            \
  X(LAT_LR_OTHER, "the connection failed")

typedef enum {
#define LAT_X_ENUM(code, msg) code,
  LAT_LATTICE_REASON_LIST(LAT_X_ENUM)
#undef LAT_X_ENUM
      LAT_LR_COUNT
} lat_lattice_reason;

/* Static strings: "LAT_LR_AUTH" and "the server refused the credentials". */
const char *lat_lattice_reason_name(lat_lattice_reason r);
const char *lat_lattice_reason_message(lat_lattice_reason r);

/* ---- connection ------------------------------------------------------------
 */
typedef struct lat_lattice_conn lat_lattice_conn_t;

typedef enum {
  LAT_LATTICE_CONN_DISCONNECTED = 1, /* lost the server; reconnecting */
  LAT_LATTICE_CONN_RECONNECTED,      /* back; subscriptions restored */
  LAT_LATTICE_CONN_CLOSED,           /* closed for good (by free) */
} lat_lattice_conn_event;

/* Runs on a libnats thread.  url is the server now connected ("" when
 * none), borrowed for the call. */
typedef void (*lat_lattice_conn_event_fn)(void *ctx, lat_lattice_conn_event ev,
                                          const char *url);

/* Connection options, caller's storage; every string is borrowed for the
 * duration of lat_lattice_conn_new only.  lat_lattice_opts_init zeroes it;
 * zero means the default given below. */
typedef struct {
  const char *servers;            /* comma list; NULL: nats://127.0.0.1:4222 */
  const char *const *server_list; /* or an array (not both) */
  size_t server_count;
  const char *name;                   /* connection name shown by the server */
  const char *creds_file;             /* NATS .creds (user JWT + seed) */
  const char *nkey_seed;              /* "SU…" seed text, signed by crypto */
  const char *nkey_seed_file;         /* or a file holding it */
  const char *user_jwt;               /* with nkey_seed: the user's JWT text
                                         (HostData's lattice_rpc_user_jwt);
                                         the pair is a creds file's content */
  const char *tls_ca_file;            /* PEM CA bundle; implies TLS */
  const char *tls_cert_file;          /* client certificate chain (PEM) */
  const char *tls_key_file;           /* its key; both or neither */
  bool tls;                           /* require TLS even without files */
  const char *js_domain;              /* JetStream domain; NULL: none */
  uint32_t connect_timeout_ms;        /* per server; 0: 2000 */
  uint32_t reconnect_wait_ms;         /* first backoff; 0: 100 */
  uint32_t reconnect_max_ms;          /* backoff cap; 0: 5000 */
  lat_lattice_conn_event_fn on_event; /* may be NULL */
  void *on_event_ctx;
} lat_lattice_opts_t;

void lat_lattice_opts_init(lat_lattice_opts_t *o);

/* Connects, or fails with a message naming the servers and the reason.
 * Once connected the conn reconnects forever.  *out_reason may be NULL.
 * Returns new in *out_conn (free with lat_lattice_conn_free). */
lat_status lat_lattice_conn_new(const lat_lattice_opts_t *opts,
                                lat_lattice_conn_t **out_conn,
                                lat_lattice_reason *out_reason,
                                lat_error_t *err);
/* Reads a NATS .creds file (the user JWT and the user seed between their
 * BEGIN/END lines, as nsc and `lattice nats init` write them).  Returns new
 * strings (free with lat_free; *out_seed is secret: wipe it first). */
lat_status lat_lattice_creds_read(const char *path, char **out_jwt,
                                  char **out_seed, lat_error_t *err);

/* Flushes, closes and frees; the CLOSED hook runs before it returns.
 * Subscriptions, KV handles and watches made from conn must be freed
 * first.  Accepts NULL. */
void lat_lattice_conn_free(lat_lattice_conn_t *c);
/* Flushes and closes the connection but keeps the object: what was made
 * from it may then be freed without touching the server (a KV watch's
 * consumer is not deleted: see lattice_kv.c), then lat_lattice_conn_free.
 * Accepts NULL; idempotent. */
void lat_lattice_conn_close(lat_lattice_conn_t *c);
/* Flushes, then says whether the server refused c a subscription to, or a
 * publish on, subject (its -ERR "Permissions Violation"): LAT_EINVALID
 * with the server's words, LAT_OK when it did not.  Subscribe and publish
 * do not wait for the server; call this where a refusal must be seen. */
lat_status lat_lattice_conn_check_permission(lat_lattice_conn_t *c,
                                             const char *subject,
                                             uint32_t timeout_ms,
                                             lat_error_t *err);
/* True while connected (false while reconnecting). */
bool lat_lattice_conn_connected(lat_lattice_conn_t *c);
/* How many times the conn has reconnected since it was made. */
uint64_t lat_lattice_conn_reconnects(lat_lattice_conn_t *c);
/* Releases libnats' global state (threads, SSL) after every conn is freed:
 * call once at process exit, so leak checkers see a clean exit. */
void lat_lattice_library_close(uint32_t timeout_ms);

/* ---- messages
 * ---------------------------------------------------------------- */
/* A message given to a callback: everything borrowed for the call.  data
 * is followed by a NUL (not counted).  Headers are read through
 * lat_lattice_msg_header / lat_lattice_msg_headers_copy. */
typedef struct {
  const char *subject;
  const char *reply; /* NULL when none */
  const uint8_t *data;
  size_t len;
  void *impl; /* the libnats message, for the header functions; NULL for a
                 message built by hand (it has no headers) */
} lat_lattice_msg_t;

/* ---- message headers (NATS 2.2 HPUB/HMSG) ----------------------------------
 * Keys are case-sensitive and sent exactly as given (wRPC peers send
 * lower-case "source-id", "link-name", "traceparent").  A key may repeat. */
typedef struct {
  const char *key;   /* borrowed or owned as the container says */
  const char *value;
} lat_lattice_header_t;

/* An owned copy of a message's headers: items and every string live in
 * storage owned by the struct (free with lat_lattice_headers_fini). */
typedef struct {
  lat_lattice_header_t *items; /* owned; strings point into `text` */
  size_t count;
  char *text; /* owned: the keys and values, NUL-separated */
} lat_lattice_headers_t;
void lat_lattice_headers_fini(lat_lattice_headers_t *h); /* accepts NULL */
/* The first value of key, or NULL (exact match).  Borrowed from h. */
const char *lat_lattice_headers_get(const lat_lattice_headers_t *h,
                                    const char *key);

/* The first value of header key in m, or NULL when absent (or m has no
 * headers).  Borrowed for the callback.  Call only from the callback that
 * got m (libnats parses the headers lazily, in place). */
const char *lat_lattice_msg_header(const lat_lattice_msg_t *m, const char *key);
/* Copies all of m's headers into *out (zeroed when m has none). */
lat_status lat_lattice_msg_headers_copy(const lat_lattice_msg_t *m,
                                        lat_lattice_headers_t *out,
                                        lat_error_t *err);
/* True when m is the server's "503 no responders" status message (sent to
 * a reply subject when nobody listens on the subject published to). */
bool lat_lattice_msg_no_responders(const lat_lattice_msg_t *m);

typedef void (*lat_lattice_msg_fn)(void *ctx, const lat_lattice_msg_t *msg);

/* An owned reply payload; data has a NUL appended (not counted). */
typedef struct {
  uint8_t *data; /* owned (lat_free); NULL when len is 0 */
  size_t len;
} lat_lattice_reply_t;
void lat_lattice_reply_fini(lat_lattice_reply_t *r); /* accepts NULL */

typedef struct {
  lat_lattice_reply_t *items; /* owned */
  size_t count;
} lat_lattice_replies_t;
void lat_lattice_replies_fini(lat_lattice_replies_t *r); /* accepts NULL */

typedef struct lat_lattice_sub lat_lattice_sub_t;

/* Publishes data (len bytes) on subject with an optional reply subject.
 * The connection sends at once (send-asap), no flush needed. */
lat_status lat_lattice_conn_publish(lat_lattice_conn_t *c, const char *subject,
                                    const char *reply, const void *data,
                                    size_t len, lat_error_t *err);
/* The same with headers (hdrs[0..nhdrs), may be NULL when nhdrs is 0): the
 * message goes out as HPUB.  Header keys must be printable ASCII without
 * ':' and values must not hold CR or LF (LAT_EARG otherwise). */
lat_status lat_lattice_conn_publish_hdrs(lat_lattice_conn_t *c,
                                         const char *subject, const char *reply,
                                         const lat_lattice_header_t *hdrs,
                                         size_t nhdrs, const void *data,
                                         size_t len, lat_error_t *err);
/* The largest message (headers + payload) the server accepts, from its
 * INFO (1 MiB by default); 0 while not connected. */
size_t lat_lattice_conn_max_payload(lat_lattice_conn_t *c);
/* Waits until the server has processed everything sent so far. */
lat_status lat_lattice_conn_flush(lat_lattice_conn_t *c, uint32_t timeout_ms,
                                  lat_error_t *err);
/* Subscribes (queue may be NULL); fn runs on a libnats thread, one message
 * at a time per subscription.  Returns new in *out_sub (free with
 * lat_lattice_sub_free). */
lat_status lat_lattice_conn_subscribe(lat_lattice_conn_t *c,
                                      const char *subject, const char *queue,
                                      lat_lattice_msg_fn fn, void *ctx,
                                      lat_lattice_sub_t **out_sub,
                                      lat_error_t *err);
/* Unsubscribes and waits until fn is no longer running, so ctx may be
 * freed afterwards.  Never call it from the subscription's own callback.
 * Accepts NULL. */
void lat_lattice_sub_free(lat_lattice_sub_t *s);

/* Request/reply: LAT_ETIMEOUT when no reply came within timeout_ms,
 * LAT_ENOTFOUND when the server says nobody listens on subject. */
lat_status lat_lattice_conn_request(lat_lattice_conn_t *c, const char *subject,
                                    const void *data, size_t len,
                                    uint32_t timeout_ms,
                                    lat_lattice_reply_t *out_reply,
                                    lat_error_t *err);
/* Request/reply with headers on the request (the reply's headers are not
 * kept).  Same statuses as lat_lattice_conn_request. */
lat_status lat_lattice_conn_request_hdrs(lat_lattice_conn_t *c,
                                         const char *subject,
                                         const lat_lattice_header_t *hdrs,
                                         size_t nhdrs, const void *data,
                                         size_t len, uint32_t timeout_ms,
                                         lat_lattice_reply_t *out_reply,
                                         lat_error_t *err);
/* The same, also copying the reply's headers into *out_hdrs when it is not
 * NULL (free with lat_lattice_headers_fini; zeroed on failure). */
lat_status lat_lattice_conn_request_ex(lat_lattice_conn_t *c,
                                       const char *subject,
                                       const lat_lattice_header_t *hdrs,
                                       size_t nhdrs, const void *data,
                                       size_t len, uint32_t timeout_ms,
                                       lat_lattice_reply_t *out_reply,
                                       lat_lattice_headers_t *out_hdrs,
                                       lat_error_t *err);
/* Scatter/gather (§1.4): publishes with a fresh inbox as reply subject and
 * collects replies until window_ms has passed, max_replies have come (0:
 * no limit) or an empty reply arrives (it ends collection and is not
 * kept).  No reply at all is not an error: out->count is 0. */
lat_status lat_lattice_conn_gather(lat_lattice_conn_t *c, const char *subject,
                                   const void *data, size_t len,
                                   uint32_t window_ms, size_t max_replies,
                                   lat_lattice_replies_t *out,
                                   lat_error_t *err);

/* ---- subjects (PROTOCOL.md §1.1, §2, §4.1, §5.2, §1.5) ----------------------
 */
#define LAT_LATTICE_CTL_PREFIX_DEFAULT "wasmbus.ctl"
#define LAT_LATTICE_EVT_PREFIX "wasmbus.evt"
#define LAT_LATTICE_RPC_PREFIX "wasmbus.rpc"
#define LAT_LATTICE_WRPC_VERSION "wrpc.0.0.1"
#define LAT_LATTICE_TOKEN_MAX 256 /* bytes in one token we build */

/* True when s is one NATS token: non-empty, at most LAT_LATTICE_TOKEN_MAX
 * bytes, no '.', '*', '>', whitespace or control bytes. */
bool lat_lattice_token_valid(const char *s);
/* The same as a status: LAT_EARG with "<what> \"<s>\" is not a single NATS
 * token: ..." in err. */
lat_status lat_lattice_token_check(const char *what, const char *s,
                                   lat_error_t *err);

/* {prefix}.v1.{lattice}.{noun}.{verb}[.{host_id}].  prefix NULL: the
 * default; it may hold dots but no wildcards or empty tokens.  host_id NULL
 * for none.  Returns new in *out_subject. */
lat_status lat_lattice_subj_ctl(const char *prefix, const char *lattice,
                                const char *noun, const char *verb,
                                const char *host_id, char **out_subject,
                                lat_error_t *err);

/* A ctl subject split into parts, borrowed slices of the parsed subject. */
typedef struct {
  const char *lattice;
  size_t lattice_len;
  const char *noun;
  size_t noun_len;
  const char *verb; /* len 0 when absent (e.g. a bare prefix.v1.lattice.x) */
  size_t verb_len;
  const char *rest; /* everything after verb's dot (host id...), len 0: none */
  size_t rest_len;
} lat_lattice_ctl_parts_t;
/* Splits subject under prefix (NULL: default).  LAT_EARG when it does not
 * start with "{prefix}.v1." or lacks a lattice and a noun. */
lat_status lat_lattice_subj_ctl_parse(const char *prefix, const char *subject,
                                      lat_lattice_ctl_parts_t *out,
                                      lat_error_t *err);

/* One subscription of the host, exactly as §1.1. */
typedef struct {
  char *subject; /* owned */
  char *queue;   /* owned; NULL: a plain subscription */
} lat_lattice_sub_spec_t;
typedef struct {
  lat_lattice_sub_spec_t *items; /* owned */
  size_t count;
} lat_lattice_sub_specs_t;
void lat_lattice_sub_specs_fini(lat_lattice_sub_specs_t *l); /* accepts NULL */
/* The host's ctl subscriptions, in the order of the §1.1 table; the two
 * auction subjects only when enabled. */
lat_status lat_lattice_subj_host_subs(const char *prefix, const char *lattice,
                                      const char *host_id,
                                      bool component_auction,
                                      bool provider_auction,
                                      lat_lattice_sub_specs_t *out,
                                      lat_error_t *err);

/* wasmbus.evt.{lattice}.{event} */
lat_status lat_lattice_subj_event(const char *lattice, const char *event,
                                  char **out_subject, lat_error_t *err);
/* {lattice}.{id}: the wRPC prefix, also the servers' queue group. */
lat_status lat_lattice_subj_wrpc_prefix(const char *lattice, const char *id,
                                        char **out_subject, lat_error_t *err);
/* {lattice}.{id}.wrpc.0.0.1.{instance}.{function}; instance is a WIT
 * instance name whose version dots become extra tokens ("wasi:keyvalue/
 * store@0.2.0-draft"), so it is checked as a run of tokens. */
lat_status lat_lattice_subj_wrpc(const char *lattice, const char *id,
                                 const char *instance, const char *function,
                                 char **out_subject, lat_error_t *err);

/* Provider management subjects (§5.2), on the rpc connection. */
typedef enum {
  LAT_LATTICE_RPC_HEALTH = 1,    /* {id}.health */
  LAT_LATTICE_RPC_SHUTDOWN,      /* {id}.default.shutdown */
  LAT_LATTICE_RPC_LINKDEFS_PUT,  /* {id or xkey}.linkdefs.put */
  LAT_LATTICE_RPC_LINKDEFS_DEL,  /* {id}.linkdefs.del */
  LAT_LATTICE_RPC_CONFIG_UPDATE, /* {id}.config.update */
} lat_lattice_rpc_kind;
/* wasmbus.rpc.{lattice}.{id}.{suffix of kind} */
lat_status lat_lattice_subj_rpc(const char *lattice, const char *id,
                                lat_lattice_rpc_kind kind, char **out_subject,
                                lat_error_t *err);

typedef enum {
  LAT_LATTICE_BUCKET_LATTICEDATA = 1, /* LATTICEDATA_{lattice} */
  LAT_LATTICE_BUCKET_CONFIGDATA,      /* CONFIGDATA_{lattice} */
} lat_lattice_bucket_kind;
lat_status lat_lattice_subj_bucket(lat_lattice_bucket_kind kind,
                                   const char *lattice, char **out_name,
                                   lat_error_t *err);

/* ---- CloudEvents (PROTOCOL.md §2) ------------------------------------------
 */
/* Builds the CloudEvents 1.0 envelope: specversion "1.0", id a UUID made
 * from a ULID (48-bit milliseconds then 80 random bits, so ids sort by
 * time), source host_id, type com.wasmcloud.lattice.{event}, time RFC3339
 * UTC with nanoseconds, datacontenttype application/json, data.  data is
 * borrowed (the envelope takes its own reference); NULL gives {}.  Returns
 * a new reference in *out_event (json_decref). */
lat_status lat_lattice_event_build(const char *host_id, const char *event,
                                   json_t *data, json_t **out_event,
                                   lat_error_t *err);
/* Builds it and publishes it on wasmbus.evt.{lattice}.{event}. */
lat_status lat_lattice_event_publish(lat_lattice_conn_t *c, const char *lattice,
                                     const char *host_id, const char *event,
                                     json_t *data, lat_error_t *err);

/* ---- JetStream KV
 * -------------------------------------------------------------- */
typedef struct lat_lattice_kv lat_lattice_kv_t;
typedef struct lat_lattice_kv_watch lat_lattice_kv_watch_t;

/* Opens bucket, creating it when missing (history 1, file storage,
 * `replicas` copies, 0 meaning 1) in the conn's JetStream domain.  Safe to
 * race with another creator.  Returns new in *out_kv (free with
 * lat_lattice_kv_free before the conn). */
lat_status lat_lattice_kv_open(lat_lattice_conn_t *c, const char *bucket,
                               int replicas, lat_lattice_kv_t **out_kv,
                               lat_error_t *err);
void lat_lattice_kv_free(lat_lattice_kv_t *kv); /* accepts NULL */

/* LAT_ENOTFOUND when the key is absent or deleted.  out_revision may be
 * NULL. */
lat_status lat_lattice_kv_get(lat_lattice_kv_t *kv, const char *key,
                              lat_lattice_reply_t *out_value,
                              uint64_t *out_revision, lat_error_t *err);
lat_status lat_lattice_kv_put(lat_lattice_kv_t *kv, const char *key,
                              const void *data, size_t len,
                              uint64_t *out_revision, lat_error_t *err);
/* Put only when the key is absent (or deleted): LAT_EINVALID otherwise. */
lat_status lat_lattice_kv_create(lat_lattice_kv_t *kv, const char *key,
                                 const void *data, size_t len,
                                 uint64_t *out_revision, lat_error_t *err);
/* Put only when the key's latest revision is `last` (compare-and-set):
 * LAT_EINVALID when another writer got there first. */
lat_status lat_lattice_kv_update(lat_lattice_kv_t *kv, const char *key,
                                 const void *data, size_t len, uint64_t last,
                                 uint64_t *out_revision, lat_error_t *err);
/* Delete leaves a delete marker; purge also drops the key's history. */
lat_status lat_lattice_kv_delete(lat_lattice_kv_t *kv, const char *key,
                                 lat_error_t *err);
lat_status lat_lattice_kv_purge(lat_lattice_kv_t *kv, const char *key,
                                lat_error_t *err);

typedef struct {
  char **keys; /* owned */
  size_t count;
} lat_lattice_keys_t;
void lat_lattice_keys_fini(lat_lattice_keys_t *k); /* accepts NULL */
/* The keys that hold a value now (order unspecified; none is not an
 * error). */
lat_status lat_lattice_kv_keys(lat_lattice_kv_t *kv, lat_lattice_keys_t *out,
                               lat_error_t *err);

typedef enum {
  LAT_LATTICE_KV_PUT = 1,
  LAT_LATTICE_KV_DELETE,
  LAT_LATTICE_KV_PURGE,
  LAT_LATTICE_KV_INITIAL_DONE, /* the initial values have all been given */
} lat_lattice_kv_op;

/* Borrowed for the callback.  value is NUL-terminated (not counted); key
 * and value are NULL for INITIAL_DONE. */
typedef struct {
  lat_lattice_kv_op op;
  const char *key;
  const uint8_t *value;
  size_t len;
  uint64_t revision;
} lat_lattice_kv_event_t;

/* Runs on the watch's own thread, one event at a time, in revision order. */
typedef void (*lat_lattice_kv_watch_fn)(void *ctx,
                                        const lat_lattice_kv_event_t *ev);

/* Watches keys (NULL: all; else a NATS subject filter over keys: an exact
 * key, or "a.*" / "a.>", whose wildcards match whole dot-separated tokens,
 * so "COMPONENT_*" is a literal key, not a prefix): first
 * the current value of every key, then INITIAL_DONE exactly once, then each
 * put, delete and purge, in revision order.  After a reconnect (a server
 * restart), or when it notices changes went missing, the watch
 * re-subscribes: events at or below the last revision it gave are not
 * given again, and a key changed several times meanwhile is given once,
 * with its latest value.  Returns new in *out_watch (free with
 * lat_lattice_kv_watch_free before the kv). */
lat_status lat_lattice_kv_watch(lat_lattice_kv_t *kv, const char *keys,
                                lat_lattice_kv_watch_fn fn, void *ctx,
                                lat_lattice_kv_watch_t **out_watch,
                                lat_error_t *err);
/* How many times the watch has re-subscribed (after a reconnect, a
 * failure, or a gap in revisions: see lattice_kv.c).  For logs and tests. */
uint64_t lat_lattice_kv_watch_resubscribes(lat_lattice_kv_watch_t *w);
/* Stops the watch and joins its thread; fn is not running afterwards.
 * Never call it from fn.  Accepts NULL. */
void lat_lattice_kv_watch_free(lat_lattice_kv_watch_t *w);


/* ---- wRPC value encoding (lattice_wrpc.c, PROTOCOL.md §4.4) ----------------
 * Values (lat_cval_t) of component types (lat_ctype_t) to and from the
 * component-model value-definition encoding with wRPC's extensions.  The
 * value representation is the canonical ABI's (component.h); in addition:
 *   future<T>  kind LAT_WRPC_CT_FUTURE, of.var.disc 0 pending / 1 ready,
 *              of.var.payload the T when ready (NULL for a future with no
 *              type)
 *   stream<T>  kind LAT_WRPC_CT_STREAM, of.var.disc 0 pending / 1 ready,
 *              of.var.payload a LIST value holding the elements when ready
 * On the wire a future is an option (0x00 pending, 0x01 + value ready)
 * and a stream ONE chunk, a LEB128 count and that many elements: count 0
 * means pending, any other count is the ready stream and its elements.
 * That is how wrpc-transport's Rust readers take them (value.rs:
 * FutureDecoder; StreamDecoder/StreamDecoderBytes read one chunk, an empty
 * one meaning pending), so there is no status byte before a ready stream
 * (the Go bindings' 0x01 + list would be misread by a Rust peer), and an
 * empty ready stream cannot be told from a pending one inline.
 * The plain functions (lat_wrpc_encode, lat_wrpc_decode...) write every
 * ready value inline (an empty ready stream as 0x00, which reads back as
 * pending) and decode a pending one as pending, its data not carried.  The
 * async functions below also carry what is pending the way wRPC peers do:
 * its data travels as its own byte stream on the subject of its index path
 * (see "async values").
 * own/borrow are refused both ways with LAT_EUNSUPPORTED (resources do not
 * cross hosts yet).  Decoded strings and byte lists are copies in the
 * arena.
 * Errors: LAT_EMALFORMED with err->offset = the byte offset of the bad
 * input (truncated, overlong or overflowing LEB128, bad UTF-8, a case index
 * or bool/option byte out of range, flags bits beyond the labels, trailing
 * bytes); LAT_ELIMIT when the value would take more than
 * LAT_WRPC_DECODE_MAX_ARENA of arena or nest deeper than LAT_WRPC_MAX_DEPTH;
 * LAT_EARG on encode when a value does not match its type. */
#define LAT_WRPC_CT_FUTURE (LAT_CT_KIND_COUNT + 1)
#define LAT_WRPC_CT_STREAM (LAT_CT_KIND_COUNT + 2)
#define LAT_WRPC_MAX_DEPTH 128u
#define LAT_WRPC_DECODE_MAX_ARENA (256u << 20)

/* future<elem> / stream<elem> type nodes, allocated in a (elem borrowed,
 * must outlive them; future's elem may be NULL).  NULL on out of memory. */
const lat_ctype_t *lat_wrpc_type_future(lat_arena_t *a,
                                        const lat_ctype_t *elem);
const lat_ctype_t *lat_wrpc_type_stream(lat_arena_t *a,
                                        const lat_ctype_t *elem);
/* record / variant / tuple / list / option / result nodes whose parts may
 * be futures or streams (the component builder takes only component value
 * types).  Parts are borrowed (must outlive the node); the field array and
 * names are copied into a.  They carry no canonical-ABI layout: use them
 * with the wRPC codec only.  NULL on out of memory or a NULL part. */
const lat_ctype_t *lat_wrpc_type_record(lat_arena_t *a, const lat_cfield_t *f,
                                        uint32_t n);
const lat_ctype_t *lat_wrpc_type_variant(lat_arena_t *a, const lat_cfield_t *c,
                                         uint32_t n);
const lat_ctype_t *lat_wrpc_type_tuple(lat_arena_t *a,
                                       const lat_ctype_t *const *elems,
                                       uint32_t n);
const lat_ctype_t *lat_wrpc_type_list(lat_arena_t *a, const lat_ctype_t *elem);
const lat_ctype_t *lat_wrpc_type_option(lat_arena_t *a,
                                        const lat_ctype_t *elem);
const lat_ctype_t *lat_wrpc_type_result(lat_arena_t *a, const lat_ctype_t *ok,
                                        const lat_ctype_t *err);
/* True when t is or contains a future or a stream. */
bool lat_wrpc_type_has_async(const lat_ctype_t *t);

/* Appends the encoding of v (of type t) to out; on failure out is left as
 * it was. */
lat_status lat_wrpc_encode(const lat_cval_t *v, const lat_ctype_t *t,
                           lat_buf_t *out, lat_error_t *err);
/* n values as one tuple (a function's parameters or results). */
lat_status lat_wrpc_encode_values(const lat_cval_t *vs,
                                  const lat_ctype_t *const *ts, uint32_t n,
                                  lat_buf_t *out, lat_error_t *err);
/* Decodes all of data[0..len) as one value of type t into *out, allocating
 * in a (the value lives as long as the arena; data is not referenced). */
lat_status lat_wrpc_decode(const uint8_t *data, size_t len,
                           const lat_ctype_t *t, lat_arena_t *a,
                           lat_cval_t *out, lat_error_t *err);
/* All of data as a tuple of n values of types ts into out[0..n). */
lat_status lat_wrpc_decode_values(const uint8_t *data, size_t len,
                                  const lat_ctype_t *const *ts, uint32_t n,
                                  lat_arena_t *a, lat_cval_t *out,
                                  lat_error_t *err);

/* ---- async values on index paths (PROTOCOL.md §4.3-4.4) ---------------------
 * A path is a list of u32 indexes into the parameter (or result) tuple, as
 * wrpc-transport's value.rs numbers them: the values of the tuple push
 * their position, record and tuple fields push theirs, list elements their
 * index; option, result, variant and enum push nothing (the async values
 * in a payload use the path of the payload's container).  A future or
 * stream at path P sends its data on R.params.P / R.results.P (R the
 * peer's inbox), as a byte stream of its own:
 *   future<T>  the one encoded T
 *   stream<T>  chunks, each a LEB128 count and that many elements (for
 *              stream<u8>: the raw bytes), ended by a count-0 chunk (0x00)
 * The data of a path here is that byte stream, without the transport's
 * empty end-of-stream message.  A future or stream inside the data of
 * another (stream<future<T>> ...), whether on a path or inline, would have
 * data on a longer path still: it is refused with LAT_EUNSUPPORTED both
 * ways (the async decoders accept a ready one there, never a pending
 * one). */
#define LAT_WRPC_MAX_PATH 32u    /* indexes in one path */
#define LAT_WRPC_MAX_ASYNC 1024u /* async values in one call's values */

typedef struct {
  uint32_t depth;                  /* 1..LAT_WRPC_MAX_PATH */
  uint32_t idx[LAT_WRPC_MAX_PATH]; /* idx[0..depth) */
} lat_wrpc_path_t;

/* The data of one path. */
typedef struct {
  lat_wrpc_path_t path;
  uint8_t *data; /* owned by the list it is in (NULL when len is 0) */
  size_t len;
} lat_wrpc_async_t;

/* A growable list of path data, caller's storage. */
typedef struct {
  lat_wrpc_async_t *items; /* owned */
  size_t n, cap;
  size_t bytes; /* the sum of every item's len */
} lat_wrpc_asyncs_t;

void lat_wrpc_asyncs_init(lat_wrpc_asyncs_t *l);
void lat_wrpc_asyncs_fini(lat_wrpc_asyncs_t *l); /* accepts NULL */
/* Appends a copy of data[0..len) for path.  LAT_EARG for a path of depth
 * 0 or over LAT_WRPC_MAX_PATH, LAT_ELIMIT past LAT_WRPC_MAX_ASYNC items. */
lat_status lat_wrpc_asyncs_add(lat_wrpc_asyncs_t *l, const lat_wrpc_path_t *path,
                               const uint8_t *data, size_t len,
                               lat_error_t *err);
/* The item of items[0..n) for path, or NULL.  Borrowed. */
const lat_wrpc_async_t *lat_wrpc_async_find(const lat_wrpc_async_t *items,
                                            size_t n,
                                            const lat_wrpc_path_t *path);
bool lat_wrpc_path_equal(const lat_wrpc_path_t *a, const lat_wrpc_path_t *b);
/* "0.1.2" into out (cap bytes, NUL-terminated, truncated if short);
 * returns the length it needs. */
size_t lat_wrpc_path_format(const lat_wrpc_path_t *p, char *out, size_t cap);

/* Like lat_wrpc_encode_values, with the data of async values on paths: a
 * ready future is written inline (0x01 + value) and a ready non-empty
 * stream as its one chunk (count + elements), which a Rust peer reads with
 * no path and no extra message; a ready EMPTY stream, which inline would
 * read as pending, is written as pending (0x00) with its path's data, the
 * end chunk 0x00, appended to out_asyncs.  A value that is pending is
 * written as pending with no data (the caller sends its path's data
 * itself).  A future or stream inside a ready one's value or elements is
 * refused (LAT_EUNSUPPORTED).  On failure root and out_asyncs are left as
 * they were.  LAT_ELIMIT for a path deeper than LAT_WRPC_MAX_PATH or more
 * than LAT_WRPC_MAX_ASYNC of them. */
lat_status lat_wrpc_encode_values_async(const lat_cval_t *vs,
                                        const lat_ctype_t *const *ts,
                                        uint32_t n, lat_buf_t *root,
                                        lat_wrpc_asyncs_t *out_asyncs,
                                        lat_error_t *err);
/* Decodes root[0..len) as the tuple ts[0..n) and lists the paths of the
 * futures and streams in it that are pending, in encoding order, in an
 * array allocated in a (*out_n may be 0; *out_paths then NULL).  A ready
 * one (a future's 0x01 + value, a stream's non-empty chunk) has no path.
 * Errors as lat_wrpc_decode_values, plus LAT_ELIMIT as above. */
lat_status lat_wrpc_pending_paths(const uint8_t *root, size_t len,
                                  const lat_ctype_t *const *ts, uint32_t n,
                                  lat_arena_t *a, lat_wrpc_path_t **out_paths,
                                  size_t *out_n, lat_error_t *err);
/* Decodes root[0..len) as the tuple ts[0..n) into out[0..n) and resolves
 * every pending future or stream from the data of its path in
 * asyncs[0..nasync) (borrowed; items for other paths are ignored): a
 * stream becomes ready with all its chunks' elements as one LIST, a future
 * ready with its value.  LAT_EMALFORMED when a pending value's path has no
 * data, or the data is malformed, truncated (no end chunk) or has bytes
 * after its end: err->offset is then the offset in that path's data and
 * the message names the path. */
lat_status lat_wrpc_decode_values_async(const uint8_t *root, size_t len,
                                        const lat_wrpc_async_t *asyncs,
                                        size_t nasync,
                                        const lat_ctype_t *const *ts,
                                        uint32_t n, lat_arena_t *a,
                                        lat_cval_t *out, lat_error_t *err);

/* ---- wRPC 0.0.1 over NATS (lattice_wrpc_nats.c, PROTOCOL.md §4.3) ----------
 * Byte-level: parameters and results are the encodings above (a tuple of
 * all parameters, a tuple of all results), plus the data of the async
 * values on nested index paths (R.params.<path>, R.results.<path>), each
 * its own stream of max_payload chunks ended by an empty message.  Nested
 * streams are buffered whole, like the root: a call's caps (max_params,
 * max_results) bound the root and every nested stream together.
 *
 * Statuses: LAT_ENOTFOUND nobody serves the subject (NATS 503 no
 * responders); LAT_ETIMEOUT the call did not finish within its timeout
 * (handshake, params or results, nested ones included); LAT_EMALFORMED the
 * peer broke the exchange (a handshake without a usable reply subject,
 * results that do not decode as result_types); LAT_ELIMIT the streams
 * outgrew their cap; LAT_EARG bad names; LAT_EIO / LAT_ECLOSED from the
 * connection. */
#define LAT_WRPC_MAX_MESSAGE (64u << 20) /* default cap on params/results */
#define LAT_WRPC_TIMEOUT_MS_DEFAULT 2000u /* the 1.x host's rpc_timeout */

typedef struct {
  const lat_lattice_header_t *headers; /* borrowed: source-id, link-name,
                                          traceparent ...; may be NULL */
  size_t nheaders;
  uint32_t timeout_ms; /* bounds the whole call; 0: 2000 */
  size_t max_results;  /* root + nested result bytes; 0: LAT_WRPC_MAX_MESSAGE */
  /* Data of async params (borrowed), each sent on R_s.params.<path> after
   * the rest of the root params, ended by an empty message.  Typically
   * from lat_wrpc_encode_values_async. */
  const lat_wrpc_async_t *async_params;
  size_t nasync_params;
  /* The function's result types (borrowed), or NULL.  When given, the
   * transport decodes the root results, finds the pending futures and
   * streams in them (lat_wrpc_pending_paths) and waits for the data of
   * their paths too (which may arrive before the root ends: it is kept
   * from the start).  Without them nested results are not awaited. */
  const lat_ctype_t *const *result_types;
  uint32_t nresult_types;
} lat_wrpc_invoke_opts_t;

/* What a call returned, caller's storage. */
typedef struct {
  lat_lattice_reply_t root; /* the result stream (len 0: the server closed
                               it empty, a failed call or no results) */
  lat_wrpc_asyncs_t asyncs; /* the data of the pending values' paths in
                               root, when result_types were given */
} lat_wrpc_results_t;
void lat_wrpc_results_fini(lat_wrpc_results_t *r); /* accepts NULL */

/* Calls {lattice}.{target_id}.wrpc.0.0.1.{instance}.{function} with the
 * encoded params[0..len) (and opts' async params) and waits (on the
 * calling thread, bounded by timeout_ms) for the whole result stream and,
 * with result_types, the nested result streams.  *out is initialised here
 * (free with lat_wrpc_results_fini, also after a failure).  When the root
 * is empty no nested results are awaited.  opts may be NULL.  Any thread;
 * any number of calls at once on one conn. */
lat_status lat_wrpc_invoke_ex(lat_lattice_conn_t *c, const char *lattice,
                              const char *target_id, const char *instance,
                              const char *function, const uint8_t *params,
                              size_t len, const lat_wrpc_invoke_opts_t *opts,
                              lat_wrpc_results_t *out, lat_error_t *err);
/* The same returning only the root result stream, in *out_results (free
 * with lat_lattice_reply_fini); nested results, if awaited, are dropped. */
lat_status lat_wrpc_invoke(lat_lattice_conn_t *c, const char *lattice,
                           const char *target_id, const char *instance,
                           const char *function, const uint8_t *params,
                           size_t len, const lat_wrpc_invoke_opts_t *opts,
                           lat_lattice_reply_t *out_results, lat_error_t *err);

/* One invocation as the handler sees it; everything borrowed for the call. */
typedef struct {
  const char *instance; /* as served */
  const char *function;
  const lat_lattice_headers_t *headers; /* source-id, link-name ... */
  const uint8_t *params;                /* the whole parameter stream */
  size_t len;
  /* The data of the pending futures and streams in params, one item per
   * path (only with params_typed and param types holding async values;
   * else none): give them to lat_wrpc_decode_values_async. */
  const lat_wrpc_async_t *asyncs;
  size_t nasync;
  /* The handler may append the data of async results here (e.g. with
   * lat_wrpc_encode_values_async): each goes on R_c.results.<path> after
   * the root results, ended by an empty message.  Dropped when the
   * handler fails.  Owned by the server. */
  lat_wrpc_asyncs_t *async_results;
} lat_wrpc_request_t;

/* Runs on a worker thread (of the queue given to lat_wrpc_serve), one call
 * per invocation, possibly several at once.  Appends the encoded results to
 * *results (empty on entry) and returns LAT_OK to send them; any other
 * status closes the result stream with nothing in it (wRPC has no error
 * frame: the caller sees an empty or undecodable result) and is logged with
 * err's message. */
typedef lat_status (*lat_wrpc_handler_fn)(void *ctx,
                                          const lat_wrpc_request_t *req,
                                          lat_buf_t *results, lat_error_t *err);

typedef struct {
  lat_queue_t *queue; /* borrowed: handlers run on its workers, which must
                         keep running until lat_wrpc_server_free returns;
                         NULL: the server runs `workers` threads of its own */
  size_t workers;             /* own workers; 0: 4 */
  size_t max_queued;          /* own queue capacity; 0: 1024 */
  uint32_t params_timeout_ms; /* wait for the rest of the params (nested
                                 ones included) after the handshake;
                                 0: 10000 */
  size_t max_params;          /* root + nested bytes; 0: LAT_WRPC_MAX_MESSAGE */
  /* Optional, the function's parameter types (borrowed, must outlive the
   * server).  When the first chunk already decodes as all of them, the
   * call starts without waiting for the client's end-of-params message,
   * as the Rust server does (it decodes lazily and never reads it): one
   * hop less per call.  Without them the server waits for the end.  When
   * they hold futures or streams, the server also listens on the nested
   * paths R_s.params.<path> (from before the handshake), finds the pending
   * values in the root params and waits for their paths' data, handed to
   * the handler as req->asyncs.  Without types nested params are not
   * received. */
  bool params_typed;
  const lat_ctype_t *const *param_types;
  uint32_t nparam_types;
} lat_wrpc_serve_opts_t;

typedef struct lat_wrpc_server lat_wrpc_server_t;

/* Serves {lattice}.{id}.wrpc.0.0.1.{instance}.{function} in queue group
 * {lattice}.{id}, so every host serving id shares the load.  The libnats
 * callback only copies the first chunk and queues the call; the worker
 * makes the server inbox, handshakes, gathers the params (bounded by
 * params_timeout_ms and max_params), runs fn and writes the results in
 * max_payload chunks ending with an empty message.  opts may be NULL.
 * Returns new in *out (free with lat_wrpc_server_free before the conn). */
lat_status lat_wrpc_serve(lat_lattice_conn_t *c, const char *lattice,
                          const char *id, const char *instance,
                          const char *function, lat_wrpc_handler_fn fn,
                          void *ctx, const lat_wrpc_serve_opts_t *opts,
                          lat_wrpc_server_t **out, lat_error_t *err);
/* Stops taking calls, waits for the calls already taken to finish (each is
 * bounded by params_timeout_ms plus its handler) and frees.  Never call it
 * from a handler.  Accepts NULL. */
void lat_wrpc_server_free(lat_wrpc_server_t *s);

typedef struct {
  uint64_t served;   /* handler returned LAT_OK and results were sent */
  uint64_t failed;   /* handler error: result stream closed empty */
  uint64_t dropped;  /* refused before the handler: no reply subject, a
                        full queue, params too large or too slow */
} lat_wrpc_server_stats_t;
void lat_wrpc_server_stats(lat_wrpc_server_t *s, lat_wrpc_server_stats_t *out);

/* ---- wrpc:blobstore@0.2.0 (lattice_wrpc_blobstore.c, PROTOCOL.md §4.5) -----
 * The function types of wrpc:blobstore/blobstore@0.2.0 (the WIT is at the
 * top of lattice_wrpc_blobstore.c), for the wasi:blobstore host shim and
 * blobstore providers: params and result of each function, for
 * lat_wrpc_encode_values_async / lat_wrpc_decode_values_async, a server's
 * param_types and invoke's result_types.  Async values and their paths:
 *   list-container-objects, get-container-data: ok(tuple<stream, future
 *     <result<_, string>>>): the stream on [0,0], the status on [0,1]
 *   write-container-data: param data stream<u8> on [1]; ok(future<result
 *     <_, string>>) on [0] */
#define LAT_WRPC_BLOBSTORE "wrpc:blobstore/blobstore@0.2.0"

typedef enum {
  LAT_WBLOB_CLEAR_CONTAINER,
  LAT_WBLOB_CONTAINER_EXISTS,
  LAT_WBLOB_CREATE_CONTAINER,
  LAT_WBLOB_DELETE_CONTAINER,
  LAT_WBLOB_GET_CONTAINER_INFO,
  LAT_WBLOB_LIST_CONTAINER_OBJECTS,
  LAT_WBLOB_COPY_OBJECT,
  LAT_WBLOB_DELETE_OBJECT,
  LAT_WBLOB_DELETE_OBJECTS,
  LAT_WBLOB_GET_CONTAINER_DATA,
  LAT_WBLOB_GET_OBJECT_INFO,
  LAT_WBLOB_HAS_OBJECT,
  LAT_WBLOB_MOVE_OBJECT,
  LAT_WBLOB_WRITE_CONTAINER_DATA,
  LAT_WBLOB_COUNT
} lat_wrpc_blob_fn;

typedef struct {
  const char *name;               /* "get-container-data" (static) */
  const lat_ctype_t *params[3];   /* params[0..nparams) */
  uint32_t nparams;
  const lat_ctype_t *result;      /* the one result */
} lat_wrpc_blob_func_t;

/* Every node lives in the arena given to init. */
typedef struct {
  lat_wrpc_blob_func_t fns[LAT_WBLOB_COUNT]; /* by lat_wrpc_blob_fn */
  const lat_ctype_t *object_id;          /* record {container, object} */
  const lat_ctype_t *container_metadata; /* record {created-at: u64} */
  const lat_ctype_t *object_metadata;    /* record {created-at, size: u64} */
  const lat_ctype_t *data_stream;        /* stream<u8> */
} lat_wrpc_blob_types_t;
/* Builds them into a (caller's storage *out); LAT_ENOMEM only. */
lat_status lat_wrpc_blob_types_init(lat_arena_t *a, lat_wrpc_blob_types_t *out,
                                    lat_error_t *err);

/* ---- wrpc:http@0.1.0 (lattice_wrpc_http.c, PROTOCOL.md §4.4) ---------------
 * HTTP requests and responses as wRPC values, between plain C structs and
 * the wire (root bytes + the data of the body and trailers paths):
 *   fields   = list<tuple<string, list<list<u8>>>>
 *   request  = record {body: stream<u8>, trailers: future<option<fields>>,
 *              method, path-with-query: option<string>, scheme:
 *              option<scheme>, authority: option<string>, headers: fields}
 *   response = record {body: stream<u8>, trailers: future<option<fields>>,
 *              status: u16, headers: fields}
 *   incoming-handler.handle(request) -> result<response, error-code>
 *   outgoing-handler.handle(request, option<request-options>)
 *       -> result<response, error-code>
 * method, scheme, error-code and request-options are wasi:http/types@0.2.0's.
 * Bodies are whole buffers, sent inline as a ready stream<u8> (one chunk)
 * and trailers inline as a ready future of none (01 00), so a request or
 * response with a body needs no nested path at all; an empty body cannot
 * be inline (count 0 means pending) and goes pending on path [0,0] with
 * the end chunk (00) as its data.  Decoding takes either form, and a
 * pending body or trailers (what a Rust peer always sends) from its path.
 * Trailers that come are checked and ignored.  Headers are flat (name,
 * value) pairs here; on the wire the values of one name (exact match) are
 * grouped under its first place, and decoding lists each value as a pair
 * (a name with no values is dropped).  Decoded strings are NUL-terminated
 * copies in the caller's arena (one holding U+0000 reads as ending there). */
#define LAT_WRPC_HTTP_INCOMING "wrpc:http/incoming-handler@0.1.0"
#define LAT_WRPC_HTTP_OUTGOING "wrpc:http/outgoing-handler@0.1.0"
#define LAT_WRPC_HTTP_FUNCTION "handle"

typedef struct {
  const char *name;     /* NUL-terminated, valid UTF-8 */
  const uint8_t *value; /* value[0..len) */
  size_t len;
} lat_wrpc_http_field_t;

/* Every pointer borrowed (encode) or in the caller's arena (decode). */
typedef struct {
  const char *method; /* "GET" ... "PATCH" (exact, upper case) map to their
                         cases; anything else is other(method) */
  const char *scheme; /* NULL: none; "http"/"https" (any case) map to HTTP/
                         HTTPS, anything else is other(scheme); decoded as
                         "http", "https" or the other text */
  const char *authority;       /* NULL: none */
  const char *path_with_query; /* NULL: none */
  const lat_wrpc_http_field_t *headers;
  size_t nheaders;
  const uint8_t *body; /* body[0..body_len) */
  size_t body_len;
} lat_wrpc_http_request_t;

typedef struct {
  uint16_t status;
  const lat_wrpc_http_field_t *headers;
  size_t nheaders;
  const uint8_t *body;
  size_t body_len;
} lat_wrpc_http_response_t;

/* An error-code a handler answered with. */
typedef struct {
  uint32_t code;       /* case index (38: internal-error) */
  const char *name;    /* its WIT name ("internal-error"), static */
  const char *message; /* the option<string> payload of internal-error,
                          HTTP-response-transfer-coding or -content-coding
                          when some, else NULL (in the caller's arena) */
} lat_wrpc_http_error_t;

/* The types, for byte-level use (a server's param_types, invoke's
 * result_types); every node lives in the arena given to init. */
typedef struct {
  const lat_ctype_t *fields, *method, *scheme, *error_code, *request_options;
  const lat_ctype_t *request, *response;
  const lat_ctype_t *handle_result;      /* result<response, error-code> */
  const lat_ctype_t *incoming_params[1]; /* (request) */
  const lat_ctype_t *outgoing_params[2]; /* (request, option<request-options>) */
} lat_wrpc_http_types_t;
/* Builds them into a (caller's storage *out); LAT_ENOMEM only. */
lat_status lat_wrpc_http_types_init(lat_arena_t *a, lat_wrpc_http_types_t *out,
                                    lat_error_t *err);

/* incoming-handler.handle's params: the root appended to *root, the body
 * and trailers data to *asyncs.  LAT_EARG for a header name or string that
 * is not UTF-8, LAT_ELIMIT for a body of 2^32 bytes or more. */
lat_status lat_wrpc_http_request_encode(const lat_wrpc_http_request_t *req,
                                        lat_buf_t *root,
                                        lat_wrpc_asyncs_t *asyncs,
                                        lat_error_t *err);
/* The reverse (asyncs[0..nasync) borrowed), everything in a.  Errors as
 * lat_wrpc_decode_values_async. */
lat_status lat_wrpc_http_request_decode(const uint8_t *root, size_t len,
                                        const lat_wrpc_async_t *asyncs,
                                        size_t nasync, lat_arena_t *a,
                                        lat_wrpc_http_request_t *out,
                                        lat_error_t *err);
/* outgoing-handler.handle's params (request, option<request-options>):
 * the request, as lat_wrpc_http_request_decode; the options are checked
 * but not returned (a server applies its own limits). */
lat_status lat_wrpc_http_outgoing_decode(const uint8_t *root, size_t len,
                                         const lat_wrpc_async_t *asyncs,
                                         size_t nasync, lat_arena_t *a,
                                         lat_wrpc_http_request_t *out,
                                         lat_error_t *err);
/* handle's result: ok(*resp) when resp is given, else
 * err(internal-error(error_message)) (error_message NULL: none). */
lat_status lat_wrpc_http_result_encode(const lat_wrpc_http_response_t *resp,
                                       const char *error_message,
                                       lat_buf_t *root,
                                       lat_wrpc_asyncs_t *asyncs,
                                       lat_error_t *err);
/* The reverse, into a: LAT_OK with *out for ok; LAT_EINVALID for an
 * error-code, described in *out_error (may be NULL) and err. */
lat_status lat_wrpc_http_result_decode(const uint8_t *root, size_t len,
                                       const lat_wrpc_async_t *asyncs,
                                       size_t nasync, lat_arena_t *a,
                                       lat_wrpc_http_response_t *out,
                                       lat_wrpc_http_error_t *out_error,
                                       lat_error_t *err);
/* One incoming-handler call: encodes req, calls
 * {lattice}.{target_id}.wrpc.0.0.1.wrpc:http/incoming-handler@0.1.0.handle
 * with opts' headers, timeout and max_results (opts may be NULL; its
 * async_params and result_types are set here) and decodes the response
 * into a.  LAT_EINVALID when the handler answered an error-code (in
 * *out_error, which may be NULL; its name is NULL otherwise) or closed the
 * result stream empty (a failed call); the transport's statuses otherwise. */
lat_status lat_wrpc_http_invoke(lat_lattice_conn_t *c, const char *lattice,
                                const char *target_id,
                                const lat_wrpc_invoke_opts_t *opts,
                                const lat_wrpc_http_request_t *req,
                                lat_arena_t *a, lat_wrpc_http_response_t *out,
                                lat_wrpc_http_error_t *out_error,
                                lat_error_t *err);

#endif
