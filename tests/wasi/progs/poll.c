/* poll_oneoff: relative and absolute clocks, stdin readable (the driver
 * pipes data in), stdout writable, a regular file (always ready), errors
 * reported per subscription; nsubscriptions 0 is EINVAL. */
#include <fcntl.h>
#include <unistd.h>
#include "t.h"
static __wasi_timestamp_t mono(void) {
  __wasi_timestamp_t t;
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return t;
}
int main(void) {
  __wasi_subscription_t s[4];
  __wasi_event_t ev[4];
  __wasi_size_t n;
  memset(s, 0, sizeof s);
  /* relative clock */
  s[0].userdata = 11;
  s[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  s[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s[0].u.u.clock.timeout = 30 * 1000000ull;
  __wasi_timestamp_t t0 = mono();
  T("clock 30ms", __wasi_poll_oneoff(s, ev, 1, &n) == 0 && n == 1 && ev[0].userdata == 11 &&
                      ev[0].type == __WASI_EVENTTYPE_CLOCK && ev[0].error == 0);
  T("slept at least 30ms", mono() - t0 >= 30 * 1000000ull);
  /* absolute realtime clock */
  __wasi_timestamp_t now;
  __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
  s[0].u.u.clock.id = __WASI_CLOCKID_REALTIME;
  s[0].u.u.clock.timeout = now + 20 * 1000000ull;
  s[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
  t0 = mono();
  T("abstime clock", __wasi_poll_oneoff(s, ev, 1, &n) == 0 && n == 1 && mono() - t0 >= 15 * 1000000ull);
  /* libc sleep goes through poll_oneoff too */
  t0 = mono();
  T("usleep", usleep(10000) == 0 && mono() - t0 >= 10 * 1000000ull);
  /* stdin has data (driver pipes "hello\n"), plus a long clock */
  s[0].userdata = 1;
  s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  s[0].u.u.fd_read.file_descriptor = 0;
  s[1].userdata = 2;
  s[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  s[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s[1].u.u.clock.timeout = 5000 * 1000000ull;
  s[1].u.u.clock.flags = 0;
  t0 = mono();
  T("stdin readable", __wasi_poll_oneoff(s, ev, 2, &n) == 0 && n == 1 && ev[0].userdata == 1 &&
                          ev[0].type == __WASI_EVENTTYPE_FD_READ && ev[0].error == 0 &&
                          ev[0].fd_readwrite.nbytes == 6);
  T("did not wait for the clock", mono() - t0 < 2000 * 1000000ull);
  /* stdout writable */
  s[0].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  s[0].u.u.fd_write.file_descriptor = 1;
  T("stdout writable", __wasi_poll_oneoff(s, ev, 2, &n) == 0 && n >= 1 &&
                           ev[0].type == __WASI_EVENTTYPE_FD_WRITE && ev[0].error == 0);
  /* regular file: always ready, nbytes = bytes left */
  int fd = open("/sandbox/p.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "0123456789", 10);
  lseek(fd, 4, SEEK_SET);
  s[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  s[0].u.u.fd_read.file_descriptor = fd;
  T("file ready", __wasi_poll_oneoff(s, ev, 2, &n) == 0 && n == 1 && ev[0].fd_readwrite.nbytes == 6);
  /* a bad fd and a CPU clock are errors in their own events */
  s[0].u.u.fd_read.file_descriptor = 99;
  s[1].u.u.clock.id = __WASI_CLOCKID_PROCESS_CPUTIME_ID;
  T("per-subscription errors", __wasi_poll_oneoff(s, ev, 2, &n) == 0 && n == 2 &&
                                   ev[0].error == __WASI_ERRNO_BADF && ev[1].error == __WASI_ERRNO_NOTSUP);
  E("no subscriptions", __wasi_poll_oneoff(s, ev, 0, &n), __WASI_ERRNO_INVAL);
  E("subscriptions out of bounds", __wasi_poll_oneoff((void *)0xfffff000u, ev, 200, &n), __WASI_ERRNO_FAULT);
  char buf[16];
  T("stdin still has the data", read(0, buf, sizeof buf) == 6 && !memcmp(buf, "hello\n", 6));
  return finish();
}
