/* Work queue (thread-safe FIFO of jobs) and a worker pool on top.
 *
 * Approach: a ring buffer of jobs under one mutex, one condition variable
 * for "a job arrived or the queue closed".  Push never waits: libnats runs
 * its callbacks on its own threads and they must not block, so a bounded
 * queue answers LAT_ELIMIT when full and the caller decides (drop, reply
 * "busy").  The ring starts small and doubles under the lock as needed (up
 * to the bound), so a generous bound costs no memory until it is used.
 * Waits use CLOCK_MONOTONIC so a wall-clock jump does not stretch a timeout.
 *
 * Close: refuses pushes, wakes every waiter; pops keep returning jobs until
 * the ring is empty and only then LAT_ECLOSED, so nothing accepted is lost.
 *
 * Workers: n threads looping pop(forever) -> run.  They start behind a gate
 * (the pool's own mutex) so that if creating thread k fails, the k already
 * running are told to quit without touching the queue, which belongs to the
 * caller and must not be closed by a failed constructor.
 *
 * Rejected: a lock-free ring (more code, and a job hand-off is far cheaper
 * than the work it carries) and blocking push (would stall libnats). */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "base.h"

#define MIN_RING 16

struct lat_queue {
  pthread_mutex_t mu;
  pthread_cond_t nonempty; /* signalled on push, broadcast on close */
  /* Guarded by mu: */
  lat_job_t *ring; /* cap slots; jobs at head .. head+len (mod cap) */
  size_t cap;
  size_t head;
  size_t len;
  bool closed;
  /* Immutable after new: */
  size_t limit; /* 0 = unbounded */
};

lat_status lat_queue_new(size_t capacity, lat_queue_t **out_q) {
  lat_queue_t *q = lat_calloc(1, sizeof *q);
  if (!q) return LAT_ENOMEM;
  q->limit = capacity;
  q->cap = capacity && capacity < MIN_RING ? capacity : MIN_RING;
  q->ring = lat_calloc(q->cap, sizeof *q->ring);
  if (!q->ring) goto out_free_q;
  pthread_condattr_t ca;
  if (pthread_condattr_init(&ca)) goto out_free_ring;
  int bad = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
            pthread_cond_init(&q->nonempty, &ca);
  pthread_condattr_destroy(&ca);
  if (bad) goto out_free_ring;
  if (pthread_mutex_init(&q->mu, NULL)) goto out_cond;
  *out_q = q;
  return LAT_OK;
out_cond:
  pthread_cond_destroy(&q->nonempty);
out_free_ring:
  lat_free(q->ring);
out_free_q:
  lat_free(q);
  return LAT_ENOMEM;
}

void lat_queue_free(lat_queue_t *q) {
  if (!q) return;
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->nonempty);
  lat_free(q->ring);
  lat_free(q);
}

/* Doubles the ring (at most to the bound), unrolling it so the jobs start at slot 0.  Holds mu. */
static lat_status grow_ring(lat_queue_t *q) {
  size_t ncap;
  if (!lat_mul_size(q->cap, 2, &ncap)) return LAT_ENOMEM;
  if (q->limit && ncap > q->limit) ncap = q->limit;
  lat_job_t *nr = lat_calloc(ncap, sizeof *nr);
  if (!nr) return LAT_ENOMEM;
  for (size_t i = 0; i < q->len; i++) nr[i] = q->ring[(q->head + i) % q->cap];
  lat_free(q->ring);
  q->ring = nr;
  q->cap = ncap;
  q->head = 0;
  return LAT_OK;
}

lat_status lat_queue_push(lat_queue_t *q, lat_job_fn fn, void *arg) {
  lat_status st = LAT_OK;
  pthread_mutex_lock(&q->mu);
  if (q->closed) {
    st = LAT_ECLOSED;
  } else if (q->limit && q->len >= q->limit) {
    st = LAT_ELIMIT;
  } else if (q->len == q->cap && (st = grow_ring(q)) != LAT_OK) {
    /* st is LAT_ENOMEM */
  } else {
    q->ring[(q->head + q->len) % q->cap] = (lat_job_t){fn, arg};
    q->len++;
    pthread_cond_signal(&q->nonempty);
  }
  pthread_mutex_unlock(&q->mu);
  return st;
}

static struct timespec deadline_after(int64_t ns) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t secs = ns / 1000000000;
  ts.tv_sec += (time_t)secs;
  ts.tv_nsec += (long)(ns - secs * 1000000000);
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000;
  }
  return ts;
}

lat_status lat_queue_pop(lat_queue_t *q, int64_t timeout_ns,
                         lat_job_t *out_job) {
  struct timespec dl = {0, 0};
  if (timeout_ns > 0) dl = deadline_after(timeout_ns);
  lat_status st = LAT_OK;
  pthread_mutex_lock(&q->mu);
  while (q->len == 0 && !q->closed) {
    if (timeout_ns == 0) {
      st = LAT_ETIMEOUT;
      break;
    }
    if (timeout_ns < 0) {
      pthread_cond_wait(&q->nonempty, &q->mu);
    } else if (pthread_cond_timedwait(&q->nonempty, &q->mu, &dl) == ETIMEDOUT &&
               q->len == 0 && !q->closed) {
      st = LAT_ETIMEOUT;
      break;
    }
  }
  if (st == LAT_OK) {
    if (q->len) {
      *out_job = q->ring[q->head];
      q->head = (q->head + 1) % q->cap;
      q->len--;
    } else {
      st = LAT_ECLOSED;
    }
  }
  pthread_mutex_unlock(&q->mu);
  return st;
}

void lat_queue_close(lat_queue_t *q) {
  pthread_mutex_lock(&q->mu);
  q->closed = true;
  pthread_cond_broadcast(&q->nonempty);
  pthread_mutex_unlock(&q->mu);
}

size_t lat_queue_len(lat_queue_t *q) {
  pthread_mutex_lock(&q->mu);
  size_t n = q->len;
  pthread_mutex_unlock(&q->mu);
  return n;
}

/* ---- workers ------------------------------------------------------------------ */

struct lat_workers {
  lat_queue_t *q; /* borrowed; immutable */
  pthread_t *threads; /* n entries, immutable after new */
  size_t n;
  pthread_mutex_t gate_mu;
  pthread_cond_t gate_cv; /* broadcast when gate leaves GATE_WAIT */
  int gate;               /* guarded by gate_mu */
};

enum { GATE_WAIT, GATE_RUN, GATE_QUIT };

static void *worker_main(void *p) {
  lat_workers_t *w = p;
  pthread_mutex_lock(&w->gate_mu);
  while (w->gate == GATE_WAIT) pthread_cond_wait(&w->gate_cv, &w->gate_mu);
  int gate = w->gate;
  pthread_mutex_unlock(&w->gate_mu);
  if (gate == GATE_QUIT) return NULL;
  lat_job_t job;
  while (lat_queue_pop(w->q, -1, &job) == LAT_OK) job.fn(job.arg);
  return NULL;
}

static void open_gate(lat_workers_t *w, int gate) {
  pthread_mutex_lock(&w->gate_mu);
  w->gate = gate;
  pthread_cond_broadcast(&w->gate_cv);
  pthread_mutex_unlock(&w->gate_mu);
}

lat_status lat_workers_new(size_t n, lat_queue_t *q, lat_workers_t **out_w) {
  if (n == 0) return LAT_EARG;
  lat_workers_t *w = lat_calloc(1, sizeof *w);
  if (!w) return LAT_ENOMEM;
  w->q = q;
  w->threads = lat_calloc(n, sizeof *w->threads);
  if (!w->threads) goto out_free_w;
  if (pthread_mutex_init(&w->gate_mu, NULL)) goto out_free_threads;
  if (pthread_cond_init(&w->gate_cv, NULL)) goto out_mutex;
  w->gate = GATE_WAIT;
  for (; w->n < n; w->n++) {
    if (pthread_create(&w->threads[w->n], NULL, worker_main, w)) {
      open_gate(w, GATE_QUIT);
      for (size_t i = 0; i < w->n; i++) pthread_join(w->threads[i], NULL);
      goto out_cond;
    }
  }
  open_gate(w, GATE_RUN);
  *out_w = w;
  return LAT_OK;
out_cond:
  pthread_cond_destroy(&w->gate_cv);
out_mutex:
  pthread_mutex_destroy(&w->gate_mu);
out_free_threads:
  lat_free(w->threads);
out_free_w:
  lat_free(w);
  return LAT_ENOMEM;
}

void lat_workers_free(lat_workers_t *w) {
  if (!w) return;
  lat_queue_close(w->q);
  for (size_t i = 0; i < w->n; i++) pthread_join(w->threads[i], NULL);
  pthread_cond_destroy(&w->gate_cv);
  pthread_mutex_destroy(&w->gate_mu);
  lat_free(w->threads);
  lat_free(w);
}
