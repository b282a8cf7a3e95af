#!/usr/bin/env python3
"""src/http suite: build/debug/http_echo_server probed with raw bytes.

Each numbered point of the lattice serve probe is a group of counted checks
(raw sockets, because curl cannot send most of these bytes): the expected
status and that the server closed the connection (EOF) where it must.

  1  looping handlers do not stop the server (2 I/O threads, 2 /loop)
  2  smuggling: CL+TE, two Content-Lengths, "Transfer-Encoding :"
  3  16 idle keep-alive clients are answered while a /slow one waits;
     pipelined requests are answered in order
  4  a header dribbled byte by byte is closed at the header deadline; the
     body and keep-alive deadlines; a 4300-connection flood from 127.0.0.1
     over the per-IP cap while 127.0.0.2 is still served; the total cap
  5  Transfer-Encoding: gzip, chunked -> 501
  6  Content-Length: 1 GiB -> 413 at once, with Expect: no 100 Continue
  7  20 clients not reading /big?mb=32: the server's VmRSS stays bounded
  8  lenient bytes: bad methods, NUL, bare CR, folding, Host rules,
     GET *, 300 headers -> 431
  9  request bytes are escaped in the log; final statuses 100/101/600 are
     refused by the API (the test server maps them to 500)
  +  chunked and 100-continue uploads, HTTP/1.0, HEAD, IPv6, SIGTERM with a
     /loop in flight exits within the grace period, no sanitizer report

Every wait is bounded; each server is stopped by its PID even when a check
fails.  Ends with `http: N passed, N failed`; exit status 1 on a failure.
Env: HTTP_ECHO_SERVER (default build/debug/http_echo_server).
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = os.environ.get("HTTP_ECHO_SERVER", os.path.join(ROOT, "build/debug/http_echo_server"))
TMP = tempfile.mkdtemp(prefix="lattice-http.")
npass = 0
nfail = 0
servers = []


def check(name, ok, detail=""):
    global npass, nfail
    if ok:
        npass += 1
        print("http: ok   %s" % name)
    else:
        nfail += 1
        print("http: FAIL %s: %s" % (name, detail))
    return ok


class Server:
    def __init__(self, *args, host="127.0.0.1"):
        self.log = os.path.join(TMP, "server%d.log" % len(servers))
        self.errf = open(self.log, "wb")
        addr = "[%s]:0" % host if ":" in host else "%s:0" % host
        # a small ASan quarantine, so VmRSS shows the server's memory rather
        # than freed blocks ASan holds back
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16").lstrip(":")
        self.p = subprocess.Popen([SERVER, "--addr", addr] + list(args),
                                  stdout=subprocess.PIPE, stderr=self.errf, env=env)
        servers.append(self)
        self.host = host
        self.port = None
        line = b""
        end = time.time() + 30
        os.set_blocking(self.p.stdout.fileno(), False)
        while time.time() < end and self.p.poll() is None:
            chunk = self.p.stdout.read()
            if chunk:
                line += chunk
                m = re.search(rb":(\d+)\n", line)
                if m:
                    self.port = int(m.group(1))
                    break
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("server did not start: " + self.logtext())

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode("latin-1")

    def rss_kib(self):
        with open("/proc/%d/status" % self.p.pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    return int(l.split()[1])
        return -1

    def stop(self, timeout=20):
        """SIGTERM; returns (exit code or None if it had to be killed, seconds)."""
        if self.p.poll() is not None:
            return self.p.returncode, 0.0
        t0 = time.time()
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(10)
            rc = None
        self.errf.close()
        return rc, time.time() - t0

    def conn(self, src=None, timeout=10):
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if src:
            s.bind((src, 0))
        s.connect((self.host, self.port))
        _left.pop(id(s), None)
        return s


def read_until_close(s, timeout=10, limit=1 << 20):
    """Reads until EOF; returns (data, closed)."""
    data = b""
    end = time.time() + timeout
    while time.time() < end and len(data) < limit:
        s.settimeout(max(0.05, end - time.time()))
        try:
            b = s.recv(65536)
        except socket.timeout:
            return data, False
        except (ConnectionResetError, BrokenPipeError):
            return data, True
        if not b:
            return data, True
        data += b
    return data, False


_left = {}  # bytes read past the previous response, by socket


def read_response(s, timeout=10):
    """Reads one response (Content-Length or chunked framed); bytes past it
    are kept for the next call.  Returns (status, headers dict, body) or
    (None, {}, raw) on timeout/EOF."""
    buf = _left.pop(id(s), b"")
    end = time.time() + timeout
    def more():
        nonlocal buf
        s.settimeout(max(0.05, end - time.time()))
        b = s.recv(65536)
        if not b:
            raise EOFError
        buf += b
    try:
        while b"\r\n\r\n" not in buf:
            more()
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            hdrs[k.strip().lower().decode()] = v.strip().decode("latin-1")
        if status < 200:
            _left[id(s)] = rest
            return status, hdrs, b""
        if "content-length" in hdrs:
            n = int(hdrs["content-length"])
            buf = rest
            while len(buf) < n:
                more()
            _left[id(s)] = buf[n:]
            return status, hdrs, buf[:n]
        if hdrs.get("transfer-encoding") == "chunked":
            buf = rest
            body = b""
            while True:
                while b"\r\n" not in buf:
                    more()
                line, _, buf = buf.partition(b"\r\n")
                n = int(line, 16)
                while len(buf) < n + 2:
                    more()
                body += buf[:n]
                buf = buf[n + 2:]
                if n == 0:
                    _left[id(s)] = buf
                    return status, hdrs, body
        return status, hdrs, rest
    except (socket.timeout, EOFError, ConnectionResetError, ValueError, IndexError):
        return None, {}, buf


def status_line(data):
    m = re.match(rb"HTTP/1\.1 (\d{3})", data)
    return int(m.group(1)) if m else None


def reject(srv, name, raw, want):
    """Sends raw bytes; checks one response with status `want`, Connection:
    close, and EOF from the server."""
    try:
        s = srv.conn()
        s.sendall(raw)
        data, closed = read_until_close(s, 10)
        s.close()
    except OSError as e:
        return check(name, False, "socket error %s" % e)
    st = status_line(data)
    n = len(re.findall(rb"(?m)^HTTP/1\.1 ", data))
    ok = st == want and closed and n == 1 and b"connection: close" in data.lower()
    return check(name, ok, "got status %s, %d response(s), closed=%s: %r" % (st, n, closed, data[:120]))


def get(srv, path, src=None, timeout=10):
    s = srv.conn(src=src, timeout=timeout)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
    r = read_response(s, timeout)
    s.close()
    return r


def sanitizer_clean(srv, name):
    text = srv.logtext()
    return check(name + " (no sanitizer report)",
                 "Sanitizer" not in text and "runtime error:" not in text,
                 "\n".join(l for l in text.splitlines() if "Sanitizer" in l or "runtime error" in l)[:500])


def main():
    if not os.access(SERVER, os.X_OK):
        print("http: %s missing (make debug)" % SERVER)
        print("http: 0 passed, 1 failed")
        return 1

    # ---- the main server: 2 I/O threads, short deadlines for the test ----
    srv = Server("--threads", "2", "--header-timeout-ms", "2000", "--body-timeout-ms", "3000",
                 "--idle-timeout-ms", "3000", "--max-per-ip", "64", "--max-conns", "4096",
                 "--grace-ms", "2000")
    print("http: server on port %d (pid %d)" % (srv.port, srv.p.pid))
    st, h, body = get(srv, "/hello")
    check("hello", st == 200 and body == b"hello\n", "%s %r" % (st, body))

    # (1) two looping handlers on a 2-thread server
    loops = []
    for _ in range(2):
        s = srv.conn()
        s.sendall(b"GET /loop HTTP/1.1\r\nHost: t\r\n\r\n")
        loops.append(s)
    time.sleep(0.3)
    ok = all(get(srv, "/hello", timeout=5)[0] == 200 for _ in range(5))
    check("1 two /loop handlers: other requests still answered", ok)
    for s in loops:
        s.close()

    # (2) smuggling
    reject(srv, "2 CL + TE (the probe's bytes): one 400, closed",
           b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"0\r\n\r\nGET /status/299 HTTP/1.1\r\nHost: x\r\n\r\n", 400)
    reject(srv, "2 two different Content-Lengths: 400",
           b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400)
    reject(srv, "2 'Transfer-Encoding :' next to Content-Length: 400",
           b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400)

    # (3) keep-alive clients are not stalled by a slow request
    idle = [srv.conn() for _ in range(16)]
    for s in idle:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
    ok = all(read_response(s)[0] == 200 for s in idle)
    slow = srv.conn()
    slow.sendall(b"GET /slow?ms=4000 HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.2)
    for s in idle:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
    answered = sum(1 for s in idle if read_response(s, 3)[0] == 200)
    slow.setblocking(False)
    try:
        pending = slow.recv(100) == b"" and False
    except BlockingIOError:
        pending = True
    slow.setblocking(True)
    check("3 16 idle keep-alive clients answered while /slow is pending",
          ok and answered == 16 and pending, "first round %s, answered %d, slow pending %s" % (ok, answered, pending))
    st, h, body = read_response(slow, 10)
    check("3 /slow completed from a worker thread", st == 200 and body == b"slow 4000\n", "%s %r" % (st, body))
    for s in idle + [slow]:
        s.close()
    s = srv.conn()
    s.sendall(b"GET /status/201 HTTP/1.1\r\nHost: t\r\n\r\nGET /slow?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n"
              b"GET /status/202 HTTP/1.1\r\nHost: t\r\n\r\n")
    order = [read_response(s)[0] for _ in range(3)]
    s.close()
    check("3 pipelined requests answered in order", order == [201, 200, 202], str(order))

    # (4) deadlines
    s = srv.conn()
    t0 = time.time()
    closed = False
    for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Dribble: 0123456789\r\n":
        try:
            s.sendall(bytes([b]))
        except OSError:
            closed = True
            break
        s.settimeout(1.0)
        try:
            d = s.recv(4096)
            if d == b"" or status_line(d) == 408:
                closed = True
                if d:
                    read_until_close(s, 3)
                break
        except socket.timeout:
            pass
        except OSError:
            closed = True
            break
    dt = time.time() - t0
    s.close()
    check("4 header dribbled 1 byte/s: closed at the 2 s header deadline", closed and dt < 6,
          "closed=%s after %.1f s" % (closed, dt))
    s = srv.conn()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
    data, closed = read_until_close(s, 10)
    s.close()
    check("4 body not sent in time: 408 and close", status_line(data) == 408 and closed,
          "%r closed=%s" % (data[:60], closed))
    s = srv.conn()
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    st = read_response(s)[0]
    data, closed = read_until_close(s, 10)
    s.close()
    check("4 idle keep-alive connection closed after the idle timeout", st == 200 and closed and data == b"",
          "%s %r closed=%s" % (st, data[:60], closed))

    # (4) a flood from 127.0.0.1 over the per-IP cap; 127.0.0.2 still served
    flood = []
    refused = 0
    try:
        for _ in range(4300):
            try:
                s = socket.socket()
                s.settimeout(5)
                s.connect(("127.0.0.1", srv.port))
                flood.append(s)
            except OSError:
                refused += 1
        time.sleep(0.5)
        st, h, body = get(srv, "/hello", src="127.0.0.2", timeout=5)
        check("4 4300-connection flood from 127.0.0.1: 127.0.0.2 still served", st == 200, str(st))
        closed503 = 0
        for s in flood[100:400]:
            d, c = read_until_close(s, 0.5)
            if c and status_line(d) == 503:
                closed503 += 1
        check("4 connections over the per-IP cap get 503 and are closed", closed503 == 300,
              "%d of 300 sampled" % closed503)
    finally:
        for s in flood:
            s.close()
    time.sleep(0.5)
    st = get(srv, "/hello", timeout=5)[0]
    check("4 after the flood 127.0.0.1 is served again", st == 200, str(st))

    # (5) transfer codings
    reject(srv, "5 Transfer-Encoding: gzip, chunked: 501",
           b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501)

    # (6) an oversized body is refused before it is read, without 100 Continue
    for name, extra in (("", b""), (" with Expect: 100-continue", b"Expect: 100-continue\r\n")):
        s = srv.conn()
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n" + extra + b"\r\n")
        data, closed = read_until_close(s, 5)
        s.close()
        check("6 Content-Length 1 GiB%s: 413 at once, closed" % name,
              status_line(data) == 413 and closed and b"100 Continue" not in data, "%r" % data[:80])

    # (7) 20 clients not reading 32 MiB each
    rss0 = srv.rss_kib()
    hogs = []
    for _ in range(20):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", srv.port))
        s.sendall(b"GET /big?mb=32 HTTP/1.1\r\nHost: t\r\n\r\n")
        hogs.append(s)
    time.sleep(3)
    rss = srv.rss_kib()
    check("7 20 clients not reading /big?mb=32: VmRSS stays < 200 MiB",
          0 < rss < 200 * 1024, "VmRSS %d KiB (before %d KiB)" % (rss, rss0))
    print("http: VmRSS before %d KiB, with 20 stalled 32 MiB responses %d KiB" % (rss0, rss))
    got = 0
    s = hogs[0]
    s.settimeout(30)
    end = time.time() + 60
    while time.time() < end:
        try:
            b = s.recv(1 << 20)
        except socket.timeout:
            break
        if not b:
            break
        got += len(b)
        if got >= (32 << 20) + 60:
            break
    check("7 a client that reads gets the whole 32 MiB", got >= 32 << 20, "%d bytes" % got)
    for s in hogs:
        s.close()
    time.sleep(0.5)
    check("7 the server still answers after the stalled clients left", get(srv, "/hello")[0] == 200)

    # (8) lenient parsing
    H = b"Host: x\r\n"
    cases = [
        ("method G(T", b"G(T / HTTP/1.1\r\n" + H + b"\r\n", 400),
        ("ESC bytes as a method", b"\x1b[31mGET / HTTP/1.1\r\n" + H + b"\r\n", 400),
        ("NUL in the path", b"GET /a\x00b HTTP/1.1\r\n" + H + b"\r\n", 400),
        ("NUL in a header value", b"GET / HTTP/1.1\r\n" + H + b"X: a\x00b\r\n\r\n", 400),
        ("bare CR in a header", b"GET / HTTP/1.1\r\n" + H + b"X: a\rb\r\n\r\n", 400),
        ("folded header", b"GET / HTTP/1.1\r\n" + H + b"X: a\r\n b\r\n\r\n", 400),
        ("two Host headers", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("no Host on HTTP/1.1", b"GET / HTTP/1.1\r\n\r\n", 400),
        ("GET *", b"GET * HTTP/1.1\r\n" + H + b"\r\n", 400),
        ("HTTP/2.0 request line", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505),
        ("300 headers", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(299)) + b"\r\n", 431),
    ]
    for name, raw, want in cases:
        reject(srv, "8 %s: %d" % (name, want), raw, want)
    st, h, body = get(srv, "/echo")
    check("8 OPTIONS * is still fine", True)
    s = srv.conn()
    s.sendall(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
    check("8 OPTIONS * reaches the handler", read_response(s)[0] == 404)
    s.close()

    # (9) logging and final statuses
    text = srv.logtext()
    check("9 request bytes in the log are escaped (no raw ESC)",
          "\x1b" not in text and "\\x1b[31mGET" in text, "log has raw ESC: %s" % ("\x1b" in text))
    for code, want in ((100, 500), (101, 500), (600, 500), (299, 299), (599, 599)):
        st = get(srv, "/status/%d" % code)[0]
        check("9 final status %d -> %d" % (code, want), st == want, str(st))

    # (+) bodies, versions, methods
    s = srv.conn()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
    st, h, body = read_response(s)
    s.close()
    check("+ chunked upload echoed", st == 200 and body.endswith(b"body-length=11\nhello world"), repr(body[-40:]))
    s = srv.conn()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    st1 = read_response(s)[0]
    s.sendall(b"abcde")
    st2, h, body = read_response(s)
    s.close()
    check("+ Expect: 100-continue gets 100, then the answer", st1 == 100 and st2 == 200 and body.endswith(b"abcde"),
          "%s %s" % (st1, st2))
    s = srv.conn()
    s.sendall(b"GET /hello HTTP/1.0\r\n\r\n")
    data, closed = read_until_close(s)
    s.close()
    check("+ HTTP/1.0 without keep-alive: answered and closed", status_line(data) == 200 and closed, repr(data[:60]))
    s = srv.conn()
    s.sendall(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /hello HTTP/1.0\r\n\r\n")
    a, b_ = read_response(s)[0], read_response(s)[0]
    s.close()
    check("+ HTTP/1.0 keep-alive when asked", a == 200 and b_ == 200, "%s %s" % (a, b_))
    s = srv.conn()
    s.sendall(b"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5)
    time.sleep(0.3)
    data = s.recv(4096)
    s.close()
    check("+ HEAD: Content-Length, no body, next request fine",
          data.count(b"HTTP/1.1 200") == 2 and data.count(b"hello\n") == 1, repr(data))
    sanitizer_clean(srv, "+ main server")

    # (+) SIGTERM with a /loop in flight: exits within the grace period
    s = srv.conn()
    s.sendall(b"GET /loop HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.3)
    rc, dt = srv.stop(20)
    data, closed = read_until_close(s, 2)
    s.close()
    check("+ SIGTERM with /loop in flight: exit 0 within the 2 s grace (+slack)", rc == 0 and dt < 6,
          "rc %s after %.1f s" % (rc, dt))
    check("+ the /loop connection was closed", closed)
    sanitizer_clean(srv, "+ after SIGTERM")

    # (4) the total connection cap
    cap = Server("--threads", "1", "--max-conns", "10", "--max-per-ip", "100")
    held = [cap.conn() for _ in range(10)]
    time.sleep(0.3)
    s = cap.conn()
    data, closed = read_until_close(s, 5)
    s.close()
    check("4 total connection cap (10): the 11th gets 503 and is closed", status_line(data) == 503 and closed,
          repr(data[:60]))
    for h_ in held:
        h_.close()
    time.sleep(0.3)
    check("4 a slot frees when a connection closes", get(cap, "/hello")[0] == 200)
    rc, _ = cap.stop()
    check("+ cap server exits 0", rc == 0, str(rc))

    # (+) IPv6
    try:
        v6 = Server("--threads", "1", host="::1")
        check("+ IPv6 [::1]:0 serves", get(v6, "/hello")[0] == 200)
        v6.stop()
    except (RuntimeError, OSError) as e:
        check("+ IPv6 [::1]:0 serves", False, str(e))
    return 0


try:
    main()
except Exception as e:  # a crash of the suite itself is a failure, not a hang
    import traceback
    traceback.print_exc()
    check("suite", False, repr(e))
finally:
    for sv in servers:
        if sv.p.poll() is None:
            sv.p.kill()
            sv.p.wait(10)
print("http: %d passed, %d failed" % (npass, nfail))
sys.exit(1 if nfail else 0)
