/* lattice_wrpc_nats.c: the wRPC 0.0.1 NATS transport (PROTOCOL.md §4.3,
 * wrpc-transport-nats 0.29 as the 1.x host links it), client and server.
 *
 * The exchange, for one invocation:
 *   client  SUB R_c, SUB R_c.results; HPUB {subject} reply R_c with headers
 *           and the first chunk of the params (at most max_payload minus
 *           the length of R_c and of the header block, as the Rust client
 *           trims it)
 *   server  SUB R_s.params; PUB R_c reply R_s, empty payload (handshake)
 *   client  PUB R_s.params with the rest in max_payload chunks, then an
 *           empty message (end of the stream)
 *   server  runs the function; PUB R_c.results in max_payload chunks, then
 *           an empty message; a failed call sends only the empty message
 *
 * Approach.  Client: straight-line code on the caller's thread.  Every
 * call of a conn shares one inbox subscription "_INBOX.<nuid>.>" (R_c is
 * "_INBOX.<nuid>.<n>"); its libnats callback routes each message by the
 * token <n> to the waiting call, which sleeps on its own condition
 * variable with a deadline.  Server: the libnats callback of the queue
 * subscription copies the first chunk and the headers, makes R_s,
 * subscribes R_s.params (synchronously: a worker reads it later), sends
 * the handshake and queues the call; a worker reads the rest of the params
 * with NextMsg against a deadline, runs the handler and writes the
 * results.  The SUB for an inbox goes out on the same connection before
 * the PUB that names it, so the peer can never answer before we listen.
 * When the server knows the parameter types and the first chunk decodes
 * as all of them, it neither subscribes R_s.params nor waits for the
 * client's end message, as the Rust server (which decodes lazily) never
 * does; the client's end message then finds no subscriber and is dropped.
 *
 * Invariants: every wait has a deadline; a call owns its subscription,
 * inbox and buffers and frees them on every path; a client call's waiter
 * is in the mux map only while the call runs (removed under the mux mutex
 * before it returns, so the callback never sees a dead waiter); the server
 * counts calls taken (inflight, under mu) and lat_wrpc_server_free waits
 * for zero after unsubscribing, so no worker touches a freed server.  A
 * peer flooding an inbox is capped: a client result stream by max_results
 * (the excess is dropped and the call fails with LAT_ELIMIT), a server
 * params subscription by pending limits a little above max_params.
 *
 * Not yet: async values on nested index paths (R.params.<i>, R.results.
 * <i>): a pending future or stream decodes as pending, but its data is not
 * carried.  The host needs them for wrpc:http bodies; on the client they
 * are one more case in the mux callback, on the server one more sync
 * subscription per path.
 *
 * Rejected: a SUB/UNSUB pair per client call for R_c and R_c.results (the
 * first version: two extra round trips through the server's subscription
 * index, about 35 us of a ~180 us call here); assembling server params
 * from an async subscription (needs a timer thread to expire calls whose
 * client vanished, and a state machine between three threads; the worker
 * with a deadline is the same wire and a third of the code, at the cost of
 * holding a worker while a slow client sends its params, bounded by
 * params_timeout_ms); running handlers on the libnats thread (a slow
 * handler would stall every subscription of the conn). */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "lattice_int.h"

#define DEFAULT_WORKERS 4u
#define DEFAULT_MAX_QUEUED 1024u
#define DEFAULT_PARAMS_TIMEOUT_MS 10000u
#define PENDING_MSGS_MAX (1 << 20)
#define SUBJECT_MAX 1024u /* longest reply subject we accept from a peer */

/* ---- helpers --------------------------------------------------------------- */
static int64_t ms_left(uint64_t deadline_ns) {
  uint64_t now = lat_now_ns();
  if (now >= deadline_ns) return 0;
  return (int64_t)((deadline_ns - now + 999999u) / 1000000u);
}

/* A reply subject from a peer that we will publish to: printable, no
 * empty tokens, no wildcards (publishing to "x.>" would be refused by the
 * server, or worse, fan out). */
static bool reply_subject_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > SUBJECT_MAX || s[0] == '.' || s[n - 1] == '.') return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch <= ' ' || ch >= 0x7f) return false;
    if (ch == '.' && s[i + 1] == '.') return false;
    if ((ch == '*' || ch == '>') && (i == 0 || s[i - 1] == '.') &&
        (s[i + 1] == '.' || s[i + 1] == 0))
      return false;
  }
  return true;
}

/* Bytes a header block takes on the wire (the Rust client's arithmetic):
 * "NATS/1.0\r\n" + each "key: value\r\n" + "\r\n". */
static size_t header_block_len(const lat_lattice_header_t *h, size_t n) {
  if (n == 0) return 0;
  size_t total = 10 + 2;
  for (size_t i = 0; i < n; i++)
    total += strlen(h[i].key) + 2 + strlen(h[i].value) + 2;
  return total;
}

/* Publishes data to subject in chunks of at most max bytes, then an empty
 * message. */
static lat_status send_stream(lat_lattice_conn_t *c, const char *subject,
                              const uint8_t *data, size_t len, size_t max,
                              lat_error_t *err) {
  if (max == 0)
    return lat_error_set(err, LAT_EIO, SIZE_MAX,
                         "not connected (no max_payload from the server)");
  while (len > 0) {
    size_t n = len < max ? len : max;
    natsStatus s = natsConnection_Publish(c->nc, subject, data, (int)n);
    if (s != NATS_OK)
      return lat__lattice_nats_error(s, err, "publish to %s", subject);
    data += n;
    len -= n;
  }
  natsStatus s = natsConnection_Publish(c->nc, subject, NULL, 0);
  if (s != NATS_OK) return lat__lattice_nats_error(s, err, "publish to %s", subject);
  return LAT_OK;
}

static lat_status sub_sync(lat_lattice_conn_t *c, const char *subject,
                           size_t max_bytes, natsSubscription **out,
                           lat_error_t *err) {
  natsStatus s = natsConnection_SubscribeSync(out, c->nc, subject);
  if (s == NATS_OK) {
    size_t bytes = max_bytes + (2u << 20);
    s = natsSubscription_SetPendingLimits(
        *out, PENDING_MSGS_MAX, bytes > INT32_MAX ? INT32_MAX : (int)bytes);
  }
  if (s != NATS_OK) return lat__lattice_nats_error(s, err, "subscribe to %s", subject);
  return LAT_OK;
}

static void unsub(natsSubscription *sub) {
  if (!sub) return;
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
}

/* Reads messages from sub into out until an empty one (the end of the
 * stream), the deadline, or more than max bytes. */
static lat_status read_stream(natsSubscription *sub, const char *what,
                              uint64_t deadline, size_t max, lat_buf_t *out,
                              lat_error_t *err) {
  for (;;) {
    int64_t left = ms_left(deadline);
    if (left == 0)
      return lat_error_set(err, LAT_ETIMEOUT, SIZE_MAX,
                           "%s: the stream did not end in time (%zu bytes "
                           "so far)",
                           what, out->len);
    natsMsg *m = NULL;
    natsStatus s = natsSubscription_NextMsg(&m, sub, left);
    if (s == NATS_TIMEOUT) continue; /* re-checks the deadline */
    if (s == NATS_SLOW_CONSUMER)
      return lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                           "%s: the peer sent faster than we could take", what);
    if (s != NATS_OK) return lat__lattice_nats_error(s, err, "%s", what);
    size_t n = (size_t)natsMsg_GetDataLength(m);
    if (n == 0) {
      natsMsg_Destroy(m);
      return LAT_OK;
    }
    lat_status st = LAT_OK;
    if (out->len + n > max)
      st = lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "%s: more than %zu bytes", what, max);
    else if (lat_buf_append(out, natsMsg_GetData(m), n) != LAT_OK)
      st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    natsMsg_Destroy(m);
    if (st != LAT_OK) return st;
  }
}

/* ---- client ----------------------------------------------------------------
 * One inbox per conn, made on first use: R_c = "_INBOX.<nuid>.<n>" for
 * call n, all of them under one wildcard subscription "_INBOX.<nuid>.>"
 * whose callback routes each message to its call by the token <n>.  A call
 * then costs no SUB/UNSUB of its own (four protocol round trips through
 * the server's subscription index, measured at about a third of a call's
 * time).  The handshake goes to R_c, results to R_c.results; nested paths
 * (R_c.results.<i>) are ignored for now.  The callback only copies and
 * signals: the calling thread waits on its own condition variable with a
 * deadline. */
typedef struct {
  pthread_cond_t cv; /* CLOCK_MONOTONIC; signalled on every change below */
  /* guarded by the mux's mu: */
  bool got_hs;       /* a handshake (or a 503) came */
  bool no_resp;      /* it was the server's 503 */
  char *hs_reply;    /* its reply subject (owned), NULL when none */
  lat_buf_t results; /* the result stream so far */
  bool ended;        /* its empty end message came */
  bool overflow;     /* more than max bytes came (the rest is dropped) */
  size_t max;
} waiter_t;

struct lat__wrpc_mux {
  lat_lattice_sub_t *sub; /* "<prefix>.>" */
  char prefix[64];        /* "_INBOX.<nuid>"; immutable */
  size_t prefix_len;
  pthread_mutex_t mu; /* guards calls, next and every waiter's fields */
  lat_map_t calls;    /* token -> waiter_t * (borrowed from the caller) */
  uint64_t next;
};

static void mux_deliver(void *ctx, const lat_lattice_msg_t *m) {
  struct lat__wrpc_mux *x = ctx;
  const char *subj = m->subject;
  if (strncmp(subj, x->prefix, x->prefix_len) != 0 || subj[x->prefix_len] != '.')
    return;
  const char *tok = subj + x->prefix_len + 1, *dot = strchr(tok, '.');
  size_t tlen = dot ? (size_t)(dot - tok) : strlen(tok);
  bool results = dot && strcmp(dot, ".results") == 0;
  if (dot && !results) return; /* a nested path: not carried yet */
  pthread_mutex_lock(&x->mu);
  waiter_t *w = NULL;
  if (lat_map_get(&x->calls, tok, tlen, (void **)&w)) {
    if (!results) {
      if (!w->got_hs) {
        w->got_hs = true;
        w->no_resp = lat_lattice_msg_no_responders(m);
        if (m->reply) w->hs_reply = lat_strndup(m->reply, strlen(m->reply));
      }
    } else if (m->len == 0) {
      w->ended = true;
    } else if (!w->overflow) {
      if (w->results.len + m->len > w->max ||
          lat_buf_append(&w->results, m->data, m->len) != LAT_OK)
        w->overflow = true;
    }
    pthread_cond_broadcast(&w->cv);
  }
  pthread_mutex_unlock(&x->mu);
}

void lat__wrpc_mux_free(struct lat__wrpc_mux *x) {
  if (!x) return;
  lat_lattice_sub_free(x->sub);
  lat_map_fini(&x->calls);
  pthread_mutex_destroy(&x->mu);
  lat_free(x);
}

static lat_status mux_get(lat_lattice_conn_t *c, struct lat__wrpc_mux **out,
                          lat_error_t *err) {
  pthread_mutex_lock(&c->mu);
  lat_status st = LAT_OK;
  struct lat__wrpc_mux *x = c->wrpc_mux;
  if (!x) {
    natsInbox *ib = NULL;
    char wild[80];
    x = lat_calloc(1, sizeof *x);
    if (!x) {
      st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      goto out;
    }
    pthread_mutex_init(&x->mu, NULL);
    lat_map_init(&x->calls, 0);
    natsStatus ns = natsInbox_Create(&ib);
    if (ns != NATS_OK) {
      st = lat__lattice_nats_error(ns, err, "inbox");
    } else {
      snprintf(x->prefix, sizeof x->prefix, "%s", ib);
      x->prefix_len = strlen(x->prefix);
      snprintf(wild, sizeof wild, "%s.>", x->prefix);
      st = lat_lattice_conn_subscribe(c, wild, NULL, mux_deliver, x, &x->sub, err);
    }
    natsInbox_Destroy(ib);
    if (st != LAT_OK) {
      lat__wrpc_mux_free(x);
      goto out;
    }
    c->wrpc_mux = x;
  }
  *out = x;
out:
  pthread_mutex_unlock(&c->mu);
  return st;
}

/* Waits (mux mu held) until cond holds or the deadline passes. */
static bool wait_until(struct lat__wrpc_mux *x, waiter_t *w, uint64_t deadline,
                       bool (*cond)(const waiter_t *w)) {
  while (!cond(w)) {
    if (lat_now_ns() >= deadline) return false;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                          .tv_nsec = (long)(deadline % 1000000000u)};
    pthread_cond_timedwait(&w->cv, &x->mu, &ts);
  }
  return true;
}
static bool hs_came(const waiter_t *w) { return w->got_hs; }
static bool results_done(const waiter_t *w) { return w->ended || w->overflow; }

lat_status lat_wrpc_invoke(lat_lattice_conn_t *c, const char *lattice,
                           const char *target_id, const char *instance,
                           const char *function, const uint8_t *params,
                           size_t len, const lat_wrpc_invoke_opts_t *opts,
                           lat_lattice_reply_t *out_results, lat_error_t *err) {
  out_results->data = NULL;
  out_results->len = 0;
  lat_wrpc_invoke_opts_t o = {0};
  if (opts) o = *opts;
  if (!o.timeout_ms) o.timeout_ms = LAT_WRPC_TIMEOUT_MS_DEFAULT;
  if (!o.max_results) o.max_results = LAT_WRPC_MAX_MESSAGE;
  uint64_t deadline = lat_now_ns() + (uint64_t)o.timeout_ms * 1000000u;

  char *subject = NULL, *rs = NULL, rc[96], token[24], rs_params[SUBJECT_MAX + 16];
  struct lat__wrpc_mux *x = NULL;
  waiter_t w = {.max = o.max_results};
  lat_buf_init(&w.results);
  bool registered = false;
  lat_status st =
      lat_lattice_subj_wrpc(lattice, target_id, instance, function, &subject, err);
  if (st != LAT_OK) return st;
  if (len > INT32_MAX) {
    st = lat_error_set(err, LAT_EARG, SIZE_MAX, "params of %zu bytes", len);
    goto out;
  }
  if ((st = mux_get(c, &x, err))) goto out;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w.cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_lock(&x->mu);
  snprintf(token, sizeof token, "%llx", (unsigned long long)++x->next);
  bool added = false;
  st = lat_map_add(&x->calls, token, strlen(token), &w, &added);
  pthread_mutex_unlock(&x->mu);
  registered = st == LAT_OK;
  if (st != LAT_OK) {
    st = lat_error_set(err, st, SIZE_MAX, "out of memory");
    goto out;
  }
  snprintf(rc, sizeof rc, "%s.%s", x->prefix, token);

  /* the first chunk, trimmed so the message with headers fits */
  size_t maxp = lat_lattice_conn_max_payload(c);
  size_t overhead = strlen(rc) + header_block_len(o.headers, o.nheaders);
  size_t n0 = maxp > overhead ? maxp - overhead : 0;
  if (n0 > len) n0 = len;
  if ((st = lat_lattice_conn_publish_hdrs(c, subject, rc, o.headers, o.nheaders,
                                          params, n0, err)))
    goto out;

  /* the handshake: an empty message with the server's inbox as reply */
  pthread_mutex_lock(&x->mu);
  bool came = wait_until(x, &w, deadline, hs_came);
  bool no_resp = w.no_resp;
  rs = w.hs_reply;
  w.hs_reply = NULL;
  pthread_mutex_unlock(&x->mu);
  if (!came) {
    st = lat_error_set(err, LAT_ETIMEOUT, SIZE_MAX,
                       "%s: no handshake within %u ms", subject, o.timeout_ms);
    goto out;
  }
  if (no_resp) {
    st = lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX,
                       "%s: no responders (nothing serves it)", subject);
    goto out;
  }
  if (!reply_subject_ok(rs)) {
    st = lat_error_set(err, LAT_EMALFORMED, SIZE_MAX,
                       "%s: the handshake has no usable reply subject", subject);
    goto out;
  }
  snprintf(rs_params, sizeof rs_params, "%s.params", rs);
  if ((st = send_stream(c, rs_params, params + n0, len - n0, maxp, err))) goto out;

  /* results until the empty message */
  pthread_mutex_lock(&x->mu);
  bool done = wait_until(x, &w, deadline, results_done);
  bool overflow = w.overflow;
  size_t got = w.results.len;
  pthread_mutex_unlock(&x->mu);
  if (overflow)
    st = lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                       "%s: results larger than %zu bytes (or out of memory)",
                       subject, o.max_results);
  else if (!done)
    st = lat_error_set(err, LAT_ETIMEOUT, SIZE_MAX,
                       "%s: the results did not end within %u ms (%zu bytes "
                       "so far)",
                       subject, o.timeout_ms, got);
  if (st != LAT_OK) goto out;
out:
  if (registered) { /* after this the callback no longer sees w */
    pthread_mutex_lock(&x->mu);
    lat_map_del(&x->calls, token, strlen(token), NULL);
    pthread_mutex_unlock(&x->mu);
  }
  if (st == LAT_OK) {
    st = lat__lattice_reply_set(out_results, w.results.data, w.results.len);
    if (st != LAT_OK) lat_error_set(err, st, SIZE_MAX, "out of memory");
  }
  if (x) pthread_cond_destroy(&w.cv);
  lat_free(w.hs_reply);
  lat_free(rs);
  lat_buf_fini(&w.results);
  lat_free(subject);
  return st;
}

/* ---- server ---------------------------------------------------------------- */
struct lat_wrpc_server {
  lat_lattice_conn_t *conn; /* borrowed; outlives the server */
  char *subject;            /* immutable after serve */
  char *instance, *function;
  lat_wrpc_handler_fn fn;
  void *ctx;
  lat_queue_t *q;           /* where calls run: given or own_q */
  lat_queue_t *own_q;       /* NULL when the caller gave a queue */
  lat_workers_t *own_workers;
  uint32_t params_timeout_ms;
  size_t max_params;
  bool params_typed; /* param_types[0..nparam_types) are known */
  const lat_ctype_t *const *param_types; /* borrowed */
  uint32_t nparam_types;
  lat_lattice_sub_t *sub; /* the invocation subscription */
  pthread_mutex_t mu;     /* guards inflight */
  pthread_cond_t cv;      /* signalled when inflight drops to 0 */
  size_t inflight;        /* calls queued or running */
  atomic_uint_fast64_t served, failed, dropped;
};

typedef struct {
  lat_wrpc_server_t *srv;
  char *reply;                   /* R_c (owned) */
  lat_lattice_headers_t headers; /* owned */
  lat_buf_t params;              /* the first chunk, then the rest */
  natsInbox *rs;                 /* R_s (owned) */
  natsSubscription *psub;        /* R_s.params; NULL when complete */
  bool complete;                 /* the first chunk holds all params */
  uint64_t deadline;             /* for the rest of the params */
} call_t;

static void call_free(call_t *k) {
  if (!k) return;
  unsub(k->psub);
  natsInbox_Destroy(k->rs);
  lat_free(k->reply);
  lat_lattice_headers_fini(&k->headers);
  lat_buf_fini(&k->params);
  lat_free(k);
}

static void call_done(lat_wrpc_server_t *s) {
  pthread_mutex_lock(&s->mu);
  if (--s->inflight == 0) pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* True when the function's parameter types are known and the first chunk
 * decodes as all of them: then it is all of the params (the encoding is
 * self-delimiting, so a longer stream would leave trailing bytes and be
 * malformed anyway) and the end-of-params message need not be awaited.
 * The trial decode runs only on a first chunk up to 16 KiB (it runs on the
 * libnats thread), so a big call is not decoded twice. */
static bool first_chunk_complete(const lat_wrpc_server_t *s, call_t *k) {
  if (!s->params_typed || k->params.len > (16u << 10)) return false;
  lat_arena_t a;
  lat_arena_init(&a);
  lat_cval_t one[8], *vs = s->nparam_types <= 8
                               ? one
                               : lat_calloc(s->nparam_types, sizeof *vs);
  bool ok = vs && lat_wrpc_decode_values(k->params.data, k->params.len,
                                         s->param_types, s->nparam_types, &a,
                                         vs, NULL) == LAT_OK;
  if (vs != one) lat_free(vs);
  lat_arena_fini(&a);
  return ok;
}

/* Runs on a worker: the rest of the params, the handler, the results. */
static void run_call(void *arg) {
  call_t *k = arg;
  lat_wrpc_server_t *s = k->srv;
  lat_lattice_conn_t *c = s->conn;
  lat_buf_t results;
  lat_buf_init(&results);
  lat_error_t err;
  lat_error_clear(&err);
  char rc_results[SUBJECT_MAX + 16];
  snprintf(rc_results, sizeof rc_results, "%s.results", k->reply);
  lat_status st = LAT_OK;
  if (!k->complete && (st = read_stream(k->psub, "params", k->deadline,
                                        s->max_params, &k->params, &err))) {
    atomic_fetch_add(&s->dropped, 1);
    LAT_LOG(LAT_LOG_WARN, "wrpc", "call dropped: params", LAT_KV_STR("subject", s->subject),
            LAT_KV_STR("status", lat_status_name(st)), LAT_KV_STR("error", err.msg));
    /* a client still listening sees the end of an empty result stream
     * instead of waiting for its timeout */
    natsConnection_Publish(c->nc, rc_results, NULL, 0);
    goto out;
  }
  unsub(k->psub);
  k->psub = NULL;

  lat_wrpc_request_t req = {.instance = s->instance,
                            .function = s->function,
                            .headers = &k->headers,
                            .params = k->params.data,
                            .len = k->params.len};
  st = s->fn(s->ctx, &req, &results, &err);
  bool ok = st == LAT_OK;
  if (!ok) {
    atomic_fetch_add(&s->failed, 1);
    LAT_LOG(LAT_LOG_WARN, "wrpc", "call failed: result stream closed empty",
            LAT_KV_STR("subject", s->subject),
            LAT_KV_STR("source_id", lat_lattice_headers_get(&k->headers, "source-id")),
            LAT_KV_STR("status", lat_status_name(st)),
            LAT_KV_STR("error", err.msg));
    results.len = 0;
  }
  st = send_stream(c, rc_results, results.data, results.len,
                   lat_lattice_conn_max_payload(c), &err);
  if (st != LAT_OK)
    LAT_LOG(LAT_LOG_WARN, "wrpc", "sending results failed",
            LAT_KV_STR("subject", s->subject), LAT_KV_STR("error", err.msg));
  else if (ok)
    atomic_fetch_add(&s->served, 1);
out:
  lat_buf_fini(&results);
  call_free(k);
  call_done(s);
}

/* On a libnats thread: copy what the worker needs, make R_s (subscribing
 * R_s.params unless the first chunk holds all params), send the handshake
 * and queue the call.  The handshake goes out here rather than on the
 * worker so the client's remaining params (or its end message) travel
 * while a worker is being woken.  Nothing here blocks: a SUB and a PUB are
 * buffered writes, and the trial decode is capped at 16 KiB. */
static void on_invocation(void *ctx, const lat_lattice_msg_t *m) {
  lat_wrpc_server_t *s = ctx;
  lat_lattice_conn_t *c = s->conn;
  const char *why = NULL;
  call_t *k = NULL;
  bool shook = false;
  char rs_params[128];
  if (!reply_subject_ok(m->reply)) {
    why = "no usable reply subject";
    goto drop;
  }
  if (m->len > s->max_params) {
    why = "first chunk larger than max_params";
    goto drop;
  }
  k = lat_calloc(1, sizeof *k);
  if (!k || !(k->reply = lat_strndup(m->reply, strlen(m->reply))) ||
      lat_lattice_msg_headers_copy(m, &k->headers, NULL) != LAT_OK ||
      lat_buf_append(&k->params, m->data, m->len) != LAT_OK) {
    why = "out of memory";
    goto drop;
  }
  k->srv = s;
  k->deadline = lat_now_ns() + (uint64_t)s->params_timeout_ms * 1000000u;
  k->complete = first_chunk_complete(s, k);
  if (natsInbox_Create(&k->rs) != NATS_OK) {
    why = "cannot make an inbox";
    goto drop;
  }
  snprintf(rs_params, sizeof rs_params, "%s.params", k->rs);
  /* With all params in hand nothing needs to listen on R_s.params: the
   * client's end-of-params message finds no subscriber and is dropped by
   * the server (a plain publish gets no 503). */
  if (!k->complete && sub_sync(c, rs_params, s->max_params, &k->psub, NULL)) {
    why = "cannot subscribe to the params";
    goto drop;
  }
  if (natsConnection_PublishRequest(c->nc, k->reply, k->rs, NULL, 0) != NATS_OK) {
    why = "cannot send the handshake";
    goto drop;
  }
  shook = true;
  pthread_mutex_lock(&s->mu);
  s->inflight++;
  pthread_mutex_unlock(&s->mu);
  if (lat_queue_push(s->q, run_call, k) != LAT_OK) {
    call_done(s);
    why = "queue full or closed";
    goto drop;
  }
  return;
drop:
  if (shook) { /* end the result stream so the client need not time out */
    char rc_results[SUBJECT_MAX + 16];
    snprintf(rc_results, sizeof rc_results, "%s.results", k->reply);
    natsConnection_Publish(c->nc, rc_results, NULL, 0);
  }
  call_free(k);
  atomic_fetch_add(&s->dropped, 1);
  LAT_LOG(LAT_LOG_WARN, "wrpc", "invocation refused",
          LAT_KV_STR("subject", s->subject), LAT_KV_STR("reason", why));
}

lat_status lat_wrpc_serve(lat_lattice_conn_t *c, const char *lattice,
                          const char *id, const char *instance,
                          const char *function, lat_wrpc_handler_fn fn,
                          void *ctx, const lat_wrpc_serve_opts_t *opts,
                          lat_wrpc_server_t **out, lat_error_t *err) {
  *out = NULL;
  lat_wrpc_serve_opts_t o = {0};
  if (opts) o = *opts;
  if (!fn) return lat_error_set(err, LAT_EARG, SIZE_MAX, "no handler");
  lat_wrpc_server_t *s = lat_calloc(1, sizeof *s);
  if (!s) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->conn = c;
  s->fn = fn;
  s->ctx = ctx;
  s->params_timeout_ms = o.params_timeout_ms ? o.params_timeout_ms
                                             : DEFAULT_PARAMS_TIMEOUT_MS;
  s->max_params = o.max_params ? o.max_params : LAT_WRPC_MAX_MESSAGE;
  s->params_typed = o.params_typed;
  s->param_types = o.param_types;
  s->nparam_types = o.nparam_types;
  char *group = NULL;
  lat_status st =
      lat_lattice_subj_wrpc(lattice, id, instance, function, &s->subject, err);
  if (st == LAT_OK) st = lat_lattice_subj_wrpc_prefix(lattice, id, &group, err);
  if (st != LAT_OK) goto fail;
  s->instance = lat_strndup(instance, strlen(instance));
  s->function = lat_strndup(function, strlen(function));
  if (!s->instance || !s->function) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto fail;
  }
  s->q = o.queue;
  if (!s->q) {
    if ((st = lat_queue_new(o.max_queued ? o.max_queued : DEFAULT_MAX_QUEUED,
                            &s->own_q)) ||
        (st = lat_workers_new(o.workers ? o.workers : DEFAULT_WORKERS, s->own_q,
                              &s->own_workers))) {
      lat_error_set(err, st, SIZE_MAX, "cannot start the server's workers");
      goto fail;
    }
    s->q = s->own_q;
  }
  st = lat_lattice_conn_subscribe(c, s->subject, group, on_invocation, s,
                                  &s->sub, err);
  if (st != LAT_OK) goto fail;
  lat_free(group);
  *out = s;
  return LAT_OK;
fail:
  lat_free(group);
  lat_wrpc_server_free(s);
  return st;
}

void lat_wrpc_server_free(lat_wrpc_server_t *s) {
  if (!s) return;
  lat_lattice_sub_free(s->sub); /* no new calls after this */
  pthread_mutex_lock(&s->mu);
  while (s->inflight) pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  lat_workers_free(s->own_workers);
  lat_queue_free(s->own_q);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  lat_free(s->subject);
  lat_free(s->instance);
  lat_free(s->function);
  lat_free(s);
}

void lat_wrpc_server_stats(lat_wrpc_server_t *s, lat_wrpc_server_stats_t *out) {
  out->served = atomic_load(&s->served);
  out->failed = atomic_load(&s->failed);
  out->dropped = atomic_load(&s->dropped);
}
