/* wasi_fs.c: directory grants and the preview-1 path_* functions, with the
 * sandbox that keeps every path beneath a granted directory.
 *
 * Resolution uses the kernel: openat2(2) with RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS, relative to the granted directory's fd.  The kernel
 * refuses absolute paths, `..` that climbs above the starting directory and
 * symlinks (absolute, relative or chained) whose target leaves it, with
 * EXDEV, which we report as ENOTCAPABLE; /proc magic links are refused too.
 * It does this atomically during the lookup, so a concurrent rename of a
 * directory cannot race a `..` past the check (the kernel retries or fails
 * the lookup), which a user-space walk cannot promise without rechecking
 * every step.  Chosen over the alternative, a component-by-component openat
 * walk with O_NOFOLLOW and our own symlink expansion (what cap-std does on
 * kernels without openat2), because that is a second resolver to get right
 * and it is slower (one syscall per component); Linux >= 5.6 is a fair
 * requirement for a 2026 host, and lat_wasi_preopen_dir fails with a clear
 * message when openat2 is missing rather than running without a sandbox.
 *
 * Operations that act on a name rather than opening it (mkdir, unlink,
 * rename, link, symlink, readlink, stat without follow) split the path: the
 * parent is opened with openat2 as above (O_PATH | O_DIRECTORY), and the
 * *at() call gets only the last component, which is never followed: a
 * symlink named last is acted on itself, and a hard link is made to the
 * symlink, not its target, so neither can reach outside.  A last component
 * of `..` is folded into the parent (".." -> open "x/.." beneath, act on
 * "."), so it is checked like any other step.  Trailing slashes are stripped
 * from the name and checked by us (the target must be a directory, or a
 * symlink whose beneath-resolution is one), because the kernel would follow
 * a symlink before a trailing slash without the beneath rule.
 *
 * Operations that follow the last symlink (path_open and stat/utimes with
 * SYMLINK_FOLLOW) open the whole path with openat2, so the kernel follows
 * and checks.  utimes through a followed path uses the O_PATH fd via
 * /proc/self/fd (futimens refuses O_PATH fds); link with SYMLINK_FOLLOW does
 * the same with linkat(AT_SYMLINK_FOLLOW), which works without privileges. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_int.h"

int lat__wasi_open_beneath(int dirfd, const char *path, int flags,
                           unsigned mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long r;
  int tries = 0;
  do {
    r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    /* EAGAIN: the kernel saw a concurrent rename or mount and gave up */
  } while (r < 0 && (errno == EINTR || (errno == EAGAIN && ++tries < 16)));
  return (int)r;
}

int lat_wasi_open_beneath(int dirfd, const char *path, int flags, unsigned mode) {
  return lat__wasi_open_beneath(dirfd, path, flags, mode);
}

static uint16_t resolve_errno(int e) {
  return e == EXDEV ? P1_ENOTCAPABLE : lat__p1_errno(e);
}

/* A split path: act on `name` relative to `dirfd`. */
typedef struct {
  int dirfd;
  bool own;   /* dirfd must be closed */
  char *name; /* points into path */
  bool slash; /* the path had trailing slashes */
} p1_at_t;

static void at_fini(p1_at_t *at) {
  if (at->own) close(at->dirfd);
  at->own = false;
}

/* path is a mutable copy; at->name points into it. */
static uint16_t resolve_at(int base, char *path, p1_at_t *at) {
  memset(at, 0, sizeof *at);
  size_t len = strlen(path);
  if (!len) return P1_ENOENT;
  if (path[0] == '/') return P1_ENOTCAPABLE;
  while (len > 1 && path[len - 1] == '/') {
    path[--len] = '\0';
    at->slash = true;
  }
  char *last = strrchr(path, '/');
  const char *parent = NULL;
  if (last) {
    *last = '\0';
    parent = path;
    at->name = last + 1;
  } else {
    at->name = path;
  }
  if (!strcmp(at->name, "..")) {
    if (last) *last = '/'; /* parent becomes the whole path */
    parent = path;
    at->name = (char *)".";
  }
  if (!parent) {
    at->dirfd = base;
    return P1_ESUCCESS;
  }
  int h = lat__wasi_open_beneath(base, parent, O_PATH | O_DIRECTORY, 0);
  if (h < 0) return resolve_errno(errno);
  at->dirfd = h;
  at->own = true;
  return P1_ESUCCESS;
}

/* Trailing-slash rule: the name must be (or resolve beneath to) a directory;
 * a missing name is left for the operation to report. */
static uint16_t check_slash(const p1_at_t *at) {
  if (!at->slash) return P1_ESUCCESS;
  struct stat st;
  if (fstatat(at->dirfd, at->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? P1_ESUCCESS : lat__p1_errno(errno);
  if (S_ISDIR(st.st_mode)) return P1_ESUCCESS;
  if (!S_ISLNK(st.st_mode)) return P1_ENOTDIR;
  int h = lat__wasi_open_beneath(at->dirfd, at->name, O_PATH | O_DIRECTORY, 0);
  if (h < 0) return errno == EXDEV ? P1_ENOTCAPABLE : P1_ENOTDIR;
  close(h);
  return P1_ESUCCESS;
}

/* Looks up the directory fd, copies the guest path and splits it. */
static uint16_t begin_at(lat_wasi_t *w, lat_wasm_caller_t *c, uint64_t fd,
                         uint64_t rights, bool mutate, uint64_t ptr,
                         uint64_t len, char **path, p1_at_t *at) {
  lat__p1_fd_t *d;
  uint16_t e = lat__p1_fd_lookup(w, fd, rights, &d);
  if (e) return e;
  if (d->type != P1_FT_DIR) return P1_ENOTDIR;
  if ((e = lat__p1_path(c, ptr, len, path))) return e;
  if (mutate && d->readonly) e = P1_EROFS;
  if (!e) e = resolve_at(d->host, *path, at);
  if (e) {
    lat_free(*path);
    *path = NULL;
  }
  return e;
}

/* ---- grants -------------------------------------------------------------- */

lat_status lat_wasi_preopen_dir(lat_wasi_t *w, const char *host_path,
                                const char *guest_path, bool readonly,
                                lat_error_t *err) {
  int h = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (h < 0)
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot open directory %s: %s",
                         host_path, strerror(errno));
  int probe = lat__wasi_open_beneath(h, ".", O_PATH | O_DIRECTORY, 0);
  if (probe < 0) {
    int e = errno;
    close(h);
    if (e == ENOSYS)
      return lat_error_set(err, LAT_EUNSUPPORTED, SIZE_MAX,
                           "the kernel lacks openat2 (Linux 5.6 or newer is "
                           "needed to sandbox directory grants)");
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot use directory %s: %s",
                         host_path, strerror(e));
  }
  close(probe);
  char *name = lat_strndup(guest_path, strlen(guest_path));
  if (!name) {
    close(h);
    return lat_error_set(err, LAT_ENOMEM, SIZE_MAX, "out of memory");
  }
  uint32_t fd;
  if (lat__p1_fd_insert(w, h, P1_FT_DIR, R_DIR, R_DIR | R_FILE, readonly,
                        &fd)) {
    lat_free(name);
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "too many open files");
  }
  w->fds[fd].preopen = true;
  w->fds[fd].guest_name = name;
  w->last_fd = (int)fd;
  return LAT_OK;
}

/* ---- path_* ---------------------------------------------------------------- */

lat_status lat__p1_path_create_directory(lat_wasi_t *w, lat_wasm_caller_t *c,
                                         uint64_t *slots) {
  char *path;
  p1_at_t at;
  uint16_t e = begin_at(w, c, slots[0], R_PATH_CREATE_DIRECTORY, true,
                        slots[1], slots[2], &path, &at);
  if (e) P1_RET(e);
  if (mkdirat(at.dirfd, at.name, 0777) != 0) e = lat__p1_errno(errno);
  at_fini(&at);
  lat_free(path);
  P1_RET(e);
}

lat_status lat__p1_path_remove_directory(lat_wasi_t *w, lat_wasm_caller_t *c,
                                         uint64_t *slots) {
  char *path;
  p1_at_t at;
  uint16_t e = begin_at(w, c, slots[0], R_PATH_REMOVE_DIRECTORY, true,
                        slots[1], slots[2], &path, &at);
  if (e) P1_RET(e);
  if (unlinkat(at.dirfd, at.name, AT_REMOVEDIR) != 0) e = lat__p1_errno(errno);
  at_fini(&at);
  lat_free(path);
  P1_RET(e);
}

lat_status lat__p1_path_unlink_file(lat_wasi_t *w, lat_wasm_caller_t *c,
                                    uint64_t *slots) {
  char *path;
  p1_at_t at;
  uint16_t e = begin_at(w, c, slots[0], R_PATH_UNLINK_FILE, true, slots[1],
                        slots[2], &path, &at);
  if (e) P1_RET(e);
  if (at.slash) {
    /* "x/" names a directory (EISDIR) or nothing that can be unlinked */
    struct stat st;
    if (fstatat(at.dirfd, at.name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      e = lat__p1_errno(errno);
    else
      e = S_ISDIR(st.st_mode) ? P1_EISDIR : P1_ENOTDIR;
  } else if (unlinkat(at.dirfd, at.name, 0) != 0) {
    e = lat__p1_errno(errno);
  }
  at_fini(&at);
  lat_free(path);
  P1_RET(e);
}

/* stat or utimes: follow means the whole path is opened beneath. */
static uint16_t open_followed(lat_wasi_t *w, lat_wasm_caller_t *c,
                              uint64_t fd, uint64_t rights, bool mutate,
                              uint64_t ptr, uint64_t len, int *out) {
  lat__p1_fd_t *d;
  uint16_t e = lat__p1_fd_lookup(w, fd, rights, &d);
  if (e) return e;
  if (d->type != P1_FT_DIR) return P1_ENOTDIR;
  if (mutate && d->readonly) return P1_EROFS;
  char *path;
  if ((e = lat__p1_path(c, ptr, len, &path))) return e;
  if (!path[0]) e = P1_ENOENT;
  else if (path[0] == '/') e = P1_ENOTCAPABLE;
  else if ((*out = lat__wasi_open_beneath(d->host, path, O_PATH, 0)) < 0)
    e = resolve_errno(errno);
  lat_free(path);
  return e;
}

lat_status lat__p1_path_filestat_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                                     uint64_t *slots) {
  uint64_t fd = slots[0], flags = slots[1], ptr = slots[2], len = slots[3];
  uint64_t out = slots[4];
  struct stat st;
  uint16_t e;
  if (flags & P1_LOOKUP_SYMLINK_FOLLOW) {
    int h;
    if ((e = open_followed(w, c, fd, R_PATH_FILESTAT_GET, false, ptr, len, &h)))
      P1_RET(e);
    int r = fstat(h, &st);
    int saved = errno;
    close(h);
    if (r != 0) P1_RET(lat__p1_errno(saved));
  } else {
    char *path;
    p1_at_t at;
    if ((e = begin_at(w, c, fd, R_PATH_FILESTAT_GET, false, ptr, len, &path,
                      &at)))
      P1_RET(e);
    if (at.slash) {
      /* "link/" means the directory the link names: follow, beneath */
      int h =
          lat__wasi_open_beneath(at.dirfd, at.name, O_PATH | O_DIRECTORY, 0);
      if (h < 0) e = resolve_errno(errno);
      else {
        if (fstat(h, &st) != 0) e = lat__p1_errno(errno);
        close(h);
      }
    } else if (fstatat(at.dirfd, at.name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      e = lat__p1_errno(errno);
    }
    at_fini(&at);
    lat_free(path);
    if (e) P1_RET(e);
  }
  P1_RET(lat__p1_put_filestat(c, out, &st));
}

lat_status lat__p1_path_filestat_set_times(lat_wasi_t *w, lat_wasm_caller_t *c,
                                           uint64_t *slots) {
  uint64_t fd = slots[0], flags = slots[1], ptr = slots[2], len = slots[3];
  struct timespec ts[2];
  uint16_t e = lat__p1_times(slots[4], slots[5], slots[6], ts);
  if (e) P1_RET(e);
  if (flags & P1_LOOKUP_SYMLINK_FOLLOW) {
    int h;
    if ((e = open_followed(w, c, fd, R_PATH_FILESTAT_SET_TIMES, true, ptr, len,
                           &h)))
      P1_RET(e);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", h);
    if (utimensat(AT_FDCWD, proc, ts, 0) != 0) e = lat__p1_errno(errno);
    close(h);
    P1_RET(e);
  }
  char *path;
  p1_at_t at;
  if ((e = begin_at(w, c, fd, R_PATH_FILESTAT_SET_TIMES, true, ptr, len, &path,
                    &at)))
    P1_RET(e);
  if (!(e = check_slash(&at)) &&
      utimensat(at.dirfd, at.name, ts, AT_SYMLINK_NOFOLLOW) != 0)
    e = lat__p1_errno(errno);
  at_fini(&at);
  lat_free(path);
  P1_RET(e);
}

lat_status lat__p1_path_readlink(lat_wasi_t *w, lat_wasm_caller_t *c,
                                 uint64_t *slots) {
  char *path;
  p1_at_t at;
  uint64_t buf = slots[3], len = slots[4], used = slots[5];
  uint16_t e = begin_at(w, c, slots[0], R_PATH_READLINK, false, slots[1],
                        slots[2], &path, &at);
  if (e) P1_RET(e);
  if (at.slash) e = P1_ENOTDIR;
  uint8_t *p = p1_range(p1_mem(c), buf, len);
  if (!e && (!p || !p1_range(p1_mem(c), used, 4))) e = P1_EFAULT;
  if (!e) {
    ssize_t n = readlinkat(at.dirfd, at.name, (char *)p, len);
    if (n < 0) e = lat__p1_errno(errno);
    else lat__p1_put32(c, used, (uint32_t)n); /* truncated like POSIX */
  }
  at_fini(&at);
  lat_free(path);
  P1_RET(e);
}

lat_status lat__p1_path_symlink(lat_wasi_t *w, lat_wasm_caller_t *c,
                                uint64_t *slots) {
  char *target, *path;
  p1_at_t at;
  /* The link's content is only stored, and following it later inside the
   * sandbox is checked; but an absolute target is refused (EPERM, as in
   * wasmtime/cap-std and the wasi-filesystem path-resolution rules): a host
   * process that follows the link later would leave the grant. */
  uint16_t e = lat__p1_path(c, slots[0], slots[1], &target);
  if (e) P1_RET(e);
  if (target[0] == '/') {
    lat_free(target);
    P1_RET(P1_EPERM);
  }
  if ((e = begin_at(w, c, slots[2], R_PATH_SYMLINK, true, slots[3], slots[4],
                    &path, &at))) {
    lat_free(target);
    P1_RET(e);
  }
  if (at.slash) e = P1_ENOENT;
  else if (symlinkat(target, at.dirfd, at.name) != 0) e = lat__p1_errno(errno);
  at_fini(&at);
  lat_free(path);
  lat_free(target);
  P1_RET(e);
}

lat_status lat__p1_path_link(lat_wasi_t *w, lat_wasm_caller_t *c,
                             uint64_t *slots) {
  uint64_t ofd = slots[0], oflags = slots[1], nfd = slots[4];
  char *opath = NULL, *npath = NULL;
  p1_at_t oat = {0}, nat = {0};
  uint16_t e = begin_at(w, c, nfd, R_PATH_LINK_TARGET, true, slots[5],
                        slots[6], &npath, &nat);
  if (e) P1_RET(e);
  if (nat.slash) {
    e = P1_ENOENT;
    goto done;
  }
  if (oflags & P1_LOOKUP_SYMLINK_FOLLOW) {
    int h;
    if ((e = open_followed(w, c, ofd, R_PATH_LINK_SOURCE, false, slots[2],
                           slots[3], &h)))
      goto done;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", h);
    if (linkat(AT_FDCWD, proc, nat.dirfd, nat.name, AT_SYMLINK_FOLLOW) != 0)
      e = lat__p1_errno(errno);
    close(h);
    goto done;
  }
  if ((e = begin_at(w, c, ofd, R_PATH_LINK_SOURCE, false, slots[2], slots[3],
                    &opath, &oat)))
    goto done;
  if (oat.slash) e = P1_ENOTDIR; /* hard links to directories: never */
  else if (linkat(oat.dirfd, oat.name, nat.dirfd, nat.name, 0) != 0)
    e = lat__p1_errno(errno);
done:
  at_fini(&oat);
  at_fini(&nat);
  lat_free(opath);
  lat_free(npath);
  P1_RET(e);
}

lat_status lat__p1_path_rename(lat_wasi_t *w, lat_wasm_caller_t *c,
                               uint64_t *slots) {
  char *opath = NULL, *npath = NULL;
  p1_at_t oat = {0}, nat = {0};
  uint16_t e = begin_at(w, c, slots[0], R_PATH_RENAME_SOURCE, true, slots[1],
                        slots[2], &opath, &oat);
  if (e) P1_RET(e);
  if ((e = begin_at(w, c, slots[3], R_PATH_RENAME_TARGET, true, slots[4],
                    slots[5], &npath, &nat)))
    goto done;
  if (!strcmp(oat.name, ".") || !strcmp(nat.name, ".")) {
    e = P1_EBUSY; /* renaming "." or ".." */
    goto done;
  }
  if (oat.slash || nat.slash) {
    /* trailing slashes: the source must be a directory */
    struct stat st;
    if (fstatat(oat.dirfd, oat.name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      e = lat__p1_errno(errno);
      goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
      e = P1_ENOTDIR;
      goto done;
    }
  }
  if (renameat(oat.dirfd, oat.name, nat.dirfd, nat.name) != 0)
    e = lat__p1_errno(errno);
done:
  at_fini(&oat);
  at_fini(&nat);
  lat_free(opath);
  lat_free(npath);
  P1_RET(e);
}

lat_status lat__p1_path_open(lat_wasi_t *w, lat_wasm_caller_t *c,
                             uint64_t *slots) {
  uint64_t fd = slots[0], dirflags = slots[1], ptr = slots[2], len = slots[3];
  uint64_t oflags = slots[4], base = slots[5], inh = slots[6];
  uint64_t fdflags = slots[7], out = slots[8];
  if ((oflags & ~(uint64_t)0xf) || (fdflags & ~(uint64_t)0x1f))
    P1_RET(P1_EINVAL);
  uint64_t need = R_PATH_OPEN;
  if (oflags & P1_O_CREAT) need |= R_PATH_CREATE_FILE;
  if (oflags & P1_O_TRUNC) need |= R_PATH_FILESTAT_SET_SIZE;
  lat__p1_fd_t *d;
  uint16_t e = lat__p1_fd_lookup(w, fd, need, &d);
  if (e) P1_RET(e);
  if (d->type != P1_FT_DIR) P1_RET(P1_ENOTDIR);
  /* an fd never gets more than its directory may hand down */
  base &= d->inheriting;
  inh &= d->inheriting;
  bool rd = base & (R_FD_READ | R_FD_READDIR);
  bool wr = (base & (R_FD_DATASYNC | R_FD_WRITE | R_FD_ALLOCATE |
                     R_FD_FILESTAT_SET_SIZE)) ||
            (fdflags & P1_FDFL_APPEND);
  if (d->readonly && (wr || (oflags & (P1_O_CREAT | P1_O_TRUNC))))
    P1_RET(P1_EROFS);
  int flags = O_NOCTTY;
  if (oflags & P1_O_DIRECTORY) {
    flags |= O_DIRECTORY | O_RDONLY;
    if (wr) P1_RET(P1_EISDIR);
  } else {
    flags |= (rd && wr) ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
  }
  if (oflags & P1_O_CREAT) flags |= O_CREAT;
  if (oflags & P1_O_EXCL) flags |= O_EXCL;
  if (oflags & P1_O_TRUNC) flags |= O_TRUNC;
  if (fdflags & P1_FDFL_APPEND) flags |= O_APPEND;
  if (fdflags & P1_FDFL_NONBLOCK) flags |= O_NONBLOCK;
  if (fdflags & P1_FDFL_DSYNC) flags |= O_DSYNC;
  if (fdflags & (P1_FDFL_SYNC | P1_FDFL_RSYNC)) flags |= O_SYNC;
  if (!(dirflags & P1_LOOKUP_SYMLINK_FOLLOW)) flags |= O_NOFOLLOW;
  if (!p1_range(p1_mem(c), out, 4)) P1_RET(P1_EFAULT);
  char *path;
  if ((e = lat__p1_path(c, ptr, len, &path))) P1_RET(e);
  int h = -1;
  if (!path[0]) e = P1_ENOENT;
  else if (path[0] == '/') e = P1_ENOTCAPABLE;
  else if ((h = lat__wasi_open_beneath(d->host, path, flags, 0666)) < 0)
    e = resolve_errno(errno);
  lat_free(path);
  if (e) P1_RET(e);
  struct stat st;
  if (fstat(h, &st) != 0) {
    e = lat__p1_errno(errno);
    close(h);
    P1_RET(e);
  }
  uint8_t type = lat__p1_filetype(st.st_mode);
  uint64_t mask = type == P1_FT_DIR ? R_DIR
                  : type == P1_FT_STREAM ? R_SOCK
                  : type == P1_FT_CHAR ? R_TTY | R_FD_SEEK | R_FD_TELL
                                        : R_FILE;
  bool ro = d->readonly;
  uint32_t nfd;
  if ((e = lat__p1_fd_insert(w, h, type, base & mask, inh, ro, &nfd)))
    P1_RET(e);
  if (fdflags & P1_FDFL_RSYNC) w->fds[nfd].extra_flags = P1_FDFL_RSYNC;
  lat__p1_put32(c, out, nfd);
  P1_RET(P1_ESUCCESS);
}
