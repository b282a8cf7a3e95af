#!/usr/bin/env bash
# The lattice commands without a lattice: usage errors are named (exit 2),
# a NATS server that is not there is a clear error (exit 1), under -o json
# too, and `down` with nothing to stop says so.  (The commands against real
# hosts are tests/lattice/host.sh.)
. "$(dirname "$0")/lib/common.sh"
P=(--ctl-port 1 --timeout-ms 300) # nothing listens on port 1
check no-nats --rc 1 --err 'connect to nats://127.0.0.1:1' -- "$LATTICE" get hosts "${P[@]}"
check no-nats-json --rc 1 --out '"success":false' -- "$LATTICE" get links "${P[@]}" -o json
check start-args --rc 2 --err 'REF ID' -- "$LATTICE" start component only-ref
check start-what --rc 2 --err 'unknown command|did you mean' -- "$LATTICE" start compnent a b
check link-put-iface --rc 2 --err 'interface' -- "$LATTICE" link put a b wasi http "${P[@]}"
check scale-n --rc 2 --err 'max-instances' -- "$LATTICE" scale component H r i "${P[@]}"
check config-secret --rc 2 --err 'SECRET_' -- "$LATTICE" config put SECRET_x a=1
check config-kv --rc 2 --err 'KEY=VALUE' -- "$LATTICE" config put x novalue "${P[@]}"
check config-name --rc 2 --err 'bad config name' -- "$LATTICE" config get a.b
check label-kv --rc 2 --err 'KEY=VALUE' -- "$LATTICE" label H novalue "${P[@]}"
check lattice-name --rc 2 --err 'bad lattice name' -- "$LATTICE" get hosts --lattice 'a.b'
check timeout-bad --rc 2 --err 'timeout-ms' -- "$LATTICE" get hosts --timeout-ms -5
check host-unknown-opt --rc 2 --err "unknown option '--bogus'" -- "$LATTICE" host --bogus
check host-bad-hb --rc 2 --err 'heartbeat' -- "$LATTICE" host --heartbeat-interval-seconds 0
check host-no-nats --rc 1 --err 'connect to nats://127.0.0.1:1' -- "$LATTICE" host --nats-port 1
check host-bad-seed --rc 1 --err 'neither a seed' -- "$LATTICE" host --host-seed SAAAA --nats-port 1
acct=$("$LATTICE" keys gen account -o json | sed -nE 's/.*"seed":"([A-Z0-9]+)".*/\1/p')
check host-account-seed --rc 1 --err 'must be a server key' -- "$LATTICE" host --host-seed "$acct" --nats-port 1
check down-nothing --rc 1 --err 'nothing to stop' -- "$LATTICE" down --state-dir "$T/none"
check up-bad-lattice --rc 2 --err 'bad lattice name' -- "$LATTICE" up --lattice 'x y' --state-dir "$T/up"
# the builtin providers: listed, and run only with HostData on stdin
check provider-list --out 'wasmcloud\+builtin://keyvalue-nats' -- "$LATTICE" provider
check provider-list-json --out '"ref":"wasmcloud\+builtin://blobstore-fs"' -- "$LATTICE" provider -o json
check provider-unknown --rc 2 --err "no built-in provider named 'nosuch'" -- "$LATTICE" provider nosuch
check provider-no-hostdata --rc 1 --err 'HostData' -- "$LATTICE" provider keyvalue-nats </dev/null
finish
