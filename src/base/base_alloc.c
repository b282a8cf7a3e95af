/* Allocation hooks, growable buffers and arenas.
 *
 * The hooks are process-wide and set before threads start (tests count
 * allocations and inject failures through them); by default they are libc.
 * Arenas hand out zeroed, 16-byte aligned blocks from chunks that grow
 * geometrically; large requests get a chunk of their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

static lat_alloc_hooks_t hooks;

void lat_alloc_set_hooks(const lat_alloc_hooks_t *h) {
  if (h)
    hooks = *h;
  else
    memset(&hooks, 0, sizeof hooks);
}

void *lat_malloc(size_t n) {
  if (n == 0) n = 1;
  return hooks.malloc_fn ? hooks.malloc_fn(n, hooks.ctx) : malloc(n);
}

void *lat_calloc(size_t count, size_t size) {
  size_t n;
  if (!lat_mul_size(count, size, &n)) return NULL;
  void *p = lat_malloc(n);
  if (p) memset(p, 0, n);
  return p;
}

void *lat_realloc(void *p, size_t n) {
  if (n == 0) n = 1;
  return hooks.realloc_fn ? hooks.realloc_fn(p, n, hooks.ctx) : realloc(p, n);
}

void lat_free(void *p) {
  if (!p) return;
  if (hooks.free_fn)
    hooks.free_fn(p, hooks.ctx);
  else
    free(p);
}

char *lat_strndup(const char *s, size_t n) {
  char *d = lat_malloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* ---- buffers ---- */

void lat_buf_init(lat_buf_t *b) { memset(b, 0, sizeof *b); }

void lat_buf_fini(lat_buf_t *b) {
  if (!b) return;
  lat_free(b->data);
  memset(b, 0, sizeof *b);
}

lat_status lat_buf_reserve(lat_buf_t *b, size_t extra) {
  size_t need;
  if (!lat_add_size(b->len, extra, &need)) return LAT_ENOMEM;
  if (need <= b->cap) return LAT_OK;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  uint8_t *d = lat_realloc(b->data, cap);
  if (!d) return LAT_ENOMEM;
  b->data = d;
  b->cap = cap;
  return LAT_OK;
}

lat_status lat_buf_append(lat_buf_t *b, const void *p, size_t n) {
  if (n == 0) return LAT_OK;
  lat_status s = lat_buf_reserve(b, n);
  if (s) return s;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return LAT_OK;
}

lat_status lat_buf_push(lat_buf_t *b, uint8_t byte) {
  return lat_buf_append(b, &byte, 1);
}

lat_status lat_buf_printf(lat_buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return LAT_EARG;
  lat_status s = lat_buf_reserve(b, (size_t)n + 1);
  if (s) return s;
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return LAT_OK;
}

lat_status lat_buf_write_uleb(lat_buf_t *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    tmp[n++] = byte;
  } while (v);
  return lat_buf_append(b, tmp, n);
}

lat_status lat_buf_write_sleb(lat_buf_t *b, int64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  for (;;) {
    uint8_t byte = v & 0x7f;
    v >>= 7; /* arithmetic shift on gcc and clang */
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    if (!done) byte |= 0x80;
    tmp[n++] = byte;
    if (done) break;
  }
  return lat_buf_append(b, tmp, n);
}

uint8_t *lat_buf_steal(lat_buf_t *b, size_t *out_len) {
  uint8_t *d = b->data;
  if (out_len) *out_len = b->len;
  memset(b, 0, sizeof *b);
  return d;
}

/* ---- arenas ---- */

struct lat_arena_chunk {
  lat_arena_chunk_t *next;
  size_t size; /* usable bytes after the header */
  _Alignas(16) unsigned char data[];
};

void lat_arena_init(lat_arena_t *a) { memset(a, 0, sizeof *a); }

void lat_arena_fini(lat_arena_t *a) {
  if (!a) return;
  lat_arena_chunk_t *c = a->head;
  while (c) {
    lat_arena_chunk_t *n = c->next;
    lat_free(c);
    c = n;
  }
  memset(a, 0, sizeof *a);
}

void *lat_arena_alloc(lat_arena_t *a, size_t n) {
  if (n == 0) n = 1;
  if (n > SIZE_MAX - 64) return NULL;
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->head->size - a->used < n) {
    size_t size = a->head ? a->head->size * 2 : 4096;
    if (size > (1u << 20)) size = 1u << 20;
    if (size < n) size = n;
    lat_arena_chunk_t *c = lat_malloc(sizeof *c + size);
    if (!c) return NULL;
    c->size = size;
    if (a->head && n > a->head->size - a->used && size == n) {
      /* oversized request: keep the current head for small ones */
      c->next = a->head->next;
      a->head->next = c;
      memset(c->data, 0, n);
      a->total += n;
      return c->data;
    }
    c->next = a->head;
    a->head = c;
    a->used = 0;
  }
  void *p = a->head->data + a->used;
  a->used += n;
  a->total += n;
  memset(p, 0, n);
  return p;
}

void *lat_arena_array(lat_arena_t *a, size_t count, size_t size) {
  size_t n;
  if (!lat_mul_size(count, size, &n)) return NULL;
  return lat_arena_alloc(a, n);
}
