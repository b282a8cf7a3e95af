#!/usr/bin/env bash
# `lattice run --invoke`: results printed one per line, typed arguments,
# .wat and .wasm inputs, traps and usage errors.
. "$(dirname "$0")/lib/common.sh"

check fib-wat --out '^6765$' -- "$LATTICE" run examples/fib.wat --invoke fib 20
check fib-iter-i64 --out '^2880067194370816120$' -- "$LATTICE" run examples/fib.wat --invoke fib_iter 90
check invoke-before-file --out '^55$' -- "$LATTICE" run --invoke fib examples/fib.wat 10
check memory --out '^332833500$' -- "$LATTICE" run examples/memory.wat --invoke sum_squares 1000

wat2wasm examples/fib.wat -o "$T/fib.wasm"
check fib-binary --out '^832040$' -- "$LATTICE" run "$T/fib.wasm" --invoke fib 30

cat >"$T/types.wat" <<'WAT'
(module
  (func (export "i64_add") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "f32_mul") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "f64_div") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "neg") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func (export "two") (result i32 i64) (i32.const 1) (i64.const 2))
  (func (export "none"))
)
WAT
check i64-args --out '^-1$' -- "$LATTICE" run "$T/types.wat" --invoke i64_add 9223372036854775807 -9223372036854775808
check f32-args --out '^7\.5$' -- "$LATTICE" run "$T/types.wat" --invoke f32_mul 2.5 3
check f64-args --out '^0\.5$' -- "$LATTICE" run "$T/types.wat" --invoke f64_div 1 2
check i32-negative --out '^-5$' -- "$LATTICE" run "$T/types.wat" --invoke neg 5
check multi-value --out '^1$' -- "$LATTICE" run "$T/types.wat" --invoke two
check multi-value-second --out '^2$' -- "$LATTICE" run "$T/types.wat" --invoke two
check no-results --no-out '.' -- "$LATTICE" run "$T/types.wat" --invoke none

# traps: message and a non-zero exit
check trap-oob --rc nonzero --err 'out of bounds memory access' -- "$LATTICE" run examples/memory.wat --invoke load 70000
check in-bounds --out '^76$' -- "$LATTICE" run examples/memory.wat --invoke load 0
cat >"$T/trap.wat" <<'WAT'
(module
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "unreachable") unreachable)
  (func $r (export "recurse") (call $r))
)
WAT
check trap-div --rc nonzero --err 'integer divide by zero' -- "$LATTICE" run "$T/trap.wat" --invoke div 1 0
check trap-unreachable --rc nonzero --err 'unreachable' -- "$LATTICE" run "$T/trap.wat" --invoke unreachable
check trap-stack --rc nonzero --err 'call stack exhausted' -- "$LATTICE" run "$T/trap.wat" --invoke recurse

# --wasm FEATURE: tail calls are on by default (as in wasmtime) and can be
# switched off; an unknown feature is a usage error
cat >"$T/tail.wat" <<'WAT'
(module
  (func $c (export "count") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 7))
      (else (return_call $c (i64.sub (local.get 0) (i64.const 1))))))
)
WAT
check tail-call-default --out '^7$' -- "$LATTICE" run "$T/tail.wat" --invoke count 1000000
check tail-call-off --rc nonzero --err 'tail calls support is not enabled' -- "$LATTICE" run --wasm tail-call=n "$T/tail.wat" --invoke count 1
check tail-call-on --out '^7$' -- "$LATTICE" run --wasm all=n --wasm tail-call "$T/tail.wat" --invoke count 1
check wasm-unknown --rc 2 --err 'unknown wasm feature' -- "$LATTICE" run --wasm bogus "$T/tail.wat" --invoke count 1

# usage errors
check no-such-export --rc nonzero --err 'nope' -- "$LATTICE" run examples/fib.wat --invoke nope
check too-few-args --rc nonzero --err 'argument' -- "$LATTICE" run examples/fib.wat --invoke fib
check bad-arg --rc nonzero --err 'not a valid' -- "$LATTICE" run examples/fib.wat --invoke fib twelve
check missing-file --rc nonzero --err 'no-such-file' -- "$LATTICE" run "$T/no-such-file.wasm" --invoke f
check no-command --rc 2 -- "$LATTICE"
check unknown-command --rc 2 --err 'unknown command' -- "$LATTICE" frobnicate
check help --out 'usage' -- "$LATTICE" help
check version --out '^lattice [0-9]' -- "$LATTICE" version
finish
