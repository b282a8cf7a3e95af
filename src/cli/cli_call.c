/* `lattice call`: calls a component's exports with values written as text,
 * and prints the results the same way.  The test driver of the component
 * suite, and a tool for poking at a component by hand (what `wasmtime run
 * --invoke` does for components).
 *
 *   lattice call [--host WIT]... COMPONENT EXPORT [ARG...] [-- EXPORT [ARG...]]...
 *   lattice call [--host WIT]... --bench-instantiate N COMPONENT
 *
 * EXPORT is `name` (a function exported at the top level) or
 * `iface#name` (a function of an exported instance).  The calls run in
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

static lat_status add_host_wits(lat_clinker_t *l, void *env, lat_error_t *err) {
  host_wits_t *hw = env;
  for (int k = 0; k < hw->n; k++)
    if (add_host_wit(l, hw->paths[k], err)) {
      hw->failed = hw->paths[k];
      return err->code ? err->code : LAT_EINVALID;
    }
  return LAT_OK;
}

/* ---- the command ----------------------------------------------------------------------------- */

static int usage(void) {
  fprintf(stderr, "usage: lattice call [--host WIT]... COMPONENT EXPORT [ARG...] "
                  "[-- EXPORT [ARG...]]...\n"
                  "       lattice call [--host WIT]... --bench-instantiate N COMPONENT\n");
  return 2;
}

int lat_cli_call(int argc, char **argv) {
  int i = 1, rc = 1;
  const char *hosts[16];
  int nhosts = 0;
  long bench = 0;
  for (;;) {
    if (i + 1 < argc && !strcmp(argv[i], "--host") && nhosts < 16) {
      hosts[nhosts++] = argv[i + 1];
      i += 2;
    } else if (i + 1 < argc && !strcmp(argv[i], "--bench-instantiate")) {
      bench = atol(argv[i + 1]);
      i += 2;
    } else {
      break;
    }
  }
  if (i >= argc || (!bench && i + 1 >= argc)) return usage();
  const char *file = argv[i++];
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
  host_wits_t hw = {hosts, nhosts, NULL};
  /* --bench-instantiate: memories and stacks from a pool, as `lattice serve` */
  lat_host_component_opts_t co = {.link = add_host_wits, .link_env = &hw,
                                  .pool_regions = bench > 0 ? 64 : 0};
  if (!hs) goto oom;
  if (lat_host_component_load(file, &co, &comp, &err)) {
    if (hw.failed) fprintf(stderr, "lattice call: %s: ", hw.failed);
    goto fail;
  }
  if (bench > 0) {
    /* instantiation cost: decoded component and linker shared, a fresh
     * store + WASI context + instance each time */
    uint64_t best = UINT64_MAX, t_all = lat_now_ns(), t_inst = 0;
    for (long k = 0; k < bench; k++) {
      uint64_t t0 = lat_now_ns();
      if (lat_host_instance_new(comp, &io, &in, &err) || lat_host_instance_start(in, &err))
        goto fail;
      uint64_t dt = lat_now_ns() - t0;
      t_inst += dt;
      if (dt < best) best = dt;
      lat_host_instance_free(in);
      in = NULL;
    }
    printf("instantiate: %.1f us per instance (mean of %ld; best %.1f us; %.1f us with "
           "teardown)\n", (double)t_inst / 1e3 / (double)bench, bench, (double)best / 1e3,
           (double)(lat_now_ns() - t_all) / 1e3 / (double)bench);
    rc = 0;
    goto out;
  }
  if (lat_host_instance_new(comp, &io, &in, &err) || lat_host_instance_start(in, &err))
    goto fail;
  ci = lat_host_instance_cinstance(in);
  s = lat_host_instance_store(in);
  while (i < argc) {
    const char *ex = argv[i++];
    if (!strcmp(ex, "drop")) { /* drop #N: the host lets go of handle N */
      unsigned long k = i < argc && argv[i][0] == '#' ? strtoul(argv[i] + 1, NULL, 10) : LAT_WAVE_MAX_HANDLES;
      if (k >= hs->n || hs->dropped[k]) {
        fprintf(stderr, "lattice call: drop: no handle %s\n", i < argc ? argv[i] : "");
        rc = 2;
        goto done;
      }
      hs->dropped[k] = true;
      if (lat_cinstance_drop_own(ci, &hs->h[k], &err)) {
        fprintf(stderr, "lattice call: drop #%lu: %s\n", k, err.msg);
        goto done;
      }
      printf("()\n");
      if (++i < argc && !strcmp(argv[i], "--")) i++;
      continue;
    }
    const char *hash = strchr(ex, '#');
    char iface[256];
    if (hash) snprintf(iface, sizeof iface, "%.*s", (int)(hash - ex), ex);
    lat_cfunc_t *f = lat_cinstance_func(ci, hash ? iface : NULL, hash ? hash + 1 : ex);
    if (!f) {
      fprintf(stderr, "lattice call: no exported function `%s`\n", ex);
      rc = 2;
      goto done;
    }
    const lat_ctype_t *ft = lat_cfunc_type(f);
    lat_cval_t *args = lat_arena_array(&arena, ft->n ? ft->n : 1, sizeof *args);
    if (!args) goto oom;
    for (uint32_t k = 0; k < ft->n; k++) {
      if (i >= argc || !strcmp(argv[i], "--")) {
        fprintf(stderr, "lattice call: `%s` takes %u arguments\n", ex, ft->n);
        rc = 2;
        goto done;
      }
      if (lat_wave_parse(argv[i], ft->u.fields[k].type, &arena, hs, &args[k])) {
        lat_buf_t tb;
        lat_buf_init(&tb);
        lat_ctype_print(ft->u.fields[k].type, &tb);
        fprintf(stderr, "lattice call: argument %u `%s` is not a %s\n", k + 1, argv[i],
                tb.data ? (char *)tb.data : "?");
        lat_buf_fini(&tb);
        rc = 2;
        goto done;
      }
      i++;
    }
    if (i < argc && !strcmp(argv[i], "--")) i++;
    lat_cval_t res;
    memset(&res, 0, sizeof res);
    lat_status st = lat_cfunc_call(ci, f, args, ft->n, &res, &arena, &err);
    if (st) {
      fprintf(stderr, "lattice call: %s: %s%s\n", ex, st == LAT_TRAP ? "wasm trap: " : "",
              err.msg);
      if (st == LAT_TRAP) lat_cli_print_backtrace(s);
      rc = 1;
      goto done;
    }
    out.len = 0;
    if (ft->result) lat_wave_print(&out, &res, ft->result, hs);
    else lat_buf_printf(&out, "()");
    printf("%.*s\n", (int)out.len, (const char *)out.data);
    fflush(stdout);
  }
  rc = 0;
done:
  for (uint32_t k = 0; ci && k < hs->n; k++)
    if (!hs->dropped[k] && lat_cinstance_drop_own(ci, &hs->h[k], &err)) {
      fprintf(stderr, "lattice call: drop #%u: %s\n", k, err.msg);
      rc = 1;
    }
  goto out;
oom:
  fprintf(stderr, "lattice: out of memory\n");
  goto out;
fail:
  fprintf(stderr, "lattice call: %s: %s\n", file, err.msg[0] ? err.msg : "failed");
out:
  fflush(stdout);
  lat_buf_fini(&out);
  lat_arena_fini(&arena);
  lat_host_instance_free(in);
  lat_host_component_free(comp);
  lat_free(hs);
  return rc;
}
