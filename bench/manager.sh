#!/usr/bin/env bash
# The manager part of `make bench` (called by bench/run.sh): a nats-server of
# its own on a free loopback port, three `lattice host` processes (zone=a,
# zone=b, zone=c; wasmCloud's default 30 s heartbeat) and one `lattice
# manager`, release build:
#
#   deploy        `lattice app deploy FILE --wait` of a three-component app,
#                 each component spread over the three hosts (9 placements),
#                 until the manager reports every instance running; median of
#                 3 (undeployed and cleaned up in between)
#   host loss     a host SIGKILLed (no goodbye): seconds until its instances
#                 run on another host (target <= 10 s; wadm: 70 s)
#   100 apps      the manager's CPU (% of one core, over 20 s of steady
#                 state) and RSS with 100 one-component applications deployed
#
# Every process is stopped by its pid.  Env: LATTICE (default build/lattice).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
L=${LATTICE:-build/lattice}
case $L in /*) ;; *) L=$ROOT/$L ;; esac
C=$ROOT/build/components
ST=$(mktemp -d /tmp/lattice-bench-manager.XXXXXX)
NPID= MPID=
HPIDS=()
cleanup() {
  [ -n "$MPID" ] && kill "$MPID" 2>/dev/null
  for p in "${HPIDS[@]}"; do kill "$p" 2>/dev/null; done
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$ST"
}
trap cleanup EXIT
[ -f $C/hello_http_c.component.wasm ] || tests/component/build.sh $C >/dev/null 2>&1
IMG=file://$C/hello_http_c.component.wasm
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(free_port)
nats-server -js -sd "$ST/js" -a 127.0.0.1 -p "$P" >"$ST/nats.log" 2>&1 &
NPID=$!
for _ in $(seq 1 100); do python3 tests/lattice/nats.py "$P" ping 2>/dev/null && break; sleep 0.1; done
A() { "$L" app "$@" --ctl-port "$P"; }
for z in a b c; do
  "$L" host --nats-port "$P" --allow-file-load --label zone=$z --log-level warn >"$ST/host-$z.log" 2>&1 &
  HPIDS+=($!)
done
"$L" manager --nats-port "$P" --log-level warn >"$ST/manager.log" 2>&1 &
MPID=$!
for _ in $(seq 1 100); do
  [ "$("$L" get hosts --ctl-port "$P" --timeout-ms 300 2>/dev/null | grep -c '^N')" -eq 3 ] &&
    A list >/dev/null 2>&1 && break
  sleep 0.2
done
echo "The manager (three hosts, one manager, nats-server on loopback, release build):"
now_ms() { date +%s%3N; }
components_running() {
  "$L" get inventory -o json --ctl-port "$P" --timeout-ms 400 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(len(h.get("components", [])) + len(h.get("providers", [])) for h in d.get("inventories", [])))'
}

# ---- deploy: three components x three hosts ----------------------------------------------------
comp() {
  printf '    - name: %s\n      type: component\n      properties:\n        image: %s\n      traits:\n' "$1" "$IMG"
  printf '        - type: spreadscaler\n          properties:\n            instances: 6\n            spread:\n'
  for z in a b c; do printf '              - {name: %s, requirements: {zone: %s}}\n' $z $z; done
}
times=()
for run in 1 2 3; do
  {
    printf 'apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: three\n'
    printf '  annotations:\n    version: v%s\nspec:\n  components:\n' "$run"
    comp front; comp middle; comp back
  } >"$ST/three.yaml"
  t0=$(now_ms)
  if A deploy "$ST/three.yaml" --wait 60s >/dev/null 2>"$ST/deploy.err"; then
    times+=($(($(now_ms) - t0)))
  else
    echo "  deploy run $run failed: $(cat "$ST/deploy.err")"
  fi
  A undeploy three >/dev/null 2>&1
  for _ in $(seq 1 100); do [ "$(components_running)" = 0 ] && break; sleep 0.2; done
done
if [ ${#times[@]} -gt 0 ]; then
  med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((${#times[@]} + 1) / 2))p")
  echo "  app deploy -> every instance running (3 components x 3 hosts): median ${med} ms of ${#times[@]} (${times[*]})"
fi

# ---- host loss ------------------------------------------------------------------------------------
printf 'apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: loss\n  annotations:\n    version: v1\nspec:\n  components:\n    - name: web\n      type: component\n      properties:\n        image: %s\n      traits:\n        - type: spreadscaler\n          properties:\n            instances: 4\n' "$IMG" >"$ST/loss.yaml"
A deploy "$ST/loss.yaml" --wait 60s >/dev/null 2>&1
where_zone() {
  "$L" get inventory -o json --ctl-port "$P" --timeout-ms 400 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(h["labels"].get("zone", "?") for h in d.get("inventories", []) for c in h.get("components", []) if c["id"] == "loss-web"))'
}
z=$(where_zone)
case $z in a) k=0 ;; b) k=1 ;; c) k=2 ;; *) k= ;; esac
if [ -n "$k" ]; then
  t0=$(now_ms)
  kill -9 "${HPIDS[$k]}"
  wait "${HPIDS[$k]}" 2>/dev/null
  t1=
  for _ in $(seq 1 300); do
    w=$(where_zone)
    if [ -n "$w" ] && [ "$w" != "$z" ]; then t1=$(now_ms); break; fi
    sleep 0.1
  done
  if [ -n "$t1" ]; then
    echo "  host SIGKILLed -> its instances running elsewhere: $(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", ms / 1000 }') s (target <= 10 s; wadm 70 s)"
  else
    echo "  host SIGKILLed: instances not back within 30 s"
  fi
  "$L" host --nats-port "$P" --allow-file-load --label zone=$z --log-level warn >"$ST/host-$z.2.log" 2>&1 &
  HPIDS[$k]=$!
else
  echo "  host loss: the app did not deploy ($z)"
fi
A undeploy loss >/dev/null 2>&1

# ---- 100 applications -----------------------------------------------------------------------------
for i in $(seq 1 100); do
  printf 'apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: app%s\n  annotations:\n    version: v1\nspec:\n  components:\n    - name: web\n      type: component\n      properties:\n        image: %s\n      traits:\n        - type: spreadscaler\n          properties:\n            instances: 1\n' "$i" "$IMG" >"$ST/app.yaml"
  A deploy "$ST/app.yaml" >/dev/null 2>&1
done
for _ in $(seq 1 120); do
  n=$(A list -o json 2>/dev/null | grep -o '"status":"deployed"' | wc -l)
  [ "$n" -ge 100 ] && break
  sleep 1
done
ticks() { awk '{ print $14 + $15 }' "/proc/$MPID/stat"; }
hz=$(getconf CLK_TCK)
c0=$(ticks)
sleep 20
c1=$(ticks)
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$MPID/status")
echo "  100 applications deployed ($n reported deployed): manager CPU $(awk -v d=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.1f", d * 100 / hz / 20 }')% of a core, RSS ${rss} KiB"
exit 0
