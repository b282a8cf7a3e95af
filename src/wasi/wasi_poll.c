/* wasi_poll.c: poll_oneoff, the preview-1 socket calls, and the waits that
 * respect the store's deadline.
 *
 * poll_oneoff maps onto one ppoll(2): fd subscriptions become pollfds,
 * clock subscriptions become its timeout (the earliest one; absolute
 * realtime deadlines are converted to a monotonic distance when the call
 * starts).  Regular files are always ready, as POSIX poll says, and are
 * answered without asking the kernel.  After ppoll returns we report every
 * ready fd, and every clock that has expired; a subscription that is bad on
 * its own (unknown fd, missing right, CPU-time clock) is reported as an
 * event with its error rather than failing the whole call, as the
 * specification asks.
 *
 * Deadline: the guest's --timeout must bound wall time even while the guest
 * sleeps in the host.  Every wait is cut at the context's deadline, and a
 * wait that reaches it traps with LAT_TRAP_DEADLINE, exactly as if the
 * interpreter had seen the deadline at a back-edge.
 *
 * Sockets: preview 1 cannot create sockets, only use granted ones.  A
 * listening socket granted with --tcplisten can accept; accepted streams can
 * recv, send and shutdown, and are pollable like any fd.  SIGPIPE is never
 * raised (MSG_NOSIGNAL): a closed peer is EPIPE for the guest, not the death
 * of the host. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_int.h"

static uint64_t now_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

lat_status lat__p1_deadline_trap(lat_wasm_caller_t *c) {
  return lat_wasm_caller_trap(c, LAT_TRAP_DEADLINE, 0, NULL);
}

/* ppoll until `until` (monotonic ns; UINT64_MAX = forever).  Returns the
 * ppoll result (0 on timeout); EINTR is retried. */
static int poll_until(struct pollfd *p, nfds_t n, uint64_t until) {
  for (;;) {
    struct timespec ts, *tp = NULL;
    if (until != UINT64_MAX) {
      uint64_t now = lat_now_ns();
      uint64_t d = until > now ? until - now : 0;
      ts.tv_sec = (time_t)(d / 1000000000ull);
      ts.tv_nsec = (long)(d % 1000000000ull);
      tp = &ts;
    }
    int r = ppoll(p, n, tp, NULL);
    if (r >= 0 || errno != EINTR) return r;
  }
}

bool lat__p1_wait_readable(lat_wasi_t *w, int h) {
  struct pollfd p = {.fd = h, .events = POLLIN};
  uint64_t until = w->deadline_ns ? w->deadline_ns : UINT64_MAX;
  int r = poll_until(&p, 1, until);
  return r != 0; /* ready, hung up, or an error the read will report */
}

/* ---- poll_oneoff ------------------------------------------------------------ */

#define SUB_SIZE 48u
#define EVENT_SIZE 32u

typedef struct {
  uint64_t userdata;
  uint8_t type;      /* P1_EV_* */
  uint16_t error;    /* set: reported at once with this error */
  int pidx;          /* index in the pollfd array, or -1 */
  bool always_ready; /* regular file */
  uint64_t nbytes;   /* for always_ready reads */
  uint64_t until;    /* clocks: monotonic deadline */
} sub_t;

static void put_event(uint8_t *p, const sub_t *s, uint16_t error,
                      uint64_t nbytes, uint16_t flags) {
  memset(p, 0, EVENT_SIZE);
  p1_st64(p, s->userdata);
  p1_st16(p + 8, error);
  p[10] = s->type;
  if (s->type != P1_EV_CLOCK) {
    p1_st64(p + 16, nbytes);
    p1_st16(p + 24, flags);
  }
}

lat_status lat__p1_poll_oneoff(lat_wasi_t *w, lat_wasm_caller_t *c,
                               uint64_t *slots) {
  uint64_t in = slots[0], out = slots[1], n = slots[2], nout = slots[3];
  if (n == 0 || n > P1_MAX_SUBS) P1_RET(P1_EINVAL);
  lat_wasm_memory_t *m = p1_mem(c);
  if (!p1_range(m, in, n * SUB_SIZE) || !p1_range(m, out, n * EVENT_SIZE) ||
      !p1_range(m, nout, 4))
    P1_RET(P1_EFAULT);
  sub_t *subs = lat_calloc(n, sizeof *subs);
  struct pollfd *pfds = lat_calloc(n, sizeof *pfds);
  if (!subs || !pfds) {
    lat_free(subs);
    lat_free(pfds);
    P1_RET(P1_ENOMEM);
  }
  uint64_t start = lat_now_ns(), earliest = UINT64_MAX;
  nfds_t np = 0;
  bool immediate = false;
  const uint8_t *sp = p1_range(m, in, n * SUB_SIZE);
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *s = sp + i * SUB_SIZE;
    sub_t *u = &subs[i];
    u->userdata = p1_ld64(s);
    u->type = s[8];
    u->pidx = -1;
    if (u->type == P1_EV_CLOCK) {
      uint32_t id = p1_ld32(s + 16);
      uint64_t timeout = p1_ld64(s + 24);
      uint16_t fl = p1_ld16(s + 40);
      if (id == P1_CLOCK_MONOTONIC || id == P1_CLOCK_REALTIME) {
        uint64_t d = timeout;
        if (fl & P1_SUBCLOCK_ABSTIME) {
          uint64_t now = now_ns(id == P1_CLOCK_MONOTONIC ? CLOCK_MONOTONIC
                                                         : CLOCK_REALTIME);
          d = timeout > now ? timeout - now : 0;
        }
        u->until = start + d < start ? UINT64_MAX : start + d;
        if (u->until < earliest) earliest = u->until;
      } else {
        u->error = P1_ENOTSUP; /* CPU-time clocks cannot be waited on */
        immediate = true;
      }
    } else if (u->type == P1_EV_FD_READ || u->type == P1_EV_FD_WRITE) {
      lat__p1_fd_t *f;
      uint16_t e = lat__p1_fd_lookup(w, p1_ld32(s + 16), R_POLL_FD_READWRITE, &f);
      if (e) {
        u->error = e;
        immediate = true;
      } else if (f->type == P1_FT_FILE) {
        u->always_ready = true;
        immediate = true;
        if (u->type == P1_EV_FD_READ) {
          struct stat st;
          off_t pos = lseek(f->host, 0, SEEK_CUR);
          if (fstat(f->host, &st) == 0 && pos >= 0 && st.st_size > pos)
            u->nbytes = (uint64_t)(st.st_size - pos);
        }
      } else {
        u->pidx = (int)np;
        pfds[np].fd = f->host;
        pfds[np].events = u->type == P1_EV_FD_READ ? POLLIN : POLLOUT;
        np++;
      }
    } else {
      u->error = P1_EINVAL;
      immediate = true;
    }
  }
  /* wait */
  uint64_t until = immediate ? 0 : earliest;
  bool deadline_hit = false;
  if (w->deadline_ns && until > w->deadline_ns) {
    until = w->deadline_ns;
    deadline_hit = true;
  }
  int r;
  if (np) {
    r = poll_until(pfds, np, until);
  } else {
    struct timespec ts = {(time_t)(until / 1000000000ull),
                          (long)(until % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
      ;
    r = 0;
  }
  if (r < 0) {
    int saved = errno;
    lat_free(subs);
    lat_free(pfds);
    P1_RET(lat__p1_errno(saved));
  }
  uint64_t now = lat_now_ns();
  if (deadline_hit && r == 0 && now >= w->deadline_ns) {
    lat_free(subs);
    lat_free(pfds);
    return lat__p1_deadline_trap(c);
  }
  /* report: pointers formed after the wait */
  uint8_t *ep = p1_range(p1_mem(c), out, n * EVENT_SIZE);
  if (!ep) {
    lat_free(subs);
    lat_free(pfds);
    P1_RET(P1_EFAULT);
  }
  uint32_t nev = 0;
  for (uint64_t i = 0; i < n; i++) {
    sub_t *u = &subs[i];
    uint8_t *e = ep + (uint64_t)nev * EVENT_SIZE;
    if (u->error) {
      put_event(e, u, u->error, 0, 0);
      nev++;
    } else if (u->type == P1_EV_CLOCK) {
      if (u->until <= now) {
        put_event(e, u, 0, 0, 0);
        nev++;
      }
    } else if (u->always_ready) {
      put_event(e, u, 0, u->nbytes, 0);
      nev++;
    } else if (u->pidx >= 0 && pfds[u->pidx].revents) {
      short re = pfds[u->pidx].revents;
      uint16_t fl = (re & POLLHUP) ? P1_EVRW_HANGUP : 0;
      uint16_t err = (re & POLLNVAL) ? P1_EBADF : 0;
      int avail = 0;
      if (u->type == P1_EV_FD_READ && ioctl(pfds[u->pidx].fd, FIONREAD, &avail) != 0)
        avail = 0;
      put_event(e, u, err, (uint64_t)(avail > 0 ? avail : 0), fl);
      nev++;
    }
  }
  lat__p1_put32(c, nout, nev);
  lat_free(subs);
  lat_free(pfds);
  P1_RET(P1_ESUCCESS);
}

/* ---- sockets ----------------------------------------------------------------- */

/* A socket descriptor with the rights asked for.  The kind is checked
 * before the rights, as wasmtime does: a file or stdout lacks every sock_*
 * right, and the answer a program can act on is ENOTSOCK, not ENOTCAPABLE. */
static uint16_t sock_fd(lat_wasi_t *w, uint64_t fd, uint64_t rights,
                        lat__p1_fd_t **out) {
  lat__p1_fd_t *f = lat__p1_fd_get(w, fd);
  if (!f) return P1_EBADF;
  if (f->type != P1_FT_STREAM && f->type != P1_FT_DGRAM) return P1_ENOTSOCK;
  return lat__p1_fd_lookup(w, fd, rights, out);
}

lat_status lat__p1_sock_accept(lat_wasi_t *w, lat_wasm_caller_t *c,
                               uint64_t *slots) {
  lat__p1_fd_t *f;
  uint16_t e = sock_fd(w, slots[0], R_SOCK_ACCEPT, &f);
  if (e) P1_RET(e);
  if (slots[1] & ~(uint64_t)P1_FDFL_NONBLOCK) P1_RET(P1_EINVAL);
  if (!p1_range(p1_mem(c), slots[2], 4)) P1_RET(P1_EFAULT);
  int fl = SOCK_CLOEXEC | ((slots[1] & P1_FDFL_NONBLOCK) ? SOCK_NONBLOCK : 0);
  int listen_nonblock = fcntl(f->host, F_GETFL) & O_NONBLOCK;
  if (w->deadline_ns && !listen_nonblock && !lat__p1_wait_readable(w, f->host))
    return lat__p1_deadline_trap(c);
  int h;
  do {
    h = accept4(f->host, NULL, NULL, fl);
  } while (h < 0 && errno == EINTR);
  if (h < 0) P1_RET(lat__p1_errno(errno));
  uint32_t nfd;
  if ((e = lat__p1_fd_insert(w, h, P1_FT_STREAM, R_SOCK & ~R_SOCK_ACCEPT,
                             R_SOCK & ~R_SOCK_ACCEPT, false, &nfd)))
    P1_RET(e);
  lat__p1_put32(c, slots[2], nfd);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_sock_recv(lat_wasi_t *w, lat_wasm_caller_t *c,
                             uint64_t *slots) {
  lat__p1_fd_t *f;
  uint16_t e = sock_fd(w, slots[0], R_FD_READ, &f);
  if (e) P1_RET(e);
  uint64_t riflags = slots[3];
  if (riflags & ~(uint64_t)(P1_RI_PEEK | P1_RI_WAITALL)) P1_RET(P1_EINVAL);
  if (!p1_range(p1_mem(c), slots[4], 4) || !p1_range(p1_mem(c), slots[5], 2))
    P1_RET(P1_EFAULT);
  int nonblock = fcntl(f->host, F_GETFL) & O_NONBLOCK;
  if (w->deadline_ns && !nonblock && !lat__p1_wait_readable(w, f->host))
    return lat__p1_deadline_trap(c);
  struct iovec local[LAT__P1_STACK_IOVS], *v;
  if ((e = lat__p1_get_iovs(c, slots[1], slots[2], local, &v))) P1_RET(e);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = v;
  msg.msg_iovlen = slots[2];
  int fl = ((riflags & P1_RI_PEEK) ? MSG_PEEK : 0) |
           ((riflags & P1_RI_WAITALL) ? MSG_WAITALL : 0);
  ssize_t r;
  do {
    r = recvmsg(f->host, &msg, fl);
  } while (r < 0 && errno == EINTR);
  int saved = errno;
  if (v != local) lat_free(v);
  if (r < 0) P1_RET(lat__p1_errno(saved));
  lat__p1_put32(c, slots[4], (uint32_t)r);
  uint8_t *p = p1_range(p1_mem(c), slots[5], 2);
  p1_st16(p, (msg.msg_flags & MSG_TRUNC) ? P1_RO_TRUNCATED : 0);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_sock_send(lat_wasi_t *w, lat_wasm_caller_t *c,
                             uint64_t *slots) {
  lat__p1_fd_t *f;
  uint16_t e = sock_fd(w, slots[0], R_FD_WRITE, &f);
  if (e) P1_RET(e);
  if (slots[3]) P1_RET(P1_EINVAL); /* no send flags exist */
  if (!p1_range(p1_mem(c), slots[4], 4)) P1_RET(P1_EFAULT);
  struct iovec local[LAT__P1_STACK_IOVS], *v;
  if ((e = lat__p1_get_iovs(c, slots[1], slots[2], local, &v))) P1_RET(e);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = v;
  msg.msg_iovlen = slots[2];
  ssize_t r;
  do {
    r = sendmsg(f->host, &msg, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  int saved = errno;
  if (v != local) lat_free(v);
  if (r < 0) P1_RET(lat__p1_errno(saved));
  lat__p1_put32(c, slots[4], (uint32_t)r);
  P1_RET(P1_ESUCCESS);
}

lat_status lat__p1_sock_shutdown(lat_wasi_t *w, lat_wasm_caller_t *c,
                                 uint64_t *slots) {
  (void)c;
  lat__p1_fd_t *f;
  uint16_t e = sock_fd(w, slots[0], R_SOCK_SHUTDOWN, &f);
  if (e) P1_RET(e);
  int how;
  switch (slots[1]) {
    case P1_SD_RD: how = SHUT_RD; break;
    case P1_SD_WR: how = SHUT_WR; break;
    case P1_SD_RD | P1_SD_WR: how = SHUT_RDWR; break;
    default: P1_RET(P1_EINVAL);
  }
  if (shutdown(f->host, how) != 0) P1_RET(lat__p1_errno(errno));
  P1_RET(P1_ESUCCESS);
}

lat_status lat_wasi_preopen_tcp_listener(lat_wasi_t *w, const char *addr,
                                         lat_error_t *err) {
  char host[256];
  const char *colon = strrchr(addr, ':');
  if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host)
    return lat_error_set(err, LAT_EARG, SIZE_MAX,
                         "bad listen address '%s' (want HOST:PORT)", addr);
  size_t hl = (size_t)(colon - addr);
  if (addr[0] == '[' && hl >= 2 && addr[hl - 1] == ']') {
    memcpy(host, addr + 1, hl - 2);
    host[hl - 2] = '\0';
  } else {
    memcpy(host, addr, hl);
    host[hl] = '\0';
  }
  struct addrinfo hints, *ai = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int gr = getaddrinfo(host, colon + 1, &hints, &ai);
  if (gr != 0)
    return lat_error_set(err, LAT_EARG, SIZE_MAX, "bad listen address '%s': %s",
                         addr, gai_strerror(gr));
  int h = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (h < 0 || setsockopt(h, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
      bind(h, ai->ai_addr, ai->ai_addrlen) || listen(h, 128)) {
    int e = errno;
    if (h >= 0) close(h);
    freeaddrinfo(ai);
    return lat_error_set(err, LAT_EIO, SIZE_MAX, "cannot listen on %s: %s",
                         addr, strerror(e));
  }
  freeaddrinfo(ai);
  uint32_t fd;
  if (lat__p1_fd_insert(w, h, P1_FT_STREAM, R_SOCK, R_SOCK & ~R_SOCK_ACCEPT,
                        false, &fd))
    return lat_error_set(err, LAT_ELIMIT, SIZE_MAX, "too many open files");
  w->last_fd = (int)fd;
  return LAT_OK;
}
