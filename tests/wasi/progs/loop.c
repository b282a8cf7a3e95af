/* a runaway loop, for --timeout and --fuel */
#include <stdio.h>
int main(void) {
  puts("looping");
  fflush(stdout);
  volatile unsigned x = 0;
  for (;;) x++;
}
