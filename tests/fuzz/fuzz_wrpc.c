/* Fuzz target: the wRPC value decoder (src/lattice/lattice_wrpc.c) on
 * untrusted bytes.  The first input byte picks one of the types below
 * (every WIT kind, nested shapes, the wRPC future/stream extensions and a
 * function's parameter tuple); the rest is decoded as a value of it.  A
 * decoded value must encode again, and that encoding must decode and
 * re-encode to the same bytes (the decoder accepts non-minimal LEB128 and
 * any NaN, the encoder writes one form).  Errors are fine; a crash, a
 * sanitizer report, a leak or a broken round trip is a finding.  Each
 * input gets its own arena, so the replay's leak check holds per input. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  lat_arena_t a;
  lat_arena_init(&a);
  uint8_t pick = data[0];
  data++;
  size--;
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
