/* test_list.h: every unit test, listed once (an X-macro list, as libuv's
 * test/test-list.h).  The includer defines TEST(name).
 *
 * Subsystems keep their own fragment next to their tests,
 * tests/unit/<subsys>/test_list_<subsys>.h, holding more TEST(name) lines;
 * it is picked up here when it exists, so several people can add tests at
 * once without editing this file.  Names are <subsys>_<topic>_<what>, so a
 * prefix on the command line (`unit_tests base_leb`) selects a group. */

/* ---- base (tests/unit/base/test_base.c) ---- */
TEST(base_status_names)
TEST(base_error_set)
TEST(base_size_overflow)
TEST(base_read_u8_bytes)
TEST(base_leb_u32_valid)
TEST(base_leb_u32_too_long)
TEST(base_leb_u32_too_large)
TEST(base_leb_unexpected_end)
TEST(base_leb_s32)
TEST(base_leb_s33)
TEST(base_leb_u64_s64)
TEST(base_leb_error_offset)
TEST(base_leb_roundtrip)
TEST(base_read_floats)
TEST(base_utf8_valid)
TEST(base_utf8_invalid)
TEST(base_utf8_encode_all)
TEST(base_buf_basic)
TEST(base_buf_printf_steal)
TEST(base_buf_overflow)
TEST(base_buf_alloc_failure)
TEST(base_alloc_basic)
TEST(base_alloc_sweep)
TEST(base_arena_basic)
TEST(base_arena_large)
TEST(base_arena_overflow)
TEST(base_file_read)
TEST(base_time_monotonic)

#if __has_include("base/test_list_base.h")
#include "base/test_list_base.h"
#endif
#if __has_include("wasm/test_list_wasm.h")
#include "wasm/test_list_wasm.h"
#endif
#if __has_include("aot/test_list_aot.h")
#include "aot/test_list_aot.h"
#endif
#if __has_include("component/test_list_component.h")
#include "component/test_list_component.h"
#endif
#if __has_include("wasi/test_list_wasi.h")
#include "wasi/test_list_wasi.h"
#endif
#if __has_include("crypto/test_list_crypto.h")
#include "crypto/test_list_crypto.h"
#endif
#if __has_include("lattice/test_list_lattice.h")
#include "lattice/test_list_lattice.h"
#endif
#if __has_include("host/test_list_host.h")
#include "host/test_list_host.h"
#endif
#if __has_include("providers/test_list_providers.h")
#include "providers/test_list_providers.h"
#endif
#if __has_include("manager/test_list_manager.h")
#include "manager/test_list_manager.h"
#endif
#if __has_include("oci/test_list_oci.h")
#include "oci/test_list_oci.h"
#endif
#if __has_include("telemetry/test_list_telemetry.h")
#include "telemetry/test_list_telemetry.h"
#endif
#if __has_include("http/test_list_http.h")
#include "http/test_list_http.h"
#endif
#if __has_include("cli/test_list_cli.h")
#include "cli/test_list_cli.h"
#endif
