#!/usr/bin/env bash
# Builds the example components from source into OUTDIR (default
# build/examples): `make run-examples` calls it, and the README's commands
# use its output.  Quiet: one line per component; the tools' output only
# when one fails.
#
#   hello.component.wasm       examples/hello/hello.c, wasi-libc + `jco new --wasi-command`
#   greet.component.wasm       examples/greet/greet.c, freestanding, `jco embed` + `jco new`
#   hello_http.component.wasm  examples/http/hello_http.c, a wasi:http handler, the same way
#   counter.component.wasm     examples/counter/counter.c, a wasi:http handler keeping a
#                              count in wasi:keyvalue (a linked keyvalue provider)
#   blob.component.wasm        examples/blob/blob.c, a wasi:http handler storing objects
#                              in wasi:blobstore (a linked blobstore provider)
#   messaging_handler.component.wasm    examples/messaging/handler.c, a
#                              wasmcloud:messaging/handler (tests/lattice/messaging.sh)
#   messaging_requester.component.wasm  examples/messaging/requester.c, wasi:http
#                              in, wasmcloud:messaging/consumer out
#
# Tools: Debian clang for wasm32-wasi (through scripts/wasm-cc, so a wasm-opt
# on PATH changes nothing) and jco from package.json (npm ci when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/examples}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$ROOT"
LOG=$OUT/build.log
: >"$LOG"
step() { # NAME CMD...: runs CMD, its output to the log; shows the log on failure
  local name=$1
  shift
  if ! "$@" >>"$LOG" 2>&1; then
    echo "examples/build.sh: $name failed:" >&2
    tail -n 20 "$LOG" >&2
    exit 1
  fi
}
if [ ! -x node_modules/.bin/jco ]; then
  step "npm ci (jco)" npm ci --no-audit --no-fund
fi
JCO=$ROOT/node_modules/.bin/jco
CC=$ROOT/scripts/wasm-cc

step hello $CC --target=wasm32-wasi -O2 -s examples/hello/hello.c -o "$OUT/hello.core.wasm"
step hello "$JCO" new "$OUT/hello.core.wasm" --wasi-command -o "$OUT/hello.component.wasm"
echo "  BUILD  ${OUT#"$ROOT"/}/hello.component.wasm"

step greet $CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
  examples/greet/greet.c -o "$OUT/greet.core.wasm"
step greet "$JCO" embed "$OUT/greet.core.wasm" --wit examples/greet/wit -o "$OUT/greet.embed.wasm"
step greet "$JCO" new "$OUT/greet.embed.wasm" -o "$OUT/greet.component.wasm"
echo "  BUILD  ${OUT#"$ROOT"/}/greet.component.wasm"

# the WASI 0.2.12 packages the http world uses, from jco's copy
W=$OUT/http-wit
rm -rf "$W"
mkdir -p "$W/deps"
for p in cli clocks filesystem http io random sockets; do
  mkdir -p "$W/deps/$p"
  cp "node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12/wasi-$p/package.wit" "$W/deps/$p/"
done
cp examples/http/wit/world.wit "$W/"
step hello_http $CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
  examples/http/hello_http.c -o "$OUT/hello_http.core.wasm"
step hello_http "$JCO" embed "$OUT/hello_http.core.wasm" --wit "$W" -n hello-http \
  -o "$OUT/hello_http.embed.wasm"
step hello_http "$JCO" new "$OUT/hello_http.embed.wasm" -o "$OUT/hello_http.component.wasm"
echo "  BUILD  ${OUT#"$ROOT"/}/hello_http.component.wasm"

# the messaging worlds (wit/NAME/world.wit): the http world's WASI packages
# plus wasmcloud:messaging@0.2.0 (wit/deps/messaging)
for n in handler requester; do
  M=$OUT/messaging-$n-wit
  rm -rf "$M"
  cp -r "$W" "$M"
  cp examples/messaging/wit/$n/world.wit "$M/"
  cp -r examples/messaging/wit/deps/messaging "$M/deps/"
  step "messaging_$n" $CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
    "examples/messaging/$n.c" -o "$OUT/messaging_$n.core.wasm"
  step "messaging_$n" "$JCO" embed "$OUT/messaging_$n.core.wasm" --wit "$M" -n "$n" \
    -o "$OUT/messaging_$n.embed.wasm"
  step "messaging_$n" "$JCO" new "$OUT/messaging_$n.embed.wasm" -o "$OUT/messaging_$n.component.wasm"
  echo "  BUILD  ${OUT#"$ROOT"/}/messaging_$n.component.wasm"
done
# the counter: the same http packages plus wasi:keyvalue 0.2.0-draft (its own copy)
W=$OUT/counter-wit
rm -rf "$W"
mkdir -p "$W"
cp -r "$OUT/http-wit/deps" "$W/"
cp -r examples/counter/wit/deps/keyvalue "$W/deps/"
cp examples/counter/wit/world.wit "$W/"
step counter $CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
  examples/counter/counter.c -o "$OUT/counter.core.wasm"
step counter "$JCO" embed "$OUT/counter.core.wasm" --wit "$W" -n counter \
  -o "$OUT/counter.embed.wasm"
step counter "$JCO" new "$OUT/counter.embed.wasm" -o "$OUT/counter.component.wasm"
echo "  BUILD  ${OUT#"$ROOT"/}/counter.component.wasm"
# the blob store client: the same http packages plus wasi:blobstore 0.2.0-draft
W=$OUT/blob-wit
rm -rf "$W"
mkdir -p "$W"
cp -r "$OUT/http-wit/deps" "$W/"
cp -r examples/blob/wit/deps/blobstore "$W/deps/"
cp examples/blob/wit/world.wit "$W/"
step blob $CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
  examples/blob/blob.c -o "$OUT/blob.core.wasm"
step blob "$JCO" embed "$OUT/blob.core.wasm" --wit "$W" -n blob -o "$OUT/blob.embed.wasm"
step blob "$JCO" new "$OUT/blob.embed.wasm" -o "$OUT/blob.component.wasm"
echo "  BUILD  ${OUT#"$ROOT"/}/blob.component.wasm"
