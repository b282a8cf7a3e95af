#!/usr/bin/env bash
# The keyvalue part of `make bench` (called by bench/run.sh), against a
# nats-server and a redis-server of its own on free loopback ports, with the
# release build: one host runs the keyvalue-nats and keyvalue-redis built-in
# providers, linked from the source ids bench-nats and bench-redis, and bench/kv_rtt.c calls
# them over wRPC as a host's keyvalue shim does, beside the plain client of
# each store (libnats JetStream KV, hiredis) in the same process and loop,
# and prints the ratios.  redis-benchmark (one client, GET and SET) is
# printed too, as the store's own figure.
#
# Every process is stopped by its pid.  Env: LATTICE (default build/lattice),
# KV_BENCH_N (operations of each kind, default 2000).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
L=${LATTICE:-build/lattice}
N=${KV_BENCH_N:-2000}
ST=$(mktemp -d /tmp/lattice-bench-kv.XXXXXX)
NPID= RPID= HPID=
cleanup() {
  [ -n "$HPID" ] && kill "$HPID" 2>/dev/null
  for _ in $(seq 1 50); do [ -n "$HPID" ] && kill -0 "$HPID" 2>/dev/null || break; sleep 0.1; done
  for p in $RPID $NPID; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$ST"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
command -v redis-server >/dev/null || { echo "keyvalue bench: no redis-server (scripts/setup.sh)"; exit 0; }
[ -x build/bench/kv_rtt ] || make -s build/bench/kv_rtt || exit 1

echo "Keyvalue through the providers (one host, nats-server and redis-server on loopback, release build):"
NP=$(free_port)
RP=$(free_port)
nats-server -js -sd "$ST/js" -a 127.0.0.1 -p "$NP" >"$ST/nats.log" 2>&1 &
NPID=$!
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$ST" >"$ST/redis.log" 2>&1 &
RPID=$!
for _ in $(seq 1 100); do python3 tests/lattice/nats.py "$NP" ping 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$RP") 2>/dev/null && break; sleep 0.1; done
"$L" host --nats-port "$NP" >"$ST/host.log" 2>&1 &
HPID=$!
H=
for _ in $(seq 1 100); do
  H=$(grep -o 'host_id=N[A-Z0-9]*' "$ST/host.log" | head -n 1 | cut -d= -f2)
  [ -n "$H" ] && break
  sleep 0.1
done
[ -n "$H" ] || { echo "  the host did not start"; cat "$ST/host.log"; exit 1; }
P=(--ctl-port "$NP")
KVI=(--interface store --interface atomics --interface batch)
"$L" start provider wasmcloud+builtin://keyvalue-nats kvnats --host-id "$H" "${P[@]}" >/dev/null
"$L" start provider wasmcloud+builtin://keyvalue-redis kvredis --host-id "$H" "${P[@]}" >/dev/null
"$L" config put kvn bucket=benchkv "cluster_uri=nats://127.0.0.1:$NP" enable_bucket_auto_create=true "${P[@]}" >/dev/null
"$L" config put kvr "URL=redis://127.0.0.1:$RP" "${P[@]}" >/dev/null
"$L" link put bench-nats kvnats wasi keyvalue "${KVI[@]}" --target-config kvn "${P[@]}" >/dev/null
"$L" link put bench-redis kvredis wasi keyvalue "${KVI[@]}" --target-config kvr "${P[@]}" >/dev/null
for _ in $(seq 1 100); do
  [ "$(grep -c 'serving wrpc:keyvalue' "$ST/host.log")" -ge 2 ] && [ "$(grep -c 'link put source=bench-' "$ST/host.log")" -ge 2 ] && break
  sleep 0.1
done
sleep 0.5 # both providers have both links
build/bench/kv_rtt "nats://127.0.0.1:$NP" benchkv "$RP" bench "$N" || { tail -n 20 "$ST/host.log"; exit 1; }
if command -v redis-benchmark >/dev/null; then
  out=$(redis-benchmark -p "$RP" -t get,set -c 1 -n "$N" -q 2>/dev/null | tr '\r' '\n' | grep -E '^(SET|GET):' | tail -n 2)
  echo "  redis-benchmark, one client: $(echo $out)"
fi
