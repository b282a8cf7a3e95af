#!/usr/bin/env python3
"""Raw-socket probes for tests/component/serve.sh: what curl cannot send or
measure.  Each subcommand prints one line the suite checks; every socket
operation has a timeout, so nothing here can hang the suite.

  raw.py status PORT HEX          send the bytes (hex), print the first status
                                  line received (or "closed" / "timeout")
  raw.py first PORT HEX           the same, but print every status line of the
                                  first 2 s (a 100 Continue shows up first)
  raw.py slowloris PORT SECS      send a request head one byte every 0.5 s for
                                  up to SECS: "answered STATUS after N bytes"
                                  or "closed after N bytes" or "never"
  raw.py keepalive PORT           six keep-alive connections answer a
                                  request each, then a slow request
                                  (/spin?ms=1500) arrives on a seventh, then
                                  3 more requests on each of the six (some
                                  share the slow one's I/O thread): "ok" when
                                  all 18 are answered before the slow one
  raw.py noread PORT N MB PID     N connections ask /big?mb=MB and read
                                  nothing; after 4 s prints "rss KIB" of PID;
                                  then closes them
  raw.py idle PORT N              open N connections, send nothing, then one
                                  more with a request: its status line
"""
import socket
import sys
import time


def conn(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def status_line(data):
    line = data.split(b"\r\n", 1)[0]
    return line.decode("latin-1")


def read_response(s, deadline):
    """Reads one response with a Content-Length body; returns (status, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.01, deadline - time.time()))
        d = s.recv(65536)
        if not d:
            raise EOFError("closed")
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = 0
    for l in head.split(b"\r\n")[1:]:
        k, _, v = l.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v.strip())
    while len(rest) < n:
        s.settimeout(max(0.01, deadline - time.time()))
        d = s.recv(65536)
        if not d:
            raise EOFError("closed")
        rest += d
    return status_line(head), rest[:n]


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd in ("status", "first"):
        s = conn(port)
        s.sendall(bytes.fromhex(sys.argv[3]))
        got = b""
        end = time.time() + (2 if cmd == "first" else 10)
        try:
            while time.time() < end:
                s.settimeout(max(0.01, end - time.time()))
                d = s.recv(65536)
                if not d:
                    break
                got += d
                if cmd == "status" and b"\r\n" in got:
                    break
        except socket.timeout:
            pass
        if not got:
            print("closed" if time.time() < end else "timeout")
        elif cmd == "status":
            print(status_line(got))
        else:
            print(" | ".join(l.decode("latin-1") for l in got.split(b"\r\n") if l.startswith(b"HTTP/")))
    elif cmd == "slowloris":
        secs = float(sys.argv[3])
        s = conn(port)
        head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
        end = time.time() + secs
        for i, b in enumerate(head):
            if time.time() > end:
                break
            try:
                s.sendall(bytes([b]))
            except OSError:
                print("closed after %d bytes" % i)
                return
            s.settimeout(0.5)
            try:
                d = s.recv(4096)
                print(("answered %s after %d bytes" % (status_line(d).split(" ")[1], i + 1)) if d
                      else "closed after %d bytes" % (i + 1))
                return
            except socket.timeout:
                pass
            except OSError:
                print("closed after %d bytes" % (i + 1))
                return
        print("never")
    elif cmd == "keepalive":
        deadline = time.time() + 20
        ka = [conn(port) for _ in range(6)]
        for k, s in enumerate(ka):  # each connection settles on its I/O thread
            s.sendall(b"GET /ka/%d HTTP/1.1\r\nHost: x\r\n\r\n" % k)
            read_response(s, deadline)
        slow = conn(port)
        slow.sendall(b"GET /spin?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        answered = 0
        for i in range(3):
            for k, s in enumerate(ka):
                s.sendall(b"GET /ka/%d/%d HTTP/1.1\r\nHost: x\r\n\r\n" % (k, i))
                st, body = read_response(s, deadline)
                if " 200 " not in st + " ":
                    print("keep-alive request got: " + st)
                    return
                answered += 1
        slow.setblocking(False)
        try:
            early = slow.recv(100)
        except BlockingIOError:
            early = b""
        if early:
            print("the slow request was answered first: the keep-alive ones waited")
        else:
            st, _ = read_response(slow, deadline)
            print("ok" if " 200 " in st + " " else "slow request: " + st)
    elif cmd == "noread":
        n, mb, pid = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        socks = []
        for i in range(n):
            s = conn(port)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /big?mb=%d HTTP/1.1\r\nHost: x\r\n\r\n" % mb)
            socks.append(s)
        time.sleep(4)
        rss = 0
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    rss = int(l.split()[1])
        print("rss %d" % rss)
        for s in socks:
            s.close()
    elif cmd == "idle":
        n = int(sys.argv[3])
        socks = [conn(port) for _ in range(n)]
        time.sleep(0.3)
        s = conn(port)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        try:
            d = s.recv(4096)
            print(status_line(d) if d else "closed")
        except OSError as e:
            print("error " + str(e))
        for x in socks:
            x.close()
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
