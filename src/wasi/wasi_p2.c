/* wasi_p2.c: the WASI 0.2 host: object table, wasi:io, wasi:clocks,
 * wasi:random, wasi:cli, wasi:sockets (denied), and registration.
 *
 * Approach: the interfaces' types come from the published WIT
 * (wasi_p2_wit.c, read by lat_clinker_add_wit), so the linker checks every
 * import against the standard's own text; this file only supplies the
 * functions, which receive lifted component values and return one.  A
 * function of the WIT with no C implementation still links and traps when
 * called, so components that import more than they use run.
 *
 * Streams are blocking and unbuffered: write hands the bytes to the kernel
 * before it returns (so flush has nothing to do), check-write always offers
 * 64 KiB, and read on a pipe or terminal waits for data (up to the
 * context's deadline).  Memory streams (wasi_p2.h) take the same paths: a
 * read hands out the borrowed bytes without a copy, a write appends to the
 * sink until its owner's budget runs out and then fails with an error that
 * says so, and both are always ready.  A sink in streaming mode (a
 * wasi:http response body, wasi_http.c) hands each write to its owner's
 * callback instead, which may block (bounded by the owner) while the
 * client takes the bytes.  Rejected: an async event loop with
 * real readiness for every stream; a command-line host gains nothing from
 * it, and pollables still report readiness truthfully (poll(2) on the fd,
 * a monotonic deadline, or their owner's word: a wasi:http future is ready
 * once its transfer ran, and a wait on it runs the transfer), so guests
 * that poll work.
 *
 * Every length from the guest is capped (P2_MAX_IO) before the host
 * allocates for it; no host pointer into guest memory exists here at all
 * (the canonical ABI copies in and out).
 */
#include <errno.h>
#include <poll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "wasi_p2.h"


/* ---- object table ---------------------------------------------------------------- */

lat_status lat_wasi_p2_new(lat_wasi_t *w, lat_wasi_p2_t **out) {
  lat_wasi_p2_t *p = lat_calloc(1, sizeof *p);
  if (!p) return LAT_ENOMEM;
  p->w = w;
  *out = p;
  return LAT_OK;
}

static void obj_release(lat__p2_obj_t *o) {
  if (o->dir) closedir(o->dir);
  else if (o->owned && o->fd >= 0) close(o->fd);
  memset(o, 0, sizeof *o);
}

void lat_wasi_p2_free(lat_wasi_p2_t *p) {
  if (!p) return;
  for (uint32_t i = 0; i < p->n; i++) obj_release(&p->o[i]);
  lat_free(p->o);
  lat_free(p->free_);
  lat_free(p);
}

lat_status lat_wasi_p2_input_mem(lat_wasi_p2_t *p, const uint8_t *bytes, size_t n,
                                 uint32_t *out_rep) {
  lat__p2_obj_t so = {.kind = P2_IN, .mem = true, .fd = -1, .bytes = bytes, .nbytes = n};
  return (*out_rep = lat__p2_add(p, &so)) ? LAT_OK : LAT_ELIMIT;
}

lat_status lat_wasi_p2_output_mem(lat_wasi_p2_t *p, lat_wasi_sink_t *sink, uint32_t *out_rep) {
  lat__p2_obj_t so = {.kind = P2_OUT, .mem = true, .fd = -1, .sink = sink};
  return (*out_rep = lat__p2_add(p, &so)) ? LAT_OK : LAT_ELIMIT;
}

lat__p2_obj_t *lat__p2_get(lat_wasi_p2_t *p, uint32_t rep, uint8_t kind) {
  if (rep == 0 || rep > p->n || p->o[rep - 1].kind != kind) return NULL;
  return &p->o[rep - 1];
}

uint32_t lat__p2_add(lat_wasi_p2_t *p, const lat__p2_obj_t *o) {
  uint32_t i;
  if (p->nfree) {
    i = p->free_[--p->nfree];
  } else {
    if (p->n >= P2_MAX_OBJS) goto full;
    if (p->n == p->cap) {
      uint32_t nc = p->cap ? p->cap * 2 : 16;
      lat__p2_obj_t *v = lat_realloc(p->o, nc * sizeof *v);
      if (!v) goto full;
      p->o = v;
      p->cap = nc;
    }
    i = p->n++;
  }
  p->o[i] = *o;
  return i + 1;
full:
  if (o->owned && o->fd >= 0) close(o->fd);
  return 0;
}

static void obj_drop(void *data, void *env, uint32_t rep) {
  (void)env;
  lat_wasi_p2_t *p = data;
  if (rep == 0 || rep > p->n || p->o[rep - 1].kind == P2_FREE) return;
  obj_release(&p->o[rep - 1]);
  if (p->nfree == p->capfree) {
    uint32_t nc = p->capfree ? p->capfree * 2 : 16;
    uint32_t *v = lat_realloc(p->free_, nc * sizeof *v);
    if (!v) return; /* the slot leaks; nothing breaks */
    p->free_ = v;
    p->capfree = nc;
  }
  p->free_[p->nfree++] = rep - 1;
}

/* ---- values ------------------------------------------------------------------------ */

lat_cval_t *lat__p2_val(lat_arena_t *a, uint8_t kind) {
  lat_cval_t *v = lat_arena_alloc(a, sizeof *v);
  if (v) v->kind = kind;
  return v;
}

void lat__p2_result(lat_cval_t *out, bool is_err, lat_cval_t *payload) {
  out->kind = LAT_CT_RESULT;
  out->of.var.disc = is_err;
  out->of.var.payload = payload;
}

lat_cval_t *lat__p2_own(lat_arena_t *a, const lat_cabi_rtype_t *rt, uint32_t rep) {
  lat_cval_t *v = lat__p2_val(a, LAT_CT_OWN);
  if (v) {
    v->of.handle.rep = rep;
    v->of.handle.rt = rt;
  }
  return v;
}

lat_cval_t *lat__p2_u64(lat_arena_t *a, uint64_t x) {
  lat_cval_t *v = lat__p2_val(a, LAT_CT_U64);
  if (v) v->of.u = x;
  return v;
}

lat_cval_t *lat__p2_enum(lat_arena_t *a, uint32_t disc) {
  lat_cval_t *v = lat__p2_val(a, LAT_CT_ENUM);
  if (v) v->of.var.disc = disc;
  return v;
}

lat_cval_t *lat__p2_bytes(lat_arena_t *a, const void *p, size_t n) {
  lat_cval_t *v = lat__p2_val(a, LAT_CT_LIST);
  uint8_t *b = lat_arena_alloc(a, n ? n : 1);
  if (!v || !b) return NULL;
  if (n) memcpy(b, p, n);
  v->of.list.bytes = b;
  v->of.list.n = (uint32_t)n;
  return v;
}

lat_cval_t *lat__p2_string(lat_arena_t *a, const char *s, size_t n) {
  lat_cval_t *v = lat__p2_val(a, LAT_CT_STRING);
  char *b = lat_arena_alloc(a, n ? n : 1);
  if (!v || !b) return NULL;
  if (n) memcpy(b, s, n);
  v->of.str.ptr = b;
  v->of.str.len = (uint32_t)n;
  return v;
}

lat_cval_t *lat__p2_option(lat_arena_t *a, lat_cval_t *some) {
  lat_cval_t *v = lat__p2_val(a, LAT_CT_OPTION);
  if (v) {
    v->of.var.disc = some != NULL;
    v->of.var.payload = some;
  }
  return v;
}

/* stream-error: last-operation-failed(error) or closed (e 0 or EPIPE);
 * the error's debug string is msg (static) or strerror(e) */
static lat_status stream_fail(lat_chost_call_t *c, const lat__p2_ids_t *ids,
                              lat_cval_t *r, int e, const char *msg) {
  lat_cval_t *se = lat__p2_val(AR, LAT_CT_VARIANT);
  if (!se) return OOM();
  if (e == 0 || e == EPIPE) {
    se->of.var.disc = 1; /* closed */
  } else {
    lat__p2_obj_t o = {.kind = P2_ERR, .fd = -1, .err = e, .emsg = msg};
    uint32_t rep = lat__p2_add(P2, &o);
    if (!rep) return OOM();
    se->of.var.disc = 0;
    if (!(se->of.var.payload = lat__p2_own(AR, lat_chost_call_rtype(c, ids->error), rep)))
      return OOM();
  }
  lat__p2_result(r, true, se);
  return LAT_OK;
}

static lat_status stream_err(lat_chost_call_t *c, const lat__p2_ids_t *ids,
                             lat_cval_t *r, int e) {
  return stream_fail(c, ids, r, e, NULL);
}

/* A memory sink over its owner's budget. */
#define SINK_FULL "the body is larger than the host allows"

static lat_status ok_u64(lat_chost_call_t *c, lat_cval_t *r, uint64_t v) {
  lat_cval_t *x = lat__p2_u64(AR, v);
  if (!x) return OOM();
  lat__p2_result(r, false, x);
  return LAT_OK;
}

static lat_status bad_handle(lat_chost_call_t *c) {
  return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "unknown resource handle");
}

/* ---- wasi:cli ---------------------------------------------------------------------- */

static lat_status string_list(lat_chost_call_t *c, lat_cval_t *r, char **v,
                              size_t n, bool pairs) {
  lat_cval_t *el = lat_arena_array(AR, n ? n : 1, sizeof *el);
  if (!el) return OOM();
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(v[i]);
    if (!pairs) {
      lat_cval_t *s = lat__p2_string(AR, v[i], len);
      if (!s) return OOM();
      el[i] = *s;
      continue;
    }
    const char *eq = strchr(v[i], '=');
    size_t kl = eq ? (size_t)(eq - v[i]) : len;
    lat_cval_t *kv = lat_arena_array(AR, 2, sizeof *kv);
    lat_cval_t *k = lat__p2_string(AR, v[i], kl);
    lat_cval_t *val = lat__p2_string(AR, eq ? eq + 1 : "", eq ? len - kl - 1 : 0);
    if (!kv || !k || !val) return OOM();
    kv[0] = *k;
    kv[1] = *val;
    el[i].kind = LAT_CT_TUPLE;
    el[i].of.list.v = kv;
    el[i].of.list.n = 2;
  }
  r->kind = LAT_CT_LIST;
  r->of.list.v = el;
  r->of.list.n = (uint32_t)n;
  return LAT_OK;
}

HOSTFN(get_arguments) { return string_list(c, r, P2->w->argv, P2->w->argc, false); }
HOSTFN(get_environment) { return string_list(c, r, P2->w->env, P2->w->envc, true); }
HOSTFN(initial_cwd) {
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = 0;
  return LAT_OK;
}
HOSTFN(cli_exit) {
  return lat_chost_call_trap(c, LAT_TRAP_EXIT, a[0].of.var.disc ? 1 : 0, NULL);
}
HOSTFN(cli_exit_with_code) {
  return lat_chost_call_trap(c, LAT_TRAP_EXIT, (int)a[0].of.u, NULL);
}

static lat_status stdio_stream(lat_chost_call_t *c, const lat__p2_ids_t *ids,
                               lat_cval_t *r, int fd, bool in) {
  lat_wasi_t *w = P2->w;
  int h = (uint32_t)fd < w->nfds ? w->fds[fd].host : -1;
  lat__p2_obj_t o = {.kind = in ? P2_IN : P2_OUT, .fd = h};
  uint32_t rep = lat__p2_add(P2, &o);
  if (!rep) return OOM();
  lat_cval_t *v = lat__p2_own(AR, lat_chost_call_rtype(c, in ? ids->input : ids->output), rep);
  if (!v) return OOM();
  *r = *v;
  return LAT_OK;
}
HOSTFN(get_stdin) { return stdio_stream(c, IDS, r, 0, true); }
HOSTFN(get_stdout) { return stdio_stream(c, IDS, r, 1, false); }
HOSTFN(get_stderr) { return stdio_stream(c, IDS, r, 2, false); }
HOSTFN(no_terminal) { /* not a terminal, as far as the guest can tell */
  r->kind = LAT_CT_OPTION;
  r->of.var.disc = 0;
  return LAT_OK;
}

/* ---- wasi:clocks ----------------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static uint64_t res_ns(clockid_t id) {
  struct timespec ts;
  if (clock_getres(id, &ts)) return 1;
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
HOSTFN(mono_now) {
  r->kind = LAT_CT_U64;
  r->of.u = clock_ns(CLOCK_MONOTONIC);
  return LAT_OK;
}
HOSTFN(mono_res) {
  r->kind = LAT_CT_U64;
  r->of.u = res_ns(CLOCK_MONOTONIC);
  return LAT_OK;
}
static lat_status deadline_pollable(lat_chost_call_t *c, const lat__p2_ids_t *ids,
                                    lat_cval_t *r, uint64_t until) {
  lat__p2_obj_t o = {.kind = P2_POLL, .fd = -1, .pfd = -1, .until = until};
  uint32_t rep = lat__p2_add(P2, &o);
  lat_cval_t *v = rep ? lat__p2_own(AR, lat_chost_call_rtype(c, ids->pollable), rep) : NULL;
  if (!v) return OOM();
  *r = *v;
  return LAT_OK;
}
HOSTFN(mono_sub_instant) { return deadline_pollable(c, IDS, r, a[0].of.u ? a[0].of.u : 1); }
HOSTFN(mono_sub_duration) {
  uint64_t now = clock_ns(CLOCK_MONOTONIC), d = a[0].of.u;
  return deadline_pollable(c, IDS, r, d > UINT64_MAX - now ? UINT64_MAX : now + d);
}
static lat_status datetime(lat_chost_call_t *c, lat_cval_t *r, uint64_t ns) {
  lat_cval_t *f = lat_arena_array(AR, 2, sizeof *f);
  if (!f) return OOM();
  f[0].kind = LAT_CT_U64;
  f[0].of.u = ns / 1000000000ull;
  f[1].kind = LAT_CT_U32;
  f[1].of.u = ns % 1000000000ull;
  r->kind = LAT_CT_RECORD;
  r->of.list.v = f;
  r->of.list.n = 2;
  return LAT_OK;
}
HOSTFN(wall_now) { return datetime(c, r, clock_ns(CLOCK_REALTIME)); }
HOSTFN(wall_res) { return datetime(c, r, res_ns(CLOCK_REALTIME)); }

/* ---- wasi:random ------------------------------------------------------------------------- */

static lat_status random_bytes(lat_chost_call_t *c, lat_cval_t *r, uint64_t n) {
  if (n > P2_MAX_IO)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "get-random-bytes: %llu bytes is too many",
                               (unsigned long long)n);
  uint8_t *b = lat_arena_alloc(AR, n ? n : 1);
  if (!b) return OOM();
  for (size_t got = 0; got < n;) {
    ssize_t k = getrandom(b + got, n - got, 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "getrandom failed");
    }
    got += (size_t)k;
  }
  r->kind = LAT_CT_LIST;
  r->of.list.bytes = b;
  r->of.list.n = (uint32_t)n;
  return LAT_OK;
}
HOSTFN(rand_bytes) { return random_bytes(c, r, a[0].of.u); }
HOSTFN(rand_u64) {
  uint64_t v = 0;
  while (getrandom(&v, sizeof v, 0) < 0 && errno == EINTR) {
  }
  r->kind = LAT_CT_U64;
  r->of.u = v;
  return LAT_OK;
}
HOSTFN(insecure_seed) {
  uint64_t v[2] = {0, 0};
  while (getrandom(v, sizeof v, 0) < 0 && errno == EINTR) {
  }
  lat_cval_t *f = lat_arena_array(AR, 2, sizeof *f);
  if (!f) return OOM();
  f[0].kind = f[1].kind = LAT_CT_U64;
  f[0].of.u = v[0];
  f[1].of.u = v[1];
  r->kind = LAT_CT_TUPLE;
  r->of.list.v = f;
  r->of.list.n = 2;
  return LAT_OK;
}

/* ---- wasi:io/error, poll ------------------------------------------------------------------- */

HOSTFN(error_debug) {
  lat__p2_obj_t *o = lat__p2_get(P2, a[0].of.handle.rep, P2_ERR);
  if (!o) return bad_handle(c);
  const char *m = o->emsg ? o->emsg : strerror(o->err);
  lat_cval_t *s = lat__p2_string(AR, m, strlen(m));
  if (!s) return OOM();
  *r = *s;
  return LAT_OK;
}

/* Waits until one of the pollables is ready (or the context's deadline,
 * or lat_wasi_interrupt: sleeps are sliced so another thread's interrupt
 * is seen within LAT_WASI_WAIT_SLICE_MS).
 * A pollable with a waiter (a wasi:http future) is made ready by running
 * its wait only when nothing else is ready now: the guest first gets to do
 * what it can (write a request body, say) before the thread blocks. */
static lat_status wait_ready(lat_chost_call_t *c, lat__p2_obj_t **ps, uint32_t n,
                             bool *ready) {
  lat_wasi_t *w = P2->w;
  struct pollfd fds[64];
  for (;;) {
    uint64_t now = clock_ns(CLOCK_MONOTONIC), until = UINT64_MAX;
    uint32_t nf = 0, deferred = UINT32_MAX;
    bool any = false;
    for (uint32_t i = 0; i < n; i++) {
      lat__p2_obj_t *o = ps[i];
      ready[i] = false;
      if (o->waiter) {
        if (o->waiter->ready(o->warg)) ready[i] = any = true;
        else if (deferred == UINT32_MAX) deferred = i;
      } else if (o->pfd >= 0) {
        if (nf < 64) fds[nf++] = (struct pollfd){.fd = o->pfd, .events = o->pevents};
        else ready[i] = any = true; /* too many to watch: report ready */
      } else if (o->until <= now) {
        ready[i] = any = true;
      } else if (o->until < until) {
        until = o->until;
      }
    }
    int timeout = 0;
    if (!any && deferred == UINT32_MAX) {
      uint64_t lim = until;
      if (w->deadline_ns && w->deadline_ns < lim) lim = w->deadline_ns;
      if (lim != UINT64_MAX) {
        uint64_t ms = lim > now ? (lim - now + 999999) / 1000000 : 0;
        timeout = ms > LAT_WASI_WAIT_SLICE_MS ? LAT_WASI_WAIT_SLICE_MS : (int)ms;
      } else {
        timeout = nf ? LAT_WASI_WAIT_SLICE_MS : 0;
      }
      if (!nf && lim == UINT64_MAX)
        return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "poll would block forever");
    }
    if (atomic_load_explicit(&w->interrupted, memory_order_relaxed))
      return lat_chost_call_trap(c, LAT_TRAP_INTERRUPTED, 0, NULL);
    int k = poll(fds, nf, timeout);
    if (k < 0 && errno != EINTR)
      return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "poll failed");
    uint32_t fi = 0;
    for (uint32_t i = 0; i < n; i++)
      if (ps[i]->pfd >= 0 && fi < 64) {
        if (k > 0 && fds[fi].revents) ready[i] = any = true;
        fi++;
      }
    if (any) return LAT_OK;
    if (deferred != UINT32_MAX) {
      lat_status st = ps[deferred]->waiter->wait(c, ps[deferred]->warg);
      if (!st) ready[deferred] = true;
      return st;
    }
    if (w->deadline_ns && clock_ns(CLOCK_MONOTONIC) >= w->deadline_ns)
      return lat_chost_call_trap(c, LAT_TRAP_DEADLINE, 0, NULL);
  }
}

HOSTFN(pollable_ready) {
  lat__p2_obj_t *o = lat__p2_get(P2, a[0].of.handle.rep, P2_POLL);
  if (!o) return bad_handle(c);
  bool ready = o->until <= clock_ns(CLOCK_MONOTONIC);
  if (o->waiter) {
    ready = o->waiter->ready(o->warg);
  } else if (o->pfd >= 0) {
    struct pollfd f = {.fd = o->pfd, .events = o->pevents};
    ready = poll(&f, 1, 0) > 0;
  }
  r->kind = LAT_CT_BOOL;
  r->of.b = ready;
  return LAT_OK;
}
HOSTFN(pollable_block) {
  lat__p2_obj_t *o = lat__p2_get(P2, a[0].of.handle.rep, P2_POLL);
  if (!o) return bad_handle(c);
  bool ready;
  return wait_ready(c, &o, 1, &ready);
}
HOSTFN(poll_list) {
  const lat_cval_t *l = &a[0];
  uint32_t n = l->of.list.n;
  if (n == 0) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "poll of an empty list");
  lat__p2_obj_t **ps = lat_arena_array(AR, n, sizeof *ps);
  bool *ready = lat_arena_array(AR, n, sizeof *ready);
  if (!ps || !ready) return OOM();
  for (uint32_t i = 0; i < n; i++)
    if (!(ps[i] = lat__p2_get(P2, l->of.list.v[i].of.handle.rep, P2_POLL)))
      return bad_handle(c);
  lat_status st = wait_ready(c, ps, n, ready);
  if (st) return st;
  uint32_t k = 0;
  lat_cval_t *out = lat_arena_array(AR, n, sizeof *out);
  if (!out) return OOM();
  for (uint32_t i = 0; i < n; i++)
    if (ready[i]) {
      out[k].kind = LAT_CT_U32;
      out[k++].of.u = i;
    }
  r->kind = LAT_CT_LIST;
  r->of.list.v = out;
  r->of.list.n = k;
  return LAT_OK;
}

/* ---- wasi:io/streams ------------------------------------------------------------------------ */

static lat_status do_read(lat_chost_call_t *c, const lat__p2_ids_t *ids,
                          lat_cval_t *r, uint32_t rep, uint64_t len, bool skip) {
  lat__p2_obj_t *o = lat__p2_get(P2, rep, P2_IN);
  if (!o) return bad_handle(c);
  if (len > P2_MAX_IO) len = P2_MAX_IO;
  const uint8_t *p;
  uint64_t k;
  if (o->mem) { /* always ready; the bytes outlive the instance: no copy */
    if (o->off >= o->nbytes) return stream_err(c, ids, r, 0);
    k = o->nbytes - o->off < len ? o->nbytes - o->off : len;
    p = o->bytes + o->off;
  } else {
    if (o->eof || o->fd < 0) return stream_err(c, ids, r, 0);
    uint8_t *b = lat_arena_alloc(AR, len ? len : 1);
    if (!b) return OOM();
    if (!o->positional && len && P2->w->deadline_ns && !lat__p1_wait_readable(P2->w, o->fd))
      return lat_chost_call_trap(c, LAT_TRAP_DEADLINE, 0, NULL);
    ssize_t n = 0;
    if (len) {
      do {
        n = o->positional ? pread(o->fd, b, len, (off_t)o->off) : read(o->fd, b, len);
      } while (n < 0 && errno == EINTR);
      if (n < 0) return stream_err(c, ids, r, errno);
      if (n == 0) {
        o->eof = true;
        return stream_err(c, ids, r, 0);
      }
    }
    p = b;
    k = (uint64_t)n;
  }
  o->off += k;
  if (skip) return ok_u64(c, r, k);
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_LIST);
  if (!v) return OOM();
  v->of.list.bytes = p;
  v->of.list.n = (uint32_t)k;
  lat__p2_result(r, false, v);
  return LAT_OK;
}
HOSTFN(in_read) { return do_read(c, IDS, r, a[0].of.handle.rep, a[1].of.u, false); }
HOSTFN(in_skip) { return do_read(c, IDS, r, a[0].of.handle.rep, a[1].of.u, true); }

static lat_status subscribe(lat_chost_call_t *c, const lat__p2_ids_t *ids,
                            lat_cval_t *r, uint32_t rep, bool in) {
  lat__p2_obj_t *o = lat__p2_get(P2, rep, in ? P2_IN : P2_OUT);
  if (!o) return bad_handle(c);
  lat__p2_obj_t p = {.kind = P2_POLL, .fd = -1, .pfd = -1};
  if (!o->positional && o->fd >= 0) {
    p.pfd = o->fd;
    p.pevents = in ? POLLIN : POLLOUT;
  }
  uint32_t prep = lat__p2_add(P2, &p);
  lat_cval_t *v = prep ? lat__p2_own(AR, lat_chost_call_rtype(c, ids->pollable), prep) : NULL;
  if (!v) return OOM();
  *r = *v;
  return LAT_OK;
}
HOSTFN(in_subscribe) { return subscribe(c, IDS, r, a[0].of.handle.rep, true); }
HOSTFN(out_subscribe) { return subscribe(c, IDS, r, a[0].of.handle.rep, false); }

HOSTFN(out_check_write) {
  lat__p2_obj_t *o = lat__p2_get(P2, a[0].of.handle.rep, P2_OUT);
  if (!o) return bad_handle(c);
  /* a sink offers 64 KiB even with no budget left: offering 0 would make
   * a guest wait forever for room that never comes; the write fails */
  if (o->mem && o->sink->over) return stream_fail(c, IDS, r, EFBIG, SINK_FULL);
  if (!o->mem && o->fd < 0) return stream_err(c, IDS, r, 0);
  return ok_u64(c, r, 65536);
}

static int write_all(lat__p2_obj_t *o, const uint8_t *b, size_t n) {
  while (n) {
    ssize_t k = o->positional && !o->append ? pwrite(o->fd, b, n, (off_t)o->off)
                                            : write(o->fd, b, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd f = {.fd = o->fd, .events = POLLOUT};
        poll(&f, 1, 1000);
        continue;
      }
      return errno;
    }
    o->off += (uint64_t)k;
    b += k;
    n -= (size_t)k;
  }
  return 0;
}

static int sink_write(lat__p2_obj_t *o, const uint8_t *b, size_t n) {
  lat__p2_sink_t *k = o->sink;
  if (k->over || n > *k->budget) {
    k->over = true; /* sticky: the body is incomplete from here on */
    return EFBIG;
  }
  if (k->write) {
    if (k->finished) return EPIPE; /* the owner has ended the response */
    int e = k->write(k->arg, b, n);
    if (e) return e;
  } else if (lat_buf_append(&k->buf, b, n)) {
    return ENOMEM;
  }
  *k->budget -= n;
  o->off += n;
  return 0;
}

static lat_status do_write(lat_chost_call_t *c, const lat__p2_ids_t *ids,
                           lat_cval_t *r, uint32_t rep, const uint8_t *b,
                           uint64_t n) {
  lat__p2_obj_t *o = lat__p2_get(P2, rep, P2_OUT);
  if (!o) return bad_handle(c);
  if (!o->mem && o->fd < 0) return stream_err(c, ids, r, 0);
  int e = o->mem ? sink_write(o, b, n) : write_all(o, b, n);
  if (e) return stream_fail(c, ids, r, e, e == EFBIG && o->mem ? SINK_FULL : NULL);
  lat__p2_result(r, false, NULL);
  return LAT_OK;
}
HOSTFN(out_write) {
  return do_write(c, IDS, r, a[0].of.handle.rep, a[1].of.list.bytes, a[1].of.list.n);
}
HOSTFN(out_write_zeroes) {
  uint64_t n = a[1].of.u;
  if (n > P2_MAX_IO) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "write-zeroes: too long");
  uint8_t *z = lat_arena_alloc(AR, n ? n : 1);
  if (!z) return OOM();
  return do_write(c, IDS, r, a[0].of.handle.rep, z, n);
}
HOSTFN(out_flush) {
  lat__p2_obj_t *o = lat__p2_get(P2, a[0].of.handle.rep, P2_OUT);
  if (!o) return bad_handle(c);
  if (!o->mem && o->fd < 0) return stream_err(c, IDS, r, 0);
  lat__p2_result(r, false, NULL);
  return LAT_OK;
}
HOSTFN(out_splice) {
  lat__p2_obj_t *in = lat__p2_get(P2, a[1].of.handle.rep, P2_IN);
  if (!in) return bad_handle(c);
  lat_cval_t rr;
  lat_status st = do_read(c, IDS, &rr, a[1].of.handle.rep, a[2].of.u, false);
  if (st) return st;
  if (rr.of.var.disc) {
    *r = rr;
    return LAT_OK;
  }
  const lat_cval_t *data = rr.of.var.payload;
  st = do_write(c, IDS, r, a[0].of.handle.rep, data->of.list.bytes, data->of.list.n);
  if (st || r->of.var.disc) return st;
  return ok_u64(c, r, data->of.list.n);
}

/* ---- wasi:sockets: present, denied ------------------------------------------------------------ */

HOSTFN(instance_network) {
  lat__p2_obj_t o = {.kind = P2_NET, .fd = -1};
  uint32_t rep = lat__p2_add(P2, &o);
  lat_cval_t *v = rep ? lat__p2_own(AR, lat_chost_call_rtype(c, IDS->network), rep) : NULL;
  if (!v) return OOM();
  *r = *v;
  return LAT_OK;
}
HOSTFN(socket_denied) { /* error-code.access-denied */
  lat_cval_t *e = lat__p2_enum(AR, 1);
  if (!e) return OOM();
  lat__p2_result(r, true, e);
  return LAT_OK;
}

/* ---- registration ---------------------------------------------------------------------------- */

static const lat__p2_fn_t fns[] = {
    {"wasi:cli/environment", "get-arguments", get_arguments},
    {"wasi:cli/environment", "get-environment", get_environment},
    {"wasi:cli/environment", "initial-cwd", initial_cwd},
    {"wasi:cli/exit", "exit", cli_exit},
    {"wasi:cli/exit", "exit-with-code", cli_exit_with_code},
    {"wasi:cli/stdin", "get-stdin", get_stdin},
    {"wasi:cli/stdout", "get-stdout", get_stdout},
    {"wasi:cli/stderr", "get-stderr", get_stderr},
    {"wasi:cli/terminal-stdin", "get-terminal-stdin", no_terminal},
    {"wasi:cli/terminal-stdout", "get-terminal-stdout", no_terminal},
    {"wasi:cli/terminal-stderr", "get-terminal-stderr", no_terminal},
    {"wasi:clocks/monotonic-clock", "now", mono_now},
    {"wasi:clocks/monotonic-clock", "resolution", mono_res},
    {"wasi:clocks/monotonic-clock", "subscribe-instant", mono_sub_instant},
    {"wasi:clocks/monotonic-clock", "subscribe-duration", mono_sub_duration},
    {"wasi:clocks/wall-clock", "now", wall_now},
    {"wasi:clocks/wall-clock", "resolution", wall_res},
    {"wasi:random/random", "get-random-bytes", rand_bytes},
    {"wasi:random/random", "get-random-u64", rand_u64},
    {"wasi:random/insecure", "get-insecure-random-bytes", rand_bytes},
    {"wasi:random/insecure", "get-insecure-random-u64", rand_u64},
    {"wasi:random/insecure-seed", "insecure-seed", insecure_seed},
    {"wasi:io/error", "[method]error.to-debug-string", error_debug},
    {"wasi:io/poll", "[method]pollable.ready", pollable_ready},
    {"wasi:io/poll", "[method]pollable.block", pollable_block},
    {"wasi:io/poll", "poll", poll_list},
    {"wasi:io/streams", "[method]input-stream.read", in_read},
    {"wasi:io/streams", "[method]input-stream.blocking-read", in_read},
    {"wasi:io/streams", "[method]input-stream.skip", in_skip},
    {"wasi:io/streams", "[method]input-stream.blocking-skip", in_skip},
    {"wasi:io/streams", "[method]input-stream.subscribe", in_subscribe},
    {"wasi:io/streams", "[method]output-stream.check-write", out_check_write},
    {"wasi:io/streams", "[method]output-stream.write", out_write},
    {"wasi:io/streams", "[method]output-stream.blocking-write-and-flush", out_write},
    {"wasi:io/streams", "[method]output-stream.flush", out_flush},
    {"wasi:io/streams", "[method]output-stream.blocking-flush", out_flush},
    {"wasi:io/streams", "[method]output-stream.subscribe", out_subscribe},
    {"wasi:io/streams", "[method]output-stream.write-zeroes", out_write_zeroes},
    {"wasi:io/streams", "[method]output-stream.blocking-write-zeroes-and-flush", out_write_zeroes},
    {"wasi:io/streams", "[method]output-stream.splice", out_splice},
    {"wasi:io/streams", "[method]output-stream.blocking-splice", out_splice},
    {"wasi:sockets/instance-network", "instance-network", instance_network},
    {"wasi:sockets/tcp-create-socket", "create-tcp-socket", socket_denied},
    {"wasi:sockets/udp-create-socket", "create-udp-socket", socket_denied},
    {"wasi:sockets/ip-name-lookup", "resolve-addresses", socket_denied},
};

#define VER "@0.2.12"

static lat_status add_fns(lat_clinker_t *l, const lat__p2_fn_t *v, size_t n,
                          void *env, lat_error_t *err) {
  for (size_t i = 0; i < n; i++) {
    char name[128];
    snprintf(name, sizeof name, "%s" VER, v[i].iface);
    uint32_t idx = lat_clinker_find(l, name);
    if (idx == UINT32_MAX)
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "no interface %s", name);
    lat_status st = lat_clinker_func(l, idx, v[i].name, v[i].fn, env, err);
    if (st) return st;
  }
  return LAT_OK;
}

lat_status lat_wasi_p2_add_to_linker(lat_clinker_t *l, lat_error_t *err) {
  /* wasi:http too (so proxy components link and instantiate); its
   * functions (wasi_http.c) trap unless the context carries an HTTP
   * exchange (lattice serve).  One text: its `use`s refer to the packages
   * before it. */
  lat_buf_t wit;
  lat_buf_init(&wit);
  lat_status st = lat_buf_append(&wit, lat__wasi_p2_wit, strlen(lat__wasi_p2_wit));
  if (!st) st = lat_buf_append(&wit, lat__wasi_http_wit, strlen(lat__wasi_http_wit));
  if (st) {
    lat_buf_fini(&wit);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  st = lat_clinker_add_wit(l, (const char *)wit.data, wit.len, err);
  lat_buf_fini(&wit);
  if (st) return st;
  lat__p2_ids_t *ids = lat_arena_alloc(lat_clinker_arena(l), sizeof *ids);
  if (!ids) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  static const struct {
    const char *iface, *name;
    size_t off;
  } res[] = {
      {"wasi:io/error", "error", offsetof(lat__p2_ids_t, error)},
      {"wasi:io/poll", "pollable", offsetof(lat__p2_ids_t, pollable)},
      {"wasi:io/streams", "input-stream", offsetof(lat__p2_ids_t, input)},
      {"wasi:io/streams", "output-stream", offsetof(lat__p2_ids_t, output)},
      {"wasi:filesystem/types", "descriptor", offsetof(lat__p2_ids_t, descriptor)},
      {"wasi:filesystem/types", "directory-entry-stream", offsetof(lat__p2_ids_t, dirstream)},
      {"wasi:sockets/network", "network", offsetof(lat__p2_ids_t, network)},
      {"wasi:sockets/tcp", "tcp-socket", offsetof(lat__p2_ids_t, tcp)},
      {"wasi:sockets/udp", "udp-socket", offsetof(lat__p2_ids_t, udp)},
      {"wasi:sockets/ip-name-lookup", "resolve-address-stream", offsetof(lat__p2_ids_t, resolve)},
      {"wasi:cli/terminal-input", "terminal-input", offsetof(lat__p2_ids_t, term_in)},
      {"wasi:cli/terminal-output", "terminal-output", offsetof(lat__p2_ids_t, term_out)},
  };
  for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
    char name[128];
    snprintf(name, sizeof name, "%s" VER, res[i].iface);
    uint32_t *id = (uint32_t *)((char *)ids + res[i].off);
    if (!lat_clinker_resource_find(l, name, res[i].name, id))
      return lat_error_set(err, LAT_EARG, SIZE_MAX, "no resource %s in %s", res[i].name, name);
    if ((st = lat_clinker_resource_dtor(l, *id, obj_drop, NULL))) return st;
  }
  if ((st = add_fns(l, fns, sizeof fns / sizeof fns[0], ids, err))) return st;
  if ((st = add_fns(l, lat__p2_fs_fns, lat__p2_fs_nfns, ids, err))) return st;
  return lat__wasi_http_add(l, ids, err);
}
