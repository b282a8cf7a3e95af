/* wast_dump: test driver for the WAST reader and the WAT encoder.
 *
 * For every command of a script, prints "line kind form status" and writes
 * each module that encodes to OUTDIR/<n>.wasm (n counts module commands), so a script can compare
 * our binaries with wabt's (wast2json) after wasm2wat on both.  Quote
 * modules are parsed with lat_wat_to_wasm and written too when they parse.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../../src/wasm/wasm_text.h"

static int write_file(const char *dir, unsigned ord, const uint8_t *d,
                      size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%u.wasm", dir, ord);
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = n ? fwrite(d, 1, n, f) : 0;
  fclose(f);
  return w == n ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: wast_dump file.wast [outdir]\n");
    return 2;
  }
  const char *dir = argc > 2 ? argv[2] : NULL;
  uint8_t *text;
  size_t len;
  lat_error_t err;
  if (lat_file_read(argv[1], &text, &len, &err) != LAT_OK) {
    fprintf(stderr, "%s: %s\n", argv[1], err.msg);
    return 1;
  }
  lat_wast_t *w;
  if (lat_wast_new((const char *)text, len, &w, &err) != LAT_OK) {
    printf("LEXFAIL %s:%s\n", argv[1], err.msg);
    lat_free(text);
    return 1;
  }
  int rc = 0;
  unsigned ord = 0;
  for (;;) {
    lat_wast_cmd_t c;
    lat_status st = lat_wast_next(w, &c, &err);
    if (st != LAT_OK) {
      printf("%u ERROR %s\n", c.line, err.msg);
      rc = 1;
      if (st == LAT_ENOMEM) break;
      continue;
    }
    if (c.kind == LAT_WAST_END) break;
    printf("%u %s", c.line, lat_wast_kind_name(c.kind));
    if (c.has_module) {
      const lat_wast_module_t *m = &c.module;
      printf(" #%u", ord);
      if (m->form == LAT_WAST_MOD_QUOTE) {
        lat_buf_t out;
        lat_buf_init(&out);
        lat_error_t e2;
        st = lat_wat_to_wasm(m->text, m->text_len, &out, &e2);
        printf(" quote %s", st == LAT_OK ? "ok" : e2.msg);
        if (st == LAT_OK && dir) write_file(dir, ord, out.data, out.len);
        lat_buf_fini(&out);
      } else {
        printf(" %s %s", m->form == LAT_WAST_MOD_BINARY ? "binary" : "text",
               m->status == LAT_OK ? "ok" : m->err.msg);
        if (m->status == LAT_OK && dir) write_file(dir, ord, m->bytes, m->len);
      }
    }
    if (c.has_module) ord++;
    if (c.has_action)
      printf(" %s \"%.*s\" nargs=%zu", c.action.kind == LAT_WAST_INVOKE ? "invoke" : "get",
             (int)c.action.name_len, c.action.name, c.action.nargs);
    if (c.kind == LAT_WAST_ASSERT_RETURN) printf(" nres=%zu", c.nresults);
    if (c.message) printf(" msg=\"%s\"", c.message);
    printf("\n");
  }
  lat_wast_free(w);
  lat_free(text);
  return rc;
}
