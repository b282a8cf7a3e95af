/* Unit tests for the hash map (src/base/base_map.c): the basic operations,
 * copied and borrowed keys, keys with NUL bytes, 100k keys with deletes and
 * re-inserts checked against a plain array, deleting while iterating, and an
 * allocation-failure sweep in which every failed insert must leave the map
 * exactly as it was. */
#include <stdio.h>

#include "test.h"

static void *V(uintptr_t x) { return (void *)x; }

static bool get_s(const lat_map_t *m, const char *k, void **out) {
  return lat_map_get(m, k, strlen(k), out);
}

TEST_IMPL(base_map_basic) {
  lat_map_t m;
  lat_map_init(&m, 0);
  void *v = V(99), *old = V(99);
  CHECK(!get_s(&m, "a", &v));
  CHECK(!lat_map_del(&m, "a", 1, NULL));
  CHECK_EQ_UINT(lat_map_count(&m), 0);

  CHECK_OK(lat_map_put(&m, "a", 1, V(1), &old));
  CHECK_EQ_PTR(old, NULL);
  CHECK_OK(lat_map_put(&m, "b", 1, V(2), NULL));
  CHECK_OK(lat_map_put(&m, "a", 1, V(3), &old)); /* replace */
  CHECK_EQ_PTR(old, V(1));
  CHECK_EQ_UINT(lat_map_count(&m), 2);
  CHECK(get_s(&m, "a", &v));
  CHECK_EQ_PTR(v, V(3));
  CHECK(get_s(&m, "b", NULL));

  bool added = true;
  CHECK_OK(lat_map_add(&m, "b", 1, V(7), &added));
  CHECK(!added);
  CHECK(get_s(&m, "b", &v));
  CHECK_EQ_PTR(v, V(2)); /* add does not replace */
  CHECK_OK(lat_map_add(&m, "c", 1, V(4), &added));
  CHECK(added);

  /* NULL values are values */
  CHECK_OK(lat_map_put(&m, "null", 4, NULL, NULL));
  v = V(5);
  CHECK(get_s(&m, "null", &v));
  CHECK_EQ_PTR(v, NULL);

  /* keys are bytes: an embedded NUL, a prefix and the empty key differ */
  CHECK_OK(lat_map_put(&m, "x\0y", 3, V(10), NULL));
  CHECK_OK(lat_map_put(&m, "x", 1, V(11), NULL));
  CHECK_OK(lat_map_put(&m, "", 0, V(12), NULL));
  CHECK(lat_map_get(&m, "x\0y", 3, &v));
  CHECK_EQ_PTR(v, V(10));
  CHECK(!lat_map_get(&m, "x\0z", 3, NULL));
  CHECK(lat_map_get(&m, "", 0, &v));
  CHECK_EQ_PTR(v, V(12));
  CHECK_EQ_UINT(lat_map_count(&m), 7);

  CHECK(lat_map_del(&m, "a", 1, &v));
  CHECK_EQ_PTR(v, V(3));
  CHECK(!get_s(&m, "a", NULL));
  CHECK(!lat_map_del(&m, "a", 1, NULL));
  CHECK_EQ_UINT(lat_map_count(&m), 6);

  lat_map_clear(&m);
  CHECK_EQ_UINT(lat_map_count(&m), 0);
  CHECK(!get_s(&m, "b", NULL));
  CHECK_OK(lat_map_put(&m, "b", 1, V(20), NULL));
  CHECK(get_s(&m, "b", &v));
  CHECK_EQ_PTR(v, V(20));
  lat_map_fini(&m);
  lat_map_fini(NULL);
}

TEST_IMPL(base_map_key_ownership) {
  char key[8] = "key1";
  lat_map_t copy, borrow;
  lat_map_init(&copy, 0);
  lat_map_init(&borrow, LAT_MAP_BORROW_KEYS);
  CHECK_OK(lat_map_put(&copy, key, 4, V(1), NULL));
  CHECK_OK(lat_map_put(&borrow, key, 4, V(1), NULL));

  const void *k;
  size_t kn;
  lat_map_iter_t it;
  lat_map_iter_init(&it, &copy);
  REQUIRE(lat_map_iter_next(&it, &k, &kn, NULL));
  CHECK(k != (const void *)key); /* a copy, NUL-terminated */
  CHECK_EQ_STR(k, "key1");
  lat_map_iter_init(&it, &borrow);
  REQUIRE(lat_map_iter_next(&it, &k, &kn, NULL));
  CHECK_EQ_PTR(k, key);
  CHECK_EQ_UINT(kn, 4);

  /* a copied key does not see later changes to the caller's bytes */
  key[3] = '2';
  CHECK(lat_map_get(&copy, "key1", 4, NULL));
  CHECK(!lat_map_get(&copy, "key2", 4, NULL));
  lat_map_fini(&copy);
  lat_map_fini(&borrow);

  /* two maps hash with different keys */
  lat_map_t a, b;
  lat_map_init(&a, 0);
  lat_map_init(&b, 0);
  CHECK(memcmp(a.seed, b.seed, sizeof a.seed) != 0);
  lat_map_fini(&a);
  lat_map_fini(&b);
}

static uint32_t rng_next(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

#define NKEYS 100000

static size_t key_of(uint32_t i, char *buf) {
  return (size_t)snprintf(buf, 16, "k%u", i);
}

/* The map against a plain array: value i + 1 (or a later generation) for
 * present keys, 0 for absent ones. */
static void check_against(const lat_map_t *m, const uintptr_t *ref) {
  size_t present = 0;
  char kb[16];
  for (uint32_t i = 0; i < NKEYS; i++) {
    void *v = V(0);
    bool found = lat_map_get(m, kb, key_of(i, kb), &v);
    if (found != (ref[i] != 0)) {
      CHECK_EQ_INT(found, ref[i] != 0);
      CHECK_EQ_UINT(i, NKEYS);
      return;
    }
    if (found) {
      present++;
      if ((uintptr_t)v != ref[i]) CHECK_EQ_UINT((uintptr_t)v, ref[i]);
    }
  }
  CHECK_EQ_UINT(lat_map_count(m), present);

  /* iteration visits each present key once, with its value */
  static uint8_t seen[NKEYS];
  memset(seen, 0, sizeof seen);
  lat_map_iter_t it;
  lat_map_iter_init(&it, m);
  const void *k;
  size_t kn;
  void *v;
  size_t visited = 0;
  while (lat_map_iter_next(&it, &k, &kn, &v)) {
    unsigned idx;
    REQUIRE(kn > 1 && kn < 16 && ((const char *)k)[0] == 'k');
    REQUIRE(sscanf((const char *)k + 1, "%u", &idx) == 1 && idx < NKEYS);
    if (seen[idx]++) CHECK_EQ_UINT(idx, NKEYS);
    if ((uintptr_t)v != ref[idx]) CHECK_EQ_UINT((uintptr_t)v, ref[idx]);
    visited++;
  }
  CHECK_EQ_UINT(visited, present);
}

TEST_IMPL(base_map_many) {
  static uintptr_t ref[NKEYS];
  memset(ref, 0, sizeof ref);
  lat_map_t m;
  lat_map_init(&m, 0);
  char kb[16];
  for (uint32_t i = 0; i < NKEYS; i++) {
    ref[i] = i + 1;
    REQUIRE_OK(lat_map_put(&m, kb, key_of(i, kb), V(ref[i]), NULL));
  }
  CHECK_EQ_UINT(lat_map_count(&m), NKEYS);
  check_against(&m, ref);

  for (uint32_t i = 0; i < NKEYS; i += 3) {
    void *v;
    CHECK(lat_map_del(&m, kb, key_of(i, kb), &v));
    ref[i] = 0;
  }
  check_against(&m, ref);

  for (uint32_t i = 0; i < NKEYS; i += 6) {
    ref[i] = i + 1 + NKEYS;
    bool added;
    REQUIRE_OK(lat_map_add(&m, kb, key_of(i, kb), V(ref[i]), &added));
    CHECK(added);
  }
  check_against(&m, ref);

  /* random mix of put, replace, del */
  uint32_t seed = 7;
  for (int op = 0; op < 200000; op++) {
    uint32_t i = rng_next(&seed) % NKEYS;
    size_t kn = key_of(i, kb);
    if (rng_next(&seed) % 3 == 0) {
      bool gone = lat_map_del(&m, kb, kn, NULL);
      if (gone != (ref[i] != 0)) CHECK_EQ_UINT(i, NKEYS);
      ref[i] = 0;
    } else {
      void *old = V(1);
      uintptr_t nv = (uintptr_t)op + 2 * NKEYS + 1;
      REQUIRE_OK(lat_map_put(&m, kb, kn, V(nv), &old));
      if ((uintptr_t)old != ref[i]) CHECK_EQ_UINT((uintptr_t)old, ref[i]);
      ref[i] = nv;
    }
  }
  check_against(&m, ref);
  lat_map_fini(&m);
}

/* Deleting the entry just returned keeps the iteration going over every
 * other entry exactly once. */
TEST_IMPL(base_map_iter_delete) {
  lat_map_t m;
  lat_map_init(&m, 0);
  char kb[16];
  for (uint32_t i = 0; i < 5000; i++)
    REQUIRE_OK(lat_map_put(&m, kb, key_of(i, kb), V(i + 1), NULL));
  lat_map_iter_t it;
  lat_map_iter_init(&it, &m);
  const void *k;
  size_t kn;
  void *v;
  size_t visited = 0;
  while (lat_map_iter_next(&it, &k, &kn, &v)) {
    visited++;
    if ((uintptr_t)v % 2) {
      memcpy(kb, k, kn); /* k dies with the entry */
      CHECK(lat_map_del(&m, kb, kn, NULL));
    }
  }
  CHECK_EQ_UINT(visited, 5000);
  CHECK_EQ_UINT(lat_map_count(&m), 2500);
  for (uint32_t i = 0; i < 5000; i++)
    CHECK_EQ_INT(lat_map_get(&m, kb, key_of(i, kb), NULL), (i + 1) % 2 == 0);
  lat_map_fini(&m);

  lat_map_t empty;
  lat_map_init(&empty, 0);
  lat_map_iter_init(&it, &empty);
  CHECK(!lat_map_iter_next(&it, NULL, NULL, NULL));
  lat_map_fini(&empty);
}

/* Inserts 300 keys (several grows), replaces and deletes some; after every
 * failure the map must hold exactly what succeeded before it. */
static lat_status map_sweep_body(void *ctx) {
  (void)ctx;
  lat_map_t m;
  lat_map_init(&m, 0);
  char kb[16];
  lat_status st = LAT_OK;
  uint32_t done = 0;
  for (; done < 300; done++) {
    bool added;
    st = done % 2 ? lat_map_put(&m, kb, key_of(done, kb), V(done + 1), NULL)
                  : lat_map_add(&m, kb, key_of(done, kb), V(done + 1), &added);
    if (st != LAT_OK) break;
  }
  if (st == LAT_OK) {
    /* replace and delete never allocate */
    for (uint32_t i = 0; i < done; i += 2) {
      if (lat_map_put(&m, kb, key_of(i, kb), V(i + 1000), NULL) != LAT_OK)
        CHECK_EQ_UINT(i, 1u << 31);
      if (!lat_map_del(&m, kb, key_of(i + 1, kb), NULL)) CHECK_EQ_UINT(i, 1u << 30);
    }
  }
  if (st != LAT_OK) CHECK_ST(st, LAT_ENOMEM);
  /* consistent: exactly keys [0, done) (less the deleted odd ones) */
  size_t want = st == LAT_OK ? done / 2 : done;
  CHECK_EQ_UINT(lat_map_count(&m), want);
  for (uint32_t i = 0; i <= done && i < 300; i++) {
    void *v = NULL;
    bool present = i < done && (st != LAT_OK || i % 2 == 0);
    bool found = lat_map_get(&m, kb, key_of(i, kb), &v);
    if (found != present) CHECK_EQ_UINT(i, 1u << 29);
    uintptr_t wantv = st == LAT_OK ? i + 1000 : i + 1;
    if (found && (uintptr_t)v != wantv) CHECK_EQ_UINT((uintptr_t)v, wantv);
  }
  size_t n = 0;
  lat_map_iter_t it;
  lat_map_iter_init(&it, &m);
  while (lat_map_iter_next(&it, NULL, NULL, NULL)) n++;
  CHECK_EQ_UINT(n, want);
  lat_map_fini(&m);
  return st;
}

TEST_IMPL(base_map_alloc_sweep) {
  int runs = CHECK_ALLOC_SWEEP(map_sweep_body, NULL);
  CHECK(runs > 300);
}
