/* examples/http: a wasi:http/incoming-handler component in C, canonical
 * ABI by hand (no libc, no adapter).  Every request gets
 * `200 Hello from Lattice: METHOD PATH`.
 *
 *   build/lattice serve build/examples/hello_http.component.wasm --addr 127.0.0.1:8080
 *   curl http://127.0.0.1:8080/hi */
#include <stdint.h>

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

HTTP("[method]incoming-request.method") void req_method(u32 req, void *ret);
HTTP("[method]incoming-request.path-with-query") void req_path(u32 req, void *ret);
HTTP("[constructor]fields") u32 fields_new(void);
HTTP("[method]fields.append") void fields_append(u32 f, const char *n, u32 nl, const void *v, u32 vl, void *ret);
HTTP("[constructor]outgoing-response") u32 resp_new(u32 headers);
HTTP("[method]outgoing-response.body") void resp_body(u32 r, void *ret);
HTTP("[method]outgoing-body.write") void obody_write(u32 b, void *ret);
HTTP("[static]outgoing-body.finish") void obody_finish(u32 b, u32 has_trailers, u32 trailers, void *ret);
HTTP("[static]response-outparam.set") void outparam_set(u32 p, u32 is_err, u32 v, u32 a0, u64 a, u32 b, u32 c, u32 d, u32 e);
HTTP("[resource-drop]incoming-request") void req_drop(u32 r);
IO("[method]output-stream.blocking-write-and-flush") void out_write(u32 s, const void *p, u32 n, void *ret);
IO("[resource-drop]output-stream") void out_drop(u32 s);

static u32 ret[8] __attribute__((aligned(8)));

static u32 append(char *dst, u32 at, const char *s, u32 n) {
  for (u32 i = 0; i < n; i++) dst[at + i] = s[i];
  return at + n;
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(u32 req, u32 outparam) {
  static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE",
                                        "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  static const u32 method_len[] = {3, 4, 4, 3, 6, 7, 7, 5, 5};
  req_method(req, ret);
  u32 disc = ret[0] & 0xff;
  const char *m = disc < 9 ? methods[disc] : (const char *)(uintptr_t)ret[1];
  u32 ml = disc < 9 ? method_len[disc] : ret[2];
  req_path(req, ret);
  const char *path = (ret[0] & 0xff) ? (const char *)(uintptr_t)ret[1] : "/";
  u32 pl = (ret[0] & 0xff) ? ret[2] : 1;

  static const char hi[] = "Hello from Lattice: ";
  char *body = cabi_realloc(0, 0, 1, sizeof hi + ml + pl + 2);
  u32 n = append(body, 0, hi, sizeof hi - 1);
  n = append(body, n, m, ml);
  n = append(body, n, " ", 1);
  n = append(body, n, path, pl);
  n = append(body, n, "\n", 1);
  req_drop(req);

  u32 hdrs = fields_new();
  fields_append(hdrs, "content-type", 12, "text/plain", 10, ret);
  u32 resp = resp_new(hdrs);
  resp_body(resp, ret);
  u32 ob = ret[1];
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  obody_write(ob, ret);
  u32 os = ret[1];
  out_write(os, body, n, ret);
  out_drop(os);
  obody_finish(ob, 0, 0, ret);
}
