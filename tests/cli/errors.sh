#!/usr/bin/env bash
# Malformed and invalid modules: a clear error naming the byte offset, and
# a non-zero exit, for `run` and `validate` alike.
. "$(dirname "$0")/lib/common.sh"

printf '\0asm\2\0\0\0' >"$T/version.wasm"
printf '\0asm\1\0\0' >"$T/short.wasm"
printf 'junk that is neither wasm nor wat' >"$T/junk.wasm"
# a type section whose size runs past the end of the file
printf '\0asm\1\0\0\0\1\x7f\1\x60\0\0' >"$T/section.wasm"
# function body: (i64.const 1) where i32 is the result -> invalid
cat >"$T/invalid.wat" <<'WAT'
(module (func (export "f") (result i32) (i64.const 1)))
WAT
wat2wasm --no-check "$T/invalid.wat" -o "$T/invalid.wasm"

OFFSET='offset (0x)?[0-9a-fA-F]+'
for cmd in run validate; do
  args=()
  [ $cmd = run ] && args=(--invoke f)
  check $cmd-bad-version --rc nonzero --err "$OFFSET" -- "$LATTICE" $cmd "$T/version.wasm" "${args[@]}"
  check $cmd-bad-version-msg --rc nonzero --err 'version' -- "$LATTICE" $cmd "$T/version.wasm" "${args[@]}"
  check $cmd-truncated --rc nonzero --err "malformed|unexpected end" -- "$LATTICE" $cmd "$T/short.wasm" "${args[@]}"
  check $cmd-section-past-end --rc nonzero --err "$OFFSET" -- "$LATTICE" $cmd "$T/section.wasm" "${args[@]}"
  check $cmd-invalid --rc nonzero --err 'type mismatch' -- "$LATTICE" $cmd "$T/invalid.wasm" "${args[@]}"
  check $cmd-invalid-offset --rc nonzero --err "$OFFSET" -- "$LATTICE" $cmd "$T/invalid.wasm" "${args[@]}"
  check $cmd-junk --rc nonzero -- "$LATTICE" $cmd "$T/junk.wasm" "${args[@]}"
done

# the text parser says where (line:column) a syntax error is
printf '(module\n  (func (result i32)\n    (i32.const 1)\n  )\n  (bogus)\n)\n' >"$T/syntax.wat"
check wat-syntax-error --rc nonzero --err '5[:.][0-9]+|line 5' -- "$LATTICE" run "$T/syntax.wat" --invoke f
check wat-invalid --rc nonzero --err 'type mismatch' -- "$LATTICE" run "$T/invalid.wat" --invoke f

check validate-ok --out 'valid' -- "$LATTICE" validate examples/fib.wat examples/memory.wat
check validate-mixed --rc nonzero --out 'valid' --err "$OFFSET" -- "$LATTICE" validate examples/fib.wat "$T/version.wasm"
finish
