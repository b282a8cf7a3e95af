/* wasm_text.c: WebAssembly text modules -> binary modules.
 *
 * Approach: two passes over the token array of one module.
 *
 *   pass 1 (scan)   walks the fields, skipping their bodies, to number every
 *                   definition in its index space (imports first: the text
 *                   format requires them to precede definitions, which we
 *                   check), bind `$id`s, and parse the explicit `(type ...)`
 *                   definitions.  After it, every symbolic reference in the
 *                   module can be resolved, forward ones included.
 *   pass 2 (encode) walks the fields again in text order and appends each
 *                   one's binary form to its section buffer; function bodies
 *                   are encoded straight from the tokens.  Implicit function
 *                   types (a type use with inline params/results and no
 *                   matching explicit type) are appended to the type list in
 *                   the order they are met, as the reference interpreter does.
 *   assembly        concatenates the non-empty sections in binary order.
 *
 * Folded instructions `(op imm (a) (b))` are emitted operands first: we
 * parse the immediates once to find where they end, encode the operands,
 * then re-parse the immediates to emit them.  Re-parsing a handful of tokens
 * is cheaper and simpler than buffering or moving bytes, and it allocates
 * nothing.  Element segments pick the binary form (function indices or
 * expressions) the way the reference encoder does: indices when the type is
 * funcref and every item is a single ref.func.
 *
 * Memory indices (multi-memory) are optional everywhere: `i32.load $m`,
 * `memory.size $m`, `memory.copy $d $s`, `memory.init $m $data`; an index 0
 * is encoded the 2.0 way (no flag bit, a zero byte), so 2.0 text gives the
 * same bytes as before.
 *
 * The encoder does not type-check: modules that assert_invalid expects to be
 * rejected must still encode, so only text-level errors (syntax, unknown
 * names, literal ranges, the inline-type rules) are reported here, each with
 * line:column.  Recursion depth is capped so hostile nesting cannot exhaust
 * the C stack.
 */
#include <stdio.h>
#include <string.h>

#include "wasm_text_int.h"

#define MAX_DEPTH 3000u /* nesting of folded instructions and blocks */

enum { SP_TYPE, SP_FUNC, SP_TABLE, SP_MEM, SP_GLOBAL, SP_ELEM, SP_DATA, SP_TAG,
       SP_COUNT };

static const char *const space_name[SP_COUNT] = {
    "type", "function", "table", "memory", "global", "elem segment",
    "data segment", "tag"};

typedef struct {
  uint32_t np, nr;
  uint8_t *vt; /* np params then nr results (arena) */
} ftype_t;

typedef struct {
  const char *s; /* label name, NULL when anonymous */
  uint32_t n;
} label_t;

typedef struct {
  const lat__lexed_t *lx;
  const lat__tok_t *t;
  size_t pos;
  lat__wat_ops_t *ops;
  lat_error_t *err;
  lat_arena_t arena;

  lat_map_t names[SP_COUNT]; /* $id -> index; keys borrowed from the source */
  uint32_t count[SP_COUNT]; /* pass 1 totals */
  uint32_t next[SP_COUNT];  /* pass 2 running index */

  ftype_t *types;
  uint32_t ntypes, types_cap;

  lat_buf_t sec_import, sec_func, sec_table, sec_mem, sec_global, sec_export,
      sec_elem, sec_code, sec_data, sec_tag, body, scratch, str;
  uint32_t n_import, n_func, n_table, n_mem, n_global, n_export, n_elem,
      n_data, n_tag;
  bool has_start;
  uint32_t start;
  bool uses_datacount;

  /* current function */
  lat_map_t locals; /* $id -> local index; keys borrowed from the source */
  uint32_t nlocals;
  lat_buf_t local_types; /* declared locals' types, params excluded */
  label_t *labels;
  uint32_t nlabels, labels_cap;
  uint32_t depth;
} P;

#define TRY(x)                          \
  do {                                  \
    lat_status st_ = (x);               \
    if (st_ != LAT_OK) return st_;      \
  } while (0)

/* ---- errors and tokens -------------------------------------------------------- */

static lat_status fail_at(P *p, size_t tok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static lat_status fail_at(P *p, size_t tok, const char *fmt, ...) {
  char msg[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (tok >= p->lx->ntoks) tok = p->lx->ntoks - 1;
  return lat__wat_error(p->err, p->lx->src, p->lx->src_len, p->t[tok].off,
                        "%s", msg);
}

static lat_status oom(P *p) {
  return lat_error_set(p->err, LAT_ENOMEM, SIZE_MAX, "out of memory");
}

static const lat__tok_t *tk(const P *p, size_t i) {
  return i < p->lx->ntoks ? &p->t[i] : &p->t[p->lx->ntoks - 1];
}
static uint8_t kind_at(const P *p, size_t i) { return tk(p, i)->kind; }
static const char *tsrc(const P *p, size_t i) {
  return p->lx->src + tk(p, i)->off;
}
static bool kw_at(const P *p, size_t i, const char *kw) {
  const lat__tok_t *t = tk(p, i);
  size_t n = strlen(kw);
  return t->kind == LAT__TOK_KEYWORD && t->len == n &&
         memcmp(p->lx->src + t->off, kw, n) == 0;
}
static bool is_kw(const P *p, const char *kw) { return kw_at(p, p->pos, kw); }
static bool lpar_kw(const P *p, const char *kw) {
  return kind_at(p, p->pos) == LAT__TOK_LPAR && kw_at(p, p->pos + 1, kw);
}
static bool at(const P *p, uint8_t kind) { return kind_at(p, p->pos) == kind; }
static bool is_num_tok(const P *p, size_t i) {
  const lat__tok_t *t = tk(p, i);
  return t->kind == LAT__TOK_RESERVED && t->len > 0 &&
         p->lx->src[t->off] >= '0' && p->lx->src[t->off] <= '9';
}
static bool is_var(const P *p) {
  return at(p, LAT__TOK_ID) || is_num_tok(p, p->pos);
}

static lat_status unexpected(P *p) {
  if (at(p, LAT__TOK_EOF)) return fail_at(p, p->pos, "unexpected end of input");
  return fail_at(p, p->pos, "unexpected token");
}

static lat_status expect(P *p, uint8_t kind) {
  if (!at(p, kind)) return unexpected(p);
  p->pos++;
  return LAT_OK;
}
static lat_status expect_rpar(P *p) { return expect(p, LAT__TOK_RPAR); }

/* Skips a balanced s-expression starting at '(' (or a single atom). */
static lat_status skip_sexpr(P *p) {
  if (!at(p, LAT__TOK_LPAR)) {
    if (at(p, LAT__TOK_EOF) || at(p, LAT__TOK_RPAR)) return unexpected(p);
    p->pos++;
    return LAT_OK;
  }
  size_t start = p->pos;
  if (!lat__wat_skip_sexpr(p->lx, &p->pos))
    return fail_at(p, start, "unclosed parenthesis");
  return LAT_OK;
}

/* ---- symbol tables ---------------------------------------------------------------- */

/* Index values ride in the map's void * directly. */
static bool sym_find(const lat_map_t *st, const char *s, uint32_t n,
                     uint32_t *out) {
  void *v;
  if (!lat_map_get(st, s, n, &v)) return false;
  *out = (uint32_t)(uintptr_t)v;
  return true;
}

/* Returns LAT_EARG on a duplicate, LAT_ENOMEM on allocation failure. */
static lat_status sym_add(lat_map_t *st, const char *s, uint32_t n,
                          uint32_t idx) {
  bool added;
  lat_status r = lat_map_add(st, s, n, (void *)(uintptr_t)idx, &added);
  if (r != LAT_OK) return r;
  return added ? LAT_OK : LAT_EARG;
}

/* Binds the ID token at tok (if any) to idx in space sp. */
static lat_status bind(P *p, int sp, size_t tok, uint32_t idx) {
  const lat__tok_t *t = tk(p, tok);
  lat_status st = sym_add(&p->names[sp], p->lx->src + t->off, t->len, idx);
  if (st == LAT_EARG)
    return fail_at(p, tok, "duplicate %s %.*s", space_name[sp], (int)t->len,
                   p->lx->src + t->off);
  if (st != LAT_OK) return oom(p);
  return LAT_OK;
}

/* ---- literals --------------------------------------------------------------------- */

static lat_status num_fail(P *p, lat__num_result r) {
  if (r == LAT__NUM_RANGE) return fail_at(p, p->pos, "constant out of range");
  /* the reference lexer cannot make a number of such a token either */
  return fail_at(p, p->pos, "unknown operator");
}

static lat_status parse_u32(P *p, uint32_t *out) {
  uint64_t v;
  if (!is_num_tok(p, p->pos)) return unexpected(p);
  lat__num_result r = lat__wat_parse_nat(tsrc(p, p->pos), tk(p, p->pos)->len, &v);
  if (r == LAT__NUM_OK && v > UINT32_MAX) r = LAT__NUM_RANGE;
  if (r != LAT__NUM_OK) return num_fail(p, r);
  *out = (uint32_t)v;
  p->pos++;
  return LAT_OK;
}

static lat_status parse_var(P *p, int sp, uint32_t *out) {
  if (at(p, LAT__TOK_ID)) {
    const lat__tok_t *t = tk(p, p->pos);
    if (!sym_find(&p->names[sp], p->lx->src + t->off, t->len, out))
      return fail_at(p, p->pos, "unknown %s %.*s", space_name[sp], (int)t->len,
                     p->lx->src + t->off);
    p->pos++;
    return LAT_OK;
  }
  return parse_u32(p, out);
}

/* Decodes the string at pos into p->str (reset first). */
static lat_status parse_string(P *p) {
  if (!at(p, LAT__TOK_STRING)) return unexpected(p);
  p->str.len = 0;
  if (!lat__wat_string(tsrc(p, p->pos), tk(p, p->pos)->len, &p->str))
    return fail_at(p, p->pos, "malformed string");
  p->pos++;
  return LAT_OK;
}

static lat_status parse_name(P *p, lat_buf_t *o) {
  size_t tok = p->pos;
  TRY(parse_string(p));
  if (!lat_utf8_valid(p->str.data, p->str.len))
    return fail_at(p, tok, "malformed UTF-8 encoding");
  if (lat_buf_write_uleb(o, p->str.len) != LAT_OK ||
      lat_buf_append(o, p->str.data, p->str.len) != LAT_OK)
    return oom(p);
  return LAT_OK;
}

static lat_status put(P *p, lat_buf_t *o, uint8_t b) {
  return lat_buf_push(o, b) == LAT_OK ? LAT_OK : oom(p);
}
static lat_status put_u(P *p, lat_buf_t *o, uint64_t v) {
  return lat_buf_write_uleb(o, v) == LAT_OK ? LAT_OK : oom(p);
}
static lat_status put_s(P *p, lat_buf_t *o, int64_t v) {
  return lat_buf_write_sleb(o, v) == LAT_OK ? LAT_OK : oom(p);
}
static lat_status put_bytes(P *p, lat_buf_t *o, const void *d, size_t n) {
  return lat_buf_append(o, d, n) == LAT_OK ? LAT_OK : oom(p);
}

/* ---- types ------------------------------------------------------------------------ */

static bool valtype_of(const P *p, size_t i, uint8_t *out) {
  static const struct {
    const char *n;
    uint8_t t;
  } vt[] = {{"i32", LAT_I32},         {"i64", LAT_I64},
            {"f32", LAT_F32},         {"f64", LAT_F64},
            {"v128", LAT_V128},       {"funcref", LAT_FUNCREF},
            {"externref", LAT_EXTERNREF}, {"exnref", LAT_EXNREF}};
  for (size_t k = 0; k < sizeof vt / sizeof vt[0]; k++) {
    if (kw_at(p, i, vt[k].n)) {
      *out = vt[k].t;
      return true;
    }
  }
  return false;
}

static lat_status parse_valtype(P *p, uint8_t *out) {
  if (!valtype_of(p, p->pos, out)) return unexpected(p);
  p->pos++;
  return LAT_OK;
}

static lat_status parse_reftype(P *p, uint8_t *out) {
  if (is_kw(p, "funcref")) *out = LAT_FUNCREF;
  else if (is_kw(p, "externref")) *out = LAT_EXTERNREF;
  else return unexpected(p);
  p->pos++;
  return LAT_OK;
}

/* t* up to and including the `)` of a param, result or local group:
 * appended to vt and counted in *count. */
static lat_status parse_valtypes(P *p, lat_buf_t *vt, uint32_t *count) {
  while (!at(p, LAT__TOK_RPAR)) {
    uint8_t v;
    TRY(parse_valtype(p, &v));
    TRY(put(p, vt, v));
    (*count)++;
  }
  return expect_rpar(p);
}

/* The rest of a `(param` or `(local` group: `$id t)` or `t*)`.  With names
 * given, $id is bound there to the index *count (params and locals share the
 * local index space). */
static lat_status parse_decls(P *p, lat_map_t *names, lat_buf_t *vt,
                              uint32_t *count) {
  if (!at(p, LAT__TOK_ID)) return parse_valtypes(p, vt, count);
  if (names) {
    const lat__tok_t *t = tk(p, p->pos);
    lat_status st = sym_add(names, tsrc(p, p->pos), t->len, *count);
    if (st == LAT_EARG)
      return fail_at(p, p->pos, "duplicate local %.*s", (int)t->len,
                     tsrc(p, p->pos));
    if (st != LAT_OK) return oom(p);
  }
  p->pos++;
  uint8_t v;
  TRY(parse_valtype(p, &v));
  TRY(put(p, vt, v));
  (*count)++;
  return expect_rpar(p);
}

/* Inline signature being parsed: params then results in one buffer. */
typedef struct {
  lat_buf_t vt;
  uint32_t np, nr;
} sig_t;

static bool sig_eq(const sig_t *s, const ftype_t *f) {
  return s->np == f->np && s->nr == f->nr &&
         (s->np + s->nr == 0 || memcmp(s->vt.data, f->vt, s->np + s->nr) == 0);
}

/* Parses (param ...)* (result ...)*.  name_mode: 0 = names are an error,
 * 1 = allowed and ignored, 2 = bound as locals of the current function. */
static lat_status parse_sig(P *p, sig_t *s, int name_mode) {
  s->vt.len = 0;
  s->np = s->nr = 0;
  while (lpar_kw(p, "param")) {
    p->pos += 2;
    if (at(p, LAT__TOK_ID) && name_mode == 0) return unexpected(p);
    TRY(parse_decls(p, name_mode == 2 ? &p->locals : NULL, &s->vt, &s->np));
  }
  while (lpar_kw(p, "result")) {
    p->pos += 2;
    TRY(parse_valtypes(p, &s->vt, &s->nr));
  }
  if (s->np > 1000000 || s->nr > 1000000)
    return fail_at(p, p->pos, "too many parameters");
  return LAT_OK;
}

static lat_status add_type(P *p, const sig_t *s, uint32_t *out) {
  if (p->ntypes == p->types_cap) {
    uint32_t ncap = p->types_cap ? p->types_cap * 2 : 16;
    ftype_t *nt = lat_realloc(p->types, (size_t)ncap * sizeof(ftype_t));
    if (!nt) return oom(p);
    p->types = nt;
    p->types_cap = ncap;
  }
  ftype_t *f = &p->types[p->ntypes];
  f->np = s->np;
  f->nr = s->nr;
  f->vt = NULL;
  if (s->np + s->nr) {
    f->vt = lat_arena_alloc(&p->arena, s->np + s->nr);
    if (!f->vt) return oom(p);
    memcpy(f->vt, s->vt.data, s->np + s->nr);
  }
  *out = p->ntypes++;
  return LAT_OK;
}

static lat_status find_or_add_type(P *p, const sig_t *s, uint32_t *out) {
  for (uint32_t i = 0; i < p->ntypes; i++) {
    if (sig_eq(s, &p->types[i])) {
      *out = i;
      return LAT_OK;
    }
  }
  return add_type(p, s, out);
}

/* The optional `(type x)` of a typeuse or blocktype: whether it is there,
 * x, and x's token for errors (pos when absent). */
static lat_status parse_type_ref(P *p, bool *out_has, uint32_t *out_idx,
                                 size_t *out_tok) {
  *out_has = false;
  *out_idx = 0;
  *out_tok = p->pos;
  if (!lpar_kw(p, "type")) return LAT_OK;
  p->pos += 2;
  *out_tok = p->pos;
  TRY(parse_var(p, SP_TYPE, out_idx));
  TRY(expect_rpar(p));
  *out_has = true;
  return LAT_OK;
}

/* typeuse ::= (type x)? (param ...)* (result ...)*
 * Returns the type index and, in *out_np, the parameter count. */
static lat_status parse_typeuse(P *p, int name_mode, uint32_t *out_idx,
                                uint32_t *out_np) {
  bool has_type;
  uint32_t idx;
  size_t type_tok;
  TRY(parse_type_ref(p, &has_type, &idx, &type_tok));
  sig_t s;
  lat_buf_init(&s.vt);
  lat_status st = parse_sig(p, &s, name_mode);
  if (st != LAT_OK) goto out;
  if (has_type) {
    if (s.np + s.nr > 0) {
      if (idx >= p->ntypes) {
        st = fail_at(p, type_tok, "unknown type");
        goto out;
      }
      if (!sig_eq(&s, &p->types[idx])) {
        st = fail_at(p, type_tok, "inline function type");
        goto out;
      }
    }
    *out_np = idx < p->ntypes ? p->types[idx].np : s.np;
    *out_idx = idx;
  } else {
    st = find_or_add_type(p, &s, out_idx);
    *out_np = s.np;
  }
out:
  lat_buf_fini(&s.vt);
  return st;
}

/* ---- instructions ---------------------------------------------------------------- */

static lat_status instrs(P *p, lat_buf_t *o);
static lat_status instr_folded(P *p, lat_buf_t *o);

static lat_status push_label(P *p, size_t tok /* SIZE_MAX if none */) {
  if (p->nlabels == p->labels_cap) {
    uint32_t ncap = p->labels_cap ? p->labels_cap * 2 : 16;
    label_t *nl = lat_realloc(p->labels, (size_t)ncap * sizeof(label_t));
    if (!nl) return oom(p);
    p->labels = nl;
    p->labels_cap = ncap;
  }
  label_t *l = &p->labels[p->nlabels++];
  if (tok == SIZE_MAX) {
    l->s = NULL;
    l->n = 0;
  } else {
    l->s = tsrc(p, tok);
    l->n = tk(p, tok)->len;
  }
  return LAT_OK;
}

/* Optional `$id` after end/else: must name the innermost label. */
static lat_status check_end_label(P *p) {
  if (!at(p, LAT__TOK_ID)) return LAT_OK;
  const label_t *l = &p->labels[p->nlabels - 1];
  const lat__tok_t *t = tk(p, p->pos);
  if (!l->s || l->n != t->len || memcmp(l->s, tsrc(p, p->pos), l->n) != 0)
    return fail_at(p, p->pos, "mismatching label");
  p->pos++;
  return LAT_OK;
}

static lat_status parse_label_ref(P *p, uint32_t *out) {
  if (at(p, LAT__TOK_ID)) {
    const lat__tok_t *t = tk(p, p->pos);
    for (uint32_t i = p->nlabels; i-- > 0;) {
      const label_t *l = &p->labels[i];
      if (l->s && l->n == t->len && memcmp(l->s, tsrc(p, p->pos), l->n) == 0) {
        *out = p->nlabels - 1 - i;
        p->pos++;
        return LAT_OK;
      }
    }
    return fail_at(p, p->pos, "unknown label %.*s", (int)t->len, tsrc(p, p->pos));
  }
  return parse_u32(p, out);
}

static lat_status parse_local_ref(P *p, uint32_t *out) {
  if (at(p, LAT__TOK_ID)) {
    const lat__tok_t *t = tk(p, p->pos);
    if (!sym_find(&p->locals, tsrc(p, p->pos), t->len, out))
      return fail_at(p, p->pos, "unknown local %.*s", (int)t->len,
                     tsrc(p, p->pos));
    p->pos++;
    return LAT_OK;
  }
  return parse_u32(p, out);
}

/* blocktype: encoded into bt[0..*btn) (at most 5 bytes of s33). */
static lat_status parse_blocktype(P *p, uint8_t bt[8], size_t *btn) {
  bool has_type;
  uint32_t idx;
  size_t type_tok;
  TRY(parse_type_ref(p, &has_type, &idx, &type_tok));
  sig_t s;
  lat_buf_init(&s.vt);
  lat_status st = parse_sig(p, &s, 0);
  if (st != LAT_OK) goto out;
  if (has_type) {
    if (s.np + s.nr > 0 && (idx >= p->ntypes || !sig_eq(&s, &p->types[idx]))) {
      st = fail_at(p, type_tok, "inline function type");
      goto out;
    }
  } else if (s.np == 0 && s.nr == 0) {
    bt[0] = 0x40;
    *btn = 1;
    goto out;
  } else if (s.np == 0 && s.nr == 1) {
    bt[0] = s.vt.data[0];
    *btn = 1;
    goto out;
  } else {
    st = find_or_add_type(p, &s, &idx);
    if (st != LAT_OK) goto out;
  }
  {
    /* s33 LEB of a non-negative index */
    uint64_t v = idx;
    size_t n = 0;
    for (;;) {
      uint8_t b = v & 0x7f;
      v >>= 7;
      if (v == 0 && !(b & 0x40)) {
        bt[n++] = b;
        break;
      }
      bt[n++] = b | 0x80;
    }
    *btn = n;
  }
out:
  lat_buf_fini(&s.vt);
  return st;
}

static lat_status emit_op(P *p, lat_buf_t *o, const lat__wat_op_t *op) {
  if (op->prefix) {
    TRY(put(p, o, op->prefix));
    return put_u(p, o, op->code);
  }
  return put(p, o, (uint8_t)op->code);
}

/* memarg with an optional memory index first (multi-memory): `$m` or a
 * number, encoded as flags bit 6 plus the index when it is not 0, so a
 * 2.0 module's bytes do not change.  For the lane instructions a lone
 * number is the lane, so a numeric memory index needs a second number or
 * an offset=/align= after it (lane_follows). */
static bool memarg_key_at(const P *p, size_t i) {
  if (kind_at(p, i) != LAT__TOK_KEYWORD) return false;
  const lat__tok_t *t = tk(p, i);
  const char *src = p->lx->src + t->off;
  return (t->len > 7 && !memcmp(src, "offset=", 7)) ||
         (t->len > 6 && !memcmp(src, "align=", 6));
}

static lat_status parse_memarg(P *p, lat_buf_t *o, uint8_t natural,
                               bool lane_follows) {
  uint32_t mem = 0;
  if (at(p, LAT__TOK_ID) ||
      (is_var(p) && (!lane_follows || is_num_tok(p, p->pos + 1) ||
                     memarg_key_at(p, p->pos + 1))))
    TRY(parse_var(p, SP_MEM, &mem));
  uint64_t offset = 0, align = (uint64_t)1 << natural;
  if (at(p, LAT__TOK_KEYWORD) && tk(p, p->pos)->len > 7 &&
      memcmp(tsrc(p, p->pos), "offset=", 7) == 0) {
    lat__num_result r = lat__wat_parse_nat(tsrc(p, p->pos) + 7,
                                           tk(p, p->pos)->len - 7, &offset);
    /* u64 (memory64); a 32-bit memory's limit is the validator's */
    if (r != LAT__NUM_OK) return num_fail(p, r);
    p->pos++;
  }
  if (at(p, LAT__TOK_KEYWORD) && tk(p, p->pos)->len > 6 &&
      memcmp(tsrc(p, p->pos), "align=", 6) == 0) {
    lat__num_result r = lat__wat_parse_nat(tsrc(p, p->pos) + 6,
                                           tk(p, p->pos)->len - 6, &align);
    /* up to 2^63: the validator judges it against the natural alignment */
    if (r != LAT__NUM_OK) return num_fail(p, r);
    if (align == 0 || (align & (align - 1)) != 0)
      return fail_at(p, p->pos, "alignment must be a power of two");
    p->pos++;
  }
  uint32_t lg = 0;
  while (((uint64_t)1 << lg) < align) lg++;
  if (mem) {
    TRY(put_u(p, o, lg | 64u));
    TRY(put_u(p, o, mem));
  } else {
    TRY(put_u(p, o, lg));
  }
  return put_u(p, o, offset);
}

/* An optional memory index (memory.size/grow/fill), 0 when absent. */
static lat_status opt_memidx(P *p, uint32_t *out) {
  *out = 0;
  return is_var(p) ? parse_var(p, SP_MEM, out) : LAT_OK;
}

/* shuffle: the reference calls every bad lane "malformed lane index" and a
 * missing or extra one "invalid lane length"; extract/replace say
 * "unexpected token" for a non-integer. */
static lat_status parse_lane(P *p, lat_buf_t *o, bool shuffle) {
  uint64_t v;
  if (shuffle && (at(p, LAT__TOK_LPAR) || at(p, LAT__TOK_RPAR)))
    return fail_at(p, p->pos, "invalid lane length");
  if (!at(p, LAT__TOK_RESERVED) && !at(p, LAT__TOK_KEYWORD)) return unexpected(p);
  lat__num_result r = lat__wat_parse_nat(tsrc(p, p->pos), tk(p, p->pos)->len, &v);
  if (r == LAT__NUM_SYNTAX && !shuffle) return unexpected(p);
  if (r != LAT__NUM_OK || v > 255)
    return fail_at(p, p->pos, "malformed lane index");
  p->pos++;
  return put(p, o, (uint8_t)v);
}

static lat_status parse_int_imm(P *p, unsigned bits, uint64_t *out) {
  if (!at(p, LAT__TOK_RESERVED)) return unexpected(p);
  lat__num_result r = lat__wat_parse_int(tsrc(p, p->pos), tk(p, p->pos)->len,
                                         bits, out);
  if (r != LAT__NUM_OK) return num_fail(p, r);
  p->pos++;
  return LAT_OK;
}

static lat_status parse_float_imm(P *p, unsigned bits, uint64_t *out) {
  if (!at(p, LAT__TOK_RESERVED) && !at(p, LAT__TOK_KEYWORD)) return unexpected(p);
  lat__num_result r = lat__wat_parse_float(tsrc(p, p->pos), tk(p, p->pos)->len,
                                           bits, out);
  if (r != LAT__NUM_OK) return num_fail(p, r);
  p->pos++;
  return LAT_OK;
}

static void put_le(uint8_t *d, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) d[i] = (uint8_t)(v >> (8 * i));
}

static lat_status parse_v128(P *p, uint8_t out[16]) {
  lat__v128_shape_t sh;
  if (!at(p, LAT__TOK_KEYWORD) ||
      lat__wat_v128_shape(tsrc(p, p->pos), tk(p, p->pos)->len, &sh) < 0)
    return unexpected(p);
  p->pos++;
  unsigned bytes = sh.bits / 8;
  for (unsigned i = 0; i < sh.lanes; i++) {
    uint64_t v;
    if (at(p, LAT__TOK_RPAR) || at(p, LAT__TOK_LPAR) || at(p, LAT__TOK_EOF))
      return fail_at(p, p->pos, "wrong number of lane literals");
    if (sh.fl) TRY(parse_float_imm(p, sh.bits, &v));
    else TRY(parse_int_imm(p, sh.bits, &v));
    put_le(out + i * bytes, v, bytes);
  }
  return LAT_OK;
}

/* else and end: structural, never instructions of their own */
static bool is_block_end(const lat__wat_op_t *op) {
  return op->prefix == 0 && (op->code == LAT_OP_ELSE || op->code == LAT_OP_END);
}

/* Emits op and its immediates, reading them from the tokens at pos.  The
 * cases are wasm_opcodes.h's immediate kinds. */
static lat_status op_imm(P *p, lat_buf_t *o, const lat__wat_op_t *op) {
  uint32_t a, b;
  switch ((enum lat_wasm_imm)op->imm) {
  case LAT_IMM_NONE:
    if (is_block_end(op)) return unexpected(p);
    return emit_op(p, o, op);
  case LAT_IMM_BLOCK:
    return unexpected(p); /* handled structurally by the callers (and
                             LAT_IMM_TRY_TABLE, below) */
  case LAT_IMM_LABEL:
    TRY(parse_label_ref(p, &a));
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_BR_TABLE: {
    size_t start = p->pos;
    uint32_t n = 0;
    while (is_var(p)) {
      TRY(parse_label_ref(p, &a));
      n++;
    }
    if (n == 0) return unexpected(p);
    TRY(emit_op(p, o, op));
    TRY(put_u(p, o, n - 1));
    p->pos = start;
    for (uint32_t i = 0; i < n; i++) {
      TRY(parse_label_ref(p, &a));
      TRY(put_u(p, o, a));
    }
    return LAT_OK;
  }
  case LAT_IMM_FUNC:
    TRY(parse_var(p, SP_FUNC, &a));
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_CALL_INDIRECT: {
    uint32_t table = 0, type, np;
    if (is_var(p)) TRY(parse_var(p, SP_TABLE, &table));
    TRY(parse_typeuse(p, 0, &type, &np));
    TRY(emit_op(p, o, op));
    TRY(put_u(p, o, type));
    return put_u(p, o, table);
  }
  case LAT_IMM_LOCAL:
    TRY(parse_local_ref(p, &a));
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_GLOBAL:
    TRY(parse_var(p, SP_GLOBAL, &a));
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_TABLE:
    a = 0;
    if (is_var(p)) TRY(parse_var(p, SP_TABLE, &a));
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_TABLE_TABLE:
    a = b = 0;
    if (is_var(p)) {
      TRY(parse_var(p, SP_TABLE, &a));
      TRY(parse_var(p, SP_TABLE, &b));
    }
    TRY(emit_op(p, o, op));
    TRY(put_u(p, o, a));
    return put_u(p, o, b);
  case LAT_IMM_ELEM_TABLE: {
    size_t first = p->pos;
    if (!is_var(p)) return unexpected(p);
    p->pos++;
    if (is_var(p)) {
      p->pos = first;
      TRY(parse_var(p, SP_TABLE, &a));
      TRY(parse_var(p, SP_ELEM, &b));
    } else {
      p->pos = first;
      a = 0;
      TRY(parse_var(p, SP_ELEM, &b));
    }
    TRY(emit_op(p, o, op));
    TRY(put_u(p, o, b));
    return put_u(p, o, a);
  }
  case LAT_IMM_ELEM:
    TRY(parse_var(p, SP_ELEM, &a));
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_DATA:
    TRY(parse_var(p, SP_DATA, &a));
    p->uses_datacount = true;
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_DATA_MEM: { /* memory.init $mem? $data */
    size_t first = p->pos;
    b = 0;
    if (!is_var(p)) return unexpected(p);
    p->pos++;
    if (is_var(p)) {
      p->pos = first;
      TRY(parse_var(p, SP_MEM, &b));
    } else {
      p->pos = first;
    }
    TRY(parse_var(p, SP_DATA, &a));
    p->uses_datacount = true;
    TRY(emit_op(p, o, op));
    TRY(put_u(p, o, a));
    return put_u(p, o, b);
  }
  case LAT_IMM_MEM0:
    TRY(opt_memidx(p, &a));
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_MEM_MEM: /* memory.copy ($dst $src)? */
    a = b = 0;
    if (is_var(p)) {
      TRY(parse_var(p, SP_MEM, &a));
      TRY(parse_var(p, SP_MEM, &b));
    }
    TRY(emit_op(p, o, op));
    TRY(put_u(p, o, a));
    return put_u(p, o, b);
  case LAT_IMM_MEMARG:
    TRY(emit_op(p, o, op));
    return parse_memarg(p, o, op->arg, false);
  case LAT_IMM_MEMLANE:
    TRY(emit_op(p, o, op));
    TRY(parse_memarg(p, o, op->arg, true));
    return parse_lane(p, o, false);
  case LAT_IMM_I32: {
    uint64_t v;
    TRY(parse_int_imm(p, 32, &v));
    TRY(emit_op(p, o, op));
    return put_s(p, o, (int32_t)(uint32_t)v);
  }
  case LAT_IMM_I64: {
    uint64_t v;
    TRY(parse_int_imm(p, 64, &v));
    TRY(emit_op(p, o, op));
    return put_s(p, o, (int64_t)v);
  }
  case LAT_IMM_F32:
  case LAT_IMM_F64: {
    unsigned bytes = op->imm == LAT_IMM_F32 ? 4 : 8;
    uint64_t v;
    uint8_t d[8];
    TRY(parse_float_imm(p, bytes * 8, &v));
    TRY(emit_op(p, o, op));
    put_le(d, v, bytes);
    return put_bytes(p, o, d, bytes);
  }
  case LAT_IMM_V128: {
    uint8_t d[16];
    TRY(parse_v128(p, d));
    TRY(emit_op(p, o, op));
    return put_bytes(p, o, d, 16);
  }
  case LAT_IMM_SHUFFLE:
    TRY(emit_op(p, o, op));
    for (int i = 0; i < 16; i++) TRY(parse_lane(p, o, true));
    if (at(p, LAT__TOK_RESERVED)) return fail_at(p, p->pos, "invalid lane length");
    return LAT_OK;
  case LAT_IMM_LANE:
    TRY(emit_op(p, o, op));
    return parse_lane(p, o, false);
  case LAT_IMM_SELECT_T: { /* the index's `select`: 0x1b unless typed */
    if (!lpar_kw(p, "result")) return put(p, o, LAT_OP_SELECT);
    sig_t s;
    lat_buf_init(&s.vt);
    lat_status st = parse_sig(p, &s, 0);
    if (st == LAT_OK && s.np != 0) st = unexpected(p);
    if (st == LAT_OK) st = put(p, o, LAT_OP_SELECT_T);
    if (st == LAT_OK) st = put_u(p, o, s.nr);
    if (st == LAT_OK && s.nr) st = put_bytes(p, o, s.vt.data, s.nr);
    lat_buf_fini(&s.vt);
    return st;
  }
  case LAT_IMM_REFTYPE:
    TRY(emit_op(p, o, op));
    if (is_kw(p, "func")) {
      p->pos++;
      return put(p, o, LAT_FUNCREF);
    }
    if (is_kw(p, "extern")) {
      p->pos++;
      return put(p, o, LAT_EXTERNREF);
    }
    if (is_kw(p, "exn")) {
      p->pos++;
      return put(p, o, LAT_EXNREF);
    }
    return unexpected(p);
  case LAT_IMM_TAG:
    TRY(parse_var(p, SP_TAG, &a));
    TRY(emit_op(p, o, op));
    return put_u(p, o, a);
  case LAT_IMM_TRY_TABLE:
  case LAT_IMM_ILLEGAL:
  case LAT_IMM_COUNT:
    break; /* never in the table */
  }
  return unexpected(p);
}

static const lat__wat_op_t *lookup_op(P *p) {
  if (!at(p, LAT__TOK_KEYWORD)) return NULL;
  return lat__wat_op_find(p->ops, tsrc(p, p->pos), tk(p, p->pos)->len);
}

static lat_status enter(P *p) {
  if (++p->depth > MAX_DEPTH) return fail_at(p, p->pos, "nesting too deep");
  return LAT_OK;
}

/* The keyword at pos of block/loop/if, its label and its blocktype (into
 * bt[0..*btn)); *label is the label's token, SIZE_MAX when there is none. */
static lat_status block_head(P *p, size_t *label, uint8_t bt[8], size_t *btn) {
  p->pos++;
  *label = SIZE_MAX;
  if (at(p, LAT__TOK_ID)) *label = p->pos++;
  return parse_blocktype(p, bt, btn);
}

/* try_table's catch clauses, `(catch $tag $l)` `(catch_ref $tag $l)`
 * `(catch_all $l)` `(catch_all_ref $l)`, after its block type: the labels
 * count from outside the try_table, so this runs before its label is
 * pushed. */
static lat_status catches(P *p, lat_buf_t *o) {
  static const char *const kw[4] = {"catch", "catch_ref", "catch_all",
                                    "catch_all_ref"};
  size_t start = p->pos;
  uint32_t n = 0;
  for (int pass = 0; pass < 2; pass++) {
    p->pos = start;
    if (pass) TRY(put_u(p, o, n));
    while (at(p, LAT__TOK_LPAR)) {
      uint8_t k = 4;
      for (uint8_t i = 0; i < 4; i++)
        if (kw_at(p, p->pos + 1, kw[i])) k = i;
      if (k == 4) break;
      p->pos += 2;
      uint32_t tag = 0, label;
      if (k < 2) TRY(parse_var(p, SP_TAG, &tag));
      TRY(parse_label_ref(p, &label));
      TRY(expect_rpar(p));
      if (pass) {
        TRY(put(p, o, k));
        if (k < 2) TRY(put_u(p, o, tag));
        TRY(put_u(p, o, label));
      } else {
        n++;
      }
    }
  }
  return LAT_OK;
}

/* block/loop/if/try_table in plain syntax; pos is at the keyword */
static lat_status block_plain(P *p, lat_buf_t *o, const lat__wat_op_t *op) {
  uint8_t bt[8];
  size_t btn, label;
  TRY(block_head(p, &label, bt, &btn));
  TRY(put(p, o, op->code));
  TRY(put_bytes(p, o, bt, btn));
  if (op->code == LAT_OP_TRY_TABLE) TRY(catches(p, o));
  TRY(push_label(p, label));
  TRY(instrs(p, o));
  if (op->code == LAT_OP_IF && is_kw(p, "else")) {
    p->pos++;
    TRY(check_end_label(p));
    TRY(put(p, o, LAT_OP_ELSE));
    TRY(instrs(p, o));
  }
  if (!is_kw(p, "end")) return unexpected(p);
  p->pos++;
  TRY(check_end_label(p));
  p->nlabels--;
  return put(p, o, LAT_OP_END);
}

/* Keywords of the grammar that are not instructions: the reference lexer
 * knows them, so finding one where an instruction belongs is "unexpected
 * token" there rather than "unknown operator". */
static lat_status not_an_op(P *p) {
  static const char *const words[] = {
      "type",   "func",   "param", "result", "local",  "then",     "item",
      "offset", "module", "export", "import", "table", "memory",   "global",
      "elem",   "data",   "start", "mut",    "declare", "funcref", "externref",
      "i32",    "i64",    "f32",   "f64",    "v128",   "extern"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (is_kw(p, words[i])) return unexpected(p);
  if (at(p, LAT__TOK_KEYWORD))
    return fail_at(p, p->pos, "unknown operator %.*s", (int)tk(p, p->pos)->len,
                   tsrc(p, p->pos));
  return unexpected(p);
}

static lat_status instr_plain(P *p, lat_buf_t *o) {
  const lat__wat_op_t *op = lookup_op(p);
  if (!op) return not_an_op(p);
  if (op->imm == LAT_IMM_BLOCK || op->imm == LAT_IMM_TRY_TABLE) {
    TRY(enter(p));
    TRY(block_plain(p, o, op));
    p->depth--;
    return LAT_OK;
  }
  if (is_block_end(op)) return unexpected(p);
  p->pos++;
  return op_imm(p, o, op);
}

/* (block ...), (loop ...), (if ...); pos is at the keyword */
static lat_status block_folded(P *p, lat_buf_t *o, const lat__wat_op_t *op) {
  uint8_t bt[8];
  size_t btn, label;
  TRY(block_head(p, &label, bt, &btn));
  if (op->code != LAT_OP_IF) {
    TRY(put(p, o, op->code));
    TRY(put_bytes(p, o, bt, btn));
    if (op->code == LAT_OP_TRY_TABLE) TRY(catches(p, o));
    TRY(push_label(p, label));
    TRY(instrs(p, o));
    TRY(expect_rpar(p));
    p->nlabels--;
    return put(p, o, LAT_OP_END);
  }
  while (at(p, LAT__TOK_LPAR) && !kw_at(p, p->pos + 1, "then"))
    TRY(instr_folded(p, o));
  if (!lpar_kw(p, "then")) return unexpected(p);
  p->pos += 2;
  TRY(put(p, o, LAT_OP_IF));
  TRY(put_bytes(p, o, bt, btn));
  TRY(push_label(p, label));
  TRY(instrs(p, o));
  TRY(expect_rpar(p));
  if (lpar_kw(p, "else")) {
    p->pos += 2;
    TRY(put(p, o, LAT_OP_ELSE));
    TRY(instrs(p, o));
    TRY(expect_rpar(p));
  }
  TRY(expect_rpar(p));
  p->nlabels--;
  return put(p, o, LAT_OP_END);
}

static lat_status instr_folded(P *p, lat_buf_t *o) {
  TRY(enter(p));
  p->pos++; /* ( */
  const lat__wat_op_t *op = lookup_op(p);
  if (!op) return not_an_op(p);
  if (op->imm == LAT_IMM_BLOCK || op->imm == LAT_IMM_TRY_TABLE) {
    TRY(block_folded(p, o, op));
    p->depth--;
    return LAT_OK;
  }
  if (is_block_end(op)) return unexpected(p);
  p->pos++;
  size_t imm_start = p->pos;
  size_t saved_len = o->len;
  TRY(op_imm(p, o, op));
  if (!at(p, LAT__TOK_RPAR)) {
    o->len = saved_len;
    while (at(p, LAT__TOK_LPAR)) TRY(instr_folded(p, o));
    if (!at(p, LAT__TOK_RPAR)) return unexpected(p);
    size_t end = p->pos;
    p->pos = imm_start;
    TRY(op_imm(p, o, op));
    p->pos = end;
  }
  p->pos++; /* ) */
  p->depth--;
  return LAT_OK;
}

/* instr* up to `)`, `end`, `else` or EOF (not consumed) */
static lat_status instrs(P *p, lat_buf_t *o) {
  for (;;) {
    switch (kind_at(p, p->pos)) {
    case LAT__TOK_LPAR:
      TRY(instr_folded(p, o));
      break;
    case LAT__TOK_KEYWORD:
      if (is_kw(p, "end") || is_kw(p, "else")) return LAT_OK;
      TRY(instr_plain(p, o));
      break;
    case LAT__TOK_RPAR:
    case LAT__TOK_EOF:
      return LAT_OK;
    default:
      return unexpected(p);
    }
  }
}

/* A constant expression: instr* then `end`. */
static lat_status const_expr(P *p, lat_buf_t *o) {
  lat_map_clear(&p->locals);
  p->nlabels = 0;
  TRY(instrs(p, o));
  return put(p, o, 0x0b);
}

/* (offset instr*) or one folded instruction; pos at '(' */
static lat_status offset_expr(P *p, lat_buf_t *o) {
  if (lpar_kw(p, "offset")) {
    p->pos += 2;
    TRY(const_expr(p, o));
    return expect_rpar(p);
  }
  if (!at(p, LAT__TOK_LPAR)) return unexpected(p);
  lat_map_clear(&p->locals);
  p->nlabels = 0;
  TRY(instr_folded(p, o));
  return put(p, o, 0x0b);
}

/* ---- module fields (pass 2) --------------------------------------------------------- */

static lat_status inline_exports(P *p, uint8_t kind, uint32_t idx) {
  while (lpar_kw(p, "export")) {
    p->pos += 2;
    TRY(parse_name(p, &p->sec_export));
    TRY(put(p, &p->sec_export, kind));
    TRY(put_u(p, &p->sec_export, idx));
    p->n_export++;
    TRY(expect_rpar(p));
  }
  return LAT_OK;
}

/* (import "m" "n") inside a definition: writes the names to the import
 * section and returns true in *is_import. */
static lat_status inline_import(P *p, bool *is_import) {
  *is_import = false;
  if (!lpar_kw(p, "import")) return LAT_OK;
  p->pos += 2;
  TRY(parse_name(p, &p->sec_import));
  TRY(parse_name(p, &p->sec_import));
  TRY(expect_rpar(p));
  p->n_import++;
  *is_import = true;
  return LAT_OK;
}

/* `(func|table|memory|global $id?` with its inline exports and import:
 * numbers the definition in space sp (extern kind `kind`).  An import's
 * entry is left after its kind byte, for the caller's type. */
static lat_status field_head(P *p, int sp, uint8_t kind, uint32_t *out_idx,
                             bool *out_import) {
  p->pos += 2;
  if (at(p, LAT__TOK_ID)) p->pos++;
  *out_idx = p->next[sp]++;
  TRY(inline_exports(p, kind, *out_idx));
  TRY(inline_import(p, out_import));
  return *out_import ? put(p, &p->sec_import, kind) : LAT_OK;
}

/* Limits are u64 in the text (3.0); the validator judges them against the
 * address type, and a 2.0 decoder rejects a size past 32 bits as "integer
 * too large", which 2.0's assert_malformed accepts. */
static lat_status parse_limit(P *p, uint64_t *out) {
  uint64_t v;
  if (!is_num_tok(p, p->pos)) return unexpected(p);
  lat__num_result r = lat__wat_parse_nat(tsrc(p, p->pos), tk(p, p->pos)->len, &v);
  if (r == LAT__NUM_RANGE) return fail_at(p, p->pos, "constant out of range");
  if (r != LAT__NUM_OK) return num_fail(p, r);
  *out = v;
  p->pos++;
  return LAT_OK;
}

/* An optional address type before limits (memory64, table64): i64 or i32. */
static bool parse_addrtype(P *p) {
  if (is_kw(p, "i64")) {
    p->pos++;
    return true;
  }
  if (is_kw(p, "i32")) p->pos++;
  return false;
}

static lat_status parse_limits(P *p, lat_buf_t *o, bool *out_has_max) {
  uint64_t mn, mx = 0;
  bool is64 = parse_addrtype(p);
  TRY(parse_limit(p, &mn));
  bool has_max = is_num_tok(p, p->pos);
  if (has_max) TRY(parse_limit(p, &mx));
  TRY(put(p, o, (uint8_t)((has_max ? 1 : 0) | (is64 ? 4 : 0))));
  TRY(put_u(p, o, mn));
  if (has_max) TRY(put_u(p, o, mx));
  if (out_has_max) *out_has_max = has_max;
  return LAT_OK;
}

static lat_status parse_tabletype(P *p, lat_buf_t *o) {
  lat_buf_t lim;
  lat_buf_init(&lim);
  lat_status st = parse_limits(p, &lim, NULL);
  uint8_t rt = 0;
  if (st == LAT_OK) st = parse_reftype(p, &rt);
  if (st == LAT_OK) st = put(p, o, rt);
  if (st == LAT_OK) st = put_bytes(p, o, lim.data, lim.len);
  lat_buf_fini(&lim);
  return st;
}

static lat_status parse_globaltype(P *p, lat_buf_t *o) {
  uint8_t vt;
  if (lpar_kw(p, "mut")) {
    p->pos += 2;
    TRY(parse_valtype(p, &vt));
    TRY(expect_rpar(p));
    TRY(put(p, o, vt));
    return put(p, o, 1);
  }
  TRY(parse_valtype(p, &vt));
  TRY(put(p, o, vt));
  return put(p, o, 0);
}

static lat_status field_type(P *p) {
  /* already parsed in pass 1 */
  return skip_sexpr(p);
}

/* The `func|table|memory|global` keyword at pos: its space and extern kind. */
static bool extern_kw(const P *p, int *out_sp, uint8_t *out_kind) {
  static const struct {
    const char *kw;
    int sp;
    uint8_t kind;
  } kinds[] = {{"func", SP_FUNC, LAT_EXTERN_FUNC},
               {"table", SP_TABLE, LAT_EXTERN_TABLE},
               {"memory", SP_MEM, LAT_EXTERN_MEMORY},
               {"global", SP_GLOBAL, LAT_EXTERN_GLOBAL},
               {"tag", SP_TAG, LAT_EXTERN_TAG}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (is_kw(p, kinds[i].kw)) {
      *out_sp = kinds[i].sp;
      *out_kind = kinds[i].kind;
      return true;
    }
  }
  return false;
}

/* An import's type, after its kind byte in the import section, for both
 * `(import "m" "n" (kind ...))` and the inline `(kind (import "m" "n") ...)`. */
static lat_status import_desc(P *p, int sp) {
  lat_buf_t *o = &p->sec_import;
  switch (sp) {
  case SP_FUNC: {
    uint32_t type, np;
    TRY(parse_typeuse(p, 1, &type, &np));
    return put_u(p, o, type);
  }
  case SP_TABLE:
    return parse_tabletype(p, o);
  case SP_MEM:
    return parse_limits(p, o, NULL);
  case SP_TAG: { /* attribute 0 (exception), then the type */
    uint32_t type, np;
    TRY(put(p, o, 0));
    TRY(parse_typeuse(p, 1, &type, &np));
    return put_u(p, o, type);
  }
  default:
    return parse_globaltype(p, o);
  }
}

static lat_status field_import(P *p) {
  p->pos += 2;
  TRY(parse_name(p, &p->sec_import));
  TRY(parse_name(p, &p->sec_import));
  if (!at(p, LAT__TOK_LPAR)) return unexpected(p);
  p->pos++;
  int sp;
  uint8_t kind;
  if (!extern_kw(p, &sp, &kind)) return unexpected(p);
  p->pos++;
  if (at(p, LAT__TOK_ID)) p->pos++;
  TRY(put(p, &p->sec_import, kind));
  TRY(import_desc(p, sp));
  p->next[sp]++;
  TRY(expect_rpar(p));
  p->n_import++;
  return expect_rpar(p);
}

static lat_status field_func(P *p) {
  uint32_t idx;
  bool imp;
  TRY(field_head(p, SP_FUNC, LAT_EXTERN_FUNC, &idx, &imp));
  uint32_t type, np;
  lat_map_clear(&p->locals);
  p->nlabels = 0;
  if (imp) {
    TRY(import_desc(p, SP_FUNC));
    return expect_rpar(p);
  }
  TRY(parse_typeuse(p, 2, &type, &np));
  TRY(put_u(p, &p->sec_func, type));
  p->n_func++;
  p->nlocals = np;
  p->local_types.len = 0;
  while (lpar_kw(p, "local")) {
    p->pos += 2;
    TRY(parse_decls(p, &p->locals, &p->local_types, &p->nlocals));
  }
  p->body.len = 0;
  /* local declarations: runs of equal types */
  const uint8_t *lt = p->local_types.data;
  size_t nl = p->local_types.len, runs = 0;
  for (size_t i = 0; i < nl; i++)
    if (i == 0 || lt[i] != lt[i - 1]) runs++;
  TRY(put_u(p, &p->body, runs));
  for (size_t i = 0; i < nl;) {
    size_t j = i;
    while (j < nl && lt[j] == lt[i]) j++;
    TRY(put_u(p, &p->body, j - i));
    TRY(put(p, &p->body, lt[i]));
    i = j;
  }
  TRY(instrs(p, &p->body));
  TRY(expect_rpar(p));
  TRY(put(p, &p->body, 0x0b));
  TRY(put_u(p, &p->sec_code, p->body.len));
  return put_bytes(p, &p->sec_code, p->body.data, p->body.len);
}

/* Element list items into items (each a const expr with end); sets
 * *all_funcs when every item is a single ref.func, and collects the
 * function indices in fidx. */
typedef struct {
  lat_buf_t exprs;
  lat_buf_t fidx; /* uleb function indices */
  uint32_t n;
  bool all_funcs;
} elist_t;

static lat_status elist_func(P *p, elist_t *e, uint32_t f) {
  TRY(put(p, &e->exprs, 0xd2));
  TRY(put_u(p, &e->exprs, f));
  TRY(put(p, &e->exprs, 0x0b));
  TRY(put_u(p, &e->fidx, f));
  e->n++;
  return LAT_OK;
}

static lat_status elist_expr(P *p, elist_t *e) {
  size_t start = e->exprs.len;
  if (lpar_kw(p, "item")) {
    p->pos += 2;
    TRY(const_expr(p, &e->exprs));
    TRY(expect_rpar(p));
  } else {
    if (!at(p, LAT__TOK_LPAR)) return unexpected(p);
    lat_map_clear(&p->locals);
    p->nlabels = 0;
    TRY(instr_folded(p, &e->exprs));
    TRY(put(p, &e->exprs, 0x0b));
  }
  e->n++;
  /* single ref.func x ? */
  const uint8_t *d = e->exprs.data + start;
  size_t n = e->exprs.len - start, i = 1;
  uint64_t f = 0;
  unsigned shift = 0;
  if (n >= 3 && d[0] == 0xd2) {
    while (i < n && (d[i] & 0x80) && shift < 35) {
      f |= (uint64_t)(d[i] & 0x7f) << shift;
      shift += 7;
      i++;
    }
    if (i < n) {
      f |= (uint64_t)(d[i] & 0x7f) << shift;
      i++;
    }
    if (i + 1 == n && d[i] == 0x0b) return put_u(p, &e->fidx, f);
  }
  e->all_funcs = false;
  return LAT_OK;
}

/* Parses the element list after the mode: `func x*`, `reftype expr*`, or
 * (legacy, allowed when legacy) bare x*.  Returns the element type. */
static lat_status parse_elist(P *p, elist_t *e, bool legacy, uint8_t *out_rt) {
  if (is_kw(p, "func")) {
    p->pos++;
    *out_rt = LAT_FUNCREF;
    while (is_var(p)) {
      uint32_t f;
      TRY(parse_var(p, SP_FUNC, &f));
      TRY(elist_func(p, e, f));
    }
    return LAT_OK;
  }
  if (is_kw(p, "funcref") || is_kw(p, "externref")) {
    TRY(parse_reftype(p, out_rt));
    while (at(p, LAT__TOK_LPAR)) TRY(elist_expr(p, e));
    return LAT_OK;
  }
  if (!legacy) return unexpected(p);
  *out_rt = LAT_FUNCREF;
  while (is_var(p)) {
    uint32_t f;
    TRY(parse_var(p, SP_FUNC, &f));
    TRY(elist_func(p, e, f));
  }
  return LAT_OK;
}

/* mode: 0 active, 1 passive, 2 declarative */
static lat_status emit_elem(P *p, int mode, uint32_t table,
                            const lat_buf_t *offset, uint8_t rt,
                            const elist_t *e) {
  lat_buf_t *o = &p->sec_elem;
  bool funcs = e->all_funcs && rt == LAT_FUNCREF;
  if (funcs) {
    if (mode == 0 && table == 0) {
      TRY(put(p, o, 0x00));
      TRY(put_bytes(p, o, offset->data, offset->len));
    } else if (mode == 0) {
      TRY(put(p, o, 0x02));
      TRY(put_u(p, o, table));
      TRY(put_bytes(p, o, offset->data, offset->len));
      TRY(put(p, o, 0x00));
    } else {
      TRY(put(p, o, mode == 1 ? 0x01 : 0x03));
      TRY(put(p, o, 0x00));
    }
    TRY(put_u(p, o, e->n));
    TRY(put_bytes(p, o, e->fidx.data, e->fidx.len));
  } else {
    if (mode == 0 && table == 0 && rt == LAT_FUNCREF) {
      TRY(put(p, o, 0x04));
      TRY(put_bytes(p, o, offset->data, offset->len));
    } else if (mode == 0) {
      TRY(put(p, o, 0x06));
      TRY(put_u(p, o, table));
      TRY(put_bytes(p, o, offset->data, offset->len));
      TRY(put(p, o, rt));
    } else {
      TRY(put(p, o, mode == 1 ? 0x05 : 0x07));
      TRY(put(p, o, rt));
    }
    TRY(put_u(p, o, e->n));
    TRY(put_bytes(p, o, e->exprs.data, e->exprs.len));
  }
  p->n_elem++;
  return LAT_OK;
}

static void elist_init(elist_t *e) {
  lat_buf_init(&e->exprs);
  lat_buf_init(&e->fidx);
  e->n = 0;
  e->all_funcs = true;
}
static void elist_fini(elist_t *e) {
  lat_buf_fini(&e->exprs);
  lat_buf_fini(&e->fidx);
}

static lat_status field_table(P *p) {
  uint32_t idx;
  bool imp;
  TRY(field_head(p, SP_TABLE, LAT_EXTERN_TABLE, &idx, &imp));
  if (imp) {
    TRY(import_desc(p, SP_TABLE));
    return expect_rpar(p);
  }
  size_t at64 = p->pos;
  bool is64 = parse_addrtype(p);
  if ((is_kw(p, "funcref") || is_kw(p, "externref")) &&
      kind_at(p, p->pos + 1) == LAT__TOK_LPAR && kw_at(p, p->pos + 2, "elem")) {
    uint8_t rt, rt2;
    TRY(parse_reftype(p, &rt));
    p->pos += 2;
    elist_t e;
    elist_init(&e);
    lat_buf_t off;
    lat_buf_init(&off);
    lat_status st = LAT_OK;
    if (at(p, LAT__TOK_LPAR)) {
      while (st == LAT_OK && at(p, LAT__TOK_LPAR)) st = elist_expr(p, &e);
      rt2 = rt;
    } else {
      st = parse_elist(p, &e, true, &rt2);
    }
    if (st == LAT_OK) st = expect_rpar(p);
    if (st == LAT_OK) {
      st = put(p, &p->sec_table, rt);
      if (st == LAT_OK) st = put(p, &p->sec_table, is64 ? 0x05 : 0x01);
      if (st == LAT_OK) st = put_u(p, &p->sec_table, e.n);
      if (st == LAT_OK) st = put_u(p, &p->sec_table, e.n);
      p->n_table++;
    }
    if (st == LAT_OK) st = put(p, &off, is64 ? 0x42 : 0x41);
    if (st == LAT_OK) st = put(p, &off, 0x00);
    if (st == LAT_OK) st = put(p, &off, 0x0b);
    if (st == LAT_OK) {
      p->next[SP_ELEM]++;
      st = emit_elem(p, 0, idx, &off, rt, &e);
    }
    elist_fini(&e);
    lat_buf_fini(&off);
    TRY(st);
    return expect_rpar(p);
  }
  p->pos = at64; /* the limits read the address type */
  TRY(parse_tabletype(p, &p->sec_table));
  p->n_table++;
  return expect_rpar(p);
}

static lat_status field_memory(P *p) {
  uint32_t idx;
  bool imp;
  TRY(field_head(p, SP_MEM, LAT_EXTERN_MEMORY, &idx, &imp));
  if (imp) {
    TRY(import_desc(p, SP_MEM));
    return expect_rpar(p);
  }
  size_t at64 = p->pos;
  bool is64 = parse_addrtype(p);
  if (!lpar_kw(p, "data")) p->pos = at64; /* the limits read it again */
  if (lpar_kw(p, "data")) {
    p->pos += 2;
    lat_buf_t d;
    lat_buf_init(&d);
    lat_status st = LAT_OK;
    while (st == LAT_OK && at(p, LAT__TOK_STRING)) {
      st = parse_string(p);
      if (st == LAT_OK) st = put_bytes(p, &d, p->str.data, p->str.len);
    }
    if (st == LAT_OK) st = expect_rpar(p);
    uint64_t pages = ((uint64_t)d.len + LAT_WASM_PAGE_SIZE - 1) / LAT_WASM_PAGE_SIZE;
    if (st == LAT_OK) st = put(p, &p->sec_mem, is64 ? 0x05 : 0x01);
    if (st == LAT_OK) st = put_u(p, &p->sec_mem, pages);
    if (st == LAT_OK) st = put_u(p, &p->sec_mem, pages);
    p->n_mem++;
    lat_buf_t *o = &p->sec_data;
    if (st == LAT_OK) {
      const uint8_t off0[] = {is64 ? 0x42 : 0x41, 0x00, 0x0b};
      if (idx == 0) {
        st = put(p, o, 0x00);
      } else {
        st = put(p, o, 0x02);
        if (st == LAT_OK) st = put_u(p, o, idx);
      }
      if (st == LAT_OK) st = put_bytes(p, o, off0, 3);
      if (st == LAT_OK) st = put_u(p, o, d.len);
      if (st == LAT_OK) st = put_bytes(p, o, d.data, d.len);
      p->n_data++;
      p->next[SP_DATA]++;
    }
    lat_buf_fini(&d);
    TRY(st);
    return expect_rpar(p);
  }
  TRY(parse_limits(p, &p->sec_mem, NULL));
  p->n_mem++;
  return expect_rpar(p);
}

static lat_status field_global(P *p) {
  uint32_t idx;
  bool imp;
  TRY(field_head(p, SP_GLOBAL, LAT_EXTERN_GLOBAL, &idx, &imp));
  if (imp) {
    TRY(import_desc(p, SP_GLOBAL));
    return expect_rpar(p);
  }
  TRY(parse_globaltype(p, &p->sec_global));
  TRY(const_expr(p, &p->sec_global));
  p->n_global++;
  return expect_rpar(p);
}

static lat_status field_tag(P *p) {
  uint32_t idx;
  bool imp;
  TRY(field_head(p, SP_TAG, LAT_EXTERN_TAG, &idx, &imp));
  if (imp) {
    TRY(import_desc(p, SP_TAG));
    return expect_rpar(p);
  }
  uint32_t type, np;
  TRY(put(p, &p->sec_tag, 0));
  TRY(parse_typeuse(p, 1, &type, &np));
  TRY(put_u(p, &p->sec_tag, type));
  p->n_tag++;
  return expect_rpar(p);
}
static lat_status field_export(P *p) {
  p->pos += 2;
  TRY(parse_name(p, &p->sec_export));
  if (!at(p, LAT__TOK_LPAR)) return unexpected(p);
  p->pos++;
  int sp;
  uint8_t kind;
  if (!extern_kw(p, &sp, &kind)) return unexpected(p);
  p->pos++;
  uint32_t idx;
  TRY(parse_var(p, sp, &idx));
  TRY(expect_rpar(p));
  TRY(put(p, &p->sec_export, kind));
  TRY(put_u(p, &p->sec_export, idx));
  p->n_export++;
  return expect_rpar(p);
}

static lat_status field_start(P *p) {
  size_t tok = p->pos;
  p->pos += 2;
  if (p->has_start) return fail_at(p, tok, "multiple start sections");
  TRY(parse_var(p, SP_FUNC, &p->start));
  p->has_start = true;
  return expect_rpar(p);
}

static lat_status field_elem(P *p) {
  p->pos += 2;
  if (at(p, LAT__TOK_ID)) p->pos++;
  p->next[SP_ELEM]++;
  int mode = 1;
  uint32_t table = 0;
  lat_buf_t off;
  lat_buf_init(&off);
  elist_t e;
  elist_init(&e);
  lat_status st = LAT_OK;
  bool legacy = false;
  if (is_kw(p, "declare")) {
    p->pos++;
    mode = 2;
  } else {
    if (lpar_kw(p, "table")) {
      p->pos += 2;
      st = parse_var(p, SP_TABLE, &table);
      if (st == LAT_OK) st = expect_rpar(p);
      mode = 0;
    } else if (is_var(p) && kind_at(p, p->pos + 1) == LAT__TOK_LPAR) {
      st = parse_var(p, SP_TABLE, &table);
      mode = 0;
    }
    if (st == LAT_OK && (mode == 0 || at(p, LAT__TOK_LPAR))) {
      mode = 0;
      st = offset_expr(p, &off);
      legacy = true;
    }
  }
  uint8_t rt = LAT_FUNCREF;
  if (st == LAT_OK) st = parse_elist(p, &e, legacy, &rt);
  if (st == LAT_OK) st = expect_rpar(p);
  if (st == LAT_OK) st = emit_elem(p, mode, table, &off, rt, &e);
  lat_buf_fini(&off);
  elist_fini(&e);
  return st;
}

static lat_status field_data(P *p) {
  p->pos += 2;
  if (at(p, LAT__TOK_ID)) p->pos++;
  p->next[SP_DATA]++;
  uint32_t mem = 0;
  bool active = false;
  lat_buf_t *o = &p->sec_data;
  if (lpar_kw(p, "memory")) {
    p->pos += 2;
    TRY(parse_var(p, SP_MEM, &mem));
    TRY(expect_rpar(p));
    active = true;
  } else if (is_var(p) && kind_at(p, p->pos + 1) == LAT__TOK_LPAR) {
    TRY(parse_var(p, SP_MEM, &mem));
    active = true;
  }
  if (active || at(p, LAT__TOK_LPAR)) {
    if (mem == 0) {
      TRY(put(p, o, 0x00));
    } else {
      TRY(put(p, o, 0x02));
      TRY(put_u(p, o, mem));
    }
    TRY(offset_expr(p, o));
  } else {
    TRY(put(p, o, 0x01));
  }
  lat_buf_t d;
  lat_buf_init(&d);
  lat_status st = LAT_OK;
  while (st == LAT_OK && at(p, LAT__TOK_STRING)) {
    st = parse_string(p);
    if (st == LAT_OK) st = put_bytes(p, &d, p->str.data, p->str.len);
  }
  if (st == LAT_OK) st = put_u(p, o, d.len);
  if (st == LAT_OK) st = put_bytes(p, o, d.data, d.len);
  lat_buf_fini(&d);
  TRY(st);
  p->n_data++;
  return expect_rpar(p);
}

/* ---- pass 1 ----------------------------------------------------------------------- */

/* The token after the inline `(export ...)`s starting at i (EOF if one is
 * unclosed). */
static size_t after_exports(P *p, size_t i) {
  while (kind_at(p, i) == LAT__TOK_LPAR && kw_at(p, i + 1, "export"))
    if (!lat__wat_skip_sexpr(p->lx, &i)) break; /* i is at EOF */
  return i;
}


static lat_status scan_fields(P *p) {
  const char *first_def = NULL;
  while (at(p, LAT__TOK_LPAR)) {
    size_t field = p->pos;
    size_t kwi = p->pos + 1;
    size_t idi = kwi + 1;
    bool has_id = kind_at(p, idi) == LAT__TOK_ID;
    int sp = -1;
    bool import = false;
    const char *defname = NULL;
    if (kw_at(p, kwi, "type")) {
      p->pos = idi;
      uint32_t idx = p->ntypes;
      if (has_id) TRY(bind(p, SP_TYPE, idi, idx));
      if (has_id) p->pos++;
      if (!lpar_kw(p, "func")) return unexpected(p);
      p->pos += 2;
      sig_t s;
      lat_buf_init(&s.vt);
      lat_status st = parse_sig(p, &s, 1);
      if (st == LAT_OK) st = expect_rpar(p);
      if (st == LAT_OK) st = add_type(p, &s, &idx);
      lat_buf_fini(&s.vt);
      TRY(st);
      TRY(expect_rpar(p));
      p->count[SP_TYPE]++;
      continue;
    } else if (kw_at(p, kwi, "import")) {
      /* (import "m" "n" (kind $id? ...)) */
      size_t d = kwi + 3;
      if (kind_at(p, kwi + 1) != LAT__TOK_STRING ||
          kind_at(p, kwi + 2) != LAT__TOK_STRING) {
        p->pos = kwi + 1;
        if (kind_at(p, kwi + 1) == LAT__TOK_STRING) p->pos++;
        return unexpected(p);
      }
      if (kind_at(p, d) != LAT__TOK_LPAR) {
        p->pos = d;
        return unexpected(p);
      }
      if (kw_at(p, d + 1, "func")) sp = SP_FUNC;
      else if (kw_at(p, d + 1, "table")) sp = SP_TABLE;
      else if (kw_at(p, d + 1, "memory")) sp = SP_MEM;
      else if (kw_at(p, d + 1, "global")) sp = SP_GLOBAL;
      else if (kw_at(p, d + 1, "tag")) sp = SP_TAG;
      else {
        p->pos = d + 1;
        return unexpected(p);
      }
      idi = d + 2;
      has_id = kind_at(p, idi) == LAT__TOK_ID;
      import = true;
    } else if (kw_at(p, kwi, "func") || kw_at(p, kwi, "table") ||
               kw_at(p, kwi, "memory") || kw_at(p, kwi, "global") ||
               kw_at(p, kwi, "tag")) {
      sp = kw_at(p, kwi, "func")     ? SP_FUNC
           : kw_at(p, kwi, "table")  ? SP_TABLE
           : kw_at(p, kwi, "memory") ? SP_MEM
           : kw_at(p, kwi, "tag")    ? SP_TAG
                                     : SP_GLOBAL;
      size_t j = after_exports(p, has_id ? idi + 1 : idi);
      import = kind_at(p, j) == LAT__TOK_LPAR && kw_at(p, j + 1, "import");
      if (!import) {
        defname = space_name[sp];
        if (sp == SP_TABLE && (kw_at(p, j, "funcref") || kw_at(p, j, "externref")) &&
            kind_at(p, j + 1) == LAT__TOK_LPAR && kw_at(p, j + 2, "elem"))
          p->count[SP_ELEM]++;
        if (sp == SP_MEM && kind_at(p, j) == LAT__TOK_LPAR && kw_at(p, j + 1, "data"))
          p->count[SP_DATA]++;
      }
    } else if (kw_at(p, kwi, "elem")) {
      sp = SP_ELEM;
    } else if (kw_at(p, kwi, "data")) {
      sp = SP_DATA;
    } else if (kw_at(p, kwi, "export") || kw_at(p, kwi, "start")) {
      sp = -1;
    } else {
      p->pos = kwi;
      return unexpected(p);
    }
    if (import && first_def)
      return fail_at(p, field, "import after %s", first_def);
    if (defname && !first_def) first_def = defname;
    if (sp >= 0) {
      uint32_t idx = p->count[sp];
      if (has_id) TRY(bind(p, sp, idi, idx));
      p->count[sp]++;
    }
    p->pos = field;
    TRY(skip_sexpr(p));
  }
  return LAT_OK;
}

static lat_status encode_fields(P *p) {
  while (at(p, LAT__TOK_LPAR)) {
    size_t kwi = p->pos + 1;
    lat_status st;
    if (kw_at(p, kwi, "type")) st = field_type(p);
    else if (kw_at(p, kwi, "import")) st = field_import(p);
    else if (kw_at(p, kwi, "func")) st = field_func(p);
    else if (kw_at(p, kwi, "table")) st = field_table(p);
    else if (kw_at(p, kwi, "memory")) st = field_memory(p);
    else if (kw_at(p, kwi, "global")) st = field_global(p);
    else if (kw_at(p, kwi, "tag")) st = field_tag(p);
    else if (kw_at(p, kwi, "export")) st = field_export(p);
    else if (kw_at(p, kwi, "start")) st = field_start(p);
    else if (kw_at(p, kwi, "elem")) st = field_elem(p);
    else if (kw_at(p, kwi, "data")) st = field_data(p);
    else st = unexpected(p);
    TRY(st);
  }
  return LAT_OK;
}

/* ---- assembly -------------------------------------------------------------------- */

static lat_status section(P *p, lat_buf_t *out, uint8_t id, uint32_t count,
                          const lat_buf_t *body) {
  if (count == 0) return LAT_OK;
  uint8_t tmp[8];
  size_t n = 0;
  uint32_t v = count;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    tmp[n++] = v ? (b | 0x80) : b;
  } while (v);
  TRY(put(p, out, id));
  TRY(put_u(p, out, n + body->len));
  TRY(put_bytes(p, out, tmp, n));
  return put_bytes(p, out, body->data, body->len);
}

static lat_status assemble(P *p, lat_buf_t *out) {
  static const uint8_t hdr[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  TRY(put_bytes(p, out, hdr, 8));
  lat_buf_t types;
  lat_buf_init(&types);
  lat_status st = LAT_OK;
  for (uint32_t i = 0; i < p->ntypes && st == LAT_OK; i++) {
    const ftype_t *f = &p->types[i];
    st = put(p, &types, 0x60);
    if (st == LAT_OK) st = put_u(p, &types, f->np);
    if (st == LAT_OK && f->np) st = put_bytes(p, &types, f->vt, f->np);
    if (st == LAT_OK) st = put_u(p, &types, f->nr);
    if (st == LAT_OK && f->nr) st = put_bytes(p, &types, f->vt + f->np, f->nr);
  }
  if (st == LAT_OK) st = section(p, out, 1, p->ntypes, &types);
  lat_buf_fini(&types);
  TRY(st);
  TRY(section(p, out, 2, p->n_import, &p->sec_import));
  TRY(section(p, out, 3, p->n_func, &p->sec_func));
  TRY(section(p, out, 4, p->n_table, &p->sec_table));
  TRY(section(p, out, 5, p->n_mem, &p->sec_mem));
  TRY(section(p, out, 13, p->n_tag, &p->sec_tag)); /* tags: before globals */
  TRY(section(p, out, 6, p->n_global, &p->sec_global));
  TRY(section(p, out, 7, p->n_export, &p->sec_export));
  if (p->has_start) {
    TRY(put(p, out, 8));
    lat_buf_t s;
    lat_buf_init(&s);
    st = put_u(p, &s, p->start);
    if (st == LAT_OK) st = put_u(p, out, s.len);
    if (st == LAT_OK) st = put_bytes(p, out, s.data, s.len);
    lat_buf_fini(&s);
    TRY(st);
  }
  TRY(section(p, out, 9, p->n_elem, &p->sec_elem));
  if (p->uses_datacount) {
    lat_buf_t s;
    lat_buf_init(&s);
    st = put_u(p, &s, p->count[SP_DATA]);
    if (st == LAT_OK) st = put(p, out, 12);
    if (st == LAT_OK) st = put_u(p, out, s.len);
    if (st == LAT_OK) st = put_bytes(p, out, s.data, s.len);
    lat_buf_fini(&s);
    TRY(st);
  }
  TRY(section(p, out, 10, p->n_func, &p->sec_code));
  TRY(section(p, out, 11, p->n_data, &p->sec_data));
  return LAT_OK;
}

/* ---- entry points ------------------------------------------------------------------ */

static void p_fini(P *p) {
  for (int i = 0; i < SP_COUNT; i++) lat_map_fini(&p->names[i]);
  lat_map_fini(&p->locals);
  lat_free(p->types);
  lat_free(p->labels);
  lat_buf_t *bufs[] = {&p->sec_import, &p->sec_func,   &p->sec_table,
                       &p->sec_mem,    &p->sec_global, &p->sec_export,
                       &p->sec_elem,   &p->sec_code,   &p->sec_data,
                       &p->sec_tag,
                       &p->body,       &p->scratch,    &p->str,
                       &p->local_types};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) lat_buf_fini(bufs[i]);
  lat_arena_fini(&p->arena);
}

static lat_status module_fields(const lat__lexed_t *lx, size_t *pos,
                                lat__wat_ops_t *ops, lat_buf_t *out,
                                lat_error_t *err) {
  P p;
  memset(&p, 0, sizeof p);
  p.lx = lx;
  p.t = lx->toks;
  p.pos = *pos;
  p.ops = ops;
  p.err = err;
  lat_arena_init(&p.arena);
  for (int i = 0; i < SP_COUNT; i++) lat_map_init(&p.names[i], LAT_MAP_BORROW_KEYS);
  lat_map_init(&p.locals, LAT_MAP_BORROW_KEYS);
  lat_status st = scan_fields(&p);
  if (st == LAT_OK && !at(&p, LAT__TOK_RPAR) && !at(&p, LAT__TOK_EOF))
    st = unexpected(&p);
  if (st == LAT_OK) {
    p.pos = *pos;
    st = encode_fields(&p);
  }
  if (st == LAT_OK) st = assemble(&p, out);
  if (st == LAT_OK) *pos = p.pos;
  p_fini(&p);
  return st;
}

static lat_status text_module(const char *text, size_t len,
                              lat__wat_ops_t *ops, lat_buf_t *out,
                              lat_error_t *err);

static lat_status quoted(const lat__lexed_t *lx, size_t *pos, bool binary,
                         lat__wat_ops_t *ops, lat_buf_t *out,
                         lat_error_t *err) {
  lat_buf_t text;
  lat_buf_init(&text);
  lat_status st = LAT_OK;
  size_t i = *pos;
  while (i < lx->ntoks && lx->toks[i].kind == LAT__TOK_STRING) {
    if (!lat__wat_string(lx->src + lx->toks[i].off, lx->toks[i].len, &text)) {
      st = lat__wat_error(err, lx->src, lx->src_len, lx->toks[i].off,
                          "malformed string");
      goto out;
    }
    i++;
  }
  if (binary) {
    if (lat_buf_append(out, text.data, text.len) != LAT_OK) {
      st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      goto out;
    }
  } else {
    if (lat_buf_push(&text, 0) != LAT_OK) {
      st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      goto out;
    }
    st = text_module((const char *)text.data, text.len - 1, ops, out, err);
    if (st != LAT_OK) goto out;
  }
  *pos = i;
out:
  lat_buf_fini(&text);
  return st;
}

lat_status lat__wat_module(const lat__lexed_t *lx, size_t *pos, bool bare,
                           lat__wat_ops_t *ops, lat_buf_t *out,
                           lat_error_t *err) {
  size_t i = *pos;
  const lat__tok_t *t = lx->toks;
  if (bare) return module_fields(lx, pos, ops, out, err);
  if (t[i].kind != LAT__TOK_LPAR || t[i + 1].kind != LAT__TOK_KEYWORD ||
      t[i + 1].len != 6 || memcmp(lx->src + t[i + 1].off, "module", 6) != 0)
    return lat__wat_error(err, lx->src, lx->src_len, t[i].off,
                          "expected (module ...)");
  i += 2;
  /* `(module definition $id? ...)` (3.0 scripts): a module that a script
   * instantiates later with `(module instance ...)`; the module is the same */
  if (t[i].kind == LAT__TOK_KEYWORD && t[i].len == 10 &&
      memcmp(lx->src + t[i].off, "definition", 10) == 0)
    i++;
  if (t[i].kind == LAT__TOK_ID) i++;
  lat_status st;
  if (t[i].kind == LAT__TOK_KEYWORD && t[i].len == 6 &&
      memcmp(lx->src + t[i].off, "binary", 6) == 0) {
    i++;
    st = quoted(lx, &i, true, ops, out, err);
  } else if (t[i].kind == LAT__TOK_KEYWORD && t[i].len == 5 &&
             memcmp(lx->src + t[i].off, "quote", 5) == 0) {
    i++;
    st = quoted(lx, &i, false, ops, out, err);
  } else {
    st = module_fields(lx, &i, ops, out, err);
  }
  if (st != LAT_OK) return st;
  if (t[i].kind != LAT__TOK_RPAR)
    return lat__wat_error(err, lx->src, lx->src_len, t[i].off,
                          t[i].kind == LAT__TOK_EOF ? "unexpected end of input"
                                                    : "unexpected token");
  *pos = i + 1;
  return LAT_OK;
}

static lat_status text_module(const char *text, size_t len,
                              lat__wat_ops_t *ops, lat_buf_t *out,
                              lat_error_t *err) {
  lat__lexed_t lx;
  lat_status st = lat__wat_lex(text, len, &lx, err);
  if (st != LAT_OK) return st;
  size_t pos = 0;
  size_t start_len = out->len;
  bool bare = !(lx.ntoks > 2 && lx.toks[0].kind == LAT__TOK_LPAR &&
                lx.toks[1].kind == LAT__TOK_KEYWORD && lx.toks[1].len == 6 &&
                memcmp(text + lx.toks[1].off, "module", 6) == 0);
  st = lat__wat_module(&lx, &pos, bare, ops, out, err);
  if (st == LAT_OK && lx.toks[pos].kind != LAT__TOK_EOF)
    st = lat__wat_error(err, lx.src, lx.src_len, lx.toks[pos].off,
                        "unexpected token");
  if (st != LAT_OK) out->len = start_len;
  lat__wat_lexed_fini(&lx);
  return st;
}

lat_status lat_wat_to_wasm(const char *text, size_t len, lat_buf_t *out,
                           lat_error_t *err) {
  if (!out || (!text && len))
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "no text");
  lat__wat_ops_t *ops = lat_malloc(sizeof *ops);
  if (!ops) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  ops->built = false;
  lat_status st = text_module(text ? text : "", len, ops, out, err);
  lat_free(ops);
  return st;
}
