/* wasi_fd.c: the preview-1 fd_* functions.
 *
 * Each is a thin, checked mapping onto one POSIX call on the host fd: check
 * the fd and its rights, check every guest range, form host pointers, call,
 * map errno.  Scatter/gather I/O keeps the guest's iovec list (readv/writev/
 * preadv/pwritev), so a short read is the kernel's, not ours.  Iovec arrays
 * up to 16 entries live on the C stack, longer ones (up to IOV_MAX) on the
 * heap; no VLA.
 *
 * fd_readdir cookies are ordinal positions in the directory stream (0 = the
 * start).  The context keeps one DIR stream per directory fd (on a fresh
 * open of ".", so fd_seek on the directory cannot disturb it) with the
 * cookie of its next entry: the common sequential scan is O(entries); a
 * cookie from elsewhere rewinds and skips.  Rejected: telldir() values as
 * cookies (opaque 64-bit hashes on ext4 that are valid only for the stream
 * that produced them, which breaks after fd_renumber or a reopen).
 *
 * Read-only grants: every fd opened under one carries `readonly`; anything
 * that would change stored data or metadata answers EROFS before it reaches
 * the kernel (the host fd is also opened O_RDONLY, so the kernel agrees). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_int.h"

uint16_t lat__p1_get_iovs(lat_wasm_caller_t *c, uint64_t iovs, uint64_t n,
                          struct iovec *local, struct iovec **out) {
  if (n > P1_MAX_IOVS) return P1_EINVAL;
  lat_wasm_memory_t *m = p1_mem(c);
  const uint8_t *a = p1_range(m, iovs, n * 8);
  if (!a) return P1_EFAULT;
  struct iovec *v = local;
  if (n > LAT__P1_STACK_IOVS) {
    v = lat_calloc(n, sizeof *v);
    if (!v) return P1_ENOMEM;
  }
  for (uint64_t i = 0; i < n; i++) {
    uint64_t buf = p1_ld32(a + 8 * i), len = p1_ld32(a + 8 * i + 4);
    uint8_t *p = p1_range(m, buf, len);
    if (!p) {
      if (v != local) lat_free(v);
      return P1_EFAULT;
    }
    v[i].iov_base = p;
    v[i].iov_len = len;
  }
  *out = v;
  return P1_ESUCCESS;
}

typedef enum { IO_READ, IO_WRITE, IO_PREAD, IO_PWRITE } io_kind_t;

static lat_status do_io(lat_wasi_t *w, lat_wasm_caller_t *c, uint64_t *slots,
                        io_kind_t kind) {
  uint64_t fd = slots[0], iovs = slots[1], n = slots[2];
  uint64_t off = 0, result;
  if (kind == IO_PREAD || kind == IO_PWRITE) {
    off = slots[3];
    result = slots[4];
  } else {
    result = slots[3];
  }
  bool writing = kind == IO_WRITE || kind == IO_PWRITE;
  uint64_t need = writing ? R_FD_WRITE : R_FD_READ;
  if (kind == IO_PREAD || kind == IO_PWRITE) need |= R_FD_SEEK;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, fd, need, &f);
  if (e) P1_RET(e);
  if (writing && f->readonly) P1_RET(P1_EROFS);
  if (f->type == P1_FT_DIR) P1_RET(P1_EISDIR);
  if ((int64_t)off < 0) P1_RET(P1_EINVAL);
  if (!p1_range(p1_mem(c), result, 4)) P1_RET(P1_EFAULT);
  /* a blocking read from a pipe, socket or tty must not outlive the
   * deadline: wait for data first (the wait touches no guest memory) */
  if (kind == IO_READ && w->deadline_ns && f->type != P1_FT_FILE &&
      !lat__p1_wait_readable(w, f->host))
    return lat__p1_deadline_trap(c);
  struct iovec local[LAT__P1_STACK_IOVS], *v;
  if ((e = lat__p1_get_iovs(c, iovs, n, local, &v))) P1_RET(e);
  ssize_t r;
  do {
    switch (kind) {
      case IO_READ: r = readv(f->host, v, (int)n); break;
      case IO_WRITE: r = writev(f->host, v, (int)n); break;
      case IO_PREAD: r = preadv(f->host, v, (int)n, (off_t)off); break;
      default: r = pwritev(f->host, v, (int)n, (off_t)off); break;
    }
  } while (r < 0 && errno == EINTR);
  int saved = errno;
  if (v != local) lat_free(v);
  if (r < 0) P1_RET(lat__p1_errno(saved));
  lat__p1_put32(c, result, (uint32_t)r);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_read(lat_wasi_t *w, lat_wasm_caller_t *c,
                           uint64_t *slots) {
  return do_io(w, c, slots, IO_READ);
}
lat_status lat__p1_fd_write(lat_wasi_t *w, lat_wasm_caller_t *c,
                            uint64_t *slots) {
  return do_io(w, c, slots, IO_WRITE);
}
lat_status lat__p1_fd_pread(lat_wasi_t *w, lat_wasm_caller_t *c,
                            uint64_t *slots) {
  return do_io(w, c, slots, IO_PREAD);
}
lat_status lat__p1_fd_pwrite(lat_wasi_t *w, lat_wasm_caller_t *c,
                             uint64_t *slots) {
  return do_io(w, c, slots, IO_PWRITE);
}

lat_status lat__p1_fd_seek(lat_wasi_t *w, lat_wasm_caller_t *c,
                           uint64_t *slots) {
  int64_t off = (int64_t)slots[1];
  uint64_t whence = slots[2];
  uint64_t need = (off == 0 && whence == 1) ? R_FD_TELL : R_FD_SEEK;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], need, &f);
  if (e) P1_RET(e);
  int hw;
  switch (whence) {
    case 0: hw = SEEK_SET; break;
    case 1: hw = SEEK_CUR; break;
    case 2: hw = SEEK_END; break;
    default: P1_RET(P1_EINVAL);
  }
  if (!p1_range(p1_mem(c), slots[3], 8)) P1_RET(P1_EFAULT);
  off_t r = lseek(f->host, (off_t)off, hw);
  if (r < 0) P1_RET(lat__p1_errno(errno));
  lat__p1_put64(c, slots[3], (uint64_t)r);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_tell(lat_wasi_t *w, lat_wasm_caller_t *c,
                           uint64_t *slots) {
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_TELL, &f);
  if (e) P1_RET(e);
  if (!p1_range(p1_mem(c), slots[1], 8)) P1_RET(P1_EFAULT);
  off_t r = lseek(f->host, 0, SEEK_CUR);
  if (r < 0) P1_RET(lat__p1_errno(errno));
  lat__p1_put64(c, slots[1], (uint64_t)r);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_sync(lat_wasi_t *w, lat_wasm_caller_t *c,
                           uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_SYNC, &f);
  if (e) P1_RET(e);
  if (fsync(f->host) != 0 && !(f->readonly && errno == EBADF))
    P1_RET(lat__p1_errno(errno));
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_datasync(lat_wasi_t *w, lat_wasm_caller_t *c,
                               uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_DATASYNC, &f);
  if (e) P1_RET(e);
  if (fdatasync(f->host) != 0) P1_RET(lat__p1_errno(errno));
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_advise(lat_wasi_t *w, lat_wasm_caller_t *c,
                             uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_ADVISE, &f);
  if (e) P1_RET(e);
  static const int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                               POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                               POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (slots[3] > 5 || (int64_t)slots[1] < 0 || (int64_t)slots[2] < 0)
    P1_RET(P1_EINVAL);
  if (f->type == P1_FT_DIR) P1_RET(P1_EBADF);
  int r = posix_fadvise(f->host, (off_t)slots[1], (off_t)slots[2],
                        advice[slots[3]]);
  if (r == ESPIPE) r = 0; /* advice is only advice: pipes ignore it */
  P1_RET(lat__p1_errno(r));
}

lat_status lat__p1_fd_allocate(lat_wasi_t *w, lat_wasm_caller_t *c,
                               uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_ALLOCATE, &f);
  if (e) P1_RET(e);
  if (f->readonly) P1_RET(P1_EROFS);
  uint64_t end;
  if ((int64_t)slots[1] < 0 || (int64_t)slots[2] <= 0 ||
      __builtin_add_overflow(slots[1], slots[2], &end) || (int64_t)end < 0)
    P1_RET(P1_EINVAL);
  int r = posix_fallocate(f->host, (off_t)slots[1], (off_t)slots[2]);
  P1_RET(lat__p1_errno(r));
}

lat_status lat__p1_fd_close(lat_wasi_t *w, lat_wasm_caller_t *c,
                            uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f = lat__p1_fd_get(w, slots[0]);
  if (!f) P1_RET(P1_EBADF);
  lat__p1_fd_release(f);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_renumber(lat_wasi_t *w, lat_wasm_caller_t *c,
                               uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *from = lat__p1_fd_get(w, slots[0]);
  lat__p1_fd_t *to = lat__p1_fd_get(w, slots[1]);
  if (!from || !to) P1_RET(P1_EBADF);
  if (from == to) P1_RET(P1_ESUCCESS);
  lat__p1_fd_release(to);
  *to = *from;
  memset(from, 0, sizeof *from);
  from->host = -1;
  P1_RET(P1_ESUCCESS);
}

static uint16_t host_fdflags(const lat__p1_fd_t *f) {
  int fl = fcntl(f->host, F_GETFL);
  uint16_t r = f->extra_flags;
  if (fl < 0) return r;
  if (fl & O_APPEND) r |= P1_FDFL_APPEND;
  if (fl & O_NONBLOCK) r |= P1_FDFL_NONBLOCK;
  if ((fl & O_SYNC) == O_SYNC) r |= P1_FDFL_SYNC;
  else if (fl & O_DSYNC) r |= P1_FDFL_DSYNC;
  return r;
}

lat_status lat__p1_fd_fdstat_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                                 uint64_t *slots) {
  lat__p1_fd_t *f = lat__p1_fd_get(w, slots[0]);
  if (!f) P1_RET(P1_EBADF);
  uint16_t flags = host_fdflags(f);
  uint8_t *p = p1_range(p1_mem(c), slots[1], 24);
  if (!p) P1_RET(P1_EFAULT);
  memset(p, 0, 24);
  p[0] = f->type;
  p1_st16(p + 2, flags);
  p1_st64(p + 8, f->rights);
  p1_st64(p + 16, f->inheriting);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_fdstat_set_flags(lat_wasi_t *w, lat_wasm_caller_t *c,
                                       uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_FDSTAT_SET_FLAGS, &f);
  if (e) P1_RET(e);
  uint64_t want = slots[1];
  if (want & ~(uint64_t)0x1f) P1_RET(P1_EINVAL);
  /* Linux cannot change O_SYNC/O_DSYNC after open */
  uint16_t cur = host_fdflags(f);
  if ((want ^ cur) & (P1_FDFL_DSYNC | P1_FDFL_SYNC | P1_FDFL_RSYNC))
    P1_RET(P1_ENOTSUP);
  if ((want & P1_FDFL_APPEND) && f->readonly) P1_RET(P1_EROFS);
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) P1_RET(lat__p1_errno(errno));
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (want & P1_FDFL_APPEND) fl |= O_APPEND;
  if (want & P1_FDFL_NONBLOCK) fl |= O_NONBLOCK;
  if (fcntl(f->host, F_SETFL, fl) != 0) P1_RET(lat__p1_errno(errno));
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_fdstat_set_rights(lat_wasi_t *w, lat_wasm_caller_t *c,
                                        uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f = lat__p1_fd_get(w, slots[0]);
  if (!f) P1_RET(P1_EBADF);
  uint64_t base = slots[1], inh = slots[2];
  /* rights only shrink */
  if ((base & ~f->rights) || (inh & ~f->inheriting)) P1_RET(P1_ENOTCAPABLE);
  f->rights = base;
  f->inheriting = inh;
  P1_RET(P1_ESUCCESS);
}

/* Writes a preview-1 filestat (64 bytes) for st at p. */
static void put_filestat(uint8_t *p, const struct stat *st) {
  memset(p, 0, 64);
  p1_st64(p + 0, (uint64_t)st->st_dev);
  p1_st64(p + 8, (uint64_t)st->st_ino);
  p[16] = lat__p1_filetype(st->st_mode);
  p1_st64(p + 24, (uint64_t)st->st_nlink);
  p1_st64(p + 32, (uint64_t)st->st_size);
  p1_st64(p + 40, (uint64_t)st->st_atim.tv_sec * 1000000000ull +
                      (uint64_t)st->st_atim.tv_nsec);
  p1_st64(p + 48, (uint64_t)st->st_mtim.tv_sec * 1000000000ull +
                      (uint64_t)st->st_mtim.tv_nsec);
  p1_st64(p + 56, (uint64_t)st->st_ctim.tv_sec * 1000000000ull +
                      (uint64_t)st->st_ctim.tv_nsec);
}

uint16_t lat__p1_put_filestat(lat_wasm_caller_t *c, uint64_t off,
                              const struct stat *st) {
  uint8_t *p = p1_range(p1_mem(c), off, 64);
  if (!p) return P1_EFAULT;
  put_filestat(p, st);
  return P1_ESUCCESS;
}

lat_status lat__p1_fd_filestat_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                                   uint64_t *slots) {
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_FILESTAT_GET, &f);
  if (e) P1_RET(e);
  struct stat st;
  if (fstat(f->host, &st) != 0) P1_RET(lat__p1_errno(errno));
  P1_RET(lat__p1_put_filestat(c, slots[1], &st));
}

lat_status lat__p1_fd_filestat_set_size(lat_wasi_t *w, lat_wasm_caller_t *c,
                                        uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_FILESTAT_SET_SIZE, &f);
  if (e) P1_RET(e);
  if (f->readonly) P1_RET(P1_EROFS);
  if ((int64_t)slots[1] < 0) P1_RET(P1_EINVAL);
  if (ftruncate(f->host, (off_t)slots[1]) != 0) P1_RET(lat__p1_errno(errno));
  P1_RET(P1_ESUCCESS);
}

uint16_t lat__p1_times(uint64_t atim, uint64_t mtim, uint64_t fl,
                       struct timespec ts[2]) {
  if (fl & ~(uint64_t)0xf) return P1_EINVAL;
  if ((fl & P1_FST_ATIM) && (fl & P1_FST_ATIM_NOW)) return P1_EINVAL;
  if ((fl & P1_FST_MTIM) && (fl & P1_FST_MTIM_NOW)) return P1_EINVAL;
  uint64_t v[2] = {atim, mtim};
  uint64_t set[2] = {P1_FST_ATIM, P1_FST_MTIM};
  uint64_t now[2] = {P1_FST_ATIM_NOW, P1_FST_MTIM_NOW};
  for (int i = 0; i < 2; i++) {
    if (fl & set[i]) {
      ts[i].tv_sec = (time_t)(v[i] / 1000000000ull);
      ts[i].tv_nsec = (long)(v[i] % 1000000000ull);
    } else {
      ts[i].tv_sec = 0;
      ts[i].tv_nsec = (fl & now[i]) ? UTIME_NOW : UTIME_OMIT;
    }
  }
  return P1_ESUCCESS;
}

lat_status lat__p1_fd_filestat_set_times(lat_wasi_t *w, lat_wasm_caller_t *c,
                                         uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_FILESTAT_SET_TIMES, &f);
  if (e) P1_RET(e);
  if (f->readonly) P1_RET(P1_EROFS);
  struct timespec ts[2];
  if ((e = lat__p1_times(slots[1], slots[2], slots[3], ts))) P1_RET(e);
  if (futimens(f->host, ts) != 0) P1_RET(lat__p1_errno(errno));
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_prestat_get(lat_wasi_t *w, lat_wasm_caller_t *c,
                                  uint64_t *slots) {
  lat__p1_fd_t *f = lat__p1_fd_get(w, slots[0]);
  if (!f || !f->preopen) P1_RET(P1_EBADF);
  uint8_t *p = p1_range(p1_mem(c), slots[1], 8);
  if (!p) P1_RET(P1_EFAULT);
  memset(p, 0, 8); /* tag 0: a directory */
  p1_st32(p + 4, (uint32_t)strlen(f->guest_name));
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_fd_prestat_dir_name(lat_wasi_t *w, lat_wasm_caller_t *c,
                                       uint64_t *slots) {
  lat__p1_fd_t *f = lat__p1_fd_get(w, slots[0]);
  if (!f || !f->preopen) P1_RET(P1_EBADF);
  size_t len = strlen(f->guest_name);
  if (slots[2] < len) P1_RET(P1_ENAMETOOLONG);
  uint8_t *p = p1_range(p1_mem(c), slots[1], len);
  if (!p) P1_RET(P1_EFAULT);
  memcpy(p, f->guest_name, len);
  P1_RET(P1_ESUCCESS);
}

static uint8_t dirent_type(int dfd, const struct dirent *d) {
  switch (d->d_type) {
    case DT_REG: return P1_FT_FILE;
    case DT_DIR: return P1_FT_DIR;
    case DT_LNK: return P1_FT_SYMLINK;
    case DT_CHR: return P1_FT_CHAR;
    case DT_BLK: return P1_FT_BLOCK;
    case DT_SOCK: return P1_FT_STREAM;
    case DT_FIFO: return P1_FT_UNKNOWN;
  }
  struct stat st;
  if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return lat__p1_filetype(st.st_mode);
  return P1_FT_UNKNOWN;
}

lat_status lat__p1_fd_readdir(lat_wasi_t *w, lat_wasm_caller_t *c,
                              uint64_t *slots) {
  lat__p1_fd_t *f;
  uint16_t e = lat__p1_fd_lookup(w, slots[0], R_FD_READDIR, &f);
  if (e) P1_RET(e);
  if (f->type != P1_FT_DIR) P1_RET(P1_ENOTDIR);
  uint64_t buf = slots[1], len = slots[2], cookie = slots[3];
  if (!p1_range(p1_mem(c), buf, len) || !p1_range(p1_mem(c), slots[4], 4))
    P1_RET(P1_EFAULT);
  if (!f->dir) {
    int h = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h < 0) P1_RET(lat__p1_errno(errno));
    if (!(f->dir = fdopendir(h))) {
      int saved = errno;
      close(h);
      P1_RET(lat__p1_errno(saved));
    }
    f->dir_next = 0;
  }
  if (cookie < f->dir_next) {
    rewinddir(f->dir);
    f->dir_next = 0;
  }
  /* skip to the cookie */
  while (f->dir_next < cookie) {
    errno = 0;
    if (!readdir(f->dir)) {
      if (errno) P1_RET(lat__p1_errno(errno));
      lat__p1_put32(c, slots[4], 0); /* past the end */
      P1_RET(P1_ESUCCESS);
    }
    f->dir_next++;
  }
  uint64_t used = 0;
  while (used < len) {
    /* remember where we are: an entry that does not fit is returned again
     * (truncated), so the next call with its cookie must see it again */
    long pos = telldir(f->dir);
    errno = 0;
    struct dirent *d = readdir(f->dir);
    if (!d) {
      if (errno) P1_RET(lat__p1_errno(errno));
      break;
    }
    size_t namlen = strlen(d->d_name);
    uint8_t hdr[24];
    memset(hdr, 0, sizeof hdr);
    p1_st64(hdr, f->dir_next + 1);
    p1_st64(hdr + 8, (uint64_t)d->d_ino);
    p1_st32(hdr + 16, (uint32_t)namlen);
    hdr[20] = dirent_type(dirfd(f->dir), d);
    /* derive the pointer after the fstatat above (no guest call between) */
    uint8_t *p = lat_wasm_memory_data(p1_mem(c)) + buf + used;
    uint64_t room = len - used, entry = 24 + (uint64_t)namlen;
    uint64_t nh = room < 24 ? room : 24;
    memcpy(p, hdr, nh);
    if (room > 24) memcpy(p + 24, d->d_name, room - 24 < namlen ? room - 24 : namlen);
    if (entry > room) {
      /* cut short: the buffer is full, and the guest asks again from the
       * previous entry's cookie, so this entry must come back next time */
      seekdir(f->dir, pos);
      used = len;
      break;
    }
    used += entry;
    f->dir_next++;
  }
  lat__p1_put32(c, slots[4], (uint32_t)used);
  P1_RET(P1_ESUCCESS);
}
