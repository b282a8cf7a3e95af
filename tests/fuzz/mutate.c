/* Deterministic corpus mutator: writes N mutants of each input file.
 *
 * Usage: mutate SEED N OUTDIR FILE...
 * Mutant k of FILE is OUTDIR/<basename>.m<k><ext>, and depends only on SEED,
 * the basename and k (a splitmix64 stream), so a corpus is reproducible
 * from its seed files without committing any binary.  Each mutant applies
 * one to three of: bit flips, truncation, byte insertion, byte deletion,
 * an "interesting" byte (0x00 0x01 0x40 0x7f 0x80 0xff), a duplicated
 * chunk, and LEB128 extension (a byte below 0x80 rewritten as a longer,
 * non-minimal encoding of the same value, or one past the length limit),
 * which moves every later offset and so also tests section-size checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;

static uint64_t next(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603u;
  while (*s) h = (h ^ (uint8_t)*s++) * 1099511628211u;
  return h;
}

typedef struct {
  uint8_t *d;
  size_t n, cap;
} buf_t;

static void reserve(buf_t *b, size_t extra) {
  if (b->n + extra <= b->cap) return;
  while (b->cap < b->n + extra) b->cap = b->cap ? b->cap * 2 : 64;
  b->d = realloc(b->d, b->cap);
  if (!b->d) {
    perror("mutate");
    exit(1);
  }
}

static void insert(buf_t *b, size_t at, const uint8_t *src, size_t n) {
  reserve(b, n);
  memmove(b->d + at + n, b->d + at, b->n - at);
  memcpy(b->d + at, src, n);
  b->n += n;
}

static void erase(buf_t *b, size_t at, size_t n) {
  memmove(b->d + at, b->d + at + n, b->n - at - n);
  b->n -= n;
}

static void mutate_once(buf_t *b) {
  static const uint8_t interesting[] = {0x00, 0x01, 0x40, 0x7f, 0x80, 0xff};
  switch (below(7)) {
    case 0: /* bit flips */
      if (b->n)
        for (size_t k = 1 + below(4); k; k--)
          b->d[below(b->n)] ^= (uint8_t)(1u << below(8));
      break;
    case 1: /* truncate */
      b->n = below(b->n + 1);
      break;
    case 2: { /* insert 1..4 random bytes */
      uint8_t tmp[4];
      size_t n = 1 + below(4);
      for (size_t i = 0; i < n; i++) tmp[i] = (uint8_t)next();
      insert(b, below(b->n + 1), tmp, n);
      break;
    }
    case 3: /* delete 1..8 bytes */
      if (b->n) {
        size_t at = below(b->n), n = 1 + below(8);
        if (n > b->n - at) n = b->n - at;
        erase(b, at, n);
      }
      break;
    case 4: /* interesting byte */
      if (b->n) b->d[below(b->n)] = interesting[below(sizeof interesting)];
      break;
    case 5: /* duplicate a chunk in place */
      if (b->n) {
        size_t at = below(b->n), n = 1 + below(16);
        if (n > b->n - at) n = b->n - at;
        uint8_t tmp[16];
        memcpy(tmp, b->d + at, n);
        insert(b, at, tmp, n);
      }
      break;
    default: /* LEB extension at a byte that ends a LEB (top bit clear) */
      if (b->n) {
        size_t at = below(b->n);
        for (size_t k = 0; k < b->n && (b->d[at] & 0x80); k++)
          at = (at + 1) % b->n;
        if (b->d[at] & 0x80) break;
        /* 1..5 padding bytes: up to 4 stay a valid u32, 5 is too long */
        uint8_t pad[5] = {0x80, 0x80, 0x80, 0x80, 0x80};
        size_t n = 1 + below(5);
        uint8_t last = b->d[at] & 0x40 && below(2) ? 0x7f : 0x00;
        b->d[at] |= 0x80;
        insert(b, at + 1, pad, n - 1);
        insert(b, at + n, &last, 1);
      }
      break;
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s SEED N OUTDIR FILE...\n", argv[0]);
    return 2;
  }
  uint64_t seed = strtoull(argv[1], NULL, 0);
  long count = atol(argv[2]);
  const char *outdir = argv[3];
  for (int f = 4; f < argc; f++) {
    FILE *in = fopen(argv[f], "rb");
    if (!in) {
      perror(argv[f]);
      return 1;
    }
    buf_t orig = {0};
    for (;;) {
      reserve(&orig, 65536);
      size_t got = fread(orig.d + orig.n, 1, orig.cap - orig.n, in);
      orig.n += got;
      if (!got) break;
    }
    fclose(in);
    const char *base = strrchr(argv[f], '/');
    base = base ? base + 1 : argv[f];
    const char *dot = strrchr(base, '.');
    int stem = dot ? (int)(dot - base) : (int)strlen(base);
    for (long k = 0; k < count; k++) {
      rng = seed ^ hash_str(base) ^ ((uint64_t)k * 0x2545f4914f6cdd1du);
      buf_t b = {0};
      reserve(&b, orig.n + 1);
      memcpy(b.d, orig.d, orig.n);
      b.n = orig.n;
      for (size_t m = 1 + below(3); m; m--) mutate_once(&b);
      char path[4096];
      snprintf(path, sizeof path, "%s/%.*s.m%ld%s", outdir, stem, base, k,
               dot ? dot : "");
      FILE *out = fopen(path, "wb");
      if (!out || fwrite(b.d, 1, b.n, out) != b.n || fclose(out)) {
        perror(path);
        return 1;
      }
      free(b.d);
    }
    free(orig.d);
  }
  return 0;
}
