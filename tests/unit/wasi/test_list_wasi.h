/* wasi unit tests (tests/unit/wasi/), included by test_list.h. */

/* ---- test_wasi_http.c: outgoing request checks ---- */
TEST(wasi_http_authority_valid)
TEST(wasi_http_authority_invalid)
