/* wasi: host implementations of WASI for Lattice.  This header covers WASI
 * preview 1 (`wasi_snapshot_preview1`), the interface of core modules built
 * by clang + wasi-libc, and of the core module inside a preview-1 component.
 *
 * One lat_wasi_t is the whole world one guest instance sees: its arguments,
 * environment, file-descriptor table and the capabilities granted to it
 * (pre-opened directories, optionally read-only, and pre-opened listening
 * sockets).  The default is nothing: no directory is visible unless granted.
 * There is no global state; a context serves one instance at a time and is
 * used from the thread that runs that instance.
 *
 * Usage:
 *   lat_wasi_config_t cfg = { .argv = ..., .argc = ..., ... };
 *   lat_wasi_new(&cfg, &w, &err);
 *   lat_wasi_preopen_dir(w, "/srv/data", "/data", true, &err);   // read-only
 *   lat_wasi_link(w, store, module, false, &imports, &err);
 *   lat_wasm_instance_new(store, module, imports, n, &inst, &err);
 *   ... call _start: a proc_exit traps with LAT_TRAP_EXIT and the code ...
 *   lat_free(imports); lat_wasm_store_free(store); lat_wasi_free(w);
 * The context must outlive every call into the instance (host functions
 * borrow it); free it after the store.
 */
#ifndef LAT_WASI_H
#define LAT_WASI_H

#include "../base/base.h"
#include "../wasm/wasm.h"

#define LAT_WASI_P1_MODULE "wasi_snapshot_preview1"

typedef struct lat_wasi lat_wasi_t;

typedef struct {
  const char *const *argv; /* borrowed; argv[0] is the program name */
  size_t argc;
  const char *const *env;  /* borrowed; "KEY=VALUE" strings */
  size_t envc;
  int stdin_fd;            /* host fds for guest fds 0..2 (borrowed, never */
  int stdout_fd;           /* closed by the context); use 0, 1, 2 for the */
  int stderr_fd;           /* process's own stdio */
  uint64_t deadline_ns;    /* CLOCK_MONOTONIC (lat_now_ns scale); 0 = none:
                              blocking calls (poll_oneoff, reads from pipes)
                              never sleep past it, they trap instead */
} lat_wasi_config_t;

/* Everything is copied.  Returns new (free with lat_wasi_free). */
lat_status lat_wasi_new(const lat_wasi_config_t *cfg, lat_wasi_t **out,
                        lat_error_t *err);
void lat_wasi_free(lat_wasi_t *w); /* accepts NULL; closes the guest's fds */

/* Changes the deadline (e.g. set just before the call starts). */
void lat_wasi_set_deadline(lat_wasi_t *w, uint64_t deadline_ns);
/* Any thread: a WASI 0.2 poll in progress (pollable.block, poll, a sleep)
 * traps with LAT_TRAP_INTERRUPTED within WASI_WAIT_SLICE_MS, and so does
 * every later one; pair it with lat_wasm_store_interrupt, which stops the
 * guest's own code.  For servers stopping guests that wait. */
void lat_wasi_interrupt(lat_wasi_t *w);
#define LAT_WASI_WAIT_SLICE_MS 200

/* Grants host directory host_path to the guest as guest_path (the name the
 * guest sees through fd_prestat_dir_name, e.g. "/" or "/data").  With
 * readonly, nothing under it can be created, written, renamed, removed or
 * have its metadata changed (EROFS).  Grants take guest fds 3, 4, ... in the
 * order they are made.  LAT_EIO with the reason when the directory cannot be
 * opened, LAT_EUNSUPPORTED when the kernel lacks openat2 (Linux >= 5.6),
 * which the sandbox relies on. */
lat_status lat_wasi_preopen_dir(lat_wasi_t *w, const char *host_path,
                                const char *guest_path, bool readonly,
                                lat_error_t *err);

/* Opens a TCP listening socket on "HOST:PORT" (IPv4 or [IPv6]) and gives it
 * to the guest as the next fd, for sock_accept (like wasmtime --tcplisten).
 * Make these grants after the directories: wasi-libc stops its preopen scan
 * at the first fd that is not a directory. */
lat_status lat_wasi_preopen_tcp_listener(lat_wasi_t *w, const char *addr,
                                         lat_error_t *err);

/* The guest fd the last grant got. */
int lat_wasi_last_fd(const lat_wasi_t *w);

/* True when module m imports anything from wasi_snapshot_preview1. */
bool lat_wasi_module_uses_p1(const lat_wasm_module_t *m);

/* Resolves every import of m: preview-1 functions from w, in the order of
 * the module's imports.  An import WASI does not provide (another module, an
 * unknown name) is LAT_EUNLINKABLE naming it, unless trap_unknown is set:
 * then a function import is given a stub with its type that traps when
 * called ("unknown import ... called"), like wasmtime's
 * -W unknown-imports-trap.  A known name with the wrong type is always
 * LAT_EUNLINKABLE.  w may be NULL (then only trap stubs are possible).
 * Functions are created in store s.  *out_imports is new (free with
 * lat_free) and holds lat_wasm_module_import_count(m) entries. */
lat_status lat_wasi_link(lat_wasi_t *w, lat_wasm_store_t *s,
                         lat_wasm_module_t *m, bool trap_unknown,
                         lat_wasm_extern_t **out_imports, lat_error_t *err);

/* Number of preview-1 functions implemented, and the total in the
 * specification (46); for reports and tests. */
size_t lat_wasi_p1_implemented(void);
size_t lat_wasi_p1_total(void);

/* Time (lat_now_ns scale) of the first WASI call the guest made, 0 if none:
 * a bound on "launch to first guest instruction" for start-up measurements. */
uint64_t lat_wasi_first_call_ns(const lat_wasi_t *w);


/* ---- WASI 0.2 (wasi_p2*.c) -------------------------------------------------
 *
 * The WASI 0.2.12 interfaces as component-model host instances: wasi:io
 * (error, poll, streams), wasi:clocks (monotonic, wall), wasi:random
 * (random, insecure, insecure-seed), wasi:cli (environment, exit, run's
 * imports, stdin/stdout/stderr, terminal-* which report no terminal),
 * wasi:filesystem (types, preopens: the grants and sandbox of the preview-1
 * context) and wasi:sockets (present; every socket is denied).  Imports of
 * any 0.2.x version link (see lat_cname_version_compatible).
 *
 * Usage:
 *   lat_clinker_new(&l); lat_wasi_p2_add_to_linker(l, &err);  // once
 *   per instance: lat_wasi_new(&cfg, &w, ...) + grants as for preview 1;
 *   lat_wasi_p2_new(w, &p2); lat_cinstance_new(store, comp, l, p2, &ci, ...);
 *   call wasi:cli/run's run: wasi:cli/exit traps with LAT_TRAP_EXIT;
 *   lat_cinstance_free(ci); lat_wasm_store_free(store); lat_wasi_p2_free(p2);
 *   lat_wasi_free(w).
 */
#include "../component/component.h"

typedef struct lat_wasi_p2 lat_wasi_p2_t;

/* Adds the WASI 0.2 interfaces and their host functions to l (call once
 * per linker). */
lat_status lat_wasi_p2_add_to_linker(lat_clinker_t *l, lat_error_t *err);
/* Per-instance state over w (borrowed; must outlive it).  Returns new (free
 * with lat_wasi_p2_free, after the instance). */
lat_status lat_wasi_p2_new(lat_wasi_t *w, lat_wasi_p2_t **out);
void lat_wasi_p2_free(lat_wasi_p2_t *p); /* accepts NULL; closes its fds */

/* ---- memory streams for host interfaces (wasi_p2.c) -------------------------
 *
 * A host interface defined beside WASI 0.2 (the lattice host's
 * wasi:blobstore) may hand its guest wasi:io streams over host memory, as
 * wasi:http does with bodies: an input-stream reading borrowed bytes, an
 * output-stream appending to a sink.  Both are always ready and cost no
 * file descriptor.  The functions add the stream to the instance's table
 * and give its rep; the host function makes the handle itself, an own of
 * resource LAT_WASI_IO_STREAMS's "input-stream" / "output-stream"
 * (lat_clinker_resource_find at link time, lat_chost_call_rtype in the
 * call).  The data of a host function is the instance's lat_wasi_p2_t
 * (lat_chost_call_data) when it was instantiated with one.
 *
 * Lifetimes: the bytes and the sink are borrowed until the instance is
 * freed (the guest may keep the stream after the host value it came from
 * is gone), so their owner frees them after lat_cinstance_free. */
#define LAT_WASI_IO_STREAMS "wasi:io/streams@0.2.12"

typedef struct {
  lat_buf_t buf;    /* the bytes written (collected mode), the owner's */
  uint64_t *budget; /* bytes still allowed, may be shared by several sinks
                       of one owner (borrowed); a write past it fails with
                       an error the guest sees, and sets `over` */
  bool over;        /* a write was refused: buf is incomplete */
  bool finished;    /* wasi:http: outgoing-body.finish ran on it */
  /* wasi:http's streaming mode (leave NULL elsewhere): writes go to
   * write(arg, ...) instead of buf, still counted against the budget;
   * write returns 0 or an errno (the stream error the guest sees) */
  int (*write)(void *arg, const uint8_t *b, size_t n);
  void *arg;
} lat_wasi_sink_t;

/* An input-stream over bytes[0..n) (borrowed, see above): reads then end
 * with closed.  LAT_ELIMIT when p's table is full. */
lat_status lat_wasi_p2_input_mem(lat_wasi_p2_t *p, const uint8_t *bytes,
                                 size_t n, uint32_t *out_rep);
/* An output-stream appending to sink (borrowed, see above; zero it and set
 * budget first).  LAT_ELIMIT when p's table is full. */
lat_status lat_wasi_p2_output_mem(lat_wasi_p2_t *p, lat_wasi_sink_t *sink,
                                  uint32_t *out_rep);

/* The sandbox primitive every WASI file access goes through, for other
 * programs that must keep paths inside a folder (the blobstore-fs
 * provider): openat2(2) of path beneath dirfd with RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS (`..`, absolute paths and symlinks that leave
 * dirfd's tree are refused by the kernel), O_CLOEXEC added, retried on
 * EINTR/EAGAIN.  Returns the fd, or -1 with errno: EXDEV for an escape,
 * ENOSYS on a kernel without openat2 (Linux < 5.6). */
int lat_wasi_open_beneath(int dirfd, const char *path, int flags, unsigned mode);

/* ---- wasi:http 0.2 (wasi_http.c, wasi_http_client.c) ----------------------
 *
 * wasi:http/types and incoming-handler for servers (`lattice serve`), and
 * outgoing-handler: requests the guest makes go out through libcurl when
 * their destination is on the exchange's allow-list (lat_wasi_http_client_t)
 * and are denied (error-code HTTP-request-denied) otherwise.  The functions
 * are in every linker lat_wasi_p2_add_to_linker builds; they trap unless
 * the instance's WASI 0.2 context carries an exchange
 * (lat_wasi_p2_set_http).
 *
 * Per request:
 *   lat_wasi_http_new(&req, &h); lat_wasi_http_set_client(h, &client);
 *   lat_wasi_p2_set_http(p2, h);
 *   lat_cinstance_new_pre(store, pre, p2, &ci, ...);
 *   lat_wasi_http_handle(h, linker, ci, arena, &err);   // LAT_TRAP: 500
 *   lat_wasi_http_response(h, &resp);                   // resp.ok false: 500
 *   ... send resp ...; lat_cinstance_free(ci); lat_wasm_store_free(store);
 *   lat_wasi_p2_free(p2); lat_wasi_http_free(h) (last: it owns the bodies).
 */
typedef struct {
  const char *name;  /* borrowed; not NUL-terminated */
  size_t name_len;
  const char *value; /* borrowed */
  size_t value_len;
} lat_wasi_http_header_t;

typedef struct {
  const char *method;          /* "GET", ... (NUL-terminated) */
  const char *path_with_query; /* "/a?b=1" */
  const char *authority;       /* the Host header, or NULL */
  bool https;
  const lat_wasi_http_header_t *headers;
  size_t nheaders;
  const uint8_t *body;
  size_t body_len;
} lat_wasi_http_request_t;

typedef struct {
  bool ok;          /* false: the guest sent no response, or an error-code */
  uint16_t status;
  const lat_wasi_http_header_t *headers; /* borrowed from the exchange */
  size_t nheaders;
  const uint8_t *body; /* borrowed from the exchange */
  size_t body_len;
} lat_wasi_http_response_t;

typedef struct lat_wasi_http lat_wasi_http_t;

/* req is borrowed and must outlive the exchange.  Returns new (free with
 * lat_wasi_http_free, after the instance and its WASI 0.2 context). */
lat_status lat_wasi_http_new(const lat_wasi_http_request_t *req,
                             lat_wasi_http_t **out);
void lat_wasi_http_free(lat_wasi_http_t *h); /* accepts NULL */
/* One outgoing transfer: the request in, the response or an error-code
 * out (error: a wasi:http error-code case index, LAT_WASI_HEC_*, or -1). */
typedef struct {
  /* in (all borrowed for the call) */
  const char *method;                    /* a token, NUL-terminated */
  const char *url;                       /* http(s)://authority/path, checked */
  const lat_wasi_http_header_t *headers; /* checked names and values */
  size_t nheaders;
  const uint8_t *body;                   /* NULL: no body */
  size_t body_len;
  uint64_t total_ns;                     /* whole transfer; > 0 */
  uint64_t connect_ns, first_byte_ns, between_ns; /* 0: no such limit */
  uint64_t max_body;                     /* response body bytes allowed */
  /* response headers, as they arrive: a false return aborts (out of
   * memory); reset drops those of an interim (1xx) response */
  bool (*on_header)(void *arg, const char *name, size_t nlen,
                    const uint8_t *value, size_t vlen);
  void (*on_reset)(void *arg);
  void *arg;
  /* out */
  uint16_t status;
  lat_buf_t resp_body;                   /* owned by the caller after the call */
  int error;                             /* LAT_WASI_HEC_* or -1 */
  uint64_t error_arg;                    /* for the *_SIZE cases */
  bool timed_out;                        /* the total_ns limit ended it */
  char detail[160];                      /* for HEC_INTERNAL_ERROR */
} lat_wasi_http_xfer_t;

/* Runs x to completion on the calling thread with libcurl (loaded on first
 * use).  LAT_OK when x->error or x->status says how it went; LAT_ENOMEM
 * when the host ran out of memory. */
lat_status lat_wasi_http_xfer_run(lat_wasi_http_xfer_t *x);

/* wasi:http error-code cases a transfer may report without a payload
 * beyond what wasi_http.c builds (the WIT variant's case indexes). */
#define LAT_WASI_HEC_REQUEST_DENIED 15 /* HTTP-request-denied */
#define LAT_WASI_HEC_INTERNAL_ERROR 38 /* internal-error(option<string>): detail */

/* What a guest's outgoing requests may do.  Without one (the default),
 * every outgoing request is denied. */
typedef struct {
  const char *const *allow; /* "HOST" or "HOST:PORT" (borrowed): a request
                               goes out when its host matches one exactly
                               (ASCII case aside) and the port, when the
                               entry has one, too (none: any port) */
  size_t nallow;
  uint64_t timeout_ns;      /* a whole transfer, at most; 0 = 30 s.  The
                               guest's request-options can only shorten it,
                               and so does the context's deadline */
  uint64_t max_response_body; /* response body bytes per exchange, over all
                               its requests; 0 = 64 MiB */
  /* Optional: carries out every outgoing request in place of the allow
   * list and libcurl (a lattice host sends it to the http-client provider
   * the component is linked to).  Called on the guest's thread when the
   * guest waits for the response, with x filled as for
   * lat_wasi_http_xfer_run (total_ns and max_body already bounded); it
   * answers the same way (status, on_header, resp_body, or error).  A
   * non-OK return is out of memory. */
  lat_status (*transfer)(void *env, lat_wasi_http_xfer_t *x);
  void *transfer_env;
} lat_wasi_http_client_t;

/* Sets h's outgoing policy (borrowed; must outlive h). */
void lat_wasi_http_set_client(lat_wasi_http_t *h, const lat_wasi_http_client_t *client);
/* True when entry is a well-formed allow-list entry: HOST[:PORT], HOST a
 * DNS name ([A-Za-z0-9._~-]) or a bracketed IPv6 address. */
bool lat_wasi_http_allow_valid(const char *entry);
/* Streaming the response body (servers).  Set before
 * lat_wasi_http_handle; s is borrowed and must outlive h.  Once the guest
 * has set its response (response-outparam.set with a response, not an
 * error-code), every byte written to that response's body goes to
 * s->write on the thread running the guest, what it wrote before set
 * first, instead of being collected; s->finish runs once, at
 * outgoing-body.finish of that body (at set when the body was finished
 * before, or never opened).  Status and headers: lat_wasi_http_response
 * (its body is then empty), from the first write or finish on.
 *   write(arg, data, len): data borrowed for the call; returns 0, EPIPE
 *     (the client is gone: the guest sees the stream closed) or another
 *     errno (a stream error).  It may block; the owner bounds how long.
 *   finish(arg): the body is complete.  No write follows it.
 * Writes still draw on the exchange's body budget (64 MiB): past it the
 * write fails and lat_wasi_http_response says LAT_ELIMIT, the owner must
 * then cut the response, not complete it.  Without a stream (NULL, the
 * default) the body is collected and lat_wasi_http_response hands it out. */
typedef struct {
  int (*write)(void *arg, const uint8_t *data, size_t len);
  void (*finish)(void *arg);
  void *arg;
} lat_wasi_http_stream_t;
void lat_wasi_http_set_stream(lat_wasi_http_t *h, const lat_wasi_http_stream_t *s);
/* Attaches exchange h (borrowed) to the instance state p. */
void lat_wasi_p2_set_http(lat_wasi_p2_t *p, lat_wasi_http_t *h);
/* Calls ci's wasi:http/incoming-handler.handle with the request;
 * LAT_EUNLINKABLE when the component does not export it, LAT_TRAP when the
 * guest traps (the store tells why). */
lat_status lat_wasi_http_handle(lat_wasi_http_t *h, const lat_clinker_t *l,
                                lat_cinstance_t *ci, lat_arena_t *arena,
                                lat_error_t *err);
/* The response the guest set.  Pointers in out are borrowed from h (the
 * body is the guest's own buffer, not a copy).  LAT_ENOMEM on a host
 * failure; LAT_ELIMIT when the guest wrote more body than the exchange
 * allows (64 MiB over all its bodies): the body is incomplete, send none. */
lat_status lat_wasi_http_response(lat_wasi_http_t *h,
                                  lat_wasi_http_response_t *out);

#endif
