#!/usr/bin/env bash
# Corpus hook for fuzz_wrpc.c (called by gen_corpus.sh with the directory
# to fill): one seed per type of the target's table, a valid encoding
# after the type-selector byte, written here as hex (nothing binary is
# committed), plus mutations of them (MUTATE, default
# build/tools/fuzz_mutate).
set -euo pipefail
OUT=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MUTATE=${MUTATE:-$ROOT/build/tools/fuzz_mutate}
mkdir -p "$OUT"
seeds=(
  "00 01" "01 ff" "02 80" "03 ac 02" "04 80 80 7e" "05 e5 8e 26" "06 c0 bb 78"
  "07 ff ff ff ff ff ff ff ff ff 01" "08 80 80 80 80 80 80 80 80 80 7f"
  "09 00 00 c0 3f" "0a 00 00 00 00 00 00 f8 7f" "0b f0 9f 98 80" "0c 02 68 69"
  "0d 03 01 02 03" "0e 02 01 ac 02" "0f 02 01 61 00" "10 01 02 01 7f"
  "11 01 01 78 01 80 01" "12 01 61 00 00 00 00 00 00 f0 3f" "13 02 01 61"
  "14 02" "15 01 01 05" "16 01 02 01 02" "17 01 07" "18 00" "19 05"
  "1a 01 02 03 80" "1b 01 02 68 69" "1c 03 01 02 03" "1c 00" "1d 01 01 6b 01 09"
  "1e 01 04 68 6f 73 74 01 01 61"
  "1f 00 c8 01 01 04 68 6f 73 74 01 01 61" "1f 01 01 01 01 65 01 c8 03"
  "20 00" "21 02 00 01" "22 01 61 02 05 06"
  # (a stream is one chunk, no status byte: 1c 03 ... is ready, 1c 00
  # pending)
  # async mode: type, root length, root, then per pending path a length
  # byte and its data; pending with path data as a Rust peer sends it, and
  # ready inline as we send it (an empty stream: pending, data 00)
  "80 01 00 04 02 61 62 00" "80 04 03 61 62 63" "80 01 00 01 00"
  "81 01 00 03 01 01 61" "81 04 01 01 01 61"
  "82 05 00 00 c8 01 00 03 01 78 00 01 00" "83 03 02 00 00 01 05 01 06"
  "84 04 01 00 00 00 04 01 01 61 00 01 07" "85 01 00 03 01 00 00"
  "85 01 00 04 01 01 05 00"
  "86 07 00 00 00 00 00 00 00 03 01 7a 00 01 00"
  "86 10 00 00 09 01 78 01 01 68 00 01 01 61 01 01 78 00 03 01 7a 00 01 00"
  "86 0b 03 61 62 63 01 00 02 00 00 00 00"
  "87 06 00 00 00 c8 01 00 03 01 78 00 01 00" "87 08 01 26 01 04 62 6f 6f 6d"
  "87 09 00 02 68 69 01 00 c8 01 00"
)
i=0
for s in "${seeds[@]}"; do
  printf '%s' "$s" | xxd -r -p > "$OUT/seed-$i"
  i=$((i + 1))
done
[ -x "$MUTATE" ] && "$MUTATE" 7321 30 "$OUT" "$OUT"/seed-*
exit 0
