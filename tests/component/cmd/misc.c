/* Clocks, randomness and a trap: `misc clock`, `misc random`, `misc trap`,
 * `misc spin` (never ends: for --timeout / --fuel). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  if (!strcmp(what, "clock")) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long ms = (b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000;
    time_t now = time(NULL);
    printf("slept-enough=%d wall-plausible=%d\n", ms >= 19, now > 1700000000);
  } else if (!strcmp(what, "random")) {
    unsigned char x[32] = {0}, y[32] = {0};
    getentropy(x, sizeof x);
    getentropy(y, sizeof y);
    printf("random-differs=%d\n", memcmp(x, y, sizeof x) != 0);
  } else if (!strcmp(what, "trap")) {
    printf("before trap\n");
    fflush(stdout);
    __builtin_trap();
  } else if (!strcmp(what, "spin")) {
    volatile unsigned long i = 0;
    for (;;) i++;
  }
  return 0;
}
