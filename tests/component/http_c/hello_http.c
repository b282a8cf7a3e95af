/* A wasi:http/incoming-handler component in C, canonical ABI by hand
 * (freestanding: no libc, no adapter).  Built by tests/component/build.sh
 * with `jco embed` (the 0.2.12 WIT from jco) + `jco new`; served by
 * tests/component/serve.sh.
 *
 *   GET  /PATH          200 "hello from C: GET /PATH\n", header x-lattice: c;
 *                       a request header x-echo comes back as x-echo-back
 *   POST /echo          200 "echo: " + the request body
 *   any  /teapot        418
 *   any  /trap          the guest traps (unreachable)
 *   any  /noresp        returns without a response
 *   any  /huge          writes 1 MiB blocks of zeroes until the body stream
 *                       fails (the host's cap on response bodies); the
 *                       response must then be cut, not completed
 *   any  /loop          never returns (a loop with no exit)
 *   any  /spin?ms=N     busy-waits N ms on wasi:clocks, then answers
 *   any  /sleep?ms=N    sleeps N ms (a wasi:clocks pollable, blocked on), answers
 *   any  /big?mb=N      streams N MiB ('x'), 64 KiB a write
 *   any  /grow?mb=N     grows its memory by N MiB (traps when refused), answers
 *   any  /status/N      answers with status N (100..999, even invalid ones)
 *   any  /stderr        writes "guest says \x1b[31mred\x1b[0m\n" to stderr, answers
 *
 * Built a second time with -DCALLER (caller_http_c, world caller-wit/) for
 * the lattice suite's local links and host interfaces:
 *   any  /greet/NAME    "greet: " + test:calc/ops.greet(NAME), an import
 *                       the host forwards to a linked component
 *   any  /config/KEY    wasi:config/store.get(KEY): "config KEY=VALUE" or
 *                       "config KEY missing"
 *   any  /log           wasi:logging log(info, "caller", "hello from the guest")
 *   any  /greet2/NAME   wasmcloud:bus set-link-name("alt", [test:calc/ops]),
 *                       then greet(NAME): "greet2: ..."; or "set-link-name:
 *                       ERROR" when the host refuses (no link named alt)
 *
 * And with -DSECRETS (secrets_http_c, world secrets-wit/):
 *   any  /secret/KEY    wasmcloud:secrets/store get(KEY) then reveal:
 *                       "secret KEY=VALUE" (bytes: "secret KEY=bytes:N"),
 *                       or "secret KEY error: not-found|upstream: ...|io: ..."
 */
#include <stdint.h>

typedef uint32_t u32;
typedef uint64_t u64;

extern unsigned char __heap_base;
static uintptr_t heap_top;

static void *bump(u32 size, u32 align) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + size;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    if (__builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) < 0) __builtin_trap();
  }
  heap_top = end;
  return (void *)p;
}

static void copy(void *d, const void *s, u32 n) {
  unsigned char *a = d;
  const unsigned char *b = s;
  while (n--) *a++ = *b++;
}

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, u32 old_size, u32 align, u32 new_size) {
  void *p = bump(new_size ? new_size : 1, align);
  if (old && old_size) copy(p, old, old_size < new_size ? old_size : new_size);
  return p;
}

#define HTTP(name) __attribute__((import_module("wasi:http/types@0.2.12"), import_name(name)))
#define IO(name) __attribute__((import_module("wasi:io/streams@0.2.12"), import_name(name)))

HTTP("[method]incoming-request.method") void req_method(u32 req, void *ret);
HTTP("[method]incoming-request.path-with-query") void req_path(u32 req, void *ret);
HTTP("[method]incoming-request.headers") u32 req_headers(u32 req);
HTTP("[method]incoming-request.consume") void req_consume(u32 req, void *ret);
HTTP("[method]incoming-body.stream") void body_stream(u32 body, void *ret);
HTTP("[constructor]fields") u32 fields_new(void);
HTTP("[method]fields.append") void fields_append(u32 f, const char *n, u32 nl, const void *v, u32 vl, void *ret);
HTTP("[method]fields.get") void fields_get(u32 f, const char *n, u32 nl, void *ret);
HTTP("[constructor]outgoing-response") u32 resp_new(u32 headers);
HTTP("[method]outgoing-response.set-status-code") u32 resp_set_status(u32 r, u32 status);
HTTP("[method]outgoing-response.body") void resp_body(u32 r, void *ret);
HTTP("[method]outgoing-body.write") void obody_write(u32 b, void *ret);
HTTP("[static]outgoing-body.finish") void obody_finish(u32 b, u32 has_trailers, u32 trailers, void *ret);
HTTP("[static]response-outparam.set") void outparam_set(u32 p, u32 is_err, u32 v, u32 a0, u64 a, u32 b, u32 c, u32 d, u32 e);
HTTP("[resource-drop]fields") void fields_drop(u32 f);
HTTP("[resource-drop]incoming-body") void ibody_drop(u32 b);
HTTP("[resource-drop]incoming-request") void req_drop(u32 r);
IO("[method]input-stream.blocking-read") void in_read(u32 s, u64 len, void *ret);
IO("[method]output-stream.blocking-write-and-flush") void out_write(u32 s, const void *p, u32 n, void *ret);
IO("[method]output-stream.blocking-write-zeroes-and-flush") void out_zeroes(u32 s, u64 len, void *ret);
IO("[resource-drop]input-stream") void in_drop(u32 s);
IO("[resource-drop]output-stream") void out_drop(u32 s);
__attribute__((import_module("wasi:clocks/monotonic-clock@0.2.12"), import_name("now"))) u64 mono_now(void);
__attribute__((import_module("wasi:cli/stderr@0.2.12"), import_name("get-stderr"))) u32 get_stderr(void);
__attribute__((import_module("wasi:clocks/monotonic-clock@0.2.12"), import_name("subscribe-duration"))) u32 mono_sub(u64 ns);
__attribute__((import_module("wasi:io/poll@0.2.12"), import_name("[method]pollable.block"))) void poll_block(u32 p);
__attribute__((import_module("wasi:io/poll@0.2.12"), import_name("[resource-drop]pollable"))) void poll_drop(u32 p);

static u32 ret[8] __attribute__((aligned(8)));

#ifdef CALLER
__attribute__((import_module("test:calc/ops@0.1.0"), import_name("greet")))
void calc_greet(const char *p, u32 n, void *ret);
__attribute__((import_module("wasi:config/store@0.2.0-draft"), import_name("get")))
void config_get(const char *p, u32 n, void *ret);
__attribute__((import_module("wasi:logging/logging@0.1.0-draft"), import_name("log")))
void logging_log(u32 level, const char *cp, u32 cn, const char *mp, u32 mn);
#define BUS(name) __attribute__((import_module("wasmcloud:bus/lattice@2.0.1"), import_name(name)))
BUS("[constructor]call-target-interface")
u32 bus_target(const char *ns, u32 nn, const char *pkg, u32 pn, const char *iface, u32 in);
BUS("set-link-name") void bus_set_link_name(const char *p, u32 n, const u32 *targets, u32 nt, void *ret);
#endif

#ifdef SECRETS
__attribute__((import_module("wasmcloud:secrets/store@0.1.0-draft"), import_name("get")))
void secrets_get(const char *p, u32 n, void *ret);
__attribute__((import_module("wasmcloud:secrets/reveal@0.1.0-draft"), import_name("reveal")))
void secrets_reveal(u32 handle, void *ret);
__attribute__((import_module("wasmcloud:secrets/store@0.1.0-draft"), import_name("[resource-drop]secret")))
void secret_drop(u32 handle);
#endif

typedef struct { char *p; u32 n, cap; } buf_t;
static void put(buf_t *b, const void *s, u32 n) {
  if (b->n + n > b->cap) {
    u32 nc = (b->n + n) * 2 + 64;
    b->p = cabi_realloc(b->p, b->n, 1, nc);
    b->cap = nc;
  }
  copy(b->p + b->n, s, n);
  b->n += n;
}
static u32 slen(const char *s) { u32 n = 0; while (s[n]) n++; return n; }
static void puts_(buf_t *b, const char *s) { put(b, s, slen(s)); }
static int prefix(const char *p, u32 n, const char *s) {
  u32 k = slen(s);
  if (n < k) return 0;
  for (u32 i = 0; i < k; i++) if (p[i] != s[i]) return 0;
  return n == k || p[k] == '?' || p[k] == '/';
}

/* Decimal digits at p (up to n bytes): their value, 0 when none. */
static u32 num(const char *p, u32 n) {
  u32 v = 0;
  for (u32 i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) v = v * 10 + (u32)(p[i] - '0');
  return v;
}
/* The number after the first '=' of the query ("?mb=32"), 0 when none. */
static u32 query_num(const char *p, u32 n) {
  u32 i = 0;
  while (i < n && p[i] != '?') i++;
  while (i < n && p[i] != '=') i++;
  return i < n ? num(p + i + 1, n - i - 1) : 0;
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(u32 req, u32 outparam) {
  static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE",
                                        "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  buf_t out = {0};
  req_method(req, ret);
  u32 disc = ret[0] & 0xff;
  const char *m = disc < 9 ? methods[disc] : (const char *)(uintptr_t)ret[1];
  u32 ml = disc < 9 ? slen(m) : ret[2];
  req_path(req, ret);
  const char *path = (ret[0] & 0xff) ? (const char *)(uintptr_t)ret[1] : "/";
  u32 pl = (ret[0] & 0xff) ? ret[2] : 1;
  if (prefix(path, pl, "/trap")) __builtin_trap();
  if (prefix(path, pl, "/noresp")) return;
  if (prefix(path, pl, "/loop")) {
    volatile u32 n = 0;
    for (;;) n++;
  }
  u32 status = 0, arg = query_num(path, pl);
  if (prefix(path, pl, "/spin")) {
    u64 until = mono_now() + (u64)arg * 1000000u;
    while (mono_now() < until) {}
  }
  if (prefix(path, pl, "/sleep")) {
    u32 p = mono_sub((u64)arg * 1000000u);
    poll_block(p);
    poll_drop(p);
  }
  if (prefix(path, pl, "/grow") && __builtin_wasm_memory_grow(0, arg * 16u) == (__SIZE_TYPE__)-1)
    __builtin_trap(); /* refused: over the host's cap */
  if (prefix(path, pl, "/status")) status = num(path + 8, pl > 8 ? pl - 8 : 0);
  if (prefix(path, pl, "/stderr")) {
    static const char msg[] = "guest says \x1b[31mred\x1b[0m\n";
    u32 es = get_stderr();
    out_write(es, msg, sizeof msg - 1, ret);
    out_drop(es);
  }

  u32 hdrs = fields_new();
  fields_append(hdrs, "x-lattice", 9, "c", 1, ret);
  fields_append(hdrs, "content-type", 12, "text/plain", 10, ret);
  u32 rh = req_headers(req);
  fields_get(rh, "x-echo", 6, ret);
  if (ret[1]) {
    u32 *vals = (u32 *)(uintptr_t)ret[0];
    fields_append(hdrs, "x-echo-back", 11, (void *)(uintptr_t)vals[0], vals[1], ret);
  }
  fields_drop(rh);

  if (disc == 2) { /* POST: echo the body */
    puts_(&out, "echo: ");
    req_consume(req, ret);
    u32 body = ret[1];
    body_stream(body, ret);
    u32 in = ret[1];
    for (;;) {
      in_read(in, 65536, ret);
      if (ret[0] & 0xff) break; /* closed (or an error) */
      put(&out, (void *)(uintptr_t)ret[1], ret[2]);
    }
    in_drop(in);
    ibody_drop(body);
  }
#ifdef CALLER
  else if (prefix(path, pl, "/greet2")) {
    static u32 targets[1];
    targets[0] = bus_target("test", 4, "calc", 4, "ops", 3);
    bus_set_link_name("alt", 3, targets, 1, ret);
    if (ret[0] & 0xff) {
      puts_(&out, "set-link-name: ");
      put(&out, (void *)(uintptr_t)ret[1], ret[2]);
    } else {
      u32 off = pl > 8 ? 8 : pl;
      calc_greet(path + off, pl - off, ret);
      puts_(&out, "greet2: ");
      put(&out, (void *)(uintptr_t)ret[0], ret[1]);
    }
    puts_(&out, "\n");
  } else if (prefix(path, pl, "/greet")) {
    u32 off = pl > 7 ? 7 : pl;
    calc_greet(path + off, pl - off, ret);
    puts_(&out, "greet: ");
    put(&out, (void *)(uintptr_t)ret[0], ret[1]);
    puts_(&out, "\n");
  } else if (prefix(path, pl, "/config")) {
    u32 off = pl > 8 ? 8 : pl;
    config_get(path + off, pl - off, ret);
    puts_(&out, "config ");
    put(&out, path + off, pl - off);
    if ((ret[0] & 0xff) == 0 && (ret[1] & 0xff) == 1) {
      puts_(&out, "=");
      put(&out, (void *)(uintptr_t)ret[2], ret[3]);
    } else {
      puts_(&out, " missing");
    }
    puts_(&out, "\n");
  } else if (prefix(path, pl, "/log")) {
    logging_log(2, "caller", 6, "hello from the guest", 20);
    puts_(&out, "logged\n");
  }
#endif
#ifdef SECRETS
  else if (prefix(path, pl, "/secret")) {
    u32 off = pl > 8 ? 8 : pl;
    secrets_get(path + off, pl - off, ret);
    puts_(&out, "secret ");
    put(&out, path + off, pl - off);
    if ((ret[0] & 0xff) == 0) { /* ok: the handle at offset 4 */
      u32 h = ret[1];
      secrets_reveal(h, ret);
      if ((ret[0] & 0xff) == 0) { /* string */
        puts_(&out, "=");
        put(&out, (void *)(uintptr_t)ret[1], ret[2]);
      } else {
        static const char digits[] = "0123456789";
        char num[12];
        u32 n = ret[2], k = 0;
        do { num[k++] = digits[n % 10]; n /= 10; } while (n);
        puts_(&out, "=bytes:");
        while (k) put(&out, &num[--k], 1);
      }
      secret_drop(h);
    } else { /* secrets-error at offset 4: upstream(string) | io(string) | not-found */
      u32 d = ret[1] & 0xff;
      puts_(&out, d == 2 ? " error: not-found" : d == 0 ? " error: upstream: " : " error: io: ");
      if (d < 2) put(&out, (void *)(uintptr_t)ret[2], ret[3]);
    }
    puts_(&out, "\n");
  }
#endif
  else {
    puts_(&out, "hello from C: ");
    put(&out, m, ml);
    puts_(&out, " ");
    put(&out, path, pl);
    puts_(&out, "\n");
  }
  req_drop(req);

  u32 resp = resp_new(hdrs);
  if (prefix(path, pl, "/teapot")) resp_set_status(resp, 418);
  if (status) resp_set_status(resp, status);
  resp_body(resp, ret);
  u32 ob = ret[1];
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  obody_write(ob, ret);
  u32 os = ret[1];
  out_write(os, out.p, out.n, ret);
  if (prefix(path, pl, "/big")) {
    static char block[65536];
    volatile char *vb = block; /* volatile: no memset call (nothing to link it to) */
    for (u32 i = 0; i < sizeof block; i++) vb[i] = 'x';
    for (u32 i = 0; i < arg * 16u; i++) {
      out_write(os, block, sizeof block, ret);
      if (ret[0] & 0xff) break; /* the client went away */
    }
  }
  if (prefix(path, pl, "/huge"))
    for (u32 i = 0; i < 1024; i++) { /* at most 1 GiB: the cap must stop it */
      out_zeroes(os, 1u << 20, ret);
      if (ret[0] & 0xff) break;
    }
  out_drop(os);
  obody_finish(ob, 0, 0, ret);
}
