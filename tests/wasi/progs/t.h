/* Shared by the WASI test programs: T(name, cond) prints "ok NAME" or
 * "FAIL NAME (errno N: text)"; finish() exits 1 if anything failed.  The
 * driver compares the output with NAME.out, so a program prints only
 * deterministic text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int t_failed;

#define T(name, cond)                                                        \
  do {                                                                       \
    errno = 0;                                                               \
    if (cond) {                                                              \
      printf("ok %s\n", name);                                               \
    } else {                                                                 \
      printf("FAIL %s (errno %d: %s)\n", name, errno, strerror(errno));     \
      t_failed = 1;                                                          \
    }                                                                        \
  } while (0)

/* raw preview-1 errno check: E(name, call, want) */
#define E(name, call, want)                                                  \
  do {                                                                       \
    int got_ = (int)(call);                                                  \
    if (got_ == (want)) {                                                    \
      printf("ok %s\n", name);                                               \
    } else {                                                                 \
      printf("FAIL %s: got errno %d, want %d\n", name, got_, (int)(want));  \
      t_failed = 1;                                                          \
    }                                                                        \
  } while (0)

static int finish(void) {
  fflush(stdout);
  return t_failed;
}
