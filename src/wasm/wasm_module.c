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
 */
#include <string.h>

#include "wasm_int.h"

lat_status lat_wasm_module_new(const uint8_t *bytes, size_t len,
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

  if ((st = lat__wasm_decode(m, err))) goto fail_free_all;
  if ((st = lat__wasm_validate(m, err))) goto fail_free_all;
  *out = m;
  return LAT_OK;

fail_free_all:
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
  pthread_mutex_destroy(&m->translate_lock);
  lat_arena_fini(&m->arena);
  lat_free(m->bytes);
  lat_free(m);
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
  }
}

uint32_t lat_wasm_module_export_count(const lat_wasm_module_t *m) {
  return m ? m->nexports : 0;
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
