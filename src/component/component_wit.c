/* component_wit.c: a small WIT reader for describing what a host provides.
 *
 * Hosts describe their interfaces (WASI 0.2, wasi:http, wasmCloud's) in the
 * WIT the standards publish, rather than in hand-built type trees: the text
 * is the specification, so copying it keeps the host's types exact, and
 * the import type check (lat_ctype_check_subtype rules) then compares a
 * component's imports with it.  Each `interface` becomes a linker instance
 * named "ns:pkg/iface@version" whose instance type exports its named types
 * (records, variants, enums, flags, aliases, used types, resources: fresh
 * host resource types made with lat_clinker_resource) and its functions
 * (resource methods as [constructor]r, [method]r.f, [static]r.f).
 *
 * Subset: package, interface, use (same package or foreign
 * `ns:pkg/iface@ver.{a, b as c}`: foreign ones from this text or, failing
 * that, from an instance the linker already has, so a host shim's WIT can
 * use wasi:io's resources without repeating wasi:io), type, record, variant, enum, flags,
 * resource (with constructor, methods, static functions), func with one
 * result; worlds are skipped; `@since`/`@deprecated` gates are read and
 * ignored; items gated `@unstable` are left out (a stable host).  Async,
 * streams and futures are not WIT of 0.2 and are rejected.
 *
 * The text is trusted host input, but errors are still reported (line and
 * what was expected), never asserted.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "component_int.h"

#define MAX_NAMED 512

typedef struct {
  const char *name;
  const lat_ctype_t *type;
} named_t;

typedef struct {
  char full[400];    /* ns:pkg/iface@ver */
  named_t *types;
  uint32_t ntypes;
} iface_t;

typedef struct {
  lat_clinker_t *l;
  lat_ctype_builder_t b;
  lat_error_t *err;
  const char *p, *end, *start;
  char pkg[160];     /* ns:pkg */
  char ver[40];      /* version or "" */
  iface_t *ifaces;
  uint32_t nifaces, capifaces;
  /* the interface being read */
  iface_t *cur;
  lat_cextern_t *ex;
  uint32_t nex, capex;
  bool missing;      /* the last failure was an unknown name (retry later) */
} wit_t;

static int line_of(const wit_t *w) {
  int n = 1;
  for (const char *q = w->start; q < w->p && q < w->end; q++) n += *q == '\n';
  return n;
}

static lat_status fail(wit_t *w, const char *what) {
  return lat_error_set(w->err, LAT_EINVALID, SIZE_MAX, "WIT line %d: %s", line_of(w),
                       what);
}

static void skip_ws(wit_t *w) {
  for (;;) {
    while (w->p < w->end && isspace((unsigned char)*w->p)) w->p++;
    if (w->end - w->p >= 2 && w->p[0] == '/' && w->p[1] == '/') {
      while (w->p < w->end && *w->p != '\n') w->p++;
    } else if (w->end - w->p >= 2 && w->p[0] == '/' && w->p[1] == '*') {
      w->p += 2;
      while (w->end - w->p >= 2 && !(w->p[0] == '*' && w->p[1] == '/')) w->p++;
      w->p = w->end - w->p >= 2 ? w->p + 2 : w->end;
    } else {
      return;
    }
  }
}

static bool peek(wit_t *w, char c) {
  skip_ws(w);
  return w->p < w->end && *w->p == c;
}

static bool eat(wit_t *w, char c) {
  if (!peek(w, c)) return false;
  w->p++;
  return true;
}

static lat_status expect(wit_t *w, char c) {
  if (eat(w, c)) return LAT_OK;
  char m[32];
  snprintf(m, sizeof m, "expected '%c'", c);
  return fail(w, m);
}

static bool is_id(char c) { return isalnum((unsigned char)c) || c == '-' || c == '_'; }

/* An identifier into the arena (NULL at end / no identifier). */
static const char *ident(wit_t *w) {
  skip_ws(w);
  if (w->p < w->end && *w->p == '%') w->p++;
  const char *s = w->p;
  while (w->p < w->end && is_id(*w->p)) w->p++;
  if (w->p == s) return NULL;
  char *o = lat_arena_alloc(w->b.arena, (size_t)(w->p - s) + 1);
  if (o) memcpy(o, s, (size_t)(w->p - s));
  return o;
}

static bool kw(wit_t *w, const char *k) {
  skip_ws(w);
  size_t n = strlen(k);
  if ((size_t)(w->end - w->p) >= n && !memcmp(w->p, k, n) &&
      (w->p + n == w->end || !is_id(w->p[n]))) {
    w->p += n;
    return true;
  }
  return false;
}

/* A package/use path: ns:pkg/iface@1.2.3 (without a trailing ".{"). */
static lat_status path(wit_t *w, char *out, size_t cap) {
  skip_ws(w);
  const char *s = w->p;
  while (w->p < w->end && !isspace((unsigned char)*w->p) && *w->p != ';' &&
         *w->p != '{' && *w->p != '}')
    w->p++;
  size_t n = (size_t)(w->p - s);
  if (n && s[n - 1] == '.') n--, w->p--;
  if (!n || n >= cap) return fail(w, "bad path");
  memcpy(out, s, n);
  out[n] = 0;
  return LAT_OK;
}

/* Reads `@gate(...)`s; *unstable when one is @unstable. */
static lat_status gates(wit_t *w, bool *unstable) {
  *unstable = false;
  while (eat(w, '@')) {
    const char *g = ident(w);
    if (!g) return fail(w, "bad annotation");
    if (!strcmp(g, "unstable")) *unstable = true;
    if (eat(w, '(')) {
      int depth = 1;
      while (w->p < w->end && depth) {
        if (*w->p == '(') depth++;
        if (*w->p == ')') depth--;
        w->p++;
      }
    }
  }
  return LAT_OK;
}

static lat_status skip_braces(wit_t *w) {
  while (w->p < w->end && *w->p != '{' && *w->p != ';') w->p++;
  if (w->p < w->end && *w->p == ';') {
    w->p++;
    return LAT_OK;
  }
  int depth = 0;
  do {
    if (w->p >= w->end) return fail(w, "unbalanced braces");
    if (*w->p == '{') depth++;
    if (*w->p == '}') depth--;
    w->p++;
  } while (depth);
  return LAT_OK;
}

/* ---- named types -------------------------------------------------------------------- */

static lat_status add_named(wit_t *w, const char *name, const lat_ctype_t *t) {
  iface_t *f = w->cur;
  if (f->ntypes >= MAX_NAMED) return fail(w, "too many types");
  if (!f->types && !(f->types = lat_arena_array(w->b.arena, MAX_NAMED, sizeof *f->types)))
    return LAT_ENOMEM;
  f->types[f->ntypes++] = (named_t){name, t};
  return LAT_OK;
}

static const lat_ctype_t *find_named(const iface_t *f, const char *name) {
  for (uint32_t i = f->ntypes; i-- > 0;)
    if (!strcmp(f->types[i].name, name)) return f->types[i].type;
  return NULL;
}

static lat_status add_export(wit_t *w, const char *name, lat_csort_t sort,
                             const lat_ctype_t *t) {
  if (w->nex == w->capex) {
    uint32_t nc = w->capex ? w->capex * 2 : 32;
    lat_cextern_t *v = lat_arena_array(w->b.arena, nc, sizeof *v);
    if (!v) return LAT_ENOMEM;
    if (w->nex) memcpy(v, w->ex, w->nex * sizeof *v);
    w->ex = v;
    w->capex = nc;
  }
  lat_cextern_t *x = &w->ex[w->nex++];
  memset(x, 0, sizeof *x);
  x->name.full = name;
  x->sort = sort;
  x->type = t;
  x->sub_resource = sort == LAT_CSORT_TYPE && t->kind == LAT_CT_RESOURCE;
  return LAT_OK;
}

/* ---- types ---------------------------------------------------------------------------- */

static const lat_ctype_t *ty(wit_t *w, lat_status *st);

static const lat_ctype_t *handle_of(wit_t *w, const lat_ctype_t *t, bool borrow,
                                    lat_status *st) {
  if (!t || t->kind != LAT_CT_RESOURCE) {
    *st = fail(w, "not a resource");
    return NULL;
  }
  const lat_ctype_t *h = borrow ? lat_ctype_borrow(&w->b, t) : lat_ctype_own(&w->b, t);
  if (!h) *st = LAT_ENOMEM;
  return h;
}

static const lat_ctype_t *ty(wit_t *w, lat_status *st) {
  static const struct {
    const char *n;
    lat_ctype_kind_t k;
  } prims[] = {{"bool", LAT_CT_BOOL}, {"s8", LAT_CT_S8},     {"u8", LAT_CT_U8},
               {"s16", LAT_CT_S16},   {"u16", LAT_CT_U16},   {"s32", LAT_CT_S32},
               {"u32", LAT_CT_U32},   {"s64", LAT_CT_S64},   {"u64", LAT_CT_U64},
               {"f32", LAT_CT_F32},   {"f64", LAT_CT_F64},   {"float32", LAT_CT_F32},
               {"float64", LAT_CT_F64}, {"char", LAT_CT_CHAR}, {"string", LAT_CT_STRING}};
  const char *id = ident(w);
  if (!id) {
    *st = fail(w, "expected a type");
    return NULL;
  }
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
    if (!strcmp(id, prims[i].n)) return lat_ctype_prim(prims[i].k);
  const lat_ctype_t *t = NULL;
  if (!strcmp(id, "list") || !strcmp(id, "option") || !strcmp(id, "borrow") ||
      !strcmp(id, "own")) {
    if ((*st = expect(w, '<'))) return NULL;
    const lat_ctype_t *e = ty(w, st);
    if (!e || (*st = expect(w, '>'))) return NULL;
    if (id[0] == 'l') t = lat_ctype_list(&w->b, e);
    else if (id[0] == 'o' && id[1] == 'p') t = lat_ctype_option(&w->b, e);
    else {
      /* e is own<R> already (a bare resource name) */
      if (e->kind != LAT_CT_OWN) {
        *st = fail(w, "borrow/own of a non-resource");
        return NULL;
      }
      return handle_of(w, e->u.elem, id[0] == 'b', st);
    }
  } else if (!strcmp(id, "result")) {
    const lat_ctype_t *ok = NULL, *er = NULL;
    if (eat(w, '<')) {
      skip_ws(w);
      if (eat(w, '_')) {
        ok = NULL;
      } else if (!(ok = ty(w, st))) {
        return NULL;
      }
      if (eat(w, ',') && !(er = ty(w, st))) return NULL;
      if ((*st = expect(w, '>'))) return NULL;
    }
    t = lat_ctype_result(&w->b, ok, er);
  } else if (!strcmp(id, "tuple")) {
    const lat_ctype_t *el[32];
    uint32_t n = 0;
    if ((*st = expect(w, '<'))) return NULL;
    do {
      if (n == 32) {
        *st = fail(w, "tuple too long");
        return NULL;
      }
      if (!(el[n++] = ty(w, st))) return NULL;
    } while (eat(w, ','));
    if ((*st = expect(w, '>'))) return NULL;
    t = lat_ctype_tuple(&w->b, el, n);
  } else if (!strcmp(id, "future") || !strcmp(id, "stream")) {
    *st = fail(w, "future/stream are not WASI 0.2");
    return NULL;
  } else {
    t = find_named(w->cur, id);
    if (!t) {
      char m[160];
      snprintf(m, sizeof m, "unknown type `%s`", id);
      *st = fail(w, m);
      w->missing = true;
      return NULL;
    }
    if (t->kind == LAT_CT_RESOURCE) return handle_of(w, t, false, st);
    return t;
  }
  if (!t) *st = w->err && w->err->code ? w->err->code : LAT_ENOMEM;
  return t;
}

/* func(params) [-> ty]; self (a resource) is prepended as borrow<self>. */
static const lat_ctype_t *functype(wit_t *w, const lat_ctype_t *self,
                                   const lat_ctype_t *ctor, lat_status *st) {
  lat_cfield_t ps[32];
  uint32_t n = 0;
  if (self) {
    ps[n].name = "self";
    if (!(ps[n++].type = handle_of(w, self, true, st))) return NULL;
  }
  if ((*st = expect(w, '('))) return NULL;
  while (!peek(w, ')')) {
    if (n == 32) {
      *st = fail(w, "too many parameters");
      return NULL;
    }
    if (!(ps[n].name = ident(w))) {
      *st = fail(w, "expected a parameter name");
      return NULL;
    }
    if ((*st = expect(w, ':'))) return NULL;
    if (!(ps[n++].type = ty(w, st))) return NULL;
    if (!eat(w, ',')) break;
  }
  if ((*st = expect(w, ')'))) return NULL;
  const lat_ctype_t *res = NULL;
  if (ctor) {
    res = handle_of(w, ctor, false, st);
    if (!res) return NULL;
    if (eat(w, '-')) { /* a fallible constructor: -> result<r, e> */
      if ((*st = expect(w, '>')) || !(res = ty(w, st))) return NULL;
    }
  } else if (eat(w, '-')) {
    if ((*st = expect(w, '>')) || !(res = ty(w, st))) return NULL;
  }
  const lat_ctype_t *f = lat_ctype_func(&w->b, ps, n, res);
  if (!f) *st = LAT_ENOMEM;
  return f;
}

/* { a: ty, ... } / { a(ty), b } / { a, b } */
static lat_status fields(wit_t *w, int kind, lat_cfield_t *f, const char **labels,
                         uint32_t *n) {
  lat_status st = expect(w, '{');
  if (st) return st;
  *n = 0;
  while (!peek(w, '}')) {
    bool unst;
    if ((st = gates(w, &unst))) return st;
    if (*n == 256) return fail(w, "too many cases");
    const char *id = ident(w);
    if (!id) return fail(w, "expected a name");
    if (kind == LAT_CT_RECORD) {
      if ((st = expect(w, ':'))) return st;
      f[*n].name = id;
      if (!(f[*n].type = ty(w, &st))) return st;
    } else if (kind == LAT_CT_VARIANT) {
      f[*n].name = id;
      f[*n].type = NULL;
      if (eat(w, '(')) {
        if (!(f[*n].type = ty(w, &st))) return st;
        if ((st = expect(w, ')'))) return st;
      }
    } else {
      labels[*n] = id;
    }
    (*n)++;
    if (!eat(w, ',')) break;
  }
  return expect(w, '}');
}

static lat_status typedef_item(wit_t *w, const char *what) {
  const char *name = ident(w);
  if (!name) return fail(w, "expected a type name");
  lat_status st = LAT_OK;
  const lat_ctype_t *t = NULL;
  if (!strcmp(what, "type")) {
    if ((st = expect(w, '='))) return st;
    if (!(t = ty(w, &st))) return st;
    /* `type x = r` where r is a resource: x is the same resource */
    if (t->kind == LAT_CT_OWN) t = t->u.elem;
    if ((st = expect(w, ';'))) return st;
  } else {
    int kind = !strcmp(what, "record")    ? LAT_CT_RECORD
               : !strcmp(what, "variant") ? LAT_CT_VARIANT
               : !strcmp(what, "enum")    ? LAT_CT_ENUM
                                          : LAT_CT_FLAGS;
    lat_cfield_t f[256];
    const char *labels[256];
    uint32_t n;
    if ((st = fields(w, kind, f, labels, &n))) return st;
    if (kind == LAT_CT_RECORD) t = lat_ctype_record(&w->b, f, n);
    else if (kind == LAT_CT_VARIANT) t = lat_ctype_variant(&w->b, f, n);
    else if (kind == LAT_CT_ENUM) t = lat_ctype_enum(&w->b, labels, n);
    else t = lat_ctype_flags(&w->b, labels, n);
    if (!t) return w->err && w->err->code ? w->err->code : LAT_ENOMEM;
  }
  if ((st = add_named(w, name, t))) return st;
  return add_export(w, name, LAT_CSORT_TYPE, t);
}

static char *cat3(wit_t *w, const char *a, const char *b, const char *c) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *o = lat_arena_alloc(w->b.arena, n);
  if (o) snprintf(o, n, "%s%s%s", a, b, c);
  return o;
}

static lat_status resource_item(wit_t *w) {
  const char *name = ident(w);
  if (!name) return fail(w, "expected a resource name");
  const lat_ctype_t *r = find_named(w->cur, name);
  lat_status st;
  if (!r || r->kind != LAT_CT_RESOURCE) return fail(w, "resource not declared");
  if (eat(w, ';')) return LAT_OK;
  if ((st = expect(w, '{'))) return st;
  while (!eat(w, '}')) {
    bool unst;
    if ((st = gates(w, &unst))) return st;
    const char *fn;
    const lat_ctype_t *ft;
    if (kw(w, "constructor")) {
      if (!(ft = functype(w, NULL, r, &st))) return st;
      fn = cat3(w, "[constructor]", name, "");
    } else {
      const char *m = ident(w);
      if (!m || (st = expect(w, ':'))) return m ? st : fail(w, "expected a method");
      bool stat = kw(w, "static");
      if (!kw(w, "func")) return fail(w, "expected func");
      if (!(ft = functype(w, stat ? NULL : r, NULL, &st))) return st;
      fn = cat3(w, stat ? "[static]" : "[method]", name, cat3(w, ".", m, ""));
    }
    if ((st = expect(w, ';'))) return st;
    if (!fn) return LAT_ENOMEM;
    if (!unst && (st = add_export(w, fn, LAT_CSORT_FUNC, ft))) return st;
  }
  return LAT_OK;
}

static iface_t *find_iface(wit_t *w, const char *full) {
  for (uint32_t i = 0; i < w->nifaces; i++)
    if (!strcmp(w->ifaces[i].full, full)) return &w->ifaces[i];
  return NULL;
}

/* Type `name` exported by linker instance type it (an interface an
 * earlier lat_clinker_add_wit defined), or NULL. */
static const lat_ctype_t *linker_named(const lat_ctype_t *it, const char *name) {
  for (uint32_t k = 0; it && k < it->n; k++)
    if (it->u.decls[k].sort == LAT_CSORT_TYPE && !strcmp(it->u.decls[k].name.full, name))
      return it->u.decls[k].type;
  return NULL;
}

static lat_status use_item(wit_t *w) {
  char p[160], full[400];
  lat_status st = path(w, p, sizeof p);
  if (st) return st;
  if (strchr(p, ':')) snprintf(full, sizeof full, "%s", p);
  else snprintf(full, sizeof full, "%s/%s%s%s", w->pkg, p, w->ver[0] ? "@" : "", w->ver);
  iface_t *src = find_iface(w, full);
  /* a foreign interface not in this text: one already in the linker */
  const lat_ctype_t *lt = NULL;
  if (!src && strchr(p, ':')) {
    uint32_t idx = lat_clinker_find(w->l, full);
    if (idx != UINT32_MAX) lt = lat_clinker_instance_type(w->l, idx);
  }
  if (!src && !lt) {
    char m[240];
    snprintf(m, sizeof m, "use of unknown interface `%.200s`", full);
    w->missing = true;
    return fail(w, m);
  }
  if ((st = expect(w, '.')) || (st = expect(w, '{'))) return st;
  while (!peek(w, '}')) {
    const char *n = ident(w), *as = n;
    if (!n) return fail(w, "expected a name");
    if (kw(w, "as") && !(as = ident(w))) return fail(w, "expected a name");
    const lat_ctype_t *t = src ? find_named(src, n) : linker_named(lt, n);
    if (!t) {
      w->missing = true;
      return fail(w, "use of an unknown type");
    }
    if ((st = add_named(w, as, t)) || (st = add_export(w, as, LAT_CSORT_TYPE, t)))
      return st;
    if (!eat(w, ',')) break;
  }
  if ((st = expect(w, '}'))) return st;
  return expect(w, ';');
}

static lat_status interface(wit_t *w, bool unstable) {
  const char *name = ident(w);
  if (!name) return fail(w, "expected an interface name");
  if (w->nifaces == w->capifaces) {
    uint32_t nc = w->capifaces ? w->capifaces * 2 : 16;
    iface_t *v = lat_realloc(w->ifaces, nc * sizeof *v);
    if (!v) return LAT_ENOMEM;
    w->ifaces = v;
    w->capifaces = nc;
  }
  iface_t *f = &w->ifaces[w->nifaces++];
  memset(f, 0, sizeof *f);
  snprintf(f->full, sizeof f->full, "%s/%s%s%s", w->pkg, name, w->ver[0] ? "@" : "",
           w->ver);
  w->cur = f;
  w->ex = NULL;
  w->nex = w->capex = 0;
  lat_status st = expect(w, '{');
  if (st) return st;
  /* items (start, end), and resources declared up front: WIT allows
   * references to names defined later in the interface */
  const char *is[256];
  bool done[256];
  uint32_t ni = 0;
  for (;;) {
    skip_ws(w);
    if (w->p >= w->end) return fail(w, "unterminated interface");
    if (*w->p == '}') {
      w->p++;
      break;
    }
    if (ni == 256) return fail(w, "too many items in an interface");
    is[ni] = w->p;
    bool unst;
    if ((st = gates(w, &unst))) return st;
    if (kw(w, "resource")) {
      const char *rn = ident(w);
      const lat_ctype_t *r;
      uint32_t id;
      if (!rn) return fail(w, "expected a resource name");
      if (!unst) {
        if ((st = lat_clinker_resource(w->l, rn, &r, &id)) ||
            (st = add_named(w, rn, r)) || (st = add_export(w, rn, LAT_CSORT_TYPE, r)))
          return st;
      }
    }
    int depth = 0;
    for (;;) {
      if (w->p >= w->end) return fail(w, "unterminated item");
      char ch = *w->p++;
      if (ch == '{') depth++;
      else if (ch == '}' && --depth == 0) {
        if (peek(w, ';')) w->p++;
        break;
      } else if (ch == ';' && depth == 0) {
        break;
      }
    }
    done[ni++] = false;
  }
  const char *after = w->p;
  uint32_t left = ni;
  lat_status last = LAT_OK;
  while (left) {
    bool progress = false;
    for (uint32_t k = 0; k < ni; k++) {
      if (done[k]) continue;
      w->p = is[k];
      w->missing = false;
      uint32_t nex = w->nex, nt = f->ntypes;
      bool unst;
      if ((st = gates(w, &unst))) return st;
      if (unst) { /* unstable items are not part of this host */
        done[k] = true;
        left--;
        progress = true;
        continue;
      }
      if (kw(w, "use")) st = use_item(w);
      else if (kw(w, "type")) st = typedef_item(w, "type");
      else if (kw(w, "record")) st = typedef_item(w, "record");
      else if (kw(w, "variant")) st = typedef_item(w, "variant");
      else if (kw(w, "enum")) st = typedef_item(w, "enum");
      else if (kw(w, "flags")) st = typedef_item(w, "flags");
      else if (kw(w, "resource")) st = resource_item(w);
      else {
        const char *fn = ident(w);
        const lat_ctype_t *ft = NULL;
        if (!fn) return fail(w, "expected an interface item");
        if ((st = expect(w, ':'))) return st;
        if (!kw(w, "func")) return fail(w, "expected func");
        if (!st && (ft = functype(w, NULL, NULL, &st)) && !(st = expect(w, ';')))
          st = add_export(w, fn, LAT_CSORT_FUNC, ft);
      }
      if (st) {
        w->nex = nex;
        f->ntypes = nt;
        if (!w->missing) return st;
        last = st;
        continue;
      }
      done[k] = true;
      left--;
      progress = true;
    }
    if (!progress) {
      w->missing = true; /* maybe another interface defines it */
      return last;
    }
  }
  w->p = after;
  if (unstable) return LAT_OK;
  const lat_ctype_t *it = lat_ctype_instance(&w->b, w->ex, w->nex);
  if (!it) return w->err && w->err->code ? w->err->code : LAT_ENOMEM;
  return lat_clinker_instance(w->l, f->full, it, NULL, w->err);
}

lat_status lat_clinker_add_wit(lat_clinker_t *l, const char *text, size_t len,
                               lat_error_t *err) {
  wit_t w;
  memset(&w, 0, sizeof w);
  w.l = l;
  w.b.arena = lat_clinker_arena(l);
  w.b.err = err;
  w.err = err;
  w.p = w.start = text;
  w.end = text + len;
  lat_status st = LAT_OK;
  const char *defer[64];
  char defpkg[64][160], defver[64][40];
  bool defunst[64];
  uint32_t ndefer = 0;
  for (;;) {
    bool unst;
    if ((st = gates(&w, &unst))) break;
    skip_ws(&w);
    if (w.p >= w.end) break;
    if (kw(&w, "package")) {
      char p[160];
      if ((st = path(&w, p, sizeof p)) || (st = expect(&w, ';'))) break;
      char *at = strchr(p, '@');
      snprintf(w.ver, sizeof w.ver, "%s", at ? at + 1 : "");
      if (at) *at = 0;
      snprintf(w.pkg, sizeof w.pkg, "%s", p);
    } else if (kw(&w, "interface")) {
      const char *at = w.p;
      uint32_t n0 = w.nifaces;
      if ((st = interface(&w, unst))) {
        if (!w.missing || ndefer == 64) break;
        w.nifaces = n0;
        w.p = at;
        defunst[ndefer] = unst;
        defer[ndefer] = at;
        strcpy(defpkg[ndefer], w.pkg);
        strcpy(defver[ndefer++], w.ver);
        st = LAT_OK;
        skip_braces(&w);
      }
    } else if (kw(&w, "world")) {
      if ((st = skip_braces(&w))) break;
    } else {
      st = fail(&w, "expected package, interface or world");
      break;
    }
  }
  /* interfaces that used names defined later: retry while any progresses */
  while (!st && ndefer) {
    uint32_t k2 = 0;
    bool progress = false;
    lat_status last = LAT_OK;
    for (uint32_t k = 0; k < ndefer; k++) {
      w.p = defer[k];
      strcpy(w.pkg, defpkg[k]);
      strcpy(w.ver, defver[k]);
      uint32_t n0 = w.nifaces;
      lat_status s2 = interface(&w, defunst[k]);
      if (!s2) {
        progress = true;
        continue;
      }
      if (!w.missing) {
        st = s2;
        break;
      }
      w.nifaces = n0;
      last = s2;
      defer[k2] = defer[k];
      defunst[k2] = defunst[k];
      memmove(defpkg[k2], defpkg[k], sizeof defpkg[k]);
      memmove(defver[k2++], defver[k], sizeof defver[k]);
    }
    if (st) break;
    ndefer = k2;
    if (!progress) st = last;
  }
  lat_free(w.ifaces);
  if (!st) lat_error_clear(err);
  if (st == LAT_ENOMEM) lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  return st;
}
