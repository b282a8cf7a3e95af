/* wrpc_types.h: builds component types from WIT-like text for the wRPC
 * tests and the wRPC fuzz target ("list<u32>", "record{a:u8,b:string}",
 * "variant{a,b(u8)}", "enum{x,y}", "flags{a,b}", "tuple<bool,u16>",
 * "option<T>", "result<T,E>", "result<_,E>", "result", "future<T>",
 * "stream<T>", "own", "borrow").  No spaces.  Compound types with a future
 * or stream inside are built with lattice_wrpc.c's builders (the component
 * builder takes only component value types).  Returns NULL on a syntax
 * error or out of memory.  Header-only (static functions) so both the unit
 * tests and tests/fuzz/ can include it. */
#ifndef LAT_TEST_WRPC_TYPES_H
#define LAT_TEST_WRPC_TYPES_H

#include <stdio.h>
#include <string.h>

#include "lattice/lattice.h"

typedef struct {
  const char *p;
  lat_ctype_builder_t b;
} wt_parser_t;

static const lat_ctype_t *wt_type(wt_parser_t *ps);

static bool wt_eat(wt_parser_t *ps, const char *s) {
  size_t n = strlen(s);
  if (strncmp(ps->p, s, n) != 0) return false;
  ps->p += n;
  return true;
}

/* A label: [a-z0-9-]+, copied into the arena. */
static const char *wt_label(wt_parser_t *ps) {
  size_t n = strspn(ps->p, "abcdefghijklmnopqrstuvwxyz0123456789-");
  if (!n) return NULL;
  char *s = lat_arena_alloc(ps->b.arena, n + 1);
  if (!s) return NULL;
  memcpy(s, ps->p, n);
  ps->p += n;
  return s;
}

static const lat_ctype_t *wt_type(wt_parser_t *ps) {
  static const struct {
    const char *name;
    lat_ctype_kind_t k;
  } prims[] = {{"bool", LAT_CT_BOOL},   {"u8", LAT_CT_U8},     {"s8", LAT_CT_S8},
               {"u16", LAT_CT_U16},     {"s16", LAT_CT_S16},   {"u32", LAT_CT_U32},
               {"s32", LAT_CT_S32},     {"u64", LAT_CT_U64},   {"s64", LAT_CT_S64},
               {"f32", LAT_CT_F32},     {"f64", LAT_CT_F64},   {"char", LAT_CT_CHAR},
               {"string", LAT_CT_STRING}};
  lat_ctype_builder_t *b = &ps->b;
  lat_arena_t *a = b->arena;
  if (wt_eat(ps, "list<")) {
    const lat_ctype_t *e = wt_type(ps);
    if (!e || !wt_eat(ps, ">")) return NULL;
    return lat_wrpc_type_has_async(e) ? lat_wrpc_type_list(a, e) : lat_ctype_list(b, e);
  }
  if (wt_eat(ps, "option<")) {
    const lat_ctype_t *e = wt_type(ps);
    if (!e || !wt_eat(ps, ">")) return NULL;
    return lat_wrpc_type_has_async(e) ? lat_wrpc_type_option(a, e)
                                      : lat_ctype_option(b, e);
  }
  if (wt_eat(ps, "future<")) {
    const lat_ctype_t *e = wt_type(ps);
    return e && wt_eat(ps, ">") ? lat_wrpc_type_future(b->arena, e) : NULL;
  }
  if (wt_eat(ps, "stream<")) {
    const lat_ctype_t *e = wt_type(ps);
    return e && wt_eat(ps, ">") ? lat_wrpc_type_stream(b->arena, e) : NULL;
  }
  if (wt_eat(ps, "result<")) {
    const lat_ctype_t *ok = NULL, *er = NULL;
    if (!wt_eat(ps, "_") && !(ok = wt_type(ps))) return NULL;
    if (wt_eat(ps, ",") && !(er = wt_type(ps))) return NULL;
    if (!wt_eat(ps, ">")) return NULL;
    return lat_wrpc_type_has_async(ok) || lat_wrpc_type_has_async(er)
               ? lat_wrpc_type_result(a, ok, er)
               : lat_ctype_result(b, ok, er);
  }
  if (wt_eat(ps, "result")) return lat_ctype_result(b, NULL, NULL);
  if (wt_eat(ps, "tuple<")) {
    const lat_ctype_t *el[16];
    uint32_t n = 0;
    bool async = false;
    do {
      if (n == 16 || !(el[n++] = wt_type(ps))) return NULL;
      async |= lat_wrpc_type_has_async(el[n - 1]);
    } while (wt_eat(ps, ","));
    if (!wt_eat(ps, ">")) return NULL;
    return async ? lat_wrpc_type_tuple(a, el, n) : lat_ctype_tuple(b, el, n);
  }
  bool rec = wt_eat(ps, "record{"), var = !rec && wt_eat(ps, "variant{");
  if (rec || var) {
    lat_cfield_t f[16];
    uint32_t n = 0;
    bool async = false;
    do {
      if (n == 16 || !(f[n].name = wt_label(ps))) return NULL;
      f[n].type = NULL;
      if (rec && (!wt_eat(ps, ":") || !(f[n].type = wt_type(ps)))) return NULL;
      if (var && wt_eat(ps, "(") && (!(f[n].type = wt_type(ps)) || !wt_eat(ps, ")")))
        return NULL;
      async |= lat_wrpc_type_has_async(f[n].type);
      n++;
    } while (wt_eat(ps, ","));
    if (!wt_eat(ps, "}")) return NULL;
    if (async)
      return rec ? lat_wrpc_type_record(a, f, n) : lat_wrpc_type_variant(a, f, n);
    return rec ? lat_ctype_record(b, f, n) : lat_ctype_variant(b, f, n);
  }
  bool en = wt_eat(ps, "enum{"), fl = !en && wt_eat(ps, "flags{");
  if (en || fl) {
    const char *l[40];
    uint32_t n = 0;
    do {
      if (n == 40 || !(l[n++] = wt_label(ps))) return NULL;
    } while (wt_eat(ps, ","));
    if (!wt_eat(ps, "}")) return NULL;
    return en ? lat_ctype_enum(b, l, n) : lat_ctype_flags(b, l, n);
  }
  bool own = wt_eat(ps, "own"), borrow = !own && wt_eat(ps, "borrow");
  if (own || borrow) {
    const lat_ctype_t *r = lat_ctype_resource(b, "res");
    return r ? (own ? lat_ctype_own(b, r) : lat_ctype_borrow(b, r)) : NULL;
  }
  /* longest match first: "s8" vs "s16" are distinct prefixes already */
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
    size_t n = strlen(prims[i].name);
    if (strncmp(ps->p, prims[i].name, n) == 0 &&
        !strchr("abcdefghijklmnopqrstuvwxyz0123456789", ps->p[n] ? ps->p[n] : ' ')) {
      ps->p += n;
      return lat_ctype_prim(prims[i].k);
    }
  }
  return NULL;
}

/* Hex text ("01 ff") to bytes; returns the count. */
static inline size_t wt_unhex(const char *h, uint8_t *out, size_t cap) {
  size_t n = 0;
  unsigned v;
  int used;
  while (n < cap && sscanf(h, " %2x%n", &v, &used) == 1) {
    out[n++] = (uint8_t)v;
    h += used;
  }
  return n;
}

/* Bytes to hex text "01 ff" (truncated to cap). */
static inline void wt_hex(const uint8_t *p, size_t n, char *out, size_t cap) {
  size_t w = 0;
  out[0] = 0;
  for (size_t i = 0; i < n && w + 4 < cap; i++)
    w += (size_t)snprintf(out + w, cap - w, i ? " %02x" : "%02x", p[i]);
}

/* The whole of text as one type, or NULL. */
static inline const lat_ctype_t *wt_parse(lat_arena_t *a, const char *text) {
  wt_parser_t ps = {.p = text, .b = {.arena = a, .err = NULL}};
  const lat_ctype_t *t = wt_type(&ps);
  return t && !*ps.p ? t : NULL;
}

#endif
