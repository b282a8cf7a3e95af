#!/usr/bin/env bash
# `lattice serve` suite: wasi:http/proxy components behind a real HTTP
# server, called with curl (and wrk when installed).
#
#   c    tests/component/http_c/hello_http.c, a freestanding C handler
#        (`jco embed` with jco's 0.2.12 WIT + `jco new`, built here):
#        GET with a path and query, request and response headers, POST
#        bodies echoed (small and 300 KB), a status code, a guest trap (500,
#        and the next request still works), no response (500), a response
#        body over the host's cap (500, not sent), 50
#        concurrent requests, wrk for 2 s (no errors, no non-2xx)
#   js   the componentize-js handler (build/components/hello_http.wasm,
#        from build.sh --http, built here when missing): its body, and the
#        server survives
#   cli  a component that is not a wasi:http handler and a bad --addr are
#        clear errors
#
# Each server listens on 127.0.0.1 port 0 (a free port, read from its log)
# and is stopped by its pid.  Ends with `serve: N passed, N failed`.
# Env: LATTICE (default build/debug/lattice).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
JCO=$ROOT/node_modules/.bin/jco
C=$ROOT/build/components
T=$(mktemp -d /tmp/lattice-serve.XXXXXX)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
npass=0
nfail=0
pass() { npass=$((npass + 1)); }
fail() {
  nfail=$((nfail + 1))
  echo "serve: FAIL $1: $2"
  [ -s "$T/out" ] && sed 's/^/    out: /' "$T/out" | head -n 10
  [ -s "$T/log" ] && sed 's/^/    log: /' "$T/log" | tail -n 10
  return 0
}

# ---- the C component -------------------------------------------------------------
HC=$C/hello_http_c.component.wasm
SRC=tests/component/http_c/hello_http.c
mkdir -p "$C"
if [ ! -f "$HC" ] || [ "$SRC" -nt "$HC" ] || [ tests/component/http_c/wit/world.wit -nt "$HC" ]; then
  (
    exec 9>"$C/.lock-http-c"
    flock 9
    W=$T/wit B=$ROOT/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12
    mkdir -p "$W/deps"
    for p in cli clocks filesystem http io random sockets; do
      mkdir -p "$W/deps/$p"; cp "$B/wasi-$p/package.wit" "$W/deps/$p/"
    done
    cp tests/component/http_c/wit/world.wit "$W/"
    ${WASM_CC:-clang} --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined \
      "$SRC" -o "$T/hc.core.wasm" &&
      "$JCO" embed "$T/hc.core.wasm" --wit "$W" -n hello-c -o "$T/hc.embed.wasm" &&
      "$JCO" new "$T/hc.embed.wasm" -o "$HC.tmp" && mv "$HC.tmp" "$HC"
  ) >"$T/build.log" 2>&1
  if [ ! -f "$HC" ]; then
    cat "$T/build.log"
    echo "serve: 0 passed, 1 failed"
    exit 1
  fi
fi

# start FILE [ARGS...]: starts a server on a free port; sets SPID and URL
start() {
  : >"$T/log"
  "$LATTICE" serve "$@" --addr 127.0.0.1:0 2>"$T/log" &
  SPID=$!
  URL=
  for _ in $(seq 1 300); do
    URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$T/log" | head -n 1)
    [ -n "$URL" ] && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}
# stop: SIGTERM, a clean exit (so ASan's leak check runs), no sanitizer report
stop() {
  [ -n "$SPID" ] || return 0
  kill "$SPID" 2>/dev/null
  wait "$SPID" 2>/dev/null
  local rc=$?
  SPID=
  if grep -qE 'Sanitizer|runtime error:' "$T/log"; then fail sanitizer "report in the server log"
  elif [ $rc -ne 0 ]; then fail exit "the server exited with $rc on SIGTERM"
  else pass; fi
}

# req NAME EXPECTED_STATUS CURL_ARGS...: body in $T/out, headers in $T/hdr
req() {
  local name=$1 want=$2 code
  shift 2
  code=$(curl -s -m 30 -o "$T/out" -D "$T/hdr" -w '%{http_code}' "$@")
  if [ "$code" = "$want" ]; then return 0; fi
  fail "$name" "status $code, want $want"
  return 1
}

if ! start "$HC"; then
  fail c-start "the server did not start"
else
  pass
  req get 200 "$URL/foo/bar?x=1&y=2" &&
    { grep -qx 'hello from C: GET /foo/bar?x=1&y=2' "$T/out" && pass || fail get "body"; }
  grep -qi '^x-lattice: c' "$T/hdr" && pass || fail resp-header "no x-lattice header"
  req req-header 200 -H 'x-echo: seen by the guest' "$URL/h" &&
    { grep -qi '^x-echo-back: seen by the guest' "$T/hdr" && pass || fail req-header "not echoed"; }
  req head 200 -X PUT "$URL/put" && { grep -qx 'hello from C: PUT /put' "$T/out" && pass || fail put "body"; }
  req post 200 -X POST --data-binary 'some body bytes' "$URL/echo" &&
    { [ "$(cat "$T/out")" = 'echo: some body bytes' ] && pass || fail post "body"; }
  head -c 300000 /dev/urandom | base64 -w 0 >"$T/big"
  req post-big 200 -X POST --data-binary @"$T/big" "$URL/echo" &&
    { [ "$(cat "$T/out")" = "echo: $(cat "$T/big")" ] && pass || fail post-big "body differs"; }
  req status 418 "$URL/teapot" && pass
  req trap 500 "$URL/trap" && { grep -q trapped "$T/out" && pass || fail trap "body"; }
  grep -q 'guest trapped' "$T/log" && pass || fail trap-log "no log line"
  req after-trap 200 "$URL/again" && { grep -qx 'hello from C: GET /again' "$T/out" && pass || fail after-trap "body"; }
  req noresp 500 "$URL/noresp" && pass
  # a response body past the host's cap (64 MiB) fails the guest's writes
  # and is not sent: a 500 and a log line, and the server goes on
  req huge 500 "$URL/huge" && pass
  grep -q 'path=/huge status=resource limit exceeded' "$T/log" && pass || fail huge-log "no log line"
  # a request target that is not ASCII is a 400 (it cannot be a WIT string)
  python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(b"GET /\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); print(s.recv(100).split(b"\r\n")[0].decode())' "${URL##*:}" >"$T/out" 2>&1
  grep -q ' 400 ' "$T/out" && pass || fail bad-target "not a 400"
  # 50 requests at once
  for i in $(seq 1 50); do
    curl -s -m 60 -o "$T/par.$i" -w '%{http_code}\n' "$URL/p/$i" >"$T/code.$i" &
  done
  wait $(jobs -p | grep -v "^$SPID$") 2>/dev/null
  ok=0
  for i in $(seq 1 50); do
    [ "$(cat "$T/code.$i")" = 200 ] && grep -qx "hello from C: GET /p/$i" "$T/par.$i" && ok=$((ok + 1))
  done
  [ "$ok" = 50 ] && pass || fail parallel "$ok of 50 concurrent requests succeeded"
  if command -v wrk >/dev/null; then
    wrk -t2 -c16 -d2s "$URL/wrk" >"$T/out" 2>&1
    if grep -q 'requests in' "$T/out" && ! grep -qE 'Non-2xx|Socket errors' "$T/out"; then pass
    else fail wrk "errors under load"; fi
    grep -E 'Requests/sec' "$T/out" | sed "s/^/serve: wrk ($(basename "$LATTICE" | tr -d '\n') in $(basename "$(dirname "$LATTICE")")) /"
  fi
  kill -0 "$SPID" 2>/dev/null && pass || fail alive "the server died"
  stop
fi

# ---- the componentize-js component ------------------------------------------------------
JSC=$C/hello_http.wasm
if [ ! -f "$JSC" ] || [ tests/component/http/app.js -nt "$JSC" ]; then
  echo "serve: building the componentize-js component (tests/component/build.sh --http)"
  if ! tests/component/build.sh "$C" --http >"$T/build.log" 2>&1; then
    tail -n 20 "$T/build.log"
    fail js-build "tests/component/build.sh --http failed"
  fi
fi
if [ -f "$JSC" ]; then
  if start "$JSC"; then
    code=$(curl -s -m 60 -o "$T/out" -w '%{http_code}' "$URL/js")
    [ "$code" = 200 ] && pass || fail js-answer "status $code, want 200"
    grep -qx 'hello from lattice /js' "$T/out" && pass || fail js-body "got: $(head -c 100 "$T/out")"
    code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$URL/js2")
    [ "$code" = 200 ] && kill -0 "$SPID" 2>/dev/null && pass || fail js-again "the server did not survive"
  else
    fail js-start "the server did not start"
  fi
  stop
fi

# ---- errors ------------------------------------------------------------------------------
timeout 60 "$LATTICE" serve "$C/hello.component.wasm" --addr 127.0.0.1:0 >"$T/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'incoming-handler' "$T/out" && pass || fail not-http "rc $rc"
timeout 10 "$LATTICE" serve "$HC" --addr nonsense >"$T/out" 2>&1
[ $? -eq 2 ] && grep -q 'bad --addr' "$T/out" && pass || fail bad-addr "not rejected"

echo "serve: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
