#!/usr/bin/env bash
# The `signed` suite: a host that requires signed artifacts
# (--require-signed, --allowed-issuers), on a nats-server of its own on a
# free loopback port:
#   - a component signed by an allowed issuer runs and serves;
#   - unsigned, tampered (one byte), expired, not-yet-valid and
#     other-issuer components are refused with component_scale_failed
#     saying why, and nothing of them runs;
#   - an executable (file://) provider is refused (it carries no claims);
#   - a bad --allowed-issuers value stops the host at start with a clear
#     error.
# Every process is stopped by its pid; every wait is bounded.  Ends with
# `signed: N passed, N failed`.  Env: LATTICE (default build/debug/lattice).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
C=$ROOT/build/components
NATSPY="python3 $ROOT/tests/lattice/nats.py"
T=$(mktemp -d /tmp/lattice-signed.XXXXXX)
NPID=
HPIDS=()
cleanup() {
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "signed: kept $T" || rm -rf "$T"
}
trap cleanup EXIT
SUITE=signed
. "$ROOT/tests/lattice/lib.sh"

HC=$C/hello_http_c.component.wasm
if [ ! -f "$HC" ]; then
  if ! tests/component/build.sh "$C" >"$T/build.log" 2>&1 || [ ! -f "$HC" ]; then
    tail -n 20 "$T/build.log"
    echo "signed: 0 passed, 1 failed"
    exit 1
  fi
fi

# ---- keys and artifacts ------------------------------------------------------------------
export LATTICE_KEYS=$T/keys
seed_of() { "$LATTICE" keys gen account -o json | sed -nE 's/.*"seed":"([A-Z0-9]+)".*/\1/p'; }
GOOD=$(seed_of) OTHER=$(seed_of)
ok sign-good "$LATTICE" claims sign "$HC" -n good -i "$GOOD" -d "$T/good.wasm" -o json
GOOD_PUB=$(sed -nE 's/.*"account":"(A[A-Z0-9]+)".*/\1/p' "$T/out")
ok sign-other "$LATTICE" claims sign "$HC" -n other -i "$OTHER" -d "$T/other.wasm"
ok sign-expired "$LATTICE" claims sign "$HC" -n old -i "$GOOD" -x 1s -d "$T/expired.wasm"
ok sign-future "$LATTICE" claims sign "$HC" -n later -i "$GOOD" -b 1h -d "$T/future.wasm"
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[200]^=1; open(sys.argv[2],"wb").write(d)' \
  "$T/good.wasm" "$T/tampered.wasm"
[ ${#GOOD_PUB} -eq 56 ] && pass || fail issuer-key "no issuer public key in the sign output: $(head -c 300 "$T/out")"
printf '#!/bin/sh\nexec sleep 60\n' >"$T/prov.sh"
chmod +x "$T/prov.sh"

# ---- a host that requires them --------------------------------------------------------------
NPORT=$(free_port)
if ! start_nats; then
  cat "$T/nats.log"
  echo "signed: 0 passed, 1 failed (nats-server did not start)"
  exit 1
fi
lattice_wrapper
no bad-issuer "not an account public key" "$LATTICE" host --nats-port "$NPORT" --allowed-issuers NOTAKEY
"$LATTICE" host --nats-port "$NPORT" --allow-file-load --allowed-issuers "$GOOD_PUB" \
  --heartbeat-interval-seconds 1 >"$T/host1.log" 2>&1 &
HPIDS[1]=$!
wait_hosts 1 && pass || fail host "host.ping gathered $nh hosts, want 1"
H1=$(hid 1)
sleep 2 # the expired token's second runs out

ok good L start component "file://$T/good.wasm" good --host-id "$H1" -o json
grep -q "\"public_key\":\"M" "$T/out" && pass || fail good-claims "component_scaled without its claims"
refused() { # NAME FILE REASON-RE
  no "$1" "$3" L start component "file://$2" "$1" --host-id "$H1"
  L get inventory "$H1" -o json >"$T/inv" 2>/dev/null
  grep -q "\"id\":\"$1\"" "$T/inv" && fail "$1-not-running" "$1 runs after its refusal" || pass
}
refused unsigned "$HC" 'unsigned|no claims|not signed'
refused other "$T/other.wasm" 'issuer'
refused tampered "$T/tampered.wasm" 'hash|signature'
refused expired "$T/expired.wasm" 'expired'
refused future "$T/future.wasm" 'not valid before|not yet valid|nbf'
no provider-file 'executable provider carries no claims' L start provider "file://$T/prov.sh" prov \
  --host-id "$H1"
ok good-still L get inventory "$H1" -o json
grep -q '"id":"good"' "$T/out" && pass || fail good-runs "the signed component is not in the inventory"

if grep -q 'AddressSanitizer\|runtime error:' "$T/host1.log"; then
  fail sanitizer "$(grep -m1 'AddressSanitizer\|runtime error:' "$T/host1.log")"
else pass; fi
echo "signed: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
