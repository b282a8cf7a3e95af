/* Arguments, environment and the exit status of a wasi:cli/run command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  const char *v = getenv("GREETING");
  printf("GREETING=%s\n", v ? v : "(unset)");
  if (argc > 1 && !strcmp(argv[1], "fail")) return 3;
  if (argc > 1 && !strcmp(argv[1], "exit")) exit(0);
  return 0;
}
