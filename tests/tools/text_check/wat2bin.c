/* wat2bin: encodes one .wat file with lat_wat_to_wasm (test driver). */
#include <stdio.h>
#include <stdlib.h>

#include "../../../src/wasm/wasm.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: wat2bin in.wat out.wasm\n");
    return 2;
  }
  uint8_t *text;
  size_t len;
  lat_error_t err;
  if (lat_file_read(argv[1], &text, &len, &err) != LAT_OK) {
    fprintf(stderr, "%s: %s\n", argv[1], err.msg);
    return 1;
  }
  lat_buf_t out;
  lat_buf_init(&out);
  lat_status st = lat_wat_to_wasm((const char *)text, len, &out, &err);
  lat_free(text);
  if (st != LAT_OK) {
    fprintf(stderr, "%s:%s\n", argv[1], err.msg);
    lat_buf_fini(&out);
    return 1;
  }
  FILE *f = fopen(argv[2], "wb");
  if (!f || fwrite(out.data, 1, out.len, f) != out.len) {
    perror(argv[2]);
    return 1;
  }
  fclose(f);
  lat_buf_fini(&out);
  return 0;
}
