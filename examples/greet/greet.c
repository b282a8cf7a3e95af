/* examples/greet: a component exporting `greet: func(name: string) ->
 * string` (wit/world.wit), written against the canonical ABI by hand: no
 * libc, a bump allocator, so the component needs no WASI at all.
 *
 *   build/lattice call build/examples/greet.component.wasm greet '"world"' */
#include <stddef.h>
#include <stdint.h>

extern unsigned char __heap_base;
static uintptr_t heap_top;

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old, size_t align, size_t new_size) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  if (!new_size) return (void *)align;
  heap_top = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
  unsigned char *p = (unsigned char *)heap_top;
  heap_top += new_size;
  unsigned long pages = __builtin_wasm_memory_size(0);
  if (heap_top > pages * 65536ul &&
      __builtin_wasm_memory_grow(0, (heap_top - pages * 65536ul + 65535) / 65536) == (size_t)-1)
    __builtin_trap();
  if (ptr) {
    size_t n = old < new_size ? old : new_size;
    for (size_t i = 0; i < n; i++) p[i] = ((unsigned char *)ptr)[i];
  }
  return p;
}

static uint32_t ret_area[2];
static const char hello[] = "Hello, ";

/* a string comes in as (pointer, length); the result goes back through a
 * return area holding (pointer, length) */
__attribute__((export_name("greet")))
uint32_t *greet(char *name, size_t len) {
  size_t n = sizeof hello - 1;
  char *out = cabi_realloc(0, 0, 1, n + len + 1);
  for (size_t i = 0; i < n; i++) out[i] = hello[i];
  for (size_t i = 0; i < len; i++) out[n + i] = name[i];
  out[n + len] = '!';
  ret_area[0] = (uint32_t)(uintptr_t)out;
  ret_area[1] = (uint32_t)(n + len + 1);
  return ret_area;
}
