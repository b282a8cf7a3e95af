#!/usr/bin/env bash
# `lattice serve` suite: wasi:http/proxy components behind a real HTTP
# server, called with curl (and wrk when installed).
#
#   c    tests/component/http_c/hello_http.c, a freestanding C handler
#        (tests/component/build.sh: `jco embed` + `jco new`, when missing):
#        GET with a path and query, request and response headers, POST
#        bodies echoed (small and 300 KB), a status code, a guest trap (500,
#        and the next request still works), no response (500), a response
#        body over the host's cap (cut, not completed), 50
#        concurrent requests, wrk for 2 s (no errors, no non-2xx)
#   js   the componentize-js handler (build/components/hello_http.wasm,
#        from build.sh --http, built here when missing): its body, and the
#        server survives
#   fetch the componentize-js handler of tests/component/http/fetch.js
#        (build/components/fetch_http.wasm), which fetches ?url=URL with
#        wasi:http/outgoing-handler: with --allow-http the upstream's status
#        and body come back (GET from `python3 -m http.server`, POST bodies
#        to the C component's /echo); a host that is not on the list, and a
#        server with no --allow-http at all, are denied (the guest's fetch
#        rejects, 502, nothing reaches the upstream, the server goes on); an
#        upstream that accepts and never answers gives the guest an error
#        after the 30 s transfer limit, not a hang, and with --timeout the
#        request's deadline ends the transfer sooner (a trap: 500)
#   ingress  hostile clients and runaway guests: looping guests end at the
#        deadline while other requests are answered, keep-alive connections
#        are not stalled behind a slow guest, request smuggling and framing
#        errors (CL+TE, two Content-Lengths, "Transfer-Encoding :", gzip,
#        chunked, a 1 GiB Content-Length with Expect: 100-continue), a head
#        sent a byte at a time, connections per client, final statuses
#        outside 200..599, ESC in the log (request line, guest stderr), the
#        256 MiB memory default, the RSS of 20 clients not reading a 32 MiB
#        body, a guest whose client left is interrupted (looping or
#        sleeping), SIGTERM with a loop and a sleep running, a full queue
#        (503), IPv6
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
C=$ROOT/build/components
T=$(mktemp -d /tmp/lattice-serve.XXXXXX)
SPID=
UPIDS=() # upstream servers of the fetch tests
cleanup() {
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
  for p in "${UPIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
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
if [ ! -f "$HC" ] ||
   [ -n "$(find tests/component/http_c -newer "$HC" -type f | head -n 1)" ]; then
  echo "serve: building the test components (tests/component/build.sh)"
  if ! tests/component/build.sh "$C" >"$T/build.log" 2>&1 || [ ! -f "$HC" ]; then
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
  # a response body past the host's cap (64 MiB) fails the guest's writes;
  # the response is streamed, so its head went out: it is cut (no last
  # chunk: curl reports a partial transfer), never completed, with a log
  # line, and the server goes on
  code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$URL/huge"); rc=$?
  [ "$code" = 200 ] && [ $rc = 18 ] && pass || fail huge "status $code, curl rc $rc (want 200 cut: 18)"
  grep -q 'path=/huge status="resource limit exceeded" reason="the response body is over' "$T/log" && pass || fail huge-log "no log line"
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

# ---- hostile clients and runaway guests (the ingress issue) ------------------------------
# Raw bytes where curl cannot send them: tests/component/serve_raw/raw.py.
RAW="python3 $ROOT/tests/component/serve_raw/raw.py"
hx() { printf '%b' "$1" | od -An -tx1 -v | tr -d ' \n'; }
# wait_log NAME PATTERN SECS: the pattern shows up in the log within SECS
wait_log() {
  for _ in $(seq 1 $(($3 * 10))); do grep -qE -- "$2" "$T/log" && { pass; return 0; }; sleep 0.1; done
  fail "$1" "no log line matching $2"
}
# stop_within NAME SECS: SIGTERM, the server exits within SECS with status 0
# and no sanitizer report (else it is killed and that fails)
stop_within() {
  local rc=0 i
  kill "$SPID" 2>/dev/null
  for i in $(seq 1 $(($2 * 10))); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SPID" 2>/dev/null; then
    kill -9 "$SPID"; wait "$SPID" 2>/dev/null; SPID=
    fail "$1" "still running $2 s after SIGTERM"
    return
  fi
  wait "$SPID"; rc=$?; SPID=
  if grep -qE 'Sanitizer|runtime error:' "$T/log"; then fail "$1" "sanitizer report in the log"
  elif [ $rc -ne 0 ]; then fail "$1" "exit status $rc"
  else pass; fi
}
if ! start "$HC" --threads 2 --timeout 2s --header-timeout 2s --max-per-ip 8; then
  fail ingress-start "the server did not start"
else
  P=${URL##*:}
  # 1. two looping guests on a 2-thread server: other requests are answered
  #    meanwhile, and the loops end at the deadline (500, logged)
  curl -s -m 30 -o /dev/null -w '%{http_code}' "$URL/loop" >"$T/loop.1" &
  L1=$!
  curl -s -m 30 -o /dev/null -w '%{http_code}' "$URL/loop" >"$T/loop.2" &
  L2=$!
  sleep 0.5
  req loop-other 200 -m 1.5 "$URL/meanwhile" && pass
  wait $L1 $L2
  [ "$(cat "$T/loop.1")" = 500 ] && [ "$(cat "$T/loop.2")" = 500 ] && pass ||
    fail loop-deadline "loops got $(cat "$T/loop.1") and $(cat "$T/loop.2"), want 500"
  [ "$(grep -c 'path=/loop reason="deadline exceeded"' "$T/log")" = 2 ] && pass ||
    fail loop-log "want two deadline traps in the log"
  # 3. keep-alive connections are not stalled behind a slow guest
  out=$($RAW keepalive "$P" 2>&1)
  [ "$out" = ok ] && pass || fail keepalive "$out"
  # 2, 5, 6. framing (RFC 9112) through lattice serve
  out=$($RAW status "$P" "$(hx 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n')")
  [ "$out" = "HTTP/1.1 400 Bad Request" ] && pass || fail cl-te "got: $out"
  out=$($RAW status "$P" "$(hx 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!')")
  [ "$out" = "HTTP/1.1 400 Bad Request" ] && pass || fail cl-cl "got: $out"
  out=$($RAW status "$P" "$(hx 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n')")
  [ "$out" = "HTTP/1.1 400 Bad Request" ] && pass || fail te-space "got: $out"
  out=$($RAW status "$P" "$(hx 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n')")
  [ "$out" = "HTTP/1.1 501 Not Implemented" ] && pass || fail te-gzip "got: $out (want a 501, not a hang)"
  out=$($RAW first "$P" "$(hx 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\nExpect: 100-continue\r\n\r\n')")
  [ "$out" = "HTTP/1.1 413 Content Too Large" ] && pass || fail expect-413 "got: $out (want a 413 and no 100 Continue)"
  # 4. a head sent a byte at a time times out (--header-timeout 2s: a 408
  #    after about 4 bytes, long before the whole head); connections per client
  out=$($RAW slowloris "$P" 12)
  case $out in "answered 408 after "*) pass ;; *) fail slowloris "$out" ;; esac
  out=$($RAW idle "$P" 8)
  [ "$out" = "HTTP/1.1 503 Service Unavailable" ] && pass || fail per-ip "9th connection: $out"
  # 9. final status codes outside 200..599 are a 500; 204 passes
  for s in 100 101 600; do req "status-$s" 500 "$URL/status/$s" && pass; done
  req status-204 204 "$URL/status/204" && pass
  grep -q 'invalid final status.*status=101' "$T/log" && pass || fail status-log "no log line"
  # 9. log escaping: ESC in the request line (a 400, logged) and in a guest's
  #    stderr line show as \x1b; no raw ESC reaches the log
  out=$($RAW status "$P" "$(hx 'GET /\x1b[31mred HTTP/1.1\r\nHost: x\r\n\r\n')")
  [ "$out" = "HTTP/1.1 400 Bad Request" ] && pass || fail esc-target "got: $out"
  req stderr 200 "$URL/stderr" && pass
  wait_log esc-stderr 'guest  stderr line="guest says \\x1b\[31mred\\x1b\[0m"' 5
  grep -q 'line="GET /\\x1b\[31mred HTTP/1.1"' "$T/log" && pass || fail esc-log "request line not escaped"
  ! grep -q $'\x1b' "$T/log" && pass || fail esc-raw "a raw ESC byte in the log"
  stop
fi
# 7. memory: defaults cap a guest at 256 MiB; 20 clients that read nothing
# of a 32 MiB body cost the server its write windows, not 20 copies (the
# old server held >= 640 MiB; the bound is generous for ASan); 1. a guest
# whose client left is interrupted; SIGTERM with a loop running stops the
# server promptly
if ! ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16 start "$HC"; then
  fail ingress-defaults-start "the server did not start"
else
  P=${URL##*:}
  req grow-over-cap 500 "$URL/grow?mb=300" && pass
  req grow-under-cap 200 "$URL/grow?mb=100" && pass
  out=$($RAW noread "$P" 20 32 "$SPID")
  rss=${out#rss }
  [ "${rss:-999999999}" -lt $((256 * 1024)) ] && pass || fail rss "server RSS $out KiB with 20 clients not reading (bound 256 MiB)"
  curl -s -m 1 -o /dev/null "$URL/loop"
  wait_log client-gone 'path=/loop reason="interrupted: the client went away"' 10
  curl -s -m 1 -o /dev/null "$URL/sleep?ms=60000"
  wait_log client-gone-sleep 'path="/sleep\?ms=60000" reason="interrupted: the client went away"' 10
  curl -s -m 30 -o /dev/null "$URL/loop" &
  curl -s -m 30 -o /dev/null "$URL/sleep?ms=600000" &
  sleep 0.5
  stop_within sigterm-loop 5
  grep -q 'path="/sleep?ms=600000" reason="interrupted: the server is stopping"' "$T/log" && pass ||
    fail sigterm-sleep "the sleeping guest was not interrupted"
  grep -q 'path=/loop reason="interrupted: the server is stopping"' "$T/log" && pass ||
    fail sigterm-loop-log "the looping guest was not interrupted"
  wait 2>/dev/null
fi
# the concurrency cap: one worker busy, one request queued, the next is a
# 503 at once; the two loops end at the deadline
if start "$HC" --workers 1 --queue 1 --timeout 2s; then
  curl -s -m 30 -o /dev/null "$URL/loop" & Q1=$!
  sleep 0.3
  curl -s -m 30 -o /dev/null "$URL/loop" & Q2=$!
  sleep 0.3
  req queue-full 503 "$URL/third" && pass
  grep -q 'at capacity, request refused' "$T/log" && pass || fail queue-full-log "no log line"
  wait $Q1 $Q2
  stop
else
  fail queue-start "the server did not start"
fi
# 5. IPv6
: >"$T/log"
"$LATTICE" serve "$HC" --addr '[::1]:0' 2>"$T/log" &
SPID=$!
for _ in $(seq 1 100); do grep -q 'url=http://\[::1\]:' "$T/log" && break; sleep 0.1; done
U6=$(grep -o 'http://\[::1\]:[0-9]*' "$T/log" | head -n 1)
if [ -n "$U6" ]; then
  req ipv6 200 -g "$U6/six" && { grep -qx 'hello from C: GET /six' "$T/out" && pass || fail ipv6 "body"; }
else
  fail ipv6 "no [::1] listener"
fi
stop

# ---- the componentize-js components ------------------------------------------------------
JSC=$C/hello_http.wasm
FJS=$C/fetch_http.wasm
if [ ! -f "$JSC" ] || [ ! -f "$FJS" ] || [ tests/component/http/app.js -nt "$JSC" ] ||
   [ tests/component/http/fetch.js -nt "$FJS" ]; then
  echo "serve: building the componentize-js components (tests/component/build.sh --http)"
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

# ---- outgoing requests (fetch_http.wasm) ----------------------------------------------------
# upstream NAME PATTERN CMD...: starts an upstream in the background (its
# output in $T/NAME.log); sets PORT to the number after PATTERN in it
upstream() {
  local name=$1 pat=$2
  shift 2
  "$@" >"$T/$name.log" 2>&1 &
  UPIDS+=($!)
  PORT=
  for _ in $(seq 1 100); do
    PORT=$(grep -oE "$pat[0-9]+" "$T/$name.log" | head -n 1 | grep -oE '[0-9]+$')
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  return 1
}
# fetch NAME WANT_STATUS URL [CURL_ARGS...]: a request to the fetch server
fetch() {
  local name=$1 want=$2 target=$3
  shift 3
  req "$name" "$want" -m 60 "$@" "$URL/?url=$target"
}
if [ -f "$FJS" ]; then
  mkdir -p "$T/www"
  echo "upstream file $$" >"$T/www/file.txt"
  upstream www 'port ' python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T/www"
  WWW=$PORT
  # the same, on a port that is not on the list
  upstream www2 'port ' python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T/www"
  WWW2=$PORT
  # accepts connections and never answers (stops by itself after 180 s)
  upstream mute 'port ' python3 -u -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print("port", s.getsockname()[1], flush=True)
s.settimeout(1); held = []; end = time.time() + 180
while time.time() < end:
    try: held.append(s.accept()[0])
    except socket.timeout: pass'
  MUTE=$PORT
  # the C component as a second upstream, for POST bodies
  upstream echo 'url=http://127.0.0.1:' "$LATTICE" serve "$HC" --addr 127.0.0.1:0
  ECHO_PID=$!
  ECHO=http://127.0.0.1:$PORT
  if [ -z "$WWW" ] || [ -z "$WWW2" ] || [ -z "$MUTE" ] || [ "$ECHO" = http://127.0.0.1: ]; then
    fail fetch-upstreams "an upstream did not start (www=$WWW www2=$WWW2 mute=$MUTE echo=$ECHO)"
  elif ! start "$FJS" --threads 4 --allow-http "127.0.0.1:$WWW" --allow-http "127.0.0.1:$MUTE" \
         --allow-http "127.0.0.1:${ECHO##*:}"; then
    fail fetch-start "the server did not start"
  else
    pass
    # the silent upstream first, in the background: it takes the 30 s limit
    curl -s -m 60 -o "$T/mute.out" -w '%{http_code}' "$URL/?url=http://127.0.0.1:$MUTE/x" \
      >"$T/mute.code" 2>/dev/null &
    MUTE_CURL=$!
    fetch fetch-get 200 "http://127.0.0.1:$WWW/file.txt" &&
      { [ "$(cat "$T/out")" = "upstream 200: upstream file $$" ] && pass ||
          fail fetch-get "got: $(head -c 200 "$T/out")"; }
    fetch fetch-404 200 "http://127.0.0.1:$WWW/missing.txt" &&
      { grep -q '^upstream 404: ' "$T/out" && pass || fail fetch-404 "got: $(head -c 100 "$T/out")"; }
    fetch fetch-post 200 "$ECHO/echo" -X POST --data-binary 'posted through' &&
      { [ "$(cat "$T/out")" = "upstream 200: echo: posted through" ] && pass ||
          fail fetch-post "got: $(head -c 200 "$T/out")"; }
    head -c 200000 /dev/urandom | base64 -w 0 >"$T/big2"
    fetch fetch-post-big 200 "$ECHO/echo" -X POST --data-binary @"$T/big2" &&
      { [ "$(cat "$T/out")" = "upstream 200: echo: $(cat "$T/big2")" ] && pass ||
          fail fetch-post-big "body differs"; }
    # the host must match exactly: localhost is not 127.0.0.1, and the
    # request never reaches the upstream
    fetch fetch-host-denied 502 "http://localhost:$WWW/denied.txt" &&
      { grep -q '^fetch failed: ' "$T/out" && pass || fail fetch-host-denied "got: $(head -c 100 "$T/out")"; }
    grep -q denied.txt "$T/www.log" && fail fetch-host-denied "the upstream saw the request" || pass
    fetch fetch-port-denied 502 "http://127.0.0.1:$WWW2/port.txt" && pass
    grep -q port.txt "$T/www2.log" && fail fetch-port-denied "the upstream saw the request" || pass
    wait "$MUTE_CURL"
    code=$(cat "$T/mute.code")
    if [ "$code" = 502 ] && grep -q '^fetch failed: ' "$T/mute.out"; then pass
    else fail fetch-timeout "status $code (000: no answer in 60 s), body: $(head -c 100 "$T/mute.out")"; fi
    fetch fetch-after 200 "http://127.0.0.1:$WWW/file.txt" && pass
    stop
  fi
  # no --allow-http at all: every outgoing request is denied
  if start "$FJS"; then
    fetch fetch-no-allow 502 "http://127.0.0.1:$WWW/nolist.txt" &&
      { grep -q '^fetch failed: ' "$T/out" && pass || fail fetch-no-allow "got: $(head -c 100 "$T/out")"; }
    grep -q nolist.txt "$T/www.log" && fail fetch-no-allow "the upstream saw the request" || pass
    code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$URL/?url=http://127.0.0.1:$WWW/file.txt")
    [ "$code" = 502 ] && kill -0 "$SPID" 2>/dev/null && pass || fail fetch-no-allow-again "status $code"
  else
    fail fetch-no-allow-start "the server did not start"
  fi
  stop
  # a host-only entry allows any port (the silent upstream's here), and a
  # transfer does not outlive the request's --timeout: the guest traps (500)
  if start "$FJS" --timeout 3s --allow-http 127.0.0.1; then
    fetch fetch-deadline 500 "http://127.0.0.1:$MUTE/slow" && pass
    grep -q 'path="/?url=http://127.0.0.1:[0-9]*/slow" reason="deadline exceeded"' "$T/log" && pass ||
      fail fetch-deadline-log "no deadline trap in the log"
  else
    fail fetch-deadline-start "the server did not start"
  fi
  stop
  # the C upstream served the POSTs under the sanitizers: a clean exit
  kill "$ECHO_PID" 2>/dev/null
  wait "$ECHO_PID" 2>/dev/null
  rc=$?
  if grep -qE 'Sanitizer|runtime error:' "$T/echo.log" || [ $rc -ne 0 ]; then
    fail fetch-echo-exit "rc $rc: $(grep -m1 -E 'Sanitizer|runtime error:' "$T/echo.log")"
  else pass; fi
fi

# ---- errors ------------------------------------------------------------------------------
timeout 60 "$LATTICE" serve "$C/hello.component.wasm" --addr 127.0.0.1:0 >"$T/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'incoming-handler' "$T/out" && pass || fail not-http "rc $rc"
timeout 10 "$LATTICE" serve "$HC" --addr nonsense >"$T/out" 2>&1
[ $? -eq 2 ] && grep -q 'bad --addr' "$T/out" && pass || fail bad-addr "not rejected"
timeout 10 "$LATTICE" serve "$HC" --allow-http 'http://example.com/' >"$T/out" 2>&1
[ $? -eq 2 ] && grep -q 'bad --allow-http' "$T/out" && pass || fail bad-allow "not rejected"

echo "serve: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
