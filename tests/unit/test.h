/* test.h: the unit-test framework (libuv's test runner, Redis's testhelp).
 *
 * A test is a function written with TEST_IMPL(name) in
 * tests/unit/<subsys>/test_<topic>.c and listed once as TEST(name) in
 * tests/unit/test_list.h (or in a subsystem fragment
 * tests/unit/<subsys>/test_list_<subsys>.h that test_list.h includes).
 * The runner (test_main.c) forks one process per test, so a crash, a
 * sanitizer report or a timeout fails that test and the others still run.
 *
 * Checks:
 *   CHECK(e)                 e is true
 *   CHECK_EQ_INT(a, b)       as intmax_t, prints both values
 *   CHECK_EQ_UINT(a, b)      as uintmax_t, prints both in decimal and hex
 *   CHECK_EQ_STR(a, b)       strcmp; NULL is printed as (null)
 *   CHECK_EQ_MEM(a, b, n)    memcmp, prints the first differing offset
 *   CHECK_EQ_PTR(a, b)
 *   CHECK_OK(st)             st == LAT_OK, prints the status name
 *   CHECK_ST(st, want)       st == want, prints both status names
 * A failed CHECK prints file:line, the expression and the values and lets
 * the test go on (so one run shows every broken expectation); REQUIRE(e)
 * and REQUIRE_OK(st) end the test at once, for when going on would only
 * crash.  Arguments are evaluated exactly once.
 *
 * Allocation hooks (through lat_alloc_set_hooks) for leak and failure-path
 * tests: test_alloc_track() counts live allocations, test_alloc_fail_after(n)
 * makes the n-th allocation from now on and every later one fail (0 = the
 * next one), test_alloc_untrack() restores libc. */
#ifndef LAT_TEST_H
#define LAT_TEST_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"

#define TEST_IMPL(name) void test_##name(void)

/* One prototype per listed test, so -Wmissing-prototypes is satisfied; a
 * listed test with no body fails to link, and a body that is not listed
 * draws a missing-prototype warning instead of silently never running. */
#define TEST(name) void test_##name(void);
#include "test_list.h"
#undef TEST

/* ---- reporting (test_main.c) -------------------------------------------- */
void test_fail_bool(const char *file, int line, const char *expr);
void test_fail_int(const char *file, int line, const char *ea, const char *eb,
                   intmax_t a, intmax_t b);
void test_fail_uint(const char *file, int line, const char *ea, const char *eb,
                    uintmax_t a, uintmax_t b);
void test_fail_str(const char *file, int line, const char *ea, const char *eb,
                   const char *a, const char *b);
void test_fail_mem(const char *file, int line, const char *ea, const char *eb,
                   const void *a, const void *b, size_t n);
void test_fail_ptr(const char *file, int line, const char *ea, const char *eb,
                   const void *a, const void *b);
void test_fail_status(const char *file, int line, const char *expr,
                      lat_status got, lat_status want);
/* Ends the current test as failed (REQUIRE). */
_Noreturn void test_abort(void);
/* Number of failed checks so far in this test. */
int test_failures(void);

#define CHECK(e)                                                      \
  do {                                                                \
    if (!(e)) test_fail_bool(__FILE__, __LINE__, #e);                 \
  } while (0)

#define CHECK_EQ_INT(a, b)                                            \
  do {                                                                \
    intmax_t test_a_ = (intmax_t)(a), test_b_ = (intmax_t)(b);        \
    if (test_a_ != test_b_)                                           \
      test_fail_int(__FILE__, __LINE__, #a, #b, test_a_, test_b_);    \
  } while (0)

#define CHECK_EQ_UINT(a, b)                                           \
  do {                                                                \
    uintmax_t test_a_ = (uintmax_t)(a), test_b_ = (uintmax_t)(b);     \
    if (test_a_ != test_b_)                                           \
      test_fail_uint(__FILE__, __LINE__, #a, #b, test_a_, test_b_);   \
  } while (0)

#define CHECK_EQ_STR(a, b)                                            \
  do {                                                                \
    const char *test_a_ = (a), *test_b_ = (b);                        \
    if (!test_a_ || !test_b_ ? test_a_ != test_b_                     \
                             : strcmp(test_a_, test_b_) != 0)         \
      test_fail_str(__FILE__, __LINE__, #a, #b, test_a_, test_b_);    \
  } while (0)

#define CHECK_EQ_MEM(a, b, n)                                         \
  do {                                                                \
    const void *test_a_ = (a), *test_b_ = (b);                        \
    size_t test_n_ = (n);                                             \
    if (memcmp(test_a_, test_b_, test_n_) != 0)                       \
      test_fail_mem(__FILE__, __LINE__, #a, #b, test_a_, test_b_,     \
                    test_n_);                                         \
  } while (0)

#define CHECK_EQ_PTR(a, b)                                            \
  do {                                                                \
    const void *test_a_ = (a), *test_b_ = (b);                        \
    if (test_a_ != test_b_)                                           \
      test_fail_ptr(__FILE__, __LINE__, #a, #b, test_a_, test_b_);    \
  } while (0)

#define CHECK_ST(st, want)                                            \
  do {                                                                \
    lat_status test_s_ = (st), test_w_ = (want);                      \
    if (test_s_ != test_w_)                                           \
      test_fail_status(__FILE__, __LINE__, #st, test_s_, test_w_);    \
  } while (0)

#define CHECK_OK(st) CHECK_ST(st, LAT_OK)

#define REQUIRE(e)                                                    \
  do {                                                                \
    if (!(e)) {                                                       \
      test_fail_bool(__FILE__, __LINE__, #e);                         \
      test_abort();                                                   \
    }                                                                 \
  } while (0)

#define REQUIRE_OK(st)                                                \
  do {                                                                \
    lat_status test_s_ = (st);                                        \
    if (test_s_ != LAT_OK) {                                          \
      test_fail_status(__FILE__, __LINE__, #st, test_s_, LAT_OK);     \
      test_abort();                                                   \
    }                                                                 \
  } while (0)

/* ---- allocation tracking and failure injection ---------------------------- */
void test_alloc_track(void);
void test_alloc_fail_after(long n); /* < 0: never fail */
void test_alloc_untrack(void);
long test_alloc_live(void);   /* allocations not yet freed */
long test_alloc_count(void);  /* allocations attempted since tracking began */
long test_alloc_failed(void); /* allocations refused so far */

/* Runs `body` with allocation n failing, for n = 0, 1, ... until a run sees
 * no injected failure; after each run checks that nothing leaked.  body
 * returns its status; it must return an error (never crash) when an
 * allocation fails.  Returns the number of runs. */
typedef lat_status (*test_alloc_body_fn)(void *ctx);
int test_alloc_sweep(const char *file, int line, test_alloc_body_fn body,
                     void *ctx);
#define CHECK_ALLOC_SWEEP(body, ctx) test_alloc_sweep(__FILE__, __LINE__, body, ctx)

#endif
