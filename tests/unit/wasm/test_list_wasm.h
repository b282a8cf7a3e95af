/* The engine's unit tests (tests/unit/wasm/), included by test_list.h. */

/* test_backtrace.c */
TEST(wasm_backtrace_three_deep)
TEST(wasm_backtrace_host_trap)
TEST(wasm_backtrace_reentry)
TEST(wasm_backtrace_across_instances)
TEST(wasm_backtrace_cap_and_limits)
TEST(wasm_backtrace_instantiation)

/* test_limits.c */
TEST(wasm_limits_deadline)
TEST(wasm_limits_interrupt)
TEST(wasm_limits_fuel_exact)
TEST(wasm_limits_call_depth)
TEST(wasm_limits_host_reentry)
TEST(wasm_limits_value_stack)
TEST(wasm_limits_threads_first_translation)
