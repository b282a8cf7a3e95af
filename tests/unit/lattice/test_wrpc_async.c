/* Unit tests for the async half of src/lattice/lattice_wrpc.c: futures and
 * streams with their data on index paths (PROTOCOL.md §4.3-4.4).  Exact
 * bytes of the root and of each path's data, written by hand from
 * wrpc-transport's value.rs: what we send (a ready future inline as 01 +
 * value, a ready stream as its one chunk, an empty one pending with the
 * end chunk 00 on its path) and what a Rust peer sends (everything
 * pending, the data on the paths: stream<u8> chunks, future<option>), at
 * the paths of nested records ([0,0] and [0,1]), of list elements, and of
 * option/result payloads (which push nothing); malformed path data, async
 * values nested in others' data (on a path or inline) and the caps are
 * refused with the right status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lattice/lattice.h"
#include "test.h"
#include "wrpc_types.h"

/* ---- values -------------------------------------------------------------------- */
static lat_cval_t *cv(lat_arena_t *a, lat_cval_t v) {
  lat_cval_t *p = lat_arena_alloc(a, sizeof *p);
  if (p) *p = v;
  return p;
}

/* A ready stream<u8> of the bytes of s. */
static lat_cval_t byte_stream(lat_arena_t *a, const char *s, size_t n) {
  lat_cval_t list = {.kind = LAT_CT_LIST,
                     .of.list = {NULL, (uint32_t)n, (const uint8_t *)s}};
  return (lat_cval_t){.kind = LAT_WRPC_CT_STREAM, .of.var = {1, cv(a, list)}};
}

/* A ready future of v. */
static lat_cval_t ready_future(lat_arena_t *a, lat_cval_t v) {
  return (lat_cval_t){.kind = LAT_WRPC_CT_FUTURE, .of.var = {1, cv(a, v)}};
}

static lat_cval_t opt_u32(bool some, uint32_t x, lat_arena_t *a) {
  lat_cval_t o = {.kind = LAT_CT_OPTION};
  if (some) {
    o.of.var.disc = 1;
    o.of.var.payload = cv(a, (lat_cval_t){.kind = LAT_CT_U32, .of.u = x});
  }
  return o;
}

static lat_wrpc_path_t path_of(uint32_t depth, const uint32_t *idx) {
  lat_wrpc_path_t p = {.depth = depth};
  memcpy(p.idx, idx, depth * sizeof *idx);
  return p;
}
#define PATH(...)                                                       \
  path_of(sizeof((uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t),         \
          (uint32_t[]){__VA_ARGS__})

/* Checks that root is want_hex and that asyncs holds exactly the items
 * given as (path text, data hex) pairs, in order. */
static void check_wire(const lat_buf_t *root, const lat_wrpc_asyncs_t *as,
                       const char *want_root, const char *const *items,
                       size_t nitems) {
  char got[512];
  wt_hex(root->data, root->len, got, sizeof got);
  if (strcmp(got, want_root) != 0)
    fprintf(stderr, "  root %s, want %s\n", got, want_root);
  CHECK_EQ_STR(got, want_root);
  CHECK_EQ_UINT(as->n, nitems);
  size_t bytes = 0;
  for (size_t i = 0; i < nitems && i < as->n; i++) {
    char path[128];
    lat_wrpc_path_format(&as->items[i].path, path, sizeof path);
    CHECK_EQ_STR(path, items[2 * i]);
    wt_hex(as->items[i].data, as->items[i].len, got, sizeof got);
    if (strcmp(got, items[2 * i + 1]) != 0)
      fprintf(stderr, "  path %s: %s, want %s\n", path, got, items[2 * i + 1]);
    CHECK_EQ_STR(got, items[2 * i + 1]);
    bytes += as->items[i].len;
  }
  CHECK_EQ_UINT(as->bytes, bytes);
}

/* Encodes vs (types ts), checks the wire, lists the pending paths, and
 * decodes back with the async data into out. */
static void roundtrip(lat_arena_t *a, const lat_cval_t *vs,
                      const lat_ctype_t *const *ts, uint32_t n,
                      const char *want_root, const char *const *items,
                      size_t nitems, lat_cval_t *out) {
  lat_buf_t root;
  lat_buf_init(&root);
  lat_wrpc_asyncs_t as;
  lat_wrpc_asyncs_init(&as);
  lat_error_t err;
  lat_status st = lat_wrpc_encode_values_async(vs, ts, n, &root, &as, &err);
  if (st) fprintf(stderr, "  encode: %s\n", err.msg);
  REQUIRE_OK(st);
  check_wire(&root, &as, want_root, items, nitems);
  lat_wrpc_path_t *paths = NULL;
  size_t np = 0;
  REQUIRE_OK(lat_wrpc_pending_paths(root.data, root.len, ts, n, a, &paths, &np, &err));
  CHECK_EQ_UINT(np, nitems);
  for (size_t i = 0; i < np && i < as.n; i++)
    CHECK(lat_wrpc_path_equal(&paths[i], &as.items[i].path));
  st = lat_wrpc_decode_values_async(root.data, root.len, as.items, as.n, ts, n, a,
                                    out, &err);
  if (st) fprintf(stderr, "  decode: %s\n", err.msg);
  CHECK_OK(st);
  /* the plain decoder leaves them pending */
  lat_cval_t plain[4];
  if (n <= 4) CHECK_OK(lat_wrpc_decode_values(root.data, root.len, ts, n, a, plain, &err));
  lat_wrpc_asyncs_fini(&as);
  lat_buf_fini(&root);
}

/* Decodes what a Rust peer sends: root (hex) with the data of items
 * (path text, data hex pairs) on their paths; the pending paths must be
 * exactly those of items, in order. */
static void decode_peer(lat_arena_t *a, const lat_ctype_t *const *ts, uint32_t n,
                        const char *root_hex, const char *const *items,
                        size_t nitems, lat_cval_t *out) {
  uint8_t root[64], data[8][64];
  size_t rn = wt_unhex(root_hex, root, sizeof root);
  lat_wrpc_async_t as[8];
  REQUIRE(nitems <= 8);
  for (size_t i = 0; i < nitems; i++) {
    const char *t = items[2 * i];
    as[i].path.depth = 0;
    for (;;) { /* "0.2.1" */
      as[i].path.idx[as[i].path.depth++] = (uint32_t)strtoul(t, (char **)&t, 10);
      if (*t++ != '.') break;
    }
    as[i].len = wt_unhex(items[2 * i + 1], data[i], sizeof data[i]);
    as[i].data = data[i];
  }
  lat_wrpc_path_t *paths = NULL;
  size_t np = 0;
  lat_error_t err;
  REQUIRE_OK(lat_wrpc_pending_paths(root, rn, ts, n, a, &paths, &np, &err));
  CHECK_EQ_UINT(np, nitems);
  for (size_t i = 0; i < np && i < nitems; i++)
    CHECK(lat_wrpc_path_equal(&paths[i], &as[i].path));
  lat_status st = lat_wrpc_decode_values_async(root, rn, as, nitems, ts, n, a, out, &err);
  if (st) fprintf(stderr, "  decode: %s\n", err.msg);
  CHECK_OK(st);
}

/* ---- exact bytes ------------------------------------------------------------------ */
TEST_IMPL(wrpc_async_stream_bytes) {
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *t = wt_parse(&a, "stream<u8>");
  REQUIRE(t);
  /* ready: inline, one chunk (LEB128 length + raw bytes), no path */
  lat_cval_t v = byte_stream(&a, "\x01\x02\x03", 3), back;
  roundtrip(&a, &v, &t, 1, "03 01 02 03", NULL, 0, &back);
  CHECK_EQ_UINT(back.of.var.disc, 1);
  CHECK_EQ_UINT(back.of.var.payload->of.list.n, 3);
  CHECK_EQ_MEM(back.of.var.payload->of.list.bytes, "\x01\x02\x03", 3);
  /* empty: inline it would read as pending, so pending with only the end
   * chunk on its path */
  v = byte_stream(&a, "", 0);
  roundtrip(&a, &v, &t, 1, "00", (const char *const[]){"0", "00"}, 1, &back);
  CHECK_EQ_UINT(back.of.var.disc, 1);
  CHECK_EQ_UINT(back.of.var.payload->of.list.n, 0);
  /* a Rust-style ready stream read inline: "abc" */
  decode_peer(&a, &t, 1, "03 61 62 63", NULL, 0, &back);
  REQUIRE(back.of.var.disc == 1 && back.of.var.payload);
  CHECK_EQ_UINT(back.of.var.payload->of.list.n, 3);
  CHECK_EQ_MEM(back.of.var.payload->of.list.bytes, "abc", 3);
  /* an empty chunk is pending: resolved from its path, as Rust sends it */
  decode_peer(&a, &t, 1, "00", (const char *const[]){"0", "03 61 62 63 00"}, 1, &back);
  REQUIRE(back.of.var.disc == 1 && back.of.var.payload);
  CHECK_EQ_MEM(back.of.var.payload->of.list.bytes, "abc", 3);
  lat_error_t err;
  CHECK_OK(lat_wrpc_decode_values((const uint8_t *)"\0", 1, &t, 1, &a, &back, &err));
  CHECK(back.of.var.disc == 0 && !back.of.var.payload); /* plain: left pending */
  /* 200 bytes: a two-byte LEB128 length, inline */
  static char big[200];
  memset(big, 'x', sizeof big);
  v = byte_stream(&a, big, sizeof big);
  lat_buf_t root;
  lat_buf_init(&root);
  lat_wrpc_asyncs_t as;
  lat_wrpc_asyncs_init(&as);
  REQUIRE_OK(lat_wrpc_encode_values_async(&v, &t, 1, &root, &as, &err));
  REQUIRE(as.n == 0 && root.len == 202);
  CHECK(root.data[0] == 0xc8 && root.data[1] == 0x01 && root.data[201] == 'x');
  /* several chunks from a peer (Rust writes one per body frame) join */
  uint8_t data[16];
  size_t n = wt_unhex("02 61 62 01 63 03 64 65 66 00", data, sizeof data);
  lat_wrpc_async_t one = {.path = PATH(0), .data = data, .len = n};
  REQUIRE_OK(lat_wrpc_decode_values_async((const uint8_t *)"\0", 1, &one, 1, &t, 1,
                                          &a, &back, &err));
  CHECK_EQ_UINT(back.of.var.payload->of.list.n, 6);
  CHECK_EQ_MEM(back.of.var.payload->of.list.bytes, "abcdef", 6);
  lat_wrpc_asyncs_fini(&as);
  lat_buf_fini(&root);
  lat_arena_fini(&a);
}

TEST_IMPL(wrpc_async_future_option) {
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *t = wt_parse(&a, "future<option<u32>>");
  REQUIRE(t);
  /* ready: inline, 01 + value */
  lat_cval_t v = ready_future(&a, opt_u32(true, 300, &a)), back;
  roundtrip(&a, &v, &t, 1, "01 01 ac 02", NULL, 0, &back);
  REQUIRE(back.of.var.disc == 1 && back.of.var.payload);
  CHECK_EQ_UINT(back.of.var.payload->of.var.disc, 1);
  CHECK_EQ_UINT(back.of.var.payload->of.var.payload->of.u, 300);
  v = ready_future(&a, opt_u32(false, 0, &a));
  roundtrip(&a, &v, &t, 1, "01 00", NULL, 0, &back);
  REQUIRE(back.of.var.disc == 1 && back.of.var.payload);
  CHECK_EQ_UINT(back.of.var.payload->of.var.disc, 0);
  /* pending, the value on its path: what a Rust peer sends */
  decode_peer(&a, &t, 1, "00", (const char *const[]){"0", "01 ac 02"}, 1, &back);
  REQUIRE(back.of.var.disc == 1 && back.of.var.payload);
  CHECK_EQ_UINT(back.of.var.payload->of.var.payload->of.u, 300);
  decode_peer(&a, &t, 1, "00", (const char *const[]){"0", "00"}, 1, &back);
  REQUIRE(back.of.var.disc == 1 && back.of.var.payload);
  CHECK_EQ_UINT(back.of.var.payload->of.var.disc, 0);
  /* stream<T> of a non-byte type: count + elements in one chunk */
  const lat_ctype_t *ts = wt_parse(&a, "stream<string>");
  REQUIRE(ts);
  lat_cval_t strs[2] = {{.kind = LAT_CT_STRING, .of.str = {"a", 1}},
                        {.kind = LAT_CT_STRING, .of.str = {"bc", 2}}};
  lat_cval_t list = {.kind = LAT_CT_LIST, .of.list = {strs, 2, NULL}};
  v = (lat_cval_t){.kind = LAT_WRPC_CT_STREAM, .of.var = {1, &list}};
  roundtrip(&a, &v, &ts, 1, "02 01 61 02 62 63", NULL, 0, &back);
  REQUIRE(back.of.var.payload->of.list.n == 2);
  CHECK_EQ_MEM(back.of.var.payload->of.list.v[1].of.str.ptr, "bc", 2);
  /* chunks of strings joined: ["a"], ["bc", ""] */
  uint8_t data[16];
  size_t n = wt_unhex("01 01 61 02 02 62 63 00 00", data, sizeof data);
  lat_wrpc_async_t one = {.path = PATH(0), .data = data, .len = n};
  lat_error_t err;
  REQUIRE_OK(lat_wrpc_decode_values_async((const uint8_t *)"\0", 1, &one, 1, &ts, 1,
                                          &a, &back, &err));
  REQUIRE(back.of.var.payload->of.list.n == 3);
  CHECK_EQ_MEM(back.of.var.payload->of.list.v[0].of.str.ptr, "a", 1);
  CHECK_EQ_MEM(back.of.var.payload->of.list.v[1].of.str.ptr, "bc", 2);
  CHECK_EQ_UINT(back.of.var.payload->of.list.v[2].of.str.len, 0);
  lat_arena_fini(&a);
}

/* The params (u8, record{a: stream<u8>, b: future<option<u32>>}): the
 * record's fields sit at [1,0] and [1,1]; as the only param at [0,0] and
 * [0,1] (wrpc:http's body and trailers). */
TEST_IMPL(wrpc_async_record_paths) {
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *rt = wt_parse(&a, "record{a:stream<u8>,b:future<option<u32>>}");
  REQUIRE(rt);
  /* all ready and the stream not empty: the root alone */
  lat_cval_t f[2] = {byte_stream(&a, "hi", 2), ready_future(&a, opt_u32(true, 7, &a))};
  lat_cval_t rec = {.kind = LAT_CT_RECORD, .of.list = {f, 2, NULL}}, back[2];
  roundtrip(&a, &rec, &rt, 1, "02 68 69 01 01 07", NULL, 0, back);
  CHECK_EQ_MEM(back[0].of.list.v[0].of.var.payload->of.list.bytes, "hi", 2);
  CHECK_EQ_UINT(back[0].of.list.v[1].of.var.payload->of.var.payload->of.u, 7);
  /* an empty stream goes on its path, [0,0] */
  f[0] = byte_stream(&a, "", 0);
  roundtrip(&a, &rec, &rt, 1, "00 01 01 07", (const char *const[]){"0.0", "00"}, 1,
            back);
  CHECK_EQ_UINT(back[0].of.list.v[0].of.var.payload->of.list.n, 0);
  const lat_ctype_t *ts[2] = {lat_ctype_prim(LAT_CT_U8), rt};
  lat_cval_t vs[2] = {{.kind = LAT_CT_U8, .of.u = 9}, rec};
  roundtrip(&a, vs, ts, 2, "09 00 01 01 07", (const char *const[]){"1.0", "00"}, 1,
            back);
  CHECK_EQ_UINT(back[0].of.u, 9);
  CHECK_EQ_UINT(back[1].of.list.v[1].of.var.payload->of.var.payload->of.u, 7);
  /* both pending, as a Rust peer sends them: [0,0] and [0,1], [1,0] and
   * [1,1] */
  decode_peer(&a, &rt, 1, "00 00",
              (const char *const[]){"0.0", "02 68 69 00", "0.1", "01 07"}, 2, back);
  CHECK_EQ_MEM(back[0].of.list.v[0].of.var.payload->of.list.bytes, "hi", 2);
  CHECK_EQ_UINT(back[0].of.list.v[1].of.var.payload->of.var.payload->of.u, 7);
  decode_peer(&a, ts, 2, "09 00 00",
              (const char *const[]){"1.0", "02 68 69 00", "1.1", "01 07"}, 2, back);
  CHECK_EQ_UINT(back[0].of.u, 9);
  CHECK_EQ_MEM(back[1].of.list.v[0].of.var.payload->of.list.bytes, "hi", 2);
  lat_arena_fini(&a);
}

/* option, result and variant push nothing; list elements push their
 * index; tuples their position. */
TEST_IMPL(wrpc_async_container_paths) {
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *t = wt_parse(
      &a, "tuple<option<future<u8>>,result<stream<u8>,string>,list<future<u8>>>");
  REQUIRE(t);
  lat_cval_t u8s[3] = {{.kind = LAT_CT_U8, .of.u = 1},
                       {.kind = LAT_CT_U8, .of.u = 2},
                       {.kind = LAT_CT_U8, .of.u = 3}};
  lat_cval_t futs[2] = {ready_future(&a, u8s[1]), ready_future(&a, u8s[2])};
  lat_cval_t f[3] = {
      {.kind = LAT_CT_OPTION, .of.var = {1, cv(&a, ready_future(&a, u8s[0]))}},
      {.kind = LAT_CT_RESULT, .of.var = {0, cv(&a, byte_stream(&a, "z", 1))}},
      {.kind = LAT_CT_LIST, .of.list = {futs, 2, NULL}}};
  lat_cval_t v = {.kind = LAT_CT_TUPLE, .of.list = {f, 3, NULL}}, back;
  /* all ready: inline (some(01 + 1), ok(chunk "z"), [01 + 2, 01 + 3]) */
  roundtrip(&a, &v, &t, 1, "01 01 01 00 01 7a 02 01 02 01 03", NULL, 0, &back);
  CHECK_EQ_UINT(back.of.list.v[0].of.var.payload->of.var.payload->of.u, 1);
  CHECK_EQ_MEM(back.of.list.v[1].of.var.payload->of.var.payload->of.list.bytes, "z", 1);
  CHECK_EQ_UINT(back.of.list.v[2].of.list.v[1].of.var.payload->of.u, 3);
  /* all pending, as Rust sends them: the paths */
  decode_peer(&a, &t, 1, "01 00 00 00 02 00 00",
              (const char *const[]){"0.0", "01", "0.1", "01 7a 00", "0.2.0", "02",
                                    "0.2.1", "03"},
              4, &back);
  CHECK_EQ_UINT(back.of.list.v[0].of.var.payload->of.var.payload->of.u, 1);
  CHECK_EQ_MEM(back.of.list.v[1].of.var.payload->of.var.payload->of.list.bytes, "z", 1);
  CHECK_EQ_UINT(back.of.list.v[2].of.list.v[1].of.var.payload->of.u, 3);
  /* an empty stream in a result: the result pushes nothing, [0,1] */
  f[1].of.var.payload = cv(&a, byte_stream(&a, "", 0));
  roundtrip(&a, &v, &t, 1, "01 01 01 00 00 02 01 02 01 03",
            (const char *const[]){"0.1", "00"}, 1, &back);
  lat_arena_fini(&a);
}

/* Ready values inline (a future's 0x01 + value, a stream's non-empty
 * chunk) need no path data; a value already pending in the tree is sent
 * pending with no data (the caller's to send). */
TEST_IMPL(wrpc_async_ready_inline) {
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *ts[2] = {wt_parse(&a, "future<u8>"), wt_parse(&a, "stream<u8>")};
  REQUIRE(ts[0] && ts[1]);
  uint8_t root[8];
  size_t n = wt_unhex("01 05 02 aa bb", root, sizeof root);
  lat_wrpc_path_t *paths = NULL;
  size_t np = 9;
  lat_error_t err;
  REQUIRE_OK(lat_wrpc_pending_paths(root, n, ts, 2, &a, &paths, &np, &err));
  CHECK_EQ_UINT(np, 0);
  lat_cval_t back[2];
  REQUIRE_OK(lat_wrpc_decode_values_async(root, n, NULL, 0, ts, 2, &a, back, &err));
  CHECK_EQ_UINT(back[0].of.var.payload->of.u, 5);
  REQUIRE(back[1].of.var.disc == 1 && back[1].of.var.payload);
  CHECK_EQ_UINT(back[1].of.var.payload->of.list.n, 2);
  CHECK_EQ_MEM(back[1].of.var.payload->of.list.bytes, "\xaa\xbb", 2);
  /* one ready, one pending: only the pending one has a path */
  n = wt_unhex("01 05 00", root, sizeof root);
  REQUIRE_OK(lat_wrpc_pending_paths(root, n, ts, 2, &a, &paths, &np, &err));
  REQUIRE(np == 1);
  CHECK(lat_wrpc_path_equal(&paths[0], &(lat_wrpc_path_t){1, {1}}));
  /* encoding a pending value: 00 and no data */
  lat_cval_t pend[2] = {{.kind = LAT_WRPC_CT_FUTURE}, {.kind = LAT_WRPC_CT_STREAM}};
  lat_buf_t o;
  lat_buf_init(&o);
  lat_wrpc_asyncs_t as;
  lat_wrpc_asyncs_init(&as);
  REQUIRE_OK(lat_wrpc_encode_values_async(pend, ts, 2, &o, &as, &err));
  check_wire(&o, &as, "00 00", NULL, 0);
  lat_wrpc_asyncs_fini(&as);
  lat_buf_fini(&o);
  lat_arena_fini(&a);
}

/* ---- refusals ---------------------------------------------------------------------- */
static const struct {
  const char *type, *root, *path, *data;
  lat_status st;
  size_t offset;
} bad_data[] = {
    {"stream<u8>", "00", NULL, NULL, LAT_EMALFORMED, 0},     /* no data came */
    {"stream<u8>", "00", "0", "", LAT_EMALFORMED, 0},        /* no end chunk */
    {"stream<u8>", "00", "0", "02 61 62", LAT_EMALFORMED, 3}, /* ditto */
    {"stream<u8>", "00", "0", "05 61", LAT_EMALFORMED, 0},   /* count > bytes */
    {"stream<u8>", "00", "0", "00 00", LAT_EMALFORMED, 1},   /* after the end */
    {"stream<u8>", "00", "1", "00", LAT_EMALFORMED, 0},      /* other path */
    {"stream<u8>", "00", "0", "80 80 80 80 80 01", LAT_EMALFORMED, 0},
    {"stream<string>", "00", "0", "01 02 c3 28 00", LAT_EMALFORMED, 2},
    {"future<u8>", "00", "0", "", LAT_EMALFORMED, 0},
    {"future<u8>", "00", "0", "05 06", LAT_EMALFORMED, 1},
    {"future<option<u8>>", "00", "0", "02", LAT_EMALFORMED, 0},
    {"future<u8>", "02", NULL, NULL, LAT_EMALFORMED, 0},     /* root byte */
    {"stream<u8>", "03 61", NULL, NULL, LAT_EMALFORMED, 0},  /* inline chunk short */
    /* a pending value inside path data would need a path of its own */
    {"stream<future<u8>>", "00", "0", "01 00 00", LAT_EUNSUPPORTED, 1},
    {"future<stream<u8>>", "00", "0", "00", LAT_EUNSUPPORTED, 0},
    /* and inside an inline value: refused as well (we never send one) */
    {"stream<future<u8>>", "01 00", NULL, NULL, LAT_EUNSUPPORTED, 1},
    {"future<stream<u8>>", "01 00", NULL, NULL, LAT_EUNSUPPORTED, 1},
    {"future<future<u8>>", "01 00", "0", "05", LAT_EUNSUPPORTED, 1},
};

TEST_IMPL(wrpc_async_malformed) {
  for (size_t i = 0; i < sizeof bad_data / sizeof bad_data[0]; i++) {
    lat_arena_t a;
    lat_arena_init(&a);
    const lat_ctype_t *t = wt_parse(&a, bad_data[i].type);
    REQUIRE(t);
    uint8_t root[16], data[16];
    size_t rn = wt_unhex(bad_data[i].root, root, sizeof root), dn = 0;
    lat_wrpc_async_t one = {0};
    if (bad_data[i].path) {
      dn = wt_unhex(bad_data[i].data, data, sizeof data);
      one.path.depth = 1;
      one.path.idx[0] = (uint32_t)(bad_data[i].path[0] - '0');
      one.data = dn ? data : NULL;
      one.len = dn;
    }
    lat_cval_t v;
    lat_error_t err;
    memset(&err, 0, sizeof err);
    lat_status st = lat_wrpc_decode_values_async(root, rn, &one,
                                                 bad_data[i].path ? 1 : 0, &t, 1,
                                                 &a, &v, &err);
    if (st != bad_data[i].st || err.offset != bad_data[i].offset)
      fprintf(stderr, "  %s [%s] [%s]: %s at %zu (%s)\n", bad_data[i].type,
              bad_data[i].root, bad_data[i].data ? bad_data[i].data : "-",
              lat_status_name(st), err.offset, err.msg);
    CHECK_ST(st, bad_data[i].st);
    CHECK_EQ_UINT(err.offset, bad_data[i].offset);
    CHECK(err.msg[0] != 0);
    /* errors in a path's data name the path */
    if (bad_data[i].path && st == LAT_EMALFORMED && bad_data[i].path[0] == '0')
      CHECK(strstr(err.msg, "path 0") != NULL);
    lat_arena_fini(&a);
  }
  /* encoding: a ready async value inside another's data */
  lat_arena_t a;
  lat_arena_init(&a);
  const lat_ctype_t *t = wt_parse(&a, "future<future<u8>>");
  REQUIRE(t);
  lat_cval_t inner = ready_future(&a, (lat_cval_t){.kind = LAT_CT_U8, .of.u = 1});
  lat_cval_t v = ready_future(&a, inner);
  lat_buf_t o;
  lat_buf_init(&o);
  lat_wrpc_asyncs_t as;
  lat_wrpc_asyncs_init(&as);
  lat_error_t err;
  CHECK_ST(lat_wrpc_encode_values_async(&v, &t, 1, &o, &as, &err), LAT_EUNSUPPORTED);
  CHECK_EQ_UINT(o.len, 0);
  CHECK_EQ_UINT(as.n, 0);
  /* ... inside a ready stream's elements (inline) */
  const lat_ctype_t *sf = wt_parse(&a, "stream<future<u8>>");
  REQUIRE(sf);
  lat_cval_t el = {.kind = LAT_CT_LIST, .of.list = {&inner, 1, NULL}};
  v = (lat_cval_t){.kind = LAT_WRPC_CT_STREAM, .of.var = {1, &el}};
  CHECK_ST(lat_wrpc_encode_values_async(&v, &sf, 1, &o, &as, &err), LAT_EUNSUPPORTED);
  CHECK_EQ_UINT(o.len, 0);
  /* a stream case out of range */
  v.of.var.disc = 2;
  CHECK_ST(lat_wrpc_encode_values_async(&v, &sf, 1, &o, &as, &err), LAT_EARG);
  CHECK_ST(lat_wrpc_encode(&v, sf, &o, &err), LAT_EARG);
  /* a ready stream without its list */
  const lat_ctype_t *st = wt_parse(&a, "stream<u8>");
  v = (lat_cval_t){.kind = LAT_WRPC_CT_STREAM, .of.var = {1, NULL}};
  CHECK_ST(lat_wrpc_encode_values_async(&v, &st, 1, &o, &as, &err), LAT_EARG);
  /* a failure after some data was appended (an empty stream's end chunk)
   * leaves both as they were */
  const lat_ctype_t *ts[2] = {st, lat_ctype_prim(LAT_CT_CHAR)};
  lat_cval_t vs[2] = {byte_stream(&a, "", 0), {.kind = LAT_CT_CHAR, .of.c = 0xd800}};
  REQUIRE_OK(lat_buf_push(&o, 0x42));
  CHECK_ST(lat_wrpc_encode_values_async(vs, ts, 2, &o, &as, &err), LAT_EARG);
  CHECK_EQ_UINT(o.len, 1);
  CHECK_EQ_UINT(as.n, 0);
  CHECK_EQ_UINT(as.bytes, 0);
  lat_wrpc_asyncs_fini(&as);
  lat_buf_fini(&o);
  lat_arena_fini(&a);
}

/* Caps: paths deeper than LAT_WRPC_MAX_PATH, more than LAT_WRPC_MAX_ASYNC
 * async values, bad paths given to asyncs_add. */
TEST_IMPL(wrpc_async_caps) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_error_t err;
  /* 40 nested records around an empty stream: its path (it needs one)
   * has 41 indexes */
  const lat_ctype_t *t = wt_parse(&a, "stream<u8>");
  lat_cval_t v = byte_stream(&a, "", 0), vx = byte_stream(&a, "x", 1);
  for (int i = 0; i < 40; i++) {
    lat_cfield_t f = {"f", t};
    t = lat_wrpc_type_record(&a, &f, 1);
    REQUIRE(t);
    v = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {cv(&a, v), 1, NULL}};
    vx = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {cv(&a, vx), 1, NULL}};
  }
  lat_buf_t o;
  lat_buf_init(&o);
  lat_wrpc_asyncs_t as;
  lat_wrpc_asyncs_init(&as);
  CHECK_ST(lat_wrpc_encode_values_async(&v, &t, 1, &o, &as, &err), LAT_ELIMIT);
  CHECK_EQ_UINT(o.len, 0);
  /* a non-empty one there is inline: no path, fine */
  CHECK_OK(lat_wrpc_encode_values_async(&vx, &t, 1, &o, &as, &err));
  CHECK(o.len == 2 && as.n == 0);
  lat_wrpc_path_t *paths;
  size_t np;
  CHECK_ST(lat_wrpc_pending_paths((const uint8_t *)"\0", 1, &t, 1, &a, &paths, &np, &err),
           LAT_ELIMIT);
  /* without an async value in it the same depth is fine */
  const lat_ctype_t *plain = lat_ctype_prim(LAT_CT_U8);
  lat_cval_t pv = {.kind = LAT_CT_U8, .of.u = 1};
  lat_ctype_builder_t b = {.arena = &a};
  for (int i = 0; i < 40; i++) {
    lat_cfield_t f = {"f", plain};
    plain = lat_ctype_record(&b, &f, 1);
    pv = (lat_cval_t){.kind = LAT_CT_RECORD, .of.list = {cv(&a, pv), 1, NULL}};
  }
  REQUIRE(plain);
  CHECK_OK(lat_wrpc_encode_values_async(&pv, &plain, 1, &o, &as, &err));
  /* LAT_WRPC_MAX_ASYNC + 1 pending futures in a list */
  const lat_ctype_t *lt = wt_parse(&a, "list<future<u8>>");
  REQUIRE(lt);
  lat_buf_t r;
  lat_buf_init(&r);
  REQUIRE_OK(lat_buf_write_uleb(&r, LAT_WRPC_MAX_ASYNC + 1));
  for (unsigned i = 0; i <= LAT_WRPC_MAX_ASYNC; i++) REQUIRE_OK(lat_buf_push(&r, 0));
  CHECK_ST(lat_wrpc_pending_paths(r.data, r.len, &lt, 1, &a, &paths, &np, &err),
           LAT_ELIMIT);
  r.data[1] = 0x08; /* 0x400 = exactly LAT_WRPC_MAX_ASYNC: fine */
  r.data[0] = 0x80;
  r.len--;
  REQUIRE(LAT_WRPC_MAX_ASYNC == 0x400);
  CHECK_OK(lat_wrpc_pending_paths(r.data, r.len, &lt, 1, &a, &paths, &np, &err));
  CHECK_EQ_UINT(np, LAT_WRPC_MAX_ASYNC);
  /* the same many ready futures on encode: inline, no paths, fine */
  lat_cval_t *fs = lat_arena_array(&a, LAT_WRPC_MAX_ASYNC + 1, sizeof *fs);
  REQUIRE(fs);
  for (unsigned i = 0; i <= LAT_WRPC_MAX_ASYNC; i++)
    fs[i] = ready_future(&a, (lat_cval_t){.kind = LAT_CT_U8, .of.u = i & 0xff});
  lat_cval_t lv = {.kind = LAT_CT_LIST, .of.list = {fs, LAT_WRPC_MAX_ASYNC + 1, NULL}};
  size_t mark = o.len;
  CHECK_OK(lat_wrpc_encode_values_async(&lv, &lt, 1, &o, &as, &err));
  CHECK_EQ_UINT(o.len, mark + 2 + 2 * (LAT_WRPC_MAX_ASYNC + 1));
  CHECK_EQ_UINT(as.n, 0);
  /* as many empty streams each need a path: refused */
  const lat_ctype_t *ls = wt_parse(&a, "list<stream<u8>>");
  REQUIRE(ls);
  for (unsigned i = 0; i <= LAT_WRPC_MAX_ASYNC; i++) fs[i] = byte_stream(&a, "", 0);
  mark = o.len;
  CHECK_ST(lat_wrpc_encode_values_async(&lv, &ls, 1, &o, &as, &err), LAT_ELIMIT);
  CHECK_EQ_UINT(o.len, mark);
  CHECK_EQ_UINT(as.n, 0);
  /* asyncs_add */
  lat_wrpc_path_t p0 = {0}, deep = {.depth = LAT_WRPC_MAX_PATH + 1};
  CHECK_ST(lat_wrpc_asyncs_add(&as, &p0, NULL, 0, &err), LAT_EARG);
  CHECK_ST(lat_wrpc_asyncs_add(&as, &deep, NULL, 0, &err), LAT_EARG);
  lat_wrpc_path_t p = PATH(3, 4000000000u);
  CHECK_OK(lat_wrpc_asyncs_add(&as, &p, (const uint8_t *)"ab", 2, &err));
  char text[32];
  CHECK_EQ_UINT(lat_wrpc_path_format(&p, text, sizeof text), 12);
  CHECK_EQ_STR(text, "3.4000000000");
  CHECK_EQ_UINT(lat_wrpc_path_format(&p, text, 4), 12); /* truncated, terminated */
  CHECK(strlen(text) < 4);
  CHECK(lat_wrpc_async_find(as.items, as.n, &p) == &as.items[0]);
  CHECK(as.bytes == 2);
  lat_wrpc_asyncs_fini(&as);
  lat_wrpc_asyncs_fini(NULL);
  lat_buf_fini(&r);
  lat_buf_fini(&o);
  lat_arena_fini(&a);
}
