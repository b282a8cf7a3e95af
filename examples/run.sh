#!/usr/bin/env bash
# `make run-examples`: builds the example components (examples/build.sh) and
# runs the README's commands with LATTICE (default build/lattice), each shown
# as `$ command` with its output indented.  serve runs on a free port for one
# curl and is stopped by its PID.  Keys made by `claims sign` go to
# build/examples/keys, not ~/.lattice/keys.  Exits non-zero when a command
# fails.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
L=${LATTICE:-build/lattice}
E=build/examples
examples/build.sh "$E" || exit 1
export LATTICE_KEYS=$ROOT/$E/keys
failed=0

# shell-quotes what needs it, as a user would type it: greet '"world"'
shown() {
  local a out=""
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%+-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
  done
  printf '$%s\n' "$out"
}

ex() { # CMD...: shows it, runs it, indents its output
  shown "$@"
  "$@" 2>&1 | sed 's/^/    /'
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    echo "    (exit status $rc)"
    failed=$((failed + 1))
  fi
}

ex "$L" run examples/fib.wat --invoke fib 20
ex "$L" run examples/fib.wat --invoke fib_iter 90
ex "$L" run examples/memory.wat --invoke sum_squares 1000
ex "$L" wast examples/checks.wast
ex "$L" run "$E/hello.component.wasm" Ada
ex "$L" call "$E/greet.component.wasm" greet '"world"'
ex "$L" inspect "$E/greet.component.wasm"
ex "$L" validate examples/fib.wat "$E/hello.component.wasm"
ex "$L" claims sign "$E/hello.component.wasm" -n hello -d "$E/hello.signed.wasm"
ex "$L" claims inspect "$E/hello.signed.wasm"

# serve: a free port, one request, then stop it
out=$(mktemp)
printf '$ %s\n' "$L serve $E/hello_http.component.wasm --addr 127.0.0.1:0 -o json &"
"$L" serve "$E/hello_http.component.wasm" --addr 127.0.0.1:0 -o json >"$out" 2>/dev/null &
pid=$!
port=""
for _ in $(seq 50); do
  port=$(sed -nE 's/.*"port":([0-9]+).*/\1/p' "$out")
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -n "$port" ]; then
  ex curl -sS "http://127.0.0.1:$port/hello"
else
  echo "    serve did not start"
  failed=$((failed + 1))
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -f "$out"

if [ "$failed" -ne 0 ]; then
  echo "run-examples: $failed command(s) failed" >&2
  exit 1
fi
