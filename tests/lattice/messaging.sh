#!/usr/bin/env bash
# The messaging suite: wasmcloud:messaging@0.2.0 over the lattice, with the
# built-in messaging-nats provider (src/providers/builtin) on H2 and the
# components of examples/messaging on H1, so every call between them
# crosses hosts over wRPC.  A real nats-server carries the lattice and the
# messages; a second one (max_payload 2048) is a cluster of its own.
#
#   reply      a plain NATS request on a subscribed subject (and a wildcard
#              one) reaches the handler component (examples/messaging/
#              handler.c), whose consumer.publish to the reply-to answers it;
#              a message without reply-to is answered on handled.SUBJECT; an
#              error result from the handler is logged by the provider
#   http       the requester component (examples/messaging/requester.c),
#              behind the host's HTTP server: consumer.request round trip
#              through the handler, no responders, a timeout;
#              consumer.publish seen by a plain subscriber, a bad subject
#              refused
#   raw        wRPC straight to the provider's consumer (build/debug/
#              wrpc_raw): an unlinked source-id gets an error result and
#              nothing is published; a linked one publishes; malformed
#              parameters are refused; requests waiting at once are capped;
#              the provider keeps serving
#   cluster    a link whose config names the second cluster publishes
#              there; a body over that cluster's max_payload is refused
#   link-del   handler link deleted: no more deliveries; consumer link
#              deleted: the component's call fails, and the provider
#              refuses the same caller at once; both put back: served again
#   restart    the provider killed with SIGKILL: the host restarts it (its
#              links come in HostData) and deliveries resume
#   queue      a second provider instance on each host and the handler on
#              both hosts: a `subject|queue` subscription handles each
#              message once, a plain one once per provider instance
#   stop       `lattice stop provider`: it shuts down cleanly
#
# Every process is started here and stopped by its pid, even on failure;
# every wait is bounded.  Ends with `messaging: N passed, N failed`.
# Env: LATTICE (default build/debug/lattice), WRPC_RAW.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
E=$ROOT/build/examples
NATSPY="python3 $ROOT/tests/lattice/nats.py"
WRAW=${WRPC_RAW:-$ROOT/build/debug/wrpc_raw}
T=$(mktemp -d /tmp/lattice-msg.XXXXXX)
NPID=
N2PID=
HPIDS=()
BG=()
cleanup() {
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  # the providers the hosts started (a host killed with -9 cannot stop its own)
  kill_providers "provider messaging-nats" # a host killed with -9 cannot stop its own
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  [ -n "$N2PID" ] && kill "$N2PID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "messaging: kept $T" || rm -rf "$T"
}
trap cleanup EXIT
SUITE=messaging
. "$ROOT/tests/lattice/lib.sh"

HANDLER=$E/messaging_handler.component.wasm
REQ=$E/messaging_requester.component.wasm
for b in "$LATTICE" "$WRAW"; do
  if [ ! -x "$b" ]; then
    echo "messaging: $b is missing (make debug)"
    echo "messaging: 0 passed, 1 failed"
    exit 1
  fi
done
if [ ! -f "$HANDLER" ] || [ ! -f "$REQ" ] ||
   [ -n "$(find examples/messaging examples/build.sh -newer "$REQ" -type f | head -n 1)" ]; then
  if ! examples/build.sh "$E" >"$T/build.log" 2>&1 || [ ! -f "$REQ" ]; then
    cat "$T/build.log"
    echo "messaging: 0 passed, 1 failed"
    exit 1
  fi
fi

# ---- two nats-servers, two hosts ---------------------------------------------------------
NPORT=$(free_port)
if ! start_nats; then
  cat "$T/nats.log"
  echo "messaging: 0 passed, 1 failed (nats-server did not start)"
  exit 1
fi
N2PORT=$(free_port)
printf 'listen: 127.0.0.1:%s\nmax_payload: 2048\n' "$N2PORT" >"$T/n2.conf"
nats-server -c "$T/n2.conf" >>"$T/nats2.log" 2>&1 &
N2PID=$!
for _ in $(seq 1 100); do $NATSPY "$N2PORT" ping 2>/dev/null && break; sleep 0.1; done
lattice_wrapper

start_host() { # N [ARGS...]
  local n=$1
  shift
  LATTICE_PROVIDER_FIRST_HEALTH_MS=300 LATTICE_PROVIDER_HEALTH_MS=700 \
  LATTICE_PROVIDER_RESTART_MS=300 \
    "$LATTICE" host --nats-port "$NPORT" --allow-file-load --friendly-name "host-$n" "$@" \
    >"$T/host$n.log" 2>&1 &
  HPIDS[$n]=$!
}
start_host 1
start_host 2
wait_hosts 2
[ "$nh" -eq 2 ] && pass || fail hosts "host.ping gathered $nh hosts, want 2"
H1=$(hid 1) H2=$(hid 2)
prov_pid() { # ID HOST_N: the provider's latest pid in that host's log
  grep -o "provider process started provider_id=$1 pid=[0-9]*" "$T/host$2.log" | tail -n 1 | sed 's/.*pid=//'
}
nreq() { # SUBJECT DATA [TRIES]: a plain NATS request, polled until a reply comes
  for _ in $(seq 1 "${3:-50}"); do
    $NATSPY "$NPORT" req "$1" --data "$2" --wait 2 >"$T/out" 2>"$T/err" && return 0
    sleep 0.1
  done
  return 1
}
bgsub() { # PORT SUBJECT COUNT WAIT FILE: a plain subscriber in the background
  rm -f "$5.ready"
  $NATSPY "$1" sub "$2" --count "$3" --wait "$4" --ready "$5.ready" >"$5" 2>/dev/null &
  BG+=($!)
  SUBPID=$!
  for _ in $(seq 1 50); do [ -f "$5.ready" ] && break; sleep 0.1; done
}

# ---- set up: the provider on H2, the components on H1 --------------------------------------
ok msgcfg L config put msgcfg "cluster_uris=nats://127.0.0.1:$NPORT"
ok prov L start provider wasmcloud+builtin://messaging-nats nats --host-id "$H2" --config msgcfg -o json
grep -q 'provider_started' "$T/out" && pass || fail prov-started "no provider_started"
until_grep "$T/host2.log" "ready provider_id=nats default_cluster=nats://127.0.0.1:$NPORT" &&
  pass || fail prov-ready "the provider did not log ready with its configured cluster"
ok echo L start component "file://$HANDLER" echo --host-id "$H1"
ok req L start component "file://$REQ" req --host-id "$H1"
ok subs L config put echo-subs "SUBSCRIPTIONS=demo.echo, demo.wild.*"
ok link-handler L link put nats echo wasmcloud messaging --interface handler --source-config echo-subs
ok link-echo L link put echo nats wasmcloud messaging --interface consumer
ok link-req L link put req nats wasmcloud messaging --interface consumer
W=$(free_port)
ok http L start provider wasmcloud+builtin://http-server http-server --host-id "$H1"
ok addr L config put req-addr "address=127.0.0.1:$W"
ok http-link L link put http-server req wasi http --interface incoming-handler --source-config req-addr
until_grep "$T/host2.log" 'subscribed subject=demo.wild.\* queue= component=echo' &&
  pass || fail subscribed "the provider did not subscribe for echo"

# ---- request/reply through the handler -------------------------------------------------------
bgsub "$NPORT" 'default.echo.wrpc.>' 1 20 "$T/wsub"
WSUB=$SUBPID
nreq demo.echo hello && [ "$(cat "$T/out")" = HELLO ] && pass || fail reply "want HELLO, got: $(cat "$T/out")"
wait "$WSUB" 2>/dev/null
[ -s "$T/wsub" ] && pass || fail reply-wrpc "no message on default.echo.wrpc.> (not delivered over wRPC?)"
nreq demo.wild.x 'mixed Case 1' 5 && [ "$(cat "$T/out")" = 'MIXED CASE 1' ] && pass ||
  fail reply-wildcard "got: $(cat "$T/out")"
bgsub "$NPORT" handled.demo.echo 1 10 "$T/handled"
$NATSPY "$NPORT" pub demo.echo --data 'no reply' >/dev/null 2>&1
wait "$SUBPID" 2>/dev/null
[ "$(cat "$T/handled")" = 'NO REPLY' ] && pass || fail no-reply-to "handled.demo.echo got: $(cat "$T/handled")"
$NATSPY "$NPORT" pub demo.echo --data fail >/dev/null 2>&1
until_grep "$T/host2.log" 'component=echo handle-message returned an error: asked to fail' &&
  pass || fail handler-error "the provider did not log the handler's error result"

# ---- the HTTP component: consumer.request and consumer.publish ---------------------------------
post() { # PATH DATA: curl, body in $T/out, status in $code
  code=$(curl -s -m 15 -o "$T/out" -w '%{http_code}' --data-binary "$2" "http://127.0.0.1:$W$1")
}
for _ in $(seq 1 50); do post /request/demo.echo abc; [ "$code" = 200 ] && break; sleep 0.1; done
[ "$code" = 200 ] && [ "$(cat "$T/out")" = ABC ] && pass ||
  fail http-request "HTTP $code: $(cat "$T/out") (component -> provider -> NATS -> handler -> reply)"
post /request/nobody.home x
[ "$code" = 502 ] && grep -q 'error: request to nobody.home: no responders' "$T/out" && pass ||
  fail http-no-responders "HTTP $code: $(cat "$T/out")"
bgsub "$NPORT" slow.x 5 20 "$T/slow" # a responder that never answers
post '/request/slow.x?ms=300' x
[ "$code" = 502 ] && grep -q 'timed out after 300 ms' "$T/out" && pass ||
  fail http-timeout "HTTP $code: $(cat "$T/out")"
bgsub "$NPORT" out.x 1 10 "$T/outx"
post /publish/out.x 'published data'
[ "$code" = 200 ] && grep -q published "$T/out" && pass || fail http-publish "HTTP $code: $(cat "$T/out")"
wait "$SUBPID" 2>/dev/null
[ "$(cat "$T/outx")" = 'published data' ] && pass || fail http-publish-seen "out.x got: $(cat "$T/outx")"
post /publish/bad..subject x
[ "$code" = 502 ] && grep -q 'not a valid NATS subject' "$T/out" && pass ||
  fail http-bad-subject "HTTP $code: $(cat "$T/out")"

# ---- raw wRPC callers of the provider's consumer -------------------------------------------
NURL="nats://127.0.0.1:$NPORT"
CONS=wasmcloud:messaging/consumer@0.2.0
pubhex() { # SUBJECT BODY|--size=N: publish's params (a broker-message without reply-to)
  python3 -c '
import sys
def leb(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out
s = sys.argv[1].encode()
a = sys.argv[2]
body = b"x" * int(a[7:]) if a.startswith("--size=") else a.encode()
print((leb(len(s)) + s + leb(len(body)) + body + b"\x00").hex())' "$1" "$2"
}
errtext() { # the error string of a result<_, string> given as hex in $T/out
  python3 -c '
import sys
b = bytes.fromhex(open(sys.argv[1]).read().strip() or "")
print(b[2:].decode(errors="replace") if b[:1] == b"\x01" else "NOT AN ERROR: " + b.hex())' "$T/out"
}
bgsub "$NPORT" raw.x 1 4 "$T/rawx"
ok raw-unlinked "$WRAW" "$NURL" nats "$CONS" publish "$(pubhex raw.x intruding)" source-id=intruder
errtext | grep -q 'intruder has no link `default` to this provider' && pass ||
  fail raw-unlinked-refused "want an error result, got: $(cat "$T/out")"
wait "$SUBPID" 2>/dev/null
[ -s "$T/rawx" ] && fail raw-unlinked-silent "the unlinked caller's message was published" || pass
ok raw-no-source "$WRAW" "$NURL" nats "$CONS" publish "$(pubhex raw.x x)"
errtext | grep -q 'no source-id' && pass || fail raw-no-source-refused "got: $(cat "$T/out")"
bgsub "$NPORT" raw.x 1 10 "$T/rawx"
ok raw-linked "$WRAW" "$NURL" nats "$CONS" publish "$(pubhex raw.x linked)" source-id=req
[ "$(cat "$T/out")" = 00 ] && pass || fail raw-linked-ok "want 00 (ok), got: $(cat "$T/out")"
wait "$SUBPID" 2>/dev/null
[ "$(cat "$T/rawx")" = linked ] && pass || fail raw-linked-seen "raw.x got: $(cat "$T/rawx")"
PPID1=$(prov_pid nats 2)
for params in ff01 "$(pubhex raw.x x)00" 0161 ""; do
  ok "raw-malformed-$params" "$WRAW" "$NURL" nats "$CONS" publish "${params:-00}" source-id=req
  [ "$(cat "$T/out")" = "" ] && pass || fail "raw-malformed-$params-refused" "got: $(cat "$T/out")"
done
ok raw-malformed-request "$WRAW" "$NURL" nats "$CONS" request 0161 source-id=req
[ "$(cat "$T/out")" = "" ] && pass || fail raw-malformed-request-refused "got: $(cat "$T/out")"
# requests waiting at once are capped (so publishes always find a worker)
bgsub "$NPORT" slow.x 100 15 "$T/slow2" # takes requests, never answers
reqhex=$(python3 -c 'print((bytes([6]) + b"slow.x" + bytes([0, 0xa0, 0x1f])).hex())') # 4000 ms
busy=()
for i in $(seq 1 14); do
  "$WRAW" "$NURL" nats "$CONS" request "$reqhex" source-id=req >"$T/busy$i" 2>&1 &
  busy+=($!)
  BG+=($!)
done
for p in "${busy[@]}"; do wait "$p" 2>/dev/null; done
counts=$(python3 -c '
import sys
full = late = 0
for f in sys.argv[1:]:
    b = bytes.fromhex(open(f).read().strip() or "")
    t = b[2:].decode(errors="replace")
    full += "already waiting" in t
    late += "timed out after 4000 ms" in t
ok = full >= 1 and late <= 12 and full + late == 14
print("ok" if ok else "refused %d, timed out %d" % (full, late))' "$T"/busy*)
[ "$counts" = ok ] && pass || fail request-cap "want at most 12 of 14 waiting, the rest refused: $counts"
nreq demo.echo still 5 && [ "$(cat "$T/out")" = STILL ] && [ "$(prov_pid nats 2)" = "$PPID1" ] &&
  kill -0 "$PPID1" 2>/dev/null && pass || fail raw-provider-fine "after the bad calls: $(cat "$T/out")"

# ---- a link on another cluster, body limits ---------------------------------------------------
ok small-cfg L config put small "cluster_uris=nats://127.0.0.1:$N2PORT"
ok small-link L link put rawcaller nats wasmcloud messaging --interface consumer --target-config small
until_grep "$T/host2.log" 'link put source=rawcaller target=nats' && pass || fail small-link-seen "no link put"
bgsub "$N2PORT" small.x 1 10 "$T/smallx"
ok small-pub "$WRAW" "$NURL" nats "$CONS" publish "$(pubhex small.x tiny)" source-id=rawcaller
[ "$(cat "$T/out")" = 00 ] && pass || fail small-pub-ok "got: $(cat "$T/out")"
wait "$SUBPID" 2>/dev/null
[ "$(cat "$T/smallx")" = tiny ] && pass || fail small-pub-seen "small.x on the second cluster got: $(cat "$T/smallx")"
ok small-big "$WRAW" "$NURL" nats "$CONS" publish "$(pubhex small.x --size=3000)" source-id=rawcaller
errtext | grep -q 'body of 3000 bytes is larger than the 2048 bytes allowed' && pass ||
  fail small-big-refused "got: $(errtext)"

# ---- link deletes ---------------------------------------------------------------------------
ok del-handler L link del nats wasmcloud messaging
until_grep "$T/host2.log" 'link del source=nats target=echo' && pass || fail del-handler-seen "no link del"
$NATSPY "$NPORT" req demo.echo --data gone --wait 2 >"$T/out" 2>&1
grep -q 'NO REPLY' "$T/out" && pass || fail del-handler-silent "still delivered after the link del: $(cat "$T/out")"
ok del-req L link del req wasmcloud messaging
until_grep "$T/host2.log" 'link del source=req target=nats' && pass || fail del-req-seen "no link del"
post /publish/out.x x
[ "$code" = 500 ] && pass || fail del-req-http "HTTP $code after the consumer link del, want 500"
ok del-req-raw "$WRAW" "$NURL" nats "$CONS" publish "$(pubhex raw.x x)" source-id=req
errtext | grep -q 'req has no link `default` to this provider' && pass ||
  fail del-req-raw-refused "the provider still serves req: $(cat "$T/out")"
ok put-handler L link put nats echo wasmcloud messaging --interface handler --source-config echo-subs
ok put-req L link put req nats wasmcloud messaging --interface consumer
nreq demo.echo back && [ "$(cat "$T/out")" = BACK ] && pass || fail relinked "got: $(cat "$T/out")"
for _ in $(seq 1 50); do post /request/demo.echo again; [ "$code" = 200 ] && break; sleep 0.1; done
[ "$(cat "$T/out")" = AGAIN ] && pass || fail relinked-http "HTTP $code: $(cat "$T/out")"

# ---- the provider killed: restarted, deliveries resume -----------------------------------------
pid=$(prov_pid nats 2)
if [ -n "$pid" ] && ps -o args= -p "$pid" | grep -q 'provider messaging-nats'; then
  kill -9 "$pid"
  until_grep "$T/host2.log" 'restarting in' 50 && pass || fail restart-log "no restart in H2's log"
  nreq demo.echo revived 100 && [ "$(cat "$T/out")" = REVIVED ] && pass ||
    fail restart-deliveries "deliveries did not resume: $(cat "$T/out")"
  [ "$(prov_pid nats 2)" != "$pid" ] && pass || fail restart-pid "the same pid after the restart"
  post /request/demo.echo after
  [ "$code" = 200 ] && [ "$(cat "$T/out")" = AFTER ] && pass || fail restart-http "HTTP $code: $(cat "$T/out")"
else
  fail restart "no provider pid in H2's log ($pid)"
fi

# ---- queue groups: two provider instances, the handler on two hosts -------------------------------
ok q-prov1 L start provider wasmcloud+builtin://messaging-nats natsq --host-id "$H1" --config msgcfg
ok q-prov2 L start provider wasmcloud+builtin://messaging-nats natsq --host-id "$H2" --config msgcfg
ok q-echo2 L start component "file://$HANDLER" echo --host-id "$H2"
ok q-subs L config put q-subs "subscriptions=q.test|workers,p.test"
ok q-link L link put natsq echo wasmcloud messaging --interface handler --source-config q-subs
until_grep "$T/host1.log" 'subscribed subject=p.test queue= component=echo' &&
  until_grep "$T/host2.log" 'subscribed subject=p.test queue= component=echo' && pass ||
  fail q-subscribed "both natsq instances should subscribe"
bgsub "$NPORT" handled.q.test 11 6 "$T/q"
$NATSPY "$NPORT" pub q.test --data m --count 10 >/dev/null 2>&1
wait "$SUBPID" 2>/dev/null
n=$(grep -c . "$T/q")
[ "$n" -eq 10 ] && pass || fail queue-once "queue group: $n handled, want 10 (each message once)"
bgsub "$NPORT" handled.p.test 20 15 "$T/p"
$NATSPY "$NPORT" pub p.test --data m --count 10 >/dev/null 2>&1
wait "$SUBPID" 2>/dev/null
n=$(grep -c . "$T/p")
[ "$n" -eq 20 ] && pass || fail queue-plain "plain subscription: $n handled, want 20 (once per instance)"

# ---- stop ---------------------------------------------------------------------------------
pid=$(prov_pid nats 2)
ok stop L stop provider nats --host-id "$H2" -o json
grep -q provider_stopped "$T/out" && pass || fail stop-event "no provider_stopped"
until_grep "$T/host2.log" 'messaging.*shutting down' && pass || fail stop-graceful "no shutdown line"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail stop-gone "provider $pid still runs" || pass

for n in 1 2; do kill -TERM "${HPIDS[$n]}"; done
for n in 1 2; do
  for _ in $(seq 1 100); do kill -0 "${HPIDS[$n]}" 2>/dev/null || break; sleep 0.1; done
  wait "${HPIDS[$n]}" 2>/dev/null
done
for n in 1 2; do
  if grep -qE 'Sanitizer|runtime error:' "$T/host$n.log"; then
    fail "sanitizer-host$n" "report in host $n's log (the host's or a provider's)"
    grep -E -A12 'Sanitizer|runtime error:' "$T/host$n.log" | head -n 30
  else pass; fi
done
echo "messaging: $npass passed, $nfail failed"
[ $nfail -eq 0 ]
