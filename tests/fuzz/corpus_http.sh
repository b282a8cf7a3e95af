#!/usr/bin/env bash
# Corpus hook for fuzz_http.c (called by gen_corpus.sh with the directory to
# fill): seed requests, good and bad, each prefixed with the split byte the
# target reads first (a few splits per request).
set -euo pipefail
python3 - "$1" <<'PY'
import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
H = b"Host: x\r\n"
seeds = [
    b"GET / HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /a?b=c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
    b"HEAD http://x/y HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
    b"POST /e HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello",
    b"POST /e HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
    b"POST /e HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 4\r\nContent-Length: 5\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding : chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\nContent-Length: 1073741824\r\n\r\n",
    b"G(T / HTTP/1.1\r\n" + H + b"\r\n",
    b"\x1b[1m / HTTP/1.1\r\n" + H + b"\r\n",
    b"GET /a\x00b HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"X: a\rb\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + H + b"X: a\r\n b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET * HTTP/1.1\r\n" + H + b"\r\n",
    b"GET / HTTP/2.0\r\n" + H + b"\r\n",
    b"\r\nGET / HTTP/1.1\n" + H + b"\n",
]
n = 0
for s in seeds:
    for split in sorted({0, 1, len(s) // 2, min(255, len(s) - 1)}):
        with open(os.path.join(out, "seed%03d" % n), "wb") as f:
            f.write(bytes([split]) + s)
        n += 1
PY
