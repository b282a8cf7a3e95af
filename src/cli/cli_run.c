/* `lattice run` and `lattice validate`.
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
 * Arguments (cli_opts.c's parser, stopping at FILE): options come before
 * FILE; after FILE everything belongs to the guest, except a `--invoke
 * NAME` right after FILE (the documented form).  A misspelling of --invoke
 * there is refused rather than handed to the guest, and a module without
 * _start given guest arguments is an error, so a typo never "runs nothing"
 * with exit 0.
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
#include <jansson.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../aot/aot.h"
#include "../host/host.h"
#include "../wasi/wasi.h"
#include "cli.h"

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

static void format_val(const lat_wasm_val_t *v, char *buf, size_t cap) {
  switch (v->type) {
    case LAT_I32: snprintf(buf, cap, "%" PRId32, (int32_t)v->of.i32); break;
    case LAT_I64: snprintf(buf, cap, "%" PRId64, (int64_t)v->of.i64); break;
    case LAT_F32: {
      float f;
      memcpy(&f, &v->of.f32, 4);
      snprintf(buf, cap, "%.9g", (double)f);
      break;
    }
    case LAT_F64: {
      double d;
      memcpy(&d, &v->of.f64, 8);
      snprintf(buf, cap, "%.17g", d);
      break;
    }
    case LAT_V128: {
      size_t n = (size_t)snprintf(buf, cap, "0x");
      for (int i = 15; i >= 0 && n + 2 < cap; i--)
        n += (size_t)snprintf(buf + n, cap - n, "%02x", v->of.v128.bytes[i]);
      break;
    }
    default:
      if (v->of.ref) snprintf(buf, cap, "%s:%p", lat_wasm_valtype_name(v->type), v->of.ref);
      else snprintf(buf, cap, "null");
  }
}

typedef struct {
  char *host;         /* owned copy (the part before "::") */
  const char *guest;  /* borrowed from argv */
  bool readonly;
} dir_grant_t;

typedef struct {
  const char *file, *invoke;
  lat_wasm_limits_t limits;
  lat_wasm_features_t features; /* the defaults, then --wasm */
  uint64_t timeout_ns, fuel;
  bool timing, trap_unknown, json;
  bool compiled, interpreted; /* --compiled / --interpreted (src/aot) */
  dir_grant_t *dirs;
  size_t ndirs;
  const char **env; /* KEY=VALUE; entries made from --env KEY are owned */
  bool *env_owned;
  size_t nenv;
  const char **listen;
  size_t nlisten;
  int first_arg; /* argv index of the first guest argument */
  const lat_cli_args_t *args; /* for lat_cli_fail */
} run_opts_t;

static void opts_fini(run_opts_t *o) {
  for (size_t i = 0; i < o->nenv; i++)
    if (o->env_owned[i]) lat_free((void *)o->env[i]);
  for (size_t i = 0; i < o->ndirs; i++) lat_free(o->dirs[i].host);
  lat_free(o->dirs);
  lat_free(o->env);
  lat_free(o->env_owned);
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

/* the option table's destinations (one command per process) */
static run_opts_t ro;
static lat_cli_list_t dirs_l, ro_dirs_l, env_l, listen_l, wasm_l;

static const lat_cli_opt_t run_opts[] = {
    {"invoke", 0, LAT_CLI_STRING, &ro.invoke, "NAME",
     "call export NAME instead of _start (ARGS are its parameters; also right after FILE)"},
    {"dir", 0, LAT_CLI_LIST, &dirs_l, "HOST[::GUEST]",
     "grant directory HOST to the guest as GUEST (default: the same path); repeatable"},
    {"ro-dir", 0, LAT_CLI_LIST, &ro_dirs_l, "HOST[::GUEST]", "the same, read-only"},
    {"env", 0, LAT_CLI_LIST, &env_l, "KEY[=VALUE]",
     "set a guest environment variable (KEY alone copies the host's value); repeatable"},
    {"tcplisten", 0, LAT_CLI_LIST, &listen_l, "HOST:PORT",
     "give the guest a listening TCP socket (WASI preview 1)"},
    {"max-memory", 0, LAT_CLI_SIZE, &ro.limits.max_memory_bytes, NULL,
     "cap each linear memory (memory.grow fails past it)"},
    {"trap-on-grow-failure", 0, LAT_CLI_FLAG, &ro.limits.trap_on_grow_failure, NULL,
     "a memory.grow that fails traps instead of returning -1"},
    {"timeout", 0, LAT_CLI_DURATION, &ro.timeout_ns, NULL, "stop the guest after DURATION"},
    {"fuel", 0, LAT_CLI_COUNT, &ro.fuel, NULL, "stop the guest after N back-edges and calls"},
    {"trap-unknown-imports", 0, LAT_CLI_FLAG, &ro.trap_unknown, NULL,
     "link imports no host provides to functions that trap when called"},
    {"time", 0, LAT_CLI_FLAG, &ro.timing, NULL, "print load, instantiate and run times on stderr"},
    {"compiled", 0, LAT_CLI_FLAG, &ro.compiled, NULL,
     "run a core module (or a component's core modules) compiled to native code (cached; "
     "`lattice compile`); one the compiled tier does not support is interpreted"},
    {"interpreted", 0, LAT_CLI_FLAG, &ro.interpreted, NULL, "run in the interpreter (the default)"},
    {"wasm", 0, LAT_CLI_LIST, &wasm_l, "FEATURE[=y|n]",
     "switch a WebAssembly feature of a core module: tail-call, multi-memory, extended-const, "
     "relaxed-simd (on by default, as in wasmtime), memory64, exceptions, "
     "function-references, gc, all"},
};

static const lat_cli_cmd_t run_cmd = {
    .name = "run",
    .usage = "[OPTIONS] FILE [--invoke NAME] [ARGS...]",
    .summary = "run a WebAssembly module or a wasi:cli component",
    .details =
        "FILE is a core module (.wasm or .wat text) or a component.  A module's _start runs\n"
        "(WASI preview 1 when it imports it), or the export named by --invoke, whose results\n"
        "are printed one per line; a component's wasi:cli/run export runs with WASI 0.2.\n"
        "Nothing is granted by default: no directories, no environment, no network.\n"
        "Options go before FILE; what follows FILE is the guest's argv (after FILE only\n"
        "--invoke NAME is read, as the first argument).\n",
    .opts = run_opts,
    .nopts = LAT_CLI_NOPTS(run_opts),
    .examples = "  lattice run examples/fib.wat --invoke fib 20             # prints 6765\n"
                "  lattice run --dir .::/data --env LANG=C app.wasm arg1    # a WASI command\n"
                "  lattice run --timeout 2s --fuel 1000000 build/examples/hello.component.wasm\n",
    .exit_status = "0 ok, 1 error or trap, 2 usage error, else the guest's own exit code\n"
                   "(proc_exit, wasi:cli/exit; a component's run returning err is 1).",
    .min_pos = 1,
    .pos_name = "FILE",
    .stop_after = 1,
};

/* Returns -1 on success, else the exit status for a usage error. */
static int parse_opts(int argc, char **argv, lat_cli_args_t *a, run_opts_t *o) {
  int rc = lat_cli_parse(&run_cmd, argc, argv, a);
  if (rc >= 0) return rc;
  o->file = a->pos[0];
  o->first_arg = a->rest;
  o->json = a->json;
  o->args = a;
  /* `FILE --invoke NAME` (the documented form) and `FILE --invoke=NAME` */
  if (a->rest < argc) {
    const char *x = argv[a->rest];
    if (!strcmp(x, "--invoke")) {
      if (a->rest + 1 >= argc) return lat_cli_fail(a, 2, "--invoke needs a value (NAME)");
      o->invoke = argv[a->rest + 1];
      o->first_arg = a->rest + 2;
    } else if (!strncmp(x, "--invoke=", 9)) {
      o->invoke = x + 9;
      o->first_arg = a->rest + 1;
    } else if (x[0] == '-' && x[1] == '-' && x[2]) {
      /* a misspelt --invoke would silently become the guest's argv[1] */
      char name[64];
      const char *eq = strchr(x, '=');
      snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - x - 2) : (int)strlen(x + 2), x + 2);
      if (lat_cli_close(name, "invoke"))
        return lat_cli_fail(a, 2, "unknown option '%s' (did you mean '--invoke'?)", x);
    }
  }
  if (o->invoke && !o->invoke[0]) return lat_cli_fail(a, 2, "--invoke needs a function name");
  for (size_t i = 0; i < dirs_l.n + ro_dirs_l.n; i++) {
    bool rdonly = i >= dirs_l.n;
    const char *v = rdonly ? ro_dirs_l.v[i - dirs_l.n] : dirs_l.v[i];
    if (!v[0] || !strncmp(v, "::", 2))
      return lat_cli_fail(a, 2, "%s needs HOST[::GUEST]", rdonly ? "--ro-dir" : "--dir");
    if (!add_dir(o, v, rdonly)) return lat_cli_fail(a, 1, "out of memory");
  }
  for (size_t i = 0; i < env_l.n; i++) {
    if (!env_l.v[i][0] || env_l.v[i][0] == '=')
      return lat_cli_fail(a, 2, "--env needs KEY=VALUE or KEY, not '%s'", env_l.v[i]);
    if (!add_env(o, env_l.v[i])) return lat_cli_fail(a, 1, "out of memory");
  }
  o->listen = listen_l.v;
  o->nlisten = listen_l.n;
  lat_wasm_features_default(&o->features);
  for (size_t i = 0; i < wasm_l.n; i++) {
    lat_error_t err;
    if (lat_wasm_features_set(&o->features, wasm_l.v[i], &err))
      return lat_cli_fail(a, 2, "--wasm: %s", err.msg);
  }
  return -1;
}

/* Builds the WASI context: argv = FILE + guest arguments. */
static lat_wasi_t *make_wasi(const run_opts_t *o, int argc, char **argv) {
  lat_error_t err;
  lat_error_clear(&err);
  size_t gargc = 1 + (size_t)(argc - o->first_arg);
  const char **gargv = lat_calloc(gargc, sizeof *gargv);
  if (!gargv) {
    lat_cli_fail(o->args, 1, "out of memory");
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
    lat_cli_fail(o->args, 1, "%s", err.msg);
    return NULL;
  }
  for (size_t i = 0; i < o->ndirs; i++) {
    const dir_grant_t *d = &o->dirs[i];
    if (lat_wasi_preopen_dir(w, d->host, d->guest, d->readonly, &err)) {
      lat_cli_fail(o->args, 1, "%s %s: %s", d->readonly ? "--ro-dir" : "--dir", d->host,
                   err.msg);
      lat_wasi_free(w);
      return NULL;
    }
  }
  for (size_t i = 0; i < o->nlisten; i++) {
    if (lat_wasi_preopen_tcp_listener(w, o->listen[i], &err)) {
      lat_cli_fail(o->args, 1, "--tcplisten %s: %s", o->listen[i], err.msg);
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
    int code = lat_wasm_store_exit_code(s) & 0xff;
    if (err->msg[0] && strcmp(err->msg, "exit"))
      lat_cli_fail(o->args, code, "%s: %s", o->file, err->msg);
    else if (o->json)
      lat_cli_fail(o->args, code, "%s: exited with code %d", o->file, code);
    return code;
  }
  if (st != LAT_TRAP)
    return lat_cli_fail(o->args, 1, "%s: %s: %s", o->file, lat_status_message(st), err->msg);
  lat_wasm_trap_t t = lat_wasm_store_trap(s);
  lat_cli_fail(o->args, 1, "%s: wasm trap: %s%s", o->file, err->msg,
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

/* "fib, fib_iter" (the module's exported functions) into buf. */
static void list_funcs(const lat_wasm_module_t *m, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  uint32_t count = lat_wasm_module_export_count(m);
  for (uint32_t i = 0; i < count && n + 1 < cap; i++) {
    lat_wasm_export_t e;
    lat_wasm_module_export(m, i, &e);
    if (e.kind != LAT_EXTERN_FUNC) continue;
    n += (size_t)snprintf(buf + n, cap - n, "%s%.*s", n ? ", " : "", (int)e.name_len, e.name);
  }
  if (!n) snprintf(buf, cap, "none");
}

/* Whether an exported function of m is close to name (a typo), into buf. */
static bool suggest_func(const lat_wasm_module_t *m, const char *name, char *buf, size_t cap) {
  uint32_t count = lat_wasm_module_export_count(m);
  size_t best = SIZE_MAX;
  for (uint32_t i = 0; i < count; i++) {
    lat_wasm_export_t e;
    lat_wasm_module_export(m, i, &e);
    if (e.kind != LAT_EXTERN_FUNC || e.name_len >= cap) continue;
    char nm[256];
    snprintf(nm, sizeof nm, "%.*s", (int)e.name_len, e.name);
    if (lat_cli_close(name, nm) && best == SIZE_MAX) {
      snprintf(buf, cap, "%s", nm);
      best = i;
    }
  }
  return best != SIZE_MAX;
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
  if (o->invoke)
    return lat_cli_fail(o->args, 2, "%s: --invoke is for core modules; a component runs its "
                                    "wasi:cli/run export (use 'lattice call %s %s ...' for "
                                    "other exports)", file, file, o->invoke);
  lat_host_component_opts_t co = {.limits = o->limits, .compiled = o->compiled && !o->interpreted};
  lat_status st = lat_host_component_load(file, &co, &comp, &err);
  if (st == LAT_EUNLINKABLE) {
    lat_cli_fail(o->args, 1, "%s: link error: %s", file, err.msg);
    goto out;
  }
  if (st) {
    lat_cli_fail_err(o->args, 1, file, &err);
    goto out;
  }
  if (!lat_host_component_exports(comp, "wasi", "cli", "run")) {
    lat_cli_fail(o->args, 1, "%s: the component does not export wasi:cli/run (0.2.x); "
                             "'lattice inspect %s' lists its exports, 'lattice call' calls one",
                 file, file);
    goto out;
  }
  uint64_t t1 = lat_now_ns();
  lat_wasi_t *w = make_wasi(o, argc, argv);
  if (!w) goto out;
  lat_host_instance_opts_t io = {.wasi = w, .timeout_ns = o->timeout_ns, .fuel = o->fuel};
  if (lat_host_instance_new(comp, &io, &in, &err)) {
    lat_cli_fail(o->args, 1, "%s: %s", file, err.msg);
    goto out;
  }
  if ((st = lat_host_instance_start(in, &err))) {
    if (st == LAT_TRAP) rc = report_call(o, lat_host_instance_store(in), st, &err);
    else lat_cli_fail(o->args, 1, "%s: %s: %s", file, lat_status_message(st), err.msg);
    goto out;
  }
  uint64_t t2 = lat_now_ns();
  lat_cval_t res;
  memset(&res, 0, sizeof res);
  st = lat_host_instance_call(in, "wasi:cli/run@0.2.0", "run", NULL, 0, &res, &err);
  uint64_t t3 = lat_now_ns();
  fflush(stdout);
  if (st) rc = report_call(o, lat_host_instance_store(in), st, &err);
  else rc = res.kind == LAT_CT_RESULT && res.of.var.disc ? 1 : 0;
  if (!st && o->json) {
    if (rc) lat_cli_fail(o->args, rc, "%s: wasi:cli/run returned err", file);
    else {
      json_t *j = json_object();
      json_object_set_new(j, "success", json_true());
      lat_cli_json_print(j);
    }
  }
  if (o->timing)
    fprintf(stderr, "time: load %.3f ms, instantiate %.3f ms, call %.3f ms\n",
            (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
            (double)(t3 - t2) / 1e6);
out:
  lat_host_instance_free(in);
  lat_host_component_free(comp);
  return rc;
}

static int run_module(run_opts_t *o, int argc, char **argv) {
  int rc = 1;
  const char *file = o->file;
  lat_error_t err;
  lat_error_clear(&err);
  lat_wasm_module_t *m = NULL;
  lat_wasm_store_t *s = NULL;
  lat_wasi_t *w = NULL;
  lat_wasm_extern_t *imports = NULL;
  lat_wasm_val_t *args = NULL, *res = NULL;
  uint64_t t0 = lat_now_ns();
  if (lat_cli_load_module_ex(file, &o->features, &m, &err)) {
    lat_cli_fail_err(o->args, 1, file, &err);
    goto out;
  }
  if (o->compiled && !o->interpreted) {
    lat_error_t e2;
    lat_error_clear(&e2);
    lat_status cst = lat_aot_load(m, NULL, &e2);
    if (cst && cst != LAT_EUNSUPPORTED) {
      lat_cli_fail(o->args, 1, "%s: compiled tier: %s", file, e2.msg);
      goto out;
    }
    if (cst && o->timing) fprintf(stderr, "time: interpreted (%s)\n", e2.msg);
  }
  uint64_t t1 = lat_now_ns();
  if (lat_wasm_store_new(&o->limits, &s)) {
    lat_cli_fail(o->args, 1, "out of memory");
    goto out;
  }
  uint32_t nimports = lat_wasm_module_import_count(m);
  if (nimports) {
    if (lat_wasi_module_uses_p1(m) || o->trap_unknown) {
      if (!(w = make_wasi(o, argc, argv))) goto out;
    }
    if (lat_wasi_link(w, s, m, o->trap_unknown, &imports, &err)) {
      lat_cli_fail(o->args, 1, "%s: link error: %s (--trap-unknown-imports links what no host "
                               "provides to functions that trap)", file, err.msg);
      goto out;
    }
  }
  if (o->timeout_ns) {
    uint64_t dl = lat_now_ns() + o->timeout_ns;
    lat_wasm_store_set_deadline(s, dl);
    if (w) lat_wasi_set_deadline(w, dl);
  }
  if (o->fuel) lat_wasm_store_set_fuel(s, o->fuel);
  lat_wasm_instance_t *inst;
  lat_status st = lat_wasm_instance_new(s, m, imports, nimports, &inst, &err);
  if (st == LAT_TRAP) {
    rc = report_call(o, s, st, &err);
    goto out;
  }
  if (st) {
    lat_cli_fail_err(o->args, 1, file, &err);
    goto out;
  }
  uint64_t t2 = lat_now_ns();
  lat_wasm_func_t *init, *fn;
  bool is_command = export_func(inst, "_start", &fn);
  /* a reactor is initialised before anything else is called */
  if (!is_command && export_func(inst, "_initialize", &init)) {
    st = lat_wasm_func_call(s, init, NULL, 0, NULL, 0, &err);
    if (st) {
      rc = report_call(o, s, st, &err);
      goto out;
    }
  }
  const char *name = o->invoke ? o->invoke : "_start";
  char funcs[512], near[256];
  if (o->invoke && !export_func(inst, name, &fn)) {
    list_funcs(m, funcs, sizeof funcs);
    if (suggest_func(m, name, near, sizeof near))
      lat_cli_fail(o->args, 1, "%s: no exported function '%s' (did you mean '%s'? exports: %s)",
                   file, name, near, funcs);
    else
      lat_cli_fail(o->args, 1, "%s: no exported function '%s' (exports: %s)", file, name, funcs);
    goto out;
  }
  if (!o->invoke && !is_command) {
    /* no _start: instantiating (and initialising) was the job, but say so */
    list_funcs(m, funcs, sizeof funcs);
    if (o->first_arg < argc) {
      lat_cli_fail(o->args, 2, "%s has no _start to pass '%s' to; call an export with "
                               "--invoke NAME (exports: %s)", file, argv[o->first_arg], funcs);
      rc = 2;
      goto out;
    }
    if (o->json) {
      json_t *j = json_object();
      json_object_set_new(j, "success", json_true());
      json_object_set_new(j, "note", json_string("no _start: instantiated only"));
      lat_cli_json_print(j);
    } else {
      fprintf(stderr, "lattice run: %s has no _start: instantiated it and stopped; call an "
                      "export with --invoke NAME (exports: %s)\n", file, funcs);
    }
    rc = 0;
    goto out;
  }
  const lat_wasm_functype_t *ft = lat_wasm_func_type(fn);
  int nargs = o->invoke ? argc - o->first_arg : 0;
  if (nargs != (int)ft->nparams) {
    rc = lat_cli_fail(o->args, 2, "'%s' takes %u argument(s) but %d were given", name,
                      ft->nparams, nargs);
    goto out;
  }
  args = lat_calloc(ft->nparams + 1, sizeof *args);
  res = lat_calloc(ft->nresults + 1, sizeof *res);
  if (!args || !res) {
    lat_cli_fail(o->args, 1, "out of memory");
    goto out;
  }
  for (uint32_t i = 0; i < ft->nparams; i++) {
    if (!parse_arg(argv[o->first_arg + (int)i], ft->params[i], &args[i])) {
      rc = lat_cli_fail(o->args, 2, "argument %u '%s' is not a valid %s", i + 1,
                        argv[o->first_arg + (int)i], lat_wasm_valtype_name(ft->params[i]));
      goto out;
    }
  }
  if (o->timeout_ns) {
    uint64_t dl = lat_now_ns() + o->timeout_ns;
    lat_wasm_store_set_deadline(s, dl);
    if (w) lat_wasi_set_deadline(w, dl);
  }
  uint64_t t3 = lat_now_ns();
  st = lat_wasm_func_call(s, fn, args, ft->nparams, res, ft->nresults, &err);
  uint64_t t4 = lat_now_ns();
  if (st == LAT_OK) {
    json_t *arr = o->json ? json_array() : NULL;
    for (uint32_t i = 0; i < ft->nresults; i++) {
      char v[128];
      format_val(&res[i], v, sizeof v);
      if (arr) json_array_append_new(arr, json_string(v));
      else printf("%s\n", v);
    }
    if (arr) {
      json_t *j = json_object();
      json_object_set_new(j, "success", json_true());
      json_object_set_new(j, "results", arr);
      lat_cli_json_print(j);
    }
    fflush(stdout);
    rc = 0;
  } else {
    fflush(stdout);
    rc = report_call(o, s, st, &err);
  }
  if (o->timing) {
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
  return rc;
}

int lat_cli_run(int argc, char **argv) {
  lat_cli_args_t a;
  memset(&ro, 0, sizeof ro);
  int rc = parse_opts(argc, argv, &a, &ro);
  if (rc < 0) {
    uint8_t *data = NULL;
    size_t len = 0;
    lat_cli_file_kind k;
    lat_error_t err;
    lat_error_clear(&err);
    if (lat_cli_read(ro.file, LAT_CLI_ACCEPT(LAT_CLI_FILE_CORE) |
                                  LAT_CLI_ACCEPT(LAT_CLI_FILE_COMPONENT) |
                                  LAT_CLI_ACCEPT(LAT_CLI_FILE_WAT),
                     &data, &len, &k, &err)) {
      rc = lat_cli_fail_err(&a, 1, ro.file, &err);
    } else {
      lat_free(data);
      rc = k == LAT_CLI_FILE_COMPONENT ? run_component(&ro, argc, argv)
                                       : run_module(&ro, argc, argv);
    }
  }
  opts_fini(&ro);
  lat_cli_args_fini(&a);
  return rc;
}

/* ---- validate --------------------------------------------------------------- */

static const lat_cli_cmd_t validate_cmd = {
    .name = "validate",
    .usage = "[OPTIONS] FILE...",
    .summary = "decode and validate modules and components",
    .details = "Each FILE is a core module (.wasm), WAT text or a component; each gets one line:\n"
               "`FILE: valid (...)`, or the error with its byte offset (line:column for text).\n",
    .examples = "  lattice validate examples/fib.wat examples/memory.wat\n"
                "  lattice validate build/examples/hello.component.wasm -o json\n",
    .exit_status = "0 every file is valid, 1 one is not (or cannot be read), 2 usage error.",
    .min_pos = 1,
    .pos_name = "FILE",
};

int lat_cli_validate(int argc, char **argv) {
  lat_cli_args_t a;
  int rc = lat_cli_parse(&validate_cmd, argc, argv, &a);
  if (rc >= 0) goto out;
  rc = 0;
  json_t *arr = a.json ? json_array() : NULL;
  for (int i = 0; i < a.npos; i++) {
    const char *path = a.pos[i];
    lat_error_t err;
    lat_error_clear(&err);
    uint8_t *data = NULL;
    size_t len = 0;
    lat_cli_file_kind k = LAT_CLI_FILE_UNKNOWN;
    lat_wasm_module_t *m = NULL;
    lat_component_t *c = NULL;
    uint64_t t0 = lat_now_ns();
    lat_status st = lat_cli_read(path, LAT_CLI_ACCEPT(LAT_CLI_FILE_CORE) |
                                           LAT_CLI_ACCEPT(LAT_CLI_FILE_COMPONENT) |
                                           LAT_CLI_ACCEPT(LAT_CLI_FILE_WAT),
                                 &data, &len, &k, &err);
    if (!st) {
      if (k == LAT_CLI_FILE_COMPONENT) {
        st = lat_component_new(data, len, NULL, &c, &err);
      } else {
        lat_free(data);
        data = NULL;
        st = lat_cli_load_module(path, &m, &err);
      }
    }
    double ms = (double)(lat_now_ns() - t0) / 1e6;
    if (st) {
      rc = 1;
      char msg[512];
      if (err.offset != SIZE_MAX)
        snprintf(msg, sizeof msg, "%s at offset %zu: %s", lat_status_message(err.code),
                 err.offset, err.msg);
      else
        snprintf(msg, sizeof msg, "%s", err.msg);
      if (arr) {
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(path));
        json_object_set_new(o, "valid", json_false());
        json_object_set_new(o, "error", json_string(msg));
        json_array_append_new(arr, o);
      } else {
        fprintf(stderr, "lattice validate: %s: %s\n", path, msg);
      }
    } else if (arr) {
      json_t *o = json_object();
      json_object_set_new(o, "file", json_string(path));
      json_object_set_new(o, "valid", json_true());
      json_object_set_new(o, "kind", json_string(k == LAT_CLI_FILE_COMPONENT ? "component"
                                                                              : "module"));
      json_array_append_new(arr, o);
    } else {
      printf("%s: valid %s (%.3f ms)\n", path,
             k == LAT_CLI_FILE_COMPONENT ? "component" : "module", ms);
    }
    lat_component_free(c);
    lat_wasm_module_release(m);
    lat_free(data);
  }
  if (arr) {
    json_t *o = json_object();
    json_object_set_new(o, "success", json_boolean(rc == 0));
    json_object_set_new(o, "files", arr);
    lat_cli_json_print(o);
  }
out:
  lat_cli_args_fini(&a);
  return rc;
}
