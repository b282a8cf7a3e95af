#!/usr/bin/env bash
# Generates the fuzz corpora under OUT (default build/fuzz-corpus), from the
# spec suite: nothing binary is committed.
#
#   seeds/   every module wast2json writes for the 2.0 scripts it can read
#            (valid modules and the assert_malformed/assert_invalid/
#            assert_unlinkable/assert_trap ones alike), SIMD included
#   text/    every (module ...) form of every 2.0 script as .wat text
#            (wast_modules.py; quoted malformed text too), plus examples/
#            and tests/wat/
#   decode/  seeds + MUT_DECODE deterministic mutants of each (mutate.c)
#   run/     seeds + MUT_RUN mutants of each
#   wat/     text + MUT_WAT mutants of each
#   + the regression inputs of tests/fuzz/regressions.txt (hex or text, see
#     there), each into the corpora its target line names
#   X/       for any other target fuzz_X.c: whatever tests/fuzz/corpus_X.sh
#            writes into the directory it is given (optional hook), plus
#            X's regression lines
#
# Usage: gen_corpus.sh [OUT]   (env: SHARED, MUTATE=path to the mutator,
#        SEED, MUT_DECODE, MUT_RUN, MUT_WAT).  Re-running replaces OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-build/fuzz-corpus}
SHARED=${SHARED:-../shared/testdata}
MUTATE=${MUTATE:-build/tools/fuzz_mutate}
SEED=${SEED:-20261126}
MUT_DECODE=${MUT_DECODE:-2}
MUT_RUN=${MUT_RUN:-1}
MUT_WAT=${MUT_WAT:-1}
SPEC=$SHARED/wasm-spec/2.0

if [ ! -d "$SPEC" ]; then
  echo "gen_corpus: spec suite not found at $SPEC (set SHARED=...)" >&2
  exit 1
fi
command -v wast2json >/dev/null || { echo "gen_corpus: wast2json missing (make setup)" >&2; exit 1; }
[ -x "$MUTATE" ] || { echo "gen_corpus: $MUTATE missing (make $MUTATE)" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT"/{seeds,text,decode,run,wat,tmp}
unreadable=()
for f in "$SPEC"/*.wast "$SPEC"/simd/*.wast; do
  [ -e "$f" ] || continue
  stem=$(basename "$f" .wast)
  # (in a subshell that is not exec-optimised, so an abort is reported to /dev/null)
  if ! (wast2json --enable-all "$f" -o "$OUT/tmp/$stem.json"; exit $?) >/dev/null 2>&1; then
    unreadable+=("$stem")
  fi
done
# binaries (.wasm) are seeds; wast2json also writes quoted text as .wat
find "$OUT/tmp" -name '*.wasm' -exec mv -t "$OUT/seeds" {} +
find "$OUT/tmp" -name '*.wat' -exec mv -t "$OUT/text" {} +
rm -rf "$OUT/tmp"

python3 tests/fuzz/wast_modules.py "$OUT/text" "$SPEC"/*.wast "$SPEC"/simd/*.wast >/dev/null
for f in examples/*.wat tests/wat/*.wat; do
  [ -e "$f" ] && cp "$f" "$OUT/text/"
done

cp "$OUT"/seeds/* "$OUT/decode/"
cp "$OUT"/seeds/* "$OUT/run/"
cp "$OUT"/text/* "$OUT/wat/"
# the mutator takes many files at once; xargs keeps argv bounded
find "$OUT/seeds" -type f -print0 | xargs -0 "$MUTATE" "$SEED" "$MUT_DECODE" "$OUT/decode"
find "$OUT/seeds" -type f -print0 | xargs -0 "$MUTATE" $((SEED + 1)) "$MUT_RUN" "$OUT/run"
find "$OUT/text" -type f -print0 | xargs -0 "$MUTATE" $((SEED + 2)) "$MUT_WAT" "$OUT/wat"

# other targets' corpus hooks
for hook in tests/fuzz/corpus_*.sh; do
  [ -e "$hook" ] || continue
  name=$(basename "$hook" .sh)
  name=${name#corpus_}
  mkdir -p "$OUT/$name"
  bash "$hook" "$OUT/$name"
done

# regressions: "TARGET NAME hex:HEX" or "TARGET NAME text:TEXT" (\n escapes)
python3 - "$OUT" tests/fuzz/regressions.txt <<'PY'
import os, sys
out, path = sys.argv[1], sys.argv[2]
dirs = {'decode': ['decode', 'run']}
for n, line in enumerate(open(path, encoding='utf-8'), 1):
    line = line.rstrip('\n')
    if not line.strip() or line.lstrip().startswith('#'):
        continue
    target, name, data = line.split(None, 2)
    kind, _, payload = data.partition(':')
    if kind == 'hex':
        blob = bytes.fromhex(payload)
    elif kind == 'text':
        blob = payload.encode('utf-8').decode('unicode_escape').encode('latin-1')
    else:
        sys.exit('%s:%d: want hex:... or text:...' % (path, n))
    for d in dirs.get(target, [target]):
        os.makedirs(os.path.join(out, d), exist_ok=True)
        with open(os.path.join(out, d, 'regress-' + name), 'wb') as f:
            f.write(blob)
PY

echo "gen_corpus: $(find "$OUT/seeds" -type f | wc -l) seed modules, $(ls "$OUT/text" | wc -l) text modules;" \
  "decode $(ls "$OUT/decode" | wc -l), run $(ls "$OUT/run" | wc -l), wat $(ls "$OUT/wat" | wc -l) inputs" \
  "${unreadable[*]:+(wast2json could not read: ${unreadable[*]})}"
touch "$OUT/.stamp"
