/* Unit-test runner.
 *
 * Approach (libuv's runner-unix.c): the tests come from the X-macro list in
 * test_list.h; each selected test runs in a child made with fork(), so a
 * segfault, an abort from ASan/UBSan, an exit() from the code under test or
 * a hang (killed after TEST_TIMEOUT seconds, default 300) fails that test
 * alone.  The parent only counts: a test passes when its child exits 0.
 * Checks (test.h) print file:line, the expression and both values, and
 * count; the child exits 1 if any failed.  The last line is always
 * `N passed, N failed`, and the exit status is non-zero on any failure.
 *
 * Usage: unit_tests [-v] [-l] [--no-fork] [PREFIX...]
 *   PREFIX   run only tests whose name starts with one of the prefixes
 *   -l       list the selected tests and exit
 *   -v       print a line for passing tests too, with their time
 *   --no-fork  run in this process (for gdb); the first crash ends the run
 *
 * Rejected: threads instead of processes (a crash would take every test
 * down), and capturing the child's output (a sanitizer report must reach
 * the terminal even when the child dies mid-write). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

typedef struct {
  const char *name;
  void (*fn)(void);
} test_entry_t;

static const test_entry_t tests[] = {
#define TEST(name) {#name, test_##name},
#include "test_list.h"
#undef TEST
};
#define NTESTS (sizeof tests / sizeof tests[0])

static const char *current_test = "?";
static int failures;

/* ---- reporting ---------------------------------------------------------- */

static void fail_head(const char *file, int line) {
  fprintf(stderr, "  FAIL %s: %s:%d: ", current_test, file, line);
  failures++;
}

void test_fail_bool(const char *file, int line, const char *expr) {
  fail_head(file, line);
  fprintf(stderr, "CHECK(%s)\n", expr);
}

void test_fail_int(const char *file, int line, const char *ea, const char *eb,
                   intmax_t a, intmax_t b) {
  fail_head(file, line);
  fprintf(stderr, "%s == %s\n      left:  %jd\n      right: %jd\n", ea, eb, a,
          b);
}

void test_fail_uint(const char *file, int line, const char *ea, const char *eb,
                    uintmax_t a, uintmax_t b) {
  fail_head(file, line);
  fprintf(stderr,
          "%s == %s\n      left:  %ju (0x%jx)\n      right: %ju (0x%jx)\n", ea,
          eb, a, a, b, b);
}

void test_fail_str(const char *file, int line, const char *ea, const char *eb,
                   const char *a, const char *b) {
  fail_head(file, line);
  fprintf(stderr, "%s == %s\n      left:  \"%s\"\n      right: \"%s\"\n", ea,
          eb, a ? a : "(null)", b ? b : "(null)");
}

static void hexdump_at(const char *label, const uint8_t *p, size_t n,
                       size_t at) {
  size_t lo = at >= 8 ? at - 8 : 0, hi = at + 8 < n ? at + 8 : n;
  fprintf(stderr, "      %s [%zu..%zu):", label, lo, hi);
  for (size_t i = lo; i < hi; i++)
    fprintf(stderr, i == at ? " [%02x]" : " %02x", p[i]);
  fputc('\n', stderr);
}

void test_fail_mem(const char *file, int line, const char *ea, const char *eb,
                   const void *a, const void *b, size_t n) {
  const uint8_t *pa = a, *pb = b;
  size_t at = 0;
  while (at < n && pa[at] == pb[at]) at++;
  fail_head(file, line);
  fprintf(stderr, "%s == %s (%zu bytes): first difference at offset %zu\n",
          ea, eb, n, at);
  hexdump_at("left: ", pa, n, at);
  hexdump_at("right:", pb, n, at);
}

void test_fail_ptr(const char *file, int line, const char *ea, const char *eb,
                   const void *a, const void *b) {
  fail_head(file, line);
  fprintf(stderr, "%s == %s\n      left:  %p\n      right: %p\n", ea, eb, a,
          b);
}

void test_fail_status(const char *file, int line, const char *expr,
                      lat_status got, lat_status want) {
  fail_head(file, line);
  fprintf(stderr, "%s\n      got:  %s (%s)\n      want: %s\n", expr,
          lat_status_name(got), lat_status_message(got),
          lat_status_name(want));
}

_Noreturn void test_abort(void) {
  fflush(NULL);
  exit(1);
}

int test_failures(void) { return failures; }

/* ---- allocation tracking -------------------------------------------------- */

static long alloc_live, alloc_count, alloc_failed, alloc_fail_at = -1;

static bool alloc_should_fail(void) {
  long n = alloc_count++;
  if (alloc_fail_at >= 0 && n >= alloc_fail_at) {
    alloc_failed++;
    return true;
  }
  return false;
}

static void *hook_malloc(size_t n, void *ctx) {
  (void)ctx;
  if (alloc_should_fail()) return NULL;
  void *p = malloc(n);
  if (p) alloc_live++;
  return p;
}

static void *hook_realloc(void *p, size_t n, void *ctx) {
  (void)ctx;
  if (alloc_should_fail()) return NULL;
  void *q = realloc(p, n);
  if (q && !p) alloc_live++;
  return q;
}

static void hook_free(void *p, void *ctx) {
  (void)ctx;
  if (p) alloc_live--;
  free(p);
}

void test_alloc_track(void) {
  static const lat_alloc_hooks_t h = {hook_malloc, hook_realloc, hook_free,
                                      NULL};
  alloc_live = alloc_count = alloc_failed = 0;
  alloc_fail_at = -1;
  lat_alloc_set_hooks(&h);
}

void test_alloc_fail_after(long n) {
  alloc_fail_at = n < 0 ? -1 : alloc_count + n;
}

void test_alloc_untrack(void) {
  lat_alloc_set_hooks(NULL);
  alloc_fail_at = -1;
}

long test_alloc_live(void) { return alloc_live; }
long test_alloc_count(void) { return alloc_count; }
long test_alloc_failed(void) { return alloc_failed; }

int test_alloc_sweep(const char *file, int line, test_alloc_body_fn body,
                     void *ctx) {
  for (long n = 0; n < 1000000; n++) {
    test_alloc_track();
    test_alloc_fail_after(n);
    lat_status st = body(ctx);
    long failed = alloc_failed, live = alloc_live;
    test_alloc_untrack();
    if (live != 0) {
      fail_head(file, line);
      fprintf(stderr,
              "allocation sweep: %ld allocation(s) leaked when allocation "
              "#%ld failed (status %s)\n",
              live, n, lat_status_name(st));
      return (int)n + 1;
    }
    if (failed == 0) {
      if (st != LAT_OK) {
        fail_head(file, line);
        fprintf(stderr, "allocation sweep: body returned %s with no "
                "injected failure\n", lat_status_name(st));
      }
      return (int)n + 1;
    }
  }
  fail_head(file, line);
  fprintf(stderr, "allocation sweep: did not finish\n");
  return 1000000;
}

/* Under ASan, a huge malloc returns NULL as libc's does (the code under test
 * must turn that into LAT_ENOMEM) instead of aborting the test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
  return "allocator_may_return_null=1";
}

/* ---- running -------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool selected(const char *name, int nprefix, char **prefixes) {
  if (nprefix == 0) return true;
  for (int i = 0; i < nprefix; i++)
    if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) return true;
  return false;
}

static int run_forked(const test_entry_t *t, unsigned timeout, char *why,
                      size_t whylen) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(why, whylen, "fork: %s", strerror(errno));
    return 1;
  }
  if (pid == 0) {
    current_test = t->name;
    alarm(timeout);
    t->fn();
    fflush(NULL);
    exit(failures ? 1 : 0); /* exit, not _exit: LeakSanitizer runs at exit */
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      snprintf(why, whylen, "waitpid: %s", strerror(errno));
      return 1;
    }
  }
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 0) return 0;
    snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
    return 1;
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGALRM)
      snprintf(why, whylen, "timed out after %us", timeout);
    else
      snprintf(why, whylen, "killed by signal %d (%s)", sig, strsignal(sig));
    return 1;
  }
  snprintf(why, whylen, "unknown wait status %d", status);
  return 1;
}

int main(int argc, char **argv) {
  bool verbose = false, list = false, nofork = false;
  char **prefixes = calloc((size_t)argc, sizeof *prefixes);
  int nprefix = 0;
  if (!prefixes) return 2;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-v"))
      verbose = true;
    else if (!strcmp(argv[i], "-l"))
      list = true;
    else if (!strcmp(argv[i], "--no-fork"))
      nofork = true;
    else if (argv[i][0] == '-') {
      fprintf(stderr, "usage: %s [-v] [-l] [--no-fork] [PREFIX...]\n",
              argv[0]);
      return 2;
    } else
      prefixes[nprefix++] = argv[i];
  }
  unsigned timeout = 300;
  const char *env = getenv("TEST_TIMEOUT");
  if (env && atoi(env) > 0) timeout = (unsigned)atoi(env);

  int passed = 0, failed = 0, nsel = 0;
  for (size_t i = 0; i < NTESTS; i++) {
    const test_entry_t *t = &tests[i];
    if (!selected(t->name, nprefix, prefixes)) continue;
    nsel++;
    if (list) {
      printf("%s\n", t->name);
      continue;
    }
    char why[128] = "";
    double t0 = now_s();
    int rc;
    if (nofork) {
      current_test = t->name;
      int before = failures;
      t->fn();
      rc = failures != before;
      if (rc) snprintf(why, sizeof why, "%d check(s) failed", failures - before);
    } else {
      rc = run_forked(t, timeout, why, sizeof why);
    }
    double dt = now_s() - t0;
    if (rc) {
      failed++;
      printf("FAIL %s (%s)\n", t->name, why);
    } else {
      passed++;
      if (verbose) printf("ok   %s (%.3fs)\n", t->name, dt);
    }
    fflush(stdout);
  }
  free(prefixes);
  if (list) return 0;
  if (nsel == 0) {
    fprintf(stderr, "no test matches the given prefix\n");
    printf("0 passed, 1 failed\n");
    return 1;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
