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

/* test_runtime.c */
TEST(wasm_runtime_image_contents)
TEST(wasm_runtime_image_oob_keeps_earlier)
TEST(wasm_runtime_image_after_elem_trap)
TEST(wasm_runtime_image_not_constant)
TEST(wasm_runtime_image_threads)
TEST(wasm_runtime_start_sees_image)
TEST(wasm_runtime_pool_reuse)
TEST(wasm_runtime_pool_cap)
TEST(wasm_runtime_pool_threads)
TEST(wasm_runtime_pool_elem_trap)
TEST(wasm_runtime_pool_mixed_modules)
TEST(wasm_runtime_pool_small_memory)
