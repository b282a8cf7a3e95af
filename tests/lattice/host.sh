#!/usr/bin/env bash
# The lattice suite: a real nats-server (JetStream, a store folder of its
# own, a free loopback port) and three `lattice host` processes on it,
# driven by the `lattice` control commands and by tests/lattice/nats.py (a
# raw-socket NATS peer that sends exactly the bytes a check wants).
#
#   hosts     host.ping gathers the three; /livez and /readyz answer
#   auction   a constraint only one host's labels match picks that host;
#             one no host matches is refused
#   lifecycle start/scale/update/stop of a component, each checked by the
#             event the command waited for (component_scaled / _failed),
#             and the inventory; a component that cannot be loaded is a
#             component_scale_failed with the reason
#   http      the builtin http-server provider, named config with an
#             address, a link: curl gets the component's answer; link del:
#             the next request is refused; link put again: served again;
#             stop component: 404
#   local     a component calling another through a link (and refused
#             without it, or when the target stopped); wasmcloud:bus
#             set-link-name choosing a link named alt; wasi:config/store
#             over the component's named config; wasi:logging into the log
#   routes    the builtin server's path and host routing modes
#   limits    component_limits from a raw scale request: a guest over its
#             memory cap fails, under it works; the inventory shows them
#   events    every event type seen as a CloudEvent by a raw subscriber,
#             heartbeats carrying the inventory, failures carrying a reason,
#             host_stopped from both hosts that stop
#   config    put/get/del, a missing config, a link naming a missing config
#   labels    put/del, hostcore.* refused
#   hostile   malformed JSON, wrong types, a 1 MiB payload and unknown verbs
#             on every ctl subject: an error envelope each, and the hosts
#             still answer and serve
#   faults    a host killed with SIGKILL: the others carry on; nats-server
#             restarted on the same port and store: the hosts reconnect,
#             the links are still there; host.stop: the host exits 0
#
# Every process is started here and stopped by its pid, even on failure;
# every wait is bounded.  Ends with `lattice: N passed, N failed`.
# Env: LATTICE (default build/debug/lattice).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
C=$ROOT/build/components
NATSPY="python3 $ROOT/tests/lattice/nats.py"
T=$(mktemp -d /tmp/lattice-host.XXXXXX)
NPID=
HPIDS=()
EPID=
cleanup() {
  [ -n "$EPID" ] && kill "$EPID" 2>/dev/null
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
SUITE=lattice
. "$ROOT/tests/lattice/lib.sh"

HC=$C/hello_http_c.component.wasm
CALLER=$C/caller_http_c.component.wasm
CALC=$C/calc.component.wasm
if [ ! -f "$HC" ] || [ ! -f "$CALLER" ] || [ ! -f "$CALC" ] ||
   [ -n "$(find tests/component/http_c tests/component/calc tests/component/build.sh -newer "$CALC" -type f | head -n 1)" ]; then
  echo "lattice: building the test components (tests/component/build.sh)"
  if ! tests/component/build.sh "$C" >"$T/build.log" 2>&1 || [ ! -f "$HC" ]; then
    cat "$T/build.log"
    echo "lattice: 0 passed, 1 failed"
    exit 1
  fi
fi
cp "$HC" "$T/hello-v2.wasm" # the same component under another reference, for update
echo "not a component" >"$T/bad.wasm"

# ---- nats-server ---------------------------------------------------------------------
NPORT=$(free_port)
if ! start_nats; then
  cat "$T/nats.log"
  echo "lattice: 0 passed, 1 failed (nats-server did not start)"
  exit 1
fi
lattice_wrapper

# every event of the lattice, as a wasmCloud tool would see them (until the restart below)
$NATSPY "$NPORT" sub 'wasmbus.evt.default.>' --count 100000 --wait 600 --ready "$T/evt.ready" \
  >"$T/events" 2>/dev/null &
EPID=$!
for _ in $(seq 1 50); do [ -f "$T/evt.ready" ] && break; sleep 0.1; done

# ---- three hosts -------------------------------------------------------------------------
APORT=$(free_port)
start_host() { # N LABEL [ARGS...]
  local n=$1 label=$2
  shift 2
  "$LATTICE" host --nats-port "$NPORT" --allow-file-load --label "$label" \
    --friendly-name "host-$n" --heartbeat-interval-seconds 1 "$@" >"$T/host$n.log" 2>&1 &
  HPIDS[$n]=$!
}
start_host 1 zone=a --http-admin "127.0.0.1:$APORT"
start_host 2 zone=b
WASMCLOUD_LABEL_tier=gold start_host 3 zone=b
wait_hosts 3
[ "$nh" -eq 3 ] && pass || fail hosts "host.ping gathered $nh hosts, want 3"
H1=$(hid 1) H2=$(hid 2) H3=$(hid 3)
[ ${#H1} -eq 56 ] && [ ${#H2} -eq 56 ] && [ ${#H3} -eq 56 ] && pass || fail ids "host ids: '$H1' '$H2' '$H3'"
ok livez curl -sf "http://127.0.0.1:$APORT/livez"
grep -q '"status":"ok"' "$T/out" && pass || fail livez-body "want {\"status\":\"ok\"}"
ok readyz curl -sf "http://127.0.0.1:$APORT/readyz"
ok ping-json L get hosts -o json --timeout-ms 1000
grep -q '"friendly_name":"host-2"' "$T/out" && grep -q '"lattice":"default"' "$T/out" &&
  grep -q '"hostcore.os":"linux"' "$T/out" && pass || fail ping-fields "Host fields missing"

# ---- auctions and the component lifecycle ----------------------------------------------
ok auction-zone-a L start component "file://$HC" hello --constraint zone=a -o json
grep -q "\"host_id\":\"$H1\"" "$T/out" && grep -q 'component_scaled' "$T/out" && pass ||
  fail auction-pick "the component did not land on the zone=a host"
no auction-none 'no host can run' L start component "file://$HC" other --constraint zone=c
no auction-running 'no host can run' L start component "file://$HC" hello --constraint zone=a
ok inventory L get inventory "$H1" -o json
grep -q '"id":"hello"' "$T/out" && grep -q '"max_instances":1' "$T/out" && pass ||
  fail inventory-hello "hello not in H1's inventory"
ok scale L scale component "$H1" "file://$HC" hello --max-instances 3 -o json
grep -q '"max_instances":3' "$T/out" && pass || fail scale-event "no component_scaled with 3"
no scale-failed 'not a WebAssembly component' L start component "file://$T/bad.wasm" bad --host-id "$H2"
no scale-nofile 'cannot open' L start component "file://$T/missing.wasm" bad --host-id "$H2"
no scale-oci 'only file:// references' L start component "ghcr.io/x/y:1.0" bad --host-id "$H2"

ok env-label L get inventory "$H3" -o json
grep -q '"tier":"gold"' "$T/out" && pass || fail env-label-shown "WASMCLOUD_LABEL_tier=gold not a label of H3"

# ---- signed components: claims verified, shown, refused when tampered ------------------
export LATTICE_KEYS=$T/keys
ok sign "$LATTICE" claims sign "$HC" -n signed-hello -v 1.2.3 -r 7 -t web -d "$T/signed.wasm"
ok start-signed L start component "file://$T/signed.wasm" signed --host-id "$H2" -o json
grep -q '"public_key":"M' "$T/out" && grep -q '"name":"signed-hello"' "$T/out" && pass ||
  fail signed-event "component_scaled without the claims of a signed component"
ok claims-get L get claims -o json
grep -q '"name":"signed-hello"' "$T/out" && grep -q '"version":"1.2.3"' "$T/out" &&
  grep -q '"tags":"web"' "$T/out" && grep -q '"iss":"A' "$T/out" && pass ||
  fail claims-get-fields "claims.get lacks the signed component's flattened claims"
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[200]^=1; open(sys.argv[2],"wb").write(d)' \
  "$T/signed.wasm" "$T/tampered.wasm"
no start-tampered 'claims refused' L start component "file://$T/tampered.wasm" tampered --host-id "$H2"
ok stop-signed L stop component signed --host-id "$H2"

# ---- the builtin HTTP server, driven by links ----------------------------------------
WPORT=$(free_port)
ok provider L start provider wasmcloud+builtin://http-server http-server --host-id "$H1" -o json
grep -q 'provider_started' "$T/out" && pass || fail provider-event "no provider_started"
ok config-put L config put hello-addr "address=127.0.0.1:$WPORT"
no link-missing-config 'does not exist' L link put http-server hello wasi http \
  --interface incoming-handler --source-config nope
ok link-put L link put http-server hello wasi http --interface incoming-handler \
  --source-config hello-addr
served() { # want_body: polls briefly, the listener opens as the link lands
  for _ in $(seq 1 50); do
    curl -s -m 5 "http://127.0.0.1:$WPORT/x?y=1" >"$T/out" 2>/dev/null && grep -q "$1" "$T/out" && return 0
    sleep 0.1
  done
  return 1
}
served 'hello from C: GET /x?y=1' && pass || fail http-served "curl did not get the component's answer"
ok link-get L get links -o json
grep -q '"source_id":"http-server","target":"hello"' "$T/out" && pass || fail link-get-json "link missing"
ok link-del L link del http-server wasi http
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WPORT/")
[ "$code" = 000 ] || [ "$code" = 404 ] && pass || fail http-unlinked "after link del: HTTP $code"
ok link-put-again L link put http-server hello wasi http --interface incoming-handler \
  --source-config hello-addr
served 'hello from C' && pass || fail http-relinked "not served after the link came back"
ok update L update component --host-id "$H1" hello "file://$T/hello-v2.wasm" -o json
grep -q 'hello-v2.wasm' "$T/out" && pass || fail update-event "no component_scaled with the new ref"
served 'hello from C' && pass || fail http-after-update "not served after update"
ok stop-component L stop component hello -o json
grep -q '"max_instances":0' "$T/out" && pass || fail stop-event "no component_scaled with 0"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WPORT/")
[ "$code" = 404 ] && pass || fail http-stopped "after stop: HTTP $code, want 404"

# ---- local links between components, wasi:config, wasi:logging ------------------------
W2=$(free_port)
ok calc-start L start component "file://$CALC" calc --host-id "$H1"
ok caller-cfg L config put caller-cfg greeting=hi
ok caller-start L start component "file://$CALLER" caller --host-id "$H1" --config caller-cfg \
  --max-instances 4
ok caller-addr L config put caller-addr "address=127.0.0.1:$W2"
ok caller-http L link put http-server caller wasi http --interface incoming-handler --link-name caller \
  --source-config caller-addr
get2() { # PATH: body of a request to the caller (polls briefly while the listener opens)
  for _ in $(seq 1 50); do
    code=$(curl -s -m 10 -o "$T/out" -w '%{http_code}' "http://127.0.0.1:$W2$1") && [ "$code" != 000 ] && return 0
    sleep 0.1
  done
}
get2 /greet/bob
[ "$code" = 500 ] && grep -q 'link `default` not found for instance test:calc/ops' "$T/host1.log" &&
  pass || fail unlinked-call "HTTP $code, want 500 and the missing-link message in the log"
get2 /config/greeting
grep -q 'config greeting=hi' "$T/out" && pass || fail config-store "HTTP $code"
get2 /config/nope
grep -q 'config nope missing' "$T/out" && pass || fail config-store-missing "HTTP $code"
get2 /log
grep -q 'logged' "$T/out" && grep -q 'hello from the guest' "$T/host1.log" && pass ||
  fail wasi-logging "HTTP $code, or the guest's line is not in the host's log"
ok local-link L link put caller calc test calc --interface ops
get2 /greet/bob
grep -q 'greet: hello, bob (from calc)' "$T/out" && pass || fail local-call "HTTP $code"
ok local-link-del L link del caller test calc
get2 /greet/bob
[ "$code" = 500 ] && pass || fail local-call-unlinked "HTTP $code after link del, want 500"
ok local-link-again L link put caller calc test calc --interface ops
# wasmcloud:bus set-link-name: a second link, named alt, to another component
get2 /greet2/ann
grep -q 'set-link-name: link `alt` not found for instance test:calc/ops' "$T/out" && pass ||
  fail bus-no-alt "HTTP $code"
ok calc2-start L start component "file://$CALC" calc2 --host-id "$H1"
ok alt-link L link put caller calc2 test calc --interface ops --link-name alt
get2 /greet2/ann
grep -q 'greet2: hello, ann (from calc)' "$T/out" && pass || fail bus-alt "HTTP $code"
ok calc-stop L stop component calc --host-id "$H1"
get2 /greet/bob
[ "$code" = 500 ] && grep -q 'link target calc runs on no host' "$T/host1.log" && pass ||
  fail call-stopped-target "HTTP $code"
get2 /greet2/ann
grep -q 'greet2: hello, ann (from calc)' "$T/out" && pass ||
  fail bus-alt-own-target "HTTP $code: the alt link should reach calc2, not the stopped calc"

# ---- calls across hosts over wRPC -------------------------------------------------------------
# caller runs on H1; calcremote on H2 only; the link is caller -> calcremote
ok remote-start L start component "file://$CALC" calcremote --host-id "$H2"
ok remote-unlink L link del caller test calc
ok remote-link L link put caller calcremote test calc --interface ops
$NATSPY "$NPORT" sub 'default.calcremote.wrpc.>' --count 1 --wait 20 --ready "$T/wsub.ready" \
  >"$T/wsub" 2>/dev/null &
WSUB=$!
for _ in $(seq 1 50); do [ -f "$T/wsub.ready" ] && break; sleep 0.1; done
get2 /greet/zoe
grep -q 'greet: hello, zoe (from calc)' "$T/out" && pass || fail remote-call "HTTP $code"
wait "$WSUB" 2>/dev/null
[ -s "$T/wsub" ] && pass || fail remote-subject "no message on default.calcremote.wrpc.> (not over wRPC?)"
# a caller that is not a linked component: refused by the callee (empty result stream)
WRAW=${WRPC_RAW:-$ROOT/build/debug/wrpc_raw} # built by make debug
NURL="nats://127.0.0.1:$NPORT"
ok raw-linked "$WRAW" "$NURL" calcremote test:calc/ops@0.1.0 greet 0178 source-id=caller
grep -q '^1468656c6c6f2c2078202866726f6d2063616c6329$' "$T/out" && pass ||
  fail raw-linked-result "want the encoded \"hello, x (from calc)\""
ok raw-unlinked "$WRAW" "$NURL" calcremote test:calc/ops@0.1.0 greet 0178 source-id=intruder
[ "$(cat "$T/out")" = "" ] && grep -q 'refused test:calc/ops@0.1.0.greet on calcremote from intruder' "$T/host2.log" &&
  pass || fail raw-unlinked-refused "want an empty result and the refusal in H2's log"
ok raw-no-source "$WRAW" "$NURL" calcremote test:calc/ops@0.1.0 greet 0178
[ "$(cat "$T/out")" = "" ] && pass || fail raw-no-source-refused "a call without source-id was served"
ok raw-garbage "$WRAW" "$NURL" calcremote test:calc/ops@0.1.0 greet ff01 source-id=caller
[ "$(cat "$T/out")" = "" ] && pass || fail raw-garbage-refused "malformed params were not refused"
no raw-unknown-func 'nothing serves|no responders|ERROR' "$WRAW" "$NURL" calcremote test:calc/ops@0.1.0 nosuch 00
ok remote-stop L stop component calcremote --host-id "$H2"
get2 /greet/zoe
[ "$code" = 500 ] && grep -q 'link target calcremote runs on no host' "$T/host1.log" && pass ||
  fail remote-gone "HTTP $code after the remote target stopped"

# ---- routing modes of the builtin HTTP server ----------------------------------------------
W3=$(free_port)
W4=$(free_port)
ok start-again-routes L start component "file://$HC" hello2 --host-id "$H1"
ok path-cfg L config put http-path routing_mode=path "default_address=127.0.0.1:$W3"
ok path-a L config put path-a path=/a
ok path-provider L start provider wasmcloud+builtin://http-server http-path --host-id "$H1" \
  --config http-path
ok path-link L link put http-path hello2 wasi http --interface incoming-handler --source-config path-a
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$W3/" && break; sleep 0.1; done
body=$(curl -s -m 10 "http://127.0.0.1:$W3/a/x")
[ "$body" = "hello from C: GET /a/x" ] && pass || fail path-route "got '$body'"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$W3/ab")
[ "$code" = 404 ] && pass || fail path-segment "/ab gave $code, want 404 (a prefix ends at a segment)"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$W3/b")
[ "$code" = 404 ] && pass || fail path-none "/b gave $code, want 404"
ok host-cfg L config put http-host routing_mode=host "default_address=127.0.0.1:$W4"
ok host-one L config put host-one host=one.test
ok host-provider L start provider wasmcloud+builtin://http-server http-host --host-id "$H1" \
  --config http-host
ok host-link L link put http-host hello2 wasi http --interface incoming-handler --source-config host-one
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$W4/" && break; sleep 0.1; done
body=$(curl -s -m 10 -H 'Host: one.test:80' "http://127.0.0.1:$W4/h")
[ "$body" = "hello from C: GET /h" ] && pass || fail host-route "got '$body'"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Host: two.test' "http://127.0.0.1:$W4/h")
[ "$code" = 404 ] && pass || fail host-none "two.test gave $code, want 404"

# ---- component limits from the control interface (a raw scale request) ----------------------
W5=$(free_port)
r=$($NATSPY "$NPORT" req "wasmbus.ctl.v1.default.component.scale.$H1" --wait 5 --data \
  "{\"component_ref\":\"file://$HC\",\"component_id\":\"small\",\"host_id\":\"$H1\",\"count\":2,\"component_limits\":{\"max_memory_limit\":\"1048576\",\"max_execution_time\":\"5000\"}}")
grep -q '"success":true' <<<"$r" && pass || fail limits-accepted "$r"
ok small-addr L config put small-addr "address=127.0.0.1:$W5"
ok small-link L link put http-server small wasi http --interface incoming-handler \
  --source-config small-addr --link-name small
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$W5/" && break; sleep 0.1; done
head -c 300000 /dev/zero | tr '\0' a >"$T/300k"
head -c 3000000 /dev/zero | tr '\0' a >"$T/3m"
code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' --data-binary @"$T/300k" "http://127.0.0.1:$W5/echo")
[ "$code" = 200 ] && pass || fail limits-under "300 KB body under a 1 MiB memory cap: $code"
code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' --data-binary @"$T/3m" "http://127.0.0.1:$W5/echo")
[ "$code" = 500 ] && pass || fail limits-over "3 MB body over a 1 MiB memory cap: $code, want 500"
ok limits-inventory L get inventory "$H1" -o json
grep -q '"max_memory_limit":1048576' "$T/out" && grep -q '"max_execution_time":5000' "$T/out" &&
  pass || fail limits-shown "component_limits not in the inventory"

# ---- config and labels ---------------------------------------------------------------------
ok config-get L config get hello-addr
grep -q "address=127.0.0.1:$WPORT" "$T/out" && pass || fail config-get-value "wrong value"
ok config-put2 L config put other a=1 b=2
ok config-del L config del other
no config-gone 'not found' L config get other
no config-secret 'SECRET_' L config put SECRET_x a=1
ok label-put L label "$H2" team=blue
ok label-inv L get inventory "$H2" -o json
grep -q '"team":"blue"' "$T/out" && pass || fail label-shown "team=blue not in H2's labels"
no label-hostcore 'hostcore' L label "$H2" hostcore.os=windows
ok label-del L label "$H2" team --delete
no label-del-missing 'not set' L label "$H2" team --delete

# ---- the rest of the control interface -------------------------------------------------------
# provider auction (start provider without --host-id), provider.stop, an OCI provider
# (executables: tests/lattice/providers.sh)
ok prov-auction L start provider wasmcloud+builtin://http-server http-auction --constraint zone=b -o json
grep -q 'provider_started' "$T/out" && { grep -q "\"host_id\":\"$H2\"" "$T/out" || grep -q "\"host_id\":\"$H3\"" "$T/out"; } &&
  pass || fail prov-auction-pick "the provider did not land on a zone=b host"
ok prov-stop L stop provider http-auction -o json
grep -q 'provider_stopped' "$T/out" && pass || fail prov-stop-event "no provider_stopped"
no prov-stop-missing 'no host runs provider' L stop provider http-auction
no prov-oci 'unknown provider reference ghcr.io/x/prov:1.0' L start provider ghcr.io/x/prov:1.0 \
  someprov --host-id "$H2"
# a link whose key exists with another target, on overlapping interfaces, is refused
no link-conflict 'link already exists with different target' L link put http-server hello2 wasi \
  http --interface incoming-handler --source-config hello-addr
# registry.put: no reply expected, the host carries on
r=$($NATSPY "$NPORT" req "wasmbus.ctl.v1.default.registry.put" --wait 1 \
  --data '{"ghcr.io":{"username":"u","password":"p","registryType":"oci"}}' 2>&1)
[ "$r" = "NO REPLY" ] && pass || fail registry-put "want no reply, got: $r"
ok registry-put-alive L get hosts

# ---- events, as CloudEvents -------------------------------------------------------------------
for e in host_started host_heartbeat component_scaled component_scale_failed provider_started \
         provider_start_failed provider_stopped linkdef_set linkdef_set_failed linkdef_deleted \
         config_set config_deleted labels_changed; do
  grep -q "\"type\":\"com.wasmcloud.lattice.$e\"" "$T/events" && pass || fail "event-$e" "no $e event seen"
done
grep '"com.wasmcloud.lattice.host_started"' "$T/events" | has '"friendly_name":"host-2"' &&
  grep '"com.wasmcloud.lattice.host_started"' "$T/events" | sed -n 1p |
  has '"specversion":"1.0".*"datacontenttype":"application/json"\|"datacontenttype":"application/json".*"specversion":"1.0"' &&
  pass || fail event-envelope "host_started without the CloudEvents fields"
grep '"com.wasmcloud.lattice.host_heartbeat"' "$T/events" | grep "\"source\":\"$H1\"" |
  has '"components":\[{' && pass ||
  fail event-heartbeat-inventory "H1's heartbeat carries no components ($(grep -c host_heartbeat "$T/events") heartbeats, $(grep host_heartbeat "$T/events" | grep -c "$H1") from H1, $(wc -l <"$T/events") events; the last: $(grep host_heartbeat "$T/events" | grep "$H1" | tail -1 | grep -o '"components":.\{0,80\}'))"
grep '"com.wasmcloud.lattice.component_scale_failed"' "$T/events" | has '"error":"' &&
  pass || fail event-failed-reason "component_scale_failed without an error"

# ---- hostile requests on every control subject ----------------------------------------------
pfx=wasmbus.ctl.v1.default
subjects=("component.scale.$H1" "component.update.$H1" "provider.start.$H1" "provider.stop.$H1"
  "label.put.$H1" "label.del.$H1" "link.put" "link.del" "config.put.x" "component.auction"
  "provider.auction")
payloads=('not json' '{"component_id": 5, "component_ref": []}' '[1,2]' '{"a":1,"a":2}' '')
bad=0
for s in "${subjects[@]}"; do
  for d in "${payloads[@]}"; do
    r=$($NATSPY "$NPORT" req "$pfx.$s" --data "$d" --wait 5 2>&1)
    if ! grep -q '"success":false' <<<"$r"; then
      bad=$((bad + 1))
      echo "lattice: FAIL hostile $s payload '$d': $r"
    fi
  done
  r=$($NATSPY "$NPORT" req "$pfx.$s" --size 1048000 --wait 5 2>&1)
  grep -q '"success":false' <<<"$r" || { bad=$((bad + 1)); echo "lattice: FAIL hostile $s 1 MiB: ${r:0:200}"; }
done
[ $bad -eq 0 ] && pass || { nfail=$((nfail + 1)); echo "lattice: FAIL hostile: $bad requests without an error envelope"; }
r=$($NATSPY "$NPORT" req "$pfx.component.frobnicate.$H1" --data '{}' 2>&1)
grep -q 'unsupported subject' <<<"$r" && pass || fail unsupported "got: $r"
r=$($NATSPY "$NPORT" req "$pfx.host.get.$H1" --data 'ignored' 2>&1)
grep -q '"success":true' <<<"$r" && pass || fail host-get-raw "got: ${r:0:200}"
nh=$(L get hosts --timeout-ms 1000 | grep -c '^N')
[ "$nh" -eq 3 ] && pass || fail alive-after-hostile "$nh hosts answer, want 3"

# ---- faults ---------------------------------------------------------------------------------
ok start-again L start component "file://$HC" hello --host-id "$H1" --max-instances 2
served 'hello from C' && pass || fail http-before-kill "not served"
kill -9 "${HPIDS[3]}"
wait "${HPIDS[3]}" 2>/dev/null
nh=$(L get hosts --timeout-ms 1000 | grep -c '^N')
[ "$nh" -eq 2 ] && pass || fail sigkill "$nh hosts answer after killing one, want 2"
served 'hello from C' && pass || fail http-after-kill "not served after another host died"
kill "$NPID"
wait "$NPID" 2>/dev/null
NPID=
start_nats && pass || fail nats-restart "nats-server did not come back"
wait_hosts 2 100
[ "$nh" -eq 2 ] && pass || fail reconnect "$nh hosts answer after the NATS restart, want 2"
ok links-kept L get links -o json
grep -q '"target":"hello"' "$T/out" && pass || fail links-kept-json "the link is gone after the restart"
served 'hello from C' && pass || fail http-after-restart "not served after the NATS restart"

# ---- stopping -------------------------------------------------------------------------------
kill "$EPID" 2>/dev/null
$NATSPY "$NPORT" sub 'wasmbus.evt.default.host_stopped' --count 2 --wait 60 --ready "$T/evt2.ready" \
  >"$T/events2" 2>/dev/null &
EPID=$!
for _ in $(seq 1 50); do [ -f "$T/evt2.ready" ] && break; sleep 0.1; done
ok stop-host L stop host "$H2"
for _ in $(seq 1 100); do kill -0 "${HPIDS[2]}" 2>/dev/null || break; sleep 0.1; done
if kill -0 "${HPIDS[2]}" 2>/dev/null; then fail host-stop "H2 still runs 10 s after host.stop"
else wait "${HPIDS[2]}"; rc=$?; [ $rc -eq 0 ] && pass || fail host-stop-rc "H2 exited $rc"; fi
kill -TERM "${HPIDS[1]}"
for _ in $(seq 1 100); do kill -0 "${HPIDS[1]}" 2>/dev/null || break; sleep 0.1; done
wait "${HPIDS[1]}" 2>/dev/null
rc=$?
[ $rc -eq 0 ] && pass || fail sigterm "H1 exited $rc on SIGTERM"
wait "$EPID" 2>/dev/null
EPID=
[ "$(grep -c 'com.wasmcloud.lattice.host_stopped' "$T/events2")" -eq 2 ] &&
  grep -q "\"source\":\"$H2\"" "$T/events2" && pass ||
  fail event-host-stopped "want host_stopped from H2 and H1: $(cat "$T/events2")"
for n in 1 2 3; do
  if grep -qE 'Sanitizer|runtime error:' "$T/host$n.log"; then
    fail "sanitizer-host$n" "report in host $n's log"
    grep -E -A12 'Sanitizer|runtime error:' "$T/host$n.log" | head -n 30
  else pass; fi
done
echo "lattice: $npass passed, $nfail failed"
[ $nfail -eq 0 ]
