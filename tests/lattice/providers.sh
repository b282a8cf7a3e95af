#!/usr/bin/env bash
# The providers suite: executable capability providers under a host's
# supervision (PROTOCOL.md §5), against a real nats-server and two
# `lattice host` processes on loopback ports of their own.
#
#   start      build/debug/calc_provider (built with src/providers/sdk) started
#              on H2 with a file:// ref: provider_started; the provider logs the
#              HostData fields it got (provider_key, host_id, lattice, xkey...)
#   call       the caller component on H1, linked to the provider (test calc
#              ops), answers /greet/NAME with the provider's greeting over wRPC;
#              the provider got the link put (as target)
#   health     health_check events arrive on the provider's schedule
#   restart    the provider killed with SIGKILL: restarted (provider_started with
#              "restarted":true), calls resume
#   link-del   the provider gets the link del
#   stop       `lattice stop provider`: provider_stopped, the process is gone;
#              one that ignores the shutdown request (its HostData config says
#              so) gets SIGTERM; a change to its named config reaches it
#              as config.update
#   failures   an executable that exits at once: provider_start_failed naming
#              the exit status; a missing file: the reason; a file:// ref on a
#              host without --allow-file-load: refused
#   shutdown   at host stop a running provider is stopped too
#
# Every process is started here and stopped by its pid; every wait is
# bounded.  Ends with `providers: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
PROV=$ROOT/build/debug/calc_provider
C=$ROOT/build/components
NATSPY="python3 $ROOT/tests/lattice/nats.py"
T=$(mktemp -d /tmp/lattice-prov.XXXXXX)
NPID=
HPIDS=()
EPID=
cleanup() {
  [ -n "$EPID" ] && kill "$EPID" 2>/dev/null
  for p in "${HPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  kill_providers "$T" # a host killed with -9 cannot stop its own
  [ -n "$NPID" ] && kill "$NPID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] && echo "providers: kept $T" || rm -rf "$T"
}
trap cleanup EXIT
SUITE=providers
. "$ROOT/tests/lattice/lib.sh"

CALLER=$C/caller_http_c.component.wasm
if [ ! -x "$PROV" ]; then
  echo "providers: $PROV is missing (make debug)"
  echo "providers: 0 passed, 1 failed"
  exit 1
fi
if [ ! -f "$CALLER" ] || [ -n "$(find tests/component/http_c tests/component/build.sh -newer "$CALLER" -type f | head -n 1)" ]; then
  if ! tests/component/build.sh "$C" >"$T/build.log" 2>&1 || [ ! -f "$CALLER" ]; then
    cat "$T/build.log"
    echo "providers: 0 passed, 1 failed"
    exit 1
  fi
fi
# copies under $T, so the processes found by path are this run's
cp "$PROV" "$T/calc_provider"
printf '#!/bin/sh\necho "going away at once" >&2\nexit 3\n' >"$T/quitter"
chmod +x "$T/quitter"

NPORT=$(free_port)
if ! start_nats; then
  cat "$T/nats.log"
  echo "providers: 0 passed, 1 failed (nats-server did not start)"
  exit 1
fi
lattice_wrapper

$NATSPY "$NPORT" sub 'wasmbus.evt.default.>' --count 100000 --wait 600 --ready "$T/evt.ready" \
  >"$T/events" 2>/dev/null &
EPID=$!
for _ in $(seq 1 50); do [ -f "$T/evt.ready" ] && break; sleep 0.1; done

start_host() { # N [ARGS...]
  local n=$1
  shift
  LATTICE_PROVIDER_FIRST_HEALTH_MS=300 LATTICE_PROVIDER_HEALTH_MS=700 \
  LATTICE_PROVIDER_RESTART_MS=300 \
    "$LATTICE" host --nats-port "$NPORT" --friendly-name "host-$n" "$@" >"$T/host$n.log" 2>&1 &
  HPIDS[$n]=$!
}
start_host 1 --allow-file-load
start_host 2 --allow-file-load
start_host 3
wait_hosts 3
[ "$nh" -eq 3 ] && pass || fail hosts "host.ping gathered $nh hosts, want 3"
H1=$(hid 1) H2=$(hid 2) H3=$(hid 3)

# ---- start, HostData --------------------------------------------------------------------
ok start L start provider "file://$T/calc_provider" calcprov --host-id "$H2" -o json
grep -q 'provider_started' "$T/out" && pass || fail start-event "no provider_started"
until_grep "$T/host2.log" 'serving test:calc/ops' && pass || fail start-serving "the provider does not serve"
line=$(grep 'hostdata provider_key' "$T/host2.log" | head -n 1)
echo "$line" | grep -q "provider_key=calcprov host_id=$H2 lattice=default link_name=default" &&
  echo "$line" | grep -q 'host_xkey=X' && echo "$line" | grep -q 'has_seed=0' &&
  echo "$line" | grep -qE 'instance_id=[0-9a-f-]{36} ' &&
  echo "$line" | grep -q "rpc_url=nats://127.0.0.1:$NPORT" && pass ||
  fail hostdata "the provider's HostData: $line"
ok inventory L get inventory "$H2" -o json
grep -q '"id":"calcprov"' "$T/out" && pass || fail inventory-prov "calcprov not in H2's inventory"
no start-again 'already running' L start provider "file://$T/calc_provider" calcprov --host-id "$H2"

# ---- a component calls the provider --------------------------------------------------------
W=$(free_port)
ok http L start provider wasmcloud+builtin://http-server http-server --host-id "$H1"
ok caller L start component "file://$CALLER" caller --host-id "$H1" --max-instances 2
ok addr L config put caller-addr "address=127.0.0.1:$W"
ok http-link L link put http-server caller wasi http --interface incoming-handler \
  --source-config caller-addr
ok prov-link L link put caller calcprov test calc --interface ops
greet() { # NAME: polls until the answer comes from the provider
  for _ in $(seq 1 "${2:-50}"); do
    curl -s -m 10 "http://127.0.0.1:$W/greet/$1" >"$T/out" 2>/dev/null &&
      grep -q "hello, $1 (from the provider)" "$T/out" && return 0
    sleep 0.1
  done
  return 1
}
greet bob && pass || fail call "the caller did not get the provider's answer: $(cat "$T/out")"
until_grep "$T/host2.log" 'link put source=caller target=calcprov name=default test:calc as_source=0' &&
  pass || fail link-put "the provider did not get the link put"

# ---- health ------------------------------------------------------------------------------
until_grep "$T/events" 'health_check_(status|passed)' 50 && pass || fail health "no health_check event"

# ---- restart after a crash ------------------------------------------------------------------
pid=$(grep -o 'provider process started provider_id=calcprov pid=[0-9]*' "$T/host2.log" | tail -n 1 | sed 's/.*pid=//')
if [ -n "$pid" ] && ps -o args= -p "$pid" | grep -q "$T/calc_provider"; then
  kill -9 "$pid"
  until_grep "$T/host2.log" 'restarting in' 50 && pass || fail restart-log "no restart in H2's log"
  until_grep "$T/events" '"restarted":true' 100 && pass || fail restart-event "no provider_started with restarted"
  grep -q 'health_check_failed' "$T/events" && pass || fail restart-health "no health_check_failed after the crash"
  greet carol 100 && pass || fail restart-call "calls did not resume: $(cat "$T/out")"
  pid2=$(grep -o 'provider process started provider_id=calcprov pid=[0-9]*' "$T/host2.log" | tail -n 1 | sed 's/.*pid=//')
  [ "$pid2" != "$pid" ] && pass || fail restart-pid "the same pid after the restart"
else
  fail restart "no provider pid in H2's log ($pid)"
fi

# ---- link del, stop -----------------------------------------------------------------------
ok prov-link-del L link del caller test calc
until_grep "$T/host2.log" 'link del source=caller target=calcprov' && pass || fail link-del "the provider did not get the link del"
pid=$(grep -o 'provider process started provider_id=calcprov pid=[0-9]*' "$T/host2.log" | tail -n 1 | sed 's/.*pid=//')
ok stop L stop provider calcprov --host-id "$H2" -o json
grep -q 'provider_stopped' "$T/out" && pass || fail stop-event "no provider_stopped"
grep -q 'shutting down' "$T/host2.log" && pass || fail stop-graceful "the provider did not get the shutdown request"
sleep 0.2
ps -p "$pid" >/dev/null 2>&1 && fail stop-gone "the provider process $pid still runs" || pass
ok inventory-after L get inventory "$H2" -o json
grep -q '"id":"calcprov"' "$T/out" && fail inventory-gone "calcprov still in H2's inventory" || pass

# a provider that ignores the shutdown request gets SIGTERM (its config came in HostData)
ok stubborn-cfg L config put stubborn ignore_shutdown=1
ok stubborn L start provider "file://$T/calc_provider" stubborn --host-id "$H2" --config stubborn
pid=$(grep -o 'provider process started provider_id=stubborn pid=[0-9]*' "$T/host2.log" | tail -n 1 | sed 's/.*pid=//')
ok stubborn-cfg2 L config put stubborn ignore_shutdown=1 colour=blue
until_grep "$T/host2.log" 'config update colour=blue' && pass || fail config-update "no config.update reached the provider"
ok stubborn-stop L stop provider stubborn --host-id "$H2" -o json
grep -q 'provider_stopped' "$T/out" && grep -q 'ignoring the shutdown request' "$T/host2.log" &&
  grep -q 'SIGTERM provider_id=stubborn' "$T/host2.log" && pass ||
  fail stubborn-term "no SIGTERM after the ignored shutdown request"
sleep 0.2
[ -n "$pid" ] && ! ps -p "$pid" >/dev/null 2>&1 && pass || fail stubborn-gone "provider $pid still runs"

# ---- failures ------------------------------------------------------------------------------
no quitter 'exited with status 3' L start provider "file://$T/quitter" quitter --host-id "$H2"
grep -q 'going away at once' "$T/host2.log" && pass || fail quitter-log "the child's stderr is not in the host's log"
no missing 'cannot run' L start provider "file://$T/nope" nope --host-id "$H2"
no no-file-load 'allow-file-load' L start provider "file://$T/calc_provider" calcprov3 --host-id "$H3"
ok inventory-clean L get inventory "$H2" -o json
grep -qE '"id":"(quitter|nope)"' "$T/out" && fail inventory-failed "a failed provider stays in the inventory" || pass

# ---- host shutdown stops its providers -------------------------------------------------------
ok start-again L start provider "file://$T/calc_provider" calcprov2 --host-id "$H2"
pid=$(grep -o 'provider process started provider_id=calcprov2 pid=[0-9]*' "$T/host2.log" | tail -n 1 | sed 's/.*pid=//')
ok stop-host L stop host "$H2"
for _ in $(seq 1 100); do kill -0 "${HPIDS[2]}" 2>/dev/null || break; sleep 0.1; done
if kill -0 "${HPIDS[2]}" 2>/dev/null; then fail host-stop "H2 still runs 10 s after host.stop"
else wait "${HPIDS[2]}"; rc=$?; [ $rc -eq 0 ] && pass || fail host-stop-rc "H2 exited $rc"; fi
[ -n "$pid" ] && ! ps -p "$pid" >/dev/null 2>&1 && pass || fail host-stop-prov "provider $pid outlived its host"
until_grep "$T/events" '"reason":"host_stop"' 30 && pass || fail host-stop-event "no provider_stopped at host stop"

for n in 1 3; do kill -TERM "${HPIDS[$n]}"; done
for n in 1 3; do
  for _ in $(seq 1 100); do kill -0 "${HPIDS[$n]}" 2>/dev/null || break; sleep 0.1; done
  wait "${HPIDS[$n]}" 2>/dev/null
done
for n in 1 2 3; do
  if grep -qE 'Sanitizer|runtime error:' "$T/host$n.log"; then
    fail "sanitizer-host$n" "report in host $n's log (the host's or a provider's)"
    grep -E -A12 'Sanitizer|runtime error:' "$T/host$n.log" | head -n 30
  else pass; fi
done
echo "providers: $npass passed, $nfail failed"
[ $nfail -eq 0 ]
