#!/usr/bin/env bash
# The option parser every command shares: unknown options named (with a
# suggestion), --flag=value, missing values, values checked the same way
# everywhere (durations, sizes, counts), -o json for results and errors.
. "$(dirname "$0")/lib/common.sh"

F=examples/fib.wat
# unknown options are named, never opened as files
check unknown-W --rc 2 --err "unknown option '-W'" --err '--fuel' -- "$LATTICE" run -W fuel=10 $F
check unknown-S --rc 2 --err "unknown option '-S'" -- "$LATTICE" run -S inherit-env $F
check unknown-suggest --rc 2 --err "unknown option '--invok' \(did you mean '--invoke'\?\)" -- "$LATTICE" run --invok fib $F
check unknown-after-file --rc 2 --err "did you mean '--invoke'" -- "$LATTICE" run $F --invok fib 10
check unknown-validate --rc 2 --err "unknown option '--hepl'.*--help" -- "$LATTICE" validate --hepl $F
check unknown-wast --rc 2 --err "unknown option" -- "$LATTICE" wast --frob examples/checks.wast
check unknown-serve --rc 2 --err "unknown option" -- "$LATTICE" serve --adr 1 x.wasm
check unknown-keys --rc 2 --err "unknown option" -- "$LATTICE" keys list --frob
check unknown-claims --rc 2 --err "unknown option" -- "$LATTICE" claims inspect --frob x
check unknown-command --rc 2 --err "did you mean 'run'" -- "$LATTICE" rnu
# --flag=value forms
check eq-invoke --out '^55$' -- "$LATTICE" run --invoke=fib $F 10
check eq-invoke-after-file --out '^55$' -- "$LATTICE" run $F --invoke=fib 10
check eq-dir-env --out '^55$' -- "$LATTICE" run --dir=/tmp::/x --env=A=b --invoke fib $F 10
check eq-fuel --out '^55$' -- "$LATTICE" run --fuel=100000 $F --invoke fib 10
check eq-timeout --out '^55$' -- "$LATTICE" run --timeout=5s $F --invoke fib 10
check eq-output --out '"results":\["55"\]' -- "$LATTICE" run --output=json $F --invoke fib 10
# missing values and empty names
check invoke-no-name --rc 2 --err '--invoke needs a value' -- "$LATTICE" run $F --invoke
check invoke-no-name-before --rc 2 --err '--invoke needs a value' -- "$LATTICE" run --invoke
check invoke-empty --rc 2 --err 'function name' -- "$LATTICE" run --invoke= $F
check dir-empty --rc 2 --err '--dir needs' -- "$LATTICE" run --dir= $F
check env-empty --rc 2 --err '--env needs' -- "$LATTICE" run --env = $F
# a module without _start says so instead of exiting silently
check no-start-says-so --err 'no _start.*--invoke' -- "$LATTICE" run $F
check no-start-guest-args --rc 2 --err "no _start to pass 'x'" -- "$LATTICE" run $F x
# a bad grant is reported under the flag that made it
printf '(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (func (export "_start")))\n' >"$T/wasi.wat"
check ro-dir-named --rc 1 --err "^lattice run: --ro-dir $T/nonexistent:" -- "$LATTICE" run --ro-dir "$T/nonexistent" "$T/wasi.wat"
check dir-named --rc 1 --err "^lattice run: --dir $T/nonexistent:" -- "$LATTICE" run --dir "$T/nonexistent::/d" "$T/wasi.wat"
check dir-ok -- "$LATTICE" run --ro-dir "$T::/t" "$T/wasi.wat"
# counts, durations and sizes: the same parser everywhere
check fuel-negative --rc 2 --err "--fuel: '-1' is not a whole number" -- "$LATTICE" run --fuel -1 $F --invoke fib 3
check fuel-zero --rc 2 --err "--fuel: '0'" -- "$LATTICE" run --fuel 0 $F --invoke fib 3
check timeout-zero --rc 2 --err 'duration above zero' -- "$LATTICE" run --timeout 0 $F --invoke fib 3
check timeout-bare-seconds --out '^55$' -- "$LATTICE" run --timeout 2 $F --invoke fib 10
check timeout-hours --out '^55$' -- "$LATTICE" run --timeout 1h $F --invoke fib 10
check wast-timeout-unit -- "$LATTICE" wast --timeout 2s examples/checks.wast
check wast-timeout-bare -- "$LATTICE" wast --timeout 2 examples/checks.wast
check wast-timeout-bad --rc 2 --err "is not a duration" -- "$LATTICE" wast --timeout soon examples/checks.wast
check serve-timeout-bad --rc 2 --err "is not a duration" -- "$LATTICE" serve --timeout soon x.wasm
check serve-size-bad --rc 2 --err "is not a size" -- "$LATTICE" serve --max-body lots x.wasm
check run-size-bad --rc 2 --err "is not a size" -- "$LATTICE" run --max-memory lots $F
check serve-threads-zero --rc 2 --err "--threads: '0'" -- "$LATTICE" serve --threads 0 x.wasm
check claims-expires-duration --rc 1 --no-out . --err 'no-such' -- "$LATTICE" claims sign "$T/no-such.wasm" -n x -x 12h
check claims-expires-bad --rc 2 --err 'days' -- "$LATTICE" claims sign x.wasm -n x -x soon
# IPv6 addresses are accepted (serve.sh serves on [::1]); the error is the missing file
check serve-ipv6 --rc 1 --err 'cannot open x.wasm' --no-out 'addr' -- "$LATTICE" serve --addr '[::1]:8089' x.wasm
# -o json: results and errors as JSON on stdout
check json-run-error --rc 1 --out '^\{"success":false,"error":".*no exported function' -- "$LATTICE" run -o json $F --invoke nope
check json-usage-error --rc 2 --out '^\{"success":false,"error":"unknown option' -- "$LATTICE" run -o json --frob $F
check json-missing-file --rc 1 --out '"success":false' -- "$LATTICE" validate -o json "$T/none.wasm"
check json-validate --out '^\{"success":true,"files":\[\{"file":"examples/fib.wat","valid":true' -- "$LATTICE" validate -o json $F
check json-wast --out '^\{"success":true,"passed":10,"failed":0' -- "$LATTICE" wast -o json examples/checks.wast
check json-wast-stdout-only-json --no-out 'PASS' -- "$LATTICE" wast -o json examples/checks.wast
check json-version --out '^\{"version":"' -- "$LATTICE" version -o json
check json-keys-error --rc 1 --out '"success":false' -- "$LATTICE" keys get -o json -d "$T/k" nope
check json-claims-error --rc 1 --out '"success":false' -- "$LATTICE" claims inspect -o json "$T/none.wasm"
check output-bad --rc 2 --err 'text or json' -- "$LATTICE" validate -o yaml $F
check dash-dash --out '^55$' -- "$LATTICE" run --invoke fib -- $F 10
finish
