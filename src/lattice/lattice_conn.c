/* lattice_conn.c: NATS connections, publish/subscribe, request/reply and
 * scatter/gather over libnats.
 *
 * Approach: a thin, opinionated wrapper.  Every conn is made with the
 * settings the platform always wants: reconnect forever, send-asap (a
 * publish goes out on the caller's thread instead of waiting for libnats'
 * flusher, which is the difference between ~0.25 ms and ~1.1 ms p50 on a
 * request), a custom reconnect delay (exponential from reconnect_wait_ms,
 * capped at reconnect_max_ms, then drawn from the upper half of that, so
 * a fleet of hosts does not stampede a restarted server even at the cap).
 * Failure at connect time is classified once, from libnats' status, into
 * lat_lattice_reason.
 *
 * nkey auth signs the server's nonce with our own crypto (lat_nkey_sign),
 * so a seed given as text never touches a file and the seed is wiped when
 * the conn is freed.  A user JWT given as text (HostData hands a provider
 * its JWT and seed, not a file) goes through libnats' user-credentials
 * callbacks with the same signer.
 *
 * Permission violations: the server answers a publish or subscribe its
 * user may not make with -ERR 'Permissions Violation for Publish to "S"'
 * and drops it; libnats records that as the conn's last error (before it
 * reads any later PONG) and carries on.  A request or gather that got no
 * answer looks at that record, and when it names the subject (or the
 * reply inbox) says "permission denied" with the server's words instead of
 * "timed out": the record is sticky, but a subject refused once is refused
 * again, so matching the subject is enough.  Rejected: an async error
 * handler counting violations (runs on another thread, after the PONG
 * that a check waits for: racy); a flush after every publish (a round
 * trip per message).
 *
 * Invariants: after conn_new returns, the conn struct is read-only except
 * the atomic reconnect counter and the closed flag (under mu); libnats
 * guards natsConnection itself.  conn_free returns only after libnats'
 * closed callback, the last one that gets the conn as closure.  A
 * subscription's callback context stays valid until sub_free returns,
 * which waits for libnats' on-complete callback.
 *
 * Rejected: retry-on-failed-connect (libnats would return "not yet
 * connected" and hide a wrong password behind an endless retry: the host
 * should fail loudly at start-up); natsOptions_SetNKeyFromSeed for text
 * seeds (needs a file); libnats' own jitter (fixed, not proportional to the
 * backoff, and not capped with it). */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lattice_int.h"

#define DEFAULT_SERVER "nats://127.0.0.1:4222"
#define DEFAULT_CONNECT_TIMEOUT_MS 2000u
#define DEFAULT_RECONNECT_WAIT_MS 100u
#define DEFAULT_RECONNECT_MAX_MS 5000u
#define MAX_SERVERS 64 /* sanity cap on a server list */

/* ---- reasons and status mapping -------------------------------------------
 */
static const char *const reason_names[] = {
#define LAT_X_NAME(code, msg) #code,
    LAT_LATTICE_REASON_LIST(LAT_X_NAME)
#undef LAT_X_NAME
};
static const char *const reason_msgs[] = {
#define LAT_X_MSG(code, msg) msg,
    LAT_LATTICE_REASON_LIST(LAT_X_MSG)
#undef LAT_X_MSG
};

const char *lat_lattice_reason_name(lat_lattice_reason r) {
  return (unsigned)r < LAT_LR_COUNT ? reason_names[r] : "LAT_LR_?";
}
const char *lat_lattice_reason_message(lat_lattice_reason r) {
  return (unsigned)r < LAT_LR_COUNT ? reason_msgs[r] : "unknown reason";
}

lat_status lat__lattice_status(natsStatus s) {
  switch (s) {
    case NATS_OK:
      return LAT_OK;
    case NATS_NO_MEMORY:
      return LAT_ENOMEM;
    case NATS_TIMEOUT:
      return LAT_ETIMEOUT;
    case NATS_CONNECTION_CLOSED:
      return LAT_ECLOSED;
    case NATS_NO_RESPONDERS:
    case NATS_NOT_FOUND:
      return LAT_ENOTFOUND;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_QUEUE_NAME:
    case NATS_INVALID_TIMEOUT:
    case NATS_ADDRESS_MISSING:
      return LAT_EARG;
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
    case NATS_SSL_ERROR:
    case NATS_SECURE_CONNECTION_REQUIRED:
    case NATS_SECURE_CONNECTION_WANTED:
      return LAT_EINVALID;
    default:
      return LAT_EIO;
  }
}

lat_status lat__lattice_nats_error(natsStatus s, lat_error_t *err,
                                   const char *fmt, ...) {
  lat_status st = lat__lattice_status(s);
  if (!err) return st;
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  /* libnats keeps the detail of the last failure per thread. */
  const char *detail = nats_GetLastError(NULL);
  const char *text = natsStatus_GetText(s);
  if (detail && *detail && strcmp(detail, text) != 0)
    return lat_error_set(err, st, SIZE_MAX, "%s: %s (%s)", what, text, detail);
  return lat_error_set(err, st, SIZE_MAX, "%s: %s", what, text);
}

lat_status lat__lattice_reply_set(lat_lattice_reply_t *r, const void *data,
                                  size_t n) {
  r->data = NULL;
  r->len = 0;
  size_t total;
  if (!lat_add_size(n, 1, &total)) return LAT_ENOMEM;
  uint8_t *p = lat_malloc(total);
  if (!p) return LAT_ENOMEM;
  if (n) memcpy(p, data, n);
  p[n] = 0;
  r->data = p;
  r->len = n;
  return LAT_OK;
}

void lat_lattice_reply_fini(lat_lattice_reply_t *r) {
  if (!r) return;
  lat_free(r->data);
  r->data = NULL;
  r->len = 0;
}

void lat_lattice_replies_fini(lat_lattice_replies_t *r) {
  if (!r) return;
  for (size_t i = 0; i < r->count; i++) lat_lattice_reply_fini(&r->items[i]);
  lat_free(r->items);
  r->items = NULL;
  r->count = 0;
}

void lat_lattice_opts_init(lat_lattice_opts_t *o) {
  memset(o, 0, sizeof *o);
}

/* ---- callbacks from libnats
 * -------------------------------------------------- */
static void fire(lat_lattice_conn_t *c, natsConnection *nc,
                 lat_lattice_conn_event ev) {
  if (!c->on_event) return;
  char url[256] = "";
  if (ev == LAT_LATTICE_CONN_RECONNECTED &&
      natsConnection_GetConnectedUrl(nc, url, sizeof url) != NATS_OK)
    url[0] = 0;
  c->on_event(c->on_event_ctx, ev, url);
}

static void on_disconnected(natsConnection *nc, void *closure) {
  fire(closure, nc, LAT_LATTICE_CONN_DISCONNECTED);
}
static void on_reconnected(natsConnection *nc, void *closure) {
  lat_lattice_conn_t *c = closure;
  atomic_fetch_add(&c->reconnects, 1);
  fire(c, nc, LAT_LATTICE_CONN_RECONNECTED);
}
static void on_closed(natsConnection *nc, void *closure) {
  lat_lattice_conn_t *c = closure;
  fire(c, nc, LAT_LATTICE_CONN_CLOSED);
  pthread_mutex_lock(&c->mu);
  c->closed = true;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

uint32_t lat__lattice_backoff_ms(uint32_t wait_ms, uint32_t max_ms,
                                 int attempts, uint32_t rnd) {
  uint64_t d = wait_ms;
  for (int i = 1; i < attempts && d < max_ms; i++) d *= 2;
  if (d > max_ms) d = max_ms;
  /* "Equal jitter": somewhere in the upper half, so hosts that lost the
   * same server spread out even once they all sit at the cap. */
  uint64_t spread = d / 2;
  return (uint32_t)(d - (spread ? rnd % (spread + 1) : 0));
}

/* attempts counts full passes over the server list (1, 2, ...). */
static int64_t reconnect_delay(natsConnection *nc, int attempts,
                               void *closure) {
  (void)nc;
  const lat_lattice_conn_t *c = closure;
  return lat__lattice_backoff_ms(c->reconnect_wait_ms, c->reconnect_max_ms,
                                 attempts, randombytes_random());
}

/* Signs the server's nonce with the conn's nkey.  libnats frees the
 * signature with free(), so it is made with malloc. */
static natsStatus sign_nonce(char **custom_err, unsigned char **out_sig,
                             int *out_len, const char *nonce, void *closure) {
  lat_lattice_conn_t *c = closure;
  unsigned char *sig = malloc(LAT_NKEY_SIG_LEN);
  if (!sig) return NATS_NO_MEMORY;
  if (lat_nkey_sign(&c->nkey, nonce, strlen(nonce), sig, NULL) != LAT_OK) {
    free(sig);
    *custom_err = strdup("nkey cannot sign");
    return NATS_ERR;
  }
  *out_sig = sig;
  *out_len = LAT_NKEY_SIG_LEN;
  return NATS_OK;
}

/* Hands libnats the user JWT (it frees the copy). */
static natsStatus user_jwt_cb(char **out_jwt, char **custom_err, void *closure) {
  lat_lattice_conn_t *c = closure;
  (void)custom_err;
  if (!(*out_jwt = strdup(c->user_jwt))) return NATS_NO_MEMORY;
  return NATS_OK;
}

/* The text between "-----BEGIN <what>" 's line and the next "---" line,
 * trimmed; new, or NULL. */
static char *creds_block(const char *text, const char *what) {
  const char *p = strstr(text, what);
  if (!p || !(p = strchr(p, '\n'))) return NULL;
  while (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t') p++;
  const char *e = p;
  while (*e && *e != '\n' && *e != '\r' && *e != ' ' && *e != '\t') e++; /* base64url has '-' */
  return e > p ? lat_strndup(p, (size_t)(e - p)) : NULL;
}

lat_status lat_lattice_creds_read(const char *path, char **out_jwt,
                                  char **out_seed, lat_error_t *err) {
  *out_jwt = *out_seed = NULL;
  uint8_t *data = NULL;
  size_t len = 0;
  if (lat_file_read(path, &data, &len, err) != LAT_OK)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "cannot read creds file %s", path);
  char *jwt = creds_block((const char *)data, "BEGIN NATS USER JWT");
  char *seed = creds_block((const char *)data, "BEGIN USER NKEY SEED");
  sodium_memzero(data, len);
  lat_free(data);
  if (!jwt || !seed) {
    if (seed) sodium_memzero(seed, strlen(seed));
    lat_free(jwt);
    lat_free(seed);
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "%s is not a NATS creds file (no user JWT and seed)", path);
  }
  *out_jwt = jwt;
  *out_seed = seed;
  return LAT_OK;
}

/* ---- options
 * -------------------------------------------------------------------- */
/* Finds the seed in text: the first whitespace-delimited word that decodes
 * as a seed (so a decorated file with BEGIN/END lines also works). */
static lat_status load_seed(lat_lattice_conn_t *c, const char *text,
                            const char *origin, lat_error_t *err) {
  const char *p = text;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    const char *w = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') p++;
    if (p - w == LAT_NKEY_SEED_LEN && w[0] == 'S' &&
        lat_nkey_from_seed(w, (size_t)(p - w), &c->nkey, NULL) == LAT_OK) {
      lat_nkey_type t = c->nkey.type;
      if (t != LAT_NKEY_USER) {
        lat_nkey_fini(&c->nkey);
  lat_free(c->user_jwt);
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "nkey seed in %s is a %s key, not a user key",
                             origin, lat_nkey_type_name(t));
      }
      c->has_nkey = true;
      return LAT_OK;
    }
  }
  return lat_error_set(err, LAT_EARG, SIZE_MAX,
                       "no user nkey seed (SU...) found in %s", origin);
}

/* Splits a comma list into trimmed, non-empty URLs (pointers into buf). */
static size_t split_servers(char *buf, const char **urls, size_t max) {
  size_t n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && n < max;
       tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ' || *tok == '\t') tok++;
    char *end = tok + strlen(tok);
    while (end > tok && (end[-1] == ' ' || end[-1] == '\t')) *--end = 0;
    if (*tok) urls[n++] = tok;
  }
  return n;
}

static lat_status apply_opts(lat_lattice_conn_t *c, const lat_lattice_opts_t *o,
                             lat_error_t *err) {
  natsOptions *no = c->opts;
  natsStatus s = NATS_OK;
  lat_status st = LAT_OK;
  const char *urls[MAX_SERVERS];
  size_t nurls = 0;
  char *list = NULL;
  lat_buf_t text;
  lat_buf_init(&text);

  if (o->servers && o->server_list)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "give servers as a comma list or an array, not both");
  if (o->server_list) {
    if (o->server_count == 0 || o->server_count > MAX_SERVERS)
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "server list holds %zu URLs (1..%d allowed)",
                           o->server_count, MAX_SERVERS);
    for (size_t i = 0; i < o->server_count; i++) urls[i] = o->server_list[i];
    nurls = o->server_count;
  } else {
    list = lat_strndup(o->servers ? o->servers : DEFAULT_SERVER,
                       strlen(o->servers ? o->servers : DEFAULT_SERVER));
    if (!list) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    nurls = split_servers(list, urls, MAX_SERVERS);
    if (nurls == 0) {
      st = lat_error_set(err, LAT_EARG, SIZE_MAX, "no server URL in \"%s\"",
                         o->servers);
      goto out_list;
    }
  }
  for (size_t i = 0; i < nurls; i++) {
    if ((st = lat_buf_printf(&text, "%s%s", i ? "," : "", urls[i])) != LAT_OK)
      goto out_text;
  }
  if ((st = lat_buf_push(&text, 0)) != LAT_OK) goto out_text;
  c->servers_text = (char *)lat_buf_steal(&text, NULL);

  if ((s = natsOptions_SetServers(no, urls, (int)nurls)) != NATS_OK) {
    st = lat__lattice_nats_error(s, err, "server list \"%s\"", c->servers_text);
    goto out_list;
  }
  if (o->name && (s = natsOptions_SetName(no, o->name)) != NATS_OK)
    goto nats_fail;
  uint32_t tmo = o->connect_timeout_ms ? o->connect_timeout_ms
                                       : DEFAULT_CONNECT_TIMEOUT_MS;
  if ((s = natsOptions_SetTimeout(no, tmo)) != NATS_OK) goto nats_fail;
  if ((s = natsOptions_SetSendAsap(no, true)) != NATS_OK) goto nats_fail;
  if ((s = natsOptions_SetMaxReconnect(no, -1)) != NATS_OK) goto nats_fail;
  if ((s = natsOptions_SetCustomReconnectDelay(no, reconnect_delay, c)) !=
      NATS_OK)
    goto nats_fail;
  if ((s = natsOptions_SetDisconnectedCB(no, on_disconnected, c)) != NATS_OK ||
      (s = natsOptions_SetReconnectedCB(no, on_reconnected, c)) != NATS_OK ||
      (s = natsOptions_SetClosedCB(no, on_closed, c)) != NATS_OK)
    goto nats_fail;

  if (o->user_jwt && !o->nkey_seed && !o->nkey_seed_file) {
    st = lat_error_set(err, LAT_EARG, SIZE_MAX, "a user JWT needs its nkey seed");
    goto out_list;
  }
  int auth_kinds = !!o->creds_file + !!o->nkey_seed + !!o->nkey_seed_file;
  if (auth_kinds > 1) {
    st = lat_error_set(err, LAT_EARG, SIZE_MAX,
                       "give one of creds file, nkey seed, nkey seed file");
    goto out_list;
  }
  if (o->creds_file) {
    s = natsOptions_SetUserCredentialsFromFiles(no, o->creds_file, NULL);
    if (s != NATS_OK) {
      lat__lattice_nats_error(s, err, "creds file %s", o->creds_file);
      st = LAT_EARG;
      if (err) err->code = LAT_EARG;
      goto out_list;
    }
  }
  if (o->nkey_seed || o->nkey_seed_file) {
    if (o->nkey_seed) {
      st = load_seed(c, o->nkey_seed, "the nkey seed text", err);
    } else {
      uint8_t *data = NULL;
      size_t len = 0;
      st = lat_file_read(o->nkey_seed_file, &data, &len, err);
      if (st == LAT_OK) {
        st = load_seed(c, (const char *)data, o->nkey_seed_file, err);
        sodium_memzero(data, len);
      } else {
        st = lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "cannot read nkey seed file %s", o->nkey_seed_file);
      }
      lat_free(data);
    }
    if (st != LAT_OK) goto out_list;
    if (o->user_jwt) {
      if (!(c->user_jwt = lat_strndup(o->user_jwt, strlen(o->user_jwt)))) {
        st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
        goto out_list;
      }
      if ((s = natsOptions_SetUserCredentialsCallbacks(no, user_jwt_cb, c, sign_nonce, c)) !=
          NATS_OK)
        goto nats_fail;
    } else {
      char pub[LAT_NKEY_PUBLIC_LEN + 1];
      lat_nkey_public_string(&c->nkey, pub);
      if ((s = natsOptions_SetNKey(no, pub, sign_nonce, c)) != NATS_OK)
        goto nats_fail;
    }
  }

  bool tls = o->tls || o->tls_ca_file || o->tls_cert_file || o->tls_key_file;
  if (!!o->tls_cert_file != !!o->tls_key_file) {
    st = lat_error_set(err, LAT_EARG, SIZE_MAX,
                       "TLS client certificate and key go together");
    goto out_list;
  }
  if (tls) {
    if ((s = natsOptions_SetSecure(no, true)) != NATS_OK) goto nats_fail;
    if (o->tls_ca_file && (s = natsOptions_LoadCATrustedCertificates(
                               no, o->tls_ca_file)) != NATS_OK) {
      lat__lattice_nats_error(s, err, "TLS CA file %s", o->tls_ca_file);
      st = LAT_EARG;
      if (err) err->code = LAT_EARG;
      goto out_list;
    }
    if (o->tls_cert_file &&
        (s = natsOptions_LoadCertificatesChain(no, o->tls_cert_file,
                                               o->tls_key_file)) != NATS_OK) {
      lat__lattice_nats_error(s, err, "TLS certificate %s / key %s",
                              o->tls_cert_file, o->tls_key_file);
      st = LAT_EARG;
      if (err) err->code = LAT_EARG;
      goto out_list;
    }
  }
  goto out_list;

nats_fail:
  st = lat__lattice_nats_error(s, err, "connection options");
out_list:
  lat_free(list);
  return st;
out_text:
  lat_buf_fini(&text);
  lat_free(list);
  return lat_error_set(err, st, SIZE_MAX, "out of memory");
}

static lat_lattice_reason classify(natsStatus s) {
  switch (s) {
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
      return LAT_LR_AUTH;
    case NATS_SSL_ERROR:
    case NATS_SECURE_CONNECTION_REQUIRED:
    case NATS_SECURE_CONNECTION_WANTED:
      return LAT_LR_TLS;
    case NATS_TIMEOUT:
      return LAT_LR_TIMEOUT;
    case NATS_NO_SERVER:
      return LAT_LR_NO_SERVERS;
    default:
      return LAT_LR_OTHER;
  }
}

/* ---- connection lifecycle
 * ------------------------------------------------------ */
lat_status lat_lattice_conn_new(const lat_lattice_opts_t *o,
                                lat_lattice_conn_t **out_conn,
                                lat_lattice_reason *out_reason,
                                lat_error_t *err) {
  lat_lattice_reason reason = LAT_LR_CONFIG;
  lat_status st;
  natsStatus s;
  *out_conn = NULL;
  if (!o) {
    st = lat_error_set(err, LAT_EARG, SIZE_MAX, "no connection options");
    goto out;
  }
  if (sodium_init() < 0) {
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "libsodium failed to start");
    goto out;
  }
  lat_lattice_conn_t *c = lat_calloc(1, sizeof *c);
  if (!c) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto out;
  }
  c->reconnect_wait_ms =
      o->reconnect_wait_ms ? o->reconnect_wait_ms : DEFAULT_RECONNECT_WAIT_MS;
  c->reconnect_max_ms =
      o->reconnect_max_ms ? o->reconnect_max_ms : DEFAULT_RECONNECT_MAX_MS;
  if (c->reconnect_max_ms < c->reconnect_wait_ms)
    c->reconnect_max_ms = c->reconnect_wait_ms;
  c->on_event = o->on_event;
  c->on_event_ctx = o->on_event_ctx;
  atomic_init(&c->reconnects, 0);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);

  if ((s = natsOptions_Create(&c->opts)) != NATS_OK) {
    st = lat__lattice_nats_error(s, err, "libnats options");
    goto fail_conn;
  }
  if ((st = apply_opts(c, o, err)) != LAT_OK) goto fail_conn;

  s = natsConnection_Connect(&c->nc, c->opts);
  if (s != NATS_OK) {
    reason = classify(s);
    lat__lattice_nats_error(s, err, "connect to %s: %s", c->servers_text,
                            lat_lattice_reason_message(reason));
    st = reason == LAT_LR_NO_SERVERS ? LAT_EIO
         : reason == LAT_LR_TIMEOUT  ? LAT_ETIMEOUT
         : reason == LAT_LR_OTHER    ? lat__lattice_status(s)
                                     : LAT_EINVALID;
    if (err) err->code = st;
    c->nc = NULL;
    goto fail_conn;
  }
  reason = LAT_LR_OTHER;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Domain = o->js_domain;
  if ((s = natsConnection_JetStream(&c->js, c->nc, &jo)) != NATS_OK) {
    st = lat__lattice_nats_error(s, err, "JetStream context on %s",
                                 c->servers_text);
    goto fail_conn;
  }
  *out_conn = c;
  if (out_reason) *out_reason = LAT_LR_OK;
  return LAT_OK;

fail_conn:
  lat_lattice_conn_free(c);
out:
  if (out_reason) *out_reason = reason;
  return st;
}

void lat_lattice_conn_close(lat_lattice_conn_t *c) {
  if (c && c->nc) natsConnection_Close(c->nc); /* idempotent in libnats */
}

void lat_lattice_conn_free(lat_lattice_conn_t *c) {
  if (!c) return;
  lat__wrpc_mux_free(c->wrpc_mux);
  jsCtx_Destroy(c->js);
  if (c->nc) {
    natsConnection_Close(c->nc);
    /* The closed callback runs later on libnats' callback thread and gets
     * c as its closure: wait for it before c goes away. */
    pthread_mutex_lock(&c->mu);
    while (!c->closed) pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    natsConnection_Destroy(c->nc);
  }
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
  natsOptions_Destroy(c->opts);
  lat_nkey_fini(&c->nkey);
  lat_free(c->servers_text);
  lat_free(c);
}

bool lat_lattice_conn_connected(lat_lattice_conn_t *c) {
  return c && natsConnection_Status(c->nc) == NATS_CONN_STATUS_CONNECTED;
}

uint64_t lat_lattice_conn_reconnects(lat_lattice_conn_t *c) {
  return c ? atomic_load(&c->reconnects) : 0;
}

void lat_lattice_library_close(uint32_t timeout_ms) {
  nats_CloseAndWait(timeout_ms);
}

/* ---- publish / subscribe
 * -------------------------------------------------------- */
static lat_status check_len(size_t len, lat_error_t *err) {
  if (len > INT32_MAX)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "payload of %zu bytes is too large", len);
  return LAT_OK;
}

lat_status lat_lattice_conn_publish(lat_lattice_conn_t *c, const char *subject,
                                    const char *reply, const void *data,
                                    size_t len, lat_error_t *err) {
  lat_status st = check_len(len, err);
  if (st != LAT_OK) return st;
  natsStatus s = reply ? natsConnection_PublishRequest(c->nc, subject, reply,
                                                       data, (int)len)
                       : natsConnection_Publish(c->nc, subject, data, (int)len);
  if (s != NATS_OK)
    return lat__lattice_nats_error(s, err, "publish to %s", subject);
  return LAT_OK;
}

/* ---- headers ----------------------------------------------------------------
 * Publishing with headers builds a natsMsg (libnats copies subject, reply
 * and data into it) and sends it with natsConnection_PublishMsg; the plain
 * publish path stays as it was (no extra copy).  Keys and values are
 * checked here because libnats writes them verbatim into the HPUB header
 * block: a CR/LF in a value would let a caller forge header lines. */
static lat_status check_headers(const lat_lattice_header_t *h, size_t n,
                                lat_error_t *err) {
  if (n && !h) return lat_error_set(err, LAT_EARG, SIZE_MAX, "headers: NULL");
  for (size_t i = 0; i < n; i++) {
    const char *k = h[i].key, *v = h[i].value;
    if (!k || !*k || !v)
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "header %zu: empty key or NULL value", i);
    for (const char *p = k; *p; p++)
      if (*p <= ' ' || *p >= 0x7f || *p == ':')
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "header key \"%s\": bytes must be printable "
                             "ASCII without ':' or spaces",
                             k);
    for (const char *p = v; *p; p++)
      if (*p == '\r' || *p == '\n')
        return lat_error_set(err, LAT_EARG, SIZE_MAX,
                             "header %s: value holds CR or LF", k);
  }
  return LAT_OK;
}

static lat_status make_msg(const char *subject, const char *reply,
                           const lat_lattice_header_t *hdrs, size_t nhdrs,
                           const void *data, size_t len, natsMsg **out,
                           lat_error_t *err) {
  *out = NULL;
  lat_status st = check_len(len, err);
  if (st == LAT_OK) st = check_headers(hdrs, nhdrs, err);
  if (st != LAT_OK) return st;
  natsMsg *m = NULL;
  natsStatus s = natsMsg_Create(&m, subject, reply, data, (int)len);
  for (size_t i = 0; s == NATS_OK && i < nhdrs; i++)
    s = natsMsgHeader_Add(m, hdrs[i].key, hdrs[i].value);
  if (s != NATS_OK) {
    natsMsg_Destroy(m);
    return lat__lattice_nats_error(s, err, "message to %s", subject);
  }
  *out = m;
  return LAT_OK;
}

lat_status lat_lattice_conn_publish_hdrs(lat_lattice_conn_t *c,
                                         const char *subject, const char *reply,
                                         const lat_lattice_header_t *hdrs,
                                         size_t nhdrs, const void *data,
                                         size_t len, lat_error_t *err) {
  if (nhdrs == 0)
    return lat_lattice_conn_publish(c, subject, reply, data, len, err);
  natsMsg *m = NULL;
  lat_status st = make_msg(subject, reply, hdrs, nhdrs, data, len, &m, err);
  if (st != LAT_OK) return st;
  natsStatus s = natsConnection_PublishMsg(c->nc, m);
  natsMsg_Destroy(m);
  if (s != NATS_OK)
    return lat__lattice_nats_error(s, err, "publish to %s", subject);
  return LAT_OK;
}

size_t lat_lattice_conn_max_payload(lat_lattice_conn_t *c) {
  int64_t n = natsConnection_GetMaxPayload(c->nc);
  return n > 0 ? (size_t)n : 0;
}

const char *lat_lattice_msg_header(const lat_lattice_msg_t *m,
                                   const char *key) {
  const char *v = NULL;
  if (!m->impl || natsMsgHeader_Get(m->impl, key, &v) != NATS_OK) return NULL;
  return v;
}

bool lat_lattice_msg_no_responders(const lat_lattice_msg_t *m) {
  return m->impl && natsMsg_IsNoResponders(m->impl);
}

void lat_lattice_headers_fini(lat_lattice_headers_t *h) {
  if (!h) return;
  lat_free(h->items);
  lat_free(h->text);
  h->items = NULL;
  h->text = NULL;
  h->count = 0;
}

const char *lat_lattice_headers_get(const lat_lattice_headers_t *h,
                                    const char *key) {
  for (size_t i = 0; h && i < h->count; i++)
    if (strcmp(h->items[i].key, key) == 0) return h->items[i].value;
  return NULL;
}

/* Two passes over libnats' key and value arrays: size, then copy into one
 * block, so the copy is two allocations whatever the header count. */
lat_status lat_lattice_msg_headers_copy(const lat_lattice_msg_t *m,
                                        lat_lattice_headers_t *out,
                                        lat_error_t *err) {
  memset(out, 0, sizeof *out);
  if (!m->impl) return LAT_OK;
  const char **keys = NULL;
  int nkeys = 0;
  natsStatus s = natsMsgHeader_Keys(m->impl, &keys, &nkeys);
  if (s == NATS_NOT_FOUND || (s == NATS_OK && nkeys == 0)) {
    free((void *)keys);
    return LAT_OK;
  }
  if (s != NATS_OK) return lat__lattice_nats_error(s, err, "message headers");
  lat_status st = LAT_OK;
  size_t total = 0, count = 0;
  for (int pass = 0; pass < 2 && st == LAT_OK; pass++) {
    char *w = out->text;
    for (int i = 0; i < nkeys && st == LAT_OK; i++) {
      const char **vals = NULL;
      int nvals = 0;
      if (natsMsgHeader_Values(m->impl, keys[i], &vals, &nvals) != NATS_OK)
        continue;
      size_t klen = strlen(keys[i]);
      for (int j = 0; j < nvals; j++) {
        size_t vlen = strlen(vals[j]);
        if (pass == 0) {
          total += klen + vlen + 2;
          count++;
          continue;
        }
        lat_lattice_header_t *it = &out->items[out->count++];
        memcpy(w, keys[i], klen + 1);
        it->key = w;
        w += klen + 1;
        memcpy(w, vals[j], vlen + 1);
        it->value = w;
        w += vlen + 1;
      }
      free((void *)vals);
    }
    if (pass == 0) {
      out->items = lat_calloc(count ? count : 1, sizeof *out->items);
      out->text = lat_malloc(total ? total : 1);
      if (!out->items || !out->text)
        st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    }
  }
  free((void *)keys);
  if (st != LAT_OK) lat_lattice_headers_fini(out);
  return st;
}

lat_status lat_lattice_conn_flush(lat_lattice_conn_t *c, uint32_t timeout_ms,
                                  lat_error_t *err) {
  natsStatus s = natsConnection_FlushTimeout(c->nc, timeout_ms);
  if (s != NATS_OK) return lat__lattice_nats_error(s, err, "flush");
  return LAT_OK;
}

struct lat_lattice_sub {
  natsSubscription *sub; /* libnats handle */
  lat_lattice_msg_fn fn; /* immutable */
  void *ctx;
  pthread_mutex_t mu; /* guards done */
  pthread_cond_t cv;
  bool done; /* libnats has delivered its last callback */
};

static void sub_deliver(natsConnection *nc, natsSubscription *ns, natsMsg *m,
                        void *closure) {
  (void)nc;
  (void)ns;
  lat_lattice_sub_t *s = closure;
  lat_lattice_msg_t msg = {
      .subject = natsMsg_GetSubject(m),
      .reply = natsMsg_GetReply(m),
      .data = (const uint8_t *)natsMsg_GetData(m),
      .len = (size_t)natsMsg_GetDataLength(m),
      .impl = m,
  };
  if (msg.reply && !*msg.reply) msg.reply = NULL;
  s->fn(s->ctx, &msg);
  natsMsg_Destroy(m);
}

static void sub_complete(void *closure) {
  lat_lattice_sub_t *s = closure;
  pthread_mutex_lock(&s->mu);
  s->done = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

lat_status lat_lattice_conn_subscribe(lat_lattice_conn_t *c,
                                      const char *subject, const char *queue,
                                      lat_lattice_msg_fn fn, void *ctx,
                                      lat_lattice_sub_t **out_sub,
                                      lat_error_t *err) {
  *out_sub = NULL;
  lat_lattice_sub_t *s = lat_calloc(1, sizeof *s);
  if (!s) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  s->fn = fn;
  s->ctx = ctx;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  natsStatus ns =
      queue ? natsConnection_QueueSubscribe(&s->sub, c->nc, subject, queue,
                                            sub_deliver, s)
            : natsConnection_Subscribe(&s->sub, c->nc, subject, sub_deliver, s);
  if (ns == NATS_OK)
    ns = natsSubscription_SetOnCompleteCB(s->sub, sub_complete, s);
  if (ns != NATS_OK) {
    lat_status st =
        lat__lattice_nats_error(ns, err, "subscribe to %s%s%s", subject,
                                queue ? " queue " : "", queue ? queue : "");
    if (s->sub) {
      natsSubscription_Unsubscribe(s->sub);
      natsSubscription_Destroy(s->sub);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    lat_free(s);
    return st;
  }
  *out_sub = s;
  return LAT_OK;
}

void lat_lattice_sub_free(lat_lattice_sub_t *s) {
  if (!s) return;
  if (natsSubscription_Unsubscribe(s->sub) == NATS_OK) {
    /* The on-complete callback runs once the delivery thread has finished
     * with this subscription; after it, fn never runs again. */
    pthread_mutex_lock(&s->mu);
    while (!s->done) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
  }
  natsSubscription_Destroy(s->sub);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  lat_free(s);
}

/* ---- permission violations
 * ---------------------------------------------------- */
/* True, with the server's words in err, when the conn's last error is a
 * permission violation naming subject or (need_inbox) an inbox. */
static bool refused(lat_lattice_conn_t *c, const char *subject, bool any_inbox,
                    lat_error_t *err) {
  const char *text = NULL;
  natsStatus last = natsConnection_GetLastError(c->nc, &text);
  if (last != NATS_NOT_PERMITTED || !text) return false;
  char quoted[600];
  snprintf(quoted, sizeof quoted, "\"%s\"", subject);
  if (!strstr(text, quoted) && !(any_inbox && strstr(text, "\"_INBOX."))) return false;
  lat_error_set(err, LAT_EINVALID, SIZE_MAX, "permission denied: the server says %s", text);
  return true;
}

lat_status lat_lattice_conn_check_permission(lat_lattice_conn_t *c,
                                             const char *subject,
                                             uint32_t timeout_ms,
                                             lat_error_t *err) {
  lat_status st = lat_lattice_conn_flush(c, timeout_ms, err);
  if (st != LAT_OK) return st;
  return refused(c, subject, false, err) ? LAT_EINVALID : LAT_OK;
}

/* ---- request/reply, scatter/gather
 * ------------------------------------------------ */
lat_status lat_lattice_conn_request(lat_lattice_conn_t *c, const char *subject,
                                    const void *data, size_t len,
                                    uint32_t timeout_ms,
                                    lat_lattice_reply_t *out_reply,
                                    lat_error_t *err) {
  return lat_lattice_conn_request_hdrs(c, subject, NULL, 0, data, len,
                                       timeout_ms, out_reply, err);
}

lat_status lat_lattice_conn_request_hdrs(lat_lattice_conn_t *c,
                                         const char *subject,
                                         const lat_lattice_header_t *hdrs,
                                         size_t nhdrs, const void *data,
                                         size_t len, uint32_t timeout_ms,
                                         lat_lattice_reply_t *out_reply,
                                         lat_error_t *err) {
  return lat_lattice_conn_request_ex(c, subject, hdrs, nhdrs, data, len,
                                     timeout_ms, out_reply, NULL, err);
}

lat_status lat_lattice_conn_request_ex(lat_lattice_conn_t *c,
                                       const char *subject,
                                       const lat_lattice_header_t *hdrs,
                                       size_t nhdrs, const void *data,
                                       size_t len, uint32_t timeout_ms,
                                       lat_lattice_reply_t *out_reply,
                                       lat_lattice_headers_t *out_hdrs,
                                       lat_error_t *err) {
  if (out_hdrs) memset(out_hdrs, 0, sizeof *out_hdrs);
  out_reply->data = NULL;
  out_reply->len = 0;
  lat_status st = check_len(len, err);
  if (st != LAT_OK) return st;
  natsMsg *m = NULL;
  natsStatus s;
  if (nhdrs == 0) {
    s = natsConnection_Request(&m, c->nc, subject, data, (int)len, timeout_ms);
  } else {
    natsMsg *req = NULL;
    st = make_msg(subject, NULL, hdrs, nhdrs, data, len, &req, err);
    if (st != LAT_OK) return st;
    s = natsConnection_RequestMsg(&m, c->nc, req, timeout_ms);
    natsMsg_Destroy(req);
  }
  if (s != NATS_OK) {
    if ((s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS) && refused(c, subject, true, err))
      return LAT_EINVALID;
    if (s == NATS_TIMEOUT)
      return lat_error_set(err, LAT_ETIMEOUT, SIZE_MAX,
                           "request to %s: no reply within %u ms", subject,
                           timeout_ms);
    if (s == NATS_NO_RESPONDERS)
      return lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX,
                           "request to %s: no responders", subject);
    return lat__lattice_nats_error(s, err, "request to %s", subject);
  }
  st = lat__lattice_reply_set(out_reply, natsMsg_GetData(m),
                              (size_t)natsMsg_GetDataLength(m));
  if (st == LAT_OK && out_hdrs) {
    lat_lattice_msg_t rm = {.impl = m};
    st = lat_lattice_msg_headers_copy(&rm, out_hdrs, err);
    if (st != LAT_OK) lat_lattice_reply_fini(out_reply);
    natsMsg_Destroy(m);
    return st;
  }
  natsMsg_Destroy(m);
  if (st != LAT_OK) return lat_error_set(err, st, SIZE_MAX, "out of memory");
  return LAT_OK;
}

static lat_status replies_push(lat_lattice_replies_t *r, size_t *cap,
                               const void *data, size_t len) {
  if (r->count == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8, bytes;
    if (!lat_mul_size(ncap, sizeof *r->items, &bytes)) return LAT_ENOMEM;
    lat_lattice_reply_t *n = lat_realloc(r->items, bytes);
    if (!n) return LAT_ENOMEM;
    r->items = n;
    *cap = ncap;
  }
  lat_status st = lat__lattice_reply_set(&r->items[r->count], data, len);
  if (st == LAT_OK) r->count++;
  return st;
}

lat_status lat_lattice_conn_gather(lat_lattice_conn_t *c, const char *subject,
                                   const void *data, size_t len,
                                   uint32_t window_ms, size_t max_replies,
                                   lat_lattice_replies_t *out,
                                   lat_error_t *err) {
  out->items = NULL;
  out->count = 0;
  size_t cap = 0;
  lat_status st = check_len(len, err);
  if (st != LAT_OK) return st;
  natsInbox *inbox = NULL;
  natsSubscription *sub = NULL;
  natsStatus s = natsInbox_Create(&inbox);
  if (s == NATS_OK) s = natsConnection_SubscribeSync(&sub, c->nc, inbox);
  /* The SUB goes out before the PUB on the same connection, so the
   * server knows the inbox before any responder can answer. */
  if (s == NATS_OK)
    s = natsConnection_PublishRequest(c->nc, subject, inbox, data, (int)len);
  if (s != NATS_OK) {
    st = lat__lattice_nats_error(s, err, "gather on %s", subject);
    goto out_sub;
  }
  uint64_t deadline = lat_now_ns() + (uint64_t)window_ms * 1000000u;
  while (max_replies == 0 || out->count < max_replies) {
    uint64_t now = lat_now_ns();
    if (now >= deadline) break;
    int64_t left_ms = (int64_t)((deadline - now + 999999u) / 1000000u);
    natsMsg *m = NULL;
    s = natsSubscription_NextMsg(&m, sub, left_ms);
    /* The server's "no responders" status (nobody subscribed) ends it. */
    if (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS) break;
    if (s != NATS_OK) {
      st = lat__lattice_nats_error(s, err, "gather on %s", subject);
      goto out_sub;
    }
    int n = natsMsg_GetDataLength(m);
    /* An empty payload ends collection (§1.4). */
    if (n == 0) {
      natsMsg_Destroy(m);
      break;
    }
    st = replies_push(out, &cap, natsMsg_GetData(m), (size_t)n);
    natsMsg_Destroy(m);
    if (st != LAT_OK) {
      lat_error_set(err, st, SIZE_MAX, "out of memory");
      goto out_sub;
    }
  }
  st = LAT_OK;
  if (out->count == 0 && refused(c, subject, true, err)) st = LAT_EINVALID;
out_sub:
  if (sub) {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  natsInbox_Destroy(inbox);
  if (st != LAT_OK) lat_lattice_replies_fini(out);
  return st;
}
