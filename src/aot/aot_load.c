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
 * A cold compile writes <key>.<pid>.<i>.c, runs the compiler on it
 * (posix_spawn, no shell, its stderr captured for the error), and renames
 * the object into place, so concurrent compilers of one module race
 * harmlessly.  A module with more than 32 KiB of code is split into one C
 * file per core plus one for the tables (lat__aot_emit_parts), compiled
 * side by side with -c and linked: aot_mod.wasm (78 KB) 9.8 s -> 5.1 s on
 * the 2 cores; calls between parts are not inlined, which small modules,
 * compiled whole, never see.  The cache
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

#define AOT_CFLAGS                                                                  \
  "-O2", "-march=native", "-ffp-contract=off", "-fPIC", "-fvisibility=hidden", \
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

/* Starts cc with the flags, mode ("-shared" or "-c") and files; its stderr
 * goes to log.  0 on failure to start. */
static pid_t spawn_cc(const char *cc, const char *mode, const char *out, const char *const *in,
                      size_t nin, const char *log) {
  const char *argv[40];
  size_t n = 0;
  argv[n++] = cc;
  if (strcmp(mode, "-link") != 0) {
    for (size_t i = 0; i < sizeof cflags / sizeof *cflags; i++) argv[n++] = cflags[i];
    argv[n++] = mode;
  } else {
    argv[n++] = "-shared";
  }
  argv[n++] = "-o";
  argv[n++] = out;
  for (size_t i = 0; i < nin && n < 37; i++) argv[n++] = in[i];
  argv[n++] = "-lm";
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, cc, &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : 0;
}

/* Waits for pid; LAT_EIO with the start of log when it failed. */
static lat_status wait_cc(pid_t pid, const char *cc, const char *what, const char *log,
                          lat_error_t *err) {
  if (!pid) return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: cannot start", cc);
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
  return lat_error_set(err, LAT_EIO, SIZE_MAX, "%s failed on %s: %s", cc, what, msg);
}

/* How many files to split m's C into: one (a single compiler run, every
 * call can be inlined) unless the code is large and there are cores to
 * compile parts side by side (101 s per MB of wasm on one core). */
#define SPLIT_MIN_CODE (32u << 10)
#define MAX_PARTS 8
static uint32_t part_count(const lat_wasm_module_t *m) {
  uint64_t code = 0;
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) code += m->funcs[f].body.len;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (code < SPLIT_MIN_CODE || cpus < 2) return 1;
  return 1 + (uint32_t)(cpus < MAX_PARTS ? cpus : MAX_PARTS);
}

/* Compiles the parts (part 0 first holds the key line) into obj. */
static lat_status build_object(const lat_wasm_module_t *m, const char *cc, const char *key,
                               const char *base, const char *obj, lat_error_t *err) {
  uint32_t n = part_count(m);
  lat_buf_t parts[MAX_PARTS + 1];
  typedef char path_t[4200];
  path_t *src = lat_calloc(3 * (MAX_PARTS + 2), sizeof(path_t)); /* off the stack */
  if (!src) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  path_t *o = src + MAX_PARTS + 2, *log = o + MAX_PARTS + 2;
  pid_t pid[MAX_PARTS + 1] = {0};
  const char *objs[MAX_PARTS + 1];
  lat_status st = LAT_OK;
  for (uint32_t i = 0; i < n; i++) lat_buf_init(&parts[i]);
  if ((st = lat_buf_printf(&parts[0], "#define LAT_AOT_KEY \"%s\"\n", key))) goto done;
  if ((st = lat__aot_emit_parts(m, parts, n, err))) goto done;
  for (uint32_t i = 0; i < n; i++) {
    snprintf(src[i], sizeof src[i], "%s.%u.c", base, i);
    snprintf(o[i], sizeof o[i], "%s.%u.o", base, i);
    snprintf(log[i], sizeof log[i], "%s.%u.log", base, i);
    objs[i] = o[i];
    if ((st = write_file(src[i], parts[i].data, parts[i].len, err))) goto clean;
  }
  if (n == 1) {
    const char *in = src[0];
    st = wait_cc(spawn_cc(cc, "-shared", obj, &in, 1, log[0]), cc, src[0], log[0], err);
    goto clean;
  }
  for (uint32_t i = 0; i < n; i++) {
    const char *in = src[i];
    pid[i] = spawn_cc(cc, "-c", o[i], &in, 1, log[i]);
  }
  for (uint32_t i = 0; i < n; i++) {
    lat_status s2 = wait_cc(pid[i], cc, src[i], log[i], st ? NULL : err);
    if (!st) st = s2;
  }
  snprintf(log[n], sizeof log[n], "%s.link.log", base);
  if (!st) st = wait_cc(spawn_cc(cc, "-link", obj, objs, n, log[n]), cc, "linking", log[n], err);
  unlink(log[n]);
clean:
  for (uint32_t i = 0; i < n; i++) {
    unlink(src[i]);
    unlink(o[i]);
    unlink(log[i]);
  }
done:
  for (uint32_t i = 0; i < n; i++) lat_buf_fini(&parts[i]);
  lat_free(src);
  return st;
}

lat_status lat_aot_compile(const lat_wasm_module_t *m, const lat_aot_options_t *opts,
                           char **out_path, bool *out_cached, lat_error_t *err) {
  const char *cc = default_cc(opts);
  char key[65];
  char *dir = NULL;
  if (out_path) *out_path = NULL;
  if (out_cached) *out_cached = false;
  lat_status st = cache_dir(opts, &dir, err);
  if (st) return st;
  cache_key(m, cc, key);
  size_t plen = strlen(dir) + 100;
  char *path = lat_malloc(plen), *src = lat_malloc(plen), *tmp = lat_malloc(plen);
  if (!path || !src || !tmp) {
    st = lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
    goto done;
  }
  snprintf(path, plen, "%s/%s.so", dir, key);
  struct stat sb;
  if (!(opts && opts->no_cache) && stat(path, &sb) == 0) {
    if (out_cached) *out_cached = true;
    goto done;
  }
  snprintf(src, plen, "%s/%s.%d", dir, key, (int)getpid());
  snprintf(tmp, plen, "%s/%s.%d.so", dir, key, (int)getpid());
  st = build_object(m, cc, key, src, tmp, err);
  if (!st && rename(tmp, path) != 0)
    st = lat_error_set(err, LAT_EIO, SIZE_MAX, "%s: %s", path, strerror(errno));
  unlink(tmp);
done:
  if (!st && out_path) {
    *out_path = path;
    path = NULL;
  }
  lat_free(dir);
  lat_free(path);
  lat_free(src);
  lat_free(tmp);
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
