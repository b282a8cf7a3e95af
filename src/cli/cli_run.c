/* `lattice run` and `lattice validate`, plus the small parsers the CLI
 * shares (sizes, durations, module loading).
 *
 * run: loads a .wasm or .wat module and instantiates it in a store with the
 * limits given by flags.  A module that imports wasi_snapshot_preview1 is
 * linked against a WASI context built from the flags (--dir grants, --env,
 * --tcplisten, the guest's argv = FILE and the arguments after it), like
 * `wasmtime run`.  Then it calls `_start` (a command: the exit code is the
 * guest's, from proc_exit or 0), or the export named by --invoke, printing
 * each result on its own line as `wasmtime --invoke` does, with arguments
 * parsed by the parameter types.  A reactor (exports `_initialize`) is
 * initialised first.
 *
 * Arguments: options come before FILE; after FILE everything belongs to the
 * guest, except a `--invoke NAME` right after FILE (the documented form).
 *
 * Components (layer-1 preamble): the same flags build a WASI 0.2 host over
 * the same context (lat_wasi_p2_*: grants, environment, stdio), the
 * component is instantiated against it (a missing or mistyped import is a
 * link error naming it), and its `wasi:cli/run` export (any 0.2.x) is
 * called: the exit status is 0 for ok, 1 for err, or the code given to
 * wasi:cli/exit.  --invoke is for core modules only.
 *
 * Exit status: the guest's exit code; 1 for a trap (the reason and a wasm
 * backtrace, when the engine provides one, go to stderr), a bad module or a
 * link error; 2 for bad usage.  (Not wasmtime's 134 for a trap: scripts read
 * 128+N as "killed by signal N".) */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host/host.h"
#include "../wasi/wasi.h"
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
        printf("%s:%p\n", lat_wasm_valtype_name(v->type), v->of.ref);
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
          "usage: lattice run [OPTIONS] FILE [--invoke NAME] [ARGS...]\n"
          "options:\n"
          "  --invoke NAME          call export NAME (ARGS are its parameters)\n"
          "  --dir HOST[::GUEST]    grant directory HOST as GUEST (default: "
          "same name)\n"
          "  --ro-dir HOST[::GUEST] grant it read-only\n"
          "  --env KEY=VALUE        set a guest environment variable (--env "
          "KEY copies the host's)\n"
          "  --tcplisten HOST:PORT  give the guest a listening TCP socket\n"
          "  --trap-unknown-imports link imports no host provides to functions "
          "that trap when called\n"
          "  --max-memory SIZE      cap each linear memory (memory.grow fails "
          "past it)\n"
          "  --trap-on-grow-failure a memory.grow that fails traps instead of "
          "returning -1\n"
          "  --timeout DURATION     stop the guest after DURATION (e.g. 100ms)\n"
          "  --fuel N               stop the guest after N back-edges and "
          "calls\n"
          "  --time                 print load/instantiate/run times\n");
  return 2;
}

typedef struct {
  char *host;         /* owned copy (the part before "::") */
  const char *guest;  /* borrowed from argv */
  bool readonly;
} dir_grant_t;

typedef struct {
  const char *file, *invoke;
  lat_wasm_limits_t limits;
  uint64_t timeout_ns, fuel;
  bool timing, trap_unknown;
  dir_grant_t *dirs;
  size_t ndirs;
  const char **env; /* KEY=VALUE; entries made from --env KEY are owned */
  bool *env_owned;
  size_t nenv;
  const char **listen;
  size_t nlisten;
  int first_arg; /* argv index of the first guest argument */
} run_opts_t;

static void opts_fini(run_opts_t *o) {
  for (size_t i = 0; i < o->nenv; i++)
    if (o->env_owned[i]) lat_free((void *)o->env[i]);
  for (size_t i = 0; i < o->ndirs; i++) lat_free(o->dirs[i].host);
  lat_free(o->dirs);
  lat_free(o->env);
  lat_free(o->env_owned);
  lat_free(o->listen);
}

/* Grows an array of n elements by one; false on out of memory. */
static bool grow(void **arr, size_t n, size_t elem) {
  void *p = lat_realloc(*arr, (n + 1) * elem);
  if (!p) return false;
  *arr = p;
  return true;
}

static bool add_dir(run_opts_t *o, const char *spec, bool readonly) {
  if (!grow((void **)&o->dirs, o->ndirs, sizeof *o->dirs)) return false;
  const char *sep = strstr(spec, "::");
  size_t hl = sep ? (size_t)(sep - spec) : strlen(spec);
  char *h = lat_strndup(spec, hl);
  if (!h) return false;
  dir_grant_t *d = &o->dirs[o->ndirs++];
  d->host = h;
  d->guest = sep ? sep + 2 : spec;
  d->readonly = readonly;
  return true;
}

static bool add_env(run_opts_t *o, const char *kv) {
  if (!grow((void **)&o->env, o->nenv, sizeof *o->env) ||
      !grow((void **)&o->env_owned, o->nenv, sizeof *o->env_owned))
    return false;
  bool owned = false;
  if (!strchr(kv, '=')) {
    /* --env KEY: the host's value, if it has one */
    const char *v = getenv(kv);
    if (!v) return true;
    size_t n = strlen(kv) + 1 + strlen(v) + 1;
    char *s = lat_malloc(n);
    if (!s) return false;
    snprintf(s, n, "%s=%s", kv, v);
    kv = s;
    owned = true;
  }
  /* a later --env KEY=... replaces an earlier one */
  size_t kl = (size_t)(strchr(kv, '=') - kv);
  for (size_t i = 0; i < o->nenv; i++)
    if (!strncmp(o->env[i], kv, kl + 1)) {
      if (o->env_owned[i]) lat_free((void *)o->env[i]);
      o->env[i] = kv;
      o->env_owned[i] = owned;
      return true;
    }
  o->env[o->nenv] = kv;
  o->env_owned[o->nenv] = owned;
  o->nenv++;
  return true;
}

/* Returns -1 on success, else the exit status for a usage error. */
static int parse_opts(int argc, char **argv, run_opts_t *o) {
  o->first_arg = argc;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_next = i + 1 < argc;
    if (o->file) {
      /* after FILE only `--invoke NAME` is ours; the rest is the guest's */
      if (!strcmp(a, "--invoke") && i == o->first_arg && has_next &&
          !o->invoke) {
        o->invoke = argv[++i];
        o->first_arg = i + 1;
        continue;
      }
      break;
    }
    if (!strcmp(a, "--invoke")) {
      if (!has_next) return run_usage();
      o->invoke = argv[++i];
    } else if (!strcmp(a, "--trap-on-grow-failure")) {
      o->limits.trap_on_grow_failure = true;
    } else if (!strcmp(a, "--max-memory")) {
      if (!has_next ||
          !lat_cli_parse_size(argv[++i], &o->limits.max_memory_bytes)) {
        fprintf(stderr, "lattice run: bad --max-memory value\n");
        return 2;
      }
    } else if (!strcmp(a, "--timeout")) {
      if (!has_next || !lat_cli_parse_duration(argv[++i], &o->timeout_ns)) {
        fprintf(stderr, "lattice run: bad --timeout value (e.g. 100ms, 2s)\n");
        return 2;
      }
    } else if (!strcmp(a, "--fuel")) {
      char *end;
      if (!has_next) return run_usage();
      errno = 0;
      o->fuel = strtoull(argv[++i], &end, 10);
      if (*end || errno || end == argv[i]) {
        fprintf(stderr, "lattice run: bad --fuel value\n");
        return 2;
      }
    } else if (!strcmp(a, "--time")) {
      o->timing = true;
    } else if (!strcmp(a, "--trap-unknown-imports")) {
      o->trap_unknown = true;
    } else if (!strcmp(a, "--dir") || !strcmp(a, "--ro-dir")) {
      if (!has_next || !argv[i + 1][0]) return run_usage();
      if (!add_dir(o, argv[++i], a[2] == 'r')) goto oom;
    } else if (!strcmp(a, "--env")) {
      if (!has_next || !argv[i + 1][0] || argv[i + 1][0] == '=')
        return run_usage();
      if (!add_env(o, argv[++i])) goto oom;
    } else if (!strcmp(a, "--tcplisten")) {
      if (!has_next) return run_usage();
      if (!grow((void **)&o->listen, o->nlisten, sizeof *o->listen)) goto oom;
      o->listen[o->nlisten++] = argv[++i];
    } else if (!strcmp(a, "--")) {
      if (i + 1 >= argc) return run_usage();
      o->file = argv[++i];
      o->first_arg = i + 1;
      break;
    } else if (a[0] == '-' && a[1] == '-') {
      fprintf(stderr, "lattice run: unknown option '%s'\n", a);
      return 2;
    } else {
      o->file = a;
      o->first_arg = i + 1;
    }
  }
  if (!o->file) return run_usage();
  return -1;
oom:
  fprintf(stderr, "lattice: out of memory\n");
  return 1;
}

/* Builds the WASI context: argv = FILE + guest arguments. */
static lat_wasi_t *make_wasi(const run_opts_t *o, int argc, char **argv) {
  lat_error_t err;
  lat_error_clear(&err);
  size_t gargc = 1 + (size_t)(argc - o->first_arg);
  const char **gargv = lat_calloc(gargc, sizeof *gargv);
  if (!gargv) {
    fprintf(stderr, "lattice: out of memory\n");
    return NULL;
  }
  gargv[0] = o->file;
  for (int i = o->first_arg; i < argc; i++)
    gargv[1 + (i - o->first_arg)] = argv[i];
  lat_wasi_config_t cfg = {
      .argv = gargv, .argc = gargc, .env = o->env, .envc = o->nenv,
      .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2};
  lat_wasi_t *w = NULL;
  lat_status st = lat_wasi_new(&cfg, &w, &err);
  lat_free(gargv);
  if (st) {
    fprintf(stderr, "lattice: %s\n", err.msg);
    return NULL;
  }
  for (size_t i = 0; i < o->ndirs; i++) {
    const dir_grant_t *d = &o->dirs[i];
    if (lat_wasi_preopen_dir(w, d->host, d->guest, d->readonly, &err)) {
      fprintf(stderr, "lattice: --dir %s: %s\n", d->host, err.msg);
      lat_wasi_free(w);
      return NULL;
    }
  }
  for (size_t i = 0; i < o->nlisten; i++) {
    if (lat_wasi_preopen_tcp_listener(w, o->listen[i], &err)) {
      fprintf(stderr, "lattice: --tcplisten: %s\n", err.msg);
      lat_wasi_free(w);
      return NULL;
    }
  }
  return w;
}

void lat_cli_print_backtrace(const lat_wasm_store_t *s) {
  lat_wasm_frame_t fr[LAT_WASM_BACKTRACE_MAX];
  size_t n = lat_wasm_store_backtrace(s, fr, LAT_WASM_BACKTRACE_MAX);
  if (!n) return;
  fprintf(stderr, "wasm backtrace:\n");
  for (size_t i = 0; i < n; i++) {
    size_t len = 0;
    const char *name = lat_wasm_module_func_name(
        lat_wasm_instance_module(fr[i].inst), fr[i].func_index, &len);
    if (name && len)
      fprintf(stderr, "%5zu: %.*s\n", i, (int)len, name);
    else
      fprintf(stderr, "%5zu: func[%" PRIu32 "]\n", i, fr[i].func_index);
  }
  if (n == LAT_WASM_BACKTRACE_MAX)
    fprintf(stderr, "  ... (at most %d frames are kept)\n",
            LAT_WASM_BACKTRACE_MAX);
}

/* Reports a failed call; returns the exit status. */
static int report_call(const run_opts_t *o, lat_wasm_store_t *s, lat_status st,
                       const lat_error_t *err) {
  if (st == LAT_TRAP && lat_wasm_store_trap(s) == LAT_TRAP_EXIT) {
    if (err->msg[0] && strcmp(err->msg, "exit"))
      fprintf(stderr, "lattice: %s: %s\n", o->file, err->msg);
    return lat_wasm_store_exit_code(s) & 0xff;
  }
  if (st != LAT_TRAP) {
    fprintf(stderr, "lattice: %s: %s: %s\n", o->file, lat_status_message(st),
            err->msg);
    return 1;
  }
  lat_wasm_trap_t t = lat_wasm_store_trap(s);
  fprintf(stderr, "lattice: %s: wasm trap: %s%s\n", o->file, err->msg,
          t == LAT_TRAP_DEADLINE && o->timeout_ns ? " (--timeout)"
          : t == LAT_TRAP_OUT_OF_FUEL             ? " (--fuel)"
                                                  : "");
  lat_cli_print_backtrace(s);
  return 1;
}

static bool export_func(lat_wasm_instance_t *inst, const char *name,
                        lat_wasm_func_t **out) {
  lat_wasm_extern_t ext;
  if (lat_wasm_instance_export(inst, name, strlen(name), &ext) ||
      ext.kind != LAT_EXTERN_FUNC)
    return false;
  *out = ext.of.func;
  return true;
}

/* ---- components ------------------------------------------------------------ */

static int run_component(run_opts_t *o, int argc, char **argv) {
  const char *file = o->file;
  int rc = 1;
  lat_error_t err;
  lat_error_clear(&err);
  lat_host_component_t *comp = NULL;
  lat_host_instance_t *in = NULL;
  uint64_t t0 = lat_now_ns();
  if (o->invoke) {
    fprintf(stderr, "lattice: %s: --invoke is for core modules; a component "
                    "runs its wasi:cli/run export\n", file);
    return 2;
  }
  lat_host_component_opts_t co = {.limits = o->limits};
  lat_status st = lat_host_component_load(file, &co, &comp, &err);
  if (st == LAT_EUNLINKABLE) {
    fprintf(stderr, "lattice: %s: link error: %s\n", file, err.msg);
    goto out;
  }
  if (st) {
    print_error(file, &err);
    goto out;
  }
  uint64_t t1 = lat_now_ns();
  lat_wasi_t *w = make_wasi(o, argc, argv);
  if (!w) goto out;
  lat_host_instance_opts_t io = {.wasi = w, .timeout_ns = o->timeout_ns, .fuel = o->fuel};
  if (lat_host_instance_new(comp, &io, &in, &err)) {
    fprintf(stderr, "lattice: %s\n", err.msg);
    goto out;
  }
  if ((st = lat_host_instance_start(in, &err))) {
    if (st == LAT_TRAP) rc = report_call(o, lat_host_instance_store(in), st, &err);
    else fprintf(stderr, "lattice: %s: %s: %s\n", file, lat_status_message(st), err.msg);
    goto out;
  }
  uint64_t t2 = lat_now_ns();
  lat_cval_t res;
  memset(&res, 0, sizeof res);
  st = lat_host_instance_call(in, "wasi:cli/run@0.2.0", "run", NULL, 0, &res, &err);
  if (st == LAT_ENOTFOUND) {
    fprintf(stderr, "lattice: %s: the component does not export wasi:cli/run "
                    "(0.2.x)\n", file);
    goto out;
  }
  uint64_t t3 = lat_now_ns();
  fflush(stdout);
  if (st) rc = report_call(o, lat_host_instance_store(in), st, &err);
  else rc = res.kind == LAT_CT_RESULT && res.of.var.disc ? 1 : 0;
  if (o->timing)
    fprintf(stderr, "time: load %.3f ms, instantiate %.3f ms, call %.3f ms\n",
            (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
            (double)(t3 - t2) / 1e6);
out:
  lat_host_instance_free(in);
  lat_host_component_free(comp);
  return rc;
}

int lat_cli_run(int argc, char **argv) {
  run_opts_t o;
  memset(&o, 0, sizeof o);
  int rc = parse_opts(argc, argv, &o);
  if (rc >= 0) {
    opts_fini(&o);
    return rc;
  }
  rc = 1;
  const char *file = o.file;
  {
    /* a component (layer 1) takes the WASI 0.2 path */
    uint8_t hdr[8];
    FILE *fp = fopen(file, "rb");
    size_t got = fp ? fread(hdr, 1, sizeof hdr, fp) : 0;
    if (fp) fclose(fp);
    if (lat_component_is_component(hdr, got)) {
      rc = run_component(&o, argc, argv);
      opts_fini(&o);
      return rc;
    }
  }
  lat_error_t err;
  lat_error_clear(&err);
  lat_wasm_module_t *m = NULL;
  lat_wasm_store_t *s = NULL;
  lat_wasi_t *w = NULL;
  lat_wasm_extern_t *imports = NULL;
  lat_wasm_val_t *args = NULL, *res = NULL;
  uint64_t t0 = lat_now_ns();
  if (lat_cli_load_module(file, &m, &err)) {
    print_error(file, &err);
    goto out;
  }
  uint64_t t1 = lat_now_ns();
  if (lat_wasm_store_new(&o.limits, &s)) {
    fprintf(stderr, "lattice: out of memory\n");
    goto out;
  }
  uint32_t nimports = lat_wasm_module_import_count(m);
  if (nimports) {
    if (lat_wasi_module_uses_p1(m) || o.trap_unknown) {
      if (!(w = make_wasi(&o, argc, argv))) goto out;
    }
    if (lat_wasi_link(w, s, m, o.trap_unknown, &imports, &err)) {
      fprintf(stderr, "lattice: %s: link error: %s\n", file, err.msg);
      goto out;
    }
  }
  if (o.timeout_ns) {
    uint64_t dl = lat_now_ns() + o.timeout_ns;
    lat_wasm_store_set_deadline(s, dl);
    if (w) lat_wasi_set_deadline(w, dl);
  }
  if (o.fuel) lat_wasm_store_set_fuel(s, o.fuel);
  lat_wasm_instance_t *inst;
  lat_status st = lat_wasm_instance_new(s, m, imports, nimports, &inst, &err);
  if (st == LAT_TRAP) {
    rc = report_call(&o, s, st, &err);
    goto out;
  }
  if (st) {
    print_error(file, &err);
    goto out;
  }
  uint64_t t2 = lat_now_ns();
  lat_wasm_func_t *init, *fn;
  bool is_command = export_func(inst, "_start", &fn);
  /* a reactor is initialised before anything else is called */
  if (!is_command && export_func(inst, "_initialize", &init)) {
    st = lat_wasm_func_call(s, init, NULL, 0, NULL, 0, &err);
    if (st) {
      rc = report_call(&o, s, st, &err);
      goto out;
    }
  }
  const char *name = o.invoke ? o.invoke : "_start";
  if (o.invoke && !export_func(inst, name, &fn)) {
    fprintf(stderr, "lattice: %s: no exported function '%s'\n", file, name);
    goto out;
  }
  if (!o.invoke && !is_command) {
    rc = 0; /* no _start: instantiating (and initialising) was the job */
    goto out;
  }
  const lat_wasm_functype_t *ft = lat_wasm_func_type(fn);
  int nargs = o.invoke ? argc - o.first_arg : 0;
  if (nargs != (int)ft->nparams) {
    fprintf(stderr, "lattice: '%s' takes %u argument(s) but %d were given\n",
            name, ft->nparams, nargs);
    rc = 2;
    goto out;
  }
  args = lat_calloc(ft->nparams + 1, sizeof *args);
  res = lat_calloc(ft->nresults + 1, sizeof *res);
  if (!args || !res) {
    fprintf(stderr, "lattice: out of memory\n");
    goto out;
  }
  for (uint32_t i = 0; i < ft->nparams; i++) {
    if (!parse_arg(argv[o.first_arg + (int)i], ft->params[i], &args[i])) {
      fprintf(stderr, "lattice: argument %u '%s' is not a valid %s\n", i + 1,
              argv[o.first_arg + (int)i], lat_wasm_valtype_name(ft->params[i]));
      rc = 2;
      goto out;
    }
  }
  if (o.timeout_ns) {
    uint64_t dl = lat_now_ns() + o.timeout_ns;
    lat_wasm_store_set_deadline(s, dl);
    if (w) lat_wasi_set_deadline(w, dl);
  }
  uint64_t t3 = lat_now_ns();
  st = lat_wasm_func_call(s, fn, args, ft->nparams, res, ft->nresults, &err);
  uint64_t t4 = lat_now_ns();
  if (st == LAT_OK) {
    for (uint32_t i = 0; i < ft->nresults; i++) print_val(&res[i]);
    fflush(stdout);
    rc = 0;
  } else {
    fflush(stdout);
    rc = report_call(&o, s, st, &err);
  }
  if (o.timing) {
    uint64_t first = w ? lat_wasi_first_call_ns(w) : 0;
    fprintf(stderr,
            "time: load %.3f ms, instantiate %.3f ms, call %.3f ms",
            (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
            (double)(t4 - t3) / 1e6);
    if (first)
      fprintf(stderr, ", first WASI call at %.3f ms", (double)(first - t0) / 1e6);
    fprintf(stderr, "\n");
  }
out:
  lat_free(args);
  lat_free(res);
  lat_free(imports);
  lat_wasm_store_free(s);
  lat_wasi_free(w);
  lat_wasm_module_release(m);
  opts_fini(&o);
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
