#!/usr/bin/env bash
# Components from the command line: export names matched helpfully by
# `call` (exact, iface#name without the version, short name, suggestions),
# options after COMPONENT refused, surplus arguments refused, a missing
# import pointing at --host, `inspect` listing a component's world, and
# -o json on call.  Components: build/examples (examples/build.sh) and
# build/components (tests/component/build.sh), built when missing.
. "$(dirname "$0")/lib/common.sh"

E=build/examples
C=build/components
[ -f $E/greet.component.wasm ] || examples/build.sh $E >/dev/null
[ -f $C/types.component.wasm ] || tests/component/build.sh $C >/dev/null
TW=tests/component/types/wit/types.wit
X=test:types/api@0.1.0

# export names
check call-exact --out '^"Hello, x!"$' -- "$LATTICE" call --host $TW $C/types.component.wasm "$X#greet" '"x"'
check call-short --out '^"Hello, x!"$' -- "$LATTICE" call --host $TW $C/types.component.wasm greet '"x"'
check call-unversioned --out '^"Hello, x!"$' -- "$LATTICE" call --host $TW $C/types.component.wasm 'test:types/api#greet' '"x"'
check call-run-short --out '^hello from a component' --out '^ok$' -- "$LATTICE" call $C/hello.component.wasm run
check call-run-unversioned --out '^ok$' -- "$LATTICE" call $C/hello.component.wasm 'wasi:cli/run#run'
check call-top-level --out '^"Hello, world!"$' -- "$LATTICE" call $E/greet.component.wasm greet '"world"'
check call-miss-suggests --rc 2 --err "no exported function \`gret\` \(did you mean $X#greet" -- "$LATTICE" call --host $TW $C/types.component.wasm gret '"x"'
check call-miss-lists --rc 2 --err 'exports: greet' -- "$LATTICE" call $E/greet.component.wasm zzzzzz
# arguments
check call-surplus --rc 2 --err "one too many \(separate calls with --\)" -- "$LATTICE" call $E/greet.component.wasm greet '"a"' '"b"'
check call-too-few --rc 2 --err 'takes 1 argument' -- "$LATTICE" call $E/greet.component.wasm greet
check call-two-calls --out '^"Hello, b!"$' -- "$LATTICE" call $E/greet.component.wasm greet '"a"' -- greet '"b"'
check call-negative-arg --out '^err\("negative"\)$' -- "$LATTICE" call --host $TW $C/types.component.wasm "$X#check" -5 -o text
check call-host-after-file --rc 2 --err '--host goes before COMPONENT' -- "$LATTICE" call $C/types.component.wasm greet '"x"' --host $TW
check call-unknown-after-file --rc 2 --err "unknown option '--hots'" -- "$LATTICE" call $C/types.component.wasm greet --hots $TW
check call-missing-export --rc 2 --err 'missing EXPORT.*lattice inspect' -- "$LATTICE" call $E/greet.component.wasm
check call-missing-import --rc 1 --err 'test:types/host.*--host' -- "$LATTICE" call $C/types.component.wasm greet '"x"'
check call-core-module --rc 1 --err 'this is WAT text; want a component' -- "$LATTICE" call examples/fib.wat fib 1
# -o json
check call-json --out '^\{"success":true,"results":\["\\"Hello, world!\\""\]\}$' -- "$LATTICE" call -o json $E/greet.component.wasm greet '"world"'
check call-json-after --out '^\{"success":true,"results":\["\\"Hello, world!\\""\]\}$' -- "$LATTICE" call $E/greet.component.wasm greet '"world"' -o json
check call-json-error --rc 2 --out '^\{"success":false,"error":"no exported function' -- "$LATTICE" call -o json $E/greet.component.wasm nope
check call-bench-json --out '"instances":2' -- "$LATTICE" call -o json --bench-instantiate 2 $E/greet.component.wasm
# run and validate take components
check run-component --out '^Hello from a Lattice component, Ada!$' -- "$LATTICE" run $E/hello.component.wasm Ada
check run-component-invoke --rc 2 --err "lattice call" -- "$LATTICE" run --invoke greet $E/greet.component.wasm
check run-component-no-run --rc 1 --err 'does not export wasi:cli/run.*inspect' -- "$LATTICE" run $E/greet.component.wasm
check validate-component --out 'valid component' -- "$LATTICE" validate $E/greet.component.wasm $C/types.component.wasm
# inspect: the world with WIT types
check inspect-export-type --out '^  greet: func\(name: string\) -> string$' -- "$LATTICE" inspect $E/greet.component.wasm
check inspect-interface-funcs --out "^    $X#greet: func\(name: string\) -> string$" -- "$LATTICE" inspect $C/types.component.wasm
check inspect-imports --out '^  test:types/host@0.1.0 \(interface\)$' -- "$LATTICE" inspect $C/types.component.wasm
check inspect-http-export --out '^    wasi:http/incoming-handler@0.2.12#handle: func\(request: incoming-request' -- "$LATTICE" inspect $E/hello_http.component.wasm
check inspect-producers --out '^  processed-by +wit-component' -- "$LATTICE" inspect $E/greet.component.wasm
check inspect-unsigned --out '^Claims: none' -- "$LATTICE" inspect $E/greet.component.wasm
check inspect-json --out '"exports":\[\{"name":"greet","kind":"func","type":"func\(name: string\) -> string"\}\]' -- "$LATTICE" inspect -o json $E/greet.component.wasm
check inspect-module --out '^  fib: func\(i32\) -> i32$' -- "$LATTICE" inspect examples/fib.wat
LATTICE_KEYS=$T/keys "$LATTICE" claims sign $E/greet.component.wasm -n greeter -d "$T/greet.signed.wasm" >/dev/null 2>&1
check inspect-claims --out '^Claims: greeter, account A[A-Z0-9]+, component M[A-Z0-9]+ \(verified\)' -- "$LATTICE" inspect "$T/greet.signed.wasm"
check inspect-json-claims --out '"claims":\{"valid":true,"name":"greeter"' -- "$LATTICE" inspect -o json "$T/greet.signed.wasm"
# serve refuses what it cannot serve, by name
check serve-not-http --rc 1 --err 'does not export wasi:http/incoming-handler' -- "$LATTICE" serve $E/greet.component.wasm --addr 127.0.0.1:0
finish
