/* grows memory (malloc 1 MiB at a time) until memory.grow fails under
 * --max-memory; the guest sees NULL and carries on */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static char *volatile keep[8192];
int main(void) {
  int n = 0;
  while (n < 8192) {
    char *p = malloc(1 << 20);
    if (!p) break;
    memset(p, 1, 1 << 20);
    keep[n++] = p;
  }
  printf("malloc failed after %d MiB\n", n);
  printf("%s\n", n > 0 && n < 16 ? "within the cap" : "cap not applied");
  printf("memory is %lu pages\n", (unsigned long)__builtin_wasm_memory_size(0));
  return 0;
}
