#!/usr/bin/env bash
# `lattice app`: validate runs locally (every error and warning with
# line:column, exit 1 on an error, 0 with warnings only, -o json), and the
# commands that need a manager say so when none answers.
. "$(dirname "$0")/lib/common.sh"

for f in examples/apps/*.yaml; do
  check "validate-$(basename "$f")" --out ': valid \(' -- "$LATTICE" app validate "$f"
done
printf 'apiVersion: a\nkind: b\nmetadata:\n  name: x\n  annotations: {}\nspec:\n  components:\n    - name: w\n      type: component\n      properties: {image: i}\n      traits:\n        - type: spreadscaler\n          properties: {instances: 2, spread: [{name: s, requirements: {}, weight: 0}]}\n' >"$T/zero.yaml"
check validate-zero-weights --rc 1 --out "zero.yaml:12:11: error: the spread weights of component w are all zero" -- \
  "$LATTICE" app validate "$T/zero.yaml"
check validate-json --rc 1 --out '"valid":false,"errors":\[\{"message":"the spread weights.*"line":12,"column":11' -- \
  "$LATTICE" app validate "$T/zero.yaml" -o json
printf 'apiVersion: a\nkind: b\nmetadata:\n  name: x\n  annotations: {}\nspec:\n  components:\n    - name: w\n      type: component\n      properties: {image: i}\n      traits:\n        - type: link\n          properties: {namespace: wasi, package: http, interfaces: [bogus], target: w}\n' >"$T/warn.yaml"
check validate-warning-only --out 'warning: unrecognized interface \[wasi:http/bogus\]' -- "$LATTICE" app validate "$T/warn.yaml"
printf 'a: [\n' >"$T/bad.yaml"
check validate-bad-yaml --rc 1 --out 'bad.yaml:2:1: error: ' -- "$LATTICE" app validate "$T/bad.yaml"
check validate-missing --rc 1 --err 'cannot open|No such file' -- "$LATTICE" app validate "$T/nope.yaml"
check validate-usage --rc 2 -- "$LATTICE" app validate
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
check app-no-server --rc 1 -- "$LATTICE" app list --ctl-port "$port"
check app-bad-name --rc 2 --err 'bad application name' -- "$LATTICE" app status 'a.b' --ctl-port "$port"
check app-unknown-sub --rc 2 --err "did you mean 'deploy'" -- "$LATTICE" app deplyo x
finish
