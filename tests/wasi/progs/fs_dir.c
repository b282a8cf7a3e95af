/* path_* in the granted directory: path_create_directory, path_open
 * (directory), fd_readdir, path_filestat_get (follow and not),
 * path_filestat_set_times, path_link, path_symlink, path_readlink,
 * path_rename, path_unlink_file, path_remove_directory. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }
static void list(const char *path) {
  DIR *d = opendir(path);
  char *names[64];
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
  if (d) closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("ls %s:", path);
  for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
  printf("\n");
}
static void touch(const char *p, const char *text) {
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    write(fd, text, strlen(text));
    close(fd);
  }
}
int main(void) {
  T("mkdir", mkdir("/sandbox/d", 0755) == 0);
  T("mkdir exists", mkdir("/sandbox/d", 0755) < 0 && errno == EEXIST);
  T("mkdir nested", mkdir("/sandbox/d/e", 0755) == 0);
  T("mkdir missing parent", mkdir("/sandbox/nope/e", 0755) < 0 && errno == ENOENT);
  touch("/sandbox/d/a.txt", "aaa");
  touch("/sandbox/d/b.txt", "bbbbbb");
  list("/sandbox/d");
  /* many entries: fd_readdir over several calls with cookies */
  mkdir("/sandbox/many", 0755);
  for (int i = 0; i < 40; i++) {
    char p[128];
    snprintf(p, sizeof p, "/sandbox/many/file-with-a-rather-long-name-%02d", i);
    touch(p, "");
  }
  DIR *d = opendir("/sandbox/many");
  int count = 0;
  while (readdir(d)) count++;
  closedir(d);
  T("readdir 40 entries + . and ..", count == 42);
  /* raw fd_readdir with a tiny buffer: truncated entry, then resume */
  int dfd = open("/sandbox/d", O_RDONLY | O_DIRECTORY);
  T("open directory", dfd >= 0);
  uint8_t buf[256];
  __wasi_size_t used;
  T("fd_readdir small buffer", __wasi_fd_readdir(dfd, buf, 30, 0, &used) == 0 && used == 30);
  __wasi_dirent_t de;
  memcpy(&de, buf, sizeof de);
  T("first dirent cookie 1", de.d_next == 1);
  T("fd_readdir from cookie", __wasi_fd_readdir(dfd, buf, sizeof buf, de.d_next, &used) == 0 && used > 24);
  T("fd_readdir past end", __wasi_fd_readdir(dfd, buf, sizeof buf, 1000, &used) == 0 && used == 0);
  E("fd_readdir on a file", __wasi_fd_readdir(0, buf, sizeof buf, 0, &used), __WASI_ERRNO_NOTCAPABLE);
  close(dfd);
  /* stat */
  struct stat st;
  T("stat file", stat("/sandbox/d/b.txt", &st) == 0 && st.st_size == 6 && S_ISREG(st.st_mode));
  T("stat dir", stat("/sandbox/d", &st) == 0 && S_ISDIR(st.st_mode));
  T("stat missing", stat("/sandbox/d/zzz", &st) < 0 && errno == ENOENT);
  T("stat through file", stat("/sandbox/d/b.txt/x", &st) < 0 && errno == ENOTDIR);
  /* symlinks */
  T("symlink", symlink("b.txt", "/sandbox/d/link") == 0);
  T("symlink exists", symlink("b.txt", "/sandbox/d/link") < 0 && errno == EEXIST);
  T("symlink absolute target", symlink("/etc/passwd", "/sandbox/d/abs") < 0 && errno == EPERM &&
                                   lstat("/sandbox/d/abs", &st) < 0 && errno == ENOENT);
  char target[64] = {0};
  T("readlink", readlink("/sandbox/d/link", target, sizeof target) == 5 && !memcmp(target, "b.txt", 5));
  T("readlink truncates", readlink("/sandbox/d/link", target, 2) == 2);
  T("readlink on a file", readlink("/sandbox/d/b.txt", target, sizeof target) < 0 && errno == EINVAL);
  T("lstat symlink", lstat("/sandbox/d/link", &st) == 0 && S_ISLNK(st.st_mode));
  T("stat follows symlink", stat("/sandbox/d/link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 6);
  T("open follows symlink", (dfd = open("/sandbox/d/link", O_RDONLY)) >= 0 && close(dfd) == 0);
  T("open nofollow", open("/sandbox/d/link", O_RDONLY | O_NOFOLLOW) < 0 && errno == ELOOP);
  T("symlink to dir", symlink("e", "/sandbox/d/elink") == 0);
  T("stat dir through link/", stat("/sandbox/d/elink/", &st) == 0 && S_ISDIR(st.st_mode));
  T("dangling symlink", symlink("nowhere", "/sandbox/d/dangle") == 0 &&
                            stat("/sandbox/d/dangle", &st) < 0 && errno == ENOENT &&
                            lstat("/sandbox/d/dangle", &st) == 0);
  /* times through a path */
  struct timespec ts[2] = {{3000, 0}, {4000, 500}};
  T("utimensat", utimensat(AT_FDCWD, "/sandbox/d/a.txt", ts, 0) == 0 &&
                     stat("/sandbox/d/a.txt", &st) == 0 && st.st_mtim.tv_sec == 4000 &&
                     st.st_mtim.tv_nsec == 500 && st.st_atim.tv_sec == 3000);
  T("utimensat follows link", utimensat(AT_FDCWD, "/sandbox/d/link", ts, 0) == 0 &&
                                  stat("/sandbox/d/b.txt", &st) == 0 && st.st_mtim.tv_sec == 4000);
  struct timespec ts2[2] = {{5000, 0}, {6000, 0}};
  T("utimensat nofollow", utimensat(AT_FDCWD, "/sandbox/d/link", ts2, AT_SYMLINK_NOFOLLOW) == 0 &&
                              lstat("/sandbox/d/link", &st) == 0 && st.st_mtim.tv_sec == 6000 &&
                              stat("/sandbox/d/b.txt", &st) == 0 && st.st_mtim.tv_sec == 4000);
  /* hard links */
  T("link", link("/sandbox/d/a.txt", "/sandbox/d/hard") == 0);
  T("link count 2", stat("/sandbox/d/a.txt", &st) == 0 && st.st_nlink == 2);
  T("link exists", link("/sandbox/d/a.txt", "/sandbox/d/hard") < 0 && errno == EEXIST);
  T("link a directory", link("/sandbox/d/e", "/sandbox/d/e2") < 0 && errno == EPERM);
  /* rename */
  T("rename file", rename("/sandbox/d/hard", "/sandbox/d/e/moved") == 0 &&
                       stat("/sandbox/d/e/moved", &st) == 0 && st.st_size == 3);
  T("rename missing", rename("/sandbox/d/nope", "/sandbox/d/x") < 0 && errno == ENOENT);
  T("rename dir", rename("/sandbox/d/e", "/sandbox/d/e3") == 0);
  T("rename dir over file", rename("/sandbox/d/e3", "/sandbox/d/a.txt") < 0 && errno == ENOTDIR);
  list("/sandbox/d");
  /* removal */
  T("rmdir non-empty", rmdir("/sandbox/d/e3") < 0 && errno == ENOTEMPTY);
  T("unlink", unlink("/sandbox/d/e3/moved") == 0);
  T("unlink missing", unlink("/sandbox/d/e3/moved") < 0 && errno == ENOENT);
  T("unlink a directory", unlink("/sandbox/d/e3") < 0 && errno == EISDIR);
  T("rmdir a file", rmdir("/sandbox/d/a.txt") < 0 && errno == ENOTDIR);
  T("rmdir", rmdir("/sandbox/d/e3") == 0);
  T("unlink symlink only", unlink("/sandbox/d/link") == 0 && stat("/sandbox/d/b.txt", &st) == 0);
  T("raw path_unlink_file trailing slash", __wasi_path_unlink_file(3, "d/a.txt/") == __WASI_ERRNO_NOTDIR);
  T("raw path_remove_directory", __wasi_path_create_directory(3, "d/x") == 0 &&
                                     __wasi_path_remove_directory(3, "d/x/") == 0);
  list("/sandbox/d");
  return finish();
}
