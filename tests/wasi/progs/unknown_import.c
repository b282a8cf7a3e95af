/* imports a function no host provides; calls it only when given an
 * argument */
#include <stdio.h>
__attribute__((import_module("env"), import_name("not_provided")))
int not_provided(int);
int main(int argc, char **argv) {
  (void)argv;
  puts("started");
  fflush(stdout);
  if (argc > 1) return not_provided(1);
  puts("did not call it");
  return 0;
}
