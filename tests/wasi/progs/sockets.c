/* sock_accept, sock_recv, sock_send, sock_shutdown on the listening socket
 * the driver grants with --tcplisten (fd 3); the driver's client sends
 * "ping" and expects "pong:ping". */
#include <sys/socket.h>
#include <unistd.h>
#include "t.h"
int main(void) {
  __wasi_fdstat_t fs;
  T("listener is a socket", __wasi_fd_fdstat_get(3, &fs) == 0 &&
                                fs.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
  /* wait for the client with poll_oneoff on the listener */
  __wasi_subscription_t s = {.userdata = 7, .u.tag = __WASI_EVENTTYPE_FD_READ};
  s.u.u.fd_read.file_descriptor = 3;
  __wasi_event_t ev;
  __wasi_size_t n;
  T("poll listener", __wasi_poll_oneoff(&s, &ev, 1, &n) == 0 && n == 1 && ev.error == 0);
  __wasi_fd_t c;
  T("sock_accept", __wasi_sock_accept(3, 0, &c) == 0);
  E("sock_accept bad flags", __wasi_sock_accept(3, 1, &c), __WASI_ERRNO_INVAL);
  char buf[64] = {0};
  __wasi_iovec_t iov = {(uint8_t *)buf, 4};
  __wasi_size_t got;
  __wasi_roflags_t ro;
  T("sock_recv peek", __wasi_sock_recv(c, &iov, 1, __WASI_RIFLAGS_RECV_PEEK, &got, &ro) == 0 && got >= 1);
  T("sock_recv waitall", __wasi_sock_recv(c, &iov, 1, __WASI_RIFLAGS_RECV_WAITALL, &got, &ro) == 0 &&
                             got == 4 && !memcmp(buf, "ping", 4));
  char reply[] = "pong:ping";
  __wasi_ciovec_t out[2] = {{(const uint8_t *)reply, 5}, {(const uint8_t *)reply + 5, 4}};
  __wasi_size_t sent;
  T("sock_send", __wasi_sock_send(c, out, 2, 0, &sent) == 0 && sent == 9);
  T("libc send", send(c, "\n", 1, 0) == 1);
  T("sock_shutdown wr", __wasi_sock_shutdown(c, __WASI_SDFLAGS_WR) == 0);
  E("sock_shutdown bad how", __wasi_sock_shutdown(c, 0), __WASI_ERRNO_INVAL);
  T("recv eof after client closes", recv(c, buf, sizeof buf, 0) == 0);
  E("sock_send on a file", __wasi_sock_send(1, out, 1, 0, &sent), __WASI_ERRNO_NOTSOCK);
  E("sock_shutdown on a file", __wasi_sock_shutdown(1, __WASI_SDFLAGS_RD), __WASI_ERRNO_NOTSOCK);
  E("sock_shutdown on stdin", __wasi_sock_shutdown(0, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
  E("sock_shutdown bad fd", __wasi_sock_shutdown(99, __WASI_SDFLAGS_RD), __WASI_ERRNO_BADF);
  T("close", close(c) == 0);
  return finish();
}
