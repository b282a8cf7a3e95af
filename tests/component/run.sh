#!/usr/bin/env bash
# Component suite: real components built at test time (tests/component/
# build.sh: clang + wasi-libc, jco 1.34.0) run under Lattice.
#
#   run      wasi:cli/run commands (`jco new --wasi-command`) under
#            `lattice run`: arguments, environment, exit status, stdin,
#            file I/O in a --dir grant, read-only grants, the sandbox,
#            clocks, randomness, traps, --timeout and --fuel; compared with
#            `jco run` (Node + preview2-shim, the independent implementation)
#            where jco can run the same thing (it has no --dir or --env)
#   types    the `types` world (every WIT type, a guest resource, spilled
#            parameters, results through memory with post-return, host
#            imports) called through `lattice call` with expected values
#   link     import checking: missing interfaces and mistyped imports are
#            clear link errors naming the import
#
# Ends with `component: N passed, N failed`.  Env: LATTICE (default
# build/debug/lattice), JCO_COMPARE=0 skips the jco comparisons.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LATTICE=${LATTICE:-build/debug/lattice}
case $LATTICE in /*) ;; *) LATTICE=$ROOT/$LATTICE ;; esac
JCO=$ROOT/node_modules/.bin/jco
C=$ROOT/build/components
T=$(mktemp -d /tmp/lattice-comp.XXXXXX)
trap 'rm -rf "$T"' EXIT
npass=0
nfail=0

pass() { npass=$((npass + 1)); }
fail() {
  nfail=$((nfail + 1))
  echo "component: FAIL $1: $2"
  [ -s "$T/out" ] && sed 's/^/    stdout: /' "$T/out" | head -n 20
  [ -s "$T/err" ] && sed 's/^/    stderr: /' "$T/err" | head -n 20
  return 0
}

# ---- inputs ---------------------------------------------------------------------
probe=$C/cmd_stdin.component.wasm
if [ ! -f "$probe" ] || [ ! -f "$C/types.component.wasm" ] ||
   [ -n "$(find tests/component -name '*.c' -newer "$probe" -o -name '*.wit' -newer "$probe" | head -n 1)" ]; then
  echo "component: building test components into $C"
  if ! tests/component/build.sh "$C" >"$T/build.log" 2>&1; then
    cat "$T/build.log"
    echo "component: 0 passed, 1 failed"
    exit 1
  fi
fi

# lrun ARGS...: lattice run; stdout, stderr, status in $T
lrun() {
  timeout -k 5 120 "$LATTICE" run "$@" >"$T/out" 2>"$T/err" <"${STDIN:-/dev/null}"
  echo $? >"$T/rc"
}
jrun() { # jco run ARGS...: output in $T/jout, status in $T/jrc
  (cd "$T" && timeout -k 5 120 "$JCO" run "$@" >"$T/jout" 2>"$T/jerr" <"${STDIN:-/dev/null}")
  echo $? >"$T/jrc"
}

# check NAME RC_WANT EXPECTED_STDOUT -- LATTICE_RUN_ARGS...
check() {
  local name=$1 want_rc=$2 want_out=$3
  shift 4
  lrun "$@"
  local rc
  rc=$(cat "$T/rc")
  if [ "$rc" != "$want_rc" ]; then
    fail "$name" "exit status $rc, want $want_rc"
  elif [ "$(cat "$T/out")" != "$want_out" ]; then
    fail "$name" "stdout differs; want: $(printf '%q' "$want_out")"
  else
    pass
  fi
}

# same_as_jco NAME -- COMPONENT ARGS...: lattice run and jco run agree on
# stdout and exit status
same_as_jco() {
  local name=$1
  shift 2
  [ "${JCO_COMPARE:-1}" = 0 ] && return 0
  lrun "$@"
  jrun "$@"
  if [ "$(cat "$T/rc")" != "$(cat "$T/jrc")" ]; then
    fail "$name (vs jco run)" "exit status $(cat "$T/rc"), jco $(cat "$T/jrc")"
  elif ! diff -u "$T/jout" "$T/out" >"$T/diff"; then
    sed 's/^/    diff: /' "$T/diff" | head -n 20
    fail "$name (vs jco run)" "stdout differs from jco run"
  else
    pass
  fi
}

# ---- run: commands ---------------------------------------------------------------------
check hello 0 "hello from a component a b" -- "$C/hello.component.wasm" a b
same_as_jco hello -- "$C/hello.component.wasm" a b

A=$C/cmd_args_env.component.wasm
check args-env 0 "argc=3
argv[1]=one
argv[2]=two words
GREETING=hi there" -- --env "GREETING=hi there" "$A" one "two words"
check exit-status 1 "argc=2
argv[1]=fail
GREETING=(unset)" -- "$A" fail
check exit-zero 0 "argc=2
argv[1]=exit
GREETING=(unset)" -- "$A" exit
same_as_jco args -- "$A" x "y z"
same_as_jco exit-status -- "$A" fail

STDIN=$ROOT/tests/component/cmd/stdin.c check stdin 0 "$(tr '[:lower:]' '[:upper:]' <tests/component/cmd/stdin.c)
bytes=$(wc -c <tests/component/cmd/stdin.c)" -- "$C/cmd_stdin.component.wasm"
grep -q '^done reading$' "$T/err" && pass || fail stdin-stderr "no 'done reading' on stderr"
STDIN=$ROOT/tests/component/cmd/stdin.c same_as_jco stdin -- "$C/cmd_stdin.component.wasm"

mkdir -p "$T/data"
check files 0 "size=8890 regular=1
lines=1000 seek-read=line 10
size-after-append=8899
mkdir=0
rename=0
old-gone=1
entry=b.txt
unlink=0
rmdir=0
escape-dotdot=refused
escape-abs=refused
missing=No such file or directory" -- --dir "$T/data::/data" "$C/cmd_files.component.wasm"
[ -z "$(ls -A "$T/data")" ] && pass || fail files-cleanup "left $(ls -A "$T/data")"

mkdir -p "$T/ro" && echo "read me" >"$T/ro/in.txt"
check ro-dir 0 "read=read me
write=refused
mkdir=refused
unlink=refused" -- --ro-dir "$T/ro::/ro" "$C/cmd_ro.component.wasm"
[ -f "$T/ro/in.txt" ] && [ ! -e "$T/ro/new.txt" ] && pass || fail ro-dir-untouched "grant changed"

M=$C/cmd_misc.component.wasm
check clock 0 "slept-enough=1 wall-plausible=1" -- "$M" clock
check random 0 "random-differs=1" -- "$M" random
check trap 1 "before trap" -- "$M" trap
grep -q 'wasm trap' "$T/err" && pass || fail trap-message "no 'wasm trap' on stderr"
check timeout 1 "" -- --timeout 200ms "$M" spin
grep -q 'deadline' "$T/err" && pass || fail timeout-message "no deadline message"
check fuel 1 "" -- --fuel 100000 "$M" spin
grep -q 'fuel' "$T/err" && pass || fail fuel-message "no fuel message"
same_as_jco misc-random -- "$M" random

# ---- types: every WIT type through lift and lower ----------------------------------------
X=test:types/api@0.1.0
ltypes() {
  timeout -k 5 120 "$LATTICE" call --host tests/component/types/wit/types.wit \
    "$C/types.component.wasm" "$@" >"$T/out" 2>"$T/err"
  echo $? >"$T/rc"
}
tcase() { # NAME EXPECTED EXPORT ARGS...
  local name=$1 want=$2
  shift 2
  ltypes "$X#$1" "${@:2}"
  if [ "$(cat "$T/rc")" != 0 ]; then
    fail "types/$name" "exit status $(cat "$T/rc")"
  elif [ "$(cat "$T/out")" != "$want" ]; then
    fail "types/$name" "want $(printf '%q' "$want")"
  else
    pass
  fi
}
tcase prims "(false, -6, 201, -301, 65001, -8, 4000000001, -9000000001, 18000000000000000001, 3, -1.125, 'y')" \
  prims true -5 200 -300 65000 -7 4000000000 -9000000000 18000000000000000000 1.5 -2.25 "'x'"
tcase prims-limits "(true, -128, 0, -32768, 0, -2147483648, 0, -9223372036854775808, 0, nan, inf, '𐀀')" \
  prims false -127 255 -32767 65535 -2147483647 4294967295 -9223372036854775807 18446744073709551615 nan inf "'\u{ffff}'"
tcase string '"Hello, wörld ✓!"' greet '"wörld ✓"'
tcase string-empty '"Hello, !"' greet '""'
tcase list-u32 4294967298 sum '[1, 2, 4294967295]'
tcase list-empty 0 sum '[]'
tcase bytes-empty '[]' bytes '[]'
tcase record-empty-label '{x: 1, y: 0, label: "*"}' move-point '{x: 0, y: 0, label: ""}'
tcase list-string '["ünï", "", "a"]' reverse '["a", "", "ünï"]'
tcase record '{x: 2, y: -4, label: "pt*"}' move-point '{x: 1, y: -2, label: "pt"}'
tcase variant-f64 'circle(3)' grow 'circle(1.5)'
tcase variant-tuple 'rect((4, 5))' grow 'rect((3, 4))'
tcase variant-empty 'circle(1)' grow nothing
tcase enum red next-color blue
tcase flags '{write}' toggle '{read, exec}'
tcase flags-all '{}' toggle '{read, write, exec}'
tcase option-some 'some(42)' double 'some(21)'
tcase option-none none double none
tcase result-ok 'ok(5)' check 5
tcase result-err 'err("negative")' check -5
tcase spilled-params 96855113 seventeen 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
tcase bytes '[255, 3, 2, 1]' bytes '[1, 2, 3, 255]'
tcase host-import 'host: log("via")
host: transform({x: 5, y: 6, label: "via"})
{x: 105, y: 106, label: "via"}' via-host '{x: 5, y: 6, label: "via"}'
ltypes "$X#[constructor]counter" 5 -- "$X#[method]counter.add" '#0' 3 -- "$X#[method]counter.value" '#0' \
  -- "$X#total" '#0' -- "$X#live" -- drop '#0' -- "$X#live"
want=$'#0\n8\n8\n80\n1\n()\n0'
[ "$(cat "$T/rc")" = 0 ] && [ "$(cat "$T/out")" = "$want" ] && pass ||
  fail types/resource "want $(printf '%q' "$want")"
ltypes "$X#[constructor]counter" 1 -- drop '#0' -- "$X#[method]counter.value" '#0'
[ "$(cat "$T/rc")" = 2 ] && pass || fail types/use-after-drop "a dropped handle was accepted"
ltypes "$X#prims" 1 2 3 4 5 6 7 8 9 10 11 12
[ "$(cat "$T/rc")" = 2 ] && grep -q 'not a bool' "$T/err" && pass ||
  fail types/bad-arg "a bad argument was not refused"

# the same calls through jco transpile + Node: both implementations agree
if [ "${JCO_COMPARE:-1}" != 0 ]; then
  if "$JCO" transpile "$C/types.component.wasm" -o "$T/js" \
      --map 'test:types/host@0.1.0=./host.mjs' >"$T/jerr" 2>&1 &&
     cp tests/component/types/host.mjs "$T/js/" && echo '{"type":"module"}' >"$T/js/package.json" &&
     node tests/component/types/node_types.mjs "$T/js" >"$T/jout" 2>>"$T/jerr"; then
    ltypes "$X#prims" true -5 200 -300 65000 -7 4000000000 -9000000000 18000000000000000000 1.5 -2.25 "'x'" \
      -- "$X#greet" '"wörld ✓"' -- "$X#greet" '""' -- "$X#sum" '[1, 2, 4294967295]' \
      -- "$X#reverse" '["a", "", "ünï"]' -- "$X#move-point" '{x: 1, y: -2, label: "pt"}' \
      -- "$X#grow" 'circle(1.5)' -- "$X#grow" 'rect((3, 4))' -- "$X#grow" nothing \
      -- "$X#next-color" blue -- "$X#toggle" '{read, exec}' -- "$X#double" 'some(21)' -- "$X#double" none \
      -- "$X#check" 5 -- "$X#check" -5 -- "$X#seventeen" 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 \
      -- "$X#bytes" '[1, 2, 3, 255]' -- "$X#via-host" '{x: 5, y: 6, label: "via"}' \
      -- "$X#[constructor]counter" 5 -- "$X#[method]counter.add" '#0' 3 -- "$X#[method]counter.value" '#0' \
      -- "$X#total" '#0' -- "$X#live" -- drop '#0' -- "$X#live"
    grep -v -e '^#0$' -e '^()$' "$T/out" >"$T/lout"
    if diff -u "$T/jout" "$T/lout" >"$T/diff"; then
      pass
    else
      sed 's/^/    diff: /' "$T/diff" | head -n 30
      fail "types (vs jco transpile + node)" "results differ"
    fi
  else
    sed 's/^/    /' "$T/jerr" | head -n 10
    fail "types (vs jco transpile + node)" "jco transpile or node failed"
  fi
fi

# greet worlds from part 1: a host-implemented import with and without wasi-libc
for g in greet greet_free; do
  timeout 60 "$LATTICE" call --host tests/component/greet/wit/greeter.wit "$C/$g.component.wasm" \
    greet '"x"' >"$T/out" 2>"$T/err"
  [ "$(cat "$T/out")" = $'host: log("greet called")\n"Hello, x!"' ] && pass || fail "greet/$g" "wrong output"
done

# ---- link: import checking ------------------------------------------------------------------
lrun "$C/greet_free.component.wasm"
[ "$(cat "$T/rc")" = 1 ] && grep -q 'link error: import `probe:greeter/logging@0.1.0` is not provided by the host' "$T/err" &&
  pass || fail link-missing "no clear link error"
# a host whose `logging` has the wrong type
printf 'package probe:greeter@0.1.0;\ninterface logging { log: func(msg: u32); }\n' >"$T/bad.wit"
timeout 60 "$LATTICE" call --host "$T/bad.wit" "$C/greet_free.component.wasm" greet '"x"' >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = "" ] && grep -q 'does not match' "$T/err" && grep -q 'log' "$T/err" && pass ||
  fail link-mistyped "no type mismatch reported"
# an older host version (0.1.x) of the same interface still links
sed 's/@0.1.0/@0.1.5/' tests/component/greet/wit/greeter.wit >"$T/newer.wit"
timeout 60 "$LATTICE" call --host "$T/newer.wit" "$C/greet_free.component.wasm" greet '"v"' >"$T/out" 2>"$T/err"
grep -q 'Hello, v!' "$T/out" && pass || fail link-semver "a 0.1.5 host did not serve a 0.1.0 import"
sed 's/@0.1.0/@0.2.0/' tests/component/greet/wit/greeter.wit >"$T/major.wit"
timeout 60 "$LATTICE" call --host "$T/major.wit" "$C/greet_free.component.wasm" greet '"v"' >"$T/out" 2>"$T/err"
grep -q 'not provided' "$T/err" && pass || fail link-incompatible "a 0.2.0 host served a 0.1.0 import"

# a componentize-js wasi:http component (built by the decoder test's
# build.sh --http) links against the host: it imports a mix of 0.2.10 and
# 0.2.12 interfaces
if [ -f "$C/hello_http.wasm" ]; then
  timeout 120 "$LATTICE" call --bench-instantiate 1 "$C/hello_http.wasm" >"$T/out" 2>"$T/err"
  grep -q '^instantiate:' "$T/out" && pass || fail http-links "the componentize-js component did not instantiate"
fi
timeout 60 "$LATTICE" call --bench-instantiate 20 "$C/hello.component.wasm" >"$T/out" 2>"$T/err"
grep -q '^instantiate:' "$T/out" && pass || fail instantiate-repeat "20 instances in one store set failed"

echo "component: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
