#!/usr/bin/env bash
# Corpus hook for fuzz_manifest.c (called by gen_corpus.sh with the directory
# to fill): the example applications, each cut at several points, with a
# few bytes changed, and as JSON.
set -euo pipefail
out=$1
mkdir -p "$out"
python3 - "$out" examples/apps/*.yaml <<'PY'
import json, os, sys
out, files = sys.argv[1], sys.argv[2:]
n = 0
def put(b):
    global n
    open(os.path.join(out, "m%04d" % n), "wb").write(b)
    n += 1
for f in files:
    b = open(f, "rb").read()
    put(b)
    for cut in (len(b) // 4, len(b) // 2, 3 * len(b) // 4):
        put(b[:cut])
    for i in range(0, len(b), max(1, len(b) // 24)):
        for r in (b"\n", b":", b" ", b"-", b"\x00", b"'"):
            put(b[:i] + r + b[i + 1:])
# hand-written shapes: JSON, wrong types, deep nesting, aliases
put(b'{"apiVersion":"core.oam.dev/v1beta1","kind":"Application","metadata":{"name":"j","annotations":{"version":"v1"}},"spec":{"components":[]}}')
put(b"apiVersion: a\nkind: b\nmetadata: {name: x, annotations: {version: latest}}\nspec: {components: []}\n")
put(b"a: &x [*x]\n")
put(b"[" * 200 + b"]" * 200)
put(b"metadata:\n  name: x\n  annotations:\n    version: 1\nspec:\n  components:\n    - name: c\n      type: component\n      properties: {image: 5}\n")
PY
