/* fd_* on a file in the granted directory (preopen /sandbox at fd 3):
 * path_open (create, excl, trunc, append), fd_write, fd_read, fd_pread,
 * fd_pwrite, fd_seek, fd_tell, fd_sync, fd_datasync, fd_advise, fd_allocate,
 * fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights,
 * fd_filestat_get, fd_filestat_set_size, fd_filestat_set_times,
 * fd_renumber, fd_close, fd_prestat_get, fd_prestat_dir_name. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
int main(void) {
  __wasi_prestat_t ps;
  char name[64] = {0};
  T("fd_prestat_get", __wasi_fd_prestat_get(3, &ps) == 0 && ps.tag == 0);
  T("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(3, (uint8_t *)name, ps.u.dir.pr_name_len) == 0 &&
                               !strcmp(name, "/sandbox"));
  E("fd_prestat_get on stdout", __wasi_fd_prestat_get(1, &ps), __WASI_ERRNO_BADF);
  E("fd_prestat_dir_name short", __wasi_fd_prestat_dir_name(3, (uint8_t *)name, 2), __WASI_ERRNO_NAMETOOLONG);

  int fd = open("/sandbox/f.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  T("open create", fd >= 0);
  T("write", write(fd, "hello world\n", 12) == 12);
  T("tell", lseek(fd, 0, SEEK_CUR) == 12);
  __wasi_filesize_t pos;
  T("fd_tell", __wasi_fd_tell(fd, &pos) == 0 && pos == 12);
  T("seek set", lseek(fd, 6, SEEK_SET) == 6);
  char buf[64] = {0};
  T("read", read(fd, buf, sizeof buf) == 6 && !memcmp(buf, "world\n", 6));
  T("seek end", lseek(fd, -6, SEEK_END) == 6);
  T("seek cur", lseek(fd, 1, SEEK_CUR) == 7);
  E("fd_seek bad whence", __wasi_fd_seek(fd, 0, 7, &pos), __WASI_ERRNO_INVAL);
  T("seek negative", lseek(fd, -100, SEEK_SET) == -1 && errno == EINVAL);
  T("pwrite", pwrite(fd, "HELLO", 5, 0) == 5);
  memset(buf, 0, sizeof buf);
  T("pread", pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "HELLO", 5));
  T("pread keeps offset", lseek(fd, 0, SEEK_CUR) == 7);
  T("pread past end", pread(fd, buf, 5, 1000) == 0);
  /* scatter/gather */
  __wasi_iovec_t iov[2] = {{(uint8_t *)buf, 3}, {(uint8_t *)buf + 10, 3}};
  __wasi_size_t n;
  lseek(fd, 0, SEEK_SET);
  T("fd_read two iovecs", __wasi_fd_read(fd, iov, 2, &n) == 0 && n == 6 &&
                              !memcmp(buf, "HEL", 3) && !memcmp(buf + 10, "LO ", 3));
  __wasi_ciovec_t bad = {(const uint8_t *)0xfffffff0u, 64};
  E("fd_write iovec out of bounds", __wasi_fd_write(fd, &bad, 1, &n), __WASI_ERRNO_FAULT);
  T("fsync", fsync(fd) == 0);
  T("fdatasync", fdatasync(fd) == 0);
  T("fd_advise", __wasi_fd_advise(fd, 0, 12, __WASI_ADVICE_SEQUENTIAL) == 0);
  E("fd_advise bad advice", __wasi_fd_advise(fd, 0, 12, 9), __WASI_ERRNO_INVAL);
  T("fd_allocate", __wasi_fd_allocate(fd, 0, 4096) == 0);
  struct stat st;
  T("fstat size after allocate", fstat(fd, &st) == 0 && st.st_size == 4096 && S_ISREG(st.st_mode));
  T("ftruncate", ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
  __wasi_filestat_t fst;
  T("fd_filestat_get", __wasi_fd_filestat_get(fd, &fst) == 0 && fst.size == 5 &&
                           fst.filetype == __WASI_FILETYPE_REGULAR_FILE && fst.nlink == 1);
  T("fd_filestat_set_times", __wasi_fd_filestat_set_times(fd, 1000000000ull * 1000, 1000000000ull * 2000,
                                                          __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM) == 0);
  T("times set", __wasi_fd_filestat_get(fd, &fst) == 0 && fst.atim == 1000000000ull * 1000 &&
                     fst.mtim == 1000000000ull * 2000);
  E("fd_filestat_set_times both atim flags",
    __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);
  T("set mtim now", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW) == 0 &&
                        __wasi_fd_filestat_get(fd, &fst) == 0 && fst.mtim > 1000000000ull * 2000 &&
                        fst.atim == 1000000000ull * 1000);
  __wasi_fdstat_t fds;
  T("fd_fdstat_get file", __wasi_fd_fdstat_get(fd, &fds) == 0 &&
                              fds.fs_filetype == __WASI_FILETYPE_REGULAR_FILE &&
                              (fds.fs_rights_base & __WASI_RIGHTS_FD_WRITE));
  T("fd_fdstat_get dir", __wasi_fd_fdstat_get(3, &fds) == 0 && fds.fs_filetype == __WASI_FILETYPE_DIRECTORY);
  /* append */
  T("set append", fcntl(fd, F_SETFL, O_APPEND) == 0);
  T("fdstat append", __wasi_fd_fdstat_get(fd, &fds) == 0 && (fds.fs_flags & __WASI_FDFLAGS_APPEND));
  lseek(fd, 0, SEEK_SET);
  T("append write", write(fd, "!", 1) == 1 && fstat(fd, &st) == 0 && st.st_size == 6);
  T("nonblock", fcntl(fd, F_SETFL, O_NONBLOCK) == 0 && __wasi_fd_fdstat_get(fd, &fds) == 0 &&
                    (fds.fs_flags & __WASI_FDFLAGS_NONBLOCK) && !(fds.fs_flags & __WASI_FDFLAGS_APPEND));
  E("fd_fdstat_set_flags sync", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_SYNC), __WASI_ERRNO_NOTSUP);
  /* renumber: fd moves to fd2's number, fd2's file is closed */
  int fd2 = open("/sandbox/g.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
  T("open excl", fd2 >= 0);
  T("open excl again", open("/sandbox/g.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST);
  T("fd_renumber", __wasi_fd_renumber(fd, fd2) == 0);
  T("old fd closed", __wasi_fd_fdstat_get(fd, &fds) == __WASI_ERRNO_BADF);
  T("new fd is f.txt", __wasi_fd_filestat_get(fd2, &fst) == 0 && fst.size == 6);
  E("fd_renumber to closed fd", __wasi_fd_renumber(fd2, 77), __WASI_ERRNO_BADF);
  /* rights only shrink, and are enforced */
  T("fd_fdstat_set_rights drop write",
    __wasi_fd_fdstat_set_rights(fd2, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0) == 0);
  E("write without right", __wasi_fd_write(fd2, &(__wasi_ciovec_t){(const uint8_t *)"x", 1}, 1, &n),
    __WASI_ERRNO_NOTCAPABLE);
  E("fd_fdstat_set_rights cannot grow",
    __wasi_fd_fdstat_set_rights(fd2, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0), __WASI_ERRNO_NOTCAPABLE);
  T("close", close(fd2) == 0);
  E("close twice", __wasi_fd_close(fd2), __WASI_ERRNO_BADF);
  E("fd_read bad fd", __wasi_fd_read(99, iov, 1, &n), __WASI_ERRNO_BADF);
  /* trunc */
  fd = open("/sandbox/f.txt", O_WRONLY | O_TRUNC);
  T("open trunc", fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0);
  close(fd);
  E("read a directory", __wasi_fd_read(3, iov, 1, &n), __WASI_ERRNO_NOTCAPABLE);
  T("stdout is writable", write(1, "", 0) == 0);
  return finish();
}
