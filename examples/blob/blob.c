/* examples/blob: a wasi:http handler over wasi:blobstore (blobstore,
 * container, types @0.2.0-draft), in C with the canonical ABI by hand (no
 * libc, no adapter), built like examples/counter.  On a lattice host the
 * blobstore calls go to the provider the component is linked to
 * (blobstore-fs).  Names are the path's segments as they come (no
 * percent-decoding).
 *
 *   GET  /mk/C                create-container C
 *   GET  /exists/C            container-exists: true or false
 *   GET  /rmc/C               delete-container
 *   GET  /clear/C             the container's clear
 *   GET  /cinfo/C             the container's name and info: name=C
 *   POST /put/C/O             the request body written to O (outgoing-value:
 *                             write-data, its output-stream, finish)
 *   GET  /get/C/O             O's bytes (get-data, consume-async, the
 *                             input-stream read to the end)
 *   GET  /sync/C/O            the same through consume-sync; /size/C/O its
 *                             incoming-value's size
 *   GET  /has/C/O             has-object: true or false
 *   GET  /info/C/O            object-info: name=O container=C size=N
 *   GET  /del/C/O             delete-object
 *   GET  /dels/C/O,O          delete-objects
 *   GET  /list/C              list-objects, one a line, read 2 at a time
 *                             (read-stream-object-names), then reads=N
 *   GET  /skip/C/N            skip-stream-object-names N, then the rest
 *   GET  /copy/C/O/C2/O2      copy-object;  /move/C/O/C2/O2  move-object
 * A blobstore error answers 500 with "error: " and the error. */
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
#define BS(i, name) \
  __attribute__((import_module("wasi:blobstore/" i "@0.2.0-draft"), import_name(name)))

HTTP("[method]incoming-request.path-with-query") void req_path(u32 req, void *ret);
HTTP("[method]incoming-request.consume") void req_consume(u32 req, void *ret);
HTTP("[method]incoming-body.stream") void ibody_stream(u32 b, void *ret);
HTTP("[resource-drop]incoming-body") void ibody_drop(u32 b);
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
IO("[method]input-stream.blocking-read") void in_read(u32 s, u64 len, void *ret);
IO("[resource-drop]input-stream") void in_drop(u32 s);

BS("blobstore", "create-container") void bs_create(const char *n, u32 nl, void *ret);
BS("blobstore", "get-container") void bs_get(const char *n, u32 nl, void *ret);
BS("blobstore", "delete-container") void bs_delete(const char *n, u32 nl, void *ret);
BS("blobstore", "container-exists") void bs_exists(const char *n, u32 nl, void *ret);
BS("blobstore", "copy-object") void bs_copy(const char *sc, u32 scl, const char *so, u32 sol, const char *dc, u32 dcl, const char *dobj, u32 dol, void *ret);
BS("blobstore", "move-object") void bs_move(const char *sc, u32 scl, const char *so, u32 sol, const char *dc, u32 dcl, const char *dobj, u32 dol, void *ret);
BS("container", "[method]container.name") void ct_name(u32 c, void *ret);
BS("container", "[method]container.info") void ct_info(u32 c, void *ret);
BS("container", "[method]container.get-data") void ct_get_data(u32 c, const char *n, u32 nl, u64 start, u64 end, void *ret);
BS("container", "[method]container.write-data") void ct_write_data(u32 c, const char *n, u32 nl, u32 v, void *ret);
BS("container", "[method]container.list-objects") void ct_list(u32 c, void *ret);
BS("container", "[method]container.delete-object") void ct_del(u32 c, const char *n, u32 nl, void *ret);
BS("container", "[method]container.delete-objects") void ct_dels(u32 c, const void *names, u32 n, void *ret);
BS("container", "[method]container.has-object") void ct_has(u32 c, const char *n, u32 nl, void *ret);
BS("container", "[method]container.object-info") void ct_oinfo(u32 c, const char *n, u32 nl, void *ret);
BS("container", "[method]container.clear") void ct_clear(u32 c, void *ret);
BS("container", "[resource-drop]container") void ct_drop(u32 c);
BS("container", "[method]stream-object-names.read-stream-object-names") void nm_read(u32 s, u64 len, void *ret);
BS("container", "[method]stream-object-names.skip-stream-object-names") void nm_skip(u32 s, u64 num, void *ret);
BS("container", "[resource-drop]stream-object-names") void nm_drop(u32 s);
BS("types", "[static]outgoing-value.new-outgoing-value") u32 ov_new(void);
BS("types", "[method]outgoing-value.outgoing-value-write-body") void ov_body(u32 v, void *ret);
BS("types", "[static]outgoing-value.finish") void ov_finish(u32 v, void *ret);
BS("types", "[static]incoming-value.incoming-value-consume-sync") void iv_sync(u32 v, void *ret);
BS("types", "[static]incoming-value.incoming-value-consume-async") void iv_async(u32 v, void *ret);
BS("types", "[method]incoming-value.size") u64 iv_size(u32 v);
BS("types", "[resource-drop]incoming-value") void iv_drop(u32 v);

/* results come back through this area: 8-aligned, big enough for each */
static u8 ret[48] __attribute__((aligned(8)));
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

static void respond(u32 outparam, u32 status, const out_t *o) {
  u32 hdrs = fields_new();
  fields_append(hdrs, "content-type", 12, "application/octet-stream", 24, ret);
  u32 resp = resp_new(hdrs);
  resp_status(resp, status);
  resp_body(resp, ret);
  u32 ob = R32(4);
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  obody_write(ob, ret);
  u32 os = R32(4);
  for (u32 off = 0; off < o->n; off += 4096) /* blocking-write-and-flush takes 4096 at most */
    out_write(os, o->p + off, o->n - off < 4096 ? o->n - off : 4096, ret);
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
#define PART(i) ((const char *)(uintptr_t)parts[2 * (i)]), parts[2 * (i) + 1]

/* "error: <string at ret+off>" into o; the status 500 */
static u32 error_at(out_t *o, u32 off) {
  puts_(o, "error: ");
  put(o, (const char *)(uintptr_t)R32(off), R32(off + 4));
  puts_(o, "\n");
  return 500;
}

/* An input-stream read to its end into o (0), or 500 on a stream error. */
static u32 drain(u32 s, out_t *o) {
  for (;;) {
    in_read(s, 65536, ret);
    if (ret[0]) return ret[4] == 1 ? 0 : 500; /* closed: the end */
    put(o, (const char *)(uintptr_t)R32(4), R32(8));
  }
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(u32 req, u32 outparam) {
  req_path(req, ret);
  const char *path = ret[0] ? (const char *)(uintptr_t)R32(4) : "/";
  u32 pl = ret[0] ? R32(8) : 1;
  for (u32 i = 0; i < pl; i++) /* the query is not ours */
    if (path[i] == '?') pl = i;
  /* the body (for /put) */
  out_t body = {0};
  u32 status = 200;
  if (starts(path, pl, "/put/")) {
    req_consume(req, ret);
    if (!ret[0]) {
      u32 ib = R32(4);
      ibody_stream(ib, ret);
      if (!ret[0]) {
        u32 s = R32(4);
        if (drain(s, &body)) status = 500;
        in_drop(s);
      }
      ibody_drop(ib);
    }
  }
  req_drop(req);

  out_t o = {0};
  /* the arguments after "/op/" */
  const char *arg = path;
  u32 an = 0;
  for (u32 i = 1; i < pl; i++)
    if (path[i] == '/') {
      arg = path + i + 1;
      an = pl - i - 1;
      break;
    }
  u32 parts[8];
  u32 np = split(arg, an, '/', parts, 4);
  u32 c = 0; /* the container, for the per-container routes */
  int per_container = !starts(path, pl, "/mk/") && !starts(path, pl, "/exists/") &&
                      !starts(path, pl, "/rmc/") && !starts(path, pl, "/copy/") &&
                      !starts(path, pl, "/move/");
  if (status != 200) {
    puts_(&o, "could not read the request body\n");
  } else if (per_container) {
    bs_get(PART(0), ret);
    if (ret[0]) status = error_at(&o, 4);
    else c = R32(4);
  }
  if (status != 200) {
    /* answered above */
  } else if (starts(path, pl, "/mk/")) {
    bs_create(PART(0), ret);
    if (ret[0]) status = error_at(&o, 4);
    else ct_drop(R32(4)), puts_(&o, "ok\n");
  } else if (starts(path, pl, "/exists/")) {
    bs_exists(PART(0), ret);
    if (ret[0]) status = error_at(&o, 4);
    else puts_(&o, ret[4] ? "true\n" : "false\n");
  } else if (starts(path, pl, "/rmc/")) {
    bs_delete(PART(0), ret);
    if (ret[0]) status = error_at(&o, 4);
    else puts_(&o, "ok\n");
  } else if (starts(path, pl, "/copy/") || starts(path, pl, "/move/")) {
    if (np != 4) {
      puts_(&o, "want /copy/C/O/C2/O2\n");
      status = 400;
    } else {
      if (path[1] == 'c') bs_copy(PART(0), PART(1), PART(2), PART(3), ret);
      else bs_move(PART(0), PART(1), PART(2), PART(3), ret);
      if (ret[0]) status = error_at(&o, 4);
      else puts_(&o, "ok\n");
    }
  } else if (starts(path, pl, "/clear/")) {
    ct_clear(c, ret);
    if (ret[0]) status = error_at(&o, 4);
    else puts_(&o, "ok\n");
  } else if (starts(path, pl, "/cinfo/")) {
    ct_info(c, ret);
    if (ret[0]) {
      status = error_at(&o, 8); /* the record has 8-byte alignment */
    } else {
      puts_(&o, "name=");
      put(&o, (const char *)(uintptr_t)R32(8), R32(12));
      puts_(&o, "\n");
    }
    ct_name(c, ret);
    if (!ret[0] && status == 200) {
      puts_(&o, "self=");
      put(&o, (const char *)(uintptr_t)R32(4), R32(8));
      puts_(&o, "\n");
    }
  } else if (starts(path, pl, "/list/") || starts(path, pl, "/skip/")) {
    ct_list(c, ret);
    if (ret[0]) {
      status = error_at(&o, 4);
    } else {
      u32 s = R32(4), reads = 0;
      if (path[1] == 's') {
        u64 k = 0;
        for (u32 i = 0; i < parts[3]; i++) k = k * 10 + (u64)(((const char *)(uintptr_t)parts[2])[i] - '0');
        nm_skip(s, k, ret);
        if (ret[0]) status = error_at(&o, 8);
        else puts_(&o, "skipped="), putu(&o, R64(8)), puts_(&o, ret[16] ? " end\n" : "\n");
      }
      while (status == 200) {
        nm_read(s, 2, ret);
        if (ret[0]) {
          status = error_at(&o, 4);
          break;
        }
        reads++;
        u32 *ns = (u32 *)(uintptr_t)R32(4), n = R32(8);
        for (u32 i = 0; i < n; i++) put(&o, (const char *)(uintptr_t)ns[2 * i], ns[2 * i + 1]), puts_(&o, "\n");
        if (ret[12]) break;
      }
      if (status == 200) puts_(&o, "reads="), putu(&o, reads), puts_(&o, "\n");
      nm_drop(s);
    }
  } else if (np != 2 && !starts(path, pl, "/dels/")) {
    puts_(&o, "want /OP/CONTAINER/OBJECT\n");
    status = 400;
  } else if (starts(path, pl, "/put/")) {
    u32 v = ov_new();
    ov_body(v, ret);
    if (ret[0]) {
      puts_(&o, "no output-stream\n");
      status = 500;
    } else {
      u32 s = R32(4);
      /* half before write-data, half after: the value is sent at finish */
      u32 half = body.n / 2;
      for (u32 off = 0; off < half; off += 4096)
        out_write(s, body.p + off, half - off < 4096 ? half - off : 4096, ret);
      ct_write_data(c, PART(1), v, ret);
      if (ret[0]) status = error_at(&o, 4);
      for (u32 off = half; status == 200 && off < body.n; off += 4096)
        out_write(s, body.p + off, body.n - off < 4096 ? body.n - off : 4096, ret);
      out_drop(s);
      if (status == 200) {
        ov_finish(v, ret);
        if (ret[0]) status = error_at(&o, 4);
        else puts_(&o, "ok "), putu(&o, body.n), puts_(&o, "\n");
      }
    }
  } else if (starts(path, pl, "/get/") || starts(path, pl, "/sync/") || starts(path, pl, "/size/")) {
    ct_get_data(c, PART(1), 0, ~(u64)0, ret);
    if (ret[0]) {
      status = error_at(&o, 4);
    } else {
      u32 v = R32(4);
      if (path[2] == 'i') { /* /size/ */
        putu(&o, iv_size(v)), puts_(&o, "\n");
        iv_drop(v);
      } else if (path[1] == 's') {
        iv_sync(v, ret);
        if (ret[0]) status = error_at(&o, 4);
        else put(&o, (const char *)(uintptr_t)R32(4), R32(8));
      } else {
        iv_async(v, ret);
        if (ret[0]) {
          status = error_at(&o, 4);
        } else {
          u32 s = R32(4);
          status = drain(s, &o) ? 500 : 200;
          in_drop(s);
        }
      }
    }
  } else if (starts(path, pl, "/has/")) {
    ct_has(c, PART(1), ret);
    if (ret[0]) status = error_at(&o, 4);
    else puts_(&o, ret[4] ? "true\n" : "false\n");
  } else if (starts(path, pl, "/info/")) {
    ct_oinfo(c, PART(1), ret);
    if (ret[0]) {
      status = error_at(&o, 8);
    } else {
      puts_(&o, "name=");
      put(&o, (const char *)(uintptr_t)R32(8), R32(12));
      puts_(&o, " container=");
      put(&o, (const char *)(uintptr_t)R32(16), R32(20));
      puts_(&o, " size=");
      putu(&o, R64(32));
      puts_(&o, "\n");
    }
  } else if (starts(path, pl, "/del/")) {
    ct_del(c, PART(1), ret);
    if (ret[0]) status = error_at(&o, 4);
    else puts_(&o, "ok\n");
  } else if (starts(path, pl, "/dels/")) {
    u32 rest = parts[3], *names = cabi_realloc(0, 0, 4, (rest + 1) * 8);
    u32 n = np == 2 ? split((const char *)(uintptr_t)parts[2], rest, ',', names, rest + 1) : 0;
    ct_dels(c, names, n, ret);
    if (ret[0]) status = error_at(&o, 4);
    else puts_(&o, "ok\n");
  } else {
    puts_(&o, "no such route\n");
    status = 404;
  }
  if (c) ct_drop(c);
  respond(outparam, status, &o);
}
