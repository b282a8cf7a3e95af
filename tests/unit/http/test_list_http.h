/* http unit tests (tests/unit/http/), included by test_list.h. */

/* ---- test_http_parse.c: request heads, chunked bodies, escaping ---- */
TEST(http_parse_valid_get)
TEST(http_parse_framing)
TEST(http_parse_lenient_bytes)
TEST(http_parse_target_version)
TEST(http_parse_caps)
TEST(http_chunked_decode)
TEST(http_escape_reason)

/* ---- test_http_server.c: the respond API and the server lifecycle ---- */
TEST(http_server_respond_refusals)
TEST(http_server_lifecycle)
