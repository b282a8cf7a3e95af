/* clock_res_get, clock_time_get (all four clocks), random_get, sched_yield */
#include <sched.h>
#include <time.h>
#include "t.h"
int main(void) {
  __wasi_timestamp_t r, a, b;
  for (int id = 0; id < 4; id++) {
    char name[64];
    snprintf(name, sizeof name, "clock_res_get %d", id);
    T(name, __wasi_clock_res_get(id, &r) == 0 && r > 0 && r <= 1000000000);
    snprintf(name, sizeof name, "clock_time_get %d", id);
    T(name, __wasi_clock_time_get(id, 1, &a) == 0);
  }
  E("clock_res_get bad clock", __wasi_clock_res_get(9, &r), __WASI_ERRNO_INVAL);
  E("clock_time_get bad clock", __wasi_clock_time_get(9, 1, &r), __WASI_ERRNO_INVAL);
  __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &a);
  T("realtime after 2020", a > 1577836800ull * 1000000000ull);
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &a);
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &b);
  T("monotonic does not go back", b >= a);
  __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &a);
  volatile unsigned x = 0;
  for (unsigned i = 0; i < 3000000; i++) x += i * 7;
  (void)x;
  __wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &b);
  T("process cpu time advances", b > a);
  __wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 1, &b);
  T("thread cpu time nonzero", b > 0);
  struct timespec ts;
  T("libc clock_gettime", clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
  unsigned char r1[32], r2[32], zero[32] = {0};
  T("random_get", __wasi_random_get(r1, sizeof r1) == 0 &&
                      __wasi_random_get(r2, sizeof r2) == 0);
  T("random differs", memcmp(r1, r2, 32) != 0 && memcmp(r1, zero, 32) != 0);
  T("random_get 0 bytes", __wasi_random_get(r1, 0) == 0);
  E("random_get out of bounds", __wasi_random_get((uint8_t *)0xffffff00u, 4096), __WASI_ERRNO_FAULT);
  char *abuf[8];
  E("args_get bad pointer", __wasi_args_get((uint8_t **)0xfffffff0u, (uint8_t *)abuf), __WASI_ERRNO_FAULT);
  T("sched_yield", sched_yield() == 0 && __wasi_sched_yield() == 0);
  return finish();
}
