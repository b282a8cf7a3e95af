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

#include "cenc.h"
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

/* ---- the external-visibility rule ----------------------------------------------- */

static lat_status decode_msg(const lat_buf_t *b, lat_error_t *err) {
  lat_component_t *c = NULL;
  lat_error_clear(err);
  lat_status st = lat_component_new(b->data, b->len, NULL, &c, err);
  lat_component_free(c);
  return st;
}

/* Checks a decode result: LAT_OK, or LAT_EINVALID with a message holding
 * each of the NULL-terminated strings. */
static void expect(const lat_buf_t *b, const char *what, lat_status want, ...) {
  lat_error_t err;
  lat_status st = decode_msg(b, &err);
  bool ok = st == want;
  va_list ap;
  va_start(ap, want);
  for (const char *s; ok && (s = va_arg(ap, const char *));)
    ok = strstr(err.msg, s) != NULL;
  va_end(ap);
  if (!ok) {
    fprintf(stderr, "  case `%s`: got %s (%s)\n", what, lat_status_name(st),
            st ? err.msg : "");
    CHECK_ST(st, want);
    CHECK(!"message");
  }
}

/* (core module (func (export "f") (result i32) unreachable))
 * (core instance (instantiate 0)) (alias core export 0 "f" (core func)) */
static void lift_prefix(lat_buf_t *b) {
  lat_buf_t s;
  lat_buf_init(&s);
  preamble(b);
  lat_status st = CORE(b, "(module (func (export \"f\") (result i32) unreachable))");
  CHECK_OK(st);
  B(&s, 1, 0x00), U(&s, 0), U(&s, 0);
  SEC(b, 2, 1, &s);
  B(&s, 3, 0x00, 0x00, 0x01), U(&s, 0), N(&s, "f");
  SEC(b, 6, 1, &s);
  lat_buf_fini(&s);
}

/* A function lifted with a type using a record must be exported with a
 * type using a name given to the record by an export (or import):
 *   (type $Rec (record (field "x" u32)))              ;; 0
 *   (type (func (result 0)))                          ;; 1
 *   (func $f (type 1) (canon lift (core func 0)))
 *   0: (export "f" (func $f))                         invalid
 *   1: (export "rec" (type 0)) (export "f" (func $f))  invalid: the export
 *      names its new index 2, not index 0
 *   2: (export "rec" (type 0))                        ;; 2
 *      (type (func (result 2)))                       ;; 3
 *      (export "f" (func $f) (func (type 3)))         valid (ascription) */
TEST_IMPL(component_named_record_export) {
  for (int v = 0; v < 3; v++) {
    lat_buf_t b, s;
    lat_buf_init(&b);
    lat_buf_init(&s);
    lift_prefix(&b);
    B(&s, 2, 0x72, 1), N(&s, "x"), B(&s, 1, 0x79);
    B(&s, 4, 0x40, 0, 0x00, 0);
    SEC(&b, 7, 2, &s);
    B(&s, 3, 0x00, 0x00, 0), U(&s, 0), U(&s, 1);
    SEC(&b, 8, 1, &s);
    if (v >= 1) {
      EN(&s, "rec"), B(&s, 3, 0x03, 0, 0);
      SEC(&b, 11, 1, &s);
    }
    if (v == 2) {
      B(&s, 4, 0x40, 0, 0x00, 2);
      SEC(&b, 7, 1, &s);
      EN(&s, "f"), B(&s, 5, 0x01, 0, 1, 0x01, 3);
    } else {
      EN(&s, "f"), B(&s, 3, 0x01, 0, 0);
    }
    SEC(&b, 11, 1, &s);
    if (v < 2)
      expect(&b, v ? "exported, but by another index" : "not exported", LAT_EINVALID,
             "func `f`", "as an export", "record { x: u32 }", (char *)NULL);
    else
      expect(&b, "ascribed with the exported name", LAT_OK, (char *)NULL);
    lat_buf_fini(&s);
    lat_buf_fini(&b);
  }
}

/* Imports may only use names given by earlier imports:
 *   (type $Rec (record (field "x" u32)))                ;; 0
 *   0: (import "rec" (type (eq 0)))                     ;; 1
 *      (type (func (param "r" 1))) (import "f" (func (type 2)))    valid
 *   1: (type (func (param "r" 0)))                      ;; 1
 *      (import "f" (func (type 1)))                     invalid: unnamed
 *   2: (export "rec" (type 0))                          ;; 1
 *      (type (func (param "r" 1))) (import "f" ...)     invalid: an export
 *      name (imports cannot depend on exports) */
TEST_IMPL(component_named_record_import) {
  for (int v = 0; v < 3; v++) {
    lat_buf_t b, s;
    lat_buf_init(&b);
    lat_buf_init(&s);
    preamble(&b);
    B(&s, 2, 0x72, 1), N(&s, "x"), B(&s, 1, 0x79);
    SEC(&b, 7, 1, &s);
    if (v == 0) {
      EN(&s, "rec"), B(&s, 3, 0x03, 0x00, 0);
      SEC(&b, 10, 1, &s);
    } else if (v == 2) {
      EN(&s, "rec"), B(&s, 3, 0x03, 0, 0);
      SEC(&b, 11, 1, &s);
    }
    B(&s, 2, 0x40, 1), N(&s, "r"), B(&s, 3, v == 1 ? 0 : 1, 0x01, 0x00);
    SEC(&b, 7, 1, &s);
    EN(&s, "f"), B(&s, 2, 0x01, v == 1 ? 1 : 2);
    SEC(&b, 10, 1, &s);
    if (v == 0)
      expect(&b, "imported name", LAT_OK, (char *)NULL);
    else
      expect(&b, v == 1 ? "unnamed" : "export name", LAT_EINVALID, "func `f`",
             "as an import", "record { x: u32 }", "earlier import", (char *)NULL);
    lat_buf_fini(&s);
    lat_buf_fini(&b);
  }
}

/* An export of a resource names the same resource under a new index; a
 * handle written with the old index is not named:
 *   (type $R (resource (rep i32)))                      ;; 0
 *   (export "r" (type 0))                               ;; 1
 *   (type (own 0)) (type (own 1))                       ;; 2 3
 *   (type (func (result 2))) (type (func (result 3)))   ;; 4 5
 *   (func $f (type 4) (canon lift (core func 0)))
 *   0: (export "f" (func $f))                           invalid
 *   1: (export "f" (func $f) (func (type 5)))           valid */
TEST_IMPL(component_named_resource_export) {
  for (int v = 0; v < 2; v++) {
    lat_buf_t b, s;
    lat_buf_init(&b);
    lat_buf_init(&s);
    lift_prefix(&b);
    B(&s, 3, 0x3f, 0x7f, 0x00);
    SEC(&b, 7, 1, &s);
    EN(&s, "r"), B(&s, 3, 0x03, 0, 0);
    SEC(&b, 11, 1, &s);
    B(&s, 4, 0x69, 0, 0x69, 1);
    B(&s, 8, 0x40, 0, 0x00, 2, 0x40, 0, 0x00, 3);
    SEC(&b, 7, 4, &s);
    B(&s, 3, 0x00, 0x00, 0), U(&s, 0), U(&s, 4);
    SEC(&b, 8, 1, &s);
    if (v == 0)
      EN(&s, "f"), B(&s, 3, 0x01, 0, 0);
    else
      EN(&s, "f"), B(&s, 5, 0x01, 0, 1, 0x01, 5);
    SEC(&b, 11, 1, &s);
    if (v == 0)
      expect(&b, "old index", LAT_EINVALID, "func `f`", "a handle to resource r",
             (char *)NULL);
    else
      expect(&b, "exported index", LAT_OK, (char *)NULL);
    lat_buf_fini(&s);
    lat_buf_fini(&b);
  }
}

static lat_status alloc_body(void *ctx) {
  lat_component_t *c = NULL;
  lat_status st = lat_component_new(((lat_buf_t *)ctx)->data, ((lat_buf_t *)ctx)->len,
                                    NULL, &c, NULL);
  lat_component_free(c);
  return st;
}

/* Instantiating a component replaces the types it imports by the
 * arguments, so names thread through:
 *   (type $Rec (record (field "x" u32)))                ;; 0
 *   (import "t" (type (eq 0)))                          ;; 1
 *   (component $C
 *     (type $Rec (record (field "x" u32)))
 *     (import "t" (type $Rec' (eq $Rec)))
 *     (type $Rec2 (record (field "r" $Rec')))
 *     (export "t2" (type $Rec2)))
 *   (instance $c (instantiate $C (with "t" (type ARG))))
 *   (alias export $c "t2" (type))                       ;; 2
 *   (export "t2" (type 2))
 * valid with ARG = 1 (the imported name); with ARG = 0 the record is
 * unnamed here and the export is invalid. */
TEST_IMPL(component_named_instantiate) {
  for (int arg = 1; arg >= 0; arg--) {
    lat_buf_t b, s, c;
    lat_buf_init(&b);
    lat_buf_init(&s);
    lat_buf_init(&c);
    preamble(&b);
    B(&s, 2, 0x72, 1), N(&s, "x"), B(&s, 1, 0x79);
    SEC(&b, 7, 1, &s);
    EN(&s, "t"), B(&s, 3, 0x03, 0x00, 0);
    SEC(&b, 10, 1, &s);
    preamble(&c);
    B(&s, 2, 0x72, 1), N(&s, "x"), B(&s, 1, 0x79);
    SEC(&c, 7, 1, &s);
    EN(&s, "t"), B(&s, 3, 0x03, 0x00, 0);
    SEC(&c, 10, 1, &s);
    B(&s, 2, 0x72, 1), N(&s, "r"), B(&s, 1, 1);
    SEC(&c, 7, 1, &s);
    EN(&s, "t2"), B(&s, 3, 0x03, 2, 0);
    SEC(&c, 11, 1, &s);
    SEC(&b, 4, -1, &c);
    B(&s, 3, 0x00, 0, 1), N(&s, "t"), B(&s, 2, 0x03, arg);
    SEC(&b, 5, 1, &s);
    B(&s, 3, 0x03, 0x00, 0), N(&s, "t2");
    SEC(&b, 6, 1, &s);
    EN(&s, "t2"), B(&s, 3, 0x03, 2, 0);
    SEC(&b, 11, 1, &s);
    if (arg == 1) {
      expect(&b, "named argument", LAT_OK, (char *)NULL);
      /* every allocation the renaming and the name sets make may fail */
      CHECK(CHECK_ALLOC_SWEEP(alloc_body, &b) > 10);
    } else
      expect(&b, "unnamed argument", LAT_EINVALID, "type `t2`", "record { x: u32 }",
             (char *)NULL);
    lat_buf_fini(&c);
    lat_buf_fini(&s);
    lat_buf_fini(&b);
  }
  /* a missing argument after a renamed one (the renaming is freed):
   *   (type $Rec (record (field "x" u32)))
   *   (component (type (record (field "x" u32)))
   *     (import "t" (type (eq 0))) (import "u" (type (eq 0))))
   *   (instance (instantiate 0 (with "t" (type 0)))) */
  lat_buf_t b, s, c;
  lat_buf_init(&b);
  lat_buf_init(&s);
  lat_buf_init(&c);
  preamble(&b);
  B(&s, 2, 0x72, 1), N(&s, "x"), B(&s, 1, 0x79);
  SEC(&b, 7, 1, &s);
  preamble(&c);
  B(&s, 2, 0x72, 1), N(&s, "x"), B(&s, 1, 0x79);
  SEC(&c, 7, 1, &s);
  EN(&s, "t"), B(&s, 3, 0x03, 0x00, 0), EN(&s, "u"), B(&s, 3, 0x03, 0x00, 0);
  SEC(&c, 10, 2, &s);
  SEC(&b, 4, -1, &c);
  B(&s, 3, 0x00, 0, 1), N(&s, "t"), B(&s, 2, 0x03, 0);
  SEC(&b, 5, 1, &s);
  expect(&b, "missing argument", LAT_EINVALID, "missing import named `u`", (char *)NULL);
  lat_buf_fini(&c);
  lat_buf_fini(&s);
  lat_buf_fini(&b);
}

/* [constructor]a must return a handle written with the resource imported
 * as `a`, not with another name for it:
 *   (import "a" (type (sub resource)))                  ;; 0
 *   (import "b" (type (eq 0)))                          ;; 1
 *   (type (own I)) (type (func (result 2)))             ;; 2 3
 *   (import "[constructor]a" (func (type 3)))
 * valid with I = 0, invalid with I = 1 (the name of that handle is `b`).
 * And a bag of exports names no resource, so no annotated name fits it:
 *   (import "g" (func (type 3))) (instance (export "[static]a.g" (func 0))) */
TEST_IMPL(component_named_annotated) {
  for (int i = 0; i < 2; i++) {
    lat_buf_t b, s;
    lat_buf_init(&b);
    lat_buf_init(&s);
    preamble(&b);
    EN(&s, "a"), B(&s, 2, 0x03, 0x01);
    EN(&s, "b"), B(&s, 3, 0x03, 0x00, 0);
    SEC(&b, 10, 2, &s);
    B(&s, 2, 0x69, i), B(&s, 4, 0x40, 0, 0x00, 2);
    SEC(&b, 7, 2, &s);
    EN(&s, "[constructor]a"), B(&s, 2, 0x01, 3);
    SEC(&b, 10, 1, &s);
    if (i == 0)
      expect(&b, "own a", LAT_OK, (char *)NULL);
    else
      expect(&b, "own b", LAT_EINVALID, "`[constructor]a`", "resource name `b`",
             (char *)NULL);
    lat_buf_fini(&s);
    lat_buf_fini(&b);
  }
  lat_buf_t b, s;
  lat_buf_init(&b);
  lat_buf_init(&s);
  preamble(&b);
  B(&s, 4, 0x40, 0, 0x01, 0x00);
  SEC(&b, 7, 1, &s);
  EN(&s, "g"), B(&s, 2, 0x01, 0);
  SEC(&b, 10, 1, &s);
  B(&s, 2, 0x01, 1), EN(&s, "[static]a.g"), B(&s, 2, 0x01, 0);
  SEC(&b, 5, 1, &s);
  expect(&b, "bag of exports", LAT_EINVALID, "`[static]a.g`", "bag of exports",
         (char *)NULL);
  lat_buf_fini(&s);
  lat_buf_fini(&b);
}

/* A resource the component defines cannot be imported under a name:
 *   (type $R (resource (rep i32)))                          ;; 0
 *   0: (import "r" (type (eq 0)))                           invalid
 *   1: (type (instance (alias outer 1 0 (type))
 *                      (export "r" (type (eq 0)))))         ;; 1
 *      (import "i" (instance (type 1)))                     invalid
 * nor, in a component type, a resource one of its exports introduced:
 *   2: (type (component (export "r" (type (sub resource)))
 *                       (import "x" (type (eq 0)))))        invalid */
TEST_IMPL(component_named_local_resource_import) {
  for (int v = 0; v < 3; v++) {
    lat_buf_t b, s;
    lat_buf_init(&b);
    lat_buf_init(&s);
    preamble(&b);
    if (v < 2) {
      B(&s, 3, 0x3f, 0x7f, 0x00);
      SEC(&b, 7, 1, &s);
    }
    if (v == 0) {
      EN(&s, "r"), B(&s, 3, 0x03, 0x00, 0);
      SEC(&b, 10, 1, &s);
      expect(&b, "local resource", LAT_EINVALID, "type `r`", "defined in this component",
             (char *)NULL);
    } else if (v == 1) {
      B(&s, 7, 0x42, 2, 0x02, 0x03, 0x02, 1, 0), B(&s, 1, 0x04), EN(&s, "r");
      B(&s, 3, 0x03, 0x00, 0);
      SEC(&b, 7, 1, &s);
      EN(&s, "i"), B(&s, 2, 0x05, 1);
      SEC(&b, 10, 1, &s);
      expect(&b, "in an instance", LAT_EINVALID, "type `r` (in `i`)",
             "defined in this component", (char *)NULL);
    } else {
      B(&s, 3, 0x41, 2, 0x04), EN(&s, "r"), B(&s, 2, 0x03, 0x01);
      B(&s, 1, 0x03), EN(&s, "x"), B(&s, 3, 0x03, 0x00, 0);
      SEC(&b, 7, 1, &s);
      expect(&b, "component type", LAT_EINVALID, "type `x`",
             "an export of this component type", (char *)NULL);
    }
    lat_buf_fini(&s);
    lat_buf_fini(&b);
  }
}

/* A component type is closed: exporting it needs no names for the
 * resources it declares itself (the resource check this rule replaced
 * rejected it):
 *   (type (component (export "r" (type (sub resource)))     ;; 0
 *                    (type (own 0))                         ;; 1
 *                    (type (func (result 1)))               ;; 2
 *                    (export "f" (func (type 2)))))
 *   (export "c" (type 0)) */
TEST_IMPL(component_named_component_type_export) {
  lat_buf_t b, s;
  lat_buf_init(&b);
  lat_buf_init(&s);
  preamble(&b);
  B(&s, 3, 0x41, 4, 0x04), EN(&s, "r"), B(&s, 2, 0x03, 0x01);
  B(&s, 3, 0x01, 0x69, 0);
  B(&s, 5, 0x01, 0x40, 0, 0x00, 1);
  B(&s, 1, 0x04), EN(&s, "f"), B(&s, 2, 0x01, 2);
  SEC(&b, 7, 1, &s);
  EN(&s, "c"), B(&s, 3, 0x03, 0, 0);
  SEC(&b, 11, 1, &s);
  expect(&b, "component type export", LAT_OK, (char *)NULL);
  lat_buf_fini(&s);
  lat_buf_fini(&b);
}
