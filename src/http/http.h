/* http: a strict HTTP/1.1 request parser and an epoll server core.
 *
 * Used by `lattice serve`, the host's built-in HTTP server and the
 * http-server provider.  Knows nothing about WebAssembly or guests: a
 * request is handed to a callback with an exchange handle, and the response
 * may be produced later, from any thread.
 *
 * Why our own: the framing rules of RFC 9112 that stop request smuggling
 * (no Content-Length next to Transfer-Encoding, one Content-Length, only
 * the chunked coding, no obsolete line folding, no bare CR or NUL, exactly
 * one Host), a deadline for the whole header, a per-client connection cap
 * and handlers that run off the I/O threads are not all available from any
 * library Debian packages: libmicrohttpd never shows the raw bytes, has no
 * header deadline and runs handlers on its I/O threads; h2o 2.2.5 and
 * nodejs' http-parser are lenient and no longer maintained.
 *
 * Threading (server):
 *   - The handler runs on an I/O thread and must not block.  `req` and
 *     `body` are borrowed for the call only: copy what is needed later.
 *   - The exchange it is given may be completed from ANY thread with the
 *     lat_http_respond_* calls, which are thread-safe for one producer at a
 *     time per exchange.  Exactly one lat_http_respond(),
 *     lat_http_respond_end() or lat_http_respond_abort() call releases it;
 *     the handle is void after.
 *   - lat_http_respond_wait()/lat_http_respond_write_wait() block and must
 *     not be called on an I/O thread (they return LAT_EARG there).
 *   - lat_http_server_free() waits until every exchange has been released,
 *     so producers must end theirs (immediate once the client is gone:
 *     writes fail with LAT_EIO and lat_http_exchange_closed() says true).
 */
#ifndef LAT_HTTP_H
#define LAT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"

/* ---- parsing ---------------------------------------------------------- */

typedef struct {
  const char *name; /* not NUL-terminated; a token */
  size_t name_len;
  const char *value; /* not NUL-terminated; trimmed of SP/HTAB */
  size_t value_len;
} lat_http_header_t;

/* Caps on what one request head may hold.  Over a cap is an error with
 * status 431 (414 for a request line that alone passes max_head_bytes),
 * never silent truncation. */
typedef struct {
  size_t max_head_bytes;    /* request line + headers + final CRLF */
  unsigned max_headers;     /* header fields */
  size_t max_chunk_line;    /* a chunk-size line with its extensions */
  size_t max_trailer_bytes; /* all trailer fields of one body */
  unsigned max_trailers;
} lat_http_limits_t;

#define LAT_HTTP_DEFAULT_MAX_HEAD 16384u
#define LAT_HTTP_DEFAULT_MAX_HEADERS 100u
#define LAT_HTTP_DEFAULT_MAX_CHUNK_LINE 256u
#define LAT_HTTP_DEFAULT_MAX_TRAILER 4096u
#define LAT_HTTP_DEFAULT_MAX_TRAILERS 32u

void lat_http_limits_default(lat_http_limits_t *out_lim);

typedef enum {
  LAT_HTTP_MORE,  /* need more bytes */
  LAT_HTTP_DONE,  /* complete */
  LAT_HTTP_ERROR, /* malformed: answer `status` with Connection: close */
} lat_http_progress_t;

/* A parsed request head.  Every pointer points into the buffer given to
 * lat_http_parse_head() (or into the parser), valid while both are
 * unchanged. */
typedef struct {
  const char *method; /* a token, e.g. "GET" */
  size_t method_len;
  const char *target; /* origin-form, absolute-form, or "*" with OPTIONS */
  size_t target_len;
  unsigned version_minor; /* HTTP/1.<minor>: 0 or 1 */
  const lat_http_header_t *headers;
  size_t header_count;
  const char *host; /* the Host value (may be empty); NULL when absent (1.0) */
  size_t host_len;
  bool has_content_length;
  uint64_t content_length;
  bool chunked;         /* Transfer-Encoding: chunked */
  bool keep_alive;      /* 1.1 unless "close"; 1.0 only with "keep-alive" */
  bool expect_continue; /* Expect: 100-continue */
  bool head_method;     /* HEAD: the response has no body */
  size_t head_len;      /* bytes of the head, final CRLF included */
} lat_http_request_t;

/* Incremental head parser.  Caller's storage (init/fini).  Feed it the
 * whole request so far each time, from the first byte of the request:
 * lines already checked are not checked again. */
typedef struct {
  lat_http_limits_t lim;
  size_t pos;             /* start of the first line not yet parsed */
  int line_state;         /* 0 request line, 1 header fields, 2 done */
  unsigned nfield;        /* header fields so far */
  unsigned field_cap;     /* entries allocated in fields/headers */
  uint32_t *fields;       /* 4 offsets a field: name, name_len, value, value_len */
  lat_http_header_t *headers; /* filled when the head is done */
  uint32_t method_off, method_len, target_off, target_len;
  unsigned version_minor;
  int status;             /* on LAT_HTTP_ERROR: 400, 413, 414, 417, 431, 501, 505 */
  const char *reason;     /* on LAT_HTTP_ERROR: static text, no request bytes */
} lat_http_parser_t;

void lat_http_parser_init(lat_http_parser_t *p, const lat_http_limits_t *lim);
void lat_http_parser_fini(lat_http_parser_t *p);
/* Ready for the next request on the same connection (keeps allocations). */
void lat_http_parser_reset(lat_http_parser_t *p);
/* buf[0..len) is the request so far.  On LAT_HTTP_DONE fills *out_req
 * (pointers into buf and p); calling it again after DONE with the same
 * bytes (perhaps moved) fills it again.  On LAT_HTTP_ERROR p->status and p->reason
 * say why; an allocation failure is an error with status 503. */
lat_http_progress_t lat_http_parse_head(lat_http_parser_t *p, const uint8_t *buf,
                                        size_t len, lat_http_request_t *out_req);

/* Chunked body decoder (RFC 9112 7.1).  Caller's storage; zero-init it with
 * lat_http_chunked_init().  Chunk sizes are strict hex (no sign, no
 * spaces, at most 16 digits), extensions are tolerated up to
 * lim.max_chunk_line, trailer fields are checked like header fields and
 * dropped. */
typedef struct {
  lat_http_limits_t lim;
  int state;             /* internal */
  uint64_t chunk_left;   /* data bytes left in the current chunk */
  size_t line_len;       /* bytes of the current size/trailer line */
  size_t trailer_bytes;
  unsigned trailers;
  unsigned digits;
  bool in_ext;
  bool cr;               /* the last byte was CR */
  uint64_t total;        /* data bytes so far */
  int status;            /* on LAT_HTTP_ERROR */
  const char *reason;
} lat_http_chunked_t;

void lat_http_chunked_init(lat_http_chunked_t *c, const lat_http_limits_t *lim);
/* Decodes in[0..len), appending data to body; *out_used is how many bytes of
 * in were consumed (on LAT_HTTP_DONE the rest belongs to the next request).
 * A total over max_body is an error with status 413. */
lat_http_progress_t lat_http_chunked_decode(lat_http_chunked_t *c, const uint8_t *in,
                                            size_t len, uint64_t max_body,
                                            lat_buf_t *body, size_t *out_used);

/* Case-insensitive match of a header name. */
bool lat_http_name_eq(const char *name, size_t len, const char *lower);
/* Returns the standard reason phrase for a status ("" when unknown). */
const char *lat_http_reason(int status);
/* Writes in[0..len) as printable ASCII into out (cap bytes, always
 * NUL-terminated when cap > 0): bytes outside 0x20..0x7e, '"' and '\\' as
 * \xHH.  Returns the length written (truncated output ends in "...").
 * For logging request bytes. */
size_t lat_http_escape(char *out, size_t cap, const void *in, size_t len);

/* ---- server ----------------------------------------------------------- */

typedef struct lat_http_server lat_http_server_t;
typedef struct lat_http_exchange lat_http_exchange_t;

/* Called on an I/O thread for each complete request (head and whole body).
 * Must not block; owns `ex` until it (or whoever it hands it to) calls
 * lat_http_respond() or lat_http_respond_end().  req and body borrowed for
 * the call. */
typedef void (*lat_http_handler_fn)(void *ctx, lat_http_exchange_t *ex,
                                    const lat_http_request_t *req,
                                    const uint8_t *body, size_t body_len);

typedef enum { LAT_HTTP_LOG_ERROR, LAT_HTTP_LOG_WARN, LAT_HTTP_LOG_INFO, LAT_HTTP_LOG_DEBUG } lat_http_log_level;
/* msg is one line, already escaped (printable ASCII only).  Called from
 * I/O threads, concurrently: the callback must be thread-safe. */
typedef void (*lat_http_log_fn)(void *ctx, lat_http_log_level level, const char *msg);

typedef struct {
  const char *addr;        /* "127.0.0.1:8080", "[::1]:0", "0.0.0.0:80"; port 0 = any free port */
  unsigned threads;        /* I/O threads; 0 = one per core */
  lat_http_limits_t limits;
  uint64_t max_body;          /* 413 beyond (before reading, when announced) */
  uint32_t header_timeout_ms; /* whole request head, from its first byte (408) */
  uint32_t body_timeout_ms;   /* whole body, from the end of the head (408) */
  uint32_t body_idle_ms;      /* no body byte for this long (408) */
  uint32_t idle_timeout_ms;   /* keep-alive: no byte of a next request */
  uint32_t write_timeout_ms;  /* response output pending with no progress */
  uint32_t grace_ms;          /* shutdown: in-flight exchanges may finish */
  unsigned max_connections;   /* total; beyond: 503 and close */
  unsigned max_per_ip;        /* per client address; beyond: 503 and close */
  size_t write_window;        /* per exchange: output queued, not yet sent */
  lat_http_handler_fn handler;
  void *handler_ctx;
  lat_http_log_fn log; /* may be NULL: nothing is logged */
  void *log_ctx;
} lat_http_server_config_t;

/* Defaults: threads 0, limits default, max_body 1 MiB, header 10 s, body
 * 60 s total and 30 s idle, idle 60 s, write 60 s, grace 10 s, 4096
 * connections, 64 per IP, window 256 KiB.  In a config given to
 * lat_http_server_new() a zero timeout, max_connections, write_window or
 * limits.max_head_bytes means its default; max_per_ip 0 means no per-IP
 * cap; grace_ms 0 closes in-flight exchanges at once; max_body 0 refuses
 * every body. */
void lat_http_server_config_default(lat_http_server_config_t *out_cfg);

/* Binds, listens and starts the I/O threads.  cfg is copied (addr too).
 * Returns new (free with lat_http_server_free). */
lat_status lat_http_server_new(const lat_http_server_config_t *cfg,
                               lat_http_server_t **out_srv, lat_error_t *err);
/* The bound port (the chosen one when the config said 0). */
uint16_t lat_http_server_port(const lat_http_server_t *srv);
/* Stops accepting and closes idle connections; in-flight exchanges get
 * cfg.grace_ms to finish, then their connections are closed.  Returns at
 * once; any thread; idempotent. */
void lat_http_server_shutdown(lat_http_server_t *srv);
/* Shuts down (if not yet), joins the I/O threads, waits until every
 * exchange is released, frees.  Accepts NULL.  Not from an I/O thread. */
void lat_http_server_free(lat_http_server_t *srv);

/* ---- responses (any thread) ------------------------------------------- */

/* Starts the response.  status must be 200..599 (LAT_EARG otherwise: the
 * caller maps that to a 500 or 502 of its own).  headers[0..count) are
 * copied; names must be tokens and values free of CR, LF and NUL
 * (LAT_EARG); Content-Length, Transfer-Encoding and Connection are the
 * server's and refused.  content_length < 0: unknown (chunked on 1.1,
 * close-delimited on 1.0).  LAT_EIO: the client is gone. */
lat_status lat_http_respond_start(lat_http_exchange_t *ex, int status,
                                  const lat_http_header_t *headers, size_t count,
                                  int64_t content_length);
/* Queues a copy of data.  Never blocks: LAT_ELIMIT when the exchange's
 * output window (cfg.write_window) is full and something is pending
 * (nothing queued; wait and retry); LAT_EIO when the client is gone;
 * LAT_EARG past the announced length or before start. */
lat_status lat_http_respond_write(lat_http_exchange_t *ex, const void *data, size_t len);
/* Blocks until `len` more bytes fit in the window (or nothing is pending),
 * the client is gone (LAT_EIO) or timeout_ms passes (LAT_ELIMIT).  Not on
 * an I/O thread (LAT_EARG). */
lat_status lat_http_respond_wait(lat_http_exchange_t *ex, size_t len, uint32_t timeout_ms);
/* lat_http_respond_wait() then lat_http_respond_write(). */
lat_status lat_http_respond_write_wait(lat_http_exchange_t *ex, const void *data,
                                       size_t len, uint32_t timeout_ms);
/* Ends the response and releases ex (always, whatever it returns).  Ended
 * before start: a 500 is sent.  Ended short of an announced length: the
 * connection is closed after what was sent. */
lat_status lat_http_respond_end(lat_http_exchange_t *ex);
/* Ends a started response as failed and releases ex: what was queued is
 * sent, then the connection is closed without completing the body (no
 * last chunk, or short of Content-Length), so the client cannot mistake a
 * cut body for a whole one.  Not started: as lat_http_respond_end (a 500). */
lat_status lat_http_respond_abort(lat_http_exchange_t *ex);
/* One-shot: start + write + end.  When free_fn is non-NULL it takes
 * ownership of body (no copy) and calls free_fn(body) once it is sent or
 * dropped, whatever this returns.  Releases ex. */
lat_status lat_http_respond(lat_http_exchange_t *ex, int status,
                            const lat_http_header_t *headers, size_t count,
                            const void *body, size_t len, void (*free_fn)(void *));
/* True once the connection is gone or closed by the server: later writes
 * fail.  Any thread. */
bool lat_http_exchange_closed(lat_http_exchange_t *ex);

#endif
