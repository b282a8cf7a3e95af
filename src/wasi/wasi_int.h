/* wasi_int.h: private to src/wasi.  The preview-1 ABI constants (values and
 * struct layouts of wasm32 `wasi_snapshot_preview1`, as in witx), the
 * context and fd table, and the guest-memory helpers every host function
 * uses.
 *
 * Guest memory discipline: a host function receives offsets from the guest.
 * Each (offset, length) is checked in 64-bit arithmetic against the current
 * memory size (p1_range) before any host pointer is formed, and pointers are
 * formed late, after every check of that call and after any blocking system
 * call that does not write into guest memory.  No pointer into guest memory
 * is kept past the host function's return. */
#ifndef LAT_WASI_INT_H
#define LAT_WASI_INT_H

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "wasi.h"

/* ---- errno ------------------------------------------------------------- */
enum {
  P1_ESUCCESS = 0, P1_E2BIG = 1, P1_EACCES = 2, P1_EADDRINUSE = 3,
  P1_EADDRNOTAVAIL = 4, P1_EAFNOSUPPORT = 5, P1_EAGAIN = 6, P1_EALREADY = 7,
  P1_EBADF = 8, P1_EBADMSG = 9, P1_EBUSY = 10, P1_ECANCELED = 11,
  P1_ECHILD = 12, P1_ECONNABORTED = 13, P1_ECONNREFUSED = 14,
  P1_ECONNRESET = 15, P1_EDEADLK = 16, P1_EDESTADDRREQ = 17, P1_EDOM = 18,
  P1_EDQUOT = 19, P1_EEXIST = 20, P1_EFAULT = 21, P1_EFBIG = 22,
  P1_EHOSTUNREACH = 23, P1_EIDRM = 24, P1_EILSEQ = 25, P1_EINPROGRESS = 26,
  P1_EINTR = 27, P1_EINVAL = 28, P1_EIO = 29, P1_EISCONN = 30,
  P1_EISDIR = 31, P1_ELOOP = 32, P1_EMFILE = 33, P1_EMLINK = 34,
  P1_EMSGSIZE = 35, P1_EMULTIHOP = 36, P1_ENAMETOOLONG = 37,
  P1_ENETDOWN = 38, P1_ENETRESET = 39, P1_ENETUNREACH = 40, P1_ENFILE = 41,
  P1_ENOBUFS = 42, P1_ENODEV = 43, P1_ENOENT = 44, P1_ENOEXEC = 45,
  P1_ENOLCK = 46, P1_ENOLINK = 47, P1_ENOMEM = 48, P1_ENOMSG = 49,
  P1_ENOPROTOOPT = 50, P1_ENOSPC = 51, P1_ENOSYS = 52, P1_ENOTCONN = 53,
  P1_ENOTDIR = 54, P1_ENOTEMPTY = 55, P1_ENOTRECOVERABLE = 56,
  P1_ENOTSOCK = 57, P1_ENOTSUP = 58, P1_ENOTTY = 59, P1_ENXIO = 60,
  P1_EOVERFLOW = 61, P1_EOWNERDEAD = 62, P1_EPERM = 63, P1_EPIPE = 64,
  P1_EPROTO = 65, P1_EPROTONOSUPPORT = 66, P1_EPROTOTYPE = 67,
  P1_ERANGE = 68, P1_EROFS = 69, P1_ESPIPE = 70, P1_ESRCH = 71,
  P1_ESTALE = 72, P1_ETIMEDOUT = 73, P1_ETXTBSY = 74, P1_EXDEV = 75,
  P1_ENOTCAPABLE = 76,
};

/* ---- enums and flags ----------------------------------------------------- */
enum {
  P1_FT_UNKNOWN = 0, P1_FT_BLOCK = 1, P1_FT_CHAR = 2, P1_FT_DIR = 3,
  P1_FT_FILE = 4, P1_FT_DGRAM = 5, P1_FT_STREAM = 6, P1_FT_SYMLINK = 7,
};
enum { P1_FDFL_APPEND = 1, P1_FDFL_DSYNC = 2, P1_FDFL_NONBLOCK = 4,
       P1_FDFL_RSYNC = 8, P1_FDFL_SYNC = 16 };
enum { P1_O_CREAT = 1, P1_O_DIRECTORY = 2, P1_O_EXCL = 4, P1_O_TRUNC = 8 };
enum { P1_LOOKUP_SYMLINK_FOLLOW = 1 };
enum { P1_FST_ATIM = 1, P1_FST_ATIM_NOW = 2, P1_FST_MTIM = 4,
       P1_FST_MTIM_NOW = 8 };
enum { P1_CLOCK_REALTIME = 0, P1_CLOCK_MONOTONIC = 1, P1_CLOCK_PROCESS = 2,
       P1_CLOCK_THREAD = 3 };
enum { P1_EV_CLOCK = 0, P1_EV_FD_READ = 1, P1_EV_FD_WRITE = 2 };
enum { P1_SUBCLOCK_ABSTIME = 1 };
enum { P1_EVRW_HANGUP = 1 };
enum { P1_RI_PEEK = 1, P1_RI_WAITALL = 2 };
enum { P1_RO_TRUNCATED = 1 };
enum { P1_SD_RD = 1, P1_SD_WR = 2 };

/* rights */
#define R_FD_DATASYNC (1ull << 0)
#define R_FD_READ (1ull << 1)
#define R_FD_SEEK (1ull << 2)
#define R_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define R_FD_SYNC (1ull << 4)
#define R_FD_TELL (1ull << 5)
#define R_FD_WRITE (1ull << 6)
#define R_FD_ADVISE (1ull << 7)
#define R_FD_ALLOCATE (1ull << 8)
#define R_PATH_CREATE_DIRECTORY (1ull << 9)
#define R_PATH_CREATE_FILE (1ull << 10)
#define R_PATH_LINK_SOURCE (1ull << 11)
#define R_PATH_LINK_TARGET (1ull << 12)
#define R_PATH_OPEN (1ull << 13)
#define R_FD_READDIR (1ull << 14)
#define R_PATH_READLINK (1ull << 15)
#define R_PATH_RENAME_SOURCE (1ull << 16)
#define R_PATH_RENAME_TARGET (1ull << 17)
#define R_PATH_FILESTAT_GET (1ull << 18)
#define R_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define R_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define R_FD_FILESTAT_GET (1ull << 21)
#define R_FD_FILESTAT_SET_SIZE (1ull << 22)
#define R_FD_FILESTAT_SET_TIMES (1ull << 23)
#define R_PATH_SYMLINK (1ull << 24)
#define R_PATH_REMOVE_DIRECTORY (1ull << 25)
#define R_PATH_UNLINK_FILE (1ull << 26)
#define R_POLL_FD_READWRITE (1ull << 27)
#define R_SOCK_SHUTDOWN (1ull << 28)
#define R_SOCK_ACCEPT (1ull << 29)
#define R_ALL ((1ull << 30) - 1)

/* what a regular file, a directory, a socket and a tty can be asked for */
#define R_FILE                                                             \
  (R_FD_DATASYNC | R_FD_READ | R_FD_SEEK | R_FD_FDSTAT_SET_FLAGS |         \
   R_FD_SYNC | R_FD_TELL | R_FD_WRITE | R_FD_ADVISE | R_FD_ALLOCATE |      \
   R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_SIZE | R_FD_FILESTAT_SET_TIMES |  \
   R_POLL_FD_READWRITE)
#define R_DIR                                                              \
  (R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_ADVISE |                       \
   R_PATH_CREATE_DIRECTORY | R_PATH_CREATE_FILE | R_PATH_LINK_SOURCE |     \
   R_PATH_LINK_TARGET | R_PATH_OPEN | R_FD_READDIR | R_PATH_READLINK |     \
   R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET | R_PATH_FILESTAT_GET |     \
   R_PATH_FILESTAT_SET_SIZE | R_PATH_FILESTAT_SET_TIMES |                  \
   R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_TIMES | R_PATH_SYMLINK |           \
   R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE | R_POLL_FD_READWRITE)
#define R_SOCK                                                             \
  (R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET |    \
   R_POLL_FD_READWRITE | R_SOCK_SHUTDOWN | R_SOCK_ACCEPT)
#define R_TTY                                                              \
  (R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET |    \
   R_POLL_FD_READWRITE)
/* rights whose use changes what is stored: refused under a read-only grant */
#define R_MUTATE                                                           \
  (R_FD_DATASYNC | R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE)

/* ---- limits -------------------------------------------------------------- */
#define P1_MAX_FDS 4096u      /* EMFILE past this */
#define P1_MAX_IOVS 1024u     /* IOV_MAX */
#define P1_MAX_SUBS 4096u     /* poll_oneoff subscriptions */
#define P1_MAX_PATH 4096u     /* ENAMETOOLONG past this */

/* ---- the context ----------------------------------------------------------- */
typedef struct {
  int host;              /* host fd; -1 = free slot */
  uint8_t type;          /* P1_FT_* */
  bool preopen;          /* a granted directory (has guest_name) */
  bool readonly;         /* under a read-only grant */
  bool borrowed;         /* host fd not ours (stdio): never closed */
  bool untyped;          /* stdio: type and rights not yet read (fstat on
                            first lookup, see lat__p1_fd_get) */
  uint16_t extra_flags;  /* fdflags Linux cannot report back (RSYNC) */
  uint64_t rights;       /* base rights */
  uint64_t inheriting;   /* rights for fds opened through this one */
  char *guest_name;      /* preopens: the guest path (owned) */
  DIR *dir;              /* readdir stream, opened on first fd_readdir */
  uint64_t dir_next;     /* cookie of the entry dir will return next */
} lat__p1_fd_t;

struct lat_wasi {
  char **argv;           /* owned copies */
  size_t argc;
  size_t argv_bytes;     /* sum of strlen + 1 */
  char **env;
  size_t envc;
  size_t env_bytes;
  lat__p1_fd_t *fds;     /* index = guest fd */
  uint32_t nfds;         /* slots in use or free, <= cap */
  uint32_t cap;
  int last_fd;           /* fd of the last grant */
  uint64_t deadline_ns;
  atomic_bool interrupted; /* lat_wasi_interrupt: blocking waits trap */
  uint64_t first_call_ns;
  void **stubs;          /* envs of unknown-import trap stubs (owned) */
  size_t nstubs;
};

/* ---- host function plumbing ------------------------------------------------ */
/* Every preview-1 host function has this shape: slots as in wasm.h, returns
 * LAT_OK (with an errno in slots[0]) or LAT_TRAP. */
typedef lat_status (*lat__p1_fn)(lat_wasi_t *w, lat_wasm_caller_t *c,
                                 uint64_t *slots);

/* Guest memory of the calling instance, or NULL. */
static inline lat_wasm_memory_t *p1_mem(lat_wasm_caller_t *c) {
  return lat_wasm_caller_memory(c, 0);
}
/* Host pointer for guest range [off, off+len), or NULL if out of bounds.
 * off and len are guest u32s widened to 64 bits: no overflow possible. */
static inline uint8_t *p1_range(lat_wasm_memory_t *m, uint64_t off,
                                uint64_t len) {
  if (!m || off + len > lat_wasm_memory_size(m)) return NULL;
  return lat_wasm_memory_data(m) + off;
}
static inline uint32_t p1_ld32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static inline uint64_t p1_ld64(const uint8_t *p) {
  return (uint64_t)p1_ld32(p) | (uint64_t)p1_ld32(p + 4) << 32;
}
static inline uint16_t p1_ld16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static inline void p1_st16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void p1_st32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void p1_st64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
/* Stores a u32/u64 result at guest offset off: false when out of bounds. */
bool lat__p1_put32(lat_wasm_caller_t *c, uint64_t off, uint32_t v);
bool lat__p1_put64(lat_wasm_caller_t *c, uint64_t off, uint64_t v);

/* Linux errno -> preview-1 errno. */
uint16_t lat__p1_errno(int e);

/* The sandbox primitive (wasi_fs.c), shared by preview 1 and 0.2: openat2
 * of path beneath dirfd with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
 * O_CLOEXEC added, retried on EINTR/EAGAIN.  Returns the fd, or -1 with
 * errno (EXDEV for an escape). */
int lat__wasi_open_beneath(int dirfd, const char *path, int flags,
                           unsigned mode);

/* fd table (wasi_p1.c) */
/* The entry for guest fd, or NULL (EBADF).  Every lookup goes through here,
 * so a stdio entry gets its type and rights here, on first use. */
lat__p1_fd_t *lat__p1_fd_get(lat_wasi_t *w, uint64_t fd);
/* Checks fd and rights: P1_ESUCCESS with *out set, or EBADF/ENOTCAPABLE. */
uint16_t lat__p1_fd_lookup(lat_wasi_t *w, uint64_t fd, uint64_t rights,
                           lat__p1_fd_t **out);
/* Takes the lowest free guest fd for host fd h (owned).  On failure closes h
 * and returns an errno. */
uint16_t lat__p1_fd_insert(lat_wasi_t *w, int h, uint8_t type, uint64_t rights,
                           uint64_t inheriting, bool readonly,
                           uint32_t *out_fd);
void lat__p1_fd_release(lat__p1_fd_t *f); /* closes and frees a slot */
uint8_t lat__p1_filetype(unsigned st_mode);

/* Writes a preview-1 filestat for st at guest offset off (wasi_fd.c). */
struct stat;
struct timespec;
uint16_t lat__p1_put_filestat(lat_wasm_caller_t *c, uint64_t off,
                              const struct stat *st);
/* utimensat times from preview-1 (atim, mtim, fst_flags) (wasi_fd.c). */
uint16_t lat__p1_times(uint64_t atim, uint64_t mtim, uint64_t fl,
                       struct timespec ts[2]);

/* Copies a guest path into a new NUL-terminated host string.  P1_ESUCCESS,
 * EFAULT (bounds), EILSEQ (not UTF-8 or contains NUL), ENAMETOOLONG. */
uint16_t lat__p1_path(lat_wasm_caller_t *c, uint64_t ptr, uint64_t len,
                      char **out);

/* Sleeps/waits helpers (wasi_poll.c): waits until host fd h is readable or
 * the context's deadline.  true when ready, false when the deadline passed. */
bool lat__p1_wait_readable(lat_wasi_t *w, int h);
/* wasi_fd.c: the guest iovec array (buf u32, len u32 pairs) as host iovecs,
 * each range checked; *out is `local` (LAT__P1_STACK_IOVS entries) or a
 * heap array the caller frees when it is not local.  A p1 errno. */
#define LAT__P1_STACK_IOVS 16u
uint16_t lat__p1_get_iovs(lat_wasm_caller_t *c, uint64_t iovs, uint64_t n,
                          struct iovec *local, struct iovec **out);
/* Traps the caller with LAT_TRAP_DEADLINE. */
lat_status lat__p1_deadline_trap(lat_wasm_caller_t *c);

/* The functions, grouped by file (each takes the signature above). */
#define LAT__P1_FD_FUNCS(X)                                                    \
  X(fd_advise, "iIIi", "i") X(fd_allocate, "iII", "i") X(fd_close, "i", "i")   \
  X(fd_datasync, "i", "i") X(fd_fdstat_get, "ii", "i")                         \
  X(fd_fdstat_set_flags, "ii", "i") X(fd_fdstat_set_rights, "iII", "i")        \
  X(fd_filestat_get, "ii", "i") X(fd_filestat_set_size, "iI", "i")             \
  X(fd_filestat_set_times, "iIIi", "i") X(fd_pread, "iiiIi", "i")              \
  X(fd_prestat_get, "ii", "i") X(fd_prestat_dir_name, "iii", "i")              \
  X(fd_pwrite, "iiiIi", "i") X(fd_read, "iiii", "i")                           \
  X(fd_readdir, "iiiIi", "i") X(fd_renumber, "ii", "i")                        \
  X(fd_seek, "iIii", "i") X(fd_sync, "i", "i") X(fd_tell, "ii", "i")           \
  X(fd_write, "iiii", "i")
#define LAT__P1_PATH_FUNCS(X)                                                  \
  X(path_create_directory, "iii", "i") X(path_filestat_get, "iiiii", "i")      \
  X(path_filestat_set_times, "iiiiIIi", "i") X(path_link, "iiiiiii", "i")      \
  X(path_open, "iiiiiIIii", "i") X(path_readlink, "iiiiii", "i")               \
  X(path_remove_directory, "iii", "i") X(path_rename, "iiiiii", "i")           \
  X(path_symlink, "iiiii", "i") X(path_unlink_file, "iii", "i")
#define LAT__P1_POLL_FUNCS(X)                                                  \
  X(poll_oneoff, "iiii", "i") X(sock_accept, "iii", "i")                       \
  X(sock_recv, "iiiiii", "i") X(sock_send, "iiiii", "i")                       \
  X(sock_shutdown, "ii", "i")
#define LAT__P1_MISC_FUNCS(X)                                                  \
  X(args_get, "ii", "i") X(args_sizes_get, "ii", "i")                          \
  X(environ_get, "ii", "i") X(environ_sizes_get, "ii", "i")                    \
  X(clock_res_get, "ii", "i") X(clock_time_get, "iIi", "i")                    \
  X(proc_exit, "i", "") X(proc_raise, "i", "i") X(sched_yield, "", "i")        \
  X(random_get, "ii", "i")

#define LAT__P1_DECL(name, params, results)                                    \
  lat_status lat__p1_##name(lat_wasi_t *w, lat_wasm_caller_t *c,               \
                            uint64_t *slots);
LAT__P1_FD_FUNCS(LAT__P1_DECL)
LAT__P1_PATH_FUNCS(LAT__P1_DECL)
LAT__P1_POLL_FUNCS(LAT__P1_DECL)
LAT__P1_MISC_FUNCS(LAT__P1_DECL)
#undef LAT__P1_DECL

/* Returns errno e from a host function. */
#define P1_RET(e)                                                              \
  do {                                                                         \
    slots[0] = (uint16_t)(e);                                                  \
    return LAT_OK;                                                             \
  } while (0)

#endif
