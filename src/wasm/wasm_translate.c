/* wasm_translate.c: one validated function body -> internal code.
 *
 * Approach.  A single pass over the Wasm bytes with a translation-time
 * model of the operand stack.  Every stack position has a fixed home slot
 * (after the params and locals; a v128 takes two slots), so the code is a
 * register machine over frame slots: each instruction names its operand and
 * result slots (format in wasm_exec.h).  Three things keep the dispatched
 * instruction count low:
 *
 *  - Deferred operands.  local.get and constants are not emitted: the stack
 *    entry remembers "local L" or "constant c" and the consumer reads the
 *    local's slot directly or uses an immediate form (i32_add_ri, ...).
 *    A deferred entry is materialised (copied to its home) only when it must
 *    be: when the local it names is about to be written while the entry is
 *    still on the stack, when a block starts (so every control path sees the
 *    same state; this also makes a local.set inside a loop body safe), when
 *    it is a block parameter/result, a call argument, or a branch value.
 *  - Result retargeting.  `op ...; local.set L` rewrites op's destination
 *    to L when op was the last instruction, its result is the stack top,
 *    no label was bound since, and no deferred entry still names L.
 *  - Compare+branch fusion.  An integer compare (or eqz) consumed at once by
 *    br_if or if is deleted and replaced by one fused branch (br_i32_lt_s_ri
 *    ...), negated for `if`.
 *  - Address fusion.  An i32.add whose result is consumed at once as a
 *    load/store address is deleted; the memory op adds itself.  Likewise
 *    a full-width load consumed at once by add/sub/mul/div/and/or/xor
 *    becomes that op's memory operand (f64_mul_m ...).
 *  - The accumulator (wasm_exec.h).  An operand that the instruction just
 *    before produced is read from the interpreter's acc register (the _a
 *    forms); in_acc() decides, from where the last result went (acc_slot)
 *    and whether anything was emitted or a label bound since (acc_end).
 *  - Small things: immediate forms (x OP imm, imm OP x, stores of an
 *    immediate), f32/f64 abs/neg as bit masks, i64.extend_i32_u and the
 *    reinterprets as free retypes, and declared locals known to be zero on
 *    the straight-line path from entry.
 *
 * Control.  Branch offsets are resolved: loop heads are known when a
 * backward branch is emitted; forward branches are kept in a per-block
 * fixup list and patched when the block's end is reached.  A branch that
 * carries values first copies them to the target's home slots (never
 * overlapping wrongly: a value's home is never below its destination).
 * br_if with values branches around an inline copy+br.  Returns copy the
 * results to slots 0.. and execute `ret`.  Code after an unconditional
 * transfer is skipped until the matching else/end.
 *
 * 3.0 extras, each explained where it is emitted: tail calls (below),
 * memory indices other than 0 (mem_select/mem_restore around the ordinary
 * op), 64-bit memories and tables (chk64 before the ordinary op), and
 * try_table (stubs plus handler records after the code; nothing in the
 * body).
 *
 * Tail calls.  return_call of a defined function is one tail_call, which
 * the interpreter runs by moving the arguments to slot 0 and reusing the
 * frame (no record pushed, so a million tail calls take no stack).
 * return_call of an import is a plain call_import and return (a host
 * function cannot recurse without going through the host, which bounds it);
 * return_call_indirect is tail_call_indirect followed by the ordinary
 * return, which only a host target reaches.
 *
 * Invariants.  The module is validated, so the stack shapes and indices
 * are trusted; immediates are still read with the bounds-checked reader and
 * a read failure aborts the translation (LAT_EMALFORMED) rather than
 * asserting.  Everything the code refers to is an index (function, global,
 * table, segment, type), never an instance's object, so one translation
 * serves every instance and thread.
 *
 * Rejected: a stack-machine IR (2-5x more dispatches, see ENGINE.md B);
 * copying constants into every frame on entry (costs every call, wasted
 * for cold constants; immediate forms cover the hot cases); a real
 * accumulator that replaces the slot write (every consumer would need to
 * know where each value lives; the write-through acc keeps the slot model
 * as the single source of truth and only shortens latency); eager
 * translation at load (lazy is far cheaper to start for large modules).
 *
 * lat_wasm_module_set_plain turns every peephole above off (not the
 * deferred operands and immediate forms, which are the code's shape): the
 * reference fuzz_translate.c compares the optimised code with.
 *
 * v128: stack entries carry their type and a v128 takes two slots, so the
 * SIMD instructions (0xFD prefix) are translated by wasm_translate_simd.inc
 * without touching the scalar paths; a v128 is never a deferred constant
 * and never the accumulator (both hold 64 bits).
 */
#include <string.h>

#include "wasm_exec.h"

enum { K_SLOT, K_LOCAL, K_CONST }; /* where a stack value currently is */

typedef struct {
  uint8_t type;   /* valtype */
  uint8_t kind;   /* K_* */
  uint32_t home;  /* slot this stack position owns */
  uint32_t local; /* K_LOCAL: local index */
  uint64_t c;     /* K_CONST: bits (i32/f32 zero-extended) */
} vval_t;

enum { C_BLOCK, C_LOOP, C_IF, C_ELSE, C_FUNC };

typedef struct {
  uint8_t kind;
  bool unreachable;    /* after br/return/unreachable until else/end */
  uint32_t height;     /* stack entries below the block's params */
  uint32_t base;       /* home slot of the first param/result */
  uint32_t nparams, nresults;
  const uint8_t *ptypes, *rtypes;
  size_t loop_pos;     /* C_LOOP: code offset of the head */
  int32_t fixups;      /* pending forward branches to the end, -1 = none */
  int32_t else_fix;    /* C_IF: the branch taken when the condition is 0 */
  bool is_try;         /* a try_table (kind C_BLOCK) */
  uint32_t try_start;  /* try_table: code offset where its body starts */
  uint32_t try_n;      /* try_table: its catch clauses, the last try_n of
                          tr_t.pend */
} ctrl_t;

typedef struct {
  uint32_t at;    /* instruction start */
  uint32_t field; /* offset field to patch */
  int32_t next;
} fixup_t;

/* The last integer compare emitted, for fusion with br_if / if. */
typedef struct {
  size_t start, end; /* code range of the compare */
  uint32_t vsp;      /* stack depth just after it pushed its result */
  int k;             /* 0..9 per LAT_EXEC_ICMP, 10 = eqz */
  bool is64, ri;
  uint32_t a, b;     /* operand slots (b unused for ri / eqz) */
  uint64_t imm;
} cmp_t;

/* The last i32.add emitted, for folding into a load/store address. */
typedef struct {
  size_t start, end; /* code range */
  uint32_t vsp;      /* stack depth just after it pushed its result */
  uint32_t d, a, b;  /* destination and operand slots */
  uint32_t imm;
  bool ri;
} add_t;

/* The last plain full-width load emitted, for folding into a binary op. */
typedef struct {
  size_t start, end;
  uint32_t vsp;     /* stack depth just after it pushed its result */
  uint32_t d, addr; /* destination and address slots */
  uint32_t off;
  unsigned op;      /* LAT_OP_load32 or LAT_OP_load64 */
} load_t;

typedef struct {
  lat_wasm_module_t *m;
  const void *const *labels;
  lat_reader_t r;
  lat_status err;

  uint8_t *code;
  size_t len, cap;
  uint8_t scratch[64]; /* emission target after an allocation failure */

  uint32_t nlocals;     /* params + declared */
  uint8_t *local_type;
  uint32_t *local_slot;
  uint32_t *local_refs; /* deferred K_LOCAL entries naming each local */
  uint8_t *local_dirty; /* written since entry (declared locals start 0) */
  uint32_t nparams;
  bool prefix;          /* still in straight-line code from the entry */
  uint32_t total_refs;
  uint32_t param_slots, locals_end, result_slots;

  vval_t *vs;
  uint32_t vsp, vcap;
  ctrl_t *cs;
  uint32_t csp, ccap;
  fixup_t *fx;
  uint32_t nfx, fxcap;
  uint32_t dead_depth; /* nesting inside skipped unreachable code */

  uint32_t max_slots;

  /* peephole state: the last result-producing instruction */
  size_t res_end;   /* code length right after it (SIZE_MAX = none) */
  uint32_t res_vsp; /* stack depth right after its push */
  size_t res_field; /* offset of its destination operand */
  cmp_t cmp;
  add_t add;
  load_t ld;
  /* the accumulator: acc holds slot acc_slot's value while len == acc_end
   * (wasm_exec.h); acc_prev is the state before the last set_result, for
   * when a fused compare is taken back out */
  size_t acc_end, acc_prev_end;
  uint32_t acc_slot, acc_prev_slot;

  /* exception handlers: catch clauses of the open try_tables (a stack), and
   * the finished ones, innermost try_table first (wasm_exec.h) */
  lat__handler_t *pend, *hs;
  uint32_t npend, pend_cap, nhs, hs_cap;
} tr_t;

/* 1-element type arrays for single-result block types */
static const uint8_t valtype_self[256] = {
    [LAT_I32] = LAT_I32,         [LAT_I64] = LAT_I64,
    [LAT_F32] = LAT_F32,         [LAT_F64] = LAT_F64,
    [LAT_V128] = LAT_V128,       [LAT_FUNCREF] = LAT_FUNCREF,
    [LAT_EXTERNREF] = LAT_EXTERNREF, [LAT_EXNREF] = LAT_EXNREF,
};

/* ---- small helpers ------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void fail(tr_t *t, lat_status st) {
  if (!t->err) t->err = st;
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap) return true;
  uint32_t n = *cap ? *cap : 16;
  while (n < need) {
    if (n > UINT32_MAX / 2) return false;
    n *= 2;
  }
  size_t bytes;
  if (!lat_mul_size(n, elem, &bytes)) return false;
  void *q = lat_realloc(*p, bytes);
  if (!q) return false;
  *p = q;
  *cap = n;
  return true;
}

static uint32_t rd_u32(tr_t *t) {
  uint32_t v = 0;
  if (lat_read_u32(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
  return v;
}

static uint8_t rd_u8(tr_t *t) {
  uint8_t v = 0;
  if (lat_read_u8(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
  return v;
}

/* Appends an instruction of `size` bytes (zeroed) with op's handler and
 * returns a pointer to it.  After an allocation failure it returns scratch
 * space and records the error; the main loop stops at the next op. */
static uint8_t *emit(tr_t *t, unsigned op, size_t size) {
  if (t->len + size > t->cap) {
    size_t n = t->cap ? t->cap * 2 : 256;
    while (n < t->len + size) n *= 2;
    uint8_t *c = (n > (size_t)INT32_MAX) ? NULL : lat_realloc(t->code, n);
    if (!c) {
      fail(t, n > (size_t)INT32_MAX ? LAT_ELIMIT : LAT_ENOMEM);
      memset(t->scratch, 0, sizeof t->scratch);
      return t->scratch;
    }
    t->code = c;
    t->cap = n;
  }
  uint8_t *p = t->code + t->len;
  memset(p, 0, size);
  memcpy(p, &t->labels[op], sizeof(void *));
  t->len += size;
  return p;
}

/* A label is bound at the current position: no peephole may look back
 * across it, since control can arrive here from elsewhere. */
static void barrier(tr_t *t) {
  t->prefix = false;
  t->res_end = SIZE_MAX;
  t->cmp.end = SIZE_MAX;
  t->add.end = SIZE_MAX;
  t->ld.end = SIZE_MAX;
  t->acc_end = t->acc_prev_end = SIZE_MAX;
}

/* True when the next instruction may read slot `slot` from acc. */
static bool in_acc(const tr_t *t, uint32_t slot) {
  return t->acc_end == t->len && t->acc_slot == slot && !t->err && !t->m->plain;
}

/* The instruction emitted last (at start) is deleted, to be folded into
 * its consumer: acc is what it was before it, and no peephole record may
 * describe it any more.  (A stale record matched again when the consumer
 * happened to end where the deleted instruction had ended:
 * `i32.add; i32.load; i32.load` read both loads from the add's address.) */
static void unemit(tr_t *t, size_t start) {
  t->len = start;
  t->acc_end = t->acc_prev_end;
  t->acc_slot = t->acc_prev_slot;
  t->res_end = SIZE_MAX;
  t->cmp.end = SIZE_MAX;
  t->add.end = SIZE_MAX;
  t->ld.end = SIZE_MAX;
}

static void bump_slots(tr_t *t, uint64_t n) {
  if (n > UINT32_MAX / 2) {
    fail(t, LAT_ELIMIT);
    return;
  }
  if (n > t->max_slots) t->max_slots = (uint32_t)n;
}

/* ---- the value stack ------------------------------------------------------ */

static uint32_t next_home(const tr_t *t) {
  if (!t->vsp) return t->locals_end;
  const vval_t *v = &t->vs[t->vsp - 1];
  return v->home + lat__slot_width(v->type);
}

static vval_t *push(tr_t *t, uint8_t type, uint8_t kind) {
  if (!grow((void **)&t->vs, &t->vcap, t->vsp + 1, sizeof *t->vs)) {
    fail(t, LAT_ENOMEM);
    return NULL;
  }
  vval_t *v = &t->vs[t->vsp];
  v->home = next_home(t);
  v->type = type;
  v->kind = kind;
  v->local = 0;
  v->c = 0;
  t->vsp++;
  bump_slots(t, (uint64_t)v->home + lat__slot_width(type));
  return v;
}

static void push_slot(tr_t *t, uint8_t type) { push(t, type, K_SLOT); }

static void push_const(tr_t *t, uint8_t type, uint64_t c) {
  vval_t *v = push(t, type, K_CONST);
  if (v) v->c = c;
}

static void push_local(tr_t *t, uint32_t idx) {
  if (idx >= t->nlocals) {
    fail(t, LAT_EMALFORMED);
    return;
  }
  vval_t *v = push(t, t->local_type[idx], K_LOCAL);
  if (!v) return;
  v->local = idx;
  t->local_refs[idx]++;
  t->total_refs++;
}

static vval_t pop(tr_t *t) {
  vval_t v = {0};
  if (!t->vsp) { /* cannot happen in a validated body */
    fail(t, LAT_EMALFORMED);
    v.home = t->locals_end;
    v.type = LAT_I32;
    return v;
  }
  v = t->vs[--t->vsp];
  if (v.kind == K_LOCAL) {
    t->local_refs[v.local]--;
    t->total_refs--;
  }
  return v;
}

static void pop_to(tr_t *t, uint32_t height) {
  while (t->vsp > height) pop(t);
}

/* ---- emitting moves ------------------------------------------------------- */

static void emit_copy(tr_t *t, uint32_t d, uint32_t s, uint8_t type) {
  if (d == s) return;
  uint8_t *p = emit(t, type == LAT_V128 ? LAT_OP_copy2 : LAT_OP_copy, 16);
  put32(p + 8, d);
  put32(p + 12, s);
}

static void emit_const(tr_t *t, uint32_t d, uint64_t c, uint8_t type) {
  if (type == LAT_V128) { /* not reached: a v128 is never a deferred
                             constant (wasm_translate_simd.inc); fail
                             rather than emit half of one */
    fail(t, LAT_EUNSUPPORTED);
    return;
  }
  if (c <= UINT32_MAX) {
    uint8_t *p = emit(t, LAT_OP_const32, 16);
    put32(p + 8, d);
    put32(p + 12, (uint32_t)c);
  } else {
    uint8_t *p = emit(t, LAT_OP_const64, 24);
    put32(p + 8, d);
    put64(p + 16, c);
  }
}

/* Writes v (not on the stack) to slot d. */
static void emit_move(tr_t *t, uint32_t d, const vval_t *v) {
  switch (v->kind) {
    case K_SLOT: emit_copy(t, d, v->home, v->type); break;
    case K_LOCAL: emit_copy(t, d, t->local_slot[v->local], v->type); break;
    default: emit_const(t, d, v->c, v->type); break;
  }
}

/* The slot an already-popped operand can be read from; constants are
 * materialised into their (now free) home slot. */
static uint32_t use(tr_t *t, const vval_t *v) {
  switch (v->kind) {
    case K_SLOT: return v->home;
    case K_LOCAL: return t->local_slot[v->local];
    default: emit_const(t, v->home, v->c, v->type); return v->home;
  }
}

static void materialize(tr_t *t, uint32_t i) {
  vval_t *v = &t->vs[i];
  if (v->kind == K_SLOT) return;
  emit_move(t, v->home, v);
  if (v->kind == K_LOCAL) {
    t->local_refs[v->local]--;
    t->total_refs--;
  }
  v->kind = K_SLOT;
}

static void materialize_locals(tr_t *t) {
  for (uint32_t i = 0; t->total_refs && i < t->vsp; i++)
    if (t->vs[i].kind == K_LOCAL) materialize(t, i);
}

/* Before local idx is written: entries below the top `keep` that still
 * name it get their current value copied home. */
static void protect_local(tr_t *t, uint32_t idx, uint32_t keep) {
  if (!t->local_refs[idx]) return;
  for (uint32_t i = 0; i + keep < t->vsp; i++)
    if (t->vs[i].kind == K_LOCAL && t->vs[i].local == idx) materialize(t, i);
}

/* The instruction just emitted wrote one result (destination operand at
 * `field`) and, as every such handler does, left it in acc. */
static void set_result(tr_t *t, size_t field) {
  t->res_end = t->len;
  t->res_vsp = t->vsp;
  t->res_field = field;
  t->acc_prev_end = t->acc_end;
  t->acc_prev_slot = t->acc_slot;
  t->acc_end = SIZE_MAX;
  if (t->err) return;
  t->acc_end = t->len;
  memcpy(&t->acc_slot, t->code + field, 4);
}

/* ---- control -------------------------------------------------------------- */

static ctrl_t *ctrl_at(tr_t *t, uint32_t depth) {
  if (depth >= t->csp) {
    fail(t, LAT_EMALFORMED);
    return &t->cs[0];
  }
  return &t->cs[t->csp - 1 - depth];
}

static uint32_t label_arity(const ctrl_t *c, const uint8_t **types) {
  if (c->kind == C_LOOP) {
    *types = c->ptypes;
    return c->nparams;
  }
  *types = c->rtypes;
  return c->nresults;
}

static int32_t new_fixup(tr_t *t, size_t at, size_t field) {
  if (!grow((void **)&t->fx, &t->fxcap, t->nfx + 1, sizeof *t->fx)) {
    fail(t, LAT_ENOMEM);
    return -1;
  }
  t->fx[t->nfx] = (fixup_t){(uint32_t)at, (uint32_t)field, -1};
  return (int32_t)t->nfx++;
}

static void patch(tr_t *t, int32_t fix, size_t target) {
  if (fix < 0 || t->err) return;
  const fixup_t *f = &t->fx[fix];
  put32(t->code + f->field, (uint32_t)(int32_t)((int64_t)target - f->at));
}

/* Points the branch at `at` (offset field `field`) to c's label. */
static void link(tr_t *t, ctrl_t *c, size_t at, size_t field) {
  if (at == SIZE_MAX || t->err) return;
  if (c->kind == C_LOOP) {
    put32(t->code + field, (uint32_t)(int32_t)((int64_t)c->loop_pos - (int64_t)at));
    return;
  }
  int32_t f = new_fixup(t, at, field);
  if (f < 0) return;
  t->fx[f].next = c->fixups;
  c->fixups = f;
}

static bool needs_copies(tr_t *t, const ctrl_t *c) {
  const uint8_t *types;
  uint32_t n = label_arity(c, &types);
  uint32_t dst = c->base;
  for (uint32_t i = 0; i < n; i++) {
    const vval_t *v = &t->vs[t->vsp - n + i];
    if (v->kind != K_SLOT || v->home != dst) return true;
    dst += lat__slot_width(v->type);
  }
  return false;
}

/* Copies the label's values to c's home slots, lowest first: a stack
 * value's home is never below its destination, so no source is clobbered
 * before it is read. */
static void emit_branch_copies(tr_t *t, const ctrl_t *c) {
  const uint8_t *types;
  uint32_t n = label_arity(c, &types);
  uint32_t dst = c->base;
  for (uint32_t i = 0; i < n; i++) {
    const vval_t *v = &t->vs[t->vsp - n + i];
    emit_move(t, dst, v);
    dst += lat__slot_width(v->type);
  }
}

/* Copies the top results to slots 0.. and returns.  Does not change the
 * translation-time stack (it is also used on one arm of a br_if). */
static void emit_return(tr_t *t) {
  const ctrl_t *f = &t->cs[0];
  uint32_t n = f->nresults;
  if (n > t->vsp) {
    fail(t, LAT_EMALFORMED);
    return;
  }
  if (n == 1 && t->vs[t->vsp - 1].type != LAT_V128) {
    const vval_t *v = &t->vs[t->vsp - 1];
    if (v->kind == K_CONST) { /* still via ret1, which sets acc */
      emit_const(t, 0, v->c, v->type);
      uint8_t *p = emit(t, LAT_OP_ret1, 16);
      put32(p + 8, 0);
      return;
    }
    uint8_t *p = emit(t, LAT_OP_ret1, 16);
    put32(p + 8, v->kind == K_SLOT ? v->home : t->local_slot[v->local]);
    return;
  }
  /* a local that is itself a destination is saved to its home first */
  for (uint32_t i = t->vsp - n; i < t->vsp; i++) {
    const vval_t *v = &t->vs[i];
    if (v->kind == K_LOCAL && t->local_slot[v->local] < t->result_slots)
      emit_copy(t, v->home, t->local_slot[v->local], v->type);
  }
  uint32_t dst = 0;
  for (uint32_t i = t->vsp - n; i < t->vsp; i++) {
    const vval_t *v = &t->vs[i];
    if (v->kind == K_LOCAL && t->local_slot[v->local] < t->result_slots)
      emit_copy(t, dst, v->home, v->type);
    else
      emit_move(t, dst, v);
    dst += lat__slot_width(v->type);
  }
  emit(t, LAT_OP_ret, 8);
}

static void mark_unreachable(tr_t *t) {
  t->cs[t->csp - 1].unreachable = true;
  t->dead_depth = 0;
}

static bool cmp_fusable(const tr_t *t) {
  return t->cmp.end == t->len && t->cmp.vsp == t->vsp && t->vsp && !t->m->plain &&
         t->vs[t->vsp - 1].kind == K_SLOT;
}

static const int cmp_negate[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
static const int cmp_swap[10] = {0, 1, 4, 5, 2, 3, 8, 9, 6, 7};

/* Emits a branch taken when the condition cv is nonzero (when_true) or
 * zero.  With a fusable compare `cm` the compare is folded in.  Returns the
 * instruction start and offset field, or *at = SIZE_MAX when no branch is
 * needed (constant condition that never takes it). */
static void emit_cond(tr_t *t, const vval_t *cv, const cmp_t *cm,
                      bool when_true, bool back, size_t *at, size_t *field) {
  *at = SIZE_MAX;
  *field = 0;
  if (cm && cm->k < 10) {
    int k = when_true ? cm->k : cmp_negate[cm->k];
    bool acc = in_acc(t, cm->a);
    unsigned op = (cm->is64 ? LAT_OP_br_i64_eq_rr : LAT_OP_br_i32_eq_rr) +
                  8u * (unsigned)k + (cm->ri ? 2u : 0u) + (acc ? 4u : 0u) +
                  (back ? 1u : 0u);
    *at = t->len;
    uint8_t *p = emit(t, op, 24);
    put32(p + 8, cm->a);
    if (!cm->ri) put32(p + 16, cm->b);
    else if (cm->is64) put64(p + 16, cm->imm);
    else put32(p + 16, (uint32_t)cm->imm);
    *field = *at + 12;
    return;
  }
  uint32_t slot;
  if (cm) { /* eqz x: branch on x with the sense inverted */
    when_true = !when_true;
    slot = cm->a;
  } else if (cv->kind == K_CONST) {
    if ((cv->c != 0) != when_true) return;
    *at = t->len;
    emit(t, back ? LAT_OP_br_back : LAT_OP_br, 16);
    *field = *at + 12;
    return;
  } else {
    slot = use(t, cv);
  }
  unsigned op = when_true ? LAT_OP_br_if : LAT_OP_br_unless;
  if (in_acc(t, slot)) op = when_true ? LAT_OP_br_if_a : LAT_OP_br_unless_a;
  *at = t->len;
  uint8_t *p = emit(t, op + (back ? 1u : 0u), 16);
  put32(p + 8, slot);
  *field = *at + 12;
}

static void enter_block(tr_t *t, uint8_t kind, uint32_t np,
                        const uint8_t *pt, uint32_t nr, const uint8_t *rt) {
  if (np > t->vsp) {
    fail(t, LAT_EMALFORMED);
    return;
  }
  materialize_locals(t);
  for (uint32_t i = t->vsp - np; i < t->vsp; i++) materialize(t, i);
  if (!grow((void **)&t->cs, &t->ccap, t->csp + 1, sizeof *t->cs)) {
    fail(t, LAT_ENOMEM);
    return;
  }
  ctrl_t *c = &t->cs[t->csp++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->height = t->vsp - np;
  c->base = np ? t->vs[t->vsp - np].home : next_home(t);
  c->nparams = np;
  c->nresults = nr;
  c->ptypes = pt;
  c->rtypes = rt;
  c->fixups = -1;
  c->else_fix = -1;
  c->loop_pos = t->len;
  /* results of a block need home slots even if nothing pushes them yet */
  uint64_t need = c->base;
  for (uint32_t i = 0; i < nr; i++) need += lat__slot_width(rt[i]);
  bump_slots(t, need);
}

/* Resets the stack to the block's height plus `n` values of `types`, all
 * in their home slots. */
static void reset_stack(tr_t *t, const ctrl_t *c, uint32_t n,
                        const uint8_t *types) {
  pop_to(t, c->height);
  for (uint32_t i = 0; i < n; i++) push_slot(t, types[i]);
}

static void read_blocktype(tr_t *t, uint32_t *np, const uint8_t **pt,
                           uint32_t *nr, const uint8_t **rt) {
  int64_t bt = 0;
  if (lat_read_s33(&t->r, &bt, NULL)) fail(t, LAT_EMALFORMED);
  *np = *nr = 0;
  *pt = *rt = NULL;
  if (bt < 0) {
    uint8_t b = (uint8_t)(bt & 0x7f);
    if (b == 0x40) return;
    *nr = 1;
    *rt = &valtype_self[b];
    return;
  }
  if ((uint64_t)bt >= t->m->ntypes) {
    fail(t, LAT_EMALFORMED);
    return;
  }
  const lat_wasm_functype_t *ft = &t->m->types[bt];
  *np = ft->nparams;
  *pt = ft->params;
  *nr = ft->nresults;
  *rt = ft->results;
}

/* ---- numeric ops ---------------------------------------------------------- */

enum { F_COMM = 1, F_CMP = 2 };

typedef struct {
  uint16_t op; /* the _rr form; _ri, _ar, _ai follow */
  uint8_t type, rtype;
  uint8_t flags;
  int8_t k;    /* compare index for F_CMP */
  uint16_t ir; /* the "immediate OP slot" form (_ir, then _ia), or 0 */
  uint16_t mo; /* the memory-operand form (_m, then _ma), or 0 */
} binop_t;

#define BIN(o, t, r, f, k) {LAT_OP_##o##_rr, t, r, f, k, 0, 0}
#define BINIR(o, t, r) {LAT_OP_##o##_rr, t, r, 0, -1, LAT_OP_##o##_ir, 0}
#define BINM(o, t, f) {LAT_OP_##o##_rr, t, t, f, -1, 0, LAT_OP_##o##_m}
#define BINIRM(o, t) {LAT_OP_##o##_rr, t, t, 0, -1, LAT_OP_##o##_ir, LAT_OP_##o##_m}
static const binop_t binops[256] = {
    [0x46] = BIN(i32_eq, LAT_I32, LAT_I32, F_CMP | F_COMM, 0),
    [0x47] = BIN(i32_ne, LAT_I32, LAT_I32, F_CMP | F_COMM, 1),
    [0x48] = BIN(i32_lt_s, LAT_I32, LAT_I32, F_CMP, 2),
    [0x49] = BIN(i32_lt_u, LAT_I32, LAT_I32, F_CMP, 3),
    [0x4a] = BIN(i32_gt_s, LAT_I32, LAT_I32, F_CMP, 4),
    [0x4b] = BIN(i32_gt_u, LAT_I32, LAT_I32, F_CMP, 5),
    [0x4c] = BIN(i32_le_s, LAT_I32, LAT_I32, F_CMP, 6),
    [0x4d] = BIN(i32_le_u, LAT_I32, LAT_I32, F_CMP, 7),
    [0x4e] = BIN(i32_ge_s, LAT_I32, LAT_I32, F_CMP, 8),
    [0x4f] = BIN(i32_ge_u, LAT_I32, LAT_I32, F_CMP, 9),
    [0x51] = BIN(i64_eq, LAT_I64, LAT_I32, F_CMP | F_COMM, 0),
    [0x52] = BIN(i64_ne, LAT_I64, LAT_I32, F_CMP | F_COMM, 1),
    [0x53] = BIN(i64_lt_s, LAT_I64, LAT_I32, F_CMP, 2),
    [0x54] = BIN(i64_lt_u, LAT_I64, LAT_I32, F_CMP, 3),
    [0x55] = BIN(i64_gt_s, LAT_I64, LAT_I32, F_CMP, 4),
    [0x56] = BIN(i64_gt_u, LAT_I64, LAT_I32, F_CMP, 5),
    [0x57] = BIN(i64_le_s, LAT_I64, LAT_I32, F_CMP, 6),
    [0x58] = BIN(i64_le_u, LAT_I64, LAT_I32, F_CMP, 7),
    [0x59] = BIN(i64_ge_s, LAT_I64, LAT_I32, F_CMP, 8),
    [0x5a] = BIN(i64_ge_u, LAT_I64, LAT_I32, F_CMP, 9),
    [0x5b] = BIN(f32_eq, LAT_F32, LAT_I32, F_COMM, -1),
    [0x5c] = BIN(f32_ne, LAT_F32, LAT_I32, F_COMM, -1),
    [0x5d] = BIN(f32_lt, LAT_F32, LAT_I32, 0, -1),
    [0x5e] = BIN(f32_gt, LAT_F32, LAT_I32, 0, -1),
    [0x5f] = BIN(f32_le, LAT_F32, LAT_I32, 0, -1),
    [0x60] = BIN(f32_ge, LAT_F32, LAT_I32, 0, -1),
    [0x61] = BIN(f64_eq, LAT_F64, LAT_I32, F_COMM, -1),
    [0x62] = BIN(f64_ne, LAT_F64, LAT_I32, F_COMM, -1),
    [0x63] = BIN(f64_lt, LAT_F64, LAT_I32, 0, -1),
    [0x64] = BIN(f64_gt, LAT_F64, LAT_I32, 0, -1),
    [0x65] = BIN(f64_le, LAT_F64, LAT_I32, 0, -1),
    [0x66] = BIN(f64_ge, LAT_F64, LAT_I32, 0, -1),
    [0x6a] = BINM(i32_add, LAT_I32, F_COMM),
    [0x6b] = BINIRM(i32_sub, LAT_I32),
    [0x6c] = BINM(i32_mul, LAT_I32, F_COMM),
    [0x6d] = BIN(i32_div_s, LAT_I32, LAT_I32, 0, -1),
    [0x6e] = BIN(i32_div_u, LAT_I32, LAT_I32, 0, -1),
    [0x6f] = BIN(i32_rem_s, LAT_I32, LAT_I32, 0, -1),
    [0x70] = BIN(i32_rem_u, LAT_I32, LAT_I32, 0, -1),
    [0x71] = BINM(i32_and, LAT_I32, F_COMM),
    [0x72] = BINM(i32_or, LAT_I32, F_COMM),
    [0x73] = BINM(i32_xor, LAT_I32, F_COMM),
    [0x74] = BINIR(i32_shl, LAT_I32, LAT_I32),
    [0x75] = BINIR(i32_shr_s, LAT_I32, LAT_I32),
    [0x76] = BINIR(i32_shr_u, LAT_I32, LAT_I32),
    [0x77] = BIN(i32_rotl, LAT_I32, LAT_I32, 0, -1),
    [0x78] = BIN(i32_rotr, LAT_I32, LAT_I32, 0, -1),
    [0x7c] = BINM(i64_add, LAT_I64, F_COMM),
    [0x7d] = BINIRM(i64_sub, LAT_I64),
    [0x7e] = BINM(i64_mul, LAT_I64, F_COMM),
    [0x7f] = BIN(i64_div_s, LAT_I64, LAT_I64, 0, -1),
    [0x80] = BIN(i64_div_u, LAT_I64, LAT_I64, 0, -1),
    [0x81] = BIN(i64_rem_s, LAT_I64, LAT_I64, 0, -1),
    [0x82] = BIN(i64_rem_u, LAT_I64, LAT_I64, 0, -1),
    [0x83] = BINM(i64_and, LAT_I64, F_COMM),
    [0x84] = BINM(i64_or, LAT_I64, F_COMM),
    [0x85] = BINM(i64_xor, LAT_I64, F_COMM),
    [0x86] = BINIR(i64_shl, LAT_I64, LAT_I64),
    [0x87] = BINIR(i64_shr_s, LAT_I64, LAT_I64),
    [0x88] = BINIR(i64_shr_u, LAT_I64, LAT_I64),
    [0x89] = BIN(i64_rotl, LAT_I64, LAT_I64, 0, -1),
    [0x8a] = BIN(i64_rotr, LAT_I64, LAT_I64, 0, -1),
    [0x92] = BINM(f32_add, LAT_F32, F_COMM),
    [0x93] = BINIRM(f32_sub, LAT_F32),
    [0x94] = BINM(f32_mul, LAT_F32, F_COMM),
    [0x95] = BINIRM(f32_div, LAT_F32),
    [0x96] = BIN(f32_min, LAT_F32, LAT_F32, 0, -1),
    [0x97] = BIN(f32_max, LAT_F32, LAT_F32, 0, -1),
    [0x98] = BIN(f32_copysign, LAT_F32, LAT_F32, 0, -1),
    [0xa0] = BINM(f64_add, LAT_F64, F_COMM),
    [0xa1] = BINIRM(f64_sub, LAT_F64),
    [0xa2] = BINM(f64_mul, LAT_F64, F_COMM),
    [0xa3] = BINIRM(f64_div, LAT_F64),
    [0xa4] = BIN(f64_min, LAT_F64, LAT_F64, 0, -1),
    [0xa5] = BIN(f64_max, LAT_F64, LAT_F64, 0, -1),
    [0xa6] = BIN(f64_copysign, LAT_F64, LAT_F64, 0, -1),
};
#undef BIN
#undef BINIR
#undef BINM
#undef BINIRM

typedef struct {
  uint16_t op; /* 0 = no instruction (retype only) */
  uint8_t rtype;
} unop_t;

#define UN(o, r) {LAT_OP_##o, r}
static const unop_t unops[256] = {
    [0x45] = UN(i32_eqz, LAT_I32),
    [0x50] = UN(i64_eqz, LAT_I32),
    [0x67] = UN(i32_clz, LAT_I32),
    [0x68] = UN(i32_ctz, LAT_I32),
    [0x69] = UN(i32_popcnt, LAT_I32),
    [0x79] = UN(i64_clz, LAT_I64),
    [0x7a] = UN(i64_ctz, LAT_I64),
    [0x7b] = UN(i64_popcnt, LAT_I64),
    [0x8d] = UN(f32_ceil, LAT_F32),
    [0x8e] = UN(f32_floor, LAT_F32),
    [0x8f] = UN(f32_trunc, LAT_F32),
    [0x90] = UN(f32_nearest, LAT_F32),
    [0x91] = UN(f32_sqrt, LAT_F32),
    [0x9b] = UN(f64_ceil, LAT_F64),
    [0x9c] = UN(f64_floor, LAT_F64),
    [0x9d] = UN(f64_trunc, LAT_F64),
    [0x9e] = UN(f64_nearest, LAT_F64),
    [0x9f] = UN(f64_sqrt, LAT_F64),
    [0xa7] = UN(i32_wrap_i64, LAT_I32),
    [0xa8] = UN(i32_trunc_f32_s, LAT_I32),
    [0xa9] = UN(i32_trunc_f32_u, LAT_I32),
    [0xaa] = UN(i32_trunc_f64_s, LAT_I32),
    [0xab] = UN(i32_trunc_f64_u, LAT_I32),
    [0xac] = UN(i64_extend_i32_s, LAT_I64),
    [0xad] = {0, LAT_I64}, /* i32 slots are zero-extended already */
    [0xae] = UN(i64_trunc_f32_s, LAT_I64),
    [0xaf] = UN(i64_trunc_f32_u, LAT_I64),
    [0xb0] = UN(i64_trunc_f64_s, LAT_I64),
    [0xb1] = UN(i64_trunc_f64_u, LAT_I64),
    [0xb2] = UN(f32_convert_i32_s, LAT_F32),
    [0xb3] = UN(f32_convert_i32_u, LAT_F32),
    [0xb4] = UN(f32_convert_i64_s, LAT_F32),
    [0xb5] = UN(f32_convert_i64_u, LAT_F32),
    [0xb6] = UN(f32_demote_f64, LAT_F32),
    [0xb7] = UN(f64_convert_i32_s, LAT_F64),
    [0xb8] = UN(f64_convert_i32_u, LAT_F64),
    [0xb9] = UN(f64_convert_i64_s, LAT_F64),
    [0xba] = UN(f64_convert_i64_u, LAT_F64),
    [0xbb] = UN(f64_promote_f32, LAT_F64),
    [0xbc] = {0, LAT_I32}, /* reinterprets: same bits in the slot */
    [0xbd] = {0, LAT_I64},
    [0xbe] = {0, LAT_F32},
    [0xbf] = {0, LAT_F64},
    [0xc0] = UN(i32_extend8_s, LAT_I32),
    [0xc1] = UN(i32_extend16_s, LAT_I32),
    [0xc2] = UN(i64_extend8_s, LAT_I64),
    [0xc3] = UN(i64_extend16_s, LAT_I64),
    [0xc4] = UN(i64_extend32_s, LAT_I64),
};
static const unop_t sat_unops[8] = {
    UN(i32_trunc_sat_f32_s, LAT_I32), UN(i32_trunc_sat_f32_u, LAT_I32),
    UN(i32_trunc_sat_f64_s, LAT_I32), UN(i32_trunc_sat_f64_u, LAT_I32),
    UN(i64_trunc_sat_f32_s, LAT_I64), UN(i64_trunc_sat_f32_u, LAT_I64),
    UN(i64_trunc_sat_f64_s, LAT_I64), UN(i64_trunc_sat_f64_u, LAT_I64),
};
#undef UN

static void do_unop(tr_t *t, const unop_t *u, bool is_eqz64) {
  vval_t a = pop(t);
  if (!u->op) { /* retype in place, keeping where the value is */
    vval_t *v = push(t, u->rtype, a.kind);
    if (v) {
      v->local = a.local;
      v->c = a.c;
      if (a.kind == K_LOCAL) {
        t->local_refs[a.local]++;
        t->total_refs++;
      }
    }
    return;
  }
  uint32_t sa = use(t, &a);
  size_t at = t->len;
  uint8_t *p = emit(t, u->op + (in_acc(t, sa) ? 1u : 0u), 16);
  put32(p + 8, a.home);
  put32(p + 12, sa);
  push_slot(t, u->rtype);
  set_result(t, at + 8);
  if (u->op == LAT_OP_i32_eqz || is_eqz64) {
    t->cmp = (cmp_t){at, t->len, t->vsp, 10, u->op != LAT_OP_i32_eqz,
                     false, sa, 0, 0};
  }
}

/* True when stack entry i is the value of the load emitted last (a plain
 * load of the op's own width, so it can become a memory operand). */
static bool load_fusable(const tr_t *t, uint32_t i, uint8_t type) {
  unsigned want = (type == LAT_I64 || type == LAT_F64) ? LAT_OP_load64 : LAT_OP_load32;
  return t->ld.end == t->len && t->ld.vsp == i + 1 && t->ld.op == want && !t->m->plain &&
         t->vs[i].kind == K_SLOT && t->vs[i].home == t->ld.d && !t->err;
}

static void do_binop(tr_t *t, const binop_t *b) {
  if (b->mo && t->vsp >= 2) {
    uint32_t iy = t->vsp - 1, ix = t->vsp - 2;
    bool my = load_fusable(t, iy, b->type);
    bool mx = !my && (b->flags & F_COMM) && t->vs[iy].kind != K_CONST &&
              load_fusable(t, ix, b->type);
    if (my || mx) {
      load_t ld = t->ld;
      vval_t y = pop(t), x = pop(t);
      uint32_t d = x.home;
      if (mx) x = y; /* commutative: the loaded value becomes y */
      unemit(t, ld.start);
      uint32_t sx = use(t, &x);
      size_t at = t->len;
      uint8_t *p = emit(t, b->mo + (in_acc(t, sx) ? 1u : 0u), 24);
      put32(p + 8, d);
      put32(p + 12, sx);
      put32(p + 16, ld.addr);
      put32(p + 20, ld.off);
      push_slot(t, b->rtype);
      set_result(t, at + 8);
      return;
    }
  }
  vval_t y = pop(t), x = pop(t);
  uint32_t d = x.home;
  int k = b->k;
  unsigned op = b->op;
  bool wide = b->type == LAT_I64 || b->type == LAT_F64;
  if (x.kind == K_CONST && y.kind != K_CONST && b->ir) { /* imm OP slot */
    uint32_t sy = use(t, &y);
    size_t at = t->len;
    uint8_t *p = emit(t, b->ir + (in_acc(t, sy) ? 1u : 0u), 24);
    put32(p + 8, d);
    put32(p + 12, sy);
    if (wide) put64(p + 16, x.c);
    else put32(p + 16, (uint32_t)x.c);
    push_slot(t, b->rtype);
    set_result(t, at + 8);
    return;
  }
  bool swap = x.kind == K_CONST && y.kind != K_CONST;
  /* a commutative op whose second operand is in acc: swap it first */
  if (!swap && x.kind != K_CONST && y.kind != K_CONST) {
    uint32_t sx = x.kind == K_SLOT ? x.home : t->local_slot[x.local];
    uint32_t sy = y.kind == K_SLOT ? y.home : t->local_slot[y.local];
    swap = !in_acc(t, sx) && in_acc(t, sy);
  }
  if (swap && (b->flags & (F_COMM | F_CMP))) {
    vval_t tmp = x;
    x = y;
    y = tmp;
    if (b->flags & F_CMP) {
      k = cmp_swap[k];
      op = (b->type == LAT_I64 ? LAT_OP_i64_eq_rr : LAT_OP_i32_eq_rr) + 4u * (unsigned)k;
    }
  }
  uint32_t sa = use(t, &x);
  bool ri = y.kind == K_CONST;
  uint32_t sb = 0;
  if (!ri) sb = use(t, &y);
  bool acc = in_acc(t, sa);
  size_t at = t->len;
  uint8_t *p = emit(t, op + (ri ? 1u : 0u) + (acc ? 2u : 0u), 24);
  put32(p + 8, d);
  put32(p + 12, sa);
  if (!ri) put32(p + 16, sb);
  else if (wide) put64(p + 16, y.c);
  else put32(p + 16, (uint32_t)y.c);
  push_slot(t, b->rtype);
  set_result(t, at + 8);
  if (op == LAT_OP_i32_add_rr)
    t->add = (add_t){at, t->len, t->vsp, d, sa, sb, (uint32_t)y.c, ri};
  if ((b->flags & F_CMP) && k >= 0)
    t->cmp = (cmp_t){at, t->len, t->vsp, k, b->type == LAT_I64, ri, sa, sb, y.c};
}

/* f32/f64 abs and neg are bit operations on the slot */
static void bitop_const(tr_t *t, uint8_t wasm_op, uint64_t mask) {
  uint8_t type = t->vsp ? t->vs[t->vsp - 1].type : LAT_I32;
  push_const(t, type == LAT_F64 ? LAT_I64 : LAT_I32, mask);
  binop_t b = binops[wasm_op];
  b.rtype = type;
  do_binop(t, &b);
}

/* ---- locals ----------------------------------------------------------------- */

static void do_local_set(tr_t *t, uint32_t idx, bool tee) {
  if (idx >= t->nlocals || !t->vsp) {
    fail(t, LAT_EMALFORMED);
    return;
  }
  uint32_t ls = t->local_slot[idx];
  vval_t *top = &t->vs[t->vsp - 1];
  if (top->kind == K_LOCAL && top->local == idx) { /* x = x */
    if (!tee) pop(t);
    return;
  }
  /* a declared local is still zero on the straight-line path from entry */
  if (t->prefix && idx >= t->nparams && !t->m->plain && !t->local_dirty[idx] &&
      top->kind == K_CONST && top->c == 0 && top->type != LAT_V128) {
    if (!tee) pop(t);
    return;
  }
  t->local_dirty[idx] = 1;
  bool retarget = top->kind == K_SLOT && t->res_end == t->len &&
                  t->res_vsp == t->vsp && !t->local_refs[idx] && !t->err &&
                  !t->m->plain;
  if (retarget) {
    put32(t->code + t->res_field, ls);
    if (t->acc_end == t->len) t->acc_slot = ls;
    pop(t);
    t->res_end = SIZE_MAX;
    if (tee) push_local(t, idx);
    return;
  }
  protect_local(t, idx, 1);
  top = &t->vs[t->vsp - 1];
  emit_move(t, ls, top);
  if (!tee) pop(t);
}

/* True when stack entry i is the result of the i32.add emitted last, so the
 * add can be folded into the address of the load/store consuming it. */
static bool add_fusable(const tr_t *t, uint32_t i) {
  return t->add.end == t->len && t->add.vsp == i + 1 && !t->m->plain &&
         t->vs[i].kind == K_SLOT && t->vs[i].home == t->add.d && !t->err;
}

/* Memory indices.  Every memory access names memory 0 implicitly: the
 * interpreter keeps memory 0's base and size in registers (mb, ms).  An
 * access to another memory is bracketed by mem_select k, which loads memory
 * k's base and size into those registers, and mem_restore, which puts
 * memory 0's back; the access itself (any load/store form, the SIMD ones,
 * memory.size/.fill/.init) is the ordinary instruction.  So a module with
 * one memory pays nothing, and every memory op needs only one handler.  The
 * bracket holds nothing that could reload mb/ms (no call, no grow): only the
 * op and the constant copies its operands may need.  The select is emitted
 * before the op's operands are looked at, so no peephole folds an earlier
 * instruction across it (add_fusable, load_fusable and in_acc all require
 * the folded instruction to be the last one emitted). */
static uint32_t mem_begin(tr_t *t, uint32_t mem) {
  if (mem) {
    uint8_t *p = emit(t, LAT_OP_mem_select, 16);
    put32(p + 8, mem);
  }
  return mem;
}
static void mem_end(tr_t *t, uint32_t mem) {
  if (mem) emit(t, LAT_OP_mem_restore, 8);
}
static uint64_t rd_u64(tr_t *t) {
  uint64_t v = 0;
  if (!t->err && lat_read_u64(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
  return v;
}

/* memory64 and table64.  Memories here are at most 4 GiB and tables at
 * most 2^32-1 elements (store limits), so an i64 address, length or index
 * with any of its high 32 bits set is out of bounds whatever else holds:
 * chk64 traps on that, and the ordinary 32-bit instruction after it does
 * the rest.  An offset of 2^32 or more is out of bounds the same way: the
 * access becomes an unconditional trap.  So 64-bit memories and tables
 * need two small instructions, not a second set of handlers.  dN are
 * stack depths (1 = top) of the operands to check, 0 = none. */
static void guard64(tr_t *t, uint32_t d1, uint32_t d2, uint32_t d3,
                    lat_wasm_trap_t trap) {
  uint32_t ds[3] = {d1, d2, d3}, sl[3];
  for (int k = 0; k < 3; k++) {
    uint32_t d = ds[k] ? ds[k] : d1;
    if (d == 0 || d > t->vsp) {
      fail(t, LAT_EMALFORMED);
      return;
    }
    materialize(t, t->vsp - d);
    sl[k] = t->vs[t->vsp - d].home;
  }
  uint8_t *p = emit(t, LAT_OP_chk64, 24);
  put32(p + 8, sl[0]);
  put32(p + 12, sl[1]);
  put32(p + 16, sl[2]);
  put32(p + 20, (uint32_t)trap);
}
static void emit_trap(tr_t *t, lat_wasm_trap_t trap) {
  uint8_t *p = emit(t, LAT_OP_trap, 16);
  put32(p + 8, (uint32_t)trap);
}
static bool mem64(const tr_t *t, uint32_t mem) {
  return mem < t->m->nmems && t->m->mems[mem].is64;
}
static bool tab64(const tr_t *t, uint32_t tab) {
  return tab < t->m->ntables && t->m->tables[tab].is64;
}

/* Reads a memarg (validated: see lat__read_memarg); starts the bracket for
 * its memory, and for a 64-bit memory checks the address at stack depth
 * addr_depth.  Returns the memory index, for mem_end. */
static uint32_t rd_memarg(tr_t *t, uint32_t addr_depth, uint32_t *off) {
  uint32_t flags = rd_u32(t), mem = 0;
  if (flags & 64u) mem = rd_u32(t);
  uint64_t o = t->m->features.memory64 ? rd_u64(t) : rd_u32(t);
  *off = (uint32_t)o;
  mem_begin(t, mem);
  if (mem64(t, mem)) {
    guard64(t, addr_depth, 0, 0, LAT_TRAP_MEMORY_OOB);
    if (o > UINT32_MAX) emit_trap(t, LAT_TRAP_MEMORY_OOB);
  }
  return mem;
}

static void skip_memarg(tr_t *t) {
  if (rd_u32(t) & 64u) rd_u32(t); /* a memory index follows */
  if (t->m->features.memory64) rd_u64(t);
  else rd_u32(t);
}

#include "wasm_translate_simd.inc"

/* ---- skipping unreachable code --------------------------------------------- */


/* Skips the immediates of op (block types are handled by the caller). */
static void skip_imm(tr_t *t, uint8_t op) {
  switch (op) {
    case 0x08: case 0x0c: case 0x0d: case 0x10: case 0x12: case 0x20: case 0x21:
    case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: case 0xd2:
      rd_u32(t);
      break;
    case 0x0e: {
      uint32_t n = rd_u32(t);
      for (uint64_t i = 0; i <= n && !t->err; i++) rd_u32(t);
      break;
    }
    case 0x11: case 0x13: rd_u32(t); rd_u32(t); break;
    case 0x1c: {
      uint32_t n = rd_u32(t);
      for (uint32_t i = 0; i < n && !t->err; i++) rd_u8(t);
      break;
    }
    case 0x3f: case 0x40: rd_u32(t); break;
    case 0xd0: rd_u8(t); break;
    case 0x41: {
      int32_t v;
      if (lat_read_s32(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
      break;
    }
    case 0x42: {
      int64_t v;
      if (lat_read_s64(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
      break;
    }
    case 0x43: {
      uint32_t v;
      if (lat_read_f32(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
      break;
    }
    case 0x44: {
      uint64_t v;
      if (lat_read_f64(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
      break;
    }
    case 0xfc: {
      uint32_t sub = rd_u32(t);
      switch (sub) {
        case 8: rd_u32(t); rd_u32(t); break;
        case 9: case 13: case 15: case 16: case 17: rd_u32(t); break;
        case 10: rd_u32(t); rd_u32(t); break;
        case 11: rd_u32(t); break;
        case 12: case 14: rd_u32(t); rd_u32(t); break;
        default: break;
      }
      break;
    }
    case 0xfd: simd_skip_imm(t); break;
    default:
      if (op >= 0x28 && op <= 0x3e) skip_memarg(t);
      break;
  }
}

/* ---- memory and tables -------------------------------------------------------- */

static void do_load_at(tr_t *t, unsigned op, uint8_t type, uint32_t off);
static void do_load(tr_t *t, unsigned op, uint8_t type) {
  uint32_t off, mem = rd_memarg(t, 1, &off);
  do_load_at(t, op, type, off);
  mem_end(t, mem);
}
static void do_load_at(tr_t *t, unsigned op, uint8_t type, uint32_t off) {
  if (t->vsp && add_fusable(t, t->vsp - 1)) {
    add_t ad = t->add;
    vval_t a = pop(t);
    unemit(t, ad.start);
    unsigned fop = LAT_OP_load32_rr + (op - LAT_OP_load32) + (ad.ri ? 1u : 0u);
    size_t at = t->len;
    uint8_t *p = emit(t, fop, 24);
    put32(p + 8, a.home);
    put32(p + 12, ad.a);
    put32(p + 16, ad.ri ? ad.imm : ad.b);
    put32(p + 20, off);
    push_slot(t, type);
    set_result(t, at + 8);
    return;
  }
  vval_t a = pop(t);
  uint32_t sa = use(t, &a);
  size_t at = t->len;
  uint8_t *p = emit(t, op + (in_acc(t, sa) ? 1u : 0u), 24);
  put32(p + 8, a.home);
  put32(p + 12, sa);
  put32(p + 16, off);
  push_slot(t, type);
  set_result(t, at + 8);
  t->ld = (load_t){at, t->len, t->vsp, a.home, sa, off, op};
}

static void do_store_at(tr_t *t, unsigned op, uint32_t off);
static void do_store(tr_t *t, unsigned op) {
  uint32_t off, mem = rd_memarg(t, 2, &off);
  do_store_at(t, op, off);
  mem_end(t, mem);
}
static void do_store_at(tr_t *t, unsigned op, uint32_t off) {
  if (t->vsp >= 2 && add_fusable(t, t->vsp - 2) &&
      t->vs[t->vsp - 1].type != LAT_V128) {
    add_t ad = t->add;
    vval_t v = pop(t);
    pop(t);
    unemit(t, ad.start);
    bool imm = v.kind == K_CONST;
    uint32_t sv = imm ? 0 : use(t, &v); /* a slot or local: emits nothing */
    uint8_t *p = emit(t, op + 5u + (imm ? 2u : 0u) + (ad.ri ? 1u : 0u), imm ? 32 : 24);
    put32(p + 8, ad.a);
    put32(p + 12, ad.ri ? ad.imm : ad.b);
    put32(p + 20, off);
    if (imm) put64(p + 24, v.c);
    else put32(p + 16, sv);
    return;
  }
  vval_t v = pop(t), a = pop(t);
  uint32_t sa = use(t, &a);
  if (v.kind == K_CONST && v.type != LAT_V128) { /* value is an immediate */
    bool acc = in_acc(t, sa);
    uint8_t *p = emit(t, op + (acc ? 4u : 3u), 24);
    put32(p + 8, sa);
    put32(p + 12, off);
    put64(p + 16, v.c);
    return;
  }
  uint32_t sv = use(t, &v);
  unsigned form = in_acc(t, sv) ? 1u : in_acc(t, sa) ? 2u : 0u;
  uint8_t *p = emit(t, op + form, 24);
  put32(p + 8, sa);
  put32(p + 12, sv);
  put32(p + 16, off);
}

/* Pops three operands (pushed in order x, y, z) into slots. */
static void pop3(tr_t *t, uint32_t *sx, uint32_t *sy, uint32_t *sz) {
  vval_t z = pop(t), y = pop(t), x = pop(t);
  *sx = use(t, &x);
  *sy = use(t, &y);
  *sz = use(t, &z);
}

static void do_fc(tr_t *t) {
  uint32_t sub = rd_u32(t);
  if (t->err) return;
  if (sub < 8) {
    do_unop(t, &sat_unops[sub], false);
    return;
  }
  uint32_t a, b, c, x, y;
  uint8_t *p;
  switch (sub) {
    case 8: { /* memory.init */
      x = rd_u32(t);
      uint32_t mem = mem_begin(t, rd_u32(t));
      if (mem64(t, mem)) guard64(t, 3, 0, 0, LAT_TRAP_MEMORY_OOB);
      pop3(t, &a, &b, &c);
      p = emit(t, LAT_OP_memory_init, 24);
      put32(p + 8, a); put32(p + 12, b); put32(p + 16, c); put32(p + 20, x);
      mem_end(t, mem);
      break;
    }
    case 9:
      x = rd_u32(t);
      p = emit(t, LAT_OP_data_drop, 16);
      put32(p + 8, x);
      break;
    case 10: { /* memory.copy: one memory bracketed, two by memory_copy_mm */
      x = rd_u32(t);
      y = rd_u32(t);
      uint32_t mem = x == y ? mem_begin(t, x) : 0;
      if (mem64(t, x) || mem64(t, y))
        guard64(t, mem64(t, x) ? 3 : 2, mem64(t, y) ? 2 : 3,
                mem64(t, x) && mem64(t, y) ? 1 : 0, LAT_TRAP_MEMORY_OOB);
      pop3(t, &a, &b, &c);
      p = emit(t, x == y ? LAT_OP_memory_copy : LAT_OP_memory_copy_mm,
               x == y ? 24 : 32);
      put32(p + 8, a); put32(p + 12, b); put32(p + 16, c);
      if (x != y) { put32(p + 20, x); put32(p + 24, y); }
      mem_end(t, mem);
      break;
    }
    case 11: {
      uint32_t mem = mem_begin(t, rd_u32(t));
      if (mem64(t, mem)) guard64(t, 3, 1, 0, LAT_TRAP_MEMORY_OOB);
      pop3(t, &a, &b, &c);
      p = emit(t, LAT_OP_memory_fill, 24);
      put32(p + 8, a); put32(p + 12, b); put32(p + 16, c);
      mem_end(t, mem);
      break;
    }
    case 12: /* table.init elem table */
      x = rd_u32(t);
      y = rd_u32(t);
      if (tab64(t, y)) guard64(t, 3, 0, 0, LAT_TRAP_TABLE_OOB);
      pop3(t, &a, &b, &c);
      p = emit(t, LAT_OP_table_init, 32);
      put32(p + 8, a); put32(p + 12, b); put32(p + 16, c);
      put32(p + 20, y); put32(p + 24, x);
      break;
    case 13:
      x = rd_u32(t);
      p = emit(t, LAT_OP_elem_drop, 16);
      put32(p + 8, x);
      break;
    case 14: /* table.copy dst src */
      x = rd_u32(t);
      y = rd_u32(t);
      if (tab64(t, x) || tab64(t, y))
        guard64(t, tab64(t, x) ? 3 : 2, tab64(t, y) ? 2 : 3,
                tab64(t, x) && tab64(t, y) ? 1 : 0, LAT_TRAP_TABLE_OOB);
      pop3(t, &a, &b, &c);
      p = emit(t, LAT_OP_table_copy, 32);
      put32(p + 8, a); put32(p + 12, b); put32(p + 16, c);
      put32(p + 20, x); put32(p + 24, y);
      break;
    case 15: { /* table.grow */
      x = rd_u32(t);
      vval_t n = pop(t), init = pop(t);
      uint32_t si = use(t, &init), sn = use(t, &n);
      p = emit(t, LAT_OP_table_grow, 32);
      put32(p + 8, init.home); put32(p + 12, si); put32(p + 16, sn);
      put32(p + 20, x); put32(p + 24, tab64(t, x));
      push_slot(t, tab64(t, x) ? LAT_I64 : LAT_I32);
      break;
    }
    case 16: {
      x = rd_u32(t);
      uint32_t d = next_home(t);
      p = emit(t, LAT_OP_table_size, 16);
      put32(p + 8, d); put32(p + 12, x);
      push_slot(t, tab64(t, x) ? LAT_I64 : LAT_I32);
      break;
    }
    case 17:
      x = rd_u32(t);
      if (tab64(t, x)) guard64(t, 3, 1, 0, LAT_TRAP_TABLE_OOB);
      pop3(t, &a, &b, &c);
      p = emit(t, LAT_OP_table_fill, 24);
      put32(p + 8, a); put32(p + 12, b); put32(p + 16, c); put32(p + 20, x);
      break;
    default: fail(t, LAT_EMALFORMED); break;
  }
}

/* ---- calls ------------------------------------------------------------------------ */

static void do_call(tr_t *t, const lat_wasm_functype_t *ft, unsigned op,
                    uint32_t a, uint32_t b, bool indirect) {
  vval_t idx = {0};
  uint32_t sidx = 0;
  if (indirect && tab64(t, b)) guard64(t, 1, 0, 0, LAT_TRAP_UNDEFINED_ELEMENT);
  if (indirect) idx = pop(t);
  uint32_t np = ft->nparams;
  if (np > t->vsp) {
    fail(t, LAT_EMALFORMED);
    return;
  }
  for (uint32_t i = t->vsp - np; i < t->vsp; i++) materialize(t, i);
  uint32_t argslot = np ? t->vs[t->vsp - np].home : next_home(t);
  if (indirect) sidx = use(t, &idx);
  pop_to(t, t->vsp - np);
  uint64_t pin = 0, pout = 0;
  for (uint32_t i = 0; i < ft->nparams; i++) pin += lat__slot_width(ft->params[i]);
  for (uint32_t i = 0; i < ft->nresults; i++) pout += lat__slot_width(ft->results[i]);
  bump_slots(t, argslot + (pin > pout ? pin : pout));
  uint8_t *p = emit(t, op, indirect ? 24 : 16);
  put32(p + 8, a);
  put32(p + 12, b);
  if (indirect) {
    put32(p + 16, sidx);
    put32(p + 20, argslot);
  } else {
    put32(p + 12, argslot);
  }
  for (uint32_t i = 0; i < ft->nresults; i++) push_slot(t, ft->results[i]);
  /* a wasm callee of this module returns one result through ret1, which
   * leaves it in acc (host functions do not: not for call_import) */
  if (op == LAT_OP_call && ft->nresults == 1 && ft->results[0] != LAT_V128 &&
      !t->err) {
    t->acc_prev_end = t->acc_end;
    t->acc_prev_slot = t->acc_slot;
    t->acc_end = t->len;
    t->acc_slot = argslot;
  }
}

/* ---- the main loop ------------------------------------------------------------------ */

static void do_br_table(tr_t *t) {
  uint32_t n = rd_u32(t);
  if (t->err) return;
  if (n > LAT_MAX_FUNC_SIZE) {
    fail(t, LAT_EMALFORMED);
    return;
  }
  uint32_t *depths = lat_calloc((size_t)n + 1, sizeof *depths);
  if (!depths) {
    fail(t, LAT_ENOMEM);
    return;
  }
  for (uint32_t i = 0; i <= n; i++) depths[i] = rd_u32(t);
  vval_t iv = pop(t);
  uint32_t si = use(t, &iv);
  size_t at = t->len;
  size_t size = (16 + 4 * ((size_t)n + 1) + 7) & ~(size_t)7;
  uint8_t *p = emit(t, LAT_OP_br_table, size);
  put32(p + 8, si);
  put32(p + 12, n);
  for (uint32_t i = 0; i <= n && !t->err; i++) {
    ctrl_t *c = ctrl_at(t, depths[i]);
    size_t field = at + 16 + 4 * (size_t)i;
    if (c->kind != C_FUNC && !needs_copies(t, c)) {
      link(t, c, at, field);
      continue;
    }
    /* a stub after the table copies the values, then branches */
    if (!t->err) put32(t->code + field, (uint32_t)(t->len - at));
    if (c->kind == C_FUNC) {
      emit_return(t);
      continue;
    }
    emit_branch_copies(t, c);
    size_t bat = t->len;
    emit(t, c->kind == C_LOOP ? LAT_OP_br_back : LAT_OP_br, 16);
    link(t, c, bat, bat + 12);
  }
  lat_free(depths);
  mark_unreachable(t);
}

static void do_br(tr_t *t, uint32_t depth) {
  ctrl_t *c = ctrl_at(t, depth);
  if (c->kind == C_FUNC) {
    emit_return(t);
  } else {
    emit_branch_copies(t, c);
    size_t at = t->len;
    emit(t, c->kind == C_LOOP ? LAT_OP_br_back : LAT_OP_br, 16);
    link(t, c, at, at + 12);
  }
  mark_unreachable(t);
}

static void do_br_if(tr_t *t, uint32_t depth) {
  bool fused = cmp_fusable(t);
  cmp_t cm = t->cmp;
  vval_t cv = pop(t);
  if (fused) unemit(t, cm.start);
  ctrl_t *c = ctrl_at(t, depth);
  size_t at, field;
  if (c->kind != C_FUNC && !needs_copies(t, c)) {
    emit_cond(t, &cv, fused ? &cm : NULL, true, c->kind == C_LOOP, &at, &field);
    link(t, c, at, field);
    return;
  }
  /* values must move: branch around an inline copy + jump */
  emit_cond(t, &cv, fused ? &cm : NULL, false, false, &at, &field);
  if (c->kind == C_FUNC) {
    emit_return(t);
  } else {
    emit_branch_copies(t, c);
    size_t bat = t->len;
    emit(t, c->kind == C_LOOP ? LAT_OP_br_back : LAT_OP_br, 16);
    link(t, c, bat, bat + 12);
  }
  if (at != SIZE_MAX && !t->err)
    put32(t->code + field, (uint32_t)(int32_t)((int64_t)t->len - (int64_t)at));
  barrier(t);
}

static void do_if(tr_t *t) {
  uint32_t np, nr;
  const uint8_t *pt, *rt;
  read_blocktype(t, &np, &pt, &nr, &rt);
  if (t->err) return;
  bool fused = cmp_fusable(t);
  cmp_t cm = t->cmp;
  vval_t cv = pop(t);
  if (fused) unemit(t, cm.start);
  /* a LOCAL condition must be read before materialisation could matter;
   * materialisation only writes home slots, never locals, so reading the
   * local after it is equivalent */
  enter_block(t, C_IF, np, pt, nr, rt);
  if (t->err) return;
  size_t at, field;
  emit_cond(t, &cv, fused ? &cm : NULL, false, false, &at, &field);
  ctrl_t *c = &t->cs[t->csp - 1];
  c->else_fix = at == SIZE_MAX ? -1 : new_fixup(t, at, field);
}

static void do_else(tr_t *t) {
  ctrl_t *c = &t->cs[t->csp - 1];
  if (!c->unreachable) {
    for (uint32_t i = t->vsp - c->nresults; i < t->vsp; i++) materialize(t, i);
    size_t at = t->len;
    emit(t, LAT_OP_br, 16);
    link(t, c, at, at + 12);
  }
  patch(t, c->else_fix, t->len);
  c->else_fix = -1;
  barrier(t);
  reset_stack(t, c, c->nparams, c->ptypes);
  c->kind = C_ELSE;
  c->unreachable = false;
}

static void do_end(tr_t *t) {
  ctrl_t *c = &t->cs[t->csp - 1];
  if (!c->unreachable) {
    if (c->nresults > t->vsp - c->height) {
      fail(t, LAT_EMALFORMED);
      return;
    }
    for (uint32_t i = t->vsp - c->nresults; i < t->vsp; i++) materialize(t, i);
  }
  if (c->kind == C_FUNC) {
    if (!c->unreachable) emit_return(t);
    t->csp--;
    return;
  }
  if (c->is_try) { /* its catch clauses cover the body, which ends here */
    if (c->try_n > t->npend ||
        !grow((void **)&t->hs, &t->hs_cap, t->nhs + c->try_n, sizeof *t->hs)) {
      fail(t, LAT_ENOMEM);
      return;
    }
    for (uint32_t k = t->npend - c->try_n; k < t->npend; k++) {
      lat__handler_t h = t->pend[k];
      h.start = c->try_start;
      h.end = (uint32_t)t->len;
      t->hs[t->nhs++] = h;
    }
    t->npend -= c->try_n;
  }
  bool bound = false;
  if (c->else_fix >= 0) {
    patch(t, c->else_fix, t->len);
    bound = true;
  }
  for (int32_t f = c->fixups; f >= 0; f = t->fx[f].next) {
    patch(t, f, t->len);
    bound = true;
  }
  if (bound) barrier(t);
  reset_stack(t, c, c->nresults, c->rtypes);
  t->csp--;
}

static uint32_t type_slot_count(const uint8_t *types, uint32_t n) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) k += lat__slot_width(types[i]);
  return k;
}

/* try_table.  Laid out as
 *       br body
 *   s0: br <label of catch 0>     one stub per catch clause (a return for
 *   s1: ...                       the function's own label)
 * body: ...the block...
 * with one handler record per clause (wasm_exec.h): when an exception
 * thrown in the body matches, the interpreter writes the payload (and the
 * exnref) to the label's home slots, where a branch would put them, and
 * continues at the stub.  The stubs are ordinary branches, so the labels
 * are bound and patched like any other target, and nothing is emitted in
 * the body itself: code that does not throw runs as if in a block. */
static void do_try_table(tr_t *t) {
  lat_wasm_module_t *m = t->m;
  uint32_t np, nr, n;
  const uint8_t *pt, *rt;
  read_blocktype(t, &np, &pt, &nr, &rt);
  n = rd_u32(t);
  if (t->err) return;
  if (n > LAT_MAX_FUNC_SIZE ||
      !grow((void **)&t->pend, &t->pend_cap, t->npend + n, sizeof *t->pend)) {
    fail(t, n > LAT_MAX_FUNC_SIZE ? LAT_EMALFORMED : LAT_ENOMEM);
    return;
  }
  /* the params are on the stack below the stubs' labels too: put every
   * deferred entry in its home first, as enter_block would */
  materialize_locals(t);
  for (uint32_t i = 0; i < t->vsp; i++) materialize(t, i);
  size_t skip_at = t->len;
  emit(t, LAT_OP_br, 16);
  uint32_t first = t->npend;
  for (uint32_t k = 0; k < n && !t->err; k++) {
    uint8_t kind = rd_u8(t);
    uint32_t tag = kind < 2 ? rd_u32(t) : 0, label = rd_u32(t);
    if (t->err) return;
    if (kind > 3 || (kind < 2 && (tag >= m->ntags || m->tags[tag] >= m->ntypes))) {
      fail(t, LAT_EMALFORMED);
      return;
    }
    ctrl_t *c = ctrl_at(t, label);
    lat__handler_t *h = &t->pend[t->npend++];
    memset(h, 0, sizeof *h);
    h->kind = kind;
    h->tag = tag;
    h->stub = (uint32_t)t->len;
    if (c->kind == C_FUNC) { /* a return; results go to slots 0.. */
      h->dst = 0;
      if (c->nresults == 1 && c->rtypes[0] != LAT_V128) {
        uint8_t *p = emit(t, LAT_OP_ret1, 16);
        put32(p + 8, 0);
      } else {
        emit(t, LAT_OP_ret, 8);
      }
    } else {
      h->dst = c->base;
      size_t bat = t->len;
      emit(t, c->kind == C_LOOP ? LAT_OP_br_back : LAT_OP_br, 16);
      link(t, c, bat, bat + 12);
    }
  }
  if (t->err) return;
  put32(t->code + skip_at + 12, (uint32_t)(t->len - skip_at));
  barrier(t);
  enter_block(t, C_BLOCK, np, pt, nr, rt);
  if (t->err) return;
  ctrl_t *c = &t->cs[t->csp - 1];
  c->is_try = true;
  c->try_start = (uint32_t)t->len;
  c->try_n = t->npend - first;
}

static void translate_op(tr_t *t, uint8_t op) {
  lat_wasm_module_t *m = t->m;
  switch (op) {
    case 0x00:
      emit(t, LAT_OP_unreachable, 8);
      mark_unreachable(t);
      break;
    case 0x01: break;
    case 0x02: case 0x03: {
      uint32_t np, nr;
      const uint8_t *pt, *rt;
      read_blocktype(t, &np, &pt, &nr, &rt);
      if (t->err) return;
      enter_block(t, op == 0x02 ? C_BLOCK : C_LOOP, np, pt, nr, rt);
      if (op == 0x03) barrier(t);
      break;
    }
    case 0x04: do_if(t); break;
    case 0x05: do_else(t); break;
    case 0x0b: do_end(t); break;
    case 0x0c: do_br(t, rd_u32(t)); break;
    case 0x0d: do_br_if(t, rd_u32(t)); break;
    case 0x0e: do_br_table(t); break;
    case 0x0f:
      emit_return(t);
      mark_unreachable(t);
      break;
    case 0x10: {
      uint32_t f = rd_u32(t);
      if (t->err) return;
      if (f >= m->nfuncs || m->funcs[f].type_idx >= m->ntypes) {
        fail(t, LAT_EMALFORMED);
        return;
      }
      do_call(t, &m->types[m->funcs[f].type_idx],
              f < m->nfunc_imports ? LAT_OP_call_import : LAT_OP_call, f, 0,
              false);
      break;
    }
    case 0x11: {
      uint32_t ty = rd_u32(t), tab = rd_u32(t);
      if (t->err) return;
      if (ty >= m->ntypes) {
        fail(t, LAT_EMALFORMED);
        return;
      }
      do_call(t, &m->types[ty], LAT_OP_call_indirect, ty, tab, true);
      break;
    }
    case 0x12: { /* return_call */
      uint32_t f = rd_u32(t);
      if (t->err) return;
      if (f >= m->nfuncs || m->funcs[f].type_idx >= m->ntypes) {
        fail(t, LAT_EMALFORMED);
        return;
      }
      /* a host function cannot recurse without re-entering through the
       * host (bounded there): an import is an ordinary call and return */
      const lat_wasm_functype_t *ft = &m->types[m->funcs[f].type_idx];
      if (f < m->nfunc_imports) {
        do_call(t, ft, LAT_OP_call_import, f, 0, false);
        emit_return(t);
      } else {
        do_call(t, ft, LAT_OP_tail_call, f, 0, false);
      }
      mark_unreachable(t);
      break;
    }
    case 0x13: { /* return_call_indirect */
      uint32_t ty = rd_u32(t), tab = rd_u32(t);
      if (t->err) return;
      if (ty >= m->ntypes) {
        fail(t, LAT_EMALFORMED);
        return;
      }
      /* tail_call_indirect replaces this frame when the target is a wasm
       * function; a host function is called normally and execution goes on
       * after the instruction, where the return is */
      do_call(t, &m->types[ty], LAT_OP_tail_call_indirect, ty, tab, true);
      emit_return(t);
      mark_unreachable(t);
      break;
    }
    case 0x08: { /* throw: the payload is the tag's params, like call args */
      uint32_t x = rd_u32(t);
      if (t->err) return;
      if (x >= m->ntags || m->tags[x] >= m->ntypes) {
        fail(t, LAT_EMALFORMED);
        return;
      }
      const lat_wasm_functype_t *tt = &m->types[m->tags[x]];
      uint32_t np = tt->nparams;
      if (np > t->vsp) {
        fail(t, LAT_EMALFORMED);
        return;
      }
      for (uint32_t i = t->vsp - np; i < t->vsp; i++) materialize(t, i);
      uint32_t argslot = np ? t->vs[t->vsp - np].home : next_home(t);
      uint8_t *p = emit(t, LAT_OP_throw, 24);
      put32(p + 8, x);
      put32(p + 12, argslot);
      put32(p + 16, type_slot_count(tt->params, np));
      mark_unreachable(t);
      break;
    }
    case 0x0a: { /* throw_ref */
      vval_t e = pop(t);
      uint32_t se = use(t, &e); /* may emit the null constant: first */
      uint8_t *p = emit(t, LAT_OP_throw_ref, 16);
      put32(p + 8, se);
      mark_unreachable(t);
      break;
    }
    case 0x1f: do_try_table(t); break;
    case 0x1a: pop(t); break;
    case 0x1b: case 0x1c: {
      if (op == 0x1c) skip_imm(t, op);
      vval_t c = pop(t), b = pop(t), a = pop(t);
      if (a.type == LAT_V128) {
        simd_select(t, &a, &b, &c);
        return;
      }
      uint32_t sa = use(t, &a), sb = use(t, &b), sc = use(t, &c);
      size_t at = t->len;
      uint8_t *p = emit(t, LAT_OP_select, 24);
      put32(p + 8, a.home); put32(p + 12, sa); put32(p + 16, sb); put32(p + 20, sc);
      push_slot(t, a.type);
      set_result(t, at + 8);
      break;
    }
    case 0x20: push_local(t, rd_u32(t)); break;
    case 0x21: do_local_set(t, rd_u32(t), false); break;
    case 0x22: do_local_set(t, rd_u32(t), true); break;
    case 0x23: {
      uint32_t g = rd_u32(t);
      if (t->err) return;
      if (g >= m->nglobals) {
        fail(t, LAT_EMALFORMED);
        return;
      }
      if (m->globals[g].type.type == LAT_V128) {
        simd_global_get(t, g);
        return;
      }
      uint32_t d = next_home(t);
      size_t at = t->len;
      uint8_t *p = emit(t, LAT_OP_global_get, 16);
      put32(p + 8, d);
      put32(p + 12, g);
      push_slot(t, m->globals[g].type.type);
      set_result(t, at + 8);
      break;
    }
    case 0x24: {
      uint32_t g = rd_u32(t);
      vval_t v = pop(t);
      if (v.type == LAT_V128) {
        simd_global_set(t, &v, g);
        return;
      }
      uint32_t sv = use(t, &v);
      uint8_t *p = emit(t, LAT_OP_global_set, 16);
      put32(p + 8, sv);
      put32(p + 12, g);
      break;
    }
    case 0x25: {
      uint32_t tab = rd_u32(t);
      if (t->err) return;
      if (tab >= m->ntables) {
        fail(t, LAT_EMALFORMED);
        return;
      }
      if (tab64(t, tab)) guard64(t, 1, 0, 0, LAT_TRAP_TABLE_OOB);
      vval_t i = pop(t);
      uint32_t si = use(t, &i);
      size_t at = t->len;
      uint8_t *p = emit(t, LAT_OP_table_get, 24);
      put32(p + 8, i.home); put32(p + 12, si); put32(p + 16, tab);
      push_slot(t, m->tables[tab].elem);
      set_result(t, at + 8);
      break;
    }
    case 0x26: {
      uint32_t tab = rd_u32(t);
      if (tab64(t, tab)) guard64(t, 2, 0, 0, LAT_TRAP_TABLE_OOB);
      vval_t v = pop(t), i = pop(t);
      uint32_t si = use(t, &i), sv = use(t, &v);
      uint8_t *p = emit(t, LAT_OP_table_set, 24);
      put32(p + 8, si); put32(p + 12, sv); put32(p + 16, tab);
      break;
    }
    case 0x28: do_load(t, LAT_OP_load32, LAT_I32); break;
    case 0x29: do_load(t, LAT_OP_load64, LAT_I64); break;
    case 0x2a: do_load(t, LAT_OP_load32, LAT_F32); break;
    case 0x2b: do_load(t, LAT_OP_load64, LAT_F64); break;
    case 0x2c: do_load(t, LAT_OP_load8_s32, LAT_I32); break;
    case 0x2d: do_load(t, LAT_OP_load8_u, LAT_I32); break;
    case 0x2e: do_load(t, LAT_OP_load16_s32, LAT_I32); break;
    case 0x2f: do_load(t, LAT_OP_load16_u, LAT_I32); break;
    case 0x30: do_load(t, LAT_OP_load8_s64, LAT_I64); break;
    case 0x31: do_load(t, LAT_OP_load8_u, LAT_I64); break;
    case 0x32: do_load(t, LAT_OP_load16_s64, LAT_I64); break;
    case 0x33: do_load(t, LAT_OP_load16_u, LAT_I64); break;
    case 0x34: do_load(t, LAT_OP_load32_s64, LAT_I64); break;
    case 0x35: do_load(t, LAT_OP_load32, LAT_I64); break;
    case 0x36: do_store(t, LAT_OP_store32); break;
    case 0x37: do_store(t, LAT_OP_store64); break;
    case 0x38: do_store(t, LAT_OP_store32); break;
    case 0x39: do_store(t, LAT_OP_store64); break;
    case 0x3a: do_store(t, LAT_OP_store8); break;
    case 0x3b: do_store(t, LAT_OP_store16); break;
    case 0x3c: do_store(t, LAT_OP_store8); break;
    case 0x3d: do_store(t, LAT_OP_store16); break;
    case 0x3e: do_store(t, LAT_OP_store32); break;
    case 0x3f: {
      uint32_t mem = mem_begin(t, rd_u32(t));
      uint32_t d = next_home(t);
      size_t at = t->len;
      uint8_t *p = emit(t, LAT_OP_memory_size, 16);
      put32(p + 8, d);
      push_slot(t, mem64(t, mem) ? LAT_I64 : LAT_I32);
      set_result(t, at + 8);
      mem_end(t, mem);
      break;
    }
    case 0x40: { /* names its memory: it may grow memory 0 under a bracket */
      uint32_t mem = rd_u32(t);
      vval_t n = pop(t);
      uint32_t sn = use(t, &n);
      size_t at = t->len;
      uint8_t *p = emit(t, LAT_OP_memory_grow, 24);
      put32(p + 8, n.home);
      put32(p + 12, sn);
      put32(p + 16, mem);
      put32(p + 20, mem64(t, mem));
      push_slot(t, mem64(t, mem) ? LAT_I64 : LAT_I32);
      set_result(t, at + 8);
      break;
    }
    case 0x41: {
      int32_t v = 0;
      if (lat_read_s32(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
      push_const(t, LAT_I32, (uint32_t)v);
      break;
    }
    case 0x42: {
      int64_t v = 0;
      if (lat_read_s64(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
      push_const(t, LAT_I64, (uint64_t)v);
      break;
    }
    case 0x43: {
      uint32_t v = 0;
      if (lat_read_f32(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
      push_const(t, LAT_F32, v);
      break;
    }
    case 0x44: {
      uint64_t v = 0;
      if (lat_read_f64(&t->r, &v, NULL)) fail(t, LAT_EMALFORMED);
      push_const(t, LAT_F64, v);
      break;
    }
    case 0x8b: bitop_const(t, 0x71, 0x7fffffffu); break; /* f32.abs */
    case 0x8c: bitop_const(t, 0x73, 0x80000000u); break; /* f32.neg */
    case 0x99: bitop_const(t, 0x83, 0x7fffffffffffffffull); break;
    case 0x9a: bitop_const(t, 0x85, 0x8000000000000000ull); break;
    case 0xd0: {
      uint8_t ty = rd_u8(t);
      push_const(t, ty, 0);
      break;
    }
    case 0xd1: do_unop(t, &(unop_t){LAT_OP_i64_eqz, LAT_I32}, true); break;
    case 0xd2: {
      uint32_t f = rd_u32(t);
      uint32_t d = next_home(t);
      size_t at = t->len;
      uint8_t *p = emit(t, LAT_OP_ref_func, 16);
      put32(p + 8, d);
      put32(p + 12, f);
      push_slot(t, LAT_FUNCREF);
      set_result(t, at + 8);
      break;
    }
    case 0xfc: do_fc(t); break;
    case 0xfd: do_simd(t); break;
    default:
      if (binops[op].op) {
        do_binop(t, &binops[op]);
      } else if (unops[op].op || unops[op].rtype) {
        do_unop(t, &unops[op], op == 0x50);
      } else {
        fail(t, LAT_EMALFORMED);
      }
      break;
  }
}

static lat_status translate(lat_wasm_module_t *m, uint32_t fidx,
                            lat__code_t **out) {
  tr_t tr;
  tr_t *t = &tr;
  memset(t, 0, sizeof *t);
  t->m = m;
  t->labels = lat__wasm_exec_labels();
  barrier(t);
  lat__func_t *def = &m->funcs[fidx];
  const lat_wasm_functype_t *ft = &m->types[def->type_idx];
  lat__code_t *code = NULL;

  /* locals: params then declared runs */
  uint64_t nl = (uint64_t)ft->nparams + def->nlocals;
  if (nl > LAT_MAX_LOCALS + (uint64_t)LAT_MAX_PARAMS) {
    t->err = LAT_ELIMIT;
    goto out;
  }
  t->nlocals = (uint32_t)nl;
  t->local_type = lat_malloc(nl ? nl : 1);
  t->local_slot = lat_calloc(nl ? nl : 1, sizeof *t->local_slot);
  t->local_refs = lat_calloc(nl ? nl : 1, sizeof *t->local_refs);
  t->local_dirty = lat_calloc(nl ? nl : 1, 1);
  t->nparams = ft->nparams;
  if (!t->local_type || !t->local_slot || !t->local_refs || !t->local_dirty) {
    t->err = LAT_ENOMEM;
    goto out;
  }
  uint32_t li = 0, slot = 0;
  for (uint32_t i = 0; i < ft->nparams; i++, li++) {
    t->local_type[li] = ft->params[i];
    t->local_slot[li] = slot;
    slot += lat__slot_width(ft->params[i]);
  }
  t->param_slots = slot;
  for (uint32_t r = 0; r < def->nlocal_runs; r++) {
    for (uint32_t j = 0; j < def->local_runs[r].count && li < nl; j++, li++) {
      t->local_type[li] = def->local_runs[r].type;
      t->local_slot[li] = slot;
      slot += lat__slot_width(def->local_runs[r].type);
    }
  }
  t->locals_end = slot;
  for (uint32_t i = 0; i < ft->nresults; i++)
    t->result_slots += lat__slot_width(ft->results[i]);
  t->max_slots = slot > t->result_slots ? slot : t->result_slots;

  /* the function's own block */
  if (!grow((void **)&t->cs, &t->ccap, 1, sizeof *t->cs)) {
    t->err = LAT_ENOMEM;
    goto out;
  }
  memset(&t->cs[0], 0, sizeof t->cs[0]);
  t->cs[0].kind = C_FUNC;
  t->cs[0].base = t->locals_end;
  t->cs[0].nresults = ft->nresults;
  t->cs[0].rtypes = ft->results;
  t->cs[0].fixups = -1;
  t->cs[0].else_fix = -1;
  t->csp = 1;
  t->prefix = true;

  t->r.base = m->bytes;
  t->r.p = m->bytes + def->code_off;
  t->r.end = m->bytes + def->body.off + def->body.len;
  if (def->code_off < def->body.off || t->r.p > t->r.end) {
    t->err = LAT_EMALFORMED;
    goto out;
  }

  while (t->csp && !t->err) {
    uint8_t op;
    if (lat_read_u8(&t->r, &op, NULL)) {
      t->err = LAT_EMALFORMED;
      break;
    }
    if (t->cs[t->csp - 1].unreachable) {
      if (op == 0x02 || op == 0x03 || op == 0x04 || op == 0x1f) {
        int64_t bt;
        if (lat_read_s33(&t->r, &bt, NULL)) t->err = LAT_EMALFORMED;
        if (op == 0x1f) { /* try_table's catch clauses */
          uint32_t n = rd_u32(t);
          for (uint32_t k = 0; k < n && !t->err; k++) {
            if (rd_u8(t) < 2) rd_u32(t);
            rd_u32(t);
          }
        }
        t->dead_depth++;
        continue;
      }
      if (op == 0x0b && t->dead_depth) {
        t->dead_depth--;
        continue;
      }
      if (op == 0x05 && t->dead_depth) continue;
      if (op != 0x0b && op != 0x05) {
        skip_imm(t, op);
        continue;
      }
    }
    translate_op(t, op);
  }
  if (t->err) goto out;

  size_t bytes = sizeof *code + t->len + (size_t)t->nhs * sizeof *t->hs;
  code = lat_malloc(bytes);
  if (!code) {
    t->err = LAT_ENOMEM;
    goto out;
  }
  code->nhandlers = t->nhs;
  code->handlers = NULL;
  if (t->nhs) { /* after the code, which is a multiple of 8 bytes */
    lat__handler_t *h = (lat__handler_t *)((uint8_t *)code->code + t->len);
    memcpy(h, t->hs, (size_t)t->nhs * sizeof *h);
    code->handlers = h;
  }
  code->frame_slots = t->max_slots;
  code->param_slots = t->param_slots;
  code->local_slots = t->locals_end - t->param_slots;
  code->result_slots = t->result_slots;
  code->size = t->len;
  memcpy(code->code, t->code, t->len);
  *out = code;
out:
  lat_free(t->code);
  lat_free(t->local_type);
  lat_free(t->local_slot);
  lat_free(t->local_refs);
  lat_free(t->local_dirty);
  lat_free(t->vs);
  lat_free(t->cs);
  lat_free(t->fx);
  lat_free(t->pend);
  lat_free(t->hs);
  return t->err;
}

lat_status lat__wasm_translate(lat_wasm_module_t *m, uint32_t fidx,
                               const lat__code_t **out) {
  if (fidx >= m->nfuncs || m->funcs[fidx].imported) return LAT_EARG;
  lat__func_t *def = &m->funcs[fidx];
  const lat__code_t *c = atomic_load_explicit(&def->code, memory_order_acquire);
  if (c) {
    *out = c;
    return LAT_OK;
  }
  lat_status st = LAT_OK;
  pthread_mutex_lock(&m->translate_lock);
  c = atomic_load_explicit(&def->code, memory_order_relaxed);
  if (!c) {
    lat__code_t *nc = NULL;
    st = translate(m, fidx, &nc);
    if (!st) {
      atomic_store_explicit(&def->code, nc, memory_order_release);
      c = nc;
    }
  }
  pthread_mutex_unlock(&m->translate_lock);
  if (!st) *out = c;
  return st;
}

void lat__wasm_exec_free(lat_wasm_module_t *m) {
  if (!m || !m->funcs) return;
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    void *c = atomic_load_explicit(&m->funcs[i].code, memory_order_relaxed);
    lat_free(c);
    atomic_store_explicit(&m->funcs[i].code, NULL, memory_order_relaxed);
  }
}
