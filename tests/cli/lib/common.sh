# shellcheck shell=bash
# Shared by tests/cli/*.sh (sourced, not run).  Each script makes checks
# with `check`, then calls `finish`, which prints `NAME: N passed, N failed`
# and sets the exit status.  LATTICE is the binary under test (run_all.sh
# passes the sanitizer build); T is a scratch directory removed at exit.
#
#   check NAME [--rc N|--rc nonzero] [--out REGEX] [--err REGEX]
#         [--no-out REGEX] [--max-secs S] -- CMD ARGS...
# Runs CMD (60 s limit) and checks its exit status (default 0), that stdout
# and stderr match the extended regexes given, and that stderr has no
# sanitizer report.  On failure prints the command and what it printed.
set -uo pipefail
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
LATTICE=${LATTICE:-$ROOT/build/debug/lattice}
SUITE=cli/$(basename "$0" .sh)
T=$(mktemp -d /tmp/lattice-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$ROOT" || exit 1
npass=0
nfail=0

check() {
  local name=$1 rc_want=0 out_re="" err_re="" no_out="" max="" why=""
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --rc) rc_want=$2; shift 2 ;;
      --out) out_re=$2; shift 2 ;;
      --err) err_re=$2; shift 2 ;;
      --no-out) no_out=$2; shift 2 ;;
      --max-secs) max=$2; shift 2 ;;
      --) shift; break ;;
      *) echo "check: bad option $1" >&2; return 1 ;;
    esac
  done
  local t0 t1 rc
  t0=$(date +%s%N)
  timeout -k 5 60 "$@" >"$T/out" 2>"$T/err"
  rc=$?
  t1=$(date +%s%N)
  if [ "$rc_want" = nonzero ]; then
    [ "$rc" -ne 0 ] || why+="exit status 0, want non-zero; "
  elif [ "$rc" -ne "$rc_want" ]; then
    why+="exit status $rc, want $rc_want; "
  fi
  [ "$rc" -ge 124 ] && [ "$rc" -le 137 ] && why+="timed out or killed ($rc); "
  if [ -n "$out_re" ] && ! grep -qE -- "$out_re" "$T/out"; then why+="stdout does not match /$out_re/; "; fi
  if [ -n "$no_out" ] && grep -qE -- "$no_out" "$T/out"; then why+="stdout matches /$no_out/; "; fi
  if [ -n "$err_re" ] && ! grep -qE -- "$err_re" "$T/err"; then why+="stderr does not match /$err_re/; "; fi
  if grep -qE 'Sanitizer|runtime error:' "$T/err"; then why+="sanitizer report; "; fi
  if [ -n "$max" ] && [ $(((t1 - t0) / 1000000)) -gt $((max * 1000)) ]; then
    why+="took $(((t1 - t0) / 1000000)) ms, more than ${max}s; "
  fi
  if [ -z "$why" ]; then
    npass=$((npass + 1))
  else
    nfail=$((nfail + 1))
    echo "$SUITE: FAIL $name: ${why%; }"
    echo "    \$ $*"
    sed 's/^/    stdout: /' "$T/out" | head -n 10
    sed 's/^/    stderr: /' "$T/err" | head -n 20
  fi
}

finish() {
  echo "$SUITE: $npass passed, $nfail failed"
  [ "$nfail" -eq 0 ]
}
