# shellcheck shell=bash
# Shared by the suites that run a lattice (tests/lattice/host.sh,
# tests/lattice/providers.sh, tests/manager/run.sh); sourced after the
# suite has set SUITE (its name in messages), T (its scratch folder),
# LATTICE and NATSPY.  Each suite keeps its own cleanup: what it starts
# differs.
#
#   pass / fail NAME WHY   count a check (fail shows $T/out and $T/err)
#   ok NAME CMD...         CMD must succeed (OK_SECS, default 60)
#   no NAME RE CMD...      CMD must fail with RE in its output
#   (a CMD of `L ...` runs the lattice command aimed at this suite's NATS)
#   has RE                 stdin has a line matching RE (reads all of it:
#                          `grep -q` at the end of a pipeline exits at the
#                          first match, and under pipefail the writer's
#                          SIGPIPE would fail the check)
#   until_grep FILE RE [TRIES]  FILE gets a line matching RE (0.1 s polls)
#   free_port              a free loopback port
#   start_nats             nats-server with JetStream on NPORT, store in
#                          $T/js; sets NPID; waits (10 s at most) until it
#                          answers; status 1 when it does not
#   lattice_wrapper        writes $T/L (the lattice command with
#                          --ctl-port NPORT, a script so `timeout` can run
#                          it) and defines L
#   wait_hosts N [TRIES]   until `get hosts` lists N hosts (0.2 s polls,
#                          150 tries); sets nh (the last count); status 1
#                          when it never did
#   kill_providers RE      SIGKILLs the provider processes the hosts logged
#                          starting whose command line matches RE (for
#                          cleanup: a host killed with -9 cannot stop its own)
#   hid N                  host N's id, from the first line of
#                          $T/hostN.log that names it
npass=0
nfail=0
pass() { npass=$((npass + 1)); }
fail() {
  nfail=$((nfail + 1))
  echo "$SUITE: FAIL $1: $2"
  [ -s "$T/out" ] && sed 's/^/    out: /' "$T/out" | head -n 8
  [ -s "$T/err" ] && sed 's/^/    err: /' "$T/err" | head -n 8
  return 0
}
ok() {
  local name=$1
  shift
  [ "$1" = L ] && set -- "$T/L" "${@:2}"
  if timeout -k 5 "${OK_SECS:-60}" "$@" >"$T/out" 2>"$T/err"; then pass; else fail "$name" "exit $? from $*"; fi
}
no() {
  local name=$1 re=$2
  shift 2
  [ "$1" = L ] && set -- "$T/L" "${@:2}"
  timeout -k 5 60 "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ $rc -ne 0 ] && [ $rc -lt 124 ] && grep -qE -- "$re" "$T/out" "$T/err"; then pass
  else fail "$name" "exit $rc, want a failure matching /$re/"; fi
}
has() { grep -c -- "$1" >/dev/null; }
until_grep() {
  local f=$1 re=$2 tries=${3:-100}
  for _ in $(seq 1 "$tries"); do grep -qE -- "$re" "$f" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start_nats() {
  nats-server -js -sd "$T/js" -a 127.0.0.1 -p "$NPORT" >>"$T/nats.log" 2>&1 &
  NPID=$!
  for _ in $(seq 1 100); do
    $NATSPY "$NPORT" ping 2>/dev/null && return 0
    kill -0 "$NPID" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}
lattice_wrapper() {
  printf '#!/bin/sh\nexec "%s" "$@" --ctl-port %s\n' "$LATTICE" "$NPORT" >"$T/L"
  chmod +x "$T/L"
}
L() { "$T/L" "$@"; }
wait_hosts() {
  nh=0
  for _ in $(seq 1 "${2:-150}"); do
    nh=$(L get hosts --timeout-ms 500 2>/dev/null | grep -c '^N')
    [ "$nh" -eq "$1" ] && return 0
    sleep 0.2
  done
  return 1
}
hid() { grep -o 'host_id=N[A-Z0-9]*' "$T/host$1.log" | head -n 1 | cut -d= -f2; }
kill_providers() {
  local p
  for p in $(grep -ho 'provider process started provider_id=[^ ]* pid=[0-9]*' "$T"/host*.log 2>/dev/null |
             sed 's/.*pid=//'); do
    ps -o args= -p "$p" 2>/dev/null | grep -qE -- "$1" && kill -9 "$p" 2>/dev/null
  done
  return 0
}
