/* aot_load.c: the cache, the compiler and dlopen.
 *
 * Cache key: BLAKE2b-256 over the tier's ABI version, the emitter's build
 * time (a changed emitter must not reuse old objects), the CPU (model and
 * feature flags: the code is built for it), the compiler (its
 * name, and the size and mtime of the binary PATH resolves it to, so an
 * upgrade misses the cache without running `cc --version` on every load),
 * the flags, and the module's bytes.  The object is <dir>/<key hex>.so; the
 * key is also compiled into it and checked after dlopen, with the ABI
 * version and the function count, so a renamed or stale file is refused.
 * A cold compile writes <key>.<pid>.c, runs the compiler on it (posix_spawn,
 * no shell, its stderr captured for the error), and renames the object into
 * place, so concurrent compilers of one module race harmlessly.  The cache
 * holds code this process will run: its directory must be ours and not
 * writable by group or others, or nothing is loaded from it.
 *
 * Flags: -march=native (simd_dot 84 -> 44 ms: i32x4.mul and friends get
 * SSE4.1 instead of lane emulation; the CPU's model and flags are in the
 * key) with -ffp-contract=off (no fused multiply-add: wasm rounds every
 * operation), -O2 (-O3 showed no clear gain on bench/kernels in a run on the
 * shared, noisy 2-core machine: matmul 2.5x native instead of 2.75x, the
 * rest within noise), -fPIC -shared, hidden visibility (the one exported symbol is
 * lat_aot_desc), -fno-strict-aliasing (generated code aliases memory only
 * through memcpy, but mirrors of engine structs are read through other
 * types), -fsignaling-nans (without it gcc folds x * 1.0 and x - 0.0 to x,
 * which returns a signalling NaN unquieted: float_exprs.wast).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "aot_int.h"

extern char **environ;

#define AOT_CFLAGS                                                                 \
  "-O2", "-march=native", "-ffp-contract=off", "-fPIC", "-shared", "-fvisibility=hidden", \
      "-fno-strict-aliasing", "-fsignaling-nans"
static const char *const cflags[] = {AOT_CFLAGS};

static const char *default_cc(const lat_aot_options_t *o) {
  if (o && o->cc) return o->cc;
  const char *e = getenv("LATTICE_CC");
  return e && *e ? e : "gcc";
}

/* The cache directory (returns new, free with lat_free), created 0700. */
static lat_status cache_dir(const lat_aot_options_t *o, char **out, lat_error_t *err) {
  char buf[4096];
  const char *e;
  if (o && o->cache_dir) snprintf(buf, sizeof buf, "%s", o->cache_dir);
  else if ((e = getenv("LATTICE_CACHE_DIR")) && *e) snprintf(buf, sizeof buf, "%s/aot", e);
  else if ((e = getenv("XDG_CACHE_HOME")) && *e) snprintf(buf, sizeof buf, "%s/lattice/aot", e);
  else if ((e = getenv("HOME")) && *e) snprintf(buf, sizeof buf, "%s/.cache/lattice/aot", e);
  else return lat_error_set(err, LAT_EIO, SIZE_MAX, "no cache directory (set LATTICE_CACHE_DIR)");
  if (lat_mkdir_p(buf) != 0 && errno != EEXIST)
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: %s", buf, strerror(errno));
  struct stat sb;
  if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: not a directory", buf);
  if (sb.st_uid != geteuid() || (sb.st_mode & 022))
    return lat_error_set(err, LAT_EIO, SIZE_MAX,
                         "%s: not private to this user (owner or mode); refusing to load code from it",
                         buf);
  *out = lat_malloc(strlen(buf) + 1);
  if (!*out) return LAT_ENOMEM;
  strcpy(*out, buf);
  return LAT_OK;
}

/* Identity of the compiler binary: "name:size:mtime" of PATH's match. */
static void cc_identity(const char *cc, char *out, size_t n) {
  snprintf(out, n, "%s", cc);
  const char *path = strchr(cc, '/') ? "" : getenv("PATH");
  if (!path) return;
  char cand[4096];
  for (const char *p = path;;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    if (strchr(cc, '/')) snprintf(cand, sizeof cand, "%s", cc);
    else snprintf(cand, sizeof cand, "%.*s/%s", (int)len, p, cc);
    struct stat sb;
    if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode)) {
      snprintf(out, n, "%s:%lld:%lld", cand, (long long)sb.st_size, (long long)sb.st_mtime);
      return;
    }
    if (!colon || strchr(cc, '/')) return;
    p = colon + 1;
  }
}

/* What -march=native compiles for: the CPU's model and feature flags
 * (the first processor's lines of /proc/cpuinfo), so a cache shared by
 * machines of different kinds never hands one another's code over. */
static void cpu_identity(crypto_generichash_state *h) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[4096];
  int seen = 0;
  while (seen < 3 && fgets(line, sizeof line, f)) {
    if (!strncmp(line, "model name", 10) || !strncmp(line, "flags", 5) ||
        !strncmp(line, "vendor_id", 9)) {
      crypto_generichash_update(h, (const unsigned char *)line, strlen(line));
      seen++;
    }
  }
  fclose(f);
}

static void cache_key(const lat_wasm_module_t *m, const char *cc, char hex[65]) {
  crypto_generichash_state h;
  unsigned char k[32];
  char id[4200];
  cc_identity(cc, id, sizeof id);
  char abi[64];
  snprintf(abi, sizeof abi, "lattice-aot/%d/%s\n", LAT_AOT_ABI_VERSION, lat__aot_emit_id);
  crypto_generichash_init(&h, NULL, 0, sizeof k);
  crypto_generichash_update(&h, (const unsigned char *)abi, strlen(abi));
  crypto_generichash_update(&h, (const unsigned char *)id, strlen(id) + 1);
  for (size_t i = 0; i < sizeof cflags / sizeof *cflags; i++)
    crypto_generichash_update(&h, (const unsigned char *)cflags[i], strlen(cflags[i]) + 1);
  cpu_identity(&h);
  crypto_generichash_update(&h, m->bytes, m->len);
  crypto_generichash_final(&h, k, sizeof k);
  sodium_bin2hex(hex, 65, k, sizeof k);
}

static lat_status write_file(const char *path, const void *p, size_t n, lat_error_t *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: %s", path, strerror(errno));
  const uint8_t *b = p;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close(fd);
      return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: %s", path, strerror(errno));
    }
    b += w;
    n -= (size_t)w;
  }
  close(fd);
  return LAT_OK;
}

/* Runs cc on src into obj; its stderr goes to log. */
static lat_status run_cc(const char *cc, const char *src, const char *obj, const char *log,
                         lat_error_t *err) {
  const char *argv[16];
  int n = 0;
  argv[n++] = cc;
  for (size_t i = 0; i < sizeof cflags / sizeof *cflags; i++) argv[n++] = cflags[i];
  argv[n++] = "-o";
  argv[n++] = obj;
  argv[n++] = src;
  argv[n++] = "-lm";
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, cc, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: %s", cc, strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return LAT_OK;
  char msg[200] = "";
  FILE *f = fopen(log, "r");
  if (f) {
    size_t k = fread(msg, 1, sizeof msg - 1, f);
    msg[k] = 0;
    fclose(f);
  }
  return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s failed on %s: %s", cc, src, msg);
}

lat_status lat_aot_compile(const lat_wasm_module_t *m, const lat_aot_options_t *opts,
                           char **out_path, bool *out_cached, lat_error_t *err) {
  const char *cc = default_cc(opts);
  char key[65];
  char *dir = NULL;
  lat_buf_t c;
  lat_buf_init(&c);
  if (out_path) *out_path = NULL;
  if (out_cached) *out_cached = false;
  lat_status st = cache_dir(opts, &dir, err);
  if (st) return st;
  cache_key(m, cc, key);
  size_t plen = strlen(dir) + 100;
  char *path = lat_malloc(plen), *src = lat_malloc(plen), *tmp = lat_malloc(plen),
       *log = lat_malloc(plen);
  if (!path || !src || !tmp || !log) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto done;
  }
  snprintf(path, plen, "%s/%s.so", dir, key);
  struct stat sb;
  if (!(opts && opts->no_cache) && stat(path, &sb) == 0) {
    if (out_cached) *out_cached = true;
    goto done;
  }
  if ((st = lat_buf_printf(&c, "#define LAT_AOT_KEY \"%s\"\n", key))) goto done;
  if ((st = lat_aot_emit_c(m, &c, err))) goto done;
  snprintf(src, plen, "%s/%s.%d.c", dir, key, (int)getpid());
  snprintf(tmp, plen, "%s/%s.%d.so", dir, key, (int)getpid());
  snprintf(log, plen, "%s/%s.%d.log", dir, key, (int)getpid());
  if ((st = write_file(src, c.data, c.len, err))) goto done;
  st = run_cc(cc, src, tmp, log, err);
  if (!st && rename(tmp, path) != 0)
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: %s", path, strerror(errno));
  unlink(src);
  unlink(log);
  unlink(tmp);
done:
  if (!st && out_path) {
    *out_path = path;
    path = NULL;
  }
  lat_buf_fini(&c);
  lat_free(dir);
  lat_free(path);
  lat_free(src);
  lat_free(tmp);
  lat_free(log);
  return st;
}

void lat__aot_module_free(lat__aot_module_t *am) {
  if (!am) return;
  if (am->dl) dlclose(am->dl);
  lat_free(am);
}

/* dlopens path and checks its descriptor against m and key. */
static lat_status open_object(const lat_wasm_module_t *m, const char *path, const char *key,
                              lat__aot_module_t **out, lat_error_t *err) {
  void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!dl) return lat_error_set(err, LAT_EIO, SIZE_MAX, "dlopen: %s", dlerror());
  const lat_aot_desc_t *d = dlsym(dl, "lat_aot_desc");
  if (!d || d->abi != LAT_AOT_ABI_VERSION || d->nfuncs != m->nfuncs ||
      (key && strcmp(d->key, key) != 0)) {
    dlclose(dl);
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: not compiled for this module", path);
  }
  lat__aot_module_t *am = lat_calloc(1, sizeof *am);
  if (!am) {
    dlclose(dl);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  am->dl = dl;
  am->desc = d;
  *out = am;
  return LAT_OK;
}

lat_status lat_aot_load(lat_wasm_module_t *m, const lat_aot_options_t *opts, lat_error_t *err) {
  if (m->tier) return LAT_OK;
  char *path = NULL;
  lat_status st = lat_aot_compile(m, opts, &path, NULL, err);
  if (st == LAT_EUNSUPPORTED)
    LAT_LOG(LAT_LOG_DEBUG, "aot", "module interpreted", LAT_KV_STR("reason", err ? err->msg : ""));
  if (st) return st;
  char key[65];
  cache_key(m, default_cc(opts), key);
  lat__aot_module_t *am = NULL;
  st = open_object(m, path, key, &am, err);
  lat_free(path);
  if (st) return st;
  if (lat__wasm_module_set_tier(m, &lat__aot_tier, am)) {
    lat__aot_module_free(am); /* another thread attached one first */
  }
  return LAT_OK;
}

bool lat_aot_is_loaded(const lat_wasm_module_t *m) {
  return m && m->tier == &lat__aot_tier;
}
