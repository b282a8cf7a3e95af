#!/usr/bin/env bash
# Runs every test suite against the sanitizer build and sums the results.
#
#   unit     build/debug/unit_tests (one process per test)
#   spec     build/debug/lattice wast, one process per 2.0 script (all 148:
#            the 90 core files and the 58 of 2.0/simd; SPEC_SIMD=0 leaves
#            SIMD out), and Lattice's own scripts tests/wast/*.wast
#            (regressions the spec suite does not reach), in parallel
#   spec-aot the same scripts as spec through the compiled tier (`wast
#            --compiled`: src/aot, gcc; objects cached in build/aot-cache, so
#            only a first run pays for the compiler, about 80 s of the 2
#            cores); modules it does not compile (memory64, ...) are interpreted
#            and counted in its "compiled tier" line
#   spec3    build/debug/lattice wast over the 3.0 scripts that pass fully
#            (tests/spec3.list says which, and why each other one is not
#            yet included; those are named in the output, not counted)
#   fuzz-*   corpus replays: each build/debug/replay_X over build/fuzz-corpus/X,
#            generated from the spec suite when missing (tests/fuzz/gen_corpus.sh)
#   cli      tests/cli/*.sh against build/debug/lattice
#   wasi     tests/wasi/run.sh: WASI preview-1 programs (clang + wasi-libc)
#   crypto   tests/crypto/run.sh: nkeys/JWT interop with @nats-io/nkeys and
#            @nats-io/jwt, and the keys/claims CLI end to end
#   component tests/component/run.sh: real components (clang + jco) under
#            `lattice run` / `lattice call`, compared with `jco run`
#   serve    tests/component/serve.sh: `lattice serve` with wasi:http
#            components, called with curl and wrk
#   http     tests/http/run.py: the src/http server (build/debug/
#            http_echo_server) probed with raw bytes: framing, deadlines,
#            limits, streaming, shutdown
#   manager  tests/manager/run.sh: `lattice manager` (one, two, a failover)
#            deploying applications over three hosts on a real nats-server
#   lattice  tests/lattice/host.sh: three `lattice host` processes on a real
#            nats-server, driven by the control commands and a raw NATS peer
#   providers tests/lattice/providers.sh: executable providers (build/debug/
#            calc_provider, built with src/providers/sdk) under a host
#   keyvalue tests/lattice/keyvalue.sh: wasi:keyvalue through the host shim to
#            the keyvalue-nats and keyvalue-redis built-in providers (a real
#            nats-server and redis-server), driven by examples/counter
#   blobstore tests/lattice/blobstore.sh: wasi:blobstore through the host shim to
#            the blobstore-fs built-in provider (a real nats-server, two
#            hosts), driven by examples/blob
#   messaging tests/lattice/messaging.sh: wasmcloud:messaging over the lattice
#            (the builtin messaging-nats provider, examples/messaging components)
#   signed   tests/lattice/signed.sh: a host with --allowed-issuers refuses
#            unsigned, tampered, expired, early and foreign components and
#            executable providers, with the reason
#   cross    tests/lattice/cross.sh: calls that cross hosts (HTTP on one
#            host, the component on another, over wRPC)
#   secure   tests/lattice/secure.sh: a lattice on nats-server in operator
#            mode with TLS (`lattice tls init`, `lattice nats init`): who may
#            do what, refused connections, a component and a provider at work
#   secrets  tests/lattice/secrets.sh: `lattice secrets serve` (nats-kv), a
#            signed component reading a secret, a provider's startup and
#            link secrets, refusals, a manifest's secrets through the
#            manager, and no value anywhere in logs, events or NATS traffic
#
# Each suite prints its own `N passed, N failed` line; this script parses
# them (the last such line of each suite's output) and ends with the total
# line.  A suite that crashes, prints no summary or exits non-zero with no
# failure counted adds one failure, and the others still run.  Logs go to
# build/test-logs/.  Exit status is non-zero on any failure.
#
# Arguments, when given, name the suites to run (as SUITES does).
# Env: SHARED (test data, default ../shared/testdata), JOBS (parallel spec
# runs, default nproc), SUITES (space-separated subset, e.g. "unit cli"),
# SPEC_TIMEOUT (seconds per script, default 900).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
SHARED=${SHARED:-../shared/testdata}
export SHARED # the unit tests read the component-model scripts from it too
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
[ $# -gt 0 ] && SUITES="$*" # `tests/run_all.sh lattice messaging` runs just those
SUITES=${SUITES:-"unit spec spec-aot spec3 fuzz cli wasi crypto component serve http lattice providers keyvalue blobstore messaging cross secure secrets signed manager"}
SPEC_TIMEOUT=${SPEC_TIMEOUT:-900}
LOG=build/test-logs
# the compiled tier's object cache (unit tests, spec-aot): inside the build
export LATTICE_CACHE_DIR=${LATTICE_CACHE_DIR:-$ROOT/build/aot-cache}
LATTICE=${LATTICE:-build/debug/lattice}
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rm -rf "$LOG"
mkdir -p "$LOG"

total_pass=0
total_fail=0
summary=()
start_all=$(date +%s)

# last "N passed, N failed" of a file, as "N N"; empty when none
counts_of() {
  grep -aoE '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 |
    sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/'
}

# sanitizer reports in a log (they are failures even if counted as passes)
sanitizer_hits() {
  grep -acE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$1" || true
}

# record NAME LOGFILE RC: parses the log, adds to the totals
record() {
  local name=$1 log=$2 rc=$3 p=0 f=0 c note=""
  c=$(counts_of "$log")
  if [ -n "$c" ]; then
    read -r p f <<<"$c"
  else
    f=1
    note=" (no summary line: crashed or did not run; see $log)"
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    note=" (exit status $rc with no failure counted; see $log)"
  fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  summary+=("$(printf '%-12s %7d passed, %5d failed%s' "$name" "$p" "$f" "$note")")
}

# run_suite NAME CMD...: runs CMD, shows its output, logs it, records it
run_suite() {
  local name=$1 t0 rc
  shift
  echo "== $name: $*"
  t0=$(date +%s)
  "$@" >"$LOG/$name.log" 2>&1
  rc=$?
  # show failures and the summary, not thousands of passing lines
  grep -aE 'FAIL|ERROR|error|!!!!|missing|passed, [0-9]+ failed|runtime error|Sanitizer|not yet included' "$LOG/$name.log" | tail -n 60
  echo "   ($name took $(($(date +%s) - t0))s, exit $rc, log $LOG/$name.log)"
  record "$name" "$LOG/$name.log" "$rc"
}

need_bin() {
  if [ ! -x "$1" ]; then
    echo "run_all: $1 is missing (run 'make debug replay' first)" >&2
    return 1
  fi
}

# ---- unit ------------------------------------------------------------------
suite_unit() {
  need_bin build/debug/unit_tests || return 1
  build/debug/unit_tests
}

# ---- spec ------------------------------------------------------------------
# One lattice process per script, JOBS at a time; prints a line per script
# with failures, then the suite total.
spec_one() { # FILE -> writes $LOG/$SPEC_DIR/<stem>.log and .rc
  local f=$1 stem
  stem=$(basename "$f" .wast)
  case $(basename "$(dirname "$f")") in
    simd) stem=simd_$stem ;;
    wast) stem=own_$stem ;;
  esac
  # shellcheck disable=SC2086 # SPEC_FLAGS is a word list
  timeout -k 10 "$SPEC_TIMEOUT" "$LATTICE" wast $SPEC_FLAGS "$f" >"$LOG/$SPEC_DIR/$stem.log" 2>&1
  echo $? >"$LOG/$SPEC_DIR/$stem.rc"
}
export -f spec_one
suite_spec_aot() { suite_spec spec-aot --compiled; }
suite_spec() { # [LOG SUBDIR] [WAST FLAGS]
  local sd=${1:-spec}
  export SPEC_DIR=$sd SPEC_FLAGS=${2:-}
  local dir=$SHARED/wasm-spec/2.0
  if [ ! -d "$dir" ]; then
    echo "!!!! spec suite NOT FOUND at $dir: set SHARED=<testdata dir> !!!!"
    echo "0 passed, 1 failed"
    return 1
  fi
  need_bin "$LATTICE" || return 1
  mkdir -p "$LOG/$sd"
  local files=("$dir"/*.wast)
  [ "${SPEC_SIMD:-1}" = 1 ] && files+=("$dir"/simd/*.wast)
  files+=(tests/wast/*.wast)
  echo "$sd: ${#files[@]} scripts from $dir, $JOBS at a time"
  export LOG LATTICE SPEC_TIMEOUT
  printf '%s\0' "${files[@]}" | xargs -0 -P "$JOBS" -I{} bash -c 'spec_one "$1"' _ {}
  local p=0 f=0 l c fp ff rc san
  for l in "$LOG"/$sd/*.log; do
    c=$(counts_of "$l")
    rc=$(cat "${l%.log}.rc" 2>/dev/null || echo 99)
    san=$(sanitizer_hits "$l")
    if [ -n "$c" ]; then read -r fp ff <<<"$c"; else fp=0 ff=0; fi
    if [ -z "$c" ] || [ "$san" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$ff" -eq 0 ]; }; then
      ff=$((ff + 1))
      echo "$sd: FAIL $(basename "$l" .log): exit $rc, ${san} sanitizer report(s)${c:+, counted $fp passed $((ff - 1)) failed} (see $l)"
    elif [ "$ff" -gt 0 ]; then
      echo "$sd: $(basename "$l" .log): $fp passed, $ff failed"
    fi
    p=$((p + fp))
    f=$((f + ff))
  done
  if [ "$sd" = spec-aot ]; then
    grep -h "^compiled tier:" "$LOG"/$sd/*.log |
      awk '{c += $3; i += $6} END {print "spec-aot: " c " modules compiled, " i " interpreted (features the tier does not compile)"}'
  fi
  echo "$sd: $p passed, $f failed"
  [ "$f" -eq 0 ]
}

# ---- spec3 ------------------------------------------------------------------
# The 3.0 scripts listed "pass" in tests/spec3.list, one process each like the
# spec suite; the "todo" ones are named with their reason and counted neither
# way; a script of the directory missing from the list is a failure.
suite_spec3() {
  local dir=$SHARED/wasm-spec/3.0 list=tests/spec3.list
  if [ ! -d "$dir" ]; then
    echo "!!!! spec3 suite NOT FOUND at $dir: set SHARED=<testdata dir> !!!!"
    echo "0 passed, 1 failed"
    return 1
  fi
  need_bin "$LATTICE" || return 1
  mkdir -p "$LOG/spec3"
  local files=() todo=0 bad=0 kind f reason names=""
  declare -A listed=()
  while read -r kind f reason; do
    case $kind in
      pass) files+=("$dir/$f"); listed[$f]=1 ;;
      todo) listed[$f]=1; todo=$((todo + 1)); names+=" ${f%.wast}"
            echo "spec3: todo $f ($reason)" ;;
      '' | '#'*) ;;
      *) echo "spec3: FAIL bad line in $list: $kind $f"; bad=$((bad + 1)) ;;
    esac
  done <"$list"
  for f in "$dir"/*.wast; do
    if [ -z "${listed[$(basename "$f")]:-}" ]; then
      echo "spec3: FAIL $(basename "$f") is not in $list"
      bad=$((bad + 1))
    fi
  done
  echo "spec3: ${#files[@]} scripts from $dir, $JOBS at a time ($todo not yet included)"
  export LOG LATTICE SPEC_TIMEOUT
  printf '%s\0' "${files[@]}" |
    xargs -0 -P "$JOBS" -I{} bash -c 'f=$1; stem=$(basename "$f" .wast);
      timeout -k 10 "$SPEC_TIMEOUT" "$LATTICE" wast "$f" >"$LOG/spec3/$stem.log" 2>&1
      echo $? >"$LOG/spec3/$stem.rc"' _ {}
  local p=0 l c fp ff rc san
  f=$bad
  for l in "$LOG"/spec3/*.log; do
    [ -e "$l" ] || continue
    c=$(counts_of "$l")
    rc=$(cat "${l%.log}.rc" 2>/dev/null || echo 99)
    san=$(sanitizer_hits "$l")
    if [ -n "$c" ]; then read -r fp ff <<<"$c"; else fp=0 ff=0; fi
    if [ -z "$c" ] || [ "$san" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$ff" -eq 0 ]; }; then
      ff=$((ff + 1))
      echo "spec3: FAIL $(basename "$l" .log): exit $rc, ${san} sanitizer report(s) (see $l)"
    elif [ "$ff" -gt 0 ]; then
      echo "spec3: $(basename "$l" .log): $fp passed, $ff failed"
    fi
    p=$((p + fp))
    f=$((f + ff))
  done
  echo "spec3: $todo of $((todo + ${#files[@]})) scripts not yet included (not counted; reasons in tests/spec3.list and the log):$names"
  echo "spec3: $p passed, $f failed"
  [ "$f" -eq 0 ]
}

# ---- fuzz corpus replay ------------------------------------------------------
ensure_corpus() {
  local c=build/fuzz-corpus
  if [ ! -f $c/.stamp ] || [ build/tools/fuzz_mutate -nt $c/.stamp ] ||
     [ tests/fuzz/gen_corpus.sh -nt $c/.stamp ] || [ tests/fuzz/wast_modules.py -nt $c/.stamp ] ||
     [ tests/fuzz/regressions.txt -nt $c/.stamp ] ||
     [ -n "$(find tests/fuzz -name 'corpus_*.sh' -newer $c/.stamp 2>/dev/null)" ]; then
    echo "== generating fuzz corpora in $c"
    SHARED=$SHARED MUTATE=build/tools/fuzz_mutate tests/fuzz/gen_corpus.sh $c || return 1
  fi
}
suite_replay() { # NAME CORPUS
  need_bin "build/debug/replay_$1" || return 1
  "build/debug/replay_$1" "fuzz-$1" "build/fuzz-corpus/$2" 2>&1
}

# ---- CLI ---------------------------------------------------------------------
suite_cli() {
  need_bin "$LATTICE" || return 1
  local p=0 f=0 s out c sp sf abs
  case $LATTICE in /*) abs=$LATTICE ;; *) abs=$ROOT/$LATTICE ;; esac
  for s in tests/cli/*.sh; do
    out=$(LATTICE=$abs ROOT="$ROOT" bash "$s" 2>&1)
    local rc=$?
    echo "$out"
    c=$(grep -aoE '[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
    if [ -n "$c" ]; then
      sp=${c%% passed*}
      sf=${c##*, }
      sf=${sf%% failed}
    else
      sp=0 sf=1
      echo "cli: FAIL $s (no summary line)"
    fi
    [ "$rc" -ne 0 ] && [ "$sf" -eq 0 ] && sf=1 && echo "cli: FAIL $s (exit $rc)"
    p=$((p + sp))
    f=$((f + sf))
  done
  echo "cli: $p passed, $f failed"
  [ "$f" -eq 0 ]
}

for s in $SUITES; do
  case $s in
    unit) run_suite unit suite_unit ;;
    spec) run_suite spec suite_spec ;;
    spec-aot) run_suite spec-aot suite_spec_aot ;;
    spec3) run_suite spec3 suite_spec3 ;;
    fuzz)
      if ensure_corpus >"$LOG/fuzz-corpus.log" 2>&1; then
        tail -n 1 "$LOG/fuzz-corpus.log"
        for r in build/debug/replay_*; do
          [ -x "$r" ] || continue
          t=${r#build/debug/replay_}
          if [ -d "build/fuzz-corpus/$t" ]; then
            run_suite "fuzz-$t" suite_replay "$t" "$t"
          else
            echo "== fuzz-$t: no corpus (add tests/fuzz/corpus_$t.sh or regressions.txt lines); skipped"
          fi
        done
      else
        cat "$LOG/fuzz-corpus.log"
        echo "0 passed, 1 failed" >>"$LOG/fuzz-corpus.log"
        record fuzz-corpus "$LOG/fuzz-corpus.log" 1
      fi
      ;;
    cli) run_suite cli suite_cli ;;
    wasi) run_suite wasi env LATTICE="$LATTICE" tests/wasi/run.sh ;;
    crypto) run_suite crypto tests/crypto/run.sh ;;
    component) run_suite component env LATTICE="$LATTICE" tests/component/run.sh ;;
    serve) run_suite serve env LATTICE="$LATTICE" tests/component/serve.sh ;;
    http) run_suite http python3 tests/http/run.py ;;
    lattice) run_suite lattice env LATTICE="$LATTICE" tests/lattice/host.sh ;;
    providers) run_suite providers env LATTICE="$LATTICE" tests/lattice/providers.sh ;;
    keyvalue) run_suite keyvalue env LATTICE="$LATTICE" tests/lattice/keyvalue.sh ;;
    secrets) run_suite secrets env LATTICE="$LATTICE" tests/lattice/secrets.sh ;;
    blobstore) run_suite blobstore env LATTICE="$LATTICE" tests/lattice/blobstore.sh ;;
    messaging) run_suite messaging env LATTICE="$LATTICE" tests/lattice/messaging.sh ;;
    cross) run_suite cross env LATTICE="$LATTICE" tests/lattice/cross.sh ;;
    signed) run_suite signed env LATTICE="$LATTICE" tests/lattice/signed.sh ;;
    secure) run_suite secure env LATTICE="$LATTICE" tests/lattice/secure.sh ;;
    manager) run_suite manager env LATTICE="$LATTICE" tests/manager/run.sh ;;
    *) echo "run_all: unknown suite '$s'" >&2 ;;
  esac
done

echo
echo "== summary ($(($(date +%s) - start_all))s)"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
