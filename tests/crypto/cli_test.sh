#!/usr/bin/env bash
# `lattice keys` and `lattice claims` end to end, on modules built from .wat
# with wat2wasm at test time (nothing binary is committed).  Covers the
# refusals a user meets through the CLI: unsigned, one bit flipped in the
# code, claims section truncated / duplicated / moved / moved into a nested
# module, wrong key types as issuer or subject, issuer not on the allow-list,
# not yet valid, a bad CRC in a seed, -o given a file name.
#
# Uses $LATTICE, else build/debug/lattice when it has the keys command, else
# build/crypto/lattice (tests/crypto/unit.mk).  Ends with `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ -z "${LATTICE:-}" ]; then
  if [ -x build/debug/lattice ] && build/debug/lattice keys --help >/dev/null 2>&1; then
    LATTICE=$ROOT/build/debug/lattice
  else
    LATTICE=$ROOT/build/crypto/lattice
  fi
fi
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export LATTICE_KEYS=$TMP/keys
unset LATTICE_ISSUER_KEY LATTICE_SUBJECT_KEY
pass=0 fail=0

# t NAME WANT_RC PATTERN CMD... : runs CMD, checks the exit status and that
# stdout+stderr match PATTERN (an ERE; empty = anything)
t() {
  local name=$1 want=$2 pat=$3 out rc
  shift 3
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && { [ -z "$pat" ] || grep -qE -- "$pat" <<<"$out"; }; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $name: exit $rc (want $want), output:"
    sed 's/^/    /' <<<"$out" | head -n 8
  fi
}
L() { "$LATTICE" "$@"; }
# edit FILE PYTHON-EXPR-ON-b OUT : writes bytes(expr) to OUT (b = input bytes)
edit() { python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); open(sys.argv[3],'wb').write(bytes($2))" "$1" "$2" "$3"; }

command -v wat2wasm >/dev/null || { echo "cli_test: wat2wasm missing (make setup)"; echo "0 passed, 1 failed"; exit 1; }
[ -x "$LATTICE" ] || { echo "cli_test: $LATTICE missing"; echo "0 passed, 1 failed"; exit 1; }
cd "$TMP"
cat >add.wat <<'EOF'
(module
  (memory 1)
  (data (i32.const 0) "lattice")
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add))
EOF
wat2wasm add.wat -o add.wasm

# ---- keys ---------------------------------------------------------------------
for ty in account cluster module component server host operator user service provider curve x25519; do
  t "keys gen $ty" 0 '^Public Key: [ACMNOUVX][A-Z2-7]{55}' L keys gen "$ty"
done
t "keys gen json" 0 '"public_key":"A[A-Z2-7]{55}","seed":"SA[A-Z2-7]{56}"' L keys gen account -o json
t "keys gen unknown type" 2 'unknown key type' L keys gen accout
t "-o is never a file" 2 'never a file' L keys gen user -o keys.json
t "keys gen --save" 0 'Saved to: .*/keys/ops\.nk' L keys gen operator --save ops
t "key file is 0600" 0 '^600$' stat -c %a "$LATTICE_KEYS/ops.nk"
t "keys gen --save never overwrites" 1 'never overwritten' L keys gen operator --save ops
t "keys get" 0 '^SO[A-Z2-7]{56}$' L keys get ops
t "keys get .nk suffix" 0 '^SO[A-Z2-7]{56}$' L keys get ops.nk
t "keys get json" 0 '"name":"ops","public_key":"O' L keys get ops -o json
t "keys get missing" 1 "doesn't exist" L keys get nope
t "keys list" 0 'ops +O[A-Z2-7]{55}' L keys list
t "keys list json" 0 '"keys":\["ops"\]' L keys list -o json
t "keys list -d" 0 'Keys found in /nonexistent' L keys list -d /nonexistent
# a seed file with a bad CRC
seed=$(L keys get ops)
echo "${seed:0:20}$([ "${seed:20:1}" = Q ] && echo R || echo Q)${seed:21}" >"$LATTICE_KEYS/bad.nk"
t "bad CRC in a key file" 1 'checksum' L keys get bad
rm -f "$LATTICE_KEYS/bad.nk"

# ---- claims sign / inspect -----------------------------------------------------------
t "sign" 0 'Successfully signed add_s\.wasm' L claims sign add.wasm --name "Adder" --ver 1.0.0 --rev 4 --tag a --tag b --call-alias "The Adder"
t "sign made keys" 0 '' test -f "$LATTICE_KEYS/adder_account.nk" -a -f "$LATTICE_KEYS/adder_module.nk"
t "signed module still valid wasm" 0 '' wasm-validate add_s.wasm
t "inspect" 0 'Adder - Component' L claims inspect add_s.wasm
t "inspect fields" 0 'Version +1\.0\.0 \(4\)' L claims inspect add_s.wasm
t "inspect call alias" 0 'Call Alias +the_adder' L claims inspect add_s.wasm
t "inspect json" 0 '"valid":true,"name":"Adder","account":"A' L claims inspect add_s.wasm -o json
t "inspect --jwt-only" 0 '^eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0\.' L claims inspect add_s.wasm --jwt-only
acct=$(L keys get adder_account -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
t "inspect allowed issuer" 0 'issuer is allowed' L claims inspect add_s.wasm --allow-issuer "$acct"
other=$(L keys gen account -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
t "issuer not allowed" 1 'LAT_CR_ISSUER_NOT_ALLOWED' L claims inspect add_s.wasm --allow-issuer "$other"
t "allow-issuer must be an account" 2 'account' L claims inspect add_s.wasm --allow-issuer "$(L keys gen user -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')"
t "re-sign keeps the identity" 0 "$acct" L claims sign add_s.wasm --name Adder --destination add_s2.wasm
t "re-signed has one claims section" 1 '' bash -c "[ \$(wasm-objdump -h add_s2.wasm | grep -c wasmcloud_jwt) -ne 1 ]"
t "sign -o json" 0 '"result":"success","destination":"add_j.wasm"' L claims sign add.wasm --name Adder -d add_j.wasm -o json
t "sign needs a name" 2 'name is required' L claims sign add.wasm
t "sign --disable-keygen" 1 'does not exist' L claims sign add.wasm --name Fresh --disable-keygen

# ---- refusals ---------------------------------------------------------------------------
t "unsigned" 1 'not signed.*LAT_CR_UNSIGNED' L claims inspect add.wasm
t "unsigned json" 1 '"valid":false,"reason":"LAT_CR_UNSIGNED"' L claims inspect add.wasm -o json
# one bit flipped in the code: the i32.add opcode (0x6a) becomes 0x6b (i32.sub)
edit add_s.wasm 'b[:b.index(b"\x6a\x0b")] + b"\x6b" + b[b.index(b"\x6a\x0b")+1:]' flipped.wasm
t "bit flipped in code" 1 'LAT_CR_HASH_MISMATCH' L claims inspect flipped.wasm
# one bit flipped in the data segment
edit add_s.wasm 'b.replace(b"lattice", b"lbttice", 1)' flipped2.wasm
t "bit flipped in data" 1 'LAT_CR_HASH_MISMATCH' L claims inspect flipped2.wasm
# truncated: the last 10 bytes cut off
edit add_s.wasm 'b[:-10]' trunc.wasm
t "claims section truncated" 1 'LAT_CR_WASM_MALFORMED' L claims inspect trunc.wasm
# the claims section duplicated (appended a second time)
n=$(stat -c %s add.wasm)
edit add_s.wasm "b + b[$n:]" dup.wasm
t "claims section duplicated" 1 'LAT_CR_CLAIMS_DUPLICATE' L claims inspect dup.wasm
# moved to the front, right after the header
edit add_s.wasm "b[:8] + b[$n:] + b[8:$n]" moved.wasm
t "claims section moved" 1 'LAT_CR_CLAIMS_MISPLACED' L claims inspect moved.wasm
t "moved section is still valid wasm" 0 '' wasm-validate moved.wasm
# a section appended after signing
edit add_s.wasm 'b + b"\x00\x06\x05extra"' appended.wasm
t "section appended after signing" 1 'LAT_CR_CLAIMS_MISPLACED' L claims inspect appended.wasm
# one character of the token's signature changed
edit add_s.wasm 'b[:-20] + (b"A" if b[-20:-19] != b"A" else b"B") + b[-19:]' sig.wasm
t "claims signature altered" 1 'LAT_CR_SIG_INVALID' L claims inspect sig.wasm
# not yet valid
t "sign --nbf" 0 '' L claims sign add.wasm --name Later --nbf 2 -d later.wasm
t "not yet valid" 1 'LAT_CR_NOT_YET_VALID' L claims inspect later.wasm
t "not yet valid within skew" 0 'Later' L claims inspect later.wasm --skew 200000
# wrong key types
t "operator seed as issuer" 1 'issuer must be an account' L claims sign add.wasm --name X --issuer "$(L keys get ops)" -d x.wasm
L keys gen user --save someuser >/dev/null
t "user seed as subject" 1 'subject must be a module' L claims sign add.wasm --name X --subject "$LATTICE_KEYS/someuser.nk" -d x.wasm
t "public key instead of seed" 1 'seed' L claims sign add.wasm --name X --issuer "$acct" -d x.wasm
t "not a binary" 1 'this is WAT text; want a core module' L claims inspect add.wat
printf 'garbage' >garbage.wasm
t "garbage file" 1 'not WebAssembly' L claims inspect garbage.wasm
t "missing file" 1 'cannot open' L claims inspect nope.wasm

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
