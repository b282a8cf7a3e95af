/* Unit tests for the work queue and worker pool (src/base/base_queue.c):
 * FIFO order, the capacity bound, close semantics (waiters woken, what was
 * queued still delivered), pop timeouts, several producers and consumers
 * delivering every job exactly once, the worker pool draining on free, and
 * allocation failures. */
#include <pthread.h>
#include <sched.h>

#include "test.h"

static void nop(void *arg) { (void)arg; }

TEST_IMPL(base_queue_fifo) {
  lat_queue_t *q;
  REQUIRE_OK(lat_queue_new(0, &q));
  lat_job_t job;
  CHECK_ST(lat_queue_pop(q, 0, &job), LAT_ETIMEOUT);
  for (uintptr_t i = 0; i < 1000; i++) CHECK_OK(lat_queue_push(q, nop, (void *)i));
  CHECK_EQ_UINT(lat_queue_len(q), 1000);
  for (uintptr_t i = 0; i < 1000; i++) {
    REQUIRE_OK(lat_queue_pop(q, 0, &job));
    CHECK_EQ_PTR(job.fn, nop);
    if ((uintptr_t)job.arg != i) CHECK_EQ_UINT((uintptr_t)job.arg, i);
  }
  CHECK_ST(lat_queue_pop(q, 0, &job), LAT_ETIMEOUT);
  /* wrap around the ring without growing */
  for (uintptr_t round = 0; round < 50; round++) {
    for (uintptr_t i = 0; i < 7; i++) CHECK_OK(lat_queue_push(q, nop, (void *)i));
    for (uintptr_t i = 0; i < 7; i++) {
      REQUIRE_OK(lat_queue_pop(q, 0, &job));
      CHECK_EQ_UINT((uintptr_t)job.arg, i);
    }
  }
  lat_queue_free(q);
  lat_queue_free(NULL);
}

TEST_IMPL(base_queue_capacity) {
  lat_queue_t *q;
  REQUIRE_OK(lat_queue_new(4, &q));
  for (uintptr_t i = 0; i < 4; i++) CHECK_OK(lat_queue_push(q, nop, (void *)i));
  CHECK_ST(lat_queue_push(q, nop, NULL), LAT_ELIMIT);
  lat_job_t job;
  REQUIRE_OK(lat_queue_pop(q, 0, &job));
  CHECK_EQ_UINT((uintptr_t)job.arg, 0);
  CHECK_OK(lat_queue_push(q, nop, (void *)4));
  CHECK_ST(lat_queue_push(q, nop, NULL), LAT_ELIMIT);
  for (uintptr_t i = 1; i <= 4; i++) {
    REQUIRE_OK(lat_queue_pop(q, 0, &job));
    CHECK_EQ_UINT((uintptr_t)job.arg, i);
  }
  lat_queue_free(q);

  /* a bound above the initial ring: grows up to it, not past it */
  REQUIRE_OK(lat_queue_new(100, &q));
  for (uintptr_t i = 0; i < 100; i++) CHECK_OK(lat_queue_push(q, nop, (void *)i));
  CHECK_ST(lat_queue_push(q, nop, NULL), LAT_ELIMIT);
  for (uintptr_t i = 0; i < 100; i++) {
    REQUIRE_OK(lat_queue_pop(q, 0, &job));
    if ((uintptr_t)job.arg != i) CHECK_EQ_UINT((uintptr_t)job.arg, i);
  }
  lat_queue_free(q);
}

static void *pop_forever(void *p) {
  lat_job_t job;
  return (void *)(uintptr_t)lat_queue_pop(p, -1, &job);
}

TEST_IMPL(base_queue_close) {
  lat_queue_t *q;
  REQUIRE_OK(lat_queue_new(0, &q));
  /* waiters blocked on an empty queue are all woken by close */
  pthread_t th[3];
  for (int i = 0; i < 3; i++)
    REQUIRE(pthread_create(&th[i], NULL, pop_forever, q) == 0);
  /* give them time to block (the test passes either way: a pop that has
   * not started yet sees the queue closed) */
  struct timespec ts = {0, 10000000};
  nanosleep(&ts, NULL);
  lat_queue_close(q);
  for (int i = 0; i < 3; i++) {
    void *ret;
    pthread_join(th[i], &ret);
    CHECK_ST((lat_status)(uintptr_t)ret, LAT_ECLOSED);
  }
  lat_queue_free(q);

  /* what was queued before close is still delivered, then "closed" */
  REQUIRE_OK(lat_queue_new(0, &q));
  for (uintptr_t i = 0; i < 3; i++) CHECK_OK(lat_queue_push(q, nop, (void *)i));
  lat_queue_close(q);
  CHECK_ST(lat_queue_push(q, nop, NULL), LAT_ECLOSED);
  lat_job_t job;
  for (uintptr_t i = 0; i < 3; i++) {
    REQUIRE_OK(lat_queue_pop(q, -1, &job));
    CHECK_EQ_UINT((uintptr_t)job.arg, i);
  }
  CHECK_ST(lat_queue_pop(q, -1, &job), LAT_ECLOSED);
  CHECK_ST(lat_queue_pop(q, 0, &job), LAT_ECLOSED);
  CHECK_ST(lat_queue_pop(q, 1000000, &job), LAT_ECLOSED);
  lat_queue_close(q); /* twice is fine */
  lat_queue_free(q);
}

static void *push_later(void *p) {
  struct timespec ts = {0, 5000000};
  nanosleep(&ts, NULL);
  return (void *)(uintptr_t)lat_queue_push(p, nop, (void *)42);
}

TEST_IMPL(base_queue_timeout) {
  lat_queue_t *q;
  REQUIRE_OK(lat_queue_new(0, &q));
  lat_job_t job;
  /* The timeout is honoured as a lower bound (a semantic, not a speed,
   * check: pop must not give up early). */
  uint64_t t0 = lat_now_ns();
  CHECK_ST(lat_queue_pop(q, 20000000, &job), LAT_ETIMEOUT);
  CHECK(lat_now_ns() - t0 >= 20000000);
  /* a push during a long wait is delivered */
  pthread_t th;
  REQUIRE(pthread_create(&th, NULL, push_later, q) == 0);
  CHECK_OK(lat_queue_pop(q, 60 * 1000000000ll, &job));
  CHECK_EQ_UINT((uintptr_t)job.arg, 42);
  void *ret;
  pthread_join(th, &ret);
  CHECK_ST((lat_status)(uintptr_t)ret, LAT_OK);
  lat_queue_free(q);
}

#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER 20000

static int delivered[PRODUCERS * PER_PRODUCER];
static long limit_hits;

static void count_job(void *arg) {
  __atomic_add_fetch(&delivered[(uintptr_t)arg], 1, __ATOMIC_RELAXED);
}

typedef struct {
  lat_queue_t *q;
  int id;
} producer_t;

static void *producer(void *p) {
  producer_t *pr = p;
  for (int i = 0; i < PER_PRODUCER; i++) {
    uintptr_t job = (uintptr_t)pr->id * PER_PRODUCER + (uintptr_t)i;
    lat_status st;
    while ((st = lat_queue_push(pr->q, count_job, (void *)job)) == LAT_ELIMIT) {
      __atomic_add_fetch(&limit_hits, 1, __ATOMIC_RELAXED);
      sched_yield();
    }
    if (st != LAT_OK) return (void *)1;
  }
  return NULL;
}

static void *consumer(void *p) {
  lat_job_t job;
  lat_status st;
  while ((st = lat_queue_pop(p, -1, &job)) == LAT_OK) job.fn(job.arg);
  return st == LAT_ECLOSED ? NULL : (void *)1;
}

/* Several producers against a small bound, several consumers: every job
 * arrives exactly once. */
TEST_IMPL(base_queue_mpmc) {
  lat_queue_t *q;
  REQUIRE_OK(lat_queue_new(64, &q));
  memset(delivered, 0, sizeof delivered);
  pthread_t pt[PRODUCERS], ct[CONSUMERS];
  producer_t pr[PRODUCERS];
  for (int i = 0; i < CONSUMERS; i++)
    REQUIRE(pthread_create(&ct[i], NULL, consumer, q) == 0);
  for (int i = 0; i < PRODUCERS; i++) {
    pr[i] = (producer_t){q, i};
    REQUIRE(pthread_create(&pt[i], NULL, producer, &pr[i]) == 0);
  }
  for (int i = 0; i < PRODUCERS; i++) {
    void *ret;
    pthread_join(pt[i], &ret);
    CHECK_EQ_PTR(ret, NULL);
  }
  lat_queue_close(q);
  for (int i = 0; i < CONSUMERS; i++) {
    void *ret;
    pthread_join(ct[i], &ret);
    CHECK_EQ_PTR(ret, NULL);
  }
  for (int i = 0; i < PRODUCERS * PER_PRODUCER; i++)
    if (delivered[i] != 1) CHECK_EQ_INT(delivered[i], 1);
  CHECK_EQ_UINT(lat_queue_len(q), 0);
  lat_queue_free(q);
}

TEST_IMPL(base_queue_workers) {
  lat_queue_t *q;
  lat_workers_t *w = NULL;
  REQUIRE_OK(lat_queue_new(0, &q));
  CHECK_ST(lat_workers_new(0, q, &w), LAT_EARG);
  REQUIRE_OK(lat_workers_new(3, q, &w));
  memset(delivered, 0, sizeof delivered);
  for (uintptr_t i = 0; i < 10000; i++) REQUIRE_OK(lat_queue_push(q, count_job, (void *)i));
  lat_workers_free(w); /* closes, drains, joins */
  for (int i = 0; i < 10000; i++)
    if (delivered[i] != 1) CHECK_EQ_INT(delivered[i], 1);
  CHECK_ST(lat_queue_push(q, nop, NULL), LAT_ECLOSED);
  lat_queue_free(q);
  lat_workers_free(NULL);
}

static lat_status queue_sweep_body(void *ctx) {
  (void)ctx;
  lat_queue_t *q;
  lat_status st = lat_queue_new(0, &q);
  if (st) return st;
  uintptr_t pushed = 0;
  for (; pushed < 100; pushed++)
    if ((st = lat_queue_push(q, nop, (void *)pushed)) != LAT_OK) break;
  if (st != LAT_OK) CHECK_ST(st, LAT_ENOMEM);
  /* a failed push loses nothing already queued */
  lat_job_t job;
  for (uintptr_t i = 0; i < pushed; i++) {
    if (lat_queue_pop(q, 0, &job) != LAT_OK || (uintptr_t)job.arg != i) {
      CHECK_EQ_UINT(i, pushed + 1000);
      break;
    }
  }
  CHECK_ST(lat_queue_pop(q, 0, &job), LAT_ETIMEOUT);
  lat_queue_free(q);
  return st;
}

TEST_IMPL(base_queue_alloc_sweep) {
  int runs = CHECK_ALLOC_SWEEP(queue_sweep_body, NULL);
  CHECK(runs > 3);
}
