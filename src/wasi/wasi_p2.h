/* wasi_p2.h: private to the WASI 0.2 host (wasi_p2*.c).
 *
 * The per-instance state is a table of host objects (streams, descriptors,
 * directory streams, pollables, errors, networks) indexed by resource rep
 * (index + 1); the guest holds handles to them in its own handle table
 * (the canonical ABI's), and drops them through the resource destructors
 * registered with the linker.  Arguments, environment, stdio and directory
 * grants come from the preview-1 context (lat_wasi_t), so `lattice run`
 * builds one context for either kind of program and both share the
 * openat2 sandbox rules.
 *
 * Streams are backed by a host fd, or by memory (`mem`): an input stream
 * over borrowed bytes, or an output stream appending to a sink its owner
 * keeps.  wasi:http uses memory streams for bodies, so a request costs no
 * file descriptor and no system call for them; the stream functions of
 * wasi_p2.c serve both backings.
 */
#ifndef LAT_WASI_P2_H
#define LAT_WASI_P2_H

#include <dirent.h>
#include <time.h>

#include "wasi_int.h"

extern const char lat__wasi_p2_wit[];
extern const char lat__wasi_http_wit[];

enum {
  P2_FREE = 0,
  P2_IN,      /* input-stream */
  P2_OUT,     /* output-stream */
  P2_DESC,    /* descriptor */
  P2_DIRS,    /* directory-entry-stream */
  P2_POLL,    /* pollable */
  P2_ERR,     /* io error */
  P2_NET,     /* network (denied) */
};

/* Where a memory-backed output stream's bytes go: lat_wasi_sink_t
 * (wasi.h), whose streaming-mode fields only wasi:http uses. */
typedef lat_wasi_sink_t lat__p2_sink_t;

/* A pollable whose readiness its owner decides (a wasi:http future):
 * ready() says whether it is ready now, without blocking; wait() makes it
 * ready, blocking the calling thread (a synchronous transfer), or traps. */
typedef struct {
  bool (*ready)(void *arg);
  lat_status (*wait)(lat_chost_call_t *c, void *arg);
} lat__p2_waiter_t;

typedef struct {
  uint8_t kind;
  bool mem;         /* IN/OUT: memory, not an fd (bytes/nbytes or sink) */
  bool owned;       /* fd is ours to close */
  bool readonly;    /* DESC: under a read-only grant */
  bool positional;  /* IN/OUT on a file: pread/pwrite at off */
  bool append;      /* OUT: append mode */
  bool eof;         /* IN: end reached */
  int fd;           /* host fd or -1 */
  uint64_t off;
  uint32_t dflags;  /* DESC: descriptor-flags bits */
  DIR *dir;         /* DIRS */
  uint64_t until;   /* POLL: monotonic deadline (0: ready, unless fd) */
  int pfd;          /* POLL: fd to wait for, or -1 */
  short pevents;
  int err;          /* ERR: errno */
  const char *emsg; /* ERR: static text instead of strerror(err), or NULL */
  const uint8_t *bytes; /* IN on memory: the bytes (borrowed), nbytes of
                           them, read from off */
  size_t nbytes;
  lat__p2_sink_t *sink; /* OUT on memory: appends here (borrowed) */
  const lat__p2_waiter_t *waiter; /* POLL: owner-decided readiness, or NULL */
  void *warg;       /* POLL: the waiter's argument (borrowed: its owner
                       keeps it until the instance is gone) */
} lat__p2_obj_t;

struct lat_wasi_p2 {
  lat_wasi_t *w;          /* borrowed */
  lat__p2_obj_t *o;
  uint32_t n, cap;
  uint32_t *free_;
  uint32_t nfree, capfree;
  lat_wasi_http_t *http;  /* borrowed: the wasi:http exchange, or NULL */
};

/* Resource ids in the linker (the env of every host function). */
typedef struct {
  uint32_t error, pollable, input, output, descriptor, dirstream, network,
      tcp, udp, resolve, term_in, term_out;
} lat__p2_ids_t;

#define P2_MAX_OBJS 65536u
#define P2_MAX_IO (64u << 20) /* bytes per read/write call */

/* Host functions (wasi_p2.c, wasi_p2_fs.c, wasi_http.c) share one
 * signature and these shorthands: c the call, env the file's ids, a the
 * lifted arguments, r the result; P2 the instance's WASI 0.2 context, AR the
 * call's arena, OOM() the trap for a failed allocation; IDS the resource ids
 * when env is a lat__p2_ids_t (declared below). */
#define LAT__P2_U __attribute__((unused))
#define HOSTFN(fn)                                                                  \
  static lat_status fn(LAT__P2_U lat_chost_call_t *c, LAT__P2_U void *env,           \
                       LAT__P2_U const lat_cval_t *a, LAT__P2_U uint32_t na,         \
                       LAT__P2_U lat_cval_t *r)
#define P2 ((lat_wasi_p2_t *)lat_chost_call_data(c))
#define AR lat_chost_call_arena(c)
#define OOM() lat_chost_call_trap(c, LAT_TRAP_HOST, 0, "out of memory")
#define IDS ((const lat__p2_ids_t *)env)

/* Object table (wasi_p2.c). */
lat__p2_obj_t *lat__p2_get(lat_wasi_p2_t *p, uint32_t rep, uint8_t kind);
/* Adds o; returns its rep or 0 when the table is full (o's fd is then
 * closed when owned). */
uint32_t lat__p2_add(lat_wasi_p2_t *p, const lat__p2_obj_t *o);

/* Value builders (results are allocated in a). */
lat_cval_t *lat__p2_val(lat_arena_t *a, uint8_t kind);
void lat__p2_result(lat_cval_t *out, bool is_err, lat_cval_t *payload);
lat_cval_t *lat__p2_own(lat_arena_t *a, const lat_cabi_rtype_t *rt, uint32_t rep);
lat_cval_t *lat__p2_u64(lat_arena_t *a, uint64_t v);
lat_cval_t *lat__p2_enum(lat_arena_t *a, uint32_t disc);
lat_cval_t *lat__p2_bytes(lat_arena_t *a, const void *p, size_t n);
lat_cval_t *lat__p2_string(lat_arena_t *a, const char *s, size_t n);
lat_cval_t *lat__p2_option(lat_arena_t *a, lat_cval_t *some);

/* errno -> wasi:filesystem error-code discriminant. */
uint32_t lat__p2_fs_errno(int e);

/* Registration (each file adds its functions). */
typedef struct {
  const char *iface; /* without version */
  const char *name;
  lat_chost_fn fn;
} lat__p2_fn_t;
extern const lat__p2_fn_t lat__p2_fs_fns[];
extern const size_t lat__p2_fs_nfns;
/* wasi:http's functions and resource destructors (wasi_http.c). */
lat_status lat__wasi_http_add(lat_clinker_t *l, const lat__p2_ids_t *p2ids,
                              lat_error_t *err);

/* ---- wasi:http client transfers (wasi_http_client.c) ---------------------- */

/* The wasi:http error-code cases the client reports (their discriminants
 * in the WIT variant). */
enum {
  HEC_DNS_ERROR = 1,
  HEC_CONNECTION_REFUSED = 6,
  HEC_CONNECTION_TERMINATED = 7,
  HEC_CONNECTION_TIMEOUT = 8,
  HEC_CONNECTION_READ_TIMEOUT = 9,
  HEC_TLS_PROTOCOL_ERROR = 12,
  HEC_TLS_CERTIFICATE_ERROR = 13,
  HEC_REQUEST_DENIED = 15,
  HEC_REQUEST_BODY_SIZE = 17,            /* option<u64>: arg, 0 = none */
  HEC_REQUEST_METHOD_INVALID = 18,
  HEC_REQUEST_URI_INVALID = 19,
  HEC_RESPONSE_INCOMPLETE = 25,
  HEC_RESPONSE_HEADER_SECTION_SIZE = 26, /* option<u32>: arg */
  HEC_RESPONSE_BODY_SIZE = 28,           /* option<u64>: arg */
  HEC_RESPONSE_TIMEOUT = 33,
  HEC_PROTOCOL_ERROR = 35,
  HEC_INTERNAL_ERROR = 38, /* option<string>: detail */
};

/* Makes libcurl ready for transfers (idempotent, thread-safe). */
void lat__http_client_init(void);

/* An authority "HOST[:PORT]" (reg-name of [A-Za-z0-9._~-] or a bracketed
 * IPv6 literal; no userinfo): false when malformed.  *port is -1 when
 * absent; host points into s. */
bool lat__http_authority(const char *s, size_t n, const char **host,
                         size_t *hlen, int *port);

#endif
