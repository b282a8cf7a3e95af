#!/bin/sh
# Builds a private `lattice` (base + wasm + cli only) into build/interp_check/
# so the interpreter can be tested while other subsystems are mid-edit.
# usage: tests/tools/interp_check/build.sh [release|debug]
set -e
cd "$(dirname "$0")/../../.."
mode=${1:-release}
out=build/interp_check/$mode
mkdir -p "$out"
if [ "$mode" = debug ]; then
  FLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
else
  FLAGS="-O2 -g"
fi
WARN="-Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes"
objs=""
for f in src/base/*.c src/wasm/*.c src/cli/cli_wast.c tests/tools/interp_check/main.c; do
  o=$out/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find src -name '*.h' -newer "$o" | head -1)" ]; then
    gcc -std=gnu17 $WARN -D_GNU_SOURCE $FLAGS -c -o "$o" "$f" &
  fi
  objs="$objs $o"
done
wait
gcc $FLAGS -o "$out/lattice" $objs -lm -lpthread -Wl,--allow-multiple-definition
echo "$out/lattice"
