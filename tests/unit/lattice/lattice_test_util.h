/* lattice_test_util.h: helpers shared by the lattice tests: connect to a
 * fixture server, and a thread-safe inbox that callbacks (on libnats or
 * watch threads) fill and the test thread waits on with a bound. */
#ifndef LAT_TEST_LATTICE_UTIL_H
#define LAT_TEST_LATTICE_UTIL_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lattice/lattice.h"
#include "lattice/nats_fixture.h"
#include "test.h"

#define INBOX_MAX 64

typedef struct {
  pthread_mutex_t mu; /* guards everything below */
  int count;
  char text[INBOX_MAX][512]; /* "op key value" or a message payload */
  uint64_t rev[INBOX_MAX];
} test_inbox_t;

static inline void test_inbox_init(test_inbox_t *b) {
  memset(b, 0, sizeof *b);
  pthread_mutex_init(&b->mu, NULL);
}

static inline void test_inbox_add(test_inbox_t *b, const char *text,
                                  uint64_t rev) {
  pthread_mutex_lock(&b->mu);
  if (b->count < INBOX_MAX) {
    snprintf(b->text[b->count], sizeof b->text[0], "%s", text);
    b->rev[b->count] = rev;
    b->count++;
  }
  pthread_mutex_unlock(&b->mu);
}

static inline int test_inbox_count(test_inbox_t *b) {
  pthread_mutex_lock(&b->mu);
  int n = b->count;
  pthread_mutex_unlock(&b->mu);
  return n;
}

typedef struct {
  test_inbox_t *b;
  int n;
} test_inbox_wait_t;

static inline bool test_inbox_has(void *ctx) {
  test_inbox_wait_t *w = ctx;
  return test_inbox_count(w->b) >= w->n;
}

/* Waits (at most ms) until the inbox holds n entries. */
static inline bool test_inbox_wait(test_inbox_t *b, int n, unsigned ms) {
  test_inbox_wait_t w = {b, n};
  return nats_fixture_wait(test_inbox_has, &w, ms);
}

/* Copy of entry i (the test thread reads while callbacks may still add). */
static inline void test_inbox_get(test_inbox_t *b, int i, char *out,
                                  size_t cap) {
  pthread_mutex_lock(&b->mu);
  snprintf(out, cap, "%s", i < b->count ? b->text[i] : "(none)");
  pthread_mutex_unlock(&b->mu);
}

static inline lat_lattice_conn_t *test_connect(const char *url) {
  lat_lattice_opts_t o;
  lat_lattice_opts_init(&o);
  o.servers = url;
  o.name = "lattice-unit-test";
  lat_lattice_conn_t *c = NULL;
  lat_error_t err;
  lat_status st = lat_lattice_conn_new(&o, &c, NULL, &err);
  if (st != LAT_OK) fprintf(stderr, "connect %s: %s\n", url, err.msg);
  return c;
}

#endif
