/* Type identity across imports, exports and instantiation
 * (src/component/component_types.c substitution, component_decode.c
 * validation rules that depend on it).
 *
 * Types are built with lat_ctype_builder_t where the rule lives in the
 * type graph; small components are encoded by hand (bytes next to their
 * text form) where it lives in the decoder. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "component/component.h"
#include "component/component_int.h"
#include "test.h"

/* A chain of 60 lists over an own handle, below a function of an instance
 * whose resource is made fresh: the substitution rewrites each node once.
 * (It evaluated the first child of every node twice, so this took 2^60
 * steps.)  Shared subtrees stay shared in the result. */
TEST_IMPL(component_named_subst_linear) {
  lat_arena_t a;
  lat_arena_init(&a);
  lat_ctype_builder_t b = {&a, NULL};
  const lat_ctype_t *r = lat_ctype_resource(&b, "r");
  const lat_ctype_t *t = lat_ctype_own(&b, r);
  for (int i = 0; i < 60; i++) t = lat_ctype_list(&b, t);
  const lat_ctype_t *pair[2] = {t, t};
  lat_cfield_t p[] = {{"x", t}, {"y", lat_ctype_tuple(&b, pair, 2)}};
  lat_cextern_t ex[2] = {
      {.name.full = "r", .sort = LAT_CSORT_TYPE, .type = r, .sub_resource = true},
      {.name.full = "f", .sort = LAT_CSORT_FUNC, .type = lat_ctype_func(&b, p, 2, NULL)}};
  const lat_ctype_t *inst = lat_ctype_instance(&b, ex, 2);
  REQUIRE(inst);
  lat__rmap_t m = {0};
  const lat_ctype_t *fresh = lat__ctype_fresh_exports(&a, inst, &m);
  REQUIRE(fresh && fresh != inst);
  const lat_ctype_t *r2 = fresh->u.decls[0].type;
  CHECK(r2 != r && r2->kind == LAT_CT_RESOURCE);
  const lat_ctype_t *f = fresh->u.decls[1].type;
  const lat_ctype_t *x = f->u.fields[0].type;
  /* the same node wherever it was shared */
  CHECK(x == f->u.fields[1].type->u.fields[0].type);
  CHECK(x == f->u.fields[1].type->u.fields[1].type);
  for (int i = 0; i < 60; i++) x = x->u.elem;
  CHECK_EQ_INT(x->kind, LAT_CT_OWN);
  CHECK(x->u.elem == r2);
  /* the original is untouched */
  x = t;
  for (int i = 0; i < 60; i++) x = x->u.elem;
  CHECK(x->u.elem == r);
  lat__rmap_fini(&m);
  lat_arena_fini(&a);
}
