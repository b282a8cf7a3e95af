/* host_component.c: the component runner every program shares.
 *
 * A lat_host_component_t is decoded, linked against the WASI 0.2 host (plus
 * whatever its opts.link adds) and pre-linked (lat_cpre_t) once; it is then
 * immutable and any number of threads make instances from it at once.  An
 * instance is the four objects the engine needs per instantiation, made and
 * torn down in the one order that is safe: store, WASI context, WASI 0.2
 * state, component instance; freed instance first, then the store (which
 * the instance's memories live in), then the WASI state and context (host
 * functions borrow them until the last guest frame is gone).
 *
 * Before this file, `lattice run`, `call` and `serve` each spelt that
 * sequence out (three copies, each with its own cleanup order); the lattice
 * host needs it a fourth time.
 *
 * Servers give the component a reservation pool (opts.pool_regions): stores
 * take their memories and stacks from it, so instantiating per request maps
 * nothing.  The pool belongs to the component and is freed after it.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../aot/aot.h"
#include "host.h"

struct lat_host_component {
  lat_component_t *comp;
  lat_clinker_t *linker;
  lat_cpre_t *pre;
  lat_wasm_pool_t *pool; /* NULL without opts.pool_regions */
  lat_wasm_limits_t limits;
  int null_fd; /* /dev/null: the default stdin (empty, as wasmCloud's) */
};

struct lat_host_instance {
  lat_host_component_t *c;
  lat_wasm_store_t *store;
  lat_wasi_t *wasi;
  lat_wasi_p2_t *p2;
  lat_cinstance_t *ci;
  lat_arena_t arena;
};

/* opts->compiled: attach native code to each top-level core module before
 * anything is instantiated (nested components' modules stay interpreted).
 * Not fatal: a module the tier does not compile, or a compiler failure,
 * leaves that module interpreted, with a log line. */
static void compile_modules(const lat_component_t *comp) {
  for (uint32_t i = 0; i < lat_component_core_module_count(comp); i++) {
    lat_wasm_module_t *m = lat_component_core_module(comp, i);
    if (!m) continue;
    lat_error_t e;
    lat_error_clear(&e);
    lat_status st = lat_aot_load(m, NULL, &e);
    if (st && st != LAT_EUNSUPPORTED)
      LAT_LOG(LAT_LOG_WARN, "host", "core module interpreted: the compiled tier failed",
              LAT_KV_UINT("module", i), LAT_KV_STR("error", e.msg));
  }
}

lat_status lat_host_component_new(const uint8_t *bytes, size_t len,
                                  const lat_host_component_opts_t *opts,
                                  lat_host_component_t **out, lat_error_t *err) {
  *out = NULL;
  lat_host_component_t *c = lat_calloc(1, sizeof *c);
  if (!c) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  c->null_fd = -1;
  lat_status st;
  c->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (c->null_fd < 0) {
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot open /dev/null");
    goto fail;
  }
  if (opts) c->limits = opts->limits;
  if ((st = lat_component_new(bytes, len, NULL, &c->comp, err))) goto fail;
  if (opts && opts->compiled) compile_modules(c->comp);
  if ((st = lat_clinker_new(&c->linker))) {
    lat_error_set(err, st, SIZE_MAX, "out of memory");
    goto fail;
  }
  if ((st = lat_wasi_p2_add_to_linker(c->linker, err))) goto fail;
  if (opts && opts->link && (st = opts->link(c->linker, c->comp, opts->link_env, err))) goto fail;
  if ((st = lat_cpre_new(c->comp, c->linker, &c->pre, err))) goto fail;
  if (opts && opts->pool_regions) {
    if ((st = lat_wasm_pool_new(opts->pool_regions, &c->pool))) {
      lat_error_set(err, st, SIZE_MAX, "out of memory");
      goto fail;
    }
    c->limits.pool = c->pool;
  }
  *out = c;
  return LAT_OK;
fail:
  lat_host_component_free(c);
  return st;
}

lat_status lat_host_component_load(const char *path,
                                   const lat_host_component_opts_t *opts,
                                   lat_host_component_t **out, lat_error_t *err) {
  uint8_t *data;
  size_t len;
  *out = NULL;
  lat_status st = lat_file_read(path, &data, &len, err);
  if (st) return st;
  st = lat_host_component_new(data, len, opts, out, err);
  lat_free(data);
  return st;
}

void lat_host_component_free(lat_host_component_t *c) {
  if (!c) return;
  lat_cpre_free(c->pre);
  lat_clinker_free(c->linker);
  lat_component_free(c->comp);
  lat_wasm_pool_free(c->pool); /* no store uses it any more */
  if (c->null_fd >= 0) close(c->null_fd);
  lat_free(c);
}

const lat_component_t *lat_host_component_decoded(const lat_host_component_t *c) {
  return c->comp;
}

const lat_clinker_t *lat_host_component_linker(const lat_host_component_t *c) {
  return c->linker;
}

bool lat_host_component_exports(const lat_host_component_t *c, const char *ns,
                                const char *pkg, const char *iface) {
  for (uint32_t i = 0; i < lat_component_export_count(c->comp); i++) {
    const lat_cname_t *n = &lat_component_export(c->comp, i)->name;
    if (n->kind == LAT_CNAME_INTERFACE && !strcmp(n->ns, ns) && !strcmp(n->pkg, pkg) &&
        !strcmp(n->iface, iface))
      return true;
  }
  return false;
}

/* ---- instances ------------------------------------------------------------------ */

lat_status lat_host_instance_new(lat_host_component_t *c,
                                 const lat_host_instance_opts_t *opts,
                                 lat_host_instance_t **out, lat_error_t *err) {
  *out = NULL;
  lat_host_instance_opts_t none;
  if (!opts) {
    memset(&none, 0, sizeof none);
    opts = &none;
  }
  lat_host_instance_t *in = lat_calloc(1, sizeof *in);
  if (!in) {
    lat_wasi_free(opts->wasi);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  in->c = c;
  in->wasi = opts->wasi;
  lat_arena_init(&in->arena);
  lat_status st;
  if ((st = lat_wasm_store_new(&c->limits, &in->store))) goto oom;
  if (!in->wasi) {
    static const char *const argv0[] = {"main.wasm"}; /* as wasmCloud's host */
    lat_wasi_config_t def = {.argv = argv0, .argc = 1, .stdin_fd = c->null_fd,
                             .stdout_fd = 1, .stderr_fd = 2};
    if ((st = lat_wasi_new(opts->wasi_cfg ? opts->wasi_cfg : &def, &in->wasi, err)))
      goto fail;
  }
  if ((st = lat_wasi_p2_new(in->wasi, &in->p2))) goto oom;
  if (opts->http) lat_wasi_p2_set_http(in->p2, opts->http);
  if (opts->timeout_ns) {
    uint64_t dl = lat_now_ns() + opts->timeout_ns;
    lat_wasm_store_set_deadline(in->store, dl);
    lat_wasi_set_deadline(in->wasi, dl);
  }
  if (opts->fuel) lat_wasm_store_set_fuel(in->store, opts->fuel);
  *out = in;
  return LAT_OK;
oom:
  lat_error_set(err, st, SIZE_MAX, "out of memory");
fail:
  lat_host_instance_free(in);
  return st;
}

lat_status lat_host_instance_start(lat_host_instance_t *in, lat_error_t *err) {
  if (in->ci) return LAT_OK;
  return lat_cinstance_new_pre(in->store, in->c->pre, in->p2, &in->ci, err);
}

void lat_host_instance_free(lat_host_instance_t *in) {
  if (!in) return;
  lat_cinstance_free(in->ci);
  lat_wasm_store_free(in->store);
  lat_wasi_p2_free(in->p2);
  lat_wasi_free(in->wasi);
  lat_arena_fini(&in->arena);
  lat_free(in);
}

lat_wasm_store_t *lat_host_instance_store(lat_host_instance_t *in) { return in->store; }
lat_wasi_t *lat_host_instance_wasi(lat_host_instance_t *in) { return in->wasi; }
lat_cinstance_t *lat_host_instance_cinstance(lat_host_instance_t *in) { return in->ci; }
lat_arena_t *lat_host_instance_arena(lat_host_instance_t *in) { return &in->arena; }

lat_status lat_host_instance_call(lat_host_instance_t *in, const char *iface,
                                  const char *name, const lat_cval_t *args,
                                  uint32_t nargs, lat_cval_t *out_result,
                                  lat_error_t *err) {
  if (!in->ci)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "the instance was not started");
  lat_cfunc_t *f = lat_cinstance_func(in->ci, iface, name);
  if (!f)
    return lat_error_set(err, LAT_ENOTFOUND, SIZE_MAX, "no exported function `%s%s%s`",
                         iface ? iface : "", iface ? "#" : "", name);
  return lat_cfunc_call(in->ci, f, args, nargs, out_result, &in->arena, err);
}
