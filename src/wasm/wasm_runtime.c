/* wasm_runtime.c: stores, instances, linking, and the memory, table, global
 * and function objects of the engine.
 *
 * Ownership: a store owns every object created in it (a flat list of
 * (kind, pointer) freed with the store), so objects can be shared between
 * instances of one store (imports/exports) without reference counts.
 *
 * Linear memory reserves its whole maximum (the type's max, capped by the
 * store's limit; 4 GiB when unbounded) as PROT_NONE address space once and
 * grows in place with mprotect, so the base never moves and the interpreter
 * may cache it across calls.  Bounds are checked explicitly by the
 * interpreter; the reservation only guarantees that growth never copies.
 * (Guard pages with a SIGSEGV handler were rejected for now: converting a
 * fault into a trap needs a non-local jump out of interpreter frames, which
 * CONVENTIONS.md rules out.)
 *
 * Instantiation follows the spec order: resolve and type-check imports,
 * allocate functions, tags, tables, memories, evaluate globals in order, apply
 * active element segments then active data segments (each bounds-checked as
 * it is applied, so a trap leaves the earlier effects in place, as
 * linking.wast requires), drop active and declarative segments, run start.
 *
 * 3.0 objects.  A 64-bit memory or table is capped like any other (4 GiB,
 * the store's element cap), which the interpreter relies on.  A tag is a
 * store object whose identity is its address; an exception (lat__exn_t)
 * is a store object too, freed with the store, as nothing else can tell
 * when the last exnref to it is gone.
 *
 * Instantiation cost.  An instance is one allocation: its index-space arrays,
 * the function objects of its defined functions and its defined globals sit
 * in the same block, freed with the instance.  When the module has a memory
 * image (wasm_module.c), the active data segments are applied by mapping it
 * copy-on-write at the point where they would be copied, so their order
 * relative to element segments is unchanged.  The value stack is reserved on
 * the first call into wasm, not with the store: a store that only
 * instantiates modules without start functions never maps it.
 *
 * Pool.  With limits.pool, memories and value stacks come from the pool and
 * go back to it reset, so churn costs work proportional to the pages used,
 * not to the 4 GiB reserved.  A small memory with no mapped image (at most
 * LAT_POOL_KEEP_RESIDENT bytes) goes back zeroed by memset, its pages
 * resident and its whole read-write prefix kept (bounds are checked
 * explicitly, so pages beyond the size need no PROT_NONE): any later memory
 * no larger than that prefix takes it with no system call, and no page
 * fault.  In a threaded server this matters most: MADV_DONTNEED, munmap and
 * mprotect-to-none on a shared address space each interrupt every other
 * core for a TLB shootdown.  A larger memory, or one with its image mapped,
 * goes back with MADV_DONTNEED over its pages and its growth made PROT_NONE
 * again: its minimum stays writable and the image stays mapped, and since
 * DONTNEED brings a private file mapping back to the file's contents, the
 * region is again exactly a fresh memory of that module (Wasmtime's slot
 * affinity); the next memory of that module takes it as is, any other
 * after a fresh PROT_NONE mapping over the used part.  The region keeps the
 * module retained while it holds its image.  A stack keeps
 * LAT_POOL_KEEP_RESIDENT bytes at each end as they are (the interpreter
 * zeroes every frame's locals and writes every other slot and call record
 * before reading it, so nothing of an earlier store is visible) and gets
 * MADV_DONTNEED in between, which costs no shootdown when the store never
 * went that deep (its mapping has no transparent huge pages for that).  The pool is the
 * embedder's object, not global state.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wasm_int.h"

enum { OBJ_FUNC, OBJ_TABLE, OBJ_MEMORY, OBJ_GLOBAL, OBJ_INSTANCE, OBJ_TAG, OBJ_EXN };

#define DEFAULT_MAX_TABLE 10000000u
#define DEFAULT_CALL_DEPTH 20000u
#define DEFAULT_STACK_BYTES (8u << 20)
#define MAX_CONST_STACK 1024u

static const char *const trap_messages[] = {
#define LAT_X_TRAP_MSG(code, msg) msg,
    LAT_TRAP_LIST(LAT_X_TRAP_MSG)
#undef LAT_X_TRAP_MSG
};

const char *lat_wasm_trap_message(lat_wasm_trap_t t) {
  return (unsigned)t < LAT_TRAP_COUNT ? trap_messages[t] : "unknown trap";
}

const char *lat_wasm_valtype_name(uint8_t t) {
  switch (t) {
    case LAT_I32: return "i32";
    case LAT_I64: return "i64";
    case LAT_F32: return "f32";
    case LAT_F64: return "f64";
    case LAT_V128: return "v128";
    case LAT_FUNCREF: return "funcref";
    case LAT_EXTERNREF: return "externref";
    case LAT_EXNREF: return "exnref";
  }
  return "?";
}

/* ---- pool ------------------------------------------------------------------ */

enum { REGION_MEMORY, REGION_STACK };
#define DEFAULT_POOL_REGIONS 64u

typedef struct {
  void *base;
  uint64_t len;              /* bytes reserved */
  uint64_t rw;               /* memories: writable prefix (its minimum) */
  lat_wasm_module_t *image;  /* memories: retained, image mapped, or NULL */
  uint8_t kind;              /* REGION_* (a stack is all read-write) */
} region_t;

struct lat_wasm_pool {
  pthread_mutex_t lock;
  size_t cap;      /* free regions kept at most (immutable) */
  size_t n;        /* guarded by lock */
  region_t *free;  /* cap entries; [0, n) guarded by lock */
};

lat_status lat_wasm_pool_new(size_t max_regions, lat_wasm_pool_t **out) {
  lat_wasm_pool_t *p = lat_calloc(1, sizeof *p);
  if (!p) return LAT_ENOMEM;
  p->cap = max_regions ? max_regions : DEFAULT_POOL_REGIONS;
  p->free = lat_calloc(p->cap, sizeof *p->free);
  if (!p->free) goto fail_pool;
  if (pthread_mutex_init(&p->lock, NULL) != 0) goto fail_free;
  *out = p;
  return LAT_OK;
fail_free:
  lat_free(p->free);
fail_pool:
  lat_free(p);
  return LAT_ENOMEM;
}

void lat_wasm_pool_free(lat_wasm_pool_t *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    munmap(p->free[i].base, p->free[i].len);
    lat_wasm_module_release(p->free[i].image);
  }
  pthread_mutex_destroy(&p->lock);
  lat_free(p->free);
  lat_free(p);
}

size_t lat_wasm_pool_count(lat_wasm_pool_t *p) {
  pthread_mutex_lock(&p->lock);
  size_t n = p->n;
  pthread_mutex_unlock(&p->lock);
  return n;
}

/* Takes a free region of this kind and length into *out, preferring one
 * with at least rw writable bytes and image mapped (most recently freed
 * first: its pages are warm).  False when there is none. */
static bool pool_take(lat_wasm_pool_t *p, uint8_t kind, uint64_t len,
                      uint64_t rw, const lat_wasm_module_t *image,
                      region_t *out) {
  size_t pick = SIZE_MAX;
  if (!p) return false;
  pthread_mutex_lock(&p->lock);
  for (size_t i = p->n; i-- > 0;) {
    const region_t *r = &p->free[i];
    if (r->kind != kind || r->len != len) continue;
    if (pick == SIZE_MAX) pick = i;
    if (r->rw >= rw && r->image == image) {
      pick = i;
      break;
    }
  }
  if (pick != SIZE_MAX) {
    *out = p->free[pick];
    p->free[pick] = p->free[--p->n];
  }
  pthread_mutex_unlock(&p->lock);
  return pick != SIZE_MAX;
}

/* Keeps a reset region (and its image reference); false when the pool is
 * full: the caller unmaps it. */
static bool pool_give(lat_wasm_pool_t *p, region_t r) {
  bool kept = false;
  if (!p) return false;
  pthread_mutex_lock(&p->lock);
  if (p->n < p->cap) {
    p->free[p->n++] = r;
    kept = true;
  }
  pthread_mutex_unlock(&p->lock);
  return kept;
}

/* ---- stores ---------------------------------------------------------------- */

static lat_status store_track(lat_wasm_store_t *s, uint8_t kind, void *obj);

lat__exn_t *lat__wasm_exn_new(lat_wasm_store_t *s, lat_wasm_tag_t *tag,
                              const uint64_t *slots, uint32_t nslots) {
  lat__exn_t *e = lat_malloc(sizeof *e + (size_t)nslots * sizeof e->slots[0]);
  if (!e) return NULL;
  e->tag = tag;
  e->nslots = nslots;
  if (nslots) memcpy(e->slots, slots, (size_t)nslots * sizeof e->slots[0]);
  if (store_track(s, OBJ_EXN, e)) {
    lat_free(e);
    return NULL;
  }
  return e;
}

static lat_status store_track(lat_wasm_store_t *s, uint8_t kind, void *obj) {
  if (s->nobjects == s->cap_objects) {
    size_t cap = s->cap_objects ? s->cap_objects * 2 : 32;
    void **objs = lat_realloc(s->objects, cap * sizeof *objs);
    if (!objs) return LAT_ENOMEM;
    s->objects = objs;
    uint8_t *kinds = lat_realloc(s->object_kinds, cap);
    if (!kinds) return LAT_ENOMEM;
    s->object_kinds = kinds;
    s->cap_objects = cap;
  }
  s->objects[s->nobjects] = obj;
  s->object_kinds[s->nobjects] = kind;
  s->nobjects++;
  return LAT_OK;
}

lat_status lat_wasm_store_new(const lat_wasm_limits_t *limits,
                              lat_wasm_store_t **out) {
  lat_wasm_store_t *s = lat_calloc(1, sizeof *s);
  if (!s) return LAT_ENOMEM;
  if (limits) s->limits = *limits;
  if (!s->limits.max_memory_bytes ||
      s->limits.max_memory_bytes > (uint64_t)LAT_MAX_MEMORY_PAGES * LAT_WASM_PAGE_SIZE)
    s->limits.max_memory_bytes = (uint64_t)LAT_MAX_MEMORY_PAGES * LAT_WASM_PAGE_SIZE;
  if (!s->limits.max_table_elems) s->limits.max_table_elems = DEFAULT_MAX_TABLE;
  if (!s->limits.max_call_depth) s->limits.max_call_depth = DEFAULT_CALL_DEPTH;
  if (!s->limits.max_stack_bytes) s->limits.max_stack_bytes = DEFAULT_STACK_BYTES;
  s->limits.max_stack_bytes &= ~(uint64_t)7;
  atomic_init(&s->interrupt, false);
  *out = s;
  return LAT_OK;
}

/* The value stack: lazily-committed memory, touched as used, reserved before
 * the store's first call into wasm.  LAT_ENOMEM when it cannot be. */
static lat_status stack_reserve(lat_wasm_store_t *s) {
  if (s->stack) return LAT_OK;
  region_t r;
  void *stack = MAP_FAILED;
  if (pool_take(s->limits.pool, REGION_STACK, s->limits.max_stack_bytes, 0, NULL, &r))
    stack = r.base;
  else {
    stack = mmap(NULL, s->limits.max_stack_bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    /* 4 KiB pages: with a transparent huge page under its start, giving
     * back the part past LAT_POOL_KEEP_RESIDENT (store_free) would split
     * it and shoot down TLBs on every core */
    if (stack != MAP_FAILED && s->limits.pool)
      (void)madvise(stack, s->limits.max_stack_bytes, MADV_NOHUGEPAGE);
  }
  if (stack == MAP_FAILED) return LAT_ENOMEM;
  s->stack = stack;
  s->stack_end = (uint64_t *)((uint8_t *)stack + s->limits.max_stack_bytes);
  return LAT_OK;
}

/* Whether a store's value stack reached into [mid, mid + len): the first or
 * the last page of that range is resident.  Slots are used contiguously from
 * the start and call records from the end, so a deep run touches those
 * pages first.  (A frame whose untouched temporaries straddle one could
 * hide a deeper page: that page then only stays resident, which costs
 * memory, never isolation, since no slot is read before it is written.)
 * mincore walks two pages; MADV_DONTNEED over the whole range walks all
 * its page tables on every store. */
static bool went_past(uint8_t *mid, uint64_t len) {
  long pg = sysconf(_SC_PAGESIZE);
  unsigned char v = 0;
  if (pg <= 0 || len < (uint64_t)pg) return true;
  return mincore(mid, (size_t)pg, &v) != 0 || (v & 1) ||
         mincore(mid + len - (uint64_t)pg, (size_t)pg, &v) != 0 || (v & 1);
}

/* Back to the pool as a zeroed region (top of file), else unmapped. */
static void memory_free(lat_wasm_memory_t *m) {
  if (m->base) {
    lat_wasm_pool_t *p = m->store->limits.pool;
    uint64_t min = m->type.min * LAT_WASM_PAGE_SIZE;
    bool kept = false;
    if (p && !m->no_pool) {
      if (!m->image && m->size <= LAT_POOL_KEEP_RESIDENT) {
        /* [size, rw) was zero when taken and the guest could not reach it */
        memset(m->base, 0, m->size);
        kept = pool_give(p, (region_t){m->base, m->reserved, m->rw, NULL, REGION_MEMORY});
      } else if ((!m->size || madvise(m->base, m->size, MADV_DONTNEED) == 0) &&
                 (m->rw <= min ||
                  mprotect(m->base + min, m->rw - min, PROT_NONE) == 0)) {
        /* a fresh memory of m->image's module */
        kept = pool_give(p, (region_t){m->base, m->reserved, min, m->image, REGION_MEMORY});
      }
    }
    if (!kept) {
      munmap(m->base, m->reserved);
      lat_wasm_module_release(m->image);
    }
  }
  lat_free(m);
}

static void instance_free(lat_wasm_instance_t *inst) {
  if (inst->tier_inst) inst->module->tier->instance_free(inst->tier_inst);
  lat_wasm_module_release(inst->module);
  lat_free(inst); /* one block with its arrays (instance_alloc) */
}

void lat_wasm_store_free(lat_wasm_store_t *s) {
  if (!s) return;
  for (size_t i = s->nobjects; i-- > 0;) {
    void *o = s->objects[i];
    switch (s->object_kinds[i]) {
      case OBJ_FUNC: {
        lat_wasm_func_t *f = o;
        if (f->host) lat_free((void *)f->own_type.params);
        lat_free(f);
        break;
      }
      case OBJ_TABLE:
        lat_free(((lat_wasm_table_t *)o)->elems);
        lat_free(o);
        break;
      case OBJ_MEMORY: memory_free(o); break;
      case OBJ_GLOBAL:
      case OBJ_TAG:
      case OBJ_EXN: lat_free(o); break;
      case OBJ_INSTANCE: instance_free(o); break;
    }
  }
  lat_free(s->objects);
  lat_free(s->object_kinds);
  if (s->stack) {
    /* LAT_POOL_KEEP_RESIDENT bytes at each end stay as they are (top of
     * file): value slots grow up from the start, call records down from
     * the end */
    uint64_t len = s->limits.max_stack_bytes, keep = LAT_POOL_KEEP_RESIDENT;
    uint8_t *mid = (uint8_t *)s->stack + keep;
    if (!s->limits.pool ||
        (len > 2 * keep && went_past(mid, len - 2 * keep) &&
         madvise(mid, len - 2 * keep, MADV_DONTNEED) != 0) ||
        !pool_give(s->limits.pool, (region_t){s->stack, len, 0, NULL, REGION_STACK}))
      munmap(s->stack, len);
  }
  lat_free(s);
}

void lat_wasm_store_set_deadline(lat_wasm_store_t *s, uint64_t deadline_ns) {
  s->deadline_ns = deadline_ns;
  s->check_countdown = 0;
}

void lat_wasm_store_set_fuel(lat_wasm_store_t *s, uint64_t fuel) {
  s->fuel = fuel;
  s->fuel_enabled = fuel != 0;
  s->check_countdown = 0;
}

uint64_t lat_wasm_store_fuel(const lat_wasm_store_t *s) { return s->fuel; }

void lat_wasm_store_interrupt(lat_wasm_store_t *s) {
  atomic_store(&s->interrupt, true);
}

lat_wasm_trap_t lat_wasm_store_trap(const lat_wasm_store_t *s) {
  return s->trap;
}

size_t lat_wasm_store_backtrace(const lat_wasm_store_t *s,
                                lat_wasm_frame_t *out, size_t max) {
  size_t n = s->nbt < max ? s->nbt : max;
  if (n) memcpy(out, s->bt, n * sizeof *out);
  return n;
}

int lat_wasm_store_exit_code(const lat_wasm_store_t *s) { return s->exit_code; }

/* ---- memories ---------------------------------------------------------------- */

/* A memory of type t.  image: the module whose image the caller will map
 * (a pooled region that already has it is preferred), or NULL. */
static lat_status memory_create(lat_wasm_store_t *s, const lat_wasm_memtype_t *t,
                                lat_wasm_module_t *image,
                                lat_wasm_memory_t **out, lat_error_t *err) {
  if (t->shared)
    return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                         "shared memories are not supported");
  /* a 64-bit memory gets the same at most 4 GiB (the store's cap) as any
   * other: the interpreter relies on that (an address or offset past 32
   * bits is out of bounds, wasm_translate.c) */
  uint64_t cap_pages = s->limits.max_memory_bytes / LAT_WASM_PAGE_SIZE;
  uint64_t max = t->has_max ? t->max : LAT_MAX_MEMORY_PAGES;
  if (max > cap_pages) max = cap_pages;
  if (t->min > max)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "memory minimum of %llu pages exceeds the limit of "
                         "%llu pages",
                         (unsigned long long)t->min, (unsigned long long)max);
  lat_wasm_memory_t *m = lat_calloc(1, sizeof *m);
  if (!m) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  m->type = *t;
  m->max_pages = max;
  m->store = s;
  m->reserved = max * LAT_WASM_PAGE_SIZE;
  if (m->reserved == 0) m->reserved = LAT_WASM_PAGE_SIZE;
  uint64_t bytes = t->min * LAT_WASM_PAGE_SIZE;
  void *base = MAP_FAILED;
  bool committed = false;
  region_t r;
  if (pool_take(s->limits.pool, REGION_MEMORY, m->reserved, bytes, image, &r)) {
    if (r.rw >= bytes && (!r.image || r.image == image)) { /* ready as is */
      base = r.base;
      m->image = r.image; /* its reference moves to m */
      m->rw = r.rw;
      committed = true;
    } else if (!r.rw || mmap(r.base, r.rw, PROT_NONE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
                             -1, 0) != MAP_FAILED) { /* a fresh reservation */
      base = r.base;
      lat_wasm_module_release(r.image);
    } else {
      munmap(r.base, r.len);
      lat_wasm_module_release(r.image);
    }
  }
  if (base == MAP_FAILED)
    base = mmap(NULL, m->reserved, PROT_NONE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    lat_free(m);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX,
                         "cannot reserve linear memory");
  }
  m->base = base;
  m->size = bytes;
  if (!committed) m->rw = bytes;
  if (!committed && bytes && mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, m->reserved); /* not pooled: its protection is unknown */
    lat_free(m);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX,
                         "cannot commit linear memory");
  }
  if (store_track(s, OBJ_MEMORY, m)) {
    memory_free(m);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  *out = m;
  return LAT_OK;
}

lat_status lat_wasm_memory_new(lat_wasm_store_t *s, const lat_wasm_memtype_t *t,
                               lat_wasm_memory_t **out, lat_error_t *err) {
  return memory_create(s, t, NULL, out, err);
}

uint8_t *lat_wasm_memory_data(lat_wasm_memory_t *m) { return m->base; }
uint64_t lat_wasm_memory_size(const lat_wasm_memory_t *m) { return m->size; }
const lat_wasm_memtype_t *lat_wasm_memory_type(const lat_wasm_memory_t *m) {
  return &m->type;
}

lat_status lat_wasm_memory_grow(lat_wasm_memory_t *m, uint64_t delta_pages,
                                uint64_t *out_old_pages) {
  uint64_t old = m->size / LAT_WASM_PAGE_SIZE;
  if (delta_pages > m->max_pages || old + delta_pages > m->max_pages)
    return LAT_ELIMIT;
  if (delta_pages) {
    uint64_t size = m->size + delta_pages * LAT_WASM_PAGE_SIZE;
    if (size > m->rw) { /* else a pooled region's pages, zero and writable */
      if (mprotect(m->base + m->rw, size - m->rw, PROT_READ | PROT_WRITE) != 0)
        return LAT_ELIMIT;
      m->rw = size;
    }
    m->size = size;
  }
  if (out_old_pages) *out_old_pages = old;
  return LAT_OK;
}

/* ---- tables ------------------------------------------------------------------ */

static lat_status table_create(lat_wasm_store_t *s, const lat_wasm_tabletype_t *t,
                               void *init, lat_wasm_table_t **out,
                               lat_error_t *err) {
  uint64_t max = t->has_max ? t->max : UINT32_MAX;
  if (max > s->limits.max_table_elems) max = s->limits.max_table_elems;
  if (t->min > max)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "table minimum of %llu elements exceeds the limit of "
                         "%llu",
                         (unsigned long long)t->min, (unsigned long long)max);
  lat_wasm_table_t *tab = lat_calloc(1, sizeof *tab);
  if (!tab) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  tab->type = *t;
  tab->max = max;
  tab->store = s;
  tab->size = t->min;
  tab->cap = t->min;
  if (t->min) {
    tab->elems = lat_calloc(t->min, sizeof(void *));
    if (!tab->elems) {
      lat_free(tab);
      return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    }
    if (init)
      for (uint64_t i = 0; i < t->min; i++) tab->elems[i] = init;
  }
  if (store_track(s, OBJ_TABLE, tab)) {
    lat_free(tab->elems);
    lat_free(tab);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  *out = tab;
  return LAT_OK;
}

lat_status lat_wasm_table_new(lat_wasm_store_t *s, const lat_wasm_tabletype_t *t,
                              void *init, lat_wasm_table_t **out,
                              lat_error_t *err) {
  return table_create(s, t, init, out, err);
}

uint64_t lat_wasm_table_size(const lat_wasm_table_t *t) { return t->size; }
const lat_wasm_tabletype_t *lat_wasm_table_type(const lat_wasm_table_t *t) {
  return &t->type;
}

lat_status lat_wasm_table_get(const lat_wasm_table_t *t, uint64_t i,
                              void **out) {
  if (i >= t->size) return LAT_EARG;
  *out = t->elems[i];
  return LAT_OK;
}

lat_status lat_wasm_table_set(lat_wasm_table_t *t, uint64_t i, void *ref) {
  if (i >= t->size) return LAT_EARG;
  t->elems[i] = ref;
  return LAT_OK;
}

lat_status lat_wasm_table_grow(lat_wasm_table_t *t, uint64_t delta, void *init,
                               uint64_t *out_old) {
  uint64_t old = t->size;
  if (delta > t->max || old + delta > t->max) return LAT_ELIMIT;
  if (old + delta > t->cap) {
    uint64_t cap = t->cap * 2;
    if (cap < old + delta) cap = old + delta;
    if (cap > t->max) cap = t->max;
    void **e = lat_realloc(t->elems, cap * sizeof(void *));
    if (!e) return LAT_ELIMIT;
    t->elems = e;
    t->cap = cap;
  }
  for (uint64_t i = old; i < old + delta; i++) t->elems[i] = init;
  t->size = old + delta;
  if (out_old) *out_old = old;
  return LAT_OK;
}

/* ---- globals ------------------------------------------------------------------ */

static lat_status global_create(lat_wasm_store_t *s,
                                const lat_wasm_globaltype_t *t,
                                lat_wasm_global_t **out) {
  lat_wasm_global_t *g = lat_calloc(1, sizeof *g);
  if (!g) return LAT_ENOMEM;
  g->type = *t;
  if (store_track(s, OBJ_GLOBAL, g)) {
    lat_free(g);
    return LAT_ENOMEM;
  }
  *out = g;
  return LAT_OK;
}

/* value <-> slot conversion, the layout the interpreter uses */
static void val_to_slots(const lat_wasm_val_t *v, uint64_t *slot) {
  switch (v->type) {
    case LAT_I32: slot[0] = v->of.i32; break;
    case LAT_F32: slot[0] = v->of.f32; break;
    case LAT_I64: slot[0] = v->of.i64; break;
    case LAT_F64: slot[0] = v->of.f64; break;
    case LAT_V128: memcpy(slot, v->of.v128.bytes, 16); break;
    default: slot[0] = (uint64_t)(uintptr_t)v->of.ref; break;
  }
}

static void slots_to_val(uint8_t type, const uint64_t *slot,
                         lat_wasm_val_t *v) {
  memset(v, 0, sizeof *v);
  v->type = type;
  switch (type) {
    case LAT_I32: v->of.i32 = (uint32_t)slot[0]; break;
    case LAT_F32: v->of.f32 = (uint32_t)slot[0]; break;
    case LAT_I64: v->of.i64 = slot[0]; break;
    case LAT_F64: v->of.f64 = slot[0]; break;
    case LAT_V128: memcpy(v->of.v128.bytes, slot, 16); break;
    default: v->of.ref = (void *)(uintptr_t)slot[0]; break;
  }
}

static unsigned slot_count(uint8_t type) { return type == LAT_V128 ? 2 : 1; }

lat_status lat_wasm_global_new(lat_wasm_store_t *s,
                               const lat_wasm_globaltype_t *t,
                               const lat_wasm_val_t *init,
                               lat_wasm_global_t **out) {
  if (init && init->type != t->type) return LAT_EARG;
  lat_status st = global_create(s, t, out);
  if (!st && init) val_to_slots(init, (*out)->val);
  return st;
}

void lat_wasm_global_get(const lat_wasm_global_t *g, lat_wasm_val_t *out) {
  slots_to_val(g->type.type, g->val, out);
}

lat_status lat_wasm_global_set(lat_wasm_global_t *g, const lat_wasm_val_t *v) {
  if (v->type != g->type.type) return LAT_EARG;
  val_to_slots(v, g->val);
  return LAT_OK;
}

const lat_wasm_globaltype_t *lat_wasm_global_type(const lat_wasm_global_t *g) {
  return &g->type;
}

/* ---- functions ------------------------------------------------------------------ */

lat_status lat_wasm_func_new_host(lat_wasm_store_t *s,
                                  const lat_wasm_functype_t *type,
                                  lat_wasm_host_fn fn, void *env,
                                  lat_wasm_func_t **out) {
  lat_wasm_func_t *f = lat_calloc(1, sizeof *f);
  if (!f) return LAT_ENOMEM;
  uint8_t *types = lat_malloc((size_t)type->nparams + type->nresults);
  if (!types) {
    lat_free(f);
    return LAT_ENOMEM;
  }
  if (type->nparams) memcpy(types, type->params, type->nparams);
  if (type->nresults)
    memcpy(types + type->nparams, type->results, type->nresults);
  f->own_type.nparams = type->nparams;
  f->own_type.nresults = type->nresults;
  f->own_type.params = types;
  f->own_type.results = types + type->nparams;
  f->type = &f->own_type;
  f->host = fn;
  f->host_env = env;
  if (store_track(s, OBJ_FUNC, f)) {
    lat_free(types);
    lat_free(f);
    return LAT_ENOMEM;
  }
  *out = f;
  return LAT_OK;
}

const lat_wasm_functype_t *lat_wasm_func_type(const lat_wasm_func_t *f) {
  return f->type;
}

lat_wasm_memory_t *lat_wasm_caller_memory(lat_wasm_caller_t *c,
                                          uint32_t index) {
  if (!c->inst || index >= c->inst->module->nmems) return NULL;
  return c->inst->mems[index];
}

lat_wasm_store_t *lat_wasm_caller_store(lat_wasm_caller_t *c) {
  return c->store;
}

lat_status lat_wasm_caller_trap(lat_wasm_caller_t *c, lat_wasm_trap_t trap,
                                int code, const char *msg) {
  c->store->trap = trap;
  c->store->nbt = 0; /* the interpreter adds the frames below the host */
  c->store->exit_code = code;
  snprintf(c->store->trap_msg, sizeof c->store->trap_msg, "%s",
           msg ? msg : "");
  return LAT_TRAP;
}

static lat_status set_trap_error(lat_wasm_store_t *s, lat_error_t *err) {
  if (s->trap_msg[0])
    return lat_error_set(err, LAT_TRAP, SIZE_MAX, "%s", s->trap_msg);
  return lat_error_set(err, LAT_TRAP, SIZE_MAX, "%s",
                       lat_wasm_trap_message(s->trap));
}

#define MAX_CALL_SLOTS 64u

lat_status lat_wasm_func_call(lat_wasm_store_t *s, lat_wasm_func_t *f,
                              const lat_wasm_val_t *args, size_t nargs,
                              lat_wasm_val_t *results, size_t nresults,
                              lat_error_t *err) {
  const lat_wasm_functype_t *t = f->type;
  if (nargs != t->nparams || nresults != t->nresults)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "wrong number of arguments or results: function "
                         "takes %u and returns %u",
                         t->nparams, t->nresults);
  size_t nin = 0, nout = 0;
  for (size_t i = 0; i < nargs; i++) {
    if (args[i].type != t->params[i])
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "argument %zu has the wrong type", i);
    nin += slot_count(t->params[i]);
  }
  for (size_t i = 0; i < nresults; i++) nout += slot_count(t->results[i]);
  size_t n = nin > nout ? nin : nout;
  uint64_t local_slots[MAX_CALL_SLOTS];
  uint64_t *slots = local_slots;
  if (n > MAX_CALL_SLOTS) {
    slots = lat_calloc(n, sizeof *slots);
    if (!slots) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < nargs; i++) {
    val_to_slots(&args[i], slots + k);
    k += slot_count(t->params[i]);
  }
  s->trap = LAT_TRAP_NONE;
  s->trap_msg[0] = '\0';
  s->nbt = 0;
  lat_status st;
  if (f->host) {
    lat_wasm_caller_t caller = {s, NULL};
    st = f->host(&caller, f->host_env, slots);
  } else {
    st = stack_reserve(s);
    if (!st) st = lat__wasm_call(s, f, slots);
  }
  if (st == LAT_OK) {
    k = 0;
    for (size_t i = 0; i < nresults; i++) {
      slots_to_val(t->results[i], slots + k, &results[i]);
      k += slot_count(t->results[i]);
    }
  } else if (st == LAT_TRAP) {
    set_trap_error(s, err);
  } else {
    lat_error_set(err, st, SIZE_MAX, "%s", lat_status_message(st));
  }
  if (slots != local_slots) lat_free(slots);
  return st;
}

/* ---- constant expressions ---------------------------------------------------- */

lat_status lat__wasm_eval_const(lat_wasm_instance_t *inst, lat__range_t expr,
                                uint64_t out[2]) {
  const lat_wasm_module_t *m = inst->module;
  lat_reader_t r = {m->bytes, m->bytes + expr.off, m->bytes + expr.off + expr.len};
  uint64_t stack[2 * 16];
  uint64_t *heap = NULL;
  uint64_t *st = stack;
  size_t cap = 16, sp = 0; /* in values of two slots */
  lat_status status = LAT_OK;
  for (;;) {
    uint8_t op;
    if ((status = lat_read_u8(&r, &op, NULL))) goto done;
    if (op == 0x0b) break;
    if (sp == cap) {
      if (cap >= MAX_CONST_STACK) {
        status = LAT_ELIMIT;
        goto done;
      }
      uint64_t *n = lat_realloc(heap, cap * 2 * 2 * sizeof *n);
      if (!n) {
        status = LAT_ENOMEM;
        goto done;
      }
      if (!heap) memcpy(n, stack, sizeof stack);
      heap = st = n;
      cap *= 2;
    }
    uint64_t *v = st + 2 * sp;
    v[0] = v[1] = 0;
    switch (op) {
      case 0x41: {
        int32_t x;
        if ((status = lat_read_s32(&r, &x, NULL))) goto done;
        v[0] = (uint32_t)x;
        sp++;
        break;
      }
      case 0x42: {
        int64_t x;
        if ((status = lat_read_s64(&r, &x, NULL))) goto done;
        v[0] = (uint64_t)x;
        sp++;
        break;
      }
      case 0x43: {
        uint32_t x;
        if ((status = lat_read_f32(&r, &x, NULL))) goto done;
        v[0] = x;
        sp++;
        break;
      }
      case 0x44: {
        if ((status = lat_read_f64(&r, &v[0], NULL))) goto done;
        sp++;
        break;
      }
      case 0x23: {
        uint32_t g;
        if ((status = lat_read_u32(&r, &g, NULL))) goto done;
        if (g >= m->nglobals || !inst->globals[g]) {
          status = LAT_EINVALID;
          goto done;
        }
        v[0] = inst->globals[g]->val[0];
        v[1] = inst->globals[g]->val[1];
        sp++;
        break;
      }
      case 0xd0: {
        uint8_t t;
        if ((status = lat_read_u8(&r, &t, NULL))) goto done;
        sp++;
        break;
      }
      case 0xd2: {
        uint32_t fi;
        if ((status = lat_read_u32(&r, &fi, NULL))) goto done;
        if (fi >= m->nfuncs) {
          status = LAT_EINVALID;
          goto done;
        }
        v[0] = (uint64_t)(uintptr_t)inst->funcs[fi];
        sp++;
        break;
      }
      case 0xfd: {
        uint32_t sub;
        const uint8_t *p;
        if ((status = lat_read_u32(&r, &sub, NULL))) goto done;
        if (sub != 12 || (status = lat_read_bytes(&r, 16, &p, NULL))) {
          if (!status) status = LAT_EINVALID;
          goto done;
        }
        memcpy(v, p, 16);
        sp++;
        break;
      }
      case 0x6a: case 0x6b: case 0x6c:
      case 0x7c: case 0x7d: case 0x7e: {
        if (sp < 2) {
          status = LAT_EINVALID;
          goto done;
        }
        uint64_t a = st[2 * (sp - 2)], b = st[2 * (sp - 1)], c;
        switch (op) {
          case 0x6a: c = (uint32_t)(a + b); break;
          case 0x6b: c = (uint32_t)(a - b); break;
          case 0x6c: c = (uint32_t)((uint32_t)a * (uint32_t)b); break;
          case 0x7c: c = a + b; break;
          case 0x7d: c = a - b; break;
          default: c = a * b; break;
        }
        sp--;
        st[2 * (sp - 1)] = c;
        st[2 * (sp - 1) + 1] = 0;
        break;
      }
      default:
        status = LAT_EINVALID;
        goto done;
    }
  }
  if (sp != 1) {
    status = LAT_EINVALID;
    goto done;
  }
  out[0] = st[0];
  out[1] = st[1];
done:
  lat_free(heap);
  return status;
}

/* ---- instances ------------------------------------------------------------------- */

static bool limits_match(uint64_t amin, bool ahas, uint64_t amax, uint64_t emin,
                         bool ehas, uint64_t emax) {
  if (amin < emin) return false;
  if (ehas) {
    if (!ahas || amax > emax) return false;
  }
  return true;
}

static lat_status check_import(const lat_wasm_module_t *m, uint32_t i,
                               const lat__import_t *imp,
                               const lat_wasm_extern_t *ext, lat_error_t *err) {
  const uint8_t *mod = lat__bytes(m, imp->module);
  const uint8_t *name = lat__bytes(m, imp->name);
  if (ext->kind != imp->kind) goto incompatible;
  switch (imp->kind) {
    case LAT_EXTERN_FUNC:
      if (!ext->of.func ||
          !lat__functype_eq(ext->of.func->type, &m->types[imp->desc.func_type]))
        goto incompatible;
      break;
    case LAT_EXTERN_TABLE: {
      const lat_wasm_table_t *t = ext->of.table;
      const lat_wasm_tabletype_t *e = &imp->desc.table;
      if (!t || t->type.elem != e->elem || t->type.is64 != e->is64 ||
          !limits_match(t->size, t->type.has_max, t->type.max, e->min,
                        e->has_max, e->max))
        goto incompatible;
      break;
    }
    case LAT_EXTERN_MEMORY: {
      const lat_wasm_memory_t *mem = ext->of.memory;
      const lat_wasm_memtype_t *e = &imp->desc.memory;
      if (!mem || mem->type.is64 != e->is64 ||
          !limits_match(mem->size / LAT_WASM_PAGE_SIZE,
                                mem->type.has_max, mem->type.max, e->min,
                                e->has_max, e->max))
        goto incompatible;
      break;
    }
    case LAT_EXTERN_GLOBAL: {
      const lat_wasm_global_t *g = ext->of.global;
      if (!g || g->type.type != imp->desc.global.type ||
          g->type.mut != imp->desc.global.mut)
        goto incompatible;
      break;
    }
    case LAT_EXTERN_TAG:
      if (!ext->of.tag ||
          !lat__functype_eq(ext->of.tag->type, &m->types[imp->desc.func_type]))
        goto incompatible;
      break;
  }
  return LAT_OK;
incompatible:
  return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                       "incompatible import type for import %u \"%.*s\" "
                       "\"%.*s\"",
                       i, (int)imp->module.len, (const char *)mod,
                       (int)imp->name.len, (const char *)name);
}

static lat_status trap_error(lat_wasm_store_t *s, lat_wasm_trap_t t,
                             lat_error_t *err) {
  s->trap = t;
  s->trap_msg[0] = '\0';
  s->nbt = 0; /* raised outside any wasm frame */
  return lat_error_set(err, LAT_TRAP, SIZE_MAX, "%s", lat_wasm_trap_message(t));
}

static lat_status apply_elem(lat_wasm_instance_t *inst, const lat__elem_t *seg,
                             lat_error_t *err) {
  uint64_t off[2];
  lat_status st = lat__wasm_eval_const(inst, seg->offset, off);
  if (st) return lat_error_set(err, st, SIZE_MAX, "bad element offset");
  lat_wasm_table_t *t = inst->tables[seg->table];
  uint64_t start = t->type.is64 ? off[0] : (uint32_t)off[0];
  if (start > t->size || seg->count > t->size - start)
    return trap_error(inst->store, LAT_TRAP_TABLE_OOB, err);
  for (uint32_t k = 0; k < seg->count; k++) {
    void *ref;
    if (seg->is_expr) {
      uint64_t v[2];
      if ((st = lat__wasm_eval_const(inst, seg->exprs[k], v)))
        return lat_error_set(err, st, SIZE_MAX, "bad element expression");
      ref = (void *)(uintptr_t)v[0];
    } else {
      ref = inst->funcs[seg->func_idx[k]];
    }
    t->elems[start + k] = ref;
  }
  return LAT_OK;
}

static lat_status apply_data(lat_wasm_instance_t *inst, const lat__data_t *seg,
                             lat_error_t *err) {
  uint64_t off[2];
  lat_status st = lat__wasm_eval_const(inst, seg->offset, off);
  if (st) return lat_error_set(err, st, SIZE_MAX, "bad data offset");
  lat_wasm_memory_t *mem = inst->mems[seg->memory];
  uint64_t start = mem->type.is64 ? off[0] : (uint32_t)off[0];
  if (start > mem->size || seg->data.len > mem->size - start)
    return trap_error(inst->store, LAT_TRAP_MEMORY_OOB, err);
  if (seg->data.len)
    memcpy(mem->base + start, lat__bytes(inst->module, seg->data),
           seg->data.len);
  return LAT_OK;
}

/* The module's memory image over the start of mem, the instance's own fresh
 * memory 0: pages are shared with the image until written. */
static lat_status map_image(lat_wasm_memory_t *mem, const lat_wasm_module_t *m,
                            lat_error_t *err) {
  if (!m->image_len) return LAT_OK;
  void *p = mmap(mem->base + m->image_off, m->image_len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_FIXED, m->image_fd, 0);
  if (p == MAP_FAILED)
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX,
                         "cannot map the initial memory image");
  return LAT_OK;
}

/* An element segment trapped before the data segments were applied, but a
 * pooled region came with the image already mapped: zero what it shows
 * (copying those pages; a rare path) and keep the region out of the pool,
 * where DONTNEED would bring the image back. */
static void hide_early_image(lat_wasm_memory_t *mem) {
  const lat_wasm_module_t *m = mem->image;
  if (!m) return;
  if (m->image_len) memset(mem->base + m->image_off, 0, m->image_len);
  mem->no_pool = true;
}

/* Bytes of n elements of size sz added to *total, aligned to 8. */
static bool add_array(size_t *total, size_t n, size_t sz) {
  size_t bytes;
  if (__builtin_mul_overflow(n, sz, &bytes) ||
      __builtin_add_overflow(bytes, (size_t)7, &bytes) ||
      __builtin_add_overflow(*total, bytes & ~(size_t)7, total))
    return false;
  return true;
}

/* One zeroed block: the instance, then its tags, funcs, tables, mems and globals
 * pointer arrays, the function objects of its defined functions, its defined
 * globals, and the dropped flags of its segments. */
static lat_wasm_instance_t *instance_alloc(const lat_wasm_module_t *m,
                                           lat_wasm_func_t **out_funcs,
                                           lat_wasm_global_t **out_globals) {
  size_t sizes[9][2] = {
      {m->ntags, sizeof(lat_wasm_tag_t *)},
      {m->nfuncs, sizeof(lat_wasm_func_t *)},
      {m->ntables, sizeof(lat_wasm_table_t *)},
      {m->nmems, sizeof(lat_wasm_memory_t *)},
      {m->nglobals, sizeof(lat_wasm_global_t *)},
      {m->nfuncs - m->nfunc_imports, sizeof(lat_wasm_func_t)},
      {m->nglobals - m->nglobal_imports, sizeof(lat_wasm_global_t)},
      {m->nelems, 1},
      {m->ndatas, 1},
  };
  size_t off[9], total = (sizeof(lat_wasm_instance_t) + 7) & ~(size_t)7;
  for (int i = 0; i < 9; i++) {
    off[i] = total;
    if (!add_array(&total, sizes[i][0], sizes[i][1])) return NULL;
  }
  uint8_t *b = lat_calloc(1, total);
  if (!b) return NULL;
  lat_wasm_instance_t *inst = (lat_wasm_instance_t *)b;
  inst->tags = (lat_wasm_tag_t **)(b + off[0]);
  inst->funcs = (lat_wasm_func_t **)(b + off[1]);
  inst->tables = (lat_wasm_table_t **)(b + off[2]);
  inst->mems = (lat_wasm_memory_t **)(b + off[3]);
  inst->globals = (lat_wasm_global_t **)(b + off[4]);
  *out_funcs = (lat_wasm_func_t *)(b + off[5]);
  *out_globals = (lat_wasm_global_t *)(b + off[6]);
  inst->elem_dropped = b + off[7];
  inst->data_dropped = b + off[8];
  return inst;
}

lat_status lat_wasm_instance_new(lat_wasm_store_t *s, lat_wasm_module_t *m,
                                 const lat_wasm_extern_t *imports,
                                 size_t nimports, lat_wasm_instance_t **out,
                                 lat_error_t *err) {
  lat_status st;
  if (nimports != m->nimports)
    return lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                         "module has %u imports but %zu were given",
                         m->nimports, nimports);
  if (s->limits.max_instances && s->ninstances >= s->limits.max_instances)
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "too many instances in this store");
  for (uint32_t i = 0; i < m->nimports; i++)
    if ((st = check_import(m, i, &m->imports[i], &imports[i], err))) return st;

  lat_wasm_func_t *own_funcs;
  lat_wasm_global_t *own_globals;
  lat_wasm_instance_t *inst = instance_alloc(m, &own_funcs, &own_globals);
  if (!inst) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  inst->store = s;
  inst->module = m;
  lat_wasm_module_retain(m);
  if (store_track(s, OBJ_INSTANCE, inst)) {
    instance_free(inst);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  s->ninstances++;

  uint32_t fi = 0, ti = 0, mi = 0, gi = 0, xi = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    switch (imports[i].kind) {
      case LAT_EXTERN_TAG: inst->tags[xi++] = imports[i].of.tag; break;
      case LAT_EXTERN_FUNC: inst->funcs[fi++] = imports[i].of.func; break;
      case LAT_EXTERN_TABLE: inst->tables[ti++] = imports[i].of.table; break;
      case LAT_EXTERN_MEMORY: inst->mems[mi++] = imports[i].of.memory; break;
      case LAT_EXTERN_GLOBAL: inst->globals[gi++] = imports[i].of.global; break;
    }
  }
  for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
    lat_wasm_func_t *f = &own_funcs[i - m->nfunc_imports];
    f->type = &m->types[m->funcs[i].type_idx];
    f->inst = inst;
    f->def = &m->funcs[i];
    f->idx = i;
    inst->funcs[i] = f;
  }
  for (uint32_t i = m->ntag_imports; i < m->ntags; i++) {
    lat_wasm_tag_t *tag = lat_calloc(1, sizeof *tag);
    if (!tag || store_track(s, OBJ_TAG, tag)) {
      lat_free(tag);
      return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    }
    tag->type = &m->types[m->tags[i]];
    inst->tags[i] = tag;
  }
  for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
    if ((st = table_create(s, &m->tables[i], NULL, &inst->tables[i], err)))
      return st;
  /* the image needs a memory of the module's own: mems[0] is created here;
   * image: mapped, copied: a small image memcpy'd (wasm_module.c) */
  bool imaged = m->ndatas && lat__wasm_module_image(m) == LAT_IMAGE_READY;
  const uint8_t *copied = imaged ? m->image_copy : NULL;
  lat_wasm_module_t *image = imaged && !copied ? m : NULL;
  for (uint32_t i = m->nmem_imports; i < m->nmems; i++)
    if ((st = memory_create(s, &m->mems[i], image, &inst->mems[i], err))) return st;
  for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
    lat_wasm_global_t *g = &own_globals[i - m->nglobal_imports];
    g->type = m->globals[i].type;
    if ((st = lat__wasm_eval_const(inst, m->globals[i].init, g->val)))
      return lat_error_set(err, st, SIZE_MAX,
                           "cannot evaluate initializer of global %u", i);
    inst->globals[i] = g;
  }
  *out = inst; /* visible even if a segment traps below */

  for (uint32_t i = 0; i < m->nelems; i++) {
    const lat__elem_t *seg = &m->elems[i];
    if (seg->mode == LAT_SEG_ACTIVE) {
      if ((st = apply_elem(inst, seg, err))) {
        if (image) hide_early_image(inst->mems[0]);
        return st;
      }
      inst->elem_dropped[i] = 1;
    } else if (seg->mode == LAT_SEG_DECLARATIVE) {
      inst->elem_dropped[i] = 1;
    }
  }
  if (imaged) {
    lat_wasm_memory_t *mem = inst->mems[0];
    if (copied) {
      memcpy(mem->base + m->image_off, copied, m->image_len);
    } else if (mem->image != m) { /* else a pooled region that still has it */
      if ((st = map_image(mem, m, err))) return st;
      lat_wasm_module_retain(m);
      mem->image = m;
    }
    memcpy(inst->data_dropped, m->image_dropped, m->ndatas);
  } else {
    for (uint32_t i = 0; i < m->ndatas; i++) {
      const lat__data_t *seg = &m->datas[i];
      if (seg->mode == LAT_SEG_ACTIVE) {
        if ((st = apply_data(inst, seg, err))) return st;
        inst->data_dropped[i] = 1;
      }
    }
  }
  if (m->has_start) {
    s->trap = LAT_TRAP_NONE;
    s->trap_msg[0] = '\0';
    s->nbt = 0;
    uint64_t slots[1];
    lat_wasm_func_t *f = inst->funcs[m->start];
    if (f->host) {
      lat_wasm_caller_t caller = {s, NULL};
      st = f->host(&caller, f->host_env, slots);
    } else {
      st = stack_reserve(s);
      if (!st) st = lat__wasm_call(s, f, slots);
    }
    if (st == LAT_TRAP) return set_trap_error(s, err);
    if (st) return lat_error_set(err, st, SIZE_MAX, "%s", lat_status_message(st));
  }
  return LAT_OK;
}

lat_status lat_wasm_instance_export_nth(lat_wasm_instance_t *inst, uint32_t i,
                                        lat_wasm_export_t *out_export,
                                        lat_wasm_extern_t *out) {
  const lat_wasm_module_t *m = inst->module;
  if (i >= m->nexports) return LAT_ENOTFOUND;
  const lat__export_t *e = &m->exports[i];
  lat_wasm_module_export(m, i, out_export);
  out->kind = e->kind;
  switch (e->kind) {
    case LAT_EXTERN_FUNC: out->of.func = inst->funcs[e->index]; break;
    case LAT_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
    case LAT_EXTERN_MEMORY: out->of.memory = inst->mems[e->index]; break;
    case LAT_EXTERN_GLOBAL: out->of.global = inst->globals[e->index]; break;
    case LAT_EXTERN_TAG: out->of.tag = inst->tags[e->index]; break;
  }
  return LAT_OK;
}

lat_status lat_wasm_instance_export(lat_wasm_instance_t *inst,
                                    const char *name, size_t name_len,
                                    lat_wasm_extern_t *out) {
  const lat_wasm_module_t *m = inst->module;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const lat__export_t *e = &m->exports[i];
    if (e->name.len == name_len && memcmp(lat__bytes(m, e->name), name, name_len) == 0) {
      lat_wasm_export_t ex;
      return lat_wasm_instance_export_nth(inst, i, &ex, out);
    }
  }
  return LAT_ENOTFOUND;
}

lat_wasm_module_t *lat_wasm_instance_module(lat_wasm_instance_t *inst) {
  return inst->module;
}
