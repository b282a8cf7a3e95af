/* The greet reactor of TOOLCHAIN.md 2.3: wasi-libc, canonical ABI by hand.
 * Exports greet(string) -> string, imports probe:greeter/logging.log. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old, size_t align, size_t new_size) {
  (void)old;
  if (!new_size) return (void *)align;
  return realloc(ptr, new_size);
}

__attribute__((import_module("probe:greeter/logging@0.1.0"), import_name("log")))
extern void host_log(const char *ptr, size_t len);

static uint32_t ret_area[2];

__attribute__((export_name("greet")))
uint32_t *greet(char *name, size_t len) {
  char *out = malloc(len + 32);
  int n = snprintf(out, len + 32, "Hello, %.*s!", (int)len, name);
  free(name);
  host_log("greet called", 12);
  ret_area[0] = (uint32_t)(uintptr_t)out;
  ret_area[1] = (uint32_t)n;
  return ret_area;
}

__attribute__((export_name("cabi_post_greet")))
void cabi_post_greet(uint32_t *r) { free((void *)(uintptr_t)r[0]); }
