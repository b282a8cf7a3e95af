/* Sieve of Eratosthenes, 3 passes over 4M bytes: byte loads and stores in
 * a strided inner loop. */
#include "kernel.h"

#define SIEVE_N (4u << 20)
#define SIEVE_PASSES 3

static uint8_t composite[SIEVE_N];

uint32_t run(void) {
  uint32_t check = 0;
  for (int pass = 0; pass < SIEVE_PASSES; pass++) {
    for (uint32_t i = 0; i < SIEVE_N; i++) composite[i] = 0;
    uint32_t count = 0;
    for (uint32_t i = 2; i < SIEVE_N; i++) {
      if (composite[i]) continue;
      count++;
      for (uint32_t j = i + i; j < SIEVE_N; j += i) composite[j] = 1;
    }
    check = check * 31 + count; /* 295947 primes below 4M */
  }
  return check;
}
