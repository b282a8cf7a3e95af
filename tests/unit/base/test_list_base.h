/* base unit tests beyond test_base.c (tests/unit/base/), included by
 * test_list.h. */

/* ---- test_log.c: the structured logger ---- */
TEST(base_log_text_exact)
TEST(base_log_json_exact)
TEST(base_log_text_escape)
TEST(base_log_json_escape)
TEST(base_log_random_bytes)
TEST(base_log_level_filter)
TEST(base_log_parse)
TEST(base_log_truncate)
TEST(base_log_threads)

/* ---- test_map.c: the hash map ---- */
TEST(base_map_basic)
TEST(base_map_key_ownership)
TEST(base_map_many)
TEST(base_map_iter_delete)
TEST(base_map_alloc_sweep)

/* ---- test_queue.c: the work queue and workers ---- */
TEST(base_queue_fifo)
TEST(base_queue_capacity)
TEST(base_queue_close)
TEST(base_queue_timeout)
TEST(base_queue_mpmc)
TEST(base_queue_workers)
TEST(base_queue_alloc_sweep)
