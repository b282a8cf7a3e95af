/* The common path of files and directories, written so that any correct
 * preview-1 host prints exactly the same text: the driver runs it under
 * Lattice and under Node's WASI and compares the two outputs. */
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
  while (d && (e = readdir(d)) && n < 64)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  if (d) closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("ls %s:", path);
  for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
  printf("\n");
}
int main(int argc, char **argv) {
  printf("argv:");
  for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\nHOME=%s\n", getenv("HOME") ? getenv("HOME") : "(unset)");
  T("mkdir", mkdir("/w/dir", 0755) == 0);
  FILE *f = fopen("/w/dir/notes.txt", "w");
  T("fopen w", f != NULL);
  for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
  T("fclose", fclose(f) == 0);
  struct stat st;
  T("stat", stat("/w/dir/notes.txt", &st) == 0);
  printf("size %lld\n", (long long)st.st_size);
  f = fopen("/w/dir/notes.txt", "r");
  char line[64];
  fseek(f, 6 * 10, SEEK_SET);
  fgets(line, sizeof line, f);
  printf("at 60: %s", line);
  fseek(f, -9, SEEK_END);
  fgets(line, sizeof line, f);
  printf("last: %s", line);
  printf("tell %ld\n", ftell(f));
  fclose(f);
  int fd = open("/w/dir/notes.txt", O_RDWR);
  T("pwrite", pwrite(fd, "LINE", 4, 0) == 4);
  char buf[16] = {0};
  T("pread", pread(fd, buf, 6, 0) == 6);
  printf("pread: %.6s\n", buf);
  T("ftruncate", ftruncate(fd, 20) == 0 && fstat(fd, &st) == 0 && st.st_size == 20);
  close(fd);
  T("rename", rename("/w/dir/notes.txt", "/w/dir/renamed.txt") == 0);
  T("symlink", symlink("renamed.txt", "/w/dir/link") == 0);
  char target[64] = {0};
  T("readlink", readlink("/w/dir/link", target, sizeof target) > 0);
  printf("link -> %s\n", target);
  T("lstat", lstat("/w/dir/link", &st) == 0 && S_ISLNK(st.st_mode));
  T("stat through link", stat("/w/dir/link", &st) == 0 && st.st_size == 20);
  T("link", link("/w/dir/renamed.txt", "/w/dir/hard") == 0);
  T("nlink", stat("/w/dir/hard", &st) == 0 && st.st_nlink == 2);
  T("mkdir sub", mkdir("/w/dir/sub", 0755) == 0);
  list("/w/dir");
  T("missing file", open("/w/dir/missing", O_RDONLY) < 0 && errno == ENOENT);
  T("exclusive create", open("/w/dir/hard", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST);
  T("rmdir non-empty", rmdir("/w/dir") < 0 && errno == ENOTEMPTY);
  T("unlink", unlink("/w/dir/hard") == 0 && unlink("/w/dir/link") == 0 && unlink("/w/dir/renamed.txt") == 0);
  T("rmdir", rmdir("/w/dir/sub") == 0 && rmdir("/w/dir") == 0);
  list("/w");
  /* stdin to stdout */
  size_t total = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0) total += (size_t)n;
  printf("stdin bytes %zu\n", total);
  return finish();
}
