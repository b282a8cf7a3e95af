#!/usr/bin/env bash
# The README's commands work as written: every `build/lattice ...` line of
# its code blocks runs (with LATTICE for build/lattice) and exits 0, after
# examples/build.sh has built the example components from source; the
# serve block answers curl.  Keys go to a scratch directory.
. "$(dirname "$0")/lib/common.sh"

check examples-build -- examples/build.sh build/examples
export LATTICE_KEYS=$T/keys
# the local-lattice block runs `up --detach`: its state goes to the scratch
# folder, and whatever it started is stopped on any exit
export LATTICE_HOME=$T/home
trap '"$LATTICE" down >/dev/null 2>&1; rm -rf "$T"' EXIT
n=0
while IFS= read -r line; do
  cmd=${line%%#*}          # the trailing comment
  cmd=${cmd%"${cmd##*[! ]}"}
  case $cmd in *' &') continue ;; esac   # serve: below
  n=$((n + 1))
  eval "set -- ${cmd#build/lattice }"
  check "readme-$n: ${cmd:0:60}" -- "$LATTICE" "$@"
done < <(awk '/^```sh/{on=1; next} /^```/{on=0} on && /^build\/lattice /' README.md)
[ "$n" -ge 16 ] && npass=$((npass + 1)) || { nfail=$((nfail + 1)); echo "$SUITE: FAIL readme-count: only $n commands found"; }

# the serve block, on a free port instead of 8080
"$LATTICE" serve build/examples/hello_http.component.wasm --addr 127.0.0.1:0 -o json >"$T/serve.out" 2>"$T/serve.err" &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -nE 's/.*"port":([0-9]+).*/\1/p' "$T/serve.out")
  [ -n "$port" ] && break
  sleep 0.1
done
check readme-serve-curl --out '^Hello from Lattice: GET /hello$' -- curl -sS "http://127.0.0.1:${port:-1}/hello"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check readme-serve-stopped --out 'stopping' -- cat "$T/serve.err"
finish
