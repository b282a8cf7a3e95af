#!/bin/sh
# Builds a private `lattice` (base + wasm + cli only) into build/interp_check/
# so the interpreter can be tested while other subsystems are mid-edit.
# usage: tests/tools/interp_check/build.sh [release|debug]
set -e
cd "$(dirname "$0")/../../.."
mode=${1:-release}
out=$PWD/build/interp_check/$mode
mkdir -p "$out"
# Others' files may be mid-edit: take everyone's committed sources (HEAD) and
# overlay only the interpreter's own working copies.
snap=build/interp_check/snap
rm -rf "$snap.new" && mkdir -p "$snap.new"
git archive HEAD src | tar -x -C "$snap.new"
cp src/wasm/wasm_translate.c src/wasm/wasm_interp.c src/wasm/wasm_exec.h src/wasm/wasm_simd.h src/wasm/*.inc "$snap.new/src/wasm/"
mkdir -p "$snap.new/tests/tools/interp_check" && cp tests/tools/interp_check/main.c "$snap.new/tests/tools/interp_check/"
# keep timestamps of unchanged files so objects are reused
mkdir -p "$snap"
(cd "$snap.new" && find . -type f) | while read -r f; do
  cmp -s "$snap.new/$f" "$snap/$f" || { mkdir -p "$(dirname "$snap/$f")"; cp "$snap.new/$f" "$snap/$f"; }
done
rm -rf "$snap.new"
cd "$snap"
if [ "$mode" = debug ]; then
  FLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
else
  FLAGS="-O2 -g"
fi
WARN="-Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes"
objs=""
for f in src/base/*.c src/wasm/*.c src/cli/cli_wast.c tests/tools/interp_check/main.c; do
  o=$out/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find src \( -name '*.h' -o -name '*.inc' \) -newer "$o" | head -1)" ]; then
    gcc -std=gnu17 $WARN -D_GNU_SOURCE $FLAGS -c -o "$o" "$f" &
  fi
  objs="$objs $o"
done
wait
gcc $FLAGS -o "$out/lattice" $objs -lm -lpthread -Wl,--allow-multiple-definition
echo "$out/lattice"
