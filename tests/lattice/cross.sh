#!/usr/bin/env bash
# The `cross` suite: calls that cross hosts, with real processes: a
# nats-server of its own on a free loopback port and three `lattice host`
# processes A (zone=a), B (zone=b), C (zone=c).
#
#   http      the built-in HTTP server on A linked to a component running
#             only on B: requests go A -> B as wrpc:http/incoming-handler;
#             status, headers both ways, an 8 MiB body echoed whole, a
#             trapping guest (502), a component gone from the lattice (404),
#             a deleted link (404 at once), 200 requests at once
#   client    outgoing HTTP only through a link to an http-client: a
#             componentize-js fetcher on B, denied without a link, served
#             through the built-in http-client on B within the link
#             config's allowed_hosts, denied outside them; then through a
#             built-in http-client on C (over wRPC), the same rules; an
#             unlinked raw caller of C's http-client refused
#   trace     a request's W3C traceparent/tracestate ride on the wRPC call
#             to B, and on the component's own calls from B (to C)
#   refused   a raw wRPC caller no link vouches for, straight to B's
#             wrpc:http subject: refused by the callee (empty results)
#   counter   examples/counter (wasi:http in, wasi:keyvalue out) with its
#             HTTP on A, the component on B and keyvalue-nats on C, then
#             keyvalue-redis on C (a redis-server of its own): 1,000
#             concurrent requests answer exactly 1..1000 each time
#
# Every process is stopped by its pid, even on failure; every wait is
# bounded.  Ends with `cross: N passed, N failed`.
# Env: LATTICE (default build/debug/lattice), WRPC_RAW.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
C=$ROOT/build/components
NATSPY="python3 $ROOT/tests/lattice/nats.py"
T=$(mktemp -d /tmp/lattice-cross.XXXXXX)
NPID= RPID=
HPIDS=()
UPIDS=() # upstream HTTP servers
cleanup() {
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  kill_providers "provider keyvalue-" # a host killed with -9 cannot stop its own
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
  for p in "${UPIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
SUITE=cross
. "$ROOT/tests/lattice/lib.sh"

HC=$C/hello_http_c.component.wasm
if [ ! -f "$HC" ] || [ -n "$(find tests/component/http_c tests/component/build.sh -newer "$HC" -type f | head -n 1)" ]; then
  echo "cross: building the test components (tests/component/build.sh)"
  if ! tests/component/build.sh "$C" >"$T/build.log" 2>&1 || [ ! -f "$HC" ]; then
    cat "$T/build.log"
    echo "cross: 0 passed, 1 failed"
    exit 1
  fi
fi

FJS=$C/fetch_http.wasm # componentize-js: fetches ?url=URL (tests/component/http/fetch.js)
if [ ! -f "$FJS" ] || [ tests/component/http/fetch.js -nt "$FJS" ]; then
  echo "cross: building the componentize-js components (tests/component/build.sh --http)"
  if ! tests/component/build.sh "$C" --http >"$T/build.log" 2>&1 || [ ! -f "$FJS" ]; then
    tail -n 20 "$T/build.log"
    echo "cross: 0 passed, 1 failed"
    exit 1
  fi
fi
COUNTER=$ROOT/build/examples/counter.component.wasm
if [ ! -f "$COUNTER" ] || [ -n "$(find examples/counter examples/build.sh -newer "$COUNTER" -type f | head -n 1)" ]; then
  if ! examples/build.sh >"$T/build.log" 2>&1 || [ ! -f "$COUNTER" ]; then
    cat "$T/build.log"
    echo "cross: 0 passed, 1 failed (examples/build.sh)"
    exit 1
  fi
fi

NPORT=$(free_port)
if ! start_nats; then
  cat "$T/nats.log"
  echo "cross: 0 passed, 1 failed (nats-server did not start)"
  exit 1
fi
lattice_wrapper

start_host() { # N LABEL [ARGS...]
  local n=$1 label=$2
  shift 2
  "$LATTICE" host --nats-port "$NPORT" --allow-file-load --label "$label" \
    --friendly-name "host-$n" --heartbeat-interval-seconds 1 "$@" >"$T/host$n.log" 2>&1 &
  HPIDS[$n]=$!
}
start_host 1 zone=a
start_host 2 zone=b
start_host 3 zone=c
wait_hosts 3
[ "$nh" -eq 3 ] && pass || fail hosts "host.ping gathered $nh hosts, want 3"
HA=$(hid 1) HB=$(hid 2) HCC=$(hid 3)

# ---- HTTP on A, the component on B -----------------------------------------------------
WPORT=$(free_port)
URL="http://127.0.0.1:$WPORT"
ok start-b L start component "file://$HC" hello --host-id "$HB"
ok http-a L start provider wasmcloud+builtin://http-server http-server --host-id "$HA"
ok cfg L config put web "address=127.0.0.1:$WPORT"
ok link L link put http-server hello wasi http --interface incoming-handler --source-config web
code=
get() { # PATH [CURL ARGS...]: body in $T/out, headers in $T/hdr, status in $code
  local p=$1
  shift
  code=$(curl -s -o "$T/out" -D "$T/hdr" -w '%{http_code}' --max-time 30 "$@" "$URL$p" 2>"$T/err")
}
for _ in $(seq 1 100); do get /up; [ "$code" = 200 ] && break; sleep 0.1; done
[ "$code" = 200 ] && grep -q 'hello from C: GET /up' "$T/out" && pass ||
  fail remote-get "HTTP $code from A for a component on B"
get /hdr -H 'x-echo: abc'
[ "$code" = 200 ] && grep -qi '^x-echo-back: abc' "$T/hdr" && grep -qi '^x-lattice: c' "$T/hdr" &&
  pass || fail remote-headers "request and response headers did not cross (HTTP $code)"
# W3C trace context: the request's traceparent rides on the wRPC call A -> B
$NATSPY "$NPORT" sub 'default.hello.wrpc.>' --headers --count 1 --wait 20 --ready "$T/tsub.ready" \
  >"$T/tsub" 2>/dev/null &
TSUB=$!
for _ in $(seq 1 50); do [ -f "$T/tsub.ready" ] && break; sleep 0.1; done
get /traced -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' -H 'tracestate: lattice=t1'
wait "$TSUB" 2>/dev/null
[ "$code" = 200 ] && grep -qx 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' "$T/tsub" &&
  grep -qx 'tracestate: lattice=t1' "$T/tsub" && pass ||
  fail trace-http "the wRPC call did not carry the request's trace context: $(head -c 300 "$T/tsub")"
get /teapot
[ "$code" = 418 ] && pass || fail remote-status "HTTP $code, want the guest's 418"
# 8 MiB each way: more than NATS's 1 MiB max_payload, so chunked streams
head -c $((8 << 20)) /dev/urandom >"$T/big"
get /echo -X POST --data-binary "@$T/big"
want=$( (printf 'echo: '; cat "$T/big") | sha256sum | cut -d' ' -f1)
[ "$code" = 200 ] && [ "$(sha256sum <"$T/out" | cut -d' ' -f1)" = "$want" ] && pass ||
  fail remote-8mib "HTTP $code, $(wc -c <"$T/out") bytes back, want 'echo: ' + 8 MiB"
get /trap
[ "$code" = 502 ] && grep -q 'http request over wRPC failed component=hello' "$T/host2.log" && pass ||
  fail remote-trap "HTTP $code for a trapping guest on B, want 502 and B's log saying why"
get /after-trap
[ "$code" = 200 ] && pass || fail remote-after-trap "HTTP $code after a trap"
# 200 requests at once, all answered
seq 1 200 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 "$URL/n/{}" >"$T/codes"
[ "$(grep -c '^200$' "$T/codes")" = 200 ] && pass ||
  fail remote-concurrent "$(sort "$T/codes" | uniq -c | tr '\n' ' ')"

# ---- refused: a caller no link vouches for ---------------------------------------------
WRAW=${WRPC_RAW:-$ROOT/build/debug/wrpc_raw}
NURL="nats://127.0.0.1:$NPORT"
# a POST request with everything inline: body stream ready, one chunk "a" (01 61),
# trailers future ready with none (01 00), method post (02), path, scheme and authority
# none, no headers
ok raw-unlinked "$WRAW" "$NURL" hello wrpc:http/incoming-handler@0.1.0 handle 016101000200000000 \
  source-id=intruder
[ "$(cat "$T/out")" = "" ] && until_grep "$T/host2.log" 'refused wrpc:http/incoming-handler@0.1.0.handle on hello from intruder' 30 &&
  pass || fail raw-unlinked-refused "want an empty result and the refusal in B's log"
get /still
[ "$code" = 200 ] && pass || fail after-raw "HTTP $code after the refused call"

# ---- the link and the component go away ------------------------------------------------
ok unlink L link del http-server wasi http
get /gone
[ "$code" = 404 ] || [ "$code" = 000 ] && pass || fail unlinked "HTTP $code right after link del"
ok relink L link put http-server hello wasi http --interface incoming-handler --source-config web
for _ in $(seq 1 100); do get /back; [ "$code" = 200 ] && break; sleep 0.1; done
[ "$code" = 200 ] && pass || fail relinked "HTTP $code after the link came back"
ok stop-b L stop component hello --host-id "$HB"
for _ in $(seq 1 50); do get /nobody; [ "$code" = 404 ] && break; sleep 0.1; done
[ "$code" = 404 ] && grep -q 'runs on no host' "$T/out" && pass ||
  fail no-host "HTTP $code when no host runs the component, want 404"

# ---- outgoing HTTP through an http-client link ------------------------------------------
mkdir -p "$T/www"
echo "upstream file $$" >"$T/www/file.txt"
upstream() { # NAME: a python http.server on a free port, its port in PORT
  "python3" -u -m http.server 0 --bind 127.0.0.1 --directory "$T/www" >"$T/$1.log" 2>&1 &
  UPIDS+=($!)
  PORT=
  for _ in $(seq 1 100); do
    PORT=$(grep -oE 'port [0-9]+' "$T/$1.log" | head -n 1 | grep -oE '[0-9]+$')
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  return 1
}
upstream www && WWW=$PORT
upstream www2 && WWW2=$PORT
FPORT=$(free_port)
ok fetch-b L start component "file://$FJS" fetch --host-id "$HB" --max-instances 4
ok fetch-web L config put fetch-web "address=127.0.0.1:$FPORT" timeout_ms=60000
ok fetch-http L link put http-server fetch wasi http --interface incoming-handler \
  --source-config fetch-web --link-name fetch
fetch() { # WANT_STATUS URL: through the fetcher; body in $T/out
  for _ in $(seq 1 50); do
    code=$(curl -s -o "$T/out" -w '%{http_code}' -m 90 "http://127.0.0.1:$FPORT/?url=$2" 2>/dev/null)
    [ "$code" != 000 ] && [ "$code" != 404 ] && break
    sleep 0.2
  done
  [ "$code" = "$1" ]
}
fetch 502 "http://127.0.0.1:$WWW/file.txt" && grep -q 'fetch failed' "$T/out" &&
  until_grep "$T/host2.log" 'outgoing http request denied component=fetch' 30 && pass ||
  fail client-unlinked "HTTP $code without an http-client link, want 502 and the denial in B's log: $(head -c 200 "$T/out")"
ok httpc-b L start provider wasmcloud+builtin://http-client httpc --host-id "$HB"
ok httpc-cfg L config put httpc-cfg "allowed_hosts=example.invalid, 127.0.0.1:$WWW"
ok client-link L link put fetch httpc wasi http --interface outgoing-handler --target-config httpc-cfg
fetch 200 "http://127.0.0.1:$WWW/file.txt" && grep -q "upstream 200: upstream file $$" "$T/out" && pass ||
  fail client-local "HTTP $code through the http-client on B: $(head -c 200 "$T/out")"
fetch 502 "http://127.0.0.1:$WWW2/file.txt" &&
  until_grep "$T/host2.log" 'not in allowed_hosts of its link to httpc' 30 && pass ||
  fail client-not-allowed "HTTP $code for a destination outside allowed_hosts: $(head -c 200 "$T/out")"
# the http-client on another host (C): B sends the request there over wRPC
ok httpc-c L start provider wasmcloud+builtin://http-client httpcc --host-id "$HCC"
ok client-unlink L link del fetch wasi http
ok client-link-c L link put fetch httpcc wasi http --interface outgoing-handler --target-config httpc-cfg
fetch 200 "http://127.0.0.1:$WWW/file.txt" && grep -q "upstream 200: upstream file $$" "$T/out" && pass ||
  fail client-remote "HTTP $code through the http-client on C: $(head -c 200 "$T/out")"
fetch 502 "http://127.0.0.1:$WWW2/file.txt" &&
  until_grep "$T/host3.log" 'is not in allowed_hosts of the link' 30 && pass ||
  fail client-remote-not-allowed "HTTP $code for a destination outside allowed_hosts, via C: $(head -c 200 "$T/out")"
# a caller with no link to the http-client, straight to its wRPC subject: refused by C
ok raw-client-unlinked "$WRAW" "$NURL" httpcc wrpc:http/outgoing-handler@0.1.0 handle 01780100000000000000 \
  source-id=intruder
[ "$(cat "$T/out")" = "" ] &&
  until_grep "$T/host3.log" 'refused wrpc:http/outgoing-handler@0.1.0.handle on httpcc from intruder' 30 &&
  pass || fail raw-client-refused "want an empty result and the refusal in C's log"

# ---- the counter: HTTP on A, the component on B, keyvalue on C --------------------------
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" \
  >"$T/redis.log" 2>&1 &
RPID=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$RPORT") 2>/dev/null && break
  sleep 0.1
done
CPORT=$(free_port)
ok counter-b L start component "file://$COUNTER" counter --host-id "$HB" --max-instances 64
ok kvnats-c L start provider wasmcloud+builtin://keyvalue-nats kvnats --host-id "$HCC"
ok kvredis-c L start provider wasmcloud+builtin://keyvalue-redis kvredis --host-id "$HCC"
ok counter-web L config put counter-web "address=127.0.0.1:$CPORT" timeout_ms=60000
ok counter-http L link put http-server counter wasi http --interface incoming-handler \
  --source-config counter-web --link-name counter
ok nats-cfg L config put kvnats-cfg bucket=cross "cluster_uri=nats://127.0.0.1:$NPORT" \
  enable_bucket_auto_create=true
ok redis-cfg L config put kvredis-cfg "URL=redis://127.0.0.1:$RPORT/0"
KVI=(--interface store --interface atomics --interface batch)
ok counter-kvnats L link put counter kvnats wasi keyvalue "${KVI[@]}" --target-config kvnats-cfg
thousand() { # LABEL KEY: 1,000 concurrent increments of KEY answer exactly 1..1000
  local label=$1 key=$2
  for _ in $(seq 1 100); do
    code=$(curl -s -o "$T/out" -w '%{http_code}' -m 20 "http://127.0.0.1:$CPORT/get/warm" 2>/dev/null)
    { [ "$code" = 200 ] || [ "$code" = 404 ]; } && break
    sleep 0.2
  done
  seq 1 1000 | xargs -P 100 -I{} curl -s -m 120 "http://127.0.0.1:$CPORT/inc/$key" >"$T/$label.hits" 2>/dev/null
  local distinct max
  distinct=$(sort -n "$T/$label.hits" | uniq | grep -c '^[0-9][0-9]*$')
  max=$(sort -n "$T/$label.hits" | tail -n 1)
  [ "$distinct" -eq 1000 ] && [ "$max" = 1000 ] && pass ||
    fail "$label-1000" "$distinct distinct answers, largest $max, want 1..1000 (warm-up HTTP $code)"
  code=$(curl -s -o "$T/out" -w '%{http_code}' -m 20 "http://127.0.0.1:$CPORT/get/$key")
  [ "$code" = 200 ] && [ "$(cat "$T/out")" = 1000 ] && pass ||
    fail "$label-final" "the count is $(cat "$T/out") (HTTP $code), want 1000"
}
thousand nats-3hosts hits
# the trace context reaches the component's own calls (B -> keyvalue on C)
$NATSPY "$NPORT" sub 'default.kvnats.wrpc.>' --headers --count 1 --wait 20 --ready "$T/ksub.ready" \
  >"$T/ksub" 2>/dev/null &
KSUB=$!
for _ in $(seq 1 50); do [ -f "$T/ksub.ready" ] && break; sleep 0.1; done
code=$(curl -s -o "$T/out" -w '%{http_code}' -m 20 -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' "http://127.0.0.1:$CPORT/inc/traced")
wait "$KSUB" 2>/dev/null
[ "$code" = 200 ] && grep -qx 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' "$T/ksub" && grep -qx 'source-id: counter' "$T/ksub" &&
  pass || fail trace-nested "the keyvalue call from B did not carry the trace context: $(head -c 300 "$T/ksub")"
code=$(curl -s -o "$T/out" -w '%{http_code}' -m 20 -H 'traceparent: 00-zz-bad' "http://127.0.0.1:$CPORT/inc/traced")
[ "$code" = 200 ] && pass || fail trace-malformed "HTTP $code for a malformed traceparent (ignored, W3C)"
ok counter-unlink L link del counter wasi keyvalue
ok counter-kvredis L link put counter kvredis wasi keyvalue "${KVI[@]}" --target-config kvredis-cfg
thousand redis-3hosts hits
grep -q 'provider process started provider_id=kvnats' "$T/host3.log" &&
  ! grep -q 'provider process started provider_id=kv' "$T/host1.log" "$T/host2.log" && pass ||
  fail kv-on-c "the keyvalue providers did not run on C alone"

for n in 1 2 3; do
  if grep -q 'AddressSanitizer\|runtime error:' "$T/host$n.log"; then
    fail "sanitizer-host$n" "$(grep -m1 'AddressSanitizer\|runtime error:' "$T/host$n.log")"
  else pass; fi
done
echo "cross: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
