#!/usr/bin/env bash
# The secure suite (issue 13, zero trust): a lattice on nats-server in
# operator mode with TLS, set up by `lattice tls init` and `lattice nats
# init` (src/cli/cli_nats.c says which user may do what), on a free port in
# a scratch folder.
#
#   up          a host (host creds on ctl, provider creds on rpc) and a
#               manager (admin creds) connect over TLS with client
#               certificates; `get hosts` with admin creds lists the host,
#               the manager answers `app list`
#   observer    read-only: get hosts works; start/scale a component and
#               put a link are refused with "permission denied"
#   host-creds  a host's creds cannot send ctl commands
#   provider    a provider's creds cannot subscribe to ctl subjects (raw
#               peer tests/lattice/nats.py: the server's -ERR), but may
#               subscribe to its rpc subjects; it cannot watch events
#   refused     a client certificate from another CA, a plain (non-TLS)
#               connection, no creds at all, creds of another operator
#   works       examples/counter on the host's HTTP server with the
#               built-in keyvalue-nats provider, which joins with the rpc
#               creds and TLS files it got in HostData (no cluster_uri):
#               increments count 1, 2, 3
#   up-secure   `lattice up --detach --secure` starts its own secured
#               nats-server, host and manager; the printed admin flags list
#               the host, a plain `get hosts` is refused; `lattice down`
#
# Every process is started here and stopped by its pid; every wait is
# bounded.  Ends with `secure: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
NATSPY="python3 $ROOT/tests/lattice/nats.py"
T=$(mktemp -d /tmp/lattice-secure.XXXXXX)
NPID=
HPIDS=()
MPID=
UPDIR=
cleanup() {
  [ -n "$MPID" ] && kill "$MPID" 2>/dev/null
  for p in "${HPIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  kill_providers "provider "
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  [ -n "$UPDIR" ] && [ -f "$UPDIR/up.json" ] && "$LATTICE" down --state-dir "$UPDIR" >/dev/null 2>&1
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "secure: kept $T" || rm -rf "$T"
}
trap cleanup EXIT
SUITE=secure
. "$ROOT/tests/lattice/lib.sh"

bail() {
  echo "secure: $1"
  echo "secure: $npass passed, $((nfail + 1)) failed"
  exit 1
}
for tool in nats-server openssl curl; do command -v $tool >/dev/null || bail "$tool is missing (scripts/setup.sh)"; done
python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' 2>/dev/null ||
  bail "python3-cryptography is missing (scripts/setup.sh)"
COUNTER=$ROOT/build/examples/counter.component.wasm
if [ ! -f "$COUNTER" ] || [ -n "$(find examples/counter examples/build.sh -newer "$COUNTER" -type f | head -n 1)" ]; then
  examples/build.sh >"$T/build.log" 2>&1 && [ -f "$COUNTER" ] || { cat "$T/build.log"; bail "examples/build.sh failed"; }
fi

# ---- set-up: certificates, users, server --------------------------------------------------
NPORT=$(free_port)
ok tls-init "$LATTICE" tls init --dir "$T/tls"
for f in ca.pem ca-key.pem server.pem server-key.pem client.pem client-key.pem; do
  [ -s "$T/tls/$f" ] || fail tls-files "$f missing"
done
openssl x509 -in "$T/tls/server.pem" -noout -text >"$T/out" 2>&1
grep -q 'IP Address:127.0.0.1' "$T/out" && grep -q 'DNS:localhost' "$T/out" && pass ||
  fail tls-san "server.pem lacks the 127.0.0.1/localhost SANs"
openssl verify -CAfile "$T/tls/ca.pem" "$T/tls/server.pem" "$T/tls/client.pem" >"$T/out" 2>&1 && pass ||
  fail tls-chain "the certificates do not chain to ca.pem"
ok other-ca "$LATTICE" tls init --dir "$T/other"
ok nats-init "$LATTICE" nats init --dir "$T/nats" --tls-dir "$T/tls" --nats-port "$NPORT" --kv-bucket counters
# a second init keeps the keys (creds made before stay valid)
cp "$T/nats/admin.creds" "$T/admin-before.creds"
ok nats-reinit "$LATTICE" nats init --dir "$T/nats" --tls-dir "$T/tls" --nats-port "$NPORT" --kv-bucket counters
[ "$(grep -A1 'BEGIN USER NKEY SEED' "$T/admin-before.creds")" = "$(grep -A1 'BEGIN USER NKEY SEED' "$T/nats/admin.creds")" ] &&
  pass || fail nats-reinit-keys "a second init changed the admin key"
ok other-nats "$LATTICE" nats init --dir "$T/othernats" --nats-port "$NPORT"

nats-server -c "$T/nats/nats.conf" >"$T/nats.log" 2>&1 &
NPID=$!
A="$T/nats/admin.creds" O="$T/nats/observer.creds" HC="$T/nats/host.creds" PC="$T/nats/provider.creds"
TLSPY=(--tls-ca "$T/tls/ca.pem" --tls-cert "$T/tls/client.pem" --tls-key "$T/tls/client-key.pem")
for _ in $(seq 1 100); do
  $NATSPY "$NPORT" ping --creds "$A" "${TLSPY[@]}" 2>/dev/null && break
  kill -0 "$NPID" 2>/dev/null || break
  sleep 0.1
done
$NATSPY "$NPORT" ping --creds "$A" "${TLSPY[@]}" 2>"$T/err" && pass || { cat "$T/nats.log"; bail "nats-server (operator mode, TLS) did not start"; }
grep -q 'TLS required for client connections' "$T/nats.log" && pass || fail nats-tls "the server does not require TLS"

# the lattice command with TLS client flags; S = as USER: L-with-creds
export WASMCLOUD_CTL_TLS_CA_FILE=$T/tls/ca.pem WASMCLOUD_CTL_TLS_CERT_FILE=$T/tls/client.pem \
  WASMCLOUD_CTL_TLS_KEY_FILE=$T/tls/client-key.pem
lattice_wrapper
printf '#!/bin/sh\nc=$1; shift\nexec "%s" "$@" --ctl-port %s --ctl-creds "$c"\n' "$LATTICE" "$NPORT" >"$T/S"
chmod +x "$T/S"
S() { "$T/S" "$@"; }

# ---- up: a host and a manager with their creds, over TLS -----------------------------------
NTLS=(--nats-tls-ca-file "$T/tls/ca.pem" --nats-tls-cert-file "$T/tls/client.pem"
  --nats-tls-key-file "$T/tls/client-key.pem")
start_host() { # N [ARGS...]
  local n=$1
  shift
  "$LATTICE" host --nats-port "$NPORT" --friendly-name "host-$n" --allow-file-load \
    --ctl-credsfile "$HC" --rpc-credsfile "$PC" "${NTLS[@]}" "$@" >"$T/host$n.log" 2>&1 &
  HPIDS[$n]=$!
}
start_host 1
"$LATTICE" manager --nats-port "$NPORT" --nats-creds "$A" "${NTLS[@]}" >"$T/manager.log" 2>&1 &
MPID=$!
nh=0
for _ in $(seq 1 100); do
  nh=$(S "$A" get hosts --timeout-ms 500 2>/dev/null | grep -c '^N')
  [ "$nh" -eq 1 ] && break
  kill -0 "${HPIDS[1]}" 2>/dev/null || break
  sleep 0.2
done
[ "$nh" -eq 1 ] && pass || { cat "$T/host1.log"; bail "get hosts with admin creds listed $nh hosts, want 1"; }
H1=$(hid 1)
for _ in $(seq 1 50); do S "$A" app list >"$T/out" 2>"$T/err" && break; sleep 0.2; done
ok manager-answers "$T/S" "$A" app list
ok inventory "$T/S" "$A" get inventory "$H1"

# ---- observer: read-only -----------------------------------------------------------------
S "$O" get hosts >"$T/out" 2>"$T/err"
grep -q "^$H1" "$T/out" && pass || fail observer-get-hosts "the observer does not see the host"
no observer-start 'permission denied.*component' "$T/S" "$O" start component "file://$COUNTER" sneaky --host-id "$H1"
no observer-start-auction 'permission denied.*auction' "$T/S" "$O" start component "file://$COUNTER" sneaky
no observer-scale 'permission denied.*scale' "$T/S" "$O" scale component "$H1" "file://$COUNTER" sneaky --max-instances 3
no observer-link 'permission denied.*link.put' "$T/S" "$O" link put a b wasi http --interface incoming-handler
no observer-config 'permission denied.*config.put' "$T/S" "$O" config put cfg k=v
S "$A" get inventory "$H1" >"$T/out" 2>&1
grep -q sneaky "$T/out" && fail observer-nothing-ran "a component started anyway" || pass

# ---- a host's creds cannot send ctl commands ------------------------------------------------
no host-creds-ping 'permission denied.*host.ping' "$T/S" "$HC" get hosts
no host-creds-start 'permission denied' "$T/S" "$HC" start component "file://$COUNTER" sneaky --host-id "$H1"
no host-creds-stop 'permission denied.*host.stop' "$T/S" "$HC" stop host "$H1"
# a stop that got through would take the host down within a second: it must still run and answer
sleep 1
kill -0 "${HPIDS[1]}" 2>/dev/null && S "$A" get hosts --timeout-ms 2000 2>/dev/null | has "$H1" && pass ||
  fail host-creds-stop-ignored "the host stopped or no longer answers"
no provider-creds-ctl 'permission denied' "$T/S" "$PC" get hosts

# ---- provider creds: rpc only --------------------------------------------------------------
$NATSPY "$NPORT" sub 'wasmbus.ctl.v1.>' --creds "$PC" "${TLSPY[@]}" --wait 0.3 >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 3 ] && grep -q 'Permissions Violation for Subscription to "wasmbus.ctl.v1.>"' "$T/err" && pass ||
  fail provider-sub-ctl "exit $rc, want the server's refusal"
$NATSPY "$NPORT" sub "wasmbus.ctl.v1.default.component.scale.$H1" --creds "$PC" "${TLSPY[@]}" --wait 0.3 \
  >"$T/out" 2>"$T/err"
[ $? -eq 3 ] && pass || fail provider-sub-scale "a provider may subscribe to a host's scale subject"
$NATSPY "$NPORT" sub 'wasmbus.evt.default.>' --creds "$PC" "${TLSPY[@]}" --wait 0.3 >"$T/out" 2>"$T/err"
[ $? -eq 3 ] && pass || fail provider-sub-events "a provider may watch events"
$NATSPY "$NPORT" sub 'wasmbus.rpc.default.x.health' --creds "$PC" "${TLSPY[@]}" --wait 0.3 >"$T/out" 2>"$T/err"
[ $? -eq 1 ] && pass || fail provider-sub-rpc "exit $?: a provider may not subscribe to its rpc subjects"
# 1: nothing came in 0.3 s, 0: a message did (the manager probes hosts every second); 3: refused
$NATSPY "$NPORT" sub 'wasmbus.ctl.v1.>' --creds "$A" "${TLSPY[@]}" --wait 0.3 >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || [ $rc -eq 0 ] && pass || fail admin-sub-ctl "exit $rc: the admin may not subscribe to ctl subjects"

# ---- refused connections ------------------------------------------------------------------
no other-ca-cert 'TLS|SSL|handshake|closed' env WASMCLOUD_CTL_TLS_CERT_FILE="$T/other/client.pem" \
  WASMCLOUD_CTL_TLS_KEY_FILE="$T/other/client-key.pem" "$T/S" "$A" get hosts
$NATSPY "$NPORT" ping --creds "$A" --tls-ca "$T/tls/ca.pem" --tls-cert "$T/other/client.pem" \
  --tls-key "$T/other/client-key.pem" >"$T/out" 2>"$T/err" && fail other-ca-raw "a certificate of another CA was accepted" || pass
$NATSPY "$NPORT" ping --creds "$A" --tls-ca "$T/tls/ca.pem" >"$T/out" 2>"$T/err" &&
  fail no-client-cert "a client without a certificate was accepted" || pass
no plain 'TLS|[Ss]ecure' env -u WASMCLOUD_CTL_TLS_CA_FILE -u WASMCLOUD_CTL_TLS_CERT_FILE \
  -u WASMCLOUD_CTL_TLS_KEY_FILE "$T/S" "$A" get hosts
$NATSPY "$NPORT" ping --creds "$A" >"$T/out" 2>"$T/err" && fail plain-raw "a plain connection was accepted" || pass
no no-creds 'refused the credentials|Authorization' L get hosts
no other-operator 'refused the credentials|Authorization' "$T/S" "$T/othernats/admin.creds" get hosts
no wrong-file 'no nkey user seed|not a NATS creds' "$T/S" "$T/tls/ca.pem" get hosts

# ---- a component and a built-in provider still work ----------------------------------------
W1=$(free_port)
ok http1 "$T/S" "$A" start provider wasmcloud+builtin://http-server http1 --host-id "$H1"
ok kvnats "$T/S" "$A" start provider wasmcloud+builtin://keyvalue-nats kvnats --host-id "$H1"
until_grep "$T/host1.log" 'keyvalue-nats: serving wrpc:keyvalue' && pass || fail kvnats-serving "keyvalue-nats does not serve"
ok counter "$T/S" "$A" start component "file://$COUNTER" counter --host-id "$H1" --max-instances 4
ok addr "$T/S" "$A" config put addr1 "address=127.0.0.1:$W1"
ok http-link "$T/S" "$A" link put http1 counter wasi http --interface incoming-handler --source-config addr1
# no cluster_uri: the provider uses the lattice's NATS with its HostData creds and TLS
ok kv-cfg "$T/S" "$A" config put kvcfg bucket=counters enable_bucket_auto_create=true
ok kv-link "$T/S" "$A" link put counter kvnats wasi keyvalue --interface store --interface atomics \
  --target-config kvcfg
code=
for _ in $(seq 1 100); do
  code=$(curl -s -m 10 -o "$T/out" -w '%{http_code}' "http://127.0.0.1:$W1/inc/hits" 2>"$T/err")
  [ "$code" = 200 ] && break
  sleep 0.1
done
[ "$code" = 200 ] && [ "$(cat "$T/out")" = 1 ] && pass || fail counter-first "HTTP $code: $(cat "$T/out")"
curl -s -m 10 "http://127.0.0.1:$W1/inc/hits" >/dev/null
[ "$(curl -s -m 10 "http://127.0.0.1:$W1/inc/hits")" = 3 ] && pass || fail counter-third "the count did not go on"
grep -q 'NATS KV bucket counters opened' "$T/host1.log" && pass || fail kv-bucket "the bucket was not opened"
# the daemons (named connections other than the CLI's) never hit their permissions
grep 'Violation' "$T/nats.log" | grep -v 'lattice-cli' | grep -q ':C:' &&
  fail no-daemon-violation "$(grep Violation "$T/nats.log" | grep -v lattice-cli | grep ':C:' | head -n 2)" || pass
if grep -qE 'ERROR|runtime error|AddressSanitizer' "$T/host1.log"; then
  fail host-log "errors in the host log: $(grep -E 'ERROR|runtime error|AddressSanitizer' "$T/host1.log" | head -n 3)"
else pass; fi

# ---- lattice up --secure -------------------------------------------------------------------
UPDIR=$T/up
UPORT=$(free_port)
env -u WASMCLOUD_CTL_TLS_CA_FILE -u WASMCLOUD_CTL_TLS_CERT_FILE -u WASMCLOUD_CTL_TLS_KEY_FILE \
  timeout -k 5 90 "$LATTICE" up --detach --secure --state-dir "$UPDIR" --nats-port "$UPORT" >"$T/up.out" 2>&1 &&
  pass || { fail up-secure "exit $?: $(tail -n 3 "$T/up.out")"; cat "$UPDIR"/*.log 2>/dev/null | tail -n 20; }
grep -q -- "--ctl-creds $UPDIR/nats/admin.creds" "$T/up.out" && pass || fail up-hint "up did not print how to connect"
UPA=(--ctl-port "$UPORT" --ctl-creds "$UPDIR/nats/admin.creds" --ctl-tls-ca-file "$UPDIR/tls/ca.pem"
  --ctl-tls-cert-file "$UPDIR/tls/client.pem" --ctl-tls-key-file "$UPDIR/tls/client-key.pem")
env -u WASMCLOUD_CTL_TLS_CA_FILE -u WASMCLOUD_CTL_TLS_CERT_FILE -u WASMCLOUD_CTL_TLS_KEY_FILE \
  "$LATTICE" get hosts "${UPA[@]}" >"$T/out" 2>"$T/err"
[ "$(grep -c '^N' "$T/out")" = 1 ] && pass || fail up-get-hosts "the printed flags do not list the host"
ok up-manager env -u WASMCLOUD_CTL_TLS_CA_FILE "$LATTICE" app list "${UPA[@]}"
no up-plain 'TLS|[Ss]ecure' env -u WASMCLOUD_CTL_TLS_CA_FILE -u WASMCLOUD_CTL_TLS_CERT_FILE \
  -u WASMCLOUD_CTL_TLS_KEY_FILE "$LATTICE" get hosts --ctl-port "$UPORT"
grep -q 'rpc-credsfile' /proc/"$(python3 -c "import json;print(json.load(open('$UPDIR/up.json'))['host_pid'])")"/cmdline 2>/dev/null &&
  pass || fail up-host-rpc-creds "the host does not run with separate rpc creds"
ok up-down "$LATTICE" down --state-dir "$UPDIR"

echo "secure: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
