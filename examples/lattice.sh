#!/usr/bin/env bash
# `make demo`: a wasmCloud user's first hour, on Lattice.  Brings a local
# lattice up (nats-server with JetStream and a host, `lattice up --detach`),
# starts the example HTTP component, starts the builtin HTTP server, links
# them through named config, shows curl getting the component's answer,
# deletes the link (the next request is refused), deploys an application
# (HTTP + key-value: examples/counter, the builtin keyvalue-nats provider)
# through the manager and counts twice, undeploys it, and tears it all down.
# Every command is shown as `$ command` with its output indented.  Ports are
# free ones and the state lives in a scratch folder, so nothing of the
# machine's is used or left behind; `lattice down` runs on any exit.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
L=${LATTICE:-build/lattice}
E=build/examples
examples/build.sh "$E" >/dev/null || exit 1
S=$(mktemp -d /tmp/lattice-demo.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NATS=$(free_port)
WEB=$(free_port)
trap '"$L" down --state-dir "$S" >/dev/null 2>&1; rm -rf "$S"' EXIT
failed=0
ex() { # CMD...: shows it, runs it, indents its output
  printf '$ %s\n' "$*"
  "$@" 2>&1 | sed 's/^/    /'
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { echo "    (exit status $rc)"; failed=$((failed + 1)); }
}
C=(--ctl-port "$NATS")

ex "$L" up --detach --nats-port "$NATS" --state-dir "$S"
ex "$L" get hosts "${C[@]}"
ex "$L" start component "file://$ROOT/$E/hello_http.component.wasm" hello --max-instances 4 "${C[@]}"
ex "$L" start provider wasmcloud+builtin://http-server http-server "${C[@]}"
ex "$L" config put hello-http "address=127.0.0.1:$WEB" "${C[@]}"
ex "$L" link put http-server hello wasi http --interface incoming-handler \
  --source-config hello-http "${C[@]}"
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$WEB/" && break; sleep 0.1; done
ex curl -sS "http://127.0.0.1:$WEB/hello"
ex "$L" get inventory "${C[@]}"
ex "$L" get links "${C[@]}"
ex "$L" link del http-server wasi http "${C[@]}"
printf '$ curl -sS http://127.0.0.1:%s/hello\n' "$WEB"
out=$(curl -sS -m 5 "http://127.0.0.1:$WEB/hello" 2>&1)
printf '%s\n' "$out" | sed 's/^/    /'
if grep -q 'Hello from Lattice' <<<"$out"; then
  echo "    (still answered after the link was deleted)"
  failed=$((failed + 1))
fi
# an application: HTTP + key-value (examples/apps/http-keyvalue.yaml, on a free port), placed
# by the manager `lattice up` started: the counter, the builtin keyvalue-nats provider, links
KV=$(free_port)
sed "s/127.0.0.1:8083/127.0.0.1:$KV/" examples/apps/http-keyvalue.yaml >"$S/http-keyvalue.yaml"
ex "$L" app deploy "$S/http-keyvalue.yaml" --wait 60s "${C[@]}"
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$KV/get/counter" && break; sleep 0.1; done
ex curl -sS "http://127.0.0.1:$KV/"
printf '$ curl -sS http://127.0.0.1:%s/\n' "$KV"
out=$(curl -sS -m 10 "http://127.0.0.1:$KV/" 2>&1)
printf '%s\n' "$out" | sed 's/^/    /'
if [ "$out" != 2 ]; then
  echo "    (want 2: the second count)"
  failed=$((failed + 1))
fi
ex "$L" app status http-keyvalue "${C[@]}"
ex "$L" app undeploy http-keyvalue "${C[@]}"
ex "$L" down --state-dir "$S"
trap 'rm -rf "$S"' EXIT
if [ "$failed" -ne 0 ]; then
  echo "demo: $failed command(s) failed"
  exit 1
fi
echo "demo: the lattice came up, served a component through a link, ran an HTTP + key-value application, and went down"
