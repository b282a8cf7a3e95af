#!/usr/bin/env python3
"""A tiny NATS client over a raw socket, for tests: an independent peer that
sends exactly the bytes a test wants (malformed JSON, 1 MiB payloads,
unknown subjects) without going through Lattice's own client code.

  nats.py PORT req SUBJECT [--data TEXT | --size N] [--wait S] [--gather]
      publishes with a reply inbox; prints each reply payload on its own
      line (only the first unless --gather: then all that come within
      --wait seconds); prints NO REPLY and exits 1 when none came.
  nats.py PORT pub SUBJECT [--data TEXT | --size N] [--count N]
      publishes N messages (default 1) without a reply subject; waits for
      the server's PONG, so they are sent when it exits.
  nats.py PORT sub SUBJECT [--count N] [--wait S] [--ready FILE] [--headers]
      prints the payloads of up to N messages (default 1) that arrive within
      --wait seconds; touches FILE once subscribed.  --headers: each
      message's header lines (`Name: value`) first.
  nats.py PORT ping
      exits 0 when the server answers PONG.

Only the text protocol of the NATS docs: INFO, CONNECT, PING/PONG, SUB, PUB,
MSG.  Every wait is bounded.
"""
import os
import socket
import sys
import time


class Conn:
    def __init__(self, port, timeout=5.0, headers=False):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.headers = b""  # the header block of the last message (HMSG)
        self._line()  # INFO
        self.s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":%s}\r\nPING\r\n'
                       % (b"true" if headers else b"false"))
        while self._line() != b"PONG":
            pass

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.s.settimeout(left)
        data = self.s.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.buf += data

    def _line(self, deadline=None):
        deadline = deadline or time.monotonic() + 5
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def msg(self, deadline):
        """Next MSG payload before deadline (answers PINGs); None on timeout."""
        try:
            while True:
                line = self._line(deadline)
                if line == b"PING":
                    self.s.sendall(b"PONG\r\n")
                    continue
                if not line.startswith(b"MSG ") and not line.startswith(b"HMSG "):
                    if line.startswith(b"-ERR"):
                        sys.stderr.write(line.decode() + "\n")
                    continue
                n = int(line.split()[-1])
                h = int(line.split()[-2]) if line.startswith(b"HMSG ") else 0
                while len(self.buf) < n + 2:
                    self._fill(deadline)
                self.headers = self.buf[:h]
                payload, self.buf = self.buf[h:n], self.buf[n + 2:]
                return payload
        except (TimeoutError, socket.timeout):
            return None

    def sub(self, subject, sid):
        self.s.sendall(b"SUB %s %d\r\n" % (subject.encode(), sid))

    def pub(self, subject, reply, data):
        r = b" " + reply.encode() if reply else b""
        self.s.sendall(b"PUB %s%s %d\r\n%s\r\n" % (subject.encode(), r, len(data), data))

    def ping(self):
        self.s.sendall(b"PING\r\n")
        while self._line() != b"PONG":
            pass


def main(argv):
    port, cmd = int(argv[1]), argv[2]
    opts = {"--data": None, "--size": None, "--wait": "2", "--count": "1", "--ready": None}
    gather = "--gather" in argv
    headers = "--headers" in argv
    args = [a for a in argv[3:] if a not in ("--gather", "--headers")]
    pos = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            pos.append(args[i])
            i += 1
    wait = float(opts["--wait"])
    c = Conn(port, headers=headers)
    if cmd == "ping":
        c.ping()
        return 0
    if cmd == "sub":
        c.sub(pos[0], 1)
        c.ping()
        if opts["--ready"]:
            open(opts["--ready"], "w").close()
        deadline = time.monotonic() + wait
        got = 0
        while got < int(opts["--count"]):
            m = c.msg(deadline)
            if m is None:
                break
            if headers:
                for hl in c.headers.split(b"\r\n")[1:]:
                    if hl:
                        sys.stdout.write(hl.decode("utf-8", "replace") + "\n")
            sys.stdout.write(m.decode("utf-8", "replace") + "\n")
            sys.stdout.flush()
            got += 1
        return 0 if got else 1
    data = b""
    if opts["--data"] is not None:
        data = opts["--data"].encode()
    elif opts["--size"] is not None:
        data = b"x" * int(opts["--size"])
    if cmd == "pub":
        for _ in range(int(opts["--count"])):
            c.pub(pos[0], None, data)
        c.ping()
        return 0
    inbox = "_INBOX.test%d" % os.getpid()
    c.sub(inbox, 1)
    c.pub(pos[0], inbox, data)
    deadline = time.monotonic() + wait
    got = 0
    while True:
        m = c.msg(deadline)
        if m is None:
            break
        sys.stdout.write(m.decode("utf-8", "replace") + "\n")
        got += 1
        if not gather:
            break
    if not got:
        print("NO REPLY")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
