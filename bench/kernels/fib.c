/* Recursive Fibonacci: call overhead and small-integer arithmetic. */
#include "kernel.h"

#define FIB_N 34

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

/* the argument comes from memory so the call cannot be folded away */
static volatile uint32_t fib_n = FIB_N;

uint32_t run(void) { return fib(fib_n); } /* fib(34) = 5702887 */
