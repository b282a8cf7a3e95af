#!/usr/bin/env bash
# Corpus hook for fuzz_component.c (called by gen_corpus.sh with the
# directory to fill): the real wasi:cli/run components of the component
# suite (built by tests/component/build.sh when missing) and mutations of
# them (MUTATE, default build/tools/fuzz_mutate).
set -euo pipefail
OUT=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
C=$ROOT/build/components
MUTATE=${MUTATE:-$ROOT/build/tools/fuzz_mutate}
[ -f "$C/cmd_stdin.component.wasm" ] || "$ROOT/tests/component/build.sh" "$C" >/dev/null 2>&1 || exit 0
mkdir -p "$OUT"
seeds=("$C/hello.component.wasm" "$C/cmd_args_env.component.wasm" "$C/cmd_misc.component.wasm")
cp "${seeds[@]}" "$OUT/"
[ -x "$MUTATE" ] && "$MUTATE" 4242 40 "$OUT" "${seeds[@]}"
exit 0
