/* wasi_http_client.c: one outgoing HTTP transfer with libcurl, for
 * wasi:http/outgoing-handler (wasi_http.c decides what may be sent and
 * turns the result into wasi:http values; this file knows nothing of
 * components).
 *
 * Approach: libcurl's easy interface, run to completion on the thread of
 * the guest that waits for the response.  The guest is synchronous (it
 * blocks on the future anyway), so a transfer needs no event loop, and the
 * serve thread pool already bounds how many run at once.  Every transfer
 * is bounded: a total time limit (always set), optional connect,
 * first-byte and between-bytes limits (the last two checked from curl's
 * progress callback, which curl calls at least once a second while a
 * transfer idles), and a cap on the response body and header section.  So
 * an upstream that accepts and never answers costs the thread at most the
 * total limit, never forever.
 *
 * What is sent is what the guest built and the host checked: no redirects
 * followed (a 3xx goes back to the guest, which may ask again and is then
 * checked again), no proxy from the environment, only http and https,
 * HTTP/1.1, no decompression (the guest sees the bytes the upstream sent),
 * and none of curl's own request headers the guest did not ask for
 * (Content-Type for bodies, Expect: 100-continue); Content-Length comes
 * from the body itself.
 *
 * libcurl is loaded on the first transfer (dlopen of libcurl.so.4), not
 * linked: it pulls in some thirty libraries (TLS, Kerberos, LDAP, SSH, IDN,
 * compression...) whose start-up cost and resident pages every process paid
 * whether or not a guest ever made an outgoing request; a lattice host at
 * rest was 12 MiB resident, most of it those libraries.  curl_global_init
 * is thread-safe in libcurl >= 7.84 (Debian's is 7.88), so loading under a
 * pthread_once on a guest's thread is fine.  When the library cannot be
 * loaded the request fails with HTTP-request-denied's sibling
 * internal-error and a message that says so.
 *
 * Rejected: the multi interface with transfers in the background while the
 * guest runs (a synchronous guest gains nothing, and a background transfer
 * outliving its instance needs ownership rules for nothing); our own HTTP
 * client (TLS, chunked encoding and HTTP/1.1 corner cases are libcurl's
 * job, Debian's libcurl4-openssl-dev).
 */
#define CURL_DISABLE_TYPECHECK /* its macros would hide the loaded functions */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>

#include "wasi_p2.h"

#define XFER_MAX_HEADER_BYTES (64u << 10) /* a response's header section */
#define XFER_MAX_HEADERS 256u             /* request header lines we build */

/* libcurl's functions, loaded on first use; NULL entries: not available. */
static struct {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
  CURLcode (*easy_perform)(CURL *e);
  CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
  void (*easy_cleanup)(CURL *e);
  const char *(*easy_strerror)(CURLcode rc);
  struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
  void (*slist_free_all)(struct curl_slist *l);
  bool ok; /* every symbol found and curl_global_init succeeded */
} cu;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
  void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return;
#define SYM(field, name) *(void **)&cu.field = dlsym(lib, name)
  SYM(global_init, "curl_global_init");
  SYM(easy_init, "curl_easy_init");
  SYM(easy_setopt, "curl_easy_setopt");
  SYM(easy_perform, "curl_easy_perform");
  SYM(easy_getinfo, "curl_easy_getinfo");
  SYM(easy_cleanup, "curl_easy_cleanup");
  SYM(easy_strerror, "curl_easy_strerror");
  SYM(slist_append, "curl_slist_append");
  SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
  cu.ok = cu.global_init && cu.easy_init && cu.easy_setopt && cu.easy_perform &&
          cu.easy_getinfo && cu.easy_cleanup && cu.easy_strerror && cu.slist_append &&
          cu.slist_free_all && cu.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}
void lat__http_client_init(void) { pthread_once(&curl_once, curl_init_once); }

#define curl_easy_init cu.easy_init
#undef curl_easy_setopt /* curl.h's argument-count macros */
#undef curl_easy_getinfo
#define curl_easy_setopt cu.easy_setopt
#define curl_easy_perform cu.easy_perform
#define curl_easy_getinfo cu.easy_getinfo
#define curl_easy_cleanup cu.easy_cleanup
#define curl_easy_strerror cu.easy_strerror
#define curl_slist_append cu.slist_append
#define curl_slist_free_all cu.slist_free_all

/* ---- authority ------------------------------------------------------------- */

bool lat__http_authority(const char *s, size_t n, const char **host,
                         size_t *hlen, int *port) {
  size_t i = 0;
  if (n == 0 || n > 300) return false;
  if (s[0] == '[') { /* IPv6 literal */
    for (i = 1; i < n && s[i] != ']'; i++)
      if (!strchr("0123456789abcdefABCDEF:.", s[i])) return false;
    if (i >= n || i < 3) return false;
    i++; /* past ']' */
  } else {
    for (; i < n && s[i] != ':'; i++) {
      unsigned char ch = (unsigned char)s[i];
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || strchr("-._~", ch)) || ch == 0)
        return false;
    }
    if (i == 0) return false;
  }
  *host = s;
  *hlen = i;
  *port = -1;
  if (i == n) return true;
  if (s[i] != ':' || i + 1 == n || n - i - 1 > 5) return false;
  long p = 0;
  for (size_t k = i + 1; k < n; k++) {
    if (s[k] < '0' || s[k] > '9') return false;
    p = p * 10 + (s[k] - '0');
  }
  if (p > 65535) return false;
  *port = (int)p;
  return true;
}

bool lat_wasi_http_allow_valid(const char *entry) {
  const char *h;
  size_t hl;
  int port;
  return entry && lat__http_authority(entry, strlen(entry), &h, &hl, &port);
}

/* ---- callbacks ----------------------------------------------------------------- */

typedef struct {
  lat_wasi_http_xfer_t *x;
  uint64_t start_ns, last_ns; /* when the transfer began; the last byte came */
  bool got_bytes;             /* any of the response arrived */
  size_t header_bytes;        /* of the current response's header section */
  bool oom;
  int abort_error;            /* HEC_* a callback stopped the transfer with */
} xstate_t;

static bool is_token(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          (ch && strchr("!#$%&'*+-.^_`|~", ch))))
      return false;
  }
  return true;
}

static size_t on_header(char *b, size_t size, size_t n, void *arg) {
  xstate_t *xs = arg;
  lat_wasi_http_xfer_t *x = xs->x;
  (void)size; /* always 1 */
  xs->got_bytes = true;
  xs->last_ns = lat_now_ns();
  if (n >= 5 && !memcmp(b, "HTTP/", 5)) { /* a status line: a new response */
    xs->header_bytes = 0;
    x->on_reset(x->arg);
    return n;
  }
  xs->header_bytes += n;
  if (xs->header_bytes > XFER_MAX_HEADER_BYTES) {
    xs->abort_error = HEC_RESPONSE_HEADER_SECTION_SIZE;
    x->error_arg = XFER_MAX_HEADER_BYTES;
    return 0;
  }
  size_t len = n;
  while (len && (b[len - 1] == '\n' || b[len - 1] == '\r')) len--;
  const char *colon = len ? memchr(b, ':', len) : NULL;
  /* the blank line, obsolete line folding and malformed lines are dropped:
   * only token names reach the guest (a field name is a WIT string) */
  if (!colon || !is_token(b, (size_t)(colon - b))) return n;
  const char *v = colon + 1, *end = b + len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
  for (const char *p = v; p < end; p++)
    if (*p == 0) return n; /* not a valid field value */
  if (!x->on_header(x->arg, b, (size_t)(colon - b), (const uint8_t *)v, (size_t)(end - v))) {
    xs->oom = true;
    return 0;
  }
  return n;
}

static size_t on_body(char *b, size_t size, size_t n, void *arg) {
  xstate_t *xs = arg;
  lat_wasi_http_xfer_t *x = xs->x;
  (void)size;
  xs->got_bytes = true;
  xs->last_ns = lat_now_ns();
  if (n > x->max_body - x->resp_body.len) {
    xs->abort_error = HEC_RESPONSE_BODY_SIZE;
    x->error_arg = x->max_body;
    return 0;
  }
  if (lat_buf_append(&x->resp_body, b, n)) {
    xs->oom = true;
    return 0;
  }
  return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  xstate_t *xs = arg;
  uint64_t now = lat_now_ns();
  if (!xs->got_bytes) {
    if (xs->x->first_byte_ns && now - xs->start_ns > xs->x->first_byte_ns) {
      xs->abort_error = HEC_RESPONSE_TIMEOUT;
      return 1;
    }
  } else if (xs->x->between_ns && now - xs->last_ns > xs->x->between_ns) {
    xs->abort_error = HEC_CONNECTION_READ_TIMEOUT;
    return 1;
  }
  return 0;
}

/* ---- the transfer ------------------------------------------------------------- */

static long ms_of(uint64_t ns) {
  uint64_t ms = (ns + 999999) / 1000000;
  return ms > 0x7fffffff ? 0x7fffffff : (long)(ms ? ms : 1);
}

static void set_error(lat_wasi_http_xfer_t *x, int code, const char *detail) {
  x->error = code;
  if (detail) snprintf(x->detail, sizeof x->detail, "%s", detail);
}

static bool has_header(const lat_wasi_http_xfer_t *x, const char *name) {
  for (size_t i = 0; i < x->nheaders; i++)
    if (x->headers[i].name_len == strlen(name) &&
        !strncasecmp(x->headers[i].name, name, x->headers[i].name_len))
      return true;
  return false;
}

/* The request's header lines: the guest's (but Content-Length, which the
 * body decides), and blanks that stop curl adding its own. */
static lat_status build_headers(const lat_wasi_http_xfer_t *x, struct curl_slist **out) {
  struct curl_slist *l = NULL;
  lat_buf_t line;
  lat_buf_init(&line);
  lat_status st = LAT_OK;
  if (x->nheaders > XFER_MAX_HEADERS) {
    st = LAT_ELIMIT;
    goto out;
  }
  for (size_t i = 0; i < x->nheaders && !st; i++) {
    const lat_wasi_http_header_t *hd = &x->headers[i];
    if (hd->name_len == 14 && !strncasecmp(hd->name, "content-length", 14)) continue;
    line.len = 0;
    /* "Name;" is curl's spelling of a header with an empty value */
    if (lat_buf_append(&line, hd->name, hd->name_len) ||
        (hd->value_len ? lat_buf_append(&line, ": ", 2) ||
                             lat_buf_append(&line, hd->value, hd->value_len)
                       : lat_buf_push(&line, ';')) ||
        lat_buf_push(&line, 0)) {
      st = LAT_ENOMEM;
      break;
    }
    struct curl_slist *nl = curl_slist_append(l, (const char *)line.data);
    if (!nl) st = LAT_ENOMEM;
    else l = nl;
  }
  static const char *const blanks[][2] = {{"content-type", "Content-Type:"},
                                          {"expect", "Expect:"}};
  for (size_t i = 0; i < 2 && !st; i++) {
    if (has_header(x, blanks[i][0])) continue;
    struct curl_slist *nl = curl_slist_append(l, blanks[i][1]);
    if (!nl) st = LAT_ENOMEM;
    else l = nl;
  }
out:
  lat_buf_fini(&line);
  if (st) {
    curl_slist_free_all(l);
    l = NULL;
  }
  *out = l;
  return st;
}

static void map_error(lat_wasi_http_xfer_t *x, CURL *e, CURLcode rc, const xstate_t *xs) {
  curl_off_t connect_us = 0;
  curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connect_us);
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: set_error(x, HEC_DNS_ERROR, NULL); break;
    case CURLE_COULDNT_CONNECT: set_error(x, HEC_CONNECTION_REFUSED, NULL); break;
    case CURLE_OPERATION_TIMEDOUT:
      x->timed_out = true;
      set_error(x, connect_us == 0     ? HEC_CONNECTION_TIMEOUT
                   : !xs->got_bytes    ? HEC_RESPONSE_TIMEOUT
                                       : HEC_CONNECTION_READ_TIMEOUT,
                NULL);
      break;
    case CURLE_FILESIZE_EXCEEDED:
      x->error_arg = x->max_body;
      set_error(x, HEC_RESPONSE_BODY_SIZE, NULL);
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      set_error(x, HEC_TLS_CERTIFICATE_ERROR, NULL);
      break;
    case CURLE_SSL_CONNECT_ERROR: set_error(x, HEC_TLS_PROTOCOL_ERROR, NULL); break;
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: set_error(x, HEC_RESPONSE_INCOMPLETE, NULL); break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: set_error(x, HEC_CONNECTION_TERMINATED, NULL); break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL: set_error(x, HEC_PROTOCOL_ERROR, NULL); break;
    case CURLE_URL_MALFORMAT: set_error(x, HEC_REQUEST_URI_INVALID, NULL); break;
    default: set_error(x, HEC_INTERNAL_ERROR, curl_easy_strerror(rc)); break;
  }
}

lat_status lat_wasi_http_xfer_run(lat_wasi_http_xfer_t *x) {
  lat__http_client_init();
  x->status = 0;
  x->error = -1;
  x->error_arg = 0;
  x->timed_out = false;
  x->detail[0] = 0;
  if (!cu.ok) {
    lat_buf_init(&x->resp_body);
    set_error(x, HEC_INTERNAL_ERROR, "the HTTP client library (libcurl.so.4) cannot be loaded");
    return LAT_OK;
  }
  lat_buf_init(&x->resp_body);
  xstate_t xs = {.x = x, .start_ns = lat_now_ns()};
  xs.last_ns = xs.start_ns;
  struct curl_slist *hl = NULL;
  lat_status st = build_headers(x, &hl);
  if (st == LAT_ELIMIT) {
    set_error(x, HEC_INTERNAL_ERROR, "too many request headers");
    return LAT_OK;
  }
  if (st) return st;
  CURL *e = curl_easy_init();
  if (!e) {
    curl_slist_free_all(hl);
    return LAT_ENOMEM;
  }
  curl_easy_setopt(e, CURLOPT_URL, x->url);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms_of(x->total_ns));
  if (x->connect_ns) curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms_of(x->connect_ns));
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &xs);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &xs);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, &xs);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  if (!strcmp(x->method, "HEAD")) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (x->body) {
    /* curl sends POSTFIELDS with a Content-Length, for any method */
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body_len ? (const char *)x->body : "");
    if (strcmp(x->method, "POST")) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
  } else if (strcmp(x->method, "GET")) {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
  }
  CURLcode rc = curl_easy_perform(e);
  if (xs.oom) {
    st = LAT_ENOMEM;
  } else if (rc == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    if (code < 100 || code > 999) set_error(x, HEC_PROTOCOL_ERROR, NULL);
    else x->status = (uint16_t)code;
  } else if (xs.abort_error) {
    set_error(x, xs.abort_error, NULL);
  } else {
    map_error(x, e, rc, &xs);
  }
  curl_easy_cleanup(e);
  curl_slist_free_all(hl);
  if (st || x->error >= 0) lat_buf_fini(&x->resp_body);
  return st;
}
