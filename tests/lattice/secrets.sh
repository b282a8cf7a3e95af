#!/usr/bin/env bash
# The secrets suite (PROTOCOL.md §8, §5.3): a real nats-server with
# JetStream, `lattice secrets serve` (the nats-kv backend) and a
# `lattice host`, on loopback ports of their own.
#
#   backend    serve starts; put stores a value and writes the reference
#              SECRET_NAME (get shows the reference, never the value)
#   component  a signed component (tests/component/http_c built -DSECRETS)
#              allowed to read the key answers /secret/KEY with the value
#              over HTTP (wasmcloud:secrets store + reveal); an unknown key
#              is not-found
#   refusals   the same component before `secrets allow`: its scale fails
#              naming Unauthorized; an unsigned component: fails naming the
#              missing JWT; a reference to a backend nobody runs: fails
#              naming the backend; a reference that does not exist: fails
#   provider   calc_provider started with a SECRET_ config gets it in
#              HostData `secrets` and a link's target secret sealed to its
#              xkey (it logs their SHA-256, which must be the values');
#              without the mapping its start fails (Unauthorized)
#   manager    an application whose component has manifest `secrets` (a
#              policy with a backend) is deployed by `lattice manager`: the
#              component reads the value
#   leaks      each planted value is searched for in every host, backend,
#              manager and provider log line, every event, every ctl reply
#              the suite got and all NATS traffic (a subscriber on `>`):
#              no hit anywhere but the component's HTTP answers
#
# Every process is started here and stopped by its pid; every wait is
# bounded.  Ends with `secrets: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
PROV=$ROOT/build/debug/calc_provider
C=$ROOT/build/components
NATSPY="python3 $ROOT/tests/lattice/nats.py"
T=$(mktemp -d /tmp/lattice-secrets.XXXXXX)
NPID= SPID= HPID= MPID= EPID= WPID=
cleanup() {
  for p in $EPID $WPID $MPID; do kill "$p" 2>/dev/null; done
  [ -n "$HPID" ] && kill -9 "$HPID" 2>/dev/null
  kill_providers "$T"
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "secrets: kept $T" || rm -rf "$T"
}
trap cleanup EXIT
SUITE=secrets
. "$ROOT/tests/lattice/lib.sh"

COMP=$C/secrets_http_c.component.wasm
if [ ! -x "$PROV" ]; then
  echo "secrets: $PROV is missing (make debug)"
  echo "secrets: 0 passed, 1 failed"
  exit 1
fi
if [ ! -f "$COMP" ] || [ -n "$(find tests/component/http_c tests/component/build.sh -newer "$COMP" -type f | head -n 1)" ]; then
  if ! tests/component/build.sh "$C" >"$T/build.log" 2>&1 || [ ! -f "$COMP" ]; then
    cat "$T/build.log"
    echo "secrets: 0 passed, 1 failed"
    exit 1
  fi
fi
cp "$PROV" "$T/calc_provider"

NPORT=$(free_port)
if ! start_nats; then
  cat "$T/nats.log"
  echo "secrets: 0 passed, 1 failed (nats-server did not start)"
  exit 1
fi
lattice_wrapper

# every message on the server, headers too, and the events
$NATSPY "$NPORT" sub '>' --headers --count 1000000 --wait 900 --ready "$T/wire.ready" \
  >"$T/wire" 2>/dev/null &
WPID=$!
$NATSPY "$NPORT" sub 'wasmbus.evt.default.>' --count 100000 --wait 900 --ready "$T/evt.ready" \
  >"$T/events" 2>/dev/null &
EPID=$!
for _ in $(seq 1 50); do [ -f "$T/wire.ready" ] && [ -f "$T/evt.ready" ] && break; sleep 0.1; done

# the planted values: random, so a hit can only be a leak
V1="plantA-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
V2="plantB-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
V3="plantC-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
V4="plantD-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# ---- the backend -------------------------------------------------------------------
ENC=$("$LATTICE" keys gen curve -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seed"])')
ENCRYPTION_XKEY_SEED=$ENC "$LATTICE" secrets serve --ctl-port "$NPORT" >"$T/serve.log" 2>&1 &
SPID=$!
until_grep "$T/serve.log" 'serving secrets' && pass || fail serve "the backend did not start: $(tail -n 3 "$T/serve.log")"
no serve-no-key 'encryption-xkey' L secrets serve

LATTICE_PROVIDER_FIRST_HEALTH_MS=300 LATTICE_PROVIDER_HEALTH_MS=700 \
  "$LATTICE" host --nats-port "$NPORT" --friendly-name host-1 --allow-file-load >"$T/host1.log" 2>&1 &
HPID=$!
wait_hosts 1
[ "$nh" -eq 1 ] && pass || fail hosts "host.ping gathered $nh hosts, want 1"
H1=$(hid 1)

export V1 V2 V3 V4
ok put L secrets put api-token --value-env V1
grep -q 'reference SECRET_api-token' "$T/out" && pass || fail put-ref "no reference in: $(cat "$T/out")"
cp "$T/out" "$T/ctl.put"
ok get L secrets get api-token -o json
cp "$T/out" "$T/ctl.get"
grep -q '"backend":"nats-kv"' "$T/out" && grep -q '"key":"api-token"' "$T/out" &&
  grep -q '"name":"api-token"' "$T/out" && pass || fail get-ref "the reference: $(cat "$T/out")"
no put-no-value 'value one way' L secrets put other
no put-bad-name 'bad secret name' L secrets put SECRET_x --value x

# ---- a component reads it ------------------------------------------------------------
K=$T/keys
mkdir -p "$K"
ok sign "$LATTICE" claims sign "$COMP" -n secrets-c --directory "$K" -d "$T/signed.wasm" -o json
MKEY=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("component") or d.get("subject") or d.get("module") or "")' "$T/out")
case $MKEY in M*) pass ;; *) fail sign-key "no module key in: $(cat "$T/out")" ;; esac

W=$(free_port)
ok http L start provider wasmcloud+builtin://http-server http-server --host-id "$H1"
ok addr L config put sc-addr "address=127.0.0.1:$W"

# refused before the mapping: the scale fails with the backend's reason
no denied 'Unauthorized' L start component "file://$T/signed.wasm" secretsc --host-id "$H1" \
  --config SECRET_api-token
grep -q 'component_scale_failed' "$T/events" && pass || fail denied-event "no component_scale_failed"

ok allow L secrets allow "$MKEY" api-token
ok start L start component "file://$T/signed.wasm" secretsc --host-id "$H1" --config SECRET_api-token
ok link L link put http-server secretsc wasi http --interface incoming-handler --source-config sc-addr
got=
for _ in $(seq 1 50); do
  got=$(curl -s --max-time 2 "http://127.0.0.1:$W/secret/api-token")
  [ -n "$got" ] && break
  sleep 0.1
done
echo "$got" >"$T/answer1"
[ "$got" = "secret api-token=$V1" ] && pass || fail component-read "got '$got'"
got=$(curl -s --max-time 2 "http://127.0.0.1:$W/secret/nope")
echo "$got" >>"$T/answer1"
[ "$got" = "secret nope error: not-found" ] && pass || fail component-notfound "got '$got'"

# deny: a new scale (another id) is refused again
ok deny L secrets deny "$MKEY" api-token
no denied-again 'Unauthorized' L start component "file://$T/signed.wasm" secretsc2 --host-id "$H1" \
  --config SECRET_api-token
ok allow-again L secrets allow "$MKEY" api-token

# an unsigned component may not have secrets
no unsigned 'no embedded JWT' L start component "file://$COMP" unsigned --host-id "$H1" \
  --config SECRET_api-token
# a reference to a backend nobody runs (written as wadm would, through config.put)
$NATSPY "$NPORT" req wasmbus.ctl.v1.default.config.put.SECRET_ghost \
  --data '{"name":"ghost","backend":"nobody-kv","key":"ghost","policy":"{}"}' >"$T/ctl.ghost"
grep -q '"success":true' "$T/ctl.ghost" && pass || fail ghost-ref "config.put: $(cat "$T/ctl.ghost")"
# (nobody answers: no responders, or a timeout here, as the capture on `>`
# is a subscriber that never replies)
no no-backend "secrets backend 'nobody-kv'" L start component "file://$T/signed.wasm" ghostly \
  --host-id "$H1" --config SECRET_ghost
no no-reference 'SECRET_missing does not exist' L start component "file://$T/signed.wasm" missing \
  --host-id "$H1" --config SECRET_missing

# ---- a provider: startup and link secrets ----------------------------------------------------
ok put-prov L secrets put prov-start --value-env V2
ok put-link L secrets put link-pass --value-env V3
no prov-denied 'Unauthorized' L start provider "file://$T/calc_provider" calcprov --host-id "$H1" \
  --config SECRET_prov-start
grep -q 'provider_start_failed' "$T/events" && pass || fail prov-denied-event "no provider_start_failed"
ok allow-prov L secrets allow calcprov prov-start link-pass
ok prov L start provider "file://$T/calc_provider" calcprov --host-id "$H1" --config SECRET_prov-start
until_grep "$T/host1.log" "startup secret prov-start kind=String sha256=$(sha "$V2")" && pass ||
  fail prov-startup "the provider did not log the startup secret's hash: $(grep 'startup secret' "$T/host1.log")"
ok prov-link L link put secretsc calcprov test calc --interface ops --target-config SECRET_link-pass
until_grep "$T/host1.log" "link secret link-pass kind=String sha256=$(sha "$V3")" && pass ||
  fail prov-link-secret "the provider did not log the link secret's hash: $(grep 'link secret\|link put\|not delivered' "$T/host1.log" | tail -n 3)"
grep -q "link put source=secretsc target=calcprov" "$T/host1.log" && pass || fail prov-link-put "no link put"
# the sealed link went only to the xkey subject (no legacy copy to the id)
if grep -a 'target_secrets' "$T/wire" | grep -aq '"target_secrets":\[' ; then pass; else fail sealed-on-wire "no sealed target_secrets on the wire"; fi

# ---- the manager deploys an application with a secret -------------------------------------------
"$LATTICE" manager --nats-port "$NPORT" --sweep-interval 500ms >"$T/manager.log" 2>&1 &
MPID=$!
ok put-app-secret L secrets put app-token --value-env V4
ok allow-app L secrets allow "$MKEY" app-token
M2=$(free_port)
cat >"$T/app.yaml" <<EOF
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: sapp
  annotations: {version: v0.0.1}
spec:
  policies:
    - name: vault
      type: policy.secret.wasmcloud.dev/v1alpha1
      properties: {backend: nats-kv}
  components:
    - name: web
      type: component
      properties:
        image: file://$T/signed.wasm
        secrets:
          - name: token
            properties: {policy: vault, key: app-token}
      traits:
        - type: spreadscaler
          properties: {instances: 1}
    - name: httpserver
      type: capability
      properties:
        image: wasmcloud+builtin://http-server
        id: sapp-http
      traits:
        - type: link
          properties:
            namespace: wasi
            package: http
            interfaces: [incoming-handler]
            target: web
            source:
              config:
                - name: addr
                  properties: {address: "127.0.0.1:$M2"}
EOF
ok deploy L app deploy "$T/app.yaml"
got=
for _ in $(seq 1 100); do
  got=$(curl -s --max-time 2 "http://127.0.0.1:$M2/secret/token")
  [ "$got" = "secret token=$V4" ] && break
  sleep 0.2
done
echo "$got" >"$T/answer2"
[ "$got" = "secret token=$V4" ] && pass || fail manager-read "got '$got' (manager: $(tail -n 3 "$T/manager.log"))"
ok ref-app L secrets get sapp-token -o json
cp "$T/out" "$T/ctl.app"
grep -q '"name":"token"' "$T/out" && grep -q '"key":"app-token"' "$T/out" &&
  grep -q 'properties.secret.wasmcloud.dev/v1alpha1' "$T/out" && pass ||
  fail manager-ref "the manager's reference: $(cat "$T/out")"

# ---- leaks --------------------------------------------------------------------------------
for what in links inventory claims; do
  L get "$what" -o json >"$T/ctl.$what" 2>&1
done
L get inventory "$H1" -o json >"$T/ctl.inv1" 2>&1
$NATSPY "$NPORT" req wasmbus.ctl.v1.default.config.get.SECRET_api-token >"$T/ctl.cfg" 2>&1
L app status sapp -o json >"$T/ctl.status" 2>&1
sleep 1 # the subscribers see the last messages
kill "$WPID" "$EPID" 2>/dev/null
wait "$WPID" "$EPID" 2>/dev/null
WPID= EPID=
# the positive control: the answers hold the values, so the search works
grep -aqF "$V1" "$T/answer1" && grep -aqF "$V4" "$T/answer2" && pass || fail leak-control "the answers do not hold the values"
[ -s "$T/wire" ] && [ "$(wc -l <"$T/wire")" -gt 100 ] && pass || fail wire-capture "the capture is empty"
hits=0
for f in "$T"/host1.log "$T"/serve.log "$T"/manager.log "$T"/events "$T"/wire "$T"/ctl.* "$T"/out "$T"/err; do
  for v in "$V1" "$V2" "$V3" "$V4"; do
    n=$(grep -acF -- "$v" "$f")
    if [ "$n" -gt 0 ]; then
      echo "secrets: LEAK of ${v%%-*} in $(basename "$f"): $n line(s)"
      hits=$((hits + n))
    fi
  done
done
[ "$hits" -eq 0 ] && pass || fail leaks "$hits line(s) hold a secret value"

# the host still answers after all that
ok alive L get inventory "$H1"

# orderly stops (SIGTERM), then no sanitizer report in any log
stop_pid() { # PID: SIGTERM, 15 s to exit
  kill "$1" 2>/dev/null
  for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
stop_pid "$MPID" && MPID= && stop_pid "$HPID" && HPID= && stop_pid "$SPID" && SPID= && pass ||
  fail stops "a process did not stop on SIGTERM"
if grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T"/host1.log "$T"/serve.log "$T"/manager.log; then
  fail sanitizers "sanitizer reports in the logs above"
else pass; fi

echo "secrets: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
