/* args_get, args_sizes_get, environ_get, environ_sizes_get */
#include "t.h"
extern char **environ;
int main(int argc, char **argv) {
  printf("argc %d\n", argc);
  for (int i = 1; i < argc; i++) printf("arg %d [%s]\n", i, argv[i]);
  int n = 0;
  for (char **e = environ; *e; e++)
    if (!strncmp(*e, "T_", 2)) printf("env %s\n", *e), n++;
  printf("env count %d\n", n);
  __wasi_size_t argc2, argvsz, envc, envsz;
  T("args_sizes_get", __wasi_args_sizes_get(&argc2, &argvsz) == 0 &&
                          (int)argc2 == argc);
  T("environ_sizes_get", __wasi_environ_sizes_get(&envc, &envsz) == 0);
  char *buf = malloc(envsz), **ptrs = malloc(sizeof(char *) * (envc + 1));
  T("environ_get", __wasi_environ_get((uint8_t **)ptrs, (uint8_t *)buf) == 0);
  return finish();
}
