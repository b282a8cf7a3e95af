/* decode_check: runs the decoder and validator over the spec suite's
 * modules, as converted by wabt's wast2json, and over mutated inputs.
 *
 *   decode_check FILE.json...        spec check: every `module` (and the
 *       modules of assert_unlinkable/uninstantiable/trap) must decode and
 *       validate; binary assert_malformed must give LAT_EMALFORMED and
 *       binary assert_invalid LAT_EINVALID.  Text-format (`module quote`)
 *       commands are for the text parser and are skipped.  The message is
 *       compared with the expected text (ours must start with it or contain
 *       it); differences are printed and counted but are not failures.
 *   decode_check --fuzz SEED ROUNDS FILE.wasm...   every truncation of each
 *       file (1000 random ones above 4 KiB), plus ROUNDS random mutations
 *       each: must not crash (run it under ASan/UBSan); prints how many
 *       were accepted/rejected.
 *   decode_check --one FILE.wasm...  prints the status and message of each.
 *   decode_check --bench FILE.wasm [REPEAT]   decode+validate throughput.
 *
 * wast2json writes one command per line, so the JSON is read line by line
 * with a small key extractor instead of a JSON library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/wasm/wasm_int.h"

/* the translator's hook, not linked into this standalone tool */
__attribute__((weak)) void lat__wasm_exec_free(lat_wasm_module_t *m) {
  (void)m;
}

static int passed, failed, msg_diffs;

/* Copies the string value of "key": "..." from line into out (unescaped). */
static int json_str(const char *line, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": \"", key);
  const char *p = strstr(line, pat);
  if (!p) return 0;
  p += strlen(pat);
  size_t n = 0;
  while (*p && *p != '"' && n + 1 < cap) {
    if (*p == '\\' && p[1]) {
      p++;
      if (*p == 'u') { /* \uXXXX: keep ASCII, else '?' */
        unsigned cp = 0;
        if (sscanf(p + 1, "%4x", &cp) == 1) p += 4;
        out[n++] = cp < 0x80 ? (char)cp : '?';
        p++;
        continue;
      }
      out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
      p++;
      continue;
    }
    out[n++] = *p++;
  }
  out[n] = '\0';
  return 1;
}

static int json_int(const char *line, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *p = strstr(line, pat);
  return p ? atoi(p + strlen(pat)) : 0;
}

static void check_one(const char *dir, const char *json, const char *line) {
  char type[64], file[512], text[512], mtype[32], path[2048];
  if (!json_str(line, "type", type, sizeof type)) return;
  if (!json_str(line, "filename", file, sizeof file)) return;
  if (!json_str(line, "module_type", mtype, sizeof mtype))
    strcpy(mtype, "binary");
  if (!json_str(line, "text", text, sizeof text)) text[0] = '\0';
  int lineno = json_int(line, "line");
  lat_status want;
  if (strcmp(type, "assert_malformed") == 0)
    want = LAT_EMALFORMED;
  else if (strcmp(type, "assert_invalid") == 0)
    want = LAT_EINVALID;
  else if (strcmp(type, "module") == 0 ||
           strcmp(type, "assert_unlinkable") == 0 ||
           strcmp(type, "assert_uninstantiable") == 0 ||
           strcmp(type, "assert_trap") == 0)
    want = LAT_OK;
  else
    return;
  if (strcmp(mtype, "binary") != 0) return; /* text modules: not ours */

  snprintf(path, sizeof path, "%s/%s", dir, file);
  uint8_t *bytes;
  size_t len;
  lat_error_t err;
  lat_error_clear(&err);
  if (lat_file_read(path, &bytes, &len, &err)) {
    printf("FAIL %s:%d cannot read %s: %s\n", json, lineno, path, err.msg);
    failed++;
    return;
  }
  lat_wasm_module_t *m = NULL;
  lat_status got = lat_wasm_module_new(bytes, len, &m, &err);
  lat_wasm_module_release(m);
  lat_free(bytes);
  if (got != want) {
    printf("FAIL %s:%d %s (%s): want %s, got %s \"%s\" @%zd  [expected text \"%s\"]\n",
           json, lineno, type, file, lat_status_name(want),
           lat_status_name(got), got ? err.msg : "", got ? (ssize_t)err.offset : -1,
           text);
    failed++;
    return;
  }
  passed++;
  if (want != LAT_OK && text[0] && strncmp(err.msg, text, strlen(text)) != 0 &&
      !strstr(err.msg, text)) {
    printf("MSG  %s:%d (%s): expected \"%s\", got \"%s\"\n", json, lineno,
           file, text, err.msg);
    msg_diffs++;
  }
}

static void check_json(const char *json) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", json);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  else
    strcpy(dir, ".");
  FILE *f = fopen(json, "r");
  if (!f) {
    printf("FAIL cannot open %s\n", json);
    failed++;
    return;
  }
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) check_one(dir, json, line);
  free(line);
  fclose(f);
}

/* xorshift64*: deterministic mutations from a seed */
static uint64_t rng(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

static void fuzz(uint64_t seed, long rounds, const char *path) {
  uint8_t *bytes;
  size_t len;
  lat_error_t err;
  long ok = 0, bad = 0;
  if (lat_file_read(path, &bytes, &len, &err)) {
    printf("FAIL cannot read %s\n", path);
    failed++;
    return;
  }
  uint8_t *buf = malloc(len + 16);
  /* every truncation of small files, 1000 random ones of big files */
  size_t ncuts = len <= 4096 ? len : 1000;
  for (size_t i = 0; i < ncuts; i++) {
    size_t cut = len <= 4096 ? i : rng(&seed) % len;
    lat_wasm_module_t *m = NULL;
    memcpy(buf, bytes, cut);
    if (lat_wasm_module_new(buf, cut, &m, &err) == LAT_OK) ok++; else bad++;
    lat_wasm_module_release(m);
  }
  for (long i = 0; i < rounds && len; i++) {
    lat_wasm_module_t *m = NULL;
    memcpy(buf, bytes, len);
    int nmut = 1 + (int)(rng(&seed) % 4);
    for (int k = 0; k < nmut; k++) {
      size_t at = rng(&seed) % len;
      switch (rng(&seed) % 4) {
      case 0: buf[at] = (uint8_t)rng(&seed); break;
      case 1: buf[at] ^= (uint8_t)(1u << (rng(&seed) % 8)); break;
      case 2: buf[at] = (uint8_t[]){0x00, 0x7f, 0x80, 0xff, 0x0b, 0x40}[rng(&seed) % 6]; break;
      case 3: buf[at] = buf[rng(&seed) % len]; break;
      }
    }
    if (lat_wasm_module_new(buf, len, &m, &err) == LAT_OK) ok++; else bad++;
    lat_wasm_module_release(m);
  }
  free(buf);
  lat_free(bytes);
  passed++;
  printf("fuzz %s: %ld accepted, %ld rejected, no crash\n", path, ok, bad);
}

static void bench(const char *path, int repeat) {
  uint8_t *bytes;
  size_t len;
  lat_error_t err;
  if (lat_file_read(path, &bytes, &len, &err)) {
    printf("cannot read %s\n", path);
    failed++;
    return;
  }
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < repeat; i++) {
    lat_wasm_module_t *m = NULL;
    uint64_t t0 = lat_now_ns();
    lat_status st = lat_wasm_module_new(bytes, len, &m, &err);
    uint64_t dt = lat_now_ns() - t0;
    lat_wasm_module_release(m);
    if (st) {
      printf("FAIL %s: %s %s @%zu\n", path, lat_status_name(st), err.msg,
             err.offset);
      failed++;
      break;
    }
    if (dt < best) best = dt;
  }
  if (!failed)
    printf("bench %s: %zu bytes, best %.2f ms, %.1f MB/s\n", path, len,
           best / 1e6, len / (best / 1e9) / 1e6);
  lat_free(bytes);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--fuzz") == 0 && argc > 4) {
    uint64_t seed = strtoull(argv[2], NULL, 0) | 1;
    long rounds = atol(argv[3]);
    for (int i = 4; i < argc; i++) fuzz(seed + (uint64_t)i, rounds, argv[i]);
  } else if (argc > 2 && strcmp(argv[1], "--one") == 0) {
    for (int i = 2; i < argc; i++) {
      uint8_t *bytes;
      size_t len;
      lat_error_t err;
      lat_wasm_module_t *m = NULL;
      lat_error_clear(&err);
      if (lat_file_read(argv[i], &bytes, &len, &err)) {
        printf("%s: %s\n", argv[i], err.msg);
        failed++;
        continue;
      }
      lat_status st = lat_wasm_module_new(bytes, len, &m, &err);
      printf("%s: %s \"%s\" @%zd\n", argv[i], lat_status_name(st),
             st ? err.msg : "", st ? (ssize_t)err.offset : -1);
      lat_wasm_module_release(m);
      lat_free(bytes);
      if (st) failed++; else passed++;
    }
  } else if (argc > 2 && strcmp(argv[1], "--bench") == 0) {
    bench(argv[2], argc > 3 ? atoi(argv[3]) : 5);
  } else {
    for (int i = 1; i < argc; i++) check_json(argv[i]);
    printf("%d message differences\n", msg_diffs);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
