/* http_server.c: the HTTP/1.1 server core: epoll I/O threads, strict
 * framing (http_parse.c), deadlines, connection limits, and exchanges that
 * may be completed from any thread.
 *
 * Approach: N I/O threads each run an epoll loop over their own
 * connections (edge-triggered, non-blocking sockets); all of them wait on
 * the one listening socket with EPOLLEXCLUSIVE, so the kernel wakes one;
 * it hands new connections to the threads in turn (a queue under io->mu
 * and the eventfd), and a connection stays on its thread for its life.  A connection is
 * a state machine: HEAD (reading and checking the request head), BODY
 * (reading the body, buffered up to max_body), HANDLER (an exchange is out:
 * its response is being produced and written), CLOSING (a final response,
 * then shutdown(SHUT_WR)) and LINGER (reading and dropping what the client
 * still sends, so our response is not destroyed by a RST).
 *
 * Pipelining: requests on one connection are answered in order because the
 * next request's head is not parsed until the previous response has been
 * written; its bytes stay buffered (up to max_head_bytes, then the socket
 * is not read, which is TCP backpressure).  Rejected: parsing ahead and
 * holding parsed requests, which costs memory per connection for a rare
 * client behaviour.
 *
 * Exchanges: the handler runs on the I/O thread and gets a refcounted
 * exchange (refs: the connection's, the producer's until respond_end, the
 * ready list's while queued).  Producers on any thread queue output chunks
 * under the exchange's mutex and put the exchange on its I/O thread's
 * ready list (io->mu), waking it through an eventfd unless they are that
 * thread.  Output is bounded per exchange by write_window: respond_write
 * refuses (LAT_ELIMIT) beyond it, respond_wait blocks on ex->cv until the
 * I/O thread has written enough.  So a slow client pins at most one window
 * (plus one chunk) per connection, and lat_http_respond() can hand over a
 * heap buffer that is written from where it is, without a copy.  When the
 * connection goes away the exchange is marked dead, its queue freed and its
 * waiters woken: later calls fail with LAT_EIO, and the producer still
 * releases it once with respond_end.
 *
 * Deadlines: one per connection, by state (header, body total and idle,
 * keep-alive idle, write progress, linger, shutdown grace), kept in a
 * per-thread binary min-heap that bounds epoll_wait's timeout.  Rejected: a
 * timer wheel (more code for the few thousand connections a thread holds).
 *
 * Limits: a total connection count (atomic) and a per-client-address count
 * (a hash table under ip_mu) are checked at accept; over either, the
 * client gets a fixed 503 with Connection: close and is closed at once, so
 * one address cannot take every slot.  EMFILE is handled with a spare file
 * descriptor (closed, accept+close, reopened) so the listener does not spin.
 *
 * Locks: srv->ip_mu guards ip_buckets; live_ex is atomic (free waits on
 * ex_cv, signalled under ex_mu when it reaches 0); io->mu guards the ready list, wake_pending
 * and every exchange's queued/ready_next; ex->mu guards the exchange's
 * output queue, pending, started/ended/dead/close_after, body_sent.  The
 * connection, heap and list fields are owned by their I/O thread and never
 * locked.  Lock order: ex->mu is never held while taking io->mu.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define MS 1000000ull
#define LINGER_NS (2000 * MS)
#define CLOSING_NS (5000 * MS)
#define READ_SLACK 16384u  /* read ahead beyond what the state needs */
#define MAX_IOV 16
#define IP_BUCKETS 1024u
#define ACCEPT_BATCH 64

enum { ST_HEAD, ST_BODY, ST_HANDLER, ST_CLOSING, ST_LINGER };

typedef struct chunk {
  struct chunk *next;
  const uint8_t *data;
  size_t len;
  size_t off;              /* written so far */
  void (*free_fn)(void *); /* frees owner; NULL when data is inline */
  void *owner;
  bool counted;            /* counts in ex->pending */
  uint8_t inline_data[];
} chunk_t;

typedef struct io io_t;
typedef struct conn conn_t;

struct lat_http_exchange {
  pthread_mutex_t mu;
  pthread_cond_t cv;     /* producers waiting for the window */
  atomic_int refs;
  io_t *io;              /* immutable */
  lat_http_server_t *srv;
  conn_t *conn;          /* I/O thread only; NULL once the connection let go */
  /* immutable after creation */
  bool head_req;
  unsigned minor;
  bool req_keep_alive;
  /* guarded by mu */
  chunk_t *out_head, *out_tail;
  size_t pending;        /* bytes queued and not yet written */
  bool started, ended, dead, close_after;
  bool chunked_out, no_body; /* set by start, read by the producer */
  int64_t declared;      /* Content-Length sent, -1 none */
  uint64_t body_sent;
  /* guarded by io->mu */
  bool queued;
  lat_http_exchange_t *ready_next;
  /* the owning I/O thread's: its walk of a drained ready list (producers
   * may queue the exchange again, rewriting ready_next, meanwhile) */
  lat_http_exchange_t *drain_next;
};

struct conn {
  io_t *io;
  int fd;
  conn_t *prev, *next;   /* io->conns */
  uint8_t ip[16];
  char peer[64];
  int state;
  bool can_read, can_write, peer_eof, continue_sent;
  lat_buf_t in;
  lat_http_parser_t parser;
  lat_http_request_t req;
  lat_http_chunked_t chunked;
  lat_buf_t body;        /* chunked bodies, decoded */
  size_t body_off;       /* chunked: undecoded bytes start here in `in` */
  lat_http_exchange_t *ex;
  chunk_t *out_head, *out_tail; /* being written (I/O thread) */
  uint64_t deadline;     /* 0 none */
  size_t heap_idx;       /* SIZE_MAX when not in the heap */
  uint64_t idle_deadline, head_start, body_start, last_body, write_progress, closing_start;
};

struct io {
  lat_http_server_t *srv;
  pthread_t thread;
  bool started;
  int ep, efd, spare_fd;
  pthread_mutex_t mu;
  lat_http_exchange_t *ready; /* guarded by mu */
  bool wake_pending;          /* guarded by mu */
  struct incoming *incoming;  /* guarded by mu: accepted by another thread */
  /* I/O thread only */
  lat_http_exchange_t *dispatching; /* in its handler call: its conn_run pulls the output */
  conn_t **heap;
  size_t nheap, heapcap;
  conn_t *conns;
  size_t nconns;
  bool stop_seen;
  uint64_t grace_deadline;
};

typedef struct ip_node {
  struct ip_node *next;
  uint8_t ip[16];
  unsigned count;
} ip_node_t;

struct lat_http_server {
  lat_http_server_config_t cfg;
  char *addr;
  int lfd;
  uint16_t port;
  unsigned nio;
  io_t *io;
  atomic_bool stopping;
  atomic_uint nconn;
  atomic_uint next_io;               /* round robin of new connections */
  pthread_mutex_t ip_mu;
  ip_node_t *ip_buckets[IP_BUCKETS]; /* guarded by ip_mu */
  atomic_size_t live_ex;             /* exchanges not yet freed */
  pthread_mutex_t ex_mu;             /* with ex_cv: free waits for live_ex 0 */
  pthread_cond_t ex_cv;
};

static __thread io_t *tls_io;
static char listen_tag, wake_tag;

static const char REJECT_503[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
    "Connection: close\r\n\r\ntoo many connections";

static void conn_run(conn_t *c);
static void conn_close(conn_t *c);

/* ---- logging ------------------------------------------------------------ */

static void slog(lat_http_server_t *s, lat_http_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void slog(lat_http_server_t *s, lat_http_log_level lv, const char *fmt, ...) {
  if (!s->cfg.log) return;
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  s->cfg.log(s->cfg.log_ctx, lv, msg);
}

void lat_http_server_config_default(lat_http_server_config_t *out_cfg) {
  memset(out_cfg, 0, sizeof *out_cfg);
  out_cfg->addr = "127.0.0.1:8080";
  lat_http_limits_default(&out_cfg->limits);
  out_cfg->max_body = 1u << 20;
  out_cfg->header_timeout_ms = 10000;
  out_cfg->body_timeout_ms = 60000;
  out_cfg->body_idle_ms = 30000;
  out_cfg->idle_timeout_ms = 60000;
  out_cfg->write_timeout_ms = 60000;
  out_cfg->grace_ms = 10000;
  out_cfg->max_connections = 4096;
  out_cfg->max_per_ip = 64;
  out_cfg->write_window = 256u << 10;
}

/* ---- chunks --------------------------------------------------------------- */

static chunk_t *chunk_copy(const void *a, size_t alen, const void *b, size_t blen,
                           const void *c3, size_t clen) {
  size_t n;
  if (!lat_add_size(alen, blen, &n) || !lat_add_size(n, clen, &n) ||
      !lat_add_size(n, sizeof(chunk_t), &n))
    return NULL;
  chunk_t *k = lat_malloc(n);
  if (!k) return NULL;
  memset(k, 0, sizeof *k);
  if (alen) memcpy(k->inline_data, a, alen);
  if (blen) memcpy(k->inline_data + alen, b, blen);
  if (clen) memcpy(k->inline_data + alen + blen, c3, clen);
  k->data = k->inline_data;
  k->len = alen + blen + clen;
  return k;
}

static void chunk_free(chunk_t *k) {
  if (k->free_fn) k->free_fn(k->owner);
  lat_free(k);
}

static void chunks_free(chunk_t *k) {
  while (k) {
    chunk_t *n = k->next;
    chunk_free(k);
    k = n;
  }
}

/* ---- exchanges ---------------------------------------------------------------- */

static void ex_release(lat_http_exchange_t *ex) {
  if (atomic_fetch_sub(&ex->refs, 1) != 1) return;
  lat_http_server_t *s = ex->srv;
  chunks_free(ex->out_head);
  pthread_mutex_destroy(&ex->mu);
  pthread_cond_destroy(&ex->cv);
  lat_free(ex);
  if (atomic_fetch_sub(&s->live_ex, 1) == 1) {
    pthread_mutex_lock(&s->ex_mu);
    pthread_cond_broadcast(&s->ex_cv);
    pthread_mutex_unlock(&s->ex_mu);
  }
}

/* Puts ex on its I/O thread's ready list and wakes the thread. */
static void ex_notify(lat_http_exchange_t *ex) {
  io_t *io = ex->io;
  bool wake = false;
  if (tls_io == io && io->dispatching == ex) return;
  pthread_mutex_lock(&io->mu);
  if (!ex->queued) {
    ex->queued = true;
    atomic_fetch_add(&ex->refs, 1);
    ex->ready_next = io->ready;
    io->ready = ex;
  }
  if (!io->wake_pending && tls_io != io) {
    io->wake_pending = true;
    wake = true;
  }
  pthread_mutex_unlock(&io->mu);
  if (wake) {
    uint64_t one = 1;
    ssize_t r = write(io->efd, &one, sizeof one);
    (void)r; /* EAGAIN: the counter is already non-zero, the thread wakes */
  }
}

/* Appends under ex->mu (held by the caller). */
static void ex_append_locked(lat_http_exchange_t *ex, chunk_t *k) {
  k->counted = true;
  ex->pending += k->len;
  if (ex->out_tail) ex->out_tail->next = k;
  else ex->out_head = k;
  ex->out_tail = k;
}

static bool header_ok(const lat_http_header_t *h) {
  if (!h->name || h->name_len == 0 || (h->value_len && !h->value)) return false;
  for (size_t i = 0; i < h->name_len; i++) {
    uint8_t c = (uint8_t)h->name[i];
    bool t = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c && strchr("!#$%&'*+-.^_`|~", c));
    if (!t) return false;
  }
  for (size_t i = 0; i < h->value_len; i++) {
    uint8_t c = (uint8_t)h->value[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return !lat_http_name_eq(h->name, h->name_len, "content-length") &&
         !lat_http_name_eq(h->name, h->name_len, "transfer-encoding") &&
         !lat_http_name_eq(h->name, h->name_len, "connection");
}

/* Starts the response: the head, and body[0..body_len) (the whole body of
 * a one-shot response, copied) in the same chunk, so a small response is
 * one allocation and one write. */
static lat_status start_impl(lat_http_exchange_t *ex, int status, const lat_http_header_t *headers,
                             size_t count, int64_t content_length, const void *body,
                             size_t body_len) {
  if (!ex) return LAT_EARG;
  if (status < 200 || status > 599) return LAT_EARG;
  if (count && !headers) return LAT_EARG;
  size_t need = 256; /* status line, framing and Connection fields */
  for (size_t i = 0; i < count; i++) {
    if (!header_ok(&headers[i])) return LAT_EARG;
    if (!lat_add_size(need, headers[i].name_len, &need) ||
        !lat_add_size(need, headers[i].value_len + 4, &need))
      return LAT_ENOMEM;
  }
  bool no_body = ex->head_req || status == 204 || status == 304;
  bool chunked = false, close = !ex->req_keep_alive || atomic_load(&ex->srv->stopping);
  size_t body_given = body_len; /* counts as sent even when HEAD drops it */
  if (no_body) body_len = 0;
  if (!lat_add_size(need, body_len, &need) || !lat_add_size(need, sizeof(chunk_t), &need))
    return LAT_ENOMEM;
  chunk_t *k = lat_malloc(need);
  if (!k) return LAT_ENOMEM;
  memset(k, 0, sizeof *k);
  char *o = (char *)k->inline_data;
  size_t n = (size_t)snprintf(o, 64, "HTTP/1.1 %d ", status);
  const char *reason = lat_http_reason(status);
  size_t rl = strlen(reason);
  memcpy(o + n, reason, rl);
  n += rl;
  memcpy(o + n, "\r\n", 2);
  n += 2;
  for (size_t i = 0; i < count; i++) {
    memcpy(o + n, headers[i].name, headers[i].name_len);
    n += headers[i].name_len;
    memcpy(o + n, ": ", 2);
    n += 2;
    if (headers[i].value_len) memcpy(o + n, headers[i].value, headers[i].value_len);
    n += headers[i].value_len;
    memcpy(o + n, "\r\n", 2);
    n += 2;
  }
  const char *tail = "\r\n";
  if (status != 204 && status != 304) {
    if (content_length >= 0) {
      n += (size_t)snprintf(o + n, 48, "Content-Length: %lld\r\n", (long long)content_length);
    } else if (ex->minor == 1) {
      chunked = true;
      tail = "Transfer-Encoding: chunked\r\n\r\n";
    } else if (!no_body) {
      close = true; /* 1.0 with no length: the close ends the body */
    }
  }
  if (close) tail = chunked ? "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                            : "Connection: close\r\n\r\n";
  else if (ex->minor == 0) tail = "Connection: keep-alive\r\n\r\n";
  size_t tl = strlen(tail);
  memcpy(o + n, tail, tl);
  n += tl;
  if (body_len) memcpy(o + n, body, body_len);
  k->data = k->inline_data;
  k->len = n + body_len;
  lat_status st = LAT_OK;
  pthread_mutex_lock(&ex->mu);
  if (ex->dead) st = LAT_EIO;
  else if (ex->started || ex->ended) st = LAT_EARG;
  if (st != LAT_OK) {
    pthread_mutex_unlock(&ex->mu);
    lat_free(k);
    return st;
  }
  ex->started = true;
  ex->no_body = no_body;
  ex->chunked_out = chunked && !no_body;
  ex->declared = (status == 204 || status == 304) ? 0 : content_length;
  ex->body_sent = body_given;
  if (close) ex->close_after = true;
  ex_append_locked(ex, k);
  pthread_mutex_unlock(&ex->mu);
  ex_notify(ex);
  return LAT_OK;
}

lat_status lat_http_respond_start(lat_http_exchange_t *ex, int status,
                                  const lat_http_header_t *headers, size_t count,
                                  int64_t content_length) {
  return start_impl(ex, status, headers, count, content_length, NULL, 0);
}

/* Queues body bytes: a copy (free_fn NULL) or the caller's buffer.  With
 * `window`, refuses when the window is full.  Frees an owned buffer on
 * every failure. */
static lat_status ex_write(lat_http_exchange_t *ex, const void *data, size_t len,
                           void (*free_fn)(void *), bool window) {
  lat_status st = LAT_OK;
  pthread_mutex_lock(&ex->mu);
  if (ex->dead) st = LAT_EIO;
  else if (!ex->started || ex->ended) st = LAT_EARG;
  else if (ex->declared >= 0 && (uint64_t)len > (uint64_t)ex->declared - ex->body_sent) st = LAT_EARG;
  else if (window && ex->pending > 0 && ex->pending + len > ex->srv->cfg.write_window) st = LAT_ELIMIT;
  bool discard = ex->no_body, chunked = ex->chunked_out;
  if (st == LAT_OK && discard) ex->body_sent += len;
  pthread_mutex_unlock(&ex->mu);
  if (st != LAT_OK || discard || len == 0) {
    if (free_fn) free_fn((void *)data);
    return st;
  }
  char pre[24];
  int pn = chunked ? snprintf(pre, sizeof pre, "%zx\r\n", len) : 0;
  chunk_t *k, *k2 = NULL;
  if (free_fn) { /* the frame around the caller's buffer goes in its own chunks */
    k = pn ? chunk_copy(pre, (size_t)pn, NULL, 0, NULL, 0) : NULL;
    chunk_t *body = chunk_copy(NULL, 0, NULL, 0, NULL, 0);
    k2 = chunked ? chunk_copy("\r\n", 2, NULL, 0, NULL, 0) : NULL;
    if (!body || (pn && !k) || (chunked && !k2)) {
      lat_free(k);
      lat_free(body);
      lat_free(k2);
      free_fn((void *)data);
      return LAT_ENOMEM;
    }
    body->data = data;
    body->len = len;
    body->free_fn = free_fn;
    body->owner = (void *)data;
    if (k) k->next = body;
    else k = body;
    body->next = k2;
  } else {
    k = chunk_copy(pre, (size_t)pn, data, len, "\r\n", chunked ? 2 : 0);
    if (!k) return LAT_ENOMEM;
  }
  pthread_mutex_lock(&ex->mu);
  if (ex->dead) st = LAT_EIO;
  if (st == LAT_OK) {
    ex->body_sent += len;
    for (chunk_t *n; k; k = n) {
      n = k->next;
      k->next = NULL;
      ex_append_locked(ex, k);
    }
  }
  pthread_mutex_unlock(&ex->mu);
  if (st != LAT_OK) {
    chunks_free(k);
    return st;
  }
  ex_notify(ex);
  return LAT_OK;
}

lat_status lat_http_respond_write(lat_http_exchange_t *ex, const void *data, size_t len) {
  if (!ex || (len && !data)) return LAT_EARG;
  return ex_write(ex, data, len, NULL, true);
}

lat_status lat_http_respond_wait(lat_http_exchange_t *ex, size_t len, uint32_t timeout_ms) {
  if (!ex || tls_io) return LAT_EARG;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)timeout_ms * MS;
  ts.tv_sec += (time_t)(ns / 1000000000ull);
  ts.tv_nsec = (long)(ns % 1000000000ull);
  lat_status st = LAT_OK;
  pthread_mutex_lock(&ex->mu);
  while (!ex->dead && ex->pending > 0 && ex->pending + len > ex->srv->cfg.write_window) {
    if (pthread_cond_timedwait(&ex->cv, &ex->mu, &ts) == ETIMEDOUT) {
      st = LAT_ELIMIT;
      break;
    }
  }
  if (ex->dead) st = LAT_EIO;
  pthread_mutex_unlock(&ex->mu);
  return st;
}

lat_status lat_http_respond_write_wait(lat_http_exchange_t *ex, const void *data, size_t len,
                                       uint32_t timeout_ms) {
  lat_status st = lat_http_respond_wait(ex, len, timeout_ms);
  return st == LAT_OK ? lat_http_respond_write(ex, data, len) : st;
}

lat_status lat_http_respond_end(lat_http_exchange_t *ex) {
  if (!ex) return LAT_EARG;
  pthread_mutex_lock(&ex->mu);
  bool start500 = !ex->started && !ex->dead;
  pthread_mutex_unlock(&ex->mu);
  if (start500) lat_http_respond_start(ex, 500, NULL, 0, 0);
  chunk_t *fin = NULL;
  pthread_mutex_lock(&ex->mu);
  bool need_fin = ex->chunked_out && !ex->ended;
  pthread_mutex_unlock(&ex->mu);
  if (need_fin) fin = chunk_copy("0\r\n\r\n", 5, NULL, 0, NULL, 0);
  lat_status st = LAT_OK;
  pthread_mutex_lock(&ex->mu);
  if (ex->dead) {
    st = LAT_EIO;
  } else if (!ex->ended) {
    if (need_fin && !fin) {
      ex->close_after = true; /* no terminating chunk: the close tells the client */
      st = LAT_ENOMEM;
    } else if (fin) {
      ex_append_locked(ex, fin);
      fin = NULL;
    }
    if (ex->declared >= 0 && ex->body_sent < (uint64_t)ex->declared) ex->close_after = true;
    ex->ended = true;
  }
  pthread_mutex_unlock(&ex->mu);
  lat_free(fin);
  ex_notify(ex);
  ex_release(ex);
  return st;
}

lat_status lat_http_respond_abort(lat_http_exchange_t *ex) {
  if (!ex) return LAT_EARG;
  pthread_mutex_lock(&ex->mu);
  bool started = ex->started;
  if (started && !ex->ended) {
    ex->close_after = true; /* no terminating chunk: the client sees a cut body */
    ex->ended = true;
  }
  pthread_mutex_unlock(&ex->mu);
  if (!started) return lat_http_respond_end(ex);
  ex_notify(ex);
  ex_release(ex);
  return LAT_OK;
}

lat_status lat_http_respond(lat_http_exchange_t *ex, int status,
                            const lat_http_header_t *headers, size_t count, const void *body,
                            size_t len, void (*free_fn)(void *)) {
  if (!ex) {
    if (free_fn) free_fn((void *)body);
    return LAT_EARG;
  }
  /* a body we do not own goes in the head's chunk; an owned one is
   * written from where it is */
  bool inline_body = !free_fn;
  lat_status st = (len && !body) ? LAT_EARG
                                 : start_impl(ex, status, headers, count, (int64_t)len,
                                              inline_body ? body : NULL, inline_body ? len : 0);
  if (st == LAT_OK && len && !inline_body) st = ex_write(ex, body, len, free_fn, false);
  else if (free_fn) free_fn((void *)body);
  lat_status end = lat_http_respond_end(ex);
  return st != LAT_OK ? st : end;
}

bool lat_http_exchange_closed(lat_http_exchange_t *ex) {
  pthread_mutex_lock(&ex->mu);
  bool d = ex->dead;
  pthread_mutex_unlock(&ex->mu);
  return d;
}

/* ---- deadlines: a per-thread min-heap of connections ------------------------------- */

static void heap_swap(io_t *io, size_t a, size_t b) {
  conn_t *t = io->heap[a];
  io->heap[a] = io->heap[b];
  io->heap[b] = t;
  io->heap[a]->heap_idx = a;
  io->heap[b]->heap_idx = b;
}
static void heap_up(io_t *io, size_t i) {
  while (i > 0 && io->heap[(i - 1) / 2]->deadline > io->heap[i]->deadline) {
    heap_swap(io, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}
static void heap_down(io_t *io, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < io->nheap && io->heap[l]->deadline < io->heap[m]->deadline) m = l;
    if (r < io->nheap && io->heap[r]->deadline < io->heap[m]->deadline) m = r;
    if (m == i) return;
    heap_swap(io, i, m);
    i = m;
  }
}
static void heap_remove(io_t *io, conn_t *c) {
  size_t i = c->heap_idx;
  if (i == SIZE_MAX) return;
  c->heap_idx = SIZE_MAX;
  io->nheap--;
  if (i == io->nheap) return;
  io->heap[i] = io->heap[io->nheap];
  io->heap[i]->heap_idx = i;
  heap_up(io, i);
  heap_down(io, io->heap[i]->heap_idx);
}
/* Returns false when the heap could not grow (the caller closes). */
static bool heap_set(io_t *io, conn_t *c, uint64_t deadline) {
  if (deadline == 0) {
    heap_remove(io, c);
    c->deadline = 0;
    return true;
  }
  if (c->heap_idx == SIZE_MAX) {
    if (io->nheap == io->heapcap) {
      size_t cap = io->heapcap ? io->heapcap * 2 : 64;
      conn_t **h = lat_realloc(io->heap, cap * sizeof *h);
      if (!h) return false;
      io->heap = h;
      io->heapcap = cap;
    }
    c->deadline = deadline;
    c->heap_idx = io->nheap;
    io->heap[io->nheap++] = c;
    heap_up(io, c->heap_idx);
    return true;
  }
  uint64_t old = c->deadline;
  c->deadline = deadline;
  if (deadline < old) heap_up(io, c->heap_idx);
  else heap_down(io, c->heap_idx);
  return true;
}

static uint64_t min_nz(uint64_t a, uint64_t b) { return !a ? b : !b ? a : (a < b ? a : b); }

static void conn_arm(conn_t *c) {
  lat_http_server_config_t *cfg = &c->io->srv->cfg;
  uint64_t d = 0;
  switch (c->state) {
  case ST_HEAD:
    d = c->head_start ? c->head_start + cfg->header_timeout_ms * MS : c->idle_deadline;
    break;
  case ST_BODY:
    d = min_nz(c->body_start + cfg->body_timeout_ms * MS, c->last_body + cfg->body_idle_ms * MS);
    break;
  case ST_HANDLER:
    if (c->out_head && !c->can_write) d = c->write_progress + cfg->write_timeout_ms * MS;
    if (c->io->stop_seen) d = min_nz(d, c->io->grace_deadline);
    break;
  case ST_CLOSING: d = c->closing_start + CLOSING_NS; break;
  default: d = c->closing_start + LINGER_NS; break;
  }
  if (!heap_set(c->io, c, d)) conn_close(c);
}

/* ---- per-IP counts ----------------------------------------------------------------- */

static size_t ip_hash(const uint8_t ip[16]) {
  uint32_t h = 2166136261u;
  for (int i = 0; i < 16; i++) h = (h ^ ip[i]) * 16777619u;
  return h % IP_BUCKETS;
}

/* Takes a slot for ip; false when the address is at its cap (or OOM). */
static bool ip_acquire(lat_http_server_t *s, const uint8_t ip[16]) {
  bool ok = false;
  pthread_mutex_lock(&s->ip_mu);
  ip_node_t **b = &s->ip_buckets[ip_hash(ip)], *n;
  for (n = *b; n && memcmp(n->ip, ip, 16) != 0; n = n->next) {}
  if (!n && (n = lat_calloc(1, sizeof *n)) != NULL) {
    memcpy(n->ip, ip, 16);
    n->next = *b;
    *b = n;
  }
  if (n && (s->cfg.max_per_ip == 0 || n->count < s->cfg.max_per_ip)) {
    n->count++;
    ok = true;
  }
  pthread_mutex_unlock(&s->ip_mu);
  return ok;
}

static void ip_put(lat_http_server_t *s, const uint8_t ip[16]) {
  pthread_mutex_lock(&s->ip_mu);
  for (ip_node_t **p = &s->ip_buckets[ip_hash(ip)]; *p; p = &(*p)->next) {
    if (memcmp((*p)->ip, ip, 16) != 0) continue;
    if (--(*p)->count == 0) {
      ip_node_t *dead = *p;
      *p = dead->next;
      lat_free(dead);
    }
    break;
  }
  pthread_mutex_unlock(&s->ip_mu);
}

/* ---- connections ------------------------------------------------------------------- */

static void conn_close(conn_t *c) {
  io_t *io = c->io;
  lat_http_exchange_t *ex = c->ex;
  if (ex) {
    pthread_mutex_lock(&ex->mu);
    ex->dead = true;
    chunks_free(ex->out_head);
    ex->out_head = ex->out_tail = NULL;
    ex->pending = 0;
    pthread_cond_broadcast(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
    ex->conn = NULL;
    c->ex = NULL;
    ex_release(ex);
  }
  chunks_free(c->out_head);
  heap_remove(io, c);
  close(c->fd);
  if (c->prev) c->prev->next = c->next;
  else io->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  io->nconns--;
  ip_put(io->srv, c->ip);
  atomic_fetch_sub(&io->srv->nconn, 1);
  lat_http_parser_fini(&c->parser);
  lat_buf_fini(&c->in);
  lat_buf_fini(&c->body);
  lat_free(c);
}

static void queue_local(conn_t *c, chunk_t *k) {
  if (c->out_tail) c->out_tail->next = k;
  else c->out_head = k;
  c->out_tail = k;
}

/* A final error response, then close.  Returns false if the conn is gone. */
static bool conn_fail(conn_t *c, int status, const char *reason) {
  lat_http_server_t *s = c->io->srv;
  if (s->cfg.log) {
    char line[200];
    size_t n = c->in.len;
    const uint8_t *lf = n ? memchr(c->in.data, '\n', n) : NULL;
    if (lf) n = (size_t)(lf - c->in.data);
    if (n && c->in.data[n - 1] == '\r') n--;
    lat_http_escape(line, sizeof line, c->in.data, n > 120 ? 120 : n);
    slog(s, LAT_HTTP_LOG_INFO, "rejected request: status=%d reason=\"%s\" peer=%s line=\"%s\"",
         status, reason, c->peer, line);
  }
  char b[512];
  int n = snprintf(b, sizeof b,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s\n",
                   status, lat_http_reason(status), strlen(reason) + 1, reason);
  chunk_t *k = (n > 0 && (size_t)n < sizeof b) ? chunk_copy(b, (size_t)n, NULL, 0, NULL, 0) : NULL;
  if (!k) {
    conn_close(c);
    return false;
  }
  queue_local(c, k);
  c->state = ST_CLOSING;
  c->closing_start = lat_now_coarse_ns();
  return true;
}

/* Writes what is queued.  Returns false if the conn was closed. */
static bool conn_flush(conn_t *c) {
  size_t counted = 0;
  while (c->out_head && c->can_write) {
    struct iovec iov[MAX_IOV];
    int n = 0;
    for (chunk_t *k = c->out_head; k && n < MAX_IOV; k = k->next, n++) {
      iov[n].iov_base = (void *)(k->data + k->off);
      iov[n].iov_len = k->len - k->off;
    }
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->can_write = false;
        break;
      }
      conn_close(c); /* EPIPE, ECONNRESET: the client is gone */
      return false;
    }
    c->write_progress = lat_now_coarse_ns();
    size_t left = (size_t)w;
    while (left && c->out_head) {
      chunk_t *k = c->out_head;
      size_t take = k->len - k->off < left ? k->len - k->off : left;
      k->off += take;
      left -= take;
      if (k->off < k->len) break;
      c->out_head = k->next;
      if (!c->out_head) c->out_tail = NULL;
      if (k->counted) counted += k->len;
      chunk_free(k);
    }
  }
  if (counted && c->ex) {
    pthread_mutex_lock(&c->ex->mu);
    c->ex->pending -= counted;
    pthread_cond_broadcast(&c->ex->cv);
    pthread_mutex_unlock(&c->ex->mu);
  }
  return true;
}

/* Moves the exchange's queue to the connection, writes, and finishes the
 * exchange when it has ended and everything is written.  Returns false if
 * the conn was closed. */
static bool conn_output(conn_t *c) {
  bool ended = false, close_after = false;
  lat_http_exchange_t *ex = c->ex;
  if (ex) {
    pthread_mutex_lock(&ex->mu);
    if (ex->out_head) {
      queue_local(c, ex->out_head);
      c->out_tail = ex->out_tail;
      ex->out_head = ex->out_tail = NULL;
    }
    ended = ex->ended;
    close_after = ex->close_after;
    pthread_mutex_unlock(&ex->mu);
  }
  if (c->out_head && c->can_write && !conn_flush(c)) return false;
  if (ex && ended && !c->out_head) { /* the response is out */
    ex->conn = NULL;
    c->ex = NULL;
    ex_release(ex);
    size_t used = c->req.head_len + (c->req.chunked ? 0 : (size_t)c->req.content_length);
    memmove(c->in.data, c->in.data + used, c->in.len - used);
    c->in.len -= used;
    c->body.len = 0;
    lat_http_parser_reset(&c->parser);
    c->head_start = 0;
    c->continue_sent = false;
    if (close_after || !c->req.keep_alive || c->peer_eof || atomic_load(&c->io->srv->stopping)) {
      c->state = ST_CLOSING;
      c->closing_start = lat_now_coarse_ns();
    } else {
      c->state = ST_HEAD;
      c->idle_deadline = lat_now_coarse_ns() + c->io->srv->cfg.idle_timeout_ms * MS;
      if (c->in.len == 0 && c->in.cap > 65536) lat_buf_fini(&c->in);
    }
  }
  if (c->state == ST_CLOSING && !c->out_head) {
    shutdown(c->fd, SHUT_WR);
    c->state = ST_LINGER;
    c->closing_start = lat_now_coarse_ns();
  }
  return true;
}

/* Reads what the state wants.  Returns -1 if the conn was closed, else the
 * number of bytes read (0: nothing new). */
static long conn_read(conn_t *c) {
  lat_http_server_config_t *cfg = &c->io->srv->cfg;
  long got = 0;
  if (c->state == ST_LINGER && c->peer_eof) { /* both sides are done */
    conn_close(c);
    return -1;
  }
  while (c->can_read) {
    if (c->state == ST_CLOSING || c->state == ST_LINGER) {
      uint8_t junk[4096];
      ssize_t r = read(c->fd, junk, sizeof junk);
      if (r > 0) continue;
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c->can_read = false;
        break;
      }
      if (c->state == ST_LINGER || r < 0) {
        conn_close(c);
        return -1;
      }
      c->peer_eof = true;
      c->can_read = false;
      break;
    }
    size_t cap;
    if (c->state == ST_HEAD) cap = cfg->limits.max_head_bytes + READ_SLACK;
    else if (c->state == ST_BODY && !c->req.chunked)
      cap = c->req.head_len + (size_t)c->req.content_length + READ_SLACK;
    else if (c->state == ST_BODY) cap = c->body_off + 4 * READ_SLACK;
    else cap = cfg->limits.max_head_bytes; /* ST_HANDLER: hold pipelined bytes */
    if (c->in.len >= cap) break;
    if (c->in.cap - c->in.len < 2048 &&
        lat_buf_reserve(&c->in, c->in.cap ? c->in.cap : 4096) != LAT_OK) {
      conn_close(c);
      return -1;
    }
    size_t room = c->in.cap - c->in.len;
    if (room > cap - c->in.len) room = cap - c->in.len;
    ssize_t r = read(c->fd, c->in.data + c->in.len, room);
    if (r > 0) {
      c->in.len += (size_t)r;
      got += r;
      if (c->state == ST_BODY) c->last_body = lat_now_coarse_ns();
      /* a short read emptied the socket: the next byte is a new edge */
      if ((size_t)r < room) c->can_read = false;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c->can_read = false;
      break;
    }
    /* EOF while a response is being produced: the client is gone (as
     * nginx's 499).  Before that it may be a half-close after a complete
     * request: what is buffered is still answered, then the conn closes. */
    if (r == 0 && (c->state == ST_HEAD || c->state == ST_BODY)) {
      c->peer_eof = true;
      c->can_read = false;
      break;
    }
    conn_close(c);
    return -1;
  }
  return got;
}

static void dispatch(conn_t *c) {
  lat_http_server_t *s = c->io->srv;
  lat_http_exchange_t *ex = lat_calloc(1, sizeof *ex);
  if (!ex) {
    conn_fail(c, 503, "out of memory");
    return;
  }
  pthread_mutex_init(&ex->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&ex->cv, &ca);
  pthread_condattr_destroy(&ca);
  atomic_init(&ex->refs, 2); /* the connection's and the handler's */
  ex->io = c->io;
  ex->srv = s;
  ex->conn = c;
  ex->head_req = c->req.head_method;
  ex->minor = c->req.version_minor;
  ex->req_keep_alive = c->req.keep_alive;
  ex->declared = -1;
  atomic_fetch_add(&s->live_ex, 1);
  c->ex = ex;
  c->state = ST_HANDLER;
  c->write_progress = lat_now_coarse_ns();
  /* the buffer may have moved while the body came in */
  lat_http_parse_head(&c->parser, c->in.data, c->in.len, &c->req);
  const uint8_t *body = c->req.chunked ? c->body.data : c->in.data + c->req.head_len;
  size_t blen = c->req.chunked ? c->body.len : (size_t)c->req.content_length;
  c->io->dispatching = ex;
  s->cfg.handler(s->cfg.handler_ctx, ex, &c->req, blen ? body : NULL, blen);
  c->io->dispatching = NULL;
}

/* Parses and reads the body as far as the bytes go.  Returns -1 if the
 * conn was closed, 1 when the state changed, 0 when it waits for bytes. */
static int conn_input(conn_t *c) {
  lat_http_server_config_t *cfg = &c->io->srv->cfg;
  uint64_t now = lat_now_coarse_ns();
  if (c->state == ST_HEAD) {
    if (c->in.len == 0) {
      if (!c->peer_eof) return 0;
      conn_close(c);
      return -1;
    }
    if (!c->head_start) c->head_start = now;
    lat_http_progress_t pr = lat_http_parse_head(&c->parser, c->in.data, c->in.len, &c->req);
    if (pr == LAT_HTTP_MORE && c->peer_eof) {
      conn_close(c); /* a request cut short */
      return -1;
    }
    if (pr == LAT_HTTP_MORE) return 0;
    if (pr == LAT_HTTP_ERROR) return conn_fail(c, c->parser.status, c->parser.reason) ? 1 : -1;
    if (c->req.has_content_length && c->req.content_length > cfg->max_body)
      return conn_fail(c, 413, "request body too large") ? 1 : -1;
    c->state = ST_BODY;
    c->body_start = c->last_body = now;
    c->body_off = c->req.head_len;
    c->body.len = 0;
    lat_http_chunked_init(&c->chunked, &cfg->limits);
    bool has_body = c->req.chunked || c->req.content_length > 0;
    if (has_body && c->req.expect_continue && c->in.len == c->req.head_len && !c->continue_sent) {
      chunk_t *k = chunk_copy("HTTP/1.1 100 Continue\r\n\r\n", 25, NULL, 0, NULL, 0);
      if (!k) {
        conn_close(c);
        return -1;
      }
      queue_local(c, k);
      c->continue_sent = true;
    }
    return 1;
  }
  if (c->state != ST_BODY) return 0;
  bool done;
  if (c->req.chunked) {
    done = false;
    if (c->in.len > c->body_off) {
      size_t used = 0;
      lat_http_progress_t pr = lat_http_chunked_decode(&c->chunked, c->in.data + c->body_off,
                                                       c->in.len - c->body_off, cfg->max_body,
                                                       &c->body, &used);
      memmove(c->in.data + c->body_off, c->in.data + c->body_off + used,
              c->in.len - c->body_off - used);
      c->in.len -= used;
      if (pr == LAT_HTTP_ERROR) return conn_fail(c, c->chunked.status, c->chunked.reason) ? 1 : -1;
      done = pr == LAT_HTTP_DONE;
    }
  } else {
    done = c->in.len - c->req.head_len >= c->req.content_length;
  }
  if (done) {
    dispatch(c);
    return 1;
  }
  if (c->peer_eof) { /* the body was cut short */
    conn_close(c);
    return -1;
  }
  return 0;
}

static void conn_run(conn_t *c) {
  /* ends: each round consumes bytes or changes state, or nothing moved */
  for (;;) {
    if (!conn_output(c)) return;
    long r = conn_read(c);
    if (r < 0) return;
    int p = conn_input(c);
    if (p < 0) return;
    /* anything queued by this round (a handler that answered at once, a
     * 100 Continue, an error) came with p == 1 and is written next round */
    if (r == 0 && p == 0) break;
  }
  conn_arm(c);
}

static void conn_timeout(conn_t *c) {
  if ((c->state == ST_HEAD && c->in.len > 0) || c->state == ST_BODY) {
    if (conn_fail(c, 408, c->state == ST_HEAD ? "request head not received in time"
                                              : "request body not received in time"))
      conn_run(c);
    return;
  }
  conn_close(c);
}

/* An accepted connection on its way to another I/O thread. */
typedef struct incoming {
  struct incoming *next;
  int fd;
  uint8_t ip[16];
  char peer[64];
} incoming_t;

/* Makes the connection an I/O thread's own (on that thread). */
static void conn_setup(io_t *io, int fd, const uint8_t ip[16], const char *peer) {
  lat_http_server_t *s = io->srv;
  conn_t *c = io->stop_seen ? NULL : lat_calloc(1, sizeof *c); /* late hand-off: drop */
  if (!c) {
    close(fd);
    ip_put(s, ip);
    atomic_fetch_sub(&s->nconn, 1);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->io = io;
  c->fd = fd;
  memcpy(c->ip, ip, 16);
  snprintf(c->peer, sizeof c->peer, "%s", peer);
  c->heap_idx = SIZE_MAX;
  c->can_write = true;
  c->state = ST_HEAD;
  c->idle_deadline = lat_now_coarse_ns() + s->cfg.header_timeout_ms * MS;
  lat_buf_init(&c->in);
  lat_buf_init(&c->body);
  lat_http_parser_init(&c->parser, &s->cfg.limits);
  c->next = io->conns;
  if (io->conns) io->conns->prev = c;
  io->conns = c;
  io->nconns++;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
  if (epoll_ctl(io->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    conn_close(c);
    return;
  }
  conn_arm(c);
}

/* Connections go to the I/O threads in turn, not to whichever thread the
 * kernel woke: a burst of connects would otherwise all land on one. */
static void accept_some(io_t *io) {
  lat_http_server_t *s = io->srv;
  for (int k = 0; k < ACCEPT_BATCH; k++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && io->spare_fd >= 0) {
        close(io->spare_fd); /* take the connection off the queue and drop it */
        int d = accept(s->lfd, NULL, NULL);
        if (d >= 0) close(d);
        io->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        slog(s, LAT_HTTP_LOG_WARN, "out of file descriptors: a connection was dropped");
      }
      return;
    }
    uint8_t ip[16] = {0};
    char peer[64] = "?";
    if (ss.ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)&ss;
      ip[10] = ip[11] = 0xff;
      memcpy(ip + 12, &a->sin_addr, 4);
      inet_ntop(AF_INET, &a->sin_addr, peer, sizeof peer);
    } else if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
      memcpy(ip, &a->sin6_addr, 16);
      inet_ntop(AF_INET6, &a->sin6_addr, peer, sizeof peer);
    }
    unsigned total = atomic_fetch_add(&s->nconn, 1) + 1;
    bool ok = !atomic_load(&s->stopping) && total <= s->cfg.max_connections;
    bool have_ip = ok && ip_acquire(s, ip);
    if (!have_ip) {
      ssize_t w = send(fd, REJECT_503, sizeof REJECT_503 - 1, MSG_NOSIGNAL);
      (void)w;
      close(fd);
      atomic_fetch_sub(&s->nconn, 1);
      slog(s, LAT_HTTP_LOG_WARN, "connection refused: peer=%s reason=\"%s\"", peer,
           !ok ? "connection limit" : "per-client limit");
      continue;
    }
    io_t *to = &s->io[atomic_fetch_add(&s->next_io, 1) % s->nio];
    if (to == io) {
      conn_setup(io, fd, ip, peer);
      continue;
    }
    incoming_t *in = lat_malloc(sizeof *in);
    if (!in) {
      conn_setup(io, fd, ip, peer);
      continue;
    }
    in->fd = fd;
    memcpy(in->ip, ip, 16);
    memcpy(in->peer, peer, sizeof peer);
    pthread_mutex_lock(&to->mu);
    in->next = to->incoming;
    to->incoming = in;
    pthread_mutex_unlock(&to->mu);
    uint64_t one = 1;
    ssize_t w = write(to->efd, &one, sizeof one);
    (void)w;
  }
}

static incoming_t *take_incoming(io_t *io) {
  pthread_mutex_lock(&io->mu);
  incoming_t *in = io->incoming;
  io->incoming = NULL;
  pthread_mutex_unlock(&io->mu);
  return in;
}

/* Takes io's ready list (each entry holding a ref), linked by drain_next. */
static lat_http_exchange_t *take_ready(io_t *io) {
  pthread_mutex_lock(&io->mu);
  lat_http_exchange_t *list = io->ready;
  io->ready = NULL;
  io->wake_pending = false;
  for (lat_http_exchange_t *e = list; e; e = e->ready_next) {
    e->queued = false;
    e->drain_next = e->ready_next;
  }
  pthread_mutex_unlock(&io->mu);
  return list;
}

static void drain_ready(io_t *io) {
  lat_http_exchange_t *list = take_ready(io);
  while (list) {
    lat_http_exchange_t *e = list;
    list = e->drain_next;
    if (e->conn) conn_run(e->conn);
    ex_release(e);
  }
}

static void handle_stop(io_t *io) {
  if (!io->stop_seen) {
    io->stop_seen = true;
    io->grace_deadline = lat_now_coarse_ns() + io->srv->cfg.grace_ms * MS;
    epoll_ctl(io->ep, EPOLL_CTL_DEL, io->srv->lfd, NULL);
    conn_t *n;
    for (conn_t *c = io->conns; c; c = n) {
      n = c->next;
      if (c->state == ST_HEAD || c->state == ST_BODY) conn_close(c);
      else conn_arm(c);
    }
  }
}

static void *io_main(void *arg) {
  io_t *io = arg;
  lat_http_server_t *s = io->srv;
  tls_io = io;
  struct epoll_event evs[64];
  for (;;) {
    if (atomic_load(&s->stopping)) {
      handle_stop(io);
      if (io->nconns == 0) break;
    }
    int timeout = -1;
    uint64_t now = lat_now_coarse_ns();
    if (io->nheap) {
      uint64_t d = io->heap[0]->deadline;
      timeout = d <= now ? 0 : (int)((d - now) / MS + 1);
    }
    int n = epoll_wait(io->ep, evs, 64, timeout);
    for (int i = 0; i < n; i++) {
      void *p = evs[i].data.ptr;
      if (p == &listen_tag) {
        if (!atomic_load(&s->stopping)) accept_some(io);
      } else if (p == &wake_tag) {
        uint64_t v;
        ssize_t r = read(io->efd, &v, sizeof v);
        (void)r;
        for (incoming_t *in = take_incoming(io), *nx; in; in = nx) {
          nx = in->next;
          conn_setup(io, in->fd, in->ip, in->peer);
          lat_free(in);
        }
      } else {
        conn_t *c = p;
        uint32_t e = evs[i].events;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->can_read = true;
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) c->can_write = true;
        conn_run(c);
      }
    }
    drain_ready(io);
    now = lat_now_coarse_ns();
    while (io->nheap && io->heap[0]->deadline <= now) conn_timeout(io->heap[0]);
  }
  drain_ready(io);
  tls_io = NULL;
  return NULL;
}

/* ---- server ------------------------------------------------------------------------ */

static lat_status parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sl,
                             lat_error_t *err) {
  char host[64];
  const char *colon, *h0 = addr;
  size_t hl;
  if (addr[0] == '[') {
    const char *rb = strchr(addr, ']');
    if (!rb || rb[1] != ':') goto bad;
    h0 = addr + 1;
    hl = (size_t)(rb - h0);
    colon = rb + 1;
  } else {
    colon = strrchr(addr, ':');
    if (!colon) goto bad;
    hl = (size_t)(colon - addr);
  }
  if (hl >= sizeof host) goto bad;
  memcpy(host, h0, hl);
  host[hl] = '\0';
  char *end;
  errno = 0;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end || errno || port > 65535) goto bad;
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (hl == 0 || inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *sl = sizeof *a4;
    return LAT_OK;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *sl = sizeof *a6;
    return LAT_OK;
  }
bad:
  return lat_error_set(err, LAT_EARG, SIZE_MAX,
                       "bad address (want IPv4:PORT or [IPv6]:PORT, numeric)");
}

lat_status lat_http_server_new(const lat_http_server_config_t *cfg, lat_http_server_t **out_srv,
                               lat_error_t *err) {
  *out_srv = NULL;
  if (!cfg || !cfg->handler || !cfg->addr)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "http server: no handler or address");
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  lat_status st = parse_addr(cfg->addr, &ss, &sl, err);
  if (st != LAT_OK) return st;
  lat_http_server_t *s = lat_calloc(1, sizeof *s);
  if (!s) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "http server: out of memory");
  s->cfg = *cfg;
  s->lfd = -1;
  pthread_mutex_init(&s->ip_mu, NULL);
  pthread_mutex_init(&s->ex_mu, NULL);
  pthread_cond_init(&s->ex_cv, NULL);
  s->addr = lat_strndup(cfg->addr, strlen(cfg->addr));
  if (!s->addr) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "http server: out of memory");
    goto fail;
  }
  s->cfg.addr = s->addr;
  /* zero means the default (a zero deadline would expire at once) */
  lat_http_server_config_t def;
  lat_http_server_config_default(&def);
  if (s->cfg.limits.max_head_bytes == 0) s->cfg.limits = def.limits;
  if (s->cfg.max_connections == 0) s->cfg.max_connections = def.max_connections;
  if (s->cfg.write_window == 0) s->cfg.write_window = def.write_window;
  uint32_t *ms[] = {&s->cfg.header_timeout_ms, &s->cfg.body_timeout_ms, &s->cfg.body_idle_ms,
                    &s->cfg.idle_timeout_ms, &s->cfg.write_timeout_ms};
  const uint32_t dms[] = {def.header_timeout_ms, def.body_timeout_ms, def.body_idle_ms,
                          def.idle_timeout_ms, def.write_timeout_ms};
  for (size_t i = 0; i < sizeof dms / sizeof dms[0]; i++)
    if (*ms[i] == 0) *ms[i] = dms[i];
  s->nio = cfg->threads;
  if (s->nio == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    s->nio = n > 0 ? (unsigned)n : 1;
  }
  if (s->nio > 256) s->nio = 256;
  s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(s->lfd, (struct sockaddr *)&ss, sl) != 0 || listen(s->lfd, 4096) != 0) {
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "http server: cannot listen on %s: %s",
                       cfg->addr, strerror(errno));
    goto fail;
  }
  struct sockaddr_storage bound;
  socklen_t bl = sizeof bound;
  getsockname(s->lfd, (struct sockaddr *)&bound, &bl);
  s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
  s->io = lat_calloc(s->nio, sizeof *s->io);
  if (!s->io) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "http server: out of memory");
    goto fail;
  }
  for (unsigned i = 0; i < s->nio; i++) {
    io_t *io = &s->io[i];
    io->srv = s;
    io->ep = io->efd = io->spare_fd = -1;
    pthread_mutex_init(&io->mu, NULL);
  }
  /* I/O threads take no signals: the embedder's threads handle them */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  for (unsigned i = 0; i < s->nio; i++) {
    io_t *io = &s->io[i];
    io->ep = epoll_create1(EPOLL_CLOEXEC);
    io->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    io->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct epoll_event le = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &listen_tag};
    struct epoll_event we = {.events = EPOLLIN, .data.ptr = &wake_tag};
    if (io->ep < 0 || io->efd < 0 || epoll_ctl(io->ep, EPOLL_CTL_ADD, s->lfd, &le) != 0 ||
        epoll_ctl(io->ep, EPOLL_CTL_ADD, io->efd, &we) != 0 ||
        pthread_create(&io->thread, NULL, io_main, io) != 0) {
      st = lat_error_set(err, LAT_EIO, SIZE_MAX, "http server: cannot start I/O thread: %s",
                         strerror(errno));
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      goto fail;
    }
    io->started = true;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  slog(s, LAT_HTTP_LOG_INFO, "listening: addr=%s port=%u threads=%u", s->addr, s->port, s->nio);
  *out_srv = s;
  return LAT_OK;
fail:
  lat_http_server_free(s);
  return st;
}

uint16_t lat_http_server_port(const lat_http_server_t *srv) { return srv->port; }

void lat_http_server_shutdown(lat_http_server_t *srv) {
  if (!srv || atomic_exchange(&srv->stopping, true)) return;
  for (unsigned i = 0; i < srv->nio; i++) {
    if (srv->io && srv->io[i].efd >= 0) {
      uint64_t one = 1;
      ssize_t r = write(srv->io[i].efd, &one, sizeof one);
      (void)r;
    }
  }
}

/* Releases exchanges left on ready lists after the threads are gone. */
static void drain_all_ready(lat_http_server_t *s) {
  for (unsigned i = 0; i < s->nio; i++) {
    lat_http_exchange_t *list = take_ready(&s->io[i]);
    while (list) {
      lat_http_exchange_t *e = list;
      list = e->drain_next;
      ex_release(e);
    }
  }
}

void lat_http_server_free(lat_http_server_t *srv) {
  if (!srv) return;
  lat_http_server_shutdown(srv);
  for (unsigned i = 0; srv->io && i < srv->nio; i++)
    if (srv->io[i].started) pthread_join(srv->io[i].thread, NULL);
  if (srv->io) {
    for (;;) {
      drain_all_ready(srv);
      pthread_mutex_lock(&srv->ex_mu);
      size_t live = atomic_load(&srv->live_ex);
      if (live) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->ex_cv, &srv->ex_mu, &ts);
      }
      pthread_mutex_unlock(&srv->ex_mu);
      if (!live) break;
    }
    for (unsigned i = 0; i < srv->nio; i++) {
      io_t *io = &srv->io[i];
      for (incoming_t *in = take_incoming(io), *nx; in; in = nx) { /* never set up */
        nx = in->next;
        close(in->fd);
        ip_put(srv, in->ip);
        atomic_fetch_sub(&srv->nconn, 1);
        lat_free(in);
      }
      if (io->ep >= 0) close(io->ep);
      if (io->efd >= 0) close(io->efd);
      if (io->spare_fd >= 0) close(io->spare_fd);
      lat_free(io->heap);
      pthread_mutex_destroy(&io->mu);
    }
    lat_free(srv->io);
  }
  if (srv->lfd >= 0) close(srv->lfd);
  for (unsigned i = 0; i < IP_BUCKETS; i++) {
    for (ip_node_t *n = srv->ip_buckets[i], *nx; n; n = nx) {
      nx = n->next;
      lat_free(n);
    }
  }
  pthread_mutex_destroy(&srv->ip_mu);
  pthread_mutex_destroy(&srv->ex_mu);
  pthread_cond_destroy(&srv->ex_cv);
  lat_free(srv->addr);
  lat_free(srv);
}
