/* wasm_exec.h: the internal code shared by wasm_translate.c (which writes
 * it) and wasm_interp.c (which runs it).  Private to those two files.
 *
 * Internal code is direct-threaded: every instruction starts with the
 * address of its handler label in the interpreter (8 bytes), followed by
 * 32-bit operands and, where needed, a 64-bit immediate at byte 16.  Every
 * instruction is a multiple of 8 bytes long and starts 8-byte aligned.
 * Operands name 64-bit slots relative to the frame pointer: a frame holds
 * [params][declared locals][operand-stack temporaries], each value taking
 * one slot (i32 and f32 zero-extended, refs as pointers) and a v128 two.
 * Branch offsets are signed byte distances from the start of the branching
 * instruction, so code needs no relocation when its buffer moves.
 *
 * Instruction formats (byte offset: field), size in bytes:
 *   unary        8:d 12:a                                    16
 *   binary rr    8:d 12:a 16:b                               24
 *   binary ri    8:d 12:a 16:imm32 | 16:imm64                24
 *   binary ar/ai 8:d 16:b | 16:imm   (first operand = acc)   24
 *   binary ir    8:d 12:b 16:imm     (imm OP b; _ia: b = acc) 24
 *   const32      8:d 12:imm32 (zero-extended)                16
 *   const64      8:d 16:imm64                                24
 *   copy, copy2  8:d 12:a                                    16
 *   br           12:off                                      16
 *   br_if(not)   8:c 12:off   (_a: c = acc)                  16
 *   br_<cmp>     8:a 12:off 16:b | 16:imm32 | 16:imm64       24
 *                (_ar/_ai: a = acc)
 *   br_table     8:index 12:n 16:off[0..n] (off[n] = default) 16+4(n+1), 8-rounded
 *   call         8:func 12:argslot                           16
 *   call_import  8:func 12:argslot                           16
 *   call_indirect 8:type 12:table 16:index 20:argslot        24
 *   tail_call    8:func 12:argslot  (replaces the frame)     16
 *   tail_call_indirect  as call_indirect; a wasm target      24
 *                replaces the frame, a host one returns after it
 *   ret          -                                           8
 *   ret1         8:a   (slot 0 = acc = slot a, then return)  16
 *   select       8:d 12:a 16:b 20:cond                       24
 *   global_get   8:d 12:global ; global_set 8:a 12:global    16
 *   loads        8:d 12:addr 16:offset  (_a: addr = acc)     24
 *   stores       8:addr 12:value 16:offset                   24
 *                _v: value = acc; _a: addr = acc
 *                _i: 8:addr 12:offset 16:imm64; _ai: addr = acc
 *   fused address (an i32.add folded in; address = (u32)(a + b) + offset):
 *   loads _rr    8:d 12:a 16:b 20:offset                     24
 *   loads _ri    8:d 12:a 16:imm32 20:offset                 24
 *   stores _rr   8:a 12:b 16:value 20:offset ; _ri: 12:imm32 24
 *   stores _rri  8:a 12:b 20:offset 24:imm64 value ; _rii: 12:imm32  32
 *   binary _m    8:d 12:x 16:addr 20:offset  (y = the value loaded;  24
 *                _ma: x = acc)
 *
 * The accumulator.  Every instruction that writes one result slot (all
 * that the translator marks with set_result) also leaves that 64-bit value
 * in the interpreter's register variable `acc`.  An instruction placed
 * immediately after it, with no label in between, may read the operand
 * from acc instead of its slot (the _a/_ar/_ai/_v forms).  The slot is
 * still written, so acc is purely a latency shortcut: a dependency chain
 * runs through a register instead of a store-to-load forward.
 *   memory_size  8:d                                         16
 *   memory_grow  8:d 12:delta 16:memory 20:is64              24
 *   chk64        8:a 12:b 16:c 20:trap  (memory64/table64: traps when
 *                any of slots a, b, c has a high 32-bit half)      24
 *   trap         8:trap                                      16
 *   throw        8:tag 12:argslot 16:payload slots           24
 *   throw_ref    8:exnref slot                               16
 *   (try_table emits no instruction of its own: see lat__handler_t and
 *   wasm_translate.c do_try_table)
 *   memory_fill  8:dst 12:val 16:n ; memory_copy 8:dst 12:src 16:n  24
 *   memory_init  8:dst 12:src 16:n 20:seg                    24
 *   memory_copy_mm 8:dst 12:src 16:n 20:dst memory 24:src memory  32
 *   mem_select   8:memory  (mb/ms := that memory's)          16
 *   mem_restore  -         (mb/ms := memory 0's)             8
 *   Every other memory op accesses mb/ms, i.e. memory 0 unless bracketed
 *   by mem_select/mem_restore (wasm_translate.c, "Memory indices").
 *   data_drop, elem_drop  8:seg                              16
 *   table_get    8:d 12:index 16:table ; table_set 8:index 12:val 16:table 24
 *   table_size   8:d 12:table                                16
 *   table_grow   8:d 12:init 16:n 20:table 24:is64           32
 *   table_fill   8:index 12:val 16:n 20:table                24
 *   table_copy   8:dst 12:src 16:n 20:dst_table 24:src_table 32
 *   table_init   8:dst 12:src 16:n 20:table 24:seg           32
 *   ref_func     8:d 12:func                                 16
 *   unreachable  -                                           8
 *
 * Op enumeration order matters to the translator: every binary op comes
 * as X_rr, X_ri, X_ar, X_ai; every unary op as X, X_a; stores as X, X_v,
 * X_a, X_i, X_ai, X_rr, X_ri, X_rri, X_rii; every branch is followed by its backward form (X,
 * X_back; backward branches count toward the deadline/fuel check); the
 * fused compare-branches come in groups of eight (rr, rr_back, ri,
 * ri_back, ar, ar_back, ai, ai_back) in the order of LAT_EXEC_ICMP.
 */
#ifndef LAT_WASM_EXEC_H
#define LAT_WASM_EXEC_H

#include "wasm_int.h"
#include "wasm_simd.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter assumes a little-endian host"
#endif

/* Integer binary ops, each with _rr and _ri forms (t is i32 or i64). */
#define LAT_EXEC_IBIN(Y, X, t)                                             \
  Y(X, t##_add) Y(X, t##_sub) Y(X, t##_mul) Y(X, t##_div_s) Y(X, t##_div_u) \
  Y(X, t##_rem_s) Y(X, t##_rem_u) Y(X, t##_and) Y(X, t##_or) Y(X, t##_xor) \
  Y(X, t##_shl) Y(X, t##_shr_s) Y(X, t##_shr_u) Y(X, t##_rotl)             \
  Y(X, t##_rotr)
/* Integer compares, in the order the translator's tables assume. */
#define LAT_EXEC_ICMP(Y, X, t)                                             \
  Y(X, t##_eq) Y(X, t##_ne) Y(X, t##_lt_s) Y(X, t##_lt_u) Y(X, t##_gt_s)   \
  Y(X, t##_gt_u) Y(X, t##_le_s) Y(X, t##_le_u) Y(X, t##_ge_s)              \
  Y(X, t##_ge_u)
#define LAT_EXEC_FBIN(Y, X, t)                                             \
  Y(X, t##_add) Y(X, t##_sub) Y(X, t##_mul) Y(X, t##_div) Y(X, t##_min)    \
  Y(X, t##_max) Y(X, t##_copysign) Y(X, t##_eq) Y(X, t##_ne) Y(X, t##_lt)  \
  Y(X, t##_gt) Y(X, t##_le) Y(X, t##_ge)

/* Unary ops (format "unary"); each has an _a form reading acc. */
#define LAT_EXEC_UNOPS(Y, X)                                                \
  Y(X, i32_eqz) Y(X, i32_clz) Y(X, i32_ctz) Y(X, i32_popcnt)                \
  Y(X, i32_extend8_s) Y(X, i32_extend16_s)                                  \
  Y(X, i64_eqz) Y(X, i64_clz) Y(X, i64_ctz) Y(X, i64_popcnt)                \
  Y(X, i64_extend8_s) Y(X, i64_extend16_s) Y(X, i64_extend32_s)             \
  Y(X, f32_ceil) Y(X, f32_floor) Y(X, f32_trunc) Y(X, f32_nearest)          \
  Y(X, f32_sqrt) Y(X, f64_ceil) Y(X, f64_floor) Y(X, f64_trunc)             \
  Y(X, f64_nearest) Y(X, f64_sqrt)                                          \
  Y(X, i32_wrap_i64) Y(X, i64_extend_i32_s)                                 \
  Y(X, i32_trunc_f32_s) Y(X, i32_trunc_f32_u) Y(X, i32_trunc_f64_s)         \
  Y(X, i32_trunc_f64_u) Y(X, i64_trunc_f32_s) Y(X, i64_trunc_f32_u)         \
  Y(X, i64_trunc_f64_s) Y(X, i64_trunc_f64_u)                               \
  Y(X, i32_trunc_sat_f32_s) Y(X, i32_trunc_sat_f32_u)                       \
  Y(X, i32_trunc_sat_f64_s) Y(X, i32_trunc_sat_f64_u)                       \
  Y(X, i64_trunc_sat_f32_s) Y(X, i64_trunc_sat_f32_u)                       \
  Y(X, i64_trunc_sat_f64_s) Y(X, i64_trunc_sat_f64_u)                       \
  Y(X, f32_convert_i32_s) Y(X, f32_convert_i32_u) Y(X, f32_convert_i64_s)   \
  Y(X, f32_convert_i64_u) Y(X, f32_demote_f64)                              \
  Y(X, f64_convert_i32_s) Y(X, f64_convert_i32_u) Y(X, f64_convert_i64_s)   \
  Y(X, f64_convert_i64_u) Y(X, f64_promote_f32)                             \
  LAT_EXEC_LOADS(Y, X)
/* Loads; used with LAT_X_UN2 (X, X_a) and LAT_X_LOADF (X_rr, X_ri). */
#define LAT_EXEC_LOADS(Y, X)                                                \
  Y(X, load32) Y(X, load64) Y(X, load8_s32) Y(X, load8_u) Y(X, load16_s32)  \
  Y(X, load16_u) Y(X, load8_s64) Y(X, load16_s64) Y(X, load32_s64)

/* Binary ops with an "immediate first" form (imm - a, imm << a, ...). */
#define LAT_EXEC_IR(Y, X)                                                   \
  Y(X, i32_sub) Y(X, i32_shl) Y(X, i32_shr_s) Y(X, i32_shr_u)               \
  Y(X, i64_sub) Y(X, i64_shl) Y(X, i64_shr_s) Y(X, i64_shr_u)               \
  Y(X, f32_sub) Y(X, f32_div) Y(X, f64_sub) Y(X, f64_div)
#define LAT_X_IR2(X, name) X(name##_ir) X(name##_ia)

/* Binary ops with a memory operand: y = a full-width load folded in. */
#define LAT_EXEC_MEMOPS(Y, X)                                               \
  Y(X, i32_add) Y(X, i32_sub) Y(X, i32_mul) Y(X, i32_and) Y(X, i32_or)      \
  Y(X, i32_xor) Y(X, i64_add) Y(X, i64_sub) Y(X, i64_mul) Y(X, i64_and)     \
  Y(X, i64_or) Y(X, i64_xor) Y(X, f32_add) Y(X, f32_sub) Y(X, f32_mul)      \
  Y(X, f32_div) Y(X, f64_add) Y(X, f64_sub) Y(X, f64_mul) Y(X, f64_div)
#define LAT_X_MEM2(X, name) X(name##_m) X(name##_ma)

#define LAT_X_UN2(X, name) X(name) X(name##_a)
#define LAT_X_BIN4(X, name) X(name##_rr) X(name##_ri) X(name##_ar) X(name##_ai)
#define LAT_X_BR8(X, name)                                                  \
  X(br_##name##_rr) X(br_##name##_rr_back) X(br_##name##_ri)               \
  X(br_##name##_ri_back) X(br_##name##_ar) X(br_##name##_ar_back)          \
  X(br_##name##_ai) X(br_##name##_ai_back)
#define LAT_X_STORE9(X, name)                                     \
  X(name) X(name##_v) X(name##_a) X(name##_i) X(name##_ai)         \
  X(name##_rr) X(name##_ri) X(name##_rri) X(name##_rii)
#define LAT_X_LOADF(X, name) X(name##_rr) X(name##_ri)

#define LAT_EXEC_OPS(X)                                                     \
  X(unreachable) X(copy) X(copy2) X(const32) X(const64)                    \
  X(br) X(br_back) X(br_if) X(br_if_back) X(br_unless) X(br_unless_back)    \
  X(br_if_a) X(br_if_a_back) X(br_unless_a) X(br_unless_a_back)             \
  X(br_table) X(ret) X(ret1) X(call) X(call_import) X(call_indirect)        \
  X(tail_call) X(tail_call_indirect)                                        \
  X(select) X(global_get) X(global_set)                                     \
  LAT_X_STORE9(X, store8) LAT_X_STORE9(X, store16)                          \
  LAT_X_STORE9(X, store32) LAT_X_STORE9(X, store64)                         \
  LAT_EXEC_LOADS(LAT_X_LOADF, X) LAT_EXEC_MEMOPS(LAT_X_MEM2, X)             \
  X(memory_size) X(memory_grow) X(memory_fill) X(memory_copy)               \
  X(memory_init) X(data_drop) X(mem_select) X(mem_restore)                  \
  X(memory_copy_mm) X(chk64) X(trap) X(throw) X(throw_ref)                  \
  X(table_get) X(table_set) X(table_size) X(table_grow) X(table_fill)       \
  X(table_copy) X(table_init) X(elem_drop) X(ref_func)                      \
  LAT_EXEC_UNOPS(LAT_X_UN2, X) LAT_EXEC_IR(LAT_X_IR2, X)                               \
  LAT_EXEC_IBIN(LAT_X_BIN4, X, i32) LAT_EXEC_ICMP(LAT_X_BIN4, X, i32)       \
  LAT_EXEC_IBIN(LAT_X_BIN4, X, i64) LAT_EXEC_ICMP(LAT_X_BIN4, X, i64)       \
  LAT_EXEC_FBIN(LAT_X_BIN4, X, f32) LAT_EXEC_FBIN(LAT_X_BIN4, X, f64)       \
  LAT_EXEC_ICMP(LAT_X_BR8, X, i32) LAT_EXEC_ICMP(LAT_X_BR8, X, i64)      \
  LAT_EXEC_SIMD_OPS(X)

typedef enum {
#define LAT_X_OP_ENUM(name) LAT_OP_##name,
  LAT_EXEC_OPS(LAT_X_OP_ENUM)
#undef LAT_X_OP_ENUM
      LAT_OP_COUNT
} lat__op_t;

/* An exception handler: one catch clause of a try_table whose body is the
 * code range [start, end) (byte offsets).  kind: 0 catch, 1 catch_ref,
 * 2 catch_all, 3 catch_all_ref; tag: the module's tag index (0, 1); the
 * payload (0, 1) and then the exnref (1, 3) go to slots dst..; execution
 * continues at the stub (a branch to the clause's label).  A function's
 * records are in the order their try_tables end, so the first that covers
 * a pc belongs to the innermost try_table. */
typedef struct {
  uint32_t start, end;
  uint32_t kind, tag;
  uint32_t stub, dst;
} lat__handler_t;

/* A translated function.  Shared, immutable once published. */
typedef struct lat__code {
  uint32_t frame_slots;  /* slots the frame may touch, counted from fp */
  uint32_t param_slots;  /* slots holding the parameters */
  uint32_t local_slots;  /* declared locals after them, zeroed on entry */
  uint32_t result_slots; /* slots holding the results on return */
  uint32_t nhandlers;    /* exception handlers (try_table catch clauses) */
  const lat__handler_t *handlers; /* stored after the code */
  size_t size;           /* bytes of code */
  uint64_t code[];       /* the instructions (8-byte aligned) */
} lat__code_t;

/* A call-frame record of the caller, pushed on a wasm->wasm call.  Records
 * grow down from the end of the store's value stack while frames grow up
 * from its start, so one mapping bounds both; the call depth is the number
 * of records in use (plus the entry frames), so it needs no counter. */
typedef struct {
  const uint8_t *pc;         /* where the caller continues */
  uint64_t *fp;              /* the caller's frame */
  lat_wasm_instance_t *inst; /* the caller's instance */
} lat__frame_t;

/* Handler addresses indexed by lat__op_t (static, read-only). */
const void *const *lat__wasm_exec_labels(void);

/* Returns function fidx of m translated, translating it on first use
 * (thread-safe; published once under m->translate_lock).  LAT_ENOMEM,
 * LAT_ELIMIT (code too large) or LAT_EMALFORMED. */
lat_status lat__wasm_translate(lat_wasm_module_t *m, uint32_t fidx,
                               const lat__code_t **out);

static inline unsigned lat__slot_width(uint8_t type) {
  return type == LAT_V128 ? 2u : 1u;
}

#endif
