/* SIMD kernel: int16 dot products (int32 sums) over a 4096-element pair of
 * vectors, 20000 times, one element changed between rounds so no round can
 * be hoisted.  Built with -msimd128 for wasm: clang vectorises the inner
 * loop into v128.load / i32x4.extmul / i32x4.add (or i32x4.dot_i16x8_s);
 * natively clang uses SSE2 the same way, so the ratio is SIMD against
 * SIMD. */
#include "kernel.h"

#define DOT_N 4096u
#define DOT_ROUNDS 20000u

static int16_t va[DOT_N], vb[DOT_N];

uint32_t run(void) {
  uint32_t x = 12345;
  for (uint32_t i = 0; i < DOT_N; i++) {
    x = x * 1103515245u + 12345u;
    va[i] = (int16_t)(x >> 16);
    x = x * 1103515245u + 12345u;
    vb[i] = (int16_t)(x >> 16);
  }
  uint32_t h = 0;
  for (uint32_t r = 0; r < DOT_ROUNDS; r++) {
    int32_t s = 0;
    for (uint32_t i = 0; i < DOT_N; i++) s += va[i] * vb[i];
    h = h * 31u + (uint32_t)s;
    va[r & (DOT_N - 1)] ^= (int16_t)(h & 0xff);
  }
  return h;
}
