/* cli_compile.c: `lattice compile FILE [--output OUT]`, like `wasmtime
 * compile`: compiles a core module to native code through the compiled
 * tier (src/aot) and stores it in the cache, where `lattice run
 * --compiled` and `lattice wast --compiled` find it; --output also copies
 * the shared object out (for inspection or shipping to a machine with the
 * same cache key inputs).  Prints the cache path and how long emitting and
 * compiling took, per MB of wasm (the figure `make bench` reports).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../aot/aot.h"
#include "cli.h"

static const char *output, *cc, *cache, *emit_c;
static bool force;

static const lat_cli_opt_t opts[] = {
    {"output", 0, LAT_CLI_STRING, &output, "OUT", "also write the shared object to OUT"},
    {"cc", 0, LAT_CLI_STRING, &cc, "CC", "C compiler (default $LATTICE_CC, else gcc)"},
    {"cache-dir", 0, LAT_CLI_STRING, &cache, "DIR",
     "object cache (default $LATTICE_CACHE_DIR/aot, else ~/.cache/lattice/aot)"},
    {"force", 'f', LAT_CLI_FLAG, &force, NULL, "compile even if the cache has it"},
    {"emit-c", 0, LAT_CLI_STRING, &emit_c, "FILE", "write the generated C to FILE instead"},
};

static const lat_cli_cmd_t cmd = {
    .name = "compile",
    .usage = "[OPTIONS] FILE",
    .summary = "compile a core module to native code (like wasmtime compile)",
    .details = "FILE is a core module (.wasm or .wat).  Its C is compiled into the cache, keyed by\n"
               "the module's hash, the compiler and its flags.  A module using a feature the\n"
               "compiled tier does not support (memory64, multi-memory, exceptions, tail calls)\n"
               "is reported and exits 1; `run --compiled` interprets such modules.\n",
    .opts = opts,
    .nopts = LAT_CLI_NOPTS(opts),
    .min_pos = 1,
    .max_pos = 1,
    .pos_name = "FILE",
    .examples = "  lattice compile build/bench/fib.wasm\n"
                "  lattice compile --output fib.so --cc clang fib.wasm\n",
    .exit_status = "0 compiled (or cached), 1 error or unsupported module, 2 usage error.",
};

static int copy_file(const char *from, const char *to) {
  FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
  char buf[65536];
  size_t n;
  int rc = a && b ? 0 : -1;
  while (!rc && (n = fread(buf, 1, sizeof buf, a)) > 0)
    if (fwrite(buf, 1, n, b) != n) rc = -1;
  if (a) fclose(a);
  if (b && fclose(b)) rc = -1;
  return rc;
}

static int do_compile(const lat_cli_args_t *a) {
  const char *file = a->pos[0];
  lat_error_t err;
  lat_error_clear(&err);
  lat_wasm_module_t *m = NULL;
  if (lat_cli_load_module(file, &m, &err)) return lat_cli_fail_err(a, 1, file, &err);
  if (emit_c) {
    lat_buf_t b;
    lat_buf_init(&b);
    lat_status st = lat_buf_printf(&b, "#define LAT_AOT_KEY \"\"\n");
    if (!st) st = lat_aot_emit_c(m, &b, &err);
    lat_wasm_module_release(m);
    FILE *f = st ? NULL : fopen(emit_c, "w");
    int rc = 0;
    if (st) rc = lat_cli_fail(a, 1, "%s: %s", file, err.msg);
    else if (!f || fwrite(b.data, 1, b.len, f) != b.len) rc = lat_cli_fail(a, 1, "%s: %s", emit_c, strerror(errno));
    if (f) fclose(f);
    lat_buf_fini(&b);
    return rc;
  }
  lat_aot_options_t o = {.cache_dir = cache, .cc = cc, .no_cache = force};
  char *path = NULL;
  bool cached = false;
  uint64_t t0 = lat_now_ns();
  lat_status st = lat_aot_compile(m, &o, &path, &cached, &err);
  uint64_t t1 = lat_now_ns();
  struct stat sb;
  size_t bytes = stat(file, &sb) == 0 ? (size_t)sb.st_size : 0; /* the file's */
  int rc = 0;
  lat_wasm_module_release(m);
  if (st) return lat_cli_fail(a, 1, "%s: %s", file, err.msg);
  if (output && copy_file(path, output) != 0) {
    rc = lat_cli_fail(a, 1, "%s: %s", output, strerror(errno));
    goto out;
  }
  double ms = (double)(t1 - t0) / 1e6, mb = (double)bytes / 1e6;
  if (a->json) {
    json_t *j = json_pack("{s:b, s:s, s:b, s:f, s:I}", "success", 1, "path", path, "cached",
                          cached, "ms", ms, "wasm_bytes", (json_int_t)bytes);
    lat_cli_json_print(j);
  } else {
    printf("%s\n", path);
    fprintf(stderr, "compile: %s, %zu bytes, %.1f ms%s", file, bytes, ms,
            cached ? " (cached)\n" : "");
    if (!cached) fprintf(stderr, " (%.0f ms per MB)\n", mb > 0 ? ms / mb : 0);
  }
out:
  lat_free(path);
  return rc;
}

int lat_cli_compile(int argc, char **argv) {
  lat_cli_args_t a;
  int rc = lat_cli_parse(&cmd, argc, argv, &a);
  if (rc < 0) rc = do_compile(&a);
  lat_cli_args_fini(&a);
  return rc;
}
