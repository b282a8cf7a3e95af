/* The `types` world (wit/types.wit) implemented by hand against the
 * canonical ABI, so the test exercises every kind of WIT value through
 * lift and lower without a bindings generator: primitives, strings, lists
 * (of u32, of strings, of bytes), records, tuples, variants, enums, flags,
 * options, results, spilled parameters (17 > MAX_FLAT_PARAMS), results
 * returned through memory with post-return, a guest-defined resource
 * (constructor, methods, borrow parameter, destructor), and imports of a
 * host interface (strings and records lowered by the host into our memory
 * through cabi_realloc).  Built with wasi-libc as a reactor, packaged with
 * `jco embed` + `jco new --wasi-reactor`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define API "test:types/api@0.1.0"
#define EXPORT(n) __attribute__((export_name(API "#" n)))
#define POST(n) __attribute__((export_name("cabi_post_" API "#" n)))

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old, size_t align, size_t size) {
  (void)old;
  if (!size) return (void *)align;
  return realloc(ptr, size);
}

typedef struct { char *ptr; size_t len; } str_t;

/* Zero-length strings and lists come with a dangling pointer (cabi_realloc
 * returns `align` for size 0, as wit-bindgen's does): never free those. */
static void release(void *p, size_t n) {
  if (n) free(p);
}
typedef struct { int32_t x, y; str_t label; } point_t;

/* ---- host imports ---- */
__attribute__((import_module("test:types/host@0.1.0"), import_name("log")))
extern void host_log(const char *ptr, size_t len);
__attribute__((import_module("test:types/host@0.1.0"), import_name("transform")))
extern void host_transform(int32_t x, int32_t y, const char *ptr, size_t len, point_t *ret);

/* ---- resource counter ---- */
__attribute__((import_module("[export]" API), import_name("[resource-new]counter")))
extern int32_t counter_new(int32_t rep);
typedef struct { uint32_t value; } counter_t;
static uint32_t live_counters;

EXPORT("[constructor]counter") int32_t ctor(uint32_t start) {
  counter_t *c = malloc(sizeof *c);
  c->value = start;
  live_counters++;
  return counter_new((int32_t)(uintptr_t)c);
}
EXPORT("[method]counter.add") uint32_t counter_add(counter_t *c, uint32_t n) {
  return c->value += n;
}
EXPORT("[method]counter.value") uint32_t counter_value(counter_t *c) { return c->value; }
EXPORT("[dtor]counter") void counter_dtor(counter_t *c) {
  live_counters--;
  free(c);
}
EXPORT("total") uint32_t total(counter_t *c) { return c->value * 10; }
EXPORT("live") uint32_t live(void) { return live_counters; }

/* ---- values ---- */
typedef struct {
  uint8_t a; int8_t b; uint8_t c; int16_t d; uint16_t e; int32_t f; uint32_t g;
  int64_t h; uint64_t i; float j; double k; uint32_t l;
} prims_t;
static prims_t prims_ret;
EXPORT("prims") prims_t *prims(int32_t a, int32_t b, int32_t c, int32_t d, int32_t e,
                              int32_t f, int32_t g, int64_t h, int64_t i, float j,
                              double k, int32_t l) {
  prims_ret = (prims_t){(uint8_t)!a, (int8_t)(b - 1), (uint8_t)(c + 1), (int16_t)(d - 1),
                        (uint16_t)(e + 1), f - 1, (uint32_t)g + 1, h - 1, (uint64_t)i + 1,
                        j * 2, k / 2, (uint32_t)l + 1};
  return &prims_ret;
}

static str_t ret_str;
EXPORT("greet") str_t *greet(char *p, size_t n) {
  ret_str.ptr = malloc(n + 8);
  memcpy(ret_str.ptr, "Hello, ", 7);
  memcpy(ret_str.ptr + 7, p, n);
  ret_str.ptr[n + 7] = '!';
  ret_str.len = n + 8;
  release(p, n);
  return &ret_str;
}
POST("greet") void greet_post(str_t *r) { free(r->ptr); }

EXPORT("sum") uint64_t sum(uint32_t *xs, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; i++) s += xs[i];
  release(xs, n);
  return s;
}

typedef struct { str_t *ptr; size_t len; } strs_t;
static strs_t ret_strs;
EXPORT("reverse") strs_t *reverse(str_t *xs, size_t n) {
  for (size_t i = 0; i < n / 2; i++) {
    str_t t = xs[i];
    xs[i] = xs[n - 1 - i];
    xs[n - 1 - i] = t;
  }
  ret_strs.ptr = xs;
  ret_strs.len = n;
  return &ret_strs;
}
POST("reverse") void reverse_post(strs_t *r) {
  for (size_t i = 0; i < r->len; i++) release(r->ptr[i].ptr, r->ptr[i].len);
  release(r->ptr, r->len);
}

static point_t ret_point;
EXPORT("move-point") point_t *move_point(int32_t x, int32_t y, char *p, size_t n) {
  ret_point.x = x + 1;
  ret_point.y = y * 2;
  ret_point.label.ptr = realloc(n ? p : NULL, n + 1);
  ret_point.label.ptr[n] = '*';
  ret_point.label.len = n + 1;
  return &ret_point;
}
POST("move-point") void move_point_post(point_t *r) { free(r->label.ptr); }

typedef struct {
  uint8_t disc;
  union { double circle; struct { uint32_t w, h; } rect; } u;
} shape_t;
static shape_t ret_shape;
EXPORT("grow") shape_t *grow(int32_t disc, int64_t a, int32_t b) {
  ret_shape.disc = (uint8_t)disc;
  if (disc == 0) {
    double d;
    memcpy(&d, &a, 8);
    ret_shape.u.circle = d * 2;
  } else if (disc == 1) {
    ret_shape.u.rect.w = (uint32_t)a + 1;
    ret_shape.u.rect.h = (uint32_t)b + 1;
  } else {
    ret_shape.disc = 0; /* nothing grows into a unit circle */
    ret_shape.u.circle = 1;
  }
  return &ret_shape;
}

EXPORT("next-color") int32_t next_color(int32_t c) { return (c + 1) % 3; }
EXPORT("toggle") int32_t toggle(int32_t p) { return p ^ 7; }

static struct { uint8_t disc; uint32_t v; } ret_opt;
EXPORT("double") void *dbl(int32_t disc, uint32_t v) {
  ret_opt.disc = (uint8_t)disc;
  ret_opt.v = disc ? v * 2 : 0;
  return &ret_opt;
}

static struct { uint8_t disc; union { uint32_t ok; str_t err; } u; } ret_res;
EXPORT("check") void *check(int32_t x) {
  if (x >= 0) {
    ret_res.disc = 0;
    ret_res.u.ok = (uint32_t)x;
  } else {
    ret_res.disc = 1;
    ret_res.u.err.ptr = strdup("negative");
    ret_res.u.err.len = 8;
  }
  return &ret_res;
}
POST("check") void check_post(void *r) {
  if (ret_res.disc) free(ret_res.u.err.ptr);
  (void)r;
}

EXPORT("seventeen") uint32_t seventeen(uint32_t *args) {
  uint32_t s = 0;
  for (int i = 0; i < 17; i++) s = s * 3 + args[i];
  free(args);
  return s;
}

typedef struct { uint8_t *ptr; size_t len; } bytes_t;
static bytes_t ret_bytes;
EXPORT("bytes") bytes_t *bytes(uint8_t *b, size_t n) {
  for (size_t i = 0; i < n / 2; i++) {
    uint8_t t = b[i];
    b[i] = b[n - 1 - i];
    b[n - 1 - i] = t;
  }
  ret_bytes.ptr = b;
  ret_bytes.len = n;
  return &ret_bytes;
}
POST("bytes") void bytes_post(bytes_t *r) { release(r->ptr, r->len); }

EXPORT("via-host") point_t *via_host(int32_t x, int32_t y, char *p, size_t n) {
  host_log(p, n);
  point_t got;
  host_transform(x, y, p, n, &got);
  release(p, n);
  ret_point.x = got.x + 100;
  ret_point.y = got.y + 100;
  ret_point.label = got.label; /* allocated by the host's lowering */
  return &ret_point;
}
POST("via-host") void via_host_post(point_t *r) { release(r->label.ptr, r->label.len); }
