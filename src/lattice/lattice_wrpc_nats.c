/* lattice_wrpc_nats.c: the wRPC 0.0.1 NATS transport (PROTOCOL.md §4.3,
 * wrpc-transport-nats 0.29 as the 1.x host links it), client and server.
 *
 * The exchange, for one invocation:
 *   client  SUB R_c, SUB R_c.results (and R_c.results.<path>); HPUB
 *           {subject} reply R_c with headers and the first chunk of the
 *           params (at most max_payload minus the length of R_c and of the
 *           header block, as the Rust client trims it)
 *   server  SUB R_s.params (R_s.> when nested params are expected); PUB
 *           R_c reply R_s, empty payload (handshake)
 *   client  PUB R_s.params with the rest in max_payload chunks, then an
 *           empty message (end of the stream); then the data of each async
 *           param on R_s.params.<path>, each ended the same way
 *   server  runs the function; PUB R_c.results in max_payload chunks, then
 *           an empty message, then each async result on R_c.results.<path>
 *           likewise; a failed call sends only the root's empty message
 *
 * Approach.  Client: straight-line code on the caller's thread.  Every
 * call of a conn shares one inbox subscription "_INBOX.<nuid>.>" (R_c is
 * "_INBOX.<nuid>.<n>"); its libnats callback routes each message by the
 * token <n> to the waiting call (then by ".results" and ".results.<path>"
 * into the call's collector), which sleeps on its own condition variable
 * with a deadline.  Server: the libnats callback of the queue
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
 * If moreover nothing in it is pending (a wrpc:http request with a body:
 * body and trailers inline), it subscribes to nothing at all, and the
 * call is five messages when the results fit one: invocation, handshake,
 * the client's end of params (dropped by the NATS server), results, their
 * end.  The client's end message stays, though useless here: it cannot
 * know the server is typed, an untyped one (ours without param types)
 * reads the params up to it, and the Rust client sends it too.
 *
 * Async values on nested paths (R.params.<i>.<j>, R.results.<i>...): each
 * is a stream of its own, buffered whole like the root (collect_t).  A
 * Rust peer writes them from concurrent tasks, so they may arrive before
 * the root has ended, when nobody knows yet which paths it will ask for:
 * every nested path is kept from its first message, all of them under the
 * call's one byte cap.  Once the root has ended, the side that knows the
 * types (the client given result_types; the server given param types that
 * hold a future or stream) lists the root's pending values
 * (lat_wrpc_pending_paths) and waits, against the same deadline, until
 * each of their paths has ended; the other paths are dropped.  The server
 * then listens on one sync subscription R_s.> made before the handshake
 * (nothing the client sends after it can be missed) and routes by
 * subject, unless the first chunk held all params with none pending.
 * Without types nothing nested is awaited: an untyped server does not
 * subscribe to nested params (the client's go nowhere), an
 * untyped client returns the root alone.
 *
 * Invariants: every wait has a deadline; a call owns its subscription,
 * inbox and buffers and frees them on every path; a client call's waiter
 * is in the mux map only while the call runs (removed under the mux mutex
 * before it returns, so the callback never sees a dead waiter); the server
 * counts calls taken (inflight, under mu) and lat_wrpc_server_free waits
 * for zero after unsubscribing, so no worker touches a freed server.  A
 * peer flooding an inbox is capped: a client's result streams by
 * max_results and LAT_WRPC_MAX_ASYNC paths (the excess is dropped and the
 * call fails with LAT_ELIMIT), a server's params the same way by
 * max_params, and its subscription by pending limits a little above it.
 *
 * Not yet: streaming.  Async data is delivered whole, after its end
 * message, so a body is held in memory (bounded by the caps) rather than
 * passed on chunk by chunk; and a future or stream inside another's data
 * (its own longer path) is refused by the codec.
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

/* ---- a call's streams, as they come --------------------------------------
 * One direction of a call: the root stream and the nested ones, each
 * buffered whole until its empty end message.  Nested messages may come
 * before, between or after the root's (a Rust peer writes them from
 * concurrent tasks), so every path is kept from the first message on,
 * before anyone knows which paths the root will ask for; the cap (max
 * bytes, LAT_WRPC_MAX_ASYNC paths) bounds them all together.  Data after a
 * stream's end is ignored. */
typedef struct {
  lat_wrpc_path_t path;
  lat_buf_t data;
  bool ended;
} nested_t;

typedef struct {
  lat_buf_t root;
  bool root_ended;
  nested_t *nested; /* owned, n of cap */
  size_t n, cap;
  size_t total, max; /* bytes kept, and the cap on them */
  bool overflow;     /* more than max bytes or paths, or out of memory: the
                        rest is dropped and the call fails with LAT_ELIMIT */
} collect_t;

static void collect_init(collect_t *k, size_t max) {
  memset(k, 0, sizeof *k);
  lat_buf_init(&k->root);
  k->max = max;
}

static void collect_fini(collect_t *k) {
  lat_buf_fini(&k->root);
  for (size_t i = 0; i < k->n; i++) lat_buf_fini(&k->nested[i].data);
  lat_free(k->nested);
  k->nested = NULL;
  k->n = k->cap = 0;
}

static nested_t *collect_find(const collect_t *k, const lat_wrpc_path_t *p) {
  for (size_t i = 0; i < k->n; i++)
    if (lat_wrpc_path_equal(&k->nested[i].path, p)) return &k->nested[i];
  return NULL;
}

/* One message of the root (path NULL) or of a nested path. */
static void collect_add(collect_t *k, const lat_wrpc_path_t *path,
                        const uint8_t *data, size_t len) {
  if (k->overflow) return;
  lat_buf_t *b = &k->root;
  bool *ended = &k->root_ended;
  if (path) {
    nested_t *x = collect_find(k, path);
    if (!x) {
      if (k->n == LAT_WRPC_MAX_ASYNC) {
        k->overflow = true;
        return;
      }
      if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        nested_t *nx = lat_realloc(k->nested, cap * sizeof *nx);
        if (!nx) {
          k->overflow = true;
          return;
        }
        k->nested = nx, k->cap = cap;
      }
      x = &k->nested[k->n++];
      memset(x, 0, sizeof *x);
      x->path = *path;
      lat_buf_init(&x->data);
    }
    b = &x->data;
    ended = &x->ended;
  }
  if (*ended) return;
  if (len == 0) {
    *ended = true;
    return;
  }
  if (len > k->max - k->total || lat_buf_append(b, data, len) != LAT_OK) {
    k->overflow = true;
    return;
  }
  k->total += len;
}

/* True when every path of wanted[0..n) has ended. */
static bool collect_ended(const collect_t *k, const lat_wrpc_path_t *wanted,
                          size_t n) {
  for (size_t i = 0; i < n; i++) {
    const nested_t *x = collect_find(k, &wanted[i]);
    if (!x || !x->ended) return false;
  }
  return true;
}

/* Moves the data of the wanted paths (all ended) into out. */
static lat_status collect_take(collect_t *k, const lat_wrpc_path_t *wanted,
                               size_t n, lat_wrpc_asyncs_t *out,
                               lat_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    nested_t *x = collect_find(k, &wanted[i]);
    if (!x || lat_wrpc_async_find(out->items, out->n, &wanted[i]))
      continue; /* a path listed twice: taken once */
    size_t len;
    uint8_t *data = lat_buf_steal(&x->data, &len);
    lat_status st = lat__wrpc_asyncs_take(out, &wanted[i], data, len, err);
    if (st != LAT_OK) return st;
  }
  return LAT_OK;
}

/* "0.1.2" (the text after R.params. or R.results.) as a path: decimal
 * u32 tokens, 1 to LAT_WRPC_MAX_PATH of them. */
static bool parse_path(const char *s, lat_wrpc_path_t *out) {
  out->depth = 0;
  for (;;) {
    if (out->depth == LAT_WRPC_MAX_PATH || *s < '0' || *s > '9') return false;
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9') {
      v = v * 10 + (uint64_t)(*s++ - '0');
      if (v > UINT32_MAX) return false;
    }
    out->idx[out->depth++] = (uint32_t)v;
    if (*s == 0) return true;
    if (*s++ != '.') return false;
  }
}

/* subject = base, or base + "." + path: the root (*out_nested false) or a
 * nested stream.  False for anything else. */
static bool route(const char *subject, const char *base, size_t base_len,
                  bool *out_nested, lat_wrpc_path_t *out_path) {
  if (strncmp(subject, base, base_len) != 0) return false;
  const char *rest = subject + base_len;
  *out_nested = *rest != 0;
  if (!*out_nested) return true;
  return *rest == '.' && parse_path(rest + 1, out_path);
}

/* Publishes each item of asyncs to "<base>.<path>" as a stream. */
#define PATH_TEXT_MAX (LAT_WRPC_MAX_PATH * 11u)
static lat_status send_asyncs(lat_lattice_conn_t *c, const char *base,
                              const lat_wrpc_async_t *items, size_t n,
                              size_t max, lat_error_t *err) {
  char subject[SUBJECT_MAX + 16 + PATH_TEXT_MAX], path[PATH_TEXT_MAX];
  for (size_t i = 0; i < n; i++) {
    if (items[i].path.depth == 0 || items[i].path.depth > LAT_WRPC_MAX_PATH)
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "async data with a path of "
                           "depth %u", items[i].path.depth);
    lat_wrpc_path_format(&items[i].path, path, sizeof path);
    snprintf(subject, sizeof subject, "%s.%s", base, path);
    lat_status st = send_stream(c, subject, items[i].data, items[i].len, max, err);
    if (st != LAT_OK) return st;
  }
  return LAT_OK;
}

/* ---- client ----------------------------------------------------------------
 * One inbox per conn, made on first use: R_c = "_INBOX.<nuid>.<n>" for
 * call n, all of them under one wildcard subscription "_INBOX.<nuid>.>"
 * whose callback routes each message to its call by the token <n>.  A call
 * then costs no SUB/UNSUB of its own (four protocol round trips through
 * the server's subscription index, measured at about a third of a call's
 * time).  The handshake goes to R_c, results to R_c.results, nested
 * results to R_c.results.<path>, all kept by the call's collector.  The
 * callback only copies and signals: the calling thread waits on its own
 * condition variable with a deadline. */
typedef struct {
  pthread_cond_t cv; /* CLOCK_MONOTONIC; signalled on every change below */
  /* guarded by the mux's mu: */
  bool got_hs;       /* a handshake (or a 503) came */
  bool no_resp;      /* it was the server's 503 */
  char *hs_reply;    /* its reply subject (owned), NULL when none */
  collect_t res;     /* the result streams so far */
  const lat_wrpc_path_t *wanted; /* nested results awaited (the caller's) */
  size_t nwanted;
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
  bool nested = false;
  lat_wrpc_path_t path;
  if (dot && !route(dot, ".results", 8, &nested, &path)) return;
  pthread_mutex_lock(&x->mu);
  waiter_t *w = NULL;
  if (lat_map_get(&x->calls, tok, tlen, (void **)&w)) {
    if (!dot) {
      if (!w->got_hs) {
        w->got_hs = true;
        w->no_resp = lat_lattice_msg_no_responders(m);
        if (m->reply) w->hs_reply = lat_strndup(m->reply, strlen(m->reply));
      }
    } else {
      collect_add(&w->res, nested ? &path : NULL, m->data, m->len);
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
static bool root_done(const waiter_t *w) {
  return w->res.root_ended || w->res.overflow;
}
static bool nested_done(const waiter_t *w) {
  return w->res.overflow || collect_ended(&w->res, w->wanted, w->nwanted);
}

void lat_wrpc_results_fini(lat_wrpc_results_t *r) {
  if (!r) return;
  lat_lattice_reply_fini(&r->root);
  lat_wrpc_asyncs_fini(&r->asyncs);
}

/* Waits (mux mu held) for cond; LAT_ELIMIT when the results overflowed,
 * LAT_ETIMEOUT when the deadline passed first. */
static lat_status wait_results(struct lat__wrpc_mux *x, waiter_t *w,
                               uint64_t deadline, bool (*cond)(const waiter_t *w),
                               const char *subject, const char *what,
                               const lat_wrpc_invoke_opts_t *o, lat_error_t *err) {
  bool done = wait_until(x, w, deadline, cond);
  if (w->res.overflow)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "%s: results larger than %zu bytes, more than %u "
                         "nested streams, or out of memory",
                         subject, o->max_results, LAT_WRPC_MAX_ASYNC);
  if (!done)
    return lat_error_set(err, LAT_ETIMEOUT, SIZE_MAX,
                         "%s: the %s did not end within %u ms (%zu bytes "
                         "so far)",
                         subject, what, o->timeout_ms, w->res.total);
  return LAT_OK;
}

lat_status lat_wrpc_invoke_ex(lat_lattice_conn_t *c, const char *lattice,
                              const char *target_id, const char *instance,
                              const char *function, const uint8_t *params,
                              size_t len, const lat_wrpc_invoke_opts_t *opts,
                              lat_wrpc_results_t *out, lat_error_t *err) {
  memset(out, 0, sizeof *out);
  lat_wrpc_asyncs_init(&out->asyncs);
  lat_wrpc_invoke_opts_t o = {0};
  if (opts) o = *opts;
  if (!o.timeout_ms) o.timeout_ms = LAT_WRPC_TIMEOUT_MS_DEFAULT;
  if (!o.max_results) o.max_results = LAT_WRPC_MAX_MESSAGE;
  uint64_t deadline = lat_now_ns() + (uint64_t)o.timeout_ms * 1000000u;

  char *subject = NULL, *rs = NULL, rc[96], token[24], rs_params[SUBJECT_MAX + 16];
  struct lat__wrpc_mux *x = NULL;
  waiter_t w = {0};
  collect_init(&w.res, o.max_results);
  lat_arena_t a; /* the wanted paths */
  lat_arena_init(&a);
  bool registered = false;
  lat_status st =
      lat_lattice_subj_wrpc(lattice, target_id, instance, function, &subject, err);
  if (st != LAT_OK) goto out;
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
  if ((st = send_stream(c, rs_params, params + n0, len - n0, maxp, err)) ||
      (st = send_asyncs(c, rs_params, o.async_params, o.nasync_params, maxp, err)))
    goto out;

  /* results until the empty message; then, with result types, the nested
   * streams of the pending values in them */
  pthread_mutex_lock(&x->mu);
  st = wait_results(x, &w, deadline, root_done, subject, "results", &o, err);
  pthread_mutex_unlock(&x->mu);
  if (st != LAT_OK || !o.result_types || w.res.root.len == 0) goto out;
  /* the root no longer changes: the callback ignores data after its end */
  lat_wrpc_path_t *wanted = NULL;
  size_t nwanted = 0;
  if ((st = lat_wrpc_pending_paths(w.res.root.data, w.res.root.len,
                                   o.result_types, o.nresult_types, &a,
                                   &wanted, &nwanted, err))) {
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
    st = lat_error_set(err, st == LAT_ENOMEM ? st : LAT_EMALFORMED, SIZE_MAX,
                       "%s: results: %s", subject, msg);
    goto out;
  }
  pthread_mutex_lock(&x->mu);
  w.wanted = wanted;
  w.nwanted = nwanted;
  st = wait_results(x, &w, deadline, nested_done, subject, "nested results", &o,
                    err);
  /* under mu: the callback may still be adding paths nobody asked for */
  if (st == LAT_OK) st = collect_take(&w.res, wanted, nwanted, &out->asyncs, err);
  pthread_mutex_unlock(&x->mu);
out:
  if (registered) { /* after this the callback no longer sees w */
    pthread_mutex_lock(&x->mu);
    lat_map_del(&x->calls, token, strlen(token), NULL);
    pthread_mutex_unlock(&x->mu);
  }
  if (st == LAT_OK) {
    st = lat__lattice_reply_set(&out->root, w.res.root.data, w.res.root.len);
    if (st != LAT_OK) lat_error_set(err, st, SIZE_MAX, "out of memory");
  }
  if (st != LAT_OK) lat_wrpc_results_fini(out);
  if (x) pthread_cond_destroy(&w.cv);
  lat_free(w.hs_reply);
  lat_free(rs);
  collect_fini(&w.res);
  lat_arena_fini(&a);
  lat_free(subject);
  return st;
}

lat_status lat_wrpc_invoke(lat_lattice_conn_t *c, const char *lattice,
                           const char *target_id, const char *instance,
                           const char *function, const uint8_t *params,
                           size_t len, const lat_wrpc_invoke_opts_t *opts,
                           lat_lattice_reply_t *out_results, lat_error_t *err) {
  lat_wrpc_results_t r;
  lat_status st = lat_wrpc_invoke_ex(c, lattice, target_id, instance, function,
                                     params, len, opts, &r, err);
  *out_results = r.root; /* moved */
  lat_wrpc_asyncs_fini(&r.asyncs);
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
  bool nested_params; /* typed, and the types hold futures or streams */
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
  collect_t in;                  /* root params (the first chunk, then the
                                    rest) and nested ones */
  lat_wrpc_asyncs_t asyncs;      /* the nested params the root asks for */
  natsInbox *rs;                 /* R_s (owned) */
  natsSubscription *psub;        /* R_s.params, or R_s.> with nested
                                    params; NULL when nothing is awaited */
  bool complete;                 /* the first chunk holds all root params */
  bool nested;                   /* nested params may come: listen on
                                    R_s.> (see first_chunk_complete) */
  uint64_t deadline;             /* for the rest of the params */
} call_t;

static void call_free(call_t *k) {
  if (!k) return;
  unsub(k->psub);
  natsInbox_Destroy(k->rs);
  lat_free(k->reply);
  lat_lattice_headers_fini(&k->headers);
  collect_fini(&k->in);
  lat_wrpc_asyncs_fini(&k->asyncs);
  lat_free(k);
}

static void call_done(lat_wrpc_server_t *s) {
  pthread_mutex_lock(&s->mu);
  if (--s->inflight == 0) pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* Sets k->complete when the function's parameter types are known and the
 * first chunk decodes as all of them: then it is all of the params (the
 * encoding is self-delimiting, so a longer stream would leave trailing
 * bytes and be malformed anyway) and the end-of-params message need not be
 * awaited.  k->nested: paths must be listened to, as the types hold
 * futures or streams and the first chunk is not complete or has pending
 * ones; a complete one with every value inline (a wrpc:http request with
 * a body) needs no subscription at all.  The trial decode runs only on a
 * first chunk up to 16 KiB (it runs on the libnats thread), so a big call
 * is not decoded twice. */
static void first_chunk_complete(const lat_wrpc_server_t *s, call_t *k) {
  const lat_buf_t *p = &k->in.root;
  k->complete = false;
  k->nested = s->nested_params;
  if (!s->params_typed || p->len > (16u << 10)) return;
  lat_arena_t a;
  lat_arena_init(&a);
  if (s->nested_params) {
    lat_wrpc_path_t *paths;
    size_t np = 0;
    k->complete = lat_wrpc_pending_paths(p->data, p->len, s->param_types,
                                         s->nparam_types, &a, &paths, &np,
                                         NULL) == LAT_OK;
    k->nested = !k->complete || np > 0;
  } else {
    lat_cval_t one[8], *vs = s->nparam_types <= 8
                                 ? one
                                 : lat_calloc(s->nparam_types, sizeof *vs);
    k->complete = vs && lat_wrpc_decode_values(p->data, p->len, s->param_types,
                                               s->nparam_types, &a, vs,
                                               NULL) == LAT_OK;
    if (vs != one) lat_free(vs);
  }
  lat_arena_fini(&a);
}

/* Reads the call's subscription until the root params have ended (unless
 * the first chunk held them) and, with nested params, until every path the
 * root's pending values ask for has ended; then takes those paths' data.
 * Bounded by the call's deadline and max_params. */
static lat_status read_params(call_t *k, lat_error_t *err) {
  lat_wrpc_server_t *s = k->srv;
  char prefix[128]; /* R_s.params: the root, and the base of nested paths */
  snprintf(prefix, sizeof prefix, "%s.params", k->rs);
  size_t prefix_len = strlen(prefix);
  lat_arena_t a; /* the wanted paths */
  lat_arena_init(&a);
  lat_wrpc_path_t *wanted = NULL;
  size_t nwanted = 0;
  bool know = false; /* wanted is known (the root has ended) */
  lat_status st = LAT_OK;
  for (;;) {
    if (k->in.overflow) {
      st = lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "params: more than %zu bytes or %u nested streams",
                         s->max_params, LAT_WRPC_MAX_ASYNC);
      break;
    }
    if (k->in.root_ended && !know) {
      know = true;
      /* params that do not decode are the handler's to refuse */
      if (s->nested_params &&
          lat_wrpc_pending_paths(k->in.root.data, k->in.root.len,
                                 s->param_types, s->nparam_types, &a, &wanted,
                                 &nwanted, NULL) != LAT_OK)
        nwanted = 0;
    }
    if (know && collect_ended(&k->in, wanted, nwanted)) {
      st = collect_take(&k->in, wanted, nwanted, &k->asyncs, err);
      break;
    }
    int64_t left = ms_left(k->deadline);
    if (left == 0) {
      st = lat_error_set(err, LAT_ETIMEOUT, SIZE_MAX,
                         "params: the %s did not end in time (%zu bytes so "
                         "far)",
                         know ? "nested streams" : "stream", k->in.total);
      break;
    }
    natsMsg *m = NULL;
    natsStatus ns = natsSubscription_NextMsg(&m, k->psub, left);
    if (ns == NATS_TIMEOUT) continue; /* re-checks the deadline */
    if (ns == NATS_SLOW_CONSUMER) {
      st = lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "params: the peer sent faster than we could take");
      break;
    }
    if (ns != NATS_OK) {
      st = lat__lattice_nats_error(ns, err, "params");
      break;
    }
    bool nested = false;
    lat_wrpc_path_t path;
    if (route(natsMsg_GetSubject(m), prefix, prefix_len, &nested, &path))
      collect_add(&k->in, nested ? &path : NULL,
                  (const uint8_t *)natsMsg_GetData(m),
                  (size_t)natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
  }
  lat_arena_fini(&a);
  return st;
}

/* Runs on a worker: the rest of the params, the handler, the results. */
static void run_call(void *arg) {
  call_t *k = arg;
  lat_wrpc_server_t *s = k->srv;
  lat_lattice_conn_t *c = s->conn;
  lat_buf_t results;
  lat_buf_init(&results);
  lat_wrpc_asyncs_t async_results;
  lat_wrpc_asyncs_init(&async_results);
  lat_error_t err;
  lat_error_clear(&err);
  char rc_results[SUBJECT_MAX + 16];
  snprintf(rc_results, sizeof rc_results, "%s.results", k->reply);
  lat_status st = LAT_OK;
  if (k->psub && (st = read_params(k, &err))) {
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
                            .params = k->in.root.data,
                            .len = k->in.root.len,
                            .asyncs = k->asyncs.items,
                            .nasync = k->asyncs.n,
                            .async_results = &async_results};
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
    lat_wrpc_asyncs_fini(&async_results);
  }
  size_t maxp = lat_lattice_conn_max_payload(c);
  st = send_stream(c, rc_results, results.data, results.len, maxp, &err);
  if (st == LAT_OK)
    st = send_asyncs(c, rc_results, async_results.items, async_results.n, maxp,
                     &err);
  if (st != LAT_OK)
    LAT_LOG(LAT_LOG_WARN, "wrpc", "sending results failed",
            LAT_KV_STR("subject", s->subject), LAT_KV_STR("error", err.msg));
  else if (ok)
    atomic_fetch_add(&s->served, 1);
out:
  lat_buf_fini(&results);
  lat_wrpc_asyncs_fini(&async_results);
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
  if (k) {
    collect_init(&k->in, s->max_params);
    lat_wrpc_asyncs_init(&k->asyncs);
  }
  if (!k || !(k->reply = lat_strndup(m->reply, strlen(m->reply))) ||
      lat_lattice_msg_headers_copy(m, &k->headers, NULL) != LAT_OK ||
      (m->len && (collect_add(&k->in, NULL, m->data, m->len), k->in.overflow))) {
    why = "out of memory";
    goto drop;
  }
  k->srv = s;
  k->deadline = lat_now_ns() + (uint64_t)s->params_timeout_ms * 1000000u;
  first_chunk_complete(s, k);
  k->in.root_ended = k->complete;
  if (natsInbox_Create(&k->rs) != NATS_OK) {
    why = "cannot make an inbox";
    goto drop;
  }
  /* With all params in hand nothing needs to listen on R_s.params: the
   * client's end-of-params message finds no subscriber and is dropped by
   * the server (a plain publish gets no 503).  Nested params may come any
   * time after the handshake: R_s.> catches them and the root alike. */
  snprintf(rs_params, sizeof rs_params, k->nested ? "%s.>" : "%s.params",
           k->rs);
  if ((!k->complete || k->nested) &&
      sub_sync(c, rs_params, s->max_params, &k->psub, NULL)) {
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
  for (uint32_t i = 0; s->params_typed && i < s->nparam_types; i++)
    s->nested_params |= lat_wrpc_type_has_async(s->param_types[i]);
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
