/* examples/counter: a wasi:http handler that keeps its state in
 * wasi:keyvalue (store, atomics, batch @0.2.0-draft), in C with the
 * canonical ABI by hand (no libc, no adapter), built like
 * examples/http/hello_http.c.  On a lattice host the keyvalue calls go to
 * the provider the component is linked to (keyvalue-nats, keyvalue-redis).
 *
 *   GET /                  increments key "counter", answers the new value
 *   GET /inc/KEY           increments KEY
 *   GET /get/KEY           the value (404 "none" when absent)
 *   GET /set/KEY/VALUE     sets it
 *   GET /del/KEY           deletes it
 *   GET /exists/KEY        true or false
 *   GET /keys              every key, one a line, after "pages=N" (list-keys
 *                          followed cursor by cursor)
 *   GET /mset/K=V,K=V      batch set-many
 *   GET /mget/K,K          batch get-many: K=V or K! (absent) a line
 *   GET /mdel/K,K          batch delete-many
 * Any path may start with /b/NAME to open bucket NAME instead of "default".
 * A keyvalue error answers 500 with "error: " and the error. */
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

extern unsigned char __heap_base;
static uintptr_t heap_top;

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, u32 old_size, u32 align, u32 new_size) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + (new_size ? new_size : 1);
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) < 0)
    __builtin_trap();
  heap_top = end;
  unsigned char *d = (unsigned char *)p;
  const unsigned char *s = old;
  for (u32 i = 0; old && i < old_size && i < new_size; i++) d[i] = s[i];
  return d;
}

#define HTTP(name) __attribute__((import_module("wasi:http/types@0.2.12"), import_name(name)))
#define IO(name) __attribute__((import_module("wasi:io/streams@0.2.12"), import_name(name)))
#define KV(i, name) __attribute__((import_module("wasi:keyvalue/" i "@0.2.0-draft"), import_name(name)))

HTTP("[method]incoming-request.path-with-query") void req_path(u32 req, void *ret);
HTTP("[constructor]fields") u32 fields_new(void);
HTTP("[method]fields.append") void fields_append(u32 f, const char *n, u32 nl, const void *v, u32 vl, void *ret);
HTTP("[constructor]outgoing-response") u32 resp_new(u32 headers);
HTTP("[method]outgoing-response.set-status-code") u32 resp_status(u32 r, u32 code);
HTTP("[method]outgoing-response.body") void resp_body(u32 r, void *ret);
HTTP("[method]outgoing-body.write") void obody_write(u32 b, void *ret);
HTTP("[static]outgoing-body.finish") void obody_finish(u32 b, u32 has_trailers, u32 trailers, void *ret);
HTTP("[static]response-outparam.set") void outparam_set(u32 p, u32 is_err, u32 v, u32 a0, u64 a, u32 b, u32 c, u32 d, u32 e);
HTTP("[resource-drop]incoming-request") void req_drop(u32 r);
IO("[method]output-stream.blocking-write-and-flush") void out_write(u32 s, const void *p, u32 n, void *ret);
IO("[resource-drop]output-stream") void out_drop(u32 s);

KV("store", "open") void kv_open(const char *id, u32 n, void *ret);
KV("store", "[method]bucket.get") void kv_get(u32 b, const char *k, u32 kn, void *ret);
KV("store", "[method]bucket.set") void kv_set(u32 b, const char *k, u32 kn, const void *v, u32 vn, void *ret);
KV("store", "[method]bucket.delete") void kv_delete(u32 b, const char *k, u32 kn, void *ret);
KV("store", "[method]bucket.exists") void kv_exists(u32 b, const char *k, u32 kn, void *ret);
KV("store", "[method]bucket.list-keys") void kv_list_keys(u32 b, u32 has_cursor, u64 cursor, void *ret);
KV("store", "[resource-drop]bucket") void kv_bucket_drop(u32 b);
KV("atomics", "increment") void kv_increment(u32 b, const char *k, u32 kn, u64 delta, void *ret);
KV("batch", "get-many") void kv_get_many(u32 b, const void *keys, u32 n, void *ret);
KV("batch", "set-many") void kv_set_many(u32 b, const void *kvs, u32 n, void *ret);
KV("batch", "delete-many") void kv_delete_many(u32 b, const void *keys, u32 n, void *ret);

/* results come back through this area: 8-aligned, big enough for each */
static u8 ret[32] __attribute__((aligned(8)));
#define R32(off) (*(u32 *)(ret + (off)))
#define R64(off) (*(u64 *)(ret + (off)))

typedef struct {
  char *p;
  u32 n, cap;
} out_t;

static void put(out_t *o, const char *s, u32 n) {
  if (o->n + n > o->cap) {
    u32 cap = (o->n + n) * 2 + 64;
    o->p = cabi_realloc(o->p, o->cap, 1, cap);
    o->cap = cap;
  }
  for (u32 i = 0; i < n; i++) o->p[o->n + i] = s[i];
  o->n += n;
}
static u32 slen(const char *s) {
  u32 n = 0;
  while (s[n]) n++;
  return n;
}
static void puts_(out_t *o, const char *s) { put(o, s, slen(s)); }
static void putu(out_t *o, u64 v) {
  char d[24];
  u32 n = 0;
  do d[n++] = (char)('0' + v % 10), v /= 10; while (v);
  while (n) put(o, &d[--n], 1);
}

/* The error variant at ret+off into o (after a result's err case). */
static void put_error(out_t *o, u32 off) {
  static const char *const names[] = {"no-such-store", "access-denied", "other: "};
  u8 d = ret[off];
  puts_(o, "error: ");
  puts_(o, d < 3 ? names[d] : "?");
  if (d == 2) put(o, (const char *)(uintptr_t)R32(off + 4), R32(off + 8));
  puts_(o, "\n");
}

static void respond(u32 outparam, u32 status, const out_t *o) {
  u32 hdrs = fields_new();
  fields_append(hdrs, "content-type", 12, "text/plain", 10, ret);
  u32 resp = resp_new(hdrs);
  resp_status(resp, status);
  resp_body(resp, ret);
  u32 ob = R32(4);
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  obody_write(ob, ret);
  u32 os = R32(4);
  if (o->n) out_write(os, o->p, o->n, ret);
  out_drop(os);
  obody_finish(ob, 0, 0, ret);
}

static int starts(const char *p, u32 n, const char *pre) {
  u32 k = slen(pre);
  if (n < k) return 0;
  for (u32 i = 0; i < k; i++)
    if (p[i] != pre[i]) return 0;
  return 1;
}

/* splits s[0..n) at sep into at most max parts, each (ptr, len) into
 * parts; the count (max + 1 when there were more) */
static u32 split(const char *s, u32 n, char sep, u32 *parts, u32 max) {
  u32 k = 0, from = 0;
  for (u32 i = 0; i <= n; i++)
    if (i == n || s[i] == sep) {
      if (k == max) return max + 1;
      parts[2 * k] = (u32)(uintptr_t)(s + from);
      parts[2 * k + 1] = i - from;
      k++;
      from = i + 1;
    }
  return k;
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(u32 req, u32 outparam) {
  req_path(req, ret);
  const char *path = ret[0] ? (const char *)(uintptr_t)R32(4) : "/";
  u32 pl = ret[0] ? R32(8) : 1;
  req_drop(req);
  for (u32 i = 0; i < pl; i++) /* the query is not ours */
    if (path[i] == '?') pl = i;

  out_t o = {0};
  const char *bname = "default";
  u32 bn = 7;
  if (starts(path, pl, "/b/")) {
    u32 i = 3;
    while (i < pl && path[i] != '/') i++;
    bname = path + 3;
    bn = i - 3;
    path += i;
    pl -= i;
    if (!pl) path = "/", pl = 1;
  }
  kv_open(bname, bn, ret);
  if (ret[0]) {
    put_error(&o, 4);
    respond(outparam, 500, &o);
    return;
  }
  u32 b = R32(4), status = 200;
  /* the argument after "/op/" */
  const char *arg = path;
  u32 an = 0;
  for (u32 i = 1; i < pl; i++)
    if (path[i] == '/') {
      arg = path + i + 1;
      an = pl - i - 1;
      break;
    }

  if (pl == 1 || starts(path, pl, "/inc/")) {
    const char *k = pl == 1 ? "counter" : arg;
    kv_increment(b, k, pl == 1 ? 7 : an, 1, ret);
    if (ret[0]) put_error(&o, 8), status = 500;
    else putu(&o, R64(8)), puts_(&o, "\n");
  } else if (starts(path, pl, "/get/")) {
    kv_get(b, arg, an, ret);
    if (ret[0]) put_error(&o, 4), status = 500;
    else if (!ret[4]) puts_(&o, "none\n"), status = 404;
    else put(&o, (const char *)(uintptr_t)R32(8), R32(12));
  } else if (starts(path, pl, "/set/")) {
    u32 parts[4];
    if (split(arg, an, '/', parts, 2) != 2) {
      puts_(&o, "want /set/KEY/VALUE\n");
      status = 400;
    } else {
      kv_set(b, (const char *)(uintptr_t)parts[0], parts[1], (const void *)(uintptr_t)parts[2],
             parts[3], ret);
      if (ret[0]) put_error(&o, 4), status = 500;
      else puts_(&o, "ok\n");
    }
  } else if (starts(path, pl, "/del/")) {
    kv_delete(b, arg, an, ret);
    if (ret[0]) put_error(&o, 4), status = 500;
    else puts_(&o, "ok\n");
  } else if (starts(path, pl, "/exists/")) {
    kv_exists(b, arg, an, ret);
    if (ret[0]) put_error(&o, 4), status = 500;
    else puts_(&o, ret[4] ? "true\n" : "false\n");
  } else if (starts(path, pl, "/keys")) {
    out_t keys = {0};
    u32 pages = 0, has = 0;
    u64 cursor = 0;
    for (;;) {
      kv_list_keys(b, has, cursor, ret);
      if (ret[0]) {
        put_error(&o, 8), status = 500;
        break;
      }
      pages++;
      u32 *ks = (u32 *)(uintptr_t)R32(8), n = R32(12);
      for (u32 i = 0; i < n; i++) put(&keys, (const char *)(uintptr_t)ks[2 * i], ks[2 * i + 1]), put(&keys, "\n", 1);
      if (!ret[16]) break;
      has = 1;
      cursor = R64(24);
    }
    if (status == 200) {
      puts_(&o, "pages=");
      putu(&o, pages);
      puts_(&o, "\n");
      if (keys.n) put(&o, keys.p, keys.n);
    }
  } else if (starts(path, pl, "/mset/") || starts(path, pl, "/mget/") || starts(path, pl, "/mdel/")) {
    u32 *parts = cabi_realloc(0, 0, 4, (an + 1) * 8);
    u32 n = split(arg, an, ',', parts, an + 1);
    char op = path[2];
    if (op == 's') { /* tuple<string, list<u8>>: 16 bytes each */
      u32 *items = cabi_realloc(0, 0, 4, n * 16);
      for (u32 i = 0; i < n; i++) {
        const char *kv = (const char *)(uintptr_t)parts[2 * i];
        u32 len = parts[2 * i + 1], eq = 0;
        while (eq < len && kv[eq] != '=') eq++;
        items[4 * i] = (u32)(uintptr_t)kv;
        items[4 * i + 1] = eq;
        items[4 * i + 2] = (u32)(uintptr_t)(kv + (eq < len ? eq + 1 : len));
        items[4 * i + 3] = eq < len ? len - eq - 1 : 0;
      }
      kv_set_many(b, items, n, ret);
      if (ret[0]) put_error(&o, 4), status = 500;
      else puts_(&o, "ok\n");
    } else if (op == 'd') {
      kv_delete_many(b, parts, n, ret);
      if (ret[0]) put_error(&o, 4), status = 500;
      else puts_(&o, "ok\n");
    } else {
      kv_get_many(b, parts, n, ret);
      if (ret[0]) {
        put_error(&o, 4), status = 500;
      } else {
        u8 *el = (u8 *)(uintptr_t)R32(4);
        u32 cnt = R32(8);
        for (u32 i = 0; i < cnt; i++, el += 20) {
          if (!el[0]) {
            put(&o, (const char *)(uintptr_t)parts[2 * i], i < n ? parts[2 * i + 1] : 0);
            puts_(&o, "!\n");
            continue;
          }
          u32 *t = (u32 *)(el + 4);
          put(&o, (const char *)(uintptr_t)t[0], t[1]);
          puts_(&o, "=");
          put(&o, (const char *)(uintptr_t)t[2], t[3]);
          puts_(&o, "\n");
        }
      }
    }
  } else {
    puts_(&o, "no such route\n");
    status = 404;
  }
  kv_bucket_drop(b);
  respond(outparam, status, &o);
}
