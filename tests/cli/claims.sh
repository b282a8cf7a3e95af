#!/usr/bin/env bash
# claims from the command line: the input is checked before keys are made,
# -i takes a name saved with `keys gen --save`, times read as people say
# them, and claims that fail only on time are still shown with the reason.
. "$(dirname "$0")/lib/common.sh"

E=build/examples
[ -f $E/hello.component.wasm ] || examples/build.sh $E >/dev/null
export LATTICE_KEYS=$T/keys
H=$E/hello.component.wasm

# a file that is not wasm: refused before any key is made
check sign-readme --rc 1 --err 'README.md: not WebAssembly' -- "$LATTICE" claims sign README.md -n x
check sign-readme-no-keys --rc nonzero -- ls "$T/keys/x_account.nk"
# -i/-s NAME: a key saved with keys gen --save
"$LATTICE" keys gen account --save myacct >/dev/null
acct=$("$LATTICE" keys get myacct -o json | sed -nE 's/.*"public_key":"([A-Z0-9]+)".*/\1/p')
check sign-issuer-name --out "account key $acct" -- "$LATTICE" claims sign $H -n hello -i myacct -d "$T/named.wasm"
check sign-issuer-bad-name --rc 1 --err 'not a seed, a file, or a key saved as' -- "$LATTICE" claims sign $H -n hello -i nosuchkey -d "$T/x.wasm"
# human times, rounded: 30 days reads "in 30 days", not "in 29d"
"$LATTICE" claims sign $H -n hello -x 30 -d "$T/x30.wasm" >/dev/null 2>&1
check times-issued-now --out '^  Issued .*\(just now\)$' -- "$LATTICE" claims inspect "$T/x30.wasm"
check times-expires-30-days --out '^  Expires .*\(in 30 days\)$' -- "$LATTICE" claims inspect "$T/x30.wasm"
"$LATTICE" claims sign $H -n hello -x 12h -d "$T/x12h.wasm" >/dev/null 2>&1
check times-hours --out '^  Expires .*\(in 12 hours\)$' -- "$LATTICE" claims inspect "$T/x12h.wasm"
# not yet valid: the claims are shown, with the reason, and the exit is 1
"$LATTICE" claims sign $H -n later -b 2 -d "$T/nbf.wasm" >/dev/null 2>&1
check nbf-shows-claims --rc 1 --out '^later - Component$' --out '^  Can Be Used .*\(in 2 days\)$' -- "$LATTICE" claims inspect "$T/nbf.wasm"
check nbf-reason --rc 1 --out '^NOT VALID: .*LAT_CR_NOT_YET_VALID' --err 'not valid' -- "$LATTICE" claims inspect "$T/nbf.wasm"
check nbf-json --rc 1 --out '^\{"success":false,.*"reason":"LAT_CR_NOT_YET_VALID".*"name":"later"' -- "$LATTICE" claims inspect -o json "$T/nbf.wasm"
check nbf-inspect --out 'NOT VALID: .*not valid' -- "$LATTICE" inspect "$T/nbf.wasm"
# a token on its own is read too
"$LATTICE" claims inspect --jwt-only "$T/x30.wasm" >"$T/token.jwt"
check token-alone --out '^hello - Component$' --out 'a token alone' -- "$LATTICE" claims inspect "$T/token.jwt"
# unsigned
check unsigned --rc 1 --err 'is not signed' -- "$LATTICE" claims inspect $H
check sign-json --out '^\{"success":true,"result":"success"' -- "$LATTICE" claims sign $H -n hello -o json -d "$T/j.wasm"
check claims-unknown-sub --rc 2 --err "did you mean 'sign'" -- "$LATTICE" claims sgin x
finish
