/* Reads all of stdin and echoes it upper-cased, with a byte count. */
#include <ctype.h>
#include <stdio.h>

int main(void) {
  int c;
  long n = 0;
  while ((c = getchar()) != EOF) {
    putchar(toupper(c));
    n++;
  }
  printf("bytes=%ld\n", n);
  fprintf(stderr, "done reading\n");
  return 0;
}
