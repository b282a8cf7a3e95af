/* wasi_p1.c: the preview-1 context, its fd table, linking a module's
 * imports, and the functions that touch no files (args, environ, clocks,
 * random, proc_exit/proc_raise, sched_yield).
 *
 * Linking is table driven: one X-macro list per file (wasi_int.h) gives each
 * function's name and its core signature ("i" = i32, "I" = i64), from which
 * we build the lat_wasm_functype_t, check it against the import and create a
 * host function whose env is the context.  A single trampoline per function
 * (made by the macro) turns the engine's (caller, env, slots) into
 * (w, caller, slots).
 *
 * The fd table is a flat array indexed by guest fd: lowest free slot first,
 * as POSIX does, because wasi-libc scans preopens from fd 3 upwards and stops
 * at the first EBADF.  Guest fds 0..2 borrow the host's stdio (never closed
 * by us, and fstat'ed only when the guest first uses them, so making a
 * context costs no system call); every other slot owns its host fd.
 *
 * Rejected: a hash map of fds (the guest sees small dense numbers anyway) and
 * dup()ing stdio (a dup shares the open file description, so it isolates
 * nothing and costs three fds per instance).
 *
 * proc_exit is a trap (LAT_TRAP_EXIT with the code), never exit(): the host
 * process outlives its guests, and traps unwind the interpreter cleanly. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "wasi_int.h"

/* ---- errno ---------------------------------------------------------------- */

uint16_t lat__p1_errno(int e) {
  switch (e) {
    case 0: return P1_ESUCCESS;
    case E2BIG: return P1_E2BIG;
    case EACCES: return P1_EACCES;
    case EADDRINUSE: return P1_EADDRINUSE;
    case EADDRNOTAVAIL: return P1_EADDRNOTAVAIL;
    case EAFNOSUPPORT: return P1_EAFNOSUPPORT;
    case EAGAIN: return P1_EAGAIN;
    case EALREADY: return P1_EALREADY;
    case EBADF: return P1_EBADF;
    case EBADMSG: return P1_EBADMSG;
    case EBUSY: return P1_EBUSY;
    case ECANCELED: return P1_ECANCELED;
    case ECHILD: return P1_ECHILD;
    case ECONNABORTED: return P1_ECONNABORTED;
    case ECONNREFUSED: return P1_ECONNREFUSED;
    case ECONNRESET: return P1_ECONNRESET;
    case EDEADLK: return P1_EDEADLK;
    case EDESTADDRREQ: return P1_EDESTADDRREQ;
    case EDOM: return P1_EDOM;
    case EDQUOT: return P1_EDQUOT;
    case EEXIST: return P1_EEXIST;
    case EFAULT: return P1_EFAULT;
    case EFBIG: return P1_EFBIG;
    case EHOSTUNREACH: return P1_EHOSTUNREACH;
    case EIDRM: return P1_EIDRM;
    case EILSEQ: return P1_EILSEQ;
    case EINPROGRESS: return P1_EINPROGRESS;
    case EINTR: return P1_EINTR;
    case EINVAL: return P1_EINVAL;
    case EIO: return P1_EIO;
    case EISCONN: return P1_EISCONN;
    case EISDIR: return P1_EISDIR;
    case ELOOP: return P1_ELOOP;
    case EMFILE: return P1_EMFILE;
    case EMLINK: return P1_EMLINK;
    case EMSGSIZE: return P1_EMSGSIZE;
    case EMULTIHOP: return P1_EMULTIHOP;
    case ENAMETOOLONG: return P1_ENAMETOOLONG;
    case ENETDOWN: return P1_ENETDOWN;
    case ENETRESET: return P1_ENETRESET;
    case ENETUNREACH: return P1_ENETUNREACH;
    case ENFILE: return P1_ENFILE;
    case ENOBUFS: return P1_ENOBUFS;
    case ENODEV: return P1_ENODEV;
    case ENOENT: return P1_ENOENT;
    case ENOEXEC: return P1_ENOEXEC;
    case ENOLCK: return P1_ENOLCK;
    case ENOLINK: return P1_ENOLINK;
    case ENOMEM: return P1_ENOMEM;
    case ENOMSG: return P1_ENOMSG;
    case ENOPROTOOPT: return P1_ENOPROTOOPT;
    case ENOSPC: return P1_ENOSPC;
    case ENOSYS: return P1_ENOSYS;
    case ENOTCONN: return P1_ENOTCONN;
    case ENOTDIR: return P1_ENOTDIR;
    case ENOTEMPTY: return P1_ENOTEMPTY;
    case ENOTRECOVERABLE: return P1_ENOTRECOVERABLE;
    case ENOTSOCK: return P1_ENOTSOCK;
    case EOPNOTSUPP: return P1_ENOTSUP;
    case ENOTTY: return P1_ENOTTY;
    case ENXIO: return P1_ENXIO;
    case EOVERFLOW: return P1_EOVERFLOW;
    case EOWNERDEAD: return P1_EOWNERDEAD;
    case EPERM: return P1_EPERM;
    case EPIPE: return P1_EPIPE;
    case EPROTO: return P1_EPROTO;
    case EPROTONOSUPPORT: return P1_EPROTONOSUPPORT;
    case EPROTOTYPE: return P1_EPROTOTYPE;
    case ERANGE: return P1_ERANGE;
    case EROFS: return P1_EROFS;
    case ESPIPE: return P1_ESPIPE;
    case ESRCH: return P1_ESRCH;
    case ESTALE: return P1_ESTALE;
    case ETIMEDOUT: return P1_ETIMEDOUT;
    case ETXTBSY: return P1_ETXTBSY;
    case EXDEV: return P1_EXDEV;
  }
  return P1_EIO;
}

/* ---- guest memory ------------------------------------------------------------ */

bool lat__p1_put32(lat_wasm_caller_t *c, uint64_t off, uint32_t v) {
  uint8_t *p = p1_range(p1_mem(c), off, 4);
  if (!p) return false;
  p1_st32(p, v);
  return true;
}

bool lat__p1_put64(lat_wasm_caller_t *c, uint64_t off, uint64_t v) {
  uint8_t *p = p1_range(p1_mem(c), off, 8);
  if (!p) return false;
  p1_st64(p, v);
  return true;
}

uint16_t lat__p1_path(lat_wasm_caller_t *c, uint64_t ptr, uint64_t len,
                      char **out) {
  if (len > P1_MAX_PATH) return P1_ENAMETOOLONG;
  const uint8_t *p = p1_range(p1_mem(c), ptr, len);
  if (!p) return P1_EFAULT;
  if (memchr(p, 0, len) || !lat_utf8_valid(p, len)) return P1_EILSEQ;
  char *s = lat_strndup((const char *)p, len);
  if (!s) return P1_ENOMEM;
  *out = s;
  return P1_ESUCCESS;
}

/* ---- fd table ------------------------------------------------------------------ */

uint8_t lat__p1_filetype(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return P1_FT_FILE;
    case S_IFDIR: return P1_FT_DIR;
    case S_IFCHR: return P1_FT_CHAR;
    case S_IFBLK: return P1_FT_BLOCK;
    case S_IFLNK: return P1_FT_SYMLINK;
    case S_IFSOCK: return P1_FT_STREAM;
  }
  return P1_FT_UNKNOWN; /* FIFOs: preview 1 has no type for them */
}

/* Reads a stdio entry's type (add_stdio leaves it for first use). */
static void type_stdio(lat__p1_fd_t *f) {
  struct stat st;
  f->untyped = false;
  if (fstat(f->host, &st) != 0) return; /* stays UNKNOWN with tty rights */
  f->type = lat__p1_filetype(st.st_mode);
  /* wasi-libc's isatty: a character device without seek/tell rights */
  if (f->type == P1_FT_FILE) f->rights = R_FILE;
  else if (f->type == P1_FT_STREAM) f->rights = R_SOCK;
}

lat__p1_fd_t *lat__p1_fd_get(lat_wasi_t *w, uint64_t fd) {
  if (fd >= w->nfds || w->fds[fd].host < 0) return NULL;
  if (w->fds[fd].untyped) type_stdio(&w->fds[fd]);
  return &w->fds[fd];
}

uint16_t lat__p1_fd_lookup(lat_wasi_t *w, uint64_t fd, uint64_t rights,
                           lat__p1_fd_t **out) {
  lat__p1_fd_t *f = lat__p1_fd_get(w, fd);
  if (!f) return P1_EBADF;
  if ((f->rights & rights) != rights) return P1_ENOTCAPABLE;
  *out = f;
  return P1_ESUCCESS;
}

void lat__p1_fd_release(lat__p1_fd_t *f) {
  if (f->dir) closedir(f->dir); /* its own fd (opened with openat ".") */
  if (!f->borrowed && f->host >= 0) close(f->host);
  lat_free(f->guest_name);
  memset(f, 0, sizeof *f);
  f->host = -1;
}

static int fd_slot(lat_wasi_t *w, uint32_t *out) {
  for (uint32_t i = 0; i < w->nfds; i++)
    if (w->fds[i].host < 0) {
      *out = i;
      return 0;
    }
  if (w->nfds == w->cap) {
    if (w->cap >= P1_MAX_FDS) return P1_EMFILE;
    uint32_t cap = w->cap ? w->cap * 2 : 16;
    if (cap > P1_MAX_FDS) cap = P1_MAX_FDS;
    lat__p1_fd_t *n = lat_realloc(w->fds, cap * sizeof *n);
    if (!n) return P1_ENOMEM;
    w->fds = n;
    w->cap = cap;
  }
  w->fds[w->nfds].host = -1;
  *out = w->nfds++;
  return 0;
}

uint16_t lat__p1_fd_insert(lat_wasi_t *w, int h, uint8_t type, uint64_t rights,
                           uint64_t inheriting, bool readonly,
                           uint32_t *out_fd) {
  uint32_t i;
  int e = fd_slot(w, &i);
  if (e) {
    close(h);
    return (uint16_t)e;
  }
  lat__p1_fd_t *f = &w->fds[i];
  memset(f, 0, sizeof *f);
  f->host = h;
  f->type = type;
  f->rights = rights;
  f->inheriting = inheriting;
  f->readonly = readonly;
  *out_fd = i;
  return P1_ESUCCESS;
}

/* ---- context ---------------------------------------------------------------------- */

static char **copy_strings(const char *const *src, size_t n, size_t *bytes) {
  char **v = lat_calloc(n + 1, sizeof *v);
  if (!v) return NULL;
  *bytes = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(src[i]);
    if (!(v[i] = lat_strndup(src[i], len))) {
      for (size_t k = 0; k < i; k++) lat_free(v[k]);
      lat_free(v);
      return NULL;
    }
    *bytes += len + 1;
  }
  return v;
}

static void free_strings(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) lat_free(v[i]);
  lat_free(v);
}

/* Stdio fds are typed lazily: the fstat happens on the guest's first
 * preview-1 use of the fd (lat__p1_fd_get), not in lat_wasi_new, because a
 * server makes a context per request and most guests never look (WASI 0.2
 * stdio streams use only the host fd). */
static lat_status add_stdio(lat_wasi_t *w, int host) {
  uint32_t fd;
  if (fd_slot(w, &fd)) return LAT_ENOMEM;
  lat__p1_fd_t *f = &w->fds[fd];
  memset(f, 0, sizeof *f);
  f->host = host;
  f->type = P1_FT_UNKNOWN;
  f->rights = R_TTY;
  f->borrowed = true;
  f->untyped = true;
  return LAT_OK;
}

lat_status lat_wasi_new(const lat_wasi_config_t *cfg, lat_wasi_t **out,
                        lat_error_t *err) {
  lat_wasi_t *w = lat_calloc(1, sizeof *w);
  if (!w) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  w->argc = cfg->argc;
  w->envc = cfg->envc;
  w->deadline_ns = cfg->deadline_ns;
  atomic_init(&w->interrupted, false);
  w->last_fd = -1;
  if (!(w->argv = copy_strings(cfg->argv, cfg->argc, &w->argv_bytes)) ||
      !(w->env = copy_strings(cfg->env, cfg->envc, &w->env_bytes)) ||
      add_stdio(w, cfg->stdin_fd) || add_stdio(w, cfg->stdout_fd) ||
      add_stdio(w, cfg->stderr_fd)) {
    lat_wasi_free(w);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  *out = w;
  return LAT_OK;
}

void lat_wasi_free(lat_wasi_t *w) {
  if (!w) return;
  for (uint32_t i = 0; i < w->nfds; i++)
    if (w->fds[i].host >= 0) lat__p1_fd_release(&w->fds[i]);
  lat_free(w->fds);
  free_strings(w->argv, w->argc);
  free_strings(w->env, w->envc);
  for (size_t i = 0; i < w->nstubs; i++) lat_free(w->stubs[i]);
  lat_free(w->stubs);
  lat_free(w);
}

void lat_wasi_set_deadline(lat_wasi_t *w, uint64_t deadline_ns) {
  w->deadline_ns = deadline_ns;
}

void lat_wasi_interrupt(lat_wasi_t *w) { atomic_store(&w->interrupted, true); }

int lat_wasi_last_fd(const lat_wasi_t *w) { return w->last_fd; }

uint64_t lat_wasi_first_call_ns(const lat_wasi_t *w) {
  return w->first_call_ns;
}

/* ---- args, environ -------------------------------------------------------------- */

/* Writes n strings: pointers at ptrs_off (u32 each), bytes at buf_off. */
static uint16_t put_strings(lat_wasm_caller_t *c, char **v, size_t n,
                            size_t bytes, uint64_t ptrs_off, uint64_t buf_off) {
  lat_wasm_memory_t *m = p1_mem(c);
  uint8_t *ptrs = p1_range(m, ptrs_off, (uint64_t)n * 4);
  uint8_t *buf = p1_range(m, buf_off, bytes);
  if (!ptrs || !buf) return P1_EFAULT;
  uint64_t at = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(v[i]) + 1;
    p1_st32(ptrs + 4 * i, (uint32_t)(buf_off + at));
    memcpy(buf + at, v[i], len);
    at += len;
  }
  return P1_ESUCCESS;
}

lat_status lat__p1_args_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                            uint64_t *slots) {
  P1_RET(put_strings(c, w->argv, w->argc, w->argv_bytes, slots[0], slots[1]));
}

lat_status lat__p1_args_sizes_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                                  uint64_t *slots) {
  if (!lat__p1_put32(c, slots[0], (uint32_t)w->argc) ||
      !lat__p1_put32(c, slots[1], (uint32_t)w->argv_bytes))
    P1_RET(P1_EFAULT);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_environ_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                               uint64_t *slots) {
  P1_RET(put_strings(c, w->env, w->envc, w->env_bytes, slots[0], slots[1]));
}

lat_status lat__p1_environ_sizes_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                                     uint64_t *slots) {
  if (!lat__p1_put32(c, slots[0], (uint32_t)w->envc) ||
      !lat__p1_put32(c, slots[1], (uint32_t)w->env_bytes))
    P1_RET(P1_EFAULT);
  P1_RET(P1_ESUCCESS);
}

/* ---- clocks, random, process ------------------------------------------------------ */

static bool host_clock(uint64_t id, clockid_t *out) {
  switch (id) {
    case P1_CLOCK_REALTIME: *out = CLOCK_REALTIME; return true;
    case P1_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return true;
    case P1_CLOCK_PROCESS: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case P1_CLOCK_THREAD: *out = CLOCK_THREAD_CPUTIME_ID; return true;
  }
  return false;
}

lat_status lat__p1_clock_res_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                                 uint64_t *slots) {
  (void)w;
  clockid_t id;
  struct timespec ts;
  if (!host_clock(slots[0], &id)) P1_RET(P1_EINVAL);
  if (clock_getres(id, &ts) != 0) P1_RET(lat__p1_errno(errno));
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  if (!lat__p1_put64(c, slots[1], ns)) P1_RET(P1_EFAULT);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_clock_time_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                                  uint64_t *slots) {
  (void)w;
  clockid_t id;
  struct timespec ts;
  if (!host_clock(slots[0], &id)) P1_RET(P1_EINVAL);
  if (clock_gettime(id, &ts) != 0) P1_RET(lat__p1_errno(errno));
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  if (!lat__p1_put64(c, slots[2], ns)) P1_RET(P1_EFAULT);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_random_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                              uint64_t *slots) {
  (void)w;
  uint64_t len = slots[1];
  uint8_t *p = p1_range(p1_mem(c), slots[0], len);
  if (!p) P1_RET(P1_EFAULT);
  while (len) {
    ssize_t n = getrandom(p, len > 65536 ? 65536 : len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      P1_RET(lat__p1_errno(errno));
    }
    p += n;
    len -= (uint64_t)n;
  }
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_proc_exit(lat_wasi_t *w, lat_wasm_caller_t *c,
                             uint64_t *slots) {
  (void)w;
  return lat_wasm_caller_trap(c, LAT_TRAP_EXIT, (int)(uint32_t)slots[0], NULL);
}

/* preview-1 signal numbers (witx `signal`) whose default action is not
 * termination: raising them does nothing, as on POSIX. */
static bool signal_ignored(uint64_t sig) {
  switch (sig) {
    case 16: /* CHLD */
    case 17: /* CONT */
    case 22: /* URG */
    case 27: /* WINCH */
      return true;
  }
  return false;
}

lat_status lat__p1_proc_raise(lat_wasi_t *w, lat_wasm_caller_t *c,
                              uint64_t *slots) {
  (void)w;
  uint64_t sig = slots[0];
  if (sig == 0) P1_RET(P1_ESUCCESS); /* NONE: only checks */
  if (sig > 30) P1_RET(P1_EINVAL);
  if (signal_ignored(sig)) P1_RET(P1_ESUCCESS);
  /* the guest is terminated by the signal: exit status 128 + number, as a
   * shell reports a process killed by a signal */
  char msg[64];
  snprintf(msg, sizeof msg, "guest raised signal %u", (unsigned)sig);
  return lat_wasm_caller_trap(c, LAT_TRAP_EXIT, 128 + (int)sig, msg);
}

lat_status lat__p1_sched_yield(lat_wasi_t *w, lat_wasm_caller_t *c,
                               uint64_t *slots) {
  (void)w;
  (void)c;
  sched_yield();
  P1_RET(P1_ESUCCESS);
}

/* ---- linking ------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  const char *params;  /* 'i' i32, 'I' i64 */
  const char *results;
  lat_wasm_host_fn fn;
} p1_entry_t;

#define P1_TRAMPOLINE(name, params, results)                                \
  static lat_status tramp_##name(lat_wasm_caller_t *c, void *env,          \
                                 uint64_t *slots) {                        \
    lat_wasi_t *w = env;                                                   \
    if (!w->first_call_ns) w->first_call_ns = lat_now_ns();                \
    return lat__p1_##name(w, c, slots);                                    \
  }
LAT__P1_FD_FUNCS(P1_TRAMPOLINE)
LAT__P1_PATH_FUNCS(P1_TRAMPOLINE)
LAT__P1_POLL_FUNCS(P1_TRAMPOLINE)
LAT__P1_MISC_FUNCS(P1_TRAMPOLINE)
#undef P1_TRAMPOLINE

#define P1_ENTRY(name, params, results) {#name, params, results, tramp_##name},
static const p1_entry_t p1_table[] = {
    LAT__P1_MISC_FUNCS(P1_ENTRY) LAT__P1_FD_FUNCS(P1_ENTRY)
        LAT__P1_PATH_FUNCS(P1_ENTRY) LAT__P1_POLL_FUNCS(P1_ENTRY)};
#undef P1_ENTRY

#define P1_COUNT (sizeof p1_table / sizeof p1_table[0])

size_t lat_wasi_p1_implemented(void) { return P1_COUNT; }
size_t lat_wasi_p1_total(void) { return 46; }

static const p1_entry_t *p1_find(const char *name, size_t len) {
  for (size_t i = 0; i < P1_COUNT; i++)
    if (strlen(p1_table[i].name) == len && !memcmp(p1_table[i].name, name, len))
      return &p1_table[i];
  return NULL;
}

static bool sig_matches(const p1_entry_t *e, const lat_wasm_functype_t *t) {
  size_t np = strlen(e->params), nr = strlen(e->results);
  if (t->nparams != np || t->nresults != nr) return false;
  for (size_t i = 0; i < np; i++)
    if (t->params[i] != (e->params[i] == 'I' ? LAT_I64 : LAT_I32)) return false;
  for (size_t i = 0; i < nr; i++)
    if (t->results[i] != (e->results[i] == 'I' ? LAT_I64 : LAT_I32))
      return false;
  return true;
}

static bool is_p1(const lat_wasm_import_t *imp) {
  return imp->module_len == strlen(LAT_WASI_P1_MODULE) &&
         !memcmp(imp->module, LAT_WASI_P1_MODULE, imp->module_len);
}

bool lat_wasi_module_uses_p1(const lat_wasm_module_t *m) {
  uint32_t n = lat_wasm_module_import_count(m);
  for (uint32_t i = 0; i < n; i++) {
    lat_wasm_import_t imp;
    lat_wasm_module_import(m, i, &imp);
    if (is_p1(&imp)) return true;
  }
  return false;
}

/* env of a trap stub: the message it traps with */
static lat_status unknown_import_stub(lat_wasm_caller_t *c, void *env,
                                      uint64_t *slots) {
  (void)slots;
  return lat_wasm_caller_trap(c, LAT_TRAP_HOST, 0, env);
}

static lat_status add_stub(lat_wasi_t *w, lat_wasm_store_t *s,
                           const lat_wasm_import_t *imp, lat_wasm_func_t **out) {
  void **n = lat_realloc(w->stubs, (w->nstubs + 1) * sizeof *n);
  if (!n) return LAT_ENOMEM;
  w->stubs = n;
  char *msg = lat_malloc(600);
  if (!msg) return LAT_ENOMEM;
  snprintf(msg, 600, "unknown import \"%.*s\" \"%.*s\" was called",
           (int)(imp->module_len > 250 ? 250 : imp->module_len), imp->module,
           (int)(imp->name_len > 250 ? 250 : imp->name_len), imp->name);
  w->stubs[w->nstubs++] = msg;
  return lat_wasm_func_new_host(s, imp->type.func, unknown_import_stub, msg,
                                out);
}

static const char *kind_name(uint8_t k) {
  switch (k) {
    case LAT_EXTERN_FUNC: return "function";
    case LAT_EXTERN_TABLE: return "table";
    case LAT_EXTERN_MEMORY: return "memory";
    default: return "global";
  }
}

lat_status lat_wasi_link(lat_wasi_t *w, lat_wasm_store_t *s,
                         lat_wasm_module_t *m, bool trap_unknown,
                         lat_wasm_extern_t **out_imports, lat_error_t *err) {
  uint32_t n = lat_wasm_module_import_count(m);
  lat_wasm_extern_t *ext = lat_calloc(n ? n : 1, sizeof *ext);
  if (!ext) return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  lat_status st = LAT_OK;
  /* one host function per preview-1 name, shared by duplicate imports */
  lat_wasm_func_t *made[P1_COUNT] = {0};
  for (uint32_t i = 0; i < n; i++) {
    lat_wasm_import_t imp;
    lat_wasm_module_import(m, i, &imp);
    int ml = (int)(imp.module_len > 200 ? 200 : imp.module_len);
    int nl = (int)(imp.name_len > 200 ? 200 : imp.name_len);
    ext[i].kind = imp.kind;
    const p1_entry_t *e = (w && is_p1(&imp)) ? p1_find(imp.name, imp.name_len)
                                             : NULL;
    if (e && imp.kind == LAT_EXTERN_FUNC) {
      if (!sig_matches(e, imp.type.func)) {
        st = lat_error_set(err, LAT_EUNLINKABLE, SIZE_MAX,
                           "import \"%.*s\" \"%.*s\" has the wrong type for "
                           "the WASI function (expected (%s) -> (%s))",
                           ml, imp.module, nl, imp.name, e->params, e->results);
        goto fail;
      }
      size_t k = (size_t)(e - p1_table);
      if (!made[k]) {
        lat_wasm_functype_t t;
        uint8_t types[16];
        t.nparams = (uint32_t)strlen(e->params);
        t.nresults = (uint32_t)strlen(e->results);
        for (uint32_t j = 0; j < t.nparams; j++)
          types[j] = e->params[j] == 'I' ? LAT_I64 : LAT_I32;
        for (uint32_t j = 0; j < t.nresults; j++)
          types[t.nparams + j] = LAT_I32;
        t.params = types;
        t.results = types + t.nparams;
        if ((st = lat_wasm_func_new_host(s, &t, e->fn, w, &made[k]))) {
          lat_error_set(err, st, SIZE_MAX, "out of memory");
          goto fail;
        }
      }
      ext[i].of.func = made[k];
      continue;
    }
    if (trap_unknown && imp.kind == LAT_EXTERN_FUNC && w) {
      if ((st = add_stub(w, s, &imp, &ext[i].of.func))) {
        lat_error_set(err, st, SIZE_MAX, "out of memory");
        goto fail;
      }
      continue;
    }
    st = lat_error_set(
        err, LAT_EUNLINKABLE, SIZE_MAX,
        "unknown import: %s \"%.*s\" \"%.*s\" is not provided by the host%s",
        kind_name(imp.kind), ml, imp.module, nl, imp.name,
        imp.kind == LAT_EXTERN_FUNC && !e
            ? " (--trap-unknown-imports lets the program run as long as it "
              "does not call it)"
            : "");
    goto fail;
  }
  *out_imports = ext;
  return LAT_OK;
fail:
  lat_free(ext);
  return st;
}
