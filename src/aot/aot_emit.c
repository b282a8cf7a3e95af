/* aot_emit.c: a validated module as C (lat_aot_emit_c).
 *
 * Approach (wasm2c's).  One pass over each function body with a type stack:
 * operand-stack position h holding a value of type t is the C local
 * `s<h><t>` (t: i i32, j i64, f f32, d f64, r reference, v v128), declared per type
 * up to the function's maximum height, so a value never moves unless a
 * branch carries it to its label's height; locals and params are `l<n>`.
 * Control is gotos: a block's label follows its end, a loop's precedes its
 * body, an if jumps to its else label; a branch first assigns the values it
 * carries to the target's heights (ascending: the destination is never
 * above the source).  The C compiler then does the register allocation,
 * constant propagation and instruction selection that make this fast, which
 * is the whole point of going through C.  Code after br/return/unreachable
 * is skipped until its frame ends (the validator already proved it typed).
 *
 * Semantics follow the interpreter (wasm_interp.c) expression by expression:
 * the same trap checks (division, truncation bounds, memory bounds in 64-bit
 * arithmetic), NaN quieting around libm, bit operations for abs/neg/copysign
 * so NaN payloads survive, i32 values zero-extended in slots.  Memory 0's
 * base and size live in C locals (mb, ms); a base never moves, the size is
 * reloaded after every call and memory.grow, the only things that can
 * change it; the bounds check stays explicit (the guard-page alternative
 * needs a SIGSEGV handler, see aot_rt.c).  Calls to the module's own functions are direct C calls;
 * call_indirect is direct when the table entry is a function of this very
 * instance with the same canonical type, otherwise it goes through the
 * runtime (type check by structure, imports, host functions, other
 * instances and tiers).  Deadline, interrupt and fuel cost one decrement
 * of a countdown held in a C local (so stores to linear memory, which may
 * alias anything, do not force it back to memory) at function entry and
 * at each branch to a loop, exactly where the interpreter counts; it is
 * stored back to the context before calls, returns and runtime calls and
 * reloaded after calls.  The call depth is an argument; the native stack
 * pointer is checked against a limit at entry too.
 *
 * SIMD: v128 values are wasm_simd.h's vector type in C locals, and every
 * operation calls the same static inline function the interpreter uses
 * (the header's text is pasted into files that use v128), so the two tiers
 * cannot disagree on lane semantics; loads and stores are bounds-checked
 * like the scalar ones.
 *
 * What does not compile (LAT_EUNSUPPORTED, the module stays interpreted):
 * memory64 and table64, more than one memory, exceptions, tail calls,
 * typed function references and GC types.
 */
#include <stdio.h>
#include <string.h>

#include "../wasm/wasm_opcodes.h"
#include "../wasm/wasm_simd.h"
#include "aot_int.h"

/* The interpreter's SIMD semantics (src/wasm/wasm_simd.h: a GCC vector type
 * and one static inline function per lane operation), pasted into every
 * generated file that uses v128, so both tiers compute SIMD with the very
 * same code.  Embedded at build time (the Makefile names the dependency;
 * make runs the compiler from the top of the tree, where the path
 * resolves). */
__asm__(".section .rodata\n"
        ".global lat__aot_simd_text\n"
        "lat__aot_simd_text:\n"
        ".incbin \"src/wasm/wasm_simd.h\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char lat__aot_simd_text[];

/* Part of the cache key (aot_load.c): a rebuilt emitter may emit different
 * code for the same module, so its objects must not be reused. */
const char lat__aot_emit_id[] = __DATE__ " " __TIME__;

/* ---- operand signatures of the fixed-signature opcodes -------------------- */

typedef struct {
  uint8_t np, p[3], nr, r;
} sig_t;

static const sig_t sigs[LAT_SIG_COUNT] = {
#define X(s, np, p0, p1, p2, nr, r0) [LAT_SIG_##s] = {np, {p0, p1, p2}, nr, r0},
    LAT_WASM_SIGS(X)
#undef X
};
static const uint8_t op_sig[256] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_SIG_##sig,
    LAT_WASM_OPS(X)
#undef X
};
static const uint8_t op_imm[256] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_IMM_##imm,
    LAT_WASM_OPS(X)
#undef X
};
static const uint8_t fc_sig[LAT_WASM_FC_COUNT] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_SIG_##sig,
    LAT_WASM_OPS_FC(X)
#undef X
};
static const uint8_t fc_imm[LAT_WASM_FC_COUNT] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_IMM_##imm,
    LAT_WASM_OPS_FC(X)
#undef X
};

/* SIMD: the wasm_simd.h function family of each 0xFD sub-opcode (as the
 * translator's table in wasm_translate_simd.inc, relaxed aliases included),
 * and the immediates and natural alignment (log2 access size) of each. */
enum { S_NONE, S_SPLAT, S_UN, S_TEST, S_BIN, S_SHIFT, S_LOAD };
typedef struct {
  const char *name; /* lat__wasm_simd_<name> */
  uint8_t form;     /* S_* */
} simd_fn_t;
static const simd_fn_t simd_fns[LAT_WASM_FD_COUNT] = {
#define Y(form, name, id) [LAT_OP_FD_##id] = {#name, form},
    LAT_SIMD_SPLAT(Y, S_SPLAT) LAT_SIMD_UN(Y, S_UN) LAT_SIMD_TEST(Y, S_TEST)
    LAT_SIMD_BIN(Y, S_BIN) LAT_SIMD_SHIFT(Y, S_SHIFT) LAT_SIMD_LOAD(Y, S_LOAD)
    LAT_SIMD_RELAXED_ALIASES(Y, S_UN, S_BIN)
#undef Y
};
static const uint8_t fd_imm[LAT_WASM_FD_COUNT] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_IMM_##imm,
    LAT_WASM_OPS_FD(X)
#undef X
};
static const uint8_t fd_arg[LAT_WASM_FD_COUNT] = {
#define X(id, code, name, imm, sig, arg) [code] = arg,
    LAT_WASM_OPS_FD(X)
#undef X
};
static const uint8_t fd_sig[LAT_WASM_FD_COUNT] = {
#define X(id, code, name, imm, sig, arg) [code] = LAT_SIG_##sig,
    LAT_WASM_OPS_FD(X)
#undef X
};

/* C expressions of the pure numeric opcodes: $a and $b are the operands.
 * Traps are macros of the prelude (they reach c->rt->trap). */
static const char *const num_expr[256] = {
    [LAT_OP_I32_EQZ] = "(uint32_t)($a == 0)",
    [LAT_OP_I32_EQ] = "(uint32_t)($a == $b)",
    [LAT_OP_I32_NE] = "(uint32_t)($a != $b)",
    [LAT_OP_I32_LT_S] = "(uint32_t)((int32_t)$a < (int32_t)$b)",
    [LAT_OP_I32_LT_U] = "(uint32_t)($a < $b)",
    [LAT_OP_I32_GT_S] = "(uint32_t)((int32_t)$a > (int32_t)$b)",
    [LAT_OP_I32_GT_U] = "(uint32_t)($a > $b)",
    [LAT_OP_I32_LE_S] = "(uint32_t)((int32_t)$a <= (int32_t)$b)",
    [LAT_OP_I32_LE_U] = "(uint32_t)($a <= $b)",
    [LAT_OP_I32_GE_S] = "(uint32_t)((int32_t)$a >= (int32_t)$b)",
    [LAT_OP_I32_GE_U] = "(uint32_t)($a >= $b)",
    [LAT_OP_I64_EQZ] = "(uint32_t)($a == 0)",
    [LAT_OP_I64_EQ] = "(uint32_t)($a == $b)",
    [LAT_OP_I64_NE] = "(uint32_t)($a != $b)",
    [LAT_OP_I64_LT_S] = "(uint32_t)((int64_t)$a < (int64_t)$b)",
    [LAT_OP_I64_LT_U] = "(uint32_t)($a < $b)",
    [LAT_OP_I64_GT_S] = "(uint32_t)((int64_t)$a > (int64_t)$b)",
    [LAT_OP_I64_GT_U] = "(uint32_t)($a > $b)",
    [LAT_OP_I64_LE_S] = "(uint32_t)((int64_t)$a <= (int64_t)$b)",
    [LAT_OP_I64_LE_U] = "(uint32_t)($a <= $b)",
    [LAT_OP_I64_GE_S] = "(uint32_t)((int64_t)$a >= (int64_t)$b)",
    [LAT_OP_I64_GE_U] = "(uint32_t)($a >= $b)",
    [LAT_OP_F32_EQ] = "(uint32_t)($a == $b)",
    [LAT_OP_F32_NE] = "(uint32_t)($a != $b)",
    [LAT_OP_F32_LT] = "(uint32_t)($a < $b)",
    [LAT_OP_F32_GT] = "(uint32_t)($a > $b)",
    [LAT_OP_F32_LE] = "(uint32_t)($a <= $b)",
    [LAT_OP_F32_GE] = "(uint32_t)($a >= $b)",
    [LAT_OP_F64_EQ] = "(uint32_t)($a == $b)",
    [LAT_OP_F64_NE] = "(uint32_t)($a != $b)",
    [LAT_OP_F64_LT] = "(uint32_t)($a < $b)",
    [LAT_OP_F64_GT] = "(uint32_t)($a > $b)",
    [LAT_OP_F64_LE] = "(uint32_t)($a <= $b)",
    [LAT_OP_F64_GE] = "(uint32_t)($a >= $b)",
    [LAT_OP_I32_CLZ] = "($a ? (uint32_t)__builtin_clz($a) : 32u)",
    [LAT_OP_I32_CTZ] = "($a ? (uint32_t)__builtin_ctz($a) : 32u)",
    [LAT_OP_I32_POPCNT] = "(uint32_t)__builtin_popcount($a)",
    [LAT_OP_I32_ADD] = "($a + $b)",
    [LAT_OP_I32_SUB] = "($a - $b)",
    [LAT_OP_I32_MUL] = "($a * $b)",
    [LAT_OP_I32_DIV_S] = "DIV_S32($a, $b)",
    [LAT_OP_I32_DIV_U] = "DIV_U32($a, $b)",
    [LAT_OP_I32_REM_S] = "REM_S32($a, $b)",
    [LAT_OP_I32_REM_U] = "REM_U32($a, $b)",
    [LAT_OP_I32_AND] = "($a & $b)",
    [LAT_OP_I32_OR] = "($a | $b)",
    [LAT_OP_I32_XOR] = "($a ^ $b)",
    [LAT_OP_I32_SHL] = "($a << ($b & 31))",
    [LAT_OP_I32_SHR_S] = "(uint32_t)((int32_t)$a >> ($b & 31))",
    [LAT_OP_I32_SHR_U] = "($a >> ($b & 31))",
    [LAT_OP_I32_ROTL] = "rotl32($a, $b)",
    [LAT_OP_I32_ROTR] = "rotr32($a, $b)",
    [LAT_OP_I64_CLZ] = "($a ? (uint64_t)__builtin_clzll($a) : 64u)",
    [LAT_OP_I64_CTZ] = "($a ? (uint64_t)__builtin_ctzll($a) : 64u)",
    [LAT_OP_I64_POPCNT] = "(uint64_t)__builtin_popcountll($a)",
    [LAT_OP_I64_ADD] = "($a + $b)",
    [LAT_OP_I64_SUB] = "($a - $b)",
    [LAT_OP_I64_MUL] = "($a * $b)",
    [LAT_OP_I64_DIV_S] = "DIV_S64($a, $b)",
    [LAT_OP_I64_DIV_U] = "DIV_U64($a, $b)",
    [LAT_OP_I64_REM_S] = "REM_S64($a, $b)",
    [LAT_OP_I64_REM_U] = "REM_U64($a, $b)",
    [LAT_OP_I64_AND] = "($a & $b)",
    [LAT_OP_I64_OR] = "($a | $b)",
    [LAT_OP_I64_XOR] = "($a ^ $b)",
    [LAT_OP_I64_SHL] = "($a << ($b & 63))",
    [LAT_OP_I64_SHR_S] = "(uint64_t)((int64_t)$a >> ($b & 63))",
    [LAT_OP_I64_SHR_U] = "($a >> ($b & 63))",
    [LAT_OP_I64_ROTL] = "rotl64($a, $b)",
    [LAT_OP_I64_ROTR] = "rotr64($a, $b)",
    [LAT_OP_F32_ABS] = "f32_from(f32_bits($a) & 0x7fffffffu)",
    [LAT_OP_F32_NEG] = "f32_from(f32_bits($a) ^ 0x80000000u)",
    [LAT_OP_F32_CEIL] = "($a != $a ? $a + $a : __builtin_ceilf($a))",
    [LAT_OP_F32_FLOOR] = "($a != $a ? $a + $a : __builtin_floorf($a))",
    [LAT_OP_F32_TRUNC] = "($a != $a ? $a + $a : __builtin_truncf($a))",
    [LAT_OP_F32_NEAREST] = "__builtin_nearbyintf($a)",
    [LAT_OP_F32_SQRT] = "__builtin_sqrtf($a)",
    [LAT_OP_F32_ADD] = "($a + $b)",
    [LAT_OP_F32_SUB] = "($a - $b)",
    [LAT_OP_F32_MUL] = "($a * $b)",
    [LAT_OP_F32_DIV] = "($a / $b)",
    [LAT_OP_F32_MIN] = "f32_min($a, $b)",
    [LAT_OP_F32_MAX] = "f32_max($a, $b)",
    [LAT_OP_F32_COPYSIGN] =
        "f32_from((f32_bits($a) & 0x7fffffffu) | (f32_bits($b) & 0x80000000u))",
    [LAT_OP_F64_ABS] = "f64_from(f64_bits($a) & 0x7fffffffffffffffull)",
    [LAT_OP_F64_NEG] = "f64_from(f64_bits($a) ^ 0x8000000000000000ull)",
    [LAT_OP_F64_CEIL] = "($a != $a ? $a + $a : __builtin_ceil($a))",
    [LAT_OP_F64_FLOOR] = "($a != $a ? $a + $a : __builtin_floor($a))",
    [LAT_OP_F64_TRUNC] = "($a != $a ? $a + $a : __builtin_trunc($a))",
    [LAT_OP_F64_NEAREST] = "__builtin_nearbyint($a)",
    [LAT_OP_F64_SQRT] = "__builtin_sqrt($a)",
    [LAT_OP_F64_ADD] = "($a + $b)",
    [LAT_OP_F64_SUB] = "($a - $b)",
    [LAT_OP_F64_MUL] = "($a * $b)",
    [LAT_OP_F64_DIV] = "($a / $b)",
    [LAT_OP_F64_MIN] = "f64_min($a, $b)",
    [LAT_OP_F64_MAX] = "f64_max($a, $b)",
    [LAT_OP_F64_COPYSIGN] =
        "f64_from((f64_bits($a) & 0x7fffffffffffffffull) | "
        "(f64_bits($b) & 0x8000000000000000ull))",
    [LAT_OP_I32_WRAP_I64] = "(uint32_t)$a",
    [LAT_OP_I32_TRUNC_F32_S] = "(uint32_t)(int32_t)TRUNC($a, I32_LO, I32_HI)",
    [LAT_OP_I32_TRUNC_F32_U] = "(uint32_t)TRUNC($a, -1.0, U32_HI)",
    [LAT_OP_I32_TRUNC_F64_S] = "(uint32_t)(int32_t)TRUNC($a, I32_LO, I32_HI)",
    [LAT_OP_I32_TRUNC_F64_U] = "(uint32_t)TRUNC($a, -1.0, U32_HI)",
    [LAT_OP_I64_EXTEND_I32_S] = "(uint64_t)(int64_t)(int32_t)$a",
    [LAT_OP_I64_EXTEND_I32_U] = "(uint64_t)$a",
    [LAT_OP_I64_TRUNC_F32_S] =
        "(uint64_t)(int64_t)TRUNC($a, -I64_HI - 1025.0, I64_HI)",
    [LAT_OP_I64_TRUNC_F32_U] = "(uint64_t)TRUNC($a, -1.0, U64_HI)",
    [LAT_OP_I64_TRUNC_F64_S] =
        "(uint64_t)(int64_t)TRUNC($a, -I64_HI - 1025.0, I64_HI)",
    [LAT_OP_I64_TRUNC_F64_U] = "(uint64_t)TRUNC($a, -1.0, U64_HI)",
    [LAT_OP_F32_CONVERT_I32_S] = "(float)(int32_t)$a",
    [LAT_OP_F32_CONVERT_I32_U] = "(float)$a",
    [LAT_OP_F32_CONVERT_I64_S] = "(float)(int64_t)$a",
    [LAT_OP_F32_CONVERT_I64_U] = "(float)$a",
    [LAT_OP_F32_DEMOTE_F64] = "(float)$a",
    [LAT_OP_F64_CONVERT_I32_S] = "(double)(int32_t)$a",
    [LAT_OP_F64_CONVERT_I32_U] = "(double)$a",
    [LAT_OP_F64_CONVERT_I64_S] = "(double)(int64_t)$a",
    [LAT_OP_F64_CONVERT_I64_U] = "(double)$a",
    [LAT_OP_F64_PROMOTE_F32] = "f64_promote($a)",
    [LAT_OP_I32_REINTERPRET_F32] = "f32_bits($a)",
    [LAT_OP_I64_REINTERPRET_F64] = "f64_bits($a)",
    [LAT_OP_F32_REINTERPRET_I32] = "f32_from($a)",
    [LAT_OP_F64_REINTERPRET_I64] = "f64_from($a)",
    [LAT_OP_I32_EXTEND8_S] = "(uint32_t)(int32_t)(int8_t)$a",
    [LAT_OP_I32_EXTEND16_S] = "(uint32_t)(int32_t)(int16_t)$a",
    [LAT_OP_I64_EXTEND8_S] = "(uint64_t)(int64_t)(int8_t)$a",
    [LAT_OP_I64_EXTEND16_S] = "(uint64_t)(int64_t)(int16_t)$a",
    [LAT_OP_I64_EXTEND32_S] = "(uint64_t)(int64_t)(int32_t)$a",
};
static const char *const fc_expr[8] = {
    "sat_i32_s($a)", "sat_i32_u($a)", "sat_i32_s($a)", "sat_i32_u($a)",
    "sat_i64_s($a)", "sat_i64_u($a)", "sat_i64_s($a)", "sat_i64_u($a)",
};

/* Loads and stores: the C type in memory and the conversion to the
 * operand type (loads) or from it (stores). */
typedef struct {
  const char *mtype, *conv;
} memop_t;
static const memop_t memops[256] = {
    [LAT_OP_I32_LOAD] = {"uint32_t", ""},
    [LAT_OP_I64_LOAD] = {"uint64_t", ""},
    [LAT_OP_F32_LOAD] = {"float", ""},
    [LAT_OP_F64_LOAD] = {"double", ""},
    [LAT_OP_I32_LOAD8_S] = {"int8_t", "(uint32_t)(int32_t)"},
    [LAT_OP_I32_LOAD8_U] = {"uint8_t", "(uint32_t)"},
    [LAT_OP_I32_LOAD16_S] = {"int16_t", "(uint32_t)(int32_t)"},
    [LAT_OP_I32_LOAD16_U] = {"uint16_t", "(uint32_t)"},
    [LAT_OP_I64_LOAD8_S] = {"int8_t", "(uint64_t)(int64_t)"},
    [LAT_OP_I64_LOAD8_U] = {"uint8_t", "(uint64_t)"},
    [LAT_OP_I64_LOAD16_S] = {"int16_t", "(uint64_t)(int64_t)"},
    [LAT_OP_I64_LOAD16_U] = {"uint16_t", "(uint64_t)"},
    [LAT_OP_I64_LOAD32_S] = {"int32_t", "(uint64_t)(int64_t)"},
    [LAT_OP_I64_LOAD32_U] = {"uint32_t", "(uint64_t)"},
    [LAT_OP_I32_STORE] = {"uint32_t", ""},
    [LAT_OP_I64_STORE] = {"uint64_t", ""},
    [LAT_OP_F32_STORE] = {"float", ""},
    [LAT_OP_F64_STORE] = {"double", ""},
    [LAT_OP_I32_STORE8] = {"uint8_t", "(uint8_t)"},
    [LAT_OP_I32_STORE16] = {"uint16_t", "(uint16_t)"},
    [LAT_OP_I64_STORE8] = {"uint8_t", "(uint8_t)"},
    [LAT_OP_I64_STORE16] = {"uint16_t", "(uint16_t)"},
    [LAT_OP_I64_STORE32] = {"uint32_t", "(uint32_t)"},
};

/* ---- value types ------------------------------------------------------------ */

enum { K_I32, K_I64, K_F32, K_F64, K_REF, K_V128, K_COUNT };
static const char kchar[K_COUNT] = {'i', 'j', 'f', 'd', 'r', 'v'};
static const char *const kctype[K_COUNT] = {"uint32_t", "uint64_t", "float",
                                            "double", "lat_ref_t", "lat__v128_t"};
/* One value in the interpreter's slot layout (one 64-bit slot, two for a
 * v128): slot -> value and value -> slot, as printf formats of one %s that
 * names the (first) slot as an lvalue. */
static const char *const from_slot[K_COUNT] = {
    "(uint32_t)(%s)", "(%s)", "f32_from((uint32_t)(%s))", "f64_from(%s)",
    "(void *)(uintptr_t)(%s)", "lat__v128_load(&(%s))"};
static const char *const to_slot[K_COUNT] = {
    "%s = (uint64_t)(", "%s = (", "%s = (uint64_t)f32_bits(", "%s = f64_bits(",
    "%s = (uint64_t)(uintptr_t)(", "lat__v128_store(&(%s), "};
static unsigned kwidth(int k) { return k == K_V128 ? 2u : 1u; }
static int kind_of(uint8_t t);

/* Slots taken by n values of types t. */
static uint32_t nslots(const uint8_t *t, uint32_t n) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) k += kwidth(kind_of(t[i]));
  return k;
}

/* `ARR[at] <- val;` for a value of kind k (lat_buf_printf status). */
static lat_status put_slot(lat_buf_t *b, int k, const char *arr, uint32_t at, const char *val) {
  char slot[80];
  snprintf(slot, sizeof slot, "%s[%u]", arr, at);
  lat_status st = lat_buf_printf(b, to_slot[k], slot);
  return st ? st : lat_buf_printf(b, "%s); ", val);
}

/* The value of kind k at ARR[at]. */
static lat_status get_slot(lat_buf_t *b, int k, const char *arr, uint32_t at) {
  char slot[80];
  snprintf(slot, sizeof slot, "%s[%u]", arr, at);
  return lat_buf_printf(b, from_slot[k], slot);
}

/* The kind of a value type; -1 for types the tier does not compile. */
static int kind_of(uint8_t t) {
  switch (t) {
    case LAT_I32: return K_I32;
    case LAT_I64: return K_I64;
    case LAT_F32: return K_F32;
    case LAT_F64: return K_F64;
    case LAT_FUNCREF:
    case LAT_EXTERNREF: return K_REF;
    case LAT_V128: return K_V128;
    default: return -1;
  }
}

/* ---- emitter state ------------------------------------------------------------ */

enum { F_BLOCK, F_LOOP, F_IF, F_FUNC };

typedef struct {
  uint8_t kind;
  bool has_else;
  bool unreachable; /* rest of the frame is dead code (skipped) */
  uint32_t label;
  uint32_t base; /* operand height at entry, below the params */
  uint32_t np, nr;
  const uint8_t *params, *results;
} frame_t;

typedef struct {
  const lat_wasm_module_t *m;
  lat_buf_t *out;       /* the whole file */
  lat_buf_t body;       /* the current function's statements */
  lat_error_t *err;
  lat_status st;        /* first buffer failure */
  uint8_t *stack;       /* operand kinds */
  uint32_t h, cap;
  uint32_t maxh[K_COUNT]; /* per kind: variables to declare */
  frame_t *frames;
  uint32_t nframes, fcap;
  uint32_t nlabels;
  uint8_t *lkind;       /* local kinds */
  uint32_t nlocals;
  uint32_t *canon;      /* canonical type index of each type */
} em_t;

#define P(...)                                                  \
  do {                                                          \
    lat_status p_ = lat_buf_printf(&e->body, __VA_ARGS__);      \
    if (p_ && !e->st) e->st = p_;                               \
  } while (0)

static lat_status unsupported(em_t *e, const char *what) {
  return lat_error_set(e->err, LAT_EUNSUPPORTED, SIZE_MAX,
                       "not compiled: %s", what);
}

static lat_status push(em_t *e, int k) {
  if (e->h == e->cap) {
    uint32_t n = e->cap ? e->cap * 2 : 64;
    uint8_t *p = lat_realloc(e->stack, n);
    if (!p) return LAT_ENOMEM;
    e->stack = p;
    e->cap = n;
  }
  e->stack[e->h++] = (uint8_t)k;
  if (e->h > e->maxh[k]) e->maxh[k] = e->h;
  return LAT_OK;
}

/* The C variable of operand height i (0-based from the bottom). */
static const char *var(em_t *e, uint32_t i, char buf[24]) {
  snprintf(buf, 24, "s%u%c", i, kchar[e->stack[i]]);
  return buf;
}

/* Copies the top n operands to heights base.. (a branch's values). */
static void move_to(em_t *e, uint32_t base, uint32_t n) {
  uint32_t from = e->h - n;
  if (from == base) return;
  for (uint32_t i = 0; i < n; i++) {
    char k = kchar[e->stack[from + i]];
    P("s%u%c = s%u%c; ", base + i, k, from + i, k);
  }
}

static void emit_return(em_t *e) {
  const frame_t *f = &e->frames[0];
  char b[24];
  P("{ SYNC(); "); /* braced: it may be the body of a br_if's `if` */
  if (f->nr == 1) {
    P("return %s; }\n", var(e, e->h - 1, b));
    return;
  }
  for (uint32_t i = 0, sl = 0; f->nr > 1 && i < f->nr; i++) {
    uint32_t at = e->h - f->nr + i;
    if (put_slot(&e->body, e->stack[at], "res", sl, var(e, at, b)) && !e->st) e->st = LAT_ENOMEM;
    sl += kwidth(e->stack[at]);
  }
  P("return; }\n");
}

/* A branch to relative depth `depth`, taken unconditionally. */
static void emit_branch(em_t *e, uint32_t depth) {
  frame_t *f = &e->frames[e->nframes - 1 - depth];
  if (f->kind == F_FUNC) {
    emit_return(e);
    return;
  }
  P("{ ");
  if (f->kind == F_LOOP) {
    move_to(e, f->base, f->np);
    P("CD(); goto L%u; }\n", f->label);
  } else {
    move_to(e, f->base, f->nr);
    P("goto L%u; }\n", f->label);
  }
}

static lat_status read_blocktype(em_t *e, lat_reader_t *r, frame_t *f) {
  int64_t bt;
  lat_status st = lat_read_s33(r, &bt, e->err);
  if (st) return st;
  f->np = f->nr = 0;
  f->params = f->results = NULL;
  if (bt == -64) return LAT_OK;
  if (bt < 0) {
    /* a single value type: its byte is the low 7 bits */
    uint8_t t = (uint8_t)(bt & 0x7f);
    if (kind_of(t) < 0) return unsupported(e, "block type");
    static const uint8_t tys[] = {LAT_I32, LAT_I64, LAT_F32, LAT_F64,
                                  LAT_FUNCREF, LAT_EXTERNREF, LAT_V128};
    for (size_t i = 0; i < sizeof tys; i++)
      if (tys[i] == t) f->results = &tys[i];
    f->nr = 1;
    return LAT_OK;
  }
  const lat_wasm_functype_t *ft = &e->m->types[bt];
  f->np = ft->nparams;
  f->nr = ft->nresults;
  f->params = ft->params;
  f->results = ft->results;
  return LAT_OK;
}

static lat_status push_frame(em_t *e, const frame_t *f) {
  if (e->nframes == e->fcap) {
    uint32_t n = e->fcap ? e->fcap * 2 : 16;
    frame_t *p = lat_realloc(e->frames, n * sizeof *p);
    if (!p) return LAT_ENOMEM;
    e->frames = p;
    e->fcap = n;
  }
  e->frames[e->nframes++] = *f;
  return LAT_OK;
}

/* Skips the immediates of an instruction in dead code. */
static lat_status skip_imm(em_t *e, lat_reader_t *r, uint8_t imm) {
  uint32_t u, a, mem;
  uint64_t off;
  int32_t i32;
  int64_t i64;
  const uint8_t *p;
  lat_status st = LAT_OK;
  switch (imm) {
    case LAT_IMM_NONE: return LAT_OK;
    case LAT_IMM_BLOCK: return lat_read_s33(r, &i64, e->err);
    case LAT_IMM_LABEL:
    case LAT_IMM_FUNC:
    case LAT_IMM_LOCAL:
    case LAT_IMM_GLOBAL:
    case LAT_IMM_TABLE:
    case LAT_IMM_DATA:
    case LAT_IMM_ELEM: return lat_read_u32(r, &u, e->err);
    case LAT_IMM_CALL_INDIRECT:
    case LAT_IMM_ELEM_TABLE:
    case LAT_IMM_TABLE_TABLE:
      if ((st = lat_read_u32(r, &u, e->err))) return st;
      return lat_read_u32(r, &u, e->err);
    case LAT_IMM_BR_TABLE:
      if ((st = lat_read_u32(r, &a, e->err))) return st;
      for (uint64_t k = 0; k <= a && !st; k++) st = lat_read_u32(r, &u, e->err);
      return st;
    case LAT_IMM_MEMARG: return lat__read_memarg(e->m, r, &a, &mem, &off, e->err);
    case LAT_IMM_MEM0: return lat__read_memidx(e->m, r, &u, e->err);
    case LAT_IMM_MEM_MEM:
      if ((st = lat__read_memidx(e->m, r, &u, e->err))) return st;
      return lat__read_memidx(e->m, r, &u, e->err);
    case LAT_IMM_DATA_MEM:
      if ((st = lat_read_u32(r, &u, e->err))) return st;
      return lat__read_memidx(e->m, r, &u, e->err);
    case LAT_IMM_I32: return lat_read_s32(r, &i32, e->err);
    case LAT_IMM_I64: return lat_read_s64(r, &i64, e->err);
    case LAT_IMM_F32: return lat_read_bytes(r, 4, &p, e->err);
    case LAT_IMM_F64: return lat_read_bytes(r, 8, &p, e->err);
    case LAT_IMM_SELECT_T:
      if ((st = lat_read_u32(r, &a, e->err))) return st;
      return lat_read_bytes(r, a, &p, e->err);
    case LAT_IMM_REFTYPE:
    case LAT_IMM_LANE: return lat_read_bytes(r, 1, &p, e->err);
    case LAT_IMM_MEMLANE:
      if ((st = lat__read_memarg(e->m, r, &a, &mem, &off, e->err))) return st;
      return lat_read_bytes(r, 1, &p, e->err);
    case LAT_IMM_V128:
    case LAT_IMM_SHUFFLE: return lat_read_bytes(r, 16, &p, e->err);
    default: return unsupported(e, "instruction");
  }
}

/* Emits `dst = EXPR;` for a pure numeric op whose np operands are on top;
 * the result replaces them. */
static lat_status emit_num(em_t *e, const char *tmpl, uint32_t np, int rk) {
  char v[3][24], d[24];
  for (uint32_t i = 0; i < np && i < 3; i++) var(e, e->h - np + i, v[i]);
  e->h -= np;
  lat_status st = push(e, rk);
  if (st) return st;
  P("%s = ", var(e, e->h - 1, d));
  for (const char *t = tmpl; *t; t++) {
    if (t[0] == '$' && t[1] >= 'a' && t[1] <= 'c') {
      P("%s", v[t[1] - 'a']);
      t++;
    } else {
      P("%c", *t);
    }
  }
  P(";\n");
  return LAT_OK;
}

/* One 0xFD instruction (sub-opcode sub, its immediates next in r). */
static lat_status emit_simd(em_t *e, lat_reader_t *r, uint32_t sub) {
  lat_status st;
  char t[320], b1[24], b2[24];
  if (sub >= LAT_WASM_FD_COUNT || !fd_imm[sub]) return unsupported(e, "SIMD opcode");
  const sig_t *sg = &sigs[fd_sig[sub]];
  int rk = sg->nr ? kind_of(sg->r) : -1;
  uint32_t align = 0, mi = 0;
  uint64_t off = 0;
  uint8_t lane = 0;
  const uint8_t *bytes = NULL;
  switch (fd_imm[sub]) {
    case LAT_IMM_MEMARG:
    case LAT_IMM_MEMLANE:
      if ((st = lat__read_memarg(e->m, r, &align, &mi, &off, e->err))) return st;
      if (fd_imm[sub] == LAT_IMM_MEMLANE && (st = lat_read_u8(r, &lane, e->err))) return st;
      break;
    case LAT_IMM_LANE:
      if ((st = lat_read_u8(r, &lane, e->err))) return st;
      break;
    case LAT_IMM_V128:
    case LAT_IMM_SHUFFLE:
      if ((st = lat_read_bytes(r, 16, &bytes, e->err))) return st;
      break;
    case LAT_IMM_NONE: break;
    default: return unsupported(e, "SIMD immediate");
  }
  unsigned n = 1u << fd_arg[sub]; /* memory accesses: bytes accessed */
  const simd_fn_t *f = &simd_fns[sub];
  static const char *const bits[] = {"(uint64_t)$a", "$a", "(uint64_t)f32_bits($a)",
                                     "f64_bits($a)"};
  if (f->name) {
    switch (f->form) {
      case S_SPLAT: {
        char a[40];
        snprintf(a, sizeof a, "%s", bits[kind_of(sg->p[0])]);
        snprintf(t, sizeof t, "lat__wasm_simd_%s(%s)", f->name, a);
        return emit_num(e, t, 1, K_V128);
      }
      case S_UN: snprintf(t, sizeof t, "lat__wasm_simd_%s($a)", f->name); return emit_num(e, t, 1, K_V128);
      case S_TEST: snprintf(t, sizeof t, "(uint32_t)lat__wasm_simd_%s($a)", f->name); return emit_num(e, t, 1, K_I32);
      case S_BIN: snprintf(t, sizeof t, "lat__wasm_simd_%s($a, $b)", f->name); return emit_num(e, t, 2, K_V128);
      case S_SHIFT:
        snprintf(t, sizeof t, "lat__wasm_simd_%s($a, (uint64_t)$b)", f->name);
        return emit_num(e, t, 2, K_V128);
      case S_LOAD:
        snprintf(t, sizeof t, "VLD(lat__wasm_simd_%s, $a, %lluu, %u)", f->name,
                 (unsigned long long)off, n);
        return emit_num(e, t, 1, K_V128);
    }
  }
  static const char *const lane_t[] = {"int8_t", "uint8_t", "int16_t", "uint16_t"};
  switch (sub) {
    case LAT_OP_FD_V128_STORE:
      P("VST(%s, %lluu, %s);\n", var(e, e->h - 2, b1), (unsigned long long)off, var(e, e->h - 1, b2));
      e->h -= 2;
      return LAT_OK;
    case LAT_OP_FD_V128_CONST: {
      uint64_t lo, hi;
      memcpy(&lo, bytes, 8);
      memcpy(&hi, bytes + 8, 8);
      snprintf(t, sizeof t, "((lat__v128_t){0x%llxull, 0x%llxull})", (unsigned long long)lo,
               (unsigned long long)hi);
      return emit_num(e, t, 0, K_V128);
    }
    case LAT_OP_FD_I8X16_SHUFFLE: {
      int k = snprintf(t, sizeof t, "lat__wasm_simd_i8x16_shuffle($a, $b, (const uint8_t *)\"");
      for (int i = 0; i < 16; i++) k += snprintf(t + k, sizeof t - (size_t)k, "\\x%02x", bytes[i]);
      snprintf(t + k, sizeof t - (size_t)k, "\")");
      return emit_num(e, t, 2, K_V128);
    }
    case LAT_OP_FD_V128_BITSELECT:
    case LAT_OP_FD_I8X16_RELAXED_LANESELECT: /* bitselect: an allowed result */
    case LAT_OP_FD_I16X8_RELAXED_LANESELECT:
    case LAT_OP_FD_I32X4_RELAXED_LANESELECT:
    case LAT_OP_FD_I64X2_RELAXED_LANESELECT:
      return emit_num(e, "lat__wasm_simd_v128_bitselect($a, $b, $c)", 3, K_V128);
    case LAT_OP_FD_F32X4_RELAXED_MADD:
      return emit_num(e, "lat__wasm_simd_f32x4_relaxed_madd($a, $b, $c)", 3, K_V128);
    case LAT_OP_FD_F32X4_RELAXED_NMADD:
      return emit_num(e, "lat__wasm_simd_f32x4_relaxed_nmadd($a, $b, $c)", 3, K_V128);
    case LAT_OP_FD_F64X2_RELAXED_MADD:
      return emit_num(e, "lat__wasm_simd_f64x2_relaxed_madd($a, $b, $c)", 3, K_V128);
    case LAT_OP_FD_F64X2_RELAXED_NMADD:
      return emit_num(e, "lat__wasm_simd_f64x2_relaxed_nmadd($a, $b, $c)", 3, K_V128);
    case LAT_OP_FD_I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S:
      return emit_num(e, "lat__wasm_simd_i32x4_relaxed_dot_i8x16_i7x16_add_s($a, $b, $c)", 3,
                      K_V128);
    case LAT_OP_FD_I8X16_EXTRACT_LANE_S:
    case LAT_OP_FD_I8X16_EXTRACT_LANE_U:
    case LAT_OP_FD_I16X8_EXTRACT_LANE_S:
    case LAT_OP_FD_I16X8_EXTRACT_LANE_U:
    case LAT_OP_FD_I32X4_EXTRACT_LANE:
    case LAT_OP_FD_I64X2_EXTRACT_LANE:
    case LAT_OP_FD_F32X4_EXTRACT_LANE:
    case LAT_OP_FD_F64X2_EXTRACT_LANE: {
      unsigned lanes = fd_arg[sub];
      const char *lt = lanes == 16 || lanes == 8
                           ? lane_t[(lanes == 8 ? 2 : 0) +
                                    (sub == LAT_OP_FD_I8X16_EXTRACT_LANE_U ||
                                     sub == LAT_OP_FD_I16X8_EXTRACT_LANE_U)]
                           : kctype[rk];
      snprintf(t, sizeof t,
               "({ lat__v128_t v_ = $a; %s x_; memcpy(&x_, (uint8_t *)&v_ + %u * sizeof x_, "
               "sizeof x_); (%s)x_; })",
               lt, lane & (lanes - 1), kctype[rk]);
      if (lanes >= 8 && lt[0] == 'i') /* sign-extend to i32 */
        snprintf(t, sizeof t,
                 "({ lat__v128_t v_ = $a; %s x_; memcpy(&x_, (uint8_t *)&v_ + %u * sizeof x_, "
                 "sizeof x_); (uint32_t)(int32_t)x_; })",
                 lt, lane & (lanes - 1));
      return emit_num(e, t, 1, rk);
    }
    case LAT_OP_FD_I8X16_REPLACE_LANE:
    case LAT_OP_FD_I16X8_REPLACE_LANE:
    case LAT_OP_FD_I32X4_REPLACE_LANE:
    case LAT_OP_FD_I64X2_REPLACE_LANE:
    case LAT_OP_FD_F32X4_REPLACE_LANE:
    case LAT_OP_FD_F64X2_REPLACE_LANE: {
      unsigned lanes = fd_arg[sub];
      int sk = kind_of(sg->p[1]);
      const char *lt = lanes == 16 ? "uint8_t" : lanes == 8 ? "uint16_t" : kctype[sk];
      snprintf(t, sizeof t,
               "({ lat__v128_t v_ = $a; %s x_ = (%s)$b; memcpy((uint8_t *)&v_ + %u * sizeof x_, "
               "&x_, sizeof x_); v_; })",
               lt, lt, lane & (lanes - 1));
      return emit_num(e, t, 2, K_V128);
    }
    case LAT_OP_FD_V128_LOAD8_LANE:
    case LAT_OP_FD_V128_LOAD16_LANE:
    case LAT_OP_FD_V128_LOAD32_LANE:
    case LAT_OP_FD_V128_LOAD64_LANE:
      snprintf(t, sizeof t,
               "({ uint64_t e_ = (uint64_t)$a + %lluu; if (UNLIKELY(e_ + %u > ms)) TRAP(T_OOB); "
               "lat__v128_t v_ = $b; memcpy((uint8_t *)&v_ + %u, mb + e_, %u); v_; })",
               (unsigned long long)off, n, (lane & (16 / n - 1)) * n, n);
      return emit_num(e, t, 2, K_V128);
    case LAT_OP_FD_V128_STORE8_LANE:
    case LAT_OP_FD_V128_STORE16_LANE:
    case LAT_OP_FD_V128_STORE32_LANE:
    case LAT_OP_FD_V128_STORE64_LANE:
      P("{ uint64_t e_ = (uint64_t)%s + %lluu; if (UNLIKELY(e_ + %u > ms)) TRAP(T_OOB); "
        "lat__v128_t v_ = %s; memcpy(mb + e_, (uint8_t *)&v_ + %u, %u); }\n",
        var(e, e->h - 2, b1), (unsigned long long)off, n, var(e, e->h - 1, b2),
        (lane & (16 / n - 1)) * n, n);
      e->h -= 2;
      return LAT_OK;
    default: return unsupported(e, "SIMD opcode");
  }
}

/* Arguments of a call: the top n operands, comma-separated. */
static void emit_args(em_t *e, uint32_t n) {
  char b[24];
  for (uint32_t i = 0; i < n; i++) P(", %s", var(e, e->h - n + i, b));
}

/* Packs the top np operands into slots a_[], to be unpacked after the
 * call by unpack_results. */
static void pack_args(em_t *e, const lat_wasm_functype_t *ft) {
  char b[24];
  uint32_t np = nslots(ft->params, ft->nparams), nr = nslots(ft->results, ft->nresults);
  uint32_t n = np > nr ? np : nr;
  P("{ uint64_t a_[%u]; ", n ? n : 1);
  for (uint32_t i = 0, sl = 0; i < ft->nparams; i++) {
    uint32_t at = e->h - ft->nparams + i;
    if (put_slot(&e->body, e->stack[at], "a_", sl, var(e, at, b)) && !e->st) e->st = LAT_ENOMEM;
    sl += kwidth(e->stack[at]);
  }
}

static lat_status unpack_results(em_t *e, const lat_wasm_functype_t *ft) {
  char b[24];
  e->h -= ft->nparams;
  for (uint32_t i = 0, sl = 0; i < ft->nresults; i++) {
    int k = kind_of(ft->results[i]);
    lat_status st = push(e, k);
    if (st) return st;
    P("%s = ", var(e, e->h - 1, b));
    if (get_slot(&e->body, k, "a_", sl) && !e->st) e->st = LAT_ENOMEM;
    P("; ");
    sl += kwidth(k);
  }
  return LAT_OK;
}

/* A direct call of a C function expression fnexpr of type ft; the
 * arguments are on top and the result lands at the first one's height. */
static lat_status emit_direct_call(em_t *e, const char *fnexpr,
                                   const lat_wasm_functype_t *ft) {
  uint32_t np = ft->nparams, at = e->h - np;
  P("SYNC(); ");
  if (ft->nresults > 1) P("{ uint64_t a_[%u]; ", nslots(ft->results, ft->nresults));
  else if (ft->nresults == 1) P("s%u%c = ", at, kchar[kind_of(ft->results[0])]);
  P("%s(c, d + 1", fnexpr);
  emit_args(e, np);
  if (ft->nresults > 1) {
    P(", a_); ");
    lat_status st = unpack_results(e, ft);
    P("}");
    return st;
  }
  P(");");
  e->h -= np;
  return ft->nresults == 1 ? push(e, kind_of(ft->results[0])) : LAT_OK;
}

static void c_functype(em_t *e, lat_buf_t *b, const lat_wasm_functype_t *ft,
                       const char *name, bool named_params) {
  lat_status st = LAT_OK;
  const char *ret = ft->nresults == 1 ? kctype[kind_of(ft->results[0])] : "void";
  st |= lat_buf_printf(b, "%s %s(lat_aot_ctx_t *c, uint32_t d", ret, name);
  for (uint32_t i = 0; i < ft->nparams; i++) {
    st |= lat_buf_printf(b, ", %s", kctype[kind_of(ft->params[i])]);
    if (named_params) st |= lat_buf_printf(b, " l%u", i);
  }
  if (ft->nresults > 1) st |= lat_buf_printf(b, ", uint64_t *res");
  st |= lat_buf_printf(b, ")");
  if (st && !e->st) e->st = LAT_ENOMEM;
}

/* ---- one function ----------------------------------------------------------------- */

static lat_status emit_func(em_t *e, uint32_t fidx) {
  const lat_wasm_module_t *m = e->m;
  const lat__func_t *fn = &m->funcs[fidx];
  const lat_wasm_functype_t *ft = &m->types[fn->type_idx];
  lat_status st;
  char b1[24], b2[24], b3[24];

  /* locals */
  e->nlocals = ft->nparams + fn->nlocals;
  lat_free(e->lkind);
  e->lkind = lat_malloc(e->nlocals ? e->nlocals : 1);
  if (!e->lkind) return LAT_ENOMEM;
  for (uint32_t i = 0; i < ft->nparams; i++)
    e->lkind[i] = (uint8_t)kind_of(ft->params[i]);
  uint32_t li = ft->nparams;
  for (uint32_t r = 0; r < fn->nlocal_runs; r++) {
    int k = kind_of(fn->local_runs[r].type);
    if (k < 0) return unsupported(e, "local type");
    for (uint32_t i = 0; i < fn->local_runs[r].count; i++) e->lkind[li++] = (uint8_t)k;
  }

  e->body.len = 0;
  e->h = 0;
  memset(e->maxh, 0, sizeof e->maxh);
  e->nframes = 0;
  e->nlabels = 0;
  frame_t top = {.kind = F_FUNC, .np = 0, .nr = ft->nresults,
                 .results = ft->results, .label = e->nlabels++};
  if ((st = push_frame(e, &top))) return st;

  lat_reader_t r = {m->bytes, m->bytes + fn->code_off,
                    m->bytes + fn->body.off + fn->body.len};
  uint32_t skip = 0; /* nesting depth inside dead code */
  while (e->nframes > 0) {
    if (e->st) return e->st;
    uint8_t op;
    if ((st = lat_read_u8(&r, &op, e->err))) return st;
    frame_t *cur = &e->frames[e->nframes - 1];

    if (cur->unreachable) {
      if (op == LAT_OP_BLOCK || op == LAT_OP_LOOP || op == LAT_OP_IF) {
        skip++;
        int64_t bt;
        if ((st = lat_read_s33(&r, &bt, e->err))) return st;
        continue;
      }
      if (op == LAT_OP_END && skip) {
        skip--;
        continue;
      }
      if (op == LAT_OP_ELSE && skip) continue;
      if (op != LAT_OP_END && op != LAT_OP_ELSE) {
        if (op == LAT_OP_PREFIX_FC) {
          uint32_t sub;
          if ((st = lat_read_u32(&r, &sub, e->err))) return st;
          if (sub >= LAT_WASM_FC_COUNT) return unsupported(e, "0xfc opcode");
          if ((st = skip_imm(e, &r, fc_imm[sub]))) return st;
          continue;
        }
        if (op == LAT_OP_PREFIX_FD) {
          uint32_t sub;
          if ((st = lat_read_u32(&r, &sub, e->err))) return st;
          if (sub >= LAT_WASM_FD_COUNT || !fd_imm[sub]) return unsupported(e, "SIMD opcode");
          if ((st = skip_imm(e, &r, fd_imm[sub]))) return st;
          continue;
        }
        if (!op_imm[op]) return unsupported(e, "opcode");
        if ((st = skip_imm(e, &r, op_imm[op]))) return st;
        continue;
      }
      /* else/end of the dead frame itself: fall through */
      e->h = cur->base + (op == LAT_OP_ELSE ? cur->np : cur->nr);
    }

    switch (op) {
      case LAT_OP_UNREACHABLE:
        P("TRAP(T_UNREACHABLE);\n");
        cur->unreachable = true;
        break;
      case LAT_OP_NOP: break;
      case LAT_OP_BLOCK:
      case LAT_OP_LOOP:
      case LAT_OP_IF: {
        frame_t f = {.kind = op == LAT_OP_BLOCK ? F_BLOCK
                             : op == LAT_OP_LOOP ? F_LOOP
                                                 : F_IF};
        if ((st = read_blocktype(e, &r, &f))) return st;
        if (op == LAT_OP_IF) {
          P("if (!%s) goto E%u;\n", var(e, e->h - 1, b1), e->nlabels);
          e->h--;
        }
        f.base = e->h - f.np;
        f.label = e->nlabels++;
        if (op == LAT_OP_LOOP) P("L%u:;\n", f.label);
        if ((st = push_frame(e, &f))) return st;
        break;
      }
      case LAT_OP_ELSE:
        P("goto L%u;\nE%u:;\n", cur->label, cur->label);
        cur->has_else = true;
        cur->unreachable = false;
        e->h = cur->base;
        for (uint32_t i = 0; i < cur->np; i++)
          if ((st = push(e, kind_of(cur->params[i])))) return st;
        break;
      case LAT_OP_END: {
        frame_t f = *cur;
        if (f.kind == F_FUNC) {
          if (!f.unreachable) emit_return(e);
          else P("__builtin_unreachable();\n");
          e->nframes--;
          break;
        }
        e->nframes--;
        if (f.kind == F_IF && !f.has_else) P("E%u:;\n", f.label);
        if (f.kind != F_LOOP) P("L%u:;\n", f.label);
        e->h = f.base;
        for (uint32_t i = 0; i < f.nr; i++)
          if ((st = push(e, kind_of(f.results[i])))) return st;
        break;
      }
      case LAT_OP_BR: {
        uint32_t depth;
        if ((st = lat_read_u32(&r, &depth, e->err))) return st;
        emit_branch(e, depth);
        cur->unreachable = true;
        break;
      }
      case LAT_OP_BR_IF: {
        uint32_t depth;
        if ((st = lat_read_u32(&r, &depth, e->err))) return st;
        P("if (%s) ", var(e, e->h - 1, b1));
        e->h--;
        emit_branch(e, depth);
        break;
      }
      case LAT_OP_BR_TABLE: {
        uint32_t n, depth;
        if ((st = lat_read_u32(&r, &n, e->err))) return st;
        P("switch (%s) {\n", var(e, e->h - 1, b1));
        e->h--;
        for (uint64_t k = 0; k <= n; k++) {
          if ((st = lat_read_u32(&r, &depth, e->err))) return st;
          if (k < n) P("case %u: ", (uint32_t)k);
          else P("default: ");
          emit_branch(e, depth);
        }
        P("}\n");
        cur->unreachable = true;
        break;
      }
      case LAT_OP_RETURN:
        emit_return(e);
        cur->unreachable = true;
        break;
      case LAT_OP_CALL: {
        uint32_t j;
        if ((st = lat_read_u32(&r, &j, e->err))) return st;
        const lat_wasm_functype_t *cft = &m->types[m->funcs[j].type_idx];
        if (m->funcs[j].imported) {
          pack_args(e, cft);
          P("RT(call_import)(c, d, %u, a_); ", j);
          if ((st = unpack_results(e, cft))) return st;
          P("}");
        } else {
          char name[24];
          snprintf(name, sizeof name, "f%u", j);
          if ((st = emit_direct_call(e, name, cft))) return st;
        }
        P(" RELOAD();\n");
        break;
      }
      case LAT_OP_CALL_INDIRECT: {
        uint32_t y, t;
        if ((st = lat_read_u32(&r, &y, e->err))) return st;
        if ((st = lat_read_u32(&r, &t, e->err))) return st;
        const lat_wasm_functype_t *cft = &m->types[y];
        P("{ uint32_t i_ = %s; lat_aot_tab_t *t_ = c->tables[%u];\n"
          "  if (UNLIKELY(i_ >= t_->size)) TRAP(T_UNDEF_ELEM);\n"
          "  lat_aot_fn_t *f_ = t_->elems[i_];\n"
          "  if (LIKELY(f_ && f_->inst == c->inst && fcanon[f_->idx] == %uu)) { ",
          var(e, e->h - 1, b1), t, e->canon[y]);
        e->h--;
        uint32_t h0 = e->h;
        char fp[48];
        snprintf(fp, sizeof fp, "((ft%u)fdirect[f_->idx])", e->canon[y]);
        if ((st = emit_direct_call(e, fp, cft))) return st;
        P(" } else ");
        e->h = h0; /* the same operands again for the other path */
        pack_args(e, cft);
        P("RT(call_ref)(c, d, f_, i_, %u, a_); ", y);
        if ((st = unpack_results(e, cft))) return st;
        P("} RELOAD(); }\n");
        break;
      }
      case LAT_OP_DROP: e->h--; break;
      case LAT_OP_SELECT:
      case LAT_OP_SELECT_T: {
        if (op == LAT_OP_SELECT_T) {
          uint32_t n;
          const uint8_t *p;
          if ((st = lat_read_u32(&r, &n, e->err))) return st;
          if ((st = lat_read_bytes(&r, n, &p, e->err))) return st;
          if (n != 1 || kind_of(p[0]) < 0) return unsupported(e, "select type");
        }
        P("if (!%s) %s = %s;\n", var(e, e->h - 1, b1), var(e, e->h - 3, b2),
          var(e, e->h - 2, b3));
        e->h -= 2;
        break;
      }
      case LAT_OP_LOCAL_GET: {
        uint32_t x;
        if ((st = lat_read_u32(&r, &x, e->err))) return st;
        if ((st = push(e, e->lkind[x]))) return st;
        P("%s = l%u;\n", var(e, e->h - 1, b1), x);
        break;
      }
      case LAT_OP_LOCAL_SET:
      case LAT_OP_LOCAL_TEE: {
        uint32_t x;
        if ((st = lat_read_u32(&r, &x, e->err))) return st;
        P("l%u = %s;\n", x, var(e, e->h - 1, b1));
        if (op == LAT_OP_LOCAL_SET) e->h--;
        break;
      }
      case LAT_OP_GLOBAL_GET: {
        uint32_t x;
        if ((st = lat_read_u32(&r, &x, e->err))) return st;
        int k = kind_of(m->globals[x].type.type);
        if (k < 0) return unsupported(e, "global type");
        if ((st = push(e, k))) return st;
        char g[48];
        snprintf(g, sizeof g, "c->globals[%u]->val", x);
        P("%s = ", var(e, e->h - 1, b1));
        if (get_slot(&e->body, k, g, 0) && !e->st) e->st = LAT_ENOMEM;
        P(";\n");
        break;
      }
      case LAT_OP_GLOBAL_SET: {
        uint32_t x;
        if ((st = lat_read_u32(&r, &x, e->err))) return st;
        char g[48];
        snprintf(g, sizeof g, "c->globals[%u]->val", x);
        if (put_slot(&e->body, e->stack[e->h - 1], g, 0, var(e, e->h - 1, b1)) && !e->st)
          e->st = LAT_ENOMEM;
        P("\n");
        e->h--;
        break;
      }
      case LAT_OP_TABLE_GET: {
        uint32_t t;
        if ((st = lat_read_u32(&r, &t, e->err))) return st;
        e->stack[e->h - 1] = K_REF;
        if (e->h > e->maxh[K_REF]) e->maxh[K_REF] = e->h;
        P("%s = RT(table_get)(c, %u, s%ui);\n", var(e, e->h - 1, b1), t,
          e->h - 1);
        break;
      }
      case LAT_OP_TABLE_SET: {
        uint32_t t;
        if ((st = lat_read_u32(&r, &t, e->err))) return st;
        P("RT(table_set)(c, %u, %s, %s);\n", t, var(e, e->h - 2, b1),
          var(e, e->h - 1, b2));
        e->h -= 2;
        break;
      }
      case LAT_OP_MEMORY_SIZE: {
        uint32_t mi;
        if ((st = lat__read_memidx(m, &r, &mi, e->err))) return st;
        if ((st = push(e, K_I32))) return st;
        P("%s = (uint32_t)(ms >> 16);\n", var(e, e->h - 1, b1));
        break;
      }
      case LAT_OP_MEMORY_GROW: {
        uint32_t mi;
        if ((st = lat__read_memidx(m, &r, &mi, e->err))) return st;
        P("%s = RT(memory_grow)(c, %s); RELOAD();\n", var(e, e->h - 1, b1),
          var(e, e->h - 1, b2));
        break;
      }
      case LAT_OP_I32_CONST: {
        int32_t v;
        if ((st = lat_read_s32(&r, &v, e->err))) return st;
        if ((st = push(e, K_I32))) return st;
        P("%s = 0x%xu;\n", var(e, e->h - 1, b1), (uint32_t)v);
        break;
      }
      case LAT_OP_I64_CONST: {
        int64_t v;
        if ((st = lat_read_s64(&r, &v, e->err))) return st;
        if ((st = push(e, K_I64))) return st;
        P("%s = 0x%llxull;\n", var(e, e->h - 1, b1), (unsigned long long)v);
        break;
      }
      case LAT_OP_F32_CONST: {
        uint32_t v;
        if ((st = lat_read_f32(&r, &v, e->err))) return st;
        if ((st = push(e, K_F32))) return st;
        P("%s = f32_from(0x%xu);\n", var(e, e->h - 1, b1), v);
        break;
      }
      case LAT_OP_F64_CONST: {
        uint64_t v;
        if ((st = lat_read_f64(&r, &v, e->err))) return st;
        if ((st = push(e, K_F64))) return st;
        P("%s = f64_from(0x%llxull);\n", var(e, e->h - 1, b1),
          (unsigned long long)v);
        break;
      }
      case LAT_OP_REF_NULL: {
        uint8_t t;
        if ((st = lat_read_u8(&r, &t, e->err))) return st;
        if (kind_of(t) != K_REF) return unsupported(e, "reference type");
        if ((st = push(e, K_REF))) return st;
        P("%s = 0;\n", var(e, e->h - 1, b1));
        break;
      }
      case LAT_OP_REF_IS_NULL:
        if ((st = emit_num(e, "(uint32_t)($a == 0)", 1, K_I32))) return st;
        break;
      case LAT_OP_REF_FUNC: {
        uint32_t x;
        if ((st = lat_read_u32(&r, &x, e->err))) return st;
        if ((st = push(e, K_REF))) return st;
        P("%s = c->funcs[%u];\n", var(e, e->h - 1, b1), x);
        break;
      }
      case LAT_OP_PREFIX_FC: {
        uint32_t sub, x, y;
        if ((st = lat_read_u32(&r, &sub, e->err))) return st;
        if (sub < 8) {
          const sig_t *sg = &sigs[fc_sig[sub]];
          if ((st = emit_num(e, fc_expr[sub], 1, kind_of(sg->r)))) return st;
          break;
        }
        switch (sub) {
          case LAT_OP_FC_MEMORY_INIT:
            if ((st = lat_read_u32(&r, &x, e->err))) return st;
            if ((st = lat__read_memidx(m, &r, &y, e->err))) return st;
            P("RT(memory_init)(c, %u, s%ui, s%ui, s%ui);\n", x, e->h - 3,
              e->h - 2, e->h - 1);
            e->h -= 3;
            break;
          case LAT_OP_FC_DATA_DROP:
            if ((st = lat_read_u32(&r, &x, e->err))) return st;
            P("RT(data_drop)(c, %u);\n", x);
            break;
          case LAT_OP_FC_MEMORY_COPY:
            if ((st = lat__read_memidx(m, &r, &x, e->err))) return st;
            if ((st = lat__read_memidx(m, &r, &y, e->err))) return st;
            P("RT(memory_copy)(c, s%ui, s%ui, s%ui);\n", e->h - 3, e->h - 2,
              e->h - 1);
            e->h -= 3;
            break;
          case LAT_OP_FC_MEMORY_FILL:
            if ((st = lat__read_memidx(m, &r, &x, e->err))) return st;
            P("RT(memory_fill)(c, s%ui, s%ui, s%ui);\n", e->h - 3, e->h - 2,
              e->h - 1);
            e->h -= 3;
            break;
          case LAT_OP_FC_TABLE_INIT:
            if ((st = lat_read_u32(&r, &x, e->err))) return st;
            if ((st = lat_read_u32(&r, &y, e->err))) return st;
            P("RT(table_init)(c, %u, %u, s%ui, s%ui, s%ui);\n", y, x,
              e->h - 3, e->h - 2, e->h - 1);
            e->h -= 3;
            break;
          case LAT_OP_FC_ELEM_DROP:
            if ((st = lat_read_u32(&r, &x, e->err))) return st;
            P("RT(elem_drop)(c, %u);\n", x);
            break;
          case LAT_OP_FC_TABLE_COPY:
            if ((st = lat_read_u32(&r, &x, e->err))) return st;
            if ((st = lat_read_u32(&r, &y, e->err))) return st;
            P("RT(table_copy)(c, %u, %u, s%ui, s%ui, s%ui);\n", x, y,
              e->h - 3, e->h - 2, e->h - 1);
            e->h -= 3;
            break;
          case LAT_OP_FC_TABLE_GROW:
            if ((st = lat_read_u32(&r, &x, e->err))) return st;
            P("s%ui = RT(table_grow)(c, %u, s%ur, s%ui);\n", e->h - 2, x,
              e->h - 2, e->h - 1);
            e->h -= 2;
            if ((st = push(e, K_I32))) return st;
            break;
          case LAT_OP_FC_TABLE_SIZE:
            if ((st = lat_read_u32(&r, &x, e->err))) return st;
            if ((st = push(e, K_I32))) return st;
            P("%s = (uint32_t)c->tables[%u]->size;\n", var(e, e->h - 1, b1), x);
            break;
          case LAT_OP_FC_TABLE_FILL:
            if ((st = lat_read_u32(&r, &x, e->err))) return st;
            P("RT(table_fill)(c, %u, s%ui, s%ur, s%ui);\n", x, e->h - 3,
              e->h - 2, e->h - 1);
            e->h -= 3;
            break;
          default: return unsupported(e, "0xfc opcode");
        }
        break;
      }
      case LAT_OP_PREFIX_FD: {
        uint32_t sub;
        if ((st = lat_read_u32(&r, &sub, e->err))) return st;
        if ((st = emit_simd(e, &r, sub))) return st;
        break;
      }
      default: {
        if (memops[op].mtype) {
          uint32_t align, mi;
          uint64_t off;
          if ((st = lat__read_memarg(m, &r, &align, &mi, &off, e->err))) return st;
          const sig_t *sg = &sigs[op_sig[op]];
          if (sg->nr) { /* a load: address -> value */
            char a[24];
            var(e, e->h - 1, a);
            e->h--;
            if ((st = push(e, kind_of(sg->r)))) return st;
            P("%s = %sLD(%s, %s, %lluu);\n", var(e, e->h - 1, b1),
              memops[op].conv, memops[op].mtype, a, (unsigned long long)off);
          } else {
            P("ST(%s, %s, %lluu, %s%s);\n", memops[op].mtype,
              var(e, e->h - 2, b1), (unsigned long long)off, memops[op].conv,
              var(e, e->h - 1, b2));
            e->h -= 2;
          }
          break;
        }
        if (num_expr[op]) {
          const sig_t *sg = &sigs[op_sig[op]];
          if ((st = emit_num(e, num_expr[op], sg->np, kind_of(sg->r)))) return st;
          break;
        }
        return unsupported(e, "opcode");
      }
    }
  }
  if (e->st) return e->st;

  /* A C frame must fit in the native stack's margin (aot_rt.c keeps 256
   * KiB below the limit it checks at entry, and the prologue writes the
   * frame before that check runs): a function with more locals and operand
   * variables than 8192 (at most 16 bytes each) stays interpreted. */
  uint64_t vars = e->nlocals;
  for (int k = 0; k < K_COUNT; k++) vars += e->maxh[k];
  if (vars > 8192) return unsupported(e, "a function too large for a native stack frame");

  /* the function: declarations, then the body */
  lat_buf_t *o = e->out;
  char name[24];
  snprintf(name, sizeof name, "f%u", fidx);
  lat_status s2 = lat_buf_printf(o, "FN ");
  c_functype(e, o, ft, name, true);
  s2 |= lat_buf_printf(o, " {\n");
  for (int k = 0; k < K_COUNT; k++) {
    if (!e->maxh[k]) continue;
    s2 |= lat_buf_printf(o, "  %s", kctype[k]);
    for (uint32_t i = 0; i < e->maxh[k]; i++)
      s2 |= lat_buf_printf(o, "%s s%u%c", i ? "," : "", i, kchar[k]);
    s2 |= lat_buf_printf(o, ";\n");
  }
  for (uint32_t i = ft->nparams; i < e->nlocals; i++)
    s2 |= lat_buf_printf(o, "  %s l%u = {0};\n", kctype[e->lkind[i]], i);
  s2 |= lat_buf_printf(o, "  ENTER();\n");
  /* a memory's base stays put when it grows (wasm_int.h): only its size
   * is reloaded */
  if (m->nmems)
    s2 |= lat_buf_printf(o, "  uint8_t *const mb = c->mem0->base; uint64_t ms = c->mem0->size;\n");
  s2 |= lat_buf_append(o, e->body.data, e->body.len);
  s2 |= lat_buf_printf(o, "}\n\n");
  return s2 ? LAT_ENOMEM : LAT_OK;
}

/* ---- the module ----------------------------------------------------------------------- */

static const char prelude[] =
    "#include <stdint.h>\n#include <string.h>\n\n" LAT_AOT_STR(LAT_AOT_ABI_DECLS) "\n\n"
    "typedef void *lat_ref_t;\n"
    "#define LIKELY(x) __builtin_expect(!!(x), 1)\n"
    "#define UNLIKELY(x) __builtin_expect(!!(x), 0)\n"
    "#define RT(f) (c->cd = cd, c->rt->f)\n"
    "#define TRAP(k) RT(trap)(c, (k))\n"
    "#define CD() do { if (UNLIKELY(--cd < 0)) { c->cd = cd; c->rt->refill(c); cd = c->cd; } } while (0)\n"
    "/* the stack pointer: __builtin_frame_address would force a frame pointer */\n"
    "#ifdef __x86_64__\n"
    "#define SP() ({ uintptr_t sp_; __asm__(\"mov %%rsp, %0\" : \"=r\"(sp_)); sp_; })\n"
    "#else\n"
    "#define SP() ((uintptr_t)__builtin_frame_address(0))\n"
    "#endif\n"
    "#define ENTER() int32_t cd = c->cd; do { if (UNLIKELY(d >= c->max_depth || "
    "SP() < c->stack_limit)) TRAP(T_STACK); CD(); } while (0)\n"
    "#define SYNC() (c->cd = cd)\n"
    "#define RELOAD() (cd = c->cd, ms = c->mem0->size)\n"
    "#define LD(T, a, off) ({ uint64_t e_ = (uint64_t)(a) + (off); "
    "if (UNLIKELY(e_ + sizeof(T) > ms)) TRAP(T_OOB); T v_; memcpy(&v_, mb + e_, sizeof(T)); v_; })\n"
    "#define ST(T, a, off, v) do { uint64_t e_ = (uint64_t)(a) + (off); "
    "if (UNLIKELY(e_ + sizeof(T) > ms)) TRAP(T_OOB); T v_ = (v); memcpy(mb + e_, &v_, sizeof(T)); } while (0)\n"
    "#define VLD(fn, a, off, n) ({ uint64_t e_ = (uint64_t)(a) + (off); "
    "if (UNLIKELY(e_ + (n) > ms)) TRAP(T_OOB); fn(mb + e_); })\n"
    "#define VST(a, off, v) do { uint64_t e_ = (uint64_t)(a) + (off); "
    "if (UNLIKELY(e_ + 16 > ms)) TRAP(T_OOB); lat__v128_store(mb + e_, (v)); } while (0)\n"
    "#define DIV0(y) if (UNLIKELY((y) == 0)) TRAP(T_DIV0)\n"
    "#define DIV_S32(a, b) ({ uint32_t x_ = (a), y_ = (b); DIV0(y_); "
    "if (UNLIKELY(x_ == 0x80000000u && y_ == 0xffffffffu)) TRAP(T_OVF); (uint32_t)((int32_t)x_ / (int32_t)y_); })\n"
    "#define DIV_U32(a, b) ({ uint32_t x_ = (a), y_ = (b); DIV0(y_); x_ / y_; })\n"
    "#define REM_S32(a, b) ({ uint32_t x_ = (a), y_ = (b); DIV0(y_); "
    "y_ == 0xffffffffu ? 0u : (uint32_t)((int32_t)x_ % (int32_t)y_); })\n"
    "#define REM_U32(a, b) ({ uint32_t x_ = (a), y_ = (b); DIV0(y_); x_ % y_; })\n"
    "#define DIV_S64(a, b) ({ uint64_t x_ = (a), y_ = (b); DIV0(y_); "
    "if (UNLIKELY(x_ == 0x8000000000000000ull && y_ == ~0ull)) TRAP(T_OVF); (uint64_t)((int64_t)x_ / (int64_t)y_); })\n"
    "#define DIV_U64(a, b) ({ uint64_t x_ = (a), y_ = (b); DIV0(y_); x_ / y_; })\n"
    "#define REM_S64(a, b) ({ uint64_t x_ = (a), y_ = (b); DIV0(y_); "
    "y_ == ~0ull ? 0ull : (uint64_t)((int64_t)x_ % (int64_t)y_); })\n"
    "#define REM_U64(a, b) ({ uint64_t x_ = (a), y_ = (b); DIV0(y_); x_ % y_; })\n"
    "#define I32_LO (-2147483649.0)\n#define I32_HI 2147483648.0\n"
    "#define U32_HI 4294967296.0\n#define I64_HI 9223372036854775808.0\n"
    "#define U64_HI 18446744073709551616.0\n"
    "#define TRUNC(v, lo, hi) ({ double x_ = (double)(v); if (UNLIKELY(x_ != x_)) TRAP(T_CONV); "
    "if (UNLIKELY(!(x_ > (lo) && x_ < (hi)))) TRAP(T_OVF); x_; })\n"
    "static inline float f32_from(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }\n"
    "static inline uint32_t f32_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }\n"
    "static inline double f64_from(uint64_t b) { double f; memcpy(&f, &b, 8); return f; }\n"
    "static inline uint64_t f64_bits(double f) { uint64_t b; memcpy(&b, &f, 8); return b; }\n"
    "/* opaque: gcc folds demote(promote(x)) to x, keeping a signalling NaN */\n"
    "static inline double f64_promote(float a) { double r = a; __asm__(\"\" : \"+x\"(r)); return r; }\n"
    "static inline uint32_t rotl32(uint32_t x, uint32_t n) { n &= 31; return (x << n) | (x >> ((32 - n) & 31)); }\n"
    "static inline uint32_t rotr32(uint32_t x, uint32_t n) { n &= 31; return (x >> n) | (x << ((32 - n) & 31)); }\n"
    "static inline uint64_t rotl64(uint64_t x, uint64_t n) { n &= 63; return (x << n) | (x >> ((64 - n) & 63)); }\n"
    "static inline uint64_t rotr64(uint64_t x, uint64_t n) { n &= 63; return (x >> n) | (x << ((64 - n) & 63)); }\n"
    "static inline float f32_min(float a, float b) { if (a != a || b != b) return a + b; "
    "if (a == b) return __builtin_signbit(a) ? a : b; return a < b ? a : b; }\n"
    "static inline float f32_max(float a, float b) { if (a != a || b != b) return a + b; "
    "if (a == b) return __builtin_signbit(a) ? b : a; return a > b ? a : b; }\n"
    "static inline double f64_min(double a, double b) { if (a != a || b != b) return a + b; "
    "if (a == b) return __builtin_signbit(a) ? a : b; return a < b ? a : b; }\n"
    "static inline double f64_max(double a, double b) { if (a != a || b != b) return a + b; "
    "if (a == b) return __builtin_signbit(a) ? b : a; return a > b ? a : b; }\n"
    "static inline uint32_t sat_i32_s(double x) { if (x != x) return 0; if (x <= -2147483648.0) "
    "return (uint32_t)INT32_MIN; if (x >= I32_HI) return (uint32_t)INT32_MAX; return (uint32_t)(int32_t)x; }\n"
    "static inline uint32_t sat_i32_u(double x) { if (x != x || x <= -1.0) return 0; "
    "if (x >= U32_HI) return UINT32_MAX; return (uint32_t)x; }\n"
    "static inline uint64_t sat_i64_s(double x) { if (x != x) return 0; if (x < -I64_HI) "
    "return (uint64_t)INT64_MIN; if (x >= I64_HI) return (uint64_t)INT64_MAX; return (uint64_t)(int64_t)x; }\n"
    "static inline uint64_t sat_i64_u(double x) { if (x != x || x <= -1.0) return 0; "
    "if (x >= U64_HI) return UINT64_MAX; return (uint64_t)x; }\n\n";

static lat_status check_module(em_t *e) {
  const lat_wasm_module_t *m = e->m;
  if (m->nmems > 1) return unsupported(e, "multi-memory");
  if (m->nmems && m->mems[0].is64) return unsupported(e, "memory64");
  for (uint32_t i = 0; i < m->ntables; i++)
    if (m->tables[i].is64 || kind_of(m->tables[i].elem) != K_REF)
      return unsupported(e, "table type");
  if (m->ntags) return unsupported(e, "exceptions");
  for (uint32_t t = 0; t < m->ntypes; t++) {
    const lat_wasm_functype_t *ft = &m->types[t];
    for (uint32_t i = 0; i < ft->nparams; i++)
      if (kind_of(ft->params[i]) < 0) return unsupported(e, "parameter type");
    for (uint32_t i = 0; i < ft->nresults; i++)
      if (kind_of(ft->results[i]) < 0) return unsupported(e, "result type");
  }
  for (uint32_t g = 0; g < m->nglobals; g++)
    if (kind_of(m->globals[g].type.type) < 0) return unsupported(e, "global type");
  return LAT_OK;
}

/* Whether m may use v128 (so the generated file needs wasm_simd.h): a v128
 * in a type, global or local, or a 0xFD byte anywhere in a body (an
 * immediate may be one too: then the header is merely not needed). */
static bool uses_simd(const lat_wasm_module_t *m) {
  for (uint32_t t = 0; t < m->ntypes; t++) {
    const lat_wasm_functype_t *ft = &m->types[t];
    for (uint32_t i = 0; i < ft->nparams; i++)
      if (ft->params[i] == LAT_V128) return true;
    for (uint32_t i = 0; i < ft->nresults; i++)
      if (ft->results[i] == LAT_V128) return true;
  }
  for (uint32_t g = 0; g < m->nglobals; g++)
    if (m->globals[g].type.type == LAT_V128) return true;
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
    const lat__func_t *fn = &m->funcs[f];
    for (uint32_t r = 0; r < fn->nlocal_runs; r++)
      if (fn->local_runs[r].type == LAT_V128) return true;
    if (memchr(m->bytes + fn->body.off, LAT_OP_PREFIX_FD, fn->body.len)) return true;
  }
  return false;
}

/* The declarations every part starts with: prelude, SIMD text, trap codes,
 * function-pointer types, prototypes and (split) the extern tables. */
static lat_status emit_header(em_t *e, lat_buf_t *out, bool split) {
  const lat_wasm_module_t *m = e->m;
  lat_status st = lat_buf_printf(out, "#define FN %s\n", split ? "" : "static");
  st |= lat_buf_append(out, prelude, sizeof prelude - 1);
  if (uses_simd(m)) st |= lat_buf_printf(out, "%s\n", lat__aot_simd_text);
#define LAT_X_TRAPDEF(code, msg) st |= lat_buf_printf(out, "#define T_%s %d\n", &#code[9], code);
  LAT_TRAP_LIST(LAT_X_TRAPDEF)
#undef LAT_X_TRAPDEF
  if (!m->nmems) st |= lat_buf_printf(out, "#undef RELOAD\n#define RELOAD() (cd = c->cd)\n");
  st |= lat_buf_printf(out,
                       "#define T_OOB T_MEMORY_OOB\n#define T_UNDEF_ELEM T_UNDEFINED_ELEMENT\n"
                       "#define T_STACK T_STACK_EXHAUSTED\n#define T_DIV0 T_DIV_ZERO\n"
                       "#define T_OVF T_INT_OVERFLOW\n#define T_CONV T_INVALID_CONVERSION\n\n");
  /* one function-pointer type per canonical type (call_indirect) */
  for (uint32_t t = 0; t < m->ntypes; t++) {
    if (e->canon[t] != t) continue;
    char name[24];
    snprintf(name, sizeof name, "(*ft%u)", t);
    st |= lat_buf_printf(out, "typedef ");
    c_functype(e, out, &m->types[t], name, false);
    st |= lat_buf_printf(out, ";\n");
  }
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
    char name[24];
    snprintf(name, sizeof name, "f%u", f);
    st |= lat_buf_printf(out, "FN ");
    c_functype(e, out, &m->types[m->funcs[f].type_idx], name, false);
    st |= lat_buf_printf(out, ";\n");
  }
  if (split)
    st |= lat_buf_printf(out,
                         "extern void (*const fdirect[%u])(void);\n"
                         "extern const uint32_t fcanon[%u];\n",
                         m->nfuncs + 1, m->nfuncs + 1);
  return st || e->st ? LAT_ENOMEM : LAT_OK;
}

/* The tables call_indirect reads, the wrappers and the descriptor. */
static lat_status emit_tables(em_t *e, lat_buf_t *out, bool split) {
  const lat_wasm_module_t *m = e->m;
  const char *cls = split ? "" : "static ";
  lat_status st = lat_buf_printf(out, "%svoid (*const fdirect[%u])(void) = {", cls, m->nfuncs + 1);
  for (uint32_t f = 0; f < m->nfuncs; f++)
    st |= f < m->nfunc_imports ? lat_buf_printf(out, "0,")
                               : lat_buf_printf(out, "(void (*)(void))f%u,", f);
  st |= lat_buf_printf(out, "0};\n%sconst uint32_t fcanon[%u] = {", cls, m->nfuncs + 1);
  for (uint32_t f = 0; f < m->nfuncs; f++)
    st |= lat_buf_printf(out, "%uu,", m->funcs[f].imported ? UINT32_MAX
                                                          : e->canon[m->funcs[f].type_idx]);
  st |= lat_buf_printf(out, "0};\n\n");
  return st ? LAT_ENOMEM : LAT_OK;
}

static lat_status emit_wrappers(em_t *e, lat_buf_t *out) {
  const lat_wasm_module_t *m = e->m;
  lat_status st = LAT_OK;
  /* wrappers: slots <-> C arguments */
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
    const lat_wasm_functype_t *ft = &m->types[m->funcs[f].type_idx];
    st |= lat_buf_printf(out, "static void w%u(lat_aot_ctx_t *c, uint32_t d, uint64_t *s) {\n  ", f);
    if (ft->nresults == 1) st |= lat_buf_printf(out, "%s r = ", kctype[kind_of(ft->results[0])]);
    st |= lat_buf_printf(out, "f%u(c, d", f);
    for (uint32_t i = 0, sl = 0; i < ft->nparams; i++) {
      st |= lat_buf_printf(out, ", ");
      st |= get_slot(out, kind_of(ft->params[i]), "s", sl);
      sl += kwidth(kind_of(ft->params[i]));
    }
    st |= lat_buf_printf(out, ft->nresults > 1 ? ", s);\n" : ");\n");
    if (ft->nresults == 1) {
      st |= lat_buf_printf(out, "  ");
      st |= put_slot(out, kind_of(ft->results[0]), "s", 0, "r");
      st |= lat_buf_printf(out, "\n");
    }
    st |= lat_buf_printf(out, "}\n");
  }
  st |= lat_buf_printf(out, "static const lat_aot_wrap_fn wrappers[%u] = {", m->nfuncs + 1);
  for (uint32_t f = 0; f < m->nfuncs; f++)
    st |= f < m->nfunc_imports ? lat_buf_printf(out, "0,") : lat_buf_printf(out, "w%u,", f);
  st |= lat_buf_printf(out, "0};\n");
  st |= lat_buf_printf(out,
                       "__attribute__((visibility(\"default\"))) const lat_aot_desc_t lat_aot_desc = "
                       "{%d, %u, LAT_AOT_KEY, wrappers};\n",
                       LAT_AOT_ABI_VERSION, m->nfuncs);
  return st ? LAT_ENOMEM : LAT_OK;
}

lat_status lat__aot_emit_parts(const lat_wasm_module_t *m, lat_buf_t *parts, uint32_t nparts,
                               lat_error_t *err) {
  em_t e = {.m = m, .err = err};
  bool split = nparts > 1;
  uint64_t *load = NULL;
  lat_status st = check_module(&e);
  if (st) return st;
  e.canon = lat_calloc(m->ntypes ? m->ntypes : 1, sizeof *e.canon);
  load = lat_calloc(nparts, sizeof *load);
  if (!e.canon || !load) goto nomem;
  for (uint32_t t = 0; t < m->ntypes; t++) {
    e.canon[t] = t;
    for (uint32_t u = 0; u < t; u++)
      if (e.canon[u] == u && lat__functype_eq(&m->types[t], &m->types[u])) {
        e.canon[t] = u;
        break;
      }
  }
  lat_buf_init(&e.body);
  for (uint32_t p = 0; p < nparts; p++)
    if ((st = emit_header(&e, &parts[p], split))) goto nomem;
  if ((st = emit_tables(&e, &parts[0], split))) goto nomem;
  /* split: part 0 holds the tables and wrappers, the functions go to parts
   * 1.. by size, each to the lightest so far, so the compilers finish
   * together */
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
    uint32_t best = 0;
    for (uint32_t p = 1; p < nparts; p++)
      if (best == 0 || load[p] < load[best]) best = p;
    load[best] += m->funcs[f].body.len;
    e.out = &parts[best];
    if ((st = emit_func(&e, f))) goto done;
  }
  if ((st = emit_wrappers(&e, &parts[0]))) goto nomem;
  goto done;
nomem:
  st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
done:
  lat_buf_fini(&e.body);
  lat_free(load);
  lat_free(e.stack);
  lat_free(e.frames);
  lat_free(e.lkind);
  lat_free(e.canon);
  return st;
}

lat_status lat_aot_emit_c(const lat_wasm_module_t *m, lat_buf_t *out, lat_error_t *err) {
  return lat__aot_emit_parts(m, out, 1, err);
}
