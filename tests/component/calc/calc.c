/* A freestanding component exporting test:calc/ops@0.1.0 (greet), the
 * target of the lattice suite's local links.  Canonical ABI by hand: a
 * string parameter arrives as (ptr, len) in memory cabi_realloc gave out;
 * a string result is returned through a pointer to (ptr, len). */
#include <stdint.h>

typedef uint32_t u32;
extern unsigned char __heap_base;
static uintptr_t heap_top;

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, u32 old_size, u32 align, u32 new_size) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1), end = p + (new_size ? new_size : 1);
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) < 0) __builtin_trap();
  heap_top = end;
  unsigned char *d = (unsigned char *)p;
  const unsigned char *s = old;
  for (u32 i = 0; old && i < old_size && i < new_size; i++) d[i] = s[i];
  return d;
}

static u32 ret[2];

__attribute__((export_name("test:calc/ops@0.1.0#greet")))
u32 *greet(const char *name, u32 n) {
  static const char a[] = "hello, ", b[] = " (from calc)";
  char *out = cabi_realloc(0, 0, 1, sizeof a - 1 + n + sizeof b - 1);
  u32 k = 0;
  for (u32 i = 0; i < sizeof a - 1; i++) out[k++] = a[i];
  for (u32 i = 0; i < n; i++) out[k++] = name[i];
  for (u32 i = 0; i < sizeof b - 1; i++) out[k++] = b[i];
  ret[0] = (u32)(uintptr_t)out;
  ret[1] = k;
  return ret;
}
