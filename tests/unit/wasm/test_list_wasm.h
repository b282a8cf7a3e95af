/* The engine's unit tests (tests/unit/wasm/), included by test_list.h. */

/* test_backtrace.c */
TEST(wasm_backtrace_three_deep)
TEST(wasm_backtrace_host_trap)
TEST(wasm_backtrace_reentry)
TEST(wasm_backtrace_across_instances)
TEST(wasm_backtrace_cap_and_limits)
TEST(wasm_backtrace_instantiation)
