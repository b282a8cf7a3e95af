/* The compiled tier's unit tests (tests/unit/aot/), included by test_list.h. */

/* test_aot.c */
TEST(aot_results_match_interpreter)
TEST(aot_fallback_unsupported)
TEST(aot_limits_deadline_fuel_depth)
TEST(aot_mixing_tiers_and_host)
TEST(aot_memory_cap)
TEST(aot_split_large_module)
