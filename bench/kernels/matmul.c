/* Dense f64 matrix multiply, 250x250 (i-k-j order): f64 loads, multiply
 * and add.  No FMA contraction on either side, so results are
 * bit-identical across engines. */
#include "kernel.h"

#define MM_N 250

static double a[MM_N][MM_N], b[MM_N][MM_N], c[MM_N][MM_N];

uint32_t run(void) {
  for (int i = 0; i < MM_N; i++)
    for (int j = 0; j < MM_N; j++) {
      a[i][j] = (double)((i * 7 + j * 3) % 17) * 0.25 - 1.5;
      b[i][j] = (double)((i * 5 + j * 11) % 13) * 0.5 + 0.125;
      c[i][j] = 0.0;
    }
  for (int i = 0; i < MM_N; i++)
    for (int k = 0; k < MM_N; k++) {
      double aik = a[i][k];
      for (int j = 0; j < MM_N; j++) c[i][j] += aik * b[k][j];
    }
  double sum = 0.0;
  for (int i = 0; i < MM_N; i++)
    for (int j = 0; j < MM_N; j++) sum += c[i][j] * (double)(1 + ((i + j) & 7));
  union {
    double d;
    uint64_t u;
  } bits = {sum};
  return (uint32_t)bits.u ^ (uint32_t)(bits.u >> 32);
}
