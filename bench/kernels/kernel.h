/* kernel.h: shared by the benchmark kernels.
 *
 * Each kernel is freestanding C (no libc: it is built with
 * `clang --target=wasm32 -O2 -nostdlib`) and exports one function,
 * `uint32_t run(void)`, that redoes all its work from scratch on every call
 * (so an engine may call it repeatedly) and returns a checksum that every
 * engine must agree on. */
#ifndef LAT_BENCH_KERNEL_H
#define LAT_BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __wasm__
#define KERNEL_EXPORT __attribute__((export_name("run")))
/* clang may turn fill and copy loops into calls to these; with -nostdlib
 * something must define them.  LLVM does not rewrite the loops inside
 * functions named memset/memcpy into calls to themselves. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memset(void *d, int c, size_t n) {
  unsigned char *p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void *memcpy(void *restrict d, const void *restrict s, size_t n) {
  unsigned char *p = d;
  const unsigned char *q = s;
  while (n--) *p++ = *q++;
  return d;
}
#else
#define KERNEL_EXPORT
#endif

uint32_t run(void) KERNEL_EXPORT;

#endif
