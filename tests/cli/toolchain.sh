#!/usr/bin/env bash
# Tests do not depend on what else is installed: clang -O2 runs any
# `wasm-opt` it finds on PATH after linking (Debian's binaryen), which
# drops the name section backtraces need.  scripts/wasm-cc, which the wasi
# and component suites compile with, must give the same module with a
# hostile wasm-opt first on PATH.  The control shows the hostile one would
# have been run by plain clang, so the check can fail.
. "$(dirname "$0")/lib/common.sh"

mkdir -p "$T/evil"
cat >"$T/evil/wasm-opt" <<EOS
#!/bin/sh
# a wasm-opt that empties its output and leaves a mark
touch "$T/evil/ran"
for a; do last=\$a; done
: >"\$last"
EOS
chmod +x "$T/evil/wasm-opt"
SRC=tests/wasi/progs/trap.c

PATH="$T/evil:$PATH" clang --target=wasm32-wasi -O2 -g -o "$T/plain.wasm" $SRC 2>/dev/null
check control-plain-clang-runs-wasm-opt -- test -e "$T/evil/ran"
rm -f "$T/evil/ran"
check wasm-cc-builds -- env PATH="$T/evil:$PATH" scripts/wasm-cc --target=wasm32-wasi -O2 -g -o "$T/trap.wasm" $SRC
check wasm-cc-skips-wasm-opt --rc 1 -- test -e "$T/evil/ran"
check wasm-cc-keeps-names --rc 1 --err '^    0: deep_function$' --err '^    1: middle_function$' -- "$LATTICE" run "$T/trap.wasm"
# the suites use it
check wasi-suite-uses-wasm-cc --out 'scripts/wasm-cc' -- grep -h '^CLANG=' tests/wasi/run.sh
check component-build-uses-wasm-cc --out 'scripts/wasm-cc' -- grep -h '^CC=' tests/component/build.sh
check examples-use-wasm-cc --out 'scripts/wasm-cc' -- grep -h '^CC=' examples/build.sh
finish
