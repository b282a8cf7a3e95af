#!/usr/bin/env bash
# The keyvalue suite: wasi:keyvalue over the lattice (PROTOCOL.md §4.5,
# §14.2): the host shim (src/host/host_keyvalue.c) and the built-in
# providers keyvalue-nats and keyvalue-redis, against a real nats-server
# (JetStream) and a real redis-server on loopback ports of their own, with
# three `lattice host` processes.
#
#   H1 runs the providers (wasmcloud+builtin://keyvalue-nats as kvnats,
#   keyvalue-redis as kvredis); H2 runs examples/counter as `counter`, linked
#   to kvnats, H3 as `counter2`, linked to kvredis, each served by its host's
#   built-in HTTP server.  So every keyvalue call crosses hosts over wRPC.
#
#   concurrency  N requests at once increment one key: the answers are
#                exactly 1..N (no increment lost or doubled), on each backend
#   crud         get/set/delete/exists, batch get-many/set-many/delete-many,
#                list-keys followed cursor by cursor over several pages
#   errors       a bucket the link does not name: no-such-store; incrementing
#                a non-number: the provider's error reaches the guest
#   raw          a source with no link, straight to the provider's wRPC
#                subject: error::other, provider fine; malformed params:
#                an empty result stream, provider fine
#   restart      the provider killed with SIGKILL: the host restarts it and
#                calls resume (the count goes on)
#   link-del     the link deleted: the component's next call fails at once
#                (the host traps), and the provider refuses the source too
#
# Every process is started here and stopped by its pid; every wait is
# bounded.  Ends with `keyvalue: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
WRAW=${WRPC_RAW:-$ROOT/build/debug/wrpc_raw}
NATSPY="python3 $ROOT/tests/lattice/nats.py"
N=${KV_N:-200}
T=$(mktemp -d /tmp/lattice-kv.XXXXXX)
NPID=
RPID=
HPIDS=()
cleanup() {
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  kill_providers "provider keyvalue-" # a host killed with -9 cannot stop its own
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "keyvalue: kept $T" || rm -rf "$T"
}
trap cleanup EXIT
SUITE=keyvalue
. "$ROOT/tests/lattice/lib.sh"

bail() {
  echo "keyvalue: $1"
  echo "keyvalue: $npass passed, $((nfail + 1)) failed"
  exit 1
}
for tool in redis-server curl; do command -v $tool >/dev/null || bail "$tool is missing (scripts/setup.sh)"; done
[ -x "$WRAW" ] || bail "$WRAW is missing (make debug)"
COUNTER=$ROOT/build/examples/counter.component.wasm
if [ ! -f "$COUNTER" ] || [ -n "$(find examples/counter examples/build.sh -newer "$COUNTER" -type f | head -n 1)" ]; then
  examples/build.sh >"$T/build.log" 2>&1 && [ -f "$COUNTER" ] || { cat "$T/build.log"; bail "examples/build.sh failed"; }
fi

NPORT=$(free_port)
start_nats || { cat "$T/nats.log"; bail "nats-server did not start"; }
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" \
  >"$T/redis.log" 2>&1 &
RPID=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$RPORT") 2>/dev/null && break
  kill -0 "$RPID" 2>/dev/null || break
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$RPORT") 2>/dev/null || { cat "$T/redis.log"; bail "redis-server did not start"; }
lattice_wrapper
NURL="nats://127.0.0.1:$NPORT"

start_host() { # N [ARGS...]
  local n=$1
  shift
  LATTICE_PROVIDER_FIRST_HEALTH_MS=300 LATTICE_PROVIDER_HEALTH_MS=700 LATTICE_PROVIDER_RESTART_MS=300 \
    "$LATTICE" host --nats-port "$NPORT" --friendly-name "host-$n" --allow-file-load "$@" \
    >"$T/host$n.log" 2>&1 &
  HPIDS[$n]=$!
}
start_host 1
start_host 2
start_host 3
wait_hosts 3
[ "$nh" -eq 3 ] && pass || bail "host.ping gathered $nh hosts, want 3"
H1=$(hid 1) H2=$(hid 2) H3=$(hid 3)

# ---- the lattice -----------------------------------------------------------------------
W2=$(free_port)
W3=$(free_port)
ok kvnats L start provider wasmcloud+builtin://keyvalue-nats kvnats --host-id "$H1"
ok kvredis L start provider wasmcloud+builtin://keyvalue-redis kvredis --host-id "$H1"
until_grep "$T/host1.log" 'keyvalue-nats: serving wrpc:keyvalue' && pass || fail kvnats-serving "keyvalue-nats does not serve"
until_grep "$T/host1.log" 'keyvalue-redis: serving wrpc:keyvalue' && pass || fail kvredis-serving "keyvalue-redis does not serve"
ok http2 L start provider wasmcloud+builtin://http-server http2 --host-id "$H2"
ok http3 L start provider wasmcloud+builtin://http-server http3 --host-id "$H3"
ok counter L start component "file://$COUNTER" counter --host-id "$H2" --max-instances 50
ok counter2 L start component "file://$COUNTER" counter2 --host-id "$H3" --max-instances 50
ok addr2 L config put addr2 "address=127.0.0.1:$W2"
ok addr3 L config put addr3 "address=127.0.0.1:$W3"
ok http-link2 L link put http2 counter wasi http --interface incoming-handler --source-config addr2
ok http-link3 L link put http3 counter2 wasi http --interface incoming-handler --source-config addr3
ok nats-cfg L config put kvnats-cfg bucket=counters "cluster_uri=$NURL" enable_bucket_auto_create=true \
  list_keys_page_size=64
ok redis-cfg L config put kvredis-cfg "URL=redis://127.0.0.1:$RPORT/0"
KVI=(--interface store --interface atomics --interface batch)
ok nats-link L link put counter kvnats wasi keyvalue "${KVI[@]}" --target-config kvnats-cfg
ok redis-link L link put counter2 kvredis wasi keyvalue "${KVI[@]}" --target-config kvredis-cfg

code=
req() { # PORT PATH: the body in $T/out, the status in $code
  code=$(curl -s -m 20 -o "$T/out" -w '%{http_code}' "http://127.0.0.1:$1$2" 2>"$T/err")
}
until_ok() { # PORT PATH [TRIES]: polls until 200
  for _ in $(seq 1 "${3:-100}"); do
    req "$1" "$2"
    [ "$code" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}
until_ok "$W2" /inc/warmup && pass || fail nats-first "no 200 from the counter on kvnats: HTTP $code $(cat "$T/out")"
until_ok "$W3" /inc/warmup && pass || fail redis-first "no 200 from the counter on kvredis: HTTP $code $(cat "$T/out")"
grep -q 'NATS KV bucket counters opened' "$T/host1.log" && pass || fail nats-bucket "the bucket was not opened"

# ---- N concurrent increments: exactly 1..N ------------------------------------------------
concurrent() { # LABEL PORT
  local label=$1 port=$2
  seq 1 "$N" | xargs -P 50 -I{} curl -s -m 60 "http://127.0.0.1:$port/inc/hits" >"$T/$label.hits" 2>/dev/null
  local distinct max
  distinct=$(sort -n "$T/$label.hits" | uniq | grep -c '^[0-9][0-9]*$')
  max=$(sort -n "$T/$label.hits" | tail -n 1)
  [ "$distinct" -eq "$N" ] && [ "$max" = "$N" ] && pass ||
    fail "$label-concurrent" "$distinct distinct answers, largest $max, want 1..$N"
  req "$port" /get/hits
  [ "$code" = 200 ] && [ "$(cat "$T/out")" = "$N" ] && pass ||
    fail "$label-final" "the final count is $(cat "$T/out") (HTTP $code), want $N"
}
concurrent nats "$W2"
concurrent redis "$W3"

# ---- get, set, delete, exists, batch, list-keys ------------------------------------------
expect() { # LABEL PORT PATH STATUS BODY_RE
  req "$2" "$3"
  [ "$code" = "$4" ] && grep -qE -- "$5" "$T/out" && pass || fail "$1" "GET $3: HTTP $code, want $4 and /$5/"
}
crud() { # LABEL PORT
  local l=$1 p=$2
  expect "$l-set" "$p" /set/fruit/apple 200 '^ok$'
  expect "$l-get" "$p" /get/fruit 200 '^apple$'
  expect "$l-exists" "$p" /exists/fruit 200 '^true$'
  expect "$l-del" "$p" /del/fruit 200 '^ok$'
  expect "$l-get-gone" "$p" /get/fruit 404 '^none$'
  expect "$l-exists-gone" "$p" /exists/fruit 200 '^false$'
  expect "$l-del-absent" "$p" /del/fruit 200 '^ok$'
  expect "$l-mset" "$p" /mset/k1=v1,k2=v2,k3=v3 200 '^ok$'
  req "$p" /mget/k1,k2,nope,k3
  [ "$code" = 200 ] && [ "$(tr '\n' ' ' <"$T/out")" = "k1=v1 k2=v2 nope! k3=v3 " ] && pass ||
    fail "$l-mget" "HTTP $code: $(tr '\n' ' ' <"$T/out")"
  expect "$l-mdel" "$p" /mdel/k1,k2 200 '^ok$'
  req "$p" /mget/k1,k2,k3
  [ "$(tr '\n' ' ' <"$T/out")" = "k1! k2! k3=v3 " ] && pass || fail "$l-mdel-gone" "$(tr '\n' ' ' <"$T/out")"
  # many keys, listed page by page
  local items
  items=$(seq 1 300 | sed 's/.*/key&=x/' | paste -sd, -)
  expect "$l-mset-many" "$p" "/mset/$items" 200 '^ok$'
  req "$p" /keys
  local pages keys
  pages=$(sed -n 's/^pages=//p' "$T/out")
  keys=$(grep -v '^pages=' "$T/out" | sort -u | tr '\n' ' ')
  want=$( (seq 1 300 | sed 's/^/key/'; echo hits; echo k3; echo warmup) | sort -u | tr '\n' ' ')
  [ "$code" = 200 ] && [ "$keys" = "$want" ] && pass || fail "$l-keys" "HTTP $code, keys: $keys"
  cp "$T/out" "$T/$l.keys"
  [ "${pages:-0}" -gt 1 ] && pass || fail "$l-keys-pages" "list-keys gave $pages page(s); want the cursor followed"
}
crud nats "$W2"
crud redis "$W3"

# ---- errors reach the guest -------------------------------------------------------------
expect nats-no-such-store "$W2" /b/elsewhere/inc/x 500 'error: no-such-store'
expect nats-bucket-by-name "$W2" /b/counters/get/hits 200 "^$N\$"
expect nats-not-a-number "$W2" /inc/k3 500 'error: other: .*non-numerical'
expect redis-not-a-number "$W3" /inc/k3 500 'error: other: .*not an integer'
expect redis-any-bucket "$W3" /b/whatever/get/hits 200 "^$N\$"

# ---- straight to the provider's subject ---------------------------------------------------
hexs() { printf '%02x' "${#1}"; printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
GETP=$(hexs default)$(hexs hits)
ok raw-linked "$WRAW" "$NURL" kvnats wrpc:keyvalue/store@0.2.0-draft get "$GETP" source-id=counter
# ok(some(list<u8> "N")): 00 01, then N as a list of bytes
[ "$(cat "$T/out")" = "0001$(hexs "$N")" ] && pass ||
  fail raw-linked-result "got $(cat "$T/out")"
ok raw-unlinked "$WRAW" "$NURL" kvnats wrpc:keyvalue/store@0.2.0-draft get "$GETP" source-id=intruder
# err(other("consumer component not linked: intruder"))
grep -q "^0102..$(printf 'consumer component not linked: intruder' | od -An -tx1 | tr -d ' \n')$" "$T/out" &&
  pass || fail raw-unlinked-error "got $(cat "$T/out")"
ok raw-no-source "$WRAW" "$NURL" kvnats wrpc:keyvalue/store@0.2.0-draft get "$GETP"
grep -q '^0102' "$T/out" && pass || fail raw-no-source-error "got $(cat "$T/out")"
ok raw-garbage "$WRAW" "$NURL" kvnats wrpc:keyvalue/store@0.2.0-draft get ff01 source-id=counter
[ "$(cat "$T/out")" = "" ] && pass || fail raw-garbage-refused "malformed params were answered: $(cat "$T/out")"
ok raw-garbage-redis "$WRAW" "$NURL" kvredis wrpc:keyvalue/atomics@0.2.0-draft increment 0701 source-id=counter2
[ "$(cat "$T/out")" = "" ] && pass || fail raw-garbage-redis-refused "got $(cat "$T/out")"
expect nats-after-garbage "$W2" /get/hits 200 "^$N\$"
expect redis-after-garbage "$W3" /get/hits 200 "^$N\$"

# ---- the provider killed: restarted, calls resume --------------------------------------------
pid=$(grep -o 'provider process started provider_id=kvnats pid=[0-9]*' "$T/host1.log" | tail -n 1 | sed 's/.*pid=//')
if [ -n "$pid" ] && ps -o args= -p "$pid" | grep -q 'provider keyvalue-nats'; then
  kill -9 "$pid"
  until_grep "$T/host1.log" 'restarting in' 50 && pass || fail restart-log "no restart in H1's log"
  until_ok "$W2" /inc/hits 150 && [ "$(cat "$T/out")" = "$((N + 1))" ] && pass ||
    fail restart-resume "after the restart: HTTP $code $(cat "$T/out"), want $((N + 1))"
  pid2=$(grep -o 'provider process started provider_id=kvnats pid=[0-9]*' "$T/host1.log" | tail -n 1 | sed 's/.*pid=//')
  [ "$pid2" != "$pid" ] && pass || fail restart-pid "the same pid after the restart"
else
  fail restart "no kvnats pid in H1's log ($pid)"
fi

# ---- link deleted: the next call fails at once -------------------------------------------------
ok nats-link-del L link del counter wasi keyvalue
# the host's view follows the KV watch: bounded wait for the first failure, then it stays failed
for _ in $(seq 1 50); do req "$W2" /inc/hits; [ "$code" = 500 ] && break; sleep 0.1; done
[ "$code" = 500 ] && pass || fail link-del-call "HTTP $code after the link was deleted"
req "$W2" /get/hits
[ "$code" = 500 ] && pass || fail link-del-stays "HTTP $code on the second call"
grep -q 'link `default` not found for instance wasi:keyvalue' "$T/host2.log" && pass ||
  fail link-del-reason "no \"link not found\" in H2's log"
for _ in $(seq 1 50); do
  "$WRAW" "$NURL" kvnats wrpc:keyvalue/store@0.2.0-draft get "$GETP" source-id=counter >"$T/out" 2>&1
  grep -q '^0102' "$T/out" && break
  sleep 0.1
done
grep -q "^0102..$(printf 'consumer component not linked: counter' | od -An -tx1 | tr -d ' \n')$" "$T/out" &&
  pass || fail link-del-provider "the provider still serves the source: $(cat "$T/out")"
expect redis-unaffected "$W3" /get/hits 200 "^$N\$"

# ---- the end ---------------------------------------------------------------------------------------
for n in 1 2 3; do kill -TERM "${HPIDS[$n]}"; done
for n in 1 2 3; do
  for _ in $(seq 1 100); do kill -0 "${HPIDS[$n]}" 2>/dev/null || break; sleep 0.1; done
  wait "${HPIDS[$n]}" 2>/dev/null
done
for n in 1 2 3; do
  if grep -qE 'Sanitizer|runtime error:' "$T/host$n.log"; then
    fail "sanitizer-host$n" "report in host $n's log (the host's or a provider's)"
    grep -E -A12 'Sanitizer|runtime error:' "$T/host$n.log" | head -n 30
  else pass; fi
done
echo "keyvalue: $npass passed, $nfail failed"
[ $nfail -eq 0 ]
