#!/usr/bin/env python3
"""Extracts the text modules of .wast scripts into separate .wat files.

Usage: wast_modules.py OUTDIR FILE.wast...

Writes OUTDIR/<stem>.<n>.wat for every `(module ...)` form at the top level
or inside an assertion (assert_invalid, assert_trap, ...), skipping
`(module binary ...)` and `(module quote ...)`, whose contents are not WAT
text.  Quoted modules are decoded from their string pieces instead, since
they are exactly the malformed text the parser must reject.  A small
s-expression scanner (strings, line and nested block comments) rather than
wast2json, because wabt 1.0.32 cannot read seven of the 2.0 scripts.
"""
import os
import sys


def forms(text):
    """Yields (start, end, depth) of every parenthesised form."""
    i, n, stack = 0, len(text), []
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == '\\' else 1
        elif c == ';' and text.startswith(';;', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        elif c == '(' and text.startswith('(;', i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith('(;', i):
                    depth, i = depth + 1, i + 2
                elif text.startswith(';)', i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            continue
        elif c == '(':
            stack.append(i)
        elif c == ')' and stack:
            start = stack.pop()
            yield start, i + 1, len(stack)
        i += 1


def unquote(s):
    """Concatenates the string literals of a (module quote ...) body."""
    out, i = bytearray(), 0
    while True:
        i = s.find('"', i)
        if i < 0:
            return bytes(out)
        i += 1
        while i < len(s) and s[i] != '"':
            if s[i] == '\\':
                e = s[i + 1]
                simple = {'n': 10, 't': 9, 'r': 13, '"': 34, "'": 39, '\\': 92}
                if e in simple:
                    out.append(simple[e])
                    i += 2
                elif e == 'u':
                    j = s.index('}', i)
                    out += chr(int(s[i + 3:j], 16)).encode('utf-8', 'surrogatepass')
                    i = j + 1
                else:
                    out.append(int(s[i + 1:i + 3], 16))
                    i += 3
            else:
                out += s[i].encode('utf-8')
                i += 1
        out += b' '
        i += 1


def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    os.makedirs(outdir, exist_ok=True)
    total = 0
    for path in files:
        text = open(path, encoding='utf-8').read()
        stem = os.path.splitext(os.path.basename(path))[0]
        n = 0
        for start, end, depth in forms(text):
            if depth > 1 or not text.startswith('(module', start):
                continue
            head = text[start + 7:start + 64].split()
            rest = [w for w in head if not w.startswith('$')][:1]
            body = text[start:end]
            if rest and rest[0] == 'binary':
                continue
            if rest and rest[0] == 'quote':
                data = unquote(body[body.index('quote') + 5:-1])
            else:
                data = body.encode('utf-8')
            with open(os.path.join(outdir, '%s.%d.wat' % (stem, n)), 'wb') as f:
                f.write(data)
            n += 1
        total += n
    print('wast_modules: %d modules from %d scripts' % (total, len(files)))


if __name__ == '__main__':
    main()
