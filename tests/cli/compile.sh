#!/usr/bin/env bash
# The compiled tier from the command line: `lattice compile` (cache path,
# cached second time, --output, --emit-c, -o json, an unsupported module
# exits 1 and names the reason), `run --compiled` with the same results and
# traps as the interpreter, and its fallback for what it does not compile.
. "$(dirname "$0")/lib/common.sh"

export LATTICE_CACHE_DIR=$T/cache
check compile-fib --out 'aot/[0-9a-f]{64}\.so' --err 'ms per MB' -- "$LATTICE" compile examples/fib.wat
check compile-cached --err '\(cached\)' -- "$LATTICE" compile examples/fib.wat
check compile-output -- "$LATTICE" compile examples/fib.wat --output "$T/fib.so"
check compile-output-file --out 'fib.so' -- ls "$T/fib.so"
check compile-emit-c -- "$LATTICE" compile examples/fib.wat --emit-c "$T/fib.c"
check compile-emit-c-text --out 'lat_aot_desc' -- cat "$T/fib.c"
check compile-json --out '"success":true,"path":".*","cached":true' -- "$LATTICE" compile examples/fib.wat -o json
printf '(module (func $g (param i32) (result i32) (local.get 0))\n (func (export "f") (param i32) (result i32) (return_call $g (local.get 0))))\n' >"$T/tail.wat"
check compile-unsupported --rc 1 --err 'not compiled: opcode' -- "$LATTICE" compile "$T/tail.wat"
check run-compiled-fallback --out '^7$' -- "$LATTICE" run --compiled "$T/tail.wat" --invoke f 7
check run-compiled --out '^6765$' -- "$LATTICE" run --compiled examples/fib.wat --invoke fib 20
check run-compiled-memory --out '^332833500$' -- "$LATTICE" run --compiled examples/memory.wat --invoke sum_squares 1000
printf '(module (func (export "spin") (loop (br 0))) (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))\n' >"$T/trap.wat"
check run-compiled-timeout --rc 1 --err 'deadline exceeded' -- "$LATTICE" run --compiled --timeout 100ms "$T/trap.wat" --invoke spin
check run-compiled-fuel --rc 1 --err 'all fuel consumed' -- "$LATTICE" run --compiled --fuel 1000 "$T/trap.wat" --invoke spin
check run-compiled-trap --rc 1 --err 'integer divide by zero' -- "$LATTICE" run --compiled "$T/trap.wat" --invoke div 0
check run-interpreted-wins --out '^6765$' -- "$LATTICE" run --compiled --interpreted examples/fib.wat --invoke fib 20
finish
