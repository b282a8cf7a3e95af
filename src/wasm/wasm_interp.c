/* wasm_interp.c: runs translated code (wasm_exec.h) with direct threading.
 *
 * Approach.  One function, run(), holds every handler as a label; each
 * instruction begins with its handler's address and each handler ends with
 * `goto *next` (computed goto), so every handler has its own indirect jump
 * and the branch predictor learns per-handler successors.  The label table
 * is a static const array inside run(); the translator obtains it by
 * calling run() in "labels" mode, so there is no global mutable state.
 * The VM registers are run()'s locals: pc, fp (frame base in the value
 * stack), acc (the last single result, wasm_exec.h), mb/ms (memory 0 base
 * and size, reloaded after anything that can grow memory: returns,
 * memory.grow, host calls; another memory's for the one op between
 * mem_select and mem_restore), inst and the countdown `cd`.  Handlers are
 * 5-8 machine instructions (gcc keeps pc, fp and acc in registers).
 *
 * Calls never recurse on the C stack for wasm->wasm: the callee's frame
 * starts at the caller's argument slots (no copying), and a 24-byte record
 * (return pc, caller fp, instance) is pushed at the *top* end of the
 * store's value stack, growing down towards the frames, so a single mapping
 * bounds both and "call stack exhausted" is a plain pointer comparison; the
 * call depth is the number of records, checked against a limit pointer.
 * Host functions are called with a pointer to their argument slots; a host
 * function that calls back into wasm re-enters lat__wasm_call, which places
 * the new frames above the current ones (store->exec_sp / exec_frames) and
 * counts C-level nesting (exec_nest) so that recursion through the host is
 * bounded too.  A tail call (tail_call, tail_call_indirect) pushes no
 * record: it moves the arguments down to the frame's slot 0 and runs the
 * callee in the same frame, so its return goes straight to our caller and
 * endless tail recursion runs in constant stack.
 *
 * Invariants.  i32 and f32 values are zero-extended in their slot, so
 * i64.extend_i32_u and the reinterprets are free and br_if can test the
 * whole slot.  Every memory access is bounds-checked in 64-bit arithmetic
 * (address + offset + size <= size); nothing is trusted from the guest.
 * Traps set store->trap and return LAT_TRAP; nothing longjmps.
 *
 * Backtraces cost nothing until a trap: the frame records already say where
 * each caller continues, so the trap path (record_frames) walks them and
 * maps each pc to the function whose code contains it.  A LAT_TRAP coming
 * back from a host function appends the frames below it, so a trap under
 * host re-entry shows the inner run's frames and then the outer run's.
 *
 * Exceptions.  throw allocates the exception in the store (lat__exn_t,
 * freed with it) and unwinds: for the frame at pc, then each caller (at its
 * return address - 1, inside the call), find_handler looks for a catch
 * clause of that function's code covering the pc (wasm_exec.h
 * lat__handler_t); the first match gets the payload in its label's slots
 * and execution goes on at the clause's stub.  Nothing is pushed or checked
 * on the call path, so code that never throws pays nothing; a throw pays a
 * linear search per frame (func_at), the same as a trap's backtrace.  An
 * exception that leaves the run is LAT_TRAP_EXCEPTION with s->exn set; a
 * run that called the host that ran it goes on unwinding from that call.
 *
 * Interruption.  Backward branches, br_table and calls decrement `cd`; when
 * it goes negative, refill() checks the interrupt flag, the deadline
 * (coarse clock, ~4 ms grain) and fuel, and starts a new batch of
 * CHECK_INTERVAL events (fuel is reserved a batch at a time and the unused
 * part refunded on exit, so fuel counts exactly).
 *
 * Tiers.  lat__wasm_call is the one entry from outside (API calls, host
 * re-entry, the start function); a module with a compiled tier attached
 * (src/aot, wasm_int.h lat__wasm_tier_t) is handed over there, so run()
 * itself has no tier check and calls it makes stay interpreted.
 *
 * Rejected: a switch loop (one shared indirect branch, ~2x slower);
 * tail-called handler functions (need musttail, which gcc 12 lacks);
 * guard-page bounds checks (need a signal handler and a non-local exit,
 * ruled out by CONVENTIONS.md); recursion on the C stack per wasm call
 * (unbounded native stack use under guest control).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wasm_exec.h"

#define CHECK_INTERVAL 4096
#define MAX_HOST_NEST LAT__MAX_HOST_NEST

static const lat_wasm_memory_t no_memory; /* for modules without memory */

static inline const lat_wasm_memory_t *inst_mem(const lat_wasm_instance_t *i) {
  return i->module->nmems ? i->mems[0] : &no_memory;
}

/* ---- operand access ------------------------------------------------------- */

static inline uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint64_t rd64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline void *rdptr(const uint8_t *p) {
  void *v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline float f32_of(uint64_t s) {
  uint32_t b = (uint32_t)s;
  float f;
  memcpy(&f, &b, 4);
  return f;
}
static inline uint64_t f32_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
static inline double f64_of(uint64_t s) {
  double d;
  memcpy(&d, &s, 8);
  return d;
}
static inline uint64_t f64_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}

/* ---- numeric helpers (spec semantics) ------------------------------------ */

static inline float f32_min(float a, float b) {
  if (a != a || b != b) return a + b; /* a NaN, quieted */
  if (a == b) return signbit(a) ? a : b; /* -0 < +0 */
  return a < b ? a : b;
}
static inline float f32_max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline double f64_min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double f64_max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}

static inline uint32_t rotl32(uint32_t x, uint32_t n) {
  n &= 31;
  return (x << n) | (x >> ((32 - n) & 31));
}
static inline uint32_t rotr32(uint32_t x, uint32_t n) {
  n &= 31;
  return (x >> n) | (x << ((32 - n) & 31));
}
static inline uint64_t rotl64(uint64_t x, uint64_t n) {
  n &= 63;
  return (x << n) | (x >> ((64 - n) & 63));
}
static inline uint64_t rotr64(uint64_t x, uint64_t n) {
  n &= 63;
  return (x >> n) | (x << ((64 - n) & 63));
}

/* Trapping float->int truncation: 0 = ok, else the trap.  The bounds are
 * exact doubles (every f32 converts to double exactly). */
static inline lat_wasm_trap_t trunc_check(double x, double lo, double hi) {
  if (x != x) return LAT_TRAP_INVALID_CONVERSION;
  if (!(x > lo && x < hi)) return LAT_TRAP_INT_OVERFLOW;
  return LAT_TRAP_NONE;
}
#define I32_LO (-2147483649.0)
#define I32_HI 2147483648.0
#define U32_HI 4294967296.0
#define I64_HI 9223372036854775808.0
#define U64_HI 18446744073709551616.0

static inline uint64_t sat_i32_s(double x) {
  if (x != x) return 0;
  if (x <= -2147483648.0) return (uint32_t)INT32_MIN;
  if (x >= I32_HI) return (uint32_t)INT32_MAX;
  return (uint32_t)(int32_t)x;
}
static inline uint64_t sat_i32_u(double x) {
  if (x != x || x <= -1.0) return 0;
  if (x >= U32_HI) return UINT32_MAX;
  return (uint32_t)x;
}
static inline uint64_t sat_i64_s(double x) {
  if (x != x) return 0;
  if (x < -I64_HI) return (uint64_t)INT64_MIN;
  if (x >= I64_HI) return (uint64_t)INT64_MAX;
  return (uint64_t)(int64_t)x;
}
static inline uint64_t sat_i64_u(double x) {
  if (x != x || x <= -1.0) return 0;
  if (x >= U64_HI) return UINT64_MAX;
  return (uint64_t)x;
}

/* ---- limits ---------------------------------------------------------------- */

/* Called when the countdown ran out: checks interrupt, deadline and fuel
 * and starts a new batch.  Returns a trap or LAT_TRAP_NONE. */
static lat_wasm_trap_t refill(lat_wasm_store_t *s, int32_t *cd) {
  if (atomic_load_explicit(&s->interrupt, memory_order_relaxed)) {
    atomic_store_explicit(&s->interrupt, false, memory_order_relaxed);
    *cd = 0;
    return LAT_TRAP_INTERRUPTED;
  }
  if (s->deadline_ns && lat_now_coarse_ns() >= s->deadline_ns) {
    *cd = 0;
    return LAT_TRAP_DEADLINE;
  }
  int32_t batch = CHECK_INTERVAL;
  if (s->fuel_enabled) {
    if (s->fuel == 0) {
      *cd = 0;
      return LAT_TRAP_OUT_OF_FUEL;
    }
    if (s->fuel < (uint64_t)batch) batch = (int32_t)s->fuel;
    s->fuel -= (uint64_t)batch;
  }
  *cd = batch - 1; /* this event is the batch's first */
  return LAT_TRAP_NONE;
}

/* Puts the countdown back into the store (fuel: refund the unused part). */
static void save_countdown(lat_wasm_store_t *s, int32_t cd) {
  if (s->fuel_enabled) {
    if (cd > 0) s->fuel += (uint64_t)cd;
    s->check_countdown = 0;
  } else {
    s->check_countdown = cd > 0 ? cd : 0;
  }
}

static int32_t load_countdown(const lat_wasm_store_t *s) {
  return s->fuel_enabled ? 0 : s->check_countdown;
}

/* the same three for the compiled tier (wasm_int.h) */
lat_wasm_trap_t lat__wasm_refill(lat_wasm_store_t *s, int32_t *cd) {
  return refill(s, cd);
}
void lat__wasm_countdown_save(lat_wasm_store_t *s, int32_t cd) {
  save_countdown(s, cd);
}
int32_t lat__wasm_countdown_load(const lat_wasm_store_t *s) {
  return load_countdown(s);
}

/* ---- segment helpers ----------------------------------------------------------- */

static lat_status elem_item(lat_wasm_instance_t *inst, const lat__elem_t *e,
                            uint64_t k, void **out) {
  if (!e->is_expr) {
    *out = inst->funcs[e->func_idx[k]];
    return LAT_OK;
  }
  uint64_t v[2] = {0, 0};
  lat_status st = lat__wasm_eval_const(inst, e->exprs[k], v);
  *out = (void *)(uintptr_t)v[0];
  return st;
}

/* Zeroes a frame's declared locals.  Written so that gcc does not turn it
 * into a memset call (a call in the middle of the interpreter makes it
 * spill its registers around every wasm call). */
static inline void zero_locals(uint64_t *l, uint32_t n) {
  for (; n >= 2; n -= 2) {
    l[0] = 0;
    l[1] = 0;
    l += 2;
    __asm__("" : "+r"(l));
  }
  if (n) l[0] = 0;
}

static unsigned type_slots(const uint8_t *types, uint32_t n) {
  unsigned k = 0;
  for (uint32_t i = 0; i < n; i++) k += lat__slot_width(types[i]);
  return k;
}

/* ---- backtraces (the trap path only) ------------------------------------- */

/* The function of module m whose translated code contains pc, or UINT32_MAX.
 * A linear search: it runs only when a trap is recorded, and keeping a map
 * from code to function would cost every translation.  The end is
 * inclusive (a return address may follow a function's last instruction);
 * no other block's code can start there, as every block has a header. */
static uint32_t func_at(const lat_wasm_module_t *m, const uint8_t *pc) {
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
    const lat__code_t *c =
        atomic_load_explicit(&m->funcs[f].code, memory_order_acquire);
    if (c && pc >= (const uint8_t *)c->code &&
        pc <= (const uint8_t *)c->code + c->size)
      return f;
  }
  return UINT32_MAX;
}

/* The first handler of the function running at pc in inst that catches
 * exn (wasm_exec.h: the innermost try_table's clauses come first), with
 * that function's code in *out_code; NULL if none.  Cold, like the trap
 * path: found by func_at's linear search, so a throw costs nothing until
 * it happens and the call path carries no handler state. */
static __attribute__((noinline, cold)) const lat__handler_t *find_handler(
    const lat_wasm_instance_t *inst, const uint8_t *pc, const lat__exn_t *exn,
    const lat__code_t **out_code) {
  const lat_wasm_module_t *m = inst->module;
  uint32_t f = func_at(m, pc);
  if (f == UINT32_MAX) return NULL;
  const lat__code_t *c = atomic_load_explicit(&m->funcs[f].code, memory_order_acquire);
  size_t off = (size_t)(pc - (const uint8_t *)c->code);
  for (uint32_t i = 0; i < c->nhandlers; i++) {
    const lat__handler_t *h = &c->handlers[i];
    if (off < h->start || off >= h->end) continue;
    if (h->kind >= 2 || inst->tags[h->tag] == exn->tag) {
      *out_code = c;
      return h;
    }
  }
  return NULL;
}

/* Appends one run's frames to the store's backtrace: the frame running at
 * pc in inst (none when pc is NULL: the run trapped before its first
 * instruction), then the callers in the records fr..fr_base.  Kept out of
 * line and cold so the interpreter's registers are not disturbed. */
static __attribute__((noinline, cold)) void record_frames(
    lat_wasm_store_t *s, lat_wasm_instance_t *inst, const uint8_t *pc,
    const lat__frame_t *fr, const lat__frame_t *fr_base) {
  for (;;) {
    if (s->nbt >= LAT_WASM_BACKTRACE_MAX) return;
    if (pc) {
      uint32_t f = func_at(inst->module, pc);
      if (f != UINT32_MAX) s->bt[s->nbt++] = (lat_wasm_frame_t){inst, f};
    }
    if (fr >= fr_base) return;
    inst = fr->inst;
    pc = fr->pc;
    fr++;
  }
}

/* ---- the interpreter -------------------------------------------------------------- */

#define DISPATCH() goto *rdptr(pc)
#define NEXT(n)  \
  do {           \
    pc += (n);   \
    DISPATCH();  \
  } while (0)
#define TRAP(code)        \
  do {                    \
    trap_code = (code);   \
    goto trap;            \
  } while (0)
#define OPD(o) rd32(pc + (o))
#define SL(o) fp[OPD(o)]
/* call_indirect and return_call_indirect: fn = element SL(16) of table
 * OPD(12), of type OPD(8); traps (undefined, uninitialized, mismatch)
 * otherwise.  The reference interpreter names the index; scripts check it. */
#define INDIRECT_TARGET()                                                      \
  do {                                                                         \
    const lat_wasm_table_t *tab_ = inst->tables[OPD(12)];                      \
    uint32_t i_ = (uint32_t)SL(16);                                            \
    if (UNLIKELY(i_ >= tab_->size)) TRAP(LAT_TRAP_UNDEFINED_ELEMENT);          \
    fn = tab_->elems[i_];                                                      \
    if (UNLIKELY(!fn)) {                                                       \
      snprintf(s->trap_msg, sizeof s->trap_msg, "uninitialized element %u", i_); \
      TRAP(LAT_TRAP_UNINITIALIZED_ELEMENT);                                    \
    }                                                                          \
    const lat_wasm_functype_t *want_ = &inst->module->types[OPD(8)];           \
    if (fn->type != want_ && !lat__functype_eq(fn->type, want_))               \
      TRAP(LAT_TRAP_INDIRECT_MISMATCH);                                        \
  } while (0)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
/* a taken backward branch: count it */
#define BACKEDGE()                      \
  do {                                  \
    if (UNLIKELY(--cd < 0)) goto check; \
    DISPATCH();                         \
  } while (0)

static lat_status run(lat_wasm_store_t *s, lat_wasm_instance_t *inst0,
                      const lat__code_t *code0, uint64_t *fp0,
                      lat__frame_t *fr_base, const void *const **out_labels) {
#define LAT_X_LABEL(name) &&L_##name,
  static const void *const labels[LAT_OP_COUNT] = {LAT_EXEC_OPS(LAT_X_LABEL)};
#undef LAT_X_LABEL
  if (out_labels) {
    *out_labels = labels;
    return LAT_OK;
  }

  lat_wasm_instance_t *inst = inst0;
  const lat_wasm_memory_t *mem = inst_mem(inst);
  uint8_t *mb = mem->base;
  uint64_t ms = mem->size;
  lat__func_t *mfuncs = inst->module->funcs;
  uint64_t *fp = fp0;
  const uint8_t *pc = NULL;
  lat__frame_t *fr = fr_base;
  /* call depth = depth0 + 1 + records in use; the limit is a pointer */
  const uint32_t depth0 = s->depth;
  uintptr_t fr_limit = (uintptr_t)s->stack;
  int32_t cd = load_countdown(s);
  uint64_t acc = 0; /* the accumulator: last single result (wasm_exec.h) */
  lat_wasm_trap_t trap_code = LAT_TRAP_NONE;
  lat__exn_t *exn = NULL; /* the exception being thrown (unwind) */
  unsigned adj = 0;       /* unwind: 1 when pc is a return address */
  lat_status status = LAT_OK;

  /* call state shared by the slower call paths */
  const lat__code_t *callee = code0;
  lat_wasm_instance_t *ninst = inst;
  lat_wasm_func_t *fn = NULL;
  uint64_t *nfp = fp0;
  const uint8_t *ret_pc = NULL;

  /* the entry frame (no record: returning from it ends the run) */
  if (depth0 >= s->limits.max_call_depth) TRAP(LAT_TRAP_STACK_EXHAUSTED);
  {
    uint64_t records = s->limits.max_call_depth - depth0 - 1;
    uintptr_t room = (uintptr_t)fr_base - (uintptr_t)s->stack;
    if (records < room / sizeof(lat__frame_t))
      fr_limit = (uintptr_t)fr_base - (uintptr_t)records * sizeof(lat__frame_t);
  }
  zero_locals(fp + callee->param_slots, callee->local_slots);
  pc = (const uint8_t *)callee->code;
  if (--cd < 0) goto check;
  DISPATCH();

  /* ---- control ---- */
L_unreachable:
  TRAP(LAT_TRAP_UNREACHABLE);
L_copy:
  SL(8) = SL(12);
  NEXT(16);
L_copy2: {
  uint64_t *d = &SL(8), *a = &SL(12);
  uint64_t lo = a[0], hi = a[1];
  d[0] = lo;
  d[1] = hi;
  NEXT(16);
}
L_const32:
  SL(8) = OPD(12);
  NEXT(16);
L_const64:
  SL(8) = rd64(pc + 16);
  NEXT(24);
L_br:
  pc += (int32_t)OPD(12);
  DISPATCH();
L_br_back:
  pc += (int32_t)OPD(12);
  BACKEDGE();
L_br_if:
  if (SL(8)) {
    pc += (int32_t)OPD(12);
    DISPATCH();
  }
  NEXT(16);
L_br_if_back:
  if (SL(8)) {
    pc += (int32_t)OPD(12);
    BACKEDGE();
  }
  NEXT(16);
L_br_unless:
  if (!SL(8)) {
    pc += (int32_t)OPD(12);
    DISPATCH();
  }
  NEXT(16);
L_br_unless_back:
  if (!SL(8)) {
    pc += (int32_t)OPD(12);
    BACKEDGE();
  }
  NEXT(16);
L_br_if_a:
  if (acc) {
    pc += (int32_t)OPD(12);
    DISPATCH();
  }
  NEXT(16);
L_br_if_a_back:
  if (acc) {
    pc += (int32_t)OPD(12);
    BACKEDGE();
  }
  NEXT(16);
L_br_unless_a:
  if (!acc) {
    pc += (int32_t)OPD(12);
    DISPATCH();
  }
  NEXT(16);
L_br_unless_a_back:
  if (!acc) {
    pc += (int32_t)OPD(12);
    BACKEDGE();
  }
  NEXT(16);
L_br_table: {
  uint32_t i = (uint32_t)SL(8), n = OPD(12);
  if (i > n) i = n;
  pc += (int32_t)rd32(pc + 16 + 4 * (size_t)i);
  BACKEDGE();
}
L_ret1: /* one result: also left in acc for the caller's next op */
  acc = SL(8);
  fp[0] = acc;
  goto L_ret;
L_ret:
  if (fr == fr_base) {
    status = LAT_OK;
    goto done;
  }
  pc = fr->pc;
  fp = fr->fp;
  if (UNLIKELY(fr->inst != inst)) {
    inst = fr->inst;
    mfuncs = inst->module->funcs;
    mem = inst_mem(inst);
    mb = mem->base;
  }
  ms = mem->size; /* the callee may have grown it */
  fr++;
  DISPATCH();

L_call: { /* a function of this module: the fast path, all inline */
  uint32_t f = OPD(8);
  uint64_t *nf = fp + OPD(12);
  const lat__code_t *c = atomic_load_explicit(&mfuncs[f].code, memory_order_acquire);
  if (UNLIKELY(!c)) {
    status = lat__wasm_translate(inst->module, f, &callee);
    if (status) goto done;
    nfp = nf;
    ret_pc = pc + 16;
    ninst = inst;
    goto enter;
  }
  lat__frame_t *nfr = fr - 1;
  if (UNLIKELY((uintptr_t)nfr < fr_limit ||
               (uintptr_t)nf + (uintptr_t)c->frame_slots * 8 > (uintptr_t)nfr))
    TRAP(LAT_TRAP_STACK_EXHAUSTED);
  nfr->pc = pc + 16;
  nfr->fp = fp;
  nfr->inst = inst;
  fr = nfr;
  fp = nf;
  zero_locals(fp + c->param_slots, c->local_slots);
  pc = (const uint8_t *)c->code;
  if (UNLIKELY(--cd < 0)) goto check;
  DISPATCH();
}
L_call_import:
  fn = inst->funcs[OPD(8)];
  nfp = fp + OPD(12);
  ret_pc = pc + 16;
  goto call_fn;
L_call_indirect: {
  INDIRECT_TARGET();
  nfp = fp + OPD(20);
  ret_pc = pc + 24;
  goto call_fn;
}

L_tail_call: { /* return_call of a function of this module */
  uint32_t f = OPD(8);
  nfp = fp + OPD(12);
  ninst = inst;
  callee = atomic_load_explicit(&mfuncs[f].code, memory_order_acquire);
  if (UNLIKELY(!callee)) {
    status = lat__wasm_translate(inst->module, f, &callee);
    if (status) goto done;
  }
  goto tail_enter;
}
L_tail_call_indirect: {
  INDIRECT_TARGET();
  nfp = fp + OPD(20);
  if (fn->host) { /* an ordinary call; the return follows this op */
    ret_pc = pc + 24;
    goto call_host;
  }
  ninst = fn->inst;
  callee = atomic_load_explicit(&fn->def->code, memory_order_acquire);
  if (UNLIKELY(!callee)) {
    status = lat__wasm_translate(ninst->module, fn->idx, &callee);
    if (status) goto done;
  }
  goto tail_enter;
}

tail_enter: /* callee, ninst, nfp (the arguments) set: reuse this frame */
  if (UNLIKELY((uintptr_t)fp + (uintptr_t)callee->frame_slots * 8 >
               (uintptr_t)fr))
    TRAP(LAT_TRAP_STACK_EXHAUSTED);
  for (uint32_t k = 0; k < callee->param_slots; k++) fp[k] = nfp[k];
  if (UNLIKELY(ninst != inst)) {
    inst = ninst;
    mfuncs = inst->module->funcs;
    mem = inst_mem(inst);
    mb = mem->base;
    ms = mem->size;
  }
  zero_locals(fp + callee->param_slots, callee->local_slots);
  pc = (const uint8_t *)callee->code;
  if (UNLIKELY(--cd < 0)) goto check;
  DISPATCH();

call_fn: /* fn, nfp, ret_pc set */
  if (fn->host) goto call_host;
  ninst = fn->inst;
  callee = atomic_load_explicit(&fn->def->code, memory_order_acquire);
  if (UNLIKELY(!callee)) {
    status = lat__wasm_translate(ninst->module, fn->idx, &callee);
    if (status) goto done;
  }
  goto enter;

enter: /* callee, ninst, nfp, ret_pc set: push the caller's record */
  if (UNLIKELY((uintptr_t)(fr - 1) < fr_limit ||
               (uintptr_t)nfp + (uintptr_t)callee->frame_slots * 8 >
                   (uintptr_t)(fr - 1)))
    TRAP(LAT_TRAP_STACK_EXHAUSTED);
  fr--;
  fr->pc = ret_pc;
  fr->fp = fp;
  fr->inst = inst;
  fp = nfp;
  if (UNLIKELY(ninst != inst)) {
    inst = ninst;
    mfuncs = inst->module->funcs;
    mem = inst_mem(inst);
    mb = mem->base;
    ms = mem->size;
  }
  zero_locals(fp + callee->param_slots, callee->local_slots);
  pc = (const uint8_t *)callee->code;
  if (UNLIKELY(--cd < 0)) goto check;
  DISPATCH();

call_host: { /* fn (a host function), nfp, ret_pc set */
  const lat_wasm_functype_t *ft = fn->type;
  unsigned np = type_slots(ft->params, ft->nparams);
  unsigned nr = type_slots(ft->results, ft->nresults);
  unsigned n = np > nr ? np : nr;
  uint32_t depth = depth0 + 1 + (uint32_t)(fr_base - fr);
  if (UNLIKELY(depth >= s->limits.max_call_depth)) TRAP(LAT_TRAP_STACK_EXHAUSTED);
  if (UNLIKELY((uintptr_t)nfp + (uintptr_t)n * 8 > (uintptr_t)fr))
    TRAP(LAT_TRAP_STACK_EXHAUSTED);
  lat_wasm_caller_t caller = {s, inst};
  void *saved_frames = s->exec_frames;
  uint64_t *saved_sp = s->exec_sp;
  s->exec_sp = nfp + n;
  s->exec_frames = fr;
  s->depth = depth + 1;
  save_countdown(s, cd);
  lat_status st = fn->host(&caller, fn->host_env, nfp);
  s->exec_sp = saved_sp;
  s->exec_frames = saved_frames;
  cd = load_countdown(s);
  ms = mem->size;
  if (UNLIKELY(st != LAT_OK)) {
    if (st == LAT_TRAP && s->trap == LAT_TRAP_EXCEPTION && s->exn) {
      /* a wasm exception thrown through the host: unwind on from the call */
      exn = s->exn;
      s->exn = NULL;
      s->trap = LAT_TRAP_NONE;
      adj = 0;
      goto unwind;
    }
    if (st == LAT_TRAP) {
      if (s->trap == LAT_TRAP_NONE) s->trap = LAT_TRAP_HOST;
    } else if (st != LAT_ENOMEM) {
      s->trap = LAT_TRAP_HOST;
      s->nbt = 0; /* a host error starts a trap here */
      st = LAT_TRAP;
    }
    /* the frames below the host function (after any it re-entered) */
    if (st == LAT_TRAP) record_frames(s, inst, pc, fr, fr_base);
    status = st;
    goto done;
  }
  pc = ret_pc;
  if (UNLIKELY(--cd < 0)) goto check;
  DISPATCH();
}

check: /* the countdown ran out; pc is where to continue */
  trap_code = refill(s, &cd);
  if (trap_code) goto trap;
  DISPATCH();

  /* ---- variables, memory, tables ---- */
L_select:
  acc = SL(20) ? SL(12) : SL(16);
  SL(8) = acc;
  NEXT(24);
L_global_get:
  acc = inst->globals[OPD(12)]->val[0];
  SL(8) = acc;
  NEXT(16);
L_global_set:
  inst->globals[OPD(12)]->val[0] = SL(8);
  NEXT(16);

#define LOAD(name, T, CONV)                                               \
  L_##name: {                                                             \
    uint64_t ea = (uint64_t)(uint32_t)SL(12) + OPD(16);                   \
    if (UNLIKELY(ea + sizeof(T) > ms)) TRAP(LAT_TRAP_MEMORY_OOB);         \
    T v;                                                                  \
    memcpy(&v, mb + ea, sizeof v);                                        \
    acc = (CONV);                                                         \
    SL(8) = acc;                                                          \
    NEXT(24);                                                             \
  }                                                                       \
  L_##name##_a: {                                                         \
    uint64_t ea = (uint64_t)(uint32_t)acc + OPD(16);                      \
    if (UNLIKELY(ea + sizeof(T) > ms)) TRAP(LAT_TRAP_MEMORY_OOB);         \
    T v;                                                                  \
    memcpy(&v, mb + ea, sizeof v);                                        \
    acc = (CONV);                                                         \
    SL(8) = acc;                                                          \
    NEXT(24);                                                             \
  }                                                                       \
  L_##name##_rr: {                                                        \
    uint64_t ea = (uint64_t)(uint32_t)(SL(12) + SL(16)) + OPD(20);        \
    if (UNLIKELY(ea + sizeof(T) > ms)) TRAP(LAT_TRAP_MEMORY_OOB);         \
    T v;                                                                  \
    memcpy(&v, mb + ea, sizeof v);                                        \
    acc = (CONV);                                                         \
    SL(8) = acc;                                                          \
    NEXT(24);                                                             \
  }                                                                       \
  L_##name##_ri: {                                                        \
    uint64_t ea = (uint64_t)(uint32_t)(SL(12) + OPD(16)) + OPD(20);       \
    if (UNLIKELY(ea + sizeof(T) > ms)) TRAP(LAT_TRAP_MEMORY_OOB);         \
    T v;                                                                  \
    memcpy(&v, mb + ea, sizeof v);                                        \
    acc = (CONV);                                                         \
    SL(8) = acc;                                                          \
    NEXT(24);                                                             \
  }
  LOAD(load32, uint32_t, (uint64_t)v)
  LOAD(load64, uint64_t, v)
  LOAD(load8_s32, int8_t, (uint64_t)(uint32_t)(int32_t)v)
  LOAD(load8_u, uint8_t, (uint64_t)v)
  LOAD(load16_s32, int16_t, (uint64_t)(uint32_t)(int32_t)v)
  LOAD(load16_u, uint16_t, (uint64_t)v)
  LOAD(load8_s64, int8_t, (uint64_t)(int64_t)v)
  LOAD(load16_s64, int16_t, (uint64_t)(int64_t)v)
  LOAD(load32_s64, int32_t, (uint64_t)(int64_t)v)
#undef LOAD

#define STORE1(label, T, ADDR, OFF, VAL, SIZE)                            \
  label: {                                                                \
    uint64_t ea = (uint64_t)(uint32_t)(ADDR) + OFF;                       \
    if (UNLIKELY(ea + sizeof(T) > ms)) TRAP(LAT_TRAP_MEMORY_OOB);         \
    T v = (T)(VAL);                                                       \
    memcpy(mb + ea, &v, sizeof v);                                        \
    NEXT(SIZE);                                                           \
  }
#define STORE(name, T)                                                    \
  STORE1(L_##name, T, SL(8), OPD(16), SL(12), 24)                         \
  STORE1(L_##name##_v, T, SL(8), OPD(16), acc, 24)                        \
  STORE1(L_##name##_a, T, acc, OPD(16), SL(12), 24)                       \
  STORE1(L_##name##_i, T, SL(8), OPD(12), rd64(pc + 16), 24)              \
  STORE1(L_##name##_ai, T, acc, OPD(12), rd64(pc + 16), 24)               \
  STORE1(L_##name##_rr, T, SL(8) + SL(12), OPD(20), SL(16), 24)           \
  STORE1(L_##name##_ri, T, SL(8) + OPD(12), OPD(20), SL(16), 24)          \
  STORE1(L_##name##_rri, T, SL(8) + SL(12), OPD(20), rd64(pc + 24), 32)   \
  STORE1(L_##name##_rii, T, SL(8) + OPD(12), OPD(20), rd64(pc + 24), 32)
  STORE(store8, uint8_t)
  STORE(store16, uint16_t)
  STORE(store32, uint32_t)
  STORE(store64, uint64_t)
#undef STORE
#undef STORE1

L_memory_size:
  acc = (uint32_t)(ms / LAT_WASM_PAGE_SIZE);
  SL(8) = acc;
  NEXT(16);
L_memory_grow: {
  uint64_t old = 0;
  uint64_t delta = OPD(20) ? SL(12) : (uint32_t)SL(12);
  lat_status st = lat_wasm_memory_grow(inst->mems[OPD(16)], delta, &old);
  if (UNLIKELY(st) && s->limits.trap_on_grow_failure)
    TRAP(LAT_TRAP_GROW_FAILED);
  acc = st ? (OPD(20) ? UINT64_MAX : (uint32_t)-1) : old;
  SL(8) = acc;
  ms = mem->size;
  NEXT(24);
}
L_mem_select: { /* the next memory op uses memory OPD(8) (wasm_exec.h) */
  const lat_wasm_memory_t *mk = inst->mems[OPD(8)];
  mb = mk->base;
  ms = mk->size;
  NEXT(16);
}
L_chk64: /* memory64/table64: past 32 bits is out of bounds (translator) */
  if (UNLIKELY((SL(8) | SL(12) | SL(16)) >> 32))
    TRAP((lat_wasm_trap_t)OPD(20));
  NEXT(24);
L_trap:
  TRAP((lat_wasm_trap_t)OPD(8));
L_throw:
  exn = lat__wasm_exn_new(s, inst->tags[OPD(8)], fp + OPD(12), OPD(16));
  if (UNLIKELY(!exn)) {
    status = LAT_ENOMEM;
    goto done;
  }
  adj = 0;
  goto unwind;
L_throw_ref:
  exn = (lat__exn_t *)(uintptr_t)SL(8);
  if (UNLIKELY(!exn)) TRAP(LAT_TRAP_NULL_REFERENCE);
  adj = 0;
  goto unwind;

unwind: /* exn thrown at pc (adj 0) or from the call before pc (adj 1) */
  for (;;) {
    const lat__code_t *hc = NULL;
    const lat__handler_t *h = find_handler(inst, pc - adj, exn, &hc);
    if (h) { /* the payload, then the exnref, where a branch puts values */
      uint64_t *dst = fp + h->dst;
      uint32_t n = h->kind < 2 ? exn->nslots : 0;
      for (uint32_t k = 0; k < n; k++) dst[k] = exn->slots[k];
      if (h->kind & 1) dst[n] = (uint64_t)(uintptr_t)exn;
      mb = mem->base;
      ms = mem->size;
      pc = (const uint8_t *)hc->code + h->stub;
      DISPATCH();
    }
    if (fr == fr_base) break; /* not caught in this run */
    pc = fr->pc;
    fp = fr->fp;
    if (fr->inst != inst) {
      inst = fr->inst;
      mfuncs = inst->module->funcs;
      mem = inst_mem(inst);
    }
    fr++;
    adj = 1;
  }
  s->exn = exn; /* for the host, or an outer run to go on unwinding */
  TRAP(LAT_TRAP_EXCEPTION);

L_mem_restore:
  mb = mem->base;
  ms = mem->size;
  NEXT(8);
L_memory_copy_mm: {
  const lat_wasm_memory_t *dm = inst->mems[OPD(20)], *sm = inst->mems[OPD(24)];
  uint64_t d = (uint32_t)SL(8), src = (uint32_t)SL(12), n = (uint32_t)SL(16);
  if (UNLIKELY(d + n > dm->size || src + n > sm->size)) TRAP(LAT_TRAP_MEMORY_OOB);
  if (n) memmove(dm->base + d, sm->base + src, n);
  NEXT(32);
}
L_memory_fill: {
  uint64_t d = (uint32_t)SL(8), n = (uint32_t)SL(16);
  if (UNLIKELY(d + n > ms)) TRAP(LAT_TRAP_MEMORY_OOB);
  if (n) memset(mb + d, (int)(uint8_t)SL(12), n);
  NEXT(24);
}
L_memory_copy: {
  uint64_t d = (uint32_t)SL(8), src = (uint32_t)SL(12), n = (uint32_t)SL(16);
  if (UNLIKELY(d + n > ms || src + n > ms)) TRAP(LAT_TRAP_MEMORY_OOB);
  if (n) memmove(mb + d, mb + src, n);
  NEXT(24);
}
L_memory_init: {
  uint64_t d = (uint32_t)SL(8), src = (uint32_t)SL(12), n = (uint32_t)SL(16);
  uint32_t seg = OPD(20);
  const lat__data_t *ds = &inst->module->datas[seg];
  uint64_t len = inst->data_dropped[seg] ? 0 : ds->data.len;
  if (UNLIKELY(src + n > len || d + n > ms)) TRAP(LAT_TRAP_MEMORY_OOB);
  if (n) memcpy(mb + d, inst->module->bytes + ds->data.off + src, n);
  NEXT(24);
}
L_data_drop:
  inst->data_dropped[OPD(8)] = 1;
  NEXT(16);

L_table_get: {
  const lat_wasm_table_t *tab = inst->tables[OPD(16)];
  uint32_t i = (uint32_t)SL(12);
  if (UNLIKELY(i >= tab->size)) TRAP(LAT_TRAP_TABLE_OOB);
  acc = (uint64_t)(uintptr_t)tab->elems[i];
  SL(8) = acc;
  NEXT(24);
}
L_table_set: {
  lat_wasm_table_t *tab = inst->tables[OPD(16)];
  uint32_t i = (uint32_t)SL(8);
  if (UNLIKELY(i >= tab->size)) TRAP(LAT_TRAP_TABLE_OOB);
  tab->elems[i] = (void *)(uintptr_t)SL(12);
  NEXT(24);
}
L_table_size:
  SL(8) = (uint32_t)inst->tables[OPD(12)]->size;
  NEXT(16);
L_table_grow: {
  lat_wasm_table_t *tab = inst->tables[OPD(20)];
  uint64_t old = 0;
  void *init = (void *)(uintptr_t)SL(12);
  uint64_t n = OPD(24) ? SL(16) : (uint32_t)SL(16);
  lat_status st = lat_wasm_table_grow(tab, n, init, &old);
  SL(8) = st ? (OPD(24) ? UINT64_MAX : (uint32_t)-1) : old;
  NEXT(32);
}
L_table_fill: {
  lat_wasm_table_t *tab = inst->tables[OPD(20)];
  uint64_t i = (uint32_t)SL(8), n = (uint32_t)SL(16);
  void *v = (void *)(uintptr_t)SL(12);
  if (UNLIKELY(i + n > tab->size)) TRAP(LAT_TRAP_TABLE_OOB);
  for (uint64_t k = 0; k < n; k++) tab->elems[i + k] = v;
  NEXT(24);
}
L_table_copy: {
  lat_wasm_table_t *dt = inst->tables[OPD(20)], *st = inst->tables[OPD(24)];
  uint64_t d = (uint32_t)SL(8), src = (uint32_t)SL(12), n = (uint32_t)SL(16);
  if (UNLIKELY(d + n > dt->size || src + n > st->size))
    TRAP(LAT_TRAP_TABLE_OOB);
  if (n) memmove(dt->elems + d, st->elems + src, n * sizeof(void *));
  NEXT(32);
}
L_table_init: {
  lat_wasm_table_t *tab = inst->tables[OPD(20)];
  uint32_t seg = OPD(24);
  const lat__elem_t *e = &inst->module->elems[seg];
  uint64_t d = (uint32_t)SL(8), src = (uint32_t)SL(12), n = (uint32_t)SL(16);
  uint64_t len = inst->elem_dropped[seg] ? 0 : e->count;
  if (UNLIKELY(src + n > len || d + n > tab->size)) TRAP(LAT_TRAP_TABLE_OOB);
  for (uint64_t k = 0; k < n; k++) {
    void *ref;
    if (elem_item(inst, e, src + k, &ref)) TRAP(LAT_TRAP_HOST);
    tab->elems[d + k] = ref;
  }
  NEXT(32);
}
L_elem_drop:
  inst->elem_dropped[OPD(8)] = 1;
  NEXT(16);
L_ref_func:
  acc = (uint64_t)(uintptr_t)inst->funcs[OPD(12)];
  SL(8) = acc;
  NEXT(16);

  /* ---- numeric ---- */
#define UNOP(name, EXPR) \
  L_##name: {            \
    uint64_t a = SL(12); \
    acc = (EXPR);        \
    SL(8) = acc;         \
    NEXT(16);            \
  }                      \
  L_##name##_a: {        \
    uint64_t a = acc;    \
    acc = (EXPR);        \
    SL(8) = acc;         \
    NEXT(16);            \
  }
#define A32 ((uint32_t)a)
#define AF32 f32_of(a)
#define AF64 f64_of(a)
  UNOP(i32_eqz, A32 == 0)
  UNOP(i32_clz, A32 ? (uint64_t)__builtin_clz(A32) : 32)
  UNOP(i32_ctz, A32 ? (uint64_t)__builtin_ctz(A32) : 32)
  UNOP(i32_popcnt, (uint64_t)__builtin_popcount(A32))
  UNOP(i32_extend8_s, (uint32_t)(int32_t)(int8_t)a)
  UNOP(i32_extend16_s, (uint32_t)(int32_t)(int16_t)a)
  UNOP(i64_eqz, a == 0)
  UNOP(i64_clz, a ? (uint64_t)__builtin_clzll(a) : 64)
  UNOP(i64_ctz, a ? (uint64_t)__builtin_ctzll(a) : 64)
  UNOP(i64_popcnt, (uint64_t)__builtin_popcountll(a))
  UNOP(i64_extend8_s, (uint64_t)(int64_t)(int8_t)a)
  UNOP(i64_extend16_s, (uint64_t)(int64_t)(int16_t)a)
  UNOP(i64_extend32_s, (uint64_t)(int64_t)(int32_t)a)
  /* libm passes a signalling NaN through; the spec wants it quieted */
  UNOP(f32_ceil, f32_bits(AF32 != AF32 ? AF32 + AF32 : ceilf(AF32)))
  UNOP(f32_floor, f32_bits(AF32 != AF32 ? AF32 + AF32 : floorf(AF32)))
  UNOP(f32_trunc, f32_bits(AF32 != AF32 ? AF32 + AF32 : truncf(AF32)))
  UNOP(f32_nearest, f32_bits(nearbyintf(AF32)))
  UNOP(f32_sqrt, f32_bits(sqrtf(AF32)))
  UNOP(f64_ceil, f64_bits(AF64 != AF64 ? AF64 + AF64 : ceil(AF64)))
  UNOP(f64_floor, f64_bits(AF64 != AF64 ? AF64 + AF64 : floor(AF64)))
  UNOP(f64_trunc, f64_bits(AF64 != AF64 ? AF64 + AF64 : trunc(AF64)))
  UNOP(f64_nearest, f64_bits(nearbyint(AF64)))
  UNOP(f64_sqrt, f64_bits(sqrt(AF64)))
  UNOP(i32_wrap_i64, A32)
  UNOP(i64_extend_i32_s, (uint64_t)(int64_t)(int32_t)A32)
  UNOP(i32_trunc_sat_f32_s, sat_i32_s(AF32))
  UNOP(i32_trunc_sat_f32_u, sat_i32_u(AF32))
  UNOP(i32_trunc_sat_f64_s, sat_i32_s(AF64))
  UNOP(i32_trunc_sat_f64_u, sat_i32_u(AF64))
  UNOP(i64_trunc_sat_f32_s, sat_i64_s(AF32))
  UNOP(i64_trunc_sat_f32_u, sat_i64_u(AF32))
  UNOP(i64_trunc_sat_f64_s, sat_i64_s(AF64))
  UNOP(i64_trunc_sat_f64_u, sat_i64_u(AF64))
  UNOP(f32_convert_i32_s, f32_bits((float)(int32_t)A32))
  UNOP(f32_convert_i32_u, f32_bits((float)A32))
  UNOP(f32_convert_i64_s, f32_bits((float)(int64_t)a))
  UNOP(f32_convert_i64_u, f32_bits((float)a))
  UNOP(f32_demote_f64, f32_bits((float)AF64))
  UNOP(f64_convert_i32_s, f64_bits((double)(int32_t)A32))
  UNOP(f64_convert_i32_u, f64_bits((double)A32))
  UNOP(f64_convert_i64_s, f64_bits((double)(int64_t)a))
  UNOP(f64_convert_i64_u, f64_bits((double)a))
  UNOP(f64_promote_f32, f64_bits((double)AF32))
#undef UNOP

#define TRUNC1(label, SRC, ARG, LO, HI, CONV)          \
  label: {                                             \
    double x = SRC(ARG);                               \
    lat_wasm_trap_t tc = trunc_check(x, LO, HI);       \
    if (UNLIKELY(tc)) TRAP(tc);                        \
    acc = (CONV);                                      \
    SL(8) = acc;                                       \
    NEXT(16);                                          \
  }
#define TRUNC(name, SRC, LO, HI, CONV)                 \
  TRUNC1(L_##name, SRC, SL(12), LO, HI, CONV)          \
  TRUNC1(L_##name##_a, SRC, acc, LO, HI, CONV)
  TRUNC(i32_trunc_f32_s, f32_of, I32_LO, I32_HI, (uint32_t)(int32_t)x)
  TRUNC(i32_trunc_f32_u, f32_of, -1.0, U32_HI, (uint32_t)x)
  TRUNC(i32_trunc_f64_s, f64_of, I32_LO, I32_HI, (uint32_t)(int32_t)x)
  TRUNC(i32_trunc_f64_u, f64_of, -1.0, U32_HI, (uint32_t)x)
  TRUNC(i64_trunc_f32_s, f32_of, -I64_HI - 1025.0, I64_HI, (uint64_t)(int64_t)x)
  TRUNC(i64_trunc_f32_u, f32_of, -1.0, U64_HI, (uint64_t)x)
  TRUNC(i64_trunc_f64_s, f64_of, -I64_HI - 1025.0, I64_HI, (uint64_t)(int64_t)x)
  TRUNC(i64_trunc_f64_u, f64_of, -1.0, U64_HI, (uint64_t)x)
#undef TRUNC
#undef TRUNC1

  /* binary ops: x = first operand, y = second; four forms each:
   * rr (slots), ri (immediate y), ar (x = acc), ai (x = acc, immediate y) */
#define U32V(v) ((uint32_t)(v))
#define U64V(v) ((uint64_t)(v))
#define BIN1(label, T, CV, XV, YV, CHECK, RES) \
  label: {                                     \
    T x = CV(XV), y = CV(YV);                  \
    CHECK;                                     \
    acc = (RES);                               \
    SL(8) = acc;                               \
    NEXT(24);                                  \
  }
#define BIN4(name, T, CV, YIMM, CHECK, RES)                 \
  BIN1(L_##name##_rr, T, CV, SL(12), SL(16), CHECK, RES)    \
  BIN1(L_##name##_ri, T, CV, SL(12), YIMM, CHECK, RES)      \
  BIN1(L_##name##_ar, T, CV, acc, SL(16), CHECK, RES)       \
  BIN1(L_##name##_ai, T, CV, acc, YIMM, CHECK, RES)
/* the immediate-first form: x = immediate, y = slot at 12 */
#define BINIR(name, T, CV, XIMM, CHECK, RES)          \
  BIN1(L_##name##_ir, T, CV, XIMM, SL(12), CHECK, RES) \
  BIN1(L_##name##_ia, T, CV, XIMM, acc, CHECK, RES)
#define NOCHK (void)0
#define BIN_I32(name, EXPR) BIN4(name, uint32_t, U32V, OPD(16), NOCHK, (uint32_t)(EXPR))
#define BIN_I32_CHK(name, CHECK, EXPR) \
  BIN4(name, uint32_t, U32V, OPD(16), CHECK, (uint32_t)(EXPR))
#define BIN_I64(name, EXPR) BIN4(name, uint64_t, U64V, rd64(pc + 16), NOCHK, (uint64_t)(EXPR))
#define BIN_I64_CHK(name, CHECK, EXPR) \
  BIN4(name, uint64_t, U64V, rd64(pc + 16), CHECK, (uint64_t)(EXPR))
#define S32(v) ((int32_t)(v))
#define S64(v) ((int64_t)(v))
#define DIV0 \
  if (UNLIKELY(y == 0)) TRAP(LAT_TRAP_DIV_ZERO)
#define DIV32_S                                                  \
  DIV0;                                                          \
  if (UNLIKELY(x == 0x80000000u && y == 0xffffffffu))            \
  TRAP(LAT_TRAP_INT_OVERFLOW)
#define DIV64_S                                                  \
  DIV0;                                                          \
  if (UNLIKELY(x == 0x8000000000000000ull && y == ~0ull))        \
  TRAP(LAT_TRAP_INT_OVERFLOW)

  BIN_I32(i32_add, x + y)
  BIN_I32(i32_sub, x - y)
  BIN_I32(i32_mul, x * y)
  BIN_I32_CHK(i32_div_s, DIV32_S, S32(x) / S32(y))
  BIN_I32_CHK(i32_div_u, DIV0, x / y)
  BIN_I32_CHK(i32_rem_s, DIV0, y == 0xffffffffu ? 0 : S32(x) % S32(y))
  BIN_I32_CHK(i32_rem_u, DIV0, x % y)
  BIN_I32(i32_and, x & y)
  BIN_I32(i32_or, x | y)
  BIN_I32(i32_xor, x ^ y)
  BIN_I32(i32_shl, x << (y & 31))
  BIN_I32(i32_shr_s, S32(x) >> (y & 31))
  BIN_I32(i32_shr_u, x >> (y & 31))
  BIN_I32(i32_rotl, rotl32(x, y))
  BIN_I32(i32_rotr, rotr32(x, y))
  BIN_I32(i32_eq, x == y)
  BIN_I32(i32_ne, x != y)
  BIN_I32(i32_lt_s, S32(x) < S32(y))
  BIN_I32(i32_lt_u, x < y)
  BIN_I32(i32_gt_s, S32(x) > S32(y))
  BIN_I32(i32_gt_u, x > y)
  BIN_I32(i32_le_s, S32(x) <= S32(y))
  BIN_I32(i32_le_u, x <= y)
  BIN_I32(i32_ge_s, S32(x) >= S32(y))
  BIN_I32(i32_ge_u, x >= y)
  BINIR(i32_sub, uint32_t, U32V, OPD(16), NOCHK, (uint32_t)(x - y))
  BINIR(i32_shl, uint32_t, U32V, OPD(16), NOCHK, (uint32_t)(x << (y & 31)))
  BINIR(i32_shr_s, uint32_t, U32V, OPD(16), NOCHK, (uint32_t)(S32(x) >> (y & 31)))
  BINIR(i32_shr_u, uint32_t, U32V, OPD(16), NOCHK, (uint32_t)(x >> (y & 31)))

  BIN_I64(i64_add, x + y)
  BIN_I64(i64_sub, x - y)
  BIN_I64(i64_mul, x * y)
  BIN_I64_CHK(i64_div_s, DIV64_S, S64(x) / S64(y))
  BIN_I64_CHK(i64_div_u, DIV0, x / y)
  BIN_I64_CHK(i64_rem_s, DIV0, y == ~0ull ? 0 : S64(x) % S64(y))
  BIN_I64_CHK(i64_rem_u, DIV0, x % y)
  BIN_I64(i64_and, x & y)
  BIN_I64(i64_or, x | y)
  BIN_I64(i64_xor, x ^ y)
  BIN_I64(i64_shl, x << (y & 63))
  BIN_I64(i64_shr_s, S64(x) >> (y & 63))
  BIN_I64(i64_shr_u, x >> (y & 63))
  BIN_I64(i64_rotl, rotl64(x, y))
  BIN_I64(i64_rotr, rotr64(x, y))
  BIN_I64(i64_eq, x == y)
  BIN_I64(i64_ne, x != y)
  BIN_I64(i64_lt_s, S64(x) < S64(y))
  BIN_I64(i64_lt_u, x < y)
  BIN_I64(i64_gt_s, S64(x) > S64(y))
  BIN_I64(i64_gt_u, x > y)
  BIN_I64(i64_le_s, S64(x) <= S64(y))
  BIN_I64(i64_le_u, x <= y)
  BIN_I64(i64_ge_s, S64(x) >= S64(y))
  BIN_I64(i64_ge_u, x >= y)
  BINIR(i64_sub, uint64_t, U64V, rd64(pc + 16), NOCHK, x - y)
  BINIR(i64_shl, uint64_t, U64V, rd64(pc + 16), NOCHK, x << (y & 63))
  BINIR(i64_shr_s, uint64_t, U64V, rd64(pc + 16), NOCHK, (uint64_t)(S64(x) >> (y & 63)))
  BINIR(i64_shr_u, uint64_t, U64V, rd64(pc + 16), NOCHK, x >> (y & 63))

#define BIN_F32(name, EXPR) BIN4(name, float, f32_of, OPD(16), NOCHK, (EXPR))
#define BIN_F64(name, EXPR) BIN4(name, double, f64_of, rd64(pc + 16), NOCHK, (EXPR))
  BIN_F32(f32_add, f32_bits(x + y))
  BIN_F32(f32_sub, f32_bits(x - y))
  BIN_F32(f32_mul, f32_bits(x * y))
  BIN_F32(f32_div, f32_bits(x / y))
  BIN_F32(f32_min, f32_bits(f32_min(x, y)))
  BIN_F32(f32_max, f32_bits(f32_max(x, y)))
  BIN_F32(f32_eq, (uint64_t)(x == y))
  BIN_F32(f32_ne, (uint64_t)(x != y))
  BIN_F32(f32_lt, (uint64_t)(x < y))
  BIN_F32(f32_gt, (uint64_t)(x > y))
  BIN_F32(f32_le, (uint64_t)(x <= y))
  BIN_F32(f32_ge, (uint64_t)(x >= y))
  BINIR(f32_sub, float, f32_of, OPD(16), NOCHK, f32_bits(x - y))
  BINIR(f32_div, float, f32_of, OPD(16), NOCHK, f32_bits(x / y))
  BIN_F64(f64_add, f64_bits(x + y))
  BIN_F64(f64_sub, f64_bits(x - y))
  BIN_F64(f64_mul, f64_bits(x * y))
  BIN_F64(f64_div, f64_bits(x / y))
  BIN_F64(f64_min, f64_bits(f64_min(x, y)))
  BIN_F64(f64_max, f64_bits(f64_max(x, y)))
  BIN_F64(f64_eq, (uint64_t)(x == y))
  BIN_F64(f64_ne, (uint64_t)(x != y))
  BIN_F64(f64_lt, (uint64_t)(x < y))
  BIN_F64(f64_gt, (uint64_t)(x > y))
  BIN_F64(f64_le, (uint64_t)(x <= y))
  BIN_F64(f64_ge, (uint64_t)(x >= y))
  BINIR(f64_sub, double, f64_of, rd64(pc + 16), NOCHK, f64_bits(x - y))
  BINIR(f64_div, double, f64_of, rd64(pc + 16), NOCHK, f64_bits(x / y))
  /* memory operand: y = the full-width value at (u32)slot16 + offset20 */
#define BINM1(label, T, CV, W, XV, RES)                                   \
  label: {                                                                \
    uint64_t ea = (uint64_t)(uint32_t)SL(16) + OPD(20);                   \
    if (UNLIKELY(ea + sizeof(W) > ms)) TRAP(LAT_TRAP_MEMORY_OOB);         \
    W v;                                                                  \
    memcpy(&v, mb + ea, sizeof v);                                        \
    T x = CV(XV), y = CV(v);                                              \
    acc = (RES);                                                          \
    SL(8) = acc;                                                          \
    NEXT(24);                                                             \
  }
#define BINM(name, T, CV, W, RES)                   \
  BINM1(L_##name##_m, T, CV, W, SL(12), RES)        \
  BINM1(L_##name##_ma, T, CV, W, acc, RES)
  BINM(i32_add, uint32_t, U32V, uint32_t, (uint32_t)(x + y))
  BINM(i32_sub, uint32_t, U32V, uint32_t, (uint32_t)(x - y))
  BINM(i32_mul, uint32_t, U32V, uint32_t, (uint32_t)(x * y))
  BINM(i32_and, uint32_t, U32V, uint32_t, (uint32_t)(x & y))
  BINM(i32_or, uint32_t, U32V, uint32_t, (uint32_t)(x | y))
  BINM(i32_xor, uint32_t, U32V, uint32_t, (uint32_t)(x ^ y))
  BINM(i64_add, uint64_t, U64V, uint64_t, x + y)
  BINM(i64_sub, uint64_t, U64V, uint64_t, x - y)
  BINM(i64_mul, uint64_t, U64V, uint64_t, x * y)
  BINM(i64_and, uint64_t, U64V, uint64_t, x & y)
  BINM(i64_or, uint64_t, U64V, uint64_t, x | y)
  BINM(i64_xor, uint64_t, U64V, uint64_t, x ^ y)
  BINM(f32_add, float, f32_of, uint32_t, f32_bits(x + y))
  BINM(f32_sub, float, f32_of, uint32_t, f32_bits(x - y))
  BINM(f32_mul, float, f32_of, uint32_t, f32_bits(x * y))
  BINM(f32_div, float, f32_of, uint32_t, f32_bits(x / y))
  BINM(f64_add, double, f64_of, uint64_t, f64_bits(x + y))
  BINM(f64_sub, double, f64_of, uint64_t, f64_bits(x - y))
  BINM(f64_mul, double, f64_of, uint64_t, f64_bits(x * y))
  BINM(f64_div, double, f64_of, uint64_t, f64_bits(x / y))
#undef BINM
#undef BINM1

  /* copysign works on the bits so NaN payloads pass through untouched */
  BIN_I32(f32_copysign, (x & 0x7fffffffu) | (y & 0x80000000u))
  BIN_I64(f64_copysign, (x & 0x7fffffffffffffffull) | (y & 0x8000000000000000ull))

  /* fused compare + branch: x = slot at 8, y = slot or immediate at 16 */
#define BR1(label, T, XV, YV, COND, TAKEN) \
  label: {                                  \
    T x = (T)(XV), y = (T)(YV);             \
    if (COND) {                             \
      pc += (int32_t)OPD(12);               \
      TAKEN;                                \
    }                                       \
    NEXT(24);                               \
  }
#define BR_CMP(name, T, YIMM, COND)                                   \
  BR1(L_br_##name##_rr, T, SL(8), SL(16), COND, DISPATCH())           \
  BR1(L_br_##name##_rr_back, T, SL(8), SL(16), COND, BACKEDGE())      \
  BR1(L_br_##name##_ri, T, SL(8), YIMM, COND, DISPATCH())             \
  BR1(L_br_##name##_ri_back, T, SL(8), YIMM, COND, BACKEDGE())        \
  BR1(L_br_##name##_ar, T, acc, SL(16), COND, DISPATCH())             \
  BR1(L_br_##name##_ar_back, T, acc, SL(16), COND, BACKEDGE())        \
  BR1(L_br_##name##_ai, T, acc, YIMM, COND, DISPATCH())               \
  BR1(L_br_##name##_ai_back, T, acc, YIMM, COND, BACKEDGE())
#define BR32(name, COND) BR_CMP(name, uint32_t, OPD(16), COND)
#define BR64(name, COND) BR_CMP(name, uint64_t, rd64(pc + 16), COND)
  BR32(i32_eq, x == y)
  BR32(i32_ne, x != y)
  BR32(i32_lt_s, S32(x) < S32(y))
  BR32(i32_lt_u, x < y)
  BR32(i32_gt_s, S32(x) > S32(y))
  BR32(i32_gt_u, x > y)
  BR32(i32_le_s, S32(x) <= S32(y))
  BR32(i32_le_u, x <= y)
  BR32(i32_ge_s, S32(x) >= S32(y))
  BR32(i32_ge_u, x >= y)
  BR64(i64_eq, x == y)
  BR64(i64_ne, x != y)
  BR64(i64_lt_s, S64(x) < S64(y))
  BR64(i64_lt_u, x < y)
  BR64(i64_gt_s, S64(x) > S64(y))
  BR64(i64_gt_u, x > y)
  BR64(i64_le_s, S64(x) <= S64(y))
  BR64(i64_le_u, x <= y)
  BR64(i64_ge_s, S64(x) >= S64(y))
  BR64(i64_ge_u, x >= y)

#include "wasm_interp_simd.inc"

trap:
  s->trap = trap_code;
  s->nbt = 0; /* a new trap: its backtrace starts with this run's frames */
  record_frames(s, inst, pc, fr, fr_base);
  status = LAT_TRAP;
done:
  save_countdown(s, cd);
  return status;
}

const void *const *lat__wasm_exec_labels(void) {
  const void *const *labels = NULL;
  run(NULL, NULL, NULL, NULL, NULL, &labels);
  return labels;
}

lat_status lat__wasm_call(lat_wasm_store_t *s, lat_wasm_func_t *f,
                          uint64_t *slots) {
  if (f->host) {
    lat_wasm_caller_t caller = {s, NULL};
    lat_status st = f->host(&caller, f->host_env, slots);
    if (st == LAT_TRAP && s->trap == LAT_TRAP_NONE) s->trap = LAT_TRAP_HOST;
    return st;
  }
  lat_wasm_instance_t *inst = f->inst;
  if (inst->module->tier) return inst->module->tier->call(s, f, slots);
  const lat__code_t *code;
  lat_status st = lat__wasm_translate(inst->module, f->idx, &code);
  if (st) return st;
  if (!s->stack) return LAT_ENOMEM;
  if (s->exec_nest >= MAX_HOST_NEST) {
    s->trap = LAT_TRAP_STACK_EXHAUSTED;
    s->nbt = 0;
    return LAT_TRAP;
  }
  uint64_t *saved_sp = s->exec_sp;
  void *saved_frames = s->exec_frames;
  uint32_t saved_depth = s->depth;
  uint64_t *base = saved_sp ? saved_sp : s->stack;
  lat__frame_t *fr = saved_frames ? saved_frames : (lat__frame_t *)s->stack_end;
  if ((uintptr_t)base + (uintptr_t)code->frame_slots * 8 > (uintptr_t)fr) {
    s->trap = LAT_TRAP_STACK_EXHAUSTED;
    s->nbt = 0;
    return LAT_TRAP;
  }
  if (code->param_slots) memmove(base, slots, code->param_slots * 8);
  s->exec_nest++;
  st = run(s, inst, code, base, fr, NULL);
  s->exec_nest--;
  s->exec_sp = saved_sp;
  s->exec_frames = saved_frames;
  s->depth = saved_depth;
  if (st == LAT_OK && code->result_slots)
    memcpy(slots, base, code->result_slots * 8);
  return st;
}
