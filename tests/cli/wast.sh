#!/usr/bin/env bash
# `lattice wast`: counts assertions, reports failures and exits non-zero.
. "$(dirname "$0")/lib/common.sh"

check example-script --out '[1-9][0-9]* passed, 0 failed' -- "$LATTICE" wast examples/checks.wast
cat >"$T/bad.wast" <<'WAST'
(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "one") "unreachable")
WAST
check failing-script --rc nonzero --out '2 passed, 2 failed' -- "$LATTICE" wast "$T/bad.wast"
check two-scripts --rc nonzero --out 'failed' -- "$LATTICE" wast examples/checks.wast "$T/bad.wast"
check missing-script --rc nonzero -- "$LATTICE" wast "$T/none.wast"
finish
