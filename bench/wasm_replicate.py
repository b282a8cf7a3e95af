#!/usr/bin/env python3
"""Grows a module by repeating its function bodies: wasm_replicate.py IN OUT K

Appends K-1 copies of every defined function (same type, same body) to the
function and code sections; the copies call the originals, whose indices
do not move, so the result is valid, and each copy is decoded and
validated like any other function.  Custom sections are dropped.  Used to
make a >= 10 MB module of compiled-C code for the decode+validate
benchmark without compiling 10 MB of C.
"""
import sys


def uleb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7f) << s
        s += 7
        if not x & 0x80:
            return r, i


def enc(n):
    out = bytearray()
    while True:
        x = n & 0x7f
        n >>= 7
        out.append(x | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main():
    src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    b = open(src, 'rb').read()
    assert b[:8] == b'\0asm\1\0\0\0', 'not a wasm module'
    i, out = 8, bytearray(b[:8])
    while i < len(b):
        sid = b[i]
        size, j = uleb(b, i + 1)
        body = b[j:j + size]
        i = j + size
        if sid == 0:
            continue
        if sid in (3, 10):  # function, code: count then entries
            n, p = uleb(body, 0)
            entries = body[p:]
            body = enc(n * k) + entries * k
        out += bytes([sid]) + enc(len(body)) + body
    open(dst, 'wb').write(out)


if __name__ == '__main__':
    main()
