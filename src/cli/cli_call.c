/* `lattice call`: calls a component's exports with values written as text,
 * and prints the results the same way.  The test driver of the component
 * suite, and a tool for poking at a component by hand (what `wasmtime run
 * --invoke` does for components).
 *
 *   lattice call [--host WIT]... COMPONENT EXPORT [ARG...] [-- EXPORT [ARG...]]...
 *   lattice call [--host WIT]... --bench-instantiate N COMPONENT
 *
 * EXPORT is `name` (a function exported at the top level) or
 * `iface#name` (a function of an exported instance).  The calls run in
 * order in one instance, so resources can flow between them: an own or
 * borrow handle prints as `#N` (N counts the handles received so far) and
 * `#N` as an argument passes handle N back; the pseudo-export `drop #N`
 * lets go of it.  At the end every handle still held is dropped (running
 * the guest's destructor).
 *
 * Values use the WebAssembly Value Encoding's syntax (WAVE): true, 42,
 * -1.5, nan, 'c', "text\n", [1, 2], (1, "a"), {x: 1, y: 2} for records,
 * {read, write} for flags, case or case(payload) for variants and enums,
 * some(x) / none, ok / ok(x) / err / err(x).
 *
 * The component's WASI 0.2 imports get the standard host (no grants; the
 * process's stdio).  `--host WIT` adds the interfaces of a WIT file with a
 * generic implementation, for testing imports: each function prints
 * `host: NAME(ARGS)` on stdout and returns its first argument when that has
 * the result's type, else the result type's zero value.
 *
 * Why a subcommand and not a test-only binary: it is built, sanitized and
 * shipped with everything else, and the value syntax is useful beyond tests.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../wasi/wasi.h"
#include "cli.h"

#define MAX_HANDLES 1024

typedef struct {
  lat_cval_t h[MAX_HANDLES];
  uint32_t n;
  bool dropped[MAX_HANDLES];
} handles_t;

/* ---- printing ------------------------------------------------------------------------ */

static void print_str(lat_buf_t *o, const char *s, size_t n, char q) {
  lat_buf_push(o, (uint8_t)q);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n') lat_buf_printf(o, "\\n");
    else if (ch == '\t') lat_buf_printf(o, "\\t");
    else if (ch == '\\' || ch == (unsigned char)q) lat_buf_printf(o, "\\%c", ch);
    else if (ch < 0x20) lat_buf_printf(o, "\\u{%x}", ch);
    else lat_buf_push(o, ch);
  }
  lat_buf_push(o, (uint8_t)q);
}

static void print_float(lat_buf_t *o, double d, bool f32) {
  if (isnan(d)) lat_buf_printf(o, "nan");
  else if (isinf(d)) lat_buf_printf(o, d > 0 ? "inf" : "-inf");
  else lat_buf_printf(o, f32 ? "%.9g" : "%.17g", d);
}

static void print_val(lat_buf_t *o, const lat_cval_t *v, const lat_ctype_t *t,
                      handles_t *hs) {
  switch (t->kind) {
  case LAT_CT_BOOL: lat_buf_printf(o, v->of.b ? "true" : "false"); break;
  case LAT_CT_S8: case LAT_CT_S16: case LAT_CT_S32: case LAT_CT_S64:
    lat_buf_printf(o, "%" PRId64, v->of.s);
    break;
  case LAT_CT_U8: case LAT_CT_U16: case LAT_CT_U32: case LAT_CT_U64:
    lat_buf_printf(o, "%" PRIu64, v->of.u);
    break;
  case LAT_CT_F32: print_float(o, v->of.f32, true); break;
  case LAT_CT_F64: print_float(o, v->of.f64, false); break;
  case LAT_CT_CHAR: {
    uint8_t u[4];
    size_t n = lat_utf8_encode(v->of.c, u);
    print_str(o, (const char *)u, n, '\'');
    break;
  }
  case LAT_CT_STRING: print_str(o, v->of.str.ptr, v->of.str.len, '"'); break;
  case LAT_CT_LIST:
    lat_buf_printf(o, "[");
    for (uint32_t i = 0; i < v->of.list.n; i++) {
      if (i) lat_buf_printf(o, ", ");
      if (v->of.list.bytes) {
        if (t->u.elem->kind == LAT_CT_S8) lat_buf_printf(o, "%d", (int8_t)v->of.list.bytes[i]);
        else lat_buf_printf(o, "%u", v->of.list.bytes[i]);
      } else {
        print_val(o, &v->of.list.v[i], t->u.elem, hs);
      }
    }
    lat_buf_printf(o, "]");
    break;
  case LAT_CT_TUPLE:
    lat_buf_printf(o, "(");
    for (uint32_t i = 0; i < t->n; i++) {
      if (i) lat_buf_printf(o, ", ");
      print_val(o, &v->of.list.v[i], t->u.fields[i].type, hs);
    }
    lat_buf_printf(o, ")");
    break;
  case LAT_CT_RECORD:
    lat_buf_printf(o, "{");
    for (uint32_t i = 0; i < t->n; i++) {
      lat_buf_printf(o, "%s%s: ", i ? ", " : "", t->u.fields[i].name);
      print_val(o, &v->of.list.v[i], t->u.fields[i].type, hs);
    }
    lat_buf_printf(o, "}");
    break;
  case LAT_CT_VARIANT: {
    const lat_cfield_t *c = &t->u.fields[v->of.var.disc];
    lat_buf_printf(o, "%s", c->name);
    if (c->type) {
      lat_buf_printf(o, "(");
      print_val(o, v->of.var.payload, c->type, hs);
      lat_buf_printf(o, ")");
    }
    break;
  }
  case LAT_CT_ENUM: lat_buf_printf(o, "%s", t->u.labels[v->of.var.disc]); break;
  case LAT_CT_FLAGS: {
    lat_buf_printf(o, "{");
    bool first = true;
    for (uint32_t i = 0; i < t->n; i++)
      if (v->of.flags & (1u << i)) {
        lat_buf_printf(o, "%s%s", first ? "" : ", ", t->u.labels[i]);
        first = false;
      }
    lat_buf_printf(o, "}");
    break;
  }
  case LAT_CT_OPTION:
    if (!v->of.var.disc) {
      lat_buf_printf(o, "none");
    } else {
      lat_buf_printf(o, "some(");
      print_val(o, v->of.var.payload, t->u.elem, hs);
      lat_buf_printf(o, ")");
    }
    break;
  case LAT_CT_RESULT: {
    const lat_ctype_t *p = v->of.var.disc ? t->u.result.err : t->u.result.ok;
    lat_buf_printf(o, "%s", v->of.var.disc ? "err" : "ok");
    if (p) {
      lat_buf_printf(o, "(");
      print_val(o, v->of.var.payload, p, hs);
      lat_buf_printf(o, ")");
    }
    break;
  }
  case LAT_CT_OWN:
  case LAT_CT_BORROW:
    if (hs && t->kind == LAT_CT_OWN && hs->n < MAX_HANDLES) {
      hs->h[hs->n] = *v;
      lat_buf_printf(o, "#%u", hs->n++);
    } else {
      lat_buf_printf(o, "#rep%u", v->of.handle.rep);
    }
    break;
  default:
    lat_buf_printf(o, "?");
  }
}

/* ---- parsing -------------------------------------------------------------------------- */

typedef struct {
  const char *p;
  lat_arena_t *a;
  handles_t *hs;
  const char *err;
} rd_t;

static void ws(rd_t *r) {
  while (isspace((unsigned char)*r->p)) r->p++;
}
static bool eatc(rd_t *r, char c) {
  ws(r);
  if (*r->p != c) return false;
  r->p++;
  return true;
}
static bool word(rd_t *r, char *out, size_t cap) {
  ws(r);
  size_t n = 0;
  while ((isalnum((unsigned char)*r->p) || *r->p == '-' || *r->p == '_') && n + 1 < cap)
    out[n++] = *r->p++;
  out[n] = 0;
  return n > 0;
}

static bool parse_val(rd_t *r, const lat_ctype_t *t, lat_cval_t *v);

/* A quoted string into the arena (UTF-8). */
static bool quoted(rd_t *r, char q, char **out, uint32_t *len) {
  ws(r);
  if (*r->p != q) return false;
  r->p++;
  lat_buf_t b;
  lat_buf_init(&b);
  while (*r->p && *r->p != q) {
    char ch = *r->p++;
    if (ch == '\\') {
      char e = *r->p++;
      if (e == 'n') ch = '\n';
      else if (e == 't') ch = '\t';
      else if (e == 'r') ch = '\r';
      else if (e == 'u' && *r->p == '{') {
        uint32_t cp = (uint32_t)strtoul(r->p + 1, (char **)&r->p, 16);
        if (*r->p == '}') r->p++;
        uint8_t u[4];
        size_t k = lat_utf8_encode(cp, u);
        lat_buf_append(&b, u, k);
        continue;
      } else ch = e;
    }
    lat_buf_push(&b, (uint8_t)ch);
  }
  if (*r->p != q) {
    lat_buf_fini(&b);
    return false;
  }
  r->p++;
  *out = lat_arena_alloc(r->a, b.len + 1);
  if (*out && b.len) memcpy(*out, b.data, b.len);
  *len = (uint32_t)b.len;
  lat_buf_fini(&b);
  return *out != NULL;
}

static bool parse_num(rd_t *r, const lat_ctype_t *t, lat_cval_t *v) {
  ws(r);
  char *end;
  errno = 0;
  if (t->kind == LAT_CT_F32 || t->kind == LAT_CT_F64) {
    double d = strtod(r->p, &end);
    if (end == r->p) return false;
    r->p = end;
    if (t->kind == LAT_CT_F32) v->of.f32 = (float)d;
    else v->of.f64 = d;
    return true;
  }
  bool sign = t->kind == LAT_CT_S8 || t->kind == LAT_CT_S16 || t->kind == LAT_CT_S32 ||
              t->kind == LAT_CT_S64;
  if (sign) v->of.s = strtoll(r->p, &end, 10);
  else v->of.u = strtoull(r->p, &end, 10);
  if (end == r->p || errno || (!sign && *r->p == '-')) return false;
  r->p = end;
  return true;
}

static bool parse_val(rd_t *r, const lat_ctype_t *t, lat_cval_t *v) {
  memset(v, 0, sizeof *v);
  v->kind = t->kind;
  char w[128];
  switch (t->kind) {
  case LAT_CT_BOOL:
    if (!word(r, w, sizeof w)) return false;
    v->of.b = !strcmp(w, "true");
    return v->of.b || !strcmp(w, "false");
  case LAT_CT_S8: case LAT_CT_S16: case LAT_CT_S32: case LAT_CT_S64:
  case LAT_CT_U8: case LAT_CT_U16: case LAT_CT_U32: case LAT_CT_U64:
  case LAT_CT_F32: case LAT_CT_F64: {
    const char *save = r->p;
    if ((t->kind == LAT_CT_F32 || t->kind == LAT_CT_F64) && word(r, w, sizeof w)) {
      double d = !strcmp(w, "nan") ? NAN : !strcmp(w, "inf") ? INFINITY : 0;
      if (!strcmp(w, "nan") || !strcmp(w, "inf")) {
        if (t->kind == LAT_CT_F32) v->of.f32 = (float)d;
        else v->of.f64 = d;
        return true;
      }
      r->p = save;
    }
    return parse_num(r, t, v);
  }
  case LAT_CT_CHAR: {
    char *s;
    uint32_t n;
    if (!quoted(r, '\'', &s, &n) || !n) return false;
    const uint8_t *u = (const uint8_t *)s;
    uint32_t cp = u[0] < 0x80 ? u[0] : u[0] < 0xe0 ? (u[0] & 31u) << 6 | (u[1] & 63u)
                 : u[0] < 0xf0 ? (u[0] & 15u) << 12 | (u[1] & 63u) << 6 | (u[2] & 63u)
                 : (u[0] & 7u) << 18 | (u[1] & 63u) << 12 | (u[2] & 63u) << 6 | (u[3] & 63u);
    v->of.c = cp;
    return true;
  }
  case LAT_CT_STRING: {
    char *s;
    uint32_t n;
    if (!quoted(r, '"', &s, &n)) return false;
    v->of.str.ptr = s;
    v->of.str.len = n;
    return true;
  }
  case LAT_CT_LIST: {
    if (!eatc(r, '[')) return false;
    uint32_t cap = 8, n = 0;
    lat_cval_t *el = lat_arena_array(r->a, cap, sizeof *el);
    while (el && !eatc(r, ']')) {
      if (n == cap) {
        lat_cval_t *e2 = lat_arena_array(r->a, cap * 2, sizeof *e2);
        if (!e2) return false;
        memcpy(e2, el, n * sizeof *el);
        el = e2;
        cap *= 2;
      }
      if (!parse_val(r, t->u.elem, &el[n++])) return false;
      if (!eatc(r, ',') && !(ws(r), *r->p == ']')) return false;
    }
    if (!el) return false;
    if (t->u.elem->kind == LAT_CT_U8 || t->u.elem->kind == LAT_CT_S8) {
      uint8_t *b = lat_arena_alloc(r->a, n ? n : 1);
      if (!b) return false;
      for (uint32_t i = 0; i < n; i++) b[i] = (uint8_t)el[i].of.u;
      v->of.list.bytes = b;
    } else {
      v->of.list.v = el;
    }
    v->of.list.n = n;
    return true;
  }
  case LAT_CT_TUPLE:
  case LAT_CT_RECORD: {
    bool rec = t->kind == LAT_CT_RECORD;
    if (!eatc(r, rec ? '{' : '(')) return false;
    lat_cval_t *el = lat_arena_array(r->a, t->n, sizeof *el);
    if (!el) return false;
    for (uint32_t i = 0; i < t->n; i++) {
      if (i && !eatc(r, ',')) return false;
      if (rec && (!word(r, w, sizeof w) || strcmp(w, t->u.fields[i].name) || !eatc(r, ':')))
        return false;
      if (!parse_val(r, t->u.fields[i].type, &el[i])) return false;
    }
    eatc(r, ',');
    if (!eatc(r, rec ? '}' : ')')) return false;
    v->of.list.v = el;
    v->of.list.n = t->n;
    return true;
  }
  case LAT_CT_FLAGS:
    if (!eatc(r, '{')) return false;
    while (!eatc(r, '}')) {
      if (!word(r, w, sizeof w)) return false;
      uint32_t i = 0;
      while (i < t->n && strcmp(t->u.labels[i], w)) i++;
      if (i == t->n) return false;
      v->of.flags |= 1u << i;
      eatc(r, ',');
    }
    return true;
  case LAT_CT_ENUM:
  case LAT_CT_VARIANT:
  case LAT_CT_OPTION:
  case LAT_CT_RESULT: {
    if (!word(r, w, sizeof w)) return false;
    const lat_ctype_t *pt = NULL;
    uint32_t d = UINT32_MAX;
    if (t->kind == LAT_CT_OPTION) {
      d = !strcmp(w, "none") ? 0 : !strcmp(w, "some") ? 1 : UINT32_MAX;
      pt = d == 1 ? t->u.elem : NULL;
    } else if (t->kind == LAT_CT_RESULT) {
      d = !strcmp(w, "ok") ? 0 : !strcmp(w, "err") ? 1 : UINT32_MAX;
      pt = d == 0 ? t->u.result.ok : t->u.result.err;
    } else {
      for (uint32_t i = 0; i < t->n && d == UINT32_MAX; i++)
        if (!strcmp(t->kind == LAT_CT_ENUM ? t->u.labels[i] : t->u.fields[i].name, w)) d = i;
      if (d != UINT32_MAX && t->kind == LAT_CT_VARIANT) pt = t->u.fields[d].type;
    }
    if (d == UINT32_MAX) return false;
    v->of.var.disc = d;
    if (pt) {
      lat_cval_t *p = lat_arena_alloc(r->a, sizeof *p);
      if (!p || !eatc(r, '(') || !parse_val(r, pt, p) || !eatc(r, ')')) return false;
      v->of.var.payload = p;
    }
    return true;
  }
  case LAT_CT_OWN:
  case LAT_CT_BORROW: {
    if (!eatc(r, '#')) return false;
    char *end;
    unsigned long k = strtoul(r->p, &end, 10);
    if (end == r->p || !r->hs || k >= r->hs->n || r->hs->dropped[k]) return false;
    r->p = end;
    v->of.handle = r->hs->h[k].of.handle;
    if (t->kind == LAT_CT_OWN) r->hs->dropped[k] = true; /* moved to the guest */
    return true;
  }
  default:
    return false;
  }
}

/* ---- generic host functions (--host) -------------------------------------------------------- */

typedef struct {
  const char *name;
  const lat_ctype_t *ft;
} gen_t;

static void zero_of(lat_arena_t *a, const lat_ctype_t *t, lat_cval_t *v) {
  memset(v, 0, sizeof *v);
  v->kind = t->kind;
  switch (t->kind) {
  case LAT_CT_CHAR: v->of.c = 'a'; break;
  case LAT_CT_STRING: v->of.str.ptr = ""; break;
  case LAT_CT_TUPLE:
  case LAT_CT_RECORD: {
    lat_cval_t *el = lat_arena_array(a, t->n ? t->n : 1, sizeof *el);
    if (!el) break;
    for (uint32_t i = 0; i < t->n; i++) zero_of(a, t->u.fields[i].type, &el[i]);
    v->of.list.v = el;
    v->of.list.n = t->n;
    break;
  }
  case LAT_CT_VARIANT:
    if (t->u.fields[0].type) {
      lat_cval_t *p = lat_arena_alloc(a, sizeof *p);
      if (p) zero_of(a, t->u.fields[0].type, p);
      v->of.var.payload = p;
    }
    break;
  case LAT_CT_RESULT:
    if (t->u.result.ok) {
      lat_cval_t *p = lat_arena_alloc(a, sizeof *p);
      if (p) zero_of(a, t->u.result.ok, p);
      v->of.var.payload = p;
    }
    break;
  default: break;
  }
}

static lat_status generic_host(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                               uint32_t nargs, lat_cval_t *result) {
  gen_t *g = env;
  lat_buf_t o;
  lat_buf_init(&o);
  lat_buf_printf(&o, "host: %s(", g->name);
  for (uint32_t i = 0; i < nargs; i++) {
    if (i) lat_buf_printf(&o, ", ");
    print_val(&o, &args[i], g->ft->u.fields[i].type, NULL);
  }
  lat_buf_printf(&o, ")\n");
  fwrite(o.data, 1, o.len, stdout);
  fflush(stdout);
  lat_buf_fini(&o);
  const lat_ctype_t *rt = g->ft->result;
  if (!rt) return LAT_OK;
  if (nargs && lat_ctype_equal(g->ft->u.fields[0].type, rt)) *result = args[0];
  else zero_of(lat_chost_call_arena(c), rt, result);
  if (rt->has_resource)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "generic host: cannot make resources");
  return LAT_OK;
}

static lat_status add_host_wit(lat_clinker_t *l, const char *path, lat_error_t *err) {
  uint8_t *text;
  size_t len;
  lat_status st = lat_file_read(path, &text, &len, err);
  if (st) return st;
  uint32_t before = lat_clinker_instance_count(l);
  st = lat_clinker_add_wit(l, (const char *)text, len, err);
  lat_free(text);
  for (uint32_t i = before; !st && i < lat_clinker_instance_count(l); i++) {
    const lat_ctype_t *it = lat_clinker_instance_type(l, i);
    for (uint32_t k = 0; !st && k < it->n; k++) {
      const lat_cextern_t *d = &it->u.decls[k];
      if (d->sort != LAT_CSORT_FUNC) continue;
      gen_t *g = lat_arena_alloc(lat_clinker_arena(l), sizeof *g);
      if (!g) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      g->name = d->name.full;
      g->ft = d->type;
      st = lat_clinker_func(l, i, d->name.full, generic_host, g, err);
    }
  }
  return st;
}

/* ---- the command ----------------------------------------------------------------------------- */

static int usage(void) {
  fprintf(stderr, "usage: lattice call [--host WIT]... COMPONENT EXPORT [ARG...] "
                  "[-- EXPORT [ARG...]]...\n"
                  "       lattice call [--host WIT]... --bench-instantiate N COMPONENT\n");
  return 2;
}

int lat_cli_call(int argc, char **argv) {
  int i = 1, rc = 1;
  const char *hosts[16];
  int nhosts = 0;
  long bench = 0;
  for (;;) {
    if (i + 1 < argc && !strcmp(argv[i], "--host") && nhosts < 16) {
      hosts[nhosts++] = argv[i + 1];
      i += 2;
    } else if (i + 1 < argc && !strcmp(argv[i], "--bench-instantiate")) {
      bench = atol(argv[i + 1]);
      i += 2;
    } else {
      break;
    }
  }
  if (i >= argc || (!bench && i + 1 >= argc)) return usage();
  const char *file = argv[i++];
  lat_error_t err;
  lat_error_clear(&err);
  uint8_t *data = NULL;
  size_t len;
  lat_component_t *comp = NULL;
  lat_clinker_t *l = NULL;
  lat_wasm_store_t *s = NULL;
  lat_wasi_t *w = NULL;
  lat_wasi_p2_t *p2 = NULL;
  lat_cinstance_t *ci = NULL;
  lat_cpre_t *pre = NULL;
  lat_wasm_pool_t *pool = NULL; /* --bench-instantiate */
  handles_t *hs = lat_calloc(1, sizeof *hs);
  lat_arena_t arena;
  lat_arena_init(&arena);
  lat_buf_t out;
  lat_buf_init(&out);
  const char *argv0[1] = {file};
  lat_wasi_config_t cfg = {.argv = argv0, .argc = 1, .stdin_fd = 0, .stdout_fd = 1,
                           .stderr_fd = 2};
  if (!hs) goto oom;
  if (lat_file_read(file, &data, &len, &err) ||
      lat_component_new(data, len, NULL, &comp, &err) || lat_clinker_new(&l) ||
      lat_wasi_p2_add_to_linker(l, &err))
    goto fail;
  for (int k = 0; k < nhosts; k++)
    if (add_host_wit(l, hosts[k], &err)) {
      fprintf(stderr, "lattice call: %s: ", hosts[k]);
      goto fail;
    }
  if (lat_cpre_new(comp, l, &pre, &err)) goto fail;
  if (bench > 0) {
    /* instantiation cost: decoded component and linker shared, a fresh
     * store + WASI context + instance each time, memories and stacks from
     * a pool, as `lattice serve` does */
    if (lat_wasm_pool_new(0, &pool)) goto oom;
    lat_wasm_limits_t lim = {.pool = pool};
    uint64_t best = UINT64_MAX, t_all = lat_now_ns(), t_inst = 0;
    for (long k = 0; k < bench; k++) {
      uint64_t t0 = lat_now_ns();
      if (lat_wasm_store_new(&lim, &s) || lat_wasi_new(&cfg, &w, &err) ||
          lat_wasi_p2_new(w, &p2) || lat_cinstance_new_pre(s, pre, p2, &ci, &err))
        goto fail;
      uint64_t dt = lat_now_ns() - t0;
      t_inst += dt;
      if (dt < best) best = dt;
      lat_cinstance_free(ci);
      lat_wasm_store_free(s);
      lat_wasi_p2_free(p2);
      lat_wasi_free(w);
      ci = NULL, s = NULL, p2 = NULL, w = NULL;
    }
    printf("instantiate: %.1f us per instance (mean of %ld; best %.1f us; %.1f us with "
           "teardown)\n", (double)t_inst / 1e3 / (double)bench, bench, (double)best / 1e3,
           (double)(lat_now_ns() - t_all) / 1e3 / (double)bench);
    rc = 0;
    goto out;
  }
  if (lat_wasm_store_new(NULL, &s) || lat_wasi_new(&cfg, &w, &err) ||
      lat_wasi_p2_new(w, &p2))
    goto fail;
  if (lat_cinstance_new_pre(s, pre, p2, &ci, &err)) goto fail;
  while (i < argc) {
    const char *ex = argv[i++];
    if (!strcmp(ex, "drop")) { /* drop #N: the host lets go of handle N */
      unsigned long k = i < argc && argv[i][0] == '#' ? strtoul(argv[i] + 1, NULL, 10) : MAX_HANDLES;
      if (k >= hs->n || hs->dropped[k]) {
        fprintf(stderr, "lattice call: drop: no handle %s\n", i < argc ? argv[i] : "");
        rc = 2;
        goto done;
      }
      hs->dropped[k] = true;
      if (lat_cinstance_drop_own(ci, &hs->h[k], &err)) {
        fprintf(stderr, "lattice call: drop #%lu: %s\n", k, err.msg);
        goto done;
      }
      printf("()\n");
      if (++i < argc && !strcmp(argv[i], "--")) i++;
      continue;
    }
    const char *hash = strchr(ex, '#');
    char iface[256];
    if (hash) snprintf(iface, sizeof iface, "%.*s", (int)(hash - ex), ex);
    lat_cfunc_t *f = lat_cinstance_func(ci, hash ? iface : NULL, hash ? hash + 1 : ex);
    if (!f) {
      fprintf(stderr, "lattice call: no exported function `%s`\n", ex);
      rc = 2;
      goto done;
    }
    const lat_ctype_t *ft = lat_cfunc_type(f);
    lat_cval_t *args = lat_arena_array(&arena, ft->n ? ft->n : 1, sizeof *args);
    if (!args) goto oom;
    for (uint32_t k = 0; k < ft->n; k++) {
      if (i >= argc || !strcmp(argv[i], "--")) {
        fprintf(stderr, "lattice call: `%s` takes %u arguments\n", ex, ft->n);
        rc = 2;
        goto done;
      }
      rd_t r = {argv[i], &arena, hs, NULL};
      if (!parse_val(&r, ft->u.fields[k].type, &args[k]) || (ws(&r), *r.p)) {
        lat_buf_t tb;
        lat_buf_init(&tb);
        lat_ctype_print(ft->u.fields[k].type, &tb);
        fprintf(stderr, "lattice call: argument %u `%s` is not a %s\n", k + 1, argv[i],
                tb.data ? (char *)tb.data : "?");
        lat_buf_fini(&tb);
        rc = 2;
        goto done;
      }
      i++;
    }
    if (i < argc && !strcmp(argv[i], "--")) i++;
    lat_cval_t res;
    memset(&res, 0, sizeof res);
    lat_status st = lat_cfunc_call(ci, f, args, ft->n, &res, &arena, &err);
    if (st) {
      fprintf(stderr, "lattice call: %s: %s%s\n", ex, st == LAT_TRAP ? "wasm trap: " : "",
              err.msg);
      if (st == LAT_TRAP) lat_cli_print_backtrace(s);
      rc = 1;
      goto done;
    }
    out.len = 0;
    if (ft->result) print_val(&out, &res, ft->result, hs);
    else lat_buf_printf(&out, "()");
    printf("%.*s\n", (int)out.len, (const char *)out.data);
    fflush(stdout);
  }
  rc = 0;
done:
  for (uint32_t k = 0; ci && k < hs->n; k++)
    if (!hs->dropped[k] && lat_cinstance_drop_own(ci, &hs->h[k], &err)) {
      fprintf(stderr, "lattice call: drop #%u: %s\n", k, err.msg);
      rc = 1;
    }
  goto out;
oom:
  fprintf(stderr, "lattice: out of memory\n");
  goto out;
fail:
  fprintf(stderr, "lattice call: %s: %s\n", file, err.msg[0] ? err.msg : "failed");
out:
  fflush(stdout);
  lat_buf_fini(&out);
  lat_arena_fini(&arena);
  lat_cinstance_free(ci);
  lat_wasm_store_free(s);
  lat_wasi_p2_free(p2);
  lat_wasi_free(w);
  lat_wasm_pool_free(pool); /* after the stores that used it */
  lat_cpre_free(pre);
  lat_clinker_free(l);
  lat_component_free(comp);
  lat_free(data);
  lat_free(hs);
  return rc;
}
