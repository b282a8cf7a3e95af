/* `lattice run` and `lattice validate`, plus the small parsers the CLI
 * shares (sizes, durations, module loading).
 *
 * run: loads a .wasm or .wat module, instantiates it in a store with the
 * limits given by flags, and calls the export named by --invoke (or
 * `_start`), printing each result on its own line as `wasmtime --invoke`
 * does.  Arguments are parsed by the parameter types.  Every failure names
 * its cause (with the byte offset for decode errors) and exits non-zero:
 * 1 for a trap or a bad module, 2 for bad usage. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

lat_status lat_cli_load_module(const char *path, lat_wasm_module_t **out,
                               lat_error_t *err) {
  uint8_t *data;
  size_t len;
  lat_status s = lat_file_read(path, &data, &len, err);
  if (s) return s;
  bool binary = len >= 4 && !memcmp(data, "\0asm", 4);
  if (!binary) {
    lat_buf_t b;
    lat_buf_init(&b);
    s = lat_wat_to_wasm((const char *)data, len, &b, err);
    lat_free(data);
    if (s) {
      lat_buf_fini(&b);
      return s;
    }
    s = lat_wasm_module_new(b.data, b.len, out, err);
    lat_buf_fini(&b);
    return s;
  }
  s = lat_wasm_module_new(data, len, out, err);
  lat_free(data);
  return s;
}

bool lat_cli_parse_size(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || v < 0 || !isfinite(v)) return false;
  uint64_t mul = 1;
  if (!*end || !strcmp(end, "B")) mul = 1;
  else if (!strcasecmp(end, "k") || !strcmp(end, "KiB") || !strcmp(end, "KB")) mul = 1ull << 10;
  else if (!strcasecmp(end, "m") || !strcmp(end, "MiB") || !strcmp(end, "MB")) mul = 1ull << 20;
  else if (!strcasecmp(end, "g") || !strcmp(end, "GiB") || !strcmp(end, "GB")) mul = 1ull << 30;
  else return false;
  double bytes = v * (double)mul;
  if (bytes > 1.8e19) return false;
  *out = (uint64_t)bytes;
  return true;
}

bool lat_cli_parse_duration(const char *s, uint64_t *out_ns) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || v < 0 || !isfinite(v)) return false;
  double mul;
  if (!strcmp(end, "ns")) mul = 1;
  else if (!strcmp(end, "us")) mul = 1e3;
  else if (!strcmp(end, "ms")) mul = 1e6;
  else if (!strcmp(end, "s") || !*end) mul = 1e9;
  else if (!strcmp(end, "m")) mul = 60e9;
  else return false;
  double ns = v * mul;
  if (ns > 1.8e19) return false;
  *out_ns = (uint64_t)ns;
  return true;
}

static const char *type_name(uint8_t t) {
  switch (t) {
    case LAT_I32: return "i32";
    case LAT_I64: return "i64";
    case LAT_F32: return "f32";
    case LAT_F64: return "f64";
    case LAT_V128: return "v128";
    case LAT_FUNCREF: return "funcref";
    case LAT_EXTERNREF: return "externref";
  }
  return "?";
}

static bool parse_arg(const char *s, uint8_t type, lat_wasm_val_t *v) {
  char *end;
  errno = 0;
  memset(v, 0, sizeof *v);
  v->type = type;
  switch (type) {
    case LAT_I32:
    case LAT_I64: {
      long long x;
      unsigned long long ux;
      if (s[0] == '-') {
        x = strtoll(s, &end, 0);
        ux = (unsigned long long)x;
      } else {
        ux = strtoull(s, &end, 0);
      }
      if (end == s || *end || errno) return false;
      if (type == LAT_I32) {
        if (s[0] == '-' ? (long long)ux < INT32_MIN : ux > UINT32_MAX)
          return false;
        v->of.i32 = (uint32_t)ux;
      } else {
        v->of.i64 = ux;
      }
      return true;
    }
    case LAT_F32: {
      float f = strtof(s, &end);
      if (end == s || *end) return false;
      memcpy(&v->of.f32, &f, 4);
      return true;
    }
    case LAT_F64: {
      double d = strtod(s, &end);
      if (end == s || *end) return false;
      memcpy(&v->of.f64, &d, 8);
      return true;
    }
    default:
      if (!strcmp(s, "null")) return true;
      return false;
  }
}

static void print_val(const lat_wasm_val_t *v) {
  switch (v->type) {
    case LAT_I32: printf("%" PRId32 "\n", (int32_t)v->of.i32); break;
    case LAT_I64: printf("%" PRId64 "\n", (int64_t)v->of.i64); break;
    case LAT_F32: {
      float f;
      memcpy(&f, &v->of.f32, 4);
      printf("%.9g\n", (double)f);
      break;
    }
    case LAT_F64: {
      double d;
      memcpy(&d, &v->of.f64, 8);
      printf("%.17g\n", d);
      break;
    }
    case LAT_V128:
      printf("0x");
      for (int i = 15; i >= 0; i--) printf("%02x", v->of.v128.bytes[i]);
      printf("\n");
      break;
    default:
      if (v->of.ref)
        printf("%s:%p\n", type_name(v->type), v->of.ref);
      else
        printf("null\n");
  }
}

static void print_error(const char *path, const lat_error_t *err) {
  if (err->offset != SIZE_MAX)
    fprintf(stderr, "lattice: %s: %s at offset %zu: %s\n", path,
            lat_status_message(err->code), err->offset, err->msg);
  else
    fprintf(stderr, "lattice: %s: %s: %s\n", path,
            lat_status_message(err->code), err->msg);
}

static int run_usage(void) {
  fprintf(stderr,
          "usage: lattice run [--invoke NAME] [--max-memory SIZE] "
          "[--timeout DURATION] [--fuel N] [--time] FILE [ARGS...]\n");
  return 2;
}

int lat_cli_run(int argc, char **argv) {
  const char *file = NULL, *invoke = NULL;
  lat_wasm_limits_t limits = {0};
  uint64_t timeout_ns = 0, fuel = 0;
  bool timing = false;
  int first_arg = argc;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_next = i + 1 < argc;
    if (!strcmp(a, "--invoke")) {
      if (!has_next) return run_usage();
      invoke = argv[++i];
    } else if (!strcmp(a, "--max-memory")) {
      if (!has_next || !lat_cli_parse_size(argv[++i], &limits.max_memory_bytes)) {
        fprintf(stderr, "lattice run: bad --max-memory value\n");
        return 2;
      }
    } else if (!strcmp(a, "--timeout")) {
      if (!has_next || !lat_cli_parse_duration(argv[++i], &timeout_ns)) {
        fprintf(stderr, "lattice run: bad --timeout value (e.g. 100ms, 2s)\n");
        return 2;
      }
    } else if (!strcmp(a, "--fuel")) {
      char *end;
      if (!has_next) return run_usage();
      errno = 0;
      fuel = strtoull(argv[++i], &end, 10);
      if (*end || errno || end == argv[i]) {
        fprintf(stderr, "lattice run: bad --fuel value\n");
        return 2;
      }
    } else if (!strcmp(a, "--time")) {
      timing = true;
    } else if (!strcmp(a, "--")) {
      if (!file) {
        if (i + 1 >= argc) return run_usage();
        file = argv[++i];
      }
      first_arg = i + 1;
      break;
    } else if (a[0] == '-' && a[1] == '-') {
      fprintf(stderr, "lattice run: unknown option '%s'\n", a);
      return 2;
    } else if (!file) {
      file = a;
    } else {
      first_arg = i;
      /* options may still follow the file only before the first argument;
       * `--invoke NAME` right after the file is the documented form */
      break;
    }
  }
  if (!file) return run_usage();

  lat_error_t err;
  lat_error_clear(&err);
  lat_wasm_module_t *m = NULL;
  lat_wasm_store_t *s = NULL;
  int rc = 1;
  uint64_t t0 = lat_now_ns();
  if (lat_cli_load_module(file, &m, &err)) {
    print_error(file, &err);
    return 1;
  }
  uint64_t t1 = lat_now_ns();
  if (lat_wasm_store_new(&limits, &s)) {
    fprintf(stderr, "lattice: out of memory\n");
    goto out;
  }
  uint32_t nimports = lat_wasm_module_import_count(m);
  if (nimports) {
    lat_wasm_import_t imp;
    lat_wasm_module_import(m, 0, &imp);
    fprintf(stderr, "lattice: %s: unknown import \"%.*s\" \"%.*s\" (no host provides it)\n",
            file, (int)imp.module_len, imp.module, (int)imp.name_len, imp.name);
    goto out;
  }
  if (timeout_ns) lat_wasm_store_set_deadline(s, lat_now_ns() + timeout_ns);
  if (fuel) lat_wasm_store_set_fuel(s, fuel);
  lat_wasm_instance_t *inst;
  if (lat_wasm_instance_new(s, m, NULL, 0, &inst, &err)) {
    print_error(file, &err);
    goto out;
  }
  uint64_t t2 = lat_now_ns();
  const char *name = invoke ? invoke : "_start";
  lat_wasm_extern_t ext;
  if (lat_wasm_instance_export(inst, name, strlen(name), &ext) ||
      ext.kind != LAT_EXTERN_FUNC) {
    if (!invoke) {
      rc = 0; /* a module without _start: instantiating it was the job */
      goto out;
    }
    fprintf(stderr, "lattice: %s: no exported function '%s'\n", file, name);
    goto out;
  }
  const lat_wasm_functype_t *ft = lat_wasm_func_type(ext.of.func);
  int nargs = argc - first_arg;
  if (nargs != (int)ft->nparams) {
    fprintf(stderr, "lattice: '%s' takes %u argument(s) but %d were given\n",
            name, ft->nparams, nargs);
    rc = 2;
    goto out;
  }
  lat_wasm_val_t *args = lat_calloc(ft->nparams + 1, sizeof *args);
  lat_wasm_val_t *res = lat_calloc(ft->nresults + 1, sizeof *res);
  if (!args || !res) {
    lat_free(args);
    lat_free(res);
    fprintf(stderr, "lattice: out of memory\n");
    goto out;
  }
  for (uint32_t i = 0; i < ft->nparams; i++) {
    if (!parse_arg(argv[first_arg + (int)i], ft->params[i], &args[i])) {
      fprintf(stderr, "lattice: argument %u '%s' is not a valid %s\n", i + 1,
              argv[first_arg + (int)i], type_name(ft->params[i]));
      lat_free(args);
      lat_free(res);
      rc = 2;
      goto out;
    }
  }
  if (timeout_ns) lat_wasm_store_set_deadline(s, lat_now_ns() + timeout_ns);
  uint64_t t3 = lat_now_ns();
  lat_status st = lat_wasm_func_call(s, ext.of.func, args, ft->nparams, res,
                                     ft->nresults, &err);
  uint64_t t4 = lat_now_ns();
  if (st == LAT_OK) {
    for (uint32_t i = 0; i < ft->nresults; i++) print_val(&res[i]);
    rc = 0;
  } else if (st == LAT_TRAP && lat_wasm_store_trap(s) == LAT_TRAP_EXIT) {
    rc = lat_wasm_store_exit_code(s);
  } else {
    fprintf(stderr, "lattice: %s: %s: %s\n", file,
            st == LAT_TRAP ? "wasm trap" : lat_status_message(st), err.msg);
  }
  if (timing)
    fprintf(stderr,
            "time: load %.3f ms, instantiate %.3f ms, call %.3f ms\n",
            (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
            (double)(t4 - t3) / 1e6);
  lat_free(args);
  lat_free(res);
out:
  lat_wasm_store_free(s);
  lat_wasm_module_release(m);
  return rc;
}

int lat_cli_validate(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: lattice validate FILE...\n");
    return 2;
  }
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    uint8_t *data;
    size_t len;
    lat_error_t err;
    lat_error_clear(&err);
    if (lat_file_read(argv[i], &data, &len, &err)) {
      print_error(argv[i], &err);
      rc = 1;
      continue;
    }
    lat_wasm_module_t *m = NULL;
    uint64_t t0 = lat_now_ns();
    lat_status st;
    if (len >= 4 && !memcmp(data, "\0asm", 4)) {
      st = lat_wasm_module_new(data, len, &m, &err);
    } else {
      lat_buf_t b;
      lat_buf_init(&b);
      st = lat_wat_to_wasm((const char *)data, len, &b, &err);
      if (!st) st = lat_wasm_module_new(b.data, b.len, &m, &err);
      lat_buf_fini(&b);
    }
    uint64_t dt = lat_now_ns() - t0;
    if (st) {
      print_error(argv[i], &err);
      rc = 1;
    } else {
      double ms = (double)dt / 1e6;
      printf("%s: valid (%zu bytes, %.3f ms, %.1f MB/s)\n", argv[i], len, ms,
             ms > 0 ? (double)len / 1e6 / (ms / 1e3) : 0.0);
    }
    lat_wasm_module_release(m);
    lat_free(data);
  }
  return rc;
}
