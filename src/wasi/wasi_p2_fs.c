/* wasi_p2_fs.c: wasi:filesystem (types, preopens) for the WASI 0.2 host.
 *
 * The sandbox is preview 1's (wasi_fs.c): every path is resolved by the
 * kernel with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to
 * a descriptor that descends from a granted directory, so absolute paths,
 * `..` above the grant and symlinks leaving it fail (EXDEV, reported as
 * not-permitted).  Operations on a name (mkdir, unlink, rename, link,
 * symlink, readlink, stat without follow) open the parent that way and act
 * on the last component only, which is never followed; a last component
 * of "." or ".." is refused (invalid) rather than folded.  Read-only grants
 * are inherited by everything opened below them and refuse every mutation
 * (read-only).  The small openat2 helper is repeated here rather than
 * exported from wasi_fs.c, which belongs to the preview-1 host; the rule it
 * applies is the same.
 *
 * Streams made from a descriptor get their own dup of its fd, so dropping
 * the descriptor first does not break them (the adapter in jco's
 * wasi_snapshot_preview1 does that), and directory listings open "." again
 * so they have their own position.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_p2.h"


enum { EC_ACCESS = 0, EC_BADF = 3, EC_EXIST = 7, EC_INVAL = 12, EC_IO = 13,
       EC_NOENT = 20, EC_NOTDIR = 24, EC_NOTSUP = 27, EC_PERM = 31, EC_ROFS = 33 };
enum { DF_READ = 1, DF_WRITE = 2, DF_MUTATE = 32 };
enum { OF_CREATE = 1, OF_DIRECTORY = 2, OF_EXCL = 4, OF_TRUNC = 8 };

uint32_t lat__p2_fs_errno(int e) {
  switch (e) {
  case EACCES: return 0;
  case EAGAIN: return 1;
  case EALREADY: return 2;
  case EBADF: return 3;
  case EBUSY: return 4;
  case EDEADLK: return 5;
  case EDQUOT: return 6;
  case EEXIST: return 7;
  case EFBIG: return 8;
  case EILSEQ: return 9;
  case EINPROGRESS: return 10;
  case EINTR: return 11;
  case EINVAL: return 12;
  case EIO: return 13;
  case EISDIR: return 14;
  case ELOOP: return 15;
  case EMLINK: return 16;
  case EMSGSIZE: return 17;
  case ENAMETOOLONG: return 18;
  case ENODEV: return 19;
  case ENOENT: return 20;
  case ENOLCK: return 21;
  case ENOMEM: return 22;
  case ENOSPC: return 23;
  case ENOTDIR: return 24;
  case ENOTEMPTY: return 25;
  case ENOTRECOVERABLE: return 26;
  case ENOTSUP: return 27;
  case ENOTTY: return 28;
  case ENXIO: return 29;
  case EOVERFLOW: return 30;
  case EPERM: return 31;
  case EXDEV: return 31; /* a path leaving the grant */
  case EPIPE: return 32;
  case EROFS: return 33;
  case ESPIPE: return 34;
  case ETXTBSY: return 35;
  default: return EC_IO;
  }
}

static lat_status fs_err(lat_chost_call_t *c, lat_cval_t *r, uint32_t code) {
  lat_cval_t *e = lat__p2_enum(AR, code);
  if (!e) return OOM();
  lat__p2_result(r, true, e);
  return LAT_OK;
}

static lat_status fs_ok(lat_chost_call_t *c, lat_cval_t *r, lat_cval_t *v) {
  (void)c;
  lat__p2_result(r, false, v);
  return LAT_OK;
}

static lat__p2_obj_t *desc(lat_chost_call_t *c, const lat_cval_t *h) {
  return lat__p2_get(P2, h->of.handle.rep, P2_DESC);
}

#define DESC_OR_TRAP(o, h)                                                       \
  lat__p2_obj_t *o = desc(c, h);                                                 \
  if (!o) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "unknown descriptor")

/* A guest path as a C string: NULL (invalid) when it holds a NUL. */
static char *cpath(lat_chost_call_t *c, const lat_cval_t *s) {
  if (memchr(s->of.str.ptr, 0, s->of.str.len) || s->of.str.len > P1_MAX_PATH)
    return NULL;
  char *p = lat_arena_alloc(AR, (size_t)s->of.str.len + 1);
  if (p) {
    if (s->of.str.len) memcpy(p, s->of.str.ptr, s->of.str.len);
    p[s->of.str.len] = 0;
  }
  return p;
}

/* Opens the parent of path beneath dirfd; *last is the final component.
 * Returns the parent fd (== dirfd when path has no slash; the caller
 * closes it otherwise), or -1 with errno. */
static int parent_at(int dirfd, char *path, const char **last) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') path[--n] = 0;
  char *sl = strrchr(path, '/');
  const char *l = sl ? sl + 1 : path;
  if (!*l || !strcmp(l, ".") || !strcmp(l, "..")) {
    errno = EINVAL;
    return -1;
  }
  *last = l;
  if (!sl) return dirfd;
  *sl = 0;
  int fd = lat__wasi_open_beneath(dirfd, sl == path ? "/" : path,
                                  O_PATH | O_DIRECTORY, 0);
  *sl = '/';
  return fd;
}

static uint32_t dtype(mode_t m) {
  switch (m & S_IFMT) {
  case S_IFBLK: return 1;
  case S_IFCHR: return 2;
  case S_IFDIR: return 3;
  case S_IFIFO: return 4;
  case S_IFLNK: return 5;
  case S_IFREG: return 6;
  case S_IFSOCK: return 7;
  default: return 0;
  }
}

static lat_cval_t *ts_opt(lat_arena_t *ar, const struct timespec *t) {
  lat_cval_t *f = lat_arena_array(ar, 2, sizeof *f);
  lat_cval_t *rec = lat__p2_val(ar, LAT_CT_RECORD);
  if (!f || !rec) return NULL;
  f[0].kind = LAT_CT_U64;
  f[0].of.u = (uint64_t)t->tv_sec;
  f[1].kind = LAT_CT_U32;
  f[1].of.u = (uint64_t)t->tv_nsec;
  rec->of.list.v = f;
  rec->of.list.n = 2;
  return lat__p2_option(ar, rec);
}

static lat_status stat_result(lat_chost_call_t *c, lat_cval_t *r,
                              const struct stat *st) {
  lat_cval_t *f = lat_arena_array(AR, 6, sizeof *f);
  lat_cval_t *rec = lat__p2_val(AR, LAT_CT_RECORD);
  lat_cval_t *at = ts_opt(AR, &st->st_atim), *mt = ts_opt(AR, &st->st_mtim),
             *ct = ts_opt(AR, &st->st_ctim);
  if (!f || !rec || !at || !mt || !ct) return OOM();
  f[0].kind = LAT_CT_ENUM;
  f[0].of.var.disc = dtype(st->st_mode);
  f[1].kind = LAT_CT_U64;
  f[1].of.u = (uint64_t)st->st_nlink;
  f[2].kind = LAT_CT_U64;
  f[2].of.u = (uint64_t)st->st_size;
  f[3] = *at;
  f[4] = *mt;
  f[5] = *ct;
  rec->of.list.v = f;
  rec->of.list.n = 6;
  return fs_ok(c, r, rec);
}

static lat_status hash_result(lat_chost_call_t *c, lat_cval_t *r,
                              const struct stat *st) {
  lat_cval_t *f = lat_arena_array(AR, 2, sizeof *f);
  lat_cval_t *rec = lat__p2_val(AR, LAT_CT_RECORD);
  if (!f || !rec) return OOM();
  f[0].kind = f[1].kind = LAT_CT_U64;
  f[0].of.u = (uint64_t)st->st_ino * 0x9e3779b97f4a7c15ull;
  f[1].of.u = (uint64_t)st->st_dev;
  rec->of.list.v = f;
  rec->of.list.n = 2;
  return fs_ok(c, r, rec);
}

/* ---- preopens ----------------------------------------------------------------------- */

HOSTFN(get_directories) {
  lat_wasi_t *w = P2->w;
  uint32_t n = 0;
  for (uint32_t i = 0; i < w->nfds; i++) n += w->fds[i].host >= 0 && w->fds[i].preopen;
  lat_cval_t *el = lat_arena_array(AR, n ? n : 1, sizeof *el);
  if (!el) return OOM();
  uint32_t k = 0;
  for (uint32_t i = 0; i < w->nfds; i++) {
    lat__p1_fd_t *f = &w->fds[i];
    if (f->host < 0 || !f->preopen) continue;
    lat__p2_obj_t o = {.kind = P2_DESC, .fd = f->host, .readonly = f->readonly,
                       .dflags = DF_READ | (f->readonly ? 0 : DF_MUTATE)};
    uint32_t rep = lat__p2_add(P2, &o);
    lat_cval_t *tv = lat_arena_array(AR, 2, sizeof *tv);
    lat_cval_t *h = rep ? lat__p2_own(AR, lat_chost_call_rtype(c, IDS->descriptor), rep) : NULL;
    lat_cval_t *s = lat__p2_string(AR, f->guest_name, strlen(f->guest_name));
    if (!tv || !h || !s) return OOM();
    tv[0] = *h;
    tv[1] = *s;
    el[k].kind = LAT_CT_TUPLE;
    el[k].of.list.v = tv;
    el[k++].of.list.n = 2;
  }
  r->kind = LAT_CT_LIST;
  r->of.list.v = el;
  r->of.list.n = k;
  return LAT_OK;
}

/* ---- descriptor: streams and data ------------------------------------------------------- */

static lat_status make_stream(lat_chost_call_t *c, const lat__p2_ids_t *ids,
                              lat_cval_t *r, lat__p2_obj_t *d, bool in,
                              uint64_t off, bool append) {
  if (!(d->dflags & (in ? DF_READ : DF_WRITE))) return fs_err(c, r, EC_BADF);
  if (!in && d->readonly) return fs_err(c, r, EC_ROFS);
  int fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  lat__p2_obj_t o = {.kind = in ? P2_IN : P2_OUT, .fd = fd, .owned = true,
                     .positional = true, .append = append, .off = off};
  uint32_t rep = lat__p2_add(P2, &o);
  lat_cval_t *h = rep ? lat__p2_own(AR, lat_chost_call_rtype(c, in ? ids->input : ids->output), rep)
                      : NULL;
  if (!h) return OOM();
  return fs_ok(c, r, h);
}
HOSTFN(read_via_stream) {
  DESC_OR_TRAP(d, &a[0]);
  return make_stream(c, IDS, r, d, true, a[1].of.u, false);
}
HOSTFN(write_via_stream) {
  DESC_OR_TRAP(d, &a[0]);
  return make_stream(c, IDS, r, d, false, a[1].of.u, false);
}
HOSTFN(append_via_stream) {
  DESC_OR_TRAP(d, &a[0]);
  if (!(d->dflags & DF_WRITE)) return fs_err(c, r, EC_BADF);
  if (d->readonly) return fs_err(c, r, EC_ROFS);
  int fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_APPEND);
  lat__p2_obj_t o = {.kind = P2_OUT, .fd = fd, .owned = true, .positional = true,
                     .append = true};
  uint32_t rep = lat__p2_add(P2, &o);
  lat_cval_t *h = rep ? lat__p2_own(AR, lat_chost_call_rtype(c, IDS->output), rep) : NULL;
  if (!h) return OOM();
  return fs_ok(c, r, h);
}
HOSTFN(advise) {
  DESC_OR_TRAP(d, &a[0]);
  return fs_ok(c, r, NULL);
}
HOSTFN(sync_data) {
  DESC_OR_TRAP(d, &a[0]);
  if (fdatasync(d->fd) && errno != EINVAL && errno != EBADF)
    return fs_err(c, r, lat__p2_fs_errno(errno));
  return fs_ok(c, r, NULL);
}
HOSTFN(fs_sync) {
  DESC_OR_TRAP(d, &a[0]);
  if (fsync(d->fd) && errno != EINVAL && errno != EBADF)
    return fs_err(c, r, lat__p2_fs_errno(errno));
  return fs_ok(c, r, NULL);
}
HOSTFN(get_flags) {
  DESC_OR_TRAP(d, &a[0]);
  lat_cval_t *v = lat__p2_val(AR, LAT_CT_FLAGS);
  if (!v) return OOM();
  v->of.flags = d->dflags;
  return fs_ok(c, r, v);
}
HOSTFN(get_type) {
  DESC_OR_TRAP(d, &a[0]);
  struct stat st;
  if (fstat(d->fd, &st)) return fs_err(c, r, lat__p2_fs_errno(errno));
  lat_cval_t *v = lat__p2_enum(AR, dtype(st.st_mode));
  if (!v) return OOM();
  return fs_ok(c, r, v);
}
HOSTFN(set_size) {
  DESC_OR_TRAP(d, &a[0]);
  if (d->readonly) return fs_err(c, r, EC_ROFS);
  if (!(d->dflags & DF_WRITE)) return fs_err(c, r, EC_BADF);
  if (a[1].of.u > INT64_MAX) return fs_err(c, r, EC_INVAL);
  if (ftruncate(d->fd, (off_t)a[1].of.u)) return fs_err(c, r, lat__p2_fs_errno(errno));
  return fs_ok(c, r, NULL);
}

/* new-timestamp: no-change, now, timestamp(datetime) */
static void new_ts(const lat_cval_t *v, struct timespec *t) {
  if (v->of.var.disc == 0) {
    t->tv_sec = 0;
    t->tv_nsec = UTIME_OMIT;
  } else if (v->of.var.disc == 1) {
    t->tv_sec = 0;
    t->tv_nsec = UTIME_NOW;
  } else {
    const lat_cval_t *dt = v->of.var.payload;
    t->tv_sec = (time_t)dt->of.list.v[0].of.u;
    t->tv_nsec = (long)(dt->of.list.v[1].of.u % 1000000000u);
  }
}
HOSTFN(set_times) {
  DESC_OR_TRAP(d, &a[0]);
  if (d->readonly) return fs_err(c, r, EC_ROFS);
  struct timespec ts[2];
  new_ts(&a[1], &ts[0]);
  new_ts(&a[2], &ts[1]);
  if (futimens(d->fd, ts)) return fs_err(c, r, lat__p2_fs_errno(errno));
  return fs_ok(c, r, NULL);
}
HOSTFN(fs_read) {
  DESC_OR_TRAP(d, &a[0]);
  if (!(d->dflags & DF_READ)) return fs_err(c, r, EC_BADF);
  uint64_t len = a[1].of.u > P2_MAX_IO ? P2_MAX_IO : a[1].of.u;
  if (a[2].of.u > INT64_MAX) return fs_err(c, r, EC_INVAL);
  uint8_t *b = lat_arena_alloc(AR, len ? len : 1);
  lat_cval_t *tv = lat_arena_array(AR, 2, sizeof *tv);
  lat_cval_t *t = lat__p2_val(AR, LAT_CT_TUPLE);
  if (!b || !tv || !t) return OOM();
  ssize_t k;
  do {
    k = pread(d->fd, b, len, (off_t)a[2].of.u);
  } while (k < 0 && errno == EINTR);
  if (k < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  tv[0].kind = LAT_CT_LIST;
  tv[0].of.list.bytes = b;
  tv[0].of.list.n = (uint32_t)k;
  tv[1].kind = LAT_CT_BOOL;
  tv[1].of.b = k == 0 && len > 0;
  t->of.list.v = tv;
  t->of.list.n = 2;
  return fs_ok(c, r, t);
}
HOSTFN(fs_write) {
  DESC_OR_TRAP(d, &a[0]);
  if (d->readonly) return fs_err(c, r, EC_ROFS);
  if (!(d->dflags & DF_WRITE)) return fs_err(c, r, EC_BADF);
  if (a[2].of.u > INT64_MAX) return fs_err(c, r, EC_INVAL);
  ssize_t k;
  do {
    k = pwrite(d->fd, a[1].of.list.bytes, a[1].of.list.n, (off_t)a[2].of.u);
  } while (k < 0 && errno == EINTR);
  if (k < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  lat_cval_t *v = lat__p2_u64(AR, (uint64_t)k);
  if (!v) return OOM();
  return fs_ok(c, r, v);
}
HOSTFN(fs_stat) {
  DESC_OR_TRAP(d, &a[0]);
  struct stat st;
  if (fstat(d->fd, &st)) return fs_err(c, r, lat__p2_fs_errno(errno));
  return stat_result(c, r, &st);
}
HOSTFN(metadata_hash) {
  DESC_OR_TRAP(d, &a[0]);
  struct stat st;
  if (fstat(d->fd, &st)) return fs_err(c, r, lat__p2_fs_errno(errno));
  return hash_result(c, r, &st);
}
HOSTFN(is_same_object) {
  DESC_OR_TRAP(d, &a[0]);
  DESC_OR_TRAP(e, &a[1]);
  struct stat x, y;
  r->kind = LAT_CT_BOOL;
  r->of.b = !fstat(d->fd, &x) && !fstat(e->fd, &y) && x.st_dev == y.st_dev &&
            x.st_ino == y.st_ino;
  return LAT_OK;
}

/* ---- descriptor: paths ---------------------------------------------------------------- */

/* stat-at / metadata-hash-at: a[1] path-flags, a[2] path */
static lat_status stat_at(lat_chost_call_t *c, const lat_cval_t *a, lat_cval_t *r,
                          struct stat *st) {
  DESC_OR_TRAP(d, &a[0]);
  char *p = cpath(c, &a[2]);
  if (!p) return fs_err(c, r, EC_INVAL);
  bool follow = a[1].of.flags & 1;
  int fd =
      lat__wasi_open_beneath(d->fd, p, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (fd < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  int e = fstat(fd, st) ? errno : 0;
  close(fd);
  if (e) return fs_err(c, r, lat__p2_fs_errno(e));
  return LAT_OK;
}
HOSTFN(fs_stat_at) {
  struct stat st;
  lat_status s = stat_at(c, a, r, &st);
  if (s || r->kind == LAT_CT_RESULT) return s;
  return stat_result(c, r, &st);
}
HOSTFN(metadata_hash_at) {
  struct stat st;
  lat_status s = stat_at(c, a, r, &st);
  if (s || r->kind == LAT_CT_RESULT) return s;
  return hash_result(c, r, &st);
}
HOSTFN(set_times_at) {
  DESC_OR_TRAP(d, &a[0]);
  if (d->readonly) return fs_err(c, r, EC_ROFS);
  char *p = cpath(c, &a[2]);
  if (!p) return fs_err(c, r, EC_INVAL);
  struct timespec ts[2];
  new_ts(&a[3], &ts[0]);
  new_ts(&a[4], &ts[1]);
  bool follow = a[1].of.flags & 1;
  int fd =
      lat__wasi_open_beneath(d->fd, p, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
  if (fd < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  int e = utimensat(AT_FDCWD, proc, ts, 0) ? errno : 0;
  close(fd);
  if (e) return fs_err(c, r, lat__p2_fs_errno(e));
  return fs_ok(c, r, NULL);
}

HOSTFN(open_at) {
  DESC_OR_TRAP(d, &a[0]);
  char *p = cpath(c, &a[2]);
  if (!p) return fs_err(c, r, EC_INVAL);
  uint32_t pf = a[1].of.flags, of = a[3].of.flags, df = a[4].of.flags;
  if (d->readonly && ((df & (DF_WRITE | DF_MUTATE)) || (of & (OF_CREATE | OF_TRUNC))))
    return fs_err(c, r, EC_ROFS);
  if ((of & (OF_CREATE | OF_TRUNC)) && !(d->dflags & DF_MUTATE))
    return fs_err(c, r, EC_ACCESS);
  int fl = (df & DF_WRITE) ? ((df & DF_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (of & OF_CREATE) fl |= O_CREAT;
  if (of & OF_EXCL) fl |= O_EXCL;
  if (of & OF_TRUNC) fl |= O_TRUNC;
  if (of & OF_DIRECTORY) fl |= O_DIRECTORY;
  if (!(pf & 1)) fl |= O_NOFOLLOW;
  int fd = lat__wasi_open_beneath(d->fd, p, fl, 0666);
  if (fd < 0 && errno == EISDIR && !(df & DF_WRITE))
    fd = lat__wasi_open_beneath(d->fd, p, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) {
    int e = errno;
    /* O_NOFOLLOW on a symlink: ELOOP, as the spec wants */
    return fs_err(c, r, lat__p2_fs_errno(e));
  }
  lat__p2_obj_t o = {.kind = P2_DESC, .fd = fd, .owned = true, .readonly = d->readonly,
                     .dflags = df & (DF_READ | DF_WRITE | DF_MUTATE | 4 | 8 | 16)};
  struct stat st;
  if (!fstat(fd, &st) && S_ISDIR(st.st_mode) && !d->readonly && (d->dflags & DF_MUTATE))
    o.dflags |= DF_MUTATE;
  if (d->readonly) o.dflags &= ~(uint32_t)(DF_WRITE | DF_MUTATE);
  uint32_t rep = lat__p2_add(P2, &o);
  lat_cval_t *h = rep ? lat__p2_own(AR, lat_chost_call_rtype(c, IDS->descriptor), rep) : NULL;
  if (!h) return OOM();
  return fs_ok(c, r, h);
}

typedef enum { OP_MKDIR, OP_RMDIR, OP_UNLINK, OP_READLINK, OP_SYMLINK } name_op_t;

/* The single-name operations: path in a[1] (symlink: target a[1], name a[2]). */
static lat_status name_op(lat_chost_call_t *c, const lat_cval_t *a, lat_cval_t *r,
                          name_op_t op) {
  DESC_OR_TRAP(d, &a[0]);
  if (op != OP_READLINK && d->readonly) return fs_err(c, r, EC_ROFS);
  char *p = cpath(c, &a[op == OP_SYMLINK ? 2 : 1]);
  char *target = op == OP_SYMLINK ? cpath(c, &a[1]) : NULL;
  if (!p || (op == OP_SYMLINK && !target)) return fs_err(c, r, EC_INVAL);
  const char *last;
  int pfd = parent_at(d->fd, p, &last);
  if (pfd < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  int rc = 0, e = 0;
  char buf[4096];
  ssize_t n = 0;
  switch (op) {
  case OP_MKDIR: rc = mkdirat(pfd, last, 0777); break;
  case OP_RMDIR: rc = unlinkat(pfd, last, AT_REMOVEDIR); break;
  case OP_UNLINK: rc = unlinkat(pfd, last, 0); break;
  case OP_SYMLINK: rc = symlinkat(target, pfd, last); break;
  case OP_READLINK:
    n = readlinkat(pfd, last, buf, sizeof buf);
    rc = n < 0 ? -1 : 0;
    break;
  }
  if (rc) e = errno;
  if (pfd != d->fd) close(pfd);
  if (e) return fs_err(c, r, lat__p2_fs_errno(e));
  if (op == OP_READLINK) {
    lat_cval_t *s = lat__p2_string(AR, buf, (size_t)n);
    if (!s) return OOM();
    return fs_ok(c, r, s);
  }
  return fs_ok(c, r, NULL);
}
HOSTFN(create_directory_at) { return name_op(c, a, r, OP_MKDIR); }
HOSTFN(remove_directory_at) { return name_op(c, a, r, OP_RMDIR); }
HOSTFN(unlink_file_at) { return name_op(c, a, r, OP_UNLINK); }
HOSTFN(readlink_at) { return name_op(c, a, r, OP_READLINK); }
HOSTFN(symlink_at) { return name_op(c, a, r, OP_SYMLINK); }

/* rename-at(old-path, new-descriptor, new-path);
 * link-at(old-path-flags, old-path, new-descriptor, new-path) */
static lat_status two_names(lat_chost_call_t *c, const lat_cval_t *a, lat_cval_t *r,
                            bool link) {
  DESC_OR_TRAP(d, &a[0]);
  const lat_cval_t *ap = &a[link ? 2 : 1];
  DESC_OR_TRAP(nd, &ap[1]);
  if (d->readonly || nd->readonly) return fs_err(c, r, EC_ROFS);
  char *op = cpath(c, ap), *np = cpath(c, &ap[2]);
  if (!op || !np) return fs_err(c, r, EC_INVAL);
  const char *ol, *nl;
  int ofd = parent_at(d->fd, op, &ol);
  if (ofd < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  int nfd = parent_at(nd->fd, np, &nl);
  int e = nfd < 0 ? errno : 0;
  if (!e) {
    int rc = link ? linkat(ofd, ol, nfd, nl, 0) : renameat(ofd, ol, nfd, nl);
    if (rc) e = errno;
  }
  if (ofd != d->fd) close(ofd);
  if (nfd >= 0 && nfd != nd->fd) close(nfd);
  if (e) return fs_err(c, r, lat__p2_fs_errno(e));
  return fs_ok(c, r, NULL);
}
HOSTFN(rename_at) { return two_names(c, a, r, false); }
HOSTFN(link_at) { return two_names(c, a, r, true); }

/* ---- directories ----------------------------------------------------------------------- */

HOSTFN(read_directory) {
  DESC_OR_TRAP(d, &a[0]);
  int fd = lat__wasi_open_beneath(d->fd, ".", O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return fs_err(c, r, lat__p2_fs_errno(errno));
  DIR *dir = fdopendir(fd);
  if (!dir) {
    int e = errno;
    close(fd);
    return fs_err(c, r, lat__p2_fs_errno(e));
  }
  lat__p2_obj_t o = {.kind = P2_DIRS, .fd = fd, .owned = true, .dir = dir};
  uint32_t rep = lat__p2_add(P2, &o);
  if (!rep) {
    closedir(dir);
    return OOM();
  }
  lat_cval_t *h = lat__p2_own(AR, lat_chost_call_rtype(c, IDS->dirstream), rep);
  if (!h) return OOM();
  return fs_ok(c, r, h);
}

HOSTFN(read_directory_entry) {
  lat__p2_obj_t *o = lat__p2_get(P2, a[0].of.handle.rep, P2_DIRS);
  if (!o) return lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "unknown directory stream");
  struct dirent *de;
  do {
    errno = 0;
    de = readdir(o->dir);
  } while (de && (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")));
  if (!de) {
    if (errno) return fs_err(c, r, lat__p2_fs_errno(errno));
    lat_cval_t *none = lat__p2_option(AR, NULL);
    if (!none) return OOM();
    return fs_ok(c, r, none);
  }
  uint32_t t = 0;
  switch (de->d_type) {
  case DT_BLK: t = 1; break;
  case DT_CHR: t = 2; break;
  case DT_DIR: t = 3; break;
  case DT_FIFO: t = 4; break;
  case DT_LNK: t = 5; break;
  case DT_REG: t = 6; break;
  case DT_SOCK: t = 7; break;
  default: {
    struct stat st;
    if (!fstatat(dirfd(o->dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW)) t = dtype(st.st_mode);
  }
  }
  lat_cval_t *f = lat_arena_array(AR, 2, sizeof *f);
  lat_cval_t *rec = lat__p2_val(AR, LAT_CT_RECORD);
  lat_cval_t *name = lat__p2_string(AR, de->d_name, strlen(de->d_name));
  if (!f || !rec || !name) return OOM();
  f[0].kind = LAT_CT_ENUM;
  f[0].of.var.disc = t;
  f[1] = *name;
  rec->of.list.v = f;
  rec->of.list.n = 2;
  lat_cval_t *some = lat__p2_option(AR, rec);
  if (!some) return OOM();
  return fs_ok(c, r, some);
}

HOSTFN(filesystem_error_code) {
  lat__p2_obj_t *o = lat__p2_get(P2, a[0].of.handle.rep, P2_ERR);
  lat_cval_t *v = lat__p2_option(AR, o ? lat__p2_enum(AR, lat__p2_fs_errno(o->err)) : NULL);
  if (!v) return OOM();
  *r = *v;
  return LAT_OK;
}

#define FS "wasi:filesystem/types"
const lat__p2_fn_t lat__p2_fs_fns[] = {
    {"wasi:filesystem/preopens", "get-directories", get_directories},
    {FS, "[method]descriptor.read-via-stream", read_via_stream},
    {FS, "[method]descriptor.write-via-stream", write_via_stream},
    {FS, "[method]descriptor.append-via-stream", append_via_stream},
    {FS, "[method]descriptor.advise", advise},
    {FS, "[method]descriptor.sync-data", sync_data},
    {FS, "[method]descriptor.sync", fs_sync},
    {FS, "[method]descriptor.get-flags", get_flags},
    {FS, "[method]descriptor.get-type", get_type},
    {FS, "[method]descriptor.set-size", set_size},
    {FS, "[method]descriptor.set-times", set_times},
    {FS, "[method]descriptor.read", fs_read},
    {FS, "[method]descriptor.write", fs_write},
    {FS, "[method]descriptor.read-directory", read_directory},
    {FS, "[method]descriptor.create-directory-at", create_directory_at},
    {FS, "[method]descriptor.stat", fs_stat},
    {FS, "[method]descriptor.stat-at", fs_stat_at},
    {FS, "[method]descriptor.set-times-at", set_times_at},
    {FS, "[method]descriptor.link-at", link_at},
    {FS, "[method]descriptor.open-at", open_at},
    {FS, "[method]descriptor.readlink-at", readlink_at},
    {FS, "[method]descriptor.remove-directory-at", remove_directory_at},
    {FS, "[method]descriptor.rename-at", rename_at},
    {FS, "[method]descriptor.symlink-at", symlink_at},
    {FS, "[method]descriptor.unlink-file-at", unlink_file_at},
    {FS, "[method]descriptor.is-same-object", is_same_object},
    {FS, "[method]descriptor.metadata-hash", metadata_hash},
    {FS, "[method]descriptor.metadata-hash-at", metadata_hash_at},
    {FS, "[method]directory-entry-stream.read-directory-entry", read_directory_entry},
    {FS, "filesystem-error-code", filesystem_error_code},
};
const size_t lat__p2_fs_nfns = sizeof lat__p2_fs_fns / sizeof lat__p2_fs_fns[0];
