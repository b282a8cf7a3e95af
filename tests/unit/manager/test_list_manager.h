/* ---- manager (tests/unit/manager/) ---- */
TEST(manager_manifest_valid)
TEST(manager_manifest_json)
TEST(manager_manifest_broken)
TEST(manager_manifest_warnings)
TEST(manager_manifest_ids)
TEST(manager_spread_vectors)
TEST(manager_spread_zero_weights)
TEST(manager_manifest_alloc_failures)
