#!/usr/bin/env bash
# Run-time limits from the command line: deadline, fuel, memory cap.
. "$(dirname "$0")/lib/common.sh"

cat >"$T/loop.wat" <<'WAT'
(module
  (memory 1)
  (func (export "spin") (loop (br 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
WAT
check timeout-stops-loop --rc nonzero --max-secs 10 --err 'deadline' -- "$LATTICE" run --timeout 200ms "$T/loop.wat" --invoke spin
check fuel-stops-loop --rc nonzero --max-secs 10 --err 'fuel' -- "$LATTICE" run --fuel 100000 "$T/loop.wat" --invoke spin
check grow-within-cap --out '^1$' -- "$LATTICE" run --max-memory 1MiB "$T/loop.wat" --invoke grow 2
check grow-past-cap --out '^-1$' -- "$LATTICE" run --max-memory 1MiB "$T/loop.wat" --invoke grow 100
check bad-timeout --rc 2 -- "$LATTICE" run --timeout soon "$T/loop.wat" --invoke spin
finish
