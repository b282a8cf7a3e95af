/* proc_exit: the argument is the exit code; output before it is flushed */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  printf("exiting with %s\n", argv[1]);
  exit(atoi(argv[1]));
}
