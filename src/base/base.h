/* base: the bottom layer every subsystem may use.
 *
 * Status codes and error detail, allocation hooks, growable byte buffers,
 * a bounds-checked byte reader with LEB128, UTF-8 validation, arenas and
 * monotonic time.  Nothing here knows about WebAssembly or anything above.
 *
 * Errors follow nats.c: one enum (generated from LAT_STATUS_LIST, which also
 * gives each code its name and message) returned by every function that can
 * fail, and an optional lat_error_t that carries the human detail (message,
 * byte offset).  Code branches on the enum, never on the text.
 */
#ifndef LAT_BASE_H
#define LAT_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- status ---------------------------------------------------------- */

#define LAT_STATUS_LIST(X)                                               \
  X(LAT_OK, "ok")                                                        \
  X(LAT_ENOMEM, "out of memory")                                         \
  X(LAT_EARG, "invalid argument")                                        \
  X(LAT_EIO, "input/output error")                                       \
  X(LAT_EMALFORMED, "malformed module")                                  \
  X(LAT_EINVALID, "invalid module")                                      \
  X(LAT_ETEXT, "text format error")                                      \
  X(LAT_EUNLINKABLE, "unlinkable")                                       \
  X(LAT_ELIMIT, "resource limit exceeded")                               \
  X(LAT_ENOTFOUND, "not found")                                          \
  X(LAT_EUNSUPPORTED, "unsupported")                                     \
  X(LAT_TRAP, "trap")                                                    \
  X(LAT_ECLOSED, "closed")                                               \
  X(LAT_ETIMEOUT, "timed out")

typedef enum {
#define LAT_X_ENUM(code, msg) code,
  LAT_STATUS_LIST(LAT_X_ENUM)
#undef LAT_X_ENUM
      LAT_STATUS_COUNT
} lat_status;

/* Returns a static string: the enum's name ("LAT_EINVALID"). */
const char *lat_status_name(lat_status s);
/* Returns a static string: a short message ("invalid module"). */
const char *lat_status_message(lat_status s);

/* Detail of the last failure.  Caller's storage; may be NULL everywhere an
 * API takes one, in which case detail is dropped. */
typedef struct {
  lat_status code; /* same as the returned status */
  size_t offset;   /* byte offset into the input, or SIZE_MAX when none */
  char msg[256];   /* human-readable, NUL-terminated */
} lat_error_t;

/* Fills err (if non-NULL) and returns code.  offset may be SIZE_MAX. */
lat_status lat_error_set(lat_error_t *err, lat_status code, size_t offset,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
lat_status lat_error_vset(lat_error_t *err, lat_status code, size_t offset,
                          const char *fmt, va_list ap);
void lat_error_clear(lat_error_t *err);

/* ---- allocation -------------------------------------------------------
 * All heap allocation in the project goes through these so tests can count
 * allocations and inject failures.  lat_free(NULL) is a no-op. */
void *lat_malloc(size_t n);
void *lat_calloc(size_t count, size_t size); /* overflow-checked */
void *lat_realloc(void *p, size_t n);
void lat_free(void *p);
char *lat_strndup(const char *s, size_t n); /* returns new (free with lat_free) */

typedef struct {
  void *(*malloc_fn)(size_t n, void *ctx);
  void *(*realloc_fn)(void *p, size_t n, void *ctx);
  void (*free_fn)(void *p, void *ctx);
  void *ctx;
} lat_alloc_hooks_t;
/* Process-wide, set once at start-up before threads exist (tests only). */
void lat_alloc_set_hooks(const lat_alloc_hooks_t *hooks);

/* Multiply with overflow check: returns false on overflow. */
static inline bool lat_mul_size(size_t a, size_t b, size_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}
static inline bool lat_add_size(size_t a, size_t b, size_t *out) {
  return !__builtin_add_overflow(a, b, out);
}

/* ---- growable byte buffer --------------------------------------------- */
typedef struct {
  uint8_t *data; /* owned; NULL when cap == 0 */
  size_t len;
  size_t cap;
} lat_buf_t;

void lat_buf_init(lat_buf_t *b);
void lat_buf_fini(lat_buf_t *b); /* frees data; accepts a zeroed buffer */
lat_status lat_buf_reserve(lat_buf_t *b, size_t extra);
lat_status lat_buf_append(lat_buf_t *b, const void *p, size_t n);
lat_status lat_buf_push(lat_buf_t *b, uint8_t byte);
lat_status lat_buf_printf(lat_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
lat_status lat_buf_write_uleb(lat_buf_t *b, uint64_t v);
lat_status lat_buf_write_sleb(lat_buf_t *b, int64_t v);
/* Detaches the data (caller owns it, free with lat_free); b becomes empty. */
uint8_t *lat_buf_steal(lat_buf_t *b, size_t *out_len);

/* ---- bounds-checked reader ---------------------------------------------
 * Every read checks the remaining length first.  On failure the functions
 * return LAT_EMALFORMED and fill err with the offset relative to `base`. */
typedef struct {
  const uint8_t *base; /* start of the whole input (offsets are from here) */
  const uint8_t *p;    /* current position */
  const uint8_t *end;  /* one past the last readable byte */
} lat_reader_t;

static inline size_t lat_reader_offset(const lat_reader_t *r) {
  return (size_t)(r->p - r->base);
}
static inline size_t lat_reader_left(const lat_reader_t *r) {
  return (size_t)(r->end - r->p);
}
lat_status lat_read_u8(lat_reader_t *r, uint8_t *out, lat_error_t *err);
lat_status lat_read_bytes(lat_reader_t *r, size_t n, const uint8_t **out,
                          lat_error_t *err);
/* LEB128 with the spec's rules: at most ceil(N/7) bytes, unused bits of the
 * last byte must be zero (unsigned) or sign-extension (signed). */
lat_status lat_read_u32(lat_reader_t *r, uint32_t *out, lat_error_t *err);
lat_status lat_read_s32(lat_reader_t *r, int32_t *out, lat_error_t *err);
lat_status lat_read_s33(lat_reader_t *r, int64_t *out, lat_error_t *err);
lat_status lat_read_u64(lat_reader_t *r, uint64_t *out, lat_error_t *err);
lat_status lat_read_s64(lat_reader_t *r, int64_t *out, lat_error_t *err);
lat_status lat_read_f32(lat_reader_t *r, uint32_t *out_bits, lat_error_t *err);
lat_status lat_read_f64(lat_reader_t *r, uint64_t *out_bits, lat_error_t *err);

/* ---- UTF-8 ------------------------------------------------------------- */
/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool lat_utf8_valid(const uint8_t *s, size_t n);
/* Encodes code point cp (must be a scalar value); returns bytes written (1-4)
 * into out (room for 4), or 0 if cp is not a scalar value. */
size_t lat_utf8_encode(uint32_t cp, uint8_t out[4]);

/* ---- arena --------------------------------------------------------------
 * For things that die together (a module's metadata, one call's scratch).
 * Allocations are 16-byte aligned and zeroed. */
typedef struct lat_arena_chunk lat_arena_chunk_t;
typedef struct {
  lat_arena_chunk_t *head; /* newest chunk first */
  size_t used;             /* bytes used in head */
  size_t total;            /* bytes handed out so far (for accounting) */
} lat_arena_t;
void lat_arena_init(lat_arena_t *a);
void lat_arena_fini(lat_arena_t *a); /* frees every chunk */
/* Returns NULL on overflow or out of memory. */
void *lat_arena_alloc(lat_arena_t *a, size_t n);
void *lat_arena_array(lat_arena_t *a, size_t count, size_t size);

/* ---- time ---------------------------------------------------------------- */
uint64_t lat_now_ns(void);        /* CLOCK_MONOTONIC */
uint64_t lat_now_coarse_ns(void); /* CLOCK_MONOTONIC_COARSE: cheap, ~4 ms grain */

/* ---- files ----------------------------------------------------------------- */
/* Reads a whole file.  Returns new (free with lat_free); a NUL is appended
 * after the data (not counted in *out_len) so text can be parsed in place. */
/* mkdir -p: the missing folders of path made with mode 0700 (private state:
 * keys, a local lattice's store).  0, or -1 with errno. */
int lat_mkdir_p(const char *path);
lat_status lat_file_read(const char *path, uint8_t **out_data, size_t *out_len,
                         lat_error_t *err);

/* ---- logging (base_log.c) ---------------------------------------------------
 * Leveled, structured, one line per event, for daemons (the host, the HTTP
 * server, `lattice serve`).  Libraries never log by default: the level starts
 * at LAT_LOG_OFF and only a daemon's main raises it with lat_log_configure.
 *
 *   LAT_LOG(LAT_LOG_INFO, "host", "component scaled",
 *           LAT_KV_STR("id", id), LAT_KV_INT("count", n));
 *
 * expands to `if (lat_log_enabled(level)) ...`, so no argument is evaluated
 * when the level is off (a disabled DEBUG costs one load and compare).
 * Every pointer passed is borrowed for the duration of the call only.  Every
 * message, key and value is escaped (control bytes, DEL, C1 controls and
 * invalid UTF-8 become \xNN), so nothing a guest or a peer sends can start a
 * new line or reach the terminal as an escape; JSON lines are valid JSON for
 * any input bytes.  Each line goes out in one write(2) of at most
 * LAT_LOG_LINE_MAX bytes (PIPE_BUF, so lines from threads never interleave
 * even on a pipe); longer lines are cut and marked as truncated. */
typedef enum {
  LAT_LOG_OFF = 0,
  LAT_LOG_ERROR,
  LAT_LOG_WARN,
  LAT_LOG_INFO,
  LAT_LOG_DEBUG,
  LAT_LOG_TRACE
} lat_log_level;

typedef enum { LAT_LOG_TEXT = 0, LAT_LOG_JSON } lat_log_format;

#define LAT_LOG_LINE_MAX 4096

typedef struct {
  lat_log_level level;       /* events above this are dropped */
  lat_log_format format;
  int fd; /* borrowed; lines are written here (2 = stderr); open a log
             file with O_APPEND or lines from threads may overwrite */
  uint64_t (*clock_ns)(void); /* wall clock in ns since 1970; NULL = realtime
                                 (tests pin it for exact output) */
} lat_log_config_t;

/* Process-wide; call once at start-up before threads exist.  cfg is copied;
 * NULL restores the default (off, text, fd 2). */
void lat_log_configure(const lat_log_config_t *cfg);
/* "off", "error", "warn"/"warning", "info", "debug", "trace" (any case).
 * LAT_EARG for anything else, *out_level untouched. */
lat_status lat_log_level_parse(const char *s, lat_log_level *out_level);
/* "text" or "json" (any case); LAT_EARG otherwise. */
lat_status lat_log_format_parse(const char *s, lat_log_format *out_format);
/* Returns a static lowercase name ("info"); "off" for anything unknown. */
const char *lat_log_level_name(lat_log_level level);

extern int lat__log_level; /* written only by lat_log_configure */
static inline bool lat_log_enabled(lat_log_level level) {
  return level != LAT_LOG_OFF &&
         (int)level <= __atomic_load_n(&lat__log_level, __ATOMIC_RELAXED);
}

typedef enum {
  LAT_LOG_KV_STR,   /* NUL-terminated; NULL prints as null */
  LAT_LOG_KV_BYTES, /* s with explicit len (guest data, not terminated);
                       NULL prints as null */
  LAT_LOG_KV_INT,
  LAT_LOG_KV_UINT,
  LAT_LOG_KV_BOOL
} lat_log_kv_type;

typedef struct {
  const char *key; /* borrowed */
  lat_log_kv_type type;
  size_t len; /* LAT_LOG_KV_BYTES only */
  union {
    const char *s; /* borrowed */
    int64_t i;
    uint64_t u;
    bool b;
  } v;
} lat_log_kv_t;

/* Initializers for LAT_LOG's fields (not expressions: use them only there). */
#define LAT_KV_STR(k, val) {.key = (k), .type = LAT_LOG_KV_STR, .v.s = (val)}
#define LAT_KV_BYTES(k, p, n)                                            \
  {.key = (k), .type = LAT_LOG_KV_BYTES, .len = (n), .v.s = (const char *)(p)}
#define LAT_KV_INT(k, val) {.key = (k), .type = LAT_LOG_KV_INT, .v.i = (val)}
#define LAT_KV_UINT(k, val) {.key = (k), .type = LAT_LOG_KV_UINT, .v.u = (val)}
#define LAT_KV_BOOL(k, val) {.key = (k), .type = LAT_LOG_KV_BOOL, .v.b = (val)}

/* The array starts with a dummy element so an empty field list still makes a
 * valid initializer ("{ {0}, }"). */
#define LAT_LOG(level, target, msg, ...)                                 \
  do {                                                                   \
    if (lat_log_enabled(level)) {                                        \
      const lat_log_kv_t lat__kv_[] = {{0}, __VA_ARGS__};                \
      lat_log_write((level), (target), (msg), lat__kv_ + 1,              \
                    sizeof lat__kv_ / sizeof lat__kv_[0] - 1);           \
    }                                                                    \
  } while (0)

/* printf-style message, no fields; same level check first. */
#define LAT_LOGF(level, target, ...)                                     \
  do {                                                                   \
    if (lat_log_enabled(level)) lat_log_printf((level), (target), __VA_ARGS__); \
  } while (0)

/* The functions behind the macros; they do not check the level again.
 * All pointers borrowed; kv may be NULL when nkv == 0. */
void lat_log_write(lat_log_level level, const char *target, const char *msg,
                   const lat_log_kv_t *kv, size_t nkv);
void lat_log_printf(lat_log_level level, const char *target, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

/* ---- hash map (base_map.c) ---------------------------------------------------
 * Byte-string keys (any bytes, explicit length) to void * values, hashed with
 * SipHash-2-4 under a random per-map key so guest-chosen keys cannot force
 * collisions.  Keys are copied into the map (it owns the copies) unless the
 * map is initialised with LAT_MAP_BORROW_KEYS, in which case the caller keeps
 * every key's bytes alive and unchanged while it is in the map.  Values are
 * always borrowed: the map never frees them (get them back from del, put's
 * out_old or an iteration before fini).  Not thread-safe. */
typedef struct lat__map_entry lat__map_entry_t;
typedef struct {
  lat__map_entry_t **buckets; /* owned; NULL until the first insert */
  size_t nbuckets;            /* 0 or a power of two */
  size_t count;
  unsigned flags;
  uint8_t seed[16]; /* SipHash key, random per map */
} lat_map_t;

#define LAT_MAP_BORROW_KEYS 1u

/* Does not allocate. */
void lat_map_init(lat_map_t *m, unsigned flags);
/* Frees the map's memory (entries, copied keys), not the values. */
void lat_map_fini(lat_map_t *m);
/* Removes every entry, keeps the bucket array for reuse (O(1) when the
 * map is already empty). */
void lat_map_clear(lat_map_t *m);
size_t lat_map_count(const lat_map_t *m);

/* Inserts or replaces.  out_old (may be NULL) receives the replaced value,
 * or NULL when the key was new.  LAT_ENOMEM leaves the map unchanged. */
lat_status lat_map_put(lat_map_t *m, const void *key, size_t klen, void *val,
                       void **out_old);
/* Inserts only if absent: *out_added is false (and the map unchanged) when
 * the key is already there.  LAT_ENOMEM leaves the map unchanged. */
lat_status lat_map_add(lat_map_t *m, const void *key, size_t klen, void *val,
                       bool *out_added);
/* True when found; *out_val (may be NULL) receives the value. */
bool lat_map_get(const lat_map_t *m, const void *key, size_t klen,
                 void **out_val);
/* True when found and removed; *out_val (may be NULL) receives its value. */
bool lat_map_del(lat_map_t *m, const void *key, size_t klen, void **out_val);

/* Iteration in no particular order.  Deleting the entry just returned (with
 * lat_map_del) is safe; any other insert or delete during an iteration is
 * not.  *out_key points at the map's key (copied or the caller's). */
typedef struct {
  const lat_map_t *m;     /* borrowed */
  size_t bucket;          /* next bucket to scan */
  lat__map_entry_t *next; /* next entry in the current chain */
} lat_map_iter_t;
void lat_map_iter_init(lat_map_iter_t *it, const lat_map_t *m);
bool lat_map_iter_next(lat_map_iter_t *it, const void **out_key,
                       size_t *out_klen, void **out_val);

/* ---- work queue and workers (base_queue.c) -----------------------------------
 * A thread-safe FIFO of jobs for handing work from threads that must not
 * block (libnats callbacks) to worker threads.  Push never blocks: with a
 * capacity bound a full queue returns LAT_ELIMIT (backpressure) instead of
 * growing.  A job's arg is passed through untouched; the queue never owns it. */
typedef void (*lat_job_fn)(void *arg);
typedef struct {
  lat_job_fn fn;
  void *arg; /* borrowed by the queue, handed to fn */
} lat_job_t;

typedef struct lat_queue lat_queue_t;

/* capacity 0 = unbounded.  Returns new (free with lat_queue_free). */
lat_status lat_queue_new(size_t capacity, lat_queue_t **out_q);
/* Frees the queue; jobs still queued are dropped without running (close and
 * drain first when their args own memory).  No thread may be using it. */
void lat_queue_free(lat_queue_t *q);
/* LAT_ELIMIT when full, LAT_ECLOSED after close, LAT_ENOMEM. */
lat_status lat_queue_push(lat_queue_t *q, lat_job_fn fn, void *arg);
/* Waits up to timeout_ns (< 0: forever, 0: poll) for a job.  LAT_OK with
 * *out_job filled, LAT_ETIMEOUT, or LAT_ECLOSED once closed and drained. */
lat_status lat_queue_pop(lat_queue_t *q, int64_t timeout_ns,
                         lat_job_t *out_job);
/* Refuses further pushes and wakes every waiter; pops drain what is left. */
void lat_queue_close(lat_queue_t *q);
size_t lat_queue_len(lat_queue_t *q);

/* n threads that pop jobs from q and run them until q is closed and drained.
 * q is borrowed and must outlive the pool.  Returns new (free with
 * lat_workers_free). */
typedef struct lat_workers lat_workers_t;
/* LAT_EARG for n == 0, LAT_ELIMIT when threads cannot be created (none is
 * left running and q is untouched), LAT_ENOMEM. */
lat_status lat_workers_new(size_t n, lat_queue_t *q, lat_workers_t **out_w);
/* Closes the queue, lets the workers drain it, joins them and frees. */
void lat_workers_free(lat_workers_t *w);

#endif
