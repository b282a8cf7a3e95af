/* wasm_text_wast.c: WAST script commands.
 *
 * The script is tokenized once (lat__wat_lex) and then read one command at
 * a time, so a runner can execute each command before the next is parsed and
 * a malformed command costs only itself: on an error we skip to the end of
 * its s-expression and report it, and the next call goes on from there.
 *
 * Per-command data (argument and result arrays, decoded strings, the module
 * binary) lives in an arena and a buffer that are reset at every call, so the
 * script's memory stays bounded by its largest command.
 *
 * Text modules are encoded here with the shared module encoder, reusing one
 * opcode index for the whole script; quote modules are returned as text
 * because whether they parse is exactly what assert_malformed tests.
 */
#include <stdio.h>
#include <string.h>

#include "wasm_text.h"
#include "wasm_text_int.h"

struct lat_wast {
  lat__lexed_t lx;
  size_t pos;
  lat__wat_ops_t ops;
  lat_arena_t arena; /* per command */
  lat_buf_t mod;     /* per command: the module binary */
  lat_buf_t str;     /* scratch for string decoding */
  size_t line_off;   /* incremental line counting: offset ... */
  uint32_t line;     /* ... and its line */
  lat_error_t *err;
};

static const char *const kind_names[] = {
    "end",          "module",          "register",
    "action",       "assert_return",   "assert_trap",
    "assert_exhaustion", "assert_malformed", "assert_invalid",
    "assert_unlinkable", "assert_uninstantiable", "module instance",
    "assert_exception"};

const char *lat_wast_kind_name(lat_wast_kind_t k) {
  if ((unsigned)k >= sizeof kind_names / sizeof kind_names[0]) return "?";
  return kind_names[k];
}

lat_status lat_wast_new(const char *text, size_t len, lat_wast_t **out,
                        lat_error_t *err) {
  *out = NULL;
  lat_wast_t *w = lat_calloc(1, sizeof *w);
  if (!w) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_status st = lat__wat_lex(text ? text : "", text ? len : 0, &w->lx, err);
  if (st != LAT_OK) {
    lat_free(w);
    return st;
  }
  lat_arena_init(&w->arena);
  lat_buf_init(&w->mod);
  lat_buf_init(&w->str);
  w->line = 1;
  *out = w;
  return LAT_OK;
}

void lat_wast_free(lat_wast_t *w) {
  if (!w) return;
  lat__wat_lexed_fini(&w->lx);
  lat_arena_fini(&w->arena);
  lat_buf_fini(&w->mod);
  lat_buf_fini(&w->str);
  lat_free(w);
}

/* ---- tokens ------------------------------------------------------------------ */

static const lat__tok_t *tk(const lat_wast_t *w, size_t i) {
  return i < w->lx.ntoks ? &w->lx.toks[i] : &w->lx.toks[w->lx.ntoks - 1];
}
static const char *tsrc(const lat_wast_t *w, size_t i) {
  return w->lx.src + tk(w, i)->off;
}
static bool at(const lat_wast_t *w, uint8_t kind) {
  return tk(w, w->pos)->kind == kind;
}
static bool kw_at(const lat_wast_t *w, size_t i, const char *kw) {
  const lat__tok_t *t = tk(w, i);
  size_t n = strlen(kw);
  return t->kind == LAT__TOK_KEYWORD && t->len == n &&
         memcmp(w->lx.src + t->off, kw, n) == 0;
}
static bool is_kw(const lat_wast_t *w, const char *kw) {
  return kw_at(w, w->pos, kw);
}
static bool lpar_kw(const lat_wast_t *w, const char *kw) {
  return at(w, LAT__TOK_LPAR) && kw_at(w, w->pos + 1, kw);
}

static lat_status fail(lat_wast_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static lat_status fail(lat_wast_t *w, const char *fmt, ...) {
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return lat__wat_error(w->err, w->lx.src, w->lx.src_len, tk(w, w->pos)->off,
                        "%s", msg);
}

static lat_status unexpected(lat_wast_t *w) {
  if (at(w, LAT__TOK_EOF)) return fail(w, "unexpected end of input");
  return fail(w, "unexpected token");
}

static lat_status expect(lat_wast_t *w, uint8_t kind) {
  if (!at(w, kind)) return unexpected(w);
  w->pos++;
  return LAT_OK;
}

static lat_status oom(lat_wast_t *w) {
  return lat_error_set(w->err, LAT_ENOMEM, SIZE_MAX, "out of memory");
}

#define TRY(x)                          \
  do {                                  \
    lat_status st_ = (x);               \
    if (st_ != LAT_OK) return st_;      \
  } while (0)

/* Decodes the string token at pos into a NUL-terminated arena copy. */
static lat_status take_string(lat_wast_t *w, const char **out, size_t *out_len) {
  if (!at(w, LAT__TOK_STRING)) return unexpected(w);
  w->str.len = 0;
  if (!lat__wat_string(tsrc(w, w->pos), tk(w, w->pos)->len, &w->str))
    return fail(w, "malformed string");
  char *s = lat_arena_alloc(&w->arena, w->str.len + 1);
  if (!s) return oom(w);
  if (w->str.len) memcpy(s, w->str.data, w->str.len);
  s[w->str.len] = 0;
  *out = s;
  if (out_len) *out_len = w->str.len;
  w->pos++;
  return LAT_OK;
}

static uint32_t line_of(lat_wast_t *w, size_t off) {
  if (off < w->line_off) {
    uint32_t l, c;
    lat__wat_linecol(w->lx.src, w->lx.src_len, off, &l, &c);
    return l;
  }
  for (size_t i = w->line_off; i < off && i < w->lx.src_len; i++)
    if (w->lx.src[i] == '\n') w->line++;
  w->line_off = off;
  return w->line;
}

/* Skips one balanced s-expression (or atom) at pos. */
static void skip_sexpr(lat_wast_t *w) {
  if (at(w, LAT__TOK_LPAR)) (void)lat__wat_skip_sexpr(&w->lx, &w->pos);
  else if (!at(w, LAT__TOK_RPAR) && !at(w, LAT__TOK_EOF)) w->pos++;
}

/* How many s-expressions follow pos (arguments, expected results). */
static size_t count_sexprs(const lat_wast_t *w) {
  size_t n = 0;
  for (size_t i = w->pos; tk(w, i)->kind == LAT__TOK_LPAR; n++)
    (void)lat__wat_skip_sexpr(&w->lx, &i);
  return n;
}

/* ---- modules -------------------------------------------------------------------- */

static lat_status parse_module(lat_wast_t *w, lat_wast_module_t *m) {
  size_t start = w->pos;
  if (!lpar_kw(w, "module")) return unexpected(w);
  size_t i = w->pos + 2;
  memset(m, 0, sizeof *m);
  if (kw_at(w, i, "definition")) i++;
  if (tk(w, i)->kind == LAT__TOK_ID) {
    m->name = tsrc(w, i);
    m->name_len = tk(w, i)->len;
    i++;
  }
  if (kw_at(w, i, "quote")) {
    m->form = LAT_WAST_MOD_QUOTE;
    w->pos = i + 1;
    w->str.len = 0;
    while (at(w, LAT__TOK_STRING)) {
      if (!lat__wat_string(tsrc(w, w->pos), tk(w, w->pos)->len, &w->str))
        return fail(w, "malformed string");
      w->pos++;
    }
    char *s = lat_arena_alloc(&w->arena, w->str.len + 1);
    if (!s) return oom(w);
    if (w->str.len) memcpy(s, w->str.data, w->str.len);
    s[w->str.len] = 0;
    m->text = s;
    m->text_len = w->str.len;
    return expect(w, LAT__TOK_RPAR);
  }
  m->form = kw_at(w, i, "binary") ? LAT_WAST_MOD_BINARY : LAT_WAST_MOD_TEXT;
  w->mod.len = 0;
  size_t pos = start;
  lat_error_clear(&m->err);
  m->status = lat__wat_module(&w->lx, &pos, false, &w->ops, &w->mod, &m->err);
  if (m->status == LAT_ENOMEM) return oom(w);
  if (m->status != LAT_OK && m->form == LAT_WAST_MOD_BINARY) {
    /* a binary module's strings cannot fail to encode except by syntax */
    if (w->err) *w->err = m->err;
    return m->status;
  }
  if (m->status == LAT_OK) {
    m->bytes = w->mod.data;
    m->len = w->mod.len;
    w->pos = pos;
  } else {
    w->pos = start;
    skip_sexpr(w);
  }
  return LAT_OK;
}

/* ---- values ----------------------------------------------------------------------- */

static bool num_ok(lat__num_result r) { return r == LAT__NUM_OK; }

/* One lane or scalar: RESERVED or KEYWORD token; nan patterns when allowed. */
static lat_status parse_float(lat_wast_t *w, bool f64, bool patterns,
                              uint64_t *bits, uint8_t *res_kind) {
  *res_kind = LAT_WAST_RES_EXACT;
  if (!at(w, LAT__TOK_RESERVED) && !at(w, LAT__TOK_KEYWORD)) return unexpected(w);
  if (patterns && is_kw(w, "nan:canonical")) {
    *res_kind = LAT_WAST_RES_NAN_CANON;
    *bits = 0;
    w->pos++;
    return LAT_OK;
  }
  if (patterns && is_kw(w, "nan:arithmetic")) {
    *res_kind = LAT_WAST_RES_NAN_ARITH;
    *bits = 0;
    w->pos++;
    return LAT_OK;
  }
  *bits = 0;
  lat__num_result r = lat__wat_parse_float(tsrc(w, w->pos), tk(w, w->pos)->len,
                                           f64 ? 64 : 32, bits);
  if (!num_ok(r))
    return fail(w, r == LAT__NUM_RANGE ? "constant out of range" : "unexpected token");
  w->pos++;
  return LAT_OK;
}

static lat_status parse_int(lat_wast_t *w, unsigned bits, uint64_t *out) {
  if (!at(w, LAT__TOK_RESERVED)) return unexpected(w);
  lat__num_result r = lat__wat_parse_int(tsrc(w, w->pos), tk(w, w->pos)->len,
                                         bits, out);
  if (!num_ok(r))
    return fail(w, r == LAT__NUM_RANGE ? "constant out of range" : "unexpected token");
  w->pos++;
  return LAT_OK;
}

static void put_le(uint8_t *d, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) d[i] = (uint8_t)(v >> (8 * i));
}

/* (T.const ...) / (ref.null t) / (ref.extern N) / (ref.func) as an argument
 * (patterns false) or an expected result (patterns true). */
static lat_status parse_value(lat_wast_t *w, bool patterns, lat_wast_result_t *r) {
  memset(r, 0, sizeof *r);
  TRY(expect(w, LAT__TOK_LPAR));
  uint8_t rk;
  if (patterns && is_kw(w, "either")) { /* (either result...), not nested */
    w->pos++;
    size_t n = count_sexprs(w);
    if (n == 0) return unexpected(w);
    lat_wast_result_t *alts = lat_arena_array(&w->arena, n, sizeof *alts);
    if (!alts) return oom(w);
    for (size_t i = 0; i < n; i++) {
      if (kw_at(w, w->pos + 1, "either")) return unexpected(w);
      TRY(parse_value(w, true, &alts[i]));
    }
    r->kind = LAT_WAST_RES_EITHER;
    r->val.type = alts[0].val.type;
    r->alts = alts;
    r->nalts = n;
  } else if (is_kw(w, "i32.const")) {
    w->pos++;
    uint64_t v;
    TRY(parse_int(w, 32, &v));
    r->val.type = LAT_I32;
    r->val.of.i32 = (uint32_t)v;
  } else if (is_kw(w, "i64.const")) {
    w->pos++;
    uint64_t v;
    TRY(parse_int(w, 64, &v));
    r->val.type = LAT_I64;
    r->val.of.i64 = v;
  } else if (is_kw(w, "f32.const")) {
    w->pos++;
    uint64_t v;
    TRY(parse_float(w, false, patterns, &v, &rk));
    r->val.type = LAT_F32;
    r->val.of.f32 = (uint32_t)v;
    r->kind = rk;
  } else if (is_kw(w, "f64.const")) {
    w->pos++;
    uint64_t v;
    TRY(parse_float(w, true, patterns, &v, &rk));
    r->val.type = LAT_F64;
    r->val.of.f64 = v;
    r->kind = rk;
  } else if (is_kw(w, "v128.const")) {
    w->pos++;
    lat__v128_shape_t sh;
    int k = at(w, LAT__TOK_KEYWORD)
                ? lat__wat_v128_shape(tsrc(w, w->pos), tk(w, w->pos)->len, &sh)
                : -1;
    if (k < 0) return unexpected(w);
    w->pos++;
    r->val.type = LAT_V128;
    r->kind = LAT_WAST_RES_V128;
    r->shape = (lat_wast_shape_t)k;
    unsigned bytes = sh.bits / 8;
    for (unsigned i = 0; i < sh.lanes; i++) {
      uint64_t v;
      rk = LAT_WAST_RES_EXACT;
      if (sh.fl) TRY(parse_float(w, bytes == 8, patterns, &v, &rk));
      else TRY(parse_int(w, sh.bits, &v));
      put_le(r->val.of.v128.bytes + i * bytes, v, bytes);
      r->lane[i] = rk;
    }
    if (!patterns) r->kind = LAT_WAST_RES_EXACT;
  } else if (is_kw(w, "ref.null")) {
    w->pos++;
    if (is_kw(w, "func")) r->val.type = LAT_FUNCREF;
    else if (is_kw(w, "extern")) r->val.type = LAT_EXTERNREF;
    else return unexpected(w);
    w->pos++;
    r->val.of.ref = NULL;
  } else if (is_kw(w, "ref.extern")) {
    w->pos++;
    r->val.type = LAT_EXTERNREF;
    if (at(w, LAT__TOK_RPAR) && patterns) {
      r->kind = LAT_WAST_RES_REF_EXTERN;
    } else {
      uint64_t v;
      if (!at(w, LAT__TOK_RESERVED) ||
          !num_ok(lat__wat_parse_nat(tsrc(w, w->pos), tk(w, w->pos)->len, &v)) ||
          v >= UINTPTR_MAX)
        return unexpected(w);
      w->pos++;
      r->val.of.ref = (void *)(uintptr_t)(v + 1);
    }
  } else if (is_kw(w, "ref.func") && patterns) {
    w->pos++;
    r->val.type = LAT_FUNCREF;
    r->kind = LAT_WAST_RES_REF_FUNC;
    if (!at(w, LAT__TOK_RPAR)) w->pos++; /* an index: any non-null funcref */
  } else {
    return unexpected(w);
  }
  return expect(w, LAT__TOK_RPAR);
}

/* ---- actions ------------------------------------------------------------------------- */

static lat_status parse_action(lat_wast_t *w, lat_wast_action_t *a) {
  memset(a, 0, sizeof *a);
  TRY(expect(w, LAT__TOK_LPAR));
  if (is_kw(w, "invoke")) a->kind = LAT_WAST_INVOKE;
  else if (is_kw(w, "get")) a->kind = LAT_WAST_GET;
  else return unexpected(w);
  w->pos++;
  if (at(w, LAT__TOK_ID)) {
    a->module = tsrc(w, w->pos);
    a->module_len = tk(w, w->pos)->len;
    w->pos++;
  }
  TRY(take_string(w, &a->name, &a->name_len));
  if (a->kind == LAT_WAST_INVOKE) {
    size_t n = count_sexprs(w);
    lat_wasm_val_t *args = NULL;
    if (n) {
      args = lat_arena_array(&w->arena, n, sizeof *args);
      if (!args) return oom(w);
    }
    for (size_t i = 0; i < n; i++) {
      lat_wast_result_t r;
      TRY(parse_value(w, false, &r));
      args[i] = r.val;
    }
    a->args = args;
    a->nargs = n;
  }
  return expect(w, LAT__TOK_RPAR);
}

/* ---- commands ----------------------------------------------------------------------------- */

static lat_status parse_command(lat_wast_t *w, lat_wast_cmd_t *c) {
  TRY(expect(w, LAT__TOK_LPAR));
  if (is_kw(w, "module") && kw_at(w, w->pos + 1, "instance")) {
    w->pos += 2;
    c->kind = LAT_WAST_MODULE_INSTANCE;
    if (at(w, LAT__TOK_ID)) {
      c->inst_name = tsrc(w, w->pos);
      c->inst_name_len = tk(w, w->pos)->len;
      w->pos++;
    }
    if (at(w, LAT__TOK_ID)) {
      c->def_name = tsrc(w, w->pos);
      c->def_name_len = tk(w, w->pos)->len;
      w->pos++;
    }
    return expect(w, LAT__TOK_RPAR);
  }
  if (is_kw(w, "module")) {
    bool def = kw_at(w, w->pos + 1, "definition");
    w->pos--;
    c->kind = LAT_WAST_MODULE;
    c->has_module = true;
    TRY(parse_module(w, &c->module));
    c->module.definition = def;
    return LAT_OK;
  }
  if (is_kw(w, "register")) {
    w->pos++;
    c->kind = LAT_WAST_REGISTER;
    TRY(take_string(w, &c->reg_name, &c->reg_name_len));
    if (at(w, LAT__TOK_ID)) {
      c->reg_module = tsrc(w, w->pos);
      c->reg_module_len = tk(w, w->pos)->len;
      w->pos++;
    }
    return expect(w, LAT__TOK_RPAR);
  }
  if (is_kw(w, "invoke") || is_kw(w, "get")) {
    w->pos--;
    c->kind = LAT_WAST_ACTION;
    c->has_action = true;
    return parse_action(w, &c->action);
  }
  static const struct {
    const char *kw;
    lat_wast_kind_t kind;
  } asserts[] = {{"assert_return", LAT_WAST_ASSERT_RETURN},
                 {"assert_trap", LAT_WAST_ASSERT_TRAP},
                 {"assert_exhaustion", LAT_WAST_ASSERT_EXHAUSTION},
                 {"assert_malformed", LAT_WAST_ASSERT_MALFORMED},
                 {"assert_invalid", LAT_WAST_ASSERT_INVALID},
                 {"assert_unlinkable", LAT_WAST_ASSERT_UNLINKABLE},
                 {"assert_uninstantiable", LAT_WAST_ASSERT_UNINSTANTIABLE},
                 {"assert_exception", LAT_WAST_ASSERT_EXCEPTION}};
  size_t k;
  for (k = 0; k < sizeof asserts / sizeof asserts[0]; k++)
    if (is_kw(w, asserts[k].kw)) break;
  if (k == sizeof asserts / sizeof asserts[0]) {
    if (at(w, LAT__TOK_KEYWORD))
      return fail(w, "unknown command %.*s", (int)tk(w, w->pos)->len,
                  tsrc(w, w->pos));
    return unexpected(w);
  }
  c->kind = asserts[k].kind;
  w->pos++;
  switch (c->kind) {
  case LAT_WAST_ASSERT_RETURN: {
    c->has_action = true;
    TRY(parse_action(w, &c->action));
    size_t n = count_sexprs(w);
    lat_wast_result_t *res = NULL;
    if (n) {
      res = lat_arena_array(&w->arena, n, sizeof *res);
      if (!res) return oom(w);
    }
    for (size_t i = 0; i < n; i++) TRY(parse_value(w, true, &res[i]));
    c->results = res;
    c->nresults = n;
    return expect(w, LAT__TOK_RPAR);
  }
  case LAT_WAST_ASSERT_TRAP:
    if (lpar_kw(w, "module")) {
      c->has_module = true;
      TRY(parse_module(w, &c->module));
    } else {
      c->has_action = true;
      TRY(parse_action(w, &c->action));
    }
    break;
  case LAT_WAST_ASSERT_EXHAUSTION:
    c->has_action = true;
    TRY(parse_action(w, &c->action));
    break;
  case LAT_WAST_ASSERT_EXCEPTION:
    c->has_action = true;
    TRY(parse_action(w, &c->action));
    return expect(w, LAT__TOK_RPAR);
  default:
    c->has_module = true;
    TRY(parse_module(w, &c->module));
    break;
  }
  TRY(take_string(w, &c->message, NULL));
  return expect(w, LAT__TOK_RPAR);
}

static bool is_field(const lat_wast_t *w) {
  static const char *const fields[] = {"type",  "import", "func", "table",
                                       "memory", "global", "export", "start",
                                       "elem",  "data"};
  if (!at(w, LAT__TOK_LPAR)) return false;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (kw_at(w, w->pos + 1, fields[i])) return true;
  return false;
}

lat_status lat_wast_next(lat_wast_t *w, lat_wast_cmd_t *out, lat_error_t *err) {
  memset(out, 0, sizeof *out);
  lat_arena_fini(&w->arena);
  lat_arena_init(&w->arena);
  w->mod.len = 0;
  w->err = err;
  if (at(w, LAT__TOK_EOF)) {
    out->kind = LAT_WAST_END;
    out->line = line_of(w, w->lx.src_len);
    return LAT_OK;
  }
  size_t start = w->pos;
  out->line = line_of(w, tk(w, start)->off);
  if (start == 0 && is_field(w)) {
    /* a script that is just module fields is one inline module */
    out->kind = LAT_WAST_MODULE;
    out->has_module = true;
    lat_wast_module_t *m = &out->module;
    m->form = LAT_WAST_MOD_TEXT;
    size_t pos = 0;
    m->status = lat__wat_module(&w->lx, &pos, true, &w->ops, &w->mod, &m->err);
    if (m->status == LAT_ENOMEM) return oom(w);
    if (m->status == LAT_OK && tk(w, pos)->kind != LAT__TOK_EOF)
      m->status = lat__wat_error(&m->err, w->lx.src, w->lx.src_len,
                                 tk(w, pos)->off, "unexpected token");
    m->bytes = w->mod.data;
    m->len = w->mod.len;
    w->pos = w->lx.ntoks - 1;
    return LAT_OK;
  }
  if (!at(w, LAT__TOK_LPAR)) {
    lat_status st = unexpected(w);
    w->pos++;
    return st;
  }
  lat_status st = parse_command(w, out);
  if (st != LAT_OK) {
    w->pos = start;
    skip_sexpr(w);
    if (w->pos == start) w->pos++;
  }
  return st;
}
