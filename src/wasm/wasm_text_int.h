/* wasm_text_int.h: private contract between the text-format files.
 *
 *   wasm_text_lex.c   source text -> token array; s-expression skipping;
 *                     literal decoding (numbers, strings, v128 shapes);
 *                     line:column for error messages
 *   wasm_text_ops.c   instruction name -> wasm_opcodes.h entry (opcode,
 *                     immediate kind, natural alignment)
 *   wasm_text.c       one module's tokens -> binary module (lat_wat_to_wasm)
 *   wasm_text_wast.c  WAST scripts: commands, actions, expected results
 *
 * Tokens never own text: they are (offset, length) pairs into the caller's
 * source, which must outlive the token array.  Nothing here is global: the
 * opcode index lives in a caller-owned lat__wat_ops_t.
 */
#ifndef LAT_WASM_TEXT_INT_H
#define LAT_WASM_TEXT_INT_H

#include "wasm.h"
#include "wasm_opcodes.h"

/* ---- tokens -------------------------------------------------------------- */

enum {
  LAT__TOK_EOF,
  LAT__TOK_LPAR,
  LAT__TOK_RPAR,
  LAT__TOK_KEYWORD,  /* idchars starting with a-z */
  LAT__TOK_ID,       /* $idchars */
  LAT__TOK_STRING,   /* "..." including the quotes */
  LAT__TOK_RESERVED, /* any other idchars: numbers, +inf, ... */
};

typedef struct {
  uint32_t off;  /* byte offset in the source */
  uint32_t len;  /* byte length in the source */
  uint8_t kind;  /* LAT__TOK_* */
} lat__tok_t;

typedef struct {
  const char *src;  /* borrowed source text */
  size_t src_len;
  lat__tok_t *toks; /* owned; ends with one LAT__TOK_EOF */
  size_t ntoks;     /* including the EOF token */
} lat__lexed_t;

/* Tokenizes src.  On failure LAT_ETEXT with "line:col: reason" in err. */
lat_status lat__wat_lex(const char *src, size_t len, lat__lexed_t *out,
                        lat_error_t *err);
void lat__wat_lexed_fini(lat__lexed_t *lx);

/* Advances *i past the balanced s-expression whose `(` is token *i.  Returns
 * false, with *i at the EOF token, when the input ends before it closes. */
bool lat__wat_skip_sexpr(const lat__lexed_t *lx, size_t *i);

/* 1-based line and column of byte offset off. */
void lat__wat_linecol(const char *src, size_t len, size_t off,
                      uint32_t *out_line, uint32_t *out_col);
/* Sets err to LAT_ETEXT with "line:col: <message>" for source offset off. */
lat_status lat__wat_error(lat_error_t *err, const char *src, size_t len,
                          size_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- literals -------------------------------------------------------------
 * Each returns LAT_OK, LAT_ERANGE-like failure as LAT_ETEXT with a reason in
 * *out_why ("constant out of range" or "unexpected token"), static text. */
typedef enum {
  LAT__NUM_OK,
  LAT__NUM_SYNTAX, /* not a number of that kind at all */
  LAT__NUM_RANGE,  /* well-formed but does not fit */
} lat__num_result;

/* Unsigned integer (decimal or 0x hex, underscores), no sign allowed. */
lat__num_result lat__wat_parse_nat(const char *s, size_t n, uint64_t *out);
/* Integer of `bits` (8, 16, 32 or 64) in the spec's iN sense: accepts a
 * signed value in [-2^(N-1), 2^(N-1)) or an unsigned one in [0, 2^N);
 * returns the two's complement bits. */
lat__num_result lat__wat_parse_int(const char *s, size_t n, unsigned bits,
                                   uint64_t *out);
/* Float of `bits` (32 or 64): its bit pattern in the low bits of *out_bits.
 * Both widths share the grammar check; the scratch copy for strtod/strtof is
 * on the stack unless the literal is long. */
lat__num_result lat__wat_parse_float(const char *s, size_t n, unsigned bits,
                                     uint64_t *out_bits);

/* v128 lane shapes (i8x16 ... f64x2), in lat_wast_shape_t order. */
typedef struct {
  unsigned lanes, bits;
  bool fl; /* float lanes */
} lat__v128_shape_t;

/* Index of the shape keyword s[0..n) (also its lat_wast_shape_t value) with
 * its layout in *out, or -1 when s is not a shape. */
int lat__wat_v128_shape(const char *s, size_t n, lat__v128_shape_t *out);

/* Decodes a string token (quotes included) into out (appended).  Returns
 * false on a malformed escape; the lexer already rejected most. */
bool lat__wat_string(const char *tok, size_t n, lat_buf_t *out);

/* ---- opcodes ----------------------------------------------------------------
 * Entries come from wasm_opcodes.h (see wasm_text_ops.c); `imm` is the
 * decoder's immediate kind, so the encoder writes exactly what it reads. */

typedef struct {
  const char *name; /* the text-format mnemonic */
  uint8_t prefix;   /* 0, LAT_OP_PREFIX_FC or LAT_OP_PREFIX_FD */
  uint8_t imm;      /* enum lat_wasm_imm */
  uint8_t arg;      /* wasm_opcodes.h's arg: log2 natural alignment for
                       MEMARG/MEMLANE, lane count for LANE */
  uint16_t code;    /* opcode (after the prefix when prefix != 0) */
} lat__wat_op_t;

/* Hash index over the static opcode table, built by the caller once per
 * parse (no global state).  Open addressing; slots hold table index + 1. */
#define LAT__WAT_OPS_SLOTS 2048u
typedef struct {
  uint16_t slot[LAT__WAT_OPS_SLOTS];
  bool built;
} lat__wat_ops_t;

/* Returns the entry for name[0..n), or NULL.  Builds the index on first use. */
const lat__wat_op_t *lat__wat_op_find(lat__wat_ops_t *ix, const char *name,
                                      size_t n);

/* ---- module encoder ------------------------------------------------------------- */

/* Encodes the module whose tokens start at *pos: either `(module ...)` or,
 * when bare is true, a sequence of module fields up to a `)` or EOF.  On
 * success *pos is past the module.  Binary output appended to out.  For
 * `(module $id binary ...)` and `(module $id quote ...)` the binary strings
 * are copied, and quote text is parsed as a module. */
lat_status lat__wat_module(const lat__lexed_t *lx, size_t *pos, bool bare,
                           lat__wat_ops_t *ops, lat_buf_t *out,
                           lat_error_t *err);

#endif
