/* Hash map: byte-string keys to void * values, separate chaining.
 *
 * Approach: a power-of-two array of bucket heads; each entry is one
 * allocation holding its next pointer, the full 64-bit hash, the value and
 * (unless the map borrows keys) a copy of the key inline, NUL-terminated.
 * The bucket array doubles when count would pass the number of buckets
 * (load factor 1); it never shrinks, so deleting never allocates or fails.
 *
 * Hash: SipHash-2-4 (libsodium's crypto_shorthash) keyed with 16 random
 * bytes per map, so keys chosen by a guest or a peer cannot be made to
 * collide without knowing the key; chains stay short and no input makes the
 * map quadratic.  The stored hash makes growing cheap (no rehash of keys)
 * and skips most key compares.
 *
 * Invariants: count == number of entries; nbuckets is 0 (buckets NULL) or a
 * power of two; every entry sits in bucket hash & (nbuckets - 1).
 * Allocation failure: put/add allocate the entry first and grow second;
 * either failing frees what was allocated and returns LAT_ENOMEM before the
 * map is touched.
 *
 * Rejected: open addressing (denser, but deletes need tombstones or backward
 * shifting, which moves entries under an iterator and so would forbid
 * deleting while iterating; entries would also move on every grow) and an
 * unkeyed FNV hash (the tables this replaces used one; a module's export
 * names could then be chosen to land in one probe run). */
#include <sodium.h>
#include <string.h>

#include "base.h"

#define MIN_BUCKETS 16

struct lat__map_entry {
  lat__map_entry_t *next; /* chain in the same bucket */
  uint64_t hash;
  const uint8_t *key; /* ->inline_key, or the caller's bytes when borrowed */
  size_t klen;
  void *val;
  uint8_t inline_key[]; /* klen + 1 bytes when the map copies keys */
};

void lat_map_init(lat_map_t *m, unsigned flags) {
  memset(m, 0, sizeof *m);
  m->flags = flags;
  /* sodium_init is idempotent and thread-safe; after it, randombytes_buf
   * cannot fail (libsodium aborts the process itself when it has no
   * entropy source, which on Linux means getrandom is missing). */
  if (sodium_init() < 0) {
    uint64_t t = lat_now_ns() ^ (uint64_t)(uintptr_t)m;
    memcpy(m->seed, &t, sizeof t);
    return;
  }
  randombytes_buf(m->seed, sizeof m->seed);
}

static void free_entries(lat_map_t *m) {
  for (size_t b = 0; b < m->nbuckets; b++) {
    lat__map_entry_t *e = m->buckets[b];
    while (e) {
      lat__map_entry_t *next = e->next;
      lat_free(e);
      e = next;
    }
    m->buckets[b] = NULL;
  }
  m->count = 0;
}

void lat_map_fini(lat_map_t *m) {
  if (!m) return;
  free_entries(m);
  lat_free(m->buckets);
  m->buckets = NULL;
  m->nbuckets = 0;
}

void lat_map_clear(lat_map_t *m) { free_entries(m); }

size_t lat_map_count(const lat_map_t *m) { return m->count; }

static uint64_t hash_key(const lat_map_t *m, const void *key, size_t klen) {
  uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, key, klen, m->seed);
  uint64_t h;
  memcpy(&h, out, sizeof h);
  return h;
}

/* The link that points at the entry for key (or at the NULL ending its
 * chain), so del can unlink without a second walk. */
static lat__map_entry_t **find_link(const lat_map_t *m, uint64_t h,
                                    const void *key, size_t klen) {
  lat__map_entry_t **link = &m->buckets[h & (m->nbuckets - 1)];
  for (; *link; link = &(*link)->next) {
    const lat__map_entry_t *e = *link;
    if (e->hash == h && e->klen == klen &&
        (klen == 0 || memcmp(e->key, key, klen) == 0))
      break;
  }
  return link;
}

static lat__map_entry_t *find(const lat_map_t *m, uint64_t h, const void *key,
                              size_t klen) {
  return m->nbuckets ? *find_link(m, h, key, klen) : NULL;
}

static lat_status grow(lat_map_t *m) {
  size_t nb = m->nbuckets ? m->nbuckets * 2 : MIN_BUCKETS;
  if (nb < m->nbuckets) return LAT_ENOMEM;
  lat__map_entry_t **nbk = lat_calloc(nb, sizeof *nbk);
  if (!nbk) return LAT_ENOMEM;
  for (size_t b = 0; b < m->nbuckets; b++) {
    lat__map_entry_t *e = m->buckets[b];
    while (e) {
      lat__map_entry_t *next = e->next;
      lat__map_entry_t **head = &nbk[e->hash & (nb - 1)];
      e->next = *head;
      *head = e;
      e = next;
    }
  }
  lat_free(m->buckets);
  m->buckets = nbk;
  m->nbuckets = nb;
  return LAT_OK;
}

/* Inserts a key known to be absent. */
static lat_status insert(lat_map_t *m, uint64_t h, const void *key,
                         size_t klen, void *val) {
  bool borrow = m->flags & LAT_MAP_BORROW_KEYS;
  size_t sz = sizeof(lat__map_entry_t);
  if (!borrow && (!lat_add_size(sz, klen, &sz) || !lat_add_size(sz, 1, &sz)))
    return LAT_ENOMEM;
  lat__map_entry_t *e = lat_malloc(sz);
  if (!e) return LAT_ENOMEM;
  if (m->count >= m->nbuckets && grow(m) != LAT_OK) {
    lat_free(e);
    return LAT_ENOMEM;
  }
  e->hash = h;
  e->klen = klen;
  e->val = val;
  if (borrow) {
    e->key = key;
  } else {
    if (klen) memcpy(e->inline_key, key, klen);
    e->inline_key[klen] = 0;
    e->key = e->inline_key;
  }
  lat__map_entry_t **head = &m->buckets[h & (m->nbuckets - 1)];
  e->next = *head;
  *head = e;
  m->count++;
  return LAT_OK;
}

lat_status lat_map_put(lat_map_t *m, const void *key, size_t klen, void *val,
                       void **out_old) {
  uint64_t h = hash_key(m, key, klen);
  lat__map_entry_t *e = find(m, h, key, klen);
  if (e) {
    if (out_old) *out_old = e->val;
    e->val = val;
    return LAT_OK;
  }
  lat_status st = insert(m, h, key, klen, val);
  if (st == LAT_OK && out_old) *out_old = NULL;
  return st;
}

lat_status lat_map_add(lat_map_t *m, const void *key, size_t klen, void *val,
                       bool *out_added) {
  uint64_t h = hash_key(m, key, klen);
  if (find(m, h, key, klen)) {
    *out_added = false;
    return LAT_OK;
  }
  lat_status st = insert(m, h, key, klen, val);
  *out_added = st == LAT_OK;
  return st;
}

bool lat_map_get(const lat_map_t *m, const void *key, size_t klen,
                 void **out_val) {
  if (m->count == 0) return false;
  lat__map_entry_t *e = find(m, hash_key(m, key, klen), key, klen);
  if (e && out_val) *out_val = e->val;
  return e != NULL;
}

bool lat_map_del(lat_map_t *m, const void *key, size_t klen, void **out_val) {
  if (m->count == 0) return false;
  lat__map_entry_t **link = find_link(m, hash_key(m, key, klen), key, klen);
  lat__map_entry_t *e = *link;
  if (!e) return false;
  if (out_val) *out_val = e->val;
  *link = e->next;
  lat_free(e);
  m->count--;
  return true;
}

void lat_map_iter_init(lat_map_iter_t *it, const lat_map_t *m) {
  it->m = m;
  it->bucket = 0;
  it->next = NULL;
}

bool lat_map_iter_next(lat_map_iter_t *it, const void **out_key,
                       size_t *out_klen, void **out_val) {
  while (!it->next) {
    if (it->bucket >= it->m->nbuckets) return false;
    it->next = it->m->buckets[it->bucket++];
  }
  lat__map_entry_t *e = it->next;
  it->next = e->next; /* taken before the caller may delete e */
  if (out_key) *out_key = e->key;
  if (out_klen) *out_klen = e->klen;
  if (out_val) *out_val = e->val;
  return true;
}
