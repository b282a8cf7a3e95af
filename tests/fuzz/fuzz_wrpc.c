/* Fuzz target: the wRPC value decoder (src/lattice/lattice_wrpc.c) on
 * untrusted bytes.  The first input byte picks one of the types below
 * (every WIT kind, nested shapes, the wRPC future/stream extensions and a
 * function's parameter tuple); the rest is decoded as a value of it.  A
 * decoded value must encode again, and that encoding must decode and
 * re-encode to the same bytes (the decoder accepts non-minimal LEB128 and
 * any NaN, the encoder writes one form).  Errors are fine; a crash, a
 * sanitizer report, a leak or a broken round trip is a finding.  Each
 * input gets its own arena, so the replay's leak check holds per input.
 *
 * A first byte of 0x80 or more picks the async mode: a type of
 * async_types (or the wrpc:http request / result, decoded into structs by
 * lattice_wrpc_http.c), then a root of data[1] bytes, then for each
 * pending path the root lists, a length byte and that path's data.  What
 * decodes must encode (pending values, data per path) and decode and
 * re-encode to the same root and path data. */
#include <stdlib.h>
#include <string.h>

#include "../unit/lattice/wrpc_types.h"
#include "fuzz.h"

static const char *const types[] = {
    "bool",
    "u8",
    "s8",
    "u16",
    "s16",
    "u32",
    "s32",
    "u64",
    "s64",
    "f32",
    "f64",
    "char",
    "string",
    "list<u8>",
    "list<u32>",
    "list<string>",
    "list<list<s64>>",
    "record{a:u8,b:string,c:list<u16>}",
    "tuple<bool,char,f64>",
    "variant{a,b(u8),c(string),d(list<u8>)}",
    "enum{x,y,z}",
    "option<option<u32>>",
    "result<string,list<u8>>",
    "result<_,u8>",
    "result",
    "flags{a,b,c}",
    "flags{a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,ab,ac,ad,ae,af}",
    "future<string>",
    "stream<u8>",
    "stream<record{k:string,v:list<u8>}>",
    "list<tuple<string,list<list<u8>>>>", /* wrpc:http fields */
    "result<record{status:u16,headers:list<tuple<string,list<list<u8>>>>},"
    "variant{dns-timeout,dns-error(record{rcode:option<string>,info-code:option<u16>}),"
    "other(option<string>)}>",
    "own",
    "list<flags{a}>",
};
#define NTYPES (sizeof types / sizeof types[0])

static const char *const async_types[] = {
    "stream<u8>",
    "future<option<string>>",
    ("record{body:stream<u8>,trailers:future<option<list<tuple<string,list<list<u8>>>>>>,"
     "status:u16,headers:list<tuple<string,list<list<u8>>>>}"),
    "list<future<u32>>",
    "tuple<option<stream<string>>,result<future<u8>,stream<u8>>>",
    "stream<future<u8>>",
};
#define NASYNC (sizeof async_types / sizeof async_types[0])

static bool same_wire(const lat_buf_t *r1, const lat_wrpc_asyncs_t *a1,
                      const lat_buf_t *r2, const lat_wrpc_asyncs_t *a2) {
  if (r1->len != r2->len || (r1->len && memcmp(r1->data, r2->data, r1->len)) ||
      a1->n != a2->n)
    return false;
  for (size_t i = 0; i < a1->n; i++)
    if (!lat_wrpc_path_equal(&a1->items[i].path, &a2->items[i].path) ||
        a1->items[i].len != a2->items[i].len ||
        (a1->items[i].len &&
         memcmp(a1->items[i].data, a2->items[i].data, a1->items[i].len)))
      return false;
  return true;
}

/* The async mode (see the top). */
static void fuzz_async(uint8_t pick, const uint8_t *data, size_t size) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_wrpc_http_types_t http;
  if (lat_wrpc_http_types_init(&a, &http, NULL) != LAT_OK) abort();
  unsigned k = (pick & 0x7f) % (NASYNC + 2);
  const lat_ctype_t *t = k < NASYNC  ? wt_parse(&a, async_types[k])
                         : k == NASYNC ? http.request
                                       : http.handle_result;
  if (!t) abort(); /* a typo in the table */
  size_t rlen = size ? data[0] : 0;
  data += size ? 1 : 0;
  size -= size ? 1 : 0;
  if (rlen > size) rlen = size;
  const uint8_t *root = data;
  data += rlen;
  size -= rlen;
  lat_wrpc_asyncs_t in, o1, o2;
  lat_wrpc_asyncs_init(&in);
  lat_wrpc_asyncs_init(&o1);
  lat_wrpc_asyncs_init(&o2);
  lat_buf_t r1, r2;
  lat_buf_init(&r1);
  lat_buf_init(&r2);
  lat_error_t err;
  lat_wrpc_path_t *paths = NULL;
  size_t np = 0;
  lat_cval_t v, back;
  if (lat_wrpc_pending_paths(root, rlen, &t, 1, &a, &paths, &np, &err) != LAT_OK)
    goto out;
  for (size_t i = 0; i < np; i++) {
    size_t n = size ? data[0] : 0;
    data += size ? 1 : 0;
    size -= size ? 1 : 0;
    if (n > size) n = size;
    if (lat_wrpc_asyncs_add(&in, &paths[i], data, n, &err) != LAT_OK) abort();
    data += n;
    size -= n;
  }
  if (k == NASYNC) { /* the request as a struct, and back */
    lat_wrpc_http_request_t rq, rq2;
    if (lat_wrpc_http_request_decode(root, rlen, in.items, in.n, &a, &rq, &err) != LAT_OK)
      goto out;
    if (lat_wrpc_http_request_encode(&rq, &r1, &o1, &err) != LAT_OK ||
        lat_wrpc_http_request_decode(r1.data, r1.len, o1.items, o1.n, &a, &rq2, &err) ||
        rq2.body_len != rq.body_len || rq2.nheaders != rq.nheaders)
      abort();
    goto out;
  }
  if (k == NASYNC + 1) { /* a result: ok response or an error-code */
    lat_wrpc_http_response_t rs;
    lat_wrpc_http_error_t he;
    lat_status st = lat_wrpc_http_result_decode(root, rlen, in.items, in.n, &a, &rs,
                                                &he, &err);
    if (st == LAT_EINVALID && !he.name) abort();
    if (st == LAT_OK && lat_wrpc_http_result_encode(&rs, NULL, &r1, &o1, &err))
      abort();
    goto out;
  }
  if (lat_wrpc_decode_values_async(root, rlen, in.items, in.n, &t, 1, &a, &v, &err))
    goto out;
  /* a ready future or stream inside path data decodes, but the encoder
   * would have to give it a path of its own: refused */
  lat_status st = lat_wrpc_encode_values_async(&v, &t, 1, &r1, &o1, &err);
  if (st == LAT_EUNSUPPORTED) goto out;
  if (st != LAT_OK ||
      lat_wrpc_decode_values_async(r1.data, r1.len, o1.items, o1.n, &t, 1, &a, &back,
                                   &err) != LAT_OK ||
      lat_wrpc_encode_values_async(&back, &t, 1, &r2, &o2, &err) != LAT_OK ||
      !same_wire(&r1, &o1, &r2, &o2))
    abort();
out:
  lat_wrpc_asyncs_fini(&in);
  lat_wrpc_asyncs_fini(&o1);
  lat_wrpc_asyncs_fini(&o2);
  lat_buf_fini(&r1);
  lat_buf_fini(&r2);
  lat_arena_fini(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  lat_arena_t a;
  lat_arena_init(&a);
  uint8_t pick = data[0];
  data++;
  size--;
  if (pick & 0x80) {
    fuzz_async(pick, data, size);
    return 0;
  }
  lat_cval_t v[2], back[2];
  const lat_ctype_t *ts[2];
  uint32_t n = 1;
  lat_buf_t o, o2;
  lat_buf_init(&o);
  lat_buf_init(&o2);
  lat_error_t err;
  if (pick % (NTYPES + 1) == NTYPES) { /* (string, list<u32>) parameters */
    ts[0] = wt_parse(&a, "string");
    ts[1] = wt_parse(&a, "list<u32>");
    n = 2;
  } else {
    ts[0] = wt_parse(&a, types[pick % (NTYPES + 1)]);
  }
  if (!ts[0] || (n == 2 && !ts[1])) abort(); /* a typo in the table */
  if (lat_wrpc_decode_values(data, size, ts, n, &a, v, &err) != LAT_OK) {
    if (err.offset > size && err.offset != SIZE_MAX) abort(); /* offset lies */
    goto out;
  }
  if (lat_wrpc_encode_values(v, ts, n, &o, &err) != LAT_OK) abort();
  if (lat_wrpc_decode_values(o.data, o.len, ts, n, &a, back, &err) != LAT_OK)
    abort();
  if (lat_wrpc_encode_values(back, ts, n, &o2, &err) != LAT_OK) abort();
  if (o.len != o2.len || (o.len && memcmp(o.data, o2.data, o.len) != 0)) abort();
out:
  lat_buf_fini(&o);
  lat_buf_fini(&o2);
  lat_arena_fini(&a);
  return 0;
}
