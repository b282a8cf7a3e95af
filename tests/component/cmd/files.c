/* File I/O inside a granted directory (--dir HOST::/data), and the sandbox
 * around it: paths that leave the grant fail. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int names_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  FILE *f = fopen("/data/a.txt", "w");
  if (!f) { printf("open for write failed: %s\n", strerror(errno)); return 1; }
  for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
  fclose(f);
  struct stat st;
  if (stat("/data/a.txt", &st)) { printf("stat failed\n"); return 1; }
  printf("size=%lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  f = fopen("/data/a.txt", "r");
  char line[64];
  int n = 0;
  while (fgets(line, sizeof line, f)) n++;
  fseek(f, 10 * 7, SEEK_SET);
  fgets(line, sizeof line, f);
  fclose(f);
  printf("lines=%d seek-read=%s", n, line);
  f = fopen("/data/a.txt", "a");
  fputs("appended\n", f);
  fclose(f);
  stat("/data/a.txt", &st);
  printf("size-after-append=%lld\n", (long long)st.st_size);
  printf("mkdir=%d\n", mkdir("/data/sub", 0755));
  printf("rename=%d\n", rename("/data/a.txt", "/data/sub/b.txt"));
  printf("old-gone=%d\n", access("/data/a.txt", F_OK) != 0);
  DIR *d = opendir("/data/sub");
  char *names[16];
  int k = 0;
  struct dirent *de;
  while (d && (de = readdir(d)) && k < 16)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) names[k++] = strdup(de->d_name);
  if (d) closedir(d);
  qsort(names, (size_t)k, sizeof names[0], names_cmp);
  for (int i = 0; i < k; i++) printf("entry=%s\n", names[i]);
  printf("unlink=%d\n", unlink("/data/sub/b.txt"));
  printf("rmdir=%d\n", rmdir("/data/sub"));
  errno = 0;
  printf("escape-dotdot=%s\n", fopen("/data/../../etc/passwd", "r") ? "OPENED" : "refused");
  printf("escape-abs=%s\n", fopen("/etc/passwd", "r") ? "OPENED" : "refused");
  printf("missing=%s\n", fopen("/data/nope.txt", "r") ? "OPENED" : strerror(errno));
  return 0;
}
