/* host_http.c: serving a wasi:http/proxy component over HTTP/1.1, a fresh
 * instance per request (`lattice serve`, and the lattice host's built-in
 * HTTP server through host_routes.c's route/release callbacks).
 *
 * Approach: HTTP is src/http (strict RFC 9112 framing, header and body
 * deadlines, connection caps in total and per client, 413 before reading
 * an announced oversized body or sending 100 Continue).  Its handler runs
 * on an I/O thread and never runs a guest: it copies the request into one
 * allocation (a job) and pushes it on a bounded queue (base's lat_queue_t)
 * drained by a pool of guest workers (lat_workers_t); a full queue is a
 * 503 at once, so workers + queue is the concurrency cap.  A worker calls
 * route (the lattice host sets a thread-local invocation context there and
 * clears it in release, so route, the guest and release run on that one
 * worker), makes the instance (fresh store, WASI context, wasi:http
 * exchange), runs the guest and answers.
 *
 * Responses stream (lat_wasi_http_set_stream): the body is held in the
 * job up to STREAM_HOLD bytes; a body finished within that is sent in one
 * piece with a Content-Length (from the job's buffer without a copy, or,
 * up to INLINE_BODY, copied into the head's allocation); a
 * larger one starts a chunked response and every further write waits for
 * room in the server's per-exchange write window (bounded by the request's
 * deadline), so a client that does not read costs one window per
 * connection, not the body.  A guest that traps or overflows the body cap
 * after the head went out gets its response cut (lat_http_respond_abort),
 * never completed.  Final statuses outside 200..599 become a 500.
 *
 * Stopping a guest: every running job is on sv->active.  The store's
 * deadline (the request's timeout) traps a looping guest; a watchdog
 * thread interrupts (lat_wasm_store_interrupt and lat_wasi_interrupt, both
 * thread-safe: its code and its WASI waits) the guest of a
 * request whose client has gone; lat_host_http_free refuses new and queued
 * requests (503), gives running guests grace_ns, then interrupts the rest.
 *
 * Guest stdout/stderr: by default into pipes read by one thread per server
 * that logs each line through base's logger (escaped, so a guest cannot
 * forge log lines or send terminal escapes); opts.inherit_stdio hands the
 * process's fds to the guest as they are.
 *
 * A route may send the request elsewhere (target.forward, for a component
 * on another host): the worker hands it the whole request and answers with
 * what comes back, or 404/502/504 when that fails; no guest runs here.
 *
 * Rejected: libmicrohttpd (what this used first): guests ran on its I/O
 * threads, so two looping guests on a two-thread pool stopped the server
 * for good and a slow guest stalled every keep-alive connection of its
 * thread; it had no header deadline, no per-client cap, lenient framing
 * (CL+TE, duplicate Content-Length), and it needed a whole copy of each
 * response.  One thread per connection (a slow client holds a thread);
 * warm instance reuse (breaks the isolation default).
 *
 * Locks: sv->active_mu guards the active list, every job's ex while it is
 * on the list (set to NULL there before the exchange is released) and
 * interrupted, and watch_stop; a job's other fields belong to its worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../http/http.h"
#include "host.h"

#define STREAM_HOLD (64u << 10)  /* body bytes held before the response starts streaming */
#define INLINE_BODY 4096u        /* smaller held bodies are copied, larger handed over */
#define WRITE_PIECE (64u << 10)  /* a guest write goes out in pieces of this */
#define WRITE_TIMEOUT_MS 10000u  /* a piece waits this long for room: a client that takes
                                    nothing for 10 s does not hold a worker longer */
#define WATCH_MS 100             /* how often the watchdog looks for gone clients */
#define STDIO_LINE 2048u         /* a guest output line is logged in pieces of this */
#define DEFAULT_QUEUE 1024u
#define MAX_HDRS 256u

typedef struct job job_t;

struct lat_host_http {
  lat_host_component_t *comp; /* borrowed; NULL when route is set */
  lat_host_http_route_fn route;
  lat_host_http_release_fn release;
  void *route_env;
  uint64_t timeout_ns;        /* per request; 0 = none */
  uint64_t grace_ns;
  lat_wasi_http_client_t client; /* the opts' (allow list borrowed) */
  lat_http_server_t *srv;
  lat_queue_t *q;
  lat_workers_t *workers;
  unsigned nworkers;
  atomic_bool stopping;       /* no new guest starts */
  pthread_mutex_t active_mu;
  pthread_cond_t active_cv;   /* broadcast when a job leaves the list */
  pthread_cond_t watch_cv;    /* wakes the watchdog to stop */
  job_t *active;              /* under active_mu */
  bool watch_stop;            /* under active_mu */
  pthread_t watch;
  bool watch_started;
  /* guest stdio */
  bool inherit_stdio;
  int null_fd;                /* stdin */
  int out_pipe[2], err_pipe[2];
  pthread_t stdio;
  bool stdio_started;
  lat_wasi_config_t wasi_cfg;
};
typedef struct lat_host_http serve_t;

/* One request, from the I/O thread's handler to the worker's answer. */
struct job {
  serve_t *sv;
  lat_http_exchange_t *ex;    /* NULL once answered (under active_mu while on the list) */
  job_t *prev, *next;         /* sv->active */
  bool on_list;
  bool interrupted;           /* under active_mu */
  lat_wasm_store_t *store;    /* the running guest's, while on the list */
  lat_wasi_t *wasi;           /* its WASI context, while on the list */
  lat_wasi_http_t *h;
  lat_wasi_http_request_t req; /* points into this allocation */
  uint64_t deadline_ns;       /* 0 = none */
  bool started;               /* the response head went out (streaming) */
  bool over;                  /* the body passed the exchange's cap */
  bool cut;                   /* a write failed: bytes are missing, never complete it */
  lat_buf_t hold;             /* body held before streaming */
  lat_wasi_http_stream_t stream;
  const char *fail;           /* why the answer was a 500 or cut, for the log */
};

/* ---- helpers ------------------------------------------------------------------------ */

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* src/http's lines are "event: k=v k=\"v\" ..." with request bytes as \xHH
 * (lat_http_escape); they become base-logger fields with the bytes decoded,
 * so the logger escapes them once, the way it escapes everything else. */
static void http_log(void *ctx, lat_http_log_level lv, const char *msg) {
  (void)ctx;
  lat_log_level l = lv == LAT_HTTP_LOG_ERROR  ? LAT_LOG_ERROR
                    : lv == LAT_HTTP_LOG_WARN ? LAT_LOG_WARN
                    : lv == LAT_HTTP_LOG_INFO ? LAT_LOG_INFO
                                              : LAT_LOG_DEBUG;
  if (!lat_log_enabled(l)) return;
  char buf[1024];
  lat_log_kv_t kv[12];
  size_t nkv = 0, o = 0;
  const char *colon = strstr(msg, ": ");
  size_t el = colon ? (size_t)(colon - msg) : strlen(msg);
  if (el >= sizeof buf) el = sizeof buf - 1;
  memcpy(buf, msg, el);
  buf[el] = 0;
  o = el + 1;
  const char *p = colon ? colon + 2 : "";
  while (*p && nkv < sizeof kv / sizeof kv[0] && o + 2 < sizeof buf) {
    while (*p == ' ') p++;
    const char *eq = strchr(p, '=');
    if (!eq) break;
    size_t kl = (size_t)(eq - p);
    if (kl == 0 || o + kl + 2 >= sizeof buf) break;
    char *key = buf + o;
    memcpy(key, p, kl);
    key[kl] = 0;
    o += kl + 1;
    p = eq + 1;
    bool quoted = *p == '"';
    if (quoted) p++;
    char *val = buf + o;
    size_t vl = 0;
    while (*p && (quoted ? *p != '"' : *p != ' ') && o + vl < sizeof buf) {
      int h1, h2;
      if (p[0] == '\\' && p[1] == 'x' && (h1 = hexval(p[2])) >= 0 && (h2 = hexval(p[3])) >= 0) {
        val[vl++] = (char)(h1 * 16 + h2);
        p += 4;
      } else {
        val[vl++] = *p++;
      }
    }
    if (quoted && *p == '"') p++;
    o += vl;
    kv[nkv++] = (lat_log_kv_t){.key = key, .type = LAT_LOG_KV_BYTES, .len = vl, .v.s = val};
  }
  lat_log_write(l, "http", buf, kv, nkv);
}

static const lat_http_header_t TEXT_PLAIN[] = {
    {"content-type", 12, "text/plain; charset=utf-8", 25}};

static void answer_text(lat_http_exchange_t *ex, int status, const char *text) {
  lat_http_respond(ex, status, TEXT_PLAIN, 1, text, strlen(text), NULL);
}

/* Takes the job's exchange off it (under active_mu, so the watchdog never
 * sees a released one); NULL when already answered. */
static lat_http_exchange_t *take_ex(job_t *j) {
  pthread_mutex_lock(&j->sv->active_mu);
  lat_http_exchange_t *ex = j->ex;
  j->ex = NULL;
  pthread_mutex_unlock(&j->sv->active_mu);
  return ex;
}

static bool skip_header(const lat_wasi_http_header_t *h) {
  static const char *const skip[] = {"content-length", "transfer-encoding", "connection"};
  for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
    if (h->name_len == strlen(skip[i]) && !strncasecmp(h->name, skip[i], h->name_len))
      return true;
  return false;
}

static void log_fail(const job_t *j, const char *msg, const char *status, const char *reason) {
  LAT_LOG(LAT_LOG_WARN, "http", msg, LAT_KV_STR("method", j->req.method),
          LAT_KV_STR("path", j->req.path_with_query), LAT_KV_STR("status", status),
          LAT_KV_STR("reason", reason));
}

/* Starts the guest's response (status and headers from the exchange) with
 * content_length (-1: streamed).  false: answered otherwise (a 500), or
 * the client is gone. */
static bool start_response(job_t *j, lat_http_exchange_t *ex, int64_t content_length,
                           bool one_shot) {
  lat_wasi_http_response_t resp;
  lat_status st = lat_wasi_http_response(j->h, &resp);
  if (st || !resp.ok) return false;
  if (resp.status < 200 || resp.status > 599) {
    char s[8];
    snprintf(s, sizeof s, "%u", (unsigned)resp.status);
    log_fail(j, "guest sent an invalid final status (want 200..599)", s, "answered 500");
    take_ex(j);
    answer_text(ex, 500, "internal server error: invalid status from the component\n");
    if (one_shot) lat_buf_fini(&j->hold);
    return false;
  }
  lat_http_header_t hv[MAX_HDRS];
  size_t n = 0;
  for (size_t i = 0; i < resp.nheaders && n < MAX_HDRS; i++) {
    const lat_wasi_http_header_t *x = &resp.headers[i];
    if (skip_header(x)) continue;
    hv[n++] = (lat_http_header_t){x->name, x->name_len, x->value, x->value_len};
  }
  if (one_shot) {
    take_ex(j);
    if (j->hold.len <= INLINE_BODY) { /* copied into the head's chunk: one allocation */
      lat_http_respond(ex, resp.status, hv, n, j->hold.data, j->hold.len, NULL);
      lat_buf_fini(&j->hold);
      return true;
    }
    size_t blen;
    uint8_t *b = lat_buf_steal(&j->hold, &blen);
    lat_http_respond(ex, resp.status, hv, n, b, blen, lat_free);
    return true;
  }
  if (lat_http_respond_start(ex, resp.status, hv, n, content_length)) return false;
  j->started = true;
  return true;
}

/* Writes data in pieces, each waiting for room in the window up to the
 * request's deadline.  0, EPIPE (client gone) or ETIMEDOUT. */
static int write_pieces(job_t *j, const uint8_t *data, size_t len) {
  while (len) {
    size_t n = len < WRITE_PIECE ? len : WRITE_PIECE;
    uint32_t tmo = WRITE_TIMEOUT_MS;
    if (j->deadline_ns) {
      uint64_t now = lat_now_ns();
      if (now >= j->deadline_ns) return ETIMEDOUT;
      uint64_t left = (j->deadline_ns - now) / 1000000u + 1;
      if (left < tmo) tmo = (uint32_t)left;
    }
    lat_status st = lat_http_respond_write_wait(j->ex, data, n, tmo);
    if (st == LAT_ELIMIT) return ETIMEDOUT;
    if (st) return EPIPE;
    data += n;
    len -= n;
  }
  return 0;
}

static int stream_write_(job_t *j, const uint8_t *data, size_t len) {
  if (!j->ex) return EPIPE;
  if (!j->started) {
    if (j->hold.len + len <= STREAM_HOLD)
      return lat_buf_append(&j->hold, data, len) ? ENOMEM : 0;
    if (!start_response(j, j->ex, -1, false)) {
      lat_http_exchange_t *ex = take_ex(j);
      if (ex) lat_http_respond_end(ex); /* a 500 when nothing went out */
      return EPIPE;
    }
    int e = write_pieces(j, j->hold.data, j->hold.len);
    lat_buf_fini(&j->hold);
    lat_buf_init(&j->hold);
    if (e) return e;
  }
  return write_pieces(j, data, len);
}

/* lat_wasi_http_stream_t.write: on the worker, inside the guest's call. */
static int stream_write(void *arg, const uint8_t *data, size_t len) {
  job_t *j = arg;
  int e = stream_write_(j, data, len);
  if (e) j->cut = true;
  return e;
}

/* Ends the response the guest finished (or left unfinished but returned). */
static void finish_response(job_t *j) {
  if (!j->ex) return;
  lat_wasi_http_response_t resp;
  if (lat_wasi_http_response(j->h, &resp) == LAT_ELIMIT) j->over = true;
  if (j->over || j->cut) {
    j->fail = j->over ? "the response body is over the server's limit"
                      : "a body write failed (client gone or too slow)";
    lat_http_exchange_t *ex = take_ex(j);
    lat_http_respond_abort(ex); /* a 500 when nothing went out yet */
    return;
  }
  if (!j->started) {
    lat_http_exchange_t *ex = j->ex;
    if (!start_response(j, ex, (int64_t)j->hold.len, true)) {
      if ((ex = take_ex(j))) lat_http_respond_end(ex);
    }
    return;
  }
  lat_http_respond_end(take_ex(j));
}

/* lat_wasi_http_stream_t.finish */
static void stream_finish(void *arg) { finish_response(arg); }

/* ---- the worker ---------------------------------------------------------------------- */

/* Stops the job's guest: its code at the next back-edge or call, a WASI
 * wait within LAT_WASI_WAIT_SLICE_MS.  Under active_mu. */
static void interrupt_job(job_t *j) {
  lat_wasm_store_interrupt(j->store);
  lat_wasi_interrupt(j->wasi);
}

static void active_add(job_t *j) {
  serve_t *sv = j->sv;
  pthread_mutex_lock(&sv->active_mu);
  j->next = sv->active;
  j->prev = NULL;
  if (sv->active) sv->active->prev = j;
  sv->active = j;
  j->on_list = true;
  /* a stop that began before we got here must reach this guest too */
  if (atomic_load(&sv->stopping)) interrupt_job(j);
  pthread_mutex_unlock(&sv->active_mu);
}

static void active_del(job_t *j) {
  serve_t *sv = j->sv;
  pthread_mutex_lock(&sv->active_mu);
  if (j->on_list) {
    if (j->prev) j->prev->next = j->next;
    else sv->active = j->next;
    if (j->next) j->next->prev = j->prev;
    j->on_list = false;
    j->store = NULL;
    j->wasi = NULL;
    pthread_cond_broadcast(&sv->active_cv);
  }
  pthread_mutex_unlock(&sv->active_mu);
}

/* A request whose component runs on another host: tg->forward carries it
 * there whole and the answer comes back whole (wRPC, host_routes.c). */
static void forward_job(job_t *j, const lat_host_http_target_t *tg) {
  lat_wasi_http_response_t resp;
  memset(&resp, 0, sizeof resp);
  lat_status st = tg->forward(tg->token, &j->req, &resp);
  lat_http_exchange_t *ex = take_ex(j);
  if (!ex) return;
  if (st == LAT_ENOTFOUND) {
    answer_text(ex, 404, "not found: the linked component runs on no host\n");
  } else if (st == LAT_ETIMEOUT) {
    answer_text(ex, 504, "gateway timeout: the component's host did not answer in time\n");
  } else if (st || !resp.ok || resp.status < 200 || resp.status > 599) {
    answer_text(ex, 502, "bad gateway: the call to the component's host failed\n");
  } else {
    lat_http_header_t hv[MAX_HDRS];
    size_t n = 0;
    for (size_t i = 0; i < resp.nheaders && n < MAX_HDRS; i++) {
      const lat_wasi_http_header_t *x = &resp.headers[i];
      if (!skip_header(x)) hv[n++] = (lat_http_header_t){x->name, x->name_len, x->value, x->value_len};
    }
    lat_http_respond(ex, resp.status, hv, n, resp.body, resp.body_len, NULL);
  }
}

static void run_job(void *arg) {
  job_t *j = arg;
  serve_t *sv = j->sv;
  lat_error_t err;
  lat_error_clear(&err);
  lat_host_instance_t *in = NULL;
  lat_host_http_target_t tg = {.hc = sv->comp, .timeout_ns = sv->timeout_ns};
  bool routed = false;
  if (atomic_load(&sv->stopping)) {
    answer_text(take_ex(j), 503, "service unavailable: shutting down\n");
    goto out;
  }
  if (sv->route) {
    lat_status rs = sv->route(sv->route_env, &j->req, &tg);
    if (rs) {
      lat_http_exchange_t *ex = take_ex(j);
      if (rs == LAT_ELIMIT) answer_text(ex, 503, "service unavailable: at capacity\n");
      else if (rs == LAT_ENOTFOUND) answer_text(ex, 404, "not found: nothing is linked here\n");
      else answer_text(ex, 500, "internal server error\n");
      goto out;
    }
    routed = true;
    if (!tg.hc && tg.forward) {
      forward_job(j, &tg);
      goto out;
    }
  }
  if (lat_wasi_http_new(&j->req, &j->h)) {
    j->fail = "out of memory";
    goto fail500;
  }
  lat_wasi_http_set_client(j->h, &sv->client);
  j->stream = (lat_wasi_http_stream_t){stream_write, stream_finish, j};
  lat_wasi_http_set_stream(j->h, &j->stream);
  lat_host_instance_opts_t io = {.timeout_ns = tg.timeout_ns, .http = j->h,
                                 .wasi_cfg = &sv->wasi_cfg};
  if (tg.timeout_ns) j->deadline_ns = lat_now_ns() + tg.timeout_ns;
  lat_status st = lat_host_instance_new(tg.hc, &io, &in, &err);
  if (!st) {
    j->store = lat_host_instance_store(in);
    j->wasi = lat_host_instance_wasi(in);
    active_add(j);
    st = lat_host_instance_start(in, &err);
    if (!st)
      st = lat_wasi_http_handle(j->h, lat_host_component_linker(tg.hc),
                                lat_host_instance_cinstance(in), lat_host_instance_arena(in),
                                &err);
  }
  bool interrupted = false;
  pthread_mutex_lock(&sv->active_mu);
  interrupted = j->interrupted;
  pthread_mutex_unlock(&sv->active_mu);
  if (st == LAT_TRAP) {
    lat_wasm_trap_t tr = lat_wasm_store_trap(j->store);
    const char *why = tr != LAT_TRAP_INTERRUPTED ? err.msg
                      : interrupted ? "interrupted: the client went away"
                                    : "interrupted: the server is stopping";
    LAT_LOG(LAT_LOG_WARN, "http", "guest trapped", LAT_KV_STR("method", j->req.method),
            LAT_KV_STR("path", j->req.path_with_query), LAT_KV_STR("reason", why));
  } else if (st) {
    log_fail(j, "request failed", lat_status_message(st), err.msg);
  }
  active_del(j);
  if (j->ex) {
    if (st) {
      lat_http_exchange_t *ex = take_ex(j);
      if (j->started) lat_http_respond_abort(ex);
      else answer_text(ex, 500, st == LAT_TRAP ? "internal server error: the component trapped\n"
                                               : "internal server error\n");
    } else {
      lat_wasi_http_response_t resp;
      lat_status rs = lat_wasi_http_response(j->h, &resp);
      if (rs == LAT_ELIMIT || (!rs && resp.ok)) {
        finish_response(j); /* returned without finishing the body: what it wrote */
      } else {
        j->fail = rs ? "the response could not be collected" : NULL;
        if (!rs) LAT_LOG(LAT_LOG_WARN, "http", "guest sent no response",
                         LAT_KV_STR("method", j->req.method),
                         LAT_KV_STR("path", j->req.path_with_query));
        else log_fail(j, "request failed", lat_status_message(rs), j->fail);
        answer_text(take_ex(j), 500, "internal server error\n");
      }
    }
  }
  if (j->fail && !st && j->over)
    log_fail(j, "request failed", lat_status_message(LAT_ELIMIT), j->fail);
  goto out;
fail500:
  LAT_LOG(LAT_LOG_ERROR, "http", "request failed", LAT_KV_STR("path", j->req.path_with_query),
          LAT_KV_STR("reason", j->fail));
  answer_text(take_ex(j), 500, "internal server error\n");
out:
  lat_host_instance_free(in);
  lat_wasi_http_free(j->h); /* after the instance: it owns the bodies */
  if (routed) sv->release(sv->route_env, tg.token);
  lat_buf_fini(&j->hold);
  lat_free(j);
}

/* ---- the I/O thread's handler: copy and queue ----------------------------------------- */

static void on_request(void *ctx, lat_http_exchange_t *ex, const lat_http_request_t *r,
                       const uint8_t *body, size_t body_len) {
  serve_t *sv = ctx;
  size_t nh = r->header_count;
  size_t size = sizeof(job_t), off;
  bool ok = lat_mul_size(nh, sizeof(lat_wasi_http_header_t), &off) &&
            lat_add_size(size, off, &size);
  for (size_t i = 0; ok && i < nh; i++)
    ok = lat_add_size(size, r->headers[i].name_len + r->headers[i].value_len, &size);
  ok = ok && lat_add_size(size, r->method_len + r->target_len + r->host_len + 3, &size) &&
       lat_add_size(size, body_len, &size);
  job_t *j = ok ? lat_malloc(size) : NULL;
  if (!j) {
    answer_text(ex, 503, "service unavailable: out of memory\n");
    return;
  }
  memset(j, 0, sizeof *j);
  j->sv = sv;
  j->ex = ex;
  lat_buf_init(&j->hold);
  lat_wasi_http_header_t *hv = (lat_wasi_http_header_t *)(j + 1);
  char *p = (char *)(hv + nh);
  for (size_t i = 0; i < nh; i++) {
    const lat_http_header_t *x = &r->headers[i];
    memcpy(p, x->name, x->name_len);
    hv[i].name = p;
    hv[i].name_len = x->name_len;
    p += x->name_len;
    memcpy(p, x->value, x->value_len);
    hv[i].value = p;
    hv[i].value_len = x->value_len;
    p += x->value_len;
  }
  char *method = p;
  memcpy(p, r->method, r->method_len);
  p += r->method_len;
  *p++ = 0;
  char *target = p;
  memcpy(p, r->target, r->target_len);
  p += r->target_len;
  *p++ = 0;
  char *host = NULL;
  if (r->host) {
    host = p;
    memcpy(p, r->host, r->host_len);
    p += r->host_len;
    *p++ = 0;
  }
  if (body_len) memcpy(p, body, body_len);
  j->req = (lat_wasi_http_request_t){.method = method, .path_with_query = target,
                                     .authority = host, .headers = hv, .nheaders = nh,
                                     .body = (const uint8_t *)p, .body_len = body_len};
  lat_status st = atomic_load(&sv->stopping) ? LAT_ECLOSED : lat_queue_push(sv->q, run_job, j);
  if (st) {
    if (st == LAT_ELIMIT)
      LAT_LOG(LAT_LOG_WARN, "http", "at capacity, request refused",
              LAT_KV_STR("method", method), LAT_KV_STR("path", target),
              LAT_KV_UINT("workers", sv->nworkers));
    lat_free(j);
    answer_text(ex, 503, st == LAT_ELIMIT ? "service unavailable: at capacity\n"
                                          : "service unavailable: shutting down\n");
  }
}

/* ---- watchdog: guests of gone clients ------------------------------------------------- */

static void *watch_main(void *arg) {
  serve_t *sv = arg;
  pthread_mutex_lock(&sv->active_mu);
  while (!sv->watch_stop) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += WATCH_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&sv->watch_cv, &sv->active_mu, &ts);
    for (job_t *j = sv->active; j; j = j->next)
      if (j->ex && !j->interrupted && j->store && lat_http_exchange_closed(j->ex)) {
        j->interrupted = true;
        interrupt_job(j);
      }
  }
  pthread_mutex_unlock(&sv->active_mu);
  return NULL;
}

/* ---- guest stdio: one line, one log event --------------------------------------------- */

static void stdio_line(int which, const uint8_t *b, size_t n) {
  LAT_LOG(LAT_LOG_INFO, "guest", which ? "stderr" : "stdout", LAT_KV_BYTES("line", b, n));
}

static void *stdio_main(void *arg) {
  serve_t *sv = arg;
  struct pollfd pf[2] = {{.fd = sv->out_pipe[0], .events = POLLIN},
                         {.fd = sv->err_pipe[0], .events = POLLIN}};
  uint8_t line[2][STDIO_LINE];
  size_t len[2] = {0, 0};
  int open_n = 2;
  while (open_n > 0) {
    if (poll(pf, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; k++) {
      if (pf[k].fd < 0 || !pf[k].revents) continue;
      uint8_t buf[4096];
      ssize_t r = read(pf[k].fd, buf, sizeof buf);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) {
        if (len[k]) stdio_line(k, line[k], len[k]);
        len[k] = 0;
        pf[k].fd = -1;
        open_n--;
        continue;
      }
      for (ssize_t i = 0; i < r; i++) {
        if (buf[i] == '\n') {
          stdio_line(k, line[k], len[k]);
          len[k] = 0;
          continue;
        }
        if (len[k] == STDIO_LINE) {
          stdio_line(k, line[k], len[k]);
          len[k] = 0;
        }
        line[k][len[k]++] = buf[i];
      }
    }
  }
  return NULL;
}

static lat_status stdio_start(serve_t *sv, lat_error_t *err) {
  static const char *const argv0[] = {"main.wasm"}; /* as wasmCloud's host */
  sv->wasi_cfg = (lat_wasi_config_t){.argv = argv0, .argc = 1, .stdin_fd = sv->null_fd,
                                     .stdout_fd = 1, .stderr_fd = 2};
  if (sv->inherit_stdio) return LAT_OK;
  if (pipe2(sv->out_pipe, O_CLOEXEC) || pipe2(sv->err_pipe, O_CLOEXEC))
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot make pipes for guest output: %s",
                         strerror(errno));
  if (pthread_create(&sv->stdio, NULL, stdio_main, sv))
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "cannot start a thread");
  sv->stdio_started = true;
  sv->wasi_cfg.stdout_fd = sv->out_pipe[1];
  sv->wasi_cfg.stderr_fd = sv->err_pipe[1];
  return LAT_OK;
}

/* ---- life cycle ------------------------------------------------------------------------ */

lat_status lat_host_http_new(lat_host_component_t *c, const lat_host_http_opts_t *opts,
                             lat_host_http_t **out, lat_error_t *err) {
  *out = NULL;
  if (c && !lat_host_component_exports(c, "wasi", "http", "incoming-handler"))
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "the component does not export wasi:http/incoming-handler (0.2.x)");
  serve_t *sv = lat_calloc(1, sizeof *sv);
  if (!sv) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  sv->out_pipe[0] = sv->out_pipe[1] = sv->err_pipe[0] = sv->err_pipe[1] = -1;
  pthread_mutex_init(&sv->active_mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&sv->active_cv, &ca);
  pthread_cond_init(&sv->watch_cv, &ca);
  pthread_condattr_destroy(&ca);
  atomic_init(&sv->stopping, false);
  sv->comp = c;
  sv->route = opts->route;
  sv->release = opts->release;
  sv->route_env = opts->route_env;
  sv->timeout_ns = opts->timeout_ns;
  sv->grace_ns = opts->grace_ns ? opts->grace_ns : 1000000000ull;
  sv->client = opts->client;
  sv->inherit_stdio = opts->inherit_stdio;
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned cores = nproc > 0 ? (unsigned)nproc : 2;
  sv->nworkers = opts->workers ? opts->workers : lat_host_http_default_workers();
  lat_status st;
  sv->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (sv->null_fd < 0) {
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot open /dev/null");
    goto fail;
  }
  if ((st = stdio_start(sv, err))) goto fail;
  if ((st = lat_queue_new(opts->queue ? opts->queue : DEFAULT_QUEUE, &sv->q))) {
    lat_error_set(err, st, SIZE_MAX, "out of memory");
    goto fail;
  }
  if ((st = lat_workers_new(sv->nworkers, sv->q, &sv->workers))) {
    lat_error_set(err, st, SIZE_MAX, "cannot start %u guest workers", sv->nworkers);
    goto fail;
  }
  if (pthread_create(&sv->watch, NULL, watch_main, sv)) {
    st = lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "cannot start a thread");
    goto fail;
  }
  sv->watch_started = true;
  lat_http_server_config_t hc;
  lat_http_server_config_default(&hc);
  hc.addr = opts->addr ? opts->addr : "127.0.0.1:8080";
  char addr4[80];
  if (!strncmp(hc.addr, "localhost:", 10)) {
    snprintf(addr4, sizeof addr4, "127.0.0.1:%s", hc.addr + 10);
    hc.addr = addr4;
  }
  hc.threads = opts->threads ? opts->threads : cores;
  hc.max_body = opts->max_body ? opts->max_body : 16u << 20;
  if (opts->max_connections) hc.max_connections = opts->max_connections;
  hc.max_per_ip = opts->max_per_ip ? opts->max_per_ip : LAT_HOST_HTTP_MAX_PER_IP;
  if (opts->header_timeout_ns) hc.header_timeout_ms = (uint32_t)(opts->header_timeout_ns / 1000000u);
  if (opts->body_timeout_ns) hc.body_timeout_ms = (uint32_t)(opts->body_timeout_ns / 1000000u);
  hc.grace_ms = (uint32_t)(sv->grace_ns / 1000000u) + 1000;
  hc.handler = on_request;
  hc.handler_ctx = sv;
  hc.log = http_log;
  if ((st = lat_http_server_new(&hc, &sv->srv, err))) goto fail;
  char url[128];
  const char *colon = strrchr(hc.addr, ':');
  snprintf(url, sizeof url, "http://%.*s:%u", (int)(colon ? colon - hc.addr : 0), hc.addr,
           (unsigned)lat_http_server_port(sv->srv));
  LAT_LOG(LAT_LOG_INFO, "http", "listening", LAT_KV_STR("url", url),
          LAT_KV_UINT("threads", hc.threads), LAT_KV_UINT("workers", sv->nworkers),
          LAT_KV_UINT("queue", opts->queue ? opts->queue : DEFAULT_QUEUE));
  *out = sv;
  return LAT_OK;
fail:
  lat_host_http_free(sv);
  return st;
}

unsigned lat_host_http_default_workers(void) {
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned w = nproc > 0 ? 4u * (unsigned)nproc : 8u;
  return w < 8 ? 8 : w;
}

uint16_t lat_host_http_port(const lat_host_http_t *h) { return lat_http_server_port(h->srv); }

void lat_host_http_free(lat_host_http_t *h) {
  if (!h) return;
  serve_t *sv = h;
  atomic_store(&sv->stopping, true); /* queued and new requests: 503 */
  if (sv->srv) lat_http_server_shutdown(sv->srv);
  /* running guests get the grace, then are interrupted */
  uint64_t until = lat_now_ns() + sv->grace_ns;
  pthread_mutex_lock(&sv->active_mu);
  while (sv->active && lat_now_ns() < until) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 50 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&sv->active_cv, &sv->active_mu, &ts);
  }
  for (job_t *j = sv->active; j; j = j->next)
    if (j->store) interrupt_job(j);
  pthread_mutex_unlock(&sv->active_mu);
  lat_workers_free(sv->workers); /* drains the queue: those answer 503 */
  if (sv->watch_started) {
    pthread_mutex_lock(&sv->active_mu);
    sv->watch_stop = true;
    pthread_cond_broadcast(&sv->watch_cv);
    pthread_mutex_unlock(&sv->active_mu);
    pthread_join(sv->watch, NULL);
  }
  lat_http_server_free(sv->srv);
  lat_queue_free(sv->q);
  for (int k = 0; k < 2; k++) {
    int *p = k ? sv->err_pipe : sv->out_pipe;
    if (p[1] >= 0) close(p[1]); /* the stdio thread sees EOF */
  }
  if (sv->stdio_started) pthread_join(sv->stdio, NULL);
  for (int k = 0; k < 2; k++) {
    int *p = k ? sv->err_pipe : sv->out_pipe;
    if (p[0] >= 0) close(p[0]);
  }
  if (sv->null_fd >= 0) close(sv->null_fd);
  pthread_cond_destroy(&sv->active_cv);
  pthread_cond_destroy(&sv->watch_cv);
  pthread_mutex_destroy(&sv->active_mu);
  lat_free(sv);
}
