/* Quicksort of 1M pseudo-random u32 (median of three, insertion sort for
 * short runs): compares, swaps and recursion. */
#include "kernel.h"

#define SORT_N (1u << 20)

static uint32_t v[SORT_N];

static void swap(uint32_t *x, uint32_t *y) {
  uint32_t t = *x;
  *x = *y;
  *y = t;
}

static void quicksort(uint32_t *p, int32_t n) {
  while (n > 16) {
    int32_t m = n / 2;
    if (p[m] < p[0]) swap(&p[m], &p[0]);
    if (p[n - 1] < p[0]) swap(&p[n - 1], &p[0]);
    if (p[n - 1] < p[m]) swap(&p[n - 1], &p[m]);
    uint32_t pivot = p[m];
    int32_t i = 0, j = n - 1;
    for (;;) {
      while (p[i] < pivot) i++;
      while (p[j] > pivot) j--;
      if (i >= j) break;
      swap(&p[i], &p[j]);
      i++;
      j--;
    }
    /* recurse into the smaller half, loop on the larger: bounded depth */
    if (j + 1 < n - j - 1) {
      quicksort(p, j + 1);
      p += j + 1;
      n -= j + 1;
    } else {
      quicksort(p + j + 1, n - j - 1);
      n = j + 1;
    }
  }
  for (int32_t i = 1; i < n; i++) {
    uint32_t x = p[i];
    int32_t k = i - 1;
    while (k >= 0 && p[k] > x) {
      p[k + 1] = p[k];
      k--;
    }
    p[k + 1] = x;
  }
}

uint32_t run(void) {
  uint32_t x = 2463534242u;
  for (uint32_t i = 0; i < SORT_N; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v[i] = x;
  }
  quicksort(v, (int32_t)SORT_N);
  uint32_t check = 0;
  for (uint32_t i = 0; i < SORT_N; i++) {
    if (i && v[i - 1] > v[i]) return 0; /* not sorted */
    check = check * 0x9e3779b1u + v[i];
  }
  return check;
}
