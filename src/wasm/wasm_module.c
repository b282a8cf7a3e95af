/* wasm_module.c: module life cycle and read-only accessors.
 *
 * lat_wasm_module_new copies the caller's bytes (so ranges into them stay
 * valid for the module's life), then decodes and validates; a module that
 * exists is always valid, so the translator and the runtime never re-check.
 * The module is shared by reference count (atomic: modules are handed across
 * threads); the last release frees the translated code (wasm_translate.c),
 * the arena holding all metadata, and the bytes.
 *
 * Accessors borrow from the module: import/export names point into
 * m->bytes, function types into m->arena.
 *
 * Memory image.  A module whose active data segments all land at constant
 * offsets inside its own memory 0 has the same initial memory contents in
 * every instance.  The first instantiation lays those contents out once in
 * a sealed memfd; each instance then maps it MAP_PRIVATE over the start of
 * its fresh memory, so instantiation costs one mmap however many segments
 * there are, and a page is copied only when the guest writes it (the
 * approach of Wasmtime's memory_init_cow).  Modules that import their
 * memory, compute an offset from a global, or have a segment that does not
 * fit (and so must trap with the earlier segments applied) keep the
 * per-segment path in wasm_runtime.c.  An image of at most
 * LAT_IMAGE_COPY_MAX bytes is kept on the heap instead and copied into each
 * instance: for a few pages a memcpy is cheaper than the mmap, the page
 * faults and, when the memory is freed, the TLB shootdown that a mapping
 * costs in a multi-threaded server; and the memory can then go back to a
 * pool by memset alone (wasm_runtime.c).  Rejected: building the image at
 * module load (most modules are instantiated at most once, e.g. by `lattice
 * wast`), and copying large images (it touches every page of data on every
 * instantiation).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wasm_int.h"

void lat_wasm_features_default(lat_wasm_features_t *out) {
#define LAT_X_FEATURE_DEF(field, name, def) out->field = def;
  LAT_WASM_FEATURE_LIST(LAT_X_FEATURE_DEF)
#undef LAT_X_FEATURE_DEF
}

void lat_wasm_features_all(lat_wasm_features_t *out) {
#define LAT_X_FEATURE_ALL(field, name, def) out->field = true;
  LAT_WASM_FEATURE_LIST(LAT_X_FEATURE_ALL)
#undef LAT_X_FEATURE_ALL
}

lat_status lat_wasm_features_set(lat_wasm_features_t *f, const char *spec,
                                 lat_error_t *err) {
  const char *eq = strchr(spec, '=');
  size_t n = eq ? (size_t)(eq - spec) : strlen(spec);
  bool on = true;
  if (eq) {
    if (!strcmp(eq + 1, "y") || !strcmp(eq + 1, "yes") || !strcmp(eq + 1, "true"))
      on = true;
    else if (!strcmp(eq + 1, "n") || !strcmp(eq + 1, "no") ||
             !strcmp(eq + 1, "false"))
      on = false;
    else
      return lat_error_set(err, LAT_EARG, SIZE_MAX,
                           "bad value in '%s' (want NAME, NAME=y or NAME=n)",
                           spec);
  }
  if (n == 3 && !memcmp(spec, "all", 3)) {
#define LAT_X_FEATURE_SETALL(field, name, def) f->field = on;
    LAT_WASM_FEATURE_LIST(LAT_X_FEATURE_SETALL)
#undef LAT_X_FEATURE_SETALL
    return LAT_OK;
  }
#define LAT_X_FEATURE_SET(field, name, def)                      \
  if (n == sizeof name - 1 && !memcmp(spec, name, n)) {         \
    f->field = on;                                               \
    return LAT_OK;                                               \
  }
  LAT_WASM_FEATURE_LIST(LAT_X_FEATURE_SET)
#undef LAT_X_FEATURE_SET
#define LAT_X_FEATURE_NAME(field, name, def) " " name
  return lat_error_set(err, LAT_EARG, SIZE_MAX,
                       "unknown wasm feature '%.*s' (known: all"
                       LAT_WASM_FEATURE_LIST(LAT_X_FEATURE_NAME) ")",
                       (int)n, spec);
#undef LAT_X_FEATURE_NAME
}

lat_status lat_wasm_module_new(const uint8_t *bytes, size_t len,
                               lat_wasm_module_t **out, lat_error_t *err) {
  return lat_wasm_module_new_ex(bytes, len, NULL, out, err);
}

lat_status lat_wasm_module_new_ex(const uint8_t *bytes, size_t len,
                                  const lat_wasm_features_t *features,
                                  lat_wasm_module_t **out, lat_error_t *err) {
  lat_status st;
  lat_wasm_module_t *m;
  if (!out || (!bytes && len))
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "invalid argument");
  *out = NULL;
  if (len > UINT32_MAX) /* ranges are 32-bit */
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX,
                         "module too large (%zu bytes)", len);
  m = lat_calloc(1, sizeof *m);
  if (!m) goto fail_nomem;
  m->bytes = lat_malloc(len ? len : 1);
  if (!m->bytes) goto fail_free_module;
  if (len) memcpy(m->bytes, bytes, len);
  m->len = len;
  lat_arena_init(&m->arena);
  atomic_init(&m->refs, 1);
  if (pthread_mutex_init(&m->translate_lock, NULL) != 0) goto fail_free_bytes;
  if (pthread_mutex_init(&m->image_lock, NULL) != 0) {
    pthread_mutex_destroy(&m->translate_lock);
    goto fail_free_bytes;
  }
  m->image_fd = -1;
  if (features) m->features = *features;
  else lat_wasm_features_default(&m->features);
  atomic_init(&m->image_state, LAT_IMAGE_UNKNOWN);

  if ((st = lat__wasm_decode(m, err))) goto fail_free_all;
  if ((st = lat__wasm_validate(m, err))) goto fail_free_all;
  *out = m;
  return LAT_OK;

fail_free_all:
  pthread_mutex_destroy(&m->image_lock);
  pthread_mutex_destroy(&m->translate_lock);
  lat_arena_fini(&m->arena);
  lat_free(m->bytes);
  lat_free(m);
  if (st == LAT_ENOMEM && err) err->code = LAT_ENOMEM;
  return st;
fail_free_bytes:
  lat_arena_fini(&m->arena);
  lat_free(m->bytes);
fail_free_module:
  lat_free(m);
fail_nomem:
  return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
}

void lat_wasm_module_retain(lat_wasm_module_t *m) {
  if (m) atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void lat_wasm_module_release(lat_wasm_module_t *m) {
  if (!m) return;
  if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
    return;
  lat__wasm_exec_free(m);
  if (m->tier) m->tier->module_free(m->tier_data);
  if (m->image_fd >= 0) close(m->image_fd);
  lat_free(m->image_copy);
  lat_free(m->image_dropped);
  pthread_mutex_destroy(&m->image_lock);
  pthread_mutex_destroy(&m->translate_lock);
  lat_arena_fini(&m->arena);
  lat_free(m->bytes);
  lat_free(m);
}

lat_status lat__wasm_module_set_tier(lat_wasm_module_t *m,
                                     const lat__wasm_tier_t *tier, void *data) {
  if (m->tier) return LAT_EARG;
  m->tier_data = data;
  m->tier = tier;
  return LAT_OK;
}

uint32_t lat_wasm_module_import_count(const lat_wasm_module_t *m) {
  return m ? m->nimports : 0;
}

void lat_wasm_module_import(const lat_wasm_module_t *m, uint32_t i,
                            lat_wasm_import_t *out) {
  memset(out, 0, sizeof *out);
  if (!m || i >= m->nimports) return;
  const lat__import_t *im = &m->imports[i];
  out->module = (const char *)lat__bytes(m, im->module);
  out->module_len = im->module.len;
  out->name = (const char *)lat__bytes(m, im->name);
  out->name_len = im->name.len;
  out->kind = im->kind;
  switch (im->kind) {
  case LAT_EXTERN_FUNC:
    out->type.func = &m->types[im->desc.func_type]; /* validated index */
    break;
  case LAT_EXTERN_TABLE:
    out->type.table = im->desc.table;
    break;
  case LAT_EXTERN_MEMORY:
    out->type.memory = im->desc.memory;
    break;
  case LAT_EXTERN_GLOBAL:
    out->type.global = im->desc.global;
    break;
  case LAT_EXTERN_TAG:
    out->type.tag = &m->types[im->desc.func_type];
    break;
  }
}

uint32_t lat_wasm_module_export_count(const lat_wasm_module_t *m) {
  return m ? m->nexports : 0;
}

void lat_wasm_module_set_plain(lat_wasm_module_t *m, bool plain) {
  if (m) m->plain = plain;
}

void lat_wasm_module_export(const lat_wasm_module_t *m, uint32_t i,
                            lat_wasm_export_t *out) {
  memset(out, 0, sizeof *out);
  if (!m || i >= m->nexports) return;
  const lat__export_t *e = &m->exports[i];
  out->name = (const char *)lat__bytes(m, e->name);
  out->name_len = e->name.len;
  out->kind = e->kind;
  out->index = e->index;
  /* indices were validated with the export section */
  switch (e->kind) {
  case LAT_EXTERN_FUNC:
    out->type.func = lat_wasm_module_func_type(m, e->index);
    break;
  case LAT_EXTERN_TABLE:
    out->type.table = m->tables[e->index];
    break;
  case LAT_EXTERN_MEMORY:
    out->type.memory = m->mems[e->index];
    break;
  case LAT_EXTERN_GLOBAL:
    out->type.global = m->globals[e->index].type;
    break;
  case LAT_EXTERN_TAG:
    out->type.tag = &m->types[m->tags[e->index]];
    break;
  }
}

const lat_wasm_functype_t *lat_wasm_module_func_type(const lat_wasm_module_t *m,
                                                     uint32_t index) {
  if (!m || index >= m->nfuncs) return NULL;
  return &m->types[m->funcs[index].type_idx];
}

const char *lat_wasm_module_func_name(const lat_wasm_module_t *m,
                                      uint32_t index, size_t *out_len) {
  if (out_len) *out_len = 0;
  if (!m || !m->func_names || index >= m->nfuncs ||
      m->func_names[index].len == 0)
    return NULL;
  if (out_len) *out_len = m->func_names[index].len;
  return (const char *)lat__bytes(m, m->func_names[index]);
}

bool lat__functype_eq(const lat_wasm_functype_t *a,
                      const lat_wasm_functype_t *b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (a->nparams == 0 || memcmp(a->params, b->params, a->nparams) == 0) &&
         (a->nresults == 0 || memcmp(a->results, b->results, a->nresults) == 0);
}

/* ---- memory image ------------------------------------------------------------ */

/* The constant offset of an active segment: exactly `i32.const x; end`. */
static bool const_offset(const lat_wasm_module_t *m, lat__range_t expr,
                         uint32_t *out) {
  lat_reader_t r = {m->bytes, m->bytes + expr.off, m->bytes + expr.off + expr.len};
  uint8_t op;
  int32_t x;
  if (lat_read_u8(&r, &op, NULL) || op != 0x41 || lat_read_s32(&r, &x, NULL) ||
      lat_read_u8(&r, &op, NULL) || op != 0x0b)
    return false;
  *out = (uint32_t)x;
  return true;
}

/* Lays out the image and fills m->image_*; false to use the slow path. */
static bool image_build(lat_wasm_module_t *m) {
  if (m->nmems != 1 || m->nmem_imports != 0) return false;
  uint64_t mem_bytes = m->mems[0].min * LAT_WASM_PAGE_SIZE;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const lat__data_t *seg = &m->datas[i];
    uint32_t off;
    if (seg->mode != LAT_SEG_ACTIVE) continue;
    if (seg->memory != 0 || !const_offset(m, seg->offset, &off)) return false;
    if ((uint64_t)off + seg->data.len > mem_bytes) return false; /* traps */
    if (!seg->data.len) continue;
    if (off < lo) lo = off;
    if (off + (uint64_t)seg->data.len > hi) hi = off + (uint64_t)seg->data.len;
  }
  /* the instance's data_dropped flags, copied in one go (a loop over
   * 10,000 segment records per instance was most of the remaining cost) */
  m->image_dropped = lat_malloc(m->ndatas ? m->ndatas : 1);
  if (!m->image_dropped) return false;
  for (uint32_t i = 0; i < m->ndatas; i++)
    m->image_dropped[i] = m->datas[i].mode == LAT_SEG_ACTIVE;
  if (hi == 0) { /* no bytes to place */
    m->image_off = m->image_len = 0;
    return true;
  }
  long pg = sysconf(_SC_PAGESIZE);
  uint8_t *buf = NULL;
  bool ok = false;
  int fd = -1;
  if (pg <= 0 || LAT_WASM_PAGE_SIZE % (uint64_t)pg) goto done_buf;
  lo -= lo % (uint64_t)pg;
  hi = (hi + (uint64_t)pg - 1) / (uint64_t)pg * (uint64_t)pg; /* <= mem_bytes */
  size_t len = (size_t)(hi - lo);
  buf = lat_calloc(1, len);
  if (!buf) goto done_buf;
  for (uint32_t i = 0; i < m->ndatas; i++) { /* in order: later ones win */
    const lat__data_t *seg = &m->datas[i];
    uint32_t off;
    if (seg->mode != LAT_SEG_ACTIVE || !seg->data.len) continue;
    (void)const_offset(m, seg->offset, &off); /* checked above */
    memcpy(buf + (off - lo), lat__bytes(m, seg->data), seg->data.len);
  }
  if (len <= LAT_IMAGE_COPY_MAX) { /* copied per instance, never mapped */
    m->image_copy = buf;
    m->image_off = lo;
    m->image_len = len;
    return true;
  }
  fd = memfd_create("lattice-wasm-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) goto done_buf;
  for (size_t done = 0; done < len;) {
    ssize_t n = write(fd, buf + done, len - done);
    if (n <= 0) goto done_fd;
    done += (size_t)n;
  }
  /* sealed: no process can change what later instances start from */
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    goto done_fd;
  m->image_fd = fd;
  m->image_off = lo;
  m->image_len = len;
  ok = true;
done_fd:
  if (!ok) close(fd);
done_buf:
  lat_free(buf);
  if (!ok) {
    lat_free(m->image_dropped);
    m->image_dropped = NULL;
  }
  return ok;
}

int lat__wasm_module_image(lat_wasm_module_t *m) {
  int st = atomic_load_explicit(&m->image_state, memory_order_acquire);
  if (st != LAT_IMAGE_UNKNOWN) return st;
  pthread_mutex_lock(&m->image_lock);
  st = atomic_load_explicit(&m->image_state, memory_order_relaxed);
  if (st == LAT_IMAGE_UNKNOWN) {
    st = image_build(m) ? LAT_IMAGE_READY : LAT_IMAGE_NONE;
    atomic_store_explicit(&m->image_state, st, memory_order_release);
  }
  pthread_mutex_unlock(&m->image_lock);
  return st;
}
