/* A read-only grant (--ro-dir): reading works, every mutation fails. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  FILE *f = fopen("/ro/in.txt", "r");
  char buf[64] = {0};
  if (f) {
    fgets(buf, sizeof buf, f);
    fclose(f);
  }
  printf("read=%s", f ? buf : "FAILED\n");
  printf("write=%s\n", fopen("/ro/new.txt", "w") ? "ALLOWED" : "refused");
  printf("mkdir=%s\n", mkdir("/ro/d", 0755) ? "refused" : "ALLOWED");
  printf("unlink=%s\n", unlink("/ro/in.txt") ? "refused" : "ALLOWED");
  return 0;
}
