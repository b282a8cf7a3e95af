#!/usr/bin/env bash
# Every command answers --help and -h on stdout with exit 0: usage, every
# flag described, examples and exit codes; `lattice help CMD` prints the
# same; the general help lists every command.
. "$(dirname "$0")/lib/common.sh"

cmds=("run" "call" "serve" "inspect" "validate" "wast" "version" "keys gen" "keys get" "keys list"
      "claims sign" "claims inspect" "host" "up" "down" "get hosts" "get inventory" "get links"
      "get claims" "start component" "start provider" "scale component" "update component"
      "stop component" "stop provider" "stop host" "link put" "link del" "config put" "config get"
      "config del" "label" "manager" "app put" "app deploy" "app list" "app get" "app versions"
      "app status" "app undeploy" "app delete" "app validate")
for c in "${cmds[@]}"; do
  # shellcheck disable=SC2086
  check "help-$c" --out '^Usage: lattice' --no-out 'unknown option' -- "$LATTICE" $c --help
  # shellcheck disable=SC2086
  check "h-$c" --out '^Usage: lattice' -- "$LATTICE" $c -h
  # shellcheck disable=SC2086
  check "examples-$c" --out '^Examples:' -- "$LATTICE" $c --help
  # shellcheck disable=SC2086
  check "exit-codes-$c" --out '^Exit status: 0 ' -- "$LATTICE" $c --help
  # shellcheck disable=SC2086
  "$LATTICE" $c --help >"$T/a" 2>&1
  # shellcheck disable=SC2086
  "$LATTICE" help $c >"$T/b" 2>&1
  check "help-cmd-same-$c" -- cmp "$T/a" "$T/b"
done
for c in keys claims get start stop link config; do
  check "group-help-$c" --out '^Usage: lattice' -- "$LATTICE" $c --help
  check "group-help-cmd-$c" --out '^Usage: lattice' -- "$LATTICE" help $c
done
# every option in run's table is described on its own line
for f in --invoke --dir --ro-dir --env --tcplisten --max-memory --timeout --fuel --trap-unknown-imports --time --output --help; do
  check "run-help-describes$f" --out "^ +(-., )?$f( [A-Z]|\$| +[a-z])" -- "$LATTICE" run --help
done
check help-lists-all --out 'inspect' -- "$LATTICE" help
check help-exit-codes --out 'Exit status' -- "$LATTICE" --help
check help-unknown-cmd --rc 2 --err "did you mean 'run'" -- "$LATTICE" help rnu
check call-help-stdout --out 'WAVE' -- "$LATTICE" call --help
check validate-help-not-a-file --out '^Usage' -- "$LATTICE" validate --help
finish
