/* examples/messaging/requester.c: a wasi:http/incoming-handler component
 * in C that talks to NATS through its wasmcloud:messaging/consumer import
 * (world `requester` of wit/world.wit; canonical ABI by hand, no libc).
 *
 *   POST /request/SUBJECT[?ms=N]  consumer.request(SUBJECT, body, N ms,
 *                                 default 1500): 200 with the reply's body
 *   POST /publish/SUBJECT         consumer.publish({SUBJECT, body, none}):
 *                                 200 "published"
 *   anything else                 404
 * A call that returns an error answers 502 "error: " + the message.
 *
 *   lattice start component file://build/examples/messaging_requester.component.wasm req
 *   lattice link put req nats wasmcloud messaging --interface consumer
 *   (and an http-server link with an address, as for hello_http)
 *   curl -d hello http://127.0.0.1:8080/request/demo.echo */
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
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (__SIZE_TYPE__)-1)
    __builtin_trap();
  heap_top = end;
  unsigned char *d = (unsigned char *)p;
  const unsigned char *s = old;
  for (u32 i = 0; old && i < old_size && i < new_size; i++) d[i] = s[i];
  return d;
}

#define HTTP(name) __attribute__((import_module("wasi:http/types@0.2.12"), import_name(name)))
#define IO(name) __attribute__((import_module("wasi:io/streams@0.2.12"), import_name(name)))
#define CONSUMER(name) \
  __attribute__((import_module("wasmcloud:messaging/consumer@0.2.0"), import_name(name)))

HTTP("[method]incoming-request.path-with-query") void req_path(u32 req, void *ret);
HTTP("[method]incoming-request.consume") void req_consume(u32 req, void *ret);
HTTP("[method]incoming-body.stream") void body_stream(u32 body, void *ret);
HTTP("[constructor]fields") u32 fields_new(void);
HTTP("[method]fields.append") void fields_append(u32 f, const char *n, u32 nl, const void *v, u32 vl, void *ret);
HTTP("[constructor]outgoing-response") u32 resp_new(u32 headers);
HTTP("[method]outgoing-response.set-status-code") u32 resp_set_status(u32 r, u32 status);
HTTP("[method]outgoing-response.body") void resp_body(u32 r, void *ret);
HTTP("[method]outgoing-body.write") void obody_write(u32 b, void *ret);
HTTP("[static]outgoing-body.finish") void obody_finish(u32 b, u32 has_trailers, u32 trailers, void *ret);
HTTP("[static]response-outparam.set") void outparam_set(u32 p, u32 is_err, u32 v, u32 a0, u64 a, u32 b, u32 c, u32 d, u32 e);
HTTP("[resource-drop]incoming-body") void ibody_drop(u32 b);
HTTP("[resource-drop]incoming-request") void req_drop(u32 r);
IO("[method]input-stream.blocking-read") void in_read(u32 s, u64 len, void *ret);
IO("[method]output-stream.blocking-write-and-flush") void out_write(u32 s, const void *p, u32 n, void *ret);
IO("[resource-drop]input-stream") void in_drop(u32 s);
IO("[resource-drop]output-stream") void out_drop(u32 s);

/* request(subject, body, timeout-ms) -> result<broker-message, string>,
 * written at ret: disc @0; ok: subject @4/@8, body @12/@16, reply-to
 * @20..; err: the string @4/@8 */
CONSUMER("request")
void consumer_request(const char *subj, u32 sl, const char *body, u32 bl, u32 timeout_ms, u32 *ret);
/* publish(msg: broker-message) -> result<_, string> */
CONSUMER("publish")
void consumer_publish(const char *subj, u32 sl, const char *body, u32 bl, u32 has_reply,
                      const char *reply, u32 rl, u32 *ret);

static u32 ret[8] __attribute__((aligned(8)));

typedef struct { char *p; u32 n, cap; } buf_t;
static void put(buf_t *b, const void *s, u32 n) {
  if (b->n + n > b->cap) {
    u32 nc = (b->n + n) * 2 + 64;
    b->p = cabi_realloc(b->p, b->n, 1, nc);
    b->cap = nc;
  }
  const char *c = s;
  for (u32 i = 0; i < n; i++) b->p[b->n + i] = c[i];
  b->n += n;
}
static void puts_(buf_t *b, const char *s) {
  u32 n = 0;
  while (s[n]) n++;
  put(b, s, n);
}
/* When path starts with pre: the rest up to '?', in *rest / *rn. */
static int route(const char *path, u32 pl, const char *pre, const char **rest, u32 *rn) {
  u32 k = 0;
  while (pre[k]) {
    if (k >= pl || path[k] != pre[k]) return 0;
    k++;
  }
  u32 e = k;
  while (e < pl && path[e] != '?') e++;
  *rest = path + k;
  *rn = e - k;
  return 1;
}
/* The number after "ms=" in the query, or def. */
static u32 query_ms(const char *path, u32 pl, u32 def) {
  for (u32 i = 0; i + 3 < pl; i++)
    if (path[i] == 'm' && path[i + 1] == 's' && path[i + 2] == '=') {
      u32 v = 0;
      for (u32 k = i + 3; k < pl && path[k] >= '0' && path[k] <= '9'; k++) v = v * 10 + (u32)(path[k] - '0');
      return v;
    }
  return def;
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(u32 req, u32 outparam) {
  buf_t in = {0}, out = {0};
  u32 status = 200;
  req_path(req, ret);
  const char *path = (ret[0] & 0xff) ? (const char *)(uintptr_t)ret[1] : "/";
  u32 pl = (ret[0] & 0xff) ? ret[2] : 1;
  req_consume(req, ret);
  if (!(ret[0] & 0xff)) {
    u32 body = ret[1];
    body_stream(body, ret);
    u32 s = ret[1];
    for (;;) {
      in_read(s, 65536, ret);
      if (ret[0] & 0xff) break; /* closed (or an error) */
      put(&in, (void *)(uintptr_t)ret[1], ret[2]);
    }
    in_drop(s);
    ibody_drop(body);
  }
  const char *subj;
  u32 sl;
  if (route(path, pl, "/request/", &subj, &sl)) {
    consumer_request(subj, sl, in.p, in.n, query_ms(path, pl, 1500), ret);
    if (!(ret[0] & 0xff)) put(&out, (void *)(uintptr_t)ret[3], ret[4]);
  } else if (route(path, pl, "/publish/", &subj, &sl)) {
    consumer_publish(subj, sl, in.p, in.n, 0, 0, 0, ret);
    if (!(ret[0] & 0xff)) puts_(&out, "published\n");
  } else {
    ret[0] = 0;
    status = 404;
    puts_(&out, "no such route\n");
  }
  if (ret[0] & 0xff) {
    status = 502;
    puts_(&out, "error: ");
    put(&out, (void *)(uintptr_t)ret[1], ret[2]);
    puts_(&out, "\n");
  }
  req_drop(req);

  u32 hdrs = fields_new();
  fields_append(hdrs, "content-type", 12, "text/plain", 10, ret);
  u32 resp = resp_new(hdrs);
  resp_set_status(resp, status);
  resp_body(resp, ret);
  u32 ob = ret[1];
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  obody_write(ob, ret);
  u32 os = ret[1];
  out_write(os, out.p, out.n, ret);
  out_drop(os);
  obody_finish(ob, 0, 0, ret);
}
