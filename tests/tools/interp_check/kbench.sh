#!/bin/sh
# Per-kernel interpreter/native ratios by thread CPU time (see kbench.c).
# usage: tests/tools/interp_check/kbench.sh [REPS]   (after `make bench` built
# build/bench/*.wasm, or builds them itself with clang)
set -e
cd "$(dirname "$0")/../../.."
reps=${1:-5}
out=build/interp_check/kbench
mkdir -p $out
lib=build/interp_check/release
tests/tools/interp_check/build.sh release >/dev/null
objs=$(ls $lib/*.o | grep -v -e cli_ -e interp_check_main)
gcc -std=gnu17 -O2 -g -D_GNU_SOURCE -o $out/kbench tests/tools/interp_check/kbench.c $objs -lm -lpthread -Wl,--allow-multiple-definition
logsum=0; n=0
for k in ${KERNELS:-fib sieve matmul sort crc}; do
  src=bench/kernels/$k.c
  [ $out/$k.wasm -nt $src ] || clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -o $out/$k.wasm $src
  [ $out/$k.native -nt $src ] || clang -O2 -DNATIVE -o $out/$k.native $src tests/tools/interp_check/kbench.c
  set -- $($out/$k.native $((reps * 4))); ncs=$1; nms=$2
  set -- $($out/kbench $out/$k.wasm $reps); wcs=$1; wms=$2
  r=$(awk "BEGIN{printf \"%.2f\", $wms/$nms}")
  flag=""; [ "$ncs" = "$wcs" ] || flag="CHECKSUM MISMATCH $ncs $wcs"
  printf "%-7s native %8.2f ms  lattice %9.2f ms  %6sx %s\n" $k $nms $wms $r "$flag"
  logsum=$(awk "BEGIN{print $logsum + log($r)}"); n=$((n+1))
done
awk "BEGIN{printf \"geomean %.2fx\n\", exp($logsum/$n)}"
gcc -std=gnu17 -O2 -g -D_GNU_SOURCE -o $out/irdump tests/tools/interp_check/irdump.c $objs -lm -lpthread -Wl,--allow-multiple-definition
