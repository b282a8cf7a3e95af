#!/usr/bin/env bash
# The manager suite: a real nats-server, three `lattice host` processes
# (labels zone=a, zone=b, zone=c; wasmCloud's default 30 s heartbeat, so
# host loss is noticed by the manager's own probing, not by heartbeats) and
# `lattice manager` processes, driven by `lattice app` and checked against
# what the hosts report (`lattice get inventory|links -o json`).
#
#   api       put/get/list/versions/del reply shapes and messages; a version
#             put twice and `latest` refused; broken manifests refused with
#             a line and column, and nothing stored
#   spread    weights 2/1 over zone=a and zone=b: 2 on the a host, 1 on b;
#             weights that do not divide evenly (7 over 3 spreads)
#   daemon    instances on every matching host
#   unmet     requirements no host meets: status failed, saying so
#   config    a managed config is put; a missing config reference fails
#   http      the builtin http-server + link + config: curl gets the answer;
#             a link deleted by hand is put back
#   providers daemonscaler: one on every host; spreadscaler asking for 5 on
#             3 hosts: 3, never two on a host; undeploy stops them
#   upgrade   v1 -> v2 (another image): the count never drops to 0
#   shared    an app referencing a shared one: refused until it is
#             deployed, then no second instance, its link uses shared ids
#   two       two managers at once: each start happens once
#   hostloss  a host SIGKILLed: its instances back elsewhere within 10 s
#   failover  the manager SIGKILLed mid-rollout: a second one finishes
#   undeploy  nothing left: no components, providers or links
#
# Every process is started here and stopped by its pid; every wait is
# bounded.  Ends with `manager: N passed, N failed`.
# Env: LATTICE (default build/debug/lattice).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
C=$ROOT/build/components
NATSPY="python3 $ROOT/tests/lattice/nats.py"
T=$(mktemp -d /tmp/lattice-manager.XXXXXX)
NPID=
HPIDS=()
MPIDS=()
BG=()
cleanup() {
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${MPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  kill_providers "provider keyvalue-" # a host killed with -9 cannot stop its own
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
SUITE=manager
OK_SECS=90 # a deploy may wait for several scales
. "$ROOT/tests/lattice/lib.sh"

HC=$C/hello_http_c.component.wasm
if [ ! -f "$HC" ]; then
  echo "manager: building the test components (tests/component/build.sh)"
  if ! tests/component/build.sh "$C" >"$T/build.log" 2>&1 || [ ! -f "$HC" ]; then
    tail -n 20 "$T/build.log"
    echo "manager: 0 passed, 1 failed"
    exit 1
  fi
fi
cp "$HC" "$T/hello-v2.wasm" # the same component under another reference, for upgrades
IMG1="file://$HC"
IMG2="file://$T/hello-v2.wasm"

# ---- nats-server, hosts, a manager ------------------------------------------------------
NPORT=$(free_port)
if ! start_nats; then
  cat "$T/nats.log"
  echo "manager: 0 passed, 1 failed (nats-server did not start)"
  exit 1
fi
lattice_wrapper
start_host() { # N LABEL (provider health checks every 0.5 s, for the health checks below)
  LATTICE_PROVIDER_FIRST_HEALTH_MS=300 LATTICE_PROVIDER_HEALTH_MS=500 "$LATTICE" host --nats-port "$NPORT" --allow-file-load --label "$2" --friendly-name "host-$1" \
    >"$T/host$1.log" 2>&1 &
  HPIDS[$1]=$!
}
start_manager() { # N [ARGS...]
  local n=$1
  shift
  "$LATTICE" manager --nats-port "$NPORT" --id "m$n" "$@" >>"$T/manager$n.log" 2>&1 &
  MPIDS[$n]=$!
}
start_host 1 zone=a
start_host 2 zone=b
start_host 3 zone=c
start_manager 1
wait_hosts 3
[ "$nh" -eq 3 ] && pass || fail hosts "host.ping gathered $nh hosts, want 3"
H1=$(hid 1) H2=$(hid 2) H3=$(hid 3)
HPIDS_ID=("" "$H1" "$H2" "$H3")
for _ in $(seq 1 100); do L app list >/dev/null 2>&1 && break; sleep 0.1; done

# inventory helpers: "HOST COUNT IMAGE" lines for a component id; provider hosts
inv() { L get inventory -o json --timeout-ms 600 2>/dev/null; }
counts() { # ID -> "host:count ..." sorted, and the total on the last line
  inv | python3 -c '
import json, sys
d = json.load(sys.stdin); want = sys.argv[1]; tot = 0; out = []
for h in d.get("inventories", []):
    for c in h.get("components", []):
        if c["id"] == want:
            out.append("%s:%d" % (h["labels"].get("zone", "?"), c["max_instances"])); tot += c["max_instances"]
print(" ".join(sorted(out))); print(tot)' "$1"
}
total() { counts "$1" | sed -n 2p; }
where() { counts "$1" | sed -n 1p; }
provs() { # ID -> number of hosts running it
  inv | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for h in d.get("inventories", []) for p in h.get("providers", []) if p["id"] == sys.argv[1]))' "$1"
}
status_of() { L app status "$1" -o json 2>/dev/null | python3 -c '
import json, sys
try: s = json.load(sys.stdin)["status"]
except Exception: print("none"); sys.exit()
print(s["status"]["type"], s["status"].get("message", ""))'; }
# wait_for SECS CMD...: until CMD succeeds
wait_for() {
  local secs=$1
  shift
  local end=$(($(date +%s) + secs))
  while [ "$(date +%s)" -le "$end" ]; do "$@" && return 0; sleep 0.2; done
  return 1
}
is_total() { [ "$(total "$1")" = "$2" ]; }
is_where() { [ "$(where "$1")" = "$2" ]; }
is_status() { status_of "$1" | grep -qE "^$2"; }
links_of() { L get links -o json 2>/dev/null; }

manifest() { # NAME VERSION BODY-of-spec.components (indented 4)
  printf 'apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: %s\n  annotations:\n    version: %s\n%sspec:\n  components:\n%s\n' \
    "$1" "$2" "${EXTRA_META:-}" "$3"
}
spread_comp() { # NAME IMAGE INSTANCES SPREADS-YAML(indented 14)
  printf '    - name: %s\n      type: component\n      properties:\n        image: %s\n      traits:\n        - type: spreadscaler\n          properties:\n            instances: %s\n%s\n' \
    "$1" "$2" "$3" "$4"
}

# wadm_state's host list (what washboard reads): "N" host ids, or "" when missing
state_hosts() {
  $NATSPY "$NPORT" req '$JS.API.STREAM.MSG.GET.KV_wadm_state' \
    --data '{"last_by_subj":"$KV.wadm_state.host_default"}' --wait 3 2>/dev/null | python3 -c '
import base64, json, sys
try:
    d = json.loads(base64.b64decode(json.load(sys.stdin)["message"]["data"]))
    print(" ".join(sorted(d)))
except Exception:
    print("")'
}
state_has() { [ "$(state_hosts | wc -w)" = "$1" ]; }
wait_for 15 state_has 3 && pass || fail wadm-state "wadm_state host_default lists '$(state_hosts)', want 3 hosts"

# ---- api --------------------------------------------------------------------------------
manifest api v1 "$(spread_comp web "$IMG1" 1 '')" >"$T/api.yaml"
ok put L app put "$T/api.yaml" -o json
grep -q '"result":"created","total_versions":1,"current_version":"v1","message":"Successfully put manifest api ","name":"api"' "$T/out" &&
  pass || fail put-shape "put reply differs from wadm's"
no put-again 'Manifest version v1 already exists' L app put "$T/api.yaml"
sed 's/version: v1/version: latest/' "$T/api.yaml" >"$T/latest.yaml"
no put-latest 'latest is not allowed in wadm' L app put "$T/latest.yaml"
sed 's/version: v1/version: v2/' "$T/api.yaml" >"$T/api2.yaml"
ok put-v2 L app put "$T/api2.yaml" -o json
grep -q '"result":"newversion","total_versions":2,"current_version":"v2","message":"Successfully put manifest api v1"' "$T/out" &&
  pass || fail put-v2-shape "newversion reply differs"
ok versions L app versions api -o json
grep -q '"versions":\[{"version":"v1","deployed":false},{"version":"v2","deployed":false}\]' "$T/out" &&
  pass || fail versions-shape "versions reply differs"
ok get L app get api --version v1 -o json
grep -q '"message":"Successfully fetched application api v1","manifest":{' "$T/out" && pass || fail get-shape "get"
no get-missing 'Application with the name nope not found' L app get nope
ok list L app list -o json
grep -q '"result":"success","message":"Successfully fetched list of applications","models":\[{"name":"api","version":"v2"' "$T/out" &&
  pass || fail list-shape "list reply differs"
ok status-undeployed L app status api -o json
grep -q '"status":{"status":{"type":"undeployed"},"version":"","components":\[\]}' "$T/out" && pass ||
  fail status-undeployed-shape "status of an undeployed app"
no deploy-missing-version "does not have a version 'v9' to deploy" L app deploy api --version v9
ok del-version L app delete api --version v1 -o json
grep -q '"result":"deleted","message":"Successfully deleted version v1 of application api","undeploy":false' "$T/out" &&
  pass || fail del-shape "del reply differs"
ok del-all L app delete api -o json
grep -q '"Successfully deleted application api","undeploy":true' "$T/out" && pass || fail del-all-shape "del all"
no del-noop "Application api doesn't exist or was already deleted" L app delete api
# broken manifests through the API: refused with a position, nothing stored
printf 'apiVersion: a\nkind: b\nmetadata:\n  name: broken\n  annotations: {}\nspec:\n  components:\n    - name: x\n      type: component\n      properties: {image: y}\n      traits:\n        - type: spreadscaler\n          properties: {replicas: many}\n' >"$T/b1.yaml"
no api-broken-scaler 'Scaler trait deserialized as custom trait.* at line 13 column' L app put "$T/b1.yaml"
printf 'apiVersion: a\nkind: b\nmetadata:\n  name: broken\n  annotations: {}\nspec:\n  components: [\n' >"$T/b2.yaml"
no api-broken-yaml 'Unable to parse manifest: .* at line' L app put "$T/b2.yaml"
printf '{"apiVersion":"a","kind":"b","metadata":{"name":"broken","annotations":{}},"spec":{"components":[{"name":"x","type":"component","properties":{"image":"y"},"traits":[{"type":"link","properties":{"namespace":5,"package":"p","interfaces":["i"],"target":"x"}}]}]}}' >"$T/b3.json"
no api-broken-json 'field `namespace` must be a string.* at line 1 column' L app put "$T/b3.json"
ok api-nothing-stored L app list -o json
grep -q '"models":\[\]' "$T/out" && pass || fail api-nothing-stored-list "a broken manifest left something"
# a raw request on an unknown subject, and one with extra tokens
$NATSPY "$NPORT" req wadm.api.default.model.get.a.b --wait 5 >"$T/out" 2>&1
grep -q 'Found extra components of subject' "$T/out" && pass || fail api-extra-tokens "extra tokens"
$NATSPY "$NPORT" req wadm.api.default.nope.get --wait 5 >"$T/out" 2>&1
grep -q 'Unsupported subject: wadm.api.default.nope.get' "$T/out" && pass || fail api-unsupported "unsupported"

# ---- spread: weights and eligibility ------------------------------------------------------
SP='            spread:
              - name: a
                weight: 2
                requirements: {zone: a}
              - name: b
                weight: 1
                requirements: {zone: b}'
manifest spread v1 "$(spread_comp web "$IMG1" 3 "$SP")" >"$T/spread.yaml"
ok spread-deploy L app deploy "$T/spread.yaml" --wait 60s
wait_for 20 is_where spread-web "a:2 b:1" && pass || fail spread-placement "want a:2 b:1, got '$(where spread-web)'"
ok spread-status L app status spread
grep -q 'spread: deployed' "$T/out" && grep -q 'SpreadScaler' "$T/out" && pass || fail spread-status-text "status"
# 7 over three spreads of weight 1: 3/2/2, one host each
SP3='            spread:
              - {name: a, requirements: {zone: a}, weight: 1}
              - {name: b, requirements: {zone: b}, weight: 1}
              - {name: c, requirements: {zone: c}, weight: 1}'
manifest fan v1 "$(spread_comp web "$IMG1" 7 "$SP3")" >"$T/fan.yaml"
ok fan-deploy L app deploy "$T/fan.yaml" --wait 60s
wait_for 20 is_where fan-web "a:3 b:2 c:2" && pass || fail fan-placement "want a:3 b:2 c:2, got '$(where fan-web)'"

# ---- daemonscaler ----------------------------------------------------------------------------
manifest daemon v1 "    - name: web
      type: component
      properties:
        image: $IMG1
      traits:
        - type: daemonscaler
          properties:
            instances: 2
            spread:
              - {name: bc, requirements: {}}" >"$T/daemon.yaml"
ok daemon-deploy L app deploy "$T/daemon.yaml" --wait 60s
wait_for 20 is_where daemon-web "a:2 b:2 c:2" && pass || fail daemon-placement "want 2 on every host, got '$(where daemon-web)'"

# ---- requirements no host meets -----------------------------------------------------------
manifest unmet v1 "$(spread_comp web "$IMG1" 1 '            spread:
              - {name: nowhere, requirements: {zone: z}}')" >"$T/unmet.yaml"
ok unmet-deploy L app deploy "$T/unmet.yaml"
wait_for 15 is_status unmet failed && pass || fail unmet-failed "status: $(status_of unmet)"
status_of unmet | grep -q 'Could not satisfy spread nowhere for' && pass || fail unmet-reason "$(status_of unmet)"
[ "$(total unmet-web)" = 0 ] && pass || fail unmet-nothing "something runs"

# ---- configs ---------------------------------------------------------------------------------
manifest cfg v1 "    - name: web
      type: component
      properties:
        image: $IMG1
        config:
          - name: greeting
            properties: {text: hi}
          - name: not-there
      traits:
        - type: spreadscaler
          properties: {instances: 1}" >"$T/cfg.yaml"
ok cfg-deploy L app deploy "$T/cfg.yaml"
wait_for 15 is_status cfg failed && pass || fail cfg-failed "status: $(status_of cfg)"
status_of cfg | grep -q 'Specified configuration not-there does not exist' && pass || fail cfg-reason "$(status_of cfg)"
ok cfg-managed L config get cfg-greeting -o json
grep -q '"text":"hi"' "$T/out" && pass || fail cfg-managed-value "managed config cfg-greeting not put"
ok cfg-fix L config put not-there k=v
wait_for 20 is_status cfg deployed && pass || fail cfg-recovers "status after the config exists: $(status_of cfg)"

# ---- http: builtin server + link + config -----------------------------------------------------
WPORT=$(free_port)
manifest web v1 "    - name: hello
      type: component
      properties:
        image: $IMG1
      traits:
        - type: spreadscaler
          properties:
            instances: 2
            spread:
              - {name: a, requirements: {zone: a}}
    - name: httpserver
      type: capability
      properties:
        image: wasmcloud+builtin://http-server
      traits:
        - type: spreadscaler
          properties:
            instances: 1
            spread:
              - {name: a, requirements: {zone: a}}
        - type: link
          properties:
            namespace: wasi
            package: http
            interfaces: [incoming-handler]
            target: {name: hello}
            source:
              config:
                - name: listen
                  properties: {address: 127.0.0.1:$WPORT}" >"$T/web.yaml"
ok web-deploy L app deploy "$T/web.yaml" --wait 60s
served() { curl -s -m 3 "http://127.0.0.1:$WPORT/x" | grep -q 'hello from C'; }
wait_for 20 served && pass || fail web-served "curl got no answer from the component"
links_of | grep -q '"source_id":"web-httpserver","target":"web-hello"' && pass || fail web-link "link not put"
[ "$(provs web-httpserver)" = 1 ] && pass || fail web-provider "want the http-server on one host"
# a link deleted by hand comes back
L link del web-httpserver wasi http >/dev/null 2>&1
wait_for 15 served && pass || fail web-link-restored "the deleted link was not put back"

# ---- providers: at most one per host -------------------------------------------------------
prov() { # NAME SCALER INSTANCES
  manifest "$1" v1 "    - name: http
      type: capability
      properties:
        image: wasmcloud+builtin://http-server
      traits:
        - type: $2
          properties: {instances: $3}"
}
prov pdaemon daemonscaler 1 >"$T/pdaemon.yaml"
ok provider-daemon L app deploy "$T/pdaemon.yaml" --wait 60s
prov_is() { [ "$(provs "$1")" = "$2" ]; }
wait_for 15 prov_is pdaemon-http 3 && pass || fail provider-daemon-hosts "want the provider on 3 hosts, got $(provs pdaemon-http)"
prov pspread spreadscaler 5 >"$T/pspread.yaml"
ok provider-spread L app deploy "$T/pspread.yaml" --wait 60s
wait_for 15 prov_is pspread-http 3 && pass || fail provider-spread-hosts "5 wanted, 3 hosts: want 3, got $(provs pspread-http)"
sleep 2
[ "$(provs pspread-http)" = 3 ] && pass || fail provider-one-per-host "got $(provs pspread-http)"
L app undeploy pspread >/dev/null 2>&1
wait_for 15 prov_is pspread-http 0 && pass || fail provider-undeploy "providers left: $(provs pspread-http)"
# a provider process that stops answering its health checks fails the scaler (wadm:
# "Unhealthy provider on N host(s)"), and it is deployed again once it answers
manifest phealth v1 "    - name: kv
      type: capability
      properties:
        image: wasmcloud+builtin://keyvalue-nats
      traits:
        - type: spreadscaler
          properties: {instances: 1}" >"$T/phealth.yaml"
ok provider-health-deploy L app deploy "$T/phealth.yaml" --wait 60s
ppid=
for _ in $(seq 1 100); do
  ppid=$(grep -ho 'provider process started provider_id=phealth-kv pid=[0-9]*' "$T"/host*.log | tail -n 1 | sed 's/.*pid=//')
  [ -n "$ppid" ] && break
  sleep 0.1
done
if [ -n "$ppid" ] && kill -STOP "$ppid" 2>/dev/null; then
  wait_for 20 is_status phealth failed && status_of phealth | grep -q 'Unhealthy provider on 1 host(s)' &&
    pass || fail provider-unhealthy "status $(status_of phealth), want failed: Unhealthy provider on 1 host(s)"
  kill -CONT "$ppid"
  wait_for 20 is_status phealth deployed && pass || fail provider-healthy-again "status $(status_of phealth)"
else
  fail provider-health-pid "no pid for the phealth-kv provider process"
fi
L app undeploy phealth >/dev/null 2>&1
wait_for 15 prov_is phealth-kv 0 && pass || fail provider-health-undeploy "providers left: $(provs phealth-kv)"

# ---- upgrade: no moment of zero instances -------------------------------------------------
manifest up v1 "$(spread_comp web "$IMG1" 3 '')" >"$T/up1.yaml"
manifest up v2 "$(spread_comp web "$IMG2" 3 '')" >"$T/up2.yaml"
ok up-v1 L app deploy "$T/up1.yaml" --wait 60s
wait_for 20 is_total up-web 3 && pass || fail up-v1-count "want 3, got $(total up-web)"
( while :; do echo "$(date +%s.%N) $(total up-web)"; sleep 0.05; done ) >"$T/up.watch" 2>/dev/null &
WPID=$!
BG+=("$WPID")
$NATSPY "$NPORT" sub 'wasmbus.evt.default.component_scaled' --count 1000 --wait 20 --ready "$T/up.ready" \
  >"$T/up.events" 2>/dev/null &
BG+=($!)
for _ in $(seq 1 50); do [ -f "$T/up.ready" ] && break; sleep 0.1; done
sleep 2
ok up-v2 L app deploy "$T/up2.yaml" --wait 60s
img_is_v2() { inv | grep -q "hello-v2.wasm"; }
wait_for 20 img_is_v2 && pass || fail up-image "the new image never ran"
sleep 1
kill "$WPID" 2>/dev/null
zeros=$(awk '$2 == "0"' "$T/up.watch" | wc -l)
[ "$zeros" -eq 0 ] && [ "$(wc -l <"$T/up.watch")" -gt 3 ] && pass ||
  fail up-no-gap "$zeros samples with zero instances during the upgrade (of $(wc -l <"$T/up.watch"))"
grep '"component_id":"up-web"' "$T/up.events" | grep -q '"max_instances":0' &&
  fail up-no-stop "a component_scaled to 0 for up-web during the upgrade" || pass
[ "$(total up-web)" = 3 ] && pass || fail up-v2-count "want 3 after the upgrade, got $(total up-web)"
ok up-versions L app versions up -o json
grep -q '{"version":"v2","deployed":true}' "$T/out" && pass || fail up-deployed-v2 "v2 not marked deployed"

# ---- shared applications ------------------------------------------------------------------
EXTRA_META='    experimental.wasmcloud.dev/shared: "true"
' manifest shared v1 "$(spread_comp hello "$IMG1" 1 '')" >"$T/shared.yaml"
manifest consumer v1 "    - name: hello
      type: component
      properties:
        application: {name: shared, component: hello}
    - name: caller
      type: component
      properties:
        image: $IMG1
      traits:
        - type: spreadscaler
          properties: {instances: 1}
        - type: link
          properties:
            namespace: example
            package: greet
            interfaces: [greeter]
            target: {name: hello}" >"$T/consumer.yaml"
ok consumer-put L app put "$T/consumer.yaml"
grep -q 'but some shared components are not deployed' "$T/out" && pass || fail consumer-put-msg "put message"
no consumer-early 'shared components that are not deployed' L app deploy consumer
ok shared-deploy L app deploy "$T/shared.yaml" --wait 60s
ok consumer-deploy L app deploy consumer --wait 60s
wait_for 15 is_total shared-hello 1 && pass || fail shared-one "want one shared-hello, got $(total shared-hello)"
[ "$(total consumer-hello)" = 0 ] && pass || fail shared-no-copy "the consumer started its own hello"
links_of | grep -q '"source_id":"consumer-caller","target":"shared-hello"' && pass || fail shared-link "link to shared id"

# ---- two managers at once: no duplicate starts ----------------------------------------------
start_manager 2
sleep 2
$NATSPY "$NPORT" sub 'wasmbus.evt.default.component_scaled' --count 1000 --wait 25 --ready "$T/two.ready" \
  >"$T/two.events" 2>/dev/null &
BG+=($!)
for _ in $(seq 1 50); do [ -f "$T/two.ready" ] && break; sleep 0.1; done
manifest two v1 "$(spread_comp web "$IMG1" 6 "$SP3")
$(spread_comp api "$IMG1" 2 '')" >"$T/two.yaml"
ok two-deploy L app deploy "$T/two.yaml" --wait 60s
wait_for 20 is_where two-web "a:2 b:2 c:2" && pass || fail two-placement "got '$(where two-web)'"
sleep 3
starts=$(grep -c '"component_id":"two-' "$T/two.events")
[ "$starts" -eq 4 ] && pass || fail two-no-duplicates "want 4 component_scaled for app two (3 spreads + 1), got $starts"

# ---- host loss: SIGKILL, instances back within 10 s -----------------------------------------
manifest loss v1 "$(spread_comp web "$IMG1" 2 '            spread:
              - {name: bc, requirements: {}}')" >"$T/loss.yaml"
ok loss-deploy L app deploy "$T/loss.yaml" --wait 60s
wait_for 20 is_total loss-web 2 || true
victim=$(where loss-web | cut -d: -f1)
case $victim in a) vn=1 ;; b) vn=2 ;; c) vn=3 ;; *) vn= ;; esac
if [ -z "$vn" ]; then
  fail loss-placed "loss-web runs nowhere: '$(where loss-web)'"
else
  t0=$(date +%s.%N)
  kill -9 "${HPIDS[$vn]}"
  wait "${HPIDS[$vn]}" 2>/dev/null
  back() { local w; w=$(where loss-web); [ -n "$w" ] && [ "${w%%:*}" != "$victim" ] && [ "$(total loss-web)" = 2 ]; }
  if wait_for 15 back; then
    t1=$(date +%s.%N)
    secs=$(python3 -c "print(round($t1 - $t0, 1))")
    echo "manager: host killed, instances back in ${secs}s"
    wait_for 10 state_has 2 && ! state_hosts | grep -q "${HPIDS_ID[$vn]:-none}" && pass ||
      fail wadm-state-lost "the dead host is still listed in wadm_state: $(state_hosts)"
    python3 -c "import sys; sys.exit(0 if $t1 - $t0 <= 10 else 1)" && pass ||
      fail loss-bound "instances back after ${secs}s, want <= 10s"
  else
    fail loss-restored "instances not restored: '$(where loss-web)'"
  fi
fi

# ---- manager killed mid-rollout: another finishes ---------------------------------------------
kill -9 "${MPIDS[2]}"
wait "${MPIDS[2]}" 2>/dev/null
manifest roll v1 "$(spread_comp one "$IMG1" 1 '')
$(spread_comp two "$IMG1" 1 '')
$(spread_comp three "$IMG1" 1 '')" >"$T/roll.yaml"
ok roll-put L app put "$T/roll.yaml"
L app deploy roll >/dev/null 2>&1
sleep 0.3
kill -9 "${MPIDS[1]}"
wait "${MPIDS[1]}" 2>/dev/null
start_manager 3
done_roll() { [ "$(total roll-one)" = 1 ] && [ "$(total roll-two)" = 1 ] && [ "$(total roll-three)" = 1 ]; }
wait_for 30 done_roll && pass || fail failover "the second manager did not finish: $(total roll-one)/$(total roll-two)/$(total roll-three)"
wait_for 15 is_status roll deployed && pass || fail failover-status "status: $(status_of roll)"

# ---- undeploy: nothing left ----------------------------------------------------------------------
for app in spread fan daemon unmet cfg web pdaemon up consumer shared two loss roll; do
  L app undeploy "$app" >"$T/out" 2>"$T/err" || fail "undeploy-$app" "undeploy refused"
done
empty() { inv | python3 -c '
import json, sys
d = json.load(sys.stdin)
n = sum(len(h.get("components", [])) + len(h.get("providers", [])) for h in d.get("inventories", []))
sys.exit(0 if n == 0 else 1)'; }
wait_for 30 empty && pass || fail undeploy-empty "components or providers left: $(inv | head -c 600)"
nolinks() { ! links_of | grep -q '"source_id"'; }
wait_for 15 nolinks && pass || fail undeploy-links "links left: $(links_of | head -c 400)"
wait_for 10 is_status web undeployed && pass || fail undeploy-status "status: $(status_of web)"

# ---- the end ---------------------------------------------------------------------------------------
kill -TERM "${MPIDS[3]}"
for _ in $(seq 1 100); do kill -0 "${MPIDS[3]}" 2>/dev/null || break; sleep 0.1; done
wait "${MPIDS[3]}" 2>/dev/null
rc=$?
[ $rc -eq 0 ] && pass || fail manager-sigterm "the manager exited $rc on SIGTERM"
for f in "$T"/manager*.log; do
  if grep -qE 'Sanitizer|runtime error:' "$f"; then
    fail "sanitizer-$(basename "$f")" "report in $f"
    grep -E -A12 'Sanitizer|runtime error:' "$f" | head -n 30
  else pass; fi
done
echo "manager: $npass passed, $nfail failed"
[ $nfail -eq 0 ]
