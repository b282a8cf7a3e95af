/* proc_raise: TERM (15) ends the guest with 128+15; CHLD (16) is ignored */
#include <stdio.h>
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int raw_raise(int sig);
int main(void) {
  printf("chld -> %d\n", raw_raise(16));
  printf("bad -> %d\n", raw_raise(99));
  fflush(stdout);
  raw_raise(15);
  printf("not reached\n");
  return 0;
}
