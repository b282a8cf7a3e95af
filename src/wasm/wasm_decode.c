/* wasm_decode.c: WebAssembly 2.0 binary (plus the 3.0 features so far:
 * tail calls, multi-memory, memory64/table64, exception handling, relaxed
 * SIMD) -> struct lat_wasm_module.  Where 3.0 changed an encoding (a memory
 * index in memargs and memory.* instead of a reserved zero byte, u64
 * limits and offsets, import/export kind 4, the tag section, opcodes
 * 0x08/0x0a/0x1f), the module's features pick the rule (lat__read_memarg,
 * lat__read_memidx in wasm_int.h), so a 2.0 module is judged as 2.0 did.
 *
 * Approach: one forward pass over m->bytes, section by section, as the spec
 * interpreter does it: reads are bounded by the end of the file (never more),
 * and after each section its declared size is compared with what was
 * consumed ("section size mismatch").  Reading a section's contents up to
 * the file end rather than its own end is what the spec tests expect: their
 * inconsistent-size cases name the error found further on ("integer
 * representation too long", "length out of bounds", ...).  Every count is
 * checked against the bytes left before anything is allocated (each item
 * takes at least one byte), and against the named caps of wasm_int.h, so a
 * hostile count can never make us allocate more than a small multiple of
 * the input size.
 * Everything lives in m->arena; byte strings (names, data, function bodies,
 * the valtypes of function types) are not copied but kept as ranges into
 * m->bytes, which the module owns.
 *
 * Function bodies are not decoded here beyond their local declarations: the
 * validator decodes the instruction stream as it type-checks it (one pass
 * instead of two), reporting encoding errors as LAT_EMALFORMED.  Constant
 * expressions (global initialisers, segment offsets, element expressions)
 * are scanned here with lat__wasm_skip_expr.  Bodies are scanned the same
 * way (lat__wasm_scan_body) only on failure paths: when a later section is
 * malformed (the spec, decoding bodies in place, would have reported a
 * malformed body first), and by the validator after a type error (the spec
 * decodes the whole module before it validates, so a malformed byte anywhere
 * must win over an invalid instruction earlier on).
 *
 * Error messages are the spec interpreter's, so that the spec tests'
 * expected texts are prefixes of ours: running out of bytes is "unexpected
 * end of section or function" (just "unexpected end" in the header), a byte
 * length beyond the file is "length out of bounds".
 *
 * Rejected: decoding bodies into an instruction array here (doubles memory
 * and time for the 10 MB case; the translator re-reads the bytes anyway),
 * and copying names into NUL-terminated strings (ranges are enough).
 */
#include <stdio.h>
#include <string.h>

#include "wasm_int.h"
#include "wasm_opcodes.h"

/* immediate kind of every opcode, 0 (LAT_IMM_ILLEGAL) for unassigned ones */
static const uint8_t imm_op[256] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_IMM_##imm,
    LAT_WASM_OPS(X)
#undef X
};
static const uint8_t imm_fc[LAT_WASM_FC_COUNT] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_IMM_##imm,
    LAT_WASM_OPS_FC(X)
#undef X
};
static const uint8_t imm_fd[LAT_WASM_FD_COUNT] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_IMM_##imm,
    LAT_WASM_OPS_FD(X)
#undef X
};

enum { SEC_CUSTOM = 0, SEC_DATACOUNT = 12, SEC_TAG = 13, SEC_MAX = 13 };
/* position of each section id in the required order (datacount before code) */
/* the order sections must come in: the tag section (exception handling)
 * between memory and global, data count before code */
static const uint8_t sec_rank[SEC_MAX + 1] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};

typedef struct {
  lat_wasm_module_t *m;
  lat_reader_t r;           /* current section (or the whole file) */
  const uint8_t *file_end;  /* end of m->bytes */
  lat_error_t *err;         /* never NULL inside the decoder */
  lat_buf_t scratch;        /* nesting stack for lat__wasm_skip_expr */
  bool has_funcsec, has_codesec, has_datasec;
  uint32_t nbodies;         /* code entries decoded so far (in m->funcs) */
  uint32_t ncode;           /* count of the code section */
  uint32_t nfunc_defs;      /* count of the function section */
  uint32_t ntable_defs, nmem_defs, nglobal_defs;
  bool has_tagsec;
  bool has_namesec;
  lat__range_t namesec;     /* payload of the "name" custom section */
} decoder_t;

static lat_status fail(decoder_t *d, size_t off, const char *msg) {
  return lat_error_set(d->err, LAT_EMALFORMED, off, "%s", msg);
}

/* Base reads say "unexpected end"; past the header the spec says more. */
static lat_status eof_fix(decoder_t *d, lat_status st) {
  if (st == LAT_EMALFORMED && strncmp(d->err->msg, "unexpected end", 14) == 0)
    snprintf(d->err->msg, sizeof d->err->msg,
             "unexpected end of section or function");
  return st;
}

#define TRY(expr)                        \
  do {                                   \
    lat_status st_ = (expr);             \
    if (st_) return eof_fix(d, st_);     \
  } while (0)

static lat_status rd_u8(decoder_t *d, uint8_t *out) {
  TRY(lat_read_u8(&d->r, out, d->err));
  return LAT_OK;
}

static lat_status rd_u32(decoder_t *d, uint32_t *out) {
  TRY(lat_read_u32(&d->r, out, d->err));
  return LAT_OK;
}

/* A vector length: each element takes at least one byte, so a count larger
 * than what is left cannot be right; cap is the named sanity limit. */
static lat_status rd_count(decoder_t *d, uint32_t *out, uint32_t cap,
                           const char *what) {
  size_t off = lat_reader_offset(&d->r);
  uint32_t n;
  TRY(rd_u32(d, &n));
  if (n > lat_reader_left(&d->r))
    return fail(d, off, "unexpected end of section or function");
  if (n > cap)
    return lat_error_set(d->err, LAT_ELIMIT, off, "too many %s (%u > %u)",
                         what, n, cap);
  *out = n;
  return LAT_OK;
}

/* A byte string of u32 length: a name (UTF-8 checked) or data bytes. */
static lat_status rd_bytes(decoder_t *d, lat__range_t *out, bool utf8) {
  size_t off = lat_reader_offset(&d->r);
  uint32_t n;
  TRY(rd_u32(d, &n));
  if (n > lat_reader_left(&d->r))
    return fail(d, off, utf8 ? "length out of bounds"
                             : "unexpected end of section or function");
  out->off = (uint32_t)lat_reader_offset(&d->r);
  out->len = n;
  if (utf8 && !lat_utf8_valid(d->r.p, n))
    return fail(d, out->off, "malformed UTF-8 encoding");
  d->r.p += n;
  return LAT_OK;
}

static bool is_valtype(uint8_t t) {
  return t == LAT_I32 || t == LAT_I64 || t == LAT_F32 || t == LAT_F64 ||
         t == LAT_V128 || t == LAT_FUNCREF || t == LAT_EXTERNREF ||
         t == LAT_EXNREF;
}

static lat_status rd_valtype(decoder_t *d, uint8_t *out) {
  TRY(rd_u8(d, out));
  if (!is_valtype(*out))
    return fail(d, lat_reader_offset(&d->r) - 1, "malformed value type");
  return LAT_OK;
}

static lat_status rd_reftype(decoder_t *d, uint8_t *out) {
  TRY(rd_u8(d, out));
  if (*out != LAT_FUNCREF && *out != LAT_EXTERNREF)
    return fail(d, lat_reader_offset(&d->r) - 1, "malformed reference type");
  return LAT_OK;
}

/* Limits.  With memory64 (3.0): a flags byte, bit 0 = a maximum follows,
 * bit 2 = 64-bit addresses, anything else "malformed limits flags" (bit 1,
 * shared, needs threads); the sizes are u64 either way and the validator
 * checks them against the address type.  Without it, 2.0's rules. */
static lat_status rd_limits(decoder_t *d, uint64_t *min, uint64_t *max,
                            bool *has_max, bool *is64) {
  uint8_t flags;
  uint32_t v;
  *is64 = false;
  if (d->m->features.memory64) {
    TRY(rd_u8(d, &flags));
    if (flags & ~5u)
      return fail(d, lat_reader_offset(&d->r) - 1, "malformed limits flags");
    *is64 = flags & 4;
    *has_max = flags & 1;
    *max = 0;
    TRY(lat_read_u64(&d->r, min, d->err));
    if (*has_max) TRY(lat_read_u64(&d->r, max, d->err));
    return LAT_OK;
  }
  TRY(rd_u8(d, &flags)); /* the spec reads it as a 1-bit LEB128 */
  if (flags & 0x80)
    return fail(d, lat_reader_offset(&d->r) - 1,
                "integer representation too long");
  if (flags & ~1u)
    return fail(d, lat_reader_offset(&d->r) - 1, "integer too large");
  TRY(rd_u32(d, &v));
  *min = v;
  *has_max = flags & 1;
  *max = 0;
  if (*has_max) {
    TRY(rd_u32(d, &v));
    *max = v;
  }
  return LAT_OK;
}

static lat_status rd_tabletype(decoder_t *d, lat_wasm_tabletype_t *t) {
  lat_status st;
  if ((st = rd_reftype(d, &t->elem))) return st;
  return rd_limits(d, &t->min, &t->max, &t->has_max, &t->is64);
}

static lat_status rd_memtype(decoder_t *d, lat_wasm_memtype_t *t) {
  memset(t, 0, sizeof *t);
  return rd_limits(d, &t->min, &t->max, &t->has_max, &t->is64);
}

/* A tag type: attribute 0 (exception), then a function type index (the
 * validator checks it and that it has no results). */
static lat_status rd_tagtype(decoder_t *d, uint32_t *type_idx) {
  uint8_t attr;
  TRY(rd_u8(d, &attr));
  if (attr != 0)
    return fail(d, lat_reader_offset(&d->r) - 1, "malformed tag attribute");
  return rd_u32(d, type_idx);
}

static lat_status rd_globaltype(decoder_t *d, lat_wasm_globaltype_t *t) {
  uint8_t mut;
  lat_status st;
  if ((st = rd_valtype(d, &t->type))) return st;
  TRY(rd_u8(d, &mut));
  if (mut > 1)
    return fail(d, lat_reader_offset(&d->r) - 1, "malformed mutability");
  t->mut = mut;
  return LAT_OK;
}

/* ---- instruction scanning (shared with the validator) --------------------- */

static lat_status skip_memarg(const lat_wasm_module_t *m, lat_reader_t *r,
                              lat_error_t *err) {
  uint32_t align = 0, mem = 0;
  uint64_t offset = 0;
  return lat__read_memarg(m, r, &align, &mem, &offset, err);
}

static lat_status skip_imm(const lat_wasm_module_t *m, lat_reader_t *r,
                           uint8_t imm, size_t op_off, lat_error_t *err) {
  const uint8_t *p;
  uint32_t u;
  int32_t s32;
  int64_t s64;
  uint8_t b;
  lat_status st = LAT_OK;
  switch (imm) {
  case LAT_IMM_NONE:
    break;
  case LAT_IMM_BLOCK:
    if (r->p < r->end && (*r->p == 0x40 || is_valtype(*r->p))) {
      r->p++;
      break;
    }
    st = lat_read_s33(r, &s64, err);
    break;
  case LAT_IMM_LABEL:
  case LAT_IMM_FUNC:
  case LAT_IMM_TAG:
  case LAT_IMM_LOCAL:
  case LAT_IMM_GLOBAL:
  case LAT_IMM_TABLE:
  case LAT_IMM_ELEM:
    st = lat_read_u32(r, &u, err);
    break;
  case LAT_IMM_DATA:
    if ((st = lat_read_u32(r, &u, err))) break;
    if (!m->has_datacount && m->ndatas > 0) /* see wasm_validate.c rd_data */
      st = lat_error_set(err, LAT_EMALFORMED, op_off,
                         "data count section required");
    break;
  case LAT_IMM_DATA_MEM:
    if ((st = lat_read_u32(r, &u, err))) break;
    if ((st = lat__read_memidx(m, r, &u, err))) break;
    if (!m->has_datacount && m->ndatas > 0) /* see wasm_validate.c rd_data */
      st = lat_error_set(err, LAT_EMALFORMED, op_off,
                         "data count section required");
    break;
  case LAT_IMM_BR_TABLE: {
    size_t off = lat_reader_offset(r);
    if ((st = lat_read_u32(r, &u, err))) break;
    if (u > lat_reader_left(r)) {
      st = lat_error_set(err, LAT_EMALFORMED, off, "unexpected end");
      break;
    }
    for (uint32_t i = 0, n = u; i <= n; i++)
      if ((st = lat_read_u32(r, &u, err))) break;
    break;
  }
  case LAT_IMM_CALL_INDIRECT:
  case LAT_IMM_ELEM_TABLE:
  case LAT_IMM_TABLE_TABLE:
    if (!(st = lat_read_u32(r, &u, err))) st = lat_read_u32(r, &u, err);
    break;
  case LAT_IMM_MEMARG:
    st = skip_memarg(m, r, err);
    break;
  case LAT_IMM_MEM0:
    st = lat__read_memidx(m, r, &u, err);
    break;
  case LAT_IMM_MEM_MEM:
    if (!(st = lat__read_memidx(m, r, &u, err)))
      st = lat__read_memidx(m, r, &u, err);
    break;
  case LAT_IMM_I32:
    st = lat_read_s32(r, &s32, err);
    break;
  case LAT_IMM_I64:
    st = lat_read_s64(r, &s64, err);
    break;
  case LAT_IMM_F32:
    st = lat_read_bytes(r, 4, &p, err);
    break;
  case LAT_IMM_F64:
    st = lat_read_bytes(r, 8, &p, err);
    break;
  case LAT_IMM_V128:
  case LAT_IMM_SHUFFLE:
    st = lat_read_bytes(r, 16, &p, err);
    break;
  case LAT_IMM_SELECT_T: {
    size_t off = lat_reader_offset(r);
    if ((st = lat_read_u32(r, &u, err))) break;
    if (u > lat_reader_left(r)) {
      st = lat_error_set(err, LAT_EMALFORMED, off, "unexpected end");
      break;
    }
    for (uint32_t i = 0; i < u; i++)
      if (!is_valtype(r->p[i]))
        return lat_error_set(err, LAT_EMALFORMED, lat_reader_offset(r) + i,
                             "malformed value type");
    r->p += u;
    break;
  }
  case LAT_IMM_REFTYPE:
    if ((st = lat_read_u8(r, &b, err))) break;
    if (b != LAT_FUNCREF && b != LAT_EXTERNREF && b != LAT_EXNREF)
      st = lat_error_set(err, LAT_EMALFORMED, lat_reader_offset(r) - 1,
                         "malformed reference type");
    break;
  case LAT_IMM_LANE:
    st = lat_read_u8(r, &b, err);
    break;
  case LAT_IMM_MEMLANE:
    if (!(st = skip_memarg(m, r, err))) st = lat_read_u8(r, &b, err);
    break;
  case LAT_IMM_TRY_TABLE: { /* after the block type (skip_expr) */
    size_t off = lat_reader_offset(r);
    if ((st = lat_read_u32(r, &u, err))) break;
    if (u > lat_reader_left(r)) {
      st = lat_error_set(err, LAT_EMALFORMED, off, "unexpected end");
      break;
    }
    for (uint32_t i = 0, n = u; i < n && !st; i++) {
      if ((st = lat_read_u8(r, &b, err))) break;
      if (b > 3) {
        st = lat_error_set(err, LAT_EMALFORMED, lat_reader_offset(r) - 1,
                           "malformed catch clause");
        break;
      }
      if (b < 2 && (st = lat_read_u32(r, &u, err))) break;
      st = lat_read_u32(r, &u, err);
    }
    break;
  }
  default:
    st = lat_error_set(err, LAT_EMALFORMED, op_off, "illegal opcode");
    break;
  }
  return st;
}

static lat_status skip_expr(const lat_wasm_module_t *m, lat_reader_t *r,
                            lat_buf_t *stack, size_t base, lat_error_t *err) {
  /* stack: one byte per open block: 0 block/loop, 1 if, 2 if after else */
  lat_status st;
  for (;;) {
    size_t op_off = lat_reader_offset(r);
    uint8_t op, imm;
    if ((st = lat_read_u8(r, &op, err))) return st;
    switch (op) {
    case LAT_OP_BLOCK:
    case LAT_OP_LOOP:
    case LAT_OP_IF:
    case LAT_OP_TRY_TABLE:
      if (op == LAT_OP_TRY_TABLE && !m->features.exceptions)
        return lat_error_set(err, LAT_EMALFORMED, op_off, "illegal opcode %02x", op);
      if ((st = skip_imm(m, r, LAT_IMM_BLOCK, op_off, err))) return st;
      if (op == LAT_OP_TRY_TABLE &&
          (st = skip_imm(m, r, LAT_IMM_TRY_TABLE, op_off, err)))
        return st;
      if ((st = lat_buf_push(stack, op == LAT_OP_IF)))
        return lat_error_set(err, st, op_off, "out of memory");
      continue;
    case LAT_OP_ELSE:
      if (stack->len == base || stack->data[stack->len - 1] != 1)
        return lat_error_set(err, LAT_EMALFORMED, op_off,
                             "END opcode expected");
      stack->data[stack->len - 1] = 2;
      continue;
    case LAT_OP_END:
      if (stack->len == base) return LAT_OK;
      stack->len--;
      continue;
    case LAT_OP_PREFIX_FC:
    case LAT_OP_PREFIX_FD: {
      uint32_t sub;
      if ((st = lat_read_u32(r, &sub, err))) return st;
      if (op == LAT_OP_PREFIX_FC)
        imm = sub < LAT_WASM_FC_COUNT ? imm_fc[sub] : 0;
      else
        imm = sub < LAT_WASM_FD_COUNT ? imm_fd[sub] : 0;
      break;
    }
    default:
      imm = imm_op[op];
      if ((op == LAT_OP_THROW || op == LAT_OP_THROW_REF) && !m->features.exceptions)
        imm = LAT_IMM_ILLEGAL; /* 2.0: not opcodes */
      break;
    }
    if (imm == LAT_IMM_ILLEGAL) /* the reference names a single byte */
      return op == LAT_OP_PREFIX_FC || op == LAT_OP_PREFIX_FD
                 ? lat_error_set(err, LAT_EMALFORMED, op_off, "illegal opcode")
                 : lat_error_set(err, LAT_EMALFORMED, op_off,
                                 "illegal opcode %02x", op);
    if ((st = skip_imm(m, r, imm, op_off, err))) return st;
  }
}

lat_status lat__wasm_skip_expr(const lat_wasm_module_t *m, lat_reader_t *r,
                               lat_buf_t *stack, lat_error_t *err) {
  size_t base = stack->len;
  lat_status st = skip_expr(m, r, stack, base, err);
  stack->len = base;
  return st;
}

/* The body ran out before its final `end`.  The spec reads on into what
 * follows (it does not bound bodies by their size), so its message depends
 * on the next byte. */
static lat_status body_eof(const lat_wasm_module_t *m, const uint8_t *end,
                           lat_error_t *err) {
  size_t off = (size_t)(end - m->bytes);
  const char *msg = off == m->len           ? "unexpected end of section or function"
                    : *end == LAT_OP_END    ? "section size mismatch"
                                            : "END opcode expected";
  return lat_error_set(err, LAT_EMALFORMED, off, "%s", msg);
}

lat_status lat__wasm_scan_body(const lat_wasm_module_t *m, uint32_t fidx,
                               lat_buf_t *stack, lat_error_t *err) {
  const lat__func_t *f = &m->funcs[fidx];
  const uint8_t *end = m->bytes + f->body.off + f->body.len;
  lat_reader_t r = {m->bytes, m->bytes + f->code_off, end};
  lat_status st = lat__wasm_skip_expr(m, &r, stack, err);
  if (st == LAT_EMALFORMED && err->offset == (size_t)(end - m->bytes) &&
      strncmp(err->msg, "unexpected end", 14) == 0)
    return body_eof(m, end, err);
  if (st == LAT_EMALFORMED && strncmp(err->msg, "unexpected end", 14) == 0)
    snprintf(err->msg, sizeof err->msg, "unexpected end of section or function");
  if (st) return st;
  if (r.p != end)
    return lat_error_set(err, LAT_EMALFORMED, lat_reader_offset(&r),
                         "section size mismatch");
  return LAT_OK;
}

/* Scans a constant expression starting at the reader's position.  The spec
 * reads it with no section bound (see the top of the file). */
static lat_status rd_expr(decoder_t *d, lat__range_t *out) {
  lat_reader_t r = d->r;
  out->off = (uint32_t)lat_reader_offset(&r);
  lat_status st = lat__wasm_skip_expr(d->m, &r, &d->scratch, d->err);
  if (st) return eof_fix(d, st);
  d->r.p = r.p;
  out->len = (uint32_t)(lat_reader_offset(&r) - out->off);
  return LAT_OK;
}

/* ---- index spaces ---------------------------------------------------------- */

static void *arena_array(decoder_t *d, size_t n, size_t size) {
  /* a zero-length array still gets a valid pointer, so users need no checks */
  void *p = lat_arena_array(&d->m->arena, n ? n : 1, size);
  if (!p) lat_error_set(d->err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  return p;
}

static lat_status alloc_funcs(decoder_t *d, uint32_t ndefs) {
  lat_wasm_module_t *m = d->m;
  if (m->funcs) return LAT_OK;
  if (ndefs > LAT_MAX_FUNCS - m->nfunc_imports)
    return lat_error_set(d->err, LAT_ELIMIT, lat_reader_offset(&d->r),
                         "too many functions");
  m->nfuncs = m->nfunc_imports + ndefs;
  if (!(m->funcs = arena_array(d, m->nfuncs, sizeof *m->funcs)))
    return LAT_ENOMEM;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == LAT_EXTERN_FUNC) {
      m->funcs[k].type_idx = m->imports[i].desc.func_type;
      m->funcs[k].imported = true;
      k++;
    }
  return LAT_OK;
}

static lat_status alloc_tables(decoder_t *d, uint32_t ndefs) {
  lat_wasm_module_t *m = d->m;
  if (m->tables) return LAT_OK;
  if (ndefs > LAT_MAX_TABLES - m->ntable_imports)
    return lat_error_set(d->err, LAT_ELIMIT, lat_reader_offset(&d->r),
                         "too many tables");
  m->ntables = m->ntable_imports + ndefs;
  if (!(m->tables = arena_array(d, m->ntables, sizeof *m->tables)))
    return LAT_ENOMEM;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == LAT_EXTERN_TABLE)
      m->tables[k++] = m->imports[i].desc.table;
  return LAT_OK;
}

static lat_status alloc_mems(decoder_t *d, uint32_t ndefs) {
  lat_wasm_module_t *m = d->m;
  if (m->mems) return LAT_OK;
  /* too many memories is invalid, not malformed (the validator checks
   * LAT_MAX_MEMORIES and the multi-memory feature): a loose cap here */
  if (ndefs > LAT_MAX_TABLES - m->nmem_imports)
    return lat_error_set(d->err, LAT_ELIMIT, lat_reader_offset(&d->r),
                         "too many memories");
  m->nmems = m->nmem_imports + ndefs;
  if (!(m->mems = arena_array(d, m->nmems, sizeof *m->mems))) return LAT_ENOMEM;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == LAT_EXTERN_MEMORY)
      m->mems[k++] = m->imports[i].desc.memory;
  return LAT_OK;
}

static lat_status alloc_globals(decoder_t *d, uint32_t ndefs) {
  lat_wasm_module_t *m = d->m;
  if (m->globals) return LAT_OK;
  if (ndefs > LAT_MAX_GLOBALS - m->nglobal_imports)
    return lat_error_set(d->err, LAT_ELIMIT, lat_reader_offset(&d->r),
                         "too many globals");
  m->nglobals = m->nglobal_imports + ndefs;
  if (!(m->globals = arena_array(d, m->nglobals, sizeof *m->globals)))
    return LAT_ENOMEM;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == LAT_EXTERN_GLOBAL) {
      m->globals[k].type = m->imports[i].desc.global;
      m->globals[k].imported = true;
      k++;
    }
  return LAT_OK;
}

/* ---- sections ---------------------------------------------------------------- */

static lat_status sec_type(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_TYPES, "types"))) return st;
  if (!(m->types = arena_array(d, n, sizeof *m->types))) return LAT_ENOMEM;
  m->ntypes = n;
  for (uint32_t i = 0; i < n; i++) {
    lat_wasm_functype_t *t = &m->types[i];
    uint8_t form;
    TRY(rd_u8(d, &form));
    if (form & 0x80) /* a 7-bit signed LEB128 for the spec */
      return fail(d, lat_reader_offset(&d->r) - 1,
                  "integer representation too long");
    if (form != 0x60)
      return fail(d, lat_reader_offset(&d->r) - 1, "malformed function type");
    for (int pass = 0; pass < 2; pass++) {
      uint32_t k;
      if ((st = rd_count(d, &k, pass ? LAT_MAX_RESULTS : LAT_MAX_PARAMS,
                         pass ? "results" : "params")))
        return st;
      const uint8_t *vt = d->r.p;
      for (uint32_t j = 0; j < k; j++) {
        uint8_t b;
        if ((st = rd_valtype(d, &b))) return st;
      }
      if (pass) {
        t->nresults = k;
        t->results = vt;
      } else {
        t->nparams = k;
        t->params = vt;
      }
    }
  }
  return LAT_OK;
}

static lat_status sec_import(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_IMPORTS, "imports"))) return st;
  if (!(m->imports = arena_array(d, n, sizeof *m->imports))) return LAT_ENOMEM;
  m->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    lat__import_t *im = &m->imports[i];
    uint8_t kind;
    if ((st = rd_bytes(d, &im->module, true))) return st;
    if ((st = rd_bytes(d, &im->name, true))) return st;
    TRY(rd_u8(d, &kind));
    im->kind = kind;
    switch (kind) {
    case LAT_EXTERN_FUNC:
      if ((st = rd_u32(d, &im->desc.func_type))) return st;
      m->nfunc_imports++;
      break;
    case LAT_EXTERN_TABLE:
      if ((st = rd_tabletype(d, &im->desc.table))) return st;
      m->ntable_imports++;
      break;
    case LAT_EXTERN_MEMORY:
      if ((st = rd_memtype(d, &im->desc.memory))) return st;
      m->nmem_imports++;
      break;
    case LAT_EXTERN_GLOBAL:
      if ((st = rd_globaltype(d, &im->desc.global))) return st;
      m->nglobal_imports++;
      break;
    case LAT_EXTERN_TAG:
      if (!m->features.exceptions) /* 2.0: no such kind */
        return fail(d, lat_reader_offset(&d->r) - 1, "malformed import kind");
      if ((st = rd_tagtype(d, &im->desc.func_type))) return st;
      m->ntag_imports++;
      break;
    default:
      return fail(d, lat_reader_offset(&d->r) - 1, "malformed import kind");
    }
  }
  return LAT_OK;
}

static lat_status sec_function(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_FUNCS, "functions"))) return st;
  if ((st = alloc_funcs(d, n))) return st;
  d->nfunc_defs = n;
  for (uint32_t i = 0; i < n; i++)
    if ((st = rd_u32(d, &m->funcs[m->nfunc_imports + i].type_idx))) return st;
  return LAT_OK;
}

static lat_status sec_table(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_TABLES, "tables"))) return st;
  if ((st = alloc_tables(d, n))) return st;
  for (uint32_t i = 0; i < n; i++)
    if ((st = rd_tabletype(d, &m->tables[m->ntable_imports + i]))) return st;
  return LAT_OK;
}

static lat_status sec_memory(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_TABLES, "memories"))) return st;
  if ((st = alloc_mems(d, n))) return st;
  for (uint32_t i = 0; i < n; i++)
    if ((st = rd_memtype(d, &m->mems[m->nmem_imports + i]))) return st;
  return LAT_OK;
}

/* The tags: imported ones first (from the import section), then these. */
static lat_status alloc_tags(decoder_t *d, uint32_t ndefs) {
  lat_wasm_module_t *m = d->m;
  if (m->tags) return LAT_OK;
  if (ndefs > LAT_MAX_TAGS || m->ntag_imports > LAT_MAX_TAGS)
    return lat_error_set(d->err, LAT_ELIMIT, lat_reader_offset(&d->r),
                         "too many tags");
  m->ntags = m->ntag_imports + ndefs;
  if (!(m->tags = arena_array(d, m->ntags, sizeof *m->tags))) return LAT_ENOMEM;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == LAT_EXTERN_TAG)
      m->tags[k++] = m->imports[i].desc.func_type;
  return LAT_OK;
}

static lat_status sec_tag(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_TAGS, "tags"))) return st;
  if ((st = alloc_tags(d, n))) return st;
  for (uint32_t i = 0; i < n; i++)
    if ((st = rd_tagtype(d, &m->tags[m->ntag_imports + i]))) return st;
  return LAT_OK;
}

static lat_status sec_global(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_GLOBALS, "globals"))) return st;
  if ((st = alloc_globals(d, n))) return st;
  for (uint32_t i = 0; i < n; i++) {
    lat__global_t *g = &m->globals[m->nglobal_imports + i];
    if ((st = rd_globaltype(d, &g->type))) return st;
    if ((st = rd_expr(d, &g->init))) return st;
  }
  return LAT_OK;
}

static lat_status sec_export(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_EXPORTS, "exports"))) return st;
  if (!(m->exports = arena_array(d, n, sizeof *m->exports))) return LAT_ENOMEM;
  m->nexports = n;
  for (uint32_t i = 0; i < n; i++) {
    lat__export_t *e = &m->exports[i];
    uint8_t kind;
    if ((st = rd_bytes(d, &e->name, true))) return st;
    TRY(rd_u8(d, &kind));
    if (kind > (m->features.exceptions ? LAT_EXTERN_TAG : LAT_EXTERN_GLOBAL))
      return fail(d, lat_reader_offset(&d->r) - 1, "malformed export kind");
    e->kind = kind;
    if ((st = rd_u32(d, &e->index))) return st;
  }
  return LAT_OK;
}

static lat_status sec_start(decoder_t *d) {
  lat_status st = rd_u32(d, &d->m->start);
  if (!st) d->m->has_start = true;
  return st;
}

static lat_status sec_element(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  if ((st = rd_count(d, &n, LAT_MAX_ELEM_SEGMENTS, "element segments")))
    return st;
  if (!(m->elems = arena_array(d, n, sizeof *m->elems))) return LAT_ENOMEM;
  m->nelems = n;
  for (uint32_t i = 0; i < n; i++) {
    lat__elem_t *e = &m->elems[i];
    size_t off = lat_reader_offset(&d->r);
    uint32_t flags;
    if ((st = rd_u32(d, &flags))) return st;
    if (flags > 7) return fail(d, off, "malformed elements segment kind");
    /* bit 0: passive/declarative, bit 1: explicit table (active) or
     * declarative, bit 2: expressions instead of function indices */
    e->mode = !(flags & 1)   ? LAT_SEG_ACTIVE
              : (flags & 2) ? LAT_SEG_DECLARATIVE
                            : LAT_SEG_PASSIVE;
    e->is_expr = flags & 4;
    e->elem_type = LAT_FUNCREF;
    if (e->mode == LAT_SEG_ACTIVE) {
      if ((flags & 2) && (st = rd_u32(d, &e->table))) return st;
      if ((st = rd_expr(d, &e->offset))) return st;
    }
    if (flags & 3) { /* an explicit elemkind or reftype */
      if (e->is_expr) {
        if ((st = rd_reftype(d, &e->elem_type))) return st;
      } else {
        uint8_t kind;
        TRY(rd_u8(d, &kind));
        if (kind != 0)
          return fail(d, lat_reader_offset(&d->r) - 1,
                      "malformed element kind");
      }
    }
    if ((st = rd_count(d, &e->count, LAT_MAX_ELEM_SEGMENTS, "elements")))
      return st;
    if (e->is_expr) {
      if (!(e->exprs = arena_array(d, e->count, sizeof *e->exprs)))
        return LAT_ENOMEM;
      for (uint32_t j = 0; j < e->count; j++)
        if ((st = rd_expr(d, &e->exprs[j]))) return st;
    } else {
      if (!(e->func_idx = arena_array(d, e->count, sizeof *e->func_idx)))
        return LAT_ENOMEM;
      for (uint32_t j = 0; j < e->count; j++)
        if ((st = rd_u32(d, &e->func_idx[j]))) return st;
    }
  }
  return LAT_OK;
}

static lat_status sec_datacount(decoder_t *d) {
  lat_status st = rd_u32(d, &d->m->datacount);
  if (!st) d->m->has_datacount = true;
  return st;
}

static lat_status sec_code(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  size_t off = lat_reader_offset(&d->r);
  (void)off;
  if ((st = rd_count(d, &n, LAT_MAX_FUNCS, "function bodies"))) return st;
  d->ncode = n; /* compared with the function section at the end */
  if ((st = alloc_funcs(d, 0))) return st; /* no function section */
  for (uint32_t i = 0; i < n; i++) {
    lat__func_t dummy, *f = i < d->nfunc_defs ? &m->funcs[m->nfunc_imports + i]
                                              : &dummy;
    uint32_t size, nruns;
    off = lat_reader_offset(&d->r);
    if ((st = rd_u32(d, &size))) return st;
    if (size > lat_reader_left(&d->r))
      return fail(d, off, "length out of bounds");
    if (size > LAT_MAX_FUNC_SIZE)
      return lat_error_set(d->err, LAT_ELIMIT, off,
                           "function body too large (%u bytes)", size);
    f->body.off = (uint32_t)lat_reader_offset(&d->r);
    f->body.len = size;
    /* locals are read inside the body's bounds */
    lat_reader_t outer = d->r;
    d->r.end = d->r.p + size;
    if ((st = rd_count(d, &nruns, LAT_MAX_LOCALS, "local declarations")))
      return st;
    if (!(f->local_runs = arena_array(d, nruns, sizeof *f->local_runs)))
      return LAT_ENOMEM;
    f->nlocal_runs = nruns;
    uint64_t total = 0;
    for (uint32_t j = 0; j < nruns; j++) {
      if ((st = rd_u32(d, &f->local_runs[j].count))) return st;
      if ((st = rd_valtype(d, &f->local_runs[j].type))) return st;
      total += f->local_runs[j].count;
    }
    if (total > UINT32_MAX) return fail(d, f->body.off, "too many locals");
    if (total > LAT_MAX_LOCALS)
      return lat_error_set(d->err, LAT_ELIMIT, f->body.off,
                           "too many locals (limit %u)", LAT_MAX_LOCALS);
    f->nlocals = (uint32_t)total;
    f->code_off = (uint32_t)lat_reader_offset(&d->r);
    d->r.p = d->r.end;
    d->r.end = outer.end;
    if (i < d->nfunc_defs) d->nbodies = i + 1;
  }
  return LAT_OK;
}

static lat_status sec_data(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  uint32_t n;
  lat_status st;
  size_t off = lat_reader_offset(&d->r);
  if ((st = rd_count(d, &n, LAT_MAX_DATA_SEGMENTS, "data segments")))
    return st;
  if (m->has_datacount && n != m->datacount)
    return fail(d, off,
                "data count and data section have inconsistent lengths");
  if (!(m->datas = arena_array(d, n, sizeof *m->datas))) return LAT_ENOMEM;
  m->ndatas = n;
  for (uint32_t i = 0; i < n; i++) {
    lat__data_t *s = &m->datas[i];
    uint32_t flags;
    off = lat_reader_offset(&d->r);
    if ((st = rd_u32(d, &flags))) return st;
    if (flags > 2) return fail(d, off, "malformed data segment kind");
    s->mode = flags == 1 ? LAT_SEG_PASSIVE : LAT_SEG_ACTIVE;
    if (flags == 2 && (st = rd_u32(d, &s->memory))) return st;
    if (flags != 1 && (st = rd_expr(d, &s->offset))) return st;
    if ((st = rd_bytes(d, &s->data, false))) return st;
  }
  return LAT_OK;
}

static lat_status sec_custom(decoder_t *d, const uint8_t *sec_end) {
  lat__range_t name;
  lat_status st;
  if ((st = rd_bytes(d, &name, true))) return st;
  if (d->r.p > d->r.end) return fail(d, name.off, "unexpected end");
  if (name.len == 4 && memcmp(d->m->bytes + name.off, "name", 4) == 0 &&
      !d->has_namesec) {
    d->has_namesec = true;
    d->namesec.off = (uint32_t)lat_reader_offset(&d->r);
    d->namesec.len = (uint32_t)(sec_end - d->r.p);
  }
  d->r.p = sec_end; /* the payload is not ours to judge */
  return LAT_OK;
}

/* The "name" section's function names (subsection 1), leniently: any error
 * just stops the parse, keeping what was read. */
static void parse_names(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  lat_error_t scratch;
  lat_reader_t r = {m->bytes, m->bytes + d->namesec.off,
                    m->bytes + d->namesec.off + d->namesec.len};
  if (!m->nfuncs) return;
  while (r.p < r.end) {
    uint8_t id;
    uint32_t size, n;
    if (lat_read_u8(&r, &id, &scratch) || lat_read_u32(&r, &size, &scratch) ||
        size > lat_reader_left(&r))
      return;
    lat_reader_t sub = {r.base, r.p, r.p + size};
    r.p += size;
    if (id != 1) continue;
    if (lat_read_u32(&sub, &n, &scratch)) return;
    m->func_names = lat_arena_array(&m->arena, m->nfuncs, sizeof *m->func_names);
    if (!m->func_names) return;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t idx, len;
      if (lat_read_u32(&sub, &idx, &scratch) ||
          lat_read_u32(&sub, &len, &scratch) || len > lat_reader_left(&sub))
        return;
      if (idx < m->nfuncs && lat_utf8_valid(sub.p, len)) {
        m->func_names[idx].off = (uint32_t)lat_reader_offset(&sub);
        m->func_names[idx].len = len;
      }
      sub.p += len;
    }
    return;
  }
}

static lat_status decode(decoder_t *d) {
  lat_wasm_module_t *m = d->m;
  const uint8_t *p;
  lat_status st;
  uint8_t last_rank = 0;

  if (lat_read_bytes(&d->r, 4, &p, d->err)) return fail(d, 0, "unexpected end");
  if (memcmp(p, "\0asm", 4) != 0)
    return fail(d, 0, "magic header not detected");
  if (lat_read_bytes(&d->r, 4, &p, d->err)) return fail(d, 4, "unexpected end");
  if (memcmp(p, "\1\0\0\0", 4) != 0)
    return fail(d, 4, "unknown binary version");

  while (d->r.p < d->file_end) {
    size_t off = lat_reader_offset(&d->r);
    uint8_t id;
    uint32_t size;
    d->r.end = d->file_end;
    if ((st = rd_u8(d, &id))) return st;
    if (id > SEC_MAX || (id == SEC_TAG && !m->features.exceptions))
      return fail(d, off, "malformed section id");
    if ((st = rd_u32(d, &size))) return st;
    if (size > lat_reader_left(&d->r))
      return fail(d, off + 1, "length out of bounds");
    if (id != SEC_CUSTOM) {
      if (sec_rank[id] <= last_rank)
        return fail(d, off, "unexpected content after last section");
      last_rank = sec_rank[id];
    }
    const uint8_t *sec_end = d->r.p + size;
    switch (id) {
    case SEC_CUSTOM:
      d->r.end = sec_end;
      st = sec_custom(d, sec_end);
      d->r.end = d->file_end;
      break;
    case 1: st = sec_type(d); break;
    case 2: st = sec_import(d); break;
    case 3: d->has_funcsec = true; st = sec_function(d); break;
    case 4: st = sec_table(d); break;
    case 5: st = sec_memory(d); break;
    case 6: st = sec_global(d); break;
    case 7: st = sec_export(d); break;
    case 8: st = sec_start(d); break;
    case 9: st = sec_element(d); break;
    case 10: d->has_codesec = true; st = sec_code(d); break;
    case 11: d->has_datasec = true; st = sec_data(d); break;
    case SEC_DATACOUNT: st = sec_datacount(d); break;
    case SEC_TAG: st = sec_tag(d); break;
    }
    if (st) return st;
    if (d->r.p != sec_end)
      return fail(d, lat_reader_offset(&d->r), "section size mismatch");
  }
  if (d->ncode != d->nfunc_defs)
    return fail(d, m->len, "function and code section have inconsistent lengths");
  if (!d->has_datasec && m->has_datacount && m->datacount != 0)
    return fail(d, m->len,
                "data count and data section have inconsistent lengths");
  if ((st = alloc_funcs(d, 0)) || (st = alloc_tables(d, 0)) ||
      (st = alloc_mems(d, 0)) || (st = alloc_globals(d, 0)) ||
      (st = alloc_tags(d, 0)))
    return st;
  if (!m->imports && !(m->imports = arena_array(d, 0, sizeof *m->imports)))
    return LAT_ENOMEM;
  if (d->has_namesec) parse_names(d);
  return LAT_OK;
}

lat_status lat__wasm_decode(lat_wasm_module_t *m, lat_error_t *err) {
  lat_error_t local;
  decoder_t d;
  memset(&d, 0, sizeof d);
  d.m = m;
  d.err = err ? err : &local;
  d.r.base = m->bytes;
  d.r.p = m->bytes;
  d.r.end = m->bytes + m->len;
  d.file_end = d.r.end;
  lat_buf_init(&d.scratch);
  lat_status st = decode(&d);
  if (st == LAT_EMALFORMED) {
    /* the spec decodes bodies where they stand: a malformed one comes first */
    lat_error_t first = *d.err;
    for (uint32_t i = 0; i < d.nbodies; i++)
      if (lat__wasm_scan_body(m, m->nfunc_imports + i, &d.scratch, d.err))
        goto out_scratch;
    *d.err = first;
  }
out_scratch:
  lat_buf_fini(&d.scratch);
  return st;
}
