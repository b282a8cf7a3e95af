/* wasm_text_ops.c: instruction names of the text format.
 *
 * The table is stamped out from wasm_opcodes.h, the same X-macro lists the
 * decoder and validator use, so a mnemonic, its opcode, its immediate kind
 * and its natural alignment are written down once in the engine.  The text
 * parser switches on the decoder's LAT_IMM_* kinds directly; the few text
 * forms that the binary kinds do not tell apart (else/end are structural,
 * typed vs untyped select) are decided by opcode in wasm_text.c.
 *
 * Lookup is by a hash index the caller owns (lat__wat_ops_t, built on first
 * use: 437 insertions, about 6 us), because the engine keeps no global
 * mutable state.  Rejected: a name-sorted static table for binary search,
 * since C cannot sort or hash string literals at compile time, and a
 * hand-sorted (or generated and checked-in) copy is the duplication this file
 * replaced; sorting lazily at run time would need a global.
 *
 * One mnemonic names two opcodes: `select` is 0x1b, and 0x1c when a
 * `(result t)` list follows.  The index keeps the later entry (SELECT_T),
 * whose immediate parser emits 0x1b when there is no list.
 */
#include <string.h>

#include "wasm_text_int.h"

static const lat__wat_op_t ops[] = {
#define X(id, code, name, imm, sig, arg) {name, 0, LAT_IMM_##imm, arg, code},
    LAT_WASM_OPS(X)
#undef X
#define X(id, code, name, imm, sig, arg) \
  {name, LAT_OP_PREFIX_FC, LAT_IMM_##imm, arg, code},
    LAT_WASM_OPS_FC(X)
#undef X
#define X(id, code, name, imm, sig, arg) \
  {name, LAT_OP_PREFIX_FD, LAT_IMM_##imm, arg, code},
    LAT_WASM_OPS_FD(X)
#undef X
};

_Static_assert(sizeof ops / sizeof ops[0] < LAT__WAT_OPS_SLOTS / 2,
               "opcode index must stay sparse for short probe runs");
_Static_assert(sizeof ops / sizeof ops[0] < UINT16_MAX,
               "index slots hold table index + 1 in 16 bits");

static uint32_t hash_name(const char *s, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) {
    h ^= (uint8_t)s[i];
    h *= 16777619u;
  }
  return h;
}

/* A later entry with the same name replaces the earlier one (select). */
static void build(lat__wat_ops_t *ix) {
  memset(ix->slot, 0, sizeof ix->slot);
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    uint32_t h = hash_name(ops[i].name, strlen(ops[i].name)) & (LAT__WAT_OPS_SLOTS - 1);
    while (ix->slot[h] && strcmp(ops[ix->slot[h] - 1].name, ops[i].name) != 0)
      h = (h + 1) & (LAT__WAT_OPS_SLOTS - 1);
    ix->slot[h] = (uint16_t)(i + 1);
  }
  ix->built = true;
}

const lat__wat_op_t *lat__wat_op_find(lat__wat_ops_t *ix, const char *name,
                                      size_t n) {
  if (!ix->built) build(ix);
  uint32_t h = hash_name(name, n) & (LAT__WAT_OPS_SLOTS - 1);
  while (ix->slot[h]) {
    const lat__wat_op_t *op = &ops[ix->slot[h] - 1];
    if (strncmp(op->name, name, n) == 0 && op->name[n] == 0) return op;
    h = (h + 1) & (LAT__WAT_OPS_SLOTS - 1);
  }
  return NULL;
}
