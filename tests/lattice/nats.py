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

Every command also takes --creds FILE (a NATS user JWT + seed: the nonce
is signed with Ed25519 from python3-cryptography) and --tls-ca FILE
[--tls-cert FILE --tls-key FILE] (TLS after the server's INFO, the server
verified as localhost).  When the server refuses a SUB (a permissions
violation before the PONG that follows it), `sub` prints the -ERR line on
stderr and exits 3.

Only the text protocol of the NATS docs: INFO, CONNECT, PING/PONG, SUB, PUB,
MSG.  Every wait is bounded.
"""
import base64
import json
import os
import re
import socket
import ssl
import sys
import time


def b32decode(s):
    return base64.b32decode(s + "=" * (-len(s) % 8))


def sign_nonce(creds, nonce):
    """(jwt, base64url signature of nonce) from a .creds file."""
    text = open(creds).read()
    jwt = re.search(r"BEGIN NATS USER JWT-+\s+(\S+)", text).group(1)
    seed = re.search(r"BEGIN USER NKEY SEED-+\s+(\S+)", text).group(1)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    raw = b32decode(seed)[2:34]  # 2 prefix bytes, 32-byte seed, 2 CRC bytes
    sig = Ed25519PrivateKey.from_private_bytes(raw).sign(nonce.encode())
    return jwt, base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


class Conn:
    def __init__(self, port, timeout=5.0, headers=False, creds=None, ca=None, cert=None, key=None):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.headers = b""  # the header block of the last message (HMSG)
        self.errors = []  # -ERR lines seen by ping()
        info = json.loads(self._line().split(b" ", 1)[1])
        if ca:
            ctx = ssl.create_default_context(cafile=ca)
            if cert:
                ctx.load_cert_chain(cert, key)
            self.s = ctx.wrap_socket(self.s, server_hostname="localhost")
        connect = {"verbose": False, "pedantic": False, "headers": headers,
                   "tls_required": bool(ca)}
        if creds:
            connect["jwt"], connect["sig"] = sign_nonce(creds, info.get("nonce", ""))
        self.s.sendall(b"CONNECT %s\r\nPING\r\n" % json.dumps(connect).encode())
        self.ping(sent=True)
        if self.errors:
            raise ConnectionError(self.errors[0])

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

    def ping(self, sent=False):
        if not sent:
            self.s.sendall(b"PING\r\n")
        while True:
            line = self._line()
            if line == b"PONG":
                return
            if line.startswith(b"-ERR"):
                self.errors.append(line.decode())


def main(argv):
    port, cmd = int(argv[1]), argv[2]
    opts = {"--data": None, "--size": None, "--wait": "2", "--count": "1", "--ready": None,
            "--creds": None, "--tls-ca": None, "--tls-cert": None, "--tls-key": None}
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
    try:
        c = Conn(port, headers=headers, creds=opts["--creds"], ca=opts["--tls-ca"],
                 cert=opts["--tls-cert"], key=opts["--tls-key"])
    except (ConnectionError, OSError) as e:
        sys.stderr.write("connect: %s\n" % e)
        return 2
    if cmd == "ping":
        c.ping()
        return 0
    if cmd == "sub":
        c.sub(pos[0], 1)
        c.ping()
        if c.errors:
            sys.stderr.write(c.errors[0] + "\n")
            return 3
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
