/* wasm_simd.h: the fixed-width SIMD instructions of WebAssembly 2.0 for the
 * interpreter: the list of internal ops (LAT_EXEC_SIMD_OPS, spliced into
 * LAT_EXEC_OPS by wasm_exec.h) and the semantics of every lane operation as
 * a static inline function on a 16-byte vector.  Private to the translator
 * (wasm_translate_simd.inc) and the interpreter (wasm_interp_simd.inc).
 *
 * Approach.  A v128 is a GCC vector type (vector_size(16)); the same bits
 * are reinterpreted as i8x16 / i16x8 / ... by vector casts, which are free.
 * Where the vector extension expresses an operation exactly (wrapping
 * add/sub/mul, bitwise, compares, shifts, float arithmetic, conversions by
 * __builtin_convertvector) it is used and the compiler picks the
 * instructions for the target.  Saturating arithmetic, rounding averages,
 * narrowing, bitmasks and dot products use SSE2 intrinsics (the x86-64
 * baseline, so no runtime CPU check is needed), each with a portable lane
 * loop for other targets.  The build has no -march, so SSSE3/SSE4.1
 * (pshufb, roundps, packusdw) are not assumed; those operations are lane
 * loops, which are correct everywhere and fast enough for an interpreter.
 *
 * Spec points the code relies on: lanes are little-endian; i32/f32 values
 * are zero-extended in their 64-bit slot; float NaN results need only be
 * arithmetic NaNs (propagating x + y gives that); min/max order -0 < +0 and
 * return NaN if either lane is NaN; pmin/pmax are the plain C comparisons;
 * shift counts are taken modulo the lane width; trunc_sat saturates and maps
 * NaN to 0.  Signed lane arithmetic is done on unsigned lanes so wrapping is
 * defined behaviour.
 *
 * Rejected: one handler per lane width with runtime lane-size switches (a
 * branch per instruction); SSE4.1 code behind a CPU check (the handler
 * would need a second dispatch or function pointer; the ops it speeds up are
 * rare in compiled code); storing v128 in 16-byte aligned slots (the frame
 * layout is 8-byte slots; unaligned 16-byte loads cost the same on every
 * x86-64 made since 2008).
 */
#ifndef LAT_WASM_SIMD_H
#define LAT_WASM_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- the op list ------------------------------------------------------------
 * Each list entry is Y(X, name, ID): `name` is the internal op (LAT_OP_name,
 * handler L_name, semantics lat__wasm_simd_name) and ID the LAT_OP_FD_ID
 * sub-opcode it implements.  Formats (byte offset: field), see wasm_exec.h:
 *   VSPLAT  scalar -> v128                           8:d 12:a             16
 *   VUN     v128 -> v128                             8:d 12:a             16
 *   VTEST   v128 -> i32 (also left in acc)           8:d 12:a             16
 *   VBIN    v128 v128 -> v128                        8:d 12:a 16:b        24
 *   VSHIFT  v128 i32 -> v128; each op also has an _i form with the count
 *           as an immediate                          8:d 12:a 16:b|imm    24
 *   VLOAD   i32 -> v128                              8:d 12:addr 16:off   24
 *           _rr/_ri (an i32.add folded in)   8:d 12:a 16:b|imm 20:off 24
 * and single ops: v128_store 8:addr 12:v 16:off (24), _rr/_ri 8:a
 * 12:b|imm 16:v 20:off (24); v128_const 8:d 16:bytes (32); i8x16_shuffle
 * 8:d 12:a 16:b 24:lanes (40); v128_bitselect 8:d 12:a 16:b 20:c (24); extract lanes 8:d 12:a 16:lane (24, also acc);
 * replace lanes 8:d 12:a 16:b 20:lane (24); load lanes 8:d 12:addr 16:off
 * 20:v 24:lane (32); store lanes 8:addr 12:v 16:off 20:lane (24);
 * select2 8:d 12:a 16:b 20:cond (24); global_get2 8:d 12:global and
 * global_set2 8:a 12:global (16). */

/* clang-format off */
#define LAT_SIMD_SPLAT(Y, X)                                \
  Y(X, i8x16_splat, I8X16_SPLAT)                            \
  Y(X, i16x8_splat, I16X8_SPLAT)                            \
  Y(X, i32x4_splat, I32X4_SPLAT)                            \
  Y(X, i64x2_splat, I64X2_SPLAT)                            \
  Y(X, f32x4_splat, F32X4_SPLAT)                            \
  Y(X, f64x2_splat, F64X2_SPLAT)

#define LAT_SIMD_UN(Y, X)                                            \
  Y(X, v128_not, V128_NOT)                                           \
  Y(X, f32x4_demote_f64x2_zero, F32X4_DEMOTE_F64X2_ZERO)             \
  Y(X, f64x2_promote_low_f32x4, F64X2_PROMOTE_LOW_F32X4)             \
  Y(X, i8x16_abs, I8X16_ABS)                                         \
  Y(X, i8x16_neg, I8X16_NEG)                                         \
  Y(X, i8x16_popcnt, I8X16_POPCNT)                                   \
  Y(X, f32x4_ceil, F32X4_CEIL)                                       \
  Y(X, f32x4_floor, F32X4_FLOOR)                                     \
  Y(X, f32x4_trunc, F32X4_TRUNC)                                     \
  Y(X, f32x4_nearest, F32X4_NEAREST)                                 \
  Y(X, f64x2_ceil, F64X2_CEIL)                                       \
  Y(X, f64x2_floor, F64X2_FLOOR)                                     \
  Y(X, f64x2_trunc, F64X2_TRUNC)                                     \
  Y(X, f64x2_nearest, F64X2_NEAREST)                                 \
  Y(X, i16x8_extadd_pairwise_i8x16_s, I16X8_EXTADD_PAIRWISE_I8X16_S) \
  Y(X, i16x8_extadd_pairwise_i8x16_u, I16X8_EXTADD_PAIRWISE_I8X16_U) \
  Y(X, i32x4_extadd_pairwise_i16x8_s, I32X4_EXTADD_PAIRWISE_I16X8_S) \
  Y(X, i32x4_extadd_pairwise_i16x8_u, I32X4_EXTADD_PAIRWISE_I16X8_U) \
  Y(X, i16x8_abs, I16X8_ABS)                                         \
  Y(X, i16x8_neg, I16X8_NEG)                                         \
  Y(X, i16x8_extend_low_i8x16_s, I16X8_EXTEND_LOW_I8X16_S)           \
  Y(X, i16x8_extend_high_i8x16_s, I16X8_EXTEND_HIGH_I8X16_S)         \
  Y(X, i16x8_extend_low_i8x16_u, I16X8_EXTEND_LOW_I8X16_U)           \
  Y(X, i16x8_extend_high_i8x16_u, I16X8_EXTEND_HIGH_I8X16_U)         \
  Y(X, i32x4_abs, I32X4_ABS)                                         \
  Y(X, i32x4_neg, I32X4_NEG)                                         \
  Y(X, i32x4_extend_low_i16x8_s, I32X4_EXTEND_LOW_I16X8_S)           \
  Y(X, i32x4_extend_high_i16x8_s, I32X4_EXTEND_HIGH_I16X8_S)         \
  Y(X, i32x4_extend_low_i16x8_u, I32X4_EXTEND_LOW_I16X8_U)           \
  Y(X, i32x4_extend_high_i16x8_u, I32X4_EXTEND_HIGH_I16X8_U)         \
  Y(X, i64x2_abs, I64X2_ABS)                                         \
  Y(X, i64x2_neg, I64X2_NEG)                                         \
  Y(X, i64x2_extend_low_i32x4_s, I64X2_EXTEND_LOW_I32X4_S)           \
  Y(X, i64x2_extend_high_i32x4_s, I64X2_EXTEND_HIGH_I32X4_S)         \
  Y(X, i64x2_extend_low_i32x4_u, I64X2_EXTEND_LOW_I32X4_U)           \
  Y(X, i64x2_extend_high_i32x4_u, I64X2_EXTEND_HIGH_I32X4_U)         \
  Y(X, f32x4_abs, F32X4_ABS)                                         \
  Y(X, f32x4_neg, F32X4_NEG)                                         \
  Y(X, f32x4_sqrt, F32X4_SQRT)                                       \
  Y(X, f64x2_abs, F64X2_ABS)                                         \
  Y(X, f64x2_neg, F64X2_NEG)                                         \
  Y(X, f64x2_sqrt, F64X2_SQRT)                                       \
  Y(X, i32x4_trunc_sat_f32x4_s, I32X4_TRUNC_SAT_F32X4_S)             \
  Y(X, i32x4_trunc_sat_f32x4_u, I32X4_TRUNC_SAT_F32X4_U)             \
  Y(X, f32x4_convert_i32x4_s, F32X4_CONVERT_I32X4_S)                 \
  Y(X, f32x4_convert_i32x4_u, F32X4_CONVERT_I32X4_U)                 \
  Y(X, i32x4_trunc_sat_f64x2_s_zero, I32X4_TRUNC_SAT_F64X2_S_ZERO)   \
  Y(X, i32x4_trunc_sat_f64x2_u_zero, I32X4_TRUNC_SAT_F64X2_U_ZERO)   \
  Y(X, f64x2_convert_low_i32x4_s, F64X2_CONVERT_LOW_I32X4_S)         \
  Y(X, f64x2_convert_low_i32x4_u, F64X2_CONVERT_LOW_I32X4_U)

#define LAT_SIMD_TEST(Y, X)                                 \
  Y(X, v128_any_true, V128_ANY_TRUE)                        \
  Y(X, i8x16_all_true, I8X16_ALL_TRUE)                      \
  Y(X, i8x16_bitmask, I8X16_BITMASK)                        \
  Y(X, i16x8_all_true, I16X8_ALL_TRUE)                      \
  Y(X, i16x8_bitmask, I16X8_BITMASK)                        \
  Y(X, i32x4_all_true, I32X4_ALL_TRUE)                      \
  Y(X, i32x4_bitmask, I32X4_BITMASK)                        \
  Y(X, i64x2_all_true, I64X2_ALL_TRUE)                      \
  Y(X, i64x2_bitmask, I64X2_BITMASK)

#define LAT_SIMD_BIN(Y, X)                                   \
  Y(X, i8x16_swizzle, I8X16_SWIZZLE)                         \
  Y(X, i8x16_eq, I8X16_EQ)                                   \
  Y(X, i8x16_ne, I8X16_NE)                                   \
  Y(X, i8x16_lt_s, I8X16_LT_S)                               \
  Y(X, i8x16_lt_u, I8X16_LT_U)                               \
  Y(X, i8x16_gt_s, I8X16_GT_S)                               \
  Y(X, i8x16_gt_u, I8X16_GT_U)                               \
  Y(X, i8x16_le_s, I8X16_LE_S)                               \
  Y(X, i8x16_le_u, I8X16_LE_U)                               \
  Y(X, i8x16_ge_s, I8X16_GE_S)                               \
  Y(X, i8x16_ge_u, I8X16_GE_U)                               \
  Y(X, i16x8_eq, I16X8_EQ)                                   \
  Y(X, i16x8_ne, I16X8_NE)                                   \
  Y(X, i16x8_lt_s, I16X8_LT_S)                               \
  Y(X, i16x8_lt_u, I16X8_LT_U)                               \
  Y(X, i16x8_gt_s, I16X8_GT_S)                               \
  Y(X, i16x8_gt_u, I16X8_GT_U)                               \
  Y(X, i16x8_le_s, I16X8_LE_S)                               \
  Y(X, i16x8_le_u, I16X8_LE_U)                               \
  Y(X, i16x8_ge_s, I16X8_GE_S)                               \
  Y(X, i16x8_ge_u, I16X8_GE_U)                               \
  Y(X, i32x4_eq, I32X4_EQ)                                   \
  Y(X, i32x4_ne, I32X4_NE)                                   \
  Y(X, i32x4_lt_s, I32X4_LT_S)                               \
  Y(X, i32x4_lt_u, I32X4_LT_U)                               \
  Y(X, i32x4_gt_s, I32X4_GT_S)                               \
  Y(X, i32x4_gt_u, I32X4_GT_U)                               \
  Y(X, i32x4_le_s, I32X4_LE_S)                               \
  Y(X, i32x4_le_u, I32X4_LE_U)                               \
  Y(X, i32x4_ge_s, I32X4_GE_S)                               \
  Y(X, i32x4_ge_u, I32X4_GE_U)                               \
  Y(X, f32x4_eq, F32X4_EQ)                                   \
  Y(X, f32x4_ne, F32X4_NE)                                   \
  Y(X, f32x4_lt, F32X4_LT)                                   \
  Y(X, f32x4_gt, F32X4_GT)                                   \
  Y(X, f32x4_le, F32X4_LE)                                   \
  Y(X, f32x4_ge, F32X4_GE)                                   \
  Y(X, f64x2_eq, F64X2_EQ)                                   \
  Y(X, f64x2_ne, F64X2_NE)                                   \
  Y(X, f64x2_lt, F64X2_LT)                                   \
  Y(X, f64x2_gt, F64X2_GT)                                   \
  Y(X, f64x2_le, F64X2_LE)                                   \
  Y(X, f64x2_ge, F64X2_GE)                                   \
  Y(X, v128_and, V128_AND)                                   \
  Y(X, v128_andnot, V128_ANDNOT)                             \
  Y(X, v128_or, V128_OR)                                     \
  Y(X, v128_xor, V128_XOR)                                   \
  Y(X, i8x16_narrow_i16x8_s, I8X16_NARROW_I16X8_S)           \
  Y(X, i8x16_narrow_i16x8_u, I8X16_NARROW_I16X8_U)           \
  Y(X, i8x16_add, I8X16_ADD)                                 \
  Y(X, i8x16_add_sat_s, I8X16_ADD_SAT_S)                     \
  Y(X, i8x16_add_sat_u, I8X16_ADD_SAT_U)                     \
  Y(X, i8x16_sub, I8X16_SUB)                                 \
  Y(X, i8x16_sub_sat_s, I8X16_SUB_SAT_S)                     \
  Y(X, i8x16_sub_sat_u, I8X16_SUB_SAT_U)                     \
  Y(X, i8x16_min_s, I8X16_MIN_S)                             \
  Y(X, i8x16_min_u, I8X16_MIN_U)                             \
  Y(X, i8x16_max_s, I8X16_MAX_S)                             \
  Y(X, i8x16_max_u, I8X16_MAX_U)                             \
  Y(X, i8x16_avgr_u, I8X16_AVGR_U)                           \
  Y(X, i16x8_q15mulr_sat_s, I16X8_Q15MULR_SAT_S)             \
  Y(X, i16x8_narrow_i32x4_s, I16X8_NARROW_I32X4_S)           \
  Y(X, i16x8_narrow_i32x4_u, I16X8_NARROW_I32X4_U)           \
  Y(X, i16x8_add, I16X8_ADD)                                 \
  Y(X, i16x8_add_sat_s, I16X8_ADD_SAT_S)                     \
  Y(X, i16x8_add_sat_u, I16X8_ADD_SAT_U)                     \
  Y(X, i16x8_sub, I16X8_SUB)                                 \
  Y(X, i16x8_sub_sat_s, I16X8_SUB_SAT_S)                     \
  Y(X, i16x8_sub_sat_u, I16X8_SUB_SAT_U)                     \
  Y(X, i16x8_mul, I16X8_MUL)                                 \
  Y(X, i16x8_min_s, I16X8_MIN_S)                             \
  Y(X, i16x8_min_u, I16X8_MIN_U)                             \
  Y(X, i16x8_max_s, I16X8_MAX_S)                             \
  Y(X, i16x8_max_u, I16X8_MAX_U)                             \
  Y(X, i16x8_avgr_u, I16X8_AVGR_U)                           \
  Y(X, i16x8_extmul_low_i8x16_s, I16X8_EXTMUL_LOW_I8X16_S)   \
  Y(X, i16x8_extmul_high_i8x16_s, I16X8_EXTMUL_HIGH_I8X16_S) \
  Y(X, i16x8_extmul_low_i8x16_u, I16X8_EXTMUL_LOW_I8X16_U)   \
  Y(X, i16x8_extmul_high_i8x16_u, I16X8_EXTMUL_HIGH_I8X16_U) \
  Y(X, i32x4_add, I32X4_ADD)                                 \
  Y(X, i32x4_sub, I32X4_SUB)                                 \
  Y(X, i32x4_mul, I32X4_MUL)                                 \
  Y(X, i32x4_min_s, I32X4_MIN_S)                             \
  Y(X, i32x4_min_u, I32X4_MIN_U)                             \
  Y(X, i32x4_max_s, I32X4_MAX_S)                             \
  Y(X, i32x4_max_u, I32X4_MAX_U)                             \
  Y(X, i32x4_dot_i16x8_s, I32X4_DOT_I16X8_S)                 \
  Y(X, i32x4_extmul_low_i16x8_s, I32X4_EXTMUL_LOW_I16X8_S)   \
  Y(X, i32x4_extmul_high_i16x8_s, I32X4_EXTMUL_HIGH_I16X8_S) \
  Y(X, i32x4_extmul_low_i16x8_u, I32X4_EXTMUL_LOW_I16X8_U)   \
  Y(X, i32x4_extmul_high_i16x8_u, I32X4_EXTMUL_HIGH_I16X8_U) \
  Y(X, i64x2_add, I64X2_ADD)                                 \
  Y(X, i64x2_sub, I64X2_SUB)                                 \
  Y(X, i64x2_mul, I64X2_MUL)                                 \
  Y(X, i64x2_eq, I64X2_EQ)                                   \
  Y(X, i64x2_ne, I64X2_NE)                                   \
  Y(X, i64x2_lt_s, I64X2_LT_S)                               \
  Y(X, i64x2_gt_s, I64X2_GT_S)                               \
  Y(X, i64x2_le_s, I64X2_LE_S)                               \
  Y(X, i64x2_ge_s, I64X2_GE_S)                               \
  Y(X, i64x2_extmul_low_i32x4_s, I64X2_EXTMUL_LOW_I32X4_S)   \
  Y(X, i64x2_extmul_high_i32x4_s, I64X2_EXTMUL_HIGH_I32X4_S) \
  Y(X, i64x2_extmul_low_i32x4_u, I64X2_EXTMUL_LOW_I32X4_U)   \
  Y(X, i64x2_extmul_high_i32x4_u, I64X2_EXTMUL_HIGH_I32X4_U) \
  Y(X, f32x4_add, F32X4_ADD)                                 \
  Y(X, f32x4_sub, F32X4_SUB)                                 \
  Y(X, f32x4_mul, F32X4_MUL)                                 \
  Y(X, f32x4_div, F32X4_DIV)                                 \
  Y(X, f32x4_min, F32X4_MIN)                                 \
  Y(X, f32x4_max, F32X4_MAX)                                 \
  Y(X, f32x4_pmin, F32X4_PMIN)                               \
  Y(X, f32x4_pmax, F32X4_PMAX)                               \
  Y(X, f64x2_add, F64X2_ADD)                                 \
  Y(X, f64x2_sub, F64X2_SUB)                                 \
  Y(X, f64x2_mul, F64X2_MUL)                                 \
  Y(X, f64x2_div, F64X2_DIV)                                 \
  Y(X, f64x2_min, F64X2_MIN)                                 \
  Y(X, f64x2_max, F64X2_MAX)                                 \
  Y(X, f64x2_pmin, F64X2_PMIN)                               \
  Y(X, f64x2_pmax, F64X2_PMAX)

#define LAT_SIMD_SHIFT(Y, X)                                \
  Y(X, i8x16_shl, I8X16_SHL)                                \
  Y(X, i8x16_shr_s, I8X16_SHR_S)                            \
  Y(X, i8x16_shr_u, I8X16_SHR_U)                            \
  Y(X, i16x8_shl, I16X8_SHL)                                \
  Y(X, i16x8_shr_s, I16X8_SHR_S)                            \
  Y(X, i16x8_shr_u, I16X8_SHR_U)                            \
  Y(X, i32x4_shl, I32X4_SHL)                                \
  Y(X, i32x4_shr_s, I32X4_SHR_S)                            \
  Y(X, i32x4_shr_u, I32X4_SHR_U)                            \
  Y(X, i64x2_shl, I64X2_SHL)                                \
  Y(X, i64x2_shr_s, I64X2_SHR_S)                            \
  Y(X, i64x2_shr_u, I64X2_SHR_U)

/* loads i32 -> v128 */
#define LAT_SIMD_LOAD(Y, X)                                 \
  Y(X, v128_load, V128_LOAD)                                \
  Y(X, v128_load8x8_s, V128_LOAD8X8_S)                      \
  Y(X, v128_load8x8_u, V128_LOAD8X8_U)                      \
  Y(X, v128_load16x4_s, V128_LOAD16X4_S)                    \
  Y(X, v128_load16x4_u, V128_LOAD16X4_U)                    \
  Y(X, v128_load32x2_s, V128_LOAD32X2_S)                    \
  Y(X, v128_load32x2_u, V128_LOAD32X2_U)                    \
  Y(X, v128_load8_splat, V128_LOAD8_SPLAT)                  \
  Y(X, v128_load16_splat, V128_LOAD16_SPLAT)                \
  Y(X, v128_load32_splat, V128_LOAD32_SPLAT)                \
  Y(X, v128_load64_splat, V128_LOAD64_SPLAT)                \
  Y(X, v128_load32_zero, V128_LOAD32_ZERO)                  \
  Y(X, v128_load64_zero, V128_LOAD64_ZERO)

/* Relaxed SIMD ops that run as the 2.0 op whose result is one of their
 * allowed results: Y(form, name, ID) with form UN or BIN (v128 -> v128,
 * v128 v128 -> v128) passed in by the user (the translator, and src/aot). */
#define LAT_SIMD_RELAXED_ALIASES(Y, UN, BIN)                                   \
  Y(BIN, i8x16_swizzle, I8X16_RELAXED_SWIZZLE)                                 \
  Y(UN, i32x4_trunc_sat_f32x4_s, I32X4_RELAXED_TRUNC_F32X4_S)                  \
  Y(UN, i32x4_trunc_sat_f32x4_u, I32X4_RELAXED_TRUNC_F32X4_U)                  \
  Y(UN, i32x4_trunc_sat_f64x2_s_zero, I32X4_RELAXED_TRUNC_F64X2_S_ZERO)        \
  Y(UN, i32x4_trunc_sat_f64x2_u_zero, I32X4_RELAXED_TRUNC_F64X2_U_ZERO)        \
  Y(BIN, f32x4_min, F32X4_RELAXED_MIN)                                         \
  Y(BIN, f32x4_max, F32X4_RELAXED_MAX)                                         \
  Y(BIN, f64x2_min, F64X2_RELAXED_MIN)                                         \
  Y(BIN, f64x2_max, F64X2_RELAXED_MAX)                                         \
  Y(BIN, i16x8_q15mulr_sat_s, I16X8_RELAXED_Q15MULR_S)                         \
  Y(BIN, i16x8_relaxed_dot_i8x16_i7x16_s, I16X8_RELAXED_DOT_I8X16_I7X16_S)

#define LAT_SIMD_X1(X, name, id) X(name)
#define LAT_SIMD_X2(X, name, id) X(name) X(name##_i)
/* loads and v128.store also come with an i32.add of the address folded in:
 * _rr (slot + slot) and _ri (slot + imm), like the scalar ones */
#define LAT_SIMD_X3(X, name, id) X(name) X(name##_rr) X(name##_ri)

#define LAT_EXEC_SIMD_OPS(X)             \
  LAT_SIMD_SPLAT(LAT_SIMD_X1, X)         \
  LAT_SIMD_UN(LAT_SIMD_X1, X)            \
  LAT_SIMD_TEST(LAT_SIMD_X1, X)          \
  LAT_SIMD_BIN(LAT_SIMD_X1, X)           \
  LAT_SIMD_SHIFT(LAT_SIMD_X2, X)         \
  LAT_SIMD_LOAD(LAT_SIMD_X3, X)          \
  LAT_SIMD_X3(X, v128_store, V128_STORE) \
  X(v128_const)                          \
  X(i8x16_shuffle)                       \
  X(v128_bitselect)                      \
  X(f32x4_relaxed_madd)                  \
  X(f32x4_relaxed_nmadd)                 \
  X(f64x2_relaxed_madd)                  \
  X(f64x2_relaxed_nmadd)                 \
  X(i16x8_relaxed_dot_i8x16_i7x16_s)     \
  X(i32x4_relaxed_dot_i8x16_i7x16_add_s) \
  X(i8x16_extract_lane_s)                \
  X(i8x16_extract_lane_u)                \
  X(i16x8_extract_lane_s)                \
  X(i16x8_extract_lane_u)                \
  X(i32x4_extract_lane)                  \
  X(i64x2_extract_lane)                  \
  X(i8x16_replace_lane)                  \
  X(i16x8_replace_lane)                  \
  X(i32x4_replace_lane)                  \
  X(i64x2_replace_lane)                  \
  X(v128_load8_lane)                     \
  X(v128_load16_lane)                    \
  X(v128_load32_lane)                    \
  X(v128_load64_lane)                    \
  X(v128_store8_lane)                    \
  X(v128_store16_lane)                   \
  X(v128_store32_lane)                   \
  X(v128_store64_lane)                   \
  X(select2)                             \
  X(global_get2)                         \
  X(global_set2)
/* clang-format on */

/* ---- vector types
 * -------------------------------------------------------------- */

#define LAT_VEC(n) __attribute__((vector_size(n)))
typedef uint64_t lat__v128_t LAT_VEC(16); /* the canonical view */
typedef int8_t lat__i8x16_t LAT_VEC(16);
typedef uint8_t lat__u8x16_t LAT_VEC(16);
typedef int16_t lat__i16x8_t LAT_VEC(16);
typedef uint16_t lat__u16x8_t LAT_VEC(16);
typedef int32_t lat__i32x4_t LAT_VEC(16);
typedef uint32_t lat__u32x4_t LAT_VEC(16);
typedef int64_t lat__i64x2_t LAT_VEC(16);
typedef float lat__f32x4_t LAT_VEC(16);
typedef double lat__f64x2_t LAT_VEC(16);
/* half vectors, for widening */
typedef int8_t lat__i8x8_t LAT_VEC(8);
typedef uint8_t lat__u8x8_t LAT_VEC(8);
typedef int16_t lat__i16x4_t LAT_VEC(8);
typedef uint16_t lat__u16x4_t LAT_VEC(8);
typedef int32_t lat__i32x2_t LAT_VEC(8);
typedef uint32_t lat__u32x2_t LAT_VEC(8);
#undef LAT_VEC

#define SIMD_FN(name) static inline lat__v128_t lat__wasm_simd_##name
#define V_I8(v) ((lat__i8x16_t)(v))
#define V_U8(v) ((lat__u8x16_t)(v))
#define V_I16(v) ((lat__i16x8_t)(v))
#define V_U16(v) ((lat__u16x8_t)(v))
#define V_I32(v) ((lat__i32x4_t)(v))
#define V_U32(v) ((lat__u32x4_t)(v))
#define V_I64(v) ((lat__i64x2_t)(v))
#define V_F32(v) ((lat__f32x4_t)(v))
#define V_F64(v) ((lat__f64x2_t)(v))
#define V(v) ((lat__v128_t)(v))

/* unaligned 16-byte access to frame slots and memory */
static inline lat__v128_t lat__v128_load(const void *p) {
  lat__v128_t v;
  memcpy(&v, p, 16);
  return v;
}
static inline void lat__v128_store(void *p, lat__v128_t v) {
  memcpy(p, &v, 16);
}

/* a lane mask m (all ones / all zeros per lane) picks x, else y */
static inline lat__v128_t lat__v128_blend(lat__v128_t m, lat__v128_t x,
                                          lat__v128_t y) {
  return (m & x) | (~m & y);
}

/* ---- splats (the scalar is a zero-extended slot)
 * --------------------------------- */

static inline lat__v128_t lat__v128_dup64(uint64_t x) {
  return (lat__v128_t){x, x};
}
SIMD_FN(i8x16_splat)(uint64_t a) {
  return lat__v128_dup64((uint8_t)a * 0x0101010101010101ull);
}
SIMD_FN(i16x8_splat)(uint64_t a) {
  return lat__v128_dup64((uint16_t)a * 0x0001000100010001ull);
}
SIMD_FN(i32x4_splat)(uint64_t a) {
  return lat__v128_dup64((uint32_t)a * 0x0000000100000001ull);
}
SIMD_FN(i64x2_splat)(uint64_t a) {
  return lat__v128_dup64(a);
}
SIMD_FN(f32x4_splat)(uint64_t a) {
  return lat__wasm_simd_i32x4_splat(a);
}
SIMD_FN(f64x2_splat)(uint64_t a) {
  return lat__v128_dup64(a);
}

/* ---- bitwise
 * -------------------------------------------------------------------- */

SIMD_FN(v128_not)(lat__v128_t a) {
  return ~a;
}
SIMD_FN(v128_and)(lat__v128_t a, lat__v128_t b) {
  return a & b;
}
SIMD_FN(v128_andnot)(lat__v128_t a, lat__v128_t b) {
  return a & ~b;
}
SIMD_FN(v128_or)(lat__v128_t a, lat__v128_t b) {
  return a | b;
}
SIMD_FN(v128_xor)(lat__v128_t a, lat__v128_t b) {
  return a ^ b;
}
SIMD_FN(v128_bitselect)(lat__v128_t a, lat__v128_t b, lat__v128_t c) {
  return lat__v128_blend(c, a, b);
}

/* Relaxed SIMD.  Each relaxed op may give any of a few results; we give
 * the deterministic one everywhere (the translator maps relaxed_swizzle,
 * _trunc, _laneselect, _min/_max and _q15mulr onto the 2.0 ops, which are
 * among the allowed results).  madd/nmadd are unfused (a*b rounded, then
 * + c; the build has no -march, so gcc cannot contract them into an FMA);
 * the i8x16 x i7x16 dot products treat both operands as signed and wrap
 * the i16 pair sums, as the reference interpreter does. */
SIMD_FN(f32x4_relaxed_madd)(lat__v128_t a, lat__v128_t b, lat__v128_t c) {
  lat__f32x4_t p = V_F32(a) * V_F32(b);
  return V(p + V_F32(c));
}
SIMD_FN(f32x4_relaxed_nmadd)(lat__v128_t a, lat__v128_t b, lat__v128_t c) {
  lat__f32x4_t p = -(V_F32(a) * V_F32(b));
  return V(p + V_F32(c));
}
SIMD_FN(f64x2_relaxed_madd)(lat__v128_t a, lat__v128_t b, lat__v128_t c) {
  lat__f64x2_t p = V_F64(a) * V_F64(b);
  return V(p + V_F64(c));
}
SIMD_FN(f64x2_relaxed_nmadd)(lat__v128_t a, lat__v128_t b, lat__v128_t c) {
  lat__f64x2_t p = -(V_F64(a) * V_F64(b));
  return V(p + V_F64(c));
}
SIMD_FN(i16x8_relaxed_dot_i8x16_i7x16_s)(lat__v128_t a, lat__v128_t b) {
  lat__i8x16_t x = V_I8(a), y = V_I8(b);
  lat__u16x8_t r = {0};
  for (int i = 0; i < 8; i++)
    r[i] = (uint16_t)(x[2 * i] * y[2 * i] + x[2 * i + 1] * y[2 * i + 1]);
  return V(r);
}
SIMD_FN(i32x4_relaxed_dot_i8x16_i7x16_add_s)(lat__v128_t a, lat__v128_t b,
                                             lat__v128_t c) {
  lat__i16x8_t d = V_I16(lat__wasm_simd_i16x8_relaxed_dot_i8x16_i7x16_s(a, b));
  lat__u32x4_t r = V_U32(c);
  for (int i = 0; i < 4; i++)
    r[i] += (uint32_t)((int32_t)d[2 * i] + (int32_t)d[2 * i + 1]);
  return V(r);
}

static inline uint32_t lat__wasm_simd_v128_any_true(lat__v128_t a) {
  return (a[0] | a[1]) != 0;
}
#define LAT_ALL_TRUE(name, VT)                                  \
  static inline uint32_t lat__wasm_simd_##name(lat__v128_t a) { \
    lat__v128_t z = V(VT(a) == 0);                              \
    return (z[0] | z[1]) == 0;                                  \
  }
LAT_ALL_TRUE(i8x16_all_true, V_U8)
LAT_ALL_TRUE(i16x8_all_true, V_U16)
LAT_ALL_TRUE(i32x4_all_true, V_U32)
LAT_ALL_TRUE(i64x2_all_true, V)
#undef LAT_ALL_TRUE

static inline uint32_t lat__wasm_simd_i8x16_bitmask(lat__v128_t a) {
#ifdef __SSE2__
  return (uint32_t)_mm_movemask_epi8((__m128i)a);
#else
  uint32_t r = 0;
  for (int i = 0; i < 16; i++) r |= (uint32_t)((uint8_t)V_U8(a)[i] >> 7) << i;
  return r;
#endif
}
static inline uint32_t lat__wasm_simd_i16x8_bitmask(lat__v128_t a) {
#ifdef __SSE2__
  return (uint32_t)_mm_movemask_epi8(
      _mm_packs_epi16((__m128i)a, _mm_setzero_si128()));
#else
  uint32_t r = 0;
  for (int i = 0; i < 8; i++) r |= (uint32_t)((uint16_t)V_U16(a)[i] >> 15) << i;
  return r;
#endif
}
static inline uint32_t lat__wasm_simd_i32x4_bitmask(lat__v128_t a) {
  uint32_t r = 0;
  for (int i = 0; i < 4; i++) r |= (V_U32(a)[i] >> 31) << i;
  return r;
}
static inline uint32_t lat__wasm_simd_i64x2_bitmask(lat__v128_t a) {
  return (uint32_t)(a[0] >> 63) | (uint32_t)(a[1] >> 63) << 1;
}

/* ---- integer lanes
 * ---------------------------------------------------------------- */

/* wrapping arithmetic on unsigned lanes */
#define LAT_IARITH(t, UT)                          \
  SIMD_FN(t##_add)(lat__v128_t a, lat__v128_t b) { \
    return V(UT(a) + UT(b));                       \
  }                                                \
  SIMD_FN(t##_sub)(lat__v128_t a, lat__v128_t b) { \
    return V(UT(a) - UT(b));                       \
  }                                                \
  SIMD_FN(t##_neg)(lat__v128_t a) {                \
    return V(-UT(a));                              \
  }
LAT_IARITH(i8x16, V_U8)
LAT_IARITH(i16x8, V_U16)
LAT_IARITH(i32x4, V_U32)
LAT_IARITH(i64x2, V)
#undef LAT_IARITH
SIMD_FN(i16x8_mul)(lat__v128_t a, lat__v128_t b) {
  return V(V_U16(a) * V_U16(b));
}
SIMD_FN(i32x4_mul)(lat__v128_t a, lat__v128_t b) {
  return V(V_U32(a) * V_U32(b));
}
SIMD_FN(i64x2_mul)(lat__v128_t a, lat__v128_t b) {
  return a * b;
}

/* abs: (a ^ s) - s with s the lane's sign spread over it */
#define LAT_IABS(t, ST, UT, bits)           \
  SIMD_FN(t##_abs)(lat__v128_t a) {         \
    lat__v128_t s = V(ST(a) >> (bits - 1)); \
    return V(UT(a ^ s) - UT(s));            \
  }
LAT_IABS(i8x16, V_I8, V_U8, 8)
LAT_IABS(i16x8, V_I16, V_U16, 16)
LAT_IABS(i32x4, V_I32, V_U32, 32)
LAT_IABS(i64x2, V_I64, V, 64)
#undef LAT_IABS

/* compares produce all-ones lanes; min/max blend by them */
#define LAT_ICMP(t, s, VT)                             \
  SIMD_FN(t##_lt_##s)(lat__v128_t a, lat__v128_t b) {  \
    return V(VT(a) < VT(b));                           \
  }                                                    \
  SIMD_FN(t##_gt_##s)(lat__v128_t a, lat__v128_t b) {  \
    return V(VT(a) > VT(b));                           \
  }                                                    \
  SIMD_FN(t##_le_##s)(lat__v128_t a, lat__v128_t b) {  \
    return V(VT(a) <= VT(b));                          \
  }                                                    \
  SIMD_FN(t##_ge_##s)(lat__v128_t a, lat__v128_t b) {  \
    return V(VT(a) >= VT(b));                          \
  }                                                    \
  SIMD_FN(t##_min_##s)(lat__v128_t a, lat__v128_t b) { \
    return lat__v128_blend(V(VT(a) < VT(b)), a, b);    \
  }                                                    \
  SIMD_FN(t##_max_##s)(lat__v128_t a, lat__v128_t b) { \
    return lat__v128_blend(V(VT(a) > VT(b)), a, b);    \
  }
#define LAT_IEQ(t, VT)                            \
  SIMD_FN(t##_eq)(lat__v128_t a, lat__v128_t b) { \
    return V(VT(a) == VT(b));                     \
  }                                               \
  SIMD_FN(t##_ne)(lat__v128_t a, lat__v128_t b) { \
    return V(VT(a) != VT(b));                     \
  }
LAT_IEQ(i8x16, V_U8)
LAT_IEQ(i16x8, V_U16)
LAT_IEQ(i32x4, V_U32)
LAT_IEQ(i64x2, V)
LAT_ICMP(i8x16, s, V_I8)
LAT_ICMP(i8x16, u, V_U8)
LAT_ICMP(i16x8, s, V_I16)
LAT_ICMP(i16x8, u, V_U16)
LAT_ICMP(i32x4, s, V_I32)
LAT_ICMP(i32x4, u, V_U32)
LAT_ICMP(i64x2, s, V_I64)
#undef LAT_ICMP
#undef LAT_IEQ

/* shifts: the count is taken modulo the lane width */
#define LAT_ISHIFT(t, ST, UT, bits)               \
  SIMD_FN(t##_shl)(lat__v128_t a, uint64_t n) {   \
    return V(UT(a) << (int)(n & (bits - 1)));     \
  }                                               \
  SIMD_FN(t##_shr_s)(lat__v128_t a, uint64_t n) { \
    return V(ST(a) >> (int)(n & (bits - 1)));     \
  }                                               \
  SIMD_FN(t##_shr_u)(lat__v128_t a, uint64_t n) { \
    return V(UT(a) >> (int)(n & (bits - 1)));     \
  }
LAT_ISHIFT(i8x16, V_I8, V_U8, 8)
LAT_ISHIFT(i16x8, V_I16, V_U16, 16)
LAT_ISHIFT(i32x4, V_I32, V_U32, 32)
LAT_ISHIFT(i64x2, V_I64, V, 64)
#undef LAT_ISHIFT

/* saturating add/sub, rounding average: SSE2 has every one of them */
#ifdef __SSE2__
#define LAT_SSE_BIN(name, intrin)               \
  SIMD_FN(name)(lat__v128_t a, lat__v128_t b) { \
    return V(intrin((__m128i)a, (__m128i)b));   \
  }
LAT_SSE_BIN(i8x16_add_sat_s, _mm_adds_epi8)
LAT_SSE_BIN(i8x16_add_sat_u, _mm_adds_epu8)
LAT_SSE_BIN(i8x16_sub_sat_s, _mm_subs_epi8)
LAT_SSE_BIN(i8x16_sub_sat_u, _mm_subs_epu8)
LAT_SSE_BIN(i16x8_add_sat_s, _mm_adds_epi16)
LAT_SSE_BIN(i16x8_add_sat_u, _mm_adds_epu16)
LAT_SSE_BIN(i16x8_sub_sat_s, _mm_subs_epi16)
LAT_SSE_BIN(i16x8_sub_sat_u, _mm_subs_epu16)
LAT_SSE_BIN(i8x16_avgr_u, _mm_avg_epu8)
LAT_SSE_BIN(i16x8_avgr_u, _mm_avg_epu16)
LAT_SSE_BIN(i8x16_narrow_i16x8_s, _mm_packs_epi16)
LAT_SSE_BIN(i8x16_narrow_i16x8_u, _mm_packus_epi16)
LAT_SSE_BIN(i16x8_narrow_i32x4_s, _mm_packs_epi32)
LAT_SSE_BIN(i32x4_dot_i16x8_s, _mm_madd_epi16)
#undef LAT_SSE_BIN
#else
static inline int32_t lat__sat(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : x > hi ? hi : x;
}
#define LAT_LANE_BIN(name, n, VT, T, EXPR)        \
  SIMD_FN(name)(lat__v128_t a, lat__v128_t b) {   \
    VT x = (VT)(a), y = (VT)(b), r = {0};         \
    for (int i = 0; i < n; i++) r[i] = (T)(EXPR); \
    return V(r);                                  \
  }
LAT_LANE_BIN(i8x16_add_sat_s, 16, lat__i8x16_t, int8_t,
             lat__sat(x[i] + y[i], -128, 127))
LAT_LANE_BIN(i8x16_add_sat_u, 16, lat__u8x16_t, uint8_t,
             lat__sat(x[i] + y[i], 0, 255))
LAT_LANE_BIN(i8x16_sub_sat_s, 16, lat__i8x16_t, int8_t,
             lat__sat(x[i] - y[i], -128, 127))
LAT_LANE_BIN(i8x16_sub_sat_u, 16, lat__u8x16_t, uint8_t,
             lat__sat(x[i] - y[i], 0, 255))
LAT_LANE_BIN(i16x8_add_sat_s, 8, lat__i16x8_t, int16_t,
             lat__sat(x[i] + y[i], -32768, 32767))
LAT_LANE_BIN(i16x8_add_sat_u, 8, lat__u16x8_t, uint16_t,
             lat__sat(x[i] + y[i], 0, 65535))
LAT_LANE_BIN(i16x8_sub_sat_s, 8, lat__i16x8_t, int16_t,
             lat__sat(x[i] - y[i], -32768, 32767))
LAT_LANE_BIN(i16x8_sub_sat_u, 8, lat__u16x8_t, uint16_t,
             lat__sat(x[i] - y[i], 0, 65535))
LAT_LANE_BIN(i8x16_avgr_u, 16, lat__u8x16_t, uint8_t, (x[i] + y[i] + 1) >> 1)
LAT_LANE_BIN(i16x8_avgr_u, 8, lat__u16x8_t, uint16_t, (x[i] + y[i] + 1) >> 1)
#undef LAT_LANE_BIN
#define LAT_NARROW(name, n, IT, OT, T, lo, hi)  \
  SIMD_FN(name)(lat__v128_t a, lat__v128_t b) { \
    IT x = (IT)(a), y = (IT)(b);                \
    OT r = {0};                                 \
    for (int i = 0; i < n; i++) {               \
      r[i] = (T)lat__sat(x[i], lo, hi);         \
      r[i + n] = (T)lat__sat(y[i], lo, hi);     \
    }                                           \
    return V(r);                                \
  }
LAT_NARROW(i8x16_narrow_i16x8_s, 8, lat__i16x8_t, lat__i8x16_t, int8_t, -128,
           127)
LAT_NARROW(i8x16_narrow_i16x8_u, 8, lat__i16x8_t, lat__u8x16_t, uint8_t, 0, 255)
LAT_NARROW(i16x8_narrow_i32x4_s, 4, lat__i32x4_t, lat__i16x8_t, int16_t, -32768,
           32767)
#undef LAT_NARROW
SIMD_FN(i32x4_dot_i16x8_s)(lat__v128_t a, lat__v128_t b) {
  lat__i16x8_t x = V_I16(a), y = V_I16(b);
  lat__u32x4_t r = {0};
  for (int i = 0; i < 4; i++)
    r[i] = (uint32_t)(x[2 * i] * y[2 * i]) +
           (uint32_t)(x[2 * i + 1] * y[2 * i + 1]);
  return V(r);
}
#endif

SIMD_FN(i16x8_narrow_i32x4_u)(lat__v128_t a, lat__v128_t b) {
  lat__i32x4_t x = V_I32(a), y = V_I32(b);
  lat__u16x8_t r = {0};
  for (int i = 0; i < 4; i++) {
    r[i] = (uint16_t)(x[i] < 0 ? 0 : x[i] > 65535 ? 65535 : x[i]);
    r[i + 4] = (uint16_t)(y[i] < 0 ? 0 : y[i] > 65535 ? 65535 : y[i]);
  }
  return V(r);
}

SIMD_FN(i16x8_q15mulr_sat_s)(lat__v128_t a, lat__v128_t b) {
  lat__i16x8_t x = V_I16(a), y = V_I16(b), r = {0};
  for (int i = 0; i < 8; i++) {
    int32_t p = (x[i] * y[i] + 0x4000) >> 15;
    r[i] = (int16_t)(p > 32767 ? 32767 : p);
  }
  return V(r);
}

SIMD_FN(i8x16_popcnt)(lat__v128_t a) {
  lat__u8x16_t x = V_U8(a);
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return V((x + (x >> 4)) & 0x0f);
}

/* widening: half vectors converted lane by lane */
#define LAT_HALF(HT, a, hi)                              \
  ({                                                     \
    HT h_;                                               \
    memcpy(&h_, (const char *)&(a) + ((hi) ? 8 : 0), 8); \
    h_;                                                  \
  })
#define LAT_EXTEND(t, half, HT, WT)                            \
  SIMD_FN(t##_low_##half)(lat__v128_t a) {                     \
    return V(__builtin_convertvector(LAT_HALF(HT, a, 0), WT)); \
  }                                                            \
  SIMD_FN(t##_high_##half)(lat__v128_t a) {                    \
    return V(__builtin_convertvector(LAT_HALF(HT, a, 1), WT)); \
  }
LAT_EXTEND(i16x8_extend, i8x16_s, lat__i8x8_t, lat__i16x8_t)
LAT_EXTEND(i16x8_extend, i8x16_u, lat__u8x8_t, lat__u16x8_t)
LAT_EXTEND(i32x4_extend, i16x8_s, lat__i16x4_t, lat__i32x4_t)
LAT_EXTEND(i32x4_extend, i16x8_u, lat__u16x4_t, lat__u32x4_t)
LAT_EXTEND(i64x2_extend, i32x4_s, lat__i32x2_t, lat__i64x2_t)
LAT_EXTEND(i64x2_extend, i32x4_u, lat__u32x2_t, lat__v128_t)
#undef LAT_EXTEND
/* extmul: both halves widened, then a wrapping multiply (exact here) */
#define LAT_EXTMUL(t, half, HT, WT, UT)                            \
  SIMD_FN(t##_extmul_low_##half)(lat__v128_t a, lat__v128_t b) {   \
    return V(UT(__builtin_convertvector(LAT_HALF(HT, a, 0), WT)) * \
             UT(__builtin_convertvector(LAT_HALF(HT, b, 0), WT))); \
  }                                                                \
  SIMD_FN(t##_extmul_high_##half)(lat__v128_t a, lat__v128_t b) {  \
    return V(UT(__builtin_convertvector(LAT_HALF(HT, a, 1), WT)) * \
             UT(__builtin_convertvector(LAT_HALF(HT, b, 1), WT))); \
  }
LAT_EXTMUL(i16x8, i8x16_s, lat__i8x8_t, lat__i16x8_t, V_U16)
LAT_EXTMUL(i16x8, i8x16_u, lat__u8x8_t, lat__u16x8_t, V_U16)
LAT_EXTMUL(i32x4, i16x8_s, lat__i16x4_t, lat__i32x4_t, V_U32)
LAT_EXTMUL(i32x4, i16x8_u, lat__u16x4_t, lat__u32x4_t, V_U32)
LAT_EXTMUL(i64x2, i32x4_s, lat__i32x2_t, lat__i64x2_t, V)
LAT_EXTMUL(i64x2, i32x4_u, lat__u32x2_t, lat__v128_t, V)
#undef LAT_EXTMUL
#undef LAT_HALF

#define LAT_EXTADD(name, n, IT, OT, T)                               \
  SIMD_FN(name)(lat__v128_t a) {                                     \
    IT x = (IT)(a);                                                  \
    OT r = {0};                                                      \
    for (int i = 0; i < n; i++) r[i] = (T)(x[2 * i] + x[2 * i + 1]); \
    return V(r);                                                     \
  }
LAT_EXTADD(i16x8_extadd_pairwise_i8x16_s, 8, lat__i8x16_t, lat__i16x8_t,
           int16_t)
LAT_EXTADD(i16x8_extadd_pairwise_i8x16_u, 8, lat__u8x16_t, lat__u16x8_t,
           uint16_t)
LAT_EXTADD(i32x4_extadd_pairwise_i16x8_s, 4, lat__i16x8_t, lat__i32x4_t,
           int32_t)
LAT_EXTADD(i32x4_extadd_pairwise_i16x8_u, 4, lat__u16x8_t, lat__u32x4_t,
           uint32_t)
#undef LAT_EXTADD

/* swizzle: out-of-range indices give 0; shuffle: indices < 32 (validated) */
SIMD_FN(i8x16_swizzle)(lat__v128_t a, lat__v128_t b) {
  lat__u8x16_t x = V_U8(a), s = V_U8(b), r = {0};
  for (int i = 0; i < 16; i++) r[i] = s[i] < 16 ? x[s[i] & 15] : 0;
  return V(r);
}
static inline lat__v128_t lat__wasm_simd_i8x16_shuffle(lat__v128_t a,
                                                       lat__v128_t b,
                                                       const uint8_t *lanes) {
  uint8_t ab[32];
  memcpy(ab, &a, 16);
  memcpy(ab + 16, &b, 16);
  lat__u8x16_t r = {0};
  for (int i = 0; i < 16; i++) r[i] = ab[lanes[i] & 31];
  return V(r);
}

/* ---- float lanes
 * ---------------------------------------------------------------- */

#define LAT_FARITH(t, VT)                                                  \
  SIMD_FN(t##_add)(lat__v128_t a, lat__v128_t b) {                         \
    return V(VT(a) + VT(b));                                               \
  }                                                                        \
  SIMD_FN(t##_sub)(lat__v128_t a, lat__v128_t b) {                         \
    return V(VT(a) - VT(b));                                               \
  }                                                                        \
  SIMD_FN(t##_mul)(lat__v128_t a, lat__v128_t b) {                         \
    return V(VT(a) * VT(b));                                               \
  }                                                                        \
  SIMD_FN(t##_div)(lat__v128_t a, lat__v128_t b) {                         \
    return V(VT(a) / VT(b));                                               \
  }                                                                        \
  SIMD_FN(t##_eq)(lat__v128_t a, lat__v128_t b) {                          \
    return V(VT(a) == VT(b));                                              \
  }                                                                        \
  SIMD_FN(t##_ne)(lat__v128_t a, lat__v128_t b) {                          \
    return V(VT(a) != VT(b));                                              \
  }                                                                        \
  SIMD_FN(t##_lt)(lat__v128_t a, lat__v128_t b) {                          \
    return V(VT(a) < VT(b));                                               \
  }                                                                        \
  SIMD_FN(t##_gt)(lat__v128_t a, lat__v128_t b) {                          \
    return V(VT(a) > VT(b));                                               \
  }                                                                        \
  SIMD_FN(t##_le)(lat__v128_t a, lat__v128_t b) {                          \
    return V(VT(a) <= VT(b));                                              \
  }                                                                        \
  SIMD_FN(t##_ge)(lat__v128_t a, lat__v128_t b) {                          \
    return V(VT(a) >= VT(b));                                              \
  }                                                                        \
  SIMD_FN(t##_pmin)(lat__v128_t a, lat__v128_t b) {                        \
    return lat__v128_blend(V(VT(b) < VT(a)), b, a);                        \
  }                                                                        \
  SIMD_FN(t##_pmax)(lat__v128_t a, lat__v128_t b) {                        \
    return lat__v128_blend(V(VT(a) < VT(b)), b, a);                        \
  }                                                                        \
  /* equal lanes: OR of the bits gives -0 for min(-0, +0), AND +0 for max; \
   * unordered lanes: a + b, a quiet NaN */                                \
  SIMD_FN(t##_min)(lat__v128_t a, lat__v128_t b) {                         \
    lat__v128_t lt = V(VT(a) < VT(b)), gt = V(VT(a) > VT(b));              \
    lat__v128_t eq = V(VT(a) == VT(b)), un = ~(lt | gt | eq);              \
    return (lt & a) | (gt & b) | (eq & (a | b)) | (un & V(VT(a) + VT(b))); \
  }                                                                        \
  SIMD_FN(t##_max)(lat__v128_t a, lat__v128_t b) {                         \
    lat__v128_t lt = V(VT(a) < VT(b)), gt = V(VT(a) > VT(b));              \
    lat__v128_t eq = V(VT(a) == VT(b)), un = ~(lt | gt | eq);              \
    return (gt & a) | (lt & b) | (eq & (a & b)) | (un & V(VT(a) + VT(b))); \
  }
LAT_FARITH(f32x4, V_F32)
LAT_FARITH(f64x2, V_F64)
#undef LAT_FARITH

SIMD_FN(f32x4_abs)(lat__v128_t a) {
  return a & lat__v128_dup64(0x7fffffff7fffffffull);
}
SIMD_FN(f32x4_neg)(lat__v128_t a) {
  return a ^ lat__v128_dup64(0x8000000080000000ull);
}
SIMD_FN(f64x2_abs)(lat__v128_t a) {
  return a & lat__v128_dup64(0x7fffffffffffffffull);
}
SIMD_FN(f64x2_neg)(lat__v128_t a) {
  return a ^ lat__v128_dup64(0x8000000000000000ull);
}

SIMD_FN(f32x4_sqrt)(lat__v128_t a) {
#ifdef __SSE2__
  return V(_mm_sqrt_ps((__m128)a));
#else
  lat__f32x4_t x = V_F32(a);
  for (int i = 0; i < 4; i++) x[i] = sqrtf(x[i]);
  return V(x);
#endif
}
SIMD_FN(f64x2_sqrt)(lat__v128_t a) {
#ifdef __SSE2__
  return V(_mm_sqrt_pd((__m128d)a));
#else
  lat__f64x2_t x = V_F64(a);
  for (int i = 0; i < 2; i++) x[i] = sqrt(x[i]);
  return V(x);
#endif
}

/* rounding: libm per lane; libm passes a signalling NaN through, the spec
 * wants it quieted (x + x) */
#define LAT_FROUND(t, n, VT, suffix)                               \
  SIMD_FN(t##_ceil)(lat__v128_t a) {                               \
    VT x = (VT)(a);                                                \
    for (int i = 0; i < n; i++)                                    \
      x[i] = x[i] != x[i] ? x[i] + x[i] : ceil##suffix(x[i]);      \
    return V(x);                                                   \
  }                                                                \
  SIMD_FN(t##_floor)(lat__v128_t a) {                              \
    VT x = (VT)(a);                                                \
    for (int i = 0; i < n; i++)                                    \
      x[i] = x[i] != x[i] ? x[i] + x[i] : floor##suffix(x[i]);     \
    return V(x);                                                   \
  }                                                                \
  SIMD_FN(t##_trunc)(lat__v128_t a) {                              \
    VT x = (VT)(a);                                                \
    for (int i = 0; i < n; i++)                                    \
      x[i] = x[i] != x[i] ? x[i] + x[i] : trunc##suffix(x[i]);     \
    return V(x);                                                   \
  }                                                                \
  SIMD_FN(t##_nearest)(lat__v128_t a) {                            \
    VT x = (VT)(a);                                                \
    for (int i = 0; i < n; i++)                                    \
      x[i] = x[i] != x[i] ? x[i] + x[i] : nearbyint##suffix(x[i]); \
    return V(x);                                                   \
  }
LAT_FROUND(f32x4, 4, lat__f32x4_t, f)
LAT_FROUND(f64x2, 2, lat__f64x2_t, )
#undef LAT_FROUND

/* ---- conversions
 * ----------------------------------------------------------------- */

static inline int32_t lat__sat_s32(double x) {
  if (x != x) return 0;
  if (x <= -2147483648.0) return INT32_MIN;
  if (x >= 2147483647.0) return INT32_MAX;
  return (int32_t)x;
}
static inline uint32_t lat__sat_u32(double x) {
  if (x != x || x <= 0.0) return 0;
  if (x >= 4294967295.0) return UINT32_MAX;
  return (uint32_t)x;
}

SIMD_FN(i32x4_trunc_sat_f32x4_s)(lat__v128_t a) {
  lat__f32x4_t x = V_F32(a);
  lat__i32x4_t r = {0};
  for (int i = 0; i < 4; i++) r[i] = lat__sat_s32(x[i]);
  return V(r);
}
SIMD_FN(i32x4_trunc_sat_f32x4_u)(lat__v128_t a) {
  lat__f32x4_t x = V_F32(a);
  lat__u32x4_t r = {0};
  for (int i = 0; i < 4; i++) r[i] = lat__sat_u32(x[i]);
  return V(r);
}
SIMD_FN(i32x4_trunc_sat_f64x2_s_zero)(lat__v128_t a) {
  lat__f64x2_t x = V_F64(a);
  lat__i32x4_t r = {lat__sat_s32(x[0]), lat__sat_s32(x[1]), 0, 0};
  return V(r);
}
SIMD_FN(i32x4_trunc_sat_f64x2_u_zero)(lat__v128_t a) {
  lat__f64x2_t x = V_F64(a);
  lat__u32x4_t r = {lat__sat_u32(x[0]), lat__sat_u32(x[1]), 0, 0};
  return V(r);
}
SIMD_FN(f32x4_convert_i32x4_s)(lat__v128_t a) {
  return V(__builtin_convertvector(V_I32(a), lat__f32x4_t));
}
SIMD_FN(f32x4_convert_i32x4_u)(lat__v128_t a) {
  lat__u32x4_t x = V_U32(a);
  lat__f32x4_t r = {0};
  for (int i = 0; i < 4; i++) r[i] = (float)x[i]; /* rounds once, exactly */
  return V(r);
}
SIMD_FN(f64x2_convert_low_i32x4_s)(lat__v128_t a) {
  lat__i32x4_t x = V_I32(a);
  return V(((lat__f64x2_t){(double)x[0], (double)x[1]}));
}
SIMD_FN(f64x2_convert_low_i32x4_u)(lat__v128_t a) {
  lat__u32x4_t x = V_U32(a);
  return V(((lat__f64x2_t){(double)x[0], (double)x[1]}));
}
SIMD_FN(f32x4_demote_f64x2_zero)(lat__v128_t a) {
  lat__f64x2_t x = V_F64(a);
  return V(((lat__f32x4_t){(float)x[0], (float)x[1], 0.0f, 0.0f}));
}
SIMD_FN(f64x2_promote_low_f32x4)(lat__v128_t a) {
  lat__f32x4_t x = V_F32(a);
  return V(((lat__f64x2_t){(double)x[0], (double)x[1]}));
}

/* ---- loads (p: a bounds-checked pointer into memory) ---------------------- */

#define LAT_LOAD_FN(name, T, EXPR)                                    \
  static inline lat__v128_t lat__wasm_simd_##name(const uint8_t *p) { \
    T x;                                                              \
    memcpy(&x, p, sizeof x);                                          \
    return (EXPR);                                                    \
  }
LAT_LOAD_FN(v128_load, lat__v128_t, x)
LAT_LOAD_FN(v128_load8x8_s, uint64_t,
            lat__wasm_simd_i16x8_extend_low_i8x16_s((lat__v128_t){x, 0}))
LAT_LOAD_FN(v128_load8x8_u, uint64_t,
            lat__wasm_simd_i16x8_extend_low_i8x16_u((lat__v128_t){x, 0}))
LAT_LOAD_FN(v128_load16x4_s, uint64_t,
            lat__wasm_simd_i32x4_extend_low_i16x8_s((lat__v128_t){x, 0}))
LAT_LOAD_FN(v128_load16x4_u, uint64_t,
            lat__wasm_simd_i32x4_extend_low_i16x8_u((lat__v128_t){x, 0}))
LAT_LOAD_FN(v128_load32x2_s, uint64_t,
            lat__wasm_simd_i64x2_extend_low_i32x4_s((lat__v128_t){x, 0}))
LAT_LOAD_FN(v128_load32x2_u, uint64_t,
            lat__wasm_simd_i64x2_extend_low_i32x4_u((lat__v128_t){x, 0}))
LAT_LOAD_FN(v128_load8_splat, uint8_t, lat__wasm_simd_i8x16_splat(x))
LAT_LOAD_FN(v128_load16_splat, uint16_t, lat__wasm_simd_i16x8_splat(x))
LAT_LOAD_FN(v128_load32_splat, uint32_t, lat__wasm_simd_i32x4_splat(x))
LAT_LOAD_FN(v128_load64_splat, uint64_t, lat__wasm_simd_i64x2_splat(x))
LAT_LOAD_FN(v128_load32_zero, uint32_t, ((lat__v128_t){x, 0}))
LAT_LOAD_FN(v128_load64_zero, uint64_t, ((lat__v128_t){x, 0}))
#undef LAT_LOAD_FN

#undef SIMD_FN
#undef V_I8
#undef V_U8
#undef V_I16
#undef V_U16
#undef V_I32
#undef V_U32
#undef V_I64
#undef V_F32
#undef V_F64
#undef V

#endif
