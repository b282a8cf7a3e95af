/* irdump: prints the internal code of every defined function of a module
 * (handler names and raw 32-bit operand words), to check what the
 * translator emits.  usage: irdump FILE.wasm|FILE.wat [FUNC_INDEX] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/wasm/wasm_exec.h"

static const char *const names[] = {
#define X(n) #n,
    LAT_EXEC_OPS(X)
#undef X
};

/* SIMD ops (the end of LAT_EXEC_OPS), sizes per the formats in
 * wasm_simd.h, stamped from its op lists */
#define S16(X, name, id) 16,
#define S24(X, name, id) 24,
#define S24X2(X, name, id) 24, 24,
#define S24X3(X, name, id) 24, 24, 24,
static const unsigned char simd_sizes[] = {
    LAT_SIMD_SPLAT(S16, _) LAT_SIMD_UN(S16, _) LAT_SIMD_TEST(S16, _)
    LAT_SIMD_BIN(S24, _) LAT_SIMD_SHIFT(S24X2, _) LAT_SIMD_LOAD(S24X3, _)
    24, 24, 24,             /* v128_store, _rr, _ri */
    32, 40, 24,             /* v128_const, i8x16_shuffle, v128_bitselect */
    24, 24, 24, 24, 24, 24, /* extract lanes */
    24, 24, 24, 24,         /* replace lanes */
    32, 32, 32, 32,         /* load lanes */
    24, 24, 24, 24,         /* store lanes */
    24, 16, 16,             /* select2, global_get2, global_set2 */
};
_Static_assert(sizeof simd_sizes == LAT_OP_COUNT - LAT_OP_i8x16_splat,
               "simd_sizes must follow LAT_EXEC_SIMD_OPS");

static size_t op_size(int op, const uint8_t *p) {
  if (op >= LAT_OP_i8x16_splat) return simd_sizes[op - LAT_OP_i8x16_splat];
  const char *n = names[op];
  size_t l = strlen(n);
  if (!strcmp(n, "unreachable") || !strcmp(n, "ret")) return 8;
  if (!strcmp(n, "br_table")) {
    uint32_t cnt;
    memcpy(&cnt, p + 12, 4);
    return (16 + 4 * ((size_t)cnt + 1) + 7) & ~(size_t)7;
  }
  if (!strcmp(n, "table_copy") || !strcmp(n, "table_init")) return 32;
  if (!strncmp(n, "store", 5) && (!strcmp(n + l - 4, "_rri") || !strcmp(n + l - 4, "_rii")))
    return 32;
  if (!strcmp(n, "const64") || !strcmp(n, "call_indirect") ||
      !strcmp(n, "select") || !strncmp(n, "load", 4) || !strncmp(n, "store", 5) ||
      !strcmp(n, "memory_fill") || !strcmp(n, "memory_copy") ||
      !strcmp(n, "memory_init") || !strcmp(n, "table_get") ||
      !strcmp(n, "table_set") || !strcmp(n, "table_grow") ||
      !strcmp(n, "table_fill"))
    return 24;
  if (l > 3 && (!strcmp(n + l - 3, "_rr") || !strcmp(n + l - 3, "_ri") ||
                !strcmp(n + l - 3, "_ar") || !strcmp(n + l - 3, "_ai") ||
                !strcmp(n + l - 3, "_ir") || !strcmp(n + l - 3, "_ia") ||
                !strcmp(n + l - 2, "_m") || !strcmp(n + l - 3, "_ma") || strstr(n, "_rr_") ||
                strstr(n, "_ri_") || strstr(n, "_ar_") || strstr(n, "_ai_")))
    return 24;
  if (!strncmp(n, "br_i32", 6) || !strncmp(n, "br_i64", 6)) return 24;
  return 16;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  uint8_t *bytes;
  size_t len;
  lat_error_t err;
  lat_wasm_module_t *m;
  if (lat_file_read(argv[1], &bytes, &len, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  if (len < 4 || memcmp(bytes, "\0asm", 4)) { /* WAT text */
    lat_buf_t b;
    lat_buf_init(&b);
    if (lat_wat_to_wasm((const char *)bytes, len, &b, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
    lat_free(bytes);
    bytes = lat_buf_steal(&b, &len);
  }
  if (lat_wasm_module_new(bytes, len, &m, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  const void *const *labels = lat__wasm_exec_labels();
  for (uint32_t f = m->nfunc_imports; f < m->nfuncs; f++) {
    if (argc > 2 && f != (uint32_t)atoi(argv[2])) continue;
    const lat__code_t *c;
    lat_status st = lat__wasm_translate(m, f, &c);
    if (st) {
      printf("func %u: %s\n", f, lat_status_name(st));
      continue;
    }
    printf("func %u: frame %u params %u locals %u results %u, %zu bytes\n", f,
           c->frame_slots, c->param_slots, c->local_slots, c->result_slots, c->size);
    const uint8_t *p = (const uint8_t *)c->code, *end = p + c->size;
    while (p < end) {
      const void *h;
      memcpy(&h, p, sizeof h);
      int op = -1;
      for (int i = 0; i < LAT_OP_COUNT; i++)
        if (labels[i] == h) op = i;
      if (op < 0) {
        printf("  %5zu: ??? %p\n", (size_t)(p - (const uint8_t *)c->code), h);
        break;
      }
      size_t sz = op_size(op, p);
      printf("  %5zu: %-22s", (size_t)(p - (const uint8_t *)c->code), names[op]);
      for (size_t o = 8; o < sz; o += 4) {
        int32_t w;
        memcpy(&w, p + o, 4);
        printf(" %d", w);
      }
      printf("\n");
      p += sz;
    }
    if (p != end) printf("  (walk ended %td bytes past the code: a size is wrong)\n", p - end);
  }
  lat_wasm_module_release(m);
  lat_free(bytes);
  return 0;
}
