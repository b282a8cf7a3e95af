/* Escapes from the granted directory must fail with ENOTCAPABLE (raw
 * preview-1 calls on the preopen fd 3, so wasi-libc's own path handling does
 * not hide what the host does).  The driver grants SANDBOX as /sandbox
 * (fd 3) and RO as /ro read-only (fd 4); OUTSIDE/secret.txt is next to
 * SANDBOX, and SANDBOX/hostlink is a host-made symlink to OUTSIDE.  It
 * checks afterwards that nothing outside changed. */
#include <fcntl.h>
#include <unistd.h>
#include "t.h"
#define NC __WASI_ERRNO_NOTCAPABLE
static __wasi_errno_t op(const char *path, __wasi_lookupflags_t fl, __wasi_oflags_t of, __wasi_rights_t r) {
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_path_open(3, fl, path, of, r, 0, 0, &fd);
  if (!e) __wasi_fd_close(fd);
  return e;
}
#define RD (__WASI_RIGHTS_FD_READ)
#define WR (__WASI_RIGHTS_FD_WRITE)
int main(void) {
  __wasi_filestat_t st;
  __wasi_fd_t fd;
  E("open inside works", op("inside.txt", 1, 0, RD), 0);
  E("open ..", op("../outside/secret.txt", 1, 0, RD), NC);
  E("open a/../../", op("sub/../../outside/secret.txt", 1, 0, RD), NC);
  E("open absolute", op("/etc/passwd", 1, 0, RD), NC);
  E("open .. alone", op("..", 1, __WASI_OFLAGS_DIRECTORY, RD), NC);
  E("create through ..", op("../outside/new.txt", 1, __WASI_OFLAGS_CREAT, WR), NC);
  E("stat ..", __wasi_path_filestat_get(3, 0, "..", &st), NC);
  E("stat ../ follow", __wasi_path_filestat_get(3, 1, "../outside", &st), NC);
  E("stat sub/../.. nofollow", __wasi_path_filestat_get(3, 0, "sub/../..", &st), NC);
  E("stat . works", __wasi_path_filestat_get(3, 0, ".", &st), 0);
  E("stat sub/.. works", __wasi_path_filestat_get(3, 0, "sub/..", &st), 0);
  /* symlinks the guest makes: storing a relative one is fine, following
   * out is not; an absolute target is refused outright (EPERM, as in
   * wasmtime: a host process could follow it later).  "abs" -> /etc is
   * planted by the driver, to check that following one is refused too. */
  E("symlink to ..", __wasi_path_symlink("../outside", 3, "esc"), 0);
  E("symlink to /etc", __wasi_path_symlink("/etc", 3, "abs2"), __WASI_ERRNO_PERM);
  E("symlink to / itself", __wasi_path_symlink("/", 3, "abs3"), __WASI_ERRNO_PERM);
  E("symlink chain", __wasi_path_symlink("sub/../esc", 3, "chain"), 0);
  E("follow esc", op("esc/secret.txt", 1, 0, RD), NC);
  E("follow esc nofollow-last", op("esc/secret.txt", 0, 0, RD), NC);
  E("follow abs", op("abs/passwd", 1, 0, RD), NC);
  E("follow chain", op("chain/secret.txt", 1, 0, RD), NC);
  E("open esc itself follow", op("esc", 1, __WASI_OFLAGS_DIRECTORY, RD), NC);
  E("stat through esc", __wasi_path_filestat_get(3, 1, "esc", &st), NC);
  E("stat esc/ trailing slash", __wasi_path_filestat_get(3, 0, "esc/", &st), NC);
  E("lstat esc is fine", __wasi_path_filestat_get(3, 0, "esc", &st), 0);
  E("host symlink out", op("hostlink/secret.txt", 1, 0, RD), NC);
  E("create through host symlink", op("hostlink/new.txt", 1, __WASI_OFLAGS_CREAT, WR), NC);
  E("mkdir through esc", __wasi_path_create_directory(3, "esc/newdir"), NC);
  E("mkdir ..", __wasi_path_create_directory(3, "../newdir"), NC);
  E("unlink through ..", __wasi_path_unlink_file(3, "../outside/secret.txt"), NC);
  E("unlink through esc", __wasi_path_unlink_file(3, "esc/secret.txt"), NC);
  E("rmdir ..", __wasi_path_remove_directory(3, "sub/../.."), NC);
  E("rename out", __wasi_path_rename(3, "inside.txt", 3, "../outside/stolen.txt"), NC);
  E("rename in", __wasi_path_rename(3, "../outside/secret.txt", 3, "got.txt"), NC);
  E("rename through esc", __wasi_path_rename(3, "esc/secret.txt", 3, "got.txt"), NC);
  E("hard link from outside", __wasi_path_link(3, 0, "../outside/secret.txt", 3, "hl"), NC);
  E("hard link through esc", __wasi_path_link(3, 0, "esc/secret.txt", 3, "hl"), NC);
  E("hard link follow esc", __wasi_path_link(3, 1, "esc", 3, "hl"), NC);
  E("hard link to outside", __wasi_path_link(3, 0, "inside.txt", 3, "../outside/hl"), NC);
  E("hard link of the symlink itself", __wasi_path_link(3, 0, "esc", 3, "esc2"), 0);
  E("which still cannot be followed", op("esc2/secret.txt", 1, 0, RD), NC);
  E("symlink placed outside", __wasi_path_symlink("x", 3, "../outside/sl"), NC);
  char buf[64];
  __wasi_size_t n;
  E("readlink outside", __wasi_path_readlink(3, "../outside/x", (uint8_t *)buf, sizeof buf, &n), NC);
  E("readlink esc works", __wasi_path_readlink(3, "esc", (uint8_t *)buf, sizeof buf, &n), 0);
  E("utimes through ..", __wasi_path_filestat_set_times(3, 1, "../outside/secret.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), NC);
  E("utimes through esc", __wasi_path_filestat_set_times(3, 1, "esc/secret.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), NC);
  E("utimes follow esc", __wasi_path_filestat_set_times(3, 1, "esc", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), NC);
  /* fd 5 is the host's /proc, granted read-only: its magic links
   * (/proc/self/root, /proc/self/cwd) must not be followed */
  __wasi_errno_t me = __wasi_path_open(5, 1, "self/root/etc/passwd", 0, RD, 0, 0, &fd);
  T("magic link /proc/self/root", me == NC || me == __WASI_ERRNO_LOOP);
  me = __wasi_path_open(5, 1, "self/cwd", __WASI_OFLAGS_DIRECTORY, RD, 0, 0, &fd);
  T("magic link /proc/self/cwd", me == NC || me == __WASI_ERRNO_LOOP);
  E("empty path", __wasi_path_filestat_get(3, 0, "", &st), __WASI_ERRNO_NOENT);
  E("fd not a directory", __wasi_path_filestat_get(1, 0, "x", &st), __WASI_ERRNO_NOTCAPABLE);
  E("bad fd", __wasi_path_filestat_get(42, 0, "x", &st), __WASI_ERRNO_BADF);
  /* read-only grant at fd 4 */
  __wasi_fd_t rfd;
  E("ro: read works",
    __wasi_path_open(4, 1, "data.txt", 0, RD | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES, 0, 0, &rfd), 0);
  n = 0;
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  E("ro: fd_read", __wasi_fd_read(rfd, &iov, 1, &n), 0);
  printf("ro data: %.*s\n", (int)n, buf);
  E("ro: fd_write", __wasi_fd_write(rfd, &(__wasi_ciovec_t){(const uint8_t *)"x", 1}, 1, &n), __WASI_ERRNO_NOTCAPABLE);
  E("ro: set size", __wasi_fd_filestat_set_size(rfd, 0), __WASI_ERRNO_NOTCAPABLE);
  E("ro: set times", __wasi_fd_filestat_set_times(rfd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_ROFS);
  __wasi_fd_close(rfd);
  E("ro: open for write", __wasi_path_open(4, 1, "data.txt", 0, WR, 0, 0, &fd), __WASI_ERRNO_ROFS);
  E("ro: create", __wasi_path_open(4, 1, "new.txt", __WASI_OFLAGS_CREAT, RD, 0, 0, &fd), __WASI_ERRNO_ROFS);
  E("ro: trunc", __wasi_path_open(4, 1, "data.txt", __WASI_OFLAGS_TRUNC, RD, 0, 0, &fd), __WASI_ERRNO_ROFS);
  E("ro: mkdir", __wasi_path_create_directory(4, "nd"), __WASI_ERRNO_ROFS);
  E("ro: unlink", __wasi_path_unlink_file(4, "data.txt"), __WASI_ERRNO_ROFS);
  E("ro: rename", __wasi_path_rename(4, "data.txt", 4, "moved.txt"), __WASI_ERRNO_ROFS);
  E("ro: rename into rw", __wasi_path_rename(4, "data.txt", 3, "moved.txt"), __WASI_ERRNO_ROFS);
  E("ro: link into ro", __wasi_path_link(3, 0, "inside.txt", 4, "l"), __WASI_ERRNO_ROFS);
  E("ro: symlink", __wasi_path_symlink("data.txt", 4, "sl"), __WASI_ERRNO_ROFS);
  E("ro: utimes", __wasi_path_filestat_set_times(4, 0, "data.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_ROFS);
  E("ro: stat works", __wasi_path_filestat_get(4, 0, "data.txt", &st), 0);
  /* libc view: an absolute path outside every grant */
  T("libc open /etc/passwd", open("/etc/passwd", O_RDONLY) < 0 && errno == ENOTCAPABLE);
  T("libc fopen ro for write", fopen("/ro/data.txt", "w") == NULL && errno == EROFS);
  return finish();
}
