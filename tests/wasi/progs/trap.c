/* traps inside nested calls: the backtrace names them */
#include <stdio.h>
__attribute__((noinline)) static int deep_function(int x) {
  if (x > 0) __builtin_trap();
  return x;
}
__attribute__((noinline)) int middle_function(int x) { return deep_function(x) + 1; }
int main(int argc, char **argv) {
  (void)argv;
  puts("before trap");
  fflush(stdout);
  return middle_function(argc);
}
