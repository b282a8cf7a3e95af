#!/usr/bin/env bash
# Builds the real components the component decoder is tested on, at test time
# (no binaries are committed).  Usage: tests/component/build.sh [OUTDIR] [--http]
#
#   greet.component.wasm       wasi-libc reactor + jco's reactor adapter
#   greet_free.component.wasm  freestanding core module, no adapter
#   hello.component.wasm       wasi-libc command + `jco new --wasi-command`
#   hello_http.wasm            (with --http) componentize-js wasi:http handler
#   fetch_http.wasm            (with --http) the same, making an outgoing
#                              request (tests/component/http/fetch.js)
#   hello_http_c.component.wasm  tests/component/http_c: a freestanding C
#                              wasi:http handler, `jco embed` + `jco new`
#   caller_http_c.component.wasm the same built with -DCALLER: it also
#                              imports test:calc/ops, wasi:config/store and
#                              wasi:logging (the lattice suite's local links)
#   secrets_http_c.component.wasm the same built with -DSECRETS: it imports
#                              wasmcloud:secrets store and reveal (tests/
#                              lattice/secrets.sh)
#   calc.component.wasm        tests/component/calc: exports test:calc/ops
#   types.component.wasm       the `types` world (every WIT type, a resource,
#                              host imports) in C, `jco embed` + `jco new`
#   cmd_NAME.component.wasm    tests/component/cmd/NAME.c, `jco new --wasi-command`
#
# For each NAME.wasm it also writes NAME.wit (`jco wit`), the oracle the
# decoder test compares its import/export listing with.  Tools: Debian clang
# (wasm32-wasi, wasi-libc, libclang-rt-14-dev-wasm32) and the npm packages
# pinned in package.json (jco 1.34.0, componentize-js 0.23.0).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/build/components}
HTTP=0
for a in "$@"; do [ "$a" = --http ] && HTTP=1; done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# one build at a time (tests may run in parallel); the last step's output
# (hello_http.wit or hello.component.wit) marks a finished build
exec 9>"$OUT/.lock"
flock 9
cd "$ROOT"
if [ ! -x node_modules/.bin/jco ]; then
  npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null
fi
JCO="$ROOT/node_modules/.bin/jco"
CC=${WASM_CC:-$ROOT/scripts/wasm-cc} # clang whatever wasm-opt is on PATH

wit_of() { "$JCO" wit "$1" > "${1%.wasm}.wit"; }
# wasi_wit DIR: DIR/deps holds jco's WASI 0.2.12 packages, for a world that
# uses them (DIR/world.wit is the caller's)
wasi_wit() {
  local b="$ROOT/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12" p
  rm -rf "$1"
  mkdir -p "$1/deps"
  for p in cli clocks filesystem http io random sockets; do
    mkdir -p "$1/deps/$p"
    cp "$b/wasi-$p/package.wit" "$1/deps/$p/"
  done
}

# greet (wasi-libc reactor)
$CC --target=wasm32-wasi -O2 -s -mexec-model=reactor "$HERE/greet/greet.c" -o "$OUT/greet.core.wasm"
"$JCO" embed "$OUT/greet.core.wasm" --wit "$HERE/greet/wit" -o "$OUT/greet.embed.wasm"
"$JCO" new "$OUT/greet.embed.wasm" --wasi-reactor -o "$OUT/greet.component.wasm"
wit_of "$OUT/greet.component.wasm"

# greet_free (no libc, no adapter)
$CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
  "$HERE/greet/greet_free.c" -o "$OUT/greet_free.core.wasm"
"$JCO" embed "$OUT/greet_free.core.wasm" --wit "$HERE/greet/wit" -o "$OUT/greet_free.embed.wasm"
"$JCO" new "$OUT/greet_free.embed.wasm" -o "$OUT/greet_free.component.wasm"
wit_of "$OUT/greet_free.component.wasm"

# hello (wasi-libc command → wasi:cli/run)
$CC --target=wasm32-wasi -O2 -s "$HERE/hello/hello.c" -o "$OUT/hello.core.wasm"
"$JCO" new "$OUT/hello.core.wasm" --wasi-command -o "$OUT/hello.component.wasm"
wit_of "$OUT/hello.component.wasm"

# types (hand-written canonical ABI against wit/types.wit)
$CC --target=wasm32-wasi -O2 -s -mexec-model=reactor "$HERE/types/types.c" -o "$OUT/types.core.wasm"
"$JCO" embed "$OUT/types.core.wasm" --wit "$HERE/types/wit" -n types -o "$OUT/types.embed.wasm"
"$JCO" new "$OUT/types.embed.wasm" --wasi-reactor -o "$OUT/types.component.wasm"

# hello_http_c (freestanding wasi:http handler, no adapter)
wasi_wit "$OUT/http-c-wit"
cp "$HERE/http_c/wit/world.wit" "$OUT/http-c-wit/"
$CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
  "$HERE/http_c/hello_http.c" -o "$OUT/hello_http_c.core.wasm"
"$JCO" embed "$OUT/hello_http_c.core.wasm" --wit "$OUT/http-c-wit" -n hello-c \
  -o "$OUT/hello_http_c.embed.wasm"
"$JCO" new "$OUT/hello_http_c.embed.wasm" -o "$OUT/hello_http_c.component.wasm"

# caller_http_c (the same handler with imports a lattice host links) and calc
wasi_wit "$OUT/caller-wit"
cp "$HERE/http_c/caller-wit/world.wit" "$OUT/caller-wit/"
for p in config logging bus; do
  mkdir -p "$OUT/caller-wit/deps/$p"
  cp "$HERE/http_c/caller-wit/$p.wit" "$OUT/caller-wit/deps/$p/package.wit"
done
mkdir -p "$OUT/caller-wit/deps/calc"
cp "$HERE/calc/wit/world.wit" "$OUT/caller-wit/deps/calc/package.wit"
$CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined -DCALLER \
  "$HERE/http_c/hello_http.c" -o "$OUT/caller_http_c.core.wasm"
"$JCO" embed "$OUT/caller_http_c.core.wasm" --wit "$OUT/caller-wit" -n caller-c \
  -o "$OUT/caller_http_c.embed.wasm"
"$JCO" new "$OUT/caller_http_c.embed.wasm" -o "$OUT/caller_http_c.component.wasm"
$CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
  "$HERE/calc/calc.c" -o "$OUT/calc.core.wasm"
"$JCO" embed "$OUT/calc.core.wasm" --wit "$HERE/calc/wit" -n calc -o "$OUT/calc.embed.wasm"
"$JCO" new "$OUT/calc.embed.wasm" -o "$OUT/calc.component.wasm"

# secrets_http_c (the same handler importing wasmcloud:secrets store/reveal)
wasi_wit "$OUT/secrets-wit"
cp "$HERE/http_c/secrets-wit/world.wit" "$OUT/secrets-wit/"
mkdir -p "$OUT/secrets-wit/deps/secrets"
cp "$HERE/http_c/secrets-wit/secrets.wit" "$OUT/secrets-wit/deps/secrets/package.wit"
$CC --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined -DSECRETS \
  "$HERE/http_c/hello_http.c" -o "$OUT/secrets_http_c.core.wasm"
"$JCO" embed "$OUT/secrets_http_c.core.wasm" --wit "$OUT/secrets-wit" -n secrets-c \
  -o "$OUT/secrets_http_c.embed.wasm"
"$JCO" new "$OUT/secrets_http_c.embed.wasm" -o "$OUT/secrets_http_c.component.wasm"

# wasi:cli/run commands
for src in "$HERE"/cmd/*.c; do
  n=$(basename "$src" .c)
  $CC --target=wasm32-wasi -O2 -s "$src" -o "$OUT/cmd_$n.core.wasm"
  "$JCO" new "$OUT/cmd_$n.core.wasm" --wasi-command -o "$OUT/cmd_$n.component.wasm"
done

if [ $HTTP = 1 ]; then
  W="$OUT/http-wit"
  wasi_wit "$W"
  printf 'package probe:hello-http;\nworld hello {\n  export wasi:http/incoming-handler@0.2.12;\n}\n' > "$W/world.wit"
  # StarlingMonkey in componentize-js 0.23 exports incoming-handler@0.2.10
  sed -i 's/0\.2\.12/0.2.10/g' "$W/world.wit" "$W"/deps/*/package.wit
  for js in app:hello_http fetch:fetch_http; do
    "$ROOT/node_modules/.bin/componentize-js" --wit "$W" -n hello -o "$OUT/${js#*:}.wasm" \
      "$HERE/http/${js%%:*}.js" >/dev/null
  done
  wit_of "$OUT/hello_http.wasm"
fi
echo "components built in $OUT"
