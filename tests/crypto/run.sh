#!/usr/bin/env bash
# The crypto suite: interoperability with independent implementations
# (interop.mjs: @nats-io/nkeys 2.0.3 and @nats-io/jwt 0.0.11, pinned in
# package.json) and the `lattice keys` / `lattice claims` commands end to end
# (cli_test.sh).  The unit tests (tests/unit/crypto) run in the unit suite
# and the fuzz corpora (gen_corpus.sh) in the fuzz suite; with --all this
# script also runs those, through tests/crypto/unit.mk's standalone builds,
# for working on crypto alone.
#
# Builds its helpers with tests/crypto/unit.mk (ASan+UBSan).  Prints each
# part's line and ends with `crypto: N passed, N failed`; exits non-zero on
# any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
pass=0 fail=0

# add_counts OUTPUT: adds the last "N passed, N failed" of OUTPUT (a part
# with no such line counts as one failure)
add_counts() {
  local c p f
  c=$(grep -aoE '[0-9]+ passed, [0-9]+ failed' <<<"$1" | tail -n 1)
  if [ -z "$c" ]; then
    fail=$((fail + 1))
    return
  fi
  p=${c%% passed*}
  f=${c##*, }
  f=${f%% failed}
  pass=$((pass + p))
  fail=$((fail + f))
}

targets=(build/crypto/nkeys_tool build/crypto/lattice)
[ "${1:-}" = --all ] && targets+=(build/crypto/unit_tests build/crypto/replay_jwt build/crypto/replay_nkey)
if ! make -s -f tests/crypto/unit.mk "${targets[@]}"; then
  echo "crypto: build failed"
  echo "crypto: 0 passed, 1 failed"
  exit 1
fi

if [ -d node_modules/@nats-io/nkeys ] && [ -d node_modules/@nats-io/jwt ]; then
  out=$(NKEYS_TOOL=build/crypto/nkeys_tool node tests/crypto/interop.mjs 2>&1)
  echo "$out" | grep -aE 'FAIL|passed, [0-9]+ failed'
  add_counts "$out"
else
  echo "interop: FAIL node_modules/@nats-io/{nkeys,jwt} missing (run make setup)"
  fail=$((fail + 1))
fi

out=$(LATTICE=${LATTICE:-} tests/crypto/cli_test.sh 2>&1)
echo "$out" | grep -aE -A8 'FAIL|passed, [0-9]+ failed'
add_counts "$out"

if [ "${1:-}" = --all ]; then
  out=$(build/crypto/unit_tests crypto 2>&1)
  echo "$out" | grep -aE 'FAIL|passed, [0-9]+ failed'
  add_counts "$out"
  if [ ! -f build/fuzz-corpus-crypto/.stamp ]; then tests/crypto/gen_corpus.sh >/dev/null; fi
  for t in jwt nkey; do
    out=$(build/crypto/replay_$t fuzz-$t build/fuzz-corpus-crypto/$t 2>&1)
    echo "$out" | grep -aE 'FAIL|passed, [0-9]+ failed'
    add_counts "$out"
  done
fi

echo "crypto: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
