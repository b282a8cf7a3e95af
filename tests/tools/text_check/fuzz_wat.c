/* fuzz_wat: fuzz target for the WAT encoder and the WAST reader.
 *
 * With clang: clang -fsanitize=fuzzer,address,undefined ... builds a
 * libFuzzer target (LLVMFuzzerTestOneInput).  With -DLAT_FUZZ_MAIN it is a
 * stand-alone driver for gcc: for every file given it runs the file itself,
 * every truncation at a stride, and N seeded random mutations (byte flips,
 * deletions, duplications of a slice, insertions of syntax characters), so
 * the spec suite serves as a corpus under ASan without libFuzzer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/wasm/wasm_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lat_buf_t out;
  lat_error_t err;
  lat_buf_init(&out);
  (void)lat_wat_to_wasm((const char *)data, size, &out, &err);
  lat_buf_fini(&out);
  lat_wast_t *w;
  if (lat_wast_new((const char *)data, size, &w, &err) != LAT_OK) return 0;
  for (int guard = 0; guard < 100000; guard++) {
    lat_wast_cmd_t c;
    lat_status st = lat_wast_next(w, &c, &err);
    if (st == LAT_ENOMEM) break;
    if (st != LAT_OK) continue;
    if (c.kind == LAT_WAST_END) break;
    if (c.has_module && c.module.form == LAT_WAST_MOD_QUOTE) {
      lat_buf_init(&out);
      (void)lat_wat_to_wasm(c.module.text, c.module.text_len, &out, &err);
      lat_buf_fini(&out);
    }
  }
  lat_wast_free(w);
  return 0;
}

#ifdef LAT_FUZZ_MAIN
static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

int main(int argc, char **argv) {
  int mutations = 200;
  int first = 1;
  if (argc > 2 && !strcmp(argv[1], "-n")) {
    mutations = atoi(argv[2]);
    first = 3;
  }
  static const char syntax[] = "()\";$ \n0x_.-+p:=\\";
  for (int f = first; f < argc; f++) {
    uint8_t *d;
    size_t n;
    lat_error_t err;
    if (lat_file_read(argv[f], &d, &n, &err) != LAT_OK) {
      fprintf(stderr, "%s: %s\n", argv[f], err.msg);
      return 1;
    }
    rng_state = 0x9e3779b97f4a7c15ull ^ n;
    LLVMFuzzerTestOneInput(d, n);
    size_t stride = n / 64 + 1;
    for (size_t cut = 0; cut < n; cut += stride) {
      uint8_t *t = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
      memcpy(t, d, cut);
      LLVMFuzzerTestOneInput(t, cut);
      free(t);
    }
    uint8_t *m = malloc(n * 2 + 64);
    for (int i = 0; i < mutations; i++) {
      size_t len = n;
      memcpy(m, d, n);
      int edits = 1 + (int)(rnd() % 8);
      for (int e = 0; e < edits && len > 0; e++) {
        size_t pos = rnd() % len;
        switch (rnd() % 4) {
        case 0: m[pos] = (uint8_t)rnd(); break;
        case 1: m[pos] = (uint8_t)syntax[rnd() % (sizeof syntax - 1)]; break;
        case 2: { /* delete a slice */
          size_t k = rnd() % 16;
          if (pos + k > len) k = len - pos;
          memmove(m + pos, m + pos + k, len - pos - k);
          len -= k;
          break;
        }
        default: { /* duplicate a slice */
          size_t k = rnd() % 32;
          if (pos + k > len) k = len - pos;
          if (len + k <= n * 2 + 64) {
            memmove(m + pos + k, m + pos, len - pos);
            len += k;
          }
          break;
        }
        }
      }
      uint8_t *t = malloc(len ? len : 1);
      memcpy(t, m, len);
      LLVMFuzzerTestOneInput(t, len);
      free(t);
    }
    free(m);
    lat_free(d);
  }
  printf("fuzz_wat: %d files done\n", argc - first);
  return 0;
}
#endif
