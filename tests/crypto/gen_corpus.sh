#!/usr/bin/env bash
# Generates the corpora of the crypto fuzz targets (tests/fuzz/fuzz_jwt.c,
# fuzz_nkey.c): nothing binary is committed.  Seeds come from wat2wasm, from
# nkeys_tool (our signer) and from tests/crypto/corpus/*.txt (hand-written
# tokens and keys, one per line); then the infra mutator ($MUTATE, default
# build/tools/fuzz_mutate) adds MUT deterministic mutants of each seed.
#
#   jwt    'W'+wasm (unsigned, signed, nested in a component, duplicated or
#          moved claims), 'T'+token (wascap, NATS, broken), 'J'+hdr NUL claims
#   nkey   keys and seeds of every type (good and broken), 'B'+sealed boxes
#
# Usage: gen_corpus.sh jwt|nkey DIR   fills DIR with that target's corpus
#                                     (tests/fuzz/corpus_{jwt,nkey}.sh hooks)
#        gen_corpus.sh [all [DIR]]    DIR/jwt and DIR/nkey (default
#                                     build/fuzz-corpus-crypto), for run.sh --all
# Env: SEED, MUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
WHAT=${1:-all}
case $WHAT in
  jwt | nkey) DEST=${2:?gen_corpus: DIR missing} ;;
  all) DEST=${2:-build/fuzz-corpus-crypto} ;;
  *) echo "usage: gen_corpus.sh jwt|nkey DIR | all [DIR]" >&2; exit 2 ;;
esac
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
SEED=${SEED:-20261126}
MUT=${MUT:-8}
TOOL=build/crypto/nkeys_tool
MUTATE=${MUTATE:-build/tools/fuzz_mutate}
make -s -f tests/crypto/unit.mk "$TOOL" >/dev/null
[ -x "$MUTATE" ] || make -s "$MUTATE" >/dev/null
command -v wat2wasm >/dev/null || { echo "gen_corpus: wat2wasm missing (make setup)" >&2; exit 1; }

# the fixed test keys of the fuzz targets
ACCT=SAAJUJ5HRTFTENSQUUOVFXP5BDUZ5PAZHVD22K2I7OYH633QEZ724AUVEM
MOD=SMANBNEK3AOBVAKL5QE7KYHPFDYRKJUP7BZQE3UJP7UUXDEYRFTQSL5GWE
XS=SXACQS5MF7FFBGY6326CYHWEYC3MOPQN662A3YBD6O3G3CUHJZEA7KS6XI
YP=XCDF5MK22TJEKVJVR2DJWKBVPUEDSBZPPRDXSBPDGHKO5G2KTE2HT2BB

mkdir -p "$OUT"/{jwt,nkey,tmp}
T=$OUT/tmp
cat >"$T/a.wat" <<'EOF'
(module
  (memory 1)
  (data (i32.const 0) "lattice")
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
EOF
wat2wasm "$T/a.wat" -o "$T/a.wasm"
"$TOOL" sign-wasm "$ACCT" "$MOD" fuzz "$T/a.wasm" "$T/a_s.wasm" >/dev/null
"$TOOL" jwt-user "$ACCT" UA3WBLB5RQ3A2XOV6UDX5WSJZM4EJTCHX2WSPVJNYL5OSSSQZP3COF7U u >"$T/user.jwt"

# wasm shapes, tokens and JSON made in python from the files above
python3 - "$OUT" "$T" <<'PY'
import os, sys
out, t = sys.argv[1], sys.argv[2]
a = open(t + '/a.wasm', 'rb').read()
s = open(t + '/a_s.wasm', 'rb').read()
sec = s[len(a):]                                  # the claims section
def uleb(n):
    b = bytearray()
    while True:
        x = n & 0x7f; n >>= 7
        b.append(x | (0x80 if n else 0))
        if not n: return bytes(b)
def section(i, p): return bytes([i]) + uleb(len(p)) + p
def custom(name, data): return section(0, uleb(len(name)) + name + data)
comp = b'\0asm\x0d\x00\x01\x00'
# the token: skip id, size, name length and name
r = 1
while sec[r] & 0x80: r += 1
tok = sec[r + 1 + 1 + 13:]
def w(d, name, data):
    open(os.path.join(out, d, name), 'wb').write(data)
w('jwt', 'W-unsigned', b'W' + a)
w('jwt', 'W-signed', b'W' + s)
w('jwt', 'W-dup', b'W' + s + sec)
w('jwt', 'W-moved', b'W' + a[:8] + sec + a[8:])
w('jwt', 'W-legacy', b'W' + a + custom(b'jwt', tok))
w('jwt', 'W-component', b'W' + comp + section(1, s) + custom(b'x', b'y'))
w('jwt', 'W-component-signed', b'W' + comp + section(1, s) + section(4, comp + section(1, a)) + sec)
w('jwt', 'W-header', b'W' + a[:8])
w('jwt', 'T-wascap', b'T' + tok)
w('jwt', 'T-nats', b'T' + open(t + '/user.jwt', 'rb').read().strip())
w('jwt', 'raw-wascap', tok)
claims = (b'{"jti":"j","iat":1700000000,"iss":"ADHM55BA7QL6YWEB5BSCHAXBOYLFMEQ2ACSFXZRXYS7IBHEZHUTJWOPE",'
          b'"sub":"MBSZM6HPYQTBCDGXHF6V7VHRWCSLHX2PD7H2BRNCH32AGCBODOUDCBVX","exp":1900000000,'
          b'"wascap":{"name":"n","hash":"00","tags":["a"],"rev":1,"ver":"1","call_alias":"x","prov":false},'
          b'"wascap_revision":3}')
w('jwt', 'J-wascap', b'J' + claims)
w('jwt', 'J-nkey', b'J{"typ":"JWT","alg":"ed25519-nkey"}\0' + claims.replace(b'"wascap"', b'"nats"'))
w('jwt', 'J-provider', b'J' + claims.replace(b'MBSZM6HPYQTBCDGXHF6V7VHRWCSLHX2PD7H2BRNCH32AGCBODOUDCBVX',
                                            b'VAQABLD4GNXXQ34JO7XUWHOBNXMXQMRKGLIFPOEL35UXEVYWR3RN2VCW')
  .replace(b'"hash":"00"', b'"vendor":"v","target_hashes":{"x86_64-linux":"AB"},"config_schema":{"a":[1,2]}'))
PY

# hand-written seeds: one input per line
n=0
while IFS= read -r line; do
  [ -z "$line" ] || [ "${line:0:1}" = "#" ] && continue
  n=$((n + 1)); printf '%s' "$line" >"$OUT/jwt/txt-$n"
done <tests/crypto/corpus/jwt.txt
n=0
while IFS= read -r line; do
  [ -z "$line" ] || [ "${line:0:1}" = "#" ] && continue
  n=$((n + 1)); printf '%s' "$line" >"$OUT/nkey/txt-$n"
done <tests/crypto/corpus/nkey.txt

# keys of every type, and sealed boxes the fuzz target's keys can open
for ty in account cluster module server operator user service curve; do
  read -r s p < <("$TOOL" gen "$ty")
  printf '%s' "$s" >"$OUT/nkey/seed-$ty"
  printf '%s' "$p" >"$OUT/nkey/pub-$ty"
done
for msg in "" 6869 "$(printf 'lattice secret %.0s' {1..20} | od -An -tx1 | tr -d ' \n')"; do
  box=$("$TOOL" seal "$XS" "$YP" "$msg")
  python3 -c "import sys; open(sys.argv[1],'wb').write(b'B'+bytes.fromhex(sys.argv[2]))" \
    "$OUT/nkey/box-${#msg}" "$box"
done
rm -rf "$T"

find "$OUT/jwt" -type f -print0 | xargs -0 "$MUTATE" "$SEED" "$MUT" "$OUT/jwt"
find "$OUT/nkey" -type f -print0 | xargs -0 "$MUTATE" $((SEED + 1)) "$MUT" "$OUT/nkey"
if [ "$WHAT" = all ]; then
  rm -rf "$DEST"
  mkdir -p "$DEST"
  mv "$OUT/jwt" "$OUT/nkey" "$DEST/"
  touch "$DEST/.stamp"
  echo "gen_corpus (crypto): jwt $(ls "$DEST/jwt" | wc -l), nkey $(ls "$DEST/nkey" | wc -l) inputs"
else
  mkdir -p "$DEST"
  cp "$OUT/$WHAT"/* "$DEST/"
  echo "gen_corpus (crypto): $WHAT $(ls "$DEST" | wc -l) inputs"
fi
