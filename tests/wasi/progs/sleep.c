/* sleeps 10 s in poll_oneoff: --timeout must end it at the deadline */
#include <stdio.h>
#include <unistd.h>
int main(void) {
  puts("sleeping");
  fflush(stdout);
  sleep(10);
  puts("woke up");
  return 0;
}
