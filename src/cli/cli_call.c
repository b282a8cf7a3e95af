/* `lattice call`: calls a component's exports with values written as text,
 * and prints the results the same way.  The test driver of the component
 * suite, and a tool for poking at a component by hand (what `wasmtime run
 * --invoke` does for components).
 *
 *   lattice call [--host WIT]... COMPONENT EXPORT [ARG...] [-- EXPORT [ARG...]]...
 *   lattice call [--host WIT]... --bench-instantiate N COMPONENT
 *
 * EXPORT is `name` (a function exported at the top level) or
 * `iface#name` (a function of an exported instance).  Names are matched
 * exactly first, then with the interface's version left out
 * (`wasi:cli/run#run`), then by the function's name alone when one export
 * has it (`run`, `greet`); a miss lists close names or all of them.  An
 * argument past the function's parameters is an error, not the next
 * export (that one follows `--`).  The calls run in
 * order in one instance, so resources can flow between them: an own or
 * borrow handle prints as `#N` (N counts the handles received so far) and
 * `#N` as an argument passes handle N back; the pseudo-export `drop #N`
 * lets go of it.  At the end every handle still held is dropped (running
 * the guest's destructor).
 *
 * Values use the WebAssembly Value Encoding's syntax (WAVE): true, 42,
 * -1.5, nan, 'c', "text\n", [1, 2], (1, "a"), {x: 1, y: 2} for records,
 * {read, write} for flags, case or case(payload) for variants and enums,
 * some(x) / none, ok / ok(x) / err / err(x).
 *
 * The component's WASI 0.2 imports get the standard host (no grants; the
 * process's stdio).  `--host WIT` adds the interfaces of a WIT file with a
 * generic implementation, for testing imports: each function prints
 * `host: NAME(ARGS)` on stdout and returns its first argument when that has
 * the result's type, else the result type's zero value.
 *
 * Why a subcommand and not a test-only binary: it is built, sanitized and
 * shipped with everything else, and the value syntax is useful beyond tests.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host/host.h"
#include "../wasi/wasi.h"
#include "cli.h"

/* ---- generic host functions (--host) -------------------------------------------------------- */

typedef struct {
  const char *name;
  const lat_ctype_t *ft;
} gen_t;

static lat_status generic_host(lat_chost_call_t *c, void *env, const lat_cval_t *args,
                               uint32_t nargs, lat_cval_t *result) {
  gen_t *g = env;
  lat_buf_t o;
  lat_buf_init(&o);
  lat_buf_printf(&o, "host: %s(", g->name);
  for (uint32_t i = 0; i < nargs; i++) {
    if (i) lat_buf_printf(&o, ", ");
    lat_wave_print(&o, &args[i], g->ft->u.fields[i].type, NULL);
  }
  lat_buf_printf(&o, ")\n");
  fwrite(o.data, 1, o.len, stdout);
  fflush(stdout);
  lat_buf_fini(&o);
  const lat_ctype_t *rt = g->ft->result;
  if (!rt) return LAT_OK;
  if (nargs && lat_ctype_equal(g->ft->u.fields[0].type, rt)) *result = args[0];
  else lat_wave_zero(lat_chost_call_arena(c), rt, result);
  if (rt->has_resource)
    return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "generic host: cannot make resources");
  return LAT_OK;
}

static lat_status add_host_wit(lat_clinker_t *l, const char *path, lat_error_t *err) {
  uint8_t *text;
  size_t len;
  lat_status st = lat_file_read(path, &text, &len, err);
  if (st) return st;
  uint32_t before = lat_clinker_instance_count(l);
  st = lat_clinker_add_wit(l, (const char *)text, len, err);
  lat_free(text);
  for (uint32_t i = before; !st && i < lat_clinker_instance_count(l); i++) {
    const lat_ctype_t *it = lat_clinker_instance_type(l, i);
    for (uint32_t k = 0; !st && k < it->n; k++) {
      const lat_cextern_t *d = &it->u.decls[k];
      if (d->sort != LAT_CSORT_FUNC) continue;
      gen_t *g = lat_arena_alloc(lat_clinker_arena(l), sizeof *g);
      if (!g) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
      g->name = d->name.full;
      g->ft = d->type;
      st = lat_clinker_func(l, i, d->name.full, generic_host, g, err);
    }
  }
  return st;
}

typedef struct {
  const char *const *paths; /* --host values */
  int n;
  const char *failed;       /* the one that did not load */
} host_wits_t;

static lat_status add_host_wits(lat_clinker_t *l, const lat_component_t *c, void *env,
                                lat_error_t *err) {
  (void)c;
  host_wits_t *hw = env;
  for (int k = 0; k < hw->n; k++)
    if (add_host_wit(l, hw->paths[k], err)) {
      hw->failed = hw->paths[k];
      return err->code ? err->code : LAT_EINVALID;
    }
  return LAT_OK;
}

/* ---- the command ----------------------------------------------------------------------------- */

static lat_cli_list_t hosts_l;
static uint64_t bench;

static const lat_cli_opt_t call_opts[] = {
    {"host", 0, LAT_CLI_LIST, &hosts_l, "FILE.wit",
     "implement the interfaces of a WIT file with generic functions that print their call; "
     "repeatable"},
    {"bench-instantiate", 0, LAT_CLI_COUNT, &bench, NULL,
     "instantiate N times and print the time per instance (no calls)"},
};

static const lat_cli_cmd_t call_cmd = {
    .name = "call",
    .usage = "[OPTIONS] COMPONENT EXPORT [ARG...] [-- EXPORT [ARG...]]...",
    .summary = "call a component's exports with values written as text (WAVE)",
    .details =
        "EXPORT is a function exported at the top level, `iface#name` (interface with or\n"
        "without its version), or just the function's name when only one export has it\n"
        "(`run` for wasi:cli/run@0.2.0#run).  `lattice inspect COMPONENT` lists them.\n"
        "Each ARG is one parameter in WAVE syntax: true, 42, -1.5, 'c', \"text\", [1, 2],\n"
        "(1, \"a\"), {x: 1}, {read, write}, case(payload), some(x), none, ok(x), err(x).\n"
        "Calls separated by -- run in order in one instance; a resource handle prints as\n"
        "#N and #N passes it back; `drop #N` drops it.  Options go before COMPONENT.\n"
        "WASI 0.2 imports get the standard host (no grants, the process's stdio).\n",
    .opts = call_opts,
    .nopts = LAT_CLI_NOPTS(call_opts),
    .examples =
        "  lattice call build/examples/greet.component.wasm greet '\"world\"'  # \"Hello, world!\"\n"
        "  lattice call --host greeter.wit greet.component.wasm greet '\"x\"'\n"
        "  lattice call c.wasm '[constructor]counter' 5 -- '[method]counter.add' '#0' 3\n",
    .exit_status = "0 ok, 1 error or trap, 2 usage error (unknown export, bad argument).",
    .min_pos = 1,
    .pos_name = "COMPONENT",
    .stop_after = 1,
};

/* ---- export names ------------------------------------------------------------------------- */

#define MAX_CANDIDATES 512

typedef struct {
  char *full[MAX_CANDIDATES]; /* "iface#name" or "name", owned by the arena */
  const char *iface[MAX_CANDIDATES]; /* NULL: top level */
  const char *func[MAX_CANDIDATES];
  size_t n;
} exports_t;

static void collect_exports(const lat_component_t *c, lat_arena_t *arena, exports_t *ex) {
  ex->n = 0;
  for (uint32_t i = 0; i < lat_component_export_count(c); i++) {
    const lat_cextern_t *e = lat_component_export(c, i);
    if (e->sort == LAT_CSORT_FUNC && ex->n < MAX_CANDIDATES) {
      ex->full[ex->n] = (char *)e->name.full;
      ex->iface[ex->n] = NULL;
      ex->func[ex->n++] = e->name.full;
    } else if (e->sort == LAT_CSORT_INSTANCE && e->type) {
      for (uint32_t k = 0; k < e->type->n && ex->n < MAX_CANDIDATES; k++) {
        const lat_cextern_t *d = &e->type->u.decls[k];
        if (d->sort != LAT_CSORT_FUNC) continue;
        size_t n = strlen(e->name.full) + 1 + strlen(d->name.full) + 1;
        char *f = lat_arena_alloc(arena, n);
        if (!f) return;
        snprintf(f, n, "%s#%s", e->name.full, d->name.full);
        ex->full[ex->n] = f;
        ex->iface[ex->n] = e->name.full;
        ex->func[ex->n++] = d->name.full;
      }
    }
  }
}

/* The interface name without "@version". */
static size_t unversioned_len(const char *iface) {
  const char *at = strchr(iface, '@');
  return at ? (size_t)(at - iface) : strlen(iface);
}

/* Finds the export `want` names: exact, then iface#name with the interface's
 * version left out, then a function name only one export has.  -1 and a
 * message in msg when none (or several) match. */
static int match_export(const exports_t *ex, const char *want, char *msg, size_t cap) {
  for (size_t i = 0; i < ex->n; i++)
    if (!strcmp(ex->full[i], want)) return (int)i;
  const char *hash = strchr(want, '#');
  int found = -1, count = 0;
  for (size_t i = 0; i < ex->n; i++) {
    bool hit;
    if (hash) {
      size_t il = (size_t)(hash - want);
      hit = ex->iface[i] && unversioned_len(ex->iface[i]) == il &&
            !strncmp(ex->iface[i], want, il) && !strcmp(ex->func[i], hash + 1);
    } else {
      hit = !strcmp(ex->func[i], want);
    }
    if (hit) {
      if (!count) found = (int)i;
      count++;
    }
  }
  if (count == 1) return found;
  size_t n = 0;
  if (count > 1) {
    n += (size_t)snprintf(msg, cap, "`%s` is exported by more than one interface; say which:", want);
    for (size_t i = 0; i < ex->n && n < cap; i++)
      if (!strcmp(ex->func[i], hash ? hash + 1 : want))
        n += (size_t)snprintf(msg + n, cap - n, " %s", ex->full[i]);
    return -1;
  }
  n += (size_t)snprintf(msg, cap, "no exported function `%s`", want);
  int close = 0;
  for (size_t i = 0; i < ex->n && n < cap; i++)
    if (lat_cli_close(hash ? want : want, hash ? ex->full[i] : ex->func[i]) ||
        lat_cli_close(want, ex->full[i])) {
      n += (size_t)snprintf(msg + n, cap - n, "%s%s", close++ ? ", " : " (did you mean ",
                            ex->full[i]);
    }
  if (close && n < cap) n += (size_t)snprintf(msg + n, cap - n, "?)");
  else if (n < cap) {
    n += (size_t)snprintf(msg + n, cap - n, "; exports:");
    for (size_t i = 0; i < ex->n && n < cap; i++)
      n += (size_t)snprintf(msg + n, cap - n, " %s", ex->full[i]);
    if (!ex->n && n < cap) snprintf(msg + n, cap - n, " none");
  }
  return -1;
}

int lat_cli_call(int argc, char **argv) {
  lat_cli_args_t ca;
  bench = 0;
  int rc = lat_cli_parse(&call_cmd, argc, argv, &ca);
  if (rc >= 0) {
    lat_cli_args_fini(&ca);
    return rc;
  }
  rc = 1;
  const lat_cli_args_t *a = &ca;
  int i = ca.rest;
  const char *file = ca.pos[0];
  /* our options after COMPONENT would be taken as exports or values: no WAVE
   * value starts with "--x" */
  int *skip = lat_calloc((size_t)argc + 1, sizeof *skip); /* -o json after COMPONENT */
  if (!skip) {
    rc = lat_cli_fail(a, 1, "out of memory");
    lat_cli_args_fini(&ca);
    return rc;
  }
  for (int k = i; k < argc; k++) {
    const char *x = argv[k], *v = NULL;
    if ((!strcmp(x, "-o") || !strcmp(x, "--output")) && k + 1 < argc) {
      v = argv[k + 1];
      skip[k] = skip[k + 1] = 1;
    } else if (!strncmp(x, "--output=", 9)) {
      v = x + 9;
      skip[k] = 1;
    }
    if (v && strcmp(v, "json") && strcmp(v, "text")) {
      rc = lat_cli_fail(a, 2, "%s takes text or json, not '%s'", x, v);
      lat_free(skip);
      lat_cli_args_fini(&ca);
      return rc;
    }
    if (v) ca.json = !strcmp(v, "json");
    if (v && !strcmp(x, "-o")) k++;
  }
  for (int k = i; k < argc; k++) {
    const char *x = argv[k];
    if (skip[k] || x[0] != '-' || x[1] != '-' || !x[2]) continue;
    if (lat_cli_find_opt(&call_cmd, x)) {
      rc = lat_cli_fail(a, 2, "%s goes before COMPONENT (options come first: lattice call %s)",
                        x, call_cmd.usage);
    } else {
      rc = lat_cli_unknown_opt(a, x);
    }
    lat_free(skip);
    lat_cli_args_fini(&ca);
    return rc;
  }
  /* drop the -o arguments: what is left is exports and values */
  int n = i;
  for (int k = i; k < argc; k++)
    if (!skip[k]) argv[n++] = argv[k];
  argc = n;
  lat_free(skip);
  if (!bench && i >= argc) {
    rc = lat_cli_fail(a, 2, "missing EXPORT (usage: lattice call %s; 'lattice inspect %s' "
                            "lists the exports)", call_cmd.usage, file);
    lat_cli_args_fini(&ca);
    return rc;
  }
  if (bench && i < argc) {
    rc = lat_cli_fail(a, 2, "--bench-instantiate makes no calls: unexpected '%s'", argv[i]);
    lat_cli_args_fini(&ca);
    return rc;
  }
  exports_t *ex = lat_calloc(1, sizeof *ex);
  json_t *results = a->json ? json_array() : NULL;
  lat_error_t err;
  lat_error_clear(&err);
  lat_host_component_t *comp = NULL;
  lat_host_instance_t *in = NULL;
  lat_cinstance_t *ci = NULL;
  lat_wasm_store_t *s = NULL;
  lat_wave_handles_t *hs = lat_calloc(1, sizeof *hs);
  lat_arena_t arena;
  lat_arena_init(&arena);
  lat_buf_t out;
  lat_buf_init(&out);
  const char *argv0[1] = {file};
  lat_wasi_config_t cfg = {.argv = argv0, .argc = 1, .stdin_fd = 0, .stdout_fd = 1,
                           .stderr_fd = 2};
  lat_host_instance_opts_t io = {.wasi_cfg = &cfg};
  host_wits_t hw = {hosts_l.v, (int)hosts_l.n, NULL};
  /* --bench-instantiate: memories and stacks from a pool, as `lattice serve` */
  lat_host_component_opts_t co = {.link = add_host_wits, .link_env = &hw,
                                  .pool_regions = bench > 0 ? 64 : 0};
  if (!hs || !ex) goto oom;
  uint8_t *bytes = NULL;
  size_t nbytes = 0;
  lat_status lst = lat_cli_read(file, LAT_CLI_ACCEPT(LAT_CLI_FILE_COMPONENT), &bytes, &nbytes,
                                NULL, &err);
  if (lst) {
    lat_cli_fail(a, 1, "%s: %s", file, err.msg);
    goto out;
  }
  lst = lat_host_component_new(bytes, nbytes, &co, &comp, &err);
  lat_free(bytes);
  if (lst && hw.failed) {
    lat_cli_fail(a, 1, "--host %s: %s", hw.failed, err.msg);
    goto out;
  }
  if (lst == LAT_EUNLINKABLE) {
    lat_cli_fail(a, 1, "%s: link error: %s (no host provides it: give its WIT with --host "
                       "FILE.wit to link generic functions that print their calls)", file, err.msg);
    goto out;
  }
  if (lst) {
    lat_cli_fail_err(a, 1, file, &err);
    goto out;
  }
  collect_exports(lat_host_component_decoded(comp), &arena, ex);
  if (bench > 0) {
    /* instantiation cost: decoded component and linker shared, a fresh
     * store + WASI context + instance each time */
    uint64_t best = UINT64_MAX, t_all = lat_now_ns(), t_inst = 0;
    for (uint64_t k = 0; k < bench; k++) {
      uint64_t t0 = lat_now_ns();
      if (lat_host_instance_new(comp, &io, &in, &err) || lat_host_instance_start(in, &err))
        goto fail;
      uint64_t dt = lat_now_ns() - t0;
      t_inst += dt;
      if (dt < best) best = dt;
      lat_host_instance_free(in);
      in = NULL;
    }
    double mean = (double)t_inst / 1e3 / (double)bench, best_us = (double)best / 1e3,
           with_teardown = (double)(lat_now_ns() - t_all) / 1e3 / (double)bench;
    if (a->json) {
      json_t *j = json_object();
      json_object_set_new(j, "success", json_true());
      json_object_set_new(j, "instances", json_integer((json_int_t)bench));
      json_object_set_new(j, "mean_us", json_real(mean));
      json_object_set_new(j, "best_us", json_real(best_us));
      json_object_set_new(j, "with_teardown_us", json_real(with_teardown));
      lat_cli_json_print(j);
    } else {
      printf("instantiate: %.1f us per instance (mean of %" PRIu64 "; best %.1f us; %.1f us "
             "with teardown)\n", mean, bench, best_us, with_teardown);
    }
    rc = 0;
    goto out;
  }
  if (lat_host_instance_new(comp, &io, &in, &err) || lat_host_instance_start(in, &err))
    goto fail;
  ci = lat_host_instance_cinstance(in);
  s = lat_host_instance_store(in);
  while (i < argc) {
    const char *name = argv[i++];
    if (!strcmp(name, "drop")) { /* drop #N: the host lets go of handle N */
      unsigned long k = i < argc && argv[i][0] == '#' ? strtoul(argv[i] + 1, NULL, 10) : LAT_WAVE_MAX_HANDLES;
      if (k >= hs->n || hs->dropped[k]) {
        rc = lat_cli_fail(a, 2, "drop: no handle %s", i < argc ? argv[i] : "");
        goto done;
      }
      hs->dropped[k] = true;
      if (lat_cinstance_drop_own(ci, &hs->h[k], &err)) {
        lat_cli_fail(a, 1, "drop #%lu: %s", k, err.msg);
        goto done;
      }
      if (results) json_array_append_new(results, json_string("()"));
      else printf("()\n");
      if (++i < argc && !strcmp(argv[i], "--")) i++;
      continue;
    }
    char msg[2048];
    int which = match_export(ex, name, msg, sizeof msg);
    if (which < 0) {
      rc = lat_cli_fail(a, 2, "%s", msg);
      goto done;
    }
    const char *shown = ex->full[which];
    lat_cfunc_t *f = lat_cinstance_func(ci, ex->iface[which], ex->func[which]);
    if (!f) {
      rc = lat_cli_fail(a, 2, "no exported function `%s`", shown);
      goto done;
    }
    const lat_ctype_t *ft = lat_cfunc_type(f);
    lat_cval_t *args = lat_arena_array(&arena, ft->n ? ft->n : 1, sizeof *args);
    if (!args) goto oom;
    for (uint32_t k = 0; k < ft->n; k++) {
      if (i >= argc || !strcmp(argv[i], "--")) {
        rc = lat_cli_fail(a, 2, "`%s` takes %u argument(s), got %u", shown, ft->n, k);
        goto done;
      }
      if (lat_wave_parse(argv[i], ft->u.fields[k].type, &arena, hs, &args[k])) {
        lat_buf_t tb;
        lat_buf_init(&tb);
        lat_ctype_print(ft->u.fields[k].type, &tb);
        lat_buf_push(&tb, 0);
        rc = lat_cli_fail(a, 2, "argument %u `%s` is not a %s", k + 1, argv[i],
                          tb.data ? (char *)tb.data : "?");
        lat_buf_fini(&tb);
        goto done;
      }
      i++;
    }
    if (i < argc && strcmp(argv[i], "--")) {
      rc = lat_cli_fail(a, 2, "`%s` takes %u argument(s); '%s' is one too many (separate "
                              "calls with --)", shown, ft->n, argv[i]);
      goto done;
    }
    if (i < argc) i++;
    lat_cval_t res;
    memset(&res, 0, sizeof res);
    lat_status st = lat_cfunc_call(ci, f, args, ft->n, &res, &arena, &err);
    if (st) {
      lat_cli_fail(a, 1, "%s: %s%s", shown, st == LAT_TRAP ? "wasm trap: " : "", err.msg);
      if (st == LAT_TRAP) lat_cli_print_backtrace(s);
      rc = 1;
      goto done;
    }
    out.len = 0;
    if (ft->result) lat_wave_print(&out, &res, ft->result, hs);
    else lat_buf_printf(&out, "()");
    if (results) {
      json_array_append_new(results, json_stringn((const char *)out.data, out.len));
    } else {
      printf("%.*s\n", (int)out.len, (const char *)out.data);
      fflush(stdout);
    }
  }
  rc = 0;
done:
  for (uint32_t k = 0; ci && k < hs->n; k++)
    if (!hs->dropped[k] && lat_cinstance_drop_own(ci, &hs->h[k], &err)) {
      lat_cli_fail(a, 1, "drop #%u: %s", k, err.msg);
      rc = 1;
    }
  if (!rc && results) {
    json_t *j = json_object();
    json_object_set_new(j, "success", json_true());
    json_object_set_new(j, "results", results);
    results = NULL;
    lat_cli_json_print(j);
  }
  goto out;
oom:
  lat_cli_fail(a, 1, "out of memory");
  goto out;
fail:
  lat_cli_fail(a, 1, "%s: %s", file, err.msg[0] ? err.msg : "failed");
out:
  fflush(stdout);
  json_decref(results);
  lat_buf_fini(&out);
  lat_arena_fini(&arena);
  lat_host_instance_free(in);
  lat_host_component_free(comp);
  lat_free(hs);
  lat_free(ex);
  lat_cli_args_fini(&ca);
  return rc;
}
