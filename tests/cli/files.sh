#!/usr/bin/env bash
# One file-format detector for every command: empty files, text, random
# bytes and JWTs are named as what they are, by run, validate, wast, inspect,
# call, serve and claims alike; validate takes components too.
. "$(dirname "$0")/lib/common.sh"

: >"$T/empty.wasm"
printf 'just some text\n' >"$T/text.wasm"
head -c 256 /dev/urandom | tr -d '\0' >"$T/random.wasm"
printf '\xff\xd8\xff\xe0 binary junk \x01\x02' >"$T/binary.wasm"
printf ';; only a comment\n' >"$T/comment.wat"
for cmd in run validate inspect; do
  check $cmd-empty --rc 1 --err 'an empty file' -- "$LATTICE" $cmd "$T/empty.wasm"
  check $cmd-text --rc 1 --err 'not WebAssembly \(no \\0asm magic' --no-out . -- "$LATTICE" $cmd "$T/text.wasm"
  check $cmd-random --rc 1 --err 'not WebAssembly' -- "$LATTICE" $cmd "$T/binary.wasm"
  check $cmd-comment-only --rc 1 --err 'an empty file' -- "$LATTICE" $cmd "$T/comment.wat"
  check $cmd-no-text-error --rc 1 --err '.' -- "$LATTICE" $cmd "$T/random.wasm"
done
check run-random-not-text-error --rc 1 --err 'not WebAssembly' -- "$LATTICE" run "$T/binary.wasm"
check call-text --rc 1 --err 'not WebAssembly' -- "$LATTICE" call "$T/text.wasm" f
check serve-text --rc 1 --err 'not WebAssembly' -- "$LATTICE" serve "$T/text.wasm"
check serve-module --rc 1 --err 'this is WAT text; want a component' -- "$LATTICE" serve examples/fib.wat
check claims-sign-text --rc 1 --err 'not WebAssembly' -- "$LATTICE" claims sign "$T/text.wasm" -n x --directory "$T/k"
check wast-binary --rc 1 --out 'FAIL .*not WebAssembly' -- "$LATTICE" wast "$T/binary.wasm"
wat2wasm examples/fib.wat -o "$T/fib.wasm"
check wast-core-binary --rc 1 --out 'this is a core module' -- "$LATTICE" wast "$T/fib.wasm"
# a script is not a module
check run-wast --rc 1 --err 'this is a WAST script' -- "$LATTICE" run examples/checks.wast
# a JWT is recognised (claims inspect reads it)
printf 'eyJhbGciOiJFZDI1NTE5In0.eyJzdWIiOiJ4In0.c2ln\n' >"$T/token.jwt"
check run-jwt --rc 1 --err 'a JSON Web Token' -- "$LATTICE" run "$T/token.jwt"
check claims-jwt-read --rc 1 --err 'verification failed' -- "$LATTICE" claims inspect "$T/token.jwt"
# text errors point at line:column of the file; a validation error of text
# names the line:column of the function it is in
printf '(module\n  (func (result i32)\n    (i32.const 1)\n  )\n  (bogus)\n)\n' >"$T/syntax.wat"
check wat-syntax-line-col --rc 1 --err '5:[0-9]+' -- "$LATTICE" validate "$T/syntax.wat"
printf '(module\n  (func (export "f") (result i32)\n    (i64.const 1)))\n' >"$T/invalid.wat"
printf '(module\n (import "a" "b" (func))\n (func (import "a" "c"))\n (func (result i32) (i32.const 1))\n (func (result i32)\n  (i64.const 1)))\n' >"$T/invalid2.wat"
check wat-invalid-after-imports --rc 1 --err 'in the function at line 5:2' -- "$LATTICE" validate "$T/invalid2.wat"
check wat-invalid-line --rc 1 --err 'type mismatch, in the function at line 2:3' -- "$LATTICE" validate "$T/invalid.wat"
finish
