/* component_value.c: copying lifted component values.
 *
 * A lifted value (lat_cval_t) points into the arena of the call that lifted
 * it; when a value must outlive that call (a result passed from one
 * component instance to another, which is freed first), it is copied deep
 * into another arena, guided by its type.  Handles cannot be copied: a
 * resource belongs to the instance that made it (LAT_EUNSUPPORTED).
 */
#include <string.h>

#include "component.h"

lat_status lat_cval_copy(lat_arena_t *a, const lat_ctype_t *t, const lat_cval_t *src,
                         lat_cval_t *dst) {
  *dst = *src;
  switch (t->kind) {
  case LAT_CT_STRING:
    if (src->of.str.len) {
      char *p = lat_arena_alloc(a, src->of.str.len);
      if (!p) return LAT_ENOMEM;
      memcpy(p, src->of.str.ptr, src->of.str.len);
      dst->of.str.ptr = p;
    }
    return LAT_OK;
  case LAT_CT_LIST:
    if (src->of.list.bytes) {
      uint8_t *p = lat_arena_alloc(a, src->of.list.n ? src->of.list.n : 1);
      if (!p) return LAT_ENOMEM;
      memcpy(p, src->of.list.bytes, src->of.list.n);
      dst->of.list.bytes = p;
      return LAT_OK;
    }
    __attribute__((fallthrough)); /* elements of one type */
  case LAT_CT_TUPLE:
  case LAT_CT_RECORD: {
    uint32_t n = src->of.list.n;
    if (!n) return LAT_OK;
    lat_cval_t *v = lat_arena_array(a, n, sizeof *v);
    if (!v) return LAT_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
      const lat_ctype_t *et = t->kind == LAT_CT_LIST ? t->u.elem : t->u.fields[i].type;
      lat_status st = lat_cval_copy(a, et, &src->of.list.v[i], &v[i]);
      if (st) return st;
    }
    dst->of.list.v = v;
    return LAT_OK;
  }
  case LAT_CT_VARIANT:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    if (!src->of.var.payload) return LAT_OK;
    const lat_ctype_t *pt = t->kind == LAT_CT_VARIANT ? t->u.fields[src->of.var.disc].type
                            : t->kind == LAT_CT_OPTION ? t->u.elem
                            : src->of.var.disc         ? t->u.result.err
                                                       : t->u.result.ok;
    if (!pt) return LAT_OK;
    lat_cval_t *p = lat_arena_alloc(a, sizeof *p);
    if (!p) return LAT_ENOMEM;
    lat_status st = lat_cval_copy(a, pt, src->of.var.payload, p);
    dst->of.var.payload = p;
    return st;
  }
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    return LAT_EUNSUPPORTED;
  default:
    return LAT_OK; /* scalars, enums, flags: by value */
  }
}
