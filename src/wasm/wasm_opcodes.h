/* wasm_opcodes.h: every WebAssembly 2.0 opcode and the 3.0 ones implemented
 * so far (return_call, return_call_indirect, relaxed SIMD, throw, throw_ref,
 * try_table), as X-macro tables.
 *
 * One table drives the decoder, the validator, the text parser and the
 * translator (the wasm3 way), so opcode numbers, names and immediates are
 * written down exactly once.  Include it read-only; it defines no data, only
 * macros and enums, so any file may stamp out the tables it needs, e.g.
 *
 *   #define X(id, code, name, imm, sig, arg) [code] = LAT_IMM_##imm,
 *   static const uint8_t imm_of[256] = { LAT_WASM_OPS(X) };
 *   #undef X
 *
 * Columns of every entry: X(id, code, name, imm, sig, arg)
 *   id    suffix of the enum constant (LAT_OP_<id>, LAT_OP_FC_<id>,
 *         LAT_OP_FD_<id>)
 *   code  the opcode byte; for the 0xFC and 0xFD prefixes, the u32 LEB128
 *         sub-opcode that follows the prefix byte
 *   name  the text-format mnemonic
 *   imm   the immediates that follow (LAT_IMM_<imm>, below)
 *   sig   operand types popped and pushed (LAT_SIG_<sig>, below), or SPECIAL
 *         when the type depends on immediates or context (control, locals,
 *         globals, calls, references, tables)
 *   arg   for memory accesses the log2 of the natural alignment (the largest
 *         legal memarg alignment); for LANE immediates the number of lanes;
 *         0 otherwise
 *
 * Numbering follows the 2.0 specification (binary/instructions), including
 * the gaps in the SIMD space (154, 162, 165, 166, 175, 176, 178-180, 187,
 * 194, 197, 198, 207, 208, 210-212, 226, 238 are unassigned).
 */
#ifndef LAT_WASM_OPCODES_H
#define LAT_WASM_OPCODES_H

/* ---- immediate kinds ------------------------------------------------------ */
#define LAT_WASM_IMMS(X)                                                     \
  X(ILLEGAL)       /* not an opcode: 0 so unlisted table slots mean illegal */ \
  X(NONE)          /* no immediates */                                       \
  X(BLOCK)         /* blocktype: 0x40 | valtype | s33 type index */          \
  X(LABEL)         /* u32 label depth */                                     \
  X(BR_TABLE)      /* vec(u32 label) u32 default */                          \
  X(FUNC)          /* u32 function index (call, ref.func) */                 \
  X(CALL_INDIRECT) /* u32 type index, u32 table index */                     \
  X(LOCAL)         /* u32 local index */                                     \
  X(GLOBAL)        /* u32 global index */                                    \
  X(TABLE)         /* u32 table index */                                     \
  X(MEMARG)        /* u32 align flags (< 32), u32 offset */                  \
  X(MEM0)          /* one 0x00 byte (memory index, reserved) */              \
  X(I32)           /* s32 */                                                 \
  X(I64)           /* s64 */                                                 \
  X(F32)           /* 4 bytes little-endian */                               \
  X(F64)           /* 8 bytes little-endian */                               \
  X(SELECT_T)      /* vec(valtype), length 1 in 2.0 */                       \
  X(REFTYPE)       /* one reftype byte (0x70 | 0x6f) */                      \
  X(DATA_MEM)      /* u32 data index, 0x00 */                                \
  X(DATA)          /* u32 data index */                                      \
  X(MEM_MEM)       /* 0x00 0x00 */                                           \
  X(ELEM_TABLE)    /* u32 elem index, u32 table index */                     \
  X(ELEM)          /* u32 elem index */                                      \
  X(TABLE_TABLE)   /* u32 dst table, u32 src table */                        \
  X(V128)          /* 16 bytes */                                            \
  X(LANE)          /* one byte lane index < arg */                           \
  X(MEMLANE)       /* memarg, then one byte lane index < 16 >> arg */        \
  X(SHUFFLE)       /* 16 bytes, each a lane index < 32 */                    \
  X(TAG)           /* u32 tag index (throw) */                               \
  X(TRY_TABLE)     /* blocktype, vec(catch): kind byte 0-3, [u32 tag], u32   \
                      label (0 catch, 1 catch_ref: with a tag) */

enum lat_wasm_imm {
#define LAT_X_IMM(k) LAT_IMM_##k,
  LAT_WASM_IMMS(LAT_X_IMM)
#undef LAT_X_IMM
      LAT_IMM_COUNT
};

/* ---- operand signatures ------------------------------------------------------
 * X(sig, nparams, p0, p1, p2, nresults, r0).  Letters: i i32, l i64, f f32,
 * d f64, v v128, x nothing.  Params are listed bottom of stack first. */
#define LAT_WASM_SIGS(X)                                \
  X(SPECIAL, 0, 0, 0, 0, 0, 0)                          \
  X(x_x, 0, 0, 0, 0, 0, 0)                              \
  X(x_i, 0, 0, 0, 0, 1, LAT_I32)                        \
  X(x_l, 0, 0, 0, 0, 1, LAT_I64)                        \
  X(x_f, 0, 0, 0, 0, 1, LAT_F32)                        \
  X(x_d, 0, 0, 0, 0, 1, LAT_F64)                        \
  X(x_v, 0, 0, 0, 0, 1, LAT_V128)                       \
  X(i_i, 1, LAT_I32, 0, 0, 1, LAT_I32)                  \
  X(i_l, 1, LAT_I32, 0, 0, 1, LAT_I64)                  \
  X(i_f, 1, LAT_I32, 0, 0, 1, LAT_F32)                  \
  X(i_d, 1, LAT_I32, 0, 0, 1, LAT_F64)                  \
  X(i_v, 1, LAT_I32, 0, 0, 1, LAT_V128)                 \
  X(l_i, 1, LAT_I64, 0, 0, 1, LAT_I32)                  \
  X(l_l, 1, LAT_I64, 0, 0, 1, LAT_I64)                  \
  X(l_f, 1, LAT_I64, 0, 0, 1, LAT_F32)                  \
  X(l_d, 1, LAT_I64, 0, 0, 1, LAT_F64)                  \
  X(l_v, 1, LAT_I64, 0, 0, 1, LAT_V128)                 \
  X(f_i, 1, LAT_F32, 0, 0, 1, LAT_I32)                  \
  X(f_l, 1, LAT_F32, 0, 0, 1, LAT_I64)                  \
  X(f_f, 1, LAT_F32, 0, 0, 1, LAT_F32)                  \
  X(f_d, 1, LAT_F32, 0, 0, 1, LAT_F64)                  \
  X(f_v, 1, LAT_F32, 0, 0, 1, LAT_V128)                 \
  X(d_i, 1, LAT_F64, 0, 0, 1, LAT_I32)                  \
  X(d_l, 1, LAT_F64, 0, 0, 1, LAT_I64)                  \
  X(d_f, 1, LAT_F64, 0, 0, 1, LAT_F32)                  \
  X(d_d, 1, LAT_F64, 0, 0, 1, LAT_F64)                  \
  X(d_v, 1, LAT_F64, 0, 0, 1, LAT_V128)                 \
  X(v_i, 1, LAT_V128, 0, 0, 1, LAT_I32)                 \
  X(v_l, 1, LAT_V128, 0, 0, 1, LAT_I64)                 \
  X(v_f, 1, LAT_V128, 0, 0, 1, LAT_F32)                 \
  X(v_d, 1, LAT_V128, 0, 0, 1, LAT_F64)                 \
  X(v_v, 1, LAT_V128, 0, 0, 1, LAT_V128)                \
  X(ii_i, 2, LAT_I32, LAT_I32, 0, 1, LAT_I32)           \
  X(ll_i, 2, LAT_I64, LAT_I64, 0, 1, LAT_I32)           \
  X(ll_l, 2, LAT_I64, LAT_I64, 0, 1, LAT_I64)           \
  X(ff_i, 2, LAT_F32, LAT_F32, 0, 1, LAT_I32)           \
  X(ff_f, 2, LAT_F32, LAT_F32, 0, 1, LAT_F32)           \
  X(dd_i, 2, LAT_F64, LAT_F64, 0, 1, LAT_I32)           \
  X(dd_d, 2, LAT_F64, LAT_F64, 0, 1, LAT_F64)           \
  X(ii_x, 2, LAT_I32, LAT_I32, 0, 0, 0)                 \
  X(il_x, 2, LAT_I32, LAT_I64, 0, 0, 0)                 \
  X(if_x, 2, LAT_I32, LAT_F32, 0, 0, 0)                 \
  X(id_x, 2, LAT_I32, LAT_F64, 0, 0, 0)                 \
  X(iv_x, 2, LAT_I32, LAT_V128, 0, 0, 0)                \
  X(iv_v, 2, LAT_I32, LAT_V128, 0, 1, LAT_V128)         \
  X(vi_v, 2, LAT_V128, LAT_I32, 0, 1, LAT_V128)         \
  X(vl_v, 2, LAT_V128, LAT_I64, 0, 1, LAT_V128)         \
  X(vf_v, 2, LAT_V128, LAT_F32, 0, 1, LAT_V128)         \
  X(vd_v, 2, LAT_V128, LAT_F64, 0, 1, LAT_V128)         \
  X(vv_v, 2, LAT_V128, LAT_V128, 0, 1, LAT_V128)        \
  X(iii_x, 3, LAT_I32, LAT_I32, LAT_I32, 0, 0)          \
  X(vvv_v, 3, LAT_V128, LAT_V128, LAT_V128, 1, LAT_V128)

enum lat_wasm_sig {
#define LAT_X_SIG(s, np, p0, p1, p2, nr, r0) LAT_SIG_##s,
  LAT_WASM_SIGS(LAT_X_SIG)
#undef LAT_X_SIG
      LAT_SIG_COUNT
};

/* ---- prefixes ---------------------------------------------------------------- */
#define LAT_OP_PREFIX_FC 0xfc /* saturating truncation, bulk memory/table */
#define LAT_OP_PREFIX_FD 0xfd /* SIMD (v128) */

/* ---- single-byte opcodes (MVP, sign extension, reference types) -------------- */
#define LAT_WASM_OPS(X)                                                   \
  X(UNREACHABLE, 0x00, "unreachable", NONE, SPECIAL, 0)                   \
  X(NOP, 0x01, "nop", NONE, x_x, 0)                                       \
  X(BLOCK, 0x02, "block", BLOCK, SPECIAL, 0)                              \
  X(LOOP, 0x03, "loop", BLOCK, SPECIAL, 0)                                \
  X(IF, 0x04, "if", BLOCK, SPECIAL, 0)                                    \
  X(ELSE, 0x05, "else", NONE, SPECIAL, 0)                                 \
  X(THROW, 0x08, "throw", TAG, SPECIAL, 0)                                \
  X(THROW_REF, 0x0a, "throw_ref", NONE, SPECIAL, 0)                       \
  X(END, 0x0b, "end", NONE, SPECIAL, 0)                                   \
  X(BR, 0x0c, "br", LABEL, SPECIAL, 0)                                    \
  X(BR_IF, 0x0d, "br_if", LABEL, SPECIAL, 0)                              \
  X(BR_TABLE, 0x0e, "br_table", BR_TABLE, SPECIAL, 0)                     \
  X(RETURN, 0x0f, "return", NONE, SPECIAL, 0)                             \
  X(CALL, 0x10, "call", FUNC, SPECIAL, 0)                                 \
  X(CALL_INDIRECT, 0x11, "call_indirect", CALL_INDIRECT, SPECIAL, 0)      \
  X(RETURN_CALL, 0x12, "return_call", FUNC, SPECIAL, 0)                   \
  X(RETURN_CALL_INDIRECT, 0x13, "return_call_indirect", CALL_INDIRECT,    \
    SPECIAL, 0)                                                           \
  X(DROP, 0x1a, "drop", NONE, SPECIAL, 0)                                 \
  X(SELECT, 0x1b, "select", NONE, SPECIAL, 0)                             \
  X(SELECT_T, 0x1c, "select", SELECT_T, SPECIAL, 0)                       \
  X(TRY_TABLE, 0x1f, "try_table", TRY_TABLE, SPECIAL, 0)                  \
  X(LOCAL_GET, 0x20, "local.get", LOCAL, SPECIAL, 0)                      \
  X(LOCAL_SET, 0x21, "local.set", LOCAL, SPECIAL, 0)                      \
  X(LOCAL_TEE, 0x22, "local.tee", LOCAL, SPECIAL, 0)                      \
  X(GLOBAL_GET, 0x23, "global.get", GLOBAL, SPECIAL, 0)                   \
  X(GLOBAL_SET, 0x24, "global.set", GLOBAL, SPECIAL, 0)                   \
  X(TABLE_GET, 0x25, "table.get", TABLE, SPECIAL, 0)                      \
  X(TABLE_SET, 0x26, "table.set", TABLE, SPECIAL, 0)                      \
  X(I32_LOAD, 0x28, "i32.load", MEMARG, i_i, 2)                           \
  X(I64_LOAD, 0x29, "i64.load", MEMARG, i_l, 3)                           \
  X(F32_LOAD, 0x2a, "f32.load", MEMARG, i_f, 2)                           \
  X(F64_LOAD, 0x2b, "f64.load", MEMARG, i_d, 3)                           \
  X(I32_LOAD8_S, 0x2c, "i32.load8_s", MEMARG, i_i, 0)                     \
  X(I32_LOAD8_U, 0x2d, "i32.load8_u", MEMARG, i_i, 0)                     \
  X(I32_LOAD16_S, 0x2e, "i32.load16_s", MEMARG, i_i, 1)                   \
  X(I32_LOAD16_U, 0x2f, "i32.load16_u", MEMARG, i_i, 1)                   \
  X(I64_LOAD8_S, 0x30, "i64.load8_s", MEMARG, i_l, 0)                     \
  X(I64_LOAD8_U, 0x31, "i64.load8_u", MEMARG, i_l, 0)                     \
  X(I64_LOAD16_S, 0x32, "i64.load16_s", MEMARG, i_l, 1)                   \
  X(I64_LOAD16_U, 0x33, "i64.load16_u", MEMARG, i_l, 1)                   \
  X(I64_LOAD32_S, 0x34, "i64.load32_s", MEMARG, i_l, 2)                   \
  X(I64_LOAD32_U, 0x35, "i64.load32_u", MEMARG, i_l, 2)                   \
  X(I32_STORE, 0x36, "i32.store", MEMARG, ii_x, 2)                        \
  X(I64_STORE, 0x37, "i64.store", MEMARG, il_x, 3)                        \
  X(F32_STORE, 0x38, "f32.store", MEMARG, if_x, 2)                        \
  X(F64_STORE, 0x39, "f64.store", MEMARG, id_x, 3)                        \
  X(I32_STORE8, 0x3a, "i32.store8", MEMARG, ii_x, 0)                      \
  X(I32_STORE16, 0x3b, "i32.store16", MEMARG, ii_x, 1)                    \
  X(I64_STORE8, 0x3c, "i64.store8", MEMARG, il_x, 0)                      \
  X(I64_STORE16, 0x3d, "i64.store16", MEMARG, il_x, 1)                    \
  X(I64_STORE32, 0x3e, "i64.store32", MEMARG, il_x, 2)                    \
  X(MEMORY_SIZE, 0x3f, "memory.size", MEM0, x_i, 0)                       \
  X(MEMORY_GROW, 0x40, "memory.grow", MEM0, i_i, 0)                       \
  X(I32_CONST, 0x41, "i32.const", I32, x_i, 0)                            \
  X(I64_CONST, 0x42, "i64.const", I64, x_l, 0)                            \
  X(F32_CONST, 0x43, "f32.const", F32, x_f, 0)                            \
  X(F64_CONST, 0x44, "f64.const", F64, x_d, 0)                            \
  X(I32_EQZ, 0x45, "i32.eqz", NONE, i_i, 0)                               \
  X(I32_EQ, 0x46, "i32.eq", NONE, ii_i, 0)                                \
  X(I32_NE, 0x47, "i32.ne", NONE, ii_i, 0)                                \
  X(I32_LT_S, 0x48, "i32.lt_s", NONE, ii_i, 0)                            \
  X(I32_LT_U, 0x49, "i32.lt_u", NONE, ii_i, 0)                            \
  X(I32_GT_S, 0x4a, "i32.gt_s", NONE, ii_i, 0)                            \
  X(I32_GT_U, 0x4b, "i32.gt_u", NONE, ii_i, 0)                            \
  X(I32_LE_S, 0x4c, "i32.le_s", NONE, ii_i, 0)                            \
  X(I32_LE_U, 0x4d, "i32.le_u", NONE, ii_i, 0)                            \
  X(I32_GE_S, 0x4e, "i32.ge_s", NONE, ii_i, 0)                            \
  X(I32_GE_U, 0x4f, "i32.ge_u", NONE, ii_i, 0)                            \
  X(I64_EQZ, 0x50, "i64.eqz", NONE, l_i, 0)                               \
  X(I64_EQ, 0x51, "i64.eq", NONE, ll_i, 0)                                \
  X(I64_NE, 0x52, "i64.ne", NONE, ll_i, 0)                                \
  X(I64_LT_S, 0x53, "i64.lt_s", NONE, ll_i, 0)                            \
  X(I64_LT_U, 0x54, "i64.lt_u", NONE, ll_i, 0)                            \
  X(I64_GT_S, 0x55, "i64.gt_s", NONE, ll_i, 0)                            \
  X(I64_GT_U, 0x56, "i64.gt_u", NONE, ll_i, 0)                            \
  X(I64_LE_S, 0x57, "i64.le_s", NONE, ll_i, 0)                            \
  X(I64_LE_U, 0x58, "i64.le_u", NONE, ll_i, 0)                            \
  X(I64_GE_S, 0x59, "i64.ge_s", NONE, ll_i, 0)                            \
  X(I64_GE_U, 0x5a, "i64.ge_u", NONE, ll_i, 0)                            \
  X(F32_EQ, 0x5b, "f32.eq", NONE, ff_i, 0)                                \
  X(F32_NE, 0x5c, "f32.ne", NONE, ff_i, 0)                                \
  X(F32_LT, 0x5d, "f32.lt", NONE, ff_i, 0)                                \
  X(F32_GT, 0x5e, "f32.gt", NONE, ff_i, 0)                                \
  X(F32_LE, 0x5f, "f32.le", NONE, ff_i, 0)                                \
  X(F32_GE, 0x60, "f32.ge", NONE, ff_i, 0)                                \
  X(F64_EQ, 0x61, "f64.eq", NONE, dd_i, 0)                                \
  X(F64_NE, 0x62, "f64.ne", NONE, dd_i, 0)                                \
  X(F64_LT, 0x63, "f64.lt", NONE, dd_i, 0)                                \
  X(F64_GT, 0x64, "f64.gt", NONE, dd_i, 0)                                \
  X(F64_LE, 0x65, "f64.le", NONE, dd_i, 0)                                \
  X(F64_GE, 0x66, "f64.ge", NONE, dd_i, 0)                                \
  X(I32_CLZ, 0x67, "i32.clz", NONE, i_i, 0)                               \
  X(I32_CTZ, 0x68, "i32.ctz", NONE, i_i, 0)                               \
  X(I32_POPCNT, 0x69, "i32.popcnt", NONE, i_i, 0)                         \
  X(I32_ADD, 0x6a, "i32.add", NONE, ii_i, 0)                              \
  X(I32_SUB, 0x6b, "i32.sub", NONE, ii_i, 0)                              \
  X(I32_MUL, 0x6c, "i32.mul", NONE, ii_i, 0)                              \
  X(I32_DIV_S, 0x6d, "i32.div_s", NONE, ii_i, 0)                          \
  X(I32_DIV_U, 0x6e, "i32.div_u", NONE, ii_i, 0)                          \
  X(I32_REM_S, 0x6f, "i32.rem_s", NONE, ii_i, 0)                          \
  X(I32_REM_U, 0x70, "i32.rem_u", NONE, ii_i, 0)                          \
  X(I32_AND, 0x71, "i32.and", NONE, ii_i, 0)                              \
  X(I32_OR, 0x72, "i32.or", NONE, ii_i, 0)                                \
  X(I32_XOR, 0x73, "i32.xor", NONE, ii_i, 0)                              \
  X(I32_SHL, 0x74, "i32.shl", NONE, ii_i, 0)                              \
  X(I32_SHR_S, 0x75, "i32.shr_s", NONE, ii_i, 0)                          \
  X(I32_SHR_U, 0x76, "i32.shr_u", NONE, ii_i, 0)                          \
  X(I32_ROTL, 0x77, "i32.rotl", NONE, ii_i, 0)                            \
  X(I32_ROTR, 0x78, "i32.rotr", NONE, ii_i, 0)                            \
  X(I64_CLZ, 0x79, "i64.clz", NONE, l_l, 0)                               \
  X(I64_CTZ, 0x7a, "i64.ctz", NONE, l_l, 0)                               \
  X(I64_POPCNT, 0x7b, "i64.popcnt", NONE, l_l, 0)                         \
  X(I64_ADD, 0x7c, "i64.add", NONE, ll_l, 0)                              \
  X(I64_SUB, 0x7d, "i64.sub", NONE, ll_l, 0)                              \
  X(I64_MUL, 0x7e, "i64.mul", NONE, ll_l, 0)                              \
  X(I64_DIV_S, 0x7f, "i64.div_s", NONE, ll_l, 0)                          \
  X(I64_DIV_U, 0x80, "i64.div_u", NONE, ll_l, 0)                          \
  X(I64_REM_S, 0x81, "i64.rem_s", NONE, ll_l, 0)                          \
  X(I64_REM_U, 0x82, "i64.rem_u", NONE, ll_l, 0)                          \
  X(I64_AND, 0x83, "i64.and", NONE, ll_l, 0)                              \
  X(I64_OR, 0x84, "i64.or", NONE, ll_l, 0)                                \
  X(I64_XOR, 0x85, "i64.xor", NONE, ll_l, 0)                              \
  X(I64_SHL, 0x86, "i64.shl", NONE, ll_l, 0)                              \
  X(I64_SHR_S, 0x87, "i64.shr_s", NONE, ll_l, 0)                          \
  X(I64_SHR_U, 0x88, "i64.shr_u", NONE, ll_l, 0)                          \
  X(I64_ROTL, 0x89, "i64.rotl", NONE, ll_l, 0)                            \
  X(I64_ROTR, 0x8a, "i64.rotr", NONE, ll_l, 0)                            \
  X(F32_ABS, 0x8b, "f32.abs", NONE, f_f, 0)                               \
  X(F32_NEG, 0x8c, "f32.neg", NONE, f_f, 0)                               \
  X(F32_CEIL, 0x8d, "f32.ceil", NONE, f_f, 0)                             \
  X(F32_FLOOR, 0x8e, "f32.floor", NONE, f_f, 0)                           \
  X(F32_TRUNC, 0x8f, "f32.trunc", NONE, f_f, 0)                           \
  X(F32_NEAREST, 0x90, "f32.nearest", NONE, f_f, 0)                       \
  X(F32_SQRT, 0x91, "f32.sqrt", NONE, f_f, 0)                             \
  X(F32_ADD, 0x92, "f32.add", NONE, ff_f, 0)                              \
  X(F32_SUB, 0x93, "f32.sub", NONE, ff_f, 0)                              \
  X(F32_MUL, 0x94, "f32.mul", NONE, ff_f, 0)                              \
  X(F32_DIV, 0x95, "f32.div", NONE, ff_f, 0)                              \
  X(F32_MIN, 0x96, "f32.min", NONE, ff_f, 0)                              \
  X(F32_MAX, 0x97, "f32.max", NONE, ff_f, 0)                              \
  X(F32_COPYSIGN, 0x98, "f32.copysign", NONE, ff_f, 0)                    \
  X(F64_ABS, 0x99, "f64.abs", NONE, d_d, 0)                               \
  X(F64_NEG, 0x9a, "f64.neg", NONE, d_d, 0)                               \
  X(F64_CEIL, 0x9b, "f64.ceil", NONE, d_d, 0)                             \
  X(F64_FLOOR, 0x9c, "f64.floor", NONE, d_d, 0)                           \
  X(F64_TRUNC, 0x9d, "f64.trunc", NONE, d_d, 0)                           \
  X(F64_NEAREST, 0x9e, "f64.nearest", NONE, d_d, 0)                       \
  X(F64_SQRT, 0x9f, "f64.sqrt", NONE, d_d, 0)                             \
  X(F64_ADD, 0xa0, "f64.add", NONE, dd_d, 0)                              \
  X(F64_SUB, 0xa1, "f64.sub", NONE, dd_d, 0)                              \
  X(F64_MUL, 0xa2, "f64.mul", NONE, dd_d, 0)                              \
  X(F64_DIV, 0xa3, "f64.div", NONE, dd_d, 0)                              \
  X(F64_MIN, 0xa4, "f64.min", NONE, dd_d, 0)                              \
  X(F64_MAX, 0xa5, "f64.max", NONE, dd_d, 0)                              \
  X(F64_COPYSIGN, 0xa6, "f64.copysign", NONE, dd_d, 0)                    \
  X(I32_WRAP_I64, 0xa7, "i32.wrap_i64", NONE, l_i, 0)                     \
  X(I32_TRUNC_F32_S, 0xa8, "i32.trunc_f32_s", NONE, f_i, 0)               \
  X(I32_TRUNC_F32_U, 0xa9, "i32.trunc_f32_u", NONE, f_i, 0)               \
  X(I32_TRUNC_F64_S, 0xaa, "i32.trunc_f64_s", NONE, d_i, 0)               \
  X(I32_TRUNC_F64_U, 0xab, "i32.trunc_f64_u", NONE, d_i, 0)               \
  X(I64_EXTEND_I32_S, 0xac, "i64.extend_i32_s", NONE, i_l, 0)             \
  X(I64_EXTEND_I32_U, 0xad, "i64.extend_i32_u", NONE, i_l, 0)             \
  X(I64_TRUNC_F32_S, 0xae, "i64.trunc_f32_s", NONE, f_l, 0)               \
  X(I64_TRUNC_F32_U, 0xaf, "i64.trunc_f32_u", NONE, f_l, 0)               \
  X(I64_TRUNC_F64_S, 0xb0, "i64.trunc_f64_s", NONE, d_l, 0)               \
  X(I64_TRUNC_F64_U, 0xb1, "i64.trunc_f64_u", NONE, d_l, 0)               \
  X(F32_CONVERT_I32_S, 0xb2, "f32.convert_i32_s", NONE, i_f, 0)           \
  X(F32_CONVERT_I32_U, 0xb3, "f32.convert_i32_u", NONE, i_f, 0)           \
  X(F32_CONVERT_I64_S, 0xb4, "f32.convert_i64_s", NONE, l_f, 0)           \
  X(F32_CONVERT_I64_U, 0xb5, "f32.convert_i64_u", NONE, l_f, 0)           \
  X(F32_DEMOTE_F64, 0xb6, "f32.demote_f64", NONE, d_f, 0)                 \
  X(F64_CONVERT_I32_S, 0xb7, "f64.convert_i32_s", NONE, i_d, 0)           \
  X(F64_CONVERT_I32_U, 0xb8, "f64.convert_i32_u", NONE, i_d, 0)           \
  X(F64_CONVERT_I64_S, 0xb9, "f64.convert_i64_s", NONE, l_d, 0)           \
  X(F64_CONVERT_I64_U, 0xba, "f64.convert_i64_u", NONE, l_d, 0)           \
  X(F64_PROMOTE_F32, 0xbb, "f64.promote_f32", NONE, f_d, 0)               \
  X(I32_REINTERPRET_F32, 0xbc, "i32.reinterpret_f32", NONE, f_i, 0)       \
  X(I64_REINTERPRET_F64, 0xbd, "i64.reinterpret_f64", NONE, d_l, 0)       \
  X(F32_REINTERPRET_I32, 0xbe, "f32.reinterpret_i32", NONE, i_f, 0)       \
  X(F64_REINTERPRET_I64, 0xbf, "f64.reinterpret_i64", NONE, l_d, 0)       \
  X(I32_EXTEND8_S, 0xc0, "i32.extend8_s", NONE, i_i, 0)                   \
  X(I32_EXTEND16_S, 0xc1, "i32.extend16_s", NONE, i_i, 0)                 \
  X(I64_EXTEND8_S, 0xc2, "i64.extend8_s", NONE, l_l, 0)                   \
  X(I64_EXTEND16_S, 0xc3, "i64.extend16_s", NONE, l_l, 0)                 \
  X(I64_EXTEND32_S, 0xc4, "i64.extend32_s", NONE, l_l, 0)                 \
  X(REF_NULL, 0xd0, "ref.null", REFTYPE, SPECIAL, 0)                      \
  X(REF_IS_NULL, 0xd1, "ref.is_null", NONE, SPECIAL, 0)                   \
  X(REF_FUNC, 0xd2, "ref.func", FUNC, SPECIAL, 0)

/* ---- 0xFC prefix: saturating truncation, bulk memory and table ops ----------- */
#define LAT_WASM_OPS_FC(X)                                                    \
  X(I32_TRUNC_SAT_F32_S, 0, "i32.trunc_sat_f32_s", NONE, f_i, 0)              \
  X(I32_TRUNC_SAT_F32_U, 1, "i32.trunc_sat_f32_u", NONE, f_i, 0)              \
  X(I32_TRUNC_SAT_F64_S, 2, "i32.trunc_sat_f64_s", NONE, d_i, 0)              \
  X(I32_TRUNC_SAT_F64_U, 3, "i32.trunc_sat_f64_u", NONE, d_i, 0)              \
  X(I64_TRUNC_SAT_F32_S, 4, "i64.trunc_sat_f32_s", NONE, f_l, 0)              \
  X(I64_TRUNC_SAT_F32_U, 5, "i64.trunc_sat_f32_u", NONE, f_l, 0)              \
  X(I64_TRUNC_SAT_F64_S, 6, "i64.trunc_sat_f64_s", NONE, d_l, 0)              \
  X(I64_TRUNC_SAT_F64_U, 7, "i64.trunc_sat_f64_u", NONE, d_l, 0)              \
  X(MEMORY_INIT, 8, "memory.init", DATA_MEM, iii_x, 0)                        \
  X(DATA_DROP, 9, "data.drop", DATA, x_x, 0)                                  \
  X(MEMORY_COPY, 10, "memory.copy", MEM_MEM, iii_x, 0)                        \
  X(MEMORY_FILL, 11, "memory.fill", MEM0, iii_x, 0)                           \
  X(TABLE_INIT, 12, "table.init", ELEM_TABLE, iii_x, 0)                       \
  X(ELEM_DROP, 13, "elem.drop", ELEM, x_x, 0)                                 \
  X(TABLE_COPY, 14, "table.copy", TABLE_TABLE, iii_x, 0)                      \
  X(TABLE_GROW, 15, "table.grow", TABLE, SPECIAL, 0)                          \
  X(TABLE_SIZE, 16, "table.size", TABLE, x_i, 0)                              \
  X(TABLE_FILL, 17, "table.fill", TABLE, SPECIAL, 0)

#define LAT_WASM_FC_COUNT 18u /* sub-opcodes 0..17 */

/* ---- 0xFD prefix: SIMD (128-bit vectors) --------------------------------------- */
#define LAT_WASM_OPS_FD(X)                                                          \
  X(V128_LOAD, 0, "v128.load", MEMARG, i_v, 4)                                      \
  X(V128_LOAD8X8_S, 1, "v128.load8x8_s", MEMARG, i_v, 3)                            \
  X(V128_LOAD8X8_U, 2, "v128.load8x8_u", MEMARG, i_v, 3)                            \
  X(V128_LOAD16X4_S, 3, "v128.load16x4_s", MEMARG, i_v, 3)                          \
  X(V128_LOAD16X4_U, 4, "v128.load16x4_u", MEMARG, i_v, 3)                          \
  X(V128_LOAD32X2_S, 5, "v128.load32x2_s", MEMARG, i_v, 3)                          \
  X(V128_LOAD32X2_U, 6, "v128.load32x2_u", MEMARG, i_v, 3)                          \
  X(V128_LOAD8_SPLAT, 7, "v128.load8_splat", MEMARG, i_v, 0)                        \
  X(V128_LOAD16_SPLAT, 8, "v128.load16_splat", MEMARG, i_v, 1)                      \
  X(V128_LOAD32_SPLAT, 9, "v128.load32_splat", MEMARG, i_v, 2)                      \
  X(V128_LOAD64_SPLAT, 10, "v128.load64_splat", MEMARG, i_v, 3)                     \
  X(V128_STORE, 11, "v128.store", MEMARG, iv_x, 4)                                  \
  X(V128_CONST, 12, "v128.const", V128, x_v, 0)                                     \
  X(I8X16_SHUFFLE, 13, "i8x16.shuffle", SHUFFLE, vv_v, 0)                           \
  X(I8X16_SWIZZLE, 14, "i8x16.swizzle", NONE, vv_v, 0)                              \
  X(I8X16_SPLAT, 15, "i8x16.splat", NONE, i_v, 0)                                   \
  X(I16X8_SPLAT, 16, "i16x8.splat", NONE, i_v, 0)                                   \
  X(I32X4_SPLAT, 17, "i32x4.splat", NONE, i_v, 0)                                   \
  X(I64X2_SPLAT, 18, "i64x2.splat", NONE, l_v, 0)                                   \
  X(F32X4_SPLAT, 19, "f32x4.splat", NONE, f_v, 0)                                   \
  X(F64X2_SPLAT, 20, "f64x2.splat", NONE, d_v, 0)                                   \
  X(I8X16_EXTRACT_LANE_S, 21, "i8x16.extract_lane_s", LANE, v_i, 16)                \
  X(I8X16_EXTRACT_LANE_U, 22, "i8x16.extract_lane_u", LANE, v_i, 16)                \
  X(I8X16_REPLACE_LANE, 23, "i8x16.replace_lane", LANE, vi_v, 16)                   \
  X(I16X8_EXTRACT_LANE_S, 24, "i16x8.extract_lane_s", LANE, v_i, 8)                 \
  X(I16X8_EXTRACT_LANE_U, 25, "i16x8.extract_lane_u", LANE, v_i, 8)                 \
  X(I16X8_REPLACE_LANE, 26, "i16x8.replace_lane", LANE, vi_v, 8)                    \
  X(I32X4_EXTRACT_LANE, 27, "i32x4.extract_lane", LANE, v_i, 4)                     \
  X(I32X4_REPLACE_LANE, 28, "i32x4.replace_lane", LANE, vi_v, 4)                    \
  X(I64X2_EXTRACT_LANE, 29, "i64x2.extract_lane", LANE, v_l, 2)                     \
  X(I64X2_REPLACE_LANE, 30, "i64x2.replace_lane", LANE, vl_v, 2)                    \
  X(F32X4_EXTRACT_LANE, 31, "f32x4.extract_lane", LANE, v_f, 4)                     \
  X(F32X4_REPLACE_LANE, 32, "f32x4.replace_lane", LANE, vf_v, 4)                    \
  X(F64X2_EXTRACT_LANE, 33, "f64x2.extract_lane", LANE, v_d, 2)                     \
  X(F64X2_REPLACE_LANE, 34, "f64x2.replace_lane", LANE, vd_v, 2)                    \
  X(I8X16_EQ, 35, "i8x16.eq", NONE, vv_v, 0)                                        \
  X(I8X16_NE, 36, "i8x16.ne", NONE, vv_v, 0)                                        \
  X(I8X16_LT_S, 37, "i8x16.lt_s", NONE, vv_v, 0)                                    \
  X(I8X16_LT_U, 38, "i8x16.lt_u", NONE, vv_v, 0)                                    \
  X(I8X16_GT_S, 39, "i8x16.gt_s", NONE, vv_v, 0)                                    \
  X(I8X16_GT_U, 40, "i8x16.gt_u", NONE, vv_v, 0)                                    \
  X(I8X16_LE_S, 41, "i8x16.le_s", NONE, vv_v, 0)                                    \
  X(I8X16_LE_U, 42, "i8x16.le_u", NONE, vv_v, 0)                                    \
  X(I8X16_GE_S, 43, "i8x16.ge_s", NONE, vv_v, 0)                                    \
  X(I8X16_GE_U, 44, "i8x16.ge_u", NONE, vv_v, 0)                                    \
  X(I16X8_EQ, 45, "i16x8.eq", NONE, vv_v, 0)                                        \
  X(I16X8_NE, 46, "i16x8.ne", NONE, vv_v, 0)                                        \
  X(I16X8_LT_S, 47, "i16x8.lt_s", NONE, vv_v, 0)                                    \
  X(I16X8_LT_U, 48, "i16x8.lt_u", NONE, vv_v, 0)                                    \
  X(I16X8_GT_S, 49, "i16x8.gt_s", NONE, vv_v, 0)                                    \
  X(I16X8_GT_U, 50, "i16x8.gt_u", NONE, vv_v, 0)                                    \
  X(I16X8_LE_S, 51, "i16x8.le_s", NONE, vv_v, 0)                                    \
  X(I16X8_LE_U, 52, "i16x8.le_u", NONE, vv_v, 0)                                    \
  X(I16X8_GE_S, 53, "i16x8.ge_s", NONE, vv_v, 0)                                    \
  X(I16X8_GE_U, 54, "i16x8.ge_u", NONE, vv_v, 0)                                    \
  X(I32X4_EQ, 55, "i32x4.eq", NONE, vv_v, 0)                                        \
  X(I32X4_NE, 56, "i32x4.ne", NONE, vv_v, 0)                                        \
  X(I32X4_LT_S, 57, "i32x4.lt_s", NONE, vv_v, 0)                                    \
  X(I32X4_LT_U, 58, "i32x4.lt_u", NONE, vv_v, 0)                                    \
  X(I32X4_GT_S, 59, "i32x4.gt_s", NONE, vv_v, 0)                                    \
  X(I32X4_GT_U, 60, "i32x4.gt_u", NONE, vv_v, 0)                                    \
  X(I32X4_LE_S, 61, "i32x4.le_s", NONE, vv_v, 0)                                    \
  X(I32X4_LE_U, 62, "i32x4.le_u", NONE, vv_v, 0)                                    \
  X(I32X4_GE_S, 63, "i32x4.ge_s", NONE, vv_v, 0)                                    \
  X(I32X4_GE_U, 64, "i32x4.ge_u", NONE, vv_v, 0)                                    \
  X(F32X4_EQ, 65, "f32x4.eq", NONE, vv_v, 0)                                        \
  X(F32X4_NE, 66, "f32x4.ne", NONE, vv_v, 0)                                        \
  X(F32X4_LT, 67, "f32x4.lt", NONE, vv_v, 0)                                        \
  X(F32X4_GT, 68, "f32x4.gt", NONE, vv_v, 0)                                        \
  X(F32X4_LE, 69, "f32x4.le", NONE, vv_v, 0)                                        \
  X(F32X4_GE, 70, "f32x4.ge", NONE, vv_v, 0)                                        \
  X(F64X2_EQ, 71, "f64x2.eq", NONE, vv_v, 0)                                        \
  X(F64X2_NE, 72, "f64x2.ne", NONE, vv_v, 0)                                        \
  X(F64X2_LT, 73, "f64x2.lt", NONE, vv_v, 0)                                        \
  X(F64X2_GT, 74, "f64x2.gt", NONE, vv_v, 0)                                        \
  X(F64X2_LE, 75, "f64x2.le", NONE, vv_v, 0)                                        \
  X(F64X2_GE, 76, "f64x2.ge", NONE, vv_v, 0)                                        \
  X(V128_NOT, 77, "v128.not", NONE, v_v, 0)                                         \
  X(V128_AND, 78, "v128.and", NONE, vv_v, 0)                                        \
  X(V128_ANDNOT, 79, "v128.andnot", NONE, vv_v, 0)                                  \
  X(V128_OR, 80, "v128.or", NONE, vv_v, 0)                                          \
  X(V128_XOR, 81, "v128.xor", NONE, vv_v, 0)                                        \
  X(V128_BITSELECT, 82, "v128.bitselect", NONE, vvv_v, 0)                           \
  X(V128_ANY_TRUE, 83, "v128.any_true", NONE, v_i, 0)                               \
  X(V128_LOAD8_LANE, 84, "v128.load8_lane", MEMLANE, iv_v, 0)                       \
  X(V128_LOAD16_LANE, 85, "v128.load16_lane", MEMLANE, iv_v, 1)                     \
  X(V128_LOAD32_LANE, 86, "v128.load32_lane", MEMLANE, iv_v, 2)                     \
  X(V128_LOAD64_LANE, 87, "v128.load64_lane", MEMLANE, iv_v, 3)                     \
  X(V128_STORE8_LANE, 88, "v128.store8_lane", MEMLANE, iv_x, 0)                     \
  X(V128_STORE16_LANE, 89, "v128.store16_lane", MEMLANE, iv_x, 1)                   \
  X(V128_STORE32_LANE, 90, "v128.store32_lane", MEMLANE, iv_x, 2)                   \
  X(V128_STORE64_LANE, 91, "v128.store64_lane", MEMLANE, iv_x, 3)                   \
  X(V128_LOAD32_ZERO, 92, "v128.load32_zero", MEMARG, i_v, 2)                       \
  X(V128_LOAD64_ZERO, 93, "v128.load64_zero", MEMARG, i_v, 3)                       \
  X(F32X4_DEMOTE_F64X2_ZERO, 94, "f32x4.demote_f64x2_zero", NONE, v_v, 0)           \
  X(F64X2_PROMOTE_LOW_F32X4, 95, "f64x2.promote_low_f32x4", NONE, v_v, 0)           \
  X(I8X16_ABS, 96, "i8x16.abs", NONE, v_v, 0)                                       \
  X(I8X16_NEG, 97, "i8x16.neg", NONE, v_v, 0)                                       \
  X(I8X16_POPCNT, 98, "i8x16.popcnt", NONE, v_v, 0)                                 \
  X(I8X16_ALL_TRUE, 99, "i8x16.all_true", NONE, v_i, 0)                             \
  X(I8X16_BITMASK, 100, "i8x16.bitmask", NONE, v_i, 0)                              \
  X(I8X16_NARROW_I16X8_S, 101, "i8x16.narrow_i16x8_s", NONE, vv_v, 0)               \
  X(I8X16_NARROW_I16X8_U, 102, "i8x16.narrow_i16x8_u", NONE, vv_v, 0)               \
  X(F32X4_CEIL, 103, "f32x4.ceil", NONE, v_v, 0)                                    \
  X(F32X4_FLOOR, 104, "f32x4.floor", NONE, v_v, 0)                                  \
  X(F32X4_TRUNC, 105, "f32x4.trunc", NONE, v_v, 0)                                  \
  X(F32X4_NEAREST, 106, "f32x4.nearest", NONE, v_v, 0)                              \
  X(I8X16_SHL, 107, "i8x16.shl", NONE, vi_v, 0)                                     \
  X(I8X16_SHR_S, 108, "i8x16.shr_s", NONE, vi_v, 0)                                 \
  X(I8X16_SHR_U, 109, "i8x16.shr_u", NONE, vi_v, 0)                                 \
  X(I8X16_ADD, 110, "i8x16.add", NONE, vv_v, 0)                                     \
  X(I8X16_ADD_SAT_S, 111, "i8x16.add_sat_s", NONE, vv_v, 0)                         \
  X(I8X16_ADD_SAT_U, 112, "i8x16.add_sat_u", NONE, vv_v, 0)                         \
  X(I8X16_SUB, 113, "i8x16.sub", NONE, vv_v, 0)                                     \
  X(I8X16_SUB_SAT_S, 114, "i8x16.sub_sat_s", NONE, vv_v, 0)                         \
  X(I8X16_SUB_SAT_U, 115, "i8x16.sub_sat_u", NONE, vv_v, 0)                         \
  X(F64X2_CEIL, 116, "f64x2.ceil", NONE, v_v, 0)                                    \
  X(F64X2_FLOOR, 117, "f64x2.floor", NONE, v_v, 0)                                  \
  X(I8X16_MIN_S, 118, "i8x16.min_s", NONE, vv_v, 0)                                 \
  X(I8X16_MIN_U, 119, "i8x16.min_u", NONE, vv_v, 0)                                 \
  X(I8X16_MAX_S, 120, "i8x16.max_s", NONE, vv_v, 0)                                 \
  X(I8X16_MAX_U, 121, "i8x16.max_u", NONE, vv_v, 0)                                 \
  X(F64X2_TRUNC, 122, "f64x2.trunc", NONE, v_v, 0)                                  \
  X(I8X16_AVGR_U, 123, "i8x16.avgr_u", NONE, vv_v, 0)                               \
  X(I16X8_EXTADD_PAIRWISE_I8X16_S, 124, "i16x8.extadd_pairwise_i8x16_s", NONE, v_v, 0) \
  X(I16X8_EXTADD_PAIRWISE_I8X16_U, 125, "i16x8.extadd_pairwise_i8x16_u", NONE, v_v, 0) \
  X(I32X4_EXTADD_PAIRWISE_I16X8_S, 126, "i32x4.extadd_pairwise_i16x8_s", NONE, v_v, 0) \
  X(I32X4_EXTADD_PAIRWISE_I16X8_U, 127, "i32x4.extadd_pairwise_i16x8_u", NONE, v_v, 0) \
  X(I16X8_ABS, 128, "i16x8.abs", NONE, v_v, 0)                                      \
  X(I16X8_NEG, 129, "i16x8.neg", NONE, v_v, 0)                                      \
  X(I16X8_Q15MULR_SAT_S, 130, "i16x8.q15mulr_sat_s", NONE, vv_v, 0)                 \
  X(I16X8_ALL_TRUE, 131, "i16x8.all_true", NONE, v_i, 0)                            \
  X(I16X8_BITMASK, 132, "i16x8.bitmask", NONE, v_i, 0)                              \
  X(I16X8_NARROW_I32X4_S, 133, "i16x8.narrow_i32x4_s", NONE, vv_v, 0)               \
  X(I16X8_NARROW_I32X4_U, 134, "i16x8.narrow_i32x4_u", NONE, vv_v, 0)               \
  X(I16X8_EXTEND_LOW_I8X16_S, 135, "i16x8.extend_low_i8x16_s", NONE, v_v, 0)        \
  X(I16X8_EXTEND_HIGH_I8X16_S, 136, "i16x8.extend_high_i8x16_s", NONE, v_v, 0)      \
  X(I16X8_EXTEND_LOW_I8X16_U, 137, "i16x8.extend_low_i8x16_u", NONE, v_v, 0)        \
  X(I16X8_EXTEND_HIGH_I8X16_U, 138, "i16x8.extend_high_i8x16_u", NONE, v_v, 0)      \
  X(I16X8_SHL, 139, "i16x8.shl", NONE, vi_v, 0)                                     \
  X(I16X8_SHR_S, 140, "i16x8.shr_s", NONE, vi_v, 0)                                 \
  X(I16X8_SHR_U, 141, "i16x8.shr_u", NONE, vi_v, 0)                                 \
  X(I16X8_ADD, 142, "i16x8.add", NONE, vv_v, 0)                                     \
  X(I16X8_ADD_SAT_S, 143, "i16x8.add_sat_s", NONE, vv_v, 0)                         \
  X(I16X8_ADD_SAT_U, 144, "i16x8.add_sat_u", NONE, vv_v, 0)                         \
  X(I16X8_SUB, 145, "i16x8.sub", NONE, vv_v, 0)                                     \
  X(I16X8_SUB_SAT_S, 146, "i16x8.sub_sat_s", NONE, vv_v, 0)                         \
  X(I16X8_SUB_SAT_U, 147, "i16x8.sub_sat_u", NONE, vv_v, 0)                         \
  X(F64X2_NEAREST, 148, "f64x2.nearest", NONE, v_v, 0)                              \
  X(I16X8_MUL, 149, "i16x8.mul", NONE, vv_v, 0)                                     \
  X(I16X8_MIN_S, 150, "i16x8.min_s", NONE, vv_v, 0)                                 \
  X(I16X8_MIN_U, 151, "i16x8.min_u", NONE, vv_v, 0)                                 \
  X(I16X8_MAX_S, 152, "i16x8.max_s", NONE, vv_v, 0)                                 \
  X(I16X8_MAX_U, 153, "i16x8.max_u", NONE, vv_v, 0)                                 \
  X(I16X8_AVGR_U, 155, "i16x8.avgr_u", NONE, vv_v, 0)                               \
  X(I16X8_EXTMUL_LOW_I8X16_S, 156, "i16x8.extmul_low_i8x16_s", NONE, vv_v, 0)       \
  X(I16X8_EXTMUL_HIGH_I8X16_S, 157, "i16x8.extmul_high_i8x16_s", NONE, vv_v, 0)     \
  X(I16X8_EXTMUL_LOW_I8X16_U, 158, "i16x8.extmul_low_i8x16_u", NONE, vv_v, 0)       \
  X(I16X8_EXTMUL_HIGH_I8X16_U, 159, "i16x8.extmul_high_i8x16_u", NONE, vv_v, 0)     \
  X(I32X4_ABS, 160, "i32x4.abs", NONE, v_v, 0)                                      \
  X(I32X4_NEG, 161, "i32x4.neg", NONE, v_v, 0)                                      \
  X(I32X4_ALL_TRUE, 163, "i32x4.all_true", NONE, v_i, 0)                            \
  X(I32X4_BITMASK, 164, "i32x4.bitmask", NONE, v_i, 0)                              \
  X(I32X4_EXTEND_LOW_I16X8_S, 167, "i32x4.extend_low_i16x8_s", NONE, v_v, 0)        \
  X(I32X4_EXTEND_HIGH_I16X8_S, 168, "i32x4.extend_high_i16x8_s", NONE, v_v, 0)      \
  X(I32X4_EXTEND_LOW_I16X8_U, 169, "i32x4.extend_low_i16x8_u", NONE, v_v, 0)        \
  X(I32X4_EXTEND_HIGH_I16X8_U, 170, "i32x4.extend_high_i16x8_u", NONE, v_v, 0)      \
  X(I32X4_SHL, 171, "i32x4.shl", NONE, vi_v, 0)                                     \
  X(I32X4_SHR_S, 172, "i32x4.shr_s", NONE, vi_v, 0)                                 \
  X(I32X4_SHR_U, 173, "i32x4.shr_u", NONE, vi_v, 0)                                 \
  X(I32X4_ADD, 174, "i32x4.add", NONE, vv_v, 0)                                     \
  X(I32X4_SUB, 177, "i32x4.sub", NONE, vv_v, 0)                                     \
  X(I32X4_MUL, 181, "i32x4.mul", NONE, vv_v, 0)                                     \
  X(I32X4_MIN_S, 182, "i32x4.min_s", NONE, vv_v, 0)                                 \
  X(I32X4_MIN_U, 183, "i32x4.min_u", NONE, vv_v, 0)                                 \
  X(I32X4_MAX_S, 184, "i32x4.max_s", NONE, vv_v, 0)                                 \
  X(I32X4_MAX_U, 185, "i32x4.max_u", NONE, vv_v, 0)                                 \
  X(I32X4_DOT_I16X8_S, 186, "i32x4.dot_i16x8_s", NONE, vv_v, 0)                     \
  X(I32X4_EXTMUL_LOW_I16X8_S, 188, "i32x4.extmul_low_i16x8_s", NONE, vv_v, 0)       \
  X(I32X4_EXTMUL_HIGH_I16X8_S, 189, "i32x4.extmul_high_i16x8_s", NONE, vv_v, 0)     \
  X(I32X4_EXTMUL_LOW_I16X8_U, 190, "i32x4.extmul_low_i16x8_u", NONE, vv_v, 0)       \
  X(I32X4_EXTMUL_HIGH_I16X8_U, 191, "i32x4.extmul_high_i16x8_u", NONE, vv_v, 0)     \
  X(I64X2_ABS, 192, "i64x2.abs", NONE, v_v, 0)                                      \
  X(I64X2_NEG, 193, "i64x2.neg", NONE, v_v, 0)                                      \
  X(I64X2_ALL_TRUE, 195, "i64x2.all_true", NONE, v_i, 0)                            \
  X(I64X2_BITMASK, 196, "i64x2.bitmask", NONE, v_i, 0)                              \
  X(I64X2_EXTEND_LOW_I32X4_S, 199, "i64x2.extend_low_i32x4_s", NONE, v_v, 0)        \
  X(I64X2_EXTEND_HIGH_I32X4_S, 200, "i64x2.extend_high_i32x4_s", NONE, v_v, 0)      \
  X(I64X2_EXTEND_LOW_I32X4_U, 201, "i64x2.extend_low_i32x4_u", NONE, v_v, 0)        \
  X(I64X2_EXTEND_HIGH_I32X4_U, 202, "i64x2.extend_high_i32x4_u", NONE, v_v, 0)      \
  X(I64X2_SHL, 203, "i64x2.shl", NONE, vi_v, 0)                                     \
  X(I64X2_SHR_S, 204, "i64x2.shr_s", NONE, vi_v, 0)                                 \
  X(I64X2_SHR_U, 205, "i64x2.shr_u", NONE, vi_v, 0)                                 \
  X(I64X2_ADD, 206, "i64x2.add", NONE, vv_v, 0)                                     \
  X(I64X2_SUB, 209, "i64x2.sub", NONE, vv_v, 0)                                     \
  X(I64X2_MUL, 213, "i64x2.mul", NONE, vv_v, 0)                                     \
  X(I64X2_EQ, 214, "i64x2.eq", NONE, vv_v, 0)                                       \
  X(I64X2_NE, 215, "i64x2.ne", NONE, vv_v, 0)                                       \
  X(I64X2_LT_S, 216, "i64x2.lt_s", NONE, vv_v, 0)                                   \
  X(I64X2_GT_S, 217, "i64x2.gt_s", NONE, vv_v, 0)                                   \
  X(I64X2_LE_S, 218, "i64x2.le_s", NONE, vv_v, 0)                                   \
  X(I64X2_GE_S, 219, "i64x2.ge_s", NONE, vv_v, 0)                                   \
  X(I64X2_EXTMUL_LOW_I32X4_S, 220, "i64x2.extmul_low_i32x4_s", NONE, vv_v, 0)       \
  X(I64X2_EXTMUL_HIGH_I32X4_S, 221, "i64x2.extmul_high_i32x4_s", NONE, vv_v, 0)     \
  X(I64X2_EXTMUL_LOW_I32X4_U, 222, "i64x2.extmul_low_i32x4_u", NONE, vv_v, 0)       \
  X(I64X2_EXTMUL_HIGH_I32X4_U, 223, "i64x2.extmul_high_i32x4_u", NONE, vv_v, 0)     \
  X(F32X4_ABS, 224, "f32x4.abs", NONE, v_v, 0)                                      \
  X(F32X4_NEG, 225, "f32x4.neg", NONE, v_v, 0)                                      \
  X(F32X4_SQRT, 227, "f32x4.sqrt", NONE, v_v, 0)                                    \
  X(F32X4_ADD, 228, "f32x4.add", NONE, vv_v, 0)                                     \
  X(F32X4_SUB, 229, "f32x4.sub", NONE, vv_v, 0)                                     \
  X(F32X4_MUL, 230, "f32x4.mul", NONE, vv_v, 0)                                     \
  X(F32X4_DIV, 231, "f32x4.div", NONE, vv_v, 0)                                     \
  X(F32X4_MIN, 232, "f32x4.min", NONE, vv_v, 0)                                     \
  X(F32X4_MAX, 233, "f32x4.max", NONE, vv_v, 0)                                     \
  X(F32X4_PMIN, 234, "f32x4.pmin", NONE, vv_v, 0)                                   \
  X(F32X4_PMAX, 235, "f32x4.pmax", NONE, vv_v, 0)                                   \
  X(F64X2_ABS, 236, "f64x2.abs", NONE, v_v, 0)                                      \
  X(F64X2_NEG, 237, "f64x2.neg", NONE, v_v, 0)                                      \
  X(F64X2_SQRT, 239, "f64x2.sqrt", NONE, v_v, 0)                                    \
  X(F64X2_ADD, 240, "f64x2.add", NONE, vv_v, 0)                                     \
  X(F64X2_SUB, 241, "f64x2.sub", NONE, vv_v, 0)                                     \
  X(F64X2_MUL, 242, "f64x2.mul", NONE, vv_v, 0)                                     \
  X(F64X2_DIV, 243, "f64x2.div", NONE, vv_v, 0)                                     \
  X(F64X2_MIN, 244, "f64x2.min", NONE, vv_v, 0)                                     \
  X(F64X2_MAX, 245, "f64x2.max", NONE, vv_v, 0)                                     \
  X(F64X2_PMIN, 246, "f64x2.pmin", NONE, vv_v, 0)                                   \
  X(F64X2_PMAX, 247, "f64x2.pmax", NONE, vv_v, 0)                                   \
  X(I32X4_TRUNC_SAT_F32X4_S, 248, "i32x4.trunc_sat_f32x4_s", NONE, v_v, 0)          \
  X(I32X4_TRUNC_SAT_F32X4_U, 249, "i32x4.trunc_sat_f32x4_u", NONE, v_v, 0)          \
  X(F32X4_CONVERT_I32X4_S, 250, "f32x4.convert_i32x4_s", NONE, v_v, 0)              \
  X(F32X4_CONVERT_I32X4_U, 251, "f32x4.convert_i32x4_u", NONE, v_v, 0)              \
  X(I32X4_TRUNC_SAT_F64X2_S_ZERO, 252, "i32x4.trunc_sat_f64x2_s_zero", NONE, v_v, 0) \
  X(I32X4_TRUNC_SAT_F64X2_U_ZERO, 253, "i32x4.trunc_sat_f64x2_u_zero", NONE, v_v, 0) \
  X(F64X2_CONVERT_LOW_I32X4_S, 254, "f64x2.convert_low_i32x4_s", NONE, v_v, 0)      \
  X(F64X2_CONVERT_LOW_I32X4_U, 255, "f64x2.convert_low_i32x4_u", NONE, v_v, 0)      \
  /* relaxed SIMD (3.0) */                                                            \
  X(I8X16_RELAXED_SWIZZLE, 256, "i8x16.relaxed_swizzle", NONE, vv_v, 0)              \
  X(I32X4_RELAXED_TRUNC_F32X4_S, 257, "i32x4.relaxed_trunc_f32x4_s", NONE, v_v, 0)   \
  X(I32X4_RELAXED_TRUNC_F32X4_U, 258, "i32x4.relaxed_trunc_f32x4_u", NONE, v_v, 0)   \
  X(I32X4_RELAXED_TRUNC_F64X2_S_ZERO, 259, "i32x4.relaxed_trunc_f64x2_s_zero", NONE, \
    v_v, 0)                                                                           \
  X(I32X4_RELAXED_TRUNC_F64X2_U_ZERO, 260, "i32x4.relaxed_trunc_f64x2_u_zero", NONE, \
    v_v, 0)                                                                           \
  X(F32X4_RELAXED_MADD, 261, "f32x4.relaxed_madd", NONE, vvv_v, 0)                    \
  X(F32X4_RELAXED_NMADD, 262, "f32x4.relaxed_nmadd", NONE, vvv_v, 0)                  \
  X(F64X2_RELAXED_MADD, 263, "f64x2.relaxed_madd", NONE, vvv_v, 0)                    \
  X(F64X2_RELAXED_NMADD, 264, "f64x2.relaxed_nmadd", NONE, vvv_v, 0)                  \
  X(I8X16_RELAXED_LANESELECT, 265, "i8x16.relaxed_laneselect", NONE, vvv_v, 0)        \
  X(I16X8_RELAXED_LANESELECT, 266, "i16x8.relaxed_laneselect", NONE, vvv_v, 0)        \
  X(I32X4_RELAXED_LANESELECT, 267, "i32x4.relaxed_laneselect", NONE, vvv_v, 0)        \
  X(I64X2_RELAXED_LANESELECT, 268, "i64x2.relaxed_laneselect", NONE, vvv_v, 0)        \
  X(F32X4_RELAXED_MIN, 269, "f32x4.relaxed_min", NONE, vv_v, 0)                       \
  X(F32X4_RELAXED_MAX, 270, "f32x4.relaxed_max", NONE, vv_v, 0)                       \
  X(F64X2_RELAXED_MIN, 271, "f64x2.relaxed_min", NONE, vv_v, 0)                       \
  X(F64X2_RELAXED_MAX, 272, "f64x2.relaxed_max", NONE, vv_v, 0)                       \
  X(I16X8_RELAXED_Q15MULR_S, 273, "i16x8.relaxed_q15mulr_s", NONE, vv_v, 0)           \
  X(I16X8_RELAXED_DOT_I8X16_I7X16_S, 274, "i16x8.relaxed_dot_i8x16_i7x16_s", NONE,   \
    vv_v, 0)                                                                          \
  X(I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S, 275,                                         \
    "i32x4.relaxed_dot_i8x16_i7x16_add_s", NONE, vvv_v, 0)

#define LAT_WASM_FD_COUNT 276u /* sub-opcodes 0..275 */
#define LAT_WASM_FD_RELAXED_FIRST 256u /* relaxed SIMD: 256..275 */

/* ---- enums: LAT_OP_<id>, LAT_OP_FC_<id>, LAT_OP_FD_<id> ------------------------ */
enum lat_wasm_op {
#define LAT_X_OP(id, code, name, imm, sig, arg) LAT_OP_##id = code,
  LAT_WASM_OPS(LAT_X_OP)
#undef LAT_X_OP
};
enum lat_wasm_op_fc {
#define LAT_X_OP(id, code, name, imm, sig, arg) LAT_OP_FC_##id = code,
  LAT_WASM_OPS_FC(LAT_X_OP)
#undef LAT_X_OP
};
enum lat_wasm_op_fd {
#define LAT_X_OP(id, code, name, imm, sig, arg) LAT_OP_FD_##id = code,
  LAT_WASM_OPS_FD(LAT_X_OP)
#undef LAT_X_OP
};

#endif
